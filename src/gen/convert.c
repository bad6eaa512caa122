/* ordercam-gen convert: renders a native event log's detections in a
 * foreign format (docs/inputs.md), for the equivalence tests and the
 * adapter benchmark. Every other line (signals, camera events, frames,
 * malformed lines) is copied unchanged. */
#include "convert.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ordercam/oc_event.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_text.h"

#define MAX_IDS 65536
#define FR_MAX_OBJS 4096 /* Frigate objects alive at once (more: not rendered, counted) */
#define FR_PATH 64       /* path_data points kept per object (the adapter reads as many) */
#define FR_GONE_MS 2000  /* an object unseen this long gets its "end" */

/* One object as Frigate tracks it: what its next event reports. */
struct fr_obj {
    int cam;
    char id[OC_ID_MAX + 1], fid[OC_ID_MAX + 32], label[64], plate[40];
    int64_t first, last;
    double box[4];           /* x1, y1, x2, y2 */
    double path[FR_PATH][3]; /* normalized bottom centre x, y and its time (s) */
    size_t n_path;
    int helmet; /* -1: not classified yet */
};

struct conv {
    enum oc_format fmt;
    const struct oc_config *cfg;
    FILE *out, *ids;
    uint64_t serial; /* deterministic message ids */
    struct {
        int cam;
        char id[OC_ID_MAX + 1];
    } * idmap; /* ONVIF ObjectIds: index + 1 */
    size_t n_ids;
    struct fr_obj *fr;
    size_t n_fr;
    uint64_t fr_refused; /* objects beyond FR_MAX_OBJS */
    int64_t last_rx;
    struct oc_decoder dec;
    char *buf; /* one payload being built */
    size_t cap, len;
};

