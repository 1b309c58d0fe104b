/* trajectory.c - indicators.md §1-§4 as plain functions over events.
 *
 * Resolution works on one cluster at a time. The events are deduplicated and
 * sorted by (source, event_id) once (swi_cluster_t keeps that index and the
 * position of every correction's / retraction's target), so re-resolving the
 * same cluster at another K - which swi_cluster_versions() does for every
 * distinct registered_at - costs one linear pass plus a sort of the
 * effective events, with no new allocation. */
#include "transform/trajectory.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* swi_person_t must have no padding: versions are compared with memcmp. */
_Static_assert(offsetof(swi_person_t, key) == 80, "swi_person_t layout");
_Static_assert(offsetof(swi_person_t, werk) == 240, "swi_person_t layout: spells aligned");
_Static_assert(sizeof(swi_person_t) == 240 + SWI_PERSON_MAX_WERK * 12 + SWI_PERSON_MAX_BIJSTAND * 8,
               "swi_person_t has padding");
_Static_assert(sizeof(swi_person_key_t) == 1 + SWI_PSEUDO_LEN, "swi_person_key_t padding");
_Static_assert(SWI_FIND__CNT <= 32, "findings mask is 32 bits");

/* ---- names ------------------------------------------------------------------ */

static const char *const n_wet[] = {"ONBEKEND", "WI2021", "WI2013"};
static const char *const n_doelgroep[] = {"ONBEKEND", "ASIEL", "GEZIN", "OVERIG"};
static const char *const n_geslacht[] = {"ONBEKEND", "M", "V", "X"};
static const char *const n_lft[] = {"ONBEKEND", "<18", "18-24", "25-34", "35-44", "45-54", "55+"};
static const char *const n_tri[] = {"ONBEKEND", "JA", "NEE"};
static const char *const n_route[] = {"ONBEKEND", "B1", "Z", "ONDERWIJS"};
static const char *const n_lbt[] = {"ONBEKEND", "B1_HAALBAAR", "B1_NIET_HAALBAAR"};
static const char *const n_einde[] = {"ONBEKEND", "voldaan", "ontheffing", "vrijstelling",
                                      "vervallen"};
static const char *const n_niveau[] = {"ONBEKEND", "GEEN", "A1", "A2", "B1", "B2"};
static const char *const n_vi[] = {"ONBEKEND", "AFGEROND", "AFGEBROKEN"};
static const char *const n_opl[] = {"ONBEKEND", "GEEN", "PRIMAIR", "VOORTGEZET", "MBO", "HBO_WO"};
static const char *const n_werkerv[] = {"ONBEKEND", "GEEN", "TOT_2_JAAR", "TWEE_TOT_VIJF_JAAR",
                                        "VIJF_JAAR_OF_MEER"};
static const char *const n_contract[] = {"ONBEKEND", "VAST", "TIJDELIJK", "UITZEND", "ZELFSTANDIG"};
static const char *const n_onderdeel[] = {"LEZEN",   "LUISTEREN", "SCHRIJVEN",
                                          "SPREKEN", "KNM",       "STAATSEXAMEN_NT2"};
static const char *const n_exn[] = {"A1", "A2", "B1", "B2"};
static const char *const n_vgr[] = {"GEEN_AANBOD", "KINDEROPVANG", "VERBLIJF_AZC",
                                    "WERK",        "MEDISCH",      "OVERIG"};

#define SWI__N(a)                                                                                  \
        {                                                                                          \
                a, sizeof(a) / sizeof((a)[0])                                                      \
        }
static const struct {
        const char *const *names;
        int cnt;
} enum_names[SWI_TE__CNT] = {
    [SWI_TE_WET] = SWI__N(n_wet),           [SWI_TE_DOELGROEP] = SWI__N(n_doelgroep),
    [SWI_TE_GESLACHT] = SWI__N(n_geslacht), [SWI_TE_LFTKLASSE] = SWI__N(n_lft),
    [SWI_TE_TRI] = SWI__N(n_tri),           [SWI_TE_LEERROUTE] = SWI__N(n_route),
    [SWI_TE_LBT] = SWI__N(n_lbt),           [SWI_TE_EINDE] = SWI__N(n_einde),
    [SWI_TE_NIVEAU] = SWI__N(n_niveau),     [SWI_TE_VI] = SWI__N(n_vi),
    [SWI_TE_OPLEIDING] = SWI__N(n_opl),     [SWI_TE_WERKERVARING] = SWI__N(n_werkerv),
    [SWI_TE_CONTRACT] = SWI__N(n_contract), [SWI_TE_ONDERDEEL] = SWI__N(n_onderdeel),
    [SWI_TE_EXAMNIVEAU] = SWI__N(n_exn),    [SWI_TE_VGR] = SWI__N(n_vgr),
};
#undef SWI__N

_Static_assert(sizeof(n_wet) / sizeof(n_wet[0]) == SWI_WET__CNT, "names");
_Static_assert(sizeof(n_route) / sizeof(n_route[0]) == SWI_ROUTE__CNT, "names");
_Static_assert(sizeof(n_lft) / sizeof(n_lft[0]) == SWI_LFT__CNT, "names");
_Static_assert(sizeof(n_einde) / sizeof(n_einde[0]) == SWI_EINDE__CNT, "names");
_Static_assert(sizeof(n_niveau) / sizeof(n_niveau[0]) == SWI_NIVEAU__CNT, "names");
_Static_assert(sizeof(n_opl) / sizeof(n_opl[0]) == SWI_OPL__CNT, "names");
_Static_assert(sizeof(n_werkerv) / sizeof(n_werkerv[0]) == SWI_WERKERV__CNT, "names");
_Static_assert(sizeof(n_contract) / sizeof(n_contract[0]) == SWI_CONTRACT__CNT, "names");
_Static_assert(sizeof(n_onderdeel) / sizeof(n_onderdeel[0]) == SWI_OND__CNT, "names");
_Static_assert(sizeof(n_exn) / sizeof(n_exn[0]) == SWI_EXN__CNT, "names");
_Static_assert(sizeof(n_vgr) / sizeof(n_vgr[0]) == SWI_VGR__CNT, "names");

const char *swi_traj_name(swi_traj_enum_t which, int v)
{
        if ((unsigned)which >= SWI_TE__CNT || v < 0 || v >= enum_names[which].cnt)
                return "?";
        return enum_names[which].names[v];
}

int swi_traj_parse(swi_traj_enum_t which, const char *s)
{
        if ((unsigned)which >= SWI_TE__CNT || s == NULL)
                return -1;
        /* The 0 value "ONBEKEND" of the enums that have one is not a symbol
         * any event carries; the exam and grond enums are 0-based. */
        int first =
            which == SWI_TE_ONDERDEEL || which == SWI_TE_EXAMNIVEAU || which == SWI_TE_VGR ? 0 : 1;
        for (int i = first; i < enum_names[which].cnt; i++)
                if (strcmp(s, enum_names[which].names[i]) == 0)
                        return i;
        return -1;
}

