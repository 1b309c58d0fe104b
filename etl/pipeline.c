#include "pipeline.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "ingest/decoder.h"
#include "ingest/kafka.h"
#include "ingest/schema_registry.h"
#include "ingest/wire_format.h"
#include "sinks/pg_live.h"
#include "sinks/pg_sink.h"
#include "transform/pseudonym.h"
#include "transform/validate.h"

struct swi_pipeline_s {
        const swi_conf_t *conf;
        swi_registry_t *registry;
        swi_decoder_t *decoder;
        swi_pseudonym_t *pseudonym;
        swi_validate_conf_t vconf;
        swi_pg_sink_t *sink;
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
        int batch_dead_letters;
        /* newest registered_at per source in the open batch, for freshness */
        int64_t batch_max_registered[SWI_SRC__CNT];
        swi_metrics_t metrics;

        /* Publisher thread: keeps 'actueel' up to date batch by batch
         * (sinks/pg_live.h), woken by the batches' notifications. It has its
         * own connection and snapshot; the consume loop never waits for it. */
        pthread_t publisher;
        bool publisher_started;
        atomic_int pub_stop;
};

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
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
                          "batches=%lld handed=%lld rederived_clusters=%lld persons=%lld "
                          "rows_changed=%lld seconds=%.3f load_s=%.3f compute_s=%.3f write_s=%.3f "
                          "lag_max_s=%.3f",
                          (long long)st->batches, (long long)st->handed, (long long)st->clusters,
                          (long long)st->persons,
                          (long long)st->rows_written, st->seconds, st->seconds_load,
                          st->seconds_compute, st->seconds_write, lag_max);
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

/* Drops the open batch uncommitted and makes every assigned partition re-read
 * from the offsets stored in PostgreSQL: nothing is lost and nothing counted
 * twice, because the offsets move only with committed rows. */
static void abandon_batch(swi_pipeline_t *p)
{
        p->metrics.commit_failures++;
        p->metrics.pg_down = 1;
        swi_pg_sink_batch_reset(p->sink);
        memset(p->batch_max_registered, 0, sizeof(p->batch_max_registered));
        p->batch_dead_letters = 0;
        sleep_ms(500);
        if (p->consumer)
                swi_kafka_consumer_reseek(p->consumer);
}

/* Commits the open batch; on failure it is abandoned (abandon_batch). */
static swi_err_t commit_batch(swi_pipeline_t *p)
{
        swi_batch_stats_t st = {0};
        uint64_t t0 = swi_now_ms();
        swi_err_t rc;

        if (swi_pg_sink_batch_count(p->sink) == 0)
                return SWI_OK;
        if (p->dlq && p->batch_dead_letters > 0) {
                /* The raw message must be in the dead-letter topic before its
                 * offset is committed (at-least-once there; see docs). */
                rc = swi_kafka_producer_flush(p->dlq, 30000);
                /* refused by the broker for its size: in the table, not the topic */
                p->metrics.dlq_produce_failures +=
                    (uint64_t)swi_kafka_producer_take_refused(p->dlq);
                if (rc != SWI_OK) {
                        p->metrics.dlq_produce_failures++;
                        SWI_LOG_E("dlq", "dead-letter topic flush failed; batch retried", "%s",
                                  "");
                        goto failed;
                }
        }
        rc = swi_pg_sink_commit(p->sink, &st);
        if (rc != SWI_OK) {
                SWI_LOG_E("pg", "batch commit failed; re-reading from stored offsets",
                          "error=\"%s\"", swi_pg_sink_errstr(p->sink));
                goto failed;
        }
        p->metrics.pg_down = 0;
        p->commit_failures_in_row = 0;
        if (p->batch_limit < p->conf->batch_size) {
                p->batch_limit *= 2;
                if (p->batch_limit > p->conf->batch_size)
                        p->batch_limit = p->conf->batch_size;
        }
        p->metrics.events += (uint64_t)st.events_inserted;
        p->metrics.duplicates += (uint64_t)st.duplicates;
        p->metrics.batches++;
        uint64_t now = swi_now_ms();
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
                int64_t n = swi_pg_sink_batch_count(p->sink);
                if (n > 1 && p->batch_limit > n / 2)
                        p->batch_limit = n / 2;
                SWI_LOG_W("etl", "batch size lowered after a failed commit",
                          "batch_limit=%lld failures_in_row=%d", (long long)p->batch_limit,
                          p->commit_failures_in_row);
        }
        abandon_batch(p);
        return rc;
