/* ordercamd's config: the one file of docs/config.md, read once. The scene
 * comes from core (oc_config_read), the evidence settings from oc_evcfg;
 * this layer reads the daemon's own sections: mqtt (but topic_prefix,
 * which is routing and core's), central, spool, metrics, the receive
 * queue's limits.rx_queue_* and each camera's "frames" (snapshot polling). ordercam-replay reads
 * its config here too, so that it refuses exactly what ordercamd --check refuses.
 *
 * Read-only after loading; everything in it (the scene included) is owned
 * by the struct and freed by oc_ecfg_free. */
#ifndef OC_ECFG_H
#define OC_ECFG_H

#include <stdbool.h>
#include <stddef.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_evcfg.h"

struct oc_mqtt_cfg {
    char *host;
    int port;
    int qos;
    char *client_id, *username, *password_file;
    char *ca_file, *cert_file, *key_file; /* tls; NULL = plain TCP */
    int keepalive_s;
};

struct oc_central_cfg {
    char *url, *token_file, *ca_file, *cert_file, *key_file;
    int push_interval_s;
    bool insecure_skip_verify;
};

/* cameras[].frames: ordercamd polls the camera for JPEG frames while it
 * has live tracks (docs/daemon.md). */
enum oc_snap_auth { OC_SNAP_AUTH_ANY, OC_SNAP_AUTH_BASIC, OC_SNAP_AUTH_DIGEST };

struct oc_snapshot_cfg {
    char *url;                                /* http(s)://...; NULL: no snapshot polling */
    char *username, *password_file, *ca_file; /* NULL when not configured */
    enum oc_snap_auth auth;
    double fps;     /* polls per second while tracks live */
    int timeout_ms; /* whole request */
    int latency_ms; /* how late the camera's detections reach the box */
    bool insecure_skip_verify;
};

struct oc_ecfg {
    struct oc_config *scene;
    struct oc_evidence_cfg evidence;
    struct oc_mqtt_cfg mqtt;
    struct oc_central_cfg central;
    char *spool_dir; /* default /var/lib/ordercam */
    int spool_max_mb;
    int snapshot_s;            /* how often the daemon saves the engine state */
    char *metrics_listen;      /* HOST:PORT of the Prometheus endpoint; NULL: off */
    char *metrics_token;       /* needed by every request but /health; NULL: none */
    char *metrics_admin_token; /* lets the live view's editor write the file; NULL: off */
    size_t rx_queue_msgs, rx_queue_bytes;
    struct oc_snapshot_cfg *snap; /* scene->n_cameras entries, in scene->cameras' order */
};

/* Loads and validates the whole file at path. On failure returns NULL and
 * writes "FILE: $.json.path: problem" into err (errlen bytes). The caller
 * frees the result with oc_ecfg_free(). */
struct oc_ecfg *oc_ecfg_load(const char *path, char *err, size_t errlen);

/* As oc_ecfg_load, from text[0..len); name is used in messages. */
struct oc_ecfg *oc_ecfg_parse(const char *text, size_t len, const char *name, char *err,
                              size_t errlen);

void oc_ecfg_free(struct oc_ecfg *cfg);

#endif