static void put(struct conv *c, const char *s, size_t n)
{
    if (c->len + n + 1 > c->cap) {
        size_t cap = (c->len + n + 1) * 2;
        char *b = realloc(c->buf, cap);
        if (!b)
            return; /* out of memory: the payload is cut short and its line refused by replay */
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    c->buf[c->len] = '\0';
}

static void puts_(struct conv *c, const char *s)
{
    put(c, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(struct conv *c, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(c, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_json_str(struct conv *c, const char *s)
{
    size_t cap = strlen(s) * 6 + 3;
    char *q = malloc(cap);
    if (!q)
        return;
    size_t n = oc_text_json_quote(q, cap, s);
    put(c, q, n);
    free(q);
}

static void put_xml_text(struct conv *c, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': puts_(c, "&amp;"); break;
        case '<': puts_(c, "&lt;"); break;
        case '>': puts_(c, "&gt;"); break;
        case '"': puts_(c, "&quot;"); break;
        default: put(c, s, 1);
        }
    }
}

static void iso8601(char *out, size_t cap, int64_t ms)
{
    int64_t days = ms / 86400000, rem = ms % 86400000;
    /* civil_from_days */
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", (long long)y,
             (long long)m, (long long)d, (long long)(rem / 3600000), (long long)(rem / 60000 % 60),
             (long long)(rem / 1000 % 60), (long long)(rem % 1000));
}

static void line(struct conv *c, int64_t rx, const char *topic)
{
    fprintf(c->out, "{\"ts\":%lld,\"topic\":\"%s\",\"payload\":", (long long)rx, topic);
    if (c->fmt == OC_FORMAT_ONVIF) {
        size_t cap = c->len * 6 + 3;
        char *q = malloc(cap);
        if (q) {
            fwrite(q, 1, oc_text_json_quote(q, cap, c->buf), c->out);
            free(q);
        }
    } else {
        fwrite(c->buf, 1, c->len, c->out);
    }
    fputs("}\n", c->out);
    c->len = 0;
}

static const char *src_of(const struct conv *c, int cam)
{
    return c->cfg ? c->cfg->cameras[cam].source : NULL;
}

static bool is_vehicle(const char *cls)
{
    return strcmp(cls, "person") != 0;
}

/* ---- DeepStream full: one message per object ---- */
static void ds_full(struct conv *c, int64_t rx, const char *camid, const struct oc_detections *d)
{
    char ts[96];
    iso8601(ts, sizeof ts, d->ts);
    for (size_t i = 0; i < d->n_objs; i++) {
        const struct oc_obj *o = &d->objs[i];
        c->serial++;
        putf(c,
             "{\"messageid\":\"%08llx-0000-4000-8000-%012llx\",\"mdsversion\":\"1.0\","
             "\"@timestamp\":\"%s\",\"sensor\":{\"id\":",
             (unsigned long long)(c->serial >> 32), (unsigned long long)c->serial, ts);
        put_json_str(c, camid);
        puts_(c, ",\"type\":\"Camera\"},\"object\":{\"id\":");
        put_json_str(c, o->id);
        if (is_vehicle(o->cls)) {
            puts_(c, ",\"vehicle\":{\"type\":");
            put_json_str(c, o->cls);
            puts_(c, ",\"license\":");
            put_json_str(c, o->plate ? o->plate : "");
            putf(c, ",\"confidence\":%.6g}", o->conf);
            if (o->helmet != OC_HELMET_UNKNOWN) /* the rider */
                putf(c, ",\"person\":{\"cap\":\"%s\"}",
                     o->helmet == OC_HELMET_YES ? "helmet" : "none");
        } else {
            putf(c, ",\"person\":{\"cap\":\"%s\",\"confidence\":%.6g}",
                 o->helmet == OC_HELMET_YES  ? "helmet"
                 : o->helmet == OC_HELMET_NO ? "none"
                                             : "",
                 o->conf);
        }
        putf(c,
             ",\"bbox\":{\"topleftx\":%.17g,\"toplefty\":%.17g,\"bottomrightx\":%.17g,"
             "\"bottomrighty\":%.17g}},\"event\":{\"id\":\"%016llx\",\"type\":\"moving\"},"
             "\"videoPath\":\"\"}",
             o->x, o->y, o->x + o->w, o->y + o->h, (unsigned long long)c->serial * 7919u);
        line(c, rx, "deepstream/ordercam");
    }
}

/* ---- DeepStream minimal: one message per frame ---- */
static void ds_minimal(struct conv *c, int64_t rx, const char *camid, const struct oc_detections *d)
{
    char ts[96];
    iso8601(ts, sizeof ts, d->ts);
    putf(c, "{\"version\":\"4.0\",\"id\":\"%lld\",\"@timestamp\":\"%s\",\"sensorId\":",
         (long long)(d->frame >= 0 ? d->frame : 0), ts);
    put_json_str(c, camid);
    puts_(c, ",\"objects\":[");
    for (size_t i = 0; i < d->n_objs; i++) {
        const struct oc_obj *o = &d->objs[i];
        char s[512];
        if (is_vehicle(o->cls))
            snprintf(s, sizeof s, "%s|%.17g|%.17g|%.17g|%.17g|Vehicle|#|%s||||%s||%.6g", o->id,
                     o->x, o->y, o->x + o->w, o->y + o->h, o->cls, o->plate ? o->plate : "",
                     o->conf);
        else
            snprintf(s, sizeof s, "%s|%.17g|%.17g|%.17g|%.17g|Person|#||||%s||%.6g", o->id, o->x,
                     o->y, o->x + o->w, o->y + o->h,
                     o->helmet == OC_HELMET_YES  ? "helmet"
                     : o->helmet == OC_HELMET_NO ? "none"
                                                 : "",
                     o->conf);
        if (i)
            puts_(c, ",");
        put_json_str(c, s);
    }
    puts_(c, "]}");
    line(c, rx, "deepstream/ordercam");
}

/* ---- ONVIF: one tt:MetadataStream per frame ---- */
static long onvif_id(struct conv *c, int cam, const char *camid, const char *id)
{
    for (size_t i = 0; i < c->n_ids; i++)
        if (c->idmap[i].cam == cam && strcmp(c->idmap[i].id, id) == 0)
            return (long)i + 1;
    if (c->n_ids == MAX_IDS)
        return 0;
    c->idmap[c->n_ids].cam = cam;
    snprintf(c->idmap[c->n_ids].id, sizeof c->idmap[c->n_ids].id, "%s", id);
    c->n_ids++;
    if (c->ids)
        fprintf(c->ids, "%s %s %zu\n", camid, id, c->n_ids);
    return (long)c->n_ids;
}

static const char *onvif_vehicle_type(const char *cls)
{
    static const char *const t[][2] = {{"car", "Car"},
                                       {"bus", "Bus"},
                                       {"truck", "Truck"},
                                       {"van", "Van"},
                                       {"motorcycle", "Motorcycle"}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(t[i][0], cls) == 0)
            return t[i][1];
    return NULL;
}

static void onvif(struct conv *c, int64_t rx, int cam, const char *camid,
                  const struct oc_detections *d)
{
    int w = c->cfg ? c->cfg->cameras[cam].width : 1920,
        h = c->cfg ? c->cfg->cameras[cam].height : 1080;
    /* even cameras: a y-down frame system; odd: the spec's y-up example */
    bool ydown = cam % 2 == 0;
    char ts[96];
    iso8601(ts, sizeof ts, d->ts);
    putf(c,
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><tt:MetadataStream "
         "xmlns:tt=\"http://www.onvif.org/ver10/schema\"><tt:VideoAnalytics>"
         "<tt:Frame UtcTime=\"%s\"><tt:Transformation><tt:Translate x=\"-1\" y=\"%s\"/>"
         "<tt:Scale x=\"%.17g\" y=\"%.17g\"/></tt:Transformation>",
         ts, ydown ? "1" : "-1", 2.0 / w, (ydown ? -2.0 : 2.0) / h);
    for (size_t i = 0; i < d->n_objs; i++) {
        const struct oc_obj *o = &d->objs[i];
        double top = ydown ? o->y : h - o->y, bottom = ydown ? o->y + o->h : h - (o->y + o->h);
        putf(c,
             "<tt:Object ObjectId=\"%ld\"><tt:Appearance><tt:Shape><tt:BoundingBox "
             "left=\"%.17g\" top=\"%.17g\" right=\"%.17g\" bottom=\"%.17g\"/>"
             "<tt:CenterOfGravity x=\"%.17g\" y=\"%.17g\"/></tt:Shape>",
             onvif_id(c, cam, camid, o->id), o->x, top, o->x + o->w, bottom, o->x + o->w / 2,
             (top + bottom) / 2);
        const char *vt = onvif_vehicle_type(o->cls);
        const char *type = strcmp(o->cls, "person") == 0    ? "Human"
                           : strcmp(o->cls, "bicycle") == 0 ? "Bike"
                           : vt                             ? "Vehicle"
                                                            : o->cls;
        if (ydown)
            putf(c, "<tt:Class><tt:Type Likelihood=\"%.6g\">%s</tt:Type></tt:Class>", o->conf,
                 type);
        else
            putf(c,
                 "<tt:Class><tt:ClassCandidate><tt:Type>%s</tt:Type><tt:Likelihood>%.6g"
                 "</tt:Likelihood></tt:ClassCandidate></tt:Class>",
                 type, o->conf);
        if (vt)
            putf(c, "<tt:VehicleInfo><tt:Type Likelihood=\"%.6g\">%s</tt:Type></tt:VehicleInfo>",
                 o->conf, vt);
        if (o->plate) {
            puts_(c, "<tt:LicensePlateInfo><tt:PlateNumber Likelihood=\"1\">");
            put_xml_text(c, o->plate);
            puts_(c, "</tt:PlateNumber></tt:LicensePlateInfo>");
        }
        puts_(c, "</tt:Appearance></tt:Object>");
    }
    puts_(c, "</tt:Frame></tt:VideoAnalytics></tt:MetadataStream>");
    char topic[160];
    snprintf(topic, sizeof topic, "onvif/%s", src_of(c, cam) ? src_of(c, cam) : camid);
    line(c, rx, topic);
}

/* ---- Frigate: on change, not per frame (docs/inputs.md) ---- */

static void fr_event(struct conv *c, int64_t rx, const char *kind, const struct fr_obj *o)
{
    const char *src = src_of(c, o->cam);
    putf(c, "{\"type\":\"%s\",\"before\":null,\"after\":{\"id\":", kind);
    put_json_str(c, o->fid);
    puts_(c, ",\"camera\":");
    put_json_str(c, src ? src : "");
    puts_(c, ",\"label\":");
    put_json_str(c, o->label);
    putf(c,
         ",\"frame_time\":%.3f,\"snapshot\":{\"frame_time\":%.3f},\"box\":[%.17g,%.17g,%.17g,"
         "%.17g],\"score\":0.9,\"stationary\":false,\"current_zones\":[],\"entered_zones\":[],"
         "\"end_time\":",
         (double)o->last / 1000, (double)o->first / 1000, o->box[0], o->box[1], o->box[2],
         o->box[3]);
    if (strcmp(kind, "end") == 0)
        putf(c, "%.3f", (double)o->last / 1000);
    else
        puts_(c, "null");
    puts_(c, ",\"recognized_license_plate\":");
    if (o->plate[0])
        put_json_str(c, o->plate);
    else
        puts_(c, "null");
    puts_(c, ",\"path_data\":[");
    for (size_t i = 0; i < o->n_path; i++)
        putf(c, "%s[[%.4f,%.4f],%.3f]", i ? "," : "", o->path[i][0], o->path[i][1], o->path[i][2]);
    puts_(c, "]}}");
    line(c, rx, "frigate/events");
}

static void fr_update(struct conv *c, int64_t rx, const struct fr_obj *o, int64_t ts,
                      const char *type, const char *field, const char *value)
{
    const char *src = src_of(c, o->cam);
    putf(c, "{\"type\":\"%s\",\"id\":", type);
    put_json_str(c, o->fid);
    puts_(c, ",\"camera\":");
    put_json_str(c, src ? src : "");
    putf(c, ",\"timestamp\":%.3f,", (double)ts / 1000);
    if (strcmp(type, "classification") == 0)
        puts_(c, "\"model\":\"helmet_detector\",");
    putf(c, "\"%s\":", field);
    put_json_str(c, value);
    puts_(c, ",\"score\":0.9}");
    line(c, rx, "frigate/tracked_object_update");
}

static void fr_end(struct conv *c, int64_t rx, size_t i)
{
    fr_event(c, rx, "end", &c->fr[i]);
    c->fr[i] = c->fr[--c->n_fr];
}

static void fr_path_add(struct fr_obj *o, double x, double y, int64_t ts)
{
    if (o->n_path == FR_PATH) {
        memmove(o->path[0], o->path[1], sizeof o->path[0] * (FR_PATH - 1));
        o->n_path--;
    }
    o->path[o->n_path][0] = x;
    o->path[o->n_path][1] = y;
    o->path[o->n_path++][2] = (double)ts / 1000;
}

/* One object of a frame: "new" when first seen, "update" once it has moved
 * 5% of the frame diagonal since its last recorded point, a plate (lpr) and
 * a helmet classification once each. Still objects send nothing. */
static void fr_object(struct conv *c, int64_t rx, int cam, int64_t ts, const struct oc_obj *ob)
{
    int w = c->cfg ? c->cfg->cameras[cam].width : 1920,
        h = c->cfg ? c->cfg->cameras[cam].height : 1080;
    double step = 0.05 * hypot(w, h) / (w > h ? w : h);
    double bx = round((ob->x + ob->w / 2) / w * 1e4) / 1e4,
           by = round((ob->y + ob->h) / h * 1e4) / 1e4;
    struct fr_obj *o = NULL;
    for (size_t i = 0; i < c->n_fr && !o; i++)
        if (c->fr[i].cam == cam && strcmp(c->fr[i].id, ob->id) == 0)
            o = &c->fr[i];
    bool fresh = !o;
    if (fresh) {
        if (c->n_fr == FR_MAX_OBJS) {
            c->fr_refused++;
            return;
        }
        o = &c->fr[c->n_fr++];
        memset(o, 0, sizeof *o);
        o->cam = cam;
        o->helmet = -1;
        snprintf(o->id, sizeof o->id, "%s", ob->id);
        snprintf(o->fid, sizeof o->fid, "%.6f-%s", (double)ts / 1000, ob->id);
        snprintf(o->label, sizeof o->label, "%s", ob->cls);
        o->first = ts;
        if (ob->plate)
            snprintf(o->plate, sizeof o->plate, "%s", ob->plate);
        fr_path_add(o, bx, by, ts);
    }
    o->last = ts;
    o->box[0] = ob->x, o->box[1] = ob->y, o->box[2] = ob->x + ob->w, o->box[3] = ob->y + ob->h;
    if (fresh) {
        fr_event(c, rx, "new", o);
    } else {
        const double *lp = o->path[o->n_path - 1];
        if (hypot(bx - lp[0], by - lp[1]) >= step) {
            fr_path_add(o, bx, by, ts);
            fr_event(c, rx, "update", o);
        }
    }
    if (ob->plate && strcmp(o->plate, ob->plate) != 0) {
        snprintf(o->plate, sizeof o->plate, "%s", ob->plate);
        fr_update(c, rx, o, ts, "lpr", "plate", o->plate);
    }
    if (ob->helmet != OC_HELMET_UNKNOWN && o->helmet < 0) {
        o->helmet = ob->helmet == OC_HELMET_YES;
        fr_update(c, rx, o, ts, "classification", "attribute", o->helmet ? "yes" : "no");
    }
}

static void frigate(struct conv *c, int64_t rx, int cam, const struct oc_detections *d)
{
    for (size_t i = 0; i < d->n_objs; i++)
        fr_object(c, rx, cam, d->ts, &d->objs[i]);
    for (size_t i = 0; i < c->n_fr;)
        if (c->fr[i].cam == cam && d->ts - c->fr[i].last > FR_GONE_MS)
            fr_end(c, rx, i);
        else
            i++;
}

/* Converts one log line; false: copy it unchanged. */
static bool convert_line(struct conv *c, const char *ln, size_t n)
{
    cJSON *root = NULL;
    if (oc_json_parse(ln, n, SIZE_MAX, OC_JSON_MAX_DEPTH + 1, &root, NULL) != OC_JSON_OK)
        return false;
    bool done = false;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "ts");
    const cJSON *topic = cJSON_GetObjectItemCaseSensitive(root, "topic");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "payload");
    if (cJSON_IsNumber(ts))
        c->last_rx = (int64_t)ts->valuedouble;
    const char *pre = c->cfg ? c->cfg->topic_prefix : "ordercam/";
    size_t plen = strlen(pre);
    if (cJSON_IsNumber(ts) && cJSON_IsString(topic) && cJSON_IsObject(p) &&
        strncmp(topic->valuestring, pre, plen) == 0 &&
        strncmp(topic->valuestring + plen, "cameras/", 8) == 0) {
        const char *camid = topic->valuestring + plen + 8, *slash = strchr(camid, '/');
        int cam = -1;
        if (slash && strcmp(slash, "/detections") == 0)
            cam = c->cfg ? oc_config_camera(c->cfg, camid, (size_t)(slash - camid)) : 0;
        struct oc_detections d;
        enum oc_counter why;
        unsigned dropped;
        char id[OC_ID_MAX + 1];
        if (cam >= 0 && (size_t)(slash - camid) <= OC_ID_MAX &&
            oc_event_detections(&c->dec, p, &d, &why, &dropped) && dropped == 0 && !d.jpeg_b64) {
            memcpy(id, camid, (size_t)(slash - camid));
            id[slash - camid] = '\0';
            const char *src = c->cfg ? c->cfg->cameras[cam].source : id;
            int64_t rx = (int64_t)ts->valuedouble;
            if (d.n_objs == 0 && c->fmt == OC_FORMAT_FRIGATE) {
                /* Frigate sends nothing for an empty frame either */
                frigate(c, rx, cam, &d);
                fprintf(c->out, "{\"ts\":%lld,\"tick\":{\"camera\":\"%s\",\"ts\":%lld}}\n",
                        (long long)rx, id, (long long)d.ts);
            } else if (d.n_objs == 0 && c->fmt != OC_FORMAT_ONVIF) {
                /* DeepStream sends nothing for an empty frame; ordercamd
                 * moves a silent camera's clock with a tick line */
                fprintf(c->out, "{\"ts\":%lld,\"tick\":{\"camera\":\"%s\",\"ts\":%lld}}\n",
                        (long long)rx, id, (long long)d.ts);
            } else if (c->fmt == OC_FORMAT_DEEPSTREAM) {
                ds_full(c, rx, src, &d);
            } else if (c->fmt == OC_FORMAT_DEEPSTREAM_MINIMAL) {
                ds_minimal(c, rx, src, &d);
            } else if (c->fmt == OC_FORMAT_FRIGATE) {
                frigate(c, rx, cam, &d);
            } else {
                onvif(c, rx, cam, id, &d);
            }
            done = true;
        }
    }
    cJSON_Delete(root);
    return done;
}

