/* encoder.c - see encoder.h. */
#include "encoder.h"

#include <assert.h>
#include <avro.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "../../ingest/wire_format.h"

/* Which member of swi_event_t a schema field maps to. */
typedef enum role_e {
        ROLE_EVENT_ID,
        ROLE_BSN,
        ROLE_VNR,
        ROLE_EVENT_DATE,
        ROLE_REGISTERED_AT,
        ROLE_CORRECTS,
        ROLE_RETRACTS,
        ROLE_PAYLOAD,
} role_t;

typedef enum kind_e { K_STRING, K_INT, K_LONG, K_BOOL, K_ENUM } kind_t;

typedef struct slot_s {
        const char *name; /* owned by the schema */
        role_t role;
        kind_t kind;   /* of the value (the non-null branch of a nullable union) */
        bool nullable; /* ["null", X] */
        int null_branch, val_branch;
        avro_schema_t enum_schema; /* K_ENUM: borrowed from the record schema */
} slot_t;

typedef struct entry_s {
        int32_t id;
        swi_evtype_t type;
        bool current;
        avro_schema_t schema;
        avro_value_iface_t *iface;
        avro_value_t value; /* reused for every message of this id */
        int nslots;
        slot_t *slots;
} entry_t;

struct swi_gen_encoder_s {
        int nentries;
        entry_t *entries;
        int32_t current[SWI_EV__CNT];
        avro_writer_t writer;
        avro_reader_t reader;
        swi_gen_buf_t scratch;
};

swi_err_t swi_gen_buf_reserve(swi_gen_buf_t *b, size_t n)
{
        size_t cap;
        uint8_t *p;

        if (b->len + n <= b->cap)
                return SWI_OK;
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
                cap *= 2;
        p = realloc(b->data, cap);
        if (!p)
                return SWI_ERR_NOMEM;
        b->data = p;
        b->cap = cap;
        return SWI_OK;
}

swi_err_t swi_gen_buf_append(swi_gen_buf_t *b, const void *p, size_t n)
{
        swi_err_t rc = swi_gen_buf_reserve(b, n);

        if (rc != SWI_OK)
                return rc;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        return SWI_OK;
}

void swi_gen_buf_free(swi_gen_buf_t *b)
{
        free(b->data);
        memset(b, 0, sizeof(*b));
}

static role_t role_of(const char *name)
{
        static const struct {
                const char *name;
                role_t role;
        } roles[] = {
            {"event_id", ROLE_EVENT_ID},
            {"bsn", ROLE_BSN},
            {"v_nummer", ROLE_VNR},
            {"event_date", ROLE_EVENT_DATE},
            {"registered_at", ROLE_REGISTERED_AT},
            {"corrects", ROLE_CORRECTS},
            {"retracts", ROLE_RETRACTS},
        };
        for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
                if (!strcmp(roles[i].name, name))
                        return roles[i].role;
        return ROLE_PAYLOAD;
}

static int kind_of(avro_schema_t s, kind_t *kind)
{
        switch (avro_typeof(s)) {
        case AVRO_STRING:
                *kind = K_STRING;
                return 0;
        case AVRO_INT32:
                *kind = K_INT;
                return 0;
        case AVRO_INT64:
                *kind = K_LONG;
                return 0;
        case AVRO_BOOLEAN:
                *kind = K_BOOL;
                return 0;
        case AVRO_ENUM:
                *kind = K_ENUM;
                return 0;
        default:
                return -1;
        }
}

/* Describes every field of the record schema of e. */
static int build_slots(entry_t *e, char *errstr, size_t errstr_size)
{
        size_t n = avro_schema_record_size(e->schema);

        e->slots = calloc(n ? n : 1, sizeof(*e->slots));
        if (!e->slots) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        e->nslots = (int)n;
        for (size_t i = 0; i < n; i++) {
                slot_t *sl = &e->slots[i];
                avro_schema_t fs = avro_schema_record_field_get_by_index(e->schema, (int)i);
                avro_schema_t vs = fs;

                sl->name = avro_schema_record_field_name(e->schema, (int)i);
                sl->role = role_of(sl->name);
                if (is_avro_union(fs)) {
                        if (avro_schema_union_size(fs) != 2)
                                goto unsupported;
                        for (int b = 0; b < 2; b++) {
                                avro_schema_t bs = avro_schema_union_branch(fs, b);
                                if (is_avro_null(bs)) {
                                        sl->null_branch = b;
                                } else {
                                        sl->val_branch = b;
                                        vs = bs;
                                }
                        }
                        if (sl->null_branch == sl->val_branch)
                                goto unsupported;
                        sl->nullable = true;
                }
                if (kind_of(vs, &sl->kind) != 0)
                        goto unsupported;
                if (sl->kind == K_ENUM)
                        sl->enum_schema = vs;
                continue;
        unsupported:
                snprintf(errstr, errstr_size, "schema id %d: field %s has an unsupported type",
                         (int)e->id, sl->name);
                return -1;
        }
        return 0;
}

