/* pipeline.h - swi-etl's data path: Kafka -> unframe -> decode -> validate ->
 * pseudonymise -> PostgreSQL batch (events, dead letters, offsets in one
 * transaction); rejected messages also go raw to the dead-letter topic.
 *
 * Thread safety: run() on one thread; stop() may be called from a signal
 * handler or another thread. */
#ifndef SWI_PIPELINE_H
#define SWI_PIPELINE_H

#include "common/config.h"
#include "common/swi_err.h"
#include "etl/metrics.h"

typedef struct swi_pipeline_s swi_pipeline_t;

/* Builds every stage from conf (copied where needed): loads schemas, the
 * pseudonym key, connects to PostgreSQL and applies migrations, creates the
 * consumer and the dead-letter producer. NULL + errstr on failure. */
swi_pipeline_t *swi_pipeline_new(const swi_conf_t *conf, char *errstr, size_t errstr_size);

/* Consumes until stopped, or (exit.at.end) until every assigned partition is
 * caught up and committed. Returns SWI_OK or the error that ended it. */
swi_err_t swi_pipeline_run(swi_pipeline_t *p);

/* Async-signal-safe. */
void swi_pipeline_stop(swi_pipeline_t *p);

swi_metrics_t *swi_pipeline_metrics(swi_pipeline_t *p);

void swi_pipeline_destroy(swi_pipeline_t *p);

#endif
