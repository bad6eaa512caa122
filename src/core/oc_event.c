#include "ordercam/oc_event.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ordercam/oc_json.h"
#include "ordercam/oc_text.h"

static bool parse_ts(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 15)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > OC_TS_MAX)
        return false;
    *out = v;
    return true;
}

/* The shape of a topic under prefix: its kind, the id it names (camera or
 * signal, not looked up) and a frame's <ts>. The one place that knows the
 * topic layout of events.md. */
static bool topic_shape(const char *prefix, const char *topic, size_t len, struct oc_topic *out,
                        const char **id, size_t *id_len)
{
    size_t plen = strlen(prefix);
    if (len < plen || memcmp(topic, prefix, plen) != 0)
        return false;
    const char *p = topic + plen, *end = topic + len;
    out->camera = out->signal = -1;
    if ((size_t)(end - p) > 8 && memcmp(p, "signals/", 8) == 0) {
        p += 8;
        if (memchr(p, '/', (size_t)(end - p)) || !oc_config_valid_id(p, (size_t)(end - p)))
            return false;
        out->kind = OC_MSG_SIGNAL;
        *id = p;
        *id_len = (size_t)(end - p);
        return true;
    }
    if ((size_t)(end - p) <= 8 || memcmp(p, "cameras/", 8) != 0)
        return false;
    p += 8;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    if (!slash || !oc_config_valid_id(p, (size_t)(slash - p)))
        return false;
    *id = p;
    *id_len = (size_t)(slash - p);
    const char *rest = slash + 1;
    size_t rlen = (size_t)(end - rest);
    if (rlen == 10 && memcmp(rest, "detections", 10) == 0)
        out->kind = OC_MSG_DETECTIONS;
    else if (rlen == 6 && memcmp(rest, "events", 6) == 0)
        out->kind = OC_MSG_EVENT;
    else if (rlen > 7 && memcmp(rest, "frames/", 7) == 0)
        out->kind = OC_MSG_FRAME;
    else
        return false;
    return out->kind != OC_MSG_FRAME || parse_ts(rest + 7, rlen - 7, &out->frame_ts);
}

bool oc_event_topic_kind(const char *prefix, const char *topic, size_t len, enum oc_msg_kind *kind)
{
    struct oc_topic t;
    const char *id;
    size_t id_len;
    if (!topic_shape(prefix, topic, len, &t, &id, &id_len))
        return false;
    *kind = t.kind;
    return true;
}

bool oc_event_topic(const struct oc_config *cfg, const char *topic, size_t len,
                    struct oc_topic *out, enum oc_counter *why)
{
    const char *id;
    size_t id_len;
    *why = OC_C_DROP_BAD_TOPIC;
    if (!topic_shape(cfg->topic_prefix, topic, len, out, &id, &id_len))
        return false;
    if (out->kind == OC_MSG_SIGNAL) {
        out->signal = oc_config_signal(cfg, id, id_len);
        *why = OC_C_DROP_UNKNOWN_SIGNAL;
        return out->signal >= 0;
    }
    out->camera = oc_config_camera(cfg, id, id_len);
    *why = OC_C_DROP_UNKNOWN_CAMERA;
    return out->camera >= 0;
}

enum oc_counter oc_event_json_reason(enum oc_json_status s)
{
    switch (s) {
    case OC_JSON_TOO_LARGE: return OC_C_DROP_TOO_LARGE;
    case OC_JSON_BAD_UTF8: return OC_C_DROP_BAD_UTF8;
    case OC_JSON_CONTROL_CHAR:
    case OC_JSON_NUL_ESCAPE: return OC_C_DROP_CONTROL_CHAR;
    case OC_JSON_TOO_DEEP: return OC_C_DROP_TOO_DEEP;
    case OC_JSON_TRAILING: return OC_C_DROP_TRAILING_DATA;
    case OC_JSON_DUPLICATE_KEY: return OC_C_DROP_DUPLICATE_KEY;
    default: return OC_C_DROP_BAD_JSON;
    }
}

cJSON *oc_event_parse(const char *payload, size_t len, enum oc_counter *why)
{
    cJSON *root = NULL;
    enum oc_json_status s =
        oc_json_parse(payload, len, OC_JSON_MAX_BYTES, OC_JSON_MAX_DEPTH, &root, NULL);
    if (s != OC_JSON_OK) {
        *why = oc_event_json_reason(s);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *why = OC_C_DROP_NOT_OBJECT;
        return NULL;
    }
    return root;
}

