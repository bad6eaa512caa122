/* Frigate NVR over MQTT (docs/inputs.md, "Frigate"), from Frigate's
 * published MQTT documentation:
 *  - frigate/events: {"type": "new"|"update"|"end", "before": {...},
 *    "after": {"id", "camera", "label", "box": [x1, y1, x2, y2] (detect
 *    pixels), "frame_time" (epoch s), "score", "recognized_license_plate",
 *    "snapshot": {"frame_time"}, "path_data": [[[x, y], t], ...] (normalised
 *    bottom centres), "end_time", ...}}; "after" is the object now;
 *  - frigate/tracked_object_update: {"type": "lpr", "id", "camera",
 *    "plate", "timestamp"} and {"type": "classification", "id", "camera",
 *    "model", "attribute", "timestamp"} joined to the object by id;
 *  - frigate/<camera>/<label>/snapshot: a JPEG of the object's best frame,
 *    timed by the last event's snapshot.frame_time for that label;
 *  - frigate/available: "online" / "offline" / "stopped": Frigate
 *    (re)started or stopped, so every object it had is gone.
 * Frigate publishes on change, not per frame: an object that does not move
 * sends nothing, so its track must live until Frigate says "end" (the
 * engine's per-camera track timeout for this format is long; see
 * oc_config) and ends then (oc_adapt__end), leaving the engine's
 * re-acquisition to join a re-detected object to its stay. */
#include "oc_adapt_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FR_OBJ_MAX 4096   /* objects remembered (live or with a pending attribute); LRU beyond */
#define FR_PATH_MAX 64    /* path_data points used from one message */
#define FR_SNAP_LABELS 16 /* labels per camera whose snapshot time is remembered */

/* Frigate's labels are COCO names; ordercam has the road ones under the
 * same names. Anything else (dog, license_plate, face) passes as given:
 * the engine tracks it but no rule judges it. */
static const char *const fr_classes[][2] = {{"motorbike", "motorcycle"}, {NULL, NULL}};

struct fr_obj {
    char id[OC_ID_MAX + 1];
    int cam;
    int64_t last_ts; /* newest observation given to the engine; -1: none yet */
    double box[4];   /* x, y, w, h of that observation */
    char cls[65];
    char plate[OC_PLATE_MAX + 1]; /* "" when none */
    enum oc_helmet helmet;
    double conf;
    uint64_t used; /* LRU stamp */
};

struct fr_snap {
    char label[65];
    int64_t ts;
};

struct fr_cam {
    int64_t last_ts; /* newest frame_time seen; -1: none */
    struct fr_snap snaps[FR_SNAP_LABELS];
};

struct fr {
    const struct oc_config *cfg;
    struct fr_cam *cams;
    struct fr_obj *objs; /* objs[0..n): compact */
    size_t n;
    uint64_t stamp;
    struct oc_obj frame[OC_MAX_OBJECTS]; /* observe_frame's message */
    struct fr_obj *who[OC_MAX_OBJECTS];
};

static void *fr_create(const struct oc_config *cfg)
{
    struct fr *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->cams = calloc(cfg->n_cameras + 1, sizeof *s->cams);
    s->objs = calloc(FR_OBJ_MAX, sizeof *s->objs);
    if (!s->cams || !s->objs) {
        free(s->cams);
        free(s->objs);
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_cameras; i++)
        s->cams[i].last_ts = -1;
    return s;
}

static void fr_destroy(void *st)
{
    struct fr *s = st;
    free(s->cams);
    free(s->objs);
    free(s);
}

/* ---- small readers: each returns false and sets *why on a bad field ---- */

static bool get_string(const cJSON *o, const char *key, bool required, size_t max, const char **out,
                       enum oc_counter *why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        *why = OC_C_DROP_MISSING_FIELD;
        return !required;
    }
    if (!cJSON_IsString(v)) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    size_t n = strlen(v->valuestring);
    if (n == 0 || n > max) {
        *why = OC_C_DROP_BAD_VALUE;
        return false;
    }
    *out = v->valuestring;
    return true;
}

