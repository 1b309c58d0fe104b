/* indicators.c - the ten indicator families of indicators.md §5 with the
 * disclosure control of §6 (transform/disclosure.h).
 *
 * Every breakdown is one dense table of unrounded counts laid out as the
 * disclosure module lays out its cells (position 0 = margin `*`, positions
 * 1..ncats = categories; dimension 0 varies fastest). A person adds its
 * weight to all 2^D cells where each coordinate is either its category or the
 * margin, so margins are computed from unrounded values (§6) in one pass and
 * "the margin is the sum of its cells" holds by construction where the spec
 * asks for it (exam events, persons per onderdeel). Shares whose denominator
 * is a margin (the share of a category in its group) get a hidden count
 * field holding the margin's count in every cell of the group, because the
 * disclosure module takes shares as num / den of the same cell.
 *
 * Per-person facts that several breakdowns need (cohort, doelgroep, code
 * categories) are computed once into a scratch array; the families then make
 * one pass over the persons each. */
#include "transform/indicators.h"

#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IND_MAXD SWI_DC_MAX_DIMS
#define IND_MAXF 12
#define IND_MAXS 8
#define LT_NSTATS 5

static const char U_PERS[] = "personen";
static const char U_PCT[] = "procent";
static const char U_DAYS[] = "dagen";
static const char U_EV[] = "gebeurtenissen";

/* ---- rows ------------------------------------------------------------------ */

void swi_ind_rows_reset(swi_ind_rows_t *r)
{
        if (r != NULL)
                r->n = 0;
}

void swi_ind_rows_free(swi_ind_rows_t *r)
{
        if (r == NULL)
                return;
        free(r->v);
        r->v = NULL;
        r->n = r->cap = 0;
}

/* Room for extra more rows in r (capacity doubles); SWI_ERR_NOMEM when r
 * cannot grow. */
static swi_err_t rows_reserve(swi_ind_rows_t *r, size_t extra)
{
        if (r->n + extra <= r->cap)
                return SWI_OK;
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->n + extra)
                cap *= 2;
        swi_ind_row_t *v = realloc(r->v, cap * sizeof(*v));
        if (v == NULL)
                return SWI_ERR_NOMEM;
        r->v = v;
        r->cap = cap;
        return SWI_OK;
}

/* A zeroed new row at the end of r, or NULL when r cannot grow. */
static swi_ind_row_t *rows_push(swi_ind_rows_t *r)
{
        if (rows_reserve(r, 1) != SWI_OK)
                return NULL;
        memset(&r->v[r->n], 0, sizeof(r->v[0]));
        return &r->v[r->n++];
}

/* ---- category lists ---------------------------------------------------------- */

typedef char label_t[SWI_IND_LABEL_LEN];

typedef struct cats_s {
        int n;
        label_t *label;
} cats_t;

static void cats_free(cats_t *c)
{
        free(c->label);
        c->label = NULL;
        c->n = 0;
}

static swi_err_t cats_alloc(cats_t *c, int n)
{
        c->label = calloc(n > 0 ? (size_t)n : 1, sizeof(label_t));
        c->n = n;
        return c->label == NULL ? SWI_ERR_NOMEM : SWI_OK;
}

static swi_err_t cats_static(cats_t *c, const char *const *names, int n)
{
        if (cats_alloc(c, n) != SWI_OK)
                return SWI_ERR_NOMEM;
        for (int i = 0; i < n; i++)
                snprintf(c->label[i], sizeof(label_t), "%s", names[i]);
        return SWI_OK;
}

/* An enum of trajectory.h with 0 = ONBEKEND: values 1..cnt-1 in enum order,
 * then ONBEKEND when with_onbekend. */
static swi_err_t cats_enum(cats_t *c, swi_traj_enum_t which, int cnt, bool with_onbekend)
{
        if (cats_alloc(c, cnt - 1 + (with_onbekend ? 1 : 0)) != SWI_OK)
                return SWI_ERR_NOMEM;
        for (int v = 1; v < cnt; v++)
                snprintf(c->label[v - 1], sizeof(label_t), "%s", swi_traj_name(which, v));
        if (with_onbekend)
                snprintf(c->label[cnt - 1], sizeof(label_t), "ONBEKEND");
        return SWI_OK;
}

/* A 0-based enum (onderdeel, examniveau, grond): values 0..cnt-1. */
static swi_err_t cats_enum0(cats_t *c, swi_traj_enum_t which, int cnt)
{
        if (cats_alloc(c, cnt) != SWI_OK)
                return SWI_ERR_NOMEM;
        for (int v = 0; v < cnt; v++)
                snprintf(c->label[v], sizeof(label_t), "%s", swi_traj_name(which, v));
        return SWI_OK;
}

/* Category of enum value v in a cats_enum list (-1: not in it). */
static int enum_cat(int v, int cnt, bool with_onbekend)
{
        if (v >= 1 && v < cnt)
                return v - 1;
        return with_onbekend ? cnt - 1 : -1;
}

static int label_cmp(const void *a, const void *b)
{
        return strcmp((const char *)a, (const char *)b);
}

/* Codes: the distinct non-empty values of vals[0..n) ascending, then tail
 * ("ONBEKEND" or "OVERIG") when tail is not NULL. vals is sorted in place. */
static swi_err_t cats_codes(cats_t *c, label_t *vals, size_t n, const char *tail)
{
        size_t i, k = 0;

        qsort(vals, n, sizeof(label_t), label_cmp);
        for (i = 0; i < n; i++) {
                if (vals[i][0] == '\0' || (k > 0 && strcmp(vals[i], vals[k - 1]) == 0))
                        continue;
                if (k != i)
                        memcpy(vals[k], vals[i], sizeof(label_t));
                k++;
        }
        if (cats_alloc(c, (int)k + (tail != NULL ? 1 : 0)) != SWI_OK)
                return SWI_ERR_NOMEM;
        memcpy(c->label, vals, k * sizeof(label_t));
        if (tail != NULL)
                snprintf(c->label[k], sizeof(label_t), "%s", tail);
        return SWI_OK;
}

/* ---- the computation context --------------------------------------------------- */

/* Per person: what every family needs, computed once. */
typedef struct pinfo_s {
        bool in_u;     /* in U(P) */
        bool plichtig; /* in U(P), no einde on or before P */
        uint8_t dg;    /* doelgroep category 0..2 */
        int16_t coh;   /* cohort category */
        int16_t gem, reg, vgem, vreg, sector;
        int8_t werk_year[3];  /* swi_person_werk_year(p, 1..3) */
        int8_t bijstand_year; /* swi_person_bijstand_year(p, 1) */
        bool werkend;         /* settled, a werk spell covers P */
        bool deeltijd;        /* that spell (the most recently started) has < 32 h/week */
} pinfo_t;

typedef struct ctx_s {
        const swi_person_t *p;
        size_t n;
        int32_t P;
        swi_dc_params_t dc;
        swi_ind_rows_t *out;
        char *errstr;
        size_t errstr_size;
        pinfo_t *pi;
        cats_t coh, dg, dg_asiel, gesl, lft, tri, route, lbt, einde, ond, exn, vgr, gsl;
        cats_t gem, reg, vgem, vreg, sector;
} ctx_t;

