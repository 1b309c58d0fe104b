/* swi-schemas - the project's Avro schemas in a Confluent-compatible schema
 * registry: register them under their subjects with the ids the local map
 * uses, check a deploy's schemas for compatibility first, list what is there.
 *
 * The local map is schema.dir/registry.json: one entry per schema version
 * with its id, version, file and subject. Subjects follow Confluent's
 * TopicRecordNameStrategy, "<topic>-<record's full name>"
 * (ind.events-nl.swi.ind.BsnToegekend), one subject per record type on the
 * source's topic.
 *
 * Keeping the ids: the registries' producers write the id into every
 * message, and swi-gen, swi-replay and the embedded default use the map's
 * ids, so by default a schema is registered in IMPORT mode with its id and
 * version (PUT /mode/{subject}, then POST /subjects/{subject}/versions with
 * "id" and "version", then the subject back to READWRITE). IMPORT mode skips
 * the registry's compatibility check, so register asks for it first. Where
 * the registry cannot take the ids (IMPORT refused, or an id already holds
 * another schema), --no-import registers normally and --map FILE writes the
 * local -> registry id mapping.
 *
 * HTTP goes through ingest/schema_registry (libcurl): the same basic auth,
 * TLS options and masking as swi-etl, read from the same configuration. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "ingest/schema_registry.h"

typedef struct entry_s {
        int id;
        int version;
        const char *subject;
        const char *file;
        char *schema; /* compact JSON text */
} entry_t;

typedef struct ctx_s {
        swi_registry_t *r;
        entry_t *e;
        size_t n;
        bool import, dry_run, force;
        json_t *map; /* local id -> registry id */
        int errors;
} ctx_t;

static void usage(FILE *f)
{
        fprintf(
            f, "Usage: swi-schemas [OPTION]... list|check|register\n"
               "The project's Avro schemas (schema.dir/registry.json) in a Confluent-compatible\n"
               "schema registry, under TopicRecordNameStrategy subjects (<topic>-<record>).\n"
               "\n"
               "  list       what the registry holds, next to the local map\n"
               "  check      every local schema the registry does not hold yet: compatible\n"
               "             with its subject (BACKWARD at least); registered ones: same id\n"
               "             as the local map. Exit 1 if anything fails: run before a deploy\n"
               "  register   register what is missing, in version order, with the local ids\n"
               "             (IMPORT mode; the compatibility check is made first)\n"
               "\n"
               "  -c, --config FILE     swi-etl configuration file (schema.registry.url,\n"
               "                        schema.registry.basic.auth.user.info, .ssl.*, schema.dir)\n"
               "  -X, --set NAME=VALUE  one property (after the file)\n"
               "  -u, --url URL         registry URL (instead of schema.registry.url)\n"
               "  -d, --dir DIR         schema directory (instead of schema.dir)\n"
               "      --no-import       let the registry choose the ids (normal registration)\n"
               "      --map FILE        with register: write {\"local id\": registry id}\n"
               "      --force           register a schema the compatibility check rejects\n"
               "  -n, --dry-run         register: say what would be done, change nothing\n"
               "  -h, --help            this text\n"
               "\n"
               "Exit codes: 0 ok, 1 a check failed or the registry refused, 2 usage.\n");
}

/* ---- the local map -------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
        const entry_t *x = a, *y = b;
        int c = strcmp(x->subject, y->subject);
        return c ? c : (x->version > y->version) - (x->version < y->version);
}

static bool subject_ok(const char *s)
{
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'))
                        return false;
        return true;
}

/* Loads dir/registry.json and every schema it names. root keeps the strings. */
static int load_map(ctx_t *x, const char *dir, json_t **root)
{
        char path[4096];
        json_error_t e;
        json_t *list, *it;
        size_t i;

        snprintf(path, sizeof(path), "%s/registry.json", dir);
        *root = json_load_file(path, 0, &e);
        if (!*root) {
                fprintf(stderr, "swi-schemas: %s: %s (line %d)\n", path, e.text, e.line);
                return -1;
        }
        list = json_object_get(*root, "schemas");
        x->e = calloc(json_array_size(list) + 1, sizeof(*x->e));
        if (!x->e)
                return -1;
        json_array_foreach(list, i, it)
        {
                entry_t *en = &x->e[x->n];
                json_t *sj;
                en->id = (int)json_integer_value(json_object_get(it, "id"));
                en->version = (int)json_integer_value(json_object_get(it, "version"));
                en->subject = json_string_value(json_object_get(it, "subject"));
                en->file = json_string_value(json_object_get(it, "file"));
                if (!en->subject || !en->file || en->id <= 0 || en->version <= 0 ||
                    !subject_ok(en->subject)) {
                        fprintf(stderr,
                                "swi-schemas: %s: entry %zu needs id, version, file and a subject "
                                "of letters, digits, '.', '-' and '_'\n",
                                path, i);
                        return -1;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, en->file);
                sj = json_load_file(path, 0, &e);
                if (!sj) {
                        fprintf(stderr, "swi-schemas: %s: %s (line %d)\n", path, e.text, e.line);
                        return -1;
                }
                en->schema = json_dumps(sj, JSON_COMPACT);
                json_decref(sj);
                x->n++;
        }
        qsort(x->e, x->n, sizeof(*x->e), entry_cmp);
        return 0;
}