reset:
        swi_pg_sink_batch_reset(p->sink);
        memset(p->batch_max_registered, 0, sizeof(p->batch_max_registered));
        p->batch_dead_letters = 0;
        return SWI_OK;
}

static swi_err_t on_assign(void *opaque, int n, const char *const *topics,
                           const int32_t *partitions, int64_t *offsets)
{
        swi_pipeline_t *p = opaque;
        for (int i = 0; i < n; i++) {
                swi_err_t rc = swi_pg_sink_load_offset(p->sink, topics[i], partitions[i],
                                                       &offsets[i]);
                if (rc != SWI_OK) {
                        SWI_LOG_E("pg", "cannot load stored offsets", "topic=%s partition=%d error=\"%s\"",
                                  topics[i], partitions[i], swi_pg_sink_errstr(p->sink));
                        p->metrics.pg_down = 1;
                        return rc;
                }
        }
        p->metrics.assigned_partitions += n;
        SWI_LOG_I("kafka", "partitions assigned", "count=%d", n);
        return SWI_OK;
}

static void on_revoke(void *opaque, int n, const char *const *topics, const int32_t *partitions)
{
        swi_pipeline_t *p = opaque;
        /* Commit what was read so far; if that fails the new owner re-reads it. */
        commit_batch(p);
        p->metrics.assigned_partitions -= n;
        SWI_LOG_I("kafka", "partitions revoked", "count=%d", n);
}

static swi_err_t dead_letter(swi_pipeline_t *p, const swi_kafka_msg_t *m, swi_source_t src,
                             swi_reason_t reason, const char *detail, int32_t schema_id,
                             swi_evtype_t type)
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
        };
        char part[16], off[24];
        const char *hn[] = {"swi.reason", "swi.detail", "swi.source.topic", "swi.source.partition",
                            "swi.source.offset"};
        const char *hv[] = {swi_reason2str(reason), detail, m->topic, part, off};

        snprintf(part, sizeof(part), "%d", (int)m->partition);
        snprintf(off, sizeof(off), "%lld", (long long)m->offset);
        p->metrics.dead_letters[reason]++;
        SWI_LOG_D("validate", "message rejected", "reason=%s topic=%s partition=%d offset=%lld",
                  swi_reason2str(reason), m->topic, (int)m->partition, (long long)m->offset);
        if (p->dlq) {
                /* Whole message, raw: the topic is under Kafka's access control. */
                swi_err_t rc = swi_kafka_produce(p->dlq, p->conf->topic_dead_letter, -1, m->key,
                                                 m->key_len, m->payload, m->len, hn, hv, 5);
                if (rc != SWI_OK)
                        p->metrics.dlq_produce_failures++;
                p->batch_dead_letters++;
        }
        return swi_pg_sink_add_dead_letter(p->sink, &dl);
}

/* The stateful INVALID_VALUE checks of events.md: a correction must have its
 * target's event type and exactly its bsn and v_nummer (same presence, same
 * pseudonym), and an Intrekking can be neither corrected nor retracted. Only a
 * target that is already an event (committed, or earlier in the open batch)
 * can be judged; one not (yet) seen leaves the event pending, which is not bad
 * input (indicators.md §1; the trajectory stage ignores a pending one that
 * turns out not to match). Details name the defect, never a value.
 * Returns SWI_ERR_PG when the lookup failed: then the message is not judged. */
