/* pg_sink.h - PostgreSQL sink: the only module that includes libpq-fe.h.
 *
 * A batch is built in memory (COPY text buffers) and committed in ONE
 * transaction: events (COPY into a staging table, then inserted with duplicates
 * absorbed), dead letters, absorbed duplicates, and the consumer offsets of the
 * batch. That transaction is the exactly-once boundary.
 *
 * The pipeline uses it through the sink interface (sink.h, swi_pg_sink_ops,
 * which wraps these functions); swi_dead_letter_t and swi_batch_stats_t are
 * that interface's.
 *
 * Ownership: strings passed to add_* are copied.
 * Thread safety: one sink per thread (one PGconn). */
#ifndef SWI_PG_SINK_H
#define SWI_PG_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/swi_err.h"
#include "../transform/event.h"
#include "sink.h"

typedef struct swi_pg_sink_s swi_pg_sink_t;

/* Connects. group_id keys the stored offsets. NULL + errstr on failure. */
swi_pg_sink_t *swi_pg_sink_new(const char *conninfo, const char *group_id, char *errstr,
                               size_t errstr_size);

/* Applies the embedded, versioned migrations (sinks/migrations/NNN_name.sql)
 * not yet recorded in swi_ops.schema_migrations, each in its own transaction,
 * under an advisory lock (several instances may start at once). */
swi_err_t swi_pg_sink_migrate(swi_pg_sink_t *s);

/* Stored next offset for (topic, partition), or SWI_KAFKA_OFFSET_BEGINNING (-2)
 * when none is stored. */
swi_err_t swi_pg_sink_load_offset(swi_pg_sink_t *s, const char *topic, int32_t partition,
                                  int64_t *next_offset);

/* Batch building; nothing reaches the server before commit. */
void swi_pg_sink_batch_reset(swi_pg_sink_t *s);
/* ev must be pseudonymised (raw ids wiped). */
swi_err_t swi_pg_sink_add_event(swi_pg_sink_t *s, const swi_event_t *ev, const char *topic,
                                int32_t partition, int64_t offset);
/* Adds a dead letter. Whether it stays one is decided when the batch is
 * settled (below). */
swi_err_t swi_pg_sink_add_dead_letter(swi_pg_sink_t *s, const swi_dead_letter_t *dl);
/* Settles the open batch's dead letters that carry an event_id: one whose
 * (source, event_id) is an event added to the batch before it, or already
 * stored in swi.events, is absorbed as a duplicate instead (recorded in
 * swi_ops.duplicate_events; counted as one in the commit's stats). At most
 * one read-only query, outside the batch's transaction. Idempotent; commit
 * settles a batch that was not. A caller that produces dead letters
 * elsewhere (the dead-letter topic) settles first and produces only those
 * kept. SWI_ERR_PG (errstr) when the lookup failed: nothing changed. */
swi_err_t swi_pg_sink_settle_dead_letters(swi_pg_sink_t *s);
/* Whether the i-th dead letter added to the open batch (0-based) is still
 * one: true before settling, unless absorbed. */
bool swi_pg_sink_dead_letter_kept(const swi_pg_sink_t *s, size_t i);
/* Records that (topic, partition) is consumed up to next_offset - 1. The last
 * call per partition in a batch wins. */
swi_err_t swi_pg_sink_add_offset(swi_pg_sink_t *s, const char *topic, int32_t partition,
                                 int64_t next_offset);
/* Messages added since the last reset (events + dead letters). */
int64_t swi_pg_sink_batch_count(const swi_pg_sink_t *s);

/* Commits the batch in one transaction and resets it. On failure the
 * transaction is rolled back, the batch is kept for inspection but must be
 * reset and re-consumed from the stored offsets by the caller; the sink
 * reconnects on the next call. */
swi_err_t swi_pg_sink_commit(swi_pg_sink_t *s, swi_batch_stats_t *stats);

/* Enables the trajectory step (sinks/pg_trajectory.h) inside every commit:
 * trajectories, their versions and findings are written in the same
 * transaction as the events that caused them. Off by default. */
void swi_pg_sink_set_trajectories(swi_pg_sink_t *s, bool enable);
/* Counts of the last commit's trajectory step. */
void swi_pg_sink_trajectory_stats(const swi_pg_sink_t *s, int64_t *clusters,
                                  int64_t *events_loaded, int64_t *versions);

/* ---- the trajectory step deferred during a backlog (migration 020) ----
 * With defer set, the next commit stores the batch as always but, instead of
 * the trajectory step, records the identity keys it touches in
 * swi_ops.trajectory_pending (with the reference and identity edges, so the
 * clusters are complete). swi_pg_sink_drain works that off: one transaction
 * that runs the step for up to max_keys pending keys' clusters (every step,
 * deferred or live, takes the pending rows of the clusters it derives). The
 * result is the same as without deferral; a cluster touched by many deferred
 * batches is derived once. */
void swi_pg_sink_defer_next(swi_pg_sink_t *s, bool defer);
/* Keys the last commit deferred (0: it ran the step, or touched nothing). */
int64_t swi_pg_sink_deferred_keys(const swi_pg_sink_t *s);

/* One chunk of deferred work (outside a batch: call with no batch open).
 * st->seeds == 0: nothing was pending. */
swi_err_t swi_pg_sink_drain(swi_pg_sink_t *s, size_t max_keys, swi_drain_stats_t *st);
/* How many keys are pending (all instances'). */
swi_err_t swi_pg_sink_pending_keys(swi_pg_sink_t *s, int64_t *keys);

/* Runs SELECT 1 (reconnecting first when the connection is broken): the
 * health check while no batch proves PostgreSQL up. SWI_OK or SWI_ERR_PG. */
swi_err_t swi_pg_sink_ping(swi_pg_sink_t *s);

/* A conninfo (keyword=value or URI) as it may be printed: parsed with libpq,
 * written back as keyword=value with password and sslpassword masked; the
 * password itself goes to password ("" if none). Fits swi_conf_conninfo_fn. */
void swi_pg_conninfo_redact(const char *conninfo, char *out, size_t out_size, char *password,
                            size_t password_size);

/* Last error text (PQerrorMessage plus the statement's purpose). */
const char *swi_pg_sink_errstr(const swi_pg_sink_t *s);

void swi_pg_sink_destroy(swi_pg_sink_t *s);

#endif
