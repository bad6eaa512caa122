/* What each violation type means (docs/violations.md): stop lines and exit
 * windows, stays and dwell, jaywalking, wrong way, helmets, camera events.
 * Each type is decided here and nowhere else. */
#include "oc_engine_int.h"
#include "oc_rules_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_DEDUP_MS (24LL * 3600 * 1000)

/* ---- stop lines, exit lines ---- */

static int red_type(int lg)
{
    return lg == OC_LG_MOTOR      ? OC_V_RED_LIGHT
           : lg == OC_LG_NONMOTOR ? OC_V_NONMOTOR_RED_LIGHT
                                  : OC_V_PEDESTRIAN_RED_LIGHT;
}

static void stop_crossing(struct oc_engine *e, int ci, struct oc_track *tr, int li, int64_t tc,
                          int64_t prev_ts, const double prev_box[4], int64_t t)
{
    const struct oc_line_cfg *line = &e->cams[ci].cfg->lines[li];
    struct oc_lstate *ls = &tr->l[li];
    int lg = oc_rules__line_group(tr->cls);
    if (lg < 0 || !oc_rules__class_in(line->classes, tr->cls) || ls->done || ls->pending)
        return;
    int64_t onset = 0;
    if (oc_signal_at(&e->signals[line->signal], tc, &onset) != OC_SIG_RED)
        return;
    if (tc - onset < line->grace_ms[lg]) {
        e->counters[OC_C_RED_IN_GRACE]++;
        return;
    }
    ls->group = lg;
    oc_rules__note_crossing(ls, tc, prev_ts, prev_box, t, tr->box);
    if (lg == OC_LG_PEDESTRIAN || line->n_exits == 0) {
        struct oc_pending *p = oc_engine__emit(e, ci, tr, red_type(lg), tc, tc, -1, li);
        oc_rules__key(p, prev_ts, prev_box);
        oc_rules__key(p, t, tr->box);
        ls->done = true;
        return;
    }
    ls->pending = true;
    ls->deadline = tc + line->exit_ms[lg];
}

static void exit_crossing(struct oc_engine *e, int ci, struct oc_track *tr, int exit_li, int64_t tc,
                          int64_t t)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    for (size_t li = 0; li < cc->n_lines; li++) {
        struct oc_lstate *ls = &tr->l[li];
        if (!ls->pending || tc > ls->deadline)
            continue;
        const struct oc_line_cfg *line = &cc->lines[li];
        bool listed = false;
        for (size_t k = 0; k < line->n_exits && !listed; k++)
            listed = line->exits[k] == exit_li;
        if (!listed)
            continue;
        struct oc_pending *p =
            oc_engine__emit(e, ci, tr, red_type(ls->group), tc, ls->t_cross, -1, (int)li);
        oc_rules__key(p, ls->t_before, ls->box_before);
        oc_rules__key(p, ls->t_after, ls->box_after);
        oc_rules__key(p, t, tr->box); /* the observation past the line: its box is at its time */
        ls->pending = false;
        ls->done = true;
    }
}

static void lines_observe(struct oc_engine *e, int ci, struct oc_track *tr, struct oc_pt prev,
                          struct oc_pt a, int64_t prev_ts, int64_t t, const double prev_box[4])
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    for (size_t li = 0; li < cc->n_lines; li++) {
        const struct oc_line_cfg *line = &cc->lines[li];
        double f;
        if (line->kind == OC_LINE_SOLID) /* no direction: oc_junction_observe */
            continue;
        if (!oc_geom_cross(prev, a, line->p, line->q, &f))
            continue;
        if ((a.x - prev.x) * line->dir.x + (a.y - prev.y) * line->dir.y <= 0)
            continue;
        int64_t tc = prev_ts + llround(f * (double)(t - prev_ts));
        if (line->kind == OC_LINE_STOP && line->n_movements &&
            oc_rules__line_group(tr->cls) != OC_LG_PEDESTRIAN) {
            oc_junction_stop(e, ci, tr, (int)li, tc, prev, prev_ts, prev_box, t);
        } else if (line->kind == OC_LINE_STOP) {
            stop_crossing(e, ci, tr, (int)li, tc, prev_ts, prev_box, t);
        } else if (line->kind == OC_LINE_YIELD) {
            oc_junction_yield(e, ci, tr, (int)li, tc, prev, prev_ts, prev_box, t);
        } else {
            exit_crossing(e, ci, tr, (int)li, tc, t);
            if (cc->has_junction)
                oc_junction_exit(e, ci, tr, (int)li, tc, t);
        }
    }
}

/* ---- jaywalking and wrong way: straight-line travel inside a region ---- */

