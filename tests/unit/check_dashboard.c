/* check_dashboard.c - swi-dashboard's modules without a database: the
 * property table and its documentation, request validation that happens
 * before any query, and the in-memory front end (no traversal, no symlinks). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "dashboard/api.h"
#include "dashboard/assets.h"
#include "dashboard/config.h"
#include "dashboard/db.h"

START_TEST(test_dashboard_config_defaults_safe)
{
        swi_dash_conf_t c;
        char err[256];
        const swi_props_table_t *t = &swi_dash_conf_table;

        ck_assert_int_eq(swi_props_init(t, &c, sizeof(c)), SWI_OK);
        ck_assert_str_eq(c.http_bind, "127.0.0.1");
        ck_assert(c.pg_require_analyst);
        ck_assert_int_gt(c.http_timeout_s, 0);
        ck_assert_int_eq(swi_props_set_arg(t, &c, "http.port=70000", err, sizeof(err)),
                         SWI_ERR_CONFIG);
        ck_assert_int_eq(swi_props_set_arg(t, &c, "http.port=8081", err, sizeof(err)), SWI_OK);
        ck_assert_int_eq(c.http_port, 8081);
        ck_assert_int_eq(swi_props_set_arg(t, &c, "kafka.x=1", err, sizeof(err)), SWI_ERR_CONFIG);
        ck_assert_int_eq(swi_props_set_arg(t, &c, "noequals", err, sizeof(err)), SWI_ERR_CONFIG);
        swi_dash_conf_free(&c);
}
END_TEST

/* ${file:}/${env:} are resolved (the deployment's configurations use them);
 * --print-config shows the reference, or the conninfo with its password
 * masked, never the password. */
START_TEST(test_dashboard_config_secrets)
{
        swi_dash_conf_t c;
        char err[256], path[] = "/tmp/check_dashboard_pwXXXXXX", *out = NULL;
        size_t outlen = 0;
        const swi_props_table_t *t = &swi_dash_conf_table;
        int fd = mkstemp(path);
        FILE *f;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "Geheim-pw1\n", 11), 11);
        close(fd);
        ck_assert_int_eq(swi_props_init(t, &c, sizeof(c)), SWI_OK);
        char set[300];
        snprintf(set, sizeof(set), "pg.conninfo=host=db user=swi_dashboard password=${file:%s}",
                 path);
        ck_assert_int_eq(swi_props_set_arg(t, &c, set, err, sizeof(err)), SWI_OK);
        ck_assert_str_eq(c.pg_conninfo, "host=db user=swi_dashboard password=Geheim-pw1");
        setenv("CHECK_DASH_PORT", "8099", 1);
        ck_assert_int_eq(
            swi_props_set_arg(t, &c, "http.port=${env:CHECK_DASH_PORT}", err, sizeof(err)), SWI_OK);
        ck_assert_int_eq(c.http_port, 8099);
        f = open_memstream(&out, &outlen);
        swi_dash_conf_print_effective(&c, swi_db_conninfo_redact, f);
        fclose(f);
        ck_assert_ptr_nonnull(strstr(out, "password=${file:"));
        ck_assert_ptr_nonnull(strstr(out, "http.port = 8099\n"));
        ck_assert_ptr_null(strstr(out, "Geheim-pw1"));
        free(out);
        out = NULL;
        ck_assert_int_eq(
            swi_props_set_arg(t, &c, "pg.conninfo=host=db password=Geheim-pw1", err, sizeof(err)),
            SWI_OK);
        f = open_memstream(&out, &outlen);
        swi_dash_conf_print_effective(&c, swi_db_conninfo_redact, f);
        fclose(f);
        ck_assert_ptr_nonnull(strstr(out, "password=[redacted]"));
        ck_assert_ptr_null(strstr(out, "Geheim-pw1"));
        free(out);
        unlink(path);
        ck_assert_int_eq(
            swi_props_set_arg(t, &c, "pg.conninfo=${file:/nonexistent/pw}", err, sizeof(err)),
            SWI_ERR_CONFIG);
        swi_dash_conf_free(&c);
}
END_TEST

/* docs/config-reference.md holds exactly what --dump-config-reference prints. */
START_TEST(test_dashboard_config_reference_is_current)
{
        char *gen = NULL, *doc;
        size_t len = 0;
        FILE *f = open_memstream(&gen, &len);

        ck_assert_ptr_nonnull(f);
        swi_props_print_reference_md(&swi_dash_conf_table, f);
        fclose(f);
        doc = swi_read_file(SWI_SOURCE_DIR "/docs/config-reference.md", NULL);
        ck_assert_ptr_nonnull(doc);
        ck_assert_msg(strstr(doc, gen) != NULL,
                      "docs/config-reference.md is out of date: regenerate its swi-dashboard "
                      "table with swi-dashboard --dump-config-reference");
        free(doc);
        free(gen);
}
END_TEST

/* The answer to path with params, decoded; the caller frees it. */
static json_t *ask(swi_api_t *api, const char *path, const swi_api_param_t *p, int n, int *status)
{
        swi_api_response_t r;
        json_error_t e;
        swi_api_handle(api, path, p, n, &r);
        *status = r.status;
        json_t *j = json_loadb(r.body, r.len, 0, &e);
        free(r.body);
        ck_assert_ptr_nonnull(j);
        return j;
}

static const char *err_param(json_t *j)
{
        return json_string_value(json_object_get(json_object_get(j, "error"), "parameter"));
}

/* The checks that need no database answer at once with a 400 naming the
 * parameter; the database is never asked (here it does not exist). */
