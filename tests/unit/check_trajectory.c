/* check_trajectory.c - indicators.md §1-§4 on hand-worked cases.
 *
 * Every expected value below is computed by hand from indicators.md (the
 * arithmetic is in the comments), not by running the code. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/trajectory.h"

/* ---- fixture helpers ----------------------------------------------------- */

#define MAXEV 256
#include "event_pool.h"

static swi_event_t *ev(swi_evtype_t t, const char *id, const char *date, int64_t reg, int bsn,
                       int vnr)
{
        return pool_dated(t, id, date, reg, bsn, vnr);
}

static swi_field_t *field(swi_event_t *e, const char *name, swi_vkind_t kind)
{
        ck_assert_int_lt(e->nfields, SWI_MAX_FIELDS);
        swi_field_t *f = &e->fields[e->nfields++];
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->kind = kind;
        return f;
}

static swi_event_t *fs(swi_event_t *e, const char *name, const char *v)
{
        snprintf(field(e, name, SWI_V_STRING)->s, SWI_FIELD_STR_MAX, "%s", v);
        return e;
}

static swi_event_t *fi(swi_event_t *e, const char *name, int64_t v)
{
        field(e, name, SWI_V_INT)->i = v;
        return e;
}

static swi_event_t *fb(swi_event_t *e, const char *name, bool v)
{
        field(e, name, SWI_V_BOOL)->i = v;
        return e;
}

static swi_event_t *fd(swi_event_t *e, const char *name, const char *date)
{
        field(e, name, SWI_V_DATE)->i = D(date);
        return e;
}

static swi_event_t *corrects(swi_event_t *e, const char *target)
{
        e->has_corrects = true;
        snprintf(e->corrects, sizeof(e->corrects), "%s", target);
        return e;
}

static swi_event_t *retr(swi_evtype_t t, const char *id, const char *target, int64_t reg, int bsn,
                         int vnr)
{
        swi_event_t *e = ev(t, id, "2024-01-01", reg, bsn, vnr);
        e->has_retracts = true;
        snprintf(e->retracts, sizeof(e->retracts), "%s", target);
        return e;
}

static swi_event_t *plicht(int bsn, const char *id, const char *date, const char *wet,
                           const char *doelgroep)
{
        return fs(fs(ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, id, date, 10, bsn, 0), "wet", wet),
                  "doelgroep", doelgroep);
}

static swi_person_key_t key(int kind, int b)
{
        swi_person_key_t k;
        memset(&k, 0, sizeof(k));
        k.kind = (uint8_t)kind;
        memset(k.ps, b, SWI_PSEUDO_LEN);
        return k;
}

/* Stub of transform/gemeenten.c: the four dissolved codes of §7 and the
 * regions of the 2024 CSV for the codes used here. */
static const char *stub_successor(const char *code)
{
        if (strcmp(code, "GM0457") == 0)
                return "GM0363";
        if (strcmp(code, "GM0501") == 0 || strcmp(code, "GM0530") == 0 ||
            strcmp(code, "GM0614") == 0)
                return "GM1992";
        return NULL;
}

static const char *stub_region(const char *code)
{
        if (strcmp(code, "GM0014") == 0)
                return "AM01";
        if (strcmp(code, "GM0363") == 0)
                return "AM18";
        if (strcmp(code, "GM1992") == 0)
                return "AM22";
        return NULL;
}

static const swi_gemeente_lookup_t stub_gl = {stub_successor, stub_region};

/* Derives BSN person b from the whole pool at (P, K). */
static swi_person_t person_at(int b, int32_t P, int64_t K, swi_findings_t *f)
{
        swi_person_t p;
        char err[128];
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, K, err, sizeof(err));
        ck_assert_ptr_nonnull(c);
        swi_person_key_t k = key(SWI_PKEY_BSN, b);
        long i = swi_cluster_person_find(c, &k);
        ck_assert_msg(i >= 0, "person %d not found", b);
        ck_assert_int_eq(swi_cluster_person_derive(c, (size_t)i, P, &stub_gl, &p, f), SWI_OK);
        swi_cluster_destroy(c);
        return p;
}

static bool has_finding(const swi_findings_t *f, swi_finding_kind_t k, const char *event_id)
{
        for (size_t i = 0; i < f->n; i++)
                if (f->v[i].kind == k &&
                    (event_id == NULL || strcmp(f->v[i].event_id, event_id) == 0))
                        return true;
        return false;
}

#define END SWI_DATE_END
#define ALL SWI_K_ALL

/* ---- §4 PIP term -------------------------------------------------------- */

START_TEST(test_trajectory_pip_term_10_weeks)
{
        reset();
        /* Person 1: plicht 2023-01-10, settled 2023-03-01, PIP 2023-04-20.
         * start_pip_termijn = later of the two = 2023-03-01.
         * PIP - start = 31 (March) + 19 = 50 days <= 70: within 10 weeks.
         * termijn_einde = 2023-04-20 + 3 years = 2026-04-20. */
        plicht(1, "p1", "2023-01-10", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g1", "2023-03-01", 20, 1, 0), "gemeente", "GM0014");
        fs(ev(SWI_EV_GEM_BREDE_INTAKE_GESTART, "i1", "2023-03-10", 20, 1, 0), "gemeente", "GM0014");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "x1", "2023-04-20", 30, 1, 0), "leerroute", "B1");
        /* Person 2: PIP set in the azc on 2023-02-15, settled 2023-03-01.
         * pip < vestiging: pip_in_opvang; pip < start (2023-03-01): voor termijn. */
        plicht(2, "p2", "2023-01-10", "WI2021", "ASIEL");
        ev(SWI_EV_COA_OPVANG_INSTROOM, "o2", "2022-12-01", 10, 2, 2);
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "x2", "2023-02-15", 30, 2, 0), "leerroute", "Z");
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g2", "2023-03-01", 40, 2, 0), "gemeente", "GM0014");
        /* Person 3: settled 2022-11-01 before plicht 2023-01-10; PIP 2023-01-05.
         * Not in opvang (pip >= vestiging) but before the term (start 2023-01-10). */
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g3", "2022-11-01", 10, 3, 0), "gemeente", "GM0014");
        plicht(3, "p3", "2023-01-10", "WI2021", "GEZIN");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "x3", "2023-01-05", 30, 3, 0), "leerroute", "B1");

        swi_findings_t f = {0};
        swi_person_t p = person_at(1, END, ALL, &f);
        ck_assert_int_eq(p.start_pip_termijn, D("2023-03-01"));
        ck_assert_int_eq(p.pip_datum, D("2023-04-20"));
        ck_assert(!p.pip_in_opvang);
        ck_assert(!p.pip_voor_termijn);
        ck_assert(p.pip_binnen_10_weken);
        ck_assert_int_eq(p.termijn_einde, D("2026-04-20"));
        ck_assert(!has_finding(&f, SWI_FIND_PIP_BEFORE_INTAKE, NULL));

        swi_findings_reset(&f);
        p = person_at(2, END, ALL, &f);
        ck_assert(p.pip_in_opvang);
        ck_assert(p.pip_voor_termijn);
        ck_assert(!p.pip_binnen_10_weken);
        ck_assert_int_eq(p.start_pip_termijn, D("2023-03-01"));
        ck_assert(p.in_opvang); /* no OpvangUitstroom */
        ck_assert(has_finding(&f, SWI_FIND_PIP_BEFORE_INTAKE, "x2"));
        /* At P = 2023-02-20 not yet settled: no term start, still in opvang. */
        p = person_at(2, D("2023-02-20"), ALL, NULL);
        ck_assert_int_eq(p.start_pip_termijn, SWI_DATE_NONE);
        ck_assert(p.pip_in_opvang);
        ck_assert(p.pip_voor_termijn);

        p = person_at(3, END, ALL, NULL);
        ck_assert(!p.pip_in_opvang);
        ck_assert_int_eq(p.start_pip_termijn, D("2023-01-10"));
        ck_assert(p.pip_voor_termijn);
        ck_assert(!p.pip_binnen_10_weken);
        swi_findings_free(&f);
}
END_TEST

