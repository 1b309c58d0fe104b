/* pg_store.h - the cluster store (private to the swi_pg module and the
 * publish stage built on it): the identity clusters in PostgreSQL - sets of
 * identity keys expanded over the identity and reference edges, loading a
 * set of clusters with all their events, the trajectory step's locks, edges
 * and rows, and the publish queue it fills. Used by the trajectory step
 * (pg_trajectory.c), publications (publish/publication.c) and the live
 * publisher (publish/live.c). Statements and buffers come from pg_io.h; the
 * grouping into clusters from transform/identity.h.
 *
 * Thread safety: no global state; key sets and loaded clusters belong to their
 * caller; a connection to one thread at a time. */
#ifndef SWI_PG_STORE_H
#define SWI_PG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_io.h"
#include "transform/derive.h"
#include "transform/identity.h"
#include "transform/trajectory.h"

/* A set of keys: pgs_keyset_add() appends, pgs_keyset_sort() sorts and
 * removes duplicates; lookups and indices need a sort after the last add. */
typedef struct pgs_keyset_s {
        swi_person_key_t *v;
        size_t n, cap;
        size_t sorted; /* v[0..sorted) is sorted and unique */
} pgs_keyset_t;

/* The events of a key set, grouped into identity clusters
 * (pgs_load_clusters; transform/identity.h). */
typedef struct pgs_loaded_s {
        swi_event_t *evs;
        size_t nev;
        swi_idmap_t *map; /* the key set's keys and the events', linked */
        swi_idgroups_t g; /* cluster c: g.evp[g.first[c] .. g.first[c + 1]) */
} pgs_loaded_t;

/* Appends a key (duplicates go at the next sort); 0, or -1 on out of memory. */
int pgs_keyset_add(pgs_keyset_t *s, uint8_t kind, const uint8_t *ps);
void pgs_keyset_sort(pgs_keyset_t *s);
long pgs_keyset_find(const pgs_keyset_t *s, uint8_t kind, const uint8_t *ps);
/* Comma-separated hex pseudonyms of one kind of s into b (a text parameter). */
void pgs_keys_param(const pgs_keyset_t *s, uint8_t kind, pgio_buf_t *b);
/* Adds every identity and reference edge touching a key of s to s (sorted
 * after); *added = how many keys were new. */
swi_err_t pgs_expand(PGconn *conn, pgs_keyset_t *s, int *added, char *errstr, size_t errstr_size);
/* One event from row r of a load query (source, type, id, bsn, vnr, date,
 * registered_at ms, corrects, retracts, payload); 0, or -1 when skipped. */
int pgs_row_to_event(PGresult *res, int r, swi_event_t *ev);
const char *pgs_kind_name(uint8_t kind);
/* SWI_PKEY_BSN for "BSN", SWI_PKEY_VNR for "VNR", else 0. */
uint8_t pgs_kind_parse(const char *s);
void pgs_loaded_free(pgs_loaded_t *ld);
/* Loads every stored event of the keys of ks (sorted, expanded) and groups
 * them into clusters; every key of ks is in ld->map. Free with
 * pgs_loaded_free(). */
swi_err_t pgs_load_clusters(PGconn *conn, const pgs_keyset_t *ks, pgs_loaded_t *ld, char *errstr,
                               size_t errstr_size);
/* What the step needs of one new event of the batch. */
typedef struct swi_traj_touch_s {
        bool has_bsn, has_vnr;
        bool has_ref; /* a correction or retraction: ref is its target's event_id */
        bool is_new;  /* inserted by this batch (false: absorbed, or not known) */
        /* not an event: a key of deferred work (pgs_pending_seeds), with
         * registered_at its from_k; no event id, no reference */
        bool key_only;
        uint8_t source; /* swi_source_t */
        uint8_t id[16];  /* event_id */
        uint8_t ref[16];
        uint8_t bsn_ps[SWI_PSEUDO_LEN];
        uint8_t vnr_ps[SWI_PSEUDO_LEN];
        int64_t registered_at;
} swi_traj_touch_t;

/* ---- the trajectory step's locks, edges and rows ---- */

