/* pg_sink.c - PostgreSQL sink: batches built as COPY text, committed in one
 * transaction together with the consumer offsets (the exactly-once boundary).
 *
 * Commit protocol (see pg_sink.h):
 *   BEGIN
 *   COPY events straight into swi.events            (fast path)
 *     on unique_violation: ROLLBACK, BEGIN, look the batch's keys up in
 *     swi.events, record the stored ones as duplicates and COPY the rest
 *     straight in; the next batch looks up first (stored duplicates come in
 *     runs: re-deliveries). Only when that COPY still meets a key (stored
 *     meanwhile by another instance): ROLLBACK, BEGIN, COPY into a temp staging
 *     table, INSERT ... ON CONFLICT DO NOTHING, rows not inserted -> duplicate_events
 *   COPY in-batch duplicates -> staging, INSERT into swi_ops.duplicate_events
 *   COPY dead letters -> staging, INSERT into swi_ops.dead_letters
 *   upsert swi_ops.kafka_offsets
 *   COMMIT
 * Duplicates within a batch are removed in memory (hash on (source, event_id);
 * the lowest offset of a partition wins), so the fast path only meets a
 * conflict when an event is already stored.
 *
 * Staging tables and prepared statements live per connection; they are
 * recreated after a reconnect.
 *
 * If COMMIT itself fails because the connection broke, the outcome is unknown
 * to us; that is safe because the offsets are in the same transaction: the
 * caller reloads them and re-consumes from there.
 *
 * Build with -DSWI_PG_SINK_NO_FASTPATH to always use the staged path (used to
 * benchmark the two against each other). */
#include "pg_sink.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pg_trajectory.h"
#include "../common/log.h"
#include "pg_store.h"

#define SUB "pg"

#define COPY_CHUNK                (64 * 1024)
#define TOPIC_MAX                 512
#define SQLSTATE_UNIQUE_VIOLATION "23505"

/* Worst-case COPY text expansion of one input byte inside a JSON string:
 * a control char becomes \u00XX (6) and COPY doubles the backslash (7). */
#define JSON_COPY_EXPANSION 7
#define PAYLOAD_MAX                                                                                \
        (2 + SWI_MAX_FIELDS * (JSON_COPY_EXPANSION * (SWI_FIELD_NAME_MAX + SWI_FIELD_STR_MAX) + 32))
#define EVENT_ROW_FIXED_MAX 640
#define DUP_ROW_FIXED_MAX   128
#define DL_ROW_FIXED_MAX    256

#ifndef SWI_PG_SINK_NO_FASTPATH
static const char SQL_COPY_EVENTS[] = "COPY swi.events (" PGIO_EVENT_COLS ") FROM STDIN";
#endif
static const char SQL_COPY_STAGE_EVENTS[] =
    "COPY pg_temp.swi_stage_events (" PGIO_EVENT_COLS ") FROM STDIN";
static const char SQL_COPY_STAGE_DUPS[] =
    "COPY pg_temp.swi_stage_dups (source, event_id, kafka_topic, kafka_partition, "
    "kafka_offset) FROM STDIN";
static const char SQL_COPY_STAGE_DL[] =
    "COPY pg_temp.swi_stage_dead_letters (reason, detail, source, event_type, schema_id, "
    "kafka_topic, kafka_partition, kafka_offset, kafka_timestamp) FROM STDIN";

static const char SQL_CREATE_STAGE[] =
    /* dates as the trajectory step writes them, for its comparisons */
    "SET datestyle = ISO;"
    "CREATE TEMP TABLE IF NOT EXISTS swi_stage_events (LIKE swi.events INCLUDING DEFAULTS) "
    "ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS swi_stage_dups (source text NOT NULL, "
    "event_id uuid NOT NULL, kafka_topic text NOT NULL, kafka_partition int NOT NULL, "
    "kafka_offset bigint NOT NULL) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS swi_stage_dead_letters (reason text, detail text, "
    "source text, event_type text, schema_id int, kafka_topic text, kafka_partition int, "
    "kafka_offset bigint, kafka_timestamp timestamptz) ON COMMIT DELETE ROWS";

typedef struct stmt_s {
        const char *name;
        const char *purpose;
        int nparams;
        const char *sql;
} stmt_t;

enum {
        ST_INS_EVENTS,
        ST_INS_DUPS,
        ST_INS_DL,
        ST_UPSERT_OFFSETS,
        ST_LOAD_OFFSET,
        ST_FIND_STORED,
        ST__CNT
};

/* Staged events: insert the new ones; every staged row that was not inserted
 * (its key is already stored) is an absorbed duplicate. Returns both counts. */
#define SQL_INS_EVENTS_TEXT(cols)                                                                  \
        "WITH ins AS (INSERT INTO swi.events (" cols ") SELECT " cols                              \
        " FROM pg_temp.swi_stage_events ON CONFLICT (source, event_id) DO NOTHING"                 \
        " RETURNING kafka_topic, kafka_partition, kafka_offset),"                                  \
        " dup AS (INSERT INTO swi_ops.duplicate_events (source, event_id, kafka_topic,"            \
        " kafka_partition, kafka_offset) SELECT st.source, st.event_id, st.kafka_topic,"           \
        " st.kafka_partition, st.kafka_offset FROM pg_temp.swi_stage_events st"                    \
        " WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.kafka_topic = st.kafka_topic"              \
        " AND ins.kafka_partition = st.kafka_partition AND ins.kafka_offset = st.kafka_offset)"    \
        " ON CONFLICT DO NOTHING RETURNING 1)"                                                     \
        " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM dup)"

static const stmt_t stmts[ST__CNT] = {
    [ST_INS_EVENTS] = {"swi_ins_events", "insert events", 0, SQL_INS_EVENTS_TEXT(PGIO_EVENT_COLS)},
    /* ON CONFLICT: a re-consumed range (offsets reset by an operator) must
     * not make the batch fail forever. */
    [ST_INS_DUPS] = {"swi_ins_dups", "insert duplicates", 0,
                     "INSERT INTO swi_ops.duplicate_events (source, event_id, kafka_topic,"
                     " kafka_partition, kafka_offset) SELECT source, event_id, kafka_topic,"
                     " kafka_partition, kafka_offset FROM pg_temp.swi_stage_dups"
                     " ON CONFLICT DO NOTHING"},
    [ST_INS_DL] = {"swi_ins_dl", "insert dead letters", 0,
                   "INSERT INTO swi_ops.dead_letters (reason, detail, source, event_type,"
                   " schema_id, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp)"
                   " SELECT reason, detail, source, event_type, schema_id, kafka_topic,"
                   " kafka_partition, kafka_offset, kafka_timestamp"
                   " FROM pg_temp.swi_stage_dead_letters"
                   " ON CONFLICT (kafka_topic, kafka_partition, kafka_offset) DO NOTHING"},
    [ST_UPSERT_OFFSETS] = {"swi_upsert_offsets", "upsert offsets", 4,
                           "INSERT INTO swi_ops.kafka_offsets (group_id, topic, partition,"
                           " next_offset) SELECT $1, t.topic, t.partition, t.next_offset"
                           " FROM unnest($2::text[], $3::int[], $4::bigint[])"
                           " AS t(topic, partition, next_offset)"
                           " ON CONFLICT (group_id, topic, partition) DO UPDATE"
                           " SET next_offset = EXCLUDED.next_offset, updated_at = now()"},
    [ST_LOAD_OFFSET] = {"swi_load_offset", "load offset", 3,
                        "SELECT next_offset FROM swi_ops.kafka_offsets"
                        " WHERE group_id = $1 AND topic = $2 AND partition = $3::int"},
    /* which of the batch's keys are stored already (one probe each) */
    [ST_FIND_STORED] = {"swi_find_stored", "look up stored events", 2,
                        "SELECT e.source, e.event_id FROM unnest($1::text[], $2::uuid[])"
                        " AS b(source, id) JOIN swi.events e"
                        " ON e.source = b.source AND e.event_id = b.id"},
};

/* One event row kept in the batch (in-batch duplicates never get one). */
typedef struct ev_row_s {
        size_t off; /* in s->ev */
        size_t len;
        int64_t offset;
        int32_t partition;
        uint32_t hash;
        uint16_t topic; /* index into s->topics */
        uint8_t src;
        uint8_t dropped; /* replaced by an earlier offset of the same key */
        uint8_t id[16];
} ev_row_t;

