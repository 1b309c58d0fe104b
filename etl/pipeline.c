#include "pipeline.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "ingest/decoder.h"
#include "ingest/kafka.h"
#include "ingest/schema_registry.h"
#include "ingest/wire_format.h"
#include "publish/live.h"
#include "sinks/sink.h"
#include "transform/pseudonym.h"
#include "transform/validate.h"

/* A dead letter of the open batch, kept until the batch commits. */
typedef struct pending_dl_s {
        swi_reason_t reason;
        int32_t partition;
        int64_t offset;
        char *key, *payload, *detail, *topic; /* copies; key NULL when none */
        size_t key_len, len;
} pending_dl_t;

struct swi_pipeline_s {
        const swi_conf_t *conf;
        swi_registry_t *registry;
        swi_decoder_t *decoder;
        swi_pseudonym_t *pseudonym;
        swi_validate_conf_t vconf;
        swi_sink_t *sink;
        swi_kafka_consumer_t *consumer;
        swi_kafka_producer_t *dlq;
        const char *topics[SWI_SRC__CNT];
        volatile sig_atomic_t stop;
        uint64_t batch_started_ms;
        /* Batch size in force: halved after every failed commit, doubled back
         * after successes, so a batch that cannot commit as a whole (a lock
         * table too small, a statement too large) still gets through, and a
         * message PostgreSQL refuses is eventually isolated in a batch of one. */
        int64_t batch_limit;
        int commit_failures_in_row;
        /* the batch's dead letters, raw, for the dead-letter topic at commit */
        pending_dl_t *pending;
        size_t npending, pending_cap;
        /* newest registered_at per source in the open batch, for freshness */
        int64_t batch_max_registered[SWI_SRC__CNT];
        swi_metrics_t metrics;

        /* Publisher thread: keeps 'actueel' up to date batch by batch
         * (publish/live.h), woken by the batches' notifications. It has its
         * own connection and snapshot; the consume loop never waits for it. */
        pthread_t publisher;
        bool publisher_started;
        atomic_int pub_stop;

        /* Operations (health, lag, progress, bounded shutdown): see the
         * "operations" helpers below. */
        uint64_t pg_ok_ms, reg_ok_ms; /* last time each was proven up */
        uint64_t health_ms, lag_ms;   /* last health check, lag snapshot */
        uint64_t progress_ms, progress_committed;
        bool was_caught_up;
        uint64_t stop_deadline_ms; /* set when a stop is first seen */
        swi_kafka_lag_t *lags;
        swi_metrics_part_t *mparts;
        int lags_cap;
        int64_t lag_total;
        double lag_seconds_max;
        long kill_after_commits; /* test hook: SWI_FAULT_KILL_BEFORE_KAFKA_COMMIT */

        /* The trajectory step deferred during a backlog (sinks/pg_sink.h,
         * migration 020): worked off when caught up, or when overdue. */
        enum { DEFER_OFF, DEFER_AUTO, DEFER_ALWAYS } defer_mode;
        bool drain_wanted;           /* deferred work may be pending */
        uint64_t deferring_since_ms; /* first deferral not yet worked off; 0: none */
        uint64_t drain_retry_ms;     /* after a failed chunk: not before this */
        uint64_t drain_check_ms;     /* last look for other instances' work */
        int drain_failures;
};

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* ---- operations: stopping, health, lag, progress ------------------------------- */

/* Milliseconds left before a stop must be done (shutdown.timeout.ms from
 * when it was first seen); the full budget while not stopping. */
static int stop_budget_ms(swi_pipeline_t *p)
{
        uint64_t now = swi_now_ms();

        if (!p->stop)
                return (int)p->conf->shutdown_timeout_ms;
        if (p->stop_deadline_ms == 0)
                p->stop_deadline_ms = now + (uint64_t)p->conf->shutdown_timeout_ms;
        return now >= p->stop_deadline_ms ? 0 : (int)(p->stop_deadline_ms - now);
}

/* Sleeps ms in short slices, keeping /livez informed; returns early on stop. */
static void sleep_interruptible(swi_pipeline_t *p, int ms)
{
        while (ms > 0 && !p->stop) {
                int slice = ms < 100 ? ms : 100;
                sleep_ms(slice);
                ms -= slice;
                p->metrics.heartbeat_ms = swi_now_ms();
        }
}

/* The back-off after n consecutive PostgreSQL failures: 100 ms doubling,
 * capped by pg.retry.backoff.max.ms. */
static int pg_backoff_ms(const swi_pipeline_t *p, int n)
{
        int64_t ms = 100;
        for (int i = 1; i < n && ms < p->conf->pg_retry_max_ms; i++)
                ms *= 2;
        return (int)(ms < p->conf->pg_retry_max_ms ? ms : p->conf->pg_retry_max_ms);
}

static void pg_state(swi_pipeline_t *p, const char *err)
{
        if (!err)
                p->pg_ok_ms = swi_now_ms();
        swi_metrics_set_state(&p->metrics, SWI_COMP_POSTGRES, err);
}

/* Connects the sink and applies the migrations, retrying with back-off while
 * PostgreSQL is unreachable (or the migration fails), as after a failed
 * batch: a stack starting in any order comes up. Gives up after
 * pg.startup.timeout.s (0: never) or on stop. */