static void set_err(ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(ctx_t *c, const char *fmt, ...)
{
        va_list ap;

        if (c->errstr == NULL || c->errstr_size == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(c->errstr, c->errstr_size, fmt, ap);
        va_end(ap);
}

static bool on_or_before(int32_t d, int32_t P)
{
        return d != SWI_DATE_NONE && d <= P;
}

static bool has_pip(const swi_person_t *p, int32_t P)
{
        return on_or_before(p->pip_datum, P);
}

/* ---- breakdowns ------------------------------------------------------------------ */

typedef struct fdef_s {
        const char *name;
        const char *unit;
        bool hidden; /* a denominator only: not published as a row */
} fdef_t;

typedef struct sdef_s {
        const char *name;
        int num, den;
        const char *noemer;
} sdef_t;

/* A hidden field that holds, in every cell, field src's count in the cell
 * with coordinate dim set to the margin. */
typedef struct mden_s {
        int field, src, dim;
} mden_t;

typedef struct bd_s {
        int family;
        const char *name;
        int ndims; /* dimension 0 = cohort, 1 = doelgroep */
        const char *dim_name[IND_MAXD];
        const cats_t *cats[IND_MAXD];
        int nfields;
        fdef_t f[IND_MAXF];
        int nshares;
        sdef_t s[IND_MAXS];
        int nmden;
        mden_t mden[IND_MAXS];
        /* A dimension published as measures, not as a dimension (the last one,
         * or -1): its margin's rows are named mname[0], its categories'
         * mname[1..]. One count field; no shares or lead times. */
        int mdim;
        const char *const *mname;
        bool leadtime;      /* fields 0 = n, 1 = n_open; lt[] holds the statistics */
        bool margins_done;  /* bd_margins() has run */
        const char *lt_noemer;
        long stride[IND_MAXD];
        long ncells;
        int64_t *acc;          /* [nfields][ncells], unrounded */
        uint8_t *norow;        /* [ncells] or NULL: cells not published */
        swi_dc_ratio_t *lt;    /* [ncells][LT_NSTATS] when leadtime */
} bd_t;

/* Starts a breakdown with dimensions cohort, doelgroep (dg, NULL = all three)
 * and the nextra further ones given as (name, cats) pairs. */
static void bd_init(bd_t *b, const ctx_t *c, int family, const char *name, const cats_t *dg,
                    int nextra, ...)
{
        va_list ap;

        memset(b, 0, sizeof(*b));
        b->family = family;
        b->name = name;
        b->mdim = -1;
        b->ndims = 2 + nextra;
        assert(b->ndims <= IND_MAXD);
        b->dim_name[0] = "cohort";
        b->cats[0] = &c->coh;
        b->dim_name[1] = "doelgroep";
        b->cats[1] = dg != NULL ? dg : &c->dg;
        va_start(ap, nextra);
        for (int d = 2; d < b->ndims; d++) {
                b->dim_name[d] = va_arg(ap, const char *);
                b->cats[d] = va_arg(ap, const cats_t *);
        }
        va_end(ap);
}

static int bd_field(bd_t *b, const char *name, const char *unit)
{
        assert(b->nfields < IND_MAXF);
        b->f[b->nfields].name = name;
        b->f[b->nfields].unit = unit;
        return b->nfields++;
}

/* Share num / den of the same cell. */
static void bd_share(bd_t *b, const char *name, int num, int den, const char *noemer)
{
        assert(b->nshares < IND_MAXS);
        b->s[b->nshares].name = name;
        b->s[b->nshares].num = num;
        b->s[b->nshares].den = den;
        b->s[b->nshares].noemer = noemer;
        b->nshares++;
}

/* Share of field num in its group along dimension dim: num / (num at the
 * margin of dim, other coordinates the same). */
static void bd_share_over(bd_t *b, const char *name, int num, int dim, const char *noemer)
{
        int h = bd_field(b, "noemer", U_PERS);

        b->f[h].hidden = true;
        assert(b->nmden < IND_MAXS);
        b->mden[b->nmden].field = h;
        b->mden[b->nmden].src = num;
        b->mden[b->nmden].dim = dim;
        b->nmden++;
        bd_share(b, name, num, h, noemer);
}

/* Allocates the table once the fields are declared. */
static swi_err_t bd_alloc(bd_t *b, bool norow)
{
        b->ncells = 1;
        for (int d = 0; d < b->ndims; d++) {
                b->stride[d] = b->ncells;
                b->ncells *= (long)b->cats[d]->n + 1;
        }
        b->acc = calloc((size_t)b->nfields * (size_t)b->ncells, sizeof(int64_t));
        if (b->acc == NULL)
                return SWI_ERR_NOMEM;
        if (norow) {
                b->norow = calloc((size_t)b->ncells, 1);
                if (b->norow == NULL)
                        return SWI_ERR_NOMEM;
        }
        if (b->leadtime) {
                b->lt = calloc((size_t)b->ncells * LT_NSTATS, sizeof(*b->lt));
                if (b->lt == NULL)
                        return SWI_ERR_NOMEM;
        }
        return SWI_OK;
}

static void bd_free(bd_t *b)
{
        free(b->acc);
        free(b->norow);
        free(b->lt);
        b->acc = NULL;
        b->norow = NULL;
        b->lt = NULL;
}

/* Adds w to field in the cell at cat (every coordinate a category); the
 * margins are summed from those cells once, by bd_margins(). */
static void bd_add(bd_t *b, const int *cat, int field, int64_t w)
{
        long idx = 0;

        for (int d = 0; d < b->ndims; d++) {
                assert(cat[d] >= 0 && cat[d] < b->cats[d]->n);
                idx += ((long)cat[d] + 1) * b->stride[d];
        }
        b->acc[(size_t)field * (size_t)b->ncells + (size_t)idx] += w;
}

/* Fills every margin cell with the sum of its categories' cells, one
 * dimension after another (so a cell at the margin of several dimensions
 * sums over all of them). Counts are additive, so this equals adding each
 * bd_add() to all 2^ndims cells it belongs to - at ncells * ndims additions
 * per field instead of persons * 2^ndims scattered ones. Idempotent. */
static void bd_margins(bd_t *b)
{
        if (b->margins_done)
                return;
        b->margins_done = true;
        for (int f = 0; f < b->nfields; f++) {
                int64_t *a = b->acc + (size_t)f * (size_t)b->ncells;
                for (int d = 0; d < b->ndims; d++) {
                        long stride = b->stride[d], n = (long)b->cats[d]->n + 1;
                        /* cells in blocks of stride * n: position 0 of dimension d
                         * is the first stride cells of each block */
                        for (long base = 0; base < b->ncells; base += stride * n)
                                for (long k = 1; k < n; k++)
                                        for (long j = 0; j < stride; j++)
                                                a[base + j] += a[base + k * stride + j];
                }
        }
}

static long bd_pos(const bd_t *b, long idx, int d)
{
        return (idx / b->stride[d]) % ((long)b->cats[d]->n + 1);
}

static void bd_coord(const bd_t *b, long idx, int *coord)
{
        for (int d = 0; d < b->ndims; d++)
                coord[d] = (int)bd_pos(b, idx, d) - 1;
}

/* strlcpy-like copy (the row was zeroed, size > 0) */
static void copy_label(char *dst, size_t size, const char *src)
{
        size_t n = strnlen(src, size - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
}

static void fill_row_cell(const bd_t *b, const int *coord, swi_ind_row_t *r)
{
        r->family = b->family;
        r->breakdown = b->name;
        copy_label(r->cohort, sizeof(r->cohort), coord[0] < 0 ? "*" : b->cats[0]->label[coord[0]]);
        copy_label(r->doelgroep, sizeof(r->doelgroep),
                   coord[1] < 0 ? "*" : b->cats[1]->label[coord[1]]);
        r->ndims = b->ndims - 2 - (b->mdim >= 0);
        for (int d = 2; d < 2 + r->ndims; d++) {
                r->dim_name[d - 2] = b->dim_name[d];
                copy_label(r->dim_value[d - 2], sizeof(r->dim_value[0]),
                           coord[d] < 0 ? "*" : b->cats[d]->label[coord[d]]);
        }
}

static swi_err_t emit(ctx_t *c, const bd_t *b, const int *coord, const char *measure,
                      const char *unit, swi_ind_kind_t kind, int64_t num, int64_t den,
                      const swi_dc_value_t *v, const char *noemer)
{
        swi_ind_row_t *r = rows_push(c->out);

        if (r == NULL)
                return SWI_ERR_NOMEM;
        fill_row_cell(b, coord, r);
        r->measure = measure;
        r->unit = unit;
        r->kind = kind;
        r->raw_num = num;
        r->raw_den = den;
        r->value = v->suppressed || v->undefined ? 0 : v->value;
        r->decimals = kind == SWI_IND_COUNT ? 0 : 1;
        r->onderdrukt = v->suppressed;
        r->undefined = v->undefined;
        r->reden = v->reasons;
        r->noemer = noemer;
        return SWI_OK;
}

static const char *const lt_names[LT_NSTATS] = {"gemiddelde", "p25", "mediaan", "p75", "p90"};

/* Emits the rows of one cell: published count fields, shares, lead times. */
static swi_err_t bd_emit_cell(ctx_t *c, const bd_t *b, const swi_dc_table_t *t, long idx,
                              const int *coord)
{
        swi_dc_value_t v, lt[LT_NSTATS];
        swi_err_t rc = SWI_OK;
        int64_t num, den;

        if (b->mdim >= 0) {
                /* the measure dimension: its margin, then its categories */
                int pc[IND_MAXD];
                memcpy(pc, coord, sizeof(pc));
                for (int k = -1; k < b->cats[b->mdim]->n; k++) {
                        pc[b->mdim] = k;
                        long pidx = idx + ((long)k + 1) * b->stride[b->mdim];
                        rc = swi_dc_get_count(t, pc, 0, &v);
                        if (rc != SWI_OK)
                                goto done;
                        rc = emit(c, b, coord, b->mname[k + 1], b->f[0].unit, SWI_IND_COUNT,
                                  b->acc[pidx], 1, &v, NULL);
                        if (rc != SWI_OK)
                                goto done;
                }
                goto done;
        }
        for (int f = 0; f < b->nfields; f++) {
                if (b->f[f].hidden)
                        continue;
                rc = swi_dc_get_count(t, coord, f, &v);
                if (rc != SWI_OK)
                        goto done;
                num = b->acc[(size_t)f * (size_t)b->ncells + (size_t)idx];
                rc = emit(c, b, coord, b->f[f].name, b->f[f].unit, SWI_IND_COUNT, num, 1, &v,
                          NULL);
                if (rc != SWI_OK)
                        goto done;
        }
        for (int s = 0; s < b->nshares; s++) {
                rc = swi_dc_get_share(t, coord, s, &v);
                if (rc != SWI_OK)
                        goto done;
                num = b->acc[(size_t)b->s[s].num * (size_t)b->ncells + (size_t)idx];
                den = b->acc[(size_t)b->s[s].den * (size_t)b->ncells + (size_t)idx];
                rc = emit(c, b, coord, b->s[s].name, U_PCT, SWI_IND_SHARE, num, den, &v,
                          b->s[s].noemer);
                if (rc != SWI_OK)
                        goto done;
        }
        if (b->leadtime) {
                const swi_dc_ratio_t *st = &b->lt[(size_t)idx * LT_NSTATS];
                int64_t n = b->acc[idx]; /* field 0 */
                rc = swi_dc_leadtime(&c->dc, n, LT_NSTATS, st, lt);
                if (rc != SWI_OK)
                        goto done;
                for (int k = 0; k < LT_NSTATS; k++) {
                        rc = emit(c, b, coord, lt_names[k], U_DAYS, SWI_IND_LEADTIME,
                                  st[k].num, st[k].den, &lt[k], b->lt_noemer);
                        if (rc != SWI_OK)
                                goto done;
                }
        }
done:
        return rc;
}

/* Fills the hidden denominators, applies §6 and emits the rows in order
 * (dimension 0 outermost, categories in order, then the margin). Frees the
 * breakdown's arrays whatever happens. */
static swi_err_t bd_finish(ctx_t *c, bd_t *b)
{
        swi_dc_table_t *t = NULL;
        int ncats[IND_MAXD], num[IND_MAXS], den[IND_MAXS], coord[IND_MAXD], ord[IND_MAXD];
        char err[256] = "";
        swi_err_t rc = SWI_OK;
        long idx;

        bd_margins(b);
        for (int m = 0; m < b->nmden; m++) {
                int64_t *dst = b->acc + (size_t)b->mden[m].field * (size_t)b->ncells;
                const int64_t *src = b->acc + (size_t)b->mden[m].src * (size_t)b->ncells;
                int d = b->mden[m].dim;
                for (idx = 0; idx < b->ncells; idx++)
                        dst[idx] = src[idx - bd_pos(b, idx, d) * b->stride[d]];
        }
        for (int d = 0; d < b->ndims; d++)
                ncats[d] = b->cats[d]->n;
        for (int s = 0; s < b->nshares; s++) {
                num[s] = b->s[s].num;
                den[s] = b->s[s].den;
        }
        t = swi_dc_table_new(b->ndims, ncats, b->nfields, b->nshares, num, den, err, sizeof(err));
        if (t == NULL) {
                set_err(c, "%s: %s", b->name, err);
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        for (int f = 0; f < b->nfields; f++) {
                const int64_t *a = b->acc + (size_t)f * (size_t)b->ncells;
                for (idx = 0; idx < b->ncells; idx++) {
                        if (a[idx] == 0)
                                continue;
                        bd_coord(b, idx, coord);
                        rc = swi_dc_set_count(t, coord, f, a[idx]);
                        if (rc != SWI_OK) {
                                set_err(c, "%s: count out of range", b->name);
                                goto done;
                        }
                }
        }
        rc = swi_dc_apply(t, &c->dc, err, sizeof(err));
        if (rc != SWI_OK) {
                set_err(c, "%s: %s", b->name, err);
                goto done;
        }
        /* odometer over ordinals: ordinal k < ncats is category k, ncats is `*` */
        memset(ord, 0, sizeof(ord));
        if (b->mdim >= 0)
                ord[b->mdim] = ncats[b->mdim]; /* bd_emit_cell walks it */
        for (;;) {
                idx = 0;
                for (int d = 0; d < b->ndims; d++) {
                        coord[d] = ord[d] < ncats[d] ? ord[d] : SWI_DC_MARGIN;
                        idx += ((long)coord[d] + 1) * b->stride[d];
                }
                if (b->norow == NULL || b->norow[idx] == 0) {
                        rc = bd_emit_cell(c, b, t, idx, coord);
                        if (rc != SWI_OK) {
                                set_err(c, "%s: cannot emit rows", b->name);
                                goto done;
                        }
                }
                int d = b->ndims - 1 - (b->mdim >= 0);
                while (d >= 0) {
                        ord[d]++;
                        if (ord[d] <= ncats[d])
                                break;
                        ord[d] = 0;
                        d--;
                }
                if (d < 0)
                        break;
        }
done:
        swi_dc_table_destroy(t);
        bd_free(b);
        return rc;
}

/* ---- per-person categories ------------------------------------------------------ */

typedef enum dimkind_e {
        DK_GESLACHT,
        DK_LFT,
        DK_JONGERE,
        DK_ROUTE,
        DK_GEM,
        DK_REG,
        DK_VGEM,
        DK_VREG
} dimkind_t;

static int pcat(const ctx_t *c, size_t i, dimkind_t k)
{
        const swi_person_t *p = &c->p[i];

        switch (k) {
        case DK_GESLACHT:
                return enum_cat(p->geslacht, SWI_GESLACHT__CNT, true);
        case DK_LFT:
                return enum_cat(p->leeftijdsklasse, SWI_LFT__CNT, true);
        case DK_JONGERE:
                return enum_cat(p->jongere, SWI_TRI__CNT, true);
        case DK_ROUTE:
                return enum_cat(p->leerroute, SWI_ROUTE__CNT, true);
        case DK_GEM:
                return c->pi[i].gem;
        case DK_REG:
                return c->pi[i].reg;
        case DK_VGEM:
                return c->pi[i].vgem;
        case DK_VREG:
                return c->pi[i].vreg;
        }
        return 0;
}

static const cats_t *kcats(const ctx_t *c, dimkind_t k)
{
        switch (k) {
        case DK_GESLACHT:
                return &c->gesl;
        case DK_LFT:
                return &c->lft;
        case DK_JONGERE:
                return &c->tri;
        case DK_ROUTE:
                return &c->route;
        case DK_GEM:
                return &c->gem;
        case DK_REG:
                return &c->reg;
        case DK_VGEM:
                return &c->vgem;
        case DK_VREG:
                return &c->vreg;
        }
        return NULL;
}

/* ---- family 1: populatie --------------------------------------------------------- */

static swi_err_t fam1_simple(ctx_t *c, const char *name, const char *dname, dimkind_t k)
{
        bd_t b;
        swi_err_t rc;
        int fg, fp;

        bd_init(&b, c, 1, name, NULL, 1, dname, kcats(c, k));
        fg = bd_field(&b, "cohortgrootte", U_PERS);
        fp = bd_field(&b, "plichtigen", U_PERS);
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u)
                        continue;
                int cat[3] = {c->pi[i].coh, c->pi[i].dg, pcat(c, i, k)};
                bd_add(&b, cat, fg, 1);
                if (c->pi[i].plichtig)
                        bd_add(&b, cat, fp, 1);
        }
        return bd_finish(c, &b);
done:
        bd_free(&b);
        return rc;
}

/* A set of nonzero codes (code_key values) with an index per code: open
 * addressing, so that building the category lists of n persons costs O(n)
 * instead of sorting n codes. */
typedef struct codemap_s {
        uint64_t *key; /* 0 = empty slot */
        int32_t *idx;
        size_t mask;
        int shift;
} codemap_t;

static swi_err_t codemap_init(codemap_t *m, size_t n)
{
        size_t cap = 64;
        int bits = 6;
        while (cap < 2 * n) {
                cap <<= 1;
                bits++;
        }
        m->key = calloc(cap, sizeof(*m->key));
        m->idx = malloc(cap * sizeof(*m->idx));
        m->mask = cap - 1;
        m->shift = 64 - bits;
        return m->key != NULL && m->idx != NULL ? SWI_OK : SWI_ERR_NOMEM;
}

static void codemap_free(codemap_t *m)
{
        free(m->key);
        free(m->idx);
        memset(m, 0, sizeof(*m));
}

static size_t codemap_slot(const codemap_t *m, uint64_t key)
{
        size_t h = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> m->shift);
        while (m->key[h] != 0 && m->key[h] != key)
                h = (h + 1) & m->mask;
        return h;
}

/* Adds key (nonzero); returns true when it was new. */
static bool codemap_add(codemap_t *m, uint64_t key)
{
        size_t h = codemap_slot(m, key);
        if (m->key[h] == key)
                return false;
        m->key[h] = key;
        m->idx[h] = -1;
        return true;
}

static void codemap_set(codemap_t *m, uint64_t key, int32_t idx)
{
        m->idx[codemap_slot(m, key)] = idx;
}

/* The index of key, or -1 when absent (or key is 0). */
static int32_t codemap_get(const codemap_t *m, uint64_t key)
{
        if (key == 0)
                return -1;
        size_t h = codemap_slot(m, key);
        return m->key[h] == key ? m->idx[h] : -1;
}

static uint64_t code_key(const char *s);
static int u64_cmp(const void *a, const void *b);

static int nat_cmp(const void *a, const void *b)
{
        return memcmp(a, b, 4);
}

/* The nationaliteit breakdown: the categories of a group (cohort, doelgroep
 * fixed, margins included) are the five most frequent codes among that
 * group's persons of U(P), ties by code, and OVERIG for the rest and for
 * ONBEKEND. The table's dimension holds every code that is a top-5 code of
 * some group; a cell whose code is not one of its own group's five is not
 * published (its persons are in that group's OVERIG). */
static swi_err_t fam1_nationaliteit(ctx_t *c)
{
        char(*codes)[4] = NULL;
        int64_t *cnt = NULL; /* [ngroups][ncode + 1][2] */
        int *catof = NULL, *top = NULL, *ntop = NULL;
        cats_t natc = {0};
        codemap_t cm = {0};
        label_t *lab = NULL;
        size_t ncode = 0;
        swi_err_t rc = SWI_OK;
        bd_t b;
        int ngc, ngd, ngroups, nlab = 0;

        memset(&b, 0, sizeof(b));
        if (codemap_init(&cm, c->n) != SWI_OK)
                goto nomem;
        codes = malloc((c->n > 0 ? c->n : 1) * sizeof(*codes));
        if (codes == NULL)
                goto nomem;
        for (size_t i = 0; i < c->n; i++) {
                char key[4];
                if (!c->pi[i].in_u || c->p[i].nationaliteit[0] == '\0')
                        continue;
                memcpy(key, c->p[i].nationaliteit, 3);
                key[3] = '\0';
                if (codemap_add(&cm, code_key(key)))
                        memcpy(codes[ncode++], key, 4);
        }
        qsort(codes, ncode, sizeof(*codes), nat_cmp);
        for (size_t i = 0; i < ncode; i++)
                codemap_set(&cm, code_key(codes[i]), (int32_t)i);

        ngc = c->coh.n + 1;
        ngd = c->dg.n + 1;
        ngroups = ngc * ngd;
        cnt = calloc((size_t)ngroups * (ncode + 1) * 2, sizeof(int64_t));
        top = malloc((size_t)ngroups * 5 * sizeof(int));
        ntop = calloc((size_t)ngroups, sizeof(int));
        catof = malloc((ncode + 1) * sizeof(int));
        if (cnt == NULL || top == NULL || ntop == NULL || catof == NULL)
                goto nomem;
        for (size_t i = 0; i < c->n; i++) {
                char key[4];
                if (!c->pi[i].in_u)
                        continue;
                memcpy(key, c->p[i].nationaliteit, 4);
                key[3] = '\0';
                int32_t hit = key[0] == '\0' ? -1 : codemap_get(&cm, code_key(key));
                size_t ci = hit < 0 ? ncode : (size_t)hit;
                int gc[2] = {c->pi[i].coh + 1, 0}, gd[2] = {c->pi[i].dg + 1, 0};
                for (int a = 0; a < 2; a++)
                        for (int d = 0; d < 2; d++) {
                                size_t g = (size_t)gc[a] * (size_t)ngd + (size_t)gd[d];
                                int64_t *e = cnt + (g * (ncode + 1) + ci) * 2;
                                e[0]++;
                                if (c->pi[i].plichtig)
                                        e[1]++;
                        }
        }
        /* top five per group; ONBEKEND (index ncode) never competes */
        for (size_t i = 0; i <= ncode; i++)
                catof[i] = -1;
        for (int g = 0; g < ngroups; g++) {
                for (int k = 0; k < 5; k++) {
                        long best = -1;
                        for (size_t ci = 0; ci < ncode; ci++) {
                                int64_t v = cnt[((size_t)g * (ncode + 1) + ci) * 2];
                                bool taken = false;
                                for (int j = 0; j < ntop[g]; j++)
                                        taken = taken || top[g * 5 + j] == (int)ci;
                                if (v == 0 || taken)
                                        continue;
                                /* strict '>' keeps the smaller code on a tie */
                                if (best < 0 || v > cnt[((size_t)g * (ncode + 1) + (size_t)best) * 2])
                                        best = (long)ci;
                        }
                        if (best < 0)
                                break;
                        top[g * 5 + ntop[g]++] = (int)best;
                        catof[best] = 0;
                }
        }
        lab = calloc(ncode + 1, sizeof(label_t));
        if (lab == NULL)
                goto nomem;
        for (size_t ci = 0; ci < ncode; ci++)
                if (catof[ci] == 0)
                        snprintf(lab[nlab++], sizeof(label_t), "%s", codes[ci]);
        rc = cats_codes(&natc, lab, (size_t)nlab, "OVERIG");
        if (rc != SWI_OK)
                goto done;
        nlab = 0;
        for (size_t ci = 0; ci < ncode; ci++)
                if (catof[ci] == 0)
                        catof[ci] = nlab++;

        bd_init(&b, c, 1, "populatie_nationaliteit", NULL, 1, "nationaliteit", &natc);
        bd_field(&b, "cohortgrootte", U_PERS);
        bd_field(&b, "plichtigen", U_PERS);
        rc = bd_alloc(&b, true);
        if (rc != SWI_OK)
                goto done;
        memset(b.norow, 1, (size_t)b.ncells);
        for (int gcp = 0; gcp < ngc; gcp++) {
                for (int gdp = 0; gdp < ngd; gdp++) {
                        size_t g = (size_t)gcp * (size_t)ngd + (size_t)gdp;
                        long base = gcp * b.stride[0] + gdp * b.stride[1];
                        long ov = base + (long)natc.n * b.stride[2]; /* OVERIG */
                        for (int f = 0; f < 2; f++) {
                                int64_t *a = b.acc + (size_t)f * (size_t)b.ncells;
                                int64_t total = 0, tops = 0;
                                for (size_t ci = 0; ci <= ncode; ci++)
                                        total += cnt[(g * (ncode + 1) + ci) * 2 + (size_t)f];
                                for (int j = 0; j < ntop[g]; j++) {
                                        int ci = top[(int)g * 5 + j];
                                        int64_t v = cnt[(g * (ncode + 1) + (size_t)ci) * 2 + (size_t)f];
                                        long idx = base + ((long)catof[ci] + 1) * b.stride[2];
                                        a[idx] = v;
                                        tops += v;
                                        b.norow[idx] = 0;
                                }
                                a[ov] = total - tops;
                                a[base] = total;
                        }
                        b.norow[ov] = 0;
                        b.norow[base] = 0;
                }
        }
        b.margins_done = true; /* every cell, margins included, is filled above */
        rc = bd_finish(c, &b);
        goto done;
nomem:
        set_err(c, "populatie_nationaliteit: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        bd_free(&b);
        cats_free(&natc);
        free(lab);
        free(codes);
        codemap_free(&cm);
        free(cnt);
        free(top);
        free(ntop);
        free(catof);
        return rc;
}

static swi_err_t fam1(ctx_t *c)
{
        swi_err_t rc;

        rc = fam1_simple(c, "populatie_geslacht", "geslacht", DK_GESLACHT);
        if (rc == SWI_OK)
                rc = fam1_simple(c, "populatie_leeftijdsklasse", "leeftijdsklasse", DK_LFT);
        if (rc == SWI_OK)
                rc = fam1_nationaliteit(c);
        if (rc == SWI_OK)
                rc = fam1_simple(c, "populatie_gemeente", "gemeente", DK_GEM);
        if (rc == SWI_OK)
                rc = fam1_simple(c, "populatie_arbeidsmarktregio", "arbeidsmarktregio", DK_REG);
        return rc;
}

/* ---- family 2: fase --------------------------------------------------------------- */

static const char *const fase_names[] = {
        "voldaan", "ontheffing_vrijstelling", "vervallen", "pip_B1", "pip_Z", "pip_ONDERWIJS",
        "pip_ONBEKEND", "in_opvang", "brede_intake_gestart", "gevestigd", "overig"};
#define FASE_N ((int)(sizeof(fase_names) / sizeof(fase_names[0])))

static int fase_of(const swi_person_t *p, int32_t P)
{
        if (on_or_before(p->einde_datum, P)) {
                if (p->einde == SWI_EINDE_VOLDAAN)
                        return 0;
                if (p->einde == SWI_EINDE_ONTHEFFING || p->einde == SWI_EINDE_VRIJSTELLING)
                        return 1;
                if (p->einde == SWI_EINDE_VERVALLEN)
                        return 2;
        }
        if (has_pip(p, P))
                return 3 + enum_cat(p->leerroute, SWI_ROUTE__CNT, true);
        if (p->in_opvang)
                return 7;
        if (on_or_before(p->brede_intake_start, P))
                return 8;
        if (on_or_before(p->vestiging_datum, P))
                return 9;
        return 10;
}

static swi_err_t fam2(ctx_t *c)
{
        cats_t fc = {0};
        swi_err_t rc;
        bd_t b;
        int f, fpl, fmet, fzonder, fpip;

        memset(&b, 0, sizeof(b));
        rc = cats_static(&fc, fase_names, FASE_N);
        if (rc != SWI_OK)
                goto done;
        bd_init(&b, c, 2, "fase", NULL, 1, "fase", &fc);
        f = bd_field(&b, "personen", U_PERS);
        bd_share_over(&b, "aandeel_fase", f, 2, "U(P) in dezelfde cel over alle fasen (fase = *)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u)
                        continue;
                int cat[3] = {c->pi[i].coh, c->pi[i].dg, fase_of(&c->p[i], c->P)};
                bd_add(&b, cat, f, 1);
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 2, "fase_plichtigen", NULL, 0);
        fpl = bd_field(&b, "plichtigen", U_PERS);
        fmet = bd_field(&b, "in_opvang_met_pip", U_PERS);
        fzonder = bd_field(&b, "in_opvang_zonder_pip", U_PERS);
        fpip = bd_field(&b, "pip_vastgesteld", U_PERS);
        bd_share(&b, "aandeel_in_opvang_met_pip", fmet, fpl, "plichtigen op P (measure plichtigen)");
        bd_share(&b, "aandeel_in_opvang_zonder_pip", fzonder, fpl,
                 "plichtigen op P (measure plichtigen)");
        bd_share(&b, "aandeel_pip_vastgesteld", fpip, fpl, "plichtigen op P (measure plichtigen)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                if (!c->pi[i].plichtig)
                        continue;
                int cat[2] = {c->pi[i].coh, c->pi[i].dg};
                bool pip = has_pip(p, c->P);
                bd_add(&b, cat, fpl, 1);
                if (p->in_opvang)
                        bd_add(&b, cat, pip ? fmet : fzonder, 1);
                if (pip)
                        bd_add(&b, cat, fpip, 1);
        }
        rc = bd_finish(c, &b);
done:
        bd_free(&b);
        cats_free(&fc);
        return rc;
}

/* ---- family 3: PIP-termijn ----------------------------------------------------------- */

static const char *const termijn_names[] = {"binnen_10_weken", "na_10_weken", "voor_termijn",
                                            "geen_pip_einde", "geen_pip_tot_70_dagen",
                                            "geen_pip_meer_dan_70_dagen"};

static int termijn_of(const swi_person_t *p, int32_t P)
{
        int32_t s = p->start_pip_termijn;

        if (has_pip(p, P)) {
                /* same order of tests as §5.3: within, after, before the term;
                 * the first two exclude a PIP before the term (§4) */
                if (p->pip_datum >= s && p->pip_datum - s <= 70)
                        return 0;
                if (p->pip_datum >= s)
                        return 1;
                return 2;
        }
        if (on_or_before(p->einde_datum, P))
                return 3;
        return (int64_t)P - s <= 70 ? 4 : 5;
}

static swi_err_t fam3(ctx_t *c)
{
        cats_t tc = {0};
        swi_err_t rc;
        bd_t b;
        int f;

        memset(&b, 0, sizeof(b));
        rc = cats_static(&tc, termijn_names, 6);
        if (rc != SWI_OK)
                goto done;
        bd_init(&b, c, 3, "pip_termijn", NULL, 1, "pip_termijn", &tc);
        f = bd_field(&b, "personen", U_PERS);
        bd_share_over(&b, "aandeel_pip_termijn", f, 2,
                      "personen met start_pip_termijn <= P in dezelfde cel (pip_termijn = *)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                if (!c->pi[i].in_u || !on_or_before(p->start_pip_termijn, c->P))
                        continue;
                int cat[3] = {c->pi[i].coh, c->pi[i].dg, termijn_of(p, c->P)};
                bd_add(&b, cat, f, 1);
        }
        rc = bd_finish(c, &b);
done:
        bd_free(&b);
        cats_free(&tc);
        return rc;
}

/* ---- family 4: doorlooptijden ------------------------------------------------------------ */

typedef struct ltv_s {
        int32_t v;
        int16_t coh;
        uint8_t dg;
} ltv_t;

/* Sorts v[0..n) ascending by value: LSD radix sort, four passes of 8 bits
 * (tmp has room for n). Ties keep no particular order; only the values are
 * read afterwards. */
static void ltv_sort(ltv_t *v, size_t n, ltv_t *tmp)
{
        size_t cnt[256 + 1];
        ltv_t *src = v, *dst = tmp;

        for (int sh = 0; sh < 32; sh += 8) {
                memset(cnt, 0, sizeof(cnt));
                for (size_t i = 0; i < n; i++)
                        cnt[((((uint32_t)src[i].v ^ 0x80000000u) >> sh) & 0xffu) + 1]++;
                for (size_t k = 1; k <= 256; k++)
                        cnt[k] += cnt[k - 1];
                for (size_t i = 0; i < n; i++)
                        dst[cnt[(((uint32_t)src[i].v ^ 0x80000000u) >> sh) & 0xffu]++] = src[i];
                ltv_t *t = src;
                src = dst;
                dst = t;
        }
        /* an even number of passes: the result is back in v */
}

/* numpy's default quantile of sorted x[0..n), q = qa / qb: position
 * (n-1) q, linear between the closest ranks, as an exact ratio. */
static swi_dc_ratio_t quantile(const int32_t *x, int64_t n, int64_t qa, int64_t qb)
{
        swi_dc_ratio_t r;
        int64_t t = (n - 1) * qa, lo = t / qb, rem = t % qb;

        if (rem == 0) {
                r.num = x[lo];
                r.den = 1;
        } else {
                r.num = (int64_t)x[lo] * qb + ((int64_t)x[lo + 1] - x[lo]) * rem;
                r.den = qb;
        }
        return r;
}

typedef struct ltdef_s {
        const char *name;
        const char *noemer;
        int start, end; /* offsets of the dates in swi_person_t */
} ltdef_t;

#define PO(f) ((int)offsetof(swi_person_t, f))
static const ltdef_t lt_defs[] = {
        {"doorlooptijd_status_koppeling",
         "personen in U(P) met status_verleend en koppeling op of voor P (measure n)",
         PO(status_verleend), PO(koppeling_datum)},
        {"doorlooptijd_status_vestiging",
         "personen in U(P) met status_verleend en vestiging op of voor P (measure n)",
         PO(status_verleend), PO(vestiging_datum)},
        {"doorlooptijd_vestiging_pip",
         "personen in U(P) met vestiging en pip_datum op of voor P (measure n)",
         PO(vestiging_datum), PO(pip_datum)},
        {"doorlooptijd_status_pip",
         "personen in U(P) met status_verleend en pip_datum op of voor P (measure n)",
         PO(status_verleend), PO(pip_datum)},
        {"doorlooptijd_plicht_brede_intake",
         "personen in U(P) met plicht_start en brede_intake_start op of voor P (measure n)",
         PO(plicht_start), PO(brede_intake_start)},
};
#undef PO

static int32_t pdate(const swi_person_t *p, int off)
{
        int32_t d;
        memcpy(&d, (const char *)p + off, sizeof(d));
        return d;
}

static swi_err_t fam4_leadtime(ctx_t *c, const ltdef_t *def, ltv_t *vals, ltv_t *tmp,
                              int32_t *scratch)
{
        swi_err_t rc;
        size_t nv = 0;
        bd_t b;
        int fn, fo;

        bd_init(&b, c, 4, def->name, NULL, 0);
        b.leadtime = true;
        b.lt_noemer = def->noemer;
        fn = bd_field(&b, "n", U_PERS);
        fo = bd_field(&b, "n_open", U_PERS);
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                int32_t s = pdate(p, def->start), e = pdate(p, def->end);
                if (!c->pi[i].in_u || !on_or_before(s, c->P))
                        continue;
                int cat[2] = {c->pi[i].coh, c->pi[i].dg};
                if (on_or_before(e, c->P)) {
                        bd_add(&b, cat, fn, 1);
                        vals[nv].v = e - s;
                        vals[nv].coh = (int16_t)cat[0];
                        vals[nv].dg = (uint8_t)cat[1];
                        nv++;
                } else {
                        bd_add(&b, cat, fo, 1);
                }
        }
        ltv_sort(vals, nv, tmp);
        bd_margins(&b);
        /* every value belongs to four cells (its cohort or *, its doelgroep
         * or *); lay the cells' values out one after another, each run
         * ascending because vals is */
        {
                size_t *at = malloc((size_t)b.ncells * sizeof(*at));
                if (at == NULL) {
                        rc = SWI_ERR_NOMEM;
                        goto done;
                }
                size_t pos = 0;
                for (long idx = 0; idx < b.ncells; idx++) {
                        at[idx] = pos;
                        pos += (size_t)b.acc[idx]; /* field 0 = n */
                }
                assert(pos == 4 * nv);
                for (size_t k = 0; k < nv; k++) {
                        long cp = vals[k].coh + 1, gp = vals[k].dg + 1;
                        scratch[at[cp * b.stride[0] + gp * b.stride[1]]++] = vals[k].v;
                        scratch[at[gp * b.stride[1]]++] = vals[k].v;
                        scratch[at[cp * b.stride[0]]++] = vals[k].v;
                        scratch[at[0]++] = vals[k].v;
                }
                pos = 0;
                for (long idx = 0; idx < b.ncells; idx++) {
                        swi_dc_ratio_t *st = &b.lt[(size_t)idx * LT_NSTATS];
                        int64_t n = b.acc[idx], sum = 0;
                        const int32_t *x = scratch + pos;
                        pos += (size_t)n;
                        if (n == 0)
                                continue; /* every ratio 0/0: suppressed (n < T, T >= 1) */
                        for (int64_t k = 0; k < n; k++)
                                sum += x[k];
                        st[0].num = sum;
                        st[0].den = n;
                        st[1] = quantile(x, n, 1, 4);
                        st[2] = quantile(x, n, 1, 2);
                        st[3] = quantile(x, n, 3, 4);
                        st[4] = quantile(x, n, 9, 10);
                }
                free(at);
        }
        return bd_finish(c, &b);
done:
        bd_free(&b);
        return rc;
}

static const char *const bucket_names[] = {"<=168", "169-364", ">=365"};

static swi_err_t fam4(ctx_t *c)
{
        ltv_t *vals = NULL, *tmp = NULL;
        int32_t *scratch = NULL;
        cats_t kc = {0};
        swi_err_t rc = SWI_OK;
        bd_t b;
        int f;

        memset(&b, 0, sizeof(b));
        vals = malloc((c->n > 0 ? c->n : 1) * sizeof(*vals));
        tmp = malloc((c->n > 0 ? c->n : 1) * sizeof(*tmp));
        scratch = malloc((c->n > 0 ? c->n : 1) * 4 * sizeof(*scratch));
        if (vals == NULL || tmp == NULL || scratch == NULL) {
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        for (size_t k = 0; k < sizeof(lt_defs) / sizeof(lt_defs[0]) && rc == SWI_OK; k++)
                rc = fam4_leadtime(c, &lt_defs[k], vals, tmp, scratch);
        if (rc != SWI_OK)
                goto done;

        rc = cats_static(&kc, bucket_names, 3);
        if (rc != SWI_OK)
                goto done;
        bd_init(&b, c, 4, "doorlooptijd_status_pip_klasse", NULL, 1, "dagen_klasse", &kc);
        f = bd_field(&b, "personen", U_PERS);
        bd_share_over(&b, "aandeel_dagen_klasse", f, 2,
                      "personen in U(P) met status_verleend en pip_datum op of voor P "
                      "(dagen_klasse = *)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                if (!c->pi[i].in_u || !on_or_before(p->status_verleend, c->P) || !has_pip(p, c->P))
                        continue;
                int32_t d = p->pip_datum - p->status_verleend;
                int cat[3] = {c->pi[i].coh, c->pi[i].dg, d <= 168 ? 0 : d <= 364 ? 1 : 2};
                bd_add(&b, cat, f, 1);
        }
        rc = bd_finish(c, &b);
done:
        bd_free(&b);
        cats_free(&kc);
        free(vals);
        free(tmp);
        free(scratch);
        return rc;
}

/* ---- family 5: leerroute ------------------------------------------------------------------ */

static swi_err_t fam5_cross(ctx_t *c, const char *name, const char *dname, dimkind_t k,
                            const char *share_x, const char *noemer_x)
{
        swi_err_t rc;
        bd_t b;
        int f;

        bd_init(&b, c, 5, name, NULL, 2, "leerroute", &c->route, dname, kcats(c, k));
        f = bd_field(&b, "personen", U_PERS);
        bd_share_over(&b, "aandeel_leerroute", f, 2,
                      "personen met PIP op of voor P in dezelfde cel over alle leerroutes "
                      "(leerroute = *)");
        bd_share_over(&b, share_x, f, 3, noemer_x);
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u || !has_pip(&c->p[i], c->P))
                        continue;
                int cat[4] = {c->pi[i].coh, c->pi[i].dg, pcat(c, i, DK_ROUTE), pcat(c, i, k)};
                bd_add(&b, cat, f, 1);
        }
        return bd_finish(c, &b);
done:
        bd_free(&b);
        return rc;
}