/* One dead letter of the batch, as added (pg_sink.h: a later copy of a
 * stored event is absorbed as a duplicate instead, when settled). */
typedef struct dl_row_s {
        size_t off, len; /* its COPY text in s->dl */
        int64_t offset;
        int32_t partition;
        uint16_t topic;
        uint8_t src;
        bool has_id;   /* it carries a valid event_id */
        bool after_ev; /* an event with that id was added to the batch before it */
        bool kept;     /* stays a dead letter (after settling) */
        uint8_t id[16];
} dl_row_t;

typedef struct topic_s {
        char *name;
        char *copy; /* COPY-text escaped */
        size_t copy_len;
} topic_t;

typedef struct offset_s {
        uint16_t topic;
        int32_t partition;
        int64_t next_offset;
} offset_t;

struct swi_pg_sink_s {
        PGconn *conn;
        char *conninfo;
        char *group_id;
        bool session_ready; /* staging tables and prepared statements exist */
        char errstr[1024];

        /* The batch. Buffers and arrays are reused across batches. */
        pgio_buf_t ev;  /* COPY text of swi.events rows */
        pgio_buf_t dup; /* COPY text of in-batch duplicates */
        pgio_buf_t dl;  /* COPY text of dead letters */
        ev_row_t *rows;
        size_t nrows, rows_cap, ndropped;
        uint32_t *slots; /* open addressing: row index + 1, 0 = empty */
        size_t slots_cap;
        int64_t n_inbatch_dups; /* added events absorbed in memory */
        int64_t ndl;
        dl_row_t *dlrows; /* per dead letter added, in order (ndl_added of them) */
        size_t ndl_added, dlrows_cap;
        bool dl_settled; /* swi_pg_sink_settle_dead_letters ran for this batch */
        offset_t *offs;
        size_t noffs, offs_cap;

        topic_t *topics; /* interned for the sink's lifetime */
        size_t ntopics, topics_cap;
        size_t last_topic;

        pgio_buf_t scratch; /* offset arrays */

        /* The last batch met events stored before it: look them up first in
         * the next one, so that they go to the duplicates and the rest
         * straight into swi.events (instead of a failed COPY and the
         * staged path for all). */
        bool precheck;

        /* Trajectory step (pg_trajectory.c): what the batch's events touch. */
        bool trajectories;
        swi_traj_touch_t *touches;
        size_t ntouches, touches_cap;
        swi_traj_stats_t traj_stats;
        bool defer_next;        /* the next commit defers its step (migration 020) */
        int64_t deferred_keys;  /* keys the last commit deferred */
        uint64_t drains;        /* swi_pg_sink_drain calls, for its starting points */
};

/* ---- errors -------------------------------------------------------------- */

static void set_err(swi_pg_sink_t *s, const char *purpose, const char *msg)
{
        size_t n;
        snprintf(s->errstr, sizeof(s->errstr), "%s: %s", purpose, msg);
        /* One line: libpq messages end in (and may contain) newlines. */
        n = strlen(s->errstr);
        while (n > 0 && (s->errstr[n - 1] == '\n' || s->errstr[n - 1] == ' '))
                s->errstr[--n] = '\0';
        for (size_t i = 0; i < n; i++)
                if (s->errstr[i] == '\n')
                        s->errstr[i] = ' ';
}

static void set_pg_err(swi_pg_sink_t *s, const char *purpose)
{
        set_err(s, purpose, s->conn ? PQerrorMessage(s->conn) : "no connection");
}

/* ---- connection and session ---------------------------------------------- */

static void drop_conn(swi_pg_sink_t *s)
{
        if (s->conn)
                PQfinish(s->conn);
        s->conn = NULL;
        s->session_ready = false;
}

static swi_err_t connect_db(swi_pg_sink_t *s)
{
        drop_conn(s);
        s->conn = pgio_connect(s->conninfo, "swi-stream", false);
        if (!s->conn) {
                set_err(s, "connect", "out of memory");
                return SWI_ERR_NOMEM;
        }
        if (PQstatus(s->conn) != CONNECTION_OK) {
                set_pg_err(s, "connect");
                drop_conn(s);
                return SWI_ERR_PG;
        }
        return SWI_OK;
}

/* A usable, idle connection: reconnects when the old one is broken or was
 * left inside a transaction by a failure. */
static swi_err_t ensure_conn(swi_pg_sink_t *s)
{
        if (s->conn && PQstatus(s->conn) == CONNECTION_OK &&
            PQtransactionStatus(s->conn) == PQTRANS_IDLE)
                return SWI_OK;
        if (s->conn) {
                /* the reason libpq last saw (e.g. "terminating connection due
                 * to administrator command"), on one line */
                bool bad = PQstatus(s->conn) != CONNECTION_OK;
                set_pg_err(s, bad ? "connection lost" : "connection left in a transaction");
                SWI_LOG_W(SUB, "reconnecting", "status=%s error=\"%s\"", bad ? "bad" : "not-idle",
                          s->errstr);
        }
        return connect_db(s);
}

/* Runs a statement without parameters; PGRES_COMMAND_OK or TUPLES_OK expected. */
static swi_err_t exec_simple(swi_pg_sink_t *s, const char *sql, const char *purpose)
{
        swi_err_t rc = SWI_OK;
        PGresult *res = PQexec(s->conn, sql);
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                set_pg_err(s, purpose);
                rc = SWI_ERR_PG;
        }
        PQclear(res);
        return rc;
}

static swi_err_t ensure_session(swi_pg_sink_t *s)
{
        swi_err_t rc = SWI_OK;
        PGresult *res = NULL;

        if (s->session_ready)
                return SWI_OK;
        rc = exec_simple(s, SQL_CREATE_STAGE, "create staging tables");
        if (rc != SWI_OK)
                goto done;
        for (int i = 0; i < ST__CNT; i++) {
                char purpose[64];
                res = PQprepare(s->conn, stmts[i].name, stmts[i].sql, stmts[i].nparams, NULL);
                if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                        snprintf(purpose, sizeof(purpose), "prepare %s", stmts[i].purpose);
                        set_pg_err(s, purpose);
                        rc = SWI_ERR_PG;
                        goto done;
                }
                PQclear(res);
                res = NULL;
        }
        s->session_ready = true;
done:
        PQclear(res);
        /* Prepared statements are not transactional: clear a half-built
         * session so the next attempt starts clean (or drop a dead conn). */
        if (rc != SWI_OK && s->conn) {
                bool usable = PQstatus(s->conn) == CONNECTION_OK &&
                              PQtransactionStatus(s->conn) == PQTRANS_IDLE;
                if (usable) {
                        char keep[sizeof(s->errstr)];
                        memcpy(keep, s->errstr, sizeof(keep));
                        usable = exec_simple(s, "DISCARD ALL", "reset session") == SWI_OK;
                        memcpy(s->errstr, keep, sizeof(keep));
                }
                if (!usable)
                        drop_conn(s);
        }
        return rc;
}

/* Connection + session, then the first statement of an operation. A stale
 * connection (server restarted, backend terminated) is only noticed when it is
 * used; since nothing has happened yet, reconnecting and retrying once is safe. */
static swi_err_t start_op(swi_pg_sink_t *s, const char *first_sql, const char *purpose)
{
        swi_err_t rc = SWI_OK;
        for (int attempt = 0; attempt < 2; attempt++) {
                rc = ensure_conn(s);
                if (rc != SWI_OK)
                        return rc;
                rc = ensure_session(s);
                if (rc == SWI_OK && first_sql)
                        rc = exec_simple(s, first_sql, purpose);
                if (rc == SWI_OK)
                        return SWI_OK;
                if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
                        return rc; /* a real error, not a dead connection */
                SWI_LOG_W(SUB, "connection lost, retrying once", "op=\"%s\" err=\"%s\"", purpose,
                          s->errstr);
                drop_conn(s);
        }
        return rc;
}

static void rollback_quietly(swi_pg_sink_t *s)
{
        PGresult *res;
        if (!s->conn || PQstatus(s->conn) != CONNECTION_OK)
                return;
        if (PQtransactionStatus(s->conn) == PQTRANS_IDLE)
                return;
        res = PQexec(s->conn, "ROLLBACK");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
                SWI_LOG_W(SUB, "rollback failed", "err=\"%.*s\"",
                          (int)strcspn(PQerrorMessage(s->conn), "\n"), PQerrorMessage(s->conn));
        PQclear(res);
        if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
                drop_conn(s);
}

