/* log.c - one line per event, logfmt or JSON (see log.h for the contract).
 *
 * The caller's tail is a printf format of key=VALUE pairs. Instead of
 * formatting it in one go (which would leave quoting to every caller, and a
 * libpq message with a newline or a quote would break the line), the writer
 * walks the format itself: each conversion is formatted alone with its own
 * argument (taken from the va_list by its type), each value is assembled
 * from its conversions and literal text, and only then quoted and escaped
 * for the chosen format. */
#include "log.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX  16384
#define LOG_VALUE_MAX 4096

swi_log_level_t swi_log_level = SWI_LOG_INFO;
static swi_log_format_t log_format = SWI_LOG_LOGFMT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

#define LOG_SECRETS_MAX 32
static char *secrets[LOG_SECRETS_MAX];
static int nsecrets;

void swi_log_add_secret(const char *secret)
{
        if (!secret || strlen(secret) < 4 || nsecrets == LOG_SECRETS_MAX)
                return;
        for (int i = 0; i < nsecrets; i++)
                if (strcmp(secrets[i], secret) == 0)
                        return;
        secrets[nsecrets] = strdup(secret);
        if (secrets[nsecrets])
                nsecrets++;
}

void swi_log_mask(char *buf, size_t size)
{
        static const char mask[] = "[redacted]";
        const size_t mlen = sizeof(mask) - 1;

        for (int i = 0; i < nsecrets; i++) {
                size_t slen = strlen(secrets[i]);
                char *hit = buf;
                while ((hit = strstr(hit, secrets[i])) != NULL) {
                        size_t at = (size_t)(hit - buf);
                        size_t rest = strlen(hit + slen);
                        if (at + mlen + 1 > size) {
                                *hit = '\0'; /* no room even for the mask: cut here */
                                break;
                        }
                        if (at + mlen + rest + 1 > size)
                                rest = size - 1 - at - mlen;
                        memmove(hit + mlen, hit + slen, rest);
                        memcpy(hit, mask, mlen);
                        hit[mlen + rest] = '\0';
                        hit += mlen;
                }
        }
}

int swi_log_set_level(const char *name)
{
        for (int i = 0; i < 4; i++) {
                if (strcmp(name, level_names[i]) == 0) {
                        swi_log_level = (swi_log_level_t)i;
                        return 0;
                }
        }
        return -1;
}

int swi_log_set_format(const char *name)
{
        if (strcmp(name, "logfmt") == 0)
                log_format = SWI_LOG_LOGFMT;
        else if (strcmp(name, "json") == 0)
                log_format = SWI_LOG_JSON;
        else
                return -1;
        return 0;
}

/* ---- values ------------------------------------------------------------------- */

typedef struct val_s {
        char s[LOG_VALUE_MAX];
        size_t n;
        bool truncated;
} val_t;

static void val_append(val_t *v, const char *s, size_t n)
{
        if (v->n + n >= sizeof(v->s)) {
                n = sizeof(v->s) - 1 - v->n;
                v->truncated = true;
        }
        memcpy(v->s + v->n, s, n);
        v->n += n;
        v->s[v->n] = '\0';
}

/* Formats the conversion at f (pointing at '%', not "%%") with its argument
 * from ap, appends the text to v, and returns the character after the
 * conversion. *numeric is set for integer and floating conversions. */
