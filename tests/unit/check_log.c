/* check_log.c - log lines: logfmt quoting and escaping, JSON, conversions. */
#include <check.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* A strict logfmt reader: key=value pairs separated by one space, values
 * bare (no space, '=', '"' or control character) or quoted with \" \\ \n \r
 * \t \uXXXX \xNN escapes. Returns the decoded value of key, or NULL if the
 * line does not parse (or has no such key). The result is static. */
static const char *lf_get(const char *line, const char *key)
{
        static char out[8192];
        static char val[8192];
        const char *p = line;
        const char *found = NULL;

        while (*p && *p != '\n') {
                char k[128];
                size_t kn = 0, vn = 0;
                while (*p && *p != '=' && *p != ' ' && *p != '\n' && kn < sizeof(k) - 1)
                        k[kn++] = *p++;
                k[kn] = '\0';
                if (*p != '=' || kn == 0)
                        return NULL;
                p++;
                if (*p == '"') {
                        p++;
                        while (*p && *p != '"') {
                                if ((unsigned char)*p < 0x20)
                                        return NULL; /* raw control character inside a value */
                                if (*p == '\\') {
                                        p++;
                                        switch (*p) {
                                        case 'n':
                                                val[vn++] = '\n';
                                                break;
                                        case 'r':
                                                val[vn++] = '\r';
                                                break;
                                        case 't':
                                                val[vn++] = '\t';
                                                break;
                                        case '"':
                                        case '\\':
                                                val[vn++] = *p;
                                                break;
                                        case 'u': {
                                                unsigned x;
                                                if (sscanf(p + 1, "%4x", &x) != 1)
                                                        return NULL;
                                                val[vn++] = (char)x;
                                                p += 4;
                                                break;
                                        }
                                        case 'x': {
                                                unsigned x;
                                                if (sscanf(p + 1, "%2x", &x) != 1)
                                                        return NULL;
                                                val[vn++] = (char)x;
                                                p += 2;
                                                break;
                                        }
                                        default:
                                                return NULL;
                                        }
                                        p++;
                                } else {
                                        val[vn++] = *p++;
                                }
                        }
                        if (*p != '"')
                                return NULL;
                        p++;
                } else {
                        while (*p && *p != ' ' && *p != '\n') {
                                if (*p == '"' || *p == '=')
                                        return NULL;
                                val[vn++] = *p++;
                        }
                }
                val[vn] = '\0';
                if (strcmp(k, key) == 0) {
                        memcpy(out, val, vn + 1);
                        found = out;
                }
                if (*p == ' ')
                        p++;
                else if (*p && *p != '\n')
                        return NULL;
        }
        if (*p != '\n' || p[1] != '\0')
                return NULL; /* exactly one line */
        return found;
}

START_TEST(test_log_logfmt_escapes_what_libpq_writes)
{
        char line[4096];
        const char *pgerr = "ERROR:  relation \"x\" does not exist\nLINE 1: SELECT * FROM x\n"
                            "                      ^\n";

        swi_log_format_line(line, sizeof(line), SWI_LOG_LOGFMT, SWI_LOG_ERROR, "pg",
                            "batch commit failed", "error=\"%s\" path=%s n=%d", pgerr,
                            "C:\\temp\\a b", 7);
        ck_assert_msg(strchr(line, '\n') == line + strlen(line) - 1, "one line: %s", line);
        ck_assert_str_eq(lf_get(line, "error"), pgerr);
        ck_assert_str_eq(lf_get(line, "path"), "C:\\temp\\a b");
        ck_assert_str_eq(lf_get(line, "n"), "7");
        ck_assert_str_eq(lf_get(line, "msg"), "batch commit failed");
        ck_assert_str_eq(lf_get(line, "level"), "error");
        ck_assert_str_eq(lf_get(line, "sub"), "pg");
        ck_assert_ptr_nonnull(strstr(line, " n=7"));
}
END_TEST

START_TEST(test_log_logfmt_quotes_only_when_needed)
{
        char line[1024];
        swi_log_format_line(line, sizeof(line), SWI_LOG_LOGFMT, SWI_LOG_INFO, "kafka", "x",
                            "topic=%s empty=%s eq=%s tab=%s", "ind.events", "", "a=b", "a\tb\x01");
        ck_assert_ptr_nonnull(strstr(line, " topic=ind.events "));
        ck_assert_ptr_nonnull(strstr(line, " empty=\"\" "));
        ck_assert_ptr_nonnull(strstr(line, " eq=\"a=b\" "));
        ck_assert_ptr_nonnull(strstr(line, " tab=\"a\\tb\\u0001\""));
        ck_assert_str_eq(lf_get(line, "tab"), "a\tb\x01");
}
END_TEST

START_TEST(test_log_conversions)
{
        char line[2048];
        int64_t big = -9007199254740993LL;
        size_t z = 42;

        swi_log_format_line(line, sizeof(line), SWI_LOG_LOGFMT, SWI_LOG_INFO, "t", "m",
                            "a=%lld b=%llu c=%zu d=%.3f e=%" PRId64 " f=%.*s g=%5d h=%% "
                            "i=%-4s| j=%c k=%x url=http://%s:%d/metrics l=%ld",
                            (long long)-5, (unsigned long long)18446744073709551615ULL, z, 3.14159,
                            big, 3, "abcdef", 12, "xy", 'Q', 255u, "127.0.0.1", 9464, (long)-7);
        ck_assert_str_eq(lf_get(line, "a"), "-5");
        ck_assert_str_eq(lf_get(line, "b"), "18446744073709551615");
        ck_assert_str_eq(lf_get(line, "c"), "42");
        ck_assert_str_eq(lf_get(line, "d"), "3.142");
        ck_assert_str_eq(lf_get(line, "e"), "-9007199254740993");
        ck_assert_str_eq(lf_get(line, "f"), "abc");
        ck_assert_str_eq(lf_get(line, "g"), "   12");
        ck_assert_str_eq(lf_get(line, "h"), "%");
        ck_assert_str_eq(lf_get(line, "i"), "xy  |");
        ck_assert_str_eq(lf_get(line, "j"), "Q");
        ck_assert_str_eq(lf_get(line, "k"), "ff");
        ck_assert_str_eq(lf_get(line, "url"), "http://127.0.0.1:9464/metrics");
        ck_assert_str_eq(lf_get(line, "l"), "-7");
}
END_TEST

