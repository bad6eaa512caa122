/* ordercamd's way in on the engine thread: a message from the receive
 * queue goes through the input-format dispatcher (oc_adapt) and its outputs
 * are fed to the engine exactly as ordercam-replay feeds them; the clock
 * anchors, snapshot-URL polling and the live view follow each message. */
#ifndef OC_DFEED_H
#define OC_DFEED_H

#include "oc_daemon.h"

/* The dispatcher's sink: ud is the struct oc_daemon. */
extern const struct oc_adapt_sink oc_dfeed_adapt_sink;

/* Applies one received message. seq: its journal sequence (0: none);
 * rx_ms: the receive time as journaled, so that the adapters and the clock
 * bounds decide alike live, after a restart and in a replay of the record
 * file. payload NULL: a frame journaled without its bytes. */
void oc_dfeed_apply(struct oc_daemon *d, uint64_t seq, int64_t rx_ms, const char *topic,
                    size_t tlen, const char *payload, size_t len);

#endif
