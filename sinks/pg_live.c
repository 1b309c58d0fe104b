/* pg_live.c - the live current figures; see pg_live.h. */
#include "pg_live.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "common/log.h"
#include "pg_store.h"
#include "transform/indicators.h"

/* The queue rows a round took in (id, commit time in ms) and, once written,
 * their lags (seconds). */
typedef struct taken_row_s {
        int64_t id, ms;
} taken_row_t;

typedef struct taken_s {
        taken_row_t *v;
        size_t n, cap;
        double *lags;
        size_t nlags, lagcap;
} taken_t;

struct swi_live_s {
        char *conninfo;
        PGconn *conn;  /* reader: the lock, LISTEN, each round's snapshot */
        PGconn *wconn; /* writer: 'actueel' and deleting the queue rows taken */
        bool leader;
        bool overlap; /* a round's write runs on while the next round computes */
        int64_t base, threshold;
        int32_t P;          /* peildatum of the persons held; SWI_DATE_NONE = none */
        pgs_persons_t persons;  /* every person at (P, everything stored) */
        uint32_t *slot;     /* open addressing: person index + 1, 0 = empty */
        size_t nslots;      /* a power of two */
        /* what swi_pub.indicator_values holds for 'actueel' at P (written by
         * the last round; not used by a rebuild, which rewrites everything) */
        swi_ind_rows_t rows;
        swi_ind_rows_t next;  /* the round being computed */
        swi_ind_rows_t spare; /* the second compute thread's rows, kept warm */
        taken_t took;         /* the queue rows of the round being computed */
        /* the write: of wrows (the figures) and wtook (the queue rows), on
         * wconn; in a thread of its own when overlapping */
        swi_ind_rows_t wrows;
        taken_t wtook;
        bool writing;  /* a write was started and not yet collected */
        bool threaded; /* ... in thread writer */
        pthread_t writer;
        int done_fd[2]; /* a pipe: the writer thread writes a byte when it ends */
        swi_live_stats_t wst; /* the written round's statistics (rebuild: rewrite all) */
        swi_err_t wrc;
        char werr[1024];
        pgio_buf_t b;  /* the writer's */
        pgio_buf_t rb; /* the reader's */
        long rounds;
};

swi_live_t *swi_live_new(const char *conninfo, int64_t rounding_base, int64_t threshold)
{
        swi_live_t *l = calloc(1, sizeof(*l));
        if (!l)
                return NULL;
        l->conninfo = strdup(conninfo);
        if (!l->conninfo) {
                free(l);
                return NULL;
        }
        l->base = rounding_base;
        l->threshold = threshold;
        l->P = SWI_DATE_NONE;
        if (pipe2(l->done_fd, O_CLOEXEC | O_NONBLOCK) != 0) {
                free(l->conninfo);
                free(l);
                return NULL;
        }
        return l;
}

static void taken_free(taken_t *t)
{
        free(t->v);
        free(t->lags);
        memset(t, 0, sizeof(*t));
}

/* Waits for the write in flight, if any; its outcome is in wrc / werr. */
static void live_join(swi_live_t *l)
{
        char c[16];
        if (l->writing && l->threaded) {
                pthread_join(l->writer, NULL);
                while (read(l->done_fd[0], c, sizeof(c)) > 0)
                        ;
        }
        l->threaded = false;
}

static void live_drop(swi_live_t *l)
{
        live_join(l);
        l->writing = false;
        PQfinish(l->conn);
        l->conn = NULL;
        PQfinish(l->wconn);
        l->wconn = NULL;
        l->leader = false;
        l->P = SWI_DATE_NONE; /* the next round rebuilds and rewrites everything */
}

void swi_live_free(swi_live_t *l)
{
        if (!l)
                return;
        live_drop(l);
        free(l->conninfo);
        free(l->persons.v);
        free(l->slot);
        swi_ind_rows_free(&l->rows);
        swi_ind_rows_free(&l->next);
        swi_ind_rows_free(&l->spare);
        swi_ind_rows_free(&l->wrows);
        taken_free(&l->took);
        taken_free(&l->wtook);
        free(l->b.p);
        free(l->rb.p);
        close(l->done_fd[0]);
        close(l->done_fd[1]);
        free(l);
}

/* Hash slot of an identity key (a person key or a swi_person_key_t). */
static size_t slot_of(uint8_t kind, const uint8_t *ps, size_t mask)
{
        uint64_t h;
        memcpy(&h, ps, sizeof(h)); /* pseudonyms are HMAC output: already uniform */
        h ^= (uint64_t)kind * 0x9E3779B97F4A7C15ULL;
        return (size_t)(h ^ h >> 29) & mask;
}

/* Rebuilds the key index over l->persons. */
static swi_err_t live_index(swi_live_t *l)
{
        size_t need = 64;
        while (need < 2 * l->persons.n)
                need <<= 1;
        if (need != l->nslots) {
                uint32_t *s = calloc(need, sizeof(*s));
                if (!s)
                        return SWI_ERR_NOMEM;
                free(l->slot);
                l->slot = s;
                l->nslots = need;
        } else {
                memset(l->slot, 0, need * sizeof(*l->slot));
        }
        for (size_t i = 0; i < l->persons.n; i++) {
                const swi_person_key_t *k = &l->persons.v[i].key;
                size_t h = slot_of(k->kind, k->ps, l->nslots - 1);
                while (l->slot[h])
                        h = (h + 1) & (l->nslots - 1);
                l->slot[h] = (uint32_t)(i + 1);
        }
        return SWI_OK;
}

