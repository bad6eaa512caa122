/* The violation engine: feeds decoded messages into per-camera track,
 * signal and zone state and calls a sink with each violation. Pure: no
 * files, sockets, threads or wall clock; every timer runs on the camera
 * clock (the newest ts received from that camera). Not thread-safe: one
 * thread feeds one engine. */
#ifndef OC_ENGINE_H
#define OC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_counters.h"
#include "ordercam/oc_err.h"
#include "ordercam/oc_event.h"

#define OC_KEYS_MAX 3

/* One established violation. Every pointer is borrowed: valid only during
 * the sink call; a sink that keeps anything copies it. */
struct oc_violation {
    int camera; /* config index */
    const char *camera_id;
    int vtype; /* index into cfg->vtypes */
    const char *type;
    const char *code; /* NULL: no code */
    uint64_t seq;     /* per camera, from 1 (or oc_engine_set_seq) */
    int64_t ts, ts_start;
    int64_t bucket;    /* start of the tally bucket of ts */
    const char *track; /* NULL for a camera event without an object */
    const char *cls;   /* NULL when no object */
    const char *plate; /* NULL when none seen */
    double conf;
    const char *zone, *line, *signal; /* NULL when not deciding */
    const char *location, *road, *unit;
    /* The key moments evidence should show and the object's box at each. */
    size_t n_keys;
    int64_t key_ts[OC_KEYS_MAX];
    double key_box[OC_KEYS_MAX][4];
    /* Signal-joined types (the deciding line has a signal, signal != NULL):
     * the signal's state at the crossing (ts_start) and, when red, how long
     * it had been red then (-1 otherwise); at each key moment its state and
     * the ms since its last change (-1 unknown). OC_SIG_UNKNOWN / -1 when
     * no signal decided the violation. */
    enum oc_sig_state signal_state;
    int64_t red_elapsed_ms;
    enum oc_sig_state key_sig[OC_KEYS_MAX];
    int64_t key_sig_ms[OC_KEYS_MAX];
};

struct oc_engine_sink {
    /* Called once per violation, in record order. Required. */
    void (*violation)(void *ud, const struct oc_violation *v);
    /* Called per received frame (from the frames topic, or a detection's
     * base64 `jpeg` field, still encoded: is_b64 set). Optional. */
    void (*frame)(void *ud, int camera, int64_t ts, const void *data, size_t len, int is_b64);
    /* A stay has lasted OC_STAY_KEEP_MS: its start may become a key moment
     * long after a frame ring would have let its frame go, so keep the
     * frame near ts until the camera clock passes until. Optional. */
    void (*keep)(void *ud, int camera, int64_t ts, int64_t until);
    /* Each admitted detection message, before the engine applies it (the
     * public evidence variant keeps the boxes). Optional. */
    void (*detections)(void *ud, int camera, const struct oc_detections *d);
};

#define OC_STAY_KEEP_MS 5000

struct oc_engine;

/* Creates an engine for cfg. cfg and sink must outlive the engine; the
 * engine does not free them. Returns NULL when out of memory. */
struct oc_engine *oc_engine_new(const struct oc_config *cfg, const struct oc_engine_sink *sink,
                                void *ud);
void oc_engine_free(struct oc_engine *e);

/* Feeds one MQTT message: topic and payload are borrowed for the call.
 * Bad messages are counted by reason and dropped; nothing else changes.
 * Returns the index of the camera the topic names (whether or not the
 * payload was good), -1 for signals and unroutable topics. */
int oc_engine_feed(struct oc_engine *e, const char *topic, size_t topic_len, const void *payload,
                   size_t len);

/* The same for a topic already routed and a JSON payload already parsed
 * (replay parses the whole log line once). root is borrowed. */
void oc_engine_feed_json(struct oc_engine *e, const struct oc_topic *t, const cJSON *root);

/* Routes topic, then as oc_engine_feed_json. Returns the camera as
 * oc_engine_feed does. */
int oc_engine_feed_json_topic(struct oc_engine *e, const char *topic, size_t topic_len,
                              const cJSON *root);

/* A message whose payload bytes the caller did not load (a frame stored in
 * a file): a frame advances its camera's clock; any other kind of topic
 * cannot be judged without its payload and is counted as a bad log line.
 * Returns the camera as oc_engine_feed does. */
