/* metrics.c - Prometheus text, liveness and readiness over HTTP.
 *
 * Every family has HELP and TYPE, counters end in _total and units are base
 * units (seconds), so that `promtool check metrics` is clean (a test runs it
 * on a live /metrics). */
#include "metrics.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/log.h"

struct swi_metrics_server_s {
        struct MHD_Daemon *d;
        swi_metrics_t *m;
};

static const char *const comp_names[SWI_COMP__CNT] = {"postgres", "schema_registry", "kafka"};
static const char *const phase_names[] = {"starting", "running", "stopping"};

uint64_t swi_now_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

void swi_metrics_init(swi_metrics_t *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
        m->started_ms = swi_now_ms();
        m->heartbeat_ms = m->started_ms;
        m->liveness_timeout_ms = 120000;
        m->traj_pending_keys = -1;
        snprintf(m->group_state, sizeof(m->group_state), "init");
}

void swi_metrics_fini(swi_metrics_t *m)
{
        free(m->parts);
        m->parts = NULL;
        pthread_mutex_destroy(&m->lock);
}

void swi_metrics_set_partitions(swi_metrics_t *m, const swi_metrics_part_t *parts, int n)
{
        pthread_mutex_lock(&m->lock);
        if (n > m->parts_cap) {
                swi_metrics_part_t *np = realloc(m->parts, (size_t)n * sizeof(*np));
                if (!np) {
                        pthread_mutex_unlock(&m->lock);
                        return;
                }
                m->parts = np;
                m->parts_cap = n;
        }
        if (n > 0)
                memcpy(m->parts, parts, (size_t)n * sizeof(*parts));
        m->nparts = n;
        pthread_mutex_unlock(&m->lock);
}

void swi_metrics_set_state(swi_metrics_t *m, swi_component_t c, const char *err)
{
        _Atomic int *down = c == SWI_COMP_POSTGRES   ? &m->pg_down
                            : c == SWI_COMP_REGISTRY ? &m->registry_down
                                                     : &m->kafka_down;
        pthread_mutex_lock(&m->lock);
        if (err) {
                snprintf(m->error[c], sizeof(m->error[c]), "%s", err);
                swi_log_mask(m->error[c], sizeof(m->error[c]));
        } else {
                m->error[c][0] = '\0';
        }
        pthread_mutex_unlock(&m->lock);
        atomic_store(down, err ? 1 : 0);
        atomic_store(&m->checked_ms[c], swi_now_ms());
}

void swi_metrics_set_group_state(swi_metrics_t *m, const char *state)
{
        pthread_mutex_lock(&m->lock);
        snprintf(m->group_state, sizeof(m->group_state), "%s", state);
        pthread_mutex_unlock(&m->lock);
}

/* ---- Prometheus text -------------------------------------------------------------- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
        family(f, name, "counter", help);
        fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
        family(f, name, "gauge", help);
        fprintf(f, "%s %.17g\n", name, v);
}

/* A label value with '\', '"' and newlines escaped. */
static void label(FILE *f, const char *v)
{
        for (; *v; v++) {
                if (*v == '\\' || *v == '"')
                        fputc('\\', f);
                if (*v == '\n')
                        fputs("\\n", f);
                else
                        fputc(*v, f);
        }
}

static bool ready(swi_metrics_t *m)
{
        return atomic_load(&m->phase) == SWI_PHASE_RUNNING && !atomic_load(&m->pg_down) &&
               !atomic_load(&m->registry_down) && !atomic_load(&m->kafka_down) &&
               atomic_load(&m->refused_partitions) == 0;
}

static bool alive(swi_metrics_t *m)
{
        uint64_t now = swi_now_ms(), beat = atomic_load(&m->heartbeat_ms);
        return now < beat || now - beat < m->liveness_timeout_ms;
}