static swi_err_t connect_postgres(swi_pipeline_t *p, char *errstr, size_t errstr_size)
{
        const uint64_t t0 = swi_now_ms();
        const swi_sink_conf_t sconf = {.conninfo = p->conf->pg_conninfo,
                                       .group_id = p->conf->group_id,
                                       .trajectories = p->conf->trajectories};
        int attempt = 0;

        for (;;) {
                char err[1024] = "";
                p->metrics.heartbeat_ms = swi_now_ms();
                p->sink = swi_sink_open(&swi_pg_sink_ops, &sconf, err, sizeof(err));
                if (p->sink) {
                        if (swi_sink_migrate(p->sink) == SWI_OK)
                                break;
                        snprintf(err, sizeof(err), "migrations failed: %s",
                                 swi_sink_errstr(p->sink));
                        swi_sink_close(p->sink);
                        p->sink = NULL;
                }
                attempt++;
                pg_state(p, err);
                if (p->stop) {
                        snprintf(errstr, errstr_size, "stopped while waiting for PostgreSQL");
                        return SWI_ERR_STOPPED;
                }
                if (p->conf->pg_startup_timeout_s > 0 &&
                    swi_now_ms() - t0 >= (uint64_t)p->conf->pg_startup_timeout_s * 1000) {
                        snprintf(errstr, errstr_size,
                                 "PostgreSQL not usable after %lld s (pg.startup.timeout.s): %s",
                                 (long long)p->conf->pg_startup_timeout_s, err);
                        return SWI_ERR_PG;
                }
                SWI_LOG_W("pg", "PostgreSQL not usable at start-up; retrying",
                          "attempt=%d backoff_ms=%d error=%s", attempt, pg_backoff_ms(p, attempt),
                          err);
                sleep_interruptible(p, pg_backoff_ms(p, attempt));
        }
        if (attempt > 0)
                SWI_LOG_I("pg", "PostgreSQL reachable; migrations applied", "attempts=%d",
                          attempt + 1);
        pg_state(p, NULL);
        return SWI_OK;
}

/* Probes what no work has proven up within health.check.interval.ms, and
 * takes the consumer's broker and group state. */
static void health_tick(swi_pipeline_t *p, uint64_t now)
{
        const uint64_t interval = (uint64_t)p->conf->health_interval_ms;
        swi_kafka_health_t h;

        if (now - p->health_ms < interval)
                return;
        p->health_ms = now;
        if (now - p->pg_ok_ms >= interval) {
                if (swi_sink_ping(p->sink) == SWI_OK) {
                        if (p->metrics.pg_down)
                                SWI_LOG_I("pg", "PostgreSQL reachable again", "%s", "");
                        pg_state(p, NULL);
                } else {
                        if (!p->metrics.pg_down)
                                SWI_LOG_W("pg", "PostgreSQL health check failed", "error=%s",
                                          swi_sink_errstr(p->sink));
                        pg_state(p, swi_sink_errstr(p->sink));
                }
        }
        if (*p->conf->registry_url && now - p->reg_ok_ms >= interval) {
                if (swi_registry_ping(p->registry) == SWI_OK) {
                        p->reg_ok_ms = now;
                        swi_metrics_set_state(&p->metrics, SWI_COMP_REGISTRY, NULL);
                } else {
                        if (!p->metrics.registry_down)
                                SWI_LOG_W("registry", "schema registry health check failed",
                                          "url=%s", swi_registry_url(p->registry));
                        swi_metrics_set_state(&p->metrics, SWI_COMP_REGISTRY,
                                              "the schema registry does not answer");
                }
        }
        swi_kafka_consumer_health(p->consumer, &h);
        if (h.up != !p->metrics.kafka_down)
                SWI_LOG_I("kafka",
                          h.up ? "a broker connection is up" : "no broker connection is up",
                          "brokers_up=%d brokers=%d", h.brokers_up, h.brokers);
        swi_metrics_set_state(&p->metrics, SWI_COMP_KAFKA,
                              h.up      ? NULL
                              : h.fatal ? "fatal Kafka client error (see the log)"
                                        : "no broker connection is up");
        swi_metrics_set_group_state(&p->metrics, h.group_state);
        p->metrics.kafka_brokers_up = h.brokers_up;
        p->metrics.kafka_commit_failures = h.commit_failures;
        p->metrics.offset_refusals = h.refusals;
        p->metrics.refused_partitions = h.refused;
}

/* Copies the consumer's per-partition lag into the metrics (once a second). */
static void lag_tick(swi_pipeline_t *p, uint64_t now)
{
        int n = swi_kafka_consumer_assignment_count(p->consumer);

        p->metrics.assigned_partitions = n;
        if (now - p->lag_ms < 1000)
                return;
        p->lag_ms = now;
        if (n > p->lags_cap) {
                swi_kafka_lag_t *l = realloc(p->lags, (size_t)n * sizeof(*l));
                swi_metrics_part_t *mp = realloc(p->mparts, (size_t)n * sizeof(*mp));
                if (l)
                        p->lags = l;
                if (mp)
                        p->mparts = mp;
                if (!l || !mp)
                        return;
                p->lags_cap = n;
        }
        n = swi_kafka_consumer_lag(p->consumer, p->lags, n);
        p->lag_total = 0;
        p->lag_seconds_max = 0;
        for (int i = 0; i < n; i++) {
                const swi_kafka_lag_t *l = &p->lags[i];
                swi_metrics_part_t *mp = &p->mparts[i];
                snprintf(mp->topic, sizeof(mp->topic), "%s", l->topic);
                mp->partition = l->partition;
                mp->committed = l->committed;
                mp->end = l->end;
                mp->lag = l->lag;
                mp->lag_seconds = l->lag_seconds;
                mp->refused = l->refused;
                mp->lost = l->lost;
                if (l->lag > 0)
                        p->lag_total += l->lag;
                if (l->lag_seconds > p->lag_seconds_max)
                        p->lag_seconds_max = l->lag_seconds;
        }
        swi_metrics_set_partitions(&p->metrics, p->mparts, n);
}

/* While catching up: a line with the rate of committed messages, the lag
 * and the time it would take at that rate; once when caught up. */
