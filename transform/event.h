/* event.h - the canonical event: what every registry message becomes after
 * unframing and decoding, before validation and pseudonymisation.
 *
 * The table SWI_SOURCES is the single list of sources (registries), and
 * SWI_EVENT_TYPES the single list of event types of events.md; schemas/, the
 * configuration, the decoder, the validator, the generator and the sink all
 * key on them.
 *
 * Ownership: swi_event_t is a plain value type with inline storage; it owns no
 * heap memory and may be copied with memcpy/assignment.
 * Thread safety: none needed (values). */
#ifndef SWI_EVENT_H
#define SWI_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The identifier a source's events are keyed by (and must carry). */
typedef enum swi_ident_e {
        SWI_IDENT_NONE = 0,
        SWI_IDENT_BSN,
        SWI_IDENT_VNUMMER,
} swi_ident_t;

/* SWI_SOURCES is the single list of the registries swi-stream reads
 * (docs/sources.md: what adding one takes). Per source:
 *   ENUM_SUFFIX  SWI_SRC_<ENUM_SUFFIX>
 *   name         swi.events.source and swi_ops.dead_letters.source, the Avro
 *                namespace nl.swi.<name>, the schema directory schemas/<name>/,
 *                the property topic.<name>, the source="<name>" label of the
 *                metrics
 *   topic        the default of topic.<name>; <name>.events, which the
 *                freshness views (swi_pub.freshness, source_status) assume
 *   ident        the identifier its events carry and are keyed by in Kafka
 *   label        how --help and logs name it ("IND source topic")
 *   intrekking   its retraction event type (SWI_EV_<intrekking>)
 *   gen_lag_days swi-gen only: registrations lag up to this many days
 * tests/unit/check_event.c checks the table against schemas/ and
 * check_pg_sink.c against the migrations.
 * X(ENUM_SUFFIX, "name", "topic", ident, "label", intrekking, gen_lag_days) */
#define SWI_SOURCES(X)                                                                             \
        X(IND, "ind", "ind.events", SWI_IDENT_VNUMMER, "IND", IND_INTREKKING, 14)                  \
        X(COA, "coa", "coa.events", SWI_IDENT_VNUMMER, "COA", COA_INTREKKING, 7)                   \
        X(DUO, "duo", "duo.events", SWI_IDENT_BSN, "DUO", DUO_INTREKKING, 28)                      \
        X(GEMEENTE, "gemeente", "gemeente.events", SWI_IDENT_BSN, "gemeente", GEM_INTREKKING, 42)

typedef enum swi_source_e {
#define SWI__X(e, name, topic, ident, label, intrekking, lag) SWI_SRC_##e,
        SWI_SOURCES(SWI__X)
#undef SWI__X
                SWI_SRC__CNT
} swi_source_t;

