/* The threads ordercamd starts beside the engine thread, and their
 * callbacks: MQTT receive (oc_mqtt) and snapshot URLs (oc_snapurl), both
 * into oc_recv; the uplink (oc_uplink); the metrics listener (oc_metrics,
 * with the live view). The starts run on the engine thread; the callbacks
 * on their threads touch only d->recv, d->mqtt_up, d->log and, for
 * snapshot frames, d->cfg's camera ids (the snapshot thread is stopped
 * while the config is swapped). */
#ifndef OC_DTHREADS_H
#define OC_DTHREADS_H

#include "oc_daemon.h"

/* Connects to the broker with the cameras' topic filters. -1 logged. */
int oc_dthreads_mqtt(struct oc_daemon *d);
/* Polls the cameras that have frames.snapshot_url (none: nothing starts).
 * -1 logged. */
int oc_dthreads_snapurl(struct oc_daemon *d);
/* The uplink to central (no central.url: none, logged). */
void oc_dthreads_uplink(struct oc_daemon *d);
/* The metrics listener and the live view (no metrics.listen: none). -1
 * logged. */
int oc_dthreads_metrics(struct oc_daemon *d);
/* Renders the metrics text and hands it to the listener (none: nothing). */
void oc_dthreads_publish_metrics(struct oc_daemon *d);

#endif
