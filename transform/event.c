#include "event.h"

#include <stdio.h>
#include <string.h>

static const struct {
        const char *name;
        swi_source_t src;
} evtypes[SWI_EV__CNT] = {
#define SWI__X(e, name, src) {name, src},
        SWI_EVENT_TYPES(SWI__X)
#undef SWI__X
};

static const char *const reasons[SWI_REASON__CNT] = {
        "NONE",
#define SWI__X(r) #r,
        SWI_REASONS(SWI__X)
#undef SWI__X
};

static const swi_source_info_t sources[SWI_SRC__CNT] = {
#define SWI__X(e, name, topic, ident, label, intrekking, lag)                                      \
        {name, topic, ident, label, SWI_EV_##intrekking, lag},
        SWI_SOURCES(SWI__X)
#undef SWI__X
};

const swi_source_info_t *swi_source_info(swi_source_t src)
{
        return (unsigned)src < SWI_SRC__CNT ? &sources[src] : NULL;
}

const char *swi_source_name(swi_source_t src)
{
        return (unsigned)src < SWI_SRC__CNT ? sources[src].name : "?";
}

swi_source_t swi_source_from_name(const char *name)
{
        for (int i = 0; i < SWI_SRC__CNT; i++)
                if (strcmp(name, sources[i].name) == 0)
                        return (swi_source_t)i;
        return SWI_SRC__CNT;
}

swi_ident_t swi_source_ident(swi_source_t src)
{
        return (unsigned)src < SWI_SRC__CNT ? sources[src].ident : SWI_IDENT_NONE;
}

const char *swi_evtype_name(swi_evtype_t t)
{
        return (unsigned)t < SWI_EV__CNT ? evtypes[t].name : "?";
}

swi_source_t swi_evtype_source(swi_evtype_t t)
{
        return (unsigned)t < SWI_EV__CNT ? evtypes[t].src : SWI_SRC__CNT;
}

bool swi_evtype_is_intrekking(swi_evtype_t t)
{
        return (unsigned)t < SWI_EV__CNT && sources[evtypes[t].src].intrekking == t;
}

swi_evtype_t swi_evtype_lookup(swi_source_t src, const char *name)
{
        for (int i = 0; i < SWI_EV__CNT; i++)
                if (evtypes[i].src == src && strcmp(evtypes[i].name, name) == 0)
                        return (swi_evtype_t)i;
        return SWI_EV_NONE;
}

swi_evtype_t swi_evtype_lookup_any(const char *name, swi_source_t prefer)
{
        swi_evtype_t t = swi_evtype_lookup(prefer, name);
        if (t != SWI_EV_NONE)
                return t;
        for (int i = 0; i < SWI_EV__CNT; i++)
                if (strcmp(evtypes[i].name, name) == 0)
                        return (swi_evtype_t)i;
        return SWI_EV_NONE;
}

const char *swi_reason2str(swi_reason_t r)
{
        return (unsigned)r < SWI_REASON__CNT ? reasons[r] : "?";
}

swi_reason_t swi_reason_from_str(const char *s)
{
        for (int i = 0; i < SWI_REASON__CNT; i++)
                if (strcmp(s, reasons[i]) == 0)
                        return (swi_reason_t)i;
        return SWI_REASON__CNT;
}

const swi_field_t *swi_event_field(const swi_event_t *ev, const char *name)
{
        for (int i = 0; i < ev->nfields; i++)
                if (strcmp(ev->fields[i].name, name) == 0)
                        return &ev->fields[i];
        return NULL;
}

/* Howard Hinnant's days_from_civil / civil_from_days, in 64-bit arithmetic so
 * that every int32 day (years -5877641 .. 5881580) and every day of an int64
 * millisecond timestamp converts without overflow. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        y -= m <= 2;
        const int64_t era = (y >= 0 ? y : y - 399) / 400;
        const int64_t yoe = y - era * 400;
        const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
        const int64_t z = days + 719468;
        const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        const int64_t doe = z - era * 146097;
        const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        const int64_t mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = yoe + era * 400 + (*m <= 2);
}

int32_t swi_date_from_ymd(int y, int m, int d)
{
        return (int32_t)days_from_civil(y, m, d);
}

void swi_date_to_ymd(int32_t days, int *y, int *m, int *d)
{
        int64_t yy;
        civil_from_days(days, &yy, m, d);
        *y = (int)yy; /* an int32 day's year fits an int */
}

static int days_in_month(int y, int m)
{
        static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return dm[m - 1];
}

int32_t swi_date_add_months(int32_t days, int months)
{
        int y, m, d;
        swi_date_to_ymd(days, &y, &m, &d);
        int total = y * 12 + (m - 1) + months;
        y = total / 12;
        m = total % 12 + 1;
        int dim = days_in_month(y, m);
        if (d > dim)
                d = dim;
        return swi_date_from_ymd(y, m, d);
}

char *swi_date_format(int64_t days, char *buf)
{
        int64_t y;
        int m, d;

        civil_from_days(days, &y, &m, &d);
        /* ISO 8601 expanded years beyond 0000-9999, as java.time prints them */
        const char *sign = y > 9999 ? "+" : y < 0 ? "-" : "";
        snprintf(buf, SWI_DATE_BUF, "%s%04lld-%02u-%02u", sign, (long long)(y < 0 ? -y : y),
                 (unsigned char)m, (unsigned char)d);
        return buf;
}

int swi_date_parse(const char *s, int32_t *out)
{
        int y, m, d;
        char tail;
        if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
                return -1;
        if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
                return -1;
        *out = swi_date_from_ymd(y, m, d);
        return 0;
}
