/* ordercamd's state: one struct oc_daemon, owned by main.c (made in main,
 * filled by start, freed by stop), and worked on by the files that split
 * the daemon by concern, each with its prefix:
 *   oc_dfeed     a received message through the input formats to the engine
 *   oc_dtick     camera clocks between messages (ticks, silent cameras)
 *   oc_dsink     the engine's outputs: outbox, evidence keeper and worker
 *   oc_drecover  snapshots and recovery at start, on the engine's side
 *   oc_dthreads  the other threads: MQTT, snapshot URLs, uplink, metrics
 *   oc_dreload   SIGHUP: a new config swapped in
 * All of them run on the engine thread, except the callbacks oc_dthreads
 * hands to the MQTT, snapshot-URL, uplink and metrics threads (each says
 * what it touches). Every pointer in the struct is owned by it unless
 * marked. */
#ifndef OC_DAEMON_H
#define OC_DAEMON_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ordercam/oc_adapt.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_evidence.h"
#include "oc_dlog.h"
#include "oc_ecfg.h"
#include "oc_evwork.h"
#include "oc_journal.h"
#include "oc_live.h"
#include "oc_metrics.h"
#include "oc_mqtt.h"
#include "oc_outbox.h"
#include "oc_recfile.h"
#include "oc_recv.h"
#include "oc_rxq.h"
#include "oc_snapurl.h"
#include "oc_spool.h"
#include "oc_uplink.h"

#ifndef OC_VERSION
#define OC_VERSION "0.0.0"
#endif

struct oc_daemon {
    const char *config_path, *record_path; /* borrowed from argv */
    struct oc_dlog log;
    struct oc_ecfg *ecfg;
    const struct oc_config *cfg; /* the scene: ecfg->scene */
    uint64_t cfg_hash;
    struct oc_engine *eng;
    struct oc_engine_sink sink;
    struct oc_journal *journal;
    struct oc_rxq *rxq;
    size_t rx_max_msgs, rx_max_bytes; /* fixed at start, read by the MQTT thread */
    char broker[300];                 /* "host:port", for the MQTT thread's log lines */
    struct oc_evidence *keeper;       /* NULL: evidence disabled */
    struct oc_evwork *evwork;
    char *evidence_dir;
    int ev_paused; /* last seen worker state, logged on change */
    struct oc_mqtt *mqtt;
    struct oc_snapurl *snap; /* NULL: no camera has frames.snapshot_url */
    struct oc_recv *recv;    /* the MQTT and snapshot threads' way in */
    struct oc_adapt *adapt;  /* input formats: every message goes through it */
    int native_cam;          /* camera of the last native message */
    struct oc_spool *spool;
    struct oc_outbox *outbox;
    struct oc_uplink *uplink;
    struct oc_metrics *metrics;
    struct oc_live *live;                /* the installer's live view, with the metrics listener */
    struct oc_recfile *record;           /* --record; NULL: none */
    uint64_t *by_type;                   /* violations written per type */
    int64_t *anchor_wall, *anchor_clock; /* per camera, for ticks */
    uint64_t applied;                    /* last journal seq applied to the engine */
    uint64_t applied_at_snapshot;
    double last_apply; /* wall time of the last message applied, in seconds */
    struct oc_dcounters dc;
    atomic_int mqtt_up;
    uint64_t last_drops[OC_C__COUNT];
};

#define LOG(d, level, ...) oc_dlog(&(d)->log, OC_LOG_##level, __VA_ARGS__)

/* Wall time in ms, as the receive path stamps messages. */
static inline int64_t oc_daemon_wall_ms(void)
{
    return oc_recv_now();
}

/* Monotonic time in ms, for intervals and the tick anchors. */
static inline int64_t oc_daemon_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The arrays sized by a scene (cameras, violation types), made before a
 * start or a reload commits to the scene. */
struct oc_daemon_arrays {
    uint64_t *next, *by_type;
    int64_t *aw, *ac;
};

/* 0, or -1 when out of memory (free what was made with _free). */
int oc_daemon_arrays_new(struct oc_daemon_arrays *a, const struct oc_config *cfg);
void oc_daemon_arrays_free(struct oc_daemon_arrays *a);

#endif
