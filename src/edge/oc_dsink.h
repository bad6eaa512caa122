/* Where the engine's outputs go in ordercamd (engine thread): a violation
 * to the outbox and, with evidence on, to the keeper (oc_evidence), which
 * gathers its frames and hands a job to the worker thread (oc_evwork);
 * finished images come back to the outbox. Frames go to the keeper and the
 * live view. */
#ifndef OC_DSINK_H
#define OC_DSINK_H

#include "oc_daemon.h"

/* The engine's sink: ud is the struct oc_daemon. */
extern const struct oc_engine_sink oc_dsink_engine;

/* The evidence folder: evidence.dir, else <spool.dir>/evidence, made;
 * -1 logged. */
int oc_dsink_evidence_dir(struct oc_daemon *d);
/* Starts the worker and the keeper; records a last run left waiting go
 * without evidence. -1 logged. */
int oc_dsink_start_evidence(struct oc_daemon *d);
/* A keeper for the current scene (evidence on; NULL logged when out of
 * memory: violations go without). */
void oc_dsink_start_keeper(struct oc_daemon *d);
/* Takes the worker's finished images into the outbox. */
void oc_dsink_collect_evidence(struct oc_daemon *d);
/* Logs when the worker pauses on a full disk or resumes. */
void oc_dsink_note_pause(struct oc_daemon *d);

#endif
