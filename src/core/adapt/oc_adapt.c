/* The dispatcher: routes a message to the format module of the camera(s)
 * whose topic filters match, and counts what the modules drop. */
#include "oc_adapt_int.h"
#include "oc_adapt_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ordercam/oc_class.h"

static const struct oc_adapt_format *const modules[OC_FORMAT__COUNT] = {
    [OC_FORMAT_ORDERCAM] = NULL, /* passthrough to the sink's native callback */
    [OC_FORMAT_DEEPSTREAM] = &oc_adapt_fmt_deepstream,
    [OC_FORMAT_DEEPSTREAM_MINIMAL] = &oc_adapt_fmt_deepstream_minimal,
    [OC_FORMAT_FRIGATE] = &oc_adapt_fmt_frigate,
    [OC_FORMAT_ONVIF] = &oc_adapt_fmt_onvif,
};

static const char *const names[OC_FORMAT__COUNT] = {"ordercam", "deepstream", "deepstream-minimal",
                                                    "frigate", "onvif"};

static const char *const no_topics[] = {NULL};
static const char *const ds_topics[] = {"deepstream/#", NULL};
static const char *const frigate_topics[] = {"frigate/events", "frigate/tracked_object_update",
                                             "frigate/{source}/+/snapshot", "frigate/available",
                                             NULL};
static const char *const onvif_topics[] = {"onvif/{source}", NULL};

/* route()'s answers for recent topics (the config never changes under an
 * adapter, so a topic always routes alike): direct-mapped by a hash of the
 * topic, for topics of at most ROUTE_TOPIC bytes matching at most
 * ROUTE_CAMS cameras; anything else is routed afresh every time. */
#define ROUTE_SLOTS 64
#define ROUTE_TOPIC 96
#define ROUTE_CAMS 32

struct route_slot {
    uint16_t len1; /* the topic's length + 1; 0: empty */
    int8_t fmt;
    uint8_t n;
    int cams[ROUTE_CAMS];
    char topic[ROUTE_TOPIC];
};

struct oc_adapt {
    const struct oc_config *cfg;
    const struct oc_adapt_sink *sink;
    void *ud;
    void *st[OC_FORMAT__COUNT];
    bool uses[OC_FORMAT__COUNT];
    uint64_t drops[OC_FORMAT__COUNT][OC_C__COUNT];
    uint64_t accepted[OC_FORMAT__COUNT];
    const char **filters;
    size_t n_filters;
    int *cams; /* scratch: matching cameras of one message */
    size_t plen;
    struct oc_ajson *fast;     /* the JSON formats' reader (NULL: none in use) */
    struct route_slot *routes; /* NULL: every camera is native */
};

const char *oc_format_name(enum oc_format f)
{
    return (unsigned)f < OC_FORMAT__COUNT ? names[f] : "?";
}

int oc_format_lookup(const char *s, size_t len)
{
    for (int f = 0; f < OC_FORMAT__COUNT; f++)
        if (strlen(names[f]) == len && memcmp(names[f], s, len) == 0)
            return f;
    return -1;
}

const char *const *oc_format_default_topics(enum oc_format f)
{
    switch (f) {
    case OC_FORMAT_DEEPSTREAM:
    case OC_FORMAT_DEEPSTREAM_MINIMAL: return ds_topics;
    case OC_FORMAT_FRIGATE: return frigate_topics;
    case OC_FORMAT_ONVIF: return onvif_topics;
    default: return no_topics;
    }
}

bool oc_adapt_topic_match(const char *filter, const char *topic, size_t len)
{
    const char *t = topic, *end = topic + len;
    const char *f = filter;
    for (;;) {
        if (*f == '#' && f[1] == '\0')
            return true; /* also matches the parent level ("a/#" matches "a") */
        const char *fslash = strchr(f, '/');
        size_t flen = fslash ? (size_t)(fslash - f) : strlen(f);
        const char *tslash = memchr(t, '/', (size_t)(end - t));
        size_t tlen = tslash ? (size_t)(tslash - t) : (size_t)(end - t);
        if (!(flen == 1 && *f == '+') && (flen != tlen || memcmp(f, t, tlen) != 0))
            return false;
        if (!fslash)
            return !tslash;
        f = fslash + 1;
        if (!tslash)
            return strcmp(f, "#") == 0;
        t = tslash + 1;
    }
}

static bool add_filter(struct oc_adapt *a, const char *flt)
{
    for (size_t i = 0; i < a->n_filters; i++)
        if (strcmp(a->filters[i], flt) == 0)
            return true;
    const char **n = realloc(a->filters, (a->n_filters + 1) * sizeof *n);
    if (!n)
        return false;
    a->filters = n;
    a->filters[a->n_filters++] = flt;
    return true;
}

