/* pg_trajectory.c - the trajectory step of the PostgreSQL sink; see pg_trajectory.h. */
#include "pg_trajectory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "pg_cluster.h"
#include "transform/gemeenten.h"
#include "transform/trajectory.h"

/* The key list parameter $1 ("BSN:<hex>:...,VNR:<hex>:...") as a table d(kind, ps). */
#define KEYS_CTE                                                                                   \
        "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "                                        \
        "decode(split_part(x, ':', 2), 'hex') AS ps FROM unnest(string_to_array($1, ',')) x)"

/* Number of advisory lock buckets the identity keys hash into. A transaction
 * takes at most this many locks however large its batch (PostgreSQL's lock
 * table holds max_locks_per_transaction * max_connections entries); two keys
 * in one bucket only serialise a little more than needed. */
#define LOCK_BUCKETS 512
#define LOCK_BASE    0x53574900LL /* "SWI\0": keeps clear of other advisory lock users */

/* Locks the buckets of every key of s, in ascending order (no deadlocks
 * between instances that lock the same way). */
static swi_err_t lock_keys(PGconn *conn, const keyset_t *s, char *errstr, size_t errstr_size)
{
        static const char sql[] = "SELECT count(pg_advisory_xact_lock(x)) FROM "
                                  "(SELECT DISTINCT x FROM unnest($1::bigint[]) x ORDER BY x) s";
        bool used[LOCK_BUCKETS] = {false};
        buf_t b = {0};
        swi_err_t rc = SWI_OK;

        for (size_t i = 0; i < s->n; i++) {
                uint64_t h = s->v[i].kind;
                for (int j = 0; j < 8; j++)
                        h = h << 8 | s->v[i].ps[j];
                used[h % LOCK_BUCKETS] = true;
        }
        pgc_buf_add(&b, "{", 1);
        int first = 1;
        for (int i = 0; i < LOCK_BUCKETS; i++) {
                if (!used[i])
                        continue;
                pgc_buf_printf(&b, "%s%lld", first ? "" : ",", LOCK_BASE + i);
                first = 0;
        }
        pgc_buf_add(&b, "}", 1);
        if (b.oom)
                return SWI_ERR_NOMEM;
        const char *vals[1] = {b.p};
        PGresult *res = pgc_exec_params(conn, sql, 1, vals);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                rc = pgc_pg_fail(conn, res, "lock identity clusters", errstr, errstr_size);
        else
                PQclear(res);
        free(b.p);
        return rc;
}

static void add_date(buf_t *b, int32_t d)
{
        char s[PGC_DATE_BUF];
        if (d == SWI_DATE_NONE || d == SWI_DATE_END)
                pgc_buf_add(b, "\\N", 2);
        else
                pgc_buf_add(b, s, strlen(pgc_date_text(d, s)));
}

static void add_text(buf_t *b, const char *s)
{
        if (!s || !*s)
                pgc_buf_add(b, "\\N", 2);
        else
                pgc_buf_add(b, s, strlen(s));
}

static void add_enum(buf_t *b, swi_traj_enum_t which, int v, int zero_is_null)
{
        if (v == 0 && zero_is_null)
                pgc_buf_add(b, "\\N", 2);
        else
                add_text(b, swi_traj_name(which, v));
}

static void add_bool(buf_t *b, bool v)
{
        pgc_buf_add(b, v ? "t" : "f", 1);
}

#define TAB pgc_buf_add(b, "\t", 1)

/* The trajectory columns shared by swi.trajectory_versions and swi.trajectories,
 * from wet to findings, in table order. */
static const char traj_columns[] =
        "wet, doelgroep, cohort, plicht_start, geslacht, nationaliteit, leeftijd, "
        "leeftijdsklasse, jongere, status_verleend, koppeling_datum, koppeling_gemeente, "
        "koppeling_afstand_km, opvang_instroom, in_opvang, overplaatsingen, "
        "voorinburgering_start, voorinburgering_einde, voorinburgering_uitkomst, "
        "vestiging_datum, vestiging_gemeente, gemeente, arbeidsmarktregio, brede_intake_start, "
        "brede_intake_afgerond, opleidingsniveau, werkervaring, jonge_kinderen, lbt_datum, "
        "lbt_score, lbt_uitkomst, pip_datum, leerroute, route_switches, pip_in_opvang, "
        "start_pip_termijn, pip_voor_termijn, pip_binnen_10_weken, termijn_einde, einde, "
        "einde_datum, hoogste_niveau, werk_spells, bijstand_spells, findings";

