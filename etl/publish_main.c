/* swi-publish - computes a publication of the indicator table from the stored
 * events: the current figures ('actueel'), a named frozen publication (e.g.
 * "SWI 2024" at peildatum 2024-12-31 as known at a chosen moment), or the
 * recomputation of every frozen publication with everything known now
 * ('herberekening:<name>', compared in swi_pub.revisions). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/config.h"
#include "common/log.h"
#include "etl/metrics.h"
#include "publish/publication.h"
#include "sinks/pg_sink.h"
#include "transform/event.h"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: swi-publish [options]\n"
                "Computes the ten indicator families with disclosure control from the events\n"
                "in PostgreSQL and writes them to swi_pub.indicator_values.\n\n"
                "  -c, --config FILE       swi-etl configuration file (pg.conninfo, publish.*)\n"
                "  -X, --set NAME=VALUE    set one property (as swi-etl)\n"
                "  -n, --name NAME         publication name (default: actueel)\n"
                "  -p, --peildatum DATE    P as YYYY-MM-DD (default: today, UTC)\n"
                "  -k, --known-at TS       K as 'YYYY-MM-DD HH:MM:SS' UTC or ms since epoch\n"
                "                          (default: now)\n"
                "      --freeze            make the publication final (also writes\n"
                "                          herberekening:NAME at the same P with K = now)\n"
                "      --revise            recompute herberekening:NAME (the publication NAME at\n"
                "                          --peildatum, K = now); give both as published\n"
                "  -h, --help\n");
}

static int parse_k(const char *s, int64_t *out)
{
        char *end;
        long long v = strtoll(s, &end, 10);
        if (*end == '\0') {
                *out = v;
                return 0;
        }
        int y, mo, d, h = 0, mi = 0, se = 0;
        if (sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se) < 3)
                return -1;
        *out = ((int64_t)swi_date_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000;
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'},
            {"set", required_argument, NULL, 'X'},
            {"name", required_argument, NULL, 'n'},
            {"peildatum", required_argument, NULL, 'p'},
            {"known-at", required_argument, NULL, 'k'},
            {"freeze", no_argument, NULL, 1},
            {"revise", no_argument, NULL, 2},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        swi_conf_t conf;
        char err[1024];
        const char *name = "actueel";
        int32_t P;
        int64_t K = (int64_t)swi_now_ms();
        int opt, freeze = 0, revise = 0;

        swi_conf_init(&conf);
        P = (int32_t)(K / 86400000);
        while ((opt = getopt_long(argc, argv, "c:X:n:p:k:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        if (swi_conf_load_file(&conf, optarg, err, sizeof(err)) != SWI_OK) {
                                fprintf(stderr, "swi-publish: %s\n", err);
                                return 2;
                        }
                        break;
                case 'X': {
                        char *eq = strchr(optarg, '=');
                        if (!eq) {
                                fprintf(stderr, "swi-publish: -X expects NAME=VALUE\n");
                                return 2;
                        }
                        *eq = '\0';
                        if (swi_conf_set(&conf, optarg, eq + 1, err, sizeof(err)) != SWI_OK) {
                                fprintf(stderr, "swi-publish: %s\n", err);
                                return 2;
                        }
                        break;
                }
                case 'n':
                        name = optarg;
                        break;
                case 'p':
                        if (swi_date_parse(optarg, &P) != 0) {
                                fprintf(stderr, "swi-publish: --peildatum %s is not YYYY-MM-DD\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 'k':
                        if (parse_k(optarg, &K) != 0) {
                                fprintf(stderr, "swi-publish: --known-at %s is not a time\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 1:
                        freeze = 1;
                        break;
                case 2:
                        revise = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        swi_conf_set_conninfo_redactor(swi_pg_conninfo_redact);
        if (swi_log_set_level(conf.log_level) != 0 || swi_log_set_format(conf.log_format) != 0) {
                fprintf(stderr, "swi-publish: log.level or log.format is not valid\n");
                return 2;
        }
        swi_conf_register_secrets(&conf);
        swi_publish_opts_t o = {
            .name = name,
            .peildatum = P,
            .known_at = K,
            .rounding_base = conf.publish_rounding_base,
            .threshold = conf.publish_threshold,
            .freeze = freeze != 0,
        };
        swi_publish_stats_t st;
        int rc = 0;
        if (!revise) {
                if (swi_pg_publish(conf.pg_conninfo, &o, &st, err, sizeof(err)) != SWI_OK) {
                        SWI_LOG_E("publish", "publication failed", "name=\"%s\" error=\"%s\"", name,
                                  err);
                        rc = 1;
                        goto done;
                }
                SWI_LOG_I("publish", "published",
                          "name=\"%s\" events=%lld persons=%lld rows=%lld seconds=%.2f "
                          "load_s=%.2f compute_s=%.2f write_s=%.2f",
                          name, (long long)st.events, (long long)st.persons, (long long)st.rows,
                          st.seconds, st.seconds_load, st.seconds_compute, st.seconds_write);
        }
        if (freeze || revise) {
                char hname[600];
                snprintf(hname, sizeof(hname), "herberekening:%s", name);
                swi_publish_opts_t h = o;
                h.name = hname;
                h.freeze = false;
                h.known_at = (int64_t)swi_now_ms();
                if (swi_pg_publish(conf.pg_conninfo, &h, &st, err, sizeof(err)) != SWI_OK) {
                        SWI_LOG_E("publish", "recomputation failed", "name=\"%s\" error=\"%s\"",
                                  hname, err);
                        rc = 1;
                        goto done;
                }
                SWI_LOG_I("publish", "recomputed", "name=\"%s\" rows=%lld seconds=%.2f", hname,
                          (long long)st.rows, st.seconds);
        }
done:
        swi_conf_free(&conf);
        return rc;
}
