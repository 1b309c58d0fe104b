/* metrics.h - counters of the running pipeline, served as Prometheus text on
 * /metrics and as JSON health on /healthz (libmicrohttpd, 127.0.0.1 only).
 *
 * Thread safety: counters are C11 atomics written by the pipeline thread and
 * read by the HTTP thread. Never holds identifiers. */
#ifndef SWI_METRICS_H
#define SWI_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/event.h"

#define SWI_LAG_BUCKETS 8 /* 0.1 0.25 0.5 1 2 5 10 +Inf seconds */

typedef struct swi_metrics_s {
        _Atomic uint64_t messages;              /* consumed */
        _Atomic uint64_t events;                /* inserted into swi.events */
        _Atomic uint64_t duplicates;            /* absorbed */
        _Atomic uint64_t dead_letters[SWI_REASON__CNT];
        _Atomic uint64_t batches;               /* committed transactions */
        _Atomic uint64_t commit_failures;       /* rolled-back transactions */
        _Atomic uint64_t registry_outages;      /* lookups that found the registry down */
        _Atomic uint64_t dlq_produce_failures;
        _Atomic uint64_t last_commit_ms;        /* wall clock of the last commit */
        _Atomic uint64_t last_commit_duration_us;
        _Atomic uint64_t source_max_registered_ms[SWI_SRC__CNT]; /* freshness per source */
        _Atomic uint64_t source_last_commit_ms[SWI_SRC__CNT];
        _Atomic uint64_t publications;          /* 'actueel' recomputations */
        _Atomic uint64_t last_publish_ms;
        _Atomic uint64_t publish_lag_ms;        /* largest batch commit -> published, last round */
        /* histogram of batch commit -> figures committed (swi_publish_freshness_seconds) */
        _Atomic uint64_t publish_lag_bucket[SWI_LAG_BUCKETS];
        _Atomic uint64_t publish_lag_count;
        _Atomic uint64_t publish_lag_sum_us;
        _Atomic int registry_down;              /* 1 while the registry is unreachable */
        _Atomic int pg_down;                    /* 1 while PostgreSQL is unreachable */
        _Atomic int assigned_partitions;
        _Atomic int caught_up;
        uint64_t started_ms;
} swi_metrics_t;

typedef struct swi_metrics_server_s swi_metrics_server_t;

/* Serves m on 127.0.0.1:port until destroyed. m must outlive the server. */
swi_metrics_server_t *swi_metrics_server_new(swi_metrics_t *m, int port, char *errstr,
                                             size_t errstr_size);
void swi_metrics_server_destroy(swi_metrics_server_t *s);

/* Renders the Prometheus exposition text into buf; returns its length. */
size_t swi_metrics_render(const swi_metrics_t *m, char *buf, size_t size);

uint64_t swi_now_ms(void);

/* Counts one batch's commit-to-published time (seconds) in the histogram. */
void swi_metrics_observe_publish_lag(swi_metrics_t *m, double seconds);

#endif
