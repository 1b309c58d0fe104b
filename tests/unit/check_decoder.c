/* check_decoder.c - Avro body -> swi_event_t, with messages encoded here by
 * Avro C from the writer schemas in schemas/. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <avro.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ingest/decoder.h"
#include "ingest/wire_format.h"
#include "transform/validate.h"

#define SCHEMA_DIR SWI_SOURCE_DIR "/schemas"
#define MSG_MAX    8192

#define UUID1 "5f0c7a52-4a8e-4bb1-9f55-0d7c8a1e2b01"
#define UUID2 "5f0c7a52-4a8e-4bb1-9f55-0d7c8a1e2b02"
#define BSN   "123456782"
#define VNR   "1234567890"

/* One field value to encode: t is n(ull) s(tring) i(nt) l(ong) b(ool) e(num symbol). */
typedef struct fv_s {
        const char *name;
        char t;
        const char *s;
        int64_t i;
} fv_t;

#define FS(n, v) ((fv_t){(n), 's', (v), 0})
/* A string of len bytes, which may contain NUL bytes. */
#define FSL(n, v, len) ((fv_t){(n), 'S', (v), (len)})
#define FI(n, v)       ((fv_t){(n), 'i', NULL, (v)})
#define FL(n, v)       ((fv_t){(n), 'l', NULL, (v)})
#define FB(n, v)       ((fv_t){(n), 'b', NULL, (v)})
#define FE(n, v)       ((fv_t){(n), 'e', (v), 0})
#define FN(n)          ((fv_t){(n), 'n', NULL, 0})

#define DATE_2024_03_01 19783
#define TS_2024_03_02   1709380800000LL

/* Envelope with the v_nummer (IND/COA style) or the bsn (DUO/gemeente). */
#define ENV_VNR                                                                                    \
        FS("event_id", UUID1), FN("bsn"), FS("v_nummer", VNR), FI("event_date", DATE_2024_03_01),  \
            FL("registered_at", TS_2024_03_02), FN("corrects")
#define ENV_BSN                                                                                    \
        FS("event_id", UUID1), FS("bsn", BSN), FN("v_nummer"), FI("event_date", DATE_2024_03_01),  \
            FL("registered_at", TS_2024_03_02), FN("corrects")

typedef struct msg_s {
        uint8_t buf[MSG_MAX];
        size_t len;
} msg_t;

static avro_type_t want_type(char t)
{
        switch (t) {
        case 'n':
                return AVRO_NULL;
        case 's':
        case 'S':
                return AVRO_STRING;
        case 'i':
                return AVRO_INT32;
        case 'l':
                return AVRO_INT64;
        case 'b':
                return AVRO_BOOLEAN;
        default:
                return AVRO_ENUM;
        }
}

static void set_value(avro_value_t *v, const fv_t *f)
{
        avro_value_t branch;
        avro_schema_t schema = avro_value_get_schema(v);
        int idx;

        if (avro_value_get_type(v) == AVRO_UNION) {
                size_t b, n = avro_schema_union_size(schema);
                for (b = 0; b < n; b++)
                        if (avro_typeof(avro_schema_union_branch(schema, (int)b)) ==
                            want_type(f->t))
                                break;
                ck_assert_msg(b < n, "no union branch for %s", f->name);
                ck_assert_int_eq(avro_value_set_branch(v, (int)b, &branch), 0);
                set_value(&branch, f);
                return;
        }
        switch (f->t) {
        case 'n':
                ck_assert_int_eq(avro_value_set_null(v), 0);
                break;
        case 's':
                ck_assert_int_eq(avro_value_set_string(v, f->s), 0);
                break;
        case 'S': /* the size includes a terminating NUL */
                ck_assert_int_eq(avro_value_set_string_len(v, f->s, (size_t)f->i + 1), 0);
                break;
        case 'i':
                ck_assert_int_eq(avro_value_set_int(v, (int32_t)f->i), 0);
                break;
        case 'l':
                ck_assert_int_eq(avro_value_set_long(v, f->i), 0);
                break;
        case 'b':
                ck_assert_int_eq(avro_value_set_boolean(v, (int)f->i), 0);
                break;
        default:
                idx = avro_schema_enum_get_by_name(schema, f->s);
                ck_assert_msg(idx >= 0, "no symbol %s in %s", f->s, f->name);
                ck_assert_int_eq(avro_value_set_enum(v, idx), 0);
        }
}

/* Encodes a framed message with the writer schema in schemas/<file>. */
static void encode(msg_t *m, const char *file, int32_t id, const fv_t *fv, size_t n)
{
        char path[512];
        FILE *fp;
        static char text[65536];
        size_t len, i;
        avro_schema_t schema;
        avro_value_iface_t *iface;
        avro_value_t rec, field;
        avro_writer_t w;

        snprintf(path, sizeof(path), "%s/%s", SCHEMA_DIR, file);
        fp = fopen(path, "rb");
        ck_assert_msg(fp != NULL, "%s", path);
        len = fread(text, 1, sizeof(text) - 1, fp);
        fclose(fp);
        ck_assert_int_eq(avro_schema_from_json_length(text, len, &schema), 0);
        iface = avro_generic_class_from_schema(schema);
        ck_assert_int_eq(avro_generic_value_new(iface, &rec), 0);
        ck_assert_uint_eq(avro_schema_record_size(schema), n);
        for (i = 0; i < n; i++) {
                ck_assert_msg(avro_value_get_by_name(&rec, fv[i].name, &field, NULL) == 0,
                              "field %s", fv[i].name);
                set_value(&field, &fv[i]);
        }
        swi_wire_frame_header(id, m->buf);
        w = avro_writer_memory((char *)m->buf + SWI_WIRE_HEADER_LEN, MSG_MAX - SWI_WIRE_HEADER_LEN);
        ck_assert_msg(avro_value_write(w, &rec) == 0, "%s", avro_strerror());
        m->len = SWI_WIRE_HEADER_LEN + (size_t)avro_writer_tell(w);
        avro_writer_free(w);
        avro_value_decref(&rec);
        avro_value_iface_decref(iface);
        avro_schema_decref(schema);
}

