/* check_indicators.c - Check suite for transform/indicators (indicators.md §5, §6).
 *
 * The fixture is a population of persons set field by field (not derived by
 * transform/trajectory.c), at P = 2024-07-01. Every expected figure was
 * worked out by hand from the spec; the arithmetic is in the comments. The
 * raw-figure tests run with B = 1, T = 1 (no disclosure effect: a share is
 * only suppressed when its denominator is 0); the disclosure test uses the
 * defaults B = 5, T = 10 on its own population.
 *
 * Fixture (coh = cohort, A/G/O = ASIEL/GEZIN/OVERIG; "gem" = gemeente at P;
 * vest = vestiging date and gemeente):
 *   p0  2022 A M 25-34 JA  SYR GM0363 vest 2022-05-01 GM0363  einde voldaan (B1)
 *   p1  2023 A V 18-24 JA  SYR GM0599 vest 2023-04-01 GM0599  einde ontheffing
 *   p2  2023 G M 35-44 NEE MAR GM0363 vest 2023-01-15 GM0363  einde vrijstelling
 *   p3  2022 O X 45-54 NEE --  --     no vest                 einde vervallen
 *   p4  2023 A V <18   JA  ERI GM0014 vest 2023-03-01 GM0014  PIP B1
 *   p5  2023 A M 25-34 NEE SYR GM0363 vest 2023-06-01 GM0363  PIP Z (in opvang, before vest)
 *   p6  2024 G V 55+   NEE TUR GM0599 vest 2024-01-10 GM0599  PIP ONDERWIJS
 *   p7  2024 A M 18-24 JA  AFG GM0014 no vest, in opvang
 *   p8  2024 O ? ?     ?   --  --     no vest, brede intake started
 *   p9  2023 G M 35-44 NEE MAR GM0599 vest 2023-07-01 GM0599  settled only
 *   p10 2024 A V 25-34 JA  SYR --     nothing but the plicht (and a status)
 *   p11 2023 A M 25-34 JA  SYR GM0363 no vest, in opvang, PIP B1
 *   p12 2022 A V 35-44 NEE ERI GM0014 vest 2022-06-15 GM0014  PIP ONDERWIJS (before vest)
 *   p13 2023 A M 45-54 NEE IRN GM0363 vest 2023-10-01 GM0363  PIP B1
 *   p14 2024 G V 25-34 NEE TUR GM0599 vest 2024-04-22 GM0599  settled only
 *   p15 2022 O M 55+   NEE USA GM0014 vest 2022-01-01 GM0014  PIP Z
 *   p16 2021 A M 35-44 NEE SYR GM0363 vest 2021-07-02 GM0363  einde voldaan (A2)
 *   p17 2023 A V 25-34 JA  SYR GM0599 vest 2023-07-03 GM0599  settled only
 *   p18 2023 G M 18-24 JA  MAR GM0363 vest 2023-07-02 GM0363  brede intake started
 *   p19 WI2013 (not in U(P)) with PIP, work, exams, extensions
 *   p20 no InburgeringsplichtOntstaan (not in U(P))
 * U(P) = p0..p18 = 19 persons: cohort 2021 {p16}, 2022 {p0 p3 p12 p15},
 * 2023 {p1 p2 p4 p5 p9 p11 p13 p17 p18}, 2024 {p6 p7 p8 p10 p14}.
 * Plichtig at P: all but p0 p1 p2 p3 p16 (einde) = 14. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transform/indicators.h"

#define NFIX 21

static int32_t D(int y, int m, int d)
{
        return swi_date_from_ymd(y, m, d);
}

static int32_t PD; /* P = 2024-07-01 */

static swi_person_t *mk(swi_person_t *v, int i, int32_t plicht, int dg, int sex, int lft,
                        int jong, const char *nat, const char *gem, const char *reg)
{
        swi_person_t *p = &v[i];

        memset(p, 0, sizeof(*p));
        p->peildatum = PD;
        p->plicht_start = plicht;
        p->geboortedatum = SWI_DATE_NONE;
        p->status_verleend = SWI_DATE_NONE;
        p->koppeling_datum = SWI_DATE_NONE;
        p->koppeling_afstand_km = -1;
        p->vestiging_datum = SWI_DATE_NONE;
        p->opvang_instroom = SWI_DATE_NONE;
        p->brede_intake_start = SWI_DATE_NONE;
        p->brede_intake_afgerond = SWI_DATE_NONE;
        p->lbt_datum = SWI_DATE_NONE;
        p->pip_datum = SWI_DATE_NONE;
        p->start_pip_termijn = SWI_DATE_NONE;
        p->termijn_einde = SWI_DATE_NONE;
        p->einde_datum = SWI_DATE_NONE;
        p->voorinburgering_start = SWI_DATE_NONE;
        p->voorinburgering_einde = SWI_DATE_NONE;
        p->leeftijd = -1;
        p->lbt_score = -1;
        p->n_plicht = 1;
        p->wet = SWI_WET_WI2021;
        p->doelgroep = (uint8_t)dg;
        p->geslacht = (uint8_t)sex;
        p->leeftijdsklasse = (uint8_t)lft;
        p->jongere = (uint8_t)jong;
        p->in_populatie = true;
        p->plichtig = true;
        snprintf(p->nationaliteit, sizeof(p->nationaliteit), "%s", nat);
        snprintf(p->gemeente, sizeof(p->gemeente), "%s", gem);
        snprintf(p->regio, sizeof(p->regio), "%s", reg);
        return p;
}

/* vestiging; start_pip_termijn = the later of plicht_start and vestiging */
static void vest(swi_person_t *p, int32_t d, const char *gem, const char *reg)
{
        p->vestiging_datum = d;
        p->start_pip_termijn = d > p->plicht_start ? d : p->plicht_start;
        /* the precision keeps -Wformat-truncation quiet for callers' larger buffers */
        snprintf(p->vestiging_gemeente, sizeof(p->vestiging_gemeente), "%.*s",
                 (int)sizeof(p->vestiging_gemeente) - 1, gem);
        snprintf(p->vestiging_regio, sizeof(p->vestiging_regio), "%.*s",
                 (int)sizeof(p->vestiging_regio) - 1, reg);
}

static void pip(swi_person_t *p, int32_t d, int route, int32_t termijn_einde)
{
        p->pip_datum = d;
        p->n_pip = 1;
        p->leerroute = (uint8_t)route;
        p->termijn_einde = termijn_einde;
        p->pip_in_opvang = p->vestiging_datum == SWI_DATE_NONE || d < p->vestiging_datum;
        p->pip_voor_termijn = p->start_pip_termijn == SWI_DATE_NONE || d < p->start_pip_termijn;
        p->pip_binnen_10_weken = !p->pip_voor_termijn && d - p->start_pip_termijn <= 70;
}

static void einde(swi_person_t *p, int32_t d, int kind, int niveau)
{
        p->einde_datum = d;
        p->einde = (uint8_t)kind;
        p->hoogste_niveau = (uint8_t)niveau;
        p->plichtig = false;
}

static void werk(swi_person_t *p, int32_t s, int32_t e, char sector, int uren)
{
        swi_werk_spell_t *w = &p->werk[p->n_werk++];
        w->start = s;
        w->end = e;
        w->sector = sector;
        w->uren_per_week = (uint16_t)uren;
        w->contract = SWI_CONTRACT_VAST;
}

static void bijstand(swi_person_t *p, int32_t s, int32_t e)
{
        p->bijstand[p->n_bijstand].start = s;
        p->bijstand[p->n_bijstand].end = e;
        p->n_bijstand++;
}

static void opvang(swi_person_t *p, int32_t instroom, bool in, int overpl)
{
        p->opvang_instroom = instroom;
        p->in_opvang = in;
        p->overplaatsingen = (uint16_t)overpl;
}

static void koppeling(swi_person_t *p, int32_t d, int km)
{
        p->koppeling_datum = d;
        p->koppeling_afstand_km = km;
}

static void intake(swi_person_t *p, int32_t afgerond, int opl, int werkerv, int kinderen)
{
        p->brede_intake_afgerond = afgerond;
        p->opleidingsniveau = (uint8_t)opl;
        p->werkervaring = (uint8_t)werkerv;
        p->jonge_kinderen = (uint8_t)kinderen;
}

enum { A = SWI_DOELGROEP_ASIEL, G = SWI_DOELGROEP_GEZIN, O = SWI_DOELGROEP_OVERIG };
enum { M = SWI_GESLACHT_M, V = SWI_GESLACHT_V, X = SWI_GESLACHT_X };
enum { JA = SWI_TRI_JA, NEE = SWI_TRI_NEE };
#define OPEN SWI_DATE_OPEN

