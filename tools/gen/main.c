/* swi-gen - synthetic registry streams for swi-stream (docs/generator.md).
 *
 * Generates a deterministic population (population.c), encodes its events in
 * the Confluent wire format (encoder.c) and delivers them to Kafka
 * (-b/--bootstrap) and/or to a replay file (--out), with a manifest of what
 * was sent (--manifest).
 *
 * Exit codes: 0 ok, 1 runtime error, 2 usage error. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/log.h"
#include "../../ingest/kafka.h"
#include "encoder.h"
#include "population.h"

#define EXIT_USAGE      2
#define MAX_KAFKA_PROPS 32

typedef enum otype_e { OT_COUNT, OT_SHARE, OT_RATE, OT_DATE, OT_STR, OT_KV, OT_FLAG } otype_t;

typedef enum oid_e {
        O_PERSONS,
        O_SEED,
        O_UNTIL,
        O_RATE,
        O_DUPLICATES,
        O_LATE,
        O_CORRECTIONS,
        O_RETRACTIONS,
        O_BAD,
        O_OLD_SCHEMA,
        O_BAD_REFERENCES,
        O_SCHEMA_DIR,
        O_BOOTSTRAP,
        O_TOPIC_PREFIX,
        O_KAFKA_PROP,
        O_OUT,
        O_MANIFEST,
        O_QUIET,
        O_HELP,
        O_VERSION,
        O__CNT
} oid_t;

/* The one table of options: getopt_long, --help and docs/generator.md follow it. */
static const struct opt_s {
        oid_t id;
        const char *name;
        int shortopt; /* 0: none */
        otype_t type;
        const char *def; /* NULL: none */
        const char *help;
} opts[] = {
    {O_PERSONS, "persons", 'n', OT_COUNT, "1000", "number of persons to generate"},
    {O_SEED, "seed", 's', OT_COUNT, "1", "PRNG seed; same seed and options, same bytes"},
    {O_UNTIL, "until", 0, OT_DATE, "2025-06-30",
     "generation horizon: no event dated or registered after this day"},
    {O_RATE, "rate", 'r', OT_RATE, "0", "messages per second (0: as fast as possible)"},
    {O_DUPLICATES, "duplicates", 0, OT_SHARE, "0.01", "share of messages re-sent byte-identically"},
    {O_LATE, "late", 0, OT_SHARE, "0.02",
     "share of events registered long after their date, or delivered late"},
    {O_CORRECTIONS, "corrections", 0, OT_SHARE, "0.02",
     "share of events corrected by a later event (`corrects`)"},
    {O_RETRACTIONS, "retractions", 0, OT_SHARE, "0.005",
     "share of events retracted by an Intrekking"},
    {O_BAD, "bad", 0, OT_SHARE, "0.002",
     "bad messages per good event, spread over every reject reason"},
    {O_OLD_SCHEMA, "old-schema", 0, OT_SHARE, "0.3",
     "share of BredeIntakeAfgerond without jonge_kinderen written with schema id 100 (v1)"},
    {O_BAD_REFERENCES, "bad-references", 0, OT_COUNT, "0",
     "N corrections of another event type, N with another bsn and N Intrekkingen of an "
     "Intrekking, each after its target"},
    {O_SCHEMA_DIR, "schema-dir", 0, OT_STR, "schemas",
     "directory with registry.json and the .avsc files"},
    {O_BOOTSTRAP, "bootstrap", 'b', OT_STR, NULL, "produce to these Kafka brokers (host:port,...)"},
    {O_TOPIC_PREFIX, "topic-prefix", 0, OT_STR, "",
     "prefix of the topic names (<prefix>ind.events, ...)"},
    {O_KAFKA_PROP, "kafka-prop", 'X', OT_KV, NULL,
     "librdkafka producer property KEY=VALUE (repeatable)"},
    {O_OUT, "out", 'o', OT_STR, NULL, "write the messages to this replay file (format: encoder.h)"},
    {O_MANIFEST, "manifest", 'm', OT_STR, NULL, "write the manifest (JSON) to this file"},
    {O_QUIET, "quiet", 'q', OT_FLAG, NULL, "no progress lines on stderr"},
    {O_HELP, "help", 'h', OT_FLAG, NULL, "show this help"},
    {O_VERSION, "version", 'V', OT_FLAG, NULL, "show the version"},
};
#define NOPTS ((int)(sizeof(opts) / sizeof(opts[0])))

