/* sink.c - the sink interface (sink.h): a handle that dispatches to its
 * implementation's table. */
#include "sink.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct swi_sink_s {
        const swi_sink_ops_t *ops;
        void *impl;
};

swi_sink_t *swi_sink_open(const swi_sink_ops_t *ops, const swi_sink_conf_t *conf, char *errstr,
                          size_t errstr_size)
{
        swi_sink_t *s;

        assert(ops && conf);
        s = calloc(1, sizeof(*s));
        if (!s) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        s->ops = ops;
        s->impl = ops->open(conf, errstr, errstr_size);
        if (!s->impl) {
                free(s);
                return NULL;
        }
        return s;
}

void swi_sink_close(swi_sink_t *s)
{
        if (!s)
                return;
        s->ops->close(s->impl);
        free(s);
}

const char *swi_sink_name(const swi_sink_t *s)
{
        return s->ops->name;
}

swi_err_t swi_sink_migrate(swi_sink_t *s)
{
        return s->ops->migrate(s->impl);
}

swi_err_t swi_sink_ping(swi_sink_t *s)
{
        return s->ops->ping(s->impl);
}

const char *swi_sink_errstr(const swi_sink_t *s)
{
        return s->ops->errstr(s->impl);
}

swi_err_t swi_sink_load_offset(swi_sink_t *s, const char *topic, int32_t partition,
                               int64_t *next_offset)
{
        return s->ops->load_offset(s->impl, topic, partition, next_offset);
}

swi_err_t swi_sink_add_offset(swi_sink_t *s, const char *topic, int32_t partition,
                              int64_t next_offset)
{
        return s->ops->add_offset(s->impl, topic, partition, next_offset);
}

swi_err_t swi_sink_add_event(swi_sink_t *s, const swi_event_t *ev, const char *topic,
                             int32_t partition, int64_t offset)
{
        return s->ops->add_event(s->impl, ev, topic, partition, offset);
}

swi_err_t swi_sink_add_dead_letter(swi_sink_t *s, const swi_dead_letter_t *dl)
{
        return s->ops->add_dead_letter(s->impl, dl);
}

swi_err_t swi_sink_settle_dead_letters(swi_sink_t *s)
{
        return s->ops->settle_dead_letters(s->impl);
}

bool swi_sink_dead_letter_kept(const swi_sink_t *s, size_t i)
{
        return s->ops->dead_letter_kept(s->impl, i);
}

int64_t swi_sink_batch_count(const swi_sink_t *s)
{
        return s->ops->batch_count(s->impl);
}

void swi_sink_batch_reset(swi_sink_t *s)
{
        s->ops->batch_reset(s->impl);
}

swi_err_t swi_sink_commit(swi_sink_t *s, swi_batch_stats_t *stats)
{
        return s->ops->commit(s->impl, stats);
}

void swi_sink_defer_next(swi_sink_t *s, bool defer)
{
        if (s->ops->defer_next)
                s->ops->defer_next(s->impl, defer);
}

int64_t swi_sink_deferred_keys(const swi_sink_t *s)
{
        return s->ops->deferred_keys ? s->ops->deferred_keys(s->impl) : 0;
}

swi_err_t swi_sink_drain(swi_sink_t *s, size_t max_keys, swi_drain_stats_t *st)
{
        if (!s->ops->drain) {
                memset(st, 0, sizeof(*st));
                return SWI_OK;
        }
        return s->ops->drain(s->impl, max_keys, st);
}

swi_err_t swi_sink_pending_keys(swi_sink_t *s, int64_t *keys)
{
        if (!s->ops->pending_keys) {
                *keys = 0;
                return SWI_OK;
        }
        return s->ops->pending_keys(s->impl, keys);
}
