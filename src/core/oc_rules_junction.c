/* The junction as Chinese traffic law sees it (docs/violations.md
 * "Junctions"): movements of a stop line with their own signals and free
 * right turn on red, waiting areas, guide lanes (wrong_lane_movement),
 * illegal_uturn, solid_line_crossing and fail_to_yield. Called from
 * oc_rules.c only for cameras that configure one of them. */
#include "oc_engine_int.h"
#include "oc_rules_int.h"

#include <math.h>
#include <string.h>

/* fail_to_yield waits this long after the crossing for its "after" key. */
#define YIELD_AFTER_MS 1000
/* A pedestrian counts as on the crosswalk when seen there this recently. */
#define YIELD_PED_FRESH_MS 1000

/* Emits for a track; signal names the record's signal (-1: the line's). */
static struct oc_pending *emit(struct oc_engine *e, int ci, const struct oc_track *tr, int vtype,
                               int64_t ts, int64_t ts_start, int zone, int line, int signal)
{
    struct oc_pending *p = oc_engine__emit(e, ci, tr, vtype, ts, ts_start, zone, line);
    if (p)
        p->signal1 = signal + 1;
    return p;
}

/* The three stop-line keys: before the line, after it, and now. */
static void line_keys(struct oc_pending *p, const struct oc_lstate *ls, int64_t t,
                      const double box[4])
{
    oc_rules__key(p, ls->t_before, ls->box_before);
    oc_rules__key(p, ls->t_after, ls->box_after);
    oc_rules__key(p, t, box);
}

/* ---- movements ---- */

/* True when sig is red at tc; *in_grace when red but inside grace_ms. */
static bool red_past_grace(struct oc_engine *e, int sig, int64_t tc, int64_t grace_ms,
                           bool *in_grace)
{
    int64_t onset = 0;
    if (sig < 0 || oc_signal_at(&e->signals[sig], tc, &onset) != OC_SIG_RED)
        return false;
    if (tc - onset < grace_ms) {
        *in_grace = true;
        return false;
    }
    return true;
}

/* The guide lane of stop line li holding point a, -1 if none. */
static int lane_at(const struct oc_camera_cfg *cc, int li, struct oc_pt a)
{
    for (size_t zi = 0; zi < cc->n_zones; zi++)
        if (cc->zones[zi].kind == OC_ZONE_GUIDE_LANE && cc->zones[zi].stop_line == li &&
            oc_geom_inside(&cc->zones[zi].poly, a))
            return (int)zi;
    return -1;
}

void oc_junction_stop(struct oc_engine *e, int ci, struct oc_track *tr, int li, int64_t tc,
                      struct oc_pt prev, int64_t prev_ts, const double prev_box[4], int64_t t)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    const struct oc_line_cfg *line = &cc->lines[li];
    struct oc_lstate *ls = &tr->l[li];
    int g = oc_rules__line_group(tr->cls);
    if (g < 0 || !oc_rules__class_in(line->classes, tr->cls) || ls->done)
        return;
    uint8_t red = 0;
    bool in_grace = false, judge = false;
    for (size_t m = 0; m < line->n_movements; m++) {
        const struct oc_movement_cfg *mv = &line->movements[m];
        if (red_past_grace(e, mv->signal, tc, line->grace_ms[g], &in_grace))
            red |= (uint8_t)(1u << m);
        judge |= mv->forbidden;
    }
    if (!red && in_grace)
        e->counters[OC_C_RED_IN_GRACE]++;
    if (ls->mv_open && (ls->red_mask || !red))
        return; /* the first crossing decides, unless a later one is the first on red */
    int lane = g == OC_LG_MOTOR ? lane_at(cc, li, prev) : -1;
    if (!red && lane < 0 && !judge)
        return; /* nothing this crossing could make */
    ls->mv_open = true;
    ls->red_mask = red;
    ls->all_red = red == (uint8_t)((1u << line->n_movements) - 1);
    ls->lane = (int16_t)lane;
    ls->group = g;
    oc_rules__note_crossing(ls, tc, prev_ts, prev_box, t, tr->box);
    ls->deadline = tc + line->window_ms[g];
}

static int movement_of(const struct oc_line_cfg *line, int exit_li)
{
    for (size_t m = 0; m < line->n_movements; m++)
        for (size_t k = 0; k < line->movements[m].n_exits; k++)
            if (line->movements[m].exits[k] == exit_li)
                return (int)m;
    return -1;
}

