/* pg_store.c - the cluster store; see pg_store.h. */
#include "pg_store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

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
                /* NOT IN a subquery: a hashed subplan (NOT ... = ANY(array)
                 * compared every row with every key: quadratic) */
                "AND (bsn_ps IS NULL OR bsn_ps NOT IN ("
                "  SELECT decode(x, 'hex') FROM unnest(string_to_array($1, ',')) x))";
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

/* ---- the trajectory step's locks, edges and rows ------------------------------ */

/* Number of advisory lock buckets the identity keys hash into. A transaction
 * takes at most this many locks however large its batch (PostgreSQL's lock
 * table holds max_locks_per_transaction * max_connections entries); two keys
 * in one bucket only serialise a little more than needed. */
#define LOCK_BUCKETS 512
#define LOCK_BASE    0x53574900LL /* "SWI\0": keeps clear of other advisory lock users */

static size_t key_bucket(uint8_t kind, const uint8_t *ps)
{
        uint64_t h = kind;
        for (int j = 0; j < 8; j++)
                h = h << 8 | ps[j];
        return (size_t)(h % LOCK_BUCKETS);
}

/* The bucket of event (source, id): the event's own lock when it is a
 * target, and a reference's lock on its target. */
static size_t event_bucket(uint8_t source, const uint8_t id[16])
{
        uint64_t h = 1469598103934665603ULL;
        h = (h ^ source) * 1099511628211ULL;
        for (int j = 0; j < 16; j++)
                h = (h ^ id[j]) * 1099511628211ULL;
        return (size_t)(h % LOCK_BUCKETS);
}

/* Locks the buckets of every key of s and, when touches is not NULL, of the
 * n touches' event ids and reference targets, in ascending order (no
 * deadlocks between instances that lock the same way). */
static swi_err_t lock_keys(PGconn *conn, const pgs_keyset_t *s, const swi_traj_touch_t *touches,
                           size_t n, char *errstr, size_t errstr_size)
{
        static const char sql[] = "SELECT count(pg_advisory_xact_lock(x)) FROM "
                                  "(SELECT DISTINCT x FROM unnest($1::bigint[]) x ORDER BY x) s";
        bool used[LOCK_BUCKETS] = {false};
        pgio_buf_t b = {0};
        swi_err_t rc = SWI_OK;

        for (size_t i = 0; i < s->n; i++)
                used[key_bucket(s->v[i].kind, s->v[i].ps)] = true;
        for (size_t i = 0; touches && i < n; i++) {
                if (touches[i].key_only)
                        continue;
                used[event_bucket(touches[i].source, touches[i].id)] = true;
                if (touches[i].has_ref)
                        used[event_bucket(touches[i].source, touches[i].ref)] = true;
        }
        pgio_buf_add(&b, "{", 1);
        int first = 1;
        for (int i = 0; i < LOCK_BUCKETS; i++) {
                if (!used[i])
                        continue;
                pgio_buf_printf(&b, "%s%lld", first ? "" : ",", LOCK_BASE + i);
                first = 0;
        }
        pgio_buf_add(&b, "}", 1);
        if (b.oom)
                return SWI_ERR_NOMEM;
        if (first) { /* nothing to lock */
                free(b.p);
                return SWI_OK;
        }
        const char *vals[1] = {b.p};
        PGresult *res = pgio_exec_params(conn, sql, 1, vals);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                rc = pgio_fail(conn, res, "lock identity clusters", errstr, errstr_size);
        else
                PQclear(res);
        free(b.p);
        return rc;
}

static void add_uuid(pgio_buf_t *b, const uint8_t id[16])
{
        static const char hex[] = "0123456789abcdef";
        char out[SWI_UUID_LEN];
        size_t o = 0;
        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[id[i] >> 4];
                out[o++] = hex[id[i] & 15];
        }
        pgio_buf_add(b, out, o);
}

/* Records the reference edges the batch brings (transform/identity.h): its
 * corrections and retractions whose targets are stored, and the stored ones
 * whose targets are among its events, when the two are clustered by
 * different keys. Runs under the locks of the touches' event buckets, so a
 * reference and its target committed at once by two instances cannot both
 * miss each other: the later one to take the lock sees the other committed.
 * The batch's own events are visible here (same transaction). */
