/* sink.h - the sink interface: where the pipeline's batches go, and where
 * their consumer offsets are stored.
 *
 * A sink is a small table of functions (swi_sink_ops_t), as pg_dump keeps each
 * archive format behind one (pg_backup_archiver.h); etl/pipeline.c uses a sink
 * through this header only. The implementations are listed at the end
 * (swi_pg_sink_ops: sinks/pg_sink.c).
 *
 * The offset store is part of the sink, beside the batch: exactly-once rests on
 * the consumer offsets being committed in the same transaction as the rows they
 * produced, so the sink that writes a batch also stores its offsets
 * (add_offset) and gives them back on every partition assignment
 * (load_offset).
 *
 * A batch: add_event / add_dead_letter / add_offset per message, then commit
 * (or batch_reset to drop it). Nothing need reach the target before commit.
 *
 * Ownership: strings passed to swi_sink_* are copied or used during the call.
 * Thread safety: one sink per thread; a sink is not shared. */
#ifndef SWI_SINK_H
#define SWI_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/swi_err.h"
#include "../transform/event.h"

typedef struct swi_sink_s swi_sink_t;

typedef struct swi_dead_letter_s {
        swi_reason_t reason;
        const char *detail;  /* human-readable; no identifier values */
        swi_source_t source; /* source of the topic it was read from */
        swi_evtype_t type;   /* SWI_EV_NONE if not known */
        int32_t schema_id;   /* -1 if not known */
        const char *topic;
        int32_t partition;
        int64_t offset;
        int64_t kafka_timestamp_ms; /* -1 if none */
        /* The event_id it carries when it decoded that far, else NULL: a
         * later copy of a stored event is a duplicate, never a dead letter
         * (events.md), whatever it is judged to be now. */
        const char *event_id;
} swi_dead_letter_t;

/* What a commit did. */
typedef struct swi_batch_stats_s {
        int64_t events_inserted;
        int64_t duplicates; /* absorbed: within the batch or already stored */
        int64_t dead_letters;
} swi_batch_stats_t;

/* What a sink is opened with (read during open only). */
/* One chunk of deferred trajectory work (sinks/pg_sink.h). */
typedef struct swi_drain_stats_s {
        int64_t seeds;            /* pending keys read to start from (0: none left) */
        int64_t keys;             /* pending rows taken (the seeds' clusters' keys) */
        int64_t clusters, events_loaded, versions_written;
} swi_drain_stats_t;

typedef struct swi_sink_conf_s {
        const char *conninfo; /* the target, e.g. a libpq conninfo */
        const char *group_id; /* keys the stored offsets */
        bool trajectories;    /* derive trajectories inside every commit */
} swi_sink_conf_t;

/* The table an implementation fills in. impl is what its open returned. The
 * swi_sink_* functions below document each entry. */
typedef struct swi_sink_ops_s {
        const char *name; /* "postgresql" */
        /* the target */
        void *(*open)(const swi_sink_conf_t *conf, char *errstr, size_t errstr_size);
        swi_err_t (*migrate)(void *impl);
        swi_err_t (*ping)(void *impl);
        const char *(*errstr)(const void *impl);
        void (*close)(void *impl);
        /* the offset store */
        swi_err_t (*load_offset)(void *impl, const char *topic, int32_t partition,
                                 int64_t *next_offset);
        swi_err_t (*add_offset)(void *impl, const char *topic, int32_t partition,
                                int64_t next_offset);
        /* the batch */
        swi_err_t (*add_event)(void *impl, const swi_event_t *ev, const char *topic,
                               int32_t partition, int64_t offset);
        swi_err_t (*add_dead_letter)(void *impl, const swi_dead_letter_t *dl);
        swi_err_t (*settle_dead_letters)(void *impl);
        bool (*dead_letter_kept)(const void *impl, size_t i);
        int64_t (*batch_count)(const void *impl);
        void (*batch_reset)(void *impl);
        swi_err_t (*commit)(void *impl, swi_batch_stats_t *stats);
        /* the trajectory step deferred during a backlog (NULL: not supported;
         * the wrappers then defer nothing and find nothing pending) */
        void (*defer_next)(void *impl, bool defer);
        int64_t (*deferred_keys)(const void *impl);
        swi_err_t (*drain)(void *impl, size_t max_keys, swi_drain_stats_t *st);
        swi_err_t (*pending_keys)(void *impl, int64_t *keys);
} swi_sink_ops_t;

