/* identity.c - identity clusters by union-find; see identity.h. */
#include "identity.h"

#include <stdlib.h>
#include <string.h>

struct swi_idmap_s {
        swi_person_key_t *keys;
        size_t *parent;
        size_t n, cap;
        uint32_t *slots; /* open addressing: key index + 1, 0 = empty */
        size_t nslots;   /* a power of two, at least 2 * cap */
};

bool swi_identity_event_key(const swi_event_t *e, swi_person_key_t *out)
{
        memset(out, 0, sizeof(*out));
        if (e->has_bsn_ps) {
                out->kind = SWI_PKEY_BSN;
                memcpy(out->ps, e->bsn_ps, SWI_PSEUDO_LEN);
                return true;
        }
        if (e->has_vnr_ps) {
                out->kind = SWI_PKEY_VNR;
                memcpy(out->ps, e->vnr_ps, SWI_PSEUDO_LEN);
                return true;
        }
        return false;
}

const char *swi_identity_ref(const swi_event_t *e)
{
        if (swi_evtype_is_intrekking(e->type))
                return e->has_retracts ? e->retracts : NULL;
        return e->has_corrects ? e->corrects : NULL;
}

swi_idmap_t *swi_idmap_new(void)
{
        return calloc(1, sizeof(swi_idmap_t));
}

void swi_idmap_destroy(swi_idmap_t *m)
{
        if (!m)
                return;
        free(m->keys);
        free(m->parent);
        free(m->slots);
        free(m);
}

/* Pseudonyms are HMAC outputs: their first bytes are a good hash already. */
static size_t key_hash(const swi_person_key_t *k)
{
        uint64_t h;
        memcpy(&h, k->ps, sizeof(h));
        return (size_t)(h ^ (uint64_t)k->kind * 0x9e3779b97f4a7c15ULL);
}

static uint32_t *slot_of(const swi_idmap_t *m, const swi_person_key_t *k)
{
        size_t mask = m->nslots - 1, i = key_hash(k) & mask;
        for (;;) {
                uint32_t v = m->slots[i];
                if (v == 0 || memcmp(&m->keys[v - 1], k, sizeof(*k)) == 0)
                        return &m->slots[i];
                i = (i + 1) & mask;
        }
}

static int grow(swi_idmap_t *m)
{
        size_t cap = m->cap ? m->cap * 2 : 64;
        swi_person_key_t *keys = realloc(m->keys, cap * sizeof(*keys));
        if (!keys)
                return -1;
        m->keys = keys;
        size_t *parent = realloc(m->parent, cap * sizeof(*parent));
        if (!parent)
                return -1;
        m->parent = parent;
        uint32_t *slots = calloc(2 * cap, sizeof(*slots));
        if (!slots)
                return -1;
        free(m->slots);
        m->slots = slots;
        m->nslots = 2 * cap;
        m->cap = cap;
        for (size_t i = 0; i < m->n; i++)
                *slot_of(m, &m->keys[i]) = (uint32_t)i + 1;
        return 0;
}

long swi_idmap_find(const swi_idmap_t *m, const swi_person_key_t *k)
{
        if (m->n == 0)
                return -1;
        uint32_t v = *slot_of(m, k);
        return v ? (long)v - 1 : -1;
}

long swi_idmap_add(swi_idmap_t *m, const swi_person_key_t *k)
{
        long at = swi_idmap_find(m, k);
        if (at >= 0)
                return at;
        if (m->n == m->cap && grow(m) != 0)
                return -1;
        if (m->n >= UINT32_MAX - 1)
                return -1;
        m->keys[m->n] = *k;
        m->parent[m->n] = m->n;
        *slot_of(m, k) = (uint32_t)m->n + 1;
        return (long)m->n++;
}

size_t swi_idmap_count(const swi_idmap_t *m)
{
        return m->n;
}

const swi_person_key_t *swi_idmap_key(const swi_idmap_t *m, size_t i)
{
        return &m->keys[i];
}

size_t swi_idmap_root(swi_idmap_t *m, size_t x)
{
        while (m->parent[x] != x) {
                m->parent[x] = m->parent[m->parent[x]];
                x = m->parent[x];
        }
        return x;
}

/* The root of a union is the smaller key, so a root is always its cluster's
 * smallest key. */
static void join(swi_idmap_t *m, size_t a, size_t b)
{
        a = swi_idmap_root(m, a);
        b = swi_idmap_root(m, b);
        if (a == b)
                return;
        if (swi_person_key_cmp(&m->keys[a], &m->keys[b]) < 0)
                m->parent[b] = a;
        else
                m->parent[a] = b;
}

int swi_idmap_link(swi_idmap_t *m, const swi_person_key_t *a, const swi_person_key_t *b)
{
        long x = swi_idmap_add(m, a);
        if (x < 0)
                return -1;
        long y = swi_idmap_add(m, b);
        if (y < 0)
                return -1;
        join(m, (size_t)x, (size_t)y);
        return 0;
}

