/* config.c - the property table and everything it drives: parsing, ranges,
 * ${file:}/${env:} references, --help, the reference, the effective dump
 * with secrets masked. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "log.h"

typedef enum { PROP_STR, PROP_INT, PROP_BOOL } prop_type_t;

/* How a value is shown when printed. */
#define PROP_SECRET   1u /* the whole value: [redacted] */
#define PROP_CONNINFO 2u /* a libpq conninfo: its password masked */
#define PROP_URL      4u /* a URL: the password of its userinfo masked */
#define PROP_KEYFILE  8u /* names a private key file: warn if others can read it */

#define SECRET_FILE_MAX (64 * 1024)

typedef struct prop_s {
        const char *name;
        prop_type_t type;
        const char *def;
        int64_t min, max;
        size_t offset;
        const char *desc;
        unsigned flags;
} prop_t;

#define OFF(f) offsetof(swi_conf_t, f)

static const prop_t props[] = {
    {"pg.conninfo", PROP_STR, "", 0, 0, OFF(pg_conninfo),
     "libpq connection string of the target database (empty: libpq's PG* environment); "
     "printed with its password masked",
     PROP_CONNINFO},
    {"pg.retry.backoff.max.ms", PROP_INT, "5000", 100, 600000, OFF(pg_retry_max_ms),
     "upper bound of the back-off (from 100 ms, doubling) between attempts to reach "
     "PostgreSQL, at start-up and after a failed batch",
     0},
    {"pg.startup.timeout.s", PROP_INT, "0", 0, 86400 * 7, OFF(pg_startup_timeout_s),
     "give up (exit 1) when PostgreSQL cannot be reached or migrated for this long at "
     "start-up (0: keep retrying)",
     0},
    {"group.id", PROP_STR, "swi-etl", 0, 0, OFF(group_id),
     "Kafka consumer group; also the key of the offsets stored in PostgreSQL", 0},
    {"topic.ind", PROP_STR, "ind.events", 0, 0, OFF(topic_ind), "IND source topic", 0},
    {"topic.coa", PROP_STR, "coa.events", 0, 0, OFF(topic_coa), "COA source topic", 0},
    {"topic.duo", PROP_STR, "duo.events", 0, 0, OFF(topic_duo), "DUO source topic", 0},
    {"topic.gemeente", PROP_STR, "gemeente.events", 0, 0, OFF(topic_gemeente),
     "gemeente source topic", 0},
    {"topic.dead_letter", PROP_STR, "swi.dead-letters", 0, 0, OFF(topic_dead_letter),
     "dead-letter topic: rejected messages, raw, with reason headers", 0},
    {"dead_letter.topic.enable", PROP_BOOL, "true", 0, 1, OFF(dlq_topic_enabled),
     "also produce rejected messages to the dead-letter topic (the table always gets them)", 0},
    {"schema.dir", PROP_STR, "schemas", 0, 0, OFF(schema_dir),
     "directory with registry.json and the .avsc files (used when schema.registry.url is empty)",
     0},
    {"schema.registry.url", PROP_STR, "", 0, 0, OFF(registry_url),
     "Confluent-compatible schema registry base URL, e.g. http://127.0.0.1:8081 "
     "(credentials in it are accepted and masked; prefer the next property)",
     PROP_URL},
    {"schema.registry.basic.auth.user.info", PROP_STR, "", 0, 0, OFF(registry_user_info),
     "USER:PASSWORD for the registry's HTTP basic auth, e.g. ${file:/run/secrets/sr_auth}",
     PROP_SECRET},
    {"schema.registry.ssl.ca.location", PROP_STR, "", 0, 0, OFF(registry_ca),
     "CA certificate file (PEM) to verify the registry's TLS certificate (empty: system CAs)", 0},
    {"schema.registry.ssl.certificate.location", PROP_STR, "", 0, 0, OFF(registry_cert),
     "client certificate file (PEM) for TLS client authentication to the registry", 0},
    {"schema.registry.ssl.key.location", PROP_STR, "", 0, 0, OFF(registry_key),
     "client private key file (PEM) for the registry", PROP_KEYFILE},
    {"schema.registry.ssl.key.password", PROP_STR, "", 0, 0, OFF(registry_key_password),
     "password of that private key", PROP_SECRET},
    {"schema.registry.cache.ttl.s", PROP_INT, "0", 0, 86400 * 365, OFF(registry_cache_ttl_s),
     "seconds a fetched schema stays cached (0: forever; ids are immutable)", 0},
    {"schema.registry.retry.max.ms", PROP_INT, "30000", 100, 3600000, OFF(registry_retry_max_ms),
     "upper bound of the back-off between registry retries", 0},
    {"pseudonym.key.file", PROP_STR, "", 0, 0, OFF(pseudonym_key_file),
     "file holding the HMAC-SHA-256 pseudonym key (else env SWI_PSEUDONYM_KEY); a warning "
     "if group or others can read it",
     PROP_KEYFILE},
    {"batch.size", PROP_INT, "5000", 1, 1000000, OFF(batch_size),
     "messages per PostgreSQL transaction (at most)", 0},
    {"batch.latency.ms", PROP_INT, "200", 1, 60000, OFF(batch_latency_ms),
     "longest a message waits before its batch is committed", 0},
    {"validate.date.tolerance.days", PROP_INT, "1", 0, 3650, OFF(date_tolerance_days),
     "event_date may be this many days after the UTC date of registered_at", 0},
    {"pending.wait.days", PROP_INT, "7", 0, 3650, OFF(pending_wait_days),
     "corrections/retractions pending longer than this are reported as UNKNOWN_TARGET", 0},
    {"log.level", PROP_STR, "info", 0, 0, OFF(log_level), "error, warn, info or debug", 0},
    {"log.format", PROP_STR, "logfmt", 0, 0, OFF(log_format),
     "logfmt (key=value, quoted and escaped) or json (one object per line)", 0},
    {"progress.interval.s", PROP_INT, "10", 0, 86400, OFF(progress_interval_s),
     "log a progress line (rate, lag, ETA) this often while catching up (0: never)", 0},
    {"metrics.port", PROP_INT, "0", 0, 65535, OFF(metrics_port),
     "port of the HTTP endpoints /metrics, /livez, /readyz and /healthz (0: off)", 0},
    {"metrics.bind", PROP_STR, "127.0.0.1", 0, 0, OFF(metrics_bind),
     "address the HTTP endpoints listen on (0.0.0.0 or :: for all; in a container)", 0},
    {"metrics.idle.timeout.s", PROP_INT, "10", 1, 3600, OFF(metrics_idle_timeout_s),
     "an HTTP connection idle this long is closed", 0},
    {"metrics.max.connections", PROP_INT, "32", 1, 1024, OFF(metrics_max_connections),
     "most HTTP connections served at once (more are refused)", 0},
    {"health.check.interval.ms", PROP_INT, "5000", 100, 600000, OFF(health_interval_ms),
     "how often PostgreSQL and the schema registry are probed when no work proved them up", 0},
    {"health.liveness.timeout.s", PROP_INT, "120", 1, 86400, OFF(liveness_timeout_s),
     "/livez fails when the consume loop has not turned for this long", 0},
    {"shutdown.timeout.ms", PROP_INT, "10000", 100, 600000, OFF(shutdown_timeout_ms),
     "on SIGTERM, the final commit, dead-letter flush and leaving the group get this long "
     "in all; what is not committed by then is re-read by the next owner",
     0},
    {"offsets.commit.kafka", PROP_BOOL, "true", 0, 1, OFF(kafka_commit),
     "after each PostgreSQL commit, also commit the same offsets to Kafka (asynchronously, "
     "for lag monitoring only: PostgreSQL's offsets are the ones the consumer seeks to)",
     0},
    {"trajectories.enable", PROP_BOOL, "true", 0, 1, OFF(trajectories),
     "derive trajectories, versions and findings in every batch's transaction", 0},
    {"publish.interval.s", PROP_INT, "60", 0, 86400, OFF(publish_interval_s),
     "0: no live figures. Otherwise this instance runs the live publisher of the current "
     "figures (publication 'actueel'; one instance per database publishes, elected by an "
     "advisory lock): it takes in every committed batch as soon as the batch's notification "
     "arrives, and also checks the queue this often without one (a safety net). With "
     "exit.at.end it takes in what the run committed before exiting. Needs "
     "`trajectories.enable`",
     0},
    {"publish.rounding.base", PROP_INT, "5", 1, 1000000, OFF(publish_rounding_base),
     "disclosure control: counts are rounded to a multiple of this (100: DUO practice)", 0},
    {"publish.threshold", PROP_INT, "10", 1, 1000000, OFF(publish_threshold),
     "disclosure control: counts 1..T-1 and shares over fewer than T persons are suppressed", 0},
    {"exit.at.end", PROP_BOOL, "false", 0, 1, OFF(exit_at_end),
     "exit once every assigned partition is caught up (backfills, cron, tests)", 0},
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
                        snprintf(errstr, errstr_size, "%s: %lld is outside [%lld, %lld]", p->name,
                                 v, (long long)p->min, (long long)p->max);
                        return SWI_ERR_CONFIG;
                }
                *(int64_t *)base = v;
                return SWI_OK;
        case PROP_BOOL:
                if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes")) {
                        *(bool *)base = true;
                } else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no")) {
                        *(bool *)base = false;
                } else {
                        snprintf(errstr, errstr_size, "%s: \"%s\" is not true or false", p->name,
                                 value);
                        return SWI_ERR_CONFIG;
                }
                return SWI_OK;
        }
        return SWI_ERR_CONFIG;
}