static int load_entry(entry_t *e, const char *dir, json_t *js, char *errstr, size_t errstr_size)
{
        json_t *jid = json_object_get(js, "id"), *jsrc = json_object_get(js, "source"),
               *jname = json_object_get(js, "name"), *jfile = json_object_get(js, "file"),
               *jcur = json_object_get(js, "current");
        swi_source_t src;
        char path[4096];
        char *text;
        size_t len = 0;
        int rc;

        if (!json_is_integer(jid) || !json_is_string(jsrc) || !json_is_string(jname) ||
            !json_is_string(jfile)) {
                snprintf(errstr, errstr_size,
                         "%s/registry.json: entry without integer id, source, name or file", dir);
                return -1;
        }
        e->id = (int32_t)json_integer_value(jid);
        e->current = json_is_true(jcur);
        src = swi_source_from_name(json_string_value(jsrc));
        e->type =
            src == SWI_SRC__CNT ? SWI_EV_NONE : swi_evtype_lookup(src, json_string_value(jname));
        if (e->type == SWI_EV_NONE) {
                snprintf(errstr, errstr_size, "%s/registry.json: id %d: unknown event type %s.%s",
                         dir, (int)e->id, json_string_value(jsrc), json_string_value(jname));
                return -1;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, json_string_value(jfile));
        text = swi_read_file(path, &len);
        if (!text) {
                snprintf(errstr, errstr_size, "cannot read %s: %s", path, strerror(errno));
                return -1;
        }
        rc = avro_schema_from_json_length(text, len, &e->schema);
        free(text);
        if (rc != 0) {
                snprintf(errstr, errstr_size, "%s: %s", path, avro_strerror());
                e->schema = NULL;
                return -1;
        }
        if (!is_avro_record(e->schema)) {
                snprintf(errstr, errstr_size, "%s: not a record schema", path);
                return -1;
        }
        if (build_slots(e, errstr, errstr_size) != 0)
                return -1;
        e->iface = avro_generic_class_from_schema(e->schema);
        if (!e->iface || avro_generic_value_new(e->iface, &e->value) != 0) {
                snprintf(errstr, errstr_size, "%s: %s", path, avro_strerror());
                return -1;
        }
        return 0;
}

swi_gen_encoder_t *swi_gen_encoder_new(const char *dir, char *errstr, size_t errstr_size)
{
        swi_gen_encoder_t *enc = calloc(1, sizeof(*enc));
        char path[4096];
        json_t *root = NULL, *arr;
        json_error_t jerr;

        if (!enc) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (int t = 0; t < SWI_EV__CNT; t++)
                enc->current[t] = -1;
        snprintf(path, sizeof(path), "%s/registry.json", dir);
        root = json_load_file(path, 0, &jerr);
        if (!root) {
                snprintf(errstr, errstr_size, "%s:%d: %s", path, jerr.line, jerr.text);
                goto fail;
        }
        arr = json_object_get(root, "schemas");
        if (!json_is_array(arr) || json_array_size(arr) == 0) {
                snprintf(errstr, errstr_size, "%s: no \"schemas\" array", path);
                goto fail;
        }
        enc->entries = calloc(json_array_size(arr), sizeof(*enc->entries));
        if (!enc->entries) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        for (size_t i = 0; i < json_array_size(arr); i++) {
                entry_t *e = &enc->entries[enc->nentries++];
                if (load_entry(e, dir, json_array_get(arr, i), errstr, errstr_size) != 0)
                        goto fail;
                for (int j = 0; j < enc->nentries - 1; j++) {
                        if (enc->entries[j].id == e->id) {
                                snprintf(errstr, errstr_size, "%s: duplicate id %d", path,
                                         (int)e->id);
                                goto fail;
                        }
                }
                if (e->current)
                        enc->current[e->type] = e->id;
        }
        for (int t = 0; t < SWI_EV__CNT; t++) {
                if (enc->current[t] < 0) {
                        snprintf(errstr, errstr_size, "%s: no current schema for %s.%s", path,
                                 swi_source_name(swi_evtype_source((swi_evtype_t)t)),
                                 swi_evtype_name((swi_evtype_t)t));
                        goto fail;
                }
        }
        enc->writer = avro_writer_memory(NULL, 0);
        enc->reader = avro_reader_memory(NULL, 0);
        if (!enc->writer || !enc->reader || swi_gen_buf_reserve(&enc->scratch, 4096) != SWI_OK) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        json_decref(root);
        return enc;
fail:
        json_decref(root);
        swi_gen_encoder_destroy(enc);
        return NULL;
}