/* Required integer millisecond timestamp. */
static bool get_ts(const cJSON *root, int64_t *out, enum oc_counter *why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "ts");
    if (!v) {
        *why = OC_C_DROP_MISSING_FIELD;
        return false;
    }
    if (!cJSON_IsNumber(v)) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    double d = v->valuedouble;
    if (!isfinite(d) || d < OC_TS_MIN || d > (double)OC_TS_MAX || d != floor(d)) {
        *why = OC_C_DROP_BAD_VALUE;
        return false;
    }
    *out = (int64_t)d;
    return true;
}

/* Writes v (|v| < 2^53) in decimal; faster than snprintf on the hot path. */
static void format_id(char *buf, long long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t o = 0;
    if (v < 0)
        buf[o++] = '-';
    while (n)
        buf[o++] = tmp[--n];
    buf[o] = '\0';
}

static bool decode_id(const cJSON *id, struct oc_obj *obj, enum oc_counter *why)
{
    if (cJSON_IsString(id)) {
        size_t n = strlen(id->valuestring);
        if (n == 0 || n > OC_ID_MAX) {
            *why = OC_C_DROP_BAD_VALUE;
            return false;
        }
        obj->id = id->valuestring;
        return true;
    }
    if (!cJSON_IsNumber(id)) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    double d = id->valuedouble;
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0) {
        *why = OC_C_DROP_BAD_VALUE;
        return false;
    }
    format_id(obj->idbuf, (long long)d);
    obj->id = obj->idbuf;
    return true;
}

static bool decode_box(const cJSON *box, struct oc_obj *obj, enum oc_counter *why)
{
    *why = OC_C_DROP_WRONG_TYPE;
    if (!cJSON_IsArray(box))
        return false;
    double b[4];
    int i = 0;
    for (const cJSON *it = box->child; it; it = it->next, i++) {
        if (i == 4 || !cJSON_IsNumber(it))
            return false;
        b[i] = it->valuedouble;
        if (!isfinite(b[i]) || fabs(b[i]) > OC_COORD_MAX) {
            *why = OC_C_DROP_BAD_VALUE;
            return false;
        }
    }
    if (i != 4)
        return false;
    if (b[2] < 0 || b[3] < 0) {
        *why = OC_C_DROP_BAD_VALUE;
        return false;
    }
    obj->x = b[0];
    obj->y = b[1];
    obj->w = b[2];
    obj->h = b[3];
    return true;
}

static void decode_attrs(const cJSON *attrs, struct oc_obj *obj, unsigned *dropped)
{
    for (const cJSON *a = attrs->child; a; a = a->next) {
        if (strcmp(a->string, "plate") == 0) {
            if (cJSON_IsString(a) && strlen(a->valuestring) <= OC_PLATE_MAX)
                obj->plate = a->valuestring[0] ? a->valuestring : NULL;
            else if (!cJSON_IsNull(a))
                (*dropped)++;
        } else if (strcmp(a->string, "helmet") == 0) {
            if (cJSON_IsBool(a))
                obj->helmet = cJSON_IsTrue(a) ? OC_HELMET_YES : OC_HELMET_NO;
            else if (!cJSON_IsNull(a))
                (*dropped)++;
        }
    }
}

/* One pass over the object's members: a detection has a handful, and
 * looking each key up by name would walk them again per key. */
static bool decode_object(const cJSON *o, struct oc_obj *obj, enum oc_counter *why,
                          unsigned *dropped)
{
    if (!cJSON_IsObject(o)) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    const cJSON *id = NULL, *cls = NULL, *box = NULL, *conf = NULL, *attrs = NULL;
    for (const cJSON *m = o->child; m; m = m->next) {
        const char *k = m->string;
        if (k[0] == 'i' && strcmp(k, "id") == 0)
            id = m;
        else if (k[0] == 'c' && strcmp(k, "class") == 0)
            cls = m;
        else if (k[0] == 'b' && strcmp(k, "box") == 0)
            box = m;
        else if (k[0] == 'c' && strcmp(k, "conf") == 0)
            conf = m;
        else if (k[0] == 'a' && strcmp(k, "attrs") == 0)
            attrs = m;
    }
    if (!id || !cls || !box) {
        *why = OC_C_DROP_MISSING_FIELD;
        return false;
    }
    if (!decode_id(id, obj, why))
        return false;
    if (!cJSON_IsString(cls)) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    size_t clen = strlen(cls->valuestring);
    if (clen == 0 || clen > 64) {
        *why = OC_C_DROP_BAD_VALUE;
        return false;
    }
    obj->cls = cls->valuestring;
    if (!decode_box(box, obj, why))
        return false;
    obj->conf = 1.0;
    if (conf) {
        if (cJSON_IsNumber(conf) && conf->valuedouble >= 0 && conf->valuedouble <= 1)
            obj->conf = conf->valuedouble;
        else
            (*dropped)++;
    }
    obj->plate = NULL;
    obj->helmet = OC_HELMET_UNKNOWN;
    if (attrs && !cJSON_IsObject(attrs))
        (*dropped)++;
    else if (attrs)
        decode_attrs(attrs, obj, dropped);
    return true;
}

