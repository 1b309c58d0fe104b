/* person_store.h - the publisher's persons in memory, keyed by identity key
 * (pure: no PostgreSQL). The live publisher (publish/live.h) holds every
 * person at its peildatum P here; a round replaces the persons of the
 * clusters the batches changed by those derived again from the clusters'
 * events (swi_pstore_replace). swi-publish uses the same array, unindexed.
 *
 * A person is found by its own key (swi_person_t.key); a cluster's persons
 * are removed through the keys of the cluster, whichever of them a person
 * is held under (after a merge that is a key of another, older cluster).
 *
 * Ownership: the store owns its persons and index; zero-initialise it ({0})
 * and free it with swi_pstore_free. Events passed in are borrowed for the
 * call. Thread safety: none; one store per thread (the publisher's compute
 * threads only read v[0..n) while no call modifies it). */
#ifndef SWI_PUBLISH_PERSON_STORE_H
#define SWI_PUBLISH_PERSON_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/identity.h"
#include "transform/trajectory.h"

typedef struct swi_pstore_s {
        swi_person_t *v; /* the persons, in no particular order; read-only for callers */
        size_t n, cap;
        uint32_t *slot; /* open addressing over v: person index + 1, 0 = empty */
        size_t nslots;  /* a power of two; 0 = no index yet */
} swi_pstore_t;

void swi_pstore_free(swi_pstore_t *s); /* NULL-safe; zeroes *s */
/* Drops every person (keeps the memory); the index is stale until
 * swi_pstore_index. */
void swi_pstore_clear(swi_pstore_t *s);

/* Room for one more person at the end of v (counted already: fill it or
 * take it back with s->n--); NULL on out of memory. The index is stale
 * until swi_pstore_index. */
swi_person_t *swi_pstore_push(swi_pstore_t *s);

/* Resolves one cluster (its events evp[0..n)) at knowledge time K and
 * appends its persons derived at peildatum P (the index is stale after).
 * SWI_OK or SWI_ERR_NOMEM (errstr set). */
swi_err_t swi_pstore_derive_cluster(swi_pstore_t *s, const swi_event_t *const *evp, size_t n,
                                    int64_t K, int32_t P, char *errstr, size_t errstr_size);

/* Rebuilds the key index over v[0..n). SWI_OK or SWI_ERR_NOMEM. */
swi_err_t swi_pstore_index(swi_pstore_t *s);

/* The index in v of the person held under key k, or -1 (needs a current
 * index). */
long swi_pstore_find(const swi_pstore_t *s, const swi_person_key_t *k);

/* Removes the persons held under any of the n keys (duplicates allowed;
 * needs a current index; stale afterwards). SWI_OK or SWI_ERR_NOMEM. */
swi_err_t swi_pstore_remove(swi_pstore_t *s, const swi_person_key_t *keys, size_t n);

/* Replaces the persons held under the n keys (every key of the changed
 * clusters, expanded to whole clusters) by the persons of the clusters of g
 * derived at (everything known, P), and re-indexes. Needs a current index;
 * it is current again on SWI_OK. SWI_ERR_NOMEM sets errstr (the store may
 * then hold part of the clusters: rebuild it). */
swi_err_t swi_pstore_replace(swi_pstore_t *s, const swi_person_key_t *keys, size_t n,
                             const swi_idgroups_t *g, int32_t P, char *errstr, size_t errstr_size);

#endif
