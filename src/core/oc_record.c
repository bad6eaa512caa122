#include "ordercam/oc_record.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ordercam/oc_text.h"

struct out {
    char *buf;
    size_t cap, len;
    int full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    if (o->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->full = 1;
    else
        o->len += (size_t)n;
}

/* "key": "escaped" or "key": null */
static void put_str(struct out *o, const char *key, const char *val)
{
    put(o, ",\"%s\":", key);
    if (o->full)
        return;
    if (!val) {
        put(o, "null");
        return;
    }
    size_t n = oc_text_json_quote(o->buf + o->len, o->cap - o->len, val);
    if (n >= o->cap - o->len)
        o->full = 1;
    else
        o->len += n;
}

/* ,"evidence":{...}}\n or ,"evidence":null}\n: the record's last field */
static void put_evidence(struct out *o, const struct oc_record_evidence *ev)
{
    if (!ev) {
        put(o, ",\"evidence\":null}\n");
        return;
    }
    put(o, ",\"evidence\":{\"file\":");
    if (!o->full) {
        size_t n = oc_text_json_quote(o->buf + o->len, o->cap - o->len, ev->file);
        if (n >= o->cap - o->len)
            o->full = 1;
        else
            o->len += n;
    }
    put(o, ",\"sha256\":\"%s\",\"frames\":[", ev->sha256);
    for (size_t i = 0; i < ev->n_frames; i++)
        put(o, "%s%" PRId64, i ? "," : "", ev->frames[i]);
    put(o, "]");
    if (ev->public_sha256)
        put(o, ",\"public_sha256\":\"%s\"", ev->public_sha256);
    put(o, "%s}}\n", ev->evicted ? ",\"evicted\":true" : "");
}

/* ,"signal_state":..,"red_elapsed_ms":..: the signal's state at the
 * crossing, null unless a signal decided the violation and its state was
 * known; the red's age only when it was red */
static void put_signal_state(struct out *o, const struct oc_violation *v)
{
    bool known = v->signal && v->signal_state != OC_SIG_UNKNOWN;
    put_str(o, "signal_state", known ? oc_sig_state_name(v->signal_state) : NULL);
    if (known && v->signal_state == OC_SIG_RED && v->red_elapsed_ms >= 0)
        put(o, ",\"red_elapsed_ms\":%" PRId64, v->red_elapsed_ms);
    else
        put(o, ",\"red_elapsed_ms\":null");
}

size_t oc_record_format(const struct oc_config *cfg, const struct oc_violation *v,
                        const struct oc_record_evidence *ev, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, 0};
    if (cap == 0)
        return 0;
    /* ids are validated to [A-Za-z0-9._-], so they need no escaping */
    char id[OC_RECORD_ID_MAX + 1];
    if (oc_record_id_format(id, sizeof id, cfg->box_id, v->camera_id, v->seq) == 0)
        return 0;
    put(&o, "{\"id\":\"%s\"", id);
    put_str(&o, "box", cfg->box_id);
    put_str(&o, "camera", v->camera_id);
    put_str(&o, "type", v->type);
    put_str(&o, "code", v->code);
    put(&o, ",\"ts\":%" PRId64 ",\"ts_start\":%" PRId64, v->ts, v->ts_start);
    put_str(&o, "track", v->track);
    put_str(&o, "class", v->cls);
    put_str(&o, "plate", v->plate);
    put(&o, ",\"conf\":%.4g", v->conf);
    put_str(&o, "zone", v->zone);
    put_str(&o, "line", v->line);
    put_str(&o, "signal", v->signal);
    put_signal_state(&o, v);
    put_str(&o, "location", v->location);
    put_str(&o, "road", v->road);
    put_str(&o, "unit", v->unit);
    put_evidence(&o, ev);
    return o.full ? 0 : o.len;
}

size_t oc_record_set_evidence(const char *rec, size_t len, const struct oc_record_evidence *ev,
                              char *buf, size_t cap)
{
    /* evidence is the last field, and nothing inside it can contain this
     * text (file names are ids and digits), so the last match is it */
    static const char field[] = ",\"evidence\":";
    size_t n = 0;
    for (size_t i = len; i-- > 0 && n == 0;)
        if (i + sizeof field - 1 <= len && memcmp(rec + i, field, sizeof field - 1) == 0)
            n = i + 1;
    if (n == 0)
        return 0;
    n--;
    if (n >= cap)
        return 0;
    memmove(buf, rec, n); /* rec may be buf */
    struct out o = {buf, cap, n, 0};
    put_evidence(&o, ev);
    return o.full ? 0 : o.len;
}

