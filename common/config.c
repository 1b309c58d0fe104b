/* config.c - swi-etl's property table; the engine is common/props.c, the
 * ${file:}/${env:} references and masking helpers common/secrets.c. */
#include "config.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "props.h"
#include "secrets.h"

#define OFF(f) offsetof(swi_conf_t, f)

static const swi_prop_t props[] = {
    {"pg.conninfo", SWI_PROP_STR, "", 0, 0, OFF(pg_conninfo),
     "libpq connection string of the target database (empty: libpq's PG* environment); "
     "printed with its password masked"},
    {"pg.retry.backoff.max.ms", SWI_PROP_INT, "5000", 100, 600000, OFF(pg_retry_max_ms),
     "upper bound of the back-off (from 100 ms, doubling) between attempts to reach "
     "PostgreSQL, at start-up and after a failed batch"},
    {"pg.startup.timeout.s", SWI_PROP_INT, "0", 0, 86400 * 7, OFF(pg_startup_timeout_s),
     "give up (exit 1) when PostgreSQL cannot be reached or migrated for this long at "
     "start-up (0: keep retrying)"},
    {"group.id", SWI_PROP_STR, "swi-etl", 0, 0, OFF(group_id),
     "Kafka consumer group; also the key of the offsets stored in PostgreSQL"},
/* topic.<source>: one row per row of SWI_SOURCES */
#define SWI__X(e, name, default_topic, ident, label, intrekking, lag)                              \
        {"topic." name, SWI_PROP_STR, default_topic, 0, 0, OFF(topic[SWI_SRC_##e]),                \
         label " source topic"},
    SWI_SOURCES(SWI__X)
#undef SWI__X
    {"topic.dead_letter", SWI_PROP_STR, "swi.dead-letters", 0, 0, OFF(topic_dead_letter),
     "dead-letter topic: rejected messages, raw, with reason headers"},
    {"dead_letter.topic.enable", SWI_PROP_BOOL, "true", 0, 1, OFF(dlq_topic_enabled),
     "also produce rejected messages to the dead-letter topic (the table always gets them)"},
    {"schema.dir", SWI_PROP_STR, "schemas", 0, 0, OFF(schema_dir),
     "directory with registry.json and the .avsc files (used when schema.registry.url is empty)"},
    {"schema.registry.url", SWI_PROP_STR, "", 0, 0, OFF(registry_url),
     "Confluent-compatible schema registry base URL, e.g. http://127.0.0.1:8081 "
     "(credentials in it are accepted and masked; prefer the next property)"},
    {"schema.registry.basic.auth.user.info", SWI_PROP_STR, "", 0, 0, OFF(registry_user_info),
     "USER:PASSWORD for the registry's HTTP basic auth, e.g. ${file:/run/secrets/sr_auth} "
     "(secret: printed as [redacted])"},
    {"schema.registry.ssl.ca.location", SWI_PROP_STR, "", 0, 0, OFF(registry_ca),
     "CA certificate file (PEM) to verify the registry's TLS certificate (empty: system CAs)"},
    {"schema.registry.ssl.certificate.location", SWI_PROP_STR, "", 0, 0, OFF(registry_cert),
     "client certificate file (PEM) for TLS client authentication to the registry"},
    {"schema.registry.ssl.key.location", SWI_PROP_STR, "", 0, 0, OFF(registry_key),
     "client private key file (PEM) for the registry"},
    {"schema.registry.ssl.key.password", SWI_PROP_STR, "", 0, 0, OFF(registry_key_password),
     "password of that private key (secret: printed as [redacted])"},
    {"schema.registry.cache.ttl.s", SWI_PROP_INT, "0", 0, 86400 * 365, OFF(registry_cache_ttl_s),
     "seconds a fetched schema stays cached (0: forever; ids are immutable)"},
    {"schema.registry.retry.max.ms", SWI_PROP_INT, "30000", 100, 3600000,
     OFF(registry_retry_max_ms), "upper bound of the back-off between registry retries"},
    {"pseudonym.key.file", SWI_PROP_STR, "", 0, 0, OFF(pseudonym_key_file),
     "file holding the HMAC-SHA-256 pseudonym key (else env SWI_PSEUDONYM_KEY); a warning "
     "if group or others can read it"},
    {"batch.size", SWI_PROP_INT, "5000", 1, 1000000, OFF(batch_size),
     "messages per PostgreSQL transaction (at most)"},
    {"batch.latency.ms", SWI_PROP_INT, "200", 1, 60000, OFF(batch_latency_ms),
     "longest a message waits before its batch is committed"},
    {"validate.date.tolerance.days", SWI_PROP_INT, "1", 0, 3650, OFF(date_tolerance_days),
     "event_date may be this many days after the UTC date of registered_at"},
    {"pending.wait.days", SWI_PROP_INT, "7", 0, 3650, OFF(pending_wait_days),
     "corrections/retractions pending longer than this are reported as UNKNOWN_TARGET"},
    {"log.level", SWI_PROP_STR, "info", 0, 0, OFF(log_level), "error, warn, info or debug"},
    {"log.format", SWI_PROP_STR, "logfmt", 0, 0, OFF(log_format),
     "logfmt (key=value, quoted and escaped) or json (one object per line)"},
    {"progress.interval.s", SWI_PROP_INT, "10", 0, 86400, OFF(progress_interval_s),
     "log a progress line (rate, lag, ETA) this often while catching up (0: never)"},
    {"metrics.port", SWI_PROP_INT, "0", 0, 65535, OFF(metrics_port),
     "port of the HTTP endpoints /metrics, /livez, /readyz and /healthz (0: off)"},
    {"metrics.bind", SWI_PROP_STR, "127.0.0.1", 0, 0, OFF(metrics_bind),
     "address the HTTP endpoints listen on (0.0.0.0 or :: for all; in a container)"},
    {"metrics.idle.timeout.s", SWI_PROP_INT, "10", 1, 3600, OFF(metrics_idle_timeout_s),
     "an HTTP connection idle this long is closed"},
    {"metrics.max.connections", SWI_PROP_INT, "32", 1, 1024, OFF(metrics_max_connections),
     "most HTTP connections served at once (more are refused)"},
    {"health.check.interval.ms", SWI_PROP_INT, "5000", 100, 600000, OFF(health_interval_ms),
     "how often PostgreSQL and the schema registry are probed when no work proved them up"},
    {"health.liveness.timeout.s", SWI_PROP_INT, "120", 1, 86400, OFF(liveness_timeout_s),
     "/livez fails when the consume loop has not turned for this long"},
    {"shutdown.timeout.ms", SWI_PROP_INT, "10000", 100, 600000, OFF(shutdown_timeout_ms),
     "on SIGTERM, the final commit, dead-letter flush and leaving the group get this long "
     "in all; what is not committed by then is re-read by the next owner"},
    {"offsets.commit.kafka", SWI_PROP_BOOL, "true", 0, 1, OFF(kafka_commit),
     "after each PostgreSQL commit, also commit the same offsets to Kafka (asynchronously, "
     "for lag monitoring only: PostgreSQL's offsets are the ones the consumer seeks to)"},
    {"trajectories.enable", SWI_PROP_BOOL, "true", 0, 1, OFF(trajectories),
     "derive trajectories, versions and findings in every batch's transaction"},
    {"trajectories.defer", SWI_PROP_STR, "auto", 0, 0, OFF(trajectories_defer),
     "auto: a batch read from a backlog (full, with more messages waiting) stores its events "
     "and records the identity keys it touches instead of deriving their trajectories; the "
     "deferred clusters are derived once each, in chunks, when the pipeline has caught up "
     "(and at least every `trajectories.defer.max.s` while the backlog lasts). off: every "
     "batch runs the trajectory step. always: every batch defers (bulk loads, tests)"},
    {"trajectories.defer.max.s", SWI_PROP_INT, "300", 1, 86400, OFF(trajectories_defer_max_s),
     "while a backlog lasts, work the deferred trajectories off at least this often"},
    {"trajectories.drain.keys", SWI_PROP_INT, "20000", 1, 1000000, OFF(trajectories_drain_keys),
     "deferred identity keys whose clusters one transaction derives when working them off"},
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

/* How a value is shown when printed, per property (the rows not named here
 * print as they are). A new secret-bearing property gets a line here. */
#define SHOW_SECRET   1u /* the whole value: [redacted] */
#define SHOW_CONNINFO 2u /* a libpq conninfo: its password masked */
#define SHOW_URL      4u /* a URL: the password of its userinfo masked */
#define KEY_FILE      8u /* names a private key file: warn if others can read it */

static const struct {
        const char *name;
        unsigned flags;
} prop_flags[] = {
    {"pg.conninfo", SHOW_CONNINFO},
    {"schema.registry.url", SHOW_URL},
    {"schema.registry.basic.auth.user.info", SHOW_SECRET},
    {"schema.registry.ssl.key.password", SHOW_SECRET},
    {"schema.registry.ssl.key.location", KEY_FILE},
    {"pseudonym.key.file", KEY_FILE},
};

#define NPROPS (sizeof(props) / sizeof(props[0]))

_Static_assert(NPROPS <= SWI_CONF_MAX_PROPS, "raise SWI_CONF_MAX_PROPS");

static swi_err_t conf_set(const swi_props_table_t *t, void *conf, const char *name,
                          const char *value, char *errstr, size_t errstr_size);

static const swi_props_table_t table = {props, NPROPS, conf_set};

static swi_conf_conninfo_fn conninfo_redactor;

void swi_conf_set_conninfo_redactor(swi_conf_conninfo_fn fn)
{
        conninfo_redactor = fn;
}

static unsigned flags_of(const char *name)
{
        for (size_t i = 0; i < sizeof(prop_flags) / sizeof(prop_flags[0]); i++)
                if (strcmp(prop_flags[i].name, name) == 0)
                        return prop_flags[i].flags;
        return 0;
}

static int prop_index(const char *name)
{
        for (size_t i = 0; i < NPROPS; i++)
                if (strcmp(props[i].name, name) == 0)
                        return (int)i;
        return -1;
}

static void add_warning(swi_conf_t *conf, const char *text)
{
        if (!*text || conf->nwarnings == SWI_CONF_MAX_WARNINGS)
                return;
        for (int i = 0; i < conf->nwarnings; i++)
                if (strcmp(conf->warnings[i], text) == 0)
                        return; /* once per file */
        conf->warnings[conf->nwarnings] = strdup(text);
        if (conf->warnings[conf->nwarnings])
                conf->nwarnings++;
}

static void check_private(swi_conf_t *conf, const char *what, const char *path)
{
        char w[1024];
        if (swi_secret_file_warning(what, path, w, sizeof(w)))
                add_warning(conf, w);
}

static void set_origin(char **slot, const char *value, bool is_ref)
{
        free(*slot);
        *slot = is_ref ? strdup(value) : NULL;
}

swi_err_t swi_conf_init(swi_conf_t *conf)
{
        for (size_t i = 0; i < sizeof(prop_flags) / sizeof(prop_flags[0]); i++)
                assert(prop_index(prop_flags[i].name) >= 0); /* a row of the table */
        return swi_props_init(&table, conf, sizeof(*conf));
}

void swi_conf_free(swi_conf_t *conf)
{
        swi_props_free(&table, conf);
        for (size_t i = 0; i < NPROPS; i++)
                free(conf->origin[i]);
        for (int i = 0; i < conf->n_kafka; i++) {
                free(conf->kafka_keys[i]);
                free(conf->kafka_vals[i]);
                free(conf->kafka_origin[i]);
        }
        for (int i = 0; i < conf->nwarnings; i++)
                free(conf->warnings[i]);
        memset(conf, 0, sizeof(*conf));
}

static swi_err_t set_kafka(swi_conf_t *conf, const char *k, const char *value, const char *raw,
                           bool is_ref, char *errstr, size_t errstr_size)
{
        int i;
        char *dup;

        for (i = 0; i < conf->n_kafka; i++)
                if (strcmp(conf->kafka_keys[i], k) == 0)
                        break;
        if (i == SWI_CONF_MAX_PASSTHROUGH) {
                snprintf(errstr, errstr_size, "too many kafka.* properties (max %d)",
                         SWI_CONF_MAX_PASSTHROUGH);
                return SWI_ERR_CONFIG;
        }
        dup = strdup(value);
        if (!dup)
                return SWI_ERR_NOMEM;
        if (i == conf->n_kafka) {
                conf->kafka_keys[i] = strdup(k);
                if (!conf->kafka_keys[i]) {
                        free(dup);
                        return SWI_ERR_NOMEM;
                }
                conf->kafka_vals[i] = NULL;
                conf->kafka_origin[i] = NULL;
                conf->n_kafka++;
        }
        free(conf->kafka_vals[i]);
        conf->kafka_vals[i] = dup;
        set_origin(&conf->kafka_origin[i], raw, is_ref);
        if (strstr(k, "key.location"))
                check_private(conf, "private key file", value);
        return SWI_OK;
}

/* References resolved first; kafka.* names go to the passthrough list, every
 * other name to the table. */
static swi_err_t conf_set(const swi_props_table_t *t, void *c, const char *name, const char *value,
                          char *errstr, size_t errstr_size)
{
        swi_conf_t *conf = c;
        char *resolved = NULL, warning[1024];
        bool kafka = strncmp(name, "kafka.", 6) == 0 && name[6];
        int i = kafka ? -1 : prop_index(name);
        swi_err_t rc;

        if (!kafka && i < 0) {
                snprintf(errstr, errstr_size, "unknown property \"%s\" (see --help)", name);
                return SWI_ERR_CONFIG;
        }
        rc = swi_secret_resolve(name, value, &resolved, warning, sizeof(warning), errstr,
                                errstr_size);
        if (rc != SWI_OK)
                return rc;
        add_warning(conf, warning);
        if (kafka) {
                rc = set_kafka(conf, name + 6, resolved ? resolved : value, value, resolved != NULL,
                               errstr, errstr_size);
        } else {
                rc = swi_props_set(t, conf, name, resolved ? resolved : value, errstr, errstr_size);
                if (rc == SWI_OK)
                        set_origin(&conf->origin[i], value, resolved != NULL);
        }
        free(resolved);
        return rc;
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

bool swi_conf_kafka_key_is_secret(const char *key)
{
        return swi_secret_kafka_key(key);
}

void swi_conf_redact_url(const char *url, char *out, size_t out_size)
{
        swi_secret_redact_url(url, out, out_size);
}

/* The text a property value is printed as (into buf). */
static const char *display(const char *origin, const char *value, unsigned flags, char *buf,
                           size_t size)
{
        char pw[1024];

        if (origin)
                return origin; /* the reference, not what it names */
        if (!value || !*value)
                return value ? value : "";
        if (flags & SHOW_SECRET)
                return "[redacted]";
        if (flags & SHOW_CONNINFO) {
                if (conninfo_redactor) {
                        conninfo_redactor(value, buf, size, pw, sizeof(pw));
                        return buf;
                }
                return strstr(value, "password") || strstr(value, "@") ? "[redacted]" : value;
        }
        if (flags & SHOW_URL) {
                swi_secret_redact_url(value, buf, size);
                return buf;
        }
        return value;
}

void swi_conf_check_files(swi_conf_t *conf)
{
        for (size_t i = 0; i < NPROPS; i++)
                if ((flags_of(props[i].name) & KEY_FILE) && props[i].type == SWI_PROP_STR)
                        check_private(conf, props[i].name,
                                      *(char *const *)((const char *)conf + props[i].offset));
        for (int i = 0; i < conf->n_kafka; i++)
                if (strstr(conf->kafka_keys[i], "key.location"))
                        check_private(conf, "private key file", conf->kafka_vals[i]);
}

void swi_conf_register_secrets(const swi_conf_t *conf)
{
        char buf[4096], pw[1024];

        for (size_t i = 0; i < NPROPS; i++) {
                unsigned f = flags_of(props[i].name);
                const char *v;
                if (props[i].type != SWI_PROP_STR || !f)
                        continue;
                v = *(char *const *)((const char *)conf + props[i].offset);
                if (!v || !*v)
                        continue;
                if (f & SHOW_SECRET) {
                        const char *colon = strchr(v, ':');
                        swi_log_add_secret(v);
                        if (colon &&
                            strcmp(props[i].name, "schema.registry.basic.auth.user.info") == 0)
                                swi_log_add_secret(colon + 1); /* the password alone */
                } else if ((f & SHOW_CONNINFO) && conninfo_redactor) {
                        conninfo_redactor(v, buf, sizeof(buf), pw, sizeof(pw));
                        swi_log_add_secret(pw);
                } else if (f & SHOW_URL) {
                        swi_secret_url_password(v, pw, sizeof(pw));
                        swi_log_add_secret(pw);
                }
        }
        for (int i = 0; i < conf->n_kafka; i++)
                if (swi_secret_kafka_key(conf->kafka_keys[i]))
                        swi_log_add_secret(conf->kafka_vals[i]);
}

void swi_conf_print_help(FILE *out)
{
        fprintf(out, "Any value may be, or contain, ${file:PATH} or ${env:NAME}.\n");
        swi_props_print_help(&table, out);
        fprintf(out, "  %-30s %-8s passed to librdkafka, e.g. kafka.bootstrap.servers\n", "kafka.*",
                "string");
}

void swi_conf_print_effective(const swi_conf_t *conf, FILE *out)
{
        char buf[4096];

        for (size_t i = 0; i < NPROPS; i++) {
                const char *base = (const char *)conf + props[i].offset;
                switch (props[i].type) {
                case SWI_PROP_STR:
                        fprintf(out, "%s = %s\n", props[i].name,
                                display(conf->origin[i], *(char *const *)base,
                                        flags_of(props[i].name), buf, sizeof(buf)));
                        break;
                case SWI_PROP_INT:
                        fprintf(out, "%s = %lld\n", props[i].name,
                                (long long)*(const int64_t *)base);
                        break;
                case SWI_PROP_BOOL:
                        fprintf(out, "%s = %s\n", props[i].name,
                                *(const bool *)base ? "true" : "false");
                        break;
                }
        }
        for (int i = 0; i < conf->n_kafka; i++)
                fprintf(out, "kafka.%s = %s\n", conf->kafka_keys[i],
                        display(conf->kafka_origin[i], conf->kafka_vals[i],
                                swi_secret_kafka_key(conf->kafka_keys[i]) ? SHOW_SECRET : 0, buf,
                                sizeof(buf)));
}

void swi_conf_print_reference_md(FILE *out)
{
        swi_props_print_reference_md(&table, out);
        fprintf(out, "| `kafka.*` | string | | | passed verbatim to librdkafka "
                     "(see librdkafka's CONFIGURATION.md); keys naming a password, secret, "
                     "token, private key (`*key.pem`), `sasl.username` or "
                     "`sasl.oauthbearer.config` are printed as [redacted] |\n");
}
