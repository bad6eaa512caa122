/* Stays in dwell zones: the object at a place, not the track. Each camera
 * keeps stationary-object hypotheses (a reference box, a start, reported or
 * not); at every detection message the frame's boxes are matched to them,
 * best overlap first, so re-numbered tracks, id hops, duplicate and partial
 * boxes all feed the stay of the object they show (docs/violations.md). */
#include "oc_engine_int.h"
#include "oc_rules_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { HOW_NONE, HOW_FULL, HOW_PART, HOW_DUP };

static bool is_dwell(enum oc_zone_kind k)
{
    return k == OC_ZONE_NO_PARKING || k == OC_ZONE_TACTILE_PAVING || k == OC_ZONE_NO_VENDING;
}

static bool same_kind(int a, int b)
{
    enum oc_group ga = oc_class_group(a);
    return ga == oc_class_group(b) && (ga != OC_GRP_NONE || a == b);
}

static double area(const double b[4])
{
    return b[2] * b[3];
}

static double inter(const double a[4], const double b[4])
{
    double w = fmin(a[0] + a[2], b[0] + b[2]) - fmax(a[0], b[0]);
    double h = fmin(a[1] + a[3], b[1] + b[3]) - fmax(a[1], b[1]);
    return w > 0 && h > 0 ? w * h : 0;
}

static double iou(const double a[4], const double b[4])
{
    double i = inter(a, b), u = area(a) + area(b) - i;
    return u > 0 ? i / u : 0;
}

/* The smaller box is a visible part of the larger one. */
static bool part_of(const double small[4], const double large[4], double min_share)
{
    double as = area(small), al = area(large);
    return al > 0 && as <= OC_STAY_PART_AREA * al && as >= min_share * al &&
           inter(small, large) >= OC_STAY_PART_IN * as;
}

/* Box b shows the object of a stay's reference: the same object at its
 * place (IoU >= OC_STAY_DUP_IOU) or a visible part of it. The tolerance
 * would take in the neighbouring place, 30-35 px away in a row of cars. */
static bool shows_object(const double ref[4], const double b[4])
{
    return iou(ref, b) >= OC_STAY_DUP_IOU || part_of(b, ref, OC_STAY_PART_MIN);
}

/* The distance between the centres of two boxes. */
static double centre_gap(const double a[4], const double b[4])
{
    return hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2);
}

static int64_t absent_ms(const struct oc_engine *e, int ci, const struct oc_zone_cfg *z)
{
    int64_t timeout = e->cams[ci].cfg->track_timeout_ms; /* per camera: frigate's is long */
    return z->reacquire_ms > timeout ? z->reacquire_ms : timeout;
}

static bool near_centre(const struct oc_zone_cfg *z, const double ref[4], const double b[4])
{
    double tol = fmax(z->still_px, z->still_frac * ref[3]);
    double dx = (b[0] + b[2] / 2) - (ref[0] + ref[2] / 2);
    double dy = (b[1] + b[3] / 2) - (ref[1] + ref[3] / 2);
    return dx * dx + dy * dy <= tol * tol;
}

/* Scale-aware stillness: the centre within max(still_px, still_frac * h). */
static bool near_ref(const struct oc_zone_cfg *z, const double ref[4], const double b[4])
{
    if (!near_centre(z, ref, b))
        return false;
    return b[2] <= ref[2] * OC_STAY_SIZE_RATIO && ref[2] <= b[2] * OC_STAY_SIZE_RATIO &&
           b[3] <= ref[3] * OC_STAY_SIZE_RATIO && ref[3] <= b[3] * OC_STAY_SIZE_RATIO;
}

static struct oc_stay *find(struct oc_stays *s, uint32_t id)
{
    for (size_t i = 0; id && i < s->n; i++)
        if (s->v[i].id == id)
            return &s->v[i];
    return NULL;
}

static size_t index_of(const struct oc_stays *s, const struct oc_stay *h)
{
    return (size_t)(h - s->v);
}

static void drop(struct oc_stays *s, size_t i)
{
    s->v[i] = s->v[--s->n]; /* order is irrelevant: ties break on id */
}

