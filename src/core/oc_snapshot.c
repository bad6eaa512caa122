/* Saving and restoring the engine's state, so that a daemon restarted
 * after a crash continues exactly where it was (snapshot + the journal of
 * messages since). The format is for one build and one config: a header
 * carries the struct sizes and the caller's config fingerprint, and any
 * mismatch refuses the file rather than misreading it. */
#include "oc_engine_int.h"

#include <stdlib.h>
#include <string.h>

#define MAGIC "OCSNAP03"

struct header {
    char magic[8];
    uint64_t config_hash;
    uint32_t track_size, zstate_size, lstate_size, signal_size, event_id_size, guard_size;
    uint32_t stay_size;
    uint32_t n_cameras, n_signals, n_classes;
};

static int put(FILE *f, const void *p, size_t n)
{
    return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}

static int get(FILE *f, void *p, size_t n)
{
    return n == 0 || fread(p, 1, n, f) == n ? 0 : -1;
}

static int save_track(FILE *f, const struct oc_cam *c, const struct oc_track *tr)
{
    struct oc_track copy = *tr;
    copy.prev = copy.next = NULL;
    copy.z = NULL;
    copy.l = NULL;
    return put(f, &copy, sizeof copy) || put(f, tr->z, c->cfg->n_zones * sizeof *tr->z) ||
           put(f, tr->l, c->cfg->n_lines * sizeof *tr->l);
}

oc_err_t oc_engine_save(const struct oc_engine *e, FILE *f, uint64_t config_hash)
{
    const struct oc_config *cfg = e->cfg;
    struct header h = {.config_hash = config_hash,
                       .track_size = sizeof(struct oc_track),
                       .zstate_size = sizeof(struct oc_zstate),
                       .lstate_size = sizeof(struct oc_lstate),
                       .signal_size = sizeof(struct oc_signal),
                       .event_id_size = sizeof(struct oc_event_id),
                       .guard_size = sizeof(struct oc_clock_guard),
                       .stay_size = sizeof(struct oc_stay),
                       .n_cameras = (uint32_t)cfg->n_cameras,
                       .n_signals = (uint32_t)cfg->n_signals,
                       .n_classes = (uint32_t)e->n_classes};
    memcpy(h.magic, MAGIC, 8);
    if (put(f, &h, sizeof h) || put(f, e->signals, cfg->n_signals * sizeof *e->signals) ||
        put(f, e->sig_guards, cfg->n_signals * sizeof *e->sig_guards))
        return OC_EIO;
    for (size_t i = 0; i < e->n_classes; i++) {
        uint32_t n = (uint32_t)strlen(e->class_names[i]);
        if (put(f, &n, sizeof n) || put(f, e->class_names[i], n))
            return OC_EIO;
    }
    for (size_t ci = 0; ci < cfg->n_cameras; ci++) {
        const struct oc_cam *c = &e->cams[ci];
        uint64_t fields[6] = {(uint64_t)c->clock, c->has_clock, c->next_seq,
                              c->ev_head,         c->ev_n,      c->n_live};
        if (put(f, fields, sizeof fields) || put(f, &c->guard, sizeof c->guard) ||
            put(f, c->event_ids, cfg->max_event_ids * sizeof *c->event_ids))
            return OC_EIO;
        for (const struct oc_track *tr = c->oldest; tr; tr = tr->next)
            if (save_track(f, c, tr))
                return OC_EIO;
        uint64_t ng = 0; /* ended tracks kept for their stays: none since OCSNAP03 */
        if (put(f, &ng, sizeof ng))
            return OC_EIO;
        uint64_t st[2] = {c->stays.n, c->stays.next_id};
        if (put(f, st, sizeof st) || put(f, c->stays.v, c->stays.n * sizeof *c->stays.v))
            return OC_EIO;
    }
    return fflush(f) == 0 && !ferror(f) ? OC_OK : OC_EIO;
}

static struct oc_track *load_track(FILE *f, const struct oc_cam *c)
{
    struct oc_track *tr = malloc(sizeof *tr);
    if (!tr)
        return NULL;
    tr->z = calloc(c->cfg->n_zones + 1, sizeof *tr->z);
    tr->l = calloc(c->cfg->n_lines + 1, sizeof *tr->l);
    struct oc_zstate *z = tr->z;
    struct oc_lstate *l = tr->l;
    if (!z || !l || get(f, tr, sizeof *tr) || get(f, z, c->cfg->n_zones * sizeof *z) ||
        get(f, l, c->cfg->n_lines * sizeof *l) || memchr(tr->id, '\0', sizeof tr->id) == NULL) {
        free(z);
        free(l);
        free(tr);
        return NULL;
    }
    tr->z = z;
    tr->l = l;
    tr->prev = tr->next = NULL;
    return tr;
}

/* A clock beyond the wall time now + max_future cannot have come from any
 * message the bounds admit now (the box's clock was wrong, or the state is
 * older than the bounds): it would refuse every real message, so it goes. */
