/* check_event.c - the source and event-type tables (against schemas/), reason
 * names and the date arithmetic of indicators.md §1. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

/* SWI_SOURCES by itself: names, topics, identifiers and retractions consistent. */
START_TEST(test_event_sources_table)
{
        int per_source[SWI_SRC__CNT] = {0};

        ck_assert_ptr_null(swi_source_info(SWI_SRC__CNT));
        ck_assert_int_eq(swi_source_ident(SWI_SRC__CNT), SWI_IDENT_NONE);
        for (int t = 0; t < SWI_EV__CNT; t++) {
                swi_source_t src = swi_evtype_source((swi_evtype_t)t);
                ck_assert_int_lt(src, SWI_SRC__CNT);
                per_source[src]++;
                /* the retractions are exactly the rows' intrekking */
                ck_assert_int_eq(swi_evtype_is_intrekking((swi_evtype_t)t),
                                 swi_source_info(src)->intrekking == (swi_evtype_t)t);
        }
        ck_assert(!swi_evtype_is_intrekking(SWI_EV_NONE));
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                const swi_source_info_t *si = swi_source_info((swi_source_t)s);
                char topic[128];

                ck_assert_ptr_nonnull(si);
                ck_assert_str_eq(swi_source_name((swi_source_t)s), si->name);
                /* a name is a schema directory, an Avro namespace part and a
                 * property key: lower-case letters, digits and _ */
                ck_assert_msg(si->name[0] >= 'a' && si->name[0] <= 'z' &&
                                  strspn(si->name, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
                                      strlen(si->name),
                              "source name \"%s\"", si->name);
                ck_assert_int_eq(swi_source_from_name(si->name), s);
                /* swi_pub.freshness and source_status take the source from the
                 * topic's first part */
                snprintf(topic, sizeof(topic), "%s.events", si->name);
                ck_assert_str_eq(si->topic, topic);
                ck_assert(si->ident == SWI_IDENT_BSN || si->ident == SWI_IDENT_VNUMMER);
                ck_assert_int_eq(swi_source_ident((swi_source_t)s), si->ident);
                ck_assert(si->label[0] != '\0');
                ck_assert_int_gt(si->gen_lag_days, 0);
                ck_assert_msg(per_source[s] > 0, "source %s has no event types", si->name);
                ck_assert_int_eq(swi_evtype_source(si->intrekking), s);
                ck_assert_str_eq(swi_evtype_name(si->intrekking), "Intrekking");
                for (int o = 0; o < s; o++) {
                        const swi_source_info_t *so = swi_source_info((swi_source_t)o);
                        ck_assert_str_ne(so->name, si->name);
                        ck_assert_str_ne(so->topic, si->topic);
                        ck_assert_str_ne(so->label, si->label);
                }
        }
}
END_TEST

static json_t *load_json(const char *path)
{
        json_error_t e;
        json_t *j = json_load_file(path, 0, &e);
        ck_assert_msg(j != NULL, "%s: %s (line %d)", path, e.text, e.line);
        return j;
}

/* Whether the record schema j has a field called name. */
static bool has_field(json_t *j, const char *name)
{
        json_t *fields = json_object_get(j, "fields"), *f;
        size_t i;
        json_array_foreach(fields, i, f)
        {
                if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
                        return true;
        }
        return false;
}

/* schemas/ against the tables: a directory per source and nothing else, every
 * registry.json entry a record of its source's namespace in that directory
 * under its subject <topic>-nl.swi.<source>.<Name>, carrying the source's
 * identifier, a current schema for every event type and no .avsc left out. */
