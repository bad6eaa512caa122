/* NVIDIA DeepStream nvmsgconv payloads (docs/inputs.md):
 *  - PAYLOAD_DEEPSTREAM (full): one message per object per frame; a frame
 *    is assembled from the messages sharing sensor.id and @timestamp;
 *  - PAYLOAD_DEEPSTREAM_MINIMAL: one message per frame, objects as
 *    "id|left|top|right|bottom|class|#|<type-specific fields>|conf".
 * messageid and event.id are fresh per message and never identify
 * anything here; object.id (the tracker id) is the track. */
#include "oc_adapt_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ordercam/oc_class.h"

/* Defaults for class_aliases: nvmsgconv's object types and common
 * vehicle.type values (lower-case ones are ordercam's own names). */
static const char *const ds_classes[][2] = {{"Vehicle", "car"},
                                            {"Person", "person"},
                                            {"Bicycle", "bicycle"},
                                            {"Roadsign", "roadsign"},
                                            {"RoadSign", "roadsign"},
                                            {"sedan", "car"},
                                            {"suv", "car"},
                                            {"hatchback", "car"},
                                            {"coupe", "car"},
                                            {"motorbike", "motorcycle"},
                                            {NULL, NULL}};

struct ds_obj {
    struct oc_obj o;
    char id[OC_ID_MAX + 1];
    char cls[65];
    char plate[OC_PLATE_MAX + 1];
};

struct ds_cam {
    bool pending;     /* a frame is being assembled */
    int64_t ts;       /* its @timestamp */
    int64_t rx_first; /* arrival of its first message */
    int64_t last_ts;  /* @timestamp of the newest frame passed on; -1: none */
    struct ds_obj *objs;
    size_t n, cap;
};

struct ds {
    const struct oc_config *cfg;
    struct ds_cam *cams;
    struct ds_obj scratch[OC_MAX_OBJECTS]; /* minimal: one message's objects */
    struct oc_obj out[OC_MAX_OBJECTS];
};

static void *ds_create(const struct oc_config *cfg)
{
    struct ds *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->cams = calloc(cfg->n_cameras + 1, sizeof *s->cams);
    if (!s->cams) {
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_cameras; i++)
        s->cams[i].last_ts = -1;
    return s;
}

static void ds_destroy(void *st)
{
    struct ds *s = st;
    for (size_t i = 0; i < s->cfg->n_cameras; i++)
        free(s->cams[i].objs);
    free(s->cams);
    free(s);
}

static bool copy_str(char *dst, size_t cap, const char *src, size_t n)
{
    if (n == 0 || n >= cap)
        return false;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return true;
}

/* The class to give the engine: a vehicle's own type when ordercam knows
 * it (a class, an alias or a default), else the object type's default,
 * else the object type's name as sent (interned by the engine). */
static const char *pick_class(const struct oc_adapt_io *io, struct ds_obj *d, const char *otype,
                              size_t olen, const char *vtype, size_t vlen)
{
    if (vtype && copy_str(d->cls, sizeof d->cls, vtype, vlen)) {
        const char *c = oc_adapt__class(io, ds_classes, d->cls);
        if (c)
            return c;
    }
    if (!copy_str(d->cls, sizeof d->cls, otype, olen))
        return NULL;
    const char *c = oc_adapt__class(io, ds_classes, d->cls);
    return c ? c : d->cls;
}

/* "helmet" / "none" as a person's cap (docs/inputs.md). */
static enum oc_helmet cap_helmet(const char *s, size_t n)
{
    if (n == 6 && strncasecmp(s, "helmet", 6) == 0)
        return OC_HELMET_YES;
    if ((n == 4 && strncasecmp(s, "none", 4) == 0) ||
        (n == 9 && strncasecmp(s, "no_helmet", 9) == 0))
        return OC_HELMET_NO;
    return OC_HELMET_UNKNOWN;
}