/* Opens a sink of kind ops (connects). NULL + errstr on failure. ops must
 * outlive the sink (the implementations' tables are static). */
swi_sink_t *swi_sink_open(const swi_sink_ops_t *ops, const swi_sink_conf_t *conf, char *errstr,
                          size_t errstr_size);
/* Closes it; NULL is a no-op. An open batch is dropped. */
void swi_sink_close(swi_sink_t *s);
/* The kind's name ("postgresql"). */
const char *swi_sink_name(const swi_sink_t *s);

/* Prepares the target for use (PostgreSQL: applies the pending migrations;
 * several instances may do so at once). */
swi_err_t swi_sink_migrate(swi_sink_t *s);
/* Proves the target up while no batch does (reconnecting first when needed). */
swi_err_t swi_sink_ping(swi_sink_t *s);
/* Last error text, with the failed step's purpose; "" if none. Valid until the
 * next call on s. */
const char *swi_sink_errstr(const swi_sink_t *s);

/* Offset store. The stored next offset for (topic, partition), or
 * SWI_KAFKA_OFFSET_BEGINNING (-2) when none is stored. */
swi_err_t swi_sink_load_offset(swi_sink_t *s, const char *topic, int32_t partition,
                               int64_t *next_offset);
/* Records in the open batch that (topic, partition) is consumed up to
 * next_offset - 1; stored by the batch's commit. The last call per partition
 * in a batch wins. */
swi_err_t swi_sink_add_offset(swi_sink_t *s, const char *topic, int32_t partition,
                              int64_t next_offset);

/* Adds an event, read at (topic, partition, offset), to the open batch. ev
 * must be pseudonymised (raw identifiers wiped). SWI_ERR_INVALID_ARG (errstr)
 * for an event the target cannot store (bad data: the caller dead-letters it);
 * the batch is unchanged then. */
swi_err_t swi_sink_add_event(swi_sink_t *s, const swi_event_t *ev, const char *topic,
                             int32_t partition, int64_t offset);
/* Adds a dead letter. Whether it stays one is decided when the batch is
 * settled. */
swi_err_t swi_sink_add_dead_letter(swi_sink_t *s, const swi_dead_letter_t *dl);
/* Settles the open batch's dead letters: one that is a copy of an event added
 * before it or already stored is absorbed as a duplicate instead. Idempotent;
 * commit settles a batch that was not. A caller that also produces dead
 * letters elsewhere settles first and produces only those kept. */
swi_err_t swi_sink_settle_dead_letters(swi_sink_t *s);
/* Whether the i-th dead letter added to the open batch (0-based) is still one:
 * true before settling, unless absorbed. */
bool swi_sink_dead_letter_kept(const swi_sink_t *s, size_t i);
/* Messages added to the open batch (events + dead letters). */
int64_t swi_sink_batch_count(const swi_sink_t *s);
/* Drops the open batch. */
void swi_sink_batch_reset(swi_sink_t *s);
/* Commits the open batch - rows and offsets at once - and fills stats. On
 * failure nothing of it is stored; the caller resets the batch and re-reads
 * from the stored offsets. */
swi_err_t swi_sink_commit(swi_sink_t *s, swi_batch_stats_t *stats);

/* The implementations. */
/* Deferred trajectory work: the next commit defers its step; keys the last
 * commit deferred; one chunk of deferred work (st->seeds == 0: none was
 * pending); how many keys are pending in all. */
void swi_sink_defer_next(swi_sink_t *s, bool defer);
int64_t swi_sink_deferred_keys(const swi_sink_t *s);
swi_err_t swi_sink_drain(swi_sink_t *s, size_t max_keys, swi_drain_stats_t *st);
swi_err_t swi_sink_pending_keys(swi_sink_t *s, int64_t *keys);

extern const swi_sink_ops_t swi_pg_sink_ops; /* PostgreSQL: sinks/pg_sink.c */

#endif