static swi_err_t insert_reference_edges(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                                        char *errstr, size_t errstr_size)
{
#define KIND_OF(e) "CASE WHEN " e ".bsn_ps IS NOT NULL THEN 'BSN' ELSE 'VNR' END"
#define PS_OF(e)   "coalesce(" e ".bsn_ps, " e ".vnr_ps)"
        /* Index probes per event only (LATERAL with OFFSET 0, which keeps
         * the planner from flattening it: nested loops; the merge join it
         * chose read every stored retraction, a cost growing with the
         * history): the stored
         * references of the batch's events in the small partial indexes on
         * corrects / retracts, then the targets of the few found. */
#define REF_COLS "e.source, e.event_id, e.event_type, e.corrects, e.retracts, e.bsn_ps, e.vnr_ps"
        static const char sql[] =
                "WITH b AS MATERIALIZED (SELECT split_part(x, ':', 1) AS source, "
                "split_part(x, ':', 2)::uuid AS id FROM unnest(string_to_array($1, ',')) x), "
                "r AS (SELECT split_part(x, ':', 1) AS source, split_part(x, ':', 2)::uuid AS id "
                "FROM unnest(string_to_array($2, ',')) x), "
                "refs AS MATERIALIZED ("
                /* the batch's references */
                "SELECT " REF_COLS " FROM r CROSS JOIN LATERAL (SELECT * FROM swi.events e "
                "WHERE e.source = r.source AND e.event_id = r.id) e "
                "UNION ALL "
                /* stored corrections of the batch's events */
                "SELECT " REF_COLS " FROM b CROSS JOIN LATERAL (SELECT * FROM swi.events e "
                "WHERE e.source = b.source AND e.corrects = b.id "
                "AND e.event_type <> 'Intrekking' OFFSET 0) e "
                "UNION ALL "
                /* stored retractions of the batch's events */
                "SELECT " REF_COLS " FROM b CROSS JOIN LATERAL (SELECT * FROM swi.events e "
                "WHERE e.source = b.source AND e.retracts = b.id "
                "AND e.event_type = 'Intrekking' OFFSET 0) e), "
                /* with their stored targets */
                "p AS (SELECT e.source, e.event_id, " KIND_OF("e") " AS rk, " PS_OF("e") " AS rp, "
                KIND_OF("t") " AS tk, " PS_OF("t") " AS tp FROM refs e "
                "JOIN swi.events t ON t.source = e.source AND t.event_id = CASE WHEN "
                "e.event_type = 'Intrekking' THEN e.retracts ELSE e.corrects END) "
                "INSERT INTO swi.reference_edges (source, event_id, ref_kind, ref_ps, "
                "target_kind, target_ps) SELECT DISTINCT source, event_id, rk, rp, tk, tp FROM p "
                "WHERE rp IS NOT NULL AND tp IS NOT NULL AND (rk, rp) IS DISTINCT FROM (tk, tp) "
                "ON CONFLICT DO NOTHING";
#undef REF_COLS
#undef KIND_OF
#undef PS_OF
        pgio_buf_t ids = {0}, refs = {0};
        swi_err_t rc;

        pgio_buf_add(&ids, "", 0);
        pgio_buf_add(&refs, "", 0);
        for (size_t i = 0; i < n; i++) {
                if (touches[i].key_only)
                        continue;
                const char *src = swi_source_name((swi_source_t)touches[i].source);
                pgio_buf_t *b = &ids;
                if (ids.n)
                        pgio_buf_add(b, ",", 1);
                pgio_buf_add(b, src, strlen(src));
                pgio_buf_add(b, ":", 1);
                add_uuid(b, touches[i].id);
                if (!touches[i].has_ref)
                        continue;
                b = &refs;
                if (refs.n)
                        pgio_buf_add(b, ",", 1);
                pgio_buf_add(b, src, strlen(src));
                pgio_buf_add(b, ":", 1);
                add_uuid(b, touches[i].id);
        }
        if (ids.oom || refs.oom) {
                free(ids.p);
                free(refs.p);
                snprintf(errstr, errstr_size, "trajectory step: out of memory");
                return SWI_ERR_NOMEM;
        }
        if (ids.n == 0) { /* key-only touches: no event brings an edge */
                free(ids.p);
                free(refs.p);
                return SWI_OK;
        }
        const char *vals[2] = {ids.p, refs.p};
        rc = pgio_exec_ok(conn, sql, 2, vals, "insert reference edges", errstr, errstr_size);
        free(ids.p);
        free(refs.p);
        return rc;
}

static void add_date(pgio_buf_t *b, int32_t d)
{
        char s[PGIO_DATE_BUF];
        if (d == SWI_DATE_NONE || d == SWI_DATE_END)
                pgio_buf_add(b, "\\N", 2);
        else
                pgio_buf_add(b, s, strlen(pgio_date_text(d, s)));
}

static void add_text(pgio_buf_t *b, const char *s)
{
        if (!s || !*s)
                pgio_buf_add(b, "\\N", 2);
        else
                pgio_buf_add(b, s, strlen(s));
}

static void add_enum(pgio_buf_t *b, swi_traj_enum_t which, int v, int zero_is_null)
{
        if (v == 0 && zero_is_null)
                pgio_buf_add(b, "\\N", 2);
        else
                add_text(b, swi_traj_name(which, v));
}

static void add_bool(pgio_buf_t *b, bool v)
{
        pgio_buf_add(b, v ? "t" : "f", 1);
}

#define TAB pgio_buf_add(b, "\t", 1)

/* One row of swi_ops.findings (COPY text) for the person of key. */
static void add_finding_row(pgio_buf_t *b, const swi_person_key_t *key, const swi_finding_t *f)
{
        pgio_buf_add(b, pgs_kind_name(key->kind), 3);
        pgio_buf_add(b, "\t\\\\x", 4);
        pgio_buf_hex(b, key->ps);
        TAB;
        add_text(b, swi_finding_name(f->kind));
        TAB;
        add_text(b, f->event_id);
        TAB;
        add_date(b, f->date);
        TAB;
        add_text(b, f->target_id);
        pgio_buf_add(b, "\n", 1);
}

