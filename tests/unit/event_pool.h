/* event_pool.h - a unit test's pool of hand-made events (check_trajectory,
 * check_derive, check_identity): events live in pool[], ptrs[] points at them
 * in the order made, reset() empties it. Define MAXEV before including it to
 * size the pool. Test code only: the helpers are static inline, each test
 * program gets its own pool. */
#ifndef SWI_TESTS_EVENT_POOL_H
#define SWI_TESTS_EVENT_POOL_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "transform/event.h"

#ifndef MAXEV
#define MAXEV 256
#endif

static swi_event_t pool[MAXEV];
static const swi_event_t *ptrs[MAXEV];
static size_t npool;

static inline void reset(void)
{
        memset(pool, 0, sizeof(pool));
        npool = 0;
}

static inline int32_t D(const char *s)
{
        int32_t d = 0;
        ck_assert_msg(swi_date_parse(s, &d) == 0, "bad date %s", s);
        return d;
}

/* An undated event of type t; bsn / vnr are pseudonyms made of one repeated
 * byte (0 = absent). */
static inline swi_event_t *pool_event(swi_evtype_t t, const char *id, int bsn, int vnr)
{
        ck_assert_uint_lt(npool, MAXEV);
        swi_event_t *e = &pool[npool];
        ptrs[npool++] = e;
        memset(e, 0, sizeof(*e));
        e->type = t;
        e->source = swi_evtype_source(t);
        snprintf(e->event_id, sizeof(e->event_id), "%s", id);
        if (bsn) {
                e->has_bsn_ps = true;
                memset(e->bsn_ps, bsn, SWI_PSEUDO_LEN);
        }
        if (vnr) {
                e->has_vnr_ps = true;
                memset(e->vnr_ps, vnr, SWI_PSEUDO_LEN);
        }
        return e;
}

/* The same with an event_date (YYYY-MM-DD) and registered_at (ms). */
static inline swi_event_t *pool_dated(swi_evtype_t t, const char *id, const char *date, int64_t reg,
                                      int bsn, int vnr)
{
        swi_event_t *e = pool_event(t, id, bsn, vnr);
        e->event_date = D(date);
        e->registered_at = reg;
        return e;
}

#endif
