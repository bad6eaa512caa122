/* Engine plumbing: message routing, camera clocks, the per-camera track
 * table, track lifecycle, and the ordered hand-over of violations. */
#include "oc_engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_geom.h"
#include "ordercam/oc_tally.h"
#include "adapt/oc_adapt_json.h"

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static size_t pow2_at_least(size_t n)
{
    size_t c = 16;
    while (c < n)
        c <<= 1;
    return c;
}

struct oc_engine *oc_engine_new(const struct oc_config *cfg, const struct oc_engine_sink *sink,
                                void *ud)
{
    struct oc_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->cfg = cfg;
    e->sink = sink;
    e->ud = ud;
    e->cams = calloc(cfg->n_cameras, sizeof *e->cams);
    e->signals = calloc(cfg->n_signals + 1, sizeof *e->signals);
    e->sig_guards = calloc(cfg->n_signals + 1, sizeof *e->sig_guards);
    e->bounds = (struct oc_clock_bounds){cfg->max_future_ms, cfg->max_jump_ms};
    e->rx = OC_RX_UNKNOWN;
    e->cap_pending = 64;
    e->pending = malloc(e->cap_pending * sizeof *e->pending);
    if (!e->cams || !e->signals || !e->sig_guards || !e->pending) {
        oc_engine_free(e);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_signals; i++) {
        oc_signal_init(&e->signals[i], cfg->signals[i].stale_ms);
        oc_clock_guard_init(&e->sig_guards[i]);
    }
    for (size_t i = 0; i < cfg->n_cameras; i++) {
        struct oc_cam *c = &e->cams[i];
        c->cfg = &cfg->cameras[i];
        c->cap = pow2_at_least(cfg->max_tracks_per_camera * 2);
        c->slots = calloc(c->cap, sizeof *c->slots);
        c->event_ids = calloc(cfg->max_event_ids, sizeof *c->event_ids);
        if (!c->slots || !c->event_ids) {
            oc_engine_free(e);
            return NULL;
        }
        c->next_deadline = NO_DEADLINE;
        c->next_seq = 1;
        oc_clock_guard_init(&c->guard);
        c->stays.next_deadline = c->stays.next_expiry = NO_DEADLINE;
        for (size_t z = 0; z < c->cfg->n_zones; z++)
            c->has_dwell |= c->cfg->zones[z].vtype >= 0 && c->cfg->zones[z].dwell_ms > 0 &&
                            (c->cfg->zones[z].kind == OC_ZONE_NO_PARKING ||
                             c->cfg->zones[z].kind == OC_ZONE_TACTILE_PAVING ||
                             c->cfg->zones[z].kind == OC_ZONE_NO_VENDING);
    }
    return e;
}

static void free_track(struct oc_track *tr)
{
    free(tr->z);
    free(tr->l);
    free(tr);
}

void oc_engine_free(struct oc_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; e->cams && i < e->cfg->n_cameras; i++) {
        struct oc_cam *c = &e->cams[i];
        for (size_t s = 0; c->slots && s < c->cap; s++)
            if (c->slots[s])
                free_track(c->slots[s]);
        free(c->slots);
        free(c->event_ids);
        oc_stay_free(&c->stays);
    }
    for (size_t i = 0; i < e->n_classes; i++)
        free(e->class_names[i]);
    free(e->cams);
    free(e->signals);
    free(e->sig_guards);
    free(e->pending);
    free(e->fast);
    free(e);
}

void oc_engine_count(struct oc_engine *e, enum oc_counter c)
{
    if ((unsigned)c < OC_C__COUNT)
        e->counters[c]++;
}

uint64_t oc_engine_counter(const struct oc_engine *e, enum oc_counter c)
{
    return (unsigned)c < OC_C__COUNT ? e->counters[c] : 0;
}

size_t oc_engine_live_tracks(const struct oc_engine *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->cfg->n_cameras; i++)
        n += e->cams[i].n_live;
    return n;
}

size_t oc_engine_camera_tracks(const struct oc_engine *e, int camera)
{
    if (camera < 0 || (size_t)camera >= e->cfg->n_cameras)
        return 0;
    return e->cams[camera].n_live;
}

