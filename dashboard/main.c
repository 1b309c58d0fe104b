/* swi-dashboard - the SWI-style web dashboard and its JSON API over the
 * published, disclosure-controlled figures (read-only role analyst). */
#include <getopt.h>
#include <pthread.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "dashboard/api.h"
#include "dashboard/assets.h"
#include "dashboard/config.h"
#include "dashboard/db.h"
#include "dashboard/server.h"

static void *warm(void *api)
{
        swi_api_warm(api);
        return NULL;
}

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: swi-dashboard [options]\n"
                "Serves the SWI-style dashboard and its JSON API (/api/v1/...) over the\n"
                "published figures in PostgreSQL (schema swi_pub), as a read-only analyst.\n\n"
                "Options:\n"
                "  -c, --config FILE          read properties from FILE (name = value lines)\n"
                "  -X, --set NAME=VALUE       set one property (after the file; repeatable)\n"
                "      --url-file FILE        write the URL it serves to FILE once listening\n"
                "      --print-config         print the effective configuration and exit\n"
                "      --dump-config-reference  print the property table as Markdown and exit\n"
                "  -h, --help                 this help\n"
                "  -V, --version              print the version\n\n"
                "Any value may be, or contain, ${file:PATH} or ${env:NAME}.\n");
        swi_props_print_help(&swi_dash_conf_table, out);
}

/* <directory of the executable>/dashboard-web where the build puts the front
 * end, else <that directory>/../share/swi-stream/dashboard-web where
 * cmake --install puts it (any prefix). */
static char *default_web_root(void)
{
        char exe[PATH_MAX], out[PATH_MAX + 64];
        struct stat st;
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return strdup("dashboard-web");
        exe[n] = '\0';
        char *dir = dirname(exe);
        snprintf(out, sizeof(out), "%s/dashboard-web", dir);
        if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
                snprintf(out, sizeof(out), "%s/../share/swi-stream/dashboard-web", dir);
        return strdup(out);
}

