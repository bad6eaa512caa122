/* The edge box's durable spool (SQLite, WAL) under spool.dir: violation
 * records, tally counts per bucket and their upload state. A violation and
 * its tally increment are committed together, so SIGKILL at any moment
 * leaves both or neither. Each thread opens its own handle. */
#ifndef OC_SPOOL_H
#define OC_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_err.h"
#include "ordercam/oc_record.h"

struct oc_spool;

/* Opens (creating) <dir>/spool.sqlite. NULL with a message in err. */
struct oc_spool *oc_spool_open(const char *dir, char *err, size_t errlen);
void oc_spool_close(struct oc_spool *s);

/* Stores a record and counts it in its tally bucket, in one transaction.
 * bucket is the violation's own (oc_violation.bucket, oc_tally_bucket of
 * its ts): the spool counts by it and never derives one itself.
 * record is the JSON line without newline. ev_wait: its evidence image is
 * being made; the record is not sent until oc_spool_evidence settles it. */
oc_err_t oc_spool_add(struct oc_spool *s, const char *camera, uint64_t seq, const char *id,
                      int64_t ts, const char *type, int64_t bucket, const char *record,
                      int ev_wait);

/* The seq after the highest stored for camera (1 when none). */
uint64_t oc_spool_next_seq(struct oc_spool *s, const char *camera);

/* Calls fn with every stored record (borrowed, as stored: the JSON line
 * without newline) of camera whose seq is from or later, in seq order.
 * Returns how many it gave; a read error ends the walk there. */
size_t oc_spool_records_from(struct oc_spool *s, const char *camera, uint64_t from,
                             void (*fn)(void *ud, uint64_t seq, const char *record), void *ud);

/* Up to limit records not yet accepted by central, oldest first: calls fn
 * with each (borrowed) id and record. Returns how many. */
size_t oc_spool_pending(struct oc_spool *s, size_t limit,
                        void (*fn)(void *ud, const char *id, const char *record), void *ud);
/* What central did with a record (records.state). */
enum oc_spool_state {
    OC_SPOOL_PENDING = 0,  /* not accepted yet: sent (again) */
    OC_SPOOL_ACCEPTED = 1, /* central stored it */
    OC_SPOOL_REJECTED = 2  /* central refused it for good (parked) */
};

/* Marks records accepted or permanently rejected. */
oc_err_t oc_spool_mark(struct oc_spool *s, const char *const *ids, size_t n,
                       enum oc_spool_state state);
/* Records still to send. */
uint64_t oc_spool_backlog(struct oc_spool *s);

/* Tally rows changed since central last accepted them, up to limit, oldest
 * bucket first: fn gets camera, type, bucket, absolute count and the row's
 * version, which grows by one with every change of the row (the "rev" that
 * central keeps the newest of). */
size_t oc_spool_dirty_tallies(struct oc_spool *s, size_t limit,
                              void (*fn)(void *ud, const char *camera, const char *type,
                                         int64_t bucket, int64_t count, int64_t version),
                              void *ud);
/* Groups the following calls into one transaction (one fsync instead of
 * one per row); oc_spool_commit ends it. */
oc_err_t oc_spool_begin(struct oc_spool *s);
oc_err_t oc_spool_commit(struct oc_spool *s);

/* Central accepted the row at that version (a later change stays dirty). */
oc_err_t oc_spool_tally_sent(struct oc_spool *s, const char *camera, const char *type,
                             int64_t bucket, int64_t version);

/* What a record's evidence image is (records.ev_state). */
enum {
    OC_SPOOL_EV_NONE = 0,    /* no image */
    OC_SPOOL_EV_TO_SEND = 1, /* on disk, central does not have it yet */
    OC_SPOOL_EV_SENT = 2,    /* central stored it; kept on disk until evicted */
    OC_SPOOL_EV_PARKED = 3,  /* central refused it for good */
    OC_SPOOL_EV_EVICTED = 4  /* deleted for spool.max_mb (the record keeps the digest) */
};

/* Settles a waiting record: ev names the image written (size bytes), or
 * NULL when there is none; the record JSON is rewritten to match. */
oc_err_t oc_spool_evidence(struct oc_spool *s, const char *id, const struct oc_record_evidence *ev,
                           int64_t size);
/* At start-up: images still being made when the process stopped are lost
 * with its memory; their records go without. fn (may be NULL) first sees
 * each such record's camera, seq and ts, so that an image written just
 * before the stop can be removed. Returns how many. */
uint64_t oc_spool_settle_waiting(struct oc_spool *s,
                                 void (*fn)(void *ud, const char *camera, uint64_t seq, int64_t ts),
                                 void *ud);
/* Images to upload (their records already accepted), oldest first. */
size_t oc_spool_evidence_todo(struct oc_spool *s, size_t limit,
                              void (*fn)(void *ud, const char *id, const char *file,
                                         const char *sha),
                              void *ud);
oc_err_t oc_spool_evidence_mark(struct oc_spool *s, const char *id, int ev_state);
/* Bytes of the images on disk. */
uint64_t oc_spool_evidence_bytes(struct oc_spool *s);
/* The oldest image on disk and its size as recorded (what
 * oc_spool_evidence_bytes sums): OC_ENOTFOUND when none. */
oc_err_t oc_spool_evidence_oldest(struct oc_spool *s, char *id, size_t idlen, char *file,
                                  size_t filelen, uint64_t *size);
/* The image was deleted for spool.max_mb: the record keeps its digest and,
 * if central has not got it yet, says "evicted": true in its evidence. */
oc_err_t oc_spool_evidence_evicted(struct oc_spool *s, const char *id);

/* The public variant's upload (records.pub_state; docs/evidence.md): set
 * to TO_SEND when the evidence is settled with a public_sha256, sent after
 * the private image (only once that is SENT), GONE when it was evicted or
 * missing before it was sent. It leaves the disk with the private image
 * (one ev_size counts both). */
enum {
    OC_SPOOL_PUB_NONE = 0,    /* no public variant */
    OC_SPOOL_PUB_TO_SEND = 1, /* on disk, central does not have it yet */
    OC_SPOOL_PUB_SENT = 2,    /* central stored it */
    OC_SPOOL_PUB_PARKED = 3,  /* central refused it for good */
    OC_SPOOL_PUB_GONE = 4     /* deleted before it was sent */
};
/* Public variants to upload (their private images sent), oldest first: fn
 * gets the id, the private image's file (the public one is named from it,
 * oc_evidence_public_name) and the public variant's digest. */
size_t oc_spool_public_todo(struct oc_spool *s, size_t limit,
                            void (*fn)(void *ud, const char *id, const char *file, const char *sha),
                            void *ud);
/* Sets the state of id's public variant; a record without one stays
 * OC_SPOOL_PUB_NONE. */
oc_err_t oc_spool_public_mark(struct oc_spool *s, const char *id, int pub_state);

#endif