static swi_err_t fam5(ctx_t *c)
{
        swi_err_t rc;
        bd_t b;
        int fp, fw, f;

        memset(&b, 0, sizeof(b));
        rc = fam5_cross(c, "leerroute_geslacht", "geslacht", DK_GESLACHT, "aandeel_geslacht",
                        "personen met PIP op of voor P in dezelfde cel over alle geslachten "
                        "(geslacht = *)");
        if (rc == SWI_OK)
                rc = fam5_cross(c, "leerroute_jongere", "jongere", DK_JONGERE, "aandeel_jongere",
                                "personen met PIP op of voor P in dezelfde cel, jongere = *");
        if (rc == SWI_OK)
                rc = fam5_cross(c, "leerroute_leeftijdsklasse", "leeftijdsklasse", DK_LFT,
                                "aandeel_leeftijdsklasse",
                                "personen met PIP op of voor P in dezelfde cel over alle "
                                "leeftijdsklassen (leeftijdsklasse = *)");
        if (rc == SWI_OK)
                rc = fam5_cross(c, "leerroute_gemeente", "gemeente", DK_GEM, "aandeel_gemeente",
                                "personen met PIP op of voor P in dezelfde cel over alle "
                                "gemeenten (gemeente = *)");
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 5, "leerroute_wissel", NULL, 0);
        fp = bd_field(&b, "personen_met_pip", U_PERS);
        fw = bd_field(&b, "met_routewissel", U_PERS);
        bd_share(&b, "aandeel_met_routewissel", fw, fp,
                 "personen met PIP op of voor P (measure personen_met_pip)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u || !has_pip(&c->p[i], c->P))
                        continue;
                int cat[2] = {c->pi[i].coh, c->pi[i].dg};
                bd_add(&b, cat, fp, 1);
                if (c->p[i].route_switches > 0)
                        bd_add(&b, cat, fw, 1);
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 5, "leerroute_lbt", NULL, 2, "lbt_uitkomst", &c->lbt, "leerroute",
                &c->route);
        f = bd_field(&b, "personen", U_PERS);
        bd_share_over(&b, "aandeel_leerroute", f, 3,
                      "personen met PIP en LBT op of voor P met dezelfde lbt_uitkomst "
                      "(leerroute = *)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                int lc = enum_cat(p->lbt_uitkomst, SWI_LBT__CNT, false);
                if (!c->pi[i].in_u || !has_pip(p, c->P) || !on_or_before(p->lbt_datum, c->P) ||
                    lc < 0)
                        continue;
                int cat[4] = {c->pi[i].coh, c->pi[i].dg, lc, pcat(c, i, DK_ROUTE)};
                bd_add(&b, cat, f, 1);
        }
        rc = bd_finish(c, &b);