#define ENCODE(m, file, id, ...)                                                                   \
        do {                                                                                       \
                const fv_t fv_[] = {__VA_ARGS__};                                                  \
                encode((m), (file), (id), fv_, sizeof(fv_) / sizeof(fv_[0]));                      \
        } while (0)

typedef struct fixture_s {
        swi_registry_t *reg;
        swi_decoder_t *dec;
        swi_event_t ev;
        char detail[256];
} fixture_t;

static fixture_t fx;

static void setup(void)
{
        char errstr[256] = "";

        memset(&fx, 0, sizeof(fx));
        fx.reg = swi_registry_new_local(SCHEMA_DIR, errstr, sizeof(errstr));
        ck_assert_msg(fx.reg != NULL, "%s", errstr);
        fx.dec = swi_decoder_new(fx.reg, SCHEMA_DIR, errstr, sizeof(errstr));
        ck_assert_msg(fx.dec != NULL, "%s", errstr);
}

static void teardown(void)
{
        swi_decoder_destroy(fx.dec);
        swi_registry_destroy(fx.reg);
}

/* Unframes and decodes m as read from the topic of src; returns the reason. */
static swi_reason_t decode_src(const msg_t *m, swi_source_t src)
{
        const uint8_t *body;
        size_t body_len;
        int32_t id;
        swi_reason_t reason = SWI_REASON__CNT;

        ck_assert_int_eq(
            swi_wire_unframe(m->buf, m->len, &id, &body, &body_len, fx.detail, sizeof(fx.detail)),
            SWI_REASON_NONE);
        ck_assert_int_eq(swi_decode(fx.dec, src, id, body, body_len, &fx.ev, &reason, fx.detail,
                                    sizeof(fx.detail)),
                         SWI_OK);
        return reason;
}

static void decode_ok(const msg_t *m, swi_source_t src, swi_evtype_t type)
{
        swi_reason_t r = decode_src(m, src);
        ck_assert_msg(r == SWI_REASON_NONE, "%s: %s", swi_reason2str(r), fx.detail);
        ck_assert_str_eq(fx.detail, "");
        ck_assert_int_eq(fx.ev.source, src);
        ck_assert_int_eq(fx.ev.type, type);
        ck_assert_str_eq(fx.ev.event_id, UUID1);
        ck_assert_int_eq(fx.ev.event_date, DATE_2024_03_01);
        ck_assert_int_eq(fx.ev.registered_at, TS_2024_03_02);
}

static const swi_field_t *field(const char *name, swi_vkind_t kind)
{
        const swi_field_t *f = swi_event_field(&fx.ev, name);
        ck_assert_msg(f != NULL, "no field %s", name);
        ck_assert_msg(f->kind == kind, "field %s kind %d, want %d", name, f->kind, kind);
        return f;
}

#define ASSERT_STR(name, v)  ck_assert_str_eq(field(name, SWI_V_STRING)->s, v)
#define ASSERT_INT(name, v)  ck_assert_int_eq(field(name, SWI_V_INT)->i, v)
#define ASSERT_BOOL(name, v) ck_assert_int_eq(field(name, SWI_V_BOOL)->i, v)
#define ASSERT_DATE(name, v) ck_assert_int_eq(field(name, SWI_V_DATE)->i, v)
#define ASSERT_NULL(name)    field(name, SWI_V_NULL)

/* ---- round trips per source ---------------------------------------------- */

