/* disclosure.h - disclosure control of one published breakdown (indicators.md §5, §6).
 *
 * A pure module: no I/O, no logging, no global state. It takes one breakdown
 * table of *unrounded* values and returns the values as they may be published:
 * counts rounded to the base B, shares in tenths of a percent, each with a
 * suppressed ("onderdrukt") flag and the reasons for it.
 *
 * Table model
 *   A breakdown has D dimensions (1 <= D <= SWI_DC_MAX_DIMS). Dimension d has
 *   ncats[d] categories, numbered 0..ncats[d]-1 in the *category order* of §6
 *   (enumerations in spec order, codes ascending, then OVERIG, then ONBEKEND);
 *   the caller supplies them in that order, this module only sees indices.
 *   Each dimension also has its margin `*`, written as coordinate -1.
 *   A cell is one coordinate per dimension, each a category or -1; the table
 *   holds every such cell (prod(ncats[d] + 1) cells).
 *   Each cell has ncount_fields count fields (unrounded, >= 0; cells never set
 *   are 0) and nshares shares; share s is field share_num[s] / field
 *   share_den[s] of the same cell. Margins are set by the caller, computed from
 *   unrounded values; they are never derived from the cells here.
 *
 * Rules (docs/disclosure.md has them in full, with every reading chosen)
 *   - A count is published rounded to the nearest multiple of B, halves away
 *     from zero; 1 <= n < T is suppressed (PRIMARY); 0 is published as 0.
 *   - A share over den = 0 is undefined: NULL, but not suppressed
 *     (swi_dc_value_t.undefined), and no suppressed member of any group.
 *     Otherwise a share is suppressed when 1 <= den < T (DENOMINATOR), its
 *     numerator count is suppressed for any reason (NUMERATOR), or den - num is
 *     in 1..T-1 (COMPLEMENT, which suppresses the numerator count too, with
 *     the same reason). A published share is 100*num/den with one decimal,
 *     from the unrounded counts, halves away from zero.
 *   - Secondary suppression (SECONDARY), per value kind (each count field, each
 *     share): a group is the ncats[d] category cells along one dimension d with
 *     every other coordinate fixed (a category or -1). The margin cell
 *     (coordinate -1 on d) is what the group adds up to and is *not* a member.
 *     If exactly one member is suppressed, the smallest other member with a
 *     non-zero unrounded count (for a share: unrounded numerator) is suppressed
 *     too; tie: first in category order. If there is no such member, the
 *     group's margin is suppressed (it is a member of the groups along the
 *     other dimensions). Rounds: every group is judged against the state at
 *     the start of the round, the new suppressions are added at once, until a
 *     round adds nothing. Count fields are settled first, each to its fixed
 *     point; a share then starts from its DENOMINATOR/COMPLEMENT/NUMERATOR
 *     state and runs its own rounds. A secondarily suppressed denominator does
 *     not suppress shares. Every dimension's groups are checked, up to
 *     SWI_DC_MAX_DIMS dimensions.
 *
 * Ownership: a swi_dc_table_t is created by swi_dc_table_new() and owned by the
 * caller until swi_dc_table_destroy(). The constructor copies the arrays it is
 * given. swi_dc_apply() allocates nothing.
 * Thread safety: a table is not synchronised; use one table per thread (or
 * lock around it). Different tables and the free functions below are safe to
 * use concurrently; the free functions are pure. */
#ifndef SWI_DISCLOSURE_H
#define SWI_DISCLOSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"

#define SWI_DC_MAX_DIMS 8
/* Upper bound on a table's cells, prod(ncats[d] + 1): 2^24. */
#define SWI_DC_MAX_CELLS (1L << 24)
/* Largest count accepted; keeps 1000 * count far from int64 overflow. */
#define SWI_DC_COUNT_MAX ((int64_t)1000000000000000) /* 10^15 */
/* Coordinate of the margin `*` of a dimension. */
#define SWI_DC_MARGIN (-1)

/* Why a value is suppressed: a bit set; 0 means published. */
typedef enum swi_dc_reason_e {
        SWI_DC_R_PRIMARY = 1 << 0,     /* count with 1 <= n < T */
        SWI_DC_R_DENOMINATOR = 1 << 1, /* share with denominator < T */
        SWI_DC_R_COMPLEMENT = 1 << 2,  /* share with den - num in 1..T-1, and its numerator count */
        SWI_DC_R_NUMERATOR = 1 << 3,   /* share whose numerator count is suppressed */
        SWI_DC_R_SECONDARY = 1 << 4,   /* chosen by secondary suppression */
        SWI_DC_R_LEADTIME_N = 1 << 5,  /* lead-time statistic with n < T */
} swi_dc_reason_t;

/* Returns a static lower-case name for one reason bit ("primary", ...), or
 * "none" for 0 and "unknown" for anything else. */
const char *swi_dc_reason2str(unsigned reason);

/* Parameters of §6. */
typedef struct swi_dc_params_s {
        int64_t base;      /* rounding base B, >= 1 (default 5; 100 = DUO practice) */
        int64_t threshold; /* threshold T, >= 1 (default 10) */
} swi_dc_params_t;

/* clang-format off */
#define SWI_DC_PARAMS_DEFAULT {5, 10}
/* clang-format on */