static void region_observe(struct oc_engine *e, int ci, struct oc_track *tr, int zi, bool in,
                           struct oc_pt a, int64_t t)
{
    struct oc_zstate *zs = &tr->z[zi];
    const struct oc_zone_cfg *zone = &e->cams[ci].cfg->zones[zi];
    if (!in) {
        zs->active = false;
        return;
    }
    if (!zs->active) {
        zs->active = true;
        zs->entry = a;
        zs->start = t;
        memcpy(zs->start_box, tr->box, sizeof zs->start_box);
    }
    if (zs->emitted || !oc_rules__class_in(zone->classes, tr->cls))
        return;
    struct oc_pt d = {a.x - zs->entry.x, a.y - zs->entry.y};
    double len = hypot(d.x, d.y);
    if (len < zone->min_travel_px)
        return;
    if (zone->kind == OC_ZONE_LANE && (d.x * zone->dir.x + d.y * zone->dir.y) / len > -0.5)
        return;
    struct oc_pending *p = oc_engine__emit(e, ci, tr, zone->vtype, t, zs->start, zi, -1);
    oc_rules__key(p, zs->start, zs->start_box);
    oc_rules__key(p, t, tr->box);
    zs->emitted = true; /* once per track and zone */
}

/* ---- helmets ---- */

static void helmet_observe(struct oc_engine *e, int ci, struct oc_track *tr, const struct oc_obj *o,
                           const bool *inside, int64_t t)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    if (o->helmet == OC_HELMET_UNKNOWN || tr->helmet_done)
        return;
    int zone = -1;
    int min_frames = cc->helmet_min_frames;
    if (cc->has_helmet_zones) {
        for (size_t zi = 0; zi < cc->n_zones && zone < 0; zi++)
            if (cc->zones[zi].kind == OC_ZONE_HELMET_ENFORCEMENT && inside[zi])
                zone = (int)zi;
        if (zone < 0)
            return; /* outside enforcement zones: counts neither way */
        min_frames = cc->zones[zone].min_frames;
    }
    tr->helmet_obs++;
    if (o->helmet == OC_HELMET_NO) {
        if (tr->helmet_false++ == 0) {
            tr->helmet_first_false = t;
            memcpy(tr->helmet_first_box, tr->box, sizeof tr->helmet_first_box);
        }
    }
    if (tr->cls != OC_CLS_MOTORCYCLE && tr->cls != OC_CLS_EBIKE)
        return;
    if (tr->helmet_false < (uint32_t)min_frames ||
        (uint64_t)tr->helmet_false * 5 < (uint64_t)tr->helmet_obs * 3)
        return;
    struct oc_pending *p =
        oc_engine__emit(e, ci, tr, OC_V_NO_HELMET, t, tr->helmet_first_false, zone, -1);
    oc_rules__key(p, tr->helmet_first_false, tr->helmet_first_box);
    oc_rules__key(p, t, tr->box);
    tr->helmet_done = true;
}

/* ---- the observation entry point ---- */

void oc_rules_observe(struct oc_engine *e, int ci, struct oc_track *tr, const struct oc_obj *o,
                      int64_t t, bool has_prev, struct oc_pt prev, int64_t prev_ts,
                      const double prev_box[4], bool is_new)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    struct oc_pt a = {o->x + o->w / 2, o->y + o->h};
    bool inside[256 + 1];
    bool in_crosswalk = false;
    for (size_t zi = 0; zi < cc->n_zones; zi++) {
        inside[zi] = oc_geom_inside(&cc->zones[zi].poly, a);
        if (inside[zi] && cc->zones[zi].kind == OC_ZONE_CROSSWALK)
            in_crosswalk = true;
    }
    helmet_observe(e, ci, tr, o, inside, t);
    if (!is_new && !has_prev)
        return; /* an older or same-time observation: no motion to judge */
    if (has_prev)
        lines_observe(e, ci, tr, prev, a, prev_ts, t, prev_box);
    oc_stay_note(e, ci, tr); /* stays are judged per frame (oc_stay.c) */
    for (size_t zi = 0; zi < cc->n_zones; zi++) {
        switch (cc->zones[zi].kind) {
        case OC_ZONE_CARRIAGEWAY:
            region_observe(e, ci, tr, (int)zi, inside[zi] && !in_crosswalk, a, t);
            break;
        case OC_ZONE_LANE: region_observe(e, ci, tr, (int)zi, inside[zi], a, t); break;
        default: break;
        }
        tr->z[zi].inside = inside[zi];
    }
    if (cc->has_junction)
        oc_junction_observe(e, ci, tr, has_prev, prev, prev_ts, prev_box, t);
}

/* ---- timers ---- */

int64_t oc_rules_next_deadline(const struct oc_engine *e, int ci, const struct oc_track *tr)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    int64_t next = NO_DEADLINE;
    for (size_t li = 0; li < cc->n_lines; li++)
        if ((tr->l[li].pending || tr->l[li].mv_open) && tr->l[li].deadline < next)
            next = tr->l[li].deadline;
    return next;
}

