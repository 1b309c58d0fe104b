/* pg_cluster.h - helpers shared by the PostgreSQL side of the rules (private
 * to the swi_pg module): text buffers, sets of identity keys, loading a set
 * of identity clusters with all their events, deriving persons, and the
 * statement plumbing. Used by pg_trajectory.c (the trajectory step),
 * pg_publish.c (publications) and pg_live.c (the live current figures).
 *
 * Thread safety: no global state; buffers and sets belong to their caller. */
#ifndef SWI_PG_CLUSTER_H
#define SWI_PG_CLUSTER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/event.h"
#include "transform/indicators.h"
#include "transform/trajectory.h"

/* One identity key: kind and pseudonym (same layout as swi_person_key_t). */
typedef struct key_s {
        uint8_t kind; /* SWI_PKEY_BSN or SWI_PKEY_VNR */
        uint8_t ps[SWI_PSEUDO_LEN];
} key_t_;

/* A set of keys: pgc_keyset_add() appends, pgc_keyset_sort() sorts and
 * removes duplicates; lookups and indices need a sort after the last add. */
typedef struct keyset_s {
        key_t_ *v;
        size_t n, cap;
        size_t sorted; /* v[0..sorted) is sorted and unique */
} keyset_t;

/* A growable text buffer; oom is set once an append failed. */
typedef struct buf_s {
        char *p;
        size_t n, cap;
        int oom;
} buf_t;

/* One identity cluster among loaded events. */
typedef struct cluster_s {
        size_t root;    /* union-find root key index */
        int64_t from_k; /* oldest registered_at the batch added */
        size_t first, n; /* events in evp[first .. first+n) */
} cluster_t;

/* The events of a key set, grouped into clusters (pgc_load_clusters). */
typedef struct loaded_s {
        swi_event_t *evs;
        const swi_event_t **evp; /* by cluster: cl[c] is evp[first .. first+n) */
        size_t *parent;          /* union-find over ks's indices */
        size_t *evroot, *order;
        cluster_t *cl;           /* sorted by root */
        size_t nev, ncl;
} loaded_t;

/* A growable array of persons. */
typedef struct persons_s {
        swi_person_t *v;
        size_t n, cap;
} persons_t;

/* Wall clock in seconds (for phase timings). */
double pgc_now_s(void);
/* A libpq notice processor: server notices become debug log lines (one
 * line each) instead of raw text on stderr. */
void pgc_notice_to_log(void *arg, const char *message);
void pgc_buf_grow(buf_t *b, size_t need);
void pgc_buf_add(buf_t *b, const char *s, size_t len);
void pgc_buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pgc_buf_hex(buf_t *b, const uint8_t *ps);
/* The pseudonym in the first 64 hex digits of s (s may go on); 0 or -1. */
int pgc_parse_hex_prefix(const char *s, uint8_t out[SWI_PSEUDO_LEN]);
/* s is exactly one pseudonym in hex; 0 or -1. */
int pgc_parse_hex(const char *s, uint8_t out[SWI_PSEUDO_LEN]);
/* Appends a key (duplicates go at the next sort); 0, or -1 on out of memory. */
int pgc_keyset_add(keyset_t *s, uint8_t kind, const uint8_t *ps);
void pgc_keyset_sort(keyset_t *s);
long pgc_keyset_find(const keyset_t *s, uint8_t kind, const uint8_t *ps);
/* Comma-separated hex pseudonyms of one kind of s into b (a text parameter). */
void pgc_keys_param(const keyset_t *s, uint8_t kind, buf_t *b);
/* Puts what and PostgreSQL's message into errstr, clears res; SWI_ERR_PG. */
swi_err_t pgc_pg_fail(PGconn *conn, PGresult *res, const char *what, char *errstr,
                         size_t errstr_size);
PGresult *pgc_exec_params(PGconn *conn, const char *sql, int n, const char *const *vals);
/* Adds every identity edge touching a key of s to s (sorted after);
 * *added = how many keys were new. */
swi_err_t pgc_expand(PGconn *conn, keyset_t *s, int *added, char *errstr, size_t errstr_size);
/* One event from row r of a load query (source, type, id, bsn, vnr, date,
 * registered_at ms, corrects, retracts, payload); 0, or -1 when skipped. */