START_TEST(test_trajectory_pip_70_and_71_days)
{
        reset();
        /* start 2023-03-01 (settled; plicht 2023-01-01). 2023-03-01 + 70 days:
         * to 03-31 = 30, to 04-30 = 60, to 05-10 = 70. */
        for (int b = 1; b <= 2; b++) {
                char id[8];
                snprintf(id, sizeof(id), "p%d", b);
                plicht(b, id, "2023-01-01", "WI2021", "ASIEL");
                snprintf(id, sizeof(id), "g%d", b);
                fs(ev(SWI_EV_GEM_GEVESTIGD, id, "2023-03-01", 20, b, 0), "gemeente", "GM0014");
        }
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "x1", "2023-05-10", 30, 1, 0), "leerroute", "B1");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "x2", "2023-05-11", 30, 2, 0), "leerroute", "B1");
        swi_person_t p = person_at(1, END, ALL, NULL);
        ck_assert_int_eq(p.pip_datum - p.start_pip_termijn, 70);
        ck_assert(p.pip_binnen_10_weken);
        ck_assert(!p.pip_voor_termijn);
        p = person_at(2, END, ALL, NULL);
        ck_assert_int_eq(p.pip_datum - p.start_pip_termijn, 71);
        ck_assert(!p.pip_binnen_10_weken);
        ck_assert(!p.pip_voor_termijn);
        /* Before the PIP's date there is no PIP at all. */
        p = person_at(1, D("2023-05-09"), ALL, NULL);
        ck_assert_int_eq(p.pip_datum, SWI_DATE_NONE);
        ck_assert(!p.pip_binnen_10_weken);
        ck_assert_int_eq(p.termijn_einde, SWI_DATE_NONE);
}
END_TEST

START_TEST(test_trajectory_termijn_two_extensions)
{
        reset();
        /* PIP 2024-02-29: termijn_einde = 2024-02-29 + 3 years = 2027-02-28
         * (29 February + years = 28 February, §1). */
        plicht(1, "p1", "2024-01-15", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g1", "2024-02-01", 20, 1, 0), "gemeente", "GM0014");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "x1", "2024-02-29", 30, 1, 0), "leerroute", "B1");
        /* T1 dated 2026-01-10 (registered last), T2 dated 2026-06-01 (registered
         * first): "latest" is by event_date, so T2 wins once it is <= P. */
        fs(fd(ev(SWI_EV_DUO_TERMIJN_VERLENGD, "t1", "2026-01-10", 500, 1, 0), "nieuwe_einddatum",
              "2027-08-31"),
           "grond", "KINDEROPVANG");
        fs(fd(ev(SWI_EV_DUO_TERMIJN_VERLENGD, "t2", "2026-06-01", 400, 1, 0), "nieuwe_einddatum",
              "2027-12-31"),
           "grond", "MEDISCH");
        /* Person 2: an extension without any PIP. */
        plicht(2, "p2", "2024-01-15", "WI2021", "GEZIN");
        fs(fd(ev(SWI_EV_DUO_TERMIJN_VERLENGD, "t3", "2025-01-10", 500, 2, 0), "nieuwe_einddatum",
              "2027-08-31"),
           "grond", "WERK");

        swi_person_t p = person_at(1, D("2025-12-31"), ALL, NULL);
        ck_assert_int_eq(p.termijn_einde, D("2027-02-28"));
        p = person_at(1, D("2026-03-01"), ALL, NULL);
        ck_assert_int_eq(p.termijn_einde, D("2027-08-31"));
        ck_assert_int_eq(p.verlengingen[SWI_VGR_KINDEROPVANG], 1);
        ck_assert_int_eq(p.verlengingen[SWI_VGR_MEDISCH], 0);
        p = person_at(1, D("2026-06-01"), ALL, NULL);
        ck_assert_int_eq(p.termijn_einde, D("2027-12-31"));
        p = person_at(1, END, ALL, NULL);
        ck_assert_int_eq(p.termijn_einde, D("2027-12-31"));
        ck_assert_int_eq(p.verlengingen[SWI_VGR_MEDISCH], 1);
        /* At K = 450 only T2 is known (T1 registered at 500). */
        p = person_at(1, D("2026-03-01"), 450, NULL);
        ck_assert_int_eq(p.termijn_einde, D("2027-02-28"));

        swi_findings_t f = {0};
        p = person_at(2, END, ALL, &f);
        ck_assert_int_eq(p.termijn_einde, SWI_DATE_NONE);
        ck_assert(has_finding(&f, SWI_FIND_EXTENSION_WITHOUT_PIP, "t3"));
        ck_assert(p.findings & (1u << SWI_FIND_EXTENSION_WITHOUT_PIP));
        swi_findings_free(&f);
}
END_TEST

/* ---- leerroute ----------------------------------------------------------- */

START_TEST(test_trajectory_leerroute_after_switch)
{
        reset();
        /* Person 1: PIP B1 2023-05-01; switch to Z 2023-09-01; "switch" to Z
         * again 2023-10-01 (same route: not a switch). */
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "x1", "2023-05-01", 30, 1, 0), "leerroute", "B1");
        fs(ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, "l1", "2023-09-01", 40, 1, 0), "leerroute", "Z");
        fs(ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, "l2", "2023-10-01", 50, 1, 0), "leerroute", "Z");
        swi_person_t p = person_at(1, D("2023-08-31"), ALL, NULL);
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_B1);
        ck_assert_int_eq(p.route_switches, 0);
        p = person_at(1, D("2023-09-01"), ALL, NULL);
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_Z);
        ck_assert_int_eq(p.route_switches, 1);
        p = person_at(1, END, ALL, NULL);
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_Z);
        ck_assert_int_eq(p.route_switches, 1);

        /* Person 2: a LeerrouteGewijzigd with no route before it only sets the
         * route; the PIP then sets B1 (latest of PIP/LG); a later change to
         * ONDERWIJS is the one switch. */
        plicht(2, "p2", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, "l3", "2023-04-01", 30, 2, 0), "leerroute",
           "ONDERWIJS");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "x2", "2023-05-01", 40, 2, 0), "leerroute", "B1");
        fs(ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, "l4", "2023-06-01", 50, 2, 0), "leerroute",
           "ONDERWIJS");
        p = person_at(2, D("2023-04-15"), ALL, NULL);
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_ONDERWIJS);
        ck_assert_int_eq(p.route_switches, 0);
        ck_assert_int_eq(p.pip_datum, SWI_DATE_NONE);
        p = person_at(2, D("2023-05-01"), ALL, NULL);
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_B1);
        ck_assert_int_eq(p.route_switches, 0);
        p = person_at(2, END, ALL, NULL);
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_ONDERWIJS);
        ck_assert_int_eq(p.route_switches, 1);
}
END_TEST

/* ---- werk / bijstand ------------------------------------------------------ */

