/* check_derive.c - transform/derive: what the trajectory step derives for a
 * cluster, without PostgreSQL. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/derive.h"

#define MAXEV 16
#include "event_pool.h"

static swi_event_t *ev(swi_evtype_t t, const char *id, const char *date, int64_t reg, int bsn,
                       int vnr)
{
        return pool_dated(t, id, date, reg, bsn, vnr);
}

static swi_event_t *fs(swi_event_t *e, const char *name, const char *v)
{
        swi_field_t *f = &e->fields[e->nfields++];
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->kind = SWI_V_STRING;
        snprintf(f->s, sizeof(f->s), "%s", v);
        return e;
}

static void fixture(void)
{
        reset();
        fs(fs(ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, "p1", "2023-01-01", 10, 1, 0), "wet",
              "WI2021"),
           "doelgroep", "ASIEL");
        fs(fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "pip", "2023-05-01", 20, 1, 0), "gemeente", "GM0363"),
           "leerroute", "B1");
        fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "pip2", "2023-06-01", 30, 1, 0), "leerroute", "Z");
        ev(SWI_EV_IND_ASIELAANVRAAG_INGEDIEND, "v1", "2022-01-01", 15, 0, 2);
        /* a correction carrying BSN 3, who has nothing else */
        swi_event_t *c =
            fs(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c3", "2023-05-02", 40, 3, 0), "leerroute", "Z");
        c->has_corrects = true;
        snprintf(c->corrects, sizeof(c->corrects), "pip");
}

static bool has(const swi_derived_t *d, int bsn_kind, int b, swi_finding_kind_t k, const char *id)
{
        swi_person_key_t key;
        memset(&key, 0, sizeof(key));
        key.kind = (uint8_t)bsn_kind;
        memset(key.ps, b, SWI_PSEUDO_LEN);
        for (size_t i = 0; i < d->nfindings; i++)
                if (swi_person_key_cmp(&d->findings[i].key, &key) == 0 &&
                    d->findings[i].f.kind == k && strcmp(d->findings[i].f.event_id, id) == 0)
                        return true;
        return false;
}

/* The derivation is the rules' own: versions as swi_cluster_versions gives
 * them, persons and findings as swi_cluster_person_derive, and the
 * reference finding of a key with no person. */
START_TEST(test_derive_cluster_is_the_rules)
{
        swi_derived_t d = {0};
        swi_versions_t want = {0};
        char err[128];
        const int32_t P = D("2023-05-15");

        fixture();
        ck_assert_int_eq(swi_derive_cluster(ptrs, npool, 20, P, NULL, &d, err, sizeof(err)),
                         SWI_OK);
        ck_assert_int_eq(swi_cluster_versions(ptrs, npool, 20, NULL, &want), SWI_OK);
        ck_assert_uint_eq(d.versions.n, want.n);
        ck_assert_uint_gt(d.versions.n, 0);
        for (size_t i = 0; i < want.n; i++) {
                ck_assert_int_eq(d.versions.v[i].valid_from, want.v[i].valid_from);
                ck_assert(d.versions.v[i].closed == want.v[i].closed);
                ck_assert(swi_person_equal(&d.versions.v[i].person, &want.v[i].person));
        }

        swi_cluster_t *c = swi_cluster_resolve(ptrs, npool, SWI_K_ALL, err, sizeof(err));
        ck_assert_ptr_nonnull(c);
        ck_assert_uint_eq(d.ncurrent, swi_cluster_person_count(c));
        ck_assert_uint_eq(d.ncurrent, 2); /* BSN 1 and the V-nummer-only 2 */
        ck_assert_uint_eq(d.nlive, 2);
        for (size_t i = 0; i < d.ncurrent; i++) {
                swi_person_t p;
                ck_assert_int_eq(swi_cluster_person_derive(c, i, SWI_DATE_END, NULL, &p, NULL),
                                 SWI_OK);
                ck_assert(swi_person_equal(&p, &d.current[i]));
                ck_assert_int_eq(swi_cluster_person_derive(c, i, P, NULL, &p, NULL), SWI_OK);
                ck_assert(swi_person_equal(&p, &d.live[i]));
                ck_assert_int_eq(d.live[i].peildatum, P);
        }
        swi_cluster_destroy(c);
        ck_assert_int_eq(d.current[0].pip_datum, D("2023-05-01")); /* c3 had no effect */
        ck_assert(has(&d, SWI_PKEY_BSN, 1, SWI_FIND_SECOND_PIP, "pip2"));
        ck_assert(has(&d, SWI_PKEY_BSN, 3, SWI_FIND_INVALID_REFERENCE, "c3"));
        ck_assert(has(&d, SWI_PKEY_VNR, 2, SWI_FIND_NO_PLICHT, ""));
        for (size_t i = 0; i < d.nfindings; i++)
                if (d.findings[i].f.kind == SWI_FIND_INVALID_REFERENCE)
                        ck_assert_str_eq(d.findings[i].f.target_id, "pip");

        /* a second cluster appends; without a live peildatum no live persons */
        size_t nv = d.versions.n, nf = d.nfindings;
        reset();
        fs(fs(ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, "q1", "2023-02-01", 10, 9, 0), "wet",
              "WI2021"),
           "doelgroep", "GEZIN");
        ck_assert_int_eq(
            swi_derive_cluster(ptrs, npool, INT64_MIN, SWI_DATE_NONE, NULL, &d, err, sizeof(err)),
            SWI_OK);
        ck_assert_uint_eq(d.versions.n, nv + 1);
        ck_assert_uint_eq(d.ncurrent, 3);
        ck_assert_uint_eq(d.nlive, 2);
        ck_assert_uint_ge(d.nfindings, nf);
        swi_derived_reset(&d);
        ck_assert_uint_eq(d.versions.n + d.ncurrent + d.nlive + d.nfindings, 0);
        swi_derived_free(&d);
        swi_derived_free(&d); /* zeroed: again is fine */
        swi_derived_free(NULL);
        swi_versions_free(&want);
}
END_TEST

static Suite *derive_suite(void)
{
        Suite *s = suite_create("derive");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_derive_cluster_is_the_rules);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(derive_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
