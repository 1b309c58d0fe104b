/* fuzz_ingest.c - libFuzzer target over the message path of etl/pipeline.c's
 * process(), without I/O: swi_wire_unframe -> swi_decode -> swi_validate_event
 * -> swi_pseudonym_apply, with the local schema registry of schemas/.
 *
 * Input: byte 0 picks the topic the message was read from (its low two bits:
 * ind, coa, duo, gemeente); the rest is the Kafka message value.
 *
 * Besides "no crash, no sanitizer report" it checks what the pipeline relies
 * on (abort() on a breach, which libFuzzer reports as a crash):
 *   - every rejection has a reason and a non-empty, terminated detail that
 *     contains no accepted identifier;
 *   - a decoded event is well formed: at most SWI_MAX_FIELDS fields, names and
 *     strings terminated inside their buffers, known kinds;
 *   - an accepted event satisfies the contract: a 9-digit bsn / 10-digit
 *     v_nummer when present, a UUID event_id, no string the decoder could not
 *     keep whole (event.h wire lengths), payload strings of at most
 *     SWI_STR_CONTRACT_MAX bytes, dates that format;
 *   - pseudonymisation wipes the raw identifiers.
 *
 * Built two ways (CMakeLists.txt): fuzz_ingest with libFuzzer (clang,
 * SWI_FUZZ=ON; tools/fuzz.sh), and fuzz_replay with the small driver in
 * fuzz_replay.c, which runs files through the same function in every build
 * (the regression inputs of tests/fuzz/regressions/ in the unit tests).
 * Schemas: $SWI_FUZZ_SCHEMA_DIR, else the source tree's schemas/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ingest/decoder.h"
#include "ingest/schema_registry.h"
#include "ingest/wire_format.h"
#include "transform/pseudonym.h"
#include "transform/validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void swi_fuzz_cleanup(void);

static swi_registry_t *reg;
static swi_decoder_t *dec;
static swi_pseudonym_t *ps;
static const swi_validate_conf_t vconf = {.date_tolerance_days = 1};

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "fuzz_ingest: %s:%d: check failed: %s\n", __FILE__,        \
                                __LINE__, #cond);                                                  \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        static const uint8_t key[32] = "fuzz-key-0123456789abcdef-fuzz!";
        const char *dir = getenv("SWI_FUZZ_SCHEMA_DIR");
        char err[256] = "";

        (void)argc;
        (void)argv;
        swi_log_set_level("warn");
        if (dir == NULL || *dir == '\0')
                dir = SWI_SOURCE_DIR "/schemas";
        reg = swi_registry_new_local(dir, err, sizeof(err));
        if (reg != NULL)
                dec = swi_decoder_new(reg, dir, err, sizeof(err));
        if (dec != NULL)
                ps = swi_pseudonym_new(key, sizeof(key), err, sizeof(err));
        if (ps == NULL) {
                fprintf(stderr, "fuzz_ingest: cannot start: %s\n", err);
                exit(2);
        }
        /* before LeakSanitizer's own exit check, which would take the
         * decoder's cached Avro values for leaks */
        atexit(swi_fuzz_cleanup);
        return 0;
}

/* Frees what LLVMFuzzerInitialize made, at exit, so that LeakSanitizer sees
 * only what the messages left behind (it misses the pointers to the strings
 * of the last message each cached Avro value holds, and reports them). */
void swi_fuzz_cleanup(void)
{
        swi_pseudonym_destroy(ps);
        swi_decoder_destroy(dec);
        swi_registry_destroy(reg);
        ps = NULL;
        dec = NULL;
        reg = NULL;
}

/* A detail: terminated within its buffer and not empty. */
static void check_detail(const char *detail, size_t size)
{
        CHECK(memchr(detail, '\0', size) != NULL);
        CHECK(detail[0] != '\0');
}

static bool terminated(const char *s, size_t size)
{
        return memchr(s, '\0', size) != NULL;
}

static void check_decoded(const swi_event_t *ev)
{
        CHECK(ev->nfields >= 0 && ev->nfields <= SWI_MAX_FIELDS);
        CHECK((unsigned)ev->source < SWI_SRC__CNT && (unsigned)ev->type < SWI_EV__CNT);
        CHECK(terminated(ev->event_id, sizeof(ev->event_id)));
        CHECK(terminated(ev->bsn, sizeof(ev->bsn)) && terminated(ev->vnr, sizeof(ev->vnr)));
        CHECK(terminated(ev->corrects, sizeof(ev->corrects)));
        CHECK(terminated(ev->retracts, sizeof(ev->retracts)));
        for (int i = 0; i < ev->nfields; i++) {
                const swi_field_t *f = &ev->fields[i];
                CHECK(terminated(f->name, sizeof(f->name)) && f->name[0] != '\0');
                CHECK(f->kind >= SWI_V_NULL && f->kind <= SWI_V_DATE);
                if (f->kind == SWI_V_STRING)
                        CHECK(terminated(f->s, sizeof(f->s)));
                else
                        CHECK(f->wire_len == 0);
        }
}

