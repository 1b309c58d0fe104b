/* schema_registry.c - schema id -> writer schema JSON, from the local id map
 * (schema.dir/registry.json) or a Confluent-compatible HTTP registry.
 *
 * Both back ends keep a table sorted by id; the local one is filled at
 * construction, the HTTP one as lookups succeed (ids are immutable in a
 * Confluent registry, so a hit is kept forever). Misses are never cached: an id
 * unknown today may be registered tomorrow. */
#include "schema_registry.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/fileio.h"
#include "../common/log.h"

#define SWI_REG_BACKOFF_MIN_MS  100
#define SWI_REG_RESPONSE_MAX    (1024 * 1024) /* a schema larger than this is not ours */
#define SWI_REG_CONNECT_TIMEOUT 2000L
#define SWI_REG_TIMEOUT         5000L
#define SWI_REG_PING_TIMEOUT    2000L

typedef enum swi_registry_kind_e {
        SWI_REGISTRY_LOCAL,
        SWI_REGISTRY_HTTP,
} swi_registry_kind_t;

typedef struct swi_registry_entry_s {
        int32_t id;
        char *json; /* owned */
} swi_registry_entry_t;

struct swi_registry_s {
        swi_registry_kind_t kind;
        swi_registry_entry_t *entries; /* sorted by id */
        size_t n, cap;
        uint64_t outages;

        /* HTTP back end only. */
        char *base_url;  /* without trailing '/' and without credentials */
        char *user_info; /* "user:password" for basic auth, or NULL */
        CURL *curl;      /* reused: keeps the connection alive */
        char curl_err[CURL_ERROR_SIZE];
        char *resp; /* response buffer, reused */
        size_t resp_len, resp_cap;
        int64_t retry_max_ms;
        int64_t backoff_ms;  /* current delay; 0 when the registry is up */
        int64_t retry_at_ms; /* monotonic time before which no request is made */
};

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int entry_cmp(const void *a, const void *b)
{
        const swi_registry_entry_t *x = a, *y = b;
        return (x->id > y->id) - (x->id < y->id);
}

static swi_registry_entry_t *entry_find(const swi_registry_t *r, int32_t id)
{
        swi_registry_entry_t key = {.id = id};
        if (r->n == 0)
                return NULL;
        return bsearch(&key, r->entries, r->n, sizeof(*r->entries), entry_cmp);
}

/* Inserts (id, json) keeping the table sorted; takes ownership of json on SWI_OK. */
static swi_err_t entry_insert(swi_registry_t *r, int32_t id, char *json)
{
        size_t pos = 0;

        if (r->n == r->cap) {
                size_t cap = r->cap ? r->cap * 2 : 64;
                swi_registry_entry_t *e = realloc(r->entries, cap * sizeof(*e));
                if (!e)
                        return SWI_ERR_NOMEM;
                r->entries = e;
                r->cap = cap;
        }
        while (pos < r->n && r->entries[pos].id < id)
                pos++;
        memmove(&r->entries[pos + 1], &r->entries[pos], (r->n - pos) * sizeof(*r->entries));
        r->entries[pos].id = id;
        r->entries[pos].json = json;
        r->n++;
        return SWI_OK;
}

static swi_registry_t *registry_alloc(swi_registry_kind_t kind)
{
        swi_registry_t *r = calloc(1, sizeof(*r));
        if (r)
                r->kind = kind;
        return r;
}

/* ---- local back end ------------------------------------------------------- */

/* Loads one registry.json entry: reads the .avsc and checks that it is JSON
 * describing the record the entry names. */
