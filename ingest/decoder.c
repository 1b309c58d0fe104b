/* decoder.c - Avro binary body -> swi_event_t (the one module that includes avro.h).
 *
 * Per writer schema id the decoder caches everything a message needs: the
 * parsed writer schema, a resolver from it to the reader schema, one resolver
 * value and one destination value (reset and reused for every message), and a
 * "skip program" that checks the body's framing before Avro C touches it.
 *
 * Two gaps in Avro C 1.11 shape this file:
 *  - avro_resolved_writer_new() refuses a reader field that the writer lacks,
 *    even when it has a default ("Reader field X doesn't appear in writer").
 *    We therefore resolve against a *projection* of the reader schema onto the
 *    writer's field names and fill the dropped fields from the reader's
 *    defaults ourselves, as the Avro specification prescribes.
 *  - Avro C trusts the lengths in the data (a corrupt string length becomes a
 *    malloc of that size) and avro_reader_is_eof() is always false for memory
 *    readers. The skip program walks the body first: it bounds every length by
 *    the bytes left, checks union branches and enum indexes, and reports
 *    truncation and trailing bytes exactly.
 *
 * Logical types are not kept by Avro C's schema parser, so which int fields
 * are dates is read from the reader schema's JSON (jansson). */
#include "decoder.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "common/fileio.h"
#include "../common/log.h"

#define SWI_NS_PREFIX     "nl.swi."
#define SWI_FULLNAME_MAX  128
#define SWI_SKIP_MAXDEPTH 16

/* ---- reader schemas ------------------------------------------------------- */

typedef enum swi_role_e {
        ROLE_PAYLOAD = 0,
        ROLE_EVENT_ID,
        ROLE_BSN,
        ROLE_VNR,
        ROLE_EVENT_DATE,
        ROLE_REGISTERED_AT,
        ROLE_CORRECTS,
        ROLE_RETRACTS,
} swi_role_t;

static const char *const role_names[] = {
    [ROLE_EVENT_ID] = "event_id",
    [ROLE_BSN] = "bsn",
    [ROLE_VNR] = "v_nummer",
    [ROLE_EVENT_DATE] = "event_date",
    [ROLE_REGISTERED_AT] = "registered_at",
    [ROLE_CORRECTS] = "corrects",
    [ROLE_RETRACTS] = "retracts",
};

typedef struct swi_rfield_s {
        char name[SWI_FIELD_NAME_MAX];
        swi_role_t role;
        bool is_date;     /* int with logicalType "date" (possibly in a union) */
        bool has_default; /* the field may be missing from a writer schema */
        swi_field_t def;  /* payload default as an event field */
} swi_rfield_t;

typedef struct swi_reader_s {
        char fullname[SWI_FULLNAME_MAX]; /* nl.swi.<source>.<Name> */
        swi_source_t source;
        swi_evtype_t type;
        json_t *json; /* the schema as JSON, for projections */
        int nfields;
        swi_rfield_t *fields; /* in schema order */
} swi_reader_t;

/* ---- skip program: the writer schema flattened for the framing check ------ */

typedef enum swi_skip_kind_e {
        SK_NULL,
        SK_BOOL,
        SK_INT,
        SK_LONG,
        SK_FLOAT,
        SK_DOUBLE,
        SK_BYTES, /* bytes and string */
        SK_FIXED,
        SK_ENUM,
        SK_RECORD,
        SK_UNION,
} swi_skip_kind_t;

typedef struct swi_skip_s {
        swi_skip_kind_t kind;
        int64_t n;                /* RECORD/UNION: children; ENUM: symbols; FIXED: size */
        const char *name;         /* field name (owned by the writer schema), for details */
        struct swi_skip_s *child; /* n children (RECORD, UNION) */
} swi_skip_t;

/* ---- per writer schema id ------------------------------------------------- */

typedef struct swi_wentry_s {
        int32_t id;
        char fullname[SWI_FULLNAME_MAX];
        swi_source_t source; /* from the namespace; SWI_SRC__CNT if not a swi source */
        char *fail;          /* set: the schema cannot be decoded, this is why */
        const swi_reader_t *reader;
        avro_schema_t writer;
        avro_schema_t proj; /* reader projected onto the writer's fields */
        avro_value_iface_t *rw_iface, *dest_iface;
        avro_value_t rw_value, dest;
        bool has_values;
        int *map; /* reader field i -> field index in proj, -1: take the default */
        swi_skip_t prog;
} swi_wentry_t;

struct swi_decoder_s {
        swi_registry_t *registry;
        swi_reader_t *readers;
        int nreaders;
        swi_wentry_t **entries; /* sorted by id */
        size_t n, cap;
        swi_wentry_t *last; /* most recent hit: consecutive messages share ids */
        avro_reader_t in;   /* memory reader, re-pointed at each body */
};

/* ---- helpers -------------------------------------------------------------- */

/* "nl.swi.duo" -> SWI_SRC_DUO; SWI_SRC__CNT for anything else. */
static swi_source_t source_of_namespace(const char *ns)
{
        size_t plen = strlen(SWI_NS_PREFIX);
        if (!ns || strncmp(ns, SWI_NS_PREFIX, plen) != 0)
                return SWI_SRC__CNT;
        return swi_source_from_name(ns + plen);
}

