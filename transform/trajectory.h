/* trajectory.h - the Wi2021 rules as plain functions over canonical events:
 * resolution of duplicates, corrections and retractions at a knowledge time K
 * (indicators.md §1), identity within a cluster (§2), and the per-person
 * attributes at a peildatum P (§3-§4), plus data-quality findings and the
 * versions of a cluster's trajectories on knowledge time.
 *
 * No I/O, no Kafka, no PostgreSQL: events in, values out.
 *
 * Terms
 *   cluster   a set of events that can only affect each other: a BSN, every
 *             V-nummer ever linked to it by BsnToegekend, and their events
 *             (the caller builds clusters; any set of events is accepted).
 *   K         knowledge time, ms since epoch: only events with
 *             registered_at <= K exist. SWI_K_ALL = everything.
 *   P         peildatum, days since epoch: state at the end of day P from
 *             effective events with event_date <= P. SWI_DATE_END = "end of
 *             time" (every effective event counts, whatever its event_date).
 *
 * Ownership: every input event is borrowed. Results that point at events
 * (swi_eff_t) are valid only while the caller keeps those events alive and
 * unmodified. Objects returned by swi_cluster_resolve() are owned by the caller
 * and freed with swi_cluster_destroy(); lists with their _free function
 * (NULL is a no-op).
 * Thread safety: no global state; all functions are reentrant. One
 * swi_cluster_t / swi_findings_t / swi_versions_t must not be used from two
 * threads at once unless all users only read it. The gemeente lookup
 * functions you pass in are called from the calling thread and must be safe
 * to call concurrently if you call this module from several threads. */
#ifndef SWI_TRAJECTORY_H
#define SWI_TRAJECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/swi_err.h"
#include "transform/event.h"

/* ---- dates and knowledge times ------------------------------------------ */

#define SWI_DATE_NONE INT32_MIN /* date attribute absent */
#define SWI_DATE_END  INT32_MAX /* P = end of time */
#define SWI_DATE_OPEN INT32_MAX /* end of a spell that is still open */
#define SWI_K_ALL     INT64_MAX /* K = everything ever registered */

/* ---- municipalities (the CSV loader lives in transform/gemeenten.c) ------ */

/* How the rules see the municipality reference. Both members may be NULL and
 * the whole pointer may be NULL: then codes are used as they are and every
 * region is unknown. Pass {swi_gemeente_successor, swi_gemeente_region} in
 * production.
 *   successor(code): the successor of a dissolved code (indicators.md §7);
 *                    NULL, "" or code itself when it was not dissolved.
 *   region(code):    the arbeidsmarktregio code ("AM12") or NULL if unknown.
 * Returned strings must stay valid for the duration of the call. */
typedef struct swi_gemeente_lookup_s {
        const char *(*successor)(const char *code);
        const char *(*region)(const char *code);
} swi_gemeente_lookup_t;

#define SWI_GEMEENTE_LEN 8 /* "GM0363" / "AM12" plus NUL, padded */

/* ---- categorical values ------------------------------------------------- */
/* Every enum has 0 = absent / ONBEKEND, so a zeroed person means "nothing
 * known". The names tables (swi_traj_name) give the events.md symbols; the
 * publishing order of events.md is the enum order 1..n, then ONBEKEND. */

typedef enum swi_wet_e { SWI_WET_NONE = 0, SWI_WET_WI2021, SWI_WET_WI2013, SWI_WET__CNT } swi_wet_t;

typedef enum swi_doelgroep_e {
        SWI_DOELGROEP_NONE = 0,
        SWI_DOELGROEP_ASIEL,
        SWI_DOELGROEP_GEZIN,
        SWI_DOELGROEP_OVERIG,
        SWI_DOELGROEP__CNT
} swi_doelgroep_t;

typedef enum swi_geslacht_e {
        SWI_GESLACHT_ONBEKEND = 0,
        SWI_GESLACHT_M,
        SWI_GESLACHT_V,
        SWI_GESLACHT_X,
        SWI_GESLACHT__CNT
} swi_geslacht_t;

typedef enum swi_lftklasse_e {
        SWI_LFT_ONBEKEND = 0,
        SWI_LFT_LT18, /* < 18 */
        SWI_LFT_18_24,
        SWI_LFT_25_34,
        SWI_LFT_35_44,
        SWI_LFT_45_54,
        SWI_LFT_55PLUS,
        SWI_LFT__CNT
} swi_lftklasse_t;

