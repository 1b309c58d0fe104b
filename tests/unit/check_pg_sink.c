/* check_pg_sink.c - sinks/pg_sink against a real PostgreSQL server.
 *
 * Needs SWI_TEST_PG (a conninfo of a superuser-ish role that may CREATE
 * DATABASE), e.g.  deploy/pg.sh start && eval "$(deploy/pg.sh env)" &&
 * SWI_TEST_PG="$SWI_PG_CONNINFO" ./check_pg_sink
 * Without it the suite fails (it never passes silently).
 *
 * Each test runs in a fresh database swi_test_<runner pid>_<n>, dropped at the
 * end; leftovers of runners that died are dropped at start. The test verifies
 * through its own libpq connection (tests may use libpq directly; project
 * modules other than the sink may not). */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common/embedded.h"
#include "common/log.h"
#include "sinks/pg_store.h"
#include "publish/live.h"
#include "publish/publication.h"
#include "sinks/pg_sink.h"
#include "sinks/sink.h"

static const char *test_pg;
static pid_t runner_pid;
static int db_seq;

/* Per-test state (each test runs in its own forked process). */
static char db_name[64];
static char db_conninfo[1024];
static PGconn *vconn; /* verification connection to the test database */

static PGconn *connect_or_fail(const char *conninfo)
{
        PGconn *c = PQconnectdb(conninfo);
        ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
        return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
                      PQerrorMessage(c));
        PQclear(r);
}

/* First column of the first row as int64 (-1 for NULL / no row). */
static int64_t q_int(const char *sql)
{
        PGresult *r = PQexec(vconn, sql);
        int64_t v = -1;
        ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(vconn));
        if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
                v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        return v;
}

/* First column of the first row as a malloc'd string (NULL for SQL NULL). */
static char *q_str(const char *sql, const char *param)
{
        const char *params[1] = {param};
        PGresult *r =
            PQexecParams(vconn, sql, param ? 1 : 0, NULL, param ? params : NULL, NULL, NULL, 0);
        char *v = NULL;
        ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(vconn));
        ck_assert_msg(PQntuples(r) == 1, "%s: %d rows", sql, PQntuples(r));
        if (!PQgetisnull(r, 0, 0))
                v = strdup(PQgetvalue(r, 0, 0));
        PQclear(r);
        return v;
}

static void db_setup(void)
{
        PGconn *m = connect_or_fail(test_pg);
        char sql[160];

        snprintf(db_name, sizeof(db_name), "swi_test_%d_%d_%d", (int)runner_pid, (int)getpid(),
                 ++db_seq);
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db_name);
        exec_ok(m, sql);
        PQfinish(m);
        /* a repeated keyword overrides the earlier one */
        snprintf(db_conninfo, sizeof(db_conninfo), "%s dbname=%s", test_pg, db_name);
        vconn = connect_or_fail(db_conninfo);
}

static void db_teardown(void)
{
        PGconn *m;
        char sql[160];

        if (vconn)
                PQfinish(vconn);
        vconn = NULL;
        m = connect_or_fail(test_pg);
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
        exec_ok(m, sql);
        PQfinish(m);
}

/* Drops databases left by runners that no longer exist. */
static void drop_stale_databases(void)
{
        PGconn *m = PQconnectdb(test_pg);
        PGresult *r;

        if (PQstatus(m) != CONNECTION_OK) {
                PQfinish(m);
                return;
        }
        r = PQexec(m, "SELECT datname FROM pg_database WHERE datname LIKE 'swi\\_test\\_%'");
        for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
                const char *name = PQgetvalue(r, i, 0);
                int pid = atoi(name + strlen("swi_test_"));
                char sql[160];
                if (pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH))
                        continue;
                snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
                PQclear(PQexec(m, sql));
        }
        PQclear(r);
        PQfinish(m);
}

static swi_pg_sink_t *new_sink(void)
{
        char err[512];
        swi_pg_sink_t *s = swi_pg_sink_new(db_conninfo, "test-group", err, sizeof(err));
        ck_assert_msg(s != NULL, "sink_new: %s", err);
        ck_assert_msg(swi_pg_sink_migrate(s) == SWI_OK, "migrate: %s", swi_pg_sink_errstr(s));
        return s;
}

static swi_event_t make_event(swi_evtype_t type, const char *event_id)
{
        swi_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.type = type;
        ev.source = swi_evtype_source(type);
        snprintf(ev.event_id, sizeof(ev.event_id), "%s", event_id);
        ev.has_bsn_ps = true;
        for (int i = 0; i < SWI_PSEUDO_LEN; i++)
                ev.bsn_ps[i] = (uint8_t)(i * 7 + 1);
        ev.event_date = swi_date_from_ymd(2024, 3, 1);
        ev.registered_at = INT64_C(1709290800123); /* 2024-03-01 11:00:00.123 UTC */
        ev.schema_id = 7;
        return ev;
}

static void add_str(swi_event_t *ev, const char *name, const char *val)
{
        swi_field_t *f = &ev->fields[ev->nfields++];
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->kind = SWI_V_STRING;
        snprintf(f->s, sizeof(f->s), "%s", val);
}

static void add_int(swi_event_t *ev, const char *name, swi_vkind_t kind, int64_t v)
{
        swi_field_t *f = &ev->fields[ev->nfields++];
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->kind = kind;
        f->i = v;
}

static void add_ev(swi_pg_sink_t *s, const swi_event_t *ev, int32_t partition, int64_t offset)
{
        swi_err_t rc = swi_pg_sink_add_event(s, ev, "gemeente.events", partition, offset);
        ck_assert_msg(rc == SWI_OK, "add_event: %s", swi_pg_sink_errstr(s));
}

static swi_dead_letter_t make_dl(swi_reason_t reason, const char *detail, int64_t offset)
{
        swi_dead_letter_t dl = {
            .reason = reason,
            .detail = detail,
            .source = SWI_SRC_GEMEENTE,
            .type = SWI_EV_NONE,
            .schema_id = -1,
            .topic = "gemeente.events",
            .partition = 0,
            .offset = offset,
            .kafka_timestamp_ms = -1,
        };
        return dl;
}

#define ID(n) "00000000-0000-4000-8000-0000000000" #n

/* ------------------------------------------------------------------------- */

START_TEST(test_pg_sink_migrate_twice_is_noop)
{
        swi_pg_sink_t *s = new_sink();
        int nfiles = 0;
        char *before, *after;

        for (const swi_embedded_file_t *f = swi_embedded_migrations; f->name; f++)
                nfiles++;
        ck_assert_int_gt(nfiles, 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.schema_migrations"), nfiles);
        ck_assert_int_eq(q_int("SELECT min(version) FROM swi_ops.schema_migrations"), 1);
        before = q_str("SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version)"
                       " FROM swi_ops.schema_migrations",
                       NULL);

        ck_assert_int_eq(swi_pg_sink_migrate(s), SWI_OK);
        swi_pg_sink_destroy(s);
        s = new_sink(); /* a second instance starting later */
        after = q_str("SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version)"
                      " FROM swi_ops.schema_migrations",
                      NULL);
        ck_assert_str_eq(before, after);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.schema_migrations"), nfiles);
        free(before);
        free(after);
        swi_pg_sink_destroy(s);
}
END_TEST

/* The migrations know the sources of SWI_SOURCES (transform/event.h), no
 * more and no fewer: every CHECK constraint on a column "source" lists
 * exactly their names, and the per-source views have a row for each. */
static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(test_pg_sink_sources_match_migrations)
{
        static const char *const views[] = {"swi_pub.freshness", "swi_pub.source_status"};
        swi_pg_sink_t *s = new_sink();
        const char *names[SWI_SRC__CNT];
        char want[512] = "";
        PGresult *r;
        bool events_checked = false;

        for (int i = 0; i < SWI_SRC__CNT; i++)
                names[i] = swi_source_name((swi_source_t)i);
        qsort(names, SWI_SRC__CNT, sizeof(names[0]), cmp_str);
        for (int i = 0; i < SWI_SRC__CNT; i++)
                snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? "," : "",
                         names[i]);

        r = PQexec(vconn,
                   "SELECT c.conrelid::regclass::text,"
                   " array_to_string(ARRAY(SELECT m[1] FROM regexp_matches("
                   "   pg_get_constraintdef(c.oid), '''([^'']+)''', 'g') AS m ORDER BY 1), ',')"
                   " FROM pg_constraint c"
                   " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
                   " WHERE c.contype = 'c' AND a.attname = 'source'"
                   " AND c.connamespace::regnamespace::text IN ('swi', 'swi_ops', 'swi_pub')"
                   " ORDER BY 1");
        ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(vconn));
        /* swi.events, swi_ops.dead_letters, swi.reference_edges at least */
        ck_assert_int_ge(PQntuples(r), 3);
        for (int i = 0; i < PQntuples(r); i++) {
                ck_assert_msg(strcmp(PQgetvalue(r, i, 1), want) == 0,
                              "CHECK of %s.source lists %s; SWI_SOURCES has %s",
                              PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), want);
                if (strcmp(PQgetvalue(r, i, 0), "swi.events") == 0)
                        events_checked = true;
        }
        PQclear(r);
        ck_assert(events_checked);
        for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
                char sql[160], *got;
                snprintf(sql, sizeof(sql), "SELECT string_agg(source, ',' ORDER BY source) FROM %s",
                         views[v]);
                got = q_str(sql, NULL);
                ck_assert_msg(got && strcmp(got, want) == 0, "%s has %s; SWI_SOURCES has %s",
                              views[v], got ? got : "no row", want);
                free(got);
        }
        swi_pg_sink_destroy(s);
}
END_TEST

/* Migration 007: a share over 0 persons is NULL but not onderdrukt (§6);
 * any other NULL value is a suppressed one, and a suppressed one is NULL. */
START_TEST(test_pg_sink_share_over_zero_storable)
{
        swi_pg_sink_t *s = new_sink();
        static const char ins[] =
            "INSERT INTO swi_pub.indicator_values (peildatum, known_at, family, breakdown, "
            "cohort, doelgroep, measure, unit, value, onderdrukt) VALUES ('2024-07-01', "
            "'infinity', 2, 'fase_plichtigen', '*', '*', ";
        const char *rows[3] = {"'aandeel_x', 'procent', NULL, false)",
                               "'plichtigen', 'personen', NULL, false)",
                               "'plichtigen', 'personen', 5, true)"};
        char sql[512];

        for (int i = 0; i < 3; i++) {
                snprintf(sql, sizeof(sql), "%s%s", ins, rows[i]);
                PGresult *r = PQexec(vconn, sql);
                ck_assert_msg((PQresultStatus(r) == PGRES_COMMAND_OK) == (i == 0), "%s: %s",
                              rows[i], PQerrorMessage(vconn));
                PQclear(r);
        }
        swi_pg_sink_destroy(s);
}
END_TEST