/* ---- requests --------------------------------------------------------------------- */

/* One request; takes body (may be NULL). *out is the parsed answer (NULL if
 * not JSON). Returns the HTTP status, or -1 when the registry did not answer
 * (reported). */
static long call(ctx_t *x, const char *method, const char *path, json_t *body, json_t **out)
{
        char err[1024];
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        const char *resp = NULL;
        long status = 0;
        swi_err_t rc =
            swi_registry_request(x->r, method, path, text, &status, &resp, err, sizeof(err));

        free(text);
        json_decref(body);
        if (out)
                *out = NULL;
        if (rc != SWI_OK) {
                fprintf(stderr, "swi-schemas: %s: %s\n", swi_registry_url(x->r), err);
                return -1;
        }
        if (out)
                *out = json_loads(resp, JSON_DECODE_ANY, NULL);
        if (status == 401 || status == 403)
                fprintf(stderr,
                        "swi-schemas: %s %s: HTTP %ld (check "
                        "schema.registry.basic.auth.user.info)\n",
                        method, path, status);
        return status;
}

static const char *message(json_t *j)
{
        const char *m = json_string_value(json_object_get(j, "message"));
        return m ? m : "(no message)";
}

static json_t *schema_body(const entry_t *e)
{
        return json_pack("{s:s,s:s}", "schema", e->schema, "schemaType", "AVRO");
}

/* Is e registered under its subject? 1 yes (*id, *version set), 0 no, -1 error. */
static int lookup(ctx_t *x, const entry_t *e, int *id, int *version)
{
        char path[512];
        json_t *out = NULL;
        long st;

        snprintf(path, sizeof(path), "/subjects/%s", e->subject);
        st = call(x, "POST", path, schema_body(e), &out);
        if (st == 200) {
                *id = (int)json_integer_value(json_object_get(out, "id"));
                *version = (int)json_integer_value(json_object_get(out, "version"));
        } else if (st != 404) {
                if (st > 0)
                        fprintf(stderr, "swi-schemas: %s: lookup failed: HTTP %ld: %s\n",
                                e->subject, st, message(out));
                json_decref(out);
                return -1;
        }
        json_decref(out);
        return st == 200;
}

/* The subject's compatibility level (global when it has none), or NULL. */
static char *level_of(ctx_t *x, const char *subject)
{
        char path[512];
        json_t *out = NULL;
        char *lvl = NULL;

        snprintf(path, sizeof(path), "/config/%s?defaultToGlobal=true", subject);
        if (call(x, "GET", path, NULL, &out) == 200 &&
            json_is_string(json_object_get(out, "compatibilityLevel")))
                lvl = strdup(json_string_value(json_object_get(out, "compatibilityLevel")));
        json_decref(out);
        out = NULL;
        if (!lvl && call(x, "GET", "/config", NULL, &out) == 200 &&
            json_is_string(json_object_get(out, "compatibilityLevel")))
                lvl = strdup(json_string_value(json_object_get(out, "compatibilityLevel")));
        json_decref(out);
        return lvl;
}

/* Compatibility of e with its subject's latest version: 1 compatible (or the
 * subject is new), 0 not (why printed), -1 error. */