bool oc_stay_reserve(struct oc_stays *s, size_t n)
{
    if (n <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap : 8;
    while (cap < n)
        cap *= 2;
    struct oc_stay *v = realloc(s->v, cap * sizeof *v);
    if (!v)
        return false;
    s->v = v;
    s->cap = cap;
    return true;
}

void oc_stay_free(struct oc_stays *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---- reporting ---- */

/* Reports h at its deadline. gap_ts/gap_box: the last observation before a
 * gap the stay survived (gap_ts < 0: none); then the moment that ended the
 * gap is the third key. */
static void fire(struct oc_engine *e, int ci, struct oc_stay *h, int64_t gap_ts,
                 const double gap_box[4])
{
    const struct oc_zone_cfg *z = &e->cams[ci].cfg->zones[h->zone];
    int64_t ts = h->start + z->dwell_ms;
    h->emitted = true;
    struct oc_pending *p = oc_engine__emit_raw(e, ci, z->vtype, ts, h->start);
    if (!p)
        return;
    p->has_track = true;
    memcpy(p->track, h->track, sizeof p->track);
    p->cls = h->feed_cls;
    memcpy(p->plate, h->plate, sizeof p->plate);
    p->conf = h->conf;
    p->zone = h->zone;
    oc_rules__key(p, h->start, h->start_box);
    if (gap_ts >= 0) {
        oc_rules__key(p, gap_ts, gap_box);
        oc_rules__key(p, h->last_ts, h->full_box);
    } else {
        /* fired on an observation after the deadline (the stay was unboxed
         * across it, for less than track_timeout_s): the key is that
         * observation, not the deadline with a box seen after it */
        oc_rules__key(p, h->full_ts > ts ? h->full_ts : ts, h->full_box);
    }
}

static void keep(struct oc_engine *e, int ci, struct oc_stay *h, int64_t t)
{
    const struct oc_zone_cfg *z = &e->cams[ci].cfg->zones[h->zone];
    if (h->kept || h->emitted || !e->sink->keep || !oc_rules__class_in(z->classes, h->feed_cls) ||
        t - h->start < OC_STAY_KEEP_MS || z->dwell_ms <= OC_STAY_KEEP_MS)
        return;
    h->kept = true;
    e->sink->keep(e->ud, ci, h->start, h->start + z->dwell_ms + z->reacquire_ms);
}

/* ---- creating, feeding, leaving ---- */

static void run_add(struct oc_stay *h, const double b[4])
{
    h->run_x += b[0] + b[2] / 2;
    h->run_y += b[1] + b[3];
    h->run_n++;
}

static void run_restart(struct oc_stay *h, int64_t t, const double b[4])
{
    h->start = t;
    memcpy(h->start_box, b, sizeof h->start_box);
    h->run_x = h->run_y = 0;
    h->run_n = 0;
    h->has_out = false;
    run_add(h, b);
}

static double run_dist(const struct oc_stay *h, const double b[4])
{
    double dx = b[0] + b[2] / 2 - h->run_x / h->run_n, dy = b[1] + b[3] - h->run_y / h->run_n;
    return sqrt(dx * dx + dy * dy);
}

/* Both anchors off the run mean on the same side: moving, not jitter. */
static bool run_same_side(const struct oc_stay *h, const double a[4], const double b[4])
{
    double mx = h->run_x / h->run_n, my = h->run_y / h->run_n;
    return (a[0] + a[2] / 2 - mx) * (b[0] + b[2] / 2 - mx) +
               (a[1] + a[3] - my) * (b[1] + b[3] - my) >
           0;
}

/* The old stillness rule on anchors, for a stay not yet settled: one far
 * anchor is held back; a second in a row restarts the run at the first. */
static void run_observe(const struct oc_zone_cfg *z, struct oc_stay *h, int64_t t,
                        const double b[4])
{
    if (run_dist(h, b) <= z->still_px) {
        if (h->has_out)
            run_add(h, h->out_box);
        h->has_out = false;
        run_add(h, b);
    } else if (h->has_out && !run_same_side(h, h->out_box, b)) {
        run_add(h, h->out_box); /* far on both sides: jitter around the mean */
        run_add(h, b);
        h->has_out = false;
    } else if (!h->has_out) {
        h->has_out = true;
        h->out_ts = t;
        memcpy(h->out_box, b, sizeof h->out_box);
    } else {
        double ob[4];
        memcpy(ob, h->out_box, sizeof ob);
        run_restart(h, h->out_ts, ob);
        /* the reference follows the run too: the boxes of the approach
         * would pull it towards where the car came from */
        memcpy(h->sum, ob, sizeof h->sum);
        memcpy(h->ref, ob, sizeof h->ref);
        h->n = 1;
        if (run_dist(h, b) <= z->still_px) {
            run_add(h, b);
        } else {
            h->has_out = true;
            h->out_ts = t;
            memcpy(h->out_box, b, sizeof h->out_box);
        }
    }
}

static const char *best_plate(const struct oc_track *tr)
{
    int best = -1;
    for (int i = 0; i < OC_TRACK_PLATES; i++) {
        if (!tr->plate_n[i])
            continue;
        if (best < 0 || tr->plate_n[i] > tr->plate_n[best] ||
            (tr->plate_n[i] == tr->plate_n[best] && tr->plate_seen[i] > tr->plate_seen[best]))
            best = i;
    }
    return best < 0 ? "" : tr->plate[best];
}

static void take_feeder(struct oc_stay *h, const struct oc_track *tr)
{
    if (strcmp(h->track, tr->id) != 0) {
        if (h->track[0])
            h->shared = true;
        memcpy(h->track, tr->id, sizeof h->track);
    }
    const char *plate = best_plate(tr);
    memcpy(h->plate, plate, strlen(plate) + 1);
    h->feed_cls = tr->cls;
    h->conf = tr->conf;
}

/* Evicts the stay observed longest ago (ties: the oldest id). */
static void evict(struct oc_engine *e, struct oc_stays *s)
{
    size_t old = 0;
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i].last_ts < s->v[old].last_ts ||
            (s->v[i].last_ts == s->v[old].last_ts && s->v[i].id < s->v[old].id))
            old = i;
    drop(s, old);
    e->counters[OC_C_STAYS_EVICTED]++;
}

static struct oc_stay *create(struct oc_engine *e, int ci, int zi, struct oc_track *tr, int64_t t,
                              const double box[4])
{
    struct oc_cam *c = &e->cams[ci];
    struct oc_stays *s = &c->stays;
    size_t limit = e->cfg->max_tracks_per_camera;
    if (s->n >= limit || !oc_stay_reserve(s, s->n + 1)) {
        if (s->n == 0)
            return NULL;
        evict(e, s);
    }
    struct oc_stay *h = &s->v[s->n++];
    memset(h, 0, sizeof *h);
    if (++s->next_id == 0)
        s->next_id = 1;
    h->id = s->next_id;
    h->zone = zi;
    h->cls = tr->cls;
    h->start = h->last_ts = h->born = h->solid_ts = t;
    memcpy(h->start_box, box, sizeof h->start_box);
    memcpy(h->last_box, box, sizeof h->last_box);
    memcpy(h->full_box, box, sizeof h->full_box);
    h->full_ts = t;
    memcpy(h->sum, box, sizeof h->sum);
    memcpy(h->ref, box, sizeof h->ref);
    h->n = 1;
    run_restart(h, t, box);
    take_feeder(h, tr);
    struct oc_zstate *zs = &tr->z[zi];
    zs->stay = h->id;
    zs->bind_ts = t;
    zs->hopped = false;
    zs->has_out = false;
    const struct oc_zone_cfg *z = &c->cfg->zones[zi];
    if (t + z->dwell_ms < s->next_deadline)
        s->next_deadline = t + z->dwell_ms;
    if (t + absent_ms(e, ci, z) < s->next_expiry)
        s->next_expiry = t + absent_ms(e, ci, z);
    h->forget_at = NO_DEADLINE;
    return h;
}