START_TEST(test_pg_sink_schema_is_documented)
{
        swi_pg_sink_t *s = new_sink();

        /* COMMENT ON every table and column of the migrations */
        ck_assert_int_eq(q_int("SELECT count(*) FROM information_schema.columns c"
                               " WHERE c.table_schema IN ('swi', 'swi_ops')"
                               " AND col_description(format('%I.%I', c.table_schema,"
                               " c.table_name)::regclass, c.ordinal_position) IS NULL"),
                         0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM pg_class c JOIN pg_namespace n"
                               " ON n.oid = c.relnamespace WHERE n.nspname IN ('swi', 'swi_ops')"
                               " AND c.relkind = 'r' AND obj_description(c.oid) IS NULL"),
                         0);
        swi_pg_sink_destroy(s);
}
END_TEST

START_TEST(test_pg_sink_load_offset_none_is_beginning)
{
        swi_pg_sink_t *s = new_sink();
        int64_t off = 0;
        swi_batch_stats_t st;

        ck_assert_int_eq(swi_pg_sink_load_offset(s, "duo.events", 3, &off), SWI_OK);
        ck_assert_int_eq(off, -2);

        ck_assert_int_eq(swi_pg_sink_add_offset(s, "duo.events", 3, 41), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "duo.events", 3, 42), SWI_OK); /* last wins */
        ck_assert_int_eq(swi_pg_sink_commit(s, &st), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_load_offset(s, "duo.events", 3, &off), SWI_OK);
        ck_assert_int_eq(off, 42);
        ck_assert_int_eq(swi_pg_sink_load_offset(s, "duo.events", 4, &off), SWI_OK);
        ck_assert_int_eq(off, -2);
        swi_pg_sink_destroy(s);
}
END_TEST

START_TEST(test_pg_sink_batch_commits_atomically_with_stats)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st = {-1, -1, -1};
        swi_event_t e1 = make_event(SWI_EV_GEM_BREDE_INTAKE_AFGEROND, ID(01));
        swi_event_t e2 = make_event(SWI_EV_GEM_PIP_VASTGESTELD, ID(02));
        swi_event_t e3 = make_event(SWI_EV_GEM_INTREKKING, ID(03));
        swi_dead_letter_t d1 = make_dl(SWI_REASON_INVALID_BSN, "elfproef failed", 10);
        swi_dead_letter_t d2 = make_dl(SWI_REASON_UNDECODABLE, "trailing bytes", 11);
        int64_t off;
        char *v;

        add_str(&e1, "gemeente", "GM0363");
        add_str(&e1, "opleidingsniveau", "MBO");
        add_int(&e1, "werkervaring", SWI_V_NULL, 0); /* absent optional */
        add_int(&e1, "jonge_kinderen", SWI_V_BOOL, 1);
        e1.has_vnr_ps = true;
        memset(e1.vnr_ps, 0xab, SWI_PSEUDO_LEN);
        add_str(&e2, "gemeente", "GM0599");
        add_str(&e2, "leerroute", "B1");
        add_int(&e2, "map", SWI_V_BOOL, 0);
        add_int(&e2, "uren", SWI_V_INT, -5);
        add_int(&e2, "geboortedatum", SWI_V_DATE, swi_date_from_ymd(1990, 12, 31));
        e2.has_corrects = true;
        snprintf(e2.corrects, sizeof(e2.corrects), "%s", "ABCDEF01-2345-4678-9ABC-DEF012345678");
        e3.has_retracts = true;
        snprintf(e3.retracts, sizeof(e3.retracts), "%s", ID(01));
        e3.has_bsn_ps = false;
        e3.registered_at = INT64_C(-1); /* 1969-12-31 23:59:59.999 */
        d2.type = SWI_EV_GEM_GEVESTIGD;
        d2.schema_id = 12;
        d2.kafka_timestamp_ms = INT64_C(1700000000000);

        add_ev(s, &e1, 0, 5);
        add_ev(s, &e2, 0, 6);
        add_ev(s, &e3, 1, 7);
        ck_assert_int_eq(swi_pg_sink_add_dead_letter(s, &d1), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_add_dead_letter(s, &d2), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 0, 12), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 1, 8), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_batch_count(s), 5);

        /* nothing reaches the server before commit */
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.dead_letters"), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.kafka_offsets"), 0);

        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 3);
        ck_assert_int_eq(st.duplicates, 0);
        ck_assert_int_eq(st.dead_letters, 2);
        ck_assert_int_eq(swi_pg_sink_batch_count(s), 0);

        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 3);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.dead_letters"), 2);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.duplicate_events"), 0);
        ck_assert_int_eq(swi_pg_sink_load_offset(s, "gemeente.events", 0, &off), SWI_OK);
        ck_assert_int_eq(off, 12);
        ck_assert_int_eq(swi_pg_sink_load_offset(s, "gemeente.events", 1, &off), SWI_OK);
        ck_assert_int_eq(off, 8);

        v = q_str("SELECT payload::text FROM swi.events WHERE event_id = $1", ID(01));
        ck_assert_str_eq(v, "{\"gemeente\": \"GM0363\", \"jonge_kinderen\": true, "
                            "\"opleidingsniveau\": \"MBO\"}");
        free(v);
        v = q_str("SELECT payload::text FROM swi.events WHERE event_id = $1", ID(02));
        ck_assert_str_eq(v, "{\"map\": false, \"uren\": -5, \"gemeente\": \"GM0599\", "
                            "\"leerroute\": \"B1\", \"geboortedatum\": \"1990-12-31\"}");
        free(v);
        v = q_str("SELECT concat_ws('|', source, event_type, encode(bsn_ps, 'hex'),"
                  " encode(vnr_ps, 'hex'), event_date, registered_at AT TIME ZONE 'UTC',"
                  " corrects, retracts, schema_id, kafka_topic, kafka_partition, kafka_offset)"
                  " FROM swi.events WHERE event_id = $1",
                  ID(02));
        ck_assert_str_eq(v, "gemeente|PipVastgesteld|"
                            "01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da|"
                            "2024-03-01|2024-03-01 11:00:00.123|"
                            "abcdef01-2345-4678-9abc-def012345678|7|gemeente.events|0|6");
        free(v);
        v = q_str("SELECT concat_ws('|', encode(vnr_ps, 'hex'), bsn_ps IS NULL, retracts,"
                  " registered_at AT TIME ZONE 'UTC') FROM swi.events WHERE event_id = $1",
                  ID(03));
        ck_assert_str_eq(v, "t|" ID(01) "|1969-12-31 23:59:59.999");
        free(v);
        v = q_str("SELECT encode(vnr_ps, 'hex') FROM swi.events WHERE event_id = $1", ID(01));
        ck_assert_str_eq(v, "abababababababababababababababababababababababababababababababab");
        free(v);
        v = q_str("SELECT concat_ws('|', reason, detail, source, coalesce(event_type, '-'),"
                  " coalesce(schema_id, -1), kafka_offset,"
                  " coalesce((kafka_timestamp AT TIME ZONE 'UTC')::text, '-'))"
                  " FROM swi_ops.dead_letters WHERE kafka_offset = $1::bigint",
                  "11");
        ck_assert_str_eq(v, "UNDECODABLE|trailing bytes|gemeente|Gevestigd|12|11|"
                            "2023-11-14 22:13:20");
        free(v);
        v = q_str("SELECT concat_ws('|', reason, coalesce(event_type, '-'),"
                  " coalesce(schema_id, -1), coalesce(kafka_timestamp::text, '-'))"
                  " FROM swi_ops.dead_letters WHERE kafka_offset = $1::bigint",
                  "10");
        ck_assert_str_eq(v, "INVALID_BSN|-|-1|-");
        free(v);

        /* an empty commit is fine and does nothing */
        ck_assert_int_eq(swi_pg_sink_commit(s, &st), SWI_OK);
        ck_assert_int_eq(st.events_inserted + st.duplicates + st.dead_letters, 0);
        swi_pg_sink_destroy(s);
}
END_TEST

START_TEST(test_pg_sink_duplicates_absorbed_and_recorded)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        swi_event_t e1 = make_event(SWI_EV_GEM_GEVESTIGD, ID(11));
        swi_event_t e2 = make_event(SWI_EV_GEM_GEVESTIGD, ID(12));
        swi_event_t e3 = make_event(SWI_EV_GEM_GEVESTIGD, ID(13));
        swi_event_t e4 = make_event(SWI_EV_GEM_GEVESTIGD, ID(14));
        swi_event_t d4 = make_event(SWI_EV_DUO_INTREKKING, ID(14)); /* other source: not a dup */
        char *v;

        /* within the batch: the first by offset wins */
        add_ev(s, &e1, 0, 100);
        add_ev(s, &e2, 0, 101);
        add_ev(s, &e1, 0, 102);
        add_ev(s, &e1, 0, 103);
        add_ev(s, &e4, 2, 20);
        add_ev(s, &e4, 2, 15); /* added out of order: offset 15 wins */
        ck_assert_int_eq(swi_pg_sink_add_event(s, &d4, "duo.events", 0, 1), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_batch_count(s), 7);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 0, 104), SWI_OK);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 4);
        ck_assert_int_eq(st.duplicates, 3);
        ck_assert_int_eq(q_int("SELECT kafka_offset FROM swi.events WHERE event_id = '" ID(11) "'"),
                         100);
        ck_assert_int_eq(q_int("SELECT kafka_offset FROM swi.events WHERE source = 'gemeente'"
                               " AND event_id = '" ID(14) "'"),
                         15);
        v = q_str("SELECT string_agg(kafka_partition || ':' || kafka_offset, ','"
                  " ORDER BY kafka_partition, kafka_offset) FROM swi_ops.duplicate_events",
                  NULL);
        ck_assert_str_eq(v, "0:102,0:103,2:20");
        free(v);

        /* against stored rows (a later batch re-delivers e2), mixed with a new one */
        add_ev(s, &e3, 0, 104);
        add_ev(s, &e2, 0, 105);
        add_ev(s, &e3, 0, 106);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 0, 107), SWI_OK);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 1);
        ck_assert_int_eq(st.duplicates, 2);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 5);
        ck_assert_int_eq(q_int("SELECT kafka_offset FROM swi.events WHERE event_id = '" ID(12) "'"),
                         101);
        v = q_str("SELECT string_agg(event_id || '@' || kafka_offset, ',' ORDER BY kafka_offset)"
                  " FROM swi_ops.duplicate_events WHERE kafka_offset > 100",
                  NULL);
        ck_assert_str_eq(v, ID(11) "@102," ID(11) "@103," ID(12) "@105," ID(13) "@106");
        free(v);

        /* a batch of nothing but stored duplicates */
        add_ev(s, &e1, 0, 107);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 0, 108), SWI_OK);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 0);
        ck_assert_int_eq(st.duplicates, 1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.duplicate_events"), 6);
        ck_assert_int_eq(q_int("SELECT next_offset FROM swi_ops.kafka_offsets"
                               " WHERE topic = 'gemeente.events' AND partition = 0"),
                         108);

        /* after batches with stored duplicates the keys are looked up first;
         * a batch without any then goes straight in */
        swi_event_t e5 = make_event(SWI_EV_GEM_GEVESTIGD, ID(15));
        add_ev(s, &e5, 0, 108);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 1);
        ck_assert_int_eq(st.duplicates, 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 6);
        swi_pg_sink_destroy(s);
}
END_TEST

