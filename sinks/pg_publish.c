/* pg_publish.c - publications of the indicator table; see pg_publish.h. */
#include "pg_publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_cluster.h"
#include "transform/indicators.h"

/* Cluster representative of every key that has an identity edge, into a temp
 * table tmp_rep(kind, ps, rep): rep is "B<hex>" / "V<hex>" of the smallest key
 * of its component, the same text an edge-less key uses for itself. */
static swi_err_t build_reps(PGconn *conn, char *errstr, size_t errstr_size)
{
        keyset_t ks = {0};
        buf_t b = {0};
        size_t *parent = NULL;
        swi_err_t rc = SWI_OK;
        PGresult *res = PQexec(conn, "SELECT encode(vnr_ps, 'hex'), encode(bsn_ps, 'hex') "
                                     "FROM swi.identity_edges");
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return pgc_pg_fail(conn, res, "load identity edges", errstr, errstr_size);
        int n = PQntuples(res);
        for (int r = 0; r < n; r++) {
                uint8_t v[SWI_PSEUDO_LEN], bb[SWI_PSEUDO_LEN];
                if (pgc_parse_hex(PQgetvalue(res, r, 0), v) || pgc_parse_hex(PQgetvalue(res, r, 1), bb))
                        continue;
                if (pgc_keyset_add(&ks, SWI_PKEY_VNR, v) < 0 || pgc_keyset_add(&ks, SWI_PKEY_BSN, bb) < 0)
                        goto nomem;
        }
        pgc_keyset_sort(&ks);
        parent = malloc((ks.n ? ks.n : 1) * sizeof(*parent));
        if (!parent)
                goto nomem;
        for (size_t i = 0; i < ks.n; i++)
                parent[i] = i;
        for (int r = 0; r < n; r++) {
                uint8_t v[SWI_PSEUDO_LEN], bb[SWI_PSEUDO_LEN];
                if (pgc_parse_hex(PQgetvalue(res, r, 0), v) || pgc_parse_hex(PQgetvalue(res, r, 1), bb))
                        continue;
                pgc_uf_union(parent, (size_t)pgc_keyset_find(&ks, SWI_PKEY_VNR, v),
                         (size_t)pgc_keyset_find(&ks, SWI_PKEY_BSN, bb));
        }
        PQclear(res);
        res = NULL;
        for (size_t i = 0; i < ks.n; i++) {
                size_t root = pgc_uf_find(parent, i);
                pgc_buf_add(&b, ks.v[i].kind == SWI_PKEY_BSN ? "B\t\\\\x" : "V\t\\\\x", 5);
                pgc_buf_hex(&b, ks.v[i].ps);
                pgc_buf_add(&b, ks.v[root].kind == SWI_PKEY_BSN ? "\tB" : "\tV", 2);
                pgc_buf_hex(&b, ks.v[root].ps);
                pgc_buf_add(&b, "\n", 1);
        }
        if (b.oom)
                goto nomem;
        rc = pgc_exec_ok(conn, "CREATE TEMP TABLE tmp_rep (kind text, ps bytea, rep text) ON COMMIT DROP",
                     0, NULL, "create cluster map", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgc_copy_in(conn, "COPY tmp_rep FROM STDIN", &b, "COPY cluster map", errstr,
                             errstr_size);
        if (rc == SWI_OK)
                rc = pgc_exec_ok(conn, "CREATE INDEX ON tmp_rep (kind, ps)", 0, NULL,
                             "index cluster map", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgc_exec_ok(conn, "ANALYZE tmp_rep", 0, NULL, "analyze cluster map", errstr,
                             errstr_size);
        goto done;
nomem:
        snprintf(errstr, errstr_size, "publication: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        free(ks.v);
        free(b.p);
        free(parent);
        return rc;
}

/* Every person at (P, K) from all stored events, appended to *out; counts
 * events read and clusters. Runs inside the caller's transaction. */
swi_err_t pgc_load_all_persons(PGconn *conn, int64_t K, int32_t P, persons_t *out,
                                  int64_t *events, int64_t *clusters, char *errstr,
                                  size_t errstr_size)
{
        PGresult *res = NULL;
        swi_event_t *evs = NULL;
        const swi_event_t **evp = NULL; /* pointers into evs, for the derivation */
        size_t nev = 0, evcap = 0;
        char cur_rep[80] = "";
        char kbuf[32];
        swi_err_t rc;

        rc = build_reps(conn, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        snprintf(kbuf, sizeof(kbuf), "%lld", (long long)K);
        {
                /* NULL: everything stored (SWI_K_ALL has no timestamptz) */
                const char *vals[1] = {K == SWI_K_ALL ? NULL : kbuf};
                static const char sql[] =
                        "DECLARE evs NO SCROLL CURSOR FOR "
                        "SELECT e.source, e.event_type, e.event_id, encode(e.bsn_ps, 'hex'), "
                        "encode(e.vnr_ps, 'hex'), e.event_date - DATE '1970-01-01', "
                        "(extract(epoch FROM e.registered_at) * 1000)::bigint, e.corrects, "
                        "e.retracts, e.payload::text, "
                        "coalesce(cb.rep, cv.rep, CASE WHEN e.bsn_ps IS NOT NULL "
                        "  THEN 'B' || encode(e.bsn_ps, 'hex') ELSE 'V' || encode(e.vnr_ps, 'hex') END) AS rep "
                        "FROM swi.events e "
                        "LEFT JOIN tmp_rep cb ON cb.kind = 'B' AND cb.ps = e.bsn_ps "
                        "LEFT JOIN tmp_rep cv ON cv.kind = 'V' AND cv.ps = e.vnr_ps "
                        "WHERE $1::bigint IS NULL "
                        "OR e.registered_at <= timestamptz 'epoch' + $1::bigint * interval '1 millisecond' "
                        "ORDER BY rep";
                rc = pgc_exec_ok(conn, sql, 1, vals, "open event cursor", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        for (;;) {
                res = PQexec(conn, "FETCH 20000 FROM evs");
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pgc_pg_fail(conn, res, "fetch events", errstr, errstr_size);
                        res = NULL;
                        goto done;
                }
                int nr = PQntuples(res);
                for (int r = 0; r <= nr; r++) {
                        const char *rep = r < nr ? PQgetvalue(res, r, 10) : NULL;
                        /* a new cluster starts: derive the finished one */
                        if (nev > 0 && (r == nr ? nr == 0 : strcmp(rep, cur_rep) != 0)) {
                                for (size_t i = 0; i < nev; i++)
                                        evp[i] = &evs[i];
                                rc = pgc_derive_cluster_p(evp, nev, K, P, out, errstr,
                                                          errstr_size);
                                if (rc != SWI_OK)
                                        goto done;
                                (*clusters)++;
                                nev = 0;
                        }
                        if (r == nr)
                                break;
                        snprintf(cur_rep, sizeof(cur_rep), "%s", rep);
                        if (nev == evcap) {
                                evcap = evcap ? evcap * 2 : 256;
                                swi_event_t *v = realloc(evs, evcap * sizeof(*v));
                                if (v)
                                        evs = v;
                                const swi_event_t **vp = realloc(evp, evcap * sizeof(*vp));
                                if (vp)
                                        evp = vp;
                                if (!v || !vp) {
                                        rc = SWI_ERR_NOMEM;
                                        goto done;
                                }
                        }
                        if (pgc_row_to_event(res, r, &evs[nev]) == 0)
                                nev++;
                        (*events)++;
                }
                PQclear(res);
                res = NULL;
                if (nr == 0)
                        break;
        }
        rc = pgc_exec_ok(conn, "CLOSE evs", 0, NULL, "close event cursor", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgc_exec_ok(conn, "DROP TABLE tmp_rep", 0, NULL, "drop cluster map", errstr,
                             errstr_size);
done:
        PQclear(res);
        free(evs);
        free(evp);
        return rc;
}

/* Replaces every value of publication name (creating or updating its row:
 * P, known_at as text, parameters) with rows, whose known_at column is
 * row_k. b is scratch. Inside the caller's transaction. */
swi_err_t pgc_write_publication(PGconn *conn, const char *name, int32_t P, const char *known_at,
                                   int64_t row_k, int64_t base, int64_t thr,
                                   const char *description, const swi_ind_rows_t *rows, buf_t *b,
                                   char *errstr, size_t errstr_size)
{
        static const char up[] =
                "INSERT INTO swi_pub.publications (name, peildatum, known_at, rounding_base, "
                "threshold, description) VALUES ($1, $2, $3, $4, $5, $6) "
                "ON CONFLICT (name) DO UPDATE SET peildatum = EXCLUDED.peildatum, "
                "known_at = EXCLUDED.known_at, rounding_base = EXCLUDED.rounding_base, "
                "threshold = EXCLUDED.threshold, "
                "description = coalesce(EXCLUDED.description, swi_pub.publications.description)";
        char sbase[24], sthr[24], pbuf[SWI_DATE_BUF];
        swi_err_t rc;

        snprintf(sbase, sizeof(sbase), "%lld", (long long)base);
        snprintf(sthr, sizeof(sthr), "%lld", (long long)thr);
        swi_date_format(P, pbuf);
        const char *vals[6] = {name, pbuf, known_at, sbase, sthr, description};
        rc = pgc_exec_ok(conn, up, 6, vals, "upsert publication", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgc_exec_ok(conn, "DELETE FROM swi_pub.indicator_values WHERE publication = $1", 1,
                             vals, "delete old figures", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgc_exec_ok(conn, "DELETE FROM swi.indicator_raw WHERE publication = $1", 1,
                                 vals, "delete old raw values", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgc_exec_ok(conn, "SELECT set_config('swi.publication', $1, true)", 1, vals,
                             "select publication", errstr, errstr_size);
        if (rc != SWI_OK)
                return rc;
        /* the values, and the researchers' unrounded ones (one per value) */
        buf_t raw = {0};
        b->n = 0;
        for (size_t i = 0; i < rows->n; i++) {
                char line[1024];
                int len = swi_ind_row_copy_line(&rows->v[i], P, row_k, line, sizeof(line));
                if (len > 0) {
                        pgc_buf_add(b, line, (size_t)len);
                        pgc_add_raw_line(&raw, &rows->v[i], P);
                }
        }
        if (b->oom || raw.oom) {
                snprintf(errstr, errstr_size, "publication: out of memory");
                rc = SWI_ERR_NOMEM;
        }
        if (rc == SWI_OK)
                rc = pgc_copy_in(conn,
                                 "COPY swi_pub.indicator_values (peildatum, known_at, family, "
                                 "breakdown, cohort, doelgroep, dim1_name, dim1_value, dim2_name, "
                                 "dim2_value, dim3_name, dim3_value, measure, unit, value, "
                                 "onderdrukt, reden, noemer) FROM STDIN",
                                 b, "COPY indicator values", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgc_copy_in(conn, PGC_RAW_COPY, &raw, "COPY raw values", errstr, errstr_size);
        free(raw.p);
        return rc;
}

swi_err_t swi_pg_publish(const char *conninfo, const swi_publish_opts_t *o,
                         swi_publish_stats_t *st, char *errstr, size_t errstr_size)
{
        PGconn *conn = PQconnectdb(conninfo);
        PQsetNoticeProcessor(conn, pgc_notice_to_log, NULL);
        PGresult *res = NULL;
        persons_t persons = {0};
        swi_ind_rows_t rows = {0};
        buf_t b = {0};
        swi_err_t rc = SWI_OK;
        double t0 = pgc_now_s();

        memset(st, 0, sizeof(*st));
        if (PQstatus(conn) != CONNECTION_OK) {
                rc = pgc_pg_fail(conn, NULL, "connect", errstr, errstr_size);
                goto done;
        }
        rc = pgc_exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, "BEGIN", errstr,
                     errstr_size);
        if (rc != SWI_OK)
                goto done;
        rc = pgc_load_all_persons(conn, o->known_at, o->peildatum, &persons, &st->events, &st->clusters,
                              errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        st->persons = (int64_t)persons.n;
        st->seconds_load = pgc_now_s() - t0;
        {
                swi_dc_params_t dc = {o->rounding_base, o->threshold};
                swi_ind_rows_t spare = {0};
                rc = swi_ind_compute2(persons.v, persons.n, o->peildatum, &dc, &rows, &spare,
                                      errstr, errstr_size);
                swi_ind_rows_free(&spare);
                if (rc != SWI_OK)
                        goto done;
        }
        st->seconds_compute = pgc_now_s() - t0 - st->seconds_load;
        {
                char ts[40];
                buf_t tsb = {0};
                pgc_add_ts(&tsb, o->known_at);
                snprintf(ts, sizeof(ts), "%s", tsb.p ? tsb.p : "");
                free(tsb.p);
                rc = pgc_write_publication(conn, o->name, o->peildatum, ts, o->known_at,
                                       o->rounding_base, o->threshold, o->description, &rows, &b,
                                       errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        st->rows = (int64_t)rows.n;
        if (o->freeze) {
                const char *vals[1] = {o->name};
                rc = pgc_exec_ok(conn, "UPDATE swi_pub.publications SET frozen = true WHERE name = $1",
                             1, vals, "freeze publication", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        rc = pgc_exec_ok(conn, "COMMIT", 0, NULL, "COMMIT", errstr, errstr_size);
        /* a publication replaces tens of thousands of rows at once: give the
         * planner fresh statistics for the revisions view's joins */
        if (rc == SWI_OK)
                rc = pgc_exec_ok(conn, "ANALYZE swi_pub.indicator_values", 0, NULL,
                             "analyze indicator values", errstr, errstr_size);
        st->seconds_write = pgc_now_s() - t0 - st->seconds_load - st->seconds_compute;
done:
        if (rc != SWI_OK && rc != SWI_ERR_PG && !*errstr)
                snprintf(errstr, errstr_size, "publication: %s", swi_err2str(rc));
        PQclear(res);
        PQfinish(conn);
        free(persons.v);
        free(b.p);
        swi_ind_rows_free(&rows);
        st->seconds = pgc_now_s() - t0;
        return rc;
}

