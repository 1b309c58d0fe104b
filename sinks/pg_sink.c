/* pg_sink.c - PostgreSQL sink: batches built as COPY text, committed in one
 * transaction together with the consumer offsets (the exactly-once boundary).
 *
 * Commit protocol (see pg_sink.h):
 *   BEGIN
 *   COPY events straight into swi.events            (fast path)
 *     on unique_violation only: ROLLBACK, BEGIN, COPY into a temp staging table,
 *     INSERT ... ON CONFLICT DO NOTHING, rows not inserted -> duplicate_events
 *   COPY in-batch duplicates -> staging, INSERT into swi_ops.duplicate_events
 *   COPY dead letters -> staging, INSERT into swi_ops.dead_letters
 *   upsert swi_ops.kafka_offsets
 *   COMMIT
 * Duplicates within a batch are removed in memory (hash on (source, event_id);
 * the lowest offset of a partition wins), so the fast path only meets a
 * conflict when an event is already stored: rare, and then the staged path
 * does the same work a staged-only design would do on every batch.
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

#include <libpq-fe.h>

#include "../common/embedded.h"
#include "pg_trajectory.h"
#include "../common/log.h"
#include "pg_cluster.h"

#define SUB "pg"

/* Advisory lock key serialising migrations across instances ("SWIMIGR"). */
#define MIGRATION_LOCK_KEY "5917800390986322"

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

/* 0001-01-01 and 9999-12-31 as days since 1970-01-01: the range we format. */
#define DAYS_MIN   (-719162)
#define DAYS_MAX   2932896
#define MS_PER_DAY INT64_C(86400000)

#ifndef SWI_PG_SINK_NO_FASTPATH
static const char SQL_COPY_EVENTS[] =
    "COPY swi.events (source, event_id, event_type, bsn_ps, vnr_ps, event_date, "
    "registered_at, corrects, retracts, payload, schema_id, kafka_topic, kafka_partition, "
    "kafka_offset) FROM STDIN";
#endif
static const char SQL_COPY_STAGE_EVENTS[] =
    "COPY pg_temp.swi_stage_events (source, event_id, event_type, bsn_ps, vnr_ps, "
    "event_date, registered_at, corrects, retracts, payload, schema_id, kafka_topic, "
    "kafka_partition, kafka_offset) FROM STDIN";
static const char SQL_COPY_STAGE_DUPS[] =
    "COPY pg_temp.swi_stage_dups (source, event_id, kafka_topic, kafka_partition, "
    "kafka_offset) FROM STDIN";
static const char SQL_COPY_STAGE_DL[] =
    "COPY pg_temp.swi_stage_dead_letters (reason, detail, source, event_type, schema_id, "
    "kafka_topic, kafka_partition, kafka_offset, kafka_timestamp) FROM STDIN";

static const char SQL_CREATE_STAGE[] =
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
        ST_LOOKUP_TARGET,
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
#define EVENT_COLS_LIT                                                                             \
        "source, event_id, event_type, bsn_ps, vnr_ps, event_date, registered_at, corrects, "      \
        "retracts, payload, schema_id, kafka_topic, kafka_partition, kafka_offset"

static const stmt_t stmts[ST__CNT] = {
    [ST_INS_EVENTS] = {"swi_ins_events", "insert events", 0, SQL_INS_EVENTS_TEXT(EVENT_COLS_LIT)},
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
    /* The primary key; results in binary (the pseudonyms as raw bytes). */
    [ST_LOOKUP_TARGET] = {"swi_lookup_target", "look up target", 2,
                          "SELECT event_type, bsn_ps, vnr_ps FROM swi.events"
                          " WHERE source = $1 AND event_id = $2::uuid"},
};

typedef struct sink_buf_s {
        char *p;
        size_t len, cap;
} sink_buf_t;

