/* check_validate.c - BSN elfproef, V-nummer, gemeente list and every stateless
 * dead-letter reason of the validator. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "transform/gemeenten.h"
#include "transform/validate.h"

static const swi_validate_conf_t conf = {.date_tolerance_days = 1};

/* A valid DUO ExamenAfgelegd dated 2024-03-01, registered the same day. */
static swi_event_t exam(void)
{
        swi_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.source = SWI_SRC_DUO;
        ev.type = SWI_EV_DUO_EXAMEN_AFGELEGD;
        strcpy(ev.event_id, "0b6c8f1e-2f6a-4c39-9a53-6f0d1c9e7a11");
        ev.has_bsn = true;
        strcpy(ev.bsn, "111222333");
        ev.event_date = swi_date_from_ymd(2024, 3, 1);
        ev.registered_at = (int64_t)ev.event_date * 86400000 + 3600000;
        return ev;
}

static void add_field(swi_event_t *ev, const char *name, swi_vkind_t kind, int64_t i, const char *s)
{
        swi_field_t *f = &ev->fields[ev->nfields++];
        strcpy(f->name, name);
        f->kind = kind;
        f->i = i;
        if (s)
                strcpy(f->s, s);
}

static swi_reason_t check(const swi_event_t *ev)
{
        char detail[256];
        return swi_validate_event(ev, &conf, detail, sizeof(detail));
}

START_TEST(test_validate_bsn_elfproef)
{
        /* 9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3-3 = 66 = 6*11 */
        ck_assert(swi_bsn_valid("111222333"));
        /* 9+16+21+24+25+24+21+16-2 = 154 = 14*11 */
        ck_assert(swi_bsn_valid("123456782"));
        ck_assert(!swi_bsn_valid("123456789")); /* 147 = 13*11 + 4 */
        ck_assert(!swi_bsn_valid("000000000")); /* passes the sum, but all zeros */
        ck_assert(!swi_bsn_valid("11122233"));
        ck_assert(!swi_bsn_valid("1112223330"));
        ck_assert(!swi_bsn_valid("11122233a"));
        ck_assert(!swi_bsn_valid(""));
}
END_TEST

START_TEST(test_validate_vnummer)
{
        ck_assert(swi_vnummer_valid("1234567890"));
        ck_assert(!swi_vnummer_valid("123456789"));
        ck_assert(!swi_vnummer_valid("12345678901"));
        ck_assert(!swi_vnummer_valid("12345x7890"));
}
END_TEST

START_TEST(test_validate_accepts_valid_event)
{
        swi_event_t ev = exam();
        add_field(&ev, "onderdeel", SWI_V_STRING, 0, "LEZEN");
        add_field(&ev, "niveau", SWI_V_STRING, 0, "B1");
        add_field(&ev, "geslaagd", SWI_V_BOOL, 1, NULL);
        ck_assert_int_eq(check(&ev), SWI_REASON_NONE);
}
END_TEST

START_TEST(test_validate_no_identity)
{
        swi_event_t ev = exam();
        ev.has_bsn = false;
        ck_assert_int_eq(check(&ev), SWI_REASON_NO_IDENTITY);

        /* IND without v_nummer, even with a bsn */
        ev = exam();
        ev.source = SWI_SRC_IND;
        ev.type = SWI_EV_IND_VERBLIJF_BEEINDIGD;
        ck_assert_int_eq(check(&ev), SWI_REASON_NO_IDENTITY);

        /* BsnToegekend needs both */
        ev.type = SWI_EV_IND_BSN_TOEGEKEND;
        ev.has_bsn = false;
        ev.has_vnr = true;
        strcpy(ev.vnr, "1234567890");
        ck_assert_int_eq(check(&ev), SWI_REASON_NO_IDENTITY);
        ev.has_bsn = true;
        ck_assert_int_eq(check(&ev), SWI_REASON_NONE);
}
END_TEST

START_TEST(test_validate_invalid_bsn_detail_hides_value)
{
        char detail[256];
        swi_event_t ev = exam();
        strcpy(ev.bsn, "123456789");
        ck_assert_int_eq(swi_validate_event(&ev, &conf, detail, sizeof(detail)),
                         SWI_REASON_INVALID_BSN);
        ck_assert_ptr_null(strstr(detail, "123456789"));
        ck_assert_ptr_nonnull(strstr(detail, "elfproef"));
}
END_TEST

