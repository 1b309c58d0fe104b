/* row_diff.c - old vs new indicator rows; see row_diff.h. */
#include "row_diff.h"

#include <stdlib.h>
#include <string.h>

bool swi_rowdiff_same_cell(const swi_ind_row_t *a, const swi_ind_row_t *b)
{
        if (a->breakdown != b->breakdown || a->measure != b->measure || a->ndims != b->ndims ||
            strcmp(a->cohort, b->cohort) != 0 || strcmp(a->doelgroep, b->doelgroep) != 0)
                return false;
        for (int d = 0; d < a->ndims; d++)
                if (strcmp(a->dim_value[d], b->dim_value[d]) != 0)
                        return false;
        return true;
}

bool swi_rowdiff_same_value(const swi_ind_row_t *a, const swi_ind_row_t *b)
{
        return a->value == b->value && a->onderdrukt == b->onderdrukt &&
               a->undefined == b->undefined && a->reden == b->reden && a->decimals == b->decimals;
}

static uint64_t fnv(uint64_t h, const char *s)
{
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
        return (h ^ 0x1f) * 0x100000001b3ULL;
}

uint64_t swi_rowdiff_cell_hash(const swi_ind_row_t *r)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        h = fnv(h, r->breakdown);
        h = fnv(h, r->cohort);
        h = fnv(h, r->doelgroep);
        for (int d = 0; d < r->ndims; d++)
                h = fnv(h, r->dim_value[d]);
        return fnv(h, r->measure);
}

swi_err_t swi_rowdiff_match(const swi_ind_rows_t *old, const swi_ind_rows_t *nw, long *old_of)
{
        bool same = old->n == nw->n;
        for (size_t i = 0; same && i < nw->n; i++)
                same = swi_rowdiff_same_cell(&old->v[i], &nw->v[i]);
        if (same) {
                for (size_t i = 0; i < nw->n; i++)
                        old_of[i] = (long)i;
                return SWI_OK;
        }
        size_t cap = 64;
        while (cap < 2 * old->n)
                cap <<= 1;
        uint32_t *slot = calloc(cap, sizeof(*slot));
        if (!slot)
                return SWI_ERR_NOMEM;
        for (size_t i = 0; i < old->n; i++) {
                size_t h = (size_t)swi_rowdiff_cell_hash(&old->v[i]) & (cap - 1);
                while (slot[h])
                        h = (h + 1) & (cap - 1);
                slot[h] = (uint32_t)(i + 1);
        }
        for (size_t i = 0; i < nw->n; i++) {
                size_t h = (size_t)swi_rowdiff_cell_hash(&nw->v[i]) & (cap - 1);
                old_of[i] = -1;
                while (slot[h]) {
                        if (swi_rowdiff_same_cell(&old->v[slot[h] - 1], &nw->v[i])) {
                                old_of[i] = (long)slot[h] - 1;
                                break;
                        }
                        h = (h + 1) & (cap - 1);
                }
        }
        free(slot);
        return SWI_OK;
}

void swi_rowdiff_free(swi_rowdiff_t *d)
{
        if (!d)
                return;
        free(d->old_of);
        free(d->op);
        free(d->raw_changed);
        free(d->gone);
        memset(d, 0, sizeof(*d));
}

swi_err_t swi_rowdiff_compute(swi_rowdiff_t *d, const swi_ind_rows_t *old, const swi_ind_rows_t *nw)
{
        size_t n = nw->n ? nw->n : 1, no = old->n ? old->n : 1;
        bool *used = calloc(no, sizeof(*used));
        swi_rowdiff_free(d);
        d->old_of = malloc(n * sizeof(*d->old_of));
        d->op = malloc(n * sizeof(*d->op));
        d->raw_changed = malloc(n * sizeof(*d->raw_changed));
        d->gone = malloc(no * sizeof(*d->gone));
        if (!used || !d->old_of || !d->op || !d->raw_changed || !d->gone ||
            swi_rowdiff_match(old, nw, d->old_of) != SWI_OK) {
                free(used);
                swi_rowdiff_free(d);
                return SWI_ERR_NOMEM;
        }
        d->n = nw->n;
        for (size_t i = 0; i < nw->n; i++) {
                const swi_ind_row_t *r = &nw->v[i];
                long o = d->old_of[i];
                d->raw_changed[i] = false;
                if (o < 0) {
                        d->op[i] = SWI_ROWDIFF_INSERT;
                        d->ninsert++;
                        continue;
                }
                const swi_ind_row_t *was = &old->v[o];
                used[o] = true;
                if (was->raw_num != r->raw_num || was->raw_den != r->raw_den) {
                        d->raw_changed[i] = true;
                        d->nraw++;
                }
                if (swi_rowdiff_same_value(was, r)) {
                        d->op[i] = SWI_ROWDIFF_SAME;
                } else {
                        d->op[i] = SWI_ROWDIFF_UPDATE;
                        d->nupdate++;
                }
        }
        for (size_t j = 0; j < old->n; j++)
                if (!used[j])
                        d->gone[d->ngone++] = j;
        free(used);
        return SWI_OK;
}
