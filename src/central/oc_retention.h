/* Retention (docs/central.md, "Retention"): images of records older than
 * retention.evidence_days are deleted (the record keeps its digest and
 * says its image expired), records older than retention.records_days are
 * deleted (tallies stay). One pass; the caller runs it daily, counts and
 * audits. */
#ifndef OC_RETENTION_H
#define OC_RETENTION_H

#include <stdint.h>

#include "oc_store.h"

#define OC_RETENTION_BATCH 1000 /* rows per store call */

struct oc_retention_result {
    int64_t images_deleted;  /* files unlinked */
    int64_t images_expired;  /* records whose image was taken away */
    int64_t publics_deleted; /* public variants' files unlinked (docs/evidence.md) */
    int64_t bytes_freed;
    int64_t records_deleted;
    int errors; /* store calls or unlinks that failed (the pass stops at a store failure) */
};

/* One pass at now_ms. days 0: that part is off. Images of records about
 * to be deleted go too, and every public variant with its record's image. A file that a newer
 * record still holds (the same image twice) stays. */
void oc_retention_pass(struct oc_store *s, int64_t now_ms, int evidence_days, int records_days,
                       struct oc_retention_result *out);

/* Bytes of the regular files under dir (the evidence), for the health
 * view; -1 when dir cannot be read. */
int64_t oc_retention_disk_use(const char *dir);

#endif