static void progress_tick(swi_pipeline_t *p, uint64_t now, bool caught_up)
{
        const uint64_t every = (uint64_t)p->conf->progress_interval_s * 1000;
        uint64_t committed = p->metrics.messages_committed;

        if (caught_up && !p->was_caught_up) {
                SWI_LOG_I("etl", "caught up",
                          "committed=%llu events=%llu duplicates=%llu batches=%llu "
                          "partitions=%d",
                          (unsigned long long)committed, (unsigned long long)p->metrics.events,
                          (unsigned long long)p->metrics.duplicates,
                          (unsigned long long)p->metrics.batches,
                          (int)p->metrics.assigned_partitions);
                p->progress_ms = now;
                p->progress_committed = committed;
        }
        p->was_caught_up = caught_up;
        if (every == 0 || caught_up)
                return;
        if (p->progress_ms == 0) {
                p->progress_ms = now;
                p->progress_committed = committed;
                return;
        }
        if (now - p->progress_ms < every)
                return;
        double secs = (double)(now - p->progress_ms) / 1000.0;
        double rate = (double)(committed - p->progress_committed) / secs;
        if (rate > 0)
                SWI_LOG_I("etl", "catching up",
                          "rate_msg_s=%.0f committed=%llu lag_messages=%lld lag_seconds=%.1f "
                          "eta_s=%.0f partitions=%d",
                          rate, (unsigned long long)committed, (long long)p->lag_total,
                          p->lag_seconds_max, (double)p->lag_total / rate,
                          (int)p->metrics.assigned_partitions);
        else
                SWI_LOG_I("etl", "catching up",
                          "rate_msg_s=0 committed=%llu lag_messages=%lld lag_seconds=%.1f "
                          "eta_s=unknown partitions=%d",
                          (unsigned long long)committed, (long long)p->lag_total,
                          p->lag_seconds_max, (int)p->metrics.assigned_partitions);
        p->progress_ms = now;
        p->progress_committed = committed;
}

/* One live round (flush: only wait for the write in flight); logs and
 * counts the round whose figures were committed. Returns the result. */
static swi_err_t publish_round(swi_pipeline_t *p, swi_live_t *l, swi_live_stats_t *st, bool flush)
{
        char err[1024] = "";
        swi_err_t rc = flush ? swi_live_flush(l, st, err, sizeof(err))
                             : swi_live_round(l, (int64_t)swi_now_ms(), st, err, sizeof(err));
        if (rc != SWI_OK) {
                SWI_LOG_E("publish", "current figures not updated", "error=\"%s\"", err);
                return rc;
        }
        if (!st->leader || !st->completed)
                return SWI_OK;
        double lag_max = 0;
        for (size_t i = 0; i < st->nlags; i++) {
                if (st->lags[i] > lag_max)
                        lag_max = st->lags[i];
                swi_metrics_observe_publish_lag(&p->metrics, st->lags[i]);
        }
        p->metrics.publications++;
        p->metrics.last_publish_ms = swi_now_ms();
        p->metrics.publish_lag_ms = (uint64_t)(lag_max * 1000.0);
        if (st->rebuild)
                SWI_LOG_I("publish", "current figures rebuilt",
                          "persons=%lld rows=%lld batches=%lld seconds=%.3f load_s=%.3f "
                          "compute_s=%.3f write_s=%.3f lag_max_s=%.3f",
                          (long long)st->persons, (long long)st->rows, (long long)st->batches,
                          st->seconds, st->seconds_load, st->seconds_compute, st->seconds_write,
                          lag_max);
        else
                SWI_LOG_D("publish", "current figures updated",
                          "batches=%lld rederived_clusters=%lld persons=%lld "
                          "rows_changed=%lld seconds=%.3f load_s=%.3f compute_s=%.3f write_s=%.3f "
                          "lag_max_s=%.3f",
                          (long long)st->batches, (long long)st->clusters,
                          (long long)st->persons, (long long)st->rows_written, st->seconds,
                          st->seconds_load, st->seconds_compute, st->seconds_write, lag_max);
        return SWI_OK;
}

static void *publisher_main(void *arg)
{
        swi_pipeline_t *p = arg;
        swi_live_t *l = swi_live_new(p->conf->pg_conninfo, p->conf->publish_rounding_base,
                                     p->conf->publish_threshold);
        /* a round also runs this often without a notification (a safety net) */
        const uint64_t fallback_ms = (uint64_t)p->conf->publish_interval_s * 1000;
        uint64_t last = 0;
        int backoff_ms = 250;
        bool want = true, was_leader = false;

        if (!l) {
                SWI_LOG_E("publish", "no live figures", "error=\"%s\"", "out of memory");
                return NULL;
        }
        /* a round reads and computes while the one before writes */
        swi_live_set_overlap(l, true);
        for (;;) {
                bool stop = atomic_load(&p->pub_stop) != 0;
                if (stop && !p->conf->exit_at_end)
                        break;
                if (want || stop) {
                        swi_live_stats_t st;
                        swi_err_t rc = publish_round(p, l, &st, false);
                        last = swi_now_ms();
                        want = false;
                        if (rc != SWI_OK) {
                                if (stop)
                                        break;
                                sleep_ms(backoff_ms);
                                backoff_ms = backoff_ms < 5000 ? backoff_ms * 2 : 5000;
                                want = true;
                                continue;
                        }
                        backoff_ms = 250;
                        if (st.leader != was_leader)
                                SWI_LOG_I("publish", "publisher role changed", "leader=%s",
                                          st.leader ? "true" : "false");
                        was_leader = st.leader;
                        if (stop) {
                                if (st.in_flight)
                                        publish_round(p, l, &st, true);
                                break;
                        }
                        if (st.leader && !st.idle)
                                want = true; /* more may have committed meanwhile */
                }
                if (swi_live_wait(l, 200))
                        want = true;
                uint64_t now = swi_now_ms();
                if (now - last >= (was_leader ? fallback_ms : 2000))
                        want = true;
        }
        swi_live_free(l);
        return NULL;
}

