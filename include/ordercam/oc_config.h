/* The scene (docs/config.md): the box, its cameras, zones, lines, signals,
 * rule parameters, codes and tally bucket, parsed, validated, resolved.
 * The file also holds sections other layers read from the same tree
 * (ordercamd's src/edge/oc_ecfg, the evidence settings oc_evcfg); core
 * reads only mqtt.topic_prefix from them.
 * Rule parameters are resolved at load time (zone/line, else
 * defaults.<type>, else the built-in default), so the engine never looks
 * anything up by name. The struct is read-only after loading; every string
 * and array in it is owned by the config and freed by oc_config_free(). */
#ifndef OC_CONFIG_H
#define OC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_class.h"
#include "ordercam/oc_geom.h"

enum oc_zone_kind {
    OC_ZONE_NO_PARKING,
    OC_ZONE_TACTILE_PAVING,
    OC_ZONE_CROSSWALK,
    OC_ZONE_CARRIAGEWAY,
    OC_ZONE_LANE,
    OC_ZONE_NO_VENDING,
    OC_ZONE_HELMET_ENFORCEMENT,
    OC_ZONE_WAITING_AREA, /* 待转区/待行区 beyond a stop line (docs/violations.md) */
    OC_ZONE_GUIDE_LANE,   /* 导向车道: a lane at a stop line with its painted movements */
    OC_ZONE__COUNT
};

enum oc_line_kind { OC_LINE_STOP, OC_LINE_EXIT, OC_LINE_SOLID, OC_LINE_YIELD };

/* Movements of a stop line (docs/violations.md "Movements"). */
enum oc_movement { OC_MV_LEFT, OC_MV_STRAIGHT, OC_MV_RIGHT, OC_MV_UTURN, OC_MV__COUNT };
#define OC_MOVEMENTS_MAX 8

struct oc_zone_cfg {
    char *id;
    enum oc_zone_kind kind;
    struct oc_pt *pts;
    size_t n_pts;
    struct oc_poly poly;
    struct oc_pt dir; /* unit vector; lanes only */
    int vtype;        /* violation type this zone decides, -1 for crosswalk/helmet zones */
    oc_classmask_t classes;
    int64_t dwell_ms, reacquire_ms;
    int64_t vacate_ms; /* dwell zones: how long a vacated stay waits for its object */
    double still_px, min_travel_px;
    double still_frac; /* dwell zones: stillness tolerance as a fraction of box height */
    int min_frames;
    /* waiting areas and guide lanes: the stop line (a line index) they belong to */
    int stop_line;
    int front_line;   /* waiting areas: a stop_line index, governed by the release signal */
    int entry_signal; /* waiting areas: signal index that lets vehicles in */
    int movement;     /* waiting areas: the movement (enum oc_movement) it serves */
    unsigned mv_mask; /* guide lanes: bit m = movement m is allowed */
};

/* Grace and exit window per group that a stop line judges. */
enum { OC_LG_MOTOR, OC_LG_NONMOTOR, OC_LG_PEDESTRIAN, OC_LG__COUNT };

/* One movement of a stop line: which exit lines it leaves by and which
 * signal governs it. */
struct oc_movement_cfg {
    enum oc_movement name;
    int *exits; /* exit_line indexes of the camera; owned by the config */
    size_t n_exits;
    int signal;       /* governing signal index (an arrow, or the line's own) */
    bool free_on_red; /* a red crossing leaving by it makes nothing */
    bool forbidden;   /* uturn only: every U-turn here is illegal_uturn */
    int64_t exit_ms[OC_LG__COUNT];
};

struct oc_line_cfg {
    char *id;
    enum oc_line_kind kind;
    struct oc_pt p, q;
    struct oc_pt dir;
    int signal; /* index into oc_config.signals, -1 for exit lines */
    int *exits; /* indexes into the camera's lines */
    size_t n_exits;
    oc_classmask_t classes;
    int64_t grace_ms[OC_LG__COUNT];
    int64_t exit_ms[OC_LG__COUNT];
    /* stop lines with movements (n_movements > 0): exits is empty */
    struct oc_movement_cfg *movements;
    size_t n_movements;
    int64_t window_ms[OC_LG__COUNT]; /* the longest movement exit_ms */
    bool free_right_on_red;
    /* solid lines: how far past the line the anchor must reach, and how
     * long it must stay on the far side */
    double min_overlap_px;
    int64_t confirm_ms;
    /* yield lines: the crosswalk (zone index) and the corridor reach */
    int crosswalk;
    double yield_px;
};