static const char *const finding_names[SWI_FIND__CNT] = {
#define SWI__X(f) #f,
    SWI_FINDINGS(SWI__X)
#undef SWI__X
};

const char *swi_finding_name(swi_finding_kind_t k)
{
        return (unsigned)k < SWI_FIND__CNT ? finding_names[k] : "?";
}

/* ---- growable lists --------------------------------------------------------- */

static swi_err_t findings_push(swi_findings_t *f, swi_finding_kind_t kind, int32_t date,
                               const char *event_id, const char *target_id)
{
        if (f == NULL)
                return SWI_OK;
        if (f->n == f->cap) {
                size_t cap = f->cap ? f->cap * 2 : 8;
                swi_finding_t *v = realloc(f->v, cap * sizeof(*v));
                if (v == NULL)
                        return SWI_ERR_NOMEM;
                f->v = v;
                f->cap = cap;
        }
        swi_finding_t *x = &f->v[f->n++];
        memset(x, 0, sizeof(*x));
        x->kind = kind;
        x->date = date;
        if (event_id != NULL)
                snprintf(x->event_id, sizeof(x->event_id), "%s", event_id);
        if (target_id != NULL)
                snprintf(x->target_id, sizeof(x->target_id), "%s", target_id);
        return SWI_OK;
}

void swi_findings_reset(swi_findings_t *f)
{
        if (f != NULL)
                f->n = 0;
}

void swi_findings_free(swi_findings_t *f)
{
        if (f == NULL)
                return;
        free(f->v);
        memset(f, 0, sizeof(*f));
}

static swi_version_t *versions_push(swi_versions_t *v)
{
        if (v->n == v->cap) {
                size_t cap = v->cap ? v->cap * 2 : 16;
                swi_version_t *nv = realloc(v->v, cap * sizeof(*nv));
                if (nv == NULL)
                        return NULL;
                v->v = nv;
                v->cap = cap;
        }
        swi_version_t *x = &v->v[v->n++];
        memset(x, 0, sizeof(*x));
        return x;
}

void swi_versions_reset(swi_versions_t *v)
{
        if (v != NULL)
                v->n = 0;
}

void swi_versions_free(swi_versions_t *v)
{
        if (v == NULL)
                return;
        free(v->v);
        memset(v, 0, sizeof(*v));
}

/* ---- keys and orders -------------------------------------------------------- */

int swi_person_key_cmp(const swi_person_key_t *a, const swi_person_key_t *b)
{
        if (a->kind != b->kind)
                return a->kind < b->kind ? -1 : 1;
        return memcmp(a->ps, b->ps, SWI_PSEUDO_LEN);
}

bool swi_person_equal(const swi_person_t *a, const swi_person_t *b)
{
        return memcmp(a, b, sizeof(*a)) == 0;
}

int swi_eff_cmp(const void *pa, const void *pb)
{
        const swi_eff_t *a = pa, *b = pb;
        if (a->event_date != b->event_date)
                return a->event_date < b->event_date ? -1 : 1;
        if (a->root->registered_at != b->root->registered_at)
                return a->root->registered_at < b->root->registered_at ? -1 : 1;
        int c = strcmp(a->root->event_id, b->root->event_id);
        if (c != 0)
                return c;
        if (a->root->source != b->root->source)
                return a->root->source < b->root->source ? -1 : 1;
        return 0;
}

static int cmp_i64(int64_t a, int64_t b)
{
        return a < b ? -1 : a > b ? 1 : 0;
}

/* Total order on event content, so that which copy of a duplicate is kept
 * does not depend on input order (the copy registered first wins; copies of
 * a re-delivered event are normally identical anyway). */
static int ev_content_cmp(const swi_event_t *a, const swi_event_t *b)
{
        int c = cmp_i64(a->registered_at, b->registered_at);
        if (c == 0)
                c = cmp_i64(a->event_date, b->event_date);
        if (c == 0)
                c = cmp_i64(a->type, b->type);
        if (c == 0)
                c = cmp_i64(a->has_bsn_ps, b->has_bsn_ps);
        if (c == 0 && a->has_bsn_ps)
                c = memcmp(a->bsn_ps, b->bsn_ps, SWI_PSEUDO_LEN);
        if (c == 0)
                c = cmp_i64(a->has_vnr_ps, b->has_vnr_ps);
        if (c == 0 && a->has_vnr_ps)
                c = memcmp(a->vnr_ps, b->vnr_ps, SWI_PSEUDO_LEN);
        if (c == 0)
                c = cmp_i64(a->has_corrects, b->has_corrects);
        if (c == 0 && a->has_corrects)
                c = strcmp(a->corrects, b->corrects);
        if (c == 0)
                c = cmp_i64(a->has_retracts, b->has_retracts);
        if (c == 0 && a->has_retracts)
                c = strcmp(a->retracts, b->retracts);
        if (c == 0)
                c = cmp_i64(a->nfields, b->nfields);
        for (int i = 0; c == 0 && i < a->nfields; i++) {
                const swi_field_t *fa = &a->fields[i], *fb = &b->fields[i];
                c = strcmp(fa->name, fb->name);
                if (c == 0)
                        c = cmp_i64(fa->kind, fb->kind);
                if (c == 0)
                        c = cmp_i64(fa->i, fb->i);
                if (c == 0)
                        c = strcmp(fa->s, fb->s);
        }
        return c;
}

/* (source, event_id), then content: the dedup / lookup order. */
static int ev_id_cmp(const void *pa, const void *pb)
{
        const swi_event_t *a = *(const swi_event_t *const *)pa;
        const swi_event_t *b = *(const swi_event_t *const *)pb;
        if (a->source != b->source)
                return a->source < b->source ? -1 : 1;
        int c = strcmp(a->event_id, b->event_id);
        if (c != 0)
                return c;
        return ev_content_cmp(a, b);
}

static bool is_intrekking(swi_evtype_t t)
{
        return swi_evtype_is_intrekking(t);
}

static bool same_identity(const swi_event_t *a, const swi_event_t *b)
{
        if (a->has_bsn_ps != b->has_bsn_ps || a->has_vnr_ps != b->has_vnr_ps)
                return false;
        if (a->has_bsn_ps && memcmp(a->bsn_ps, b->bsn_ps, SWI_PSEUDO_LEN) != 0)
                return false;
        if (a->has_vnr_ps && memcmp(a->vnr_ps, b->vnr_ps, SWI_PSEUDO_LEN) != 0)
                return false;
        return true;
}

/* ---- the cluster ------------------------------------------------------------ */