static void add_person_columns(pgio_buf_t *b, const swi_person_t *p)
{
        int y, m, d;
        add_enum(b, SWI_TE_WET, p->wet, 1);
        TAB;
        add_enum(b, SWI_TE_DOELGROEP, p->doelgroep, 1);
        TAB;
        if (p->plicht_start != SWI_DATE_NONE) {
                swi_date_to_ymd(p->plicht_start, &y, &m, &d);
                pgio_buf_printf(b, "%d", y);
        } else {
                pgio_buf_add(b, "\\N", 2);
        }
        TAB;
        add_date(b, p->plicht_start);
        TAB;
        add_enum(b, SWI_TE_GESLACHT, p->geslacht, 0);
        TAB;
        add_text(b, p->nationaliteit[0] ? p->nationaliteit : "ONBEKEND");
        TAB;
        if (p->leeftijd >= 0)
                pgio_buf_printf(b, "%d", p->leeftijd);
        else
                pgio_buf_add(b, "\\N", 2);
        TAB;
        add_enum(b, SWI_TE_LFTKLASSE, p->leeftijdsklasse, 0);
        TAB;
        add_enum(b, SWI_TE_TRI, p->jongere, 0);
        TAB;
        add_date(b, p->status_verleend);
        TAB;
        add_date(b, p->koppeling_datum);
        TAB;
        add_text(b, p->koppeling_gemeente);
        TAB;
        if (p->koppeling_afstand_km >= 0 && p->koppeling_datum != SWI_DATE_NONE)
                pgio_buf_printf(b, "%d", p->koppeling_afstand_km);
        else
                pgio_buf_add(b, "\\N", 2);
        TAB;
        add_date(b, p->opvang_instroom);
        TAB;
        add_bool(b, p->in_opvang);
        TAB;
        pgio_buf_printf(b, "%u", p->overplaatsingen);
        TAB;
        add_date(b, p->voorinburgering_start);
        TAB;
        add_date(b, p->voorinburgering_einde);
        TAB;
        add_enum(b, SWI_TE_VI, p->voorinburgering_uitkomst, 1);
        TAB;
        add_date(b, p->vestiging_datum);
        TAB;
        add_text(b, p->vestiging_gemeente);
        TAB;
        add_text(b, p->gemeente);
        TAB;
        add_text(b, p->regio);
        TAB;
        add_date(b, p->brede_intake_start);
        TAB;
        add_date(b, p->brede_intake_afgerond);
        TAB;
        add_enum(b, SWI_TE_OPLEIDING, p->opleidingsniveau, 0);
        TAB;
        add_enum(b, SWI_TE_WERKERVARING, p->werkervaring, 0);
        TAB;
        add_enum(b, SWI_TE_TRI, p->jonge_kinderen, 0);
        TAB;
        add_date(b, p->lbt_datum);
        TAB;
        if (p->lbt_score >= 0)
                pgio_buf_printf(b, "%d", p->lbt_score);
        else
                pgio_buf_add(b, "\\N", 2);
        TAB;
        add_enum(b, SWI_TE_LBT, p->lbt_uitkomst, 1);
        TAB;
        add_date(b, p->pip_datum);
        TAB;
        add_enum(b, SWI_TE_LEERROUTE, p->leerroute, 1);
        TAB;
        pgio_buf_printf(b, "%u", p->route_switches);
        TAB;
        add_bool(b, p->pip_in_opvang);
        TAB;
        add_date(b, p->start_pip_termijn);
        TAB;
        add_bool(b, p->pip_voor_termijn);
        TAB;
        add_bool(b, p->pip_binnen_10_weken);
        TAB;
        add_date(b, p->termijn_einde);
        TAB;
        add_enum(b, SWI_TE_EINDE, p->einde, 1);
        TAB;
        add_date(b, p->einde_datum);
        TAB;
        add_enum(b, SWI_TE_NIVEAU, p->einde == SWI_EINDE_VOLDAAN ? p->hoogste_niveau : 0, 1);
        TAB;
        pgio_buf_printf(b, "%u", p->n_werk);
        TAB;
        pgio_buf_printf(b, "%u", p->n_bijstand);
        TAB;
        pgio_buf_add(b, "{", 1);
        int first = 1;
        for (int k = 0; k < SWI_FIND__CNT; k++) {
                if (p->findings & (1u << k)) {
                        if (!first)
                                pgio_buf_add(b, ",", 1);
                        first = 0;
                        add_text(b, swi_finding_name((swi_finding_kind_t)k));
                }
        }
        pgio_buf_add(b, "}", 1);
}

/* A closed version carries no attributes: every date absent, every value unknown. */
static void closed_person(swi_person_t *p)
{
        memset(p, 0, sizeof(*p));
        p->plicht_start = p->geboortedatum = p->status_verleend = p->koppeling_datum =
                p->vestiging_datum = p->opvang_instroom = p->brede_intake_start =
                        p->brede_intake_afgerond = p->lbt_datum = p->pip_datum =
                                p->start_pip_termijn = p->termijn_einde = p->einde_datum =
                                        p->voorinburgering_start = p->voorinburgering_einde =
                                                SWI_DATE_NONE;
        p->koppeling_afstand_km = -1;
        p->leeftijd = -1;
        p->lbt_score = -1;
}

/* Tells the live publisher (publish/live.h) which clusters this batch
 * changed: one queue row with their keys (kind byte + pseudonym each, as a
 * binary parameter) and a notification, both delivered when the batch
 * commits; committed_at is since_ms when that is older than now. */
swi_err_t pgs_enqueue_publish(PGconn *conn, const pgs_keyset_t *ks, int64_t since_ms,
                              char *errstr, size_t errstr_size)
{
        char since[32];
        snprintf(since, sizeof(since), "%lld", (long long)(since_ms == INT64_MAX ? 0 : since_ms));
        size_t klen = 1 + SWI_PSEUDO_LEN;
        char *keys = malloc(ks->n ? ks->n * klen : 1);
        if (!keys) {
                snprintf(errstr, errstr_size, "trajectory step: out of memory");
                return SWI_ERR_NOMEM;
        }
        for (size_t i = 0; i < ks->n; i++) {
                keys[i * klen] = (char)ks->v[i].kind;
                memcpy(keys + i * klen + 1, ks->v[i].ps, SWI_PSEUDO_LEN);
        }
        const char *vals[2] = {keys, since_ms == INT64_MAX ? NULL : since};
        int lens[2] = {(int)(ks->n * klen), 0};
        int fmts[2] = {1, 0};
        /* one round trip in the batch transaction for both; committed_at is
         * the oldest deferral of the work this row carries, if older */
        PGresult *res = PQexecParams(
                conn,
                "WITH q AS (INSERT INTO swi_ops.publish_queue (keys, committed_at) "
                "VALUES ($1, least(clock_timestamp(), timestamptz 'epoch' + "
                "$2::bigint * interval '1 millisecond')) "
                "RETURNING 1) SELECT pg_notify('swi_publish', '') FROM q",
                2, NULL, vals, lens, fmts, 0);
        free(keys);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return pgio_fail(conn, res, "enqueue for the live figures", errstr, errstr_size);
        PQclear(res);
        return SWI_OK;
}

