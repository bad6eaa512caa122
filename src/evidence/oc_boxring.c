#include "ordercam/oc_boxring.h"

#include <stdlib.h>

struct set {
    int64_t ts;
    int n; /* -1: lost objects to the bound */
    struct oc_boxring_obj objs[OC_BOXRING_OBJS];
};

struct cam {
    struct set *sets; /* OC_BOXRING_SETS, circular; NULL until the first message */
    size_t head, count;
};

struct oc_boxring {
    size_t n_cameras;
    struct oc_boxring_stats st;
    struct cam cams[];
};

struct oc_boxring *oc_boxring_new(size_t n_cameras)
{
    struct oc_boxring *r = calloc(1, sizeof *r + n_cameras * sizeof(struct cam));
    if (r)
        r->n_cameras = n_cameras;
    return r;
}

void oc_boxring_free(struct oc_boxring *r)
{
    if (!r)
        return;
    for (size_t c = 0; c < r->n_cameras; c++)
        free(r->cams[c].sets);
    free(r);
}

uint64_t oc_boxring_hash(const char *id)
{
    if (!id)
        return 0;
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h ? h : 1;
}

void oc_boxring_add(struct oc_boxring *r, int camera, const struct oc_detections *d)
{
    if (camera < 0 || (size_t)camera >= r->n_cameras)
        return;
    struct cam *c = &r->cams[camera];
    if (!c->sets && !(c->sets = malloc(OC_BOXRING_SETS * sizeof *c->sets))) {
        r->st.nomem++;
        return;
    }
    size_t slot = (c->head + c->count) % OC_BOXRING_SETS;
    if (c->count == OC_BOXRING_SETS)
        c->head = (c->head + 1) % OC_BOXRING_SETS;
    else
        c->count++;
    struct set *s = &c->sets[slot];
    s->ts = d->ts;
    size_t n = d->n_objs < OC_BOXRING_OBJS ? d->n_objs : OC_BOXRING_OBJS;
    for (size_t i = 0; i < n; i++)
        s->objs[i] =
            (struct oc_boxring_obj){{d->objs[i].x, d->objs[i].y, d->objs[i].w, d->objs[i].h},
                                    oc_boxring_hash(d->objs[i].id)};
    s->n = (int)n;
    if (d->n_objs > n) {
        r->st.objs_dropped += d->n_objs - n;
        s->n = -1;
    }
    r->st.sets++;
}

int oc_boxring_at(const struct oc_boxring *r, int camera, int64_t ts, int64_t tol_ms,
                  const struct oc_boxring_obj **objs, int64_t *found_ts)
{
    if (camera < 0 || (size_t)camera >= r->n_cameras)
        return -1;
    const struct cam *c = &r->cams[camera];
    const struct set *best = NULL;
    int64_t best_d = 0;
    for (size_t k = 0; k < c->count; k++) {
        const struct set *s = &c->sets[(c->head + k) % OC_BOXRING_SETS];
        int64_t dist = s->ts > ts ? s->ts - ts : ts - s->ts;
        if (dist <= tol_ms && (!best || dist < best_d)) {
            best = s;
            best_d = dist;
        }
    }
    if (!best || best->n < 0)
        return -1;
    *objs = best->objs;
    *found_ts = best->ts;
    return best->n;
}

void oc_boxring_stats(const struct oc_boxring *r, struct oc_boxring_stats *s)
{
    *s = r->st;
}