/* X(ENUM_SUFFIX, "EventTypeName", SOURCE) */
#define SWI_EVENT_TYPES(X)                                                                         \
        X(IND_ASIELAANVRAAG_INGEDIEND, "AsielaanvraagIngediend", SWI_SRC_IND)                      \
        X(IND_VERBLIJFSVERGUNNING_VERLEEND, "VerblijfsvergunningVerleend", SWI_SRC_IND)            \
        X(IND_BSN_TOEGEKEND, "BsnToegekend", SWI_SRC_IND)                                          \
        X(IND_VERBLIJF_BEEINDIGD, "VerblijfBeeindigd", SWI_SRC_IND)                                \
        X(IND_INTREKKING, "Intrekking", SWI_SRC_IND)                                               \
        X(COA_OPVANG_INSTROOM, "OpvangInstroom", SWI_SRC_COA)                                      \
        X(COA_OPVANG_OVERPLAATSING, "OpvangOverplaatsing", SWI_SRC_COA)                            \
        X(COA_GEMEENTE_GEKOPPELD, "GemeenteGekoppeld", SWI_SRC_COA)                                \
        X(COA_VOORINBURGERING_GESTART, "VoorinburgeringGestart", SWI_SRC_COA)                      \
        X(COA_VOORINBURGERING_BEEINDIGD, "VoorinburgeringBeeindigd", SWI_SRC_COA)                  \
        X(COA_OPVANG_UITSTROOM, "OpvangUitstroom", SWI_SRC_COA)                                    \
        X(COA_INTREKKING, "Intrekking", SWI_SRC_COA)                                               \
        X(DUO_INBURGERINGSPLICHT_ONTSTAAN, "InburgeringsplichtOntstaan", SWI_SRC_DUO)              \
        X(DUO_LEERBAARHEIDSTOETS_AFGENOMEN, "LeerbaarheidstoetsAfgenomen", SWI_SRC_DUO)            \
        X(DUO_EXAMEN_AFGELEGD, "ExamenAfgelegd", SWI_SRC_DUO)                                      \
        X(DUO_TERMIJN_VERLENGD, "TermijnVerlengd", SWI_SRC_DUO)                                    \
        X(DUO_ONTHEFFING_VERLEEND, "OntheffingVerleend", SWI_SRC_DUO)                              \
        X(DUO_VRIJSTELLING_VERLEEND, "VrijstellingVerleend", SWI_SRC_DUO)                          \
        X(DUO_INBURGERINGSPLICHT_VOLDAAN, "InburgeringsplichtVoldaan", SWI_SRC_DUO)                \
        X(DUO_INBURGERINGSPLICHT_VERVALLEN, "InburgeringsplichtVervallen", SWI_SRC_DUO)            \
        X(DUO_BOETE_OPGELEGD, "BoeteOpgelegd", SWI_SRC_DUO)                                        \
        X(DUO_INTREKKING, "Intrekking", SWI_SRC_DUO)                                               \
        X(GEM_GEVESTIGD, "Gevestigd", SWI_SRC_GEMEENTE)                                            \
        X(GEM_VERHUISD, "Verhuisd", SWI_SRC_GEMEENTE)                                              \
        X(GEM_BREDE_INTAKE_GESTART, "BredeIntakeGestart", SWI_SRC_GEMEENTE)                        \
        X(GEM_BREDE_INTAKE_AFGEROND, "BredeIntakeAfgerond", SWI_SRC_GEMEENTE)                      \
        X(GEM_PIP_VASTGESTELD, "PipVastgesteld", SWI_SRC_GEMEENTE)                                 \
        X(GEM_LEERROUTE_GEWIJZIGD, "LeerrouteGewijzigd", SWI_SRC_GEMEENTE)                         \
        X(GEM_AANBOD_GESTART, "AanbodGestart", SWI_SRC_GEMEENTE)                                   \
        X(GEM_PVT_AFGEROND, "PvtAfgerond", SWI_SRC_GEMEENTE)                                       \
        X(GEM_MAP_AFGEROND, "MapAfgerond", SWI_SRC_GEMEENTE)                                       \
        X(GEM_PARTICIPATIE_UREN, "ParticipatieUren", SWI_SRC_GEMEENTE)                             \
        X(GEM_ZROUTE_EINDGESPREK, "ZRouteEindgesprek", SWI_SRC_GEMEENTE)                           \
        X(GEM_ONTZORGEN_GESTART, "OntzorgenGestart", SWI_SRC_GEMEENTE)                             \
        X(GEM_ONTZORGEN_BEEINDIGD, "OntzorgenBeeindigd", SWI_SRC_GEMEENTE)                         \
        X(GEM_BIJSTAND_GESTART, "BijstandGestart", SWI_SRC_GEMEENTE)                               \
        X(GEM_BIJSTAND_BEEINDIGD, "BijstandBeeindigd", SWI_SRC_GEMEENTE)                           \
        X(GEM_WERK_GESTART, "WerkGestart", SWI_SRC_GEMEENTE)                                       \
        X(GEM_WERK_BEEINDIGD, "WerkBeeindigd", SWI_SRC_GEMEENTE)                                   \
        X(GEM_INTREKKING, "Intrekking", SWI_SRC_GEMEENTE)

typedef enum swi_evtype_e {
#define SWI__X(e, name, src) SWI_EV_##e,
        SWI_EVENT_TYPES(SWI__X)
#undef SWI__X
                SWI_EV__CNT
} swi_evtype_t;

#define SWI_EV_NONE SWI_EV__CNT

/* Why a message was rejected (events.md "What counts as bad input"). */
#define SWI_REASONS(X)                                                                             \
        X(BAD_FRAMING)                                                                             \
        X(UNKNOWN_SCHEMA)                                                                          \
        X(UNDECODABLE)                                                                             \
        X(WRONG_SOURCE)                                                                            \
        X(NO_IDENTITY)                                                                             \
        X(INVALID_BSN)                                                                             \
        X(INVALID_VNUMMER)                                                                         \
        X(INVALID_VALUE)                                                                           \
        X(IMPLAUSIBLE_DATE)

typedef enum swi_reason_e {
        SWI_REASON_NONE = 0, /* accepted */
#define SWI__X(r) SWI_REASON_##r,
        SWI_REASONS(SWI__X)
#undef SWI__X
                SWI_REASON__CNT
} swi_reason_t;

/* Kinds of payload values after decoding. Avro enum symbols arrive as STRING. */
typedef enum swi_vkind_e {
        SWI_V_NULL = 0, /* optional field absent */
        SWI_V_STRING,
        SWI_V_INT,  /* int or long */
        SWI_V_BOOL,
        SWI_V_DATE, /* days since 1970-01-01 */
} swi_vkind_t;

/* Sizes. A payload string is at most SWI_STR_CONTRACT_MAX bytes (the schema
 * contract, docs/schemas.md "Sizes"); its buffer holds that whole. */
#define SWI_FIELD_NAME_MAX   32
#define SWI_STR_CONTRACT_MAX 64
#define SWI_FIELD_STR_MAX    (SWI_STR_CONTRACT_MAX + 1)
#define SWI_MAX_FIELDS       8
#define SWI_UUID_LEN         36
#define SWI_ID_BUF           16 /* bsn (9 digits), v_nummer (10) */

