#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { PROP_STR, PROP_INT, PROP_BOOL } prop_type_t;

typedef struct prop_s {
        const char *name;
        prop_type_t type;
        const char *def;
        int64_t min, max;
        size_t offset;
        const char *desc;
} prop_t;

#define OFF(f) offsetof(swi_conf_t, f)

static const prop_t props[] = {
        {"pg.conninfo", PROP_STR, "", 0, 0, OFF(pg_conninfo),
         "libpq connection string of the target database (empty: libpq's PG* environment)"},
        {"group.id", PROP_STR, "swi-etl", 0, 0, OFF(group_id),
         "Kafka consumer group; also the key of the offsets stored in PostgreSQL"},
        {"topic.ind", PROP_STR, "ind.events", 0, 0, OFF(topic_ind), "IND source topic"},
        {"topic.coa", PROP_STR, "coa.events", 0, 0, OFF(topic_coa), "COA source topic"},
        {"topic.duo", PROP_STR, "duo.events", 0, 0, OFF(topic_duo), "DUO source topic"},
        {"topic.gemeente", PROP_STR, "gemeente.events", 0, 0, OFF(topic_gemeente),
         "gemeente source topic"},
        {"topic.dead_letter", PROP_STR, "swi.dead-letters", 0, 0, OFF(topic_dead_letter),
         "dead-letter topic: rejected messages, raw, with reason headers"},
        {"dead_letter.topic.enable", PROP_BOOL, "true", 0, 1, OFF(dlq_topic_enabled),
         "also produce rejected messages to the dead-letter topic (the table always gets them)"},
        {"schema.dir", PROP_STR, "schemas", 0, 0, OFF(schema_dir),
         "directory with registry.json and the .avsc files (used when schema.registry.url is empty)"},
        {"schema.registry.url", PROP_STR, "", 0, 0, OFF(registry_url),
         "Confluent-compatible schema registry base URL, e.g. http://127.0.0.1:8081"},
        {"schema.registry.cache.ttl.s", PROP_INT, "0", 0, 86400 * 365, OFF(registry_cache_ttl_s),
         "seconds a fetched schema stays cached (0: forever; ids are immutable)"},
        {"schema.registry.retry.max.ms", PROP_INT, "30000", 100, 3600000,
         OFF(registry_retry_max_ms), "upper bound of the back-off between registry retries"},
        {"pseudonym.key.file", PROP_STR, "", 0, 0, OFF(pseudonym_key_file),
         "file holding the HMAC-SHA-256 pseudonym key (else env SWI_PSEUDONYM_KEY)"},
        {"batch.size", PROP_INT, "5000", 1, 1000000, OFF(batch_size),
         "messages per PostgreSQL transaction (at most)"},
        {"batch.latency.ms", PROP_INT, "200", 1, 60000, OFF(batch_latency_ms),
         "longest a message waits before its batch is committed"},
        {"validate.date.tolerance.days", PROP_INT, "1", 0, 3650, OFF(date_tolerance_days),
         "event_date may be this many days after the UTC date of registered_at"},
        {"pending.wait.days", PROP_INT, "7", 0, 3650, OFF(pending_wait_days),
         "corrections/retractions pending longer than this are reported as UNKNOWN_TARGET"},
        {"log.level", PROP_STR, "info", 0, 0, OFF(log_level), "error, warn, info or debug"},
        {"metrics.port", PROP_INT, "0", 0, 65535, OFF(metrics_port),
         "port of /metrics and /healthz on 127.0.0.1 (0: off)"},
        {"trajectories.enable", PROP_BOOL, "true", 0, 1, OFF(trajectories),
         "derive trajectories, versions and findings in every batch's transaction"},
        {"publish.interval.s", PROP_INT, "60", 0, 86400, OFF(publish_interval_s),
         "recompute the current figures (publication 'actueel') at most this often while "
         "consuming, and once when caught up with exit.at.end (0: never)"},
        {"publish.rounding.base", PROP_INT, "5", 1, 1000000, OFF(publish_rounding_base),
         "disclosure control: counts are rounded to a multiple of this (100: DUO practice)"},
        {"publish.threshold", PROP_INT, "10", 1, 1000000, OFF(publish_threshold),
         "disclosure control: counts 1..T-1 and shares over fewer than T persons are suppressed"},
        {"exit.at.end", PROP_BOOL, "false", 0, 1, OFF(exit_at_end),
         "exit once every assigned partition is caught up (backfills, cron, tests)"},
};

#define NPROPS (sizeof(props) / sizeof(props[0]))

static swi_err_t set_prop(swi_conf_t *conf, const prop_t *p, const char *value, char *errstr,
                          size_t errstr_size)
{
        char *base = (char *)conf + p->offset;
        char *end;
        long long v;

        switch (p->type) {
        case PROP_STR: {
                char *dup = strdup(value);
                if (!dup)
                        return SWI_ERR_NOMEM;
                free(*(char **)base);
                *(char **)base = dup;
                return SWI_OK;
        }
        case PROP_INT:
                errno = 0;
                v = strtoll(value, &end, 10);
                if (errno || end == value || *end != '\0') {
                        snprintf(errstr, errstr_size, "%s: \"%s\" is not an integer", p->name,
                                 value);
                        return SWI_ERR_CONFIG;
                }
                if (v < p->min || v > p->max) {
                        snprintf(errstr, errstr_size, "%s: %lld is outside [%lld, %lld]",
                                 p->name, v, (long long)p->min, (long long)p->max);
                        return SWI_ERR_CONFIG;
                }
                *(int64_t *)base = v;
                return SWI_OK;
        case PROP_BOOL:
                if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes")) {
                        *(bool *)base = true;
                } else if (!strcmp(value, "false") || !strcmp(value, "0") ||
                           !strcmp(value, "no")) {
                        *(bool *)base = false;
                } else {
                        snprintf(errstr, errstr_size, "%s: \"%s\" is not true or false",
                                 p->name, value);
                        return SWI_ERR_CONFIG;
                }
                return SWI_OK;
        }
        return SWI_ERR_CONFIG;
}