static swi_source_t topic_source(const swi_pipeline_t *p, const char *topic)
{
        for (int s = 0; s < SWI_SRC__CNT; s++)
                if (strcmp(p->topics[s], topic) == 0)
                        return (swi_source_t)s;
        return SWI_SRC__CNT;
}

/* The event_id of a decoded event, when it is a whole, valid UUID. */
static const char *event_id_of(const swi_event_t *ev)
{
        return ev->event_id_wire_len == 0 && swi_uuid_valid(ev->event_id) ? ev->event_id : NULL;
}

static char *dup_bytes(const void *b, size_t n)
{
        char *c = malloc(n + 1);
        if (c) {
                if (n)
                        memcpy(c, b, n);
                c[n] = '\0';
        }
        return c;
}

static void pending_free(swi_pipeline_t *p)
{
        for (size_t i = 0; i < p->npending; i++) {
                free(p->pending[i].key);
                free(p->pending[i].payload);
                free(p->pending[i].detail);
                free(p->pending[i].topic);
        }
        p->npending = 0;
}

/* A rejected message: a row in the batch now; the raw message goes to the
 * dead-letter topic at commit, once the batch knows it stays a dead letter
 * (a later copy of a stored event is a duplicate: swi_sink_settle_dead_letters). */
static swi_err_t dead_letter(swi_pipeline_t *p, const swi_kafka_msg_t *m, swi_source_t src,
                             swi_reason_t reason, const char *detail, int32_t schema_id,
                             swi_evtype_t type, const char *event_id)
{
        swi_dead_letter_t dl = {
            .reason = reason,
            .detail = detail,
            .source = src,
            .type = type,
            .schema_id = schema_id,
            .topic = m->topic,
            .partition = m->partition,
            .offset = m->offset,
            .kafka_timestamp_ms = m->timestamp_ms,
            .event_id = event_id,
        };
        pending_dl_t *d;

        if (p->npending == p->pending_cap) {
                size_t cap = p->pending_cap ? p->pending_cap * 2 : 64;
                pending_dl_t *v = realloc(p->pending, cap * sizeof(*v));
                if (!v)
                        return SWI_ERR_NOMEM;
                p->pending = v;
                p->pending_cap = cap;
        }
        d = &p->pending[p->npending];
        memset(d, 0, sizeof(*d));
        d->reason = reason;
        d->partition = m->partition;
        d->offset = m->offset;
        d->key_len = m->key ? m->key_len : 0;
        d->len = m->len;
        d->key = m->key ? dup_bytes(m->key, m->key_len) : NULL;
        d->payload = dup_bytes(m->payload, m->len);
        d->detail = dup_bytes(detail, strlen(detail));
        d->topic = dup_bytes(m->topic, strlen(m->topic));
        if ((m->key && !d->key) || !d->payload || !d->detail || !d->topic) {
                free(d->key);
                free(d->payload);
                free(d->detail);
                free(d->topic);
                return SWI_ERR_NOMEM;
        }
        swi_err_t rc = swi_sink_add_dead_letter(p->sink, &dl);
        if (rc != SWI_OK) {
                free(d->key);
                free(d->payload);
                free(d->detail);
                free(d->topic);
                return rc;
        }
        p->npending++;
        SWI_LOG_D("validate", "message rejected", "reason=%s topic=%s partition=%d offset=%lld",
                  swi_reason2str(reason), m->topic, (int)m->partition, (long long)m->offset);
        return SWI_OK;
}

/* The batch's dead letters that stay ones (settled first): counted, and
 * produced raw to the dead-letter topic and flushed, before the batch's
 * offsets can commit (at-least-once there; see docs). */
static swi_err_t publish_dead_letters(swi_pipeline_t *p)
{
        swi_err_t rc = swi_sink_settle_dead_letters(p->sink);
        size_t produced = 0;

        if (rc != SWI_OK) {
                SWI_LOG_E("pg", "dead letters not settled; batch retried", "error=\"%s\"",
                          swi_sink_errstr(p->sink));
                return rc;
        }
        for (size_t i = 0; i < p->npending; i++) {
                const pending_dl_t *d = &p->pending[i];
                char part[16], off[24];
                const char *hn[] = {"swi.reason", "swi.detail", "swi.source.topic",
                                    "swi.source.partition", "swi.source.offset"};
                const char *hv[] = {swi_reason2str(d->reason), d->detail, d->topic, part, off};
                if (!swi_sink_dead_letter_kept(p->sink, i) || !p->dlq)
                        continue;
                snprintf(part, sizeof(part), "%d", (int)d->partition);
                snprintf(off, sizeof(off), "%lld", (long long)d->offset);
                /* Whole message, raw: the topic is under Kafka's access control. */
                if (swi_kafka_produce(p->dlq, p->conf->topic_dead_letter, -1, d->key, d->key_len,
                                      d->payload, d->len, hn, hv, 5) != SWI_OK)
                        p->metrics.dlq_produce_failures++;
                produced++;
        }
        if (produced == 0)
                return SWI_OK;
        /* When stopping, only what is left of shutdown.timeout.ms. */
        int budget = p->stop ? stop_budget_ms(p) : 30000;
        rc = swi_kafka_producer_flush(p->dlq, budget);
        /* refused by the broker for its size: in the table, not the topic */
        p->metrics.dlq_produce_failures += (uint64_t)swi_kafka_producer_take_refused(p->dlq);
        if (rc != SWI_OK) {
                p->metrics.dlq_produce_failures++;
                SWI_LOG_E("dlq", "dead-letter topic flush failed; batch retried",
                          "timeout_ms=%d stopping=%s", budget, p->stop ? "true" : "false");
        }
        return rc;
}

/* Drops the open batch uncommitted and makes every assigned partition re-read
 * from the offsets stored in PostgreSQL: nothing is lost and nothing counted
 * twice, because the offsets move only with committed rows. */