static void fixture(swi_person_t *v)
{
        swi_person_t *p;

        PD = D(2024, 7, 1);

        p = mk(v, 0, D(2022, 3, 1), A, M, SWI_LFT_25_34, JA, "SYR", "GM0363", "AM12");
        p->status_verleend = D(2022, 1, 10);
        koppeling(p, D(2022, 2, 1), 20);
        opvang(p, D(2021, 12, 1), false, 3);
        p->voorinburgering_start = D(2022, 1, 15);
        p->voorinburgering_einde = D(2022, 3, 15);
        p->voorinburgering_uitkomst = SWI_VI_AFGEROND;
        vest(p, D(2022, 5, 1), "GM0363", "AM12");
        p->brede_intake_start = D(2022, 5, 10);
        intake(p, D(2022, 6, 1), SWI_OPL_MBO, SWI_WERKERV_GEEN, NEE);
        p->lbt_datum = D(2022, 6, 15);
        p->lbt_uitkomst = SWI_LBT_B1_HAALBAAR;
        pip(p, D(2022, 7, 10), SWI_ROUTE_B1, D(2025, 7, 10));
        einde(p, D(2024, 3, 1), SWI_EINDE_VOLDAAN, SWI_NIVEAU_B1);
        p->exams[SWI_OND_LEZEN][SWI_EXN_B1][1] = 1;
        p->exams[SWI_OND_SPREKEN][SWI_EXN_B1][1] = 1;
        p->exams[SWI_OND_SPREKEN][SWI_EXN_B1][0] = 1;
        p->exams_passed = 1u << SWI_OND_LEZEN | 1u << SWI_OND_SPREKEN;
        werk(p, D(2022, 9, 1), D(2023, 3, 1), 'I', 20);
        bijstand(p, D(2022, 5, 1), OPEN);

        p = mk(v, 1, D(2023, 2, 1), A, V, SWI_LFT_18_24, JA, "SYR", "GM0599", "AM23");
        p->status_verleend = D(2023, 1, 5);
        koppeling(p, D(2023, 1, 20), 100);
        opvang(p, D(2022, 11, 1), false, 1);
        p->voorinburgering_start = D(2022, 12, 1);
        vest(p, D(2023, 4, 1), "GM0599", "AM23");
        p->brede_intake_start = D(2023, 4, 10);
        einde(p, D(2024, 1, 15), SWI_EINDE_ONTHEFFING, SWI_NIVEAU_NONE);
        bijstand(p, D(2023, 4, 1), D(2023, 10, 1));

        p = mk(v, 2, D(2023, 3, 1), G, M, SWI_LFT_35_44, NEE, "MAR", "GM0363", "AM12");
        vest(p, D(2023, 1, 15), "GM0363", "AM12");
        p->brede_intake_start = D(2023, 2, 20);
        einde(p, D(2023, 6, 1), SWI_EINDE_VRIJSTELLING, SWI_NIVEAU_NONE);
        werk(p, D(2023, 1, 20), OPEN, 'G', 40);

        p = mk(v, 3, D(2022, 9, 1), O, X, SWI_LFT_45_54, NEE, "", "", "");
        einde(p, D(2023, 5, 1), SWI_EINDE_VERVALLEN, SWI_NIVEAU_NONE);

        p = mk(v, 4, D(2023, 1, 10), A, V, SWI_LFT_LT18, JA, "ERI", "GM0014", "AM01");
        p->status_verleend = D(2022, 11, 24); /* = PIP - 168 days */
        koppeling(p, D(2022, 12, 20), 19);
        opvang(p, D(2022, 10, 1), false, 0);
        p->voorinburgering_start = D(2022, 11, 1);
        p->voorinburgering_einde = D(2023, 1, 5);
        p->voorinburgering_uitkomst = SWI_VI_AFGEBROKEN;
        vest(p, D(2023, 3, 1), "GM0014", "AM01");
        p->brede_intake_start = D(2023, 3, 5);
        p->lbt_datum = D(2023, 4, 1);
        p->lbt_uitkomst = SWI_LBT_B1_NIET_HAALBAAR;
        pip(p, D(2023, 5, 11), SWI_ROUTE_B1, D(2026, 5, 11));
        p->route_switches = 1;
        p->exams[SWI_OND_KNM][SWI_EXN_A2][1] = 1;
        p->exams_passed = 1u << SWI_OND_KNM;
        werk(p, D(2024, 3, 1), D(2024, 7, 1), 'I', 20);
        bijstand(p, D(2023, 3, 1), D(2024, 3, 1));

        p = mk(v, 5, D(2023, 5, 1), A, M, SWI_LFT_25_34, NEE, "SYR", "GM0363", "AM12");
        p->status_verleend = D(2022, 5, 25); /* = PIP - 365 days */
        koppeling(p, D(2023, 4, 1), 150);
        opvang(p, D(2023, 1, 1), false, 2);
        p->brede_intake_start = D(2023, 5, 20);
        intake(p, D(2023, 6, 10), SWI_OPL_ONBEKEND, SWI_WERKERV_TOT_2_JAAR, JA);
        p->lbt_datum = D(2023, 6, 5);
        p->lbt_uitkomst = SWI_LBT_B1_NIET_HAALBAAR;
        vest(p, D(2023, 6, 1), "GM0363", "AM12");
        pip(p, D(2023, 5, 25), SWI_ROUTE_Z, D(2026, 12, 31));
        p->route_switches = 2;
        p->verlengingen[SWI_VGR_VERBLIJF_AZC] = 1;
        p->exams[SWI_OND_STAATSEXAMEN_NT2][SWI_EXN_B2][1] = 1;
        p->exams_passed = 1u << SWI_OND_STAATSEXAMEN_NT2;
        werk(p, D(2023, 9, 1), D(2023, 12, 1), 'N', 24);
        werk(p, D(2024, 2, 1), OPEN, 'I', 36);
        werk(p, D(2024, 5, 1), OPEN, 'N', 16);

        p = mk(v, 6, D(2024, 1, 15), G, V, SWI_LFT_55PLUS, NEE, "TUR", "GM0599", "AM23");
        vest(p, D(2024, 1, 10), "GM0599", "AM23");
        p->brede_intake_start = D(2024, 1, 20);
        pip(p, D(2024, 2, 1), SWI_ROUTE_ONDERWIJS, D(2027, 2, 1));
        werk(p, D(2024, 6, 1), OPEN, 0, 32);

        p = mk(v, 7, D(2024, 2, 1), A, M, SWI_LFT_18_24, JA, "AFG", "GM0014", "AM01");
        p->status_verleend = D(2024, 1, 10);
        koppeling(p, D(2024, 3, 1), -1);
        opvang(p, D(2023, 12, 1), true, 4);
        p->voorinburgering_start = D(2024, 2, 15);
        werk(p, D(2024, 5, 1), OPEN, 'I', 40); /* no vestiging: outside every werk figure */

        p = mk(v, 8, D(2024, 3, 1), O, SWI_GESLACHT_ONBEKEND, SWI_LFT_ONBEKEND,
               SWI_TRI_ONBEKEND, "", "", "");
        p->brede_intake_start = D(2024, 4, 1);

        p = mk(v, 9, D(2023, 8, 1), G, M, SWI_LFT_35_44, NEE, "MAR", "GM0599", "AM23");
        vest(p, D(2023, 7, 1), "GM0599", "AM23");
        p->lbt_datum = D(2023, 9, 1); /* LBT without PIP: not in leerroute_lbt */
        p->lbt_uitkomst = SWI_LBT_B1_NIET_HAALBAAR;
        werk(p, D(2024, 6, 30), OPEN, 'F', 31);
        bijstand(p, D(2022, 1, 1), D(2023, 7, 1));

        p = mk(v, 10, D(2024, 6, 1), A, V, SWI_LFT_25_34, JA, "SYR", "", "");
        p->status_verleend = D(2024, 5, 1);

        p = mk(v, 11, D(2023, 6, 1), A, M, SWI_LFT_25_34, JA, "SYR", "GM0363", "AM12");
        p->status_verleend = D(2023, 1, 13); /* = PIP - 169 days */
        koppeling(p, D(2023, 5, 1), 60);
        opvang(p, D(2023, 2, 1), true, 1);
        p->voorinburgering_start = D(2023, 3, 1);
        p->voorinburgering_einde = D(2023, 5, 1);
        p->voorinburgering_uitkomst = SWI_VI_AFGEROND;
        p->brede_intake_start = D(2023, 6, 10);
        pip(p, D(2023, 7, 1), SWI_ROUTE_B1, D(2024, 12, 31));
        p->verlengingen[SWI_VGR_GEEN_AANBOD] = 1;
        p->verlengingen[SWI_VGR_MEDISCH] = 1;

        p = mk(v, 12, D(2022, 5, 1), A, V, SWI_LFT_35_44, NEE, "ERI", "GM0014", "AM01");
        p->status_verleend = D(2021, 11, 1);
        koppeling(p, D(2021, 12, 1), 101);
        opvang(p, D(2021, 10, 1), false, 5);
        vest(p, D(2022, 6, 15), "GM0014", "AM01");
        pip(p, D(2022, 6, 1), SWI_ROUTE_ONDERWIJS, D(2025, 1, 1));
        p->route_switches = 1;
        p->verlengingen[SWI_VGR_KINDEROPVANG] = 1;
        werk(p, D(2023, 6, 14), D(2023, 6, 15), 'C', 38);

        p = mk(v, 13, D(2023, 9, 1), A, M, SWI_LFT_45_54, NEE, "IRN", "GM0363", "AM12");
        p->status_verleend = D(2022, 12, 2); /* = PIP - 364 days */
        vest(p, D(2023, 10, 1), "GM0363", "AM12");
        p->brede_intake_start = D(2023, 9, 21);
        intake(p, D(2023, 11, 15), SWI_OPL_GEEN, SWI_WERKERV_ONBEKEND, SWI_TRI_ONBEKEND);
        p->lbt_datum = D(2023, 11, 1);
        p->lbt_uitkomst = SWI_LBT_B1_HAALBAAR;
        pip(p, D(2023, 12, 1), SWI_ROUTE_B1, D(2025, 1, 2));
        p->verlengingen[SWI_VGR_WERK] = 1;
        p->exams[SWI_OND_LEZEN][SWI_EXN_A2][0] = 2;
        p->exams[SWI_OND_LEZEN][SWI_EXN_B1][1] = 1;
        p->exams_passed = 1u << SWI_OND_LEZEN;

        p = mk(v, 14, D(2024, 4, 1), G, V, SWI_LFT_25_34, NEE, "TUR", "GM0599", "AM23");
        vest(p, D(2024, 4, 22), "GM0599", "AM23");

        p = mk(v, 15, D(2022, 2, 1), O, M, SWI_LFT_55PLUS, NEE, "USA", "GM0014", "AM01");
        vest(p, D(2022, 1, 1), "GM0014", "AM01");
        p->lbt_datum = D(2022, 3, 1);
        p->lbt_uitkomst = SWI_LBT_B1_HAALBAAR;
        pip(p, D(2022, 5, 1), SWI_ROUTE_Z, D(2024, 7, 1)); /* termijn_einde = P */
        p->verlengingen[SWI_VGR_MEDISCH] = 1;
        werk(p, D(2021, 6, 1), D(2022, 1, 1), 'G', 40);
        werk(p, D(2023, 12, 31), D(2024, 1, 1), 'G', 40);

        p = mk(v, 16, D(2021, 9, 1), A, M, SWI_LFT_35_44, NEE, "SYR", "GM0363", "AM12");
        p->status_verleend = D(2021, 3, 1);
        koppeling(p, D(2021, 4, 1), 20);
        opvang(p, D(2020, 12, 1), false, 0);
        vest(p, D(2021, 7, 2), "GM0363", "AM12");
        pip(p, D(2021, 10, 1), SWI_ROUTE_B1, D(2024, 10, 1));
        einde(p, D(2023, 9, 1), SWI_EINDE_VOLDAAN, SWI_NIVEAU_A2);
        werk(p, D(2022, 7, 1), D(2022, 7, 2), 'Q', 20);
        werk(p, D(2024, 7, 1), OPEN, 'Q', 20);

        p = mk(v, 17, D(2023, 7, 10), A, V, SWI_LFT_25_34, JA, "SYR", "GM0599", "AM23");
        p->status_verleend = D(2023, 6, 1);
        koppeling(p, D(2023, 6, 20), 50);
        opvang(p, D(2023, 5, 1), false, 1);
        vest(p, D(2023, 7, 3), "GM0599", "AM23");
        werk(p, D(2023, 8, 1), OPEN, 'I', 20);

        p = mk(v, 18, D(2023, 7, 2), G, M, SWI_LFT_18_24, JA, "MAR", "GM0363", "AM12");
        vest(p, D(2023, 7, 2), "GM0363", "AM12");
        p->brede_intake_start = D(2023, 8, 1);
        intake(p, D(2023, 9, 1), SWI_OPL_HBO_WO, SWI_WERKERV_VIJF_JAAR_OF_MEER, NEE);
        bijstand(p, D(2024, 7, 1), OPEN);

        /* not in U(P): every fact it has must stay out of every figure */
        p = mk(v, 19, D(2022, 1, 1), A, M, SWI_LFT_25_34, JA, "SYR", "GM0363", "AM12");
        p->wet = SWI_WET_WI2013;
        p->in_populatie = false;
        p->status_verleend = D(2021, 10, 1);
        opvang(p, D(2021, 9, 1), true, 3);
        vest(p, D(2022, 1, 1), "GM0363", "AM12");
        pip(p, D(2022, 2, 1), SWI_ROUTE_B1, D(2025, 2, 1));
        p->exams[SWI_OND_LEZEN][SWI_EXN_B1][1] = 5;
        p->exams_passed = 1u << SWI_OND_LEZEN;
        p->verlengingen[SWI_VGR_OVERIG] = 3;
        werk(p, D(2022, 2, 1), OPEN, 'I', 40);
        bijstand(p, D(2022, 1, 1), OPEN);

        p = mk(v, 20, SWI_DATE_NONE, A, V, SWI_LFT_25_34, JA, "SYR", "GM0363", "AM12");
        p->in_populatie = false;
        p->plichtig = false;
        p->n_plicht = 0;
}

/* ---- row lookup and assertions ------------------------------------------------ */

static swi_ind_rows_t rows;
static swi_person_t fix[NFIX];

