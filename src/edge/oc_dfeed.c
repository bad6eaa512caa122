/* The engine thread's way in: see oc_dfeed.h. */
#include "oc_dfeed.h"

#include "oc_dtick.h"

/* Whether the camera a topic names has a clock (*clock) before the message
 * is applied; *is_frame for a frames topic. */
static int cam_clock(struct oc_daemon *d, const char *topic, size_t tlen, int64_t *clock,
                     int *is_frame)
{
    struct oc_topic t;
    enum oc_counter why;
    *is_frame = 0;
    if (!d->snap || !oc_event_topic(d->cfg, topic, tlen, &t, &why) || t.kind == OC_MSG_SIGNAL)
        return 0;
    *is_frame = t.kind == OC_MSG_FRAME;
    return oc_engine_clock(d->eng, t.camera, clock);
}

/* Snapshot polling follows the engine: a camera is polled while it has live
 * tracks, and a detection that moved its clock anchors the mapping of box
 * time to camera time (never a frame: snapshot frames are themselves mapped
 * through the anchor). */
static void note_snap(struct oc_daemon *d, int cam, int had, int64_t before, int is_frame)
{
    int64_t clock;
    if (!d->snap || cam < 0)
        return;
    if (!is_frame && oc_engine_clock(d->eng, cam, &clock) && (!had || clock > before))
        oc_snapurl_anchor(d->snap, cam, clock, oc_daemon_mono_ms());
    oc_snapurl_live(d->snap, cam, oc_engine_camera_tracks(d->eng, cam) > 0);
}

static void ad_native(void *ud, const char *topic, size_t tlen, const void *payload, size_t len,
                      const cJSON *json)
{
    struct oc_daemon *d = ud;
    int64_t before = 0;
    int is_frame, had = cam_clock(d, topic, tlen, &before, &is_frame);
    if (json)
        d->native_cam = oc_engine_feed_json_topic(d->eng, topic, tlen, json);
    else if (payload)
        d->native_cam = oc_engine_feed(d->eng, topic, tlen, payload, len);
    else /* a frame journaled without its bytes */
        d->native_cam = oc_engine_feed_unloaded(d->eng, topic, tlen);
    note_snap(d, d->native_cam, had, before, is_frame);
}

static void ad_detections(void *ud, int cam, const struct oc_detections *det)
{
    struct oc_daemon *d = ud;
    int64_t before = 0;
    int had = d->snap ? oc_engine_clock(d->eng, cam, &before) : 0;
    oc_engine_feed_detections(d->eng, cam, det);
    note_snap(d, cam, had, before, 0);
}

static void ad_frame(void *ud, int cam, int64_t ts, const void *jpeg, size_t len)
{
    struct oc_daemon *d = ud;
    oc_engine_feed_camera_frame(d->eng, cam, ts, jpeg, len);
}

static void ad_end(void *ud, int cam, const char *id, int64_t ts)
{
    struct oc_daemon *d = ud;
    oc_engine_end_track(d->eng, cam, id, ts);
    if (d->snap) /* its tracks may have ended */
        oc_snapurl_live(d->snap, cam, oc_engine_camera_tracks(d->eng, cam) > 0);
}

static void ad_drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    struct oc_daemon *d = ud;
    (void)cam, (void)f; /* counted per format by the dispatcher (metrics) */
    oc_engine_count(d->eng, why);
}

const struct oc_adapt_sink oc_dfeed_adapt_sink = {.native = ad_native,
                                                  .detections = ad_detections,
                                                  .frame = ad_frame,
                                                  .end = ad_end,
                                                  .drop = ad_drop};

void oc_dfeed_apply(struct oc_daemon *d, uint64_t seq, int64_t rx_ms, const char *topic,
                    size_t tlen, const char *payload, size_t len)
{
    oc_engine_set_received(d->eng, rx_ms);
    d->native_cam = -1;
    oc_adapt_tick(d->adapt, rx_ms);
    int cam = oc_adapt_feed(d->adapt, topic, tlen, payload, len, rx_ms);
    if (cam == -2) /* ordercam's own topic: the engine said */
        cam = d->native_cam;
    d->last_apply = (double)oc_daemon_wall_ms() / 1000.0;
    if (seq)
        d->applied = seq;
    oc_dtick_note_clocks(d);
    oc_live_note_message(d->live, d->eng, cam, rx_ms);
}
