/* The engine's outputs in ordercamd: see oc_dsink.h. */
#include "oc_dsink.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_io.h"
#include "ordercam/oc_text.h"

#define EV_QUEUE_JOBS 64           /* evidence jobs waiting for the worker */
#define EV_QUEUE_BYTES (64u << 20) /* and the frames they hold */

/* The keeper gathered a violation's frames (engine thread). */
static void on_evidence_ready(void *ud, void *tag, struct oc_evidence_job *job)
{
    struct oc_daemon *d = ud;
    char *id = tag;
    if (job && oc_evwork_submit(d->evwork, job, id) == OC_OK) {
        free(id);
        return;
    }
    oc_dcount(&d->dc, job ? OC_D_EV_QUEUE_FULL : OC_D_EV_NO_FRAME, 1);
    oc_evidence_job_free(job);
    oc_outbox_evidence_none(d->outbox, id);
    free(id);
}

/* The worker finished an image (engine thread): the record names it. */
static void on_evidence_done(void *ud, const char *id, const struct oc_evidence_job *job,
                             oc_err_t e, int errno_, const struct oc_evbuild_result *res)
{
    struct oc_daemon *d = ud;
    oc_outbox_evidence_done(d->outbox, id, job, e, errno_, res);
}

void oc_dsink_collect_evidence(struct oc_daemon *d)
{
    if (d->evwork && oc_evwork_collect(d->evwork, on_evidence_done, d) > 0)
        oc_uplink_poke(d->uplink);
}

void oc_dsink_note_pause(struct oc_daemon *d)
{
    struct oc_evwork_stats ws;
    oc_evwork_stats(d->evwork, &ws);
    if (ws.paused != d->ev_paused)
        oc_dlog(&d->log, ws.paused ? OC_LOG_ERR : OC_LOG_NOTICE,
                ws.paused ? "evidence paused: the disk is full (%s); counting goes on"
                          : "evidence resumed: %s has room again",
                d->evidence_dir);
    d->ev_paused = ws.paused;
}

void oc_dsink_start_keeper(struct oc_daemon *d)
{
    if (!d->ecfg->evidence.enabled)
        return;
    d->keeper = oc_evidence_new(d->cfg, &d->ecfg->evidence, on_evidence_ready, d);
    if (!d->keeper)
        LOG(d, ERR, "evidence: out of memory; violations are recorded without");
}

int oc_dsink_evidence_dir(struct oc_daemon *d)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/evidence", d->ecfg->spool_dir);
    const char *ed = d->ecfg->evidence.dir;
    d->evidence_dir = strdup(ed ? ed : dir);
    if (!d->evidence_dir || oc_io_mkdir_p(d->evidence_dir) != 0) {
        LOG(d, ERR, "cannot create %s: %s", d->evidence_dir ? d->evidence_dir : dir,
            strerror(errno));
        return -1;
    }
    return 0;
}

int oc_dsink_start_evidence(struct oc_daemon *d)
{
    const struct oc_evidence_cfg *ec = &d->ecfg->evidence;
    char err[512];
    d->evwork = oc_evwork_start(d->evidence_dir, ec->font, ec->quality, (size_t)ec->workers,
                                EV_QUEUE_JOBS, EV_QUEUE_BYTES, err, sizeof err);
    if (!d->evwork) {
        LOG(d, ERR, "evidence: %s (or set evidence.enabled false)", err);
        return -1;
    }
    oc_outbox_settle_waiting(d->outbox, d->cfg->box_id);
    oc_dsink_start_keeper(d);
    return 0;
}

static void on_violation(void *ud, const struct oc_violation *v)
{
    struct oc_daemon *d = ud;
    char id[OC_OUTBOX_ID_MAX];
    int want_ev = d->keeper != NULL; /* a keeper exists only with its worker */
    enum oc_outbox_result r = oc_outbox_put(d->outbox, d->cfg, v, want_ev, id);
    if (r == OC_OUTBOX_SUPPRESSED)
        return;
    char *tag = want_ev && r == OC_OUTBOX_SPOOLED ? strdup(id) : NULL;
    if (tag)
        oc_evidence_violation(d->keeper, v, tag);
    else if (want_ev)
        oc_dcount(&d->dc, OC_D_EV_SPOOL_HELD, 1);
    d->by_type[v->vtype]++;
    oc_live_note_violation(d->live, v);
    LOG(d, INFO, "violation %s %s", id, v->type);
}

static void on_frame(void *ud, int camera, int64_t ts, const void *data, size_t len, int is_b64)
{
    struct oc_daemon *d = ud;
    if (!d->keeper && !d->live)
        return;
    unsigned char *bytes = NULL;
    if (is_b64) {
        bytes = malloc(oc_text_b64_max(len) + 1);
        size_t n = 0;
        if (!bytes || oc_text_b64_decode(data, len, bytes, &n) != OC_OK) {
            free(bytes);
            oc_dcount(&d->dc, OC_D_NOT_JPEG, 1);
            return;
        }
        data = bytes;
        len = n;
    }
    int jpeg = oc_event_is_jpeg(data, len);
    if (!jpeg)
        oc_dcount(&d->dc, OC_D_NOT_JPEG, 1);
    if (jpeg)
        oc_live_note_frame(d->live, camera, ts, data, len);
    if (jpeg && d->keeper)
        oc_evidence_frame(d->keeper, camera, ts, data, len);
    free(bytes);
}

static void on_detections(void *ud, int camera, const struct oc_detections *det)
{
    struct oc_daemon *d = ud;
    if (d->keeper)
        oc_evidence_boxes(d->keeper, camera, det);
}

static void on_keep(void *ud, int camera, int64_t ts, int64_t until)
{
    struct oc_daemon *d = ud;
    if (d->keeper)
        oc_evidence_keep(d->keeper, camera, ts, until);
}

const struct oc_engine_sink oc_dsink_engine = {
    .violation = on_violation, .frame = on_frame, .keep = on_keep, .detections = on_detections};
