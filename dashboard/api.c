#include "api.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define MAX_PARAMS   16
#define MAX_KEY      64
#define MAX_VALUE    256
#define MAX_MEASURES 32
#define JSON_FLAGS   (JSON_COMPACT | JSON_REAL_PRECISION(15))

typedef struct dim_s {
        char *name;
        bool closed; /* every category is listed (all but nationaliteit) */
        int ncats;
        char **cats;
} dim_t;

typedef struct table_s {
        char *breakdown;
        int family;
        int ndims;
        char *dims[2];
} table_t;

struct swi_api_s {
        swi_db_t *db;
        swi_api_opts_t opts;
        pthread_mutex_t lock;
        bool loaded; /* code tables read and the role checked; then read-only */
        char *meta;  /* the /meta answer */
        size_t meta_len;
        table_t *tables;
        int ntables;
        dim_t *dims;
        int ndims;
        char **measures;
        int nmeasures;
};

/* ---- responses ------------------------------------------------------------------- */

static void respond_json(swi_api_response_t *out, int status, json_t *j, int64_t max_age)
{
        out->status = status;
        out->body = json_dumps(j, JSON_FLAGS);
        out->len = out->body ? strlen(out->body) : 0;
        out->max_age_s = max_age;
        out->allow = NULL;
        json_decref(j);
        if (!out->body) {
                out->status = 500;
                out->body = strdup("{\"error\":{\"status\":500,\"message\":\"out of memory\"}}");
                out->len = out->body ? strlen(out->body) : 0;
        }
}

void swi_api_error(swi_api_response_t *out, int status, const char *parameter, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_t *e = json_pack("{s:i, s:s}", "status", status, "message", msg);
        if (e && parameter)
                json_object_set_new(e, "parameter", json_string(parameter));
        respond_json(out, status, json_pack("{s:o}", "error", e), 0);
}

/* The database failed: 503 when it is unreachable, else 500 (logged: a
 * statement of ours failed, which is a bug or a schema mismatch). */
static void db_failed(swi_api_response_t *out, bool unavailable, const char *what, const char *err)
{
        if (unavailable) {
                SWI_LOG_W("api", "database unavailable", "query=%s error=\"%s\"", what, err);
                swi_api_error(out, 503, NULL, "the database is unavailable; try again shortly");
                return;
        }
        if (strstr(err, "statement timeout") || strstr(err, "canceling statement")) {
                SWI_LOG_W("api", "query timed out", "query=%s", what);
                swi_api_error(out, 503, NULL, "the query took too long; narrow the selection");
                return;
        }
        SWI_LOG_E("api", "query failed", "query=%s error=\"%s\"", what, err);
        swi_api_error(out, 500, NULL, "internal error (see the server log)");
}

/* ---- JSON values from text cells --------------------------------------------------- */