/* COPY ... FROM STDIN of a buffer; with rows, only the rows not dropped are
 * sent. On failure *sqlstate (if given) gets the error's SQLSTATE. */
static swi_err_t copy_in(swi_pg_sink_t *s, const char *sql, const char *purpose,
                         const pgio_buf_t *b, const ev_row_t *rows, size_t nrows, char sqlstate[6])
{
        swi_err_t rc = SWI_OK;
        PGresult *res = NULL;
        const char *st;
        size_t i = 0;

        if (sqlstate)
                sqlstate[0] = '\0';
        res = PQexec(s->conn, sql);
        if (PQresultStatus(res) != PGRES_COPY_IN) {
                set_pg_err(s, purpose);
                rc = SWI_ERR_PG;
                goto done;
        }
        PQclear(res);
        res = NULL;

        while (rc == SWI_OK) {
                size_t from, to;
                if (rows) {
                        /* next run of consecutive kept rows */
                        while (i < nrows && rows[i].dropped)
                                i++;
                        if (i == nrows)
                                break;
                        from = rows[i].off;
                        to = rows[i].off + rows[i].len;
                        for (i++; i < nrows && !rows[i].dropped; i++)
                                to = rows[i].off + rows[i].len;
                } else {
                        if (i == 1)
                                break;
                        from = 0;
                        to = b->n;
                        i = 1;
                }
                while (from < to) {
                        size_t n = to - from > COPY_CHUNK ? COPY_CHUNK : to - from;
                        if (PQputCopyData(s->conn, b->p + from, (int)n) != 1) {
                                set_pg_err(s, purpose);
                                rc = SWI_ERR_PG;
                                break;
                        }
                        from += n;
                }
        }
        if (PQputCopyEnd(s->conn, rc == SWI_OK ? NULL : "sink failed to send") != 1 &&
            rc == SWI_OK) {
                set_pg_err(s, purpose);
                rc = SWI_ERR_PG;
        }
        res = PQgetResult(s->conn);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                if (rc == SWI_OK)
                        set_pg_err(s, purpose);
                rc = SWI_ERR_PG;
                st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
                if (sqlstate && st)
                        snprintf(sqlstate, 6, "%s", st);
        }
done:
        PQclear(res);
        /* drain: a COPY ends with one result, then NULL */
        if (s->conn) {
                res = PQgetResult(s->conn);
                while (res) {
                        PQclear(res);
                        res = PQgetResult(s->conn);
                }
        }
        return rc;
}

/* Runs a prepared statement; *tuples gets PQcmdTuples. */
static swi_err_t exec_prepared(swi_pg_sink_t *s, int stmt, const char *const *params,
                               PGresult **out, int64_t *tuples)
{
        swi_err_t rc = SWI_OK;
        PGresult *res;
        ExecStatusType st;

        res = PQexecPrepared(s->conn, stmts[stmt].name, stmts[stmt].nparams, params, NULL, NULL, 0);
        st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                set_pg_err(s, stmts[stmt].purpose);
                rc = SWI_ERR_PG;
                PQclear(res);
                return rc;
        }
        if (tuples) {
                const char *t = PQcmdTuples(res);
                *tuples = *t ? strtoll(t, NULL, 10) : 0;
        }
        if (out)
                *out = res;
        else
                PQclear(res);
        return rc;
}

/* ---- lifecycle ----------------------------------------------------------- */

swi_pg_sink_t *swi_pg_sink_new(const char *conninfo, const char *group_id, char *errstr,
                               size_t errstr_size)
{
        swi_pg_sink_t *s = NULL;

        if (!conninfo || !group_id || !*group_id) {
                snprintf(errstr, errstr_size, "pg sink: conninfo and group_id are required");
                return NULL;
        }
        s = calloc(1, sizeof(*s));
        if (!s)
                goto nomem;
        s->conninfo = strdup(conninfo);
        s->group_id = strdup(group_id);
        if (!s->conninfo || !s->group_id)
                goto nomem;
        if (connect_db(s) != SWI_OK) {
                snprintf(errstr, errstr_size, "pg sink: %s", s->errstr);
                swi_pg_sink_destroy(s);
                return NULL;
        }
        return s;
nomem:
        snprintf(errstr, errstr_size, "pg sink: out of memory");
        swi_pg_sink_destroy(s);
        return NULL;
}

void swi_pg_sink_destroy(swi_pg_sink_t *s)
{
        if (!s)
                return;
        drop_conn(s);
        free(s->conninfo);
        free(s->group_id);
        pgio_buf_free(&s->ev);
        pgio_buf_free(&s->dup);
        pgio_buf_free(&s->dl);
        free(s->dlrows);
        pgio_buf_free(&s->scratch);
        free(s->touches);
        free(s->rows);
        free(s->slots);
        free(s->offs);
        for (size_t i = 0; i < s->ntopics; i++) {
                free(s->topics[i].name);
                free(s->topics[i].copy);
        }
        free(s->topics);
        free(s);
}

swi_err_t swi_pg_sink_ping(swi_pg_sink_t *s)
{
        swi_err_t rc = ensure_conn(s);
        if (rc != SWI_OK)
                return rc;
        return exec_simple(s, "SELECT 1", "health check");
}

/* Appends keyword=value to out, quoting value as libpq's parser reads it. */
static void conninfo_append(char *out, size_t out_size, size_t *n, const char *key, const char *val)
{
        bool quote = !*val || strpbrk(val, " \t\n'\\") != NULL;
        int w = snprintf(out + *n, out_size - *n, "%s%s=%s", *n ? " " : "", key, quote ? "'" : "");
        if (w > 0)
                *n = *n + (size_t)w < out_size ? *n + (size_t)w : out_size - 1;
        for (const char *p = val; *p && *n + 2 < out_size; p++) {
                if (quote && (*p == '\'' || *p == '\\'))
                        out[(*n)++] = '\\';
                out[(*n)++] = *p;
        }
        if (quote && *n + 1 < out_size)
                out[(*n)++] = '\'';
        out[*n] = '\0';
}

void swi_pg_conninfo_redact(const char *conninfo, char *out, size_t out_size, char *password,
                            size_t password_size)
{
        char *err = NULL;
        PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
        size_t n = 0;

        assert(out_size > 0 && password_size > 0);
        out[0] = '\0';
        password[0] = '\0';
        if (!opts) {
                /* Unparseable: show nothing of it (it may hold a password). */
                snprintf(out, out_size, "[redacted: not a valid conninfo]");
                PQfreemem(err);
                return;
        }
        for (PQconninfoOption *o = opts; o->keyword; o++) {
                bool secret;
                if (!o->val)
                        continue;
                secret =
                    strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0;
                if (strcmp(o->keyword, "password") == 0)
                        snprintf(password, password_size, "%s", o->val);
                conninfo_append(out, out_size, &n, o->keyword, secret ? "[redacted]" : o->val);
        }
        PQconninfoFree(opts);
}

const char *swi_pg_sink_errstr(const swi_pg_sink_t *s)
{
        return s->errstr;
}

/* ---- migrations ---------------------------------------------------------- */

swi_err_t swi_pg_sink_migrate(swi_pg_sink_t *s)
{
        int applied = 0;
        swi_err_t rc = ensure_conn(s);

        if (rc != SWI_OK)
                return rc;
        rc = pgio_migrate(s->conn, &applied, s->errstr, sizeof(s->errstr));
        if (rc != SWI_OK && PQstatus(s->conn) != CONNECTION_OK && applied == 0) {
                /* a stale connection, noticed by the first statement: retry once */
                rc = connect_db(s);
                if (rc == SWI_OK)
                        rc = pgio_migrate(s->conn, &applied, s->errstr, sizeof(s->errstr));
        }
        if (s->conn && PQstatus(s->conn) != CONNECTION_OK)
                drop_conn(s);
        /* Staging tables copy swi.events' shape: rebuild them after a change. */
        if (applied > 0 && s->session_ready && s->conn) {
                if (exec_simple(s, "DISCARD ALL", "migrations: reset session") != SWI_OK)
                        drop_conn(s);
                s->session_ready = false;
        }
        return rc;
}

/* ---- offsets ------------------------------------------------------------- */