struct oc_adapt *oc_adapt_new(const struct oc_config *cfg, const struct oc_adapt_sink *sink,
                              void *ud)
{
    struct oc_adapt *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cfg = cfg;
    a->sink = sink;
    a->ud = ud;
    a->plen = strlen(cfg->topic_prefix);
    a->cams = calloc(cfg->n_cameras + 1, sizeof *a->cams);
    a->uses[OC_FORMAT_ORDERCAM] = true;
    bool ok = a->cams != NULL;
    for (size_t c = 0; ok && c < cfg->n_cameras && !a->routes; c++)
        if (cfg->cameras[c].format != OC_FORMAT_ORDERCAM)
            ok = (a->routes = calloc(ROUTE_SLOTS, sizeof *a->routes)) != NULL;
    for (size_t c = 0; ok && c < cfg->n_cameras; c++) {
        const struct oc_camera_cfg *cam = &cfg->cameras[c];
        a->uses[cam->format] = true;
        for (size_t i = 0; ok && cam->format != OC_FORMAT_ORDERCAM && i < cam->n_topics; i++)
            ok = add_filter(a, cam->topics[i]);
    }
    for (int f = 0; ok && f < OC_FORMAT__COUNT; f++)
        if (a->uses[f] && modules[f]) {
            a->st[f] = modules[f]->create(cfg);
            ok = a->st[f] != NULL;
            if (ok && modules[f]->json && !a->fast)
                ok = (a->fast = malloc(sizeof *a->fast)) != NULL;
        }
    if (!ok) {
        oc_adapt_free(a);
        return NULL;
    }
    return a;
}

void oc_adapt_free(struct oc_adapt *a)
{
    if (!a)
        return;
    for (int f = 0; f < OC_FORMAT__COUNT; f++)
        if (a->st[f])
            modules[f]->destroy(a->st[f]);
    free(a->filters);
    free(a->cams);
    free(a->fast);
    free(a->routes);
    free(a);
}

bool oc_adapt_uses(const struct oc_adapt *a, enum oc_format f)
{
    return (unsigned)f < OC_FORMAT__COUNT && a->uses[f];
}

const char *const *oc_adapt_filters(const struct oc_adapt *a, size_t *n)
{
    *n = a->n_filters;
    return a->filters;
}

uint64_t oc_adapt_counter(const struct oc_adapt *a, enum oc_format f, enum oc_counter c)
{
    return (unsigned)f < OC_FORMAT__COUNT && (unsigned)c < OC_C__COUNT ? a->drops[f][c] : 0;
}

uint64_t oc_adapt_accepted(const struct oc_adapt *a, enum oc_format f)
{
    return (unsigned)f < OC_FORMAT__COUNT ? a->accepted[f] : 0;
}

void oc_adapt__detections(const struct oc_adapt_io *io, int camera, const struct oc_detections *d)
{
    io->a->accepted[io->format]++;
    io->a->sink->detections(io->a->ud, camera, d);
}

void oc_adapt__frame(const struct oc_adapt_io *io, int camera, int64_t ts, const void *jpeg,
                     size_t len)
{
    io->a->accepted[io->format]++;
    if (io->a->sink->frame)
        io->a->sink->frame(io->a->ud, camera, ts, jpeg, len);
}

void oc_adapt__end(const struct oc_adapt_io *io, int camera, const char *id, int64_t ts)
{
    if (io->a->sink->end)
        io->a->sink->end(io->a->ud, camera, id, ts);
}

void oc_adapt__drops(const struct oc_adapt_io *io, int camera, enum oc_counter why, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        io->a->drops[io->format][why]++;
        io->a->sink->drop(io->a->ud, camera, io->format, why);
    }
}

void oc_adapt__drop(const struct oc_adapt_io *io, int camera, enum oc_counter why)
{
    oc_adapt__drops(io, camera, why, 1);
}

int oc_adapt__pick(const struct oc_adapt_io *io, const struct oc_adapt_in *in, const char *name,
                   size_t len)
{
    for (size_t i = 0; i < in->n_cams; i++) {
        const char *src = io->a->cfg->cameras[in->cams[i]].source;
        if (strlen(src) == len && memcmp(src, name, len) == 0)
            return in->cams[i];
    }
    oc_adapt__drop(io, -1, OC_C_DROP_UNKNOWN_CAMERA);
    return -1;
}