static json_t *jstr(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *jbool(const char *s)
{
        return s ? json_boolean(s[0] == 't') : json_null();
}

static json_t *jint(const char *s)
{
        return s ? json_integer(strtoll(s, NULL, 10)) : json_null();
}

/* A published value: an integer for counts, a number with decimals otherwise. */
static json_t *jvalue(const char *s, const char *unit)
{
        if (!s)
                return json_null();
        if (unit && (!strcmp(unit, "personen") || !strcmp(unit, "gebeurtenissen")) &&
            !strchr(s, '.'))
                return json_integer(strtoll(s, NULL, 10));
        return json_real(strtod(s, NULL));
}

static json_t *jnum(const char *s)
{
        return s ? json_real(strtod(s, NULL)) : json_null();
}

/* ---- code tables (loaded once) ------------------------------------------------------ */

static const char *sql_tables = "SELECT breakdown, family, onderwerp, titel, titel_en, dim1, dim2 "
                                "FROM swi_pub.tabellen ORDER BY volgorde";
static const char *sql_dims =
    "SELECT dimensie, label, label_en, omschrijving FROM swi_pub.dimensies ORDER BY dimensie";
static const char *sql_cats = "SELECT dimensie, code, label, label_en FROM swi_pub.categorieen "
                              "ORDER BY dimensie, volgorde";
static const char *sql_measures =
    "SELECT measure, label, label_en, unit FROM swi_pub.maten ORDER BY measure";
static const char *sql_gemeenten =
    "SELECT code, naam, arbeidsmarktregio, provincie "
    "FROM swi_pub.gemeenten WHERE laatste_dag IS NULL ORDER BY volgorde";
static const char *sql_regios =
    "SELECT code, naam FROM swi_pub.arbeidsmarktregios ORDER BY volgorde";
static const char *sql_provincies = "SELECT code, naam FROM swi_pub.provincies ORDER BY volgorde";

static void free_codes(swi_api_t *api)
{
        for (int i = 0; i < api->ntables; i++) {
                free(api->tables[i].breakdown);
                free(api->tables[i].dims[0]);
                free(api->tables[i].dims[1]);
        }
        for (int i = 0; i < api->ndims; i++) {
                for (int k = 0; k < api->dims[i].ncats; k++)
                        free(api->dims[i].cats[k]);
                free(api->dims[i].cats);
                free(api->dims[i].name);
        }
        for (int i = 0; i < api->nmeasures; i++)
                free(api->measures[i]);
        free(api->tables);
        free(api->dims);
        free(api->measures);
        free(api->meta);
        api->tables = NULL;
        api->dims = NULL;
        api->measures = NULL;
        api->meta = NULL;
        api->ntables = api->ndims = api->nmeasures = 0;
}

static char *dupn(const char *s)
{
        return s ? strdup(s) : NULL;
}

/* Runs the code-table queries; NULL + errstr (and *unavailable) on failure. */
static swi_db_rows_t *load_query(swi_api_t *api, const char *sql, bool *unavailable, char *errstr,
                                 size_t errstr_size)
{
        return swi_db_query(api->db, sql, 0, NULL, unavailable, errstr, errstr_size);
}

static int load_codes(swi_api_t *api, bool *unavailable, char *errstr, size_t errstr_size)
{
        const char *sqls[] = {sql_tables,    sql_dims,   sql_cats,      sql_measures,
                              sql_gemeenten, sql_regios, sql_provincies};
        swi_db_rows_t *r[7] = {NULL};
        json_t *meta = NULL;
        int rc = -1;

        for (int i = 0; i < 7; i++) {
                r[i] = load_query(api, sqls[i], unavailable, errstr, errstr_size);
                if (!r[i])
                        goto done;
        }
        json_t *tables = json_array(), *dims = json_object(), *measures = json_object();
        json_t *gem = json_array(), *reg = json_array(), *prov = json_array();
        meta = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "tables", tables, "dimensions",
                         dims, "measures", measures, "gemeenten", gem, "regios", reg, "provincies",
                         prov, "version", SWI_VERSION);
        int n = swi_db_rows_count(r[0]);
        api->tables = calloc((size_t)n, sizeof(table_t));
        for (int i = 0; api->tables && i < n; i++) {
                table_t *t = &api->tables[api->ntables++];
                const char *d1 = swi_db_rows_get(r[0], i, 5), *d2 = swi_db_rows_get(r[0], i, 6);
                t->breakdown = dupn(swi_db_rows_get(r[0], i, 0));
                t->family = atoi(swi_db_rows_get(r[0], i, 1));
                t->dims[0] = dupn(d1);
                t->dims[1] = dupn(d2);
                t->ndims = d2 ? 2 : d1 ? 1 : 0;
                json_t *jd = json_array();
                for (int k = 0; k < t->ndims; k++)
                        json_array_append_new(jd, json_string(t->dims[k]));
                json_array_append_new(tables,
                                      json_pack("{s:s, s:i, s:o, s:o, s:o, s:o}", "breakdown",
                                                t->breakdown, "family", t->family, "onderwerp",
                                                jstr(swi_db_rows_get(r[0], i, 2)), "titel",
                                                jstr(swi_db_rows_get(r[0], i, 3)), "titel_en",
                                                jstr(swi_db_rows_get(r[0], i, 4)), "dims", jd));
        }
        n = swi_db_rows_count(r[1]);
        api->dims = calloc((size_t)n, sizeof(dim_t));
        for (int i = 0; api->dims && i < n; i++) {
                dim_t *d = &api->dims[api->ndims++];
                d->name = dupn(swi_db_rows_get(r[1], i, 0));
                d->closed = strcmp(d->name, "nationaliteit") != 0;
                json_object_set_new(dims, d->name,
                                    json_pack("{s:o, s:o, s:o, s:[]}", "label",
                                              jstr(swi_db_rows_get(r[1], i, 1)), "label_en",
                                              jstr(swi_db_rows_get(r[1], i, 2)), "omschrijving",
                                              jstr(swi_db_rows_get(r[1], i, 3)), "categories"));
        }
        n = swi_db_rows_count(r[2]);
        for (int i = 0; i < n; i++) {
                const char *dn = swi_db_rows_get(r[2], i, 0), *code = swi_db_rows_get(r[2], i, 1);
                for (int k = 0; k < api->ndims; k++) {
                        dim_t *d = &api->dims[k];
                        if (strcmp(d->name, dn) != 0)
                                continue;
                        char **grown = realloc(d->cats, (size_t)(d->ncats + 1) * sizeof(char *));
                        if (grown) {
                                d->cats = grown;
                                d->cats[d->ncats++] = strdup(code);
                        }
                        json_array_append_new(
                            json_object_get(json_object_get(dims, dn), "categories"),
                            json_pack("{s:s, s:o, s:o}", "code", code, "label",
                                      jstr(swi_db_rows_get(r[2], i, 2)), "label_en",
                                      jstr(swi_db_rows_get(r[2], i, 3))));
                }
        }
        n = swi_db_rows_count(r[3]);
        api->measures = calloc((size_t)n, sizeof(char *));
        for (int i = 0; api->measures && i < n; i++) {
                const char *m = swi_db_rows_get(r[3], i, 0);
                api->measures[api->nmeasures++] = strdup(m);
                json_object_set_new(measures, m,
                                    json_pack("{s:o, s:o, s:o}", "label",
                                              jstr(swi_db_rows_get(r[3], i, 1)), "label_en",
                                              jstr(swi_db_rows_get(r[3], i, 2)), "unit",
                                              jstr(swi_db_rows_get(r[3], i, 3))));
        }
        for (int i = 0; i < swi_db_rows_count(r[4]); i++)
                json_array_append_new(gem, json_pack("{s:o, s:o, s:o, s:o}", "code",
                                                     jstr(swi_db_rows_get(r[4], i, 0)), "naam",
                                                     jstr(swi_db_rows_get(r[4], i, 1)), "regio",
                                                     jstr(swi_db_rows_get(r[4], i, 2)), "provincie",
                                                     jstr(swi_db_rows_get(r[4], i, 3))));
        for (int k = 5; k <= 6; k++)
                for (int i = 0; i < swi_db_rows_count(r[k]); i++)
                        json_array_append_new(k == 5 ? reg : prov,
                                              json_pack("{s:o, s:o}", "code",
                                                        jstr(swi_db_rows_get(r[k], i, 0)), "naam",
                                                        jstr(swi_db_rows_get(r[k], i, 1))));
        api->meta = json_dumps(meta, JSON_FLAGS);
        if (!api->meta || !api->tables || !api->dims || !api->measures) {
                snprintf(errstr, errstr_size, "out of memory");
                free_codes(api);
                goto done;
        }
        api->meta_len = strlen(api->meta);
        rc = 0;
done:
        json_decref(meta);
        for (int i = 0; i < 7; i++)
                swi_db_rows_free(r[i]);
        return rc;
}

/* Loads the code tables and checks the role once. false (and *out answered)
 * when the dashboard cannot serve yet. */