START_TEST(test_validate_invalid_vnummer)
{
        swi_event_t ev = exam();
        ev.has_vnr = true;
        strcpy(ev.vnr, "12345");
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VNUMMER);
}
END_TEST

START_TEST(test_validate_invalid_values)
{
        swi_event_t ev = exam();
        ev.type = SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN;
        add_field(&ev, "score", SWI_V_INT, 57, NULL);
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VALUE);
        ev.fields[0].i = 40;
        ck_assert_int_eq(check(&ev), SWI_REASON_NONE);

        ev = exam();
        ev.source = SWI_SRC_GEMEENTE;
        ev.type = SWI_EV_GEM_PARTICIPATIE_UREN;
        add_field(&ev, "gemeente", SWI_V_STRING, 0, "GM0363");
        add_field(&ev, "uren", SWI_V_INT, -3, NULL);
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VALUE);

        ev.fields[1].i = 3;
        strcpy(ev.fields[0].s, "GM9999");
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VALUE);
}
END_TEST

START_TEST(test_validate_dissolved_gemeente_by_date)
{
        swi_event_t ev = exam();
        ev.source = SWI_SRC_GEMEENTE;
        ev.type = SWI_EV_GEM_GEVESTIGD;
        add_field(&ev, "gemeente", SWI_V_STRING, 0, "GM0457"); /* Weesp, last day 2022-03-23 */
        ev.event_date = swi_date_from_ymd(2022, 3, 23);
        ev.registered_at = (int64_t)ev.event_date * 86400000;
        ck_assert_int_eq(check(&ev), SWI_REASON_NONE);
        ev.event_date += 1;
        ev.registered_at += 86400000;
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VALUE);
        ck_assert_str_eq(swi_gemeente_successor("GM0457"), "GM0363");
        ck_assert_str_eq(swi_gemeente_successor("GM0614"), "GM1992");
        ck_assert_ptr_null(swi_gemeente_successor("GM9999"));
}
END_TEST

START_TEST(test_validate_gemeente_list)
{
        ck_assert_int_eq(swi_gemeente_count(), 342);
        ck_assert_str_eq(swi_gemeente_name("GM0363"), "Amsterdam");
        ck_assert_ptr_nonnull(swi_gemeente_region("GM0363"));
        /* A dissolved code counts in its successor's region. */
        ck_assert_str_eq(swi_gemeente_region("GM0457"), swi_gemeente_region("GM0363"));
        for (int i = 1; i < swi_gemeente_count(); i++)
                ck_assert(strcmp(swi_gemeente_code_at(i - 1), swi_gemeente_code_at(i)) < 0);
}
END_TEST

/* The reference CSV quotes a name with a comma ("Nuenen, Gerwen en Nederwetten"):
 * a plain split put GM0820 in a region " Gerwen en Nederwetten" of its own. */
START_TEST(test_validate_gemeente_quoted_name)
{
        ck_assert_str_eq(swi_gemeente_name("GM0820"), "Nuenen, Gerwen en Nederwetten");
        ck_assert_str_eq(swi_gemeente_region("GM0820"), "AM28");
        for (int i = 0; i < swi_gemeente_count(); i++) {
                const char *r = swi_gemeente_region(swi_gemeente_code_at(i));
                ck_assert_msg(r && strlen(r) == 4 && !strncmp(r, "AM", 2), "%s: region %s",
                              swi_gemeente_code_at(i), r ? r : "(null)");
                ck_assert_ptr_nonnull(swi_region_name(r));
        }
}
END_TEST

START_TEST(test_validate_implausible_date)
{
        swi_event_t ev = exam();
        ev.event_date = swi_date_from_ymd(1899, 12, 31);
        ck_assert_int_eq(check(&ev), SWI_REASON_IMPLAUSIBLE_DATE);

        ev = exam();
        /* registered 2024-03-01 01:00 UTC: event_date 2024-03-02 is within tolerance 1 */
        ev.event_date += 1;
        ck_assert_int_eq(check(&ev), SWI_REASON_NONE);
        ev.event_date += 1;
        ck_assert_int_eq(check(&ev), SWI_REASON_IMPLAUSIBLE_DATE);
}
END_TEST