static const char *conversion(const char *f, va_list *ap, val_t *v, bool *numeric)
{
        char spec[64], tmp[LOG_VALUE_MAX];
        size_t k = 0;
        int len = 0; /* 0 none, 'H' hh, 'h', 'l', 'L' ll, 'q' long double, 'z', 'j', 't' */
        int w;

        spec[k++] = *f++;
        while (*f && strchr("-+ #0'", *f) && k < 8)
                spec[k++] = *f++;
        if (*f == '*') {
                k += (size_t)snprintf(spec + k, sizeof(spec) - k, "%d", va_arg(*ap, int));
                f++;
        } else {
                while (*f >= '0' && *f <= '9' && k < 24)
                        spec[k++] = *f++;
        }
        if (*f == '.') {
                spec[k++] = *f++;
                if (*f == '*') {
                        k += (size_t)snprintf(spec + k, sizeof(spec) - k, "%d", va_arg(*ap, int));
                        f++;
                } else {
                        while (*f >= '0' && *f <= '9' && k < 40)
                                spec[k++] = *f++;
                }
        }
        if (f[0] == 'h' && f[1] == 'h') {
                len = 'H';
                f += 2;
        } else if (f[0] == 'l' && f[1] == 'l') {
                len = 'L';
                f += 2;
        } else if (*f == 'h' || *f == 'l' || *f == 'z' || *f == 'j' || *f == 't') {
                len = *f++;
        } else if (*f == 'L') {
                len = 'q';
                f++;
        }
        switch (len) {
        case 'H':
                memcpy(spec + k, "hh", 2);
                k += 2;
                break;
        case 'L':
                memcpy(spec + k, "ll", 2);
                k += 2;
                break;
        case 'q':
                spec[k++] = 'L';
                break;
        case 0:
                break;
        default:
                spec[k++] = (char)len;
        }
        spec[k++] = *f;
        spec[k] = '\0';

        tmp[0] = '\0';
        switch (*f) {
        case 'd':
        case 'i':
                *numeric = true;
                if (len == 'l')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, long));
                else if (len == 'L')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, long long));
                else if (len == 'z')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, ssize_t));
                else if (len == 'j')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, intmax_t));
                else if (len == 't')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, ptrdiff_t));
                else
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, int));
                break;
        case 'u':
        case 'o':
        case 'x':
        case 'X':
                *numeric = *f == 'u';
                if (len == 'l')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, unsigned long));
                else if (len == 'L')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, unsigned long long));
                else if (len == 'z')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, size_t));
                else if (len == 'j')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, uintmax_t));
                else if (len == 't')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, ptrdiff_t));
                else
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, unsigned int));
                break;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
                *numeric = true;
                if (len == 'q')
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, long double));
                else
                        w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, double));
                break;
        case 'c':
                w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, int));
                break;
        case 's': {
                const char *s = va_arg(*ap, const char *);
                w = snprintf(tmp, sizeof(tmp), spec, s ? s : "(null)");
                break;
        }
        case 'p':
                w = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, void *));
                break;
        default:
                /* Not a conversion we know: keep the text, take no argument. */
                w = snprintf(tmp, sizeof(tmp), "%s", spec);
                break;
        }
        if (w > 0)
                val_append(v, tmp, strlen(tmp));
        if ((size_t)(w > 0 ? w : 0) >= sizeof(tmp))
                v->truncated = true;
        return *f ? f + 1 : f;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        size_t len;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0) {
                len = 2;
                cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                len = 3;
                cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                len = 4;
                cp = s[0] & 0x07;
        } else {
                return 0;
        }
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

/* ---- the line ------------------------------------------------------------------- */

typedef struct line_s {
        char *buf;
        size_t size, n;
        size_t reserve; /* kept free for the closing " truncated=true" and '\n' */
        bool full;
        json_t *obj;         /* JSON format only */
        struct line_s *pair; /* logfmt: one pair is rendered here, then appended whole */
} line_t;

static void line_raw(line_t *l, const char *s, size_t n)
{
        if (l->full || l->n + n + l->reserve + 2 > l->size) {
                l->full = true;
                return;
        }
        memcpy(l->buf + l->n, s, n);
        l->n += n;
}

static bool needs_quotes(const char *s, size_t n)
{
        if (n == 0)
                return true;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f || c >= 0x80)
                        return true;
        }
        return false;
}

/* Appends s escaped for logfmt: quoted when needed, '"' '\' and control
 * characters escaped, invalid UTF-8 bytes written as \xNN. */
