/* swi-registry-standin - a small stand-in for a Confluent-compatible schema
 * registry, on 127.0.0.1, for tests: swi-etl's registry mode, swi-schemas,
 * and chaos tests that kill the registry mid-run.
 *
 * It speaks the part of the Confluent REST API (v1) that swi-stream and its
 * operators use: subjects, versions, ids, lookup, registration (also with a
 * given id and version in IMPORT mode, as a migration keeps ids), global and
 * per-subject compatibility levels and modes, compatibility checks, and HTTP
 * basic auth. Compatibility follows the Avro specification's schema
 * resolution rules (records, defaults, promotions, enums, unions, arrays,
 * maps, fixed), written here from the spec and independent of the decoder.
 * Not supported: schema references, JSON/Protobuf schemas, contexts, soft
 * deletion (DELETE removes a subject for good).
 *
 * State is in memory; with --data FILE it is loaded at start and rewritten
 * (atomically) after every change, so a killed stand-in restarts where it
 * was. One libmicrohttpd thread serves every request, so nothing here needs
 * a lock. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>

#define BODY_MAX (1024 * 1024)
#define CTYPE    "application/vnd.schemaregistry.v1+json"

/* ---- state ------------------------------------------------------------------ */

typedef struct schema_s {
        int id;
        char *text;  /* as registered */
        char *canon; /* compact, sorted keys: equality */
} schema_t;

typedef struct version_s {
        int version;
        int id;
} version_t;

typedef struct subject_s {
        char *name;
        version_t *v;
        int nv, cap;
        char compat[32]; /* "" = global */
        char mode[16];   /* "" = global */
} subject_t;

static struct {
        schema_t *schemas;
        int nschemas, schemas_cap;
        subject_t *subjects;
        int nsubjects, subjects_cap;
        char compat[32];
        char mode[16];
        const char *data_file;
        const char *user_pass; /* "user:password" or NULL */
} st = {.compat = "BACKWARD", .mode = "READWRITE"};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
        stop_signal = sig;
}

static void *xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n);
        if (!q) {
                fprintf(stderr, "swi-registry-standin: out of memory\n");
                exit(1);
        }
        return q;
}

static char *xstrdup(const char *s)
{
        char *d = strdup(s);
        if (!d) {
                fprintf(stderr, "swi-registry-standin: out of memory\n");
                exit(1);
        }
        return d;
}

/* Canonical text of a schema (NULL if it is not JSON). */
static char *canonical(const char *text)
{
        json_error_t e;
        json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
        char *c;
        if (!j)
                return NULL;
        c = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        json_decref(j);
        return c;
}

static schema_t *schema_by_id(int id)
{
        for (int i = 0; i < st.nschemas; i++)
                if (st.schemas[i].id == id)
                        return &st.schemas[i];
        return NULL;
}

static schema_t *schema_by_canon(const char *canon)
{
        for (int i = 0; i < st.nschemas; i++)
                if (strcmp(st.schemas[i].canon, canon) == 0)
                        return &st.schemas[i];
        return NULL;
}

static schema_t *schema_add(int id, const char *text, const char *canon)
{
        schema_t *s;
        if (st.nschemas == st.schemas_cap) {
                st.schemas_cap = st.schemas_cap ? st.schemas_cap * 2 : 64;
                st.schemas = xrealloc(st.schemas, (size_t)st.schemas_cap * sizeof(*st.schemas));
        }
        s = &st.schemas[st.nschemas++];
        s->id = id;
        s->text = xstrdup(text);
        s->canon = xstrdup(canon);
        return s;
}

static int max_id(void)
{
        int m = 0;
        for (int i = 0; i < st.nschemas; i++)
                if (st.schemas[i].id > m)
                        m = st.schemas[i].id;
        return m;
}

static subject_t *subject_find(const char *name)
{
        for (int i = 0; i < st.nsubjects; i++)
                if (strcmp(st.subjects[i].name, name) == 0)
                        return &st.subjects[i];
        return NULL;
}

static subject_t *subject_get(const char *name)
{
        subject_t *s = subject_find(name);
        if (s)
                return s;
        if (st.nsubjects == st.subjects_cap) {
                st.subjects_cap = st.subjects_cap ? st.subjects_cap * 2 : 64;
                st.subjects = xrealloc(st.subjects, (size_t)st.subjects_cap * sizeof(*st.subjects));
        }
        s = &st.subjects[st.nsubjects++];
        memset(s, 0, sizeof(*s));
        s->name = xstrdup(name);
        return s;
}

static void subject_remove(subject_t *s)
{
        free(s->name);
        free(s->v);
        *s = st.subjects[--st.nsubjects];
}

static void version_add(subject_t *s, int version, int id)
{
        int pos = s->nv;
        if (s->nv == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 8;
                s->v = xrealloc(s->v, (size_t)s->cap * sizeof(*s->v));
        }
        while (pos > 0 && s->v[pos - 1].version > version)
                pos--;
        memmove(&s->v[pos + 1], &s->v[pos], (size_t)(s->nv - pos) * sizeof(*s->v));
        s->v[pos].version = version;
        s->v[pos].id = id;
        s->nv++;
}

