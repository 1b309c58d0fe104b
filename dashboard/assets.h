/* assets.h - the front end's files, read into memory once at start-up.
 *
 * Every regular file under the web root (the built front end: HTML, JS, CSS,
 * the vendored chart library, TopoJSON) becomes an entry keyed by its URL path
 * ("/js/app.js"), with its content type, an ETag and, when it is smaller so, a
 * gzip copy. Requests are answered from this table only, so a path that is not
 * a file of the build (../, symlinks out of the root, dotfiles) cannot be
 * served: there is nothing to traverse.
 *
 * Thread safety: built before the server starts, read-only afterwards. */
#ifndef SWI_DASH_ASSETS_H
#define SWI_DASH_ASSETS_H

#include <stddef.h>

#include "common/swi_err.h"

typedef struct swi_assets_s swi_assets_t;

typedef struct swi_asset_s {
        const char *path; /* URL path, "/index.html" */
        const char *type; /* Content-Type */
        const char *etag; /* quoted */
        const void *data;
        size_t len;
        const void *gz; /* NULL when gzip would not be smaller */
        size_t gz_len;
} swi_asset_t;

/* Reads every regular, non-hidden file below root (at most 8 levels, 500
 * files, 64 MiB). NULL with a message in errstr when root is unreadable or
 * holds no index.html. */
swi_assets_t *swi_assets_load(const char *root, char *errstr, size_t errstr_size);
void swi_assets_destroy(swi_assets_t *a);

/* The entry for a URL path ("/" is "/index.html"), NULL when none. */
const swi_asset_t *swi_assets_find(const swi_assets_t *a, const char *path);

size_t swi_assets_count(const swi_assets_t *a);

#endif