/* events.md: IMPLAUSIBLE_DATE before INVALID_VALUE - an event_date of
 * 1899-12-31 is an implausible date, whatever else it makes look wrong. */
START_TEST(test_validate_implausible_date_before_invalid_value)
{
        char detail[256];
        swi_event_t ev = exam();
        ev.type = SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN;
        ev.event_date = swi_date_from_ymd(1899, 12, 31);
        /* born after the event_date: an INVALID_VALUE only because of the date */
        add_field(&ev, "geboortedatum", SWI_V_DATE, swi_date_from_ymd(1990, 5, 1), NULL);
        ck_assert_int_eq(swi_validate_event(&ev, &conf, detail, sizeof(detail)),
                         SWI_REASON_IMPLAUSIBLE_DATE);
        ck_assert_str_eq(detail, "event_date 1899-12-31 is before 1900");

        /* a field out of range and an event_date in the future: the date wins */
        ev = exam();
        add_field(&ev, "score", SWI_V_INT, 57, NULL);
        ev.event_date += 30;
        ck_assert_int_eq(check(&ev), SWI_REASON_IMPLAUSIBLE_DATE);
        /* a non-UUID event_id too */
        strcpy(ev.event_id, "not-a-uuid");
        ck_assert_int_eq(check(&ev), SWI_REASON_IMPLAUSIBLE_DATE);
        /* identity still comes first */
        strcpy(ev.bsn, "123456789");
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_BSN);
        /* and with a plausible date the value is judged */
        ev = exam();
        add_field(&ev, "score", SWI_V_INT, 57, NULL);
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VALUE);
}
END_TEST

/* Issue 10 item 7: IMPLAUSIBLE_DATE details print years of any size and sign
 * (they were cut to 10 characters, and a day count near the int32 limits
 * overflowed the date arithmetic). */
START_TEST(test_validate_implausible_date_detail_any_year)
{
        char detail[256];
        swi_event_t ev = exam();

        ev.event_date = swi_date_from_ymd(12345, 1, 1);
        ck_assert_int_eq(swi_validate_event(&ev, &conf, detail, sizeof(detail)),
                         SWI_REASON_IMPLAUSIBLE_DATE);
        ck_assert_str_eq(detail, "event_date +12345-01-01 is more than 1 day(s) after "
                                 "registered_at's date 2024-03-01");
        ev.event_date = swi_date_from_ymd(-44, 3, 15);
        ck_assert_int_eq(swi_validate_event(&ev, &conf, detail, sizeof(detail)),
                         SWI_REASON_IMPLAUSIBLE_DATE);
        ck_assert_str_eq(detail, "event_date -0044-03-15 is before 1900");
        ev.event_date = INT32_MIN;
        swi_validate_event(&ev, &conf, detail, sizeof(detail));
        ck_assert_str_eq(detail, "event_date -5877641-06-23 is before 1900");
        /* registered_at far outside the int32 day range either way */
        ev.event_date = INT32_MAX;
        ev.registered_at = INT64_MIN;
        ck_assert_int_eq(swi_validate_event(&ev, &conf, detail, sizeof(detail)),
                         SWI_REASON_IMPLAUSIBLE_DATE);
        ck_assert_str_eq(detail, "event_date +5881580-07-11 is more than 1 day(s) after "
                                 "registered_at's date -292275055-05-16");
        ev.registered_at = INT64_MAX; /* year 292,278,994: every int32 day is before it */
        ck_assert_int_eq(check(&ev), SWI_REASON_NONE);
}
END_TEST

/* A BSN or V-nummer put in the wrong field never reaches a detail (the dead-letter
 * table's detail never holds one, 001_core.sql): the quoted value's runs of nine or
 * more digits are masked, the part shown and the rest alike. Found by the fuzzer
 * (tests/fuzz/regressions/vnummer-in-gemeente-detail): naar_gemeente
 * "1376223822..." was quoted with the event's own V-nummer in it. */