static void compute(const swi_person_t *v, size_t n, int64_t base, int64_t threshold)
{
        swi_dc_params_t dc = {base, threshold};
        char err[256] = "";

        swi_ind_rows_free(&rows);
        ck_assert_msg(swi_ind_compute(v, n, PD, &dc, &rows, err, sizeof(err)) == SWI_OK, "%s",
                      err);
}

static void setup_raw(void)
{
        fixture(fix);
        compute(fix, NFIX, 1, 1);
}

static void teardown(void)
{
        swi_ind_rows_free(&rows);
}

/* The row of breakdown bd at (cohort, doelgroep, d1, d2) with measure m; d1/d2
 * NULL when the breakdown has fewer dimensions. NULL when absent. */
static const swi_ind_row_t *find(const char *bd, const char *coh, const char *dg, const char *d1,
                                 const char *d2, const char *m)
{
        const char *dv[2] = {d1, d2};

        for (size_t i = 0; i < rows.n; i++) {
                const swi_ind_row_t *r = &rows.v[i];
                bool ok = strcmp(r->breakdown, bd) == 0 && strcmp(r->cohort, coh) == 0 &&
                          strcmp(r->doelgroep, dg) == 0 && strcmp(r->measure, m) == 0;
                for (int d = 0; d < 2 && ok; d++)
                        ok = dv[d] == NULL ? r->ndims <= d : r->ndims > d &&
                                                                     strcmp(r->dim_value[d], dv[d]) == 0;
                if (ok)
                        return r;
        }
        return NULL;
}

static const swi_ind_row_t *get(const char *bd, const char *coh, const char *dg, const char *d1,
                                const char *d2, const char *m)
{
        const swi_ind_row_t *r = find(bd, coh, dg, d1, d2, m);

        ck_assert_msg(r != NULL, "no row %s %s %s %s %s %s", bd, coh, dg, d1 ? d1 : "-",
                      d2 ? d2 : "-", m);
        return r;
}

/* A count published unchanged (B = 1, T = 1). */
#define CNT(bd, coh, dg, d1, d2, m, expect)                                                        \
        do {                                                                                       \
                const swi_ind_row_t *r_ = get(bd, coh, dg, d1, d2, m);                             \
                ck_assert_msg(r_->kind == SWI_IND_COUNT && r_->raw_den == 1 &&                     \
                                      r_->raw_num == (expect) && !r_->onderdrukt &&                \
                                      r_->value == (expect),                                       \
                              "%s %s %s %s %s %s: raw %lld published %lld%s, expected %d", bd,     \
                              coh, dg, d1 ? d1 : "-", d2 ? d2 : "-", m, (long long)r_->raw_num,    \
                              (long long)r_->value, r_->onderdrukt ? " (onderdrukt)" : "",         \
                              (int)(expect));                                                      \
        } while (0)

/* A share num/den published as tenths of a percent. At T = 1 no share is
 * suppressed: a share over 0 persons is NULL but not onderdrukt
 * (test_indicators_empty_share_not_suppressed), so none forces secondary
 * suppression either. */
#define SHR(bd, coh, dg, d1, d2, m, num, den, tenths)                                              \
        do {                                                                                       \
                const swi_ind_row_t *r_ = get(bd, coh, dg, d1, d2, m);                             \
                ck_assert_msg(                                                                     \
                    r_->kind == SWI_IND_SHARE && r_->raw_num == (num) && r_->raw_den == (den) &&   \
                        !r_->onderdrukt && r_->value == (tenths) && r_->decimals == 1 &&           \
                        strcmp(r_->unit, "procent") == 0 && r_->noemer != NULL,                    \
                    "%s %s %s %s: %lld/%lld published %lld%s, expected %d/%d -> %d", bd, coh, dg,  \
                    m, (long long)r_->raw_num, (long long)r_->raw_den, (long long)r_->value,       \
                    r_->onderdrukt ? " (onderdrukt)" : "", (int)(num), (int)(den), (int)(tenths)); \
        } while (0)

/* The same, and published. */
#define SHR_PUB(bd, coh, dg, d1, d2, m, num, den, tenths)                                          \
        do {                                                                                       \
                SHR(bd, coh, dg, d1, d2, m, num, den, tenths);                                     \
                ck_assert(!get(bd, coh, dg, d1, d2, m)->onderdrukt);                               \
        } while (0)

/* A lead-time statistic equal to num/den days, published as tenths. */
#define LT(bd, m, num, den, tenths)                                                                \
        do {                                                                                       \
                const swi_ind_row_t *r_ = get(bd, "*", "*", NULL, NULL, m);                        \
                ck_assert_msg(r_->kind == SWI_IND_LEADTIME && r_->raw_den != 0 &&                  \
                                      r_->raw_num * (int64_t)(den) ==                              \
                                              (int64_t)(num) * r_->raw_den &&                      \
                                      !r_->onderdrukt && r_->value == (tenths),                    \
                              "%s %s: %lld/%lld published %lld, expected %d/%d -> %d", bd, m,      \
                              (long long)r_->raw_num, (long long)r_->raw_den,                      \
                              (long long)r_->value, (int)(num), (int)(den), (int)(tenths));        \
        } while (0)

/* ---- family 1 ------------------------------------------------------------------- */

START_TEST(test_indicators_populatie_counts)
{
        /* all of U(P): 19; plichtigen 19 - 5 with einde = 14 */
        CNT("populatie_geslacht", "*", "*", "*", NULL, "cohortgrootte", 19);
        CNT("populatie_geslacht", "*", "*", "*", NULL, "plichtigen", 14);
        /* M: p0 p2 p5 p7 p9 p11 p13 p15 p16 p18 = 10; plichtig: minus p0 p2 p16 = 7 */
        CNT("populatie_geslacht", "*", "*", "M", NULL, "cohortgrootte", 10);
        CNT("populatie_geslacht", "*", "*", "M", NULL, "plichtigen", 7);
        /* V: p1 p4 p6 p10 p12 p14 p17 = 7; plichtig: minus p1 = 6 */
        CNT("populatie_geslacht", "*", "*", "V", NULL, "cohortgrootte", 7);
        CNT("populatie_geslacht", "*", "*", "V", NULL, "plichtigen", 6);
        /* X: p3 (vervallen) = 1, plichtig 0 (published as 0); ONBEKEND: p8 */
        CNT("populatie_geslacht", "*", "*", "X", NULL, "cohortgrootte", 1);
        CNT("populatie_geslacht", "*", "*", "X", NULL, "plichtigen", 0);
        CNT("populatie_geslacht", "*", "*", "ONBEKEND", NULL, "cohortgrootte", 1);
        /* 2023 ASIEL V: p1 p4 p17 = 3; plichtig p4 p17 = 2 */
        CNT("populatie_geslacht", "2023", "ASIEL", "V", NULL, "cohortgrootte", 3);
        CNT("populatie_geslacht", "2023", "ASIEL", "V", NULL, "plichtigen", 2);
        /* 2023 * M: p2 p5 p9 p11 p13 p18 = 6; plichtig minus p2 = 5 */
        CNT("populatie_geslacht", "2023", "*", "M", NULL, "cohortgrootte", 6);
        CNT("populatie_geslacht", "2023", "*", "M", NULL, "plichtigen", 5);
        /* * GEZIN *: p2 p6 p9 p14 p18 = 5; cohorts 2021: 1, 2024: 5 */
        CNT("populatie_geslacht", "*", "GEZIN", "*", NULL, "cohortgrootte", 5);
        CNT("populatie_geslacht", "2021", "*", "*", NULL, "cohortgrootte", 1);
        CNT("populatie_geslacht", "2024", "*", "*", NULL, "cohortgrootte", 5);
        /* the WI2013 person and the one without plicht add no cohort */
        ck_assert_ptr_null(find("populatie_geslacht", "2020", "*", "*", NULL, "cohortgrootte"));

        /* leeftijdsklasse: <18 p4; ONBEKEND p8; 25-34 p0 p5 p10 p11 p14 p17 = 6 */
        CNT("populatie_leeftijdsklasse", "*", "*", "<18", NULL, "cohortgrootte", 1);
        CNT("populatie_leeftijdsklasse", "*", "*", "ONBEKEND", NULL, "cohortgrootte", 1);
        CNT("populatie_leeftijdsklasse", "*", "*", "25-34", NULL, "cohortgrootte", 6);

        /* gemeente at P: GM0363 p0 p2 p5 p11 p13 p16 p18 = 7, GM0599 p1 p6 p9 p14 p17 = 5,
         * GM0014 p4 p7 p12 p15 = 4, ONBEKEND p3 p8 p10 = 3 (7+5+4+3 = 19) */
        CNT("populatie_gemeente", "*", "*", "GM0363", NULL, "cohortgrootte", 7);
        CNT("populatie_gemeente", "*", "*", "GM0599", NULL, "cohortgrootte", 5);
        CNT("populatie_gemeente", "*", "*", "GM0014", NULL, "cohortgrootte", 4);
        CNT("populatie_gemeente", "*", "*", "ONBEKEND", NULL, "cohortgrootte", 3);
        CNT("populatie_arbeidsmarktregio", "*", "*", "AM12", NULL, "cohortgrootte", 7);
        CNT("populatie_arbeidsmarktregio", "*", "*", "ONBEKEND", NULL, "plichtigen", 2);
        /* (p3 vervallen, p8 and p10 plichtig) */
}
END_TEST

START_TEST(test_indicators_populatie_nationaliteit_top5)
{
        /* (*,*): SYR 7 (p0 p1 p5 p10 p11 p16 p17), MAR 3, ERI 2, TUR 2, then AFG IRN USA
         * 1 each - the tie goes to the smallest code AFG. OVERIG = IRN + USA + 2
         * ONBEKEND (p3 p8) = 4. */
        CNT("populatie_nationaliteit", "*", "*", "SYR", NULL, "cohortgrootte", 7);
        CNT("populatie_nationaliteit", "*", "*", "MAR", NULL, "cohortgrootte", 3);
        CNT("populatie_nationaliteit", "*", "*", "ERI", NULL, "cohortgrootte", 2);
        CNT("populatie_nationaliteit", "*", "*", "TUR", NULL, "cohortgrootte", 2);
        CNT("populatie_nationaliteit", "*", "*", "AFG", NULL, "cohortgrootte", 1);
        CNT("populatie_nationaliteit", "*", "*", "OVERIG", NULL, "cohortgrootte", 4);
        CNT("populatie_nationaliteit", "*", "*", "*", NULL, "cohortgrootte", 19);
        /* SYR plichtig: p5 p10 p11 p17 = 4; OVERIG plichtig: p13 p15 p8 = 3 */
        CNT("populatie_nationaliteit", "*", "*", "SYR", NULL, "plichtigen", 4);
        CNT("populatie_nationaliteit", "*", "*", "OVERIG", NULL, "plichtigen", 3);
        /* IRN is not among the five of (*,*): no row there ... */
        ck_assert_ptr_null(find("populatie_nationaliteit", "*", "*", "IRN", NULL, "cohortgrootte"));
        ck_assert_ptr_null(find("populatie_nationaliteit", "*", "*", "USA", NULL, "cohortgrootte"));
        /* ... but (2023, ASIEL) = p1 p4 p5 p11 p13 p17 has SYR 4, ERI 1, IRN 1: all
         * three are its top codes, OVERIG 0 */
        CNT("populatie_nationaliteit", "2023", "ASIEL", "SYR", NULL, "cohortgrootte", 4);
        CNT("populatie_nationaliteit", "2023", "ASIEL", "IRN", NULL, "cohortgrootte", 1);
        CNT("populatie_nationaliteit", "2023", "ASIEL", "OVERIG", NULL, "cohortgrootte", 0);
        CNT("populatie_nationaliteit", "2023", "ASIEL", "*", NULL, "cohortgrootte", 6);
        ck_assert_ptr_null(
                find("populatie_nationaliteit", "2023", "ASIEL", "MAR", NULL, "cohortgrootte"));
        /* (2022, *) = p0 SYR, p3 --, p12 ERI, p15 USA: ERI, SYR, USA 1 each, OVERIG 1 */
        CNT("populatie_nationaliteit", "2022", "*", "USA", NULL, "cohortgrootte", 1);
        CNT("populatie_nationaliteit", "2022", "*", "OVERIG", NULL, "cohortgrootte", 1);
}
END_TEST