_Static_assert(NPROPS <= SWI_CONF_MAX_PROPS, "raise SWI_CONF_MAX_PROPS");

static swi_conf_conninfo_fn conninfo_redactor;

void swi_conf_set_conninfo_redactor(swi_conf_conninfo_fn fn)
{
        conninfo_redactor = fn;
}

static void add_warning(swi_conf_t *conf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_warning(swi_conf_t *conf, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;

        if (conf->nwarnings == SWI_CONF_MAX_WARNINGS)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        conf->warnings[conf->nwarnings] = strdup(buf);
        if (conf->warnings[conf->nwarnings])
                conf->nwarnings++;
}

/* Warns (once per path) when group or others may read path. */
static void check_private(swi_conf_t *conf, const char *what, const char *path)
{
        struct stat sb;

        if (!path || !*path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
                return;
        if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
                for (int i = 0; i < conf->nwarnings; i++)
                        if (strstr(conf->warnings[i], path))
                                return;
                add_warning(conf,
                            "%s %s is readable by group or others (mode %04o); make it 0400 or "
                            "0600, owned by the user that runs swi-etl",
                            what, path, (unsigned)(sb.st_mode & 07777));
        }
}

/* What "${inner}" names: inner is "env:NAME" or "file:PATH". *out is a
 * malloc'd copy; NULL with SWI_OK when inner is neither. */
static swi_err_t resolve_one(swi_conf_t *conf, const char *name, const char *inner, char **out,
                             char *errstr, size_t errstr_size)
{
        *out = NULL;
        if (strncmp(inner, "env:", 4) == 0) {
                const char *v = getenv(inner + 4);
                if (!v) {
                        snprintf(errstr, errstr_size, "%s: environment variable %s is not set",
                                 name, inner + 4);
                        return SWI_ERR_CONFIG;
                }
                *out = strdup(v);
        } else if (strncmp(inner, "file:", 5) == 0) {
                size_t len = 0;
                struct stat sb;
                char *text;
                if (stat(inner + 5, &sb) == 0 && sb.st_size > SECRET_FILE_MAX) {
                        snprintf(errstr, errstr_size, "%s: %s is larger than %d bytes", name,
                                 inner + 5, SECRET_FILE_MAX);
                        return SWI_ERR_CONFIG;
                }
                text = swi_read_file(inner + 5, &len);
                if (!text) {
                        snprintf(errstr, errstr_size, "%s: cannot read %s: %s", name, inner + 5,
                                 strerror(errno));
                        return SWI_ERR_CONFIG;
                }
                while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
                        text[--len] = '\0';
                if (strlen(text) != len) {
                        free(text);
                        snprintf(errstr, errstr_size, "%s: %s contains a NUL byte", name,
                                 inner + 5);
                        return SWI_ERR_CONFIG;
                }
                check_private(conf, "secret file", inner + 5);
                *out = text;
        } else {
                return SWI_OK;
        }
        return *out ? SWI_OK : SWI_ERR_NOMEM;
}

/* Replaces every ${file:PATH} and ${env:NAME} in value (the whole value, or
 * a part: "host=db password=${file:/run/secrets/pg}"), innermost first, so
 * that ${file:${env:CREDENTIALS_DIRECTORY}/pg.password} works. *out is NULL
 * when value has none; else the malloc'd result. A value that is one ${...}
 * of another kind is an error; inside a value other ${...} are left alone. */
static swi_err_t resolve_ref(swi_conf_t *conf, const char *name, const char *value, char **out,
                             char *errstr, size_t errstr_size)
{
        char *cur;
        size_t from = 0;
        bool any = false;

        *out = NULL;
        if (!strstr(value, "${"))
                return SWI_OK;
        cur = strdup(value);
        if (!cur)
                return SWI_ERR_NOMEM;
        for (int round = 0; round < 64; round++) {
                char *e = strchr(cur + from, '}'), *s = NULL, *text = NULL, *next;
                char inner[4096];
                swi_err_t rc;
                if (!e)
                        break;
                for (char *q = cur + from; q + 1 < e; q++)
                        if (q[0] == '$' && q[1] == '{')
                                s = q;
                if (!s) {
                        from = (size_t)(e + 1 - cur);
                        continue;
                }
                if ((size_t)(e - s - 2) >= sizeof(inner)) {
                        snprintf(errstr, errstr_size, "%s: reference too long", name);
                        free(cur);
                        return SWI_ERR_CONFIG;
                }
                memcpy(inner, s + 2, (size_t)(e - s - 2));
                inner[e - s - 2] = '\0';
                rc = resolve_one(conf, name, inner, &text, errstr, errstr_size);
                if (rc != SWI_OK) {
                        free(cur);
                        return rc;
                }
                if (!text) {
                        if (s == cur && e[1] == '\0' && !any) {
                                snprintf(errstr, errstr_size,
                                         "%s: unknown reference \"%s\" (use ${file:PATH} or "
                                         "${env:NAME})",
                                         name, value);
                                free(cur);
                                return SWI_ERR_CONFIG;
                        }
                        from = (size_t)(e + 1 - cur); /* not ours: left as it is */
                        continue;
                }
                next = malloc(strlen(cur) + strlen(text) + 1);
                if (!next) {
                        free(text);
                        free(cur);
                        return SWI_ERR_NOMEM;
                }
                sprintf(next, "%.*s%s%s", (int)(s - cur), cur, text, e + 1);
                free(text);
                free(cur);
                cur = next;
                any = true;
                from = 0; /* an enclosing reference may be complete now */
        }
        if (!any) {
                free(cur);
                return SWI_OK;
        }
        *out = cur;
        return SWI_OK;
}

static void set_origin(char **slot, const char *value, bool is_ref)
{
        free(*slot);
        *slot = is_ref ? strdup(value) : NULL;
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
        for (size_t i = 0; i < NPROPS; i++) {
                if (props[i].type == PROP_STR)
                        free(*(char **)((char *)conf + props[i].offset));
                free(conf->origin[i]);
        }
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

swi_err_t swi_conf_set(swi_conf_t *conf, const char *name, const char *value, char *errstr,
                       size_t errstr_size)
{
        char *resolved = NULL;
        swi_err_t rc;
        size_t i = 0;

        if (strncmp(name, "kafka.", 6) != 0 || !name[6]) {
                for (i = 0; i < NPROPS; i++)
                        if (strcmp(props[i].name, name) == 0)
                                break;
                if (i == NPROPS) {
                        snprintf(errstr, errstr_size, "unknown property \"%s\" (see --help)", name);
                        return SWI_ERR_CONFIG;
                }
        }
        rc = resolve_ref(conf, name, value, &resolved, errstr, errstr_size);
        if (rc != SWI_OK)
                return rc;
        if (strncmp(name, "kafka.", 6) == 0 && name[6]) {
                rc = set_kafka(conf, name + 6, resolved ? resolved : value, value, resolved != NULL,
                               errstr, errstr_size);
        } else {
                rc = set_prop(conf, &props[i], resolved ? resolved : value, errstr, errstr_size);
                if (rc == SWI_OK)
                        set_origin(&conf->origin[i], value, resolved != NULL);
        }
        free(resolved);
        return rc;
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

bool swi_conf_kafka_key_is_secret(const char *key)
{
        static const char *const words[] = {"password",           "secret",        "key.pem",
                                            "oauthbearer.config", "sasl.username", "token"};
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strstr(key, words[i]))
                        return true;
        return false;
}

void swi_conf_redact_url(const char *url, char *out, size_t out_size)
{
        const char *scheme = strstr(url, "://");
        const char *host, *at = NULL, *colon = NULL;

        if (!scheme) {
                snprintf(out, out_size, "%s", url);
                return;
        }
        host = scheme + 3;
        for (const char *p = host; *p && *p != '/' && *p != '?' && *p != '#'; p++)
                if (*p == '@')
                        at = p;
        if (!at) {
                snprintf(out, out_size, "%s", url);
                return;
        }
        for (const char *p = host; p < at; p++)
                if (*p == ':') {
                        colon = p;
                        break;
                }
        if (colon)
                snprintf(out, out_size, "%.*s:[redacted]%s", (int)(colon - url), url, at);
        else
                snprintf(out, out_size, "%.*s[redacted]%s", (int)(host - url), url, at);
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
        if (flags & PROP_SECRET)
                return "[redacted]";
        if (flags & PROP_CONNINFO) {
                if (conninfo_redactor) {
                        conninfo_redactor(value, buf, size, pw, sizeof(pw));
                        return buf;
                }
                return strstr(value, "password") || strstr(value, "@") ? "[redacted]" : value;
        }
        if (flags & PROP_URL) {
                swi_conf_redact_url(value, buf, size);
                return buf;
        }
        return value;
}

void swi_conf_check_files(swi_conf_t *conf)
{
        for (size_t i = 0; i < NPROPS; i++)
                if ((props[i].flags & PROP_KEYFILE) && props[i].type == PROP_STR)
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
                const char *v;
                if (props[i].type != PROP_STR)
                        continue;
                v = *(char *const *)((const char *)conf + props[i].offset);
                if (!v || !*v)
                        continue;
                if (props[i].flags & PROP_SECRET) {
                        const char *colon = strchr(v, ':');
                        swi_log_add_secret(v);
                        if (colon &&
                            strcmp(props[i].name, "schema.registry.basic.auth.user.info") == 0)
                                swi_log_add_secret(colon + 1); /* the password alone */
                } else if ((props[i].flags & PROP_CONNINFO) && conninfo_redactor) {
                        conninfo_redactor(v, buf, sizeof(buf), pw, sizeof(pw));
                        swi_log_add_secret(pw);
                } else if (props[i].flags & PROP_URL) {
                        const char *host = strstr(v, "://"), *at = NULL, *colon = NULL;
                        for (const char *p = host ? host + 3 : ""; *p && *p != '/'; p++)
                                if (*p == '@')
                                        at = p;
                        for (const char *p = host ? host + 3 : ""; at && p < at; p++)
                                if (*p == ':' && !colon)
                                        colon = p;
                        if (colon) {
                                snprintf(pw, sizeof(pw), "%.*s", (int)(at - colon - 1), colon + 1);
                                swi_log_add_secret(pw);
                        }
                }
        }
        for (int i = 0; i < conf->n_kafka; i++)
                if (swi_conf_kafka_key_is_secret(conf->kafka_keys[i]))
                        swi_log_add_secret(conf->kafka_vals[i]);
}

void swi_conf_print_help(FILE *out)
{
        fprintf(out, "Properties (set in the -c file or with -X name=value; any value may be\n"
                     "${file:PATH} or ${env:NAME}):\n");
        for (size_t i = 0; i < NPROPS; i++) {
                const prop_t *p = &props[i];
                fprintf(out, "  %-30s %-8s default \"%s\"", p->name, type_name(p->type), p->def);
                if (p->type == PROP_INT)
                        fprintf(out, " [%lld..%lld]", (long long)p->min, (long long)p->max);
                if (p->flags & PROP_SECRET)
                        fprintf(out, " (secret)");
                fprintf(out, "\n      %s\n", p->desc);
        }
        fprintf(out, "  %-30s %-8s passed to librdkafka, e.g. kafka.bootstrap.servers\n", "kafka.*",
                "string");
}

void swi_conf_print_effective(const swi_conf_t *conf, FILE *out)
{
        char buf[4096];

        for (size_t i = 0; i < NPROPS; i++) {
                const char *base = (const char *)conf + props[i].offset;
                switch (props[i].type) {
                case PROP_STR:
                        fprintf(out, "%s = %s\n", props[i].name,
                                display(conf->origin[i], *(char *const *)base, props[i].flags, buf,
                                        sizeof(buf)));
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
        for (int i = 0; i < conf->n_kafka; i++)
                fprintf(out, "kafka.%s = %s\n", conf->kafka_keys[i],
                        display(conf->kafka_origin[i], conf->kafka_vals[i],
                                swi_conf_kafka_key_is_secret(conf->kafka_keys[i]) ? PROP_SECRET : 0,
                                buf, sizeof(buf)));
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
                fprintf(out, " | %s%s |\n", p->desc,
                        p->flags & PROP_SECRET ? " (secret: printed as [redacted])" : "");
        }
        fprintf(out, "| `kafka.*` | string | | | passed verbatim to librdkafka "
                     "(see librdkafka's CONFIGURATION.md); keys naming a password, secret, "
                     "token, private key (`*key.pem`), `sasl.username` or "
                     "`sasl.oauthbearer.config` are printed as [redacted] |\n");
}