static version_t *version_find(subject_t *s, const char *v)
{
        char *end;
        long n;
        if (s->nv == 0)
                return NULL;
        if (strcmp(v, "latest") == 0 || strcmp(v, "-1") == 0)
                return &s->v[s->nv - 1];
        n = strtol(v, &end, 10);
        if (*end || end == v)
                return NULL;
        for (int i = 0; i < s->nv; i++)
                if (s->v[i].version == n)
                        return &s->v[i];
        return NULL;
}

static const char *subject_compat(const subject_t *s)
{
        return s && s->compat[0] ? s->compat : st.compat;
}

static const char *subject_mode(const subject_t *s)
{
        return s && s->mode[0] ? s->mode : st.mode;
}

/* ---- persistence -------------------------------------------------------------- */

static void save(void)
{
        json_t *root, *schemas, *subjects;
        char tmp[4096];

        if (!st.data_file)
                return;
        root = json_object();
        schemas = json_array();
        subjects = json_object();
        for (int i = 0; i < st.nschemas; i++)
                json_array_append_new(schemas, json_pack("{s:i,s:s}", "id", st.schemas[i].id,
                                                         "schema", st.schemas[i].text));
        for (int i = 0; i < st.nsubjects; i++) {
                subject_t *s = &st.subjects[i];
                json_t *vs = json_array();
                for (int k = 0; k < s->nv; k++)
                        json_array_append_new(vs, json_pack("{s:i,s:i}", "version", s->v[k].version,
                                                            "id", s->v[k].id));
                json_object_set_new(subjects, s->name,
                                    json_pack("{s:o,s:s,s:s}", "versions", vs, "compatibility",
                                              s->compat, "mode", s->mode));
        }
        json_object_set_new(root, "schemas", schemas);
        json_object_set_new(root, "subjects", subjects);
        json_object_set_new(root, "compatibility", json_string(st.compat));
        json_object_set_new(root, "mode", json_string(st.mode));
        snprintf(tmp, sizeof(tmp), "%s.tmp", st.data_file);
        if (json_dump_file(root, tmp, JSON_INDENT(1)) != 0 || rename(tmp, st.data_file) != 0)
                fprintf(stderr, "swi-registry-standin: cannot write %s: %s\n", st.data_file,
                        strerror(errno));
        json_decref(root);
}

static int load(const char *path)
{
        json_error_t e;
        json_t *root = json_load_file(path, 0, &e), *v;
        const char *name;
        size_t i;

        if (!root)
                return errno == ENOENT ? 0 : -1;
        json_array_foreach(json_object_get(root, "schemas"), i, v)
        {
                const char *text = json_string_value(json_object_get(v, "schema"));
                char *c = text ? canonical(text) : NULL;
                if (c)
                        schema_add((int)json_integer_value(json_object_get(v, "id")), text, c);
                free(c);
        }
        json_object_foreach(json_object_get(root, "subjects"), name, v)
        {
                subject_t *s = subject_get(name);
                json_t *x;
                size_t k;
                json_array_foreach(json_object_get(v, "versions"), k, x)
                    version_add(s, (int)json_integer_value(json_object_get(x, "version")),
                                (int)json_integer_value(json_object_get(x, "id")));
                snprintf(s->compat, sizeof(s->compat), "%s",
                         json_string_value(json_object_get(v, "compatibility")) ?: "");
                snprintf(s->mode, sizeof(s->mode), "%s",
                         json_string_value(json_object_get(v, "mode")) ?: "");
        }
        if (json_is_string(json_object_get(root, "compatibility")))
                snprintf(st.compat, sizeof(st.compat), "%s",
                         json_string_value(json_object_get(root, "compatibility")));
        if (json_is_string(json_object_get(root, "mode")))
                snprintf(st.mode, sizeof(st.mode), "%s",
                         json_string_value(json_object_get(root, "mode")));
        json_decref(root);
        return 0;
}

/* ---- Avro schema resolution (the spec's "Schema Resolution") ------------------ */

typedef struct names_s {
        const char *full[256];
        json_t *def[256];
        int n;
} names_t;

typedef struct msgs_s {
        json_t *list; /* array of strings */
} msgs_t;

