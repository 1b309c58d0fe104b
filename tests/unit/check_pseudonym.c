/* check_pseudonym.c - keyed pseudonyms: stable per key, different across keys
 * and identifier kinds, raw values wiped, key from file or environment. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/hmac.h>

#include "transform/pseudonym.h"

static const uint8_t key1[] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[] = "fedcba9876543210fedcba9876543210";

START_TEST(test_pseudonym_stable_per_key)
{
        char err[256];
        uint8_t a[32], b[32];
        swi_pseudonym_t *p = swi_pseudonym_new(key1, 32, err, sizeof(err));
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(swi_pseudonym_compute(p, SWI_ID_BSN, "111222333", a), SWI_OK);
        ck_assert_int_eq(swi_pseudonym_compute(p, SWI_ID_BSN, "111222333", b), SWI_OK);
        ck_assert_mem_eq(a, b, 32);
        swi_pseudonym_destroy(p);
}
END_TEST

START_TEST(test_pseudonym_is_hmac_sha256_of_prefixed_value)
{
        /* Independent computation with OpenSSL's one-shot HMAC(). */
        char err[256];
        uint8_t got[32], want[32];
        unsigned int wl = 0;
        const char *msg = "BSN:111222333";
        swi_pseudonym_t *p = swi_pseudonym_new(key1, 32, err, sizeof(err));
        HMAC(EVP_sha256(), key1, 32, (const unsigned char *)msg, strlen(msg), want, &wl);
        ck_assert_int_eq(swi_pseudonym_compute(p, SWI_ID_BSN, "111222333", got), SWI_OK);
        ck_assert_mem_eq(got, want, 32);
        swi_pseudonym_destroy(p);
}
END_TEST

START_TEST(test_pseudonym_differs_across_keys_and_kinds)
{
        char err[256];
        uint8_t a[32], b[32], c[32];
        swi_pseudonym_t *p1 = swi_pseudonym_new(key1, 32, err, sizeof(err));
        swi_pseudonym_t *p2 = swi_pseudonym_new(key2, 32, err, sizeof(err));
        swi_pseudonym_compute(p1, SWI_ID_BSN, "111222333", a);
        swi_pseudonym_compute(p2, SWI_ID_BSN, "111222333", b);
        swi_pseudonym_compute(p1, SWI_ID_VNR, "111222333", c);
        ck_assert(memcmp(a, b, 32) != 0);
        ck_assert(memcmp(a, c, 32) != 0);
        swi_pseudonym_destroy(p1);
        swi_pseudonym_destroy(p2);
}
END_TEST

START_TEST(test_pseudonym_apply_wipes_raw)
{
        char err[256];
        swi_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.has_bsn = ev.has_vnr = true;
        strcpy(ev.bsn, "111222333");
        strcpy(ev.vnr, "1234567890");
        swi_pseudonym_t *p = swi_pseudonym_new(key1, 32, err, sizeof(err));
        ck_assert_int_eq(swi_pseudonym_apply(p, &ev), SWI_OK);
        ck_assert(ev.has_bsn_ps && ev.has_vnr_ps);
        ck_assert(!ev.has_bsn && !ev.has_vnr);
        ck_assert_ptr_null(memmem(&ev, sizeof(ev), "111222333", 9));
        ck_assert_ptr_null(memmem(&ev, sizeof(ev), "1234567890", 10));
        swi_pseudonym_destroy(p);
}
END_TEST

START_TEST(test_pseudonym_key_sources)
{
        char err[256], path[] = "/tmp/swi_keyXXXXXX";
        uint8_t a[32], b[32];
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, key1, 32), 32);
        ck_assert_int_eq(write(fd, "\n", 1), 1); /* a trailing newline is not key material */
        close(fd);
        swi_pseudonym_t *pf = swi_pseudonym_new_from(path, err, sizeof(err));
        ck_assert_ptr_nonnull(pf);
        setenv(SWI_PSEUDONYM_ENV, (const char *)key1, 1);
        swi_pseudonym_t *pe = swi_pseudonym_new_from("", err, sizeof(err));
        ck_assert_ptr_nonnull(pe);
        swi_pseudonym_compute(pf, SWI_ID_VNR, "1234567890", a);
        swi_pseudonym_compute(pe, SWI_ID_VNR, "1234567890", b);
        ck_assert_mem_eq(a, b, 32);
        swi_pseudonym_destroy(pf);
        swi_pseudonym_destroy(pe);

        unsetenv(SWI_PSEUDONYM_ENV);
        ck_assert_ptr_null(swi_pseudonym_new_from("", err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, SWI_PSEUDONYM_ENV));
        ck_assert_ptr_null(swi_pseudonym_new_from("/nonexistent/key", err, sizeof(err)));
        ck_assert_ptr_null(swi_pseudonym_new((const uint8_t *)"short", 5, err, sizeof(err)));
        unlink(path);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("pseudonym");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_pseudonym_stable_per_key);
        tcase_add_test(tc, test_pseudonym_is_hmac_sha256_of_prefixed_value);
        tcase_add_test(tc, test_pseudonym_differs_across_keys_and_kinds);
        tcase_add_test(tc, test_pseudonym_apply_wipes_raw);
        tcase_add_test(tc, test_pseudonym_key_sources);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