swi_err_t swi_pg_sink_load_offset(swi_pg_sink_t *s, const char *topic, int32_t partition,
                                  int64_t *next_offset)
{
        swi_err_t rc = SWI_OK;
        PGresult *res = NULL;
        char pbuf[16];
        const char *params[3];

        assert(topic && next_offset);
        rc = start_op(s, NULL, "load offset");
        if (rc != SWI_OK)
                goto done;
        snprintf(pbuf, sizeof(pbuf), "%" PRId32, partition);
        params[0] = s->group_id;
        params[1] = topic;
        params[2] = pbuf;
        rc = exec_prepared(s, ST_LOAD_OFFSET, params, &res, NULL);
        if (rc != SWI_OK && (!s->conn || PQstatus(s->conn) != CONNECTION_OK)) {
                /* read-only: safe to retry once on a fresh connection */
                rc = start_op(s, NULL, "load offset");
                if (rc == SWI_OK)
                        rc = exec_prepared(s, ST_LOAD_OFFSET, params, &res, NULL);
        }
        if (rc != SWI_OK)
                goto done;
        *next_offset = PQntuples(res) == 0 ? -2 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
done:
        PQclear(res);
        return rc;
}

/* ---- batch building ------------------------------------------------------ */

void swi_pg_sink_batch_reset(swi_pg_sink_t *s)
{
        if (s->nrows > 0 && s->slots)
                memset(s->slots, 0, s->slots_cap * sizeof(*s->slots));
        s->ev.n = 0;
        s->dup.n = 0;
        s->dl.n = 0;
        s->nrows = 0;
        s->ndropped = 0;
        s->n_inbatch_dups = 0;
        s->ndl = 0;
        s->ndl_added = 0;
        s->dl_settled = false;
        s->noffs = 0;
        s->ntouches = 0;
}

int64_t swi_pg_sink_batch_count(const swi_pg_sink_t *s)
{
        /* a dropped row is also counted as an in-batch duplicate */
        return (int64_t)(s->nrows - s->ndropped) + s->n_inbatch_dups + s->ndl;
}

static swi_err_t topic_intern(swi_pg_sink_t *s, const char *topic, uint16_t *idx)
{
        size_t n;
        topic_t *t;
        char *e;

        if (s->last_topic < s->ntopics && strcmp(s->topics[s->last_topic].name, topic) == 0) {
                *idx = (uint16_t)s->last_topic;
                return SWI_OK;
        }
        for (size_t i = 0; i < s->ntopics; i++) {
                if (strcmp(s->topics[i].name, topic) == 0) {
                        s->last_topic = i;
                        *idx = (uint16_t)i;
                        return SWI_OK;
                }
        }
        n = strlen(topic);
        if (n == 0 || n > TOPIC_MAX || !pgio_utf8_valid(topic, n) || s->ntopics >= UINT16_MAX) {
                set_err(s, "add event", "invalid topic name");
                return SWI_ERR_INVALID_ARG;
        }
        if (s->ntopics == s->topics_cap) {
                size_t cap = s->topics_cap ? s->topics_cap * 2 : 8;
                t = realloc(s->topics, cap * sizeof(*t));
                if (!t)
                        return SWI_ERR_NOMEM;
                s->topics = t;
                s->topics_cap = cap;
        }
        t = &s->topics[s->ntopics];
        t->name = strdup(topic);
        t->copy = malloc(3 * n + 1);
        if (!t->name || !t->copy) {
                free(t->name);
                free(t->copy);
                return SWI_ERR_NOMEM;
        }
        e = pgio_put_copy_text(t->copy, topic, n);
        t->copy_len = (size_t)(e - t->copy);
        s->last_topic = s->ntopics;
        *idx = (uint16_t)s->ntopics++;
        return SWI_OK;
}

static uint32_t key_hash(uint8_t src, const uint8_t id[16])
{
        uint32_t h = 2166136261u;
        h = (h ^ src) * 16777619u;
        for (int i = 0; i < 16; i++)
                h = (h ^ id[i]) * 16777619u;
        return h;
}

/* Slot holding the row with this key, or the empty slot where it would go. */
static uint32_t *slot_find(swi_pg_sink_t *s, uint32_t hash, uint8_t src, const uint8_t id[16])
{
        size_t mask = s->slots_cap - 1;
        size_t i = hash & mask;
        for (;;) {
                uint32_t v = s->slots[i];
                if (v == 0)
                        return &s->slots[i];
                const ev_row_t *r = &s->rows[v - 1];
                if (r->hash == hash && r->src == src && memcmp(r->id, id, 16) == 0)
                        return &s->slots[i];
                i = (i + 1) & mask;
        }
}

static swi_err_t slots_grow(swi_pg_sink_t *s)
{
        size_t cap = s->slots_cap ? s->slots_cap * 2 : 4096;
        uint32_t *slots = calloc(cap, sizeof(*slots));
        if (!slots)
                return SWI_ERR_NOMEM;
        free(s->slots);
        s->slots = slots;
        s->slots_cap = cap;
        for (size_t i = 0; i < s->nrows; i++) {
                if (s->rows[i].dropped)
                        continue;
                *slot_find(s, s->rows[i].hash, s->rows[i].src, s->rows[i].id) = (uint32_t)i + 1;
        }
        return SWI_OK;
}

/* One row of pg_temp.swi_stage_dups. */
static swi_err_t put_dup_row(swi_pg_sink_t *s, uint8_t src, const uint8_t id[16], uint16_t topic,
                             int32_t partition, int64_t offset)
{
        const topic_t *t = &s->topics[topic];
        char *o;
        swi_err_t rc = pgio_buf_reserve(&s->dup, DUP_ROW_FIXED_MAX + t->copy_len);
        if (rc != SWI_OK)
                return rc;
        o = s->dup.p + s->dup.n;
        o = pgio_put_str(o, swi_source_name((swi_source_t)src));
        *o++ = '\t';
        o = pgio_put_uuid(o, id);
        *o++ = '\t';
        memcpy(o, t->copy, t->copy_len);
        o += t->copy_len;
        *o++ = '\t';
        o = pgio_put_i64(o, partition);
        *o++ = '\t';
        o = pgio_put_i64(o, offset);
        *o++ = '\n';
        s->dup.n = (size_t)(o - s->dup.p);
        assert(s->dup.n <= s->dup.cap);
        return SWI_OK;
}

static swi_err_t check_event(swi_pg_sink_t *s, const swi_event_t *ev, uint8_t id[16],
                             uint8_t corrects[16], uint8_t retracts[16])
{
        const char *why = NULL;

        if ((unsigned)ev->source >= SWI_SRC__CNT || (unsigned)ev->type >= SWI_EV__CNT)
                why = "unknown source or event type";
        else if (pgio_uuid_parse(ev->event_id, id) != 0)
                why = "event_id is not a UUID";
        else if (ev->has_corrects && pgio_uuid_parse(ev->corrects, corrects) != 0)
                why = "corrects is not a UUID";
        else if (ev->has_retracts && pgio_uuid_parse(ev->retracts, retracts) != 0)
                why = "retracts is not a UUID";
        else if (ev->event_date < PGIO_DAYS_MIN || ev->event_date > PGIO_DAYS_MAX)
                why = "event_date outside years 1-9999";
        else if (!pgio_ts_in_range(ev->registered_at))
                why = "registered_at outside years 1-9999";
        else if (ev->nfields < 0 || ev->nfields > SWI_MAX_FIELDS)
                why = "too many payload fields";
        for (int i = 0; !why && i < ev->nfields; i++) {
                const swi_field_t *f = &ev->fields[i];
                size_t nl = strnlen(f->name, SWI_FIELD_NAME_MAX);
                size_t sl = strnlen(f->s, SWI_FIELD_STR_MAX);
                if (nl == 0 || nl == SWI_FIELD_NAME_MAX || !pgio_utf8_valid(f->name, nl))
                        why = "payload field name is not a valid string";
                else if (f->kind == SWI_V_STRING &&
                         (sl == SWI_FIELD_STR_MAX || !pgio_utf8_valid(f->s, sl)))
                        why = "payload string is not valid UTF-8";
                else if (f->kind == SWI_V_DATE && (f->i < PGIO_DAYS_MIN || f->i > PGIO_DAYS_MAX))
                        why = "payload date outside years 1-9999";
                else if (f->kind > SWI_V_DATE)
                        why = "payload field of unknown kind";
        }
        if (why) {
                set_err(s, "add event", why);
                return SWI_ERR_INVALID_ARG;
        }
        return SWI_OK;
}