static int load_local_entry(swi_registry_t *r, const char *dir, json_t *e, size_t idx, char *errstr,
                            size_t errstr_size)
{
        json_t *jid = json_object_get(e, "id");
        json_t *jfile = json_object_get(e, "file");
        json_t *jname = json_object_get(e, "name");
        json_t *schema = NULL;
        json_error_t jerr;
        char path[4096];
        char *text = NULL;
        size_t len = 0;
        json_int_t id;
        int rc = -1;

        if (!json_is_integer(jid) || !json_is_string(jfile) || !json_is_string(jname)) {
                snprintf(errstr, errstr_size,
                         "%s/registry.json: entry %zu needs integer \"id\", string \"file\" "
                         "and \"name\"",
                         dir, idx);
                goto done;
        }
        id = json_integer_value(jid);
        if (id < 0 || id > INT32_MAX) {
                snprintf(errstr, errstr_size, "%s/registry.json: entry %zu: id out of range", dir,
                         idx);
                goto done;
        }
        if (entry_find(r, (int32_t)id)) {
                snprintf(errstr, errstr_size, "%s/registry.json: duplicate schema id %d", dir,
                         (int)id);
                goto done;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(jfile));
        text = swi_read_file(path, &len);
        if (!text) {
                snprintf(errstr, errstr_size, "schema id %d: cannot read %s: %s", (int)id, path,
                         strerror(errno));
                goto done;
        }
        schema = json_loadb(text, len, 0, &jerr);
        if (!schema) {
                snprintf(errstr, errstr_size, "schema id %d: %s: invalid JSON at line %d: %s",
                         (int)id, path, jerr.line, jerr.text);
                goto done;
        }
        if (!json_is_object(schema) || !json_is_string(json_object_get(schema, "name")) ||
            strcmp(json_string_value(json_object_get(schema, "name")), json_string_value(jname)) !=
                0) {
                snprintf(errstr, errstr_size,
                         "schema id %d: %s is not the record \"%s\" that registry.json names",
                         (int)id, path, json_string_value(jname));
                goto done;
        }
        if (entry_insert(r, (int32_t)id, text) != SWI_OK) {
                snprintf(errstr, errstr_size, "out of memory");
                goto done;
        }
        text = NULL;
        rc = 0;
done:
        json_decref(schema);
        free(text);
        return rc;
}

swi_registry_t *swi_registry_new_local(const char *dir, char *errstr, size_t errstr_size)
{
        swi_registry_t *r = NULL;
        json_t *root = NULL, *list;
        json_error_t jerr;
        char path[4096];
        size_t i;
        int ok = 0;

        assert(dir);
        r = registry_alloc(SWI_REGISTRY_LOCAL);
        if (!r) {
                snprintf(errstr, errstr_size, "out of memory");
                goto done;
        }
        snprintf(path, sizeof(path), "%s/registry.json", dir);
        root = json_load_file(path, 0, &jerr);
        if (!root) {
                snprintf(errstr, errstr_size, "%s: %s (line %d)", path, jerr.text, jerr.line);
                goto done;
        }
        list = json_object_get(root, "schemas");
        if (!json_is_array(list)) {
                snprintf(errstr, errstr_size, "%s: no \"schemas\" array", path);
                goto done;
        }
        for (i = 0; i < json_array_size(list); i++) {
                json_t *e = json_array_get(list, i);
                if (!json_is_object(e)) {
                        snprintf(errstr, errstr_size, "%s: entry %zu is not an object", path, i);
                        goto done;
                }
                if (load_local_entry(r, dir, e, i, errstr, errstr_size) != 0)
                        goto done;
        }
        SWI_LOG_I("registry", "local schema registry loaded", "dir=%s schemas=%zu", dir, r->n);
        ok = 1;
done:
        json_decref(root);
        if (!ok) {
                swi_registry_destroy(r);
                r = NULL;
        }
        return r;
}

/* ---- HTTP back end -------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* curl_global_init() is not thread-safe: do it exactly once per process. */
static void curl_init_once(void)
{
        curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *opaque)
{
        swi_registry_t *r = opaque;
        size_t n = size * nmemb;

        if (r->resp_len + n + 1 > SWI_REG_RESPONSE_MAX)
                return 0; /* makes curl fail with CURLE_WRITE_ERROR */
        if (r->resp_len + n + 1 > r->resp_cap) {
                size_t cap = r->resp_cap ? r->resp_cap : 4096;
                char *p;
                while (cap < r->resp_len + n + 1)
                        cap *= 2;
                p = realloc(r->resp, cap);
                if (!p)
                        return 0;
                r->resp = p;
                r->resp_cap = cap;
        }
        memcpy(r->resp + r->resp_len, data, n);
        r->resp_len += n;
        r->resp[r->resp_len] = '\0';
        return n;
}

/* Moves user:password out of r->base_url into r->user_info (curl's URL
 * parser, so that escapes and IPv6 hosts are handled). */