done:
        bd_free(&b);
        return rc;
}

/* ---- family 6: voor de vestiging -------------------------------------------------------------- */

static const char *const overpl_names[] = {"0", "1-2", "3+"};
static const char *const afstand_names[] = {"<20", "20-100", ">100", "ONBEKEND"};

static bool in_fam6(const ctx_t *c, size_t i)
{
        const swi_person_t *p = &c->p[i];
        return c->pi[i].in_u && p->doelgroep == SWI_DOELGROEP_ASIEL &&
               on_or_before(p->opvang_instroom, c->P);
}

static swi_err_t fam6(ctx_t *c)
{
        static const char N6[] = "asielpersonen in U(P) met OpvangInstroom op of voor P "
                                 "(measure personen)";
        cats_t oc = {0}, ac = {0};
        swi_err_t rc;
        bd_t b;
        int fp, fg, fa, fb, f;

        memset(&b, 0, sizeof(b));
        rc = cats_static(&oc, overpl_names, 3);
        if (rc == SWI_OK)
                rc = cats_static(&ac, afstand_names, 4);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 6, "voor_vestiging_voorinburgering", &c->dg_asiel, 0);
        fp = bd_field(&b, "personen", U_PERS);
        fg = bd_field(&b, "voorinburgering_gestart", U_PERS);
        fa = bd_field(&b, "voorinburgering_afgerond", U_PERS);
        fb = bd_field(&b, "voorinburgering_afgebroken", U_PERS);
        bd_share(&b, "aandeel_voorinburgering_gestart", fg, fp, N6);
        bd_share(&b, "aandeel_voorinburgering_afgerond", fa, fp, N6);
        bd_share(&b, "aandeel_voorinburgering_afgebroken", fb, fp, N6);
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                if (!in_fam6(c, i))
                        continue;
                int cat[2] = {c->pi[i].coh, 0};
                bd_add(&b, cat, fp, 1);
                if (on_or_before(p->voorinburgering_start, c->P))
                        bd_add(&b, cat, fg, 1);
                if (on_or_before(p->voorinburgering_einde, c->P)) {
                        if (p->voorinburgering_uitkomst == SWI_VI_AFGEROND)
                                bd_add(&b, cat, fa, 1);
                        else if (p->voorinburgering_uitkomst == SWI_VI_AFGEBROKEN)
                                bd_add(&b, cat, fb, 1);
                }
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 6, "voor_vestiging_overplaatsingen", &c->dg_asiel, 1, "overplaatsingen",
                &oc);
        f = bd_field(&b, "personen", U_PERS);
        bd_share_over(&b, "aandeel_overplaatsingen", f, 2,
                      "asielpersonen in U(P) met OpvangInstroom op of voor P in dezelfde cel "
                      "(overplaatsingen = *)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                unsigned o = c->p[i].overplaatsingen;
                if (!in_fam6(c, i))
                        continue;
                int cat[3] = {c->pi[i].coh, 0, o == 0 ? 0 : o <= 2 ? 1 : 2};
                bd_add(&b, cat, f, 1);
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 6, "voor_vestiging_afstand", &c->dg_asiel, 1, "afstand_km", &ac);
        f = bd_field(&b, "personen", U_PERS);
        bd_share_over(&b, "aandeel_afstand_km", f, 2,
                      "asielpersonen in U(P) met OpvangInstroom en koppeling op of voor P in "
                      "dezelfde cel (afstand_km = *)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                int32_t km = p->koppeling_afstand_km;
                if (!in_fam6(c, i) || !on_or_before(p->koppeling_datum, c->P))
                        continue;
                int cat[3] = {c->pi[i].coh, 0, km < 0 ? 3 : km < 20 ? 0 : km <= 100 ? 1 : 2};
                bd_add(&b, cat, f, 1);
        }
        rc = bd_finish(c, &b);
