/* check_schema_registry.c - local id map and the HTTP (Confluent) back end,
 * the latter against a real HTTP server started in the test (libmicrohttpd). */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "ingest/schema_registry.h"

#define SCHEMA_DIR SWI_SOURCE_DIR "/schemas"

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* ---- local ---------------------------------------------------------------- */

START_TEST(test_schema_registry_local_lookup)
{
        char errstr[256] = "";
        swi_registry_t *r = swi_registry_new_local(SCHEMA_DIR, errstr, sizeof(errstr));
        const char *json = NULL, *again = NULL;

        ck_assert_msg(r != NULL, "%s", errstr);
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        ck_assert_ptr_nonnull(strstr(json, "\"AsielaanvraagIngediend\""));
        ck_assert_int_eq(swi_registry_lookup(r, 1, &again), SWI_OK);
        ck_assert_ptr_eq(json, again);
        ck_assert_int_eq(swi_registry_lookup(r, 40, &json), SWI_OK);
        ck_assert_ptr_nonnull(strstr(json, "\"nl.swi.gemeente\""));
        ck_assert_ptr_nonnull(strstr(json, "\"Intrekking\""));
        /* Old versions stay in the map: v1 of BredeIntakeAfgerond is id 100. */
        ck_assert_int_eq(swi_registry_lookup(r, 100, &json), SWI_OK);
        ck_assert_ptr_nonnull(strstr(json, "\"BredeIntakeAfgerond\""));
        ck_assert_ptr_null(strstr(json, "jonge_kinderen"));
        ck_assert_int_eq(swi_registry_lookup(r, 26, &json), SWI_OK);
        ck_assert_ptr_nonnull(strstr(json, "jonge_kinderen"));
        ck_assert_uint_eq(swi_registry_outages(r), 0);
        swi_registry_destroy(r);
}
END_TEST

