/* The JSON adapters' fast reader: see oc_adapt_json.h. Every "return
 * false" below means "not decoded here", never "invalid": the caller falls
 * back to oc_event_parse, which judges the document. */
#include "oc_adapt_json.h"

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_event.h"
#include "ordercam/oc_json.h"

#define MEMBERS_MAX 64 /* members of one object checked for duplicates pairwise */

/* Length of the valid UTF-8 sequence at p (2..4 bytes, p[0] >= 0x80), or 0:
 * the same rules as oc_json's (no overlongs, surrogates, above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    if (c >= 0xC2 && c <= 0xDF)
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

static void skip_ws(struct oc_ajson *a)
{
    while (a->p < a->end && (*a->p == ' ' || *a->p == '\n' || *a->p == '\r' || *a->p == '\t'))
        a->p++;
}

static cJSON *new_node(struct oc_ajson *a)
{
    if (a->n_nodes == OC_AJSON_NODES)
        return NULL;
    cJSON *n = &a->node[a->n_nodes++];
    memset(n, 0, sizeof *n);
    return n;
}

/* A string at a->p (on its opening quote), copied NUL-terminated into the
 * arena. */
static char *string(struct oc_ajson *a)
{
    const unsigned char *s = ++a->p, *p = s, *end = a->end;
    for (;;) {
        if (p == end)
            return NULL;
        unsigned c = *p;
        if (c == '"')
            break;
        if (c < 0x20 || c == '\\')
            return NULL; /* control character or escape: oc_event_parse decides */
        if (c < 0x80) {
            p++;
        } else {
            size_t n = utf8_seq(p, (size_t)(end - p));
            if (!n)
                return NULL;
            p += n;
        }
    }
    size_t len = (size_t)(p - s);
    if (len + 1 > OC_AJSON_TEXT - a->n_text)
        return NULL;
    char *d = a->text + a->n_text;
    memcpy(d, s, len);
    d[len] = '\0';
    a->n_text += len + 1;
    a->p = p + 1;
    return d;
}

static bool digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* A number in JSON's grammar at a->p. cJSON gives strtod's value of the
 * same characters (with the locale's decimal point); a number of at most 15
 * digits and no exponent is m / 10^k with both exact in a double, which
 * IEEE division rounds correctly: the very double strtod returns. */
static bool number(struct oc_ajson *a, cJSON *n)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const unsigned char *s = a->p, *q = s, *end = a->end;
    bool neg = q < end && *q == '-';
    q += neg;
    if (!digit(q, end))
        return false;
    uint64_t m = 0;
    int digits = 0, frac = 0;
    bool simple = true;
    if (*q == '0') {
        q++;
        digits = 1;
    } else {
        for (; digit(q, end); q++, digits++)
            if (digits < 18)
                m = m * 10 + (uint64_t)(*q - '0');
    }
    if (q < end && *q == '.') {
        q++;
        if (!digit(q, end))
            return false;
        for (; digit(q, end); q++, digits++, frac++)
            if (digits < 18)
                m = m * 10 + (uint64_t)(*q - '0');
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        simple = false;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (!digit(q, end))
            return false;
        while (digit(q, end))
            q++;
    }
    size_t len = (size_t)(q - s);
    if (len > 63)
        return false; /* cJSON reads at most 63 characters of a number */
    double d;
    if (simple && digits <= 15) {
        d = (double)m / pow10[frac];
        if (neg)
            d = -d;
    } else {
        char buf[64];
        memcpy(buf, s, len);
        buf[len] = '\0';
        const char *dp = localeconv()->decimal_point;
        for (char *c = buf; *c; c++)
            if (*c == '.' && dp && dp[0])
                *c = dp[0];
        char *e;
        d = strtod(buf, &e);
        if (e != buf + len)
            return false;
    }
    n->type = cJSON_Number;
    n->valuedouble = d;
    if (d >= INT_MAX)
        n->valueint = INT_MAX;
    else if (d <= (double)INT_MIN)
        n->valueint = INT_MIN;
    else
        n->valueint = (int)d;
    a->p = q;
    return true;
}

static bool literal(struct oc_ajson *a, const char *word, size_t len)
{
    if ((size_t)(a->end - a->p) < len || memcmp(a->p, word, len) != 0)
        return false;
    a->p += len;
    return true;
}