char *swi_metrics_render(swi_metrics_t *m, size_t *len)
{
        static const char *const le[SWI_LAG_BUCKETS] = {"0.1", "0.25", "0.5", "1",
                                                        "2",   "5",    "10",  "+Inf"};
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        uint64_t now = swi_now_ms(), cum = 0;

        if (!f)
                return NULL;
        family(f, "swi_build_info", "gauge", "Version of swi-etl (always 1).");
        fprintf(f, "swi_build_info{version=\"%s\"} 1\n", SWI_VERSION);
        gauge(f, "swi_start_time_seconds", "When the process started (Unix time).",
              (double)m->started_ms / 1000.0);

        /* work */
        counter(f, "swi_messages_consumed_total",
                "Kafka messages polled (work: re-reads after a failed batch count again).",
                atomic_load(&m->messages_consumed));
        counter(f, "swi_commit_failures_total",
                "PostgreSQL batch transactions rolled back (the batch is re-read).",
                atomic_load(&m->commit_failures));
        counter(f, "swi_registry_outages_total",
                "Schema lookups that found the schema registry unreachable (retried).",
                atomic_load(&m->registry_outages));
        counter(f, "swi_dead_letter_topic_failures_total",
                "Failed produce or flush attempts to the dead-letter topic (the batch is retried).",
                atomic_load(&m->dlq_produce_failures));
        counter(f, "swi_kafka_offset_commit_failures_total",
                "Monitoring offset commits to Kafka that failed (PostgreSQL keeps the offsets "
                "that count).",
                atomic_load(&m->kafka_commit_failures));

        /* committed results */
        counter(f, "swi_messages_committed_total",
                "Messages whose offsets committed to PostgreSQL (events, duplicates and dead "
                "letters).",
                atomic_load(&m->messages_committed));
        counter(f, "swi_events_total", "Events committed to swi.events.", atomic_load(&m->events));
        counter(f, "swi_duplicates_total",
                "Re-delivered events absorbed (same source and event_id), committed.",
                atomic_load(&m->duplicates));
        family(f, "swi_dead_letters_total", "counter",
               "Rejected messages committed to swi_ops.dead_letters, by reason.");
        for (int r = 1; r < SWI_REASON__CNT; r++)
                fprintf(f, "swi_dead_letters_total{reason=\"%s\"} %llu\n",
                        swi_reason2str((swi_reason_t)r),
                        (unsigned long long)atomic_load(&m->dead_letters[r]));
        counter(f, "swi_batches_total", "PostgreSQL batch transactions committed.",
                atomic_load(&m->batches));
        gauge(f, "swi_last_commit_timestamp_seconds",
              "When the last batch committed (Unix time; 0: none yet).",
              (double)atomic_load(&m->last_commit_ms) / 1000.0);
        gauge(f, "swi_last_commit_duration_seconds", "How long the last batch commit took.",
              (double)atomic_load(&m->last_commit_duration_us) / 1e6);
        family(f, "swi_source_freshness_seconds", "gauge",
               "Wall clock minus the newest registered_at committed, per source.");
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                uint64_t reg = atomic_load(&m->source_max_registered_ms[s]);
                if (reg)
                        fprintf(f, "swi_source_freshness_seconds{source=\"%s\"} %.3f\n",
                                swi_source_name((swi_source_t)s),
                                ((double)now - (double)reg) / 1000.0);
        }
        family(f, "swi_source_last_commit_age_seconds", "gauge",
               "Seconds since a batch with events of this source committed.");
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                uint64_t t = atomic_load(&m->source_last_commit_ms[s]);
                if (t)
                        fprintf(f, "swi_source_last_commit_age_seconds{source=\"%s\"} %.3f\n",
                                swi_source_name((swi_source_t)s),
                                ((double)now - (double)t) / 1000.0);
        }

        /* deferred trajectory work */
        counter(f, "swi_trajectory_deferred_keys_total",
                "Identity keys whose trajectory step a batch deferred (read from a backlog).",
                atomic_load(&m->traj_deferred_keys));
        counter(f, "swi_trajectory_drained_keys_total",
                "Deferred identity keys whose clusters this instance derived afterwards.",
                atomic_load(&m->traj_drained_keys));
        if (atomic_load(&m->traj_pending_keys) >= 0)
                gauge(f, "swi_trajectory_pending_keys",
                      "Identity keys with deferred trajectory work (all instances; as last "
                      "counted): 0 when the trajectories are current.",
                      (double)atomic_load(&m->traj_pending_keys));

        /* current figures */
        counter(f, "swi_publications_total", "Rounds that committed current figures ('actueel').",
                atomic_load(&m->publications));
        gauge(f, "swi_publish_lag_seconds",
              "Last round of the current figures: the largest time from a batch commit it took "
              "in to its own commit.",
              (double)atomic_load(&m->publish_lag_ms) / 1000.0);
        family(f, "swi_publish_freshness_seconds", "histogram",
               "Per committed batch: from its commit to the current figures that include it "
               "being committed.");
        for (int i = 0; i < SWI_LAG_BUCKETS; i++) {
                cum += atomic_load(&m->publish_lag_bucket[i]);
                fprintf(f, "swi_publish_freshness_seconds_bucket{le=\"%s\"} %llu\n", le[i],
                        (unsigned long long)cum);
        }
        fprintf(
            f, "swi_publish_freshness_seconds_sum %.6f\nswi_publish_freshness_seconds_count %llu\n",
            (double)atomic_load(&m->publish_lag_sum_us) / 1e6,
            (unsigned long long)atomic_load(&m->publish_lag_count));

        /* state */
        gauge(f, "swi_postgres_up", "1 while PostgreSQL answers (last batch or health check).",
              atomic_load(&m->pg_down) ? 0 : 1);
        gauge(f, "swi_registry_up",
              "1 while the schema registry answers (always 1 with the local schema map).",
              atomic_load(&m->registry_down) ? 0 : 1);
        gauge(f, "swi_kafka_up", "1 while a Kafka broker connection is up.",
              atomic_load(&m->kafka_down) ? 0 : 1);
        gauge(f, "swi_ready", "1 while /readyz answers 200.", ready(m) ? 1 : 0);
        gauge(f, "swi_assigned_partitions", "Partitions currently assigned to this instance.",
              atomic_load(&m->assigned_partitions));
        gauge(f, "swi_refused_partitions",
              "Assigned partitions not read because their stored offset is beyond the end.",
              atomic_load(&m->refused_partitions));
        counter(f, "swi_offset_refusals_total",
                "Times a partition was refused because its stored offset was beyond its end.",
                atomic_load(&m->offset_refusals));
        gauge(f, "swi_caught_up",
              "1 when every assigned partition is read to its end and committed.",
              atomic_load(&m->caught_up));

        pthread_mutex_lock(&m->lock);
        {
                static const struct {
                        const char *name, *type, *help;
                } fam[] = {
                    {"swi_consumer_lag_messages", "gauge",
                     "Messages in the partition after the offset committed to PostgreSQL."},
                    {"swi_consumer_lag_seconds", "gauge",
                     "Age of the oldest message not committed yet (0 when caught up)."},
                    {"swi_consumer_committed_offset", "gauge",
                     "Next offset of the partition committed to PostgreSQL."},
                    {"swi_partition_end_offset", "gauge",
                     "High watermark of the partition (next offset to be written)."},
                    {"swi_partition_offset_refused", "gauge",
                     "1 when the partition's stored offset is beyond its end (not read)."},
                };
                for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
                        family(f, fam[k].name, fam[k].type, fam[k].help);
                        for (int i = 0; i < m->nparts; i++) {
                                const swi_metrics_part_t *pt = &m->parts[i];
                                double v;
                                switch (k) {
                                case 0:
                                        v = (double)pt->lag;
                                        break;
                                case 1:
                                        v = pt->lag_seconds;
                                        break;
                                case 2:
                                        v = (double)pt->committed;
                                        break;
                                case 3:
                                        v = (double)pt->end;
                                        break;
                                default:
                                        v = pt->refused ? 1 : 0;
                                }
                                if (k < 4 && v < 0)
                                        continue; /* not known yet */
                                fprintf(f, "%s{topic=\"", fam[k].name);
                                label(f, pt->topic);
                                fprintf(f, "\",partition=\"%d\"} %.17g\n", (int)pt->partition, v);
                        }
                }
        }
        pthread_mutex_unlock(&m->lock);
        fclose(f);
        *len = n;
        return buf;
}

