/* live.h - the live current figures: publication 'actueel' (P = today,
 * everything stored) kept up to date batch by batch; the publish stage's
 * daemon part (swi-publish is the other: publication.h).
 *
 * Every batch that runs the trajectory step queues the identity keys of the
 * clusters it changed (swi_ops.publish_queue, only keys) and notifies
 * channel swi_publish, both at its commit. The live publisher holds every
 * person, derived at P, in memory (publish/person_store.h). A round reads
 * the queue in one REPEATABLE READ snapshot, expands the queued keys to
 * their whole clusters, loads those clusters' stored events in one query
 * and replaces their persons by those derived again from the events. It
 * then recomputes the ten families over all persons it holds
 * (transform/indicators.h) and writes only the values that changed
 * (publish/row_diff.h) - or, on the first round and whenever P moves to a
 * new day, derives every person and rewrites everything. The write and the
 * deletion of the queue rows the round read are one transaction, on a
 * second connection; with overlap (below) it runs while the next round
 * reads (every queue row but those being written) and computes. Because the
 * drained rows and the events read come from one snapshot, a batch is in a
 * round's figures exactly when its queue row was read by that round - and
 * deleted by that round's write. Rows from older builds that also carry
 * the persons their batch derived are taken by their keys alone.
 *
 * One publisher per database: a session advisory lock elects it; other
 * instances' rounds return at once with leader = false and retry.
 *
 * Thread safety: one swi_live_t per thread; it has its own connections and,
 * with overlap, a writer thread of its own. */
#ifndef SWI_PUBLISH_LIVE_H
#define SWI_PUBLISH_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"

typedef struct swi_live_s swi_live_t;

typedef struct swi_live_stats_s {
        bool leader;          /* this instance holds the publisher lock */
        bool idle;            /* nothing was queued and no write was in flight */
        bool completed;       /* a round's figures were committed in this call; the
                               * fields below describe that round */
        bool in_flight;       /* a write is still running (overlap): call again */
        bool rebuild;         /* every person was derived (first round, new P) */
        int64_t batches;      /* queue rows drained */
        int64_t clusters;     /* clusters derived from their events (rebuild: all) */
        int64_t persons;      /* persons held after the round */
        int64_t rows;         /* published values */
        int64_t rows_written; /* values inserted or updated */
        double seconds, seconds_load, seconds_compute, seconds_write;
        /* seconds from each drained batch's commit to this round's commit
         * (server clock); valid until the next round */
        const double *lags;
        size_t nlags;
} swi_live_stats_t;

/* A publisher for conninfo with disclosure parameters base / threshold. Does
 * not connect yet. Returns NULL on out of memory. */
swi_live_t *swi_live_new(const char *conninfo, int64_t rounding_base, int64_t threshold);
/* NULL-safe; waits for a write in flight, closes the connections. */
void swi_live_free(swi_live_t *l);

/* Overlap (off by default): a round returns once its write has started, and
 * the next round reads and computes while it runs; it waits for that write
 * to commit before starting its own. Off: a round returns after its write. */
void swi_live_set_overlap(swi_live_t *l, bool on);

/* One round at wall-clock time now_ms (P = now_ms's UTC day); see above.
 * *st describes the round whose figures were committed during the call
 * (st->completed): without overlap this round, with overlap usually the one
 * before; st->in_flight says a write is still running. On error the
 * round's transactions are rolled back (the queue rows stay) and the
 * connections dropped: the next round reconnects and rebuilds. */
swi_err_t swi_live_round(swi_live_t *l, int64_t now_ms, swi_live_stats_t *st, char *errstr,
                         size_t errstr_size);

/* Waits for a write in flight and collects it as swi_live_round does;
 * st->idle when there was none. */
swi_err_t swi_live_flush(swi_live_t *l, swi_live_stats_t *st, char *errstr, size_t errstr_size);

/* Waits up to timeout_ms for a notification on swi_publish. Returns 1 when
 * one arrived (or may have: the connection is down), 0 on timeout. */
int swi_live_wait(swi_live_t *l, int timeout_ms);

#endif
