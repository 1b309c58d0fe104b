#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"

#define MAX_ARGS 32
#define MAX_PATH 1024

struct swi_server_s {
        struct MHD_Daemon *d;
        swi_api_t *api;
        const swi_assets_t *assets;
        int connections_max;
        atomic_int open; /* connections now open */
        int port;
};

static const char *csp = "default-src 'self'; img-src 'self' data:; style-src 'self' "
                         "'unsafe-inline'; object-src 'none'; base-uri 'none'; "
                         "form-action 'none'; frame-ancestors 'none'";

static void security_headers(struct MHD_Response *r)
{
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(r, "Content-Security-Policy", csp);
}

static double ms_since(const struct timespec *t0)
{
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Sends an API answer (or an error built with swi_api_error); frees its body. */
static enum MHD_Result send_api(struct MHD_Connection *c, swi_api_response_t *a)
{
        char cc[64];
        struct MHD_Response *r =
            MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE);
        enum MHD_Result rc;

        if (!r) {
                free(a->body);
                return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
        if (a->max_age_s > 0 && a->status == 200)
                snprintf(cc, sizeof(cc), "public, max-age=%lld", (long long)a->max_age_s);
        else
                snprintf(cc, sizeof(cc), "no-store");
        MHD_add_response_header(r, "Cache-Control", cc);
        if (a->allow)
                MHD_add_response_header(r, "Allow", a->allow);
        if (a->status == 503) {
                MHD_add_response_header(r, "Retry-After", "1");
        }
        security_headers(r);
        rc = MHD_queue_response(c, (unsigned int)a->status, r);
        MHD_destroy_response(r);
        return rc;
}

static enum MHD_Result send_asset(struct MHD_Connection *c, const swi_asset_t *f)
{
        const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
        const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
        bool not_modified = inm && strstr(inm, f->etag) != NULL;
        bool gz = !not_modified && f->gz && ae && strstr(ae, "gzip");
        struct MHD_Response *r;
        enum MHD_Result rc;

        if (not_modified)
                r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        else
                r = MHD_create_response_from_buffer(gz ? f->gz_len : f->len,
                                                    (void *)(gz ? f->gz : f->data),
                                                    MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, "Content-Type", f->type);
        MHD_add_response_header(r, "ETag", f->etag);
        /* Names carry no version: revalidate every time (a cheap 304). */
        MHD_add_response_header(r, "Cache-Control", "no-cache");
        MHD_add_response_header(r, "Vary", "Accept-Encoding");
        if (gz)
                MHD_add_response_header(r, "Content-Encoding", "gzip");
        security_headers(r);
        rc = MHD_queue_response(c, not_modified ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return rc;
}

typedef struct args_s {
        swi_api_param_t p[MAX_ARGS];
        int n;
        bool overflow;
        bool nul; /* a key or value holds a NUL byte (%00) */
} args_t;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                               const char *value, size_t value_size)
{
        args_t *a = cls;
        (void)kind;
        if (strlen(key) != key_size || (value && strlen(value) != value_size))
                a->nul = true;
        if (a->n == MAX_ARGS) {
                a->overflow = true;
                return MHD_NO;
        }
        a->p[a->n].key = key;
        a->p[a->n].value = value;
        a->n++;
        return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        swi_server_t *s = cls;
        swi_api_response_t a;
        struct timespec t0;
        enum MHD_Result rc;
        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)req_cls;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        memset(&a, 0, sizeof(a));
        /* Every answer is queued on the first call: a body sent with the
         * request is never read (MHD closes the connection after it). */
        if (atomic_load(&s->open) > s->connections_max) {
                swi_api_error(&a, 503, NULL, "too many open connections; try again shortly");
                rc = send_api(c, &a);
                goto done;
        }
        if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
                swi_api_error(&a, 405, NULL, "method %.16s not allowed: GET or HEAD only", method);
                a.allow = "GET, HEAD";
                rc = send_api(c, &a);
                goto done;
        }
        if (strlen(url) > MAX_PATH) {
                swi_api_error(&a, 414, NULL, "path too long");
                rc = send_api(c, &a);
                goto done;
        }
        if (!strncmp(url, "/api/", 5) || !strcmp(url, "/healthz")) {
                args_t args = {.n = 0};
                MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, collect, &args);
                if (args.nul)
                        swi_api_error(&a, 400, NULL, "a parameter holds a NUL byte");
                else if (args.overflow)
                        swi_api_error(&a, 400, NULL, "too many parameters");
                else
                        swi_api_handle(s->api, strcmp(url, "/healthz") ? url : "/api/v1/health",
                                       args.p, args.n, &a);
                rc = send_api(c, &a);
                goto done;
        }
        const swi_asset_t *f = swi_assets_find(s->assets, url);
        if (f) {
                a.status = 200;
                rc = send_asset(c, f);
                goto done;
        }
        swi_api_error(&a, 404, NULL, "not found");
        rc = send_api(c, &a);
