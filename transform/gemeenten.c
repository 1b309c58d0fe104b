#include "gemeenten.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/embedded.h"
#include "common/log.h"
#include "transform/event.h"

#define MAX_GEM 400
#define MAX_REG 64

typedef struct gem_s {
        char code[8];
        char name[64];
        char region[8];
} gem_t;

typedef struct reg_s {
        char code[8];
        char name[96];
} reg_t;

static const struct {
        const char *code;
        const char *name;
        int y, m, d; /* last day */
        const char *successor;
} dissolved[] = {
    {"GM0457", "Weesp", 2022, 3, 23, "GM0363"},
    {"GM0501", "Brielle", 2022, 12, 31, "GM1992"},
    {"GM0530", "Hellevoetsluis", 2022, 12, 31, "GM1992"},
    {"GM0614", "Westvoorne", 2022, 12, 31, "GM1992"},
};
#define NDISSOLVED (sizeof(dissolved) / sizeof(dissolved[0]))

static gem_t gems[MAX_GEM];
static int ngems;
static reg_t regs[MAX_REG];
static int nregs;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Splits one CSV line in place into at most max fields (RFC 4180): a field in
 * double quotes may hold commas, and "" inside it stands for one quote
 * ("Nuenen, Gerwen en Nederwetten"). Returns the number of fields. */
static int split(char *line, char **out, int max)
{
        int n = 0;
        char *p = line;
        while (n < max) {
                char *w = p;
                out[n++] = w;
                if (*p == '"') {
                        p++;
                        while (*p && !(*p == '"' && p[1] != '"')) {
                                if (*p == '"')
                                        p++; /* "" -> " */
                                *w++ = *p++;
                        }
                        if (*p == '"')
                                p++;
                        while (*p && *p != ',')
                                *w++ = *p++;
                } else {
                        while (*p && *p != ',')
                                *w++ = *p++;
                }
                int more = *p == ',';
                *w = '\0';
                if (!more)
                        break;
                p++;
        }
        return n;
}

static void copy(char *dst, size_t size, const char *src)
{
        size_t n = strlen(src);
        if (n >= size)
                n = size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
}

static int cmp_gem(const void *a, const void *b)
{
        return strcmp(((const gem_t *)a)->code, ((const gem_t *)b)->code);
}

static void load(void)
{
        const swi_embedded_file_t *f = &swi_embedded_reference[0];
        char *buf = strdup(f->data);
        char *save = NULL;
        int lineno = 0;

        if (!buf)
                return;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *cols[4];
                size_t len = strlen(line);
                if (len && line[len - 1] == '\r')
                        line[len - 1] = '\0';
                if (lineno++ == 0 || !*line)
                        continue; /* header */
                if (split(line, cols, 4) != 4 || ngems == MAX_GEM)
                        continue;
                copy(gems[ngems].code, sizeof(gems[ngems].code), cols[0]);
                copy(gems[ngems].name, sizeof(gems[ngems].name), cols[1]);
                copy(gems[ngems].region, sizeof(gems[ngems].region), cols[2]);
                ngems++;
                int seen = 0;
                for (int i = 0; i < nregs; i++)
                        if (strcmp(regs[i].code, cols[2]) == 0)
                                seen = 1;
                if (!seen && nregs < MAX_REG) {
                        copy(regs[nregs].code, sizeof(regs[nregs].code), cols[2]);
                        copy(regs[nregs].name, sizeof(regs[nregs].name), cols[3]);
                        nregs++;
                }
        }
        free(buf);
        qsort(gems, (size_t)ngems, sizeof(gem_t), cmp_gem);
}

static const gem_t *find(const char *code)
{
        gem_t key;
        pthread_once(&once, load);
        if (!code || strlen(code) >= sizeof(key.code))
                return NULL;
        strcpy(key.code, code);
        return bsearch(&key, gems, (size_t)ngems, sizeof(gem_t), cmp_gem);
}

bool swi_gemeente_valid_on(const char *code, int32_t event_date)
{
        if (find(code))
                return true;
        for (size_t i = 0; i < NDISSOLVED; i++)
                if (strcmp(code, dissolved[i].code) == 0)
                        return event_date <=
                               swi_date_from_ymd(dissolved[i].y, dissolved[i].m, dissolved[i].d);
        return false;
}

const char *swi_gemeente_successor(const char *code)
{
        const gem_t *g = find(code);
        if (g)
                return g->code;
        for (size_t i = 0; i < NDISSOLVED; i++)
                if (code && strcmp(code, dissolved[i].code) == 0)
                        return dissolved[i].successor;
        return NULL;
}

const char *swi_gemeente_region(const char *code)
{
        const char *s = swi_gemeente_successor(code);
        const gem_t *g = s ? find(s) : NULL;
        return g ? g->region : NULL;
}

const char *swi_gemeente_name(const char *code)
{
        const gem_t *g = find(code);
        if (g)
                return g->name;
        for (size_t i = 0; i < NDISSOLVED; i++)
                if (code && strcmp(code, dissolved[i].code) == 0)
                        return dissolved[i].name;
        return NULL;
}

const char *swi_region_name(const char *am_code)
{
        pthread_once(&once, load);
        for (int i = 0; i < nregs; i++)
                if (am_code && strcmp(regs[i].code, am_code) == 0)
                        return regs[i].name;
        return NULL;
}

int swi_gemeente_count(void)
{
        pthread_once(&once, load);
        return ngems;
}

const char *swi_gemeente_code_at(int i)
{
        pthread_once(&once, load);
        return i >= 0 && i < ngems ? gems[i].code : NULL;
}