START_TEST(test_decoder_roundtrip_ind)
{
        msg_t m;

        ENCODE(&m, "ind/AsielaanvraagIngediend.v1.avsc", 1, ENV_VNR, FS("nationaliteit", "SYR"),
               FI("geboortedatum", 7000), FE("geslacht", "V"));
        decode_ok(&m, SWI_SRC_IND, SWI_EV_IND_ASIELAANVRAAG_INGEDIEND);
        ck_assert(fx.ev.has_vnr);
        ck_assert_str_eq(fx.ev.vnr, VNR);
        ck_assert(!fx.ev.has_bsn);
        ck_assert(!fx.ev.has_corrects);
        ck_assert_int_eq(fx.ev.schema_id, 1);
        ck_assert_int_eq(fx.ev.nfields, 3);
        ck_assert_str_eq(fx.ev.fields[0].name, "nationaliteit"); /* schema order */
        ASSERT_STR("nationaliteit", "SYR");
        ASSERT_DATE("geboortedatum", 7000);
        ASSERT_STR("geslacht", "V");

        ENCODE(&m, "ind/VerblijfsvergunningVerleend.v1.avsc", 2, ENV_VNR,
               FE("vergunning", "REGULIER_GEZIN"), FB("nareiziger", 1),
               FB("referent_statushouder", 0), FS("nationaliteit", "ERI"),
               FI("geboortedatum", -3000), FE("geslacht", "X"));
        decode_ok(&m, SWI_SRC_IND, SWI_EV_IND_VERBLIJFSVERGUNNING_VERLEEND);
        ck_assert_int_eq(fx.ev.nfields, 6);
        ASSERT_STR("vergunning", "REGULIER_GEZIN");
        ASSERT_BOOL("nareiziger", 1);
        ASSERT_BOOL("referent_statushouder", 0);
        ASSERT_DATE("geboortedatum", -3000);

        ENCODE(&m, "ind/BsnToegekend.v1.avsc", 3, FS("event_id", UUID1), FS("bsn", BSN),
               FS("v_nummer", VNR), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"));
        decode_ok(&m, SWI_SRC_IND, SWI_EV_IND_BSN_TOEGEKEND);
        ck_assert(fx.ev.has_bsn && fx.ev.has_vnr);
        ck_assert_str_eq(fx.ev.bsn, BSN);
        ck_assert_int_eq(fx.ev.nfields, 0);

        ENCODE(&m, "ind/Intrekking.v1.avsc", 5, ENV_VNR, FS("retracts", UUID2));
        decode_ok(&m, SWI_SRC_IND, SWI_EV_IND_INTREKKING);
        ck_assert(fx.ev.has_retracts);
        ck_assert_str_eq(fx.ev.retracts, UUID2);
        ck_assert_int_eq(fx.ev.nfields, 0); /* retracts is envelope, not payload */
}
END_TEST

START_TEST(test_decoder_roundtrip_coa)
{
        msg_t m;

        ENCODE(&m, "coa/OpvangInstroom.v1.avsc", 6, ENV_VNR, FS("locatie", "TERAPEL"),
               FS("locatie_gemeente", "GM0037"));
        decode_ok(&m, SWI_SRC_COA, SWI_EV_COA_OPVANG_INSTROOM);
        ASSERT_STR("locatie", "TERAPEL");
        ASSERT_STR("locatie_gemeente", "GM0037");

        ENCODE(&m, "coa/GemeenteGekoppeld.v1.avsc", 8, ENV_VNR, FS("gemeente", "GM0363"),
               FI("afstand_km", 142));
        decode_ok(&m, SWI_SRC_COA, SWI_EV_COA_GEMEENTE_GEKOPPELD);
        ASSERT_STR("gemeente", "GM0363");
        ASSERT_INT("afstand_km", 142);

        ENCODE(&m, "coa/OpvangUitstroom.v1.avsc", 11, ENV_VNR, FE("reden", "HUISVESTING"),
               FS("gemeente", "GM0599"));
        decode_ok(&m, SWI_SRC_COA, SWI_EV_COA_OPVANG_UITSTROOM);
        ASSERT_STR("reden", "HUISVESTING");
        ASSERT_STR("gemeente", "GM0599");

        /* Same schema, optional field absent: SWI_V_NULL, not the previous value. */
        ENCODE(&m, "coa/OpvangUitstroom.v1.avsc", 11, ENV_VNR, FE("reden", "VERTREK"),
               FN("gemeente"));
        decode_ok(&m, SWI_SRC_COA, SWI_EV_COA_OPVANG_UITSTROOM);
        ASSERT_STR("reden", "VERTREK");
        ASSERT_NULL("gemeente");

        ENCODE(&m, "coa/VoorinburgeringGestart.v1.avsc", 9, ENV_VNR);
        decode_ok(&m, SWI_SRC_COA, SWI_EV_COA_VOORINBURGERING_GESTART);
        ck_assert_int_eq(fx.ev.nfields, 0);
}
END_TEST

START_TEST(test_decoder_roundtrip_duo)
{
        msg_t m;

        ENCODE(&m, "duo/LeerbaarheidstoetsAfgenomen.v1.avsc", 14, ENV_BSN, FI("score", 31),
               FE("uitkomst", "B1_HAALBAAR"));
        decode_ok(&m, SWI_SRC_DUO, SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN);
        ck_assert(fx.ev.has_bsn && !fx.ev.has_vnr);
        ck_assert_str_eq(fx.ev.bsn, BSN);
        ASSERT_INT("score", 31);
        ASSERT_STR("uitkomst", "B1_HAALBAAR");

        ENCODE(&m, "duo/ExamenAfgelegd.v1.avsc", 15, ENV_BSN, FE("onderdeel", "STAATSEXAMEN_NT2"),
               FE("niveau", "B2"), FB("geslaagd", 1));
        decode_ok(&m, SWI_SRC_DUO, SWI_EV_DUO_EXAMEN_AFGELEGD);
        ASSERT_STR("onderdeel", "STAATSEXAMEN_NT2");
        ASSERT_STR("niveau", "B2");
        ASSERT_BOOL("geslaagd", 1);

        ENCODE(&m, "duo/TermijnVerlengd.v1.avsc", 16, ENV_BSN, FI("nieuwe_einddatum", 20500),
               FE("grond", "KINDEROPVANG"));
        decode_ok(&m, SWI_SRC_DUO, SWI_EV_DUO_TERMIJN_VERLENGD);
        ASSERT_DATE("nieuwe_einddatum", 20500);
        ASSERT_STR("grond", "KINDEROPVANG");

        ENCODE(&m, "duo/BoeteOpgelegd.v1.avsc", 21, ENV_BSN, FE("reden", "BREDE_INTAKE"),
               FI("bedrag_eur", 250));
        decode_ok(&m, SWI_SRC_DUO, SWI_EV_DUO_BOETE_OPGELEGD);
        ASSERT_INT("bedrag_eur", 250);

        ENCODE(&m, "duo/Intrekking.v1.avsc", 22, ENV_BSN, FS("retracts", UUID2));
        decode_ok(&m, SWI_SRC_DUO, SWI_EV_DUO_INTREKKING);
        ck_assert_str_eq(fx.ev.retracts, UUID2);
}
END_TEST

START_TEST(test_decoder_roundtrip_gemeente)
{
        msg_t m;

        ENCODE(&m, "gemeente/PipVastgesteld.v1.avsc", 27, FS("event_id", UUID1), FS("bsn", BSN),
               FN("v_nummer"), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FS("corrects", UUID2), FS("gemeente", "GM0363"),
               FE("leerroute", "Z"), FB("map", 0), FB("pvt", 1));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_PIP_VASTGESTELD);
        ck_assert(fx.ev.has_corrects);
        ck_assert_str_eq(fx.ev.corrects, UUID2);
        ASSERT_STR("leerroute", "Z");
        ASSERT_BOOL("map", 0);
        ASSERT_BOOL("pvt", 1);

        ENCODE(&m, "gemeente/WerkGestart.v1.avsc", 38, ENV_BSN, FS("sector", "I"),
               FI("uren_per_week", 24), FE("contract", "UITZEND"));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_WERK_GESTART);
        ck_assert(!fx.ev.has_corrects);
        ASSERT_STR("sector", "I");
        ASSERT_INT("uren_per_week", 24);
        ASSERT_STR("contract", "UITZEND");

        ENCODE(&m, "gemeente/BredeIntakeAfgerond.v2.avsc", 26, ENV_BSN, FS("gemeente", "GM0344"),
               FE("opleidingsniveau", "MBO"), FN("werkervaring"), FB("jonge_kinderen", 1));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_BREDE_INTAKE_AFGEROND);
        ck_assert_int_eq(fx.ev.nfields, 4);
        ASSERT_STR("opleidingsniveau", "MBO");
        ASSERT_NULL("werkervaring");
        ASSERT_BOOL("jonge_kinderen", 1);

        ENCODE(&m, "gemeente/Verhuisd.v1.avsc", 24, ENV_BSN, FS("van_gemeente", "GM0363"),
               FS("naar_gemeente", "GM0518"));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_VERHUISD);
        ASSERT_STR("naar_gemeente", "GM0518");

        ENCODE(&m, "gemeente/Intrekking.v1.avsc", 40, ENV_BSN, FS("retracts", UUID2));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_INTREKKING);
        ck_assert(fx.ev.has_retracts);
}
END_TEST

