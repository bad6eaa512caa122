/* Config loading: one pass over the cJSON tree with a JSON-path stack for
 * messages. Every key is checked against the table of its object, so a
 * typo is refused rather than silently defaulted. */
#include "ordercam/oc_config.h"
#include "ordercam/oc_adapt.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_cfgread.h"
#include "ordercam/oc_record.h"

struct ctx {
    struct oc_cfgread r;
    struct oc_config *cfg;
    const cJSON *defaults;
};

/* Short names for the shared reader (oc_cfgread.h) over this file's ctx. */
__attribute__((format(printf, 2, 3))) static bool fail(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oc_cfgread_vfail(&c->r, fmt, ap);
    va_end(ap);
    return false;
}

static size_t push_key(struct ctx *c, const char *key)
{
    return oc_cfgread_push_key(&c->r, key);
}

static size_t push_idx(struct ctx *c, size_t i)
{
    return oc_cfgread_push_idx(&c->r, i);
}

static void pop(struct ctx *c, size_t old)
{
    oc_cfgread_pop(&c->r, old);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static bool check_keys(struct ctx *c, const cJSON *obj, const char *const *allowed)
{
    return oc_cfgread_keys(&c->r, obj, allowed);
}

static bool want_object(struct ctx *c, const cJSON *obj, const char *key, const cJSON **out)
{
    return oc_cfgread_object(&c->r, obj, key, out);
}

static bool get_str(struct ctx *c, const cJSON *obj, const char *key, bool required, char **out)
{
    return oc_cfgread_str(&c->r, obj, key, required, out);
}

static bool get_num(struct ctx *c, const cJSON *obj, const char *key, double lo, double hi,
                    bool integer, double *out)
{
    return oc_cfgread_num(&c->r, obj, key, lo, hi, integer, out);
}

static bool get_int(struct ctx *c, const cJSON *obj, const char *key, double lo, double hi,
                    int *out)
{
    return oc_cfgread_int(&c->r, obj, key, lo, hi, out);
}

static bool get_point(struct ctx *c, const cJSON *v, struct oc_pt *out)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
        return fail(c, "must be a point [x, y]");
    const cJSON *x = cJSON_GetArrayItem(v, 0), *y = cJSON_GetArrayItem(v, 1);
    if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y) || !isfinite(x->valuedouble) ||
        !isfinite(y->valuedouble) || fabs(x->valuedouble) > 1e6 || fabs(y->valuedouble) > 1e6)
        return fail(c, "must be a point of two finite numbers");
    out->x = x->valuedouble;
    out->y = y->valuedouble;
    return true;
}

/* Reads an array of points under key into a new array (caller frees). */
static bool get_points(struct ctx *c, const cJSON *obj, const char *key, size_t min, size_t max,
                       struct oc_pt **out, size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    *n = 0;
    if (!arr)
        return fail(c, "missing required key \"%s\"", key);
    size_t old = push_key(c, key);
    if (!cJSON_IsArray(arr)) {
        fail(c, "must be an array of points");
        pop(c, old);
        return false;
    }
    size_t cnt = (size_t)cJSON_GetArraySize(arr);
    if (cnt < min || cnt > max) {
        if (min == max)
            fail(c, "must have exactly %zu points, has %zu", min, cnt);
        else
            fail(c, "must have %zu to %zu points, has %zu", min, max, cnt);
        pop(c, old);
        return false;
    }
    struct oc_pt *pts = calloc(cnt, sizeof *pts);
    if (!pts) {
        pop(c, old);
        return fail(c, "out of memory");
    }
    size_t i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        size_t o2 = push_idx(c, i);
        if (!get_point(c, it, &pts[i])) {
            free(pts);
            return false; /* path kept for the message */
        }
        pop(c, o2);
    }
    pop(c, old);
    *out = pts;
    *n = cnt;
    return true;
}

static bool get_direction(struct ctx *c, const cJSON *obj, bool required, struct oc_pt *dir)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "direction");
    if (!v) {
        if (required)
            return fail(c, "missing required key \"direction\"");
        return true;
    }
    size_t old = push_key(c, "direction");
    if (!get_point(c, v, dir))
        return false;
    double len = hypot(dir->x, dir->y);
    if (len == 0.0)
        return fail(c, "must not be the zero vector");
    dir->x /= len;
    dir->y /= len;
    pop(c, old);
    return true;
}

static bool parse_classes(struct ctx *c, const cJSON *v, oc_classmask_t *out)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return fail(c, "must be a non-empty array of class or group names");
    oc_classmask_t m = 0;
    size_t i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        size_t old = push_idx(c, i);
        if (!cJSON_IsString(it))
            return fail(c, "must be a string");
        const char *name = oc_config_alias(c->cfg, it->valuestring);
        oc_classmask_t g = oc_class_group_mask(name);
        int id = oc_class_lookup(name);
        if (g)
            m |= g;
        else if (id >= 0)
            m |= (oc_classmask_t)1 << id;
        else
            return fail(c, "unknown class or group \"%s\"", it->valuestring);
        pop(c, old);
    }
    *out = m;
    return true;
}

/* ---- rule parameters: zone/line, else defaults.<type>, else built-in ---- */

enum param {
    P_DWELL,
    P_STILL,
    P_STILL_FRAC,
    P_REACQUIRE,
    P_VACATE,
    P_GRACE,
    P_EXIT,
    P_TRAVEL,
    P_FRAMES,
    P_OVERLAP,
    P_CONFIRM,
    P_YIELD,
    P__COUNT
};

static const struct {
    const char *key;
    double lo, hi;
    bool integer;
} params[P__COUNT] = {
    // clang-format off
    [P_DWELL] = {"dwell_s", 0.001, 1e7, false},
    [P_STILL] = {"still_px", 0.001, 1e5, false},
    [P_STILL_FRAC] = {"still_frac", 0, 5, false},
    [P_REACQUIRE] = {"reacquire_s", 0, 86400, false},
    [P_VACATE] = {"vacate_s", 0, 86400, false},
    [P_GRACE] = {"grace_s", 0, 60, false},
    [P_EXIT] = {"exit_s", 0.001, 3600, false},
    [P_TRAVEL] = {"min_travel_px", 0.001, 1e5, false},
    [P_FRAMES] = {"min_frames", 1, 1e6, true},
    [P_OVERLAP] = {"min_overlap_px", 0, 1e5, false},
    [P_CONFIRM] = {"confirm_s", 0, 60, false},
    [P_YIELD] = {"yield_px", 0, 1e5, false},
    // clang-format on
};

static const char *const param_keys[] = {
    "dwell_s",       "still_px",   "still_frac",     "reacquire_s", "vacate_s", "grace_s", "exit_s",
    "min_travel_px", "min_frames", "min_overlap_px", "confirm_s",   "yield_px", "classes", NULL};

/* Resolves parameter p for violation type vt from obj, else defaults. */
static bool param(struct ctx *c, const cJSON *obj, int vt, enum param p, double def, double *out)
{
    *out = def;
    const cJSON *d = c->defaults
                         ? cJSON_GetObjectItemCaseSensitive(c->defaults, oc_vtype_builtin_name(vt))
                         : NULL;
    if (d) {
        size_t o1 = push_key(c, "defaults");
        push_key(c, oc_vtype_builtin_name(vt));
        if (!get_num(c, d, params[p].key, params[p].lo, params[p].hi, params[p].integer, out))
            return false;
        pop(c, o1);
    }
    return get_num(c, obj, params[p].key, params[p].lo, params[p].hi, params[p].integer, out);
}

static bool param_ms(struct ctx *c, const cJSON *obj, int vt, enum param p, double def,
                     int64_t *out)
{
    double s;
    if (!param(c, obj, vt, p, def, &s))
        return false;
    *out = (int64_t)llround(s * 1000.0);
    return true;
}

