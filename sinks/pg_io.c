/* pg_io.c - the PostgreSQL toolkit of the sinks; see pg_io.h. */
#include "pg_io.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/embedded.h"
#include "common/log.h"

double pgio_now_s(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void pgio_notice_to_log(void *arg, const char *message)
{
        (void)arg;
        SWI_LOG_D("pg", "server notice", "text=\"%.*s\"", (int)strcspn(message, "\n"), message);
}

PGconn *pgio_connect(const char *conninfo, const char *app, bool name_it)
{
        /* conninfo is expanded; the keywords after it override it (a fallback
         * name only when it names no application itself) */
        const char *const keys[] = {"dbname",
                                    name_it ? "application_name" : "fallback_application_name",
                                    "client_encoding", NULL};
        const char *const vals[] = {conninfo, app, "UTF8", NULL};
        PGconn *c = PQconnectdbParams(keys, vals, 1);
        if (c)
                PQsetNoticeProcessor(c, pgio_notice_to_log, NULL);
        return c;
}

swi_err_t pgio_buf_reserve(pgio_buf_t *b, size_t need)
{
        if (b->oom)
                return SWI_ERR_NOMEM;
        if (b->n + need + 1 <= b->cap)
                return SWI_OK;
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + need + 1)
                cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
                b->oom = 1;
                return SWI_ERR_NOMEM;
        }
        b->p = p;
        b->cap = cap;
        return SWI_OK;
}

void pgio_buf_free(pgio_buf_t *b)
{
        free(b->p);
        memset(b, 0, sizeof(*b));
}

void pgio_buf_add(pgio_buf_t *b, const char *s, size_t len)
{
        if (pgio_buf_reserve(b, len) != SWI_OK)
                return;
        memcpy(b->p + b->n, s, len);
        b->n += len;
        b->p[b->n] = '\0';
}

void pgio_buf_printf(pgio_buf_t *b, const char *fmt, ...)
{
        va_list ap;
        char tmp[256];
        va_start(ap, fmt);
        int w = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (w < 0)
                return;
        if ((size_t)w < sizeof(tmp)) {
                pgio_buf_add(b, tmp, (size_t)w);
                return;
        }
        if (pgio_buf_reserve(b, (size_t)w) != SWI_OK)
                return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, (size_t)w + 1, fmt, ap);
        va_end(ap);
        b->n += (size_t)w;
}

void pgio_buf_hex(pgio_buf_t *b, const uint8_t *ps)
{
        static const char hex[] = "0123456789abcdef";
        char out[2 * SWI_PSEUDO_LEN];
        for (int i = 0; i < SWI_PSEUDO_LEN; i++) {
                out[2 * i] = hex[ps[i] >> 4];
                out[2 * i + 1] = hex[ps[i] & 15];
        }
        pgio_buf_add(b, out, sizeof(out));
}

static int hexval_any(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* The pseudonym in the first 64 hex digits of s (s may go on). */
int pgio_parse_hex_prefix(const char *s, uint8_t out[SWI_PSEUDO_LEN])
{
        for (int i = 0; i < SWI_PSEUDO_LEN; i++) {
                int h = hexval_any((unsigned char)s[2 * i]), l = hexval_any((unsigned char)s[2 * i + 1]);
                if (h < 0 || l < 0)
                        return -1;
                out[i] = (uint8_t)(h << 4 | l);
        }
        return 0;
}

/* s is exactly one pseudonym in hex. */
int pgio_parse_hex(const char *s, uint8_t out[SWI_PSEUDO_LEN])
{
        return strlen(s) == 2 * SWI_PSEUDO_LEN ? pgio_parse_hex_prefix(s, out) : -1;
}

swi_err_t pgio_fail(PGconn *conn, PGresult *res, const char *what, char *errstr,
                    size_t errstr_size)
{
        snprintf(errstr, errstr_size, "%s: %s", what,
                 res ? PQresultErrorMessage(res) : conn ? PQerrorMessage(conn) : "no connection");
        PQclear(res);
        /* one line: libpq messages end in (and may contain) newlines */
        size_t n = strlen(errstr);
        while (n > 0 && (errstr[n - 1] == '\n' || errstr[n - 1] == ' '))
                errstr[--n] = '\0';
        for (size_t i = 0; i < n; i++)
                if (errstr[i] == '\n')
                        errstr[i] = ' ';
        return SWI_ERR_PG;
}

PGresult *pgio_exec_params(PGconn *conn, const char *sql, int n, const char *const *vals)
{
        return PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0);
}