/* Yes/no/unknown (jongere, jonge_kinderen). */
typedef enum swi_tri_e { SWI_TRI_ONBEKEND = 0, SWI_TRI_JA, SWI_TRI_NEE, SWI_TRI__CNT } swi_tri_t;

typedef enum swi_leerroute_e {
        SWI_ROUTE_NONE = 0,
        SWI_ROUTE_B1,
        SWI_ROUTE_Z,
        SWI_ROUTE_ONDERWIJS,
        SWI_ROUTE__CNT
} swi_leerroute_t;

typedef enum swi_lbt_uitkomst_e {
        SWI_LBT_NONE = 0,
        SWI_LBT_B1_HAALBAAR,
        SWI_LBT_B1_NIET_HAALBAAR,
        SWI_LBT__CNT
} swi_lbt_uitkomst_t;

typedef enum swi_einde_e {
        SWI_EINDE_NONE = 0,
        SWI_EINDE_VOLDAAN,
        SWI_EINDE_ONTHEFFING,
        SWI_EINDE_VRIJSTELLING,
        SWI_EINDE_VERVALLEN,
        SWI_EINDE__CNT
} swi_einde_t;

typedef enum swi_niveau_e {
        SWI_NIVEAU_NONE = 0, /* absent */
        SWI_NIVEAU_GEEN,     /* hoogste_niveau GEEN */
        SWI_NIVEAU_A1,
        SWI_NIVEAU_A2,
        SWI_NIVEAU_B1,
        SWI_NIVEAU_B2,
        SWI_NIVEAU__CNT
} swi_niveau_t;

typedef enum swi_vi_uitkomst_e {
        SWI_VI_NONE = 0,
        SWI_VI_AFGEROND,
        SWI_VI_AFGEBROKEN,
        SWI_VI__CNT
} swi_vi_uitkomst_t;

typedef enum swi_opleiding_e {
        SWI_OPL_ONBEKEND = 0,
        SWI_OPL_GEEN,
        SWI_OPL_PRIMAIR,
        SWI_OPL_VOORTGEZET,
        SWI_OPL_MBO,
        SWI_OPL_HBO_WO,
        SWI_OPL__CNT
} swi_opleiding_t;

typedef enum swi_werkervaring_e {
        SWI_WERKERV_ONBEKEND = 0,
        SWI_WERKERV_GEEN,
        SWI_WERKERV_TOT_2_JAAR,
        SWI_WERKERV_TWEE_TOT_VIJF_JAAR,
        SWI_WERKERV_VIJF_JAAR_OF_MEER,
        SWI_WERKERV__CNT
} swi_werkervaring_t;

typedef enum swi_contract_e {
        SWI_CONTRACT_NONE = 0,
        SWI_CONTRACT_VAST,
        SWI_CONTRACT_TIJDELIJK,
        SWI_CONTRACT_UITZEND,
        SWI_CONTRACT_ZELFSTANDIG,
        SWI_CONTRACT__CNT
} swi_contract_t;

/* Exam dimensions are 0-based: they index swi_person_t.exams. */
typedef enum swi_onderdeel_e {
        SWI_OND_LEZEN = 0,
        SWI_OND_LUISTEREN,
        SWI_OND_SCHRIJVEN,
        SWI_OND_SPREKEN,
        SWI_OND_KNM,
        SWI_OND_STAATSEXAMEN_NT2,
        SWI_OND__CNT
} swi_onderdeel_t;

typedef enum swi_examniveau_e {
        SWI_EXN_A1 = 0,
        SWI_EXN_A2,
        SWI_EXN_B1,
        SWI_EXN_B2,
        SWI_EXN__CNT
} swi_examniveau_t;

/* TermijnVerlengd grond, 0-based: indexes swi_person_t.verlengingen. */
typedef enum swi_verlenging_grond_e {
        SWI_VGR_GEEN_AANBOD = 0,
        SWI_VGR_KINDEROPVANG,
        SWI_VGR_VERBLIJF_AZC,
        SWI_VGR_WERK,
        SWI_VGR_MEDISCH,
        SWI_VGR_OVERIG,
        SWI_VGR__CNT
} swi_verlenging_grond_t;