static entry_t *entry_by_id(const swi_gen_encoder_t *enc, int32_t id)
{
        for (int i = 0; i < enc->nentries; i++)
                if (enc->entries[i].id == id)
                        return &enc->entries[i];
        return NULL;
}

int32_t swi_gen_encoder_current_id(const swi_gen_encoder_t *enc, swi_evtype_t t)
{
        return (int)t >= 0 && t < SWI_EV__CNT ? enc->current[t] : -1;
}

bool swi_gen_encoder_knows(const swi_gen_encoder_t *enc, int32_t id)
{
        return entry_by_id(enc, id) != NULL;
}

swi_evtype_t swi_gen_encoder_type_of(const swi_gen_encoder_t *enc, int32_t id)
{
        const entry_t *e = entry_by_id(enc, id);
        return e ? e->type : SWI_EV_NONE;
}

/* Source value of one slot: set *isnull, or fill s / i. */
static int slot_source(const slot_t *sl, const swi_event_t *ev, bool *isnull, const char **s,
                       int64_t *i)
{
        const swi_field_t *f;

        *isnull = false;
        switch (sl->role) {
        case ROLE_EVENT_ID:
                *s = ev->event_id;
                return 0;
        case ROLE_BSN:
                *isnull = !ev->has_bsn;
                *s = ev->bsn;
                return 0;
        case ROLE_VNR:
                *isnull = !ev->has_vnr;
                *s = ev->vnr;
                return 0;
        case ROLE_EVENT_DATE:
                *i = ev->event_date;
                return 0;
        case ROLE_REGISTERED_AT:
                *i = ev->registered_at;
                return 0;
        case ROLE_CORRECTS:
                *isnull = !ev->has_corrects;
                *s = ev->corrects;
                return 0;
        case ROLE_RETRACTS:
                *isnull = !ev->has_retracts;
                *s = ev->retracts;
                return 0;
        case ROLE_PAYLOAD:
                f = swi_event_field(ev, sl->name);
                if (!f || f->kind == SWI_V_NULL) {
                        *isnull = true;
                        return 0;
                }
                if ((f->kind == SWI_V_STRING) != (sl->kind == K_STRING || sl->kind == K_ENUM))
                        return -1;
                *s = f->s;
                *i = f->i;
                return 0;
        }
        return -1;
}

/* Fills the reusable generic record of e from ev. */
static int fill_record(entry_t *e, const swi_event_t *ev)
{
        int used = 0;

        for (int k = 0; k < e->nslots; k++) {
                const slot_t *sl = &e->slots[k];
                avro_value_t field, target;
                bool isnull;
                const char *s = NULL;
                int64_t i = 0;
                int rc;

                if (slot_source(sl, ev, &isnull, &s, &i) != 0)
                        return -1;
                if (sl->role == ROLE_PAYLOAD && !isnull)
                        used++;
                if (avro_value_get_by_index(&e->value, (size_t)k, &field, NULL) != 0)
                        return -1;
                if (isnull) {
                        if (!sl->nullable)
                                return -1;
                        if (avro_value_set_branch(&field, sl->null_branch, &target) != 0 ||
                            avro_value_set_null(&target) != 0)
                                return -1;
                        continue;
                }
                if (sl->nullable) {
                        if (avro_value_set_branch(&field, sl->val_branch, &target) != 0)
                                return -1;
                } else {
                        target = field;
                }
                switch (sl->kind) {
                case K_STRING:
                        rc = avro_value_set_string_len(&target, s, strlen(s) + 1);
                        break;
                case K_INT:
                        rc = avro_value_set_int(&target, (int32_t)i);
                        break;
                case K_LONG:
                        rc = avro_value_set_long(&target, i);
                        break;
                case K_BOOL:
                        rc = avro_value_set_boolean(&target, i != 0);
                        break;
                case K_ENUM: {
                        int sym = avro_schema_enum_get_by_name(sl->enum_schema, s);
                        rc = sym < 0 ? -1 : avro_value_set_enum(&target, sym);
                        break;
                }
                default:
                        rc = -1;
                }
                if (rc != 0)
                        return -1;
        }
        /* Every non-null payload field of ev must have found its slot. */
        {
                int present = 0;
                for (int k = 0; k < ev->nfields; k++)
                        if (ev->fields[k].kind != SWI_V_NULL)
                                present++;
                if (present != used)
                        return -1;
        }
        return 0;
}

