#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

swi_log_level_t swi_log_level = SWI_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

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

void swi_log_write(swi_log_level_t lvl, const char *sub, const char *msg, const char *fmt, ...)
{
        char line[2048];
        struct timeval tv;
        struct tm tm;
        size_t n;
        va_list ap;

        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
        n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03dZ level=%s sub=%s msg=\"%s\"",
                              (int)(tv.tv_usec / 1000), level_names[lvl], sub, msg);
        if (n < sizeof(line) - 2 && fmt && *fmt) {
                line[n++] = ' ';
                va_start(ap, fmt);
                int w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
                va_end(ap);
                if (w > 0)
                        n += (size_t)w;
        }
        if (n > sizeof(line) - 2)
                n = sizeof(line) - 2;
        line[n++] = '\n';
        line[n] = '\0';
        fputs(line, stderr);
}