void oc_rules_timers(struct oc_engine *e, int ci, struct oc_track *tr, int64_t before)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    int64_t end = tr->last_ts + cc->track_timeout_ms;
    for (size_t li = 0; li < cc->n_lines; li++) {
        struct oc_lstate *ls = &tr->l[li];
        if (ls->mv_open)
            oc_junction_timer(e, ci, tr, (int)li, before, end);
        if (!ls->pending || ls->deadline >= before || ls->deadline > end)
            continue;
        ls->pending = false;
        ls->done = true;
        if (ls->group != OC_LG_MOTOR) {
            e->counters[OC_C_NONMOTOR_NO_EXIT]++; /* stop_line_crossing is for motor tracks */
            continue;
        }
        struct oc_pending *p = oc_engine__emit(e, ci, tr, OC_V_STOP_LINE_CROSSING, ls->deadline,
                                               ls->t_cross, -1, (int)li);
        oc_rules__key(p, ls->t_before, ls->box_before);
        oc_rules__key(p, ls->t_after, ls->box_after);
        oc_rules__key(p, ls->deadline, tr->box);
    }
}

void oc_rules_track_end(struct oc_engine *e, int ci, struct oc_track *tr)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    for (size_t li = 0; li < cc->n_lines; li++) {
        if (!tr->l[li].pending)
            continue;
        tr->l[li].pending = false;
        e->counters[tr->l[li].group == OC_LG_MOTOR ? OC_C_UNCONFIRMED : OC_C_NONMOTOR_NO_EXIT]++;
    }
    if (cc->has_junction)
        oc_junction_track_end(e, ci, tr);
    oc_stay_track_end(e, ci, tr); /* stays outlive their tracks */
}

/* ---- camera events ---- */

static bool event_seen(struct oc_engine *e, struct oc_cam *c, const char *id, int64_t ts)
{
    size_t cap = e->cfg->max_event_ids;
    for (size_t k = 0; k < c->ev_n; k++) {
        const struct oc_event_id *x = &c->event_ids[(c->ev_head + cap - k) % cap];
        if (llabs(x->ts - ts) <= EVENT_DEDUP_MS && strcmp(x->id, id) == 0)
            return true;
    }
    c->ev_head = (c->ev_head + 1) % cap;
    struct oc_event_id *slot = &c->event_ids[c->ev_head];
    if (c->ev_n == cap && llabs(slot->ts - ts) <= EVENT_DEDUP_MS)
        e->counters[OC_C_EVENT_DEDUP_EVICTED]++;
    if (c->ev_n < cap)
        c->ev_n++;
    memcpy(slot->id, id, strlen(id) + 1);
    slot->ts = ts;
    return false;
}

void oc_rules_camera_event(struct oc_engine *e, int ci, const struct oc_cam_event *ev)
{
    struct oc_cam *c = &e->cams[ci];
    const struct oc_camera_cfg *cc = c->cfg;
    int t = oc_config_vtype(e->cfg, ev->type);
    if (t < OC_V_BUILTIN || !(cc->event_types & ((uint64_t)1 << t))) {
        e->counters[OC_C_EVENT_IGNORED_TYPE]++;
        return;
    }
    int zone = -1;
    const struct oc_obj *o = ev->has_object ? &ev->object : NULL;
    if (cc->n_event_zones) {
        struct oc_pt a = o ? (struct oc_pt){o->x + o->w / 2, o->y + o->h} : (struct oc_pt){0, 0};
        for (size_t k = 0; o && k < cc->n_event_zones && zone < 0; k++)
            if (oc_geom_inside(&cc->zones[cc->event_zones[k]].poly, a))
                zone = cc->event_zones[k];
        if (zone < 0) {
            e->counters[OC_C_EVENT_OUTSIDE_ZONE]++;
            return;
        }
    }
    if (ev->id && event_seen(e, c, ev->id, ev->ts)) {
        e->counters[OC_C_EVENT_DUPLICATE]++;
        return;
    }
    struct oc_pending *p = oc_engine__emit_raw(e, ci, t, ev->ts, ev->ts);
    if (!p)
        return;
    p->conf = ev->conf;
    p->zone = zone;
    double box[4] = {0, 0, 0, 0};
    if (o) {
        p->has_track = true;
        memcpy(p->track, o->id, strlen(o->id) + 1);
        p->cls = oc_engine__class_id(e, o->cls);
        if (o->plate)
            memcpy(p->plate, o->plate, strlen(o->plate) + 1);
        box[0] = o->x;
        box[1] = o->y;
        box[2] = o->w;
        box[3] = o->h;
    }
    oc_rules__key(p, ev->ts, box);
}
