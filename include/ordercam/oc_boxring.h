/* Recent detection boxes per camera, for the public evidence variant
 * (docs/evidence.md "Public variant"): the boxes of every object of the
 * last OC_BOXRING_SETS detection messages of each camera, so that the
 * bystanders of a key frame can be pixelated. Bounded: at most
 * OC_BOXRING_OBJS objects of a message are kept (the rest are counted in
 * objs_dropped; their frame is then pixelated whole but for the offender)
 * and the oldest message goes when a camera's ring is full. A camera's
 * ring is allocated on its first message. Engine thread only. */
#ifndef OC_BOXRING_H
#define OC_BOXRING_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_event.h"

#define OC_BOXRING_SETS 512 /* detection messages per camera (20 s at 25 per second) */
#define OC_BOXRING_OBJS 64  /* objects per message */

struct oc_boxring_obj {
    double box[4];    /* x, y, w, h, camera pixels */
    uint64_t id_hash; /* oc_boxring_hash of the tracker id (0: none) */
};

struct oc_boxring_stats {
    uint64_t sets;         /* messages added */
    uint64_t objs_dropped; /* objects beyond OC_BOXRING_OBJS in a message */
    uint64_t nomem;        /* a camera's ring could not be allocated */
};

struct oc_boxring;

/* NULL when out of memory. */
struct oc_boxring *oc_boxring_new(size_t n_cameras);
void oc_boxring_free(struct oc_boxring *r);

/* Copies d's boxes (d borrowed). */
void oc_boxring_add(struct oc_boxring *r, int camera, const struct oc_detections *d);

/* The objects of camera's message nearest to ts within tol_ms (*found_ts
 * its time), borrowed until the next add; -1 when there is none (or it
 * lost objects to the bound: the caller cannot tell who is missing). */
int oc_boxring_at(const struct oc_boxring *r, int camera, int64_t ts, int64_t tol_ms,
                  const struct oc_boxring_obj **objs, int64_t *found_ts);

/* FNV-1a 64 of a tracker id; 0 for NULL. */
uint64_t oc_boxring_hash(const char *id);

void oc_boxring_stats(const struct oc_boxring *r, struct oc_boxring_stats *s);

#endif
