/* Snapshot-URL frames (docs/daemon.md, "Frames from snapshot URLs"): for
 * each camera with frames.snapshot_url, one thread polls the URL with
 * libcurl (one multi handle, one kept-alive easy handle per camera, basic
 * or digest auth) at frames.snapshot_fps, but only while the engine says
 * the camera has live tracks. At most one request per camera is in flight:
 * a camera slower than its rate skips slots (counted), it never piles up
 * requests. A response is held in a buffer bounded by OC_JPEG_MAX_BYTES
 * (larger ones are abandoned and counted) and handed to the caller's frame
 * callback on the polling thread, then freed; the caller copies it.
 *
 * The frame's time is the camera clock at the moment the camera most
 * likely took the picture: the middle of the request's wait (between the
 * request sent and the first byte of the answer) on the box's monotonic
 * clock, mapped to the camera clock through the camera's last anchor (its
 * clock as of the last detection message and when that message was
 * applied) plus frames.latency_ms. See oc_snapurl_map_ts.
 *
 * Thread-safe: anchor/live/stats may be called from any thread; the frame
 * and log callbacks run on the polling thread. */
#ifndef OC_SNAPURL_H
#define OC_SNAPURL_H

#include <stddef.h>
#include <stdint.h>

#include "oc_ecfg.h"

/* Per camera, since start. */
struct oc_snapurl_stats {
    uint64_t ok;            /* JPEG frames handed over */
    uint64_t timeout;       /* requests over frames.timeout_ms */
    uint64_t http_error;    /* answered, but not 200 (401: wrong credentials) */
    uint64_t network_error; /* no answer: refused, reset, TLS, DNS */
    uint64_t not_jpeg;      /* 200, but not a JPEG */
    uint64_t too_large;     /* body over OC_JPEG_MAX_BYTES: abandoned */
    uint64_t refused;       /* the frame callback could not take it (queue full) */
    uint64_t skipped;       /* slots missed because the last request had not finished */
    uint64_t bytes;         /* JPEG bytes handed over */
    double seconds;         /* time spent in requests */
    long last_status;       /* HTTP status of the last answer, 0: none */
    int active;             /* being polled now (live tracks) */
    int configured;         /* the camera has a snapshot URL */
};

/* A frame for camera (config index) at camera time ts; jpeg borrowed for
 * the call. Returns 0 when taken, -1 when refused (counted as refused). */
typedef int (*oc_snapurl_frame_fn)(void *ud, int camera, int64_t ts, const void *jpeg, size_t len);
/* A state change worth one log line (a camera starts failing, recovers). */
typedef void (*oc_snapurl_log_fn)(void *ud, int level, const char *msg);

struct oc_snapurl;

/* Starts the thread for cfg's cameras that have frames.snapshot_url
 * (passwords[i]: camera i's password, or NULL; read by the caller from
 * frames.password_file). Strings are copied: cfg may be freed afterwards.
 * Returns NULL with err when no camera has a URL (*err == '\0') or when
 * the thread or libcurl cannot start (*err says why). */
struct oc_snapurl *oc_snapurl_start(const struct oc_ecfg *cfg, const char *const *passwords,
                                    oc_snapurl_frame_fn on_frame, oc_snapurl_log_fn log, void *ud,
                                    char *err, size_t errlen);
/* Stops and joins the thread (a request in flight is abandoned), frees. */
void oc_snapurl_stop(struct oc_snapurl *s);

/* The camera's clock became clock as of monotonic time mono_ms (a
 * detection message was applied; never a frame or a tick: those are
 * estimates themselves). */
void oc_snapurl_anchor(struct oc_snapurl *s, int camera, int64_t clock, int64_t mono_ms);
/* The camera has live tracks (polled) or not (idle). */
void oc_snapurl_live(struct oc_snapurl *s, int camera, int live);

void oc_snapurl_stats(struct oc_snapurl *s, int camera, struct oc_snapurl_stats *out);

/* Appends the Prometheus text of every polled camera's stats to buf
 * (docs/daemon.md); returns the bytes written (at most cap - 1, always
 * NUL-terminated when cap > 0). Nothing when s is NULL. */
size_t oc_snapurl_metrics(struct oc_snapurl *s, char *buf, size_t cap);

/* The mapping rule: the camera time of a picture taken at monotonic time
 * capture_mono, given the anchor. Pure; exposed for tests. */
int64_t oc_snapurl_map_ts(int64_t anchor_clock, int64_t anchor_mono, int64_t capture_mono,
                          int latency_ms);

/* Milliseconds on CLOCK_MONOTONIC, the clock anchors and captures use. */
int64_t oc_snapurl_mono_ms(void);

#endif
