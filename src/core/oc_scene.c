/* A camera's engine state for people (see oc_scene.h). Reads the engine's
 * internals; writes nothing into them. */
#include "ordercam/oc_scene.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "oc_engine_int.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void take_tracks(const struct oc_engine *e, const struct oc_cam *c, struct oc_scene *out)
{
    out->tracks_total = c->n_live;
    for (const struct oc_track *tr = c->newest; tr && out->n_tracks < OC_SCENE_TRACKS_MAX;
         tr = tr->prev) {
        struct oc_scene_track *t = &out->tracks[out->n_tracks++];
        copy_str(t->id, sizeof t->id, tr->id);
        copy_str(t->cls, sizeof t->cls, oc_engine__class_name(e, tr->cls));
        memcpy(t->box, tr->box, sizeof t->box);
        t->anchor = tr->anchor;
        t->first_ts = tr->first_ts;
        t->last_ts = tr->last_ts;
        t->conf = tr->conf;
    }
}

/* When there are more stays than room, the longest are kept. */
static void take_stays(const struct oc_cam *c, struct oc_scene *out)
{
    const struct oc_stays *s = &c->stays;
    out->stays_total = s->n;
    for (size_t i = 0; i < s->n; i++) {
        const struct oc_stay *h = &s->v[i];
        struct oc_scene_stay st = {.id = h->id,
                                   .zone = h->zone,
                                   .start = h->start,
                                   .last_ts = h->last_ts,
                                   .dwell_ms = c->has_clock ? c->clock - h->start : 0,
                                   .emitted = h->emitted};
        if (h->zone >= 0 && (size_t)h->zone < c->cfg->n_zones)
            st.limit_ms = c->cfg->zones[h->zone].dwell_ms;
        copy_str(st.track, sizeof st.track, h->track);
        memcpy(st.box, h->last_box, sizeof st.box);
        size_t at = out->n_stays;
        if (at == OC_SCENE_STAYS_MAX) {
            at = 0;
            for (size_t k = 1; k < OC_SCENE_STAYS_MAX; k++)
                if (out->stays[k].dwell_ms < out->stays[at].dwell_ms)
                    at = k;
            if (out->stays[at].dwell_ms >= st.dwell_ms)
                continue;
        } else {
            out->n_stays++;
        }
        out->stays[at] = st;
    }
}

static void take_signals(const struct oc_engine *e, const struct oc_cam *c, struct oc_scene *out)
{
    for (size_t l = 0; l < c->cfg->n_lines; l++) {
        int sig = c->cfg->lines[l].signal;
        if (sig < 0)
            continue;
        size_t k = 0;
        while (k < out->n_signals && out->signals[k].signal != sig)
            k++;
        if (k < out->n_signals || out->n_signals == OC_SCENE_SIGNALS_MAX)
            continue;
        struct oc_scene_signal *s = &out->signals[out->n_signals++];
        s->signal = sig;
        s->onset = 0;
        s->state =
            c->has_clock ? oc_signal_at(&e->signals[sig], c->clock, &s->onset) : OC_SIG_UNKNOWN;
        if (s->state != OC_SIG_RED)
            s->onset = 0;
    }
}

void oc_scene_take(const struct oc_engine *e, int camera, struct oc_scene *out)
{
    out->camera = camera;
    out->has_clock = false;
    out->clock = 0;
    out->n_tracks = out->tracks_total = out->n_stays = out->stays_total = out->n_signals = 0;
    if (camera < 0 || (size_t)camera >= e->cfg->n_cameras)
        return;
    const struct oc_cam *c = &e->cams[camera];
    out->has_clock = c->has_clock;
    out->clock = c->clock;
    take_tracks(e, c, out);
    take_stays(c, out);
    take_signals(e, c, out);
}