/* ---- mapping details ---------------------------------------------------- */

START_TEST(test_decoder_enum_date_union_mapping)
{
        msg_t m;
        const swi_field_t *f;

        ENCODE(&m, "gemeente/BredeIntakeAfgerond.v2.avsc", 26, ENV_BSN, FS("gemeente", "GM0363"),
               FN("opleidingsniveau"), FE("werkervaring", "VIJF_JAAR_OF_MEER"),
               FB("jonge_kinderen", 0));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_BREDE_INTAKE_AFGEROND);
        ck_assert_str_eq(fx.ev.fields[0].name, "gemeente");
        ck_assert_str_eq(fx.ev.fields[1].name, "opleidingsniveau");
        ck_assert_str_eq(fx.ev.fields[2].name, "werkervaring");
        ck_assert_str_eq(fx.ev.fields[3].name, "jonge_kinderen");
        ASSERT_NULL("opleidingsniveau");                 /* null branch of a union */
        ASSERT_STR("werkervaring", "VIJF_JAAR_OF_MEER"); /* enum in a union: its symbol */
        f = field("jonge_kinderen", SWI_V_BOOL);         /* boolean in a union */
        ck_assert_int_eq(f->i, 0);

        /* A date is SWI_V_DATE, a plain int SWI_V_INT. */
        ENCODE(&m, "ind/AsielaanvraagIngediend.v1.avsc", 1, ENV_VNR, FS("nationaliteit", "AFG"),
               FI("geboortedatum", 0), FE("geslacht", "M"));
        decode_ok(&m, SWI_SRC_IND, SWI_EV_IND_ASIELAANVRAAG_INGEDIEND);
        ASSERT_DATE("geboortedatum", 0);
        ENCODE(&m, "gemeente/MapAfgerond.v1.avsc", 31, ENV_BSN, FS("gemeente", "GM0363"),
               FI("uren", -4));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_MAP_AFGEROND);
        ASSERT_INT("uren", -4); /* the validator, not the decoder, judges values */
}
END_TEST

START_TEST(test_decoder_empty_identifier_is_absent)
{
        msg_t m;

        ENCODE(&m, "duo/OntheffingVerleend.v1.avsc", 17, FS("event_id", UUID1), FS("bsn", ""),
               FS("v_nummer", ""), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FE("grond", "MEDISCH"));
        decode_ok(&m, SWI_SRC_DUO, SWI_EV_DUO_ONTHEFFING_VERLEEND);
        ck_assert(!fx.ev.has_bsn);
        ck_assert(!fx.ev.has_vnr);
        ASSERT_STR("grond", "MEDISCH");
}
END_TEST

/* Decodes m from the topic of src and validates it; returns the first reason. */
static swi_reason_t judge(const msg_t *m, swi_source_t src)
{
        static const swi_validate_conf_t vconf = {.date_tolerance_days = 1};
        swi_reason_t r = decode_src(m, src);
        if (r != SWI_REASON_NONE)
                return r;
        return swi_validate_event(&fx.ev, &vconf, fx.detail, sizeof(fx.detail));
}

/* Issue 10 item 5: a NUL inside an Avro string is the field's defect, never a
 * truncation (a BSN "123456782\0X" passed with the pseudonym of "123456782"). */
START_TEST(test_decoder_nul_in_string_is_the_fields_reason)
{
        msg_t m;

        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, FS("event_id", UUID1),
               FSL("bsn", BSN "\0X", 11), FN("v_nummer"), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FS("gemeente", "GM0363"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_BSN);
        ck_assert_ptr_null(strstr(fx.detail, "1234"));
        /* a NUL at the ninth byte: nine bytes, still not a BSN */
        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, FS("event_id", UUID1),
               FSL("bsn", "12345678\0", 9), FN("v_nummer"), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FS("gemeente", "GM0363"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_BSN);

        ENCODE(&m, "coa/OpvangInstroom.v1.avsc", 6, FS("event_id", UUID1), FN("bsn"),
               FSL("v_nummer", VNR "\0", 11), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FS("locatie", "AZC-ASSEN"),
               FS("locatie_gemeente", "GM0106"));
        ck_assert_int_eq(judge(&m, SWI_SRC_COA), SWI_REASON_INVALID_VNUMMER);

        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, ENV_BSN, FSL("gemeente", "GM0363\0xx", 9));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_VALUE);
        ck_assert_msg(strstr(fx.detail, "gemeente") && strstr(fx.detail, "NUL"), "%s", fx.detail);

        ENCODE(&m, "gemeente/AanbodGestart.v1.avsc", 29, ENV_BSN, FS("gemeente", "GM0363"),
               FSL("aanbieder", "AANB0001\0", 9), FE("leerroute", "B1"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_VALUE);
        ck_assert_msg(strstr(fx.detail, "aanbieder") && strstr(fx.detail, "NUL"), "%s", fx.detail);

        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, FSL("event_id", UUID1 "\0", 37),
               FS("bsn", BSN), FN("v_nummer"), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FS("gemeente", "GM0363"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_VALUE);
        ck_assert_msg(strstr(fx.detail, "event_id") != NULL, "%s", fx.detail);

        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, FS("event_id", UUID1), FS("bsn", BSN),
               FN("v_nummer"), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FSL("corrects", UUID2 "\0", 37),
               FS("gemeente", "GM0363"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_VALUE);
        ck_assert_msg(strstr(fx.detail, "corrects") != NULL, "%s", fx.detail);

        /* a NUL in the identifier still comes before an implausible date */
        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, FS("event_id", UUID1),
               FSL("bsn", BSN "\0", 10), FN("v_nummer"), FI("event_date", -30000),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FS("gemeente", "GM0363"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_BSN);
}
END_TEST