/* Which enum swi_traj_name() names. */
typedef enum swi_traj_enum_e {
        SWI_TE_WET = 0,
        SWI_TE_DOELGROEP,
        SWI_TE_GESLACHT,
        SWI_TE_LFTKLASSE,
        SWI_TE_TRI,
        SWI_TE_LEERROUTE,
        SWI_TE_LBT,
        SWI_TE_EINDE,
        SWI_TE_NIVEAU,
        SWI_TE_VI,
        SWI_TE_OPLEIDING,
        SWI_TE_WERKERVARING,
        SWI_TE_CONTRACT,
        SWI_TE_ONDERDEEL,
        SWI_TE_EXAMNIVEAU,
        SWI_TE_VGR,
        SWI_TE__CNT
} swi_traj_enum_t;

/* Static name of value v of enum which: the events.md symbol ("B1", "ASIEL",
 * "18-24", "voldaan" for einde kinds), "ONBEKEND" for the 0 value of enums
 * that have one, "?" when out of range. */
const char *swi_traj_name(swi_traj_enum_t which, int v);

/* Parses the events.md symbol of enum which; returns the value, or -1. */
int swi_traj_parse(swi_traj_enum_t which, const char *s);

/* ---- findings (data quality) -------------------------------------------- */

#define SWI_FINDINGS(X)                                                                            \
        X(SECOND_PLICHT)          /* a second InburgeringsplichtOntstaan */                        \
        X(SECOND_PIP)             /* a second PipVastgesteld */                                    \
        X(PIP_BEFORE_INTAKE)      /* PIP with no BredeIntakeGestart on or before its date */       \
        X(VOLDAAN_WITHOUT_PIP)    /* InburgeringsplichtVoldaan (einde) and no PIP */               \
        X(EXTENSION_WITHOUT_PIP)  /* TermijnVerlengd and no PIP */                                 \
        X(WERK_END_NONE_OPEN)     /* WerkBeeindigd with no open werk spell */                      \
        X(BIJSTAND_END_NONE_OPEN) /* BijstandBeeindigd with no open bijstand spell */              \
        X(PENDING_CORRECTION)     /* correction whose target is not known at K */                  \
        X(PENDING_RETRACTION)     /* Intrekking whose target is not known at K */                  \
        X(NO_PLICHT)              /* person without InburgeringsplichtOntstaan */                  \
        X(INVALID_REFERENCE)      /* correction of another type/identity, of an Intrekking,        \
                                     an Intrekking of an Intrekking, a cycle: ignored */           \
        X(SPELL_OVERFLOW)         /* more spells than swi_person_t holds (see SWI_PERSON_MAX_*) */

typedef enum swi_finding_kind_e {
#define SWI__X(f) SWI_FIND_##f,
        SWI_FINDINGS(SWI__X)
#undef SWI__X
            SWI_FIND__CNT
} swi_finding_kind_t;

/* "SECOND_PIP", ...; "?" when out of range. */
const char *swi_finding_name(swi_finding_kind_t k);

typedef struct swi_finding_s {
        swi_finding_kind_t kind;
        int32_t date;                    /* the event's event_date, or SWI_DATE_NONE */
        char event_id[SWI_UUID_LEN + 1]; /* the event concerned, "" when none (NO_PLICHT) */
        /* PENDING_CORRECTION, PENDING_RETRACTION, INVALID_REFERENCE: the
         * event_id the event refers to (its corrects, or an Intrekking's
         * retracts); "" for every other kind. */
        char target_id[SWI_UUID_LEN + 1];
} swi_finding_t;

/* A growable list. Zero-initialise ({0}) before first use; free with
 * swi_findings_free(). */
typedef struct swi_findings_s {
        swi_finding_t *v;
        size_t n, cap;
} swi_findings_t;

void swi_findings_reset(swi_findings_t *f); /* n = 0, keeps the memory */
void swi_findings_free(swi_findings_t *f);  /* frees and zeroes; NULL-safe */

/* ---- persons -------------------------------------------------------------- */

typedef enum swi_pkey_kind_e {
        SWI_PKEY_BSN = 1, /* a BSN person */
        SWI_PKEY_VNR = 2  /* a person known only by a V-nummer (no live link at K) */
} swi_pkey_kind_t;

