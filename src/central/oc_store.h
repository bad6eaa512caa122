/* ordercam-central's store: boxes, cameras, tallies, violations, evidence
 * references. A back-end is a vtable of these operations, so the API never
 * sees SQL; two exist, SQLite and PostgreSQL, both the one SQL store of
 * oc_sqlstore.c over a dialect. All functions are safe to call from several
 * threads at once. Strings passed in are borrowed for the call. */
#ifndef OC_STORE_H
#define OC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_err.h"

struct oc_store;

/* Filters shared by counts and violations queries; NULL/0 = not set. */
struct oc_store_filter {
    int64_t from, to; /* [from, to) in ms; to 0 = no upper bound */
    const char *type, *camera, *box, *road, *unit;
};

enum oc_store_dim {
    OC_DIM_TYPE, OC_DIM_CAMERA, OC_DIM_BOX, OC_DIM_ROAD, OC_DIM_UNIT, OC_DIM_HOUR, OC_DIM_DAY,
    OC_DIM_HOUR_OF_DAY, OC_DIM__COUNT
};

struct oc_store_counts_q {
    struct oc_store_filter f;
    enum oc_store_dim group[OC_DIM__COUNT];
    size_t n_group;
    int tz_offset_min; /* for hour, day and hour_of_day */
};

struct oc_tally_in {
    const char *camera, *type;
    int64_t bucket;
    int64_t count;
    /* The box's revision of this row (>= 1, rising with every change of
     * the row at the box); an upsert whose rev is not newer than the one
     * stored changes nothing. 0 = none: applies, as before revisions. */
    int64_t rev;
};

struct oc_camera_in {
    const char *id, *location, *road, *unit;
};

/* Outcome of inserting a batch of records. */
struct oc_insert_result {
    size_t inserted, duplicates;
};

/* One stored violation, for a page of them: the record (JSON text as
 * stored), its ts and id (what a page cursor is made of) and whether its
 * evidence image is stored. Borrowed for the call. */
typedef void (*oc_store_violation_fn)(void *arg, const char *record, int64_t ts, const char *id,
                                      int has_evidence);

struct oc_store_ops {
    const char *name;
    void (*close)(struct oc_store *s);
    /* Upserts absolute counts and camera places and marks the box seen, in
     * one transaction. *stale (may be NULL): how many tallies changed
     * nothing because their rev was not newer than the stored one. */
    oc_err_t (*put_tallies)(struct oc_store *s, const char *box, const char *version,
                            int64_t backlog, int64_t now_ms, const struct oc_tally_in *t,
                            size_t n, const struct oc_camera_in *c, size_t nc, size_t *stale);
    /* Inserts records not yet known by id; records is a cJSON array of
     * validated records (borrowed). One transaction. */
    oc_err_t (*put_violations)(struct oc_store *s, const char *box, int64_t now_ms,
                               const cJSON *records, struct oc_insert_result *res);
    /* Evidence: the digest the record announced (OC_ENOTFOUND: no such
     * violation), and the path once stored. */
    oc_err_t (*evidence_expected)(struct oc_store *s, const char *id, char *box, size_t boxlen,
                                  char *sha256_hex, size_t hexlen, char *stored_path,
                                  size_t pathlen);
    oc_err_t (*evidence_stored)(struct oc_store *s, const char *id, const char *path, int64_t size);
    /* Queries: return a new cJSON the caller frees with cJSON_Delete, or
     * NULL when the store fails. */
    cJSON *(*counts)(struct oc_store *s, const struct oc_store_counts_q *q);
    cJSON *(*boxes)(struct oc_store *s, int64_t now_ms, int64_t silent_after_ms);
    /* Up to limit violations matching f, newest first (ts, then id), older
     * than (before_ts, before_id) when before_id is set, each given to fn;
     * *more: another one follows the last given. */
    oc_err_t (*violations)(struct oc_store *s, const struct oc_store_filter *f, int limit,
                           int64_t before_ts, const char *before_id, oc_store_violation_fn fn,
                           void *arg, int *more);
};

struct oc_store {
    const struct oc_store_ops *ops;
};

/* Opens (creating and migrating) the SQLite store at path with a pool of
 * `connections` connections. tz_offset_min is the city's UTC offset: the
 * day grain's days start at local midnight. NULL with a message in err on
 * failure. The caller closes it with s->ops->close(s). */
struct oc_store *oc_store_sqlite_open(const char *path, int connections, int tz_offset_min,
                                      char *err, size_t errlen);

/* Opens (creating and migrating) the PostgreSQL store at conninfo (a
 * libpq URI or key=value string) with `connections` connections; the same
 * contract as the SQLite store. */
struct oc_store *oc_store_pg_open(const char *conninfo, int connections, int tz_offset_min,
                                  char *err, size_t errlen);

const char *oc_store_dim_name(enum oc_store_dim d);
int oc_store_dim_parse(const char *name); /* -1 if unknown */

#endif
