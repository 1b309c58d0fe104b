/* publication.h - publications of the indicator table (indicators.md §5-§6).
 *
 * swi_pg_publish() recomputes every figure from the stored events alone, at a
 * peildatum P and a knowledge time K: it clusters the identities, resolves each
 * cluster at K (corrections, retractions, links known at K), derives every
 * person at P, computes the ten families with disclosure control and replaces
 * the publication's rows in swi_pub.indicator_values - all in one transaction
 * on a consistent snapshot. Named publications can be frozen: from then on the
 * database refuses any change to them, and 'herberekening:<name>' (the same P,
 * everything known now) shows their revisions in swi_pub.revisions.
 *
 * Thread safety: opens its own connection; any thread. */
#ifndef SWI_PUBLISH_PUBLICATION_H
#define SWI_PUBLISH_PUBLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"

typedef struct swi_publish_opts_s {
        const char *name;        /* 'actueel', 'herberekening:X' or a name such as 'SWI 2024' */
        int32_t peildatum;       /* P, days since epoch */
        int64_t known_at;        /* K, ms since epoch (registered_at <= K counts) */
        int64_t rounding_base;   /* B (default 5) */
        int64_t threshold;       /* T (default 10) */
        bool freeze;             /* mark the publication final after writing it */
        const char *description; /* may be NULL */
} swi_publish_opts_t;

typedef struct swi_publish_stats_s {
        int64_t events;   /* events read (registered_at <= K) */
        int64_t clusters;
        int64_t persons;  /* persons derived */
        int64_t rows;     /* indicator rows written */
        double seconds;
        double seconds_load;    /* reading events and deriving persons */
        double seconds_compute; /* the ten families with disclosure control */
        double seconds_write;   /* replacing the rows, up to COMMIT */
} swi_publish_stats_t;

/* Computes and writes one publication; see above. Returns SWI_ERR_PG with the
 * statement's purpose and PostgreSQL's message in errstr (e.g. when the
 * publication is frozen already). */
swi_err_t swi_pg_publish(const char *conninfo, const swi_publish_opts_t *opts,
                         swi_publish_stats_t *stats, char *errstr, size_t errstr_size);

#endif
