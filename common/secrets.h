/* secrets.h - secrets in configuration values: ${file:PATH} and ${env:NAME}
 * references, and masking of what must not be printed. Shared by every
 * program's configuration (their table's set function resolves references
 * before handing the value on; swi-etl's common/config.c is the example).
 *
 * A value may be, or contain, ${file:PATH} (the file's content, trailing
 * newlines removed) or ${env:NAME}, innermost first, so they nest:
 * "host=db password=${file:${env:CREDENTIALS_DIRECTORY}/pg.password}".
 *
 * Thread safety: reentrant. */
#ifndef SWI_SECRETS_H
#define SWI_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "swi_err.h"

/* Resolves the references in value (for property name, named in errors).
 * *out is NULL when value has none, else a malloc'd result the caller frees.
 * A value that is a single ${...} of another kind is an error; inside a value
 * other ${...} are left alone. When a referenced file is readable by group or
 * others, warning gets a sentence saying so (else ""). SWI_ERR_CONFIG with
 * errstr (naming the reference, never a value) on a missing variable or file. */
swi_err_t swi_secret_resolve(const char *name, const char *value, char **out, char *warning,
                             size_t warning_size, char *errstr, size_t errstr_size);

/* When path is a regular file readable by group or others, writes a warning
 * about it (what names it: "pseudonym.key.file") to out and returns true. */
bool swi_secret_file_warning(const char *what, const char *path, char *out, size_t out_size);

/* url with the password of its userinfo masked: user:[redacted]@host. */
void swi_secret_redact_url(const char *url, char *out, size_t out_size);
/* The password of url's userinfo into out ("" if none). */
void swi_secret_url_password(const char *url, char *out, size_t out_size);

/* True if a librdkafka property name carries a secret (password, secret,
 * token, a private key in PEM, sasl.username, sasl.oauthbearer.config). */
bool swi_secret_kafka_key(const char *key);

#endif