static bool ensure_loaded(swi_api_t *api, swi_api_response_t *out)
{
        char err[512];
        bool unavailable = false, ok = true;

        pthread_mutex_lock(&api->lock);
        if (!api->loaded) {
                if (api->opts.require_analyst) {
                        swi_err_t rc = swi_db_check_role(api->db, err, sizeof(err));
                        if (rc == SWI_ERR_CONFIG) {
                                SWI_LOG_E("api", "refusing to serve figures", "reason=\"%s\"", err);
                                swi_api_error(
                                    out, 503, NULL,
                                    "the dashboard is misconfigured (see the server log)");
                                ok = false;
                        } else if (rc != SWI_OK) {
                                db_failed(out, true, "role", err);
                                ok = false;
                        }
                }
                if (ok && load_codes(api, &unavailable, err, sizeof(err)) != 0) {
                        db_failed(out, unavailable, "code tables", err);
                        ok = false;
                }
                api->loaded = ok;
        }
        pthread_mutex_unlock(&api->lock);
        return ok;
}

static const table_t *find_table(const swi_api_t *api, const char *breakdown)
{
        for (int i = 0; i < api->ntables; i++)
                if (!strcmp(api->tables[i].breakdown, breakdown))
                        return &api->tables[i];
        return NULL;
}

static const dim_t *find_dim(const swi_api_t *api, const char *name)
{
        for (int i = 0; i < api->ndims; i++)
                if (!strcmp(api->dims[i].name, name))
                        return &api->dims[i];
        return NULL;
}

static bool known_measure(const swi_api_t *api, const char *m, size_t len)
{
        for (int i = 0; i < api->nmeasures; i++)
                if (strlen(api->measures[i]) == len && !strncmp(api->measures[i], m, len))
                        return true;
        return false;
}

/* ---- parameters ---------------------------------------------------------------------- */

/* Valid UTF-8 without control characters. */
static bool clean_text(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                int n = 0;
                if (*p < 0x20 || *p == 0x7f)
                        return false;
                if (*p < 0x80)
                        n = 0;
                else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
                        n = 1;
                else if ((*p & 0xf0) == 0xe0)
                        n = 2;
                else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
                        n = 3;
                else
                        return false;
                p++;
                for (int i = 0; i < n; i++, p++)
                        if ((*p & 0xc0) != 0x80)
                                return false;
        }
        return true;
}

/* The checks every endpoint shares: names, values, repeats, count. */
static bool params_sane(const swi_api_param_t *params, int n, swi_api_response_t *out)
{
        if (n > MAX_PARAMS) {
                swi_api_error(out, 400, NULL, "too many parameters (at most %d)", MAX_PARAMS);
                return false;
        }
        for (int i = 0; i < n; i++) {
                const char *k = params[i].key, *v = params[i].value;
                size_t kl = strlen(k);
                if (kl == 0 || kl > MAX_KEY ||
                    strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") != kl) {
                        swi_api_error(out, 400, NULL,
                                      "invalid parameter name (lower-case letters, digits and _ "
                                      "only, at most %d)",
                                      MAX_KEY);
                        return false;
                }
                if (!v || !*v) {
                        swi_api_error(out, 400, k, "parameter %s has no value", k);
                        return false;
                }
                if (strlen(v) > MAX_VALUE || !clean_text(v)) {
                        swi_api_error(out, 400, k,
                                      "parameter %s: the value must be UTF-8 text without control "
                                      "characters, at most %d bytes",
                                      k, MAX_VALUE);
                        return false;
                }
                for (int j = 0; j < i; j++)
                        if (!strcmp(params[j].key, k)) {
                                swi_api_error(out, 400, k, "parameter %s is given more than once",
                                              k);
                                return false;
                        }
        }
        return true;
}

static const char *param(const swi_api_param_t *params, int n, const char *key)
{
        for (int i = 0; i < n; i++)
                if (!strcmp(params[i].key, key))
                        return params[i].value;
        return NULL;
}

/* Every parameter must be one of allowed (NULL-terminated) or, when t is
 * given, a dimension of t. */
static bool params_known(const swi_api_param_t *params, int n, const char *const *allowed,
                         const table_t *t, swi_api_response_t *out)
{
        for (int i = 0; i < n; i++) {
                bool ok = false;
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = !strcmp(*a, params[i].key);
                for (int k = 0; t && k < t->ndims && !ok; k++)
                        ok = !strcmp(t->dims[k], params[i].key);
                if (!ok) {
                        if (t)
                                swi_api_error(out, 400, params[i].key,
                                              "unknown parameter %s for breakdown %s",
                                              params[i].key, t->breakdown);
                        else
                                swi_api_error(out, 400, params[i].key, "unknown parameter %s",
                                              params[i].key);
                        return false;
                }
        }
        return true;
}

static bool valid_cohort(const char *v)
{
        if (!strcmp(v, "*"))
                return true;
        if (strlen(v) != 4 || strspn(v, "0123456789") != 4)
                return false;
        int y = atoi(v);
        return y >= 1900 && y <= 2200;
}

static bool valid_doelgroep(const char *v)
{
        return !strcmp(v, "ASIEL") || !strcmp(v, "GEZIN") || !strcmp(v, "OVERIG") ||
               !strcmp(v, "*");
}

/* A category of dimension d: listed, or for an open dimension (nationaliteit)
 * an ISO 3166-1 alpha-3 code. */