static bool param_classes(struct ctx *c, const cJSON *obj, int vt, oc_classmask_t def,
                          oc_classmask_t *out)
{
    *out = def;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "classes");
    if (v) {
        size_t old = push_key(c, "classes");
        if (!parse_classes(c, v, out))
            return false;
        pop(c, old);
        return true;
    }
    const cJSON *d = c->defaults
                         ? cJSON_GetObjectItemCaseSensitive(c->defaults, oc_vtype_builtin_name(vt))
                         : NULL;
    v = d ? cJSON_GetObjectItemCaseSensitive(d, "classes") : NULL;
    if (v) {
        size_t o1 = push_key(c, "defaults");
        push_key(c, oc_vtype_builtin_name(vt));
        push_key(c, "classes");
        if (!parse_classes(c, v, out))
            return false;
        pop(c, o1);
    }
    return true;
}

static oc_classmask_t mask_of(const char *const *names)
{
    oc_classmask_t m = 0;
    for (; *names; names++) {
        oc_classmask_t g = oc_class_group_mask(*names);
        m |= g ? g : (oc_classmask_t)1 << oc_class_lookup(*names);
    }
    return m;
}

static const char *const zone_kind_names[OC_ZONE__COUNT] = {
    "no_parking", "tactile_paving",     "crosswalk",    "carriageway", "lane",
    "no_vending", "helmet_enforcement", "waiting_area", "guide_lane"};

static bool parse_zone(struct ctx *c, const cJSON *z, struct oc_zone_cfg *zone)
{
    static const char *const keys[] = {
        "id",         "kind",        "polygon",      "direction",     "dwell_s",    "still_px",
        "still_frac", "reacquire_s", "vacate_s",     "min_travel_px", "min_frames", "classes",
        "stop_line",  "front_line",  "entry_signal", "movement",      "movements",  NULL};
    if (!cJSON_IsObject(z))
        return fail(c, "must be an object");
    if (!check_keys(c, z, keys))
        return false;
    char *kind = NULL;
    if (!get_str(c, z, "id", true, &zone->id) || !get_str(c, z, "kind", true, &kind))
        return false;
    int k = -1;
    for (int i = 0; i < OC_ZONE__COUNT; i++)
        if (strcmp(zone_kind_names[i], kind) == 0)
            k = i;
    if (k < 0) {
        size_t old = push_key(c, "kind");
        fail(c, "unknown zone kind \"%s\"", kind);
        pop(c, old);
        free(kind);
        return false;
    }
    free(kind);
    zone->kind = (enum oc_zone_kind)k;
    if (!get_points(c, z, "polygon", 3, 1024, &zone->pts, &zone->n_pts))
        return false;
    oc_geom_poly_init(&zone->poly, zone->pts, zone->n_pts);
    if (!get_direction(c, z, zone->kind == OC_ZONE_LANE, &zone->dir))
        return false;

    static const char *const parking[] = {"car", "bus", "truck", "van", NULL};
    static const char *const vehicles[] = {"motor", "nonmotor", NULL};
    static const char *const vendor[] = {"vendor", NULL};
    static const char *const walkers[] = {"pedestrian", NULL};
    static const char *const motor[] = {"motor", NULL};
    const char *const *defcls = NULL;
    double dwell = 0, travel = 0;
    switch (zone->kind) {
    case OC_ZONE_NO_PARKING:
        zone->vtype = OC_V_ILLEGAL_PARKING;
        defcls = parking;
        dwell = 180;
        break;
    case OC_ZONE_TACTILE_PAVING:
        zone->vtype = OC_V_TACTILE_PAVING;
        defcls = vehicles;
        dwell = 30;
        break;
    case OC_ZONE_NO_VENDING:
        zone->vtype = OC_V_STREET_VENDING;
        defcls = vendor;
        dwell = 300;
        break;
    case OC_ZONE_CARRIAGEWAY:
        zone->vtype = OC_V_JAYWALKING;
        defcls = walkers;
        travel = 100;
        break;
    case OC_ZONE_LANE:
        zone->vtype = OC_V_WRONG_WAY;
        defcls = vehicles;
        travel = 80;
        break;
    case OC_ZONE_HELMET_ENFORCEMENT: zone->vtype = OC_V_NO_HELMET; break;
    case OC_ZONE_GUIDE_LANE:
        zone->vtype = OC_V_WRONG_LANE_MOVEMENT;
        defcls = motor;
        break;
    default: zone->vtype = -1; break;
    }
    zone->stop_line = zone->front_line = zone->entry_signal = -1;
    if (zone->vtype < 0)
        return true;
    int vt = zone->vtype;
    double frames = 3;
    if (!param_ms(c, z, vt, P_DWELL, dwell ? dwell : 1, &zone->dwell_ms) ||
        !param_ms(c, z, vt, P_REACQUIRE, 30, &zone->reacquire_ms) ||
        !param_ms(c, z, vt, P_VACATE, 8, &zone->vacate_ms) ||
        !param(c, z, vt, P_STILL, 15, &zone->still_px) ||
        !param(c, z, vt, P_STILL_FRAC, 0.45, &zone->still_frac) ||
        !param(c, z, vt, P_TRAVEL, travel ? travel : 1, &zone->min_travel_px) ||
        !param(c, z, vt, P_FRAMES, 3, &frames))
        return false;
    zone->min_frames = (int)frames;
    return param_classes(c, z, vt, defcls ? mask_of(defcls) : 0, &zone->classes);
}

static int find_line(const struct oc_camera_cfg *cam, size_t upto, const char *id)
{
    for (size_t i = 0; i < upto; i++)
        if (strcmp(cam->lines[i].id, id) == 0)
            return (int)i;
    return -1;
}