static void add_person_columns(buf_t *b, const swi_person_t *p)
{
        int y, m, d;
        add_enum(b, SWI_TE_WET, p->wet, 1);
        TAB;
        add_enum(b, SWI_TE_DOELGROEP, p->doelgroep, 1);
        TAB;
        if (p->plicht_start != SWI_DATE_NONE) {
                swi_date_to_ymd(p->plicht_start, &y, &m, &d);
                pgc_buf_printf(b, "%d", y);
        } else {
                pgc_buf_add(b, "\\N", 2);
        }
        TAB;
        add_date(b, p->plicht_start);
        TAB;
        add_enum(b, SWI_TE_GESLACHT, p->geslacht, 0);
        TAB;
        add_text(b, p->nationaliteit[0] ? p->nationaliteit : "ONBEKEND");
        TAB;
        if (p->leeftijd >= 0)
                pgc_buf_printf(b, "%d", p->leeftijd);
        else
                pgc_buf_add(b, "\\N", 2);
        TAB;
        add_enum(b, SWI_TE_LFTKLASSE, p->leeftijdsklasse, 0);
        TAB;
        add_enum(b, SWI_TE_TRI, p->jongere, 0);
        TAB;
        add_date(b, p->status_verleend);
        TAB;
        add_date(b, p->koppeling_datum);
        TAB;
        add_text(b, p->koppeling_gemeente);
        TAB;
        if (p->koppeling_afstand_km >= 0 && p->koppeling_datum != SWI_DATE_NONE)
                pgc_buf_printf(b, "%d", p->koppeling_afstand_km);
        else
                pgc_buf_add(b, "\\N", 2);
        TAB;
        add_date(b, p->opvang_instroom);
        TAB;
        add_bool(b, p->in_opvang);
        TAB;
        pgc_buf_printf(b, "%u", p->overplaatsingen);
        TAB;
        add_date(b, p->voorinburgering_start);
        TAB;
        add_date(b, p->voorinburgering_einde);
        TAB;
        add_enum(b, SWI_TE_VI, p->voorinburgering_uitkomst, 1);
        TAB;
        add_date(b, p->vestiging_datum);
        TAB;
        add_text(b, p->vestiging_gemeente);
        TAB;
        add_text(b, p->gemeente);
        TAB;
        add_text(b, p->regio);
        TAB;
        add_date(b, p->brede_intake_start);
        TAB;
        add_date(b, p->brede_intake_afgerond);
        TAB;
        add_enum(b, SWI_TE_OPLEIDING, p->opleidingsniveau, 0);
        TAB;
        add_enum(b, SWI_TE_WERKERVARING, p->werkervaring, 0);
        TAB;
        add_enum(b, SWI_TE_TRI, p->jonge_kinderen, 0);
        TAB;
        add_date(b, p->lbt_datum);
        TAB;
        if (p->lbt_score >= 0)
                pgc_buf_printf(b, "%d", p->lbt_score);
        else
                pgc_buf_add(b, "\\N", 2);
        TAB;
        add_enum(b, SWI_TE_LBT, p->lbt_uitkomst, 1);
        TAB;
        add_date(b, p->pip_datum);
        TAB;
        add_enum(b, SWI_TE_LEERROUTE, p->leerroute, 1);
        TAB;
        pgc_buf_printf(b, "%u", p->route_switches);
        TAB;
        add_bool(b, p->pip_in_opvang);
        TAB;
        add_date(b, p->start_pip_termijn);
        TAB;
        add_bool(b, p->pip_voor_termijn);
        TAB;
        add_bool(b, p->pip_binnen_10_weken);
        TAB;
        add_date(b, p->termijn_einde);
        TAB;
        add_enum(b, SWI_TE_EINDE, p->einde, 1);
        TAB;
        add_date(b, p->einde_datum);
        TAB;
        add_enum(b, SWI_TE_NIVEAU, p->einde == SWI_EINDE_VOLDAAN ? p->hoogste_niveau : 0, 1);
        TAB;
        pgc_buf_printf(b, "%u", p->n_werk);
        TAB;
        pgc_buf_printf(b, "%u", p->n_bijstand);
        TAB;
        pgc_buf_add(b, "{", 1);
        int first = 1;
        for (int k = 0; k < SWI_FIND__CNT; k++) {
                if (p->findings & (1u << k)) {
                        if (!first)
                                pgc_buf_add(b, ",", 1);
                        first = 0;
                        add_text(b, swi_finding_name((swi_finding_kind_t)k));
                }
        }
        pgc_buf_add(b, "}", 1);
}