swi_err_t swi_gen_encode(swi_gen_encoder_t *enc, const swi_event_t *ev, int32_t schema_id,
                         swi_gen_buf_t *out)
{
        entry_t *e = entry_by_id(enc, schema_id);
        uint8_t hdr[SWI_WIRE_HEADER_LEN];
        int64_t n;

        if (!e || fill_record(e, ev) != 0)
                return SWI_ERR_INVALID_ARG;
        for (;;) {
                avro_writer_memory_set_dest(enc->writer, (const char *)enc->scratch.data,
                                            (int64_t)enc->scratch.cap);
                if (avro_value_write(enc->writer, &e->value) == 0)
                        break;
                /* Too small (ENOSPC): grow and retry. */
                enc->scratch.len = enc->scratch.cap;
                if (enc->scratch.cap > (1u << 24) ||
                    swi_gen_buf_reserve(&enc->scratch, 1) != SWI_OK)
                        return SWI_ERR_NOMEM;
                enc->scratch.len = 0;
        }
        n = avro_writer_tell(enc->writer);
        swi_wire_frame_header(schema_id, hdr);
        if (swi_gen_buf_reserve(out, sizeof(hdr) + (size_t)n) != SWI_OK)
                return SWI_ERR_NOMEM;
        swi_gen_buf_append(out, hdr, sizeof(hdr));
        swi_gen_buf_append(out, enc->scratch.data, (size_t)n);
        return SWI_OK;
}

static void set_str(char *dst, size_t cap, const char *s, size_t n)
{
        if (n >= cap)
                n = cap - 1;
        memcpy(dst, s, n);
        dst[n] = '\0';
}

swi_err_t swi_gen_decode(swi_gen_encoder_t *enc, int32_t schema_id, const uint8_t *body, size_t len,
                         swi_event_t *ev)
{
        entry_t *e = entry_by_id(enc, schema_id);
        char extra;

        if (!e)
                return SWI_ERR_NOT_FOUND;
        memset(ev, 0, sizeof(*ev));
        ev->type = e->type;
        ev->source = swi_evtype_source(e->type);
        ev->schema_id = schema_id;
        avro_reader_memory_set_source(enc->reader, (const char *)body, (int64_t)len);
        avro_value_reset(&e->value);
        if (avro_value_read(enc->reader, &e->value) != 0)
                return SWI_ERR_INVALID_ARG;
        if (avro_read(enc->reader, &extra, 1) == 0)
                return SWI_ERR_INVALID_ARG; /* trailing bytes */
        for (int k = 0; k < e->nslots; k++) {
                const slot_t *sl = &e->slots[k];
                avro_value_t field, v;
                const char *s = NULL;
                size_t slen = 0;
                int32_t i32 = 0;
                int64_t i64 = 0;
                int b = 0, sym = 0;
                bool isnull = false;
                swi_field_t *f = NULL;

                avro_value_get_by_index(&e->value, (size_t)k, &field, NULL);
                v = field;
                if (sl->nullable) {
                        int disc = 0;
                        avro_value_get_discriminant(&field, &disc);
                        avro_value_get_current_branch(&field, &v);
                        isnull = disc == sl->null_branch;
                }
                if (sl->role == ROLE_PAYLOAD) {
                        if (ev->nfields >= SWI_MAX_FIELDS)
                                return SWI_ERR_INVALID_ARG;
                        f = &ev->fields[ev->nfields++];
                        set_str(f->name, sizeof(f->name), sl->name, strlen(sl->name));
                        if (isnull) {
                                f->kind = SWI_V_NULL;
                                continue;
                        }
                } else if (isnull) {
                        continue;
                }
                switch (sl->kind) {
                case K_STRING:
                        avro_value_get_string(&v, &s, &slen);
                        slen = slen ? slen - 1 : 0;
                        break;
                case K_INT:
                        avro_value_get_int(&v, &i32);
                        i64 = i32;
                        break;
                case K_LONG:
                        avro_value_get_long(&v, &i64);
                        break;
                case K_BOOL:
                        avro_value_get_boolean(&v, &b);
                        i64 = b;
                        break;
                case K_ENUM:
                        avro_value_get_enum(&v, &sym);
                        s = avro_schema_enum_get(sl->enum_schema, sym);
                        slen = strlen(s);
                        break;
                }
                switch (sl->role) {
                case ROLE_EVENT_ID:
                        set_str(ev->event_id, sizeof(ev->event_id), s, slen);
                        break;
                case ROLE_BSN:
                        ev->has_bsn = true;
                        set_str(ev->bsn, sizeof(ev->bsn), s, slen);
                        break;
                case ROLE_VNR:
                        ev->has_vnr = true;
                        set_str(ev->vnr, sizeof(ev->vnr), s, slen);
                        break;
                case ROLE_EVENT_DATE:
                        ev->event_date = (int32_t)i64;
                        break;
                case ROLE_REGISTERED_AT:
                        ev->registered_at = i64;
                        break;
                case ROLE_CORRECTS:
                        ev->has_corrects = true;
                        set_str(ev->corrects, sizeof(ev->corrects), s, slen);
                        break;
                case ROLE_RETRACTS:
                        ev->has_retracts = true;
                        set_str(ev->retracts, sizeof(ev->retracts), s, slen);
                        break;
                case ROLE_PAYLOAD:
                        if (sl->kind == K_STRING || sl->kind == K_ENUM) {
                                f->kind = SWI_V_STRING;
                                set_str(f->s, sizeof(f->s), s, slen);
                        } else {
                                f->kind = sl->kind == K_BOOL ? SWI_V_BOOL : SWI_V_INT;
                                f->i = i64;
                        }
                        break;
                }
        }
        return SWI_OK;
}

