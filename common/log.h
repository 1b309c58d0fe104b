/* log.h - structured, levelled logging: one line per event, key=value.
 *
 *   ts=2026-11-23T11:00:00.123Z level=info sub=pg msg="batch committed" rows=5000
 *
 * The level is checked before the arguments are formatted. Never pass a raw BSN
 * or V-nummer to these macros.
 * Thread safety: swi_log_write() may be called from any thread; each line is
 * written with a single fputs() on an unbuffered stream. */
#ifndef SWI_LOG_H
#define SWI_LOG_H

typedef enum swi_log_level_e {
        SWI_LOG_ERROR = 0,
        SWI_LOG_WARN,
        SWI_LOG_INFO,
        SWI_LOG_DEBUG,
} swi_log_level_t;

extern swi_log_level_t swi_log_level;

/* Parses "error", "warn", "info" or "debug"; returns 0 on success, -1 otherwise. */
int swi_log_set_level(const char *name);

/* Writes one line: sub is the subsystem, fmt/... the key=value tail (may be "").
 * msg is quoted for you. */
void swi_log_write(swi_log_level_t lvl, const char *sub, const char *msg, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

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