/* Epoch seconds (Frigate's times) to ms, or false. */
static bool secs_to_ms(const cJSON *v, int64_t *ms, enum oc_counter *why)
{
    if (!cJSON_IsNumber(v)) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    double t = v->valuedouble * 1000.0;
    if (!isfinite(t) || t < (double)OC_TS_MIN || t > (double)OC_TS_MAX) {
        *why = OC_C_DROP_BAD_VALUE;
        return false;
    }
    *ms = llround(t);
    return true;
}

/* "box": [x1, y1, x2, y2] in detect pixels, to x, y, w, h. */
static bool get_box(const cJSON *o, double box[4], enum oc_counter *why)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "box");
    if (!b) {
        *why = OC_C_DROP_MISSING_FIELD;
        return false;
    }
    if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) != 4) {
        *why = OC_C_DROP_WRONG_TYPE;
        return false;
    }
    double v[4];
    int i = 0;
    for (const cJSON *it = b->child; it; it = it->next, i++) {
        if (!cJSON_IsNumber(it)) {
            *why = OC_C_DROP_WRONG_TYPE;
            return false;
        }
        v[i] = it->valuedouble;
        if (!isfinite(v[i]) || fabs(v[i]) > OC_COORD_MAX) {
            *why = OC_C_DROP_BAD_VALUE;
            return false;
        }
    }
    if (v[2] < v[0] || v[3] < v[1]) {
        *why = OC_C_DROP_BAD_VALUE;
        return false;
    }
    box[0] = v[0];
    box[1] = v[1];
    box[2] = v[2] - v[0];
    box[3] = v[3] - v[1];
    return true;
}

/* ---- objects ---- */

static struct fr_obj *find_obj(struct fr *s, int cam, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->objs[i].cam == cam && strcmp(s->objs[i].id, id) == 0) {
            s->objs[i].used = ++s->stamp;
            return &s->objs[i];
        }
    return NULL;
}

static void remove_obj(struct fr *s, struct fr_obj *o)
{
    size_t i = (size_t)(o - s->objs);
    s->objs[i] = s->objs[--s->n];
}

/* A new object; when the table is full the least recently used one is
 * forgotten (its track ends by the engine's timeout instead). */
