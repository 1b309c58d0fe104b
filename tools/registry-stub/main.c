/* swi-registry-stub - the smallest stand-in for a Confluent schema registry:
 * serves GET /schemas/ids/{id} from schemas/registry.json and its .avsc files
 * on 127.0.0.1, until SIGINT or SIGTERM, so that swi-etl's HTTP registry mode
 * (schema.registry.url) can be run and its outages tested without a real
 * registry (tests/integration/test_chaos.sh kills and restarts it).
 *
 * The answers are the registry's: 200 {"schema": "<the schema, compact JSON
 * text>"} for a known id, 404 {"error_code": 40403, ...} for an unknown one,
 * 404 {"error_code": 404, ...} for any other path, 405 for another method.
 * Nothing else of the REST API (subjects, versions, registration) is served.
 *
 * The port is the kernel's choice unless --port is given; a restart that must
 * keep its clients' URL passes the port it had. The URL is printed on stdout
 * and, with --url-file, written to PATH atomically once the server listens. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define SUB "registry-stub"

typedef struct entry_s {
        long id;
        char *body; /* the whole 200 response */
} entry_t;

/* Read-only once the daemon runs: its threads only look entries up. */
typedef struct stub_s {
        entry_t *v;
        size_t n;
} stub_t;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
        stop_signal = sig;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: swi-registry-stub [OPTION]...\n"
                   "Serves GET /schemas/ids/{id} (Confluent schema registry REST API) from\n"
                   "DIR/registry.json and its .avsc files on 127.0.0.1 until SIGINT or SIGTERM.\n"
                   "Prints url=http://127.0.0.1:PORT on stdout once listening.\n"
                   "\n"
                   "  -d, --schema-dir DIR   schemas directory (default schemas)\n"
                   "  -p, --port N           port (default 0: chosen by the kernel)\n"
                   "  -f, --url-file PATH    write the URL to PATH (atomically, once listening;\n"
                   "                         removed on exit)\n"
                   "  -l, --log-level LEVEL  error, warn, info (default) or debug\n"
                   "  -h, --help             this text\n");
}

/* Loads every entry of dir/registry.json with its schema as the response body. */
static int stub_load(stub_t *s, const char *dir)
{
        char path[4096];
        json_error_t jerr;
        json_t *root = NULL, *list;
        int rc = -1;

        snprintf(path, sizeof(path), "%s/registry.json", dir);
        root = json_load_file(path, 0, &jerr);
        if (!root) {
                SWI_LOG_E(SUB, "cannot read the id map", "path=%s line=%d error=\"%s\"", path,
                          jerr.line, jerr.text);
                goto done;
        }
        list = json_object_get(root, "schemas");
        if (!json_is_array(list) || json_array_size(list) == 0) {
                SWI_LOG_E(SUB, "the id map has no schemas array", "path=%s", path);
                goto done;
        }
        s->v = calloc(json_array_size(list), sizeof(*s->v));
        if (!s->v)
                goto done;
        for (size_t i = 0; i < json_array_size(list); i++) {
                json_t *e = json_array_get(list, i);
                json_t *id = json_object_get(e, "id"), *file = json_object_get(e, "file");
                json_t *schema = NULL, *resp = NULL;
                char *text = NULL;

                if (!json_is_integer(id) || !json_is_string(file)) {
                        SWI_LOG_E(SUB, "id map entry without id or file", "path=%s index=%zu", path,
                                  i);
                        goto done;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(file));
                schema = json_load_file(path, 0, &jerr);
                if (schema)
                        text = json_dumps(schema, JSON_COMPACT | JSON_PRESERVE_ORDER);
                if (text)
                        resp = json_pack("{s:s}", "schema", text);
                if (resp)
                        s->v[s->n].body = json_dumps(resp, JSON_COMPACT);
                json_decref(resp);
                json_decref(schema);
                free(text);
                if (!s->v[s->n].body) {
                        SWI_LOG_E(SUB, "cannot read a schema", "path=%s error=\"%s\"", path,
                                  jerr.text);
                        goto done;
                }
                s->v[s->n++].id = (long)json_integer_value(id);
        }
        rc = 0;
done:
        json_decref(root);
        return rc;
}

