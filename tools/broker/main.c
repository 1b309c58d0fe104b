/* swi-broker - the embedded Kafka broker: librdkafka's mock cluster on
 * loopback, with the topics swi-stream uses, until SIGINT or SIGTERM.
 * SIGUSR1 takes every broker down (clients disconnected, connections
 * refused), SIGUSR2 brings them up again: an outage for fault tests
 * (tests/integration/test_chaos.sh) that keeps the data, which lives in this
 * process's memory only.
 *
 * The mock picks a random free port per broker (librdkafka 2.0.2 cannot be
 * told a fixed one), so the contract with scripts is the bootstrap line on
 * stdout and, with --bootstrap-file, a file that appears atomically (written
 * to PATH.tmp, then renamed) once every topic exists. The file is removed on
 * a clean exit.
 *
 * What the mock keeps (5 MiB of batches per partition, oldest dropped) is
 * described in ingest/kafka.h. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "ingest/kafka.h"
#include "transform/event.h"

#define SUB "broker"

#define DEAD_LETTER_TOPIC      "swi.dead-letters"
#define DEAD_LETTER_PARTITIONS 4
#define REPARTITION_TOPIC      "swi.repartition"

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t want_down, want_up;

static void on_signal(int sig)
{
        if (sig == SIGUSR1)
                want_down = 1;
        else if (sig == SIGUSR2)
                want_up = 1;
        else
                stop_signal = sig;
}

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: swi-broker [OPTION]...\n"
                "Runs librdkafka's mock Kafka cluster on 127.0.0.1 with the swi-stream topics\n"
                "until SIGINT or SIGTERM. Prints bootstrap=HOST:PORT[,...] on stdout once ready.\n"
                "SIGUSR1 takes every broker down (clients are disconnected, new connections\n"
                "refused; topics, offsets and groups are kept), SIGUSR2 brings them up again.\n"
                "\n"
                "  -b, --brokers N           number of brokers (default 1)\n"
                "  -p, --partitions N        partitions per source topic and of %s\n"
                "                            (default 16)\n"
                "  -t, --topics a,b          extra topics, each with N partitions\n"
                "  -f, --bootstrap-file PATH write the bootstrap servers to PATH (atomically,\n"
                "                            once all topics exist; removed on exit)\n"
                "  -l, --log-level LEVEL     error, warn, info (default) or debug\n"
                "  -h, --help                this text\n"
                "  -V, --version             print the version\n"
                "\n"
                "Topics:",
                REPARTITION_TOPIC);
        /* the sources' topics (transform/event.h SWI_SOURCES) */
        for (int s = 0; s < SWI_SRC__CNT; s++)
                fprintf(f, " %s", swi_source_info((swi_source_t)s)->topic);
        fprintf(f,
                " (N partitions each),\n"
                "%s (%d partitions), %s (N partitions, internal).\n"
                "Ports are chosen by the kernel: read them from stdout or the bootstrap file.\n"
                "Each partition keeps about 5 MiB of (compressed) batches; older ones are\n"
                "dropped. One message over 5 MiB drops the partition's whole history\n"
                "(docs/architecture.md). Everything is in memory.\n",
                DEAD_LETTER_TOPIC, DEAD_LETTER_PARTITIONS, REPARTITION_TOPIC);
}

/* Parses a positive int in [1, max]; returns -1 if it is not one. */
static int parse_count(const char *s, int max)
{
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 1 || v > max)
                return -1;
        return (int)v;
}

/* Writes "servers\n" to path via path.tmp + rename, so a reader sees all or nothing. */
static int write_bootstrap_file(const char *path, const char *servers)
{
        char tmp[4096];
        FILE *f = NULL;
        int rc = -1;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
                goto done;
        f = fopen(tmp, "w");
        if (!f)
                goto done;
        if (fprintf(f, "%s\n", servers) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0)
                goto done;
        if (fclose(f) != 0) {
                f = NULL;
                goto done;
        }
        f = NULL;
        if (rename(tmp, path) != 0)
                goto done;
        rc = 0;
done:
        if (f)
                fclose(f);
        if (rc != 0)
                unlink(tmp);
        return rc;
}

static int create_topic(swi_kafka_mock_t *m, const char *topic, int partitions)
{
        if (swi_kafka_mock_create_topic(m, topic, partitions) != SWI_OK) {
                SWI_LOG_E(SUB, "cannot create topic", "topic=%s partitions=%d", topic, partitions);
                return -1;
        }
        return 0;
}