START_TEST(test_pg_sink_failed_batch_leaves_nothing_and_recovers)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st = {-1, -1, -1};
        swi_event_t e1 = make_event(SWI_EV_GEM_GEVESTIGD, ID(21));
        swi_event_t e2 = make_event(SWI_EV_GEM_GEVESTIGD, ID(22));
        /* SWI_REASON_NONE ("NONE") is not a dead-letter reason: the CHECK fails */
        swi_dead_letter_t bad = make_dl(SWI_REASON_NONE, "not a reason", 3);
        swi_dead_letter_t good = make_dl(SWI_REASON_BAD_FRAMING, "short", 3);
        int64_t off;

        add_ev(s, &e1, 0, 1);
        add_ev(s, &e2, 0, 2);
        add_ev(s, &e1, 0, 4); /* an in-batch duplicate, to roll back as well */
        ck_assert_int_eq(swi_pg_sink_add_dead_letter(s, &bad), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 0, 5), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_commit(s, &st), SWI_ERR_PG);
        ck_assert_int_eq(st.events_inserted + st.duplicates + st.dead_letters, 0);
        ck_assert_msg(strstr(swi_pg_sink_errstr(s), "insert dead letters") != NULL, "%s",
                      swi_pg_sink_errstr(s));
        ck_assert_msg(strstr(swi_pg_sink_errstr(s), "dead_letters_reason_check") != NULL, "%s",
                      swi_pg_sink_errstr(s));
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.duplicate_events"), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.dead_letters"), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.kafka_offsets"), 0);
        ck_assert_int_eq(swi_pg_sink_load_offset(s, "gemeente.events", 0, &off), SWI_OK);
        ck_assert_int_eq(off, -2);

        /* the caller resets and re-consumes from the stored offset */
        swi_pg_sink_batch_reset(s);
        ck_assert_int_eq(swi_pg_sink_batch_count(s), 0);
        add_ev(s, &e1, 0, 1);
        add_ev(s, &e2, 0, 2);
        add_ev(s, &e1, 0, 4);
        ck_assert_int_eq(swi_pg_sink_add_dead_letter(s, &good), SWI_OK);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 0, 5), SWI_OK);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 2);
        ck_assert_int_eq(st.duplicates, 1);
        ck_assert_int_eq(st.dead_letters, 1);
        ck_assert_int_eq(swi_pg_sink_load_offset(s, "gemeente.events", 0, &off), SWI_OK);
        ck_assert_int_eq(off, 5);
        swi_pg_sink_destroy(s);
}
END_TEST

static void terminate_sink_backend(void)
{
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                 " WHERE datname = '%s' AND application_name = 'swi-stream'",
                 db_name);
        ck_assert_int_eq(q_int(sql), 1);
        /* wait until it is gone */
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'"
                 " AND application_name = 'swi-stream'",
                 db_name);
        for (int i = 0; i < 100 && q_int(sql) > 0; i++)
                usleep(20000);
}

START_TEST(test_pg_sink_reconnects_after_terminate_backend)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        swi_event_t e1 = make_event(SWI_EV_GEM_GEVESTIGD, ID(31));
        swi_event_t e2 = make_event(SWI_EV_GEM_GEVESTIGD, ID(32));
        int64_t off;

        add_ev(s, &e1, 0, 1);
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 0, 2), SWI_OK);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));

        /* idle connection killed between batches: the next commit reconnects */
        terminate_sink_backend();
        add_ev(s, &e2, 0, 2);
        add_ev(s, &e1, 0, 3); /* stored duplicate: exercises the staging path afresh */
        ck_assert_int_eq(swi_pg_sink_add_offset(s, "gemeente.events", 0, 4), SWI_OK);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 1);
        ck_assert_int_eq(st.duplicates, 1);

        /* and load_offset after another kill */
        terminate_sink_backend();
        ck_assert_msg(swi_pg_sink_load_offset(s, "gemeente.events", 0, &off) == SWI_OK, "%s",
                      swi_pg_sink_errstr(s));
        ck_assert_int_eq(off, 4);

        /* and migrate */
        terminate_sink_backend();
        ck_assert_msg(swi_pg_sink_migrate(s) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 2);
        swi_pg_sink_destroy(s);
}
END_TEST

/* Trajectory dates and timestamps go to PostgreSQL as pgio_date_text: every
 * year PostgreSQL holds reads back as the same day (swi_date_format's
 * "+10002-01-01" and "-0043-03-15" are not PostgreSQL input). */
START_TEST(test_pg_sink_date_text_any_year)
{
        const int32_t days[] = {swi_date_from_ymd(2024, 2, 29), swi_date_from_ymd(1, 1, 1),
                                swi_date_from_ymd(0, 12, 31),   swi_date_from_ymd(-43, 3, 15),
                                swi_date_from_ymd(10002, 1, 1), swi_date_from_ymd(5874897, 12, 31)};
        char text[PGIO_DATE_BUF];

        for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
                const char *vals[1] = {pgio_date_text(days[i], text)};
                PGresult *r = PQexecParams(vconn, "SELECT $1::date - DATE '1970-01-01'", 1, NULL,
                                           vals, NULL, NULL, 0);
                ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", text,
                              PQerrorMessage(vconn));
                ck_assert_msg(atoll(PQgetvalue(r, 0, 0)) == days[i], "%s read as %s", text,
                              PQgetvalue(r, 0, 0));
                PQclear(r);
        }
        ck_assert_str_eq(pgio_date_text(swi_date_from_ymd(-43, 3, 15), text), "0044-03-15 BC");
}
END_TEST

START_TEST(test_pg_sink_copy_escaping_roundtrips)
{
        static const char *const awkward[] = {
            "tab\there",
            "new\nline",
            "cr\rlf\r\n",
            "back\\slash\\",
            "\\N",
            "\\.",
            "dq\"sq'",
            "Zoë, Łódź €, 日本",
            "\x01\x1f\x7f",
            "}{\":,[]",
            "trailing space ",
            "",
            "emoji \xf0\x9f\x99\x82",
        };
        const int n = (int)(sizeof(awkward) / sizeof(awkward[0]));
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        char id[40], off[24];

        for (int i = 0; i < n; i++) {
                swi_event_t ev;
                swi_dead_letter_t dl;
                snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", 100 + i);
                ev = make_event(SWI_EV_GEM_WERK_GESTART, id);
                add_str(&ev, "sector", awkward[i]);
                add_str(&ev, awkward[i][0] ? awkward[i] : "k", "x");
                add_ev(s, &ev, 0, i);
                dl = make_dl(SWI_REASON_INVALID_VALUE, awkward[i], 1000 + i);
                ck_assert_int_eq(swi_pg_sink_add_dead_letter(s, &dl), SWI_OK);
        }
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, n);
        ck_assert_int_eq(st.dead_letters, n);

        for (int i = 0; i < n; i++) {
                const char *params[2];
                PGresult *r;
                snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", 100 + i);
                params[0] = id;
                params[1] = awkward[i][0] ? awkward[i] : "k";
                r = PQexecParams(vconn,
                                 "SELECT payload->>'sector', payload->>$2 FROM swi.events"
                                 " WHERE event_id = $1::uuid",
                                 2, NULL, params, NULL, NULL, 0);
                ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(vconn));
                ck_assert_int_eq(PQntuples(r), 1);
                ck_assert_msg(strcmp(PQgetvalue(r, 0, 0), awkward[i]) == 0, "payload %d: '%s'", i,
                              PQgetvalue(r, 0, 0));
                ck_assert_str_eq(PQgetvalue(r, 0, 1), "x");
                PQclear(r);

                snprintf(off, sizeof(off), "%d", 1000 + i);
                params[0] = off;
                r = PQexecParams(vconn,
                                 "SELECT detail FROM swi_ops.dead_letters"
                                 " WHERE kafka_offset = $1::bigint",
                                 1, NULL, params, NULL, NULL, 0);
                ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(vconn));
                ck_assert_int_eq(PQntuples(r), 1);
                ck_assert_msg(strcmp(PQgetvalue(r, 0, 0), awkward[i]) == 0, "detail %d: '%s'", i,
                              PQgetvalue(r, 0, 0));
                PQclear(r);
        }
        swi_pg_sink_destroy(s);
}
END_TEST

START_TEST(test_pg_sink_rejects_unusable_events_without_poisoning_batch)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        swi_event_t ok = make_event(SWI_EV_GEM_GEVESTIGD, ID(41));
        swi_event_t bad_id = make_event(SWI_EV_GEM_GEVESTIGD, "not-a-uuid");
        swi_event_t bad_utf8 = make_event(SWI_EV_GEM_GEVESTIGD, ID(42));
        swi_event_t bad_date = make_event(SWI_EV_GEM_GEVESTIGD, ID(43));
        swi_dead_letter_t dl = make_dl(SWI_REASON_INVALID_VALUE, "bad \xff\xfe utf8", 9);
        char *v;

        add_str(&bad_utf8, "gemeente", "GM\xc3");
        bad_date.event_date = swi_date_from_ymd(10000, 1, 1);
        add_ev(s, &ok, 0, 1);
        ck_assert_int_eq(swi_pg_sink_add_event(s, &bad_id, "gemeente.events", 0, 2),
                         SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_pg_sink_add_event(s, &bad_utf8, "gemeente.events", 0, 3),
                         SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_pg_sink_add_event(s, &bad_date, "gemeente.events", 0, 4),
                         SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(swi_pg_sink_batch_count(s), 1);
        /* dead letters must always go in: invalid UTF-8 in the detail is replaced */
        ck_assert_int_eq(swi_pg_sink_add_dead_letter(s, &dl), SWI_OK);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 1);
        v = q_str("SELECT detail FROM swi_ops.dead_letters", NULL);
        ck_assert_str_eq(v, "bad \xef\xbf\xbd\xef\xbf\xbd utf8");
        free(v);
        swi_pg_sink_destroy(s);
}
END_TEST

