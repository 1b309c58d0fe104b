/* disclosure.c - disclosure control of one breakdown (indicators.md §6).
 *
 * Cells are stored densely. Along dimension d a cell's position is coord + 1,
 * so position 0 is the margin and positions 1..ncats[d] are the categories in
 * category order; the linear index is sum(position[d] * stride[d]). A group
 * along d is identified by its margin cell (position 0 on d): its members are
 * margin + (k + 1) * stride[d] for k = 0..ncats[d]-1. */
#include "disclosure.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct swi_dc_table_s {
        int ndims;
        int ncats[SWI_DC_MAX_DIMS];
        long stride[SWI_DC_MAX_DIMS];
        long ncells;
        int nfields;
        int nshares;
        int *share_num;         /* [nshares] */
        int *share_den;         /* [nshares] */
        int64_t *counts;        /* [nfields * ncells], unrounded */
        int64_t *count_pub;     /* [nfields * ncells], rounded; 0 when suppressed */
        uint8_t *count_reasons; /* [nfields * ncells], swi_dc_reason_t bits */
        int64_t *share_pub;     /* [nshares * ncells], tenths of a percent */
        uint8_t *share_reasons; /* [nshares * ncells] */
        uint8_t *mark;          /* [ncells], scratch of one secondary round */
        bool applied;           /* results match the counts */
};

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
        va_list ap;

        if (errstr == NULL || errstr_size == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}

const char *swi_dc_reason2str(unsigned reason)
{
        switch (reason) {
        case 0:
                return "none";
        case SWI_DC_R_PRIMARY:
                return "primary";
        case SWI_DC_R_DENOMINATOR:
                return "denominator";
        case SWI_DC_R_COMPLEMENT:
                return "complement";
        case SWI_DC_R_NUMERATOR:
                return "numerator";
        case SWI_DC_R_SECONDARY:
                return "secondary";
        case SWI_DC_R_LEADTIME_N:
                return "leadtime_n";
        default:
                return "unknown";
        }
}

/* ---- rounding and formatting ---------------------------------------------- */

static const int64_t pow10_tab[10] = {1,      10,      100,      1000,      10000,
                                      100000, 1000000, 10000000, 100000000, 1000000000};