/* A person's key: kind and the pseudonym of the BSN or V-nummer. Plain bytes
 * (no padding): compare with memcmp or swi_person_key_cmp. */
typedef struct swi_person_key_s {
        uint8_t kind; /* swi_pkey_kind_t */
        uint8_t ps[SWI_PSEUDO_LEN];
} swi_person_key_t;

/* Orders keys: by kind (BSN first), then pseudonym bytes. */
int swi_person_key_cmp(const swi_person_key_t *a, const swi_person_key_t *b);

/* A werk spell covers the days [start, end); end == SWI_DATE_OPEN while open. */
typedef struct swi_werk_spell_s {
        int32_t start;
        int32_t end;
        uint16_t uren_per_week; /* 0 when absent, saturates at 65535 */
        char sector;            /* SBI section letter, 0 when absent */
        uint8_t contract;       /* swi_contract_t */
} swi_werk_spell_t;

/* A bijstand spell covers the days [start, end). */
typedef struct swi_spell_s {
        int32_t start;
        int32_t end;
} swi_spell_t;

/* Spells kept per person, in replay (start) order. A person with more spells
 * keeps the first ones and gets SWI_FIND_SPELL_OVERFLOW. */
#define SWI_PERSON_MAX_WERK     12
#define SWI_PERSON_MAX_BIJSTAND 6

/* One person as of (P, K): every attribute of indicators.md §3-§4 plus the
 * counts the indicator families need. Dates are days since epoch, or
 * SWI_DATE_NONE. All "earliest/latest" are in §1 order among the person's
 * effective events with event_date <= peildatum. Gemeente codes are already
 * mapped to the successor of a dissolved code (§7) and are "" when absent.
 *
 * A value type (no pointers): copy with memcpy. swi_person_derive() zeroes it
 * first, so two persons compare equal with memcmp iff they are the same
 * (swi_person_equal). sizeof is printed by the tests (432 bytes). */
typedef struct swi_person_s {
        int32_t peildatum; /* P it was derived at */
        int32_t plicht_start;
        int32_t geboortedatum;
        int32_t status_verleend;       /* earliest VerblijfsvergunningVerleend ASIEL_* */
        int32_t koppeling_datum;       /* earliest GemeenteGekoppeld */
        int32_t koppeling_afstand_km;  /* of that event; -1 when absent */
        int32_t vestiging_datum;       /* earliest Gevestigd */
        int32_t opvang_instroom;       /* earliest OpvangInstroom */
        int32_t brede_intake_start;    /* earliest BredeIntakeGestart */
        int32_t brede_intake_afgerond; /* earliest BredeIntakeAfgerond */
        int32_t lbt_datum;             /* latest LeerbaarheidstoetsAfgenomen */
        int32_t pip_datum;             /* earliest PipVastgesteld */
        int32_t start_pip_termijn;     /* later of plicht_start and vestiging; NONE unless both */
        int32_t termijn_einde;         /* last day of the term; NONE without PIP */
        int32_t einde_datum;           /* earliest of the four einde events */
        int32_t voorinburgering_start; /* earliest VoorinburgeringGestart */
        int32_t voorinburgering_einde; /* latest VoorinburgeringBeeindigd */
        uint32_t findings;             /* bit (1u << swi_finding_kind_t) per kind present */
        int16_t leeftijd;              /* completed years at plicht_start; -1 unknown */
        uint16_t overplaatsingen;      /* OpvangOverplaatsing events */
        uint16_t n_plicht;             /* InburgeringsplichtOntstaan events */
        uint16_t n_pip;                /* PipVastgesteld events */
        swi_person_key_t key;          /* 33 bytes */
        uint8_t wet;                   /* swi_wet_t */
        uint8_t doelgroep;             /* swi_doelgroep_t */
        uint8_t geslacht;              /* swi_geslacht_t */
        uint8_t leeftijdsklasse;       /* swi_lftklasse_t */
        uint8_t jongere;               /* swi_tri_t */
        int8_t lbt_score;              /* 0..40; -1 without LBT */
        uint8_t lbt_uitkomst;          /* swi_lbt_uitkomst_t */
        uint8_t leerroute;             /* swi_leerroute_t at P */
        uint8_t route_switches;        /* route switches on or before P (saturates) */
        uint8_t einde;                 /* swi_einde_t */
        uint8_t hoogste_niveau;        /* swi_niveau_t of the einde when it is voldaan */
        uint8_t voorinburgering_uitkomst; /* swi_vi_uitkomst_t of the latest Beeindigd */
        uint8_t opleidingsniveau;         /* swi_opleiding_t */
        uint8_t werkervaring;             /* swi_werkervaring_t */
        uint8_t jonge_kinderen;           /* swi_tri_t */
        uint8_t exams_passed;             /* bit (1u << swi_onderdeel_t) per onderdeel passed */
        bool in_populatie;                /* in U(P): wet WI2021 and plicht_start <= P */
        bool plichtig;                    /* in_populatie and no einde (§3) */
        bool in_opvang;                   /* state after the last opvang event */
        bool pip_in_opvang;
        bool pip_voor_termijn;           /* PIP and (pip_datum < start_pip_termijn or none) */
        bool pip_binnen_10_weken;        /* PIP, not voor termijn, <= 70 days after its start */
        uint8_t n_werk;                  /* spells in werk[] */
        uint8_t n_bijstand;              /* spells in bijstand[] */
        char nationaliteit[4];           /* ISO alpha-3, "" = ONBEKEND */
        char gemeente[SWI_GEMEENTE_LEN]; /* gemeente at P */
        char regio[SWI_GEMEENTE_LEN];    /* its arbeidsmarktregio */
        char koppeling_gemeente[SWI_GEMEENTE_LEN];
        char vestiging_gemeente[SWI_GEMEENTE_LEN];
        char vestiging_regio[SWI_GEMEENTE_LEN];
        /* ExamenAfgelegd events by onderdeel x niveau x geslaagd (0 no, 1 yes);
         * saturate at 255. */
        uint8_t exams[SWI_OND__CNT][SWI_EXN__CNT][2];
        uint8_t verlengingen[SWI_VGR__CNT]; /* TermijnVerlengd events by grond */
        uint8_t reserved_[5];               /* keeps the spells aligned without padding */
        swi_werk_spell_t werk[SWI_PERSON_MAX_WERK];
        swi_spell_t bijstand[SWI_PERSON_MAX_BIJSTAND];
} swi_person_t;