const char *oc_adapt__class(const struct oc_adapt_io *io, const char *const (*tab)[2],
                            const char *name)
{
    const struct oc_config *cfg = io->a->cfg;
    for (size_t i = 0; i < cfg->n_aliases; i++)
        if (strcmp(cfg->aliases[i].from, name) == 0)
            return name;
    if (oc_class_lookup(name) >= 0)
        return name;
    for (size_t i = 0; tab && tab[i][0]; i++)
        if (strcasecmp(tab[i][0], name) == 0)
            return tab[i][1];
    return NULL;
}

/* Collects the cameras whose filters match topic; all of the first
 * matching camera's format. Returns that format, or -1. */
static int route_scan(struct oc_adapt *a, const char *topic, size_t len, size_t *n)
{
    int fmt = -1;
    *n = 0;
    for (size_t c = 0; c < a->cfg->n_cameras; c++) {
        const struct oc_camera_cfg *cam = &a->cfg->cameras[c];
        if (cam->format == OC_FORMAT_ORDERCAM || (fmt >= 0 && (int)cam->format != fmt))
            continue;
        for (size_t i = 0; i < cam->n_topics; i++)
            if (oc_adapt_topic_match(cam->topics[i], topic, len)) {
                fmt = (int)cam->format;
                a->cams[(*n)++] = (int)c;
                break;
            }
    }
    return fmt;
}

/* route_scan, remembered per topic. */
static int route(struct oc_adapt *a, const char *topic, size_t len, size_t *n)
{
    if (!a->routes || len > ROUTE_TOPIC)
        return route_scan(a, topic, len, n);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)topic[i]) * 16777619u;
    struct route_slot *r = &a->routes[h % ROUTE_SLOTS];
    if (r->len1 == len + 1 && memcmp(r->topic, topic, len) == 0) {
        memcpy(a->cams, r->cams, r->n * sizeof *r->cams);
        *n = r->n;
        return r->fmt;
    }
    int fmt = route_scan(a, topic, len, n);
    if (*n <= ROUTE_CAMS) {
        r->len1 = (uint16_t)(len + 1);
        r->fmt = (int8_t)fmt;
        r->n = (uint8_t)*n;
        memcpy(r->cams, a->cams, *n * sizeof *r->cams);
        memcpy(r->topic, topic, len);
    }
    return fmt;
}

static bool is_native(const struct oc_adapt *a, const char *topic, size_t len)
{
    return len >= a->plen && memcmp(topic, a->cfg->topic_prefix, a->plen) == 0;
}

static int feed(struct oc_adapt *a, const char *topic, size_t topic_len, const void *payload,
                size_t len, const cJSON *json, int64_t rx_ms)
{
    size_t n;
    int fmt = route(a, topic, topic_len, &n);
    if (fmt < 0) {
        if (is_native(a, topic, topic_len)) {
            a->sink->native(a->ud, topic, topic_len, payload, len, json);
            return -2;
        }
        a->drops[OC_FORMAT_ORDERCAM][OC_C_DROP_BAD_TOPIC]++;
        a->sink->drop(a->ud, -1, OC_FORMAT_ORDERCAM, OC_C_DROP_BAD_TOPIC);
        return -1;
    }
    const struct oc_adapt_format *m = modules[fmt];
    struct oc_adapt_io io = {.a = a, .format = (enum oc_format)fmt};
    int one = n == 1 ? a->cams[0] : -1;
    struct oc_adapt_in in = {.topic = topic,
                             .topic_len = topic_len,
                             .payload = payload,
                             .len = len,
                             .cams = a->cams,
                             .n_cams = n,
                             .rx_ms = rx_ms};
    if (!m) {
        oc_adapt__drop(&io, one, OC_C_DROP_BAD_TOPIC);
        return one;
    }
    cJSON *root = NULL;
    if (m->json && (!m->json_topic || m->json_topic(topic, topic_len))) {
        if (json && !cJSON_IsObject(json)) {
            oc_adapt__drop(&io, one, OC_C_DROP_NOT_OBJECT);
            return one;
        }
        if (!json) {
            enum oc_counter why;
            if (len > OC_ADAPT_MAX_BYTES) {
                oc_adapt__drop(&io, one, OC_C_DROP_TOO_LARGE);
                return one;
            }
            /* the common payload without a tree of allocations; the rest
             * (and every bad one) as the engine parses its own */
            json = oc_ajson_event(a->fast, payload, len, &root, &why);
            if (!json) {
                oc_adapt__drop(&io, one, why);
                return one;
            }
        }
        in.json = json;
    } else if (json) {
        if (!cJSON_IsString(json)) {
            oc_adapt__drop(&io, one, OC_C_DROP_WRONG_TYPE);
            return one;
        }
        in.payload = json->valuestring;
        in.len = strlen(json->valuestring);
    }
    int cam = m->feed(a->st[fmt], &io, &in);
    cJSON_Delete(root);
    return cam;
}

