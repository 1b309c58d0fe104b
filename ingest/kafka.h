/* kafka.h - the only module that includes rdkafka.h.
 *
 * Consumer with externally stored offsets (PostgreSQL), producer (dead-letter
 * topic, generator) and the embedded broker (librdkafka's mock cluster).
 *
 * Ownership: messages returned by swi_kafka_consumer_poll() stay valid until
 * swi_kafka_msg_release(). Config arrays are copied.
 * Thread safety: a consumer or producer handle is used from one thread; the
 * assign/revoke callbacks run inside swi_kafka_consumer_poll() on that thread.
 *
 * The embedded broker (librdkafka 2.0.2 mock cluster, src/rdkafka_mock.c,
 * rd_kafka_mock_partition_init() and rd_kafka_mock_msgset_new()):
 *  - each partition keeps at most 5 MiB of record *batches* (max_size =
 *    1024 * 1024 * 5) and at most 100000 batches (max_cnt); on every append
 *    the oldest whole batches are dropped until both limits hold again (the
 *    newest batch is always kept) and the log start offset moves up, like
 *    size-based retention. A consumer seeking below it gets
 *    OFFSET_OUT_OF_RANGE and auto.offset.reset applies.
 *  - batches are stored byte-for-byte as produced (only BaseOffset is
 *    rewritten), so compression is honoured end to end and the 5 MiB counts
 *    compressed bytes: lz4 directly stretches the retained history.
 *  - a Fetch returns at most one batch per partition (FIXME in
 *    rd_kafka_mock_handle_Fetch), so large producer batches matter for
 *    consumer throughput.
 *  - consumer groups are supported (FindCoordinator, JoinGroup, SyncGroup,
 *    Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch; rdkafka_mock_cgrp.c).
 *    The first join waits 3 s for more members before electing a leader; a
 *    member joining a running group makes the group wait up to
 *    session.timeout.ms - 1000 for everybody to rejoin. Also idempotent and
 *    transactional producers (InitProducerId, sequence checks).
 *  - each broker listens on 127.0.0.1 with a kernel-chosen (random) port; a
 *    fixed port cannot be requested in 2.0.2. Topics unknown to the mock are
 *    auto-created with 4 partitions when a producer asks for their metadata.
 *  - everything is in memory and lost when the cluster is destroyed.
 *  - a record batch over the 5 MiB is not kept at all: with it go every older
 *    batch of the partition and the next one appended (observed with
 *    librdkafka 2.0.2; docs/architecture.md). One message of more than 5 MiB
 *    thus drops the partition's history; swi-gen and swi-replay refuse to
 *    produce one (swi_kafka_embedded_fits). */
#ifndef SWI_KAFKA_H
#define SWI_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one partition of the embedded broker keeps (see above). */
#define SWI_KAFKA_EMBEDDED_PARTITION_BYTES (5 * 1024 * 1024)
/* True when a message with a key and value of these sizes fits in one
 * embedded partition as its own record batch, counted uncompressed (batch
 * and record headers included): the test producers refuse anything larger. */
bool swi_kafka_embedded_fits(size_t key_len, size_t val_len);
/* message.max.bytes for the test producers: room for every message that fits. */
#define SWI_KAFKA_EMBEDDED_MESSAGE_MAX "5242880"

#include "../common/swi_err.h"

typedef struct swi_kafka_consumer_s swi_kafka_consumer_t;
typedef struct swi_kafka_producer_s swi_kafka_producer_t;
typedef struct swi_kafka_mock_s swi_kafka_mock_t;

/* Special offset: start of the partition (no stored offset). */
#define SWI_KAFKA_OFFSET_BEGINNING (-2)

typedef struct swi_kafka_msg_s {
        const char *topic;
        int32_t partition;
        int64_t offset;
        const void *key;
        size_t key_len;
        const void *payload;
        size_t len;
        int64_t timestamp_ms; /* -1 if none */
        void *priv_;          /* the rd_kafka_message_t */
} swi_kafka_msg_t;

/* Finds the last header called name in m. *val and *len point into m (valid until
 * swi_kafka_msg_release(); *val is NULL for a null header value). Returns
 * SWI_ERR_NOT_FOUND if there is no such header. */
swi_err_t swi_kafka_msg_header(const swi_kafka_msg_t *m, const char *name, const void **val,
                               size_t *len);

/* Called on every partition assignment with the newly assigned partitions.
 * Must fill offsets[i] with the next offset to read (or SWI_KAFKA_OFFSET_BEGINNING;
 * offsets[] arrives pre-filled with that). A non-OK return makes the consumer
 * retry the assignment callback after a back-off (100 ms doubling to 5 s), except
 * SWI_ERR_STOPPED, which gives up and leaves those partitions unassigned. */
