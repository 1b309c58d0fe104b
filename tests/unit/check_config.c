/* check_config.c - the property table: defaults, types, ranges, files, passthrough. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "common/config.h"
#include "common/fileio.h"
#include "common/log.h"

START_TEST(test_config_defaults)
{
        swi_conf_t c;
        ck_assert_int_eq(swi_conf_init(&c), SWI_OK);
        ck_assert_str_eq(c.topic[SWI_SRC_IND], "ind.events");
        ck_assert_str_eq(c.group_id, "swi-etl");
        ck_assert_int_eq(c.batch_size, 5000);
        ck_assert_int_eq(c.date_tolerance_days, 1);
        ck_assert_int_eq(c.pending_wait_days, 7);
        ck_assert(!c.exit_at_end);
        swi_conf_free(&c);
}
END_TEST

START_TEST(test_config_types_and_ranges)
{
        char err[256];
        swi_conf_t c;
        swi_conf_init(&c);
        ck_assert_int_eq(swi_conf_set(&c, "batch.size", "100", err, sizeof(err)), SWI_OK);
        ck_assert_int_eq(c.batch_size, 100);
        ck_assert_int_eq(swi_conf_set(&c, "batch.size", "0", err, sizeof(err)), SWI_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err, "outside"));
        ck_assert_int_eq(swi_conf_set(&c, "batch.size", "12x", err, sizeof(err)), SWI_ERR_CONFIG);
        ck_assert_int_eq(c.batch_size, 100); /* unchanged by a failed set */
        ck_assert_int_eq(swi_conf_set(&c, "exit.at.end", "yes", err, sizeof(err)), SWI_OK);
        ck_assert(c.exit_at_end);
        ck_assert_int_eq(swi_conf_set(&c, "exit.at.end", "maybe", err, sizeof(err)),
                         SWI_ERR_CONFIG);
        ck_assert_int_eq(swi_conf_set(&c, "no.such.thing", "1", err, sizeof(err)), SWI_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err, "unknown property"));
        swi_conf_free(&c);
}
END_TEST

START_TEST(test_config_kafka_passthrough)
{
        char err[256];
        swi_conf_t c;
        swi_conf_init(&c);
        swi_conf_set(&c, "kafka.bootstrap.servers", "127.0.0.1:1", err, sizeof(err));
        swi_conf_set(&c, "kafka.bootstrap.servers", "127.0.0.1:2", err, sizeof(err));
        swi_conf_set(&c, "kafka.sasl.password", "hunter2", err, sizeof(err));
        ck_assert_int_eq(c.n_kafka, 2);
        ck_assert_str_eq(c.kafka_keys[0], "bootstrap.servers");
        ck_assert_str_eq(c.kafka_vals[0], "127.0.0.1:2");

        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        swi_conf_print_effective(&c, f);
        fclose(f);
        ck_assert_ptr_nonnull(strstr(buf, "kafka.bootstrap.servers = 127.0.0.1:2"));
        ck_assert_ptr_null(strstr(buf, "hunter2")); /* secrets are not echoed */
        free(buf);
        swi_conf_free(&c);
}
END_TEST

START_TEST(test_config_file_roundtrip)
{
        char err[512], path[] = "/tmp/swi_confXXXXXX";
        swi_conf_t c, d;
        int fd = mkstemp(path);
        FILE *f = fdopen(fd, "w");
        fputs("# comment\n  batch.size = 42  # trailing comment\n\ngroup.id=g1\n", f);
        fclose(f);
        swi_conf_init(&c);
        ck_assert_int_eq(swi_conf_load_file(&c, path, err, sizeof(err)), SWI_OK);
        ck_assert_int_eq(c.batch_size, 42);
        ck_assert_str_eq(c.group_id, "g1");

        /* The effective dump loads back to the same configuration. */
        f = fopen(path, "w");
        swi_conf_print_effective(&c, f);
        fclose(f);
        swi_conf_init(&d);
        ck_assert_int_eq(swi_conf_load_file(&d, path, err, sizeof(err)), SWI_OK);
        ck_assert_int_eq(d.batch_size, 42);
        ck_assert_str_eq(d.group_id, "g1");

        f = fopen(path, "w");
        fputs("batch.size 5\n", f);
        fclose(f);
        ck_assert_int_eq(swi_conf_load_file(&d, path, err, sizeof(err)), SWI_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err, ":1:"));
        swi_conf_free(&c);
        swi_conf_free(&d);
        unlink(path);
}
END_TEST

START_TEST(test_config_help_lists_every_property)
{
        char *buf = NULL, *ref = NULL;
        size_t len = 0, rlen = 0;
        swi_conf_t c;
        swi_conf_init(&c);
        FILE *f = open_memstream(&buf, &len);
        swi_conf_print_help(f);
        fclose(f);
        f = open_memstream(&ref, &rlen);
        swi_conf_print_reference_md(f);
        fclose(f);
        /* every effective line's name appears in --help and in the reference */
        char *eff = NULL;
        size_t elen = 0;
        f = open_memstream(&eff, &elen);
        swi_conf_print_effective(&c, f);
        fclose(f);
        for (char *line = strtok(eff, "\n"); line; line = strtok(NULL, "\n")) {
                char name[128];
                ck_assert_int_eq(sscanf(line, "%127s", name), 1);
                ck_assert_msg(strstr(buf, name), "%s missing from --help", name);
                ck_assert_msg(strstr(ref, name), "%s missing from the reference", name);
        }
        free(buf);
        free(ref);
        free(eff);
        swi_conf_free(&c);
}
END_TEST

