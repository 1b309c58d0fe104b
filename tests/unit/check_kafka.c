/* check_kafka.c - ingest/kafka against librdkafka's mock cluster.
 *
 * Every test starts its own mock (Check forks per test). A consumer group's
 * first join waits 3 s in the mock before electing a leader, so each group
 * test costs about 3-4 s. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "ingest/kafka.h"

#define TOPIC      "t.events"
#define NPART      4
#define NMSG       200 /* message i goes to partition i % NPART at offset i / NPART */
#define DEADLINE_S 30

/* ---- helpers --------------------------------------------------------------- */

typedef struct test_ctx_s {
        int64_t start[NPART]; /* "stored" offsets the assign callback hands out */
        int fail_first;       /* assign callback fails this many times first */
        int assign_calls;
        int revoke_calls;
        int assigned_parts;
        /* what this consumer received; cleared on revoke (in-flight dropped) */
        int seen[NMSG];
        int nseen;
        int64_t first_offset[NPART];
        bool headers_ok;
} test_ctx_t;

static void ctx_init(test_ctx_t *x)
{
        memset(x, 0, sizeof(*x));
        for (int p = 0; p < NPART; p++) {
                x->start[p] = SWI_KAFKA_OFFSET_BEGINNING;
                x->first_offset[p] = -1;
        }
        x->headers_ok = true;
}

static void ctx_forget(test_ctx_t *x)
{
        memset(x->seen, 0, sizeof(x->seen));
        x->nseen = 0;
        for (int p = 0; p < NPART; p++)
                x->first_offset[p] = -1;
}

static swi_err_t assign_cb(void *opaque, int n, const char *const *topics,
                           const int32_t *partitions, int64_t *offsets)
{
        test_ctx_t *x = opaque;

        x->assign_calls++;
        if (x->fail_first > 0) {
                x->fail_first--;
                return SWI_ERR_PG;
        }
        for (int i = 0; i < n; i++) {
                ck_assert_str_eq(topics[i], TOPIC);
                ck_assert_int_ge(partitions[i], 0);
                ck_assert_int_lt(partitions[i], NPART);
                ck_assert_int_eq(offsets[i], SWI_KAFKA_OFFSET_BEGINNING);
                offsets[i] = x->start[partitions[i]];
        }
        x->assigned_parts = n;
        return SWI_OK;
}

static void revoke_cb(void *opaque, int n, const char *const *topics, const int32_t *partitions)
{
        test_ctx_t *x = opaque;

        x->revoke_calls++;
        ctx_forget(x);
}

static swi_kafka_mock_t *start_mock(void)
{
        char errstr[256];
        swi_kafka_mock_t *m = swi_kafka_mock_new(1, errstr, sizeof(errstr));

        ck_assert_msg(m != NULL, "mock: %s", errstr);
        ck_assert_int_eq(swi_kafka_mock_create_topic(m, TOPIC, NPART), SWI_OK);
        return m;
}

static void produce_all(swi_kafka_mock_t *m)
{
        const char *keys[] = {"bootstrap.servers"};
        const char *vals[] = {swi_kafka_mock_bootstraps(m)};
        const char *hn[] = {"seq", "src"};
        char errstr[256], key[16], val[16], seq[16];
        const char *hv[] = {seq, "check_kafka"};
        swi_kafka_producer_t *p = swi_kafka_producer_new(keys, vals, 1, errstr, sizeof(errstr));

        ck_assert_msg(p != NULL, "producer: %s", errstr);
        for (int i = 0; i < NMSG; i++) {
                snprintf(key, sizeof(key), "k%03d", i);
                snprintf(val, sizeof(val), "v%03d", i);
                snprintf(seq, sizeof(seq), "%d", i);
                ck_assert_int_eq(swi_kafka_produce(p, TOPIC, i % NPART, key, strlen(key), val,
                                                   strlen(val), hn, hv, 2),
                                 SWI_OK);
        }
        ck_assert_int_eq(swi_kafka_producer_flush(p, 10000), SWI_OK);
        swi_kafka_producer_destroy(p);
}

/* strategy: partition.assignment.strategy, NULL for the default (eager range,roundrobin). */
static swi_kafka_consumer_t *new_consumer_with(swi_kafka_mock_t *m, const char *group,
                                               test_ctx_t *x, const char *strategy)
{
        const char *keys[] = {"bootstrap.servers", "session.timeout.ms", "heartbeat.interval.ms",
                              "partition.assignment.strategy"};
        const char *vals[] = {swi_kafka_mock_bootstraps(m), "6000", "500", strategy};
        const char *topics[] = {TOPIC};
        char errstr[256];
        swi_kafka_consumer_t *c =
            swi_kafka_consumer_new(keys, vals, strategy ? 4 : 3, group, topics, 1, assign_cb,
                                   revoke_cb, x, errstr, sizeof(errstr));

        ck_assert_msg(c != NULL, "consumer: %s", errstr);
        return c;
}