/* The first non-null branch of a (possibly union) JSON type. */
static json_t *json_base_type(json_t *type)
{
        size_t i;
        if (!json_is_array(type))
                return type;
        for (i = 0; i < json_array_size(type); i++) {
                json_t *b = json_array_get(type, i);
                if (!(json_is_string(b) && strcmp(json_string_value(b), "null") == 0))
                        return b;
        }
        return NULL;
}

static int rfield_from_json(const char *file, json_t *jf, swi_rfield_t *rf, char *errstr,
                            size_t errstr_size)
{
        const char *name = json_string_value(json_object_get(jf, "name"));
        json_t *base = json_base_type(json_object_get(jf, "type"));
        json_t *def = json_object_get(jf, "default");
        size_t r;

        if (!name || strlen(name) >= SWI_FIELD_NAME_MAX) {
                snprintf(errstr, errstr_size, "%s: field without a name or name too long", file);
                return -1;
        }
        memset(rf, 0, sizeof(*rf));
        snprintf(rf->name, sizeof(rf->name), "%s", name);
        for (r = 1; r < sizeof(role_names) / sizeof(role_names[0]); r++)
                if (strcmp(name, role_names[r]) == 0)
                        rf->role = (swi_role_t)r;
        rf->is_date = json_is_object(base) &&
                      json_is_string(json_object_get(base, "logicalType")) &&
                      strcmp(json_string_value(json_object_get(base, "logicalType")), "date") == 0;
        if (!def)
                return 0;
        rf->has_default = true;
        snprintf(rf->def.name, sizeof(rf->def.name), "%s", name);
        if (json_is_null(def)) {
                rf->def.kind = SWI_V_NULL;
        } else if (json_is_boolean(def)) {
                rf->def.kind = SWI_V_BOOL;
                rf->def.i = json_is_true(def);
        } else if (json_is_integer(def)) {
                rf->def.kind = rf->is_date ? SWI_V_DATE : SWI_V_INT;
                rf->def.i = json_integer_value(def);
        } else if (json_is_string(def) && strlen(json_string_value(def)) < SWI_FIELD_STR_MAX) {
                rf->def.kind = SWI_V_STRING;
                snprintf(rf->def.s, sizeof(rf->def.s), "%s", json_string_value(def));
        } else {
                snprintf(errstr, errstr_size, "%s: field %s has an unsupported default", file,
                         name);
                return -1;
        }
        return 0;
}

