/* encoder.h - swi_event_t -> Confluent wire-format message, for the generator.
 *
 * Loads schema_dir/registry.json and every .avsc it lists (the same contract the
 * decoder reads) and encodes an event with any of those schema ids: the current
 * one of its (source, type), or an older version (id 100 = BredeIntakeAfgerond v1).
 * Besides the decoder, this is the only module that includes avro.h.
 *
 * The event is taken as the decoder produces it: envelope in the swi_event_t
 * members (event_id, bsn/v_nummer with has_*, event_date, registered_at,
 * corrects, retracts), payload fields by name in ev->fields: Avro enums as
 * SWI_V_STRING symbols, dates as SWI_V_DATE days, booleans as SWI_V_BOOL,
 * int/long as SWI_V_INT, SWI_V_NULL (or simply no such field) for an absent
 * optional field.
 *
 * --out file format (one record after another, no file header; integers are
 * unsigned 32-bit big-endian):
 *
 *     topic     NUL-terminated string ("ind.events")
 *     key_len   u32, then key_len bytes of key (0: no key)
 *     val_len   u32, then val_len bytes of value (the Kafka message value)
 *
 * Ownership: the encoder owns its schemas and scratch values. Encoded bytes
 * are written into a caller-owned swi_gen_buf_t.
 * Thread safety: one encoder per thread. */
#ifndef SWI_GEN_ENCODER_H
#define SWI_GEN_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../common/swi_err.h"
#include "../../transform/event.h"

/* The schema id of BredeIntakeAfgerond v1 (without jonge_kinderen). */
#define SWI_GEN_SCHEMA_BI_AFGEROND_V1 100

/* A growable byte buffer. Zero-initialise; free with swi_gen_buf_free(). */
typedef struct swi_gen_buf_s {
        uint8_t *data;
        size_t len, cap;
} swi_gen_buf_t;

/* Makes room for n more bytes; returns SWI_ERR_NOMEM on failure. */
swi_err_t swi_gen_buf_reserve(swi_gen_buf_t *b, size_t n);
/* Appends n bytes. */
swi_err_t swi_gen_buf_append(swi_gen_buf_t *b, const void *p, size_t n);
void swi_gen_buf_free(swi_gen_buf_t *b);

typedef struct swi_gen_encoder_s swi_gen_encoder_t;

/* Loads dir/registry.json and the schemas it lists. Returns NULL with a
 * message in errstr on a missing/invalid file. */
swi_gen_encoder_t *swi_gen_encoder_new(const char *dir, char *errstr, size_t errstr_size);

/* The current schema id of event type t, or -1 if registry.json has none. */
int32_t swi_gen_encoder_current_id(const swi_gen_encoder_t *enc, swi_evtype_t t);

/* True if id is in registry.json. */
bool swi_gen_encoder_knows(const swi_gen_encoder_t *enc, int32_t id);

/* Event type of schema id, SWI_EV_NONE if unknown. */
swi_evtype_t swi_gen_encoder_type_of(const swi_gen_encoder_t *enc, int32_t id);

/* Appends the wire-format message for ev written with schema_id (header +
 * Avro binary body) to out. Returns SWI_ERR_INVALID_ARG when schema_id is
 * unknown, a required field is missing, or ev carries a non-null field the
 * schema lacks (e.g. jonge_kinderen with id 100). out is unchanged on error. */
swi_err_t swi_gen_encode(swi_gen_encoder_t *enc, const swi_event_t *ev, int32_t schema_id,
                         swi_gen_buf_t *out);

/* The reverse, for tests and checks: decodes an Avro body written with
 * schema_id into ev (envelope members and payload fields, as the pipeline's
 * decoder would with the writer schema as reader). Returns SWI_ERR_NOT_FOUND
 * for an unknown id and SWI_ERR_INVALID_ARG for a body that does not decode
 * exactly (truncated, trailing bytes). */
swi_err_t swi_gen_decode(swi_gen_encoder_t *enc, int32_t schema_id, const uint8_t *body, size_t len,
                         swi_event_t *ev);

/* NULL is a no-op. */
void swi_gen_encoder_destroy(swi_gen_encoder_t *enc);

/* --out records. */
swi_err_t swi_gen_record_write(FILE *f, const char *topic, const void *key, size_t key_len,
                               const void *val, size_t val_len);

/* One record read back; pointers stay valid until the next call with the same rec. */
typedef struct swi_gen_record_s {
        char topic[64];
        swi_gen_buf_t key;
        swi_gen_buf_t val;
} swi_gen_record_t;

/* Reads the next record. Returns 1 on a record, 0 at a clean end of file, -1 on
 * a truncated or malformed file. Free rec's buffers with swi_gen_record_free(). */
int swi_gen_record_read(FILE *f, swi_gen_record_t *rec);
void swi_gen_record_free(swi_gen_record_t *rec);

#endif
