/* ordercamd's side of snapshots and recovery (engine thread): oc_recover
 * does the files; here the daemon's state follows. A snapshot syncs the
 * outbox and rotates the journal; recovery replays the journal through the
 * adapters as live, lets them learn the restored engine's live tracks,
 * continues the sequences after what the outbox wrote, and takes a fresh
 * snapshot. */
#ifndef OC_DRECOVER_H
#define OC_DRECOVER_H

#include "oc_daemon.h"

/* Saves the engine's snapshot at the applied seq; -1 with errno. */
int oc_drecover_save(struct oc_daemon *d);
/* Recovery at start: d->eng is replaced by the recovered engine. -1
 * logged (out of memory). */
int oc_drecover_start(struct oc_daemon *d);

#endif