/* ---- COPY rows ---------------------------------------------------------- */

char *pgio_date_text(int64_t days, char *buf)
{
        int y, m, d;
        int64_t yy;

        /* one 400-year cycle at a time keeps the int year of swi_date_to_ymd */
        int64_t cycles = days / 146097;
        swi_date_to_ymd((int32_t)(days - cycles * 146097), &y, &m, &d);
        yy = y + cycles * 400;
        if (yy >= 1)
                snprintf(buf, PGIO_DATE_BUF, "%04lld-%02d-%02d", (long long)yy, m, d);
        else
                snprintf(buf, PGIO_DATE_BUF, "%04lld-%02d-%02d BC", (long long)(1 - yy), m, d);
        return buf;
}

void pgio_add_ts(pgio_buf_t *b, int64_t ms)
{
        int64_t days = ms / 86400000, rem = ms % 86400000;
        if (rem < 0) {
                rem += 86400000;
                days--;
        }
        char d[PGIO_DATE_BUF];
        pgio_date_text(days, d);
        pgio_buf_printf(b, "%s %02d:%02d:%02d.%03d+00", d, (int)(rem / 3600000),
                   (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

swi_err_t pgio_copy_in(PGconn *conn, const char *sql, const pgio_buf_t *b, const char *what,
                         char *errstr, size_t errstr_size)
{
        PGresult *res = PQexec(conn, sql);
        if (PQresultStatus(res) != PGRES_COPY_IN)
                return pgio_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        if ((b->n && PQputCopyData(conn, b->p, (int)b->n) != 1) || PQputCopyEnd(conn, NULL) != 1)
                return pgio_fail(conn, NULL, what, errstr, errstr_size);
        res = PQgetResult(conn);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
                return pgio_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        while ((res = PQgetResult(conn)))
                PQclear(res);
        return SWI_OK;
}

swi_err_t pgio_exec_ok(PGconn *conn, const char *sql, int n, const char *const *vals,
                         const char *what, char *errstr, size_t errstr_size)
{
        PGresult *res = pgio_exec_params(conn, sql, n, vals);
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                return pgio_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        return SWI_OK;
}


/* ---- COPY text writers ------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
        unsigned c = p[0];
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
                        return 0;
                if (c == 0xe0 && p[1] < 0xa0) /* overlong */
                        return 0;
                if (c == 0xed && p[1] >= 0xa0) /* surrogate */
                        return 0;
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
                    (p[3] & 0xc0) != 0x80)
                        return 0;
                if (c == 0xf0 && p[1] < 0x90) /* overlong */
                        return 0;
                if (c == 0xf4 && p[1] >= 0x90) /* > U+10FFFF */
                        return 0;
                return 4;
        }
        return 0;
}

bool pgio_utf8_valid(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;
        while (i < n) {
                size_t k = utf8_seq(p + i, n - i);
                if (k == 0)
                        return false;
                i += k;
        }
        return true;
}

/* COPY text escaping of a plain text value. Invalid UTF-8 bytes become U+FFFD
 * (dead letters must never fail a batch). Writes at most 3 * n bytes. */
char *pgio_put_copy_text(char *o, const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;
        while (i < n) {
                unsigned char c = p[i];
                size_t k;
                switch (c) {
                case '\\':
                        *o++ = '\\';
                        *o++ = '\\';
                        i++;
                        continue;
                case '\t':
                        *o++ = '\\';
                        *o++ = 't';
                        i++;
                        continue;
                case '\n':
                        *o++ = '\\';
                        *o++ = 'n';
                        i++;
                        continue;
                case '\r':
                        *o++ = '\\';
                        *o++ = 'r';
                        i++;
                        continue;
                default:
                        break;
                }
                k = utf8_seq(p + i, n - i);
                if (k == 0) {
                        *o++ = (char)0xef;
                        *o++ = (char)0xbf;
                        *o++ = (char)0xbd;
                        i++;
                        continue;
                }
                memcpy(o, p + i, k);
                o += k;
                i += k;
        }
        return o;
}

/* A JSON string (quotes included), COPY-escaped on top: every backslash of the
 * JSON escape is doubled. Input must be valid UTF-8 (checked by the caller).
 * Writes at most 2 + 7 * n bytes. */
