/* db.h - swi-dashboard's database access: the only dashboard module that
 * includes libpq-fe.h.
 *
 * A fixed pool of connections, each opened read-only (the session default
 * transaction is READ ONLY) with a statement timeout, runs parameterised
 * statements only: values always travel as separate parameters
 * (PQexecParams), never inside the SQL text. A result is handed out as an
 * opaque table of text cells.
 *
 * The dashboard is meant to connect as a login role in the read-only group
 * role `analyst` (swi_pub only). swi_db_check_role() refuses a role that could
 * read the microdata (schema swi) or write the published figures.
 *
 * Thread safety: a swi_db_t may be used from any number of threads at once;
 * each query takes a connection from the pool for its duration (waiting for
 * one when all are busy). A swi_db_rows_t belongs to the caller. */
#ifndef SWI_DASH_DB_H
#define SWI_DASH_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"

typedef struct swi_db_s swi_db_t;
typedef struct swi_db_rows_s swi_db_rows_t;

/* Opens a pool of size connections to conninfo (libpq syntax; "" = the PG*
 * environment). Statements that run longer than statement_timeout_ms are
 * cancelled by the server. A connection that fails now is retried when it is
 * needed, so the dashboard starts while PostgreSQL is down. Returns NULL with a
 * message in errstr only for bad arguments or memory. */
swi_db_t *swi_db_new(const char *conninfo, int size, int64_t statement_timeout_ms, char *errstr,
                     size_t errstr_size);
void swi_db_destroy(swi_db_t *db);

/* Runs sql with nparams text parameters (NULL entries are SQL NULL). Returns
 * the rows (free with swi_db_rows_free) or NULL with the server's message in
 * errstr. *unavailable (if not NULL) is set true when the failure is the
 * database being unreachable rather than the statement failing. */
swi_db_rows_t *swi_db_query(swi_db_t *db, const char *sql, int nparams, const char *const *params,
                            bool *unavailable, char *errstr, size_t errstr_size);

int swi_db_rows_count(const swi_db_rows_t *r);
int swi_db_rows_columns(const swi_db_rows_t *r);
/* Column name; NULL when col is out of range. */
const char *swi_db_rows_name(const swi_db_rows_t *r, int col);
/* Column index by name, -1 when absent. */
int swi_db_rows_column(const swi_db_rows_t *r, const char *name);
/* Cell text, owned by r; NULL for SQL NULL. */
const char *swi_db_rows_get(const swi_db_rows_t *r, int row, int col);
void swi_db_rows_free(swi_db_rows_t *r);

/* Checks that the connected role is read-only on what it should be: SWI_OK
 * when it can read swi_pub and can neither use schema swi (microdata) nor
 * write swi_pub.indicator_values; SWI_ERR_CONFIG with the reason in errstr
 * otherwise; SWI_ERR_PG when the database cannot be asked. */
/* conninfo as keyword=value pairs with password and sslpassword masked
 * ([redacted]; an unparseable one is masked whole), its password into pw ("" if
 * none). For --print-config and the logger's list of secrets. */
void swi_db_conninfo_redact(const char *conninfo, char *out, size_t out_size, char *pw,
                            size_t pw_size);
swi_err_t swi_db_check_role(swi_db_t *db, char *errstr, size_t errstr_size);

#endif