/* The index of the person held under a key, or -1. */
static long live_find(const swi_live_t *l, const swi_person_key_t *k)
{
        if (!l->nslots)
                return -1;
        size_t h = slot_of(k->kind, k->ps, l->nslots - 1);
        while (l->slot[h]) {
                size_t i = l->slot[h] - 1;
                const swi_person_key_t *pk = &l->persons.v[i].key;
                if (pk->kind == k->kind && memcmp(pk->ps, k->ps, SWI_PSEUDO_LEN) == 0)
                        return (long)i;
                h = (h + 1) & (l->nslots - 1);
        }
        return -1;
}

static int cmp_long_desc(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;
        return (x < y) - (x > y);
}

/* Removes the persons held under any of the n keys (the index must be
 * current; it is stale afterwards). */
static swi_err_t live_remove(swi_live_t *l, const swi_person_key_t *keys, size_t n)
{
        long *gone = malloc((n ? n : 1) * sizeof(*gone));
        size_t ngone = 0;
        if (!gone)
                return SWI_ERR_NOMEM;
        for (size_t i = 0; i < n; i++) {
                long at = live_find(l, &keys[i]);
                if (at >= 0)
                        gone[ngone++] = at;
        }
        /* swap-remove from the highest index down: the last element is never
         * one still to be removed */
        qsort(gone, ngone, sizeof(*gone), cmp_long_desc);
        for (size_t i = 0; i < ngone; i++) {
                if (i && gone[i] == gone[i - 1])
                        continue;
                size_t last = l->persons.n - 1;
                if ((size_t)gone[i] != last)
                        l->persons.v[gone[i]] = l->persons.v[last];
                l->persons.n--;
        }
        free(gone);
        return SWI_OK;
}

/* Replaces the persons of the clusters of ks (expanded, sorted) by those
 * derived now from their stored events at (P, everything stored). */
