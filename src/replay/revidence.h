/* Evidence in ordercam-replay (--evidence DIR): composes each violation's
 * image on the replay thread, so output stays deterministic, and releases
 * records in the order they were established once their evidence is
 * settled. Records wait in a FIFO bounded by the evidence keeper's own
 * limit (OC_EVIDENCE_PENDING_MAX held violations). */
#ifndef OC_REVIDENCE_H
#define OC_REVIDENCE_H

#include <stdio.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_evcfg.h"

/* Receives each finished record (borrowed, ends in '\n'). */
typedef void (*rev_emit_fn)(void *ud, const char *rec, size_t len);

struct rev;

/* cfg outlives the object. NULL with a reason in err (font unreadable,
 * folder not creatable, out of memory). */
struct rev *rev_new(const struct oc_config *cfg, const struct oc_evidence_cfg *set, const char *dir,
                    rev_emit_fn emit, void *ud, char *err, size_t errlen);
void rev_free(struct rev *r);

/* rec: v's record made with "evidence": null (copied). */
void rev_violation(struct rev *r, const struct oc_violation *v, const char *rec, size_t len);
void rev_frame(struct rev *r, int camera, int64_t ts, const void *jpeg, size_t len);
void rev_keep(struct rev *r, int camera, int64_t ts, int64_t until);
void rev_boxes(struct rev *r, int camera, const struct oc_detections *d);
void rev_clock(struct rev *r, int camera, int64_t clock);
/* Settles every held violation and emits the rest. */
void rev_finish(struct rev *r);

/* Evidence counters for the summary (f NULL: none); returns nonzero if a file could not
 * be written. */
int rev_report(const struct rev *r, FILE *f);

#endif