static bool valid_category(const dim_t *d, const char *v)
{
        for (int i = 0; i < d->ncats; i++)
                if (!strcmp(d->cats[i], v))
                        return true;
        return !d->closed && strlen(v) == 3 && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

/* Checks a comma list of measures and builds its PostgreSQL array literal
 * ({a,b}: every measure is [a-z0-9_], so no quoting is needed). */
static bool measure_list(const swi_api_t *api, const char *v, char *arr, size_t arr_size,
                         swi_api_response_t *out)
{
        size_t used = 0;
        int count = 0;
        const char *p = v;

        arr[used++] = '{';
        for (;;) {
                const char *c = strchr(p, ',');
                size_t len = c ? (size_t)(c - p) : strlen(p);
                if (len == 0 || !known_measure(api, p, len)) {
                        swi_api_error(out, 400, "measure", "unknown measure \"%.*s\"",
                                      (int)(len > 64 ? 64 : len), p);
                        return false;
                }
                if (++count > MAX_MEASURES || used + len + 2 >= arr_size) {
                        swi_api_error(out, 400, "measure", "too many measures (at most %d)",
                                      MAX_MEASURES);
                        return false;
                }
                if (count > 1)
                        arr[used++] = ',';
                memcpy(arr + used, p, len);
                used += len;
                if (!c)
                        break;
                p = c + 1;
        }
        arr[used++] = '}';
        arr[used] = '\0';
        return true;
}

static bool parse_limit(const char *v, long lo, long hi, long *out_v)
{
        char *end;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < lo || x > hi)
                return false;
        *out_v = x;
        return true;
}

/* ---- publications ---------------------------------------------------------------------- */

static const char *sql_publication =
    "SELECT name, peildatum, known_at, rounding_base, threshold, frozen, description "
    "FROM swi_pub.publications WHERE name = $1";

/* Looks the publication up; its peildatum into peil (for the table query).
 * NULL with *out answered when it does not exist or the database fails. */
static json_t *publication(swi_api_t *api, const char *name, char *peil, size_t peil_size,
                           swi_api_response_t *out)
{
        char err[512];
        bool unavailable = false;
        const char *p[1] = {name};
        swi_db_rows_t *r =
            swi_db_query(api->db, sql_publication, 1, p, &unavailable, err, sizeof(err));
        json_t *j;

        if (!r) {
                db_failed(out, unavailable, "publication", err);
                return NULL;
        }
        if (swi_db_rows_count(r) == 0) {
                swi_db_rows_free(r);
                swi_api_error(out, 404, "publication", "no publication named \"%s\"", name);
                return NULL;
        }
        snprintf(peil, peil_size, "%s", swi_db_rows_get(r, 0, 1));
        j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", jstr(swi_db_rows_get(r, 0, 0)),
                      "peildatum", jstr(swi_db_rows_get(r, 0, 1)), "known_at",
                      jstr(swi_db_rows_get(r, 0, 2)), "rounding_base",
                      jint(swi_db_rows_get(r, 0, 3)), "threshold", jint(swi_db_rows_get(r, 0, 4)),
                      "frozen", jbool(swi_db_rows_get(r, 0, 5)), "description",
                      jstr(swi_db_rows_get(r, 0, 6)));
        swi_db_rows_free(r);
        return j;
}

static const char *sql_publications =
    "SELECT p.name, p.peildatum, p.known_at, p.rounding_base, p.threshold, p.frozen, "
    "       p.frozen_at, p.description, h.name, h.known_at, "
    "       (SELECT string_agg(c, ',' ORDER BY c = '*', c) FROM (SELECT DISTINCT v.cohort AS c "
    "          FROM swi_pub.indicator_values v WHERE v.publication = p.name "
    "           AND v.family = 1 AND v.breakdown = 'populatie_geslacht') x) "
    "  FROM swi_pub.publications p "
    "  LEFT JOIN swi_pub.publications h ON h.name = 'herberekening:' || p.name "
    " WHERE p.name NOT LIKE 'herberekening:%' "
    " ORDER BY p.name <> 'actueel', p.peildatum DESC, p.name";

static void handle_publications(swi_api_t *api, const swi_api_param_t *params, int n,
                                swi_api_response_t *out)
{
        static const char *const allowed[] = {NULL};
        char err[512];
        bool unavailable = false;
        swi_db_rows_t *r;
        json_t *list;

        if (!params_known(params, n, allowed, NULL, out))
                return;
        r = swi_db_query(api->db, sql_publications, 0, NULL, &unavailable, err, sizeof(err));
        if (!r) {
                db_failed(out, unavailable, "publications", err);
                return;
        }
        list = json_array();
        for (int i = 0; i < swi_db_rows_count(r); i++) {
                json_t *cohorts = json_array();
                const char *c = swi_db_rows_get(r, i, 10);
                while (c && *c) {
                        const char *e = strchr(c, ',');
                        size_t len = e ? (size_t)(e - c) : strlen(c);
                        json_array_append_new(cohorts, json_stringn(c, len));
                        c = e ? e + 1 : NULL;
                }
                json_array_append_new(
                    list, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                                    "name", jstr(swi_db_rows_get(r, i, 0)), "peildatum",
                                    jstr(swi_db_rows_get(r, i, 1)), "known_at",
                                    jstr(swi_db_rows_get(r, i, 2)), "rounding_base",
                                    jint(swi_db_rows_get(r, i, 3)), "threshold",
                                    jint(swi_db_rows_get(r, i, 4)), "frozen",
                                    jbool(swi_db_rows_get(r, i, 5)), "frozen_at",
                                    jstr(swi_db_rows_get(r, i, 6)), "description",
                                    jstr(swi_db_rows_get(r, i, 7)), "recomputation",
                                    jstr(swi_db_rows_get(r, i, 8)), "recomputed_at",
                                    jstr(swi_db_rows_get(r, i, 9)), "cohorts", cohorts));
        }
        swi_db_rows_free(r);
        respond_json(out, 200, json_pack("{s:o}", "publications", list), api->opts.cache_s);
}

/* ---- one breakdown ------------------------------------------------------------------------ */