static char *put_payload(char *o, const swi_event_t *ev)
{
        bool first = true;
        *o++ = '{';
        for (int i = 0; i < ev->nfields; i++) {
                const swi_field_t *f = &ev->fields[i];
                if (f->kind == SWI_V_NULL)
                        continue; /* absent optional field: omitted */
                if (!first)
                        *o++ = ',';
                first = false;
                o = pgio_put_json_str(o, f->name, strlen(f->name));
                *o++ = ':';
                switch (f->kind) {
                case SWI_V_STRING:
                        o = pgio_put_json_str(o, f->s, strlen(f->s));
                        break;
                case SWI_V_INT:
                        o = pgio_put_i64(o, f->i);
                        break;
                case SWI_V_BOOL:
                        o = pgio_put_str(o, f->i ? "true" : "false");
                        break;
                case SWI_V_DATE:
                        *o++ = '"';
                        o = pgio_put_date(o, (int32_t)f->i);
                        *o++ = '"';
                        break;
                case SWI_V_NULL:
                        break;
                }
        }
        *o++ = '}';
        return o;
}

swi_err_t swi_pg_sink_add_event(swi_pg_sink_t *s, const swi_event_t *ev, const char *topic,
                                int32_t partition, int64_t offset)
{
        swi_err_t rc;
        uint8_t id[16], corrects[16], retracts[16];
        uint16_t tix;
        uint32_t hash, *slot;
        ev_row_t *row;
        const topic_t *t;
        char *o;

        assert(ev && topic);
        rc = check_event(s, ev, id, corrects, retracts);
        if (rc != SWI_OK)
                return rc;
        rc = topic_intern(s, topic, &tix);
        if (rc != SWI_OK)
                return rc;
        t = &s->topics[tix];

        if ((s->nrows + 1) * 2 > s->slots_cap) {
                rc = slots_grow(s);
                if (rc != SWI_OK)
                        return rc;
        }
        /* Allocate first, so that a failure leaves the batch unchanged. */
        if (s->nrows == s->rows_cap) {
                size_t cap = s->rows_cap ? s->rows_cap * 2 : 4096;
                ev_row_t *rows = realloc(s->rows, cap * sizeof(*rows));
                if (!rows)
                        return SWI_ERR_NOMEM;
                s->rows = rows;
                s->rows_cap = cap;
        }
        rc = pgio_buf_reserve(&s->ev, EVENT_ROW_FIXED_MAX + PAYLOAD_MAX + t->copy_len);
        if (rc != SWI_OK)
                return rc;

        hash = key_hash((uint8_t)ev->source, id);
        slot = slot_find(s, hash, (uint8_t)ev->source, id);
        if (*slot != 0) {
                /* Seen in this batch: the lowest offset wins. Within a
                 * partition messages arrive in offset order, so normally the
                 * new one is the duplicate. */
                ev_row_t *old = &s->rows[*slot - 1];
                bool new_wins =
                    old->topic == tix && old->partition == partition && offset < old->offset;
                if (!new_wins) {
                        rc = put_dup_row(s, (uint8_t)ev->source, id, tix, partition, offset);
                        if (rc == SWI_OK)
                                s->n_inbatch_dups++;
                        return rc;
                }
                rc = put_dup_row(s, old->src, old->id, old->topic, old->partition, old->offset);
                if (rc != SWI_OK)
                        return rc;
                old->dropped = 1;
                s->ndropped++;
                s->n_inbatch_dups++;
                /* the slot now goes to the new row (below) */
        }

        row = &s->rows[s->nrows];
        row->off = s->ev.n;
        row->offset = offset;
        row->partition = partition;
        row->hash = hash;
        row->topic = tix;
        row->src = (uint8_t)ev->source;
        row->dropped = 0;
        memcpy(row->id, id, 16);

        o = s->ev.p + s->ev.n;
        o = pgio_put_str(o, swi_source_name(ev->source));
        *o++ = '\t';
        o = pgio_put_uuid(o, id);
        *o++ = '\t';
        o = pgio_put_str(o, swi_evtype_name(ev->type));
        *o++ = '\t';
        o = ev->has_bsn_ps ? pgio_put_bytea(o, ev->bsn_ps, SWI_PSEUDO_LEN) : pgio_put_str(o, "\\N");
        *o++ = '\t';
        o = ev->has_vnr_ps ? pgio_put_bytea(o, ev->vnr_ps, SWI_PSEUDO_LEN) : pgio_put_str(o, "\\N");
        *o++ = '\t';
        o = pgio_put_date(o, ev->event_date);
        *o++ = '\t';
        o = pgio_put_ts(o, ev->registered_at);
        *o++ = '\t';
        o = ev->has_corrects ? pgio_put_uuid(o, corrects) : pgio_put_str(o, "\\N");
        *o++ = '\t';
        o = ev->has_retracts ? pgio_put_uuid(o, retracts) : pgio_put_str(o, "\\N");
        *o++ = '\t';
        o = put_payload(o, ev);
        *o++ = '\t';
        o = pgio_put_i64(o, ev->schema_id);
        *o++ = '\t';
        memcpy(o, t->copy, t->copy_len);
        o += t->copy_len;
        *o++ = '\t';
        o = pgio_put_i64(o, partition);
        *o++ = '\t';
        o = pgio_put_i64(o, offset);
        *o++ = '\n';
        row->len = (size_t)(o - s->ev.p) - row->off;
        s->ev.n = (size_t)(o - s->ev.p);
        assert(s->ev.n <= s->ev.cap);

        /* the slot found above is still valid: the table was not touched */
        *slot = (uint32_t)s->nrows + 1;
        s->nrows++;

        if (s->trajectories) {
                if (s->ntouches == s->touches_cap) {
                        size_t cap = s->touches_cap ? s->touches_cap * 2 : 1024;
                        swi_traj_touch_t *tv = realloc(s->touches, cap * sizeof(*tv));
                        if (!tv)
                                return SWI_ERR_NOMEM;
                        s->touches = tv;
                        s->touches_cap = cap;
                }
                swi_traj_touch_t *tt = &s->touches[s->ntouches++];
                tt->key_only = false;
                tt->has_bsn = ev->has_bsn_ps;
                tt->has_vnr = ev->has_vnr_ps;
                tt->source = (uint8_t)ev->source;
                memcpy(tt->id, id, 16);
                /* the rules' choice of target (transform/identity.h) */
                tt->has_ref =
                    swi_evtype_is_intrekking(ev->type) ? ev->has_retracts : ev->has_corrects;
                if (tt->has_ref)
                        memcpy(tt->ref, swi_evtype_is_intrekking(ev->type) ? retracts : corrects,
                               16);
                memcpy(tt->bsn_ps, ev->bsn_ps, SWI_PSEUDO_LEN);
                memcpy(tt->vnr_ps, ev->vnr_ps, SWI_PSEUDO_LEN);
                tt->registered_at = ev->registered_at;
        }
        return SWI_OK;
}

void swi_pg_sink_set_trajectories(swi_pg_sink_t *s, bool enable)
{
        s->trajectories = enable;
}

void swi_pg_sink_defer_next(swi_pg_sink_t *s, bool defer)
{
        s->defer_next = defer;
}

int64_t swi_pg_sink_deferred_keys(const swi_pg_sink_t *s)
{
        return s->deferred_keys;
}

swi_err_t swi_pg_sink_drain(swi_pg_sink_t *s, size_t max_keys, swi_drain_stats_t *st)
{
        swi_traj_touch_t *seeds = NULL;
        size_t nseeds = 0;
        uint8_t start[SWI_PSEUDO_LEN];
        char err[900];
        swi_err_t rc;

        memset(st, 0, sizeof(*st));
        /* a random point of the key space: instances draining at once mostly
         * take different clusters (taking the same is only duplicate work) */
        uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL ^
                     (uint64_t)(pgio_now_s() * 1e6) ^ (uint64_t)++s->drains << 40;
        for (size_t i = 0; i < sizeof(start); i++) {
                x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL; /* splitmix64 steps */
                x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
                start[i] = (uint8_t)(x >> 56);
        }
        rc = start_op(s, "BEGIN", "BEGIN");
        if (rc != SWI_OK)
                return rc;
        rc = pgs_pending_seeds(s->conn, max_keys ? max_keys : 1, start, &seeds, &nseeds, err,
                               sizeof(err));
        if (rc == SWI_OK && nseeds > 0) {
                swi_traj_stats_t ts;
                rc = swi_pg_traj_update(s->conn, seeds, nseeds, &ts, err, sizeof(err));
                st->clusters = ts.clusters;
                st->events_loaded = ts.events_loaded;
                st->versions_written = ts.versions_written;
                st->keys = ts.claimed;
        }
        free(seeds);
        if (rc != SWI_OK) {
                set_err(s, "working off deferred trajectories", err);
                rollback_quietly(s);
                memset(st, 0, sizeof(*st));
                return rc;
        }
        rc = exec_simple(s, "COMMIT", "COMMIT");
        if (rc != SWI_OK) {
                rollback_quietly(s);
                memset(st, 0, sizeof(*st));
                return rc;
        }
        st->seeds = (int64_t)nseeds;
        return SWI_OK;
}

