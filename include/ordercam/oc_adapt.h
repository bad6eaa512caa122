/* Input formats (docs/inputs.md): one adapter per foreign format turns a
 * camera stack's own MQTT payloads (NVIDIA DeepStream, Frigate, ONVIF
 * analytics metadata) into the engine's existing observations, so the engine
 * never learns a foreign format.
 *
 * The dispatcher (struct oc_adapt) is made from the config: each camera has
 * a `format` and the MQTT topic filters it listens on. Given (topic,
 * payload, arrival time) it finds the camera(s) whose filters match, lets
 * that format's module decode, and calls the sink with
 *   - detections for a camera (struct oc_detections, as the native format's
 *     detections topic decodes to),
 *   - a frame for a camera (JPEG bytes and its ts),
 *   - a drop: the existing counter reason, with the format as a label,
 *   - or, for a topic under the config's topic_prefix that no foreign filter
 *     matches, the message unchanged (the `ordercam` format is a passthrough:
 *     the caller feeds it to oc_engine_feed as before).
 *
 * Pure: no I/O, no wall clock, no threads. Time only enters as the rx_ms the
 * caller passes (the daemon: arrival time; replay: the log line's ts), and
 * only to bound how long a DeepStream frame waits for its stragglers, so the
 * daemon and replay over its recorded log decide identically. Not
 * thread-safe: one thread feeds one dispatcher. */
#ifndef OC_ADAPT_H
#define OC_ADAPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_counters.h"
#include "ordercam/oc_event.h"

enum oc_format {
    OC_FORMAT_ORDERCAM,
    OC_FORMAT_DEEPSTREAM,         /* nvmsgconv PAYLOAD_DEEPSTREAM: one message per object */
    OC_FORMAT_DEEPSTREAM_MINIMAL, /* nvmsgconv PAYLOAD_DEEPSTREAM_MINIMAL: one per frame */
    OC_FORMAT_FRIGATE,            /* Frigate NVR MQTT events */
    OC_FORMAT_ONVIF,              /* ONVIF tt:MetadataStream XML */
    OC_FORMAT__COUNT
};

/* The config name of f ("ordercam", "deepstream", "deepstream-minimal",
 * "frigate", "onvif"); static, never NULL ("?" when out of range). */
const char *oc_format_name(enum oc_format f);

/* The format named s[0..len), or -1. */
int oc_format_lookup(const char *s, size_t len);

/* The topic filters a camera of format f listens on when its config gives
 * none: a NULL-terminated static list in which "{source}" stands for the
 * camera's source name (see oc_camera_cfg.source). Empty for ordercam. */
const char *const *oc_format_default_topics(enum oc_format f);

/* How long (ms of rx time) an assembled DeepStream frame waits for more
 * messages with its @timestamp when no newer frame arrives. */
#define OC_ADAPT_DS_WAIT_MS 200
/* Payload limit of a foreign message (XML included). */
#define OC_ADAPT_MAX_BYTES OC_JSON_MAX_BYTES
/* Element nesting limit of an ONVIF document. */
#define OC_ADAPT_XML_MAX_DEPTH 32

/* Every pointer a sink gets is borrowed for the call. */
struct oc_adapt_sink {
    /* A topic under the prefix that no foreign filter matched: exactly one
     * of payload (raw bytes, len) and json (a log line's parsed payload) is
     * set. Required. */
    void (*native)(void *ud, const char *topic, size_t topic_len, const void *payload, size_t len,
                   const cJSON *json);
    /* One frame's detections for a camera (config index). Required. */
    void (*detections)(void *ud, int camera, const struct oc_detections *d);
    /* A JPEG frame for a camera taken at ts (ms). Optional. */
    void (*frame)(void *ud, int camera, int64_t ts, const void *jpeg, size_t len);
    /* The source ended the track id of a camera at ts (Frigate's "end"):
     * the caller ends it (oc_engine_end_track). Optional. */
    void (*end)(void *ud, int camera, const char *id, int64_t ts);
    /* One input (or one field of it) dropped: camera -1 when none could be
     * told; why is FIELD_DROPPED for an optional field ignored. Required. */
    void (*drop)(void *ud, int camera, enum oc_format f, enum oc_counter why);
};