static const char *sql_table =
    "SELECT v.cohort, v.doelgroep, v.dim1_value, v.dim2_value, v.measure, v.unit, v.value, "
    "       v.onderdrukt, v.reden, v.noemer "
    "  FROM swi_pub.indicator_values v "
    "  LEFT JOIN swi_pub.categorieen cd ON cd.dimensie = 'doelgroep' AND cd.code = v.doelgroep "
    "  LEFT JOIN swi_pub.categorieen c1 ON c1.dimensie = v.dim1_name AND c1.code = v.dim1_value "
    "  LEFT JOIN swi_pub.categorieen c2 ON c2.dimensie = v.dim2_name AND c2.code = v.dim2_value "
    " WHERE v.publication = $1 AND v.peildatum = $2::date AND v.family = $3::int "
    "   AND v.breakdown = $4 "
    "   AND ($5::text IS NULL OR v.cohort = $5) AND ($6::text IS NULL OR v.doelgroep = $6) "
    "   AND ($7::text[] IS NULL OR v.measure = ANY ($7::text[])) "
    "   AND ($8::text IS NULL OR v.dim1_value = $8) AND ($9::text IS NULL OR v.dim2_value = $9) "
    " ORDER BY v.cohort = '*', v.cohort, cd.volgorde, c1.volgorde, v.dim1_value, c2.volgorde, "
    "          v.dim2_value, v.measure "
    " LIMIT $10::int";

static void handle_table(swi_api_t *api, const swi_api_param_t *params, int n,
                         swi_api_response_t *out)
{
        static const char *const allowed[] = {"publication", "breakdown", "cohort",
                                              "doelgroep",   "measure",   NULL};
        const char *pub = param(params, n, "publication"), *bd = param(params, n, "breakdown");
        const char *cohort = param(params, n, "cohort"), *dg = param(params, n, "doelgroep");
        const char *measure = param(params, n, "measure");
        const char *dimv[2] = {NULL, NULL};
        char peil[32], family[16], limit[32], arr[MAX_MEASURES * (MAX_KEY + 1) + 3];
        char err[512];
        bool unavailable = false;
        const table_t *t;
        json_t *pj, *rows, *measures, *filters, *dims;
        swi_db_rows_t *r;

        if (!bd) {
                swi_api_error(out, 400, "breakdown", "parameter breakdown is required");
                return;
        }
        t = find_table(api, bd);
        if (!t) {
                swi_api_error(out, 400, "breakdown",
                              "unknown breakdown \"%s\" (see /api/v1/meta, tables)", bd);
                return;
        }
        if (!params_known(params, n, allowed, t, out))
                return;
        if (!pub) {
                swi_api_error(out, 400, "publication", "parameter publication is required");
                return;
        }
        if (cohort && !valid_cohort(cohort)) {
                swi_api_error(out, 400, "cohort", "cohort must be a year (e.g. 2023) or *");
                return;
        }
        if (dg && !valid_doelgroep(dg)) {
                swi_api_error(out, 400, "doelgroep", "doelgroep must be ASIEL, GEZIN, OVERIG or *");
                return;
        }
        if (measure && !measure_list(api, measure, arr, sizeof(arr), out))
                return;
        for (int k = 0; k < t->ndims; k++) {
                const dim_t *d = find_dim(api, t->dims[k]);
                dimv[k] = param(params, n, t->dims[k]);
                if (dimv[k] && (!d || !valid_category(d, dimv[k]))) {
                        swi_api_error(out, 400, t->dims[k], "unknown %s \"%s\" (see /api/v1/meta)",
                                      t->dims[k], dimv[k]);
                        return;
                }
        }
        pj = publication(api, pub, peil, sizeof(peil), out);
        if (!pj)
                return;
        snprintf(family, sizeof(family), "%d", t->family);
        snprintf(limit, sizeof(limit), "%lld", (long long)api->opts.rows_max + 1);
        const char *p[10] = {pub,     peil,    family, bd, cohort, dg, measure ? arr : NULL,
                             dimv[0], dimv[1], limit};
        r = swi_db_query(api->db, sql_table, 10, p, &unavailable, err, sizeof(err));
        if (!r) {
                json_decref(pj);
                db_failed(out, unavailable, "table", err);
                return;
        }
        if (swi_db_rows_count(r) > api->opts.rows_max) {
                swi_db_rows_free(r);
                json_decref(pj);
                swi_api_error(out, 400, NULL,
                              "the selection has more than %lld rows; filter on cohort, "
                              "doelgroep, measure or a dimension",
                              (long long)api->opts.rows_max);
                return;
        }
        rows = json_array();
        measures = json_object();
        for (int i = 0; i < swi_db_rows_count(r); i++) {
                const char *m = swi_db_rows_get(r, i, 4), *unit = swi_db_rows_get(r, i, 5);
                json_t *dv = json_array();
                for (int k = 0; k < t->ndims; k++)
                        json_array_append_new(dv, jstr(swi_db_rows_get(r, i, 2 + k)));
                if (!json_object_get(measures, m))
                        json_object_set_new(measures, m,
                                            json_pack("{s:s, s:o}", "unit", unit, "noemer",
                                                      jstr(swi_db_rows_get(r, i, 9))));
                json_array_append_new(rows, json_pack("{s:o, s:o, s:o, s:s, s:o, s:o, s:o}",
                                                      "cohort", jstr(swi_db_rows_get(r, i, 0)),
                                                      "doelgroep", jstr(swi_db_rows_get(r, i, 1)),
                                                      "dims", dv, "measure", m, "value",
                                                      jvalue(swi_db_rows_get(r, i, 6), unit),
                                                      "onderdrukt", jbool(swi_db_rows_get(r, i, 7)),
                                                      "reden", jstr(swi_db_rows_get(r, i, 8))));
        }
        swi_db_rows_free(r);
        dims = json_array();
        filters = json_object();
        for (int k = 0; k < t->ndims; k++) {
                json_array_append_new(dims, json_string(t->dims[k]));
                if (dimv[k])
                        json_object_set_new(filters, t->dims[k], json_string(dimv[k]));
        }
        if (cohort)
                json_object_set_new(filters, "cohort", json_string(cohort));
        if (dg)
                json_object_set_new(filters, "doelgroep", json_string(dg));
        if (measure)
                json_object_set_new(filters, "measure", json_string(measure));
        respond_json(out, 200,
                     json_pack("{s:o, s:s, s:i, s:o, s:o, s:o, s:o}", "publication", pj,
                               "breakdown", bd, "family", t->family, "dims", dims, "filters",
                               filters, "measures", measures, "rows", rows),
                     api->opts.cache_s);
}

/* ---- revisions ------------------------------------------------------------------------------ */

