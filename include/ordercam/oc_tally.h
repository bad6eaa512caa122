/* Violation counts per (camera, type, bucket), bounded; the bucket rule. */
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

/* The tally rule's one home: the bucket of a violation dated ts is the
 * start of the bucket_ms-long interval holding it (floor, also before
 * 1970). The engine stamps every violation with it (oc_violation.bucket);
 * replay counts with oc_tally and ordercamd's spool counts in SQL, both by
 * that stamp, one per violation, so they cannot disagree. */
int64_t oc_tally_bucket(int64_t ts, int64_t bucket_ms);

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