/* ---- records received (central) ---- */

#define TS_MAX 4102444800000.0 /* 2100-01-01, ms */
#define STR_MAX 512
#define FRAMES_MAX 64

static int span_id(const char *s, size_t n, char *out)
{
    if (!oc_config_valid_id(s, n))
        return 0;
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return 1;
}

int oc_record_id_parse(const char *id, struct oc_record_id *out)
{
    if (!id || strlen(id) > 160)
        return -1;
    const char *a = strchr(id, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (!a || !b || !span_id(id, (size_t)(a - id), out ? out->box : NULL) ||
        !span_id(a + 1, (size_t)(b - a - 1), out ? out->camera : NULL))
        return -1;
    const char *d = b + 1;
    size_t nd = strlen(d);
    if (nd == 0 || nd > 20 || d[0] == '0')
        return -1;
    uint64_t seq = 0;
    for (const char *p = d; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned digit = (unsigned)(*p - '0');
        if (seq > (UINT64_MAX - digit) / 10)
            return -1;
        seq = seq * 10 + digit;
    }
    if (out)
        out->seq = seq;
    return 0;
}

__attribute__((format(printf, 3, 4))) static int why(char *err, size_t cap, const char *fmt, ...)
{
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool oc_record_is_int(const cJSON *v, double lo, double hi)
{
    /* range first: casting a double beyond long long is undefined */
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi &&
           v->valuedouble == (double)(long long)v->valuedouble;
}

static int is_ms(const cJSON *v)
{
    return oc_record_is_int(v, 0, TS_MAX);
}

bool oc_record_type_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static int sha_hex_ok(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static int evidence_ok(const cJSON *ev, char *err, size_t cap)
{
    static const char msg[] =
        "\"evidence\" must be null or {\"file\", \"sha256\" (lower-case hex), "
        "\"frames\" (at most 64 integer ms), \"public_sha256\"?, \"evicted\"?}";
    if (cJSON_IsNull(ev))
        return 1;
    if (!cJSON_IsObject(ev) || !sha_hex_ok(str_of(ev, "sha256")))
        return why(err, cap, "%s", msg);
    for (const cJSON *f = ev->child; f; f = f->next) {
        int ok = 0;
        if (strcmp(f->string, "sha256") == 0)
            ok = 1;
        else if (strcmp(f->string, "public_sha256") == 0)
            ok = sha_hex_ok(cJSON_IsString(f) ? f->valuestring : NULL);
        else if (strcmp(f->string, "file") == 0)
            ok = cJSON_IsNull(f) || (cJSON_IsString(f) && strlen(f->valuestring) <= STR_MAX);
        else if (strcmp(f->string, "evicted") == 0)
            ok = cJSON_IsBool(f);
        else if (strcmp(f->string, "frames") == 0 && cJSON_IsArray(f) &&
                 cJSON_GetArraySize(f) <= FRAMES_MAX) {
            ok = 1;
            for (const cJSON *t = f->child; t; t = t->next)
                ok &= is_ms(t);
        }
        if (!ok)
            return why(err, cap, "%s", msg);
    }
    return 1;
}

static int sig_state_ok(const char *s)
{
    static const char *const names[] = {"red", "yellow", "green", "flashing", "off"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(s, names[i]) == 0)
            return 1;
    return 0;
}

/* One field of a record: known, and of its type and bound. */
static int field_ok(const cJSON *f, char *err, size_t cap)
{
    static const char *const opt_str[] = {"code", "track",  "class",    "plate", "zone",
                                          "line", "signal", "location", "road",  "unit"};
    static const char *const fixed[] = {"id", "box", "camera", "type", "ts", "ts_start"};
    const char *k = f->string;
    for (size_t i = 0; i < sizeof opt_str / sizeof *opt_str; i++)
        if (strcmp(k, opt_str[i]) == 0)
            return cJSON_IsNull(f) || (cJSON_IsString(f) && strlen(f->valuestring) <= STR_MAX) ||
                   why(err, cap, "\"%s\" must be a string of at most 512 bytes or null", k);
    if (strcmp(k, "conf") == 0)
        return cJSON_IsNull(f) ||
               (cJSON_IsNumber(f) && f->valuedouble >= 0 && f->valuedouble <= 1) ||
               why(err, cap, "\"conf\" must be a number from 0 to 1 or null");
    if (strcmp(k, "evidence") == 0)
        return evidence_ok(f, err, cap);
    if (strcmp(k, "sig") == 0) /* checked against the box's keys by central */
        return (cJSON_IsString(f) && strlen(f->valuestring) <= 128) ||
               why(err, cap, "\"sig\" must be a base64 signature");
    if (strcmp(k, "signal_state") == 0)
        return cJSON_IsNull(f) || (cJSON_IsString(f) && sig_state_ok(f->valuestring)) ||
               why(err, cap, "\"signal_state\" must be red, yellow, green, flashing, off or null");
    if (strcmp(k, "red_elapsed_ms") == 0)
        return cJSON_IsNull(f) || is_ms(f) ||
               why(err, cap, "\"red_elapsed_ms\" must be a non-negative integer (ms) or null");
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (strcmp(k, fixed[i]) == 0)
            return 1; /* checked by oc_record_validate */
    /* shown only up to its first byte outside [A-Za-z0-9_-]: the message
     * stays ASCII whatever the key holds */
    int n = 0;
    while (n < 32 && k[n] && (isalnum((unsigned char)k[n]) || k[n] == '_' || k[n] == '-'))
        n++;
    return why(err, cap, "unknown field \"%.*s\"", n, k);
}

int oc_record_validate(const cJSON *r, const char *box, char *err, size_t cap)
{
    if (!cJSON_IsObject(r))
        return why(err, cap, "not an object");
    const char *camera = str_of(r, "camera");
    if (!camera || !oc_config_valid_id(camera, strlen(camera)))
        return why(err, cap, "\"camera\" must be a camera id");
    struct oc_record_id id;
    if (oc_record_id_parse(str_of(r, "id"), &id) != 0 || strcmp(id.box, box) != 0 ||
        strcmp(id.camera, camera) != 0)
        return why(err, cap, "\"id\" must be \"%s:%s:<seq>\"", box, camera);
    const char *rbox = str_of(r, "box");
    if (!rbox || strcmp(rbox, box) != 0)
        return why(err, cap, "\"box\" must be the sending box");
    if (!oc_record_type_name_ok(str_of(r, "type")))
        return why(err, cap, "\"type\" must be a violation type name");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(r, "ts");
    const cJSON *ts0 = cJSON_GetObjectItemCaseSensitive(r, "ts_start");
    if (!is_ms(ts) || !is_ms(ts0))
        return why(err, cap, "\"ts\" and \"ts_start\" must be integer ms before 2100");
    if (ts0->valuedouble > ts->valuedouble)
        return why(err, cap, "\"ts_start\" is after \"ts\"");
    for (const cJSON *f = r->child; f; f = f->next)
        if (!field_ok(f, err, cap))
            return 0;
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(r, "red_elapsed_ms");
    const char *state = str_of(r, "signal_state");
    if (el && !cJSON_IsNull(el) && !(state && strcmp(state, "red") == 0))
        return why(err, cap, "\"red_elapsed_ms\" needs \"signal_state\": \"red\"");
    return 1;
}

size_t oc_record_id_format(char *buf, size_t cap, const char *box, const char *camera, uint64_t seq)
{
    int n = snprintf(buf, cap, "%s:%s:%" PRIu64, box, camera, seq);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Copies s[0..len) into out when it fits (out NULL: nothing wanted). */
static bool copy_part(const char *s, size_t len, char *out, size_t cap)
{
    if (!out)
        return true;
    if (len >= cap)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

bool oc_record_id_of(const char *rec, size_t len, char *id, size_t cap)
{
    static const char head[] = "{\"id\":\"";
    size_t h = sizeof head - 1;
    if (len < h || memcmp(rec, head, h) != 0)
        return false;
    const char *q = memchr(rec + h, '"', len - h);
    return q && copy_part(rec + h, (size_t)(q - rec - h), id, cap);
}
