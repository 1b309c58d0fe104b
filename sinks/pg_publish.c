/* pg_publish.c - publications of the indicator table; see pg_publish.h. */
#include "pg_publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"
#include "transform/indicators.h"

void pgs_add_cell(pgio_buf_t *b, const swi_ind_row_t *r)
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

void pgs_add_raw_line(pgio_buf_t *b, const swi_ind_row_t *r, int32_t P)
{
        char d[PGIO_DATE_BUF];
        pgio_buf_printf(b, "%s\t", pgio_date_text(P, d));
        pgs_add_cell(b, r);
        pgio_buf_printf(b, "\t%lld\t%lld\n", (long long)r->raw_num, (long long)r->raw_den);
}

/* Replaces every value of publication name (creating or updating its row:
 * P, known_at as text, parameters) with rows, whose known_at column is
 * row_k, and their unrounded values in swi.indicator_raw. b is scratch.
 * Inside the caller's transaction. */
swi_err_t pgs_write_publication(PGconn *conn, const char *name, int32_t P, const char *known_at,
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
                        pgs_add_raw_line(&raw, &rows->v[i], P);
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
                rc = pgio_copy_in(conn, PGS_RAW_COPY, &raw, "COPY raw values", errstr, errstr_size);
        free(raw.p);
        return rc;
}

swi_err_t swi_pg_publish(const char *conninfo, const swi_publish_opts_t *o,
                         swi_publish_stats_t *st, char *errstr, size_t errstr_size)
{
        PGconn *conn = pgio_connect(conninfo, "swi-publish", false);
        PGresult *res = NULL;
        pgs_persons_t persons = {0};
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
        rc = pgs_load_all_persons(conn, o->known_at, o->peildatum, &persons, &st->events, &st->clusters,
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
                rc = pgs_write_publication(conn, o->name, o->peildatum, ts, o->known_at,
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
        free(persons.v);
        free(b.p);
        swi_ind_rows_free(&rows);
        st->seconds = pgio_now_s() - t0;
        return rc;
}