static bool box_ok(double l, double t, double r, double b)
{
    return isfinite(l) && isfinite(t) && isfinite(r) && isfinite(b) && fabs(l) <= OC_COORD_MAX &&
           fabs(t) <= OC_COORD_MAX && fabs(r) <= OC_COORD_MAX && fabs(b) <= OC_COORD_MAX &&
           r >= l && b >= t;
}

/* What both schemas say of one object, before conversion: strings are
 * borrowed from the payload (not NUL-terminated), NULL when absent. */
struct ds_fields {
    const char *id;
    size_t idn;
    double box[4]; /* left, top, right, bottom in pixels */
    const char *otype, *vtype, *plate, *cap;
    size_t olen, vlen, platen, capn;
    bool has_conf;
    double conf; /* negative: nvmsgconv's "none" */
};

/* The one conversion of an object, for both schemas: false when its id,
 * box or class cannot be used (a bad value); an optional field out of
 * range is left out and counted in *dropped. */
static bool ds_object(const struct oc_adapt_io *io, const struct ds_fields *f, struct ds_obj *d,
                      unsigned *dropped)
{
    /* "-1": nvmsgconv's id of an object no tracker follows: no track */
    if ((f->idn == 2 && memcmp(f->id, "-1", 2) == 0) ||
        !copy_str(d->id, sizeof d->id, f->id, f->idn))
        return false;
    const double *b = f->box;
    if (!box_ok(b[0], b[1], b[2], b[3]))
        return false;
    d->o = (struct oc_obj){.x = b[0],
                           .y = b[1],
                           .w = b[2] - b[0],
                           .h = b[3] - b[1],
                           .conf = 1.0,
                           .helmet = OC_HELMET_UNKNOWN};
    d->plate[0] = '\0';
    d->o.cls = pick_class(io, d, f->otype, f->olen, f->vtype, f->vlen);
    if (!d->o.cls)
        return false;
    if (d->o.cls == d->cls)
        d->o.cls = NULL; /* points into the object: ds_out() re-points it */
    if (f->plate && f->platen > 0) {
        if (f->platen <= OC_PLATE_MAX) {
            memcpy(d->plate, f->plate, f->platen);
            d->plate[f->platen] = '\0';
        } else {
            (*dropped)++;
        }
    }
    if (f->cap)
        d->o.helmet = cap_helmet(f->cap, f->capn);
    if (f->has_conf) {
        if (f->conf >= 0 && f->conf <= 1)
            d->o.conf = f->conf;
        else if (!(f->conf < 0))
            (*dropped)++;
    }
    return true;
}

/* The engine's view of a converted object (pointing into d). */
static void ds_out(const struct ds_obj *d, struct oc_obj *out)
{
    *out = d->o;
    out->id = d->id;
    if (!out->cls)
        out->cls = d->cls;
    out->plate = d->plate[0] ? d->plate : NULL;
}

/* ---------------- frame assembly (full schema) ---------------- */

static void emit(struct ds *s, const struct oc_adapt_io *io, int cam)
{
    struct ds_cam *c = &s->cams[cam];
    if (!c->pending)
        return;
    for (size_t i = 0; i < c->n; i++)
        ds_out(&c->objs[i], &s->out[i]);
    struct oc_detections d = {.ts = c->ts, .frame = -1, .objs = s->out, .n_objs = c->n};
    c->pending = false;
    c->last_ts = c->ts;
    c->n = 0;
    oc_adapt__detections(io, cam, &d);
}

static struct ds_obj *slot(struct ds_cam *c)
{
    if (c->n == c->cap) {
        if (c->cap == OC_MAX_OBJECTS)
            return NULL;
        size_t cap = c->cap ? c->cap * 2 : 16;
        if (cap > OC_MAX_OBJECTS)
            cap = OC_MAX_OBJECTS;
        struct ds_obj *o = realloc(c->objs, cap * sizeof *o);
        if (!o)
            return NULL;
        c->objs = o;
        c->cap = cap;
    }
    return &c->objs[c->n];
}

