#include "ordercam/oc_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the UTF-8 sequence starting at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        if (avail < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0; /* UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0;
        if (c == 0xF4 && p[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Byte classes for the scan: most bytes are plain and cost one lookup in
 * the tight loop below; bytes >= 0x80 start a UTF-8 sequence; bytes below
 * 0x20 are white space outside strings (tab, LF, CR) or refused. */
enum { C_PLAIN, C_QUOTE, C_BSLASH, C_OPEN, C_CLOSE, C_HIGH, C_CTRL };

#define H4 C_HIGH, C_HIGH, C_HIGH, C_HIGH
#define H16 H4, H4, H4, H4
#define L4 C_CTRL, C_CTRL, C_CTRL, C_CTRL
#define L16 L4, L4, L4, L4
static const unsigned char byte_class[256] = {
    [0x00] = L16,
    L16,
    ['"'] = C_QUOTE,
    ['\\'] = C_BSLASH,
    ['{'] = C_OPEN,
    ['['] = C_OPEN,
    ['}'] = C_CLOSE,
    [']'] = C_CLOSE,
    [0x80] = H16,
    H16,
    H16,
    H16,
    H16,
    H16,
    H16,
    H16,
};

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The escape at p[0] == '\\' inside a string: 0 if it is "\u0000". */
static int escape_ok(const unsigned char *p, size_t avail)
{
    return !(avail >= 6 && p[1] == 'u' && memcmp(p + 2, "0000", 4) == 0);
}

static enum oc_json_status scan_special(const unsigned char *p, size_t len, size_t *i, int *in_str,
                                        int *depth, int max_depth)
{
    unsigned char c = p[*i];
    switch (byte_class[c]) {
    case C_HIGH: {
        size_t n = utf8_seq(p + *i, len - *i);
        if (n == 0)
            return OC_JSON_BAD_UTF8;
        *i += n;
        return OC_JSON_OK;
    }
    case C_CTRL:
        if (*in_str || !is_ws(c))
            return OC_JSON_CONTROL_CHAR;
        break;
    case C_QUOTE: *in_str = !*in_str; break;
    case C_BSLASH:
        if (!*in_str)
            break; /* cJSON refuses it as syntax */
        if (!escape_ok(p + *i, len - *i))
            return OC_JSON_NUL_ESCAPE;
        /* the escaped byte is ASCII in valid JSON; cJSON judges the rest */
        *i += (*i + 1 < len && byte_class[p[*i + 1]] != C_CTRL) ? 2 : 1;
        return OC_JSON_OK;
    case C_OPEN:
        if (!*in_str && ++*depth > max_depth)
            return OC_JSON_TOO_DEEP;
        break;
    default: /* C_CLOSE */ *depth -= !*in_str; break;
    }
    (*i)++;
    return OC_JSON_OK;
}

enum oc_json_status oc_json_check_bytes(const char *buf, size_t len, int max_depth, size_t *offset)
{
    const unsigned char *p = (const unsigned char *)buf;
    int depth = 0, in_str = 0;
    size_t i = 0;
    for (;;) {
        while (i + 4 <= len && !(byte_class[p[i]] | byte_class[p[i + 1]] | byte_class[p[i + 2]] |
                                 byte_class[p[i + 3]]))
            i += 4;
        while (i < len && byte_class[p[i]] == C_PLAIN)
            i++;
        if (i >= len)
            return OC_JSON_OK;
        enum oc_json_status s = scan_special(p, len, &i, &in_str, &depth, max_depth);
        if (s != OC_JSON_OK) {
            if (offset)
                *offset = i;
            return s;
        }
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* The first key that an object's members name twice, or NULL. Small objects
 * are compared pairwise; larger ones sorted (the array is bounded by the
 * text's size, which the caller bounded). */
static const char *object_duplicate(const cJSON *obj, int *nomem)
{
    size_t n = 0;
    for (const cJSON *m = obj->child; m; m = m->next)
        n++;
    if (n <= 16) {
        /* the first byte settles most pairs without a call */
        for (const cJSON *a = obj->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (a->string[0] == b->string[0] && strcmp(a->string, b->string) == 0)
                    return a->string;
        return NULL;
    }
    const cJSON **v = malloc(n * sizeof *v);
    if (!v) {
        *nomem = 1;
        return NULL;
    }
    size_t k = 0;
    for (const cJSON *m = obj->child; m; m = m->next)
        v[k++] = m;
    qsort(v, n, sizeof *v, cmp_names);
    const char *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (strcmp(v[i - 1]->string, v[i]->string) == 0)
            dup = v[i]->string;
    free(v);
    return dup;
}

/* Whether any object inside v names a key twice. The common case, no
 * duplicate, walks the tree without building paths (formatting a path per
 * member cost as much as the parse itself); describe_duplicate below walks
 * again in the same order only to name the one found. */
static bool has_duplicate(const cJSON *v, int *nomem)
{
    if (cJSON_IsObject(v)) {
        if (object_duplicate(v, nomem) || *nomem)
            return true;
    } else if (!cJSON_IsArray(v)) {
        return false;
    }
    for (const cJSON *c = v->child; c; c = c->next)
        if (has_duplicate(c, nomem))
            return true;
    return false;
}

/* Appends ".key" or "[i]" to path (truncating safely). */
static void path_push(char *path, size_t cap, const cJSON *parent, const cJSON *child, int idx)
{
    size_t n = strlen(path);
    if (n + 1 >= cap)
        return;
    if (cJSON_IsObject(parent))
        snprintf(path + n, cap - n, ".%s", child->string);
    else
        snprintf(path + n, cap - n, "[%d]", idx);
}

/* Depth-first over the value; recursion is bounded by the depth check.
 * path holds the JSON path of v on entry and of the duplicate on return. */
static const char *describe_duplicate(const cJSON *v, char *path, size_t cap, int *nomem)
{
    if (cJSON_IsObject(v)) {
        const char *d = object_duplicate(v, nomem);
        if (d) {
            size_t n = strlen(path);
            if (n + 1 < cap)
                snprintf(path + n, cap - n, ".%s", d);
        }
        if (d || *nomem)
            return d;
    }
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return NULL;
    size_t n = strlen(path);
    int idx = 0;
    for (const cJSON *c = v->child; c; c = c->next, idx++) {
        path_push(path, cap, v, c, idx);
        const char *d = describe_duplicate(c, path, cap, nomem);
        if (d || *nomem)
            return d;
        path[n] = '\0';
    }
    return NULL;
}

static enum oc_json_status refuse(struct oc_json_error *err, enum oc_json_status s, size_t off,
                                  const char *key, const char *path)
{
    if (err) {
        err->status = s;
        err->offset = off;
        snprintf(err->key, sizeof err->key, "%s", key ? key : "");
        snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    }
    return s;
}

enum oc_json_status oc_json_parse(const char *buf, size_t len, size_t max_bytes, int max_depth,
                                  cJSON **out, struct oc_json_error *err)
{
    *out = NULL;
    if (err)
        refuse(err, OC_JSON_OK, 0, NULL, NULL);
    if (len > max_bytes)
        return refuse(err, OC_JSON_TOO_LARGE, 0, NULL, NULL);
    size_t off = 0;
    enum oc_json_status s = oc_json_check_bytes(buf, len, max_depth, &off);
    if (s != OC_JSON_OK)
        return refuse(err, s, off, NULL, NULL);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        off = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : 0;
        return refuse(err, OC_JSON_SYNTAX, off, NULL, NULL);
    }
    for (const char *p = end; p && p < buf + len; p++)
        if (!is_ws((unsigned char)*p)) {
            cJSON_Delete(root);
            return refuse(err, OC_JSON_TRAILING, (size_t)(p - buf), NULL, NULL);
        }
    int nomem = 0;
    char path[160] = "$";
    const char *dup = NULL;
    if (has_duplicate(root, &nomem) && !nomem)
        dup = describe_duplicate(root, path, sizeof path, &nomem);
    if (dup || nomem) {
        s = nomem ? refuse(err, OC_JSON_NOMEM, 0, NULL, NULL)
                  : refuse(err, OC_JSON_DUPLICATE_KEY, 0, dup, path);
        cJSON_Delete(root);
        return s;
    }
    *out = root;
    return OC_JSON_OK;
}

const char *oc_json_strerror(enum oc_json_status s)
{
    switch (s) {
    case OC_JSON_OK: return "ok";
    case OC_JSON_TOO_LARGE: return "larger than the size limit";
    case OC_JSON_BAD_UTF8: return "not valid UTF-8";
    case OC_JSON_CONTROL_CHAR: return "raw control character";
    case OC_JSON_NUL_ESCAPE: return "\\u0000 in a string";
    case OC_JSON_TOO_DEEP: return "nested too deep";
    case OC_JSON_SYNTAX: return "not JSON";
    case OC_JSON_TRAILING: return "data after the JSON value";
    case OC_JSON_DUPLICATE_KEY: return "duplicate key";
    case OC_JSON_NOMEM: return "out of memory";
    }
    return "unknown JSON error";
}

char *oc_json_describe(const struct oc_json_error *err, char *out, size_t cap)
{
    if (!cap)
        return out;
    switch (err->status) {
    case OC_JSON_DUPLICATE_KEY: snprintf(out, cap, "%s: key given twice", err->path); break;
    case OC_JSON_BAD_UTF8:
    case OC_JSON_CONTROL_CHAR:
    case OC_JSON_NUL_ESCAPE:
    case OC_JSON_TRAILING:
        snprintf(out, cap, "%s at byte %zu", oc_json_strerror(err->status), err->offset);
        break;
    default: snprintf(out, cap, "%s", oc_json_strerror(err->status)); break;
    }
    return out;
}