/* The same comparison as the view swi_pub.revisions (003/006), written with the
 * two publications as parameters so that both sides are index scans and one
 * join serves the counts and the largest changes (the view's join reads the
 * whole indicator table). kind 's': counts per breakdown and status; 'r': rows. */
static const char *sql_revision_pub =
    "SELECT p.frozen, h.name IS NOT NULL, h.known_at, p.peildatum, p.known_at "
    "  FROM swi_pub.publications p "
    "  LEFT JOIN swi_pub.publications h ON h.name = 'herberekening:' || p.name "
    " WHERE p.name = $1";
static const char *sql_revisions =
    "WITH g AS (SELECT * FROM swi_pub.indicator_values WHERE publication = $1 "
    "             AND ($2::text IS NULL OR breakdown = $2)), "
    "     h AS (SELECT * FROM swi_pub.indicator_values WHERE publication = 'herberekening:' || $1 "
    "             AND ($2::text IS NULL OR breakdown = $2)), "
    "     j AS MATERIALIZED ( "
    "  SELECT coalesce(g.family, h.family) AS family, coalesce(g.breakdown, h.breakdown) AS "
    "breakdown, "
    "         coalesce(g.cohort, h.cohort) AS cohort, coalesce(g.doelgroep, h.doelgroep) AS "
    "doelgroep, "
    "         coalesce(g.dim1_name, h.dim1_name) AS dim1_name, coalesce(g.dim1_value, "
    "h.dim1_value) AS dim1_value, "
    "         coalesce(g.dim2_name, h.dim2_name) AS dim2_name, coalesce(g.dim2_value, "
    "h.dim2_value) AS dim2_value, "
    "         coalesce(g.measure, h.measure) AS measure, coalesce(g.unit, h.unit) AS unit, "
    "         g.value AS published_value, h.value AS current_value, h.value - g.value AS "
    "difference, "
    "         g.onderdrukt AS published_onderdrukt, h.onderdrukt AS current_onderdrukt, "
    "         CASE WHEN h.cell IS NULL THEN 'dropped' WHEN g.cell IS NULL THEN 'new' "
    "              WHEN g.value IS NOT DISTINCT FROM h.value AND g.onderdrukt = h.onderdrukt "
    "              THEN 'unchanged' ELSE 'changed' END AS status "
    "    FROM g FULL JOIN h ON h.peildatum = g.peildatum AND h.cell = g.cell) "
    "SELECT 's', family::text, breakdown, status, count(*)::text, NULL, NULL, NULL, NULL, NULL, "
    "       NULL, NULL, NULL, NULL, NULL, NULL "
    "  FROM j GROUP BY family, breakdown, status "
    "UNION ALL "
    "(SELECT 'r', NULL, breakdown, status, cohort, doelgroep, dim1_name, dim1_value, dim2_name, "
    "        dim2_value, measure, unit, published_value::text, current_value::text, "
    "        difference::text, coalesce(published_onderdrukt::text, '') || ',' || "
    "        coalesce(current_onderdrukt::text, '') "
    "   FROM j "
    "  WHERE CASE WHEN $3::text IS NULL THEN status <> 'unchanged' ELSE status = $3 END "
    "  ORDER BY abs(difference) DESC NULLS LAST, breakdown, cohort, doelgroep, dim1_value, "
    "           dim2_value, measure "
    "  LIMIT $4::int)";

#define REV_CACHE 8

/* A frozen publication changes only when its recomputation is written again:
 * answers are kept per request, valid while the recomputation's known_at is. */
typedef struct rev_entry_s {
        char *key; /* publication \x1f breakdown \x1f status \x1f limit \x1f known_at */
        char *body;
        uint64_t used;
} rev_entry_t;

static pthread_mutex_t rev_lock = PTHREAD_MUTEX_INITIALIZER;
static rev_entry_t rev_cache[REV_CACHE];
static uint64_t rev_clock;

static bool rev_cached(const char *key, swi_api_response_t *out, int64_t max_age)
{
        bool hit = false;
        pthread_mutex_lock(&rev_lock);
        for (int i = 0; i < REV_CACHE && !hit; i++) {
                if (rev_cache[i].key && !strcmp(rev_cache[i].key, key)) {
                        out->body = strdup(rev_cache[i].body);
                        hit = out->body != NULL;
                        rev_cache[i].used = ++rev_clock;
                }
        }
        pthread_mutex_unlock(&rev_lock);
        if (hit) {
                out->status = 200;
                out->len = strlen(out->body);
                out->max_age_s = max_age;
        }
        return hit;
}

static void rev_store(const char *key, const char *body)
{
        int victim = 0;
        pthread_mutex_lock(&rev_lock);
        for (int i = 1; i < REV_CACHE; i++)
                if (rev_cache[i].used < rev_cache[victim].used)
                        victim = i;
        free(rev_cache[victim].key);
        free(rev_cache[victim].body);
        rev_cache[victim].key = strdup(key);
        rev_cache[victim].body = strdup(body);
        rev_cache[victim].used = ++rev_clock;
        pthread_mutex_unlock(&rev_lock);
}