void oc_engine_each_track(const struct oc_engine *e, int camera,
                          void (*fn)(void *ud, const struct oc_engine_track *t), void *ud)
{
    if (camera < 0 || (size_t)camera >= e->cfg->n_cameras)
        return;
    for (const struct oc_track *tr = e->cams[camera].oldest; tr; tr = tr->next) {
        struct oc_engine_track t = {.id = tr->id,
                                    .cls = tr->cls >= 0 ? oc_engine__class_name(e, tr->cls) : "",
                                    .last_ts = tr->last_ts};
        memcpy(t.box, tr->box, sizeof t.box);
        fn(ud, &t);
    }
}

int oc_engine_camera(const struct oc_engine *e, const char *id, size_t len)
{
    return oc_config_camera(e->cfg, id, len);
}

bool oc_engine_clock(const struct oc_engine *e, int camera, int64_t *clock)
{
    if (camera < 0 || (size_t)camera >= e->cfg->n_cameras || !e->cams[camera].has_clock)
        return false;
    *clock = e->cams[camera].clock;
    return true;
}

uint64_t oc_engine_next_seq(const struct oc_engine *e, int camera)
{
    return camera >= 0 && (size_t)camera < e->cfg->n_cameras ? e->cams[camera].next_seq : 0;
}

void oc_engine_set_seq(struct oc_engine *e, int camera, uint64_t next_seq)
{
    if (camera >= 0 && (size_t)camera < e->cfg->n_cameras && next_seq > 0)
        e->cams[camera].next_seq = next_seq;
}

/* ---- classes ---- */

const char *oc_engine__class_name(const struct oc_engine *e, int cls)
{
    if (cls < OC_CLASS_KNOWN)
        return oc_class_name(cls);
    if (cls == OC_CLS_OTHER)
        return "other";
    return e->class_names[cls - OC_CLASS_KNOWN - 1];
}

/* Class id for a name as sent, after aliases; unknown names are interned
 * until the table is full, then become OC_CLS_OTHER (counted). */
int oc_engine__class_id(struct oc_engine *e, const char *sent)
{
    const char *name = oc_config_alias(e->cfg, sent);
    int id = oc_class_lookup(name);
    if (id >= 0)
        return id;
    for (size_t i = 0; i < e->n_classes; i++)
        if (strcmp(e->class_names[i], name) == 0)
            return OC_CLASS_KNOWN + 1 + (int)i;
    if (OC_CLASS_KNOWN + 1 + e->n_classes >= OC_CLASS_MAX) {
        e->counters[OC_C_CLASSES_OVERFLOW]++;
        return OC_CLS_OTHER;
    }
    size_t n = strlen(name) + 1;
    char *copy = malloc(n);
    if (!copy) {
        e->counters[OC_C_CLASSES_OVERFLOW]++;
        return OC_CLS_OTHER;
    }
    memcpy(copy, name, n);
    e->class_names[e->n_classes] = copy;
    return OC_CLASS_KNOWN + 1 + (int)e->n_classes++;
}

/* ---- track table ---- */

static size_t find_slot(const struct oc_cam *c, const char *id, uint32_t h)
{
    size_t mask = c->cap - 1, i = h & mask;
    while (c->slots[i] && (c->slots[i]->hash != h || strcmp(c->slots[i]->id, id) != 0))
        i = (i + 1) & mask;
    return i;
}

static void table_remove(struct oc_cam *c, struct oc_track *tr)
{
    size_t mask = c->cap - 1, i = find_slot(c, tr->id, tr->hash);
    c->slots[i] = NULL;
    /* Backward-shift deletion keeps probe chains intact without tombstones. */
    for (size_t j = (i + 1) & mask; c->slots[j]; j = (j + 1) & mask) {
        size_t home = c->slots[j]->hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            c->slots[i] = c->slots[j];
            c->slots[j] = NULL;
            i = j;
        }
    }
}

static void lru_unlink(struct oc_cam *c, struct oc_track *tr)
{
    if (tr->prev)
        tr->prev->next = tr->next;
    else
        c->oldest = tr->next;
    if (tr->next)
        tr->next->prev = tr->prev;
    else
        c->newest = tr->prev;
    tr->prev = tr->next = NULL;
}

/* Keeps the live list sorted by last observation: usually already last. */
static void lru_place(struct oc_cam *c, struct oc_track *tr)
{
    struct oc_track *after = c->newest;
    while (after && after->last_ts > tr->last_ts)
        after = after->prev;
    tr->prev = after;
    tr->next = after ? after->next : c->oldest;
    if (tr->next)
        tr->next->prev = tr;
    else
        c->newest = tr;
    if (after)
        after->next = tr;
    else
        c->oldest = tr;
}

