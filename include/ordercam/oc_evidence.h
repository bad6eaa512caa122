/* Evidence on the engine's thread: keeps recent frames (oc_ring), holds
 * each violation until its camera's clock is past its last key moment by
 * the tolerance plus OC_EVIDENCE_LAG_MS (a frame may arrive a little after
 * the detection that established the violation), then picks for each key
 * moment the camera's frame nearest to it within the tolerance and hands
 * a self-contained job to the caller, who composes it (oc_evbuild), on
 * this thread (replay) or on a worker (ordercamd). Not thread-safe. */
#ifndef OC_EVIDENCE_H
#define OC_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_compose.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_boxring.h"
#include "ordercam/oc_evcfg.h"
#include "ordercam/oc_ring.h"

#define OC_EVIDENCE_LAG_MS 1000
#define OC_EVIDENCE_PENDING_MAX 4096 /* when reached, the oldest is released early */
#define OC_EVIDENCE_FILE_MAX 256
#define OC_EVIDENCE_BOXES_TOL_MS 60 /* a frame's detections: within this of its time */

/* Everything needed to compose one evidence image, independent of the
 * config (a reload may replace it meanwhile). Owned by whoever receives it;
 * freed with oc_evidence_job_free. */
struct oc_evidence_job {
    void *tag;                       /* the caller's, from oc_evidence_violation */
    char file[OC_EVIDENCE_FILE_MAX]; /* YYYYMMDD/<box>-<camera>-<seq>.jpg (UTC date) */
    char *caption[2];
    /* The public variant (evidence.public): its file (the private one's
     * name with .public.jpg; "" when not wanted), caption and whether the
     * offender's face region is pixelated; frames[i].others point into
     * this job. */
    char public_file[OC_EVIDENCE_FILE_MAX];
    char *public_caption[2];
    int public_face;
    int cam_w, cam_h;
    size_t n_frames; /* 1..OC_KEYS_MAX frames, in key order, no frame twice */
    struct oc_compose_frame frames[OC_KEYS_MAX]; /* jpeg and label point into this job */
    size_t bytes; /* memory the job holds, for the caller's queue bound */
};

void oc_evidence_job_free(struct oc_evidence_job *job);

/* Called when a violation's frames are gathered: job NULL when no key
 * moment had a frame near it (the record says "evidence": null). */
typedef void (*oc_evidence_ready_fn)(void *ud, void *tag, struct oc_evidence_job *job);

struct oc_evidence_stats {
    uint64_t pending;        /* held now */
    uint64_t no_frame;       /* violations with no frame near any key moment */
    uint64_t released_early; /* pending limit reached */
    uint64_t nomem;          /* jobs that could not be allocated (treated as no frame) */
    uint64_t boxes_unknown;  /* public variant: frames without their detections, pixelated whole */
    struct oc_ring_stats ring;
    struct oc_boxring_stats boxes;
};

struct oc_evidence;

/* cfg must outlive the keeper (the daemon makes a new keeper on reload);
 * set (ring size, tolerance) is copied but for set->codes, the offence code
 * table the captions name types with, borrowed for the keeper's life. NULL when out of memory. */
struct oc_evidence *oc_evidence_new(const struct oc_config *cfg, const struct oc_evidence_cfg *set,
                                    oc_evidence_ready_fn ready, void *ud);
/* Frees held violations without calling ready. */
void oc_evidence_free(struct oc_evidence *ev);

/* A received frame (JPEG bytes, borrowed). OC_ELIMIT: larger than the
 * ring (counted in its stats). */
oc_err_t oc_evidence_frame(struct oc_evidence *ev, int camera, int64_t ts, const void *jpeg,
                           size_t len);

/* The engine's detections hook: with set->public_ the boxes are kept (for
 * the bystanders of the public variant); otherwise nothing. */
void oc_evidence_boxes(struct oc_evidence *ev, int camera, const struct oc_detections *d);

/* The engine's keep hook (a stay's start): holds its frame until the
 * camera clock passes until plus the time a violation waits here. */
void oc_evidence_keep(struct oc_evidence *ev, int camera, int64_t ts, int64_t until);

/* The camera's clock moved to clock: releases the violations now due. */
void oc_evidence_clock(struct oc_evidence *ev, int camera, int64_t clock);

/* Holds v (copied) until its frames can be gathered. ready is called
 * later, or now when v has no key moment. */
void oc_evidence_violation(struct oc_evidence *ev, const struct oc_violation *v, void *tag);

/* Releases every held violation with the frames there are (end of a
 * replay, daemon shutdown). */
void oc_evidence_flush(struct oc_evidence *ev);

void oc_evidence_stats(const struct oc_evidence *ev, struct oc_evidence_stats *s);

/* The image's file name relative to the evidence directory:
 * YYYYMMDD/<box>-<camera>-<seq>.jpg, the UTC date of ts. 0, or -1 when
 * it does not fit. */
int oc_evidence_file_name(const char *box, const char *camera, uint64_t seq, int64_t ts, char *buf,
                          size_t len);

/* plate with its middle masked for the public variant (晋E12345 ->
 * 晋E1**45: the first three and last two characters stay, at least half of
 * a shorter plate is masked); UTF-8 aware. */
void oc_evidence_mask_plate(const char *plate, char *buf, size_t len);

/* The public variant's file name for the private file name. 0 or -1. */
int oc_evidence_public_name(const char *file, char *buf, size_t len);

/* "2025-11-22 17:00:11.800 UTC+08:00" in the process's time zone (TZ). */
void oc_evidence_local_time(int64_t ms, char *buf, size_t len, int with_date);

#endif