/* The identity keys of the n touches into ks (sorted). */
swi_err_t pgs_touch_keys(const swi_traj_touch_t *touches, size_t n, pgs_keyset_t *ks);
/* Records the identity edges (V-nummer and BSN on one event) of the touches. */
swi_err_t pgs_insert_identity_edges(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                                    char *errstr, size_t errstr_size);
/* Expands ks to its whole clusters and takes a transaction-scoped advisory
 * lock on the bucket of every key (512 buckets, ascending order), and of every
 * touch's event id and reference target; under those, records the reference
 * edges the touches bring (a correction or retraction clustered by another key
 * than its stored target, whichever of the two came first); then expands and
 * locks again until no other instance (and no new edge) grew the clusters.
 * Two instances committing a reference and its target at once therefore
 * cannot both miss the other. Inside the batch's transaction. */
swi_err_t pgs_lock_clusters(PGconn *conn, pgs_keyset_t *ks, const swi_traj_touch_t *touches,
                            size_t n, char *errstr, size_t errstr_size);

/* One key of the loaded clusters and the oldest knowledge time the batch
 * added to its cluster. */
typedef struct pgs_traj_key_s {
        swi_person_key_t key;
        int64_t from_k;
        /* false: no stored event of the cluster was registered at from_k or
         * later, so it can have no version from from_k on to replace */
        bool may_have_later;
} pgs_traj_key_t;

/* Writes what d derived for the clusters of the nkeys keys (sorted here):
 * makes their versions from each key's from_k on d's (each closed by the next
 * of its key: stored ones that differ or are gone are deleted, new ones
 * written), closes the version open at from_k by key when the first version
 * from there moved, replaces the current rows of the keys whose versions
 * changed (only those), and the findings of every key. Versions equal to
 * the stored ones (the same valid_from, valid_to and columns) are not written
 * again, nor the current row of a key whose versions did not change;
 * *versions_written counts the version rows written. Inside the batch's
 * transaction. */
swi_err_t pgs_write_trajectories(PGconn *conn, pgs_traj_key_t *keys, size_t nkeys,
                                 const swi_derived_t *d, int64_t *versions_written, char *errstr,
                                 size_t errstr_size);

/* Tells the live publisher (publish/live.h) which clusters the batch
 * changed: one queue row with the keys of ks (every key of those clusters)
 * and a notification, delivered when the batch commits. The publisher
 * re-derives the clusters from their stored events. since_ms: the oldest
 * deferral of work the row carries (ms since 1970; INT64_MAX: none), its
 * committed_at when older than now. */
swi_err_t pgs_enqueue_publish(PGconn *conn, const pgs_keyset_t *ks, int64_t since_ms,
                              char *errstr, size_t errstr_size);

/* ---- the trajectory step deferred (migration 020) ----
 * A batch read from a backlog records the keys it touches in
 * swi_ops.trajectory_pending instead of deriving their clusters; every step
 * takes the rows of the keys it derives (pgs_claim_pending); the pipeline
 * works the rest off in chunks (pgs_pending_seeds). */

/* In the batch's transaction instead of the step: the reference edges the
 * touches bring (under their events' bucket locks, as the step records them)
 * and one pending row per key with the oldest registered_at of its touches
 * (the identity edges: pgs_insert_identity_edges, as for the step). *keys =
 * the keys recorded. */
swi_err_t pgs_defer_touches(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                            int64_t *keys, char *errstr, size_t errstr_size);

typedef struct pgs_claim_s {
        swi_person_key_t key;
        int64_t from_k;
} pgs_claim_t;

typedef struct pgs_claimed_s {
        pgs_claim_t *v;
        size_t n, cap;
        int64_t oldest_ms; /* the oldest deferred_at among them (INT64_MAX: none) */
} pgs_claimed_t;

/* Deletes and returns the pending rows of the keys of ks (under the
 * clusters' locks, before their events are loaded). out keeps its memory
 * across calls; free out->v. */
swi_err_t pgs_claim_pending(PGconn *conn, const pgs_keyset_t *ks, pgs_claimed_t *out,
                            char *errstr, size_t errstr_size);

/* Up to max pending keys, from pseudonym start on (wrapping), as key-only
 * touches (*touches malloc'd, *n of them). Reads only; the step claims. */
swi_err_t pgs_pending_seeds(PGconn *conn, size_t max, const uint8_t start[SWI_PSEUDO_LEN],
                            swi_traj_touch_t **touches, size_t *n, char *errstr,
                            size_t errstr_size);

#endif