/* Enough descriptors for the connection limit (the soft limit often is 1024). */
static void raise_fd_limit(int64_t want)
{
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= (rlim_t)want)
                return;
        rl.rlim_cur = rl.rlim_max < (rlim_t)want ? rl.rlim_max : (rlim_t)want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                SWI_LOG_W("dashboard", "cannot raise the open-file limit", "want=%lld",
                          (long long)want);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"set", required_argument, NULL, 'X'},
            {"url-file", required_argument, NULL, 3},
            {"print-config", no_argument, NULL, 1},
            {"dump-config-reference", no_argument, NULL, 2},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
        };
        const swi_props_table_t *t = &swi_dash_conf_table;
        swi_dash_conf_t conf;
        char err[1024];
        const char *config_file = NULL, *url_file = NULL;
        char **sets = calloc((size_t)argc + 1, sizeof(char *));
        int nsets = 0, print_config = 0, opt, rc = 0;
        swi_db_t *db = NULL;
        swi_api_t *api = NULL;
        swi_assets_t *assets = NULL;
        swi_server_t *srv = NULL;

        if (!sets || swi_props_init(t, &conf, sizeof(conf)) != SWI_OK) {
                fprintf(stderr, "swi-dashboard: out of memory\n");
                return 1;
        }
        while ((opt = getopt_long(argc, argv, "c:X:hV", opts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        config_file = optarg;
                        break;
                case 'X':
                        sets[nsets++] = optarg;
                        break;
                case 1:
                        print_config = 1;
                        break;
                case 2:
                        swi_props_print_reference_md(t, stdout);
                        goto quit;
                case 3:
                        url_file = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        goto quit;
                case 'V':
                        printf("swi-dashboard %s\n", SWI_VERSION);
                        goto quit;
                default:
                        usage(stderr);
                        rc = 2;
                        goto quit;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "swi-dashboard: unexpected argument \"%s\" (see --help)\n",
                        argv[optind]);
                rc = 2;
                goto quit;
        }
        if (config_file && swi_props_load_file(t, &conf, config_file, err, sizeof(err)) != SWI_OK) {
                fprintf(stderr, "swi-dashboard: %s\n", err);
                rc = 2;
                goto quit;
        }
        for (int i = 0; i < nsets; i++) {
                if (swi_props_set_arg(t, &conf, sets[i], err, sizeof(err)) != SWI_OK) {
                        fprintf(stderr, "swi-dashboard: %s\n", err);
                        rc = 2;
                        goto quit;
                }
        }
        if (swi_log_set_format(conf.log_format) != 0) {
                fprintf(stderr, "swi-dashboard: log.format \"%s\" is not logfmt or json\n",
                        conf.log_format);
                rc = 2;
                goto quit;
        }
        if (swi_log_set_level(conf.log_level) != 0) {
                fprintf(stderr,
                        "swi-dashboard: log.level \"%s\" is not error, warn, info or debug\n",
                        conf.log_level);
                rc = 2;
                goto quit;
        }
        if (!conf.web_root[0]) {
                free(conf.web_root);
                conf.web_root = default_web_root();
        }
        if (print_config) {
                swi_dash_conf_print_effective(&conf, swi_db_conninfo_redact, stdout);
                goto quit;
        }
        swi_dash_conf_register_secrets(&conf, swi_db_conninfo_redact);
        if (conf.warning[0])
                SWI_LOG_W("dashboard", "secret file readable by others", "warning=\"%s\"",
                          conf.warning);

        assets = swi_assets_load(conf.web_root, err, sizeof(err));
        if (!assets) {
                SWI_LOG_E("dashboard", "front end not loaded", "error=\"%s\"", err);
                rc = 1;
                goto quit;
        }
        db = swi_db_new(conf.pg_conninfo, (int)conf.db_pool_size, conf.db_statement_timeout_ms, err,
                        sizeof(err));
        if (!db) {
                SWI_LOG_E("dashboard", "start-up failed", "error=\"%s\"", err);
                rc = 1;
                goto quit;
        }
        if (conf.pg_require_analyst) {
                swi_err_t cr = swi_db_check_role(db, err, sizeof(err));
                if (cr == SWI_ERR_CONFIG) {
                        SWI_LOG_E("dashboard", "refusing to start", "reason=\"%s\"", err);
                        rc = 2;
                        goto quit;
                }
                if (cr != SWI_OK) /* PostgreSQL down: serve, and check again on first use */
                        SWI_LOG_W("dashboard", "database not reachable yet", "error=\"%s\"", err);
        }
        swi_api_opts_t ao = {.rows_max = conf.api_rows_max,
                             .cache_s = conf.api_cache_s,
                             .require_analyst = conf.pg_require_analyst};
        api = swi_api_new(db, &ao, err, sizeof(err));
        if (!api) {
                SWI_LOG_E("dashboard", "start-up failed", "error=\"%s\"", err);
                rc = 1;
                goto quit;
        }

        /* Signals are taken by sigwait below; every thread started from here on
         * inherits the mask. */
        sigset_t stop;
        sigemptyset(&stop);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop, NULL);
        signal(SIGPIPE, SIG_IGN);
        raise_fd_limit(conf.http_connections_max + 256);

        swi_server_opts_t so = {.bind = conf.http_bind,
                                .port = (int)conf.http_port,
                                .connections_max = (int)conf.http_connections_max,
                                .connections_per_ip = (int)conf.http_connections_per_ip,
                                .timeout_s = (int)conf.http_timeout_s,
                                .request_max_bytes = (size_t)conf.http_request_max_bytes};
        srv = swi_server_new(&so, api, assets, err, sizeof(err));
        if (!srv) {
                SWI_LOG_E("dashboard", "start-up failed", "error=\"%s\"", err);
                rc = 1;
                goto quit;
        }
        char url[300];
        snprintf(
            url, sizeof(url), strchr(conf.http_bind, ':') ? "http://[%s]:%d/" : "http://%s:%d/",
            strcmp(conf.http_bind, "0.0.0.0") ? conf.http_bind : "127.0.0.1", swi_server_port(srv));
        SWI_LOG_I("dashboard", "serving", "url=%s files=%zu web_root=\"%s\"", url,
                  swi_assets_count(assets), conf.web_root);
        if (url_file) {
                FILE *f = fopen(url_file, "w");
                int bad = !f || fprintf(f, "%s\n", url) < 0;
                if ((f && fclose(f) != 0) || bad)
                        SWI_LOG_W("dashboard", "cannot write the URL file", "file=\"%s\"",
                                  url_file);
        }
        /* The revisions of frozen publications take seconds at national scale:
         * computed once in the background, then answered from the cache. */
        pthread_t warmer;
        int warming = pthread_create(&warmer, NULL, warm, api) == 0;
        int sig = 0;
        sigwait(&stop, &sig);
        SWI_LOG_I("dashboard", "stopping", "signal=%d", sig);
        if (warming)
                pthread_join(warmer, NULL);
quit:
        swi_server_destroy(srv);
        swi_api_destroy(api);
        swi_db_destroy(db);
        swi_assets_destroy(assets);
        swi_dash_conf_free(&conf);
        free(sets);
        return rc;
}
