/* kafka.c - librdkafka wrapper: consumer with externally stored offsets,
 * producer, end offsets and the embedded mock cluster.
 *
 * This is the only file of the project that includes rdkafka.h. See kafka.h
 * for ownership, thread safety and what the mock cluster keeps.
 *
 * Nothing here ever logs a message key or payload: both can carry personal
 * identifiers. Logged are topic, partition, offset and error strings only. */
#include "kafka.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/time.h>

#include "../common/log.h"

#define SUB "kafka"

/* Back-off for a failing assign callback: 100 ms doubling up to 5 s. */
#define ASSIGN_BACKOFF_MIN_MS 100
#define ASSIGN_BACKOFF_MAX_MS 5000
/* Timeout of metadata, watermark and seek requests. */
#define REQUEST_TIMEOUT_MS 10000
/* Delivery reports are served every this many produce calls (and on flush). */
#define PRODUCE_POLL_EVERY 256
/* Default statistics interval of the consumer: its broker and group state
 * feed the health endpoints (kafka.statistics.interval.ms overrides it). */
#define STATS_INTERVAL_MS "5000"

/* ---- shared helpers -------------------------------------------------------- */

static uint64_t wall_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
                ;
}

/* librdkafka's log lines (from its own threads) go to our key=value log. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        swi_log_level_t lvl;

        if (level <= 3)
                lvl = SWI_LOG_ERROR;
        else if (level == 4)
                lvl = SWI_LOG_WARN;
        else if (level <= 6)
                lvl = SWI_LOG_INFO;
        else
                lvl = SWI_LOG_DEBUG;
        swi_log(lvl, SUB, "librdkafka", "client=%s fac=%s detail=\"%s\"", rd_kafka_name(rk), fac,
                buf);
}

/* Logs a generic client error (broker down, all brokers down, fatal
 * idempotence error); sets *fatal (if given) when the client is unusable. */
static void error_log(rd_kafka_t *rk, int err, const char *reason, bool *fatal)
{
        char fq[512];

        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, fq, sizeof(fq));
                SWI_LOG_E(SUB, "fatal client error", "client=%s err=%s detail=\"%s\"",
                          rd_kafka_name(rk), rd_kafka_err2name(ferr), fq);
                if (fatal)
                        *fatal = true;
                return;
        }
        SWI_LOG_W(SUB, "client error", "client=%s err=%s detail=\"%s\"", rd_kafka_name(rk),
                  rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* error_cb of the short-lived and mock handles (opaque unused). */
static void plain_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        error_log(rk, err, reason, NULL);
}

/* Sets every (keys[i], vals[i]) on conf. Returns false with errstr filled. */
static bool conf_set_all(rd_kafka_conf_t *conf, const char *const *keys, const char *const *vals,
                         int n, char *errstr, size_t errstr_size)
{
        for (int i = 0; i < n; i++) {
                if (rd_kafka_conf_set(conf, keys[i], vals[i], errstr, errstr_size) !=
                    RD_KAFKA_CONF_OK)
                        return false;
        }
        return true;
}

/* A conf with the log and error callbacks installed; consumer and producer
 * replace the error callback with one that sees their handle. */
static rd_kafka_conf_t *conf_base(void)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();

        rd_kafka_conf_set_log_cb(conf, log_cb);
        rd_kafka_conf_set_error_cb(conf, plain_error_cb);
        return conf;
}

/* ---- consumer -------------------------------------------------------------- */

/* One assigned partition. at_eof: partition EOF seen, no message since.
 * committed moves only when the caller says its batch committed
 * (swi_kafka_consumer_committed); staged is the next offset after the last
 * message the caller put into its open batch. */
typedef struct swi_kafka_part_s {
        char *topic;
        int32_t partition;
        bool at_eof;
        bool refused;         /* its stored offset lies beyond the end: paused */
        int64_t committed;    /* next offset committed, or SWI_KAFKA_OFFSET_BEGINNING */
        int64_t staged;       /* next offset after the open batch (== committed if none) */
        int64_t next_ts;      /* timestamp of the message at committed; -1 unknown */
        int64_t staged_ts;    /* timestamp of the last staged message; -1 none */
        int64_t committed_ts; /* timestamp of the last committed message; -1 none */
        uint64_t lag_since;   /* wall clock when a lag was first seen; 0 none */
        int64_t lost;         /* messages dropped by retention before they were read */
} swi_kafka_part_t;

/* Used from the one thread that polls; librdkafka serves the rebalance, error
 * and log callbacks that touch this struct on that thread (log_cb excepted,
 * which touches nothing here). */
struct swi_kafka_consumer_s {
        rd_kafka_t *rk;
        swi_kafka_assign_cb_t assign_cb;
        swi_kafka_revoke_cb_t revoke_cb;
        void *opaque;
        swi_kafka_part_t *parts; /* the current assignment */
        int nparts;
        int cap;
        int n_eof; /* parts with at_eof */
        bool fatal;
        bool cooperative; /* the group's rebalance protocol, as last known */
        /* health, from the statistics callback and the error callback */
        bool all_brokers_down;
        int brokers_up, brokers;
        char group_state[32];
        uint64_t stats_at; /* wall clock of the last statistics */
        uint64_t commits_failed;
        bool mirror; /* also commit the caller's offsets to Kafka */
        uint64_t refusals;
};

static int part_find(const swi_kafka_consumer_t *c, const char *topic, int32_t partition)
{
        /* Partition first: cheap, and rarely equal across topics. */
        for (int i = 0; i < c->nparts; i++) {
                if (c->parts[i].partition == partition && strcmp(c->parts[i].topic, topic) == 0)
                        return i;
        }
        return -1;
}

/* Where reading of a partition (re)starts: nothing staged, nothing refused. */
static void part_position(swi_kafka_part_t *pt, int64_t offset)
{
        if (pt->committed != offset)
                pt->next_ts = -1;
        pt->committed = offset;
        pt->staged = offset;
        pt->staged_ts = -1;
        pt->refused = false;
}

