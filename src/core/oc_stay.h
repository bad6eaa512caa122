/* Stays in dwell zones (docs/violations.md, "Stays"): stationary-object
 * hypotheses per camera that any track may feed, so that a parked object
 * keeps one stay through re-numbering, id hops, duplicate boxes, partial
 * boxes and short gaps. Internal to the engine (src/core); the engine owns
 * every oc_stays and frees it with oc_stay_free. */
#ifndef OC_STAY_H
#define OC_STAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_event.h"

/* A track that stops feeding a stay ends it when it was the last to feed
 * it and either fed it alone or had fed it at least this long (a car
 * passing in front of a parked one does not end the parked car's stay). */
#define OC_STAY_OWN_MS 3000
/* Two boxes in one frame are one object when IoU >= this, or when the
 * smaller (<= OC_STAY_PART_AREA of the larger) lies >= OC_STAY_PART_IN inside. */
#define OC_STAY_DUP_IOU 0.7
#define OC_STAY_PART_IN 0.85
#define OC_STAY_PART_AREA 0.8
#define OC_STAY_PART_MIN 0.15 /* a visible part covers at least this of the reference */
/* A full re-detection: w and h within this factor (a visible part, 0.6 of
 * a car, is a part: near a neighbour's place it must not pass for its box). */
#define OC_STAY_SIZE_RATIO 1.2
#define OC_STAY_OWN_BONUS 0.2 /* added to the IoU of a track's own stay */
#define OC_STAY_CANDS 4       /* hypotheses considered per box */
/* A track's own box that matched nothing but lies at least this much
 * inside its stay's reference keeps the stay (a poorly drawn box). */
#define OC_STAY_HOLD_IN 0.75
/* A box whose object a newer stay followed a frame ago (IoU >= this, above
 * the ~0.5 of neighbouring places) is that object's, not a stale stay's. */
#define OC_STAY_NEWER_IOU 0.6
/* A stay still this long at the place (IoU >= OC_STAY_DUP_IOU) of one
 * unboxed for longer than track_timeout_s since before it began replaces
 * it (a car merely driving over the place does not). */
#define OC_STAY_SUPERSEDE_MS 2000
/* A new track first boxed off a stay's place (IoU < OC_STAY_AWAY_OFF) but
 * near it (centres within OC_STAY_AWAY_NEAR reference widths), at most
 * track_timeout_s after the stay's last box there, whose centre by its
 * OC_STAY_AWAY_OBS-th box is OC_STAY_AWAY_GAIN reference heights farther
 * from the place, is that stay's car driving off (drove_off_unseen). */
#define OC_STAY_AWAY_OBS 3
#define OC_STAY_AWAY_OFF 0.5
#define OC_STAY_AWAY_NEAR 2.5
#define OC_STAY_AWAY_GAIN 0.3
/* A full box at the place becomes the record's key box only once a track
 * that came to the stay from another has fed it this long. */
#define OC_STAY_KEY_MS 1000
/* A track whose box, within OC_STAY_JUMP_MS of its stay's last box (on the
 * place), overlaps that box by less than this IoU jumped to another object:
 * no car starting off from rest covers its own length that fast. */
#define OC_STAY_JUMP_IOU 0.2
#define OC_STAY_JUMP_MS 1000
/* A track first boxed where a track lost at most OC_STAY_STITCH_MS ago was
 * boxed last (IoU >= OC_STAY_STITCH_IOU) is that object re-numbered. */
#define OC_STAY_STITCH_MS 500
#define OC_STAY_STITCH_IOU 0.65