static void msg(msgs_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg(msgs_t *m, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        json_array_append_new(m->list, json_string(buf));
}

static void full_name(const char *name, const char *ns, char *out, size_t size)
{
        if (strchr(name, '.') || !ns || !*ns)
                snprintf(out, size, "%s", name);
        else
                snprintf(out, size, "%s.%s", ns, name);
}

static bool is_primitive(const char *t)
{
        static const char *const p[] = {"null",  "boolean", "int",   "long",
                                        "float", "double",  "bytes", "string"};
        for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
                if (strcmp(t, p[i]) == 0)
                        return true;
        return false;
}

/* Collects every named type (record, enum, fixed) of schema j. */
static void collect_names(json_t *j, const char *ns, names_t *n)
{
        char full[512];
        const char *type;
        size_t i;
        json_t *x;

        if (json_is_array(j)) {
                json_array_foreach(j, i, x) collect_names(x, ns, n);
                return;
        }
        if (!json_is_object(j))
                return;
        type = json_string_value(json_object_get(j, "type"));
        if (!type) {
                collect_names(json_object_get(j, "type"), ns, n);
                return;
        }
        if (strcmp(type, "record") == 0 || strcmp(type, "enum") == 0 ||
            strcmp(type, "fixed") == 0 || strcmp(type, "error") == 0) {
                const char *name = json_string_value(json_object_get(j, "name"));
                const char *own = json_string_value(json_object_get(j, "namespace"));
                if (!name)
                        return;
                full_name(name, own ? own : ns, full, sizeof(full));
                if (n->n < 256) {
                        n->full[n->n] = strdup(full);
                        n->def[n->n++] = j;
                }
                /* the enclosing namespace of nested types */
                const char *dot = strrchr(full, '.');
                char nns[512] = "";
                if (dot)
                        snprintf(nns, sizeof(nns), "%.*s", (int)(dot - full), full);
                json_array_foreach(json_object_get(j, "fields"), i, x)
                    collect_names(json_object_get(x, "type"), nns, n);
        } else if (strcmp(type, "array") == 0) {
                collect_names(json_object_get(j, "items"), ns, n);
        } else if (strcmp(type, "map") == 0) {
                collect_names(json_object_get(j, "values"), ns, n);
        }
}

static void names_free(names_t *n)
{
        for (int i = 0; i < n->n; i++)
                free((char *)n->full[i]);
        n->n = 0;
}

/* Resolves a name reference to its definition; plain objects and arrays are
 * returned as they are. */
static json_t *deref(json_t *j, const names_t *n)
{
        const char *s = json_string_value(j);
        if (!s || is_primitive(s))
                return j;
        for (int i = 0; i < n->n; i++) {
                const char *f = n->full[i];
                const char *dot = strrchr(f, '.');
                if (strcmp(f, s) == 0 || (dot && strcmp(dot + 1, s) == 0))
                        return n->def[i];
        }
        return j;
}

/* The type name of a (dereferenced) schema: a primitive, or record/enum/... */
static const char *type_of(json_t *j)
{
        if (json_is_string(j))
                return json_string_value(j);
        if (json_is_array(j))
                return "union";
        if (json_is_object(j)) {
                json_t *t = json_object_get(j, "type");
                if (json_is_string(t))
                        return json_string_value(t);
                if (json_is_array(t))
                        return "union";
        }
        return "?";
}

/* {"type": "int", "logicalType": ...} reads as "int"; {"type": [..]} as the union. */
static json_t *unwrap(json_t *j)
{
        if (json_is_object(j)) {
                json_t *t = json_object_get(j, "type");
                if (json_is_array(t))
                        return t;
                if (json_is_string(t) && is_primitive(json_string_value(t)))
                        return t;
        }
        return j;
}

static const char *short_name(json_t *j)
{
        const char *n = json_string_value(json_object_get(j, "name"));
        const char *dot = n ? strrchr(n, '.') : NULL;
        return dot ? dot + 1 : n ? n : "";
}

static bool promotes(const char *w, const char *r)
{
        if (strcmp(w, r) == 0)
                return true;
        if (strcmp(w, "int") == 0)
                return !strcmp(r, "long") || !strcmp(r, "float") || !strcmp(r, "double");
        if (strcmp(w, "long") == 0)
                return !strcmp(r, "float") || !strcmp(r, "double");
        if (strcmp(w, "float") == 0)
                return !strcmp(r, "double");
        if (strcmp(w, "string") == 0)
                return !strcmp(r, "bytes");
        if (strcmp(w, "bytes") == 0)
                return !strcmp(r, "string");
        return false;
}

/* Can data written with writer w be read with reader r? Appends why not to m
 * (when m is given) under path. depth bounds recursive types. */
static bool can_read(json_t *r, const names_t *rn, json_t *w, const names_t *wn, const char *path,
                     msgs_t *m, int depth)
{
        const char *rt, *wt;
        size_t i;
        json_t *x;

        if (depth > 64)
                return true; /* a recursive type seen again: assume it resolves */
        r = unwrap(deref(r, rn));
        w = unwrap(deref(w, wn));
        rt = type_of(r);
        wt = type_of(w);

        if (strcmp(wt, "union") == 0) {
                bool ok = true;
                json_array_foreach(w, i, x)
                {
                        char sub[512];
                        snprintf(sub, sizeof(sub), "%s/%s", path, type_of(unwrap(deref(x, wn))));
                        if (!can_read(r, rn, x, wn, sub, m, depth + 1))
                                ok = false;
                }
                return ok;
        }
        if (strcmp(rt, "union") == 0) {
                json_array_foreach(
                    r, i, x) if (can_read(x, rn, w, wn, path, NULL, depth + 1)) return true;
                if (m)
                        msg(m, "%s: the reader's union has no branch for the writer's %s", path,
                            wt);
                return false;
        }
        if (is_primitive(wt) || is_primitive(rt)) {
                if (promotes(wt, rt))
                        return true;
                if (m)
                        msg(m, "%s: the writer's %s cannot be read as %s", path, wt, rt);
                return false;
        }
        if (strcmp(wt, rt) != 0) {
                if (m)
                        msg(m, "%s: the writer's %s cannot be read as %s", path, wt, rt);
                return false;
        }
        if (strcmp(rt, "array") == 0)
                return can_read(json_object_get(r, "items"), rn, json_object_get(w, "items"), wn,
                                path, m, depth + 1);
        if (strcmp(rt, "map") == 0)
                return can_read(json_object_get(r, "values"), rn, json_object_get(w, "values"), wn,
                                path, m, depth + 1);
        if (strcmp(short_name(r), short_name(w)) != 0) {
                if (m)
                        msg(m, "%s: the writer's %s %s is not the reader's %s", path, wt,
                            short_name(w), short_name(r));
                return false;
        }
        if (strcmp(rt, "fixed") == 0) {
                if (json_integer_value(json_object_get(r, "size")) ==
                    json_integer_value(json_object_get(w, "size")))
                        return true;
                if (m)
                        msg(m, "%s: fixed sizes differ", path);
                return false;
        }
        if (strcmp(rt, "enum") == 0) {
                bool ok = true;
                if (json_object_get(r, "default"))
                        return true;
                json_array_foreach(json_object_get(w, "symbols"), i, x)
                {
                        bool found = false;
                        size_t k;
                        json_t *y;
                        json_array_foreach(json_object_get(r, "symbols"), k,
                                           y) if (json_equal(x, y)) found = true;
                        if (!found) {
                                ok = false;
                                if (m)
                                        msg(m,
                                            "%s: the writer's symbol %s is not in the reader's "
                                            "enum",
                                            path, json_string_value(x));
                        }
                }
                return ok;
        }
        if (strcmp(rt, "record") == 0 || strcmp(rt, "error") == 0) {
                bool ok = true;
                json_array_foreach(json_object_get(r, "fields"), i, x)
                {
                        const char *fname = json_string_value(json_object_get(x, "name"));
                        json_t *wf = NULL, *y;
                        size_t k;
                        char sub[512];
                        if (!fname)
                                continue;
                        snprintf(sub, sizeof(sub), "%s/%s", path, fname);
                        json_array_foreach(json_object_get(w, "fields"), k, y)
                        {
                                const char *wname = json_string_value(json_object_get(y, "name"));
                                if (wname && strcmp(wname, fname) == 0)
                                        wf = y;
                        }
                        if (!wf) {
                                json_t *al;
                                size_t a;
                                json_array_foreach(json_object_get(x, "aliases"), a, al)
                                {
                                        json_array_foreach(json_object_get(w, "fields"), k, y)
                                        {
                                                if (json_equal(json_object_get(y, "name"), al))
                                                        wf = y;
                                        }
                                }
                        }
                        if (wf) {
                                if (!can_read(json_object_get(x, "type"), rn,
                                              json_object_get(wf, "type"), wn, sub, m, depth + 1))
                                        ok = false;
                        } else if (!json_object_get(x, "default")) {
                                ok = false;
                                if (m)
                                        msg(m,
                                            "%s: the reader's field has no default and the writer "
                                            "has no such field",
                                            sub);
                        }
                }
                return ok;
        }
        if (m)
                msg(m, "%s: unknown type %s", path, rt);
        return false;
}

/* Is reader able to read data written with writer (both schema texts)? */
static bool compatible_one(const char *reader, const char *writer, msgs_t *m, const char *what)
{
        json_t *r = json_loads(reader, JSON_DECODE_ANY, NULL);
        json_t *w = json_loads(writer, JSON_DECODE_ANY, NULL);
        names_t rn = {0}, wn = {0};
        bool ok;

        if (!r || !w) {
                json_decref(r);
                json_decref(w);
                if (m)
                        msg(m, "%s: not JSON", what);
                return false;
        }
        collect_names(r, NULL, &rn);
        collect_names(w, NULL, &wn);
        ok = can_read(r, &rn, w, &wn, what, m, 0);
        names_free(&rn);
        names_free(&wn);
        json_decref(r);
        json_decref(w);
        return ok;
}

/* Checks text against the versions of s under level (upto: only versions
 * before that index; -1 = all). */
static bool compatible(const subject_t *s, const char *level, const char *text, msgs_t *m)
{
        bool backward = strstr(level, "BACKWARD") || strstr(level, "FULL");
        bool forward = strstr(level, "FORWARD") || strstr(level, "FULL");
        bool transitive = strstr(level, "TRANSITIVE") != NULL;
        bool ok = true;

        if (!s || s->nv == 0 || strcmp(level, "NONE") == 0)
                return true;
        for (int i = transitive ? 0 : s->nv - 1; i < s->nv; i++) {
                const schema_t *old = schema_by_id(s->v[i].id);
                char what[64];
                if (!old)
                        continue;
                snprintf(what, sizeof(what), "version %d", s->v[i].version);
                if (backward && !compatible_one(text, old->text, m, what))
                        ok = false;
                if (forward && !compatible_one(old->text, text, m, what))
                        ok = false;
        }
        return ok;
}

/* ---- HTTP ---------------------------------------------------------------------- */

typedef struct req_s {
        char *body;
        size_t len;
        bool too_large;
} req_t;

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
        char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        struct MHD_Response *r;
        enum MHD_Result ret;

        json_decref(j);
        if (!text)
                return MHD_NO;
        r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", CTYPE);
        ret = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, int code,
                                  const char *message)
{
        return send_json(c, status, json_pack("{s:i,s:s}", "error_code", code, "message", message));
}