typedef swi_err_t (*swi_kafka_assign_cb_t)(void *opaque, int n, const char *const *topics,
                                           const int32_t *partitions, int64_t *offsets);
/* Called before partitions are revoked (rebalance, shutdown): the pipeline
 * commits or drops its in-flight batch here. */
typedef void (*swi_kafka_revoke_cb_t)(void *opaque, int n, const char *const *topics,
                                      const int32_t *partitions);

/* Creates a consumer in group group_id subscribed to topics. keys/vals are
 * librdkafka properties (e.g. bootstrap.servers). Auto-commit is off: offsets
 * live in PostgreSQL. Returns NULL with errstr on failure. */
swi_kafka_consumer_t *swi_kafka_consumer_new(const char *const *keys, const char *const *vals,
                                             int nkv, const char *group_id,
                                             const char *const *topics, int ntopics,
                                             swi_kafka_assign_cb_t assign_cb,
                                             swi_kafka_revoke_cb_t revoke_cb, void *opaque,
                                             char *errstr, size_t errstr_size);

/* Polls for one message. Returns SWI_OK and *got = 1 with out filled, or
 * *got = 0 on timeout / partition EOF / transient error (logged). An offset
 * out of range is handled here: beyond the partition's end the partition is
 * refused (paused, never read, an error logged, swi_kafka_consumer_health
 * counts it); below its start (retention) reading goes on from the start
 * and the loss is logged and counted (swi_kafka_lag_t.lost). */
swi_err_t swi_kafka_consumer_poll(swi_kafka_consumer_t *c, int timeout_ms, swi_kafka_msg_t *out,
                                  int *got);
void swi_kafka_msg_release(swi_kafka_msg_t *m);

/* True when at least one partition is assigned and every assigned partition
 * has reached its end (partition EOF seen with no message after it); a
 * refused partition never has. */
bool swi_kafka_consumer_caught_up(const swi_kafka_consumer_t *c);

/* Re-seeks every assigned partition to the offsets the assign callback gives
 * (used after a failed PostgreSQL transaction). The callback is retried like
 * on assignment; returns SWI_ERR_STOPPED if it gave up (nothing seeked) or
 * SWI_ERR_KAFKA if the seek failed. Messages fetched before the seek are
 * discarded by librdkafka. */
swi_err_t swi_kafka_consumer_reseek(swi_kafka_consumer_t *c);

/* Number of currently assigned partitions. */
int swi_kafka_consumer_assignment_count(const swi_kafka_consumer_t *c);

/* The caller's batch and the consumer's view of it. The consumer keeps, per
 * assigned partition, the offset committed by the caller (PostgreSQL) and
 * the offset after the last message the caller put into its open batch:
 *  - stage: m is in the open batch (call after it was added);
 *  - committed: the open batch committed; the staged offsets become the
 *    committed ones and, when mirroring is on, are also committed to Kafka
 *    (asynchronously, for monitoring: Burrow, kafka-consumer-groups and
 *    kafka-lag-exporter see the group's position; the consumer never reads
 *    them back: assignments and re-seeks always ask the assign callback).
 *    Returns the number of partitions committed to Kafka;
 *  - discard: the open batch was dropped (a re-seek does this too).
 * Assignment and re-seek set the committed offsets to what the assign
 * callback returned (and, when mirroring, commit them to Kafka on
 * assignment, so that Kafka's view is right even before anything is read).
 * Mirroring is off by default: swi_kafka_consumer_mirror_offsets. */
void swi_kafka_consumer_mirror_offsets(swi_kafka_consumer_t *c, bool on);
void swi_kafka_consumer_stage(swi_kafka_consumer_t *c, const swi_kafka_msg_t *m);
int swi_kafka_consumer_committed(swi_kafka_consumer_t *c);
void swi_kafka_consumer_discard(swi_kafka_consumer_t *c);

/* Lag of one assigned partition. topic is valid until the next poll. */
typedef struct swi_kafka_lag_s {
        const char *topic;
        int32_t partition;
        int64_t committed;  /* next offset committed, or SWI_KAFKA_OFFSET_BEGINNING */
        int64_t end;        /* high watermark (-1: not known yet) */
        int64_t lag;        /* end - committed (from the log start if nothing is
                               committed); -1 when end is not known */
        double lag_seconds; /* age of the oldest message not committed (-1: unknown) */
        bool refused;       /* stored offset beyond the end: not read */
        int64_t lost;       /* messages retention deleted before they were read */
} swi_kafka_lag_t;
/* Fills up to max entries (one per assigned partition) from cached
 * watermarks (no broker request); returns how many. lag_seconds is the age
 * of the message at the committed offset when it has been read; before
 * that, the time since the lag was first seen (or since the last committed
 * message was produced, whichever is later). */
