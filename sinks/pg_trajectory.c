/* pg_trajectory.c - the trajectory step of the PostgreSQL sink; see pg_trajectory.h. */
#include "pg_trajectory.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/log.h"
#include "transform/gemeenten.h"
#include "transform/trajectory.h"

static double now_s(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

typedef struct key_s {
        uint8_t kind; /* SWI_PKEY_BSN or SWI_PKEY_VNR */
        uint8_t ps[SWI_PSEUDO_LEN];
} key_t_;

typedef struct keyset_s {
        key_t_ *v;
        size_t n, cap;
        size_t sorted; /* v[0..sorted) is sorted and unique */
} keyset_t;

/* A growable text buffer. */
typedef struct buf_s {
        char *p;
        size_t n, cap;
        int oom;
} buf_t;

static void buf_grow(buf_t *b, size_t need)
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

static void buf_add(buf_t *b, const char *s, size_t len)
{
        buf_grow(b, len);
        if (b->oom)
                return;
        memcpy(b->p + b->n, s, len);
        b->n += len;
        b->p[b->n] = '\0';
}

static void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(buf_t *b, const char *fmt, ...)
{
        va_list ap;
        char tmp[256];
        va_start(ap, fmt);
        int w = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (w < 0)
                return;
        if ((size_t)w < sizeof(tmp)) {
                buf_add(b, tmp, (size_t)w);
                return;
        }
        buf_grow(b, (size_t)w);
        if (b->oom)
                return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, (size_t)w + 1, fmt, ap);
        va_end(ap);
        b->n += (size_t)w;
}

static void buf_hex(buf_t *b, const uint8_t *ps)
{
        static const char hex[] = "0123456789abcdef";
        char out[2 * SWI_PSEUDO_LEN];
        for (int i = 0; i < SWI_PSEUDO_LEN; i++) {
                out[2 * i] = hex[ps[i] >> 4];
                out[2 * i + 1] = hex[ps[i] & 15];
        }
        buf_add(b, out, sizeof(out));
}

static int hexval(int c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The pseudonym in the first 64 hex digits of s (s may go on). */
static int parse_hex_prefix(const char *s, uint8_t out[SWI_PSEUDO_LEN])
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
static int parse_hex(const char *s, uint8_t out[SWI_PSEUDO_LEN])
{
        return strlen(s) == 2 * SWI_PSEUDO_LEN ? parse_hex_prefix(s, out) : -1;
}

static int key_cmp(const void *a, const void *b)
{
        return memcmp(a, b, sizeof(key_t_));
}

/* Adds a key; returns 1 if it was new, -1 on OOM. Call keyset_sort() before
 * lookups: additions after the last sort are checked linearly. */
static int keyset_add(keyset_t *s, uint8_t kind, const uint8_t *ps)
{
        key_t_ k;
        k.kind = kind;
        memcpy(k.ps, ps, SWI_PSEUDO_LEN);
        if (s->sorted && bsearch(&k, s->v, s->sorted, sizeof(k), key_cmp))
                return 0;
        for (size_t i = s->sorted; i < s->n; i++)
                if (key_cmp(&s->v[i], &k) == 0)
                        return 0;
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 256;
                key_t_ *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -1;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = k;
        return 1;
}

static void keyset_sort(keyset_t *s)
{
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(key_t_), key_cmp);
        s->sorted = s->n;
}

static long keyset_find(const keyset_t *s, uint8_t kind, const uint8_t *ps)
{
        key_t_ k;
        k.kind = kind;
        memcpy(k.ps, ps, SWI_PSEUDO_LEN);
        const key_t_ *f = bsearch(&k, s->v, s->sorted, sizeof(k), key_cmp);
        return f ? (long)(f - s->v) : -1;
}

/* Comma-separated hex pseudonyms of one kind (a text parameter). */
static void keys_param(const keyset_t *s, uint8_t kind, buf_t *b)
{
        b->n = 0;
        buf_add(b, "", 0);
        for (size_t i = 0; i < s->n; i++) {
                if (s->v[i].kind != kind)
                        continue;
                if (b->n)
                        buf_add(b, ",", 1);
                buf_hex(b, s->v[i].ps);
        }
}

static swi_err_t pg_fail(PGconn *conn, PGresult *res, const char *what, char *errstr,
                         size_t errstr_size)
{
        snprintf(errstr, errstr_size, "%s: %s", what,
                 res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
        PQclear(res);
        return SWI_ERR_PG;
}

static PGresult *exec_params(PGconn *conn, const char *sql, int n, const char *const *vals)
{
        return PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0);
}

/* Adds every edge touching a key of s to s; returns how many keys were new. */
static swi_err_t expand(PGconn *conn, keyset_t *s, int *added, char *errstr, size_t errstr_size)
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
        keys_param(s, SWI_PKEY_BSN, &b);
        keys_param(s, SWI_PKEY_VNR, &v);
        if (b.oom || v.oom) {
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        const char *vals[2] = {b.p, v.p};
        PGresult *res = exec_params(conn, sql, 2, vals);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                rc = pg_fail(conn, res, "expand identity clusters", errstr, errstr_size);
                goto done;
        }
        for (int r = 0; r < PQntuples(res); r++) {
                uint8_t vnr[SWI_PSEUDO_LEN], bsn[SWI_PSEUDO_LEN];
                if (parse_hex(PQgetvalue(res, r, 0), vnr) || parse_hex(PQgetvalue(res, r, 1), bsn))
                        continue;
                int a = keyset_add(s, SWI_PKEY_VNR, vnr);
                int c = keyset_add(s, SWI_PKEY_BSN, bsn);
                if (a < 0 || c < 0) {
                        PQclear(res);
                        rc = SWI_ERR_NOMEM;
                        goto done;
                }
                *added += a + c;
        }
        PQclear(res);
        keyset_sort(s);
done:
        free(b.p);
        free(v.p);
        return rc;
}

/* Number of advisory lock buckets the identity keys hash into. A transaction
 * takes at most this many locks however large its batch (PostgreSQL's lock
 * table holds max_locks_per_transaction * max_connections entries); two keys
 * in one bucket only serialise a little more than needed. */
#define LOCK_BUCKETS 512
#define LOCK_BASE    0x53574900LL /* "SWI\0": keeps clear of other advisory lock users */

/* Locks the buckets of every key of s, in ascending order (no deadlocks
 * between instances that lock the same way). */
static swi_err_t lock_keys(PGconn *conn, const keyset_t *s, char *errstr, size_t errstr_size)
{
        static const char sql[] = "SELECT count(pg_advisory_xact_lock(x)) FROM "
                                  "(SELECT DISTINCT x FROM unnest($1::bigint[]) x ORDER BY x) s";
        bool used[LOCK_BUCKETS] = {false};
        buf_t b = {0};
        swi_err_t rc = SWI_OK;

        for (size_t i = 0; i < s->n; i++) {
                uint64_t h = s->v[i].kind;
                for (int j = 0; j < 8; j++)
                        h = h << 8 | s->v[i].ps[j];
                used[h % LOCK_BUCKETS] = true;
        }
        buf_add(&b, "{", 1);
        int first = 1;
        for (int i = 0; i < LOCK_BUCKETS; i++) {
                if (!used[i])
                        continue;
                buf_printf(&b, "%s%lld", first ? "" : ",", LOCK_BASE + i);
                first = 0;
        }
        buf_add(&b, "}", 1);
        if (b.oom)
                return SWI_ERR_NOMEM;
        const char *vals[1] = {b.p};
        PGresult *res = exec_params(conn, sql, 1, vals);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                rc = pg_fail(conn, res, "lock identity clusters", errstr, errstr_size);
        else
                PQclear(res);
        free(b.p);
        return rc;
}

static const char *const date_fields[] = {"geboortedatum", "nieuwe_einddatum"};