typedef struct cfg_s {
        swi_gen_opts_t gen;
        double rate;
        const char *schema_dir, *bootstrap, *out, *manifest;
        int nkafka;
        const char *kafka_keys[MAX_KAFKA_PROPS + 1], *kafka_vals[MAX_KAFKA_PROPS + 1];
        char *kafka_buf[MAX_KAFKA_PROPS];
        bool quiet;
} cfg_t;

static const char *type_name(otype_t t)
{
        static const char *n[] = {"N", "SHARE", "N/S", "YYYY-MM-DD", "STRING", "KEY=VALUE", ""};
        return n[t];
}

static void usage(FILE *f)
{
        fprintf(f, "usage: swi-gen [options] (-b SERVERS | --out FILE) [--manifest FILE]\n\n"
                   "Generates synthetic IND, COA, DUO and gemeente event streams.\n\n");
        for (int i = 0; i < NOPTS; i++) {
                char lhs[64];
                if (opts[i].shortopt)
                        snprintf(lhs, sizeof(lhs), "-%c, --%s %s", opts[i].shortopt, opts[i].name,
                                 type_name(opts[i].type));
                else
                        snprintf(lhs, sizeof(lhs), "    --%s %s", opts[i].name,
                                 type_name(opts[i].type));
                fprintf(f, "  %-34s %s", lhs, opts[i].help);
                if (opts[i].def && opts[i].def[0])
                        fprintf(f, " (default %s)", opts[i].def);
                fputc('\n', f);
        }
        fprintf(f, "\nSHARE is a number in [0, 1]. Exit codes: 0 ok, 1 runtime error, 2 usage.\n");
}

/* Applies one option value; returns 0, or -1 with a message on stderr. */
static int apply(cfg_t *c, const struct opt_s *o, const char *v)
{
        char *end = NULL;
        double d;
        unsigned long long u;

        errno = 0;
        switch (o->type) {
        case OT_COUNT:
                if (!v[0] || v[0] == '-')
                        goto bad;
                u = strtoull(v, &end, 10);
                if (errno || *end)
                        goto bad;
                if (o->id == O_PERSONS) {
                        if (u > 10000000ULL) {
                                fprintf(stderr, "swi-gen: --persons at most 10000000\n");
                                return -1;
                        }
                        c->gen.persons = u;
                } else if (o->id == O_BAD_REFERENCES) {
                        c->gen.bad_references = u;
                } else {
                        c->gen.seed = u;
                }
                return 0;
        case OT_SHARE:
        case OT_RATE:
                d = strtod(v, &end);
                if (errno || !v[0] || *end || !isfinite(d) || d < 0 ||
                    (o->type == OT_SHARE && d > 1))
                        goto bad;
                switch (o->id) {
                case O_RATE:
                        c->rate = d;
                        break;
                case O_DUPLICATES:
                        c->gen.duplicates = d;
                        break;
                case O_LATE:
                        c->gen.late = d;
                        break;
                case O_CORRECTIONS:
                        c->gen.corrections = d;
                        break;
                case O_RETRACTIONS:
                        c->gen.retractions = d;
                        break;
                case O_BAD:
                        c->gen.bad = d;
                        break;
                case O_OLD_SCHEMA:
                        c->gen.old_schema = d;
                        break;
                default:
                        break;
                }
                return 0;
        case OT_DATE:
                if (swi_date_parse(v, &c->gen.until) != 0 ||
                    c->gen.until < swi_date_from_ymd(2000, 1, 1))
                        goto bad;
                return 0;
        case OT_STR:
                switch (o->id) {
                case O_SCHEMA_DIR:
                        c->schema_dir = v;
                        break;
                case O_BOOTSTRAP:
                        c->bootstrap = v;
                        break;
                case O_TOPIC_PREFIX:
                        c->gen.topic_prefix = v;
                        break;
                case O_OUT:
                        c->out = v;
                        break;
                case O_MANIFEST:
                        c->manifest = v;
                        break;
                default:
                        break;
                }
                return 0;
        case OT_KV: {
                char *kv, *eq;
                if (c->nkafka >= MAX_KAFKA_PROPS || !(eq = strchr(v, '=')) || eq == v)
                        goto bad;
                kv = strdup(v);
                if (!kv)
                        goto bad;
                kv[eq - v] = '\0';
                c->kafka_buf[c->nkafka] = kv;
                c->kafka_keys[c->nkafka] = kv;
                c->kafka_vals[c->nkafka] = kv + (eq - v) + 1;
                c->nkafka++;
                return 0;
        }
        case OT_FLAG:
                return 0;
        }
bad:
        fprintf(stderr, "swi-gen: invalid value for --%s: '%s' (expected %s)\n", o->name, v,
                type_name(o->type));
        return -1;
}