void oc_scene_violation_from(struct oc_scene_violation *out, const struct oc_violation *v)
{
    memset(out, 0, sizeof *out);
    copy_str(out->type, sizeof out->type, v->type);
    copy_str(out->track, sizeof out->track, v->track);
    copy_str(out->where, sizeof out->where, v->zone ? v->zone : v->line);
    out->seq = v->seq;
    out->ts = v->ts;
    if (v->n_keys > 0)
        memcpy(out->box, v->key_box[v->n_keys - 1], sizeof out->box);
}

const char *oc_scene_zone_kind(enum oc_zone_kind k)
{
    static const char *const names[OC_ZONE__COUNT] = {
        "no_parking", "tactile_paving", "crosswalk",         "carriageway",
        "lane",       "no_vending",     "helmet_enforcement"};
    return (unsigned)k < OC_ZONE__COUNT ? names[k] : "unknown";
}

const char *oc_scene_line_kind(enum oc_line_kind k)
{
    return k == OC_LINE_STOP ? "stop_line" : "exit_line";
}

/* ---------------- JSON ---------------- */

static cJSON *num_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *point(struct oc_pt p)
{
    double v[2] = {p.x, p.y};
    return num_array(v, 2);
}

static cJSON *zones_json(const struct oc_camera_cfg *cam)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < cam->n_zones; i++) {
        const struct oc_zone_cfg *z = &cam->zones[i];
        cJSON *o = cJSON_CreateObject(), *poly = cJSON_CreateArray();
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "id", z->id);
        cJSON_AddStringToObject(o, "kind", oc_scene_zone_kind(z->kind));
        for (size_t k = 0; k < z->n_pts; k++)
            cJSON_AddItemToArray(poly, point(z->pts[k]));
        cJSON_AddItemToObject(o, "polygon", poly);
        if (z->kind == OC_ZONE_LANE)
            cJSON_AddItemToObject(o, "direction", point(z->dir));
        if (z->kind == OC_ZONE_NO_PARKING || z->kind == OC_ZONE_TACTILE_PAVING ||
            z->kind == OC_ZONE_NO_VENDING)
            cJSON_AddNumberToObject(o, "dwell_s", (double)z->dwell_ms / 1000.0);
    }
    return a;
}

static cJSON *lines_json(const struct oc_config *cfg, const struct oc_camera_cfg *cam)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < cam->n_lines; i++) {
        const struct oc_line_cfg *l = &cam->lines[i];
        cJSON *o = cJSON_CreateObject(), *pts = cJSON_CreateArray();
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "id", l->id);
        cJSON_AddStringToObject(o, "kind", oc_scene_line_kind(l->kind));
        cJSON_AddItemToArray(pts, point(l->p));
        cJSON_AddItemToArray(pts, point(l->q));
        cJSON_AddItemToObject(o, "points", pts);
        cJSON_AddItemToObject(o, "direction", point(l->dir));
        if (l->signal >= 0)
            cJSON_AddStringToObject(o, "signal", cfg->signals[l->signal].id);
        cJSON *ex = cJSON_AddArrayToObject(o, "exit_lines");
        for (size_t k = 0; ex && k < l->n_exits; k++)
            cJSON_AddItemToArray(ex, cJSON_CreateString(cam->lines[l->exits[k]].id));
    }
    return a;
}

static cJSON *signals_json(const struct oc_config *cfg, const struct oc_camera_cfg *cam,
                           const struct oc_scene *sc)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < sc->n_signals; i++) {
        const struct oc_scene_signal *s = &sc->signals[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "id", cfg->signals[s->signal].id);
        cJSON_AddStringToObject(o, "state", oc_sig_state_name(s->state));
        if (s->state == OC_SIG_RED)
            cJSON_AddNumberToObject(o, "red_since", (double)s->onset);
        cJSON *ls = cJSON_AddArrayToObject(o, "lines");
        for (size_t l = 0; ls && l < cam->n_lines; l++)
            if (cam->lines[l].signal == s->signal)
                cJSON_AddItemToArray(ls, cJSON_CreateString(cam->lines[l].id));
    }
    return a;
}