/* Status of a deduplicated event at K. */
enum {
        ST_UNSET = 0,
        ST_ABSENT,   /* registered after K */
        ST_VISITING, /* cycle detection while following a chain */
        ST_ROOT,
        ST_CORR,    /* live-able correction of root[i] */
        ST_RETR,    /* retraction of a known target */
        ST_PENDING, /* correction / retraction whose target (or root) is unknown at K */
        ST_INVALID  /* ignored: wrong type/identity, Intrekking target, cycle */
};

typedef struct link_s {
        uint8_t vnr[SWI_PSEUDO_LEN];
        uint8_t bsn[SWI_PSEUDO_LEN];
} link_t;

struct swi_cluster_s {
        /* Fixed for the event set. */
        size_t n;               /* deduplicated events */
        const swi_event_t **ev; /* sorted by (source, event_id) */
        long *target;           /* index of corrects/retracts target, -1 none */
        /* Per K. */
        int64_t K;
        uint8_t *st;
        long *root;     /* ST_CORR: index of the root */
        bool *dead;     /* retracted */
        long *best;     /* root: index of the applicable correction, -1 none */
        swi_eff_t *eff; /* effective events, §1 order */
        size_t neff;
        link_t *links;
        size_t nlinks;
        swi_person_key_t *effkey; /* key of eff[i] */
        size_t *perm;             /* eff indexes grouped by key */
        swi_eff_t *peff;          /* eff grouped by person, §1 order within */
        size_t *poff;             /* person p: peff[poff[p] .. poff[p+1]) */
        swi_person_key_t *pkey;
        size_t npers;
        swi_finding_t *refs; /* pending / invalid references */
        swi_person_key_t *refkey;
        bool *refhaskey;
        size_t nrefs;
};

void swi_cluster_destroy(swi_cluster_t *c)
{
        if (c == NULL)
                return;
        free(c->ev);
        free(c->target);
        free(c->st);
        free(c->root);
        free(c->dead);
        free(c->best);
        free(c->eff);
        free(c->links);
        free(c->effkey);
        free(c->perm);
        free(c->peff);
        free(c->poff);
        free(c->pkey);
        free(c->refs);
        free(c->refkey);
        free(c->refhaskey);
        free(c);
}

static long find_event(const swi_cluster_t *c, swi_source_t src, const char *id)
{
        size_t lo = 0, hi = c->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const swi_event_t *e = c->ev[mid];
                int r = e->source != src ? (e->source < src ? -1 : 1) : strcmp(e->event_id, id);
                if (r < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < c->n && c->ev[lo]->source == src && strcmp(c->ev[lo]->event_id, id) == 0)
                return (long)lo;
        return -1;
}

/* Builds the K-independent index. NULL on allocation failure. */
static swi_cluster_t *cluster_new(const swi_event_t *const *evs, size_t n)
{
        swi_cluster_t *c = calloc(1, sizeof(*c));
        if (c == NULL)
                return NULL;
        size_t m = n ? n : 1;
        c->ev = malloc(m * sizeof(*c->ev));
        c->target = malloc(m * sizeof(*c->target));
        c->st = malloc(m * sizeof(*c->st));
        c->root = malloc(m * sizeof(*c->root));
        c->dead = malloc(m * sizeof(*c->dead));
        c->best = malloc(m * sizeof(*c->best));
        c->eff = malloc(m * sizeof(*c->eff));
        c->links = malloc(m * sizeof(*c->links));
        c->effkey = malloc(m * sizeof(*c->effkey));
        c->perm = malloc(m * sizeof(*c->perm));
        c->peff = malloc(m * sizeof(*c->peff));
        c->poff = malloc((m + 1) * sizeof(*c->poff));
        c->pkey = malloc(m * sizeof(*c->pkey));
        c->refs = malloc(m * sizeof(*c->refs));
        c->refkey = malloc(m * sizeof(*c->refkey));
        c->refhaskey = malloc(m * sizeof(*c->refhaskey));
        if (!c->ev || !c->target || !c->st || !c->root || !c->dead || !c->best || !c->eff ||
            !c->links || !c->effkey || !c->perm || !c->peff || !c->poff || !c->pkey || !c->refs ||
            !c->refkey || !c->refhaskey) {
                swi_cluster_destroy(c);
                return NULL;
        }
        for (size_t i = 0; i < n; i++)
                c->ev[i] = evs[i];
        qsort(c->ev, n, sizeof(*c->ev), ev_id_cmp);
        /* Duplicates: one event per (source, event_id); the first in
         * ev_id_cmp order (earliest registered_at) is kept. */
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
                if (w > 0 && c->ev[w - 1]->source == c->ev[i]->source &&
                    strcmp(c->ev[w - 1]->event_id, c->ev[i]->event_id) == 0)
                        continue;
                c->ev[w++] = c->ev[i];
        }
        c->n = w;
        for (size_t i = 0; i < c->n; i++) {
                const swi_event_t *e = c->ev[i];
                c->target[i] = -1;
                if (is_intrekking(e->type) && e->has_retracts)
                        c->target[i] = find_event(c, e->source, e->retracts);
                else if (e->has_corrects)
                        c->target[i] = find_event(c, e->source, e->corrects);
        }
        c->K = INT64_MIN;
        return c;
}

/* Status of event i at the current K (memoised; follows correction chains). */
static uint8_t status_of(swi_cluster_t *c, size_t i)
{
        if (c->st[i] != ST_UNSET && c->st[i] != ST_VISITING)
                return c->st[i];
        if (c->st[i] == ST_VISITING)
                return ST_INVALID; /* a cycle of corrections */
        const swi_event_t *e = c->ev[i];
        long t = c->target[i];
        uint8_t s;
        if (is_intrekking(e->type)) {
                if (e->has_corrects || !e->has_retracts)
                        s = ST_INVALID;
                else if (t < 0 || c->ev[t]->registered_at > c->K)
                        s = ST_PENDING;
                else if (is_intrekking(c->ev[t]->type))
                        s = ST_INVALID;
                else
                        s = ST_RETR;
        } else if (!e->has_corrects) {
                s = ST_ROOT;
        } else if (t < 0 || c->ev[t]->registered_at > c->K) {
                s = ST_PENDING;
        } else if (c->ev[t]->type != e->type || !same_identity(c->ev[t], e)) {
                s = ST_INVALID;
        } else {
                c->st[i] = ST_VISITING;
                uint8_t ts = status_of(c, (size_t)t);
                if (ts == ST_ROOT) {
                        s = ST_CORR;
                        c->root[i] = t;
                } else if (ts == ST_CORR) {
                        s = ST_CORR;
                        c->root[i] = c->root[t];
                } else if (ts == ST_PENDING) {
                        s = ST_PENDING;
                } else {
                        s = ST_INVALID;
                }
        }
        c->st[i] = s;
        return s;
}