char *pgio_put_json_str(char *o, const char *s, size_t n)
{
        *o++ = '"';
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c >= 0x20 && c != '"' && c != '\\') {
                        *o++ = (char)c;
                        continue;
                }
                *o++ = '\\';
                *o++ = '\\';
                switch (c) {
                case '"':
                        *o++ = '"';
                        break;
                case '\\':
                        *o++ = '\\';
                        *o++ = '\\';
                        break;
                case '\n':
                        *o++ = 'n';
                        break;
                case '\t':
                        *o++ = 't';
                        break;
                case '\r':
                        *o++ = 'r';
                        break;
                case '\b':
                        *o++ = 'b';
                        break;
                case '\f':
                        *o++ = 'f';
                        break;
                default:
                        *o++ = 'u';
                        *o++ = '0';
                        *o++ = '0';
                        *o++ = hexdig[c >> 4];
                        *o++ = hexdig[c & 15];
                        break;
                }
        }
        *o++ = '"';
        return o;
}

char *pgio_put_str(char *o, const char *s)
{
        size_t n = strlen(s);
        memcpy(o, s, n);
        return o + n;
}

char *pgio_put_i64(char *o, int64_t v)
{
        char tmp[24];
        int n = 0;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        do {
                tmp[n++] = (char)('0' + (int)(u % 10));
                u /= 10;
        } while (u);
        if (v < 0)
                *o++ = '-';
        while (n)
                *o++ = tmp[--n];
        return o;
}

static char *put_2d(char *o, int v)
{
        *o++ = (char)('0' + v / 10);
        *o++ = (char)('0' + v % 10);
        return o;
}

/* YYYY-MM-DD; days must be in [PGIO_DAYS_MIN, PGIO_DAYS_MAX]. */
char *pgio_put_date(char *o, int32_t days)
{
        int y, m, d;
        assert(days >= PGIO_DAYS_MIN && days <= PGIO_DAYS_MAX);
        swi_date_to_ymd(days, &y, &m, &d);
        o = put_2d(o, y / 100);
        o = put_2d(o, y % 100);
        *o++ = '-';
        o = put_2d(o, m);
        *o++ = '-';
        return put_2d(o, d);
}

bool pgio_ts_in_range(int64_t ms)
{
        return ms >= (int64_t)PGIO_DAYS_MIN * PGIO_MS_PER_DAY && ms < ((int64_t)PGIO_DAYS_MAX + 1) * PGIO_MS_PER_DAY;
}

/* YYYY-MM-DD HH:MM:SS.mmm+00 from ms since the epoch (UTC). */
char *pgio_put_ts(char *o, int64_t ms)
{
        int64_t days = ms / PGIO_MS_PER_DAY;
        int64_t rem = ms % PGIO_MS_PER_DAY;
        if (rem < 0) {
                rem += PGIO_MS_PER_DAY;
                days--;
        }
        o = pgio_put_date(o, (int32_t)days);
        *o++ = ' ';
        o = put_2d(o, (int)(rem / 3600000));
        *o++ = ':';
        o = put_2d(o, (int)(rem / 60000 % 60));
        *o++ = ':';
        o = put_2d(o, (int)(rem / 1000 % 60));
        *o++ = '.';
        *o++ = (char)('0' + (int)(rem % 1000 / 100));
        o = put_2d(o, (int)(rem % 100));
        return pgio_put_str(o, "+00");
}

/* bytea in COPY text: \\x<hex> (the backslash itself escaped for COPY). */
char *pgio_put_bytea(char *o, const uint8_t *b, size_t n)
{
        *o++ = '\\';
        *o++ = '\\';
        *o++ = 'x';
        for (size_t i = 0; i < n; i++) {
                *o++ = hexdig[b[i] >> 4];
                *o++ = hexdig[b[i] & 15];
        }
        return o;
}

/* Parses the canonical 8-4-4-4-12 form (either case). 0 on success. */
int pgio_uuid_parse(const char *s, uint8_t out[16])
{
        int j = 0;
        for (int i = 0; i < SWI_UUID_LEN; i++) {
                int hi, lo;
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return -1;
                        continue;
                }
                hi = hexval_any((unsigned char)s[i]);
                lo = hi < 0 ? -1 : hexval_any((unsigned char)s[i + 1]);
                if (lo < 0)
                        return -1;
                out[j++] = (uint8_t)(hi << 4 | lo);
                i++;
        }
        return s[SWI_UUID_LEN] == '\0' ? 0 : -1;
}