static void handle_revisions(swi_api_t *api, const swi_api_param_t *params, int n,
                             swi_api_response_t *out)
{
        static const char *const allowed[] = {"publication", "breakdown", "status", "limit", NULL};
        const char *pub = param(params, n, "publication"), *bd = param(params, n, "breakdown");
        const char *status = param(params, n, "status"), *lim = param(params, n, "limit");
        char err[512], limit[16], key[1200];
        bool unavailable = false;
        long lv = 100;
        swi_db_rows_t *r;

        if (!params_known(params, n, allowed, NULL, out))
                return;
        if (!pub) {
                swi_api_error(out, 400, "publication", "parameter publication is required");
                return;
        }
        if (bd && !find_table(api, bd)) {
                swi_api_error(out, 400, "breakdown", "unknown breakdown \"%s\"", bd);
                return;
        }
        if (status && strcmp(status, "changed") && strcmp(status, "new") &&
            strcmp(status, "dropped") && strcmp(status, "unchanged")) {
                swi_api_error(out, 400, "status",
                              "status must be changed, new, dropped or unchanged");
                return;
        }
        if (lim && !parse_limit(lim, 1, 1000, &lv)) {
                swi_api_error(out, 400, "limit", "limit must be an integer from 1 to 1000");
                return;
        }
        snprintf(limit, sizeof(limit), "%ld", lv);
        const char *p1[1] = {pub};
        r = swi_db_query(api->db, sql_revision_pub, 1, p1, &unavailable, err, sizeof(err));
        if (!r) {
                db_failed(out, unavailable, "revisions", err);
                return;
        }
        if (swi_db_rows_count(r) == 0) {
                swi_db_rows_free(r);
                swi_api_error(out, 404, "publication", "no publication named \"%s\"", pub);
                return;
        }
        if (strcmp(swi_db_rows_get(r, 0, 0), "t") || strcmp(swi_db_rows_get(r, 0, 1), "t")) {
                swi_db_rows_free(r);
                swi_api_error(out, 404, "publication",
                              "publication \"%s\" is not frozen or has no recomputation", pub);
                return;
        }
        json_t *head =
            json_pack("{s:s, s:o, s:o, s:o}", "name", pub, "peildatum",
                      jstr(swi_db_rows_get(r, 0, 3)), "known_at", jstr(swi_db_rows_get(r, 0, 4)),
                      "recomputed_at", jstr(swi_db_rows_get(r, 0, 2)));
        snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s\x1f%s", pub, bd ? bd : "",
                 status ? status : "", limit, swi_db_rows_get(r, 0, 2));
        swi_db_rows_free(r);
        if (rev_cached(key, out, api->opts.cache_s)) {
                json_decref(head);
                return;
        }
        const char *p4[4] = {pub, bd, status, limit};
        r = swi_db_query(api->db, sql_revisions, 4, p4, &unavailable, err, sizeof(err));
        if (!r) {
                json_decref(head);
                db_failed(out, unavailable, "revisions", err);
                return;
        }
        json_t *summary = json_array(), *rows = json_array();
        for (int i = 0; i < swi_db_rows_count(r); i++) {
                if (swi_db_rows_get(r, i, 0)[0] == 's') {
                        json_array_append_new(summary,
                                              json_pack("{s:o, s:o, s:o, s:o}", "family",
                                                        jint(swi_db_rows_get(r, i, 1)), "breakdown",
                                                        jstr(swi_db_rows_get(r, i, 2)), "status",
                                                        jstr(swi_db_rows_get(r, i, 3)), "cells",
                                                        jint(swi_db_rows_get(r, i, 4))));
                        continue;
                }
                const char *unit = swi_db_rows_get(r, i, 11), *supp = swi_db_rows_get(r, i, 15);
                json_t *dims = json_object();
                for (int k = 0; k < 2; k++)
                        if (swi_db_rows_get(r, i, 6 + 2 * k))
                                json_object_set_new(dims, swi_db_rows_get(r, i, 6 + 2 * k),
                                                    jstr(swi_db_rows_get(r, i, 7 + 2 * k)));
                /* "t,f", ",t" (new: no published value), "f," (dropped) */
                const char *comma = supp ? strchr(supp, ',') : NULL;
                json_t *ps = supp && supp[0] != ',' ? json_boolean(supp[0] == 't') : json_null();
                json_t *cs = comma && comma[1] ? json_boolean(comma[1] == 't') : json_null();
                json_array_append_new(
                    rows, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                                    "breakdown", jstr(swi_db_rows_get(r, i, 2)), "cohort",
                                    jstr(swi_db_rows_get(r, i, 4)), "doelgroep",
                                    jstr(swi_db_rows_get(r, i, 5)), "dims", dims, "measure",
                                    jstr(swi_db_rows_get(r, i, 10)), "unit", jstr(unit),
                                    "published_value", jvalue(swi_db_rows_get(r, i, 12), unit),
                                    "current_value", jvalue(swi_db_rows_get(r, i, 13), unit),
                                    "difference", jvalue(swi_db_rows_get(r, i, 14), unit),
                                    "published_onderdrukt", ps, "current_onderdrukt", cs, "status",
                                    jstr(swi_db_rows_get(r, i, 3))));
        }
        swi_db_rows_free(r);
        respond_json(
            out, 200,
            json_pack("{s:o, s:o, s:o}", "publication", head, "summary", summary, "rows", rows),
            api->opts.cache_s);
        if (out->status == 200)
                rev_store(key, out->body);
}

/* ---- status and health ----------------------------------------------------------------------- */

static const char *sql_sources =
    "SELECT source, newest_registered_at, offsets_updated_at, committed_messages, "
    "       dead_letters_24h FROM swi_pub.source_status ORDER BY source";
static const char *sql_live = "SELECT batches, since, p50_s, p99_s, max_s, now() "
                              "FROM swi_pub.publish_freshness";
static const char *sql_actueel = "SELECT peildatum, known_at FROM swi_pub.publications "
                                 "WHERE name = 'actueel'";

