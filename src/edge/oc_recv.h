/* ordercamd's receive side (docs/daemon.md, "Threads and queues"): a
 * message from the MQTT thread or a frame from the snapshot-URL thread is
 * journaled, queued for the engine thread and written to the --record file,
 * in one order under one lock, with one receive time: the journal's order
 * is the order the engine applies, and the recording holds each message
 * once, at the time the engine (and its adapters) will be given, so
 * ordercam-replay of the recording decides as the live run did.
 *
 * Every message, in any input format, takes this path; foreign formats are
 * decoded later, on the engine thread (oc_adapt). The receive side never
 * blocks on the engine: a full queue refuses the message (OC_D_RX_FULL). */
#ifndef OC_RECV_H
#define OC_RECV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oc_journal.h"
#include "oc_metrics.h"
#include "oc_recfile.h"
#include "oc_rxq.h"

/* Borrowed: everything must outlive the receiver. record NULL: none. */
struct oc_recv_opts {
    struct oc_journal *journal;
    struct oc_rxq *rxq;
    size_t max_msgs, max_bytes; /* the queue's limits, checked before journaling */
    struct oc_recfile *record;
    struct oc_dcounters *dc;
};

struct oc_recv;

/* NULL when out of memory. */
struct oc_recv *oc_recv_new(const struct oc_recv_opts *o);
void oc_recv_free(struct oc_recv *r);

/* ordercam's topic prefix (copied; its frames topics are journaled without
 * their bytes). Only while no thread receives (start, reload). */
void oc_recv_set_prefix(struct oc_recv *r, const char *prefix);

/* One message (any thread; topic and payload borrowed). 0 queued, -1
 * refused because the queue is full (counted). */
int oc_recv_message(struct oc_recv *r, const char *topic, size_t tlen, const void *payload,
                    size_t len);

/* The same for an MQTT message with its packet id (0 when it has none,
 * QoS 0): a message the broker sends again with the packet id, topic and
 * payload of the last one journaled under that id is the redelivery of a
 * message received before a crash (oc_journal_mqtt): it is dropped and
 * counted (OC_D_REDELIVERED) and 0 is returned. */
int oc_recv_mqtt(struct oc_recv *r, unsigned mid, const char *topic, size_t tlen,
                 const void *payload, size_t len);

/* A snapshot-URL frame of a camera: enters as <prefix>cameras/<id>/frames/<ts>,
 * like any MQTT frame. 0 or -1 as oc_recv_message. */
int oc_recv_frame(struct oc_recv *r, const char *camera, int64_t ts, const void *jpeg, size_t len);

/* The engine thread wants to move a silent camera's clock: allowed only
 * while nothing received waits in the queue, and then written to the
 * record file at once, under the lock, so that the recording has the tick
 * exactly where the engine applies it (after every message recorded so
 * far, before any later one): replay of the recording decides alike.
 * Returns false (the tick is to be tried later) while messages wait;
 * *rx_ms is the tick's receive time. */
bool oc_recv_tick(struct oc_recv *r, const char *camera, int64_t camera_ts, int64_t *rx_ms);

/* The wall clock (ms since 1970) that receive times are taken from. */
int64_t oc_recv_now(void);

#endif
