/* pseudonym.h - keyed pseudonyms for BSN and V-nummer (HMAC-SHA-256).
 *
 * pseudonym = HMAC-SHA-256(key, "BSN:" || bsn) or HMAC-SHA-256(key, "VNR:" || v_nummer):
 * stable for one key, unlinkable without it, and the two identifier kinds never
 * collide. The key comes from a file or the environment variable
 * SWI_PSEUDONYM_KEY, never from the command line, and is never stored in
 * PostgreSQL or logged.
 *
 * Ownership: the handle keeps its own copy of the key (wiped on destroy).
 * Thread safety: one handle per thread (it holds an OpenSSL MAC context). */
#ifndef SWI_PSEUDONYM_H
#define SWI_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/event.h"

#define SWI_PSEUDONYM_KEY_MIN 16
#define SWI_PSEUDONYM_ENV     "SWI_PSEUDONYM_KEY"

typedef struct swi_pseudonym_s swi_pseudonym_t;

typedef enum { SWI_ID_BSN, SWI_ID_VNR } swi_id_kind_t;

/* Creates a pseudonymiser from key (at least SWI_PSEUDONYM_KEY_MIN bytes). */
swi_pseudonym_t *swi_pseudonym_new(const uint8_t *key, size_t key_len, char *errstr,
                                   size_t errstr_size);

/* Key from key_file if non-empty (contents, a trailing newline removed), else
 * from the environment variable SWI_PSEUDONYM_KEY. Fails if neither is set. */
swi_pseudonym_t *swi_pseudonym_new_from(const char *key_file, char *errstr, size_t errstr_size);

/* Computes the pseudonym of one identifier value. */
swi_err_t swi_pseudonym_compute(swi_pseudonym_t *p, swi_id_kind_t kind, const char *value,
                                uint8_t out[SWI_PSEUDO_LEN]);

/* Replaces ev's raw bsn/v_nummer by pseudonyms (has_*_ps set) and wipes the raw
 * values. The event's identity presence is preserved. */
swi_err_t swi_pseudonym_apply(swi_pseudonym_t *p, swi_event_t *ev);

/* Hex form (64 chars + NUL) for places that need text. */
void swi_pseudonym_hex(const uint8_t ps[SWI_PSEUDO_LEN], char out[2 * SWI_PSEUDO_LEN + 1]);

void swi_pseudonym_destroy(swi_pseudonym_t *p);

#endif
