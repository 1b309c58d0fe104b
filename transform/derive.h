/* derive.h - what the trajectory step derives for one identity cluster, as
 * pure functions: the cluster's events in; out the versions that its new
 * knowledge times cause, every person's current trajectory, the findings as
 * known now (per person key), and, when asked, every person at a peildatum for
 * the live figures. The step (sinks/pg_trajectory.c) loads and writes; this
 * module decides. Built on the rules of trajectory.h.
 *
 * Ownership: events are borrowed for the call. A swi_derived_t owns its
 * lists; zero-initialise it ({0}) before first use, empty it with
 * swi_derived_reset (keeps the memory) and free it with swi_derived_free.
 * Thread safety: reentrant; one swi_derived_t per thread. */
#ifndef SWI_DERIVE_H
#define SWI_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/event.h"
#include "transform/trajectory.h"

/* A finding with the person it belongs to. */
typedef struct swi_keyed_finding_s {
        swi_person_key_t key;
        swi_finding_t f;
} swi_keyed_finding_t;

/* The derivation of one or more clusters, appended cluster by cluster. */
typedef struct swi_derived_s {
        /* versions with valid_from >= the cluster's from_k, in the order of
         * swi_cluster_versions (valid_from, then key) per cluster */
        swi_versions_t versions;
        /* every person at K = everything, P = end of time, key order per
         * cluster (the person's current trajectory) */
        swi_person_t *current;
        size_t ncurrent, current_cap;
        /* every finding as known now (K = everything, P = end of time), per
         * person: the derivation's own and the reference findings, also those
         * of a key with no person (a reference whose own identifiers have no
         * effective event, such as a correction carrying another person's
         * BSN) */
        swi_keyed_finding_t *findings;
        size_t nfindings, findings_cap;
        /* with a live peildatum: every person at (K = everything, P) */
        swi_person_t *live;
        size_t nlive, live_cap;
} swi_derived_t;

void swi_derived_reset(swi_derived_t *d);
void swi_derived_free(swi_derived_t *d); /* NULL-safe; zeroes *d */

/* Derives the cluster of the n events evs (any order, duplicates allowed)
 * and appends to *out: its versions from knowledge time from_k on (INT64_MIN:
 * the full history; see swi_cluster_versions), its current persons, its
 * findings and - unless p_live is SWI_DATE_NONE - its persons at p_live.
 * gl may be NULL. SWI_OK or SWI_ERR_NOMEM (errstr set; *out may then hold
 * part of the cluster). */
swi_err_t swi_derive_cluster(const swi_event_t *const *evs, size_t n, int64_t from_k,
                             int32_t p_live, const swi_gemeente_lookup_t *gl, swi_derived_t *out,
                             char *errstr, size_t errstr_size);

#endif