struct oc_adapt;

/* cfg and sink must outlive the dispatcher. NULL when out of memory. */
struct oc_adapt *oc_adapt_new(const struct oc_config *cfg, const struct oc_adapt_sink *sink,
                              void *ud);
void oc_adapt_free(struct oc_adapt *a);

/* One MQTT message: topic and payload (raw bytes) borrowed for the call.
 * rx_ms: when it arrived (replay: the log line's ts). Returns the camera the
 * message concerned, -1 when none (signals, unroutable, dropped before a
 * camera was known). Native topics return -2: the sink's native callback
 * decided. */
int oc_adapt_feed(struct oc_adapt *a, const char *topic, size_t topic_len, const void *payload,
                  size_t len, int64_t rx_ms);

/* The same for a payload an event log already parsed (`payload` member):
 * a JSON object for the JSON formats, a JSON string holding the document
 * for ONVIF XML. */
int oc_adapt_feed_json(struct oc_adapt *a, const char *topic, size_t topic_len, const cJSON *json,
                       int64_t rx_ms);

/* Time passes without messages: frames held for stragglers longer than
 * their bound are passed on. The daemon calls it at least every 100 ms. */
void oc_adapt_tick(struct oc_adapt *a, int64_t rx_ms);

/* End of input (end of a replay, daemon shutdown): everything held is
 * passed on now. */
void oc_adapt_flush(struct oc_adapt *a);

/* The engine holds this live track of camera (ordercamd after a restart:
 * the engine came back from its snapshot, the adapters start empty): a
 * format that keeps objects between messages (Frigate: still objects are
 * observed again with every event of their camera) takes it as one it
 * knows. Strings and box borrowed. */
void oc_adapt_known(struct oc_adapt *a, int camera, const char *id, const char *cls,
                    const double box[4], int64_t last_ts);

/* True when no adapter holds input it has not passed on: the engine then
 * reflects every message fed, so ordercamd may snapshot it. */
bool oc_adapt_idle(const struct oc_adapt *a);

/* Rules a camera's input format cannot feed soundly (docs/inputs.md,
 * "What Frigate's updates can support"): for every stop line of a frigate
 * camera (red_light, nonmotor_red_light, pedestrian_red_light and
 * stop_line_crossing judge crossings against a signal's change and need
 * frame-rate input), warn gets one English sentence (borrowed for the
 * call). Returns the number of warnings. */
size_t oc_adapt_lint(const struct oc_config *cfg, void (*warn)(void *ud, const char *msg),
                     void *ud);

/* True when some camera uses format f (or f is ordercam). */
bool oc_adapt_uses(const struct oc_adapt *a, enum oc_format f);

/* The distinct topic filters every non-ordercam camera listens on, for the
 * daemon's MQTT subscription: n is set; the array and strings are owned by
 * the dispatcher. */
const char *const *oc_adapt_filters(const struct oc_adapt *a, size_t *n);

/* Drops counted per format and reason since creation. */
uint64_t oc_adapt_counter(const struct oc_adapt *a, enum oc_format f, enum oc_counter c);

/* Messages accepted per format (decoded into observations). */
uint64_t oc_adapt_accepted(const struct oc_adapt *a, enum oc_format f);

/* True when topic[0..len) matches the MQTT filter (with + and #). */
bool oc_adapt_topic_match(const char *filter, const char *topic, size_t len);

/* Milliseconds since 1970 UTC of an ISO 8601 / xs:dateTime text
 * ("2018-04-11T04:59:59.828Z", offset or Z required, fraction optional,
 * truncated to ms). False when malformed or outside [OC_TS_MIN, OC_TS_MAX]. */
bool oc_adapt_parse_iso8601(const char *s, size_t len, int64_t *ms);

#endif