static struct fr_obj *add_obj(struct fr *s, int cam, const char *id)
{
    if (s->n == FR_OBJ_MAX) {
        size_t old = 0;
        for (size_t i = 1; i < s->n; i++)
            if (s->objs[i].used < s->objs[old].used)
                old = i;
        remove_obj(s, &s->objs[old]);
    }
    struct fr_obj *o = &s->objs[s->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", id);
    o->cam = cam;
    o->last_ts = -1;
    o->helmet = OC_HELMET_UNKNOWN;
    o->conf = 1;
    o->used = ++s->stamp;
    return o;
}

/* One observation of o at ts with box to the engine. */
static void observe(const struct oc_adapt_io *io, struct fr_obj *o, int64_t ts, const double box[4])
{
    struct oc_obj obj = {.id = o->id,
                         .cls = o->cls,
                         .x = box[0],
                         .y = box[1],
                         .w = box[2],
                         .h = box[3],
                         .conf = o->conf,
                         .plate = o->plate[0] ? o->plate : NULL,
                         .helmet = o->helmet};
    struct oc_detections d = {.ts = ts, .frame = -1, .objs = &obj, .n_objs = 1};
    oc_adapt__detections(io, o->cam, &d);
    if (ts > o->last_ts)
        o->last_ts = ts;
    memcpy(o->box, box, sizeof o->box);
}

/* An event is a frame of its camera: o at box, and every other object
 * Frigate tracks there and has not reported moving, unmoved at its last
 * box (Frigate reports on change: no news is "still there"), so the engine
 * sees still objects present, as a frame-rate source shows them. */
static void observe_frame(struct fr *s, const struct oc_adapt_io *io, struct fr_obj *o, int64_t ts,
                          const double box[4])
{
    struct oc_obj *objs = s->frame;
    struct fr_obj **who = s->who;
    size_t n = 0;
    memcpy(o->box, box, sizeof o->box);
    for (size_t i = 0; i < s->n && n < OC_MAX_OBJECTS; i++) {
        struct fr_obj *p = &s->objs[i];
        if (p != o && (p->cam != o->cam || p->last_ts < 0 || p->last_ts >= ts))
            continue;
        who[n] = p;
        objs[n++] = (struct oc_obj){.id = p->id,
                                    .cls = p->cls,
                                    .x = p->box[0],
                                    .y = p->box[1],
                                    .w = p->box[2],
                                    .h = p->box[3],
                                    .conf = p->conf,
                                    .plate = p->plate[0] ? p->plate : NULL,
                                    .helmet = p->helmet};
    }
    struct oc_detections d = {.ts = ts, .frame = -1, .objs = objs, .n_objs = n};
    oc_adapt__detections(io, o->cam, &d);
    for (size_t i = 0; i < n; i++)
        if (ts > who[i]->last_ts)
            who[i]->last_ts = ts;
}

/* An attribute learnt between events: given to the engine at the object's
 * last observation (same time, same box: no motion is invented). */
static void attribute_changed(const struct oc_adapt_io *io, struct fr_obj *o)
{
    if (o->last_ts >= 0)
        observe(io, o, o->last_ts, o->box);
}

static void end_obj(struct fr *s, const struct oc_adapt_io *io, struct fr_obj *o, int64_t ts)
{
    if (o->last_ts >= 0)
        oc_adapt__end(io, o->cam, o->id, ts > o->last_ts ? ts : o->last_ts);
    remove_obj(s, o);
}

static void fr_known(void *st, int cam, const char *id, const char *cls, const double box[4],
                     int64_t last_ts)
{
    struct fr *s = st;
    if (strlen(id) > OC_ID_MAX || find_obj(s, cam, id))
        return;
    struct fr_obj *o = add_obj(s, cam, id);
    snprintf(o->cls, sizeof o->cls, "%s", cls);
    memcpy(o->box, box, sizeof o->box);
    o->last_ts = last_ts;
}

/* ---- frigate/events ---- */

/* The positions Frigate recorded between the last observation and now
 * (path_data: [[x, y], t], x, y the box's bottom centre normalised to the
 * detect resolution): observations at their own times, with the current
 * box's size, so that a line crossed between two events is crossed at
 * about the right time. Returns false when path_data is malformed (the
 * field is dropped, the event still counts). */
static bool path_points(const struct oc_adapt_io *io, struct fr *s, struct fr_obj *o,
                        const cJSON *after, int64_t ts, const double box[4])
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(after, "path_data");
    if (!p || cJSON_IsNull(p))
        return true;
    if (!cJSON_IsArray(p))
        return false;
    const struct oc_camera_cfg *cc = &s->cfg->cameras[o->cam];
    int64_t pts[FR_PATH_MAX];
    double px[FR_PATH_MAX], py[FR_PATH_MAX];
    size_t n = 0;
    bool ok = true;
    for (const cJSON *it = p->child; it; it = it->next) {
        const cJSON *xy = cJSON_IsArray(it) ? cJSON_GetArrayItem(it, 0) : NULL;
        const cJSON *t = cJSON_IsArray(it) ? cJSON_GetArrayItem(it, 1) : NULL;
        enum oc_counter why;
        int64_t ms;
        if (cJSON_GetArraySize(it) != 2 || !cJSON_IsArray(xy) || cJSON_GetArraySize(xy) != 2 ||
            !cJSON_IsNumber(xy->child) || !cJSON_IsNumber(xy->child->next) ||
            !secs_to_ms(t, &ms, &why)) {
            ok = false;
            continue;
        }
        double x = xy->child->valuedouble, y = xy->child->next->valuedouble;
        if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
            ok = false;
            continue;
        }
        if (ms <= o->last_ts || ms >= ts)
            continue;           /* seen already, or the current position */
        if (n == FR_PATH_MAX) { /* keep the newest */
            memmove(pts, pts + 1, sizeof pts - sizeof *pts);
            memmove(px, px + 1, sizeof px - sizeof *px);
            memmove(py, py + 1, sizeof py - sizeof *py);
            n--;
        }
        pts[n] = ms;
        px[n] = x * cc->width;
        py[n] = y * cc->height;
        n++;
    }
    /* in time order (Frigate appends, but a log may be edited by hand) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && pts[j] < pts[j - 1]; j--) {
            int64_t t = pts[j];
            double a = px[j], b = py[j];
            pts[j] = pts[j - 1], px[j] = px[j - 1], py[j] = py[j - 1];
            pts[j - 1] = t, px[j - 1] = a, py[j - 1] = b;
        }
    for (size_t i = 0; i < n; i++) {
        if (pts[i] <= o->last_ts)
            continue;
        double b[4] = {px[i] - box[2] / 2, py[i] - box[3], box[2], box[3]};
        observe(io, o, pts[i], b);
    }
    return ok;
}

/* Remembers when the object's snapshot was taken, for the JPEG that the
 * snapshot topic will carry. */