/* One event row kept in the batch (in-batch duplicates never get one). The
 * type and identity are kept so that a correction or retraction later in the
 * same batch can be judged against it (swi_pg_sink_lookup_target). */
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
        uint8_t type; /* swi_evtype_t */
        uint8_t has_bsn_ps, has_vnr_ps;
        uint8_t bsn_ps[SWI_PSEUDO_LEN];
        uint8_t vnr_ps[SWI_PSEUDO_LEN];
} ev_row_t;
_Static_assert(SWI_EV__CNT <= UINT8_MAX, "event types must fit ev_row_t.type");

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
        sink_buf_t ev;  /* COPY text of swi.events rows */
        sink_buf_t dup; /* COPY text of in-batch duplicates */
        sink_buf_t dl;  /* COPY text of dead letters */
        ev_row_t *rows;
        size_t nrows, rows_cap, ndropped;
        uint32_t *slots; /* open addressing: row index + 1, 0 = empty */
        size_t slots_cap;
        int64_t n_inbatch_dups; /* added events absorbed in memory */
        int64_t ndl;
        offset_t *offs;
        size_t noffs, offs_cap;

        topic_t *topics; /* interned for the sink's lifetime */
        size_t ntopics, topics_cap;
        size_t last_topic;

        sink_buf_t scratch; /* offset arrays */

        /* Trajectory step (pg_trajectory.c): what the batch's events touch. */
        bool trajectories;
        swi_traj_touch_t *touches;
        size_t ntouches, touches_cap;
        swi_traj_stats_t traj_stats;
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

/* ---- buffers and COPY text ----------------------------------------------- */

static swi_err_t buf_reserve(sink_buf_t *b, size_t n)
{
        size_t cap;
        char *p;
        if (b->cap - b->len >= n)
                return SWI_OK;
        cap = b->cap ? b->cap * 2 : 64 * 1024;
        while (cap - b->len < n)
                cap *= 2;
        p = realloc(b->p, cap);
        if (!p)
                return SWI_ERR_NOMEM;
        b->p = p;
        b->cap = cap;
        return SWI_OK;
}

static void buf_free(sink_buf_t *b)
{
        free(b->p);
        b->p = NULL;
        b->len = b->cap = 0;
}

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

static bool utf8_valid(const char *s, size_t n)
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
static char *put_copy_text(char *o, const char *s, size_t n)
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
static char *put_json_str(char *o, const char *s, size_t n)
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

static char *put_str(char *o, const char *s)
{
        size_t n = strlen(s);
        memcpy(o, s, n);
        return o + n;
}

static char *put_i64(char *o, int64_t v)
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

/* YYYY-MM-DD; days must be in [DAYS_MIN, DAYS_MAX]. */
static char *put_date(char *o, int32_t days)
{
        int y, m, d;
        assert(days >= DAYS_MIN && days <= DAYS_MAX);
        swi_date_to_ymd(days, &y, &m, &d);
        o = put_2d(o, y / 100);
        o = put_2d(o, y % 100);
        *o++ = '-';
        o = put_2d(o, m);
        *o++ = '-';
        return put_2d(o, d);
}

static bool ts_in_range(int64_t ms)
{
        return ms >= (int64_t)DAYS_MIN * MS_PER_DAY && ms < ((int64_t)DAYS_MAX + 1) * MS_PER_DAY;
}

/* YYYY-MM-DD HH:MM:SS.mmm+00 from ms since the epoch (UTC). */
static char *put_ts(char *o, int64_t ms)
{
        int64_t days = ms / MS_PER_DAY;
        int64_t rem = ms % MS_PER_DAY;
        if (rem < 0) {
                rem += MS_PER_DAY;
                days--;
        }
        o = put_date(o, (int32_t)days);
        *o++ = ' ';
        o = put_2d(o, (int)(rem / 3600000));
        *o++ = ':';
        o = put_2d(o, (int)(rem / 60000 % 60));
        *o++ = ':';
        o = put_2d(o, (int)(rem / 1000 % 60));
        *o++ = '.';
        *o++ = (char)('0' + (int)(rem % 1000 / 100));
        o = put_2d(o, (int)(rem % 100));
        return put_str(o, "+00");
}

/* bytea in COPY text: \\x<hex> (the backslash itself escaped for COPY). */
static char *put_bytea(char *o, const uint8_t *b, size_t n)
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

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Parses the canonical 8-4-4-4-12 form (either case). 0 on success. */
static int uuid_parse(const char *s, uint8_t out[16])
{
        int j = 0;
        for (int i = 0; i < SWI_UUID_LEN; i++) {
                int hi, lo;
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return -1;
                        continue;
                }
                hi = hexval((unsigned char)s[i]);
                lo = hi < 0 ? -1 : hexval((unsigned char)s[i + 1]);
                if (lo < 0)
                        return -1;
                out[j++] = (uint8_t)(hi << 4 | lo);
                i++;
        }
        return s[SWI_UUID_LEN] == '\0' ? 0 : -1;
}