int gen_convert(const char *in, FILE *out, enum oc_format fmt, const struct oc_config *cfg,
                FILE *ids)
{
    gzFile gz = gzopen(in, "rb");
    if (!gz)
        return -1;
    struct conv *c = calloc(1, sizeof *c);
    size_t cap = 1 << 20, n;
    char *ln = malloc(cap);
    if (!c || !ln || !(c->idmap = calloc(MAX_IDS, sizeof *c->idmap)) ||
        !(c->fr = calloc(FR_MAX_OBJS, sizeof *c->fr))) {
        gzclose(gz);
        free(ln);
        if (c)
            free(c->idmap), free(c->fr);
        free(c);
        return -1;
    }
    c->fmt = fmt;
    c->cfg = cfg;
    c->out = out;
    c->ids = ids;
    for (;;) {
        n = 0;
        while (gzgets(gz, ln + n, (int)(cap - n))) {
            n += strlen(ln + n);
            if (n && ln[n - 1] == '\n')
                break;
            if (cap - n < 2) {
                char *b = realloc(ln, cap * 2);
                if (!b)
                    break;
                ln = b;
                cap *= 2;
            }
        }
        if (n == 0)
            break;
        size_t len = ln[n - 1] == '\n' ? n - 1 : n;
        if (!convert_line(c, ln, len)) {
            fwrite(ln, 1, len, out);
            fputc('\n', out);
        }
    }
    while (c->n_fr) /* Frigate ends what it still tracks */
        fr_end(c, c->last_rx, c->n_fr - 1);
    if (c->fr_refused)
        fprintf(stderr, "ordercam-gen: %llu Frigate objects beyond %d at once not rendered\n",
                (unsigned long long)c->fr_refused, FR_MAX_OBJS);
    gzclose(gz);
    free(ln);
    free(c->idmap);
    free(c->fr);
    free(c->buf);
    free(c);
    return ferror(out) ? -1 : 0;
}
