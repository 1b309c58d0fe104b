/* decoder.h - Avro binary body -> swi_event_t. The only module that includes avro.h
 * (besides the generator's encoder in tools/gen/).
 *
 * For each writer schema id the decoder builds (once, cached) a resolver from the
 * writer schema to the *reader* schema: the current version of the same record
 * in schema.dir (registry.json marks one version per record as current). Old
 * messages thus decode with the current schema: fields added since take their
 * defaults.
 *
 * Ownership: the decoder keeps a reference to registry; the registry must
 * outlive it.
 * Thread safety: one decoder per thread. */
#ifndef SWI_DECODER_H
#define SWI_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "../common/swi_err.h"
#include "../transform/event.h"
#include "schema_registry.h"

typedef struct swi_decoder_s swi_decoder_t;

/* reader_dir: directory of the current (reader) schemas (schema.dir). */
swi_decoder_t *swi_decoder_new(swi_registry_t *registry, const char *reader_dir, char *errstr,
                               size_t errstr_size);

/* Decodes body (the Avro part of a message) written with schema_id, for a
 * message read from the topic of topic_source.
 *
 * Returns SWI_OK with *reason:
 *   SWI_REASON_NONE           ev is filled (envelope + payload fields, raw ids)
 *   SWI_REASON_UNKNOWN_SCHEMA id unknown to the registry
 *   SWI_REASON_UNDECODABLE    truncated/corrupt body, trailing bytes, or a
 *                             writer schema that cannot be resolved
 *   SWI_REASON_WRONG_SOURCE   the record belongs to another source's namespace
 * and a human-readable detail (never containing an identifier's value). On a
 * rejection ev->type is still the type of the writer schema's record when that
 * names one (a WRONG_SOURCE record: the other source's type), else
 * SWI_EV_NONE; the rest of ev is unspecified.
 * Returns SWI_ERR_REGISTRY_DOWN when the registry is unreachable: retry later. */
swi_err_t swi_decode(swi_decoder_t *d, swi_source_t topic_source, int32_t schema_id,
                     const uint8_t *body, size_t len, swi_event_t *ev, swi_reason_t *reason,
                     char *detail, size_t detail_size);

void swi_decoder_destroy(swi_decoder_t *d);

#endif
