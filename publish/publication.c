/* publication.c - publications of the indicator table; see publication.h
 * and, for what the live publisher shares, publication_int.h. */
#include "publication.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publication_int.h"
#include "sinks/pg_store.h"
#include "transform/indicators.h"

/* ---- every cluster --------------------------------------------------------- */

/* Cluster representative of every key that has an identity or reference
 * edge (transform/identity.h), into a temp table tmp_rep(kind, ps, rep): rep
 * is "B<hex>" / "V<hex>" of the smallest key of its cluster, the same text an
 * edge-less key uses for itself. */
static swi_err_t build_reps(PGconn *conn, char *errstr, size_t errstr_size)
{
        swi_idmap_t *m = swi_idmap_new();
        pgio_buf_t b = {0};
        swi_err_t rc = SWI_OK;
        PGresult *res = PQexec(conn, "SELECT 'VNR', encode(vnr_ps, 'hex'), 'BSN', "
                                     "encode(bsn_ps, 'hex') FROM swi.identity_edges "
                                     "UNION ALL SELECT ref_kind, encode(ref_ps, 'hex'), "
                                     "target_kind, encode(target_ps, 'hex') "
                                     "FROM swi.reference_edges");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                swi_idmap_destroy(m);
                return pgio_fail(conn, res, "load identity and reference edges", errstr,
                                   errstr_size);
        }
        if (!m)
                goto nomem;
        int n = PQntuples(res);
        for (int r = 0; r < n; r++) {
                swi_person_key_t x = {.kind = pgs_kind_parse(PQgetvalue(res, r, 0))};
                swi_person_key_t y = {.kind = pgs_kind_parse(PQgetvalue(res, r, 2))};
                if (!x.kind || !y.kind || pgio_parse_hex(PQgetvalue(res, r, 1), x.ps) ||
                    pgio_parse_hex(PQgetvalue(res, r, 3), y.ps))
                        continue;
                if (swi_idmap_link(m, &x, &y) != 0)
                        goto nomem;
        }
        PQclear(res);
        res = NULL;
        for (size_t i = 0; i < swi_idmap_count(m); i++) {
                const swi_person_key_t *k = swi_idmap_key(m, i);
                const swi_person_key_t *root = swi_idmap_key(m, swi_idmap_root(m, i));
                pgio_buf_add(&b, k->kind == SWI_PKEY_BSN ? "B\t\\\\x" : "V\t\\\\x", 5);
                pgio_buf_hex(&b, k->ps);
                pgio_buf_add(&b, root->kind == SWI_PKEY_BSN ? "\tB" : "\tV", 2);
                pgio_buf_hex(&b, root->ps);
                pgio_buf_add(&b, "\n", 1);
        }
        if (b.oom)
                goto nomem;
        rc = pgio_exec_ok(conn, "CREATE TEMP TABLE tmp_rep (kind text, ps bytea, rep text) ON COMMIT DROP",
                     0, NULL, "create cluster map", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_copy_in(conn, "COPY tmp_rep FROM STDIN", &b, "COPY cluster map", errstr,
                             errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "CREATE INDEX ON tmp_rep (kind, ps)", 0, NULL,
                             "index cluster map", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "ANALYZE tmp_rep", 0, NULL, "analyze cluster map", errstr,
                             errstr_size);
        goto done;
nomem:
        snprintf(errstr, errstr_size, "publication: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        swi_idmap_destroy(m);
        free(b.p);
        return rc;
}

swi_err_t pub_load_all_persons(PGconn *conn, int64_t K, int32_t P, swi_pstore_t *out,
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
                rc = pgio_exec_ok(conn, sql, 1, vals, "open event cursor", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        for (;;) {
                res = PQexec(conn, "FETCH 20000 FROM evs");
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pgio_fail(conn, res, "fetch events", errstr, errstr_size);
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
                                rc = swi_pstore_derive_cluster(out, evp, nev, K, P, errstr,
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
                        if (pgs_row_to_event(res, r, &evs[nev]) == 0)
                                nev++;
                        (*events)++;
                }
                PQclear(res);
                res = NULL;
                if (nr == 0)
                        break;
        }
        rc = pgio_exec_ok(conn, "CLOSE evs", 0, NULL, "close event cursor", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "DROP TABLE tmp_rep", 0, NULL, "drop cluster map", errstr,
                             errstr_size);
done:
        PQclear(res);
        free(evs);
        free(evp);
        return rc;
}


/* ---- writing a publication ------------------------------------------------- */


void pub_add_cell(pgio_buf_t *b, const swi_ind_row_t *r)
{
        const char *parts[7] = {r->breakdown, r->cohort, r->doelgroep, "", "", "", r->measure};
        for (int d = 0; d < r->ndims && d < 3; d++)
                parts[3 + d] = r->dim_value[d];
        for (int k = 0; k < 7; k++) {
                if (k)
                        pgio_buf_add(b, "\x1f", 1);
                for (const char *c = parts[k]; *c; c++) {
                        if (*c == '\\' || *c == '\t' || *c == '\n')
                                pgio_buf_add(b, "\\", 1);
                        pgio_buf_add(b, c, 1);
                }
        }
}

void pub_add_raw_line(pgio_buf_t *b, const swi_ind_row_t *r, int32_t P)
{
        char d[PGIO_DATE_BUF];
        pgio_buf_printf(b, "%s\t", pgio_date_text(P, d));
        pub_add_cell(b, r);
        pgio_buf_printf(b, "\t%lld\t%lld\n", (long long)r->raw_num, (long long)r->raw_den);
}

swi_err_t pub_write_publication(PGconn *conn, const char *name, int32_t P, const char *known_at,
                                   int64_t row_k, int64_t base, int64_t thr,
                                   const char *description, const swi_ind_rows_t *rows, pgio_buf_t *b,
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
        rc = pgio_exec_ok(conn, up, 6, vals, "upsert publication", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "DELETE FROM swi_pub.indicator_values WHERE publication = $1", 1,
                             vals, "delete old figures", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "DELETE FROM swi.indicator_raw WHERE publication = $1", 1,
                                 vals, "delete old raw values", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "SELECT set_config('swi.publication', $1, true)", 1, vals,
                             "select publication", errstr, errstr_size);
        if (rc != SWI_OK)
                return rc;
        /* the values, and the researchers' unrounded ones (one per value) */
        pgio_buf_t raw = {0};
        b->n = 0;
        for (size_t i = 0; i < rows->n; i++) {
                char line[1024];
                int len = swi_ind_row_copy_line(&rows->v[i], P, row_k, line, sizeof(line));
                if (len > 0) {
                        pgio_buf_add(b, line, (size_t)len);
                        pub_add_raw_line(&raw, &rows->v[i], P);
                }
        }
        if (b->oom || raw.oom) {
                snprintf(errstr, errstr_size, "publication: out of memory");
                rc = SWI_ERR_NOMEM;
        }
        if (rc == SWI_OK)
                rc = pgio_copy_in(conn,
                                 "COPY swi_pub.indicator_values (peildatum, known_at, family, "
                                 "breakdown, cohort, doelgroep, dim1_name, dim1_value, dim2_name, "
                                 "dim2_value, dim3_name, dim3_value, measure, unit, value, "
                                 "onderdrukt, reden, noemer) FROM STDIN",
                                 b, "COPY indicator values", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = pgio_copy_in(conn, PUB_RAW_COPY, &raw, "COPY raw values", errstr, errstr_size);
        free(raw.p);
        return rc;
}

swi_err_t swi_pg_publish(const char *conninfo, const swi_publish_opts_t *o,
                         swi_publish_stats_t *st, char *errstr, size_t errstr_size)
{
        PGconn *conn = pgio_connect(conninfo, "swi-publish", false);
        PGresult *res = NULL;
        swi_pstore_t persons = {0};
        swi_ind_rows_t rows = {0};
        pgio_buf_t b = {0};
        swi_err_t rc = SWI_OK;
        double t0 = pgio_now_s();

        memset(st, 0, sizeof(*st));
        if (!conn) {
                snprintf(errstr, errstr_size, "publication: out of memory");
                return SWI_ERR_NOMEM;
        }
        if (PQstatus(conn) != CONNECTION_OK) {
                rc = pgio_fail(conn, NULL, "connect", errstr, errstr_size);
                goto done;
        }
        rc = pgio_exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL, "BEGIN", errstr,
                     errstr_size);
        if (rc != SWI_OK)
                goto done;
        rc = pub_load_all_persons(conn, o->known_at, o->peildatum, &persons, &st->events, &st->clusters,
                              errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        st->persons = (int64_t)persons.n;
        st->seconds_load = pgio_now_s() - t0;
        {
                swi_dc_params_t dc = {o->rounding_base, o->threshold};
                swi_ind_rows_t spare = {0};
                rc = swi_ind_compute2(persons.v, persons.n, o->peildatum, &dc, &rows, &spare,
                                      errstr, errstr_size);
                swi_ind_rows_free(&spare);
                if (rc != SWI_OK)
                        goto done;
        }
        st->seconds_compute = pgio_now_s() - t0 - st->seconds_load;
        {
                char ts[40];
                pgio_buf_t tsb = {0};
                pgio_add_ts(&tsb, o->known_at);
                snprintf(ts, sizeof(ts), "%s", tsb.p ? tsb.p : "");
                free(tsb.p);
                rc = pub_write_publication(conn, o->name, o->peildatum, ts, o->known_at,
                                       o->rounding_base, o->threshold, o->description, &rows, &b,
                                       errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        st->rows = (int64_t)rows.n;
        if (o->freeze) {
                const char *vals[1] = {o->name};
                rc = pgio_exec_ok(conn, "UPDATE swi_pub.publications SET frozen = true WHERE name = $1",
                             1, vals, "freeze publication", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        rc = pgio_exec_ok(conn, "COMMIT", 0, NULL, "COMMIT", errstr, errstr_size);
        /* a publication replaces tens of thousands of rows at once: give the
         * planner fresh statistics for the revisions view's joins */
        if (rc == SWI_OK)
                rc = pgio_exec_ok(conn, "ANALYZE swi_pub.indicator_values", 0, NULL,
                             "analyze indicator values", errstr, errstr_size);
        st->seconds_write = pgio_now_s() - t0 - st->seconds_load - st->seconds_compute;
done:
        if (rc != SWI_OK && rc != SWI_ERR_PG && !*errstr)
                snprintf(errstr, errstr_size, "publication: %s", swi_err2str(rc));
        PQclear(res);
        PQfinish(conn);
        swi_pstore_free(&persons);
        free(b.p);
        swi_ind_rows_free(&rows);
        st->seconds = pgio_now_s() - t0;
        return rc;
}