static swi_kafka_consumer_t *new_consumer(swi_kafka_mock_t *m, const char *group, test_ctx_t *x)
{
        return new_consumer_with(m, group, x, NULL);
}

/* Checks one received message against what produce_all() wrote and records it. */
static void check_msg(test_ctx_t *x, const swi_kafka_msg_t *msg)
{
        char key[16], val[16], seq[16];
        const void *hv;
        size_t hl;
        int i;

        ck_assert_str_eq(msg->topic, TOPIC);
        ck_assert_uint_eq(msg->key_len, 4);
        memcpy(key, msg->key, 4);
        key[4] = '\0';
        i = atoi(key + 1);
        ck_assert_int_eq(msg->partition, i % NPART);
        ck_assert_int_eq(msg->offset, i / NPART);
        snprintf(val, sizeof(val), "v%03d", i);
        ck_assert_uint_eq(msg->len, strlen(val));
        ck_assert_int_eq(memcmp(msg->payload, val, msg->len), 0);
        ck_assert_int_gt(msg->timestamp_ms, 0);

        snprintf(seq, sizeof(seq), "%d", i);
        if (swi_kafka_msg_header(msg, "seq", &hv, &hl) != SWI_OK || hl != strlen(seq) ||
            memcmp(hv, seq, hl) != 0)
                x->headers_ok = false;
        if (swi_kafka_msg_header(msg, "src", &hv, &hl) != SWI_OK || hl != 11 ||
            memcmp(hv, "check_kafka", 11) != 0)
                x->headers_ok = false;
        ck_assert_int_eq(swi_kafka_msg_header(msg, "absent", &hv, &hl), SWI_ERR_NOT_FOUND);

        if (x->first_offset[msg->partition] < 0)
                x->first_offset[msg->partition] = msg->offset;
        x->seen[i]++;
        x->nseen++;
}

/* Polls the consumers round-robin until every one is caught up (after at
 * least one assignment) or the deadline passes. */
static void poll_until_caught_up(swi_kafka_consumer_t **cs, test_ctx_t **xs, int n)
{
        time_t deadline = time(NULL) + DEADLINE_S;
        bool all;

        do {
                all = true;
                for (int k = 0; k < n; k++) {
                        swi_kafka_msg_t msg;
                        int got = 0;
                        ck_assert_int_eq(swi_kafka_consumer_poll(cs[k], 50, &msg, &got), SWI_OK);
                        if (got) {
                                check_msg(xs[k], &msg);
                                swi_kafka_msg_release(&msg);
                                ck_assert_ptr_null(msg.priv_);
                        }
                        if (!swi_kafka_consumer_caught_up(cs[k]))
                                all = false;
                }
        } while (!all && time(NULL) < deadline);
        ck_assert_msg(all, "consumers not caught up within %d s", DEADLINE_S);
}

/* ---- tests ------------------------------------------------------------------ */

/* Keyed messages with headers round-trip; the stored offset handed out on
 * assignment is where reading starts (3 on partition 0 skips 3 messages). */
START_TEST(test_kafka_assign_seeks_to_stored_offsets)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *c;
        test_ctx_t x;

        produce_all(m);
        ctx_init(&x);
        x.start[0] = 3;
        c = new_consumer(m, "g-seek", &x);
        ck_assert(!swi_kafka_consumer_caught_up(c));
        poll_until_caught_up(&c, (test_ctx_t *[]){&x}, 1);

        ck_assert_int_eq(swi_kafka_consumer_assignment_count(c), NPART);
        ck_assert_int_eq(x.assign_calls, 1);
        ck_assert_int_eq(x.nseen, NMSG - 3);
        ck_assert_int_eq(x.first_offset[0], 3);
        for (int p = 1; p < NPART; p++)
                ck_assert_int_eq(x.first_offset[p], 0);
        for (int i = 0; i < NMSG; i++)
                ck_assert_int_eq(x.seen[i], (i % NPART == 0 && i / NPART < 3) ? 0 : 1);
        ck_assert(x.headers_ok);

        swi_kafka_consumer_destroy(c);
        ck_assert_int_eq(x.revoke_calls, 1); /* close revokes through the callback */
        swi_kafka_mock_destroy(m);
}
END_TEST

