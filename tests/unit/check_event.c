/* check_event.c - event-type table, reason names and the date arithmetic of indicators.md §1. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transform/event.h"

START_TEST(test_event_type_table)
{
        ck_assert_int_eq(swi_evtype_lookup(SWI_SRC_GEMEENTE, "PipVastgesteld"),
                         SWI_EV_GEM_PIP_VASTGESTELD);
        ck_assert_int_eq(swi_evtype_lookup(SWI_SRC_COA, "PipVastgesteld"), SWI_EV_NONE);
        /* Every source has its own Intrekking. */
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                swi_evtype_t t = swi_evtype_lookup((swi_source_t)s, "Intrekking");
                ck_assert_int_ne(t, SWI_EV_NONE);
                ck_assert_int_eq(swi_evtype_source(t), s);
        }
        ck_assert_str_eq(swi_source_name(SWI_SRC_GEMEENTE), "gemeente");
        ck_assert_int_eq(swi_source_from_name("duo"), SWI_SRC_DUO);
        ck_assert_int_eq(swi_source_from_name("xyz"), SWI_SRC__CNT);
}
END_TEST

START_TEST(test_event_reason_names)
{
        ck_assert_str_eq(swi_reason2str(SWI_REASON_BAD_FRAMING), "BAD_FRAMING");
        ck_assert_str_eq(swi_reason2str(SWI_REASON_IMPLAUSIBLE_DATE), "IMPLAUSIBLE_DATE");
        for (int r = 0; r < SWI_REASON__CNT; r++)
                ck_assert_int_eq(swi_reason_from_str(swi_reason2str((swi_reason_t)r)), r);
}
END_TEST

START_TEST(test_event_date_roundtrip)
{
        char buf[11];
        int32_t d;
        ck_assert_int_eq(swi_date_from_ymd(1970, 1, 1), 0);
        ck_assert_int_eq(swi_date_from_ymd(1900, 1, 1), -25567);
        ck_assert_int_eq(swi_date_from_ymd(2000, 3, 1) - swi_date_from_ymd(2000, 2, 28), 2);
        for (d = -30000; d < 40000; d += 17) {
                int y, m, dd;
                swi_date_to_ymd(d, &y, &m, &dd);
                ck_assert_int_eq(swi_date_from_ymd(y, m, dd), d);
        }
        ck_assert_int_eq(swi_date_parse("2024-02-29", &d), 0);
        ck_assert_str_eq(swi_date_format(d, buf), "2024-02-29");
        ck_assert_int_ne(swi_date_parse("2023-02-29", &d), 0);
        ck_assert_int_ne(swi_date_parse("2023-13-01", &d), 0);
}
END_TEST

START_TEST(test_event_add_months_clamps_to_month_end)
{
        char buf[11];
        /* 29 February + 1 year = 28 February (indicators.md §1) */
        int32_t d = swi_date_add_months(swi_date_from_ymd(2024, 2, 29), 12);
        ck_assert_str_eq(swi_date_format(d, buf), "2025-02-28");
        /* + 4 years lands on a leap day again */
        d = swi_date_add_months(swi_date_from_ymd(2024, 2, 29), 48);
        ck_assert_str_eq(swi_date_format(d, buf), "2028-02-29");
        d = swi_date_add_months(swi_date_from_ymd(2023, 1, 31), 1);
        ck_assert_str_eq(swi_date_format(d, buf), "2023-02-28");
        d = swi_date_add_months(swi_date_from_ymd(2023, 8, 31), 6);
        ck_assert_str_eq(swi_date_format(d, buf), "2024-02-29");
        d = swi_date_add_months(swi_date_from_ymd(2022, 5, 15), 36);
        ck_assert_str_eq(swi_date_format(d, buf), "2025-05-15");
}
END_TEST

/* Issue 10 item 7: any year prints whole and with its sign (ISO 8601 expanded
 * years, astronomical numbering: year 0 is 1 BC), for every int32 day. */
START_TEST(test_event_date_format_any_year)
{
        char buf[32];
        int y, m, d;

        ck_assert_str_eq(swi_date_format(swi_date_from_ymd(9999, 12, 31), buf), "9999-12-31");
        ck_assert_str_eq(swi_date_format(swi_date_from_ymd(10000, 1, 1), buf), "+10000-01-01");
        ck_assert_str_eq(swi_date_format(swi_date_from_ymd(12345, 6, 7), buf), "+12345-06-07");
        ck_assert_str_eq(swi_date_format(swi_date_from_ymd(0, 1, 1), buf), "0000-01-01");
        ck_assert_str_eq(swi_date_format(swi_date_from_ymd(-1, 12, 31), buf), "-0001-12-31");
        ck_assert_str_eq(swi_date_format(swi_date_from_ymd(-12345, 1, 1), buf), "-12345-01-01");
        /* the int32 extremes: no overflow, a whole date */
        ck_assert_str_eq(swi_date_format(INT32_MAX, buf), "+5881580-07-11");
        ck_assert_str_eq(swi_date_format(INT32_MIN, buf), "-5877641-06-23");
        swi_date_to_ymd(INT32_MAX, &y, &m, &d);
        ck_assert_int_eq(y, 5881580);
        swi_date_to_ymd(INT32_MIN, &y, &m, &d);
        ck_assert_int_eq(y, -5877641);
        for (int64_t day = INT32_MIN; day <= INT32_MAX; day += 2147483) {
                swi_date_to_ymd((int32_t)day, &y, &m, &d);
                ck_assert_int_eq(swi_date_from_ymd(y, m, d), day);
        }
}
END_TEST

int main(void)
{
        Suite *s = suite_create("event");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_event_type_table);
        tcase_add_test(tc, test_event_reason_names);
        tcase_add_test(tc, test_event_date_roundtrip);
        tcase_add_test(tc, test_event_add_months_clamps_to_month_end);
        tcase_add_test(tc, test_event_date_format_any_year);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
