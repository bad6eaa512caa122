/* Engine internals shared by oc_engine.c (routing, clocks, track table and
 * lifecycle) and oc_rules.c (what each violation type means). */
#ifndef OC_ENGINE_INT_H
#define OC_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ordercam/oc_clock.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_signal.h"
#include "oc_stay.h"

#define OC_TRACK_CLASSES 4 /* distinct classes counted per track */
#define OC_TRACK_PLATES 4  /* distinct plates counted per track */
#define NO_DEADLINE INT64_MAX

/* Per track and zone. Dwell zones use the stay fields; carriageways and
 * lanes use entry (where the object entered the region). */
struct oc_zstate {
    bool inside;   /* anchor inside the region at the last observation */
    bool active;   /* stay or region visit in progress */
    bool emitted;  /* violation already established for this stay/visit */
    bool has_out;  /* one far observation waits for confirmation */
    bool kept;     /* the sink was asked to keep the stay start's frame */
    int64_t start; /* stay start / region entry time */
    double sx, sy; /* sum of anchors since the stay (re)started */
    uint32_t n;
    struct oc_pt entry;
    double start_box[4];
    struct oc_pt out;
    int64_t out_ts;
    double out_box[4];
    uint32_t stay;   /* dwell zones: the oc_stay id this track feeds, 0 none */
    int64_t bind_ts; /* since when */
    bool hopped;     /* it came to that stay from another (an id hop or a car driving off) */
};

/* Per track and stop line: once per track and line, and the exit window. */
struct oc_lstate {
    bool done;
    bool pending;
    int group; /* OC_LG_* of the crossing track */
    int64_t t_cross, deadline;
    int64_t t_before, t_after;
    double box_before[4], box_after[4];
    /* stop lines with movements, solid and yield lines (oc_rules_junction.c) */
    bool mv_open;     /* a crossing waits for the movement it makes (until deadline) */
    bool all_red;     /* every movement's signal was red past grace at t_cross */
    uint8_t red_mask; /* bit m: movement m's signal red past grace at t_cross */
    int16_t lane;     /* guide lane (zone index) the anchor was in at the crossing, -1 */
    int8_t side;      /* solid lines: the side the anchor came from, +1/-1 */
    bool s_pending;   /* solid lines: crossed, waiting for confirm_s on the far side */
    bool reached;     /* solid lines: the anchor reached min_overlap_px past the line */
    bool y_pending;   /* yield lines: a conflict found, the record waits for its last key */
};

struct oc_track {
    char id[OC_ID_MAX + 1];
    uint32_t hash;
    struct oc_track *prev, *next; /* live: by last observation, oldest first */
    int64_t first_ts, last_ts;
    uint32_t n_obs;
    struct oc_pt anchor;
    double box[4];
    double conf;
    uint8_t cls_id[OC_TRACK_CLASSES];
    uint32_t cls_n[OC_TRACK_CLASSES], cls_seen[OC_TRACK_CLASSES];
    int cls; /* majority class; ties: the latest seen */
    char plate[OC_TRACK_PLATES][OC_PLATE_MAX + 1];
    uint32_t plate_n[OC_TRACK_PLATES], plate_seen[OC_TRACK_PLATES];
    uint32_t helmet_obs, helmet_false;
    int64_t helmet_first_false;
    double helmet_first_box[4];
    bool helmet_done;
    struct oc_zstate *z; /* cam->n_zones entries */
    struct oc_lstate *l; /* cam->n_lines entries */
};

struct oc_event_id {
    char id[OC_ID_MAX + 1];
    int64_t ts;
};

struct oc_cam {
    const struct oc_camera_cfg *cfg;
    int64_t clock;
    bool has_clock;
    struct oc_clock_guard guard; /* what may move clock (oc_clock.h) */
    struct oc_track **slots;     /* open addressing, linear probing */
    size_t cap, n_live;
    struct oc_track *oldest, *newest; /* live tracks by last observation */
    int64_t next_deadline;            /* lower bound of every pending dwell/exit deadline */
    uint64_t next_seq;
    struct oc_event_id *event_ids; /* ring of max_event_ids */
    size_t ev_head, ev_n;
    struct oc_stays stays; /* dwell-zone hypotheses (oc_stay.c) */
    bool has_dwell;        /* the camera has a dwell zone */
};

/* A violation waiting for the end of the step, with its own copies. */
struct oc_pending {
    int camera, vtype;
    int64_t ts, ts_start;
    bool has_track;
    char track[OC_ID_MAX + 1];
    int cls;
    char plate[OC_PLATE_MAX + 1];
    double conf;
    int zone, line; /* config indexes or -1 */
    int signal1;    /* signal index + 1 naming the record's signal; 0: the line's */
    size_t order;   /* creation order: the last tie-break */
    size_t n_keys;
    int64_t key_ts[OC_KEYS_MAX];
    double key_box[OC_KEYS_MAX][4];
};