int oc_adapt_feed(struct oc_adapt *a, const char *topic, size_t topic_len, const void *payload,
                  size_t len, int64_t rx_ms)
{
    return feed(a, topic, topic_len, payload, len, NULL, rx_ms);
}

int oc_adapt_feed_json(struct oc_adapt *a, const char *topic, size_t topic_len, const cJSON *json,
                       int64_t rx_ms)
{
    return feed(a, topic, topic_len, NULL, 0, json, rx_ms);
}

void oc_adapt_tick(struct oc_adapt *a, int64_t rx_ms)
{
    for (int f = 0; f < OC_FORMAT__COUNT; f++)
        if (a->st[f] && modules[f]->tick) {
            struct oc_adapt_io io = {.a = a, .format = (enum oc_format)f};
            modules[f]->tick(a->st[f], &io, rx_ms);
        }
}

size_t oc_adapt_lint(const struct oc_config *cfg, void (*warn)(void *ud, const char *msg), void *ud)
{
    size_t n = 0;
    for (size_t c = 0; c < cfg->n_cameras; c++) {
        const struct oc_camera_cfg *cam = &cfg->cameras[c];
        for (size_t l = 0; cam->format == OC_FORMAT_FRIGATE && l < cam->n_lines; l++) {
            if (cam->lines[l].kind != OC_LINE_STOP)
                continue;
            char msg[512];
            snprintf(msg, sizeof msg,
                     "camera %s (format frigate): stop line %s: red_light, nonmotor_red_light, "
                     "pedestrian_red_light and stop_line_crossing need frame-rate input; "
                     "Frigate publishes on change, so these records are not sound "
                     "(docs/inputs.md)",
                     cam->id, cam->lines[l].id);
            warn(ud, msg);
            n++;
        }
    }
    return n;
}

void oc_adapt_known(struct oc_adapt *a, int camera, const char *id, const char *cls,
                    const double box[4], int64_t last_ts)
{
    if (camera < 0 || (size_t)camera >= a->cfg->n_cameras)
        return;
    int f = a->cfg->cameras[camera].format;
    if (a->st[f] && modules[f]->known)
        modules[f]->known(a->st[f], camera, id, cls, box, last_ts);
}

bool oc_adapt_idle(const struct oc_adapt *a)
{
    for (int f = 0; f < OC_FORMAT__COUNT; f++)
        if (a->st[f] && modules[f]->idle && !modules[f]->idle(a->st[f]))
            return false;
    return true;
}

void oc_adapt_flush(struct oc_adapt *a)
{
    for (int f = 0; f < OC_FORMAT__COUNT; f++)
        if (a->st[f] && modules[f]->flush) {
            struct oc_adapt_io io = {.a = a, .format = (enum oc_format)f};
            modules[f]->flush(a->st[f], &io);
        }
}

bool oc_adapt__decimal(const char *s, size_t n, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = 0;
    bool neg = n > 0 && s[0] == '-';
    if (n > 0 && (s[0] == '-' || s[0] == '+'))
        i++;
    uint64_t m = 0;
    int digits = 0, frac = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        m = m * 10 + (uint64_t)(s[i] - '0');
    if (digits == 0 || digits > 15)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9' && digits <= 15; i++, digits++, frac++)
            m = m * 10 + (uint64_t)(s[i] - '0');
        if (frac == 0 || digits > 15)
            return false;
    }
    if (i != n)
        return false;
    double d = frac ? (double)m / pow10[frac] : (double)m;
    *out = neg ? -d : d;
    return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool oc_adapt_parse_iso8601(const char *s, size_t len, int64_t *ms)
{
    int y, mo, d, h, mi, se, frac = 0;
    if (len < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return false;
    size_t i = 19;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (i - start < 3)
                frac = frac * 10 + (s[i] - '0');
            i++;
        }
        if (i == start || i - start > 9)
            return false;
        for (size_t k = i - start; k < 3; k++)
            frac *= 10;
    }
    int64_t off_min = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (len - i != 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        off_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
        i += 6;
    } /* no zone: UTC (ONVIF's UtcTime examples omit it) */
    if (i != len)
        return false;
    if (se == 60)
        se = 59; /* a leap second is the last ms of its minute's 59th second */
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off_min * 60;
    t = t * 1000 + frac;
    if (t < OC_TS_MIN || t > OC_TS_MAX)
        return false;
    *ms = t;
    return true;
}