START_TEST(test_log_keyless_and_empty_tails)
{
        char line[1024];
        swi_log_format_line(line, sizeof(line), SWI_LOG_LOGFMT, SWI_LOG_INFO, "t", "m", "%s", "");
        ck_assert_ptr_null(strstr(line, "detail"));
        ck_assert_ptr_nonnull(lf_get(line, "msg"));
        swi_log_format_line(line, sizeof(line), SWI_LOG_LOGFMT, SWI_LOG_INFO, "t", "m", "%s",
                            "free text = with \"quotes\"");
        ck_assert_str_eq(lf_get(line, "detail"), "free text = with \"quotes\"");
        swi_log_format_line(line, sizeof(line), SWI_LOG_LOGFMT, SWI_LOG_INFO, "t", "m", NULL);
        ck_assert_ptr_nonnull(lf_get(line, "ts"));
}
END_TEST

START_TEST(test_log_json_is_one_object_per_line)
{
        char line[4096];
        json_error_t e;
        json_t *j;

        swi_log_format_line(line, sizeof(line), SWI_LOG_JSON, SWI_LOG_WARN, "pg", "m\"q",
                            "n=%d f=%.2f s=%s q=\"%d\" bad=%s inf=%f ok=%s", 12, 0.5, "two\nlines",
                            3, "\xff\xfe", 1.0 / 0.0, "true");
        ck_assert_msg(strchr(line, '\n') == line + strlen(line) - 1, "one line: %s", line);
        j = json_loads(line, 0, &e);
        ck_assert_msg(j != NULL, "%s: %s", e.text, line);
        ck_assert_str_eq(json_string_value(json_object_get(j, "level")), "warn");
        ck_assert_str_eq(json_string_value(json_object_get(j, "msg")), "m\"q");
        ck_assert(json_is_integer(json_object_get(j, "n")));
        ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 12);
        ck_assert(json_is_real(json_object_get(j, "f")));
        ck_assert_str_eq(json_string_value(json_object_get(j, "s")), "two\nlines");
        ck_assert(json_is_string(json_object_get(j, "q"))); /* quoted in fmt: a string */
        ck_assert_str_eq(json_string_value(json_object_get(j, "bad")), "\xef\xbf\xbd\xef\xbf\xbd");
        ck_assert(json_is_string(json_object_get(j, "inf")));
        ck_assert_ptr_nonnull(json_object_get(j, "ts"));
        json_decref(j);
}
END_TEST

START_TEST(test_log_long_values_are_cut_not_broken)
{
        char line[16384];
        char *big = malloc(20000);
        memset(big, '"', 19999);
        big[19999] = '\0';
        swi_log_format_line(line, sizeof(line), SWI_LOG_LOGFMT, SWI_LOG_INFO, "t", "m",
                            "a=%s b=%s c=%d", big, big, 5);
        ck_assert_msg(lf_get(line, "a") != NULL, "parses: %.200s", line);
        ck_assert_ptr_nonnull(strstr(lf_get(line, "a"), "..."));
        /* a line too small for every pair ends after a whole pair, marked */
        char small[600];
        swi_log_format_line(small, sizeof(small), SWI_LOG_LOGFMT, SWI_LOG_INFO, "t", "m",
                            "a=%s b=%s", "x", big);
        ck_assert_str_eq(lf_get(small, "truncated"), "true");
        ck_assert_str_eq(lf_get(small, "a"), "x");
        swi_log_format_line(line, sizeof(line), SWI_LOG_JSON, SWI_LOG_INFO, "t", "m", "a=%s", big);
        json_t *j = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(j);
        json_decref(j);
        free(big);
}
END_TEST

START_TEST(test_log_levels_and_formats_parse)
{
        ck_assert_int_eq(swi_log_set_level("debug"), 0);
        ck_assert_int_eq(swi_log_level, SWI_LOG_DEBUG);
        ck_assert_int_eq(swi_log_set_level("loud"), -1);
        ck_assert_int_eq(swi_log_set_format("json"), 0);
        ck_assert_int_eq(swi_log_set_format("logfmt"), 0);
        ck_assert_int_eq(swi_log_set_format("xml"), -1);
        swi_log_set_level("info");
}
END_TEST

int main(void)
{
        Suite *s = suite_create("log");
        TCase *tc = tcase_create("core");
        SRunner *sr;
        int failed;

        tcase_add_test(tc, test_log_logfmt_escapes_what_libpq_writes);
        tcase_add_test(tc, test_log_logfmt_quotes_only_when_needed);
        tcase_add_test(tc, test_log_conversions);
        tcase_add_test(tc, test_log_keyless_and_empty_tails);
        tcase_add_test(tc, test_log_json_is_one_object_per_line);
        tcase_add_test(tc, test_log_long_values_are_cut_not_broken);
        tcase_add_test(tc, test_log_levels_and_formats_parse);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