static void logfmt_value(line_t *l, const char *s, size_t n, bool force_quotes)
{
        char esc[8];

        if (!force_quotes && !needs_quotes(s, n)) {
                line_raw(l, s, n);
                return;
        }
        line_raw(l, "\"", 1);
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char)s[i];
                size_t u;
                switch (c) {
                case '"':
                        line_raw(l, "\\\"", 2);
                        break;
                case '\\':
                        line_raw(l, "\\\\", 2);
                        break;
                case '\n':
                        line_raw(l, "\\n", 2);
                        break;
                case '\r':
                        line_raw(l, "\\r", 2);
                        break;
                case '\t':
                        line_raw(l, "\\t", 2);
                        break;
                default:
                        if (c < 0x20 || c == 0x7f) {
                                snprintf(esc, sizeof(esc), "\\u%04x", c);
                                line_raw(l, esc, 6);
                        } else if (c >= 0x80) {
                                u = utf8_len((const unsigned char *)s + i, n - i);
                                if (u == 0) {
                                        snprintf(esc, sizeof(esc), "\\x%02x", c);
                                        line_raw(l, esc, 4);
                                } else {
                                        line_raw(l, s + i, u);
                                        i += u;
                                        continue;
                                }
                        } else {
                                line_raw(l, s + i, 1);
                        }
                }
                i++;
        }
        line_raw(l, "\"", 1);
}

/* A JSON string of s; invalid UTF-8 bytes become U+FFFD. */
static json_t *json_text(const char *s, size_t n)
{
        json_t *j = json_stringn(s, n);
        char *clean;
        size_t k = 0;

        if (j)
                return j;
        clean = malloc(n * 3 + 1);
        if (!clean)
                return json_string("");
        for (size_t i = 0; i < n;) {
                size_t u = utf8_len((const unsigned char *)s + i, n - i);
                if (u == 0 || s[i] == '\0') {
                        memcpy(clean + k, "\xef\xbf\xbd", 3);
                        k += 3;
                        i++;
                } else {
                        memcpy(clean + k, s + i, u);
                        k += u;
                        i += u;
                }
        }
        j = json_stringn(clean, k);
        free(clean);
        return j ? j : json_string("");
}

static void emit(line_t *l, swi_log_format_t format, const char *key, size_t klen, const val_t *v,
                 bool number, bool force_quotes)
{
        if (format == SWI_LOG_JSON) {
                char k[128];
                json_t *j = NULL;
                snprintf(k, sizeof(k), "%.*s", (int)klen, key);
                if (number) {
                        char *end;
                        if (!strpbrk(v->s, ".eEnN")) {
                                long long x = strtoll(v->s, &end, 10);
                                if (*end == '\0')
                                        j = json_integer(x);
                        } else {
                                double d = strtod(v->s, &end);
                                if (*end == '\0' && isfinite(d))
                                        j = json_real(d);
                        }
                }
                if (!j)
                        j = json_text(v->s, v->n);
                json_object_set_new(l->obj, k, j);
                return;
        }
        l->pair->n = 0;
        l->pair->full = false;
        line_raw(l->pair, " ", 1);
        line_raw(l->pair, key, klen);
        line_raw(l->pair, "=", 1);
        logfmt_value(l->pair, v->s, v->n, force_quotes);
        if (!l->pair->full)
                line_raw(l, l->pair->buf, l->pair->n);
}

static void tail(line_t *l, swi_log_format_t format, const char *fmt, va_list *ap)
{
        const char *p = fmt;
        val_t *v = malloc(sizeof(*v));

        if (!v)
                return;
        while (p && *p) {
                const char *key = "detail";
                size_t klen = 6;
                const char *k;
                bool quoted = false, numeric = false, synthetic = false;
                int nconv = 0, nlit = 0;

                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                k = p;
                while (*p && *p != '=' && *p != ' ' && *p != '%' && *p != '"')
                        p++;
                if (*p == '=' && p > k) {
                        key = k;
                        klen = (size_t)(p - k);
                        p++;
                } else {
                        p = k;
                        synthetic = true;
                }
                if (*p == '"') {
                        quoted = true;
                        p++;
                }
                v->n = 0;
                v->s[0] = '\0';
                v->truncated = false;
                while (*p) {
                        if (quoted && *p == '"') {
                                p++;
                                break;
                        }
                        if (!quoted && *p == ' ')
                                break;
                        if (*p == '%' && p[1] == '%') {
                                val_append(v, "%", 1);
                                p += 2;
                                nlit++;
                        } else if (*p == '%') {
                                p = conversion(p, ap, v, &numeric);
                                nconv++;
                        } else if (quoted && *p == '\\' && p[1] == '"') {
                                val_append(v, "\"", 1);
                                p += 2;
                                nlit++;
                        } else {
                                val_append(v, p, 1);
                                p++;
                                nlit++;
                        }
                }
                if (nsecrets) {
                        swi_log_mask(v->s, sizeof(v->s));
                        v->n = strlen(v->s);
                }
                if (v->truncated && v->n >= 3)
                        memcpy(v->s + v->n - 3, "...", 3);
                if (synthetic && v->n == 0)
                        continue;
                emit(l, format, key, klen, v, !quoted && nconv == 1 && nlit == 0 && numeric,
                     quoted);
        }
        free(v);
}

