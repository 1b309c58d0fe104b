/* publication_int.h - what publications (publication.c) share with the live
 * publisher (live.c), private to the publish stage: every person from all
 * stored events, and writing a publication's rows (swi_pub.indicator_values
 * and the unrounded swi.indicator_raw) over the sink's PostgreSQL toolkit
 * (sinks/pg_io.h) and cluster store (sinks/pg_store.h).
 *
 * Thread safety: no global state; a connection to one thread at a time. */
#ifndef SWI_PUBLISH_PUBLICATION_INT_H
#define SWI_PUBLISH_PUBLICATION_INT_H

#include <stdint.h>

#include "publish/person_store.h"
#include "sinks/pg_io.h"
#include "transform/indicators.h"

/* Every person at (P, K) from all stored events, appended to *out (its index
 * is stale after); counts events read and clusters. One pass over
 * swi.events ordered by cluster (the clusters of the identity and reference
 * edges, grouped by transform/identity.h). Inside the caller's transaction. */
swi_err_t pub_load_all_persons(PGconn *conn, int64_t K, int32_t P, swi_pstore_t *out,
                               int64_t *events, int64_t *clusters, char *errstr,
                               size_t errstr_size);

/* The generated column swi_pub.indicator_values.cell of r, as a COPY text
 * field (no delimiter after it). */
void pub_add_cell(pgio_buf_t *b, const swi_ind_row_t *r);
/* One COPY line of swi.indicator_raw (peildatum, cell, raw_num, raw_den): the
 * unrounded value of r, for researchers (migration 008). */
void pub_add_raw_line(pgio_buf_t *b, const swi_ind_row_t *r, int32_t P);
/* COPY column lists of swi.indicator_raw. */
#define PUB_RAW_COPY "COPY swi.indicator_raw (peildatum, cell, raw_num, raw_den) FROM STDIN"

/* Replaces every value of publication name (creating or updating its row:
 * P, known_at as text, parameters) with rows, whose known_at column is
 * row_k, and their unrounded values in swi.indicator_raw. b is scratch.
 * Inside the caller's transaction. */
swi_err_t pub_write_publication(PGconn *conn, const char *name, int32_t P, const char *known_at,
                                int64_t row_k, int64_t base, int64_t thr, const char *description,
                                const swi_ind_rows_t *rows, pgio_buf_t *b, char *errstr,
                                size_t errstr_size);

#endif
