/* config.c - swi-etl's property table; the engine is common/props.c. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"

#define OFF(f) offsetof(swi_conf_t, f)

static const swi_prop_t props[] = {
        {"pg.conninfo", SWI_PROP_STR, "", 0, 0, OFF(pg_conninfo),
         "libpq connection string of the target database (empty: libpq's PG* environment)"},
        {"group.id", SWI_PROP_STR, "swi-etl", 0, 0, OFF(group_id),
         "Kafka consumer group; also the key of the offsets stored in PostgreSQL"},
        {"topic.ind", SWI_PROP_STR, "ind.events", 0, 0, OFF(topic_ind), "IND source topic"},
        {"topic.coa", SWI_PROP_STR, "coa.events", 0, 0, OFF(topic_coa), "COA source topic"},
        {"topic.duo", SWI_PROP_STR, "duo.events", 0, 0, OFF(topic_duo), "DUO source topic"},
        {"topic.gemeente", SWI_PROP_STR, "gemeente.events", 0, 0, OFF(topic_gemeente),
         "gemeente source topic"},
        {"topic.dead_letter", SWI_PROP_STR, "swi.dead-letters", 0, 0, OFF(topic_dead_letter),
         "dead-letter topic: rejected messages, raw, with reason headers"},
        {"dead_letter.topic.enable", SWI_PROP_BOOL, "true", 0, 1, OFF(dlq_topic_enabled),
         "also produce rejected messages to the dead-letter topic (the table always gets them)"},
        {"schema.dir", SWI_PROP_STR, "schemas", 0, 0, OFF(schema_dir),
         "directory with registry.json and the .avsc files (used when schema.registry.url is empty)"},
        {"schema.registry.url", SWI_PROP_STR, "", 0, 0, OFF(registry_url),
         "Confluent-compatible schema registry base URL, e.g. http://127.0.0.1:8081"},
        {"schema.registry.cache.ttl.s", SWI_PROP_INT, "0", 0, 86400 * 365, OFF(registry_cache_ttl_s),
         "seconds a fetched schema stays cached (0: forever; ids are immutable)"},
        {"schema.registry.retry.max.ms", SWI_PROP_INT, "30000", 100, 3600000,
         OFF(registry_retry_max_ms), "upper bound of the back-off between registry retries"},
        {"pseudonym.key.file", SWI_PROP_STR, "", 0, 0, OFF(pseudonym_key_file),
         "file holding the HMAC-SHA-256 pseudonym key (else env SWI_PSEUDONYM_KEY)"},
        {"batch.size", SWI_PROP_INT, "5000", 1, 1000000, OFF(batch_size),
         "messages per PostgreSQL transaction (at most)"},
        {"batch.latency.ms", SWI_PROP_INT, "200", 1, 60000, OFF(batch_latency_ms),
         "longest a message waits before its batch is committed"},
        {"validate.date.tolerance.days", SWI_PROP_INT, "1", 0, 3650, OFF(date_tolerance_days),
         "event_date may be this many days after the UTC date of registered_at"},
        {"pending.wait.days", SWI_PROP_INT, "7", 0, 3650, OFF(pending_wait_days),
         "corrections/retractions pending longer than this are reported as UNKNOWN_TARGET"},
        {"log.level", SWI_PROP_STR, "info", 0, 0, OFF(log_level), "error, warn, info or debug"},
        {"metrics.port", SWI_PROP_INT, "0", 0, 65535, OFF(metrics_port),
         "port of /metrics and /healthz on 127.0.0.1 (0: off)"},
        {"trajectories.enable", SWI_PROP_BOOL, "true", 0, 1, OFF(trajectories),
         "derive trajectories, versions and findings in every batch's transaction"},
        {"publish.interval.s", SWI_PROP_INT, "60", 0, 86400, OFF(publish_interval_s),
         "0: no live figures. Otherwise this instance runs the live publisher of the current "
         "figures (publication 'actueel'; one instance per database publishes, elected by an "
         "advisory lock): it takes in every committed batch as soon as the batch's notification "
         "arrives, and also checks the queue this often without one (a safety net). With "
         "exit.at.end it takes in what the run committed before exiting. Needs "
         "`trajectories.enable`"},
        {"publish.rounding.base", SWI_PROP_INT, "5", 1, 1000000, OFF(publish_rounding_base),
         "disclosure control: counts are rounded to a multiple of this (100: DUO practice)"},
        {"publish.threshold", SWI_PROP_INT, "10", 1, 1000000, OFF(publish_threshold),
         "disclosure control: counts 1..T-1 and shares over fewer than T persons are suppressed"},
        {"exit.at.end", SWI_PROP_BOOL, "false", 0, 1, OFF(exit_at_end),
         "exit once every assigned partition is caught up (backfills, cron, tests)"},
};

static swi_err_t conf_set(const swi_props_table_t *t, void *conf, const char *name,
                          const char *value, char *errstr, size_t errstr_size);

static const swi_props_table_t table = {props, sizeof(props) / sizeof(props[0]), conf_set};

swi_err_t swi_conf_init(swi_conf_t *conf)
{
        return swi_props_init(&table, conf, sizeof(*conf));
}

void swi_conf_free(swi_conf_t *conf)
{
        swi_props_free(&table, conf);
        for (int i = 0; i < conf->n_kafka; i++) {
                free(conf->kafka_keys[i]);
                free(conf->kafka_vals[i]);
        }
        memset(conf, 0, sizeof(*conf));
}

/* kafka.* names go to the passthrough list, every other name to the table. */
static swi_err_t conf_set(const swi_props_table_t *t, void *c, const char *name, const char *value,
                          char *errstr, size_t errstr_size)
{
        swi_conf_t *conf = c;

        if (strncmp(name, "kafka.", 6) != 0 || !name[6])
                return swi_props_set(t, conf, name, value, errstr, errstr_size);
        const char *k = name + 6;
        for (int i = 0; i < conf->n_kafka; i++) {
                if (strcmp(conf->kafka_keys[i], k) == 0) {
                        char *dup = strdup(value);
                        if (!dup)
                                return SWI_ERR_NOMEM;
                        free(conf->kafka_vals[i]);
                        conf->kafka_vals[i] = dup;
                        return SWI_OK;
                }
        }
        if (conf->n_kafka == SWI_CONF_MAX_PASSTHROUGH) {
                snprintf(errstr, errstr_size, "too many kafka.* properties (max %d)",
                         SWI_CONF_MAX_PASSTHROUGH);
                return SWI_ERR_CONFIG;
        }
        conf->kafka_keys[conf->n_kafka] = strdup(k);
        conf->kafka_vals[conf->n_kafka] = strdup(value);
        if (!conf->kafka_keys[conf->n_kafka] || !conf->kafka_vals[conf->n_kafka])
                return SWI_ERR_NOMEM;
        conf->n_kafka++;
        return SWI_OK;
}

