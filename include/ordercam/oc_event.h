/* Decoding of the MQTT topics and payloads of events.md into plain structs.
 * The decoder validates; it keeps no state between messages except its
 * scratch array. Strings in decoded structs are borrowed from the cJSON
 * tree (or the decoder) and valid until the tree is deleted or the next
 * decode call, whichever comes first. */
#ifndef OC_EVENT_H
#define OC_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_counters.h"
#include "ordercam/oc_json.h"

#define OC_JSON_MAX_BYTES (1u << 20)  /* 1 MiB */
#define OC_JPEG_MAX_BYTES (16u << 20) /* 16 MiB */
#define OC_MAX_OBJECTS 1024           /* per detection message */
#define OC_ID_MAX 64                  /* tracker and event id bytes */
#define OC_PLATE_MAX 32               /* plate bytes */
#define OC_COORD_MAX 100000.0         /* |box values| beyond this are not pixels */
#define OC_TS_MIN 0
#define OC_TS_MAX 4102444800000LL /* 2100-01-01: beyond is a broken clock */

enum oc_msg_kind { OC_MSG_DETECTIONS, OC_MSG_EVENT, OC_MSG_FRAME, OC_MSG_SIGNAL };

struct oc_topic {
    enum oc_msg_kind kind;
    int camera;       /* config index, detections/events/frames */
    int signal;       /* config index, signals */
    int64_t frame_ts; /* frames: the <ts> level */
};

/* Parses topic (len bytes, not NUL-terminated) under cfg's prefix. On
 * failure returns false and sets *why (bad topic, unknown camera/signal). */
bool oc_event_topic(const struct oc_config *cfg, const char *topic, size_t len,
                    struct oc_topic *out, enum oc_counter *why);

/* The kind of topic (len bytes) under prefix, by its shape alone (ids are
 * not looked up, so no config is needed: the daemon's MQTT thread asks it
 * while the engine thread may be reloading). false: not a topic of
 * events.md. */
bool oc_event_topic_kind(const char *prefix, const char *topic, size_t len, enum oc_msg_kind *kind);

enum oc_helmet { OC_HELMET_UNKNOWN = -1, OC_HELMET_NO = 0, OC_HELMET_YES = 1 };

struct oc_obj {
    const char *id;  /* tracker id as a string */
    const char *cls; /* class name as sent (before aliases) */
    double x, y, w, h;
    double conf;
    const char *plate; /* NULL when absent or empty */
    enum oc_helmet helmet;
    char idbuf[24]; /* holds integer ids printed as strings */
};

struct oc_detections {
    int64_t ts;
    int64_t frame; /* -1 when absent */
    const struct oc_obj *objs;
    size_t n_objs;
    const char *jpeg_b64; /* NULL when absent */
    size_t jpeg_b64_len;
};

struct oc_cam_event {
    int64_t ts;
    const char *type;
    const char *id; /* NULL: no dedup key */
    double conf;
    bool has_object;
    struct oc_obj object;
};

enum oc_sig_state {
    OC_SIG_UNKNOWN,
    OC_SIG_RED,
    OC_SIG_YELLOW,
    OC_SIG_GREEN,
    OC_SIG_FLASHING,
    OC_SIG_OFF
};

struct oc_signal_msg {
    int64_t ts;
    enum oc_sig_state state;
};

struct oc_decoder {
    struct oc_obj objs[OC_MAX_OBJECTS];
};

/* Parses raw payload bytes under the JSON policy (oc_json: size, UTF-8,
 * control characters, depth, duplicate keys, trailing data). Returns the
 * tree (caller frees with cJSON_Delete) or NULL with *why set. */
/* The drop reason for a payload the JSON policy refused. */
enum oc_counter oc_event_json_reason(enum oc_json_status s);

cJSON *oc_event_parse(const char *payload, size_t len, enum oc_counter *why);

/* Each decode returns true on success. On failure *why names the reason
 * and the message must be dropped. *fields_dropped counts optional fields
 * ignored for having the wrong type. */
bool oc_event_detections(struct oc_decoder *dec, const cJSON *root, struct oc_detections *out,
                         enum oc_counter *why, unsigned *fields_dropped);
bool oc_event_camera_event(const cJSON *root, struct oc_cam_event *out, enum oc_counter *why,
                           unsigned *fields_dropped);
bool oc_event_signal(const cJSON *root, struct oc_signal_msg *out, enum oc_counter *why);

const char *oc_sig_state_name(enum oc_sig_state s);

/* True when data starts like a JPEG (SOI marker): the cheap check every
 * frame gets before it may move a clock or enter the frame ring. */
bool oc_event_is_jpeg(const void *data, size_t len);

#endif
