/* Recent JPEG frames per camera, for evidence. Bounded in seconds per
 * camera (frames older than the camera's newest by more than ring_s go)
 * and in bytes across cameras (the oldest frame overall goes first). Both
 * drops are counted. Frames asked for by oc_ring_keep (a stay's start,
 * which becomes a key moment minutes later) move to a kept list, bounded
 * by a quarter of max_bytes on top of it (oldest kept dropped first,
 * counted), until their camera's clock passes the time given. Used by
 * the engine thread only: not thread-safe. */
#ifndef OC_RING_H
#define OC_RING_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_err.h"

struct oc_ring;

struct oc_ring_stats {
    uint64_t frames, bytes;           /* held now */
    uint64_t added, expired, evicted; /* since start */
    uint64_t too_large;               /* frames larger than the whole ring */
    uint64_t kept, kept_evicted;      /* frames kept since start; kept ones dropped for bytes */
    uint64_t kept_bytes;              /* held in the kept list now */
    int64_t span_ms; /* how far back the ring reaches now: the oldest frame held, behind its
                      * camera's newest (0 when empty); evidence needs about 2.5 s */
};

/* NULL when out of memory. */
struct oc_ring *oc_ring_new(size_t n_cameras, int64_t keep_ms, size_t max_bytes);
void oc_ring_free(struct oc_ring *r);

/* Copies the frame in. OC_ELIMIT when it alone exceeds max_bytes. */
oc_err_t oc_ring_add(struct oc_ring *r, int camera, int64_t ts, const void *jpeg, size_t len);

/* The frame of camera nearest to ts within tol_ms, or NULL. The pointer is
 * borrowed until the next oc_ring_add. */
const void *oc_ring_nearest(const struct oc_ring *r, int camera, int64_t ts, int64_t tol_ms,
                            size_t *len, int64_t *frame_ts);

/* Keeps camera's frames within tol_ms of ts until its clock passes until. */
void oc_ring_keep(struct oc_ring *r, int camera, int64_t ts, int64_t tol_ms, int64_t until);

void oc_ring_stats(const struct oc_ring *r, struct oc_ring_stats *s);

#endif