static int find_zone(const struct oc_camera_cfg *cam, const char *id)
{
    for (size_t i = 0; i < cam->n_zones; i++)
        if (strcmp(cam->zones[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* Keys that only some kinds take: refused elsewhere rather than ignored. */
static bool only_for(struct ctx *c, const cJSON *obj, const char *const *keys, bool allowed,
                     const char *what)
{
    for (; *keys; keys++)
        if (!allowed && cJSON_GetObjectItemCaseSensitive(obj, *keys)) {
            size_t old = push_key(c, *keys);
            fail(c, "only a %s takes this key", what);
            pop(c, old);
            return false;
        }
    return true;
}

static bool line_kind_keys(struct ctx *c, const cJSON *l, enum oc_line_kind k)
{
    static const char *const stop[] = {"movements", "free_right_on_red", NULL};
    static const char *const solid[] = {"min_overlap_px", "confirm_s", NULL};
    static const char *const yield[] = {"crosswalk", "yield_px", NULL};
    return only_for(c, l, stop, k == OC_LINE_STOP, "stop_line") &&
           only_for(c, l, solid, k == OC_LINE_SOLID, "solid_line") &&
           only_for(c, l, yield, k == OC_LINE_YIELD, "yield_line");
}

/* solid_line: no direction, either side counts (docs/violations.md). */
static bool parse_solid(struct ctx *c, const cJSON *l, struct oc_line_cfg *line)
{
    static const char *const motor[] = {"motor", NULL};
    if (cJSON_GetObjectItemCaseSensitive(l, "direction")) {
        size_t old = push_key(c, "direction");
        fail(c, "a solid_line has no direction: crossing it either way counts");
        pop(c, old);
        return false;
    }
    const int vt = OC_V_SOLID_LINE_CROSSING;
    return param(c, l, vt, P_OVERLAP, 10, &line->min_overlap_px) &&
           param_ms(c, l, vt, P_CONFIRM, 1, &line->confirm_ms) &&
           param_classes(c, l, vt, mask_of(motor), &line->classes);
}

/* yield_line: a crosswalk's conflict line for one direction of traffic. */
static bool parse_yield(struct ctx *c, const cJSON *l, const struct oc_camera_cfg *cam,
                        struct oc_line_cfg *line)
{
    static const char *const motor[] = {"motor", NULL};
    char *cw = NULL, *sig = NULL;
    if (!get_str(c, l, "crosswalk", true, &cw))
        return false;
    line->crosswalk = find_zone(cam, cw);
    bool ok = line->crosswalk >= 0 && cam->zones[line->crosswalk].kind == OC_ZONE_CROSSWALK;
    if (!ok) {
        size_t old = push_key(c, "crosswalk");
        fail(c, "names \"%s\", which is not a crosswalk zone of this camera", cw);
        pop(c, old);
    }
    free(cw);
    if (!ok || !get_str(c, l, "signal", false, &sig))
        return false;
    if (sig) {
        line->signal = oc_config_signal(c->cfg, sig, strlen(sig));
        if (line->signal < 0) {
            size_t old = push_key(c, "signal");
            fail(c, "names signal \"%s\", which is not in $.signals", sig);
            pop(c, old);
        }
        free(sig);
        if (line->signal < 0)
            return false;
    }
    const int vt = OC_V_FAIL_TO_YIELD;
    return param(c, l, vt, P_YIELD, 200, &line->yield_px) &&
           param_classes(c, l, vt, mask_of(motor), &line->classes);
}

static bool parse_line(struct ctx *c, const cJSON *l, const struct oc_camera_cfg *cam,
                       struct oc_line_cfg *line)
{
    static const char *const keys[] = {"id",
                                       "kind",
                                       "points",
                                       "direction",
                                       "signal",
                                       "exit_lines",
                                       "grace_s",
                                       "exit_s",
                                       "classes",
                                       "movements",
                                       "free_right_on_red",
                                       "min_overlap_px",
                                       "confirm_s",
                                       "crosswalk",
                                       "yield_px",
                                       NULL};
    if (!cJSON_IsObject(l))
        return fail(c, "must be an object");
    if (!check_keys(c, l, keys))
        return false;
    char *kind = NULL, *sig = NULL;
    if (!get_str(c, l, "id", true, &line->id) || !get_str(c, l, "kind", true, &kind))
        return false;
    line->signal = -1;
    if (strcmp(kind, "stop_line") == 0) {
        line->kind = OC_LINE_STOP;
    } else if (strcmp(kind, "exit_line") == 0) {
        line->kind = OC_LINE_EXIT;
    } else if (strcmp(kind, "solid_line") == 0) {
        line->kind = OC_LINE_SOLID;
    } else if (strcmp(kind, "yield_line") == 0) {
        line->kind = OC_LINE_YIELD;
    } else {
        size_t old = push_key(c, "kind");
        fail(c, "unknown line kind \"%s\"", kind);
        pop(c, old);
        free(kind);
        return false;
    }
    free(kind);
    line->crosswalk = -1;
    if (!line_kind_keys(c, l, line->kind))
        return false;
    struct oc_pt *pts;
    size_t n;
    if (!get_points(c, l, "points", 2, 2, &pts, &n))
        return false;
    line->p = pts[0];
    line->q = pts[1];
    free(pts);
    if (line->p.x == line->q.x && line->p.y == line->q.y) {
        size_t old = push_key(c, "points");
        fail(c, "the two points must differ");
        pop(c, old);
        return false;
    }
    if (line->kind == OC_LINE_SOLID)
        return parse_solid(c, l, line);
    if (!get_direction(c, l, true, &line->dir))
        return false;
    if (line->kind == OC_LINE_EXIT)
        return true;
    if (line->kind == OC_LINE_YIELD)
        return parse_yield(c, l, cam, line);
    line->free_right_on_red = true;
    if (!oc_cfgread_bool(&c->r, l, "free_right_on_red", &line->free_right_on_red) ||
        !get_str(c, l, "signal", true, &sig))
        return false;
    line->signal = oc_config_signal(c->cfg, sig, strlen(sig));
    if (line->signal < 0) {
        size_t old = push_key(c, "signal");
        fail(c, "names signal \"%s\", which is not in $.signals", sig);
        pop(c, old);
        free(sig);
        return false;
    }
    free(sig);
    static const char *const judged[] = {"motor", "nonmotor", "pedestrian", NULL};
    static const int types[OC_LG__COUNT] = {OC_V_RED_LIGHT, OC_V_NONMOTOR_RED_LIGHT,
                                            OC_V_PEDESTRIAN_RED_LIGHT};
    static const double grace[OC_LG__COUNT] = {0.3, 0.3, 0};
    for (int g = 0; g < OC_LG__COUNT; g++)
        if (!param_ms(c, l, types[g], P_GRACE, grace[g], &line->grace_ms[g]) ||
            !param_ms(c, l, types[g], P_EXIT, 10, &line->exit_ms[g]))
            return false;
    return param_classes(c, l, OC_V_RED_LIGHT, mask_of(judged), &line->classes);
}

/* Second pass over a camera's lines: exit_lines refer to lines by id. */
static bool link_exits(struct ctx *c, const cJSON *jl, struct oc_camera_cfg *cam, size_t li)
{
    struct oc_line_cfg *line = &cam->lines[li];
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(jl, "exit_lines");
    if (!ex || line->kind != OC_LINE_STOP)
        return true;
    size_t old = push_key(c, "exit_lines");
    if (!cJSON_IsArray(ex))
        return fail(c, "must be an array of line ids");
    line->n_exits = (size_t)cJSON_GetArraySize(ex);
    line->exits = calloc(line->n_exits ? line->n_exits : 1, sizeof *line->exits);
    if (!line->exits)
        return fail(c, "out of memory");
    size_t i = 0;
    for (const cJSON *it = ex->child; it; it = it->next, i++) {
        push_idx(c, i);
        if (!cJSON_IsString(it))
            return fail(c, "must be a line id");
        int idx = find_line(cam, cam->n_lines, it->valuestring);
        if (idx < 0)
            return fail(c, "names line \"%s\", which this camera does not have", it->valuestring);
        if (cam->lines[idx].kind != OC_LINE_EXIT)
            return fail(c, "line \"%s\" is not an exit_line", it->valuestring);
        line->exits[i] = idx;
        pop(c, old + strlen(".exit_lines"));
    }
    pop(c, old);
    return true;
}

/* ---- junctions: movements, waiting areas, guide lanes ---- */

static const char *const mv_names[OC_MV__COUNT] = {"left", "straight", "right", "uturn"};

static int mv_lookup(const cJSON *v)
{
    for (int i = 0; cJSON_IsString(v) && i < OC_MV__COUNT; i++)
        if (strcmp(mv_names[i], v->valuestring) == 0)
            return i;
    return -1;
}

/* A signal id under key into *out; absent leaves *out. */
static bool get_signal(struct ctx *c, const cJSON *obj, const char *key, bool required, int *out)
{
    char *sig = NULL;
    if (!get_str(c, obj, key, required, &sig))
        return false;
    if (!sig)
        return true;
    *out = oc_config_signal(c->cfg, sig, strlen(sig));
    if (*out < 0) {
        push_key(c, key);
        fail(c, "names signal \"%s\", which is not in $.signals", sig);
    }
    free(sig);
    return *out >= 0;
}

/* A line id under key that must be a stop_line of cam. */
static bool get_stop_line(struct ctx *c, const cJSON *obj, const char *key,
                          const struct oc_camera_cfg *cam, int *out)
{
    char *id = NULL;
    if (!get_str(c, obj, key, true, &id))
        return false;
    *out = find_line(cam, cam->n_lines, id);
    if (*out < 0 || cam->lines[*out].kind != OC_LINE_STOP) {
        push_key(c, key);
        fail(c, "names \"%s\", which is not a stop_line of this camera", id);
        *out = -1;
    }
    free(id);
    return *out >= 0;
}

static bool movement_exits(struct ctx *c, const cJSON *m, const struct oc_camera_cfg *cam,
                           struct oc_movement_cfg *mv)
{
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(m, "exit_lines");
    if (!ex)
        return fail(c, "missing required key \"exit_lines\"");
    size_t old = push_key(c, "exit_lines");
    if (!cJSON_IsArray(ex) || cJSON_GetArraySize(ex) < 1 || cJSON_GetArraySize(ex) > 16)
        return fail(c, "must be an array of 1-16 exit_line ids");
    mv->n_exits = (size_t)cJSON_GetArraySize(ex);
    if (!(mv->exits = calloc(mv->n_exits, sizeof *mv->exits)))
        return fail(c, "out of memory");
    size_t i = 0;
    for (const cJSON *it = ex->child; it; it = it->next, i++) {
        push_idx(c, i);
        int idx = cJSON_IsString(it) ? find_line(cam, cam->n_lines, it->valuestring) : -1;
        if (idx < 0 || cam->lines[idx].kind != OC_LINE_EXIT)
            return fail(c, "must name an exit_line of this camera");
        mv->exits[i] = idx;
        pop(c, old + strlen(".exit_lines"));
    }
    pop(c, old);
    return true;
}

/* Free movements wait longer by default: a right turn on red yields to the
 * crossing pedestrians first (docs/violations.md "Movements"). */
#define FREE_EXIT_MS 30000

static bool parse_movement(struct ctx *c, const cJSON *m, const struct oc_camera_cfg *cam,
                           const struct oc_line_cfg *line, struct oc_movement_cfg *mv)
{
    static const char *const keys[] = {"name",      "exit_lines", "signal", "free_on_red",
                                       "forbidden", "exit_s",     NULL};
    if (!cJSON_IsObject(m))
        return fail(c, "must be an object");
    if (!check_keys(c, m, keys))
        return false;
    int k = mv_lookup(cJSON_GetObjectItemCaseSensitive(m, "name"));
    if (k < 0) {
        push_key(c, "name");
        return fail(c, "must be \"left\", \"straight\", \"right\" or \"uturn\"");
    }
    mv->name = (enum oc_movement)k;
    mv->signal = line->signal;
    if (!movement_exits(c, m, cam, mv) || !get_signal(c, m, "signal", false, &mv->signal))
        return false;
    mv->free_on_red = k == OC_MV_RIGHT && mv->signal == line->signal && line->free_right_on_red;
    if (!oc_cfgread_bool(&c->r, m, "free_on_red", &mv->free_on_red) ||
        !oc_cfgread_bool(&c->r, m, "forbidden", &mv->forbidden))
        return false;
    if (mv->forbidden && k != OC_MV_UTURN) {
        push_key(c, "forbidden");
        return fail(c, "only a uturn movement can be forbidden");
    }
    double ex = -1;
    if (!get_num(c, m, "exit_s", 0.001, 3600, false, &ex))
        return false;
    for (int g = 0; g < OC_LG__COUNT; g++) {
        int64_t def = line->exit_ms[g];
        if (mv->free_on_red && def < FREE_EXIT_MS)
            def = FREE_EXIT_MS;
        mv->exit_ms[g] = ex > 0 ? (int64_t)llround(ex * 1000) : def;
    }
    return true;
}

static bool link_movements(struct ctx *c, const cJSON *jl, struct oc_camera_cfg *cam, size_t li)
{
    struct oc_line_cfg *line = &cam->lines[li];
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(jl, "movements");
    if (!ms)
        return true;
    size_t old = push_key(c, "movements");
    if (cJSON_GetObjectItemCaseSensitive(jl, "exit_lines"))
        return fail(c,
                    "a stop_line with movements names its exits per movement, not in exit_lines");
    if (!cJSON_IsArray(ms) || cJSON_GetArraySize(ms) < 1 ||
        cJSON_GetArraySize(ms) > OC_MOVEMENTS_MAX)
        return fail(c, "must be an array of 1-%d movements", OC_MOVEMENTS_MAX);
    line->n_movements = (size_t)cJSON_GetArraySize(ms);
    if (!(line->movements = calloc(line->n_movements, sizeof *line->movements)))
        return fail(c, "out of memory");
    size_t i = 0;
    for (const cJSON *it = ms->child; it; it = it->next, i++) {
        push_idx(c, i);
        struct oc_movement_cfg *mv = &line->movements[i];
        if (!parse_movement(c, it, cam, line, mv))
            return false;
        for (size_t j = 0; j < i; j++)
            if (line->movements[j].name == mv->name)
                return fail(c, "movement \"%s\" is given twice", mv_names[mv->name]);
        for (int g = 0; g < OC_LG__COUNT; g++)
            if (mv->exit_ms[g] > line->window_ms[g])
                line->window_ms[g] = mv->exit_ms[g];
        pop(c, old + strlen(".movements"));
    }
    pop(c, old);
    cam->has_junction = true;
    return true;
}

static bool parse_waiting_area(struct ctx *c, const cJSON *z, const struct oc_camera_cfg *cam,
                               struct oc_zone_cfg *zone)
{
    if (!get_stop_line(c, z, "stop_line", cam, &zone->stop_line) ||
        !get_stop_line(c, z, "front_line", cam, &zone->front_line) ||
        !get_signal(c, z, "entry_signal", true, &zone->entry_signal))
        return false;
    if (zone->front_line == zone->stop_line) {
        push_key(c, "front_line");
        return fail(c, "must differ from stop_line");
    }
    zone->movement = OC_MV_LEFT;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(z, "movement");
    if (m && (zone->movement = mv_lookup(m)) < 0) {
        push_key(c, "movement");
        return fail(c, "must be \"left\", \"straight\", \"right\" or \"uturn\"");
    }
    return true;
}

static bool parse_guide_lane(struct ctx *c, const cJSON *z, const struct oc_camera_cfg *cam,
                             struct oc_zone_cfg *zone)
{
    if (!get_stop_line(c, z, "stop_line", cam, &zone->stop_line))
        return false;
    if (cam->lines[zone->stop_line].n_movements == 0) {
        push_key(c, "stop_line");
        return fail(c, "a guide_lane's stop_line must have movements");
    }
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(z, "movements");
    if (!ms)
        return fail(c, "missing required key \"movements\"");
    size_t old = push_key(c, "movements");
    if (!cJSON_IsArray(ms) || cJSON_GetArraySize(ms) < 1 || cJSON_GetArraySize(ms) > OC_MV__COUNT)
        return fail(c, "must be an array of 1-4 movement names");
    size_t i = 0;
    for (const cJSON *it = ms->child; it; it = it->next, i++) {
        push_idx(c, i);
        int k = mv_lookup(it);
        if (k < 0)
            return fail(c, "must be \"left\", \"straight\", \"right\" or \"uturn\"");
        zone->mv_mask |= 1u << k;
        pop(c, old + strlen(".movements"));
    }
    pop(c, old);
    return true;
}

/* Third pass: zones that name lines (parsed after them). */
static bool link_zone(struct ctx *c, const cJSON *z, struct oc_camera_cfg *cam, size_t zi)
{
    static const char *const wa[] = {"front_line", "entry_signal", "movement", NULL};
    static const char *const both[] = {"stop_line", NULL};
    static const char *const gl[] = {"movements", NULL};
    struct oc_zone_cfg *zone = &cam->zones[zi];
    bool is_wa = zone->kind == OC_ZONE_WAITING_AREA, is_gl = zone->kind == OC_ZONE_GUIDE_LANE;
    if (!only_for(c, z, wa, is_wa, "waiting_area") ||
        !only_for(c, z, both, is_wa || is_gl, "waiting_area or guide_lane") ||
        !only_for(c, z, gl, is_gl, "guide_lane"))
        return false;
    if (is_wa || is_gl)
        cam->has_junction = true;
    return is_wa   ? parse_waiting_area(c, z, cam, zone)
           : is_gl ? parse_guide_lane(c, z, cam, zone)
                   : true;
}

/* A record's type name (oc_record), at most 48 bytes for a camera event. */
static bool valid_type_name(const char *s)
{
    return strlen(s) <= 48 && oc_record_type_name_ok(s);
}

static int add_vtype(struct oc_config *cfg, const char *name)
{
    int t = oc_config_vtype(cfg, name);
    if (t >= 0)
        return t;
    if (cfg->n_vtypes >= OC_VTYPE_MAX)
        return -2;
    char *d = dupstr(name);
    if (!d)
        return -3;
    cfg->vtypes[cfg->n_vtypes].name = d;
    cfg->vtypes[cfg->n_vtypes].code = NULL;
    return (int)cfg->n_vtypes++;
}

/* Parses an `events` list into a type mask, registering new event types. */
static bool parse_events(struct ctx *c, const cJSON *v, uint64_t *mask)
{
    size_t old = push_key(c, "events");
    if (!cJSON_IsArray(v))
        return fail(c, "must be an array of event type names");
    *mask = 0;
    size_t i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        size_t o2 = push_idx(c, i);
        if (!cJSON_IsString(it) || !valid_type_name(it->valuestring))
            return fail(c, "must be an event type name of a-z, 0-9 and _");
        if (oc_config_vtype(c->cfg, it->valuestring) >= 0 &&
            oc_config_vtype(c->cfg, it->valuestring) < OC_V_BUILTIN)
            return fail(c, "\"%s\" is a built-in violation type, not a camera event",
                        it->valuestring);
        int t = add_vtype(c->cfg, it->valuestring);
        if (t < 0)
            return fail(c, t == -2 ? "too many violation types (limit 64)" : "out of memory");
        *mask |= (uint64_t)1 << t;
        pop(c, o2);
    }
    pop(c, old);
    return true;
}

/* A valid MQTT topic filter: levels separated by '/', '+' only as a whole
 * level, '#' only as the whole last level. */
static bool valid_filter(const char *f)
{
    size_t n = strlen(f);
    if (n == 0 || n > 256)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool starts = i == 0 || f[i - 1] == '/';
        bool ends = i + 1 == n || f[i + 1] == '/';
        if ((unsigned char)f[i] < 0x20 || ((f[i] == '+' || f[i] == '#') && !(starts && ends)) ||
            (f[i] == '#' && i + 1 != n))
            return false;
    }
    return true;
}

/* f with every "{source}" replaced by src; NULL when out of memory. */
static char *expand_source(const char *f, const char *src)
{
    size_t n = strlen(f) + 1, sl = strlen(src);
    for (const char *p = strstr(f, "{source}"); p; p = strstr(p + 8, "{source}"))
        n += sl;
    char *out = malloc(n), *o = out;
    if (!out)
        return NULL;
    for (const char *p = f; *p;) {
        if (strncmp(p, "{source}", 8) == 0) {
            memcpy(o, src, sl);
            o += sl;
            p += 8;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* format, source and topics (docs/inputs.md). */
static bool parse_input(struct ctx *c, const cJSON *jc, struct oc_camera_cfg *cam)
{
    char *fmt = NULL;
    if (!get_str(c, jc, "format", false, &fmt) || !get_str(c, jc, "source", false, &cam->source))
        return false;
    cam->format = OC_FORMAT_ORDERCAM;
    if (fmt) {
        int f = oc_format_lookup(fmt, strlen(fmt));
        free(fmt);
        if (f < 0) {
            push_key(c, "format");
            return fail(c,
                        "must be one of ordercam, deepstream, deepstream-minimal, frigate, onvif");
        }
        cam->format = f;
    }
    if (cam->source) {
        size_t n = strlen(cam->source);
        if (n > 128 || strpbrk(cam->source, "/+#{}") || n != strcspn(cam->source, "\t\n\r")) {
            push_key(c, "source");
            return fail(c, "must be 1-128 characters without / + # { } or control characters");
        }
    } else if (!(cam->source = dupstr(cam->id))) {
        return fail(c, "out of memory");
    }
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(jc, "topics");
    const char *const *defaults = oc_format_default_topics((enum oc_format)cam->format);
    size_t n = 0;
    if (tp) {
        size_t old = push_key(c, "topics");
        if (cam->format == OC_FORMAT_ORDERCAM)
            return fail(c, "only a camera with a foreign format listens on its own topics");
        if (!cJSON_IsArray(tp) || cJSON_GetArraySize(tp) < 1 || cJSON_GetArraySize(tp) > 16)
            return fail(c, "must be an array of 1-16 MQTT topic filters");
        n = (size_t)cJSON_GetArraySize(tp);
        pop(c, old);
    } else {
        while (defaults[n])
            n++;
    }
    cam->topics = calloc(n + 1, sizeof *cam->topics);
    if (!cam->topics)
        return fail(c, "out of memory");
    const cJSON *it = tp ? tp->child : NULL;
    for (size_t i = 0; i < n; i++) {
        const char *f = tp ? (cJSON_IsString(it) ? it->valuestring : NULL) : defaults[i];
        if (!f || !valid_filter(f)) {
            push_key(c, "topics");
            push_idx(c, i);
            return fail(c, "must be an MQTT topic filter ('+' and '#' whole levels, '#' last)");
        }
        if (!(cam->topics[i] = expand_source(f, cam->source)))
            return fail(c, "out of memory");
        cam->n_topics = i + 1;
        it = it ? it->next : NULL;
    }
    /* routing must be unambiguous: one format per filter, one camera per
     * (format, source) */
    for (const struct oc_camera_cfg *o = c->cfg->cameras; o != cam; o++) {
        if (o->format == OC_FORMAT_ORDERCAM || cam->format == OC_FORMAT_ORDERCAM)
            continue;
        for (size_t i = 0; i < cam->n_topics; i++)
            for (size_t j = 0; j < o->n_topics; j++)
                if (strcmp(cam->topics[i], o->topics[j]) == 0 &&
                    (o->format != cam->format || strcmp(o->source, cam->source) == 0 ||
                     cam->format == OC_FORMAT_ONVIF))
                    return fail(c,
                                "topic \"%s\" is also camera \"%s\"'s; a topic carries one "
                                "format and names each camera once",
                                cam->topics[i], o->id);
    }
    return true;
}

/* Every point inside the camera's frame ([0, width] x [0, height]); key is
 * the member holding the points (the path is at the zone or line). */
static bool inside_frame(struct ctx *c, const struct oc_camera_cfg *cam, const char *key,
                         const struct oc_pt *pts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (pts[i].x >= 0 && pts[i].y >= 0 && pts[i].x <= cam->width && pts[i].y <= cam->height)
            continue;
        size_t old = push_key(c, key);
        push_idx(c, i);
        fail(c, "point (%g, %g) is outside the camera's %dx%d frame", pts[i].x, pts[i].y,
             cam->width, cam->height);
        pop(c, old);
        return false;
    }
    return true;
}

/* Non-adjacent edges of a polygon must not meet (touching counts): a
 * polygon that crosses itself has no clear inside for people. */
static bool simple_polygon(struct ctx *c, const struct oc_zone_cfg *z)
{
    size_t n = z->n_pts;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 2; j < n; j++) {
            if (i == 0 && j == n - 1)
                continue; /* adjacent through the closing edge */
            double f;
            if (!oc_geom_cross(z->pts[i], z->pts[(i + 1) % n], z->pts[j], z->pts[(j + 1) % n], &f))
                continue;
            size_t old = push_key(c, "polygon");
            fail(c, "edges %zu-%zu and %zu-%zu cross: the polygon must not intersect itself", i,
                 (i + 1) % n, j, (j + 1) % n);
            pop(c, old);
            return false;
        }
    }
    return true;
}

static bool parse_camera(struct ctx *c, const cJSON *jc, struct oc_camera_cfg *cam,
                         uint64_t default_events)
{
    static const char *const keys[] = {"id",     "width",       "height",          "location",
                                       "road",   "unit",        "zones",           "lines",
                                       "events", "event_zones", "frames",          "format",
                                       "source", "topics",      "track_timeout_s", NULL};
    if (!cJSON_IsObject(jc))
        return fail(c, "must be an object");
    if (!check_keys(c, jc, keys) || !get_str(c, jc, "id", true, &cam->id))
        return false;
    if (!oc_config_valid_id(cam->id, strlen(cam->id))) {
        size_t old = push_key(c, "id");
        fail(c, "\"%s\" is not 1-64 characters of A-Za-z0-9._-", cam->id);
        pop(c, old);
        return false;
    }
    if (!cJSON_GetObjectItemCaseSensitive(jc, "width") ||
        !cJSON_GetObjectItemCaseSensitive(jc, "height"))
        return fail(c, "missing required key \"%s\"",
                    cJSON_GetObjectItemCaseSensitive(jc, "width") ? "height" : "width");
    if (!get_int(c, jc, "width", 16, 16384, &cam->width) ||
        !get_int(c, jc, "height", 16, 16384, &cam->height) ||
        !get_str(c, jc, "location", false, &cam->location) ||
        !get_str(c, jc, "road", false, &cam->road) || !get_str(c, jc, "unit", false, &cam->unit))
        return false; /* "frames" is ordercamd's (src/edge/oc_ecfg.c) */

    const cJSON *zs = cJSON_GetObjectItemCaseSensitive(jc, "zones");
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(jc, "lines");
    if (zs && !cJSON_IsArray(zs)) {
        push_key(c, "zones");
        return fail(c, "must be an array");
    }
    if (ls && !cJSON_IsArray(ls)) {
        push_key(c, "lines");
        return fail(c, "must be an array");
    }
    cam->n_zones = zs ? (size_t)cJSON_GetArraySize(zs) : 0;
    cam->n_lines = ls ? (size_t)cJSON_GetArraySize(ls) : 0;
    if (cam->n_zones > 256 || cam->n_lines > 256)
        return fail(c, "at most 256 zones and 256 lines per camera");
    cam->zones = calloc(cam->n_zones + 1, sizeof *cam->zones);
    cam->lines = calloc(cam->n_lines + 1, sizeof *cam->lines);
    if (!cam->zones || !cam->lines)
        return fail(c, "out of memory");
    size_t i = 0;
    for (const cJSON *z = zs ? zs->child : NULL; z; z = z->next, i++) {
        size_t o1 = push_key(c, "zones");
        push_idx(c, i);
        if (!parse_zone(c, z, &cam->zones[i]) ||
            !inside_frame(c, cam, "polygon", cam->zones[i].pts, cam->zones[i].n_pts) ||
            !simple_polygon(c, &cam->zones[i]))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cam->zones[j].id, cam->zones[i].id) == 0)
                return fail(c, "duplicate zone id \"%s\"", cam->zones[i].id);
        if (cam->zones[i].kind == OC_ZONE_HELMET_ENFORCEMENT)
            cam->has_helmet_zones = true;
        pop(c, o1);
    }
    i = 0;
    for (const cJSON *l = ls ? ls->child : NULL; l; l = l->next, i++) {
        size_t o1 = push_key(c, "lines");
        push_idx(c, i);
        if (!parse_line(c, l, cam, &cam->lines[i]))
            return false;
        struct oc_pt ends[2] = {cam->lines[i].p, cam->lines[i].q};
        if (!inside_frame(c, cam, "points", ends, 2))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cam->lines[j].id, cam->lines[i].id) == 0)
                return fail(c, "duplicate line id \"%s\"", cam->lines[i].id);
        for (size_t j = 0; j < cam->n_zones; j++)
            if (strcmp(cam->zones[j].id, cam->lines[i].id) == 0)
                return fail(c, "id \"%s\" is already a zone of this camera", cam->lines[i].id);
        pop(c, o1);
    }
    i = 0;
    for (const cJSON *l = ls ? ls->child : NULL; l; l = l->next, i++) {
        size_t o1 = push_key(c, "lines");
        push_idx(c, i);
        if (!link_exits(c, l, cam, i) || !link_movements(c, l, cam, i))
            return false;
        if (cam->lines[i].kind == OC_LINE_SOLID || cam->lines[i].kind == OC_LINE_YIELD)
            cam->has_junction = true;
        pop(c, o1);
    }
    i = 0;
    for (const cJSON *z = zs ? zs->child : NULL; z; z = z->next, i++) {
        size_t o1 = push_key(c, "zones");
        push_idx(c, i);
        if (!link_zone(c, z, cam, i))
            return false;
        pop(c, o1);
    }
    double frames = 3;
    if (!param(c, jc, OC_V_NO_HELMET, P_FRAMES, 3, &frames))
        return false;
    cam->helmet_min_frames = (int)frames;
    if (!parse_input(c, jc, cam))
        return false;
    /* Frigate reports a still object never again until its "end": its
     * tracks live until then (docs/inputs.md); the timeout only guards
     * against a lost end */
    double timeout = cam->format == OC_FORMAT_FRIGATE ? OC_FRIGATE_TRACK_TIMEOUT_S
                                                      : (double)c->cfg->track_timeout_ms / 1000;
    if (!get_num(c, jc, "track_timeout_s", 0.001, 86400, false, &timeout))
        return false;
    cam->track_timeout_ms = (int64_t)llround(timeout * 1000);

    cam->event_types = default_events;
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(jc, "events");
    if (ev && !parse_events(c, ev, &cam->event_types))
        return false;
    const cJSON *ez = cJSON_GetObjectItemCaseSensitive(jc, "event_zones");
    if (ez) {
        size_t o1 = push_key(c, "event_zones");
        if (!cJSON_IsArray(ez))
            return fail(c, "must be an array of zone ids");
        cam->n_event_zones = (size_t)cJSON_GetArraySize(ez);
        cam->event_zones = calloc(cam->n_event_zones + 1, sizeof(int));
        if (!cam->event_zones)
            return fail(c, "out of memory");
        i = 0;
        for (const cJSON *it = ez->child; it; it = it->next, i++) {
            push_idx(c, i);
            int found = -1;
            for (size_t j = 0; cJSON_IsString(it) && j < cam->n_zones; j++)
                if (strcmp(cam->zones[j].id, it->valuestring) == 0)
                    found = (int)j;
            if (found < 0)
                return fail(c, "must name a zone of this camera");
            cam->event_zones[i] = found;
            pop(c, o1 + strlen(".event_zones"));
        }
        pop(c, o1);
    }
    return true;
}

