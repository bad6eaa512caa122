/* Snapshots and recovery, on the daemon's side: see oc_drecover.h. */
#include "oc_drecover.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "oc_dtick.h"
#include "oc_recover.h"

int oc_drecover_save(struct oc_daemon *d)
{
    if (oc_recover_save(d->ecfg->spool_dir, d->eng, d->applied, d->cfg_hash) != 0)
        return -1;
    /* the violations written so far are part of what the snapshot assumes */
    oc_outbox_sync(d->outbox);
    d->applied_at_snapshot = d->applied;
    oc_journal_rotate(d->journal, d->applied);
    return 0;
}

/* Engine sequences continue after what the outbox has written. */
static void sync_seqs(struct oc_daemon *d)
{
    for (size_t c = 0; c < d->cfg->n_cameras; c++) {
        uint64_t next = oc_outbox_next_seq(d->outbox, (int)c);
        if (oc_engine_next_seq(d->eng, (int)c) < next)
            oc_engine_set_seq(d->eng, (int)c, next);
    }
}

static void known_track(void *ud, const struct oc_engine_track *t)
{
    struct oc_daemon *d = ud;
    oc_adapt_known(d->adapt, d->native_cam, t->id, t->cls, t->box, t->last_ts);
}

/* The engine came back from its snapshot, the adapters start empty: what
 * they keep between messages (Frigate's still objects) is learnt from the
 * engine's live tracks, as if they had run through. */
static void adapters_learn(void *ud)
{
    struct oc_daemon *d = ud;
    for (size_t c = 0; c < d->cfg->n_cameras; c++) {
        if (d->cfg->cameras[c].format == OC_FORMAT_ORDERCAM)
            continue;
        d->native_cam = (int)c;
        oc_engine_each_track(d->eng, (int)c, known_track, d);
    }
    d->native_cam = -1;
}

/* A journaled message, applied as when it was received. */
static void recover_apply(void *ud, int64_t rx_ms, const char *topic, size_t tlen,
                          const void *payload, size_t len)
{
    struct oc_daemon *d = ud;
    /* through the adapters as live; the clocks are noted once recovery ends */
    oc_adapt_tick(d->adapt, rx_ms);
    oc_adapt_feed(d->adapt, topic, tlen, payload, len, rx_ms);
}

int oc_drecover_start(struct oc_daemon *d)
{
    struct oc_recover_in in = {.now_ms = oc_daemon_wall_ms(),
                               .spool_dir = d->ecfg->spool_dir,
                               .journal = d->journal,
                               .digest = d->cfg_hash,
                               .cfg = d->cfg,
                               .sink = &d->sink,
                               .sink_ud = d,
                               .apply = recover_apply,
                               .apply_ud = d};
    struct oc_recover_result r;
    in.loaded = adapters_learn;
    if (oc_recover_run(&in, &d->eng, &r) != 0) {
        LOG(d, ERR, "recovery: out of memory");
        return -1;
    }
    d->applied = d->applied_at_snapshot = r.applied;
    sync_seqs(d);
    if (r.how == OC_RECOVER_STALE) {
        LOG(d, WARNING, "snapshot is for another config or build: starting the engine fresh");
    } else {
        oc_dcount(&d->dc, OC_D_RECOVERED, r.msgs);
        for (size_t c = 0; c < d->cfg->n_cameras; c++)
            oc_dtick_note_clock(d, (int)c);
        LOG(d, NOTICE,
            "recovered: %s, %" PRIu64 " journal messages replayed (%" PRIu64 " damaged lines)",
            r.how == OC_RECOVER_FROM_SNAPSHOT ? "snapshot loaded" : "no snapshot", r.msgs, r.bad);
    }
    /* not while an adapter holds a message back (a DeepStream frame): the
     * journal keeps it until a later snapshot includes it */
    if (oc_adapt_idle(d->adapt) && oc_drecover_save(d) != 0)
        LOG(d, WARNING, "cannot save the engine snapshot: %s", strerror(errno));
    return 0;
}
