/* pg_trajectory.h - the trajectory step of the PostgreSQL sink (private to the
 * swi_pg module; only pg_sink.c and pg_trajectory.c include it).
 *
 * Runs inside the batch's transaction, after the batch's events are inserted:
 *  1. records the identity edges the batch brings (V-nummer and BSN on one event);
 *  2. expands the identity keys the batch touches to their whole clusters and
 *     takes a transaction-scoped advisory lock per key, in key order, so that
 *     several pipeline instances never compute one cluster from different event
 *     sets (PostgreSQL is the place where one person's events meet). The same
 *     locks cover the event ids of the batch's events and of its references'
 *     targets; under them the step records the reference edges (a correction
 *     or retraction clustered by another key than its stored target, whichever
 *     of the two arrived first: transform/identity.h), so that two instances
 *     committing a reference and its target at once cannot both miss the
 *     other;
 *  3. loads every event of those clusters (the cluster store, pg_store.h);
 *  4. derives, with the rules and nothing else (transform/derive.h), the
 *     versions from the oldest knowledge time the batch added to each cluster,
 *     the persons' current trajectories and the findings;
 *  5. writes them (pgs_write_trajectories): the versions from that knowledge
 *     time on, each closed by the next of its key, and the one open there
 *     closed by key (no window over a person's whole history); the current
 *     rows of the keys whose versions changed, and only those; the findings.
 * The steps are the store's; this module only sequences them.
 * Because versions are a function of the stored event set alone, the result is
 * the same whatever the delivery order, batch boundaries or instance count.
 *
 * Thread safety: uses the caller's connection; one thread. */
#ifndef SWI_PG_TRAJECTORY_H
#define SWI_PG_TRAJECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "pg_store.h"
#include "transform/event.h"

typedef struct swi_traj_stats_s {
        int64_t clusters;
        int64_t events_loaded;
        int64_t versions_written;
        int64_t claimed; /* deferred keys taken (migration 020) */
} swi_traj_stats_t;

/* Runs the step for the n touches. errstr gets PQerrorMessage plus the
 * statement's purpose on SWI_ERR_PG. */
swi_err_t swi_pg_traj_update(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                             swi_traj_stats_t *stats, char *errstr, size_t errstr_size);

#endif