/* The cooperative (incremental) rebalance path honours stored offsets too. */
START_TEST(test_kafka_cooperative_assignor_seeks_to_stored_offsets)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *c;
        test_ctx_t x;

        produce_all(m);
        ctx_init(&x);
        x.start[3] = 7;
        c = new_consumer_with(m, "g-coop", &x, "cooperative-sticky");
        poll_until_caught_up(&c, (test_ctx_t *[]){&x}, 1);
        ck_assert_int_eq(swi_kafka_consumer_assignment_count(c), NPART);
        ck_assert_int_eq(x.nseen, NMSG - 7);
        ck_assert_int_eq(x.first_offset[3], 7);
        ck_assert(x.headers_ok);
        swi_kafka_consumer_destroy(c);
        ck_assert_int_eq(x.revoke_calls, 1);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* A failing assign callback (PostgreSQL down) is retried, not skipped. */
START_TEST(test_kafka_assign_cb_failure_is_retried)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *c;
        test_ctx_t x;

        produce_all(m);
        ctx_init(&x);
        x.fail_first = 2;
        x.start[2] = NMSG / NPART; /* partition 2 already fully processed */
        c = new_consumer(m, "g-retry", &x);
        poll_until_caught_up(&c, (test_ctx_t *[]){&x}, 1);
        ck_assert_int_eq(x.assign_calls, 3);
        ck_assert_int_eq(x.nseen, NMSG - NMSG / NPART);
        ck_assert_int_eq(x.first_offset[2], -1);
        swi_kafka_consumer_destroy(c);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* After a failed transaction the consumer re-reads from the stored offsets. */