START_TEST(test_trajectory_werk_year_windows)
{
        reset();
        /* Person 1: settled 2023-03-15. Year 1 = [2023-03-15, 2024-03-15), last
         * day 2024-03-14; year 2 = [2024-03-15, 2025-03-15), last day 2025-03-14.
         * Work [2024-03-14, 2024-03-20) covers the last day of year 1 and the
         * first day of year 2. */
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g1", "2023-03-15", 20, 1, 0), "gemeente", "GM0014");
        fs(fi(fs(ev(SWI_EV_GEM_WERK_GESTART, "w1", "2024-03-14", 30, 1, 0), "sector", "I"),
              "uren_per_week", 20),
           "contract", "TIJDELIJK");
        ev(SWI_EV_GEM_WERK_BEEINDIGD, "w2", "2024-03-20", 40, 1, 0);
        swi_person_t p = person_at(1, D("2024-03-13"), ALL, NULL);
        ck_assert_int_eq(swi_person_werk_year(&p, 1), -1); /* window not ended */
        p = person_at(1, D("2024-03-14"), ALL, NULL);
        ck_assert_int_eq(swi_person_werk_year(&p, 1), 1);
        ck_assert_int_eq(swi_person_werk_year(&p, 2), -1);
        ck_assert_int_eq(p.werk[0].end, SWI_DATE_OPEN); /* its end is after P */
        p = person_at(1, D("2025-03-13"), ALL, NULL);
        ck_assert_int_eq(swi_person_werk_year(&p, 2), -1);
        p = person_at(1, D("2025-03-14"), ALL, NULL);
        ck_assert_int_eq(swi_person_werk_year(&p, 2), 1);
        ck_assert_int_eq(swi_person_werk_year(&p, 3), -1);
        ck_assert_int_eq(p.werk[0].sector, 'I');
        ck_assert_int_eq(p.werk[0].uren_per_week, 20);
        ck_assert_int_eq(p.werk[0].contract, SWI_CONTRACT_TIJDELIJK);

        /* Person 2: work [2023-01-01, 2023-03-15) ends on the window's first day,
         * which is not a working day: year 1 = 0. Work from 2024-03-15 starts
         * on year 2's first day: year 1 stays 0, year 2 = 1. */
        plicht(2, "p2", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g2", "2023-03-15", 20, 2, 0), "gemeente", "GM0014");
        fs(ev(SWI_EV_GEM_WERK_GESTART, "w3", "2023-01-01", 30, 2, 0), "sector", "G");
        ev(SWI_EV_GEM_WERK_BEEINDIGD, "w4", "2023-03-15", 40, 2, 0);
        fs(ev(SWI_EV_GEM_WERK_GESTART, "w5", "2024-03-15", 50, 2, 0), "sector", "N");
        p = person_at(2, D("2025-03-14"), ALL, NULL);
        ck_assert_int_eq(swi_person_werk_year(&p, 1), 0);
        ck_assert_int_eq(swi_person_werk_year(&p, 2), 1);

        /* Person 3: two open spells; an end closes the earliest-started one;
         * a third end finds none open. Bijstand end with none open; bijstand
         * from 2023-04-01 covers year 1. */
        plicht(3, "p3", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g3", "2023-03-15", 20, 3, 0), "gemeente", "GM0014");
        fs(fi(ev(SWI_EV_GEM_WERK_GESTART, "w6", "2023-05-01", 30, 3, 0), "uren_per_week", 40),
           "sector", "G");
        fs(fi(ev(SWI_EV_GEM_WERK_GESTART, "w7", "2023-06-01", 30, 3, 0), "uren_per_week", 16),
           "sector", "N");
        ev(SWI_EV_GEM_WERK_BEEINDIGD, "w8", "2023-07-01", 30, 3, 0);
        ev(SWI_EV_GEM_WERK_BEEINDIGD, "w9", "2023-08-01", 30, 3, 0);
        ev(SWI_EV_GEM_WERK_BEEINDIGD, "wa", "2023-09-01", 30, 3, 0);
        ev(SWI_EV_GEM_BIJSTAND_BEEINDIGD, "b1", "2023-03-20", 30, 3, 0);
        ev(SWI_EV_GEM_BIJSTAND_GESTART, "b2", "2023-04-01", 30, 3, 0);
        swi_findings_t f = {0};
        p = person_at(3, D("2023-07-15"), ALL, &f);
        ck_assert_int_eq(p.n_werk, 2);
        ck_assert_int_eq(p.werk[0].end, D("2023-07-01")); /* May spell closed */
        ck_assert_int_eq(p.werk[1].end, SWI_DATE_OPEN);
        const swi_werk_spell_t *s = swi_person_werk_at(&p, D("2023-06-15"));
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(s->sector, 'N'); /* most recently started covering spell */
        s = swi_person_werk_at(&p, D("2023-07-01"));
        ck_assert_int_eq(s->sector, 'N');
        s = swi_person_werk_at(&p, D("2023-05-15"));
        ck_assert_int_eq(s->sector, 'G');
        ck_assert_ptr_null(swi_person_werk_at(&p, D("2023-04-30")));
        ck_assert(!has_finding(&f, SWI_FIND_WERK_END_NONE_OPEN, NULL));
        ck_assert(has_finding(&f, SWI_FIND_BIJSTAND_END_NONE_OPEN, "b1"));
        swi_findings_reset(&f);
        p = person_at(3, END, ALL, &f);
        ck_assert_int_eq(p.werk[1].end, D("2023-08-01"));
        ck_assert(has_finding(&f, SWI_FIND_WERK_END_NONE_OPEN, "wa"));
        ck_assert_int_eq(p.n_bijstand, 1);
        ck_assert_int_eq(swi_person_bijstand_year(&p, 1), 1);
        swi_findings_free(&f);
}
END_TEST

/* ---- §4 age ---------------------------------------------------------------- */

START_TEST(test_trajectory_leeftijdsklasse_boundaries)
{
        static const struct {
                const char *birth, *plicht;
                int age, klasse, jongere;
        } cases[] = {
            /* plicht 2023-06-15: the birthday on 06-16 is not yet reached. */
            {"2005-06-16", "2023-06-15", 17, SWI_LFT_LT18, SWI_TRI_JA},
            {"2005-06-15", "2023-06-15", 18, SWI_LFT_18_24, SWI_TRI_JA},
            {"1998-06-16", "2023-06-15", 24, SWI_LFT_18_24, SWI_TRI_JA},
            {"1998-06-15", "2023-06-15", 25, SWI_LFT_25_34, SWI_TRI_JA},
            {"1994-06-16", "2023-06-15", 28, SWI_LFT_25_34, SWI_TRI_JA},
            {"1994-06-15", "2023-06-15", 29, SWI_LFT_25_34, SWI_TRI_NEE},
            {"1968-06-16", "2023-06-15", 54, SWI_LFT_45_54, SWI_TRI_NEE},
            {"1968-06-15", "2023-06-15", 55, SWI_LFT_55PLUS, SWI_TRI_NEE},
            /* 29 February birthday, non-leap 2022: reached on 1 March. */
            {"2004-02-29", "2022-02-28", 17, SWI_LFT_LT18, SWI_TRI_JA},
            {"2004-02-29", "2022-03-01", 18, SWI_LFT_18_24, SWI_TRI_JA},
            /* leap 2024: reached on 29 February itself. */
            {"2000-02-29", "2024-02-28", 23, SWI_LFT_18_24, SWI_TRI_JA},
            {"2000-02-29", "2024-02-29", 24, SWI_LFT_18_24, SWI_TRI_JA},
            {"1999-02-28", "2024-02-28", 25, SWI_LFT_25_34, SWI_TRI_JA},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                reset();
                plicht(1, "p1", cases[i].plicht, "WI2021", "ASIEL");
                fd(ev(SWI_EV_IND_ASIELAANVRAAG_INGEDIEND, "a1", "2021-01-01", 5, 1, 1),
                   "geboortedatum", cases[i].birth);
                swi_person_t p = person_at(1, END, ALL, NULL);
                ck_assert_msg(p.leeftijd == cases[i].age, "case %zu: age %d, want %d", i,
                              p.leeftijd, cases[i].age);
                ck_assert_int_eq(p.leeftijdsklasse, cases[i].klasse);
                ck_assert_int_eq(p.jongere, cases[i].jongere);
        }
        /* No geboortedatum: ONBEKEND. */
        reset();
        plicht(1, "p1", "2023-06-15", "WI2021", "ASIEL");
        swi_person_t p = person_at(1, END, ALL, NULL);
        ck_assert_int_eq(p.leeftijd, -1);
        ck_assert_int_eq(p.leeftijdsklasse, SWI_LFT_ONBEKEND);
        ck_assert_int_eq(p.jongere, SWI_TRI_ONBEKEND);
        ck_assert_int_eq(p.geslacht, SWI_GESLACHT_ONBEKEND);
        ck_assert_str_eq(swi_traj_name(SWI_TE_LFTKLASSE, SWI_LFT_55PLUS), "55+");
}
END_TEST

START_TEST(test_trajectory_ind_attributes_latest_carrying)
{
        reset();
        /* geslacht: M (asylum application), then V (permit): latest wins.
         * nationaliteit only on the application: it stays SYR. */
        plicht(1, "p1", "2022-06-15", "WI2021", "ASIEL");
        fs(fs(fd(ev(SWI_EV_IND_ASIELAANVRAAG_INGEDIEND, "a1", "2022-01-01", 5, 1, 1),
                 "geboortedatum", "1990-01-01"),
              "geslacht", "M"),
           "nationaliteit", "SYR");
        fs(fs(ev(SWI_EV_IND_VERBLIJFSVERGUNNING_VERLEEND, "v1", "2022-06-01", 6, 1, 1),
              "vergunning", "ASIEL_BEPAALD"),
           "geslacht", "V");
        swi_person_t p = person_at(1, D("2022-03-01"), ALL, NULL);
        ck_assert_int_eq(p.geslacht, SWI_GESLACHT_M);
        ck_assert_int_eq(p.status_verleend, SWI_DATE_NONE);
        p = person_at(1, END, ALL, NULL);
        ck_assert_int_eq(p.geslacht, SWI_GESLACHT_V);
        ck_assert_str_eq(p.nationaliteit, "SYR");
        ck_assert_int_eq(p.geboortedatum, D("1990-01-01"));
        ck_assert_int_eq(p.status_verleend, D("2022-06-01"));
        ck_assert_int_eq(p.leeftijd, 32);
}
END_TEST

/* ---- §1 corrections and retractions ---------------------------------------- */

static swi_person_t pip_at_k(int64_t K)
{
        return person_at(1, END, K, NULL);
}

START_TEST(test_trajectory_correction_of_correction)
{
        reset();
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "a", "2023-05-01", 100, 1, 0), "leerroute", "B1");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c1", "2023-05-10", 200, 1, 0), "a"),
           "leerroute", "Z");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c2", "2023-05-20", 300, 1, 0), "c1"),
           "leerroute", "ONDERWIJS");
        retr(SWI_EV_GEM_INTREKKING, "r1", "c1", 400, 1, 0);
        retr(SWI_EV_GEM_INTREKKING, "r2", "c2", 500, 1, 0);
        /* K=150: root only. K=250: c1. K=350: c2 (latest live correction of a).
         * K=450: c1 retracted, c2 still corrects the root a. K=550: none live:
         * the root's own values. */
        swi_person_t p = pip_at_k(150);
        ck_assert_int_eq(p.pip_datum, D("2023-05-01"));
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_B1);
        p = pip_at_k(250);
        ck_assert_int_eq(p.pip_datum, D("2023-05-10"));
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_Z);
        p = pip_at_k(350);
        ck_assert_int_eq(p.pip_datum, D("2023-05-20"));
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_ONDERWIJS);
        p = pip_at_k(450);
        ck_assert_int_eq(p.pip_datum, D("2023-05-20"));
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_ONDERWIJS);
        p = pip_at_k(550);
        ck_assert_int_eq(p.pip_datum, D("2023-05-01"));
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_B1);
        ck_assert_int_eq(p.n_pip, 1); /* still one event */

        /* The effective event keeps the root's id and registered_at. */
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, 350, NULL, 0);
        size_t n;
        const swi_eff_t *e = swi_cluster_events(c, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(e[1].root->event_id, "a");
        ck_assert_int_eq(e[1].root->registered_at, 100);
        ck_assert_str_eq(e[1].val->event_id, "c2");
        ck_assert_int_eq(e[1].event_date, D("2023-05-20"));
        swi_cluster_destroy(c);
}
END_TEST

