/* population.c - see population.h and docs/generator.md. */
#include "population.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/embedded.h"
#include "../../common/log.h"
#include "../../ingest/wire_format.h"

#define DAY_MS  86400000LL
#define HOUR_MS 3600000LL
#define NO_DATE INT32_MAX

/* ---- PRNG: xoshiro256** seeded by splitmix64 ---------------------------- */

typedef struct rng_s {
        uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
        uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
        (void)splitmix64(&x);
        for (int i = 0; i < 4; i++)
                r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng_t *r)
{
        uint64_t *s = r->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

/* Uniform in [0, 1). */
static double unif(rng_t *r)
{
        return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static bool chance(rng_t *r, double p)
{
        return unif(r) < p;
}

/* Uniform integer in [lo, hi]. */
static int64_t irange(rng_t *r, int64_t lo, int64_t hi)
{
        if (hi <= lo)
                return lo;
        return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Index by weights. */
static int pick(rng_t *r, const double *w, int n)
{
        double tot = 0, x;
        for (int i = 0; i < n; i++)
                tot += w[i];
        x = unif(r) * tot;
        for (int i = 0; i < n; i++) {
                if (x < w[i])
                        return i;
                x -= w[i];
        }
        return n - 1;
}

#define PICK(r, w) pick((r), (w), (int)(sizeof(w) / sizeof((w)[0])))

/* ---- reference data ---------------------------------------------------- */

typedef struct gem_s {
        char code[8];
        double weight;
} gem_t;

/* Bigger municipalities house more statushouders. */
static const struct {
        const char *code;
        double weight;
} big_cities[] = {
    {"GM0363", 22}, {"GM0599", 16}, {"GM0518", 13}, {"GM0344", 9}, {"GM0772", 6}, {"GM0014", 6},
    {"GM0855", 5},  {"GM0034", 5},  {"GM0758", 4},  {"GM0268", 4}, {"GM0200", 4}, {"GM0202", 4},
    {"GM0392", 4},  {"GM0153", 4},  {"GM0307", 4},  {"GM0479", 4}, {"GM0796", 4}, {"GM0394", 4},
    {"GM0193", 3},  {"GM0546", 3},  {"GM0935", 3},  {"GM0505", 3}, {"GM0637", 3}, {"GM0114", 3},
};

/* indicators.md §7 */
static const struct {
        const char *code;
        int y, m, d; /* last day */
        const char *successor;
} dissolved[] = {
    {"GM0457", 2022, 3, 23, "GM0363"},
    {"GM0501", 2022, 12, 31, "GM1992"},
    {"GM0530", 2022, 12, 31, "GM1992"},
    {"GM0614", 2022, 12, 31, "GM1992"},
};
#define NDISSOLVED ((int)(sizeof(dissolved) / sizeof(dissolved[0])))

/* COA reception locations and the municipality each is in. */
static const struct {
        const char *locatie, *gemeente;
} azcs[] = {
    {"AZC-TER-APEL", "GM1681"},     {"AZC-ZWEELOO", "GM0109"},    {"AZC-ASSEN", "GM0106"},
    {"AZC-GRONINGEN", "GM0014"},    {"AZC-LEEUWARDEN", "GM0080"}, {"AZC-APELDOORN", "GM0200"},
    {"AZC-HEUMENSOORD", "GM0268"},  {"AZC-ARNHEM", "GM0202"},     {"AZC-ZUTPHEN", "GM0301"},
    {"AZC-DEVENTER", "GM0150"},     {"AZC-EMMEN", "GM0114"},      {"AZC-ENSCHEDE", "GM0153"},
    {"AZC-MUSSELKANAAL", "GM0037"}, {"AZC-VENRAY", "GM0984"},     {"AZC-SITTARD", "GM1883"},
    {"AZC-ALMERE", "GM0034"},       {"AZC-AMSTERDAM", "GM0363"},  {"AZC-ROTTERDAM", "GM0599"},
    {"AZC-UTRECHT", "GM0344"},      {"AZC-DEN-HAAG", "GM0518"},   {"AZC-EDE", "GM0228"},
    {"AZC-MEPPEL", "GM0119"},       {"AZC-HOORN", "GM0405"},      {"AZC-AMERSFOORT", "GM0307"},
    {"AZC-GIESSENBURG", "GM1978"},  {"AZC-BUDEL", "GM1706"},      {"AZC-OVERLOON", "GM1982"},
    {"AZC-DRONTEN", "GM0303"},
};
#define NAZC ((int)(sizeof(azcs) / sizeof(azcs[0])))

static const char *nat_asiel[] = {"SYR", "ERI", "TUR", "AFG", "YEM", "IRQ", "IRN",
                                  "SOM", "SDN", "ETH", "LBY", "PSE", "GIN", "NGA"};
static const double w_nat_asiel[] = {54, 12, 9, 7, 5, 3, 2.5, 2, 1.5, 1, 1, 1, 0.5, 0.5};
static const char *nat_gezin[] = {"TUR", "MAR", "IND", "SYR", "CHN", "SUR", "BRA",
                                  "USA", "PHL", "EGY", "IRN", "RUS", "THA", "ERI"};
static const double w_nat_gezin[] = {16, 14, 10, 8, 7, 6, 6, 5, 5, 5, 5, 5, 4, 4};

/* ---- generator state ----------------------------------------------------- */

enum { DG_ASIEL, DG_GEZIN, DG_OVERIG, DG__CNT };
static const char *dg_names[DG__CNT] = {"ASIEL", "GEZIN", "OVERIG"};
enum { ROUTE_B1, ROUTE_Z, ROUTE_ONDERWIJS };
static const char *route_names[] = {"B1", "Z", "ONDERWIJS"};

typedef struct person_s {
        uint8_t dg;
        bool wi2013;
        char sex; /* 'M', 'V', 'X' */
        char bsn[10], vnr[11];
        int32_t bsn_date;      /* first date IND/COA events carry the bsn; NO_DATE: never */
        int64_t bsn_reg_ms;    /* DUO/gemeente register only after this; INT64_MAX: never */
        char gem0[8], gem1[8]; /* settlement gemeente, and after the move */
        int32_t settle, move_date;
        int32_t oblig_end; /* obligation events after this are not generated */
        int32_t life_end;  /* no events at all after this (departure, death) */
} person_t;

/* One generated event of the current person, before encoding. */
typedef struct pev_s {
        swi_event_t ev;
        bool keep;       /* false: beyond the horizon, discarded */
        bool derived;    /* a correction or an Intrekking */
        int64_t deliver; /* delivery order key (ms) */
        int64_t sent;    /* delivery key of its message, late delivery included (flush_person) */
} pev_t;

typedef struct msg_s {
        int64_t deliver;
        uint64_t seq;
        uint64_t off; /* key bytes, then value bytes, in the arena */
        uint32_t klen, vlen;
        uint8_t topic;
} msg_t;

typedef struct stats_s {
        uint64_t persons[DG__CNT];
        uint64_t persons_plicht[DG__CNT];
        uint64_t events[SWI_EV__CNT];
        uint64_t good_events;
        uint64_t messages[SWI_SRC__CNT];
        uint64_t duplicates, corrections, chained_corrections, retractions;
        uint64_t late_registered, late_delivered;
        uint64_t bad[SWI_REASON__CNT];
        uint64_t old_schema;
        uint64_t bad_refs[3]; /* BADREF_* */
        uint64_t bad_ref_events[SWI_EV__CNT]; /* the same, by event type */
} stats_t;

/* Kinds of --bad-references, as named in the manifest. */
enum { BADREF_OTHER_TYPE, BADREF_OTHER_BSN, BADREF_INTREKKING, BADREF__CNT };
static const char *const badref_names[BADREF__CNT] = {
    "correction_other_type", "correction_other_bsn", "intrekking_of_intrekking"};

struct swi_gen_s {
        swi_gen_opts_t o;
        swi_gen_encoder_t *enc;
        char topics[SWI_SRC__CNT][128];
        int32_t cur_id[SWI_EV__CNT];
        swi_evtype_t intrekking[SWI_SRC__CNT];
        int64_t horizon_end_ms;
        /* gemeenten */
        gem_t *gems;
        int ngems;
        double gem_total;
        int32_t dissolved_last[NDISSOLVED];
        /* current person */
        rng_t rng;
        rng_t ref_rng; /* --bad-references: a stream of its own, so 0 changes nothing */
        person_t *persons;
        pev_t *pev;
        size_t npev, cappev;
        pev_t dummy;
        /* output */
        swi_gen_buf_t arena;
        msg_t *msgs;
        size_t nmsgs, capmsgs;
        uint64_t seq;
        stats_t st;
        char *errstr;
        size_t errstr_size;
        int failed;
};

static int32_t D(int y, int m, int d)
{
        return swi_date_from_ymd(y, m, d);
}

/* ---- gemeenten --------------------------------------------------------- */

static int load_gemeenten(swi_gen_t *g)
{
        const char *p = NULL, *end;
        int cap = 512;

        for (const swi_embedded_file_t *f = swi_embedded_reference; f->name; f++)
                if (strstr(f->name, "gemeenten"))
                        p = f->data;
        if (!p) {
                snprintf(g->errstr, g->errstr_size, "embedded gemeenten list missing");
                return -1;
        }
        g->gems = calloc((size_t)cap, sizeof(*g->gems));
        if (!g->gems)
                return -1;
        p = strchr(p, '\n'); /* header */
        while (p && *++p) {
                end = strchr(p, '\n');
                const char *comma = strchr(p, ',');
                if (!strncmp(p, "GM", 2) && comma && comma - p == 6 && g->ngems < cap) {
                        gem_t *gm = &g->gems[g->ngems++];
                        memcpy(gm->code, p, 6);
                        gm->weight = 1;
                        for (size_t i = 0; i < sizeof(big_cities) / sizeof(big_cities[0]); i++)
                                if (!strcmp(big_cities[i].code, gm->code))
                                        gm->weight = big_cities[i].weight;
                        g->gem_total += gm->weight;
                }
                p = end;
        }
        for (int i = 0; i < NDISSOLVED; i++)
                g->dissolved_last[i] = D(dissolved[i].y, dissolved[i].m, dissolved[i].d);
        for (int i = 0; i < NAZC; i++) {
                bool found = false;
                for (int k = 0; k < g->ngems; k++)
                        found |= !strcmp(g->gems[k].code, azcs[i].gemeente);
                if (!found) {
                        snprintf(g->errstr, g->errstr_size,
                                 "azc gemeente %s missing from the reference list",
                                 azcs[i].gemeente);
                        return -1;
                }
        }
        return g->ngems > 300 ? 0 : -1;
}

/* The code a registry writes on an event dated `date` for someone living in
 * `code`: a dissolved municipality became its successor after its last day. */
static const char *gem_at(const swi_gen_t *g, const char *code, int32_t date)
{
        for (int i = 0; i < NDISSOLVED; i++)
                if (!strcmp(code, dissolved[i].code) && date > g->dissolved_last[i])
                        return dissolved[i].successor;
        return code;
}

static const char *gem_pick(swi_gen_t *g, int32_t date)
{
        double x;

        /* A few early settlements in municipalities dissolved since. */
        if (date <= D(2022, 12, 31) && chance(&g->rng, 0.015)) {
                int i = (int)irange(&g->rng, date <= g->dissolved_last[0] ? 0 : 1, NDISSOLVED - 1);
                return dissolved[i].code;
        }
        x = unif(&g->rng) * g->gem_total;
        for (int i = 0; i < g->ngems; i++) {
                if (x < g->gems[i].weight)
                        return g->gems[i].code;
                x -= g->gems[i].weight;
        }
        return g->gems[g->ngems - 1].code;
}

static const char *person_gem(const swi_gen_t *g, const person_t *p, int32_t date)
{
        return gem_at(g, date >= p->move_date ? p->gem1 : p->gem0, date);
}

/* ---- identifiers ------------------------------------------------------- */

bool swi_gen_bsn_valid(const char *bsn)
{
        int sum = 0;
        bool nonzero = false;

        if (strlen(bsn) != 9)
                return false;
        for (int i = 0; i < 9; i++) {
                int d;
                if (bsn[i] < '0' || bsn[i] > '9')
                        return false;
                d = bsn[i] - '0';
                nonzero |= d != 0;
                sum += i < 8 ? (9 - i) * d : -d;
        }
        return nonzero && ((sum % 11) + 11) % 11 == 0;
}

/* Unique per index: a bijection of the index onto the 7-digit tail d2..d8,
 * then the first digit d1 (1..9) chosen so that the check digit d9 exists. */
static void make_bsn(uint64_t seed, uint64_t idx, char out[10])
{
        uint64_t tail = (idx * 7919ULL + (seed % 10000000ULL)) % 10000000ULL;
        int d[9], s0 = 0, start = (int)(seed % 9);

        for (int i = 7; i >= 1; i--) {
                d[i] = (int)(tail % 10);
                tail /= 10;
        }
        for (int i = 1; i < 8; i++)
                s0 += (9 - i) * d[i];
        for (int k = 0; k < 9; k++) {
                d[0] = 1 + (start + k) % 9;
                d[8] = (s0 + 9 * d[0]) % 11;
                if (d[8] < 10)
                        break;
        }
        for (int i = 0; i < 9; i++)
                out[i] = (char)('0' + d[i]);
        out[9] = '\0';
}

static void make_vnr(uint64_t seed, uint64_t idx, char out[11])
{
        /* 2654435761 is coprime with 9e9 = 2^9 3^2 5^9: a bijection mod 9e9. */
        uint64_t v = 1000000000ULL + (idx * 2654435761ULL + seed % 9000000000ULL) % 9000000000ULL;
        snprintf(out, 11, "%010llu", (unsigned long long)v);
}

static void make_uuid(rng_t *r, char out[SWI_UUID_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        uint64_t a = rng_next(r), b = rng_next(r);
        uint8_t by[16];
        int k = 0;

        for (int i = 0; i < 8; i++) {
                by[i] = (uint8_t)(a >> (8 * i));
                by[8 + i] = (uint8_t)(b >> (8 * i));
        }
        by[6] = (uint8_t)((by[6] & 0x0f) | 0x40);
        by[8] = (uint8_t)((by[8] & 0x3f) | 0x80);
        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[k++] = '-';
                out[k++] = hex[by[i] >> 4];
                out[k++] = hex[by[i] & 15];
        }
        out[k] = '\0';
}

/* ---- building events --------------------------------------------------- */

static swi_field_t *field_add(swi_event_t *ev, const char *name, swi_vkind_t kind)
{
        swi_field_t *f;

        assert(ev->nfields < SWI_MAX_FIELDS);
        f = &ev->fields[ev->nfields++];
        memset(f, 0, sizeof(*f));
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->kind = kind;
        return f;
}

static void fstr(swi_event_t *ev, const char *name, const char *s)
{
        snprintf(field_add(ev, name, SWI_V_STRING)->s, SWI_FIELD_STR_MAX, "%s", s);
}

static void fint(swi_event_t *ev, const char *name, int64_t v)
{
        field_add(ev, name, SWI_V_INT)->i = v;
}

static void fbool(swi_event_t *ev, const char *name, bool v)
{
        field_add(ev, name, SWI_V_BOOL)->i = v;
}

static void fdate(swi_event_t *ev, const char *name, int32_t v)
{
        field_add(ev, name, SWI_V_DATE)->i = v;
}

static swi_field_t *ffind(swi_event_t *ev, const char *name)
{
        for (int i = 0; i < ev->nfields; i++)
                if (!strcmp(ev->fields[i].name, name))
                        return &ev->fields[i];
        return NULL;
}

/* Registration lag: hours to weeks, most of it short. */
static int64_t lag_ms(rng_t *r, swi_source_t src)
{
        const int64_t max_days = swi_source_info(src)->gen_lag_days;
        double u = unif(r);
        return HOUR_MS + (int64_t)(u * u * u * (double)(max_days * DAY_MS - HOUR_MS));
}

static int64_t clamp_reg(const swi_gen_t *g, int64_t reg, int32_t date)
{
        if (reg > g->horizon_end_ms)
                reg = g->horizon_end_ms;
        if (reg < (int64_t)date * DAY_MS)
                reg = (int64_t)date * DAY_MS;
        return reg;
}

static pev_t *pev_push(swi_gen_t *g)
{
        if (g->npev == g->cappev) {
                size_t cap = g->cappev ? 2 * g->cappev : 256;
                pev_t *p = realloc(g->pev, cap * sizeof(*p));
                if (!p) {
                        g->failed = 1;
                        return NULL;
                }
                g->pev = p;
                g->cappev = cap;
        }
        return &g->pev[g->npev++];
}

static bool is_obligation_event(swi_evtype_t t)
{
        switch (t) {
        case SWI_EV_GEM_BREDE_INTAKE_GESTART:
        case SWI_EV_GEM_BREDE_INTAKE_AFGEROND:
        case SWI_EV_GEM_PIP_VASTGESTELD:
        case SWI_EV_GEM_LEERROUTE_GEWIJZIGD:
        case SWI_EV_GEM_AANBOD_GESTART:
        case SWI_EV_GEM_PVT_AFGEROND:
        case SWI_EV_GEM_MAP_AFGEROND:
        case SWI_EV_GEM_PARTICIPATIE_UREN:
        case SWI_EV_GEM_ZROUTE_EINDGESPREK:
        case SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN:
        case SWI_EV_DUO_EXAMEN_AFGELEGD:
        case SWI_EV_DUO_TERMIJN_VERLENGD:
        case SWI_EV_DUO_BOETE_OPGELEGD:
        case SWI_EV_DUO_INBURGERINGSPLICHT_VOLDAAN:
                return true;
        default:
                return false;
        }
}

/* Adds an event of the current person dated `date` with the envelope the
 * source would write. Returns a scratch event (discarded) when the event lies
 * beyond the horizon or beyond the person's end. Never NULL. */
static swi_event_t *add(swi_gen_t *g, const person_t *p, swi_evtype_t t, int32_t date)
{
        swi_source_t src = swi_evtype_source(t);
        bool by_bsn = swi_source_ident(src) == SWI_IDENT_BSN;
        pev_t *pe;
        swi_event_t *ev;
        int64_t reg;

        memset(&g->dummy.ev, 0, sizeof(g->dummy.ev));
        g->dummy.ev.type = SWI_EV_NONE;
        if (date > g->o.until || date > p->life_end ||
            (is_obligation_event(t) && date > p->oblig_end) ||
            (by_bsn && p->bsn_reg_ms > g->horizon_end_ms))
                return &g->dummy.ev;
        pe = pev_push(g);
        if (!pe)
                return &g->dummy.ev;
        memset(pe, 0, sizeof(*pe));
        pe->keep = true;
        ev = &pe->ev;
        ev->source = src;
        ev->type = t;
        make_uuid(&g->rng, ev->event_id);
        ev->event_date = date;
        reg = (int64_t)date * DAY_MS + lag_ms(&g->rng, src);
        if (by_bsn) {
                ev->has_bsn = true;
                memcpy(ev->bsn, p->bsn, sizeof(p->bsn));
                /* DUO and the municipality know a person only once the BSN exists. */
                if (reg < p->bsn_reg_ms)
                        reg = p->bsn_reg_ms + irange(&g->rng, HOUR_MS, 3 * DAY_MS);
        } else {
                ev->has_vnr = true;
                memcpy(ev->vnr, p->vnr, sizeof(p->vnr));
                if (date >= p->bsn_date || t == SWI_EV_IND_BSN_TOEGEKEND) {
                        ev->has_bsn = true;
                        memcpy(ev->bsn, p->bsn, sizeof(p->bsn));
                }
        }
        ev->registered_at = clamp_reg(g, reg, date);
        ev->schema_id = g->cur_id[t];
        pe->deliver = ev->registered_at;
        return ev;
}

/* A gemeente event with its gemeente field. */
static swi_event_t *add_gem(swi_gen_t *g, const person_t *p, swi_evtype_t t, int32_t date)
{
        swi_event_t *ev = add(g, p, t, date);
        fstr(ev, "gemeente", person_gem(g, p, date));
        return ev;
}

/* ---- histories --------------------------------------------------------- */

typedef struct hist_s {
        int32_t permit, plicht_start, koppel, settle;
        int age;
        bool in_coa;
} hist_t;

static int32_t plicht_start_date(swi_gen_t *g, bool wi2013)
{
        int32_t lo, hi;

        if (wi2013) {
                lo = D(2019, 1, 1);
                hi = D(2021, 12, 31);
        } else {
                /* SWI cohort sizes 2022..2024 (25.9k, 35.6k, 36.2k), 2025 at that pace. */
                static const double w[] = {25.9, 35.6, 36.2, 36.2};
                int y = 2022 + PICK(&g->rng, w);
                lo = D(y, 1, 1);
                hi = D(y, 12, 31);
        }
        return (int32_t)irange(&g->rng, lo, hi);
}

static void gen_asylum(swi_gen_t *g, person_t *p, hist_t *h, const char *nat, int32_t birth)
{
        rng_t *r = &g->rng;
        bool nareiziger = chance(r, 0.18);
        int32_t aanvraag, instroom, bsn_date, uit;
        swi_event_t *ev;
        double u;
        int azc = (int)irange(r, 0, NAZC - 1);
        const char *kgem;

        h->permit = h->plicht_start;
        aanvraag = h->permit - (int32_t)(nareiziger ? irange(r, 30, 200)
                                                    : 120 + (int32_t)(pow(unif(r), 1.5) * 500));
        ev = add(g, p, SWI_EV_IND_ASIELAANVRAAG_INGEDIEND, aanvraag);
        fstr(ev, "nationaliteit", nat);
        fdate(ev, "geboortedatum", birth);
        fstr(ev, "geslacht", (char[]){p->sex, 0});

        bsn_date = h->permit + (int32_t)(3 + pow(unif(r), 2) * 42);
        p->bsn_date = bsn_date;
        ev = add(g, p, SWI_EV_IND_VERBLIJFSVERGUNNING_VERLEEND, h->permit);
        fstr(ev, "vergunning", chance(r, 0.88) ? "ASIEL_BEPAALD" : "ASIEL_ONBEPAALD");
        fbool(ev, "nareiziger", nareiziger);
        fbool(ev, "referent_statushouder", nareiziger);
        fstr(ev, "nationaliteit", nat);
        fdate(ev, "geboortedatum", birth);
        fstr(ev, "geslacht", (char[]){p->sex, 0});
        ev = add(g, p, SWI_EV_IND_BSN_TOEGEKEND, bsn_date);
        p->bsn_reg_ms = ev->type == SWI_EV_IND_BSN_TOEGEKEND ? ev->registered_at : INT64_MAX;

        /* Permit -> settlement: mean ~170 days, 17% over a year (Rekenkamer). */
        u = unif(r);
        if (chance(r, 0.19))
                h->settle = h->permit + 366 + (int32_t)(pow(u, 1.3) * 200);
        else
                h->settle = h->permit + 20 + (int32_t)(pow(u, 2.3) * 310);
        h->in_coa = !nareiziger || chance(r, 0.4);
        if (!h->in_coa) {
                h->settle = h->permit + (int32_t)irange(r, 20, 120);
                h->koppel = NO_DATE;
                snprintf(p->gem0, sizeof(p->gem0), "%s", gem_pick(g, h->settle));
                return;
        }
        instroom = nareiziger ? h->permit - (int32_t)irange(r, 0, 10)
                              : aanvraag + (int32_t)irange(r, 0, 20);
        ev = add(g, p, SWI_EV_COA_OPVANG_INSTROOM, instroom);
        fstr(ev, "locatie", azcs[azc].locatie);
        fstr(ev, "locatie_gemeente", azcs[azc].gemeente);

        h->koppel = h->permit + (int32_t)(chance(r, 0.9) ? irange(r, 0, 14) : irange(r, 15, 60));
        if (h->settle < h->koppel + 14)
                h->settle = h->koppel + (int32_t)irange(r, 14, 40);
        kgem = gem_pick(g, h->koppel);
        ev = add(g, p, SWI_EV_COA_GEMEENTE_GEKOPPELD, h->koppel);
        fstr(ev, "gemeente", kgem);
        if (chance(r, 0.30))
                fint(ev, "afstand_km", irange(r, 2, 19));
        else if (chance(r, 0.26))
                fint(ev, "afstand_km", irange(r, 101, 260));
        else
                fint(ev, "afstand_km", irange(r, 20, 100));
        snprintf(p->gem0, sizeof(p->gem0), "%s", chance(r, 0.95) ? kgem : gem_pick(g, h->settle));

        /* Transfers between azc's: 42% three or more. */
        {
                static const double w[] = {22, 16, 14, 18, 14, 10, 6};
                int n = PICK(r, w);
                int32_t span = h->settle - instroom - 2;
                int32_t prev = instroom;
                for (int i = 0; i < n && span > n; i++) {
                        int32_t d = instroom + 1 + (int32_t)((int64_t)span * (i + 1) / (n + 1)) +
                                    (int32_t)irange(r, -span / (3 * (n + 1)), span / (3 * (n + 1)));
                        int to = (int)irange(r, 0, NAZC - 2);
                        if (d <= prev)
                                d = prev + 1;
                        if (to >= azc)
                                to++;
                        ev = add(g, p, SWI_EV_COA_OPVANG_OVERPLAATSING, d);
                        fstr(ev, "van_locatie", azcs[azc].locatie);
                        fstr(ev, "naar_locatie", azcs[to].locatie);
                        fstr(ev, "naar_gemeente", azcs[to].gemeente);
                        azc = to;
                        prev = d;
                }
        }
        /* Voorinburgering: 22% finish it. */
        if (chance(r, 0.75)) {
                int32_t start = h->permit + (int32_t)irange(r, 7, 30);
                if (start < h->settle - 7) {
                        double v = unif(r);
                        add(g, p, SWI_EV_COA_VOORINBURGERING_GESTART, start);
                        if (v < 0.85) {
                                /* 14 weeks; only possible when settlement comes later */
                                bool done = v < 0.68 && start + 98 < h->settle;
                                int32_t end =
                                    done ? start + 98
                                         : start + (int32_t)irange(r, 7, h->settle - start - 1);
                                ev = add(g, p, SWI_EV_COA_VOORINBURGERING_BEEINDIGD, end);
                                fstr(ev, "uitkomst", done ? "AFGEROND" : "AFGEBROKEN");
                        }
                }
        }
        uit = h->settle - (int32_t)irange(r, 0, 1);
        ev = add(g, p, SWI_EV_COA_OPVANG_UITSTROOM, uit);
        fstr(ev, "reden", "HUISVESTING");
        if (chance(r, 0.85))
                fstr(ev, "gemeente", gem_at(g, p->gem0, uit));
}

static void gen_regular(swi_gen_t *g, person_t *p, hist_t *h, const char *nat, int32_t birth)
{
        rng_t *r = &g->rng;
        swi_event_t *ev;
        const char *verg = p->dg == DG_GEZIN ? "REGULIER_GEZIN"
                           : chance(r, 0.7)  ? "REGULIER_OVERIG"
                                             : "HUMANITAIR_NIET_TIJDELIJK";

        h->permit = h->plicht_start;
        h->in_coa = false;
        h->koppel = NO_DATE;
        p->bsn_date = INT32_MIN; /* IND carries both identifiers from the start */
        ev = add(g, p, SWI_EV_IND_VERBLIJFSVERGUNNING_VERLEEND, h->permit);
        fstr(ev, "vergunning", verg);
        fbool(ev, "nareiziger", false);
        fbool(ev, "referent_statushouder", false);
        fstr(ev, "nationaliteit", nat);
        fdate(ev, "geboortedatum", birth);
        fstr(ev, "geslacht", (char[]){p->sex, 0});
        p->bsn_reg_ms =
            ev->type == SWI_EV_IND_VERBLIJFSVERGUNNING_VERLEEND ? ev->registered_at : INT64_MAX;
        h->settle = h->permit + (int32_t)(pow(unif(r), 2) * 90);
        snprintf(p->gem0, sizeof(p->gem0), "%s", gem_pick(g, h->settle));
}

static const char *route_for(rng_t *r, int age)
{
        /* Rekenkamer: jongeren (<= 28) B1 53.1 / onderwijs 28.9 / Z 17.9;
         * overall B1 57 / Z 29 / onderwijs 14. */
        static const double young[] = {53.1, 17.9, 28.9};
        static const double older[] = {60.0, 37.7, 2.3};
        return route_names[age <= 28 ? PICK(r, young) : PICK(r, older)];
}

static void gen_exam(swi_gen_t *g, const person_t *p, int32_t date, const char *onderdeel,
                     const char *niveau, bool geslaagd)
{
        swi_event_t *ev = add(g, p, SWI_EV_DUO_EXAMEN_AFGELEGD, date);
        fstr(ev, "onderdeel", onderdeel);
        fstr(ev, "niveau", niveau);
        fbool(ev, "geslaagd", geslaagd);
}

/* Takes an exam until passed (at most 3 attempts); returns the pass date or NO_DATE. */
static int32_t exam_until_passed(swi_gen_t *g, const person_t *p, int32_t date,
                                 const char *onderdeel, const char *niveau, double pass)
{
        for (int i = 0; i < 3; i++) {
                bool ok = chance(&g->rng, pass);
                gen_exam(g, p, date, onderdeel, niveau, ok);
                if (ok)
                        return date;
                date += (int32_t)irange(&g->rng, 60, 180);
        }
        return NO_DATE;
}

static int32_t max3(int32_t a, int32_t b, int32_t c)
{
        int32_t m = a > b ? a : b;
        return m > c ? m : c;
}

/* The Wi2021 obligation after the permit: brede intake, PIP, routes, exams, einde. */
static void gen_wi2021(swi_gen_t *g, person_t *p, const hist_t *h)
{
        rng_t *r = &g->rng;
        swi_event_t *ev;
        int32_t start = h->plicht_start > h->settle ? h->plicht_start : h->settle;
        int32_t pip, bi_start, bi_end, x;
        const char *route;
        double u;
        bool has_pip, pip_in_azc;

        if (!chance(r, p->dg == DG_ASIEL ? 0.95 : 0.93))
                return; /* no brede intake (yet) */
        /* Settlement -> PIP: mean ~120 days, 47% within 10 weeks, 9% in the azc. */
        pip_in_azc = h->in_coa && h->settle - h->koppel > 30 && chance(r, 0.13);
        if (pip_in_azc) {
                pip = h->koppel + (int32_t)((h->settle - h->koppel) * (0.4 + 0.5 * unif(r)));
                bi_start = h->koppel + 1 + (int32_t)((pip - h->koppel - 1) * (0.2 + 0.5 * unif(r)));
        } else {
                u = unif(r);
                if (chance(r, p->dg == DG_ASIEL ? 0.5 : 0.6))
                        x = 10 + (int32_t)(u * 60);
                else
                        x = 71 + (int32_t)(pow(u, 1.8) * 480);
                pip = start + x;
                bi_start = start + (int32_t)(x * (0.1 + 0.5 * unif(r)));
        }
        bi_end = bi_start + (int32_t)((pip - bi_start) * (0.3 + 0.6 * unif(r)));
        add_gem(g, p, SWI_EV_GEM_BREDE_INTAKE_GESTART, bi_start);
        ev = add_gem(g, p, SWI_EV_GEM_BREDE_INTAKE_AFGEROND, bi_end);
        if (chance(r, 0.27)) {
                static const char *lv[] = {"GEEN", "PRIMAIR", "VOORTGEZET", "MBO", "HBO_WO"};
                static const double w[] = {15, 25, 30, 15, 15};
                fstr(ev, "opleidingsniveau", lv[PICK(r, w)]);
        }
        if (chance(r, 0.30)) {
                static const char *we[] = {"GEEN", "TOT_2_JAAR", "TWEE_TOT_VIJF_JAAR",
                                           "VIJF_JAAR_OF_MEER"};
                static const double w[] = {35, 25, 20, 20};
                fstr(ev, "werkervaring", we[PICK(r, w)]);
        }
        if (chance(r, 0.35))
                fbool(ev, "jonge_kinderen", chance(r, 0.3));

        route = route_for(r, h->age);
        if (chance(r, 0.85)) {
                /* LBT "not feasible" placed in B1 27%, onderwijs 3%; "feasible" in Z 6%. */
                double feasible = !strcmp(route, "B1") ? 0.73 : !strcmp(route, "Z") ? 0.06 : 0.97;
                bool ok = chance(r, feasible);
                int32_t d = bi_start + (int32_t)irange(r, 0, bi_end - bi_start);
                ev = add(g, p, SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN, d);
                fint(ev, "score", ok ? irange(r, 22, 40) : irange(r, 0, 21));
                fstr(ev, "uitkomst", ok ? "B1_HAALBAAR" : "B1_NIET_HAALBAAR");
        }
        has_pip = chance(r, 0.97);
        if (!has_pip)
                return;
        ev = add_gem(g, p, SWI_EV_GEM_PIP_VASTGESTELD, pip);
        fstr(ev, "leerroute", route);
        fbool(ev, "map", strcmp(route, "ONDERWIJS") != 0);
        fbool(ev, "pvt", true);

        if (chance(r, 0.07)) {
                int32_t d = pip + (int32_t)irange(r, 60, 540);
                const char *nr = route;
                if (chance(r, 0.85)) { /* a real switch */
                        if (!strcmp(route, "B1"))
                                nr = chance(r, 0.75) ? "Z" : "ONDERWIJS";
                        else if (!strcmp(route, "Z"))
                                nr = chance(r, 0.8) ? "B1" : "ONDERWIJS";
                        else
                                nr = "B1";
                }
                ev = add_gem(g, p, SWI_EV_GEM_LEERROUTE_GEWIJZIGD, d);
                fstr(ev, "leerroute", nr);
                if (d <= g->o.until)
                        route = nr; /* what follows uses the new route */
        }
        {
                char aanb[16];
                ev = add_gem(g, p, SWI_EV_GEM_AANBOD_GESTART, pip + (int32_t)irange(r, 14, 120));
                snprintf(aanb, sizeof(aanb), "AANB%04d", (int)irange(r, 1, 400));
                fstr(ev, "aanbieder", aanb);
                fstr(ev, "leerroute", route);
        }
        {
                int32_t pvt = NO_DATE, map = NO_DATE, knm, final = NO_DATE;
                const char *hoogste = "GEEN";
                bool isz = !strcmp(route, "Z"), isb1 = !strcmp(route, "B1");

                if (chance(r, 0.8)) {
                        pvt = pip + (int32_t)irange(r, 60, 400);
                        add_gem(g, p, SWI_EV_GEM_PVT_AFGEROND, pvt);
                }
                if (!strcmp(route, "ONDERWIJS")) {
                        map = pip;
                } else if (chance(r, 0.65)) {
                        map = pip + (int32_t)irange(r, 120, 600);
                        ev = add_gem(g, p, SWI_EV_GEM_MAP_AFGEROND, map);
                        fint(ev, "uren", irange(r, 36, 48));
                }
                if (isz) {
                        for (int q = 1; q <= 12; q++) {
                                ev = add_gem(g, p, SWI_EV_GEM_PARTICIPATIE_UREN, pip + 91 * q);
                                fint(ev, "uren", irange(r, 20, 200));
                        }
                }
                knm = exam_until_passed(g, p, pip + (int32_t)irange(r, 250, 700), "KNM", "A2", 0.7);
                if (isb1) {
                        static const char *skills[] = {"LEZEN", "LUISTEREN", "SCHRIJVEN",
                                                       "SPREKEN"};
                        int32_t d0 = pip + (int32_t)irange(r, 350, 800);
                        final = d0;
                        hoogste = "B1";
                        for (int i = 0; i < 4 && final != NO_DATE; i++) {
                                const char *niv = chance(r, 0.75) ? "B1" : "A2";
                                int32_t d = exam_until_passed(g, p, d0 + (int32_t)irange(r, 0, 60),
                                                              skills[i], niv, 0.6);
                                if (!strcmp(niv, "A2"))
                                        hoogste = "A2";
                                final = d == NO_DATE ? NO_DATE : (d > final ? d : final);
                        }
                } else if (isz) {
                        if (chance(r, 0.7)) {
                                final = pip + (int32_t)irange(r, 600, 1000);
                                add_gem(g, p, SWI_EV_GEM_ZROUTE_EINDGESPREK, final);
                                hoogste = chance(r, 0.5) ? "A1" : "A2";
                        }
                } else {
                        const char *niv = chance(r, 0.6) ? "B1" : "B2";
                        final = exam_until_passed(g, p, pip + (int32_t)irange(r, 400, 900),
                                                  "STAATSEXAMEN_NT2", niv, 0.65);
                        hoogste = niv;
                }
                if (final != NO_DATE && knm != NO_DATE && pvt != NO_DATE && map != NO_DATE) {
                        int32_t d =
                            max3(final, knm, max3(pvt, map, pvt)) + (int32_t)irange(r, 14, 90);
                        ev = add(g, p, SWI_EV_DUO_INBURGERINGSPLICHT_VOLDAAN, d);
                        fstr(ev, "leerroute", route);
                        fstr(ev, "hoogste_niveau", hoogste);
                }
        }
        if (chance(r, 0.10)) {
                static const char *gr[] = {"GEEN_AANBOD", "KINDEROPVANG", "VERBLIJF_AZC",
                                           "WERK",        "MEDISCH",      "OVERIG"};
                static const double w[] = {30, 20, 10, 15, 15, 10};
                ev = add(g, p, SWI_EV_DUO_TERMIJN_VERLENGD, pip + (int32_t)irange(r, 500, 1000));
                fdate(ev, "nieuwe_einddatum", swi_date_add_months(pip, 36 + (int)irange(r, 3, 12)));
                fstr(ev, "grond", gr[PICK(r, w)]);
        }
        if (chance(r, 0.03)) {
                static const char *re[] = {"TERMIJN", "VERZUIM", "BREDE_INTAKE", "OVERIG"};
                static const double w[] = {20, 45, 25, 10};
                static const int bedrag[] = {250, 500, 800, 1250};
                ev = add(g, p, SWI_EV_DUO_BOETE_OPGELEGD, bi_start + (int32_t)irange(r, 100, 700));
                fstr(ev, "reden", re[PICK(r, w)]);
                fint(ev, "bedrag_eur", bedrag[irange(r, 0, 3)]);
        }
}

/* Wi2013: no PIP or brede intake; A2 exams, some completions. */
static void gen_wi2013(swi_gen_t *g, person_t *p, const hist_t *h)
{
        rng_t *r = &g->rng;
        int32_t d0 = h->settle + (int32_t)irange(r, 200, 900);
        static const char *parts[] = {"LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM"};
        int32_t last = d0;
        bool all = true;
        swi_event_t *ev;

        for (int i = 0; i < 5; i++) {
                int32_t d =
                    exam_until_passed(g, p, d0 + (int32_t)irange(r, 0, 90), parts[i], "A2", 0.65);
                all &= d != NO_DATE;
                if (d != NO_DATE && d > last)
                        last = d;
        }
        if (all) {
                ev = add(g, p, SWI_EV_DUO_INBURGERINGSPLICHT_VOLDAAN,
                         last + (int32_t)irange(r, 14, 90));
                fstr(ev, "leerroute", "B1");
                fstr(ev, "hoogste_niveau", "A2");
        } else if (chance(r, 0.3)) {
                ev = add(g, p, SWI_EV_DUO_TERMIJN_VERLENGD, h->plicht_start + 365 * 3 - 30);
                fdate(ev, "nieuwe_einddatum", swi_date_add_months(h->plicht_start, 36 + 12));
                fstr(ev, "grond", "OVERIG");
        }
}

/* Bijstand, ontzorgen, work: independent of the obligation. */
static void gen_income(swi_gen_t *g, person_t *p, const hist_t *h)
{
        rng_t *r = &g->rng;
        swi_event_t *ev;
        int32_t bij = NO_DATE, s = h->settle, first_work = NO_DATE;
        double p1;

        if (p->dg == DG_ASIEL && chance(r, 0.85)) {
                int32_t d = s + (int32_t)irange(r, 0, 30);
                add_gem(g, p, SWI_EV_GEM_ONTZORGEN_GESTART, d);
                add_gem(g, p, SWI_EV_GEM_ONTZORGEN_BEEINDIGD, swi_date_add_months(d, 6));
        }
        if (chance(r, p->dg == DG_ASIEL ? 0.92 : 0.14)) {
                bij = s + (int32_t)(p->dg == DG_ASIEL ? irange(r, 0, 45) : irange(r, 30, 400));
                add_gem(g, p, SWI_EV_GEM_BIJSTAND_GESTART, bij);
        }
        /* Work in year 1: men 30%, women 11% (statushouders); then a little more each year. */
        p1 = p->dg != DG_ASIEL ? 0.40 : p->sex == 'M' ? 0.30 : p->sex == 'V' ? 0.11 : 0.2;
        for (int year = 1; year <= 3; year++) {
                static const char *sectors[] = {"I", "N", "G", "H", "C", "Q", "P", "F", "A", "M"};
                static const double ws[] = {22, 16, 16, 10, 10, 8, 5, 5, 4, 4};
                static const char *contracts[] = {"VAST", "TIJDELIJK", "UITZEND", "ZELFSTANDIG"};
                static const double wc[] = {12, 50, 33, 5};
                int32_t ws0 = swi_date_add_months(s, 12 * (year - 1));
                int32_t start, end;
                const char *sector;
                if (!chance(r, year == 1 ? p1 : 0.11))
                        continue;
                start = ws0 + (int32_t)irange(r, year == 1 ? 20 : 0, 360);
                sector = sectors[PICK(r, ws)];
                ev = add(g, p, SWI_EV_GEM_WERK_GESTART, start);
                fstr(ev, "sector", sector);
                fint(ev, "uren_per_week", chance(r, 0.84) ? irange(r, 8, 31) : irange(r, 32, 40));
                fstr(ev, "contract", !strcmp(sector, "N") ? "UITZEND" : contracts[PICK(r, wc)]);
                if (first_work == NO_DATE)
                        first_work = start;
                if (chance(r, 0.65)) {
                        end = start + (int32_t)irange(r, 60, 540);
                        add(g, p, SWI_EV_GEM_WERK_BEEINDIGD, end);
                        if (year < 3 && end > swi_date_add_months(s, 12 * year))
                                year++; /* the spell covered the next year already */
                } else {
                        break; /* still working */
                }
        }
        if (bij != NO_DATE) {
                int32_t end = NO_DATE;
                if (first_work != NO_DATE && first_work > bij && chance(r, 0.5))
                        end = first_work + (int32_t)irange(r, 0, 30);
                else if (chance(r, 0.25))
                        end = bij + (int32_t)irange(r, 200, 1000);
                if (end != NO_DATE)
                        add_gem(g, p, SWI_EV_GEM_BIJSTAND_BEEINDIGD, end);
        }
}

/* Decides how (and whether) the obligation or the stay ends before the
 * history is written, so that add() can leave out what would follow. */
static void gen_einde(swi_gen_t *g, person_t *p, const hist_t *h)
{
        rng_t *r = &g->rng;
        swi_event_t *ev;
        double u = unif(r);
        int32_t d;

        if (u < 0.03) {
                static const char *gr[] = {"MEDISCH", "AANTOONBARE_INSPANNING", "OVERIG"};
                static const double w[] = {60, 25, 15};
                d = h->settle + (int32_t)irange(r, 150, 1000);
                p->oblig_end = d;
                ev = add(g, p, SWI_EV_DUO_ONTHEFFING_VERLEEND, d);
                fstr(ev, "grond", gr[PICK(r, w)]);
        } else if (u < 0.05) {
                d = h->settle + (int32_t)irange(r, 20, 200);
                p->oblig_end = d;
                ev = add(g, p, SWI_EV_DUO_VRIJSTELLING_VERLEEND, d);
                fstr(ev, "grond", chance(r, 0.7) ? "NL_DIPLOMA" : "OVERIG");
        } else if (u < 0.075) {
                static const char *re[] = {"VERTREK", "NATURALISATIE", "OVERLIJDEN", "ONTERECHT",
                                           "OVERIG"};
                static const double w[] = {55, 10, 10, 15, 10};
                int k = PICK(r, w);
                d = h->settle + (int32_t)irange(r, 100, 1000);
                if (k <= 2) {
                        /* The stay ends first (IND); DUO follows. */
                        static const char *ind[] = {"VERTREK", "NATURALISATIE", "OVERLIJDEN"};
                        int32_t end = d - (int32_t)irange(r, 10, 60);
                        ev = add(g, p, SWI_EV_IND_VERBLIJF_BEEINDIGD, end);
                        fstr(ev, "reden", ind[k]);
                        if (k != 1)
                                p->life_end = d;
                }
                p->oblig_end = d;
                ev = add(g, p, SWI_EV_DUO_INBURGERINGSPLICHT_VERVALLEN, d);
                fstr(ev, "reden", re[k]);
        }
}

static void gen_person(swi_gen_t *g, uint64_t idx)
{
        rng_t *r = &g->rng;
        person_t *p = &g->persons[idx];
        hist_t h;
        int32_t birth;
        const char *nat;
        swi_event_t *ev;
        double u;

        memset(p, 0, sizeof(*p));
        memset(&h, 0, sizeof(h));
        rng_seed(r, g->o.seed, idx + 1);
        u = unif(r);
        p->dg = u < 0.60 ? DG_ASIEL : u < 0.88 ? DG_GEZIN : DG_OVERIG;
        p->wi2013 = chance(r, 0.07);
        u = unif(r);
        {
                double men = p->dg == DG_ASIEL ? 0.63 : p->dg == DG_GEZIN ? 0.35 : 0.55;
                p->sex = u < men ? 'M' : u < 0.998 ? 'V' : 'X';
        }
        u = unif(r);
        h.age = (int)(u < 0.44   ? irange(r, 18, 28)
                      : u < 0.64 ? irange(r, 29, 34)
                      : u < 0.84 ? irange(r, 35, 44)
                      : u < 0.95 ? irange(r, 45, 54)
                                 : irange(r, 55, 66));
        nat = p->dg == DG_ASIEL ? nat_asiel[PICK(r, w_nat_asiel)] : nat_gezin[PICK(r, w_nat_gezin)];
        make_bsn(g->o.seed, idx, p->bsn);
        make_vnr(g->o.seed, idx, p->vnr);
        p->bsn_date = NO_DATE;
        p->bsn_reg_ms = INT64_MAX;
        p->oblig_end = p->life_end = p->move_date = NO_DATE;
        h.plicht_start = plicht_start_date(g, p->wi2013);
        birth = swi_date_add_months(h.plicht_start, -12 * h.age) - (int32_t)irange(r, 1, 364);

        if (p->dg == DG_ASIEL)
                gen_asylum(g, p, &h, nat, birth);
        else
                gen_regular(g, p, &h, nat, birth);
        p->settle = h.settle;
        g->st.persons[p->dg]++;

        ev = add(g, p, SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN, h.plicht_start);
        fstr(ev, "wet", p->wi2013 ? "WI2013" : "WI2021");
        fstr(ev, "doelgroep", dg_names[p->dg]);
        if (ev->type == SWI_EV_DUO_INBURGERINGSPLICHT_ONTSTAAN)
                g->st.persons_plicht[p->dg]++;
        add_gem(g, p, SWI_EV_GEM_GEVESTIGD, h.settle);
        gen_einde(g, p, &h);
        if (chance(r, 0.06)) {
                p->move_date = h.settle + (int32_t)irange(r, 100, 900);
                snprintf(p->gem1, sizeof(p->gem1), "%s", gem_pick(g, p->move_date));
                if (strcmp(p->gem1, gem_at(g, p->gem0, p->move_date)) != 0) {
                        ev = add(g, p, SWI_EV_GEM_VERHUISD, p->move_date);
                        fstr(ev, "van_gemeente", gem_at(g, p->gem0, p->move_date));
                        fstr(ev, "naar_gemeente", gem_at(g, p->gem1, p->move_date));
                } else {
                        p->move_date = NO_DATE;
                }
        }
        if (p->wi2013)
                gen_wi2013(g, p, &h);
        else
                gen_wi2021(g, p, &h);
        gen_income(g, p, &h);
}

/* ---- stream shaping ---------------------------------------------------- */

static bool has_dissolved_field(const swi_gen_t *g, const swi_event_t *ev, int32_t date)
{
        for (int i = 0; i < ev->nfields; i++) {
                if (ev->fields[i].kind != SWI_V_STRING || strncmp(ev->fields[i].s, "GM", 2))
                        continue;
                if (strcmp(gem_at(g, ev->fields[i].s, date), ev->fields[i].s) != 0)
                        return true;
        }
        return false;
}

/* Changes the values of a correction: a moved date, or a corrected value. */
static void mutate(swi_gen_t *g, swi_event_t *ev)
{
        rng_t *r = &g->rng;
        swi_field_t *f;
        int32_t maxd = (int32_t)(ev->registered_at / DAY_MS);

        if (chance(r, 0.5)) {
                if ((f = ffind(ev, "leerroute")) != NULL &&
                    ev->type != SWI_EV_DUO_INBURGERINGSPLICHT_VOLDAAN) {
                        const char *nr = !strcmp(f->s, "B1") ? "Z" : "B1";
                        snprintf(f->s, sizeof(f->s), "%s", nr);
                        if ((f = ffind(ev, "map")) != NULL)
                                f->i = 1;
                        return;
                }
                if ((f = ffind(ev, "score")) != NULL) {
                        f->i = f->i >= 20 ? f->i - (int64_t)irange(r, 1, 3)
                                          : f->i + (int64_t)irange(r, 1, 3);
                        snprintf(ffind(ev, "uitkomst")->s, SWI_FIELD_STR_MAX, "%s",
                                 f->i >= 22 ? "B1_HAALBAAR" : "B1_NIET_HAALBAAR");
                        return;
                }
                if ((f = ffind(ev, "uren")) || (f = ffind(ev, "uren_per_week")) ||
                    (f = ffind(ev, "afstand_km")) || (f = ffind(ev, "bedrag_eur"))) {
                        f->i += irange(r, 1, 10);
                        return;
                }
                if ((f = ffind(ev, "geslaagd")) != NULL) {
                        f->i = !f->i;
                        return;
                }
                if ((f = ffind(ev, "opleidingsniveau")) != NULL) {
                        f->kind = SWI_V_STRING;
                        snprintf(f->s, sizeof(f->s), "%s", chance(r, 0.5) ? "MBO" : "VOORTGEZET");
                        return;
                }
        }
        /* Move the date; never forward past a dissolved gemeente's last day or
         * beyond what the correction's own registration allows. */
        {
                int32_t d = ev->event_date +
                            (int32_t)(chance(r, 0.5) ? irange(r, 1, 30) : -irange(r, 1, 30));
                if (d > maxd || has_dissolved_field(g, ev, d))
                        d = ev->event_date - (int32_t)irange(r, 1, 30);
                ev->event_date = d;
        }
}

/* Corrections (some chained), retractions, late registrations. */
static void shape_person(swi_gen_t *g)
{
        rng_t *r = &g->rng;
        size_t n = g->npev;

        for (size_t i = 0; i < n; i++) {
                pev_t *pe = &g->pev[i];
                if (chance(r, g->o.late / 2)) {
                        /* Registered long after the fact. */
                        int64_t reg = (int64_t)pe->ev.event_date * DAY_MS +
                                      irange(r, 60, 400) * DAY_MS + irange(r, 0, DAY_MS - 1);
                        reg = clamp_reg(g, reg, pe->ev.event_date);
                        if (reg > pe->ev.registered_at) {
                                pe->ev.registered_at = reg;
                                pe->deliver = reg;
                                g->st.late_registered++;
                        }
                }
        }
        for (size_t i = 0; i < n; i++) {
                size_t target = i;
                for (int depth = 0; depth < 3; depth++) {
                        pev_t *t, *c;
                        int64_t reg;
                        if (!chance(r, depth == 0 ? g->o.corrections : 0.25))
                                break;
                        t = &g->pev[target];
                        reg = t->ev.registered_at + irange(r, HOUR_MS, 90 * DAY_MS);
                        if (reg > g->horizon_end_ms)
                                break;
                        c = pev_push(g);
                        if (!c)
                                return;
                        t = &g->pev[target]; /* pev may have moved */
                        *c = *t;
                        c->derived = true;
                        make_uuid(r, c->ev.event_id);
                        c->ev.has_corrects = true;
                        memcpy(c->ev.corrects, t->ev.event_id, sizeof(c->ev.corrects));
                        c->ev.registered_at = reg;
                        c->deliver = reg;
                        mutate(g, &c->ev);
                        g->st.corrections++;
                        if (depth > 0)
                                g->st.chained_corrections++;
                        target = (size_t)(c - g->pev);
                }
        }
        n = g->npev;
        for (size_t i = 0; i < n; i++) {
                pev_t *t = &g->pev[i], *x;
                int64_t reg;
                if (!chance(r, g->o.retractions))
                        continue;
                reg = t->ev.registered_at + irange(r, HOUR_MS, 60 * DAY_MS);
                if (reg > g->horizon_end_ms)
                        continue;
                x = pev_push(g);
                if (!x)
                        return;
                t = &g->pev[i];
                memset(x, 0, sizeof(*x));
                x->keep = true;
                x->derived = true;
                x->ev.source = t->ev.source;
                x->ev.type = g->intrekking[t->ev.source];
                x->ev.schema_id = g->cur_id[x->ev.type];
                make_uuid(r, x->ev.event_id);
                x->ev.has_bsn = t->ev.has_bsn;
                x->ev.has_vnr = t->ev.has_vnr;
                memcpy(x->ev.bsn, t->ev.bsn, sizeof(x->ev.bsn));
                memcpy(x->ev.vnr, t->ev.vnr, sizeof(x->ev.vnr));
                x->ev.registered_at = reg;
                x->ev.event_date = (int32_t)(reg / DAY_MS);
                x->ev.has_retracts = true;
                memcpy(x->ev.retracts, t->ev.event_id, sizeof(x->ev.retracts));
                x->deliver = reg;
                g->st.retractions++;
        }
}

/* ---- output ------------------------------------------------------------ */

static msg_t *msg_push(swi_gen_t *g)
{
        if (g->nmsgs == g->capmsgs) {
                size_t cap = g->capmsgs ? 2 * g->capmsgs : 4096;
                msg_t *m = realloc(g->msgs, cap * sizeof(*m));
                if (!m) {
                        g->failed = 1;
                        return NULL;
                }
                g->msgs = m;
                g->capmsgs = cap;
        }
        return &g->msgs[g->nmsgs++];
}

/* Appends key + encoded value to the arena as one message. */
static msg_t *emit(swi_gen_t *g, swi_source_t topic, const char *key, const swi_event_t *ev,
                   int32_t schema_id, int64_t deliver)
{
        size_t klen = key ? strlen(key) : 0;
        size_t off = g->arena.len;
        msg_t *m;

        if (swi_gen_buf_append(&g->arena, key, klen) != SWI_OK ||
            swi_gen_encode(g->enc, ev, schema_id, &g->arena) != SWI_OK) {
                g->arena.len = off;
                snprintf(g->errstr, g->errstr_size, "cannot encode %s.%s with schema id %d",
                         swi_source_name(ev->source), swi_evtype_name(ev->type), (int)schema_id);
                g->failed = 1;
                return NULL;
        }
        m = msg_push(g);
        if (!m)
                return NULL;
        m->deliver = deliver;
        m->seq = g->seq++;
        m->off = off;
        m->klen = (uint32_t)klen;
        m->vlen = (uint32_t)(g->arena.len - off - klen);
        m->topic = (uint8_t)topic;
        g->st.messages[topic]++;
        return m;
}

static const char *key_of(const swi_event_t *ev)
{
        bool by_bsn = swi_source_ident(ev->source) == SWI_IDENT_BSN;
        if (by_bsn)
                return ev->has_bsn ? ev->bsn : NULL;
        return ev->has_vnr ? ev->vnr : NULL;
}

static void flush_person(swi_gen_t *g)
{
        rng_t *r = &g->rng;

        for (size_t i = 0; i < g->npev && !g->failed; i++) {
                pev_t *pe = &g->pev[i];
                swi_event_t *ev = &pe->ev;
                int32_t id = ev->schema_id;
                int64_t deliver = pe->deliver;
                msg_t *m;

                if (!pe->keep)
                        continue;
                if (ev->type == SWI_EV_GEM_BREDE_INTAKE_AFGEROND) {
                        const swi_field_t *jk = swi_event_field(ev, "jonge_kinderen");
                        if ((!jk || jk->kind == SWI_V_NULL) && chance(r, g->o.old_schema))
                                id = SWI_GEN_SCHEMA_BI_AFGEROND_V1;
                }
                if (chance(r, g->o.late / 2)) {
                        deliver += irange(r, 3, 90) * DAY_MS;
                        g->st.late_delivered++;
                }
                m = emit(g, ev->source, key_of(ev), ev, id, deliver);
                if (!m)
                        return;
                pe->sent = deliver;
                if (id == SWI_GEN_SCHEMA_BI_AFGEROND_V1)
                        g->st.old_schema++;
                g->st.events[ev->type]++;
                g->st.good_events++;
                if (chance(r, g->o.duplicates)) {
                        /* Byte-identical re-send, soon or much later. */
                        msg_t *d = msg_push(g);
                        if (!d)
                                return;
                        m = &g->msgs[g->nmsgs - 2];
                        *d = *m;
                        d->seq = g->seq++;
                        d->deliver = m->deliver + (chance(r, 0.5) ? irange(r, 1000, HOUR_MS)
                                                                  : irange(r, 1, 30) * DAY_MS);
                        g->st.messages[d->topic]++;
                        g->st.duplicates++;
                        if (id == SWI_GEN_SCHEMA_BI_AFGEROND_V1)
                                g->st.old_schema++;
                }
        }
}

/* ---- bad references (--bad-references) ----------------------------------- */

/* A kept event of the current person that can be the target of kind k, with
 * the later registration (and, for BADREF_OTHER_TYPE, the donor of the other
 * type's payload) that the bad reference gets; false if this one cannot. */
static bool badref_fits(swi_gen_t *g, int k, const pev_t *t, const pev_t **donor, int64_t *reg)
{
        rng_t *r = &g->ref_rng;
        int64_t base = t->ev.registered_at;

        *donor = NULL;
        if (!t->keep)
                return false;
        switch (k) {
        case BADREF_OTHER_TYPE:
                if (swi_evtype_is_intrekking(t->ev.type))
                        return false;
                for (size_t i = 0; i < g->npev && !*donor; i++) {
                        const pev_t *d = &g->pev[i];
                        if (d->keep && d->ev.source == t->ev.source && d->ev.type != t->ev.type &&
                            !swi_evtype_is_intrekking(d->ev.type))
                                *donor = d;
                }
                if (!*donor)
                        return false;
                if ((*donor)->ev.registered_at > base)
                        base = (*donor)->ev.registered_at;
                break;
        case BADREF_OTHER_BSN:
                if (swi_evtype_is_intrekking(t->ev.type) || !t->ev.has_bsn)
                        return false;
                break;
        default:
                if (!swi_evtype_is_intrekking(t->ev.type))
                        return false;
                break;
        }
        *reg = base + irange(r, HOUR_MS, 30 * DAY_MS);
        return *reg <= g->horizon_end_ms;
}

/* Appends, for the current person, at most one bad reference of each kind
 * still short of --bad-references, delivered after its target. Each is keyed
 * by its own identity: the target's key (so its partition), except the
 * correction with another BSN, which goes under that BSN (mostly another
 * partition). They are stored like any event and judged by the rules
 * (events.md): counted in bad_refs and among the stored events of the
 * manifest, never in the rest of the statistics, so that the rest of the
 * stream is the same without them. */
static void gen_bad_references(swi_gen_t *g)
{
        rng_t *r = &g->ref_rng;

        if (g->npev == 0)
                return;
        for (int k = 0; k < BADREF__CNT && !g->failed; k++) {
                size_t start = (size_t)irange(r, 0, (int64_t)g->npev - 1);
                const pev_t *t = NULL, *donor = NULL;
                int64_t reg = 0, deliver;
                swi_event_t ev;

                if (g->st.bad_refs[k] >= g->o.bad_references)
                        continue;
                for (size_t j = 0; j < g->npev && !t; j++) {
                        const pev_t *c = &g->pev[(start + j) % g->npev];
                        if (badref_fits(g, k, c, &donor, &reg))
                                t = c;
                }
                if (!t)
                        continue;
                ev = donor ? donor->ev : t->ev;
                make_uuid(r, ev.event_id);
                ev.registered_at = reg;
                ev.has_corrects = ev.has_retracts = false;
                if (k == BADREF_INTREKKING) {
                        ev.has_retracts = true;
                        memcpy(ev.retracts, t->ev.event_id, sizeof(ev.retracts));
                        ev.event_date = (int32_t)(reg / DAY_MS);
                } else {
                        ev.has_corrects = true;
                        memcpy(ev.corrects, t->ev.event_id, sizeof(ev.corrects));
                }
                if (k == BADREF_OTHER_BSN) {
                        uint64_t idx = g->o.persons + g->st.bad_refs[k];
                        do
                                make_bsn(g->o.seed, idx++, ev.bsn);
                        while (strcmp(ev.bsn, t->ev.bsn) == 0);
                }
                deliver = (t->sent > reg ? t->sent : reg) + irange(r, 1000, HOUR_MS);
                /* keyed as a producer would: by its own identity (another
                 * BSN: mostly another partition than its target's) */
                if (!emit(g, ev.source, key_of(&ev), &ev, ev.schema_id, deliver))
                        return;
                g->st.bad_refs[k]++;
                g->st.bad_ref_events[ev.type]++;
        }
}

/* ---- bad messages -------------------------------------------------------- */

/* A valid-looking event of type t for person p, before its defect. */
static void bad_base(swi_gen_t *g, const person_t *p, swi_evtype_t t, int32_t date, swi_event_t *ev)
{
        rng_t *r = &g->rng;
        swi_source_t src = swi_evtype_source(t);

        memset(ev, 0, sizeof(*ev));
        ev->source = src;
        ev->type = t;
        make_uuid(r, ev->event_id);
        ev->event_date = date;
        ev->registered_at = clamp_reg(g, (int64_t)date * DAY_MS + lag_ms(r, src), date);
        ev->schema_id = g->cur_id[t];
        if (swi_source_ident(src) == SWI_IDENT_BSN) {
                ev->has_bsn = true;
                memcpy(ev->bsn, p->bsn, sizeof(p->bsn));
        } else {
                ev->has_vnr = true;
                memcpy(ev->vnr, p->vnr, sizeof(p->vnr));
        }
        switch (t) {
        case SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN:
                fint(ev, "score", irange(r, 22, 40));
                fstr(ev, "uitkomst", "B1_HAALBAAR");
                break;
        case SWI_EV_DUO_EXAMEN_AFGELEGD:
                fstr(ev, "onderdeel", "KNM");
                fstr(ev, "niveau", "A2");
                fbool(ev, "geslaagd", true);
                break;
        case SWI_EV_GEM_PARTICIPATIE_UREN:
                fstr(ev, "gemeente", person_gem(g, p, date));
                fint(ev, "uren", irange(r, 20, 200));
                break;
        case SWI_EV_GEM_BREDE_INTAKE_GESTART:
        case SWI_EV_GEM_GEVESTIGD:
                fstr(ev, "gemeente", person_gem(g, p, date));
                break;
        case SWI_EV_IND_ASIELAANVRAAG_INGEDIEND:
                fstr(ev, "nationaliteit", "SYR");
                fdate(ev, "geboortedatum", date - 9000);
                fstr(ev, "geslacht", "M");
                break;
        default:
                break;
        }
}

/* Emits one bad message with exactly one defect of `reason` (variant picks the kind). */
static void gen_bad(swi_gen_t *g, swi_reason_t reason, int variant)
{
        rng_t *r = &g->rng;
        const person_t *p = &g->persons[irange(r, 0, (int64_t)g->o.persons - 1)];
        int32_t lo = D(2022, 1, 1) < g->o.until ? D(2022, 1, 1) : g->o.until - 30;
        int32_t date = (int32_t)irange(r, lo, g->o.until);
        swi_event_t ev;
        swi_source_t topic;
        msg_t *m;
        int32_t id;
        uint8_t *val;

        switch (reason) {
        case SWI_REASON_BAD_FRAMING:
        case SWI_REASON_UNKNOWN_SCHEMA:
        case SWI_REASON_UNDECODABLE:
                bad_base(g, p,
                         variant % 2 ? SWI_EV_DUO_EXAMEN_AFGELEGD
                                     : SWI_EV_COA_VOORINBURGERING_GESTART,
                         date, &ev);
                break;
        case SWI_REASON_WRONG_SOURCE:
                bad_base(g, p, SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN, date, &ev);
                break;
        case SWI_REASON_NO_IDENTITY:
                bad_base(g, p,
                         variant % 2 ? SWI_EV_GEM_BREDE_INTAKE_GESTART
                                     : SWI_EV_COA_VOORINBURGERING_GESTART,
                         date, &ev);
                ev.has_bsn = ev.has_vnr = false;
                break;
        case SWI_REASON_INVALID_BSN:
                bad_base(g, p, SWI_EV_DUO_EXAMEN_AFGELEGD, date, &ev);
                if (variant % 3 == 0)
                        ev.bsn[8] = (char)('0' + (ev.bsn[8] - '0' + 1) % 10); /* elfproef fails */
                else if (variant % 3 == 1)
                        ev.bsn[8] = '\0'; /* 8 digits */
                else
                        ev.bsn[4] = 'X';
                break;
        case SWI_REASON_INVALID_VNUMMER:
                bad_base(g, p, SWI_EV_IND_ASIELAANVRAAG_INGEDIEND, date, &ev);
                if (variant % 2 == 0)
                        ev.vnr[9] = '\0'; /* 9 digits */
                else
                        ev.vnr[3] = 'A';
                break;
        case SWI_REASON_INVALID_VALUE:
                switch (variant % 5) {
                case 0:
                        bad_base(g, p, SWI_EV_DUO_LEERBAARHEIDSTOETS_AFGENOMEN, date, &ev);
                        ev.fields[0].i = 57;
                        break;
                case 1:
                        bad_base(g, p, SWI_EV_GEM_PARTICIPATIE_UREN, date, &ev);
                        ev.fields[1].i = -(int64_t)irange(r, 1, 40);
                        break;
                case 2:
                        bad_base(g, p, SWI_EV_GEM_BREDE_INTAKE_GESTART, date, &ev);
                        snprintf(ev.fields[0].s, SWI_FIELD_STR_MAX, "GM9999");
                        break;
                case 3: {
                        /* A dissolved municipality after its last day (the horizon permitting). */
                        int k = (int)irange(r, 0, NDISSOLVED - 1);
                        int32_t d = g->dissolved_last[k] + (int32_t)irange(r, 1, 400);
                        if (d > g->o.until)
                                d = g->o.until;
                        if (d <= g->dissolved_last[k]) {
                                k = 0; /* GM0457 ended first */
                                d = g->o.until;
                        }
                        bad_base(g, p, SWI_EV_GEM_GEVESTIGD, d, &ev);
                        snprintf(ev.fields[0].s, SWI_FIELD_STR_MAX, "%s",
                                 d > g->dissolved_last[k] ? dissolved[k].code : "GM9999");
                        break;
                }
                default:
                        /* An Intrekking carrying `corrects`; both ids point nowhere. */
                        bad_base(g, p, SWI_EV_GEM_INTREKKING, date, &ev);
                        ev.has_retracts = ev.has_corrects = true;
                        make_uuid(r, ev.retracts);
                        make_uuid(r, ev.corrects);
                        break;
                }
                break;
        case SWI_REASON_IMPLAUSIBLE_DATE:
                /* An event without other date-dependent fields (a geboortedatum
                 * after the event_date would be a second defect). */
                bad_base(g, p, SWI_EV_DUO_EXAMEN_AFGELEGD, date, &ev);
                if (variant % 2 == 0)
                        ev.event_date = D(1850 + (int)irange(r, 0, 49), 6, 1);
                else
                        ev.event_date = (int32_t)(ev.registered_at / DAY_MS) + 10;
                break;
        default:
                return;
        }
        topic = reason == SWI_REASON_WRONG_SOURCE ? SWI_SRC_COA : ev.source;
        m = emit(g, topic, key_of(&ev), &ev, ev.schema_id, ev.registered_at);
        if (!m)
                return;
        val = g->arena.data + m->off + m->klen;
        switch (reason) {
        case SWI_REASON_UNKNOWN_SCHEMA:
                /* A valid body under an id the registry does not know. */
                id = ev.schema_id;
                while (swi_gen_encoder_knows(g->enc, id))
                        id = 4000 + (int32_t)irange(r, 0, 999);
                swi_wire_frame_header(id, val);
                break;
        case SWI_REASON_BAD_FRAMING:
                if (variant % 2 == 0) {
                        m->vlen = (uint32_t)irange(r, 1, 4); /* too short */
                } else {
                        val[0] = (uint8_t)irange(r, 1, 255); /* bad magic */
                }
                break;
        case SWI_REASON_UNDECODABLE:
                if (variant % 2 == 0) {
                        /* Truncated: any strict prefix of a record body fails to decode. */
                        m->vlen -= (uint32_t)irange(r, 1, m->vlen - 6);
                } else {
                        size_t k = (size_t)irange(r, 1, 8);
                        for (size_t i = 0; i < k; i++) {
                                uint8_t b = (uint8_t)rng_next(r);
                                swi_gen_buf_append(&g->arena, &b, 1);
                        }
                        m->vlen += (uint32_t)k;
                }
                break;
        default:
                break;
        }
        g->st.bad[reason]++;
}

static void gen_bad_messages(swi_gen_t *g)
{
        uint64_t n;

        if (g->o.bad <= 0 || g->o.persons == 0)
                return;
        rng_seed(&g->rng, g->o.seed, 0xbadULL << 40);
        n = (uint64_t)llround(g->o.bad * (double)g->st.good_events);
        if (n < SWI_REASON__CNT - 1)
                n = SWI_REASON__CNT - 1; /* every reason at least once */
        for (uint64_t i = 0; i < n && !g->failed; i++) {
                swi_reason_t reason = (swi_reason_t)(1 + i % (SWI_REASON__CNT - 1));
                gen_bad(g, reason, (int)(i / (SWI_REASON__CNT - 1)));
        }
}

/* ---- run ----------------------------------------------------------------- */

void swi_gen_opts_default(swi_gen_opts_t *o)
{
        memset(o, 0, sizeof(*o));
        o->persons = 1000;
        o->seed = 1;
        o->until = D(2025, 6, 30);
        o->duplicates = 0.01;
        o->late = 0.02;
        o->corrections = 0.02;
        o->retractions = 0.005;
        o->bad = 0.002;
        o->old_schema = 0.3;
        o->topic_prefix = "";
}

static int msg_cmp(const void *a, const void *b)
{
        const msg_t *x = a, *y = b;
        if (x->deliver != y->deliver)
                return x->deliver < y->deliver ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

swi_gen_t *swi_gen_run(const swi_gen_opts_t *o, swi_gen_encoder_t *enc, char *errstr,
                       size_t errstr_size)
{
        swi_gen_t *g = calloc(1, sizeof(*g));
        double t0 = now_s(), last = t0;

        if (!g) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        g->o = *o;
        g->enc = enc;
        g->errstr = errstr;
        g->errstr_size = errstr_size;
        errstr[0] = '\0';
        g->horizon_end_ms = ((int64_t)o->until + 1) * DAY_MS - 1;
        rng_seed(&g->ref_rng, o->seed, 0xbefULL << 40);
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                snprintf(g->topics[s], sizeof(g->topics[s]), "%s%s",
                         o->topic_prefix ? o->topic_prefix : "",
                         swi_source_info((swi_source_t)s)->topic);
                g->intrekking[s] = swi_evtype_lookup((swi_source_t)s, "Intrekking");
        }
        for (int t = 0; t < SWI_EV__CNT; t++)
                g->cur_id[t] = swi_gen_encoder_current_id(enc, (swi_evtype_t)t);
        if (load_gemeenten(g) != 0) {
                if (!errstr[0])
                        snprintf(errstr, errstr_size, "cannot load the gemeenten reference list");
                goto fail;
        }
        g->persons = calloc(o->persons ? o->persons : 1, sizeof(*g->persons));
        if (!g->persons)
                goto nomem;
        for (uint64_t i = 0; i < o->persons && !g->failed; i++) {
                g->npev = 0;
                gen_person(g, i);
                shape_person(g);
                flush_person(g);
                if (o->bad_references > 0 && !g->failed)
                        gen_bad_references(g);
                if (o->progress && (i & 1023) == 0 && now_s() - last > 3) {
                        last = now_s();
                        SWI_LOG_I("gen", "generating", "persons=%llu of=%llu messages=%zu",
                                  (unsigned long long)i, (unsigned long long)o->persons, g->nmsgs);
                }
        }
        if (!g->failed)
                gen_bad_messages(g);
        if (g->failed) {
                if (!errstr[0])
                        goto nomem;
                goto fail;
        }
        if (g->nmsgs > 0)
                qsort(g->msgs, g->nmsgs, sizeof(*g->msgs), msg_cmp);
        free(g->pev);
        g->pev = NULL;
        if (o->progress)
                SWI_LOG_I("gen", "generated", "persons=%llu messages=%zu seconds=%.1f",
                          (unsigned long long)o->persons, g->nmsgs, now_s() - t0);
        return g;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
fail:
        swi_gen_destroy(g);
        return NULL;
}

size_t swi_gen_count(const swi_gen_t *g)
{
        return g->nmsgs;
}

void swi_gen_message(const swi_gen_t *g, size_t i, swi_gen_msg_t *out)
{
        const msg_t *m = &g->msgs[i];
        const uint8_t *base = g->arena.data + m->off;

        assert(i < g->nmsgs);
        out->topic = g->topics[m->topic];
        out->key = m->klen ? base : NULL;
        out->key_len = m->klen;
        out->val = base + m->klen;
        out->val_len = m->vlen;
}

swi_err_t swi_gen_manifest_write(const swi_gen_t *g, FILE *f)
{
        json_t *root = json_object(), *o;
        uint64_t total = 0, bad_total = 0;
        char buf[64], date[SWI_DATE_BUF];
        int rc;

        if (!root)
                return SWI_ERR_NOMEM;
        json_object_set_new(root, "generator", json_string("swi-gen " SWI_VERSION));
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)g->o.seed);
        json_object_set_new(root, "seed", json_string(buf));
        json_object_set_new(root, "until", json_string(swi_date_format(g->o.until, date)));
        o = json_object();
        json_object_set_new(o, "duplicates", json_real(g->o.duplicates));
        json_object_set_new(o, "late", json_real(g->o.late));
        json_object_set_new(o, "corrections", json_real(g->o.corrections));
        json_object_set_new(o, "retractions", json_real(g->o.retractions));
        json_object_set_new(o, "bad", json_real(g->o.bad));
        json_object_set_new(o, "old_schema", json_real(g->o.old_schema));
        json_object_set_new(root, "shares", o);

        o = json_object();
        json_object_set_new(o, "total", json_integer((json_int_t)g->o.persons));
        for (int d = 0; d < DG__CNT; d++)
                json_object_set_new(o, dg_names[d], json_integer((json_int_t)g->st.persons[d]));
        json_object_set_new(root, "persons", o);
        o = json_object();
        for (int d = 0; d < DG__CNT; d++)
                json_object_set_new(o, dg_names[d],
                                    json_integer((json_int_t)g->st.persons_plicht[d]));
        json_object_set_new(root, "persons_with_plicht", o);

        o = json_object();
        for (int s = 0; s < SWI_SRC__CNT; s++) {
                json_object_set_new(o, g->topics[s], json_integer((json_int_t)g->st.messages[s]));
                total += g->st.messages[s];
        }
        json_object_set_new(root, "messages_per_topic", o);
        json_object_set_new(root, "messages_total", json_integer((json_int_t)total));

        o = json_object();
        for (int t = 0; t < SWI_EV__CNT; t++) {
                snprintf(buf, sizeof(buf), "%s.%s",
                         swi_source_name(swi_evtype_source((swi_evtype_t)t)),
                         swi_evtype_name((swi_evtype_t)t));
                json_object_set_new(o, buf,
                                    json_integer((json_int_t)(g->st.events[t] +
                                                              g->st.bad_ref_events[t])));
        }
        /* bad references are stored like any event (events.md): counted here
         * too, and in bad_references */
        uint64_t nbadref = 0;
        for (int k = 0; k < BADREF__CNT; k++)
                nbadref += g->st.bad_refs[k];
        json_object_set_new(root, "good_events_per_type", o);
        json_object_set_new(root, "good_event_ids",
                            json_integer((json_int_t)(g->st.good_events + nbadref)));
        json_object_set_new(root, "duplicate_messages", json_integer((json_int_t)g->st.duplicates));
        json_object_set_new(root, "corrections", json_integer((json_int_t)g->st.corrections));
        json_object_set_new(root, "chained_corrections",
                            json_integer((json_int_t)g->st.chained_corrections));
        json_object_set_new(root, "retractions", json_integer((json_int_t)g->st.retractions));
        json_object_set_new(root, "late_registered",
                            json_integer((json_int_t)g->st.late_registered));
        json_object_set_new(root, "late_delivered", json_integer((json_int_t)g->st.late_delivered));
        o = json_object();
        for (int rs = 1; rs < SWI_REASON__CNT; rs++) {
                json_object_set_new(o, swi_reason2str((swi_reason_t)rs),
                                    json_integer((json_int_t)g->st.bad[rs]));
                bad_total += g->st.bad[rs];
        }
        json_object_set_new(root, "bad_messages", o);
        json_object_set_new(root, "bad_messages_total", json_integer((json_int_t)bad_total));
        json_object_set_new(root, "old_schema_messages",
                            json_integer((json_int_t)g->st.old_schema));
        if (g->o.bad_references > 0) {
                /* stored, and INVALID_REFERENCE findings once their targets are known */
                uint64_t n = 0;
                o = json_object();
                for (int k = 0; k < BADREF__CNT; k++) {
                        json_object_set_new(o, badref_names[k],
                                            json_integer((json_int_t)g->st.bad_refs[k]));
                        n += g->st.bad_refs[k];
                }
                json_object_set_new(o, "total", json_integer((json_int_t)n));
                json_object_set_new(root, "bad_references", o);
        }
        rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
        json_decref(root);
        if (rc != 0 || fputc('\n', f) == EOF)
                return SWI_ERR_IO;
        return SWI_OK;
}

void swi_gen_destroy(swi_gen_t *g)
{
        if (!g)
                return;
        free(g->gems);
        free(g->persons);
        free(g->pev);
        free(g->msgs);
        swi_gen_buf_free(&g->arena);
        free(g);
}