/* One published value. */
typedef struct swi_dc_value_s {
        int64_t value;    /* count: rounded count; share: tenths of a percent (123 = 12.3%);
                           * lead time: tenths of a day. 0 when suppressed. */
        bool suppressed;  /* the `onderdrukt` column: the value is published as NULL */
        unsigned reasons; /* swi_dc_reason_t bits; 0 when published */
        bool undefined;   /* a share over 0: published as NULL, but not suppressed */
} swi_dc_value_t;

typedef struct swi_dc_table_s swi_dc_table_t;

/* Creates an empty table (every count 0).
 *   ndims          1..SWI_DC_MAX_DIMS
 *   ncats[ndims]   categories per dimension, without the margin, each >= 1
 *   ncount_fields  >= 1
 *   nshares        >= 0; share_num/share_den[nshares] are count field indices
 *                  (may be NULL when nshares == 0); num != den.
 * Returns NULL with a message in errstr on invalid arguments, too many cells or
 * out of memory. The arrays are copied; the caller keeps ownership of them. */
swi_dc_table_t *swi_dc_table_new(int ndims, const int *ncats, int ncount_fields, int nshares,
                                 const int *share_num, const int *share_den, char *errstr,
                                 size_t errstr_size);

/* Frees the table; NULL is a no-op. */
void swi_dc_table_destroy(swi_dc_table_t *t);

/* Sets the unrounded count of one field of one cell. coord[ndims] holds a
 * category index or SWI_DC_MARGIN per dimension. v must be in
 * 0..SWI_DC_COUNT_MAX. Invalidates earlier results until the next
 * swi_dc_apply(). Returns SWI_ERR_INVALID_ARG on a bad coordinate, field or value. */
swi_err_t swi_dc_set_count(swi_dc_table_t *t, const int *coord, int field, int64_t v);

/* Resets every count to 0 so the table can be reused for another breakdown of
 * the same shape. */
void swi_dc_clear(swi_dc_table_t *t);

/* Applies §6 with parameters p to the whole table (from scratch; may be called
 * again). Returns SWI_ERR_INVALID_ARG with a message in errstr (may be NULL)
 * when p is out of range or a share's numerator exceeds its denominator in
 * some cell. Does not allocate. */
swi_err_t swi_dc_apply(swi_dc_table_t *t, const swi_dc_params_t *p, char *errstr,
                       size_t errstr_size);

/* Published value of count field `field` / share `share` at coord, into *out.
 * Returns SWI_ERR_INVALID_ARG on a bad coordinate or index, or when
 * swi_dc_apply() has not succeeded since the last change. */
swi_err_t swi_dc_get_count(const swi_dc_table_t *t, const int *coord, int field,
                           swi_dc_value_t *out);
swi_err_t swi_dc_get_share(const swi_dc_table_t *t, const int *coord, int share,
                           swi_dc_value_t *out);

/* Unrounded count as set (for callers and tests). Returns -1 on a bad
 * coordinate or field. */
int64_t swi_dc_raw_count(const swi_dc_table_t *t, const int *coord, int field);

/* ---- values outside tables --------------------------------------------- */

/* An exact rational value num/den (den != 0), e.g. a mean sum/n or an
 * interpolated quantile a + (b - a) * k / m = (a * m + (b - a) * k) / m. */
typedef struct swi_dc_ratio_s {
        int64_t num;
        int64_t den;
} swi_dc_ratio_t;

/* Lead-time statistics (mean, quantiles, ...) of n persons, in days: each
 * stats[i] is published in tenths of a day, rounded half away from zero, into
 * out[i]; all are suppressed (SWI_DC_R_LEADTIME_N) when n < T, n = 0
 * included. They form no groups. n itself and n_open are counts: publish them
 * as count fields of the breakdown's table. Returns SWI_ERR_INVALID_ARG on a
 * bad p, n < 0, nstats < 0, or a zero denominator in a statistic that is
 * published. */
swi_err_t swi_dc_leadtime(const swi_dc_params_t *p, int64_t n, int nstats,
                          const swi_dc_ratio_t *stats, swi_dc_value_t *out);

/* Rounds num/den * 10^decimals to the nearest integer, halves away from zero,
 * in exact integer arithmetic: swi_round_half_away(1225, 100, 0) == 12,
 * swi_round_half_away(245, 10, 0) == 25, swi_round_half_away(1, 8, 2) == 13
 * (12.5 -> 13). Preconditions (asserted): den != 0, 0 <= decimals <= 9,
 * |num| * 10^decimals <= INT64_MAX. */
int64_t swi_round_half_away(int64_t num, int64_t den, int decimals);

/* Formats a scaled integer v / 10^decimals as text with exactly `decimals`
 * decimals and a '.' separator: (123, 1) -> "12.3", (-5, 1) -> "-0.5",
 * (1000, 1) -> "100.0", (7, 0) -> "7". Returns the length written, or -1 if
 * it does not fit in buf (buf then holds ""), like a checked snprintf. */
int swi_format_fixed(int64_t v, int decimals, char *buf, size_t size);

/* Formats a published share (tenths of a percent) as "12.3"; writes "" and
 * returns 0 when the value is suppressed (NULL). Returns -1 if buf is too
 * small. */
int swi_dc_format_share(const swi_dc_value_t *share, char *buf, size_t size);

#endif