int oc_engine_feed_unloaded(struct oc_engine *e, const char *topic, size_t topic_len);

/* A frame whose bytes the caller may not have loaded (data NULL): the
 * camera clock advances to t->frame_ts either way. */
void oc_engine_feed_frame(struct oc_engine *e, const struct oc_topic *t, const void *data,
                          size_t len);

/* Detections a format adapter decoded (oc_adapt.h) for a camera (config
 * index); d and what it points to are borrowed for the call. */
void oc_engine_feed_detections(struct oc_engine *e, int camera, const struct oc_detections *d);

/* A frame an adapter received for a camera, taken at ts: as a frames-topic
 * message (data NULL: the clock advances only). */
void oc_engine_feed_camera_frame(struct oc_engine *e, int camera, int64_t ts, const void *data,
                                 size_t len);

/* The source ended a track (Frigate's "end"): the camera's clock moves to
 * ts, its due timers fire, and the track ends as a timeout would end it
 * (its stays wait for re-acquisition, counted from ts). Unknown ids are
 * ignored. id is borrowed. */
void oc_engine_end_track(struct oc_engine *e, int camera, const char *id, int64_t ts);

/* Counts a drop decided outside the engine (a malformed log line, a topic
 * that did not route) so that all drops are in one place. */
void oc_engine_count(struct oc_engine *e, enum oc_counter c);

/* The box's wall time (ms) at which the messages fed next were received:
 * ordercamd's receive time, a replayed log line's "ts". It bounds how far
 * ahead a message's own time may be (events.md, "Clock bounds"); set it
 * before each message. Outside 0..year 2100 (or never set): unknown, and
 * only the jump bound applies. Also used by oc_engine_load. */
void oc_engine_set_received(struct oc_engine *e, int64_t wall_ms);

/* Advances a silent camera's clock to now_ms (no effect if not newer).
 * Ticks are the caller's own extrapolation of an accepted clock: they are
 * not judged by the clock bounds. */
void oc_engine_tick(struct oc_engine *e, int camera, int64_t now_ms);

/* Ends every track (as at the end of a replay): open stop-line windows
 * become unconfirmed; nothing is emitted for them. */
void oc_engine_finish(struct oc_engine *e);

/* Next sequence number a camera's violation will get; lets the daemon
 * continue a sequence across restarts. */
void oc_engine_set_seq(struct oc_engine *e, int camera, uint64_t next_seq);

/* Writes the engine's whole state to f: binary, readable only by this
 * build with the same config (config_hash is the caller's fingerprint of
 * it). Counters are not saved. */
oc_err_t oc_engine_save(const struct oc_engine *e, FILE *f, uint64_t config_hash);

/* Restores a state written by oc_engine_save into a fresh engine (no
 * message fed yet). OC_EINVAL: written for another config or build;
 * OC_EPARSE: damaged. After a failure the engine must be freed. When a
 * receive time is set (oc_engine_set_received: the wall time now), a
 * camera or signal whose clock is beyond it + max_future is reset (counted
 * as clock_resets): no message received now could have set it. */
oc_err_t oc_engine_load(struct oc_engine *e, FILE *f, uint64_t config_hash);

/* Config index of a camera id, or -1. */
int oc_engine_camera(const struct oc_engine *e, const char *id, size_t len);

/* A camera's clock; false when it has received nothing yet. */
bool oc_engine_clock(const struct oc_engine *e, int camera, int64_t *clock);
/* The seq the camera's next violation will get. */
uint64_t oc_engine_next_seq(const struct oc_engine *e, int camera);

uint64_t oc_engine_counter(const struct oc_engine *e, enum oc_counter c);
size_t oc_engine_live_tracks(const struct oc_engine *e);
/* Live tracks of one camera (0 for an index out of range). */
size_t oc_engine_camera_tracks(const struct oc_engine *e, int camera);

/* A live track as the engine last saw it; strings borrowed for the call. */
struct oc_engine_track {
    const char *id, *cls;
    int64_t last_ts;
    double box[4]; /* x, y, w, h */
};

/* Calls fn for every live track of camera (ordercamd after a restart: an
 * input adapter that tracks objects between messages learns them again). */
void oc_engine_each_track(const struct oc_engine *e, int camera,
                          void (*fn)(void *ud, const struct oc_engine_track *t), void *ud);

#endif