static const cJSON *member(const cJSON *o, const char *k)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

static bool str_of(const cJSON *v, const char **s, size_t *n)
{
    if (!cJSON_IsString(v))
        return false;
    *s = v->valuestring;
    *n = strlen(v->valuestring);
    return true;
}

/* Decodes the full schema's "object" into d. Returns false with *why. */
static bool full_object(const struct oc_adapt_io *io, const cJSON *obj, struct ds_obj *d,
                        enum oc_counter *why, unsigned *dropped)
{
    *why = OC_C_DROP_MISSING_FIELD;
    if (!obj)
        return false;
    *why = OC_C_DROP_WRONG_TYPE;
    if (!cJSON_IsObject(obj))
        return false;
    const cJSON *id = member(obj, "id"), *bbox = member(obj, "bbox");
    if (!id || !bbox) {
        *why = OC_C_DROP_MISSING_FIELD;
        return false;
    }
    struct ds_fields f = {0};
    if (!str_of(id, &f.id, &f.idn) || !cJSON_IsObject(bbox))
        return false;
    static const char *const bk[] = {"topleftx", "toplefty", "bottomrightx", "bottomrighty"};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = member(bbox, bk[i]);
        *why = v ? OC_C_DROP_WRONG_TYPE : OC_C_DROP_MISSING_FIELD;
        if (!cJSON_IsNumber(v))
            return false;
        f.box[i] = v->valuedouble;
    }
    /* the typed sub-object names the class; a rider's "person" may come
     * with a two-wheeler's "vehicle" (its cap is the helmet) */
    static const char *const types[][2] = {{"vehicle", "Vehicle"}, {"person", "Person"},
                                           {"bicycle", "Bicycle"}, {"roadsign", "Roadsign"},
                                           {"face", "Face"},       {"bag", "Bag"}};
    const cJSON *typed = NULL;
    for (size_t i = 0; i < sizeof types / sizeof *types && !f.otype; i++)
        if ((typed = member(obj, types[i][0])) != NULL)
            f.otype = types[i][1];
    *why = f.otype ? OC_C_DROP_WRONG_TYPE : OC_C_DROP_MISSING_FIELD;
    if (!f.otype || !cJSON_IsObject(typed))
        return false;
    f.olen = strlen(f.otype);
    const cJSON *vehicle = member(obj, "vehicle"), *person = member(obj, "person");
    const cJSON *vt = member(vehicle, "type"), *lic = member(vehicle, "license");
    const cJSON *cap = member(person, "cap"), *conf = member(obj, "confidence");
    if (vt && !str_of(vt, &f.vtype, &f.vlen))
        (*dropped)++;
    if (lic && !str_of(lic, &f.plate, &f.platen))
        (*dropped)++;
    if (cap && !str_of(cap, &f.cap, &f.capn))
        (*dropped)++;
    if (!conf)
        conf = member(typed, "confidence");
    if (conf && !cJSON_IsNumber(conf))
        (*dropped)++;
    else if (conf)
        f.has_conf = true, f.conf = conf->valuedouble;
    *why = OC_C_DROP_BAD_VALUE;
    return ds_object(io, &f, d, dropped);
}