/* The red judgement of a crossing that left by movement m at tc. */
static void judge_movement(struct oc_engine *e, int ci, struct oc_track *tr, int li, int m,
                           int64_t tc, int64_t t)
{
    const struct oc_line_cfg *line = &e->cams[ci].cfg->lines[li];
    const struct oc_movement_cfg *mv = &line->movements[m];
    struct oc_lstate *ls = &tr->l[li];
    bool red = ls->red_mask & (1u << m);
    bool in_time = tc <= ls->t_cross + mv->exit_ms[ls->group];
    int type = -1;
    if (mv->name == OC_MV_UTURN && ls->group == OC_LG_MOTOR && (mv->forbidden || (red && in_time)))
        type = OC_V_ILLEGAL_UTURN;
    else if (red && mv->free_on_red)
        e->counters[OC_C_FREE_RIGHT_ON_RED]++;
    else if (red && in_time)
        type = ls->group == OC_LG_MOTOR ? OC_V_RED_LIGHT : OC_V_NONMOTOR_RED_LIGHT;
    else if (ls->all_red && ls->group == OC_LG_MOTOR)
        type = OC_V_STOP_LINE_CROSSING; /* stopped past the line, then left too late */
    if (type < 0)
        return;
    int sig = type == OC_V_STOP_LINE_CROSSING ? line->signal : mv->signal;
    struct oc_pending *p = emit(e, ci, tr, type, tc, ls->t_cross, -1, li, sig);
    line_keys(p, ls, t, tr->box);
}

static void judge_lane(struct oc_engine *e, int ci, struct oc_track *tr, int li, int m, int64_t tc,
                       int64_t t)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    struct oc_lstate *ls = &tr->l[li];
    if (ls->lane < 0)
        return;
    const struct oc_zone_cfg *lane = &cc->zones[ls->lane];
    if (!oc_rules__class_in(lane->classes, tr->cls) ||
        (lane->mv_mask & (1u << cc->lines[li].movements[m].name)))
        return;
    struct oc_pending *p =
        emit(e, ci, tr, OC_V_WRONG_LANE_MOVEMENT, tc, ls->t_cross, ls->lane, li, -1);
    line_keys(p, ls, t, tr->box); /* in the lane, at the line, at the exit */
}

void oc_junction_exit(struct oc_engine *e, int ci, struct oc_track *tr, int exit_li, int64_t tc,
                      int64_t t)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    for (size_t li = 0; li < cc->n_lines; li++) {
        struct oc_lstate *ls = &tr->l[li];
        if (!ls->mv_open || tc > ls->deadline || tc < ls->t_cross)
            continue;
        int m = movement_of(&cc->lines[li], exit_li);
        if (m < 0)
            continue;
        judge_movement(e, ci, tr, (int)li, m, tc, t);
        judge_lane(e, ci, tr, (int)li, m, tc, t);
        ls->mv_open = false;
        ls->done = true; /* once per track and line */
    }
}

void oc_junction_timer(struct oc_engine *e, int ci, struct oc_track *tr, int li, int64_t before,
                       int64_t end)
{
    struct oc_lstate *ls = &tr->l[li];
    if (!ls->mv_open || ls->deadline >= before || ls->deadline > end)
        return;
    ls->mv_open = false;
    ls->done = true;
    if (!ls->all_red)
        return; /* a lawful movement was open: stopping past the line is no offence */
    if (ls->group != OC_LG_MOTOR) {
        e->counters[OC_C_NONMOTOR_NO_EXIT]++;
        return;
    }
    const struct oc_line_cfg *line = &e->cams[ci].cfg->lines[li];
    struct oc_pending *p =
        emit(e, ci, tr, OC_V_STOP_LINE_CROSSING, ls->deadline, ls->t_cross, -1, li, line->signal);
    line_keys(p, ls, ls->deadline, tr->box);
}

void oc_junction_track_end(struct oc_engine *e, int ci, struct oc_track *tr)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    for (size_t li = 0; li < cc->n_lines; li++) {
        struct oc_lstate *ls = &tr->l[li];
        if (ls->y_pending) {
            ls->y_pending = false;
            const struct oc_line_cfg *line = &cc->lines[li];
            struct oc_pending *p = emit(e, ci, tr, OC_V_FAIL_TO_YIELD, tr->last_ts, ls->t_cross,
                                        line->crosswalk, (int)li, line->signal);
            oc_rules__key(p, ls->t_before, ls->box_before);
            oc_rules__key(p, ls->t_after, ls->box_after);
        }
        if (!ls->mv_open)
            continue;
        ls->mv_open = false;
        if (ls->red_mask)
            e->counters[ls->group == OC_LG_MOTOR ? OC_C_UNCONFIRMED : OC_C_NONMOTOR_NO_EXIT]++;
    }
}