/* The track that fed h last went elsewhere: h is forgotten unless fed
 * again within its zone's vacate_s (a miss run of its object's boxes). */
static void vacate(struct oc_engine *e, int ci, struct oc_stay *h, int64_t t)
{
    h->forget_at = t + e->cams[ci].cfg->zones[h->zone].vacate_ms;
    struct oc_stays *s = &e->cams[ci].stays;
    if (h->forget_at < s->next_expiry)
        s->next_expiry = h->forget_at;
}

/* tr, feeding `from`, now feeds another stay: an id hop, or the object
 * leaving past a neighbour. When tr owned `from`, it is vacated. */
static void hop_from(struct oc_engine *e, int ci, struct oc_stay *from, const struct oc_track *tr,
                     int64_t t)
{
    const struct oc_zstate *zs = &tr->z[from->zone];
    e->counters[OC_C_STAYS_HOP_CORRECTED]++;
    (void)zs;
    if (from->last_ts < t && strcmp(from->track, tr->id) == 0)
        vacate(e, ci, from, t);
}

/* h, fed a full box at t and still for OC_STAY_SUPERSEDE_MS, shows a new
 * object at the place of a stay that has been unboxed for longer than track_timeout_s since before
 * h began: that stay's object left unseen and another took its place (a renumbered id of the
 * newcomer must not continue it), so it is forgotten. Called last: the drop may move h. */
static void supersede(struct oc_engine *e, int ci, const struct oc_stay *h, int64_t t)
{
    struct oc_stays *s = &e->cams[ci].stays;
    int64_t timeout = e->cams[ci].cfg->track_timeout_ms;
    uint32_t gone[OC_STAY_CANDS];
    size_t n = 0;
    for (size_t j = 0; j < s->n && n < OC_STAY_CANDS; j++) {
        const struct oc_stay *a = &s->v[j];
        if (a != h && a->zone == h->zone && same_kind(a->cls, h->cls) && a->last_ts < h->start &&
            t - a->last_ts > timeout && t - h->start >= OC_STAY_SUPERSEDE_MS &&
            iou(a->ref, h->ref) >= OC_STAY_DUP_IOU)
            gone[n++] = a->id;
    }
    for (size_t k = 0; k < n; k++) {
        struct oc_stay *a = find(s, gone[k]);
        if (a) {
            drop(s, index_of(s, a));
            e->counters[OC_C_STAYS_SUPERSEDED]++;
        }
    }
}

static void feed(struct oc_engine *e, int ci, struct oc_stay *h, struct oc_track *tr, int how,
                 int64_t t)
{
    const struct oc_zone_cfg *z = &e->cams[ci].cfg->zones[h->zone];
    struct oc_zstate *zs = &tr->z[h->zone];
    const struct oc_stay *bound = find(&e->cams[ci].stays, zs->stay);
    if (bound != h) {
        if (bound)
            hop_from(e, ci, (struct oc_stay *)bound, tr, t);
        else if (how == HOW_DUP || h->last_ts == t)
            e->counters[OC_C_STAYS_MERGED_DUPLICATE]++;
        else if (strcmp(h->track, tr->id) != 0)
            e->counters[OC_C_TRACKS_REACQUIRED]++;
        zs->stay = h->id;
        zs->bind_ts = t;
        zs->hopped = bound != NULL;
    }
    zs->has_out = false;
    h->forget_at = NO_DEADLINE;
    h->held = false;
    if (how == HOW_PART)
        e->counters[OC_C_STAYS_PARTIAL_BOX]++;
    int64_t gap_ts = -1;
    double gap_box[4];
    int64_t deadline = h->start + z->dwell_ms;
    if (t - h->last_ts > e->cams[ci].cfg->track_timeout_ms) {
        e->counters[OC_C_STAYS_GAP_BRIDGED]++;
        if (!h->emitted && h->last_ts + e->cams[ci].cfg->track_timeout_ms < deadline) {
            gap_ts = h->last_ts;
            memcpy(gap_box, h->last_box, sizeof gap_box);
        }
    }
    if (!h->settled && (h->emitted || gap_ts >= 0 || strcmp(h->track, tr->id) != 0 ||
                        t - h->last_ts > e->cams[ci].cfg->track_timeout_ms))
        h->settled = true; /* another track, or a gap: the start stays */
    if (!h->settled && how == HOW_FULL && t > h->last_ts)
        run_observe(z, h, t, tr->box);
    if (!h->settled && t - h->born >= OC_STAY_KEEP_MS)
        h->settled = true;
    if (how == HOW_FULL) {
        /* a full match off the place (a neighbour's box, a car passing in
         * front) keeps the stay observed but is not its object's box */
        bool solid = iou(tr->box, h->ref) >= OC_STAY_DUP_IOU;
        if (solid && t > h->solid_ts)
            h->solid_ts = t; /* judged against the reference before this box moves it */
        if (solid || !h->settled) {
            /* the record's key box does not come from a track that came
             * from another stay less than OC_STAY_KEY_MS ago: a neighbour
             * driving off crosses the place in a moment */
            if (!h->settled || !zs->hopped || t - zs->bind_ts >= OC_STAY_KEY_MS) {
                memcpy(h->full_box, tr->box, sizeof h->full_box);
                h->full_ts = t;
            }
            for (int k = 0; k < 4; k++) {
                h->sum[k] += tr->box[k];
                h->ref[k] = h->sum[k] / (h->n + 1);
            }
            h->n++;
        }
    }
    /* a duplicate box never takes the stay over from its object's own box
     * in the same message: the feeder stays the one the car's leaving ends */
    if (t > h->last_ts || (t == h->last_ts && how != HOW_DUP)) {
        h->last_ts = t;
        memcpy(h->last_box, tr->box, sizeof h->last_box);
        take_feeder(h, tr);
    }
    keep(e, ci, h, t);
    /* As the timers: a stay lasts at most until track_timeout_s after its
     * last observation, so a clock moved far ahead cannot lengthen it. */
    int64_t clock = e->cams[ci].clock, end = h->last_ts + e->cams[ci].cfg->track_timeout_ms;
    if (clock > end)
        clock = end;
    if (!h->emitted && oc_rules__class_in(z->classes, h->feed_cls) &&
        clock - h->start >= z->dwell_ms)
        fire(e, ci, h, gap_ts, gap_box);
    if (how == HOW_FULL)
        supersede(e, ci, h, t);
}