swi_err_t swi_conf_init(swi_conf_t *conf)
{
        char err[256];
        memset(conf, 0, sizeof(*conf));
        for (size_t i = 0; i < NPROPS; i++) {
                swi_err_t rc = set_prop(conf, &props[i], props[i].def, err, sizeof(err));
                if (rc != SWI_OK)
                        return rc;
        }
        return SWI_OK;
}

void swi_conf_free(swi_conf_t *conf)
{
        for (size_t i = 0; i < NPROPS; i++)
                if (props[i].type == PROP_STR)
                        free(*(char **)((char *)conf + props[i].offset));
        for (int i = 0; i < conf->n_kafka; i++) {
                free(conf->kafka_keys[i]);
                free(conf->kafka_vals[i]);
        }
        memset(conf, 0, sizeof(*conf));
}

swi_err_t swi_conf_set(swi_conf_t *conf, const char *name, const char *value, char *errstr,
                       size_t errstr_size)
{
        if (strncmp(name, "kafka.", 6) == 0 && name[6]) {
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
        for (size_t i = 0; i < NPROPS; i++)
                if (strcmp(props[i].name, name) == 0)
                        return set_prop(conf, &props[i], value, errstr, errstr_size);
        snprintf(errstr, errstr_size, "unknown property \"%s\" (see --help)", name);
        return SWI_ERR_CONFIG;
}

static char *trim(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

swi_err_t swi_conf_load_file(swi_conf_t *conf, const char *path, char *errstr, size_t errstr_size)
{
        char line[4096];
        int lineno = 0;
        swi_err_t rc = SWI_OK;
        FILE *f = fopen(path, "r");

        if (!f) {
                snprintf(errstr, errstr_size, "cannot open config file %s: %s", path,
                         strerror(errno));
                return SWI_ERR_CONFIG;
        }
        while (fgets(line, sizeof(line), f)) {
                lineno++;
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                char *s = trim(line);
                if (!*s)
                        continue;
                char *eq = strchr(s, '=');
                if (!eq) {
                        snprintf(errstr, errstr_size, "%s:%d: expected \"name = value\"", path,
                                 lineno);
                        rc = SWI_ERR_CONFIG;
                        break;
                }
                *eq = '\0';
                char sub[512];
                rc = swi_conf_set(conf, trim(s), trim(eq + 1), sub, sizeof(sub));
                if (rc != SWI_OK) {
                        snprintf(errstr, errstr_size, "%s:%d: %s", path, lineno, sub);
                        break;
                }
        }
        fclose(f);
        return rc;
}

static const char *type_name(prop_type_t t)
{
        return t == PROP_STR ? "string" : t == PROP_INT ? "integer" : "boolean";
}

void swi_conf_print_help(FILE *out)
{
        fprintf(out, "Properties (set in the -c file or with -X name=value):\n");
        for (size_t i = 0; i < NPROPS; i++) {
                const prop_t *p = &props[i];
                fprintf(out, "  %-30s %-8s default \"%s\"", p->name, type_name(p->type), p->def);
                if (p->type == PROP_INT)
                        fprintf(out, " [%lld..%lld]", (long long)p->min, (long long)p->max);
                fprintf(out, "\n      %s\n", p->desc);
        }
        fprintf(out, "  %-30s %-8s passed to librdkafka, e.g. kafka.bootstrap.servers\n",
                "kafka.*", "string");
}

void swi_conf_print_effective(const swi_conf_t *conf, FILE *out)
{
        for (size_t i = 0; i < NPROPS; i++) {
                const char *base = (const char *)conf + props[i].offset;
                switch (props[i].type) {
                case PROP_STR:
                        fprintf(out, "%s = %s\n", props[i].name, *(char *const *)base);
                        break;
                case PROP_INT:
                        fprintf(out, "%s = %lld\n", props[i].name,
                                (long long)*(const int64_t *)base);
                        break;
                case PROP_BOOL:
                        fprintf(out, "%s = %s\n", props[i].name,
                                *(const bool *)base ? "true" : "false");
                        break;
                }
        }
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
        fprintf(out, "| property | type | default | range | description |\n"
                     "|---|---|---|---|---|\n");
        for (size_t i = 0; i < NPROPS; i++) {
                const prop_t *p = &props[i];
                fprintf(out, "| `%s` | %s | `%s` | ", p->name, type_name(p->type), p->def);
                if (p->type == PROP_INT)
                        fprintf(out, "%lld..%lld", (long long)p->min, (long long)p->max);
                fprintf(out, " | %s |\n", p->desc);
        }
        fprintf(out, "| `kafka.*` | string | | | passed verbatim to librdkafka "
                     "(see librdkafka's CONFIGURATION.md) |\n");
}