static char *put_uuid(char *o, const uint8_t id[16])
{
        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        *o++ = '-';
                *o++ = hexdig[id[i] >> 4];
                *o++ = hexdig[id[i] & 15];
        }
        return o;
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
        /* conninfo is expanded; the keywords after it override it, so the
         * COPY text we build is always read as UTF-8. */
        const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding", NULL};
        const char *const vals[] = {s->conninfo, "swi-stream", "UTF8", NULL};

        drop_conn(s);
        s->conn = PQconnectdbParams(keys, vals, 1);
        if (!s->conn) {
                set_err(s, "connect", "out of memory");
                return SWI_ERR_NOMEM;
        }
        if (PQstatus(s->conn) != CONNECTION_OK) {
                set_pg_err(s, "connect");
                drop_conn(s);
                return SWI_ERR_PG;
        }
        PQsetNoticeProcessor(s->conn, pgc_notice_to_log, NULL);
        return SWI_OK;
}

/* A usable, idle connection: reconnects when the old one is broken or was
 * left inside a transaction by a failure. */
static swi_err_t ensure_conn(swi_pg_sink_t *s)
{
        if (s->conn && PQstatus(s->conn) == CONNECTION_OK &&
            PQtransactionStatus(s->conn) == PQTRANS_IDLE)
                return SWI_OK;
        if (s->conn)
                SWI_LOG_W(SUB, "reconnecting", "status=%s",
                          PQstatus(s->conn) == CONNECTION_OK ? "not-idle" : "bad");
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
                         const sink_buf_t *b, const ev_row_t *rows, size_t nrows, char sqlstate[6])
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
                        to = b->len;
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
        buf_free(&s->ev);
        buf_free(&s->dup);
        buf_free(&s->dl);
        buf_free(&s->scratch);
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

swi_err_t swi_pg_sink_migrate(swi_pg_sink_t *s)
{
        swi_err_t rc = SWI_OK;
        PGresult *res = NULL;
        bool locked = false;
        int applied_now = 0;
        int *applied = NULL;
        int napplied = 0;

        rc = ensure_conn(s);
        if (rc != SWI_OK)
                goto done;
        rc = exec_simple(s, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")",
                         "migrations: advisory lock");
        if (rc != SWI_OK && PQstatus(s->conn) != CONNECTION_OK) {
                /* stale connection: nothing done yet, retry once */
                rc = connect_db(s);
                if (rc == SWI_OK)
                        rc = exec_simple(s, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")",
                                         "migrations: advisory lock");
        }
        if (rc != SWI_OK)
                goto done;
        locked = true;

        rc = exec_simple(s,
                         "CREATE SCHEMA IF NOT EXISTS swi_ops;"
                         "CREATE TABLE IF NOT EXISTS swi_ops.schema_migrations ("
                         " version int PRIMARY KEY, name text NOT NULL,"
                         " applied_at timestamptz NOT NULL DEFAULT now())",
                         "migrations: create swi_ops.schema_migrations");
        if (rc != SWI_OK)
                goto done;

        res = PQexec(s->conn, "SELECT version FROM swi_ops.schema_migrations ORDER BY version");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                set_pg_err(s, "migrations: read applied versions");
                rc = SWI_ERR_PG;
                goto done;
        }
        napplied = PQntuples(res);
        applied = calloc((size_t)napplied + 1, sizeof(*applied));
        if (!applied) {
                set_err(s, "migrations", "out of memory");
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
                const char *params[2];

                snprintf(purpose, sizeof(purpose), "migration %s", f->name);
                if (v < 0) {
                        set_err(s, purpose, "file name does not start with NNN_");
                        rc = SWI_ERR_CONFIG;
                        goto done;
                }
                if (f[1].name && migration_version(f[1].name) == v) {
                        set_err(s, purpose, "two migrations share the version number");
                        rc = SWI_ERR_CONFIG;
                        goto done;
                }
                for (int i = 0; i < napplied; i++)
                        if (applied[i] == v)
                                done_already = true;
                if (done_already)
                        continue;

                rc = exec_simple(s, "BEGIN", purpose);
                if (rc == SWI_OK)
                        rc = exec_simple(s, f->data, purpose);
                if (rc == SWI_OK) {
                        snprintf(vbuf, sizeof(vbuf), "%d", v);
                        params[0] = vbuf;
                        params[1] = f->name;
                        res = PQexecParams(s->conn,
                                           "INSERT INTO swi_ops.schema_migrations (version, name)"
                                           " VALUES ($1::int, $2)",
                                           2, NULL, params, NULL, NULL, 0);
                        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                                set_pg_err(s, purpose);
                                rc = SWI_ERR_PG;
                        }
                        PQclear(res);
                        res = NULL;
                }
                if (rc == SWI_OK)
                        rc = exec_simple(s, "COMMIT", purpose);
                if (rc != SWI_OK) {
                        rollback_quietly(s);
                        goto done;
                }
                applied_now++;
                SWI_LOG_I(SUB, "migration applied", "name=%s version=%d", f->name, v);
        }