static swi_err_t take_credentials(swi_registry_t *r, char *errstr, size_t errstr_size)
{
        CURLU *u = curl_url();
        char *user = NULL, *pass = NULL, *clean = NULL;
        swi_err_t rc = SWI_OK;

        if (!u)
                return SWI_ERR_NOMEM;
        if (curl_url_set(u, CURLUPART_URL, r->base_url, 0) != CURLUE_OK) {
                snprintf(errstr, errstr_size, "schema registry URL is not a valid URL");
                rc = SWI_ERR_CONFIG;
                goto done;
        }
        curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
        curl_url_get(u, CURLUPART_PASSWORD, &pass, CURLU_URLDECODE);
        if (!user && !pass)
                goto done;
        free(r->user_info);
        r->user_info = malloc(strlen(user ? user : "") + strlen(pass ? pass : "") + 2);
        if (!r->user_info) {
                rc = SWI_ERR_NOMEM;
                goto done;
        }
        sprintf(r->user_info, "%s:%s", user ? user : "", pass ? pass : "");
        curl_url_set(u, CURLUPART_USER, NULL, 0);
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
        if (curl_url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK) {
                free(r->base_url);
                r->base_url = strdup(clean);
                if (!r->base_url)
                        rc = SWI_ERR_NOMEM;
        }
done:
        curl_free(user);
        curl_free(pass);
        curl_free(clean);
        curl_url_cleanup(u);
        return rc;
}

swi_registry_t *swi_registry_new_http(const char *base_url, int64_t retry_max_ms, char *errstr,
                                      size_t errstr_size)
{
        swi_registry_t *r = NULL;
        size_t len;
        int ok = 0;

        assert(base_url);
        if (retry_max_ms <= 0) {
                snprintf(errstr, errstr_size, "schema registry retry maximum must be positive");
                goto done;
        }
        if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0) {
                snprintf(errstr, errstr_size,
                         "schema registry URL must start with http:// or https://");
                goto done;
        }
        pthread_once(&curl_once, curl_init_once);
        if (curl_init_rc != CURLE_OK) {
                snprintf(errstr, errstr_size, "curl_global_init: %s",
                         curl_easy_strerror(curl_init_rc));
                goto done;
        }
        r = registry_alloc(SWI_REGISTRY_HTTP);
        if (!r) {
                snprintf(errstr, errstr_size, "out of memory");
                goto done;
        }
        r->retry_max_ms = retry_max_ms;
        r->base_url = strdup(base_url);
        if (!r->base_url) {
                snprintf(errstr, errstr_size, "out of memory");
                goto done;
        }
        if (take_credentials(r, errstr, errstr_size) != SWI_OK)
                goto done;
        len = strlen(r->base_url);
        while (len > 0 && r->base_url[len - 1] == '/')
                r->base_url[--len] = '\0';
        r->curl = curl_easy_init();
        if (!r->curl) {
                snprintf(errstr, errstr_size, "curl_easy_init failed");
                goto done;
        }
        curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L); /* we run in worker threads */
        curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, SWI_REG_CONNECT_TIMEOUT);
        curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, SWI_REG_TIMEOUT);
        curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, r->curl_err);
        curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "swi-stream/" SWI_VERSION);
        if (r->user_info) {
                curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
                curl_easy_setopt(r->curl, CURLOPT_USERPWD, r->user_info);
        }
        ok = 1;
done:
        if (!ok) {
                swi_registry_destroy(r);
                r = NULL;
        }
        return r;
}

/* Records a failed attempt: the next request waits 100 ms, then 200, 400, ...
 * up to retry_max_ms. */
static void backoff_fail(swi_registry_t *r)
{
        if (r->backoff_ms == 0)
                r->backoff_ms = SWI_REG_BACKOFF_MIN_MS;
        else
                r->backoff_ms *= 2;
        if (r->backoff_ms > r->retry_max_ms)
                r->backoff_ms = r->retry_max_ms;
        r->retry_at_ms = now_ms() + r->backoff_ms;
}

static void backoff_ok(swi_registry_t *r)
{
        if (r->backoff_ms != 0)
                SWI_LOG_I("registry", "schema registry reachable again", "url=%s", r->base_url);
        r->backoff_ms = 0;
        r->retry_at_ms = 0;
}

/* Extracts and checks the "schema" member of a 200 answer. Returns a malloc'd
 * copy of the schema text, or NULL (what went wrong in why). */
