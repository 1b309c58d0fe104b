/* live.c - the live current figures; see live.h. */
#include "live.h"

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
#include "publication_int.h"
#include "publish/person_store.h"
#include "publish/row_diff.h"
#include "sinks/pg_store.h"
#include "transform/indicators.h"

/* The session advisory lock the live publisher holds ("SWILIVE"): one
 * publisher per database. */
#define LIVE_LOCK 0x5357494C495645LL

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
        swi_pstore_t persons; /* every person at (P, everything stored), indexed */
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
        swi_pstore_free(&l->persons);
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

/* Replaces the persons of the clusters of ks (expanded, sorted) by those
 * derived now from their stored events at (P, everything stored). */
static swi_err_t live_apply(swi_live_t *l, const pgs_keyset_t *ks, int64_t *clusters, char *errstr,
                            size_t errstr_size)
{
        pgs_loaded_t ld = {0};
        double t0 = pgio_now_s(), t1;
        swi_err_t rc = pgs_load_clusters(l->conn, ks, &ld, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        t1 = pgio_now_s();
        rc = swi_pstore_replace(&l->persons, ks->v, ks->n, &ld.g, l->P, errstr, errstr_size);
        if (rc == SWI_OK)
                *clusters = (int64_t)ld.g.n;
        SWI_LOG_D("publish", "clusters derived again",
                  "keys=%zu clusters=%zu events=%zu load_s=%.3f derive_s=%.3f", ks->n, ld.g.n,
                  ld.nev, t1 - t0, pgio_now_s() - t1);
done:
        pgs_loaded_free(&ld);
        return rc;
}

/* Takes in the drained queue rows of res (binary: keys first; in queue
 * order): every key they name, expanded to its whole cluster as the
 * snapshot has it (a later batch may have merged clusters), and the persons
 * of those clusters derived again from the snapshot's events - one load for
 * the whole round. A row from an older build may also hold the persons its
 * batch derived (swi_ops.publish_queue.persons, not read): the snapshot's
 * events are at least as new, so nothing is lost by ignoring them. */
static swi_err_t live_take(swi_live_t *l, PGresult *res, int64_t *clusters, char *errstr,
                           size_t errstr_size)
{
        const size_t klen = 1 + SWI_PSEUDO_LEN;
        int nrows = PQntuples(res);
        pgs_keyset_t ks = {0};
        swi_err_t rc = SWI_OK;

        for (int r = 0; r < nrows; r++) {
                const uint8_t *kb = (const uint8_t *)PQgetvalue(res, r, 0);
                size_t nk = (size_t)PQgetlength(res, r, 0) / klen;
                for (size_t i = 0; i < nk; i++) {
                        uint8_t kind = kb[i * klen];
                        if (kind != SWI_PKEY_BSN && kind != SWI_PKEY_VNR)
                                continue;
                        if (pgs_keyset_add(&ks, kind, kb + i * klen + 1) < 0) {
                                snprintf(errstr, errstr_size, "live figures: out of memory");
                                rc = SWI_ERR_NOMEM;
                                goto done;
                        }
                }
        }
        if (ks.n) {
                int added;
                do {
                        rc = pgs_expand(l->conn, &ks, &added, errstr, errstr_size);
                        if (rc != SWI_OK)
                                goto done;
                } while (added > 0);
                rc = live_apply(l, &ks, clusters, errstr, errstr_size);
        }
done:
        free(ks.v);
        return rc;
}

/* A cell key as one COPY line. */
static void add_cell(pgio_buf_t *b, const swi_ind_row_t *r)
{
        pub_add_cell(b, r);
        pgio_buf_add(b, "\n", 1);
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
        swi_rowdiff_t d = {0};
        pgio_buf_t ins = {0}, del = {0}, raw = {0}, rawins = {0};
        size_t nupd = 0, nins = 0, ndel = 0, nraw = 0, affected = 0;
        char sql[512], pbuf[SWI_DATE_BUF];

        *full = rewrite;
        *written = 0;
        if (rewrite)
                goto rewrite;
        if (swi_rowdiff_compute(&d, &l->rows, &l->wrows) != SWI_OK)
                goto nomem;
        l->b.n = 0;
        for (size_t i = 0; i < l->wrows.n; i++) {
                char line[1024];
                const swi_ind_row_t *r = &l->wrows.v[i];
                if (d.raw_changed[i]) {
                        pub_add_cell(&raw, r);
                        pgio_buf_printf(&raw, "\t%lld\t%lld\n", (long long)r->raw_num,
                                        (long long)r->raw_den);
                        nraw++;
                }
                if (d.op[i] == SWI_ROWDIFF_SAME)
                        continue;
                int len = swi_ind_row_copy_line(r, l->P, SWI_K_ALL, line, sizeof(line));
                if (len <= 0)
                        continue;
                if (d.op[i] == SWI_ROWDIFF_UPDATE) {
                        pgio_buf_add(&l->b, line, (size_t)len);
                        nupd++;
                } else {
                        pgio_buf_add(&ins, line, (size_t)len);
                        pub_add_raw_line(&rawins, r, l->P);
                        nins++;
                }
        }
        for (size_t j = 0; j < d.ngone; j++) {
                add_cell(&del, &l->rows.v[d.gone[j]]);
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
                        rc = pgio_copy_in(l->wconn, PUB_RAW_COPY, &rawins, "COPY new raw values",
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
        rc = pub_write_publication(l->wconn, "actueel", l->P, "now", SWI_K_ALL, l->base, l->threshold,
                               NULL, &l->wrows, &l->b, errstr, errstr_size);
        *written = (int64_t)l->wrows.n;
        goto done;
nomem:
        snprintf(errstr, errstr_size, "live figures: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        swi_rowdiff_free(&d);
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
                snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)", LIVE_LOCK);
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
         * binary results: keys as raw bytes, id and ms as int8 */
        array_of(&l->rb, &l->wtook, l->writing ? l->wtook.n : 0, false);
        if (l->rb.oom)
                goto nomem;
        {
                const char *vals[1] = {l->rb.p};
                res = PQexecParams(l->conn,
                                   "SELECT keys, id, "
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
                if (PQgetlength(res, r, 1) == (int)sizeof(id))
                        memcpy(&id, PQgetvalue(res, r, 1), sizeof(id));
                if (PQgetlength(res, r, 2) == (int)sizeof(ms))
                        memcpy(&ms, PQgetvalue(res, r, 2), sizeof(ms));
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
                swi_pstore_clear(&l->persons);
                l->P = P;
                rc = pub_load_all_persons(l->conn, SWI_K_ALL, P, &l->persons, &evn, &cln, errstr,
                                          errstr_size);
                if (rc == SWI_OK && swi_pstore_index(&l->persons) != SWI_OK) {
                        snprintf(errstr, errstr_size, "live figures: out of memory");
                        rc = SWI_ERR_NOMEM;
                }
                if (rc != SWI_OK) {
                        l->P = SWI_DATE_NONE;
                        goto fail;
                }
                cur.clusters = cln;
        } else {
                rc = live_take(l, res, &cur.clusters, errstr, errstr_size);
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
