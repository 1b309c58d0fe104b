/* metrics.h - the running pipeline's counters and state, served over HTTP
 * (libmicrohttpd): Prometheus text on /metrics, liveness on /livez,
 * readiness on /readyz (and /healthz, the same as /readyz), as JSON.
 *
 * Counters that count committed results (messages_committed, events,
 * duplicates, dead_letters) move only when a PostgreSQL batch committed;
 * work counters (messages_consumed: every message polled, re-reads after a
 * failed batch included) are named apart.
 *
 * Thread safety: scalar fields are C11 atomics written by the pipeline's
 * threads and read by the HTTP thread; the per-partition table and the error
 * texts are guarded by lock (swi_metrics_set_partitions,
 * swi_metrics_set_error). Never holds identifiers or secrets (error texts
 * pass through the logger's secret mask). */
#ifndef SWI_METRICS_H
#define SWI_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/event.h"

#define SWI_LAG_BUCKETS 8 /* 0.1 0.25 0.5 1 2 5 10 +Inf seconds */

typedef enum swi_phase_e {
        SWI_PHASE_STARTING = 0, /* connecting to PostgreSQL, migrating */
        SWI_PHASE_RUNNING,
        SWI_PHASE_STOPPING,
} swi_phase_t;

/* One assigned partition, as last reported by the consume loop. */
typedef struct swi_metrics_part_s {
        char topic[128];
        int32_t partition;
        int64_t committed;  /* next offset committed; -1 none yet */
        int64_t end;        /* high watermark; -1 unknown */
        int64_t lag;        /* -1 unknown */
        double lag_seconds; /* -1 unknown */
        bool refused;
        int64_t lost;
} swi_metrics_part_t;

typedef enum swi_component_e {
        SWI_COMP_POSTGRES = 0,
        SWI_COMP_REGISTRY,
        SWI_COMP_KAFKA,
        SWI_COMP__CNT,
} swi_component_t;

typedef struct swi_metrics_s {
        /* work */
        _Atomic uint64_t messages_consumed; /* polled, re-reads included */
        _Atomic uint64_t commit_failures;   /* rolled-back transactions */
        _Atomic uint64_t registry_outages;  /* lookups that found the registry down */
        _Atomic uint64_t dlq_produce_failures;
        /* committed results */
        _Atomic uint64_t
            messages_committed;      /* offsets committed: events + duplicates + dead letters */
        _Atomic uint64_t events;     /* inserted into swi.events */
        _Atomic uint64_t duplicates; /* absorbed */
        _Atomic uint64_t dead_letters[SWI_REASON__CNT];
        _Atomic uint64_t batches;        /* committed transactions */
        _Atomic uint64_t last_commit_ms; /* wall clock of the last commit */
        _Atomic uint64_t last_commit_duration_us;
        _Atomic uint64_t source_max_registered_ms[SWI_SRC__CNT]; /* freshness per source */
        _Atomic uint64_t source_last_commit_ms[SWI_SRC__CNT];
        /* Kafka */
        _Atomic uint64_t kafka_commit_failures; /* monitoring offset commits that failed */
        _Atomic uint64_t offset_refusals;       /* partitions refused (offset beyond the end) */
        /* trajectory step deferred during a backlog (migration 020) */
        _Atomic uint64_t traj_deferred_keys; /* keys recorded by deferring batches */
        _Atomic uint64_t traj_drained_keys;  /* pending keys taken by drain chunks */
        _Atomic int64_t traj_pending_keys;   /* all instances', as last counted; -1 unknown */
        /* current figures */
        _Atomic uint64_t publications; /* 'actueel' recomputations */
        _Atomic uint64_t last_publish_ms;
        _Atomic uint64_t publish_lag_ms; /* largest batch commit -> published, last round */
        /* histogram of batch commit -> figures committed (swi_publish_freshness_seconds) */
        _Atomic uint64_t publish_lag_bucket[SWI_LAG_BUCKETS];
        _Atomic uint64_t publish_lag_count;
        _Atomic uint64_t publish_lag_sum_us;
        /* state */
        _Atomic int registry_down;                  /* 1 while the registry is unreachable */
        _Atomic int pg_down;                        /* 1 while PostgreSQL is unreachable */
        _Atomic int kafka_down;                     /* 1 while no broker connection is up */
        _Atomic int registry_http;                  /* 1: an HTTP registry (0: the local map) */
        _Atomic uint64_t checked_ms[SWI_COMP__CNT]; /* when each state was last established */
        _Atomic int kafka_brokers_up;
        _Atomic int assigned_partitions;
        _Atomic int refused_partitions;
        _Atomic int caught_up;
        _Atomic int phase;             /* swi_phase_t */
        _Atomic uint64_t heartbeat_ms; /* the consume loop last turned */
        uint64_t liveness_timeout_ms;
        uint64_t started_ms;

        pthread_mutex_t lock; /* guards what follows */
        swi_metrics_part_t *parts;
        int nparts, parts_cap;
        char error[SWI_COMP__CNT][512]; /* last error per component; "" when up */
        char group_state[32];
} swi_metrics_t;

/* Zeroes m and sets up its lock. */
void swi_metrics_init(swi_metrics_t *m);
void swi_metrics_fini(swi_metrics_t *m);

/* Replaces the partition table (copied). */
void swi_metrics_set_partitions(swi_metrics_t *m, const swi_metrics_part_t *parts, int n);
/* Records a component's state: up (err NULL) or down with the reason (masked
 * for secrets, first line kept whole, truncated to 511 bytes). */
void swi_metrics_set_state(swi_metrics_t *m, swi_component_t c, const char *err);
void swi_metrics_set_group_state(swi_metrics_t *m, const char *state);

typedef struct swi_metrics_server_s swi_metrics_server_t;

typedef struct swi_http_opts_s {
        const char *bind; /* address: "127.0.0.1", "0.0.0.0", "::", a name */
        int port;
        int idle_timeout_s; /* a connection idle this long is closed */
        int max_connections;
} swi_http_opts_t;

/* Serves m until destroyed: GET and HEAD of /metrics, /livez, /readyz,
 * /healthz (other methods: 405). m must outlive the server. */
swi_metrics_server_t *swi_metrics_server_new(swi_metrics_t *m, const swi_http_opts_t *o,
                                             char *errstr, size_t errstr_size);
void swi_metrics_server_destroy(swi_metrics_server_t *s);

/* The Prometheus exposition text, malloc'd (caller frees); length in *len. */
char *swi_metrics_render(swi_metrics_t *m, size_t *len);
/* The /livez or /readyz JSON body, malloc'd; *ok whether it is healthy. */
char *swi_metrics_health_json(swi_metrics_t *m, bool readiness, bool *ok);

uint64_t swi_now_ms(void);

/* Counts one batch's commit-to-published time (seconds) in the histogram. */
void swi_metrics_observe_publish_lag(swi_metrics_t *m, double seconds);

#endif