/* true iff a and b are byte-identical (both must come from swi_person_derive
 * or memcpy of such). */
bool swi_person_equal(const swi_person_t *a, const swi_person_t *b);

/* ---- effective events (§1) --------------------------------------------- */

/* One effective event: a live root with the values of its applicable
 * correction. Identity, type, source, event_id and registered_at are the
 * root's (a corrected event stays the same event); payload and event_date are
 * val's (val == root when no live correction applies). Read payload fields
 * with swi_event_field(e->val, name). */
typedef struct swi_eff_s {
        const swi_event_t *root;
        const swi_event_t *val;
        int32_t event_date; /* == val->event_date */
} swi_eff_t;

/* §1 order: (event_date after correction, root registered_at, root event_id,
 * then source so that the order is total). qsort-compatible on swi_eff_t. */
int swi_eff_cmp(const void *a, const void *b);

/* ---- a cluster resolved at K (§1 + §2) ---------------------------------- */

typedef struct swi_cluster_s swi_cluster_t;

/* Resolves the n events evs (any order, duplicates allowed; borrowed, must
 * outlive the result) at knowledge time K: effective events sorted in §1
 * order, grouped into persons by §2, and the pending / invalid references.
 * Returns NULL with errstr set on allocation failure only. */
swi_cluster_t *swi_cluster_resolve(const swi_event_t *const *evs, size_t n, int64_t K, char *errstr,
                                   size_t errstr_size);
void swi_cluster_destroy(swi_cluster_t *c);

/* All effective events of the cluster in §1 order. *n receives the count;
 * the array belongs to c. */
const swi_eff_t *swi_cluster_events(const swi_cluster_t *c, size_t *n);

/* Persons at K, ordered by swi_person_key_cmp. Index i in [0, count). */
size_t swi_cluster_person_count(const swi_cluster_t *c);
const swi_person_key_t *swi_cluster_person_key(const swi_cluster_t *c, size_t i);
/* Person i's effective events in §1 order (array belongs to c). */
const swi_eff_t *swi_cluster_person_events(const swi_cluster_t *c, size_t i, size_t *n);
/* Finds a person by key; returns its index or -1. */
long swi_cluster_person_find(const swi_cluster_t *c, const swi_person_key_t *key);

