/* The interface between the dispatcher (oc_adapt.c) and the format
 * modules (oc_adapt_<format>.c). A module keeps whatever per-camera state
 * it needs (bounded) and reports through struct oc_adapt_io. */
#ifndef OC_ADAPT_INT_H
#define OC_ADAPT_INT_H

#include "ordercam/oc_adapt.h"

/* One message for a module. cams: the config indexes of the cameras of this
 * format whose topic filters match (at least one). Exactly one of payload
 * and json is set for JSON formats after the dispatcher's oc_json policy;
 * XML modules get payload (json is a JSON string's bytes moved to payload). */
struct oc_adapt_in {
    const char *topic;
    size_t topic_len;
    const char *payload;
    size_t len;
    const cJSON *json; /* JSON formats: the parsed object (never NULL) */
    const int *cams;
    size_t n_cams;
    int64_t rx_ms;
};

/* The dispatcher seen from a module. */
struct oc_adapt_io {
    struct oc_adapt *a;
    enum oc_format format;
};

struct oc_adapt_format {
    const char *name;
    bool json; /* the dispatcher parses payloads as JSON objects */
    /* With json: whether this topic's payloads are JSON (NULL: all are);
     * the others come as raw bytes (a Frigate snapshot is a JPEG). */
    bool (*json_topic)(const char *topic, size_t len);
    /* Returns the module state, or NULL when out of memory. */
    void *(*create)(const struct oc_config *cfg);
    /* Returns the camera the message concerned or -1. */
    int (*feed)(void *st, const struct oc_adapt_io *io, const struct oc_adapt_in *in);
    void (*tick)(void *st, const struct oc_adapt_io *io, int64_t rx_ms); /* optional */
    void (*flush)(void *st, const struct oc_adapt_io *io);               /* optional */
    /* False while the module holds input not yet passed on (optional:
     * a module without it never holds any). */
    bool (*idle)(void *st);
    /* A live engine track of camera after a restart (optional). */
    void (*known)(void *st, int camera, const char *id, const char *cls, const double box[4],
                  int64_t last_ts);
    void (*destroy)(void *st);
};

/* Calls for modules. */
void oc_adapt__detections(const struct oc_adapt_io *io, int camera, const struct oc_detections *d);
void oc_adapt__frame(const struct oc_adapt_io *io, int camera, int64_t ts, const void *jpeg,
                     size_t len);
void oc_adapt__drop(const struct oc_adapt_io *io, int camera, enum oc_counter why);
/* The source ended a track (passed to the sink's end callback). */
void oc_adapt__end(const struct oc_adapt_io *io, int camera, const char *id, int64_t ts);
void oc_adapt__drops(const struct oc_adapt_io *io, int camera, enum oc_counter why, unsigned n);
/* The camera among in->cams whose source name is name[0..len); -1 (and a
 * drop_unknown_camera counted) when none. */
int oc_adapt__pick(const struct oc_adapt_io *io, const struct oc_adapt_in *in, const char *name,
                   size_t len);
/* The class name to give the engine for a foreign class name: name itself
 * when a class_aliases entry maps it (the engine applies it) or it is one
 * of ordercam's classes; else the format's default table (tab: pairs
 * {from, to}, NULL-terminated, compared case-insensitively); NULL when
 * nothing knows it. */
const char *oc_adapt__class(const struct oc_adapt_io *io, const char *const (*tab)[2],
                            const char *name);

/* s[0..n) as strtod reads it, when it is [+-]digits[.digits] of at most 15
 * digits (then m / 10^k, both exact doubles, rounds as strtod does);
 * false for anything else (the caller asks strtod). */
bool oc_adapt__decimal(const char *s, size_t n, double *out);

extern const struct oc_adapt_format oc_adapt_fmt_deepstream;
extern const struct oc_adapt_format oc_adapt_fmt_deepstream_minimal;
extern const struct oc_adapt_format oc_adapt_fmt_onvif;
extern const struct oc_adapt_format oc_adapt_fmt_frigate;

#endif
