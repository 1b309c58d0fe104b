/* check_identity.c - transform/identity: identity clusters by union-find. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform/identity.h"

#define MAXEV 32
#include "event_pool.h"

static swi_event_t *ev(swi_evtype_t t, const char *id, int bsn, int vnr)
{
        return pool_event(t, id, bsn, vnr);
}

static swi_event_t *corr(swi_event_t *e, const char *target)
{
        e->has_corrects = true;
        snprintf(e->corrects, sizeof(e->corrects), "%s", target);
        return e;
}

static swi_event_t *retr(swi_event_t *e, const char *target)
{
        e->has_retracts = true;
        snprintf(e->retracts, sizeof(e->retracts), "%s", target);
        return e;
}

static swi_person_key_t key(int kind, int b)
{
        swi_person_key_t k;
        memset(&k, 0, sizeof(k));
        k.kind = (uint8_t)kind;
        memset(k.ps, b, SWI_PSEUDO_LEN);
        return k;
}

/* The representative key of k's cluster in m. */
static swi_person_key_t rep(swi_idmap_t *m, int kind, int b)
{
        swi_person_key_t k = key(kind, b);
        long i = swi_idmap_find(m, &k);
        ck_assert_msg(i >= 0, "key %d/%d not in the map", kind, b);
        return *swi_idmap_key(m, swi_idmap_root(m, (size_t)i));
}

static bool same_cluster(swi_idmap_t *m, int ka, int a, int kb, int b)
{
        swi_person_key_t x = rep(m, ka, a), y = rep(m, kb, b);
        return swi_person_key_cmp(&x, &y) == 0;
}

START_TEST(test_identity_event_key_and_ref)
{
        swi_person_key_t k;
        reset();
        ck_assert(swi_identity_event_key(ev(SWI_EV_IND_BSN_TOEGEKEND, "a", 3, 9), &k));
        swi_person_key_t want = key(SWI_PKEY_BSN, 3);
        ck_assert(swi_person_key_cmp(&k, &want) == 0); /* the BSN first */
        ck_assert(swi_identity_event_key(ev(SWI_EV_IND_ASIELAANVRAAG_INGEDIEND, "b", 0, 9), &k));
        want = key(SWI_PKEY_VNR, 9);
        ck_assert(swi_person_key_cmp(&k, &want) == 0);
        ck_assert(!swi_identity_event_key(ev(SWI_EV_GEM_GEVESTIGD, "c", 0, 0), &k));

        /* the target the rules use: retracts for an Intrekking, else corrects */
        ck_assert_ptr_null(swi_identity_ref(ev(SWI_EV_GEM_GEVESTIGD, "d", 1, 0)));
        ck_assert_str_eq(swi_identity_ref(corr(ev(SWI_EV_GEM_GEVESTIGD, "e", 1, 0), "d")), "d");
        ck_assert_str_eq(swi_identity_ref(retr(ev(SWI_EV_GEM_INTREKKING, "f", 1, 0), "e")), "e");
        ck_assert_ptr_null(swi_identity_ref(corr(ev(SWI_EV_GEM_INTREKKING, "g", 1, 0), "e")));
}
END_TEST

/* Keys join through events carrying both, and through a reference whose
 * target is among the events and clustered by another key; the
 * representative is the cluster's smallest key whatever the input order. */