/* ---- family 2 -------------------------------------------------------------------- */

START_TEST(test_indicators_fase_first_match)
{
        /* voldaan p0 p16 (p0 also has a PIP: einde wins); ontheffing/vrijstelling p1 p2 (p1
         * also has a brede intake); vervallen p3; PIP B1 p4 p11 p13 (p11 in opvang: PIP
         * wins); Z p5 p15; ONDERWIJS p6 p12; in_opvang p7; brede intake p8 p18;
         * gevestigd p9 p14 p17; overig p10. 2+2+1+3+2+2+0+1+2+3+1 = 19 */
        CNT("fase", "*", "*", "voldaan", NULL, "personen", 2);
        CNT("fase", "*", "*", "ontheffing_vrijstelling", NULL, "personen", 2);
        CNT("fase", "*", "*", "vervallen", NULL, "personen", 1);
        CNT("fase", "*", "*", "pip_B1", NULL, "personen", 3);
        CNT("fase", "*", "*", "pip_Z", NULL, "personen", 2);
        CNT("fase", "*", "*", "pip_ONDERWIJS", NULL, "personen", 2);
        CNT("fase", "*", "*", "pip_ONBEKEND", NULL, "personen", 0);
        CNT("fase", "*", "*", "in_opvang", NULL, "personen", 1);
        CNT("fase", "*", "*", "brede_intake_gestart", NULL, "personen", 2);
        CNT("fase", "*", "*", "gevestigd", NULL, "personen", 3);
        CNT("fase", "*", "*", "overig", NULL, "personen", 1);
        CNT("fase", "*", "*", "*", NULL, "personen", 19);
        /* 3 / 19 = 15.789..% -> 15.8 */
        SHR_PUB("fase", "*", "*", "pip_B1", NULL, "aandeel_fase", 3, 19, 158);
        /* 2023 ASIEL: p1 onth, p4 B1, p5 Z, p11 B1, p13 B1, p17 gevestigd -> B1 3 of 6 = 50.0 */
        SHR("fase", "2023", "ASIEL", "pip_B1", NULL, "aandeel_fase", 3, 6, 500);

        /* plichtigen 14; in opvang p7 (no PIP), p11 (PIP); PIP among plichtigen: p4 p5 p6
         * p11 p12 p13 p15 = 7 -> 7/14 = 50.0% */
        CNT("fase_plichtigen", "*", "*", NULL, NULL, "plichtigen", 14);
        CNT("fase_plichtigen", "*", "*", NULL, NULL, "in_opvang_met_pip", 1);
        CNT("fase_plichtigen", "*", "*", NULL, NULL, "in_opvang_zonder_pip", 1);
        CNT("fase_plichtigen", "*", "*", NULL, NULL, "pip_vastgesteld", 7);
        SHR_PUB("fase_plichtigen", "*", "*", NULL, NULL, "aandeel_pip_vastgesteld", 7, 14, 500);
        /* ASIEL plichtig: p4 p5 p7 p10 p11 p12 p13 p17 = 8; PIP p4 p5 p11 p12 p13 = 5:
         * 62.5% */
        SHR("fase_plichtigen", "*", "ASIEL", NULL, NULL, "aandeel_pip_vastgesteld", 5, 8, 625);
        /* 1/14 = 7.142..% -> 7.1 */
        SHR_PUB("fase_plichtigen", "*", "*", NULL, NULL, "aandeel_in_opvang_met_pip", 1, 14, 71);
}
END_TEST

/* ---- family 3 ---------------------------------------------------------------------- */

START_TEST(test_indicators_pip_termijn_branches)
{
        /* start_pip_termijn <= P: every settled person (14: not p3 p7 p8 p10 p11).
         * binnen: p0 (2022-05-01 -> 2022-07-10 = 30+30+10 = 70 days: boundary in),
         *   p6 (17), p13 (61), p16 (30) = 4
         * na: p4 (2023-03-01 -> 2023-05-11 = 30+30+11 = 71), p15 (89) = 2
         * voor: p5 (PIP 2023-05-25 < 2023-06-01), p12 (2022-06-01 < 2022-06-15) = 2
         * geen PIP, einde: p1 p2 = 2
         * geen PIP, P - start <= 70: p14 (2024-04-22 -> 2024-07-01 = 8+31+30+1 = 70) = 1
         * geen PIP, > 70: p9 (335), p17 (357), p18 (365) = 3 */
        CNT("pip_termijn", "*", "*", "binnen_10_weken", NULL, "personen", 4);
        CNT("pip_termijn", "*", "*", "na_10_weken", NULL, "personen", 2);
        CNT("pip_termijn", "*", "*", "voor_termijn", NULL, "personen", 2);
        CNT("pip_termijn", "*", "*", "geen_pip_einde", NULL, "personen", 2);
        CNT("pip_termijn", "*", "*", "geen_pip_tot_70_dagen", NULL, "personen", 1);
        CNT("pip_termijn", "*", "*", "geen_pip_meer_dan_70_dagen", NULL, "personen", 3);
        CNT("pip_termijn", "*", "*", "*", NULL, "personen", 14);
        /* 4/14 = 28.571..% -> 28.6 */
        SHR_PUB("pip_termijn", "*", "*", "binnen_10_weken", NULL, "aandeel_pip_termijn", 4, 14, 286);
}
END_TEST

/* ---- family 4 ----------------------------------------------------------------------- */

START_TEST(test_indicators_doorlooptijden)
{
        const char *b = "doorlooptijd_status_koppeling";
        /* status -> koppeling: p0 22, p1 15, p4 26 (2022-11-24 -> 12-20), p5 311
         * (2022-05-25 -> 2023-04-01 = 365 - 54), p7 51 (leap February), p11 108
         * (2023-01-13 -> 05-01 = 169 - 61), p12 30, p16 31, p17 19: n = 9;
         * open: p10 p13 (status, no koppeling) = 2.
         * sorted 15 19 22 26 30 31 51 108 311, sum 613 */
        CNT(b, "*", "*", NULL, NULL, "n", 9);
        CNT(b, "*", "*", NULL, NULL, "n_open", 2);
        LT(b, "gemiddelde", 613, 9, 681);       /* 68.11 */
        LT(b, "p25", 22, 1, 220);               /* (n-1)/4 = 2 -> x2 */
        LT(b, "mediaan", 30, 1, 300);           /* 4 -> x4 */
        LT(b, "p75", 51, 1, 510);               /* 6 -> x6 */
        LT(b, "p90", 743, 5, 1486);             /* 7.2 -> 108 + 0.2 * 203 = 148.6 */

        b = "doorlooptijd_status_vestiging";
        /* p0 111, p1 86, p4 97, p5 372, p12 226, p13 303, p16 123, p17 32: n = 8; open
         * p7 p10 p11 = 3. sorted 32 86 97 111 123 226 303 372, sum 1350 */
        CNT(b, "*", "*", NULL, NULL, "n", 8);
        CNT(b, "*", "*", NULL, NULL, "n_open", 3);
        LT(b, "gemiddelde", 1350, 8, 1688);     /* 168.75 -> 168.8 (half away) */
        LT(b, "p25", 377, 4, 943);              /* 1.75: 86 + .75 * 11 = 94.25 -> 94.3 */
        LT(b, "mediaan", 117, 1, 1170);         /* 3.5: (111 + 123) / 2 */
        LT(b, "p75", 981, 4, 2453);             /* 5.25: 226 + .25 * 77 = 245.25 -> 245.3 */
        LT(b, "p90", 3237, 10, 3237);           /* 6.3: 303 + .3 * 69 = 323.7 */

        b = "doorlooptijd_vestiging_pip";
        /* negative ones kept: p5 -7, p12 -14; p0 70, p4 71, p6 22, p13 61, p15 120,
         * p16 91: n = 8; open (settled, no PIP): p1 p2 p9 p14 p17 p18 = 6.
         * sorted -14 -7 22 61 70 71 91 120, sum 414 */
        CNT(b, "*", "*", NULL, NULL, "n", 8);
        CNT(b, "*", "*", NULL, NULL, "n_open", 6);
        LT(b, "gemiddelde", 414, 8, 518);       /* 51.75 -> 51.8 */
        LT(b, "p25", 59, 4, 148);               /* 1.75: -7 + .75 * 29 = 14.75 -> 14.8 */
        LT(b, "mediaan", 131, 2, 655);          /* (61 + 70) / 2 = 65.5 */
        LT(b, "p75", 76, 1, 760);               /* 5.25: 71 + .25 * 20 */
        LT(b, "p90", 997, 10, 997);             /* 6.3: 91 + .3 * 29 = 99.7 */

        b = "doorlooptijd_status_pip";
        /* p0 181, p4 168, p5 365, p11 169, p12 212, p13 364, p16 214: n = 7; open p1
         * p7 p10 p17 = 4. sorted 168 169 181 212 214 364 365, sum 1673 = 7 * 239 */
        CNT(b, "*", "*", NULL, NULL, "n", 7);
        CNT(b, "*", "*", NULL, NULL, "n_open", 4);
        LT(b, "gemiddelde", 239, 1, 2390);
        LT(b, "p25", 175, 1, 1750);             /* 1.5: (169 + 181) / 2 */
        LT(b, "mediaan", 212, 1, 2120);
        LT(b, "p75", 289, 1, 2890);             /* 4.5: (214 + 364) / 2 */
        LT(b, "p90", 1822, 5, 3644);            /* 5.4: 364 + .4 * 1 = 364.4 */
        /* buckets: <= 168 {p4 168}; 169-364 {p11 169, p0, p12, p16, p13 364}; >= 365 {p5} */
        CNT("doorlooptijd_status_pip_klasse", "*", "*", "<=168", NULL, "personen", 1);
        CNT("doorlooptijd_status_pip_klasse", "*", "*", "169-364", NULL, "personen", 5);
        CNT("doorlooptijd_status_pip_klasse", "*", "*", ">=365", NULL, "personen", 1);
        SHR("doorlooptijd_status_pip_klasse", "*", "*", "<=168", NULL, "aandeel_dagen_klasse", 1,
            7, 143); /* 14.285..% */

        b = "doorlooptijd_plicht_brede_intake";
        /* p0 70, p1 68, p2 -9 (intake before plicht), p4 54, p5 19, p6 5, p8 31, p11 9,
         * p13 20, p18 30: n = 10; open: the other 9 of U(P).
         * sorted -9 5 9 19 20 30 31 54 68 70, sum 297 */
        CNT(b, "*", "*", NULL, NULL, "n", 10);
        CNT(b, "*", "*", NULL, NULL, "n_open", 9);
        LT(b, "gemiddelde", 297, 10, 297);
        LT(b, "p25", 23, 2, 115);               /* 2.25: 9 + .25 * 10 = 11.5 */
        LT(b, "mediaan", 25, 1, 250);           /* 4.5: (20 + 30) / 2 */
        LT(b, "p75", 193, 4, 483);              /* 6.75: 31 + .75 * 23 = 48.25 -> 48.3 */
        LT(b, "p90", 341, 5, 682);              /* 8.1: 68 + .1 * 2 = 68.2 */

        /* a cell with n = 0 is suppressed even at T = 1: in 2024 GEZIN, p6 and p14 have
         * no status_verleend */
        const swi_ind_row_t *r = get("doorlooptijd_status_pip", "2024", "GEZIN", NULL, NULL,
                                     "mediaan");
        ck_assert(r->onderdrukt && r->raw_den == 0 && (r->reden & SWI_DC_R_LEADTIME_N));
        CNT("doorlooptijd_status_pip", "2024", "GEZIN", NULL, NULL, "n", 0);
}
END_TEST