/* PENDING_CORRECTION / PENDING_RETRACTION / INVALID_REFERENCE findings of the
 * whole cluster at K, in a deterministic order, with the person each one
 * would belong to by §2 (keys[i]; a person that may have no effective event).
 * Arrays belong to c. */
const swi_finding_t *swi_cluster_refs(const swi_cluster_t *c, const swi_person_key_t **keys,
                                      size_t *n);

/* Derives person i at peildatum P into *out (fully overwritten). Appends the
 * person's findings to *findings when it is not NULL: the derivation's own
 * findings and the reference findings (swi_cluster_refs) of this person.
 * gl may be NULL. Returns SWI_OK, or SWI_ERR_NOMEM when findings cannot grow
 * (*out is complete even then). */
swi_err_t swi_cluster_person_derive(const swi_cluster_t *c, size_t i, int32_t P,
                                    const swi_gemeente_lookup_t *gl, swi_person_t *out,
                                    swi_findings_t *findings);

/* ---- derivation (§3-§4) over one person's effective events ------------- */

/* Derives the person whose effective events are evs[0..n) (one person, §1
 * order as given by swi_cluster_person_events) at P. key may be NULL (key
 * left zero). Events with event_date > P are ignored. Findings are appended to
 * *findings when it is not NULL; the findings bit mask is always set.
 * Returns SWI_OK or SWI_ERR_NOMEM (findings could not grow). */
swi_err_t swi_person_derive(const swi_eff_t *evs, size_t n, int32_t P, const swi_person_key_t *key,
                            const swi_gemeente_lookup_t *gl, swi_person_t *out,
                            swi_findings_t *findings);

/* Helpers for the werk and bijstand families (§5.7, §5.8), over a person
 * derived at P (they use the spells as known at p->peildatum).
 * Year k (1, 2, 3, ...) after vestiging is [vestiging + (k-1) years,
 * vestiging + k years). Returns -1 when the person is outside the denominator
 * (no vestiging, or the window's last day is after p->peildatum), 1 when a
 * spell covers any day of the window, else 0. */
int swi_person_werk_year(const swi_person_t *p, int k);
int swi_person_bijstand_year(const swi_person_t *p, int k);
/* The most recently started werk spell covering day d (start <= d < end), or
 * NULL. */
const swi_werk_spell_t *swi_person_werk_at(const swi_person_t *p, int32_t d);

/* ---- versions on knowledge time ---------------------------------------- */

/* One version of one person's trajectory, valid from knowledge time
 * valid_from until the next version of the same key. closed: the person
 * ceased to exist at valid_from (e.g. a V-nummer-only person merged into its
 * BSN person); person is then all zero except key. */
typedef struct swi_version_s {
        int64_t valid_from;
        bool closed;
        swi_person_t person; /* derived at P = SWI_DATE_END; person.key is the key */
} swi_version_t;

/* Growable list; zero-initialise before use, free with swi_versions_free(). */
typedef struct swi_versions_s {
        swi_version_t *v;
        size_t n, cap;
} swi_versions_t;

void swi_versions_reset(swi_versions_t *v);
void swi_versions_free(swi_versions_t *v);

/* For the n events evs of one cluster: for each distinct registered_at value
 * K (ascending) of the deduplicated events with K >= from_k, resolves the
 * cluster at K, derives every person at P = SWI_DATE_END and appends a
 * version when the person is new or differs from its version at the previous
 * K, and a closed version for every person that existed at the previous K and
 * no longer does. The baseline for the first emitted K is the state at the
 * greatest distinct K below from_k (none: nothing existed). Pass INT64_MIN
 * for the full history; pass the registered_at of newly arrived events to
 * get only the versions they cause. Output order: valid_from, then key. It
 * is byte-identical for every input order of the same event set.
 * Appends to *out. Returns SWI_OK or SWI_ERR_NOMEM. */
swi_err_t swi_cluster_versions(const swi_event_t *const *evs, size_t n, int64_t from_k,
                               const swi_gemeente_lookup_t *gl, swi_versions_t *out);

#endif