/* A closed version carries no attributes: every date absent, every value unknown. */
static void closed_person(swi_person_t *p)
{
        memset(p, 0, sizeof(*p));
        p->plicht_start = p->geboortedatum = p->status_verleend = p->koppeling_datum =
                p->vestiging_datum = p->opvang_instroom = p->brede_intake_start =
                        p->brede_intake_afgerond = p->lbt_datum = p->pip_datum =
                                p->start_pip_termijn = p->termijn_einde = p->einde_datum =
                                        p->voorinburgering_start = p->voorinburgering_einde =
                                                SWI_DATE_NONE;
        p->koppeling_afstand_km = -1;
        p->leeftijd = -1;
        p->lbt_score = -1;
}

/* Tells the live publisher (pg_live.h) which clusters this batch changed:
 * one queue row with the keys (kind byte + pseudonym each) and the persons
 * of those clusters derived at the batch's day (persons: a pgc_persons_*
 * blob, or empty for none: NULL), and a notification, all delivered when the
 * batch commits. Both
 * byte strings go as binary parameters. */
static swi_err_t enqueue_publish(PGconn *conn, const keyset_t *ks, const buf_t *persons,
                                 char *errstr, size_t errstr_size)
{
        size_t klen = 1 + SWI_PSEUDO_LEN;
        char *keys = malloc(ks->n ? ks->n * klen : 1);
        if (!keys) {
                snprintf(errstr, errstr_size, "trajectory step: out of memory");
                return SWI_ERR_NOMEM;
        }
        for (size_t i = 0; i < ks->n; i++) {
                keys[i * klen] = (char)ks->v[i].kind;
                memcpy(keys + i * klen + 1, ks->v[i].ps, SWI_PSEUDO_LEN);
        }
        const char *vals[2] = {keys, persons->n ? persons->p : NULL}; /* none: NULL */
        int lens[2] = {(int)(ks->n * klen), (int)persons->n};
        int fmts[2] = {1, 1};
        /* one round trip in the batch transaction for both */
        PGresult *res = PQexecParams(
                conn,
                "WITH q AS (INSERT INTO swi_ops.publish_queue (keys, persons) VALUES ($1, $2) "
                "RETURNING 1) SELECT pg_notify('swi_publish', '') FROM q",
                2, NULL, vals, lens, fmts, 0);
        free(keys);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                return pgc_pg_fail(conn, res, "enqueue for the live figures", errstr, errstr_size);
        PQclear(res);
        return SWI_OK;
}

