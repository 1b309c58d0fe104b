/* row_diff.h - old vs new indicator rows (pure: no PostgreSQL): which cells
 * the live publisher must update, insert or delete, and which unrounded
 * values changed. A cell is a row's (breakdown, cohort, doelgroep, dimension
 * values, measure); its published value is (value, onderdrukt, undefined,
 * reden, decimals); its unrounded value (raw_num, raw_den) changes more
 * often (a count can move without its rounded value moving).
 *
 * Ownership: a swi_rowdiff_t owns its arrays; zero-initialise it ({0}),
 * free it with swi_rowdiff_free. The rows are borrowed for the call.
 * Thread safety: reentrant. */
#ifndef SWI_PUBLISH_ROW_DIFF_H
#define SWI_PUBLISH_ROW_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/indicators.h"

typedef enum swi_rowdiff_op_e {
        SWI_ROWDIFF_SAME = 0, /* the cell is there with the same published value */
        SWI_ROWDIFF_UPDATE,   /* the cell is there with another published value */
        SWI_ROWDIFF_INSERT    /* a new cell */
} swi_rowdiff_op_t;

typedef struct swi_rowdiff_s {
        size_t n;          /* rows of the new set */
        long *old_of;      /* per new row: the same cell's index in old, or -1 */
        uint8_t *op;       /* per new row: swi_rowdiff_op_t */
        bool *raw_changed; /* per new row: matched, and raw_num or raw_den differs */
        size_t *gone;      /* indices in old of the cells not in new, ascending */
        size_t ngone;
        size_t nupdate, ninsert, nraw; /* counts of the above */
} swi_rowdiff_t;

/* Same cell (not comparing values). */
bool swi_rowdiff_same_cell(const swi_ind_row_t *a, const swi_ind_row_t *b);
/* Same published value (not comparing the unrounded one). */
bool swi_rowdiff_same_value(const swi_ind_row_t *a, const swi_ind_row_t *b);
/* A hash of the cell (FNV-1a over its parts). */
uint64_t swi_rowdiff_cell_hash(const swi_ind_row_t *r);

/* For every row of nw, the index of the same cell in old, or -1 into
 * old_of[0..nw->n): by position when the cells are the same in the same
 * order (the common case), else through a hash of the cells. Cells are
 * unique within each set. SWI_OK or SWI_ERR_NOMEM. */
swi_err_t swi_rowdiff_match(const swi_ind_rows_t *old, const swi_ind_rows_t *nw, long *old_of);

/* What turns old into nw, into *d (its previous contents are replaced).
 * SWI_OK or SWI_ERR_NOMEM. */
swi_err_t swi_rowdiff_compute(swi_rowdiff_t *d, const swi_ind_rows_t *old,
                              const swi_ind_rows_t *nw);
void swi_rowdiff_free(swi_rowdiff_t *d); /* NULL-safe; zeroes *d */

#endif