static void stub_free(stub_t *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i].body);
        free(s->v);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, "Content-Type", "application/vnd.schemaregistry.v1+json");
        ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        const stub_t *s = cls;
        static const char prefix[] = "/schemas/ids/";
        char *end = NULL;
        long id;

        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)con_cls;
        if (strcmp(method, "GET") != 0)
                return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                             "{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}");
        if (strncmp(url, prefix, sizeof(prefix) - 1) != 0)
                return reply(conn, MHD_HTTP_NOT_FOUND,
                             "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
        errno = 0;
        id = strtol(url + sizeof(prefix) - 1, &end, 10);
        if (!errno && end != url + sizeof(prefix) - 1 && *end == '\0') {
                for (size_t i = 0; i < s->n; i++) {
                        if (s->v[i].id == id) {
                                SWI_LOG_D(SUB, "schema served", "id=%ld", id);
                                return reply(conn, MHD_HTTP_OK, s->v[i].body);
                        }
                }
        }
        SWI_LOG_D(SUB, "schema not found", "url=%s", url);
        return reply(conn, MHD_HTTP_NOT_FOUND,
                     "{\"error_code\":40403,\"message\":\"Schema not found\"}");
}

/* Writes "url\n" to path via path.tmp + rename, so a reader sees all or nothing. */
static int write_url_file(const char *path, const char *url)
{
        char tmp[4096];
        FILE *f;
        int rc = -1;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
                return -1;
        f = fopen(tmp, "w");
        if (!f)
                return -1;
        if (fprintf(f, "%s\n", url) >= 0 && fflush(f) == 0)
                rc = 0;
        if (fclose(f) != 0)
                rc = -1;
        if (rc == 0 && rename(tmp, path) != 0)
                rc = -1;
        if (rc != 0)
                unlink(tmp);
        return rc;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"schema-dir", required_argument, NULL, 'd'},
            {"port", required_argument, NULL, 'p'},
            {"url-file", required_argument, NULL, 'f'},
            {"log-level", required_argument, NULL, 'l'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *dir = "schemas", *url_file = NULL;
        struct MHD_Daemon *d = NULL;
        const union MHD_DaemonInfo *info;
        struct sockaddr_in addr;
        struct sigaction sa;
        sigset_t block, old;
        stub_t stub = {0};
        char url[64];
        long port = 0;
        char *end = NULL;
        int rc = 1;
        int opt;

        while ((opt = getopt_long(argc, argv, "d:p:f:l:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'd':
                        dir = optarg;
                        break;
                case 'p':
                        errno = 0;
                        port = strtol(optarg, &end, 10);
                        if (errno || end == optarg || *end || port < 0 || port > 65535) {
                                fprintf(stderr, "swi-registry-stub: --port wants 0..65535\n");
                                return 2;
                        }
                        break;
                case 'f':
                        url_file = optarg;
                        break;
                case 'l':
                        if (swi_log_set_level(optarg) != 0) {
                                fprintf(stderr, "swi-registry-stub: unknown log level '%s'\n",
                                        optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "swi-registry-stub: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        if (stub_load(&stub, dir) != 0)
                goto done;

        /* Signals are blocked until we wait for them; the daemon's thread,
         * created with this mask, never takes them. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigprocmask(SIG_BLOCK, &block, &old);

        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_port = htons((uint16_t)port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        /* Address reuse: a restart on the port of a killed predecessor must
         * not wait for its connections' TIME_WAIT. */
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                             on_request, &stub, MHD_OPTION_SOCK_ADDR, &addr,
                             MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
        if (!d) {
                SWI_LOG_E(SUB, "cannot listen", "port=%ld errno=%d", port, errno);
                goto done;
        }
        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        if (!info) {
                SWI_LOG_E(SUB, "cannot read the bound port", "%s", "");
                goto done;
        }
        snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)info->port);
        if (url_file && write_url_file(url_file, url) != 0) {
                SWI_LOG_E(SUB, "cannot write the URL file", "path=%s errno=%d", url_file, errno);
                goto done;
        }
        printf("url=%s\n", url);
        fflush(stdout);
        SWI_LOG_I(SUB, "ready", "url=%s schemas=%zu", url, stub.n);
        while (!stop_signal)
                sigsuspend(&old);
        SWI_LOG_I(SUB, "stopping", "signal=%d", (int)stop_signal);
        rc = 0;
done:
        if (url_file)
                unlink(url_file);
        if (d)
                MHD_stop_daemon(d);
        stub_free(&stub);
        return rc;
}