START_TEST(test_trajectory_retract_correction_falls_back)
{
        reset();
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "a", "2023-05-01", 100, 1, 0), "leerroute", "B1");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c1", "2023-05-10", 200, 1, 0), "a"),
           "leerroute", "Z");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c2", "2023-05-20", 300, 1, 0), "a"),
           "leerroute", "ONDERWIJS");
        retr(SWI_EV_GEM_INTREKKING, "r", "c2", 400, 1, 0);
        /* K=350: c2 (latest registered_at). K=all: c2 retracted -> c1. */
        ck_assert_int_eq(pip_at_k(350).pip_datum, D("2023-05-20"));
        ck_assert_int_eq(pip_at_k(ALL).pip_datum, D("2023-05-10"));
        retr(SWI_EV_GEM_INTREKKING, "r1", "c1", 450, 1, 0);
        /* Both corrections retracted: the root's values. */
        ck_assert_int_eq(pip_at_k(ALL).pip_datum, D("2023-05-01"));

        /* Tie in registered_at: the greatest event_id wins ("c4" > "c3"). */
        reset();
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "a", "2023-05-01", 100, 1, 0), "leerroute", "B1");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c4", "2023-06-02", 500, 1, 0), "a"),
           "leerroute", "B1");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c3", "2023-06-01", 500, 1, 0), "a"),
           "leerroute", "B1");
        ck_assert_int_eq(pip_at_k(ALL).pip_datum, D("2023-06-02"));
}
END_TEST

START_TEST(test_trajectory_retract_root)
{
        reset();
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "a", "2023-05-01", 100, 1, 0), "leerroute", "B1");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c1", "2023-05-10", 200, 1, 0), "a"),
           "leerroute", "Z");
        retr(SWI_EV_GEM_INTREKKING, "r", "a", 300, 1, 0);
        /* A correction arriving after its root was retracted stays gone. */
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c2", "2023-05-20", 400, 1, 0), "a"),
           "leerroute", "Z");
        ck_assert_int_eq(pip_at_k(250).pip_datum, D("2023-05-10"));
        swi_person_t p = pip_at_k(ALL);
        ck_assert_int_eq(p.pip_datum, SWI_DATE_NONE);
        ck_assert_int_eq(p.n_pip, 0);
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, ALL, NULL, 0);
        size_t n, nr;
        (void)swi_cluster_events(c, &n);
        ck_assert_uint_eq(n, 1); /* only the plicht */
        (void)swi_cluster_refs(c, NULL, &nr);
        ck_assert_uint_eq(nr, 0);
        swi_cluster_destroy(c);
}
END_TEST

START_TEST(test_trajectory_correction_before_target)
{
        reset();
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        /* The correction is registered (100) before its target (200). */
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c", "2023-06-01", 100, 1, 0), "a"), "leerroute",
           "Z");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "a", "2023-05-01", 200, 1, 0), "leerroute", "B1");
        /* Likewise a retraction (300) before its target (400). */
        retr(SWI_EV_GEM_INTREKKING, "r", "x", 300, 1, 0);
        fs(ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, "x", "2023-07-01", 400, 1, 0), "leerroute",
           "ONDERWIJS");

        swi_findings_t f = {0};
        swi_person_t p = person_at(1, END, 150, &f);
        ck_assert_int_eq(p.pip_datum, SWI_DATE_NONE);
        ck_assert(has_finding(&f, SWI_FIND_PENDING_CORRECTION, "c"));
        ck_assert(p.findings & (1u << SWI_FIND_PENDING_CORRECTION));

        swi_findings_reset(&f);
        p = person_at(1, END, 250, &f);
        ck_assert_int_eq(p.pip_datum, D("2023-06-01")); /* c applies to a */
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_Z);
        ck_assert(!has_finding(&f, SWI_FIND_PENDING_CORRECTION, NULL));

        swi_findings_reset(&f);
        p = person_at(1, END, 350, &f);
        ck_assert(has_finding(&f, SWI_FIND_PENDING_RETRACTION, "r"));
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_Z);

        swi_findings_reset(&f);
        p = person_at(1, END, ALL, &f);
        ck_assert(!has_finding(&f, SWI_FIND_PENDING_RETRACTION, NULL));
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_Z); /* x is retracted */
        ck_assert_int_eq(p.route_switches, 0);
        swi_findings_free(&f);
}
END_TEST