done:
        if (a.status >= 500)
                SWI_LOG_W("http", "request failed",
                          "method=%.16s path=\"%.200s\" status=%d ms=%.1f", method, url, a.status,
                          ms_since(&t0));
        else
                SWI_LOG_D("http", "request", "method=%.16s path=\"%.200s\" status=%d ms=%.1f",
                          method, url, a.status, ms_since(&t0));
        return rc;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
        swi_server_t *s = cls;
        (void)c;
        (void)socket_context;
        if (code == MHD_CONNECTION_NOTIFY_STARTED)
                atomic_fetch_add(&s->open, 1);
        else
                atomic_fetch_sub(&s->open, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
        char msg[512];
        size_t n;
        (void)cls;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = '\0';
        SWI_LOG_D("http", "libmicrohttpd", "text=\"%s\"", msg);
}

swi_server_t *swi_server_new(const swi_server_opts_t *o, swi_api_t *api, const swi_assets_t *assets,
                             char *errstr, size_t errstr_size)
{
        struct sockaddr_storage ss;
        unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                             MHD_USE_POLL | MHD_USE_ERROR_LOG;
        swi_server_t *s;

        memset(&ss, 0, sizeof(ss));
        if (strchr(o->bind, ':')) {
                struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons((uint16_t)o->port);
                if (inet_pton(AF_INET6, o->bind, &a6->sin6_addr) != 1)
                        goto bad_addr;
                flags |= MHD_USE_IPv6;
        } else {
                struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
                a4->sin_family = AF_INET;
                a4->sin_port = htons((uint16_t)o->port);
                if (inet_pton(AF_INET, o->bind, &a4->sin_addr) != 1)
                        goto bad_addr;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        s->api = api;
        s->assets = assets;
        s->connections_max = o->connections_max;
        atomic_init(&s->open, 0);
        /* The hard limit leaves room above the soft one, so that a client over
         * the limit gets a 503 instead of a closed socket. */
        s->d = MHD_start_daemon(
            flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(o->connections_max + 64),
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)o->connections_per_ip,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->timeout_s,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->request_max_bytes,
            /* a burst of connections waits in the kernel's queue, not refused */
            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)(o->connections_max + 64),
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
            NULL, MHD_OPTION_END);
        if (!s->d) {
                snprintf(errstr, errstr_size,
                         "cannot listen on %s port %d (in use, or not an address of this host)",
                         o->bind, o->port);
                free(s);
                return NULL;
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
        s->port = info ? info->port : o->port;
        return s;
bad_addr:
        snprintf(errstr, errstr_size, "http.bind \"%s\" is not an IPv4 or IPv6 address", o->bind);
        return NULL;
}

int swi_server_port(const swi_server_t *s)
{
        return s->port;
}

void swi_server_destroy(swi_server_t *s)
{
        if (!s)
                return;
        MHD_stop_daemon(s->d);
        free(s);
}
