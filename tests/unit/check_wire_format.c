/* check_wire_format.c - the Confluent wire format: framing and unframing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/wire_format.h"

START_TEST(test_wire_format_roundtrip)
{
        uint8_t msg[SWI_WIRE_HEADER_LEN + 3];
        const uint8_t *body = NULL;
        size_t body_len = 0;
        int32_t id = 0;
        char detail[128] = "x";

        swi_wire_frame_header(26, msg);
        memcpy(msg + SWI_WIRE_HEADER_LEN, "abc", 3);
        ck_assert_int_eq(
            swi_wire_unframe(msg, sizeof(msg), &id, &body, &body_len, detail, sizeof(detail)),
            SWI_REASON_NONE);
        ck_assert_int_eq(id, 26);
        ck_assert_ptr_eq(body, msg + SWI_WIRE_HEADER_LEN);
        ck_assert_uint_eq(body_len, 3);
}
END_TEST

START_TEST(test_wire_format_id_big_endian)
{
        const uint8_t msg[] = {0x00, 0x01, 0x02, 0x03, 0x04};
        uint8_t hdr[SWI_WIRE_HEADER_LEN];
        const uint8_t *body = NULL;
        size_t body_len = 99;
        int32_t id = 0;
        char detail[128];

        ck_assert_int_eq(
            swi_wire_unframe(msg, sizeof(msg), &id, &body, &body_len, detail, sizeof(detail)),
            SWI_REASON_NONE);
        ck_assert_int_eq(id, 0x01020304);
        ck_assert_uint_eq(body_len, 0); /* an empty body is the decoder's problem */
        swi_wire_frame_header(0x01020304, hdr);
        ck_assert_mem_eq(hdr, msg, sizeof(msg));
        swi_wire_frame_header(100, hdr);
        ck_assert_int_eq(hdr[0], 0);
        ck_assert_int_eq(hdr[4], 100);
        ck_assert_int_eq(hdr[3], 0);
}
END_TEST

START_TEST(test_wire_format_short)
{
        const uint8_t msg[] = {0x00, 0x00, 0x00, 0x01};
        const uint8_t *body = NULL;
        size_t body_len = 0, n;
        int32_t id = 0;
        char detail[128];

        for (n = 0; n <= sizeof(msg); n++) {
                detail[0] = '\0';
                ck_assert_int_eq(
                    swi_wire_unframe(msg, n, &id, &body, &body_len, detail, sizeof(detail)),
                    SWI_REASON_BAD_FRAMING);
                ck_assert_ptr_nonnull(strstr(detail, "at least 5"));
        }
        ck_assert_int_eq(swi_wire_unframe(NULL, 0, &id, &body, &body_len, detail, sizeof(detail)),
                         SWI_REASON_BAD_FRAMING);
}
END_TEST

START_TEST(test_wire_format_bad_magic)
{
        const uint8_t msg[] = {0x01, 0x00, 0x00, 0x00, 0x01, 0x02};
        const uint8_t *body = NULL;
        size_t body_len = 0;
        int32_t id = 0;
        char detail[128] = "";

        ck_assert_int_eq(
            swi_wire_unframe(msg, sizeof(msg), &id, &body, &body_len, detail, sizeof(detail)),
            SWI_REASON_BAD_FRAMING);
        ck_assert_ptr_nonnull(strstr(detail, "0x01"));
}
END_TEST

static Suite *wire_format_suite(void)
{
        Suite *s = suite_create("wire_format");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_wire_format_roundtrip);
        tcase_add_test(tc, test_wire_format_id_big_endian);
        tcase_add_test(tc, test_wire_format_short);
        tcase_add_test(tc, test_wire_format_bad_magic);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(wire_format_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