static void abandon_batch(swi_pipeline_t *p)
{
        p->metrics.commit_failures++;
        pg_state(p, swi_sink_errstr(p->sink));
        swi_sink_batch_reset(p->sink);
        memset(p->batch_max_registered, 0, sizeof(p->batch_max_registered));
        pending_free(p);
        if (p->consumer)
                swi_kafka_consumer_discard(p->consumer);
        if (p->stop)
                return; /* the next owner re-reads it; no re-seek, no wait */
        sleep_interruptible(p, pg_backoff_ms(p, p->commit_failures_in_row));
        if (p->consumer)
                swi_kafka_consumer_reseek(p->consumer);
}

/* The batch's dead letters that stay ones, per reason: taken before the
 * commit, which resets the sink's batch (and with it what was kept). */
static void count_kept_dead_letters(const swi_pipeline_t *p, uint64_t *per_reason)
{
        for (size_t i = 0; i < p->npending; i++)
                if (swi_sink_dead_letter_kept(p->sink, i))
                        per_reason[p->pending[i].reason]++;
}

/* Adds a committed batch to the result counters. */
static void count_committed(swi_pipeline_t *p, const swi_batch_stats_t *st, int64_t messages,
                            const uint64_t *dead_letters)
{
        p->metrics.messages_committed += (uint64_t)messages;
        p->metrics.events += (uint64_t)st->events_inserted;
        p->metrics.duplicates += (uint64_t)st->duplicates;
        p->metrics.batches++;
        for (int r = 0; r < SWI_REASON__CNT; r++)
                p->metrics.dead_letters[r] += dead_letters[r];
}

/* After a batch committed in PostgreSQL: the consumer's committed offsets
 * move, and the same offsets go to Kafka for monitoring. A crash between the
 * two leaves Kafka behind PostgreSQL, which changes nothing: the consumer
 * always seeks to PostgreSQL's offsets (tested). */
static void offsets_committed(swi_pipeline_t *p)
{
        if (p->kill_after_commits > 0 && --p->kill_after_commits == 0) {
                SWI_LOG_W("etl", "test hook: killed between the PostgreSQL and the Kafka commit",
                          "%s", "");
                raise(SIGKILL);
        }
        swi_kafka_consumer_committed(p->consumer);
}

/* Does the batch of n messages being committed defer its trajectory step?
 * With auto: when it is full and more messages are waiting (a backlog),
 * where deriving a cluster once for many batches beats once per batch. */
static bool should_defer(swi_pipeline_t *p, int64_t n)
{
        if (!p->conf->trajectories || p->defer_mode == DEFER_OFF)
                return false;
        if (p->defer_mode == DEFER_ALWAYS)
                return true;
        return n >= p->batch_limit && !swi_kafka_consumer_caught_up(p->consumer);
}

/* Works deferred trajectory work off: one chunk (trajectories.drain.keys),
 * or with all every chunk until none is left (or a stop). Returns false when
 * work may be left (a failure: retried after a back-off). */
static bool drain_deferred(swi_pipeline_t *p, bool all)
{
        for (;;) {
                swi_drain_stats_t st;
                uint64_t t0 = swi_now_ms();
                p->metrics.heartbeat_ms = t0;
                swi_err_t rc =
                    swi_sink_drain(p->sink, (size_t)p->conf->trajectories_drain_keys, &st);
                uint64_t now = swi_now_ms();
                p->drain_check_ms = now;
                if (rc != SWI_OK) {
                        p->drain_failures++;
                        p->drain_retry_ms = now + (uint64_t)pg_backoff_ms(p, p->drain_failures);
                        SWI_LOG_E("trajectory", "deferred trajectories not worked off; retrying",
                                  "error=\"%s\"", swi_sink_errstr(p->sink));
                        pg_state(p, swi_sink_errstr(p->sink));
                        return false;
                }
                p->drain_failures = 0;
                pg_state(p, NULL);
                if (st.seeds == 0) {
                        if (p->drain_wanted || p->deferring_since_ms)
                                SWI_LOG_I("trajectory", "deferred trajectories worked off",
                                          "%s", "pending_keys=0");
                        p->metrics.traj_pending_keys = 0;
                        p->drain_wanted = false;
                        p->deferring_since_ms = 0;
                        return true;
                }
                p->metrics.traj_drained_keys += (uint64_t)st.keys;
                int64_t left = -1;
                if (swi_sink_pending_keys(p->sink, &left) == SWI_OK)
                        p->metrics.traj_pending_keys = left;
                SWI_LOG_I("trajectory", "deferred trajectories derived",
                          "keys=%lld clusters=%lld events_loaded=%lld versions=%lld ms=%llu "
                          "pending_keys=%lld",
                          (long long)st.keys, (long long)st.clusters, (long long)st.events_loaded,
                          (long long)st.versions_written, (unsigned long long)(now - t0),
                          (long long)left);
                if (!all || p->stop)
                        return false;
        }
}