done:
        bd_free(&b);
        cats_free(&oc);
        cats_free(&ac);
        return rc;
}

/* ---- families 7 and 8: werk, bijstand ------------------------------------------------------------ */

static const char *const werk_den[3] = {"personen_jaar1", "personen_jaar2", "personen_jaar3"};
static const char *const werk_num[3] = {"met_werk_jaar1", "met_werk_jaar2", "met_werk_jaar3"};
static const char *const werk_share[3] = {"aandeel_werk_jaar1", "aandeel_werk_jaar2",
                                          "aandeel_werk_jaar3"};
static const char *const werk_noemer[3] = {
        "personen in U(P) van wie jaar 1 na vestiging op of voor P eindigde (measure "
        "personen_jaar1)",
        "personen in U(P) van wie jaar 2 na vestiging op of voor P eindigde (measure "
        "personen_jaar2)",
        "personen in U(P) van wie jaar 3 na vestiging op of voor P eindigde (measure "
        "personen_jaar3)"};

static swi_err_t fam_spells(ctx_t *c, int family, const char *name, const char *dname,
                            dimkind_t k)
{
        swi_err_t rc;
        int fd[3], fn[3];
        int years = family == 7 ? 3 : 1;
        bd_t b;

        bd_init(&b, c, family, name, NULL, 1, dname, kcats(c, k));
        for (int y = 0; y < years; y++) {
                fd[y] = bd_field(&b, werk_den[y], U_PERS);
                fn[y] = bd_field(&b, family == 7 ? werk_num[y] : "met_bijstand_jaar1", U_PERS);
                bd_share(&b, family == 7 ? werk_share[y] : "aandeel_bijstand_jaar1", fn[y], fd[y],
                         werk_noemer[y]);
        }
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u)
                        continue;
                int cat[3] = {c->pi[i].coh, c->pi[i].dg, pcat(c, i, k)};
                for (int y = 0; y < years; y++) {
                        int r = family == 7 ? c->pi[i].werk_year[y] : c->pi[i].bijstand_year;
                        if (r < 0)
                                continue;
                        bd_add(&b, cat, fd[y], 1);
                        if (r > 0)
                                bd_add(&b, cat, fn[y], 1);
                }
        }
        return bd_finish(c, &b);