int swi_kafka_consumer_lag(swi_kafka_consumer_t *c, swi_kafka_lag_t *out, int max);

typedef struct swi_kafka_health_s {
        bool up;    /* a broker connection is up (or not known to be down yet) */
        bool fatal; /* the client raised a fatal error */
        int brokers, brokers_up;
        char group_state[32];     /* librdkafka's cgrp state: "up", "wait-join", ... */
        int64_t stats_age_ms;     /* age of that information; -1 none yet */
        uint64_t commit_failures; /* offset commits to Kafka that failed */
        int refused;              /* partitions refused now (stored offset beyond the end) */
        uint64_t refusals;        /* times a partition was refused */
} swi_kafka_health_t;
/* Connection and group state from librdkafka's statistics (every
 * statistics.interval.ms, default 5 s) and its error callback. */
void swi_kafka_consumer_health(const swi_kafka_consumer_t *c, swi_kafka_health_t *h);

/* Leaves the group (the revoke callback runs) and frees, taking at most
 * about timeout_ms: with the brokers down the group is not left cleanly (its
 * coordinator expires the member). NULL is a no-op. */
void swi_kafka_consumer_close(swi_kafka_consumer_t *c, int timeout_ms);
/* swi_kafka_consumer_close without a practical time limit. */
void swi_kafka_consumer_destroy(swi_kafka_consumer_t *c);

/* Producer: idempotent, lz4 compression, and message.max.bytes 100,000,000 -
 * every message a consumer takes by default (receive.message.max.bytes) can
 * be produced again, as the dead-letter copy of a rejected message is - by
 * default (override with keys/vals). */
swi_kafka_producer_t *swi_kafka_producer_new(const char *const *keys, const char *const *vals,
                                             int nkv, char *errstr, size_t errstr_size);
/* Produces one message (copied). partition -1: by key hash. Headers optional
 * (hdr_names/hdr_vals NULL-terminated strings, nhdr of them). Blocks while the
 * local queue is full. */
swi_err_t swi_kafka_produce(swi_kafka_producer_t *p, const char *topic, int32_t partition,
                            const void *key, size_t key_len, const void *val, size_t val_len,
                            const char *const *hdr_names, const char *const *hdr_vals, int nhdr);
/* Waits until every produced message is acknowledged (or timeout). Returns
 * SWI_ERR_KAFKA if any delivery failed since the last flush - except those
 * the broker refused for their size (MSG_SIZE_TOO_LARGE, RECORD_LIST_TOO_LARGE:
 * they would fail again however often retried), which are logged as errors and
 * counted for swi_kafka_producer_take_refused(). */
swi_err_t swi_kafka_producer_flush(swi_kafka_producer_t *p, int timeout_ms);
/* Messages the broker refused for their size since the last call. */
int64_t swi_kafka_producer_take_refused(swi_kafka_producer_t *p);
/* Flushes for at most timeout_ms, fails what is still queued, and frees. */
void swi_kafka_producer_close(swi_kafka_producer_t *p, int timeout_ms);
/* swi_kafka_producer_close with a 10 s flush. */
void swi_kafka_producer_destroy(swi_kafka_producer_t *p);

/* End offsets (high watermarks) of every partition of topic. Fills up to max
 * entries of out; *nparts gets the partition count. */
swi_err_t swi_kafka_end_offsets(const char *const *keys, const char *const *vals, int nkv,
                                const char *topic, int64_t *out, int max, int *nparts);

/* Embedded broker: librdkafka's mock cluster on loopback with nbrokers brokers.
 * The handle owns an internal rd_kafka_t; the cluster runs until destroyed. */
swi_kafka_mock_t *swi_kafka_mock_new(int nbrokers, char *errstr, size_t errstr_size);
/* "127.0.0.1:port,..." valid while the mock lives. */
const char *swi_kafka_mock_bootstraps(const swi_kafka_mock_t *m);
swi_err_t swi_kafka_mock_create_topic(swi_kafka_mock_t *m, const char *topic, int partitions);
/* Takes broker broker_id (1..nbrokers; -1: every broker) down or up again,
 * for fault tests: down disconnects its clients and refuses new connections,
 * up accepts them again. Topics, offsets and groups are kept; partition
 * leadership does not move (rd_kafka_mock_broker_set_down/up). */
swi_err_t swi_kafka_mock_set_up(swi_kafka_mock_t *m, int broker_id, bool up);
/* The next n Produce requests to the cluster fail as a broker refuses a
 * message for its size (MSG_SIZE_TOO_LARGE); for tests. */
void swi_kafka_mock_refuse_produce_for_size(swi_kafka_mock_t *m, int n);
void swi_kafka_mock_destroy(swi_kafka_mock_t *m);

#endif