static swi_err_t check_target(swi_pipeline_t *p, const swi_event_t *ev, swi_reason_t *reason,
                              char *detail, size_t detail_size)
{
        swi_pg_target_t t;
        const char *ref = NULL;
        swi_err_t rc;

        *reason = SWI_REASON_NONE;
        if (ev->has_corrects)
                ref = ev->corrects;
        else if (swi_evtype_is_intrekking(ev->type) && ev->has_retracts)
                ref = ev->retracts;
        if (!ref)
                return SWI_OK;
        rc = swi_pg_sink_lookup_target(p->sink, ev->source, ref, &t);
        if (rc != SWI_OK || !t.found)
                return rc;
        *reason = SWI_REASON_INVALID_VALUE;
        if (!ev->has_corrects) {
                if (t.is_intrekking)
                        snprintf(detail, detail_size, "an Intrekking cannot be retracted");
                else
                        *reason = SWI_REASON_NONE;
        } else if (t.is_intrekking) {
                snprintf(detail, detail_size, "an Intrekking cannot be corrected");
        } else if (t.type != ev->type) {
                snprintf(detail, detail_size,
                         "correction of an event of another type (%s corrects %s)",
                         swi_evtype_name(ev->type), swi_evtype_name(t.type));
        } else if (t.has_bsn_ps != ev->has_bsn_ps) {
                snprintf(detail, detail_size, "correction %s",
                         ev->has_bsn_ps ? "with a bsn where its target has none"
                                        : "without the bsn its target has");
        } else if (t.has_bsn_ps && memcmp(t.bsn_ps, ev->bsn_ps, SWI_PSEUDO_LEN) != 0) {
                snprintf(detail, detail_size, "correction whose bsn differs from its target's");
        } else if (t.has_vnr_ps != ev->has_vnr_ps) {
                snprintf(detail, detail_size, "correction %s",
                         ev->has_vnr_ps ? "with a v_nummer where its target has none"
                                        : "without the v_nummer its target has");
        } else if (t.has_vnr_ps && memcmp(t.vnr_ps, ev->vnr_ps, SWI_PSEUDO_LEN) != 0) {
                snprintf(detail, detail_size,
                         "correction whose v_nummer differs from its target's");
        } else {
                *reason = SWI_REASON_NONE;
        }
        return SWI_OK;
}

/* Returns SWI_ERR_REGISTRY_DOWN when the message could not be judged yet, and
 * SWI_ERR_PG when its correction/retraction target could not be looked up. */
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
                return dead_letter(p, m, src, reason, detail, -1, SWI_EV_NONE);
        rc = swi_decode(p->decoder, src, schema_id, body, body_len, &ev, &reason, detail,
                        sizeof(detail));
        if (rc == SWI_ERR_REGISTRY_DOWN)
                return rc;
        if (rc != SWI_OK)
                return rc;
        if (reason != SWI_REASON_NONE)
                return dead_letter(p, m, src, reason, detail, schema_id,
                                   reason == SWI_REASON_UNKNOWN_SCHEMA ? SWI_EV_NONE : ev.type);
        reason = swi_validate_event(&ev, &p->vconf, detail, sizeof(detail));
        /* From here on raw identifiers are gone, whatever the verdict. */
        rc = swi_pseudonym_apply(p->pseudonym, &ev);
        if (rc != SWI_OK)
                return rc;
        if (reason != SWI_REASON_NONE)
                return dead_letter(p, m, src, reason, detail, schema_id, ev.type);
        rc = check_target(p, &ev, &reason, detail, sizeof(detail));
        if (rc != SWI_OK)
                return rc;
        if (reason != SWI_REASON_NONE)
                return dead_letter(p, m, src, reason, detail, schema_id, ev.type);
        if (ev.registered_at > p->batch_max_registered[src])
                p->batch_max_registered[src] = ev.registered_at;
        rc = swi_pg_sink_add_event(p->sink, &ev, m->topic, m->partition, m->offset);
        if (rc == SWI_ERR_INVALID_ARG) {
                /* Something PostgreSQL could not store (invalid UTF-8, a date
                 * outside its range): bad data, so a dead letter, not a stop. */
                snprintf(detail, sizeof(detail), "not storable: %s", swi_pg_sink_errstr(p->sink));
                return dead_letter(p, m, src, SWI_REASON_INVALID_VALUE, detail, schema_id, ev.type);
        }
        return rc;
}