swi_err_t swi_pg_sink_pending_keys(swi_pg_sink_t *s, int64_t *keys)
{
        swi_err_t rc = start_op(s, NULL, "count deferred trajectory work");
        if (rc != SWI_OK)
                return rc;
        PGresult *res = PQexec(s->conn, "SELECT count(*) FROM swi_ops.trajectory_pending");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                set_pg_err(s, "count deferred trajectory work");
                PQclear(res);
                return SWI_ERR_PG;
        }
        *keys = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        return SWI_OK;
}

void swi_pg_sink_trajectory_stats(const swi_pg_sink_t *s, int64_t *clusters, int64_t *events_loaded,
                                  int64_t *versions)
{
        *clusters = s->traj_stats.clusters;
        *events_loaded = s->traj_stats.events_loaded;
        *versions = s->traj_stats.versions_written;
}

swi_err_t swi_pg_sink_add_dead_letter(swi_pg_sink_t *s, const swi_dead_letter_t *dl)
{
        swi_err_t rc;
        const char *detail;
        size_t dlen, tlen;
        uint16_t tix;
        dl_row_t *row;
        char *o;

        assert(dl);
        if ((unsigned)dl->source >= SWI_SRC__CNT || !dl->topic) {
                set_err(s, "add dead letter", "unknown source or no topic");
                return SWI_ERR_INVALID_ARG;
        }
        detail = dl->detail ? dl->detail : "";
        dlen = strlen(detail);
        tlen = strlen(dl->topic);
        rc = topic_intern(s, dl->topic, &tix);
        if (rc != SWI_OK)
                return rc;
        rc = pgio_buf_reserve(&s->dl, DL_ROW_FIXED_MAX + 3 * dlen + 3 * tlen);
        if (rc != SWI_OK)
                return rc;
        if (s->ndl_added == s->dlrows_cap) {
                size_t cap = s->dlrows_cap ? s->dlrows_cap * 2 : 64;
                dl_row_t *v = realloc(s->dlrows, cap * sizeof(*v));
                if (!v)
                        return SWI_ERR_NOMEM;
                s->dlrows = v;
                s->dlrows_cap = cap;
        }
        row = &s->dlrows[s->ndl_added];
        memset(row, 0, sizeof(*row));
        row->off = s->dl.n;
        row->offset = dl->offset;
        row->partition = dl->partition;
        row->topic = tix;
        row->src = (uint8_t)dl->source;
        row->kept = true;
        row->has_id = dl->event_id && pgio_uuid_parse(dl->event_id, row->id) == 0;
        if (row->has_id && s->nrows > 0)
                row->after_ev = *slot_find(s, key_hash(row->src, row->id), row->src, row->id) != 0;
        o = s->dl.p + s->dl.n;
        /* The reason is not checked here: the table's CHECK is the authority. */
        o = pgio_put_copy_text(o, swi_reason2str(dl->reason), strlen(swi_reason2str(dl->reason)));
        *o++ = '\t';
        o = pgio_put_copy_text(o, detail, dlen);
        *o++ = '\t';
        o = pgio_put_str(o, swi_source_name(dl->source));
        *o++ = '\t';
        o = (unsigned)dl->type < SWI_EV__CNT ? pgio_put_str(o, swi_evtype_name(dl->type))
                                             : pgio_put_str(o, "\\N");
        *o++ = '\t';
        o = dl->schema_id >= 0 ? pgio_put_i64(o, dl->schema_id) : pgio_put_str(o, "\\N");
        *o++ = '\t';
        o = pgio_put_copy_text(o, dl->topic, tlen);
        *o++ = '\t';
        o = pgio_put_i64(o, dl->partition);
        *o++ = '\t';
        o = pgio_put_i64(o, dl->offset);
        *o++ = '\t';
        o = dl->kafka_timestamp_ms >= 0 && pgio_ts_in_range(dl->kafka_timestamp_ms)
                ? pgio_put_ts(o, dl->kafka_timestamp_ms)
                : pgio_put_str(o, "\\N");
        *o++ = '\n';
        s->dl.n = (size_t)(o - s->dl.p);
        assert(s->dl.n <= s->dl.cap);
        row->len = s->dl.n - row->off;
        s->ndl++;
        s->ndl_added++;
        s->dl_settled = false;
        return SWI_OK;
}

/* Which of the ids (COPY-free text "source:uuid,...") are stored events:
 * marks those dead letters not kept. */
static swi_err_t dl_lookup_stored(swi_pg_sink_t *s, const char *ids)
{
        static const char sql[] =
            "SELECT e.source, e.event_id FROM swi.events e JOIN (SELECT split_part(x, ':', 1) "
            "AS source, split_part(x, ':', 2)::uuid AS id FROM unnest(string_to_array($1, "
            "',')) x) d ON e.source = d.source AND e.event_id = d.id";
        const char *params[1] = {ids};
        PGresult *res;
        swi_err_t rc = start_op(s, NULL, "look up dead letters' event ids");

        if (rc != SWI_OK)
                return rc;
        res = PQexecParams(s->conn, sql, 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                set_pg_err(s, "look up dead letters' event ids");
                PQclear(res);
                return SWI_ERR_PG;
        }
        for (int r = 0; r < PQntuples(res); r++) {
                swi_source_t src = swi_source_from_name(PQgetvalue(res, r, 0));
                uint8_t id[16];
                if (src == SWI_SRC__CNT || pgio_uuid_parse(PQgetvalue(res, r, 1), id) != 0)
                        continue;
                for (size_t i = 0; i < s->ndl_added; i++) {
                        dl_row_t *d = &s->dlrows[i];
                        if (d->has_id && d->src == (uint8_t)src && memcmp(d->id, id, 16) == 0)
                                d->kept = false;
                }
        }
        PQclear(res);
        return SWI_OK;
}

swi_err_t swi_pg_sink_settle_dead_letters(swi_pg_sink_t *s)
{
        pgio_buf_t ids = {0}, kept = {0};
        swi_err_t rc = SWI_OK;
        size_t nlook = 0;

        if (s->dl_settled)
                return SWI_OK;
        for (size_t i = 0; i < s->ndl_added; i++) {
                dl_row_t *d = &s->dlrows[i];
                if (!d->has_id || !d->kept)
                        continue;
                if (d->after_ev) {
                        d->kept = false;
                        continue;
                }
                rc = pgio_buf_reserve(&ids, 64);
                if (rc != SWI_OK)
                        goto done;
                char *o = ids.p + ids.n;
                if (nlook++)
                        *o++ = ',';
                o = pgio_put_str(o, swi_source_name((swi_source_t)d->src));
                *o++ = ':';
                o = pgio_put_uuid(o, d->id);
                *o = '\0';
                ids.n = (size_t)(o - ids.p);
        }
        if (nlook > 0) {
                rc = dl_lookup_stored(s, ids.p);
                if (rc != SWI_OK && (!s->conn || PQstatus(s->conn) != CONNECTION_OK))
                        rc = dl_lookup_stored(s, ids.p); /* read-only: once more, reconnected */
                if (rc != SWI_OK)
                        goto done;
        }
        size_t absorbed = 0;
        for (size_t i = 0; i < s->ndl_added; i++)
                absorbed += !s->dlrows[i].kept && s->dlrows[i].len > 0;
        if (absorbed == 0) {
                s->dl_settled = true;
                goto done;
        }
        /* the absorbed ones become duplicates; the dead letters' text keeps
         * the rest, in order */
        for (size_t i = 0; i < s->ndl_added; i++) {
                dl_row_t *d = &s->dlrows[i];
                if (d->kept) {
                        rc = pgio_buf_reserve(&kept, d->len);
                        if (rc != SWI_OK)
                                goto done;
                        memcpy(kept.p + kept.n, s->dl.p + d->off, d->len);
                        d->off = kept.n;
                        kept.n += d->len;
                        continue;
                }
                if (d->len == 0)
                        continue; /* absorbed by an earlier settle */
                rc = put_dup_row(s, d->src, d->id, d->topic, d->partition, d->offset);
                if (rc != SWI_OK)
                        goto done;
                d->len = 0;
                s->n_inbatch_dups++;
                s->ndl--;
        }
        pgio_buf_free(&s->dl);
        s->dl = kept;
        kept.p = NULL;
        s->dl_settled = true;
done:
        pgio_buf_free(&ids);
        pgio_buf_free(&kept);
        return rc;
}

