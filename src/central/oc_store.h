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
    /* a review status ("pending", "confirmed", "rejected"): violations
     * only; a counts query with it counts violations, not tallies */
    const char *status;
};

enum oc_store_dim {
    OC_DIM_TYPE,
    OC_DIM_CAMERA,
    OC_DIM_BOX,
    OC_DIM_ROAD,
    OC_DIM_UNIT,
    OC_DIM_HOUR,
    OC_DIM_DAY,
    OC_DIM_HOUR_OF_DAY,
    OC_DIM__COUNT
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

/* ---- people: users, sessions, review, audit (docs/central.md) ---- */

enum oc_user_role { OC_USER_NONE, OC_USER_VIEWER, OC_USER_REVIEWER, OC_USER_ADMIN };

#define OC_USER_NAME_MAX 64
#define OC_PWHASH_MAX 128 /* crypto_pwhash_STRBYTES */

struct oc_user {
    char name[OC_USER_NAME_MAX + 1];
    enum oc_user_role role;
    int disabled;
    char locale[8]; /* "" = the configured ui.locale */
    char pwhash[OC_PWHASH_MAX];
};

/* One row of the audit log; strings borrowed for the call, NULL allowed
 * but for actor and action. */
struct oc_audit_in {
    int64_t ts;
    const char *actor, *role, *action, *target, *detail, *addr;
};

/* A review decision's outcome. */
enum oc_decide {
    OC_DECIDE_OK,       /* decided now */
    OC_DECIDE_SAME,     /* this reviewer decided this already: nothing changed */
    OC_DECIDE_CONFLICT, /* decided before, otherwise or by another */
    OC_DECIDE_LEASED,   /* another reviewer's lease is live */
    OC_DECIDE_NOTFOUND
};

/* A violation with its review state, for the queue and the export.
 * Borrowed for the call. */
struct oc_store_vrow {
    const char *record, *id, *status, *reason, *note, *reviewer;
    int64_t ts, decided, lease_until;
    int has_evidence;
    int evidence_expired; /* the image was deleted by retention; the digest stays */
    int has_public;       /* central holds the public variant (docs/evidence.md) */
};

/* A stored image, for retention: its record and file. Borrowed. */
typedef void (*oc_store_image_fn)(void *arg, const char *id, const char *path);
typedef void (*oc_store_vrow_fn)(void *arg, const struct oc_store_vrow *r);

struct oc_store_ops {
    const char *name;
    void (*close)(struct oc_store *s);
    /* Upserts absolute counts and camera places and marks the box seen, in
     * one transaction. *stale (may be NULL): how many tallies changed
     * nothing because their rev was not newer than the stored one. */
    oc_err_t (*put_tallies)(struct oc_store *s, const char *box, const char *version,
                            int64_t backlog, int64_t now_ms, const struct oc_tally_in *t, size_t n,
                            const struct oc_camera_in *c, size_t nc, size_t *stale);
    /* Inserts records not yet known by id; records is a cJSON array of
     * validated records (borrowed). One transaction. */
    oc_err_t (*put_violations)(struct oc_store *s, const char *box, int64_t now_ms,
                               const cJSON *records, struct oc_insert_result *res);
    /* Evidence: the sending box, the digest the record announced (hex, ""
     * when none) and the stored path ("" when no image yet) written into
     * the caller's buffers (OC_ENOTFOUND: no such violation); then the
     * path once stored. */
    oc_err_t (*evidence_expected)(struct oc_store *s, const char *id, char *box, size_t boxlen,
                                  char *sha256_hex, size_t hexlen, char *stored_path,
                                  size_t pathlen);
    oc_err_t (*evidence_stored)(struct oc_store *s, const char *id, const char *path, int64_t size);
    /* The public variant (docs/evidence.md, "Public variant"): the sending
     * box, the digest the record announced in evidence.public_sha256 (hex,
     * "" when none), the stored public image's path ("" when none yet) and
     * *expired: retention deleted the record's images. OC_ENOTFOUND: no
     * such violation. public_stored: the path once stored. */
    oc_err_t (*public_expected)(struct oc_store *s, const char *id, char *box, size_t boxlen,
                                char *sha256_hex, size_t hexlen, char *stored_path, size_t pathlen,
                                int *expired);
    oc_err_t (*public_stored)(struct oc_store *s, const char *id, const char *path);
    /* Queries: return a new cJSON the caller frees with cJSON_Delete, or
     * NULL when the store fails. */
    cJSON *(*counts)(struct oc_store *s, const struct oc_store_counts_q *q);
    cJSON *(*boxes)(struct oc_store *s, int64_t now_ms, int64_t silent_after_ms);

