/* check_event.c - event-type table, reason names and the date arithmetic of indicators.md §1. */
#include <check.h>
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

int main(void)
{
        Suite *s = suite_create("event");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_event_type_table);
        tcase_add_test(tc, test_event_reason_names);
        tcase_add_test(tc, test_event_date_roundtrip);
        tcase_add_test(tc, test_event_add_months_clamps_to_month_end);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
