/* The installer's live view (docs/daemon.md "Live view"): what ordercamd
 * serves on its metrics listener under /live/ and /api/v1/.
 *
 * Two sides that never wait on each other:
 *  - the engine thread (oc_live_poll and the oc_live_note_* hooks) builds
 *    each camera's scene JSON (oc_scene) and the box-level cameras JSON,
 *    and copies the newest frame of each camera someone is watching; it
 *    publishes them under a mutex held only for a pointer swap;
 *  - the listener thread (oc_live_route, called by oc_metrics) answers from
 *    what was published last, and marks the camera as watched. It never
 *    touches the engine or the config the engine uses: it owns copies.
 * Scenes are rebuilt every OC_LIVE_WATCHED_MS for a camera asked for within
 * the last OC_LIVE_WATCH_MS, every OC_LIVE_IDLE_MS otherwise.
 *
 * The editor's requests (validate, apply) are judged on the listener
 * thread by the daemon's own config loader over a copy of the file with
 * the camera's section replaced; apply writes the file atomically and
 * raises SIGHUP, so the daemon's ordinary reload takes it. */
#ifndef OC_LIVE_H
#define OC_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "oc_metrics.h"

#define OC_LIVE_WATCH_MS 3000
#define OC_LIVE_WATCHED_MS 150 /* up to ~6 fresh scenes a second while watched */
#define OC_LIVE_IDLE_MS 1000
#define OC_LIVE_BODY_MAX (1u << 20) /* an editor request body */

struct oc_live;

struct oc_live_opts {
    const char *config_path; /* the file apply writes (copied) */
    const char *admin_token; /* NULL: apply refused (copied) */
};

/* NULL when out of memory. cfg is read now (camera ids are copied). */
struct oc_live *oc_live_new(const struct oc_config *cfg, const struct oc_live_opts *o);
void oc_live_free(struct oc_live *l);

/* Makes the live view and routes m's requests to it (token: needed by
 * every request but /health, NULL: none). NULL when out of memory. */
struct oc_live *oc_live_attach(struct oc_metrics *m, const struct oc_config *cfg,
                               const struct oc_live_opts *o, const char *token);

/* ---- engine thread ---- */

/* A new config replaced the old (reload): cameras are re-read from cfg. */
void oc_live_reconfigure(struct oc_live *l, const struct oc_config *cfg);
/* A message for camera cam was applied at rx_ms (box wall time). */
void oc_live_note_message(struct oc_live *l, const struct oc_engine *eng, int cam, int64_t rx_ms);
/* A frame (JPEG bytes, borrowed) of camera cam taken at ts. */
void oc_live_note_frame(struct oc_live *l, int cam, int64_t ts, const void *jpeg, size_t len);
/* A violation was established (v borrowed). */
void oc_live_note_violation(struct oc_live *l, const struct oc_violation *v);
/* Rebuilds what is due (see above); cheap when nothing is. mono_ms: the
 * monotonic clock, wall_ms: the box clock. drops: the box's drop counters,
 * each "reason": n, as JSON members (may be NULL). */
void oc_live_poll(struct oc_live *l, const struct oc_config *cfg, const struct oc_engine *eng,
                  int64_t mono_ms, int64_t wall_ms);

/* ---- listener thread ---- */

/* oc_metrics_route_fn: answers /live/ and /api/v1/ requests. */
int oc_live_route(void *ud, const struct oc_http_req *req, struct oc_http_resp *resp);

#endif