done:
        bd_free(&b);
        return rc;
}

/* The werk spell covering P of a person with a vestiging on or before P. */
static const swi_werk_spell_t *werk_now(const ctx_t *c, size_t i)
{
        const swi_person_t *p = &c->p[i];
        if (!c->pi[i].in_u || !on_or_before(p->vestiging_datum, c->P))
                return NULL;
        return swi_person_werk_at(p, c->P);
}

static swi_err_t fam7(ctx_t *c)
{
        swi_err_t rc;
        bd_t b;
        int f, fw, fd;

        memset(&b, 0, sizeof(b));
        rc = fam_spells(c, 7, "werk_geslacht", "geslacht", DK_GESLACHT);
        if (rc == SWI_OK)
                rc = fam_spells(c, 7, "werk_gemeente", "vestiging_gemeente", DK_VGEM);
        if (rc == SWI_OK)
                rc = fam_spells(c, 7, "werk_arbeidsmarktregio", "vestiging_arbeidsmarktregio",
                                DK_VREG);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 7, "werk_sector", NULL, 1, "sector", &c->sector);
        f = bd_field(&b, "personen", U_PERS);
        bd_share_over(&b, "aandeel_sector", f, 2,
                      "personen in U(P) met vestiging en een werkperiode die P dekt, in dezelfde "
                      "cel (sector = *)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].werkend)
                        continue;
                int cat[3] = {c->pi[i].coh, c->pi[i].dg, c->pi[i].sector};
                bd_add(&b, cat, f, 1);
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 7, "werk_deeltijd", NULL, 0);
        fw = bd_field(&b, "werkend_op_peildatum", U_PERS);
        fd = bd_field(&b, "deeltijd", U_PERS);
        bd_share(&b, "aandeel_deeltijd", fd, fw,
                 "personen in U(P) met vestiging en een werkperiode die P dekt (measure "
                 "werkend_op_peildatum)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].werkend)
                        continue;
                int cat[2] = {c->pi[i].coh, c->pi[i].dg};
                bd_add(&b, cat, fw, 1);
                if (c->pi[i].deeltijd)
                        bd_add(&b, cat, fd, 1);
        }
        rc = bd_finish(c, &b);
done:
        bd_free(&b);
        return rc;
}

static swi_err_t fam8(ctx_t *c)
{
        swi_err_t rc;

        rc = fam_spells(c, 8, "bijstand_geslacht", "geslacht", DK_GESLACHT);
        if (rc == SWI_OK)
                rc = fam_spells(c, 8, "bijstand_gemeente", "vestiging_gemeente", DK_VGEM);
        if (rc == SWI_OK)
                rc = fam_spells(c, 8, "bijstand_arbeidsmarktregio", "vestiging_arbeidsmarktregio",
                                DK_VREG);
        return rc;
}

/* ---- family 9: voortgang ------------------------------------------------------------------ */

static const char *const exam_measures[] = {"examens", "examens_geslaagd", "examens_niet_geslaagd"};

static swi_err_t fam9(ctx_t *c)
{
        swi_err_t rc = SWI_OK;
        bd_t b;
        int f, fv, fb, fp, ft;
        int32_t P6 = swi_date_add_months(c->P, 6);

        memset(&b, 0, sizeof(b));
        /* exam events by onderdeel x niveau x geslaagd: five dimensions with
         * cohort and doelgroep, disclosure-controlled as such; geslaagd is
         * published as the measures examens (its margin), examens_geslaagd
         * and examens_niet_geslaagd */
        bd_init(&b, c, 9, "voortgang_examens", NULL, 3, "onderdeel", &c->ond, "niveau", &c->exn,
                "geslaagd", &c->gsl);
        f = bd_field(&b, "examens", U_EV);
        b.mdim = 4;
        b.mname = exam_measures;
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                if (!c->pi[i].in_u)
                        continue;
                for (int o = 0; o < SWI_OND__CNT; o++)
                        for (int v = 0; v < SWI_EXN__CNT; v++) {
                                int cat[5] = {c->pi[i].coh, c->pi[i].dg, o, v, 0};
                                if (p->exams[o][v][1] > 0)
                                        bd_add(&b, cat, f, p->exams[o][v][1]);
                                cat[4] = 1;
                                if (p->exams[o][v][0] > 0)
                                        bd_add(&b, cat, f, p->exams[o][v][0]);
                        }
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        /* persons per onderdeel: one add per onderdeel passed, so the margin
         * over onderdeel is the sum of its cells (§5.9) */
        bd_init(&b, c, 9, "voortgang_geslaagd_onderdeel", NULL, 1, "onderdeel", &c->ond);
        f = bd_field(&b, "personen_geslaagd", U_PERS);
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u)
                        continue;
                for (int o = 0; o < SWI_OND__CNT; o++) {
                        int cat[3] = {c->pi[i].coh, c->pi[i].dg, o};
                        if (c->p[i].exams_passed & (1u << o))
                                bd_add(&b, cat, f, 1);
                }
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 9, "voortgang_einde", NULL, 1, "einde", &c->einde);
        f = bd_field(&b, "personen", U_PERS);
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                int e = enum_cat(p->einde, SWI_EINDE__CNT, false);
                if (!c->pi[i].in_u || e < 0 || !on_or_before(p->einde_datum, c->P))
                        continue;
                int cat[3] = {c->pi[i].coh, c->pi[i].dg, e};
                bd_add(&b, cat, f, 1);
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 9, "voortgang_voldaan_niveau", NULL, 0);
        fv = bd_field(&b, "voldaan", U_PERS);
        fb = bd_field(&b, "voldaan_b1_of_b2", U_PERS);
        bd_share(&b, "aandeel_voldaan_b1_of_b2", fb, fv,
                 "personen in U(P) met einde voldaan op of voor P (measure voldaan)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                if (!c->pi[i].in_u || p->einde != SWI_EINDE_VOLDAAN ||
                    !on_or_before(p->einde_datum, c->P))
                        continue;
                int cat[2] = {c->pi[i].coh, c->pi[i].dg};
                bd_add(&b, cat, fv, 1);
                if (p->hoogste_niveau == SWI_NIVEAU_B1 || p->hoogste_niveau == SWI_NIVEAU_B2)
                        bd_add(&b, cat, fb, 1);
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 9, "voortgang_termijn", NULL, 0);
        fp = bd_field(&b, "plichtigen_met_pip", U_PERS);
        ft = bd_field(&b, "termijn_einde_binnen_6_maanden", U_PERS);
        bd_share(&b, "aandeel_termijn_einde_binnen_6_maanden", ft, fp,
                 "plichtigen op P met PIP op of voor P (measure plichtigen_met_pip)");
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                if (!c->pi[i].plichtig || !has_pip(p, c->P))
                        continue;
                int cat[2] = {c->pi[i].coh, c->pi[i].dg};
                bd_add(&b, cat, fp, 1);
                if (p->termijn_einde != SWI_DATE_NONE && p->termijn_einde > c->P &&
                    p->termijn_einde <= P6)
                        bd_add(&b, cat, ft, 1);
        }
        rc = bd_finish(c, &b);
        if (rc != SWI_OK)
                goto done;

        bd_init(&b, c, 9, "voortgang_verlengingen", NULL, 1, "grond", &c->vgr);
        f = bd_field(&b, "termijnverlengingen", U_EV);
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u)
                        continue;
                for (int g = 0; g < SWI_VGR__CNT; g++) {
                        int cat[3] = {c->pi[i].coh, c->pi[i].dg, g};
                        if (c->p[i].verlengingen[g] > 0)
                                bd_add(&b, cat, f, c->p[i].verlengingen[g]);
                }
        }
        rc = bd_finish(c, &b);