swi_err_t swi_conf_set(swi_conf_t *conf, const char *name, const char *value, char *errstr,
                       size_t errstr_size)
{
        return conf_set(&table, conf, name, value, errstr, errstr_size);
}

swi_err_t swi_conf_load_file(swi_conf_t *conf, const char *path, char *errstr, size_t errstr_size)
{
        return swi_props_load_file(&table, conf, path, errstr, errstr_size);
}

void swi_conf_print_help(FILE *out)
{
        swi_props_print_help(&table, out);
        fprintf(out, "  %-30s %-8s passed to librdkafka, e.g. kafka.bootstrap.servers\n", "kafka.*",
                "string");
}

void swi_conf_print_effective(const swi_conf_t *conf, FILE *out)
{
        swi_props_print_effective(&table, conf, out);
        for (int i = 0; i < conf->n_kafka; i++) {
                /* Passwords passed through to librdkafka are not echoed. */
                int secret = strstr(conf->kafka_keys[i], "password") != NULL ||
                             strstr(conf->kafka_keys[i], "secret") != NULL;
                fprintf(out, "kafka.%s = %s\n", conf->kafka_keys[i],
                        secret ? "[redacted]" : conf->kafka_vals[i]);
        }
}

void swi_conf_print_reference_md(FILE *out)
{
        swi_props_print_reference_md(&table, out);
        fprintf(out, "| `kafka.*` | string | | | passed verbatim to librdkafka "
                     "(see librdkafka's CONFIGURATION.md) |\n");
}
