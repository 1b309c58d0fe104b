/* check_config.c - the property table: defaults, types, ranges, files, passthrough. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/fileio.h"

START_TEST(test_config_defaults)
{
        swi_conf_t c;
        ck_assert_int_eq(swi_conf_init(&c), SWI_OK);
        ck_assert_str_eq(c.topic_ind, "ind.events");
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
