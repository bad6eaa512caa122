/* The offence code table: strict JSON in, an immutable array out. */
#include "ordercam/oc_codes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_io.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"

struct oc_codes {
    char *locale;
    bool example;
    size_t n;
    struct oc_code_entry *e;
};

/* The built-in tables (generated from config/codes/ at build time). */
extern const unsigned char oc_codes_zh_cn_json[], oc_codes_en_json[];
extern const size_t oc_codes_zh_cn_json_len, oc_codes_en_json_len;

__attribute__((format(printf, 3, 4))) static oc_err_t why(char *err, size_t cap, const char *fmt,
                                                          ...)
{
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return OC_EINVAL;
}

void oc_codes_free(struct oc_codes *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        struct oc_code_entry *e = &c->e[i];
        free((char *)e->type);
        free((char *)e->code);
        free((char *)e->name);
        free((char *)e->short_name);
        free((char *)e->basis);
    }
    free(c->e);
    free(c->locale);
    free(c);
}

/* A string member of at most max bytes (min 1), or absent/null when
 * optional. *dst is malloc'd, NULL when absent. */
static bool get_str(const cJSON *o, const char *k, size_t max, bool optional, char **dst)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *dst = NULL;
    if (!v || cJSON_IsNull(v))
        return optional;
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0' || strlen(v->valuestring) > max)
        return false;
    return (*dst = strdup(v->valuestring)) != NULL;
}

/* An integer member in [0, max], or absent/null (-1). */
static bool get_int(const cJSON *o, const char *k, int max, int *dst)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *dst = -1;
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max ||
        v->valuedouble != (double)(int)v->valuedouble)
        return false;
    *dst = (int)v->valuedouble;
    return true;
}

static bool keys_ok(const cJSON *o, const char *const *keys, const char **bad)
{
    for (const cJSON *f = o->child; f; f = f->next) {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], f->string) != 0)
            i++;
        if (!keys[i]) {
            *bad = f->string;
            return false;
        }
    }
    return true;
}

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static oc_err_t entry(const cJSON *o, size_t i, struct oc_code_entry *e, const struct oc_codes *c,
                      char *err, size_t cap)
{
    static const char *const keys[] = {"type",  "code",   "name", "short",
                                       "basis", "points", "fine", NULL};
    const char *bad = NULL;
    char *s[5] = {0};
    if (!cJSON_IsObject(o))
        return why(err, cap, "offences[%zu]: must be an object", i);
    if (!keys_ok(o, keys, &bad))
        return why(err, cap, "offences[%zu]: unknown key \"%.32s\"", i, bad);
    bool ok = get_str(o, "type", 64, false, &s[0]) && oc_record_type_name_ok(s[0]) &&
              get_str(o, "code", 32, true, &s[1]) &&
              get_str(o, "name", OC_CODES_NAME_MAX, false, &s[2]) &&
              get_str(o, "short", OC_CODES_SHORT_MAX, false, &s[3]) &&
              get_str(o, "basis", OC_CODES_NAME_MAX, true, &s[4]);
    *e = (struct oc_code_entry){s[0], s[1], s[2], s[3], s[4], -1, -1};
    if (!ok)
        return why(err, cap,
                   "offences[%zu]: needs \"type\" (a-z 0-9 _), \"name\" (1-%d bytes), \"short\" "
                   "(1-%d bytes); \"code\" (1-32 bytes) and \"basis\" are strings or null",
                   i, OC_CODES_NAME_MAX, OC_CODES_SHORT_MAX);
    if (!get_int(o, "points", 12, &e->points) || !get_int(o, "fine", 100000, &e->fine))
        return why(err, cap,
                   "offences[%zu]: \"points\" (0-12) and \"fine\" (0-100000 yuan) are integers "
                   "or null",
                   i);
    if (oc_codes_find(c, e->type, e->code))
        return why(err, cap, "offences[%zu]: type \"%s\" with code %s%s%s is listed twice", i,
                   e->type, e->code ? "\"" : "", e->code ? e->code : "null", e->code ? "\"" : "");
    return OC_OK;
}