START_TEST(test_pg_sink_large_batch_grows_buffers)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        const int n = 20000;
        char id[40];

        for (int round = 0; round < 2; round++) {
                for (int i = 0; i < n; i++) {
                        swi_event_t ev;
                        /* round 1 repeats half of round 0's ids */
                        snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d",
                                 round * (n / 2) + i);
                        ev = make_event(SWI_EV_GEM_PARTICIPATIE_UREN, id);
                        add_str(&ev, "gemeente", "GM0363");
                        add_int(&ev, "uren", SWI_V_INT, i);
                        add_ev(s, &ev, i % 4, round * n + i);
                }
                ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
                ck_assert_int_eq(st.events_inserted, round == 0 ? n : n / 2);
                ck_assert_int_eq(st.duplicates, round == 0 ? 0 : n / 2);
        }
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), n + n / 2);
        swi_pg_sink_destroy(s);
}
END_TEST

/* ---- a later copy of a stored event is a duplicate (events.md) ------------ */

static void add_dl(swi_pg_sink_t *s, const swi_dead_letter_t *dl)
{
        ck_assert_msg(swi_pg_sink_add_dead_letter(s, dl) == SWI_OK, "add_dead_letter: %s",
                      swi_pg_sink_errstr(s));
}

static void commit_ok(swi_pg_sink_t *s, swi_batch_stats_t *st)
{
        ck_assert_msg(swi_pg_sink_commit(s, st) == SWI_OK, "commit: %s", swi_pg_sink_errstr(s));
}

/* A message rejected now whose event id is already stored is absorbed as a
 * duplicate of the stored event, whatever it is judged to be; the id's text
 * form does not matter, the source does; a dead letter without an id, or
 * with an unknown one, stays one. */
START_TEST(test_pg_sink_dead_letter_of_a_stored_event_is_a_duplicate)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        swi_event_t hex = make_event(SWI_EV_GEM_GEVESTIGD, ID(ab));
        swi_dead_letter_t same = make_dl(SWI_REASON_INVALID_VALUE, "LBT score 57", 11);
        swi_dead_letter_t other_src = make_dl(SWI_REASON_INVALID_VALUE, "x", 12);
        swi_dead_letter_t unknown = make_dl(SWI_REASON_IMPLAUSIBLE_DATE, "y", 13);
        swi_dead_letter_t no_id = make_dl(SWI_REASON_UNDECODABLE, "z", 14);

        add_ev(s, &hex, 0, 1);
        commit_ok(s, &st);
        same.event_id = "00000000-0000-4000-8000-0000000000AB";
        other_src.event_id = ID(ab);
        other_src.source = SWI_SRC_DUO;
        other_src.topic = "duo.events";
        unknown.event_id = ID(ac);
        add_dl(s, &same);
        add_dl(s, &other_src);
        add_dl(s, &unknown);
        add_dl(s, &no_id);
        ck_assert(swi_pg_sink_dead_letter_kept(s, 0)); /* not settled yet */
        ck_assert_msg(swi_pg_sink_settle_dead_letters(s) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert(!swi_pg_sink_dead_letter_kept(s, 0));
        ck_assert(swi_pg_sink_dead_letter_kept(s, 1));
        ck_assert(swi_pg_sink_dead_letter_kept(s, 2));
        ck_assert(swi_pg_sink_dead_letter_kept(s, 3));
        ck_assert_int_eq(swi_pg_sink_batch_count(s), 4); /* still four messages */
        commit_ok(s, &st);
        ck_assert_int_eq(st.dead_letters, 3);
        ck_assert_int_eq(st.duplicates, 1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.dead_letters"), 3);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.dead_letters WHERE kafka_offset = 11"),
                         0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.duplicate_events WHERE kafka_offset = "
                               "11 AND source = 'gemeente' AND event_id = '" ID(ab) "'"),
                         1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 1);
        swi_pg_sink_destroy(s);
}
END_TEST

/* Within one batch: a dead letter after an event with its id is absorbed
 * (in memory, as in-batch duplicates are); one before it stays a dead letter
 * - the same verdicts as with the two in separate batches. */
START_TEST(test_pg_sink_dead_letter_after_its_event_in_the_batch_is_a_duplicate)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        swi_event_t e1 = make_event(SWI_EV_GEM_GEVESTIGD, ID(71));
        swi_event_t e2 = make_event(SWI_EV_GEM_GEVESTIGD, ID(72));
        swi_dead_letter_t before = make_dl(SWI_REASON_INVALID_VALUE, "first", 1);
        swi_dead_letter_t after = make_dl(SWI_REASON_INVALID_VALUE, "later copy", 4);

        before.event_id = ID(71);
        after.event_id = ID(72);
        add_dl(s, &before);
        add_ev(s, &e1, 0, 2);
        add_ev(s, &e2, 0, 3);
        add_dl(s, &after);
        commit_ok(s, &st); /* settles by itself */
        ck_assert_int_eq(st.events_inserted, 2);
        ck_assert_int_eq(st.dead_letters, 1);
        ck_assert_int_eq(st.duplicates, 1);
        ck_assert_int_eq(q_int("SELECT kafka_offset FROM swi_ops.dead_letters"), 1);
        ck_assert_int_eq(q_int("SELECT kafka_offset FROM swi_ops.duplicate_events"), 4);
        swi_pg_sink_destroy(s);
}
END_TEST

/* Settling needs the server when an id is not in the batch: a connection
 * killed while idle is retried once; a real error is reported with its
 * purpose and changes nothing. */
START_TEST(test_pg_sink_settle_reports_pg_errors)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        swi_event_t e = make_event(SWI_EV_GEM_GEVESTIGD, ID(81));
        swi_dead_letter_t dl = make_dl(SWI_REASON_INVALID_VALUE, "later copy", 5);

        add_ev(s, &e, 0, 1);
        commit_ok(s, &st);
        dl.event_id = ID(81);
        add_dl(s, &dl);
        terminate_sink_backend();
        ck_assert_msg(swi_pg_sink_settle_dead_letters(s) == SWI_OK, "%s", swi_pg_sink_errstr(s));
        ck_assert(!swi_pg_sink_dead_letter_kept(s, 0));
        swi_pg_sink_batch_reset(s);

        add_dl(s, &dl);
        exec_ok(vconn, "ALTER TABLE swi.events RENAME TO events_gone");
        ck_assert_int_eq(swi_pg_sink_settle_dead_letters(s), SWI_ERR_PG);
        ck_assert_msg(strstr(swi_pg_sink_errstr(s), "look up dead letters' event ids: ") ==
                          swi_pg_sink_errstr(s),
                      "%s", swi_pg_sink_errstr(s));
        ck_assert(swi_pg_sink_dead_letter_kept(s, 0));
        ck_assert_int_eq(swi_pg_sink_batch_count(s), 1);
        exec_ok(vconn, "ALTER TABLE swi.events_gone RENAME TO events");
        commit_ok(s, &st);
        ck_assert_int_eq(st.dead_letters, 0);
        ck_assert_int_eq(st.duplicates, 1);
        swi_pg_sink_destroy(s);
}
END_TEST

/* ---- references are judged where the target is (events.md) ------------------ */

/* An event of person `bsn` (pseudonym bytes all = bsn) for the reference
 * tests, registered `hours` after a fixed start. */
static swi_event_t ref_ev(swi_evtype_t type, const char *id, int bsn, int days, int hours)
{
        swi_event_t ev = make_event(type, id);
        memset(ev.bsn_ps, bsn, SWI_PSEUDO_LEN);
        ev.event_date = swi_date_from_ymd(2024, 3, 1) + days;
        ev.registered_at = INT64_C(1709290800000) + (int64_t)hours * 3600000;
        if (type == SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN) {
                add_str(&ev, "wet", "WI2021");
                add_str(&ev, "doelgroep", "ASIEL");
        } else if (swi_evtype_source(type) == SWI_SRC_GEMEENTE && type != SWI_EV_GEM_INTREKKING) {
                add_str(&ev, "gemeente", "GM0363");
        }
        return ev;
}

enum { REF_TARGETS = 5, REF_REFS = 5 };

/* Person 0x11's events (the targets), then the references to them: a
 * correction with another person's BSN (0x22, who has nothing else), one of
 * another type, an Intrekking of an Intrekking, a correction of an
 * Intrekking - all invalid - and a retraction carrying another BSN (0x33),
 * which is valid: a retraction need not carry its target's identifiers. */
static void ref_events(swi_event_t t[REF_TARGETS], swi_event_t r[REF_REFS])
{
        t[0] = ref_ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, ID(01), 0x11, 0, 1);
        t[1] = ref_ev(SWI_EV_GEM_PIP_VASTGESTELD, ID(02), 0x11, 40, 2);
        add_str(&t[1], "leerroute", "B1");
        t[2] = ref_ev(SWI_EV_GEM_GEVESTIGD, ID(03), 0x11, 10, 3);
        t[3] = ref_ev(SWI_EV_GEM_BREDE_INTAKE_GESTART, ID(05), 0x11, 20, 4);
        t[4] = ref_ev(SWI_EV_GEM_INTREKKING, ID(04), 0x11, 21, 5);
        t[4].has_retracts = true;
        snprintf(t[4].retracts, sizeof(t[4].retracts), "%s", ID(05));

        r[0] = ref_ev(SWI_EV_GEM_PIP_VASTGESTELD, ID(11), 0x22, 41, 100);
        add_str(&r[0], "leerroute", "Z");
        r[0].has_corrects = true;
        snprintf(r[0].corrects, sizeof(r[0].corrects), "%s", ID(02));
        r[1] = ref_ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, ID(12), 0x11, 42, 101);
        add_str(&r[1], "leerroute", "Z");
        r[1].has_corrects = true;
        snprintf(r[1].corrects, sizeof(r[1].corrects), "%s", ID(02));
        r[2] = ref_ev(SWI_EV_GEM_INTREKKING, ID(13), 0x11, 43, 102);
        r[2].has_retracts = true;
        snprintf(r[2].retracts, sizeof(r[2].retracts), "%s", ID(04));
        r[3] = ref_ev(SWI_EV_GEM_BREDE_INTAKE_GESTART, ID(14), 0x11, 44, 103);
        r[3].has_corrects = true;
        snprintf(r[3].corrects, sizeof(r[3].corrects), "%s", ID(04));
        r[4] = ref_ev(SWI_EV_GEM_INTREKKING, ID(15), 0x33, 45, 104);
        r[4].has_retracts = true;
        snprintf(r[4].retracts, sizeof(r[4].retracts), "%s", ID(03));
}