/* tr, moving off, was first boxed (within track_timeout_s) on the object
 * of a stay's last box (IoU >= OC_STAY_DUP_IOU) that no box fed since: it
 * is that car re-numbered as it drove off, so the stay ends. */
static void left_renumbered(struct oc_engine *e, int ci, int zi, const struct oc_track *tr)
{
    struct oc_stays *s = &e->cams[ci].stays;
    int64_t timeout = e->cams[ci].cfg->track_timeout_ms;
    for (size_t j = 0; j < s->n; j++) {
        const struct oc_stay *h = &s->v[j];
        if (h->zone == zi && h->id != tr->z[zi].stay && h->last_ts < tr->first_ts &&
            tr->first_ts - h->last_ts <= timeout && same_kind(h->cls, tr->cls) &&
            iou(h->last_box, tr->z[zi].start_box) >= OC_STAY_DUP_IOU) {
            drop(s, j);
            e->counters[OC_C_STAYS_LEFT_RENUMBERED]++;
            return;
        }
    }
}

/* tr, on its OC_STAY_AWAY_OBS-th box, was first boxed near the place of a
 * stay whose object was last boxed at its place (in full or a visible part)
 * at most track_timeout_s before, and not since, and has been moving away from it: that car drove
 * off, its first metres in a miss run, and came back under a new id (too
 * late and too far for stitch). The stay is vacated: its car, if it is
 * still there after all, has vacate_s to be boxed again. */
static void drove_off_unseen(struct oc_engine *e, int ci, int zi, const struct oc_track *tr)
{
    struct oc_stays *s = &e->cams[ci].stays;
    const double *first = tr->z[zi].start_box;
    int64_t timeout = e->cams[ci].cfg->track_timeout_ms;
    if (tr->n_obs != OC_STAY_AWAY_OBS)
        return;
    for (size_t j = 0; j < s->n; j++) {
        struct oc_stay *h = &s->v[j];
        double d0 = centre_gap(first, h->ref);
        if (h->zone != zi || !same_kind(h->cls, tr->cls) || h->forget_at != NO_DEADLINE ||
            h->last_ts >= tr->first_ts || tr->first_ts - h->last_ts > timeout ||
            !shows_object(h->ref, h->last_box) || iou(first, h->ref) >= OC_STAY_AWAY_OFF ||
            d0 > OC_STAY_AWAY_NEAR * h->ref[2] ||
            centre_gap(tr->box, h->ref) < d0 + OC_STAY_AWAY_GAIN * h->ref[3])
            continue;
        vacate(e, ci, h, tr->last_ts);
        e->counters[OC_C_STAYS_LEFT_RENUMBERED]++;
    }
}

/* tr's box left h's place faster than a car starting off from rest can:
 * its id jumped to another object (a passing car), and h's object may
 * still stand there. */
static bool jumped(const struct oc_stay *h, const struct oc_track *tr, int64_t t)
{
    return t - h->last_ts <= OC_STAY_JUMP_MS && iou(h->last_box, h->ref) >= OC_STAY_DUP_IOU &&
           iou(tr->box, h->last_box) < OC_STAY_JUMP_IOU;
}

/* tr stops feeding h: the object it follows is elsewhere. */
static void leave(struct oc_engine *e, int ci, struct oc_track *tr, size_t hi, int64_t t)
{
    struct oc_stays *s = &e->cams[ci].stays;
    struct oc_stay *h = &s->v[hi];
    int zi = h->zone;
    struct oc_zstate *zs = &tr->z[zi];
    bool last = h->last_ts < t && strcmp(h->track, tr->id) == 0;
    if (last && jumped(h, tr, t)) {
        vacate(e, ci, h, t);
        h->held = true;
        e->counters[OC_C_STAYS_ID_JUMPED]++;
    } else if (last && t - h->last_ts <= OC_STAY_JUMP_MS && /* after a gap: vacated */
               (!h->shared || t - zs->bind_ts >= OC_STAY_OWN_MS))
        drop(s, hi);
    else if (last)
        vacate(e, ci, h, t);
    zs->stay = 0;
    zs->has_out = false;
    left_renumbered(e, ci, zi, tr);
}

