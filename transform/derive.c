/* derive.c - the trajectory step's derivation of a cluster; see derive.h. */
#include "derive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void swi_derived_reset(swi_derived_t *d)
{
        swi_versions_reset(&d->versions);
        d->ncurrent = d->nfindings = d->nlive = 0;
}

void swi_derived_free(swi_derived_t *d)
{
        if (!d)
                return;
        swi_versions_free(&d->versions);
        free(d->current);
        free(d->findings);
        free(d->live);
        memset(d, 0, sizeof(*d));
}

/* Room for one more element of size sz in *v (n used, *cap allocated). */
static void *grow(void **v, size_t n, size_t *cap, size_t sz)
{
        if (n == *cap) {
                size_t c = *cap ? *cap * 2 : 64;
                void *p = realloc(*v, c * sz);
                if (!p)
                        return NULL;
                *v = p;
                *cap = c;
        }
        return (char *)*v + n * sz;
}

static swi_person_t *push_person(swi_person_t **v, size_t *n, size_t *cap)
{
        swi_person_t *p = grow((void **)v, *n, cap, sizeof(**v));
        if (p)
                (*n)++;
        return p;
}

static int push_finding(swi_derived_t *d, const swi_person_key_t *key, const swi_finding_t *f)
{
        swi_keyed_finding_t *k =
            grow((void **)&d->findings, d->nfindings, &d->findings_cap, sizeof(*k));
        if (!k)
                return -1;
        k->key = *key;
        k->f = *f;
        d->nfindings++;
        return 0;
}

swi_err_t swi_derive_cluster(const swi_event_t *const *evs, size_t n, int64_t from_k,
                             int32_t p_live, const swi_gemeente_lookup_t *gl, swi_derived_t *out,
                             char *errstr, size_t errstr_size)
{
        swi_findings_t fnd = {0};
        swi_cluster_t *c = NULL;
        swi_err_t rc = swi_cluster_versions(evs, n, from_k, gl, &out->versions);

        if (rc != SWI_OK)
                goto nomem;
        c = swi_cluster_resolve(evs, n, SWI_K_ALL, errstr, errstr_size);
        if (!c)
                goto nomem;
        size_t np = swi_cluster_person_count(c);
        for (size_t i = 0; i < np; i++) {
                swi_person_t *p = push_person(&out->current, &out->ncurrent, &out->current_cap);
                if (!p)
                        goto nomem;
                swi_findings_reset(&fnd);
                rc = swi_cluster_person_derive(c, i, SWI_DATE_END, gl, p, &fnd);
                if (rc != SWI_OK)
                        goto nomem;
                for (size_t f = 0; f < fnd.n; f++)
                        if (push_finding(out, &p->key, &fnd.v[f]) != 0)
                                goto nomem;
                if (p_live == SWI_DATE_NONE)
                        continue;
                swi_person_t *q = push_person(&out->live, &out->nlive, &out->live_cap);
                if (!q)
                        goto nomem;
                rc = swi_cluster_person_derive(c, i, p_live, gl, q, NULL);
                if (rc != SWI_OK)
                        goto nomem;
        }
        /* references of keys that are no person (no effective event) */
        const swi_person_key_t *rkeys;
        size_t nr;
        const swi_finding_t *refs = swi_cluster_refs(c, &rkeys, &nr);
        for (size_t r = 0; r < nr; r++)
                if (rkeys[r].kind != 0 && swi_cluster_person_find(c, &rkeys[r]) < 0 &&
                    push_finding(out, &rkeys[r], &refs[r]) != 0)
                        goto nomem;
        swi_cluster_destroy(c);
        swi_findings_free(&fnd);
        return SWI_OK;
nomem:
        swi_cluster_destroy(c);
        swi_findings_free(&fnd);
        if (errstr && errstr_size)
                snprintf(errstr, errstr_size, "derivation: out of memory (%zu events)", n);
        return SWI_ERR_NOMEM;
}
