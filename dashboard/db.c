#include "db.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct swi_db_s {
        char *conninfo;
        int64_t statement_timeout_ms;
        int size;
        PGconn **conns; /* NULL or not yet usable: (re)connected when taken */
        bool *busy;
        pthread_mutex_t lock;
        pthread_cond_t freed;
};

struct swi_db_rows_s {
        PGresult *res;
};

swi_db_t *swi_db_new(const char *conninfo, int size, int64_t statement_timeout_ms, char *errstr,
                     size_t errstr_size)
{
        swi_db_t *db;

        if (size < 1) {
                snprintf(errstr, errstr_size, "connection pool size must be at least 1");
                return NULL;
        }
        db = calloc(1, sizeof(*db));
        if (!db)
                goto nomem;
        db->conninfo = strdup(conninfo ? conninfo : "");
        db->conns = calloc((size_t)size, sizeof(*db->conns));
        db->busy = calloc((size_t)size, sizeof(*db->busy));
        if (!db->conninfo || !db->conns || !db->busy) {
                free(db->conninfo);
                free(db->conns);
                free(db->busy);
                free(db);
                goto nomem;
        }
        db->size = size;
        db->statement_timeout_ms = statement_timeout_ms;
        pthread_mutex_init(&db->lock, NULL);
        pthread_cond_init(&db->freed, NULL);
        return db;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
}

void swi_db_destroy(swi_db_t *db)
{
        if (!db)
                return;
        for (int i = 0; i < db->size; i++)
                if (db->conns[i])
                        PQfinish(db->conns[i]);
        pthread_mutex_destroy(&db->lock);
        pthread_cond_destroy(&db->freed);
        free(db->conns);
        free(db->busy);
        free(db->conninfo);
        free(db);
}

/* Server notices (e.g. of a cancelled statement) go to the debug log. */
static void notice_to_log(void *arg, const char *message)
{
        (void)arg;
        size_t n = strlen(message);
        SWI_LOG_D("db", "server notice", "text=\"%.*s\"",
                  (int)(n && message[n - 1] == '\n' ? n - 1 : n), message);
}

/* A fresh session: read-only by default, with the statement timeout. */
/* libpq's messages end in, and may hold, newlines: one line for logs and errors. */
static void one_line(char *s)
{
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
        for (char *p = s; *p; p++)
                if (*p == '\n' || *p == '\t')
                        *p = ' ';
}

static PGconn *db_connect(swi_db_t *db, char *errstr, size_t errstr_size)
{
        const char *keys[] = {"dbname", "fallback_application_name", "connect_timeout", NULL};
        const char *vals[] = {db->conninfo, "swi-dashboard", "5", NULL};
        char set[256];
        PGconn *c = PQconnectdbParams(keys, vals, 1);
        PGresult *r;

        if (!c || PQstatus(c) != CONNECTION_OK) {
                snprintf(errstr, errstr_size, "cannot connect to PostgreSQL: %s",
                         c ? PQerrorMessage(c) : "out of memory");
                one_line(errstr);
                PQfinish(c);
                return NULL;
        }
        PQsetNoticeProcessor(c, notice_to_log, NULL);
        /* jit off: the API's queries are short index lookups, but the row
         * security policies' subplans inflate their cost estimates past
         * jit_above_cost, and compiling took ~1 s of a 1 ms query (the
         * publications list at 150k persons, bench/dashboard.sh) */
        snprintf(set, sizeof(set),
                 "SET default_transaction_read_only = on; SET statement_timeout = %lld; "
                 "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET jit = off",
                 (long long)db->statement_timeout_ms);
        r = PQexec(c, set);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                snprintf(errstr, errstr_size, "cannot set up the session: %s", PQerrorMessage(c));
                one_line(errstr);
                PQclear(r);
                PQfinish(c);
                return NULL;
        }
        PQclear(r);
        return c;
}

static int take(swi_db_t *db)
{
        int slot = -1;
        pthread_mutex_lock(&db->lock);
        for (;;) {
                for (int i = 0; i < db->size && slot < 0; i++)
                        if (!db->busy[i])
                                slot = i;
                if (slot >= 0)
                        break;
                pthread_cond_wait(&db->freed, &db->lock);
        }
        db->busy[slot] = true;
        pthread_mutex_unlock(&db->lock);
        return slot;
}

static void give_back(swi_db_t *db, int slot)
{
        pthread_mutex_lock(&db->lock);
        db->busy[slot] = false;
        pthread_cond_signal(&db->freed);
        pthread_mutex_unlock(&db->lock);
}