void oc_engine__end_track(struct oc_engine *e, struct oc_cam *c, struct oc_track *tr)
{
    oc_rules_track_end(e, (int)(c - e->cams), tr);
    table_remove(c, tr);
    lru_unlink(c, tr);
    c->n_live--;
    e->counters[OC_C_TRACKS_ENDED]++;
    free_track(tr);
}

static struct oc_track *new_track(struct oc_engine *e, struct oc_cam *c, const char *id, uint32_t h)
{
    if (c->n_live >= e->cfg->max_tracks_per_camera) {
        e->counters[OC_C_TRACKS_EVICTED]++;
        oc_engine__end_track(e, c, c->oldest);
    }
    struct oc_track *tr = calloc(1, sizeof *tr);
    if (!tr)
        return NULL;
    tr->z = calloc(c->cfg->n_zones + 1, sizeof *tr->z);
    tr->l = calloc(c->cfg->n_lines + 1, sizeof *tr->l);
    if (!tr->z || !tr->l) {
        free_track(tr);
        return NULL;
    }
    size_t n = strlen(id);
    memcpy(tr->id, id, n + 1);
    tr->hash = h;
    tr->cls = -1;
    c->slots[find_slot(c, id, h)] = tr;
    c->n_live++;
    e->counters[OC_C_TRACKS_STARTED]++;
    return tr;
}

/* ---- camera clock ---- */

void oc_engine__note_deadline(struct oc_cam *c, int64_t deadline)
{
    if (deadline < c->next_deadline)
        c->next_deadline = deadline;
}

/* Moves the camera clock to now: fires the dwell deadlines that fall
 * before now, ends the tracks whose timeout passed (firing what fell due
 * while they lived). */
static void advance(struct oc_engine *e, int ci, int64_t now)
{
    struct oc_cam *c = &e->cams[ci];
    if (c->has_clock && now <= c->clock)
        return;
    c->clock = now;
    c->has_clock = true;
    int64_t timeout = c->cfg->track_timeout_ms;
    oc_stay_advance(e, ci, now);
    while (c->oldest && now - c->oldest->last_ts > timeout) {
        oc_rules_timers(e, ci, c->oldest, now);
        oc_engine__end_track(e, c, c->oldest);
    }
}

/* After a message's observations: closes the exit windows that ended
 * before the clock, and recomputes the earliest pending deadline. */
static void settle(struct oc_engine *e, int ci)
{
    struct oc_cam *c = &e->cams[ci];
    if (!c->has_clock || c->clock <= c->next_deadline)
        return;
    int64_t next = NO_DEADLINE;
    for (struct oc_track *tr = c->oldest; tr; tr = tr->next) {
        oc_rules_timers(e, ci, tr, c->clock);
        int64_t d = oc_rules_next_deadline(e, ci, tr);
        if (d < next)
            next = d;
    }
    c->next_deadline = next;
}

/* ---- violations: collected per step, handed over in record order ---- */

