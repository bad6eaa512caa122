/* The violation record of outputs.md as one JSON line. */
#ifndef OC_RECORD_H
#define OC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"

#define OC_RECORD_MAX 8192 /* a record never exceeds this (ids, names are bounded) */
/* A record id "<box>:<camera>:<seq>" is at most this long (two ids of at
 * most 64 bytes, a decimal seq of at most 20 digits); buffers need + 1. */
#define OC_RECORD_ID_MAX 160

/* Evidence reference; the record says "evidence": null when NULL is passed. */
struct oc_record_evidence {
    const char *file;   /* relative to the evidence directory */
    const char *sha256; /* 64 hex characters */
    const int64_t *frames;
    size_t n_frames;
    int evicted;               /* the box deleted the image for its disk limit: "evicted": true */
    const char *public_sha256; /* the public variant's digest (docs/evidence.md); NULL: none */
};

/* Writes v as one JSON object plus '\n' into buf (cap bytes, NUL-terminated)
 * with the fields in the order of outputs.md. Returns the length without
 * the NUL, or 0 when buf is too small. */
size_t oc_record_format(const struct oc_config *cfg, const struct oc_violation *v,
                        const struct oc_record_evidence *ev, char *buf, size_t cap);

/* Rewrites a record's last field, "evidence" (rec, len bytes, with or
 * without its newline; rec may be buf), to name ev instead. Returns the
 * new length with '\n', or 0 when rec does not end in an evidence field or
 * buf is too small. */
size_t oc_record_set_evidence(const char *rec, size_t len, const struct oc_record_evidence *ev,
                              char *buf, size_t cap);

/* A record id "<box>:<camera>:<seq>": box and camera ids (oc_config_valid_id)
 * and seq in canonical decimal (no sign, no leading zero, 1..UINT64_MAX). */
struct oc_record_id {
    char box[65], camera[65];
    uint64_t seq;
};

/* Parses id (NUL-terminated) into out (may be NULL to only check).
 * Returns 0, or -1 when id is not of that form. */
int oc_record_id_parse(const char *id, struct oc_record_id *out);

/* Checks a violation record received from box `box` (the sender's id):
 * an object with only the fields of outputs.md, each of its published
 * type and bound; "id" of `box` and the record's "camera"; "box" present
 * and equal to `box`; 0 <= ts_start <= ts <= 2100-01-01. A record that
 * passes is safe to store and serve as cJSON re-serialises it. Returns 1,
 * or 0 with a one-line English reason in err (cap bytes, NUL-terminated).
 * The caller applies its own clock bound to "ts". */
int oc_record_validate(const cJSON *rec, const char *box, char *err, size_t cap);

/* A violation type name as records and upload bodies carry it: [a-z0-9_],
 * 1 to 64 bytes (NULL: false). */
bool oc_record_type_name_ok(const char *s);

/* v is a JSON number holding an integer from lo to hi (both within
 * +-2^53, where doubles are exact). NULL: false. */
bool oc_record_is_int(const cJSON *v, double lo, double hi);

/* The record id "<box>:<camera>:<seq>" into buf (cap bytes, NUL-terminated).
 * Returns its length, or 0 when buf is too small. */
size_t oc_record_id_format(char *buf, size_t cap, const char *box, const char *camera,
                           uint64_t seq);

/* The id of a record line that oc_record_format wrote (its first field),
 * copied into id (cap bytes): rec is len bytes, with or without newline.
 * false when rec does not start with an id field or id is too small. The
 * id is not checked: oc_record_id_parse it. */
bool oc_record_id_of(const char *rec, size_t len, char *id, size_t cap);

#endif