static oc_err_t from_tree(const cJSON *root, struct oc_codes *c, char *err, size_t cap)
{
    static const char *const keys[] = {"format", "locale", "example", "note", "offences", NULL};
    const char *bad = NULL;
    if (!cJSON_IsObject(root))
        return why(err, cap, "not a JSON object");
    if (!keys_ok(root, keys, &bad))
        return why(err, cap, "unknown key \"%.32s\"", bad);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "ordercam-codes/1") != 0)
        return why(err, cap, "\"format\" must be \"ordercam-codes/1\"");
    if (!get_str(root, "locale", 32, false, &c->locale))
        return why(err, cap, "\"locale\" must be a string of 1-32 bytes");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "example");
    const cJSON *note = cJSON_GetObjectItemCaseSensitive(root, "note");
    if ((ex && !cJSON_IsBool(ex)) || (note && !cJSON_IsString(note)))
        return why(err, cap, "\"example\" must be a boolean and \"note\" a string");
    c->example = cJSON_IsTrue(ex);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "offences");
    if (!cJSON_IsArray(list))
        return why(err, cap, "\"offences\" must be an array");
    int n = cJSON_GetArraySize(list);
    if (n > OC_CODES_MAX_ENTRIES)
        return why(err, cap, "more than %d offences", OC_CODES_MAX_ENTRIES);
    if (n > 0 && !(c->e = calloc((size_t)n, sizeof *c->e)))
        return OC_ENOMEM;
    size_t i = 0;
    for (const cJSON *o = list->child; o; o = o->next, i++) {
        oc_err_t r = entry(o, i, &c->e[i], c, err, cap);
        c->n = i + 1; /* freed with the table whatever happened */
        if (r != OC_OK)
            return r;
    }
    return OC_OK;
}

oc_err_t oc_codes_parse(const char *buf, size_t len, struct oc_codes **out, char *err, size_t cap)
{
    *out = NULL;
    if (cap)
        err[0] = '\0';
    cJSON *root = NULL;
    struct oc_json_error je;
    enum oc_json_status st =
        oc_json_parse(buf, len, OC_CODES_MAX_BYTES, OC_JSON_MAX_DEPTH, &root, &je);
    if (st != OC_JSON_OK) {
        char d[256];
        why(err, cap, "%s", oc_json_describe(&je, d, sizeof d));
        return st == OC_JSON_NOMEM ? OC_ENOMEM : st == OC_JSON_TOO_LARGE ? OC_ELIMIT : OC_EPARSE;
    }
    struct oc_codes *c = calloc(1, sizeof *c);
    oc_err_t r = c ? from_tree(root, c, err, cap) : OC_ENOMEM;
    cJSON_Delete(root);
    if (r != OC_OK) {
        oc_codes_free(c);
        return r;
    }
    *out = c;
    return OC_OK;
}

oc_err_t oc_codes_load(const char *path, struct oc_codes **out, char *err, size_t cap)
{
    size_t len;
    *out = NULL;
    unsigned char *buf = oc_io_read_file(path, OC_CODES_MAX_BYTES, &len);
    if (!buf) {
        why(err, cap, "%s: %s", path, errno == EFBIG ? "larger than 256 KiB" : strerror(errno));
        return errno == EFBIG ? OC_ELIMIT : OC_EIO;
    }
    oc_err_t r = oc_codes_parse((const char *)buf, len, out, err, cap);
    free(buf);
    if (r != OC_OK && cap) {
        char inner[256];
        snprintf(inner, sizeof inner, "%s", err);
        snprintf(err, cap, "%s: %s", path, inner);
    }
    return r;
}

oc_err_t oc_codes_builtin(const char *locale, struct oc_codes **out, char *err, size_t cap)
{
    *out = NULL;
    if (!locale || strcmp(locale, "zh-CN") == 0)
        return oc_codes_parse((const char *)oc_codes_zh_cn_json, oc_codes_zh_cn_json_len, out, err,
                              cap);
    if (strcmp(locale, "en") == 0)
        return oc_codes_parse((const char *)oc_codes_en_json, oc_codes_en_json_len, out, err, cap);
    why(err, cap, "no built-in code table for locale \"%.32s\"", locale);
    return OC_ENOTFOUND;
}

oc_err_t oc_codes_open(const char *path, struct oc_codes **out, char *err, size_t cap)
{
    return path ? oc_codes_load(path, out, err, cap) : oc_codes_builtin(NULL, out, err, cap);
}

const char *oc_codes_locale(const struct oc_codes *c)
{
    return c->locale;
}

bool oc_codes_is_example(const struct oc_codes *c)
{
    return c->example;
}

size_t oc_codes_count(const struct oc_codes *c)
{
    return c ? c->n : 0;
}

const struct oc_code_entry *oc_codes_at(const struct oc_codes *c, size_t i)
{
    return c && i < c->n ? &c->e[i] : NULL;
}

const struct oc_code_entry *oc_codes_find(const struct oc_codes *c, const char *type,
                                          const char *code)
{
    for (size_t i = 0; c && type && i < c->n; i++)
        if (c->e[i].type && strcmp(c->e[i].type, type) == 0 && same(c->e[i].code, code))
            return &c->e[i];
    return NULL;
}

const struct oc_code_entry *oc_codes_lookup(const struct oc_codes *c, const char *type,
                                            const char *code)
{
    const struct oc_code_entry *e = oc_codes_find(c, type, code);
    for (size_t i = 0; !e && c && type && i < c->n; i++)
        if (c->e[i].type && strcmp(c->e[i].type, type) == 0)
            e = &c->e[i];
    return e;
}