static swi_err_t part_add(swi_kafka_consumer_t *c, const char *topic, int32_t partition,
                          int64_t offset)
{
        swi_kafka_part_t *np;
        int i = part_find(c, topic, partition);

        if (i >= 0) {
                part_position(&c->parts[i], offset);
                return SWI_OK;
        }
        if (c->nparts == c->cap) {
                int ncap = c->cap ? c->cap * 2 : 16;
                np = realloc(c->parts, (size_t)ncap * sizeof(*np));
                if (!np)
                        return SWI_ERR_NOMEM;
                c->parts = np;
                c->cap = ncap;
        }
        c->parts[c->nparts].topic = strdup(topic);
        if (!c->parts[c->nparts].topic)
                return SWI_ERR_NOMEM;
        c->parts[c->nparts].partition = partition;
        c->parts[c->nparts].at_eof = false;
        c->parts[c->nparts].committed = SWI_KAFKA_OFFSET_BEGINNING;
        c->parts[c->nparts].next_ts = -1;
        c->parts[c->nparts].committed_ts = -1;
        c->parts[c->nparts].lag_since = 0;
        c->parts[c->nparts].lost = 0;
        part_position(&c->parts[c->nparts], offset);
        c->nparts++;
        return SWI_OK;
}

static void part_remove(swi_kafka_consumer_t *c, const char *topic, int32_t partition)
{
        int i = part_find(c, topic, partition);

        if (i < 0)
                return;
        if (c->parts[i].at_eof)
                c->n_eof--;
        free(c->parts[i].topic);
        c->parts[i] = c->parts[c->nparts - 1];
        c->nparts--;
}

static void parts_clear(swi_kafka_consumer_t *c)
{
        for (int i = 0; i < c->nparts; i++)
                free(c->parts[i].topic);
        c->nparts = 0;
        c->n_eof = 0;
}

static void parts_reset_eof(swi_kafka_consumer_t *c)
{
        for (int i = 0; i < c->nparts; i++)
                c->parts[i].at_eof = false;
        c->n_eof = 0;
}

/* Asks the assign callback for the start offsets of list (written into the
 * list), retrying with back-off. Returns SWI_OK, SWI_ERR_STOPPED or
 * SWI_ERR_NOMEM. */
static swi_err_t ask_offsets(swi_kafka_consumer_t *c, rd_kafka_topic_partition_list_t *list,
                             const char *why)
{
        const char **topics = NULL;
        int32_t *partitions = NULL;
        int64_t *offsets = NULL;
        int n = list->cnt;
        int backoff = ASSIGN_BACKOFF_MIN_MS;
        int attempt = 0;
        swi_err_t rc;

        if (n == 0)
                return SWI_OK;
        topics = calloc((size_t)n, sizeof(*topics));
        partitions = calloc((size_t)n, sizeof(*partitions));
        offsets = calloc((size_t)n, sizeof(*offsets));
        if (!topics || !partitions || !offsets) {
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        for (int i = 0; i < n; i++) {
                topics[i] = list->elems[i].topic;
                partitions[i] = list->elems[i].partition;
        }
        for (;;) {
                for (int i = 0; i < n; i++)
                        offsets[i] = SWI_KAFKA_OFFSET_BEGINNING;
                attempt++;
                rc =
                    c->assign_cb ? c->assign_cb(c->opaque, n, topics, partitions, offsets) : SWI_OK;
                if (rc == SWI_OK || rc == SWI_ERR_STOPPED)
                        break;
                SWI_LOG_W(SUB, "assign callback failed, retrying",
                          "why=%s partitions=%d "
                          "attempt=%d err=\"%s\" backoff_ms=%d",
                          why, n, attempt, swi_err2str(rc), backoff);
                sleep_ms(backoff);
                backoff = backoff * 2 > ASSIGN_BACKOFF_MAX_MS ? ASSIGN_BACKOFF_MAX_MS : backoff * 2;
        }
        if (rc == SWI_ERR_STOPPED) {
                SWI_LOG_W(SUB, "assign callback stopped", "why=%s partitions=%d", why, n);
                goto done;
        }
        for (int i = 0; i < n; i++) {
                if (offsets[i] < 0 && offsets[i] != SWI_KAFKA_OFFSET_BEGINNING) {
                        SWI_LOG_W(SUB, "assign callback gave an invalid offset, using beginning",
                                  "topic=%s partition=%" PRId32 " offset=%" PRId64, topics[i],
                                  partitions[i], offsets[i]);
                        offsets[i] = SWI_KAFKA_OFFSET_BEGINNING;
                }
                /* SWI_KAFKA_OFFSET_BEGINNING == RD_KAFKA_OFFSET_BEGINNING */
                list->elems[i].offset = offsets[i];
                SWI_LOG_D(SUB, "start offset",
                          "why=%s topic=%s partition=%" PRId32 " offset=%" PRId64, why, topics[i],
                          partitions[i], offsets[i]);
        }
done:
        free(topics);
        free(partitions);
        free(offsets);
        return rc;
}

static void call_revoke(swi_kafka_consumer_t *c, const rd_kafka_topic_partition_list_t *list)
{
        const char **topics = NULL;
        int32_t *partitions = NULL;
        int n = list->cnt;

        if (!c->revoke_cb || n == 0)
                return;
        topics = calloc((size_t)n, sizeof(*topics));
        partitions = calloc((size_t)n, sizeof(*partitions));
        if (!topics || !partitions) {
                SWI_LOG_E(SUB, "out of memory for the revoke callback", "partitions=%d", n);
                goto done;
        }
        for (int i = 0; i < n; i++) {
                topics[i] = list->elems[i].topic;
                partitions[i] = list->elems[i].partition;
        }
        c->revoke_cb(c->opaque, n, topics, partitions);
done:
        free(topics);
        free(partitions);
}

/* Commits list's offsets (those >= 0) to Kafka, asynchronously. */
static void mirror_commit(swi_kafka_consumer_t *c, const rd_kafka_topic_partition_list_t *list)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(list->cnt);
        rd_kafka_resp_err_t err;

        for (int i = 0; i < list->cnt; i++)
                if (list->elems[i].offset >= 0)
                        rd_kafka_topic_partition_list_add(l, list->elems[i].topic,
                                                          list->elems[i].partition)
                            ->offset = list->elems[i].offset;
        if (l->cnt > 0) {
                /* the result arrives in offset_commit_cb on a later poll */
                err = rd_kafka_commit(c->rk, l, 1);
                if (err) {
                        c->commits_failed++;
                        SWI_LOG_D(SUB, "offset commit to Kafka not sent", "err=%s partitions=%d",
                                  rd_kafka_err2name(err), l->cnt);
                }
        }
        rd_kafka_topic_partition_list_destroy(l);
}

