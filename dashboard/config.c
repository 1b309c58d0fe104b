/* config.c - swi-dashboard's property table. */
#include "config.h"

#include <stddef.h>

#define OFF(f) offsetof(swi_dash_conf_t, f)

static const swi_prop_t props[] = {
    {"pg.conninfo", SWI_PROP_STR, "", 0, 0, OFF(pg_conninfo),
     "libpq connection string (empty: libpq's PG* environment); connect as a login role "
     "in group analyst"},
    {"pg.require.analyst", SWI_PROP_BOOL, "true", 0, 1, OFF(pg_require_analyst),
     "refuse to serve when the connected role is a superuser, can read the microdata "
     "(schema swi) or can write the published figures"},
    {"db.pool.size", SWI_PROP_INT, "4", 1, 64, OFF(db_pool_size),
     "PostgreSQL connections (requests wait for a free one)"},
    {"db.statement.timeout.ms", SWI_PROP_INT, "5000", 100, 600000, OFF(db_statement_timeout_ms),
     "a query running longer is cancelled by the server and the request answered 503"},
    {"http.bind", SWI_PROP_STR, "127.0.0.1", 0, 0, OFF(http_bind),
     "IPv4 address to listen on (0.0.0.0: every interface; put TLS and authentication in "
     "front of it then)"},
    {"http.port", SWI_PROP_INT, "8080", 0, 65535, OFF(http_port),
     "TCP port (0: any free port, printed at start-up)"},
    {"http.connections.max", SWI_PROP_INT, "512", 1, 100000, OFF(http_connections_max),
     "open connections at most; requests on connections beyond it are answered 503"},
    {"http.connections.per_ip", SWI_PROP_INT, "0", 0, 100000, OFF(http_connections_per_ip),
     "open connections per client address at most (0: no limit of its own)"},
    {"http.timeout.s", SWI_PROP_INT, "10", 1, 3600, OFF(http_timeout_s),
     "a connection idle (no bytes received or sent) this long is closed"},
    {"http.request.max.bytes", SWI_PROP_INT, "16384", 4096, 1048576, OFF(http_request_max_bytes),
     "memory per connection for the request line and headers; a longer request is "
     "answered 414 or 431"},
    {"web.root", SWI_PROP_STR, "", 0, 0, OFF(web_root),
     "directory of the built front end (empty: dashboard-web next to the executable)"},
    {"api.rows.max", SWI_PROP_INT, "50000", 100, 10000000, OFF(api_rows_max),
     "a table request selecting more rows is answered 400 (narrow the filters)"},
    {"api.cache.s", SWI_PROP_INT, "5", 0, 3600, OFF(api_cache_s),
     "seconds browsers may cache API answers (Cache-Control max-age; 0: no-store)"},
    {"log.level", SWI_PROP_STR, "info", 0, 0, OFF(log_level), "error, warn, info or debug"},
};

const swi_props_table_t swi_dash_conf_table = {props, sizeof(props) / sizeof(props[0]), NULL};