/* 0: run; 1: exit 0 (help/version); -1: usage error. */
static int parse_args(cfg_t *c, int argc, char **argv)
{
        struct option lo[NOPTS + 1];
        char shortopts[3 * NOPTS + 2];
        size_t k = 0;
        int ch, idx;

        swi_gen_opts_default(&c->gen);
        for (int i = 0; i < NOPTS; i++) {
                lo[i].name = opts[i].name;
                lo[i].has_arg = opts[i].type == OT_FLAG ? no_argument : required_argument;
                lo[i].flag = NULL;
                lo[i].val = 256 + i;
                if (opts[i].shortopt) {
                        shortopts[k++] = (char)opts[i].shortopt;
                        if (opts[i].type != OT_FLAG)
                                shortopts[k++] = ':';
                }
                if (opts[i].def && apply(c, &opts[i], opts[i].def) != 0)
                        return -1;
        }
        memset(&lo[NOPTS], 0, sizeof(lo[NOPTS]));
        shortopts[k] = '\0';
        while ((ch = getopt_long(argc, argv, shortopts, lo, &idx)) != -1) {
                const struct opt_s *o = NULL;
                if (ch == '?' || ch == ':')
                        return -1;
                for (int i = 0; i < NOPTS; i++)
                        if (ch == 256 + i || ch == opts[i].shortopt)
                                o = &opts[i];
                if (!o)
                        return -1;
                switch (o->id) {
                case O_HELP:
                        usage(stdout);
                        return 1;
                case O_VERSION:
                        printf("swi-gen %s\n", SWI_VERSION);
                        return 1;
                case O_QUIET:
                        c->quiet = true;
                        break;
                default:
                        if (apply(c, o, optarg) != 0)
                                return -1;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "swi-gen: unexpected argument '%s'\n", argv[optind]);
                return -1;
        }
        if (!c->bootstrap && !c->out) {
                fprintf(stderr, "swi-gen: give -b/--bootstrap or --out (or both)\n");
                return -1;
        }
        c->gen.progress = !c->quiet;
        return 0;
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pace(double t0, size_t sent, double rate)
{
        double due = t0 + (double)sent / rate, now = now_s();
        if (due > now) {
                struct timespec ts;
                double w = due - now;
                ts.tv_sec = (time_t)w;
                ts.tv_nsec = (long)((w - (double)ts.tv_sec) * 1e9);
                nanosleep(&ts, NULL);
        }
}

static int deliver(const cfg_t *c, const swi_gen_t *g)
{
        swi_kafka_producer_t *prod = NULL;
        FILE *out = NULL;
        char errstr[512];
        size_t n = swi_gen_count(g);
        double t0 = now_s(), last = t0;
        int rc = 1;

        if (c->out) {
                out = fopen(c->out, "wb");
                if (!out) {
                        SWI_LOG_E("gen", "cannot open output file", "path=%s error=\"%s\"", c->out,
                                  strerror(errno));
                        goto done;
                }
                setvbuf(out, NULL, _IOFBF, 1 << 20);
        }
        if (c->bootstrap) {
                /* room for every message the embedded broker can keep (a -X
                 * message.max.bytes given by the user comes later and wins) */
                const char *keys[MAX_KAFKA_PROPS + 2], *vals[MAX_KAFKA_PROPS + 2];
                keys[0] = "bootstrap.servers";
                vals[0] = c->bootstrap;
                keys[1] = "message.max.bytes";
                vals[1] = SWI_KAFKA_EMBEDDED_MESSAGE_MAX;
                for (int i = 0; i < c->nkafka; i++) {
                        keys[i + 2] = c->kafka_keys[i];
                        vals[i + 2] = c->kafka_vals[i];
                }
                prod = swi_kafka_producer_new(keys, vals, c->nkafka + 2, errstr, sizeof(errstr));
                if (!prod) {
                        SWI_LOG_E("gen", "cannot create Kafka producer", "error=\"%s\"", errstr);
                        goto done;
                }
        }
        for (size_t i = 0; i < n; i++) {
                swi_gen_msg_t m;
                swi_gen_message(g, i, &m);
                if (c->rate > 0)
                        pace(t0, i, c->rate);
                if (out && swi_gen_record_write(out, m.topic, m.key, m.key_len, m.val, m.val_len) !=
                               SWI_OK) {
                        SWI_LOG_E("gen", "write failed", "path=%s error=\"%s\"", c->out,
                                  strerror(errno));
                        goto done;
                }
                if (prod && !swi_kafka_embedded_fits(m.key_len, m.val_len)) {
                        /* it would drop its partition's whole history in the
                         * embedded broker (docs/architecture.md) */
                        SWI_LOG_E("gen",
                                  "message over the embedded broker's 5 MiB per partition; "
                                  "not produced",
                                  "index=%zu topic=%s bytes=%zu", i, m.topic,
                                  m.key_len + m.val_len);
                        goto done;
                }
                if (prod) {
                        swi_err_t err = swi_kafka_produce(prod, m.topic, -1, m.key, m.key_len,
                                                          m.val, m.val_len, NULL, NULL, 0);
                        if (err != SWI_OK) {
                                SWI_LOG_E("gen", "produce failed", "topic=%s error=\"%s\"", m.topic,
                                          swi_err2str(err));
                                goto done;
                        }
                }
                if (!c->quiet && (i & 1023) == 0 && now_s() - last > 3) {
                        last = now_s();
                        SWI_LOG_I("gen", "delivering", "sent=%zu of=%zu", i, n);
                }
        }
        if (prod) {
                swi_err_t err = swi_kafka_producer_flush(prod, 60000);
                if (err != SWI_OK) {
                        SWI_LOG_E("gen", "Kafka flush failed", "error=\"%s\"", swi_err2str(err));
                        goto done;
                }
        }
        if (out) {
                FILE *f = out;
                out = NULL;
                if (fclose(f) != 0) {
                        SWI_LOG_E("gen", "write failed", "path=%s error=\"%s\"", c->out,
                                  strerror(errno));
                        goto done;
                }
        }
        if (!c->quiet)
                SWI_LOG_I("gen", "delivered", "messages=%zu seconds=%.1f", n, now_s() - t0);
        rc = 0;
done:
        if (out)
                fclose(out);
        swi_kafka_producer_destroy(prod);
        return rc;
}

int main(int argc, char **argv)
{
        cfg_t c;
        swi_gen_encoder_t *enc = NULL;
        swi_gen_t *g = NULL;
        char errstr[512];
        int rc;

        memset(&c, 0, sizeof(c));
        rc = parse_args(&c, argc, argv);
        if (rc != 0) {
                if (rc < 0)
                        fprintf(stderr, "Try 'swi-gen --help'.\n");
                rc = rc < 0 ? EXIT_USAGE : 0;
                goto done;
        }
        rc = 1;
        enc = swi_gen_encoder_new(c.schema_dir, errstr, sizeof(errstr));
        if (!enc) {
                SWI_LOG_E("gen", "cannot load schemas", "dir=%s error=\"%s\"", c.schema_dir,
                          errstr);
                goto done;
        }
        if (!c.quiet)
                SWI_LOG_I("gen", "start",
                          "persons=%llu seed=%llu until=%s duplicates=%g late=%g corrections=%g "
                          "retractions=%g bad=%g old_schema=%g bad_references=%llu rate=%g",
                          (unsigned long long)c.gen.persons, (unsigned long long)c.gen.seed,
                          swi_date_format(c.gen.until, (char[SWI_DATE_BUF]){0}), c.gen.duplicates,
                          c.gen.late, c.gen.corrections, c.gen.retractions, c.gen.bad,
                          c.gen.old_schema, (unsigned long long)c.gen.bad_references, c.rate);
        g = swi_gen_run(&c.gen, enc, errstr, sizeof(errstr));
        if (!g) {
                SWI_LOG_E("gen", "generation failed", "error=\"%s\"", errstr);
                goto done;
        }
        if (deliver(&c, g) != 0)
                goto done;
        if (c.manifest) {
                FILE *f = fopen(c.manifest, "w");
                swi_err_t err = f ? swi_gen_manifest_write(g, f) : SWI_ERR_IO;
                if (f && fclose(f) != 0)
                        err = SWI_ERR_IO;
                if (err != SWI_OK) {
                        SWI_LOG_E("gen", "cannot write manifest", "path=%s error=\"%s\"",
                                  c.manifest, swi_err2str(err));
                        goto done;
                }
        }
        rc = 0;
done:
        swi_gen_destroy(g);
        swi_gen_encoder_destroy(enc);
        for (int i = 0; i < c.nkafka; i++)
                free(c.kafka_buf[i]);
        return rc;
}