/* ---- waiting areas ---- */

/* A track whose anchor is in a waiting area after crossing its stop line:
 * entering while both the entry and the release signal were red is
 * red_light at the stop line at once; entering otherwise hands the area's
 * movement to the front line. */
static void waiting_area(struct oc_engine *e, int ci, struct oc_track *tr, int zi, int64_t t)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    const struct oc_zone_cfg *z = &cc->zones[zi];
    struct oc_zstate *zs = &tr->z[zi];
    struct oc_lstate *ls = &tr->l[z->stop_line];
    const struct oc_line_cfg *line = &cc->lines[z->stop_line];
    if (zs->emitted || !zs->inside || !(ls->mv_open || ls->pending))
        return;
    zs->emitted = true; /* once per track and area */
    bool in_grace = false;
    int64_t grace = line->grace_ms[ls->group];
    int release = cc->lines[z->front_line].signal;
    if (red_past_grace(e, z->entry_signal, ls->t_cross, grace, &in_grace) &&
        red_past_grace(e, release, ls->t_cross, grace, &in_grace)) {
        int type = ls->group == OC_LG_MOTOR ? OC_V_RED_LIGHT : OC_V_NONMOTOR_RED_LIGHT;
        struct oc_pending *p =
            emit(e, ci, tr, type, t, ls->t_cross, -1, z->stop_line, z->entry_signal);
        line_keys(p, ls, t, tr->box);
        ls->mv_open = ls->pending = false;
        ls->done = true;
        tr->l[z->front_line].done = true; /* one offence, not one per line */
        return;
    }
    if (ls->pending) { /* a stop line without movements: the front line judges */
        ls->pending = false;
        return;
    }
    for (size_t m = 0; m < line->n_movements; m++)
        if ((int)line->movements[m].name == z->movement)
            ls->red_mask &= (uint8_t) ~(1u << m);
    ls->all_red = false;
}

/* ---- solid lines ---- */

/* Signed distance of a from the line through p, q (positive on the left). */
static double side_dist(const struct oc_line_cfg *l, struct oc_pt a)
{
    double dx = l->q.x - l->p.x, dy = l->q.y - l->p.y;
    return (dx * (a.y - l->p.y) - dy * (a.x - l->p.x)) / hypot(dx, dy);
}

/* side: the last side the anchor was strictly on (an anchor exactly on the
 * line keeps it), so landing on the line and then going over is a crossing. */
static void solid_line(struct oc_engine *e, int ci, struct oc_track *tr, int li, bool has_prev,
                       struct oc_pt prev, struct oc_pt a, int64_t prev_ts, const double prev_box[4],
                       int64_t t)
{
    const struct oc_line_cfg *line = &e->cams[ci].cfg->lines[li];
    struct oc_lstate *ls = &tr->l[li];
    if (ls->done || !oc_rules__class_in(line->classes, tr->cls))
        return;
    double f, d1 = side_dist(line, a);
    int s1 = d1 > 0 ? 1 : d1 < 0 ? -1 : 0;
    if (!ls->s_pending && has_prev && ls->side && s1 == -ls->side &&
        oc_geom_cross(prev, a, line->p, line->q, &f)) {
        ls->s_pending = true;
        ls->reached = false;
        oc_rules__note_crossing(ls, prev_ts + llround(f * (double)(t - prev_ts)), prev_ts, prev_box,
                                t, tr->box);
    }
    if (!ls->s_pending) {
        if (s1)
            ls->side = (int8_t)s1;
        return;
    }
    double depth = -ls->side * d1; /* how far past the line, on the far side */
    if (depth <= 0) {
        ls->s_pending = false; /* back on (or at) its own side: box jitter, not a crossing */
        if (s1)
            ls->side = (int8_t)s1;
        return;
    }
    if (depth >= line->min_overlap_px)
        ls->reached = true;
    if (!ls->reached || t - ls->t_cross < line->confirm_ms)
        return;
    ls->s_pending = false;
    ls->done = true; /* once per track and line */
    struct oc_pending *p = emit(e, ci, tr, OC_V_SOLID_LINE_CROSSING, t, ls->t_cross, -1, li, -1);
    line_keys(p, ls, t, tr->box);
}

