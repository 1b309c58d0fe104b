/* props.h - a program's configuration, driven by one table of properties.
 *
 * Each program (swi-etl, swi-dashboard) declares its own table of rows
 * (name, type, default, range, description, offset of the field in its own
 * configuration struct) and hands it to these functions: parsing "name = value"
 * files and -X NAME=VALUE arguments, type and range checks, --help, the
 * effective configuration (--print-config, start-up log) and the Markdown
 * reference in docs/config-reference.md all read the same rows, so adding an
 * option is adding a row (librdkafka's rd_kafka_properties[], Redis's
 * static_configs[]).
 *
 * A table may route some names elsewhere first (swi-etl passes kafka.* to
 * librdkafka): its set function sees every name before the table does.
 *
 * Thread safety: tables are constant; a configuration struct is filled at
 * start-up and read-only afterwards. */
#ifndef SWI_PROPS_H
#define SWI_PROPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "swi_err.h"

typedef enum { SWI_PROP_STR, SWI_PROP_INT, SWI_PROP_BOOL } swi_prop_type_t;

/* One property. The field at offset in the program's struct is a char * (owned
 * by the struct, freed by swi_props_free), an int64_t or a bool. min/max bound
 * an integer. */
typedef struct swi_prop_s {
        const char *name;
        swi_prop_type_t type;
        const char *def;
        int64_t min, max;
        size_t offset;
        const char *desc;
} swi_prop_t;

typedef struct swi_props_table_s swi_props_table_t;

struct swi_props_table_s {
        const swi_prop_t *props;
        size_t n;
        /* Optional: sets one property by name (for names the table routes
         * elsewhere); NULL = swi_props_set. Used by swi_props_load_file and
         * swi_props_set_arg. */
        swi_err_t (*set)(const swi_props_table_t *t, void *conf, const char *name,
                         const char *value, char *errstr, size_t errstr_size);
};

/* Fills conf (zeroed first, size bytes) with the table's defaults.
 * Release with swi_props_free(). */
swi_err_t swi_props_init(const swi_props_table_t *t, void *conf, size_t size);
/* Frees the string fields of the table and zeroes them. */
void swi_props_free(const swi_props_table_t *t, void *conf);

/* Sets one property of the table by name from its text value; checks type and
 * range. SWI_ERR_CONFIG with a message in errstr on an unknown name or a bad
 * value (conf unchanged). */
swi_err_t swi_props_set(const swi_props_table_t *t, void *conf, const char *name, const char *value,
                        char *errstr, size_t errstr_size);

/* Sets "NAME=VALUE" (a -X argument) through t->set. */
swi_err_t swi_props_set_arg(const swi_props_table_t *t, void *conf, const char *arg, char *errstr,
                            size_t errstr_size);

/* Reads "name = value" lines ('#' starts a comment) from path, through t->set;
 * errors name the file and line. */
swi_err_t swi_props_load_file(const swi_props_table_t *t, void *conf, const char *path,
                              char *errstr, size_t errstr_size);

/* --help list: name, type, default, range, description per row. */
void swi_props_print_help(const swi_props_table_t *t, FILE *out);
/* The effective values as "name = value" lines (loadable again). */
void swi_props_print_effective(const swi_props_table_t *t, const void *conf, FILE *out);
/* The table as Markdown rows, after a header line. */
void swi_props_print_reference_md(const swi_props_table_t *t, FILE *out);

#endif