swi_err_t pgs_touch_keys(const swi_traj_touch_t *touches, size_t n, pgs_keyset_t *ks)
{
        for (size_t i = 0; i < n; i++) {
                if (touches[i].has_bsn && pgs_keyset_add(ks, SWI_PKEY_BSN, touches[i].bsn_ps) < 0)
                        return SWI_ERR_NOMEM;
                if (touches[i].has_vnr && pgs_keyset_add(ks, SWI_PKEY_VNR, touches[i].vnr_ps) < 0)
                        return SWI_ERR_NOMEM;
        }
        pgs_keyset_sort(ks);
        return SWI_OK;
}

swi_err_t pgs_insert_identity_edges(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                                    char *errstr, size_t errstr_size)
{
        static const char sql[] =
                "INSERT INTO swi.identity_edges (vnr_ps, bsn_ps) "
                "SELECT DISTINCT decode(split_part(x, ':', 1), 'hex'), "
                "decode(split_part(x, ':', 2), 'hex') "
                "FROM unnest(string_to_array($1, ',')) x ON CONFLICT DO NOTHING";
        pgio_buf_t b = {0};
        swi_err_t rc = SWI_OK;

        for (size_t i = 0; i < n; i++) {
                if (!touches[i].has_bsn || !touches[i].has_vnr)
                        continue;
                if (b.n)
                        pgio_buf_add(&b, ",", 1);
                pgio_buf_hex(&b, touches[i].vnr_ps);
                pgio_buf_add(&b, ":", 1);
                pgio_buf_hex(&b, touches[i].bsn_ps);
        }
        if (b.oom) {
                rc = SWI_ERR_NOMEM;
                snprintf(errstr, errstr_size, "trajectory step: out of memory");
        } else if (b.n) {
                const char *vals[1] = {b.p};
                rc = pgio_exec_ok(conn, sql, 1, vals, "insert identity edges", errstr,
                                  errstr_size);
        }
        pgio_buf_free(&b);
        return rc;
}

swi_err_t pgs_lock_clusters(PGconn *conn, pgs_keyset_t *ks, const swi_traj_touch_t *touches,
                            size_t n, char *errstr, size_t errstr_size)
{
        int added;
        swi_err_t rc;

        /* most of the clusters before the first lock: one sorted lock call */
        do {
                rc = pgs_expand(conn, ks, &added, errstr, errstr_size);
                if (rc != SWI_OK)
                        return rc;
        } while (added > 0);
        /* the clusters' keys and the batch's event ids (its references'
         * targets too); under those locks, the reference edges */
        rc = lock_keys(conn, ks, touches, n, errstr, errstr_size);
        if (rc == SWI_OK)
                rc = insert_reference_edges(conn, touches, n, errstr, errstr_size);
        if (rc != SWI_OK)
                return rc;
        /* repeat until no other instance (and no reference edge) grew them */
        for (;;) {
                rc = pgs_expand(conn, ks, &added, errstr, errstr_size);
                if (rc != SWI_OK || added == 0)
                        return rc;
                rc = lock_keys(conn, ks, NULL, 0, errstr, errstr_size);
                if (rc != SWI_OK)
                        return rc;
        }
}

/* One key as "KIND:hex" into b, with a leading comma unless b is empty. */
static void add_key_item(pgio_buf_t *b, const swi_person_key_t *k)
{
        if (b->n)
                pgio_buf_add(b, ",", 1);
        pgio_buf_add(b, pgs_kind_name(k->kind), 3);
        pgio_buf_add(b, ":", 1);
        pgio_buf_hex(b, k->ps);
}

static int traj_key_cmp(const void *pa, const void *pb)
{
        return swi_person_key_cmp(&((const pgs_traj_key_t *)pa)->key,
                                  &((const pgs_traj_key_t *)pb)->key);
}

/* keys that may have versions from their from_k on, as "KIND:hex:from_k" into b */
static void add_keys_from(pgio_buf_t *b, const pgs_traj_key_t *keys, size_t nkeys)
{
        for (size_t i = 0; i < nkeys; i++) {
                if (!keys[i].may_have_later)
                        continue;
                add_key_item(b, &keys[i].key);
                pgio_buf_printf(b, ":%lld", (long long)keys[i].from_k);
        }
}

/* The key list parameter $1 ("BSN:<hex>,VNR:<hex>,...") as a table d(kind, ps). */
#define KEYS_ONLY_CTE                                                                              \
        "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "                                        \
        "decode(split_part(x, ':', 2), 'hex') AS ps FROM unnest(string_to_array($1, ',')) x)"

/* One version, new or stored, in the comparable form: its key, times and the
 * trajectory columns as COPY text. */
typedef struct vrow_s {
        swi_person_key_t key;
        int64_t vf, vt; /* vt INT64_MIN: open */
        bool closed;
        size_t off, len; /* the columns in the arena */
} vrow_t;

typedef struct vrows_s {
        vrow_t *v;
        size_t n, cap;
        pgio_buf_t text;
} vrows_t;

static vrow_t *vrows_push(vrows_t *r)
{
        if (r->n == r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 256;
                vrow_t *v = realloc(r->v, cap * sizeof(*v));
                if (!v)
                        return NULL;
                r->v = v;
                r->cap = cap;
        }
        return &r->v[r->n++];
}

static void vrows_free(vrows_t *r)
{
        free(r->v);
        pgio_buf_free(&r->text);
}

static int vrow_cmp(const void *pa, const void *pb)
{
        const vrow_t *a = pa, *b = pb;
        int r = swi_person_key_cmp(&a->key, &b->key);
        if (r != 0)
                return r;
        return a->vf < b->vf ? -1 : a->vf > b->vf;
}

static bool vrow_same(const vrows_t *x, const vrow_t *a, const vrows_t *y, const vrow_t *b)
{
        return a->vf == b->vf && a->vt == b->vt && a->closed == b->closed && a->len == b->len &&
               memcmp(x->text.p + a->off, y->text.p + b->off, a->len) == 0;
}

