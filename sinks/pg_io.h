/* pg_io.h - the PostgreSQL toolkit of the sinks (private to the swi_pg module;
 * the module, sinks/, is the only one that includes libpq-fe.h): connections, one
 * growable buffer type, COPY text writers, statements with errors that name
 * their purpose, the embedded migrations, and the column lists of the tables
 * more than one module writes or reads.
 *
 * Thread safety: no global state; buffers and connections belong to their
 * caller (libpq: one connection per thread). */
#ifndef SWI_PG_IO_H
#define SWI_PG_IO_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/event.h"

/* ---- column lists (the tables' column order) ----------------------------- */

/* swi.events as the sink COPYs it (and its staging table). */
#define PGIO_EVENT_COLS                                                                            \
        "source, event_id, event_type, bsn_ps, vnr_ps, event_date, registered_at, corrects, "      \
        "retracts, payload, schema_id, kafka_topic, kafka_partition, kafka_offset"

/* The trajectory columns shared by swi.trajectory_versions and
 * swi.trajectories, from wet to findings, in table order. */
#define PGIO_TRAJ_COLS                                                                             \
        "wet, doelgroep, cohort, plicht_start, geslacht, nationaliteit, leeftijd, "                \
        "leeftijdsklasse, jongere, status_verleend, koppeling_datum, koppeling_gemeente, "         \
        "koppeling_afstand_km, opvang_instroom, in_opvang, overplaatsingen, "                      \
        "voorinburgering_start, voorinburgering_einde, voorinburgering_uitkomst, "                 \
        "vestiging_datum, vestiging_gemeente, gemeente, arbeidsmarktregio, brede_intake_start, "   \
        "brede_intake_afgerond, opleidingsniveau, werkervaring, jonge_kinderen, lbt_datum, "       \
        "lbt_score, lbt_uitkomst, pip_datum, leerroute, route_switches, pip_in_opvang, "           \
        "start_pip_termijn, pip_voor_termijn, pip_binnen_10_weken, termijn_einde, einde, "         \
        "einde_datum, hoogste_niveau, werk_spells, bijstand_spells, findings"

/* swi_ops.findings as the trajectory step COPYs it. */
#define PGIO_FINDING_COLS "person_kind, person_ps, kind, event_id, event_date, target_event_id"

/* ---- buffers ------------------------------------------------------------- */

/* A growable byte buffer, NUL-terminated after every append; oom is set once
 * a growth failed (later appends are then no-ops). Zero-initialise. */
typedef struct pgio_buf_s {
        char *p;
        size_t n, cap;
        int oom;
} pgio_buf_t;