static size_t format_line(char *buf, size_t size, swi_log_format_t format, swi_log_level_t lvl,
                          const char *sub, const char *msg, const char *fmt, va_list *ap)
{
        char ts[40];
        struct timeval tv;
        struct tm tm;
        size_t tn;
        line_t l = {.buf = buf, .size = size};
        line_t pair = {.size = LOG_VALUE_MAX * 6 + 256};

        if (size < 4)
                return 0;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        tn = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(ts + tn, sizeof(ts) - tn, ".%03dZ", (int)(tv.tv_usec / 1000));
        if (format == SWI_LOG_JSON) {
                l.obj = json_object();
                if (!l.obj)
                        return 0;
                json_object_set_new(l.obj, "ts", json_string(ts));
                json_object_set_new(l.obj, "level", json_string(level_names[lvl]));
                json_object_set_new(l.obj, "sub", json_text(sub, strlen(sub)));
                json_object_set_new(l.obj, "msg", json_text(msg, strlen(msg)));
                tail(&l, format, fmt, ap);
                char *text = json_dumps(l.obj, JSON_COMPACT | JSON_REAL_PRECISION(12));
                if (text && strlen(text) + 2 > size) {
                        /* Too long as a whole: the head only, and say so. */
                        free(text);
                        json_object_clear(l.obj);
                        json_object_set_new(l.obj, "ts", json_string(ts));
                        json_object_set_new(l.obj, "level", json_string(level_names[lvl]));
                        json_object_set_new(l.obj, "sub", json_text(sub, strlen(sub)));
                        json_object_set_new(l.obj, "msg", json_text(msg, strlen(msg)));
                        json_object_set_new(l.obj, "truncated", json_true());
                        text = json_dumps(l.obj, JSON_COMPACT);
                }
                json_decref(l.obj);
                if (!text)
                        return 0;
                line_raw(&l, text, strlen(text));
                free(text);
        } else {
                line_raw(&l, "ts=", 3);
                line_raw(&l, ts, strlen(ts));
                line_raw(&l, " level=", 7);
                line_raw(&l, level_names[lvl], strlen(level_names[lvl]));
                line_raw(&l, " sub=", 5);
                logfmt_value(&l, sub, strlen(sub), false);
                line_raw(&l, " msg=", 5);
                logfmt_value(&l, msg, strlen(msg), true);
                pair.buf = malloc(pair.size);
                l.pair = &pair;
                l.reserve = 16;
                if (pair.buf)
                        tail(&l, format, fmt, ap);
                free(pair.buf);
                if (l.full) {
                        /* Cut after the last whole pair, and say so. */
                        l.full = false;
                        l.reserve = 0;
                        line_raw(&l, " truncated=true", 15);
                }
        }
        buf[l.n++] = '\n';
        buf[l.n] = '\0';
        return l.n;
}

size_t swi_log_format_line(char *buf, size_t size, swi_log_format_t format, swi_log_level_t lvl,
                           const char *sub, const char *msg, const char *fmt, ...)
{
        va_list ap;
        size_t n;

        va_start(ap, fmt);
        n = format_line(buf, size, format, lvl, sub, msg, fmt, &ap);
        va_end(ap);
        return n;
}

void swi_log_write(swi_log_level_t lvl, const char *sub, const char *msg, const char *fmt, ...)
{
        char *line = malloc(LOG_LINE_MAX);
        va_list ap;
        size_t n;

        if (!line)
                return;
        va_start(ap, fmt);
        n = format_line(line, LOG_LINE_MAX, log_format, lvl, sub, msg, fmt, &ap);
        va_end(ap);
        for (size_t off = 0; off < n;) {
                ssize_t w = write(STDERR_FILENO, line + off, n - off);
                if (w <= 0)
                        break;
                off += (size_t)w;
        }
        free(line);
}