/* A box that fed no stay. Inside the zone: a track without a stay starts
 * one; a track with one holds the box back (one outlier never moves a
 * stay) and takes a second in a row as a move. Outside: it left. */
static void unmatched(struct oc_engine *e, int ci, int zi, struct oc_track *tr, int64_t t)
{
    struct oc_stays *s = &e->cams[ci].stays;
    struct oc_zstate *zs = &tr->z[zi];
    struct oc_stay *h = find(s, zs->stay);
    if (!h) {
        zs->stay = 0;
        zs->has_out = false;
        if (zs->inside)
            create(e, ci, zi, tr, t, tr->box);
        else
            left_renumbered(e, ci, zi, tr);
        return;
    }
    if (!zs->inside) {
        leave(e, ci, tr, index_of(s, h), t);
        return;
    }
    /* its own box, still lying mostly inside the reference (a visible part
     * a little out, a box cut by occlusion): the object poorly boxed, not
     * a move */
    if (inter(tr->box, h->ref) >= OC_STAY_HOLD_IN * area(tr->box)) {
        zs->has_out = false;
        if (h->last_ts < t)
            feed(e, ci, h, tr, HOW_PART, t);
        return;
    }
    if (!zs->has_out) {
        zs->has_out = true;
        zs->out_ts = t;
        memcpy(zs->out_box, tr->box, sizeof zs->out_box);
        return;
    }
    int64_t ots = zs->out_ts;
    double obox[4];
    memcpy(obox, zs->out_box, sizeof obox);
    leave(e, ci, tr, index_of(s, h), t);
    struct oc_stay *n = create(e, ci, zi, tr, ots, obox);
    if (!n)
        return;
    if (near_ref(&e->cams[ci].cfg->zones[zi], n->ref, tr->box)) {
        feed(e, ci, n, tr, HOW_FULL, t);
    } else {
        zs->has_out = true;
        zs->out_ts = t;
        memcpy(zs->out_box, tr->box, sizeof zs->out_box);
    }
}

/* ---- the frame ---- */

void oc_stay_note(struct oc_engine *e, int ci, struct oc_track *tr)
{
    struct oc_stay_frame *f = &e->sframe;
    if (!e->cams[ci].has_dwell)
        return;
    /* dwell zones keep the track's first box in start_box (region rules
     * use it for their own kinds only): how far the track has come */
    for (size_t zi = 0; zi < e->cams[ci].cfg->n_zones; zi++)
        if (!tr->z[zi].active && is_dwell(e->cams[ci].cfg->zones[zi].kind)) {
            tr->z[zi].active = true;
            memcpy(tr->z[zi].start_box, tr->box, sizeof tr->z[zi].start_box);
        }
    if (f->n < OC_MAX_OBJECTS)
        f->tr[f->n++] = tr;
}

void oc_stay_track_end(struct oc_engine *e, int ci, struct oc_track *tr)
{
    (void)ci;
    struct oc_stay_frame *f = &e->sframe;
    for (size_t i = 0; i < f->n; i++)
        if (f->tr[i] == tr) {
            memmove(&f->tr[i], &f->tr[i + 1], (f->n - i - 1) * sizeof f->tr[0]);
            f->n--;
            return;
        }
}

static int cmp_cand(const void *a, const void *b)
{
    const struct oc_stay_cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->box != y->box)
        return x->box < y->box ? -1 : 1;
    return (x->stay > y->stay) - (x->stay < y->stay);
}

/* Another track of this frame than tr feeds b: b's object is boxed. */
static bool boxed_now(const struct oc_engine *e, const struct oc_stay *b, const struct oc_track *tr)
{
    for (size_t k = 0; k < e->sframe.n; k++)
        if (e->sframe.tr[k] != tr && e->sframe.tr[k]->z[b->zone].stay == b->id)
            return true;
    return false;
}

/* Another stay of the zone, begun after stale h was last observed and fed
 * within track_timeout_s, whose last box is this box's object a frame ago
 * (IoU >= OC_STAY_NEWER_IOU): the box belongs to that newer object (a car
 * that drove in and was re-numbered as it stopped), not to h. */
static bool newer_here(const struct oc_engine *e, int ci, const struct oc_stay *h,
                       const struct oc_track *tr)
{
    const struct oc_stays *s = &e->cams[ci].stays;
    int64_t t = e->sframe.t, timeout = e->cams[ci].cfg->track_timeout_ms;
    for (size_t j = 0; j < s->n; j++) {
        const struct oc_stay *b = &s->v[j];
        if (b != h && b->zone == h->zone && b->start > h->last_ts && t - b->last_ts <= timeout &&
            iou(b->last_box, tr->box) >= OC_STAY_NEWER_IOU && !boxed_now(e, b, tr))
            return true;
    }
    return false;
}