int pgc_row_to_event(PGresult *res, int r, swi_event_t *ev);
size_t pgc_uf_find(size_t *parent, size_t x);
void pgc_uf_union(size_t *parent, size_t a, size_t b);
/* A day in PostgreSQL's input syntax (not swi_date_format's: PostgreSQL reads
 * neither a '+' nor a negative year): years after 9999 unsigned, years before
 * 1 as "YYYY-MM-DD BC". buf has PGC_DATE_BUF bytes; returns buf. */
#define PGC_DATE_BUF (SWI_DATE_BUF + 3)
char *pgc_date_text(int64_t days, char *buf);
/* A time in ms since epoch as COPY timestamptz text (UTC). */
void pgc_add_ts(buf_t *b, int64_t ms);
const char *pgc_kind_name(uint8_t kind);
/* Runs COPY sql FROM STDIN with the text of b. */
swi_err_t pgc_copy_in(PGconn *conn, const char *sql, const buf_t *b, const char *what,
                         char *errstr, size_t errstr_size);
/* Runs one statement with text parameters; an error names what. */
swi_err_t pgc_exec_ok(PGconn *conn, const char *sql, int n, const char *const *vals,
                         const char *what, char *errstr, size_t errstr_size);
void pgc_loaded_free(loaded_t *ld);
/* Loads every stored event of the keys of ks (sorted, expanded) and groups
 * them into clusters. Free with pgc_loaded_free(). */
swi_err_t pgc_load_clusters(PGconn *conn, const keyset_t *ks, loaded_t *ld, char *errstr,
                               size_t errstr_size);
/* Room for one more person at the end of out (counted already); NULL on out
 * of memory. */
swi_person_t *pgc_persons_push(persons_t *out);
/* Resolves one cluster (events evp[0..n)) at K and appends its persons at P. */
swi_err_t pgc_derive_cluster_p(const swi_event_t *const *evp, size_t n, int64_t K, int32_t P,
                                  persons_t *out, char *errstr, size_t errstr_size);

/* The session advisory lock the live publisher holds ("SWILIVE"): one
 * publisher per database. */
#define PGC_LIVE_LOCK 0x5357494C495645LL

/* ---- persons handed from the trajectory step to the live publisher ----
 * A blob is a header (magic, sizeof(swi_person_t), a tag of the person rules
 * this build was made from, P) followed by the persons byte for byte
 * (swi_person_t is a value type, zeroed before it is derived). Another
 * build's blob - other rules, other layout - is refused, never guessed at. */
#define PGC_PERSONS_HDR 24
/* Empties b and writes the header of a blob of persons derived at P. */
void pgc_persons_begin(buf_t *b, int32_t P);
void pgc_persons_add(buf_t *b, const swi_person_t *p);
/* The number of persons in blob[0..len), *P their peildatum; -1 when the blob
 * is malformed or from a build with other person rules. Person i starts at
 * blob + PGC_PERSONS_HDR + i * sizeof(swi_person_t), unaligned: copy it out. */
long pgc_persons_check(const uint8_t *blob, size_t len, int32_t *P);

/* ---- publications (pg_publish.c), also used by the live publisher ---- */

/* Every person at (P, K) from all stored events, appended to *out; counts
 * events read and clusters. Inside the caller's transaction. */
swi_err_t pgc_load_all_persons(PGconn *conn, int64_t K, int32_t P, persons_t *out,
                               int64_t *events, int64_t *clusters, char *errstr,
                               size_t errstr_size);

/* The generated column swi_pub.indicator_values.cell of r, as a COPY text
 * field (no delimiter after it). */
void pgc_add_cell(buf_t *b, const swi_ind_row_t *r);
/* One COPY line of swi.indicator_raw (peildatum, cell, raw_num, raw_den): the
 * unrounded value of r, for researchers (migration 008). */
void pgc_add_raw_line(buf_t *b, const swi_ind_row_t *r, int32_t P);
/* COPY column lists of swi.indicator_raw. */
#define PGC_RAW_COPY "COPY swi.indicator_raw (peildatum, cell, raw_num, raw_den) FROM STDIN"

/* Replaces every value of publication name (creating or updating its row:
 * P, known_at as text, parameters) with rows, whose known_at column is
 * row_k, and their unrounded values in swi.indicator_raw. b is scratch.
 * Inside the caller's transaction. */
swi_err_t pgc_write_publication(PGconn *conn, const char *name, int32_t P, const char *known_at,
                                int64_t row_k, int64_t base, int64_t thr,
                                const char *description, const swi_ind_rows_t *rows, buf_t *b,
                                char *errstr, size_t errstr_size);

#endif