START_TEST(test_dashboard_api_refuses_before_querying)
{
        char err[256];
        int st;
        swi_db_t *db = swi_db_new("host=/nonexistent port=1", 1, 1000, err, sizeof(err));
        swi_api_opts_t o = {.rows_max = 100, .cache_s = 0, .require_analyst = 1};
        swi_api_t *api = swi_api_new(db, &o, err, sizeof(err));
        json_t *j;

        swi_api_param_t dup[] = {{"cohort", "2022"}, {"cohort", "2023"}};
        j = ask(api, "/api/v1/table", dup, 2, &st);
        ck_assert_int_eq(st, 400);
        ck_assert_str_eq(err_param(j), "cohort");
        json_decref(j);

        swi_api_param_t empty[] = {{"cohort", ""}};
        j = ask(api, "/api/v1/table", empty, 1, &st);
        ck_assert_int_eq(st, 400);
        json_decref(j);

        swi_api_param_t novalue[] = {{"cohort", NULL}};
        j = ask(api, "/api/v1/table", novalue, 1, &st);
        ck_assert_int_eq(st, 400);
        json_decref(j);

        swi_api_param_t badname[] = {{"Cohort", "2022"}};
        j = ask(api, "/api/v1/table", badname, 1, &st);
        ck_assert_int_eq(st, 400);
        json_decref(j);

        swi_api_param_t badutf8[] = {{"publication", "act\xc3\x28"}};
        j = ask(api, "/api/v1/table", badutf8, 1, &st);
        ck_assert_int_eq(st, 400);
        ck_assert_str_eq(err_param(j), "publication");
        json_decref(j);

        swi_api_param_t ctrl[] = {{"publication", "a\x01z"}};
        j = ask(api, "/api/v1/table", ctrl, 1, &st);
        ck_assert_int_eq(st, 400);
        json_decref(j);

        char big[400];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        swi_api_param_t longv[] = {{"publication", big}};
        j = ask(api, "/api/v1/table", longv, 1, &st);
        ck_assert_int_eq(st, 400);
        json_decref(j);

        swi_api_param_t many[17];
        for (int i = 0; i < 17; i++)
                many[i] = (swi_api_param_t){"a", "1"};
        j = ask(api, "/api/v1/table", many, 17, &st);
        ck_assert_int_eq(st, 400);
        json_decref(j);

        j = ask(api, "/api/v1/nope", NULL, 0, &st);
        ck_assert_int_eq(st, 404);
        json_decref(j);
        j = ask(api, "/api/v1/../v1/meta", NULL, 0, &st);
        ck_assert_int_eq(st, 404);
        json_decref(j);

        /* past the checks, the database is needed: unavailable, not a crash */
        j = ask(api, "/api/v1/health", NULL, 0, &st);
        ck_assert_int_eq(st, 503);
        json_decref(j);
        j = ask(api, "/api/v1/meta", NULL, 0, &st);
        ck_assert_int_eq(st, 503);
        json_decref(j);

        swi_api_destroy(api);
        swi_db_destroy(db);
}
END_TEST

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

START_TEST(test_dashboard_assets_only_files_of_the_root)
{
        char root[] = "/tmp/swi_assetsXXXXXX", p[512], err[512];
        char big[20000];

        ck_assert_ptr_nonnull(mkdtemp(root));
        snprintf(p, sizeof(p), "%s/index.html", root);
        write_file(p, "<!doctype html><title>x</title>");
        snprintf(p, sizeof(p), "%s/js", root);
        mkdir(p, 0755);
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        snprintf(p, sizeof(p), "%s/js/app.js", root);
        write_file(p, big);
        snprintf(p, sizeof(p), "%s/.secret", root);
        write_file(p, "hidden");
        snprintf(p, sizeof(p), "%s/passwd", root);
        ck_assert_int_eq(symlink("/etc/passwd", p), 0);

        swi_assets_t *a = swi_assets_load(root, err, sizeof(err));
        ck_assert_msg(a != NULL, "%s", err);
        ck_assert_uint_eq(swi_assets_count(a), 2);
        const swi_asset_t *i = swi_assets_find(a, "/");
        ck_assert_ptr_nonnull(i);
        ck_assert_str_eq(i->type, "text/html; charset=utf-8");
        ck_assert_ptr_eq(swi_assets_find(a, "/index.html"), i);
        const swi_asset_t *js = swi_assets_find(a, "/js/app.js");
        ck_assert_ptr_nonnull(js);
        ck_assert_str_eq(js->type, "text/javascript; charset=utf-8");
        ck_assert_ptr_nonnull(js->gz); /* compressible */
        ck_assert_uint_lt(js->gz_len, js->len);
        ck_assert_ptr_null(swi_assets_find(a, "/passwd"));  /* symlink */
        ck_assert_ptr_null(swi_assets_find(a, "/.secret")); /* hidden */
        ck_assert_ptr_null(swi_assets_find(a, "/js/../index.html"));
        ck_assert_ptr_null(swi_assets_find(a, "/../etc/passwd"));
        ck_assert_ptr_null(swi_assets_find(a, "//index.html"));
        ck_assert_ptr_null(swi_assets_find(a, "/js/"));
        swi_assets_destroy(a);

        /* no index.html: refused with a clear message */
        snprintf(p, sizeof(p), "%s/index.html", root);
        unlink(p);
        ck_assert_ptr_null(swi_assets_load(root, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "index.html"));
        snprintf(p, sizeof(p), "rm -rf '%s'", root);
        ck_assert_int_eq(system(p), 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("dashboard");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_dashboard_config_defaults_safe);
        tcase_add_test(tc, test_dashboard_config_secrets);
        tcase_add_test(tc, test_dashboard_config_reference_is_current);
        tcase_add_test(tc, test_dashboard_api_refuses_before_querying);
        tcase_add_test(tc, test_dashboard_assets_only_files_of_the_root);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