static char *parse_schema_response(const char *body, size_t len, const char **why)
{
        json_t *root = NULL, *schema = NULL;
        json_error_t jerr;
        char *out = NULL;
        const char *text;

        root = json_loadb(body, len, 0, &jerr);
        if (!root) {
                *why = "response is not JSON";
                goto done;
        }
        if (!json_is_string(json_object_get(root, "schema"))) {
                *why = "response has no \"schema\" string";
                goto done;
        }
        text = json_string_value(json_object_get(root, "schema"));
        schema = json_loads(text, JSON_DECODE_ANY, &jerr);
        if (!schema) {
                *why = "\"schema\" is not valid JSON";
                goto done;
        }
        out = strdup(text);
        if (!out)
                *why = "out of memory";
done:
        json_decref(schema);
        json_decref(root);
        return out;
}

static CURLcode perform(swi_registry_t *r, const char *method, const char *url, const char *body,
                        long timeout_ms, long *status);

static swi_err_t http_lookup(swi_registry_t *r, int32_t id, const char **schema_json)
{
        char url[2048];
        CURLcode cc;
        long status = 0;
        const char *why = NULL;
        char *json = NULL;
        swi_err_t err = SWI_ERR_REGISTRY_DOWN;

        if (r->backoff_ms != 0 && now_ms() < r->retry_at_ms)
                goto done; /* still backing off: no request */

        snprintf(url, sizeof(url), "%s/schemas/ids/%d", r->base_url, (int)id);
        cc = perform(r, "GET", url, NULL, SWI_REG_TIMEOUT, &status);
        if (cc != CURLE_OK) {
                backoff_fail(r);
                SWI_LOG_W("registry", "schema registry unreachable",
                          "url=%s id=%d error=\"%s\" retry_in_ms=%lld", r->base_url, (int)id,
                          r->curl_err[0] ? r->curl_err : curl_easy_strerror(cc),
                          (long long)r->backoff_ms);
                goto done;
        }
        if (status == 404) {
                backoff_ok(r);
                err = SWI_ERR_NOT_FOUND;
                goto done;
        }
        if (status != 200) {
                /* 5xx, but also 401/403 and friends: a registry we cannot use is
                 * an outage to retry, never a reason to dead-letter data. */
                backoff_fail(r);
                SWI_LOG_W("registry", "schema registry error",
                          "url=%s id=%d status=%ld "
                          "retry_in_ms=%lld",
                          r->base_url, (int)id, status, (long long)r->backoff_ms);
                goto done;
        }
        json = parse_schema_response(r->resp ? r->resp : "", r->resp_len, &why);
        if (!json) {
                backoff_fail(r);
                SWI_LOG_W("registry", "bad schema registry response",
                          "url=%s id=%d error=\"%s\" retry_in_ms=%lld", r->base_url, (int)id, why,
                          (long long)r->backoff_ms);
                goto done;
        }
        backoff_ok(r);
        if (entry_insert(r, id, json) != SWI_OK) {
                free(json);
                err = SWI_ERR_NOMEM;
                goto done;
        }
        *schema_json = json;
        err = SWI_OK;
done:
        if (err == SWI_ERR_REGISTRY_DOWN)
                r->outages++;
        return err;
}

swi_err_t swi_registry_set_auth(swi_registry_t *r, const char *user_info)
{
        assert(r);
        if (r->kind != SWI_REGISTRY_HTTP || !user_info || !*user_info)
                return SWI_OK;
        if (!strchr(user_info, ':'))
                return SWI_ERR_CONFIG;
        if (r->user_info) {
                memset(r->user_info, 0, strlen(r->user_info));
                free(r->user_info);
        }
        r->user_info = strdup(user_info);
        if (!r->user_info)
                return SWI_ERR_NOMEM;
        curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(r->curl, CURLOPT_USERPWD, r->user_info);
        return SWI_OK;
}

swi_err_t swi_registry_set_tls(swi_registry_t *r, const char *ca_file, const char *cert_file,
                               const char *key_file, const char *key_password)
{
        assert(r);
        if (r->kind != SWI_REGISTRY_HTTP)
                return SWI_OK;
        /* libcurl copies string options. */
        if (ca_file && *ca_file)
                curl_easy_setopt(r->curl, CURLOPT_CAINFO, ca_file);
        if (cert_file && *cert_file)
                curl_easy_setopt(r->curl, CURLOPT_SSLCERT, cert_file);
        if (key_file && *key_file)
                curl_easy_setopt(r->curl, CURLOPT_SSLKEY, key_file);
        if (key_password && *key_password)
                curl_easy_setopt(r->curl, CURLOPT_KEYPASSWD, key_password);
        return SWI_OK;
}