static void handle_status(swi_api_t *api, const swi_api_param_t *params, int n,
                          swi_api_response_t *out)
{
        static const char *const allowed[] = {NULL};
        char err[512];
        bool unavailable = false;
        swi_db_rows_t *s, *l = NULL, *a = NULL;

        if (!params_known(params, n, allowed, NULL, out))
                return;
        s = swi_db_query(api->db, sql_sources, 0, NULL, &unavailable, err, sizeof(err));
        if (s)
                l = swi_db_query(api->db, sql_live, 0, NULL, &unavailable, err, sizeof(err));
        if (l)
                a = swi_db_query(api->db, sql_actueel, 0, NULL, &unavailable, err, sizeof(err));
        if (!a) {
                swi_db_rows_free(s);
                swi_db_rows_free(l);
                db_failed(out, unavailable, "status", err);
                return;
        }
        json_t *sources = json_array();
        for (int i = 0; i < swi_db_rows_count(s); i++)
                json_array_append_new(
                    sources,
                    json_pack("{s:o, s:o, s:o, s:o, s:o}", "source", jstr(swi_db_rows_get(s, i, 0)),
                              "newest_registered_at", jstr(swi_db_rows_get(s, i, 1)),
                              "offsets_updated_at", jstr(swi_db_rows_get(s, i, 2)),
                              "committed_messages", jint(swi_db_rows_get(s, i, 3)),
                              "dead_letters_24h", jint(swi_db_rows_get(s, i, 4))));
        bool one = swi_db_rows_count(l) == 1, act = swi_db_rows_count(a) == 1;
        json_t *live = json_pack("{s:o, s:o, s:o, s:o, s:o}", "batches",
                                 one ? jint(swi_db_rows_get(l, 0, 0)) : json_null(), "since",
                                 one ? jstr(swi_db_rows_get(l, 0, 1)) : json_null(), "p50_s",
                                 one ? jnum(swi_db_rows_get(l, 0, 2)) : json_null(), "p99_s",
                                 one ? jnum(swi_db_rows_get(l, 0, 3)) : json_null(), "max_s",
                                 one ? jnum(swi_db_rows_get(l, 0, 4)) : json_null());
        json_t *j = json_pack(
            "{s:o, s:o, s:o, s:o}", "now", one ? jstr(swi_db_rows_get(l, 0, 5)) : json_null(),
            "sources", sources, "live", live, "actueel",
            json_pack("{s:o, s:o}", "peildatum", act ? jstr(swi_db_rows_get(a, 0, 0)) : json_null(),
                      "updated_at", act ? jstr(swi_db_rows_get(a, 0, 1)) : json_null()));
        swi_db_rows_free(s);
        swi_db_rows_free(l);
        swi_db_rows_free(a);
        respond_json(out, 200, j, 0);
}

static void handle_health(swi_api_t *api, swi_api_response_t *out)
{
        char err[512];
        bool unavailable = false;
        swi_db_rows_t *r =
            swi_db_query(api->db, "SELECT 1", 0, NULL, &unavailable, err, sizeof(err));
        if (!r) {
                respond_json(out, 503,
                             json_pack("{s:s, s:s}", "status", "unavailable", "database", "down"),
                             0);
                return;
        }
        swi_db_rows_free(r);
        respond_json(out, 200, json_pack("{s:s, s:s}", "status", "ok", "database", "ok"), 0);
}

/* ---- entry points ------------------------------------------------------------------------------
 */

swi_api_t *swi_api_new(swi_db_t *db, const swi_api_opts_t *opts, char *errstr, size_t errstr_size)
{
        swi_api_t *api = calloc(1, sizeof(*api));
        if (!api) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        api->db = db;
        api->opts = *opts;
        pthread_mutex_init(&api->lock, NULL);
        return api;
}

void swi_api_destroy(swi_api_t *api)
{
        if (!api)
                return;
        free_codes(api);
        pthread_mutex_lock(&rev_lock);
        for (int i = 0; i < REV_CACHE; i++) {
                free(rev_cache[i].key);
                free(rev_cache[i].body);
                rev_cache[i].key = rev_cache[i].body = NULL;
        }
        pthread_mutex_unlock(&rev_lock);
        pthread_mutex_destroy(&api->lock);
        free(api);
}

void swi_api_warm(swi_api_t *api)
{
        swi_api_response_t r;
        json_error_t e;
        json_t *root, *pub;
        size_t i;
        int warmed = 0;

        swi_api_handle(api, "/api/v1/publications", NULL, 0, &r);
        root = r.status == 200 ? json_loadb(r.body, r.len, 0, &e) : NULL;
        free(r.body);
        json_array_foreach(json_object_get(root, "publications"), i, pub)
        {
                const char *name = json_string_value(json_object_get(pub, "name"));
                if (!name || !json_is_string(json_object_get(pub, "recomputation")))
                        continue;
                /* the front end's request (web/src/js/pages/publicaties.js) */
                swi_api_param_t p[2] = {{"publication", name}, {"limit", "100"}};
                swi_api_handle(api, "/api/v1/revisions", p, 2, &r);
                if (r.status == 200)
                        warmed++;
                free(r.body);
        }
        json_decref(root);
        SWI_LOG_I("api", "revisions computed ahead", "publications=%d", warmed);
}

void swi_api_handle(swi_api_t *api, const char *path, const swi_api_param_t *params, int n,
                    swi_api_response_t *out)
{
        memset(out, 0, sizeof(*out));
        if (!params_sane(params, n, out))
                return;
        if (!strcmp(path, "/api/v1/health")) {
                static const char *const none[] = {NULL};
                if (params_known(params, n, none, NULL, out))
                        handle_health(api, out);
                return;
        }
        if (strcmp(path, "/api/v1/meta") && strcmp(path, "/api/v1/publications") &&
            strcmp(path, "/api/v1/table") && strcmp(path, "/api/v1/revisions") &&
            strcmp(path, "/api/v1/status")) {
                swi_api_error(out, 404, NULL, "no such API endpoint (see /api/v1/meta)");
                return;
        }
        if (!ensure_loaded(api, out))
                return;
        if (!strcmp(path, "/api/v1/meta")) {
                static const char *const none[] = {NULL};
                if (!params_known(params, n, none, NULL, out))
                        return;
                out->status = 200;
                out->body = strdup(api->meta);
                out->len = out->body ? api->meta_len : 0;
                out->max_age_s = api->opts.cache_s;
                if (!out->body)
                        swi_api_error(out, 500, NULL, "out of memory");
        } else if (!strcmp(path, "/api/v1/publications")) {
                handle_publications(api, params, n, out);
        } else if (!strcmp(path, "/api/v1/table")) {
                handle_table(api, params, n, out);
        } else if (!strcmp(path, "/api/v1/revisions")) {
                handle_revisions(api, params, n, out);
        } else {
                handle_status(api, params, n, out);
        }
}
