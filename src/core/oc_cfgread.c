/* The strict config reader: text to tree under the oc_json policy, and
 * one checked member at a time with a JSON-path stack for messages. */
#include "ordercam/oc_cfgread.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_json.h"
#include "ordercam/oc_text.h"

void oc_cfgread_init(struct oc_cfgread *r, const char *name, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->name = name ? name : "config";
    r->err = err;
    r->errlen = errlen;
    if (errlen)
        err[0] = '\0';
}

bool oc_cfgread_vfail(struct oc_cfgread *r, const char *fmt, va_list ap)
{
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    snprintf(r->err, r->errlen, "%s: %s: %s", r->name, r->plen ? r->path : "$", msg);
    return false;
}

bool oc_cfgread_fail(struct oc_cfgread *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oc_cfgread_vfail(r, fmt, ap);
    va_end(ap);
    return false;
}

size_t oc_cfgread_push_key(struct oc_cfgread *r, const char *key)
{
    size_t old = r->plen;
    if (old == 0) {
        r->path[0] = '$';
        r->plen = old = 1;
    }
    int n = snprintf(r->path + r->plen, sizeof r->path - r->plen, ".%s", key);
    if (n > 0 && (size_t)n < sizeof r->path - r->plen)
        r->plen += (size_t)n;
    return old;
}

size_t oc_cfgread_push_idx(struct oc_cfgread *r, size_t i)
{
    size_t old = r->plen;
    int n = snprintf(r->path + r->plen, sizeof r->path - r->plen, "[%zu]", i);
    if (n > 0 && (size_t)n < sizeof r->path - r->plen)
        r->plen += (size_t)n;
    return old;
}

void oc_cfgread_pop(struct oc_cfgread *r, size_t old)
{
    r->plen = old;
    r->path[old] = '\0';
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Duplicates are refused by oc_json_parse already; checked again here for
 * trees built by other means (which one would win is nobody's guess). */
bool oc_cfgread_keys(struct oc_cfgread *r, const cJSON *obj, const char *const *allowed)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
            if (strcmp(prev->string, it->string) == 0) {
                oc_cfgread_push_key(r, it->string);
                return oc_cfgread_fail(r, "key given twice");
            }
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, it->string) == 0;
        if (!ok) {
            size_t old = oc_cfgread_push_key(r, it->string);
            oc_cfgread_fail(r, "unknown key");
            oc_cfgread_pop(r, old);
            return false;
        }
    }
    return true;
}

bool oc_cfgread_object(struct oc_cfgread *r, const cJSON *obj, const char *key, const cJSON **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsObject(v)) {
        size_t old = oc_cfgread_push_key(r, key);
        oc_cfgread_fail(r, "must be an object");
        oc_cfgread_pop(r, old);
        return false;
    }
    *out = v;
    return true;
}

bool oc_cfgread_str(struct oc_cfgread *r, const cJSON *obj, const char *key, bool required,
                    char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return oc_cfgread_fail(r, "missing required key \"%s\"", key);
        return true;
    }
    size_t old = oc_cfgread_push_key(r, key);
    bool ok = true;
    if (!cJSON_IsString(v))
        ok = oc_cfgread_fail(r, "must be a string");
    else if (v->valuestring[0] == '\0')
        ok = oc_cfgread_fail(r, "must not be empty");
    else if (!(*out = dupstr(v->valuestring)))
        ok = oc_cfgread_fail(r, "out of memory");
    oc_cfgread_pop(r, old);
    return ok;
}

bool oc_cfgread_num(struct oc_cfgread *r, const cJSON *obj, const char *key, double lo, double hi,
                    bool integer, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return true; /* *out keeps its default */
    size_t old = oc_cfgread_push_key(r, key);
    bool ok = true;
    if (!cJSON_IsNumber(v))
        ok = oc_cfgread_fail(r, "must be a number");
    else if (!isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        ok = oc_cfgread_fail(r, "must be between %g and %g", lo, hi);
    else if (integer && v->valuedouble != floor(v->valuedouble))
        ok = oc_cfgread_fail(r, "must be an integer");
    else
        *out = v->valuedouble;
    oc_cfgread_pop(r, old);
    return ok;
}

bool oc_cfgread_int(struct oc_cfgread *r, const cJSON *obj, const char *key, double lo, double hi,
                    int *out)
{
    double d = *out;
    if (!oc_cfgread_num(r, obj, key, lo, hi, true, &d))
        return false;
    *out = (int)d;
    return true;
}

bool oc_cfgread_bool(struct oc_cfgread *r, const cJSON *obj, const char *key, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsBool(v)) {
        size_t old = oc_cfgread_push_key(r, key);
        oc_cfgread_fail(r, "must be true or false");
        oc_cfgread_pop(r, old);
        return false;
    }
    *out = cJSON_IsTrue(v);
    return true;
}

/* "line L, column C" of a byte offset, for syntax errors. */
static void line_col(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++, (*col)++)
        if (buf[i] == '\n') {
            (*line)++;
            *col = 0;
        }
}

cJSON *oc_cfgread_text(struct oc_cfgread *r, const char *text, size_t len)
{
    if (len > OC_CFGREAD_MAX_BYTES) {
        oc_cfgread_fail(r, "file larger than 4 MiB");
        return NULL;
    }
    char *buf = malloc(len + 1);
    if (!buf) {
        oc_cfgread_fail(r, "out of memory");
        return NULL;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (oc_text_strip_comments(buf, len) != OC_OK) {
        oc_cfgread_fail(r, "unterminated /* comment");
        free(buf);
        return NULL;
    }
    cJSON *root = NULL;
    struct oc_json_error je;
    if (oc_json_parse(buf, len, OC_CFGREAD_MAX_BYTES, OC_JSON_MAX_DEPTH, &root, &je) !=
        OC_JSON_OK) {
        size_t line, col;
        line_col(buf, len, je.offset, &line, &col);
        char what[200];
        if (je.status == OC_JSON_DUPLICATE_KEY)
            oc_cfgread_fail(r, "%s", oc_json_describe(&je, what, sizeof what));
        else if (je.status == OC_JSON_SYNTAX)
            oc_cfgread_fail(r, "invalid JSON near line %zu, column %zu", line, col);
        else
            oc_cfgread_fail(r, "%s (line %zu, column %zu)", oc_json_strerror(je.status), line, col);
        root = NULL;
    }
    free(buf);
    return root;
}

cJSON *oc_cfgread_file(struct oc_cfgread *r, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(r->err, r->errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(OC_CFGREAD_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, OC_CFGREAD_MAX_BYTES + 1, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    if (!buf || rerr) {
        snprintf(r->err, r->errlen, "%s: cannot read: %s", path,
                 buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    cJSON *root = oc_cfgread_text(r, buf, n);
    free(buf);
    return root;
}
