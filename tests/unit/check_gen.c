/* check_gen.c - the generator swi-gen: determinism, coverage of event types
 * and reject reasons, identifiers, keys, dates, and the manifest against the
 * messages actually written. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../ingest/wire_format.h"
#include "../../tools/gen/encoder.h"
#include "../../tools/gen/population.h"

#define DAY_MS     86400000LL
#define SCHEMA_DIR SWI_SOURCE_DIR "/schemas"

/* libavro keeps its last error message in a buffer it never frees. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
        return "leak:libavro.so\n";
}

/* ---- helpers --------------------------------------------------------------- */

static char gems[400][8];
static int ngems;

static void load_gems(void)
{
        FILE *f;
        char line[256];

        if (ngems)
                return;
        f = fopen(SWI_SOURCE_DIR "/transform/data/gemeenten_2024.csv", "r");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "GM", 2) && ngems < 400)
                        snprintf(gems[ngems++], 8, "%.6s", line);
        fclose(f);
        ck_assert_int_eq(ngems, 342);
}

static bool gem_valid(const char *code, int32_t date)
{
        static const struct {
                const char *code;
                int y, m, d;
        } dissolved[] = {{"GM0457", 2022, 3, 23},
                         {"GM0501", 2022, 12, 31},
                         {"GM0530", 2022, 12, 31},
                         {"GM0614", 2022, 12, 31}};
        for (int i = 0; i < ngems; i++)
                if (!strcmp(gems[i], code))
                        return true;
        for (int i = 0; i < 4; i++)
                if (!strcmp(dissolved[i].code, code))
                        return date <=
                               swi_date_from_ymd(dissolved[i].y, dissolved[i].m, dissolved[i].d);
        return false;
}

