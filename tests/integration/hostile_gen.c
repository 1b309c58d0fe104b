/* hostile_gen.c - the hostile Kafka input of test_hostile_input.sh (issue 10
 * item 10): a replay file (format: tools/gen/encoder.h) of messages that are
 * empty, one byte, framed wrongly, of an unknown schema, truncated, with
 * trailing bytes, absurd lengths and counts, control characters, invalid
 * UTF-8, NUL bytes, SQL-looking text, 4 MiB strings and absurd dates, then a
 * valid message per topic; and a manifest saying what must become of each.
 *
 *   hostile_gen REPLAY_FILE MANIFEST_FILE
 *
 * Avro is written by hand (zigzag varints, length-prefixed strings, union
 * indices) so that it can also be written wrongly. Every message has a key
 * (its case name). Manifest lines, tab-separated:
 *   key  topic  expect  detail  event_id  value_hex
 * expect is "stored" (the event event_id, with its free-text field - locatie
 * where there is one - equal to value_hex byte for byte; "-": not checked) or
 * a reject reason; detail is a substring the dead letter's detail must
 * contain ("-": none). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf_s {
        uint8_t *p;
        size_t n, cap;
} buf_t;

static void put(buf_t *b, const void *d, size_t n)
{
        if (b->n + n > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->n + n)
                        cap *= 2;
                uint8_t *p = realloc(b->p, cap);
                if (p == NULL) {
                        fprintf(stderr, "hostile_gen: out of memory\n");
                        exit(1);
                }
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->n, d, n);
        b->n += n;
}

static void put_long(buf_t *b, int64_t v)
{
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        uint8_t c;
        do {
                c = (uint8_t)(z & 0x7f);
                z >>= 7;
                if (z)
                        c |= 0x80;
                put(b, &c, 1);
        } while (z);
}

static void put_str(buf_t *b, const char *s, size_t n)
{
        put_long(b, (int64_t)n);
        put(b, s, n);
}

static void put_cstr(buf_t *b, const char *s)
{
        put_str(b, s, strlen(s));
}

static void frame(buf_t *b, int32_t id)
{
        uint8_t h[5] = {0, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8),
                        (uint8_t)id};
        put(b, h, 5);
}

#define DATE_2024_03_01 19783
#define TS_2024_03_02   INT64_C(1709380800000)
#define BSN             "123456782"
#define VNR             "1234567890"

typedef struct env_s {
        const char *bsn, *vnr; /* NULL: null branch */
        size_t bsn_len, vnr_len;
        int64_t event_date, registered_at;
} env_t;

static env_t env_vnr(void)
{
        return (env_t){NULL, VNR, 0, 10, DATE_2024_03_01, TS_2024_03_02};
}

static env_t env_bsn(void)
{
        return (env_t){BSN, NULL, 9, 0, DATE_2024_03_01, TS_2024_03_02};
}

static char event_id[40] = "-";

static void envelope(buf_t *b, int n, const env_t *e)
{
        snprintf(event_id, sizeof(event_id), "00000000-0000-4000-8000-0000000000%02x", n);
        put_cstr(b, event_id);
        if (e->bsn) {
                put_long(b, 1);
                put_str(b, e->bsn, e->bsn_len);
        } else {
                put_long(b, 0);
        }
        if (e->vnr) {
                put_long(b, 1);
                put_str(b, e->vnr, e->vnr_len);
        } else {
                put_long(b, 0);
        }
        put_long(b, e->event_date);
        put_long(b, e->registered_at);
        put_long(b, 0); /* corrects: null */
}

/* coa OpvangInstroom (id 6): locatie, locatie_gemeente */
static void opvang(buf_t *b, int n, const env_t *e, const char *locatie, size_t len)
{
        frame(b, 6);
        envelope(b, n, e);
        put_str(b, locatie, len);
        put_cstr(b, "GM0106");
}

static FILE *out, *man;

static void hex(FILE *f, const void *d, size_t n)
{
        const uint8_t *p = d;
        if (n == 0) {
                fputc('-', f);
                return;
        }
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%02x", p[i]);
}

