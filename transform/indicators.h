/* indicators.h - the ten SWI indicator families (indicators.md §5) with the
 * disclosure control of §6, over persons already derived at one (P, K).
 *
 * A pure module: no I/O, no logging, no global state. Input is an array of
 * swi_person_t (transform/trajectory.h) derived at peildatum P; output is a
 * flat, deterministic list of published rows, one value per row, ready to be
 * COPYed into one long table. docs/indicators-impl.md lists every breakdown
 * and measure and the readings of §5 taken.
 *
 * Proposed table (the lead puts it in a migration):
 *
 *   CREATE TABLE swi_pub.indicator_values (
 *       peildatum   date        NOT NULL,  -- P
 *       known_at    timestamptz NOT NULL,  -- K ('infinity' = everything known)
 *       family      smallint    NOT NULL CHECK (family BETWEEN 1 AND 10),
 *       breakdown   text        NOT NULL,  -- 'populatie_geslacht', ...
 *       cohort      text        NOT NULL,  -- '2023' or '*'
 *       doelgroep   text        NOT NULL,  -- 'ASIEL', 'GEZIN', 'OVERIG' or '*'
 *       dim1_name   text        NULL,      -- further dimensions of the breakdown;
 *       dim1_value  text        NULL,      -- value '*' is the margin
 *       dim2_name   text        NULL,
 *       dim2_value  text        NULL,
 *       dim3_name   text        NULL,
 *       dim3_value  text        NULL,
 *       measure     text        NOT NULL,  -- 'cohortgrootte', 'aandeel_pip', 'mediaan', ...
 *       unit        text        NOT NULL
 *                   CHECK (unit IN ('personen', 'procent', 'dagen', 'gebeurtenissen')),
 *       value       numeric     NULL,      -- published value; NULL when onderdrukt
 *       onderdrukt  boolean     NOT NULL,
 *       reden       text        NULL,      -- 'primary,secondary', ...; NULL when published
 *       noemer      text        NULL,      -- what a share / lead time is taken over
 *       CHECK ((value IS NULL) = onderdrukt)
 *   );
 *   CREATE UNIQUE INDEX indicator_values_key ON swi_pub.indicator_values
 *       (peildatum, known_at, breakdown, cohort, doelgroep, coalesce(dim1_value, ''),
 *        coalesce(dim2_value, ''), coalesce(dim3_value, ''), measure);
 *
 * Ownership: the persons are borrowed for the duration of the call. A
 * swi_ind_rows_t is zero-initialised by the caller and owned by it; free it
 * with swi_ind_rows_free(). The const char * members of a row point at static
 * strings (valid for the life of the program); the category values are copied
 * into the row.
 * Thread safety: no global state; every function is reentrant. One
 * swi_ind_rows_t must not be written from two threads at once.
 * swi_ind_compute2() starts and joins one thread of its own per call. */
#ifndef SWI_INDICATORS_H
#define SWI_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/disclosure.h"
#include "transform/trajectory.h"

#define SWI_IND_FAMILIES 10
#define SWI_IND_MAX_DIMS 3   /* further dimensions besides cohort and doelgroep */
#define SWI_IND_LABEL_LEN 32 /* longest category text plus NUL ("geen_pip_meer_dan_70_dagen") */

/* What a row's value is. */
typedef enum swi_ind_kind_e {
        SWI_IND_COUNT = 1, /* a count (unit personen or gebeurtenissen), rounded to B */
        SWI_IND_SHARE,     /* a percentage with one decimal (unit procent) */
        SWI_IND_LEADTIME   /* a lead-time statistic in days with one decimal (unit dagen) */
} swi_ind_kind_t;