START_TEST(test_trajectory_invalid_reference_ignored)
{
        reset();
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "a", "2023-05-01", 100, 1, 0), "leerroute", "B1");
        /* Wrong type (LeerrouteGewijzigd correcting a PipVastgesteld) and wrong
         * identity (other BSN): both ignored and reported. */
        fs(corrects(ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, "c1", "2023-05-10", 200, 1, 0), "a"),
           "leerroute", "Z");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c2", "2023-05-20", 300, 2, 0), "a"),
           "leerroute", "Z");
        /* An Intrekking of an Intrekking; a correction of an Intrekking. */
        retr(SWI_EV_GEM_INTREKKING, "r1", "zz", 400, 1, 0);
        retr(SWI_EV_GEM_INTREKKING, "r2", "r1", 500, 1, 0);
        fs(corrects(ev(SWI_EV_GEM_GEVESTIGD, "c3", "2023-05-21", 600, 1, 0), "r1"), "gemeente",
           "GM0363");
        swi_findings_t f = {0};
        swi_person_t p = person_at(1, END, ALL, &f);
        ck_assert_int_eq(p.pip_datum, D("2023-05-01"));
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_B1);
        ck_assert_int_eq(p.vestiging_datum, SWI_DATE_NONE);
        ck_assert(has_finding(&f, SWI_FIND_INVALID_REFERENCE, "c1"));
        ck_assert(has_finding(&f, SWI_FIND_INVALID_REFERENCE, "r2"));
        ck_assert(has_finding(&f, SWI_FIND_INVALID_REFERENCE, "c3"));
        ck_assert(has_finding(&f, SWI_FIND_PENDING_RETRACTION, "r1"));
        /* each reference finding names the event it refers to */
        for (size_t i = 0; i < f.n; i++) {
                const char *want = !strcmp(f.v[i].event_id, "c1")   ? "a"
                                   : !strcmp(f.v[i].event_id, "r2") ? "r1"
                                   : !strcmp(f.v[i].event_id, "c3") ? "r1"
                                   : !strcmp(f.v[i].event_id, "r1") ? "zz"
                                                                    : "";
                ck_assert_str_eq(f.v[i].target_id, want);
        }
        swi_findings_free(&f);

        /* c2 carries BSN 2, who has no effective event: its finding is among
         * the cluster's references, under that person's key */
        char err[128];
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, ALL, err, sizeof(err));
        ck_assert_ptr_nonnull(c);
        swi_person_key_t two = key(SWI_PKEY_BSN, 2);
        ck_assert_int_lt(swi_cluster_person_find(c, &two), 0);
        const swi_person_key_t *rk;
        size_t nr, found = 0;
        const swi_finding_t *refs = swi_cluster_refs(c, &rk, &nr);
        for (size_t i = 0; i < nr; i++)
                if (!strcmp(refs[i].event_id, "c2")) {
                        found++;
                        ck_assert_int_eq(refs[i].kind, SWI_FIND_INVALID_REFERENCE);
                        ck_assert_str_eq(refs[i].target_id, "a");
                        ck_assert(swi_person_key_cmp(&rk[i], &two) == 0);
                }
        ck_assert_int_eq(found, 1);
        swi_cluster_destroy(c);
}
END_TEST

START_TEST(test_trajectory_duplicates)
{
        reset();
        plicht(1, "p1", "2023-01-01", "WI2021", "ASIEL");
        for (int i = 0; i < 3; i++)
                fb(fs(fs(ev(SWI_EV_DUO_EXAMEN_AFGELEGD, "e1", "2023-09-01", 100, 1, 0), "onderdeel",
                         "LEZEN"),
                      "niveau", "A2"),
                   "geslaagd", true);
        /* A re-delivery registered later is the same event (kept: the first). */
        fb(fs(fs(ev(SWI_EV_DUO_EXAMEN_AFGELEGD, "e1", "2023-09-01", 900, 1, 0), "onderdeel",
                 "LEZEN"),
              "niveau", "A2"),
           "geslaagd", true);
        /* Same event_id in another source is another event. */
        fs(ev(SWI_EV_GEM_GEVESTIGD, "e1", "2023-02-01", 100, 1, 0), "gemeente", "GM0014");
        swi_person_t p = person_at(1, END, ALL, NULL);
        ck_assert_int_eq(p.exams[SWI_OND_LEZEN][SWI_EXN_A2][1], 1);
        ck_assert_int_eq(p.vestiging_datum, D("2023-02-01"));
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, ALL, NULL, 0);
        size_t n;
        (void)swi_cluster_events(c, &n);
        ck_assert_uint_eq(n, 3);
        swi_cluster_destroy(c);
        /* At K=150 it already exists (the copy registered at 100). */
        p = person_at(1, END, 150, NULL);
        ck_assert_int_eq(p.exams[SWI_OND_LEZEN][SWI_EXN_A2][1], 1);
}
END_TEST

/* ---- §2 identity ----------------------------------------------------------- */

static void identity_fixture(void)
{
        /* V-nummer 7 only: application (100) and reception (150); DUO with BSN 9
         * (200); the link BSN 9 <-> V 7 (300), dated 2022-08-15. */
        fs(fd(ev(SWI_EV_IND_ASIELAANVRAAG_INGEDIEND, "a1", "2022-01-10", 100, 0, 7),
              "geboortedatum", "1995-03-03"),
           "geslacht", "V");
        fs(ev(SWI_EV_COA_OPVANG_INSTROOM, "o1", "2022-02-01", 150, 0, 7), "locatie", "AZC1");
        plicht(9, "p9", "2022-09-01", "WI2021", "ASIEL")->registered_at = 200;
        ev(SWI_EV_IND_BSN_TOEGEKEND, "b1", "2022-08-15", 300, 9, 7);
}

START_TEST(test_trajectory_identity_link_at_k)
{
        reset();
        identity_fixture();
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, 250, NULL, 0);
        ck_assert_uint_eq(swi_cluster_person_count(c), 2);
        swi_person_key_t kb = key(SWI_PKEY_BSN, 9), kv = key(SWI_PKEY_VNR, 7);
        ck_assert_int_eq(swi_cluster_person_find(c, &kb), 0); /* BSN keys sort first */
        ck_assert_int_eq(swi_cluster_person_find(c, &kv), 1);
        size_t n;
        (void)swi_cluster_person_events(c, 0, &n);
        ck_assert_uint_eq(n, 1);
        (void)swi_cluster_person_events(c, 1, &n);
        ck_assert_uint_eq(n, 2);
        swi_cluster_destroy(c);

        c = swi_cluster_resolve(ptrs, npool, 300, NULL, 0);
        ck_assert_uint_eq(swi_cluster_person_count(c), 1);
        const swi_eff_t *e = swi_cluster_person_events(c, 0, &n);
        ck_assert_uint_eq(n, 4);
        /* §1 order by event_date: a1, o1, b1, p9. */
        ck_assert_str_eq(e[0].root->event_id, "a1");
        ck_assert_str_eq(e[1].root->event_id, "o1");
        ck_assert_str_eq(e[2].root->event_id, "b1");
        ck_assert_str_eq(e[3].root->event_id, "p9");
        swi_cluster_destroy(c);

        /* The link counts whatever its event_date: at P = 2022-03-01 (before
         * 2022-08-15) the V-nummer events are the BSN person's. */
        swi_person_t p = person_at(9, D("2022-03-01"), ALL, NULL);
        ck_assert(p.in_opvang);
        ck_assert_int_eq(p.geslacht, SWI_GESLACHT_V);
        ck_assert_int_eq(p.plicht_start, SWI_DATE_NONE); /* dated 2022-09-01 */
        p = person_at(9, END, ALL, NULL);
        ck_assert_int_eq(p.leeftijd, 27); /* 1995-03-03 -> 2022-09-01 */
}
END_TEST