swi_err_t swi_pg_traj_update(PGconn *conn, const swi_traj_touch_t *touches, size_t n,
                             swi_traj_stats_t *stats, char *errstr, size_t errstr_size)
{
        static const swi_gemeente_lookup_t gl = {swi_gemeente_successor, swi_gemeente_region};
        keyset_t ks = {0};
        buf_t b = {0}, p1 = {0}, handed = {0};
        loaded_t ld = {0};
        size_t *parent = NULL;
        const swi_event_t **evp = NULL;
        cluster_t *cl = NULL;
        size_t ncl = 0;
        swi_versions_t vers = {0};
        swi_findings_t fnd = {0};
        PGresult *res = NULL;
        swi_err_t rc = SWI_OK;
        int added;
        bool publisher = false;
        /* the live figures' peildatum: today (UTC) */
        const int32_t today = (int32_t)((int64_t)pgc_now_s() / 86400);

        double tp[6] = {0};
        memset(stats, 0, sizeof(*stats));
        if (n == 0)
                return SWI_OK;

        tp[0] = pgc_now_s();
        /* 0. is a live publisher running? Only then are the persons at today
         * worth deriving and storing with the queue row (else they would pile
         * up unused: a publisher that starts later rebuilds from the events,
         * and re-derives from them what a row lacks) */
        {
                char sql[512];
                snprintf(sql, sizeof(sql),
                         "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                         "AND granted AND database = (SELECT oid FROM pg_database WHERE "
                         "datname = current_database()) AND classid = %lld AND objid = %lld "
                         "AND objsubid = 1)",
                         (long long)((uint64_t)PGC_LIVE_LOCK >> 32),
                         (long long)((uint64_t)PGC_LIVE_LOCK & 0xffffffffu));
                res = PQexec(conn, sql);
                if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                        rc = pgc_pg_fail(conn, res, "look for a live publisher", errstr, errstr_size);
                        res = NULL;
                        goto done;
                }
                publisher = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
                PQclear(res);
                res = NULL;
        }
        /* 1. identity edges brought by the batch, and the touched keys */
        pgc_buf_add(&b, "", 0);
        for (size_t i = 0; i < n; i++) {
                if (touches[i].has_bsn && pgc_keyset_add(&ks, SWI_PKEY_BSN, touches[i].bsn_ps) < 0)
                        goto nomem;
                if (touches[i].has_vnr && pgc_keyset_add(&ks, SWI_PKEY_VNR, touches[i].vnr_ps) < 0)
                        goto nomem;
                if (touches[i].has_bsn && touches[i].has_vnr) {
                        if (b.n)
                                pgc_buf_add(&b, ",", 1);
                        pgc_buf_hex(&b, touches[i].vnr_ps);
                        pgc_buf_add(&b, ":", 1);
                        pgc_buf_hex(&b, touches[i].bsn_ps);
                }
        }
        pgc_keyset_sort(&ks);
        if (b.oom)
                goto nomem;
        if (b.n) {
                static const char sql[] =
                        "INSERT INTO swi.identity_edges (vnr_ps, bsn_ps) "
                        "SELECT DISTINCT decode(split_part(x, ':', 1), 'hex'), "
                        "decode(split_part(x, ':', 2), 'hex') "
                        "FROM unnest(string_to_array($1, ',')) x ON CONFLICT DO NOTHING";
                const char *vals[1] = {b.p};
                rc = pgc_exec_ok(conn, sql, 1, vals, "insert identity edges", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }

        tp[1] = pgc_now_s();
        /* 2. whole clusters, locked; repeat until no other instance grew them */
        do {
                rc = pgc_expand(conn, &ks, &added, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        } while (added > 0);
        for (;;) {
                rc = lock_keys(conn, &ks, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                rc = pgc_expand(conn, &ks, &added, errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
                if (added == 0)
                        break;
        }

        tp[2] = pgc_now_s();
        /* 3. every event of the clusters, grouped by cluster */
        rc = pgc_load_clusters(conn, &ks, &ld, errstr, errstr_size);
        if (rc != SWI_OK)
                goto done;
        parent = ld.parent;
        evp = ld.evp;
        cl = ld.cl;
        ncl = ld.ncl;
        stats->events_loaded = (int64_t)ld.nev;
        /* from_k per cluster: the oldest registered_at among the batch's events */
        for (size_t i = 0; i < n; i++) {
                long a = touches[i].has_bsn ? pgc_keyset_find(&ks, SWI_PKEY_BSN, touches[i].bsn_ps)
                                            : pgc_keyset_find(&ks, SWI_PKEY_VNR, touches[i].vnr_ps);
                if (a < 0)
                        continue;
                size_t root = pgc_uf_find(parent, (size_t)a);
                size_t lo = 0, hi = ncl;
                while (lo < hi) {
                        size_t mid = (lo + hi) / 2;
                        if (cl[mid].root < root)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (lo < ncl && cl[lo].root == root && touches[i].registered_at < cl[lo].from_k)
                        cl[lo].from_k = touches[i].registered_at;
        }
        stats->clusters = (int64_t)ncl;

        tp[3] = pgc_now_s();
        /* 4. versions from from_k on; delete what they replace first */
        b.n = 0;
        pgc_buf_add(&b, "", 0);
        for (size_t c = 0; c < ncl; c++) {
                for (size_t k = 0; k < ks.n; k++) {
                        if (pgc_uf_find(parent, k) != cl[c].root)
                                continue;
                        if (b.n)
                                pgc_buf_add(&b, ",", 1);
                        pgc_buf_add(&b, pgc_kind_name(ks.v[k].kind), 3);
                        pgc_buf_add(&b, ":", 1);
                        pgc_buf_hex(&b, ks.v[k].ps);
                        pgc_buf_printf(&b, ":%lld", (long long)cl[c].from_k);
                }
        }
        if (b.oom)
                goto nomem;
        {
                static const char del[] =
                        "WITH d AS (SELECT split_part(x, ':', 1) AS kind, "
                        "decode(split_part(x, ':', 2), 'hex') AS ps, timestamptz 'epoch' + "
                        "split_part(x, ':', 3)::bigint * interval '1 millisecond' AS k "
                        "FROM unnest(string_to_array($1, ',')) x) "
                        "DELETE FROM swi.trajectory_versions v USING d "
                        "WHERE v.person_kind = d.kind AND v.person_ps = d.ps AND v.valid_from >= d.k";
                const char *vals[1] = {b.p};
                rc = pgc_exec_ok(conn, del, 1, vals, "delete replaced trajectory versions", errstr,
                             errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        /* the key list (kind:hex:from_k) is reused below for the current rows */
        p1.n = 0;
        pgc_buf_add(&p1, b.p, b.n);
        b.n = 0;
        pgc_buf_add(&b, "", 0);
        for (size_t c = 0; c < ncl; c++) {
                swi_versions_reset(&vers);
                rc = swi_cluster_versions(evp + cl[c].first, cl[c].n, cl[c].from_k, &gl, &vers);
                if (rc != SWI_OK)
                        goto done;
                for (size_t v = 0; v < vers.n; v++) {
                        const swi_version_t *ver = &vers.v[v];
                        pgc_buf_add(&b, pgc_kind_name(ver->person.key.kind), 3);
                        pgc_buf_add(&b, "\t\\\\x", 4);
                        pgc_buf_hex(&b, ver->person.key.ps);
                        pgc_buf_add(&b, "\t", 1);
                        pgc_add_ts(&b, ver->valid_from);
                        pgc_buf_add(&b, "\t\\N\t", 4);
                        pgc_buf_add(&b, ver->closed ? "t\t" : "f\t", 2);
                        if (ver->closed) {
                                swi_person_t empty;
                                closed_person(&empty);
                                add_person_columns(&b, &empty);
                        } else {
                                add_person_columns(&b, &ver->person);
                        }
                        pgc_buf_add(&b, "\n", 1);
                        stats->versions_written++;
                }
        }
        if (b.oom)
                goto nomem;
        {
                char sql[2048];
                snprintf(sql, sizeof(sql),
                         "COPY swi.trajectory_versions (person_kind, person_ps, valid_from, "
                         "valid_to, closed, %s) FROM STDIN",
                         traj_columns);
                rc = pgc_copy_in(conn, sql, &b, "COPY trajectory versions", errstr, errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }
        {
                /* Rows are matched back by ctid: joining on (kind, ps,
                 * valid_from) lets the planner pick the valid_from index,
                 * and thousands of versions can share one valid_from (a
                 * bulk registration), which made this quadratic. */
                static const char fix[] =
                        KEYS_CTE ", "
                        "n AS (SELECT v.ctid AS tid, v.valid_to, "
                        "lead(v.valid_from) OVER (PARTITION BY v.person_kind, v.person_ps "
                        "ORDER BY v.valid_from) AS nxt FROM swi.trajectory_versions v "
                        "JOIN d ON v.person_kind = d.kind AND v.person_ps = d.ps) "
                        "UPDATE swi.trajectory_versions v SET valid_to = n.nxt FROM n "
                        "WHERE v.ctid = n.tid AND n.valid_to IS DISTINCT FROM n.nxt";
                static const char cur_del[] =
                        KEYS_CTE " "
                        "DELETE FROM swi.trajectories t USING d "
                        "WHERE t.person_kind = d.kind AND t.person_ps = d.ps";
                char cur_ins[2048];
                snprintf(cur_ins, sizeof(cur_ins),
                         KEYS_CTE " "
                         "INSERT INTO swi.trajectories (person_kind, person_ps, valid_from, %s) "
                         "SELECT v.person_kind, v.person_ps, v.valid_from, %s "
                         "FROM swi.trajectory_versions v JOIN d ON v.person_kind = d.kind "
                         "AND v.person_ps = d.ps WHERE v.valid_to IS NULL AND NOT v.closed",
                         traj_columns, traj_columns);
                static const char fnd_del[] =
                        KEYS_CTE " "
                        "DELETE FROM swi_ops.findings f USING d "
                        "WHERE f.person_kind = d.kind AND f.person_ps = d.ps";
                const char *vals[1] = {p1.p};
                rc = pgc_exec_ok(conn, fix, 1, vals, "close trajectory versions", errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = pgc_exec_ok(conn, cur_del, 1, vals, "delete current trajectories",
                                     errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = pgc_exec_ok(conn, cur_ins, 1, vals, "insert current trajectories",
                                     errstr, errstr_size);
                if (rc == SWI_OK)
                        rc = pgc_exec_ok(conn, fnd_del, 1, vals, "delete findings", errstr,
                                     errstr_size);
                if (rc != SWI_OK)
                        goto done;
        }

        tp[4] = pgc_now_s();
        /* 5. findings as known now; the persons at today for the live figures */
        b.n = 0;
        pgc_buf_add(&b, "", 0);
        if (publisher)
                pgc_persons_begin(&handed, today);
        for (size_t c = 0; c < ncl; c++) {
                swi_cluster_t *cr = swi_cluster_resolve(evp + cl[c].first, cl[c].n, SWI_K_ALL,
                                                        errstr, errstr_size);
                if (!cr)
                        goto nomem;
                size_t np = swi_cluster_person_count(cr);
                for (size_t i = 0; i < np; i++) {
                        swi_person_t person;
                        swi_findings_reset(&fnd);
                        if (swi_cluster_person_derive(cr, i, SWI_DATE_END, &gl, &person, &fnd) !=
                            SWI_OK) {
                                swi_cluster_destroy(cr);
                                goto nomem;
                        }
                        for (size_t f = 0; f < fnd.n; f++) {
                                pgc_buf_add(&b, pgc_kind_name(person.key.kind), 3);
                                pgc_buf_add(&b, "\t\\\\x", 4);
                                pgc_buf_hex(&b, person.key.ps);
                                pgc_buf_add(&b, "\t", 1);
                                add_text(&b, swi_finding_name(fnd.v[f].kind));
                                pgc_buf_add(&b, "\t", 1);
                                add_text(&b, fnd.v[f].event_id);
                                pgc_buf_add(&b, "\t", 1);
                                add_date(&b, fnd.v[f].date);
                                pgc_buf_add(&b, "\n", 1);
                        }
                        if (!publisher)
                                continue;
                        if (swi_cluster_person_derive(cr, i, today, &gl, &person, NULL) != SWI_OK) {
                                swi_cluster_destroy(cr);
                                goto nomem;
                        }
                        pgc_persons_add(&handed, &person);
                }
                swi_cluster_destroy(cr);
        }
        if (b.oom || handed.oom)
                goto nomem;
        rc = pgc_copy_in(conn,
                     "COPY swi_ops.findings (person_kind, person_ps, kind, event_id, event_date) "
                     "FROM STDIN",
                     &b, "COPY findings", errstr, errstr_size);
        if (rc == SWI_OK)
                rc = enqueue_publish(conn, &ks, &handed, errstr, errstr_size);
        tp[5] = pgc_now_s();
        SWI_LOG_D("trajectory", "step", "clusters=%lld events=%lld versions=%lld edges_s=%.3f "
                  "lock_s=%.3f load_s=%.3f versions_s=%.3f findings_s=%.3f",
                  (long long)stats->clusters, (long long)stats->events_loaded,
                  (long long)stats->versions_written, tp[1] - tp[0], tp[2] - tp[1],
                  tp[3] - tp[2], tp[4] - tp[3], tp[5] - tp[4]);
        goto done;
nomem:
        snprintf(errstr, errstr_size, "trajectory step: out of memory");
        rc = SWI_ERR_NOMEM;
done:
        PQclear(res);
        swi_versions_free(&vers);
        swi_findings_free(&fnd);
        free(ks.v);
        free(b.p);
        free(p1.p);
        free(handed.p);
        pgc_loaded_free(&ld);
        return rc;
}