static void add_any(swi_pg_sink_t *s, const swi_event_t *ev, int64_t offset)
{
        char topic[32];
        snprintf(topic, sizeof(topic), "%s.events", swi_source_name(ev->source));
        ck_assert_msg(swi_pg_sink_add_event(s, ev, topic, 0, offset) == SWI_OK, "add_event: %s",
                      swi_pg_sink_errstr(s));
}

/* Trajectories, versions, findings and reference edges as one text. */
static char *traj_dump(void)
{
        return q_str("SELECT coalesce(string_agg(x, E'\\n' ORDER BY x), '') FROM ("
                     "SELECT t::text x FROM swi.trajectories t UNION ALL "
                     "SELECT v::text FROM swi.trajectory_versions v UNION ALL "
                     "SELECT (f.person_kind, f.person_ps, f.kind, f.event_id, f.event_date, "
                     "f.target_event_id)::text FROM swi_ops.findings f UNION ALL "
                     "SELECT r::text FROM swi.reference_edges r) z",
                     NULL);
}

static void traj_reset(void)
{
        exec_ok(vconn, "TRUNCATE swi.events, swi.identity_edges, swi.reference_edges, "
                       "swi.trajectories, swi.trajectory_versions, swi_ops.findings, "
                       "swi_ops.publish_queue, swi_ops.kafka_offsets");
}

/* Whichever arrives first - targets, references, or all at once - the
 * invalid references are stored, have no effect and are INVALID_REFERENCE
 * findings with their targets' event ids (on the reference's own person,
 * also one with no other event), and the valid retraction with another BSN
 * takes effect: the same tables for every order. */
START_TEST(test_pg_traj_references_judged_where_the_target_is)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        swi_event_t t[REF_TARGETS], r[REF_REFS];
        char *dump[3];

        swi_pg_sink_set_trajectories(s, true);
        ref_events(t, r);
        for (int order = 0; order < 3; order++) {
                traj_reset();
                if (order == 0) { /* targets, then references */
                        for (int i = 0; i < REF_TARGETS; i++)
                                add_any(s, &t[i], i);
                        commit_ok(s, &st);
                        for (int i = 0; i < REF_REFS; i++)
                                add_any(s, &r[i], 10 + i);
                        commit_ok(s, &st);
                } else if (order == 1) { /* references first, one batch each */
                        for (int i = REF_REFS - 1; i >= 0; i--) {
                                add_any(s, &r[i], 10 + i);
                                commit_ok(s, &st);
                        }
                        for (int i = 0; i < REF_TARGETS; i++) {
                                add_any(s, &t[i], i);
                                commit_ok(s, &st);
                        }
                } else { /* one batch */
                        for (int i = 0; i < REF_REFS; i++)
                                add_any(s, &r[i], 10 + i);
                        for (int i = 0; i < REF_TARGETS; i++)
                                add_any(s, &t[i], i);
                        commit_ok(s, &st);
                }
                ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), REF_TARGETS + REF_REFS);
                dump[order] = traj_dump();
        }
        ck_assert_str_eq(dump[0], dump[1]);
        ck_assert_str_eq(dump[0], dump[2]);

        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.findings WHERE kind = "
                               "'INVALID_REFERENCE'"),
                         4);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.findings f JOIN swi.events e "
                               "ON e.event_id = f.event_id WHERE f.kind = 'INVALID_REFERENCE' "
                               "AND f.target_event_id = coalesce(e.corrects, e.retracts) "
                               "AND f.person_ps = e.bsn_ps AND f.event_date = e.event_date"),
                         4);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.findings WHERE kind LIKE 'PENDING%'"),
                         0);
        /* the correction with BSN 0x22: its person has a finding, no trajectory */
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.findings WHERE person_kind = 'BSN' "
                               "AND person_ps = '\\x2222222222222222222222222222222222222222222222"
                               "222222222222222222' AND event_id = '" ID(11) "'"),
                         1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.trajectories"), 1);
        /* no effect: the PIP's route is B1; the valid retraction removed the
         * vestiging; the retracted brede intake stays retracted */
        char *route = q_str("SELECT leerroute || ' ' || coalesce(vestiging_datum::text, '-') || ' ' "
                            "|| coalesce(brede_intake_start::text, '-') FROM swi.trajectories",
                            NULL);
        ck_assert_str_eq(route, "B1 - -");
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.reference_edges"), 2);
        free(route);
        for (int i = 0; i < 3; i++)
                free(dump[i]);
        swi_pg_sink_destroy(s);
}
END_TEST

/* Versions are closed by key and current rows rewritten only where versions
 * changed: batches that bring knowledge times older than the newest version
 * (a late event, and retractions registered before their targets, one of
 * which removes a person altogether, the other a change) leave the same
 * tables as all the events in one batch. */
START_TEST(test_pg_traj_late_knowledge_times_rewrite_versions)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        char *dump[2];
        swi_event_t e[8];

        swi_pg_sink_set_trajectories(s, true);
        /* person 0x11: plicht (K 1 h), PIP (K 10 h), a late Gevestigd (K 5 h);
         * person 0x44: only a Gevestigd (K 10 h) */
        e[0] = ref_ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, ID(01), 0x11, 0, 1);
        e[1] = ref_ev(SWI_EV_GEM_PIP_VASTGESTELD, ID(02), 0x11, 40, 10);
        add_str(&e[1], "leerroute", "B1");
        e[2] = ref_ev(SWI_EV_GEM_BREDE_INTAKE_GESTART, ID(03), 0x11, 20, 20);
        e[3] = ref_ev(SWI_EV_GEM_GEVESTIGD, ID(04), 0x44, 10, 10);
        e[4] = ref_ev(SWI_EV_GEM_GEVESTIGD, ID(05), 0x11, 10, 5); /* late: K 5 h */
        /* registered before their targets: of 0x44's only event (the person
         * never existed, then) and of the brede intake (no change after all) */
        e[5] = ref_ev(SWI_EV_GEM_INTREKKING, ID(06), 0x44, 50, 3);
        e[5].has_retracts = true;
        snprintf(e[5].retracts, sizeof(e[5].retracts), "%s", ID(04));
        e[6] = ref_ev(SWI_EV_GEM_INTREKKING, ID(07), 0x11, 50, 15);
        e[6].has_retracts = true;
        snprintf(e[6].retracts, sizeof(e[6].retracts), "%s", ID(03));
        for (int way = 0; way < 2; way++) {
                traj_reset();
                if (way == 0) {
                        for (int i = 0; i < 4; i++)
                                add_any(s, &e[i], i);
                        commit_ok(s, &st);
                        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.trajectories"), 2);
                        for (int i = 4; i < 7; i++) {
                                add_any(s, &e[i], i);
                                commit_ok(s, &st);
                        }
                } else {
                        for (int i = 0; i < 7; i++)
                                add_any(s, &e[i], i);
                        commit_ok(s, &st);
                }
                dump[way] = traj_dump();
        }
        ck_assert_str_eq(dump[0], dump[1]);
        /* 0x44 is gone; 0x11 has its vestiging and no brede intake */
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.trajectories"), 1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.trajectories WHERE vestiging_datum IS NOT "
                               "NULL AND brede_intake_start IS NULL"),
                         1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.trajectory_versions WHERE valid_to IS NULL"),
                         1);
        free(dump[0]);
        free(dump[1]);
        swi_pg_sink_destroy(s);
}
END_TEST

/* Versions the new knowledge times derive again, but unchanged, are not
 * written again, nor the current row of their key: a correction with
 * another person's BSN, registered before the newest version of its
 * target's person, joins the two clusters and so re-derives that person's
 * versions from its knowledge time on, which it does not change (it is an
 * invalid reference: no effect). Same tables as in one batch. */
START_TEST(test_pg_traj_unchanged_versions_are_not_rewritten)
{
        swi_pg_sink_t *s = new_sink();
        swi_batch_stats_t st;
        char *dump[2], *before = NULL;
        swi_event_t e[3];
        static const char rows_of_11[] =
            "SELECT string_agg(x, ',' ORDER BY x) FROM ("
            "SELECT v.valid_from::text || '/' || v.xmin::text x FROM swi.trajectory_versions v "
            "WHERE v.person_ps = '\\x1111111111111111111111111111111111111111111111111111111111111111' "
            "UNION ALL SELECT 'current/' || t.xmin::text FROM swi.trajectories t "
            "WHERE t.person_ps = '\\x1111111111111111111111111111111111111111111111111111111111111111') z";

        swi_pg_sink_set_trajectories(s, true);
        e[0] = ref_ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, ID(01), 0x11, 0, 1);
        e[1] = ref_ev(SWI_EV_GEM_PIP_VASTGESTELD, ID(02), 0x11, 40, 10);
        add_str(&e[1], "leerroute", "B1");
        e[2] = ref_ev(SWI_EV_GEM_PIP_VASTGESTELD, ID(03), 0x22, 41, 3); /* K 3 h */
        add_str(&e[2], "leerroute", "Z");
        e[2].has_corrects = true;
        snprintf(e[2].corrects, sizeof(e[2].corrects), "%s", ID(02));
        for (int way = 0; way < 2; way++) {
                traj_reset();
                if (way == 0) {
                        add_any(s, &e[0], 0);
                        add_any(s, &e[1], 1);
                        commit_ok(s, &st);
                        before = q_str(rows_of_11, NULL);
                        add_any(s, &e[2], 2);
                        commit_ok(s, &st);
                        char *after = q_str(rows_of_11, NULL);
                        ck_assert_str_eq(after, before);
                        free(after);
                        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.reference_edges"), 1);
                } else {
                        for (int i = 0; i < 3; i++)
                                add_any(s, &e[i], i);
                        commit_ok(s, &st);
                }
                dump[way] = traj_dump();
        }
        ck_assert_str_eq(dump[0], dump[1]);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.findings WHERE kind = "
                               "'INVALID_REFERENCE'"),
                         1);
        free(before);
        free(dump[0]);
        free(dump[1]);
        swi_pg_sink_destroy(s);
}
END_TEST

