/* config.h - swi-dashboard's configuration: its own property table
 * (dashboard/config.c) on the shared engine of common/props.h, so parsing,
 * range checks, --help, --print-config and the reference in
 * docs/config-reference.md come from one list of rows.
 *
 * Thread safety: filled at start-up, read-only afterwards. */
#ifndef SWI_DASH_CONFIG_H
#define SWI_DASH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/props.h"

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
} swi_dash_conf_t;

/* The table (for swi_props_* calls on a swi_dash_conf_t). */
extern const swi_props_table_t swi_dash_conf_table;

#endif