/* The new versions of d, sorted by (key, valid_from), each closed by the next
 * of its key. */
static swi_err_t new_rows(const swi_derived_t *d, vrows_t *out)
{
        for (size_t i = 0; i < d->versions.n; i++) {
                const swi_version_t *v = &d->versions.v[i];
                vrow_t *r = vrows_push(out);
                if (!r)
                        return SWI_ERR_NOMEM;
                r->key = v->person.key;
                r->vf = v->valid_from;
                r->vt = INT64_MIN;
                r->closed = v->closed;
                r->off = out->text.n;
                if (v->closed) {
                        swi_person_t empty;
                        closed_person(&empty);
                        add_person_columns(&out->text, &empty);
                } else {
                        add_person_columns(&out->text, &v->person);
                }
                r->len = out->text.n - r->off;
        }
        if (out->text.oom)
                return SWI_ERR_NOMEM;
        if (out->n > 1) /* qsort of no rows would get NULL */
                qsort(out->v, out->n, sizeof(*out->v), vrow_cmp);
        for (size_t i = 0; i + 1 < out->n; i++)
                if (swi_person_key_cmp(&out->v[i].key, &out->v[i + 1].key) == 0)
                        out->v[i].vt = out->v[i + 1].vf;
        return SWI_OK;
}

/* The stored versions from each key's from_k on (keys with may_have_later),
 * sorted like new_rows', the columns as PostgreSQL prints them (datestyle
 * ISO) - the text the COPY writer produces for the same values. */
static swi_err_t stored_rows(PGconn *conn, const pgs_traj_key_t *keys, size_t nkeys, vrows_t *out,
                             char *errstr, size_t errstr_size)
{
        static const char sql[] =
                "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                "decode(split_part(x, ':', 2), 'hex') AS ps, timestamptz 'epoch' + "
                "split_part(x, ':', 3)::bigint * interval '1 millisecond' AS k "
                "FROM unnest(string_to_array($1, ',')) x) "
                "SELECT v.person_kind, encode(v.person_ps, 'hex'), "
                "(extract(epoch FROM v.valid_from) * 1000)::bigint, "
                "(extract(epoch FROM v.valid_to) * 1000)::bigint, v.closed, " PGIO_TRAJ_COLS
                " FROM swi.trajectory_versions v JOIN d ON v.person_kind = d.kind "
                "AND v.person_ps = d.ps AND v.valid_from >= d.k";
        pgio_buf_t b = {0};
        swi_err_t rc = SWI_OK;

        add_keys_from(&b, keys, nkeys);
        if (b.oom)
                return SWI_ERR_NOMEM;
        if (b.n == 0)
                return SWI_OK;
        const char *vals[1] = {b.p};
        PGresult *res = pgio_exec_params(conn, sql, 1, vals);
        pgio_buf_free(&b);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return pgio_fail(conn, res, "read the versions to compare", errstr, errstr_size);
        int nf = PQnfields(res);
        for (int r = 0; r < PQntuples(res) && rc == SWI_OK; r++) {
                vrow_t *v = vrows_push(out);
                if (!v) {
                        rc = SWI_ERR_NOMEM;
                        break;
                }
                memset(&v->key, 0, sizeof(v->key));
                v->key.kind = pgs_kind_parse(PQgetvalue(res, r, 0));
                if (pgio_parse_hex(PQgetvalue(res, r, 1), v->key.ps) != 0)
                        v->key.kind = 0; /* cannot be: never equal to a new one */
                v->vf = atoll(PQgetvalue(res, r, 2));
                v->vt = PQgetisnull(res, r, 3) ? INT64_MIN : atoll(PQgetvalue(res, r, 3));
                v->closed = strcmp(PQgetvalue(res, r, 4), "t") == 0;
                v->off = out->text.n;
                for (int c = 5; c < nf; c++) {
                        if (c > 5)
                                pgio_buf_add(&out->text, "\t", 1);
                        if (PQgetisnull(res, r, c))
                                pgio_buf_add(&out->text, "\\N", 2);
                        else
                                pgio_buf_add(&out->text, PQgetvalue(res, r, c),
                                             (size_t)PQgetlength(res, r, c));
                }
                v->len = out->text.n - v->off;
                if (out->text.oom)
                        rc = SWI_ERR_NOMEM;
        }
        PQclear(res);
        if (rc == SWI_OK && out->n > 1) /* qsort of no rows would get NULL */
                qsort(out->v, out->n, sizeof(*out->v), vrow_cmp);
        return rc;
}

/* A version row for COPY: kind, ps, valid_from, valid_to, closed, columns;
 * with current, a current row: kind, ps, valid_from, columns. */
static void add_vrow(pgio_buf_t *b, const vrows_t *rs, const vrow_t *r, bool current)
{
        pgio_buf_add(b, pgs_kind_name(r->key.kind), 3);
        pgio_buf_add(b, "\t\\\\x", 4);
        pgio_buf_hex(b, r->key.ps);
        pgio_buf_add(b, "\t", 1);
        pgio_add_ts(b, r->vf);
        if (!current) {
                pgio_buf_add(b, "\t", 1);
                if (r->vt == INT64_MIN)
                        pgio_buf_add(b, "\\N", 2);
                else
                        pgio_add_ts(b, r->vt);
                pgio_buf_add(b, r->closed ? "\tt" : "\tf", 2);
        }
        pgio_buf_add(b, "\t", 1);
        pgio_buf_add(b, rs->text.p + r->off, r->len);
        pgio_buf_add(b, "\n", 1);
}

/* The stored version c as a "KIND:hex:valid_from" item of b. */
static void add_gone(pgio_buf_t *b, const vrow_t *c)
{
        add_key_item(b, &c->key);
        pgio_buf_printf(b, ":%lld", (long long)c->vf);
}

