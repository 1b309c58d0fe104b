/* swi-replay - produces a swi-gen replay file (--out) to Kafka in a chosen
 * order: as generated, shuffled, or by registered_at; optionally with every
 * BsnToegekend first or last, and only a slice of the messages. Used by the
 * permutation and knowledge-time tests; also handy to re-feed a recorded
 * stream. Partitioning is deterministic (messages without a key included):
 * the same slice into a fresh broker lands on the same partitions and
 * offsets. */
#include <getopt.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ingest/kafka.h"
#include "ingest/wire_format.h"
#include "tools/gen/encoder.h"

typedef struct msg_s {
        char topic[64];
        uint8_t *key, *val;
        size_t key_len, val_len;
        int64_t registered_at; /* 0 when the message does not decode */
        int bsn_toegekend;
        int is_ref;            /* a correction or retraction */
        uint64_t rank;         /* shuffle key */
        size_t index;          /* position in the file */
} msg_t;

static uint64_t splitmix(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static int order_mode; /* 0 file, 1 shuffle, 2 registered */
static int bsn_mode;   /* 0 none, 1 first, 2 last */
static int ref_mode;   /* 0 all, 1 only corrections and retractions, 2 none of them */

static int cmp_msg(const void *a, const void *b)
{
        const msg_t *x = a, *y = b;
        if (bsn_mode && x->bsn_toegekend != y->bsn_toegekend)
                return (bsn_mode == 1) == (x->bsn_toegekend > y->bsn_toegekend) ? -1 : 1;
        if (order_mode == 1 && x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        if (order_mode == 2 && x->registered_at != y->registered_at)
                return x->registered_at < y->registered_at ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: swi-replay --in FILE -b SERVERS [options]\n"
                "Produces the messages of a swi-gen replay file to Kafka.\n\n"
                "  -i, --in FILE            replay file written by swi-gen --out\n"
                "  -b, --bootstrap SERVERS  Kafka bootstrap servers\n"
                "      --schema-dir DIR     schemas (to read registered_at; default schemas)\n"
                "      --order MODE         file (default), shuffle, or registered\n"
                "      --seed N             shuffle seed (default 1)\n"
                "      --bsn-first          every BsnToegekend before everything else\n"
                "      --bsn-last           every BsnToegekend after everything else\n"
                "      --refs-only          only the corrections and retractions\n"
                "      --no-refs            everything but the corrections and retractions\n"
                "                           (with --refs-only first: references consumed before\n"
                "                           their targets)\n"
                "      --from N             skip the first N messages of the ordered stream\n"
                "      --to N               stop before message N of the ordered stream\n"
                "      --rate N             produce at most N messages per second (0: as fast as\n"
                "                           possible, the default): a live feed, not a backfill\n"
                "      --print-k            print max registered_at (ms) of the produced slice\n"
                "                           and min registered_at of the rest, then exit 0\n"
                "  -h, --help\n\n"
                "A message over 5 MiB (key and value) is refused before anything is produced:\n"
                "in the embedded broker it would drop its partition's whole history\n"
                "(docs/architecture.md).\n");
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"in", required_argument, NULL, 'i'},
                {"bootstrap", required_argument, NULL, 'b'},
                {"schema-dir", required_argument, NULL, 1},
                {"order", required_argument, NULL, 2},
                {"seed", required_argument, NULL, 3},
                {"bsn-first", no_argument, NULL, 4},
                {"bsn-last", no_argument, NULL, 5},
                {"from", required_argument, NULL, 6},
                {"to", required_argument, NULL, 7},
                {"print-k", no_argument, NULL, 8},
                {"rate", required_argument, NULL, 9},
                {"refs-only", no_argument, NULL, 10},
                {"no-refs", no_argument, NULL, 11},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *in = NULL, *bootstrap = NULL, *schema_dir = "schemas";
        uint64_t seed = 1;
        size_t from = 0, to = (size_t)-1;
        int print_k = 0, opt, rc = 1;
        double rate = 0;
        char err[512];

        while ((opt = getopt_long(argc, argv, "i:b:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'i': in = optarg; break;
                case 'b': bootstrap = optarg; break;
                case 1: schema_dir = optarg; break;
                case 2:
                        order_mode = !strcmp(optarg, "shuffle") ? 1 : !strcmp(optarg, "registered") ? 2 : 0;
                        if (order_mode == 0 && strcmp(optarg, "file")) {
                                fprintf(stderr, "swi-replay: unknown --order %s\n", optarg);
                                return 2;
                        }
                        break;
                case 3: seed = strtoull(optarg, NULL, 10); break;
                case 4: bsn_mode = 1; break;
                case 5: bsn_mode = 2; break;
                case 6: from = strtoull(optarg, NULL, 10); break;
                case 7: to = strtoull(optarg, NULL, 10); break;
                case 8: print_k = 1; break;
                case 9:
                        rate = strtod(optarg, NULL);
                        if (!(rate >= 0)) {
                                fprintf(stderr, "swi-replay: --rate %s is not a rate >= 0\n", optarg);
                                return 2;
                        }
                        break;
                case 10: ref_mode = 1; break;
                case 11: ref_mode = 2; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (!in || (!bootstrap && !print_k)) {
                usage(stderr);
                return 2;
        }
        swi_gen_encoder_t *enc = swi_gen_encoder_new(schema_dir, err, sizeof(err));
        if (!enc) {
                fprintf(stderr, "swi-replay: %s\n", err);
                return 1;
        }
        FILE *f = fopen(in, "rb");
        if (!f) {
                fprintf(stderr, "swi-replay: cannot open %s\n", in);
                swi_gen_encoder_destroy(enc);
                return 1;
        }
        msg_t *m = NULL;
        size_t n = 0, cap = 0;
        swi_gen_record_t rec;
        memset(&rec, 0, sizeof(rec));
        int r;
        while ((r = swi_gen_record_read(f, &rec)) == 1) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 4096;
                        m = realloc(m, cap * sizeof(*m));
                }
                msg_t *x = &m[n];
                memset(x, 0, sizeof(*x));
                snprintf(x->topic, sizeof(x->topic), "%s", rec.topic);
                x->key_len = rec.key.len;
                x->val_len = rec.val.len;
                x->key = malloc(x->key_len + 1);
                x->val = malloc(x->val_len + 1);
                memcpy(x->key, rec.key.data, x->key_len);
                memcpy(x->val, rec.val.data, x->val_len);
                x->index = n;
                x->rank = splitmix(&seed);
                int32_t id;
                const uint8_t *body;
                size_t blen;
                char detail[128];
                swi_event_t ev;
                /* decoded only when the order or selection needs it: the file is trusted,
                 * but may hold hostile bodies (test_hostile_input.sh) whose
                 * absurd string lengths Avro C would try to allocate */
                if ((order_mode == 2 || bsn_mode != 0 || ref_mode != 0 || print_k) &&
                    swi_wire_unframe(x->val, x->val_len, &id, &body, &blen, detail,
                                     sizeof(detail)) == SWI_REASON_NONE &&
                    swi_gen_decode(enc, id, body, blen, &ev) == SWI_OK) {
                        x->registered_at = ev.registered_at;
                        x->bsn_toegekend = ev.type == SWI_EV_IND_BSN_TOEGEKEND;
                        x->is_ref = ev.has_corrects || ev.has_retracts;
                }
                if ((ref_mode == 1 && !x->is_ref) || (ref_mode == 2 && x->is_ref)) {
                        free(x->key);
                        free(x->val);
                        continue;
                }
                n++;
        }
        fclose(f);
        swi_gen_record_free(&rec);
        if (r < 0) {
                fprintf(stderr, "swi-replay: %s is truncated or malformed\n", in);
                goto done;
        }
        qsort(m, n, sizeof(*m), cmp_msg);
        if (to > n)
                to = n;
        if (from > to)
                from = to;
        if (print_k) {
                int64_t kmax = 0, rest_min = INT64_MAX;
                for (size_t i = from; i < to; i++)
                        if (m[i].registered_at > kmax)
                                kmax = m[i].registered_at;
                for (size_t i = to; i < n; i++)
                        if (m[i].registered_at && m[i].registered_at < rest_min)
                                rest_min = m[i].registered_at;
                printf("%lld %lld\n", (long long)kmax, (long long)rest_min);
                rc = 0;
                goto done;
        }
        {
                /* "consistent": a message without a key goes to the same partition
                 * every time (the default sends it to a random one), so the same
                 * file into a fresh broker gives the same partitions and offsets -
                 * which lets a database copy continue from its stored offsets */
                const char *keys[] = {"bootstrap.servers", "partitioner", "message.max.bytes"};
                const char *vals[] = {bootstrap, "consistent", SWI_KAFKA_EMBEDDED_MESSAGE_MAX};
                /* refuse before producing anything: a message over the embedded
                 * broker's 5 MiB would drop its partition's whole history there */
                for (size_t i = from; i < to; i++) {
                        if (!swi_kafka_embedded_fits(m[i].key_len, m[i].val_len)) {
                                fprintf(stderr,
                                        "swi-replay: message %zu of %s (topic %s) is %zu bytes: "
                                        "over the embedded broker's 5 MiB per partition, where "
                                        "it would drop the partition's whole history "
                                        "(docs/architecture.md); nothing produced\n",
                                        m[i].index, in, m[i].topic, m[i].key_len + m[i].val_len);
                                goto done;
                        }
                }
                swi_kafka_producer_t *p = swi_kafka_producer_new(keys, vals, 3, err, sizeof(err));
                if (!p) {
                        fprintf(stderr, "swi-replay: %s\n", err);
                        goto done;
                }
                struct timespec t0;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                for (size_t i = from; i < to; i++) {
                        if (rate > 0) { /* message i - from is due at t0 + (i - from) / rate */
                                struct timespec now;
                                clock_gettime(CLOCK_MONOTONIC, &now);
                                double due = (double)(i - from) / rate,
                                       el = (double)(now.tv_sec - t0.tv_sec) +
                                            (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
                                if (due > el) {
                                        struct timespec d = {(time_t)(due - el),
                                                             (long)((due - el - (double)(time_t)(due - el)) * 1e9)};
                                        nanosleep(&d, NULL);
                                }
                        }
                        if (swi_kafka_produce(p, m[i].topic, -1, m[i].key, m[i].key_len, m[i].val,
                                              m[i].val_len, NULL, NULL, 0) != SWI_OK)
                                goto pdone;
                }
                if (swi_kafka_producer_flush(p, 60000) == SWI_OK)
                        rc = 0;
pdone:
                swi_kafka_producer_destroy(p);
                fprintf(stderr, "swi-replay: produced messages %zu..%zu of %zu\n", from, to, n);
        }
done:
        for (size_t i = 0; i < n; i++) {
                free(m[i].key);
                free(m[i].val);
        }
        free(m);
        swi_gen_encoder_destroy(enc);
        return rc;
}