START_TEST(test_identity_links_and_representative)
{
        for (int order = 0; order < 2; order++) {
                reset();
                ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, "p1", 5, 0);
                ev(SWI_EV_IND_ASIELAANVRAAG_INGEDIEND, "v1", 0, 7);
                ev(SWI_EV_IND_BSN_TOEGEKEND, "link", 5, 7);
                ev(SWI_EV_GEM_PIP_VASTGESTELD, "pip", 5, 0);
                corr(ev(SWI_EV_GEM_PIP_VASTGESTELD, "c-other", 2, 0), "pip"); /* BSN 2 */
                retr(ev(SWI_EV_GEM_INTREKKING, "r-none", 4, 0), "absent");    /* no target */
                ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, "p9", 9, 0);
                corr(ev(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, "c9", 9, 0), "p9"); /* same key */
                if (order == 1)                                                     /* reversed */
                        for (size_t i = 0; i < npool / 2; i++) {
                                const swi_event_t *t = ptrs[i];
                                ptrs[i] = ptrs[npool - 1 - i];
                                ptrs[npool - 1 - i] = t;
                        }
                swi_idmap_t *m = swi_idmap_new();
                ck_assert_ptr_nonnull(m);
                ck_assert_int_eq(swi_idmap_link_events(m, ptrs, npool), 0);
                ck_assert_uint_eq(swi_idmap_count(m), 5); /* BSN 2, 4, 5, 9, VNR 7 */
                ck_assert(same_cluster(m, SWI_PKEY_BSN, 5, SWI_PKEY_VNR, 7));
                ck_assert(same_cluster(m, SWI_PKEY_BSN, 5, SWI_PKEY_BSN, 2));
                ck_assert(!same_cluster(m, SWI_PKEY_BSN, 5, SWI_PKEY_BSN, 4));
                ck_assert(!same_cluster(m, SWI_PKEY_BSN, 5, SWI_PKEY_BSN, 9));
                swi_person_key_t r = rep(m, SWI_PKEY_VNR, 7), two = key(SWI_PKEY_BSN, 2);
                ck_assert(swi_person_key_cmp(&r, &two) == 0);

                /* grouped: one cluster per representative, in key order,
                 * events in input order within */
                swi_idgroups_t g;
                ck_assert_int_eq(swi_idmap_group(m, ptrs, npool, &g), SWI_OK);
                ck_assert_uint_eq(g.n, 3);
                ck_assert_uint_eq(g.nev, npool);
                ck_assert_uint_eq(g.first[1] - g.first[0], 5); /* 2, 5, 7 */
                ck_assert_uint_eq(g.first[2] - g.first[1], 1); /* 4 */
                ck_assert_uint_eq(g.first[3] - g.first[2], 2); /* 9 */
                for (size_t c = 0; c < g.n; c++) {
                        ck_assert_int_eq(swi_idgroups_find(&g, m, g.root[c]), (long)c);
                        for (size_t i = g.first[c] + 1; i < g.first[c + 1]; i++) {
                                size_t a = 0, b = 0;
                                while (ptrs[a] != g.evp[i - 1])
                                        a++;
                                while (ptrs[b] != g.evp[i])
                                        b++;
                                ck_assert_uint_lt(a, b);
                        }
                }
                swi_idgroups_free(&g);
                swi_idmap_destroy(m);
        }
}
END_TEST

/* Explicit links (stored edges) and growth past the first table size. */
START_TEST(test_identity_explicit_links_many_keys)
{
        swi_idmap_t *m = swi_idmap_new();
        ck_assert_ptr_nonnull(m);
        for (int i = 1; i <= 200; i++) {
                swi_person_key_t a = key(SWI_PKEY_BSN, i), b = key(SWI_PKEY_VNR, i);
                ck_assert_int_eq(swi_idmap_link(m, &a, &b), 0);
        }
        ck_assert_uint_eq(swi_idmap_count(m), 400);
        /* chain 200 -> 199 -> ... -> 101 through their V-nummers */
        for (int i = 200; i > 101; i--) {
                swi_person_key_t a = key(SWI_PKEY_VNR, i), b = key(SWI_PKEY_BSN, i - 1);
                ck_assert_int_eq(swi_idmap_link(m, &a, &b), 0);
        }
        ck_assert(same_cluster(m, SWI_PKEY_VNR, 200, SWI_PKEY_BSN, 101));
        ck_assert(!same_cluster(m, SWI_PKEY_VNR, 200, SWI_PKEY_BSN, 100));
        swi_person_key_t r = rep(m, SWI_PKEY_VNR, 150), want = key(SWI_PKEY_BSN, 101);
        ck_assert(swi_person_key_cmp(&r, &want) == 0);
        swi_person_key_t absent = key(SWI_PKEY_BSN, 201);
        ck_assert_int_eq(swi_idmap_find(m, &absent), -1);
        swi_idmap_destroy(m);
        swi_idmap_destroy(NULL);
        swi_idgroups_free(NULL);
}
END_TEST

static Suite *identity_suite(void)
{
        Suite *s = suite_create("identity");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_identity_event_key_and_ref);
        tcase_add_test(tc, test_identity_links_and_representative);
        tcase_add_test(tc, test_identity_explicit_links_many_keys);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(identity_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