bool oc_event_detections(struct oc_decoder *dec, const cJSON *root, struct oc_detections *out,
                         enum oc_counter *why, unsigned *fields_dropped)
{
    *fields_dropped = 0;
    if (!get_ts(root, &out->ts, why))
        return false;
    const cJSON *objs = NULL, *frame = NULL, *jpeg = NULL;
    for (const cJSON *m = root->child; m; m = m->next) {
        if (strcmp(m->string, "objects") == 0)
            objs = m;
        else if (strcmp(m->string, "frame") == 0)
            frame = m;
        else if (strcmp(m->string, "jpeg") == 0)
            jpeg = m;
    }
    if (!objs) {
        *why = OC_C_DROP_MISSING_FIELD;
        return false;
    }
    if (!cJSON_IsArray(objs)) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    size_t n = 0;
    for (const cJSON *it = objs->child; it; it = it->next) {
        if (n == OC_MAX_OBJECTS) {
            *why = OC_C_DROP_TOO_LARGE;
            return false;
        }
        if (!decode_object(it, &dec->objs[n], why, fields_dropped))
            return false;
        n++;
    }
    out->objs = dec->objs;
    out->n_objs = n;
    out->frame = -1;
    if (frame) {
        if (cJSON_IsNumber(frame) && frame->valuedouble >= 0 && frame->valuedouble < 9e15)
            out->frame = (int64_t)frame->valuedouble;
        else
            (*fields_dropped)++;
    }
    out->jpeg_b64 = NULL;
    out->jpeg_b64_len = 0;
    if (jpeg) {
        if (cJSON_IsString(jpeg)) {
            out->jpeg_b64 = jpeg->valuestring;
            out->jpeg_b64_len = strlen(jpeg->valuestring);
        } else {
            (*fields_dropped)++;
        }
    }
    return true;
}

bool oc_event_camera_event(const cJSON *root, struct oc_cam_event *out, enum oc_counter *why,
                           unsigned *fields_dropped)
{
    *fields_dropped = 0;
    if (!get_ts(root, &out->ts, why))
        return false;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!type) {
        *why = OC_C_DROP_MISSING_FIELD;
        return false;
    }
    if (!cJSON_IsString(type) || !type->valuestring[0] || strlen(type->valuestring) > 64) {
        *why = cJSON_IsString(type) ? OC_C_DROP_BAD_VALUE : OC_C_DROP_WRONG_TYPE;
        return false;
    }
    out->type = type->valuestring;
    out->id = NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (id) {
        if (cJSON_IsString(id) && id->valuestring[0] && strlen(id->valuestring) <= OC_ID_MAX)
            out->id = id->valuestring;
        else
            (*fields_dropped)++;
    }
    out->conf = 1.0;
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(root, "conf");
    if (conf) {
        if (cJSON_IsNumber(conf) && conf->valuedouble >= 0 && conf->valuedouble <= 1)
            out->conf = conf->valuedouble;
        else
            (*fields_dropped)++;
    }
    out->has_object = false;
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "object");
    if (obj) {
        enum oc_counter ignored;
        unsigned n = 0;
        if (decode_object(obj, &out->object, &ignored, &n))
            out->has_object = true;
        else
            (*fields_dropped)++;
        *fields_dropped += n;
    }
    return true;
}

static const char *const state_names[] = {"unknown", "red", "yellow", "green", "flashing", "off"};

bool oc_event_is_jpeg(const void *data, size_t len)
{
    return len >= 3 && memcmp(data, "\xff\xd8\xff", 3) == 0;
}

const char *oc_sig_state_name(enum oc_sig_state s)
{
    return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "unknown";
}

bool oc_event_signal(const cJSON *root, struct oc_signal_msg *out, enum oc_counter *why)
{
    if (!get_ts(root, &out->ts, why))
        return false;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "state");
    if (!st) {
        *why = OC_C_DROP_MISSING_FIELD;
        return false;
    }
    if (!cJSON_IsString(st)) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    for (int s = OC_SIG_RED; s <= OC_SIG_OFF; s++)
        if (strcmp(st->valuestring, state_names[s]) == 0) {
            out->state = (enum oc_sig_state)s;
            return true;
        }
    *why = OC_C_DROP_BAD_VALUE;
    return false;
}