done:
        PQclear(res);
        free(applied);
        if (locked && s->conn && PQstatus(s->conn) == CONNECTION_OK) {
                rollback_quietly(s);
                res = PQexec(s->conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")");
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        SWI_LOG_W(SUB, "advisory unlock failed; reconnecting", "%s", "");
                        drop_conn(s); /* session locks die with the session */
                }
                PQclear(res);
        }
        /* Staging tables copy swi.events' shape: rebuild them after a change. */
        if (applied_now > 0 && s->session_ready && s->conn) {
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
        s->ev.len = 0;
        s->dup.len = 0;
        s->dl.len = 0;
        s->nrows = 0;
        s->ndropped = 0;
        s->n_inbatch_dups = 0;
        s->ndl = 0;
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
        if (n == 0 || n > TOPIC_MAX || !utf8_valid(topic, n) || s->ntopics >= UINT16_MAX) {
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
        e = put_copy_text(t->copy, topic, n);
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
        swi_err_t rc = buf_reserve(&s->dup, DUP_ROW_FIXED_MAX + t->copy_len);
        if (rc != SWI_OK)
                return rc;
        o = s->dup.p + s->dup.len;
        o = put_str(o, swi_source_name((swi_source_t)src));
        *o++ = '\t';
        o = put_uuid(o, id);
        *o++ = '\t';
        memcpy(o, t->copy, t->copy_len);
        o += t->copy_len;
        *o++ = '\t';
        o = put_i64(o, partition);
        *o++ = '\t';
        o = put_i64(o, offset);
        *o++ = '\n';
        s->dup.len = (size_t)(o - s->dup.p);
        assert(s->dup.len <= s->dup.cap);
        return SWI_OK;
}

static swi_err_t check_event(swi_pg_sink_t *s, const swi_event_t *ev, uint8_t id[16],
                             uint8_t corrects[16], uint8_t retracts[16])
{
        const char *why = NULL;

        if ((unsigned)ev->source >= SWI_SRC__CNT || (unsigned)ev->type >= SWI_EV__CNT)
                why = "unknown source or event type";
        else if (uuid_parse(ev->event_id, id) != 0)
                why = "event_id is not a UUID";
        else if (ev->has_corrects && uuid_parse(ev->corrects, corrects) != 0)
                why = "corrects is not a UUID";
        else if (ev->has_retracts && uuid_parse(ev->retracts, retracts) != 0)
                why = "retracts is not a UUID";
        else if (ev->event_date < DAYS_MIN || ev->event_date > DAYS_MAX)
                why = "event_date outside years 1-9999";
        else if (!ts_in_range(ev->registered_at))
                why = "registered_at outside years 1-9999";
        else if (ev->nfields < 0 || ev->nfields > SWI_MAX_FIELDS)
                why = "too many payload fields";
        for (int i = 0; !why && i < ev->nfields; i++) {
                const swi_field_t *f = &ev->fields[i];
                size_t nl = strnlen(f->name, SWI_FIELD_NAME_MAX);
                size_t sl = strnlen(f->s, SWI_FIELD_STR_MAX);
                if (nl == 0 || nl == SWI_FIELD_NAME_MAX || !utf8_valid(f->name, nl))
                        why = "payload field name is not a valid string";
                else if (f->kind == SWI_V_STRING &&
                         (sl == SWI_FIELD_STR_MAX || !utf8_valid(f->s, sl)))
                        why = "payload string is not valid UTF-8";
                else if (f->kind == SWI_V_DATE && (f->i < DAYS_MIN || f->i > DAYS_MAX))
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
                o = put_json_str(o, f->name, strlen(f->name));
                *o++ = ':';
                switch (f->kind) {
                case SWI_V_STRING:
                        o = put_json_str(o, f->s, strlen(f->s));
                        break;
                case SWI_V_INT:
                        o = put_i64(o, f->i);
                        break;
                case SWI_V_BOOL:
                        o = put_str(o, f->i ? "true" : "false");
                        break;
                case SWI_V_DATE:
                        *o++ = '"';
                        o = put_date(o, (int32_t)f->i);
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
        rc = buf_reserve(&s->ev, EVENT_ROW_FIXED_MAX + PAYLOAD_MAX + t->copy_len);
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
        row->off = s->ev.len;
        row->offset = offset;
        row->partition = partition;
        row->hash = hash;
        row->topic = tix;
        row->src = (uint8_t)ev->source;
        row->dropped = 0;
        memcpy(row->id, id, 16);
        row->type = (uint8_t)ev->type;
        row->has_bsn_ps = ev->has_bsn_ps;
        row->has_vnr_ps = ev->has_vnr_ps;
        memcpy(row->bsn_ps, ev->bsn_ps, SWI_PSEUDO_LEN);
        memcpy(row->vnr_ps, ev->vnr_ps, SWI_PSEUDO_LEN);

        o = s->ev.p + s->ev.len;
        o = put_str(o, swi_source_name(ev->source));
        *o++ = '\t';
        o = put_uuid(o, id);
        *o++ = '\t';
        o = put_str(o, swi_evtype_name(ev->type));
        *o++ = '\t';
        o = ev->has_bsn_ps ? put_bytea(o, ev->bsn_ps, SWI_PSEUDO_LEN) : put_str(o, "\\N");
        *o++ = '\t';
        o = ev->has_vnr_ps ? put_bytea(o, ev->vnr_ps, SWI_PSEUDO_LEN) : put_str(o, "\\N");
        *o++ = '\t';
        o = put_date(o, ev->event_date);
        *o++ = '\t';
        o = put_ts(o, ev->registered_at);
        *o++ = '\t';
        o = ev->has_corrects ? put_uuid(o, corrects) : put_str(o, "\\N");
        *o++ = '\t';
        o = ev->has_retracts ? put_uuid(o, retracts) : put_str(o, "\\N");
        *o++ = '\t';
        o = put_payload(o, ev);
        *o++ = '\t';
        o = put_i64(o, ev->schema_id);
        *o++ = '\t';
        memcpy(o, t->copy, t->copy_len);
        o += t->copy_len;
        *o++ = '\t';
        o = put_i64(o, partition);
        *o++ = '\t';
        o = put_i64(o, offset);
        *o++ = '\n';
        row->len = (size_t)(o - s->ev.p) - row->off;
        s->ev.len = (size_t)(o - s->ev.p);
        assert(s->ev.len <= s->ev.cap);

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
                tt->has_bsn = ev->has_bsn_ps;
                tt->has_vnr = ev->has_vnr_ps;
                memcpy(tt->bsn_ps, ev->bsn_ps, SWI_PSEUDO_LEN);
                memcpy(tt->vnr_ps, ev->vnr_ps, SWI_PSEUDO_LEN);
                tt->registered_at = ev->registered_at;
        }
        return SWI_OK;
}

/* ---- targets of corrections and retractions ------------------------------ */

static void target_from_row(const ev_row_t *r, swi_pg_target_t *out)
{
        out->found = true;
        out->type = (swi_evtype_t)r->type;
        out->is_intrekking = swi_evtype_is_intrekking(out->type);
        out->has_bsn_ps = r->has_bsn_ps;
        out->has_vnr_ps = r->has_vnr_ps;
        if (r->has_bsn_ps)
                memcpy(out->bsn_ps, r->bsn_ps, SWI_PSEUDO_LEN);
        if (r->has_vnr_ps)
                memcpy(out->vnr_ps, r->vnr_ps, SWI_PSEUDO_LEN);
}

/* A pseudonym column of the binary lookup result; false if malformed. */
static bool target_pseudonym(const PGresult *res, int col, bool *has, uint8_t out[SWI_PSEUDO_LEN])
{
        *has = !PQgetisnull(res, 0, col);
        if (!*has)
                return true;
        if (PQgetlength(res, 0, col) != SWI_PSEUDO_LEN)
                return false;
        memcpy(out, PQgetvalue(res, 0, col), SWI_PSEUDO_LEN);
        return true;
}

/* One execution of the lookup statement; *out gets the result on success. */
static swi_err_t lookup_stored(swi_pg_sink_t *s, const char *const params[2], PGresult **out)
{
        const stmt_t *st = &stmts[ST_LOOKUP_TARGET];
        PGresult *res;
        swi_err_t rc = start_op(s, NULL, st->purpose);

        if (rc != SWI_OK)
                return rc;
        res = PQexecPrepared(s->conn, st->name, st->nparams, params, NULL, NULL, 1);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                set_pg_err(s, st->purpose);
                PQclear(res);
                return SWI_ERR_PG;
        }
        *out = res;
        return SWI_OK;
}

swi_err_t swi_pg_sink_lookup_target(swi_pg_sink_t *s, swi_source_t src, const char *target_event_id,
                                    swi_pg_target_t *out)
{
        swi_err_t rc = SWI_OK;
        PGresult *res = NULL;
        uint8_t id[16];
        char canon[SWI_UUID_LEN + 1], name[64];
        const char *params[2];
        int len;

        assert(target_event_id && out);
        memset(out, 0, sizeof(*out));
        out->type = SWI_EV_NONE;
        if ((unsigned)src >= SWI_SRC__CNT || uuid_parse(target_event_id, id) != 0) {
                set_err(s, "look up target", "unknown source or target is not a UUID");
                return SWI_ERR_INVALID_ARG;
        }
        /* The open batch first: it is not on the server yet. */
        if (s->nrows > 0) {
                uint32_t slot = *slot_find(s, key_hash((uint8_t)src, id), (uint8_t)src, id);
                if (slot != 0) {
                        target_from_row(&s->rows[slot - 1], out);
                        return SWI_OK;
                }
        }
        /* Canonical text, so that the ::uuid cast cannot fail. */
        *put_uuid(canon, id) = '\0';
        params[0] = swi_source_name(src);
        params[1] = canon;
        rc = lookup_stored(s, params, &res);
        if (rc != SWI_OK && (!s->conn || PQstatus(s->conn) != CONNECTION_OK)) {
                /* read-only: safe to retry once on a fresh connection */
                rc = lookup_stored(s, params, &res);
        }
        if (rc != SWI_OK || PQntuples(res) == 0)
                goto done;
        len = PQgetlength(res, 0, 0);
        if (PQnfields(res) != 3 || PQntuples(res) != 1 || PQgetisnull(res, 0, 0) ||
            len >= (int)sizeof(name) || !target_pseudonym(res, 1, &out->has_bsn_ps, out->bsn_ps) ||
            !target_pseudonym(res, 2, &out->has_vnr_ps, out->vnr_ps)) {
                set_err(s, "look up target", "unexpected result shape");
                memset(out, 0, sizeof(*out));
                out->type = SWI_EV_NONE;
                rc = SWI_ERR_PG;
                goto done;
        }
        memcpy(name, PQgetvalue(res, 0, 0), (size_t)len);
        name[len] = '\0';
        out->found = true;
        out->type = swi_evtype_lookup(src, name);
        out->is_intrekking = swi_evtype_is_intrekking(out->type);
done:
        PQclear(res);
        return rc;
}

void swi_pg_sink_set_trajectories(swi_pg_sink_t *s, bool enable)
{
        s->trajectories = enable;
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
        char *o;

        assert(dl);
        if ((unsigned)dl->source >= SWI_SRC__CNT || !dl->topic) {
                set_err(s, "add dead letter", "unknown source or no topic");
                return SWI_ERR_INVALID_ARG;
        }
        detail = dl->detail ? dl->detail : "";
        dlen = strlen(detail);
        tlen = strlen(dl->topic);
        rc = buf_reserve(&s->dl, DL_ROW_FIXED_MAX + 3 * dlen + 3 * tlen);
        if (rc != SWI_OK)
                return rc;
        o = s->dl.p + s->dl.len;
        /* The reason is not checked here: the table's CHECK is the authority. */
        o = put_copy_text(o, swi_reason2str(dl->reason), strlen(swi_reason2str(dl->reason)));
        *o++ = '\t';
        o = put_copy_text(o, detail, dlen);
        *o++ = '\t';
        o = put_str(o, swi_source_name(dl->source));
        *o++ = '\t';
        o = (unsigned)dl->type < SWI_EV__CNT ? put_str(o, swi_evtype_name(dl->type))
                                             : put_str(o, "\\N");
        *o++ = '\t';
        o = dl->schema_id >= 0 ? put_i64(o, dl->schema_id) : put_str(o, "\\N");
        *o++ = '\t';
        o = put_copy_text(o, dl->topic, tlen);
        *o++ = '\t';
        o = put_i64(o, dl->partition);
        *o++ = '\t';
        o = put_i64(o, dl->offset);
        *o++ = '\t';
        o = dl->kafka_timestamp_ms >= 0 && ts_in_range(dl->kafka_timestamp_ms)
                ? put_ts(o, dl->kafka_timestamp_ms)
                : put_str(o, "\\N");
        *o++ = '\n';
        s->dl.len = (size_t)(o - s->dl.p);
        assert(s->dl.len <= s->dl.cap);
        s->ndl++;
        return SWI_OK;
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
        s->scratch.len = 0;
        rc = buf_reserve(&s->scratch, need);
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
                o = put_i64(o, s->offs[i].partition);
        }
        *o++ = '}';
        *o++ = '\0';
        at_offs = (size_t)(o - s->scratch.p);
        *o++ = '{';
        for (size_t i = 0; i < s->noffs; i++) {
                if (i)
                        *o++ = ',';
                o = put_i64(o, s->offs[i].next_offset);
        }
        *o++ = '}';
        *o++ = '\0';
        s->scratch.len = (size_t)(o - s->scratch.p);
        assert(s->scratch.len <= s->scratch.cap);
        params[0] = s->group_id;
        params[1] = s->scratch.p + at_topics;
        params[2] = s->scratch.p + at_parts;
        params[3] = s->scratch.p + at_offs;
        return SWI_OK;
}

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
        const char *params[4];
        int64_t n;
        bool staged = false;

        if (nkept == 0 && s->n_inbatch_dups == 0 && s->ndl == 0 && s->noffs == 0)
                goto done;

        rc = start_op(s, "BEGIN", "BEGIN");
        if (rc != SWI_OK)
                goto done;

        if (nkept > 0) {
#ifdef SWI_PG_SINK_NO_FASTPATH
                staged = true;
#else
                char sqlstate[6];
                rc =
                    copy_in(s, SQL_COPY_EVENTS, "COPY events", &s->ev, s->rows, s->nrows, sqlstate);
                if (rc == SWI_OK) {
                        st.events_inserted = (int64_t)nkept;
                } else if (strcmp(sqlstate, SQLSTATE_UNIQUE_VIOLATION) == 0) {
                        /* Some key is already stored (re-delivery across
                         * batches). The COPY was the transaction's first
                         * statement: start over on the staged path. */
                        SWI_LOG_D(SUB, "stored duplicates in batch, using staging", "rows=%zu",
                                  nkept);
                        rc = exec_simple(s, "ROLLBACK", "ROLLBACK");
                        if (rc == SWI_OK)
                                rc = exec_simple(s, "BEGIN", "BEGIN");
                        staged = true;
                }
                if (rc != SWI_OK)
                        goto done;
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
                char err[1024];
                rc = swi_pg_traj_update(s->conn, s->touches, s->ntouches, &s->traj_stats, err,
                                        sizeof(err));
                if (rc != SWI_OK) {
                        set_err(s, "trajectory step", err);
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