/* ---- family 5 ------------------------------------------------------------------------ */

START_TEST(test_indicators_leerroute)
{
        /* PIP on or before P: p0 p4 p11 p13 p16 (B1), p5 p15 (Z), p6 p12 (ONDERWIJS) = 9 */
        CNT("leerroute_geslacht", "*", "*", "B1", "*", "personen", 5);
        CNT("leerroute_geslacht", "*", "*", "*", "*", "personen", 9);
        /* B1 x M: p0 p11 p13 p16 = 4; B1 x V: p4; Z x M: p5 p15; ONDERWIJS x V: p6 p12 */
        CNT("leerroute_geslacht", "*", "*", "B1", "M", "personen", 4);
        CNT("leerroute_geslacht", "*", "*", "B1", "V", "personen", 1);
        CNT("leerroute_geslacht", "*", "*", "Z", "V", "personen", 0);
        CNT("leerroute_geslacht", "*", "*", "ONDERWIJS", "V", "personen", 2);
        /* route mix of women: B1 1 of 3 women = 33.3%, ONDERWIJS 2/3 = 66.7% */
        SHR("leerroute_geslacht", "*", "*", "B1", "V", "aandeel_leerroute", 1, 3, 333);
        SHR("leerroute_geslacht", "*", "*", "ONDERWIJS", "V", "aandeel_leerroute", 2, 3, 667);
        /* women's share of a route: ONDERWIJS 2/2 = 100%, B1 1/5 = 20% */
        SHR("leerroute_geslacht", "*", "*", "ONDERWIJS", "V", "aandeel_geslacht", 2, 2, 1000);
        SHR("leerroute_geslacht", "*", "*", "B1", "V", "aandeel_geslacht", 1, 5, 200);
        /* jongere: B1 x JA p0 p4 p11 = 3, B1 x NEE p13 p16 = 2 */
        CNT("leerroute_jongere", "*", "*", "B1", "JA", "personen", 3);
        CNT("leerroute_jongere", "*", "*", "B1", "NEE", "personen", 2);
        CNT("leerroute_leeftijdsklasse", "*", "*", "ONDERWIJS", "55+", "personen", 1); /* p6 */
        /* gemeente at P: B1 x GM0363 p0 p11 p13 p16 = 4, B1 x GM0014 p4 = 1 */
        CNT("leerroute_gemeente", "*", "*", "B1", "GM0363", "personen", 4);
        CNT("leerroute_gemeente", "*", "*", "B1", "GM0014", "personen", 1);
        /* route switches: p4 (1), p5 (2), p12 (1) = 3 of 9 = 33.3% */
        CNT("leerroute_wissel", "*", "*", NULL, NULL, "met_routewissel", 3);
        SHR_PUB("leerroute_wissel", "*", "*", NULL, NULL, "aandeel_met_routewissel", 3, 9, 333);
        /* LBT x route (PIP and LBT): p0 HAALBAAR/B1, p13 HAALBAAR/B1, p15 HAALBAAR/Z, p4
         * NIET/B1, p5 NIET/Z (p9 has an LBT but no PIP) */
        CNT("leerroute_lbt", "*", "*", "B1_HAALBAAR", "B1", "personen", 2);
        CNT("leerroute_lbt", "*", "*", "B1_HAALBAAR", "Z", "personen", 1);
        CNT("leerroute_lbt", "*", "*", "B1_NIET_HAALBAAR", "B1", "personen", 1);
        CNT("leerroute_lbt", "*", "*", "B1_NIET_HAALBAAR", "Z", "personen", 1);
        CNT("leerroute_lbt", "*", "*", "*", "*", "personen", 5);
        SHR("leerroute_lbt", "*", "*", "B1_NIET_HAALBAAR", "B1", "aandeel_leerroute", 1, 2, 500);
        SHR("leerroute_lbt", "*", "*", "B1_HAALBAAR", "Z", "aandeel_leerroute", 1, 3, 333);
}
END_TEST

/* ---- family 6 ------------------------------------------------------------------------- */

START_TEST(test_indicators_voor_vestiging)
{
        const char *b = "voor_vestiging_voorinburgering";
        /* ASIEL with OpvangInstroom: p0 p1 p4 p5 p7 p11 p12 p16 p17 = 9 (not p10 p13:
         * no opvang; not p19: not in U(P)) */
        CNT(b, "*", "*", NULL, NULL, "personen", 9);
        CNT(b, "*", "ASIEL", NULL, NULL, "personen", 9);
        ck_assert_ptr_null(find(b, "*", "GEZIN", NULL, NULL, "personen"));
        /* started p0 p1 p4 p7 p11 = 5 (55.6%); AFGEROND p0 p11 = 2 (22.2%); AFGEBROKEN p4 */
        CNT(b, "*", "*", NULL, NULL, "voorinburgering_gestart", 5);
        SHR_PUB(b, "*", "*", NULL, NULL, "aandeel_voorinburgering_gestart", 5, 9, 556);
        SHR(b, "*", "*", NULL, NULL, "aandeel_voorinburgering_afgerond", 2, 9, 222);
        CNT(b, "*", "*", NULL, NULL, "voorinburgering_afgebroken", 1);
        /* overplaatsingen: 0 {p4 p16}, 1-2 {p1 p5 p11 p17}, 3+ {p0 (3) p7 (4) p12 (5)} */
        b = "voor_vestiging_overplaatsingen";
        CNT(b, "*", "*", "0", NULL, "personen", 2);
        CNT(b, "*", "*", "1-2", NULL, "personen", 4);
        CNT(b, "*", "*", "3+", NULL, "personen", 3);
        SHR(b, "*", "*", "3+", NULL, "aandeel_overplaatsingen", 3, 9, 333);
        /* afstand: < 20 {p4 19}; 20-100 {p0 20, p16 20, p1 100, p11 60, p17 50};
         * > 100 {p5 150, p12 101}; ONBEKEND {p7: no afstand} */
        b = "voor_vestiging_afstand";
        CNT(b, "*", "*", "<20", NULL, "personen", 1);
        CNT(b, "*", "*", "20-100", NULL, "personen", 5);
        CNT(b, "*", "*", ">100", NULL, "personen", 2);
        CNT(b, "*", "*", "ONBEKEND", NULL, "personen", 1);
        SHR(b, "*", "*", "20-100", NULL, "aandeel_afstand_km", 5, 9, 556);
        /* 2023: p1 100, p4 19, p5 150, p11 60, p17 50 -> 20-100: 3 */
        CNT(b, "2023", "ASIEL", "20-100", NULL, "personen", 3);
}
END_TEST

/* ---- families 7 and 8 ------------------------------------------------------------------ */

START_TEST(test_indicators_werk_windows)
{
        const char *b = "werk_geslacht";
        /* year 1 = [v, v + 1y), in the denominator when v + 1y - 1 <= P, i.e. v <= 2023-07-02:
         *   p0 (spell 2022-09..2023-03: 1), p1 (none: 0), p2 (open spell from 2023-01-20: 1),
         *   p4 (spell starts 2024-03-01 = the window's end: 0), p5 (2023-09..12: 1),
         *   p9 (spell from 2024-06-30 = the window's last day: 1), p12 (one-day spell
         *   2023-06-14 = last day: 1), p15 (spell ends 2022-01-01 = window start: 0),
         *   p16 (spell 2022-07-01, last day: 1), p18 (v = 2023-07-02, last day = P: 0)
         *   -> 10, of which 6 with work = 60.0%. Out: p17 (v = 2023-07-03), p6 p13 p14,
         *   and p3 p7 p8 p10 p11 (no vestiging). */
        CNT(b, "*", "*", "*", NULL, "personen_jaar1", 10);
        CNT(b, "*", "*", "*", NULL, "met_werk_jaar1", 6);
        SHR_PUB(b, "*", "*", "*", NULL, "aandeel_werk_jaar1", 6, 10, 600);
        /* year 2: p0 (2023-05-01..2024-05-01: 0), p12 (from 2023-06-15: the one-day spell
         * ended: 0), p15 (spell 2023-12-31: 1), p16 (2022-07-02..: 0) = 1 of 4 */
        CNT(b, "*", "*", "*", NULL, "personen_jaar2", 4);
        SHR(b, "*", "*", "*", NULL, "aandeel_werk_jaar2", 1, 4, 250);
        /* year 3: only p16 (window ends 2024-07-02, last day = P), spell from P: 1 of 1 */
        SHR(b, "*", "*", "*", NULL, "aandeel_werk_jaar3", 1, 1, 1000);
        /* year 1 by sex: M p0 p2 p5 p9 p15 p16 p18 = 7, 5 with work; V p1 p4 p12 = 3, 1 */
        SHR(b, "*", "*", "M", NULL, "aandeel_werk_jaar1", 5, 7, 714);
        SHR(b, "*", "*", "V", NULL, "aandeel_werk_jaar1", 1, 3, 333);
        /* vestiging gemeente GM0363: p0 p2 p5 p16 p18, with work p0 p2 p5 p16 */
        SHR("werk_gemeente", "*", "*", "GM0363", NULL, "aandeel_werk_jaar1", 4, 5, 800);
        SHR("werk_arbeidsmarktregio", "*", "*", "AM12", NULL, "aandeel_werk_jaar1", 4, 5, 800);
        /* a share over an empty denominator is NULL, but not onderdrukt (§6) */
        const swi_ind_row_t *r = get(b, "2024", "*", "*", NULL, "aandeel_werk_jaar1");
        ck_assert(r->undefined && !r->onderdrukt && r->raw_den == 0 && r->reden == 0 &&
                  r->value == 0);
}
END_TEST

START_TEST(test_indicators_werk_sector_deeltijd)
{
        /* settled, spell covering P: p2 G 40h, p5 (I 36h from 2024-02, N 16h from 2024-05:
         * the later N), p6 no sector 32h, p9 F 31h, p16 Q 20h (starts on P), p17 I 20h.
         * Not: p4 (spell ends on P), p7 (no vestiging), p19 (not in U(P)). */
        CNT("werk_deeltijd", "*", "*", NULL, NULL, "werkend_op_peildatum", 6);
        /* < 32 h: p5 16, p9 31, p16 20, p17 20 = 4 (p6 32 is not) -> 66.7% */
        SHR_PUB("werk_deeltijd", "*", "*", NULL, NULL, "aandeel_deeltijd", 4, 6, 667);
        CNT("werk_sector", "*", "*", "N", NULL, "personen", 1);
        CNT("werk_sector", "*", "*", "I", NULL, "personen", 1);
        CNT("werk_sector", "*", "*", "ONBEKEND", NULL, "personen", 1);
        SHR("werk_sector", "*", "*", "F", NULL, "aandeel_sector", 1, 6, 167);
        ck_assert_ptr_null(find("werk_sector", "*", "*", "C", NULL, "personen"));
}
END_TEST