START_TEST(test_trajectory_identity_versions_merge)
{
        reset();
        identity_fixture();
        swi_versions_t v = {0};
        ck_assert_int_eq(swi_cluster_versions(ptrs, npool, INT64_MIN, &stub_gl, &v), SWI_OK);
        /* K=100: V7 new. K=150: V7 changed (in opvang). K=200: B9 new (V7
         * unchanged: no version). K=300: B9 changed (merged), V7 closed. */
        ck_assert_uint_eq(v.n, 5);
        swi_person_key_t kb = key(SWI_PKEY_BSN, 9), kv = key(SWI_PKEY_VNR, 7);
        ck_assert_int_eq(v.v[0].valid_from, 100);
        ck_assert_int_eq(swi_person_key_cmp(&v.v[0].person.key, &kv), 0);
        ck_assert(!v.v[0].person.in_opvang);
        ck_assert_int_eq(v.v[1].valid_from, 150);
        ck_assert(v.v[1].person.in_opvang);
        ck_assert_int_eq(v.v[2].valid_from, 200);
        ck_assert_int_eq(swi_person_key_cmp(&v.v[2].person.key, &kb), 0);
        ck_assert(!v.v[2].person.in_opvang);
        ck_assert_int_eq(v.v[3].valid_from, 300);
        ck_assert_int_eq(swi_person_key_cmp(&v.v[3].person.key, &kb), 0);
        ck_assert(!v.v[3].closed);
        ck_assert(v.v[3].person.in_opvang);
        ck_assert_int_eq(v.v[3].person.geslacht, SWI_GESLACHT_V);
        ck_assert_int_eq(v.v[4].valid_from, 300);
        ck_assert(v.v[4].closed);
        ck_assert_int_eq(swi_person_key_cmp(&v.v[4].person.key, &kv), 0);

        /* Incremental: only the versions caused from K=300 on. */
        swi_versions_reset(&v);
        ck_assert_int_eq(swi_cluster_versions(ptrs, npool, 300, &stub_gl, &v), SWI_OK);
        ck_assert_uint_eq(v.n, 2);
        ck_assert(v.v[1].closed);
        swi_versions_free(&v);
}
END_TEST

START_TEST(test_trajectory_identity_several_links)
{
        reset();
        /* L1: V7 -> B1 dated 2023-01-01 (registered 100); L2: V7 -> B2 dated
         * 2023-02-01 (registered 50). §1 order is by event_date: L2 wins. */
        ev(SWI_EV_IND_BSN_TOEGEKEND, "l1", "2023-01-01", 100, 1, 7);
        ev(SWI_EV_IND_BSN_TOEGEKEND, "l2", "2023-02-01", 50, 2, 7);
        fs(ev(SWI_EV_COA_OPVANG_INSTROOM, "o1", "2022-12-01", 60, 0, 7), "locatie", "AZC1");
        ck_assert(person_at(2, END, ALL, NULL).in_opvang);
        ck_assert(!person_at(1, END, ALL, NULL).in_opvang);
        /* At K=80 only L2 exists, and the reception already joins B2. */
        ck_assert(person_at(2, END, 80, NULL).in_opvang);
        /* Retract L2: the one live link left is L1. */
        retr(SWI_EV_IND_INTREKKING, "r", "l2", 200, 2, 7);
        ck_assert(person_at(1, END, ALL, NULL).in_opvang);
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, ALL, NULL, 0);
        swi_person_key_t k2 = key(SWI_PKEY_BSN, 2);
        ck_assert_int_eq(swi_cluster_person_find(c, &k2), -1); /* B2 has no events left */
        swi_cluster_destroy(c);
}
END_TEST

/* ---- permutation invariance ---------------------------------------------- */

static uint32_t rng_state;

static uint32_t xorshift32(void)
{
        uint32_t x = rng_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        rng_state = x;
        return x;
}

/* Everything resolution and derivation produce at K, as text. */
static void signature(int64_t K, char *buf, size_t size)
{
        size_t off = 0;
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, K, NULL, 0);
        ck_assert_ptr_nonnull(c);
        size_t n;
        const swi_eff_t *e = swi_cluster_events(c, &n);
        for (size_t i = 0; i < n; i++)
                off += (size_t)snprintf(buf + off, size - off, "%s/%s/%d;", e[i].root->event_id,
                                        e[i].val->event_id, (int)e[i].event_date);
        for (size_t i = 0; i < swi_cluster_person_count(c); i++) {
                swi_person_t p;
                swi_findings_t f = {0};
                ck_assert_int_eq(swi_cluster_person_derive(c, i, END, &stub_gl, &p, &f), SWI_OK);
                const uint8_t *b = (const uint8_t *)&p;
                uint32_t h = 2166136261u;
                for (size_t j = 0; j < sizeof(p); j++)
                        h = (h ^ b[j]) * 16777619u;
                off += (size_t)snprintf(buf + off, size - off, "P%d:%08x:", p.key.kind, h);
                for (size_t j = 0; j < f.n; j++)
                        off += (size_t)snprintf(buf + off, size - off, "%s@%s,",
                                                swi_finding_name(f.v[j].kind), f.v[j].event_id);
                swi_findings_free(&f);
        }
        ck_assert_uint_lt(off, size - 1);
        swi_cluster_destroy(c);
}

START_TEST(test_trajectory_permutation_invariance)
{
        reset();
        identity_fixture();
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g9", "2022-10-01", 320, 9, 0), "gemeente", "GM0457");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "a", "2022-12-01", 400, 9, 0), "leerroute", "B1");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c1", "2022-12-10", 500, 9, 0), "a"),
           "leerroute", "Z");
        fs(corrects(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c2", "2022-12-20", 600, 9, 0), "c1"),
           "leerroute", "Z");
        retr(SWI_EV_GEM_INTREKKING, "r1", "c1", 700, 9, 0);
        fs(corrects(ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, "c3", "2023-03-01", 250, 9, 0), "l1"),
           "leerroute", "ONDERWIJS");
        fs(ev(SWI_EV_GEM_LEERROUTE_GEWIJZIGD, "l1", "2023-02-01", 800, 9, 0), "leerroute", "Z");
        fs(ev(SWI_EV_GEM_WERK_GESTART, "w1", "2023-04-01", 800, 9, 0), "sector", "I");
        fs(ev(SWI_EV_GEM_WERK_GESTART, "w2", "2023-04-01", 800, 9, 0), "sector", "G");
        ev(SWI_EV_GEM_WERK_BEEINDIGD, "w3", "2023-05-01", 900, 9, 0);
        ev(SWI_EV_GEM_WERK_BEEINDIGD, "w4", "2023-05-01", 900, 9, 0); /* same (date, reg) */
        /* duplicates */
        pool[npool] = pool[2];
        ptrs[npool] = &pool[npool];
        npool++;
        pool[npool] = pool[5];
        ptrs[npool] = &pool[npool];
        npool++;
        /* a re-delivery of "a" registered later: the same event */
        pool[npool] = pool[5];
        pool[npool].registered_at = 1000;
        ptrs[npool] = &pool[npool];
        npool++;
        /* a second V-nummer-only person that never links */
        fs(ev(SWI_EV_COA_OPVANG_INSTROOM, "o8", "2022-02-01", 150, 0, 8), "locatie", "AZC2");

        static const int64_t ks[] = {120, 260, 550, 650, SWI_K_ALL};
        char wants[5][2048];
        for (int k = 0; k < 5; k++)
                signature(ks[k], wants[k], sizeof(wants[k]));
        swi_versions_t v0 = {0}, v1 = {0};
        ck_assert_int_eq(swi_cluster_versions(ptrs, npool, INT64_MIN, &stub_gl, &v0), SWI_OK);
        ck_assert_uint_gt(v0.n, 5);

        rng_state = 20241123u;
        for (int round = 0; round < 50; round++) {
                for (size_t i = npool - 1; i > 0; i--) {
                        size_t j = xorshift32() % (i + 1);
                        const swi_event_t *t = ptrs[i];
                        ptrs[i] = ptrs[j];
                        ptrs[j] = t;
                }
                for (int k = 0; k < 5; k++) {
                        char s[2048];
                        signature(ks[k], s, sizeof(s));
                        ck_assert_msg(strcmp(s, wants[k]) == 0, "round %d K=%d:\n%s\n%s", round, k,
                                      s, wants[k]);
                }
                swi_versions_reset(&v1);
                ck_assert_int_eq(swi_cluster_versions(ptrs, npool, INT64_MIN, &stub_gl, &v1),
                                 SWI_OK);
                ck_assert_uint_eq(v1.n, v0.n);
                for (size_t i = 0; i < v0.n; i++) {
                        ck_assert_int_eq(v1.v[i].valid_from, v0.v[i].valid_from);
                        ck_assert_int_eq(v1.v[i].closed, v0.v[i].closed);
                        ck_assert(swi_person_equal(&v1.v[i].person, &v0.v[i].person));
                }
        }
        swi_versions_free(&v0);
        swi_versions_free(&v1);
}
END_TEST