static uint64_t abs_u64(int64_t v)
{
        /* well defined for INT64_MIN too */
        return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

int64_t swi_round_half_away(int64_t num, int64_t den, int decimals)
{
        uint64_t a, d, q, r;
        int64_t scale;
        bool neg;

        assert(den != 0);
        assert(decimals >= 0 && decimals <= 9);
        scale = pow10_tab[decimals];
        neg = (num < 0) != (den < 0);
        a = abs_u64(num);
        d = abs_u64(den);
        assert(a <= (uint64_t)INT64_MAX / (uint64_t)scale);
        a *= (uint64_t)scale;
        q = a / d;
        r = a % d;
        /* r / d >= 1/2, written so that 2 * r cannot overflow: a tie goes up in
         * magnitude, i.e. away from zero */
        if (r >= d - r)
                q++;
        return neg ? -(int64_t)q : (int64_t)q;
}

int swi_format_fixed(int64_t v, int decimals, char *buf, size_t size)
{
        uint64_t u, scale;
        int n;

        assert(decimals >= 0 && decimals <= 9);
        if (buf == NULL || size == 0)
                return -1;
        u = abs_u64(v);
        scale = (uint64_t)pow10_tab[decimals];
        if (decimals == 0)
                n = snprintf(buf, size, "%s%" PRIu64, v < 0 ? "-" : "", u);
        else
                n = snprintf(buf, size, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", u / scale,
                             decimals, u % scale);
        if (n < 0 || (size_t)n >= size) {
                buf[0] = '\0';
                return -1;
        }
        return n;
}

int swi_dc_format_share(const swi_dc_value_t *share, char *buf, size_t size)
{
        assert(share != NULL);
        if (buf == NULL || size == 0)
                return -1;
        if (share->suppressed) {
                buf[0] = '\0';
                return 0;
        }
        return swi_format_fixed(share->value, 1, buf, size);
}

static bool params_ok(const swi_dc_params_t *p)
{
        return p != NULL && p->base >= 1 && p->threshold >= 1;
}

/* A count rounded to the nearest multiple of B, halves away from zero. */
static int64_t round_to_base(int64_t v, int64_t base)
{
        return swi_round_half_away(v, base, 0) * base;
}

/* ---- the table ------------------------------------------------------------ */

swi_dc_table_t *swi_dc_table_new(int ndims, const int *ncats, int ncount_fields, int nshares,
                                 const int *share_num, const int *share_den, char *errstr,
                                 size_t errstr_size)
{
        swi_dc_table_t *t = NULL;
        long ncells = 1;
        size_t nc, nf, ns;
        int d, s;

        if (ndims < 1 || ndims > SWI_DC_MAX_DIMS || ncats == NULL) {
                set_err(errstr, errstr_size, "ndims must be 1..%d", SWI_DC_MAX_DIMS);
                return NULL;
        }
        for (d = 0; d < ndims; d++) {
                if (ncats[d] < 1) {
                        set_err(errstr, errstr_size, "dimension %d has %d categories (need >= 1)",
                                d, ncats[d]);
                        return NULL;
                }
                if ((long)ncats[d] + 1 > SWI_DC_MAX_CELLS / ncells) {
                        set_err(errstr, errstr_size, "table has more than %ld cells",
                                (long)SWI_DC_MAX_CELLS);
                        return NULL;
                }
                ncells *= (long)ncats[d] + 1;
        }
        if (ncount_fields < 1 || ncount_fields > 255 || nshares < 0 || nshares > 255) {
                set_err(errstr, errstr_size, "need 1..255 count fields and 0..255 shares");
                return NULL;
        }
        if (nshares > 0 && (share_num == NULL || share_den == NULL)) {
                set_err(errstr, errstr_size, "share_num and share_den are required");
                return NULL;
        }
        for (s = 0; s < nshares; s++) {
                if (share_num[s] < 0 || share_num[s] >= ncount_fields || share_den[s] < 0 ||
                    share_den[s] >= ncount_fields || share_num[s] == share_den[s]) {
                        set_err(errstr, errstr_size,
                                "share %d: numerator %d / denominator %d are not two distinct "
                                "count fields",
                                s, share_num[s], share_den[s]);
                        return NULL;
                }
        }

        t = calloc(1, sizeof(*t));
        if (t == NULL)
                goto nomem;
        t->ndims = ndims;
        t->ncells = ncells;
        t->nfields = ncount_fields;
        t->nshares = nshares;
        for (d = 0; d < ndims; d++) {
                t->ncats[d] = ncats[d];
                t->stride[d] = d == 0 ? 1 : t->stride[d - 1] * ((long)ncats[d - 1] + 1);
        }
        nc = (size_t)ncells;
        nf = (size_t)ncount_fields;
        ns = (size_t)nshares;
        t->counts = calloc(nf * nc, sizeof(*t->counts));
        t->count_pub = calloc(nf * nc, sizeof(*t->count_pub));
        t->count_reasons = calloc(nf * nc, 1);
        t->mark = calloc(nc, 1);
        if (t->counts == NULL || t->count_pub == NULL || t->count_reasons == NULL ||
            t->mark == NULL)
                goto nomem;
        if (nshares > 0) {
                t->share_num = malloc(ns * sizeof(int));
                t->share_den = malloc(ns * sizeof(int));
                t->share_pub = calloc(ns * nc, sizeof(*t->share_pub));
                t->share_reasons = calloc(ns * nc, 1);
                if (t->share_num == NULL || t->share_den == NULL || t->share_pub == NULL ||
                    t->share_reasons == NULL)
                        goto nomem;
                memcpy(t->share_num, share_num, ns * sizeof(int));
                memcpy(t->share_den, share_den, ns * sizeof(int));
        }
        return t;

nomem:
        set_err(errstr, errstr_size, "out of memory for a table of %ld cells", ncells);
        swi_dc_table_destroy(t);
        return NULL;
}

void swi_dc_table_destroy(swi_dc_table_t *t)
{
        if (t == NULL)
                return;
        free(t->share_num);
        free(t->share_den);
        free(t->counts);
        free(t->count_pub);
        free(t->count_reasons);
        free(t->share_pub);
        free(t->share_reasons);
        free(t->mark);
        free(t);
}

/* Linear index of coord, or -1 when a coordinate is out of range. */
static long cell_index(const swi_dc_table_t *t, const int *coord)
{
        long idx = 0;
        int d;

        if (coord == NULL)
                return -1;
        for (d = 0; d < t->ndims; d++) {
                if (coord[d] < SWI_DC_MARGIN || coord[d] >= t->ncats[d])
                        return -1;
                idx += ((long)coord[d] + 1) * t->stride[d];
        }
        return idx;
}

swi_err_t swi_dc_set_count(swi_dc_table_t *t, const int *coord, int field, int64_t v)
{
        long idx;

        assert(t != NULL);
        idx = cell_index(t, coord);
        if (idx < 0 || field < 0 || field >= t->nfields || v < 0 || v > SWI_DC_COUNT_MAX)
                return SWI_ERR_INVALID_ARG;
        t->counts[(size_t)field * (size_t)t->ncells + (size_t)idx] = v;
        t->applied = false;
        return SWI_OK;
}

void swi_dc_clear(swi_dc_table_t *t)
{
        assert(t != NULL);
        memset(t->counts, 0, (size_t)t->nfields * (size_t)t->ncells * sizeof(*t->counts));
        t->applied = false;
}

int64_t swi_dc_raw_count(const swi_dc_table_t *t, const int *coord, int field)
{
        long idx;

        assert(t != NULL);
        idx = cell_index(t, coord);
        if (idx < 0 || field < 0 || field >= t->nfields)
                return -1;
        return t->counts[(size_t)field * (size_t)t->ncells + (size_t)idx];
}

/* Position (0 = margin) of cell idx along dimension d. */
static long position(const swi_dc_table_t *t, long idx, int d)
{
        return (idx / t->stride[d]) % ((long)t->ncats[d] + 1);
}

/* Secondary suppression of one value kind, in rounds, until a round adds
 * nothing. key[c] is the unrounded count (for a share: its numerator) that
 * ranks candidates; reasons[c] is the kind's suppression state, updated in
 * place. The groups of a round all read the state at the start of the round:
 * choices go to t->mark first and are applied together afterwards. A group
 * with exactly one suppressed member and no candidate (every other member is
 * 0) gives up its margin instead (§6 settled points); the margin is a member
 * of the groups along the other dimensions, so the next round sees it there. */
static void secondary_rounds(swi_dc_table_t *t, const int64_t *key, uint8_t *reasons)
{
        const size_t nc = (size_t)t->ncells;
        size_t added;
        long base, idx, best;
        int d, k, nsup;

        do {
                memset(t->mark, 0, nc);
                for (d = 0; d < t->ndims; d++) {
                        for (base = 0; base < t->ncells; base++) {
                                if (position(t, base, d) != 0)
                                        continue;
                                nsup = 0;
                                for (k = 0; k < t->ncats[d] && nsup < 2; k++) {
                                        idx = base + ((long)k + 1) * t->stride[d];
                                        if (reasons[idx] != 0)
                                                nsup++;
                                }
                                if (nsup != 1)
                                        continue;
                                /* scanning in category order with a strict '<'
                                 * keeps the first of equal candidates */
                                best = -1;
                                for (k = 0; k < t->ncats[d]; k++) {
                                        idx = base + ((long)k + 1) * t->stride[d];
                                        if (reasons[idx] != 0 || key[idx] <= 0)
                                                continue;
                                        if (best < 0 || key[idx] < key[best])
                                                best = idx;
                                }
                                if (best >= 0)
                                        t->mark[best] = 1;
                                else if (reasons[base] == 0)
                                        t->mark[base] = 1;
                        }
                }
                added = 0;
                for (idx = 0; idx < t->ncells; idx++) {
                        if (t->mark[idx] != 0) {
                                assert(reasons[idx] == 0);
                                reasons[idx] |= SWI_DC_R_SECONDARY;
                                added++;
                        }
                }
        } while (added > 0);
}

swi_err_t swi_dc_apply(swi_dc_table_t *t, const swi_dc_params_t *p, char *errstr,
                       size_t errstr_size)
{
        const size_t nc = (size_t)t->ncells;
        const int64_t *num, *den, *cnt;
        const uint8_t *num_reasons;
        uint8_t *reasons;
        int64_t *pub, T, diff;
        size_t c;
        int f, s;

        assert(t != NULL);
        t->applied = false;
        if (!params_ok(p)) {
                set_err(errstr, errstr_size, "rounding base and threshold must be >= 1");
                return SWI_ERR_INVALID_ARG;
        }
        T = p->threshold;
        for (s = 0; s < t->nshares; s++) {
                num = t->counts + (size_t)t->share_num[s] * nc;
                den = t->counts + (size_t)t->share_den[s] * nc;
                for (c = 0; c < nc; c++) {
                        if (num[c] > den[c]) {
                                set_err(errstr, errstr_size,
                                        "share %d: numerator %" PRId64 " > denominator %" PRId64
                                        " in cell %zu",
                                        s, num[c], den[c], c);
                                return SWI_ERR_INVALID_ARG;
                        }
                }
        }

        /* counts: every field on its own, settled before any share reads it.
         * A numerator whose share's den - num is in 1..T-1 starts suppressed
         * (COMPLEMENT): published next to its denominator it would give the
         * complement back (§6 settled points). */
        for (f = 0; f < t->nfields; f++) {
                cnt = t->counts + (size_t)f * nc;
                reasons = t->count_reasons + (size_t)f * nc;
                for (c = 0; c < nc; c++)
                        reasons[c] = cnt[c] >= 1 && cnt[c] < T ? SWI_DC_R_PRIMARY : 0;
        }
        for (s = 0; s < t->nshares; s++) {
                num = t->counts + (size_t)t->share_num[s] * nc;
                den = t->counts + (size_t)t->share_den[s] * nc;
                reasons = t->count_reasons + (size_t)t->share_num[s] * nc;
                for (c = 0; c < nc; c++) {
                        diff = den[c] - num[c];
                        if (diff >= 1 && diff <= T - 1)
                                reasons[c] |= SWI_DC_R_COMPLEMENT;
                }
        }
        for (f = 0; f < t->nfields; f++) {
                cnt = t->counts + (size_t)f * nc;
                reasons = t->count_reasons + (size_t)f * nc;
                pub = t->count_pub + (size_t)f * nc;
                secondary_rounds(t, cnt, reasons);
                for (c = 0; c < nc; c++)
                        pub[c] = reasons[c] != 0 ? 0 : round_to_base(cnt[c], p->base);
        }

        /* shares: the numerator's final state (primary or secondary) is part of
         * the share's starting state; the denominator's secondary suppression
         * is not. A share over 0 is undefined: NULL, but not suppressed and no
         * suppressed member of any group (§6 settled points); its numerator is
         * 0, so it is never a candidate either. */
        for (s = 0; s < t->nshares; s++) {
                num = t->counts + (size_t)t->share_num[s] * nc;
                den = t->counts + (size_t)t->share_den[s] * nc;
                num_reasons = t->count_reasons + (size_t)t->share_num[s] * nc;
                reasons = t->share_reasons + (size_t)s * nc;
                pub = t->share_pub + (size_t)s * nc;
                for (c = 0; c < nc; c++) {
                        reasons[c] = 0;
                        if (den[c] == 0)
                                continue;
                        if (den[c] < T)
                                reasons[c] |= SWI_DC_R_DENOMINATOR;
                        if (num_reasons[c] != 0)
                                reasons[c] |= SWI_DC_R_NUMERATOR;
                        diff = den[c] - num[c];
                        if (diff >= 1 && diff <= T - 1)
                                reasons[c] |= SWI_DC_R_COMPLEMENT;
                }
                secondary_rounds(t, num, reasons);
                for (c = 0; c < nc; c++) {
                        /* den >= T >= 1 whenever a defined share is published */
                        pub[c] = reasons[c] != 0 || den[c] == 0
                                     ? 0
                                     : swi_round_half_away(100 * num[c], den[c], 1);
                }
        }
        t->applied = true;
        return SWI_OK;
}

static void fill_value(swi_dc_value_t *out, int64_t value, unsigned reasons)
{
        out->suppressed = reasons != 0;
        out->undefined = false;
        out->reasons = reasons;
        out->value = reasons != 0 ? 0 : value;
}

swi_err_t swi_dc_get_count(const swi_dc_table_t *t, const int *coord, int field,
                           swi_dc_value_t *out)
{
        size_t i;
        long idx;

        assert(t != NULL && out != NULL);
        idx = cell_index(t, coord);
        if (!t->applied || idx < 0 || field < 0 || field >= t->nfields)
                return SWI_ERR_INVALID_ARG;
        i = (size_t)field * (size_t)t->ncells + (size_t)idx;
        fill_value(out, t->count_pub[i], t->count_reasons[i]);
        return SWI_OK;
}

swi_err_t swi_dc_get_share(const swi_dc_table_t *t, const int *coord, int share,
                           swi_dc_value_t *out)
{
        size_t i;
        long idx;

        assert(t != NULL && out != NULL);
        idx = cell_index(t, coord);
        if (!t->applied || idx < 0 || share < 0 || share >= t->nshares)
                return SWI_ERR_INVALID_ARG;
        i = (size_t)share * (size_t)t->ncells + (size_t)idx;
        fill_value(out, t->share_pub[i], t->share_reasons[i]);
        out->undefined =
            t->counts[(size_t)t->share_den[share] * (size_t)t->ncells + (size_t)idx] == 0;
        return SWI_OK;
}

/* ---- lead times ----------------------------------------------------------- */

swi_err_t swi_dc_leadtime(const swi_dc_params_t *p, int64_t n, int nstats,
                          const swi_dc_ratio_t *stats, swi_dc_value_t *out)
{
        int i;

        if (!params_ok(p) || n < 0 || nstats < 0 || (nstats > 0 && (stats == NULL || out == NULL)))
                return SWI_ERR_INVALID_ARG;
        /* check everything first so that out is untouched on failure */
        for (i = 0; i < nstats && n >= p->threshold; i++) {
                if (stats[i].den == 0 || abs_u64(stats[i].num) > (uint64_t)INT64_MAX / 10)
                        return SWI_ERR_INVALID_ARG;
        }
        for (i = 0; i < nstats; i++) {
                if (n < p->threshold)
                        fill_value(&out[i], 0, SWI_DC_R_LEADTIME_N);
                else
                        fill_value(&out[i], swi_round_half_away(stats[i].num, stats[i].den, 1), 0);
        }
        return SWI_OK;
}
