/* ordercamd's evidence workers: 1..OC_EVWORK_MAX_WORKERS threads that
 * compose evidence images off the receive path, each with its own font and
 * builder. Jobs wait in a queue bounded in jobs and in bytes;
 * when it is full, submit refuses (the caller records the violation without
 * evidence and counts it). A full disk (ENOSPC) pauses the worker: it keeps
 * the job and retries every few seconds, so evidence resumes when space
 * returns while the queue's bound protects memory meanwhile. Results are
 * collected on the caller's thread in submission order, whichever worker
 * finished first, so the records are settled in the same order with one
 * worker or eight. */
#ifndef OC_EVWORK_H
#define OC_EVWORK_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_evbuild.h"
#include "ordercam/oc_evcfg.h"
#include "ordercam/oc_evidence.h"

struct oc_evwork_stats {
    uint64_t queued_jobs, queued_bytes; /* now: waiting or being built */
    uint64_t high_water_jobs;           /* the most queued_jobs has been */
    uint64_t built, unusable, failed, refused_full;
    uint64_t corrupt, wrong_size, rescaled, box_clipped; /* frames, from the builds */
    int paused;                                          /* disk full: waiting for space */
};

#define OC_EVWORK_MAX_WORKERS OC_EVIDENCE_WORKERS_MAX

struct oc_evwork;

/* dir: evidence directory; font_path: the caption font (required);
 * workers: threads, 1..OC_EVWORK_MAX_WORKERS. NULL with err. */
struct oc_evwork *oc_evwork_start(const char *dir, const char *font_path, int quality,
                                  size_t workers, size_t max_jobs, size_t max_bytes, char *err,
                                  size_t errlen);
/* Builds what is queued (a paused worker gives up its jobs, which come back
 * as failed), then stops. Results stay collectable until freed. */
void oc_evwork_stop(struct oc_evwork *w);
void oc_evwork_free(struct oc_evwork *w);

/* Queues job for the violation id (copied). Takes ownership of job on
 * OC_OK; OC_EFULL leaves it with the caller. */
oc_err_t oc_evwork_submit(struct oc_evwork *w, struct oc_evidence_job *job, const char *id);

/* A finished job: e is OC_OK (res filled, file written), OC_ENOTFOUND (no
 * usable frame) or another error (errno_ says why). job is borrowed. */
typedef void (*oc_evwork_done_fn)(void *ud, const char *id, const struct oc_evidence_job *job,
                                  oc_err_t e, int errno_, const struct oc_evbuild_result *res);
/* Calls fn for every finished job that no unfinished one precedes (in
 * submission order) and frees them. Returns how many. */
size_t oc_evwork_collect(struct oc_evwork *w, oc_evwork_done_fn fn, void *ud);

void oc_evwork_stats(struct oc_evwork *w, struct oc_evwork_stats *s);

#endif