static void on_assign(swi_kafka_consumer_t *c, rd_kafka_t *rk,
                      rd_kafka_topic_partition_list_t *list, bool cooperative)
{
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        swi_err_t rc;

        if (!cooperative)
                parts_clear(c);
        rc = ask_offsets(c, list, "assign");
        if (rc != SWI_OK) {
                /* Leave them unassigned: reading from a guessed offset would
                 * break exactly-once. The group will rebalance eventually. */
                if (!cooperative)
                        rd_kafka_assign(rk, NULL);
                SWI_LOG_E(SUB, "partitions left unassigned", "partitions=%d err=\"%s\"", list->cnt,
                          swi_err2str(rc));
                return;
        }
        if (cooperative) {
                rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, list);
                if (e) {
                        err = rd_kafka_error_code(e);
                        rd_kafka_error_destroy(e);
                }
        } else {
                err = rd_kafka_assign(rk, list);
        }
        if (err) {
                SWI_LOG_E(SUB, "assign failed", "partitions=%d err=%s", list->cnt,
                          rd_kafka_err2name(err));
                return;
        }
        for (int i = 0; i < list->cnt; i++) {
                if (part_add(c, list->elems[i].topic, list->elems[i].partition,
                             list->elems[i].offset) != SWI_OK)
                        SWI_LOG_E(SUB, "out of memory tracking the assignment", "%s", "");
        }
        /* A partition refused before (and paused) is read again when it is
         * assigned again: its stored offset may have been corrected. */
        rd_kafka_resume_partitions(rk, list);
        /* Kafka's view of the group starts from the offsets that count, also
         * when nothing is read (someone may have moved it meanwhile). */
        if (c->mirror)
                mirror_commit(c, list);
        SWI_LOG_I(SUB, "partitions assigned", "added=%d assigned=%d protocol=%s", list->cnt,
                  c->nparts, cooperative ? "cooperative" : "eager");
}

static void on_revoke(swi_kafka_consumer_t *c, rd_kafka_t *rk,
                      rd_kafka_topic_partition_list_t *list, bool cooperative)
{
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

        /* The pipeline commits or drops its in-flight batch before the
         * partitions go away. */
        call_revoke(c, list);
        if (cooperative) {
                rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, list);
                if (e) {
                        err = rd_kafka_error_code(e);
                        rd_kafka_error_destroy(e);
                }
                for (int i = 0; i < list->cnt; i++)
                        part_remove(c, list->elems[i].topic, list->elems[i].partition);
        } else {
                err = rd_kafka_assign(rk, NULL);
                parts_clear(c);
        }
        if (err)
                SWI_LOG_W(SUB, "unassign failed", "partitions=%d err=%s", list->cnt,
                          rd_kafka_err2name(err));
        SWI_LOG_I(SUB, "partitions revoked", "revoked=%d assigned=%d lost=%d", list->cnt, c->nparts,
                  rd_kafka_assignment_lost(rk));
}

/* The group's rebalance protocol. librdkafka answers NULL once it cannot
 * tell any more - a rebalance that completed while the consumer was no longer
 * polled is served by rd_kafka_consumer_close() after the group handler has
 * gone - so the protocol last seen stands (a group does not change it). */
static bool rebalance_cooperative(swi_kafka_consumer_t *c, rd_kafka_t *rk)
{
        const char *proto = rd_kafka_rebalance_protocol(rk);

        if (proto)
                c->cooperative = strcmp(proto, "COOPERATIVE") == 0;
        return c->cooperative;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list, void *opaque)
{
        swi_kafka_consumer_t *c = opaque;
        bool cooperative = rebalance_cooperative(c, rk);

        switch (err) {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                on_assign(c, rk, list, cooperative);
                break;
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
                on_revoke(c, rk, list, cooperative);
                break;
        default:
                SWI_LOG_E(SUB, "rebalance error", "err=%s", rd_kafka_err2name(err));
                rd_kafka_assign(rk, NULL);
                parts_clear(c);
                break;
        }
}

static void consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        swi_kafka_consumer_t *c = opaque;

        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
                c->all_brokers_down = true;
        error_log(rk, err, reason, &c->fatal);
}

/* Statistics (every statistics.interval.ms, on the polling thread): the
 * brokers' connection states and the group's state, for health. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
        swi_kafka_consumer_t *c = opaque;
        json_t *root = json_loadb(json, json_len, 0, NULL), *b;
        const char *name, *st;
        int up = 0, n = 0;

        if (!root)
                return 0;
        json_object_foreach(json_object_get(root, "brokers"), name, b)
        {
                /* bootstrap placeholders have nodeid -1 */
                if (json_integer_value(json_object_get(b, "nodeid")) < 0)
                        continue;
                n++;
                st = json_string_value(json_object_get(b, "state"));
                if (st && strcmp(st, "UP") == 0)
                        up++;
        }
        c->brokers = n;
        c->brokers_up = up;
        if (up > 0)
                c->all_brokers_down = false;
        st = json_string_value(json_object_get(json_object_get(root, "cgrp"), "state"));
        snprintf(c->group_state, sizeof(c->group_state), "%s", st ? st : "none");
        c->stats_at = wall_ms();
        json_decref(root);
        return 0; /* librdkafka frees json */
}

/* Result of an asynchronous offset commit (monitoring only: a failure costs
 * nothing but a stale view of the group in Kafka). */
static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
        swi_kafka_consumer_t *c = opaque;

        if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
                return;
        if (err) {
                c->commits_failed++;
                SWI_LOG_D(SUB, "offset commit to Kafka failed", "err=%s partitions=%d",
                          rd_kafka_err2name(err), offsets ? offsets->cnt : 0);
        }
}