/* The person an event belongs to at K (§2); false when it has no identifier. */
static bool key_of(const swi_cluster_t *c, const swi_event_t *e, swi_person_key_t *k)
{
        memset(k, 0, sizeof(*k));
        if (e->has_bsn_ps) {
                k->kind = SWI_PKEY_BSN;
                memcpy(k->ps, e->bsn_ps, SWI_PSEUDO_LEN);
                return true;
        }
        if (!e->has_vnr_ps)
                return false;
        for (size_t l = 0; l < c->nlinks; l++) {
                if (memcmp(c->links[l].vnr, e->vnr_ps, SWI_PSEUDO_LEN) == 0) {
                        k->kind = SWI_PKEY_BSN;
                        memcpy(k->ps, c->links[l].bsn, SWI_PSEUDO_LEN);
                        return true;
                }
        }
        k->kind = SWI_PKEY_VNR;
        memcpy(k->ps, e->vnr_ps, SWI_PSEUDO_LEN);
        return true;
}

/* qsort_r is not C11: the grouping sort compares keys through this. */
typedef struct perm_s {
        swi_person_key_t key;
        size_t idx;
} perm_t;

static int perm_cmp(const void *pa, const void *pb)
{
        const perm_t *a = pa, *b = pb;
        int r = swi_person_key_cmp(&a->key, &b->key);
        if (r != 0)
                return r;
        return a->idx < b->idx ? -1 : a->idx > b->idx ? 1 : 0;
}

