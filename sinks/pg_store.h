/* pg_store.h - the cluster store (private to the swi_pg module): the identity
 * clusters in PostgreSQL - sets of identity keys expanded over the identity and
 * reference edges, loading a set of clusters with all their events, loading
 * every cluster, deriving their persons. Used by the trajectory step
 * (pg_trajectory.c), publications (pg_publish.c) and the live publisher
 * (pg_live.c). Statements and buffers come from pg_io.h; the grouping into
 * clusters from transform/identity.h.
 *
 * Thread safety: no global state; key sets and loaded clusters belong to their
 * caller; a connection to one thread at a time. */
#ifndef SWI_PG_STORE_H
#define SWI_PG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_io.h"
#include "transform/identity.h"
#include "transform/indicators.h"
#include "transform/trajectory.h"

/* A set of keys: pgs_keyset_add() appends, pgs_keyset_sort() sorts and
 * removes duplicates; lookups and indices need a sort after the last add. */
typedef struct pgs_keyset_s {
        swi_person_key_t *v;
        size_t n, cap;
        size_t sorted; /* v[0..sorted) is sorted and unique */
} pgs_keyset_t;

/* The events of a key set, grouped into identity clusters
 * (pgs_load_clusters; transform/identity.h). */
typedef struct pgs_loaded_s {
        swi_event_t *evs;
        size_t nev;
        swi_idmap_t *map; /* the key set's keys and the events', linked */
        swi_idgroups_t g; /* cluster c: g.evp[g.first[c] .. g.first[c + 1]) */
} pgs_loaded_t;

/* A growable array of persons. */
typedef struct pgs_persons_s {
        swi_person_t *v;
        size_t n, cap;
} pgs_persons_t;

/* Appends a key (duplicates go at the next sort); 0, or -1 on out of memory. */
int pgs_keyset_add(pgs_keyset_t *s, uint8_t kind, const uint8_t *ps);
void pgs_keyset_sort(pgs_keyset_t *s);
long pgs_keyset_find(const pgs_keyset_t *s, uint8_t kind, const uint8_t *ps);
/* Comma-separated hex pseudonyms of one kind of s into b (a text parameter). */
void pgs_keys_param(const pgs_keyset_t *s, uint8_t kind, pgio_buf_t *b);
/* Adds every identity and reference edge touching a key of s to s (sorted
 * after); *added = how many keys were new. */
swi_err_t pgs_expand(PGconn *conn, pgs_keyset_t *s, int *added, char *errstr, size_t errstr_size);
/* One event from row r of a load query (source, type, id, bsn, vnr, date,
 * registered_at ms, corrects, retracts, payload); 0, or -1 when skipped. */
int pgs_row_to_event(PGresult *res, int r, swi_event_t *ev);
const char *pgs_kind_name(uint8_t kind);
/* SWI_PKEY_BSN for "BSN", SWI_PKEY_VNR for "VNR", else 0. */
uint8_t pgs_kind_parse(const char *s);
void pgs_loaded_free(pgs_loaded_t *ld);
/* Loads every stored event of the keys of ks (sorted, expanded) and groups
 * them into clusters; every key of ks is in ld->map. Free with
 * pgs_loaded_free(). */
swi_err_t pgs_load_clusters(PGconn *conn, const pgs_keyset_t *ks, pgs_loaded_t *ld, char *errstr,
                               size_t errstr_size);
/* Room for one more person at the end of out (counted already); NULL on out
 * of memory. */
swi_person_t *pgs_persons_push(pgs_persons_t *out);
/* Resolves one cluster (events evp[0..n)) at K and appends its persons at P. */
swi_err_t pgs_derive_cluster_p(const swi_event_t *const *evp, size_t n, int64_t K, int32_t P,
                                  pgs_persons_t *out, char *errstr, size_t errstr_size);

/* The session advisory lock the live publisher holds ("SWILIVE"): one
 * publisher per database. */
#define PGS_LIVE_LOCK 0x5357494C495645LL

/* ---- persons handed from the trajectory step to the live publisher ----
 * A blob is a header (magic, sizeof(swi_person_t), a tag of the person rules
 * this build was made from, P) followed by the persons byte for byte
 * (swi_person_t is a value type, zeroed before it is derived). Another
 * build's blob - other rules, other layout - is refused, never guessed at. */
#define PGS_PERSONS_HDR 24
/* Empties b and writes the header of a blob of persons derived at P. */
void pgs_persons_begin(pgio_buf_t *b, int32_t P);
void pgs_persons_add(pgio_buf_t *b, const swi_person_t *p);
/* The number of persons in blob[0..len), *P their peildatum; -1 when the blob
 * is malformed or from a build with other person rules. Person i starts at
 * blob + PGS_PERSONS_HDR + i * sizeof(swi_person_t), unaligned: copy it out. */
long pgs_persons_check(const uint8_t *blob, size_t len, int32_t *P);

/* ---- publications (pg_publish.c), also used by the live publisher ---- */

/* Every person at (P, K) from all stored events, appended to *out; counts
 * events read and clusters. Inside the caller's transaction. */
swi_err_t pgs_load_all_persons(PGconn *conn, int64_t K, int32_t P, pgs_persons_t *out,
                               int64_t *events, int64_t *clusters, char *errstr,
                               size_t errstr_size);

/* Replaces every value of publication name (creating or updating its row:
 * P, known_at as text, parameters) with rows, whose known_at column is
 * row_k. b is scratch. Inside the caller's transaction. */
swi_err_t pgs_write_publication(PGconn *conn, const char *name, int32_t P, const char *known_at,
                                int64_t row_k, int64_t base, int64_t thr,
                                const char *description, const swi_ind_rows_t *rows, pgio_buf_t *b,
                                char *errstr, size_t errstr_size);

#endif
