/* pg_store.c - the cluster store; see pg_store.h. */
#include "pg_store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "transform/gemeenten.h"

static int key_cmp(const void *a, const void *b)
{
        return memcmp(a, b, sizeof(swi_person_key_t));
}

/* Appends a key (duplicates are removed by pgs_keyset_sort); 0, or -1 on
 * out of memory. O(1): sets grow by thousands of keys per batch. */
int pgs_keyset_add(pgs_keyset_t *s, uint8_t kind, const uint8_t *ps)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 256;
                swi_person_key_t *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -1;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n].kind = kind;
        memcpy(s->v[s->n].ps, ps, SWI_PSEUDO_LEN);
        s->n++;
        return 0;
}

void pgs_keyset_sort(pgs_keyset_t *s)
{
        size_t u = 0;
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(swi_person_key_t), key_cmp);
        for (size_t i = 0; i < s->n; i++)
                if (u == 0 || key_cmp(&s->v[u - 1], &s->v[i]) != 0)
                        s->v[u++] = s->v[i];
        s->n = s->sorted = u;
}

long pgs_keyset_find(const pgs_keyset_t *s, uint8_t kind, const uint8_t *ps)
{
        swi_person_key_t k;
        k.kind = kind;
        memcpy(k.ps, ps, SWI_PSEUDO_LEN);
        const swi_person_key_t *f = bsearch(&k, s->v, s->sorted, sizeof(k), key_cmp);
        return f ? (long)(f - s->v) : -1;
}

/* Comma-separated hex pseudonyms of one kind (a text parameter). */
void pgs_keys_param(const pgs_keyset_t *s, uint8_t kind, pgio_buf_t *b)
{
        b->n = 0;
        pgio_buf_add(b, "", 0);
        for (size_t i = 0; i < s->n; i++) {
                if (s->v[i].kind != kind)
                        continue;
                if (b->n)
                        pgio_buf_add(b, ",", 1);
                pgio_buf_hex(b, s->v[i].ps);
        }
}

/* Adds every edge touching a key of s to s; returns how many keys were new. */
swi_err_t pgs_expand(PGconn *conn, pgs_keyset_t *s, int *added, char *errstr, size_t errstr_size)
{
        /* Index scans only (an OR would scan the whole table): identity
         * edges by either pseudonym, reference edges by either side ($3:
         * the pseudonyms of both kinds; the kinds are checked below). */
#define PS_ARRAY(p) "ARRAY(SELECT decode(x, 'hex') FROM unnest(string_to_array(" p ", ',')) x)"
        static const char sql[] =
                "SELECT 'VNR', encode(vnr_ps, 'hex'), 'BSN', encode(bsn_ps, 'hex') "
                "FROM swi.identity_edges WHERE bsn_ps = ANY(" PS_ARRAY("$1") ") "
                "UNION "
                "SELECT 'VNR', encode(vnr_ps, 'hex'), 'BSN', encode(bsn_ps, 'hex') "
                "FROM swi.identity_edges WHERE vnr_ps = ANY(" PS_ARRAY("$2") ") "
                "UNION "
                "SELECT ref_kind, encode(ref_ps, 'hex'), target_kind, encode(target_ps, 'hex') "
                "FROM swi.reference_edges WHERE ref_ps = ANY(" PS_ARRAY("$3") ") "
                "UNION "
                "SELECT ref_kind, encode(ref_ps, 'hex'), target_kind, encode(target_ps, 'hex') "
                "FROM swi.reference_edges WHERE target_ps = ANY(" PS_ARRAY("$3") ")";
#undef PS_ARRAY
        pgio_buf_t b = {0}, v = {0}, all = {0};
        swi_err_t rc = SWI_OK;

        *added = 0;
        if (s->sorted != s->n)
                pgs_keyset_sort(s);
        size_t before = s->n;
        pgs_keys_param(s, SWI_PKEY_BSN, &b);
        pgs_keys_param(s, SWI_PKEY_VNR, &v);
        pgio_buf_add(&all, b.p, b.n);
        if (b.n && v.n)
                pgio_buf_add(&all, ",", 1);
        pgio_buf_add(&all, v.p, v.n);
        if (b.oom || v.oom || all.oom) {
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        const char *vals[3] = {b.p, v.p, all.p};
        PGresult *res = pgio_exec_params(conn, sql, 3, vals);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                rc = pgio_fail(conn, res, "expand identity clusters", errstr, errstr_size);
                goto done;
        }
        for (int r = 0; r < PQntuples(res); r++) {
                uint8_t a[SWI_PSEUDO_LEN], c[SWI_PSEUDO_LEN];
                uint8_t ka = pgs_kind_parse(PQgetvalue(res, r, 0));
                uint8_t kc = pgs_kind_parse(PQgetvalue(res, r, 2));
                if (!ka || !kc || pgio_parse_hex(PQgetvalue(res, r, 1), a) ||
                    pgio_parse_hex(PQgetvalue(res, r, 3), c))
                        continue;
                /* a reference edge found by a pseudonym of the other kind
                 * does not touch s (pseudonyms of the two kinds never meet:
                 * different HMAC prefixes; checked all the same) */
                if (pgs_keyset_find(s, ka, a) < 0 && pgs_keyset_find(s, kc, c) < 0)
                        continue;
                if (pgs_keyset_add(s, ka, a) < 0 || pgs_keyset_add(s, kc, c) < 0) {
                        PQclear(res);
                        rc = SWI_ERR_NOMEM;
                        goto done;
                }
        }
        PQclear(res);
        pgs_keyset_sort(s);
        *added = (int)(s->n - before);
done:
        free(b.p);
        free(v.p);
        free(all.p);
        return rc;
}