static bool parse_signals(struct ctx *c, const cJSON *root)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "signals");
    if (!s)
        return true;
    size_t o1 = push_key(c, "signals");
    if (!cJSON_IsArray(s))
        return fail(c, "must be an array");
    struct oc_config *cfg = c->cfg;
    cfg->n_signals = (size_t)cJSON_GetArraySize(s);
    cfg->signals = calloc(cfg->n_signals + 1, sizeof *cfg->signals);
    if (!cfg->signals)
        return fail(c, "out of memory");
    size_t i = 0;
    for (const cJSON *it = s->child; it; it = it->next, i++) {
        static const char *const keys[] = {"id", "stale_s", NULL};
        push_idx(c, i);
        struct oc_signal_cfg *sig = &cfg->signals[i];
        double stale = 120;
        if (!cJSON_IsObject(it))
            return fail(c, "must be an object");
        if (!check_keys(c, it, keys) || !get_str(c, it, "id", true, &sig->id) ||
            !get_num(c, it, "stale_s", 0.001, 86400, false, &stale))
            return false;
        if (!oc_config_valid_id(sig->id, strlen(sig->id)))
            return fail(c, "\"%s\" is not 1-64 characters of A-Za-z0-9._-", sig->id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->signals[j].id, sig->id) == 0)
                return fail(c, "duplicate signal id \"%s\"", sig->id);
        sig->stale_ms = (int64_t)llround(stale * 1000);
        sig->id_hash = oc_config_hash(sig->id, strlen(sig->id));
        pop(c, o1 + strlen(".signals"));
    }
    pop(c, o1);
    return true;
}