static swi_err_t live_apply(swi_live_t *l, const pgs_keyset_t *ks, int64_t *clusters, char *errstr,
                            size_t errstr_size)
{
        pgs_loaded_t ld = {0};
        swi_err_t rc = pgs_load_clusters(l->conn, ks, &ld, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        if (live_remove(l, ks->v, ks->n) != SWI_OK)
                goto nomem;
        for (size_t c = 0; c < ld.g.n; c++) {
                rc = pgs_derive_cluster_p(ld.g.evp + ld.g.first[c],
                                          ld.g.first[c + 1] - ld.g.first[c], SWI_K_ALL, l->P,
                                          &l->persons, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        *clusters = (int64_t)ld.g.n;
        rc = live_index(l);
        if (rc != SWI_OK)
                goto nomem;
        goto done;
nomem:
        snprintf(errstr, errstr_size, "live figures: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        pgs_loaded_free(&ld);
        return rc;
}

/* The latest queue row (in queue order) that names each key. */
typedef struct latest_s {
        swi_person_key_t *key; /* NULL = empty slot */
        int row;
} latest_t;

static latest_t *latest_at(latest_t *t, size_t mask, const swi_person_key_t *k)
{
        size_t h = slot_of(k->kind, k->ps, mask);
        while (t[h].key && memcmp(t[h].key, k, sizeof(*k)) != 0)
                h = (h + 1) & mask;
        return &t[h];
}

/* Takes in the drained queue rows of res (binary: keys, persons, committed
 * ms; in queue order). The persons a batch handed over (derived at l->P by a
 * build with the same person rules) replace those held under the keys of its
 * clusters; rows without usable persons have their clusters re-derived from
 * the snapshot's events, after the others (newer than any row). Because a
 * batch holds the locks of all its clusters' keys until it commits, a later
 * queue row for a key saw the earlier ones' events: for each key the latest
 * row wins, and a handed person is taken only from the latest row naming its
 * key. */
static swi_err_t live_take(swi_live_t *l, PGresult *res, int64_t *handed, int64_t *clusters,
                           char *errstr, size_t errstr_size)
{
        const size_t klen = 1 + SWI_PSEUDO_LEN;
        int nrows = PQntuples(res);
        size_t total = 0, cap = 64;
        latest_t *t = NULL;
        swi_person_key_t *keys = NULL;
        long *np = NULL; /* per row: persons it hands over, -1 = none usable */
        pgs_keyset_t ks = {0};
        swi_err_t rc = SWI_OK;

        for (int r = 0; r < nrows; r++)
                total += (size_t)PQgetlength(res, r, 0) / klen;
        while (cap < 2 * total)
                cap <<= 1;
        t = calloc(cap, sizeof(*t));
        keys = malloc((total ? total : 1) * sizeof(*keys));
        np = malloc((nrows ? (size_t)nrows : 1) * sizeof(*np));
        if (!t || !keys || !np)
                goto nomem;
        total = 0;
        for (int r = 0; r < nrows; r++) {
                const uint8_t *kb = (const uint8_t *)PQgetvalue(res, r, 0);
                size_t nk = (size_t)PQgetlength(res, r, 0) / klen;
                int32_t P = SWI_DATE_NONE;
                np[r] = PQgetisnull(res, r, 1)
                                ? -1
                                : pgs_persons_check((const uint8_t *)PQgetvalue(res, r, 1),
                                                    (size_t)PQgetlength(res, r, 1), &P);
                if (P != l->P)
                        np[r] = -1;
                for (size_t i = 0; i < nk; i++) {
                        swi_person_key_t *k = &keys[total];
                        k->kind = kb[i * klen];
                        memcpy(k->ps, kb + i * klen + 1, SWI_PSEUDO_LEN);
                        if (k->kind != SWI_PKEY_BSN && k->kind != SWI_PKEY_VNR)
                                continue;
                        latest_t *e = latest_at(t, cap - 1, k);
                        if (!e->key) {
                                e->key = k;
                                total++;
                        }
                        e->row = r;
                        if (np[r] < 0 && pgs_keyset_add(&ks, k->kind, k->ps) < 0)
                                goto nomem;
                }
        }
        /* every key named: its persons go (the index is current) */
        if (live_remove(l, keys, total) != SWI_OK)
                goto nomem;
        for (int r = 0; r < nrows; r++) {
                const uint8_t *blob = (const uint8_t *)PQgetvalue(res, r, 1);
                for (long i = 0; i < np[r]; i++) {
                        swi_person_t p;
                        swi_person_key_t k;
                        memcpy(&p, blob + PGS_PERSONS_HDR + (size_t)i * sizeof(p), sizeof(p));
                        k.kind = p.key.kind;
                        memcpy(k.ps, p.key.ps, SWI_PSEUDO_LEN);
                        latest_t *e = latest_at(t, cap - 1, &k);
                        if (e->key && e->row != r)
                                continue; /* a later batch re-derived this person's cluster */
                        swi_person_t *to = pgs_persons_push(&l->persons);
                        if (!to)
                                goto nomem;
                        *to = p;
                        (*handed)++;
                }
        }
        rc = live_index(l);
        if (rc != SWI_OK)
                goto nomem;
        if (ks.n) {
                int added;
                do {
                        rc = pgs_expand(l->conn, &ks, &added, errstr, errstr_size);
                        if (rc != SWI_OK)
                                goto done;
                } while (added > 0);
                rc = live_apply(l, &ks, clusters, errstr, errstr_size);
        }
        goto done;
nomem:
        snprintf(errstr, errstr_size, "live figures: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        free(t);
        free(keys);
        free(np);
        free(ks.v);
        return rc;
}

static bool same_cell(const swi_ind_row_t *a, const swi_ind_row_t *b)
{
        if (a->breakdown != b->breakdown || a->measure != b->measure || a->ndims != b->ndims ||
            strcmp(a->cohort, b->cohort) != 0 || strcmp(a->doelgroep, b->doelgroep) != 0)
                return false;
        for (int d = 0; d < a->ndims; d++)
                if (strcmp(a->dim_value[d], b->dim_value[d]) != 0)
                        return false;
        return true;
}

static bool same_value(const swi_ind_row_t *a, const swi_ind_row_t *b)
{
        return a->value == b->value && a->onderdrukt == b->onderdrukt &&
               a->undefined == b->undefined && a->reden == b->reden && a->decimals == b->decimals;
}

static uint64_t fnv(uint64_t h, const char *s)
{
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
        return (h ^ 0x1f) * 0x100000001b3ULL;
}

static uint64_t cell_hash(const swi_ind_row_t *r)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        h = fnv(h, r->breakdown);
        h = fnv(h, r->cohort);
        h = fnv(h, r->doelgroep);
        for (int d = 0; d < r->ndims; d++)
                h = fnv(h, r->dim_value[d]);
        return fnv(h, r->measure);
}

/* A cell key as one COPY line. */
static void add_cell(pgio_buf_t *b, const swi_ind_row_t *r)
{
        pgs_add_cell(b, r);
        pgio_buf_add(b, "\n", 1);
}

/* For every row of nw, the index of the same cell in old or -1:
 * by position when the cells are the same in the same order (the common
 * case), else through a hash of the cells. */
static swi_err_t live_match(const swi_ind_rows_t *old, const swi_ind_rows_t *nw, long *old_of)
{
        bool same = old->n == nw->n;
        for (size_t i = 0; same && i < nw->n; i++)
                same = same_cell(&old->v[i], &nw->v[i]);
        if (same) {
                for (size_t i = 0; i < nw->n; i++)
                        old_of[i] = (long)i;
                return SWI_OK;
        }
        size_t cap = 64;
        while (cap < 2 * old->n)
                cap <<= 1;
        uint32_t *slot = calloc(cap, sizeof(*slot));
        if (!slot)
                return SWI_ERR_NOMEM;
        for (size_t i = 0; i < old->n; i++) {
                size_t h = (size_t)cell_hash(&old->v[i]) & (cap - 1);
                while (slot[h])
                        h = (h + 1) & (cap - 1);
                slot[h] = (uint32_t)(i + 1);
        }
        for (size_t i = 0; i < nw->n; i++) {
                size_t h = (size_t)cell_hash(&nw->v[i]) & (cap - 1);
                old_of[i] = -1;
                while (slot[h]) {
                        if (same_cell(&old->v[slot[h] - 1], &nw->v[i])) {
                                old_of[i] = (long)slot[h] - 1;
                                break;
                        }
                        h = (h + 1) & (cap - 1);
                }
        }
        free(slot);
        return SWI_OK;
}

/* COPYs b into a temporary table (copy_sql), then runs stmt; *affected
 * receives its row count. copy_what and what name them in a message. */
static swi_err_t copy_then(swi_live_t *l, const char *copy_sql, const pgio_buf_t *b,
                           const char *copy_what, const char *stmt, const char *what,
                           size_t *affected, char *errstr, size_t errstr_size)
{
        swi_err_t rc = pgio_copy_in(l->wconn, copy_sql, b, copy_what, errstr, errstr_size);
        if (rc != SWI_OK)
                return rc;
        PGresult *res = PQexec(l->wconn, stmt);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
                return pgio_fail(l->wconn, res, what, errstr, errstr_size);
        *affected = (size_t)atol(PQcmdTuples(res));
        PQclear(res);
        return SWI_OK;
}

/* Writes l->wrows as 'actueel' on the writer connection. Unless rewrite is
 * set (a rebuild: first round, new P), the table holds l->rows (what this
 * publisher wrote last):
 * updates the values that changed, inserts new cells and deletes cells that
 * are gone - in swi_pub.indicator_values, and likewise their unrounded
 * values in swi.indicator_raw (which change more often: a count can move
 * without its rounded value moving). Otherwise, or when the tables turn out
 * to differ, replaces everything; *full says so. */
static swi_err_t live_write(swi_live_t *l, bool rewrite, bool *full, int64_t *written,
                            char *errstr, size_t errstr_size)
{
        static const char cols[] =
                "(peildatum, known_at, family, breakdown, cohort, doelgroep, dim1_name, dim1_value, "
                "dim2_name, dim2_value, dim3_name, dim3_value, measure, unit, value, onderdrukt, "
                "reden, noemer)";
        swi_err_t rc = SWI_OK;
        long *old_of = NULL;
        bool *used = NULL;
        pgio_buf_t ins = {0}, del = {0}, raw = {0}, rawins = {0};
        size_t nupd = 0, nins = 0, ndel = 0, nraw = 0, affected = 0;
        char sql[512], pbuf[SWI_DATE_BUF];

        *full = rewrite;
        *written = 0;
        if (rewrite)
                goto rewrite;
        old_of = malloc((l->wrows.n ? l->wrows.n : 1) * sizeof(*old_of));
        used = calloc(l->rows.n ? l->rows.n : 1, sizeof(*used));
        if (!old_of || !used || live_match(&l->rows, &l->wrows, old_of) != SWI_OK)
                goto nomem;
        l->b.n = 0;
        for (size_t i = 0; i < l->wrows.n; i++) {
                char line[1024];
                const swi_ind_row_t *r = &l->wrows.v[i];
                if (old_of[i] >= 0) {
                        const swi_ind_row_t *o = &l->rows.v[old_of[i]];
                        used[old_of[i]] = true;
                        if (o->raw_num != r->raw_num || o->raw_den != r->raw_den) {
                                pgs_add_cell(&raw, r);
                                pgio_buf_printf(&raw, "\t%lld\t%lld\n", (long long)r->raw_num,
                                               (long long)r->raw_den);
                                nraw++;
                        }
                        if (same_value(o, r))
                                continue;
                }
                int len = swi_ind_row_copy_line(r, l->P, SWI_K_ALL, line, sizeof(line));
                if (len <= 0)
                        continue;
                if (old_of[i] >= 0) {
                        pgio_buf_add(&l->b, line, (size_t)len);
                        nupd++;
                } else {
                        pgio_buf_add(&ins, line, (size_t)len);
                        pgs_add_raw_line(&rawins, r, l->P);
                        nins++;
                }
        }
        for (size_t j = 0; j < l->rows.n; j++)
                if (!used[j]) {
                        add_cell(&del, &l->rows.v[j]);
                        ndel++;
                }
        if (l->b.oom || ins.oom || del.oom || raw.oom || rawins.oom)
                goto nomem;
        rc = pgio_exec_ok(l->wconn,
                     "UPDATE swi_pub.publications SET known_at = now() WHERE name = 'actueel'", 0,
                     NULL, "touch publication", errstr, errstr_size);
        if (rc != SWI_OK || nupd + nins + ndel + nraw == 0)
                goto done;
        swi_date_format(l->P, pbuf);
        if (nupd) {
                char copy[512];
                snprintf(copy, sizeof(copy), "COPY tmp_live %s FROM STDIN", cols);
                snprintf(sql, sizeof(sql),
                         "UPDATE swi_pub.indicator_values v SET value = t.value, "
                         "onderdrukt = t.onderdrukt, reden = t.reden FROM tmp_live t "
                         "WHERE v.publication = 'actueel' AND v.peildatum = '%s' "
                         "AND v.cell = t.cell",
                         pbuf);
                rc = copy_then(l, copy, &l->b, "COPY changed values", sql, "update changed values",
                               &affected, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                if (affected != nupd)
                        goto differs;
        }
        if (nraw) {
                snprintf(sql, sizeof(sql),
                         "UPDATE swi.indicator_raw r SET raw_num = t.raw_num, raw_den = t.raw_den "
                         "FROM tmp_live_raw t WHERE r.publication = 'actueel' "
                         "AND r.peildatum = '%s' AND r.cell = t.cell",
                         pbuf);
                rc = copy_then(l, "COPY tmp_live_raw FROM STDIN", &raw, "COPY changed raw values",
                               sql, "update changed raw values", &affected, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                if (affected != nraw)
                        goto differs;
        }
        if (ndel) {
                snprintf(sql, sizeof(sql),
                         "DELETE FROM swi_pub.indicator_values v USING tmp_live_gone g "
                         "WHERE v.publication = 'actueel' AND v.peildatum = '%s' AND v.cell = g.cell",
                         pbuf);
                rc = copy_then(l, "COPY tmp_live_gone FROM STDIN", &del, "COPY gone cells", sql,
                               "delete gone cells", &affected, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                if (affected != ndel)
                        goto differs;
                snprintf(
                    sql, sizeof(sql),
                    "DELETE FROM swi.indicator_raw r USING tmp_live_gone g "
                    "WHERE r.publication = 'actueel' AND r.peildatum = '%s' AND r.cell = g.cell",
                    pbuf);
                PGresult *res = PQexec(l->wconn, sql);
                if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                        rc = pgio_fail(l->wconn, res, "delete gone raw values", errstr,
                                         errstr_size);
                        goto done;
                }
                affected = (size_t)atol(PQcmdTuples(res));
                PQclear(res);
                if (affected != ndel)
                        goto differs;
        }
        if (nins) {
                rc = pgio_exec_ok(l->wconn, "SELECT set_config('swi.publication', 'actueel', true)", 0,
                             NULL, "select publication", errstr, errstr_size);
                snprintf(sql, sizeof(sql), "COPY swi_pub.indicator_values %s FROM STDIN", cols);
                if (rc == SWI_OK)
                        rc = pgio_copy_in(l->wconn, sql, &ins, "COPY new cells", errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = pgio_copy_in(l->wconn, PGS_RAW_COPY, &rawins, "COPY new raw values",
                                         errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        *written = (int64_t)(nupd + nins + ndel);
        goto done;
differs:
        /* the table is not what this publisher wrote last (another writer) */
        SWI_LOG_W("publish", "current figures differ from the last round; rewriting",
                  "updates=%zu deletes=%zu affected=%zu", nupd, ndel, affected);
rewrite:
        *full = true;
        rc = pgs_write_publication(l->wconn, "actueel", l->P, "now", SWI_K_ALL, l->base, l->threshold,
                               NULL, &l->wrows, &l->b, errstr, errstr_size);
        *written = (int64_t)l->wrows.n;
        goto done;
nomem:
        snprintf(errstr, errstr_size, "live figures: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        free(old_of);
        free(used);
        free(ins.p);
        free(del.p);
        free(raw.p);
        free(rawins.p);
        return rc;
}

static int taken_push(taken_t *t, int64_t id, int64_t ms)
{
        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 64;
                taken_row_t *v = realloc(t->v, cap * sizeof(*v));
                if (!v)
                        return -1;
                t->v = v;
                t->cap = cap;
        }
        t->v[t->n++] = (taken_row_t){id, ms};
        return 0;
}

/* The ids (or, with ms, the commit times) of the first n rows of t as a
 * PostgreSQL array literal in b (reset first). */
static void array_of(pgio_buf_t *b, const taken_t *t, size_t n, bool ms)
{
        b->n = 0;
        pgio_buf_add(b, "{", 1);
        for (size_t i = 0; i < n; i++)
                pgio_buf_printf(b, "%s%lld", i ? "," : "",
                               (long long)(ms ? t->v[i].ms : t->v[i].id));
        pgio_buf_add(b, "}", 1);
        pgio_buf_add(b, "", 1); /* NUL */
}

/* Deletes the queue rows the written round took in, in its transaction:
 * all of them must still be there (no other publisher took them). */
static swi_err_t live_delete_taken(swi_live_t *l, char *errstr, size_t errstr_size)
{
        if (l->wtook.n == 0)
                return SWI_OK;
        array_of(&l->b, &l->wtook, l->wtook.n, false);
        if (l->b.oom)
                return SWI_ERR_NOMEM;
        const char *vals[1] = {l->b.p};
        PGresult *res = pgio_exec_params(
                l->wconn, "DELETE FROM swi_ops.publish_queue WHERE id = ANY ($1::bigint[])", 1, vals);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
                return pgio_fail(l->wconn, res, "delete the queue rows taken", errstr, errstr_size);
        size_t gone = (size_t)atol(PQcmdTuples(res));
        PQclear(res);
        if (gone != l->wtook.n) {
                snprintf(errstr, errstr_size,
                         "live figures: %zu of the %zu queue rows this round took were gone "
                         "(another publisher?)",
                         l->wtook.n - gone, l->wtook.n);
                return SWI_ERR_PG;
        }
        return SWI_OK;
}

/* After the write's COMMIT: one swi_ops.publish_lag row per batch it took;
 * the lags come back (server clock on both ends). */
static swi_err_t live_record_lags(swi_live_t *l, char *errstr, size_t errstr_size)
{
        taken_t *t = &l->wtook;
        swi_err_t rc = SWI_OK;

        t->nlags = 0;
        if (t->n == 0)
                return SWI_OK;
        if (t->lagcap < t->n) {
                double *q = realloc(t->lags, t->cap * sizeof(*q));
                if (!q)
                        return SWI_ERR_NOMEM;
                t->lags = q;
                t->lagcap = t->cap;
        }
        array_of(&l->b, t, t->n, true);
        if (l->b.oom)
                return SWI_ERR_NOMEM;
        const char *vals[2] = {l->b.p, l->wst.rebuild ? "rebuild" : "delta"};
        PGresult *res = pgio_exec_params(
                l->wconn,
                "INSERT INTO swi_ops.publish_lag (committed_at, published_at, round_kind) "
                "SELECT timestamptz 'epoch' + x * interval '1 millisecond', clock_timestamp(), $2 "
                "FROM unnest($1::bigint[]) x "
                "RETURNING extract(epoch FROM published_at - committed_at)::float8",
                2, vals);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return pgio_fail(l->wconn, res, "record freshness", errstr, errstr_size);
        for (int r = 0; r < PQntuples(res) && (size_t)r < t->lagcap; r++)
                t->lags[t->nlags++] = atof(PQgetvalue(res, r, 0));
        PQclear(res);
        if (++l->rounds % 1000 == 1)
                rc = pgio_exec_ok(l->wconn,
                             "DELETE FROM swi_ops.publish_lag WHERE published_at < now() - interval '7 days'",
                             0, NULL, "prune freshness records", errstr, errstr_size);
        return rc;
}

/* The write of a round: l->wrows as 'actueel' and the deletion of the queue
 * rows it took (l->wtook), in one transaction on the writer connection;
 * then the freshness records. Outcome in l->wrc / l->werr, statistics in
 * l->wst. Touches only the writer's part of l (see struct swi_live_s). */
static void *live_write_main(void *arg)
{
        swi_live_t *l = arg;
        double t0 = pgio_now_s();
        bool full = false;
        char *err = l->werr;
        size_t esz = sizeof(l->werr);
        swi_err_t rc = pgio_exec_ok(l->wconn, "BEGIN", 0, NULL, "BEGIN", err, esz);
        if (rc == SWI_OK)
                rc = live_write(l, l->wst.rebuild, &full, &l->wst.rows_written, err, esz);
        if (rc == SWI_OK)
                rc = live_delete_taken(l, err, esz);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(l->wconn, "COMMIT", 0, NULL, "COMMIT", err, esz);
        else
                PQclear(PQexec(l->wconn, "ROLLBACK"));
        if (rc == SWI_OK)
                rc = live_record_lags(l, err, esz);
        if (rc == SWI_OK && full) /* every row replaced: fresh statistics for the planner */
                rc = pgio_exec_ok(l->wconn, "ANALYZE swi_pub.indicator_values", 0, NULL,
                             "analyze indicator values", err, esz);
        if (rc == SWI_ERR_NOMEM && !err[0])
                snprintf(err, esz, "live figures: out of memory");
        l->wst.rows = (int64_t)l->wrows.n;
        l->wst.seconds_write = pgio_now_s() - t0;
        l->wst.seconds += l->wst.seconds_write;
        l->wrc = rc;
        if (l->threaded && write(l->done_fd[1], "", 1) < 0 && errno != EAGAIN)
                SWI_LOG_W("publish", "cannot signal the end of a write", "errno=%d", errno);
        return NULL;
}

/* Starts the write of the round just computed (l->next, l->took; its
 * statistics so far in *st, st->rebuild: rewrite everything): in a thread
 * when overlapping, else here. */
static void live_start_write(swi_live_t *l, const swi_live_stats_t *st)
{
        swi_ind_rows_t r = l->wrows;
        l->wrows = l->next;
        l->next = r;
        taken_t t = l->wtook;
        l->wtook = l->took;
        l->took = t;
        l->took.n = 0;
        l->wst = *st;
        l->wrc = SWI_OK;
        l->werr[0] = '\0';
        l->writing = true;
        l->threaded = l->overlap; /* before the thread starts: it reads it at its end */
        if (l->threaded && pthread_create(&l->writer, NULL, live_write_main, l) != 0)
                l->threaded = false;
        if (!l->threaded)
                live_write_main(l);
}

/* Waits for the write started last and collects it: on success the table
 * holds its figures (l->rows) and *st describes its round. */
static swi_err_t live_collect(swi_live_t *l, swi_live_stats_t *st, char *errstr, size_t errstr_size)
{
        live_join(l);
        l->writing = false;
        if (l->wrc != SWI_OK) {
                snprintf(errstr, errstr_size, "%s", l->werr);
                return l->wrc;
        }
        swi_ind_rows_t r = l->rows;
        l->rows = l->wrows;
        l->wrows = r;
        bool leader = st->leader;
        *st = l->wst;
        st->leader = leader;
        st->completed = true;
        st->lags = l->wtook.lags;
        st->nlags = l->wtook.nlags;
        return SWI_OK;
}

static swi_err_t live_connect(swi_live_t *l, char *errstr, size_t errstr_size)
{
        /* named in pg_stat_activity, whatever the conninfo names */
        swi_err_t rc = SWI_OK;
        l->conn = pgio_connect(l->conninfo, "swi-live reader", true);
        l->wconn = pgio_connect(l->conninfo, "swi-live writer", true);
        if (!l->conn || !l->wconn) {
                snprintf(errstr, errstr_size, "live figures: out of memory");
                live_drop(l);
                return SWI_ERR_NOMEM;
        }
        if (PQstatus(l->conn) != CONNECTION_OK)
                rc = pgio_fail(l->conn, NULL, "connect", errstr, errstr_size);
        else if (PQstatus(l->wconn) != CONNECTION_OK)
                rc = pgio_fail(l->wconn, NULL, "connect (writer)", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(l->conn, "LISTEN swi_publish", 0, NULL, "LISTEN", errstr,
                                 errstr_size);
        /* the writer's tables for the changed values, once per connection */
        if (rc == SWI_OK)
                rc = pgio_exec_ok(l->wconn,
                             "CREATE TEMP TABLE tmp_live (LIKE swi_pub.indicator_values "
                             "INCLUDING DEFAULTS INCLUDING GENERATED) ON COMMIT DELETE ROWS",
                             0, NULL, "create changed-values table", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(l->wconn,
                             "CREATE TEMP TABLE tmp_live_gone (cell text COLLATE \"C\") "
                             "ON COMMIT DELETE ROWS",
                             0, NULL, "create gone-cells table", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(l->wconn,
                                 "CREATE TEMP TABLE tmp_live_raw (cell text COLLATE \"C\", "
                                 "raw_num bigint, raw_den bigint) ON COMMIT DELETE ROWS",
                                 0, NULL, "create changed-raw-values table", errstr, errstr_size);
        if (rc != SWI_OK)
                live_drop(l);
        return rc;
}

static int take_notifies(PGconn *conn);

/* Waits until conn's socket or extra_fd (-1: none) is readable, or
 * timeout_ms passes (-1: no limit). Returns 1 when something is readable
 * (*extra: extra_fd is), 0 on timeout, -1 on an error or no socket. */
static int wait_readable(PGconn *conn, int extra_fd, int timeout_ms, bool *extra)
{
        int fd = PQsocket(conn);
        if (fd < 0)
                return -1;
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        if (extra_fd >= 0)
                FD_SET(extra_fd, &rd);
        struct timeval tv = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000};
        int r = select((fd > extra_fd ? fd : extra_fd) + 1, &rd, NULL, NULL,
                       timeout_ms < 0 ? NULL : &tv);
        if (r < 0)
                return errno == EINTR ? 0 : -1;
        if (extra)
                *extra = r > 0 && extra_fd >= 0 && FD_ISSET(extra_fd, &rd);
        return r > 0;
}

/* Waits until the write in flight ends (0) or a notification arrives or the
 * reader connection has something to say (1). */
static int live_wait_writer(swi_live_t *l)
{
        for (;;) {
                bool done = false;
                if (!l->threaded)
                        return 0;
                if (take_notifies(l->conn))
                        return 1;
                int r = wait_readable(l->conn, l->done_fd[0], -1, &done);
                if (r < 0)
                        return PQsocket(l->conn) < 0 ? 1 : 0; /* else collecting waits */
                if (done)
                        return 0;
        }
}

void swi_live_set_overlap(swi_live_t *l, bool on)
{
        l->overlap = on;
}

swi_err_t swi_live_flush(swi_live_t *l, swi_live_stats_t *st, char *errstr, size_t errstr_size)
{
        memset(st, 0, sizeof(*st));
        st->leader = l->leader;
        st->idle = !l->writing;
        if (!l->writing)
                return SWI_OK;
        swi_err_t rc = live_collect(l, st, errstr, errstr_size);
        if (rc != SWI_OK)
                live_drop(l); /* the write rolled back: the next round rebuilds */
        return rc;
}

swi_err_t swi_live_round(swi_live_t *l, int64_t now_ms, swi_live_stats_t *st, char *errstr,
                         size_t errstr_size)
{
        PGresult *res = NULL;
        swi_err_t rc = SWI_OK;
        double t0 = pgio_now_s(), t1;
        int32_t P = (int32_t)(now_ms / 86400000);
        bool rebuild;
        swi_live_stats_t cur; /* this round's statistics; *st gets the written round's */

        memset(st, 0, sizeof(*st));
        memset(&cur, 0, sizeof(cur));
        if (!l->conn || PQstatus(l->conn) != CONNECTION_OK || !l->wconn ||
            PQstatus(l->wconn) != CONNECTION_OK) {
                live_drop(l);
                rc = live_connect(l, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
        if (!l->leader) {
                char sql[64];
                snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)", PGS_LIVE_LOCK);
                res = PQexec(l->conn, sql);
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pgio_fail(l->conn, res, "publisher lock", errstr, errstr_size);
                        res = NULL;
                        goto fail;
                }
                l->leader = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
                PQclear(res);
                res = NULL;
                if (!l->leader)
                        return SWI_OK;
        }
        st->leader = cur.leader = true;
        rebuild = l->P != P;
        if (rebuild && l->writing) { /* a rebuild reads after every write */
                rc = live_collect(l, st, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
again:
        t0 = pgio_now_s();
        l->took.n = 0;
        rc = pgio_exec_ok(l->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL,
                         "BEGIN", errstr, errstr_size);
        if (rc != SWI_OK)
                goto fail;
        /* every queue row but those of the write in flight (it deletes them);
         * binary results: keys and persons as raw bytes, id and ms as int8 */
        array_of(&l->rb, &l->wtook, l->writing ? l->wtook.n : 0, false);
        if (l->rb.oom)
                goto nomem;
        {
                const char *vals[1] = {l->rb.p};
                res = PQexecParams(l->conn,
                                   "SELECT keys, persons, id, "
                                   "(extract(epoch FROM committed_at) * 1000)::bigint "
                                   "FROM swi_ops.publish_queue WHERE id <> ALL ($1::bigint[]) "
                                   "ORDER BY id",
                                   1, NULL, vals, NULL, NULL, 1);
        }
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                rc = pgio_fail(l->conn, res, "read the publish queue", errstr, errstr_size);
                res = NULL;
                goto fail;
        }
        for (int r = 0; r < PQntuples(res); r++) {
                uint64_t id = 0, ms = 0; /* int8, binary: network byte order */
                if (PQgetlength(res, r, 2) == (int)sizeof(id))
                        memcpy(&id, PQgetvalue(res, r, 2), sizeof(id));
                if (PQgetlength(res, r, 3) == (int)sizeof(ms))
                        memcpy(&ms, PQgetvalue(res, r, 3), sizeof(ms));
                if (taken_push(&l->took, (int64_t)be64toh(id), (int64_t)be64toh(ms)) < 0)
                        goto nomem;
        }
        cur.batches = (int64_t)l->took.n;
        if (!rebuild && l->took.n == 0) {
                PQclear(res);
                res = NULL;
                rc = pgio_exec_ok(l->conn, "ROLLBACK", 0, NULL, "ROLLBACK", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
                if (!l->writing) {
                        st->idle = true;
                        goto out;
                }
                /* nothing new yet: collect the write in flight when it ends,
                 * unless a batch commits first (then read again: it need not
                 * wait for that write) */
                if (live_wait_writer(l) == 0) {
                        rc = live_collect(l, st, errstr, errstr_size);
                        if (rc != SWI_OK)
                                goto fail;
                        goto out;
                }
                goto again;
        }
        if (rebuild) {
                int64_t evn = 0, cln = 0;
                l->persons.n = 0;
                l->P = P;
                rc = pgs_load_all_persons(l->conn, SWI_K_ALL, P, &l->persons, &evn, &cln, errstr,
                                          errstr_size);
                if (rc == SWI_OK)
                        rc = live_index(l);
                if (rc != SWI_OK) {
                        l->P = SWI_DATE_NONE;
                        goto fail;
                }
                cur.clusters = cln;
        } else {
                rc = live_take(l, res, &cur.handed, &cur.clusters, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
        PQclear(res);
        res = NULL;
        rc = pgio_exec_ok(l->conn, "COMMIT", 0, NULL, "COMMIT", errstr, errstr_size);
        if (rc != SWI_OK)
                goto fail;
        cur.rebuild = rebuild;
        cur.persons = (int64_t)l->persons.n;
        t1 = pgio_now_s();
        cur.seconds_load = t1 - t0;
        {
                swi_dc_params_t dc = {l->base, l->threshold};
                swi_ind_rows_reset(&l->next);
                rc = swi_ind_compute2(l->persons.v, l->persons.n, l->P, &dc, &l->next, &l->spare, errstr,
                                     errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
        cur.seconds_compute = pgio_now_s() - t1;
        if (l->writing) { /* the previous write must have committed: this one builds on it */
                rc = live_collect(l, st, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
        cur.seconds = pgio_now_s() - t0; /* the write's time is added when it ends */
        live_start_write(l, &cur);
        if (!l->threaded) {
                rc = live_collect(l, st, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto fail;
        }
        goto out;
nomem:
        snprintf(errstr, errstr_size, "live figures: out of memory");
        rc = SWI_ERR_NOMEM;
fail:
        PQclear(res);
        res = NULL;
        live_drop(l); /* rolls back; the queue rows stay for the next publisher */
out:
        st->in_flight = l->writing;
        return rc;
}

/* Reads what has arrived and drops the notifications; 1 if there was one
 * (or the connection broke: then a round should find out). */
static int take_notifies(PGconn *conn)
{
        PGnotify *n;
        int got = 0;
        if (!PQconsumeInput(conn))
                return 1;
        while ((n = PQnotifies(conn)) != NULL) {
                got = 1;
                PQfreemem(n);
        }
        return got;
}

int swi_live_wait(swi_live_t *l, int timeout_ms)
{
        if (!l->conn || PQstatus(l->conn) != CONNECTION_OK || take_notifies(l->conn))
                return 1;
        int r = wait_readable(l->conn, -1, timeout_ms, NULL);
        if (r < 0)
                return PQsocket(l->conn) < 0 ? 1 : 0;
        return r > 0 ? take_notifies(l->conn) : 0;
}
