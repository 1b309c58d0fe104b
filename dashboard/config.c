/* config.c - swi-dashboard's property table. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/secrets.h"

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
     "directory of the built front end (empty: dashboard-web next to the executable, else "
     "../share/swi-stream/dashboard-web from it, where cmake --install puts it)"},
    {"api.rows.max", SWI_PROP_INT, "50000", 100, 10000000, OFF(api_rows_max),
     "a table request selecting more rows is answered 400 (narrow the filters)"},
    {"api.cache.s", SWI_PROP_INT, "5", 0, 3600, OFF(api_cache_s),
     "seconds browsers may cache API answers (Cache-Control max-age; 0: no-store)"},
    {"log.level", SWI_PROP_STR, "info", 0, 0, OFF(log_level), "error, warn, info or debug"},
    {"log.format", SWI_PROP_STR, "logfmt", 0, 0, OFF(log_format),
     "logfmt (key=value, quoted and escaped) or json (one object per line)"},
};

#define NPROPS (sizeof(props) / sizeof(props[0]))
_Static_assert(NPROPS <= SWI_DASH_CONF_MAX_PROPS, "raise SWI_DASH_CONF_MAX_PROPS");

static int prop_index(const char *name)
{
        for (size_t i = 0; i < NPROPS; i++)
                if (strcmp(props[i].name, name) == 0)
                        return (int)i;
        return -1;
}

/* ${file:}/${env:} references resolved first (common/secrets.h); a value read
 * from a reference keeps the reference, which is what gets printed. */
static swi_err_t conf_set(const swi_props_table_t *t, void *c, const char *name, const char *value,
                          char *errstr, size_t errstr_size)
{
        swi_dash_conf_t *conf = c;
        char *resolved = NULL, warning[1024];
        int i = prop_index(name);
        swi_err_t rc;

        if (i < 0) {
                snprintf(errstr, errstr_size, "unknown property \"%s\" (see --help)", name);
                return SWI_ERR_CONFIG;
        }
        rc = swi_secret_resolve(name, value, &resolved, warning, sizeof(warning), errstr,
                                errstr_size);
        if (rc != SWI_OK)
                return rc;
        if (*warning && !conf->warning[0])
                snprintf(conf->warning, sizeof(conf->warning), "%s", warning);
        rc = swi_props_set(t, conf, name, resolved ? resolved : value, errstr, errstr_size);
        if (rc == SWI_OK) {
                free(conf->origin[i]);
                conf->origin[i] = resolved ? strdup(value) : NULL;
        }
        free(resolved);
        return rc;
}

const swi_props_table_t swi_dash_conf_table = {props, NPROPS, conf_set};

void swi_dash_conf_free(swi_dash_conf_t *conf)
{
        for (size_t i = 0; i < NPROPS; i++)
                free(conf->origin[i]);
        swi_props_free(&swi_dash_conf_table, conf);
        memset(conf, 0, sizeof(*conf));
}

void swi_dash_conf_print_effective(const swi_dash_conf_t *conf, swi_dash_conninfo_fn redact,
                                   FILE *out)
{
        char buf[4096], pw[1024];

        for (size_t i = 0; i < NPROPS; i++) {
                const char *base = (const char *)conf + props[i].offset;
                const char *v;
                switch (props[i].type) {
                case SWI_PROP_STR:
                        v = *(char *const *)base;
                        if (conf->origin[i]) {
                                v = conf->origin[i]; /* the reference, not what it names */
                        } else if (v && *v && strcmp(props[i].name, "pg.conninfo") == 0) {
                                redact(v, buf, sizeof(buf), pw, sizeof(pw));
                                v = buf;
                        }
                        fprintf(out, "%s = %s\n", props[i].name, v ? v : "");
                        break;
                case SWI_PROP_INT:
                        fprintf(out, "%s = %lld\n", props[i].name,
                                (long long)*(const int64_t *)base);
                        break;
                case SWI_PROP_BOOL:
                        fprintf(out, "%s = %s\n", props[i].name,
                                *(const bool *)base ? "true" : "false");
                        break;
                }
        }
}

void swi_dash_conf_register_secrets(const swi_dash_conf_t *conf, swi_dash_conninfo_fn redact)
{
        char buf[4096], pw[1024];

        if (!conf->pg_conninfo || !*conf->pg_conninfo)
                return;
        redact(conf->pg_conninfo, buf, sizeof(buf), pw, sizeof(pw));
        swi_log_add_secret(pw);
}