/* Issue 10 item 6: no internal buffer size is a reason. A string is stored
 * whole up to its contract maximum; longer, it is the field's reason
 * (INVALID_BSN, INVALID_VNUMMER, INVALID_VALUE), never UNDECODABLE. */
START_TEST(test_decoder_long_strings_judged_by_the_contract)
{
        static char s[4097];
        msg_t m;

        memset(s, 'A', sizeof(s) - 1);
        /* the case: a valid string of 40 bytes */
        ENCODE(&m, "gemeente/AanbodGestart.v1.avsc", 29, ENV_BSN, FS("gemeente", "GM0363"),
               FSL("aanbieder", s, 40), FE("leerroute", "B1"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_NONE);
        ck_assert_uint_eq(strlen(field("aanbieder", SWI_V_STRING)->s), 40);
        /* the contract maximum is stored whole */
        ENCODE(&m, "gemeente/AanbodGestart.v1.avsc", 29, ENV_BSN, FS("gemeente", "GM0363"),
               FSL("aanbieder", s, SWI_STR_CONTRACT_MAX), FE("leerroute", "B1"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_NONE);
        ck_assert_uint_eq(strlen(field("aanbieder", SWI_V_STRING)->s), SWI_STR_CONTRACT_MAX);
        /* one byte more, and far more: INVALID_VALUE naming the field and the limit */
        ENCODE(&m, "gemeente/AanbodGestart.v1.avsc", 29, ENV_BSN, FS("gemeente", "GM0363"),
               FSL("aanbieder", s, SWI_STR_CONTRACT_MAX + 1), FE("leerroute", "B1"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_VALUE);
        ck_assert_str_eq(fx.detail, "aanbieder is 65 bytes, over its contract maximum of 64");
        ENCODE(&m, "coa/OpvangInstroom.v1.avsc", 6, ENV_VNR, FSL("locatie", s, 4096),
               FS("locatie_gemeente", "GM0106"));
        ck_assert_int_eq(judge(&m, SWI_SRC_COA), SWI_REASON_INVALID_VALUE);
        ck_assert_str_eq(fx.detail, "locatie is 4096 bytes, over its contract maximum of 64");

        /* a long code is not a code */
        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, ENV_BSN,
               FS("gemeente", "GM0363GM0363GM0363GM0363GM0363GM0363GM0363GM0363"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_VALUE);
        ck_assert_ptr_nonnull(strstr(fx.detail, "gemeente"));

        /* over-long identifiers: the field's reason, the detail without the value */
        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, FS("event_id", UUID1),
               FS("bsn", "12345678901234567890"), FN("v_nummer"), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FS("gemeente", "GM0363"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_BSN);
        ck_assert_ptr_null(strstr(fx.detail, "12345"));
        ENCODE(&m, "coa/OpvangInstroom.v1.avsc", 6, FS("event_id", UUID1), FN("bsn"),
               FSL("v_nummer", s, 4096), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FS("locatie", "AZC-ASSEN"),
               FS("locatie_gemeente", "GM0106"));
        ck_assert_int_eq(judge(&m, SWI_SRC_COA), SWI_REASON_INVALID_VNUMMER);
        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, FS("event_id", UUID1 UUID2), FS("bsn", BSN),
               FN("v_nummer"), FI("event_date", DATE_2024_03_01),
               FL("registered_at", TS_2024_03_02), FN("corrects"), FS("gemeente", "GM0363"));
        ck_assert_int_eq(judge(&m, SWI_SRC_GEMEENTE), SWI_REASON_INVALID_VALUE);
        ck_assert_str_eq(fx.detail, "event_id is not a UUID");
}
END_TEST

/* ---- rejections ----------------------------------------------------------- */

START_TEST(test_decoder_unknown_schema)
{
        static const uint8_t body[] = {0x02, 0x41};
        swi_reason_t reason = SWI_REASON_NONE;

        ck_assert_int_eq(swi_decode(fx.dec, SWI_SRC_DUO, 4242, body, sizeof(body), &fx.ev, &reason,
                                    fx.detail, sizeof(fx.detail)),
                         SWI_OK);
        ck_assert_int_eq(reason, SWI_REASON_UNKNOWN_SCHEMA);
        ck_assert_ptr_nonnull(strstr(fx.detail, "4242"));
        /* Asked again: still unknown (not cached as something else). */
        ck_assert_int_eq(swi_decode(fx.dec, SWI_SRC_DUO, 4242, body, sizeof(body), &fx.ev, &reason,
                                    fx.detail, sizeof(fx.detail)),
                         SWI_OK);
        ck_assert_int_eq(reason, SWI_REASON_UNKNOWN_SCHEMA);
}
END_TEST

START_TEST(test_decoder_truncated_body)
{
        msg_t m, cut;
        size_t n;

        ENCODE(&m, "duo/ExamenAfgelegd.v1.avsc", 15, ENV_BSN, FE("onderdeel", "KNM"),
               FE("niveau", "A2"), FB("geslaagd", 0));
        for (n = SWI_WIRE_HEADER_LEN; n < m.len; n++) {
                memcpy(cut.buf, m.buf, n);
                cut.len = n;
                ck_assert_int_eq(decode_src(&cut, SWI_SRC_DUO), SWI_REASON_UNDECODABLE);
                ck_assert_msg(strstr(fx.detail, "truncated") != NULL, "%zu: %s", n, fx.detail);
        }
        /* The decoder is not left in a bad state. */
        ck_assert_int_eq(decode_src(&m, SWI_SRC_DUO), SWI_REASON_NONE);
        ASSERT_STR("onderdeel", "KNM");
}
END_TEST

START_TEST(test_decoder_trailing_garbage)
{
        msg_t m;

        ENCODE(&m, "gemeente/Gevestigd.v1.avsc", 23, ENV_BSN, FS("gemeente", "GM0363"));
        memcpy(m.buf + m.len, "\x01\x02\x03", 3);
        m.len += 3;
        ck_assert_int_eq(decode_src(&m, SWI_SRC_GEMEENTE), SWI_REASON_UNDECODABLE);
        ck_assert_msg(strstr(fx.detail, "3 trailing bytes") != NULL, "%s", fx.detail);
}
END_TEST

START_TEST(test_decoder_corrupt_body)
{
        msg_t m, bad;
        unsigned seed = 12345;
        int i, undecodable = 0;

        ENCODE(&m, "gemeente/PipVastgesteld.v1.avsc", 27, ENV_BSN, FS("gemeente", "GM0363"),
               FE("leerroute", "B1"), FB("map", 1), FB("pvt", 1));

        /* event_id's length varint as a huge negative number. */
        bad = m;
        bad.buf[SWI_WIRE_HEADER_LEN] = 0x7f;
        ck_assert_int_eq(decode_src(&bad, SWI_SRC_GEMEENTE), SWI_REASON_UNDECODABLE);
        ck_assert_msg(strstr(fx.detail, "event_id") != NULL, "%s", fx.detail);

        /* Union branch out of range for bsn. */
        bad = m;
        bad.buf[SWI_WIRE_HEADER_LEN + 1 + 36] = 0x08;
        ck_assert_int_eq(decode_src(&bad, SWI_SRC_GEMEENTE), SWI_REASON_UNDECODABLE);
        ck_assert_msg(strstr(fx.detail, "union") != NULL, "%s", fx.detail);

        /* Random damage never crashes and never leaks (ASan watches). */
        for (i = 0; i < 2000; i++) {
                size_t pos;
                swi_reason_t r;
                bad = m;
                pos = SWI_WIRE_HEADER_LEN + (size_t)rand_r(&seed) % (m.len - SWI_WIRE_HEADER_LEN);
                bad.buf[pos] = (uint8_t)rand_r(&seed);
                if (rand_r(&seed) % 4 == 0)
                        bad.len = SWI_WIRE_HEADER_LEN +
                                  (size_t)rand_r(&seed) % (m.len - SWI_WIRE_HEADER_LEN);
                r = decode_src(&bad, SWI_SRC_GEMEENTE);
                ck_assert(r == SWI_REASON_NONE || r == SWI_REASON_UNDECODABLE);
                undecodable += r == SWI_REASON_UNDECODABLE;
        }
        ck_assert_int_gt(undecodable, 0);
}
END_TEST

START_TEST(test_decoder_wrong_source)
{
        msg_t m;

        ENCODE(&m, "duo/LeerbaarheidstoetsAfgenomen.v1.avsc", 14, ENV_BSN, FI("score", 12),
               FE("uitkomst", "B1_NIET_HAALBAAR"));
        ck_assert_int_eq(decode_src(&m, SWI_SRC_COA), SWI_REASON_WRONG_SOURCE);
        ck_assert_ptr_nonnull(strstr(fx.detail, "nl.swi.duo.LeerbaarheidstoetsAfgenomen"));
        ck_assert_ptr_nonnull(strstr(fx.detail, "coa"));
        ck_assert_ptr_null(strstr(fx.detail, BSN));
        /* Same id on its own topic is fine. */
        decode_ok(&m, SWI_SRC_DUO, SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN);
        /* Intrekking exists in every source, but ids are per source. */
        ENCODE(&m, "coa/Intrekking.v1.avsc", 12, ENV_VNR, FS("retracts", UUID2));
        ck_assert_int_eq(decode_src(&m, SWI_SRC_IND), SWI_REASON_WRONG_SOURCE);
}
END_TEST

/* A rejected message's event type is its own record's (the writer schema
 * names it), or none, never the previous message's: found when dead letters
 * of the same messages delivered in another order differed in event_type
 * (the decoder left ev->type as the message before had set it). */
START_TEST(test_decoder_rejection_names_its_own_record_type)
{
        static const uint8_t junk[] = {0x02, 0x41};
        swi_reason_t reason = SWI_REASON_NONE;
        msg_t ok, lbt, pip;

        ENCODE(&ok, "gemeente/Gevestigd.v1.avsc", 23, ENV_BSN, FS("gemeente", "GM0363"));
        ENCODE(&lbt, "duo/LeerbaarheidstoetsAfgenomen.v1.avsc", 14, ENV_BSN, FI("score", 12),
               FE("uitkomst", "B1_NIET_HAALBAAR"));
        ENCODE(&pip, "gemeente/PipVastgesteld.v1.avsc", 27, ENV_BSN, FS("gemeente", "GM0363"),
               FE("leerroute", "B1"), FB("map", 1), FB("pvt", 1));
        memcpy(pip.buf + pip.len, "\x01", 1);
        pip.len += 1;

        decode_ok(&ok, SWI_SRC_GEMEENTE, SWI_EV_GEM_GEVESTIGD);
        ck_assert_int_eq(decode_src(&lbt, SWI_SRC_COA), SWI_REASON_WRONG_SOURCE);
        ck_assert_int_eq(fx.ev.type, SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN);
        decode_ok(&ok, SWI_SRC_GEMEENTE, SWI_EV_GEM_GEVESTIGD);
        ck_assert_int_eq(decode_src(&pip, SWI_SRC_GEMEENTE), SWI_REASON_UNDECODABLE);
        ck_assert_int_eq(fx.ev.type, SWI_EV_GEM_PIP_VASTGESTELD);
        decode_ok(&ok, SWI_SRC_GEMEENTE, SWI_EV_GEM_GEVESTIGD);
        ck_assert_int_eq(swi_decode(fx.dec, SWI_SRC_DUO, 4242, junk, sizeof(junk), &fx.ev, &reason,
                                    fx.detail, sizeof(fx.detail)),
                         SWI_OK);
        ck_assert_int_eq(reason, SWI_REASON_UNKNOWN_SCHEMA);
        ck_assert_int_eq(fx.ev.type, SWI_EV_NONE);
}
END_TEST

/* ---- schema evolution ------------------------------------------------------- */

START_TEST(test_decoder_schema_evolution_v1_message)
{
        msg_t m;

        ENCODE(&m, "gemeente/BredeIntakeAfgerond.v1.avsc", 100, ENV_BSN, FS("gemeente", "GM0363"),
               FE("opleidingsniveau", "HBO_WO"), FE("werkervaring", "TOT_2_JAAR"));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_BREDE_INTAKE_AFGEROND);
        ck_assert_int_eq(fx.ev.schema_id, 100);
        ck_assert_int_eq(fx.ev.nfields, 4);
        ASSERT_STR("gemeente", "GM0363");
        ASSERT_STR("opleidingsniveau", "HBO_WO");
        ASSERT_STR("werkervaring", "TOT_2_JAAR");
        ASSERT_NULL("jonge_kinderen"); /* added in v2 with default null */
        ck_assert_str_eq(fx.ev.fields[3].name, "jonge_kinderen");

        /* v1 and v2 messages interleaved share nothing they should not. */
        ENCODE(&m, "gemeente/BredeIntakeAfgerond.v2.avsc", 26, ENV_BSN, FS("gemeente", "GM0014"),
               FN("opleidingsniveau"), FN("werkervaring"), FB("jonge_kinderen", 1));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_BREDE_INTAKE_AFGEROND);
        ASSERT_BOOL("jonge_kinderen", 1);
        ck_assert_int_eq(fx.ev.schema_id, 26);
        ENCODE(&m, "gemeente/BredeIntakeAfgerond.v1.avsc", 100, ENV_BSN, FS("gemeente", "GM0363"),
               FN("opleidingsniveau"), FN("werkervaring"));
        decode_ok(&m, SWI_SRC_GEMEENTE, SWI_EV_GEM_BREDE_INTAKE_AFGEROND);
        ASSERT_NULL("jonge_kinderen");
        ASSERT_NULL("opleidingsniveau");
}
END_TEST