void swi_gen_encoder_destroy(swi_gen_encoder_t *enc)
{
        if (!enc)
                return;
        for (int i = 0; i < enc->nentries; i++) {
                entry_t *e = &enc->entries[i];
                if (e->iface) {
                        avro_value_decref(&e->value);
                        avro_value_iface_decref(e->iface);
                }
                if (e->schema)
                        avro_schema_decref(e->schema);
                free(e->slots);
        }
        free(enc->entries);
        if (enc->writer)
                avro_writer_free(enc->writer);
        if (enc->reader)
                avro_reader_free(enc->reader);
        swi_gen_buf_free(&enc->scratch);
        free(enc);
}

static void put_u32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

swi_err_t swi_gen_record_write(FILE *f, const char *topic, const void *key, size_t key_len,
                               const void *val, size_t val_len)
{
        uint8_t n[4];

        assert(key_len <= UINT32_MAX && val_len <= UINT32_MAX);
        if (fwrite(topic, 1, strlen(topic) + 1, f) != strlen(topic) + 1)
                return SWI_ERR_IO;
        put_u32(n, (uint32_t)key_len);
        if (fwrite(n, 1, 4, f) != 4 || (key_len && fwrite(key, 1, key_len, f) != key_len))
                return SWI_ERR_IO;
        put_u32(n, (uint32_t)val_len);
        if (fwrite(n, 1, 4, f) != 4 || (val_len && fwrite(val, 1, val_len, f) != val_len))
                return SWI_ERR_IO;
        return SWI_OK;
}

static int read_chunk(FILE *f, swi_gen_buf_t *b)
{
        uint8_t n[4];
        uint32_t len;

        if (fread(n, 1, 4, f) != 4)
                return -1;
        len = ((uint32_t)n[0] << 24) | ((uint32_t)n[1] << 16) | ((uint32_t)n[2] << 8) | n[3];
        b->len = 0;
        if (swi_gen_buf_reserve(b, len ? len : 1) != SWI_OK)
                return -1;
        if (len && fread(b->data, 1, len, f) != len)
                return -1;
        b->len = len;
        return 0;
}

int swi_gen_record_read(FILE *f, swi_gen_record_t *rec)
{
        size_t i = 0;
        int c = fgetc(f);

        if (c == EOF)
                return 0;
        while (c != EOF && c != '\0') {
                if (i + 1 >= sizeof(rec->topic))
                        return -1;
                rec->topic[i++] = (char)c;
                c = fgetc(f);
        }
        if (c == EOF)
                return -1;
        rec->topic[i] = '\0';
        if (read_chunk(f, &rec->key) != 0 || read_chunk(f, &rec->val) != 0)
                return -1;
        return 1;
}

void swi_gen_record_free(swi_gen_record_t *rec)
{
        swi_gen_buf_free(&rec->key);
        swi_gen_buf_free(&rec->val);
}
