#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

struct swi_metrics_server_s {
        struct MHD_Daemon *d;
        swi_metrics_t *m;
};

uint64_t swi_now_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

#define APPEND(...)                                                                                \
        do {                                                                                       \
                if (n < size)                                                                      \
                        n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__);                     \
        } while (0)

size_t swi_metrics_render(const swi_metrics_t *m, char *buf, size_t size)
{
        size_t n = 0;
        uint64_t now = swi_now_ms();

        APPEND("# HELP swi_messages_total Kafka messages consumed.\n"
               "# TYPE swi_messages_total counter\nswi_messages_total %llu\n",
               (unsigned long long)m->messages);
        APPEND("# HELP swi_events_total Events committed to swi.events.\n"
               "# TYPE swi_events_total counter\nswi_events_total %llu\n",
               (unsigned long long)m->events);
        APPEND("# HELP swi_duplicates_total Re-delivered events absorbed (same source and event_id).\n"
               "# TYPE swi_duplicates_total counter\nswi_duplicates_total %llu\n",
               (unsigned long long)m->duplicates);
        APPEND("# HELP swi_dead_letters_total Rejected messages by reason.\n"
               "# TYPE swi_dead_letters_total counter\n");
        for (int r = 1; r < SWI_REASON__CNT; r++)
                APPEND("swi_dead_letters_total{reason=\"%s\"} %llu\n",
                       swi_reason2str((swi_reason_t)r), (unsigned long long)m->dead_letters[r]);
        APPEND("# HELP swi_batches_total PostgreSQL transactions committed.\n"
               "# TYPE swi_batches_total counter\nswi_batches_total %llu\n",
               (unsigned long long)m->batches);
        APPEND("# TYPE swi_commit_failures_total counter\nswi_commit_failures_total %llu\n",
               (unsigned long long)m->commit_failures);
        APPEND("# TYPE swi_registry_outages_total counter\nswi_registry_outages_total %llu\n",
               (unsigned long long)m->registry_outages);
        APPEND("# TYPE swi_dead_letter_topic_failures_total counter\n"
               "swi_dead_letter_topic_failures_total %llu\n",
               (unsigned long long)m->dlq_produce_failures);
        APPEND("# TYPE swi_last_commit_duration_seconds gauge\n"
               "swi_last_commit_duration_seconds %.6f\n",
               (double)m->last_commit_duration_us / 1e6);
        APPEND("# HELP swi_source_freshness_seconds Wall clock minus the newest registered_at "
               "committed, per source.\n# TYPE swi_source_freshness_seconds gauge\n");
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                uint64_t reg = m->source_max_registered_ms[s];
                if (reg)
                        APPEND("swi_source_freshness_seconds{source=\"%s\"} %.3f\n",
                               swi_source_name((swi_source_t)s),
                               ((double)now - (double)reg) / 1000.0);
        }
        APPEND("# TYPE swi_source_last_commit_age_seconds gauge\n");
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                uint64_t t = m->source_last_commit_ms[s];
                if (t)
                        APPEND("swi_source_last_commit_age_seconds{source=\"%s\"} %.3f\n",
                               swi_source_name((swi_source_t)s),
                               ((double)now - (double)t) / 1000.0);
        }
        APPEND("# HELP swi_publications_total Recomputations of the current figures.\n"
               "# TYPE swi_publications_total counter\nswi_publications_total %llu\n",
               (unsigned long long)m->publications);
        APPEND("# HELP swi_publish_lag_seconds Last round of the current figures: the largest "
               "time from a batch commit it took in to its own commit.\n# TYPE swi_publish_lag_seconds gauge\n"
               "swi_publish_lag_seconds %.3f\n", (double)m->publish_lag_ms / 1000.0);
        {
                static const char *const le[SWI_LAG_BUCKETS] = {"0.1", "0.25", "0.5", "1",
                                                                "2",   "5",    "10",  "+Inf"};
                uint64_t cum = 0;
                APPEND("# HELP swi_publish_freshness_seconds Per committed batch: from its commit to "
                       "the current figures that include it being committed.\n"
                       "# TYPE swi_publish_freshness_seconds histogram\n");
                for (int i = 0; i < SWI_LAG_BUCKETS; i++) {
                        cum += m->publish_lag_bucket[i];
                        APPEND("swi_publish_freshness_seconds_bucket{le=\"%s\"} %llu\n", le[i],
                               (unsigned long long)cum);
                }
                APPEND("swi_publish_freshness_seconds_sum %.6f\n"
                       "swi_publish_freshness_seconds_count %llu\n",
                       (double)m->publish_lag_sum_us / 1e6,
                       (unsigned long long)m->publish_lag_count);
        }
        APPEND("# TYPE swi_registry_up gauge\nswi_registry_up %d\n", m->registry_down ? 0 : 1);
        APPEND("# TYPE swi_postgres_up gauge\nswi_postgres_up %d\n", m->pg_down ? 0 : 1);
        APPEND("# TYPE swi_assigned_partitions gauge\nswi_assigned_partitions %d\n",
               (int)m->assigned_partitions);
        APPEND("# TYPE swi_caught_up gauge\nswi_caught_up %d\n", (int)m->caught_up);
        return n < size ? n : size - 1;
}

static enum MHD_Result respond(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
        swi_metrics_server_t *s = cls;
        char *body = malloc(16384);
        size_t len;
        unsigned status = MHD_HTTP_OK;
        const char *ctype = "text/plain; version=0.0.4";
        struct MHD_Response *resp;
        enum MHD_Result ret;

        if (!body)
                return MHD_NO;
        if (strcmp(url, "/metrics") == 0) {
                len = swi_metrics_render(s->m, body, 16384);
        } else if (strcmp(url, "/healthz") == 0) {
                int ok = !s->m->registry_down && !s->m->pg_down;
                status = ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
                ctype = "application/json";
                len = (size_t)snprintf(
                        body, 16384,
                        "{\"status\":\"%s\",\"postgres\":\"%s\",\"schema_registry\":\"%s\","
                        "\"assigned_partitions\":%d,\"caught_up\":%s,\"uptime_s\":%llu}\n",
                        ok ? "ok" : "degraded", s->m->pg_down ? "down" : "up",
                        s->m->registry_down ? "down" : "up", (int)s->m->assigned_partitions,
                        s->m->caught_up ? "true" : "false",
                        (unsigned long long)((swi_now_ms() - s->m->started_ms) / 1000));
        } else {
                status = MHD_HTTP_NOT_FOUND;
                len = (size_t)snprintf(body, 16384, "not found: try /metrics or /healthz\n");
        }
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(resp, "Content-Type", ctype);
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

swi_metrics_server_t *swi_metrics_server_new(swi_metrics_t *m, int port, char *errstr,
                                             size_t errstr_size)
{
        struct sockaddr_in addr;
        swi_metrics_server_t *s = calloc(1, sizeof(*s));

        if (!s) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_port = htons((uint16_t)port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s->m = m;
        s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                respond, s, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
        if (!s->d) {
                snprintf(errstr, errstr_size, "cannot serve metrics on 127.0.0.1:%d", port);
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