/* Commits the open batch; on failure it is abandoned (abandon_batch). */
static swi_err_t commit_batch(swi_pipeline_t *p)
{
        swi_batch_stats_t st = {0};
        uint64_t dead_letters[SWI_REASON__CNT] = {0};
        uint64_t t0 = swi_now_ms();
        swi_err_t rc;

        int64_t messages = swi_sink_batch_count(p->sink);

        if (messages == 0)
                return SWI_OK;
        rc = publish_dead_letters(p);
        if (rc != SWI_OK)
                goto failed;
        count_kept_dead_letters(p, dead_letters);
        swi_sink_defer_next(p->sink, should_defer(p, messages));
        rc = swi_sink_commit(p->sink, &st);
        if (rc != SWI_OK) {
                SWI_LOG_E("pg", "batch commit failed; re-reading from stored offsets",
                          "error=\"%s\"", swi_sink_errstr(p->sink));
                goto failed;
        }
        pg_state(p, NULL);
        offsets_committed(p);
        p->commit_failures_in_row = 0;
        if (p->batch_limit < p->conf->batch_size) {
                p->batch_limit *= 2;
                if (p->batch_limit > p->conf->batch_size)
                        p->batch_limit = p->conf->batch_size;
        }
        count_committed(p, &st, messages, dead_letters);
        uint64_t now = swi_now_ms();
        int64_t deferred = swi_sink_deferred_keys(p->sink);
        if (deferred > 0) {
                p->metrics.traj_deferred_keys += (uint64_t)deferred;
                p->drain_wanted = true;
                if (p->deferring_since_ms == 0)
                        p->deferring_since_ms = now;
        }
        p->metrics.last_commit_ms = now;
        p->metrics.last_commit_duration_us = (now - t0) * 1000;
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                if (p->batch_max_registered[s] > 0) {
                        if ((uint64_t)p->batch_max_registered[s] >
                            p->metrics.source_max_registered_ms[s])
                                p->metrics.source_max_registered_ms[s] =
                                    (uint64_t)p->batch_max_registered[s];
                        p->metrics.source_last_commit_ms[s] = now;
                }
        }
        SWI_LOG_D("pg", "batch committed", "events=%lld duplicates=%lld dead_letters=%lld ms=%llu",
                  (long long)st.events_inserted, (long long)st.duplicates,
                  (long long)st.dead_letters, (unsigned long long)(now - t0));
        goto reset;
failed:
        p->commit_failures_in_row++;
        {
                int64_t n = swi_sink_batch_count(p->sink);
                if (n > 1 && p->batch_limit > n / 2)
                        p->batch_limit = n / 2;
                SWI_LOG_W("etl", "batch size lowered after a failed commit",
                          "batch_limit=%lld failures_in_row=%d", (long long)p->batch_limit,
                          p->commit_failures_in_row);
        }
        abandon_batch(p);
        return rc;
reset:
        swi_sink_batch_reset(p->sink);
        memset(p->batch_max_registered, 0, sizeof(p->batch_max_registered));
        pending_free(p);
        return SWI_OK;
}

static swi_err_t on_assign(void *opaque, int n, const char *const *topics,
                           const int32_t *partitions, int64_t *offsets)
{
        swi_pipeline_t *p = opaque;

        p->metrics.heartbeat_ms = swi_now_ms();
        if (p->stop)
                return SWI_ERR_STOPPED; /* shutting down: do not wait for PostgreSQL */
        for (int i = 0; i < n; i++) {
                swi_err_t rc = swi_sink_load_offset(p->sink, topics[i], partitions[i], &offsets[i]);
                if (rc != SWI_OK) {
                        SWI_LOG_E("pg", "cannot load stored offsets",
                                  "topic=%s partition=%d error=\"%s\"", topics[i], partitions[i],
                                  swi_sink_errstr(p->sink));
                        pg_state(p, swi_sink_errstr(p->sink));
                        return rc;
                }
        }
        pg_state(p, NULL);
        SWI_LOG_I("kafka", "partitions assigned", "count=%d", n);
        return SWI_OK;
}

static void on_revoke(void *opaque, int n, const char *const *topics, const int32_t *partitions)
{
        swi_pipeline_t *p = opaque;
        /* Commit what was read so far; if that fails the new owner re-reads it. */
        commit_batch(p);
        SWI_LOG_I("kafka", "partitions revoked", "count=%d", n);
}

/* Judges one message by itself alone (events.md: references are judged where
 * the target is, by the trajectory step, never here) and adds it to the batch
 * as an event or a dead letter. Returns SWI_ERR_REGISTRY_DOWN when the
 * message could not be judged yet. */
static swi_err_t process(swi_pipeline_t *p, const swi_kafka_msg_t *m)
{
        char detail[512] = "";
        int32_t schema_id = -1;
        const uint8_t *body = NULL;
        size_t body_len = 0;
        swi_event_t ev;
        swi_reason_t reason;
        swi_source_t src = topic_source(p, m->topic);
        swi_err_t rc;

        reason = swi_wire_unframe(m->payload, m->len, &schema_id, &body, &body_len, detail,
                                  sizeof(detail));
        if (reason != SWI_REASON_NONE)
                return dead_letter(p, m, src, reason, detail, -1, SWI_EV_NONE, NULL);
        rc = swi_decode(p->decoder, src, schema_id, body, body_len, &ev, &reason, detail,
                        sizeof(detail));
        if (rc == SWI_ERR_REGISTRY_DOWN)
                return rc;
        if (rc != SWI_OK)
                return rc;
        if (reason != SWI_REASON_NONE)
                return dead_letter(p, m, src, reason, detail, schema_id,
                                   reason == SWI_REASON_UNKNOWN_SCHEMA ? SWI_EV_NONE : ev.type,
                                   NULL);
        reason = swi_validate_event(&ev, &p->vconf, detail, sizeof(detail));
        /* From here on raw identifiers are gone, whatever the verdict. */
        rc = swi_pseudonym_apply(p->pseudonym, &ev);
        if (rc != SWI_OK)
                return rc;
        if (reason != SWI_REASON_NONE)
                return dead_letter(p, m, src, reason, detail, schema_id, ev.type, event_id_of(&ev));
        if (ev.registered_at > p->batch_max_registered[src])
                p->batch_max_registered[src] = ev.registered_at;
        rc = swi_sink_add_event(p->sink, &ev, m->topic, m->partition, m->offset);
        if (rc == SWI_ERR_INVALID_ARG) {
                /* Something PostgreSQL could not store (invalid UTF-8, a date
                 * outside its range): bad data, so a dead letter, not a stop. */
                snprintf(detail, sizeof(detail), "not storable: %s", swi_sink_errstr(p->sink));
                return dead_letter(p, m, src, SWI_REASON_INVALID_VALUE, detail, schema_id, ev.type,
                                   event_id_of(&ev));
        }
        return rc;
}