static bool parse_aliases(struct ctx *c, const cJSON *root)
{
    const cJSON *a;
    if (!want_object(c, root, "class_aliases", &a))
        return false;
    if (!a)
        return true;
    size_t o1 = push_key(c, "class_aliases");
    size_t n = (size_t)cJSON_GetArraySize(a);
    c->cfg->aliases = calloc(n + 1, sizeof *c->cfg->aliases);
    if (!c->cfg->aliases)
        return fail(c, "out of memory");
    for (const cJSON *it = a->child; it; it = it->next) {
        size_t o2 = push_key(c, it->string);
        if (!cJSON_IsString(it) || !it->valuestring[0])
            return fail(c, "must be a class name");
        struct oc_alias *al = &c->cfg->aliases[c->cfg->n_aliases++];
        al->from = dupstr(it->string);
        al->to = dupstr(it->valuestring);
        if (!al->from || !al->to)
            return fail(c, "out of memory");
        pop(c, o2);
    }
    pop(c, o1);
    return true;
}

static bool parse_defaults(struct ctx *c, const cJSON *root)
{
    const cJSON *d;
    if (!want_object(c, root, "defaults", &d))
        return false;
    c->defaults = d;
    if (!d)
        return true;
    size_t o1 = push_key(c, "defaults");
    for (const cJSON *it = d->child; it; it = it->next) {
        size_t o2 = push_key(c, it->string);
        int t = oc_config_vtype(c->cfg, it->string);
        if (t < 0 || t >= OC_V_BUILTIN)
            return fail(c, "unknown violation type");
        if (!cJSON_IsObject(it))
            return fail(c, "must be an object");
        if (!check_keys(c, it, param_keys))
            return false;
        double x = 0;
        for (int p = 0; p < P__COUNT; p++)
            if (!get_num(c, it, params[p].key, params[p].lo, params[p].hi, params[p].integer, &x))
                return false;
        const cJSON *cl = cJSON_GetObjectItemCaseSensitive(it, "classes");
        oc_classmask_t m;
        if (cl) {
            push_key(c, "classes");
            if (!parse_classes(c, cl, &m))
                return false;
        }
        pop(c, o2);
    }
    pop(c, o1);
    return true;
}

