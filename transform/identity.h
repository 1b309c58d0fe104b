/* identity.h - identity clusters: which identity keys' events can affect
 * each other, by union-find. The one clustering of the project: the
 * trajectory step, the live publisher and swi-publish all group events with
 * it.
 *
 * Two identity keys (a BSN or a V-nummer pseudonym, swi_person_key_t) are in
 * one cluster when
 *   - an event carries both (BsnToegekend, an IND/COA event with a BSN), or
 *   - a correction or retraction and its target are clustered by different
 *     keys (events.md: "References are judged where the target is": a
 *     correction carrying another person's BSN must meet its target to be
 *     judged, whichever arrives first).
 * An event is clustered by its BSN, else its V-nummer (swi_identity_event_key).
 * A cluster is a unit of locking and computation only: who is one person at a
 * knowledge time K is decided by the rules (trajectory.h, indicators.md §2),
 * and a cluster may hold several persons.
 *
 * No I/O. Ownership: keys and events passed in are copied or borrowed for the
 * call only, except swi_idgroups_t, whose event pointers point into the
 * caller's events. Thread safety: no global state; one swi_idmap_t per
 * thread (lookups included: the finds compress paths). */
#ifndef SWI_IDENTITY_H
#define SWI_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/event.h"
#include "transform/trajectory.h"

/* The key event e is clustered by: its BSN, else its V-nummer; false when it
 * carries neither (ingest rejects those). */
bool swi_identity_event_key(const swi_event_t *e, swi_person_key_t *out);

/* The event_id a correction or retraction refers to (retracts for an
 * Intrekking, else corrects; the same choice as the rules), or NULL. */
const char *swi_identity_ref(const swi_event_t *e);

typedef struct swi_idmap_s swi_idmap_t;

/* An empty map; NULL on out of memory. swi_idmap_destroy(NULL) is a no-op. */
swi_idmap_t *swi_idmap_new(void);
void swi_idmap_destroy(swi_idmap_t *m);

/* Index of key k, added as a cluster of its own when new; -1 on out of
 * memory. Indices are dense, in order of addition, and stay valid. */
long swi_idmap_add(swi_idmap_t *m, const swi_person_key_t *k);
/* Index of k, or -1 when it was never added. */
long swi_idmap_find(const swi_idmap_t *m, const swi_person_key_t *k);
size_t swi_idmap_count(const swi_idmap_t *m);
const swi_person_key_t *swi_idmap_key(const swi_idmap_t *m, size_t i);

/* Joins the clusters of a and b (adding them when new). 0, or -1 on out of
 * memory. */
int swi_idmap_link(swi_idmap_t *m, const swi_person_key_t *a, const swi_person_key_t *b);
/* Adds the keys of the n events evs and the links they bring: the two keys
 * of an event carrying both, and a correction/retraction's key with its
 * target's when the target is among evs (same source and event_id). 0, or
 * -1 on out of memory. */
int swi_idmap_link_events(swi_idmap_t *m, const swi_event_t *const *evs, size_t n);

/* The representative of key i's cluster: the index of its smallest key
 * (swi_person_key_cmp), the same whatever order keys and links came in. */
size_t swi_idmap_root(swi_idmap_t *m, size_t i);

/* Events grouped by cluster. */
typedef struct swi_idgroups_s {
        const swi_event_t **evp; /* by cluster; within one, in input order */
        size_t *first;           /* cluster c is evp[first[c] .. first[c + 1]) */
        size_t *root;            /* cluster c's representative (a map index) */
        size_t n;                /* clusters, ordered by their representative key */
        size_t nev;              /* events grouped (those with a key) */
} swi_idgroups_t;

/* Groups the n events evs (which swi_idmap_link_events has seen, or whose
 * keys are otherwise in m) by cluster into *out (overwritten; free with
 * swi_idgroups_free). An event without a key is left out. SWI_OK or
 * SWI_ERR_NOMEM. */
swi_err_t swi_idmap_group(swi_idmap_t *m, const swi_event_t *const *evs, size_t n,
                          swi_idgroups_t *out);
/* The cluster whose representative is root, or -1 (binary search). */
long swi_idgroups_find(const swi_idgroups_t *g, const swi_idmap_t *m, size_t root);
void swi_idgroups_free(swi_idgroups_t *g); /* NULL-safe; zeroes *g */

#endif