static bool all_digits(const char *s, size_t n)
{
        return strlen(s) == n && strspn(s, "0123456789") == n;
}

static void check_accepted(const swi_event_t *ev)
{
        char d[SWI_DATE_BUF];

        CHECK(swi_uuid_valid(ev->event_id) && ev->event_id_wire_len == 0);
        CHECK(!ev->has_bsn || (all_digits(ev->bsn, 9) && ev->bsn_wire_len == 0));
        CHECK(!ev->has_vnr || (all_digits(ev->vnr, 10) && ev->vnr_wire_len == 0));
        CHECK(!ev->has_corrects || (swi_uuid_valid(ev->corrects) && ev->corrects_wire_len == 0));
        CHECK(!ev->has_retracts || (swi_uuid_valid(ev->retracts) && ev->retracts_wire_len == 0));
        CHECK(strlen(swi_date_format(ev->event_date, d)) >= 10);
        for (int i = 0; i < ev->nfields; i++) {
                const swi_field_t *f = &ev->fields[i];
                if (f->kind == SWI_V_STRING)
                        CHECK(f->wire_len == 0 && strlen(f->s) <= SWI_STR_CONTRACT_MAX);
                if (f->kind == SWI_V_DATE)
                        CHECK(strlen(swi_date_format(f->i, d)) >= 10);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char detail[512];
        const uint8_t *body = NULL;
        size_t body_len = 0;
        int32_t schema_id = -1;
        swi_reason_t reason;
        swi_event_t ev;
        swi_err_t rc;

        if (size < 1)
                return 0;
        swi_source_t src = (swi_source_t)(data[0] & 3);
        memset(detail, 0x55, sizeof(detail)); /* no stale terminator to lean on */
        reason = swi_wire_unframe(data + 1, size - 1, &schema_id, &body, &body_len, detail,
                                  sizeof(detail));
        if (reason != SWI_REASON_NONE) {
                CHECK(reason == SWI_REASON_BAD_FRAMING);
                check_detail(detail, sizeof(detail));
                return 0;
        }
        CHECK(body != NULL && body_len == size - 1 - SWI_WIRE_HEADER_LEN);
        memset(detail, 0x55, sizeof(detail));
        rc = swi_decode(dec, src, schema_id, body, body_len, &ev, &reason, detail, sizeof(detail));
        CHECK(rc == SWI_OK || rc == SWI_ERR_NOMEM); /* a local registry is never down */
        if (rc != SWI_OK)
                return 0;
        if (reason != SWI_REASON_NONE) {
                CHECK(reason == SWI_REASON_UNKNOWN_SCHEMA || reason == SWI_REASON_UNDECODABLE ||
                      reason == SWI_REASON_WRONG_SOURCE);
                check_detail(detail, sizeof(detail));
                return 0;
        }
        check_decoded(&ev);
        memset(detail, 0x55, sizeof(detail));
        reason = swi_validate_event(&ev, &vconf, detail, sizeof(detail));
        if (reason != SWI_REASON_NONE) {
                CHECK(reason >= SWI_REASON_NO_IDENTITY && reason <= SWI_REASON_IMPLAUSIBLE_DATE);
                check_detail(detail, sizeof(detail));
                /* details name the defect, never an identifier that looks valid */
                if (ev.has_bsn && swi_bsn_valid(ev.bsn))
                        CHECK(strstr(detail, ev.bsn) == NULL);
                if (ev.has_vnr && swi_vnummer_valid(ev.vnr))
                        CHECK(strstr(detail, ev.vnr) == NULL);
        } else {
                check_accepted(&ev);
        }
        /* as the pipeline: raw identifiers are gone after this, whatever the verdict */
        bool had_bsn = ev.has_bsn, had_vnr = ev.has_vnr;
        CHECK(swi_pseudonym_apply(ps, &ev) == SWI_OK);
        CHECK(!ev.has_bsn && !ev.has_vnr && ev.has_bsn_ps == had_bsn && ev.has_vnr_ps == had_vnr);
        for (size_t i = 0; i < sizeof(ev.bsn); i++)
                CHECK(ev.bsn[i] == 0 && ev.vnr[i] == 0);
        return 0;
}