/* Room for need more bytes (and the NUL): SWI_OK, or SWI_ERR_NOMEM (oom). */
swi_err_t pgio_buf_reserve(pgio_buf_t *b, size_t need);
void pgio_buf_add(pgio_buf_t *b, const char *s, size_t len);
void pgio_buf_printf(pgio_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The pseudonym as 64 lower-case hex digits. */
void pgio_buf_hex(pgio_buf_t *b, const uint8_t *ps);
void pgio_buf_free(pgio_buf_t *b); /* frees and zeroes */

/* The pseudonym in the first 64 hex digits of s (s may go on); 0 or -1. */
int pgio_parse_hex_prefix(const char *s, uint8_t out[SWI_PSEUDO_LEN]);
/* s is exactly one pseudonym in hex; 0 or -1. */
int pgio_parse_hex(const char *s, uint8_t out[SWI_PSEUDO_LEN]);

/* ---- COPY text ----------------------------------------------------------- *
 * Writers append at o (the caller reserved the room given) and return the
 * new end. */

/* 0001-01-01 and 9999-12-31 as days since 1970-01-01: what put_date takes. */
#define PGIO_DAYS_MIN   (-719162)
#define PGIO_DAYS_MAX   2932896
#define PGIO_MS_PER_DAY INT64_C(86400000)

/* Valid UTF-8 (no overlongs, surrogates or values over U+10FFFF). */
bool pgio_utf8_valid(const char *s, size_t n);
/* COPY text escaping of a plain text value; invalid UTF-8 bytes become
 * U+FFFD. At most 3 * n bytes. */
char *pgio_put_copy_text(char *o, const char *s, size_t n);
/* A JSON string (quotes included), COPY-escaped on top; s must be valid
 * UTF-8. At most 2 + 7 * n bytes. */
char *pgio_put_json_str(char *o, const char *s, size_t n);
char *pgio_put_str(char *o, const char *s);
char *pgio_put_i64(char *o, int64_t v); /* at most 20 bytes */
/* YYYY-MM-DD; days in [PGIO_DAYS_MIN, PGIO_DAYS_MAX]. 10 bytes. */
char *pgio_put_date(char *o, int32_t days);
/* ms within those days (pgio_ts_in_range). */
bool pgio_ts_in_range(int64_t ms);
/* YYYY-MM-DD HH:MM:SS.mmm+00 (UTC). 26 bytes. */
char *pgio_put_ts(char *o, int64_t ms);
/* bytea as COPY text: \\x<hex>. 3 + 2 * n bytes. */
char *pgio_put_bytea(char *o, const uint8_t *b, size_t n);
/* The canonical 8-4-4-4-12 form, lower case. 36 bytes. */
char *pgio_put_uuid(char *o, const uint8_t id[16]);
/* Parses the 8-4-4-4-12 form (either case); 0, or -1. */
int pgio_uuid_parse(const char *s, uint8_t out[16]);

/* A day in PostgreSQL's input syntax for any year (PostgreSQL reads neither
 * a '+' nor a negative year): years after 9999 unsigned, years before 1 as
 * "YYYY-MM-DD BC". buf has PGIO_DATE_BUF bytes; returns buf. */
#define PGIO_DATE_BUF (SWI_DATE_BUF + 3)
char *pgio_date_text(int64_t days, char *buf);
/* A time in ms since epoch as COPY timestamptz text (UTC), any year. */
void pgio_add_ts(pgio_buf_t *b, int64_t ms);

/* ---- connections and statements -------------------------------------------- */

/* Wall clock in seconds (for phase timings). */
double pgio_now_s(void);
/* A libpq notice processor: server notices become debug log lines. */
void pgio_notice_to_log(void *arg, const char *message);
/* Connects to conninfo (expanded; application_name app unless the conninfo
 * names one - or, with name_it, whatever it names -, client_encoding UTF8
 * always: the COPY text we write is UTF-8),
 * server notices to the debug log. Returns the connection - check PQstatus;
 * NULL only on out of memory. */
PGconn *pgio_connect(const char *conninfo, const char *app, bool name_it);
/* Puts what and PostgreSQL's message into errstr (one line), clears res;
 * returns SWI_ERR_PG. */
swi_err_t pgio_fail(PGconn *conn, PGresult *res, const char *what, char *errstr,
                    size_t errstr_size);
/* PQexecParams with text parameters and text results. */
PGresult *pgio_exec_params(PGconn *conn, const char *sql, int n, const char *const *vals);
/* Runs one statement (text parameters); an error names what. */
swi_err_t pgio_exec_ok(PGconn *conn, const char *sql, int n, const char *const *vals,
                       const char *what, char *errstr, size_t errstr_size);
/* Runs COPY sql FROM STDIN with the bytes of b. */
swi_err_t pgio_copy_in(PGconn *conn, const char *sql, const pgio_buf_t *b, const char *what,
                       char *errstr, size_t errstr_size);

/* ---- migrations ------------------------------------------------------------ */

/* Applies the embedded migrations (sinks/migrations/NNN_name.sql) not yet
 * recorded in swi_ops.schema_migrations, each in its own transaction, under
 * a session advisory lock (several instances may start at once). *applied
 * gets how many ran now. The connection is idle afterwards (or broken). */
swi_err_t pgio_migrate(PGconn *conn, int *applied, char *errstr, size_t errstr_size);

#endif