static char *effective(const swi_conf_t *c)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        swi_conf_print_effective(c, f);
        fclose(f);
        return buf;
}

/* A stand-in for libpq's parser: masks "password=X" only. */
static void fake_redactor(const char *ci, char *out, size_t size, char *pw, size_t pwsize)
{
        const char *p = strstr(ci, "password=");
        snprintf(pw, pwsize, "%s", p ? p + 9 : "");
        if (p)
                snprintf(out, size, "%.*spassword=[redacted]", (int)(p - ci), ci);
        else
                snprintf(out, size, "%s", ci);
}

START_TEST(test_config_references_file_and_env)
{
        char err[512], path[] = "/tmp/swi_secretXXXXXX", ref[600];
        swi_conf_t c;
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "alice:pw-from-file\n\n", 20), 20);
        close(fd);
        chmod(path, 0600);
        setenv("SWI_TEST_SASL_PW", "pw-from-env", 1);
        swi_conf_init(&c);
        snprintf(ref, sizeof(ref), "${file:%s}", path);
        ck_assert_int_eq(
            swi_conf_set(&c, "schema.registry.basic.auth.user.info", ref, err, sizeof(err)),
            SWI_OK);
        ck_assert_str_eq(c.registry_user_info, "alice:pw-from-file"); /* newlines trimmed */
        ck_assert_int_eq(
            swi_conf_set(&c, "kafka.sasl.password", "${env:SWI_TEST_SASL_PW}", err, sizeof(err)),
            SWI_OK);
        ck_assert_str_eq(c.kafka_vals[0], "pw-from-env");
        ck_assert_int_eq(c.nwarnings, 0); /* 0600: no warning */
        /* printed as the reference: loadable, and no secret */
        char *eff = effective(&c);
        ck_assert_ptr_nonnull(strstr(eff, ref));
        ck_assert_ptr_nonnull(strstr(eff, "kafka.sasl.password = ${env:SWI_TEST_SASL_PW}"));
        ck_assert_ptr_null(strstr(eff, "pw-from"));
        free(eff);
        /* inside a value, e.g. a conninfo */
        char ci[700];
        snprintf(ci, sizeof(ci), "host=db password=${env:SWI_TEST_SASL_PW} x=${other}");
        ck_assert_int_eq(swi_conf_set(&c, "group.id", ci, err, sizeof(err)), SWI_OK);
        ck_assert_str_eq(c.group_id, "host=db password=pw-from-env x=${other}");
        /* nested: a file named through the environment (systemd credentials) */
        char dirpart[600], *slash;
        snprintf(dirpart, sizeof(dirpart), "%s", path);
        slash = strrchr(dirpart, '/');
        *slash = '\0';
        setenv("SWI_TEST_CRED_DIR", dirpart, 1);
        snprintf(ci, sizeof(ci), "user=x password=${file:${env:SWI_TEST_CRED_DIR}/%s}", slash + 1);
        ck_assert_int_eq(swi_conf_set(&c, "group.id", ci, err, sizeof(err)), SWI_OK);
        ck_assert_str_eq(c.group_id, "user=x password=alice:pw-from-file");
        unsetenv("SWI_TEST_CRED_DIR");
        /* errors name the reference, not a value */
        ck_assert_int_eq(
            swi_conf_set(&c, "kafka.sasl.password", "${env:SWI_NO_SUCH_VAR_X}", err, sizeof(err)),
            SWI_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err, "SWI_NO_SUCH_VAR_X"));
        ck_assert_int_eq(swi_conf_set(&c, "group.id", "${file:/nonexistent/x}", err, sizeof(err)),
                         SWI_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x"));
        ck_assert_int_eq(swi_conf_set(&c, "group.id", "${vault:x}", err, sizeof(err)),
                         SWI_ERR_CONFIG);
        /* a secret file others can read: a warning naming the file */
        chmod(path, 0644);
        ck_assert_int_eq(
            swi_conf_set(&c, "schema.registry.basic.auth.user.info", ref, err, sizeof(err)),
            SWI_OK);
        ck_assert_int_eq(c.nwarnings, 1);
        ck_assert_ptr_nonnull(strstr(c.warnings[0], path));
        ck_assert_ptr_nonnull(strstr(c.warnings[0], "0644"));
        swi_conf_free(&c);
        unlink(path);
        unsetenv("SWI_TEST_SASL_PW");
}
END_TEST

