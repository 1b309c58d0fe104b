/* validate.h - the stateless checks of events.md "What counts as bad input".
 *
 * Stateful checks (a correction whose type or identifiers differ from its
 * target's, an Intrekking of an Intrekking) need the target: they are made in
 * etl/pipeline.c when the target is already known, and the trajectory stage
 * ignores a pending one that turns out not to match (docs/validation.md).
 * Thread safety: all functions are pure (the gemeente list is read-only). */
#ifndef SWI_VALIDATE_H
#define SWI_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "transform/event.h"

typedef struct swi_validate_conf_s {
        int date_tolerance_days; /* event_date may exceed the UTC date of registered_at by this */
} swi_validate_conf_t;

/* BSN: exactly 9 digits, not all zeros, passing the elfproef
 * 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 = 0 (mod 11). */
bool swi_bsn_valid(const char *s);
/* V-nummer: exactly 10 digits. */
bool swi_vnummer_valid(const char *s);
/* Canonical textual UUID (8-4-4-4-12 hex digits). */
bool swi_uuid_valid(const char *s);

/* Checks a decoded event (raw identifiers still present). Returns
 * SWI_REASON_NONE or one of NO_IDENTITY, INVALID_BSN, INVALID_VNUMMER,
 * IMPLAUSIBLE_DATE, INVALID_VALUE (checked in that order, events.md) with a detail that
 * names the field but never an identifier's value. */
swi_reason_t swi_validate_event(const swi_event_t *ev, const swi_validate_conf_t *conf,
                                char *detail, size_t detail_size);

#endif