static bool authorized(struct MHD_Connection *c)
{
        char *pass = NULL;
        char *user;
        char want[512];
        bool ok;

        if (!st.user_pass)
                return true;
        user = MHD_basic_auth_get_username_password(c, &pass);
        if (!user) {
                free(pass);
                return false;
        }
        snprintf(want, sizeof(want), "%s:%s", user, pass ? pass : "");
        ok = strcmp(want, st.user_pass) == 0;
        MHD_free(user);
        MHD_free(pass);
        return ok;
}

static bool valid_level(const char *l)
{
        static const char *const v[] = {
            "NONE", "BACKWARD",       "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
            "FULL", "FULL_TRANSITIVE"};
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
                if (strcmp(l, v[i]) == 0)
                        return true;
        return false;
}

static bool valid_mode(const char *m)
{
        return !strcmp(m, "READWRITE") || !strcmp(m, "READONLY") || !strcmp(m, "IMPORT");
}

/* Splits "/a/b/c" into at most 6 parts (decoded in place). */
static int split_path(char *url, char **parts, int max)
{
        int n = 0;
        char *save = NULL;
        for (char *t = strtok_r(url, "/", &save); t && n < max; t = strtok_r(NULL, "/", &save)) {
                MHD_http_unescape(t);
                parts[n++] = t;
        }
        return n;
}