static void note_snapshot(struct fr *s, int cam, const char *label, const cJSON *after)
{
    const cJSON *snap = cJSON_GetObjectItemCaseSensitive(after, "snapshot");
    const cJSON *t = cJSON_IsObject(snap)
                         ? cJSON_GetObjectItemCaseSensitive(snap, "frame_time")
                         : cJSON_GetObjectItemCaseSensitive(after, "snapshot_time");
    int64_t ms;
    enum oc_counter why;
    if (!t || !secs_to_ms(t, &ms, &why))
        return;
    struct fr_cam *c = &s->cams[cam];
    size_t k = 0;
    while (k < FR_SNAP_LABELS && c->snaps[k].label[0] && strcmp(c->snaps[k].label, label) != 0)
        k++;
    if (k == FR_SNAP_LABELS) { /* forget the oldest label */
        memmove(c->snaps, c->snaps + 1, sizeof c->snaps - sizeof *c->snaps);
        k = FR_SNAP_LABELS - 1;
        c->snaps[k].label[0] = '\0';
    }
    if (!c->snaps[k].label[0])
        snprintf(c->snaps[k].label, sizeof c->snaps[k].label, "%s", label);
    c->snaps[k].ts = ms;
}

static int on_event(struct fr *s, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    const cJSON *root = in->json;
    int one = in->n_cams == 1 ? in->cams[0] : -1;
    enum oc_counter why = OC_C_DROP_MISSING_FIELD;
    const char *type, *camera, *id, *label;
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(root, "after");
    if (!get_string(root, "type", true, 16, &type, &why) || !after) {
        oc_adapt__drop(io, one, why);
        return one;
    }
    bool end = strcmp(type, "end") == 0;
    if (!end && strcmp(type, "new") != 0 && strcmp(type, "update") != 0) {
        oc_adapt__drop(io, one, OC_C_DROP_BAD_VALUE);
        return one;
    }
    if (!cJSON_IsObject(after)) {
        oc_adapt__drop(io, one, OC_C_DROP_WRONG_TYPE);
        return one;
    }
    if (!get_string(after, "camera", true, 255, &camera, &why)) {
        oc_adapt__drop(io, one, why);
        return one;
    }
    int cam = oc_adapt__pick(io, in, camera, strlen(camera));
    if (cam < 0)
        return -1;
    double box[4];
    int64_t ts;
    const cJSON *ft = cJSON_GetObjectItemCaseSensitive(after, "frame_time");
    bool ok = get_string(after, "id", true, OC_ID_MAX, &id, &why) &&
              get_string(after, "label", true, 64, &label, &why) && get_box(after, box, &why);
    if (ok && !ft) {
        why = OC_C_DROP_MISSING_FIELD;
        ok = false;
    }
    if (!ok || !secs_to_ms(ft, &ts, &why)) {
        oc_adapt__drop(io, cam, why);
        return cam;
    }
    unsigned dropped = 0;
    struct fr_obj *o = find_obj(s, cam, id);
    if (!o)
        o = add_obj(s, cam, id);
    const char *cls = oc_adapt__class(io, fr_classes, label);
    snprintf(o->cls, sizeof o->cls, "%s", cls ? cls : label);
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(after, "score");
    if (cJSON_IsNumber(score) && score->valuedouble >= 0 && score->valuedouble <= 1)
        o->conf = score->valuedouble;
    else if (score && !cJSON_IsNull(score))
        dropped++;
    const char *plate;
    enum oc_counter pwhy;
    if (get_string(after, "recognized_license_plate", false, OC_PLATE_MAX, &plate, &pwhy)) {
        if (plate)
            snprintf(o->plate, sizeof o->plate, "%s", plate);
    } else {
        dropped++;
    }
    if (!path_points(io, s, o, after, ts, box))
        dropped++;
    observe_frame(s, io, o, ts, box);
    note_snapshot(s, cam, label, after);
    if (ts > s->cams[cam].last_ts)
        s->cams[cam].last_ts = ts;
    if (end) {
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(after, "end_time");
        int64_t end_ms = ts;
        if (et && !cJSON_IsNull(et) && !secs_to_ms(et, &end_ms, &why)) {
            dropped++;
            end_ms = ts;
        }
        end_obj(s, io, o, end_ms);
    }
    oc_adapt__drops(io, cam, OC_C_FIELD_DROPPED, dropped);
    return cam;
}