/* A string the decoder could not keep as a C string - it contains a NUL byte,
 * or it is longer than its buffer, which then holds a prefix - carries its
 * length as sent in a *_wire_len member; 0 there means the buffer holds the
 * whole value (as in every event not straight from the decoder). Such a string
 * is never valid: the validator rejects it with the field's reason. */

typedef struct swi_field_s {
        char name[SWI_FIELD_NAME_MAX];
        swi_vkind_t kind;
        uint32_t wire_len; /* STRING: see above */
        int64_t i;         /* INT, BOOL (0/1), DATE */
        char s[SWI_FIELD_STR_MAX];
} swi_field_t;

#define SWI_PSEUDO_LEN 32 /* HMAC-SHA-256 */

typedef struct swi_event_s {
        swi_source_t source;
        swi_evtype_t type;
        char event_id[SWI_UUID_LEN + 1];
        /* Raw identifiers: only between decoding and pseudonymisation.
         * swi_pseudonym_apply() wipes them. */
        bool has_bsn, has_vnr;
        char bsn[SWI_ID_BUF];
        char vnr[SWI_ID_BUF];
        /* Pseudonyms (set by swi_pseudonym_apply()). */
        bool has_bsn_ps, has_vnr_ps;
        uint8_t bsn_ps[SWI_PSEUDO_LEN];
        uint8_t vnr_ps[SWI_PSEUDO_LEN];
        int32_t event_date;    /* days since 1970-01-01 */
        int64_t registered_at; /* ms since epoch, UTC */
        bool has_corrects, has_retracts;
        char corrects[SWI_UUID_LEN + 1];
        char retracts[SWI_UUID_LEN + 1];
        /* wire lengths of the envelope's strings (see above) */
        uint32_t event_id_wire_len, bsn_wire_len, vnr_wire_len, corrects_wire_len,
            retracts_wire_len;
        int schema_id;
        int nfields;
        swi_field_t fields[SWI_MAX_FIELDS]; /* payload, in schema order */
} swi_event_t;

/* A row of SWI_SOURCES (static; see there). */
typedef struct swi_source_info_s {
        const char *name;
        const char *topic; /* default topic */
        swi_ident_t ident;
        const char *label;
        swi_evtype_t intrekking;
        int gen_lag_days;
} swi_source_info_t;

/* The row of src; NULL for anything but a source (SWI_SRC__CNT included). */
const swi_source_info_t *swi_source_info(swi_source_t src);
/* Static names. swi_source_name: "ind", "coa", "duo", "gemeente"; "?" if none. */
const char *swi_source_name(swi_source_t src);
/* Parses a source name; returns SWI_SRC__CNT if unknown. */
swi_source_t swi_source_from_name(const char *name);
/* The identifier src's events carry; SWI_IDENT_NONE for no source. */
swi_ident_t swi_source_ident(swi_source_t src);
/* Event type name ("PipVastgesteld"); "?" for SWI_EV_NONE. */
const char *swi_evtype_name(swi_evtype_t t);
swi_source_t swi_evtype_source(swi_evtype_t t);
/* True for the Intrekking of any source (its row's intrekking). */
bool swi_evtype_is_intrekking(swi_evtype_t t);
/* Finds the event type by (source, name); SWI_EV_NONE if none. */
swi_evtype_t swi_evtype_lookup(swi_source_t src, const char *name);
/* Finds the event type by name in any source (first match); SWI_EV_NONE if none. */
swi_evtype_t swi_evtype_lookup_any(const char *name, swi_source_t prefer);
/* "BAD_FRAMING", ...; "NONE" for SWI_REASON_NONE. */
const char *swi_reason2str(swi_reason_t r);
/* Parses a reason name; SWI_REASON__CNT if unknown. */
swi_reason_t swi_reason_from_str(const char *s);

/* Payload field by name, NULL if the event has no such field. */
const swi_field_t *swi_event_field(const swi_event_t *ev, const char *name);

/* Date helpers: days since epoch <-> y/m/d (proleptic Gregorian). */
int32_t swi_date_from_ymd(int y, int m, int d);
void swi_date_to_ymd(int32_t days, int *y, int *m, int *d);
/* Adds years and months keeping the day, clamped to the month's last day (indicators.md §1). */
int32_t swi_date_add_months(int32_t days, int months);
/* Formats the day as YYYY-MM-DD into buf (SWI_DATE_BUF bytes); returns buf.
 * Any day, e.g. of an int64 millisecond timestamp, prints whole: years outside
 * 0000-9999 as ISO 8601 expanded years with their sign (+12345-01-01,
 * -0044-03-15; astronomical numbering, year 0 is 1 BC), as java.time does. */
#define SWI_DATE_BUF 32
char *swi_date_format(int64_t days, char *buf);
/* Parses YYYY-MM-DD; returns 0 on success. */
int swi_date_parse(const char *s, int32_t *out);

#endif
