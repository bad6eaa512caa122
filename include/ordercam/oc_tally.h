/* Violation counts per (camera, type, bucket), bounded. */
#ifndef OC_TALLY_H
#define OC_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_err.h"

struct oc_tally_row {
    int camera, vtype;
    int64_t bucket;
    uint64_t count;
};

struct oc_tally;

/* A tally of at most max_rows distinct (camera, type, bucket) rows.
 * Caller frees with oc_tally_free(). NULL when out of memory. */
struct oc_tally *oc_tally_new(size_t max_rows);
void oc_tally_free(struct oc_tally *t);

/* Adds one to the row. OC_EFULL when the row is new and the tally holds
 * max_rows already: nothing is counted and the caller must say so. */
oc_err_t oc_tally_add(struct oc_tally *t, int camera, int vtype, int64_t bucket);

/* Rows sorted by bucket, camera, type; *n set. The array is owned by the
 * tally and valid until the next add or free. */
const struct oc_tally_row *oc_tally_rows(struct oc_tally *t, size_t *n);

#endif
