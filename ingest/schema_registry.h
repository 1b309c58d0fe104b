/* schema_registry.h - resolves a Confluent schema id to its writer schema.
 *
 * Two back ends behind one handle:
 *  - local (default): schema.dir/registry.json maps fixed ids to .avsc files;
 *  - http: a Confluent-compatible registry (GET /schemas/ids/{id}) via libcurl,
 *    with a cache (ids are immutable) and exponential back-off while it is down;
 *    HTTP basic auth and TLS client options; credentials written into the URL
 *    are taken out of it (and used as basic auth), so logs show the URL only.
 *
 * An id the registry answers "not found" for (HTTP 404, or absent from the local
 * map) is SWI_ERR_NOT_FOUND -> the message becomes an UNKNOWN_SCHEMA dead letter.
 * A registry that cannot be reached is SWI_ERR_REGISTRY_DOWN -> the caller
 * retries; nothing is dead-lettered.
 *
 * Ownership: the returned JSON text is owned by the registry and stays valid
 * until swi_registry_destroy().
 * Thread safety: one handle per thread. */
#ifndef SWI_SCHEMA_REGISTRY_H
#define SWI_SCHEMA_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/swi_err.h"

typedef struct swi_registry_s swi_registry_t;

/* Local registry from dir/registry.json. Every listed file is loaded and parsed
 * at start-up; a missing or invalid file fails construction (NULL + errstr). */
swi_registry_t *swi_registry_new_local(const char *dir, char *errstr, size_t errstr_size);

/* HTTP registry at base_url (e.g. "http://127.0.0.1:8081"). retry_max_ms caps
 * the back-off. Construction does not contact the registry. */
swi_registry_t *swi_registry_new_http(const char *base_url, int64_t retry_max_ms, char *errstr,
                                      size_t errstr_size);

/* Basic auth "USER:PASSWORD" (copied; NULL or "" for none; replaces what the
 * URL carried). */
swi_err_t swi_registry_set_auth(swi_registry_t *r, const char *user_info);
/* TLS options (paths copied; NULL or "" to leave libcurl's default): CA file,
 * client certificate, client key and its password. */
swi_err_t swi_registry_set_tls(swi_registry_t *r, const char *ca_file, const char *cert_file,
                               const char *key_file, const char *key_password);
/* The base URL without credentials, for messages. */
const char *swi_registry_url(const swi_registry_t *r);

/* Health probe: GET / with short timeouts. SWI_OK when the registry answers
 * 2xx (the local back end always), SWI_ERR_REGISTRY_DOWN otherwise (why in
 * the log at debug level). A success ends a back-off in progress. */
swi_err_t swi_registry_ping(swi_registry_t *r);

/* One request to the HTTP registry, for admin tools (swi-schemas): method
 * "GET", "POST", "PUT" or "DELETE", path from the base URL ("/subjects"),
 * body JSON or NULL. On SWI_OK *status is the HTTP status and *response the
 * body (owned by r, valid until the next request). SWI_ERR_REGISTRY_DOWN when
 * no answer came (errstr says why); SWI_ERR_INVALID_ARG on the local back end. */
swi_err_t swi_registry_request(swi_registry_t *r, const char *method, const char *path,
                               const char *body, long *status, const char **response,
                               char *errstr, size_t errstr_size);

/* Looks up schema id. On SWI_OK *schema_json is the writer schema's JSON text.
 * Returns SWI_ERR_NOT_FOUND or SWI_ERR_REGISTRY_DOWN as described above. */
swi_err_t swi_registry_lookup(swi_registry_t *r, int32_t id, const char **schema_json);

/* Number of lookups that found the registry unreachable (for metrics). */
uint64_t swi_registry_outages(const swi_registry_t *r);

void swi_registry_destroy(swi_registry_t *r);

#endif
