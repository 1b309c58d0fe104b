/* pg_cluster.c - see pg_cluster.h. */
#include "pg_cluster.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/log.h"
#include "transform/gemeenten.h"

double pgc_now_s(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void pgc_notice_to_log(void *arg, const char *message)
{
        (void)arg;
        SWI_LOG_D("pg", "server notice", "text=\"%.*s\"", (int)strcspn(message, "\n"), message);
}

void pgc_buf_grow(buf_t *b, size_t need)
{
        if (b->n + need + 1 <= b->cap)
                return;
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + need + 1)
                cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
                b->oom = 1;
                return;
        }
        b->p = p;
        b->cap = cap;
}

void pgc_buf_add(buf_t *b, const char *s, size_t len)
{
        pgc_buf_grow(b, len);
        if (b->oom)
                return;
        memcpy(b->p + b->n, s, len);
        b->n += len;
        b->p[b->n] = '\0';
}

void pgc_buf_printf(buf_t *b, const char *fmt, ...)
{
        va_list ap;
        char tmp[256];
        va_start(ap, fmt);
        int w = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (w < 0)
                return;
        if ((size_t)w < sizeof(tmp)) {
                pgc_buf_add(b, tmp, (size_t)w);
                return;
        }
        pgc_buf_grow(b, (size_t)w);
        if (b->oom)
                return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, (size_t)w + 1, fmt, ap);
        va_end(ap);
        b->n += (size_t)w;
}

void pgc_buf_hex(buf_t *b, const uint8_t *ps)
{
        static const char hex[] = "0123456789abcdef";
        char out[2 * SWI_PSEUDO_LEN];
        for (int i = 0; i < SWI_PSEUDO_LEN; i++) {
                out[2 * i] = hex[ps[i] >> 4];
                out[2 * i + 1] = hex[ps[i] & 15];
        }
        pgc_buf_add(b, out, sizeof(out));
}

static int hexval(int c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The pseudonym in the first 64 hex digits of s (s may go on). */
int pgc_parse_hex_prefix(const char *s, uint8_t out[SWI_PSEUDO_LEN])
{
        for (int i = 0; i < SWI_PSEUDO_LEN; i++) {
                int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
                if (h < 0 || l < 0)
                        return -1;
                out[i] = (uint8_t)(h << 4 | l);
        }
        return 0;
}

/* s is exactly one pseudonym in hex. */
int pgc_parse_hex(const char *s, uint8_t out[SWI_PSEUDO_LEN])
{
        return strlen(s) == 2 * SWI_PSEUDO_LEN ? pgc_parse_hex_prefix(s, out) : -1;
}

static int key_cmp(const void *a, const void *b)
{
        return memcmp(a, b, sizeof(key_t_));
}

/* Appends a key (duplicates are removed by pgc_keyset_sort); 0, or -1 on
 * out of memory. O(1): sets grow by thousands of keys per batch. */
int pgc_keyset_add(keyset_t *s, uint8_t kind, const uint8_t *ps)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 256;
                key_t_ *v = realloc(s->v, cap * sizeof(*v));
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

void pgc_keyset_sort(keyset_t *s)
{
        size_t u = 0;
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(key_t_), key_cmp);
        for (size_t i = 0; i < s->n; i++)
                if (u == 0 || key_cmp(&s->v[u - 1], &s->v[i]) != 0)
                        s->v[u++] = s->v[i];
        s->n = s->sorted = u;
}

long pgc_keyset_find(const keyset_t *s, uint8_t kind, const uint8_t *ps)
{
        key_t_ k;
        k.kind = kind;
        memcpy(k.ps, ps, SWI_PSEUDO_LEN);
        const key_t_ *f = bsearch(&k, s->v, s->sorted, sizeof(k), key_cmp);
        return f ? (long)(f - s->v) : -1;
}

/* Comma-separated hex pseudonyms of one kind (a text parameter). */
void pgc_keys_param(const keyset_t *s, uint8_t kind, buf_t *b)
{
        b->n = 0;
        pgc_buf_add(b, "", 0);
        for (size_t i = 0; i < s->n; i++) {
                if (s->v[i].kind != kind)
                        continue;
                if (b->n)
                        pgc_buf_add(b, ",", 1);
                pgc_buf_hex(b, s->v[i].ps);
        }
}

swi_err_t pgc_pg_fail(PGconn *conn, PGresult *res, const char *what, char *errstr,
                         size_t errstr_size)
{
        snprintf(errstr, errstr_size, "%s: %s", what,
                 res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
        PQclear(res);
        return SWI_ERR_PG;
}

PGresult *pgc_exec_params(PGconn *conn, const char *sql, int n, const char *const *vals)
{
        return PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0);
}

