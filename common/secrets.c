/* secrets.c - ${file:}/${env:} references and masking (see secrets.h). */
#include "secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

#define SECRET_FILE_MAX (64 * 1024)

bool swi_secret_file_warning(const char *what, const char *path, char *out, size_t out_size)
{
        struct stat sb;

        if (!path || !*path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
            !(sb.st_mode & (S_IRWXG | S_IRWXO)))
                return false;
        snprintf(out, out_size,
                 "%s %s is readable by group or others (mode %04o); make it 0400 or 0600, owned "
                 "by the user that runs the program",
                 what, path, (unsigned)(sb.st_mode & 07777));
        return true;
}

/* What "${inner}" names: inner is "env:NAME" or "file:PATH". *out is a
 * malloc'd copy; NULL with SWI_OK when inner is neither. */
static swi_err_t resolve_one(const char *name, const char *inner, char **out, char *warning,
                             size_t warning_size, char *errstr, size_t errstr_size)
{
        *out = NULL;
        if (strncmp(inner, "env:", 4) == 0) {
                const char *v = getenv(inner + 4);
                if (!v) {
                        snprintf(errstr, errstr_size, "%s: environment variable %s is not set",
                                 name, inner + 4);
                        return SWI_ERR_CONFIG;
                }
                *out = strdup(v);
        } else if (strncmp(inner, "file:", 5) == 0) {
                size_t len = 0;
                struct stat sb;
                char *text;
                if (stat(inner + 5, &sb) == 0 && sb.st_size > SECRET_FILE_MAX) {
                        snprintf(errstr, errstr_size, "%s: %s is larger than %d bytes", name,
                                 inner + 5, SECRET_FILE_MAX);
                        return SWI_ERR_CONFIG;
                }
                text = swi_read_file(inner + 5, &len);
                if (!text) {
                        snprintf(errstr, errstr_size, "%s: cannot read %s: %s", name, inner + 5,
                                 strerror(errno));
                        return SWI_ERR_CONFIG;
                }
                while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
                        text[--len] = '\0';
                if (strlen(text) != len) {
                        free(text);
                        snprintf(errstr, errstr_size, "%s: %s contains a NUL byte", name,
                                 inner + 5);
                        return SWI_ERR_CONFIG;
                }
                if (!*warning)
                        swi_secret_file_warning("secret file", inner + 5, warning, warning_size);
                *out = text;
        } else {
                return SWI_OK;
        }
        return *out ? SWI_OK : SWI_ERR_NOMEM;
}

/* Replaces every ${file:PATH} and ${env:NAME} in value (the whole value, or
 * a part: "host=db password=${file:/run/secrets/pg}"), innermost first, so
 * that ${file:${env:CREDENTIALS_DIRECTORY}/pg.password} works. *out is NULL
 * when value has none; else the malloc'd result. A value that is one ${...}
 * of another kind is an error; inside a value other ${...} are left alone. */
swi_err_t swi_secret_resolve(const char *name, const char *value, char **out, char *warning,
                             size_t warning_size, char *errstr, size_t errstr_size)
{
        char *cur;
        size_t from = 0;
        bool any = false;

        *out = NULL;
        if (warning_size)
                warning[0] = '\0';
        if (!strstr(value, "${"))
                return SWI_OK;
        cur = strdup(value);
        if (!cur)
                return SWI_ERR_NOMEM;
        for (int round = 0; round < 64; round++) {
                char *e = strchr(cur + from, '}'), *s = NULL, *text = NULL, *next;
                char inner[4096];
                swi_err_t rc;
                if (!e)
                        break;
                for (char *q = cur + from; q + 1 < e; q++)
                        if (q[0] == '$' && q[1] == '{')
                                s = q;
                if (!s) {
                        from = (size_t)(e + 1 - cur);
                        continue;
                }
                if ((size_t)(e - s - 2) >= sizeof(inner)) {
                        snprintf(errstr, errstr_size, "%s: reference too long", name);
                        free(cur);
                        return SWI_ERR_CONFIG;
                }
                memcpy(inner, s + 2, (size_t)(e - s - 2));
                inner[e - s - 2] = '\0';
                rc = resolve_one(name, inner, &text, warning, warning_size, errstr, errstr_size);
                if (rc != SWI_OK) {
                        free(cur);
                        return rc;
                }
                if (!text) {
                        if (s == cur && e[1] == '\0' && !any) {
                                snprintf(errstr, errstr_size,
                                         "%s: unknown reference \"%s\" (use ${file:PATH} or "
                                         "${env:NAME})",
                                         name, value);
                                free(cur);
                                return SWI_ERR_CONFIG;
                        }
                        from = (size_t)(e + 1 - cur); /* not ours: left as it is */
                        continue;
                }
                next = malloc(strlen(cur) + strlen(text) + 1);
                if (!next) {
                        free(text);
                        free(cur);
                        return SWI_ERR_NOMEM;
                }
                sprintf(next, "%.*s%s%s", (int)(s - cur), cur, text, e + 1);
                free(text);
                free(cur);
                cur = next;
                any = true;
                from = 0; /* an enclosing reference may be complete now */
        }
        if (!any) {
                free(cur);
                return SWI_OK;
        }
        *out = cur;
        return SWI_OK;
}

void swi_secret_redact_url(const char *url, char *out, size_t out_size)
{
        const char *scheme = strstr(url, "://");
        const char *host, *at = NULL, *colon = NULL;

        if (!scheme) {
                snprintf(out, out_size, "%s", url);
                return;
        }
        host = scheme + 3;
        for (const char *p = host; *p && *p != '/' && *p != '?' && *p != '#'; p++)
                if (*p == '@')
                        at = p;
        if (!at) {
                snprintf(out, out_size, "%s", url);
                return;
        }
        for (const char *p = host; p < at; p++)
                if (*p == ':') {
                        colon = p;
                        break;
                }
        if (colon)
                snprintf(out, out_size, "%.*s:[redacted]%s", (int)(colon - url), url, at);
        else
                snprintf(out, out_size, "%.*s[redacted]%s", (int)(host - url), url, at);
}

void swi_secret_url_password(const char *url, char *out, size_t out_size)
{
        const char *host = strstr(url, "://"), *at = NULL, *colon = NULL;

        out[0] = '\0';
        if (!host)
                return;
        host += 3;
        for (const char *p = host; *p && *p != '/' && *p != '?' && *p != '#'; p++)
                if (*p == '@')
                        at = p;
        for (const char *p = host; at && p < at; p++)
                if (*p == ':' && !colon)
                        colon = p;
        if (colon)
                snprintf(out, out_size, "%.*s", (int)(at - colon - 1), colon + 1);
}

bool swi_secret_kafka_key(const char *key)
{
        static const char *const words[] = {"password",           "secret",        "key.pem",
                                            "oauthbearer.config", "sasl.username", "token"};
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strstr(key, words[i]))
                        return true;
        return false;
}