typedef struct traj_thread_s {
        const swi_event_t *ev;
        int64_t offset;
        swi_err_t rc;
        char err[1024];
} traj_thread_t;

static void *traj_commit_main(void *arg)
{
        traj_thread_t *a = arg;
        char e[512];
        swi_batch_stats_t st;
        swi_pg_sink_t *s = swi_pg_sink_new(db_conninfo, "test-group", e, sizeof(e));
        if (!s) {
                a->rc = SWI_ERR_PG;
                snprintf(a->err, sizeof(a->err), "%s", e);
                return NULL;
        }
        swi_pg_sink_set_trajectories(s, true);
        char topic[32];
        snprintf(topic, sizeof(topic), "%s.events", swi_source_name(a->ev->source));
        a->rc = swi_pg_sink_add_event(s, a->ev, topic, 1, a->offset);
        if (a->rc == SWI_OK)
                a->rc = swi_pg_sink_commit(s, &st);
        snprintf(a->err, sizeof(a->err), "%s", swi_pg_sink_errstr(s));
        swi_pg_sink_destroy(s);
        return NULL;
}

/* Two instances commit a correction with another BSN and its target at the
 * same moment: both wait for the lock of the target's event id, so the later
 * one sees the other's event and the reference is judged (without that lock
 * each looked for the other before either committed, and the correction
 * stayed pending for ever). */
START_TEST(test_pg_traj_reference_and_target_committed_at_once)
{
        swi_pg_sink_t *s = new_sink(); /* migrates */
        swi_event_t t[REF_TARGETS], r[REF_REFS];
        PGconn *side = connect_or_fail(db_conninfo);
        pthread_t th[2];
        traj_thread_t arg[2] = {{.ev = NULL}};

        ref_events(t, r);
        /* every trajectory lock bucket ("SWI\0" + 0..511), held by a session */
        exec_ok(side, "SELECT count(pg_advisory_lock(1398229248 + i)) FROM generate_series(0, 511) i");
        arg[0].ev = &t[1]; /* the PIP */
        arg[0].offset = 1;
        arg[1].ev = &r[0]; /* its correction with BSN 0x22 */
        arg[1].offset = 2;
        for (int i = 0; i < 2; i++)
                ck_assert_int_eq(pthread_create(&th[i], NULL, traj_commit_main, &arg[i]), 0);
        /* both batches inserted their event and wait for a lock */
        for (int tries = 0; tries < 600; tries++) {
                if (q_int("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT "
                          "granted") >= 2)
                        break;
                usleep(50000);
        }
        ck_assert_int_eq(q_int("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT "
                               "granted"),
                         2);
        exec_ok(side, "SELECT pg_advisory_unlock_all()");
        for (int i = 0; i < 2; i++) {
                pthread_join(th[i], NULL);
                ck_assert_msg(arg[i].rc == SWI_OK, "commit %d: %s", i, arg[i].err);
        }
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.reference_edges"), 1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.findings WHERE kind = "
                               "'INVALID_REFERENCE' AND event_id = '" ID(11) "' AND "
                               "target_event_id = '" ID(02) "'"),
                         1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.findings WHERE kind LIKE 'PENDING%'"),
                         0);
        PQfinish(side);
        swi_pg_sink_destroy(s);
}
END_TEST

/* The live figures on a new day: every value moves to the new peildatum,
 * even when no value changed (found in review: the delta path wrote nothing
 * then, and 'actueel' kept yesterday's peildatum). */
START_TEST(test_live_new_day_moves_every_value)
{
        swi_pg_sink_t *s = new_sink();
        swi_live_stats_t st;
        char err[1024] = "", sql[256];
        const int64_t day1 = (int64_t)swi_date_from_ymd(2025, 1, 10) * 86400000 + 3600000;
        const int64_t day2 = day1 + 86400000;

        swi_pg_sink_destroy(s);
        /* twelve persons with an obligation since 2023, known long before both days */
        exec_ok(vconn, "INSERT INTO swi.events (source, event_id, event_type, bsn_ps, event_date, "
                       "registered_at, payload, schema_id, kafka_topic, kafka_partition, kafka_offset) "
                       "SELECT 'duo', ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, "
                       "'InburgeringsplichtOntstaan', sha256(i::text::bytea), DATE '2023-03-01', "
                       "timestamptz '2023-03-02', '{\"wet\": \"WI2021\", \"doelgroep\": \"ASIEL\"}', "
                       "1, 'duo.events', 0, i FROM generate_series(1, 12) i");
        swi_live_t *l = swi_live_new(db_conninfo, 5, 10);
        ck_assert_ptr_nonnull(l);
        ck_assert_msg(swi_live_round(l, day1, &st, err, sizeof(err)) == SWI_OK, "%s", err);
        ck_assert(st.leader && st.rebuild);
        ck_assert_int_gt(st.rows, 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_pub.indicator_values "
                               "WHERE publication = 'actueel' AND peildatum = '2025-01-10'"),
                         st.rows);

        ck_assert_msg(swi_live_round(l, day2, &st, err, sizeof(err)) == SWI_OK, "%s", err);
        ck_assert(st.rebuild);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM swi_pub.indicator_values "
                                   "WHERE publication = 'actueel' AND peildatum = '2025-01-11'");
        ck_assert_int_eq(q_int(sql), st.rows);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_pub.indicator_values "
                               "WHERE publication = 'actueel' AND peildatum <> '2025-01-11'"),
                         0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_pub.publications "
                               "WHERE name = 'actueel' AND peildatum = '2025-01-11'"),
                         1);
        swi_live_free(l);
}
END_TEST

/* ---- the live figures: queued keys, clusters derived again ------------- */

static int live_eid; /* event ids within one test */

/* One batch of one event of person `who` (BSN pseudonym bytes = who), with a
 * V-nummer too when vnr > 0 (vnr-only when who == 0). */
static void live_batch(swi_pg_sink_t *s, swi_evtype_t type, int who, int vnr, int32_t date,
                       const char *f1, const char *v1)
{
        char id[64];
        swi_batch_stats_t st;
        snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", ++live_eid);
        swi_event_t ev = make_event(type, id);
        ev.has_bsn_ps = who > 0;
        memset(ev.bsn_ps, who, SWI_PSEUDO_LEN);
        ev.has_vnr_ps = vnr > 0;
        memset(ev.vnr_ps, 0x80 | vnr, SWI_PSEUDO_LEN);
        ev.event_date = date;
        if (type == SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN) {
                add_str(&ev, "wet", "WI2021");
                add_str(&ev, "doelgroep", "ASIEL");
        }
        if (f1)
                add_str(&ev, f1, v1);
        add_ev(s, &ev, 0, live_eid);
        ck_assert_msg(swi_pg_sink_commit(s, &st) == SWI_OK, "%s", swi_pg_sink_errstr(s));
}

static swi_pg_sink_t *live_sink(void)
{
        swi_pg_sink_t *s = new_sink();
        swi_pg_sink_set_trajectories(s, true);
        live_eid = 0;
        return s;
}

/* 'actueel' (base 1, threshold 1: every count shows) against a from-scratch
 * publication at the same P: the number of cells that differ. */
static int64_t live_differs_from_scratch(int64_t now_ms, int64_t persons)
{
        swi_publish_opts_t o = {.name = "scratch", .peildatum = (int32_t)(now_ms / 86400000),
                                .known_at = now_ms + 60000, .rounding_base = 1, .threshold = 1};
        swi_publish_stats_t ps;
        char err[1024] = "";
        ck_assert_msg(swi_pg_publish(db_conninfo, &o, &ps, err, sizeof(err)) == SWI_OK, "%s", err);
        ck_assert_int_eq(ps.persons, persons);
        ck_assert_int_gt(ps.rows, 0);
        return q_int("SELECT count(*) FROM (SELECT * FROM swi_pub.indicator_values "
                     "WHERE publication = 'actueel') a FULL JOIN (SELECT * FROM "
                     "swi_pub.indicator_values WHERE publication = 'scratch') x USING (cell) "
                     "WHERE a.cell IS NULL OR x.cell IS NULL OR a.peildatum <> x.peildatum "
                     "OR a.value IS DISTINCT FROM x.value OR a.onderdrukt <> x.onderdrukt");
}

static int64_t wall_ms(void)
{
        return (int64_t)time(NULL) * 1000;
}

/* One round now, which must succeed. */
static void live_round_ok(swi_live_t *l, swi_live_stats_t *st)
{
        char err[1024] = "";
        ck_assert_msg(swi_live_round(l, wall_ms(), st, err, sizeof(err)) == SWI_OK, "%s", err);
}

/* The queue carries keys only; a round derives each queued cluster once
 * from the events of its snapshot, however many drained batches name it
 * (else person 1 would be held twice, with its older state). */
START_TEST(test_live_rederives_each_queued_cluster_once)
{
        swi_pg_sink_t *s = live_sink();
        swi_live_stats_t st;
        const int32_t d = swi_date_from_ymd(2024, 3, 1);

        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 1, 0, d, NULL, NULL);
        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 2, 0, d, NULL, NULL);
        /* the queue rows hold keys, no persons */
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue WHERE persons IS NULL"), 2);
        swi_live_t *l = swi_live_new(db_conninfo, 1, 1);
        live_round_ok(l, &st);
        ck_assert(st.leader && st.rebuild);
        ck_assert_int_eq(st.persons, 2);

        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 3, 0, d, NULL, NULL);
        /* with a publisher running too (no check for one, no persons at today) */
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue WHERE persons IS NOT NULL"), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue WHERE length(keys) = 33"), 1);
        live_batch(s, SWI_EV_GEM_GEVESTIGD, 1, 0, d + 10, "gemeente", "GM0363");
        live_batch(s, SWI_EV_GEM_PIP_VASTGESTELD, 1, 0, d + 40, "gemeente", "GM0363");
        live_round_ok(l, &st);
        ck_assert(!st.rebuild && !st.idle);
        ck_assert_int_eq(st.batches, 3);
        ck_assert_int_eq(st.clusters, 2); /* person 3's and person 1's, each once */
        ck_assert_int_eq(st.persons, 3);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 3), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue"), 0);
        swi_live_free(l);
        swi_pg_sink_destroy(s);
}
END_TEST

/* A cluster merge: the V-nummer-only person and the BSN person become one;
 * the merged cluster's person replaces both, in the same round or a later one. */