/* Writer schemas that cannot be decoded, served from a scratch registry. */
static const char *const odd_writers[][2] = {
    /* an unknown record name in a known namespace */
    {"500", "{\"type\":\"record\",\"name\":\"Onbekend\",\"namespace\":\"nl.swi.duo\","
            "\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"}]}"},
    /* a reader field without default that the writer lacks (geslaagd) */
    {"501", "{\"type\":\"record\",\"name\":\"ExamenAfgelegd\",\"namespace\":\"nl.swi.duo\","
            "\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"},"
            "{\"name\":\"bsn\",\"type\":[\"null\",\"string\"],\"default\":null},"
            "{\"name\":\"v_nummer\",\"type\":[\"null\",\"string\"],\"default\":null},"
            "{\"name\":\"event_date\",\"type\":\"int\"},"
            "{\"name\":\"registered_at\",\"type\":\"long\"},"
            "{\"name\":\"corrects\",\"type\":[\"null\",\"string\"],\"default\":null},"
            "{\"name\":\"onderdeel\",\"type\":{\"type\":\"enum\",\"name\":\"Onderdeel\","
            "\"symbols\":[\"LEZEN\"]}},"
            "{\"name\":\"niveau\",\"type\":{\"type\":\"enum\",\"name\":\"Niveau\","
            "\"symbols\":[\"A1\"]}}]}"},
    /* not a swi namespace */
    {"502", "{\"type\":\"record\",\"name\":\"Gevestigd\",\"namespace\":\"com.example\","
            "\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"}]}"},
    /* a type the writer changed incompatibly (score as string) */
    {"503", "{\"type\":\"record\",\"name\":\"LeerbaarheidstoetsAfgenomen\","
            "\"namespace\":\"nl.swi.duo\","
            "\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"},"
            "{\"name\":\"bsn\",\"type\":[\"null\",\"string\"],\"default\":null},"
            "{\"name\":\"v_nummer\",\"type\":[\"null\",\"string\"],\"default\":null},"
            "{\"name\":\"event_date\",\"type\":\"int\"},"
            "{\"name\":\"registered_at\",\"type\":\"long\"},"
            "{\"name\":\"corrects\",\"type\":[\"null\",\"string\"],\"default\":null},"
            "{\"name\":\"score\",\"type\":\"string\"},"
            "{\"name\":\"uitkomst\",\"type\":{\"type\":\"enum\",\"name\":\"Uitkomst\","
            "\"symbols\":[\"B1_HAALBAAR\",\"B1_NIET_HAALBAAR\"]}}]}"},
    /* enum symbols reordered: Avro C would map them by index */
    {"504", "{\"type\":\"record\",\"name\":\"OntheffingVerleend\","
            "\"namespace\":\"nl.swi.duo\","
            "\"fields\":[{\"name\":\"event_id\",\"type\":\"string\"},"
            "{\"name\":\"event_date\",\"type\":\"int\"},"
            "{\"name\":\"registered_at\",\"type\":\"long\"},"
            "{\"name\":\"grond\",\"type\":{\"type\":\"enum\",\"name\":\"G\","
            "\"symbols\":[\"OVERIG\",\"MEDISCH\"]}}]}"},
};

