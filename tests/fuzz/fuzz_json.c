/* libFuzzer target: the JSON policy (oc_json.h) on arbitrary bytes.
 * Checks, besides memory safety: a refusal returns no tree; the byte scan
 * and the parser agree (a text the byte rules refuse is never parsed); what
 * the policy accepts, printed again by cJSON, is accepted again and equal
 * (no duplicate key survives into a tree); the input formats' fast reader
 * (src/core/adapt/oc_adapt_json.h) accepts only what oc_event_parse
 * accepts, with the same tree. The first byte picks the depth limit and,
 * with its high bit, a size limit of half the text. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oc_adapt_json.h"
#include "ordercam/oc_event.h"
#include "ordercam/oc_json.h"

/* A number beyond a double's range parses as infinity and prints as null:
 * such a tree is not expected to survive printing. (Values with a range,
 * like a record's fields, are checked by their validators.) */
static int has_nonfinite(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return !isfinite(v->valuedouble);
    for (const cJSON *c = v->child; c && (cJSON_IsObject(v) || cJSON_IsArray(v)); c = c->next)
        if (has_nonfinite(c))
            return 1;
    return 0;
}

static void same_tree(const cJSON *a, const cJSON *b)
{
    for (; a || b; a = a->next, b = b->next) {
        if (!a || !b || a->type != b->type || (a->string == NULL) != (b->string == NULL) ||
            (a->string && strcmp(a->string, b->string) != 0) ||
            (a->valuestring == NULL) != (b->valuestring == NULL) ||
            (a->valuestring && strcmp(a->valuestring, b->valuestring) != 0) ||
            a->valueint != b->valueint ||
            memcmp(&a->valuedouble, &b->valuedouble, sizeof a->valuedouble) != 0)
            abort();
        same_tree(a->child, b->child);
    }
}

/* The fast reader against the policy on the whole input. */
static void fast_reader(const char *buf, size_t len)
{
    static struct oc_ajson *arena;
    if (!arena && !(arena = malloc(sizeof *arena)))
        abort();
    const cJSON *fast = oc_ajson_parse(arena, buf, len);
    if (!fast)
        return;
    enum oc_counter why;
    cJSON *slow = oc_event_parse(buf, len, &why);
    if (!slow)
        abort();
    same_tree(fast, slow);
    cJSON_Delete(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fast_reader((const char *)data, size);
    if (size == 0)
        return 0;
    int depth = 1 + data[0] % 70;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    cJSON *root = NULL;
    struct oc_json_error err;
    size_t max = data[0] & 0x80 ? len / 2 : 1u << 20;
    enum oc_json_status s = oc_json_parse(buf, len, max, depth, &root, &err);
    if ((s == OC_JSON_OK) != (root != NULL) || err.status != s)
        abort();
    if ((s == OC_JSON_TOO_LARGE) != (len > max))
        abort();
    if (s == OC_JSON_TOO_LARGE)
        return 0;
    size_t off = 0;
    enum oc_json_status b = oc_json_check_bytes(buf, len, depth, &off);
    if (b != OC_JSON_OK && s != b)
        abort(); /* the byte rules are applied first and decide alone */
    if (s == OC_JSON_OK && b != OC_JSON_OK)
        abort();
    char desc[256];
    oc_json_describe(&err, desc, sizeof desc);
    if (!oc_json_strerror(s))
        abort();
    if (!root)
        return 0;
    char *again = has_nonfinite(root) ? NULL : cJSON_PrintUnformatted(root);
    if (again) {
        cJSON *root2 = NULL;
        if (oc_json_parse(again, strlen(again), SIZE_MAX, depth, &root2, NULL) != OC_JSON_OK ||
            !cJSON_Compare(root, root2, 1))
            abort();
        cJSON_Delete(root2);
        cJSON_free(again);
    }
    cJSON_Delete(root);
    return 0;
}
