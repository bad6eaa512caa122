/* Recovery: the engine's state survives a crash as a snapshot
 * (<spool>/snapshot.bin: magic, the last journal seq it includes, the
 * config's digest, oc_engine_save's state) plus the journal of messages
 * received after it (oc_journal). On start the snapshot is loaded if it
 * was made by this build for this config file, and the journal after it
 * is replayed through the engine, each message with its journaled receive
 * time (frames journaled without their bytes are fed as unloaded); new
 * messages are numbered after the snapshot's last applied one. A snapshot of another config cannot
 * be used: the engine starts fresh and that journal is set aside. */
#ifndef OC_RECOVER_H
#define OC_RECOVER_H

#include <stdint.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "oc_journal.h"

#define OC_RECOVER_MAGIC "OCDSNAP1"

/* FNV-1a 64 over the whole config file (0 when unreadable): a snapshot is
 * used only with the file it was made with, byte for byte. */
uint64_t oc_recover_digest(const char *config_path);

/* Writes the snapshot atomically (temp file, fsync, rename, fsync of the
 * folder). 0, or -1 with errno set. */
int oc_recover_save(const char *spool_dir, const struct oc_engine *eng, uint64_t applied,
                    uint64_t digest);

enum oc_recover_how {
    OC_RECOVER_FROM_SNAPSHOT, /* loaded, then the journal after it */
    OC_RECOVER_NO_SNAPSHOT,   /* none: the whole journal */
    OC_RECOVER_STALE          /* another config's or build's: fresh, journal set aside */
};

struct oc_recover_in {
    const char *spool_dir;
    int64_t now_ms; /* the wall clock: a restored clock beyond it + max_future goes */
    struct oc_journal *journal;
    uint64_t digest;
    const struct oc_config *cfg; /* the scene; also for a fresh engine */
    const struct oc_engine_sink *sink;
    void *sink_ud;
    /* Optional: applies one journaled message instead of feeding the engine
     * directly (ordercamd: through the input-format dispatcher, as live);
     * payload NULL for a frame journaled without its bytes. It must feed
     * the engine *eng points to. */
    void (*apply)(void *ud, int64_t rx_ms, const char *topic, size_t tlen, const void *payload,
                  size_t len);
    void *apply_ud;
    /* Optional: called with apply_ud once the snapshot is loaded, before
     * the journal after it is replayed. */
    void (*loaded)(void *ud);
};

struct oc_recover_result {
    enum oc_recover_how how;
    uint64_t applied;   /* the last journal seq the engine now includes */
    uint64_t msgs, bad; /* journal messages replayed, damaged lines skipped */
};

/* *eng is a fresh engine of in->cfg; when the snapshot cannot be used it
 * is replaced by another fresh one (the old one freed). 0, or -1 when out
 * of memory (*eng is then NULL). */
int oc_recover_run(const struct oc_recover_in *in, struct oc_engine **eng,
                   struct oc_recover_result *out);

#endif