static cJSON *tracks_json(const struct oc_scene *sc)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < sc->n_tracks; i++) {
        const struct oc_scene_track *t = &sc->tracks[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "id", t->id);
        cJSON_AddStringToObject(o, "class", t->cls);
        cJSON_AddItemToObject(o, "box", num_array(t->box, 4));
        cJSON_AddItemToObject(o, "anchor", point(t->anchor));
        cJSON_AddNumberToObject(o, "first_ts", (double)t->first_ts);
        cJSON_AddNumberToObject(o, "last_ts", (double)t->last_ts);
        cJSON_AddNumberToObject(o, "conf", t->conf);
    }
    return a;
}

static cJSON *stays_json(const struct oc_camera_cfg *cam, const struct oc_scene *sc)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < sc->n_stays; i++) {
        const struct oc_scene_stay *s = &sc->stays[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        cJSON_AddNumberToObject(o, "id", s->id);
        if (s->zone >= 0 && (size_t)s->zone < cam->n_zones)
            cJSON_AddStringToObject(o, "zone", cam->zones[s->zone].id);
        cJSON_AddStringToObject(o, "track", s->track);
        cJSON_AddItemToObject(o, "box", num_array(s->box, 4));
        cJSON_AddNumberToObject(o, "start", (double)s->start);
        cJSON_AddNumberToObject(o, "last_ts", (double)s->last_ts);
        cJSON_AddNumberToObject(o, "dwell_s", (double)s->dwell_ms / 1000.0);
        cJSON_AddNumberToObject(o, "limit_s", (double)s->limit_ms / 1000.0);
        cJSON_AddBoolToObject(o, "emitted", s->emitted);
    }
    return a;
}

static cJSON *violations_json(const struct oc_scene_violation *v, size_t nv)
{
    cJSON *a = cJSON_CreateArray();
    size_t from = nv > OC_SCENE_VIOLATIONS_MAX ? nv - OC_SCENE_VIOLATIONS_MAX : 0;
    for (size_t i = from; a && i < nv; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "type", v[i].type);
        cJSON_AddNumberToObject(o, "seq", (double)v[i].seq);
        cJSON_AddNumberToObject(o, "ts", (double)v[i].ts);
        if (v[i].track[0])
            cJSON_AddStringToObject(o, "track", v[i].track);
        if (v[i].where[0])
            cJSON_AddStringToObject(o, "where", v[i].where);
        if (v[i].box[2] > 0)
            cJSON_AddItemToObject(o, "box", num_array(v[i].box, 4));
    }
    return a;
}

char *oc_scene_json(const struct oc_config *cfg, const struct oc_scene *sc,
                    const struct oc_scene_violation *v, size_t nv, int64_t now_ms, size_t *len)
{
    if (sc->camera < 0 || (size_t)sc->camera >= cfg->n_cameras)
        return NULL;
    const struct oc_camera_cfg *cam = &cfg->cameras[sc->camera];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "camera", cam->id);
    cJSON_AddNumberToObject(o, "width", cam->width);
    cJSON_AddNumberToObject(o, "height", cam->height);
    if (sc->has_clock)
        cJSON_AddNumberToObject(o, "clock", (double)sc->clock);
    else
        cJSON_AddNullToObject(o, "clock");
    cJSON_AddNumberToObject(o, "box_time", (double)now_ms);
    cJSON_AddItemToObject(o, "zones", zones_json(cam));
    cJSON_AddItemToObject(o, "lines", lines_json(cfg, cam));
    cJSON_AddItemToObject(o, "signals", signals_json(cfg, cam, sc));
    cJSON_AddItemToObject(o, "tracks", tracks_json(sc));
    cJSON_AddNumberToObject(o, "tracks_total", (double)sc->tracks_total);
    cJSON_AddItemToObject(o, "stays", stays_json(cam, sc));
    cJSON_AddNumberToObject(o, "stays_total", (double)sc->stays_total);
    cJSON_AddItemToObject(o, "violations", violations_json(v, nv));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s && len)
        *len = strlen(s);
    return s;
}