static const char *const date_fields[] = {"geboortedatum", "nieuwe_einddatum"};

/* One loaded event from a row of the load query. Returns 0 or -1 (skipped). */
int pgs_row_to_event(PGresult *res, int r, swi_event_t *ev)
{
        memset(ev, 0, sizeof(*ev));
        ev->source = swi_source_from_name(PQgetvalue(res, r, 0));
        if (ev->source == SWI_SRC__CNT)
                return -1;
        ev->type = swi_evtype_lookup(ev->source, PQgetvalue(res, r, 1));
        if (ev->type == SWI_EV_NONE)
                return -1;
        snprintf(ev->event_id, sizeof(ev->event_id), "%s", PQgetvalue(res, r, 2));
        if (!PQgetisnull(res, r, 3)) {
                ev->has_bsn_ps = pgio_parse_hex(PQgetvalue(res, r, 3), ev->bsn_ps) == 0;
        }
        if (!PQgetisnull(res, r, 4)) {
                ev->has_vnr_ps = pgio_parse_hex(PQgetvalue(res, r, 4), ev->vnr_ps) == 0;
        }
        ev->event_date = (int32_t)atol(PQgetvalue(res, r, 5));
        ev->registered_at = atoll(PQgetvalue(res, r, 6));
        if (!PQgetisnull(res, r, 7)) {
                ev->has_corrects = true;
                snprintf(ev->corrects, sizeof(ev->corrects), "%s", PQgetvalue(res, r, 7));
        }
        if (!PQgetisnull(res, r, 8)) {
                ev->has_retracts = true;
                snprintf(ev->retracts, sizeof(ev->retracts), "%s", PQgetvalue(res, r, 8));
        }
        json_error_t jerr;
        json_t *obj = json_loads(PQgetvalue(res, r, 9), 0, &jerr);
        const char *name;
        json_t *val;
        json_object_foreach(obj, name, val)
        {
                if (ev->nfields == SWI_MAX_FIELDS)
                        break;
                swi_field_t *f = &ev->fields[ev->nfields];
                snprintf(f->name, sizeof(f->name), "%s", name);
                if (json_is_string(val)) {
                        int32_t d;
                        int is_date = 0;
                        for (size_t i = 0; i < sizeof(date_fields) / sizeof(date_fields[0]); i++)
                                if (strcmp(name, date_fields[i]) == 0)
                                        is_date = 1;
                        if (is_date && swi_date_parse(json_string_value(val), &d) == 0) {
                                f->kind = SWI_V_DATE;
                                f->i = d;
                        } else {
                                f->kind = SWI_V_STRING;
                                snprintf(f->s, sizeof(f->s), "%s", json_string_value(val));
                        }
                } else if (json_is_integer(val)) {
                        f->kind = SWI_V_INT;
                        f->i = json_integer_value(val);
                } else if (json_is_boolean(val)) {
                        f->kind = SWI_V_BOOL;
                        f->i = json_is_true(val);
                } else {
                        f->kind = SWI_V_NULL;
                }
                ev->nfields++;
        }
        json_decref(obj);
        return 0;
}