/* ---- health ------------------------------------------------------------------------- */

static json_t *check_json(swi_metrics_t *m, swi_component_t c, const char *status)
{
        uint64_t at = atomic_load(&m->checked_ms[c]), now = swi_now_ms();
        json_t *j = json_pack("{s:s}", "status", status);

        if (at)
                json_object_set_new(j, "checked_s_ago",
                                    json_real(now > at ? (double)(now - at) / 1000.0 : 0.0));
        if (m->error[c][0])
                json_object_set_new(j, "error", json_string(m->error[c]));
        return j;
}

char *swi_metrics_health_json(swi_metrics_t *m, bool readiness, bool *ok)
{
        uint64_t now = swi_now_ms(), beat = atomic_load(&m->heartbeat_ms);
        int phase = atomic_load(&m->phase);
        json_t *root, *checks, *kafka;
        char *text;

        *ok = readiness ? ready(m) : alive(m);
        pthread_mutex_lock(&m->lock);
        checks = json_object();
        json_object_set_new(
            checks, "postgres",
            check_json(m, SWI_COMP_POSTGRES, atomic_load(&m->pg_down) ? "down" : "up"));
        json_object_set_new(checks, comp_names[SWI_COMP_REGISTRY],
                            check_json(m, SWI_COMP_REGISTRY,
                                       !atomic_load(&m->registry_http)  ? "local"
                                       : atomic_load(&m->registry_down) ? "down"
                                                                        : "up"));
        kafka = check_json(m, SWI_COMP_KAFKA, atomic_load(&m->kafka_down) ? "down" : "up");
        json_object_set_new(kafka, "brokers_up", json_integer(atomic_load(&m->kafka_brokers_up)));
        json_object_set_new(kafka, "group", json_string(m->group_state));
        json_object_set_new(kafka, "assigned_partitions",
                            json_integer(atomic_load(&m->assigned_partitions)));
        json_object_set_new(kafka, "refused_partitions",
                            json_integer(atomic_load(&m->refused_partitions)));
        json_object_set_new(checks, comp_names[SWI_COMP_KAFKA], kafka);
        pthread_mutex_unlock(&m->lock);

        root = json_object();
        json_object_set_new(
            root, "status",
            json_string(readiness ? (*ok ? "ready" : "not ready") : (*ok ? "alive" : "stuck")));
        json_object_set_new(root, "phase", json_string(phase_names[phase]));
        json_object_set_new(root, "checks", checks);
        json_object_set_new(root, "caught_up", json_boolean(atomic_load(&m->caught_up)));
        if (atomic_load(&m->traj_pending_keys) >= 0)
                json_object_set_new(root, "trajectory_pending_keys",
                                    json_integer((json_int_t)atomic_load(&m->traj_pending_keys)));
        json_object_set_new(root, "loop_s_ago",
                            json_real(now > beat ? (double)(now - beat) / 1000.0 : 0.0));
        json_object_set_new(root, "uptime_s",
                            json_integer((json_int_t)((now - m->started_ms) / 1000)));
        text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(root);
        return text;
}