/* One stationary-object hypothesis. */
struct oc_stay {
    uint32_t id; /* per camera, from 1; 0 is "none" */
    int zone;
    int cls; /* class of the track that started it (group decides) */
    bool emitted, kept, shared;
    int64_t start, last_ts;
    /* the last time its object was seen whole at its place (a full box at
     * IoU >= OC_STAY_DUP_IOU with the reference): boxes of other objects
     * that fed it since (a neighbour's part, a passing car) do not count
     * when a track that drove in would take it up */
    int64_t solid_ts;
    double start_box[4], last_box[4];
    /* the last box of the object itself, in full (not a visible part nor a
     * duplicate, nor a box within the tolerance but off the place, nor one
     * of a track that hopped to it less than OC_STAY_KEY_MS ago, as a
     * neighbour's driving off): the record's last key box, so evidence frames the
     * whole object even when its last observation was a part */
    double full_box[4];
    int64_t full_ts; /* when full_box was observed */
    /* of the full boxes at its place (IoU >= OC_STAY_DUP_IOU with the
     * reference, or any before the stay settled); the reference is their mean */
    double sum[4];
    double ref[4];
    uint32_t n;
    /* who fed it last: the record's track, class, plate and conf */
    char track[OC_ID_MAX + 1];
    char plate[OC_PLATE_MAX + 1];
    int feed_cls;
    double conf;
    int32_t frame_box; /* while a frame is judged: the box feeding it, -1 none */
    /* The track that fed it last hopped to another stay: the object may
     * have left with it, so the stay is forgotten unless fed again within
     * its zone's vacate_s (NO_DEADLINE: not vacated). */
    int64_t forget_at;
    /* Vacated by an id that jumped off it (OC_STAY_JUMP_*): whether its
     * object is still there is unknown, so it fires only once fed again. */
    bool held;
    /* Until settled (OC_STAY_KEEP_MS after it was born, fed by one track
     * without a gap), the start follows the still run of anchors within
     * still_px, so a clean track's stay starts where it stopped, not where
     * it came within the scale tolerance: run mean, one far anchor held
     * back, and two far on one side in a row restart the run. */
    int64_t born;
    bool settled, has_out;
    double run_x, run_y;
    uint32_t run_n;
    int64_t out_ts;
    double out_box[4];
};

/* The stays of one camera. */
struct oc_stays {
    struct oc_stay *v;
    size_t n, cap;
    uint32_t next_id;
    int64_t next_deadline; /* lower bound of every deadline that may fire by timer */
    int64_t next_expiry;   /* lower bound of every last_ts + absence limit */
};

/* A box of the frame that may feed a stay, and how well. */
struct oc_stay_cand {
    uint32_t box;  /* index into the frame */
    uint32_t stay; /* index into oc_stays.v */
    double score;  /* IoU with the reference */
    bool partial;
};

/* The frame being judged (one detection message). */
struct oc_stay_frame {
    struct oc_track *tr[OC_MAX_OBJECTS];
    size_t n;
    int64_t t;
    struct oc_stay_cand cand[OC_MAX_OBJECTS * OC_STAY_CANDS];
    int32_t box_stay[OC_MAX_OBJECTS]; /* stay index a box feeds, -1 none */
    uint8_t box_how[OC_MAX_OBJECTS];  /* 0 unmatched, 1 full, 2 partial, 3 duplicate */
};

struct oc_engine;
struct oc_track;

/* After a track's current observation (oc_rules_observe): remembers it for
 * the frame. */
void oc_stay_note(struct oc_engine *e, int cam, struct oc_track *tr);
/* After every object of a detection message at ts: judges the frame's
 * boxes against the camera's stays. */
void oc_stay_frame(struct oc_engine *e, int cam, int64_t ts);
/* The camera clock moves to now: fires deadlines before now of stays still
 * held, forgets stays unobserved for longer than their limit. */
void oc_stay_advance(struct oc_engine *e, int cam, int64_t now);
/* A track is freed: forgets it in the current frame. */
void oc_stay_track_end(struct oc_engine *e, int cam, struct oc_track *tr);
/* Recomputes the camera's timer bounds (after a snapshot is loaded). */
void oc_stay_rebound(struct oc_engine *e, int cam);
void oc_stay_free(struct oc_stays *s);
/* Makes room for n stays (snapshot restore). */
bool oc_stay_reserve(struct oc_stays *s, size_t n);

#endif