/* Adds every edge touching a key of s to s; returns how many keys were new. */
swi_err_t pgc_expand(PGconn *conn, keyset_t *s, int *added, char *errstr, size_t errstr_size)
{
        /* two index scans (an OR of the two would scan the whole table) */
        static const char sql[] =
                "SELECT encode(vnr_ps, 'hex'), encode(bsn_ps, 'hex') FROM swi.identity_edges "
                "WHERE bsn_ps = ANY(ARRAY(SELECT decode(x, 'hex') FROM unnest(string_to_array($1, ',')) x)) "
                "UNION "
                "SELECT encode(vnr_ps, 'hex'), encode(bsn_ps, 'hex') FROM swi.identity_edges "
                "WHERE vnr_ps = ANY(ARRAY(SELECT decode(x, 'hex') FROM unnest(string_to_array($2, ',')) x))";
        buf_t b = {0}, v = {0};
        swi_err_t rc = SWI_OK;

        *added = 0;
        if (s->sorted != s->n)
                pgc_keyset_sort(s);
        size_t before = s->n;
        pgc_keys_param(s, SWI_PKEY_BSN, &b);
        pgc_keys_param(s, SWI_PKEY_VNR, &v);
        if (b.oom || v.oom) {
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        const char *vals[2] = {b.p, v.p};
        PGresult *res = pgc_exec_params(conn, sql, 2, vals);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                rc = pgc_pg_fail(conn, res, "expand identity clusters", errstr, errstr_size);
                goto done;
        }
        for (int r = 0; r < PQntuples(res); r++) {
                uint8_t vnr[SWI_PSEUDO_LEN], bsn[SWI_PSEUDO_LEN];
                if (pgc_parse_hex(PQgetvalue(res, r, 0), vnr) || pgc_parse_hex(PQgetvalue(res, r, 1), bsn))
                        continue;
                if (pgc_keyset_add(s, SWI_PKEY_VNR, vnr) < 0 ||
                    pgc_keyset_add(s, SWI_PKEY_BSN, bsn) < 0) {
                        PQclear(res);
                        rc = SWI_ERR_NOMEM;
                        goto done;
                }
        }
        PQclear(res);
        pgc_keyset_sort(s);
        *added = (int)(s->n - before);
done:
        free(b.p);
        free(v.p);
        return rc;
}

static const char *const date_fields[] = {"geboortedatum", "nieuwe_einddatum"};