static bool value(struct oc_ajson *a, cJSON *n);

/* The members (object) or elements (array) after the opening bracket. */
static bool container(struct oc_ajson *a, cJSON *n, bool object)
{
    if (++a->depth > OC_JSON_MAX_DEPTH)
        return false;
    n->type = object ? cJSON_Object : cJSON_Array;
    const unsigned char close = object ? '}' : ']';
    a->p++;
    skip_ws(a);
    if (a->p < a->end && *a->p == close) {
        a->p++;
        a->depth--;
        return true;
    }
    cJSON *last = NULL;
    size_t count = 0;
    for (;;) {
        cJSON *c = new_node(a);
        if (!c)
            return false;
        if (object) {
            if (a->p == a->end || *a->p != '"' || !(c->string = string(a)))
                return false;
            skip_ws(a);
            if (a->p == a->end || *a->p != ':')
                return false;
            a->p++;
            skip_ws(a);
            /* a key named twice: oc_event_parse refuses the document */
            if (++count > MEMBERS_MAX)
                return false;
            for (const cJSON *o = n->child; o; o = o->next)
                if (o->string[0] == c->string[0] && strcmp(o->string, c->string) == 0)
                    return false;
        }
        if (!value(a, c))
            return false;
        if (last) {
            last->next = c;
            c->prev = last;
        } else {
            n->child = c;
        }
        last = c;
        skip_ws(a);
        if (a->p == a->end)
            return false;
        if (*a->p == ',') {
            a->p++;
            skip_ws(a);
            continue;
        }
        if (*a->p != close)
            return false;
        a->p++;
        break;
    }
    n->child->prev = last; /* as cJSON links them */
    a->depth--;
    return true;
}

static bool value(struct oc_ajson *a, cJSON *n)
{
    if (a->p == a->end)
        return false;
    switch (*a->p) {
    case '{': return container(a, n, true);
    case '[': return container(a, n, false);
    case '"': n->type = cJSON_String; return (n->valuestring = string(a)) != NULL;
    case 't':
        n->type = cJSON_True;
        n->valueint = 1;
        return literal(a, "true", 4);
    case 'f': n->type = cJSON_False; return literal(a, "false", 5);
    case 'n': n->type = cJSON_NULL; return literal(a, "null", 4);
    default: return number(a, n);
    }
}

const cJSON *oc_ajson_parse(struct oc_ajson *a, const char *buf, size_t len)
{
    if (len > OC_JSON_MAX_BYTES)
        return NULL;
    a->n_nodes = a->n_text = 0;
    a->depth = 0;
    a->p = (const unsigned char *)buf;
    a->end = a->p + len;
    skip_ws(a);
    if (a->p == a->end || *a->p != '{')
        return NULL;
    cJSON *root = new_node(a);
    if (!value(a, root))
        return NULL;
    skip_ws(a);
    return a->p == a->end ? root : NULL;
}

enum oc_json_status oc_ajson_read(struct oc_ajson *a, const char *buf, size_t len, size_t max_bytes,
                                  int max_depth, const cJSON **root, cJSON **owned,
                                  struct oc_json_error *err)
{
    *owned = NULL;
    if (a && len <= max_bytes && max_depth >= OC_JSON_MAX_DEPTH &&
        (*root = oc_ajson_parse(a, buf, len)) != NULL)
        return OC_JSON_OK;
    cJSON *tree = NULL;
    enum oc_json_status s = oc_json_parse(buf, len, max_bytes, max_depth, &tree, err);
    if (s != OC_JSON_OK) {
        cJSON_Delete(tree);
        tree = NULL;
    }
    *root = *owned = tree;
    return s;
}

const cJSON *oc_ajson_event(struct oc_ajson *a, const char *payload, size_t len, cJSON **owned,
                            enum oc_counter *why)
{
    const cJSON *root;
    enum oc_json_status s =
        oc_ajson_read(a, payload, len, OC_JSON_MAX_BYTES, OC_JSON_MAX_DEPTH, &root, owned, NULL);
    if (s != OC_JSON_OK) {
        *why = oc_event_json_reason(s);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(*owned);
        *owned = NULL;
        *why = OC_C_DROP_NOT_OBJECT;
        return NULL;
    }
    return root;
}
