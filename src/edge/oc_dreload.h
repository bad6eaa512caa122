/* SIGHUP in ordercamd (engine thread): the config is read again; a bad
 * file keeps the running one (logged). A good one gets a new engine and
 * adapters (the old ones finish first: what they hold is passed on and
 * their tracks end), sequences continuing per camera id, a new keeper, the
 * MQTT connection again only when its settings or topic filters changed,
 * the snapshot-URL thread and the uplink again, and a snapshot. */
#ifndef OC_DRELOAD_H
#define OC_DRELOAD_H

#include "oc_daemon.h"

void oc_dreload(struct oc_daemon *d);

#endif