START_TEST(test_event_sources_match_schemas)
{
        char path[1024];
        int current[SWI_EV__CNT] = {0};
        size_t i, nentries;
        json_t *reg, *schemas, *e;
        DIR *d;
        struct dirent *de;

        snprintf(path, sizeof(path), "%s/schemas/registry.json", SWI_SOURCE_DIR);
        reg = load_json(path);
        schemas = json_object_get(reg, "schemas");
        nentries = json_array_size(schemas);
        ck_assert_int_gt(nentries, 0);
        json_array_foreach(schemas, i, e)
        {
                const char *src_name = json_string_value(json_object_get(e, "source"));
                const char *name = json_string_value(json_object_get(e, "name"));
                const char *file = json_string_value(json_object_get(e, "file"));
                const char *subject = json_string_value(json_object_get(e, "subject"));
                char want[512], ns[160];
                swi_source_t src;
                swi_evtype_t t;
                json_t *avsc;

                ck_assert_msg(src_name && name && file && subject, "entry %zu incomplete", i);
                src = swi_source_from_name(src_name);
                ck_assert_msg(src != SWI_SRC__CNT, "entry %zu: source \"%s\" not in SWI_SOURCES", i,
                              src_name);
                t = swi_evtype_lookup(src, name);
                ck_assert_msg(t != SWI_EV_NONE, "entry %zu: %s %s not in SWI_EVENT_TYPES", i,
                              src_name, name);
                if (json_is_true(json_object_get(e, "current")))
                        current[t]++;
                snprintf(want, sizeof(want), "%s/", src_name);
                ck_assert_msg(strncmp(file, want, strlen(want)) == 0 &&
                                  !strchr(file + strlen(want), '/'),
                              "entry %zu: file %s not in schemas/%s/", i, file, src_name);
                snprintf(want, sizeof(want), "%s-nl.swi.%s.%s", swi_source_info(src)->topic,
                         src_name, name);
                ck_assert_str_eq(subject, want);
                snprintf(path, sizeof(path), "%s/schemas/%s", SWI_SOURCE_DIR, file);
                avsc = load_json(path);
                snprintf(ns, sizeof(ns), "nl.swi.%s", src_name);
                ck_assert_str_eq(json_string_value(json_object_get(avsc, "namespace")), ns);
                ck_assert_str_eq(json_string_value(json_object_get(avsc, "name")), name);
                ck_assert_msg(has_field(avsc, swi_source_info(src)->ident == SWI_IDENT_BSN
                                                  ? "bsn"
                                                  : "v_nummer"),
                              "%s lacks its source's identifier", file);
                json_decref(avsc);
        }
        for (int t = 0; t < SWI_EV__CNT; t++)
                ck_assert_msg(current[t] == 1, "%s %s: %d current schemas in registry.json",
                              swi_source_name(swi_evtype_source((swi_evtype_t)t)),
                              swi_evtype_name((swi_evtype_t)t), current[t]);

        /* every directory of schemas/ is a source, and each of its .avsc files
         * is in registry.json */
        int dirs = 0;
        snprintf(path, sizeof(path), "%s/schemas", SWI_SOURCE_DIR);
        d = opendir(path);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d)) != NULL) {
                char sub[1536];
                DIR *sd;
                struct dirent *f;

                if (de->d_name[0] == '.' || strcmp(de->d_name, "registry.json") == 0)
                        continue;
                ck_assert_msg(swi_source_from_name(de->d_name) != SWI_SRC__CNT,
                              "schemas/%s is not a source of SWI_SOURCES", de->d_name);
                dirs++;
                snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
                sd = opendir(sub);
                ck_assert_ptr_nonnull(sd);
                while ((f = readdir(sd)) != NULL) {
                        char file[600];
                        bool listed = false;
                        size_t n = strlen(f->d_name);

                        if (n < 5 || strcmp(f->d_name + n - 5, ".avsc") != 0)
                                continue;
                        snprintf(file, sizeof(file), "%s/%s", de->d_name, f->d_name);
                        json_array_foreach(schemas, i, e)
                        {
                                if (strcmp(json_string_value(json_object_get(e, "file")), file) ==
                                    0)
                                        listed = true;
                        }
                        ck_assert_msg(listed, "schemas/%s is not in registry.json", file);
                }
                closedir(sd);
        }
        closedir(d);
        ck_assert_int_eq(dirs, SWI_SRC__CNT);
        json_decref(reg);
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
        tcase_add_test(tc, test_event_sources_table);
        tcase_add_test(tc, test_event_sources_match_schemas);
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