/* ---- gemeente at P ----------------------------------------------------------- */

START_TEST(test_trajectory_gemeente_dissolved_successor)
{
        reset();
        plicht(1, "p1", "2022-01-01", "WI2021", "ASIEL");
        fi(fs(ev(SWI_EV_COA_GEMEENTE_GEKOPPELD, "k1", "2022-03-01", 20, 1, 1), "gemeente",
              "GM0501"),
           "afstand_km", 35);
        fs(ev(SWI_EV_GEM_GEVESTIGD, "g1", "2022-03-10", 30, 1, 0), "gemeente", "GM0457");
        fs(fs(ev(SWI_EV_GEM_VERHUISD, "m1", "2023-01-15", 40, 1, 0), "van_gemeente", "GM0363"),
           "naar_gemeente", "GM0014");
        /* Before any: none. */
        swi_person_t p = person_at(1, D("2022-02-01"), ALL, NULL);
        ck_assert_str_eq(p.gemeente, "");
        ck_assert_str_eq(p.regio, "");
        /* Only the koppeling: Brielle -> Voorne aan Zee (AM22). */
        p = person_at(1, D("2022-03-05"), ALL, NULL);
        ck_assert_str_eq(p.gemeente, "GM1992");
        ck_assert_str_eq(p.regio, "AM22");
        ck_assert_str_eq(p.koppeling_gemeente, "GM1992");
        ck_assert_int_eq(p.koppeling_afstand_km, 35);
        /* Settled in Weesp -> counted as Amsterdam (AM18). */
        p = person_at(1, D("2022-03-10"), ALL, NULL);
        ck_assert_str_eq(p.gemeente, "GM0363");
        ck_assert_str_eq(p.regio, "AM18");
        ck_assert_str_eq(p.vestiging_gemeente, "GM0363");
        ck_assert_str_eq(p.vestiging_regio, "AM18");
        /* Moved to Groningen. */
        p = person_at(1, D("2023-01-15"), ALL, NULL);
        ck_assert_str_eq(p.gemeente, "GM0014");
        ck_assert_str_eq(p.regio, "AM01");
        ck_assert_str_eq(p.vestiging_gemeente, "GM0363");
        /* Without a lookup the code stays as it is and the region is unknown. */
        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, ALL, NULL, 0);
        ck_assert_int_eq(swi_cluster_person_derive(c, 0, D("2022-03-10"), NULL, &p, NULL), SWI_OK);
        ck_assert_str_eq(p.gemeente, "GM0457");
        ck_assert_str_eq(p.regio, "");
        swi_cluster_destroy(c);
}
END_TEST

/* ---- remaining attributes and findings ------------------------------------- */

