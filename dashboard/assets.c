#include "assets.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "common/fileio.h"

#define MAX_FILES 500
#define MAX_DEPTH 8
#define MAX_TOTAL ((size_t)64 << 20)

typedef struct entry_s {
        swi_asset_t pub;
        char *path;
        char *data;
        unsigned char *gz;
        char etag[24];
} entry_t;

struct swi_assets_s {
        entry_t *e;
        size_t n;
        size_t total;
};

static const char *content_type(const char *path)
{
        static const struct {
                const char *ext, *type;
        } types[] = {
            {".html", "text/html; charset=utf-8"},
            {".js", "text/javascript; charset=utf-8"},
            {".mjs", "text/javascript; charset=utf-8"},
            {".css", "text/css; charset=utf-8"},
            {".json", "application/json"},
            {".topojson", "application/json"},
            {".svg", "image/svg+xml"},
            {".png", "image/png"},
            {".ico", "image/x-icon"},
            {".txt", "text/plain; charset=utf-8"},
            {".woff2", "font/woff2"},
        };
        const char *dot = strrchr(path, '.');
        for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
                if (!strcmp(dot, types[i].ext))
                        return types[i].type;
        return "application/octet-stream";
}

/* gzip (RFC 1952) of data; NULL when it is not smaller. */
static unsigned char *gzip(const char *data, size_t len, size_t *out_len)
{
        z_stream z;
        size_t cap = len + len / 100 + 64;
        unsigned char *out = malloc(cap);

        if (!out)
                return NULL;
        memset(&z, 0, sizeof(z));
        if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
                free(out);
                return NULL;
        }
        z.next_in = (unsigned char *)data;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        int rc = deflate(&z, Z_FINISH);
        *out_len = z.total_out;
        deflateEnd(&z);
        if (rc != Z_STREAM_END || *out_len + 64 >= len) {
                free(out);
                return NULL;
        }
        return out;
}

static int add_file(swi_assets_t *a, const char *file, const char *url, char *errstr,
                    size_t errstr_size)
{
        size_t len = 0;
        char *data;
        entry_t *e;

        if (a->n == MAX_FILES) {
                snprintf(errstr, errstr_size, "more than %d files under the web root", MAX_FILES);
                return -1;
        }
        data = swi_read_file(file, &len);
        if (!data) {
                snprintf(errstr, errstr_size, "cannot read %s: %s", file, strerror(errno));
                return -1;
        }
        a->total += len;
        if (a->total > MAX_TOTAL) {
                free(data);
                snprintf(errstr, errstr_size, "the web root holds more than %zu MiB",
                         MAX_TOTAL >> 20);
                return -1;
        }
        e = &a->e[a->n++];
        memset(e, 0, sizeof(*e));
        e->path = strdup(url);
        e->data = data;
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)data[i]) * 1099511628211ull;
        snprintf(e->etag, sizeof(e->etag), "\"%016llx\"", (unsigned long long)h);
        e->gz = gzip(data, len, &e->pub.gz_len);
        e->pub.path = e->path;
        e->pub.type = content_type(url);
        e->pub.etag = e->etag;
        e->pub.data = data;
        e->pub.len = len;
        e->pub.gz = e->gz;
        if (!e->path) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        return 0;
}

static int scan(swi_assets_t *a, const char *dir, const char *url, int depth, char *errstr,
                size_t errstr_size)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int rc = 0;

        if (!d) {
                snprintf(errstr, errstr_size, "cannot read the web root %s: %s", dir,
                         strerror(errno));
                return -1;
        }
        while (rc == 0 && (de = readdir(d))) {
                char file[4096], sub[1024];
                struct stat st;
                if (de->d_name[0] == '.')
                        continue; /* ., .., hidden files */
                if (snprintf(file, sizeof(file), "%s/%s", dir, de->d_name) >= (int)sizeof(file) ||
                    snprintf(sub, sizeof(sub), "%s/%s", url, de->d_name) >= (int)sizeof(sub))
                        continue;
                if (lstat(file, &st) != 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        if (depth < MAX_DEPTH)
                                rc = scan(a, file, sub, depth + 1, errstr, errstr_size);
                } else if (S_ISREG(st.st_mode)) {
                        rc = add_file(a, file, sub, errstr, errstr_size);
                } /* symlinks and the rest are never served */
        }
        closedir(d);
        return rc;
}

static int cmp_entry(const void *x, const void *y)
{
        return strcmp(((const entry_t *)x)->path, ((const entry_t *)y)->path);
}

swi_assets_t *swi_assets_load(const char *root, char *errstr, size_t errstr_size)
{
        swi_assets_t *a = calloc(1, sizeof(*a));

        if (!a || !(a->e = calloc(MAX_FILES, sizeof(entry_t)))) {
                free(a);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (scan(a, root, "", 0, errstr, errstr_size) != 0) {
                swi_assets_destroy(a);
                return NULL;
        }
        qsort(a->e, a->n, sizeof(entry_t), cmp_entry);
        if (!swi_assets_find(a, "/")) {
                snprintf(errstr, errstr_size,
                         "the web root %s has no index.html (build the front end: cmake --build "
                         "BUILD --target dashboard-web)",
                         root);
                swi_assets_destroy(a);
                return NULL;
        }
        return a;
}

void swi_assets_destroy(swi_assets_t *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n; i++) {
                free(a->e[i].path);
                free(a->e[i].data);
                free(a->e[i].gz);
        }
        free(a->e);
        free(a);
}

const swi_asset_t *swi_assets_find(const swi_assets_t *a, const char *path)
{
        entry_t key;
        const entry_t *e;

        key.path = (char *)(strcmp(path, "/") ? path : "/index.html");
        e = bsearch(&key, a->e, a->n, sizeof(entry_t), cmp_entry);
        return e ? &e->pub : NULL;
}

size_t swi_assets_count(const swi_assets_t *a)
{
        return a->n;
}
