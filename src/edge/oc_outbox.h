/* The outbox: where a violation goes once the engine establishes it, on
 * the engine thread.
 *  - the spool (oc_spool) takes the record and counts it in its tally; when
 *    the spool cannot be written (disk full) the record is held in memory,
 *    in order, up to OC_OUTBOX_HELD_MAX (beyond: lost, counted, logged) and
 *    written as soon as the spool takes writes again;
 *  - violations.jsonl gets a copy for people; on open, a last line a crash
 *    left half written is cut, records a crash left in the spool only are
 *    appended, and the next seq per camera is read back so that violations
 *    written before a crash are not written twice;
 *  - evidence settling: the record learns its image (or that there is none);
 *  - spool.max_mb: the oldest images are evicted; records and tallies never.
 * The outbox borrows the spool, the log and the counters (owned by main);
 * everything else it owns. Not thread-safe. */
#ifndef OC_OUTBOX_H
#define OC_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_evbuild.h"
#include "ordercam/oc_evidence.h"
#include "oc_dlog.h"
#include "oc_metrics.h"
#include "oc_spool.h"
#include "oc_uplink.h"

#define OC_OUTBOX_HELD_MAX 100000 /* violations held while the spool cannot be written */
#define OC_OUTBOX_ID_MAX 256

struct oc_outbox_opts {
    const struct oc_dlog *log;
    struct oc_dcounters *dc;
    struct oc_spool *spool;
    const char *spool_dir;    /* violations.jsonl and spool.sqlite live here (copied) */
    const char *evidence_dir; /* NULL: evidence off (copied) */
    int spool_max_mb;
};

struct oc_outbox;

/* Opens violations.jsonl in spool_dir. NULL with errno set. */
struct oc_outbox *oc_outbox_open(const struct oc_outbox_opts *o, const struct oc_config *cfg);
/* fsyncs and closes the file, frees the held records (the journal keeps
 * what it could). NULL is fine. */
void oc_outbox_close(struct oc_outbox *ob);

/* The uplink to wake when records arrive (NULL: none); spool.max_mb after a
 * reload. */
void oc_outbox_set_uplink(struct oc_outbox *ob, struct oc_uplink *up);
void oc_outbox_set_limit(struct oc_outbox *ob, int spool_max_mb);

/* Per camera of the scene: the first seq not yet written. */
uint64_t oc_outbox_next_seq(const struct oc_outbox *ob, int camera);
/* After a reload: next[i] for camera i of the new scene (taken, freed by
 * the outbox). */
void oc_outbox_set_next(struct oc_outbox *ob, uint64_t *next);

enum oc_outbox_result {
    OC_OUTBOX_SPOOLED,    /* in the spool: its evidence may be made */
    OC_OUTBOX_HELD,       /* in memory until the spool is writable again */
    OC_OUTBOX_SUPPRESSED, /* written before a crash; nothing done (counted) */
    OC_OUTBOX_LOST        /* not stored: counted and logged */
};

/* Formats v's record and sends it on. ev_wait: its evidence is being made.
 * id receives the record id (OC_OUTBOX_ID_MAX bytes). */
enum oc_outbox_result oc_outbox_put(struct oc_outbox *ob, const struct oc_config *cfg,
                                    const struct oc_violation *v, int ev_wait, char *id);

/* Writes the held records, oldest first, while the spool takes them. */
void oc_outbox_flush_held(struct oc_outbox *ob);
size_t oc_outbox_held(const struct oc_outbox *ob);

/* Evidence settled: none (NULL job) or the worker's result. */
void oc_outbox_evidence_none(struct oc_outbox *ob, const char *id);
void oc_outbox_evidence_done(struct oc_outbox *ob, const char *id,
                             const struct oc_evidence_job *job, oc_err_t e, int errno_,
                             const struct oc_evbuild_result *res);
/* At start: records the last run left waiting for evidence go without
 * (an image written but not recorded is removed); returns how many. */
uint64_t oc_outbox_settle_waiting(struct oc_outbox *ob, const char *box_id);
/* Evicts the oldest images while the spool is over spool.max_mb. */
void oc_outbox_enforce_limit(struct oc_outbox *ob);
uint64_t oc_outbox_evidence_bytes(const struct oc_outbox *ob);

/* fsync violations.jsonl: a snapshot assumes what it holds. */
void oc_outbox_sync(struct oc_outbox *ob);

#endif