START_TEST(test_config_masks_every_secret_it_prints)
{
        char err[512], out[256];
        swi_conf_t c;
        swi_conf_init(&c);
        swi_conf_set_conninfo_redactor(fake_redactor);
        swi_conf_set(&c, "pg.conninfo", "host=db user=etl password=pg-secret-1", err, sizeof(err));
        swi_conf_set(&c, "schema.registry.url", "https://bob:url-secret-2@sr.example:8081/x", err,
                     sizeof(err));
        swi_conf_set(&c, "schema.registry.basic.auth.user.info", "carol:auth-secret-3", err,
                     sizeof(err));
        swi_conf_set(&c, "schema.registry.ssl.key.password", "keypw-secret-4", err, sizeof(err));
        swi_conf_set(&c, "kafka.ssl.key.pem", "-----BEGIN PRIVATE KEY-----pem-secret-5", err,
                     sizeof(err));
        swi_conf_set(&c, "kafka.sasl.oauthbearer.config", "clientSecret=oauth-secret-6", err,
                     sizeof(err));
        swi_conf_set(&c, "kafka.ssl.keystore.password", "ks-secret-7", err, sizeof(err));
        swi_conf_set(&c, "kafka.bootstrap.servers", "b1:9092", err, sizeof(err));
        char *eff = effective(&c);
        for (int i = 1; i <= 7; i++) {
                char needle[16];
                snprintf(needle, sizeof(needle), "secret-%d", i);
                ck_assert_msg(strstr(eff, needle) == NULL, "%s printed:\n%s", needle, eff);
        }
        ck_assert_ptr_nonnull(strstr(eff, "pg.conninfo = host=db user=etl password=[redacted]"));
        ck_assert_ptr_nonnull(strstr(eff, "https://bob:[redacted]@sr.example:8081/x"));
        ck_assert_ptr_nonnull(strstr(eff, "kafka.bootstrap.servers = b1:9092"));
        free(eff);

        /* the logger masks the same values wherever they turn up */
        swi_conf_register_secrets(&c);
        char line[1024];
        swi_log_format_line(line, sizeof(line), SWI_LOG_LOGFMT, SWI_LOG_ERROR, "t", "m",
                            "error=%s other=%s", "auth failed for pg-secret-1 and url-secret-2",
                            "auth-secret-3 keypw-secret-4 clientSecret=oauth-secret-6");
        ck_assert_ptr_null(strstr(line, "secret-"));
        ck_assert_ptr_nonnull(strstr(line, "[redacted]"));
        char text[64] = "x ks-secret-7 y";
        swi_log_mask(text, sizeof(text));
        ck_assert_str_eq(text, "x [redacted] y");

        swi_conf_redact_url("http://127.0.0.1:8081", out, sizeof(out));
        ck_assert_str_eq(out, "http://127.0.0.1:8081");
        swi_conf_redact_url("http://tok@h/p?a=b@c", out, sizeof(out));
        ck_assert_str_eq(out, "http://[redacted]@h/p?a=b@c");
        swi_conf_set_conninfo_redactor(NULL);
        swi_conf_free(&c);
}
END_TEST

START_TEST(test_config_warns_on_readable_key_files)
{
        char err[512], path[] = "/tmp/swi_keyXXXXXX";
        swi_conf_t c;
        int fd = mkstemp(path);
        close(fd);
        swi_conf_init(&c);
        swi_conf_set(&c, "pseudonym.key.file", path, err, sizeof(err));
        chmod(path, 0600);
        swi_conf_check_files(&c);
        ck_assert_int_eq(c.nwarnings, 0);
        chmod(path, 0640);
        swi_conf_check_files(&c);
        ck_assert_int_eq(c.nwarnings, 1);
        ck_assert_ptr_nonnull(strstr(c.warnings[0], "pseudonym.key.file"));
        swi_conf_check_files(&c); /* once per file */
        ck_assert_int_eq(c.nwarnings, 1);
        swi_conf_free(&c);
        unlink(path);
}
END_TEST

/* docs/config-reference.md says it is generated from the table: it must hold
 * exactly what --dump-config-reference prints. */
START_TEST(test_config_reference_is_current)
{
        char *gen = NULL, *doc;
        size_t len = 0;
        FILE *f = open_memstream(&gen, &len);

        ck_assert_ptr_nonnull(f);
        swi_conf_print_reference_md(f);
        fclose(f);
        doc = swi_read_file(SWI_SOURCE_DIR "/docs/config-reference.md", NULL);
        ck_assert_ptr_nonnull(doc);
        ck_assert_msg(strstr(doc, gen) != NULL,
                      "docs/config-reference.md is out of date: regenerate its swi-etl table "
                      "with swi-etl --dump-config-reference");
        free(doc);
        free(gen);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_config_defaults);
        tcase_add_test(tc, test_config_types_and_ranges);
        tcase_add_test(tc, test_config_kafka_passthrough);
        tcase_add_test(tc, test_config_references_file_and_env);
        tcase_add_test(tc, test_config_masks_every_secret_it_prints);
        tcase_add_test(tc, test_config_warns_on_readable_key_files);
        tcase_add_test(tc, test_config_file_roundtrip);
        tcase_add_test(tc, test_config_help_lists_every_property);
        tcase_add_test(tc, test_config_reference_is_current);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