START_TEST(test_live_persons_follow_a_merge)
{
        swi_pg_sink_t *s = live_sink();
        swi_live_stats_t st;
        const int32_t d = swi_date_from_ymd(2024, 3, 1);

        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 1, 0, d, NULL, NULL);
        swi_live_t *l = swi_live_new(db_conninfo, 1, 1);
        live_round_ok(l, &st);
        ck_assert(st.rebuild);
        /* a V-nummer-only person, published on its own first */
        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 0, 5, d, NULL, NULL);
        live_round_ok(l, &st);
        ck_assert_int_eq(st.clusters, 1);
        ck_assert_int_eq(st.persons, 2);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 2), 0);
        /* BSN 2 is linked to V-nummer 5 (only BsnToegekend links, §2): one person */
        live_batch(s, SWI_EV_IND_BSN_TOEGEKEND, 2, 5, d + 5, NULL, NULL);
        live_round_ok(l, &st);
        ck_assert_int_eq(st.clusters, 1);
        ck_assert_int_eq(st.persons, 2);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 2), 0);
        /* the same, with the separate and the merging batch in one round */
        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 0, 6, d, NULL, NULL);
        live_batch(s, SWI_EV_IND_BSN_TOEGEKEND, 3, 6, d + 5, NULL, NULL);
        live_round_ok(l, &st);
        ck_assert_int_eq(st.batches, 2);
        ck_assert_int_eq(st.clusters, 1); /* both rows' keys are one cluster now */
        ck_assert_int_eq(st.persons, 3);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 3), 0);
        swi_live_free(l);
        swi_pg_sink_destroy(s);
}
END_TEST

/* Queue rows from an older build also hold the persons their batch derived
 * (a blob in swi_ops.publish_queue.persons): accepted, the blob ignored and
 * the clusters derived from their events - whatever the blob holds (here:
 * an old header with garbage behind it, a truncated one, none). */
START_TEST(test_live_ignores_persons_in_old_queue_rows)
{
        swi_pg_sink_t *s = live_sink();
        swi_live_stats_t st;
        const int32_t d = swi_date_from_ymd(2024, 3, 1);

        for (int p = 1; p <= 4; p++)
                live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, p, 0, d, NULL, NULL);
        swi_live_t *l = swi_live_new(db_conninfo, 1, 1);
        live_round_ok(l, &st);
        ck_assert(st.rebuild);

        live_batch(s, SWI_EV_GEM_GEVESTIGD, 2, 0, d + 3, "gemeente", "GM0363");
        live_batch(s, SWI_EV_GEM_GEVESTIGD, 3, 0, d + 3, "gemeente", "GM0363");
        live_batch(s, SWI_EV_GEM_GEVESTIGD, 4, 0, d + 3, "gemeente", "GM0363");
        live_batch(s, SWI_EV_GEM_GEVESTIGD, 1, 0, d + 3, "gemeente", "GM0344");
        live_batch(s, SWI_EV_GEM_PIP_VASTGESTELD, 1, 0, d + 30, "gemeente", "GM0344");
        /* the old layout's header ("SWIP", size, rules tag, P) and 4,000 bytes */
        exec_ok(vconn, "UPDATE swi_ops.publish_queue SET persons = '\\x53574950'::bytea "
                       "|| decode(repeat('ab', 4020), 'hex') "
                       "WHERE id <> (SELECT min(id) + 2 FROM swi_ops.publish_queue)");
        exec_ok(vconn, "UPDATE swi_ops.publish_queue SET persons = '\\x5357'::bytea "
                       "WHERE id = (SELECT max(id) FROM swi_ops.publish_queue)");
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue WHERE persons IS NOT NULL"), 4);
        live_round_ok(l, &st);
        ck_assert_int_eq(st.batches, 5);
        ck_assert_int_eq(st.clusters, 4);
        ck_assert_int_eq(st.persons, 4);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 4), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue"), 0);
        swi_live_free(l);
        swi_pg_sink_destroy(s);
}
END_TEST

/* ---- overlap: a round's write runs while the next round reads ---------- */

/* Waits until the live writer's backend waits for a lock (up to 10 s). */
static bool live_writer_blocked(void)
{
        for (int i = 0; i < 200; i++) {
                if (q_int("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                          "'swi-live writer' AND wait_event_type = 'Lock'") == 1)
                        return true;
                usleep(50000);
        }
        return false;
}

/* A publisher whose writes run while the next round reads and computes. */
static swi_live_t *live_overlapped(void)
{
        swi_live_t *l = swi_live_new(db_conninfo, 1, 1);
        ck_assert_ptr_nonnull(l);
        swi_live_set_overlap(l, true);
        return l;
}

/* Waits for the write in flight, which must succeed. */
static void live_flush_ok(swi_live_t *l, swi_live_stats_t *st)
{
        char err[1024] = "";
        ck_assert_msg(swi_live_flush(l, st, err, sizeof(err)) == SWI_OK, "%s", err);
}

/* A connection holding a lock on swi_pub.publications in an open
 * transaction: the live writer waits for it, nothing else does. */
static PGconn *lock_publications(void)
{
        PGconn *side = PQconnectdb(db_conninfo);
        ck_assert_int_eq(PQstatus(side), CONNECTION_OK);
        exec_ok(side, "BEGIN");
        exec_ok(side, "LOCK TABLE swi_pub.publications IN EXCLUSIVE MODE");
        return side;
}

static void *commit_after_300ms(void *conn)
{
        usleep(300000);
        PQclear(PQexec(conn, "COMMIT"));
        return NULL;
}

/* With overlap, a round returns while its write runs; the next round reads
 * every queue row except those being written (here: while that write waits
 * for a lock, so they are all still there) and writes only after that
 * write committed. Without the exclusion it would take those rows twice. */
START_TEST(test_live_overlap_reads_past_the_write_in_flight)
{
        swi_pg_sink_t *s = live_sink();
        swi_live_stats_t st;
        const int32_t d = swi_date_from_ymd(2024, 3, 1);

        for (int p = 1; p <= 3; p++)
                live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, p, 0, d, NULL, NULL);
        PGconn *side = lock_publications();
        swi_live_t *l = live_overlapped();
        live_round_ok(l, &st); /* the rebuild: its write waits for the lock */
        ck_assert(st.leader && st.in_flight && !st.completed && !st.idle);
        ck_assert(live_writer_blocked());

        live_batch(s, SWI_EV_GEM_GEVESTIGD, 1, 0, d + 3, "gemeente", "GM0363");
        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 4, 0, d, NULL, NULL);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue"), 5);
        pthread_t th;
        ck_assert_int_eq(pthread_create(&th, NULL, commit_after_300ms, side), 0);
        live_round_ok(l, &st); /* reads 2 rows; collects the rebuild; starts its write */
        pthread_join(th, NULL);
        PQfinish(side);
        ck_assert(st.completed && st.rebuild && st.in_flight);
        ck_assert_int_eq(st.batches, 3);
        ck_assert_int_eq(st.persons, 3);
        ck_assert_int_eq(st.nlags, 3);

        live_flush_ok(l, &st);
        ck_assert(st.completed && !st.rebuild && !st.in_flight);
        ck_assert_int_eq(st.batches, 2);
        ck_assert_int_eq(st.clusters, 2);
        ck_assert_int_eq(st.persons, 4);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue"), 0);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_lag"), 5);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 4), 0);

        live_round_ok(l, &st); /* nothing queued, nothing in flight */
        ck_assert(st.idle && !st.completed && !st.in_flight);
        live_flush_ok(l, &st);
        ck_assert(st.idle);
        swi_live_free(l);
        swi_pg_sink_destroy(s);
}
END_TEST

typedef struct late_batch_s {
        swi_pg_sink_t *s;
        PGconn *side;
        int32_t d;
} late_batch_t;

/* 300 ms on: a batch of person 5; 300 ms later: releases the side lock. */
static void *late_batch_then_release(void *arg)
{
        late_batch_t *b = arg;
        usleep(300000);
        live_batch(b->s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 5, 0, b->d, NULL, NULL);
        usleep(300000);
        PQclear(PQexec(b->side, "COMMIT"));
        return NULL;
}

/* A round that finds nothing queued while a write is in flight waits for
 * that write or for a batch, whichever comes first: a batch committing
 * meanwhile is read and computed at once, not after the write. */
START_TEST(test_live_overlap_takes_a_batch_during_a_write)
{
        swi_pg_sink_t *s = live_sink();
        swi_live_stats_t st;
        const int32_t d = swi_date_from_ymd(2024, 3, 1);

        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 1, 0, d, NULL, NULL);
        swi_live_t *l = live_overlapped();
        live_round_ok(l, &st);
        live_flush_ok(l, &st);

        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 2, 0, d, NULL, NULL);
        late_batch_t b = {s, lock_publications(), d};
        live_round_ok(l, &st); /* person 2: its write waits for the lock */
        ck_assert(st.in_flight && !st.completed);
        ck_assert(live_writer_blocked());
        pthread_t th;
        ck_assert_int_eq(pthread_create(&th, NULL, late_batch_then_release, &b), 0);
        live_round_ok(l, &st); /* nothing queued; then person 5's batch */
        pthread_join(th, NULL);
        PQfinish(b.side);
        ck_assert(st.completed && st.in_flight); /* person 2's write, and person 5's started */
        ck_assert_int_eq(st.batches, 1);
        ck_assert_int_eq(st.persons, 2);
        live_flush_ok(l, &st);
        ck_assert(st.completed && !st.in_flight);
        ck_assert_int_eq(st.batches, 1);
        ck_assert_int_eq(st.clusters, 1);
        ck_assert_int_eq(st.persons, 3);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 3), 0);
        swi_live_free(l);
        swi_pg_sink_destroy(s);
}
END_TEST

/* When 'actueel' is not what the publisher wrote last (here: values deleted
 * and changed behind its back), a round's update hits fewer rows than it
 * expects and the write rewrites everything: the figures come out right. */
START_TEST(test_live_rewrites_a_table_changed_behind_its_back)
{
        swi_pg_sink_t *s = live_sink();
        swi_live_stats_t st;
        const int32_t d = swi_date_from_ymd(2024, 3, 1);

        for (int p = 1; p <= 3; p++)
                live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, p, 0, d, NULL, NULL);
        swi_live_t *l = live_overlapped();
        live_round_ok(l, &st);
        live_flush_ok(l, &st);
        ck_assert(st.completed && st.rebuild);
        int64_t rows = st.rows;

        /* behind its back: every value of the populatie family goes */
        exec_ok(vconn, "DELETE FROM swi_pub.indicator_values WHERE publication = 'actueel' "
                       "AND family = 1");
        ck_assert_int_lt(q_int("SELECT count(*) FROM swi_pub.indicator_values "
                               "WHERE publication = 'actueel'"),
                         rows);
        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 4, 0, d, NULL, NULL);
        live_round_ok(l, &st);
        live_flush_ok(l, &st);
        ck_assert(st.completed && !st.rebuild);
        ck_assert_int_eq(st.rows_written, st.rows); /* everything, not the difference */
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_pub.indicator_values "
                               "WHERE publication = 'actueel'"),
                         st.rows);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 4), 0);
        swi_live_free(l);
        swi_pg_sink_destroy(s);
}
END_TEST