done:
        bd_free(&b);
        return rc;
}

/* ---- family 10: completeness ------------------------------------------------------------- */

static swi_err_t fam10(ctx_t *c)
{
        static const char N10[] = "personen in U(P) met BredeIntakeAfgerond op of voor P "
                                  "(measure brede_intake_afgerond)";
        swi_err_t rc;
        bd_t b;
        int fa, fo, fw, fk, f3;

        bd_init(&b, c, 10, "volledigheid_brede_intake", NULL, 0);
        fa = bd_field(&b, "brede_intake_afgerond", U_PERS);
        fo = bd_field(&b, "opleidingsniveau_bekend", U_PERS);
        fw = bd_field(&b, "werkervaring_bekend", U_PERS);
        fk = bd_field(&b, "jonge_kinderen_bekend", U_PERS);
        f3 = bd_field(&b, "alle_drie_bekend", U_PERS);
        bd_share(&b, "aandeel_opleidingsniveau_bekend", fo, fa, N10);
        bd_share(&b, "aandeel_werkervaring_bekend", fw, fa, N10);
        bd_share(&b, "aandeel_jonge_kinderen_bekend", fk, fa, N10);
        bd_share(&b, "aandeel_alle_drie_bekend", f3, fa, N10);
        rc = bd_alloc(&b, false);
        if (rc != SWI_OK)
                goto done;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                if (!c->pi[i].in_u || !on_or_before(p->brede_intake_afgerond, c->P))
                        continue;
                int cat[2] = {c->pi[i].coh, c->pi[i].dg};
                bool o = p->opleidingsniveau != SWI_OPL_ONBEKEND;
                bool w = p->werkervaring != SWI_WERKERV_ONBEKEND;
                bool k = p->jonge_kinderen != SWI_TRI_ONBEKEND;
                bd_add(&b, cat, fa, 1);
                if (o)
                        bd_add(&b, cat, fo, 1);
                if (w)
                        bd_add(&b, cat, fw, 1);
                if (k)
                        bd_add(&b, cat, fk, 1);
                if (o && w && k)
                        bd_add(&b, cat, f3, 1);
        }
        return bd_finish(c, &b);
done:
        bd_free(&b);
        return rc;
}

/* ---- setup ------------------------------------------------------------------------------- */

static int cohort_year(int32_t d)
{
        int y, m, day;
        swi_date_to_ymd(d, &y, &m, &day);
        return y;
}

/* A code of up to 8 characters as a number that sorts like the string. */
static uint64_t code_key(const char *s)
{
        uint64_t k = 0;
        int i;

        for (i = 0; i < 8 && s[i] != '\0'; i++)
                k |= (uint64_t)(unsigned char)s[i] << (8 * (7 - i));
        return k;
}

static int u64_cmp(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

/* One code list (gemeente, regio, ...) over U(P): the distinct codes
 * ascending, then ONBEKEND; and every person's category. keys has room for
 * c->n values. */
static swi_err_t setup_codes(ctx_t *c, uint64_t *keys, cats_t *cats, size_t off, size_t pinfo_off)
{
        codemap_t cm = {0};
        size_t nk = 0;

        if (codemap_init(&cm, c->n) != SWI_OK) {
                codemap_free(&cm);
                return SWI_ERR_NOMEM;
        }
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u)
                        continue;
                uint64_t key = code_key((const char *)&c->p[i] + off);
                if (key != 0 && codemap_add(&cm, key))
                        keys[nk++] = key;
        }
        qsort(keys, nk, sizeof(*keys), u64_cmp);
        for (size_t j = 0; j < nk; j++)
                codemap_set(&cm, keys[j], (int32_t)j);
        if (cats_alloc(cats, (int)nk + 1) != SWI_OK) {
                codemap_free(&cm);
                return SWI_ERR_NOMEM;
        }
        for (size_t j = 0; j < nk; j++)
                for (int b = 0; b < 8; b++)
                        cats->label[j][b] = (char)(keys[j] >> (8 * (7 - b)));
        snprintf(cats->label[nk], sizeof(label_t), "ONBEKEND");
        for (size_t i = 0; i < c->n; i++) {
                if (!c->pi[i].in_u)
                        continue;
                int32_t hit = codemap_get(&cm, code_key((const char *)&c->p[i] + off));
                int16_t v = (int16_t)(hit < 0 ? (long)nk : hit);
                memcpy((char *)&c->pi[i] + pinfo_off, &v, sizeof(v));
        }
        codemap_free(&cm);
        return SWI_OK;
}

static swi_err_t setup(ctx_t *c)
{
        static const char *const dg_names[] = {"ASIEL", "GEZIN", "OVERIG"};
        static const char *const gsl_names[] = {"ja", "nee"};
        uint64_t *scratch = NULL;
        swi_err_t rc = SWI_OK;
        int miny = 0, maxy = -1, *ymap = NULL;
        bool sect[26] = {false};

        c->pi = calloc(c->n > 0 ? c->n : 1, sizeof(*c->pi));
        scratch = calloc(c->n > 0 ? c->n : 1, sizeof(*scratch));
        if (c->pi == NULL || scratch == NULL)
                goto nomem;
        for (size_t i = 0; i < c->n; i++) {
                const swi_person_t *p = &c->p[i];
                pinfo_t *q = &c->pi[i];
                q->in_u = p->in_populatie && p->wet == SWI_WET_WI2021 &&
                          on_or_before(p->plicht_start, c->P) &&
                          p->doelgroep >= SWI_DOELGROEP_ASIEL &&
                          p->doelgroep <= SWI_DOELGROEP_OVERIG;
                if (!q->in_u)
                        continue;
                q->plichtig = !on_or_before(p->einde_datum, c->P) || p->einde == SWI_EINDE_NONE;
                q->dg = (uint8_t)(p->doelgroep - 1);
                int y = cohort_year(p->plicht_start);
                if (maxy < miny) {
                        miny = maxy = y;
                } else {
                        miny = y < miny ? y : miny;
                        maxy = y > maxy ? y : maxy;
                }
        }
        /* cohorts: the years present in U(P), ascending */
        if (maxy >= miny) {
                int ny = 0;
                ymap = malloc((size_t)(maxy - miny + 1) * sizeof(int));
                if (ymap == NULL)
                        goto nomem;
                for (int y = 0; y <= maxy - miny; y++)
                        ymap[y] = -1;
                for (size_t i = 0; i < c->n; i++)
                        if (c->pi[i].in_u)
                                ymap[cohort_year(c->p[i].plicht_start) - miny] = 0;
                for (int y = 0; y <= maxy - miny; y++)
                        if (ymap[y] == 0)
                                ymap[y] = ny++;
                if (cats_alloc(&c->coh, ny) != SWI_OK)
                        goto nomem;
                for (int y = 0; y <= maxy - miny; y++)
                        if (ymap[y] >= 0)
                                snprintf(c->coh.label[ymap[y]], sizeof(label_t), "%d", miny + y);
                for (size_t i = 0; i < c->n; i++)
                        if (c->pi[i].in_u)
                                c->pi[i].coh =
                                        (int16_t)ymap[cohort_year(c->p[i].plicht_start) - miny];
        } else if (cats_alloc(&c->coh, 0) != SWI_OK) {
                goto nomem;
        }

        rc = cats_static(&c->dg, dg_names, 3);
        if (rc == SWI_OK)
                rc = cats_static(&c->dg_asiel, dg_names, 1);
        if (rc == SWI_OK)
                rc = cats_enum(&c->gesl, SWI_TE_GESLACHT, SWI_GESLACHT__CNT, true);
        if (rc == SWI_OK)
                rc = cats_enum(&c->lft, SWI_TE_LFTKLASSE, SWI_LFT__CNT, true);
        if (rc == SWI_OK)
                rc = cats_enum(&c->tri, SWI_TE_TRI, SWI_TRI__CNT, true);
        if (rc == SWI_OK)
                rc = cats_enum(&c->route, SWI_TE_LEERROUTE, SWI_ROUTE__CNT, true);
        if (rc == SWI_OK)
                rc = cats_enum(&c->lbt, SWI_TE_LBT, SWI_LBT__CNT, false);
        if (rc == SWI_OK)
                rc = cats_enum(&c->einde, SWI_TE_EINDE, SWI_EINDE__CNT, false);
        if (rc == SWI_OK)
                rc = cats_enum0(&c->ond, SWI_TE_ONDERDEEL, SWI_OND__CNT);
        if (rc == SWI_OK)
                rc = cats_enum0(&c->exn, SWI_TE_EXAMNIVEAU, SWI_EXN__CNT);
        if (rc == SWI_OK)
                rc = cats_enum0(&c->vgr, SWI_TE_VGR, SWI_VGR__CNT);
        if (rc == SWI_OK)
                rc = cats_static(&c->gsl, gsl_names, 2);
        if (rc == SWI_OK)
                rc = setup_codes(c, scratch, &c->gem, offsetof(swi_person_t, gemeente),
                                 offsetof(pinfo_t, gem));
        if (rc == SWI_OK)
                rc = setup_codes(c, scratch, &c->reg, offsetof(swi_person_t, regio),
                                 offsetof(pinfo_t, reg));
        if (rc == SWI_OK)
                rc = setup_codes(c, scratch, &c->vgem, offsetof(swi_person_t, vestiging_gemeente),
                                 offsetof(pinfo_t, vgem));
        if (rc == SWI_OK)
                rc = setup_codes(c, scratch, &c->vreg, offsetof(swi_person_t, vestiging_regio),
                                 offsetof(pinfo_t, vreg));
        if (rc != SWI_OK)
                goto nomem;

        /* werk and bijstand years once per person; sectors of the spells
         * covering P (letters ascending, then ONBEKEND) */
        for (size_t i = 0; i < c->n; i++) {
                const swi_werk_spell_t *w;
                if (!c->pi[i].in_u)
                        continue;
                for (int y = 0; y < 3; y++)
                        c->pi[i].werk_year[y] = (int8_t)swi_person_werk_year(&c->p[i], y + 1);
                c->pi[i].bijstand_year = (int8_t)swi_person_bijstand_year(&c->p[i], 1);
                w = werk_now(c, i);
                c->pi[i].werkend = w != NULL;
                c->pi[i].deeltijd = w != NULL && w->uren_per_week < 32;
                if (w != NULL && w->sector >= 'A' && w->sector <= 'Z')
                        sect[w->sector - 'A'] = true;
        }
        {
                int ns = 0, map[26];
                for (int l = 0; l < 26; l++)
                        map[l] = sect[l] ? ns++ : -1;
                if (cats_alloc(&c->sector, ns + 1) != SWI_OK)
                        goto nomem;
                for (int l = 0; l < 26; l++)
                        if (map[l] >= 0)
                                snprintf(c->sector.label[map[l]], sizeof(label_t), "%c", 'A' + l);
                snprintf(c->sector.label[ns], sizeof(label_t), "ONBEKEND");
                for (size_t i = 0; i < c->n; i++) {
                        const swi_werk_spell_t *w = werk_now(c, i);
                        if (w != NULL)
                                c->pi[i].sector = (int16_t)(w->sector >= 'A' && w->sector <= 'Z'
                                                                    ? map[w->sector - 'A']
                                                                    : ns);
                }
        }
        goto done;
nomem:
        set_err(c, "out of memory while preparing %zu persons", c->n);
        rc = SWI_ERR_NOMEM;
done:
        free(scratch);
        free(ymap);
        return rc;
}