/* ---- HTTP ----------------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                             char *body, size_t len)
{
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        enum MHD_Result ret;

        if (!resp) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", ctype);
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(resp, "Allow", "GET, HEAD");
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result respond(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
        swi_metrics_server_t *s = cls;
        char *body;
        size_t len = 0;
        bool ok;

        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
                body = strdup("method not allowed: only GET and HEAD\n");
                return body ? reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", body,
                                    strlen(body))
                            : MHD_NO;
        }
        if (strcmp(url, "/metrics") == 0) {
                body = swi_metrics_render(s->m, &len);
                return body ? reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", body, len)
                            : MHD_NO;
        }
        if (strcmp(url, "/livez") == 0 || strcmp(url, "/readyz") == 0 ||
            strcmp(url, "/healthz") == 0) {
                body = swi_metrics_health_json(s->m, strcmp(url, "/livez") != 0, &ok);
                if (!body)
                        return MHD_NO;
                len = strlen(body);
                char *nl = realloc(body, len + 2);
                if (nl) {
                        body = nl;
                        body[len++] = '\n';
                        body[len] = '\0';
                }
                return reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                             "application/json", body, len);
        }
        body = strdup("not found: try /metrics, /livez, /readyz or /healthz\n");
        return body ? reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", body, strlen(body)) : MHD_NO;
}

swi_metrics_server_t *swi_metrics_server_new(swi_metrics_t *m, const swi_http_opts_t *o,
                                             char *errstr, size_t errstr_size)
{
        struct addrinfo hints, *ai = NULL;
        char port[16];
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
        swi_metrics_server_t *s;
        int gai;

        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        snprintf(port, sizeof(port), "%d", o->port);
        gai = getaddrinfo(o->bind && *o->bind ? o->bind : "127.0.0.1", port, &hints, &ai);
        if (gai != 0 || !ai) {
                snprintf(errstr, errstr_size, "metrics.bind \"%s\": %s", o->bind,
                         gai_strerror(gai));
                return NULL;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                freeaddrinfo(ai);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (ai->ai_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        s->m = m;
        s->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, respond, s,
                                MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_CONNECTION_TIMEOUT,
                                (unsigned)o->idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
                                (unsigned)o->max_connections, MHD_OPTION_END);
        freeaddrinfo(ai);
        if (!s->d) {
                snprintf(errstr, errstr_size,
                         "cannot listen on %s port %d (in use, or not an "
                         "address of this host?)",
                         o->bind, o->port);
                free(s);
                return NULL;
        }
        return s;
}

void swi_metrics_server_destroy(swi_metrics_server_t *s)
{
        if (!s)
                return;
        MHD_stop_daemon(s->d);
        free(s);
}

void swi_metrics_observe_publish_lag(swi_metrics_t *m, double seconds)
{
        static const double le[SWI_LAG_BUCKETS - 1] = {0.1, 0.25, 0.5, 1, 2, 5, 10};
        int i = 0;
        while (i < SWI_LAG_BUCKETS - 1 && seconds > le[i])
                i++;
        m->publish_lag_bucket[i]++;
        m->publish_lag_count++;
        m->publish_lag_sum_us += (uint64_t)(seconds > 0 ? seconds * 1e6 : 0);
}