static bool digits(const char *s, size_t n)
{
        if (strlen(s) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

static swi_source_t topic_source(const char *topic)
{
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                char t[64];
                snprintf(t, sizeof(t), "%s.events", swi_source_name((swi_source_t)s));
                if (!strcmp(t, topic))
                        return (swi_source_t)s;
        }
        return SWI_SRC__CNT;
}

/* Every stateless defect of one message (events.md "What counts as bad
 * input"), as a bit set over swi_reason_t. ev is filled when it decodes. */
static unsigned defects(swi_gen_encoder_t *enc, const char *topic, const uint8_t *val, size_t len,
                        swi_event_t *ev, int32_t *schema_id)
{
        const uint8_t *body;
        size_t blen;
        char detail[128];
        unsigned d = 0;
        swi_source_t tsrc = topic_source(topic);
        bool by_bsn;

        memset(ev, 0, sizeof(*ev));
        ev->type = SWI_EV_NONE;
        *schema_id = -1;
        if (swi_wire_unframe(val, len, schema_id, &body, &blen, detail, sizeof(detail)) !=
            SWI_REASON_NONE)
                return 1u << SWI_REASON_BAD_FRAMING;
        if (!swi_gen_encoder_knows(enc, *schema_id))
                return 1u << SWI_REASON_UNKNOWN_SCHEMA;
        if (swi_gen_decode(enc, *schema_id, body, blen, ev) != SWI_OK) {
                ev->type = SWI_EV_NONE;
                return 1u << SWI_REASON_UNDECODABLE;
        }
        if (ev->source != tsrc)
                return 1u << SWI_REASON_WRONG_SOURCE;
        by_bsn = ev->source == SWI_SRC_DUO || ev->source == SWI_SRC_GEMEENTE;
        if ((by_bsn && !ev->has_bsn) || (!by_bsn && !ev->has_vnr) ||
            (ev->type == SWI_EV_IND_BSN_TOEGEKEND && !(ev->has_bsn && ev->has_vnr)))
                d |= 1u << SWI_REASON_NO_IDENTITY;
        if (ev->has_bsn && !swi_gen_bsn_valid(ev->bsn))
                d |= 1u << SWI_REASON_INVALID_BSN;
        if (ev->has_vnr && !digits(ev->vnr, 10))
                d |= 1u << SWI_REASON_INVALID_VNUMMER;
        for (int i = 0; i < ev->nfields; i++) {
                const swi_field_t *f = &ev->fields[i];
                /* (dates decode as INT too; birth dates before 1970 are negative) */
                if (f->kind == SWI_V_INT && f->i < 0 &&
                    (strstr(f->name, "uren") || !strcmp(f->name, "afstand_km") ||
                     !strcmp(f->name, "bedrag_eur")))
                        d |= 1u << SWI_REASON_INVALID_VALUE;
                if (!strcmp(f->name, "score") && f->i > 40)
                        d |= 1u << SWI_REASON_INVALID_VALUE;
                if (f->kind == SWI_V_STRING && strstr(f->name, "gemeente") &&
                    !gem_valid(f->s, ev->event_date))
                        d |= 1u << SWI_REASON_INVALID_VALUE;
        }
        {
                const swi_field_t *gb = swi_event_field(ev, "geboortedatum");
                if (gb && (gb->i > ev->event_date || gb->i < swi_date_from_ymd(1900, 1, 1)))
                        d |= 1u << SWI_REASON_INVALID_VALUE;
        }
        if (ev->has_retracts && ev->has_corrects)
                d |= 1u << SWI_REASON_INVALID_VALUE;
        if (ev->event_date < swi_date_from_ymd(1900, 1, 1) ||
            ev->event_date > (int32_t)(ev->registered_at / DAY_MS) + 1)
                d |= 1u << SWI_REASON_IMPLAUSIBLE_DATE;
        return d;
}

static int reason_of(unsigned set)
{
        for (int r = 1; r < SWI_REASON__CNT; r++)
                if (set == 1u << r)
                        return r;
        return -1;
}

/* Generates into memory with the given options. */
static swi_gen_t *generate(swi_gen_encoder_t *enc, const swi_gen_opts_t *o)
{
        char errstr[256];
        swi_gen_t *g = swi_gen_run(o, enc, errstr, sizeof(errstr));
        ck_assert_msg(g != NULL, "swi_gen_run: %s", errstr);
        return g;
}

static swi_gen_encoder_t *encoder(void)
{
        char errstr[256];
        swi_gen_encoder_t *enc = swi_gen_encoder_new(SCHEMA_DIR, errstr, sizeof(errstr));
        ck_assert_msg(enc != NULL, "encoder: %s", errstr);
        return enc;
}

static int run_cli(const char *args)
{
        char cmd[1024];
        int st;
        snprintf(cmd, sizeof(cmd), "'%s' -q --schema-dir '%s' %s 2>/dev/null", SWI_GEN_BIN,
                 SCHEMA_DIR, args);
        st = system(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int files_equal(const char *a, const char *b)
{
        FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
        int ca, cb, eq = 1;
        ck_assert_ptr_nonnull(fa);
        ck_assert_ptr_nonnull(fb);
        do {
                ca = fgetc(fa);
                cb = fgetc(fb);
                if (ca != cb)
                        eq = 0;
        } while (eq && ca != EOF);
        fclose(fa);
        fclose(fb);
        return eq;
}

/* ---- tests ----------------------------------------------------------------- */

START_TEST(test_gen_bsn_elfproef)
{
        ck_assert(swi_gen_bsn_valid("111222333"));
        ck_assert(!swi_gen_bsn_valid("111222334"));
        ck_assert(!swi_gen_bsn_valid("000000000"));
        ck_assert(!swi_gen_bsn_valid("11122233"));
        ck_assert(!swi_gen_bsn_valid("11122233X"));
}
END_TEST

START_TEST(test_gen_encoder_roundtrip)
{
        swi_gen_encoder_t *enc = encoder();
        swi_gen_buf_t buf = {0};
        swi_event_t ev, back;
        const uint8_t *body;
        size_t blen;
        int32_t id;
        char detail[64];

        memset(&ev, 0, sizeof(ev));
        ev.source = SWI_SRC_GEMEENTE;
        ev.type = SWI_EV_GEM_BREDE_INTAKE_AFGEROND;
        strcpy(ev.event_id, "6f1c2a4e-2b1d-4c55-9a7e-0c1d2e3f4a5b");
        ev.has_bsn = true;
        strcpy(ev.bsn, "111222333");
        ev.event_date = swi_date_from_ymd(2024, 2, 29);
        ev.registered_at = (int64_t)ev.event_date * DAY_MS + 3600000;
        ev.nfields = 2;
        strcpy(ev.fields[0].name, "gemeente");
        ev.fields[0].kind = SWI_V_STRING;
        strcpy(ev.fields[0].s, "GM0363");
        strcpy(ev.fields[1].name, "opleidingsniveau");
        ev.fields[1].kind = SWI_V_STRING;
        strcpy(ev.fields[1].s, "MBO");

        ck_assert_int_eq(swi_gen_encoder_current_id(enc, ev.type), 26);
        ck_assert_int_eq(swi_gen_encode(enc, &ev, SWI_GEN_SCHEMA_BI_AFGEROND_V1, &buf), SWI_OK);
        ck_assert_int_eq(
            swi_wire_unframe(buf.data, buf.len, &id, &body, &blen, detail, sizeof(detail)),
            SWI_REASON_NONE);
        ck_assert_int_eq(id, 100);
        ck_assert_int_eq(swi_gen_decode(enc, id, body, blen, &back), SWI_OK);
        ck_assert_str_eq(back.event_id, ev.event_id);
        ck_assert(back.has_bsn && !back.has_vnr && !back.has_corrects);
        ck_assert_str_eq(back.bsn, "111222333");
        ck_assert_int_eq(back.event_date, ev.event_date);
        ck_assert_int_eq(back.registered_at, ev.registered_at);
        ck_assert_str_eq(swi_event_field(&back, "opleidingsniveau")->s, "MBO");
        ck_assert_int_eq(swi_event_field(&back, "werkervaring")->kind, SWI_V_NULL);
        /* Truncated or padded bodies do not decode. */
        ck_assert_int_ne(swi_gen_decode(enc, id, body, blen - 1, &back), SWI_OK);

        /* v1 has no jonge_kinderen: refused rather than silently dropped. */
        ev.nfields = 3;
        strcpy(ev.fields[2].name, "jonge_kinderen");
        ev.fields[2].kind = SWI_V_BOOL;
        ev.fields[2].i = 1;
        buf.len = 0;
        ck_assert_int_eq(swi_gen_encode(enc, &ev, 100, &buf), SWI_ERR_INVALID_ARG);
        ck_assert_int_eq(buf.len, 0);
        ck_assert_int_eq(swi_gen_encode(enc, &ev, 26, &buf), SWI_OK);
        swi_gen_buf_free(&buf);
        swi_gen_encoder_destroy(enc);
}
END_TEST

START_TEST(test_gen_deterministic)
{
        char a[] = "/tmp/check_gen_a_XXXXXX", b[] = "/tmp/check_gen_b_XXXXXX",
             c[] = "/tmp/check_gen_c_XXXXXX", args[512];
        close(mkstemp(a));
        close(mkstemp(b));
        close(mkstemp(c));
        snprintf(args, sizeof(args), "--persons 300 --seed 42 --bad 0.01 --out %s", a);
        ck_assert_int_eq(run_cli(args), 0);
        snprintf(args, sizeof(args), "--persons 300 --seed 42 --bad 0.01 --out %s", b);
        ck_assert_int_eq(run_cli(args), 0);
        snprintf(args, sizeof(args), "--persons 300 --seed 43 --bad 0.01 --out %s", c);
        ck_assert_int_eq(run_cli(args), 0);
        ck_assert(files_equal(a, b));
        ck_assert(!files_equal(a, c));
        unlink(a);
        unlink(b);
        unlink(c);
}
END_TEST

START_TEST(test_gen_cli_exit_codes)
{
        ck_assert_int_eq(run_cli("--persons abc --out /dev/null"), 2);
        ck_assert_int_eq(run_cli("--bad 1.5 --out /dev/null"), 2);
        ck_assert_int_eq(run_cli(""), 2); /* neither --out nor -b */
        ck_assert_int_eq(run_cli("--help >/dev/null"), 0);
        ck_assert_int_eq(run_cli("--persons 5 --out /nonexistent/dir/x"), 1);
        ck_assert_int_eq(run_cli("--persons 5 --schema-dir /nonexistent --out /dev/null"), 1);
}
END_TEST

/* The big one: generate, write the --out file and the manifest, read both back
 * and check the file against the manifest and the rules. */
START_TEST(test_gen_stream_matches_manifest)
{
        swi_gen_encoder_t *enc = encoder();
        swi_gen_opts_t o;
        swi_gen_t *g;
        char path[] = "/tmp/check_gen_out_XXXXXX", mpath[] = "/tmp/check_gen_man_XXXXXX";
        FILE *f;
        swi_gen_record_t rec;
        json_t *man;
        json_error_t jerr;
        uint64_t per_topic[SWI_SRC__CNT] = {0}, per_type[SWI_EV__CNT] = {0},
                 bad[SWI_REASON__CNT] = {0};
        uint64_t good_msgs = 0, distinct = 0, corrections = 0, old_schema = 0;
        int32_t until = swi_date_from_ymd(2025, 6, 30);
        /* event_id -> first message bytes, to check duplicates and targets */
        size_t cap = 1 << 18, n = 0;
        struct seen {
                char id[SWI_UUID_LEN + 1];
                swi_event_t ev;
                uint8_t *bytes;
                size_t len;
        } *seen = calloc(cap, sizeof(*seen));
        int rc;

        load_gems();
        ck_assert_ptr_nonnull(seen);
        swi_gen_opts_default(&o);
        o.persons = 400;
        o.seed = 2024;
        o.bad = 0.01;
        o.corrections = 0.05;
        o.retractions = 0.02;
        o.duplicates = 0.03;
        g = generate(enc, &o);

        close(mkstemp(path));
        close(mkstemp(mpath));
        f = fopen(path, "wb");
        for (size_t i = 0; i < swi_gen_count(g); i++) {
                swi_gen_msg_t m;
                swi_gen_message(g, i, &m);
                ck_assert_int_eq(
                    swi_gen_record_write(f, m.topic, m.key, m.key_len, m.val, m.val_len), SWI_OK);
        }
        fclose(f);
        f = fopen(mpath, "w");
        ck_assert_int_eq(swi_gen_manifest_write(g, f), SWI_OK);
        fclose(f);
        man = json_load_file(mpath, 0, &jerr);
        ck_assert_msg(man != NULL, "manifest: %s", jerr.text);

        memset(&rec, 0, sizeof(rec));
        f = fopen(path, "rb");
        while ((rc = swi_gen_record_read(f, &rec)) == 1) {
                swi_event_t ev;
                int32_t id;
                unsigned d = defects(enc, rec.topic, rec.val.data, rec.val.len, &ev, &id);
                swi_source_t ts = topic_source(rec.topic);
                size_t k;

                ck_assert_int_lt(ts, SWI_SRC__CNT);
                per_topic[ts]++;
                if (d) {
                        int r = reason_of(d);
                        ck_assert_msg(r > 0, "bad message with several defects (0x%x)", d);
                        bad[r]++;
                        continue;
                }
                good_msgs++;
                /* keys: IND/COA by v_nummer, DUO/gemeente by bsn */
                if (ev.source == SWI_SRC_IND || ev.source == SWI_SRC_COA) {
                        ck_assert_int_eq(rec.key.len, strlen(ev.vnr));
                        ck_assert(!memcmp(rec.key.data, ev.vnr, rec.key.len));
                } else {
                        ck_assert_int_eq(rec.key.len, strlen(ev.bsn));
                        ck_assert(!memcmp(rec.key.data, ev.bsn, rec.key.len));
                }
                ck_assert(!ev.has_bsn || swi_gen_bsn_valid(ev.bsn));
                /* dates: registered on or after the day, nothing beyond the horizon */
                ck_assert_int_ge(ev.registered_at, (int64_t)ev.event_date * DAY_MS);
                ck_assert_int_le(ev.registered_at, ((int64_t)until + 1) * DAY_MS - 1);
                ck_assert_int_le(ev.event_date, until);
                if (id == SWI_GEN_SCHEMA_BI_AFGEROND_V1)
                        old_schema++;
                for (k = 0; k < n; k++)
                        if (!strcmp(seen[k].id, ev.event_id))
                                break;
                if (k < n) { /* a duplicate: byte-identical */
                        ck_assert_int_eq(seen[k].len, rec.val.len);
                        ck_assert(!memcmp(seen[k].bytes, rec.val.data, rec.val.len));
                        continue;
                }
                ck_assert_int_lt(n, cap);
                strcpy(seen[n].id, ev.event_id);
                seen[n].ev = ev;
                seen[n].bytes = malloc(rec.val.len);
                memcpy(seen[n].bytes, rec.val.data, rec.val.len);
                seen[n].len = rec.val.len;
                n++;
                distinct++;
                per_type[ev.type]++;
                if (ev.has_corrects)
                        corrections++;
        }
        ck_assert_int_eq(rc, 0);
        fclose(f);

        /* corrections and retractions point at a good earlier-registered event
         * of the same source (and type, and identifiers, for corrections) */
        for (size_t i = 0; i < n; i++) {
                const swi_event_t *e = &seen[i].ev;
                const char *tid = e->has_corrects   ? e->corrects
                                  : e->has_retracts ? e->retracts
                                                    : NULL;
                size_t k;
                if (!tid)
                        continue;
                for (k = 0; k < n; k++)
                        if (!strcmp(seen[k].id, tid))
                                break;
                ck_assert_msg(k < n, "target of %s not among the good events", e->event_id);
                ck_assert_int_eq(seen[k].ev.source, e->source);
                ck_assert(!seen[k].ev.has_retracts);
                ck_assert_int_lt(seen[k].ev.registered_at, e->registered_at);
                if (e->has_corrects) {
                        ck_assert_int_eq(seen[k].ev.type, e->type);
                        ck_assert_int_eq(seen[k].ev.has_bsn, e->has_bsn);
                        ck_assert_int_eq(seen[k].ev.has_vnr, e->has_vnr);
                        ck_assert_str_eq(seen[k].ev.bsn, e->bsn);
                        ck_assert_str_eq(seen[k].ev.vnr, e->vnr);
                }
        }

        /* the manifest tells the truth */
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                char t[64];
                snprintf(t, sizeof(t), "%s.events", swi_source_name((swi_source_t)s));
                ck_assert_int_eq(json_integer_value(json_object_get(
                                     json_object_get(man, "messages_per_topic"), t)),
                                 per_topic[s]);
        }
        for (int t = 0; t < SWI_EV__CNT; t++) {
                char name[64];
                snprintf(name, sizeof(name), "%s.%s",
                         swi_source_name(swi_evtype_source((swi_evtype_t)t)),
                         swi_evtype_name((swi_evtype_t)t));
                ck_assert_msg(per_type[t] > 0, "no %s in a population of 400", name);
                ck_assert_int_eq(json_integer_value(json_object_get(
                                     json_object_get(man, "good_events_per_type"), name)),
                                 per_type[t]);
        }
        for (int r = 1; r < SWI_REASON__CNT; r++) {
                ck_assert_msg(bad[r] > 0, "no bad message of reason %s",
                              swi_reason2str((swi_reason_t)r));
                ck_assert_int_eq(
                    json_integer_value(json_object_get(json_object_get(man, "bad_messages"),
                                                       swi_reason2str((swi_reason_t)r))),
                    bad[r]);
        }
        ck_assert_int_eq(json_integer_value(json_object_get(man, "good_event_ids")), distinct);
        ck_assert_int_eq(json_integer_value(json_object_get(man, "duplicate_messages")),
                         good_msgs - distinct);
        ck_assert_int_gt(good_msgs - distinct, 0);
        ck_assert_int_eq(json_integer_value(json_object_get(man, "corrections")), corrections);
        ck_assert_int_eq(json_integer_value(json_object_get(man, "retractions")),
                         per_type[SWI_EV_IND_INTREKKING] + per_type[SWI_EV_COA_INTREKKING] +
                             per_type[SWI_EV_DUO_INTREKKING] + per_type[SWI_EV_GEM_INTREKKING]);
        ck_assert_int_eq(json_integer_value(json_object_get(man, "old_schema_messages")),
                         old_schema);
        ck_assert_int_gt(old_schema, 0);

        for (size_t i = 0; i < n; i++)
                free(seen[i].bytes);
        free(seen);
        swi_gen_record_free(&rec);
        json_decref(man);
        unlink(path);
        unlink(mpath);
        swi_gen_destroy(g);
        swi_gen_encoder_destroy(enc);
}
END_TEST

/* Without shaping, every message is a good, distinct event in order of
 * registered_at, and identifiers are unique per person. */
START_TEST(test_gen_clean_stream_ordered)
{
        swi_gen_encoder_t *enc = encoder();
        swi_gen_opts_t o;
        swi_gen_t *g;
        int64_t prev = 0;

        load_gems();
        swi_gen_opts_default(&o);
        o.persons = 200;
        o.duplicates = o.late = o.corrections = o.retractions = o.bad = 0;
        g = generate(enc, &o);
        ck_assert_int_gt(swi_gen_count(g), 2000);
        for (size_t i = 0; i < swi_gen_count(g); i++) {
                swi_gen_msg_t m;
                swi_event_t ev;
                int32_t id;
                swi_gen_message(g, i, &m);
                ck_assert_int_eq(defects(enc, m.topic, m.val, m.val_len, &ev, &id), 0);
                ck_assert(!ev.has_corrects && !ev.has_retracts);
                ck_assert_int_ge(ev.registered_at, prev);
                prev = ev.registered_at;
        }
        swi_gen_destroy(g);
        swi_gen_encoder_destroy(enc);
}
END_TEST

/* A short horizon: nothing dated or registered after it. */
START_TEST(test_gen_horizon)
{
        swi_gen_encoder_t *enc = encoder();
        swi_gen_opts_t o;
        swi_gen_t *g;
        int32_t until = swi_date_from_ymd(2023, 3, 1);

        load_gems();
        swi_gen_opts_default(&o);
        o.persons = 300;
        o.until = until;
        o.late = 0.2;
        o.corrections = 0.1;
        g = generate(enc, &o);
        for (size_t i = 0; i < swi_gen_count(g); i++) {
                swi_gen_msg_t m;
                swi_event_t ev;
                int32_t id;
                swi_gen_message(g, i, &m);
                if (defects(enc, m.topic, m.val, m.val_len, &ev, &id) != 0)
                        continue;
                ck_assert_int_le(ev.event_date, until);
                ck_assert_int_lt(ev.registered_at, ((int64_t)until + 1) * DAY_MS);
        }
        swi_gen_destroy(g);
        swi_gen_encoder_destroy(enc);
}
END_TEST

/* --bad-references: exactly N of each kind, each after its target in the same
 * topic, under its target's key - the correction with another BSN under its
 * own, as a producer keys it (so mostly on another partition) -,
 * stateless-clean (only the target makes them invalid references), in the
 * manifest and among the stored events; the rest of the stream is what it is
 * without the option. */
START_TEST(test_gen_bad_references)
{
        enum { N = 3 };
        swi_gen_encoder_t *enc = encoder();
        swi_gen_opts_t o;
        swi_gen_t *g, *g0;
        char mpath[] = "/tmp/check_gen_man_XXXXXX";
        FILE *f;
        json_t *man, *br;
        json_error_t jerr;
        size_t cap, n = 0;
        uint64_t kinds[3] = {0}, clean = 0;
        struct clean_ev {
                swi_event_t ev;
                const char *topic;
                const uint8_t *key;
                size_t key_len;
        } *seen;

        load_gems();
        swi_gen_opts_default(&o);
        o.persons = 150;
        o.seed = 7;
        g0 = generate(enc, &o);
        o.bad_references = N;
        g = generate(enc, &o);
        ck_assert_int_eq(swi_gen_count(g), swi_gen_count(g0) + 3 * N);
        cap = swi_gen_count(g);
        seen = calloc(cap, sizeof(*seen));
        ck_assert_ptr_nonnull(seen);

        for (size_t i = 0; i < swi_gen_count(g); i++) {
                swi_gen_msg_t m;
                swi_event_t ev;
                int32_t id;
                const char *tid;
                size_t k;

                swi_gen_message(g, i, &m);
                if (defects(enc, m.topic, m.val, m.val_len, &ev, &id) != 0)
                        continue;
                for (k = 0; k < n; k++)
                        if (!strcmp(seen[k].ev.event_id, ev.event_id))
                                break;
                if (k < n)
                        continue; /* a duplicate */
                clean++;
                tid = ev.has_corrects ? ev.corrects : ev.has_retracts ? ev.retracts : NULL;
                for (k = 0; tid && k < n; k++)
                        if (seen[k].ev.source == ev.source && !strcmp(seen[k].ev.event_id, tid))
                                break;
                if (tid && k < n) {
                        const swi_event_t *t = &seen[k].ev;
                        int kind = -1;
                        if (ev.has_corrects && t->type != ev.type)
                                kind = 0;
                        else if (ev.has_corrects && (t->has_bsn != ev.has_bsn ||
                                                     strcmp(t->bsn, ev.bsn) != 0))
                                kind = 1;
                        else if (ev.has_corrects)
                                ck_assert_str_eq(t->vnr, ev.vnr); /* good correction */
                        else if (swi_evtype_is_intrekking(t->type))
                                kind = 2;
                        if (kind >= 0) {
                                kinds[kind]++;
                                ck_assert_str_eq(seen[k].topic, m.topic);
                                if (kind == 1) {
                                        ck_assert_int_eq(m.key_len, strlen(ev.bsn));
                                        ck_assert(!memcmp(ev.bsn, m.key, m.key_len));
                                } else {
                                        ck_assert_int_eq(seen[k].key_len, m.key_len);
                                        ck_assert(!memcmp(seen[k].key, m.key, m.key_len));
                                }
                                ck_assert_int_lt(t->registered_at, ev.registered_at);
                        }
                }
                ck_assert_int_lt(n, cap);
                seen[n].ev = ev;
                seen[n].topic = m.topic;
                seen[n].key = m.key;
                seen[n].key_len = m.key_len;
                n++;
        }
        for (int k = 0; k < 3; k++)
                ck_assert_msg(kinds[k] == N, "kind %d: %llu", k, (unsigned long long)kinds[k]);

        close(mkstemp(mpath));
        f = fopen(mpath, "w");
        ck_assert_int_eq(swi_gen_manifest_write(g, f), SWI_OK);
        fclose(f);
        man = json_load_file(mpath, 0, &jerr);
        ck_assert_msg(man != NULL, "manifest: %s", jerr.text);
        br = json_object_get(man, "bad_references");
        ck_assert_int_eq(json_integer_value(json_object_get(br, "correction_other_type")), N);
        ck_assert_int_eq(json_integer_value(json_object_get(br, "correction_other_bsn")), N);
        ck_assert_int_eq(json_integer_value(json_object_get(br, "intrekking_of_intrekking")), N);
        ck_assert_int_eq(json_integer_value(json_object_get(br, "total")), 3 * N);
        ck_assert_int_eq(json_integer_value(json_object_get(man, "good_event_ids")), clean);
        json_decref(man);
        unlink(mpath);
        free(seen);
        swi_gen_destroy(g);
        swi_gen_destroy(g0);
        swi_gen_encoder_destroy(enc);
}
END_TEST

static Suite *gen_suite(void)
{
        Suite *s = suite_create("gen");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_gen_bsn_elfproef);
        tcase_add_test(tc, test_gen_encoder_roundtrip);
        tcase_add_test(tc, test_gen_deterministic);
        tcase_add_test(tc, test_gen_cli_exit_codes);
        tcase_add_test(tc, test_gen_stream_matches_manifest);
        tcase_add_test(tc, test_gen_clean_stream_ordered);
        tcase_add_test(tc, test_gen_horizon);
        tcase_add_test(tc, test_gen_bad_references);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(gen_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
