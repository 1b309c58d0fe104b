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

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "../common/log.h"

#define SUB "kafka"

/* Back-off for a failing assign callback: 100 ms doubling up to 5 s. */
#define ASSIGN_BACKOFF_MIN_MS 100
#define ASSIGN_BACKOFF_MAX_MS 5000
/* Timeout of metadata, watermark and seek requests. */
#define REQUEST_TIMEOUT_MS 10000
/* Delivery reports are served every this many produce calls (and on flush). */
#define PRODUCE_POLL_EVERY 256

/* ---- shared helpers -------------------------------------------------------- */

/* Copies src into dst for a quoted log value: '"' and newlines become '\''. */
static const char *log_quote(char *dst, size_t dst_size, const char *src)
{
        size_t i;

        assert(dst_size > 0);
        for (i = 0; src && src[i] && i < dst_size - 1; i++)
                dst[i] = (src[i] == '"' || src[i] == '\n' || src[i] == '\r') ? '\'' : src[i];
        dst[i] = '\0';
        return dst;
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
        char q[1024];

        if (level <= 3)
                lvl = SWI_LOG_ERROR;
        else if (level == 4)
                lvl = SWI_LOG_WARN;
        else if (level <= 6)
                lvl = SWI_LOG_INFO;
        else
                lvl = SWI_LOG_DEBUG;
        swi_log(lvl, SUB, "librdkafka", "client=%s fac=%s detail=\"%s\"", rd_kafka_name(rk), fac,
                log_quote(q, sizeof(q), buf));
}

/* Logs a generic client error (broker down, all brokers down, fatal
 * idempotence error); sets *fatal (if given) when the client is unusable. */
static void error_log(rd_kafka_t *rk, int err, const char *reason, bool *fatal)
{
        char q[512];
        char fq[512];

        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, fq, sizeof(fq));
                SWI_LOG_E(SUB, "fatal client error", "client=%s err=%s detail=\"%s\"",
                          rd_kafka_name(rk), rd_kafka_err2name(ferr), log_quote(q, sizeof(q), fq));
                if (fatal)
                        *fatal = true;
                return;
        }
        SWI_LOG_W(SUB, "client error", "client=%s err=%s detail=\"%s\"", rd_kafka_name(rk),
                  rd_kafka_err2name((rd_kafka_resp_err_t)err), log_quote(q, sizeof(q), reason));
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

/* One assigned partition. at_eof: partition EOF seen, no message since. */
typedef struct swi_kafka_part_s {
        char *topic;
        int32_t partition;
        bool at_eof;
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

static swi_err_t part_add(swi_kafka_consumer_t *c, const char *topic, int32_t partition)
{
        swi_kafka_part_t *np;

        if (part_find(c, topic, partition) >= 0)
                return SWI_OK;
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
                if (part_add(c, list->elems[i].topic, list->elems[i].partition) != SWI_OK)
                        SWI_LOG_E(SUB, "out of memory tracking the assignment", "%s", "");
        }
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

        error_log(rk, err, reason, &c->fatal);
}

swi_kafka_consumer_t *swi_kafka_consumer_new(const char *const *keys, const char *const *vals,
                                             int nkv, const char *group_id,
                                             const char *const *topics, int ntopics,
                                             swi_kafka_assign_cb_t assign_cb,
                                             swi_kafka_revoke_cb_t revoke_cb, void *opaque,
                                             char *errstr, size_t errstr_size)
{
        static const char *const dkeys[] = {"enable.auto.commit", "enable.auto.offset.store",
                                            "enable.partition.eof", "auto.offset.reset"};
        static const char *const dvals[] = {"false", "false", "true", "earliest"};
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
        if (!conf_set_all(conf, dkeys, dvals, 4, errstr, errstr_size) ||
            !conf_set_all(conf, keys, vals, nkv, errstr, errstr_size) ||
            !conf_set_all(conf, (const char *const[]){"group.id"}, &group_id, 1, errstr,
                          errstr_size))
                goto fail;
        rd_kafka_conf_set_opaque(conf, c);
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_error_cb(conf, consumer_error_cb);

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

/* Handles a message that carries an error instead of data. */
static swi_err_t consumer_error(swi_kafka_consumer_t *c, rd_kafka_message_t *rkm)
{
        char q[512];
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
        if (rkm->err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(c->rk, fq, sizeof(fq));
                SWI_LOG_E(SUB, "fatal consumer error", "err=%s detail=\"%s\"",
                          rd_kafka_err2name(ferr), log_quote(q, sizeof(q), fq));
                c->fatal = true;
                return SWI_ERR_KAFKA;
        }
        SWI_LOG_W(SUB, "consumer error",
                  "topic=%s partition=%" PRId32 " offset=%" PRId64 " err=%s detail=\"%s\"", topic,
                  rkm->partition, rkm->offset, rd_kafka_err2name(rkm->err),
                  log_quote(q, sizeof(q), rd_kafka_message_errstr(rkm)));
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
        for (int i = 0; i < c->nparts; i++)
                rd_kafka_topic_partition_list_add(list, c->parts[i].topic, c->parts[i].partition);
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
        /* Whatever EOF was seen belongs to the old position. */
        parts_reset_eof(c);
        SWI_LOG_I(SUB, "partitions re-seeked", "partitions=%d", list->cnt);
done:
        rd_kafka_topic_partition_list_destroy(list);
        return rc;
}

void swi_kafka_consumer_destroy(swi_kafka_consumer_t *c)
{
        rd_kafka_resp_err_t err;

        if (!c)
                return;
        /* Serves the final revoke through rebalance_cb, then leaves the group. */
        err = rd_kafka_consumer_close(c->rk);
        if (err)
                SWI_LOG_W(SUB, "consumer close failed", "err=%s", rd_kafka_err2name(err));
        rd_kafka_destroy(c->rk);
        parts_clear(c);
        free(c->parts);
        free(c);
}

/* ---- producer -------------------------------------------------------------- */

/* Used from one thread; delivery reports are served by rd_kafka_poll() /
 * rd_kafka_flush() on that thread. */
struct swi_kafka_producer_s {
        rd_kafka_t *rk;
        int64_t failed; /* delivery failures since the last flush */
        int64_t failed_total;
        unsigned int since_poll;
        bool fatal;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
        swi_kafka_producer_t *p = opaque;

        if (!rkm->err)
                return;
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
                                            "batch.num.messages"};
        static const char *const dvals[] = {"true", "lz4", "20", "10000"};
        swi_kafka_producer_t *p = NULL;
        rd_kafka_conf_t *conf = NULL;

        p = calloc(1, sizeof(*p));
        if (!p) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        conf = conf_base();
        if (!conf_set_all(conf, dkeys, dvals, 4, errstr, errstr_size) ||
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

void swi_kafka_producer_destroy(swi_kafka_producer_t *p)
{
        if (!p)
                return;
        if (swi_kafka_producer_flush(p, REQUEST_TIMEOUT_MS) != SWI_OK)
                SWI_LOG_W(SUB, "producer destroyed with undelivered messages", "in_queue=%d",
                          rd_kafka_outq_len(p->rk));
        rd_kafka_destroy(p->rk);
        free(p);
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