/* Resolves the cluster at K (§1), then identity (§2). */
static swi_err_t cluster_at(swi_cluster_t *c, int64_t K)
{
        swi_err_t rc = SWI_OK;
        perm_t *pm = NULL;
        c->K = K;
        for (size_t i = 0; i < c->n; i++) {
                c->st[i] = c->ev[i]->registered_at > K ? ST_ABSENT : ST_UNSET;
                c->dead[i] = false;
                c->best[i] = -1;
                c->root[i] = -1;
        }
        for (size_t i = 0; i < c->n; i++)
                if (c->st[i] == ST_UNSET)
                        (void)status_of(c, i);
        /* Retractions. A retracted root takes its corrections with it simply
         * by not being emitted; a retracted correction stops competing. */
        for (size_t i = 0; i < c->n; i++)
                if (c->st[i] == ST_RETR)
                        c->dead[c->target[i]] = true;
        /* Applicable correction per root: latest registered_at, tie greatest
         * event_id. */
        for (size_t i = 0; i < c->n; i++) {
                if (c->st[i] != ST_CORR || c->dead[i])
                        continue;
                long r = c->root[i];
                long b = c->best[r];
                if (b < 0 || c->ev[i]->registered_at > c->ev[b]->registered_at ||
                    (c->ev[i]->registered_at == c->ev[b]->registered_at &&
                     strcmp(c->ev[i]->event_id, c->ev[b]->event_id) > 0))
                        c->best[r] = (long)i;
        }
        c->neff = 0;
        for (size_t i = 0; i < c->n; i++) {
                if (c->st[i] != ST_ROOT || c->dead[i])
                        continue;
                swi_eff_t *x = &c->eff[c->neff++];
                x->root = c->ev[i];
                x->val = c->best[i] >= 0 ? c->ev[c->best[i]] : c->ev[i];
                x->event_date = x->val->event_date;
        }
        qsort(c->eff, c->neff, sizeof(*c->eff), swi_eff_cmp);

        /* §2 links: the latest live BsnToegekend per V-nummer (eff is in §1
         * order, so a later one overwrites). */
        c->nlinks = 0;
        for (size_t i = 0; i < c->neff; i++) {
                const swi_event_t *e = c->eff[i].root;
                if (e->type != SWI_EV_IND_BSN_TOEGEKEND || !e->has_bsn_ps || !e->has_vnr_ps)
                        continue;
                size_t l;
                for (l = 0; l < c->nlinks; l++)
                        if (memcmp(c->links[l].vnr, e->vnr_ps, SWI_PSEUDO_LEN) == 0)
                                break;
                if (l == c->nlinks) {
                        c->nlinks++;
                        memcpy(c->links[l].vnr, e->vnr_ps, SWI_PSEUDO_LEN);
                }
                memcpy(c->links[l].bsn, e->bsn_ps, SWI_PSEUDO_LEN);
        }

        /* Group effective events by person, keeping §1 order within. */
        pm = malloc((c->neff ? c->neff : 1) * sizeof(*pm));
        if (pm == NULL) {
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        size_t np = 0;
        for (size_t i = 0; i < c->neff; i++) {
                if (!key_of(c, c->eff[i].root, &pm[np].key))
                        continue; /* no identifier at all: ingest rejects these */
                pm[np].idx = i;
                np++;
        }
        qsort(pm, np, sizeof(*pm), perm_cmp);
        c->npers = 0;
        for (size_t j = 0; j < np; j++) {
                if (j == 0 || swi_person_key_cmp(&pm[j - 1].key, &pm[j].key) != 0) {
                        c->pkey[c->npers] = pm[j].key;
                        c->poff[c->npers] = j;
                        c->npers++;
                }
                c->peff[j] = c->eff[pm[j].idx];
                c->perm[j] = pm[j].idx;
                c->effkey[pm[j].idx] = pm[j].key;
        }
        c->poff[c->npers] = np;

        /* Pending and invalid references, in (source, event_id) order. */
        c->nrefs = 0;
        for (size_t i = 0; i < c->n; i++) {
                uint8_t s = c->st[i];
                if (s != ST_PENDING && s != ST_INVALID)
                        continue;
                const swi_event_t *e = c->ev[i];
                swi_finding_t *f = &c->refs[c->nrefs];
                memset(f, 0, sizeof(*f));
                if (s == ST_INVALID)
                        f->kind = SWI_FIND_INVALID_REFERENCE;
                else if (is_intrekking(e->type))
                        f->kind = SWI_FIND_PENDING_RETRACTION;
                else
                        f->kind = SWI_FIND_PENDING_CORRECTION;
                f->date = e->event_date;
                snprintf(f->event_id, sizeof(f->event_id), "%s", e->event_id);
                if (is_intrekking(e->type) ? e->has_retracts : e->has_corrects)
                        snprintf(f->target_id, sizeof(f->target_id), "%s",
                                 is_intrekking(e->type) ? e->retracts : e->corrects);
                c->refhaskey[c->nrefs] = key_of(c, e, &c->refkey[c->nrefs]);
                c->nrefs++;
        }
done:
        free(pm);
        return rc;
}

swi_cluster_t *swi_cluster_resolve(const swi_event_t *const *evs, size_t n, int64_t K, char *errstr,
                                   size_t errstr_size)
{
        swi_cluster_t *c = cluster_new(evs, n);
        if (c == NULL)
                goto fail;
        if (cluster_at(c, K) != SWI_OK)
                goto fail;
        return c;
fail:
        swi_cluster_destroy(c);
        if (errstr != NULL && errstr_size > 0)
                snprintf(errstr, errstr_size, "trajectory: out of memory resolving %zu events", n);
        return NULL;
}

const swi_eff_t *swi_cluster_events(const swi_cluster_t *c, size_t *n)
{
        *n = c->neff;
        return c->eff;
}

size_t swi_cluster_person_count(const swi_cluster_t *c)
{
        return c->npers;
}

const swi_person_key_t *swi_cluster_person_key(const swi_cluster_t *c, size_t i)
{
        assert(i < c->npers);
        return &c->pkey[i];
}

const swi_eff_t *swi_cluster_person_events(const swi_cluster_t *c, size_t i, size_t *n)
{
        assert(i < c->npers);
        *n = c->poff[i + 1] - c->poff[i];
        return &c->peff[c->poff[i]];
}

long swi_cluster_person_find(const swi_cluster_t *c, const swi_person_key_t *key)
{
        size_t lo = 0, hi = c->npers;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int r = swi_person_key_cmp(&c->pkey[mid], key);
                if (r == 0)
                        return (long)mid;
                if (r < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

const swi_finding_t *swi_cluster_refs(const swi_cluster_t *c, const swi_person_key_t **keys,
                                      size_t *n)
{
        if (keys != NULL)
                *keys = c->refkey;
        *n = c->nrefs;
        return c->refs;
}

swi_err_t swi_cluster_person_derive(const swi_cluster_t *c, size_t i, int32_t P,
                                    const swi_gemeente_lookup_t *gl, swi_person_t *out,
                                    swi_findings_t *findings)
{
        size_t n;
        const swi_eff_t *evs = swi_cluster_person_events(c, i, &n);
        swi_err_t rc = swi_person_derive(evs, n, P, &c->pkey[i], gl, out, findings);
        /* References act at K, whatever P is. */
        for (size_t r = 0; r < c->nrefs; r++) {
                if (!c->refhaskey[r] || swi_person_key_cmp(&c->refkey[r], &c->pkey[i]) != 0)
                        continue;
                out->findings |= 1u << c->refs[r].kind;
                if (rc == SWI_OK)
                        rc = findings_push(findings, c->refs[r].kind, c->refs[r].date,
                                           c->refs[r].event_id, c->refs[r].target_id);
        }
        return rc;
}

/* ---- derivation ------------------------------------------------------------- */

static const char *fstr(const swi_event_t *e, const char *name)
{
        const swi_field_t *f = swi_event_field(e, name);
        return f != NULL && f->kind == SWI_V_STRING ? f->s : NULL;
}

/* INT, BOOL and DATE values; false when absent. */
static bool fint(const swi_event_t *e, const char *name, int64_t *v)
{
        const swi_field_t *f = swi_event_field(e, name);
        if (f == NULL || f->kind == SWI_V_NULL || f->kind == SWI_V_STRING)
                return false;
        *v = f->i;
        return true;
}

static int fenum(const swi_event_t *e, const char *name, swi_traj_enum_t which)
{
        return swi_traj_parse(which, fstr(e, name));
}

static void copy_code(char out[SWI_GEMEENTE_LEN], const char *s)
{
        memset(out, 0, SWI_GEMEENTE_LEN);
        if (s != NULL)
                memcpy(out, s, strnlen(s, SWI_GEMEENTE_LEN - 1));
}

/* A gemeente as counted in figures: a dissolved code becomes its successor. */
static void figure_gemeente(const swi_gemeente_lookup_t *gl, const char *code,
                            char out[SWI_GEMEENTE_LEN])
{
        const char *s = code;
        if (s != NULL && *s != '\0' && gl != NULL && gl->successor != NULL) {
                const char *x = gl->successor(s);
                if (x != NULL && *x != '\0')
                        s = x;
        }
        copy_code(out, s);
}

static void region_of(const swi_gemeente_lookup_t *gl, const char *code, char out[SWI_GEMEENTE_LEN])
{
        const char *r = NULL;
        if (*code != '\0' && gl != NULL && gl->region != NULL)
                r = gl->region(code);
        copy_code(out, r);
}

static bool is_leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Completed years at day `at`; a 29 February birthday is reached on 1 March
 * in non-leap years. */
static int age_at(int32_t birth, int32_t at)
{
        int by, bm, bd, ay, am, ad;
        swi_date_to_ymd(birth, &by, &bm, &bd);
        swi_date_to_ymd(at, &ay, &am, &ad);
        if (bm == 2 && bd == 29 && !is_leap(ay)) {
                bm = 3;
                bd = 1;
        }
        int age = ay - by;
        if (am < bm || (am == bm && ad < bd))
                age--;
        return age;
}

static uint8_t lftklasse(int age)
{
        if (age < 18)
                return SWI_LFT_LT18;
        if (age <= 24)
                return SWI_LFT_18_24;
        if (age <= 34)
                return SWI_LFT_25_34;
        if (age <= 44)
                return SWI_LFT_35_44;
        if (age <= 54)
                return SWI_LFT_45_54;
        return SWI_LFT_55PLUS;
}

static void sat_inc8(uint8_t *x)
{
        if (*x < UINT8_MAX)
                (*x)++;
}

static void sat_inc16(uint16_t *x)
{
        if (*x < UINT16_MAX)
                (*x)++;
}

swi_err_t swi_person_derive(const swi_eff_t *evs, size_t n, int32_t P, const swi_person_key_t *key,
                            const swi_gemeente_lookup_t *gl, swi_person_t *out,
                            swi_findings_t *findings)
{
        swi_err_t rc = SWI_OK;
        swi_person_t *p = out;
        memset(p, 0, sizeof(*p));
        if (key != NULL)
                p->key = *key;
        p->peildatum = P;
        p->plicht_start = p->geboortedatum = p->status_verleend = SWI_DATE_NONE;
        p->koppeling_datum = p->vestiging_datum = p->opvang_instroom = SWI_DATE_NONE;
        p->brede_intake_start = p->brede_intake_afgerond = p->lbt_datum = SWI_DATE_NONE;
        p->pip_datum = p->start_pip_termijn = p->termijn_einde = SWI_DATE_NONE;
        p->einde_datum = p->voorinburgering_start = p->voorinburgering_einde = SWI_DATE_NONE;
        p->koppeling_afstand_km = -1;
        p->leeftijd = -1;
        p->lbt_score = -1;

        /* Replay state. */
        const char *woon = NULL;      /* latest Gevestigd / Verhuisd naar_gemeente */
        const char *gekoppeld = NULL; /* latest GemeenteGekoppeld */
        const char *kop_first = NULL, *vest_first = NULL;
        const swi_event_t *pip_first = NULL;
        int32_t verlengd = SWI_DATE_NONE;
        bool has_verlengd = false;
        unsigned werk_dropped_open = 0, bijstand_dropped_open = 0;
        int64_t v;

#define FIND(kind, ev)                                                                             \
        do {                                                                                       \
                p->findings |= 1u << (kind);                                                       \
                if (rc == SWI_OK)                                                                  \
                        rc = findings_push(findings, (kind), (ev)->val->event_date,                \
                                           (ev)->root->event_id, NULL);                            \
        } while (0)

        for (size_t i = 0; i < n; i++) {
                const swi_eff_t *x = &evs[i];
                const swi_event_t *e = x->val;
                int32_t d = x->event_date;
                if (d > P)
                        continue; /* evs is in §1 order, but do not rely on it here */
                /* Person attributes from any IND event that carries them. */
                if (x->root->source == SWI_SRC_IND) {
                        int g = fenum(e, "geslacht", SWI_TE_GESLACHT);
                        if (g > 0)
                                p->geslacht = (uint8_t)g;
                        const char *nat = fstr(e, "nationaliteit");
                        if (nat != NULL && *nat != '\0') {
                                memset(p->nationaliteit, 0, sizeof(p->nationaliteit));
                                memcpy(p->nationaliteit, nat,
                                       strnlen(nat, sizeof(p->nationaliteit) - 1));
                        }
                        if (fint(e, "geboortedatum", &v))
                                p->geboortedatum = (int32_t)v;
                }
                switch (x->root->type) {
                case SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN:
                        sat_inc16(&p->n_plicht);
                        if (p->plicht_start == SWI_DATE_NONE) {
                                int w = fenum(e, "wet", SWI_TE_WET);
                                int g = fenum(e, "doelgroep", SWI_TE_DOELGROEP);
                                p->plicht_start = d;
                                p->wet = (uint8_t)(w > 0 ? w : 0);
                                p->doelgroep = (uint8_t)(g > 0 ? g : 0);
                        } else {
                                FIND(SWI_FIND_SECOND_PLICHT, x);
                        }
                        break;
                case SWI_EV_IND_VERBLIJFSVERGUNNING_VERLEEND: {
                        const char *vg = fstr(e, "vergunning");
                        if (p->status_verleend == SWI_DATE_NONE && vg != NULL &&
                            (strcmp(vg, "ASIEL_BEPAALD") == 0 ||
                             strcmp(vg, "ASIEL_ONBEPAALD") == 0))
                                p->status_verleend = d;
                        break;
                }
                case SWI_EV_COA_GEMEENTE_GEKOPPELD:
                        gekoppeld = fstr(e, "gemeente");
                        if (p->koppeling_datum == SWI_DATE_NONE) {
                                p->koppeling_datum = d;
                                kop_first = gekoppeld;
                                if (fint(e, "afstand_km", &v))
                                        p->koppeling_afstand_km = (int32_t)v;
                        }
                        break;
                case SWI_EV_GEM_GEVESTIGD:
                        woon = fstr(e, "gemeente");
                        if (p->vestiging_datum == SWI_DATE_NONE) {
                                p->vestiging_datum = d;
                                vest_first = woon;
                        }
                        break;
                case SWI_EV_GEM_VERHUISD:
                        woon = fstr(e, "naar_gemeente");
                        break;
                case SWI_EV_COA_OPVANG_INSTROOM:
                        if (p->opvang_instroom == SWI_DATE_NONE)
                                p->opvang_instroom = d;
                        p->in_opvang = true;
                        break;
                case SWI_EV_COA_OPVANG_OVERPLAATSING:
                        sat_inc16(&p->overplaatsingen);
                        p->in_opvang = true;
                        break;
                case SWI_EV_COA_OPVANG_UITSTROOM:
                        p->in_opvang = false;
                        break;
                case SWI_EV_COA_VOORINBURGERING_GESTART:
                        if (p->voorinburgering_start == SWI_DATE_NONE)
                                p->voorinburgering_start = d;
                        break;
                case SWI_EV_COA_VOORINBURGERING_BEEINDIGD: {
                        int u = fenum(e, "uitkomst", SWI_TE_VI);
                        p->voorinburgering_einde = d;
                        p->voorinburgering_uitkomst = (uint8_t)(u > 0 ? u : 0);
                        break;
                }
                case SWI_EV_GEM_BREDE_INTAKE_GESTART:
                        if (p->brede_intake_start == SWI_DATE_NONE)
                                p->brede_intake_start = d;
                        break;
                case SWI_EV_GEM_BREDE_INTAKE_AFGEROND: {
                        if (p->brede_intake_afgerond == SWI_DATE_NONE)
                                p->brede_intake_afgerond = d;
                        int o = fenum(e, "opleidingsniveau", SWI_TE_OPLEIDING);
                        int w = fenum(e, "werkervaring", SWI_TE_WERKERVARING);
                        if (o > 0)
                                p->opleidingsniveau = (uint8_t)o;
                        if (w > 0)
                                p->werkervaring = (uint8_t)w;
                        if (fint(e, "jonge_kinderen", &v))
                                p->jonge_kinderen = v ? SWI_TRI_JA : SWI_TRI_NEE;
                        break;
                }
                case SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN: {
                        int u = fenum(e, "uitkomst", SWI_TE_LBT);
                        p->lbt_datum = d;
                        p->lbt_score = -1;
                        if (fint(e, "score", &v) && v >= 0 && v <= INT8_MAX)
                                p->lbt_score = (int8_t)v;
                        p->lbt_uitkomst = (uint8_t)(u > 0 ? u : 0);
                        break;
                }
                case SWI_EV_GEM_PIP_VASTGESTELD: {
                        int r = fenum(e, "leerroute", SWI_TE_LEERROUTE);
                        sat_inc16(&p->n_pip);
                        if (p->pip_datum == SWI_DATE_NONE) {
                                p->pip_datum = d;
                                pip_first = x->root;
                        } else {
                                FIND(SWI_FIND_SECOND_PIP, x);
                        }
                        if (r > 0)
                                p->leerroute = (uint8_t)r;
                        break;
                }
                case SWI_EV_GEM_LEERROUTE_GEWIJZIGD: {
                        int r = fenum(e, "leerroute", SWI_TE_LEERROUTE);
                        if (r <= 0)
                                break;
                        if (p->leerroute != SWI_ROUTE_NONE && p->leerroute != r)
                                sat_inc8(&p->route_switches);
                        p->leerroute = (uint8_t)r;
                        break;
                }
                case SWI_EV_DUO_TERMIJN_VERLENGD: {
                        int g = fenum(e, "grond", SWI_TE_VGR);
                        if (g >= 0)
                                sat_inc8(&p->verlengingen[g]);
                        if (fint(e, "nieuwe_einddatum", &v)) {
                                verlengd = (int32_t)v;
                                has_verlengd = true;
                        }
                        break;
                }
                case SWI_EV_DUO_EXAMEN_AFGELEGD: {
                        int o = fenum(e, "onderdeel", SWI_TE_ONDERDEEL);
                        int nv = fenum(e, "niveau", SWI_TE_EXAMNIVEAU);
                        int64_t ok = 0;
                        (void)fint(e, "geslaagd", &ok);
                        if (o < 0 || nv < 0)
                                break;
                        sat_inc8(&p->exams[o][nv][ok ? 1 : 0]);
                        if (ok)
                                p->exams_passed |= (uint8_t)(1u << o);
                        break;
                }
                case SWI_EV_DUO_INBURGERINGSPLICHT_VOLDAAN:
                case SWI_EV_DUO_ONTHEFFING_VERLEEND:
                case SWI_EV_DUO_VRIJSTELLING_VERLEEND:
                case SWI_EV_DUO_INBURGERINGSPLICHT_VERVALLEN:
                        if (p->einde != SWI_EINDE_NONE)
                                break;
                        p->einde_datum = d;
                        if (x->root->type == SWI_EV_DUO_INBURGERINGSPLICHT_VOLDAAN) {
                                int h = fenum(e, "hoogste_niveau", SWI_TE_NIVEAU);
                                p->einde = SWI_EINDE_VOLDAAN;
                                p->hoogste_niveau = (uint8_t)(h > 0 ? h : 0);
                        } else if (x->root->type == SWI_EV_DUO_ONTHEFFING_VERLEEND) {
                                p->einde = SWI_EINDE_ONTHEFFING;
                        } else if (x->root->type == SWI_EV_DUO_VRIJSTELLING_VERLEEND) {
                                p->einde = SWI_EINDE_VRIJSTELLING;
                        } else {
                                p->einde = SWI_EINDE_VERVALLEN;
                        }
                        break;
                case SWI_EV_GEM_WERK_GESTART: {
                        if (p->n_werk == SWI_PERSON_MAX_WERK) {
                                werk_dropped_open++;
                                FIND(SWI_FIND_SPELL_OVERFLOW, x);
                                break;
                        }
                        swi_werk_spell_t *s = &p->werk[p->n_werk++];
                        const char *sec = fstr(e, "sector");
                        int ct = fenum(e, "contract", SWI_TE_CONTRACT);
                        s->start = d;
                        s->end = SWI_DATE_OPEN;
                        s->sector = sec != NULL ? sec[0] : 0;
                        s->contract = (uint8_t)(ct > 0 ? ct : 0);
                        if (fint(e, "uren_per_week", &v))
                                s->uren_per_week = (uint16_t)(v < 0            ? 0
                                                              : v > UINT16_MAX ? UINT16_MAX
                                                                               : v);
                        break;
                }
                case SWI_EV_GEM_WERK_BEEINDIGD: {
                        /* The earliest-started open spell: werk[] is in start
                         * order, and the dropped ones all started later. */
                        size_t k;
                        for (k = 0; k < p->n_werk; k++)
                                if (p->werk[k].end == SWI_DATE_OPEN)
                                        break;
                        if (k < p->n_werk)
                                p->werk[k].end = d;
                        else if (werk_dropped_open > 0)
                                werk_dropped_open--;
                        else
                                FIND(SWI_FIND_WERK_END_NONE_OPEN, x);
                        break;
                }
                case SWI_EV_GEM_BIJSTAND_GESTART: {
                        if (p->n_bijstand == SWI_PERSON_MAX_BIJSTAND) {
                                bijstand_dropped_open++;
                                FIND(SWI_FIND_SPELL_OVERFLOW, x);
                                break;
                        }
                        swi_spell_t *s = &p->bijstand[p->n_bijstand++];
                        s->start = d;
                        s->end = SWI_DATE_OPEN;
                        break;
                }
                case SWI_EV_GEM_BIJSTAND_BEEINDIGD: {
                        size_t k;
                        for (k = 0; k < p->n_bijstand; k++)
                                if (p->bijstand[k].end == SWI_DATE_OPEN)
                                        break;
                        if (k < p->n_bijstand)
                                p->bijstand[k].end = d;
                        else if (bijstand_dropped_open > 0)
                                bijstand_dropped_open--;
                        else
                                FIND(SWI_FIND_BIJSTAND_END_NONE_OPEN, x);
                        break;
                }
                default:
                        break;
                }
        }

        /* Derived attributes. */
        if (p->plicht_start != SWI_DATE_NONE && p->geboortedatum != SWI_DATE_NONE) {
                int age = age_at(p->geboortedatum, p->plicht_start);
                /* Born after plicht_start is odd but known: age 0, class < 18. */
                if (age < 0)
                        age = 0;
                p->leeftijd = (int16_t)(age > INT16_MAX ? INT16_MAX : age);
                p->leeftijdsklasse = lftklasse(age);
                p->jongere = age <= 28 ? SWI_TRI_JA : SWI_TRI_NEE;
        } else {
                p->leeftijdsklasse = SWI_LFT_ONBEKEND;
                p->jongere = SWI_TRI_ONBEKEND;
        }
        p->in_populatie = p->wet == SWI_WET_WI2021 && p->plicht_start != SWI_DATE_NONE;
        p->plichtig = p->in_populatie && p->einde == SWI_EINDE_NONE;

        figure_gemeente(gl, woon != NULL ? woon : gekoppeld, p->gemeente);
        region_of(gl, p->gemeente, p->regio);
        figure_gemeente(gl, kop_first, p->koppeling_gemeente);
        figure_gemeente(gl, vest_first, p->vestiging_gemeente);
        region_of(gl, p->vestiging_gemeente, p->vestiging_regio);

        if (p->vestiging_datum != SWI_DATE_NONE && p->plicht_start != SWI_DATE_NONE)
                p->start_pip_termijn =
                    p->plicht_start > p->vestiging_datum ? p->plicht_start : p->vestiging_datum;
        if (p->pip_datum != SWI_DATE_NONE) {
                p->pip_in_opvang =
                    p->vestiging_datum == SWI_DATE_NONE || p->pip_datum < p->vestiging_datum;
                p->pip_voor_termijn =
                    p->start_pip_termijn == SWI_DATE_NONE || p->pip_datum < p->start_pip_termijn;
                p->pip_binnen_10_weken =
                    !p->pip_voor_termijn && p->pip_datum - p->start_pip_termijn <= 70;
                p->termijn_einde = has_verlengd ? verlengd : swi_date_add_months(p->pip_datum, 36);
                if (p->brede_intake_start == SWI_DATE_NONE ||
                    p->brede_intake_start > p->pip_datum) {
                        p->findings |= 1u << SWI_FIND_PIP_BEFORE_INTAKE;
                        if (rc == SWI_OK)
                                rc = findings_push(findings, SWI_FIND_PIP_BEFORE_INTAKE,
                                                   p->pip_datum, pip_first->event_id, NULL);
                }
        } else {
                /* Extensions and completion without any PIP on or before P. */
                for (size_t i = 0; i < n; i++) {
                        const swi_eff_t *x = &evs[i];
                        if (x->event_date > P)
                                continue;
                        if (x->root->type == SWI_EV_DUO_TERMIJN_VERLENGD)
                                FIND(SWI_FIND_EXTENSION_WITHOUT_PIP, x);
                        else if (x->root->type == SWI_EV_DUO_INBURGERINGSPLICHT_VOLDAAN)
                                FIND(SWI_FIND_VOLDAAN_WITHOUT_PIP, x);
                }
        }
        if (p->n_plicht == 0) {
                p->findings |= 1u << SWI_FIND_NO_PLICHT;
                if (rc == SWI_OK)
                        rc = findings_push(findings, SWI_FIND_NO_PLICHT, SWI_DATE_NONE, NULL, NULL);
        }
#undef FIND
        return rc;
}

/* ---- werk / bijstand helpers ----------------------------------------------- */

static int spell_year(const swi_person_t *p, int k, const int32_t *starts, const int32_t *ends,
                      size_t stride, size_t n)
{
        if (k < 1 || p->vestiging_datum == SWI_DATE_NONE)
                return -1;
        int32_t a = swi_date_add_months(p->vestiging_datum, 12 * (k - 1));
        int32_t b = swi_date_add_months(p->vestiging_datum, 12 * k);
        if (b - 1 > p->peildatum)
                return -1; /* the window's last day is after P */
        for (size_t i = 0; i < n; i++) {
                int32_t s = *(const int32_t *)((const char *)starts + i * stride);
                int32_t e = *(const int32_t *)((const char *)ends + i * stride);
                if (s < b && e > a && s < e)
                        return 1;
        }
        return 0;
}

int swi_person_werk_year(const swi_person_t *p, int k)
{
        return spell_year(p, k, &p->werk[0].start, &p->werk[0].end, sizeof(p->werk[0]), p->n_werk);
}

int swi_person_bijstand_year(const swi_person_t *p, int k)
{
        return spell_year(p, k, &p->bijstand[0].start, &p->bijstand[0].end, sizeof(p->bijstand[0]),
                          p->n_bijstand);
}

const swi_werk_spell_t *swi_person_werk_at(const swi_person_t *p, int32_t d)
{
        const swi_werk_spell_t *best = NULL;
        /* werk[] is in start order: the last covering one started most recently. */
        for (size_t i = 0; i < p->n_werk; i++)
                if (p->werk[i].start <= d && d < p->werk[i].end)
                        best = &p->werk[i];
        return best;
}

/* ---- versions ------------------------------------------------------------- */

typedef struct pstate_s {
        swi_person_t *v;
        size_t n, cap;
} pstate_t;

/* Derives every person of c (resolved at some K) at the end of time into s. */
static swi_err_t derive_all(const swi_cluster_t *c, const swi_gemeente_lookup_t *gl, pstate_t *s)
{
        size_t np = swi_cluster_person_count(c);
        if (np > s->cap) {
                swi_person_t *v = realloc(s->v, np * sizeof(*v));
                if (v == NULL)
                        return SWI_ERR_NOMEM;
                s->v = v;
                s->cap = np;
        }
        for (size_t i = 0; i < np; i++)
                (void)swi_cluster_person_derive(c, i, SWI_DATE_END, gl, &s->v[i], NULL);
        s->n = np;
        return SWI_OK;
}

swi_err_t swi_cluster_versions(const swi_event_t *const *evs, size_t n, int64_t from_k,
                               const swi_gemeente_lookup_t *gl, swi_versions_t *out)
{
        swi_err_t rc = SWI_OK;
        swi_cluster_t *c = NULL;
        int64_t *ks = NULL;
        pstate_t prev = {0}, cur = {0};

        c = cluster_new(evs, n);
        ks = malloc((n ? n : 1) * sizeof(*ks));
        if (c == NULL || ks == NULL) {
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        /* Distinct knowledge times of the deduplicated events, ascending. */
        size_t nk = 0;
        for (size_t i = 0; i < c->n; i++)
                ks[nk++] = c->ev[i]->registered_at;
        for (size_t i = 1; i < nk; i++) { /* insertion sort: clusters are small */
                int64_t x = ks[i];
                size_t j = i;
                while (j > 0 && ks[j - 1] > x) {
                        ks[j] = ks[j - 1];
                        j--;
                }
                ks[j] = x;
        }
        size_t w = 0;
        for (size_t i = 0; i < nk; i++)
                if (w == 0 || ks[w - 1] != ks[i])
                        ks[w++] = ks[i];
        nk = w;

        size_t j0 = 0;
        while (j0 < nk && ks[j0] < from_k)
                j0++;
        if (j0 > 0) {
                rc = cluster_at(c, ks[j0 - 1]);
                if (rc == SWI_OK)
                        rc = derive_all(c, gl, &prev);
                if (rc != SWI_OK)
                        goto done;
        }
        for (size_t j = j0; j < nk; j++) {
                rc = cluster_at(c, ks[j]);
                if (rc == SWI_OK)
                        rc = derive_all(c, gl, &cur);
                if (rc != SWI_OK)
                        goto done;
                /* Merge by key: both lists are in key order. */
                size_t a = 0, b = 0;
                while (a < prev.n || b < cur.n) {
                        int r;
                        if (a == prev.n)
                                r = 1;
                        else if (b == cur.n)
                                r = -1;
                        else
                                r = swi_person_key_cmp(&prev.v[a].key, &cur.v[b].key);
                        swi_version_t *x = NULL;
                        if (r < 0 || r > 0 || !swi_person_equal(&prev.v[a], &cur.v[b])) {
                                x = versions_push(out);
                                if (x == NULL) {
                                        rc = SWI_ERR_NOMEM;
                                        goto done;
                                }
                                x->valid_from = ks[j];
                        }
                        if (r < 0) {
                                x->closed = true;
                                x->person.key = prev.v[a].key;
                                a++;
                        } else {
                                if (x != NULL)
                                        memcpy(&x->person, &cur.v[b], sizeof(x->person));
                                if (r == 0)
                                        a++;
                                b++;
                        }
                }
                pstate_t t = prev;
                prev = cur;
                cur = t;
        }
done:
        free(prev.v);
        free(cur.v);
        free(ks);
        swi_cluster_destroy(c);
        return rc;
}