swi_db_rows_t *swi_db_query(swi_db_t *db, const char *sql, int nparams, const char *const *params,
                            bool *unavailable, char *errstr, size_t errstr_size)
{
        swi_db_rows_t *rows = NULL;
        PGresult *res = NULL;
        int slot = take(db);
        bool down = false;

        /* A connection dropped since its last use (server restart) fails its
         * next statement: reconnect and run it once more (reads only). */
        for (int attempt = 0; attempt < 2; attempt++) {
                PGconn *c = db->conns[slot];
                if (!c || PQstatus(c) != CONNECTION_OK) {
                        if (c)
                                PQfinish(c);
                        db->conns[slot] = c = db_connect(db, errstr, errstr_size);
                        if (!c) {
                                down = true;
                                break;
                        }
                }
                res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
                if (PQresultStatus(res) == PGRES_TUPLES_OK)
                        break;
                snprintf(errstr, errstr_size, "%s", PQerrorMessage(c));
                one_line(errstr);
                PQclear(res);
                res = NULL;
                if (PQstatus(c) == CONNECTION_OK)
                        break; /* the statement failed, not the connection */
                down = true;
        }
        give_back(db, slot);
        if (unavailable)
                *unavailable = down && !res;
        if (!res)
                return NULL;
        rows = malloc(sizeof(*rows));
        if (!rows) {
                PQclear(res);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        rows->res = res;
        return rows;
}

int swi_db_rows_count(const swi_db_rows_t *r)
{
        return PQntuples(r->res);
}

int swi_db_rows_columns(const swi_db_rows_t *r)
{
        return PQnfields(r->res);
}

const char *swi_db_rows_name(const swi_db_rows_t *r, int col)
{
        return PQfname(r->res, col);
}

int swi_db_rows_column(const swi_db_rows_t *r, const char *name)
{
        for (int i = 0; i < PQnfields(r->res); i++)
                if (strcmp(PQfname(r->res, i), name) == 0)
                        return i;
        return -1;
}

const char *swi_db_rows_get(const swi_db_rows_t *r, int row, int col)
{
        if (PQgetisnull(r->res, row, col))
                return NULL;
        return PQgetvalue(r->res, row, col);
}

void swi_db_rows_free(swi_db_rows_t *r)
{
        if (!r)
                return;
        PQclear(r->res);
        free(r);
}

swi_err_t swi_db_check_role(swi_db_t *db, char *errstr, size_t errstr_size)
{
        static const char *sql =
            "SELECT current_user, "
            "       has_schema_privilege('swi_pub', 'USAGE') "
            "       AND has_table_privilege('swi_pub.indicator_values', 'SELECT'), "
            "       has_schema_privilege('swi', 'USAGE'), "
            "       has_table_privilege('swi_pub.indicator_values', 'INSERT, UPDATE, DELETE, "
            "TRUNCATE'), "
            "       (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)";
        char err[512];
        bool down = false;
        swi_db_rows_t *r = swi_db_query(db, sql, 0, NULL, &down, err, sizeof(err));
        swi_err_t rc = SWI_OK;

        if (!r) {
                snprintf(errstr, errstr_size, "cannot check the database role: %s", err);
                return down ? SWI_ERR_PG : SWI_ERR_CONFIG;
        }
        const char *user = swi_db_rows_get(r, 0, 0);
        if (strcmp(swi_db_rows_get(r, 0, 4), "t") == 0) {
                snprintf(errstr, errstr_size,
                         "role %s is a superuser; connect as a login role in group analyst "
                         "(read-only, published figures only)",
                         user);
                rc = SWI_ERR_CONFIG;
        } else if (strcmp(swi_db_rows_get(r, 0, 1), "t") != 0) {
                snprintf(errstr, errstr_size,
                         "role %s cannot read swi_pub.indicator_values; grant it analyst", user);
                rc = SWI_ERR_CONFIG;
        } else if (strcmp(swi_db_rows_get(r, 0, 2), "t") == 0) {
                snprintf(errstr, errstr_size,
                         "role %s can read the microdata (schema swi); the dashboard must connect "
                         "as a role that sees the published figures only (group analyst)",
                         user);
                rc = SWI_ERR_CONFIG;
        } else if (strcmp(swi_db_rows_get(r, 0, 3), "t") == 0) {
                snprintf(errstr, errstr_size,
                         "role %s can write the published figures; the dashboard must connect as "
                         "a read-only role (group analyst)",
                         user);
                rc = SWI_ERR_CONFIG;
        }
        swi_db_rows_free(r);
        return rc;
}

void swi_db_conninfo_redact(const char *conninfo, char *out, size_t out_size, char *pw,
                            size_t pw_size)
{
        char *err = NULL;
        PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
        size_t n = 0;

        out[0] = '\0';
        pw[0] = '\0';
        if (!opts) {
                snprintf(out, out_size, "[redacted: not a valid conninfo]");
                PQfreemem(err);
                return;
        }
        for (PQconninfoOption *o = opts; o->keyword; o++) {
                const char *v = o->val;
                int quote;
                if (!v)
                        continue;
                if (!strcmp(o->keyword, "password"))
                        snprintf(pw, pw_size, "%s", v);
                if (!strcmp(o->keyword, "password") || !strcmp(o->keyword, "sslpassword"))
                        v = "[redacted]";
                quote = !*v || strpbrk(v, " '\\") != NULL;
                n += (size_t)snprintf(out + n, n < out_size ? out_size - n : 0, "%s%s=%s",
                                      n ? " " : "", o->keyword, quote ? "'" : "");
                for (; *v && n + 3 < out_size; v++) {
                        if (*v == '\'' || *v == '\\')
                                out[n++] = '\\';
                        out[n++] = *v;
                }
                if (quote && n + 1 < out_size)
                        out[n++] = '\'';
                if (n >= out_size)
                        n = out_size - 1;
                out[n] = '\0';
        }
        PQconninfoFree(opts);
}