struct oc_pending *oc_engine__emit_raw(struct oc_engine *e, int cam, int vtype, int64_t ts,
                                       int64_t ts_start)
{
    if (e->n_pending == e->cap_pending) {
        size_t cap = e->cap_pending * 2;
        struct oc_pending *p = realloc(e->pending, cap * sizeof *p);
        if (!p)
            return NULL;
        e->pending = p;
        e->cap_pending = cap;
    }
    struct oc_pending *p = &e->pending[e->n_pending];
    memset(p, 0, sizeof *p);
    p->camera = cam;
    p->vtype = vtype;
    p->ts = ts;
    p->ts_start = ts_start;
    p->cls = -1;
    p->zone = p->line = -1;
    p->order = e->n_pending++;
    return p;
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

struct oc_pending *oc_engine__emit(struct oc_engine *e, int cam, const struct oc_track *tr,
                                   int vtype, int64_t ts, int64_t ts_start, int zone, int line)
{
    struct oc_pending *p = oc_engine__emit_raw(e, cam, vtype, ts, ts_start);
    if (!p)
        return NULL; /* out of memory: counted as a violation nowhere, so say so */
    p->has_track = true;
    memcpy(p->track, tr->id, sizeof p->track);
    p->cls = tr->cls;
    const char *plate = best_plate(tr);
    memcpy(p->plate, plate, strlen(plate) + 1);
    p->conf = tr->conf;
    p->zone = zone;
    p->line = line;
    return p;
}

static int cmp_pending(const void *a, const void *b, const struct oc_engine *e)
{
    const struct oc_pending *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (x->camera != y->camera)
        return strcmp(e->cfg->cameras[x->camera].id, e->cfg->cameras[y->camera].id);
    return x->order < y->order ? -1 : x->order > y->order;
}

static void sort_pending(struct oc_engine *e)
{
    /* Insertion sort: a step yields a handful of violations at most. */
    for (size_t i = 1; i < e->n_pending; i++) {
        struct oc_pending tmp = e->pending[i];
        size_t j = i;
        while (j > 0 && cmp_pending(&e->pending[j - 1], &tmp, e) > 0) {
            e->pending[j] = e->pending[j - 1];
            j--;
        }
        e->pending[j] = tmp;
    }
}

/* The governing signal's state at the crossing and at each key moment,
 * from its history (still held: the violation was just established). */
static void signal_evidence(const struct oc_engine *e, const struct oc_pending *p,
                            struct oc_violation *v)
{
    int si = p->signal1 > 0 ? p->signal1 - 1 /* an arrow, entry or pedestrian light */
             : p->line >= 0 ? e->cams[p->camera].cfg->lines[p->line].signal
                            : -1;
    v->signal_state = OC_SIG_UNKNOWN;
    v->red_elapsed_ms = -1;
    for (size_t k = 0; k < OC_KEYS_MAX; k++) {
        v->key_sig[k] = OC_SIG_UNKNOWN;
        v->key_sig_ms[k] = -1;
    }
    if (si < 0)
        return;
    const struct oc_signal *s = &e->signals[si];
    int64_t since = 0;
    v->signal_state = oc_signal_at(s, p->ts_start, &since);
    if (v->signal_state == OC_SIG_RED)
        v->red_elapsed_ms = p->ts_start - since;
    for (size_t k = 0; k < p->n_keys && k < OC_KEYS_MAX; k++) {
        v->key_sig[k] = oc_signal_at(s, p->key_ts[k], &since);
        if (v->key_sig[k] != OC_SIG_UNKNOWN)
            v->key_sig_ms[k] = p->key_ts[k] - since;
    }
}

static void flush(struct oc_engine *e)
{
    if (e->n_pending == 0)
        return;
    sort_pending(e);
    const struct oc_config *cfg = e->cfg;
    for (size_t i = 0; i < e->n_pending; i++) {
        const struct oc_pending *p = &e->pending[i];
        struct oc_cam *c = &e->cams[p->camera];
        const struct oc_camera_cfg *cc = c->cfg;
        struct oc_violation v = {
            .camera = p->camera,
            .camera_id = cc->id,
            .vtype = p->vtype,
            .type = cfg->vtypes[p->vtype].name,
            .code = cfg->vtypes[p->vtype].code,
            .seq = c->next_seq++,
            .ts = p->ts,
            .ts_start = p->ts_start,
            .bucket = oc_tally_bucket(p->ts, cfg->bucket_ms),
            .track = p->has_track ? p->track : NULL,
            .cls = p->cls >= 0 ? oc_engine__class_name(e, p->cls) : NULL,
            .plate = p->plate[0] ? p->plate : NULL,
            .conf = p->conf,
            .zone = p->zone >= 0 ? cc->zones[p->zone].id : NULL,
            .line = p->line >= 0 ? cc->lines[p->line].id : NULL,
            .signal = p->signal1 > 0 ? cfg->signals[p->signal1 - 1].id
                      : p->line >= 0 && cc->lines[p->line].signal >= 0
                          ? cfg->signals[cc->lines[p->line].signal].id
                          : NULL,
            .location = cc->location,
            .road = cc->road,
            .unit = cc->unit,
            .n_keys = p->n_keys,
        };
        memcpy(v.key_ts, p->key_ts, sizeof v.key_ts);
        memcpy(v.key_box, p->key_box, sizeof v.key_box);
        signal_evidence(e, p, &v);
        e->counters[OC_C_VIOLATIONS]++;
        e->sink->violation(e->ud, &v);
    }
    e->n_pending = 0;
}

/* ---- observations ---- */

static void count_class(struct oc_track *tr, int cls)
{
    int slot = -1, weakest = 0;
    for (int i = 0; i < OC_TRACK_CLASSES; i++) {
        if (tr->cls_n[i] && tr->cls_id[i] == cls)
            slot = i;
        if (tr->cls_n[i] < tr->cls_n[weakest] ||
            (tr->cls_n[i] == tr->cls_n[weakest] && tr->cls_seen[i] < tr->cls_seen[weakest]))
            weakest = i;
    }
    if (slot < 0) {
        slot = weakest; /* a fifth class replaces the least counted one */
        tr->cls_id[slot] = (uint8_t)cls;
        tr->cls_n[slot] = 0;
    }
    tr->cls_n[slot]++;
    tr->cls_seen[slot] = tr->n_obs;
    int best = slot;
    for (int i = 0; i < OC_TRACK_CLASSES; i++)
        if (tr->cls_n[i] > tr->cls_n[best])
            best = i;
    tr->cls = tr->cls_id[best];
}

static void count_plate(struct oc_track *tr, const char *plate)
{
    int slot = -1, weakest = 0;
    for (int i = 0; i < OC_TRACK_PLATES; i++) {
        if (tr->plate_n[i] && strcmp(tr->plate[i], plate) == 0)
            slot = i;
        if (tr->plate_n[i] < tr->plate_n[weakest] ||
            (tr->plate_n[i] == tr->plate_n[weakest] && tr->plate_seen[i] < tr->plate_seen[weakest]))
            weakest = i;
    }
    if (slot < 0) {
        slot = weakest;
        memcpy(tr->plate[slot], plate, strlen(plate) + 1);
        tr->plate_n[slot] = 0;
    }
    tr->plate_n[slot]++;
    tr->plate_seen[slot] = tr->n_obs;
}

static void observe(struct oc_engine *e, int ci, const struct oc_obj *o, int64_t t)
{
    struct oc_cam *c = &e->cams[ci];
    uint32_t h = hash_str(o->id);
    struct oc_track *tr = c->slots[find_slot(c, o->id, h)];
    bool is_new = false;
    if (!tr) {
        tr = new_track(e, c, o->id, h);
        if (!tr)
            return;
        is_new = true;
    } else {
        lru_unlink(c, tr);
    }
    tr->n_obs++;
    count_class(tr, oc_engine__class_id(e, o->cls));
    if (o->plate)
        count_plate(tr, o->plate);
    bool has_prev = !is_new && t > tr->last_ts;
    struct oc_pt prev = tr->anchor;
    int64_t prev_ts = tr->last_ts;
    double prev_box[4];
    memcpy(prev_box, tr->box, sizeof prev_box);
    if (is_new || t >= tr->last_ts) {
        tr->anchor = (struct oc_pt){o->x + o->w / 2, o->y + o->h};
        tr->box[0] = o->x;
        tr->box[1] = o->y;
        tr->box[2] = o->w;
        tr->box[3] = o->h;
        tr->conf = o->conf;
    }
    if (is_new) {
        tr->first_ts = tr->last_ts = t;
    } else if (t > tr->last_ts) {
        tr->last_ts = t;
    }
    lru_place(c, tr);
    e->counters[OC_C_OBJECTS]++;
    oc_rules_observe(e, ci, tr, o, t, has_prev, prev, prev_ts, prev_box, is_new);
    oc_engine__note_deadline(c, oc_rules_next_deadline(e, ci, tr));
}

/* The clock bounds (events.md): true when a message dated t may be
 * applied to camera ci; otherwise it is counted and must be dropped. */
static bool admit(struct oc_engine *e, struct oc_clock_guard *g, bool has, int64_t clock, int64_t t)
{
    switch (oc_clock_judge(g, &e->bounds, has, clock, t, e->rx)) {
    case OC_CLOCK_FUTURE: e->counters[OC_C_DROP_CLOCK_FUTURE]++; return false;
    case OC_CLOCK_JUMP: e->counters[OC_C_DROP_CLOCK_JUMP]++; return false;
    case OC_CLOCK_STEP: e->counters[OC_C_CLOCK_STEPS]++; break;
    case OC_CLOCK_OK: break;
    }
    if (!has || t > clock)
        oc_clock_moved(g, t, e->rx);
    return true;
}

static bool admit_camera(struct oc_engine *e, int ci, int64_t t)
{
    struct oc_cam *c = &e->cams[ci];
    return admit(e, &c->guard, c->has_clock, c->clock, t);
}

static void detections(struct oc_engine *e, int ci, const struct oc_detections *d)
{
    e->counters[OC_C_MSG_DETECTIONS]++;
    if (e->sink->detections)
        e->sink->detections(e->ud, ci, d);
    advance(e, ci, d->ts);
    for (size_t i = 0; i < d->n_objs; i++)
        observe(e, ci, &d->objs[i], d->ts);
    oc_stay_frame(e, ci, d->ts);
    settle(e, ci);
    if (d->jpeg_b64 && e->sink->frame)
        e->sink->frame(e->ud, ci, d->ts, d->jpeg_b64, d->jpeg_b64_len, 1);
}

void oc_engine_feed_detections(struct oc_engine *e, int camera, const struct oc_detections *d)
{
    if (camera < 0 || (size_t)camera >= e->cfg->n_cameras)
        return;
    if (!admit_camera(e, camera, d->ts))
        return;
    detections(e, camera, d);
    flush(e);
}

void oc_engine_feed_camera_frame(struct oc_engine *e, int camera, int64_t ts, const void *data,
                                 size_t len)
{
    if (camera < 0 || (size_t)camera >= e->cfg->n_cameras)
        return;
    struct oc_topic t = {.kind = OC_MSG_FRAME, .camera = camera, .signal = -1, .frame_ts = ts};
    oc_engine_feed_frame(e, &t, data, len);
}

void oc_engine_end_track(struct oc_engine *e, int camera, const char *id, int64_t ts)
{
    if (camera < 0 || (size_t)camera >= e->cfg->n_cameras || !id)
        return;
    struct oc_cam *c = &e->cams[camera];
    if (!admit_camera(e, camera, ts))
        return; /* an end dated far from the camera's clock: counted */
    advance(e, camera, ts);
    struct oc_track *tr = c->slots[find_slot(c, id, hash_str(id))];
    if (tr) {
        /* the source tracked it, unmoved, until now: re-acquisition counts
         * from here, not from its last reported position */
        if (ts > tr->last_ts)
            tr->last_ts = ts;
        oc_rules_timers(e, camera, tr, c->clock);
        oc_engine__end_track(e, c, tr);
    }
    settle(e, camera);
    flush(e);
}

static void on_detections(struct oc_engine *e, int ci, const cJSON *root)
{
    struct oc_detections d;
    enum oc_counter why;
    unsigned dropped;
    if (!oc_event_detections(&e->dec, root, &d, &why, &dropped)) {
        e->counters[why]++;
        return;
    }
    if (!admit_camera(e, ci, d.ts))
        return;
    e->counters[OC_C_FIELD_DROPPED] += dropped;
    detections(e, ci, &d);
}

static void on_event(struct oc_engine *e, int ci, const cJSON *root)
{
    struct oc_cam_event ev;
    enum oc_counter why;
    unsigned dropped;
    if (!oc_event_camera_event(root, &ev, &why, &dropped)) {
        e->counters[why]++;
        return;
    }
    if (!admit_camera(e, ci, ev.ts))
        return;
    e->counters[OC_C_FIELD_DROPPED] += dropped;
    e->counters[OC_C_MSG_EVENTS]++;
    advance(e, ci, ev.ts);
    oc_rules_camera_event(e, ci, &ev);
    settle(e, ci);
}

static void on_signal(struct oc_engine *e, int si, const cJSON *root)
{
    struct oc_signal_msg m;
    enum oc_counter why;
    if (!oc_event_signal(root, &m, &why)) {
        e->counters[why]++;
        return;
    }
    struct oc_signal *s = &e->signals[si];
    if (!admit(e, &e->sig_guards[si], s->n > 0, s->n ? s->runs[s->head].last : 0, m.ts))
        return;
    if (oc_signal_add(s, m.ts, m.state) != OC_OK) {
        e->counters[OC_C_DROP_SIGNAL_OLD]++;
        return;
    }
    e->counters[OC_C_MSG_SIGNALS]++;
}

void oc_engine_feed_json(struct oc_engine *e, const struct oc_topic *t, const cJSON *root)
{
    if (!cJSON_IsObject(root)) {
        e->counters[OC_C_DROP_NOT_OBJECT]++;
        return;
    }
    switch (t->kind) {
    case OC_MSG_DETECTIONS: on_detections(e, t->camera, root); break;
    case OC_MSG_EVENT: on_event(e, t->camera, root); break;
    case OC_MSG_SIGNAL: on_signal(e, t->signal, root); break;
    case OC_MSG_FRAME: e->counters[OC_C_DROP_BAD_VALUE]++; break; /* frames are not JSON */
    }
    flush(e);
}

void oc_engine_feed_frame(struct oc_engine *e, const struct oc_topic *t, const void *data,
                          size_t len)
{
    if (len > OC_JPEG_MAX_BYTES) {
        e->counters[OC_C_DROP_TOO_LARGE]++;
        return;
    }
    /* a frame that is not even a JPEG must not move the camera's clock */
    if (data && !oc_event_is_jpeg(data, len)) {
        e->counters[OC_C_DROP_NOT_JPEG]++;
        return;
    }
    if (!admit_camera(e, t->camera, t->frame_ts))
        return;
    e->counters[OC_C_MSG_FRAMES]++;
    advance(e, t->camera, t->frame_ts);
    settle(e, t->camera);
    if (data && e->sink->frame)
        e->sink->frame(e->ud, t->camera, t->frame_ts, data, len, 0);
    flush(e);
}

int oc_engine_feed(struct oc_engine *e, const char *topic, size_t topic_len, const void *payload,
                   size_t len)
{
    struct oc_topic t;
    enum oc_counter why;
    if (!oc_event_topic(e->cfg, topic, topic_len, &t, &why)) {
        e->counters[why]++;
        return -1;
    }
    if (t.kind == OC_MSG_FRAME) {
        oc_engine_feed_frame(e, &t, payload, len);
        return t.camera;
    }
    /* the fast reader for the common payload (no allocation), else the
     * policy parser: the same tree, the same refusals (oc_adapt_json.h) */
    if (!e->fast)
        e->fast = malloc(sizeof *e->fast); /* NULL: the policy parser alone */
    cJSON *owned;
    const cJSON *root = oc_ajson_event(e->fast, payload, len, &owned, &why);
    if (!root) {
        e->counters[why]++;
        return t.camera;
    }
    oc_engine_feed_json(e, &t, root);
    cJSON_Delete(owned);
    return t.camera;
}

int oc_engine_feed_json_topic(struct oc_engine *e, const char *topic, size_t topic_len,
                              const cJSON *root)
{
    struct oc_topic t;
    enum oc_counter why;
    if (!oc_event_topic(e->cfg, topic, topic_len, &t, &why)) {
        e->counters[why]++;
        return -1;
    }
    oc_engine_feed_json(e, &t, root);
    return t.camera;
}

int oc_engine_feed_unloaded(struct oc_engine *e, const char *topic, size_t topic_len)
{
    struct oc_topic t;
    enum oc_counter why;
    if (!oc_event_topic(e->cfg, topic, topic_len, &t, &why)) {
        e->counters[why]++;
        return -1;
    }
    if (t.kind != OC_MSG_FRAME) {
        e->counters[OC_C_DROP_LOG_LINE]++;
        return t.camera;
    }
    oc_engine_feed_frame(e, &t, NULL, 0);
    return t.camera;
}

void oc_engine_set_received(struct oc_engine *e, int64_t wall_ms)
{
    e->rx = wall_ms >= OC_TS_MIN && wall_ms <= OC_TS_MAX ? wall_ms : OC_RX_UNKNOWN;
}

void oc_engine_tick(struct oc_engine *e, int camera, int64_t now_ms)
{
    if (camera < 0 || (size_t)camera >= e->cfg->n_cameras)
        return;
    advance(e, camera, now_ms);
    settle(e, camera);
    flush(e);
}

void oc_engine_finish(struct oc_engine *e)
{
    for (size_t i = 0; i < e->cfg->n_cameras; i++) {
        struct oc_cam *c = &e->cams[i];
        while (c->oldest)
            oc_engine__end_track(e, c, c->oldest);
    }
    flush(e);
}

void oc_engine__adopt(struct oc_engine *e, struct oc_cam *c, struct oc_track *tr)
{
    (void)e;
    c->slots[find_slot(c, tr->id, tr->hash)] = tr;
    c->n_live++;
    lru_place(c, tr);
}

void oc_engine__reset_clock(struct oc_engine *e, int ci)
{
    struct oc_cam *c = &e->cams[ci];
    while (c->oldest) {
        struct oc_track *tr = c->oldest;
        table_remove(c, tr);
        lru_unlink(c, tr);
        free_track(tr);
    }
    c->n_live = 0;
    c->clock = 0;
    c->has_clock = false;
    c->next_deadline = NO_DEADLINE;
    oc_clock_guard_init(&c->guard);
}
