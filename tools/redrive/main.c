/* swi-redrive - feeds dead letters back to their source topics after a fix
 * (a schema registered, a rule corrected): reads the dead-letter topic from
 * its start to its end and produces each chosen message, byte for byte with
 * its key, to the topic it was read from (header swi.source.topic), with a
 * header swi.redriven-from = <dead-letter topic>:<partition>:<offset>.
 *
 * Safe to repeat: swi-etl absorbs an event it already stored (same source
 * and event_id) as a duplicate, and a message that is still bad becomes a
 * dead letter again. Nothing here reads or prints a payload: the raw
 * messages can carry a BSN or V-nummer (docs/operations.md, "Feed dead
 * letters back"). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "ingest/kafka.h"

#define MAX_REASONS 16
#define MAX_PROPS   32

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: swi-redrive -b SERVERS [OPTION]...\n"
                   "Produces the messages of the dead-letter topic back to their source topics.\n"
                   "\n"
                   "  -b, --bootstrap SERVERS  Kafka bootstrap servers\n"
                   "  -t, --topic TOPIC        dead-letter topic (default swi.dead-letters)\n"
                   "  -r, --reason REASON      only dead letters of this reason (repeatable),\n"
                   "                           e.g. UNKNOWN_SCHEMA after registering a schema\n"
                   "      --since UNIX_MS      only dead letters produced at or after this time\n"
                   "  -X, --kafka-prop K=V     librdkafka property for both clients (repeatable)\n"
                   "  -n, --dry-run            count what would be fed back, produce nothing\n"
                   "  -h, --help               this text\n"
                   "\n"
                   "Exit codes: 0 done, 1 runtime error, 2 usage.\n");
}

static swi_err_t from_beginning(void *opaque, int n, const char *const *topics,
                                const int32_t *partitions, int64_t *offsets)
{
        for (int i = 0; i < n; i++)
                offsets[i] = SWI_KAFKA_OFFSET_BEGINNING;
        return SWI_OK;
}

/* Copies a header value into buf as a string; "" when absent. */
static const char *header(const swi_kafka_msg_t *m, const char *name, char *buf, size_t size)
{
        const void *v;
        size_t len;

        buf[0] = '\0';
        if (swi_kafka_msg_header(m, name, &v, &len) == SWI_OK && v) {
                if (len >= size)
                        len = size - 1;
                memcpy(buf, v, len);
                buf[len] = '\0';
        }
        return buf;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"bootstrap", required_argument, NULL, 'b'},
            {"topic", required_argument, NULL, 't'},
            {"reason", required_argument, NULL, 'r'},
            {"since", required_argument, NULL, 1},
            {"kafka-prop", required_argument, NULL, 'X'},
            {"dry-run", no_argument, NULL, 'n'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *keys[MAX_PROPS + 1], *vals[MAX_PROPS + 1], *reasons[MAX_REASONS];
        const char *dlq = "swi.dead-letters", *bootstrap = NULL;
        char group[64], err[512];
        int nkv = 0, nreasons = 0, opt, dry = 0, rc = 1;
        long long since = 0;
        unsigned long long read = 0, fed = 0, skipped = 0, unroutable = 0;
        swi_kafka_consumer_t *c = NULL;
        swi_kafka_producer_t *p = NULL;

        while ((opt = getopt_long(argc, argv, "b:t:r:X:nh", opts, NULL)) != -1) {
                switch (opt) {
                case 'b':
                        bootstrap = optarg;
                        break;
                case 't':
                        dlq = optarg;
                        break;
                case 'r':
                        if (nreasons == MAX_REASONS) {
                                fprintf(stderr, "swi-redrive: at most %d reasons\n", MAX_REASONS);
                                return 2;
                        }
                        reasons[nreasons++] = optarg;
                        break;
                case 1:
                        since = strtoll(optarg, NULL, 10);
                        break;
                case 'X': {
                        char *eq = strchr(optarg, '=');
                        if (!eq || nkv == MAX_PROPS) {
                                fprintf(stderr, "swi-redrive: -X expects KEY=VALUE\n");
                                return 2;
                        }
                        *eq = '\0';
                        keys[nkv] = optarg;
                        vals[nkv++] = eq + 1;
                        break;
                }
                case 'n':
                        dry = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (!bootstrap || optind != argc) {
                usage(stderr);
                return 2;
        }
        swi_log_set_level("warn");
        keys[nkv] = "bootstrap.servers";
        vals[nkv++] = bootstrap;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        /* A group of its own that commits nothing: every run reads the whole topic. */
        snprintf(group, sizeof(group), "swi-redrive-%ld-%d", (long)time(NULL), (int)getpid());
        c = swi_kafka_consumer_new(keys, vals, nkv, group, &dlq, 1, from_beginning, NULL, NULL, err,
                                   sizeof(err));
        if (!c) {
                fprintf(stderr, "swi-redrive: %s\n", err);
                goto done;
        }
        if (!dry) {
                p = swi_kafka_producer_new(keys, vals, nkv, err, sizeof(err));
                if (!p) {
                        fprintf(stderr, "swi-redrive: %s\n", err);
                        goto done;
                }
        }
        while (!stop && !swi_kafka_consumer_caught_up(c)) {
                swi_kafka_msg_t m;
                int got = 0;
                char reason[64], src[256], from[320];
                bool want;

                if (swi_kafka_consumer_poll(c, 200, &m, &got) != SWI_OK) {
                        fprintf(stderr, "swi-redrive: consumer failed\n");
                        goto done;
                }
                if (!got)
                        continue;
                read++;
                header(&m, "swi.reason", reason, sizeof(reason));
                header(&m, "swi.source.topic", src, sizeof(src));
                want = nreasons == 0;
                for (int i = 0; i < nreasons; i++)
                        if (strcmp(reasons[i], reason) == 0)
                                want = true;
                if (since > 0 && m.timestamp_ms < since)
                        want = false;
                if (!want) {
                        skipped++;
                } else if (!src[0]) {
                        unroutable++; /* not a swi-etl dead letter */
                } else if (!dry) {
                        const char *hn[] = {"swi.redriven-from"};
                        const char *hv[] = {from};
                        snprintf(from, sizeof(from), "%s:%d:%lld", dlq, (int)m.partition,
                                 (long long)m.offset);
                        if (swi_kafka_produce(p, src, -1, m.key, m.key_len, m.payload, m.len, hn,
                                              hv, 1) != SWI_OK) {
                                swi_kafka_msg_release(&m);
                                fprintf(stderr, "swi-redrive: produce to %s failed\n", src);
                                goto done;
                        }
                        fed++;
                } else {
                        fed++;
                }
                swi_kafka_msg_release(&m);
        }
        if (p && swi_kafka_producer_flush(p, 30000) != SWI_OK) {
                fprintf(stderr, "swi-redrive: not every message was delivered\n");
                goto done;
        }
        printf("%s: read %llu dead letters, %s %llu, skipped %llu, without a source topic %llu\n",
               dlq, read, dry ? "would feed back" : "fed back", fed, skipped, unroutable);
        rc = stop ? 1 : 0;
done:
        swi_kafka_consumer_close(c, 5000);
        swi_kafka_producer_destroy(p);
        return rc;
}