static void ctx_free(ctx_t *c)
{
        cats_t *all[] = {&c->coh,   &c->dg,  &c->dg_asiel, &c->gesl, &c->lft,    &c->tri,
                         &c->route, &c->lbt, &c->einde,    &c->ond,  &c->exn,    &c->vgr,
                         &c->gem,   &c->reg, &c->vgem,     &c->vreg, &c->sector, &c->gsl};
        for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
                cats_free(all[k]);
        free(c->pi);
        c->pi = NULL;
}

static swi_err_t (*const families[SWI_IND_FAMILIES])(ctx_t *) = {
        fam1, fam2, fam3, fam4, fam5, fam6, fam7, fam8, fam9, fam10};

/* Families [from, to) of a set-up context, appended to c->out. */
static swi_err_t run_families(ctx_t *c, int from, int to)
{
        swi_err_t rc = SWI_OK;
        /* an empty U(P) has no cohort: nothing to publish (a table needs a category) */
        for (int f = from; f < to && rc == SWI_OK && c->coh.n > 0; f++)
                rc = families[f](c);
        return rc;
}

/* The second thread of swi_ind_compute2(): a copy of the set-up context that
 * shares its read-only tables and has its own output and message. */
typedef struct part_s {
        ctx_t c;
        char err[256];
        swi_err_t rc;
} part_t;

static void *part_main(void *arg)
{
        part_t *p = arg;
        p->rc = run_families(&p->c, SWI_IND_SPLIT, SWI_IND_FAMILIES);
        return NULL;
}

/* Appends src's rows to dst. */
static swi_err_t rows_append(swi_ind_rows_t *dst, const swi_ind_rows_t *src)
{
        if (rows_reserve(dst, src->n) != SWI_OK)
                return SWI_ERR_NOMEM;
        if (src->n)
                memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
        dst->n += src->n;
        return SWI_OK;
}

static swi_err_t compute(const swi_person_t *persons, size_t n, int32_t P,
                         const swi_dc_params_t *dc, swi_ind_rows_t *out, swi_ind_rows_t *spare,
                         char *errstr, size_t errstr_size)
{
        const swi_dc_params_t def = SWI_DC_PARAMS_DEFAULT;
        swi_err_t rc = SWI_OK;
        ctx_t c;

        assert(out != NULL && (persons != NULL || n == 0));
        memset(&c, 0, sizeof(c));
        c.p = persons;
        c.n = n;
        c.P = P;
        c.dc = dc != NULL ? *dc : def;
        c.out = out;
        c.errstr = errstr;
        c.errstr_size = errstr_size;
        if (errstr != NULL && errstr_size > 0)
                errstr[0] = '\0';
        if (c.dc.base < 1 || c.dc.threshold < 1) {
                set_err(&c, "rounding base and threshold must be >= 1");
                rc = SWI_ERR_INVALID_ARG;
                goto done;
        }
        for (size_t i = 0; i < n; i++) {
                if (persons[i].peildatum != P) {
                        set_err(&c, "person %zu was derived at another peildatum", i);
                        rc = SWI_ERR_INVALID_ARG;
                        goto done;
                }
        }
        rc = setup(&c);
        if (rc != SWI_OK)
                goto done;
        if (spare == NULL) {
                rc = run_families(&c, 0, SWI_IND_FAMILIES);
                goto done;
        }
        {
                part_t part;
                pthread_t th;
                part.c = c;
                part.c.out = spare;
                part.c.errstr = part.err;
                part.c.errstr_size = sizeof(part.err);
                part.err[0] = '\0';
                part.rc = SWI_OK;
                swi_ind_rows_reset(spare);
                bool threaded = pthread_create(&th, NULL, part_main, &part) == 0;
                rc = run_families(&c, 0, SWI_IND_SPLIT);
                if (threaded)
                        pthread_join(th, NULL);
                else if (rc == SWI_OK)
                        part_main(&part); /* no thread to be had: the same work here */
                if (rc == SWI_OK && part.rc != SWI_OK) {
                        rc = part.rc;
                        set_err(&c, "%s", part.err);
                }
                if (rc == SWI_OK && rows_append(out, spare) != SWI_OK) {
                        set_err(&c, "out of memory for %zu rows", out->n + spare->n);
                        rc = SWI_ERR_NOMEM;
                }
        }
done:
        ctx_free(&c);
        return rc;
}

swi_err_t swi_ind_compute(const swi_person_t *persons, size_t n, int32_t P,
                          const swi_dc_params_t *dc, swi_ind_rows_t *out, char *errstr,
                          size_t errstr_size)
{
        return compute(persons, n, P, dc, out, NULL, errstr, errstr_size);
}

swi_err_t swi_ind_compute2(const swi_person_t *persons, size_t n, int32_t P,
                           const swi_dc_params_t *dc, swi_ind_rows_t *out, swi_ind_rows_t *spare,
                           char *errstr, size_t errstr_size)
{
        assert(spare != NULL);
        return compute(persons, n, P, dc, out, spare, errstr, errstr_size);
}

/* ---- COPY text ---------------------------------------------------------------------- */

int swi_ind_reasons_format(unsigned reden, char *buf, size_t size)
{
        size_t len = 0;

        if (buf == NULL || size == 0)
                return -1;
        buf[0] = '\0';
        for (unsigned bit = 1; bit != 0 && bit <= reden; bit <<= 1) {
                if ((reden & bit) == 0)
                        continue;
                int k = snprintf(buf + len, size - len, "%s%s", len > 0 ? "," : "",
                                 swi_dc_reason2str(bit));
                if (k < 0 || (size_t)k >= size - len) {
                        buf[0] = '\0';
                        return -1;
                }
                len += (size_t)k;
        }
        return (int)len;
}

typedef struct sbuf_s {
        char *p;
        size_t size, len;
        bool overflow;
} sbuf_t;

static void sb_putc(sbuf_t *s, char ch)
{
        if (s->len + 1 >= s->size) {
                s->overflow = true;
                return;
        }
        s->p[s->len++] = ch;
        s->p[s->len] = '\0';
}

/* A COPY text field: \N for NULL, backslash escapes; then the separator. */
static void sb_field(sbuf_t *s, const char *v, char sep)
{
        if (v == NULL) {
                sb_putc(s, '\\');
                sb_putc(s, 'N');
        } else {
                for (; *v != '\0'; v++) {
                        switch (*v) {
                        case '\\':
                                sb_putc(s, '\\');
                                sb_putc(s, '\\');
                                break;
                        case '\t':
                                sb_putc(s, '\\');
                                sb_putc(s, 't');
                                break;
                        case '\n':
                                sb_putc(s, '\\');
                                sb_putc(s, 'n');
                                break;
                        case '\r':
                                sb_putc(s, '\\');
                                sb_putc(s, 'r');
                                break;
                        default:
                                sb_putc(s, *v);
                        }
                }
        }
        sb_putc(s, sep);
}

static void format_known_at(int64_t k, char *buf, size_t size)
{
        char d[SWI_DATE_BUF];
        int64_t day, ms;

        if (k == SWI_K_ALL) {
                snprintf(buf, size, "infinity");
                return;
        }
        day = k / 86400000;
        ms = k % 86400000;
        if (ms < 0) {
                ms += 86400000;
                day--;
        }
        swi_date_format(day, d);
        snprintf(buf, size, "%s %02d:%02d:%02d.%03d+00", d, (int)(ms / 3600000),
                 (int)(ms / 60000 % 60), (int)(ms / 1000 % 60), (int)(ms % 1000));
}

int swi_ind_row_copy_line(const swi_ind_row_t *row, int32_t peildatum, int64_t known_at,
                          char *buf, size_t size)
{
        char pd[SWI_DATE_BUF], ka[48], fam[8], val[32], reden[96];
        sbuf_t s = {buf, size, 0, false};

        assert(row != NULL);
        if (buf == NULL || size == 0)
                return -1;
        buf[0] = '\0';
        swi_date_format(peildatum, pd);
        format_known_at(known_at, ka, sizeof(ka));
        snprintf(fam, sizeof(fam), "%d", row->family);
        bool null = row->onderdrukt || row->undefined;
        if (!null)
                swi_format_fixed(row->value, row->decimals, val, sizeof(val));
        swi_ind_reasons_format(row->reden, reden, sizeof(reden));
        sb_field(&s, pd, '\t');
        sb_field(&s, ka, '\t');
        sb_field(&s, fam, '\t');
        sb_field(&s, row->breakdown, '\t');
        sb_field(&s, row->cohort, '\t');
        sb_field(&s, row->doelgroep, '\t');
        for (int d = 0; d < SWI_IND_MAX_DIMS; d++) {
                bool used = d < row->ndims;
                sb_field(&s, used ? row->dim_name[d] : NULL, '\t');
                sb_field(&s, used ? row->dim_value[d] : NULL, '\t');
        }
        sb_field(&s, row->measure, '\t');
        sb_field(&s, row->unit, '\t');
        sb_field(&s, null ? NULL : val, '\t');
        sb_field(&s, row->onderdrukt ? "t" : "f", '\t');
        sb_field(&s, row->reden != 0 ? reden : NULL, '\t');
        sb_field(&s, row->noemer, '\n');
        if (s.overflow) {
                buf[0] = '\0';
                return -1;
        }
        return (int)s.len;
}
