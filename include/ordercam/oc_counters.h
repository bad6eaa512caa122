/* Named counters: messages accepted per kind, inputs dropped per reason, and
 * engine events worth watching (limits reached, unconfirmed crossings).
 * Every drop in ordercam increments exactly one of these, so nothing is
 * dropped silently. */
#ifndef OC_COUNTERS_H
#define OC_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

#define OC_COUNTER_LIST(X)                                                                         \
    X(MSG_DETECTIONS, "msg_detections", "detection messages processed")                            \
    X(MSG_EVENTS, "msg_events", "camera event messages processed")                                 \
    X(MSG_FRAMES, "msg_frames", "frame messages processed")                                        \
    X(MSG_SIGNALS, "msg_signals", "signal messages processed")                                     \
    X(OBJECTS, "objects", "detected objects processed")                                            \
    X(DROP_BAD_TOPIC, "drop_bad_topic", "topic not under the prefix or malformed")                 \
    X(DROP_TOO_LARGE, "drop_too_large", "payload over the size limit")                             \
    X(DROP_TOO_DEEP, "drop_too_deep", "JSON nested deeper than 64 levels")                         \
    X(DROP_BAD_UTF8, "drop_bad_utf8", "payload is not valid UTF-8")                                \
    X(DROP_BAD_JSON, "drop_bad_json", "payload is not JSON")                                       \
    X(DROP_DUPLICATE_KEY, "drop_duplicate_key", "an object names a key twice")                     \
    X(DROP_TRAILING_DATA, "drop_trailing_data", "data after the JSON value")                       \
    X(DROP_CONTROL_CHAR, "drop_control_char", "raw control character or \\u0000 in a string")      \
    X(DROP_NOT_OBJECT, "drop_not_object", "payload is not a JSON object")                          \
    X(DROP_MISSING_FIELD, "drop_missing_field", "a required field is missing")                     \
    X(DROP_WRONG_TYPE, "drop_wrong_type", "a required field has the wrong type")                   \
    X(DROP_BAD_VALUE, "drop_bad_value", "a value is out of range (negative box, NaN, huge)")       \
    X(DROP_UNKNOWN_CAMERA, "drop_unknown_camera", "camera not in the config")                      \
    X(DROP_UNKNOWN_SIGNAL, "drop_unknown_signal", "signal not in the config")                      \
    X(DROP_NOT_JPEG, "drop_not_jpeg", "frame payload that is not a JPEG")                          \
    X(DROP_SIGNAL_OLD, "drop_signal_out_of_order", "signal message older than the newest one")     \
    X(DROP_CLOCK_FUTURE, "drop_clock_future",                                                      \
      "message dated beyond its receive time + max_future_s")                                      \
    X(DROP_CLOCK_JUMP, "drop_clock_jump",                                                          \
      "message dated beyond its clock + max_jump_s, not confirmed")                                \
    X(DROP_LATE, "drop_late",                                                                      \
      "foreign message for a frame already passed on (DeepStream straggler)")                      \
    X(DROP_LOG_LINE, "drop_log_line", "event-log line malformed")                                  \
    X(FIELD_DROPPED, "optional_field_dropped", "optional field of the wrong type ignored")         \
    X(TRACKS_STARTED, "tracks_started", "tracks started")                                          \
    X(TRACKS_ENDED, "tracks_ended", "tracks ended")                                                \
    X(TRACKS_EVICTED, "tracks_evicted", "tracks ended early: per-camera track limit reached")      \
    X(TRACKS_REACQUIRED, "tracks_reacquired", "stays continued by a re-numbered track")            \
    X(STAYS_EVICTED, "stays_evicted", "stays forgotten early: per-camera stay limit reached")      \
    X(STAYS_HOP_CORRECTED, "stays_hop_corrected",                                                  \
      "a track feeding one stay moved to another (id hop)")                                        \
    X(STAYS_MERGED_DUPLICATE, "stays_merged_duplicate",                                            \
      "a second track joined a stay another box fed in the same frame")                            \
    X(STAYS_PARTIAL_BOX, "stays_partial_box",                                                      \
      "observations that fed a stay with a visible-part box")                                      \
    X(STAYS_GAP_BRIDGED, "stays_gap_bridged",                                                      \
      "stays observed again after a gap longer than track_timeout_s")                              \
    X(STAYS_SUPERSEDED, "stays_superseded",                                                        \
      "unboxed stays forgotten: a newer stay took their place")                                    \
    X(STAYS_LEFT_RENUMBERED, "stays_left_renumbered",                                              \
      "stays ended or vacated by their car driving off under a new id")                            \
    X(STAYS_ARRIVAL_KEPT, "stays_arrival_kept",                                                    \
      "boxes of a car still arriving kept from a neighbour's stay")                                \
    X(STAYS_ID_JUMPED, "stays_id_jumped",                                                          \
      "stays held: the id feeding them jumped to another object")                                  \
    X(STAYS_STITCHED, "stays_stitched",                                                            \
      "stays passed from a lost track to the new id boxed where it was")                           \
    X(CLASSES_OVERFLOW, "classes_overflow", "class names beyond the class table, kept as 'other'") \
    X(RED_IN_GRACE, "red_within_grace", "red crossings inside the grace period (no violation)")    \
    X(UNCONFIRMED, "unconfirmed_crossings", "red crossings whose track was lost before exit_s")    \
    X(NONMOTOR_NO_EXIT, "nonmotor_no_exit",                                                        \
      "non-motor red crossings with no exit crossing (no violation)")                              \
    X(FREE_RIGHT_ON_RED, "free_right_on_red",                                                      \
      "red crossings that left by a free movement (right turn on red; no violation)")              \
    X(EVENT_IGNORED_TYPE, "events_ignored_type", "camera events of a type not enforced")           \
    X(EVENT_DUPLICATE, "events_duplicate", "camera events whose id was already counted")           \
    X(EVENT_OUTSIDE_ZONE, "events_outside_zone", "camera events outside the event zones")          \
    X(EVENT_DEDUP_EVICTED, "event_ids_evicted", "event ids forgotten early: dedup table full")     \
    X(CLOCK_STEPS, "clock_steps", "clock jumps accepted, confirmed by consistent messages")        \
    X(CLOCK_RESETS, "clock_resets", "restored clocks beyond wall time + max_future_s, reset")      \
    X(VIOLATIONS, "violations", "violations established")

enum oc_counter {
#define OC__ENUM(name, str, doc) OC_C_##name,
    OC_COUNTER_LIST(OC__ENUM)
#undef OC__ENUM
        OC_C__COUNT
};

/* Static name and description of counter c; never NULL. */
const char *oc_counter_name(enum oc_counter c);
const char *oc_counter_doc(enum oc_counter c);

/* True for the counters of dropped inputs (names "drop_<reason>"). */
bool oc_counter_is_drop(enum oc_counter c);
/* A drop counter's reason, its name without "drop_" ("bad_topic"); other
 * counters' names unchanged. Static, never NULL. */
const char *oc_counter_reason(enum oc_counter c);

#endif
