/* wire_format.h - the Confluent wire format: 0x00, 4-byte big-endian schema id, Avro body. */
#ifndef SWI_WIRE_FORMAT_H
#define SWI_WIRE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "../transform/event.h"

#define SWI_WIRE_HEADER_LEN 5

/* Splits a message into schema id and body. Returns SWI_REASON_NONE, or
 * SWI_REASON_BAD_FRAMING (shorter than 5 bytes, or magic byte not 0) with a
 * detail in detail/detail_size. body points into buf (not copied). */
swi_reason_t swi_wire_unframe(const void *buf, size_t len, int32_t *schema_id, const uint8_t **body,
                              size_t *body_len, char *detail, size_t detail_size);

/* Writes the 5-byte header for schema_id into out. */
void swi_wire_frame_header(int32_t schema_id, uint8_t out[SWI_WIRE_HEADER_LEN]);

#endif