START_TEST(test_trajectory_attributes_and_findings)
{
        reset();
        /* Person 1. Two plicht events: the first (WI2021, GEZIN) stands. */
        plicht(1, "p1", "2022-05-01", "WI2021", "GEZIN");
        plicht(1, "p2", "2022-07-01", "WI2013", "ASIEL");
        fs(ev(SWI_EV_IND_VERBLIJFSVERGUNNING_VERLEEND, "v1", "2022-01-01", 5, 1, 1), "vergunning",
           "REGULIER_GEZIN");
        fs(ev(SWI_EV_IND_VERBLIJFSVERGUNNING_VERLEEND, "v2", "2022-02-01", 5, 1, 1), "vergunning",
           "ASIEL_BEPAALD");
        /* opvang: in 01-01, moved 02-01 and 03-01, out 04-01. */
        ev(SWI_EV_COA_OPVANG_INSTROOM, "o1", "2022-01-01", 5, 1, 1);
        ev(SWI_EV_COA_OPVANG_OVERPLAATSING, "o2", "2022-02-01", 5, 1, 1);
        ev(SWI_EV_COA_OPVANG_OVERPLAATSING, "o3", "2022-03-01", 5, 1, 1);
        ev(SWI_EV_COA_OPVANG_UITSTROOM, "o4", "2022-04-01", 5, 1, 1);
        ev(SWI_EV_COA_VOORINBURGERING_GESTART, "vi1", "2022-02-10", 5, 1, 1);
        fs(ev(SWI_EV_COA_VOORINBURGERING_BEEINDIGD, "vi2", "2022-03-10", 5, 1, 1), "uitkomst",
           "AFGEBROKEN");
        /* LBT 30 then 12. */
        fs(fi(ev(SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN, "t1", "2022-06-01", 5, 1, 0), "score",
              30),
           "uitkomst", "B1_HAALBAAR");
        fs(fi(ev(SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN, "t2", "2022-08-01", 5, 1, 0), "score",
              12),
           "uitkomst", "B1_NIET_HAALBAAR");
        /* Brede intake fields: from the latest event carrying each. */
        fb(fs(ev(SWI_EV_GEM_BREDE_INTAKE_AFGEROND, "bi1", "2022-06-10", 5, 1, 0),
              "opleidingsniveau", "MBO"),
           "jonge_kinderen", true);
        fs(ev(SWI_EV_GEM_BREDE_INTAKE_AFGEROND, "bi2", "2022-06-20", 5, 1, 0), "werkervaring",
           "GEEN");
        /* Exams: LEZEN A2 failed then passed, KNM A2 passed. */
        fb(fs(fs(ev(SWI_EV_DUO_EXAMEN_AFGELEGD, "x1", "2023-01-01", 5, 1, 0), "onderdeel", "LEZEN"),
              "niveau", "A2"),
           "geslaagd", false);
        fb(fs(fs(ev(SWI_EV_DUO_EXAMEN_AFGELEGD, "x2", "2023-02-01", 5, 1, 0), "onderdeel", "LEZEN"),
              "niveau", "A2"),
           "geslaagd", true);
        fb(fs(fs(ev(SWI_EV_DUO_EXAMEN_AFGELEGD, "x3", "2023-02-01", 5, 1, 0), "onderdeel", "KNM"),
              "niveau", "A2"),
           "geslaagd", true);
        /* Voldaan 2024-01-10 (B1), then a vrijstelling: einde is the earliest. */
        fs(fs(ev(SWI_EV_DUO_INBURGERINGSPLICHT_VOLDAAN, "e1", "2024-01-10", 5, 1, 0), "leerroute",
              "B1"),
           "hoogste_niveau", "B1");
        fs(ev(SWI_EV_DUO_VRIJSTELLING_VERLEEND, "e2", "2024-03-01", 5, 1, 0), "grond", "OVERIG");

        swi_findings_t f = {0};
        swi_person_t p = person_at(1, D("2022-03-15"), ALL, NULL);
        ck_assert(p.in_opvang);
        ck_assert_int_eq(p.overplaatsingen, 2);
        ck_assert_int_eq(p.voorinburgering_uitkomst, SWI_VI_AFGEBROKEN);
        ck_assert(!p.plichtig); /* plicht starts 2022-05-01 */
        ck_assert(!p.in_populatie);
        p = person_at(1, D("2022-07-01"), ALL, NULL);
        ck_assert_int_eq(p.lbt_score, 30);
        ck_assert_int_eq(p.lbt_uitkomst, SWI_LBT_B1_HAALBAAR);
        p = person_at(1, D("2024-01-09"), ALL, NULL);
        ck_assert(p.plichtig);
        ck_assert(p.in_populatie);
        p = person_at(1, END, ALL, &f);
        ck_assert_int_eq(p.plicht_start, D("2022-05-01"));
        ck_assert_int_eq(p.wet, SWI_WET_WI2021);
        ck_assert_int_eq(p.doelgroep, SWI_DOELGROEP_GEZIN);
        ck_assert_int_eq(p.n_plicht, 2);
        ck_assert_int_eq(p.status_verleend, D("2022-02-01"));
        ck_assert(!p.in_opvang);
        ck_assert_int_eq(p.opvang_instroom, D("2022-01-01"));
        ck_assert_int_eq(p.voorinburgering_start, D("2022-02-10"));
        ck_assert_int_eq(p.lbt_score, 12);
        ck_assert_int_eq(p.lbt_uitkomst, SWI_LBT_B1_NIET_HAALBAAR);
        ck_assert_int_eq(p.opleidingsniveau, SWI_OPL_MBO);
        ck_assert_int_eq(p.werkervaring, SWI_WERKERV_GEEN);
        ck_assert_int_eq(p.jonge_kinderen, SWI_TRI_JA);
        ck_assert_int_eq(p.brede_intake_afgerond, D("2022-06-10"));
        ck_assert_int_eq(p.exams[SWI_OND_LEZEN][SWI_EXN_A2][0], 1);
        ck_assert_int_eq(p.exams[SWI_OND_LEZEN][SWI_EXN_A2][1], 1);
        ck_assert_int_eq(p.exams[SWI_OND_KNM][SWI_EXN_A2][1], 1);
        ck_assert_int_eq(p.exams_passed, (1u << SWI_OND_LEZEN) | (1u << SWI_OND_KNM));
        ck_assert_int_eq(p.einde, SWI_EINDE_VOLDAAN);
        ck_assert_int_eq(p.einde_datum, D("2024-01-10"));
        ck_assert_int_eq(p.hoogste_niveau, SWI_NIVEAU_B1);
        ck_assert(!p.plichtig);
        ck_assert(p.in_populatie); /* U(P) includes ended obligations */
        ck_assert(has_finding(&f, SWI_FIND_SECOND_PLICHT, "p2"));
        ck_assert(has_finding(&f, SWI_FIND_VOLDAAN_WITHOUT_PIP, "e1"));
        ck_assert(!has_finding(&f, SWI_FIND_NO_PLICHT, NULL));

        /* Person 2: two PIPs (the second is a finding and does not move
         * pip_datum), intake started after the PIP. */
        plicht(2, "q1", "2022-05-01", "WI2021", "ASIEL");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "q2", "2023-01-01", 5, 2, 0), "leerroute", "B1");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "q3", "2023-02-01", 5, 2, 0), "leerroute", "Z");
        fs(ev(SWI_EV_GEM_BREDE_INTAKE_GESTART, "q4", "2023-01-15", 5, 2, 0), "gemeente", "GM0014");
        swi_findings_reset(&f);
        p = person_at(2, END, ALL, &f);
        ck_assert_int_eq(p.pip_datum, D("2023-01-01"));
        ck_assert_int_eq(p.n_pip, 2);
        ck_assert_int_eq(p.leerroute, SWI_ROUTE_Z); /* latest PIP/LG */
        ck_assert(has_finding(&f, SWI_FIND_SECOND_PIP, "q3"));
        ck_assert(has_finding(&f, SWI_FIND_PIP_BEFORE_INTAKE, "q2"));

        /* Person 4: WI2013 is outside U(P), so not plichtig (§3). */
        plicht(4, "s1", "2021-05-01", "WI2013", "ASIEL");
        p = person_at(4, END, ALL, NULL);
        ck_assert(!p.in_populatie);
        ck_assert(!p.plichtig);
        ck_assert_int_eq(p.wet, SWI_WET_WI2013);

        /* Person 3: no InburgeringsplichtOntstaan. */
        fs(ev(SWI_EV_GEM_GEVESTIGD, "r1", "2022-05-01", 5, 3, 0), "gemeente", "GM0014");
        swi_findings_reset(&f);
        p = person_at(3, END, ALL, &f);
        ck_assert(!p.in_populatie);
        ck_assert(!p.plichtig);
        ck_assert(has_finding(&f, SWI_FIND_NO_PLICHT, ""));
        ck_assert_int_eq(p.start_pip_termijn, SWI_DATE_NONE);
        swi_findings_free(&f);
}
END_TEST

START_TEST(test_trajectory_person_size)
{
        printf("sizeof(swi_person_t) = %zu bytes\n", sizeof(swi_person_t));
        ck_assert_uint_lt(sizeof(swi_person_t), 1024);
        ck_assert_int_eq(swi_traj_parse(SWI_TE_LEERROUTE, "ONDERWIJS"), SWI_ROUTE_ONDERWIJS);
        ck_assert_int_eq(swi_traj_parse(SWI_TE_LEERROUTE, "ONBEKEND"), -1);
        ck_assert_int_eq(swi_traj_parse(SWI_TE_ONDERDEEL, "LEZEN"), SWI_OND_LEZEN);
        ck_assert_str_eq(swi_finding_name(SWI_FIND_SECOND_PIP), "SECOND_PIP");
}
END_TEST

int main(void)
{
        Suite *s = suite_create("trajectory");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_trajectory_pip_term_10_weeks);
        tcase_add_test(tc, test_trajectory_pip_70_and_71_days);
        tcase_add_test(tc, test_trajectory_termijn_two_extensions);
        tcase_add_test(tc, test_trajectory_leerroute_after_switch);
        tcase_add_test(tc, test_trajectory_werk_year_windows);
        tcase_add_test(tc, test_trajectory_leeftijdsklasse_boundaries);
        tcase_add_test(tc, test_trajectory_ind_attributes_latest_carrying);
        tcase_add_test(tc, test_trajectory_correction_of_correction);
        tcase_add_test(tc, test_trajectory_retract_correction_falls_back);
        tcase_add_test(tc, test_trajectory_retract_root);
        tcase_add_test(tc, test_trajectory_correction_before_target);
        tcase_add_test(tc, test_trajectory_invalid_reference_ignored);
        tcase_add_test(tc, test_trajectory_duplicates);
        tcase_add_test(tc, test_trajectory_identity_link_at_k);
        tcase_add_test(tc, test_trajectory_identity_versions_merge);
        tcase_add_test(tc, test_trajectory_identity_several_links);
        tcase_add_test(tc, test_trajectory_permutation_invariance);
        tcase_add_test(tc, test_trajectory_gemeente_dissolved_successor);
        tcase_add_test(tc, test_trajectory_attributes_and_findings);
        tcase_add_test(tc, test_trajectory_person_size);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