swi_kafka_consumer_t *swi_kafka_consumer_new(const char *const *keys, const char *const *vals,
                                             int nkv, const char *group_id,
                                             const char *const *topics, int ntopics,
                                             swi_kafka_assign_cb_t assign_cb,
                                             swi_kafka_revoke_cb_t revoke_cb, void *opaque,
                                             char *errstr, size_t errstr_size)
{
        /* auto.offset.reset=error: an offset out of range (a stored offset
         * beyond a partition's end, or below its start after retention) is an
         * error the consumer decides about (consumer_error), never a silent
         * jump to the beginning and thousands of re-read messages. */
        static const char *const dkeys[] = {"enable.auto.commit", "enable.auto.offset.store",
                                            "enable.partition.eof", "auto.offset.reset",
                                            "statistics.interval.ms"};
        static const char *const dvals[] = {"false", "false", "true", "error", STATS_INTERVAL_MS};
        swi_kafka_consumer_t *c = NULL;
        rd_kafka_conf_t *conf = NULL;
        rd_kafka_topic_partition_list_t *subs = NULL;
        rd_kafka_resp_err_t err;

        if (!group_id || !topics || ntopics <= 0 || nkv < 0) {
                snprintf(errstr, errstr_size, "a group id and at least one topic are required");
                goto fail;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        c->assign_cb = assign_cb;
        c->revoke_cb = revoke_cb;
        c->opaque = opaque;

        conf = conf_base();
        if (!conf_set_all(conf, dkeys, dvals, 5, errstr, errstr_size) ||
            !conf_set_all(conf, keys, vals, nkv, errstr, errstr_size) ||
            !conf_set_all(conf, (const char *const[]){"group.id"}, &group_id, 1, errstr,
                          errstr_size))
                goto fail;
        rd_kafka_conf_set_opaque(conf, c);
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_error_cb(conf, consumer_error_cb);
        rd_kafka_conf_set_stats_cb(conf, stats_cb);
        rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
        snprintf(c->group_state, sizeof(c->group_state), "init");

        c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!c->rk)
                goto fail;
        conf = NULL; /* owned by rk now */
        rd_kafka_poll_set_consumer(c->rk);

        subs = rd_kafka_topic_partition_list_new(ntopics);
        for (int i = 0; i < ntopics; i++)
                rd_kafka_topic_partition_list_add(subs, topics[i], RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(c->rk, subs);
        rd_kafka_topic_partition_list_destroy(subs);
        if (err) {
                snprintf(errstr, errstr_size, "subscribe failed: %s", rd_kafka_err2str(err));
                goto fail;
        }
        SWI_LOG_I(SUB, "consumer created", "client=%s group=%s topics=%d", rd_kafka_name(c->rk),
                  group_id, ntopics);
        return c;

fail:
        if (conf)
                rd_kafka_conf_destroy(conf);
        if (c && c->rk)
                rd_kafka_destroy(c->rk);
        free(c);
        return NULL;
}

/* Seeks one partition to offset; logs a failure. */
static void seek_one(swi_kafka_consumer_t *c, const char *topic, int32_t partition, int64_t offset)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_error_t *e;

        rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
        e = rd_kafka_seek_partitions(c->rk, l, REQUEST_TIMEOUT_MS);
        if (e) {
                SWI_LOG_E(SUB, "seek failed", "topic=%s partition=%" PRId32 " err=%s", topic,
                          partition, rd_kafka_error_name(e));
                rd_kafka_error_destroy(e);
        } else if (l->elems[0].err) {
                SWI_LOG_E(SUB, "seek failed", "topic=%s partition=%" PRId32 " err=%s", topic,
                          partition, rd_kafka_err2name(l->elems[0].err));
        }
        rd_kafka_topic_partition_list_destroy(l);
}

/* The broker said offset is out of range (auto.offset.reset=error).
 *  - Beyond the end: the topic was recreated or truncated, or the stored
 *    offsets belong to another cluster. Reading from 0 would count every
 *    message again as a duplicate and hide the mistake, so the partition is
 *    refused: paused, reported, never read, until an operator decides
 *    (docs/operations.md).
 *  - Below the start: retention deleted messages before they were read.
 *    Nothing can bring them back; reading goes on from the first message
 *    kept, and the loss is reported and counted.
 *  - In range after all (a leader change): read again from offset. */
static void out_of_range(swi_kafka_consumer_t *c, const char *topic, int32_t partition,
                         int64_t offset, const char *why)
{
        int i = part_find(c, topic, partition);
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t err;
        rd_kafka_topic_partition_list_t *l;

        if (i < 0)
                return;
        err =
            rd_kafka_query_watermark_offsets(c->rk, topic, partition, &lo, &hi, REQUEST_TIMEOUT_MS);
        if (err) {
                /* Cannot tell which side: retry from the same offset. */
                SWI_LOG_W(SUB, "offset out of range, watermarks unknown; retrying",
                          "topic=%s partition=%" PRId32 " offset=%" PRId64 " err=%s", topic,
                          partition, offset, rd_kafka_err2name(err));
                seek_one(c, topic, partition, offset);
                return;
        }
        if (offset > hi) {
                c->parts[i].refused = true;
                c->refusals++;
                l = rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(l, topic, partition);
                rd_kafka_pause_partitions(c->rk, l);
                rd_kafka_topic_partition_list_destroy(l);
                SWI_LOG_E(SUB,
                          "stored offset is beyond the end of the partition; refusing to read it",
                          "topic=%s partition=%" PRId32 " stored_offset=%" PRId64
                          " end_offset=%" PRId64 " start_offset=%" PRId64 " detail=%s hint=%s",
                          topic, partition, offset, hi, lo, why,
                          "the topic was recreated or truncated, or the offsets belong to another "
                          "cluster: see docs/operations.md, 'Stored offsets beyond the end'");
                return;
        }
        if (offset >= 0 && offset < lo) {
                c->parts[i].lost += lo - offset;
                SWI_LOG_E(SUB, "messages were deleted by retention before they were read",
                          "topic=%s partition=%" PRId32 " stored_offset=%" PRId64
                          " start_offset=%" PRId64 " lost=%" PRId64,
                          topic, partition, offset, lo, lo - offset);
                seek_one(c, topic, partition, lo);
                return;
        }
        SWI_LOG_W(SUB, "offset out of range but within the partition now; reading on",
                  "topic=%s partition=%" PRId32 " offset=%" PRId64 " start_offset=%" PRId64
                  " end_offset=%" PRId64,
                  topic, partition, offset, lo, hi);
        seek_one(c, topic, partition, offset);
}

/* Handles a message that carries an error instead of data. */
static swi_err_t consumer_error(swi_kafka_consumer_t *c, rd_kafka_message_t *rkm)
{
        char fq[512];
        const char *topic = rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "-";

        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                int i = part_find(c, topic, rkm->partition);
                if (i >= 0 && !c->parts[i].at_eof) {
                        c->parts[i].at_eof = true;
                        c->n_eof++;
                }
                SWI_LOG_D(SUB, "partition end", "topic=%s partition=%" PRId32 " offset=%" PRId64,
                          topic, rkm->partition, rkm->offset);
                return SWI_OK;
        }
        if (rkm->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
                out_of_range(c, topic, rkm->partition, rkm->offset, rd_kafka_message_errstr(rkm));
                return SWI_OK;
        }
        if (rkm->err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(c->rk, fq, sizeof(fq));
                SWI_LOG_E(SUB, "fatal consumer error", "err=%s detail=\"%s\"",
                          rd_kafka_err2name(ferr), fq);
                c->fatal = true;
                return SWI_ERR_KAFKA;
        }
        SWI_LOG_W(SUB, "consumer error",
                  "topic=%s partition=%" PRId32 " offset=%" PRId64 " err=%s detail=\"%s\"", topic,
                  rkm->partition, rkm->offset, rd_kafka_err2name(rkm->err),
                  rd_kafka_message_errstr(rkm));
        return SWI_OK;
}