static bool query_true(struct MHD_Connection *c, const char *key)
{
        const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
        return v && strcmp(v, "true") == 0;
}

/* The "schema" member of a request body; sends the error itself on failure. */
static json_t *body_schema(struct MHD_Connection *c, const req_t *rq, const char **text,
                           enum MHD_Result *ret)
{
        json_t *j = rq->body ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
        const char *type;
        *text = NULL;
        if (!j || !json_is_string(json_object_get(j, "schema"))) {
                json_decref(j);
                *ret =
                    send_error(c, 422, 42201, "Invalid schema: the body needs a \"schema\" string");
                return NULL;
        }
        type = json_string_value(json_object_get(j, "schemaType"));
        if (type && strcmp(type, "AVRO") != 0) {
                json_decref(j);
                *ret =
                    send_error(c, 422, 42201, "Only AVRO schemas are supported by this stand-in");
                return NULL;
        }
        *text = json_string_value(json_object_get(j, "schema"));
        return j;
}

static json_t *version_json(const subject_t *s, const version_t *v)
{
        const schema_t *sc = schema_by_id(v->id);
        return json_pack("{s:s,s:i,s:i,s:s}", "subject", s->name, "version", v->version, "id",
                         v->id, "schema", sc ? sc->text : "");
}

static enum MHD_Result do_register(struct MHD_Connection *c, const char *subject, const req_t *rq)
{
        enum MHD_Result ret;
        const char *text;
        json_t *j = body_schema(c, rq, &text, &ret);
        subject_t *s = subject_find(subject);
        const char *mode = subject_mode(s);
        char *canon;
        schema_t *sc;
        json_t *jid, *jver;
        int id, version;

        if (!j)
                return ret;
        canon = canonical(text);
        if (!canon) {
                json_decref(j);
                return send_error(c, 422, 42201, "Invalid schema: not JSON");
        }
        /* Already under this subject: its id, whatever the mode. */
        if (s) {
                for (int i = 0; i < s->nv; i++) {
                        sc = schema_by_id(s->v[i].id);
                        if (sc && strcmp(sc->canon, canon) == 0) {
                                id = sc->id;
                                free(canon);
                                json_decref(j);
                                return send_json(c, 200, json_pack("{s:i}", "id", id));
                        }
                }
        }
        if (strcmp(mode, "READONLY") == 0) {
                free(canon);
                json_decref(j);
                return send_error(c, 422, 42205, "Subject is in read-only mode");
        }
        jid = json_object_get(j, "id");
        jver = json_object_get(j, "version");
        if ((jid || jver) && strcmp(mode, "IMPORT") != 0) {
                free(canon);
                json_decref(j);
                return send_error(
                    c, 422, 42205,
                    "Overwrite new schema with id or version is not permitted outside IMPORT mode");
        }
        if (strcmp(mode, "IMPORT") == 0) {
                if (!json_is_integer(jid)) {
                        free(canon);
                        json_decref(j);
                        return send_error(c, 422, 42205, "IMPORT mode requires an id");
                }
                id = (int)json_integer_value(jid);
                sc = schema_by_id(id);
                if (sc && strcmp(sc->canon, canon) != 0) {
                        free(canon);
                        json_decref(j);
                        return send_error(c, 422, 42205,
                                          "Overwrite new schema with id is not permitted: the id "
                                          "has another schema");
                }
                version = json_is_integer(jver) ? (int)json_integer_value(jver)
                                                : (s && s->nv ? s->v[s->nv - 1].version + 1 : 1);
                if (s) {
                        for (int i = 0; i < s->nv; i++) {
                                if (s->v[i].version == version) {
                                        free(canon);
                                        json_decref(j);
                                        return send_error(
                                            c, 422, 42202,
                                            "Version already exists under this subject");
                                }
                        }
                }
                if (!sc)
                        schema_add(id, text, canon);
        } else {
                msgs_t m = {json_array()};
                if (!compatible(s, subject_compat(s), text, &m)) {
                        char *why = json_dumps(m.list, JSON_COMPACT);
                        char buf[2048];
                        snprintf(buf, sizeof(buf),
                                 "Schema being registered is incompatible with an earlier schema "
                                 "for subject \"%s\": %s",
                                 subject, why ? why : "");
                        free(why);
                        json_decref(m.list);
                        free(canon);
                        json_decref(j);
                        return send_error(c, 409, 409, buf);
                }
                json_decref(m.list);
                sc = schema_by_canon(canon);
                id = sc ? sc->id : max_id() + 1;
                if (!sc)
                        schema_add(id, text, canon);
                version = s && s->nv ? s->v[s->nv - 1].version + 1 : 1;
        }
        s = subject_get(subject);
        version_add(s, version, id);
        save();
        free(canon);
        json_decref(j);
        fprintf(stderr, "swi-registry-standin: registered subject=%s version=%d id=%d\n", subject,
                version, id);
        return send_json(c, 200, json_pack("{s:i}", "id", id));
}

