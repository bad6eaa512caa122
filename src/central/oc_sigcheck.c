/* Per-box public keys with validity periods, and the signature verdict. */
#include "oc_sigcheck.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_sign.h"

struct boxkey {
    char pub[OC_SIGN_PUB_B64];
    int64_t from, until; /* ms; INT64_MIN / INT64_MAX when open */
};

struct boxkeys {
    char *box;
    size_t n;
    struct boxkey keys[OC_SIGKEYS_MAX_PER_BOX];
};

struct oc_sigkeys {
    bool required;
    size_t n;
    struct boxkeys *boxes;
};

__attribute__((format(printf, 3, 4))) static void *fail(char *err, size_t cap, const char *fmt, ...)
{
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

void oc_sigkeys_free(struct oc_sigkeys *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        free(k->boxes[i].box);
    free(k->boxes);
    free(k);
}

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) to ms; null or absent: dflt. -1: bad. */
static int when(const cJSON *v, int64_t dflt, int64_t *out)
{
    if (!v || cJSON_IsNull(v)) {
        *out = dflt;
        return 0;
    }
    struct tm tm = {0};
    char z = 0;
    int n = 0;
    if (!cJSON_IsString(v) ||
        sscanf(v->valuestring, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &n) != 7 ||
        z != 'Z' || v->valuestring[n] != '\0' || strlen(v->valuestring) != 20 || tm.tm_mon < 1 ||
        tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm) * 1000;
    return 0;
}

static bool parse_key(const cJSON *o, struct boxkey *bk, char *err, size_t cap, const char *box,
                      size_t i)
{
    static const char *const allowed[] = {"key", "from", "until"};
    for (const cJSON *f = o->child; f; f = f->next) {
        size_t a = 0;
        while (a < 3 && strcmp(f->string, allowed[a]) != 0)
            a++;
        if (a == 3)
            return fail(err, cap, "$.box_keys.%s[%zu]: unknown key \"%.32s\"", box, i, f->string),
                   false;
    }
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
    if (!cJSON_IsString(key) || !oc_sign_pub_ok(key->valuestring))
        return fail(err, cap, "$.box_keys.%s[%zu].key: must be a base64 Ed25519 public key", box,
                    i),
               false;
    snprintf(bk->pub, sizeof bk->pub, "%s", key->valuestring);
    if (when(cJSON_GetObjectItemCaseSensitive(o, "from"), INT64_MIN, &bk->from) != 0 ||
        when(cJSON_GetObjectItemCaseSensitive(o, "until"), INT64_MAX, &bk->until) != 0)
        return fail(err, cap,
                    "$.box_keys.%s[%zu]: \"from\" and \"until\" must be \"YYYY-MM-DDTHH:MM:SSZ\" "
                    "or null",
                    box, i),
               false;
    if (bk->from >= bk->until)
        return fail(err, cap, "$.box_keys.%s[%zu]: \"from\" must be before \"until\"", box, i),
               false;
    return true;
}

struct oc_sigkeys *oc_sigkeys_parse(const cJSON *root, char *err, size_t cap)
{
    struct oc_sigkeys *k = calloc(1, sizeof *k);
    if (!k)
        return fail(err, cap, "out of memory");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "require_signatures");
    const cJSON *bk = cJSON_GetObjectItemCaseSensitive(root, "box_keys");
    if (req && !cJSON_IsBool(req)) {
        oc_sigkeys_free(k);
        return fail(err, cap, "$.require_signatures: must be true or false");
    }
    k->required = cJSON_IsTrue(req);
    if (!bk)
        return k;
    if (!cJSON_IsObject(bk) ||
        !(k->boxes = calloc((size_t)cJSON_GetArraySize(bk) + 1, sizeof *k->boxes))) {
        oc_sigkeys_free(k);
        return fail(err, cap, "$.box_keys: must be an object of box id -> array of keys");
    }
    for (const cJSON *b = bk->child; b; b = b->next) {
        struct boxkeys *x = &k->boxes[k->n];
        size_t n = (size_t)cJSON_GetArraySize(b);
        if (!oc_config_valid_id(b->string, strlen(b->string)) || !cJSON_IsArray(b) || n == 0 ||
            n > OC_SIGKEYS_MAX_PER_BOX || !(x->box = strdup(b->string))) {
            oc_sigkeys_free(k);
            return fail(err, cap, "$.box_keys: \"%.64s\" must be a box id with 1-%d keys",
                        b->string, OC_SIGKEYS_MAX_PER_BOX);
        }
        k->n++;
        for (const cJSON *o = b->child; o; o = o->next, x->n++)
            if (!cJSON_IsObject(o) || !parse_key(o, &x->keys[x->n], err, cap, x->box, x->n)) {
                if (!cJSON_IsObject(o))
                    fail(err, cap, "$.box_keys.%s[%zu]: must be an object", x->box, x->n);
                oc_sigkeys_free(k);
                return NULL;
            }
    }
    return k;
}

static const struct boxkeys *find(const struct oc_sigkeys *k, const char *box)
{
    for (size_t i = 0; k && i < k->n; i++)
        if (strcmp(k->boxes[i].box, box) == 0)
            return &k->boxes[i];
    return NULL;
}

size_t oc_sigkeys_count(const struct oc_sigkeys *k, const char *box)
{
    const struct boxkeys *b = find(k, box);
    return b ? b->n : 0;
}

enum oc_sigcheck oc_sigcheck_record(const struct oc_sigkeys *k, const char *box, const cJSON *rec,
                                    char *why, size_t cap)
{
    const struct boxkeys *b = find(k, box);
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(rec, "sig");
    if (!b) {
        if (k && k->required) {
            fail(why, cap, "box %s has no registered key and signatures are required", box);
            return OC_SIGCHECK_REFUSED;
        }
        return OC_SIGCHECK_UNSIGNED;
    }
    if (!cJSON_IsString(sig)) {
        fail(why, cap, "no \"sig\": box %s signs its records", box);
        return OC_SIGCHECK_REFUSED;
    }
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(rec, "ts");
    int64_t t = cJSON_IsNumber(ts) ? (int64_t)ts->valuedouble : INT64_MIN;
    int valid = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (t < b->keys[i].from || t >= b->keys[i].until)
            continue;
        valid++;
        if (oc_sign_check_record(rec, b->keys[i].pub))
            return OC_SIGCHECK_VERIFIED;
    }
    fail(why, cap,
         valid ? "\"sig\" does not verify with box %s's key"
               : "no key of box %s is valid at the record's \"ts\"",
         box);
    return OC_SIGCHECK_REFUSED;
}