struct oc_camera_cfg {
    char *id;
    uint32_t id_hash; /* of id, to route topics without comparing every id */
    int width, height;
    char *location, *road, *unit; /* NULL when not configured */
    struct oc_zone_cfg *zones;
    size_t n_zones;
    struct oc_line_cfg *lines;
    size_t n_lines;
    uint64_t event_types; /* bit t = violation type t is an enforced camera event */
    int *event_zones;     /* zone indexes; NULL/0 = no zone filter */
    size_t n_event_zones;
    bool has_helmet_zones;
    bool has_junction;        /* movements, waiting areas, guide lanes, solid or yield lines */
    int helmet_min_frames;    /* used when the camera has no helmet_enforcement zone */
    int64_t track_timeout_ms; /* track_timeout_s of the camera, else of the config; frigate:
                               * OC_FRIGATE_TRACK_TIMEOUT_S */
    int format;               /* enum oc_format (oc_adapt.h); OC_FORMAT_ORDERCAM by default */
    char *source;             /* the camera's name in foreign payloads; never NULL (default: id) */
    char **topics;            /* MQTT filters a foreign format listens on, "{source}" expanded */
    size_t n_topics;          /* 0 for ordercam */
};

/* A frigate camera's tracks end with Frigate's "end"; this only guards
 * against a lost one (docs/inputs.md). */
#define OC_FRIGATE_TRACK_TIMEOUT_S 3600

struct oc_signal_cfg {
    char *id;
    uint32_t id_hash;
    int64_t stale_ms;
};

struct oc_alias {
    char *from, *to;
};

struct oc_vtype_cfg {
    char *name;
    char *code; /* NULL: no code */
};

struct oc_config {
    char *path;
    char *box_id;
    char *topic_prefix; /* mqtt.topic_prefix: topics are routed under it */
    int64_t bucket_ms;
    int64_t track_timeout_ms;
    int64_t max_future_ms, max_jump_ms; /* clock bounds: oc_clock.h, events.md */
    size_t max_tracks_per_camera;
    size_t max_event_ids;
    struct oc_alias *aliases;
    size_t n_aliases;
    struct oc_vtype_cfg *vtypes; /* built-in types first, then camera event types */
    size_t n_vtypes;
    struct oc_signal_cfg *signals;
    size_t n_signals;
    struct oc_camera_cfg *cameras;
    size_t n_cameras;
};

struct oc_cfgread;

/* Reads the scene from root, a tree from oc_cfgread_text/_file, with r's
 * name and path in messages. Top-level keys other than the scene's are
 * refused unless listed in layer_keys (NULL-terminated, may be NULL): the
 * sections the caller's other layers read. The caller owns the result. */
struct oc_config *oc_config_read(struct oc_cfgread *r, const cJSON *root,
                                 const char *const *layer_keys);

/* Loads and validates a scene-only config file at path (no other layer's
 * sections). On failure returns NULL and
 * writes "FILE: $.json.path: problem" into err (errlen bytes). The caller
 * owns the result and frees it with oc_config_free(). */
struct oc_config *oc_config_load(const char *path, char *err, size_t errlen);

/* As oc_config_load, from text[0..len) (need not be NUL-terminated); name
 * is used in messages. */
struct oc_config *oc_config_parse(const char *text, size_t len, const char *name, char *err,
                                  size_t errlen);

void oc_config_free(struct oc_config *cfg);

/* Index of camera / signal / violation type by id, or -1. */
int oc_config_camera(const struct oc_config *cfg, const char *id, size_t len);
int oc_config_signal(const struct oc_config *cfg, const char *id, size_t len);
int oc_config_vtype(const struct oc_config *cfg, const char *name);

/* The canonical class name for name after class_aliases; name itself when
 * no alias applies. The returned pointer is owned by cfg or is name. */
const char *oc_config_alias(const struct oc_config *cfg, const char *name);

/* FNV-1a of s[0..len), the hash of ids in this config. */
uint32_t oc_config_hash(const char *s, size_t len);

/* True when s is a valid camera/signal id (1-64 of A-Za-z0-9._-). */
bool oc_config_valid_id(const char *s, size_t len);

#endif