swi_err_t swi_kafka_consumer_poll(swi_kafka_consumer_t *c, int timeout_ms, swi_kafka_msg_t *out,
                                  int *got)
{
        rd_kafka_message_t *rkm;
        rd_kafka_timestamp_type_t tstype;
        swi_err_t rc;
        int i;

        assert(c && out && got);
        *got = 0;
        if (c->fatal)
                return SWI_ERR_KAFKA;
        rkm = rd_kafka_consumer_poll(c->rk, timeout_ms);
        if (!rkm)
                return c->fatal ? SWI_ERR_KAFKA : SWI_OK;
        if (rkm->err) {
                rc = consumer_error(c, rkm);
                rd_kafka_message_destroy(rkm);
                return rc;
        }

        out->topic = rd_kafka_topic_name(rkm->rkt);
        out->partition = rkm->partition;
        out->offset = rkm->offset;
        out->key = rkm->key;
        out->key_len = rkm->key_len;
        out->payload = rkm->payload;
        out->len = rkm->len;
        out->timestamp_ms = rd_kafka_message_timestamp(rkm, &tstype);
        if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
                out->timestamp_ms = -1;
        out->priv_ = rkm;

        i = part_find(c, out->topic, out->partition);
        if (i >= 0 && c->parts[i].at_eof) {
                c->parts[i].at_eof = false;
                c->n_eof--;
        }
        if (i >= 0 && c->parts[i].next_ts < 0 &&
            (out->offset == c->parts[i].committed || c->parts[i].committed < 0))
                c->parts[i].next_ts = out->timestamp_ms;
        *got = 1;
        return SWI_OK;
}

void swi_kafka_msg_release(swi_kafka_msg_t *m)
{
        if (!m || !m->priv_)
                return;
        rd_kafka_message_destroy(m->priv_);
        memset(m, 0, sizeof(*m));
}