/* One published value. Margins are "*" in cohort, doelgroep and dim_value. */
typedef struct swi_ind_row_s {
        int family;                                /* 1..10 */
        const char *breakdown;                     /* static, e.g. "populatie_geslacht" */
        char cohort[8];                            /* "2023" or "*" */
        char doelgroep[8];                         /* "ASIEL", "GEZIN", "OVERIG" or "*" */
        int ndims;                                 /* further dimensions used, 0..3 */
        const char *dim_name[SWI_IND_MAX_DIMS];    /* static; NULL when unused */
        char dim_value[SWI_IND_MAX_DIMS][SWI_IND_LABEL_LEN]; /* "" when unused */
        const char *measure;                       /* static, e.g. "plichtigen" */
        const char *unit;                          /* "personen", "procent", "dagen",
                                                    * "gebeurtenissen" */
        swi_ind_kind_t kind;
        /* Unrounded value for the researcher side: raw_num / raw_den exactly.
         * A count has raw_den = 1; a share is numerator / denominator count
         * (a percentage is 100 * raw_num / raw_den); a lead-time statistic is
         * an exact rational in days. raw_den == 0: undefined - a share over 0
         * persons (NULL but not onderdrukt: `undefined`, §6 settled points) or
         * a statistic over n = 0 (onderdrukt, leadtime_n). */
        int64_t raw_num;
        int64_t raw_den;
        /* Published value: value / 10^decimals (count: decimals 0, rounded to
         * the base B; share: tenths of a percent; lead time: tenths of a day).
         * 0 when onderdrukt or undefined. */
        int64_t value;
        int decimals;
        bool onderdrukt;
        bool undefined;     /* a share over 0 persons: published as NULL, not onderdrukt */
        unsigned reden;     /* swi_dc_reason_t bits; 0 when published */
        const char *noemer; /* static: what the share / statistic is over; NULL for counts */
} swi_ind_row_t;

/* A growable array of rows. Zero-initialise ({0}) before first use. */
typedef struct swi_ind_rows_s {
        swi_ind_row_t *v;
        size_t n, cap;
} swi_ind_rows_t;

void swi_ind_rows_reset(swi_ind_rows_t *r); /* n = 0, keeps the memory */
void swi_ind_rows_free(swi_ind_rows_t *r);  /* frees and zeroes; NULL-safe */

/* Computes all ten families at peildatum P over persons[0..n) (each derived
 * at P: persons[i].peildatum == P, else SWI_ERR_INVALID_ARG) with disclosure
 * parameters dc (NULL = SWI_DC_PARAMS_DEFAULT) and APPENDS the rows to *out.
 * Row order is deterministic: family, breakdown (in the order of
 * docs/indicators-impl.md), then cell (cohort, doelgroep, dim1..dim3, each
 * in category order with the margin "*" last), then measure. The order of
 * persons does not matter.
 * Returns SWI_OK, SWI_ERR_NOMEM, or SWI_ERR_INVALID_ARG (bad dc, a person
 * derived at another P); errstr (may be NULL) receives a message on failure.
 * On failure *out may hold a partial list. */
swi_err_t swi_ind_compute(const swi_person_t *persons, size_t n, int32_t P,
                          const swi_dc_params_t *dc, swi_ind_rows_t *out, char *errstr,
                          size_t errstr_size);

/* As swi_ind_compute(), on two threads: families 1..SWI_IND_SPLIT on the
 * calling one, the rest on a second one (they take about as long: the
 * gemeente cross-tables of family 5 against families 7 to 9), whose rows go
 * to *spare first and are then appended to *out. The rows and their order are
 * the same as swi_ind_compute()'s. spare is zero-initialised and owned by the
 * caller; keep it across calls so its memory is reused. When no thread can
 * be started the second part runs on the calling thread. */
#define SWI_IND_SPLIT 5
swi_err_t swi_ind_compute2(const swi_person_t *persons, size_t n, int32_t P,
                           const swi_dc_params_t *dc, swi_ind_rows_t *out, swi_ind_rows_t *spare,
                           char *errstr, size_t errstr_size);

/* Renders row as one line of PostgreSQL COPY text format (tab-separated, \N
 * for NULL, backslash escapes, terminated by '\n') for the columns of
 * swi_pub.indicator_values in table order. known_at is K in ms since epoch
 * (SWI_K_ALL renders as 'infinity'). Returns the length written (without the
 * NUL), or -1 when buf is too small (buf then holds ""). 512 bytes always
 * suffice. */
int swi_ind_row_copy_line(const swi_ind_row_t *row, int32_t peildatum, int64_t known_at,
                          char *buf, size_t size);

/* Comma-separated names of the reason bits ("primary,secondary") into buf;
 * "" for 0. Returns the length or -1 when buf is too small. */
int swi_ind_reasons_format(unsigned reden, char *buf, size_t size);

#endif