/* Candidates of box i in zone zi: the best OC_STAY_CANDS stays it matches. */
static size_t candidates(struct oc_engine *e, int ci, int zi, size_t i, struct oc_stay_cand *out)
{
    const struct oc_stays *s = &e->cams[ci].stays;
    const struct oc_zone_cfg *z = &e->cams[ci].cfg->zones[zi];
    const struct oc_track *tr = e->sframe.tr[i];
    int64_t timeout = e->cams[ci].cfg->track_timeout_ms;
    size_t n = 0;
    bool arriving = false;
    for (size_t j = 0; j < s->n; j++)
        if (tr->z[zi].stay && s->v[j].id == tr->z[zi].stay)
            arriving = !s->v[j].settled;
    for (size_t j = 0; j < s->n; j++) {
        const struct oc_stay *h = &s->v[j];
        if (h->zone != zi || (!same_kind(h->cls, tr->cls) && h->id != tr->z[zi].stay) ||
            e->sframe.t > h->forget_at)
            continue; /* its own stay follows a track through a class flicker */
        /* a vacated stay (its car may have driven off) is continued by
         * another track only with a box of the same object at the same
         * place, not one within the scale tolerance (a car arriving at
         * the neighbouring place) */
        bool vacated = h->forget_at != NO_DEADLINE && strcmp(h->track, tr->id) != 0;
        /* a stay whose object was not seen whole for longer than
         * track_timeout_s (unboxed, or fed only by other objects' boxes:
         * a neighbour's part, a passing car) is taken up by a track that
         * appeared at it, not by one that drove in: its car may have left
         * unseen, and this is the next car at the place. Except a reported
         * stay unboxed for at most vacate_s, boxed again as the same object
         * at the same place: that is the car already reported (an id that
         * hopped onto it), not a next car, which a second record would
         * report twice */
        if (h->id != tr->z[zi].stay && e->sframe.t - h->solid_ts > timeout &&
            !(h->emitted && e->sframe.t - h->last_ts <= z->vacate_ms &&
              iou(tr->box, h->ref) >= OC_STAY_DUP_IOU) &&
            (!shows_object(h->ref, tr->z[zi].start_box) || newer_here(e, ci, h, tr)))
            continue;
        /* a track still rolling in (its own stay not settled) moves to
         * another stay only with a full box of the same object at the
         * same place: within the scale tolerance of a neighbour's stay,
         * or a part of its box, it is a car arriving beside it, not an id
         * hop */
        bool arrival = arriving && h->id != tr->z[zi].stay;
        bool full = vacated || arrival ? iou(tr->box, h->ref) >= OC_STAY_DUP_IOU
                                       : near_ref(z, h->ref, tr->box);
        if (!full && (arrival || !part_of(tr->box, h->ref, OC_STAY_PART_MIN))) {
            if (arrival && near_ref(z, h->ref, tr->box))
                e->counters[OC_C_STAYS_ARRIVAL_KEPT]++;
            continue;
        }
        /* a track's own stay is preferred by a margin, so a box passing
         * over a parked car does not take its stay from the car's own box */
        double own = h->id == tr->z[zi].stay ? OC_STAY_OWN_BONUS : 0;
        struct oc_stay_cand c = {(uint32_t)i, (uint32_t)j, iou(tr->box, h->ref) + own, !full};
        size_t k = n < OC_STAY_CANDS ? n++ : OC_STAY_CANDS;
        if (k == OC_STAY_CANDS) {
            if (cmp_cand(&c, &out[k - 1]) >= 0)
                continue;
            k--;
        }
        while (k > 0 && cmp_cand(&c, &out[k - 1]) < 0) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = c;
    }
    return n;
}

static bool same_object(const double a[4], const double b[4])
{
    return iou(a, b) >= OC_STAY_DUP_IOU || part_of(a, b, 0) || part_of(b, a, 0);
}

/* A box already matched that shows the same object as box b, or -1. */
static int32_t twin_of(const struct oc_stay_frame *f, uint32_t b)
{
    for (size_t k = 0; k < f->n; k++)
        if (k != b && f->box_stay[k] >= 0 && f->box_how[k] != HOW_DUP &&
            same_kind(f->tr[k]->cls, f->tr[b]->cls) && same_object(f->tr[k]->box, f->tr[b]->box))
            return (int32_t)k;
    return -1;
}

/* Best overlap first, one box per stay; then a box whose stay was taken
 * by a box of the same object is a duplicate and feeds it too. */
static void assign(struct oc_engine *e, int ci, size_t nc)
{
    struct oc_stay_frame *f = &e->sframe;
    struct oc_stays *s = &e->cams[ci].stays;
    qsort(f->cand, nc, sizeof f->cand[0], cmp_cand);
    for (size_t k = 0; k < nc; k++)
        s->v[f->cand[k].stay].frame_box = -1;
    for (size_t k = 0; k < nc; k++) {
        const struct oc_stay_cand *c = &f->cand[k];
        struct oc_stay *h = &s->v[c->stay];
        if (f->box_stay[c->box] >= 0 || h->frame_box >= 0)
            continue;
        int32_t twin = twin_of(f, c->box);
        if (twin >= 0) {
            /* a second box of an object already matched: its duplicate,
             * never another stay's (a neighbour's) full box */
            f->box_stay[c->box] = f->box_stay[twin];
            f->box_how[c->box] = HOW_DUP;
            continue;
        }
        f->box_stay[c->box] = (int32_t)c->stay;
        f->box_how[c->box] = c->partial ? HOW_PART : HOW_FULL;
        h->frame_box = (int32_t)c->box;
    }
    for (size_t k = 0; k < nc; k++) {
        const struct oc_stay_cand *c = &f->cand[k];
        int32_t owner = s->v[c->stay].frame_box;
        if (f->box_stay[c->box] >= 0 || owner < 0 ||
            !same_object(f->tr[c->box]->box, f->tr[owner]->box))
            continue;
        f->box_stay[c->box] = (int32_t)c->stay;
        f->box_how[c->box] = HOW_DUP;
    }
}

/* A stay born in this frame from a box of the same object as box i: two
 * boxes on one object seen for the first time start one stay. */