    /* Users. user_add: OC_EINVAL when the name exists. user_set changes
     * what is given (pwhash, locale non-NULL; disabled, role >= 0) and
     * ends the user's sessions when the password changes or the user is
     * disabled, in the same transaction. OC_ENOTFOUND: no such user. */
    oc_err_t (*user_add)(struct oc_store *s, const struct oc_user *u, int64_t now_ms);
    oc_err_t (*user_get)(struct oc_store *s, const char *name, struct oc_user *u);
    oc_err_t (*user_set)(struct oc_store *s, const char *name, const char *pwhash, int disabled,
                         int role, const char *locale, int64_t now_ms);
    cJSON *(*users)(struct oc_store *s);
    /* Sessions of users, by the SHA-256 (hex) of their id. session_user:
     * the live session's enabled user, else OC_ENOTFOUND. */
    oc_err_t (*session_put)(struct oc_store *s, const char *hash, const char *name,
                            int64_t expires_ms, int64_t now_ms);
    oc_err_t (*session_user)(struct oc_store *s, const char *hash, int64_t now_ms,
                             struct oc_user *u);
    oc_err_t (*session_end)(struct oc_store *s, const char *hash);
    /* The audit log: append only. audit_read: rows in [from, to) newest
     * first, older than seq before (0: from the newest), at most limit. */
    oc_err_t (*audit)(struct oc_store *s, const struct oc_audit_in *a);
    cJSON *(*audit_read)(struct oc_store *s, int64_t from, int64_t to, int64_t before, int limit);
    /* The review queue. review_next leases the oldest pending violation
     * matching f (the one this user holds already first) for lease_ms and
     * gives it to fn; OC_ENOTFOUND when none is free. */
    oc_err_t (*review_next)(struct oc_store *s, const char *user, const struct oc_store_filter *f,
                            int64_t now_ms, int64_t lease_ms, oc_store_vrow_fn fn, void *arg);
    /* decision: "confirm", "reject" (reason required) or "skip" (this user
     * does not get it again; its lease ends). */
    oc_err_t (*review_decide)(struct oc_store *s, const char *id, const char *user,
                              const char *decision, const char *reason, const char *note,
                              int64_t now_ms, enum oc_decide *out);
    /* Per camera and type: total, pending, confirmed, rejected, reasons. */
    cJSON *(*review_stats)(struct oc_store *s, const struct oc_store_filter *f);
    /* The records of [from, to) per value of dim (OC_DIM_ROAD or
     * OC_DIM_UNIT), camera and review status, in one pass (the reports):
     * {"rows": [{"<road|unit>": name or null, "camera", "status", "count"}]};
     * whole city days read the status counts, as counts with a status do. */
    cJSON *(*review_groups)(struct oc_store *s, int64_t from, int64_t to, enum oc_store_dim dim);
    /* Up to limit violations matching f (its status too), newest first (ts,
     * then id), older than (before_ts, before_id) when before_id is set,
     * each given to fn with its review state; *more: another one follows
     * the last given. The store gives data only: the API makes the page
     * cursor and the evidence URL of them. */
    oc_err_t (*vrows)(struct oc_store *s, const struct oc_store_filter *f, int limit,
                      int64_t before_ts, const char *before_id, oc_store_vrow_fn fn, void *arg,
                      int *more);
    /* Plates seen at least twice in [from, to) among violations of the
     * given types (at most 12) that were not rejected, most first:
     * {"plates": [{"plate", "count", "first", "last"}]}. */
    cJSON *(*plates)(struct oc_store *s, int64_t from, int64_t to, const char *const *types,
                     size_t n_types, int limit);
    /* The repeat plates the store keeps (the plate counts): for the given
     * types (at most 12; the enforcement types), per week and per month of
     * the city's days. When the types or the city's offset differ from what
     * the kept counts were made for, they are counted again from the stored
     * records (at start). plates() reads them for a whole week or month of
     * these types and counts the records otherwise. */
    oc_err_t (*plates_setup)(struct oc_store *s, const char *const *types, size_t n_types);
    /* Frozen reports: the body stored under key (a new string the caller
     * frees; OC_ENOTFOUND), and storing one (the first stored stays). */
    oc_err_t (*report_get)(struct oc_store *s, const char *key, char **body);
    oc_err_t (*report_put)(struct oc_store *s, const char *key, const char *body, int64_t now_ms);
    /* Retention. images_before: up to limit stored images of records
     * older than before (oldest first), each given to fn. image_users:
     * how many records other than id still hold path. image_expire: the
     * record keeps its digest, loses its path, says its image expired.
     * records_delete_before: deletes up to limit records older than
     * before (their review skips too; tallies stay), and before that every
     * whole month before it that the store keeps apart (PostgreSQL's
     * partitions), whatever its size; *deleted: both. */
    oc_err_t (*images_before)(struct oc_store *s, int64_t before, int limit, oc_store_image_fn fn,
                              void *arg);
    oc_err_t (*image_users)(struct oc_store *s, const char *path, const char *id, int64_t *n);
    oc_err_t (*image_expire)(struct oc_store *s, const char *id);
    oc_err_t (*records_delete_before)(struct oc_store *s, int64_t before, int limit,
                                      int64_t *deleted);
    /* Retention of public images: up to limit stored public images of
     * records older than before (oldest first), each given to fn;
     * public_users: how many records other than id still hold path as
     * their public image; public_expire: the record loses its public
     * image's path (it keeps evidence.public_sha256). */
    oc_err_t (*publics_before)(struct oc_store *s, int64_t before, int limit, oc_store_image_fn fn,
                               void *arg);
    oc_err_t (*public_users)(struct oc_store *s, const char *path, const char *id, int64_t *n);
    oc_err_t (*public_expire)(struct oc_store *s, const char *id);
};

struct oc_store {
    const struct oc_store_ops *ops;
};

/* Opens (creating and migrating) the SQLite store at path with a pool of
 * `connections` connections. tz_offset_min is the city's UTC offset: the
 * day grains' days start at local midnight (a store whose day grains were
 * cut at another offset counts them again at open). NULL with a message in
 * err on failure. The caller closes it with s->ops->close(s). */
struct oc_store *oc_store_sqlite_open(const char *path, int connections, int tz_offset_min,
                                      char *err, size_t errlen);

/* Opens (creating and migrating) the PostgreSQL store at conninfo (a
 * libpq URI or key=value string) with `connections` connections; the same
 * contract as the SQLite store. */
struct oc_store *oc_store_pg_open(const char *conninfo, int connections, int tz_offset_min,
                                  char *err, size_t errlen);

const char *oc_store_dim_name(enum oc_store_dim d);
int oc_store_dim_parse(const char *name); /* -1 if unknown */
/* Users' roles by name ("viewer", "reviewer", "admin"); OC_USER_NONE when
 * unknown or NULL. */
enum oc_user_role oc_user_role_parse(const char *s);
const char *oc_user_role_name(enum oc_user_role r);

#endif
