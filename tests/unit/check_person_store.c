/* check_person_store.c - publish/person_store: the publisher's persons in
 * memory, keyed by identity key, without PostgreSQL. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish/person_store.h"

#define MAXEV 16
#include "event_pool.h"

static swi_person_key_t key(uint8_t kind, int b)
{
        swi_person_key_t k;
        memset(&k, 0, sizeof(k));
        k.kind = kind;
        memset(k.ps, b, SWI_PSEUDO_LEN);
        return k;
}

/* A person held under key (kind, b) whose leeftijd tells it apart. */
static void push(swi_pstore_t *s, uint8_t kind, int b, int tag)
{
        swi_person_t *p = swi_pstore_push(s);
        ck_assert_ptr_nonnull(p);
        memset(p, 0, sizeof(*p));
        p->key = key(kind, b);
        p->leeftijd = tag;
}

static long find(const swi_pstore_t *s, uint8_t kind, int b)
{
        swi_person_key_t k = key(kind, b);
        return swi_pstore_find(s, &k);
}

/* Every person is found under its own key once indexed, and only there;
 * the kind is part of the key. */
START_TEST(test_person_store_finds_by_key)
{
        swi_pstore_t s = {0};
        ck_assert_int_eq(find(&s, SWI_PKEY_BSN, 1), -1); /* no index yet */
        push(&s, SWI_PKEY_BSN, 1, 10);
        push(&s, SWI_PKEY_VNR, 1, 11);
        push(&s, SWI_PKEY_BSN, 2, 12);
        ck_assert_int_eq(swi_pstore_index(&s), SWI_OK);
        ck_assert_int_eq(s.v[find(&s, SWI_PKEY_BSN, 1)].leeftijd, 10);
        ck_assert_int_eq(s.v[find(&s, SWI_PKEY_VNR, 1)].leeftijd, 11);
        ck_assert_int_eq(s.v[find(&s, SWI_PKEY_BSN, 2)].leeftijd, 12);
        ck_assert_int_eq(find(&s, SWI_PKEY_VNR, 2), -1);
        ck_assert_int_eq(find(&s, SWI_PKEY_BSN, 3), -1);
        swi_pstore_clear(&s);
        ck_assert_uint_eq(s.n, 0);
        ck_assert_int_eq(swi_pstore_index(&s), SWI_OK);
        ck_assert_int_eq(find(&s, SWI_PKEY_BSN, 1), -1);
        swi_pstore_free(&s);
        swi_pstore_free(&s); /* zeroed: again is fine */
        swi_pstore_free(NULL);
}
END_TEST

/* Removing swaps the last person into the gap: keys named twice, keys of
 * no person and the last person itself are all handled. */
START_TEST(test_person_store_remove_swaps_and_ignores_duplicates)
{
        swi_pstore_t s = {0};
        for (int b = 1; b <= 6; b++)
                push(&s, SWI_PKEY_BSN, b, 100 + b);
        ck_assert_int_eq(swi_pstore_index(&s), SWI_OK);
        swi_person_key_t gone[] = {key(SWI_PKEY_BSN, 2), key(SWI_PKEY_BSN, 6), key(SWI_PKEY_BSN, 2),
                                   key(SWI_PKEY_VNR, 3), key(SWI_PKEY_BSN, 5)};
        ck_assert_int_eq(swi_pstore_remove(&s, gone, sizeof(gone) / sizeof(gone[0])), SWI_OK);
        ck_assert_uint_eq(s.n, 3);
        ck_assert_int_eq(swi_pstore_index(&s), SWI_OK);
        for (int b = 1; b <= 6; b++) {
                long at = find(&s, SWI_PKEY_BSN, b);
                if (b == 2 || b == 5 || b == 6) {
                        ck_assert_int_eq(at, -1);
                } else {
                        ck_assert_int_ge(at, 0);
                        ck_assert_int_eq(s.v[at].leeftijd, 100 + b);
                }
        }
        ck_assert_int_eq(swi_pstore_remove(&s, NULL, 0), SWI_OK);
        ck_assert_uint_eq(s.n, 3);
        swi_pstore_free(&s);
}
END_TEST

/* The index grows with the store and stays exact over many keys that share
 * their first bytes' hash neighbourhood. */
START_TEST(test_person_store_index_grows)
{
        swi_pstore_t s = {0};
        for (int i = 0; i < 5000; i++) {
                swi_person_t *p = swi_pstore_push(&s);
                ck_assert_ptr_nonnull(p);
                memset(p, 0, sizeof(*p));
                p->key.kind = (i % 2) ? SWI_PKEY_VNR : SWI_PKEY_BSN;
                memcpy(p->key.ps + 8, &i, sizeof(i)); /* the hashed bytes 0..7 are all 0 */
                p->leeftijd = i;
        }
        ck_assert_int_eq(swi_pstore_index(&s), SWI_OK);
        ck_assert_uint_ge(s.nslots, 2 * s.n);
        for (int i = 0; i < 5000; i++) {
                swi_person_key_t k;
                memset(&k, 0, sizeof(k));
                k.kind = (i % 2) ? SWI_PKEY_VNR : SWI_PKEY_BSN;
                memcpy(k.ps + 8, &i, sizeof(i));
                long at = swi_pstore_find(&s, &k);
                ck_assert_int_ge(at, 0);
                ck_assert_int_eq(s.v[at].leeftijd, i);
        }
        swi_pstore_free(&s);
}
END_TEST