START_TEST(test_kafka_reseek_rereads_from_stored_offsets)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *c;
        test_ctx_t x;

        produce_all(m);
        ctx_init(&x);
        c = new_consumer(m, "g-reseek", &x);
        poll_until_caught_up(&c, (test_ctx_t *[]){&x}, 1);
        ck_assert_int_eq(x.nseen, NMSG);

        /* "committed" up to 2 before the end on every partition, 10 on partition 1 */
        ctx_forget(&x);
        for (int p = 0; p < NPART; p++)
                x.start[p] = NMSG / NPART - 2;
        x.start[1] = 10;
        ck_assert_int_eq(swi_kafka_consumer_reseek(c), SWI_OK);
        ck_assert(!swi_kafka_consumer_caught_up(c));
        ck_assert_int_eq(x.assign_calls, 2);
        poll_until_caught_up(&c, (test_ctx_t *[]){&x}, 1);
        ck_assert_int_eq(x.nseen, 3 * 2 + (NMSG / NPART - 10));
        ck_assert_int_eq(x.first_offset[0], NMSG / NPART - 2);
        ck_assert_int_eq(x.first_offset[1], 10);
        for (int i = 0; i < NMSG; i++)
                ck_assert_int_le(x.seen[i], 1);
        swi_kafka_consumer_destroy(c);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* Rolling back mid-stream, as the pipeline does after a failed commit or a
 * registry outage: after swi_kafka_consumer_reseek() returns SWI_OK the
 * next message of every partition is the one at the stored offset - none of
 * those fetched from the old position before. Repeated while librdkafka has
 * messages prefetched, on a machine as loaded as it happens to be: before
 * librdkafka 2.1.0, rd_kafka_seek_partitions() waited the timeout in
 * microseconds (librdkafka PR #4230), so a seek still queued after 10 ms was
 * reported as failed (the seek is now given no timeout: it is local). */
static atomic_int spin_stop;

static void *spin(void *arg)
{
        volatile unsigned long n = 0;

        (void)arg;
        while (!atomic_load(&spin_stop))
                n++;
        return NULL;
}

START_TEST(test_kafka_reseek_mid_stream_delivers_nothing_stale)
{
        pthread_t spinners[4];
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *c;
        test_ctx_t x;
        int64_t next[NPART];
        int rounds = 0;
        time_t deadline = time(NULL) + DEADLINE_S;

        for (int i = 0; i < 10; i++)
                produce_all(m); /* 10 x NMSG messages, 500 per partition */
        ctx_init(&x);
        c = new_consumer(m, "g-rollback", &x);
        for (int p = 0; p < NPART; p++)
                next[p] = -1; /* any start (the first assignment) */
        /* a loaded machine: librdkafka's threads wait for a core */
        atomic_store(&spin_stop, 0);
        for (int i = 0; i < 4; i++)
                ck_assert_int_eq(pthread_create(&spinners[i], NULL, spin, NULL), 0);
        while (rounds < 40 && time(NULL) < deadline) {
                swi_kafka_msg_t msg;
                int got = 0;
                ck_assert_int_eq(swi_kafka_consumer_poll(c, 50, &msg, &got), SWI_OK);
                if (!got)
                        continue;
                ck_assert_msg(next[msg.partition] < 0 || msg.offset == next[msg.partition],
                              "round %d: partition %d gave offset %lld, expected %lld", rounds,
                              (int)msg.partition, (long long)msg.offset,
                              (long long)next[msg.partition]);
                next[msg.partition] = msg.offset + 1;
                swi_kafka_msg_release(&msg);
                if (next[msg.partition] % 7 != 0)
                        continue;
                /* "the batch failed": back to 3 messages before, everywhere seen */
                for (int p = 0; p < NPART; p++) {
                        if (next[p] >= 0) {
                                next[p] = next[p] >= 3 ? next[p] - 3 : 0;
                                x.start[p] = next[p];
                        } else {
                                x.start[p] = SWI_KAFKA_OFFSET_BEGINNING;
                        }
                }
                ck_assert_int_eq(swi_kafka_consumer_reseek(c), SWI_OK);
                rounds++;
        }
        atomic_store(&spin_stop, 1);
        for (int i = 0; i < 4; i++)
                pthread_join(spinners[i], NULL);
        ck_assert_int_eq(rounds, 40);
        swi_kafka_consumer_destroy(c);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* Two instances of one group share the partitions without overlap. */
START_TEST(test_kafka_group_members_split_partitions)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *cs[2];
        test_ctx_t x[2];
        int parts[2] = {0, 0};

        produce_all(m);
        ctx_init(&x[0]);
        ctx_init(&x[1]);
        cs[0] = new_consumer(m, "g-split", &x[0]);
        cs[1] = new_consumer(m, "g-split", &x[1]);
        poll_until_caught_up(cs, (test_ctx_t *[]){&x[0], &x[1]}, 2);

        for (int k = 0; k < 2; k++) {
                ck_assert_int_gt(swi_kafka_consumer_assignment_count(cs[k]), 0);
                ck_assert_int_gt(x[k].nseen, 0);
                for (int p = 0; p < NPART; p++) {
                        if (x[k].first_offset[p] >= 0)
                                parts[k] |= 1 << p;
                }
        }
        ck_assert_int_eq(swi_kafka_consumer_assignment_count(cs[0]) +
                             swi_kafka_consumer_assignment_count(cs[1]),
                         NPART);
        ck_assert_int_eq(parts[0] & parts[1], 0);
        ck_assert_int_eq(parts[0] | parts[1], (1 << NPART) - 1);
        for (int i = 0; i < NMSG; i++)
                ck_assert_int_eq(x[0].seen[i] + x[1].seen[i], 1);
        ck_assert_int_eq(x[0].nseen + x[1].nseen, NMSG);
        ck_assert(x[0].headers_ok && x[1].headers_ok);
        swi_kafka_consumer_destroy(cs[0]);
        swi_kafka_consumer_destroy(cs[1]);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* A consumer closed while its group rebalances - partitions revoked, its
 * rejoin pending - gets a last rebalance callback in which librdkafka can no
 * longer say which protocol the group uses (rd_kafka_rebalance_protocol()
 * returns NULL): the assignment that completed while it was no longer
 * polled. That must not crash (the chaos test caught a strcmp on NULL at
 * swi-etl's shutdown after another instance had left). */
START_TEST(test_kafka_close_during_rebalance)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *a, *b;
        test_ctx_t xa, xb;
        time_t deadline;
        int revokes;

        produce_all(m);
        ctx_init(&xa);
        ctx_init(&xb);
        a = new_consumer(m, "g-close", &xa);
        poll_until_caught_up(&a, (test_ctx_t *[]){&xa}, 1);
        revokes = xa.revoke_calls;
        /* a second member joins: the first is revoked and must rejoin */
        b = new_consumer(m, "g-close", &xb);
        deadline = time(NULL) + DEADLINE_S;
        while (xa.revoke_calls == revokes && time(NULL) < deadline) {
                swi_kafka_msg_t msg;
                int got = 0;
                ck_assert_int_eq(swi_kafka_consumer_poll(b, 20, &msg, &got), SWI_OK);
                if (got)
                        swi_kafka_msg_release(&msg);
                ck_assert_int_eq(swi_kafka_consumer_poll(a, 20, &msg, &got), SWI_OK);
                if (got)
                        swi_kafka_msg_release(&msg);
        }
        ck_assert_int_gt(xa.revoke_calls, revokes);
        ck_assert_int_eq(swi_kafka_consumer_assignment_count(a), 0);
        /* the rebalance completes while the first is no longer polled (as
         * when swi-etl stops): its new assignment waits in its queue */
        while (swi_kafka_consumer_assignment_count(b) == 0 && time(NULL) < deadline) {
                swi_kafka_msg_t msg;
                int got = 0;
                ck_assert_int_eq(swi_kafka_consumer_poll(b, 50, &msg, &got), SWI_OK);
                if (got)
                        swi_kafka_msg_release(&msg);
        }
        ck_assert_int_gt(swi_kafka_consumer_assignment_count(b), 0);
        sleep(3);                      /* as swi-etl's stop waits for its publisher */
        swi_kafka_consumer_destroy(a); /* serves the queued assignment while closing */
        swi_kafka_consumer_destroy(b);
        swi_kafka_mock_destroy(m);
}
END_TEST

START_TEST(test_kafka_end_offsets_match_produced)
{
        swi_kafka_mock_t *m = start_mock();
        const char *keys[] = {"bootstrap.servers"};
        const char *vals[] = {swi_kafka_mock_bootstraps(m)};
        int64_t end[8];
        int n = -1;

        ck_assert_int_eq(swi_kafka_end_offsets(keys, vals, 1, TOPIC, end, 8, &n), SWI_OK);
        ck_assert_int_eq(n, NPART);
        for (int p = 0; p < NPART; p++)
                ck_assert_int_eq(end[p], 0);

        produce_all(m);
        ck_assert_int_eq(swi_kafka_end_offsets(keys, vals, 1, TOPIC, end, 8, &n), SWI_OK);
        ck_assert_int_eq(n, NPART);
        for (int p = 0; p < NPART; p++)
                ck_assert_int_eq(end[p], NMSG / NPART);

        ck_assert_int_eq(swi_kafka_end_offsets(keys, vals, 1, "no.such.topic", end, 8, &n),
                         SWI_ERR_NOT_FOUND);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* Flush reports failed deliveries (once) and is OK when everything arrived. */
START_TEST(test_kafka_producer_flush_reports_failures)
{
        swi_kafka_mock_t *m = start_mock();
        const char *keys[] = {"bootstrap.servers"};
        const char *vals[] = {swi_kafka_mock_bootstraps(m)};
        char errstr[256];
        swi_kafka_producer_t *p = swi_kafka_producer_new(keys, vals, 1, errstr, sizeof(errstr));

        ck_assert_msg(p != NULL, "producer: %s", errstr);
        /* The producer has no metadata for TOPIC yet, so partition 99 (which
         * does not exist) is accepted now and fails in the delivery report. */
        ck_assert_int_eq(swi_kafka_produce(p, TOPIC, 99, "k", 1, "v", 1, NULL, NULL, 0), SWI_OK);
        ck_assert_int_eq(swi_kafka_produce(p, TOPIC, -1, "k", 1, "v", 1, NULL, NULL, 0), SWI_OK);
        ck_assert_int_eq(swi_kafka_producer_flush(p, 10000), SWI_ERR_KAFKA);
        /* Now the metadata is known: refused at once. */
        ck_assert_int_eq(swi_kafka_produce(p, TOPIC, 99, "k", 1, "v", 1, NULL, NULL, 0),
                         SWI_ERR_KAFKA);
        /* Failures are reported once: the next flush starts clean. */
        ck_assert_int_eq(swi_kafka_produce(p, TOPIC, 0, NULL, 0, NULL, 0, NULL, NULL, 0), SWI_OK);
        ck_assert_int_eq(swi_kafka_produce(p, TOPIC, 1, "k", 1, "v", 1, NULL, NULL, 0), SWI_OK);
        ck_assert_int_eq(swi_kafka_producer_flush(p, 10000), SWI_OK);
        swi_kafka_producer_destroy(p);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* The mock keeps ~5 MiB of batches per partition and drops the oldest (see
 * kafka.h): with ~8 MiB produced, reading from the beginning starts > 0. */
START_TEST(test_kafka_mock_drops_oldest_batches_beyond_5mib)
{
        swi_kafka_mock_t *m = start_mock();
        const char *pkeys[] = {"bootstrap.servers", "compression.type"};
        const char *pvals[] = {swi_kafka_mock_bootstraps(m), "none"};
        const char *ckeys[] = {"bootstrap.servers"};
        const char *cvals[] = {swi_kafka_mock_bootstraps(m)};
        const char *topics[] = {"big"};
        static unsigned char val[16384];
        swi_kafka_producer_t *p;
        swi_kafka_consumer_t *c;
        swi_kafka_msg_t msg;
        char errstr[256];
        int64_t end[1];
        int n = 0, got = 0;
        time_t deadline;

        ck_assert_int_eq(swi_kafka_mock_create_topic(m, "big", 1), SWI_OK);
        srand(42);
        p = swi_kafka_producer_new(pkeys, pvals, 2, errstr, sizeof(errstr));
        ck_assert_msg(p != NULL, "producer: %s", errstr);
        for (int i = 0; i < 512; i++) {
                for (size_t b = 0; b < sizeof(val); b++)
                        val[b] = (unsigned char)rand();
                ck_assert_int_eq(
                    swi_kafka_produce(p, "big", 0, NULL, 0, val, sizeof(val), NULL, NULL, 0),
                    SWI_OK);
        }
        ck_assert_int_eq(swi_kafka_producer_flush(p, 20000), SWI_OK);
        swi_kafka_producer_destroy(p);
        ck_assert_int_eq(swi_kafka_end_offsets(ckeys, cvals, 1, "big", end, 1, &n), SWI_OK);
        ck_assert_int_eq(end[0], 512);

        /* plain consumer without callbacks: starts at the beginning */
        c = swi_kafka_consumer_new(ckeys, cvals, 1, "g-big", topics, 1, NULL, NULL, NULL, errstr,
                                   sizeof(errstr));
        ck_assert_msg(c != NULL, "consumer: %s", errstr);
        deadline = time(NULL) + DEADLINE_S;
        while (!got && time(NULL) < deadline)
                ck_assert_int_eq(swi_kafka_consumer_poll(c, 100, &msg, &got), SWI_OK);
        ck_assert(got);
        /* 512 * 16 KiB = 8 MiB produced; at most 5 MiB (~320 messages) kept */
        ck_assert_int_gt(msg.offset, 512 - 5 * 1024 / 16 - 1);
        ck_assert_int_lt(msg.offset, 512);
        swi_kafka_msg_release(&msg);
        swi_kafka_consumer_destroy(c);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* A message the broker refuses for its size is a permanent failure: logged and
 * counted, but the flush succeeds (the pipeline would otherwise retry its
 * batch for ever over a dead-letter copy that can never be delivered). */
START_TEST(test_kafka_producer_size_refusal_is_permanent)
{
        swi_kafka_mock_t *m = start_mock();
        const char *keys[] = {"bootstrap.servers"};
        const char *vals[] = {swi_kafka_mock_bootstraps(m)};
        char errstr[256];
        swi_kafka_producer_t *p = swi_kafka_producer_new(keys, vals, 1, errstr, sizeof(errstr));

        ck_assert_msg(p != NULL, "producer: %s", errstr);
        ck_assert_int_eq(swi_kafka_produce(p, TOPIC, 0, "k", 1, "v", 1, NULL, NULL, 0), SWI_OK);
        ck_assert_int_eq(swi_kafka_producer_flush(p, 10000), SWI_OK);
        ck_assert_int_eq(swi_kafka_producer_take_refused(p), 0);
        swi_kafka_mock_refuse_produce_for_size(m, 1);
        ck_assert_int_eq(swi_kafka_produce(p, TOPIC, 0, "k", 1, "big", 3, NULL, NULL, 0), SWI_OK);
        ck_assert_int_eq(swi_kafka_producer_flush(p, 10000), SWI_OK);
        ck_assert_int_eq(swi_kafka_producer_take_refused(p), 1);
        ck_assert_int_eq(swi_kafka_producer_take_refused(p), 0);
        /* and the producer goes on */
        ck_assert_int_eq(swi_kafka_produce(p, TOPIC, 0, "k", 1, "v", 1, NULL, NULL, 0), SWI_OK);
        ck_assert_int_eq(swi_kafka_producer_flush(p, 10000), SWI_OK);
        swi_kafka_producer_destroy(p);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* Sum of the lag over the assignment; -1 if some end is not known yet. */
static int64_t total_lag(swi_kafka_consumer_t *c, int *refused)
{
        swi_kafka_lag_t l[NPART];
        int n = swi_kafka_consumer_lag(c, l, NPART);
        int64_t sum = 0;

        *refused = 0;
        for (int i = 0; i < n; i++) {
                if (l[i].refused)
                        (*refused)++;
                if (l[i].lag < 0)
                        return -1;
                sum += l[i].lag;
        }
        return sum;
}

/* A stored offset beyond the partition's end (the topic came back shorter)
 * is refused: nothing of that partition is read again from 0, the others are
 * read, and health and the lag report it. With auto.offset.reset=earliest
 * the partition was silently re-read from offset 0. */
START_TEST(test_kafka_offset_beyond_end_is_refused)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *c;
        swi_kafka_health_t h;
        test_ctx_t x;
        time_t deadline;
        int refused = 0;

        produce_all(m);
        ctx_init(&x);
        x.start[0] = 1000; /* partition 0 holds 50 messages */
        c = new_consumer(m, "g-beyond", &x);
        deadline = time(NULL) + DEADLINE_S;
        do {
                swi_kafka_msg_t msg;
                int got = 0;
                ck_assert_int_eq(swi_kafka_consumer_poll(c, 50, &msg, &got), SWI_OK);
                if (got) {
                        check_msg(&x, &msg);
                        swi_kafka_msg_release(&msg);
                }
                swi_kafka_consumer_health(c, &h);
        } while ((h.refused == 0 || x.nseen < NMSG - NMSG / NPART) && time(NULL) < deadline);
        ck_assert_int_eq(h.refused, 1);
        ck_assert_uint_eq(h.refusals, 1);
        ck_assert_int_eq(x.first_offset[0], -1); /* not one message re-read */
        ck_assert_int_eq(x.nseen, NMSG - NMSG / NPART);
        ck_assert(!swi_kafka_consumer_caught_up(c));
        total_lag(c, &refused);
        ck_assert_int_eq(refused, 1);
        /* a re-seek leaves it refused (and asks nothing for it) */
        ck_assert_int_eq(swi_kafka_consumer_reseek(c), SWI_OK);
        swi_kafka_consumer_health(c, &h);
        ck_assert_int_eq(h.refused, 1);
        swi_kafka_consumer_destroy(c);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* The test producers' guard against a message the embedded broker cannot keep. */
START_TEST(test_kafka_embedded_fits)
{
        const size_t max = SWI_KAFKA_EMBEDDED_PARTITION_BYTES;
        ck_assert(swi_kafka_embedded_fits(0, 0));
        ck_assert(swi_kafka_embedded_fits(16, 4u << 20));
        ck_assert(swi_kafka_embedded_fits(0, max - 92));
        ck_assert(!swi_kafka_embedded_fits(0, max - 91));
        ck_assert(!swi_kafka_embedded_fits(100, max - 100));
        ck_assert(!swi_kafka_embedded_fits(max, 0));
        ck_assert(!swi_kafka_embedded_fits(SIZE_MAX, SIZE_MAX));
        ck_assert_int_eq(atoi(SWI_KAFKA_EMBEDDED_MESSAGE_MAX), (int)max);
}
END_TEST

/* Lag: whole partitions before anything is committed; staged messages count
 * once committed; a re-seek goes back to what the assign callback says. */
START_TEST(test_kafka_lag_follows_committed_batches)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *c;
        swi_kafka_health_t h;
        swi_kafka_lag_t l[NPART];
        test_ctx_t x;
        time_t deadline;
        int refused;

        produce_all(m);
        ctx_init(&x);
        c = new_consumer(m, "g-lag", &x);
        swi_kafka_consumer_mirror_offsets(c, true);
        deadline = time(NULL) + DEADLINE_S;
        do {
                swi_kafka_msg_t msg;
                int got = 0;
                ck_assert_int_eq(swi_kafka_consumer_poll(c, 50, &msg, &got), SWI_OK);
                if (got) {
                        /* the first half of every partition goes into "the batch" */
                        if (msg.offset < NMSG / NPART / 2)
                                swi_kafka_consumer_stage(c, &msg);
                        swi_kafka_msg_release(&msg);
                }
        } while (!swi_kafka_consumer_caught_up(c) && time(NULL) < deadline);
        ck_assert(swi_kafka_consumer_caught_up(c));
        ck_assert_int_eq(total_lag(c, &refused), NMSG); /* staged is not committed */
        ck_assert_int_eq(swi_kafka_consumer_committed(c), NPART);
        ck_assert_int_eq(total_lag(c, &refused), NMSG / 2);
        ck_assert_int_eq(swi_kafka_consumer_lag(c, l, NPART), NPART);
        for (int i = 0; i < NPART; i++) {
                ck_assert_int_eq(l[i].committed, NMSG / NPART / 2);
                ck_assert_int_eq(l[i].end, NMSG / NPART);
                ck_assert_int_eq(l[i].lag, NMSG / NPART / 2);
                ck_assert(l[i].lag_seconds >= 0);
                ck_assert(!l[i].refused);
        }
        swi_kafka_consumer_discard(c);
        ck_assert_int_eq(swi_kafka_consumer_committed(c), 0); /* nothing new */
        /* the asynchronous commit's result is served by later polls */
        for (int i = 0; i < 20; i++) {
                swi_kafka_msg_t msg;
                int got = 0;
                swi_kafka_consumer_poll(c, 50, &msg, &got);
                if (got)
                        swi_kafka_msg_release(&msg);
        }
        swi_kafka_consumer_health(c, &h);
        ck_assert_uint_eq(h.commit_failures, 0);
        ck_assert(h.up);
        ck_assert_int_eq(h.refused, 0);
        /* the callback's offsets win over what was committed */
        ck_assert_int_eq(swi_kafka_consumer_reseek(c), SWI_OK);
        ck_assert_int_eq(total_lag(c, &refused), NMSG);
        swi_kafka_consumer_destroy(c);
        swi_kafka_mock_destroy(m);
}
END_TEST

/* With the broker gone, close returns within its timeout instead of trying
 * to leave the group for session.timeout.ms. */
START_TEST(test_kafka_close_with_the_broker_down)
{
        swi_kafka_mock_t *m = start_mock();
        swi_kafka_consumer_t *c;
        swi_kafka_health_t h;
        test_ctx_t x;
        time_t deadline;

        produce_all(m);
        ctx_init(&x);
        c = new_consumer(m, "g-close", &x);
        poll_until_caught_up(&c, (test_ctx_t *[]){&x}, 1);
        swi_kafka_mock_destroy(m);
        /* the error callback reports the brokers down */
        deadline = time(NULL) + DEADLINE_S;
        do {
                swi_kafka_msg_t msg;
                int got = 0;
                swi_kafka_consumer_poll(c, 100, &msg, &got);
                swi_kafka_consumer_health(c, &h);
        } while (h.up && time(NULL) < deadline);
        ck_assert(!h.up);
        swi_kafka_consumer_close(c, 500);
        ck_assert_int_eq(x.revoke_calls, 1);
}
END_TEST

START_TEST(test_kafka_constructors_reject_bad_config)
{
        const char *keys[] = {"no.such.property"};
        const char *vals[] = {"1"};
        const char *topics[] = {TOPIC};
        char errstr[256] = "";

        ck_assert_ptr_null(swi_kafka_producer_new(keys, vals, 1, errstr, sizeof(errstr)));
        ck_assert_str_ne(errstr, "");
        errstr[0] = '\0';
        ck_assert_ptr_null(swi_kafka_consumer_new(keys, vals, 1, "g", topics, 1, NULL, NULL, NULL,
                                                  errstr, sizeof(errstr)));
        ck_assert_str_ne(errstr, "");
        ck_assert_ptr_null(swi_kafka_mock_new(0, errstr, sizeof(errstr)));
        /* NULL is a no-op for every destructor */
        swi_kafka_consumer_destroy(NULL);
        swi_kafka_producer_destroy(NULL);
        swi_kafka_mock_destroy(NULL);
}
END_TEST

static Suite *kafka_suite(void)
{
        Suite *s = suite_create("kafka");
        TCase *tc = tcase_create("mock");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_kafka_assign_seeks_to_stored_offsets);
        tcase_add_test(tc, test_kafka_cooperative_assignor_seeks_to_stored_offsets);
        tcase_add_test(tc, test_kafka_assign_cb_failure_is_retried);
        tcase_add_test(tc, test_kafka_reseek_rereads_from_stored_offsets);
        tcase_add_test(tc, test_kafka_reseek_mid_stream_delivers_nothing_stale);
        tcase_add_test(tc, test_kafka_group_members_split_partitions);
        tcase_add_test(tc, test_kafka_close_during_rebalance);
        tcase_add_test(tc, test_kafka_end_offsets_match_produced);
        tcase_add_test(tc, test_kafka_producer_flush_reports_failures);
        tcase_add_test(tc, test_kafka_mock_drops_oldest_batches_beyond_5mib);
        tcase_add_test(tc, test_kafka_offset_beyond_end_is_refused);
        tcase_add_test(tc, test_kafka_lag_follows_committed_batches);
        tcase_add_test(tc, test_kafka_close_with_the_broker_down);
        tcase_add_test(tc, test_kafka_constructors_reject_bad_config);
        tcase_add_test(tc, test_kafka_embedded_fits);
        tcase_add_test(tc, test_kafka_producer_size_refusal_is_permanent);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(kafka_suite());
        int failed;

        swi_log_set_level(getenv("SWI_TEST_LOG") ? getenv("SWI_TEST_LOG") : "warn");
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
