/* api.h - swi-dashboard's JSON API over the published, disclosure-controlled
 * figures (swi_pub) only.
 *
 *   GET /api/v1/meta           code tables: tables, dimensions and categories with labels
 *                              and order, measures, gemeenten, regions, provinces
 *   GET /api/v1/publications   publications with peildatum, knowledge time, parameters,
 *                              cohorts and whether a recomputation (revisions) exists
 *   GET /api/v1/table          the values of one breakdown of one publication, filtered:
 *                              publication, breakdown (required), cohort, doelgroep,
 *                              measure (comma list), and one parameter per dimension
 *                              of the breakdown (e.g. geslacht=V, gemeente=GM0363)
 *   GET /api/v1/revisions      a frozen publication against its recomputation: counts per
 *                              breakdown and status, and the largest changes
 *                              (publication; breakdown, status, limit)
 *   GET /api/v1/status         per source freshness, live-figure freshness, publications
 *   GET /api/v1/health         200 when the database answers, else 503
 *
 * Every parameter is validated (a clear 400 naming it); unknown parameters,
 * repeated ones and values outside their domain are refused. Values reach
 * PostgreSQL only as statement parameters. A value is published exactly as
 * swi_pub.indicator_values holds it: suppressed values are null with
 * "onderdrukt": true, a share that is not defined (0/0) is null with
 * "onderdrukt": false.
 *
 * The module knows nothing of HTTP: the server hands it a path and the
 * decoded query parameters and sends back what it answers.
 *
 * Thread safety: swi_api_handle() may run on many threads at once; the code
 * tables are loaded once (under a lock) and read-only afterwards. */
#ifndef SWI_DASH_API_H
#define SWI_DASH_API_H

#include <stddef.h>
#include <stdint.h>

#include "dashboard/db.h"

typedef struct swi_api_s swi_api_t;

typedef struct swi_api_param_s {
        const char *key;
        const char *value; /* NULL for a key without '=' */
} swi_api_param_t;

typedef struct swi_api_response_s {
        int status; /* HTTP status */
        char *body; /* JSON, malloc'd; the caller frees it */
        size_t len;
        int64_t max_age_s; /* Cache-Control max-age; 0: no-store */
        const char *allow; /* for 405: the Allow header, else NULL */
} swi_api_response_t;

typedef struct swi_api_opts_s {
        int64_t rows_max;    /* a table selecting more rows is answered 400 */
        int64_t cache_s;     /* max-age of cacheable answers */
        int require_analyst; /* refuse to serve for a role that is not read-only */
} swi_api_opts_t;

/* db stays owned by the caller and must outlive the api. */
swi_api_t *swi_api_new(swi_db_t *db, const swi_api_opts_t *opts, char *errstr, size_t errstr_size);
void swi_api_destroy(swi_api_t *api);

/* Answers path (beginning with "/api/") with the n query parameters params.
 * Always fills *out (status, body); never fails. */
void swi_api_handle(swi_api_t *api, const char *path, const swi_api_param_t *params, int n,
                    swi_api_response_t *out);

/* Computes the revisions of every frozen publication that has a
 * recomputation, as the dashboard asks for them, into the API's cache (the
 * comparison joins two whole publications: seconds at national scale). Meant
 * for a thread of its own at start-up; failures are only logged. */
void swi_api_warm(swi_api_t *api);

/* A JSON error body {"error": {"status": .., "message": .., "parameter": ..}}
 * into *out (parameter may be NULL). For the server's own errors (404, 405,
 * 414, 503). */
void swi_api_error(swi_api_response_t *out, int status, const char *parameter, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
