/* embedded.h - files compiled into the binaries (cmake/embed.cmake). */
#ifndef SWI_EMBEDDED_H
#define SWI_EMBEDDED_H

#include <stddef.h>

typedef struct swi_embedded_file_s {
        const char *name; /* base name, e.g. "001_events.sql" */
        const char *data; /* NUL-terminated contents */
        size_t len;
} swi_embedded_file_t;

/* sinks/migrations/[0-9][0-9][0-9]_*.sql, sorted by name; ends with a NULL name. */
extern const swi_embedded_file_t swi_embedded_migrations[];
/* transform/data/gemeenten_2024.csv; ends with a NULL name. */
extern const swi_embedded_file_t swi_embedded_reference[];

#endif