char *pgio_put_uuid(char *o, const uint8_t id[16])
{
        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        *o++ = '-';
                *o++ = hexdig[id[i] >> 4];
                *o++ = hexdig[id[i] & 15];
        }
        return o;
}


/* ---- migrations ------------------------------------------------------------ */

/* Advisory lock key serialising migrations across instances ("SWIMIGR"). */
#define MIGRATION_LOCK_KEY "5917800390986322"

/* Leading decimal number of "NNN_name.sql"; -1 if malformed. */
static int migration_version(const char *name)
{
        int v = 0, digits = 0;
        for (; *name >= '0' && *name <= '9'; name++, digits++) {
                if (v > 100000)
                        return -1;
                v = v * 10 + (*name - '0');
        }
        return digits > 0 && *name == '_' ? v : -1;
}

static swi_err_t simple(PGconn *conn, const char *sql, const char *what, char *errstr,
                        size_t errstr_size)
{
        PGresult *res = PQexec(conn, sql);
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                return pgio_fail(conn, res, what, errstr, errstr_size);
        PQclear(res);
        return SWI_OK;
}

swi_err_t pgio_migrate(PGconn *conn, int *applied_now, char *errstr, size_t errstr_size)
{
        swi_err_t rc;
        PGresult *res = NULL;
        int *applied = NULL;
        int napplied = 0;

        *applied_now = 0;
        rc = simple(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")",
                    "migrations: advisory lock", errstr, errstr_size);
        if (rc != SWI_OK)
                return rc;
        rc = simple(conn,
                    "CREATE SCHEMA IF NOT EXISTS swi_ops;"
                    "CREATE TABLE IF NOT EXISTS swi_ops.schema_migrations ("
                    " version int PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())",
                    "migrations: create swi_ops.schema_migrations", errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        res = PQexec(conn, "SELECT version FROM swi_ops.schema_migrations ORDER BY version");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                rc = pgio_fail(conn, res, "migrations: read applied versions", errstr,
                               errstr_size);
                res = NULL;
                goto done;
        }
        napplied = PQntuples(res);
        applied = calloc((size_t)napplied + 1, sizeof(*applied));
        if (!applied) {
                snprintf(errstr, errstr_size, "migrations: out of memory");
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        for (int i = 0; i < napplied; i++)
                applied[i] = atoi(PQgetvalue(res, i, 0));
        PQclear(res);
        res = NULL;

        for (const swi_embedded_file_t *f = swi_embedded_migrations; f->name; f++) {
                int v = migration_version(f->name);
                bool done_already = false;
                char vbuf[16], purpose[160];

                snprintf(purpose, sizeof(purpose), "migration %s", f->name);
                if (v < 0) {
                        snprintf(errstr, errstr_size, "%s: file name does not start with NNN_",
                                 purpose);
                        rc = SWI_ERR_CONFIG;
                        goto done;
                }
                if (f[1].name && migration_version(f[1].name) == v) {
                        snprintf(errstr, errstr_size, "%s: two migrations share the version number",
                                 purpose);
                        rc = SWI_ERR_CONFIG;
                        goto done;
                }
                for (int i = 0; i < napplied; i++)
                        if (applied[i] == v)
                                done_already = true;
                if (done_already)
                        continue;
                snprintf(vbuf, sizeof(vbuf), "%d", v);
                const char *params[2] = {vbuf, f->name};
                rc = simple(conn, "BEGIN", purpose, errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = simple(conn, f->data, purpose, errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = pgio_exec_ok(conn,
                                          "INSERT INTO swi_ops.schema_migrations (version, name)"
                                          " VALUES ($1::int, $2)",
                                          2, params, purpose, errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = simple(conn, "COMMIT", purpose, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                (*applied_now)++;
                SWI_LOG_I("pg", "migration applied", "name=%s version=%d", f->name, v);
        }
done:
        PQclear(res);
        free(applied);
        if (PQstatus(conn) == CONNECTION_OK) {
                if (PQtransactionStatus(conn) != PQTRANS_IDLE)
                        PQclear(PQexec(conn, "ROLLBACK"));
                /* session locks die with the session: a failed unlock is the
                 * caller's broken connection */
                PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")"));
        }
        return rc;
}