static void reset_poisoned(struct oc_engine *e)
{
    for (size_t ci = 0; ci < e->cfg->n_cameras; ci++) {
        struct oc_cam *c = &e->cams[ci];
        if (c->guard.cand_n && oc_clock_poisoned(&e->bounds, c->guard.cand_ts, e->rx))
            c->guard.cand_n = 0;
        if (c->has_clock && oc_clock_poisoned(&e->bounds, c->clock, e->rx)) {
            oc_engine__reset_clock(e, (int)ci);
            e->counters[OC_C_CLOCK_RESETS]++;
        }
    }
    for (size_t si = 0; si < e->cfg->n_signals; si++) {
        struct oc_signal *s = &e->signals[si];
        struct oc_clock_guard *g = &e->sig_guards[si];
        if (g->cand_n && oc_clock_poisoned(&e->bounds, g->cand_ts, e->rx))
            g->cand_n = 0;
        if (s->n && oc_clock_poisoned(&e->bounds, s->runs[s->head].last, e->rx)) {
            oc_signal_init(s, s->stale_ms);
            oc_clock_guard_init(g);
            e->counters[OC_C_CLOCK_RESETS]++;
        }
    }
}

oc_err_t oc_engine_load(struct oc_engine *e, FILE *f, uint64_t config_hash)
{
    const struct oc_config *cfg = e->cfg;
    struct header h;
    if (get(f, &h, sizeof h) || memcmp(h.magic, MAGIC, 8) != 0)
        return OC_EPARSE;
    if (h.config_hash != config_hash || h.track_size != sizeof(struct oc_track) ||
        h.zstate_size != sizeof(struct oc_zstate) || h.lstate_size != sizeof(struct oc_lstate) ||
        h.signal_size != sizeof(struct oc_signal) ||
        h.event_id_size != sizeof(struct oc_event_id) ||
        h.guard_size != sizeof(struct oc_clock_guard) || h.stay_size != sizeof(struct oc_stay) ||
        h.n_cameras != cfg->n_cameras || h.n_signals != cfg->n_signals ||
        h.n_classes > OC_CLASS_MAX - OC_CLASS_KNOWN - 1)
        return OC_EINVAL;
    if (get(f, e->signals, cfg->n_signals * sizeof *e->signals) ||
        get(f, e->sig_guards, cfg->n_signals * sizeof *e->sig_guards))
        return OC_EPARSE;
    for (size_t i = 0; i < cfg->n_signals; i++)
        if (e->signals[i].n > OC_SIGNAL_RUNS || e->signals[i].head >= OC_SIGNAL_RUNS)
            return OC_EPARSE;
    for (uint32_t i = 0; i < h.n_classes; i++) {
        uint32_t n;
        if (get(f, &n, sizeof n) || n > 64)
            return OC_EPARSE;
        char *name = calloc(1, n + 1);
        if (!name || get(f, name, n)) {
            free(name);
            return OC_EPARSE;
        }
        e->class_names[e->n_classes++] = name;
    }
    for (size_t ci = 0; ci < cfg->n_cameras; ci++) {
        struct oc_cam *c = &e->cams[ci];
        uint64_t fields[6];
        if (get(f, fields, sizeof fields) || get(f, &c->guard, sizeof c->guard) ||
            get(f, c->event_ids, cfg->max_event_ids * sizeof *c->event_ids) ||
            fields[3] >= cfg->max_event_ids || fields[4] > cfg->max_event_ids ||
            fields[5] > cfg->max_tracks_per_camera)
            return OC_EPARSE;
        c->clock = (int64_t)fields[0];
        c->has_clock = fields[1] != 0;
        c->next_seq = fields[2];
        c->ev_head = (size_t)fields[3];
        c->ev_n = (size_t)fields[4];
        for (uint64_t k = 0; k < fields[5]; k++) {
            struct oc_track *tr = load_track(f, c);
            if (!tr)
                return OC_EPARSE;
            oc_engine__adopt(e, c, tr);
        }
        uint64_t ng;
        if (get(f, &ng, sizeof ng) || ng != 0)
            return OC_EPARSE;
        uint64_t st[2];
        if (get(f, st, sizeof st) || st[0] > cfg->max_tracks_per_camera || st[1] > UINT32_MAX ||
            !oc_stay_reserve(&c->stays, (size_t)st[0]) ||
            get(f, c->stays.v, (size_t)st[0] * sizeof *c->stays.v))
            return OC_EPARSE;
        c->stays.n = (size_t)st[0];
        c->stays.next_id = (uint32_t)st[1];
        for (size_t k = 0; k < c->stays.n; k++) {
            const struct oc_stay *hy = &c->stays.v[k];
            if (hy->zone < 0 || (size_t)hy->zone >= c->cfg->n_zones ||
                !memchr(hy->track, '\0', sizeof hy->track) ||
                !memchr(hy->plate, '\0', sizeof hy->plate))
                return OC_EPARSE;
        }
        oc_stay_rebound(e, (int)ci);
        c->next_deadline = NO_DEADLINE;
        for (const struct oc_track *tr = c->oldest; tr; tr = tr->next)
            oc_engine__note_deadline(c, oc_rules_next_deadline(e, (int)ci, tr));
    }
    reset_poisoned(e);
    return OC_OK;
}