static int ev_id_cmp(const void *pa, const void *pb)
{
        const swi_event_t *a = *(const swi_event_t *const *)pa;
        const swi_event_t *b = *(const swi_event_t *const *)pb;
        if (a->source != b->source)
                return a->source < b->source ? -1 : 1;
        return strcmp(a->event_id, b->event_id);
}

int swi_idmap_link_events(swi_idmap_t *m, const swi_event_t *const *evs, size_t n)
{
        const swi_event_t **byid = NULL;
        size_t nref = 0;
        int rc = 0;

        for (size_t i = 0; i < n; i++) {
                const swi_event_t *e = evs[i];
                swi_person_key_t k;
                if (!swi_identity_event_key(e, &k))
                        continue;
                if (swi_idmap_add(m, &k) < 0)
                        return -1;
                if (e->has_bsn_ps && e->has_vnr_ps) {
                        swi_person_key_t v = {.kind = SWI_PKEY_VNR};
                        memcpy(v.ps, e->vnr_ps, SWI_PSEUDO_LEN);
                        if (swi_idmap_link(m, &k, &v) != 0)
                                return -1;
                }
                if (swi_identity_ref(e))
                        nref++;
        }
        if (nref == 0)
                return 0;
        byid = malloc(n * sizeof(*byid));
        if (!byid)
                return -1;
        memcpy(byid, evs, n * sizeof(*byid));
        qsort(byid, n, sizeof(*byid), ev_id_cmp);
        for (size_t i = 0; i < n; i++) {
                const swi_event_t *e = evs[i];
                const char *ref = swi_identity_ref(e);
                swi_person_key_t a, b;
                if (!ref || !swi_identity_event_key(e, &a))
                        continue;
                swi_event_t probe;
                probe.source = e->source;
                memcpy(probe.event_id, ref, sizeof(probe.event_id));
                const swi_event_t *pp = &probe;
                const swi_event_t **t = bsearch(&pp, byid, n, sizeof(*byid), ev_id_cmp);
                if (t && swi_identity_event_key(*t, &b) && swi_idmap_link(m, &a, &b) != 0) {
                        rc = -1;
                        break;
                }
        }
        free(byid);
        return rc;
}

/* qsort has no context argument: each entry carries its root's key. */
typedef struct gsort_s {
        swi_person_key_t rootkey;
        size_t root, idx;
} gsort_t;

static int gsort_cmp(const void *pa, const void *pb)
{
        const gsort_t *a = pa, *b = pb;
        if (a->root != b->root)
                return swi_person_key_cmp(&a->rootkey, &b->rootkey);
        return a->idx < b->idx ? -1 : a->idx > b->idx;
}

swi_err_t swi_idmap_group(swi_idmap_t *m, const swi_event_t *const *evs, size_t n,
                          swi_idgroups_t *out)
{
        gsort_t *s = malloc((n ? n : 1) * sizeof(*s));
        size_t k = 0, nc = 0;

        memset(out, 0, sizeof(*out));
        if (!s)
                return SWI_ERR_NOMEM;
        for (size_t i = 0; i < n; i++) {
                swi_person_key_t key;
                long at;
                if (!swi_identity_event_key(evs[i], &key))
                        continue;
                at = swi_idmap_add(m, &key);
                if (at < 0) {
                        free(s);
                        return SWI_ERR_NOMEM;
                }
                s[k].root = swi_idmap_root(m, (size_t)at);
                s[k].rootkey = m->keys[s[k].root];
                s[k].idx = i;
                k++;
        }
        qsort(s, k, sizeof(*s), gsort_cmp);
        for (size_t i = 0; i < k; i++)
                if (i == 0 || s[i].root != s[i - 1].root)
                        nc++;
        out->evp = malloc((k ? k : 1) * sizeof(*out->evp));
        out->first = malloc((nc + 1) * sizeof(*out->first));
        out->root = malloc((nc ? nc : 1) * sizeof(*out->root));
        if (!out->evp || !out->first || !out->root) {
                free(s);
                swi_idgroups_free(out);
                return SWI_ERR_NOMEM;
        }
        nc = 0;
        for (size_t i = 0; i < k; i++) {
                if (i == 0 || s[i].root != s[i - 1].root) {
                        out->first[nc] = i;
                        out->root[nc] = s[i].root;
                        nc++;
                }
                out->evp[i] = evs[s[i].idx];
        }
        out->first[nc] = k;
        out->n = nc;
        out->nev = k;
        free(s);
        return SWI_OK;
}

long swi_idgroups_find(const swi_idgroups_t *g, const swi_idmap_t *m, size_t root)
{
        size_t lo = 0, hi = g->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (g->root[mid] == root)
                        return (long)mid;
                if (swi_person_key_cmp(&m->keys[g->root[mid]], &m->keys[root]) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

void swi_idgroups_free(swi_idgroups_t *g)
{
        if (!g)
                return;
        free(g->evp);
        free(g->first);
        free(g->root);
        memset(g, 0, sizeof(*g));
}