static int compatible(ctx_t *x, const entry_t *e)
{
        char path[512];
        json_t *out = NULL, *m;
        long st;
        size_t i;
        int ok;

        snprintf(path, sizeof(path), "/compatibility/subjects/%s/versions/latest?verbose=true",
                 e->subject);
        st = call(x, "POST", path, schema_body(e), &out);
        if (st == 404) {
                json_decref(out);
                return 1; /* no version yet: nothing to be compatible with */
        }
        if (st != 200) {
                if (st > 0)
                        fprintf(stderr,
                                "swi-schemas: %s: compatibility check failed: HTTP %ld: %s\n",
                                e->subject, st, message(out));
                json_decref(out);
                return -1;
        }
        ok = json_is_true(json_object_get(out, "is_compatible"));
        if (!ok) {
                printf("  %s v%d (%s): NOT compatible with the latest version\n", e->subject,
                       e->version, e->file);
                json_array_foreach(json_object_get(out, "messages"), i, m)
                    printf("    %s\n", json_string_value(m) ? json_string_value(m) : "?");
        }
        json_decref(out);
        return ok;
}

static bool backward_level(const char *lvl)
{
        return lvl && (strncmp(lvl, "BACKWARD", 8) == 0 || strncmp(lvl, "FULL", 4) == 0);
}

/* ---- commands ----------------------------------------------------------------------- */

static int cmd_check(ctx_t *x)
{
        const char *last_subject = "";
        int pending = 0;

        for (size_t i = 0; i < x->n; i++) {
                const entry_t *e = &x->e[i];
                int id = 0, ver = 0, r = lookup(x, e, &id, &ver);
                if (r < 0)
                        return 1;
                if (strcmp(last_subject, e->subject) != 0) {
                        char *lvl = level_of(x, e->subject);
                        last_subject = e->subject;
                        if (!backward_level(lvl)) {
                                printf(
                                    "  %s: compatibility level %s does not check BACKWARD "
                                    "(set it: PUT /config/%s {\"compatibility\": \"BACKWARD\"})\n",
                                    e->subject, lvl ? lvl : "unknown", e->subject);
                                x->errors++;
                        }
                        free(lvl);
                }
                if (r == 1) {
                        if (id != e->id) {
                                printf("  %s v%d: registered with id %d, the local map says %d\n",
                                       e->subject, e->version, id, e->id);
                                x->errors++;
                        }
                        continue;
                }
                pending++;
                r = compatible(x, e);
                if (r < 0)
                        return 1;
                if (r == 0)
                        x->errors++;
                else
                        printf("  %s v%d (%s): compatible, not registered yet\n", e->subject,
                               e->version, e->file);
        }
        printf("%zu schemas, %d to register, %d problems\n", x->n, pending, x->errors);
        return x->errors ? 1 : 0;
}

static int set_mode(ctx_t *x, const char *subject, const char *mode, bool force)
{
        char path[512];
        json_t *out = NULL;
        long st;

        snprintf(path, sizeof(path), "/mode/%s%s", subject, force ? "?force=true" : "");
        st = call(x, "PUT", path, json_pack("{s:s}", "mode", mode), &out);
        if (st != 200 && st > 0)
                fprintf(stderr, "swi-schemas: %s: mode %s refused: HTTP %ld: %s\n", subject, mode,
                        st, message(out));
        json_decref(out);
        return st == 200 ? 0 : -1;
}

static int register_one(ctx_t *x, const entry_t *e)
{
        char path[512];
        json_t *body, *out = NULL;
        long st;
        int id;

        snprintf(path, sizeof(path), "/subjects/%s/versions", e->subject);
        body = schema_body(e);
        if (x->import) {
                /* the id must be free, or hold this very schema */
                char ipath[64];
                snprintf(ipath, sizeof(ipath), "/schemas/ids/%d", e->id);
                st = call(x, "GET", ipath, NULL, &out);
                if (st == 200) {
                        json_t *have = json_loads(json_string_value(json_object_get(out, "schema")),
                                                  JSON_DECODE_ANY, NULL);
                        json_t *want = json_loads(e->schema, 0, NULL);
                        bool same = have && want && json_equal(have, want);
                        json_decref(have);
                        json_decref(want);
                        if (!same) {
                                fprintf(stderr,
                                        "swi-schemas: %s v%d: id %d already holds another schema "
                                        "in the registry; use --no-import --map FILE\n",
                                        e->subject, e->version, e->id);
                                json_decref(out);
                                json_decref(body);
                                return -1;
                        }
                }
                json_decref(out);
                /* force: IMPORT on a subject that already has versions */
                if (set_mode(x, e->subject, "IMPORT", true) != 0) {
                        json_decref(body);
                        return -1;
                }
                json_object_set_new(body, "id", json_integer(e->id));
                json_object_set_new(body, "version", json_integer(e->version));
        }
        st = call(x, "POST", path, body, &out);
        if (x->import && set_mode(x, e->subject, "READWRITE", false) != 0)
                x->errors++;
        if (st != 200) {
                if (st > 0)
                        fprintf(stderr, "swi-schemas: %s v%d: registration refused: HTTP %ld: %s\n",
                                e->subject, e->version, st, message(out));
                json_decref(out);
                return -1;
        }
        id = (int)json_integer_value(json_object_get(out, "id"));
        json_decref(out);
        if (x->import && id != e->id) {
                fprintf(stderr, "swi-schemas: %s v%d: registered as id %d, not %d\n", e->subject,
                        e->version, id, e->id);
                return -1;
        }
        printf("  %s v%d: registered as id %d\n", e->subject, e->version, id);
        if (x->map) {
                char k[16];
                snprintf(k, sizeof(k), "%d", e->id);
                json_object_set_new(x->map, k, json_integer(id));
        }
        return 0;
}

