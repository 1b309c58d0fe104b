/* gemeenten.h - the 2024 municipality list (CBS codes, labour-market regions)
 * and the municipalities dissolved since 2022 (indicators.md §7).
 *
 * The list is compiled into the binary (transform/data/gemeenten_2024.csv) and
 * parsed once on first use.
 * Thread safety: all functions may be called from any thread (pthread_once). */
#ifndef SWI_GEMEENTEN_H
#define SWI_GEMEENTEN_H

#include <stdbool.h>
#include <stdint.h>

/* True if code is a valid gemeente for an event dated event_date: one of the
 * 342 of 2024, or a dissolved one on or before its last day. */
bool swi_gemeente_valid_on(const char *code, int32_t event_date);

/* The code that counts in figures: the successor of a dissolved gemeente, else
 * code itself if it is known; NULL for an unknown code. Static storage. */
const char *swi_gemeente_successor(const char *code);

/* Labour-market region code ("AM18") of a gemeente (after successor mapping),
 * NULL if unknown. Static storage. */
const char *swi_gemeente_region(const char *code);

/* Name of a gemeente or region code, NULL if unknown. Static storage. */
const char *swi_gemeente_name(const char *code);
const char *swi_region_name(const char *am_code);

/* Number of 2024 gemeenten loaded (342). */
int swi_gemeente_count(void);
/* i-th 2024 gemeente code in ascending order (0 <= i < count). */
const char *swi_gemeente_code_at(int i);

#endif
