/* The daemon's other threads and their callbacks: see oc_dthreads.h. */
#include "oc_dthreads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_wire.h"

static void on_mqtt_message(void *ud, unsigned mid, const char *topic, const void *payload,
                            size_t len)
{
    struct oc_daemon *d = ud;
    oc_recv_mqtt(d->recv, mid, topic, strlen(topic), payload, len);
}

/* A snapshot-URL frame (snapshot thread): enters as a frames-topic message,
 * so the journal, --record and replay see it like any MQTT frame. The
 * snapshot thread is stopped while the config is swapped. */
static int on_snap_frame(void *ud, int camera, int64_t ts, const void *jpeg, size_t len)
{
    struct oc_daemon *d = ud;
    return oc_recv_frame(d->recv, d->cfg->cameras[camera].id, ts, jpeg, len);
}

static void on_mqtt_state(void *ud, int up, const char *why)
{
    struct oc_daemon *d = ud;
    atomic_store(&d->mqtt_up, up);
    oc_dlog(&d->log, up ? OC_LOG_NOTICE : OC_LOG_WARNING, "broker %s %s%s%s", d->broker,
            up ? "connected" : "unreachable", up ? "" : ": ", up ? "" : why);
}

static char *read_secret(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char buf[512];
    char *s = fgets(buf, sizeof buf, f) ? strdup(buf) : strdup("");
    fclose(f);
    if (s)
        s[strcspn(s, "\r\n")] = '\0';
    return s;
}

int oc_dthreads_mqtt(struct oc_daemon *d)
{
    const struct oc_mqtt_cfg *m = &d->ecfg->mqtt;
    char *password = NULL;
    if (m->password_file && !(password = read_secret(m->password_file))) {
        LOG(d, ERR, "cannot read %s: %s", m->password_file, strerror(errno));
        return -1;
    }
    oc_recv_set_prefix(d->recv, d->cfg->topic_prefix); /* no thread receives now */
    snprintf(d->broker, sizeof d->broker, "%s:%d", m->host, m->port);
    struct oc_mqtt_opts o = {.host = m->host,
                             .port = m->port,
                             .client_id = m->client_id,
                             .username = m->username,
                             .password = password,
                             .ca_file = m->ca_file,
                             .cert_file = m->cert_file,
                             .key_file = m->key_file,
                             .keepalive_s = m->keepalive_s,
                             .qos = m->qos,
                             .prefix = d->cfg->topic_prefix,
                             .backoff_min_ms = 500,
                             .backoff_max_ms = 30000};
    o.filters = oc_adapt_filters(d->adapt, &o.n_filters); /* the cameras' input formats */
    char err[256];
    d->mqtt = oc_mqtt_start(&o, on_mqtt_message, on_mqtt_state, d, err, sizeof err);
    free(password);
    if (!d->mqtt) {
        LOG(d, ERR, "%s", err);
        return -1;
    }
    return 0;
}

static void snap_log(void *ud, int level, const char *msg)
{
    struct oc_daemon *d = ud;
    oc_dlog(&d->log, (enum oc_log_level)level, "%s", msg);
}

int oc_dthreads_snapurl(struct oc_daemon *d)
{
    size_t n = d->cfg->n_cameras;
    char **pw = calloc(n ? n : 1, sizeof *pw);
    char err[256];
    int rc = pw ? 0 : -1;
    for (size_t i = 0; pw && i < n && rc == 0; i++) {
        const char *file = d->ecfg->snap[i].password_file;
        if (d->ecfg->snap[i].url && file && !(pw[i] = read_secret(file))) {
            LOG(d, ERR, "camera %s: cannot read frames.password_file %s: %s", d->cfg->cameras[i].id,
                file, strerror(errno));
            rc = -1;
        }
    }
    if (rc == 0) {
        d->snap = oc_snapurl_start(d->ecfg, (const char *const *)pw, on_snap_frame, snap_log, d,
                                   err, sizeof err);
        if (!d->snap && err[0]) {
            LOG(d, ERR, "%s", err);
            rc = -1;
        }
    }
    for (size_t i = 0; pw && i < n; i++)
        free(pw[i]);
    free(pw);
    return rc;
}