static bool parse_codes(struct ctx *c, const cJSON *root)
{
    const cJSON *codes;
    if (!want_object(c, root, "codes", &codes))
        return false;
    for (const cJSON *it = codes ? codes->child : NULL; it; it = it->next) {
        size_t o1 = push_key(c, "codes");
        push_key(c, it->string);
        int t = oc_config_vtype(c->cfg, it->string);
        if (t < 0)
            return fail(c, "unknown violation type");
        struct oc_vtype_cfg *vt = &c->cfg->vtypes[t];
        free(vt->code);
        vt->code = NULL;
        if (cJSON_IsString(it) && it->valuestring[0] && strlen(it->valuestring) <= 32) {
            if (!(vt->code = dupstr(it->valuestring)))
                return fail(c, "out of memory");
        } else if (!cJSON_IsNull(it)) {
            return fail(c, "must be a code string of 1-32 characters, or null");
        }
        pop(c, o1);
    }
    return true;
}

/* The topic namespace is routing, so core reads mqtt.topic_prefix; the
 * rest of the mqtt section is ordercamd's (oc_ecfg), which checks its keys. */
static bool parse_topic_prefix(struct ctx *c, const cJSON *root)
{
    const cJSON *m;
    if (!want_object(c, root, "mqtt", &m))
        return false;
    const cJSON *p = m ? cJSON_GetObjectItemCaseSensitive(m, "topic_prefix") : NULL;
    if (p) {
        size_t o1 = push_key(c, "mqtt");
        push_key(c, "topic_prefix");
        if (!cJSON_IsString(p) || strlen(p->valuestring) > 128)
            return fail(c, "must be a string of at most 128 bytes");
        if (!(c->cfg->topic_prefix = dupstr(p->valuestring)))
            return fail(c, "out of memory");
        pop(c, o1);
    }
    if (!c->cfg->topic_prefix && !(c->cfg->topic_prefix = dupstr("ordercam/")))
        return fail(c, "out of memory");
    return true;
}

