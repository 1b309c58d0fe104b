/* server.h - swi-dashboard's HTTP server (libmicrohttpd): the only dashboard
 * module that includes microhttpd.h.
 *
 * Routes GET and HEAD only (anything else: 405 with Allow): /api/... to the
 * API (dashboard/api.h), /healthz to its health check, every other path to
 * the in-memory front end (dashboard/assets.h) or 404. Safe by default: binds
 * 127.0.0.1, bounds the memory of a request's line and headers (a longer one
 * is answered 414/431), the open connections (beyond the limit: 503) and the
 * idle time of a connection, and sends security headers (CSP 'self' only,
 * nosniff, no framing, no referrer).
 *
 * Threads: one per connection (libmicrohttpd's thread-per-connection mode).
 * A request waiting for the database therefore holds only its own connection;
 * with one event loop for many connections, a loop blocked in a query would
 * leave the others unread until the idle timeout closed them unanswered.
 * The connection limit bounds the threads.
 *
 * Thread safety: requests run on the server's own threads; the api and assets
 * must outlive the server. */
#ifndef SWI_DASH_SERVER_H
#define SWI_DASH_SERVER_H

#include <stddef.h>

#include "dashboard/api.h"
#include "dashboard/assets.h"

typedef struct swi_server_s swi_server_t;

typedef struct swi_server_opts_s {
        const char *bind;    /* IPv4 or IPv6 address */
        int port;            /* 0: any free port */
        int connections_max; /* soft: requests beyond it are answered 503 */
        int connections_per_ip;
        int timeout_s; /* idle connection timeout */
        size_t request_max_bytes;
} swi_server_opts_t;

/* Starts listening and serving. NULL with a message in errstr on failure
 * (address in use, bad address). */
swi_server_t *swi_server_new(const swi_server_opts_t *opts, swi_api_t *api,
                             const swi_assets_t *assets, char *errstr, size_t errstr_size);
/* The port it listens on (the chosen one when opts->port was 0). */
int swi_server_port(const swi_server_t *s);
/* Stops (waits for the running requests) and frees. NULL is a no-op. */
void swi_server_destroy(swi_server_t *s);

#endif