swi_err_t swi_kafka_msg_header(const swi_kafka_msg_t *m, const char *name, const void **val,
                               size_t *len)
{
        rd_kafka_headers_t *hdrs = NULL;

        assert(m && m->priv_ && name && val && len);
        if (rd_kafka_message_headers(m->priv_, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return SWI_ERR_NOT_FOUND;
        if (rd_kafka_header_get_last(hdrs, name, val, len) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return SWI_ERR_NOT_FOUND;
        return SWI_OK;
}

bool swi_kafka_consumer_caught_up(const swi_kafka_consumer_t *c)
{
        assert(c);
        return c->nparts > 0 && c->n_eof == c->nparts;
}

int swi_kafka_consumer_assignment_count(const swi_kafka_consumer_t *c)
{
        assert(c);
        return c->nparts;
}

swi_err_t swi_kafka_consumer_reseek(swi_kafka_consumer_t *c)
{
        rd_kafka_topic_partition_list_t *list = NULL;
        rd_kafka_error_t *e;
        swi_err_t rc = SWI_OK;

        assert(c);
        if (c->nparts == 0)
                return SWI_OK;
        list = rd_kafka_topic_partition_list_new(c->nparts);
        /* A refused partition stays paused: re-seeking it would only be
         * refused again. */
        for (int i = 0; i < c->nparts; i++)
                if (!c->parts[i].refused)
                        rd_kafka_topic_partition_list_add(list, c->parts[i].topic,
                                                          c->parts[i].partition);
        if (list->cnt == 0)
                goto done;
        rc = ask_offsets(c, list, "reseek");
        if (rc != SWI_OK)
                goto done;
        /* A seek is local (the fetcher's state), so it may wait as long as it
         * takes: librdkafka before 2.1.0 (Debian 12 has 2.0.2) read this
         * timeout as microseconds (librdkafka PR #4230), and a loaded
         * machine's seek "timed out" after 10 ms while it still went ahead. */
        e = rd_kafka_seek_partitions(c->rk, list, -1);
        if (e) {
                SWI_LOG_E(SUB, "seek failed", "err=%s", rd_kafka_error_name(e));
                rd_kafka_error_destroy(e);
                rc = SWI_ERR_KAFKA;
                goto done;
        }
        for (int i = 0; i < list->cnt; i++) {
                if (list->elems[i].err) {
                        SWI_LOG_E(SUB, "seek failed", "topic=%s partition=%" PRId32 " err=%s",
                                  list->elems[i].topic, list->elems[i].partition,
                                  rd_kafka_err2name(list->elems[i].err));
                        rc = SWI_ERR_KAFKA;
                }
        }
        /* Whatever EOF was seen belongs to the old position; the open batch
         * is gone. */
        parts_reset_eof(c);
        for (int i = 0; i < list->cnt; i++) {
                int k = part_find(c, list->elems[i].topic, list->elems[i].partition);
                if (k >= 0)
                        part_position(&c->parts[k], list->elems[i].offset);
        }
        SWI_LOG_I(SUB, "partitions re-seeked", "partitions=%d", list->cnt);
done:
        rd_kafka_topic_partition_list_destroy(list);
        return rc;
}

void swi_kafka_consumer_stage(swi_kafka_consumer_t *c, const swi_kafka_msg_t *m)
{
        int i;

        assert(c && m);
        i = part_find(c, m->topic, m->partition);
        if (i < 0)
                return;
        c->parts[i].staged = m->offset + 1;
        c->parts[i].staged_ts = m->timestamp_ms;
}

void swi_kafka_consumer_discard(swi_kafka_consumer_t *c)
{
        assert(c);
        for (int i = 0; i < c->nparts; i++) {
                c->parts[i].staged = c->parts[i].committed;
                c->parts[i].staged_ts = -1;
        }
}

void swi_kafka_consumer_mirror_offsets(swi_kafka_consumer_t *c, bool on)
{
        assert(c);
        c->mirror = on;
}

int swi_kafka_consumer_committed(swi_kafka_consumer_t *c)
{
        rd_kafka_topic_partition_list_t *list = NULL;
        int n = 0;

        assert(c);
        for (int i = 0; i < c->nparts; i++) {
                swi_kafka_part_t *pt = &c->parts[i];
                if (pt->staged < 0 || pt->staged == pt->committed)
                        continue;
                pt->committed = pt->staged;
                pt->committed_ts = pt->staged_ts;
                pt->next_ts = -1; /* the message at the new position is not read yet */
                pt->staged_ts = -1;
                if (!c->mirror)
                        continue;
                if (!list)
                        list = rd_kafka_topic_partition_list_new(c->nparts);
                rd_kafka_topic_partition_list_add(list, pt->topic, pt->partition)->offset =
                    pt->committed;
                n++;
        }
        if (!list)
                return 0;
        mirror_commit(c, list);
        rd_kafka_topic_partition_list_destroy(list);
        return n;
}

int swi_kafka_consumer_lag(swi_kafka_consumer_t *c, swi_kafka_lag_t *out, int max)
{
        uint64_t now = wall_ms();
        int n = 0;

        assert(c && (out || max == 0));
        for (int i = 0; i < c->nparts && n < max; i++) {
                swi_kafka_part_t *pt = &c->parts[i];
                swi_kafka_lag_t *l = &out[n++];
                int64_t lo = RD_KAFKA_OFFSET_INVALID, hi = RD_KAFKA_OFFSET_INVALID;
                int64_t from;

                memset(l, 0, sizeof(*l));
                l->topic = pt->topic;
                l->partition = pt->partition;
                l->committed = pt->committed;
                l->refused = pt->refused;
                l->lost = pt->lost;
                l->end = -1;
                l->lag = -1;
                l->lag_seconds = -1;
                /* cached from fetch responses: no request to the broker */
                if (rd_kafka_get_watermark_offsets(c->rk, pt->topic, pt->partition, &lo, &hi) !=
                        RD_KAFKA_RESP_ERR_NO_ERROR ||
                    hi < 0)
                        continue;
                l->end = hi;
                from = pt->committed >= 0 ? pt->committed : lo >= 0 ? lo : 0;
                l->lag = hi > from ? hi - from : 0;
                if (l->lag == 0) {
                        pt->lag_since = 0;
                        l->lag_seconds = 0;
                        continue;
                }
                if (pt->lag_since == 0)
                        pt->lag_since = now;
                if (pt->next_ts > 0) {
                        /* the oldest message not committed has waited this long */
                        l->lag_seconds = (double)((int64_t)now - pt->next_ts) / 1000.0;
                } else {
                        /* not read yet: at least since the lag was first seen, at
                         * most since the last committed message was produced */
                        uint64_t since = pt->lag_since;
                        if (pt->committed_ts > 0 && (uint64_t)pt->committed_ts > since)
                                since = (uint64_t)pt->committed_ts;
                        l->lag_seconds = (double)(now - since) / 1000.0;
                }
                if (l->lag_seconds < 0)
                        l->lag_seconds = 0;
        }
        return n;
}

void swi_kafka_consumer_health(const swi_kafka_consumer_t *c, swi_kafka_health_t *h)
{
        assert(c && h);
        memset(h, 0, sizeof(*h));
        h->brokers = c->brokers;
        h->brokers_up = c->brokers_up;
        h->up = !c->fatal && !c->all_brokers_down && (c->stats_at == 0 || c->brokers_up > 0);
        h->stats_age_ms = c->stats_at ? (int64_t)(wall_ms() - c->stats_at) : -1;
        snprintf(h->group_state, sizeof(h->group_state), "%s", c->group_state);
        h->commit_failures = c->commits_failed;
        h->refusals = c->refusals;
        for (int i = 0; i < c->nparts; i++)
                if (c->parts[i].refused)
                        h->refused++;
        h->fatal = c->fatal;
}

void swi_kafka_consumer_close(swi_kafka_consumer_t *c, int timeout_ms)
{
        rd_kafka_error_t *e;
        uint64_t deadline;
        bool closed = false;

        if (!c)
                return;
        deadline = wall_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
        /* Closes in the background; polling the consumer queue serves the
         * final revoke through rebalance_cb. With the brokers down, leaving
         * the group would take up to session.timeout.ms: the deadline cuts
         * it short (the group coordinator then expires the member). */
        rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
        e = rd_kafka_consumer_close_queue(c->rk, q);
        if (e) {
                SWI_LOG_W(SUB, "consumer close failed", "err=%s", rd_kafka_error_name(e));
                rd_kafka_error_destroy(e);
        } else {
                while (!(closed = rd_kafka_consumer_closed(c->rk)) && wall_ms() < deadline) {
                        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->rk, 100);
                        if (rkm)
                                rd_kafka_message_destroy(rkm);
                }
        }
        rd_kafka_queue_destroy(q);
        if (!closed)
                SWI_LOG_W(SUB, "consumer not closed within the shutdown timeout; leaving anyway",
                          "timeout_ms=%d", timeout_ms);
        rd_kafka_destroy_flags(c->rk, closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        parts_clear(c);
        free(c->parts);
        free(c);
}

void swi_kafka_consumer_destroy(swi_kafka_consumer_t *c)
{
        /* Unbounded in practice: leaving the group may take up to
         * session.timeout.ms with the brokers down. */
        swi_kafka_consumer_close(c, 3600 * 1000);
}

/* ---- producer -------------------------------------------------------------- */

/* Used from one thread; delivery reports are served by rd_kafka_poll() /
 * rd_kafka_flush() on that thread. */
struct swi_kafka_producer_s {
        rd_kafka_t *rk;
        int64_t failed; /* delivery failures since the last flush */
        int64_t failed_total;
        int64_t refused; /* refused by the broker for their size, not yet taken */
        unsigned int since_poll;
        bool fatal;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        swi_kafka_producer_t *p = opaque;

        if (!rkm->err)
                return;
        if (rkm->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
            rkm->err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE) {
                /* permanent: a retry would be refused again */
                SWI_LOG_E(SUB, "message refused by the broker for its size",
                          "topic=%s bytes=%zu err=%s", rd_kafka_topic_name(rkm->rkt),
                          rkm->len + rkm->key_len, rd_kafka_err2name(rkm->err));
                p->refused++;
                return;
        }
        /* First failure of a flush period is logged; the rest are counted. */
        if (p->failed == 0)
                SWI_LOG_W(SUB, "delivery failed", "topic=%s partition=%" PRId32 " err=%s",
                          rd_kafka_topic_name(rkm->rkt), rkm->partition,
                          rd_kafka_err2name(rkm->err));
        p->failed++;
        p->failed_total++;
}

static void producer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        swi_kafka_producer_t *p = opaque;

        error_log(rk, err, reason, &p->fatal);
}

swi_kafka_producer_t *swi_kafka_producer_new(const char *const *keys, const char *const *vals,
                                             int nkv, char *errstr, size_t errstr_size)
{
        static const char *const dkeys[] = {"enable.idempotence", "compression.type", "linger.ms",
                                            "batch.num.messages", "message.max.bytes"};
        static const char *const dvals[] = {"true", "lz4", "20", "10000", "100000000"};
        swi_kafka_producer_t *p = NULL;
        rd_kafka_conf_t *conf = NULL;

        p = calloc(1, sizeof(*p));
        if (!p) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        conf = conf_base();
        if (!conf_set_all(conf, dkeys, dvals, 5, errstr, errstr_size) ||
            !conf_set_all(conf, keys, vals, nkv, errstr, errstr_size))
                goto fail;
        rd_kafka_conf_set_opaque(conf, p);
        rd_kafka_conf_set_error_cb(conf, producer_error_cb);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
        p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!p->rk)
                goto fail;
        SWI_LOG_I(SUB, "producer created", "client=%s", rd_kafka_name(p->rk));
        return p;

fail:
        if (conf)
                rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
}

bool swi_kafka_embedded_fits(size_t key_len, size_t val_len)
{
        /* a v2 record batch: 61 bytes of batch header, and per record at most
         * 1 + 3 * 10 varint bytes of lengths, deltas and the header count */
        const size_t overhead = 61 + 31;
        return key_len <= SWI_KAFKA_EMBEDDED_PARTITION_BYTES - overhead &&
               val_len <= SWI_KAFKA_EMBEDDED_PARTITION_BYTES - overhead - key_len;
}

swi_err_t swi_kafka_produce(swi_kafka_producer_t *p, const char *topic, int32_t partition,
                            const void *key, size_t key_len, const void *val, size_t val_len,
                            const char *const *hdr_names, const char *const *hdr_vals, int nhdr)
{
        rd_kafka_headers_t *hdrs = NULL;
        rd_kafka_resp_err_t err;
        swi_err_t rc = SWI_OK;

        assert(p && topic && nhdr >= 0);
        if (p->fatal)
                return SWI_ERR_KAFKA;
        if (nhdr > 0) {
                hdrs = rd_kafka_headers_new((size_t)nhdr);
                for (int i = 0; i < nhdr; i++)
                        rd_kafka_header_add(hdrs, hdr_names[i], -1, hdr_vals[i],
                                            hdr_vals[i] ? -1 : 0);
        }
        for (;;) {
                err = rd_kafka_producev(
                    p->rk, RD_KAFKA_V_TOPIC(topic),
                    RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                    RD_KAFKA_V_VALUE((void *)val, val_len), RD_KAFKA_V_HEADERS(hdrs),
                    RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                /* Local queue full: serve delivery reports until room frees up. */
                rd_kafka_poll(p->rk, 100);
        }
        if (err) {
                SWI_LOG_W(SUB, "produce failed", "topic=%s partition=%" PRId32 " err=%s", topic,
                          partition, rd_kafka_err2name(err));
                if (hdrs)
                        rd_kafka_headers_destroy(hdrs); /* still ours on failure */
                rc = SWI_ERR_KAFKA;
                goto done;
        }
        /* On success the headers belong to the message. */
        if (++p->since_poll >= PRODUCE_POLL_EVERY) {
                p->since_poll = 0;
                rd_kafka_poll(p->rk, 0);
        }
done:
        return rc;
}

swi_err_t swi_kafka_producer_flush(swi_kafka_producer_t *p, int timeout_ms)
{
        rd_kafka_resp_err_t err;
        swi_err_t rc = SWI_OK;

        assert(p);
        err = rd_kafka_flush(p->rk, timeout_ms);
        if (err) {
                SWI_LOG_W(SUB, "flush incomplete", "err=%s in_queue=%d timeout_ms=%d",
                          rd_kafka_err2name(err), rd_kafka_outq_len(p->rk), timeout_ms);
                rc = SWI_ERR_KAFKA;
        }
        if (p->failed > 0) {
                SWI_LOG_W(SUB, "deliveries failed since last flush",
                          "failed=%" PRId64 " failed_total=%" PRId64, p->failed, p->failed_total);
                p->failed = 0;
                rc = SWI_ERR_KAFKA;
        }
        if (p->fatal)
                rc = SWI_ERR_KAFKA;
        return rc;
}

int64_t swi_kafka_producer_take_refused(swi_kafka_producer_t *p)
{
        int64_t n = p->refused;
        p->refused = 0;
        return n;
}

void swi_kafka_producer_close(swi_kafka_producer_t *p, int timeout_ms)
{
        if (!p)
                return;
        if (swi_kafka_producer_flush(p, timeout_ms) != SWI_OK) {
                SWI_LOG_W(SUB, "producer destroyed with undelivered messages", "in_queue=%d",
                          rd_kafka_outq_len(p->rk));
                /* Fail what is left at once instead of waiting for it. */
                rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_poll(p->rk, 0);
        }
        rd_kafka_destroy(p->rk);
        free(p);
}

void swi_kafka_producer_destroy(swi_kafka_producer_t *p)
{
        swi_kafka_producer_close(p, REQUEST_TIMEOUT_MS);
}

/* ---- end offsets ----------------------------------------------------------- */

swi_err_t swi_kafka_end_offsets(const char *const *keys, const char *const *vals, int nkv,
                                const char *topic, int64_t *out, int max, int *nparts)
{
        rd_kafka_conf_t *conf = NULL;
        rd_kafka_t *rk = NULL;
        const struct rd_kafka_metadata *md = NULL;
        const struct rd_kafka_metadata_topic *mt = NULL;
        rd_kafka_resp_err_t err;
        char errstr[512];
        swi_err_t rc = SWI_OK;
        int cnt;

        assert(topic && nparts && (out || max == 0));
        *nparts = 0;
        conf = conf_base();
        if (!conf_set_all(conf, keys, vals, nkv, errstr, sizeof(errstr))) {
                SWI_LOG_E(SUB, "end offsets: bad configuration", "detail=\"%s\"", errstr);
                rc = SWI_ERR_CONFIG;
                goto done;
        }
        /* A consumer handle: it never auto-creates the topic it asks about. */
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        if (!rk) {
                SWI_LOG_E(SUB, "end offsets: client creation failed", "detail=\"%s\"", errstr);
                rc = SWI_ERR_KAFKA;
                goto done;
        }
        conf = NULL;
        /* Metadata of all topics: asking for one topic by handle makes the
         * broker (the mock, or a real one with auto.create.topics.enable)
         * create it. */
        err = rd_kafka_metadata(rk, 1, NULL, &md, REQUEST_TIMEOUT_MS);
        if (err) {
                SWI_LOG_E(SUB, "end offsets: metadata failed", "topic=%s err=%s", topic,
                          rd_kafka_err2name(err));
                rc = SWI_ERR_KAFKA;
                goto done;
        }
        for (int i = 0; i < md->topic_cnt && !mt; i++) {
                if (strcmp(md->topics[i].topic, topic) == 0)
                        mt = &md->topics[i];
        }
        if (!mt || mt->err) {
                err = mt ? mt->err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
                SWI_LOG_W(SUB, "end offsets: topic unavailable", "topic=%s err=%s", topic,
                          rd_kafka_err2name(err));
                rc = err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? SWI_ERR_NOT_FOUND
                                                                    : SWI_ERR_KAFKA;
                goto done;
        }
        cnt = mt->partition_cnt;
        *nparts = cnt;
        for (int i = 0; i < cnt; i++) {
                /* Metadata lists partitions in any order: index by id. */
                int32_t id = mt->partitions[i].id;
                int64_t lo = 0, hi = 0;
                if (id < 0 || id >= max)
                        continue;
                err = rd_kafka_query_watermark_offsets(rk, topic, id, &lo, &hi, REQUEST_TIMEOUT_MS);
                if (err) {
                        SWI_LOG_E(SUB, "end offsets: watermark query failed",
                                  "topic=%s partition=%" PRId32 " err=%s", topic, id,
                                  rd_kafka_err2name(err));
                        rc = SWI_ERR_KAFKA;
                        goto done;
                }
                out[id] = hi;
        }
done:
        if (md)
                rd_kafka_metadata_destroy(md);
        if (rk)
                rd_kafka_destroy(rk);
        if (conf)
                rd_kafka_conf_destroy(conf);
        return rc;
}

/* ---- embedded broker ------------------------------------------------------- */

/* The cluster runs on its own librdkafka thread; the handle itself is only
 * touched by the thread that created it. */
struct swi_kafka_mock_s {
        rd_kafka_t *rk; /* hosts the cluster's thread; never connects anywhere */
        rd_kafka_mock_cluster_t *mc;
        char *bootstraps;
};

swi_kafka_mock_t *swi_kafka_mock_new(int nbrokers, char *errstr, size_t errstr_size)
{
        swi_kafka_mock_t *m = NULL;
        rd_kafka_conf_t *conf = NULL;

        if (nbrokers < 1) {
                snprintf(errstr, errstr_size, "at least one broker is needed, got %d", nbrokers);
                goto fail;
        }
        m = calloc(1, sizeof(*m));
        if (!m) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        conf = conf_base();
        /* This handle has no bootstrap servers on purpose: it only owns the
         * cluster. Its "no bootstrap.servers" notice is level 5, so hide it. */
        if (!conf_set_all(conf, (const char *const[]){"log_level", "client.id"},
                          (const char *const[]){"4", "swi-mock"}, 2, errstr, errstr_size))
                goto fail;
        m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!m->rk)
                goto fail;
        conf = NULL;
        m->mc = rd_kafka_mock_cluster_new(m->rk, nbrokers);
        if (!m->mc) {
                snprintf(errstr, errstr_size, "could not start the mock cluster (%d brokers)",
                         nbrokers);
                goto fail;
        }
        m->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(m->mc));
        if (!m->bootstraps) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        SWI_LOG_I(SUB, "mock cluster started", "brokers=%d bootstrap=%s", nbrokers, m->bootstraps);
        return m;

fail:
        if (conf)
                rd_kafka_conf_destroy(conf);
        if (m) {
                if (m->mc)
                        rd_kafka_mock_cluster_destroy(m->mc);
                if (m->rk)
                        rd_kafka_destroy(m->rk);
                free(m->bootstraps);
                free(m);
        }
        return NULL;
}