static struct oc_stay *born_here(struct oc_engine *e, int ci, int zi, size_t i, const uint32_t *ids,
                                 int64_t t)
{
    struct oc_stay_frame *f = &e->sframe;
    for (size_t k = 0; k < i; k++) {
        struct oc_stay *h = ids[k] ? find(&e->cams[ci].stays, ids[k]) : NULL;
        if (h && h->start == t && h->zone == zi && same_kind(h->cls, f->tr[i]->cls) &&
            same_object(f->tr[i]->box, f->tr[k]->box))
            return h;
    }
    return NULL;
}

/* Which of two stays of one object lives on: the reported one, else the
 * one that started first (ties: the older id). */
static bool keeps_over(const struct oc_stay *a, const struct oc_stay *b)
{
    if (a->emitted != b->emitted)
        return a->emitted;
    if (a->start != b->start)
        return a->start < b->start;
    return a->id < b->id;
}

/* gone, a stay of keep's object, is dropped; what it observed last
 * carries over when it is newer. */
static void merge_into(struct oc_engine *e, int ci, int zi, uint32_t *ids, struct oc_stay *keep,
                       struct oc_stay *gone)
{
    struct oc_stay_frame *f = &e->sframe;
    struct oc_stays *s = &e->cams[ci].stays;
    if (gone->last_ts > keep->last_ts) {
        keep->last_ts = gone->last_ts;
        memcpy(keep->last_box, gone->last_box, sizeof keep->last_box);
        memcpy(keep->track, gone->track, sizeof keep->track);
        memcpy(keep->plate, gone->plate, sizeof keep->plate);
        keep->feed_cls = gone->feed_cls;
        keep->conf = gone->conf;
        keep->forget_at = NO_DEADLINE;
        keep->held = false;
    }
    if (gone->solid_ts > keep->solid_ts)
        keep->solid_ts = gone->solid_ts;
    uint32_t kid = keep->id, gid = gone->id;
    drop(s, index_of(s, gone));
    e->counters[OC_C_STAYS_MERGED_DUPLICATE]++;
    for (size_t j = 0; j < f->n; j++)
        if (ids[j] == gid) {
            ids[j] = kid;
            f->tr[j]->z[zi].stay = kid;
        }
}

/* A track that moved in this message from a stay to another of the same
 * object (a duplicate track on the car started a stay of its own, and took
 * the car's own track along as its duplicate): the two become one. */
static void merge_moved(struct oc_engine *e, int ci, int zi, uint32_t *ids, const uint32_t *was)
{
    struct oc_stay_frame *f = &e->sframe;
    struct oc_stays *s = &e->cams[ci].stays;
    int64_t timeout = e->cams[ci].cfg->track_timeout_ms;
    for (size_t i = 0; i < f->n; i++) {
        if (!was[i] || !ids[i] || was[i] == ids[i])
            continue;
        struct oc_stay *a = find(s, was[i]), *b = find(s, ids[i]);
        if (!a || !b || a->zone != b->zone || b->last_ts != f->t || f->t - a->last_ts > timeout ||
            !same_object(a->ref, b->ref))
            continue;
        struct oc_stay *keep = keeps_over(a, b) ? a : b;
        merge_into(e, ci, zi, ids, keep, keep == a ? b : a);
    }
}

/* Two stays fed in this message by boxes of one object (a duplicate track
 * that started its own stay while the car was still moving) become one. */
static void merge_same(struct oc_engine *e, int ci, int zi, uint32_t *ids)
{
    struct oc_stay_frame *f = &e->sframe;
    struct oc_stays *s = &e->cams[ci].stays;
    for (size_t i = 0; i < f->n; i++)
        for (size_t k = i + 1; ids[i] && k < f->n; k++) {
            if (!ids[k] || ids[k] == ids[i] || !same_kind(f->tr[i]->cls, f->tr[k]->cls) ||
                !same_object(f->tr[i]->box, f->tr[k]->box))
                continue;
            struct oc_stay *a = find(s, ids[i]), *b = find(s, ids[k]);
            if (!a || !b || a->last_ts != f->t || b->last_ts != f->t || a->zone != b->zone ||
                !same_object(a->ref, b->ref))
                continue;
            struct oc_stay *keep = keeps_over(a, b) ? a : b;
            merge_into(e, ci, zi, ids, keep, keep == a ? b : a);
        }
}

static void judge_zone(struct oc_engine *e, int ci, int zi, int64_t t)
{
    struct oc_stay_frame *f = &e->sframe;
    struct oc_stays *s = &e->cams[ci].stays;
    size_t nc = 0;
    bool any = false;
    for (size_t i = 0; i < f->n; i++)
        drove_off_unseen(e, ci, zi, f->tr[i]);
    for (size_t i = 0; i < f->n; i++) {
        f->box_stay[i] = -1;
        f->box_how[i] = HOW_NONE;
        const struct oc_track *tr = f->tr[i];
        /* outside the zone a box may still feed a stay (a re-detection or a
         * visible part whose anchor is just out); it never starts one */
        size_t k = s->n ? candidates(e, ci, zi, i, &f->cand[nc]) : 0;
        nc += k;
        any |= k > 0 || tr->z[zi].inside || tr->z[zi].stay;
    }
    if (!any)
        return;
    /* Indexes into s->v hold until the first create or drop below. */
    assign(e, ci, nc);
    uint32_t ids[OC_MAX_OBJECTS], was[OC_MAX_OBJECTS];
    for (size_t i = 0; i < f->n; i++) {
        ids[i] = f->box_stay[i] >= 0 ? s->v[f->box_stay[i]].id : 0;
        was[i] = f->tr[i]->z[zi].stay;
    }
    /* a stay's own box before its duplicates: it fires with its object's
     * box and track */
    for (int dup = 0; dup < 2; dup++)
        for (size_t i = 0; i < f->n; i++) {
            struct oc_stay *h = (f->box_how[i] == HOW_DUP) == dup ? find(s, ids[i]) : NULL;
            if (h)
                feed(e, ci, h, f->tr[i], f->box_how[i], t);
        }
    for (size_t i = 0; i < f->n; i++) {
        struct oc_track *tr = f->tr[i];
        if (!ids[i] && !tr->z[zi].inside && !tr->z[zi].stay)
            left_renumbered(e, ci, zi, tr);
        if (ids[i] || (!tr->z[zi].inside && !tr->z[zi].stay))
            continue;
        struct oc_stay *h = tr->z[zi].stay ? NULL : born_here(e, ci, zi, i, ids, t);
        if (h)
            feed(e, ci, h, tr, HOW_DUP, t);
        else
            unmatched(e, ci, zi, tr, t);
        ids[i] = tr->z[zi].stay;
    }
    merge_same(e, ci, zi, ids);
    merge_moved(e, ci, zi, ids, was);
}