static int cmd_register(ctx_t *x)
{
        int done = 0, already = 0;

        for (size_t i = 0; i < x->n; i++) {
                const entry_t *e = &x->e[i];
                int id = 0, ver = 0, r = lookup(x, e, &id, &ver), c;
                if (r < 0)
                        return 1;
                if (r == 1) {
                        already++;
                        if (x->map) {
                                char k[16];
                                snprintf(k, sizeof(k), "%d", e->id);
                                json_object_set_new(x->map, k, json_integer(id));
                        }
                        if (id != e->id && x->import) {
                                fprintf(stderr,
                                        "swi-schemas: %s v%d is registered with id %d, the local "
                                        "map says %d (producers using the map would write an id "
                                        "the registry gives another meaning or none); use "
                                        "--no-import --map FILE\n",
                                        e->subject, e->version, id, e->id);
                                x->errors++;
                        }
                        continue;
                }
                c = compatible(x, e);
                if (c < 0)
                        return 1;
                if (c == 0 && !x->force) {
                        fprintf(stderr,
                                "swi-schemas: %s v%d not registered: incompatible (--force "
                                "to register anyway)\n",
                                e->subject, e->version);
                        x->errors++;
                        continue;
                }
                if (x->dry_run) {
                        if (x->import)
                                printf("  %s v%d: would register as id %d\n", e->subject,
                                       e->version, e->id);
                        else
                                printf("  %s v%d: would register (the registry picks the id)\n",
                                       e->subject, e->version);
                        continue;
                }
                if (register_one(x, e) != 0) {
                        x->errors++;
                        continue;
                }
                done++;
        }
        printf("%zu schemas: %d registered, %d already there, %d problems\n", x->n, done, already,
               x->errors);
        return x->errors ? 1 : 0;
}