START_TEST(test_indicators_bijstand_year1)
{
        /* same denominator as werk year 1 (10); with bijstand in year 1: p0 (open from v),
         * p1 (2023-04..10), p4 (the whole year), p18 (from P = the last day); not p9 (its
         * spell ends on the window's first day) -> 4/10 = 40.0% */
        CNT("bijstand_geslacht", "*", "*", "*", NULL, "personen_jaar1", 10);
        SHR("bijstand_geslacht", "*", "*", "*", NULL, "aandeel_bijstand_jaar1", 4, 10, 400);
        /* M: p0 p18 of 7 = 28.571 -> 28.6; V: p1 p4 of 3 = 66.7 */
        SHR("bijstand_geslacht", "*", "*", "M", NULL, "aandeel_bijstand_jaar1", 2, 7, 286);
        SHR("bijstand_geslacht", "*", "*", "V", NULL, "aandeel_bijstand_jaar1", 2, 3, 667);
        ck_assert_ptr_null(find("bijstand_geslacht", "*", "*", "*", NULL, "personen_jaar2"));
}
END_TEST

/* ---- family 9 --------------------------------------------------------------------------- */

START_TEST(test_indicators_voortgang)
{
        const char *b = "voortgang_examens";
        /* events: p0 LEZEN B1 pass, SPREKEN B1 pass + fail; p4 KNM A2 pass; p5 NT2 B2
         * pass; p13 LEZEN A2 fail x2, LEZEN B1 pass (p19's 5 are not in U(P)) */
        CNT(b, "*", "*", "LEZEN", "B1", "examens", 2);
        CNT(b, "*", "*", "LEZEN", "B1", "examens_geslaagd", 2);
        CNT(b, "*", "*", "LEZEN", "A2", "examens_niet_geslaagd", 2);
        CNT(b, "*", "*", "LEZEN", "*", "examens", 4);
        CNT(b, "*", "*", "SPREKEN", "B1", "examens_niet_geslaagd", 1);
        /* total 2 + 2 + 2 + 1 + 1 = 8: geslaagd 2 + 0 + 1 + 1 + 1 = 5, niet 3 */
        CNT(b, "*", "*", "*", "*", "examens", 8);
        CNT(b, "*", "*", "*", "*", "examens_geslaagd", 5);
        CNT(b, "*", "*", "*", "*", "examens_niet_geslaagd", 3);
        /* persons passed: LEZEN p0 p13 = 2, SPREKEN p0, KNM p4, NT2 p5; the margin is the
         * sum of the cells, 5, although only 4 distinct persons passed anything */
        b = "voortgang_geslaagd_onderdeel";
        CNT(b, "*", "*", "LEZEN", NULL, "personen_geslaagd", 2);
        CNT(b, "*", "*", "LUISTEREN", NULL, "personen_geslaagd", 0);
        CNT(b, "*", "*", "*", NULL, "personen_geslaagd", 5);
        /* einde by kind */
        CNT("voortgang_einde", "*", "*", "voldaan", NULL, "personen", 2);
        CNT("voortgang_einde", "*", "*", "ontheffing", NULL, "personen", 1);
        CNT("voortgang_einde", "*", "*", "vrijstelling", NULL, "personen", 1);
        CNT("voortgang_einde", "*", "*", "vervallen", NULL, "personen", 1);
        CNT("voortgang_einde", "*", "*", "*", NULL, "personen", 5);
        /* voldaan p0 (B1) p16 (A2): 1 of 2 */
        SHR_PUB("voortgang_voldaan_niveau", "*", "*", NULL, NULL, "aandeel_voldaan_b1_of_b2", 1,
                2, 500);
        /* plichtigen with a PIP: p4 p5 p6 p11 p12 p13 p15 = 7; termijn_einde in
         * (2024-07-01, 2025-01-01]: p11 2024-12-31, p12 2025-01-01 (boundary in); not p13
         * 2025-01-02, not p15 = P -> 2/7 = 28.6% */
        CNT("voortgang_termijn", "*", "*", NULL, NULL, "plichtigen_met_pip", 7);
        SHR_PUB("voortgang_termijn", "*", "*", NULL, NULL,
                "aandeel_termijn_einde_binnen_6_maanden", 2, 7, 286);
        /* TermijnVerlengd events: GEEN_AANBOD p11, KINDEROPVANG p12, VERBLIJF_AZC p5, WERK
         * p13, MEDISCH p11 + p15 = 2, OVERIG 0 (p19 excluded) -> 6 */
        b = "voortgang_verlengingen";
        CNT(b, "*", "*", "MEDISCH", NULL, "termijnverlengingen", 2);
        CNT(b, "*", "*", "OVERIG", NULL, "termijnverlengingen", 0);
        CNT(b, "*", "*", "*", NULL, "termijnverlengingen", 6);
        ck_assert_str_eq(get(b, "*", "*", "*", NULL, "termijnverlengingen")->unit,
                         "gebeurtenissen");
}
END_TEST

/* ---- family 10 ---------------------------------------------------------------------------- */

START_TEST(test_indicators_volledigheid)
{
        const char *b = "volledigheid_brede_intake";
        /* BredeIntakeAfgerond: p0 (MBO, GEEN, NEE), p5 (-, TOT_2_JAAR, JA), p13 (GEEN, -, -),
         * p18 (HBO_WO, VIJF_JAAR_OF_MEER, NEE) = 4 */
        CNT(b, "*", "*", NULL, NULL, "brede_intake_afgerond", 4);
        SHR_PUB(b, "*", "*", NULL, NULL, "aandeel_opleidingsniveau_bekend", 3, 4, 750);
        SHR(b, "*", "*", NULL, NULL, "aandeel_werkervaring_bekend", 3, 4, 750);
        SHR(b, "*", "*", NULL, NULL, "aandeel_jonge_kinderen_bekend", 3, 4, 750);
        SHR_PUB(b, "*", "*", NULL, NULL, "aandeel_alle_drie_bekend", 2, 4, 500);
        /* 2023 ASIEL: p5 p13; opleidingsniveau known p13 only; all three none */
        SHR(b, "2023", "ASIEL", NULL, NULL, "aandeel_opleidingsniveau_bekend", 1, 2, 500);
        SHR(b, "2023", "ASIEL", NULL, NULL, "aandeel_alle_drie_bekend", 0, 2, 0);
}
END_TEST

/* ---- disclosure, order, format, errors ------------------------------------------------------ */

START_TEST(test_indicators_disclosure_defaults)
{
        /* cohort 2023 only. ASIEL: M 23, V 7, ONBEKEND 12 (42); GEZIN: M 4, V 15 (19).
         * PIP: ASIEL M 23 + V 7 + 5 of the ONBEKEND = 35; GEZIN the 4 M + 1 V = 5. */
        static swi_person_t v[61];
        const int grp[5][3] = {{A, M, 23}, {A, V, 7}, {A, 0, 12}, {G, M, 4}, {G, V, 15}};
        const char *b = "populatie_geslacht";
        const swi_ind_row_t *r;
        int k = 0;

        PD = D(2024, 7, 1);
        for (int g = 0; g < 5; g++) {
                for (int j = 0; j < grp[g][2]; j++, k++) {
                        swi_person_t *p = mk(v, k, D(2023, 3, 1), grp[g][0], grp[g][1],
                                             SWI_LFT_25_34, JA, "SYR", "GM0363", "AM12");
                        bool has_pip = grp[g][0] == A ? (grp[g][1] != 0 || j < 5)
                                                      : (grp[g][1] == M || j < 1);
                        if (has_pip)
                                pip(p, D(2023, 9, 1), SWI_ROUTE_B1, D(2026, 9, 1));
                }
        }
        ck_assert_int_eq(k, 61);
        compute(v, 61, 5, 10);

        /* primary: ASIEL V 7, GEZIN M 4 (1 <= n < 10).
         * Round 1 (all groups against the same state):
         *   geslacht group (2023, ASIEL): only V suppressed -> smallest other non-zero is
         *     ONBEKEND 12 (M 23, X 0)
         *   geslacht group (2023, GEZIN): only M -> V 15
         *   doelgroep group (2023, geslacht M): only GEZIN -> ASIEL 23 (OVERIG 0)
         *   doelgroep group (2023, geslacht V): only ASIEL -> GEZIN 15 (already chosen)
         *   doelgroep group ONBEKEND: nothing suppressed yet
         *   cohort groups (one member, cohort 2023): their margins are primary already
         *   (the same in the cohort * plane, which holds the same values)
         * Round 2: doelgroep group ONBEKEND: ASIEL 12 is the only suppressed member and
         *   GEZIN, OVERIG are 0 -> its margin (2023, *, ONBEKEND) = 12 (§6 settled
         *   points; before, it stayed published and gave ASIEL ONBEKEND away)
         * Round 3: geslacht group (2023, *): only ONBEKEND suppressed -> the smallest
         *   other non-zero, V 22 (M 27, X 0)
         * Round 4: nothing. */
        r = get(b, "2023", "ASIEL", "M", NULL, "cohortgrootte");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_SECONDARY && r->raw_num == 23);
        r = get(b, "2023", "ASIEL", "V", NULL, "cohortgrootte");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_PRIMARY);
        CNT(b, "2023", "ASIEL", "X", NULL, "cohortgrootte", 0); /* zero: published as 0 */
        r = get(b, "2023", "ASIEL", "ONBEKEND", NULL, "cohortgrootte");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_SECONDARY);
        r = get(b, "2023", "GEZIN", "M", NULL, "cohortgrootte");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_PRIMARY);
        r = get(b, "2023", "GEZIN", "V", NULL, "cohortgrootte");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_SECONDARY);
        /* margins from unrounded values, rounded on their own to B = 5 (halves away):
         * ASIEL 42 -> 40, GEZIN 19 -> 20, * M 27 -> 25, total 61 -> 60 */
        r = get(b, "2023", "ASIEL", "*", NULL, "cohortgrootte");
        ck_assert(!r->onderdrukt && r->value == 40 && r->raw_num == 42);
        r = get(b, "2023", "GEZIN", "*", NULL, "cohortgrootte");
        ck_assert(!r->onderdrukt && r->value == 20);
        r = get(b, "2023", "*", "M", NULL, "cohortgrootte");
        ck_assert(!r->onderdrukt && r->value == 25);
        r = get(b, "2023", "*", "V", NULL, "cohortgrootte");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_SECONDARY && r->raw_num == 22);
        r = get(b, "2023", "*", "ONBEKEND", NULL, "cohortgrootte");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_SECONDARY && r->raw_num == 12);
        r = get(b, "*", "*", "ONBEKEND", NULL, "cohortgrootte");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_SECONDARY);
        r = get(b, "2023", "*", "X", NULL, "cohortgrootte");
        ck_assert(!r->onderdrukt && r->value == 0);
        r = get(b, "*", "*", "*", NULL, "cohortgrootte");
        ck_assert(!r->onderdrukt && r->value == 60);

        /* shares: fase_plichtigen, everyone plichtig.
         * pip_vastgesteld: ASIEL 35 starts suppressed for its share's complement
         * (42 - 35 = 7 in 1..9), GEZIN 5 primary: two in the doelgroep group.
         * aandeel ASIEL: complement and numerator suppressed; GEZIN: numerator
         * suppressed. (2023, *): 40/61 = 65.57% -> 65.6 */
        b = "fase_plichtigen";
        r = get(b, "2023", "ASIEL", NULL, NULL, "pip_vastgesteld");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_COMPLEMENT);
        r = get(b, "2023", "ASIEL", NULL, NULL, "aandeel_pip_vastgesteld");
        ck_assert(r->onderdrukt && r->reden == (SWI_DC_R_COMPLEMENT | SWI_DC_R_NUMERATOR) &&
                  r->raw_num == 35 && r->raw_den == 42);
        r = get(b, "2023", "GEZIN", NULL, NULL, "aandeel_pip_vastgesteld");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_NUMERATOR);
        r = get(b, "2023", "*", NULL, NULL, "aandeel_pip_vastgesteld");
        ck_assert(!r->onderdrukt && r->value == 656);
        r = get(b, "2023", "*", NULL, NULL, "pip_vastgesteld");
        ck_assert(!r->onderdrukt && r->value == 40);
        /* 0 of 42 in opvang: 0.0%, published (den 42 >= 10, den - num = 42) */
        r = get(b, "2023", "ASIEL", NULL, NULL, "aandeel_in_opvang_met_pip");
        ck_assert(!r->onderdrukt && r->value == 0);
        /* lead times: n = 0 everywhere here -> statistics suppressed */
        r = get("doorlooptijd_vestiging_pip", "*", "*", NULL, NULL, "gemiddelde");
        ck_assert(r->onderdrukt && r->reden == SWI_DC_R_LEADTIME_N);
}
END_TEST

