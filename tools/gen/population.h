/* population.h - a deterministic synthetic population and its registry streams.
 *
 * swi_gen_run() draws N persons from a seed (own PRNG, xoshiro256** seeded
 * with splitmix64; a person's history depends only on the seed and its index),
 * writes their histories as events of all four sources, shapes the stream
 * (late registrations and deliveries, corrections, retractions, duplicates,
 * old-schema messages, bad messages) and orders it for delivery: by
 * registered_at (tie: creation order), late-delivered ones later. The result
 * is a list of ready-to-send messages (topic, raw key, wire-format value) and
 * a manifest of what was generated. See docs/generator.md for the model.
 *
 * Ownership: swi_gen_t owns every message; views returned by swi_gen_message()
 * stay valid until swi_gen_destroy().
 * Thread safety: none; one run per thread. */
#ifndef SWI_GEN_POPULATION_H
#define SWI_GEN_POPULATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../common/swi_err.h"
#include "encoder.h"

typedef struct swi_gen_opts_s {
        uint64_t persons;
        uint64_t seed;
        int32_t until; /* generation horizon (days since epoch), inclusive */
        double duplicates, late, corrections, retractions, bad, old_schema;
        /* Per kind: corrections of another event type, corrections with
         * another bsn, Intrekkingen of an Intrekking; each delivered after its
         * target (INVALID_VALUE once the target is known). 0: none, and the
         * output is exactly what it is without this option. */
        uint64_t bad_references;
        const char *topic_prefix; /* prepended to "ind.events" etc.; "" for none */
        bool progress;            /* log progress to stderr every few seconds */
} swi_gen_opts_t;

/* The defaults of docs/generator.md. */
void swi_gen_opts_default(swi_gen_opts_t *o);

typedef struct swi_gen_s swi_gen_t;

typedef struct swi_gen_msg_s {
        const char *topic;
        const uint8_t *key; /* NULL when key_len == 0 */
        size_t key_len;
        const uint8_t *val;
        size_t val_len;
} swi_gen_msg_t;

/* Generates everything in memory. Returns NULL with errstr on failure
 * (out of memory, an encoding failure, a gemeente code missing from the
 * reference list). enc must outlive the call only. */
swi_gen_t *swi_gen_run(const swi_gen_opts_t *o, swi_gen_encoder_t *enc, char *errstr,
                       size_t errstr_size);

/* Number of messages, in delivery order. */
size_t swi_gen_count(const swi_gen_t *g);
void swi_gen_message(const swi_gen_t *g, size_t i, swi_gen_msg_t *out);

/* Writes the manifest (JSON, docs/generator.md) to f. */
swi_err_t swi_gen_manifest_write(const swi_gen_t *g, FILE *f);

/* NULL is a no-op. */
void swi_gen_destroy(swi_gen_t *g);

/* Identifier helpers (exported for tests). */
bool swi_gen_bsn_valid(const char *bsn); /* 9 digits, elfproef, not all zeros */

#endif