static int cmd_list(ctx_t *x)
{
        json_t *subjects = NULL, *s;
        size_t i;
        int missing = 0;

        if (call(x, "GET", "/subjects", NULL, &subjects) != 200 || !json_is_array(subjects)) {
                json_decref(subjects);
                return 1;
        }
        printf("%-60s %7s %6s  %s\n", "subject", "version", "id", "local map");
        json_array_foreach(subjects, i, s)
        {
                char path[512];
                json_t *vers = NULL, *v;
                size_t k;
                snprintf(path, sizeof(path), "/subjects/%s/versions", json_string_value(s));
                if (call(x, "GET", path, NULL, &vers) != 200) {
                        json_decref(vers);
                        continue;
                }
                json_array_foreach(vers, k, v)
                {
                        json_t *one = NULL;
                        const char *note = "not in the map";
                        int id, ver = (int)json_integer_value(v);
                        snprintf(path, sizeof(path), "/subjects/%s/versions/%d",
                                 json_string_value(s), ver);
                        if (call(x, "GET", path, NULL, &one) != 200) {
                                json_decref(one);
                                continue;
                        }
                        id = (int)json_integer_value(json_object_get(one, "id"));
                        for (size_t e = 0; e < x->n; e++) {
                                if (strcmp(x->e[e].subject, json_string_value(s)) == 0 &&
                                    x->e[e].version == ver)
                                        note = x->e[e].id == id ? "same id" : "DIFFERENT id";
                        }
                        printf("%-60s %7d %6d  %s\n", json_string_value(s), ver, id, note);
                        json_decref(one);
                }
                json_decref(vers);
        }
        for (size_t e = 0; e < x->n; e++) {
                int id, ver;
                if (lookup(x, &x->e[e], &id, &ver) == 0) {
                        printf("%-60s %7d %6d  not in the registry\n", x->e[e].subject,
                               x->e[e].version, x->e[e].id);
                        missing++;
                }
        }
        json_decref(subjects);
        printf("%zu local schemas, %d not in the registry\n", x->n, missing);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 'X'},
            {"url", required_argument, NULL, 'u'},    {"dir", required_argument, NULL, 'd'},
            {"no-import", no_argument, NULL, 1},      {"map", required_argument, NULL, 2},
            {"force", no_argument, NULL, 3},          {"dry-run", no_argument, NULL, 'n'},
            {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
        };
        ctx_t x = {.import = true};
        swi_conf_t conf;
        char err[1024];
        const char *url = NULL, *dir = NULL, *map_file = NULL, *cmd;
        json_t *root = NULL;
        int opt, rc = 1;

        swi_conf_init(&conf);
        while ((opt = getopt_long(argc, argv, "c:X:u:d:nh", opts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        if (swi_conf_load_file(&conf, optarg, err, sizeof(err)) != SWI_OK) {
                                fprintf(stderr, "swi-schemas: %s\n", err);
                                return 2;
                        }
                        break;
                case 'X': {
                        char *eq = strchr(optarg, '=');
                        if (!eq) {
                                fprintf(stderr, "swi-schemas: -X expects NAME=VALUE\n");
                                return 2;
                        }
                        *eq = '\0';
                        if (swi_conf_set(&conf, optarg, eq + 1, err, sizeof(err)) != SWI_OK) {
                                fprintf(stderr, "swi-schemas: %s\n", err);
                                return 2;
                        }
                        break;
                }
                case 'u':
                        url = optarg;
                        break;
                case 'd':
                        dir = optarg;
                        break;
                case 1:
                        x.import = false;
                        break;
                case 2:
                        map_file = optarg;
                        break;
                case 3:
                        x.force = true;
                        break;
                case 'n':
                        x.dry_run = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                return 2;
        }
        cmd = argv[optind];
        if (strcmp(cmd, "list") && strcmp(cmd, "check") && strcmp(cmd, "register")) {
                fprintf(stderr, "swi-schemas: unknown command \"%s\" (list, check or register)\n",
                        cmd);
                return 2;
        }
        swi_log_set_level("warn");
        swi_conf_register_secrets(&conf);
        if (!url)
                url = conf.registry_url;
        if (!dir)
                dir = conf.schema_dir;
        if (!*url) {
                fprintf(stderr, "swi-schemas: no registry: set schema.registry.url or --url\n");
                return 2;
        }
        x.r = swi_registry_new_http(url, 1000, err, sizeof(err));
        if (!x.r) {
                fprintf(stderr, "swi-schemas: %s\n", err);
                return 2;
        }
        if (swi_registry_set_auth(x.r, conf.registry_user_info) != SWI_OK ||
            swi_registry_set_tls(x.r, conf.registry_ca, conf.registry_cert, conf.registry_key,
                                 conf.registry_key_password) != SWI_OK) {
                fprintf(stderr, "swi-schemas: schema.registry.basic.auth.user.info must be "
                                "USER:PASSWORD\n");
                goto done;
        }
        if (load_map(&x, dir, &root) != 0)
                goto done;
        if (map_file)
                x.map = json_object();
        printf("registry %s, %zu local schemas from %s\n", swi_registry_url(x.r), x.n, dir);
        if (strcmp(cmd, "list") == 0)
                rc = cmd_list(&x);
        else if (strcmp(cmd, "check") == 0)
                rc = cmd_check(&x);
        else
                rc = cmd_register(&x);
        if (x.map && !x.dry_run &&
            json_dump_file(x.map, map_file, JSON_INDENT(1) | JSON_SORT_KEYS)) {
                fprintf(stderr, "swi-schemas: cannot write %s: %s\n", map_file, strerror(errno));
                rc = 1;
        }
done:
        for (size_t i = 0; i < x.n; i++)
                free(x.e[i].schema);
        free(x.e);
        json_decref(x.map);
        json_decref(root);
        swi_registry_destroy(x.r);
        swi_conf_free(&conf);
        return rc;
}
