/* swi-etl - the registries' Kafka topics into PostgreSQL, exactly once. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "etl/metrics.h"
#include "etl/pipeline.h"
#include "sinks/pg_sink.h" /* swi_pg_conninfo_redact */
#include "sinks/sink.h"

static swi_pipeline_t *running;

static void on_signal(int sig)
{
        (void)sig;
        if (running)
                swi_pipeline_stop(running);
}

/* The effective configuration, once, at start-up (secrets masked). */
static void log_effective_config(const swi_conf_t *conf)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return;
        swi_conf_print_effective(conf, f);
        fclose(f);
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                char *eq = strstr(line, " = ");
                if (!eq)
                        continue;
                *eq = '\0';
                SWI_LOG_I("config", "effective", "name=%s value=%s", line, eq + 3);
        }
        free(buf);
}

static void usage(FILE *out)
{
        fprintf(out, "Usage: swi-etl [options]\nConsumes the");
        /* "the IND, COA, DUO and gemeente event topics": SWI_SOURCES' labels */
        for (int s = 0; s < SWI_SRC__CNT; s++)
                fprintf(out, "%s %s",
                        s == 0                  ? ""
                        : s == SWI_SRC__CNT - 1 ? " and"
                                                : ",",
                        swi_source_info((swi_source_t)s)->label);
        fprintf(out,
                " event topics and loads validated,\n"
                "pseudonymised events into PostgreSQL, exactly once.\n\n"
                "Options:\n"
                "  -c, --config FILE          read properties from FILE (name = value lines)\n"
                "  -X, --set NAME=VALUE       set one property (after the file; repeatable)\n"
                "  -e, --until-caught-up      exit once every assigned partition is caught up\n"
                "                             (same as -X exit.at.end=true)\n"
                "      --print-config         print the effective configuration and exit\n"
                "      --dump-config-reference  print the property table as Markdown and exit\n"
                "      --migrate-only         apply database migrations and exit\n"
                "  -h, --help                 this help\n"
                "  -V, --version              print the version\n\n"
                "The pseudonym key is read from pseudonym.key.file or the environment\n"
                "variable SWI_PSEUDONYM_KEY; never from the command line.\n\n");
        swi_conf_print_help(out);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"set", required_argument, NULL, 'X'},
            {"until-caught-up", no_argument, NULL, 'e'},
            {"print-config", no_argument, NULL, 1},
            {"dump-config-reference", no_argument, NULL, 2},
            {"migrate-only", no_argument, NULL, 3},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
        };
        char err[1024];
        swi_conf_t conf;
        int print_config = 0, migrate_only = 0, opt, exit_code = 0;
        const char *config_file = NULL;
        char **sets = calloc((size_t)argc + 1, sizeof(char *));
        int nsets = 0, until_caught_up = 0;
        swi_metrics_server_t *ms = NULL;

        if (!sets || swi_conf_init(&conf) != SWI_OK) {
                fprintf(stderr, "swi-etl: out of memory\n");
                return 1;
        }
        /* pg.conninfo is printed (--print-config, the start-up log) with its
         * password masked by libpq's own parser. */
        swi_conf_set_conninfo_redactor(swi_pg_conninfo_redact);
        while ((opt = getopt_long(argc, argv, "c:X:ehV", opts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        config_file = optarg;
                        break;
                case 'X':
                        sets[nsets++] = optarg;
                        break;
                case 'e':
                        until_caught_up = 1;
                        break;
                case 1:
                        print_config = 1;
                        break;
                case 2:
                        swi_conf_print_reference_md(stdout);
                        goto quit;
                case 3:
                        migrate_only = 1;
                        break;
                case 'h':
                        usage(stdout);
                        goto quit;
                case 'V':
                        printf("swi-etl %s\n", SWI_VERSION);
                        goto quit;
                default:
                        usage(stderr);
                        exit_code = 2;
                        goto quit;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "swi-etl: unexpected argument \"%s\" (see --help)\n", argv[optind]);
                exit_code = 2;
                goto quit;
        }
        if (config_file && swi_conf_load_file(&conf, config_file, err, sizeof(err)) != SWI_OK) {
                fprintf(stderr, "swi-etl: %s\n", err);
                return 2;
        }
        for (int i = 0; i < nsets; i++) {
                char *eq = strchr(sets[i], '=');
                if (!eq) {
                        fprintf(stderr, "swi-etl: -X expects NAME=VALUE, got \"%s\"\n", sets[i]);
                        return 2;
                }
                *eq = '\0';
                if (swi_conf_set(&conf, sets[i], eq + 1, err, sizeof(err)) != SWI_OK) {
                        fprintf(stderr, "swi-etl: %s\n", err);
                        return 2;
                }
        }
        free(sets);
        if (until_caught_up)
                conf.exit_at_end = true;
        if (swi_log_set_level(conf.log_level) != 0) {
                fprintf(stderr, "swi-etl: log.level \"%s\" is not error, warn, info or debug\n",
                        conf.log_level);
                return 2;
        }
        if (swi_log_set_format(conf.log_format) != 0) {
                fprintf(stderr, "swi-etl: log.format \"%s\" is not logfmt or json\n",
                        conf.log_format);
                return 2;
        }
        if (strcmp(conf.trajectories_defer, "auto") != 0 &&
            strcmp(conf.trajectories_defer, "off") != 0 &&
            strcmp(conf.trajectories_defer, "always") != 0) {
                fprintf(stderr, "swi-etl: trajectories.defer \"%s\" is not auto, off or always\n",
                        conf.trajectories_defer);
                return 2;
        }
        /* From here on every secret value is masked in every log line. */
        swi_conf_register_secrets(&conf);
        swi_conf_check_files(&conf);
        for (int i = 0; i < conf.nwarnings; i++)
                SWI_LOG_W("config", "insecure file permissions", "detail=%s", conf.warnings[i]);
        if (print_config) {
                swi_conf_print_effective(&conf, stdout);
                swi_conf_free(&conf);
                return 0;
        }
        log_effective_config(&conf);
        if (migrate_only) {
                const swi_sink_conf_t sconf = {.conninfo = conf.pg_conninfo,
                                               .group_id = conf.group_id};
                swi_sink_t *sink = swi_sink_open(&swi_pg_sink_ops, &sconf, err, sizeof(err));
                /* no retries here: a deploy job should fail and say why */
                if (!sink || swi_sink_migrate(sink) != SWI_OK) {
                        SWI_LOG_E("etl", "migrations failed", "error=\"%s\"",
                                  sink ? swi_sink_errstr(sink) : err);
                        swi_sink_close(sink);
                        swi_conf_free(&conf);
                        return 1;
                }
                swi_sink_close(sink);
                SWI_LOG_I("etl", "migrations applied", "%s", "");
                swi_conf_free(&conf);
                return 0;
        }
        running = swi_pipeline_new(&conf, err, sizeof(err));
        if (!running) {
                SWI_LOG_E("etl", "start-up failed", "error=\"%s\"", err);
                swi_conf_free(&conf);
                return 1;
        }
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        if (conf.metrics_port > 0) {
                /* Before connecting anywhere: /livez and /readyz answer while
                 * swi-etl waits for PostgreSQL. */
                swi_http_opts_t ho = {.bind = conf.metrics_bind,
                                      .port = (int)conf.metrics_port,
                                      .idle_timeout_s = (int)conf.metrics_idle_timeout_s,
                                      .max_connections = (int)conf.metrics_max_connections};
                ms = swi_metrics_server_new(swi_pipeline_metrics(running), &ho, err, sizeof(err));
                if (!ms) {
                        SWI_LOG_E("metrics", "cannot serve the HTTP endpoints", "error=%s", err);
                        swi_pipeline_destroy(running);
                        running = NULL;
                        swi_conf_free(&conf);
                        return 1;
                }
                SWI_LOG_I("metrics", "serving", "bind=%s port=%d endpoints=%s", conf.metrics_bind,
                          (int)conf.metrics_port, "/metrics,/livez,/readyz,/healthz");
        }
        if (swi_pipeline_run(running) != SWI_OK)
                exit_code = 1;
        swi_metrics_server_destroy(ms);
        swi_pipeline_destroy(running);
        running = NULL;
        swi_conf_free(&conf);
        return exit_code;
quit:
        free(sets);
        swi_conf_free(&conf);
        return exit_code;
}