const char *pgs_kind_name(uint8_t kind)
{
        return kind == SWI_PKEY_BSN ? "BSN" : "VNR";
}

uint8_t pgs_kind_parse(const char *s)
{
        return strcmp(s, "BSN") == 0 ? SWI_PKEY_BSN : strcmp(s, "VNR") == 0 ? SWI_PKEY_VNR : 0;
}

void pgs_loaded_free(pgs_loaded_t *ld)
{
        free(ld->evs);
        swi_idmap_destroy(ld->map);
        swi_idgroups_free(&ld->g);
        memset(ld, 0, sizeof(*ld));
}

/* Loads every stored event of the keys of ks (sorted) and groups them into
 * clusters (transform/identity.h): the keys of ks and of the events, linked
 * by the events carrying both identifiers and by the references whose
 * targets are among them. */
swi_err_t pgs_load_clusters(PGconn *conn, const pgs_keyset_t *ks, pgs_loaded_t *ld, char *errstr,
                               size_t errstr_size)
{
        /* Two index scans, not one OR: PostgreSQL plans "bsn_ps IN (...) OR
         * vnr_ps IN (...)" as a sequential scan of the whole table. */
#define EV_COLS "source, event_type, event_id, encode(bsn_ps, 'hex'), encode(vnr_ps, 'hex'), " \
                "event_date - DATE '1970-01-01', (extract(epoch FROM registered_at) * 1000)::bigint, " \
                "corrects, retracts, payload::text"
        static const char sql[] =
                "SELECT " EV_COLS " FROM swi.events WHERE bsn_ps = ANY(ARRAY("
                "  SELECT decode(x, 'hex') FROM unnest(string_to_array($1, ',')) x)) "
                "UNION ALL "
                "SELECT " EV_COLS " FROM swi.events WHERE vnr_ps = ANY(ARRAY("
                "  SELECT decode(x, 'hex') FROM unnest(string_to_array($2, ',')) x)) "
                "AND (bsn_ps IS NULL OR NOT bsn_ps = ANY(ARRAY("
                "  SELECT decode(x, 'hex') FROM unnest(string_to_array($1, ',')) x)))";
#undef EV_COLS
        pgio_buf_t p1 = {0}, p2 = {0};
        PGresult *res = NULL;
        const swi_event_t **evp = NULL;
        swi_err_t rc = SWI_OK;
        size_t rows, nev = 0;

        memset(ld, 0, sizeof(*ld));
        pgs_keys_param(ks, SWI_PKEY_BSN, &p1);
        pgs_keys_param(ks, SWI_PKEY_VNR, &p2);
        if (p1.oom || p2.oom)
                goto nomem;
        {
                const char *vals[2] = {p1.p, p2.p};
                res = pgio_exec_params(conn, sql, 2, vals);
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pgio_fail(conn, res, "load cluster events", errstr, errstr_size);
                        res = NULL;
                        goto done;
                }
        }
        rows = (size_t)PQntuples(res);
        ld->evs = malloc((rows ? rows : 1) * sizeof(*ld->evs));
        evp = malloc((rows ? rows : 1) * sizeof(*evp));
        ld->map = swi_idmap_new();
        if (!ld->evs || !evp || !ld->map)
                goto nomem;
        for (size_t r = 0; r < rows; r++)
                if (pgs_row_to_event(res, (int)r, &ld->evs[nev]) == 0)
                        nev++;
        PQclear(res);
        res = NULL;
        ld->nev = nev;
        for (size_t i = 0; i < ks->n; i++) {
                swi_person_key_t k = {.kind = ks->v[i].kind};
                memcpy(k.ps, ks->v[i].ps, SWI_PSEUDO_LEN);
                if (swi_idmap_add(ld->map, &k) < 0)
                        goto nomem;
        }
        for (size_t i = 0; i < nev; i++)
                evp[i] = &ld->evs[i];
        if (swi_idmap_link_events(ld->map, evp, nev) != 0 ||
            swi_idmap_group(ld->map, evp, nev, &ld->g) != SWI_OK)
                goto nomem;
        goto done;