swi_pipeline_t *swi_pipeline_new(const swi_conf_t *conf, char *errstr, size_t errstr_size)
{
        swi_pipeline_t *p = calloc(1, sizeof(*p));
        const char *keys[SWI_CONF_MAX_PASSTHROUGH], *vals[SWI_CONF_MAX_PASSTHROUGH];
        swi_err_t rc;

        if (!p) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        p->conf = conf;
        p->metrics.started_ms = swi_now_ms();
        p->vconf.date_tolerance_days = (int)conf->date_tolerance_days;
        p->topics[SWI_SRC_IND] = conf->topic_ind;
        p->topics[SWI_SRC_COA] = conf->topic_coa;
        p->topics[SWI_SRC_DUO] = conf->topic_duo;
        p->topics[SWI_SRC_GEMEENTE] = conf->topic_gemeente;
        for (int i = 0; i < conf->n_kafka; i++) {
                keys[i] = conf->kafka_keys[i];
                vals[i] = conf->kafka_vals[i];
        }

        p->pseudonym = swi_pseudonym_new_from(conf->pseudonym_key_file, errstr, errstr_size);
        if (!p->pseudonym)
                goto fail;
        if (*conf->registry_url)
                p->registry = swi_registry_new_http(conf->registry_url,
                                                    conf->registry_retry_max_ms, errstr,
                                                    errstr_size);
        else
                p->registry = swi_registry_new_local(conf->schema_dir, errstr, errstr_size);
        if (!p->registry)
                goto fail;
        p->decoder = swi_decoder_new(p->registry, conf->schema_dir, errstr, errstr_size);
        if (!p->decoder)
                goto fail;
        p->sink = swi_pg_sink_new(conf->pg_conninfo, conf->group_id, errstr, errstr_size);
        if (!p->sink)
                goto fail;
        swi_pg_sink_set_trajectories(p->sink, conf->trajectories);
        rc = swi_pg_sink_migrate(p->sink);
        if (rc != SWI_OK) {
                snprintf(errstr, errstr_size, "migrations failed: %s",
                         swi_pg_sink_errstr(p->sink));
                goto fail;
        }
        if (conf->dlq_topic_enabled) {
                p->dlq = swi_kafka_producer_new(keys, vals, conf->n_kafka, errstr, errstr_size);
                if (!p->dlq)
                        goto fail;
        }
        p->consumer = swi_kafka_consumer_new(keys, vals, conf->n_kafka, conf->group_id,
                                             p->topics, SWI_SRC__CNT, on_assign, on_revoke, p,
                                             errstr, errstr_size);
        if (!p->consumer)
                goto fail;
        return p;
fail:
        swi_pipeline_destroy(p);
        return NULL;
}