const char *swi_registry_url(const swi_registry_t *r)
{
        assert(r);
        return r->kind == SWI_REGISTRY_HTTP ? r->base_url : "(local)";
}

/* One request on the reused handle; the body goes to r->resp. */
static CURLcode perform(swi_registry_t *r, const char *method, const char *url, const char *body,
                        long timeout_ms, long *status)
{
        struct curl_slist *hdrs = NULL;
        CURLcode cc;

        r->resp_len = 0;
        if (r->resp)
                r->resp[0] = '\0';
        r->curl_err[0] = '\0';
        curl_easy_setopt(r->curl, CURLOPT_URL, url);
        curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS,
                         timeout_ms < SWI_REG_CONNECT_TIMEOUT ? timeout_ms
                                                              : SWI_REG_CONNECT_TIMEOUT);
        if (body) {
                hdrs =
                    curl_slist_append(hdrs, "Content-Type: application/vnd.schemaregistry.v1+json");
                curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        } else {
                curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
        }
        if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
                curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, hdrs);
        cc = curl_easy_perform(r->curl);
        curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
        curl_slist_free_all(hdrs);
        *status = 0;
        if (cc == CURLE_OK)
                curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, status);
        return cc;
}

swi_err_t swi_registry_ping(swi_registry_t *r)
{
        char url[2048];
        long status = 0;
        CURLcode cc;

        assert(r);
        if (r->kind == SWI_REGISTRY_LOCAL)
                return SWI_OK;
        snprintf(url, sizeof(url), "%s/", r->base_url);
        cc = perform(r, "GET", url, NULL, SWI_REG_PING_TIMEOUT, &status);
        if (cc != CURLE_OK || status < 200 || status > 299) {
                SWI_LOG_D("registry", "health check failed", "url=%s status=%ld error=%s",
                          r->base_url, status,
                          cc != CURLE_OK ? (r->curl_err[0] ? r->curl_err : curl_easy_strerror(cc))
                                         : "");
                return SWI_ERR_REGISTRY_DOWN;
        }
        backoff_ok(r);
        return SWI_OK;
}

swi_err_t swi_registry_request(swi_registry_t *r, const char *method, const char *path,
                               const char *body, long *status, const char **response, char *errstr,
                               size_t errstr_size)
{
        char url[4096];
        CURLcode cc;

        assert(r && method && path && status && response);
        if (r->kind != SWI_REGISTRY_HTTP) {
                snprintf(errstr, errstr_size, "not an HTTP registry");
                return SWI_ERR_INVALID_ARG;
        }
        snprintf(url, sizeof(url), "%s%s", r->base_url, path);
        cc = perform(r, method, url, body, SWI_REG_TIMEOUT, status);
        if (cc != CURLE_OK) {
                snprintf(errstr, errstr_size, "%s %s: %s", method, path,
                         r->curl_err[0] ? r->curl_err : curl_easy_strerror(cc));
                return SWI_ERR_REGISTRY_DOWN;
        }
        *response = r->resp ? r->resp : "";
        return SWI_OK;
}

/* ---- common --------------------------------------------------------------- */

swi_err_t swi_registry_lookup(swi_registry_t *r, int32_t id, const char **schema_json)
{
        const swi_registry_entry_t *e;

        assert(r && schema_json);
        e = entry_find(r, id);
        if (e) {
                *schema_json = e->json;
                return SWI_OK;
        }
        if (r->kind == SWI_REGISTRY_LOCAL)
                return SWI_ERR_NOT_FOUND;
        return http_lookup(r, id, schema_json);
}

uint64_t swi_registry_outages(const swi_registry_t *r)
{
        assert(r);
        return r->outages;
}

void swi_registry_destroy(swi_registry_t *r)
{
        size_t i;

        if (!r)
                return;
        for (i = 0; i < r->n; i++)
                free(r->entries[i].json);
        free(r->entries);
        if (r->curl)
                curl_easy_cleanup(r->curl);
        free(r->resp);
        free(r->base_url);
        if (r->user_info) {
                memset(r->user_info, 0, strlen(r->user_info));
                free(r->user_info);
        }
        free(r);
}
