/* bench_trajectory - in-process throughput of the trajectory rules and memory
 * per tracked person, over a swi-gen replay file (--out).
 *
 *   bench_trajectory --in FILE [--schema-dir DIR] [--runs R]
 *
 * Loads the file into memory, then (each timed phase R times, median printed):
 *   baseline     decode every message (swi_wire_unframe + swi_gen_decode),
 *                validate (swi_validate_event), pseudonymise (HMAC, as the
 *                pipeline), drop duplicates, group by person cluster: BSN key;
 *                V-nummer-only events joined to their BSN via the BsnToegekend
 *                events in the file (unlinked V-nummers are their own cluster).
 *   full         swi_cluster_versions(all events of the cluster, from_k =
 *                INT64_MIN) for every cluster: the full history of versions.
 *   incremental  swi_cluster_versions(all events, from_k = the cluster's max
 *                registered_at) for every cluster: what one newly arrived
 *                knowledge time costs (the steady-state streaming update).
 *   memory       sizeof(swi_person_t), and the VmHWM (peak RSS) delta of
 *                deriving and holding every current person (resolve at K = all,
 *                derive at P = end) divided by the number of persons.
 * Output: result lines on stdout (ratios against the baseline), details on stderr.
 *
 * Not a CMake target: bench/run.sh compiles it with the module libraries. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/wire_format.h"
#include "tools/gen/encoder.h"
#include "transform/gemeenten.h"
#include "transform/pseudonym.h"
#include "transform/trajectory.h"
#include "transform/validate.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long status_kb(const char *field)
{
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        long v = -1;
        size_t n = strlen(field);
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, field, n) == 0 && line[n] == ':') {
                        v = atol(line + n + 1);
                        break;
                }
        fclose(f);
        return v;
}

static void *xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);
        if (!q) {
                fprintf(stderr, "bench_trajectory: out of memory\n");
                exit(1);
        }
        return q;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the file, in memory ------------------------------------------------ */

typedef struct raw_s {
        uint8_t *val;
        size_t len;
        swi_source_t topic_src; /* source named by the topic ("ind.events" -> ind) */
} raw_t;

/* ---- a string -> index hash map (open addressing) ------------------------- */

#define KEY_MAX 20
typedef struct smap_s {
        char (*k)[KEY_MAX];
        uint32_t *v;
        size_t cap, n;
} smap_t;

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 1099511628211ULL;
        return h;
}

static void smap_init(smap_t *m, size_t expect)
{
        m->cap = 16;
        while (m->cap < expect * 2)
                m->cap *= 2;
        m->k = calloc(m->cap, KEY_MAX);
        m->v = calloc(m->cap, sizeof(uint32_t));
        m->n = 0;
        if (!m->k || !m->v)
                exit(1);
}

static void smap_free(smap_t *m)
{
        free(m->k);
        free(m->v);
        memset(m, 0, sizeof(*m));
}

/* Returns the value of key, inserting val when absent (*inserted = 1). */
static uint32_t smap_get_or_put(smap_t *m, const char *key, uint32_t val, int *inserted)
{
        if (m->n * 2 >= m->cap) {
                smap_t g;
                smap_init(&g, m->cap);
                for (size_t i = 0; i < m->cap; i++)
                        if (m->k[i][0]) {
                                int ins;
                                smap_get_or_put(&g, m->k[i], m->v[i], &ins);
                        }
                smap_free(m);
                *m = g;
        }
        size_t i = hash_str(key) & (m->cap - 1);
        while (m->k[i][0]) {
                if (strcmp(m->k[i], key) == 0) {
                        *inserted = 0;
                        return m->v[i];
                }
                i = (i + 1) & (m->cap - 1);
        }
        snprintf(m->k[i], KEY_MAX, "%s", key);
        m->v[i] = val;
        m->n++;
        *inserted = 1;
        return val;
}

static long smap_find(const smap_t *m, const char *key)
{
        size_t i = hash_str(key) & (m->cap - 1);
        while (m->k[i][0]) {
                if (strcmp(m->k[i], key) == 0)
                        return m->v[i];
                i = (i + 1) & (m->cap - 1);
        }
        return -1;
}

/* ---- decode + group ------------------------------------------------------- */

typedef struct loaded_s {
        swi_event_t *ev;      /* accepted, deduplicated events */
        size_t nev;
        const swi_event_t **by_cluster; /* events ordered by cluster */
        size_t *start;        /* cluster c: by_cluster[start[c] .. start[c+1]) */
        size_t nclusters;
        size_t rejected, duplicates, undecodable;
} loaded_t;

static void loaded_free(loaded_t *l)
{
        free(l->ev);
        free(l->by_cluster);
        free(l->start);
        memset(l, 0, sizeof(*l));
}