START_TEST(test_decoder_unresolvable_writer_schema)
{
        static const char *const expect[] = {"not an event type", "has no default",
                                             "not in a namespace", "does not resolve",
                                             "may only be appended"};
        static const swi_source_t topic[] = {SWI_SRC_DUO, SWI_SRC_DUO, SWI_SRC_GEMEENTE,
                                             SWI_SRC_DUO, SWI_SRC_DUO};
        char dir[] = "/tmp/check_decoder.XXXXXX";
        char path[512], errstr[256] = "";
        static const uint8_t body[] = {0x00};
        swi_registry_t *reg;
        swi_decoder_t *dec;
        swi_reason_t reason;
        FILE *fp;
        size_t i, n = sizeof(odd_writers) / sizeof(odd_writers[0]);

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/registry.json", dir);
        fp = fopen(path, "w");
        ck_assert_ptr_nonnull(fp);
        fputs("{\"schemas\":[", fp);
        for (i = 0; i < n; i++) {
                const char *name = strstr(odd_writers[i][1], "\"name\":\"") + 8;
                fprintf(fp, "%s{\"id\":%s,\"name\":\"%.*s\",\"file\":\"%s.avsc\"}", i ? "," : "",
                        odd_writers[i][0], (int)strcspn(name, "\""), name, odd_writers[i][0]);
        }
        fputs("]}", fp);
        fclose(fp);
        for (i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/%s.avsc", dir, odd_writers[i][0]);
                fp = fopen(path, "w");
                ck_assert_ptr_nonnull(fp);
                fputs(odd_writers[i][1], fp);
                fclose(fp);
        }
        reg = swi_registry_new_local(dir, errstr, sizeof(errstr));
        ck_assert_msg(reg != NULL, "%s", errstr);
        dec = swi_decoder_new(reg, SCHEMA_DIR, errstr, sizeof(errstr));
        ck_assert_msg(dec != NULL, "%s", errstr);
        for (i = 0; i < n; i++) {
                int round;
                for (round = 0; round < 2; round++) { /* second time: the cached verdict */
                        ck_assert_int_eq(swi_decode(dec, topic[i], atoi(odd_writers[i][0]), body,
                                                    sizeof(body), &fx.ev, &reason, fx.detail,
                                                    sizeof(fx.detail)),
                                         SWI_OK);
                        ck_assert_int_eq(reason, SWI_REASON_UNDECODABLE);
                        ck_assert_msg(strstr(fx.detail, expect[i]) != NULL, "%s: %s",
                                      odd_writers[i][0], fx.detail);
                }
        }
        swi_decoder_destroy(dec);
        swi_registry_destroy(reg);
        for (i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/%s.avsc", dir, odd_writers[i][0]);
                unlink(path);
        }
        snprintf(path, sizeof(path), "%s/registry.json", dir);
        unlink(path);
        rmdir(dir);
}
END_TEST