/* A write that fails (its connection is gone) is reported when collected;
 * the next round rebuilds from the snapshot, takes the failed round's queue
 * row again, and 'actueel' comes out right. */
START_TEST(test_live_overlap_failed_write_rebuilds)
{
        swi_pg_sink_t *s = live_sink();
        swi_live_stats_t st;
        char err[1024] = "";
        const int32_t d = swi_date_from_ymd(2024, 3, 1);

        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 1, 0, d, NULL, NULL);
        swi_live_t *l = live_overlapped();
        live_round_ok(l, &st);
        live_flush_ok(l, &st);
        ck_assert(st.completed && st.rebuild);

        ck_assert_int_eq(q_int("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE application_name = 'swi-live writer'"),
                         1);
        live_batch(s, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, 2, 0, d, NULL, NULL);
        live_round_ok(l, &st); /* its write fails at once */
        ck_assert(st.in_flight);
        ck_assert(swi_live_flush(l, &st, err, sizeof(err)) != SWI_OK);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue"), 1);

        live_round_ok(l, &st); /* reconnects and rebuilds */
        live_flush_ok(l, &st);
        ck_assert(st.completed && st.rebuild);
        ck_assert_int_eq(st.batches, 1);
        ck_assert_int_eq(st.persons, 2);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.publish_queue"), 0);
        ck_assert_int_eq(live_differs_from_scratch(wall_ms(), 2), 0);
        swi_live_free(l);
        swi_pg_sink_destroy(s);
}
END_TEST

/* The sink interface (sinks/sink.h) over the PostgreSQL sink: what the
 * pipeline calls reaches swi_pg_sink_*, the offsets commit with the rows, and
 * the open configuration's trajectory switch takes effect. */
START_TEST(test_pg_sink_interface_commits_rows_and_offsets)
{
        swi_sink_conf_t conf = {.conninfo = db_conninfo, .group_id = "test-group"};
        swi_event_t t[REF_TARGETS], r[REF_REFS];
        swi_batch_stats_t st = {-1, -1, -1};
        swi_dead_letter_t dl = make_dl(SWI_REASON_UNDECODABLE, "truncated", 7);
        char err[512] = "";
        int64_t off = 0;
        swi_sink_t *s;

        swi_sink_close(NULL); /* a no-op */
        conf.conninfo = "host=/nonexistent-swi-socket-dir connect_timeout=1";
        ck_assert_ptr_null(swi_sink_open(&swi_pg_sink_ops, &conf, err, sizeof(err)));
        ck_assert_msg(err[0] != '\0', "no error text");
        conf.conninfo = db_conninfo;

        s = swi_sink_open(&swi_pg_sink_ops, &conf, err, sizeof(err));
        ck_assert_msg(s != NULL, "open: %s", err);
        ck_assert_str_eq(swi_sink_name(s), "postgresql");
        ck_assert_msg(swi_sink_migrate(s) == SWI_OK, "migrate: %s", swi_sink_errstr(s));
        ck_assert_int_eq(swi_sink_ping(s), SWI_OK);
        ck_assert_int_eq(swi_sink_load_offset(s, "gemeente.events", 0, &off), SWI_OK);
        ck_assert_int_eq(off, -2);

        ref_events(t, r);
        ck_assert_int_eq(swi_sink_add_event(s, &t[0], "duo.events", 0, 0), SWI_OK);
        ck_assert_int_eq(swi_sink_add_offset(s, "duo.events", 0, 1), SWI_OK);
        ck_assert_int_eq(swi_sink_add_dead_letter(s, &dl), SWI_OK);
        ck_assert_int_eq(swi_sink_add_offset(s, "gemeente.events", 0, 8), SWI_OK);
        ck_assert_int_eq(swi_sink_batch_count(s), 2);
        ck_assert_int_eq(swi_sink_settle_dead_letters(s), SWI_OK);
        ck_assert(swi_sink_dead_letter_kept(s, 0));
        ck_assert_msg(swi_sink_commit(s, &st) == SWI_OK, "commit: %s", swi_sink_errstr(s));
        ck_assert_int_eq(st.events_inserted, 1);
        ck_assert_int_eq(st.duplicates, 0);
        ck_assert_int_eq(st.dead_letters, 1);
        ck_assert_int_eq(swi_sink_batch_count(s), 0);
        ck_assert_int_eq(swi_sink_load_offset(s, "gemeente.events", 0, &off), SWI_OK);
        ck_assert_int_eq(off, 8);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 1);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi_ops.dead_letters WHERE kafka_offset = 7"),
                         1);
        /* trajectories off (the default): none derived */
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.trajectories"), 0);

        /* a batch dropped leaves nothing */
        ck_assert_int_eq(swi_sink_add_event(s, &t[1], "gemeente.events", 0, 8), SWI_OK);
        ck_assert_int_eq(swi_sink_add_offset(s, "gemeente.events", 0, 9), SWI_OK);
        swi_sink_batch_reset(s);
        ck_assert_int_eq(swi_sink_batch_count(s), 0);
        ck_assert_int_eq(swi_sink_commit(s, &st), SWI_OK);
        ck_assert_int_eq(swi_sink_load_offset(s, "gemeente.events", 0, &off), SWI_OK);
        ck_assert_int_eq(off, 8);
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.events"), 1);
        swi_sink_close(s);

        /* trajectories on: the batch derives its person's trajectory */
        conf.trajectories = true;
        s = swi_sink_open(&swi_pg_sink_ops, &conf, err, sizeof(err));
        ck_assert_msg(s != NULL, "open: %s", err);
        ck_assert_int_eq(swi_sink_add_event(s, &t[1], "gemeente.events", 0, 8), SWI_OK);
        ck_assert_int_eq(swi_sink_add_offset(s, "gemeente.events", 0, 9), SWI_OK);
        ck_assert_msg(swi_sink_commit(s, &st) == SWI_OK, "commit: %s", swi_sink_errstr(s));
        ck_assert_int_eq(q_int("SELECT count(*) FROM swi.trajectories"), 1);
        ck_assert_int_eq(swi_sink_load_offset(s, "gemeente.events", 0, &off), SWI_OK);
        ck_assert_int_eq(off, 9);
        swi_sink_close(s);
}
END_TEST

static Suite *pg_sink_suite(void)
{
        Suite *su = suite_create("pg_sink");
        TCase *tc = tcase_create("pg");

        tcase_set_timeout(tc, 120);
        tcase_add_checked_fixture(tc, db_setup, db_teardown);
        tcase_add_test(tc, test_pg_sink_migrate_twice_is_noop);
        tcase_add_test(tc, test_pg_sink_schema_is_documented);
        tcase_add_test(tc, test_pg_sink_sources_match_migrations);
        tcase_add_test(tc, test_pg_sink_load_offset_none_is_beginning);
        tcase_add_test(tc, test_pg_sink_batch_commits_atomically_with_stats);
        tcase_add_test(tc, test_pg_sink_duplicates_absorbed_and_recorded);
        tcase_add_test(tc, test_pg_sink_failed_batch_leaves_nothing_and_recovers);
        tcase_add_test(tc, test_pg_sink_reconnects_after_terminate_backend);
        tcase_add_test(tc, test_pg_sink_copy_escaping_roundtrips);
        tcase_add_test(tc, test_pg_sink_date_text_any_year);
        tcase_add_test(tc, test_pg_sink_share_over_zero_storable);
        tcase_add_test(tc, test_pg_sink_rejects_unusable_events_without_poisoning_batch);
        tcase_add_test(tc, test_pg_sink_large_batch_grows_buffers);
        tcase_add_test(tc, test_pg_sink_dead_letter_of_a_stored_event_is_a_duplicate);
        tcase_add_test(tc, test_pg_sink_dead_letter_after_its_event_in_the_batch_is_a_duplicate);
        tcase_add_test(tc, test_pg_sink_settle_reports_pg_errors);
        tcase_add_test(tc, test_pg_sink_interface_commits_rows_and_offsets);
        tcase_add_test(tc, test_pg_traj_references_judged_where_the_target_is);
        tcase_add_test(tc, test_pg_traj_reference_and_target_committed_at_once);
        tcase_add_test(tc, test_pg_traj_late_knowledge_times_rewrite_versions);
        tcase_add_test(tc, test_pg_traj_unchanged_versions_are_not_rewritten);
        tcase_add_test(tc, test_live_new_day_moves_every_value);
        tcase_add_test(tc, test_live_rederives_each_queued_cluster_once);
        tcase_add_test(tc, test_live_persons_follow_a_merge);
        tcase_add_test(tc, test_live_ignores_persons_in_old_queue_rows);
        tcase_add_test(tc, test_live_overlap_reads_past_the_write_in_flight);
        tcase_add_test(tc, test_live_overlap_takes_a_batch_during_a_write);
        tcase_add_test(tc, test_live_overlap_failed_write_rebuilds);
        tcase_add_test(tc, test_live_rewrites_a_table_changed_behind_its_back);
        suite_add_tcase(su, tc);
        return su;
}

int main(void)
{
        SRunner *sr;
        int failed;
        PGconn *c;

        test_pg = getenv("SWI_TEST_PG");
        if (!test_pg || !*test_pg) {
                fprintf(stderr,
                        "check_pg_sink: SWI_TEST_PG is not set; these tests need a real "
                        "PostgreSQL.\n  deploy/pg.sh start && eval \"$(deploy/pg.sh env)\" && "
                        "SWI_TEST_PG=\"$SWI_PG_CONNINFO\" %s\nFAILING (not skipping).\n",
                        "./check_pg_sink");
                return EXIT_FAILURE;
        }
        c = PQconnectdb(test_pg);
        if (PQstatus(c) != CONNECTION_OK) {
                fprintf(stderr, "check_pg_sink: cannot connect with SWI_TEST_PG='%s': %s", test_pg,
                        PQerrorMessage(c));
                PQfinish(c);
                return EXIT_FAILURE;
        }
        PQfinish(c);
        swi_log_level = SWI_LOG_ERROR; /* the expected reconnect warnings are noise here */
        runner_pid = getpid();
        drop_stale_databases();

        sr = srunner_create(pg_sink_suite());
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