/* limits is core's section; its rx_queue_* keys are read by ordercamd's
 * layer (oc_ecfg), core only admits them. */
static bool parse_sections(struct ctx *c, const cJSON *root)
{
    static const char *const tally_keys[] = {"bucket_s", NULL};
    static const char *const limit_keys[] = {"max_tracks_per_camera", "max_event_ids",
                                             "rx_queue_msgs", "rx_queue_mb", NULL};
    struct oc_config *cfg = c->cfg;
    const cJSON *o;
    size_t o1;

    double bucket = 60, timeout = 5;
    if (!want_object(c, root, "tally", &o))
        return false;
    if (o) {
        o1 = push_key(c, "tally");
        if (!check_keys(c, o, tally_keys) || !get_num(c, o, "bucket_s", 1, 86400, true, &bucket))
            return false;
        pop(c, o1);
    }
    cfg->bucket_ms = (int64_t)bucket * 1000;
    if (!get_num(c, root, "track_timeout_s", 0.001, 3600, false, &timeout))
        return false;
    cfg->track_timeout_ms = (int64_t)llround(timeout * 1000);
    double max_future = 300, max_jump = 30;
    if (!get_num(c, root, "max_future_s", 1, 31536000, false, &max_future) ||
        !get_num(c, root, "max_jump_s", 1, 31536000, false, &max_jump))
        return false;
    cfg->max_future_ms = (int64_t)llround(max_future * 1000);
    cfg->max_jump_ms = (int64_t)llround(max_jump * 1000);
    int max_tracks = 512, max_ids = 4096;
    if (!want_object(c, root, "limits", &o))
        return false;
    if (o) {
        o1 = push_key(c, "limits");
        if (!check_keys(c, o, limit_keys) ||
            !get_int(c, o, "max_tracks_per_camera", 1, 1 << 20, &max_tracks) ||
            !get_int(c, o, "max_event_ids", 1, 1 << 22, &max_ids))
            return false;
        pop(c, o1);
    }
    cfg->max_tracks_per_camera = (size_t)max_tracks;
    cfg->max_event_ids = (size_t)max_ids;
    return true;
}

/* The scene's own top-level keys plus the caller's layers' sections. */
static bool check_root_keys(struct ctx *c, const cJSON *root, const char *const *layer_keys)
{
    static const char *const keys[] = {
        "box_id",  "mqtt",     "tally",  "track_timeout_s", "class_aliases", "codes",     "signals",
        "cameras", "defaults", "events", "limits",          "max_future_s",  "max_jump_s"};
    enum { N_KEYS = sizeof keys / sizeof *keys, MAX_LAYER_KEYS = 32 };
    const char *all[N_KEYS + MAX_LAYER_KEYS + 1];
    size_t n = 0;
    for (; n < N_KEYS; n++)
        all[n] = keys[n];
    for (size_t i = 0; layer_keys && layer_keys[i] && i < MAX_LAYER_KEYS; i++)
        all[n++] = layer_keys[i];
    all[n] = NULL;
    return check_keys(c, root, all);
}