/* One loaded event from a row of the load query. Returns 0 or -1 (skipped). */
int pgc_row_to_event(PGresult *res, int r, swi_event_t *ev)
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
                ev->has_bsn_ps = pgc_parse_hex(PQgetvalue(res, r, 3), ev->bsn_ps) == 0;
        }
        if (!PQgetisnull(res, r, 4)) {
                ev->has_vnr_ps = pgc_parse_hex(PQgetvalue(res, r, 4), ev->vnr_ps) == 0;
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

/* ---- union-find over the key set ------------------------------------------ */

size_t pgc_uf_find(size_t *parent, size_t x)
{
        while (parent[x] != x) {
                parent[x] = parent[parent[x]];
                x = parent[x];
        }
        return x;
}

void pgc_uf_union(size_t *parent, size_t a, size_t b)
{
        a = pgc_uf_find(parent, a);
        b = pgc_uf_find(parent, b);
        if (a != b)
                parent[a < b ? b : a] = a < b ? a : b;
}

/* ---- COPY rows ---------------------------------------------------------- */

void pgc_add_cell(buf_t *b, const swi_ind_row_t *r)
{
        const char *parts[7] = {r->breakdown, r->cohort, r->doelgroep, "", "", "", r->measure};
        for (int d = 0; d < r->ndims && d < 3; d++)
                parts[3 + d] = r->dim_value[d];
        for (int k = 0; k < 7; k++) {
                if (k)
                        pgc_buf_add(b, "\x1f", 1);
                for (const char *c = parts[k]; *c; c++) {
                        if (*c == '\\' || *c == '\t' || *c == '\n')
                                pgc_buf_add(b, "\\", 1);
                        pgc_buf_add(b, c, 1);
                }
        }
}

void pgc_add_raw_line(buf_t *b, const swi_ind_row_t *r, int32_t P)
{
        char d[PGC_DATE_BUF];
        pgc_buf_printf(b, "%s\t", pgc_date_text(P, d));
        pgc_add_cell(b, r);
        pgc_buf_printf(b, "\t%lld\t%lld\n", (long long)r->raw_num, (long long)r->raw_den);
}

char *pgc_date_text(int64_t days, char *buf)
{
        int y, m, d;
        int64_t yy;

        /* one 400-year cycle at a time keeps the int year of swi_date_to_ymd */
        int64_t cycles = days / 146097;
        swi_date_to_ymd((int32_t)(days - cycles * 146097), &y, &m, &d);
        yy = y + cycles * 400;
        if (yy >= 1)
                snprintf(buf, PGC_DATE_BUF, "%04lld-%02d-%02d", (long long)yy, m, d);
        else
                snprintf(buf, PGC_DATE_BUF, "%04lld-%02d-%02d BC", (long long)(1 - yy), m, d);
        return buf;
}

void pgc_add_ts(buf_t *b, int64_t ms)
{
        int64_t days = ms / 86400000, rem = ms % 86400000;
        if (rem < 0) {
                rem += 86400000;
                days--;
        }
        char d[PGC_DATE_BUF];
        pgc_date_text(days, d);
        pgc_buf_printf(b, "%s %02d:%02d:%02d.%03d+00", d, (int)(rem / 3600000),
                   (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

const char *pgc_kind_name(uint8_t kind)
{
        return kind == SWI_PKEY_BSN ? "BSN" : "VNR";
}

swi_err_t pgc_copy_in(PGconn *conn, const char *sql, const buf_t *b, const char *what,
                         char *errstr, size_t errstr_size)
{
        PGresult *res = PQexec(conn, sql);
        if (PQresultStatus(res) != PGRES_COPY_IN)
                return pgc_pg_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        if ((b->n && PQputCopyData(conn, b->p, (int)b->n) != 1) || PQputCopyEnd(conn, NULL) != 1)
                return pgc_pg_fail(conn, NULL, what, errstr, errstr_size);
        res = PQgetResult(conn);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
                return pgc_pg_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        while ((res = PQgetResult(conn)))
                PQclear(res);
        return SWI_OK;
}

swi_err_t pgc_exec_ok(PGconn *conn, const char *sql, int n, const char *const *vals,
                         const char *what, char *errstr, size_t errstr_size)
{
        PGresult *res = pgc_exec_params(conn, sql, n, vals);
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                return pgc_pg_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        return SWI_OK;
}

static int cmp_size(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;
        return x < y ? -1 : x > y;
}

void pgc_loaded_free(loaded_t *ld)
{
        free(ld->evs);
        free(ld->evp);
        free(ld->parent);
        free(ld->evroot);
        free(ld->order);
        free(ld->cl);
        memset(ld, 0, sizeof(*ld));
}

/* Loads every stored event of the keys of ks (sorted) and groups them into
 * clusters: the union over every event carrying both identifiers (the
 * edges), then each event goes to its keys' component. */
swi_err_t pgc_load_clusters(PGconn *conn, const keyset_t *ks, loaded_t *ld, char *errstr,
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
        buf_t p1 = {0}, p2 = {0};
        PGresult *res = NULL;
        swi_err_t rc = SWI_OK;
        size_t rows, nev = 0, ncl = 0;

        memset(ld, 0, sizeof(*ld));
        pgc_keys_param(ks, SWI_PKEY_BSN, &p1);
        pgc_keys_param(ks, SWI_PKEY_VNR, &p2);
        if (p1.oom || p2.oom)
                goto nomem;
        {
                const char *vals[2] = {p1.p, p2.p};
                res = pgc_exec_params(conn, sql, 2, vals);
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pgc_pg_fail(conn, res, "load cluster events", errstr, errstr_size);
                        res = NULL;
                        goto done;
                }
        }
        rows = (size_t)PQntuples(res);
        ld->evs = malloc((rows ? rows : 1) * sizeof(*ld->evs));
        ld->evroot = malloc((rows ? rows : 1) * sizeof(*ld->evroot));
        ld->evp = malloc((rows ? rows : 1) * sizeof(*ld->evp));
        ld->parent = malloc((ks->n ? ks->n : 1) * sizeof(*ld->parent));
        if (!ld->evs || !ld->evroot || !ld->evp || !ld->parent)
                goto nomem;
        for (size_t i = 0; i < ks->n; i++)
                ld->parent[i] = i;
        for (size_t r = 0; r < rows; r++)
                if (pgc_row_to_event(res, (int)r, &ld->evs[nev]) == 0)
                        nev++;
        PQclear(res);
        res = NULL;
        ld->nev = nev;

        swi_event_t *evs = ld->evs;
        for (size_t i = 0; i < nev; i++) {
                long a = evs[i].has_bsn_ps ? pgc_keyset_find(ks, SWI_PKEY_BSN, evs[i].bsn_ps) : -1;
                long c = evs[i].has_vnr_ps ? pgc_keyset_find(ks, SWI_PKEY_VNR, evs[i].vnr_ps) : -1;
                if (a >= 0 && c >= 0)
                        pgc_uf_union(ld->parent, (size_t)a, (size_t)c);
        }
        for (size_t i = 0; i < nev; i++) {
                long a = evs[i].has_bsn_ps ? pgc_keyset_find(ks, SWI_PKEY_BSN, evs[i].bsn_ps) : -1;
                if (a < 0)
                        a = evs[i].has_vnr_ps ? pgc_keyset_find(ks, SWI_PKEY_VNR, evs[i].vnr_ps) : -1;
                ld->evroot[i] = a >= 0 ? pgc_uf_find(ld->parent, (size_t)a) : SIZE_MAX;
        }
        /* events grouped by root: sort indices */
        ld->order = malloc((nev ? nev : 1) * sizeof(*ld->order) * 2);
        ld->cl = calloc(nev ? nev : 1, sizeof(*ld->cl));
        if (!ld->order || !ld->cl)
                goto nomem;
        for (size_t i = 0; i < nev; i++) {
                ld->order[2 * i] = ld->evroot[i];
                ld->order[2 * i + 1] = i;
        }
        qsort(ld->order, nev, 2 * sizeof(size_t), cmp_size);
        for (size_t i = 0; i < nev; i++) {
                size_t root = ld->order[2 * i];
                if (root == SIZE_MAX)
                        continue;
                if (ncl == 0 || ld->cl[ncl - 1].root != root) {
                        ld->cl[ncl].root = root;
                        ld->cl[ncl].first = i;
                        ld->cl[ncl].from_k = INT64_MAX;
                        ncl++;
                }
                ld->cl[ncl - 1].n++;
                ld->evp[i] = &evs[ld->order[2 * i + 1]];
        }
        ld->ncl = ncl;
        goto done;
nomem:
        snprintf(errstr, errstr_size, "loading clusters: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        free(p1.p);
        free(p2.p);
        return rc;
}

swi_person_t *pgc_persons_push(persons_t *out)
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
swi_err_t pgc_derive_cluster_p(const swi_event_t *const *evp, size_t n, int64_t K, int32_t P,
                                  persons_t *out, char *errstr, size_t errstr_size)
{
        static const swi_gemeente_lookup_t gl = {swi_gemeente_successor, swi_gemeente_region};
        swi_cluster_t *c = swi_cluster_resolve(evp, n, K, errstr, errstr_size);
        swi_err_t rc = SWI_OK;
        if (!c)
                return SWI_ERR_NOMEM;
        size_t np = swi_cluster_person_count(c);
        for (size_t i = 0; i < np; i++) {
                swi_person_t *p = pgc_persons_push(out);
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

void pgc_persons_begin(buf_t *b, int32_t P)
{
        uint8_t hdr[PGC_PERSONS_HDR] = {'S', 'W', 'I', 'P'};
        uint32_t size = (uint32_t)sizeof(swi_person_t);
        uint64_t tag = rules_tag();
        memcpy(hdr + 4, &size, 4);
        memcpy(hdr + 8, &tag, 8);
        memcpy(hdr + 16, &P, 4);
        b->n = 0;
        pgc_buf_add(b, (const char *)hdr, sizeof(hdr));
}

void pgc_persons_add(buf_t *b, const swi_person_t *p)
{
        pgc_buf_add(b, (const char *)p, sizeof(*p));
}

long pgc_persons_check(const uint8_t *blob, size_t len, int32_t *P)
{
        uint32_t size;
        uint64_t tag;
        if (len < PGC_PERSONS_HDR || memcmp(blob, "SWIP", 4) != 0)
                return -1;
        memcpy(&size, blob + 4, 4);
        memcpy(&tag, blob + 8, 8);
        memcpy(P, blob + 16, 4);
        if (size != sizeof(swi_person_t) || tag != rules_tag() ||
            (len - PGC_PERSONS_HDR) % sizeof(swi_person_t) != 0)
                return -1;
        return (long)((len - PGC_PERSONS_HDR) / sizeof(swi_person_t));
}