/* The live track, unobserved in this frame, last boxed within
 * OC_STAY_STITCH_MS where tr is first boxed now (IoU >= OC_STAY_STITCH_IOU),
 * or NULL: tr is that object re-numbered. */
static struct oc_track *predecessor(const struct oc_cam *c, const struct oc_track *tr, int64_t t)
{
    struct oc_track *best = NULL;
    double best_iou = OC_STAY_STITCH_IOU;
    for (struct oc_track *p = c->newest; p; p = p->prev) {
        if (p->last_ts >= t)
            continue;
        if (t - p->last_ts > OC_STAY_STITCH_MS)
            break;
        double v = iou(p->box, tr->box);
        if (v >= best_iou && same_kind(p->cls, tr->cls)) {
            best = p;
            best_iou = v;
        }
    }
    return best;
}

/* A track first boxed in this frame where a lost track had its last box
 * (predecessor) continues that track's stays: the feeder of a stay, a far
 * box held back, where it was first seen. */
static void stitch(struct oc_engine *e, int ci, int64_t t)
{
    struct oc_cam *c = &e->cams[ci];
    struct oc_stay_frame *f = &e->sframe;
    for (size_t i = 0; i < f->n; i++) {
        struct oc_track *tr = f->tr[i];
        struct oc_track *p = tr->first_ts == t ? predecessor(c, tr, t) : NULL;
        for (size_t zi = 0; p && zi < c->cfg->n_zones; zi++) {
            struct oc_zstate *from = &p->z[zi], *to = &tr->z[zi];
            struct oc_stay *h = find(&c->stays, from->stay);
            if (!h)
                continue;
            to->stay = from->stay;
            to->bind_ts = from->bind_ts;
            to->hopped = from->hopped;
            to->has_out = from->has_out;
            to->out_ts = from->out_ts;
            memcpy(to->out_box, from->out_box, sizeof to->out_box);
            memcpy(to->start_box, from->start_box, sizeof to->start_box);
            from->stay = 0;
            from->has_out = false;
            if (strcmp(h->track, p->id) == 0)
                memcpy(h->track, tr->id, sizeof h->track);
            e->counters[OC_C_STAYS_STITCHED]++;
        }
    }
}

void oc_stay_frame(struct oc_engine *e, int ci, int64_t t)
{
    struct oc_cam *c = &e->cams[ci];
    struct oc_stay_frame *f = &e->sframe;
    f->t = t;
    stitch(e, ci, t);
    for (size_t zi = 0; f->n && zi < c->cfg->n_zones; zi++)
        if (is_dwell(c->cfg->zones[zi].kind))
            judge_zone(e, ci, (int)zi, t);
    f->n = 0;
}

/* ---- the clock ---- */

void oc_stay_advance(struct oc_engine *e, int ci, int64_t now)
{
    struct oc_cam *c = &e->cams[ci];
    struct oc_stays *s = &c->stays;
    if (now <= s->next_deadline && now <= s->next_expiry)
        return;
    int64_t timeout = e->cams[ci].cfg->track_timeout_ms;
    int64_t next_d = NO_DEADLINE, next_x = NO_DEADLINE;
    for (size_t i = 0; i < s->n;) {
        struct oc_stay *h = &s->v[i];
        const struct oc_zone_cfg *z = &c->cfg->zones[h->zone];
        int64_t d = h->start + z->dwell_ms, x = h->last_ts + absent_ms(e, ci, z);
        if (h->forget_at < x)
            x = h->forget_at;
        if (!h->emitted && !h->held && d < now && h->last_ts + timeout >= d &&
            oc_rules__class_in(z->classes, h->feed_cls))
            fire(e, ci, h, -1, NULL);
        if (now > x) {
            drop(s, i);
            continue;
        }
        if (!h->emitted && d >= now && d < next_d)
            next_d = d;
        if (x < next_x)
            next_x = x;
        i++;
    }
    s->next_deadline = next_d;
    s->next_expiry = next_x;
}

void oc_stay_rebound(struct oc_engine *e, int ci)
{
    struct oc_stays *s = &e->cams[ci].stays;
    s->next_deadline = NO_DEADLINE;
    s->next_expiry = NO_DEADLINE;
    for (size_t i = 0; i < s->n; i++) {
        const struct oc_zone_cfg *z = &e->cams[ci].cfg->zones[s->v[i].zone];
        int64_t d = s->v[i].start + z->dwell_ms, x = s->v[i].last_ts + absent_ms(e, ci, z);
        if (s->v[i].forget_at < x)
            x = s->v[i].forget_at;
        if (!s->v[i].emitted && d < s->next_deadline)
            s->next_deadline = d;
        if (x < s->next_expiry)
            s->next_expiry = x;
    }
}
