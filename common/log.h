/* log.h - structured, levelled logging: one line per event on stderr, as
 * logfmt (default) or JSON (log.format = json):
 *
 *   ts=2026-11-23T11:00:00.123Z level=info sub=pg msg="batch committed" rows=5000
 *   {"ts":"2026-11-23T11:00:00.123Z","level":"info","sub":"pg","msg":"batch committed","rows":5000}
 *
 * The tail (fmt, ...) is a printf format made of space-separated key=VALUE
 * pairs, where VALUE is conversions and literal text, e.g.
 *   "topic=%s partition=%d error=%s url=http://%s:%d/metrics"
 * The writer, not the caller, quotes and escapes each value: a value with a
 * space, '=', '"', '\' or a control character is quoted, with '"' and '\'
 * escaped and newlines written as \n, so a libpq message of three lines is
 * still one line of log. Quotes written around a value in fmt (detail=\"%s\")
 * are accepted and mean "always a string" in JSON; otherwise a value that is a
 * single numeric conversion is a JSON number. A pair without '=' is logged
 * under the key "detail". Supported conversions: d i u x X o c s p f F e E g
 * G a A with the usual flags, width, precision (also *) and length modifiers.
 *
 * The level is checked before the arguments are formatted. Never pass a raw
 * BSN or V-nummer to these macros, nor a secret (config.h masks them).
 * Thread safety: swi_log_write() may be called from any thread; each line is
 * written with a single write(2). Set the level and format at start-up,
 * before other threads log. */
#ifndef SWI_LOG_H
#define SWI_LOG_H

#include <stddef.h>

typedef enum swi_log_level_e {
        SWI_LOG_ERROR = 0,
        SWI_LOG_WARN,
        SWI_LOG_INFO,
        SWI_LOG_DEBUG,
} swi_log_level_t;

typedef enum swi_log_format_e {
        SWI_LOG_LOGFMT = 0,
        SWI_LOG_JSON,
} swi_log_format_t;

extern swi_log_level_t swi_log_level;

/* Parses "error", "warn", "info" or "debug"; returns 0 on success, -1 otherwise. */
int swi_log_set_level(const char *name);
/* Parses "logfmt" or "json"; returns 0 on success, -1 otherwise. */
int swi_log_set_format(const char *name);

/* Registers a secret value: from now on it is written as [redacted] wherever
 * it occurs in a line (values and msg alike, library texts included).
 * Values shorter than 4 bytes are ignored: they would mask ordinary text.
 * Call at start-up, before other threads log. */
void swi_log_add_secret(const char *secret);
/* Replaces every registered secret in the NUL-terminated buf (of size bytes)
 * by [redacted]; for texts shown elsewhere (health pages). */
void swi_log_mask(char *buf, size_t size);

/* Writes one line: sub is the subsystem, msg the event, fmt/... the key=value
 * tail (may be "" or NULL). */
void swi_log_write(swi_log_level_t lvl, const char *sub, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Formats one line into buf (NUL-terminated, ending in '\n', truncated to
 * size); returns its length. What swi_log_write writes; for tests. */
size_t swi_log_format_line(char *buf, size_t size, swi_log_format_t format, swi_log_level_t lvl,
                           const char *sub, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#define swi_log(lvl, sub, msg, ...)                                                                \
        do {                                                                                       \
                if ((lvl) <= swi_log_level)                                                        \
                        swi_log_write((lvl), (sub), (msg), __VA_ARGS__);                           \
        } while (0)

#define SWI_LOG_E(sub, msg, ...) swi_log(SWI_LOG_ERROR, sub, msg, __VA_ARGS__)
#define SWI_LOG_W(sub, msg, ...) swi_log(SWI_LOG_WARN, sub, msg, __VA_ARGS__)
#define SWI_LOG_I(sub, msg, ...) swi_log(SWI_LOG_INFO, sub, msg, __VA_ARGS__)
#define SWI_LOG_D(sub, msg, ...) swi_log(SWI_LOG_DEBUG, sub, msg, __VA_ARGS__)

#endif