static int full_feed(void *st, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    struct ds *s = st;
    const cJSON *root = in->json;
    int one = in->n_cams == 1 ? in->cams[0] : -1;
    const cJSON *sid = member(member(root, "sensor"), "id"), *tsv = member(root, "@timestamp");
    const char *name, *tss;
    size_t nlen, tslen;
    if (!sid || !tsv) {
        oc_adapt__drop(io, one, OC_C_DROP_MISSING_FIELD);
        return one;
    }
    if (!str_of(sid, &name, &nlen) || !str_of(tsv, &tss, &tslen)) {
        oc_adapt__drop(io, one, OC_C_DROP_WRONG_TYPE);
        return one;
    }
    int cam = oc_adapt__pick(io, in, name, nlen);
    if (cam < 0)
        return -1;
    int64_t ts;
    if (!oc_adapt_parse_iso8601(tss, tslen, &ts)) {
        oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE);
        return cam;
    }
    struct ds_cam *c = &s->cams[cam];
    if (c->pending && in->rx_ms - c->rx_first > OC_ADAPT_DS_WAIT_MS)
        emit(s, io, cam); /* its wait is over: this message cannot join it */
    if (c->pending && ts > c->ts)
        emit(s, io, cam);
    if ((c->pending && ts < c->ts) || (!c->pending && ts <= c->last_ts)) {
        oc_adapt__drop(io, cam, OC_C_DROP_LATE);
        return cam;
    }
    struct ds_obj *d = slot(c);
    if (!d) {
        oc_adapt__drop(io, cam, OC_C_DROP_TOO_LARGE);
        return cam;
    }
    enum oc_counter why;
    unsigned dropped = 0;
    bool ok = full_object(io, member(root, "object"), d, &why, &dropped);
    oc_adapt__drops(io, cam, OC_C_FIELD_DROPPED, dropped);
    if (!ok) {
        oc_adapt__drop(io, cam, why);
        return cam;
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->objs[i].id, d->id) == 0) {
            oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE); /* one object twice in a frame */
            return cam;
        }
    if (!c->pending) {
        c->pending = true;
        c->ts = ts;
        c->rx_first = in->rx_ms;
    }
    c->n++;
    return cam;
}

static void full_tick(void *st, const struct oc_adapt_io *io, int64_t rx_ms)
{
    struct ds *s = st;
    for (size_t i = 0; i < s->cfg->n_cameras; i++)
        if (s->cams[i].pending && rx_ms - s->cams[i].rx_first > OC_ADAPT_DS_WAIT_MS)
            emit(s, io, (int)i);
}

static void full_flush(void *st, const struct oc_adapt_io *io)
{
    struct ds *s = st;
    for (size_t i = 0; i < s->cfg->n_cameras; i++)
        emit(s, io, (int)i);
}

/* No frame held: everything received has reached the engine. */
static bool full_idle(void *st)
{
    const struct ds *s = st;
    for (size_t i = 0; i < s->cfg->n_cameras; i++)
        if (s->cams[i].pending)
            return false;
    return true;
}

const struct oc_adapt_format oc_adapt_fmt_deepstream = {.name = "deepstream",
                                                        .json = true,
                                                        .create = ds_create,
                                                        .feed = full_feed,
                                                        .tick = full_tick,
                                                        .flush = full_flush,
                                                        .idle = full_idle,
                                                        .destroy = ds_destroy};

/* ---------------- minimal schema ---------------- */

/* Splits s[0..n) at '|' into at most max fields. Returns the count. */
static size_t split(const char *s, size_t n, const char **f, size_t *fl, size_t max)
{
    size_t k = 0;
    const char *p = s, *end = s + n;
    while (k < max) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        f[k] = p;
        fl[k] = bar ? (size_t)(bar - p) : (size_t)(end - p);
        k++;
        if (!bar)
            break;
        p = bar + 1;
    }
    return k;
}

static bool num(const char *s, size_t n, double *out)
{
    char buf[48];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *e;
    *out = strtod(buf, &e);
    return *e == '\0' && isfinite(*out);
}

/* One "id|left|top|right|bottom|class|#|..." string. Vehicles carry
 * type|make|model|color|license|region|conf after '#', persons
 * gender|age|hair|cap|apparel|conf. */