struct oc_engine {
    const struct oc_config *cfg;
    const struct oc_engine_sink *sink;
    void *ud;
    struct oc_cam *cams;
    struct oc_signal *signals;
    struct oc_clock_guard *sig_guards; /* per signal, as cam->guard */
    struct oc_clock_bounds bounds;
    int64_t rx; /* receive time of the message being fed, OC_RX_UNKNOWN */
    struct oc_decoder dec;
    char *class_names[OC_CLASS_MAX];
    size_t n_classes;
    struct oc_pending *pending;
    size_t n_pending, cap_pending;
    uint64_t counters[OC_C__COUNT];
    struct oc_stay_frame sframe; /* the detection message being judged */
    struct oc_ajson *fast;       /* oc_engine_feed's JSON reader, made on first use */
};

/* oc_engine.c */
/* Makes a pending record for track tr and returns it for its key moments;
 * NULL when out of memory (the engine's pending array, owned by e). */
struct oc_pending *oc_engine__emit(struct oc_engine *e, int cam, const struct oc_track *tr,
                                   int vtype, int64_t ts, int64_t ts_start, int zone, int line);
struct oc_pending *oc_engine__emit_raw(struct oc_engine *e, int cam, int vtype, int64_t ts,
                                       int64_t ts_start);
void oc_engine__end_track(struct oc_engine *e, struct oc_cam *cam, struct oc_track *tr);
void oc_engine__note_deadline(struct oc_cam *cam, int64_t deadline);
const char *oc_engine__class_name(const struct oc_engine *e, int cls);
int oc_engine__class_id(struct oc_engine *e, const char *sent);
/* Forgets a camera's clock and tracks (nothing is emitted): a
 * restored clock no message could have set. */
void oc_engine__reset_clock(struct oc_engine *e, int ci);
/* Takes a restored live track, in observation order. */
void oc_engine__adopt(struct oc_engine *e, struct oc_cam *c, struct oc_track *tr);

/* oc_rules_junction.c: movements, waiting areas, guide lanes, solid and
 * yield lines (docs/violations.md "Junctions"); called from oc_rules.c. */
void oc_junction_stop(struct oc_engine *e, int ci, struct oc_track *tr, int li, int64_t tc,
                      struct oc_pt prev, int64_t prev_ts, const double prev_box[4], int64_t t);
void oc_junction_exit(struct oc_engine *e, int ci, struct oc_track *tr, int exit_li, int64_t tc,
                      int64_t t);
void oc_junction_yield(struct oc_engine *e, int ci, struct oc_track *tr, int li, int64_t tc,
                       struct oc_pt prev, int64_t prev_ts, const double prev_box[4], int64_t t);
/* After the lines and zones of one observation: solid lines, waiting areas,
 * crosswalk entries, yield records' last key. */
void oc_junction_observe(struct oc_engine *e, int ci, struct oc_track *tr, bool has_prev,
                         struct oc_pt prev, int64_t prev_ts, const double prev_box[4], int64_t t);
/* Closes line li's movement window of tr if its deadline is < before and
 * <= end (the track's end time). */
void oc_junction_timer(struct oc_engine *e, int ci, struct oc_track *tr, int li, int64_t before,
                       int64_t end);
void oc_junction_track_end(struct oc_engine *e, int ci, struct oc_track *tr);

/* oc_rules.c */
/* Applies one observation at time t to tr (already counted for class,
 * plate and helmet); prev/prev_ts is the last anchor, valid when has_prev. */
void oc_rules_observe(struct oc_engine *e, int cam, struct oc_track *tr, const struct oc_obj *o,
                      int64_t t, bool has_prev, struct oc_pt prev, int64_t prev_ts,
                      const double prev_box[4], bool is_new);
/* Closes tr's exit windows whose deadline is < before and <= tr's end time
 * (last observation + track timeout). Called after a message's
 * observations: an exit crossing observed now may have happened in time.
 * (Dwell deadlines belong to the stays, oc_stay.c.) */
void oc_rules_timers(struct oc_engine *e, int cam, struct oc_track *tr, int64_t before);
/* The earliest pending deadline of tr, NO_DEADLINE if none. */
int64_t oc_rules_next_deadline(const struct oc_engine *e, int cam, const struct oc_track *tr);
/* Track end: counts open exit windows as unconfirmed. Returns true when
 * the track holds a stay worth keeping for re-acquisition. */
void oc_rules_track_end(struct oc_engine *e, int cam, struct oc_track *tr);
void oc_rules_camera_event(struct oc_engine *e, int cam, const struct oc_cam_event *ev);

#endif