static int cmp_ev_id(const void *a, const void *b)
{
        const swi_event_t *x = *(const swi_event_t *const *)a, *y = *(const swi_event_t *const *)b;
        if (x->source != y->source)
                return x->source < y->source ? -1 : 1;
        return strcmp(x->event_id, y->event_id);
}

static void decode_and_group(swi_gen_encoder_t *enc, swi_pseudonym_t *ps, const raw_t *raw,
                             size_t nraw, loaded_t *out)
{
        swi_validate_conf_t vc = {.date_tolerance_days = 1};
        char detail[256];
        memset(out, 0, sizeof(*out));
        swi_event_t *ev = xrealloc(NULL, nraw * sizeof(*ev));
        char (*ckey)[KEY_MAX] = xrealloc(NULL, nraw * KEY_MAX);
        size_t n = 0;

        /* decode and validate; remember the V-nummer -> BSN links */
        smap_t links;
        smap_init(&links, nraw / 16 + 16);
        char (*bsns)[16] = NULL;
        size_t nbsns = 0, capb = 0;
        for (size_t i = 0; i < nraw; i++) {
                int32_t id;
                const uint8_t *body;
                size_t blen;
                swi_event_t *e = &ev[n];
                if (swi_wire_unframe(raw[i].val, raw[i].len, &id, &body, &blen, detail,
                                     sizeof(detail)) != SWI_REASON_NONE ||
                    swi_gen_decode(enc, id, body, blen, e) != SWI_OK) {
                        out->undecodable++;
                        continue;
                }
                if (e->source != raw[i].topic_src ||
                    swi_validate_event(e, &vc, detail, sizeof(detail)) != SWI_REASON_NONE) {
                        out->rejected++;
                        continue;
                }
                if (e->type == SWI_EV_IND_BSN_TOEGEKEND && e->has_bsn && e->has_vnr) {
                        int ins;
                        if (nbsns == capb) {
                                capb = capb ? capb * 2 : 1024;
                                bsns = xrealloc(bsns, capb * sizeof(*bsns));
                        }
                        memcpy(bsns[nbsns], e->bsn, sizeof(e->bsn));
                        smap_get_or_put(&links, e->vnr, (uint32_t)nbsns, &ins);
                        if (ins)
                                nbsns++;
                }
                n++;
        }
        /* cluster key of every event, then pseudonymise (wipes the raw values) */
        for (size_t i = 0; i < n; i++) {
                swi_event_t *e = &ev[i];
                long l;
                if (e->has_bsn)
                        snprintf(ckey[i], KEY_MAX, "B%s", e->bsn);
                else if ((l = smap_find(&links, e->vnr)) >= 0)
                        snprintf(ckey[i], KEY_MAX, "B%s", bsns[l]);
                else
                        snprintf(ckey[i], KEY_MAX, "V%s", e->vnr);
                swi_pseudonym_apply(ps, e);
        }
        smap_free(&links);
        free(bsns);

        /* drop duplicates (same source and event_id), as swi.events does */
        const swi_event_t **idx = xrealloc(NULL, n * sizeof(*idx));
        for (size_t i = 0; i < n; i++)
                idx[i] = &ev[i];
        qsort(idx, n, sizeof(*idx), cmp_ev_id);
        uint8_t *dup = calloc(n ? n : 1, 1);
        for (size_t i = 1; i < n; i++)
                if (cmp_ev_id(&idx[i - 1], &idx[i]) == 0) {
                        dup[idx[i] - ev] = 1;
                        out->duplicates++;
                }
        free(idx);

        /* cluster ids and a counting sort of the events by cluster */
        smap_t cl;
        smap_init(&cl, n / 8 + 16);
        uint32_t *cid = xrealloc(NULL, (n ? n : 1) * sizeof(uint32_t));
        size_t *cnt = NULL, cap = 0;
        for (size_t i = 0; i < n; i++) {
                if (dup[i])
                        continue;
                int ins;
                cid[i] = smap_get_or_put(&cl, ckey[i], (uint32_t)cl.n, &ins);
                if (cid[i] >= cap) {
                        size_t nc = cap ? cap * 2 : 4096;
                        cnt = xrealloc(cnt, (nc + 1) * sizeof(*cnt));
                        memset(cnt + cap, 0, (nc + 1 - cap) * sizeof(*cnt));
                        cap = nc;
                }
                cnt[cid[i]]++;
        }
        size_t nc = cl.n;
        out->start = xrealloc(NULL, (nc + 1) * sizeof(size_t));
        size_t acc = 0;
        for (size_t c = 0; c < nc; c++) {
                out->start[c] = acc;
                acc += cnt[c];
                cnt[c] = out->start[c];
        }
        out->start[nc] = acc;
        out->by_cluster = xrealloc(NULL, (acc ? acc : 1) * sizeof(*out->by_cluster));
        for (size_t i = 0; i < n; i++)
                if (!dup[i])
                        out->by_cluster[cnt[cid[i]]++] = &ev[i];
        out->ev = ev;
        out->nev = acc;
        out->nclusters = nc;
        free(cnt);
        free(cid);
        free(dup);
        free(ckey);
        smap_free(&cl);
}

