#include "wire_format.h"

#include <stdio.h>

swi_reason_t swi_wire_unframe(const void *buf, size_t len, int32_t *schema_id, const uint8_t **body,
                              size_t *body_len, char *detail, size_t detail_size)
{
        const uint8_t *p = buf;

        if (!p || len < SWI_WIRE_HEADER_LEN) {
                snprintf(detail, detail_size,
                         "message is %zu bytes; the Confluent wire format needs at least 5", len);
                return SWI_REASON_BAD_FRAMING;
        }
        if (p[0] != 0) {
                snprintf(detail, detail_size, "magic byte is 0x%02x, expected 0x00", p[0]);
                return SWI_REASON_BAD_FRAMING;
        }
        *schema_id = (int32_t)(((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) |
                               ((uint32_t)p[3] << 8) | (uint32_t)p[4]);
        *body = p + SWI_WIRE_HEADER_LEN;
        *body_len = len - SWI_WIRE_HEADER_LEN;
        return SWI_REASON_NONE;
}

void swi_wire_frame_header(int32_t schema_id, uint8_t out[SWI_WIRE_HEADER_LEN])
{
        uint32_t id = (uint32_t)schema_id;
        out[0] = 0;
        out[1] = (uint8_t)(id >> 24);
        out[2] = (uint8_t)(id >> 16);
        out[3] = (uint8_t)(id >> 8);
        out[4] = (uint8_t)id;
}