START_TEST(test_indicators_empty_share_not_suppressed)
{
        const swi_ind_row_t *r;

        /* fase, 2023, fase pip_B1, along doelgroep: ASIEL 3 of 6 (p4 p11 p13 of p1 p4 p5
         * p11 p13 p17), GEZIN 0 of 3 (p2 p9 p18), OVERIG 0 of 0 (cohort 2023 has no
         * OVERIG). 0/0 is NULL but not suppressed and no suppressed member of the
         * group (§6 settled points), so nothing else is suppressed at T = 1. (Before:
         * it was suppressed, reason denominator, and took ASIEL 3/6 with it.) */
        r = get("fase", "2023", "OVERIG", "pip_B1", NULL, "aandeel_fase");
        ck_assert(!r->onderdrukt && r->undefined && r->reden == 0 && r->raw_den == 0);
        r = get("fase", "2023", "ASIEL", "pip_B1", NULL, "aandeel_fase");
        ck_assert(!r->onderdrukt && r->value == 500 && r->raw_num == 3 && r->raw_den == 6);
        r = get("fase", "2023", "GEZIN", "pip_B1", NULL, "aandeel_fase");
        ck_assert(!r->onderdrukt && !r->undefined && r->value == 0);
        CNT("fase", "2023", "ASIEL", "pip_B1", NULL, "personen", 3);
}
END_TEST

START_TEST(test_indicators_order_independent)
{
        /* the same persons reversed give byte-identical rows */
        static swi_person_t rev[NFIX];
        swi_ind_rows_t first = rows;

        memset(&rows, 0, sizeof(rows));
        for (int i = 0; i < NFIX; i++)
                rev[i] = fix[NFIX - 1 - i];
        compute(rev, NFIX, 1, 1);
        ck_assert_uint_eq(first.n, rows.n);
        for (size_t i = 0; i < rows.n; i++) {
                const swi_ind_row_t *x = &first.v[i], *y = &rows.v[i];
                ck_assert_msg(x->breakdown == y->breakdown && x->measure == y->measure &&
                                      strcmp(x->cohort, y->cohort) == 0 &&
                                      strcmp(x->doelgroep, y->doelgroep) == 0 &&
                                      memcmp(x->dim_value, y->dim_value, sizeof(x->dim_value)) ==
                                              0 &&
                                      x->raw_num == y->raw_num && x->raw_den == y->raw_den &&
                                      x->value == y->value && x->onderdrukt == y->onderdrukt,
                              "row %zu differs", i);
        }
        swi_ind_rows_free(&first);
        /* families appear in order 1..10, and within a breakdown the margin comes last */
        for (size_t i = 1; i < rows.n; i++)
                ck_assert_int_le(rows.v[i - 1].family, rows.v[i].family);
        ck_assert_str_eq(rows.v[0].breakdown, "populatie_geslacht");
        ck_assert_str_eq(rows.v[0].cohort, "2021");
        ck_assert_str_eq(rows.v[0].doelgroep, "ASIEL");
        ck_assert_str_eq(rows.v[0].dim_value[0], "M");
}
END_TEST

START_TEST(test_indicators_copy_line)
{
        char buf[512];
        const swi_ind_row_t *r;
        int n;

        r = get("fase_plichtigen", "*", "*", NULL, NULL, "aandeel_pip_vastgesteld");
        n = swi_ind_row_copy_line(r, PD, SWI_K_ALL, buf, sizeof(buf));
        ck_assert_int_gt(n, 0);
        ck_assert_str_eq(buf, "2024-07-01\tinfinity\t2\tfase_plichtigen\t*\t*\t\\N\t\\N\t\\N\t"
                              "\\N\t\\N\t\\N\taandeel_pip_vastgesteld\tprocent\t50.0\tf\t\\N\t"
                              "plichtigen op P (measure plichtigen)\n");
        r = get("leerroute_geslacht", "*", "*", "B1", "V", "personen");
        n = swi_ind_row_copy_line(r, PD, SWI_K_ALL, buf, sizeof(buf));
        ck_assert_str_eq(buf, "2024-07-01\tinfinity\t5\tleerroute_geslacht\t*\t*\tleerroute\tB1\t"
                              "geslacht\tV\t\\N\t\\N\tpersonen\tpersonen\t1\tf\t\\N\t\\N\n");
        ck_assert_int_eq(n, (int)strlen(buf));

        /* a share over 0: value NULL, onderdrukt f, no reden; K = 2024-07-02
         * 12:00:00.250 UTC */
        r = get("werk_geslacht", "2024", "*", "*", NULL, "aandeel_werk_jaar1");
        n = swi_ind_row_copy_line(r, PD, (int64_t)(D(2024, 7, 2)) * 86400000 + 43200250, buf,
                                  sizeof(buf));
        ck_assert_int_gt(n, 0);
        ck_assert_ptr_nonnull(strstr(buf, "2024-07-01\t2024-07-02 12:00:00.250+00\t7\t"));
        ck_assert_ptr_nonnull(strstr(buf, "\tprocent\t\\N\tf\t\\N\t"));
        ck_assert_int_eq(swi_ind_row_copy_line(r, PD, SWI_K_ALL, buf, 20), -1);
        ck_assert_str_eq(buf, "");
        /* suppressed (a lead time over n = 0, even at T = 1): NULL, t, its reden */
        r = NULL;
        for (size_t i = 0; i < rows.n && r == NULL; i++)
                if (rows.v[i].kind == SWI_IND_LEADTIME && rows.v[i].raw_den == 0)
                        r = &rows.v[i];
        ck_assert_ptr_nonnull(r);
        ck_assert_int_gt(swi_ind_row_copy_line(r, PD, SWI_K_ALL, buf, sizeof(buf)), 0);
        ck_assert_ptr_nonnull(strstr(buf, "\tdagen\t\\N\tt\tleadtime_n\t"));
}
END_TEST

START_TEST(test_indicators_rejects_other_peildatum)
{
        swi_ind_rows_t out = {0};
        char err[128] = "";

        fix[3].peildatum = PD - 1;
        ck_assert_int_eq(swi_ind_compute(fix, NFIX, PD, NULL, &out, err, sizeof(err)),
                         SWI_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(err, "peildatum"));
        swi_ind_rows_free(&out);
        ck_assert_int_eq(swi_ind_compute(NULL, 0, PD, NULL, &out, err, sizeof(err)), SWI_OK);
        swi_ind_rows_free(&out);
}
END_TEST

/* 150,000 synthetic persons, all families, defaults: computes without error
 * and deterministically. How fast is measured by bench/, not asserted here
 * (timed unit tests are flaky on shared machines). */
/* ---- §6 property over a generated population ------------------------------------ */

/* A random population with every field the families read, small enough that
 * most cells are small: many suppressions, many groups with one. */
static int rnd(uint32_t *s, int k)
{
        *s = *s * 1103515245u + 12345u;
        return (int)((*s >> 8) % (uint32_t)k);
}

static void random_population(swi_person_t *v, size_t n, uint32_t seed)
{
        static const char *const nat[] = {"SYR", "ERI", "TUR", "AFG", "YEM", "IRQ", "MAR", ""};
        uint32_t s = seed;
#define RND(k) rnd(&s, (k))
        for (size_t i = 0; i < n; i++) {
                char g[16], r[16];
                int gi = RND(40);
                snprintf(g, sizeof(g), "GM%04d", 10 + gi * 7);
                snprintf(r, sizeof(r), "AM%02d", gi % 9);
                int32_t plicht = D(2021, 1, 1) + RND(1270);
                int dg = 1 + RND(3), sex = RND(4), lft = RND(SWI_LFT__CNT);
                int jong = RND(SWI_TRI__CNT);
                const char *na = nat[RND(8)];
                swi_person_t *p = mk(v, (int)i, plicht, dg, sex, lft, jong, na, g, r);
                p->status_verleend = p->plicht_start - 30 - RND(300);
                if (RND(4) != 0)
                        vest(p, p->plicht_start + RND(200), g, r);
                if (RND(3) == 0) {
                        int32_t d = p->plicht_start - RND(200);
                        bool in = RND(4) == 0;
                        opvang(p, d, in, RND(3));
                }
                if (RND(3) == 0) {
                        int32_t d = p->plicht_start + RND(60);
                        koppeling(p, d, RND(2) ? RND(300) : -1);
                }
                if (RND(2)) {
                        int32_t d = p->plicht_start + 20 + RND(100);
                        int opl = RND(SWI_OPL__CNT), we = RND(SWI_WERKERV__CNT);
                        intake(p, d, opl, we, RND(SWI_TRI__CNT));
                }
                if (RND(3) != 0 && p->plicht_start + 200 <= PD) {
                        int32_t d = p->plicht_start + 40 + RND(160);
                        pip(p, d, RND(SWI_ROUTE__CNT), p->plicht_start + 1095);
                }
                if (RND(6) == 0 && p->plicht_start + 400 <= PD) {
                        int32_t d = p->plicht_start + 300 + RND(100);
                        int kind = RND(SWI_EINDE__CNT);
                        einde(p, d, kind, RND(SWI_NIVEAU__CNT));
                }
                if (p->vestiging_datum != SWI_DATE_NONE && RND(3) == 0) {
                        int32_t st = p->vestiging_datum + RND(500);
                        int32_t en = RND(2) ? OPEN : PD - RND(100);
                        char sec = (char)('A' + RND(21));
                        werk(p, st, en, sec, 8 + RND(32));
                }
                if (RND(4) == 0) {
                        int32_t st = p->plicht_start + RND(400);
                        bijstand(p, st, RND(2) ? OPEN : PD - RND(50));
                }
                if (RND(2)) {
                        p->lbt_datum = p->plicht_start + RND(90);
                        p->lbt_score = (int8_t)RND(41);
                        p->lbt_uitkomst = (uint8_t)RND(SWI_LBT__CNT);
                }
                for (int k = RND(4); k > 0; k--) {
                        int o = RND(SWI_OND__CNT);
                        int e = RND(SWI_EXN__CNT);
                        int ok = RND(2);
                        p->exams[o][e][ok]++;
                        if (ok)
                                p->exams_passed |= (uint8_t)(1u << o);
                }
                if (RND(5) == 0)
                        p->verlengingen[RND(SWI_VGR__CNT)]++;
        }
#undef RND
}

