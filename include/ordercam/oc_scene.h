/* What one camera's engine state looks like now, for people: the installer's
 * live view (ordercamd, docs/daemon.md "Live view") and replay's annotated
 * frames (--render). oc_scene_take copies a bounded picture of the engine
 * (live tracks, stays with their dwell so far, the state of each signal a
 * stop line follows) into a caller-owned struct that holds no pointer into
 * the engine, so it may be handed to another thread. oc_scene_json writes
 * the documented JSON of /api/v1/cameras/<id>/scene from it, the camera's
 * configured zones and lines, and the camera's last violations.
 * Pure: no I/O, no locks; one thread per engine as oc_engine. */
#ifndef OC_SCENE_H
#define OC_SCENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_event.h"

#define OC_SCENE_TRACKS_MAX 256 /* newest first; tracks_total says how many there were */
#define OC_SCENE_STAYS_MAX 128  /* longest first */
#define OC_SCENE_SIGNALS_MAX 32 /* distinct signals the camera's stop lines follow */
#define OC_SCENE_VIOLATIONS_MAX 16
#define OC_SCENE_NAME_MAX 64 /* class, type, zone and line names (longer: cut) */

struct oc_scene_track {
    char id[OC_ID_MAX + 1];
    char cls[OC_SCENE_NAME_MAX];
    double box[4]; /* x, y, w, h of the last observation, camera pixels */
    struct oc_pt anchor;
    int64_t first_ts, last_ts;
    double conf;
};

struct oc_scene_stay {
    uint32_t id;
    int zone;                  /* index into the camera's zones */
    char track[OC_ID_MAX + 1]; /* the track that fed it last */
    double box[4];             /* its last box */
    int64_t start, last_ts;
    int64_t dwell_ms, limit_ms; /* so far (camera clock - start); the zone's dwell */
    bool emitted;
};

struct oc_scene_signal {
    int signal;              /* index into cfg->signals */
    enum oc_sig_state state; /* at the camera's clock, as the engine would judge */
    int64_t onset;           /* red: when this red began; else 0 */
};

/* A violation as the live view and --render mark it (copied from an
 * oc_violation: the struct owns its strings). */
struct oc_scene_violation {
    char type[OC_SCENE_NAME_MAX];
    char track[OC_ID_MAX + 1];     /* "" for an event without an object */
    char where[OC_SCENE_NAME_MAX]; /* the zone or line that decided it, "" */
    uint64_t seq;
    int64_t ts;
    double box[4]; /* the object's box at the last key moment; w = 0: none */
};

struct oc_scene {
    int camera;
    bool has_clock;
    int64_t clock;
    size_t n_tracks, tracks_total;
    struct oc_scene_track tracks[OC_SCENE_TRACKS_MAX];
    size_t n_stays, stays_total;
    struct oc_scene_stay stays[OC_SCENE_STAYS_MAX];
    size_t n_signals;
    struct oc_scene_signal signals[OC_SCENE_SIGNALS_MAX];
};

/* Fills out (about 60 KB: allocate it) with camera's state now. A camera
 * out of range gives an empty scene. */
void oc_scene_take(const struct oc_engine *e, int camera, struct oc_scene *out);

/* Copies v into out. */
void oc_scene_violation_from(struct oc_scene_violation *out, const struct oc_violation *v);

/* The scene JSON (docs/daemon.md "Live view"): malloc'd, NUL-terminated,
 * owned by the caller; NULL when out of memory. v: the camera's last
 * violations, oldest first (borrowed, nv <= OC_SCENE_VIOLATIONS_MAX used).
 * now_ms: the box's wall clock, written as box_time. */
char *oc_scene_json(const struct oc_config *cfg, const struct oc_scene *sc,
                    const struct oc_scene_violation *v, size_t nv, int64_t now_ms, size_t *len);

/* Name of a zone / line kind as in the config ("no_parking", "stop_line"). */
const char *oc_scene_zone_kind(enum oc_zone_kind k);
const char *oc_scene_line_kind(enum oc_line_kind k);

#endif