swi_pipeline_t *swi_pipeline_new(const swi_conf_t *conf, char *errstr, size_t errstr_size)
{
        swi_pipeline_t *p = calloc(1, sizeof(*p));
        const char *kill;

        if (!p) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        p->conf = conf;
        swi_metrics_init(&p->metrics);
        p->metrics.liveness_timeout_ms = (uint64_t)conf->liveness_timeout_s * 1000;
        p->metrics.registry_http = *conf->registry_url ? 1 : 0;
        p->vconf.date_tolerance_days = (int)conf->date_tolerance_days;
        for (int s = 0; s < SWI_SRC__CNT; s++)
                p->topics[s] = conf->topic[s];
        kill = getenv("SWI_FAULT_KILL_BEFORE_KAFKA_COMMIT");
        p->kill_after_commits = kill ? strtol(kill, NULL, 10) : 0;
        p->defer_mode = strcmp(conf->trajectories_defer, "off") == 0      ? DEFER_OFF
                        : strcmp(conf->trajectories_defer, "always") == 0 ? DEFER_ALWAYS
                                                                           : DEFER_AUTO;
        p->drain_wanted = true; /* work a previous run left, if any */

        /* Local files only: what is wrong here is a configuration error and
         * fails at once. Nothing is contacted before swi_pipeline_run. */
        p->pseudonym = swi_pseudonym_new_from(conf->pseudonym_key_file, errstr, errstr_size);
        if (!p->pseudonym)
                goto fail;
        if (*conf->registry_url) {
                p->registry = swi_registry_new_http(conf->registry_url, conf->registry_retry_max_ms,
                                                    errstr, errstr_size);
                if (p->registry &&
                    (swi_registry_set_auth(p->registry, conf->registry_user_info) != SWI_OK ||
                     swi_registry_set_tls(p->registry, conf->registry_ca, conf->registry_cert,
                                          conf->registry_key,
                                          conf->registry_key_password) != SWI_OK)) {
                        snprintf(errstr, errstr_size,
                                 "schema.registry.basic.auth.user.info must be USER:PASSWORD");
                        goto fail;
                }
        } else {
                p->registry = swi_registry_new_local(conf->schema_dir, errstr, errstr_size);
        }
        if (!p->registry)
                goto fail;
        p->decoder = swi_decoder_new(p->registry, conf->schema_dir, errstr, errstr_size);
        if (!p->decoder)
                goto fail;
        return p;
fail:
        swi_pipeline_destroy(p);
        return NULL;
}

/* PostgreSQL (with retries), then the Kafka clients (which connect in the
 * background). */
static swi_err_t pipeline_connect(swi_pipeline_t *p)
{
        const swi_conf_t *conf = p->conf;
        const char *keys[SWI_CONF_MAX_PASSTHROUGH], *vals[SWI_CONF_MAX_PASSTHROUGH];
        char errstr[1024];
        swi_err_t rc;

        for (int i = 0; i < conf->n_kafka; i++) {
                keys[i] = conf->kafka_keys[i];
                vals[i] = conf->kafka_vals[i];
        }
        rc = connect_postgres(p, errstr, sizeof(errstr));
        if (rc != SWI_OK) {
                if (rc != SWI_ERR_STOPPED)
                        SWI_LOG_E("etl", "start-up failed", "error=%s", errstr);
                return rc;
        }
        if (conf->dlq_topic_enabled) {
                p->dlq = swi_kafka_producer_new(keys, vals, conf->n_kafka, errstr, sizeof(errstr));
                if (!p->dlq)
                        goto fail;
        }
        p->consumer =
            swi_kafka_consumer_new(keys, vals, conf->n_kafka, conf->group_id, p->topics,
                                   SWI_SRC__CNT, on_assign, on_revoke, p, errstr, sizeof(errstr));
        if (!p->consumer)
                goto fail;
        swi_kafka_consumer_mirror_offsets(p->consumer, conf->kafka_commit);
        return SWI_OK;
fail:
        SWI_LOG_E("etl", "start-up failed", "error=%s", errstr);
        return SWI_ERR_CONFIG;
}