/* Groups the pool's events ptrs[from..npool) into clusters. */
static swi_idmap_t *group(size_t from, swi_idgroups_t *g)
{
        swi_idmap_t *m = swi_idmap_new();
        ck_assert_ptr_nonnull(m);
        ck_assert_int_eq(swi_idmap_link_events(m, ptrs + from, npool - from), 0);
        ck_assert_int_eq(swi_idmap_group(m, ptrs + from, npool - from, g), SWI_OK);
        return m;
}

static swi_event_t *plicht(const char *id, int bsn, int vnr, const char *doelgroep)
{
        swi_event_t *e =
            pool_dated(SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, id, "2023-03-01", 10, bsn, vnr);
        const char *names[2] = {"wet", "doelgroep"}, *vals[2] = {"WI2021", doelgroep};
        for (int i = 0; i < 2; i++) {
                swi_field_t *f = &e->fields[e->nfields++];
                snprintf(f->name, sizeof(f->name), "%s", names[i]);
                f->kind = SWI_V_STRING;
                snprintf(f->s, sizeof(f->s), "%s", vals[i]);
        }
        return e;
}

/* The persons of a store built up by replacing changed clusters are those
 * of one derivation of every event: here a V-nummer-only person merges
 * into a BSN (the merged cluster's keys name the old person), and another
 * person stays as it was. */
START_TEST(test_person_store_replace_follows_a_merge)
{
        swi_pstore_t s = {0}, want = {0};
        swi_idgroups_t g = {0};
        char err[128] = "";
        const int32_t P = D("2024-06-30");

        reset();
        plicht("p1", 1, 0, "ASIEL");
        plicht("p2", 0, 2, "GEZIN");
        swi_idmap_t *m = group(0, &g);
        ck_assert_int_eq(swi_pstore_index(&s), SWI_OK);
        ck_assert_int_eq(swi_pstore_replace(&s, NULL, 0, &g, P, err, sizeof(err)), SWI_OK);
        ck_assert_uint_eq(s.n, 2);
        ck_assert_int_ge(find(&s, SWI_PKEY_BSN, 1), 0);
        ck_assert_int_ge(find(&s, SWI_PKEY_VNR, 2), 0);
        swi_idmap_destroy(m);
        swi_idgroups_free(&g);

        /* BSN 3 is given to V-nummer 2: the changed cluster is {BSN 3, V 2} */
        pool_dated(SWI_EV_IND_BSN_TOEGEKEND, "t3", "2023-04-01", 20, 3, 2);
        swi_person_key_t changed[] = {key(SWI_PKEY_BSN, 3), key(SWI_PKEY_VNR, 2)};
        m = group(1, &g); /* the changed cluster's events: p2 and t3 */
        ck_assert_uint_eq(g.n, 1);
        ck_assert_int_eq(swi_pstore_replace(&s, changed, 2, &g, P, err, sizeof(err)), SWI_OK);
        swi_idmap_destroy(m);
        swi_idgroups_free(&g);

        m = group(0, &g); /* every event at once */
        for (size_t c = 0; c < g.n; c++)
                ck_assert_int_eq(swi_pstore_derive_cluster(&want, g.evp + g.first[c],
                                                           g.first[c + 1] - g.first[c], SWI_K_ALL,
                                                           P, err, sizeof(err)),
                                 SWI_OK);
        ck_assert_int_eq(swi_pstore_index(&want), SWI_OK);
        ck_assert_uint_eq(want.n, 2);
        ck_assert_uint_eq(s.n, want.n);
        for (size_t i = 0; i < want.n; i++) {
                long at = swi_pstore_find(&s, &want.v[i].key);
                ck_assert_int_ge(at, 0);
                ck_assert(swi_person_equal(&s.v[at], &want.v[i]));
                ck_assert_int_eq(s.v[at].peildatum, P);
        }
        /* the V-nummer-only person is gone: one person per cluster */
        ck_assert_int_eq((find(&s, SWI_PKEY_VNR, 2) >= 0) + (find(&s, SWI_PKEY_BSN, 3) >= 0), 1);
        swi_idmap_destroy(m);
        swi_idgroups_free(&g);
        swi_pstore_free(&s);
        swi_pstore_free(&want);
}
END_TEST

/* A changed cluster that lost every effective event (its key has no event
 * in the load) only removes its persons. */
START_TEST(test_person_store_replace_without_events_removes)
{
        swi_pstore_t s = {0};
        swi_idgroups_t g = {0};
        char err[128] = "";

        push(&s, SWI_PKEY_BSN, 7, 1);
        push(&s, SWI_PKEY_BSN, 8, 2);
        ck_assert_int_eq(swi_pstore_index(&s), SWI_OK);
        swi_person_key_t changed[] = {key(SWI_PKEY_BSN, 7)};
        ck_assert_int_eq(swi_pstore_replace(&s, changed, 1, &g, D("2024-06-30"), err, sizeof(err)),
                         SWI_OK);
        ck_assert_uint_eq(s.n, 1);
        ck_assert_int_eq(find(&s, SWI_PKEY_BSN, 7), -1);
        ck_assert_int_eq(s.v[find(&s, SWI_PKEY_BSN, 8)].leeftijd, 2);
        swi_pstore_free(&s);
}
END_TEST

static Suite *person_store_suite(void)
{
        Suite *s = suite_create("person_store");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_person_store_finds_by_key);
        tcase_add_test(tc, test_person_store_remove_swaps_and_ignores_duplicates);
        tcase_add_test(tc, test_person_store_index_grows);
        tcase_add_test(tc, test_person_store_replace_follows_a_merge);
        tcase_add_test(tc, test_person_store_replace_without_events_removes);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(person_store_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