static enum MHD_Result route(struct MHD_Connection *c, const char *method, char *url,
                             const req_t *rq)
{
        char *p[6];
        int n = split_path(url, p, 6);
        bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
        bool put = strcmp(method, "PUT") == 0, del = strcmp(method, "DELETE") == 0;
        json_t *j;
        subject_t *s;

        if (n == 0 && get)
                return send_json(c, 200, json_object());
        if (n == 2 && get && !strcmp(p[0], "schemas") && !strcmp(p[1], "types"))
                return send_json(c, 200, json_pack("[s]", "AVRO"));
        if (n >= 3 && get && !strcmp(p[0], "schemas") && !strcmp(p[1], "ids")) {
                schema_t *sc = schema_by_id(atoi(p[2]));
                if (!sc)
                        return send_error(c, 404, 40403, "Schema not found");
                if (n == 3)
                        return send_json(c, 200, json_pack("{s:s}", "schema", sc->text));
                if (n == 4 && !strcmp(p[3], "versions")) {
                        j = json_array();
                        for (int i = 0; i < st.nsubjects; i++)
                                for (int k = 0; k < st.subjects[i].nv; k++)
                                        if (st.subjects[i].v[k].id == sc->id)
                                                json_array_append_new(
                                                    j, json_pack("{s:s,s:i}", "subject",
                                                                 st.subjects[i].name, "version",
                                                                 st.subjects[i].v[k].version));
                        return send_json(c, 200, j);
                }
        }
        if (n == 1 && get && !strcmp(p[0], "subjects")) {
                j = json_array();
                for (int i = 0; i < st.nsubjects; i++)
                        json_array_append_new(j, json_string(st.subjects[i].name));
                return send_json(c, 200, j);
        }
        if (n >= 2 && !strcmp(p[0], "subjects")) {
                s = subject_find(p[1]);
                if (n == 2 && post) { /* is this schema registered under the subject? */
                        enum MHD_Result ret;
                        const char *text;
                        json_t *b = body_schema(c, rq, &text, &ret);
                        char *canon;
                        if (!b)
                                return ret;
                        if (!s) {
                                json_decref(b);
                                return send_error(c, 404, 40401, "Subject not found");
                        }
                        canon = canonical(text);
                        json_decref(b);
                        for (int i = 0; canon && i < s->nv; i++) {
                                schema_t *sc = schema_by_id(s->v[i].id);
                                if (sc && strcmp(sc->canon, canon) == 0) {
                                        free(canon);
                                        return send_json(c, 200, version_json(s, &s->v[i]));
                                }
                        }
                        free(canon);
                        return send_error(c, 404, 40403, "Schema not found");
                }
                if (n == 2 && del) {
                        if (!s)
                                return send_error(c, 404, 40401, "Subject not found");
                        j = json_array();
                        for (int i = 0; i < s->nv; i++)
                                json_array_append_new(j, json_integer(s->v[i].version));
                        subject_remove(s);
                        save();
                        return send_json(c, 200, j);
                }
                if (n == 3 && !strcmp(p[2], "versions")) {
                        if (post)
                                return do_register(c, p[1], rq);
                        if (!get)
                                goto not_allowed;
                        if (!s)
                                return send_error(c, 404, 40401, "Subject not found");
                        j = json_array();
                        for (int i = 0; i < s->nv; i++)
                                json_array_append_new(j, json_integer(s->v[i].version));
                        return send_json(c, 200, j);
                }
                if ((n == 4 || n == 5) && get && !strcmp(p[2], "versions")) {
                        version_t *v;
                        if (!s)
                                return send_error(c, 404, 40401, "Subject not found");
                        v = version_find(s, p[3]);
                        if (!v)
                                return send_error(c, 404, 40402, "Version not found");
                        if (n == 4)
                                return send_json(c, 200, version_json(s, v));
                        if (!strcmp(p[4], "schema")) {
                                schema_t *sc = schema_by_id(v->id);
                                return send_json(
                                    c, 200,
                                    json_loads(sc ? sc->text : "null", JSON_DECODE_ANY, NULL));
                        }
                }
        }
        if ((n == 1 || n == 2) && (!strcmp(p[0], "config") || !strcmp(p[0], "mode"))) {
                bool is_config = p[0][0] == 'c';
                s = n == 2 ? subject_find(p[1]) : NULL;
                if (get) {
                        const char *v;
                        if (n == 2 && is_config && (!s || !s->compat[0]) &&
                            !query_true(c, "defaultToGlobal"))
                                return send_error(
                                    c, 404, 40408,
                                    "Subject does not have subject-level compatibility configured");
                        v = is_config ? subject_compat(s) : subject_mode(s);
                        return send_json(
                            c, 200,
                            json_pack("{s:s}", is_config ? "compatibilityLevel" : "mode", v));
                }
                if (put) {
                        json_t *b = rq->body ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
                        const char *v = json_string_value(
                            json_object_get(b, is_config ? "compatibility" : "mode"));
                        json_t *out;
                        if (!v || !(is_config ? valid_level(v) : valid_mode(v))) {
                                json_decref(b);
                                return send_error(c, 422, is_config ? 42203 : 42204,
                                                  is_config ? "Invalid compatibility level"
                                                            : "Invalid mode");
                        }
                        if (!is_config && !strcmp(v, "IMPORT") && !query_true(c, "force")) {
                                bool empty = n == 2 ? (!s || s->nv == 0) : st.nschemas == 0;
                                if (!empty) {
                                        json_decref(b);
                                        return send_error(
                                            c, 422, 42205,
                                            "Cannot import since found existing subjects");
                                }
                        }
                        if (n == 2)
                                s = subject_get(p[1]);
                        if (is_config)
                                snprintf(n == 2 ? s->compat : st.compat, sizeof(st.compat), "%s",
                                         v);
                        else
                                snprintf(n == 2 ? s->mode : st.mode, sizeof(st.mode), "%s", v);
                        out = json_pack("{s:s}", is_config ? "compatibility" : "mode", v);
                        json_decref(b);
                        save();
                        return send_json(c, 200, out);
                }
                goto not_allowed;
        }
        if (n == 5 && post && !strcmp(p[0], "compatibility") && !strcmp(p[1], "subjects") &&
            !strcmp(p[3], "versions")) {
                enum MHD_Result ret;
                const char *text;
                json_t *b = body_schema(c, rq, &text, &ret);
                msgs_t m;
                version_t *v;
                bool ok = true;
                const char *level;
                if (!b)
                        return ret;
                s = subject_find(p[2]);
                if (!s || s->nv == 0) {
                        json_decref(b);
                        return send_error(c, 404, 40401, "Subject not found");
                }
                v = version_find(s, p[4]);
                if (!v) {
                        json_decref(b);
                        return send_error(c, 404, 40402, "Version not found");
                }
                m.list = json_array();
                level = subject_compat(s);
                if (strcmp(level, "NONE") != 0) {
                        /* against the named version (and, transitively, all before it) */
                        subject_t one = *s;
                        one.nv = (int)(v - s->v) + 1;
                        ok = compatible(&one, level, text, &m);
                }
                json_decref(b);
                j = json_pack("{s:b}", "is_compatible", ok);
                if (query_true(c, "verbose"))
                        json_object_set(j, "messages", m.list);
                json_decref(m.list);
                return send_json(c, 200, j);
        }
        if (get || post || put || del)
                return send_error(c, 404, 404, "HTTP 404 Not Found");
not_allowed:
        return send_error(c, 405, 405, "HTTP 405 Method Not Allowed");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
        req_t *rq = *con_cls;
        char path[2048];

        if (!rq) {
                rq = calloc(1, sizeof(*rq));
                if (!rq)
                        return MHD_NO;
                *con_cls = rq;
                return MHD_YES;
        }
        if (*upload_size) {
                if (rq->len + *upload_size > BODY_MAX) {
                        rq->too_large = true;
                } else {
                        rq->body = xrealloc(rq->body, rq->len + *upload_size + 1);
                        memcpy(rq->body + rq->len, upload, *upload_size);
                        rq->len += *upload_size;
                        rq->body[rq->len] = '\0';
                }
                *upload_size = 0;
                return MHD_YES;
        }
        if (!authorized(c)) {
                struct MHD_Response *r;
                enum MHD_Result ret;
                const char *msg401 = "{\"error_code\":401,\"message\":\"Unauthorized\"}";
                r = MHD_create_response_from_buffer(strlen(msg401), (void *)msg401,
                                                    MHD_RESPMEM_PERSISTENT);
                MHD_add_response_header(r, "Content-Type", CTYPE);
                ret = MHD_queue_basic_auth_fail_response(c, "swi-registry-standin", r);
                MHD_destroy_response(r);
                return ret;
        }
        if (rq->too_large)
                return send_error(c, 413, 413, "Request body too large");
        snprintf(path, sizeof(path), "%s", url);
        return route(c, method, path, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        req_t *rq = *con_cls;
        if (rq) {
                free(rq->body);
                free(rq);
                *con_cls = NULL;
        }
}

/* Registers DIR/registry.json's schemas with their ids, as an IMPORT would. */
static int preload(const char *dir)
{
        char path[4096];
        json_error_t e;
        json_t *root, *x;
        size_t i;

        snprintf(path, sizeof(path), "%s/registry.json", dir);
        root = json_load_file(path, 0, &e);
        if (!root) {
                fprintf(stderr, "swi-registry-standin: %s: %s\n", path, e.text);
                return -1;
        }
        json_array_foreach(json_object_get(root, "schemas"), i, x)
        {
                const char *file = json_string_value(json_object_get(x, "file"));
                const char *subject = json_string_value(json_object_get(x, "subject"));
                int id = (int)json_integer_value(json_object_get(x, "id"));
                json_t *sj;
                char *text, *canon;
                subject_t *s;
                if (!file || !subject)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, file);
                sj = json_load_file(path, 0, &e);
                if (!sj) {
                        fprintf(stderr, "swi-registry-standin: %s: %s\n", path, e.text);
                        json_decref(root);
                        return -1;
                }
                text = json_dumps(sj, JSON_COMPACT);
                canon = canonical(text);
                json_decref(sj);
                if (!schema_by_id(id))
                        schema_add(id, text, canon);
                s = subject_get(subject);
                version_add(s, (int)json_integer_value(json_object_get(x, "version")), id);
                free(text);
                free(canon);
        }
        json_decref(root);
        save();
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: swi-registry-standin [OPTION]...\n"
                   "A stand-in for a Confluent-compatible schema registry on 127.0.0.1 (tests).\n"
                   "Prints port=N on stdout once listening; runs until SIGINT or SIGTERM.\n"
                   "\n"
                   "  -p, --port N            port (default 0: chosen by the kernel)\n"
                   "  -f, --port-file PATH    write the port to PATH (atomically) once listening\n"
                   "  -u, --user USER:PASS    require HTTP basic auth with these credentials\n"
                   "                          (or the environment variable SWI_STANDIN_USER)\n"
                   "  -d, --data FILE         keep the state in FILE: loaded at start, rewritten\n"
                   "                          after every change (survives a kill)\n"
                   "  -l, --load DIR          register DIR/registry.json's schemas with their ids\n"
                   "                          and versions at start\n"
                   "  -c, --compatibility L   global compatibility level (default BACKWARD)\n"
                   "  -h, --help              this text\n");
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"port", required_argument, NULL, 'p'}, {"port-file", required_argument, NULL, 'f'},
            {"user", required_argument, NULL, 'u'}, {"data", required_argument, NULL, 'd'},
            {"load", required_argument, NULL, 'l'}, {"compatibility", required_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
        };
        const char *port_file = NULL, *load_dir = NULL;
        int port = 0, opt;
        struct sockaddr_in addr;
        struct MHD_Daemon *d;
        const union MHD_DaemonInfo *info;

        st.user_pass = getenv("SWI_STANDIN_USER");
        while ((opt = getopt_long(argc, argv, "p:f:u:d:l:c:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'p':
                        port = atoi(optarg);
                        break;
                case 'f':
                        port_file = optarg;
                        break;
                case 'u':
                        st.user_pass = optarg;
                        break;
                case 'd':
                        st.data_file = optarg;
                        break;
                case 'l':
                        load_dir = optarg;
                        break;
                case 'c':
                        if (!valid_level(optarg)) {
                                fprintf(stderr, "swi-registry-standin: unknown level %s\n", optarg);
                                return 2;
                        }
                        snprintf(st.compat, sizeof(st.compat), "%s", optarg);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (st.data_file && load(st.data_file) != 0) {
                fprintf(stderr, "swi-registry-standin: cannot read %s\n", st.data_file);
                return 1;
        }
        if (load_dir && preload(load_dir) != 0)
                return 1;
        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_port = htons((uint16_t)port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handler,
                             NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED,
                             completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
        if (!d) {
                fprintf(stderr, "swi-registry-standin: cannot listen on 127.0.0.1:%d\n", port);
                return 1;
        }
        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        port = info ? info->port : port;
        printf("port=%d\n", port);
        fflush(stdout);
        if (port_file) {
                char tmp[4096];
                FILE *f;
                snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
                f = fopen(tmp, "w");
                if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
                    rename(tmp, port_file) != 0) {
                        fprintf(stderr, "swi-registry-standin: cannot write %s\n", port_file);
                        MHD_stop_daemon(d);
                        return 1;
                }
        }
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        while (!stop_signal)
                pause();
        MHD_stop_daemon(d);
        if (port_file)
                unlink(port_file);
        return 0;
}