bool swi_pg_sink_dead_letter_kept(const swi_pg_sink_t *s, size_t i)
{
        return i < s->ndl_added && s->dlrows[i].kept;
}

swi_err_t swi_pg_sink_add_offset(swi_pg_sink_t *s, const char *topic, int32_t partition,
                                 int64_t next_offset)
{
        swi_err_t rc;
        uint16_t tix;

        assert(topic);
        if (partition < 0 || next_offset < 0) {
                set_err(s, "add offset", "negative partition or offset");
                return SWI_ERR_INVALID_ARG;
        }
        rc = topic_intern(s, topic, &tix);
        if (rc != SWI_OK)
                return rc;
        for (size_t i = 0; i < s->noffs; i++) {
                if (s->offs[i].topic == tix && s->offs[i].partition == partition) {
                        s->offs[i].next_offset = next_offset;
                        return SWI_OK;
                }
        }
        if (s->noffs == s->offs_cap) {
                size_t cap = s->offs_cap ? s->offs_cap * 2 : 16;
                offset_t *offs = realloc(s->offs, cap * sizeof(*offs));
                if (!offs)
                        return SWI_ERR_NOMEM;
                s->offs = offs;
                s->offs_cap = cap;
        }
        s->offs[s->noffs].topic = tix;
        s->offs[s->noffs].partition = partition;
        s->offs[s->noffs].next_offset = next_offset;
        s->noffs++;
        return SWI_OK;
}

/* ---- commit -------------------------------------------------------------- */

/* Array literals for the offset upsert: {"t1","t2"} {0,1} {10,20}, in scratch. */
static swi_err_t offsets_params(swi_pg_sink_t *s, const char *params[4])
{
        size_t need = 64;
        size_t at_topics, at_parts, at_offs;
        char *o;
        swi_err_t rc;

        for (size_t i = 0; i < s->noffs; i++)
                need += 2 * strlen(s->topics[s->offs[i].topic].name) + 48;
        s->scratch.n = 0;
        rc = pgio_buf_reserve(&s->scratch, need);
        if (rc != SWI_OK)
                return rc;
        o = s->scratch.p;
        at_topics = 0;
        *o++ = '{';
        for (size_t i = 0; i < s->noffs; i++) {
                const char *n = s->topics[s->offs[i].topic].name;
                if (i)
                        *o++ = ',';
                *o++ = '"';
                for (; *n; n++) {
                        if (*n == '"' || *n == '\\')
                                *o++ = '\\';
                        *o++ = *n;
                }
                *o++ = '"';
        }
        *o++ = '}';
        *o++ = '\0';
        at_parts = (size_t)(o - s->scratch.p);
        *o++ = '{';
        for (size_t i = 0; i < s->noffs; i++) {
                if (i)
                        *o++ = ',';
                o = pgio_put_i64(o, s->offs[i].partition);
        }
        *o++ = '}';
        *o++ = '\0';
        at_offs = (size_t)(o - s->scratch.p);
        *o++ = '{';
        for (size_t i = 0; i < s->noffs; i++) {
                if (i)
                        *o++ = ',';
                o = pgio_put_i64(o, s->offs[i].next_offset);
        }
        *o++ = '}';
        *o++ = '\0';
        s->scratch.n = (size_t)(o - s->scratch.p);
        assert(s->scratch.n <= s->scratch.cap);
        params[0] = s->group_id;
        params[1] = s->scratch.p + at_topics;
        params[2] = s->scratch.p + at_parts;
        params[3] = s->scratch.p + at_offs;
        return SWI_OK;
}

#ifndef SWI_PG_SINK_NO_FASTPATH
/* Marks the batch's rows whose key is stored already as absorbed duplicates
 * (recorded with the batch's other duplicates, left out of the COPY). Inside
 * the batch's transaction. *found gets how many. */
static swi_err_t find_stored(swi_pg_sink_t *s, size_t *found)
{
        PGresult *res = NULL;
        const char *params[2];
        size_t need = 16;
        swi_err_t rc;
        char *o;

        *found = 0;
        for (size_t i = 0; i < s->nrows; i++)
                need += 2 * (SWI_UUID_LEN + 12);
        s->scratch.n = 0;
        rc = pgio_buf_reserve(&s->scratch, need);
        if (rc != SWI_OK) {
                set_err(s, "look up stored events", "out of memory");
                return rc;
        }
        o = s->scratch.p;
        params[0] = o;
        *o++ = '{';
        for (size_t i = 0, k = 0; i < s->nrows; i++) {
                if (s->rows[i].dropped)
                        continue;
                if (k++)
                        *o++ = ',';
                o = pgio_put_str(o, swi_source_name((swi_source_t)s->rows[i].src));
        }
        *o++ = '}';
        *o++ = '\0';
        params[1] = o;
        *o++ = '{';
        for (size_t i = 0, k = 0; i < s->nrows; i++) {
                if (s->rows[i].dropped)
                        continue;
                if (k++)
                        *o++ = ',';
                o = pgio_put_uuid(o, s->rows[i].id);
        }
        *o++ = '}';
        *o++ = '\0';
        s->scratch.n = (size_t)(o - s->scratch.p);
        rc = exec_prepared(s, ST_FIND_STORED, params, &res, NULL);
        if (rc != SWI_OK)
                return rc;
        for (int r = 0; r < PQntuples(res); r++) {
                swi_source_t src = swi_source_from_name(PQgetvalue(res, r, 0));
                uint8_t id[16];
                if (src == SWI_SRC__CNT || pgio_uuid_parse(PQgetvalue(res, r, 1), id) != 0)
                        continue;
                uint32_t slot = *slot_find(s, key_hash((uint8_t)src, id), (uint8_t)src, id);
                if (slot == 0 || s->rows[slot - 1].dropped)
                        continue;
                ev_row_t *row = &s->rows[slot - 1];
                rc = put_dup_row(s, row->src, row->id, row->topic, row->partition, row->offset);
                if (rc != SWI_OK)
                        break;
                row->dropped = 1;
                s->ndropped++;
                s->n_inbatch_dups++;
                (*found)++;
        }
        PQclear(res);
        return rc;
}
#endif

/* Events through the staging table: handles keys that are already stored. */
static swi_err_t commit_events_staged(swi_pg_sink_t *s, swi_batch_stats_t *st)
{
        swi_err_t rc;
        PGresult *res = NULL;

        rc = copy_in(s, SQL_COPY_STAGE_EVENTS, "COPY events (staging)", &s->ev, s->rows, s->nrows,
                     NULL);
        if (rc != SWI_OK)
                return rc;
        rc = exec_prepared(s, ST_INS_EVENTS, NULL, &res, NULL);
        if (rc != SWI_OK)
                return rc;
        if (PQntuples(res) != 1 || PQnfields(res) != 2) {
                set_err(s, "insert events", "unexpected result shape");
                rc = SWI_ERR_PG;
        } else {
                st->events_inserted = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
                st->duplicates += strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        }
        PQclear(res);
        return rc;
}

