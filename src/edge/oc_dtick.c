/* Camera clocks between messages: see oc_dtick.h. */
#include "oc_dtick.h"

void oc_dtick_note_clock(struct oc_daemon *d, int cam)
{
    int64_t clock;
    if (cam >= 0 && oc_engine_clock(d->eng, cam, &clock) && clock != d->anchor_clock[cam]) {
        d->anchor_clock[cam] = clock;
        d->anchor_wall[cam] = oc_daemon_mono_ms();
        if (d->keeper)
            oc_evidence_clock(d->keeper, cam, clock);
    }
}

/* Every camera's clock may have moved (an adapter passes held frames on
 * when time passes): the tick anchors and the evidence keeper follow. */
void oc_dtick_note_clocks(struct oc_daemon *d)
{
    for (size_t c = 0; c < d->cfg->n_cameras; c++)
        oc_dtick_note_clock(d, (int)c);
}

static void tick(struct oc_daemon *d, int cam, int64_t camera_ts, int journal)
{
    int64_t now;
    if (!oc_recv_tick(d->recv, d->cfg->cameras[cam].id, camera_ts, &now))
        return;                   /* messages wait: they go first, the tick comes again */
    oc_adapt_tick(d->adapt, now); /* as replay does before a tick line of this ts */
    oc_dtick_note_clocks(d);
    oc_engine_tick(d->eng, cam, camera_ts);
    if (d->snap) /* tracks may have ended */
        oc_snapurl_live(d->snap, cam, oc_engine_camera_tracks(d->eng, cam) > 0);
    if (d->keeper)
        oc_evidence_clock(d->keeper, cam, camera_ts);
    if (journal)
        oc_journal_tick(d->journal, now, d->cfg->cameras[cam].id, camera_ts, d->applied);
}

/* Silent cameras: the clock follows wall time, OC_DTICK_SILENT_MS behind, so that
 * tracks end and dwell timers fire, but a message merely late still
 * arrives before its time is judged. */
void oc_dtick_silent(struct oc_daemon *d)
{
    int64_t now = oc_daemon_mono_ms();
    for (size_t c = 0; c < d->cfg->n_cameras; c++) {
        int64_t clock;
        if (!oc_engine_clock(d->eng, (int)c, &clock) ||
            now - d->anchor_wall[c] < 2 * OC_DTICK_SILENT_MS)
            continue;
        int64_t target = d->anchor_clock[c] + (now - d->anchor_wall[c]) - OC_DTICK_SILENT_MS;
        if (target > clock)
            tick(d, (int)c, target, 1);
    }
}