const char *swi_kafka_mock_bootstraps(const swi_kafka_mock_t *m)
{
        assert(m);
        return m->bootstraps;
}

void swi_kafka_mock_refuse_produce_for_size(swi_kafka_mock_t *m, int n)
{
        assert(m && n >= 0);
        for (int i = 0; i < n; i++)
                rd_kafka_mock_push_request_errors(m->mc, 0 /* ApiKey Produce */, 1,
                                                  RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
}

swi_err_t swi_kafka_mock_create_topic(swi_kafka_mock_t *m, const char *topic, int partitions)
{
        rd_kafka_resp_err_t err;

        assert(m && topic);
        if (partitions < 1)
                return SWI_ERR_INVALID_ARG;
        /* Replication factor 1: the mock replicates nothing anyway. */
        err = rd_kafka_mock_topic_create(m->mc, topic, partitions, 1);
        if (err) {
                SWI_LOG_E(SUB, "mock topic creation failed", "topic=%s partitions=%d err=%s", topic,
                          partitions, rd_kafka_err2name(err));
                return SWI_ERR_KAFKA;
        }
        SWI_LOG_I(SUB, "mock topic created", "topic=%s partitions=%d", topic, partitions);
        return SWI_OK;
}

swi_err_t swi_kafka_mock_set_up(swi_kafka_mock_t *m, int broker_id, bool up)
{
        rd_kafka_resp_err_t err;

        assert(m);
        err = up ? rd_kafka_mock_broker_set_up(m->mc, broker_id)
                 : rd_kafka_mock_broker_set_down(m->mc, broker_id);
        if (err) {
                SWI_LOG_E(SUB, "mock broker state change failed", "broker=%d up=%s err=%s",
                          broker_id, up ? "true" : "false", rd_kafka_err2name(err));
                return SWI_ERR_KAFKA;
        }
        SWI_LOG_I(SUB, up ? "mock broker up" : "mock broker down", "broker=%d", broker_id);
        return SWI_OK;
}

void swi_kafka_mock_destroy(swi_kafka_mock_t *m)
{
        if (!m)
                return;
        rd_kafka_mock_cluster_destroy(m->mc);
        rd_kafka_destroy(m->rk);
        free(m->bootstraps);
        free(m);
}