nomem:
        snprintf(errstr, errstr_size, "loading clusters: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        free(evp);
        free(p1.p);
        free(p2.p);
        return rc;
}

swi_person_t *pgs_persons_push(pgs_persons_t *out)
{
        if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 4096;
                swi_person_t *v = realloc(out->v, cap * sizeof(*v));
                if (!v)
                        return NULL;
                out->v = v;
                out->cap = cap;
        }
        return &out->v[out->n++];
}

/* Resolves one cluster (events evp[0..n)) at K and appends its persons
 * derived at P. */
swi_err_t pgs_derive_cluster_p(const swi_event_t *const *evp, size_t n, int64_t K, int32_t P,
                                  pgs_persons_t *out, char *errstr, size_t errstr_size)
{
        static const swi_gemeente_lookup_t gl = {swi_gemeente_successor, swi_gemeente_region};
        swi_cluster_t *c = swi_cluster_resolve(evp, n, K, errstr, errstr_size);
        swi_err_t rc = SWI_OK;
        if (!c)
                return SWI_ERR_NOMEM;
        size_t np = swi_cluster_person_count(c);
        for (size_t i = 0; i < np; i++) {
                swi_person_t *p = pgs_persons_push(out);
                if (!p) {
                        rc = SWI_ERR_NOMEM;
                        break;
                }
                rc = swi_cluster_person_derive(c, i, P, &gl, p, NULL);
                if (rc != SWI_OK) {
                        out->n--;
                        break;
                }
        }
        swi_cluster_destroy(c);
        return rc;
}

/* ---- persons handed over ---------------------------------------------------- */

#ifndef SWI_RULES_HASH
#error "SWI_RULES_HASH comes from CMakeLists.txt"
#endif

static uint64_t rules_tag(void)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (const char *c = SWI_RULES_HASH; *c; c++)
                h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
        return h;
}

void pgs_persons_begin(pgio_buf_t *b, int32_t P)
{
        uint8_t hdr[PGS_PERSONS_HDR] = {'S', 'W', 'I', 'P'};
        uint32_t size = (uint32_t)sizeof(swi_person_t);
        uint64_t tag = rules_tag();
        memcpy(hdr + 4, &size, 4);
        memcpy(hdr + 8, &tag, 8);
        memcpy(hdr + 16, &P, 4);
        b->n = 0;
        pgio_buf_add(b, (const char *)hdr, sizeof(hdr));
}

void pgs_persons_add(pgio_buf_t *b, const swi_person_t *p)
{
        pgio_buf_add(b, (const char *)p, sizeof(*p));
}