/* Creates each comma-separated topic of list. */
static int create_extra_topics(swi_kafka_mock_t *m, const char *list, int partitions)
{
        char *copy = strdup(list);
        char *save = NULL;
        int rc = 0;

        if (!copy)
                return -1;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (*t == '\0')
                        continue;
                if (create_topic(m, t, partitions) != 0) {
                        rc = -1;
                        break;
                }
        }
        free(copy);
        return rc;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"brokers", required_argument, NULL, 'b'},
            {"partitions", required_argument, NULL, 'p'},
            {"topics", required_argument, NULL, 't'},
            {"bootstrap-file", required_argument, NULL, 'f'},
            {"log-level", required_argument, NULL, 'l'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {NULL, 0, NULL, 0},
        };
        int brokers = 1;
        int partitions = 16;
        const char *extra = NULL;
        const char *bootstrap_file = NULL;
        swi_kafka_mock_t *m = NULL;
        struct sigaction sa;
        sigset_t block, old;
        char errstr[512];
        int rc = 1;
        int opt;

        while ((opt = getopt_long(argc, argv, "b:p:t:f:l:hV", opts, NULL)) != -1) {
                switch (opt) {
                case 'b':
                        brokers = parse_count(optarg, 64);
                        if (brokers < 0) {
                                fprintf(stderr, "swi-broker: --brokers wants 1..64\n");
                                return 2;
                        }
                        break;
                case 'p':
                        partitions = parse_count(optarg, 10000);
                        if (partitions < 0) {
                                fprintf(stderr, "swi-broker: --partitions wants 1..10000\n");
                                return 2;
                        }
                        break;
                case 't':
                        extra = optarg;
                        break;
                case 'f':
                        bootstrap_file = optarg;
                        break;
                case 'l':
                        if (swi_log_set_level(optarg) != 0) {
                                fprintf(stderr, "swi-broker: unknown log level '%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("swi-broker %s\n", SWI_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "swi-broker: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }

        /* Signals are blocked until we wait for them, so none is lost in
         * between and librdkafka's threads (created with this mask) never
         * take them. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGUSR2, &sa, NULL);
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGUSR1);
        sigaddset(&block, SIGUSR2);
        sigprocmask(SIG_BLOCK, &block, &old);

        m = swi_kafka_mock_new(brokers, errstr, sizeof(errstr));
        if (!m) {
                SWI_LOG_E(SUB, "cannot start the mock cluster", "detail=\"%s\"", errstr);
                goto done;
        }
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                if (create_topic(m, swi_source_info((swi_source_t)s)->topic, partitions) != 0)
                        goto done;
        }
        if (create_topic(m, DEAD_LETTER_TOPIC, DEAD_LETTER_PARTITIONS) != 0 ||
            create_topic(m, REPARTITION_TOPIC, partitions) != 0)
                goto done;
        if (extra && create_extra_topics(m, extra, partitions) != 0)
                goto done;

        if (bootstrap_file && write_bootstrap_file(bootstrap_file, swi_kafka_mock_bootstraps(m))) {
                SWI_LOG_E(SUB, "cannot write the bootstrap file", "path=%s errno=%d",
                          bootstrap_file, errno);
                goto done;
        }
        printf("bootstrap=%s\n", swi_kafka_mock_bootstraps(m));
        fflush(stdout);
        SWI_LOG_I(SUB, "ready", "bootstrap=%s brokers=%d partitions=%d bootstrap_file=%s",
                  swi_kafka_mock_bootstraps(m), brokers, partitions,
                  bootstrap_file ? bootstrap_file : "-");

        while (!stop_signal) {
                sigsuspend(&old);
                /* Both flags are only touched with the signals blocked (here)
                 * or in the handler, which runs inside sigsuspend. */
                if (want_down) {
                        want_down = 0;
                        swi_kafka_mock_set_up(m, -1, false);
                }
                if (want_up) {
                        want_up = 0;
                        swi_kafka_mock_set_up(m, -1, true);
                }
        }
        SWI_LOG_I(SUB, "stopping", "signal=%d", (int)stop_signal);
        rc = 0;
done:
        if (bootstrap_file)
                unlink(bootstrap_file);
        swi_kafka_mock_destroy(m);
        return rc;
}