/* One loaded event from a row of the load query. Returns 0 or -1 (skipped). */
static int row_to_event(PGresult *res, int r, swi_event_t *ev)
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
                ev->has_bsn_ps = parse_hex(PQgetvalue(res, r, 3), ev->bsn_ps) == 0;
        }
        if (!PQgetisnull(res, r, 4)) {
                ev->has_vnr_ps = parse_hex(PQgetvalue(res, r, 4), ev->vnr_ps) == 0;
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

static size_t uf_find(size_t *parent, size_t x)
{
        while (parent[x] != x) {
                parent[x] = parent[parent[x]];
                x = parent[x];
        }
        return x;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
        a = uf_find(parent, a);
        b = uf_find(parent, b);
        if (a != b)
                parent[a < b ? b : a] = a < b ? a : b;
}

/* ---- COPY rows ---------------------------------------------------------- */

static void add_ts(buf_t *b, int64_t ms)
{
        int64_t days = ms / 86400000, rem = ms % 86400000;
        if (rem < 0) {
                rem += 86400000;
                days--;
        }
        char d[11];
        swi_date_format((int32_t)days, d);
        buf_printf(b, "%s %02d:%02d:%02d.%03d+00", d, (int)(rem / 3600000),
                   (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

static void add_date(buf_t *b, int32_t d)
{
        char s[11];
        if (d == SWI_DATE_NONE || d == SWI_DATE_END)
                buf_add(b, "\\N", 2);
        else
                buf_add(b, swi_date_format(d, s), 10);
}

static void add_text(buf_t *b, const char *s)
{
        if (!s || !*s)
                buf_add(b, "\\N", 2);
        else
                buf_add(b, s, strlen(s));
}

static void add_enum(buf_t *b, swi_traj_enum_t which, int v, int zero_is_null)
{
        if (v == 0 && zero_is_null)
                buf_add(b, "\\N", 2);
        else
                add_text(b, swi_traj_name(which, v));
}

static void add_bool(buf_t *b, bool v)
{
        buf_add(b, v ? "t" : "f", 1);
}

#define TAB buf_add(b, "\t", 1)

/* The trajectory columns shared by swi.trajectory_versions and swi.trajectories,
 * from wet to findings, in table order. */
static const char traj_columns[] =
        "wet, doelgroep, cohort, plicht_start, geslacht, nationaliteit, leeftijd, "
        "leeftijdsklasse, jongere, status_verleend, koppeling_datum, koppeling_gemeente, "
        "koppeling_afstand_km, opvang_instroom, in_opvang, overplaatsingen, "
        "voorinburgering_start, voorinburgering_einde, voorinburgering_uitkomst, "
        "vestiging_datum, vestiging_gemeente, gemeente, arbeidsmarktregio, brede_intake_start, "
        "brede_intake_afgerond, opleidingsniveau, werkervaring, jonge_kinderen, lbt_datum, "
        "lbt_score, lbt_uitkomst, pip_datum, leerroute, route_switches, pip_in_opvang, "
        "start_pip_termijn, pip_voor_termijn, pip_binnen_10_weken, termijn_einde, einde, "
        "einde_datum, hoogste_niveau, werk_spells, bijstand_spells, findings";

static void add_person_columns(buf_t *b, const swi_person_t *p)
{
        int y, m, d;
        add_enum(b, SWI_TE_WET, p->wet, 1);
        TAB;
        add_enum(b, SWI_TE_DOELGROEP, p->doelgroep, 1);
        TAB;
        if (p->plicht_start != SWI_DATE_NONE) {
                swi_date_to_ymd(p->plicht_start, &y, &m, &d);
                buf_printf(b, "%d", y);
        } else {
                buf_add(b, "\\N", 2);
        }
        TAB;
        add_date(b, p->plicht_start);
        TAB;
        add_enum(b, SWI_TE_GESLACHT, p->geslacht, 0);
        TAB;
        add_text(b, p->nationaliteit[0] ? p->nationaliteit : "ONBEKEND");
        TAB;
        if (p->leeftijd >= 0)
                buf_printf(b, "%d", p->leeftijd);
        else
                buf_add(b, "\\N", 2);
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
                buf_printf(b, "%d", p->koppeling_afstand_km);
        else
                buf_add(b, "\\N", 2);
        TAB;
        add_date(b, p->opvang_instroom);
        TAB;
        add_bool(b, p->in_opvang);
        TAB;
        buf_printf(b, "%u", p->overplaatsingen);
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
                buf_printf(b, "%d", p->lbt_score);
        else
                buf_add(b, "\\N", 2);
        TAB;
        add_enum(b, SWI_TE_LBT, p->lbt_uitkomst, 1);
        TAB;
        add_date(b, p->pip_datum);
        TAB;
        add_enum(b, SWI_TE_LEERROUTE, p->leerroute, 1);
        TAB;
        buf_printf(b, "%u", p->route_switches);
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
        buf_printf(b, "%u", p->n_werk);
        TAB;
        buf_printf(b, "%u", p->n_bijstand);
        TAB;
        buf_add(b, "{", 1);
        int first = 1;
        for (int k = 0; k < SWI_FIND__CNT; k++) {
                if (p->findings & (1u << k)) {
                        if (!first)
                                buf_add(b, ",", 1);
                        first = 0;
                        add_text(b, swi_finding_name((swi_finding_kind_t)k));
                }
        }
        buf_add(b, "}", 1);
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

static const char *kind_name(uint8_t kind)
{
        return kind == SWI_PKEY_BSN ? "BSN" : "VNR";
}

static swi_err_t copy_in(PGconn *conn, const char *sql, const buf_t *b, const char *what,
                         char *errstr, size_t errstr_size)
{
        PGresult *res = PQexec(conn, sql);
        if (PQresultStatus(res) != PGRES_COPY_IN)
                return pg_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        if ((b->n && PQputCopyData(conn, b->p, (int)b->n) != 1) || PQputCopyEnd(conn, NULL) != 1)
                return pg_fail(conn, NULL, what, errstr, errstr_size);
        res = PQgetResult(conn);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
                return pg_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        while ((res = PQgetResult(conn)))
                PQclear(res);
        return SWI_OK;
}

static swi_err_t exec_ok(PGconn *conn, const char *sql, int n, const char *const *vals,
                         const char *what, char *errstr, size_t errstr_size)
{
        PGresult *res = exec_params(conn, sql, n, vals);
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                return pg_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        return SWI_OK;
}

typedef struct cluster_s {
        size_t root;    /* union-find root key index */
        int64_t from_k; /* oldest registered_at the batch added */
        size_t first, n; /* events in evp[first .. first+n) */
} cluster_t;

static int cmp_size(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;
        return x < y ? -1 : x > y;
}

/* The events of every key of ks (sorted), grouped into clusters. */
typedef struct loaded_s {
        swi_event_t *evs;
        const swi_event_t **evp; /* by cluster: cl[c] is evp[first .. first+n) */
        size_t *parent;          /* union-find over ks's indices */
        size_t *evroot, *order;
        cluster_t *cl;           /* sorted by root */
        size_t nev, ncl;
} loaded_t;

static void loaded_free(loaded_t *ld)
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
static swi_err_t load_clusters(PGconn *conn, const keyset_t *ks, loaded_t *ld, char *errstr,
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
        keys_param(ks, SWI_PKEY_BSN, &p1);
        keys_param(ks, SWI_PKEY_VNR, &p2);
        if (p1.oom || p2.oom)
                goto nomem;
        {
                const char *vals[2] = {p1.p, p2.p};
                res = exec_params(conn, sql, 2, vals);
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pg_fail(conn, res, "load cluster events", errstr, errstr_size);
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
                if (row_to_event(res, (int)r, &ld->evs[nev]) == 0)
                        nev++;
        PQclear(res);
        res = NULL;
        ld->nev = nev;

        swi_event_t *evs = ld->evs;
        for (size_t i = 0; i < nev; i++) {
                long a = evs[i].has_bsn_ps ? keyset_find(ks, SWI_PKEY_BSN, evs[i].bsn_ps) : -1;
                long c = evs[i].has_vnr_ps ? keyset_find(ks, SWI_PKEY_VNR, evs[i].vnr_ps) : -1;
                if (a >= 0 && c >= 0)
                        uf_union(ld->parent, (size_t)a, (size_t)c);
        }
        for (size_t i = 0; i < nev; i++) {
                long a = evs[i].has_bsn_ps ? keyset_find(ks, SWI_PKEY_BSN, evs[i].bsn_ps) : -1;
                if (a < 0)
                        a = evs[i].has_vnr_ps ? keyset_find(ks, SWI_PKEY_VNR, evs[i].vnr_ps) : -1;
                ld->evroot[i] = a >= 0 ? uf_find(ld->parent, (size_t)a) : SIZE_MAX;
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

/* Tells the live publisher (pg_live.h) which clusters this batch changed:
 * one queue row with the keys (kind byte + pseudonym each), and a
 * notification, both delivered when the batch commits. */
static swi_err_t enqueue_publish(PGconn *conn, const keyset_t *ks, char *errstr,
                                 size_t errstr_size)
{
        buf_t b = {0};
        swi_err_t rc;

        buf_add(&b, "\\x", 2);
        for (size_t i = 0; i < ks->n; i++) {
                buf_printf(&b, "%02x", ks->v[i].kind);
                buf_hex(&b, ks->v[i].ps);
        }
        if (b.oom) {
                free(b.p);
                snprintf(errstr, errstr_size, "trajectory step: out of memory");
                return SWI_ERR_NOMEM;
        }
        const char *vals[1] = {b.p};
        rc = exec_ok(conn, "INSERT INTO swi_ops.publish_queue (keys) VALUES ($1::bytea)", 1, vals,
                     "enqueue for the live figures", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = exec_ok(conn, "SELECT pg_notify('swi_publish', '')", 0, NULL,
                             "notify the live publisher", errstr, errstr_size);
        free(b.p);
        return rc;
}

swi_err_t swi_pg_traj_update(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                             swi_traj_stats_t *stats, char *errstr, size_t errstr_size)
{
        static const swi_gemeente_lookup_t gl = {swi_gemeente_successor, swi_gemeente_region};
        keyset_t ks = {0};
        buf_t b = {0}, p1 = {0};
        loaded_t ld = {0};
        size_t *parent = NULL;
        const swi_event_t **evp = NULL;
        cluster_t *cl = NULL;
        size_t ncl = 0;
        swi_versions_t vers = {0};
        swi_findings_t fnd = {0};
        PGresult *res = NULL;
        swi_err_t rc = SWI_OK;
        int added;

        double tp[6] = {0};
        memset(stats, 0, sizeof(*stats));
        if (n == 0)
                return SWI_OK;

        tp[0] = now_s();
        /* 1. identity edges brought by the batch, and the touched keys */
        buf_add(&b, "", 0);
        for (size_t i = 0; i < n; i++) {
                if (touches[i].has_bsn && keyset_add(&ks, SWI_PKEY_BSN, touches[i].bsn_ps) < 0)
                        goto nomem;
                if (touches[i].has_vnr && keyset_add(&ks, SWI_PKEY_VNR, touches[i].vnr_ps) < 0)
                        goto nomem;
                if (touches[i].has_bsn && touches[i].has_vnr) {
                        if (b.n)
                                buf_add(&b, ",", 1);
                        buf_hex(&b, touches[i].vnr_ps);
                        buf_add(&b, ":", 1);
                        buf_hex(&b, touches[i].bsn_ps);
                }
        }
        keyset_sort(&ks);
        if (b.oom)
                goto nomem;
        if (b.n) {
                static const char sql[] =
                        "INSERT INTO swi.identity_edges (vnr_ps, bsn_ps) "
                        "SELECT DISTINCT decode(split_part(x, ':', 1), 'hex'), "
                        "decode(split_part(x, ':', 2), 'hex') "
                        "FROM unnest(string_to_array($1, ',')) x ON CONFLICT DO NOTHING";
                const char *vals[1] = {b.p};
                rc = exec_ok(conn, sql, 1, vals, "insert identity edges", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }

        tp[1] = now_s();
        /* 2. whole clusters, locked; repeat until no other instance grew them */
        do {
                rc = expand(conn, &ks, &added, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        } while (added > 0);
        for (;;) {
                rc = lock_keys(conn, &ks, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                rc = expand(conn, &ks, &added, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                if (added == 0)
                        break;
        }

        tp[2] = now_s();
        /* 3. every event of the clusters, grouped by cluster */
        rc = load_clusters(conn, &ks, &ld, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        parent = ld.parent;
        evp = ld.evp;
        cl = ld.cl;
        ncl = ld.ncl;
        stats->events_loaded = (int64_t)ld.nev;
        /* from_k per cluster: the oldest registered_at among the batch's events */
        for (size_t i = 0; i < n; i++) {
                long a = touches[i].has_bsn ? keyset_find(&ks, SWI_PKEY_BSN, touches[i].bsn_ps)
                                            : keyset_find(&ks, SWI_PKEY_VNR, touches[i].vnr_ps);
                if (a < 0)
                        continue;
                size_t root = uf_find(parent, (size_t)a);
                size_t lo = 0, hi = ncl;
                while (lo < hi) {
                        size_t mid = (lo + hi) / 2;
                        if (cl[mid].root < root)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (lo < ncl && cl[lo].root == root && touches[i].registered_at < cl[lo].from_k)
                        cl[lo].from_k = touches[i].registered_at;
        }
        stats->clusters = (int64_t)ncl;

        tp[3] = now_s();
        /* 4. versions from from_k on; delete what they replace first */
        b.n = 0;
        buf_add(&b, "", 0);
        for (size_t c = 0; c < ncl; c++) {
                for (size_t k = 0; k < ks.n; k++) {
                        if (uf_find(parent, k) != cl[c].root)
                                continue;
                        if (b.n)
                                buf_add(&b, ",", 1);
                        buf_add(&b, kind_name(ks.v[k].kind), 3);
                        buf_add(&b, ":", 1);
                        buf_hex(&b, ks.v[k].ps);
                        buf_printf(&b, ":%lld", (long long)cl[c].from_k);
                }
        }
        if (b.oom)
                goto nomem;
        {
                static const char del[] =
                        "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                        "decode(split_part(x, ':', 2), 'hex') AS ps, timestamptz 'epoch' + "
                        "split_part(x, ':', 3)::bigint * interval '1 millisecond' AS k "
                        "FROM unnest(string_to_array($1, ',')) x) "
                        "DELETE FROM swi.trajectory_versions v USING d "
                        "WHERE v.person_kind = d.kind AND v.person_ps = d.ps AND v.valid_from >= d.k";
                const char *vals[1] = {b.p};
                rc = exec_ok(conn, del, 1, vals, "delete replaced trajectory versions", errstr,
                             errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        /* the key list (kind:hex:from_k) is reused below for the current rows */
        p1.n = 0;
        buf_add(&p1, b.p, b.n);
        b.n = 0;
        buf_add(&b, "", 0);
        for (size_t c = 0; c < ncl; c++) {
                swi_versions_reset(&vers);
                rc = swi_cluster_versions(evp + cl[c].first, cl[c].n, cl[c].from_k, &gl, &vers);
                if (rc != SWI_OK)
                        goto done;
                for (size_t v = 0; v < vers.n; v++) {
                        const swi_version_t *ver = &vers.v[v];
                        buf_add(&b, kind_name(ver->person.key.kind), 3);
                        buf_add(&b, "\t\\\\x", 4);
                        buf_hex(&b, ver->person.key.ps);
                        buf_add(&b, "\t", 1);
                        add_ts(&b, ver->valid_from);
                        buf_add(&b, "\t\\N\t", 4);
                        buf_add(&b, ver->closed ? "t\t" : "f\t", 2);
                        if (ver->closed) {
                                swi_person_t empty;
                                closed_person(&empty);
                                add_person_columns(&b, &empty);
                        } else {
                                add_person_columns(&b, &ver->person);
                        }
                        buf_add(&b, "\n", 1);
                        stats->versions_written++;
                }
        }
        if (b.oom)
                goto nomem;
        {
                char sql[2048];
                snprintf(sql, sizeof(sql),
                         "COPY swi.trajectory_versions (person_kind, person_ps, valid_from, "
                         "valid_to, closed, %s) FROM STDIN",
                         traj_columns);
                rc = copy_in(conn, sql, &b, "COPY trajectory versions", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        {
                static const char fix[] =
                        "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                        "decode(split_part(x, ':', 2), 'hex') AS ps "
                        "FROM unnest(string_to_array($1, ',')) x), "
                        "n AS (SELECT v.person_kind, v.person_ps, v.valid_from, "
                        "lead(v.valid_from) OVER (PARTITION BY v.person_kind, v.person_ps "
                        "ORDER BY v.valid_from) AS nxt FROM swi.trajectory_versions v "
                        "JOIN d ON v.person_kind = d.kind AND v.person_ps = d.ps) "
                        "UPDATE swi.trajectory_versions v SET valid_to = n.nxt FROM n "
                        "WHERE v.person_kind = n.person_kind AND v.person_ps = n.person_ps "
                        "AND v.valid_from = n.valid_from AND v.valid_to IS DISTINCT FROM n.nxt";
                static const char cur_del[] =
                        "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                        "decode(split_part(x, ':', 2), 'hex') AS ps "
                        "FROM unnest(string_to_array($1, ',')) x) "
                        "DELETE FROM swi.trajectories t USING d "
                        "WHERE t.person_kind = d.kind AND t.person_ps = d.ps";
                char cur_ins[2048];
                snprintf(cur_ins, sizeof(cur_ins),
                         "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                         "decode(split_part(x, ':', 2), 'hex') AS ps "
                         "FROM unnest(string_to_array($1, ',')) x) "
                         "INSERT INTO swi.trajectories (person_kind, person_ps, valid_from, %s) "
                         "SELECT v.person_kind, v.person_ps, v.valid_from, %s "
                         "FROM swi.trajectory_versions v JOIN d ON v.person_kind = d.kind "
                         "AND v.person_ps = d.ps WHERE v.valid_to IS NULL AND NOT v.closed",
                         traj_columns, traj_columns);
                static const char fnd_del[] =
                        "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                        "decode(split_part(x, ':', 2), 'hex') AS ps "
                        "FROM unnest(string_to_array($1, ',')) x) "
                        "DELETE FROM swi_ops.findings f USING d "
                        "WHERE f.person_kind = d.kind AND f.person_ps = d.ps";
                const char *vals[1] = {p1.p};
                rc = exec_ok(conn, fix, 1, vals, "close trajectory versions", errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = exec_ok(conn, cur_del, 1, vals, "delete current trajectories",
                                     errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = exec_ok(conn, cur_ins, 1, vals, "insert current trajectories",
                                     errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = exec_ok(conn, fnd_del, 1, vals, "delete findings", errstr,
                                     errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }

        tp[4] = now_s();
        /* 5. findings as known now */
        b.n = 0;
        buf_add(&b, "", 0);
        for (size_t c = 0; c < ncl; c++) {
                swi_cluster_t *cr = swi_cluster_resolve(evp + cl[c].first, cl[c].n, SWI_K_ALL,
                                                        errstr, errstr_size);
                if (!cr)
                        goto nomem;
                size_t np = swi_cluster_person_count(cr);
                for (size_t i = 0; i < np; i++) {
                        swi_person_t person;
                        swi_findings_reset(&fnd);
                        if (swi_cluster_person_derive(cr, i, SWI_DATE_END, &gl, &person, &fnd) !=
                            SWI_OK) {
                                swi_cluster_destroy(cr);
                                goto nomem;
                        }
                        for (size_t f = 0; f < fnd.n; f++) {
                                buf_add(&b, kind_name(person.key.kind), 3);
                                buf_add(&b, "\t\\\\x", 4);
                                buf_hex(&b, person.key.ps);
                                buf_add(&b, "\t", 1);
                                add_text(&b, swi_finding_name(fnd.v[f].kind));
                                buf_add(&b, "\t", 1);
                                add_text(&b, fnd.v[f].event_id);
                                buf_add(&b, "\t", 1);
                                add_date(&b, fnd.v[f].date);
                                buf_add(&b, "\n", 1);
                        }
                }
                swi_cluster_destroy(cr);
        }
        if (b.oom)
                goto nomem;
        rc = copy_in(conn,
                     "COPY swi_ops.findings (person_kind, person_ps, kind, event_id, event_date) "
                     "FROM STDIN",
                     &b, "COPY findings", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = enqueue_publish(conn, &ks, errstr, errstr_size);
        tp[5] = now_s();
        SWI_LOG_D("trajectory", "step", "clusters=%lld events=%lld versions=%lld edges_s=%.3f "
                  "lock_s=%.3f load_s=%.3f versions_s=%.3f findings_s=%.3f",
                  (long long)stats->clusters, (long long)stats->events_loaded,
                  (long long)stats->versions_written, tp[1] - tp[0], tp[2] - tp[1],
                  tp[3] - tp[2], tp[4] - tp[3], tp[5] - tp[4]);
        goto done;
nomem:
        snprintf(errstr, errstr_size, "trajectory step: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        swi_versions_free(&vers);
        swi_findings_free(&fnd);
        free(ks.v);
        free(b.p);
        free(p1.p);
        loaded_free(&ld);
        return rc;
}

/* ---- publications (pg_publish.h) ------------------------------------------ */

#include "sinks/pg_publish.h"
#include "transform/indicators.h"


/* Cluster representative of every key that has an identity edge, into a temp
 * table tmp_rep(kind, ps, rep): rep is "B<hex>" / "V<hex>" of the smallest key
 * of its component, the same text an edge-less key uses for itself. */
static swi_err_t build_reps(PGconn *conn, char *errstr, size_t errstr_size)
{
        keyset_t ks = {0};
        buf_t b = {0};
        size_t *parent = NULL;
        swi_err_t rc = SWI_OK;
        PGresult *res = PQexec(conn, "SELECT encode(vnr_ps, 'hex'), encode(bsn_ps, 'hex') "
                                     "FROM swi.identity_edges");
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return pg_fail(conn, res, "load identity edges", errstr, errstr_size);
        int n = PQntuples(res);
        for (int r = 0; r < n; r++) {
                uint8_t v[SWI_PSEUDO_LEN], bb[SWI_PSEUDO_LEN];
                if (parse_hex(PQgetvalue(res, r, 0), v) || parse_hex(PQgetvalue(res, r, 1), bb))
                        continue;
                if (keyset_add(&ks, SWI_PKEY_VNR, v) < 0 || keyset_add(&ks, SWI_PKEY_BSN, bb) < 0)
                        goto nomem;
                if ((r & 1023) == 1023)
                        keyset_sort(&ks); /* keeps keyset_add's linear tail short */
        }
        keyset_sort(&ks);
        parent = malloc((ks.n ? ks.n : 1) * sizeof(*parent));
        if (!parent)
                goto nomem;
        for (size_t i = 0; i < ks.n; i++)
                parent[i] = i;
        for (int r = 0; r < n; r++) {
                uint8_t v[SWI_PSEUDO_LEN], bb[SWI_PSEUDO_LEN];
                if (parse_hex(PQgetvalue(res, r, 0), v) || parse_hex(PQgetvalue(res, r, 1), bb))
                        continue;
                uf_union(parent, (size_t)keyset_find(&ks, SWI_PKEY_VNR, v),
                         (size_t)keyset_find(&ks, SWI_PKEY_BSN, bb));
        }
        PQclear(res);
        res = NULL;
        for (size_t i = 0; i < ks.n; i++) {
                size_t root = uf_find(parent, i);
                buf_add(&b, ks.v[i].kind == SWI_PKEY_BSN ? "B\t\\\\x" : "V\t\\\\x", 5);
                buf_hex(&b, ks.v[i].ps);
                buf_add(&b, ks.v[root].kind == SWI_PKEY_BSN ? "\tB" : "\tV", 2);
                buf_hex(&b, ks.v[root].ps);
                buf_add(&b, "\n", 1);
        }
        if (b.oom)
                goto nomem;
        rc = exec_ok(conn, "CREATE TEMP TABLE tmp_rep (kind text, ps bytea, rep text) ON COMMIT DROP",
                     0, NULL, "create cluster map", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = copy_in(conn, "COPY tmp_rep FROM STDIN", &b, "COPY cluster map", errstr,
                             errstr_size);
        if (rc == SWI_OK)
                rc = exec_ok(conn, "CREATE INDEX ON tmp_rep (kind, ps)", 0, NULL,
                             "index cluster map", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = exec_ok(conn, "ANALYZE tmp_rep", 0, NULL, "analyze cluster map", errstr,
                             errstr_size);
        goto done;
nomem:
        snprintf(errstr, errstr_size, "publication: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        free(ks.v);
        free(b.p);
        free(parent);
        return rc;
}

typedef struct persons_s {
        swi_person_t *v;
        size_t n, cap;
} persons_t;

/* Resolves one cluster (events evp[0..n)) at K and appends its persons
 * derived at P. */
static swi_err_t derive_cluster_p(const swi_event_t *const *evp, size_t n, int64_t K, int32_t P,
                                  persons_t *out, char *errstr, size_t errstr_size)
{
        static const swi_gemeente_lookup_t gl = {swi_gemeente_successor, swi_gemeente_region};
        swi_cluster_t *c = swi_cluster_resolve(evp, n, K, errstr, errstr_size);
        swi_err_t rc = SWI_OK;
        if (!c)
                return SWI_ERR_NOMEM;
        size_t np = swi_cluster_person_count(c);
        for (size_t i = 0; i < np; i++) {
                if (out->n == out->cap) {
                        size_t cap = out->cap ? out->cap * 2 : 4096;
                        swi_person_t *v = realloc(out->v, cap * sizeof(*v));
                        if (!v) {
                                rc = SWI_ERR_NOMEM;
                                break;
                        }
                        out->v = v;
                        out->cap = cap;
                }
                rc = swi_cluster_person_derive(c, i, P, &gl, &out->v[out->n], NULL);
                if (rc != SWI_OK)
                        break;
                out->n++;
        }
        swi_cluster_destroy(c);
        return rc;
}

/* The same over an array of events. */
static swi_err_t derive_cluster(const swi_event_t *evs, size_t n, int64_t K, int32_t P,
                                persons_t *out, char *errstr, size_t errstr_size)
{
        const swi_event_t **evp = malloc((n ? n : 1) * sizeof(*evp));
        if (!evp)
                return SWI_ERR_NOMEM;
        for (size_t i = 0; i < n; i++)
                evp[i] = &evs[i];
        swi_err_t rc = derive_cluster_p(evp, n, K, P, out, errstr, errstr_size);
        free(evp);
        return rc;
}

/* Every person at (P, K) from all stored events, appended to *out; counts
 * events read and clusters. Runs inside the caller's transaction. */
static swi_err_t load_all_persons(PGconn *conn, int64_t K, int32_t P, persons_t *out,
                                  int64_t *events, int64_t *clusters, char *errstr,
                                  size_t errstr_size)
{
        PGresult *res = NULL;
        swi_event_t *evs = NULL;
        size_t nev = 0, evcap = 0;
        char cur_rep[80] = "";
        char kbuf[32];
        swi_err_t rc;

        rc = build_reps(conn, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        snprintf(kbuf, sizeof(kbuf), "%lld", (long long)K);
        {
                const char *vals[1] = {kbuf};
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
                        "WHERE e.registered_at <= timestamptz 'epoch' + $1::bigint * interval '1 millisecond' "
                        "ORDER BY rep";
                rc = exec_ok(conn, sql, 1, vals, "open event cursor", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        for (;;) {
                res = PQexec(conn, "FETCH 20000 FROM evs");
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pg_fail(conn, res, "fetch events", errstr, errstr_size);
                        res = NULL;
                        goto done;
                }
                int nr = PQntuples(res);
                for (int r = 0; r <= nr; r++) {
                        const char *rep = r < nr ? PQgetvalue(res, r, 10) : NULL;
                        /* a new cluster starts: derive the finished one */
                        if (nev > 0 && (r == nr ? nr == 0 : strcmp(rep, cur_rep) != 0)) {
                                rc = derive_cluster(evs, nev, K, P, out,
                                                    errstr, errstr_size);
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
                                if (!v) {
                                        rc = SWI_ERR_NOMEM;
                                        goto done;
                                }
                                evs = v;
                        }
                        if (row_to_event(res, r, &evs[nev]) == 0)
                                nev++;
                        (*events)++;
                }
                PQclear(res);
                res = NULL;
                if (nr == 0)
                        break;
        }
        rc = exec_ok(conn, "CLOSE evs", 0, NULL, "close event cursor", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = exec_ok(conn, "DROP TABLE tmp_rep", 0, NULL, "drop cluster map", errstr,
                             errstr_size);
done:
        PQclear(res);
        free(evs);
        return rc;
}

/* Replaces every value of publication name (creating or updating its row:
 * P, known_at as text, parameters) with rows, whose known_at column is
 * row_k. b is scratch. Inside the caller's transaction. */
static swi_err_t write_publication(PGconn *conn, const char *name, int32_t P, const char *known_at,
                                   int64_t row_k, int64_t base, int64_t thr,
                                   const char *description, const swi_ind_rows_t *rows, buf_t *b,
                                   char *errstr, size_t errstr_size)
{
        static const char up[] =
                "INSERT INTO swi_pub.publications (name, peildatum, known_at, rounding_base, "
                "threshold, description) VALUES ($1, $2, $3, $4, $5, $6) "
                "ON CONFLICT (name) DO UPDATE SET peildatum = EXCLUDED.peildatum, "
                "known_at = EXCLUDED.known_at, rounding_base = EXCLUDED.rounding_base, "
                "threshold = EXCLUDED.threshold, "
                "description = coalesce(EXCLUDED.description, swi_pub.publications.description)";
        char sbase[24], sthr[24], pbuf[11];
        swi_err_t rc;

        snprintf(sbase, sizeof(sbase), "%lld", (long long)base);
        snprintf(sthr, sizeof(sthr), "%lld", (long long)thr);
        swi_date_format(P, pbuf);
        const char *vals[6] = {name, pbuf, known_at, sbase, sthr, description};
        rc = exec_ok(conn, up, 6, vals, "upsert publication", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = exec_ok(conn, "DELETE FROM swi_pub.indicator_values WHERE publication = $1", 1,
                             vals, "delete old figures", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = exec_ok(conn, "SELECT set_config('swi.publication', $1, true)", 1, vals,
                             "select publication", errstr, errstr_size);
        if (rc != SWI_OK)
                return rc;
        b->n = 0;
        for (size_t i = 0; i < rows->n; i++) {
                char line[1024];
                int len = swi_ind_row_copy_line(&rows->v[i], P, row_k, line, sizeof(line));
                if (len > 0)
                        buf_add(b, line, (size_t)len);
        }
        if (b->oom) {
                snprintf(errstr, errstr_size, "publication: out of memory");
                return SWI_ERR_NOMEM;
        }
        return copy_in(conn,
                       "COPY swi_pub.indicator_values (peildatum, known_at, family, breakdown, cohort, "
                       "doelgroep, dim1_name, dim1_value, dim2_name, dim2_value, dim3_name, dim3_value, "
                       "measure, unit, value, onderdrukt, reden, noemer) FROM STDIN",
                       b, "COPY indicator values", errstr, errstr_size);
}

swi_err_t swi_pg_publish(const char *conninfo, const swi_publish_opts_t *o,
                         swi_publish_stats_t *st, char *errstr, size_t errstr_size)
{
        PGconn *conn = PQconnectdb(conninfo);
        PGresult *res = NULL;
        persons_t persons = {0};
        swi_ind_rows_t rows = {0};
        buf_t b = {0};
        swi_err_t rc = SWI_OK;
        double t0 = now_s();

        memset(st, 0, sizeof(*st));
        if (PQstatus(conn) != CONNECTION_OK) {
                rc = pg_fail(conn, NULL, "connect", errstr, errstr_size);
                goto done;
        }
        rc = exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, "BEGIN", errstr,
                     errstr_size);
        if (rc != SWI_OK)
                goto done;
        rc = load_all_persons(conn, o->known_at, o->peildatum, &persons, &st->events, &st->clusters,
                              errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        st->persons = (int64_t)persons.n;
        st->seconds_load = now_s() - t0;
        {
                swi_dc_params_t dc = {o->rounding_base, o->threshold};
                rc = swi_ind_compute(persons.v, persons.n, o->peildatum, &dc, &rows, errstr,
                                     errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        st->seconds_compute = now_s() - t0 - st->seconds_load;
        {
                char ts[40];
                buf_t tsb = {0};
                add_ts(&tsb, o->known_at);
                snprintf(ts, sizeof(ts), "%s", tsb.p ? tsb.p : "");
                free(tsb.p);
                rc = write_publication(conn, o->name, o->peildatum, ts, o->known_at,
                                       o->rounding_base, o->threshold, o->description, &rows, &b,
                                       errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        st->rows = (int64_t)rows.n;
        if (o->freeze) {
                const char *vals[1] = {o->name};
                rc = exec_ok(conn, "UPDATE swi_pub.publications SET frozen = true WHERE name = $1",
                             1, vals, "freeze publication", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        rc = exec_ok(conn, "COMMIT", 0, NULL, "COMMIT", errstr, errstr_size);
        /* a publication replaces tens of thousands of rows at once: give the
         * planner fresh statistics for the revisions view's joins */
        if (rc == SWI_OK)
                rc = exec_ok(conn, "ANALYZE swi_pub.indicator_values", 0, NULL,
                             "analyze indicator values", errstr, errstr_size);
        st->seconds_write = now_s() - t0 - st->seconds_load - st->seconds_compute;
done:
        if (rc != SWI_OK && rc != SWI_ERR_PG && !*errstr)
                snprintf(errstr, errstr_size, "publication: %s", swi_err2str(rc));
        PQclear(res);
        PQfinish(conn);
        free(persons.v);
        free(b.p);
        swi_ind_rows_free(&rows);
        st->seconds = now_s() - t0;
        return rc;
}

/* ---- live current figures (pg_live.h) -------------------------------------- */

#include <sys/select.h>

#include "sinks/pg_live.h"

#define LIVE_LOCK 0x5357494C495645LL /* "SWILIVE": one publisher per database */

struct swi_live_s {
        char *conninfo;
        PGconn *conn;
        bool leader;
        int64_t base, threshold;
        int32_t P;          /* peildatum of the persons held; SWI_DATE_NONE = none */
        persons_t persons;  /* every person at (P, everything stored) */
        uint32_t *slot;     /* open addressing: person index + 1, 0 = empty */
        size_t nslots;      /* a power of two */
        swi_ind_rows_t rows; /* what swi_pub.indicator_values holds for 'actueel' */
        swi_ind_rows_t next;
        bool rows_valid;
        buf_t b;
        double *lags;
        size_t nlags, lagcap;
        int64_t *committed; /* ms, per drained batch */
        size_t ncommitted, comcap;
        long rounds;
};

swi_live_t *swi_live_new(const char *conninfo, int64_t rounding_base, int64_t threshold)
{
        swi_live_t *l = calloc(1, sizeof(*l));
        if (!l)
                return NULL;
        l->conninfo = strdup(conninfo);
        if (!l->conninfo) {
                free(l);
                return NULL;
        }
        l->base = rounding_base;
        l->threshold = threshold;
        l->P = SWI_DATE_NONE;
        return l;
}

static void live_drop(swi_live_t *l)
{
        PQfinish(l->conn);
        l->conn = NULL;
        l->leader = false;
        l->P = SWI_DATE_NONE;
        l->rows_valid = false;
}

void swi_live_free(swi_live_t *l)
{
        if (!l)
                return;
        live_drop(l);
        free(l->conninfo);
        free(l->persons.v);
        free(l->slot);
        swi_ind_rows_free(&l->rows);
        swi_ind_rows_free(&l->next);
        free(l->b.p);
        free(l->lags);
        free(l->committed);
        free(l);
}

static size_t pkey_slot(const swi_person_key_t *k, size_t mask)
{
        uint64_t h;
        memcpy(&h, k->ps, sizeof(h)); /* pseudonyms are HMAC output: already uniform */
        h ^= (uint64_t)k->kind * 0x9E3779B97F4A7C15ULL;
        return (size_t)(h ^ h >> 29) & mask;
}

/* Rebuilds the key index over l->persons. */
static swi_err_t live_index(swi_live_t *l)
{
        size_t need = 64;
        while (need < 2 * l->persons.n)
                need <<= 1;
        if (need != l->nslots) {
                uint32_t *s = calloc(need, sizeof(*s));
                if (!s)
                        return SWI_ERR_NOMEM;
                free(l->slot);
                l->slot = s;
                l->nslots = need;
        } else {
                memset(l->slot, 0, need * sizeof(*l->slot));
        }
        for (size_t i = 0; i < l->persons.n; i++) {
                size_t h = pkey_slot(&l->persons.v[i].key, l->nslots - 1);
                while (l->slot[h])
                        h = (h + 1) & (l->nslots - 1);
                l->slot[h] = (uint32_t)(i + 1);
        }
        return SWI_OK;
}

static long live_find(const swi_live_t *l, const swi_person_key_t *k)
{
        if (!l->nslots)
                return -1;
        size_t h = pkey_slot(k, l->nslots - 1);
        while (l->slot[h]) {
                size_t i = l->slot[h] - 1;
                if (memcmp(&l->persons.v[i].key, k, sizeof(*k)) == 0)
                        return (long)i;
                h = (h + 1) & (l->nslots - 1);
        }
        return -1;
}

static int cmp_long_desc(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;
        return (x < y) - (x > y);
}

/* Replaces the persons of the clusters of ks (expanded, sorted) by those
 * derived now from their stored events at (P, K). */
static swi_err_t live_apply(swi_live_t *l, const keyset_t *ks, int64_t K, int64_t *clusters,
                            char *errstr, size_t errstr_size)
{
        loaded_t ld = {0};
        long *gone = NULL;
        size_t ngone = 0;
        swi_err_t rc = load_clusters(l->conn, ks, &ld, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        gone = malloc((ks->n ? ks->n : 1) * sizeof(*gone));
        if (!gone)
                goto nomem;
        for (size_t i = 0; i < ks->n; i++) {
                swi_person_key_t k;
                k.kind = ks->v[i].kind;
                memcpy(k.ps, ks->v[i].ps, SWI_PSEUDO_LEN);
                long at = live_find(l, &k);
                if (at >= 0)
                        gone[ngone++] = at;
        }
        /* swap-remove from the highest index down: the last element is never
         * one still to be removed */
        qsort(gone, ngone, sizeof(*gone), cmp_long_desc);
        for (size_t i = 0; i < ngone; i++) {
                size_t last = l->persons.n - 1;
                if ((size_t)gone[i] != last)
                        l->persons.v[gone[i]] = l->persons.v[last];
                l->persons.n--;
        }
        for (size_t c = 0; c < ld.ncl; c++) {
                rc = derive_cluster_p(ld.evp + ld.cl[c].first, ld.cl[c].n, K, l->P, &l->persons,
                                      errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        *clusters = (int64_t)ld.ncl;
        rc = live_index(l);
        if (rc != SWI_OK)
                goto nomem;
        goto done;
nomem:
        snprintf(errstr, errstr_size, "live figures: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        free(gone);
        loaded_free(&ld);
        return rc;
}

static bool same_cell(const swi_ind_row_t *a, const swi_ind_row_t *b)
{
        if (a->breakdown != b->breakdown || a->measure != b->measure || a->ndims != b->ndims ||
            strcmp(a->cohort, b->cohort) != 0 || strcmp(a->doelgroep, b->doelgroep) != 0)
                return false;
        for (int d = 0; d < a->ndims; d++)
                if (strcmp(a->dim_value[d], b->dim_value[d]) != 0)
                        return false;
        return true;
}

static bool same_value(const swi_ind_row_t *a, const swi_ind_row_t *b)
{
        return a->value == b->value && a->onderdrukt == b->onderdrukt && a->reden == b->reden &&
               a->decimals == b->decimals;
}

static uint64_t fnv(uint64_t h, const char *s)
{
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
        return (h ^ 0x1f) * 0x100000001b3ULL;
}

static uint64_t cell_hash(const swi_ind_row_t *r)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        h = fnv(h, r->breakdown);
        h = fnv(h, r->cohort);
        h = fnv(h, r->doelgroep);
        for (int d = 0; d < r->ndims; d++)
                h = fnv(h, r->dim_value[d]);
        return fnv(h, r->measure);
}

/* The generated column swi_pub.indicator_values.cell of r, as a COPY field. */
static void add_cell(buf_t *b, const swi_ind_row_t *r)
{
        const char *parts[7] = {r->breakdown, r->cohort, r->doelgroep, "", "", "", r->measure};
        for (int d = 0; d < r->ndims && d < 3; d++)
                parts[3 + d] = r->dim_value[d];
        for (int k = 0; k < 7; k++) {
                if (k)
                        buf_add(b, "\x1f", 1);
                for (const char *c = parts[k]; *c; c++) {
                        if (*c == '\\' || *c == '\t' || *c == '\n')
                                buf_add(b, "\\", 1);
                        buf_add(b, c, 1);
                }
        }
        buf_add(b, "\n", 1);
}

/* For every row of l->next, the index of the same cell in l->rows or -1:
 * by position when the cells are the same in the same order (the common
 * case), else through a hash of the cells. */
static swi_err_t live_match(swi_live_t *l, long *old_of)
{
        bool same = l->rows.n == l->next.n;
        for (size_t i = 0; same && i < l->next.n; i++)
                same = same_cell(&l->rows.v[i], &l->next.v[i]);
        if (same) {
                for (size_t i = 0; i < l->next.n; i++)
                        old_of[i] = (long)i;
                return SWI_OK;
        }
        size_t cap = 64;
        while (cap < 2 * l->rows.n)
                cap <<= 1;
        uint32_t *slot = calloc(cap, sizeof(*slot));
        if (!slot)
                return SWI_ERR_NOMEM;
        for (size_t i = 0; i < l->rows.n; i++) {
                size_t h = (size_t)cell_hash(&l->rows.v[i]) & (cap - 1);
                while (slot[h])
                        h = (h + 1) & (cap - 1);
                slot[h] = (uint32_t)(i + 1);
        }
        for (size_t i = 0; i < l->next.n; i++) {
                size_t h = (size_t)cell_hash(&l->next.v[i]) & (cap - 1);
                old_of[i] = -1;
                while (slot[h]) {
                        if (same_cell(&l->rows.v[slot[h] - 1], &l->next.v[i])) {
                                old_of[i] = (long)slot[h] - 1;
                                break;
                        }
                        h = (h + 1) & (cap - 1);
                }
        }
        free(slot);
        return SWI_OK;
}

/* Writes l->next as 'actueel'. When the table holds l->rows (what this
 * publisher wrote last): updates the values that changed, inserts new cells
 * and deletes cells that are gone; otherwise (or when the table turns out to
 * differ) replaces everything. */
static swi_err_t live_write(swi_live_t *l, bool *full, int64_t *written, char *errstr,
                            size_t errstr_size)
{
        static const char cols[] =
                "(peildatum, known_at, family, breakdown, cohort, doelgroep, dim1_name, dim1_value, "
                "dim2_name, dim2_value, dim3_name, dim3_value, measure, unit, value, onderdrukt, "
                "reden, noemer)";
        swi_err_t rc = SWI_OK;
        long *old_of = NULL;
        bool *used = NULL;
        buf_t ins = {0}, del = {0};
        size_t nupd = 0, nins = 0, ndel = 0;
        char sql[512], pbuf[11];
        PGresult *res = NULL;

        *full = !l->rows_valid;
        *written = 0;
        if (*full)
                goto rewrite;
        old_of = malloc((l->next.n ? l->next.n : 1) * sizeof(*old_of));
        used = calloc(l->rows.n ? l->rows.n : 1, sizeof(*used));
        if (!old_of || !used || live_match(l, old_of) != SWI_OK)
                goto nomem;
        l->b.n = 0;
        for (size_t i = 0; i < l->next.n; i++) {
                char line[1024];
                const swi_ind_row_t *r = &l->next.v[i];
                if (old_of[i] >= 0) {
                        used[old_of[i]] = true;
                        if (same_value(&l->rows.v[old_of[i]], r))
                                continue;
                }
                int len = swi_ind_row_copy_line(r, l->P, SWI_K_ALL, line, sizeof(line));
                if (len <= 0)
                        continue;
                if (old_of[i] >= 0) {
                        buf_add(&l->b, line, (size_t)len);
                        nupd++;
                } else {
                        buf_add(&ins, line, (size_t)len);
                        nins++;
                }
        }
        for (size_t j = 0; j < l->rows.n; j++)
                if (!used[j]) {
                        add_cell(&del, &l->rows.v[j]);
                        ndel++;
                }
        if (l->b.oom || ins.oom || del.oom)
                goto nomem;
        rc = exec_ok(l->conn,
                     "UPDATE swi_pub.publications SET known_at = now() WHERE name = 'actueel'", 0,
                     NULL, "touch publication", errstr, errstr_size);
        if (rc != SWI_OK || nupd + nins + ndel == 0)
                goto done;
        swi_date_format(l->P, pbuf);
        if (nupd) {
                snprintf(sql, sizeof(sql), "COPY tmp_live %s FROM STDIN", cols);
                rc = copy_in(l->conn, sql, &l->b, "COPY changed values", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                snprintf(sql, sizeof(sql),
                         "UPDATE swi_pub.indicator_values v SET value = t.value, "
                         "onderdrukt = t.onderdrukt, reden = t.reden FROM tmp_live t "
                         "WHERE v.publication = 'actueel' AND v.peildatum = '%s' "
                         "AND v.cell = t.cell",
                         pbuf);
                res = PQexec(l->conn, sql);
                if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                        rc = pg_fail(l->conn, res, "update changed values", errstr, errstr_size);
                        res = NULL;
                        goto done;
                }
                if ((size_t)atol(PQcmdTuples(res)) != nupd)
                        goto differs;
                PQclear(res);
                res = NULL;
        }
        if (ndel) {
                rc = copy_in(l->conn, "COPY tmp_live_gone FROM STDIN", &del, "COPY gone cells",
                             errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                snprintf(sql, sizeof(sql),
                         "DELETE FROM swi_pub.indicator_values v USING tmp_live_gone g "
                         "WHERE v.publication = 'actueel' AND v.peildatum = '%s' AND v.cell = g.cell",
                         pbuf);
                res = PQexec(l->conn, sql);
                if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                        rc = pg_fail(l->conn, res, "delete gone cells", errstr, errstr_size);
                        res = NULL;
                        goto done;
                }
                if ((size_t)atol(PQcmdTuples(res)) != ndel)
                        goto differs;
                PQclear(res);
                res = NULL;
        }
        if (nins) {
                rc = exec_ok(l->conn, "SELECT set_config('swi.publication', 'actueel', true)", 0,
                             NULL, "select publication", errstr, errstr_size);
                snprintf(sql, sizeof(sql), "COPY swi_pub.indicator_values %s FROM STDIN", cols);
                if (rc == SWI_OK)
                        rc = copy_in(l->conn, sql, &ins, "COPY new cells", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        *written = (int64_t)(nupd + nins + ndel);
        goto done;
differs:
        /* the table is not what this publisher wrote last (another writer) */
        SWI_LOG_W("publish", "current figures differ from the last round; rewriting",
                  "updates=%zu deletes=%zu affected=%s", nupd, ndel, PQcmdTuples(res));
        PQclear(res);
        res = NULL;
rewrite:
        *full = true;
        rc = write_publication(l->conn, "actueel", l->P, "now", SWI_K_ALL, l->base, l->threshold,
                               NULL, &l->next, &l->b, errstr, errstr_size);
        *written = (int64_t)l->next.n;
        goto done;
nomem:
        snprintf(errstr, errstr_size, "live figures: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        free(old_of);
        free(used);
        free(ins.p);
        free(del.p);
        return rc;
}

static int lag_push(swi_live_t *l, double v)
{
        if (l->nlags == l->lagcap) {
                size_t cap = l->lagcap ? l->lagcap * 2 : 64;
                double *p = realloc(l->lags, cap * sizeof(*p));
                if (!p)
                        return -1;
                l->lags = p;
                l->lagcap = cap;
        }
        l->lags[l->nlags++] = v;
        return 0;
}

static int committed_push(swi_live_t *l, int64_t ms)
{
        if (l->ncommitted == l->comcap) {
                size_t cap = l->comcap ? l->comcap * 2 : 64;
                int64_t *p = realloc(l->committed, cap * sizeof(*p));
                if (!p)
                        return -1;
                l->committed = p;
                l->comcap = cap;
        }
        l->committed[l->ncommitted++] = ms;
        return 0;
}

/* After the round's COMMIT: one swi_ops.publish_lag row per drained batch;
 * the lags come back (server clock on both ends). */
static swi_err_t live_record_lags(swi_live_t *l, bool rebuild, char *errstr, size_t errstr_size)
{
        buf_t a = {0};
        swi_err_t rc = SWI_OK;

        l->nlags = 0;
        if (l->ncommitted == 0)
                return SWI_OK;
        buf_add(&a, "{", 1);
        for (size_t i = 0; i < l->ncommitted; i++)
                buf_printf(&a, "%s%lld", i ? "," : "", (long long)l->committed[i]);
        buf_add(&a, "}", 1);
        if (a.oom) {
                free(a.p);
                return SWI_ERR_NOMEM;
        }
        const char *vals[2] = {a.p, rebuild ? "rebuild" : "delta"};
        PGresult *res = exec_params(
                l->conn,
                "INSERT INTO swi_ops.publish_lag (committed_at, published_at, round_kind) "
                "SELECT timestamptz 'epoch' + x * interval '1 millisecond', clock_timestamp(), $2 "
                "FROM unnest($1::bigint[]) x "
                "RETURNING extract(epoch FROM published_at - committed_at)::float8",
                2, vals);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                rc = pg_fail(l->conn, res, "record freshness", errstr, errstr_size);
        } else {
                for (int r = 0; r < PQntuples(res); r++)
                        if (lag_push(l, atof(PQgetvalue(res, r, 0))) < 0)
                                rc = SWI_ERR_NOMEM;
                PQclear(res);
        }
        free(a.p);
        if (rc == SWI_OK && ++l->rounds % 1000 == 1)
                rc = exec_ok(l->conn,
                             "DELETE FROM swi_ops.publish_lag WHERE published_at < now() - interval '7 days'",
                             0, NULL, "prune freshness records", errstr, errstr_size);
        return rc;
}

static swi_err_t live_connect(swi_live_t *l, char *errstr, size_t errstr_size)
{
        l->conn = PQconnectdb(l->conninfo);
        if (PQstatus(l->conn) != CONNECTION_OK) {
                swi_err_t rc = pg_fail(l->conn, NULL, "connect", errstr, errstr_size);
                live_drop(l);
                return rc;
        }
        swi_err_t rc = exec_ok(l->conn, "LISTEN swi_publish", 0, NULL, "LISTEN", errstr,
                               errstr_size);
        /* the tables for the changed values, once per connection */
        if (rc == SWI_OK)
                rc = exec_ok(l->conn,
                             "CREATE TEMP TABLE tmp_live (LIKE swi_pub.indicator_values "
                             "INCLUDING DEFAULTS INCLUDING GENERATED) ON COMMIT DELETE ROWS",
                             0, NULL, "create changed-values table", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = exec_ok(l->conn,
                             "CREATE TEMP TABLE tmp_live_gone (cell text) ON COMMIT DELETE ROWS",
                             0, NULL, "create gone-cells table", errstr, errstr_size);
        if (rc != SWI_OK)
                live_drop(l);
        return rc;
}

swi_err_t swi_live_round(swi_live_t *l, int64_t now_ms, swi_live_stats_t *st, char *errstr,
                         size_t errstr_size)
{
        keyset_t ks = {0};
        PGresult *res = NULL;
        swi_err_t rc = SWI_OK;
        double t0 = now_s(), t1;
        int32_t P = (int32_t)(now_ms / 86400000);
        bool rebuild, full = false;

        memset(st, 0, sizeof(*st));
        if (!l->conn || PQstatus(l->conn) != CONNECTION_OK) {
                live_drop(l);
                rc = live_connect(l, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
        if (!l->leader) {
                char sql[64];
                snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)", LIVE_LOCK);
                res = PQexec(l->conn, sql);
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pg_fail(l->conn, res, "publisher lock", errstr, errstr_size);
                        res = NULL;
                        goto fail;
                }
                l->leader = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
                PQclear(res);
                res = NULL;
                if (!l->leader)
                        return SWI_OK;
        }
        st->leader = true;
        rebuild = l->P != P;
        l->ncommitted = 0;
        l->nlags = 0;

        rc = exec_ok(l->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, "BEGIN", errstr,
                     errstr_size);
        if (rc != SWI_OK)
                goto fail;
        res = PQexec(l->conn, "DELETE FROM swi_ops.publish_queue RETURNING encode(keys, 'hex'), "
                              "(extract(epoch FROM committed_at) * 1000)::bigint");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                rc = pg_fail(l->conn, res, "drain the publish queue", errstr, errstr_size);
                res = NULL;
                goto fail;
        }
        for (int r = 0; r < PQntuples(res); r++) {
                const char *hex = PQgetvalue(res, r, 0);
                size_t len = strlen(hex), klen = 2 * (1 + SWI_PSEUDO_LEN);
                if (committed_push(l, atoll(PQgetvalue(res, r, 1))) < 0)
                        goto nomem;
                if (rebuild)
                        continue;
                for (size_t off = 0; off + klen <= len; off += klen) {
                        uint8_t kind[1], ps[SWI_PSEUDO_LEN];
                        char kb[3] = {hex[off], hex[off + 1], 0};
                        kind[0] = (uint8_t)strtoul(kb, NULL, 16);
                        if (parse_hex_prefix(hex + off + 2, ps) != 0 ||
                            (kind[0] != SWI_PKEY_BSN && kind[0] != SWI_PKEY_VNR))
                                continue;
                        if (keyset_add(&ks, kind[0], ps) < 0)
                                goto nomem;
                        if ((ks.n & 1023) == 1023)
                                keyset_sort(&ks);
                }
        }
        PQclear(res);
        res = NULL;
        st->batches = (int64_t)l->ncommitted;
        if (!rebuild && l->ncommitted == 0) {
                st->idle = true;
                rc = exec_ok(l->conn, "ROLLBACK", 0, NULL, "ROLLBACK", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
                goto out;
        }
        if (rebuild) {
                int64_t evn = 0, cln = 0;
                l->persons.n = 0;
                l->P = P;
                rc = load_all_persons(l->conn, now_ms, P, &l->persons, &evn, &cln, errstr,
                                      errstr_size);
                if (rc == SWI_OK)
                        rc = live_index(l);
                if (rc != SWI_OK) {
                        l->P = SWI_DATE_NONE;
                        goto fail;
                }
                st->clusters = cln;
        } else {
                int added;
                keyset_sort(&ks);
                do {
                        rc = expand(l->conn, &ks, &added, errstr, errstr_size);
                        if (rc != SWI_OK)
                                goto fail;
                } while (added > 0);
                rc = live_apply(l, &ks, now_ms, &st->clusters, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
        st->rebuild = rebuild;
        st->persons = (int64_t)l->persons.n;
        t1 = now_s();
        st->seconds_load = t1 - t0;
        {
                swi_dc_params_t dc = {l->base, l->threshold};
                swi_ind_rows_reset(&l->next);
                rc = swi_ind_compute(l->persons.v, l->persons.n, l->P, &dc, &l->next, errstr,
                                     errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
        st->seconds_compute = now_s() - t1;
        t1 = now_s();
        rc = live_write(l, &full, &st->rows_written, errstr, errstr_size);
        if (rc == SWI_OK)
                rc = exec_ok(l->conn, "COMMIT", 0, NULL, "COMMIT", errstr, errstr_size);
        if (rc != SWI_OK)
                goto fail;
        {
                swi_ind_rows_t t = l->rows;
                l->rows = l->next;
                l->next = t;
                l->rows_valid = true;
        }
        st->rows = (int64_t)l->rows.n;
        rc = live_record_lags(l, rebuild, errstr, errstr_size);
        if (rc == SWI_OK && full) /* every row replaced: fresh statistics for the planner */
                rc = exec_ok(l->conn, "ANALYZE swi_pub.indicator_values", 0, NULL,
                             "analyze indicator values", errstr, errstr_size);
        if (rc != SWI_OK)
                goto fail;
        st->lags = l->lags;
        st->nlags = l->nlags;
        st->seconds_write = now_s() - t1;
        goto out;
nomem:
        snprintf(errstr, errstr_size, "live figures: out of memory");
        rc = SWI_ERR_NOMEM;
fail:
        PQclear(res);
        res = NULL;
        live_drop(l); /* rolls back; the queue rows stay for the next publisher */
out:
        free(ks.v);
        st->seconds = now_s() - t0;
        return rc;
}

int swi_live_wait(swi_live_t *l, int timeout_ms)
{
        if (!l->conn || PQstatus(l->conn) != CONNECTION_OK)
                return 1;
        PGnotify *n;
        int got = 0;
        PQconsumeInput(l->conn);
        while ((n = PQnotifies(l->conn)) != NULL) {
                got = 1;
                PQfreemem(n);
        }
        if (got)
                return 1;
        int fd = PQsocket(l->conn);
        if (fd < 0)
                return 1;
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        struct timeval tv = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000};
        if (select(fd + 1, &rd, NULL, NULL, &tv) <= 0)
                return 0;
        if (!PQconsumeInput(l->conn))
                return 1;
        while ((n = PQnotifies(l->conn)) != NULL) {
                got = 1;
                PQfreemem(n);
        }
        return got;
}