/* The value of row r along dimension d (0 cohort, 1 doelgroep, 2.. dim_value). */
static const char *row_dim(const swi_ind_row_t *r, int d)
{
        return d == 0 ? r->cohort : d == 1 ? r->doelgroep : r->dim_value[d - 2];
}

/* Key of the group of r along dimension d: the breakdown, the measure and
 * every coordinate but d. dim_of_measure: the group along voortgang_examens'
 * geslaagd, which is published as measures (examens = its margin). */
static void group_key(const swi_ind_row_t *r, int d, char *key, size_t size)
{
        int n = snprintf(key, size, "%s|%d|%s", r->breakdown, d, d < 0 ? "" : r->measure);
        for (int k = 0; k < 2 + r->ndims; k++)
                n += snprintf(key + n, size - (size_t)n, "|%s", k == d ? "" : row_dim(r, k));
}

typedef struct gref_s {
        char key[160];
        const swi_ind_row_t *r;
        bool margin;
} gref_t;

static int gref_cmp(const void *a, const void *b)
{
        return strcmp(((const gref_t *)a)->key, ((const gref_t *)b)->key);
}

static bool published_nonzero(const swi_ind_row_t *r)
{
        return !r->onderdrukt && !r->undefined && r->raw_num > 0;
}

/* Checks every group of every breakdown; returns the number checked. Counts
 * the groups where the margin is the only suppressed value (not a rule of
 * §6: reported, see docs/disclosure.md) into *margin_only. */
static size_t check_groups(const swi_ind_rows_t *rows_, size_t *margin_only)
{
        size_t cap = 0, n = 0, groups = 0;
        gref_t *g = NULL;

        for (size_t i = 0; i < rows_->n; i++) {
                const swi_ind_row_t *r = &rows_->v[i];
                bool exam = strcmp(r->breakdown, "voortgang_examens") == 0;
                if (r->kind == SWI_IND_LEADTIME)
                        continue;
                for (int d = exam ? -1 : 0; d < 2 + r->ndims; d++) {
                        if (n == cap) {
                                cap = cap ? 2 * cap : 65536;
                                g = realloc(g, cap * sizeof(*g));
                                ck_assert_ptr_nonnull(g);
                        }
                        if (d < 0) {
                                /* examens = examens_geslaagd + examens_niet_geslaagd */
                                group_key(r, d, g[n].key, sizeof(g[n].key));
                                g[n].margin = strcmp(r->measure, "examens") == 0;
                        } else {
                                group_key(r, d, g[n].key, sizeof(g[n].key));
                                g[n].margin = strcmp(row_dim(r, d), "*") == 0;
                        }
                        g[n++].r = r;
                }
        }
        qsort(g, n, sizeof(*g), gref_cmp);
        *margin_only = 0;
        for (size_t a = 0, b; a < n; a = b) {
                const swi_ind_row_t *margin = NULL, *sup = NULL, *other = NULL;
                int nsup = 0, nmembers = 0;
                for (b = a; b < n && strcmp(g[a].key, g[b].key) == 0; b++) {
                        if (g[b].margin) {
                                margin = g[b].r;
                                continue;
                        }
                        nmembers++;
                        if (g[b].r->onderdrukt) {
                                nsup++;
                                sup = g[b].r;
                        } else if (published_nonzero(g[b].r)) {
                                other = g[b].r;
                        }
                }
                groups++;
                /* a 0/0 share is never suppressed */
                for (size_t k = a; k < b; k++)
                        ck_assert_msg(!(g[k].r->onderdrukt && g[k].r->kind == SWI_IND_SHARE &&
                                        g[k].r->raw_den == 0),
                                      "%s", g[k].key);
                if (nsup == 1) {
                        ck_assert_msg(
                            other == NULL, "group %s: %s %lld suppressed, %s %lld published",
                            g[a].key, sup->measure, (long long)sup->raw_num,
                            other ? other->measure : "", other ? (long long)other->raw_num : 0LL);
                        ck_assert_msg(margin == NULL || margin->onderdrukt,
                                      "group %s: one suppressed member, margin %lld published",
                                      g[a].key, (long long)margin->raw_num);
                }
                if (nsup == 0 && nmembers > 1 && margin != NULL && margin->onderdrukt) {
                        bool any = false;
                        for (size_t k = a; k < b; k++)
                                any = any || (!g[k].margin && published_nonzero(g[k].r));
                        *margin_only += any;
                }
        }
        free(g);
        return groups;
}

START_TEST(test_indicators_disclosure_no_group_recoverable)
{
        const size_t n = 3000;
        const int64_t params[3][2] = {{5, 10}, {1, 10}, {100, 10}};
        swi_person_t *v = malloc(n * sizeof(*v));
        char err[256] = "";

        ck_assert_ptr_nonnull(v);
        PD = D(2024, 7, 1);
        for (int k = 0; k < 3; k++) {
                swi_dc_params_t dc = {params[k][0], params[k][1]};
                size_t margin_only = 0, groups, nsup = 0;
                random_population(v, n, 7u + (uint32_t)k);
                swi_ind_rows_free(&rows);
                ck_assert_msg(swi_ind_compute(v, n, PD, &dc, &rows, err, sizeof(err)) == SWI_OK,
                              "%s", err);
                for (size_t i = 0; i < rows.n; i++)
                        nsup += rows.v[i].onderdrukt;
                groups = check_groups(&rows, &margin_only);
                fprintf(stderr,
                        "disclosure property: B=%lld T=%lld %zu persons, %zu rows, %zu suppressed, "
                        "%zu groups checked, %zu with only their margin suppressed\n",
                        (long long)dc.base, (long long)dc.threshold, n, rows.n, nsup, groups,
                        margin_only);
                ck_assert_uint_gt(nsup, 100); /* the property is not vacuous */
        }
        free(v);
}
END_TEST

START_TEST(test_indicators_performance_150k)
{
        const size_t n = 150000;
        static const char *const gm[] = {"GM0014", "GM0363", "GM0599", "GM0772", "GM0344"};
        swi_person_t *v = malloc(n * sizeof(*v));
        swi_ind_rows_t out = {0};
        struct timespec t0, t1;
        uint32_t s = 12345;
        char err[128] = "";

        ck_assert_ptr_nonnull(v);
        PD = D(2024, 7, 1);
        for (size_t i = 0; i < n; i++) {
                char g[8];
                s = s * 1103515245u + 12345u;
                swi_person_t *p = mk(v, (int)i, D(2021, 1, 1) + (int32_t)(s >> 8) % 1200,
                                     1 + (int)(s >> 3) % 3, (int)(s >> 5) % 4, (int)(s >> 7) % 7,
                                     1 + (int)(s >> 9) % 2, (s >> 11) % 3 ? "SYR" : "ERI",
                                     gm[(s >> 13) % 5], "AM12");
                snprintf(g, sizeof(g), "GM%04u", (unsigned)(s >> 15) % 400);
                vest(p, p->plicht_start + 30, g, "AM12");
                p->status_verleend = p->plicht_start - 100;
                if ((s >> 17) % 2)
                        pip(p, p->plicht_start + 60 + (int32_t)(s >> 18) % 100,
                            1 + (int)(s >> 20) % 3, p->plicht_start + 1200);
                if ((s >> 21) % 3 == 0)
                        werk(p, p->vestiging_datum + 100, OPEN, 'I', 20);
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ck_assert_msg(swi_ind_compute(v, n, PD, NULL, &out, err, sizeof(err)) == SWI_OK, "%s", err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr, "indicators: %zu persons -> %zu rows in %.3f s\n", n, out.n, sec);
        ck_assert_uint_gt(out.n, 1000);
        {
                /* the same input gives the same rows */
                swi_ind_rows_t again = {0};
                ck_assert(swi_ind_compute(v, n, PD, NULL, &again, err, sizeof(err)) == SWI_OK);
                ck_assert_uint_eq(again.n, out.n);
                for (size_t i = 0; i < out.n; i++) {
                        ck_assert_ptr_eq(again.v[i].breakdown, out.v[i].breakdown);
                        ck_assert_ptr_eq(again.v[i].measure, out.v[i].measure);
                        ck_assert_str_eq(again.v[i].cohort, out.v[i].cohort);
                        ck_assert_int_eq(again.v[i].value, out.v[i].value);
                        ck_assert_int_eq(again.v[i].onderdrukt, out.v[i].onderdrukt);
                }
                swi_ind_rows_free(&again);
        }
        {
                /* on two threads: the same rows in the same order, also when
                 * the spare list is reused (as the live publisher does) */
                swi_ind_rows_t two = {0}, spare = {0};
                char a[512], b[512];
                for (int round = 0; round < 2; round++) {
                        swi_ind_rows_reset(&two);
                        ck_assert_msg(swi_ind_compute2(v, n, PD, NULL, &two, &spare, err,
                                                       sizeof(err)) == SWI_OK,
                                      "%s", err);
                        ck_assert_uint_eq(two.n, out.n);
                        for (size_t i = 0; i < out.n; i++) {
                                ck_assert_int_gt(swi_ind_row_copy_line(&out.v[i], PD, SWI_K_ALL, a,
                                                                       sizeof(a)), 0);
                                ck_assert_int_gt(swi_ind_row_copy_line(&two.v[i], PD, SWI_K_ALL, b,
                                                                       sizeof(b)), 0);
                                ck_assert_msg(strcmp(a, b) == 0 && out.v[i].raw_num == two.v[i].raw_num &&
                                                      out.v[i].raw_den == two.v[i].raw_den,
                                              "row %zu: %s vs %s", i, a, b);
                        }
                }
                swi_ind_rows_free(&two);
                swi_ind_rows_free(&spare);
        }
        swi_ind_rows_free(&out);
        free(v);
}
END_TEST

static Suite *indicators_suite(void)
{
        Suite *s = suite_create("indicators");
        TCase *tc = tcase_create("fixture");

        tcase_add_checked_fixture(tc, setup_raw, teardown);
        tcase_add_test(tc, test_indicators_populatie_counts);
        tcase_add_test(tc, test_indicators_populatie_nationaliteit_top5);
        tcase_add_test(tc, test_indicators_fase_first_match);
        tcase_add_test(tc, test_indicators_pip_termijn_branches);
        tcase_add_test(tc, test_indicators_doorlooptijden);
        tcase_add_test(tc, test_indicators_leerroute);
        tcase_add_test(tc, test_indicators_voor_vestiging);
        tcase_add_test(tc, test_indicators_werk_windows);
        tcase_add_test(tc, test_indicators_werk_sector_deeltijd);
        tcase_add_test(tc, test_indicators_bijstand_year1);
        tcase_add_test(tc, test_indicators_voortgang);
        tcase_add_test(tc, test_indicators_volledigheid);
        tcase_add_test(tc, test_indicators_empty_share_not_suppressed);
        tcase_add_test(tc, test_indicators_order_independent);
        tcase_add_test(tc, test_indicators_copy_line);
        tcase_add_test(tc, test_indicators_rejects_other_peildatum);
        suite_add_tcase(s, tc);

        tc = tcase_create("disclosure");
        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_add_test(tc, test_indicators_disclosure_defaults);
        tcase_add_test(tc, test_indicators_disclosure_no_group_recoverable);
        suite_add_tcase(s, tc);

        tc = tcase_create("performance");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_indicators_performance_150k);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(indicators_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