swi_err_t swi_pipeline_run(swi_pipeline_t *p)
{
        p->batch_limit = p->conf->batch_size;
        const uint64_t latency = (uint64_t)p->conf->batch_latency_ms;
        int registry_backoff = 100;
        swi_err_t rc = SWI_OK;

        rc = pipeline_connect(p);
        if (rc != SWI_OK)
                return rc == SWI_ERR_STOPPED ? SWI_OK : rc;
        if (p->conf->publish_interval_s > 0 && p->conf->trajectories) {
                atomic_store(&p->pub_stop, 0);
                if (pthread_create(&p->publisher, NULL, publisher_main, p) == 0)
                        p->publisher_started = true;
        }
        p->metrics.phase = SWI_PHASE_RUNNING;
        SWI_LOG_I("etl", "running", "group=%s batch_size=%lld latency_ms=%llu exit_at_end=%s",
                  p->conf->group_id, (long long)p->batch_limit, (unsigned long long)latency,
                  p->conf->exit_at_end ? "true" : "false");
        while (!p->stop) {
                swi_kafka_msg_t m;
                int got = 0;
                int64_t pending = swi_sink_batch_count(p->sink);
                uint64_t now = swi_now_ms();
                int timeout = 100;

                p->metrics.heartbeat_ms = now;
                if (pending > 0) {
                        uint64_t age = now - p->batch_started_ms;
                        timeout = age >= latency ? 0 : (int)(latency - age);
                        if (timeout > 100)
                                timeout = 100;
                }
                rc = swi_kafka_consumer_poll(p->consumer, timeout, &m, &got);
                if (rc != SWI_OK)
                        break;
                if (got) {
                        if (swi_sink_batch_count(p->sink) == 0)
                                p->batch_started_ms = swi_now_ms();
                        p->metrics.messages_consumed++;
                        rc = process(p, &m);
                        if (rc == SWI_ERR_REGISTRY_DOWN) {
                                /* An outage is not bad data: commit what came before,
                                 * rewind to this message and try again later. */
                                swi_kafka_msg_release(&m);
                                p->metrics.registry_outages++;
                                if (!p->metrics.registry_down)
                                        SWI_LOG_W("registry",
                                                  "schema registry unreachable; retrying",
                                                  "backoff_ms=%d", registry_backoff);
                                swi_metrics_set_state(
                                    &p->metrics, SWI_COMP_REGISTRY,
                                    "a schema lookup found the registry unreachable");
                                commit_batch(p);
                                swi_kafka_consumer_reseek(p->consumer);
                                sleep_interruptible(p, registry_backoff);
                                if (registry_backoff < 5000)
                                        registry_backoff *= 2;
                                continue;
                        }
                        if (p->metrics.registry_down) {
                                SWI_LOG_I("registry", "schema registry reachable again", "%s", "");
                                swi_metrics_set_state(&p->metrics, SWI_COMP_REGISTRY, NULL);
                        }
                        registry_backoff = 100;
                        if (rc == SWI_OK)
                                rc = swi_sink_add_offset(p->sink, m.topic, m.partition,
                                                         m.offset + 1);
                        if (rc == SWI_OK)
                                swi_kafka_consumer_stage(p->consumer, &m);
                        swi_kafka_msg_release(&m);
                        if (rc != SWI_OK) {
                                SWI_LOG_E("etl", "message processing failed", "error=\"%s\"",
                                          swi_err2str(rc));
                                break;
                        }
                }
                pending = swi_sink_batch_count(p->sink);
                bool caught_up = swi_kafka_consumer_caught_up(p->consumer);
                p->metrics.caught_up = caught_up;
                if (pending >= p->batch_limit ||
                    (pending > 0 && (swi_now_ms() - p->batch_started_ms >= latency || caught_up)))
                        commit_batch(p);
                now = swi_now_ms();
                lag_tick(p, now);
                health_tick(p, now);
                progress_tick(p, now, caught_up && swi_sink_batch_count(p->sink) == 0);
                if (p->conf->exit_at_end && p->metrics.refused_partitions > 0) {
                        SWI_LOG_E("etl",
                                  "not caught up: partitions refused (stored offsets beyond "
                                  "the end)",
                                  "refused=%d", (int)p->metrics.refused_partitions);
                        rc = SWI_ERR_KAFKA;
                        break;
                }
                bool idle = caught_up && swi_sink_batch_count(p->sink) == 0;
                if (p->conf->trajectories && now >= p->drain_retry_ms) {
                        bool overdue = p->deferring_since_ms > 0 &&
                                       now - p->deferring_since_ms >=
                                           (uint64_t)p->conf->trajectories_defer_max_s * 1000;
                        /* idle: a chunk per turn, so new messages wait at most
                         * one chunk; others' leftovers are looked for now and then */
                        if (overdue || (p->conf->exit_at_end && idle))
                                drain_deferred(p, true);
                        else if (idle && (p->drain_wanted || now - p->drain_check_ms >= 30000))
                                drain_deferred(p, false);
                }
                if (p->conf->exit_at_end && idle && (!p->conf->trajectories || !p->drain_wanted))
                        break;
        }
        p->metrics.phase = SWI_PHASE_STOPPING;
        if (p->stop)
                SWI_LOG_I("etl", "stopping", "timeout_ms=%d", stop_budget_ms(p));
        if (rc == SWI_OK)
                rc = commit_batch(p);
        if (p->publisher_started) {
                /* Stop the publisher; with exit.at.end it first takes in what
                 * this run committed, so the figures match the final state. */
                atomic_store(&p->pub_stop, 1);
                pthread_join(p->publisher, NULL);
                p->publisher_started = false;
        }
        uint64_t dl = 0;
        for (int r = 1; r < SWI_REASON__CNT; r++)
                dl += p->metrics.dead_letters[r];
        SWI_LOG_I("etl", "stopped",
                  "consumed=%llu committed=%llu events=%llu duplicates=%llu dead_letters=%llu "
                  "batches=%llu commit_failures=%llu",
                  (unsigned long long)p->metrics.messages_consumed,
                  (unsigned long long)p->metrics.messages_committed,
                  (unsigned long long)p->metrics.events, (unsigned long long)p->metrics.duplicates,
                  (unsigned long long)dl, (unsigned long long)p->metrics.batches,
                  (unsigned long long)p->metrics.commit_failures);
        return rc;
}

void swi_pipeline_stop(swi_pipeline_t *p)
{
        p->stop = 1;
}

swi_metrics_t *swi_pipeline_metrics(swi_pipeline_t *p)
{
        return &p->metrics;
}

void swi_pipeline_destroy(swi_pipeline_t *p)
{
        if (!p)
                return;
        /* The consumer leaves the group first (its revoke callback commits),
         * then the dead letters are flushed: both within what is left of
         * shutdown.timeout.ms once a stop was seen. */
        swi_kafka_consumer_close(p->consumer, stop_budget_ms(p));
        swi_kafka_producer_close(p->dlq, stop_budget_ms(p));
        swi_sink_close(p->sink);
        pending_free(p);
        free(p->pending);
        swi_decoder_destroy(p->decoder);
        swi_registry_destroy(p->registry);
        swi_pseudonym_destroy(p->pseudonym);
        free(p->lags);
        free(p->mparts);
        swi_metrics_fini(&p->metrics);
        free(p);
}