START_TEST(test_validate_detail_masks_identifiers_in_values)
{
        static const struct {
                const char *field, *value, *secret;
        } cases[] = {
            {"gemeente", "123456782", "123456782"},
            {"naar_gemeente", "1376223822\x8a", "1376223822"},
            {"van_gemeente", "GM1234567890", "1234567890"},
            {"nationaliteit", "123456782", "12345678"},
            {"sector", "X123456782", "1234567"},
        };
        char detail[256];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                swi_event_t ev = exam();
                add_field(&ev, cases[i].field, SWI_V_STRING, 0, cases[i].value);
                ck_assert_int_eq(swi_validate_event(&ev, &conf, detail, sizeof(detail)),
                                 SWI_REASON_INVALID_VALUE);
                ck_assert_msg(strstr(detail, cases[i].secret) == NULL, "%s: %s", cases[i].field,
                              detail);
                ck_assert_msg(strstr(detail, cases[i].field) != NULL, "%s", detail);
        }
        /* a number out of range: the same */
        swi_event_t ev = exam();
        add_field(&ev, "score", SWI_V_INT, 123456782, NULL);
        ck_assert_int_eq(swi_validate_event(&ev, &conf, detail, sizeof(detail)),
                         SWI_REASON_INVALID_VALUE);
        ck_assert_str_eq(detail, "score ######### is outside 0..40");
        /* short digit runs stay readable */
        ev = exam();
        add_field(&ev, "gemeente", SWI_V_STRING, 0, "GM12345678");
        ck_assert_int_eq(swi_validate_event(&ev, &conf, detail, sizeof(detail)),
                         SWI_REASON_INVALID_VALUE);
        ck_assert_str_eq(detail, "gemeente \"GM12345678\" is not a known CBS gemeente code");
}
END_TEST

START_TEST(test_validate_intrekking_rules)
{
        swi_event_t ev = exam();
        ev.type = SWI_EV_DUO_INTREKKING;
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VALUE); /* no retracts */
        ev.has_retracts = true;
        strcpy(ev.retracts, "1b6c8f1e-2f6a-4c39-9a53-6f0d1c9e7a11");
        ck_assert_int_eq(check(&ev), SWI_REASON_NONE);
        ev.has_corrects = true;
        strcpy(ev.corrects, "2b6c8f1e-2f6a-4c39-9a53-6f0d1c9e7a11");
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VALUE);
}
END_TEST

START_TEST(test_validate_uuid)
{
        ck_assert(swi_uuid_valid("0b6c8f1e-2f6a-4c39-9a53-6f0d1c9e7a11"));
        ck_assert(!swi_uuid_valid("0b6c8f1e2f6a4c399a536f0d1c9e7a11"));
        ck_assert(!swi_uuid_valid("0b6c8f1e-2f6a-4c39-9a53-6f0d1c9e7a1g"));
        swi_event_t ev = exam();
        strcpy(ev.event_id, "nope");
        ck_assert_int_eq(check(&ev), SWI_REASON_INVALID_VALUE);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("validate");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_validate_bsn_elfproef);
        tcase_add_test(tc, test_validate_vnummer);
        tcase_add_test(tc, test_validate_accepts_valid_event);
        tcase_add_test(tc, test_validate_no_identity);
        tcase_add_test(tc, test_validate_invalid_bsn_detail_hides_value);
        tcase_add_test(tc, test_validate_invalid_vnummer);
        tcase_add_test(tc, test_validate_invalid_values);
        tcase_add_test(tc, test_validate_dissolved_gemeente_by_date);
        tcase_add_test(tc, test_validate_gemeente_list);
        tcase_add_test(tc, test_validate_gemeente_quoted_name);
        tcase_add_test(tc, test_validate_implausible_date);
        tcase_add_test(tc, test_validate_implausible_date_before_invalid_value);
        tcase_add_test(tc, test_validate_implausible_date_detail_any_year);
        tcase_add_test(tc, test_validate_detail_masks_identifiers_in_values);
        tcase_add_test(tc, test_validate_intrekking_rules);
        tcase_add_test(tc, test_validate_uuid);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