START_TEST(test_schema_registry_local_unknown_id)
{
        char errstr[256] = "";
        swi_registry_t *r = swi_registry_new_local(SCHEMA_DIR, errstr, sizeof(errstr));
        const char *json = NULL;

        ck_assert_msg(r != NULL, "%s", errstr);
        ck_assert_int_eq(swi_registry_lookup(r, 0, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(swi_registry_lookup(r, 41, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(swi_registry_lookup(r, -1, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(swi_registry_lookup(r, 999999, &json), SWI_ERR_NOT_FOUND);
        ck_assert_ptr_null(json);
        ck_assert_uint_eq(swi_registry_outages(r), 0);
        swi_registry_destroy(r);
        swi_registry_destroy(NULL);
}
END_TEST

static void write_text(const char *dir, const char *name, const char *text)
{
        char path[512];
        FILE *fp;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fp = fopen(path, "w");
        ck_assert_ptr_nonnull(fp);
        fputs(text, fp);
        fclose(fp);
}

START_TEST(test_schema_registry_local_bad_dir)
{
        char errstr[256] = "";
        char dir[] = "/tmp/check_schema_registry.XXXXXX";
        char path[512];

        ck_assert_ptr_null(swi_registry_new_local("/nonexistent/dir", errstr, sizeof(errstr)));
        ck_assert_ptr_nonnull(strstr(errstr, "registry.json"));

        ck_assert_ptr_nonnull(mkdtemp(dir));
        /* A listed file that is missing fails construction. */
        write_text(dir, "registry.json",
                   "{\"schemas\":[{\"id\":1,\"name\":\"X\",\"file\":\"x.avsc\"}]}");
        errstr[0] = '\0';
        ck_assert_ptr_null(swi_registry_new_local(dir, errstr, sizeof(errstr)));
        ck_assert_ptr_nonnull(strstr(errstr, "x.avsc"));
        /* ... and so does one that is not JSON. */
        write_text(dir, "x.avsc", "{\"type\": \"record\", \"name\": ");
        errstr[0] = '\0';
        ck_assert_ptr_null(swi_registry_new_local(dir, errstr, sizeof(errstr)));
        ck_assert_ptr_nonnull(strstr(errstr, "invalid JSON"));
        /* ... or JSON of another record than the map names. */
        write_text(dir, "x.avsc", "{\"type\": \"record\", \"name\": \"Y\", \"fields\": []}");
        ck_assert_ptr_null(swi_registry_new_local(dir, errstr, sizeof(errstr)));
        /* Duplicate ids. */
        write_text(dir, "x.avsc", "{\"type\": \"record\", \"name\": \"X\", \"fields\": []}");
        write_text(dir, "registry.json",
                   "{\"schemas\":[{\"id\":1,\"name\":\"X\",\"file\":\"x.avsc\"},"
                   "{\"id\":1,\"name\":\"X\",\"file\":\"x.avsc\"}]}");
        ck_assert_ptr_null(swi_registry_new_local(dir, errstr, sizeof(errstr)));
        ck_assert_ptr_nonnull(strstr(errstr, "duplicate"));

        snprintf(path, sizeof(path), "%s/x.avsc", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/registry.json", dir);
        unlink(path);
        rmdir(dir);
}
END_TEST

/* ---- HTTP ----------------------------------------------------------------- */

/* The fake registry serves id 1 (the IND AsielaanvraagIngediend schema),
 * answers 500 for id 3 and 404 for everything else. */
typedef struct fake_s {
        struct MHD_Daemon *daemon;
        uint16_t port;
        atomic_int requests;
        char *schema1_response;
        const char *user_pass; /* basic auth required when set */
} fake_t;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        fake_t *f = cls;
        struct MHD_Response *resp;
        const char *body = "{\"error_code\":40403,\"message\":\"Schema not found\"}";
        unsigned status = MHD_HTTP_NOT_FOUND;
        enum MHD_Result ret;

        atomic_fetch_add(&f->requests, 1);
        if (f->user_pass) {
                char *pass = NULL, *user = MHD_basic_auth_get_username_password(conn, &pass);
                char got[256];
                snprintf(got, sizeof(got), "%s:%s", user ? user : "", pass ? pass : "");
                MHD_free(user);
                MHD_free(pass);
                if (strcmp(got, f->user_pass) != 0) {
                        body = "{\"error_code\":401,\"message\":\"Unauthorized\"}";
                        resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                               MHD_RESPMEM_MUST_COPY);
                        ret = MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, resp);
                        MHD_destroy_response(resp);
                        return ret;
                }
        }
        if (strcmp(url, "/") == 0) {
                body = "{}";
                status = MHD_HTTP_OK;
        } else if (strcmp(url, "/schemas/ids/1") == 0) {
                body = f->schema1_response;
                status = MHD_HTTP_OK;
        } else if (strcmp(url, "/schemas/ids/3") == 0) {
                body = "{\"error_code\":50001,\"message\":\"store error\"}";
                status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
        resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(resp, "Content-Type", "application/vnd.schemaregistry.v1+json");
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static void fake_start(fake_t *f)
{
        struct sockaddr_in addr;
        const union MHD_DaemonInfo *info;

        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_port = htons(f->port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        f->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, f->port, NULL, NULL,
                                     on_request, f, MHD_OPTION_SOCK_ADDR, &addr,
                                     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
        ck_assert_ptr_nonnull(f->daemon);
        info = MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
        ck_assert_ptr_nonnull(info);
        f->port = info->port;
}

static void fake_stop(fake_t *f)
{
        MHD_stop_daemon(f->daemon);
        f->daemon = NULL;
}

static void fake_init(fake_t *f)
{
        char errstr[256];
        swi_registry_t *local = swi_registry_new_local(SCHEMA_DIR, errstr, sizeof(errstr));
        const char *schema = NULL;
        json_t *resp;

        ck_assert_msg(local != NULL, "%s", errstr);
        ck_assert_int_eq(swi_registry_lookup(local, 1, &schema), SWI_OK);
        memset(f, 0, sizeof(*f));
        resp = json_pack("{s:s}", "schema", schema);
        f->schema1_response = json_dumps(resp, JSON_COMPACT);
        json_decref(resp);
        swi_registry_destroy(local);
        fake_start(f);
}

static void fake_fini(fake_t *f)
{
        if (f->daemon)
                fake_stop(f);
        free(f->schema1_response);
}

static swi_registry_t *http_registry(const fake_t *f, int64_t retry_max_ms)
{
        char url[64], errstr[256] = "";
        swi_registry_t *r;

        snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)f->port);
        r = swi_registry_new_http(url, retry_max_ms, errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        return r;
}

START_TEST(test_schema_registry_http_lookup)
{
        fake_t f;
        swi_registry_t *r;
        const char *json = NULL, *again = NULL;

        fake_init(&f);
        r = http_registry(&f, 1000);
        ck_assert_int_eq(atomic_load(&f.requests), 0); /* construction does not connect */
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        ck_assert_ptr_nonnull(strstr(json, "\"AsielaanvraagIngediend\""));
        ck_assert_ptr_nonnull(strstr(json, "\"fields\""));
        ck_assert_int_eq(atomic_load(&f.requests), 1);
        /* Cached forever: no second request. */
        ck_assert_int_eq(swi_registry_lookup(r, 1, &again), SWI_OK);
        ck_assert_ptr_eq(json, again);
        ck_assert_int_eq(atomic_load(&f.requests), 1);
        /* 404 is NOT_FOUND and is not cached (the id may be registered later). */
        ck_assert_int_eq(swi_registry_lookup(r, 2, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(swi_registry_lookup(r, 2, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(atomic_load(&f.requests), 3);
        ck_assert_uint_eq(swi_registry_outages(r), 0);
        swi_registry_destroy(r);
        fake_fini(&f);
}
END_TEST

START_TEST(test_schema_registry_http_5xx_is_down)
{
        fake_t f;
        swi_registry_t *r;
        const char *json = NULL;
        int before;

        fake_init(&f);
        r = http_registry(&f, 1000);
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        ck_assert_int_eq(swi_registry_lookup(r, 3, &json), SWI_ERR_REGISTRY_DOWN);
        ck_assert_uint_eq(swi_registry_outages(r), 1);
        before = atomic_load(&f.requests);
        /* In back-off: uncached ids fail at once, cached ones still resolve. */
        ck_assert_int_eq(swi_registry_lookup(r, 2, &json), SWI_ERR_REGISTRY_DOWN);
        ck_assert_int_eq(atomic_load(&f.requests), before);
        ck_assert_uint_eq(swi_registry_outages(r), 2);
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        sleep_ms(150);
        ck_assert_int_eq(swi_registry_lookup(r, 2, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(atomic_load(&f.requests), before + 1);
        swi_registry_destroy(r);
        fake_fini(&f);
}
END_TEST

START_TEST(test_schema_registry_http_down_backoff)
{
        fake_t f;
        swi_registry_t *r;
        const char *json = NULL;
        int before;

        fake_init(&f);
        r = http_registry(&f, 1000);
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        fake_stop(&f);

        /* Cache hit after the registry went away. */
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        ck_assert_ptr_nonnull(strstr(json, "AsielaanvraagIngediend"));
        ck_assert_uint_eq(swi_registry_outages(r), 0);

        /* Unreachable: REGISTRY_DOWN, never NOT_FOUND; back-off 100 ms. */
        ck_assert_int_eq(swi_registry_lookup(r, 4, &json), SWI_ERR_REGISTRY_DOWN);
        ck_assert_uint_eq(swi_registry_outages(r), 1);
        ck_assert_int_eq(swi_registry_lookup(r, 4, &json), SWI_ERR_REGISTRY_DOWN);
        ck_assert_uint_eq(swi_registry_outages(r), 2);

        /* Back up, but we are still backing off: no request is made. */
        before = atomic_load(&f.requests);
        fake_start(&f);
        ck_assert_int_eq(swi_registry_lookup(r, 4, &json), SWI_ERR_REGISTRY_DOWN);
        ck_assert_int_eq(atomic_load(&f.requests), before);
        sleep_ms(150);
        ck_assert_int_eq(swi_registry_lookup(r, 4, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(atomic_load(&f.requests), before + 1);

        /* Down again: the delay doubles on each failed attempt (100, 200 ms). */
        fake_stop(&f);
        ck_assert_int_eq(swi_registry_lookup(r, 5, &json), SWI_ERR_REGISTRY_DOWN);
        sleep_ms(150);
        ck_assert_int_eq(swi_registry_lookup(r, 5, &json), SWI_ERR_REGISTRY_DOWN);
        before = atomic_load(&f.requests);
        fake_start(&f);
        sleep_ms(100);
        ck_assert_int_eq(swi_registry_lookup(r, 5, &json), SWI_ERR_REGISTRY_DOWN);
        ck_assert_int_eq(atomic_load(&f.requests), before);
        sleep_ms(250);
        ck_assert_int_eq(swi_registry_lookup(r, 5, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        ck_assert_uint_eq(swi_registry_outages(r), 6);
        swi_registry_destroy(r);
        fake_fini(&f);
}
END_TEST

START_TEST(test_schema_registry_http_backoff_capped)
{
        fake_t f;
        swi_registry_t *r;
        const char *json = NULL;
        int before;

        fake_init(&f);
        r = http_registry(&f, 40); /* cap below the 100 ms start */
        fake_stop(&f);
        ck_assert_int_eq(swi_registry_lookup(r, 7, &json), SWI_ERR_REGISTRY_DOWN);
        before = atomic_load(&f.requests);
        fake_start(&f);
        sleep_ms(80);
        ck_assert_int_eq(swi_registry_lookup(r, 7, &json), SWI_ERR_NOT_FOUND);
        ck_assert_int_eq(atomic_load(&f.requests), before + 1);
        swi_registry_destroy(r);
        fake_fini(&f);
}
END_TEST

START_TEST(test_schema_registry_http_bad_config)
{
        char errstr[256] = "";

        ck_assert_ptr_null(swi_registry_new_http("127.0.0.1:8081", 1000, errstr, sizeof(errstr)));
        ck_assert_str_ne(errstr, "");
        errstr[0] = '\0';
        ck_assert_ptr_null(
            swi_registry_new_http("http://127.0.0.1:8081", 0, errstr, sizeof(errstr)));
        ck_assert_str_ne(errstr, "");
}
END_TEST

START_TEST(test_schema_registry_http_basic_auth)
{
        fake_t f;
        swi_registry_t *r;
        const char *json = NULL;
        char url[128], errstr[256] = "";

        fake_init(&f);
        f.user_pass = "alice:s3cr3t-pw";
        /* Credentials in the URL are used, and kept out of the URL shown. */
        snprintf(url, sizeof(url), "http://alice:s3cr3t-pw@127.0.0.1:%u/", (unsigned)f.port);
        r = swi_registry_new_http(url, 1000, errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        ck_assert_ptr_null(strstr(swi_registry_url(r), "s3cr3t"));
        ck_assert_ptr_null(strstr(swi_registry_url(r), "alice"));
        ck_assert_ptr_nonnull(strstr(swi_registry_url(r), "127.0.0.1"));
        ck_assert_int_eq(swi_registry_ping(r), SWI_OK);
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        swi_registry_destroy(r);

        /* Without credentials: 401 is an outage to retry, never a dead letter. */
        r = http_registry(&f, 1000);
        ck_assert_int_eq(swi_registry_ping(r), SWI_ERR_REGISTRY_DOWN);
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_ERR_REGISTRY_DOWN);
        /* ... and with them set apart (schema.registry.basic.auth.user.info). */
        ck_assert_int_eq(swi_registry_set_auth(r, "alice:s3cr3t-pw"), SWI_OK);
        ck_assert_int_eq(swi_registry_set_auth(r, "no-colon"), SWI_ERR_CONFIG);
        ck_assert_int_eq(swi_registry_ping(r), SWI_OK); /* also ends the back-off */
        ck_assert_int_eq(swi_registry_lookup(r, 1, &json), SWI_OK);
        swi_registry_destroy(r);
        fake_fini(&f);
}
END_TEST

START_TEST(test_schema_registry_ping_follows_the_server)
{
        fake_t f;
        swi_registry_t *r, *local;
        char errstr[256];
        long status = 0;
        const char *resp = NULL;

        fake_init(&f);
        r = http_registry(&f, 1000);
        ck_assert_int_eq(swi_registry_ping(r), SWI_OK);
        ck_assert_int_eq(swi_registry_request(r, "GET", "/schemas/ids/1", NULL, &status, &resp,
                                              errstr, sizeof(errstr)),
                         SWI_OK);
        ck_assert_int_eq(status, 200);
        ck_assert_ptr_nonnull(strstr(resp, "AsielaanvraagIngediend"));
        ck_assert_int_eq(swi_registry_request(r, "POST", "/subjects/x/versions",
                                              "{\"schema\":\"1\"}", &status, &resp, errstr,
                                              sizeof(errstr)),
                         SWI_OK);
        ck_assert_int_eq(status, 404);
        fake_stop(&f);
        ck_assert_int_eq(swi_registry_ping(r), SWI_ERR_REGISTRY_DOWN);
        ck_assert_int_eq(swi_registry_request(r, "GET", "/subjects", NULL, &status, &resp, errstr,
                                              sizeof(errstr)),
                         SWI_ERR_REGISTRY_DOWN);
        fake_start(&f);
        ck_assert_int_eq(swi_registry_ping(r), SWI_OK);
        local = swi_registry_new_local(SCHEMA_DIR, errstr, sizeof(errstr));
        ck_assert_int_eq(swi_registry_ping(local), SWI_OK);
        swi_registry_destroy(local);
        swi_registry_destroy(r);
        fake_fini(&f);
}
END_TEST

static Suite *schema_registry_suite(void)
{
        Suite *s = suite_create("schema_registry");
        TCase *local = tcase_create("local");
        TCase *http = tcase_create("http");

        tcase_add_test(local, test_schema_registry_local_lookup);
        tcase_add_test(local, test_schema_registry_local_unknown_id);
        tcase_add_test(local, test_schema_registry_local_bad_dir);
        suite_add_tcase(s, local);
        tcase_add_test(http, test_schema_registry_http_lookup);
        tcase_add_test(http, test_schema_registry_http_basic_auth);
        tcase_add_test(http, test_schema_registry_ping_follows_the_server);
        tcase_add_test(http, test_schema_registry_http_5xx_is_down);
        tcase_add_test(http, test_schema_registry_http_down_backoff);
        tcase_add_test(http, test_schema_registry_http_backoff_capped);
        tcase_add_test(http, test_schema_registry_http_bad_config);
        suite_add_tcase(s, http);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(schema_registry_suite());
        int failed;

        /* The fake registry is on 127.0.0.1: never go through a proxy. */
        setenv("no_proxy", "*", 1);
        setenv("NO_PROXY", "*", 1);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