swi_err_t pgs_write_trajectories(PGconn *conn, pgs_traj_key_t *keys, size_t nkeys,
                                 const swi_derived_t *d, int64_t *versions_written, char *errstr,
                                 size_t errstr_size)
{
        /* versions gone or changed, by their primary key */
        static const char del[] =
                "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                "decode(split_part(x, ':', 2), 'hex') AS ps, timestamptz 'epoch' + "
                "split_part(x, ':', 3)::bigint * interval '1 millisecond' AS vf "
                "FROM unnest(string_to_array($1, ',')) x) "
                "DELETE FROM swi.trajectory_versions v USING d "
                "WHERE v.person_kind = d.kind AND v.person_ps = d.ps AND v.valid_from = d.vf";
        /* the version open at from_k (the latest before it) now ends where
         * the key's first version from from_k on starts, or not at all */
        static const char close[] =
                "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                "decode(split_part(x, ':', 2), 'hex') AS ps, timestamptz 'epoch' + "
                "split_part(x, ':', 3)::bigint * interval '1 millisecond' AS k, "
                "timestamptz 'epoch' + nullif(split_part(x, ':', 4), '')::bigint "
                "* interval '1 millisecond' AS nxt FROM unnest(string_to_array($1, ',')) x) "
                "UPDATE swi.trajectory_versions v SET valid_to = d.nxt FROM d "
                "WHERE v.person_kind = d.kind AND v.person_ps = d.ps "
                "AND v.valid_from = (SELECT max(w.valid_from) FROM swi.trajectory_versions w "
                "WHERE w.person_kind = d.kind AND w.person_ps = d.ps AND w.valid_from < d.k) "
                "AND v.valid_to IS DISTINCT FROM d.nxt";
        static const char cur_del[] =
                KEYS_ONLY_CTE " DELETE FROM swi.trajectories t USING d "
                "WHERE t.person_kind = d.kind AND t.person_ps = d.ps";
        static const char cur_from_versions[] =
                KEYS_ONLY_CTE " INSERT INTO swi.trajectories (person_kind, person_ps, valid_from, "
                PGIO_TRAJ_COLS ") SELECT v.person_kind, v.person_ps, v.valid_from, "
                PGIO_TRAJ_COLS " FROM swi.trajectory_versions v JOIN d ON v.person_kind = d.kind "
                "AND v.person_ps = d.ps WHERE v.valid_to IS NULL AND NOT v.closed";
        static const char fnd_del[] =
                KEYS_ONLY_CTE " DELETE FROM swi_ops.findings f USING d "
                "WHERE f.person_kind = d.kind AND f.person_ps = d.ps";
        vrows_t nw = {0}, st = {0};
        pgio_buf_t b = {0}, rows = {0}, cur = {0}, gone = {0}, closes = {0}, curkeys = {0},
                   back = {0};
        size_t written = 0;
        swi_err_t rc;

        *versions_written = 0;
        qsort(keys, nkeys, sizeof(*keys), traj_key_cmp);
        rc = new_rows(d, &nw);
        if (rc == SWI_OK)
                rc = stored_rows(conn, keys, nkeys, &st, errstr, errstr_size);
        if (rc == SWI_ERR_NOMEM)
                goto nomem;
        if (rc != SWI_OK)
                goto done;

        /* per key, merge the stored and the new versions from from_k on */
        size_t i = 0, j = 0;
        for (size_t k = 0; k < nkeys; k++) {
                const swi_person_key_t *key = &keys[k].key;
                size_t i0 = i, j0 = j;
                while (i < nw.n && swi_person_key_cmp(&nw.v[i].key, key) == 0)
                        i++;
                while (j < st.n && swi_person_key_cmp(&st.v[j].key, key) == 0)
                        j++;
                size_t a = i0, c = j0;
                bool changed = false;
                while (a < i || c < j) {
                        if (c == j || (a < i && nw.v[a].vf < st.v[c].vf)) {
                                add_vrow(&rows, &nw, &nw.v[a++], false);
                                written++;
                                changed = true;
                        } else if (a == i || st.v[c].vf < nw.v[a].vf) {
                                add_gone(&gone, &st.v[c++]);
                                changed = true;
                        } else {
                                if (!vrow_same(&nw, &nw.v[a], &st, &st.v[c])) {
                                        add_gone(&gone, &st.v[c]);
                                        add_vrow(&rows, &nw, &nw.v[a], false);
                                        written++;
                                        changed = true;
                                }
                                a++;
                                c++;
                        }
                }
                if (!changed)
                        continue; /* nothing, or the same versions again */
                /* the version before from_k ends where the first from from_k
                 * on starts: write it when that start moved */
                int64_t was = j > j0 ? st.v[j0].vf : INT64_MIN;
                int64_t now = i > i0 ? nw.v[i0].vf : INT64_MIN;
                if (was != now) {
                        add_key_item(&closes, key);
                        pgio_buf_printf(&closes, ":%lld:", (long long)keys[k].from_k);
                        if (now != INT64_MIN)
                                pgio_buf_printf(&closes, "%lld", (long long)now);
                }
                /* the current row: the last version, unless it closes the
                 * person; with none from from_k on any more, the one before */
                add_key_item(&curkeys, key);
                if (i > i0 && !nw.v[i - 1].closed)
                        add_vrow(&cur, &nw, &nw.v[i - 1], true);
                else if (i == i0)
                        add_key_item(&back, key);
        }
        if (rows.oom || cur.oom || gone.oom || closes.oom || curkeys.oom || back.oom)
                goto nomem;
        *versions_written = (int64_t)written;
        if (gone.n) {
                const char *vals[1] = {gone.p};
                rc = pgio_exec_ok(conn, del, 1, vals, "delete replaced trajectory versions", errstr,
                                  errstr_size);
        }
        if (rc == SWI_OK && rows.n)
                rc = pgio_copy_in(conn,
                                  "COPY swi.trajectory_versions (person_kind, person_ps, "
                                  "valid_from, valid_to, closed, " PGIO_TRAJ_COLS ") FROM STDIN",
                                  &rows, "COPY trajectory versions", errstr, errstr_size);
        if (rc == SWI_OK && closes.n) {
                const char *vals[1] = {closes.p};
                rc = pgio_exec_ok(conn, close, 1, vals, "close trajectory versions", errstr,
                                  errstr_size);
        }
        /* the current rows of the keys whose versions changed */
        if (rc == SWI_OK && curkeys.n) {
                const char *vals[1] = {curkeys.p};
                rc = pgio_exec_ok(conn, cur_del, 1, vals, "delete current trajectories", errstr,
                                  errstr_size);
        }
        if (rc == SWI_OK && cur.n)
                rc = pgio_copy_in(conn,
                                  "COPY swi.trajectories (person_kind, person_ps, valid_from, "
                                  PGIO_TRAJ_COLS ") FROM STDIN",
                                  &cur, "COPY current trajectories", errstr, errstr_size);
        if (rc == SWI_OK && back.n) {
                const char *vals[1] = {back.p};
                rc = pgio_exec_ok(conn, cur_from_versions, 1, vals,
                                  "restore current trajectories", errstr, errstr_size);
        }
        if (rc != SWI_OK)
                goto done;

        /* the findings of every key, as known now */
        for (size_t k = 0; k < nkeys; k++)
                add_key_item(&b, &keys[k].key);
        rows.n = 0;
        for (size_t f = 0; f < d->nfindings; f++)
                add_finding_row(&rows, &d->findings[f].key, &d->findings[f].f);
        if (b.oom || rows.oom)
                goto nomem;
        if (b.n) {
                const char *vals[1] = {b.p};
                rc = pgio_exec_ok(conn, fnd_del, 1, vals, "delete findings", errstr, errstr_size);
        }
        if (rc == SWI_OK && rows.n)
                rc = pgio_copy_in(conn, "COPY swi_ops.findings (" PGIO_FINDING_COLS ") FROM STDIN",
                                  &rows, "COPY findings", errstr, errstr_size);
        goto done;
nomem:
        snprintf(errstr, errstr_size, "trajectory step: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        vrows_free(&nw);
        vrows_free(&st);
        pgio_buf_free(&b);
        pgio_buf_free(&rows);
        pgio_buf_free(&cur);
        pgio_buf_free(&gone);
        pgio_buf_free(&closes);
        pgio_buf_free(&curkeys);
        pgio_buf_free(&back);
        return rc;
}

/* ---- the trajectory step deferred (migration 020) -------------------------- */

/* One key and the oldest knowledge time a batch added to it. */
typedef struct pending_key_s {
        swi_person_key_t key;
        int64_t from_k;
} pending_key_t;

static int pending_key_cmp(const void *a, const void *b)
{
        return swi_person_key_cmp(&((const pending_key_t *)a)->key,
                                  &((const pending_key_t *)b)->key);
}

swi_err_t pgs_defer_touches(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                            int64_t *keys, char *errstr, size_t errstr_size)
{
        /* In key order (the rows lock in that order: no deadlock with another
         * deferring batch or with a step claiming rows, which also goes in
         * key order); one row per key, so ON CONFLICT touches each once. */
        static const char sql[] =
                "INSERT INTO swi_ops.trajectory_pending AS t (kind, ps, from_k) "
                "SELECT split_part(x, ':', 1), decode(split_part(x, ':', 2), 'hex'), "
                "split_part(x, ':', 3)::bigint FROM unnest(string_to_array($1, ',')) "
                "WITH ORDINALITY u(x, o) ORDER BY o "
                "ON CONFLICT (kind, ps) DO UPDATE SET from_k = least(t.from_k, excluded.from_k)";
        static const pgs_keyset_t none = {0};
        pending_key_t *v = malloc((n > 0 ? 2 * n : 1) * sizeof(*v));
        pgio_buf_t b = {0};
        size_t m = 0, u = 0;
        swi_err_t rc;

        *keys = 0;
        if (!v)
                goto nomem;
        for (size_t i = 0; i < n; i++) {
                if (touches[i].has_bsn) {
                        v[m].key.kind = SWI_PKEY_BSN;
                        memcpy(v[m].key.ps, touches[i].bsn_ps, SWI_PSEUDO_LEN);
                        v[m++].from_k = touches[i].registered_at;
                }
                if (touches[i].has_vnr) {
                        v[m].key.kind = SWI_PKEY_VNR;
                        memcpy(v[m].key.ps, touches[i].vnr_ps, SWI_PSEUDO_LEN);
                        v[m++].from_k = touches[i].registered_at;
                }
        }
        if (m > 1)
                qsort(v, m, sizeof(*v), pending_key_cmp);
        for (size_t i = 0; i < m; i++) {
                if (u > 0 && swi_person_key_cmp(&v[u - 1].key, &v[i].key) == 0) {
                        if (v[i].from_k < v[u - 1].from_k)
                                v[u - 1].from_k = v[i].from_k;
                        continue;
                }
                v[u++] = v[i];
        }
        pgio_buf_add(&b, "", 0);
        for (size_t i = 0; i < u; i++) {
                add_key_item(&b, &v[i].key);
                pgio_buf_printf(&b, ":%lld", (long long)v[i].from_k);
        }
        if (b.oom)
                goto nomem;
        /* the reference edges under the locks of the events' buckets, as
         * the step records them (pgs_lock_clusters) */
        rc = lock_keys(conn, &none, touches, n, errstr, errstr_size);
        if (rc == SWI_OK)
                rc = insert_reference_edges(conn, touches, n, errstr, errstr_size);
        if (rc == SWI_OK && u > 0) {
                const char *vals[1] = {b.p};
                rc = pgio_exec_ok(conn, sql, 1, vals, "defer the trajectory step", errstr,
                                  errstr_size);
        }
        if (rc == SWI_OK)
                *keys = (int64_t)u;
        free(v);
        free(b.p);
        return rc;
nomem:
        free(v);
        free(b.p);
        snprintf(errstr, errstr_size, "deferring the trajectory step: out of memory");
        return SWI_ERR_NOMEM;
}

swi_err_t pgs_claim_pending(PGconn *conn, const pgs_keyset_t *ks, pgs_claimed_t *out,
                            char *errstr, size_t errstr_size)
{
        /* Locks the rows in key order first (see pgs_defer_touches), then
         * deletes them. Only rows of committed batches are seen: their
         * events are visible to the load that follows. */
        static const char sql[] =
                "WITH k AS (SELECT split_part(x, ':', 1) AS kind, "
                "decode(split_part(x, ':', 2), 'hex') AS ps FROM unnest(string_to_array($1, ',')) x), "
                "c AS (SELECT p.kind, p.ps FROM swi_ops.trajectory_pending p JOIN k "
                "ON p.kind = k.kind AND p.ps = k.ps ORDER BY p.kind, p.ps FOR UPDATE OF p) "
                "DELETE FROM swi_ops.trajectory_pending t USING c WHERE t.kind = c.kind "
                "AND t.ps = c.ps RETURNING t.kind, encode(t.ps, 'hex'), t.from_k, "
                "(extract(epoch FROM t.deferred_at) * 1000)::bigint";
        pgio_buf_t b = {0};
        swi_err_t rc = SWI_OK;

        out->n = 0;
        out->oldest_ms = INT64_MAX;
        pgio_buf_add(&b, "", 0);
        for (size_t i = 0; i < ks->n; i++)
                add_key_item(&b, &ks->v[i]);
        if (b.oom) {
                free(b.p);
                snprintf(errstr, errstr_size, "trajectory step: out of memory");
                return SWI_ERR_NOMEM;
        }
        const char *vals[1] = {b.p};
        PGresult *res = pgio_exec_params(conn, sql, 1, vals);
        free(b.p);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return pgio_fail(conn, res, "take deferred trajectory work", errstr, errstr_size);
        size_t rows = (size_t)PQntuples(res);
        if (rows > out->cap) {
                pgs_claim_t *v = realloc(out->v, rows * sizeof(*v));
                if (!v) {
                        PQclear(res);
                        snprintf(errstr, errstr_size, "trajectory step: out of memory");
                        return SWI_ERR_NOMEM;
                }
                out->v = v;
                out->cap = rows;
        }
        for (size_t r = 0; r < rows; r++) {
                pgs_claim_t *c = &out->v[out->n];
                c->key.kind = pgs_kind_parse(PQgetvalue(res, (int)r, 0));
                if (!c->key.kind || pgio_parse_hex(PQgetvalue(res, (int)r, 1), c->key.ps))
                        continue;
                c->from_k = strtoll(PQgetvalue(res, (int)r, 2), NULL, 10);
                int64_t at = strtoll(PQgetvalue(res, (int)r, 3), NULL, 10);
                if (at < out->oldest_ms)
                        out->oldest_ms = at;
                out->n++;
        }
        PQclear(res);
        return rc;
}

swi_err_t pgs_pending_seeds(PGconn *conn, size_t max, const uint8_t start[SWI_PSEUDO_LEN],
                            swi_traj_touch_t **touches, size_t *n, char *errstr,
                            size_t errstr_size)
{
        /* From a point of the key space onwards, then from its beginning:
         * instances draining at once start at different points. */
        static const char sql[] =
                "(SELECT kind, encode(ps, 'hex'), from_k FROM swi_ops.trajectory_pending "
                "WHERE (kind, ps) >= ($3, decode($1, 'hex')) ORDER BY kind, ps LIMIT $2) "
                "UNION ALL "
                "(SELECT kind, encode(ps, 'hex'), from_k FROM swi_ops.trajectory_pending "
                "WHERE (kind, ps) < ($3, decode($1, 'hex')) ORDER BY kind, ps LIMIT $2)";
        pgio_buf_t hex = {0};
        char lim[32];
        pgio_buf_hex(&hex, start); /* NUL-terminated, as every pgio_buf_t */
        if (hex.oom) {
                pgio_buf_free(&hex);
                snprintf(errstr, errstr_size, "trajectory step: out of memory");
                return SWI_ERR_NOMEM;
        }
        snprintf(lim, sizeof(lim), "%zu", max);
        const char *vals[3] = {hex.p, lim, start[0] & 1 ? "VNR" : "BSN"};
        PGresult *res = pgio_exec_params(conn, sql, 3, vals);
        pgio_buf_free(&hex);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return pgio_fail(conn, res, "read deferred trajectory work", errstr, errstr_size);
        size_t rows = (size_t)PQntuples(res);
        if (rows > max)
                rows = max;
        swi_traj_touch_t *t = calloc(rows ? rows : 1, sizeof(*t));
        if (!t) {
                PQclear(res);
                snprintf(errstr, errstr_size, "trajectory step: out of memory");
                return SWI_ERR_NOMEM;
        }
        size_t k = 0;
        for (size_t r = 0; r < rows; r++) {
                uint8_t kind = pgs_kind_parse(PQgetvalue(res, (int)r, 0));
                uint8_t ps[SWI_PSEUDO_LEN];
                if (!kind || pgio_parse_hex(PQgetvalue(res, (int)r, 1), ps))
                        continue;
                t[k].key_only = true;
                t[k].has_bsn = kind == SWI_PKEY_BSN;
                t[k].has_vnr = kind == SWI_PKEY_VNR;
                memcpy(kind == SWI_PKEY_BSN ? t[k].bsn_ps : t[k].vnr_ps, ps, SWI_PSEUDO_LEN);
                t[k].registered_at = strtoll(PQgetvalue(res, (int)r, 2), NULL, 10);
                k++;
        }
        PQclear(res);
        *touches = t;
        *n = k;
        return SWI_OK;
}