swi_err_t swi_pg_sink_commit(swi_pg_sink_t *s, swi_batch_stats_t *stats)
{
        swi_err_t rc = SWI_OK;
        swi_batch_stats_t st = {0, 0, 0};
        size_t nkept = s->nrows - s->ndropped;

        s->deferred_keys = 0;
        const char *params[4];
        int64_t n;
        bool staged = false;

        rc = swi_pg_sink_settle_dead_letters(s);
        if (rc != SWI_OK)
                goto done;
        nkept = s->nrows - s->ndropped;
        if (nkept == 0 && s->n_inbatch_dups == 0 && s->ndl == 0 && s->noffs == 0)
                goto done;

        rc = start_op(s, "BEGIN", "BEGIN");
        if (rc != SWI_OK)
                goto done;

        if (nkept > 0) {
#ifdef SWI_PG_SINK_NO_FASTPATH
                staged = true;
#else
                char sqlstate[6] = "";
                size_t found = 0;
                bool checked = s->precheck;
                if (checked)
                        rc = find_stored(s, &found);
                if (rc == SWI_OK && s->nrows > s->ndropped)
                        rc = copy_in(s, SQL_COPY_EVENTS, "COPY events", &s->ev, s->rows, s->nrows,
                                     sqlstate);
                if (rc != SWI_OK && !checked && strcmp(sqlstate, SQLSTATE_UNIQUE_VIOLATION) == 0) {
                        /* Some key is already stored (re-delivery across
                         * batches), and the COPY was the transaction's first
                         * statement: start over, looking the keys up first. */
                        SWI_LOG_D(SUB, "stored duplicates in batch, looking them up", "rows=%zu",
                                  nkept);
                        rc = exec_simple(s, "ROLLBACK", "ROLLBACK");
                        if (rc == SWI_OK)
                                rc = exec_simple(s, "BEGIN", "BEGIN");
                        checked = true;
                        if (rc == SWI_OK)
                                rc = find_stored(s, &found);
                        if (rc == SWI_OK && s->nrows > s->ndropped)
                                rc = copy_in(s, SQL_COPY_EVENTS, "COPY events", &s->ev, s->rows,
                                             s->nrows, sqlstate);
                }
                if (rc != SWI_OK && strcmp(sqlstate, SQLSTATE_UNIQUE_VIOLATION) == 0) {
                        /* stored meanwhile by another instance: the staged
                         * path absorbs whatever is there now */
                        rc = exec_simple(s, "ROLLBACK", "ROLLBACK");
                        if (rc == SWI_OK)
                                rc = exec_simple(s, "BEGIN", "BEGIN");
                        staged = true;
                }
                if (rc != SWI_OK)
                        goto done;
                if (!staged)
                        st.events_inserted = (int64_t)(s->nrows - s->ndropped);
                s->precheck = found > 0;
#endif
                if (staged) {
                        rc = commit_events_staged(s, &st);
                        if (rc != SWI_OK)
                                goto done;
                }
        }
        if (s->n_inbatch_dups > 0) {
                rc = copy_in(s, SQL_COPY_STAGE_DUPS, "COPY duplicates", &s->dup, NULL, 0, NULL);
                if (rc == SWI_OK)
                        rc = exec_prepared(s, ST_INS_DUPS, NULL, NULL, &n);
                if (rc != SWI_OK)
                        goto done;
                st.duplicates += n;
        }
        if (s->ndl > 0) {
                rc = copy_in(s, SQL_COPY_STAGE_DL, "COPY dead letters", &s->dl, NULL, 0, NULL);
                if (rc == SWI_OK)
                        rc = exec_prepared(s, ST_INS_DL, NULL, NULL, &n);
                if (rc != SWI_OK)
                        goto done;
                st.dead_letters = n;
        }
        if (s->noffs > 0) {
                rc = offsets_params(s, params);
                if (rc != SWI_OK) {
                        set_err(s, "upsert offsets", "out of memory");
                        goto done;
                }
                rc = exec_prepared(s, ST_UPSERT_OFFSETS, params, NULL, NULL);
                if (rc != SWI_OK)
                        goto done;
        }
        if (s->trajectories && s->ntouches > 0) {
                char err[900];
                /* touch i is row i: inserted now unless absorbed (after the
                 * staged path: not known, so none is taken to be) */
                assert(s->ntouches == s->nrows);
                for (size_t i = 0; i < s->ntouches; i++)
                        s->touches[i].is_new = !staged && !s->rows[i].dropped;
                if (s->defer_next) {
                        memset(&s->traj_stats, 0, sizeof(s->traj_stats));
                        rc = pgs_insert_identity_edges(s->conn, s->touches, s->ntouches, err,
                                                       sizeof(err));
                        if (rc == SWI_OK)
                                rc = pgs_defer_touches(s->conn, s->touches, s->ntouches,
                                                       &s->deferred_keys, err, sizeof(err));
                } else {
                        rc = swi_pg_traj_update(s->conn, s->touches, s->ntouches,
                                                &s->traj_stats, err, sizeof(err));
                }
                if (rc != SWI_OK) {
                        set_err(s, s->defer_next ? "deferring the trajectory step"
                                                 : "trajectory step",
                                err);
                        goto done;
                }
        }
        rc = exec_simple(s, "COMMIT", "COMMIT");
        if (rc != SWI_OK)
                goto done;
        SWI_LOG_D(SUB, "batch committed",
                  "inserted=%" PRId64 " duplicates=%" PRId64 " dead_letters=%" PRId64
                  " offsets=%zu staged=%d",
                  st.events_inserted, st.duplicates, st.dead_letters, s->noffs, (int)staged);
        swi_pg_sink_batch_reset(s);
done:
        if (rc != SWI_OK) {
                rollback_quietly(s);
                memset(&st, 0, sizeof(st));
        }
        if (stats)
                *stats = st;
        return rc;
}

/* ---- the sink interface (sink.h) ------------------------------------------ */

static void *ops_open(const swi_sink_conf_t *conf, char *errstr, size_t errstr_size)
{
        swi_pg_sink_t *s = swi_pg_sink_new(conf->conninfo, conf->group_id, errstr, errstr_size);
        if (s)
                swi_pg_sink_set_trajectories(s, conf->trajectories);
        return s;
}

static swi_err_t ops_migrate(void *s)
{
        return swi_pg_sink_migrate(s);
}

static swi_err_t ops_ping(void *s)
{
        return swi_pg_sink_ping(s);
}

static const char *ops_errstr(const void *s)
{
        return swi_pg_sink_errstr(s);
}

static void ops_close(void *s)
{
        swi_pg_sink_destroy(s);
}

static swi_err_t ops_load_offset(void *s, const char *topic, int32_t partition,
                                 int64_t *next_offset)
{
        return swi_pg_sink_load_offset(s, topic, partition, next_offset);
}

static swi_err_t ops_add_offset(void *s, const char *topic, int32_t partition, int64_t next_offset)
{
        return swi_pg_sink_add_offset(s, topic, partition, next_offset);
}

static swi_err_t ops_add_event(void *s, const swi_event_t *ev, const char *topic, int32_t partition,
                               int64_t offset)
{
        return swi_pg_sink_add_event(s, ev, topic, partition, offset);
}

static swi_err_t ops_add_dead_letter(void *s, const swi_dead_letter_t *dl)
{
        return swi_pg_sink_add_dead_letter(s, dl);
}

static swi_err_t ops_settle_dead_letters(void *s)
{
        return swi_pg_sink_settle_dead_letters(s);
}

static bool ops_dead_letter_kept(const void *s, size_t i)
{
        return swi_pg_sink_dead_letter_kept(s, i);
}

static int64_t ops_batch_count(const void *s)
{
        return swi_pg_sink_batch_count(s);
}

static void ops_batch_reset(void *s)
{
        swi_pg_sink_batch_reset(s);
}

static swi_err_t ops_commit(void *s, swi_batch_stats_t *stats)
{
        return swi_pg_sink_commit(s, stats);
}

static void ops_defer_next(void *s, bool defer)
{
        swi_pg_sink_defer_next(s, defer);
}

static int64_t ops_deferred_keys(const void *s)
{
        return swi_pg_sink_deferred_keys(s);
}

static swi_err_t ops_drain(void *s, size_t max_keys, swi_drain_stats_t *st)
{
        return swi_pg_sink_drain(s, max_keys, st);
}

static swi_err_t ops_pending_keys(void *s, int64_t *keys)
{
        return swi_pg_sink_pending_keys(s, keys);
}

const swi_sink_ops_t swi_pg_sink_ops = {
    .name = "postgresql",
    .open = ops_open,
    .migrate = ops_migrate,
    .ping = ops_ping,
    .errstr = ops_errstr,
    .close = ops_close,
    .load_offset = ops_load_offset,
    .add_offset = ops_add_offset,
    .add_event = ops_add_event,
    .add_dead_letter = ops_add_dead_letter,
    .settle_dead_letters = ops_settle_dead_letters,
    .dead_letter_kept = ops_dead_letter_kept,
    .batch_count = ops_batch_count,
    .batch_reset = ops_batch_reset,
    .commit = ops_commit,
    .defer_next = ops_defer_next,
    .deferred_keys = ops_deferred_keys,
    .drain = ops_drain,
    .pending_keys = ops_pending_keys,
};