/* ---- frigate/tracked_object_update ---- */

/* A classification model's attribute as a helmet observation: the model's
 * name must contain "helmet"; the attribute says whether one is worn. */
static bool helmet_of(const char *model, const char *attr, enum oc_helmet *out)
{
    static const char *const yes[] = {"yes",      "true", "helmet", "with_helmet", "wearing_helmet",
                                      "helmeted", NULL};
    static const char *const no[] = {
        "no",        "false", "none", "no_helmet", "without_helmet", "not_wearing_helmet",
        "bare_head", NULL};
    bool named = false;
    for (const char *p = model; p && *p && !named; p++)
        named = strncasecmp(p, "helmet", 6) == 0;
    if (!named)
        return false;
    for (size_t i = 0; yes[i]; i++)
        if (strcasecmp(attr, yes[i]) == 0) {
            *out = OC_HELMET_YES;
            return true;
        }
    for (size_t i = 0; no[i]; i++)
        if (strcasecmp(attr, no[i]) == 0) {
            *out = OC_HELMET_NO;
            return true;
        }
    return false;
}

static int on_update(struct fr *s, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    const cJSON *root = in->json;
    int one = in->n_cams == 1 ? in->cams[0] : -1;
    enum oc_counter why = OC_C_DROP_MISSING_FIELD;
    const char *type, *id, *camera;
    if (!get_string(root, "type", true, 32, &type, &why)) {
        oc_adapt__drop(io, one, why);
        return one;
    }
    bool lpr = strcmp(type, "lpr") == 0, cls = strcmp(type, "classification") == 0;
    if (!lpr && !cls)
        return one; /* face, description, ...: nothing the rules use */
    if (!get_string(root, "camera", true, 255, &camera, &why)) {
        oc_adapt__drop(io, one, why);
        return one;
    }
    int cam = oc_adapt__pick(io, in, camera, strlen(camera));
    if (cam < 0)
        return -1;
    if (!get_string(root, "id", true, OC_ID_MAX, &id, &why)) {
        oc_adapt__drop(io, cam, why);
        return cam;
    }
    const char *plate = NULL, *model = NULL, *attr = NULL;
    enum oc_helmet helmet = OC_HELMET_UNKNOWN;
    if (lpr) {
        if (!get_string(root, "plate", true, OC_PLATE_MAX, &plate, &why)) {
            oc_adapt__drop(io, cam, why);
            return cam;
        }
    } else {
        enum oc_counter w2;
        if (!get_string(root, "model", false, 255, &model, &w2) ||
            !get_string(root, "attribute", false, 255, &attr, &w2)) {
            oc_adapt__drop(io, cam, w2);
            return cam;
        }
        if (!attr || !helmet_of(model, attr, &helmet))
            return cam; /* a sub_label, or a model that is not about helmets */
    }
    struct fr_obj *o = find_obj(s, cam, id);
    if (!o)
        o = add_obj(s, cam, id); /* the attribute waits for the object's first event */
    if (plate)
        snprintf(o->plate, sizeof o->plate, "%s", plate);
    else
        o->helmet = helmet;
    attribute_changed(io, o);
    return cam;
}

/* ---- frigate/<camera>/<label>/snapshot ---- */