/* Times swi_cluster_versions over every cluster, runs times, into t[];
 * from_k[c] per cluster, or the full history when from_k is NULL. *nversions
 * receives the versions of the last run. 0, or -1 on out of memory. */
static int time_versions(const loaded_t *L, const int64_t *from_k, const swi_gemeente_lookup_t *gl,
                         int runs, double *t, size_t *nversions)
{
        swi_versions_t vs = {0};
        for (int r = 0; r < runs; r++) {
                *nversions = 0;
                double t0 = now_s();
                for (size_t c = 0; c < L->nclusters; c++) {
                        swi_versions_reset(&vs);
                        if (swi_cluster_versions(L->by_cluster + L->start[c],
                                                 L->start[c + 1] - L->start[c],
                                                 from_k ? from_k[c] : INT64_MIN, gl, &vs) != SWI_OK) {
                                fprintf(stderr, "bench_trajectory: out of memory\n");
                                swi_versions_free(&vs);
                                return -1;
                        }
                        *nversions += vs.n;
                }
                t[r] = now_s() - t0;
        }
        swi_versions_free(&vs);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"in", required_argument, NULL, 'i'},
                {"schema-dir", required_argument, NULL, 's'},
                {"runs", required_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *in = NULL, *schema_dir = "schemas";
        int runs = 3, opt;
        char err[512];
        while ((opt = getopt_long(argc, argv, "i:s:r:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'i': in = optarg; break;
                case 's': schema_dir = optarg; break;
                case 'r': runs = atoi(optarg); break;
                case 'h':
                        printf("usage: bench_trajectory --in REPLAY_FILE [--schema-dir DIR] [--runs R]\n");
                        return 0;
                default: return 2;
                }
        }
        if (!in || runs < 1) {
                fprintf(stderr, "usage: bench_trajectory --in REPLAY_FILE [--schema-dir DIR] [--runs R]\n");
                return 2;
        }
        swi_gen_encoder_t *enc = swi_gen_encoder_new(schema_dir, err, sizeof(err));
        if (!enc) {
                fprintf(stderr, "bench_trajectory: %s\n", err);
                return 1;
        }
        static const uint8_t key[] = "bench-pseudonym-key-0123456789abcdef";
        swi_pseudonym_t *ps = swi_pseudonym_new(key, sizeof(key) - 1, err, sizeof(err));
        if (!ps) {
                fprintf(stderr, "bench_trajectory: %s\n", err);
                return 1;
        }
        const swi_gemeente_lookup_t gl = {swi_gemeente_successor, swi_gemeente_region};

        /* the file, into memory (not timed) */
        FILE *f = fopen(in, "rb");
        if (!f) {
                fprintf(stderr, "bench_trajectory: cannot open %s\n", in);
                return 1;
        }
        raw_t *raw = NULL;
        size_t nraw = 0, capr = 0;
        swi_gen_record_t rec;
        memset(&rec, 0, sizeof(rec));
        int rr;
        while ((rr = swi_gen_record_read(f, &rec)) == 1) {
                if (nraw == capr) {
                        capr = capr ? capr * 2 : 65536;
                        raw = xrealloc(raw, capr * sizeof(*raw));
                }
                raw[nraw].val = xrealloc(NULL, rec.val.len);
                memcpy(raw[nraw].val, rec.val.data, rec.val.len);
                raw[nraw].len = rec.val.len;
                char src[64];
                snprintf(src, sizeof(src), "%s", rec.topic);
                src[strcspn(src, ".")] = '\0';
                raw[nraw].topic_src = swi_source_from_name(src);
                nraw++;
        }
        swi_gen_record_free(&rec);
        fclose(f);
        if (rr < 0) {
                fprintf(stderr, "bench_trajectory: %s is truncated or malformed\n", in);
                return 1;
        }

        double *t = xrealloc(NULL, (size_t)runs * sizeof(double));
        loaded_t L;
        memset(&L, 0, sizeof(L));

        /* baseline: decode + validate + pseudonymise + dedup + group */
        for (int r = 0; r < runs; r++) {
                loaded_free(&L);
                double t0 = now_s();
                decode_and_group(enc, ps, raw, nraw, &L);
                t[r] = now_s() - t0;
        }
        double t_base = median(t, runs);
        fprintf(stderr, "bench_trajectory: %zu messages: %zu events in %zu clusters "
                        "(%zu undecodable, %zu rejected, %zu duplicates); decode+group %.3f s\n",
                nraw, L.nev, L.nclusters, L.undecodable, L.rejected, L.duplicates, t_base);
        for (size_t i = 0; i < nraw; i++)
                free(raw[i].val);
        free(raw);

        /* memory: derive and hold every current person. Free heap pages go back
         * to the kernel and the peak is reset first (Linux >= 4.0), so the
         * VmHWM delta is what deriving and holding the persons costs. */
        malloc_trim(0);
        FILE *cr = fopen("/proc/self/clear_refs", "w");
        int hwm_reset = cr && fputs("5", cr) >= 0;
        if (cr && fclose(cr) != 0)
                hwm_reset = 0;
        long hwm0 = status_kb("VmHWM"), rss0 = status_kb("VmRSS");
        swi_person_t *persons = NULL;
        size_t np = 0, capp = 0;
        for (size_t c = 0; c < L.nclusters; c++) {
                swi_cluster_t *cl = swi_cluster_resolve(L.by_cluster + L.start[c],
                                                        L.start[c + 1] - L.start[c], SWI_K_ALL, err,
                                                        sizeof(err));
                if (!cl) {
                        fprintf(stderr, "bench_trajectory: %s\n", err);
                        return 1;
                }
                size_t k = swi_cluster_person_count(cl);
                for (size_t i = 0; i < k; i++) {
                        if (np == capp) {
                                capp = capp ? capp * 2 : 1024;
                                persons = xrealloc(persons, capp * sizeof(*persons));
                        }
                        swi_cluster_person_derive(cl, i, SWI_DATE_END, &gl, &persons[np++], NULL);
                }
                swi_cluster_destroy(cl);
        }
        long hwm1 = status_kb("VmHWM"), rss1 = status_kb("VmRSS");
        double per_person = np ? (double)(hwm1 - hwm0) * 1024.0 / (double)np : 0;
        size_t in_pop = 0;
        for (size_t i = 0; i < np; i++)
                in_pop += persons[i].in_populatie;
        fprintf(stderr, "bench_trajectory: %zu persons derived (%zu in U(P=end)); VmHWM %ld -> %ld kB%s, "
                        "VmRSS %ld -> %ld kB\n", np, in_pop, hwm0, hwm1,
                hwm_reset ? " (peak reset)" : " (peak NOT reset: delta may be low)", rss0, rss1);

        /* full history */
        size_t full_versions;
        if (time_versions(&L, NULL, &gl, runs, t, &full_versions) != 0)
                return 1;
        double t_full = median(t, runs);

        /* incremental: the last knowledge time of each cluster */
        int64_t *maxk = xrealloc(NULL, (L.nclusters ? L.nclusters : 1) * sizeof(int64_t));
        for (size_t c = 0; c < L.nclusters; c++) {
                maxk[c] = INT64_MIN;
                for (size_t i = L.start[c]; i < L.start[c + 1]; i++)
                        if (L.by_cluster[i]->registered_at > maxk[c])
                                maxk[c] = L.by_cluster[i]->registered_at;
        }
        size_t nversions;
        if (time_versions(&L, maxk, &gl, runs, t, &nversions) != 0)
                return 1;
        double t_inc = median(t, runs);

        double ev = (double)L.nev, ncl = (double)L.nclusters;
#define K(x) ((x) >= 1e6 ? (x) / 1e6 : (x) / 1e3), ((x) >= 1e6 ? "M" : "k")
        printf("trajectory baseline (decode+validate+pseudonymise+dedup+group): %.1f%s events/s "
               "(%zu events, %zu clusters, median of %d)\n",
               K(ev / t_base), L.nev, L.nclusters, runs);
        printf("trajectory full history: %.1f%s events/s, %.1f%s clusters/s, %zu versions; "
               "ratio to baseline %.2f (median of %d)\n",
               K(ev / t_full), K(ncl / t_full), full_versions, t_base / t_full, runs);
        printf("trajectory incremental (from_k = last K of each cluster): %.1f%s clusters/s, "
               "%.1f%s events/s, %zu versions; ratio to baseline %.2f (median of %d)\n",
               K(ncl / t_inc), K(ev / t_inc), nversions, t_base / t_inc, runs);
        printf("memory: sizeof(swi_person_t) %zu B; peak RSS delta %.0f B/person holding %zu "
               "derived persons; target < 1024 B: %s\n",
               sizeof(swi_person_t), per_person, np,
               (per_person < 1024 && sizeof(swi_person_t) < 1024) ? "met" : "MISSED");
        free(maxk);
        free(persons);
        free(t);
        loaded_free(&L);
        swi_pseudonym_destroy(ps);
        swi_gen_encoder_destroy(enc);
        return 0;
}