static bool minimal_object(const struct oc_adapt_io *io, const char *str, size_t len,
                           struct ds_obj *d, unsigned *dropped)
{
    const char *p[16];
    size_t pl[16];
    size_t k = split(str, len, p, pl, 16);
    if (k < 6)
        return false;
    struct ds_fields f = {.id = p[0], .idn = pl[0], .otype = p[5], .olen = pl[5]};
    for (int i = 0; i < 4; i++)
        if (!num(p[1 + i], pl[1 + i], &f.box[i]))
            return false;
    bool extra = k > 7 && pl[6] == 1 && p[6][0] == '#';
    bool vehicle = extra && pl[5] == 7 && strncasecmp(p[5], "Vehicle", 7) == 0;
    bool person = extra && pl[5] == 6 && strncasecmp(p[5], "Person", 6) == 0;
    if (vehicle)
        f.vtype = p[7], f.vlen = pl[7];
    if (vehicle && k >= 12)
        f.plate = p[11], f.platen = pl[11];
    if (person && k >= 11)
        f.cap = p[10], f.capn = pl[10];
    size_t ci = vehicle ? 13 : person ? 12 : 0;
    if (ci && k > ci && pl[ci] > 0) {
        if (num(p[ci], pl[ci], &f.conf))
            f.has_conf = true;
        else
            (*dropped)++;
    }
    return ds_object(io, &f, d, dropped);
}

static int minimal_feed(void *st, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    struct ds *s = st;
    const cJSON *root = in->json;
    int one = in->n_cams == 1 ? in->cams[0] : -1;
    const cJSON *sid = member(root, "sensorId"), *tsv = member(root, "@timestamp");
    const cJSON *objs = member(root, "objects");
    const char *name, *tss;
    size_t nlen, tslen;
    if (!sid || !tsv || !objs) {
        oc_adapt__drop(io, one, OC_C_DROP_MISSING_FIELD);
        return one;
    }
    if (!str_of(sid, &name, &nlen) || !str_of(tsv, &tss, &tslen) || !cJSON_IsArray(objs)) {
        oc_adapt__drop(io, one, OC_C_DROP_WRONG_TYPE);
        return one;
    }
    int cam = oc_adapt__pick(io, in, name, nlen);
    if (cam < 0)
        return -1;
    int64_t ts;
    if (!oc_adapt_parse_iso8601(tss, tslen, &ts)) {
        oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE);
        return cam;
    }
    size_t n = 0;
    unsigned dropped = 0;
    for (const cJSON *it = objs->child; it; it = it->next) {
        const char *str;
        size_t len;
        if (n == OC_MAX_OBJECTS) {
            oc_adapt__drop(io, cam, OC_C_DROP_TOO_LARGE);
            return cam;
        }
        if (!str_of(it, &str, &len)) {
            oc_adapt__drop(io, cam, OC_C_DROP_WRONG_TYPE);
            continue;
        }
        struct ds_obj *d = &s->scratch[n];
        if (!minimal_object(io, str, len, d, &dropped)) {
            oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE);
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(s->scratch[i].id, d->id) == 0;
        if (dup) {
            oc_adapt__drop(io, cam, OC_C_DROP_BAD_VALUE);
            continue;
        }
        ds_out(d, &s->out[n++]);
    }
    oc_adapt__drops(io, cam, OC_C_FIELD_DROPPED, dropped);
    struct oc_detections d = {.ts = ts, .frame = -1, .objs = s->out, .n_objs = n};
    const cJSON *fid = member(root, "id");
    double fr;
    if (cJSON_IsString(fid) && num(fid->valuestring, strlen(fid->valuestring), &fr) && fr >= 0 &&
        fr < 9e15 && fr == floor(fr))
        d.frame = (int64_t)fr;
    oc_adapt__detections(io, cam, &d);
    return cam;
}

const struct oc_adapt_format oc_adapt_fmt_deepstream_minimal = {.name = "deepstream-minimal",
                                                                .json = true,
                                                                .create = ds_create,
                                                                .feed = minimal_feed,
                                                                .destroy = ds_destroy};