/* The topic's n-th level (from 0), or false. */
static bool level(const char *topic, size_t len, int n, const char **lv, size_t *lvlen)
{
    const char *p = topic, *end = topic + len;
    for (int i = 0; i < n; i++) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        if (!slash)
            return false;
        p = slash + 1;
    }
    const char *slash = memchr(p, '/', (size_t)(end - p));
    *lv = p;
    *lvlen = slash ? (size_t)(slash - p) : (size_t)(end - p);
    return true;
}

static int on_snapshot(struct fr *s, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    const char *camera, *label;
    size_t clen, llen;
    int one = in->n_cams == 1 ? in->cams[0] : -1;
    if (!level(in->topic, in->topic_len, 1, &camera, &clen) ||
        !level(in->topic, in->topic_len, 2, &label, &llen)) {
        oc_adapt__drop(io, one, OC_C_DROP_BAD_TOPIC);
        return one;
    }
    int cam = oc_adapt__pick(io, in, camera, clen);
    if (cam < 0)
        return -1;
    if (in->len > OC_JPEG_MAX_BYTES) {
        oc_adapt__drop(io, cam, OC_C_DROP_TOO_LARGE);
        return cam;
    }
    if (!oc_event_is_jpeg(in->payload, in->len)) {
        oc_adapt__drop(io, cam, OC_C_DROP_NOT_JPEG);
        return cam;
    }
    const struct fr_cam *c = &s->cams[cam];
    for (size_t k = 0; k < FR_SNAP_LABELS && c->snaps[k].label[0]; k++)
        if (strlen(c->snaps[k].label) == llen && memcmp(c->snaps[k].label, label, llen) == 0) {
            oc_adapt__frame(io, cam, c->snaps[k].ts, in->payload, in->len);
            return cam;
        }
    /* no event told when this picture was taken (a retained snapshot from
     * before this run): it cannot be placed in time */
    oc_adapt__drop(io, cam, OC_C_DROP_MISSING_FIELD);
    return cam;
}

/* ---- frigate/available ---- */

static int on_available(struct fr *s, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    static const char *const gone[] = {"online", "offline", "stopped", NULL};
    bool all_gone = false;
    for (size_t i = 0; gone[i]; i++)
        all_gone |= in->len == strlen(gone[i]) && memcmp(in->payload, gone[i], in->len) == 0;
    if (!all_gone) {
        oc_adapt__drop(io, in->n_cams == 1 ? in->cams[0] : -1, OC_C_DROP_BAD_VALUE);
        return -1;
    }
    /* Frigate started or stopped: none of the objects it had lives on */
    for (size_t k = 0; k < in->n_cams; k++) {
        int cam = in->cams[k];
        for (size_t i = s->n; i-- > 0;)
            if (s->objs[i].cam == cam)
                end_obj(s, io, &s->objs[i], s->cams[cam].last_ts);
    }
    return in->n_cams == 1 ? in->cams[0] : -1;
}

static bool ends_with(const char *t, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(t + len - n, suffix, n) == 0;
}

static bool fr_json_topic(const char *topic, size_t len)
{
    return !ends_with(topic, len, "/snapshot") && !ends_with(topic, len, "/available");
}

static int fr_feed(void *st, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    struct fr *s = st;
    if (ends_with(in->topic, in->topic_len, "/snapshot"))
        return on_snapshot(s, io, in);
    if (ends_with(in->topic, in->topic_len, "/available"))
        return on_available(s, io, in);
    if (ends_with(in->topic, in->topic_len, "/tracked_object_update"))
        return on_update(s, io, in);
    if (ends_with(in->topic, in->topic_len, "/events"))
        return on_event(s, io, in);
    int one = in->n_cams == 1 ? in->cams[0] : -1;
    oc_adapt__drop(io, one, OC_C_DROP_BAD_TOPIC);
    return one;
}

const struct oc_adapt_format oc_adapt_fmt_frigate = {.name = "frigate",
                                                     .json = true,
                                                     .json_topic = fr_json_topic,
                                                     .create = fr_create,
                                                     .feed = fr_feed,
                                                     .known = fr_known,
                                                     .destroy = fr_destroy};