/* Writes the message and its manifest line; clears b. */
static void emit(buf_t *b, const char *key, const char *topic, const char *expect,
                 const char *detail, const void *stored, size_t stored_len)
{
        uint8_t l[4];
        size_t kl = strlen(key);

        fwrite(topic, 1, strlen(topic) + 1, out);
        l[0] = (uint8_t)(kl >> 24), l[1] = (uint8_t)(kl >> 16), l[2] = (uint8_t)(kl >> 8),
        l[3] = (uint8_t)kl;
        fwrite(l, 1, 4, out);
        fwrite(key, 1, kl, out);
        l[0] = (uint8_t)(b->n >> 24), l[1] = (uint8_t)(b->n >> 16), l[2] = (uint8_t)(b->n >> 8),
        l[3] = (uint8_t)b->n;
        fwrite(l, 1, 4, out);
        if (b->n > 0)
                fwrite(b->p, 1, b->n, out);
        fprintf(man, "%s\t%s\t%s\t%s\t%s\t", key, topic, expect, detail, event_id);
        hex(man, stored, stored_len);
        fputc('\n', man);
        b->n = 0;
}

int main(int argc, char **argv)
{
        static const char coa[] = "coa.events", gem[] = "gemeente.events", ind[] = "ind.events";
        buf_t b = {0};
        env_t e;
        int n = 0;

        if (argc != 3) {
                fprintf(stderr, "usage: hostile_gen REPLAY_FILE MANIFEST_FILE\n");
                return 2;
        }
        out = fopen(argv[1], "wb");
        man = fopen(argv[2], "w");
        if (out == NULL || man == NULL) {
                perror("hostile_gen");
                return 1;
        }
        char *big = malloc(4u << 20);
        if (big == NULL)
                return 1;
        memset(big, 'A', 4u << 20);

        /* ---- framing ---- */
        emit(&b, "empty", coa, "BAD_FRAMING", "-", NULL, 0);
        put(&b, "\0", 1);
        emit(&b, "one-byte", coa, "BAD_FRAMING", "-", NULL, 0);
        e = env_vnr();
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        b.p[0] = 0x01;
        emit(&b, "wrong-magic", coa, "BAD_FRAMING", "magic", NULL, 0);
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        b.p[3] = 0x10, b.p[4] = 0x92; /* id 4242 */
        emit(&b, "unknown-id", coa, "UNKNOWN_SCHEMA", "4242", NULL, 0);
        /* ---- the Avro body ---- */
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        b.n /= 2;
        emit(&b, "truncated", coa, "UNDECODABLE", "-", NULL, 0);
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        put(&b, "xyz", 3);
        emit(&b, "trailing-bytes", coa, "UNDECODABLE", "trailing", NULL, 0);
        frame(&b, 6);
        put_long(&b, INT64_C(1) << 60); /* event_id claims 2^60 bytes */
        put(&b, "00000000", 8);
        emit(&b, "huge-length", coa, "UNDECODABLE", "-", NULL, 0);
        frame(&b, 6);
        put_long(&b, -3);
        put(&b, "abc", 3);
        emit(&b, "negative-length", coa, "UNDECODABLE", "-", NULL, 0);
        frame(&b, 6);
        put_cstr(&b, "00000000-0000-4000-8000-000000000001");
        put_long(&b, INT64_C(1) << 40); /* bsn union branch 2^40 */
        emit(&b, "huge-union-index", coa, "UNDECODABLE", "-", NULL, 0);
        /* "huge arrays": the schemas have no arrays, so the absurd counts are
         * lengths - a string claiming a million bytes with ten present, and a
         * megabyte of varint continuation bytes that never ends a number */
        frame(&b, 6);
        put_long(&b, 1000000);
        put(&b, "0123456789", 10);
        emit(&b, "huge-count", coa, "UNDECODABLE", "-", NULL, 0);
        frame(&b, 6);
        for (int i = 0; i < (1 << 20); i++)
                put(&b, "\xff", 1);
        emit(&b, "endless-varint", coa, "UNDECODABLE", "-", NULL, 0);
        frame(&b, 23); /* a gemeente record */
        e = env_bsn();
        envelope(&b, ++n, &e);
        put_cstr(&b, "GM0363");
        emit(&b, "wrong-source", coa, "WRONG_SOURCE", "gemeente", NULL, 0);

        /* ---- strings: stored exactly, or the field's reason ---- */
        e = env_vnr();
        static const char ctrl[] = "AZC\t\n\r\x01\x1b[31m\x7f";
        opvang(&b, ++n, &e, ctrl, sizeof(ctrl) - 1);
        emit(&b, "control-chars", coa, "stored", "-", ctrl, sizeof(ctrl) - 1);
        static const char sql[] = "x'); DROP TABLE swi.events; --";
        opvang(&b, ++n, &e, sql, sizeof(sql) - 1);
        emit(&b, "sql-text", coa, "stored", "-", sql, sizeof(sql) - 1);
        static const char copy[] = "a\\.b\\N\\\\c";
        opvang(&b, ++n, &e, copy, sizeof(copy) - 1);
        emit(&b, "copy-escapes", coa, "stored", "-", copy, sizeof(copy) - 1);
        static const char uni[] =
            "Zo\xc3\xab \xc5\x81\xc3\xb3\x64\xc5\xba \xe6\x97\xa5\xe6\x9c\xac "
            "\xf0\x9f\x99\x82";
        opvang(&b, ++n, &e, uni, sizeof(uni) - 1);
        emit(&b, "unicode", coa, "stored", "-", uni, sizeof(uni) - 1);
        char s64[65];
        memset(s64, 'L', 64);
        s64[64] = '\0';
        opvang(&b, ++n, &e, s64, 64);
        emit(&b, "contract-maximum", coa, "stored", "-", s64, 64);
        opvang(&b, ++n, &e, big, 65);
        emit(&b, "over-contract-maximum", coa, "INVALID_VALUE", "contract maximum of 64", NULL, 0);
        opvang(&b, ++n, &e,
               "\xff\xfe"
               "AZC",
               5);
        emit(&b, "invalid-utf8", coa, "INVALID_VALUE", "UTF-8", NULL, 0);
        opvang(&b, ++n, &e, "\xc0\xaf", 2);
        emit(&b, "overlong-utf8", coa, "INVALID_VALUE", "UTF-8", NULL, 0);
        opvang(&b, ++n, &e, "AZC\0", 4);
        emit(&b, "nul-locatie", coa, "INVALID_VALUE", "NUL", NULL, 0);
        e.vnr = big;
        e.vnr_len = 4u << 20;
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        emit(&b, "4mib-v_nummer", coa, "INVALID_VNUMMER", "10 characters", NULL, 0);
        e = env_bsn();
        e.bsn = BSN "\0X";
        e.bsn_len = 11;
        frame(&b, 23);
        envelope(&b, ++n, &e);
        put_cstr(&b, "GM0363");
        emit(&b, "nul-bsn", gem, "INVALID_BSN", "-", NULL, 0);
        e = env_bsn();
        frame(&b, 23);
        envelope(&b, ++n, &e);
        put_str(&b, "GM0363\0xx", 9);
        emit(&b, "nul-gemeente", gem, "INVALID_VALUE", "NUL", NULL, 0);
        frame(&b, 29);
        envelope(&b, ++n, &e);
        put_cstr(&b, "GM0363");
        put_str(&b, big, 4u << 20);
        put_long(&b, 0);
        emit(&b, "4mib-aanbieder", gem, "INVALID_VALUE", "4194304 bytes", NULL, 0);

        /* ---- absurd dates ---- */
        e = env_vnr();
        e.event_date = INT32_MAX;
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        emit(&b, "date-int32-max", coa, "IMPLAUSIBLE_DATE", "+5881580-07-11", NULL, 0);
        e.event_date = INT32_MIN;
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        emit(&b, "date-int32-min", coa, "IMPLAUSIBLE_DATE", "-5877641-06-23", NULL, 0);
        e.event_date = -25568; /* 1899-12-31 */
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        emit(&b, "date-1899", coa, "IMPLAUSIBLE_DATE", "1899-12-31", NULL, 0);
        e = env_vnr();
        e.registered_at = INT64_MIN;
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        emit(&b, "registered-int64-min", coa, "IMPLAUSIBLE_DATE", "-292275055", NULL, 0);
        e.registered_at = INT64_MAX;
        opvang(&b, ++n, &e, "AZC-ASSEN", 9);
        emit(&b, "registered-int64-max", coa, "INVALID_VALUE", "registered_at", NULL, 0);
        e = env_vnr();
        frame(&b, 1); /* ind AsielaanvraagIngediend: nationaliteit, geboortedatum, geslacht */
        envelope(&b, ++n, &e);
        put_cstr(&b, "SYR");
        put_long(&b, INT32_MAX);
        put_long(&b, 0);
        emit(&b, "geboortedatum-int32-max", ind, "INVALID_VALUE", "geboortedatum", NULL, 0);

        /* ---- and the pipeline goes on ---- */
        e = env_vnr();
        opvang(&b, ++n, &e, "AZC-TER-APEL", 12);
        emit(&b, "after-coa", coa, "stored", "-", "AZC-TER-APEL", 12);
        e = env_bsn();
        frame(&b, 23);
        envelope(&b, ++n, &e);
        put_cstr(&b, "GM0599");
        emit(&b, "after-gemeente", gem, "stored", "-", NULL, 0);

        free(big);
        free(b.p);
        if (fclose(out) != 0 || fclose(man) != 0) {
                perror("hostile_gen");
                return 1;
        }
        return 0;
}