swi_err_t swi_pipeline_run(swi_pipeline_t *p)
{
        p->batch_limit = p->conf->batch_size;
        const uint64_t latency = (uint64_t)p->conf->batch_latency_ms;
        int registry_backoff = 100;
        uint64_t last_progress_log = swi_now_ms();
        swi_err_t rc = SWI_OK;

        if (p->conf->publish_interval_s > 0 && p->conf->trajectories) {
                atomic_store(&p->pub_stop, 0);
                if (pthread_create(&p->publisher, NULL, publisher_main, p) == 0)
                        p->publisher_started = true;
        }
        SWI_LOG_I("etl", "running", "group=%s batch_size=%lld latency_ms=%llu exit_at_end=%s",
                  p->conf->group_id, (long long)p->batch_limit, (unsigned long long)latency,
                  p->conf->exit_at_end ? "true" : "false");
        while (!p->stop) {
                swi_kafka_msg_t m;
                int got = 0;
                int64_t pending = swi_pg_sink_batch_count(p->sink);
                uint64_t now = swi_now_ms();
                int timeout = 100;

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
                        if (swi_pg_sink_batch_count(p->sink) == 0)
                                p->batch_started_ms = swi_now_ms();
                        p->metrics.messages++;
                        rc = process(p, &m);
                        if (rc == SWI_ERR_REGISTRY_DOWN) {
                                /* An outage is not bad data: commit what came before,
                                 * rewind to this message and try again later. */
                                swi_kafka_msg_release(&m);
                                p->metrics.registry_outages++;
                                if (!p->metrics.registry_down)
                                        SWI_LOG_W("registry", "schema registry unreachable; retrying",
                                                  "backoff_ms=%d", registry_backoff);
                                p->metrics.registry_down = 1;
                                commit_batch(p);
                                swi_kafka_consumer_reseek(p->consumer);
                                sleep_ms(registry_backoff);
                                if (registry_backoff < 5000)
                                        registry_backoff *= 2;
                                continue;
                        }
                        if (p->metrics.registry_down)
                                SWI_LOG_I("registry", "schema registry reachable again", "%s", "");
                        p->metrics.registry_down = 0;
                        registry_backoff = 100;
                        if (rc == SWI_ERR_PG) {
                                /* A target lookup failed, so this message cannot be
                                 * judged: as after a failed commit, nothing of the
                                 * batch is committed and all of it is re-read. */
                                SWI_LOG_E("pg", "target lookup failed; batch dropped, "
                                          "re-reading from stored offsets",
                                          "error=\"%s\"", swi_pg_sink_errstr(p->sink));
                                swi_kafka_msg_release(&m);
                                abandon_batch(p);
                                rc = SWI_OK;
                                continue;
                        }
                        if (rc == SWI_OK)
                                rc = swi_pg_sink_add_offset(p->sink, m.topic, m.partition,
                                                            m.offset + 1);
                        swi_kafka_msg_release(&m);
                        if (rc != SWI_OK) {
                                SWI_LOG_E("etl", "message processing failed", "error=\"%s\"",
                                          swi_err2str(rc));
                                break;
                        }
                }
                pending = swi_pg_sink_batch_count(p->sink);
                bool caught_up = swi_kafka_consumer_caught_up(p->consumer);
                p->metrics.caught_up = caught_up;
                if (pending >= p->batch_limit ||
                    (pending > 0 && (swi_now_ms() - p->batch_started_ms >= latency || caught_up)))
                        commit_batch(p);
                if (swi_now_ms() - last_progress_log >= 10000) {
                        last_progress_log = swi_now_ms();
                        SWI_LOG_I("etl", "progress", "messages=%llu events=%llu duplicates=%llu batches=%llu",
                                  (unsigned long long)p->metrics.messages,
                                  (unsigned long long)p->metrics.events,
                                  (unsigned long long)p->metrics.duplicates,
                                  (unsigned long long)p->metrics.batches);
                }
                if (p->conf->exit_at_end && caught_up && swi_pg_sink_batch_count(p->sink) == 0)
                        break;
        }
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
        SWI_LOG_I("etl", "stopped", "messages=%llu events=%llu duplicates=%llu dead_letters=%llu "
                  "batches=%llu commit_failures=%llu",
                  (unsigned long long)p->metrics.messages, (unsigned long long)p->metrics.events,
                  (unsigned long long)p->metrics.duplicates, (unsigned long long)dl,
                  (unsigned long long)p->metrics.batches,
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
        /* The consumer leaves the group first: its revoke callback commits. */
        swi_kafka_consumer_destroy(p->consumer);
        if (p->dlq)
                swi_kafka_producer_flush(p->dlq, 10000);
        swi_kafka_producer_destroy(p->dlq);
        swi_pg_sink_destroy(p->sink);
        swi_decoder_destroy(p->decoder);
        swi_registry_destroy(p->registry);
        swi_pseudonym_destroy(p->pseudonym);
        free(p);
}