long pgs_persons_check(const uint8_t *blob, size_t len, int32_t *P)
{
        uint32_t size;
        uint64_t tag;
        if (len < PGS_PERSONS_HDR || memcmp(blob, "SWIP", 4) != 0)
                return -1;
        memcpy(&size, blob + 4, 4);
        memcpy(&tag, blob + 8, 8);
        memcpy(P, blob + 16, 4);
        if (size != sizeof(swi_person_t) || tag != rules_tag() ||
            (len - PGS_PERSONS_HDR) % sizeof(swi_person_t) != 0)
                return -1;
        return (long)((len - PGS_PERSONS_HDR) / sizeof(swi_person_t));
}

/* ---- every cluster --------------------------------------------------------- */

/* Cluster representative of every key that has an identity or reference
 * edge (transform/identity.h), into a temp table tmp_rep(kind, ps, rep): rep
 * is "B<hex>" / "V<hex>" of the smallest key of its cluster, the same text an
 * edge-less key uses for itself. */
static swi_err_t build_reps(PGconn *conn, char *errstr, size_t errstr_size)
{
        swi_idmap_t *m = swi_idmap_new();
        pgio_buf_t b = {0};
        swi_err_t rc = SWI_OK;
        PGresult *res = PQexec(conn, "SELECT 'VNR', encode(vnr_ps, 'hex'), 'BSN', "
                                     "encode(bsn_ps, 'hex') FROM swi.identity_edges "
                                     "UNION ALL SELECT ref_kind, encode(ref_ps, 'hex'), "
                                     "target_kind, encode(target_ps, 'hex') "
                                     "FROM swi.reference_edges");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                swi_idmap_destroy(m);
                return pgio_fail(conn, res, "load identity and reference edges", errstr,
                                   errstr_size);
        }
        if (!m)
                goto nomem;
        int n = PQntuples(res);
        for (int r = 0; r < n; r++) {
                swi_person_key_t x = {.kind = pgs_kind_parse(PQgetvalue(res, r, 0))};
                swi_person_key_t y = {.kind = pgs_kind_parse(PQgetvalue(res, r, 2))};
                if (!x.kind || !y.kind || pgio_parse_hex(PQgetvalue(res, r, 1), x.ps) ||
                    pgio_parse_hex(PQgetvalue(res, r, 3), y.ps))
                        continue;
                if (swi_idmap_link(m, &x, &y) != 0)
                        goto nomem;
        }
        PQclear(res);
        res = NULL;
        for (size_t i = 0; i < swi_idmap_count(m); i++) {
                const swi_person_key_t *k = swi_idmap_key(m, i);
                const swi_person_key_t *root = swi_idmap_key(m, swi_idmap_root(m, i));
                pgio_buf_add(&b, k->kind == SWI_PKEY_BSN ? "B\t\\\\x" : "V\t\\\\x", 5);
                pgio_buf_hex(&b, k->ps);
                pgio_buf_add(&b, root->kind == SWI_PKEY_BSN ? "\tB" : "\tV", 2);
                pgio_buf_hex(&b, root->ps);
                pgio_buf_add(&b, "\n", 1);
        }
        if (b.oom)
                goto nomem;
        rc = pgio_exec_ok(conn, "CREATE TEMP TABLE tmp_rep (kind text, ps bytea, rep text) ON COMMIT DROP",
                     0, NULL, "create cluster map", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_copy_in(conn, "COPY tmp_rep FROM STDIN", &b, "COPY cluster map", errstr,
                             errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "CREATE INDEX ON tmp_rep (kind, ps)", 0, NULL,
                             "index cluster map", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "ANALYZE tmp_rep", 0, NULL, "analyze cluster map", errstr,
                             errstr_size);
        goto done;
nomem:
        snprintf(errstr, errstr_size, "publication: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        swi_idmap_destroy(m);
        free(b.p);
        return rc;
}

/* Every person at (P, K) from all stored events, appended to *out; counts
 * events read and clusters. Runs inside the caller's transaction. */
swi_err_t pgs_load_all_persons(PGconn *conn, int64_t K, int32_t P, pgs_persons_t *out,
                                  int64_t *events, int64_t *clusters, char *errstr,
                                  size_t errstr_size)
{
        PGresult *res = NULL;
        swi_event_t *evs = NULL;
        const swi_event_t **evp = NULL; /* pointers into evs, for the derivation */
        size_t nev = 0, evcap = 0;
        char cur_rep[80] = "";
        char kbuf[32];
        swi_err_t rc;

        rc = build_reps(conn, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        snprintf(kbuf, sizeof(kbuf), "%lld", (long long)K);
        {
                /* NULL: everything stored (SWI_K_ALL has no timestamptz) */
                const char *vals[1] = {K == SWI_K_ALL ? NULL : kbuf};
                static const char sql[] =
                        "DECLARE evs NO SCROLL CURSOR FOR "
                        "SELECT e.source, e.event_type, e.event_id, encode(e.bsn_ps, 'hex'), "
                        "encode(e.vnr_ps, 'hex'), e.event_date - DATE '1970-01-01', "
                        "(extract(epoch FROM e.registered_at) * 1000)::bigint, e.corrects, "
                        "e.retracts, e.payload::text, "
                        "coalesce(cb.rep, cv.rep, CASE WHEN e.bsn_ps IS NOT NULL "
                        "  THEN 'B' || encode(e.bsn_ps, 'hex') ELSE 'V' || encode(e.vnr_ps, 'hex') END) AS rep "
                        "FROM swi.events e "
                        "LEFT JOIN tmp_rep cb ON cb.kind = 'B' AND cb.ps = e.bsn_ps "
                        "LEFT JOIN tmp_rep cv ON cv.kind = 'V' AND cv.ps = e.vnr_ps "
                        "WHERE $1::bigint IS NULL "
                        "OR e.registered_at <= timestamptz 'epoch' + $1::bigint * interval '1 millisecond' "
                        "ORDER BY rep";
                rc = pgio_exec_ok(conn, sql, 1, vals, "open event cursor", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        for (;;) {
                res = PQexec(conn, "FETCH 20000 FROM evs");
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pgio_fail(conn, res, "fetch events", errstr, errstr_size);
                        res = NULL;
                        goto done;
                }
                int nr = PQntuples(res);
                for (int r = 0; r <= nr; r++) {
                        const char *rep = r < nr ? PQgetvalue(res, r, 10) : NULL;
                        /* a new cluster starts: derive the finished one */
                        if (nev > 0 && (r == nr ? nr == 0 : strcmp(rep, cur_rep) != 0)) {
                                for (size_t i = 0; i < nev; i++)
                                        evp[i] = &evs[i];
                                rc = pgs_derive_cluster_p(evp, nev, K, P, out, errstr,
                                                          errstr_size);
                                if (rc != SWI_OK)
                                        goto done;
                                (*clusters)++;
                                nev = 0;
                        }
                        if (r == nr)
                                break;
                        snprintf(cur_rep, sizeof(cur_rep), "%s", rep);
                        if (nev == evcap) {
                                evcap = evcap ? evcap * 2 : 256;
                                swi_event_t *v = realloc(evs, evcap * sizeof(*v));
                                if (v)
                                        evs = v;
                                const swi_event_t **vp = realloc(evp, evcap * sizeof(*vp));
                                if (vp)
                                        evp = vp;
                                if (!v || !vp) {
                                        rc = SWI_ERR_NOMEM;
                                        goto done;
                                }
                        }
                        if (pgs_row_to_event(res, r, &evs[nev]) == 0)
                                nev++;
                        (*events)++;
                }
                PQclear(res);
                res = NULL;
                if (nr == 0)
                        break;
        }
        rc = pgio_exec_ok(conn, "CLOSE evs", 0, NULL, "close event cursor", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "DROP TABLE tmp_rep", 0, NULL, "drop cluster map", errstr,
                             errstr_size);
done:
        PQclear(res);
        free(evs);
        free(evp);
        return rc;
}