/* Loads one current reader schema; on error fills errstr and returns -1. */
static int reader_load(swi_reader_t *rd, const char *dir, json_t *e, char *errstr,
                       size_t errstr_size)
{
        const char *file = json_string_value(json_object_get(e, "file"));
        const char *name, *ns;
        json_t *fields;
        json_error_t jerr;
        char path[4096];
        char *text = NULL;
        size_t len = 0, i;
        avro_schema_t schema = NULL;
        int npayload = 0, rc = -1;
        bool seen_id = false, seen_date = false, seen_reg = false;

        if (!file) {
                snprintf(errstr, errstr_size, "%s/registry.json: entry without \"file\"", dir);
                goto done;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        text = swi_read_file(path, &len);
        if (!text) {
                snprintf(errstr, errstr_size, "cannot read %s: %s", path, strerror(errno));
                goto done;
        }
        rd->json = json_loadb(text, len, 0, &jerr);
        if (!rd->json) {
                snprintf(errstr, errstr_size, "%s: invalid JSON at line %d: %s", path, jerr.line,
                         jerr.text);
                goto done;
        }
        /* Parse with Avro C too: a reader it rejects would fail every resolution. */
        if (avro_schema_from_json_length(text, len, &schema) != 0) {
                snprintf(errstr, errstr_size, "%s: %s", path, avro_strerror());
                goto done;
        }
        name = json_string_value(json_object_get(rd->json, "name"));
        ns = json_string_value(json_object_get(rd->json, "namespace"));
        fields = json_object_get(rd->json, "fields");
        if (!name || !ns || !json_is_array(fields)) {
                snprintf(errstr, errstr_size, "%s: not a record with name, namespace and fields",
                         path);
                goto done;
        }
        snprintf(rd->fullname, sizeof(rd->fullname), "%s.%s", ns, name);
        rd->source = source_of_namespace(ns);
        rd->type = swi_evtype_lookup(rd->source, name);
        if (rd->type == SWI_EV_NONE) {
                snprintf(errstr, errstr_size, "%s: %s is not an event type of events.md", path,
                         rd->fullname);
                goto done;
        }
        rd->nfields = (int)json_array_size(fields);
        rd->fields = calloc((size_t)rd->nfields + 1, sizeof(*rd->fields));
        if (!rd->fields) {
                snprintf(errstr, errstr_size, "out of memory");
                goto done;
        }
        for (i = 0; i < json_array_size(fields); i++) {
                swi_rfield_t *rf = &rd->fields[i];
                if (rfield_from_json(path, json_array_get(fields, i), rf, errstr, errstr_size) != 0)
                        goto done;
                npayload += rf->role == ROLE_PAYLOAD;
                seen_id |= rf->role == ROLE_EVENT_ID;
                seen_date |= rf->role == ROLE_EVENT_DATE;
                seen_reg |= rf->role == ROLE_REGISTERED_AT;
        }
        if (!seen_id || !seen_date || !seen_reg) {
                snprintf(errstr, errstr_size,
                         "%s: envelope incomplete (event_id, event_date, registered_at)", path);
                goto done;
        }
        if (npayload > SWI_MAX_FIELDS) {
                snprintf(errstr, errstr_size, "%s: %d payload fields, the event holds %d", path,
                         npayload, SWI_MAX_FIELDS);
                goto done;
        }
        rc = 0;
done:
        if (schema)
                avro_schema_decref(schema);
        free(text);
        return rc;
}

static const swi_reader_t *reader_find(const swi_decoder_t *d, const char *fullname)
{
        int i;
        for (i = 0; i < d->nreaders; i++)
                if (strcmp(d->readers[i].fullname, fullname) == 0)
                        return &d->readers[i];
        return NULL;
}

/* ---- skip program ----------------------------------------------------------- */

static void skip_free(swi_skip_t *s)
{
        int64_t i;
        if (!s->child)
                return;
        for (i = 0; i < s->n; i++)
                skip_free(&s->child[i]);
        free(s->child);
        s->child = NULL;
}

/* Compiles schema into *s. Returns 0, or -1 with why. */
static int skip_compile(avro_schema_t schema, swi_skip_t *s, const char *name, int depth, char *why,
                        size_t why_size)
{
        int64_t i;

        s->name = name;
        if (depth > SWI_SKIP_MAXDEPTH) {
                snprintf(why, why_size, "writer schema nests deeper than %d levels",
                         SWI_SKIP_MAXDEPTH);
                return -1;
        }
        switch (avro_typeof(schema)) {
        case AVRO_NULL:
                s->kind = SK_NULL;
                return 0;
        case AVRO_BOOLEAN:
                s->kind = SK_BOOL;
                return 0;
        case AVRO_INT32:
                s->kind = SK_INT;
                return 0;
        case AVRO_INT64:
                s->kind = SK_LONG;
                return 0;
        case AVRO_FLOAT:
                s->kind = SK_FLOAT;
                return 0;
        case AVRO_DOUBLE:
                s->kind = SK_DOUBLE;
                return 0;
        case AVRO_STRING:
        case AVRO_BYTES:
                s->kind = SK_BYTES;
                return 0;
        case AVRO_FIXED:
                s->kind = SK_FIXED;
                s->n = avro_schema_fixed_size(schema);
                return 0;
        case AVRO_ENUM:
                s->kind = SK_ENUM;
                s->n = avro_schema_enum_number_of_symbols(schema);
                return 0;
        case AVRO_LINK:
                return skip_compile(avro_schema_link_target(schema), s, name, depth + 1, why,
                                    why_size);
        case AVRO_RECORD:
                s->kind = SK_RECORD;
                s->n = (int64_t)avro_schema_record_size(schema);
                break;
        case AVRO_UNION:
                s->kind = SK_UNION;
                s->n = (int64_t)avro_schema_union_size(schema);
                break;
        default:
                snprintf(why, why_size,
                         "writer schema field %s uses an array or map, which the contract "
                         "does not allow",
                         name);
                return -1;
        }
        s->child = calloc((size_t)s->n + 1, sizeof(*s->child));
        if (!s->child) {
                snprintf(why, why_size, "out of memory");
                return -1;
        }
        for (i = 0; i < s->n; i++) {
                avro_schema_t sub;
                const char *sub_name = name;
                if (s->kind == SK_RECORD) {
                        sub = avro_schema_record_field_get_by_index(schema, (int)i);
                        sub_name = avro_schema_record_field_name(schema, (int)i);
                } else {
                        sub = avro_schema_union_branch(schema, (int)i);
                }
                if (skip_compile(sub, &s->child[i], sub_name, depth + 1, why, why_size) != 0)
                        return -1;
        }
        return 0;
}

typedef struct swi_cursor_s {
        const uint8_t *p, *end;
        const uint8_t *start;
} swi_cursor_t;

/* Reads a zig-zag varint of at most maxbytes. 0 ok, -1 truncated, -2 corrupt. */
static int read_varint(swi_cursor_t *c, int maxbytes, int64_t *out)
{
        uint64_t v = 0;
        int shift = 0, n = 0;

        for (;;) {
                uint8_t b;
                if (c->p >= c->end)
                        return -1;
                if (n == maxbytes)
                        return -2;
                b = *c->p++;
                n++;
                v |= (uint64_t)(b & 0x7f) << shift;
                shift += 7;
                if (!(b & 0x80))
                        break;
        }
        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
        return 0;
}

/* Walks one value. 0 ok, -1 truncated, -2 corrupt (why says what). */
static int skip_value(const swi_skip_t *s, swi_cursor_t *c, const char **why)
{
        int64_t v, i;
        int rc;

        switch (s->kind) {
        case SK_NULL:
                return 0;
        case SK_BOOL:
                if (c->p >= c->end)
                        return -1;
                if (*c->p > 1) {
                        *why = "boolean byte is neither 0 nor 1";
                        return -2;
                }
                c->p++;
                return 0;
        case SK_INT:
        case SK_LONG:
                rc = read_varint(c, s->kind == SK_INT ? 5 : 10, &v);
                if (rc == -2)
                        *why = "varint too long";
                if (rc == 0 && s->kind == SK_INT && (v < INT32_MIN || v > INT32_MAX)) {
                        *why = "int out of range";
                        rc = -2;
                }
                return rc;
        case SK_FLOAT:
        case SK_DOUBLE:
        case SK_FIXED:
                v = s->kind == SK_FLOAT ? 4 : s->kind == SK_DOUBLE ? 8 : s->n;
                if (c->end - c->p < v)
                        return -1;
                c->p += v;
                return 0;
        case SK_BYTES:
                rc = read_varint(c, 10, &v);
                if (rc == -2)
                        *why = "length varint too long";
                if (rc != 0)
                        return rc;
                if (v < 0) {
                        *why = "negative string length";
                        return -2;
                }
                if (c->end - c->p < v)
                        return -1;
                c->p += v;
                return 0;
        case SK_ENUM:
                rc = read_varint(c, 5, &v);
                if (rc == -2)
                        *why = "varint too long";
                if (rc == 0 && (v < 0 || v >= s->n)) {
                        *why = "enum index out of range";
                        rc = -2;
                }
                return rc;
        case SK_UNION:
                rc = read_varint(c, 10, &v);
                if (rc == -2)
                        *why = "varint too long";
                if (rc == 0 && (v < 0 || v >= s->n)) {
                        *why = "union branch out of range";
                        rc = -2;
                }
                if (rc != 0)
                        return rc;
                return skip_value(&s->child[v], c, why);
        case SK_RECORD:
                for (i = 0; i < s->n; i++) {
                        rc = skip_value(&s->child[i], c, why);
                        if (rc != 0)
                                return rc;
                }
                return 0;
        }
        return -2;
}

/* Checks body against the writer's skip program: every field present and in
 * bounds, nothing left over. Returns true if decodable; else fills detail. */
static bool skip_check(const swi_skip_t *prog, const uint8_t *body, size_t len, char *detail,
                       size_t detail_size)
{
        swi_cursor_t c = {body, body + len, body};
        const char *why = NULL;
        const swi_skip_t *at = prog;
        int64_t i;
        int rc = 0;

        /* Walk the top record here so a failure can name its field. */
        for (i = 0; i < prog->n; i++) {
                at = &prog->child[i];
                rc = skip_value(at, &c, &why);
                if (rc != 0)
                        break;
        }
        if (rc == -1) {
                snprintf(detail, detail_size, "truncated Avro body: %zu bytes end inside field %s",
                         len, at->name);
                return false;
        }
        if (rc != 0) {
                snprintf(detail, detail_size, "corrupt Avro body at byte %td, field %s: %s",
                         c.p - c.start, at->name, why ? why : "invalid data");
                return false;
        }
        if (c.p != c.end) {
                snprintf(detail, detail_size, "%td trailing bytes after the %zu-byte record",
                         c.end - c.p, len - (size_t)(c.end - c.p));
                return false;
        }
        return true;
}

/* ---- writer entries ----------------------------------------------------- */

static void wentry_free(swi_wentry_t *w)
{
        if (!w)
                return;
        if (w->has_values) {
                avro_value_decref(&w->rw_value);
                avro_value_decref(&w->dest);
        }
        if (w->rw_iface)
                avro_value_iface_decref(w->rw_iface);
        if (w->dest_iface)
                avro_value_iface_decref(w->dest_iface);
        if (w->proj)
                avro_schema_decref(w->proj);
        if (w->writer)
                avro_schema_decref(w->writer);
        skip_free(&w->prog);
        free(w->map);
        free(w->fail);
        free(w);
}

static bool writer_has_field(avro_schema_t writer, const char *name)
{
        /* Not avro_schema_record_field_get(): it reads an uninitialised
         * pointer when the field is absent. */
        return avro_schema_record_field_get_index(writer, name) >= 0;
}

/* The enum in schema (itself or a union branch), or NULL. */
static avro_schema_t enum_of(avro_schema_t schema)
{
        size_t b;

        if (avro_typeof(schema) == AVRO_LINK)
                schema = avro_schema_link_target(schema);
        if (avro_typeof(schema) == AVRO_ENUM)
                return schema;
        if (avro_typeof(schema) != AVRO_UNION)
                return NULL;
        for (b = 0; b < avro_schema_union_size(schema); b++) {
                avro_schema_t br = avro_schema_union_branch(schema, (int)b);
                if (avro_typeof(br) == AVRO_ENUM)
                        return br;
        }
        return NULL;
}

/* Avro C resolves enums by index, not by symbol: a writer whose symbols are
 * not a prefix of the reader's (symbols only ever appended) would decode to
 * the wrong symbol without any error. Returns 0, or -1 with why. */
static int check_enums(avro_schema_t writer, avro_schema_t proj, char *why, size_t why_size)
{
        size_t i;

        for (i = 0; i < avro_schema_record_size(writer); i++) {
                const char *name = avro_schema_record_field_name(writer, (int)i);
                int ridx = avro_schema_record_field_get_index(proj, name);
                avro_schema_t we, re;
                int k, nw;

                if (ridx < 0)
                        continue;
                we = enum_of(avro_schema_record_field_get_by_index(writer, (int)i));
                re = enum_of(avro_schema_record_field_get_by_index(proj, ridx));
                if (!we || !re)
                        continue;
                nw = avro_schema_enum_number_of_symbols(we);
                for (k = 0; k < nw; k++) {
                        const char *ws = avro_schema_enum_get(we, k);
                        const char *rs = k < avro_schema_enum_number_of_symbols(re)
                                             ? avro_schema_enum_get(re, k)
                                             : NULL;
                        if (!rs || strcmp(ws, rs) != 0) {
                                snprintf(why, why_size,
                                         "enum field %s: writer symbol %d (%s) is not the "
                                         "reader's; symbols may only be appended",
                                         name, k, ws);
                                return -1;
                        }
                }
        }
        return 0;
}

/* Builds the reader schema projected onto the writer's field names, and the
 * field map. Returns 0, or -1 with why. */
static int wentry_project(swi_wentry_t *w, char *why, size_t why_size)
{
        const swi_reader_t *rd = w->reader;
        json_t *copy = NULL, *fields, *kept;
        char *text = NULL;
        int i, nkept = 0, rc = -1;

        w->map = calloc((size_t)rd->nfields + 1, sizeof(*w->map));
        copy = json_deep_copy(rd->json);
        kept = json_array();
        if (!w->map || !copy || !kept) {
                json_decref(kept);
                snprintf(why, why_size, "out of memory");
                goto done;
        }
        fields = json_object_get(rd->json, "fields");
        for (i = 0; i < rd->nfields; i++) {
                if (writer_has_field(w->writer, rd->fields[i].name)) {
                        w->map[i] = nkept++;
                        json_array_append(kept, json_array_get(fields, (size_t)i));
                        continue;
                }
                if (!rd->fields[i].has_default) {
                        json_decref(kept);
                        snprintf(why, why_size,
                                 "reader field %s of %s has no default and the writer schema "
                                 "lacks it",
                                 rd->fields[i].name, rd->fullname);
                        goto done;
                }
                w->map[i] = -1;
        }
        json_object_set_new(copy, "fields", kept);
        text = json_dumps(copy, JSON_COMPACT);
        if (!text) {
                snprintf(why, why_size, "out of memory");
                goto done;
        }
        if (avro_schema_from_json_length(text, strlen(text), &w->proj) != 0) {
                w->proj = NULL;
                snprintf(why, why_size, "projected reader schema of %s: %s", rd->fullname,
                         avro_strerror());
                goto done;
        }
        rc = 0;
done:
        free(text);
        json_decref(copy);
        return rc;
}

/* Prepares everything to decode messages of writer schema json. A schema that
 * cannot be decoded still yields an entry (w->fail says why): ids are
 * immutable, so the verdict is cached too. Returns NULL only without memory. */
static swi_wentry_t *wentry_build(swi_decoder_t *d, int32_t id, const char *json)
{
        swi_wentry_t *w = calloc(1, sizeof(*w));
        const char *ns, *name;
        char why[512] = "";
        int ok = 0;

        if (!w)
                return NULL;
        w->id = id;
        w->source = SWI_SRC__CNT;
        if (avro_schema_from_json_length(json, strlen(json), &w->writer) != 0) {
                w->writer = NULL;
                snprintf(why, sizeof(why), "writer schema %d does not parse: %s", (int)id,
                         avro_strerror());
                goto done;
        }
        if (avro_typeof(w->writer) != AVRO_RECORD) {
                snprintf(why, sizeof(why), "writer schema %d is not a record", (int)id);
                goto done;
        }
        ns = avro_schema_namespace(w->writer);
        name = avro_schema_name(w->writer);
        snprintf(w->fullname, sizeof(w->fullname), "%s%s%s", ns ? ns : "", ns ? "." : "", name);
        w->source = source_of_namespace(ns);
        if (w->source == SWI_SRC__CNT) {
                snprintf(why, sizeof(why), "record %s is not in a namespace nl.swi.<source>",
                         w->fullname);
                goto done;
        }
        if (swi_evtype_lookup(w->source, name) == SWI_EV_NONE) {
                snprintf(why, sizeof(why), "record %s is not an event type of source %s",
                         w->fullname, swi_source_name(w->source));
                goto done;
        }
        w->reader = reader_find(d, w->fullname);
        if (!w->reader) {
                snprintf(why, sizeof(why), "no reader schema for record %s", w->fullname);
                goto done;
        }
        if (skip_compile(w->writer, &w->prog, "(record)", 0, why, sizeof(why)) != 0)
                goto done;
        if (wentry_project(w, why, sizeof(why)) != 0)
                goto done;
        if (check_enums(w->writer, w->proj, why, sizeof(why)) != 0)
                goto done;
        w->rw_iface = avro_resolved_writer_new(w->writer, w->proj);
        if (!w->rw_iface) {
                snprintf(why, sizeof(why), "writer schema %d does not resolve to %s: %s", (int)id,
                         w->reader->fullname, avro_strerror());
                goto done;
        }
        w->dest_iface = avro_generic_class_from_schema(w->proj);
        if (!w->dest_iface || avro_resolved_writer_new_value(w->rw_iface, &w->rw_value) != 0) {
                snprintf(why, sizeof(why), "cannot build values for %s: %s", w->fullname,
                         avro_strerror());
                goto done;
        }
        if (avro_generic_value_new(w->dest_iface, &w->dest) != 0) {
                avro_value_decref(&w->rw_value);
                snprintf(why, sizeof(why), "cannot build values for %s: %s", w->fullname,
                         avro_strerror());
                goto done;
        }
        w->has_values = true;
        avro_resolved_writer_set_dest(&w->rw_value, &w->dest);
        ok = 1;
done:
        if (!ok) {
                w->fail = strdup(why);
                if (!w->fail) {
                        wentry_free(w);
                        return NULL;
                }
                SWI_LOG_W("decoder", "writer schema cannot be decoded", "id=%d error=\"%s\"",
                          (int)id, why);
        } else {
                SWI_LOG_D("decoder", "writer schema resolved", "id=%d record=%s", (int)id,
                          w->fullname);
        }
        return w;
}

static swi_wentry_t *wentry_find(swi_decoder_t *d, int32_t id)
{
        size_t lo = 0, hi = d->n;

        if (d->last && d->last->id == id)
                return d->last;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (d->entries[mid]->id == id) {
                        d->last = d->entries[mid];
                        return d->last;
                }
                if (d->entries[mid]->id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static swi_err_t wentry_insert(swi_decoder_t *d, swi_wentry_t *w)
{
        size_t pos = 0;

        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 64;
                swi_wentry_t **e = realloc(d->entries, cap * sizeof(*e));
                if (!e)
                        return SWI_ERR_NOMEM;
                d->entries = e;
                d->cap = cap;
        }
        while (pos < d->n && d->entries[pos]->id < w->id)
                pos++;
        memmove(&d->entries[pos + 1], &d->entries[pos], (d->n - pos) * sizeof(*d->entries));
        d->entries[pos] = w;
        d->n++;
        d->last = w;
        return SWI_OK;
}

/* ---- constructor / destructor -------------------------------------------- */

swi_decoder_t *swi_decoder_new(swi_registry_t *registry, const char *reader_dir, char *errstr,
                               size_t errstr_size)
{
        swi_decoder_t *d = NULL;
        json_t *root = NULL, *list;
        json_error_t jerr;
        char path[4096];
        size_t i;
        int ok = 0;
        static const char empty[1] = "";

        assert(registry && reader_dir);
        d = calloc(1, sizeof(*d));
        if (!d) {
                snprintf(errstr, errstr_size, "out of memory");
                goto done;
        }
        d->registry = registry;
        snprintf(path, sizeof(path), "%s/registry.json", reader_dir);
        root = json_load_file(path, 0, &jerr);
        if (!root) {
                snprintf(errstr, errstr_size, "%s: %s (line %d)", path, jerr.text, jerr.line);
                goto done;
        }
        list = json_object_get(root, "schemas");
        if (!json_is_array(list)) {
                snprintf(errstr, errstr_size, "%s: no \"schemas\" array", path);
                goto done;
        }
        d->readers = calloc(json_array_size(list) + 1, sizeof(*d->readers));
        if (!d->readers) {
                snprintf(errstr, errstr_size, "out of memory");
                goto done;
        }
        for (i = 0; i < json_array_size(list); i++) {
                json_t *e = json_array_get(list, i);
                swi_reader_t *rd = &d->readers[d->nreaders];
                if (!json_is_true(json_object_get(e, "current")))
                        continue;
                d->nreaders++; /* counted before loading: destroy frees partial ones */
                if (reader_load(rd, reader_dir, e, errstr, errstr_size) != 0)
                        goto done;
                if (reader_find(d, rd->fullname) != rd) {
                        snprintf(errstr, errstr_size, "%s: two current versions of %s", path,
                                 rd->fullname);
                        goto done;
                }
        }
        d->in = avro_reader_memory(empty, 0);
        if (!d->in) {
                snprintf(errstr, errstr_size, "avro_reader_memory: %s", avro_strerror());
                goto done;
        }
        SWI_LOG_I("decoder", "reader schemas loaded", "dir=%s readers=%d", reader_dir, d->nreaders);
        ok = 1;
done:
        json_decref(root);
        if (!ok) {
                swi_decoder_destroy(d);
                d = NULL;
        }
        return d;
}

void swi_decoder_destroy(swi_decoder_t *d)
{
        size_t i;
        int r;

        if (!d)
                return;
        for (i = 0; i < d->n; i++)
                wentry_free(d->entries[i]);
        free(d->entries);
        for (r = 0; r < d->nreaders; r++) {
                json_decref(d->readers[r].json);
                free(d->readers[r].fields);
        }
        free(d->readers);
        if (d->in)
                avro_reader_free(d->in);
        free(d);
}

/* ---- mapping a decoded record onto swi_event_t --------------------------- */

/* Unwraps a union value to its current branch. */
static int unwrap(avro_value_t *v, avro_value_t *branch)
{
        if (avro_value_get_type(v) != AVRO_UNION) {
                *branch = *v;
                return 0;
        }
        return avro_value_get_current_branch(v, branch);
}

/* Copies a string (or null) field into out[out_size]. Returns 1 for a
 * non-empty string, 0 for null or empty, -1 (detail set) if it is not a
 * string. A string that out cannot hold as a C string - it contains a NUL
 * byte, or it is longer than out, which then gets a prefix - sets *wire_len to
 * its length as sent (0 otherwise): that is not a reason to reject it here,
 * the validator judges it as the field it is (event.h). */
static int get_str(avro_value_t *v, const char *field, char *out, size_t out_size,
                   uint32_t *wire_len, char *detail, size_t detail_size)
{
        avro_value_t b;
        const char *s = NULL;
        size_t size = 0, len, keep;

        *wire_len = 0;
        if (unwrap(v, &b) != 0)
                goto bad;
        if (avro_value_get_type(&b) == AVRO_NULL)
                return 0;
        if (avro_value_get_type(&b) != AVRO_STRING || avro_value_get_string(&b, &s, &size) != 0)
                goto bad;
        len = size > 0 ? size - 1 : 0; /* size counts the terminating NUL */
        keep = len < out_size ? len : out_size - 1;
        memcpy(out, s, keep);
        out[keep] = '\0';
        if (keep < len || memchr(s, '\0', len))
                *wire_len = len < UINT32_MAX ? (uint32_t)len : UINT32_MAX;
        return len > 0;
bad:
        snprintf(detail, detail_size, "field %s is not a string", field);
        return -1;
}

static int get_int(avro_value_t *v, const char *field, int64_t *out, char *detail,
                   size_t detail_size)
{
        avro_value_t b;
        int32_t i32;
        int rc = -1;

        if (unwrap(v, &b) == 0) {
                if (avro_value_get_type(&b) == AVRO_INT32) {
                        rc = avro_value_get_int(&b, &i32);
                        *out = i32;
                } else if (avro_value_get_type(&b) == AVRO_INT64) {
                        rc = avro_value_get_long(&b, out);
                }
        }
        if (rc != 0)
                snprintf(detail, detail_size, "field %s is not an int", field);
        return rc;
}

/* Converts one payload value to an event field. 0, or -1 with detail. */
static int get_payload(avro_value_t *v, const swi_rfield_t *rf, swi_field_t *f, char *detail,
                       size_t detail_size)
{
        avro_value_t b;
        int32_t i32;
        int bv, sym;
        const char *s;
        int rc;

        memcpy(f->name, rf->name, sizeof(f->name));
        if (unwrap(v, &b) != 0)
                goto bad;
        switch (avro_value_get_type(&b)) {
        case AVRO_NULL:
                f->kind = SWI_V_NULL;
                return 0;
        case AVRO_STRING:
                f->kind = SWI_V_STRING;
                rc = get_str(&b, rf->name, f->s, sizeof(f->s), &f->wire_len, detail, detail_size);
                return rc < 0 ? -1 : 0;
        case AVRO_ENUM:
                if (avro_value_get_enum(&b, &sym) != 0)
                        goto bad;
                s = avro_schema_enum_get(avro_value_get_schema(&b), sym);
                if (!s || strlen(s) >= sizeof(f->s))
                        goto bad;
                f->kind = SWI_V_STRING;
                memcpy(f->s, s, strlen(s) + 1);
                return 0;
        case AVRO_INT32:
                if (avro_value_get_int(&b, &i32) != 0)
                        goto bad;
                f->kind = rf->is_date ? SWI_V_DATE : SWI_V_INT;
                f->i = i32;
                return 0;
        case AVRO_INT64:
                if (avro_value_get_long(&b, &f->i) != 0)
                        goto bad;
                f->kind = SWI_V_INT;
                return 0;
        case AVRO_BOOLEAN:
                if (avro_value_get_boolean(&b, &bv) != 0)
                        goto bad;
                f->kind = SWI_V_BOOL;
                f->i = bv != 0;
                return 0;
        default:
                break;
        }
bad:
        snprintf(detail, detail_size, "field %s has a type the event model does not support",
                 rf->name);
        return -1;
}

/* Fills ev from the decoded value of w. 0, or -1 with detail. */
static int map_event(const swi_wentry_t *w, avro_value_t *rec, swi_event_t *ev, char *detail,
                     size_t detail_size)
{
        const swi_reader_t *rd = w->reader;
        avro_value_t fv;
        int64_t i64;
        int i, rc;

        memset(ev, 0, sizeof(*ev));
        ev->source = rd->source;
        ev->type = rd->type;
        ev->schema_id = (int)w->id;
        for (i = 0; i < rd->nfields; i++) {
                const swi_rfield_t *rf = &rd->fields[i];
                if (w->map[i] < 0) {
                        /* Added after the writer's version: the reader's default.
                         * Envelope defaults are all null, i.e. absent. */
                        if (rf->role == ROLE_PAYLOAD)
                                ev->fields[ev->nfields++] = rf->def;
                        continue;
                }
                if (avro_value_get_by_index(rec, (size_t)w->map[i], &fv, NULL) != 0) {
                        snprintf(detail, detail_size, "field %s missing after resolution: %s",
                                 rf->name, avro_strerror());
                        return -1;
                }
                switch (rf->role) {
                case ROLE_EVENT_ID:
                        rc = get_str(&fv, rf->name, ev->event_id, sizeof(ev->event_id),
                                     &ev->event_id_wire_len, detail, detail_size);
                        break;
                case ROLE_BSN:
                        rc = get_str(&fv, rf->name, ev->bsn, sizeof(ev->bsn), &ev->bsn_wire_len,
                                     detail, detail_size);
                        ev->has_bsn = rc > 0;
                        break;
                case ROLE_VNR:
                        rc = get_str(&fv, rf->name, ev->vnr, sizeof(ev->vnr), &ev->vnr_wire_len,
                                     detail, detail_size);
                        ev->has_vnr = rc > 0;
                        break;
                case ROLE_CORRECTS:
                        rc = get_str(&fv, rf->name, ev->corrects, sizeof(ev->corrects),
                                     &ev->corrects_wire_len, detail, detail_size);
                        ev->has_corrects = rc > 0;
                        break;
                case ROLE_RETRACTS:
                        rc = get_str(&fv, rf->name, ev->retracts, sizeof(ev->retracts),
                                     &ev->retracts_wire_len, detail, detail_size);
                        ev->has_retracts = rc > 0;
                        break;
                case ROLE_EVENT_DATE:
                        rc = get_int(&fv, rf->name, &i64, detail, detail_size);
                        if (rc == 0 && (i64 < INT32_MIN || i64 > INT32_MAX)) {
                                snprintf(detail, detail_size, "field %s out of range", rf->name);
                                rc = -1;
                        }
                        ev->event_date = (int32_t)i64;
                        break;
                case ROLE_REGISTERED_AT:
                        rc = get_int(&fv, rf->name, &ev->registered_at, detail, detail_size);
                        break;
                case ROLE_PAYLOAD:
                default:
                        rc = get_payload(&fv, rf, &ev->fields[ev->nfields], detail, detail_size);
                        ev->nfields++;
                        break;
                }
                if (rc < 0)
                        return -1;
        }
        return 0;
}

/* ---- decode ------------------------------------------------------------- */

swi_err_t swi_decode(swi_decoder_t *d, swi_source_t topic_source, int32_t schema_id,
                     const uint8_t *body, size_t len, swi_event_t *ev, swi_reason_t *reason,
                     char *detail, size_t detail_size)
{
        swi_wentry_t *w;
        const char *json = NULL;
        swi_err_t err;

        assert(d && ev && reason);
        if (detail && detail_size > 0)
                detail[0] = '\0';
        *reason = SWI_REASON_NONE;
        /* a rejection names its own record's type, never a previous message's */
        ev->type = SWI_EV_NONE;

        w = wentry_find(d, schema_id);
        if (!w) {
                err = swi_registry_lookup(d->registry, schema_id, &json);
                if (err == SWI_ERR_NOT_FOUND) {
                        *reason = SWI_REASON_UNKNOWN_SCHEMA;
                        snprintf(detail, detail_size, "schema id %d is unknown to the registry",
                                 (int)schema_id);
                        return SWI_OK;
                }
                if (err != SWI_OK)
                        return err;
                w = wentry_build(d, schema_id, json);
                if (!w)
                        return SWI_ERR_NOMEM;
                if (wentry_insert(d, w) != SWI_OK) {
                        wentry_free(w);
                        return SWI_ERR_NOMEM;
                }
        }

        if (w->reader)
                ev->type = w->reader->type;
        if (w->source != SWI_SRC__CNT && w->source != topic_source) {
                *reason = SWI_REASON_WRONG_SOURCE;
                snprintf(detail, detail_size,
                         "record %s (schema id %d) is a %s event on the %s "
                         "topic",
                         w->fullname, (int)schema_id, swi_source_name(w->source),
                         swi_source_name(topic_source));
                return SWI_OK;
        }
        if (w->fail) {
                *reason = SWI_REASON_UNDECODABLE;
                snprintf(detail, detail_size, "%s", w->fail);
                return SWI_OK;
        }
        if (!skip_check(&w->prog, body, len, detail, detail_size)) {
                *reason = SWI_REASON_UNDECODABLE;
                return SWI_OK;
        }

        avro_reader_memory_set_source(d->in, (const char *)body, (int64_t)len);
        avro_value_reset(&w->dest);
        if (avro_value_read(d->in, &w->rw_value) != 0) {
                *reason = SWI_REASON_UNDECODABLE;
                snprintf(detail, detail_size, "corrupt Avro body: %s", avro_strerror());
                return SWI_OK;
        }
        if (map_event(w, &w->dest, ev, detail, detail_size) != 0) {
                *reason = SWI_REASON_UNDECODABLE;
                return SWI_OK;
        }
        return SWI_OK;
}
