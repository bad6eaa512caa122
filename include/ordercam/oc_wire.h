/* The bodies a box uploads to ordercam-central (docs/central.md,
 * docs/outputs.md), written in one place for the uplink, replay's
 * --central-out and the tests, and central's answer to a refused batch read
 * in one place:
 *
 *   POST /api/v1/violations  {"box":B,"violations":[<record>,...]}
 *   POST /api/v1/tallies     {"box":B,"version":V[,"backlog":N],"cameras":[<camera>,...],
 *                             "tallies":[{"camera","type","bucket","count","rev"},...]}
 *   <camera>                 {"id":C[,"location":L][,"road":R][,"unit":U]}
 *   refusal (4xx)            {"error":"...","index":i}  (index: the refused item)
 *
 * A body is streamed through a writer (struct oc_wire) into any sink: a
 * bounded memory buffer (oc_wire_mem_*) or the caller's (a file). Ids and
 * type names are checked before they are written, strings are JSON-quoted;
 * a record is written as the JSON text oc_record_format made. */
#ifndef OC_WIRE_H
#define OC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_err.h"

/* Where a writer's bytes go: write returns OC_OK, or an error that fails
 * the body (later writes are skipped). */
struct oc_wire {
    oc_err_t (*write)(void *ud, const char *p, size_t n);
    void *ud;
    size_t items; /* items written into the open array */
    oc_err_t err; /* the first failure: OC_EINVAL (a bad id or name), or the sink's */
};

/* A growable memory sink with a limit (bytes, without the NUL it keeps
 * after the text). Beyond max the write fails (OC_EFULL), nothing is cut
 * silently. The caller owns p and frees it with oc_wire_mem_free. */
struct oc_wire_mem {
    char *p;
    size_t len, cap, max;
};
/* A writer into m (emptied first; m->max must be set). */
void oc_wire_mem_writer(struct oc_wire *w, struct oc_wire_mem *m);
void oc_wire_mem_free(struct oc_wire_mem *m);

struct oc_wire_camera {
    const char *id;
    const char *location, *road, *unit; /* NULL: left out */
};

struct oc_wire_tally {
    const char *camera, *type;
    int64_t bucket; /* ms, the start of the row's window */
    int64_t count;  /* absolute */
    int64_t rev;    /* >= 1, grows with every change of the row at the box */
};

/* {"box":B,"violations":[ */
void oc_wire_violations_begin(struct oc_wire *w, const char *box);
/* One record: JSON text of len bytes (as oc_record_format made it; not
 * checked here, central checks it), a trailing newline left out. */
void oc_wire_violation(struct oc_wire *w, const char *record, size_t len);
/* ]} ; returns the writer's state (OC_OK: the body is complete). */
oc_err_t oc_wire_violations_end(struct oc_wire *w);

/* The cameras array alone ([...]), as a NUL-terminated string the caller
 * frees: what a box sends with every tally body, rendered once. NULL when
 * out of memory or an id is not a camera id. */
char *oc_wire_cameras_json(const struct oc_wire_camera *cams, size_t n);

/* {"box":B,"version":V[,"backlog":N],"cameras":<cameras_json>,"tallies":[
 * backlog < 0 leaves it out; cameras_json from oc_wire_cameras_json (NULL:
 * an empty array). */
void oc_wire_tallies_begin(struct oc_wire *w, const char *box, const char *version, int64_t backlog,
                           const char *cameras_json);
/* One row. OC_EINVAL, and nothing written, for a row central would refuse
 * (camera not an id, type not [a-z0-9_]{1,64}, negative bucket or count,
 * rev < 1): the caller leaves it out and says so, and the body stays good
 * for the other rows. Else the writer's state. */
oc_err_t oc_wire_tally(struct oc_wire *w, const struct oc_wire_tally *t);
/* ]} ; as oc_wire_violations_end. */
oc_err_t oc_wire_tallies_end(struct oc_wire *w);

/* Reads central's answer to a refused batch: the "index" of the item it
 * refused. false when body (len bytes) is not such an answer (no index, an
 * older central): the caller must then find the item another way. */
bool oc_wire_refused_index(const char *body, size_t len, size_t *index);

#endif