static void uplink_log(void *ud, int level, const char *msg)
{
    struct oc_daemon *d = ud;
    oc_dlog(&d->log, (enum oc_log_level)level, "%s", msg);
}

/* The cameras' places, sent with every tally upload. */
static char *cameras_json(const struct oc_config *cfg)
{
    struct oc_wire_camera *cams = calloc(cfg->n_cameras + 1, sizeof *cams);
    for (size_t c = 0; cams && c < cfg->n_cameras; c++)
        cams[c] = (struct oc_wire_camera){cfg->cameras[c].id, cfg->cameras[c].location,
                                          cfg->cameras[c].road, cfg->cameras[c].unit};
    char *s = cams ? oc_wire_cameras_json(cams, cfg->n_cameras) : NULL;
    free(cams);
    return s;
}

void oc_dthreads_uplink(struct oc_daemon *d)
{
    const struct oc_central_cfg *c = &d->ecfg->central;
    if (!c->url) {
        LOG(d, NOTICE, "no central.url: violations stay in the spool");
        return;
    }
    char *cams = cameras_json(d->cfg);
    struct oc_uplink_opts o = {.url = c->url,
                               .token_file = c->token_file,
                               .ca_file = c->ca_file,
                               .cert_file = c->cert_file,
                               .key_file = c->key_file,
                               .insecure_skip_verify = c->insecure_skip_verify,
                               .push_interval_s = c->push_interval_s,
                               .box_id = d->cfg->box_id,
                               .version = OC_VERSION,
                               .spool_dir = d->ecfg->spool_dir,
                               .evidence_dir = d->evwork ? d->evidence_dir : NULL,
                               .cameras_json = cams,
                               .log = uplink_log,
                               .ud = d};
    d->uplink = oc_uplink_start(&o);
    free(cams);
    oc_outbox_set_uplink(d->outbox, d->uplink);
}

static int healthy(void *ud)
{
    struct oc_daemon *d = ud;
    return atomic_load(&d->mqtt_up) > 0;
}

void oc_dthreads_publish_metrics(struct oc_daemon *d)
{
    if (!d->metrics)
        return;
    struct oc_metrics_src s = {.cfg = d->cfg,
                               .eng = d->eng,
                               .by_type = d->by_type,
                               .dc = &d->dc,
                               .rxq = d->rxq,
                               .keeper = d->keeper,
                               .evwork = d->evwork,
                               .uplink = d->uplink,
                               .spool = d->spool,
                               .listener = d->metrics,
                               .snap = d->snap,
                               .adapt = d->adapt,
                               .held = oc_outbox_held(d->outbox),
                               .evidence_bytes = oc_outbox_evidence_bytes(d->outbox),
                               .mqtt_up = atomic_load(&d->mqtt_up) > 0,
                               .mqtt_failures = d->mqtt ? oc_mqtt_failures(d->mqtt) : 0,
                               .applied = d->applied,
                               .last_apply = d->last_apply};
    size_t len = 0;
    char *text = oc_metrics_render(&s, &len);
    if (text)
        oc_metrics_publish(d->metrics, text, len);
}

int oc_dthreads_metrics(struct oc_daemon *d)
{
    if (!d->ecfg->metrics_listen)
        return 0;
    char err[256];
    d->metrics = oc_metrics_start(d->ecfg->metrics_listen, healthy, d, err, sizeof err);
    if (!d->metrics) {
        LOG(d, ERR, "%s", err);
        return -1;
    }
    struct oc_live_opts lo = {d->config_path, d->ecfg->metrics_admin_token};
    if (!(d->live = oc_live_attach(d->metrics, d->cfg, &lo, d->ecfg->metrics_token)))
        return -1;
    oc_dthreads_publish_metrics(d);
    return 0;
}
