/* person_store.c - the publisher's persons in memory; see person_store.h. */
#include "person_store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/gemeenten.h"

void swi_pstore_free(swi_pstore_t *s)
{
        if (!s)
                return;
        free(s->v);
        free(s->slot);
        memset(s, 0, sizeof(*s));
}

void swi_pstore_clear(swi_pstore_t *s)
{
        s->n = 0;
}

swi_person_t *swi_pstore_push(swi_pstore_t *s)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 4096;
                swi_person_t *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return NULL;
                s->v = v;
                s->cap = cap;
        }
        return &s->v[s->n++];
}

swi_err_t swi_pstore_derive_cluster(swi_pstore_t *s, const swi_event_t *const *evp, size_t n,
                                    int64_t K, int32_t P, char *errstr, size_t errstr_size)
{
        static const swi_gemeente_lookup_t gl = {swi_gemeente_successor, swi_gemeente_region};
        swi_cluster_t *c = swi_cluster_resolve(evp, n, K, errstr, errstr_size);
        swi_err_t rc = SWI_OK;
        if (!c)
                return SWI_ERR_NOMEM;
        size_t np = swi_cluster_person_count(c);
        for (size_t i = 0; i < np; i++) {
                swi_person_t *p = swi_pstore_push(s);
                if (!p) {
                        snprintf(errstr, errstr_size, "person store: out of memory");
                        rc = SWI_ERR_NOMEM;
                        break;
                }
                rc = swi_cluster_person_derive(c, i, P, &gl, p, NULL);
                if (rc != SWI_OK) {
                        s->n--;
                        break;
                }
        }
        swi_cluster_destroy(c);
        return rc;
}

/* Hash slot of an identity key. */
static size_t slot_of(const swi_person_key_t *k, size_t mask)
{
        uint64_t h;
        memcpy(&h, k->ps, sizeof(h)); /* pseudonyms are HMAC output: already uniform */
        h ^= (uint64_t)k->kind * 0x9E3779B97F4A7C15ULL;
        return (size_t)(h ^ h >> 29) & mask;
}

static bool same_key(const swi_person_key_t *a, const swi_person_key_t *b)
{
        return a->kind == b->kind && memcmp(a->ps, b->ps, SWI_PSEUDO_LEN) == 0;
}

swi_err_t swi_pstore_index(swi_pstore_t *s)
{
        size_t need = 64;
        while (need < 2 * s->n)
                need <<= 1;
        if (need != s->nslots) {
                uint32_t *slot = calloc(need, sizeof(*slot));
                if (!slot)
                        return SWI_ERR_NOMEM;
                free(s->slot);
                s->slot = slot;
                s->nslots = need;
        } else {
                memset(s->slot, 0, need * sizeof(*s->slot));
        }
        for (size_t i = 0; i < s->n; i++) {
                size_t h = slot_of(&s->v[i].key, s->nslots - 1);
                while (s->slot[h])
                        h = (h + 1) & (s->nslots - 1);
                s->slot[h] = (uint32_t)(i + 1);
        }
        return SWI_OK;
}

long swi_pstore_find(const swi_pstore_t *s, const swi_person_key_t *k)
{
        if (!s->nslots)
                return -1;
        size_t h = slot_of(k, s->nslots - 1);
        while (s->slot[h]) {
                size_t i = s->slot[h] - 1;
                if (same_key(&s->v[i].key, k))
                        return (long)i;
                h = (h + 1) & (s->nslots - 1);
        }
        return -1;
}

static int cmp_long_desc(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;
        return (x < y) - (x > y);
}

swi_err_t swi_pstore_remove(swi_pstore_t *s, const swi_person_key_t *keys, size_t n)
{
        long *gone = malloc((n ? n : 1) * sizeof(*gone));
        size_t ngone = 0;
        if (!gone)
                return SWI_ERR_NOMEM;
        for (size_t i = 0; i < n; i++) {
                long at = swi_pstore_find(s, &keys[i]);
                if (at >= 0)
                        gone[ngone++] = at;
        }
        /* swap-remove from the highest index down: the last element is never
         * one still to be removed */
        qsort(gone, ngone, sizeof(*gone), cmp_long_desc);
        for (size_t i = 0; i < ngone; i++) {
                if (i && gone[i] == gone[i - 1])
                        continue;
                size_t last = s->n - 1;
                if ((size_t)gone[i] != last)
                        s->v[gone[i]] = s->v[last];
                s->n--;
        }
        free(gone);
        return SWI_OK;
}

swi_err_t swi_pstore_replace(swi_pstore_t *s, const swi_person_key_t *keys, size_t n,
                             const swi_idgroups_t *g, int32_t P, char *errstr, size_t errstr_size)
{
        if (swi_pstore_remove(s, keys, n) != SWI_OK)
                goto nomem;
        for (size_t c = 0; c < g->n; c++) {
                swi_err_t rc = swi_pstore_derive_cluster(s, g->evp + g->first[c],
                                                         g->first[c + 1] - g->first[c], SWI_K_ALL,
                                                         P, errstr, errstr_size);
                if (rc != SWI_OK)
                        return rc;
        }
        if (swi_pstore_index(s) != SWI_OK)
                goto nomem;
        return SWI_OK;
nomem:
        snprintf(errstr, errstr_size, "person store: out of memory");
        return SWI_ERR_NOMEM;
}
