#include "validate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "transform/gemeenten.h"

bool swi_bsn_valid(const char *s)
{
        int sum = 0, nonzero = 0;

        if (strlen(s) != 9)
                return false;
        for (int i = 0; i < 9; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                int d = s[i] - '0';
                nonzero |= d;
                sum += i < 8 ? (9 - i) * d : -d;
        }
        return nonzero && sum % 11 == 0;
}

bool swi_vnummer_valid(const char *s)
{
        if (strlen(s) != 10)
                return false;
        for (int i = 0; i < 10; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

bool swi_uuid_valid(const char *s)
{
        if (strlen(s) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                } else if (!isxdigit((unsigned char)s[i])) {
                        return false;
                }
        }
        return true;
}

/* Range rules for integer payload fields, by field name. */
static const struct {
        const char *name;
        int64_t min, max;
} int_rules[] = {
    {"score", 0, 40},          {"afstand_km", 0, 1000},    {"uren", 0, 100000},
    {"uren_per_week", 0, 168}, {"bedrag_eur", 0, 1000000},
};

static const char *const gemeente_fields[] = {"gemeente", "locatie_gemeente", "naar_gemeente",
                                              "van_gemeente"};
static const char *const nonempty_fields[] = {"locatie", "van_locatie", "naar_locatie",
                                              "aanbieder"};

static bool name_in(const char *name, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(name, list[i]) == 0)
                        return true;
        return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A value shown in a detail: at most max bytes of v (out holds max + 1), every
 * digit of a run of nine or more digits - in the whole value, the part shown
 * or not - masked as '#'. A BSN (9 digits) or V-nummer (10) put in the wrong
 * field thus never reaches a dead-letter table or log, whose details never hold
 * one (001_core.sql); codes, years and small numbers stay readable. */
#define MASK_RUN 9
static const char *masked(const char *v, size_t max, char *out)
{
        size_t n = strlen(v), o = 0;

        for (size_t i = 0; i < n && o < max;) {
                size_t j = i;
                while (j < n && isdigit((unsigned char)v[j]))
                        j++;
                if (j == i) {
                        out[o++] = v[i++];
                        continue;
                }
                for (size_t k = i; k < j && o < max; k++)
                        out[o++] = j - i >= MASK_RUN ? '#' : v[k];
                i = j;
        }
        out[o] = '\0';
        return out;
}

static swi_reason_t check_field(const swi_event_t *ev, const swi_field_t *f, char *detail,
                                size_t detail_size)
{
        static const int32_t y1900 = -25567; /* 1900-01-01 */
        char d1[SWI_DATE_BUF];
        char shown[24];

        if (f->kind == SWI_V_NULL)
                return SWI_REASON_NONE;
        /* A string the decoder could not keep whole (event.h): longer than
         * the contract allows, or with a NUL byte, never cut at it. */
        if (f->kind == SWI_V_STRING && f->wire_len >= SWI_FIELD_STR_MAX) {
                snprintf(detail, detail_size, "%s is %lu bytes, over its contract maximum of %d",
                         f->name, (unsigned long)f->wire_len, SWI_STR_CONTRACT_MAX);
                return SWI_REASON_INVALID_VALUE;
        }
        if (f->kind == SWI_V_STRING && f->wire_len != 0) {
                snprintf(detail, detail_size, "%s contains a NUL byte", f->name);
                return SWI_REASON_INVALID_VALUE;
        }
        for (size_t i = 0; i < COUNT(int_rules); i++) {
                if (f->kind == SWI_V_INT && strcmp(f->name, int_rules[i].name) == 0 &&
                    (f->i < int_rules[i].min || f->i > int_rules[i].max)) {
                        char num[24];
                        snprintf(num, sizeof(num), "%lld", (long long)f->i);
                        snprintf(detail, detail_size, "%s %s is outside %lld..%lld", f->name,
                                 masked(num, sizeof(shown) - 1, shown), (long long)int_rules[i].min,
                                 (long long)int_rules[i].max);
                        return SWI_REASON_INVALID_VALUE;
                }
        }
        if (f->kind == SWI_V_STRING && name_in(f->name, gemeente_fields, COUNT(gemeente_fields)) &&
            !swi_gemeente_valid_on(f->s, ev->event_date)) {
                if (swi_gemeente_successor(f->s))
                        snprintf(detail, detail_size,
                                 "%s %s was dissolved before the event_date %s", f->name, f->s,
                                 swi_date_format(ev->event_date, d1));
                else
                        snprintf(detail, detail_size, "%s \"%s\" is not a known CBS gemeente code",
                                 f->name, masked(f->s, 12, shown));
                return SWI_REASON_INVALID_VALUE;
        }
        if (f->kind == SWI_V_STRING && name_in(f->name, nonempty_fields, COUNT(nonempty_fields)) &&
            f->s[0] == '\0') {
                snprintf(detail, detail_size, "%s is empty", f->name);
                return SWI_REASON_INVALID_VALUE;
        }
        if (f->kind == SWI_V_STRING && strcmp(f->name, "nationaliteit") == 0) {
                if (strlen(f->s) != 3 || !isupper((unsigned char)f->s[0]) ||
                    !isupper((unsigned char)f->s[1]) || !isupper((unsigned char)f->s[2])) {
                        snprintf(detail, detail_size,
                                 "nationaliteit \"%s\" is not an ISO 3166-1 alpha-3 code",
                                 masked(f->s, 8, shown));
                        return SWI_REASON_INVALID_VALUE;
                }
        }
        if (f->kind == SWI_V_STRING && strcmp(f->name, "sector") == 0) {
                if (strlen(f->s) != 1 || f->s[0] < 'A' || f->s[0] > 'U') {
                        snprintf(detail, detail_size, "sector \"%s\" is not an SBI section A-U",
                                 masked(f->s, 8, shown));
                        return SWI_REASON_INVALID_VALUE;
                }
        }
        if (f->kind == SWI_V_DATE && strcmp(f->name, "geboortedatum") == 0 &&
            (f->i < y1900 || f->i > ev->event_date)) {
                snprintf(detail, detail_size,
                         "geboortedatum %s is before 1900 or after the event_date",
                         swi_date_format((int32_t)f->i, d1));
                return SWI_REASON_INVALID_VALUE;
        }
        if (f->kind == SWI_V_DATE && strcmp(f->name, "nieuwe_einddatum") == 0 && f->i < y1900) {
                snprintf(detail, detail_size, "nieuwe_einddatum %s is before 1900",
                         swi_date_format((int32_t)f->i, d1));
                return SWI_REASON_INVALID_VALUE;
        }
        return SWI_REASON_NONE;
}

/* Floor division of ms to days (registered_at may in theory precede 1970).
 * 64 bits: an int64 timestamp's day does not fit an int32. */
static int64_t utc_day(int64_t ms)
{
        int64_t d = ms / 86400000;
        if (ms % 86400000 < 0)
                d--;
        return d;
}

/* The detail of an identifier that is not ndigits digits (never its value).
 * wire_len as in event.h: a string the decoder could not keep whole. */
static const char *id_defect(const char *s, uint32_t wire_len, size_t ndigits)
{
        if (wire_len >= SWI_ID_BUF || (wire_len == 0 && strlen(s) != ndigits))
                return ndigits == 9 ? "does not have 9 characters" : "does not have 10 characters";
        if (wire_len != 0)
                return "contains a NUL byte";
        return strspn(s, "0123456789") != ndigits ? "has a non-digit" : "fails the elfproef";
}

swi_reason_t swi_validate_event(const swi_event_t *ev, const swi_validate_conf_t *conf,
                                char *detail, size_t detail_size)
{
        static const int32_t y1900 = -25567; /* 1900-01-01 */
        const swi_ident_t ident = swi_source_ident(ev->source);
        /* BsnToegekend links a v_nummer to its bsn: it carries both */
        bool need_bsn = ident == SWI_IDENT_BSN || ev->type == SWI_EV_IND_BSN_TOEGEKEND;
        bool need_vnr = ident == SWI_IDENT_VNUMMER;
        bool is_intrekking = swi_evtype_is_intrekking(ev->type);
        char d1[SWI_DATE_BUF], d2[SWI_DATE_BUF];
        swi_reason_t r;

        if (need_bsn && !ev->has_bsn) {
                snprintf(detail, detail_size, "%s event %s without the required bsn",
                         swi_source_name(ev->source), swi_evtype_name(ev->type));
                return SWI_REASON_NO_IDENTITY;
        }
        if (need_vnr && !ev->has_vnr) {
                snprintf(detail, detail_size, "%s event %s without the required v_nummer",
                         swi_source_name(ev->source), swi_evtype_name(ev->type));
                return SWI_REASON_NO_IDENTITY;
        }
        /* Details name the defect, never the value: it is personal data. */
        if (ev->has_bsn && (ev->bsn_wire_len != 0 || !swi_bsn_valid(ev->bsn))) {
                snprintf(detail, detail_size, "bsn %s", id_defect(ev->bsn, ev->bsn_wire_len, 9));
                return SWI_REASON_INVALID_BSN;
        }
        if (ev->has_vnr && (ev->vnr_wire_len != 0 || !swi_vnummer_valid(ev->vnr))) {
                snprintf(detail, detail_size, "v_nummer %s",
                         id_defect(ev->vnr, ev->vnr_wire_len, 10));
                return SWI_REASON_INVALID_VNUMMER;
        }
        /* events.md: IMPLAUSIBLE_DATE before INVALID_VALUE - an implausible
         * event_date is the defect, whatever else it makes look wrong (a
         * geboortedatum "after" an event_date of 1899). */
        if (ev->event_date < y1900) {
                snprintf(detail, detail_size, "event_date %s is before 1900",
                         swi_date_format(ev->event_date, d1));
                return SWI_REASON_IMPLAUSIBLE_DATE;
        }
        int64_t reg_day = utc_day(ev->registered_at);
        if (ev->event_date > reg_day + conf->date_tolerance_days) {
                snprintf(detail, detail_size,
                         "event_date %s is more than %d day(s) after registered_at's date %s",
                         swi_date_format(ev->event_date, d1), conf->date_tolerance_days,
                         swi_date_format(reg_day, d2));
                return SWI_REASON_IMPLAUSIBLE_DATE;
        }
        if (ev->event_id_wire_len != 0 || !swi_uuid_valid(ev->event_id)) {
                snprintf(detail, detail_size, "event_id is not a UUID");
                return SWI_REASON_INVALID_VALUE;
        }
        if (ev->has_corrects && (ev->corrects_wire_len != 0 || !swi_uuid_valid(ev->corrects))) {
                snprintf(detail, detail_size, "corrects is not a UUID");
                return SWI_REASON_INVALID_VALUE;
        }
        if (ev->has_corrects && strcasecmp(ev->corrects, ev->event_id) == 0) {
                snprintf(detail, detail_size, "event corrects itself");
                return SWI_REASON_INVALID_VALUE;
        }
        if (is_intrekking) {
                if (ev->has_corrects) {
                        snprintf(detail, detail_size, "an Intrekking cannot be a correction");
                        return SWI_REASON_INVALID_VALUE;
                }
                if (!ev->has_retracts || ev->retracts_wire_len != 0 ||
                    !swi_uuid_valid(ev->retracts)) {
                        snprintf(detail, detail_size, "Intrekking without a valid retracts UUID");
                        return SWI_REASON_INVALID_VALUE;
                }
                if (strcasecmp(ev->retracts, ev->event_id) == 0) {
                        snprintf(detail, detail_size, "Intrekking retracts itself");
                        return SWI_REASON_INVALID_VALUE;
                }
        }
        for (int i = 0; i < ev->nfields; i++) {
                r = check_field(ev, &ev->fields[i], detail, detail_size);
                if (r != SWI_REASON_NONE)
                        return r;
        }
        return SWI_REASON_NONE;
}