static bool parse_root(struct ctx *c, const cJSON *root, const char *const *layer_keys)
{
    static const char *const default_events[] = {"littering",    "throwing_from_vehicle",
                                                 "spitting",     "dog_unleashed",
                                                 "open_burning", "illegal_poster"};
    struct oc_config *cfg = c->cfg;
    if (!cJSON_IsObject(root))
        return fail(c, "the config must be a JSON object");
    if (!check_root_keys(c, root, layer_keys) || !get_str(c, root, "box_id", true, &cfg->box_id))
        return false;
    if (!oc_config_valid_id(cfg->box_id, strlen(cfg->box_id))) {
        push_key(c, "box_id");
        return fail(c, "\"%s\" is not 1-64 characters of A-Za-z0-9._-", cfg->box_id);
    }
    cfg->vtypes = calloc(OC_VTYPE_MAX, sizeof *cfg->vtypes);
    if (!cfg->vtypes)
        return fail(c, "out of memory");
    for (int t = 0; t < OC_V_BUILTIN; t++) {
        add_vtype(cfg, oc_vtype_builtin_name(t));
        const char *code = oc_vtype_default_code(t);
        if (code && !(cfg->vtypes[t].code = dupstr(code)))
            return fail(c, "out of memory");
    }
    uint64_t events = 0;
    for (size_t i = 0; i < sizeof default_events / sizeof *default_events; i++)
        events |= (uint64_t)1 << add_vtype(cfg, default_events[i]);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "events");
    if (!parse_topic_prefix(c, root) || !parse_sections(c, root) || !parse_aliases(c, root) ||
        !parse_defaults(c, root) || !parse_signals(c, root) ||
        (ev && !parse_events(c, ev, &events)))
        return false;
    const cJSON *cams = cJSON_GetObjectItemCaseSensitive(root, "cameras");
    if (!cams)
        return fail(c, "missing required key \"cameras\"");
    size_t o1 = push_key(c, "cameras");
    if (!cJSON_IsArray(cams) || cJSON_GetArraySize(cams) == 0)
        return fail(c, "must be a non-empty array");
    cfg->n_cameras = (size_t)cJSON_GetArraySize(cams);
    cfg->cameras = calloc(cfg->n_cameras, sizeof *cfg->cameras);
    if (!cfg->cameras)
        return fail(c, "out of memory");
    size_t i = 0;
    for (const cJSON *it = cams->child; it; it = it->next, i++) {
        push_idx(c, i);
        if (!parse_camera(c, it, &cfg->cameras[i], events))
            return false;
        cfg->cameras[i].id_hash = oc_config_hash(cfg->cameras[i].id, strlen(cfg->cameras[i].id));
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->cameras[j].id, cfg->cameras[i].id) == 0)
                return fail(c, "duplicate camera id \"%s\"", cfg->cameras[i].id);
        pop(c, o1 + strlen(".cameras"));
    }
    pop(c, o1);
    return parse_codes(c, root);
}

struct oc_config *oc_config_read(struct oc_cfgread *r, const cJSON *root,
                                 const char *const *layer_keys)
{
    struct ctx c = {.r = *r};
    c.cfg = calloc(1, sizeof *c.cfg);
    bool ok = c.cfg && parse_root(&c, root, layer_keys);
    if (ok && !(c.cfg->path = dupstr(c.r.name)))
        ok = fail(&c, "out of memory");
    if (!ok) {
        if (!c.cfg)
            fail(&c, "out of memory");
        oc_config_free(c.cfg);
        c.cfg = NULL;
    }
    *r = c.r;
    return c.cfg;
}

struct oc_config *oc_config_parse(const char *text, size_t len, const char *name, char *err,
                                  size_t errlen)
{
    struct oc_cfgread r;
    oc_cfgread_init(&r, name, err, errlen);
    cJSON *root = oc_cfgread_text(&r, text, len);
    struct oc_config *cfg = root ? oc_config_read(&r, root, NULL) : NULL;
    cJSON_Delete(root);
    return cfg;
}

struct oc_config *oc_config_load(const char *path, char *err, size_t errlen)
{
    struct oc_cfgread r;
    oc_cfgread_init(&r, path, err, errlen);
    cJSON *root = oc_cfgread_file(&r, path);
    struct oc_config *cfg = root ? oc_config_read(&r, root, NULL) : NULL;
    cJSON_Delete(root);
    return cfg;
}

static void free_camera(struct oc_camera_cfg *cam)
{
    for (size_t i = 0; cam->zones && i < cam->n_zones; i++) {
        free(cam->zones[i].id);
        free(cam->zones[i].pts);
    }
    for (size_t i = 0; cam->lines && i < cam->n_lines; i++) {
        free(cam->lines[i].id);
        free(cam->lines[i].exits);
        for (size_t m = 0; cam->lines[i].movements && m < cam->lines[i].n_movements; m++)
            free(cam->lines[i].movements[m].exits);
        free(cam->lines[i].movements);
    }
    free(cam->zones);
    free(cam->lines);
    free(cam->event_zones);
    for (size_t i = 0; cam->topics && i < cam->n_topics; i++)
        free(cam->topics[i]);
    free(cam->topics);
    free(cam->source);
    free(cam->id);
    free(cam->location);
    free(cam->road);
    free(cam->unit);
}

void oc_config_free(struct oc_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; cfg->cameras && i < cfg->n_cameras; i++)
        free_camera(&cfg->cameras[i]);
    for (size_t i = 0; cfg->signals && i < cfg->n_signals; i++)
        free(cfg->signals[i].id);
    for (size_t i = 0; i < cfg->n_aliases; i++) {
        free(cfg->aliases[i].from);
        free(cfg->aliases[i].to);
    }
    for (size_t i = 0; i < cfg->n_vtypes; i++) {
        free(cfg->vtypes[i].name);
        free(cfg->vtypes[i].code);
    }
    free(cfg->cameras);
    free(cfg->signals);
    free(cfg->aliases);
    free(cfg->vtypes);
    free(cfg->path);
    free(cfg->box_id);
    free(cfg->topic_prefix);
    free(cfg);
}

uint32_t oc_config_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

int oc_config_camera(const struct oc_config *cfg, const char *id, size_t len)
{
    uint32_t h = oc_config_hash(id, len);
    for (size_t i = 0; i < cfg->n_cameras; i++)
        if (cfg->cameras[i].id_hash == h && strncmp(cfg->cameras[i].id, id, len) == 0 &&
            cfg->cameras[i].id[len] == '\0')
            return (int)i;
    return -1;
}

int oc_config_signal(const struct oc_config *cfg, const char *id, size_t len)
{
    uint32_t h = oc_config_hash(id, len);
    for (size_t i = 0; i < cfg->n_signals; i++)
        if (cfg->signals[i].id_hash == h && strncmp(cfg->signals[i].id, id, len) == 0 &&
            cfg->signals[i].id[len] == '\0')
            return (int)i;
    return -1;
}

int oc_config_vtype(const struct oc_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_vtypes; i++)
        if (strcmp(cfg->vtypes[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *oc_config_alias(const struct oc_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_aliases; i++)
        if (strcmp(cfg->aliases[i].from, name) == 0)
            return cfg->aliases[i].to;
    return name;
}

bool oc_config_valid_id(const char *s, size_t len)
{
    if (len < 1 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}