START_TEST(test_decoder_registry_down)
{
        struct sockaddr_in addr;
        socklen_t alen = sizeof(addr);
        char url[64], errstr[256] = "";
        static const uint8_t body[] = {0x00};
        swi_registry_t *reg;
        swi_decoder_t *dec;
        swi_reason_t reason = SWI_REASON_NONE;
        int fd;

        /* A port nobody listens on. */
        fd = socket(AF_INET, SOCK_STREAM, 0);
        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
        close(fd);
        snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));

        reg = swi_registry_new_http(url, 1000, errstr, sizeof(errstr));
        ck_assert_msg(reg != NULL, "%s", errstr);
        dec = swi_decoder_new(reg, SCHEMA_DIR, errstr, sizeof(errstr));
        ck_assert_msg(dec != NULL, "%s", errstr);
        ck_assert_int_eq(swi_decode(dec, SWI_SRC_DUO, 14, body, sizeof(body), &fx.ev, &reason,
                                    fx.detail, sizeof(fx.detail)),
                         SWI_ERR_REGISTRY_DOWN);
        ck_assert_uint_ge(swi_registry_outages(reg), 1);
        swi_decoder_destroy(dec);
        swi_registry_destroy(reg);
}
END_TEST

START_TEST(test_decoder_bad_reader_dir)
{
        char errstr[256] = "";

        ck_assert_ptr_null(swi_decoder_new(fx.reg, "/nonexistent", errstr, sizeof(errstr)));
        ck_assert_ptr_nonnull(strstr(errstr, "registry.json"));
        swi_decoder_destroy(NULL);
}
END_TEST

/* Many messages through the cached values: no state carried between them. */
START_TEST(test_decoder_many_messages)
{
        msg_t a, b;
        int i;

        ENCODE(&a, "coa/OpvangUitstroom.v1.avsc", 11, ENV_VNR, FE("reden", "OVERIG"),
               FS("gemeente", "GM0599"));
        ENCODE(&b, "coa/OpvangUitstroom.v1.avsc", 11, ENV_VNR, FE("reden", "VERTREK"),
               FN("gemeente"));
        for (i = 0; i < 20000; i++) {
                const msg_t *m = i % 3 ? &a : &b;
                ck_assert_int_eq(decode_src(m, SWI_SRC_COA), SWI_REASON_NONE);
                if (m == &a)
                        ASSERT_STR("gemeente", "GM0599");
                else
                        ASSERT_NULL("gemeente");
        }
}
END_TEST

static Suite *decoder_suite(void)
{
        Suite *s = suite_create("decoder");
        TCase *tc = tcase_create("core");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_decoder_roundtrip_ind);
        tcase_add_test(tc, test_decoder_roundtrip_coa);
        tcase_add_test(tc, test_decoder_roundtrip_duo);
        tcase_add_test(tc, test_decoder_roundtrip_gemeente);
        tcase_add_test(tc, test_decoder_enum_date_union_mapping);
        tcase_add_test(tc, test_decoder_empty_identifier_is_absent);
        tcase_add_test(tc, test_decoder_nul_in_string_is_the_fields_reason);
        tcase_add_test(tc, test_decoder_long_strings_judged_by_the_contract);
        tcase_add_test(tc, test_decoder_unknown_schema);
        tcase_add_test(tc, test_decoder_truncated_body);
        tcase_add_test(tc, test_decoder_trailing_garbage);
        tcase_add_test(tc, test_decoder_corrupt_body);
        tcase_add_test(tc, test_decoder_wrong_source);
        tcase_add_test(tc, test_decoder_rejection_names_its_own_record_type);
        tcase_add_test(tc, test_decoder_schema_evolution_v1_message);
        tcase_add_test(tc, test_decoder_unresolvable_writer_schema);
        tcase_add_test(tc, test_decoder_registry_down);
        tcase_add_test(tc, test_decoder_bad_reader_dir);
        tcase_add_test(tc, test_decoder_many_messages);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(decoder_suite());
        int failed;

        setenv("no_proxy", "*", 1);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
