#include "props.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static swi_err_t set_prop(const swi_prop_t *p, void *conf, const char *value, char *errstr,
                          size_t errstr_size)
{
        char *base = (char *)conf + p->offset;
        char *end;
        long long v;

        switch (p->type) {
        case SWI_PROP_STR: {
                char *dup = strdup(value);
                if (!dup)
                        return SWI_ERR_NOMEM;
                free(*(char **)base);
                *(char **)base = dup;
                return SWI_OK;
        }
        case SWI_PROP_INT:
                errno = 0;
                v = strtoll(value, &end, 10);
                if (errno || end == value || *end != '\0') {
                        snprintf(errstr, errstr_size, "%s: \"%s\" is not an integer", p->name,
                                 value);
                        return SWI_ERR_CONFIG;
                }
                if (v < p->min || v > p->max) {
                        snprintf(errstr, errstr_size, "%s: %lld is outside [%lld, %lld]", p->name,
                                 v, (long long)p->min, (long long)p->max);
                        return SWI_ERR_CONFIG;
                }
                *(int64_t *)base = v;
                return SWI_OK;
        case SWI_PROP_BOOL:
                if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes")) {
                        *(bool *)base = true;
                } else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no")) {
                        *(bool *)base = false;
                } else {
                        snprintf(errstr, errstr_size, "%s: \"%s\" is not true or false", p->name,
                                 value);
                        return SWI_ERR_CONFIG;
                }
                return SWI_OK;
        }
        return SWI_ERR_CONFIG;
}

swi_err_t swi_props_init(const swi_props_table_t *t, void *conf, size_t size)
{
        char err[256];
        memset(conf, 0, size);
        for (size_t i = 0; i < t->n; i++) {
                swi_err_t rc = set_prop(&t->props[i], conf, t->props[i].def, err, sizeof(err));
                if (rc != SWI_OK)
                        return rc;
        }
        return SWI_OK;
}

void swi_props_free(const swi_props_table_t *t, void *conf)
{
        for (size_t i = 0; i < t->n; i++) {
                if (t->props[i].type == SWI_PROP_STR) {
                        char **s = (char **)((char *)conf + t->props[i].offset);
                        free(*s);
                        *s = NULL;
                }
        }
}

swi_err_t swi_props_set(const swi_props_table_t *t, void *conf, const char *name, const char *value,
                        char *errstr, size_t errstr_size)
{
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->props[i].name, name) == 0)
                        return set_prop(&t->props[i], conf, value, errstr, errstr_size);
        snprintf(errstr, errstr_size, "unknown property \"%s\" (see --help)", name);
        return SWI_ERR_CONFIG;
}

static swi_err_t set_via(const swi_props_table_t *t, void *conf, const char *name,
                         const char *value, char *errstr, size_t errstr_size)
{
        if (t->set)
                return t->set(t, conf, name, value, errstr, errstr_size);
        return swi_props_set(t, conf, name, value, errstr, errstr_size);
}

swi_err_t swi_props_set_arg(const swi_props_table_t *t, void *conf, const char *arg, char *errstr,
                            size_t errstr_size)
{
        const char *eq = strchr(arg, '=');
        char *name;
        swi_err_t rc;

        if (!eq || eq == arg) {
                snprintf(errstr, errstr_size, "-X expects NAME=VALUE, got \"%s\"", arg);
                return SWI_ERR_CONFIG;
        }
        name = strndup(arg, (size_t)(eq - arg));
        if (!name)
                return SWI_ERR_NOMEM;
        rc = set_via(t, conf, name, eq + 1, errstr, errstr_size);
        free(name);
        return rc;
}

static char *trim(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

swi_err_t swi_props_load_file(const swi_props_table_t *t, void *conf, const char *path,
                              char *errstr, size_t errstr_size)
{
        char line[4096];
        int lineno = 0;
        swi_err_t rc = SWI_OK;
        FILE *f = fopen(path, "r");

        if (!f) {
                snprintf(errstr, errstr_size, "cannot open config file %s: %s", path,
                         strerror(errno));
                return SWI_ERR_CONFIG;
        }
        while (fgets(line, sizeof(line), f)) {
                lineno++;
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                char *s = trim(line);
                if (!*s)
                        continue;
                char *eq = strchr(s, '=');
                if (!eq) {
                        snprintf(errstr, errstr_size, "%s:%d: expected \"name = value\"", path,
                                 lineno);
                        rc = SWI_ERR_CONFIG;
                        break;
                }
                *eq = '\0';
                char sub[512];
                rc = set_via(t, conf, trim(s), trim(eq + 1), sub, sizeof(sub));
                if (rc != SWI_OK) {
                        snprintf(errstr, errstr_size, "%s:%d: %s", path, lineno, sub);
                        break;
                }
        }
        fclose(f);
        return rc;
}

static const char *type_name(swi_prop_type_t type)
{
        return type == SWI_PROP_STR ? "string" : type == SWI_PROP_INT ? "integer" : "boolean";
}

void swi_props_print_help(const swi_props_table_t *t, FILE *out)
{
        fprintf(out, "Properties (set in the -c file or with -X name=value):\n");
        for (size_t i = 0; i < t->n; i++) {
                const swi_prop_t *p = &t->props[i];
                fprintf(out, "  %-30s %-8s default \"%s\"", p->name, type_name(p->type), p->def);
                if (p->type == SWI_PROP_INT)
                        fprintf(out, " [%lld..%lld]", (long long)p->min, (long long)p->max);
                fprintf(out, "\n      %s\n", p->desc);
        }
}

void swi_props_print_effective(const swi_props_table_t *t, const void *conf, FILE *out)
{
        for (size_t i = 0; i < t->n; i++) {
                const swi_prop_t *p = &t->props[i];
                const char *base = (const char *)conf + p->offset;
                switch (p->type) {
                case SWI_PROP_STR:
                        fprintf(out, "%s = %s\n", p->name, *(char *const *)base);
                        break;
                case SWI_PROP_INT:
                        fprintf(out, "%s = %lld\n", p->name, (long long)*(const int64_t *)base);
                        break;
                case SWI_PROP_BOOL:
                        fprintf(out, "%s = %s\n", p->name, *(const bool *)base ? "true" : "false");
                        break;
                }
        }
}

void swi_props_print_reference_md(const swi_props_table_t *t, FILE *out)
{
        fprintf(out, "| property | type | default | range | description |\n"
                     "|---|---|---|---|---|\n");
        for (size_t i = 0; i < t->n; i++) {
                const swi_prop_t *p = &t->props[i];
                fprintf(out, "| `%s` | %s | `%s` | ", p->name, type_name(p->type), p->def);
                if (p->type == SWI_PROP_INT)
                        fprintf(out, "%lld..%lld", (long long)p->min, (long long)p->max);
                fprintf(out, " | %s |\n", p->desc);
        }
}
