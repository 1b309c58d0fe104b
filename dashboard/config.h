/* config.h - swi-dashboard's configuration: its own property table
 * (dashboard/config.c) on the shared engine of common/props.h, so parsing,
 * range checks, --help, --print-config and the reference in
 * docs/config-reference.md come from one list of rows. Any value may be, or
 * contain, ${file:PATH} or ${env:NAME} (common/secrets.h); such a value prints
 * as its reference, and a password in pg.conninfo prints as [redacted].
 *
 * Thread safety: filled at start-up, read-only afterwards. */
#ifndef SWI_DASH_CONFIG_H
#define SWI_DASH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/props.h"

#define SWI_DASH_CONF_MAX_PROPS 24

typedef struct swi_dash_conf_s {
        char *pg_conninfo;
        bool pg_require_analyst;
        int64_t db_pool_size;
        int64_t db_statement_timeout_ms;
        char *http_bind;
        int64_t http_port;
        int64_t http_connections_max;
        int64_t http_connections_per_ip;
        int64_t http_timeout_s;
        int64_t http_request_max_bytes;
        char *web_root;
        int64_t api_rows_max;
        int64_t api_cache_s;
        char *log_level;
        char *log_format;
        /* not rows: the reference a value was read from (NULL: given as is),
         * per row, and the first warning about a secret file's mode */
        char *origin[SWI_DASH_CONF_MAX_PROPS];
        char warning[1024];
} swi_dash_conf_t;

/* The table (for swi_props_* calls on a swi_dash_conf_t; its set function
 * resolves references). Initialise with swi_props_init. */
extern const swi_props_table_t swi_dash_conf_table;

/* A libpq conninfo with its password masked into out, the password into pw
 * (the db module's swi_db_conninfo_redact: only it includes libpq-fe.h). */
typedef void (*swi_dash_conninfo_fn)(const char *conninfo, char *out, size_t out_size, char *pw,
                                     size_t pw_size);

/* Frees what swi_props_init and the set function allocated. */
void swi_dash_conf_free(swi_dash_conf_t *conf);
/* --print-config: "name = value" lines, references as written, the password
 * of pg.conninfo masked. */
void swi_dash_conf_print_effective(const swi_dash_conf_t *conf, swi_dash_conninfo_fn redact,
                                   FILE *out);
/* Registers the password of pg.conninfo with the logger, which then masks it
 * in every line (libpq's messages included). */
void swi_dash_conf_register_secrets(const swi_dash_conf_t *conf, swi_dash_conninfo_fn redact);

#endif