/* ---- yielding to pedestrians ---- */

/* The half-crosswalk rule (docs/violations.md "fail_to_yield"): ped is in
 * the vehicle's path (within half its box width of the line of travel
 * through its anchor a, direction v), or walking towards that path and at
 * most yield_px from its edge. */
static bool ped_conflicts(const struct oc_track *veh, struct oc_pt a, struct oc_pt v,
                          const struct oc_track *ped, const struct oc_zstate *pz, double yield_px)
{
    double half = veh->box[2] / 2;
    double s = v.x * (ped->anchor.y - a.y) - v.y * (ped->anchor.x - a.x);
    if (fabs(s) <= half)
        return true;
    struct oc_pt w = {ped->anchor.x - pz->entry.x, ped->anchor.y - pz->entry.y};
    double u = v.x * w.y - v.y * w.x; /* its walk across the path since it stepped on */
    return fabs(u) >= 1 && (s > 0) != (u > 0) && fabs(s) - half <= yield_px;
}

void oc_junction_yield(struct oc_engine *e, int ci, struct oc_track *tr, int li, int64_t tc,
                       struct oc_pt prev, int64_t prev_ts, const double prev_box[4], int64_t t)
{
    struct oc_cam *c = &e->cams[ci];
    const struct oc_line_cfg *line = &c->cfg->lines[li];
    struct oc_lstate *ls = &tr->l[li];
    if (ls->done || !oc_rules__class_in(line->classes, tr->cls))
        return;
    int64_t onset = 0;
    if (line->signal >= 0 && oc_signal_at(&e->signals[line->signal], tc, &onset) == OC_SIG_RED)
        return; /* pedestrians crossing on their red have no right of way */
    struct oc_pt a = tr->anchor;
    double len = hypot(a.x - prev.x, a.y - prev.y);
    if (len == 0)
        return;
    struct oc_pt v = {(a.x - prev.x) / len, (a.y - prev.y) / len};
    bool conflict = false;
    for (const struct oc_track *p = c->oldest; p && !conflict; p = p->next) {
        const struct oc_zstate *pz = &p->z[line->crosswalk];
        conflict = p != tr && oc_class_group(p->cls) == OC_GRP_PEDESTRIAN && pz->inside &&
                   pz->active && p->last_ts >= tc - YIELD_PED_FRESH_MS &&
                   ped_conflicts(tr, a, v, p, pz, line->yield_px);
    }
    if (!conflict)
        return;
    ls->done = true; /* once per track and line */
    ls->y_pending = true;
    oc_rules__note_crossing(ls, tc, prev_ts, prev_box, t, tr->box);
}

/* ---- per observation ---- */

void oc_junction_observe(struct oc_engine *e, int ci, struct oc_track *tr, bool has_prev,
                         struct oc_pt prev, int64_t prev_ts, const double prev_box[4], int64_t t)
{
    const struct oc_camera_cfg *cc = e->cams[ci].cfg;
    for (size_t zi = 0; zi < cc->n_zones; zi++) {
        struct oc_zstate *zs = &tr->z[zi];
        switch (cc->zones[zi].kind) {
        case OC_ZONE_CROSSWALK: /* where each object stepped on: its walking direction */
            if (zs->inside && !zs->active) {
                zs->entry = tr->anchor;
                zs->start = t;
            }
            zs->active = zs->inside;
            break;
        case OC_ZONE_WAITING_AREA: waiting_area(e, ci, tr, (int)zi, t); break;
        default: break;
        }
    }
    for (size_t li = 0; li < cc->n_lines; li++) {
        struct oc_lstate *ls = &tr->l[li];
        if (cc->lines[li].kind == OC_LINE_SOLID) {
            solid_line(e, ci, tr, (int)li, has_prev, prev, tr->anchor, prev_ts, prev_box, t);
        } else if (ls->y_pending && t >= ls->t_cross + YIELD_AFTER_MS) {
            ls->y_pending = false;
            const struct oc_line_cfg *line = &cc->lines[li];
            struct oc_pending *p = emit(e, ci, tr, OC_V_FAIL_TO_YIELD, t, ls->t_cross,
                                        line->crosswalk, (int)li, line->signal);
            line_keys(p, ls, t, tr->box);
        }
    }
}
