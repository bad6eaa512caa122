#include "ordercam/oc_ring.h"

#include <stdlib.h>
#include <string.h>

struct frame {
    struct frame *next; /* arrival order, all cameras */
    int camera;
    int64_t ts;
    int64_t until; /* kept frames: the camera clock they are kept to */
    size_t len;
    unsigned char data[];
};

struct oc_ring {
    struct frame *head, *tail;
    struct frame *kept; /* frames kept past their age, in the order kept */
    size_t kept_bytes;
    int64_t *newest; /* per camera */
    int64_t keep_ms;
    size_t max_bytes;
    struct oc_ring_stats st;
};

struct oc_ring *oc_ring_new(size_t n_cameras, int64_t keep_ms, size_t max_bytes)
{
    struct oc_ring *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->newest = calloc(n_cameras + 1, sizeof *r->newest);
    if (!r->newest) {
        free(r);
        return NULL;
    }
    r->keep_ms = keep_ms;
    r->max_bytes = max_bytes;
    return r;
}

void oc_ring_free(struct oc_ring *r)
{
    if (!r)
        return;
    for (struct frame *f = r->head, *next; f; f = next) {
        next = f->next;
        free(f);
    }
    for (struct frame *f = r->kept, *next; f; f = next) {
        next = f->next;
        free(f);
    }
    free(r->newest);
    free(r);
}

static void drop_head(struct oc_ring *r)
{
    struct frame *f = r->head;
    r->head = f->next;
    if (!r->head)
        r->tail = NULL;
    r->st.frames--;
    r->st.bytes -= f->len;
    free(f);
}

/* The kept list is newest first; its last element is the oldest. */
static void drop_oldest_kept(struct oc_ring *r)
{
    struct frame **pp = &r->kept;
    while ((*pp)->next)
        pp = &(*pp)->next;
    r->kept_bytes -= (*pp)->len;
    free(*pp);
    *pp = NULL;
    r->st.kept_evicted++;
}

static void expire_kept(struct oc_ring *r)
{
    for (struct frame **pp = &r->kept; *pp;) {
        struct frame *f = *pp;
        if (r->newest[f->camera] <= f->until) {
            pp = &f->next;
            continue;
        }
        *pp = f->next;
        r->kept_bytes -= f->len;
        free(f);
    }
}

oc_err_t oc_ring_add(struct oc_ring *r, int camera, int64_t ts, const void *jpeg, size_t len)
{
    if (len > r->max_bytes) {
        r->st.too_large++;
        return OC_ELIMIT;
    }
    struct frame *f = malloc(sizeof *f + len);
    if (!f)
        return OC_ENOMEM;
    f->next = NULL;
    f->camera = camera;
    f->ts = ts;
    f->len = len;
    memcpy(f->data, jpeg, len);
    if (r->tail)
        r->tail->next = f;
    else
        r->head = f;
    r->tail = f;
    r->st.frames++;
    r->st.bytes += len;
    r->st.added++;
    if (ts > r->newest[camera])
        r->newest[camera] = ts;
    while (r->st.bytes > r->max_bytes) {
        drop_head(r);
        r->st.evicted++;
    }
    /* age out from the front: frames arrive roughly in time order */
    while (r->head && r->head->ts < r->newest[r->head->camera] - r->keep_ms) {
        drop_head(r);
        r->st.expired++;
    }
    expire_kept(r);
    return OC_OK;
}

void oc_ring_keep(struct oc_ring *r, int camera, int64_t ts, int64_t tol_ms, int64_t until)
{
    for (struct frame **pp = &r->head, *prev = NULL; *pp;) {
        struct frame *f = *pp;
        int64_t d = f->ts > ts ? f->ts - ts : ts - f->ts;
        if (f->camera != camera || d > tol_ms) {
            prev = f;
            pp = &f->next;
            continue;
        }
        *pp = f->next; /* out of the ring, into the kept list */
        if (r->tail == f)
            r->tail = prev;
        r->st.frames--;
        r->st.bytes -= f->len;
        f->until = until;
        f->next = r->kept;
        r->kept = f;
        r->kept_bytes += f->len;
        r->st.kept++;
    }
    while (r->kept_bytes > r->max_bytes / 4)
        drop_oldest_kept(r);
}

const void *oc_ring_nearest(const struct oc_ring *r, int camera, int64_t ts, int64_t tol_ms,
                            size_t *len, int64_t *frame_ts)
{
    const struct frame *best = NULL;
    int64_t best_d = tol_ms + 1;
    for (int list = 0; list < 2; list++)
        for (const struct frame *f = list ? r->kept : r->head; f; f = f->next) {
            if (f->camera != camera)
                continue;
            int64_t d = f->ts > ts ? f->ts - ts : ts - f->ts;
            if (d < best_d || (d == best_d && best && f->ts < best->ts)) {
                best = f;
                best_d = d;
            }
        }
    if (!best)
        return NULL;
    *len = best->len;
    *frame_ts = best->ts;
    return best->data;
}

void oc_ring_stats(const struct oc_ring *r, struct oc_ring_stats *s)
{
    *s = r->st;
    s->kept_bytes = r->kept_bytes;
    s->span_ms = r->head ? r->newest[r->head->camera] - r->head->ts : 0;
}
