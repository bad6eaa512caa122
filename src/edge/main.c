/* ordercamd: the edge daemon (docs/daemon.md). main owns every piece of
 * state and wires the modules together; three threads meet only through
 * bounded, counted structures:
 *   MQTT thread     receive → journal append → rx queue (full: drop, counted)
 *                   → record file (oc_recv; the snapshot-URL thread too)
 *   engine thread   rx queue → input-format dispatcher (oc_adapt) → engine →
 *                   outbox (spool, violations.jsonl, evidence), frame ring;
 *                   ticks for silent cameras; snapshots (oc_recover); metrics
 *                   text
 *   metrics thread  (oc_metrics) serves the last metrics text
 * plus the uplink and the evidence worker, each on its own thread. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <curl/curl.h>
#include <mosquitto.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ordercam/oc_adapt.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_evidence.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_text.h"
#include "ordercam/oc_wire.h"
#include "oc_dlog.h"
#include "oc_boxkey.h"
#include "oc_ecfg.h"
#include "oc_evwork.h"
#include "oc_journal.h"
#include "oc_live.h"
#include "oc_metrics.h"
#include "oc_mqtt.h"
#include "oc_outbox.h"
#include "oc_recfile.h"
#include "oc_recover.h"
#include "oc_recv.h"
#include "oc_rxq.h"
#include "oc_snapurl.h"
#include "oc_spool.h"
#include "oc_uplink.h"

#ifndef OC_VERSION
#define OC_VERSION "0.0.0"
#endif

#define SILENT_MS 2000             /* a camera quiet this long has its clock advanced */
#define EV_QUEUE_JOBS 64           /* evidence jobs waiting for the worker */
#define EV_QUEUE_BYTES (64u << 20) /* and the frames they hold */
#define EXIT_USAGE 2

/* Set by signal handlers; read by the engine thread. */
static volatile sig_atomic_t got_term, got_hup;

struct daemon {
    const char *config_path, *record_path;
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

static int64_t wall_ms(void)
{
    return oc_recv_now();
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define LOG(d, level, ...) oc_dlog(&(d)->log, OC_LOG_##level, __VA_ARGS__)

/* ---------------- evidence: keeper → worker → outbox ---------------- */

/* The keeper gathered a violation's frames (engine thread). */
static void on_evidence_ready(void *ud, void *tag, struct oc_evidence_job *job)
{
    struct daemon *d = ud;
    char *id = tag;
    if (job && oc_evwork_submit(d->evwork, job, id) == OC_OK) {
        free(id);
        return;
    }
    oc_dcount(&d->dc, job ? OC_D_EV_QUEUE_FULL : OC_D_EV_NO_FRAME, 1);
    oc_evidence_job_free(job);
    oc_outbox_evidence_none(d->outbox, id);
    free(id);
}

/* The worker finished an image (engine thread): the record names it. */
static void on_evidence_done(void *ud, const char *id, const struct oc_evidence_job *job,
                             oc_err_t e, int errno_, const struct oc_evbuild_result *res)
{
    struct daemon *d = ud;
    oc_outbox_evidence_done(d->outbox, id, job, e, errno_, res);
}

static void collect_evidence(struct daemon *d)
{
    if (d->evwork && oc_evwork_collect(d->evwork, on_evidence_done, d) > 0)
        oc_uplink_poke(d->uplink);
}

static void note_evidence_pause(struct daemon *d)
{
    struct oc_evwork_stats ws;
    oc_evwork_stats(d->evwork, &ws);
    if (ws.paused != d->ev_paused)
        oc_dlog(&d->log, ws.paused ? OC_LOG_ERR : OC_LOG_NOTICE,
                ws.paused ? "evidence paused: the disk is full (%s); counting goes on"
                          : "evidence resumed: %s has room again",
                d->evidence_dir);
    d->ev_paused = ws.paused;
}

static void start_keeper(struct daemon *d)
{
    if (!d->ecfg->evidence.enabled)
        return;
    d->keeper = oc_evidence_new(d->cfg, &d->ecfg->evidence, on_evidence_ready, d);
    if (!d->keeper)
        LOG(d, ERR, "evidence: out of memory; violations are recorded without");
}

/* The worker's folder: evidence.dir, else <spool.dir>/evidence. */
static int make_evidence_dir(struct daemon *d)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/evidence", d->ecfg->spool_dir);
    const char *ed = d->ecfg->evidence.dir;
    d->evidence_dir = strdup(ed ? ed : dir);
    if (!d->evidence_dir || oc_io_mkdir_p(d->evidence_dir) != 0) {
        LOG(d, ERR, "cannot create %s: %s", d->evidence_dir ? d->evidence_dir : dir,
            strerror(errno));
        return -1;
    }
    return 0;
}

/* The worker and the keeper; records left waiting by the last run lost
 * their frames with it and go without evidence. */
static int start_evidence_worker(struct daemon *d)
{
    const struct oc_evidence_cfg *ec = &d->ecfg->evidence;
    char err[512];
    d->evwork = oc_evwork_start(d->evidence_dir, ec->font, ec->quality, (size_t)ec->workers,
                                EV_QUEUE_JOBS, EV_QUEUE_BYTES, err, sizeof err);
    if (!d->evwork) {
        LOG(d, ERR, "evidence: %s (or set evidence.enabled false)", err);
        return -1;
    }
    oc_outbox_settle_waiting(d->outbox, d->cfg->box_id);
    start_keeper(d);
    return 0;
}

/* ---------------- engine sinks ---------------- */

static void on_violation(void *ud, const struct oc_violation *v)
{
    struct daemon *d = ud;
    char id[OC_OUTBOX_ID_MAX];
    int want_ev = d->keeper != NULL; /* a keeper exists only with its worker */
    enum oc_outbox_result r = oc_outbox_put(d->outbox, d->cfg, v, want_ev, id);
    if (r == OC_OUTBOX_SUPPRESSED)
        return;
    char *tag = want_ev && r == OC_OUTBOX_SPOOLED ? strdup(id) : NULL;
    if (tag)
        oc_evidence_violation(d->keeper, v, tag);
    else if (want_ev)
        oc_dcount(&d->dc, OC_D_EV_SPOOL_HELD, 1);
    d->by_type[v->vtype]++;
    oc_live_note_violation(d->live, v);
    LOG(d, INFO, "violation %s %s", id, v->type);
}

static void on_frame(void *ud, int camera, int64_t ts, const void *data, size_t len, int is_b64)
{
    struct daemon *d = ud;
    if (!d->keeper && !d->live)
        return;
    unsigned char *bytes = NULL;
    if (is_b64) {
        bytes = malloc(oc_text_b64_max(len) + 1);
        size_t n = 0;
        if (!bytes || oc_text_b64_decode(data, len, bytes, &n) != OC_OK) {
            free(bytes);
            oc_dcount(&d->dc, OC_D_NOT_JPEG, 1);
            return;
        }
        data = bytes;
        len = n;
    }
    int jpeg = oc_event_is_jpeg(data, len);
    if (!jpeg)
        oc_dcount(&d->dc, OC_D_NOT_JPEG, 1);
    if (jpeg)
        oc_live_note_frame(d->live, camera, ts, data, len);
    if (jpeg && d->keeper)
        oc_evidence_frame(d->keeper, camera, ts, data, len);
    free(bytes);
}

static void on_detections(void *ud, int camera, const struct oc_detections *det)
{
    struct daemon *d = ud;
    if (d->keeper)
        oc_evidence_boxes(d->keeper, camera, det);
}

static void on_keep(void *ud, int camera, int64_t ts, int64_t until)
{
    struct daemon *d = ud;
    if (d->keeper)
        oc_evidence_keep(d->keeper, camera, ts, until);
}

/* ---------------- applying messages and ticks ---------------- */

static void note_clock(struct daemon *d, int cam)
{
    int64_t clock;
    if (cam >= 0 && oc_engine_clock(d->eng, cam, &clock) && clock != d->anchor_clock[cam]) {
        d->anchor_clock[cam] = clock;
        d->anchor_wall[cam] = mono_ms();
        if (d->keeper)
            oc_evidence_clock(d->keeper, cam, clock);
    }
}

/* Whether the camera a topic names has a clock (*clock) before the message
 * is applied; *is_frame for a frames topic. */
static int cam_clock(struct daemon *d, const char *topic, size_t tlen, int64_t *clock,
                     int *is_frame)
{
    struct oc_topic t;
    enum oc_counter why;
    *is_frame = 0;
    if (!d->snap || !oc_event_topic(d->cfg, topic, tlen, &t, &why) || t.kind == OC_MSG_SIGNAL)
        return 0;
    *is_frame = t.kind == OC_MSG_FRAME;
    return oc_engine_clock(d->eng, t.camera, clock);
}

/* Snapshot polling follows the engine: a camera is polled while it has live
 * tracks, and a detection that moved its clock anchors the mapping of box
 * time to camera time (never a frame: snapshot frames are themselves mapped
 * through the anchor). */
static void note_snap(struct daemon *d, int cam, int had, int64_t before, int is_frame)
{
    int64_t clock;
    if (!d->snap || cam < 0)
        return;
    if (!is_frame && oc_engine_clock(d->eng, cam, &clock) && (!had || clock > before))
        oc_snapurl_anchor(d->snap, cam, clock, mono_ms());
    oc_snapurl_live(d->snap, cam, oc_engine_camera_tracks(d->eng, cam) > 0);
}

/* ---- the input formats' dispatcher (docs/inputs.md): its outputs are fed
 * to the engine exactly as ordercam-replay feeds them ---- */

static void ad_native(void *ud, const char *topic, size_t tlen, const void *payload, size_t len,
                      const cJSON *json)
{
    struct daemon *d = ud;
    int64_t before = 0;
    int is_frame, had = cam_clock(d, topic, tlen, &before, &is_frame);
    if (json)
        d->native_cam = oc_engine_feed_json_topic(d->eng, topic, tlen, json);
    else if (payload)
        d->native_cam = oc_engine_feed(d->eng, topic, tlen, payload, len);
    else /* a frame journaled without its bytes */
        d->native_cam = oc_engine_feed_unloaded(d->eng, topic, tlen);
    note_snap(d, d->native_cam, had, before, is_frame);
}

static void ad_detections(void *ud, int cam, const struct oc_detections *det)
{
    struct daemon *d = ud;
    int64_t before = 0;
    int had = d->snap ? oc_engine_clock(d->eng, cam, &before) : 0;
    oc_engine_feed_detections(d->eng, cam, det);
    note_snap(d, cam, had, before, 0);
}

static void ad_frame(void *ud, int cam, int64_t ts, const void *jpeg, size_t len)
{
    struct daemon *d = ud;
    oc_engine_feed_camera_frame(d->eng, cam, ts, jpeg, len);
}

static void ad_end(void *ud, int cam, const char *id, int64_t ts)
{
    struct daemon *d = ud;
    oc_engine_end_track(d->eng, cam, id, ts);
    if (d->snap) /* its tracks may have ended */
        oc_snapurl_live(d->snap, cam, oc_engine_camera_tracks(d->eng, cam) > 0);
}

static void ad_drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    struct daemon *d = ud;
    (void)cam, (void)f; /* counted per format by the dispatcher (metrics) */
    oc_engine_count(d->eng, why);
}

static const struct oc_adapt_sink adapt_sink = {.native = ad_native,
                                                .detections = ad_detections,
                                                .frame = ad_frame,
                                                .end = ad_end,
                                                .drop = ad_drop};

/* Every camera's clock may have moved (an adapter passes held frames on
 * when time passes): the tick anchors and the evidence keeper follow. */
static void note_clocks(struct daemon *d)
{
    for (size_t c = 0; c < d->cfg->n_cameras; c++)
        note_clock(d, (int)c);
}

/* rx_ms is the receive time as journaled: the adapters and the clock
 * bounds then decide alike live, after a restart and in a replay of the
 * record file. payload NULL: a frame journaled without its bytes. */
static void apply(struct daemon *d, uint64_t seq, int64_t rx_ms, const char *topic, size_t tlen,
                  const char *payload, size_t len)
{
    oc_engine_set_received(d->eng, rx_ms);
    d->native_cam = -1;
    oc_adapt_tick(d->adapt, rx_ms);
    int cam = oc_adapt_feed(d->adapt, topic, tlen, payload, len, rx_ms);
    if (cam == -2) /* ordercam's own topic: the engine said */
        cam = d->native_cam;
    d->last_apply = (double)wall_ms() / 1000.0;
    if (seq)
        d->applied = seq;
    note_clocks(d);
    oc_live_note_message(d->live, d->eng, cam, rx_ms);
}

static void tick(struct daemon *d, int cam, int64_t camera_ts, int journal)
{
    int64_t now;
    if (!oc_recv_tick(d->recv, d->cfg->cameras[cam].id, camera_ts, &now))
        return;                   /* messages wait: they go first, the tick comes again */
    oc_adapt_tick(d->adapt, now); /* as replay does before a tick line of this ts */
    note_clocks(d);
    oc_engine_tick(d->eng, cam, camera_ts);
    if (d->snap) /* tracks may have ended */
        oc_snapurl_live(d->snap, cam, oc_engine_camera_tracks(d->eng, cam) > 0);
    if (d->keeper)
        oc_evidence_clock(d->keeper, cam, camera_ts);
    if (journal)
        oc_journal_tick(d->journal, now, d->cfg->cameras[cam].id, camera_ts, d->applied);
}

/* Silent cameras: the clock follows wall time, SILENT_MS behind, so that
 * tracks end and dwell timers fire, but a message merely late still
 * arrives before its time is judged. */
static void tick_silent(struct daemon *d)
{
    int64_t now = mono_ms();
    for (size_t c = 0; c < d->cfg->n_cameras; c++) {
        int64_t clock;
        if (!oc_engine_clock(d->eng, (int)c, &clock) || now - d->anchor_wall[c] < 2 * SILENT_MS)
            continue;
        int64_t target = d->anchor_clock[c] + (now - d->anchor_wall[c]) - SILENT_MS;
        if (target > clock)
            tick(d, (int)c, target, 1);
    }
}

/* ---------------- snapshots and recovery ---------------- */

static int save_snapshot(struct daemon *d)
{
    if (oc_recover_save(d->ecfg->spool_dir, d->eng, d->applied, d->cfg_hash) != 0)
        return -1;
    /* the violations written so far are part of what the snapshot assumes */
    oc_outbox_sync(d->outbox);
    d->applied_at_snapshot = d->applied;
    oc_journal_rotate(d->journal, d->applied);
    return 0;
}

/* Engine sequences continue after what the outbox has written. */
static void sync_seqs(struct daemon *d)
{
    for (size_t c = 0; c < d->cfg->n_cameras; c++) {
        uint64_t next = oc_outbox_next_seq(d->outbox, (int)c);
        if (oc_engine_next_seq(d->eng, (int)c) < next)
            oc_engine_set_seq(d->eng, (int)c, next);
    }
}

static void known_track(void *ud, const struct oc_engine_track *t)
{
    struct daemon *d = ud;
    oc_adapt_known(d->adapt, d->native_cam, t->id, t->cls, t->box, t->last_ts);
}

/* The engine came back from its snapshot, the adapters start empty: what
 * they keep between messages (Frigate's still objects) is learnt from the
 * engine's live tracks, as if they had run through. */
static void adapters_learn(void *ud)
{
    struct daemon *d = ud;
    for (size_t c = 0; c < d->cfg->n_cameras; c++) {
        if (d->cfg->cameras[c].format == OC_FORMAT_ORDERCAM)
            continue;
        d->native_cam = (int)c;
        oc_engine_each_track(d->eng, (int)c, known_track, d);
    }
    d->native_cam = -1;
}

/* A journaled message, applied as when it was received. */
static void recover_apply(void *ud, int64_t rx_ms, const char *topic, size_t tlen,
                          const void *payload, size_t len)
{
    struct daemon *d = ud;
    /* through the adapters as live; the clocks are noted once recovery ends */
    oc_adapt_tick(d->adapt, rx_ms);
    oc_adapt_feed(d->adapt, topic, tlen, payload, len, rx_ms);
}

static int recover(struct daemon *d)
{
    struct oc_recover_in in = {.now_ms = wall_ms(),
                               .spool_dir = d->ecfg->spool_dir,
                               .journal = d->journal,
                               .digest = d->cfg_hash,
                               .cfg = d->cfg,
                               .sink = &d->sink,
                               .sink_ud = d,
                               .apply = recover_apply,
                               .apply_ud = d};
    struct oc_recover_result r;
    in.loaded = adapters_learn;
    if (oc_recover_run(&in, &d->eng, &r) != 0) {
        LOG(d, ERR, "recovery: out of memory");
        return -1;
    }
    d->applied = d->applied_at_snapshot = r.applied;
    sync_seqs(d);
    if (r.how == OC_RECOVER_STALE) {
        LOG(d, WARNING, "snapshot is for another config or build: starting the engine fresh");
    } else {
        oc_dcount(&d->dc, OC_D_RECOVERED, r.msgs);
        for (size_t c = 0; c < d->cfg->n_cameras; c++)
            note_clock(d, (int)c);
        LOG(d, NOTICE,
            "recovered: %s, %" PRIu64 " journal messages replayed (%" PRIu64 " damaged lines)",
            r.how == OC_RECOVER_FROM_SNAPSHOT ? "snapshot loaded" : "no snapshot", r.msgs, r.bad);
    }
    /* not while an adapter holds a message back (a DeepStream frame): the
     * journal keeps it until a later snapshot includes it */
    if (oc_adapt_idle(d->adapt) && save_snapshot(d) != 0)
        LOG(d, WARNING, "cannot save the engine snapshot: %s", strerror(errno));
    return 0;
}

/* ---------------- MQTT (callbacks on the MQTT thread) ---------------- */

static void on_mqtt_message(void *ud, const char *topic, const void *payload, size_t len)
{
    struct daemon *d = ud;
    oc_recv_message(d->recv, topic, strlen(topic), payload, len);
}

/* A snapshot-URL frame (snapshot thread): enters as a frames-topic message,
 * so the journal, --record and replay see it like any MQTT frame. The
 * snapshot thread is stopped while the config is swapped. */
static int on_snap_frame(void *ud, int camera, int64_t ts, const void *jpeg, size_t len)
{
    struct daemon *d = ud;
    return oc_recv_frame(d->recv, d->cfg->cameras[camera].id, ts, jpeg, len);
}

static void on_mqtt_state(void *ud, int up, const char *why)
{
    struct daemon *d = ud;
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

static int start_mqtt(struct daemon *d)
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
    struct daemon *d = ud;
    oc_dlog(&d->log, (enum oc_log_level)level, "%s", msg);
}

/* Polls the cameras that have frames.snapshot_url (none: nothing starts). */
static int start_snapurl(struct daemon *d)
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

/* ---------------- uplink ---------------- */

static void uplink_log(void *ud, int level, const char *msg)
{
    struct daemon *d = ud;
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

static void start_uplink(struct daemon *d)
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

/* ---------------- metrics ---------------- */

static int healthy(void *ud)
{
    struct daemon *d = ud;
    return atomic_load(&d->mqtt_up) > 0;
}

static void publish_metrics(struct daemon *d)
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

static int start_metrics(struct daemon *d)
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
    publish_metrics(d);
    return 0;
}

/* ---------------- reload ---------------- */

struct scene_arrays {
    uint64_t *next, *by_type;
    int64_t *aw, *ac;
};

static int scene_arrays_new(struct scene_arrays *a, const struct oc_config *cfg)
{
    a->next = calloc(cfg->n_cameras + 1, sizeof *a->next);
    a->by_type = calloc(cfg->n_vtypes + 1, sizeof *a->by_type);
    a->aw = calloc(cfg->n_cameras + 1, sizeof *a->aw);
    a->ac = calloc(cfg->n_cameras + 1, sizeof *a->ac);
    return a->next && a->by_type && a->aw && a->ac ? 0 : -1;
}

static void scene_arrays_free(struct scene_arrays *a)
{
    free(a->next), free(a->by_type), free(a->aw), free(a->ac);
}

static int same_filters(const struct oc_adapt *a, const struct oc_adapt *b)
{
    size_t na, nb;
    const char *const *fa = oc_adapt_filters(a, &na), *const *fb = oc_adapt_filters(b, &nb);
    for (size_t i = 0; na == nb && i < na; i++)
        if (strcmp(fa[i], fb[i]) != 0)
            return 0;
    return na == nb;
}

static void reload(struct daemon *d)
{
    char err[768];
    struct oc_ecfg *ecfg = oc_ecfg_load(d->config_path, err, sizeof err);
    if (!ecfg) {
        LOG(d, ERR, "reload refused, keeping the running config: %s", err);
        return;
    }
    const struct oc_config *cfg = ecfg->scene;
    struct scene_arrays a;
    struct oc_engine *eng = scene_arrays_new(&a, cfg) == 0 ? oc_engine_new(cfg, &d->sink, d) : NULL;
    struct oc_adapt *adapt = eng ? oc_adapt_new(cfg, &adapt_sink, d) : NULL;
    if (!adapt) {
        LOG(d, ERR, "reload: out of memory, keeping the running config");
        oc_engine_free(eng);
        scene_arrays_free(&a);
        oc_ecfg_free(ecfg);
        return;
    }
    /* sequences continue per camera id */
    for (size_t c = 0; c < cfg->n_cameras; c++) {
        int old = oc_config_camera(d->cfg, cfg->cameras[c].id, strlen(cfg->cameras[c].id));
        a.next[c] = old >= 0 ? oc_outbox_next_seq(d->outbox, old) : 1;
        if (old >= 0 && oc_engine_next_seq(d->eng, old) > a.next[c])
            a.next[c] = oc_engine_next_seq(d->eng, old);
        oc_engine_set_seq(eng, (int)c, a.next[c]);
    }
    oc_snapurl_stop(d->snap); /* it reads the old config's ids */
    d->snap = NULL;
    int filters_changed = !same_filters(d->adapt, adapt);
    oc_adapt_flush(d->adapt); /* into the old engine, which then ends its tracks */
    oc_adapt_free(d->adapt);
    d->adapt = adapt;
    oc_engine_finish(d->eng);
    oc_engine_free(d->eng);
    if (d->keeper) /* what waits gets the frames there are; the new keeper starts empty */
        oc_evidence_flush(d->keeper);
    oc_evidence_free(d->keeper);
    d->keeper = NULL;
    int mqtt_changed = strcmp(ecfg->mqtt.host, d->ecfg->mqtt.host) != 0 ||
                       ecfg->mqtt.port != d->ecfg->mqtt.port ||
                       ecfg->mqtt.qos != d->ecfg->mqtt.qos ||
                       strcmp(cfg->topic_prefix, d->cfg->topic_prefix) != 0 || filters_changed;
    if (mqtt_changed) {
        oc_mqtt_stop(d->mqtt);
        d->mqtt = NULL;
    }
    oc_ecfg_free(d->ecfg);
    free(d->by_type), free(d->anchor_wall), free(d->anchor_clock);
    d->ecfg = ecfg;
    d->cfg = cfg;
    d->eng = eng;
    oc_outbox_set_next(d->outbox, a.next);
    oc_outbox_set_limit(d->outbox, ecfg->spool_max_mb);
    d->by_type = a.by_type;
    d->anchor_wall = a.aw;
    d->anchor_clock = a.ac;
    d->cfg_hash = oc_recover_digest(d->config_path);
    oc_live_reconfigure(d->live, cfg);
    if (d->evwork)
        start_keeper(d);
    if (mqtt_changed)
        start_mqtt(d);
    start_snapurl(d);
    oc_uplink_stop(d->uplink); /* new cameras or central settings */
    d->uplink = NULL;
    oc_outbox_set_uplink(d->outbox, NULL);
    start_uplink(d);
    save_snapshot(d);
    LOG(d, NOTICE, "reloaded %s: %zu cameras", d->config_path, cfg->n_cameras);
}

/* ---------------- main loop ---------------- */

static void log_drops(struct daemon *d)
{
    char line[768] = "";
    size_t n = 0;
    for (int c = 0; c < OC_C__COUNT; c++) {
        if (!oc_counter_is_drop((enum oc_counter)c))
            continue;
        uint64_t now = oc_engine_counter(d->eng, (enum oc_counter)c);
        if (now > d->last_drops[c] && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, " %s %" PRIu64,
                                  oc_counter_reason((enum oc_counter)c), now - d->last_drops[c]);
        d->last_drops[c] = now;
    }
    if (n)
        LOG(d, WARNING, "bad input in the last minute:%s", line);
}

/* Once a second: held records, silent cameras, evidence disk, metrics. */
static void every_second(struct daemon *d)
{
    oc_outbox_flush_held(d->outbox);
    tick_silent(d);
    if (d->evwork) {
        oc_outbox_enforce_limit(d->outbox);
        note_evidence_pause(d);
    }
    publish_metrics(d);
}

static void run(struct daemon *d)
{
    int64_t last_tick = mono_ms(), last_snap = mono_ms(), last_drop_log = mono_ms();
    int64_t stop_at = 0;
    for (;;) {
        if (got_term && !stop_at) {
            LOG(d, NOTICE, "stopping: draining the queue");
            oc_mqtt_stop(d->mqtt); /* no more input; what was received is processed */
            d->mqtt = NULL;
            oc_snapurl_stop(d->snap);
            d->snap = NULL;
            stop_at = mono_ms();
        }
        if (got_hup) {
            got_hup = 0;
            reload(d);
        }
        struct oc_rxmsg *m = oc_rxq_pop(d->rxq, stop_at ? 0 : 100);
        if (m) {
            apply(d, m->seq, m->rx_ms, m->topic, m->topic_len, m->payload, m->len);
            free(m);
        } else if (stop_at) {
            break;
        } else {
            /* a held DeepStream frame is due OC_ADAPT_DS_WAIT_MS after it came */
            oc_adapt_tick(d->adapt, wall_ms());
            note_clocks(d);
        }
        collect_evidence(d);
        int64_t now = mono_ms();
        oc_live_poll(d->live, d->cfg, d->eng, now, wall_ms());
        if (now - last_tick >= 1000) {
            last_tick = now;
            every_second(d);
        }
        if (now - last_drop_log >= 60000) {
            last_drop_log = now;
            log_drops(d);
        }
        /* never while violations wait in memory: a snapshot past them would
         * keep a restart from establishing them again; nor while an adapter
         * holds a message the engine has not seen (a DeepStream frame) */
        if (now - last_snap >= (int64_t)d->ecfg->snapshot_s * 1000 &&
            d->applied != d->applied_at_snapshot && !oc_outbox_held(d->outbox) &&
            oc_adapt_idle(d->adapt)) {
            last_snap = now;
            if (save_snapshot(d) != 0)
                LOG(d, ERR, "cannot save the engine snapshot: %s", strerror(errno));
        }
    }
    oc_adapt_flush(d->adapt); /* what an adapter holds is passed on */
    note_clocks(d);
    oc_outbox_flush_held(d->outbox);
    if (d->keeper) /* evidence still waiting for frames gets what there is */
        oc_evidence_flush(d->keeper);
    oc_evwork_stop(d->evwork);
    collect_evidence(d);
    if (oc_outbox_held(d->outbox))
        LOG(d, CRIT,
            "exiting with %zu violations the spool could not take; the journal keeps what it "
            "could",
            oc_outbox_held(d->outbox));
    else
        save_snapshot(d);
    log_drops(d);
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ordercamd -c EDGE.json [--check] [--record FILE] [--log-level 0-7]\n"
               "  --check        validate the config and exit\n"
               "  --record FILE  also write every processed message to an event log\n"
               "  --print-key    print the box's signing public key (made on first use) and exit\n"
               "  SIGHUP reloads the config (a bad file keeps the running one); SIGTERM drains and "
               "exits\n");
}

static void warn_line(void *ud, const char *msg)
{
    struct daemon *d = ud;
    LOG(d, WARNING, "%s: %s", d->config_path, msg);
}

/* Rules a camera's input format cannot feed soundly (docs/inputs.md):
 * warnings, not errors. */
static void warn_sparse_inputs(struct daemon *d)
{
    oc_adapt_lint(d->cfg, warn_line, d);
}

/* --check: the config, and the caption font when evidence is on. */
static int check_config(struct daemon *d)
{
    char err[768];
    struct oc_font *font = NULL;
    int rc = 0;
    if (d->ecfg->evidence.enabled &&
        !(font = oc_font_open(d->ecfg->evidence.font, err, sizeof err))) {
        fprintf(stderr, "<%d>ordercamd: %s: evidence.font: %s\n", OC_LOG_ERR, d->config_path, err);
        rc = 1;
    } else {
        warn_sparse_inputs(d);
        printf("%s: ok (%zu cameras, %zu signals)\n", d->config_path, d->cfg->n_cameras,
               d->cfg->n_signals);
    }
    oc_font_free(font);
    oc_ecfg_free(d->ecfg);
    return rc;
}

/* Everything the engine thread needs before recovery. */
static int open_state(struct daemon *d)
{
    char err[768];
    if (mkdir(d->ecfg->spool_dir, 0755) != 0 && errno != EEXIST) {
        LOG(d, ERR, "cannot create %s: %s", d->ecfg->spool_dir, strerror(errno));
        return -1;
    }
    if (!(d->spool = oc_spool_open(d->ecfg->spool_dir, err, sizeof err))) {
        LOG(d, ERR, "%s", err);
        return -1;
    }
    if (d->ecfg->evidence.enabled && make_evidence_dir(d) != 0)
        return -1;
    struct oc_outbox_opts oo = {.log = &d->log,
                                .dc = &d->dc,
                                .spool = d->spool,
                                .spool_dir = d->ecfg->spool_dir,
                                .evidence_dir = d->evidence_dir,
                                .spool_max_mb = d->ecfg->spool_max_mb};
    if (!(d->outbox = oc_outbox_open(&oo, d->cfg))) {
        LOG(d, ERR, "cannot open %s/violations.jsonl: %s", d->ecfg->spool_dir, strerror(errno));
        return -1;
    }
    if (!(d->journal = oc_journal_open(d->ecfg->spool_dir, err, sizeof err))) {
        LOG(d, ERR, "%s", err);
        return -1;
    }
    if (d->record_path && !(d->record = oc_recfile_open(d->record_path))) {
        LOG(d, ERR, "cannot open %s: %s", d->record_path, strerror(errno));
        return -1;
    }
    return d->ecfg->evidence.enabled ? start_evidence_worker(d) : 0;
}

static int start(struct daemon *d)
{
    d->cfg_hash = oc_recover_digest(d->config_path);
    d->sink = (struct oc_engine_sink){
        .violation = on_violation, .frame = on_frame, .keep = on_keep, .detections = on_detections};
    struct scene_arrays a = {0};
    d->rx_max_msgs = d->ecfg->rx_queue_msgs;
    d->rx_max_bytes = d->ecfg->rx_queue_bytes;
    d->rxq = oc_rxq_new(d->rx_max_msgs, d->rx_max_bytes);
    d->eng = oc_engine_new(d->cfg, &d->sink, d);
    d->adapt = oc_adapt_new(d->cfg, &adapt_sink, d);
    int ok = scene_arrays_new(&a, d->cfg) == 0;
    free(a.next);
    d->by_type = a.by_type;
    d->anchor_wall = a.aw;
    d->anchor_clock = a.ac;
    if (!ok || !d->rxq || !d->eng || !d->adapt) {
        LOG(d, ERR, "out of memory");
        return -1;
    }
    if (open_state(d) != 0)
        return -1;
    struct oc_recv_opts ro = {.journal = d->journal,
                              .rxq = d->rxq,
                              .max_msgs = d->rx_max_msgs,
                              .max_bytes = d->rx_max_bytes,
                              .record = d->record,
                              .dc = &d->dc};
    if (!(d->recv = oc_recv_new(&ro))) {
        LOG(d, ERR, "out of memory");
        return -1;
    }
    oc_recv_set_prefix(d->recv, d->cfg->topic_prefix);
    if (recover(d) != 0)
        return -1;
    start_uplink(d);
    if (start_metrics(d) != 0 || start_mqtt(d) != 0 || start_snapurl(d) != 0)
        return -1;
    warn_sparse_inputs(d);
    LOG(d, NOTICE, "started %s: box %s, %zu cameras, spool %s", OC_VERSION, d->cfg->box_id,
        d->cfg->n_cameras, d->ecfg->spool_dir);
    return 0;
}

static void stop(struct daemon *d)
{
    oc_mqtt_stop(d->mqtt);
    oc_snapurl_stop(d->snap);
    oc_uplink_stop(d->uplink);
    oc_metrics_stop(d->metrics);
    oc_live_free(d->live);
    oc_recfile_close(d->record);
    oc_outbox_close(d->outbox);
    oc_recv_free(d->recv);
    oc_journal_close(d->journal);
    oc_adapt_free(d->adapt);
    oc_engine_free(d->eng);
    oc_evidence_free(d->keeper);
    oc_evwork_free(d->evwork);
    free(d->evidence_dir);
    oc_spool_close(d->spool);
    oc_rxq_free(d->rxq);
    free(d->by_type);
    free(d->anchor_wall);
    free(d->anchor_clock);
    oc_ecfg_free(d->ecfg);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
        {"record", required_argument, NULL, 'r'}, {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {"print-key", no_argument, NULL, 'P'},    {NULL, 0, NULL, 0}};
    struct daemon d = {.log = {.max_level = OC_LOG_INFO}};
    int check = 0, ch;
    while ((ch = getopt_long(argc, argv, "c:kr:l:hV", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': d.config_path = optarg; break;
        case 'k': check = 1; break;
        case 'r': d.record_path = optarg; break;
        case 'l': d.log.max_level = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("ordercamd %s\n", OC_VERSION); return 0;
        case 'P': check = 2; break;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (!d.config_path || optind != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char err[768];
    if (!(d.ecfg = oc_ecfg_load(d.config_path, err, sizeof err))) {
        fprintf(stderr, "<%d>ordercamd: %s\n", OC_LOG_ERR, err);
        return 1;
    }
    d.cfg = d.ecfg->scene;
    if (check == 2) /* --print-key: the box's public key, made on first use */
    {
        int pr = oc_boxkey_print(d.ecfg->spool_dir, d.cfg->box_id, stdout, stderr);
        oc_ecfg_free(d.ecfg);
        return pr;
    }
    if (check)
        return check_config(&d);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread starts */
    int rc = 1;
    if (start(&d) == 0) {
        run(&d);
        LOG(&d, NOTICE, "stopped");
        rc = 0;
    }
    stop(&d);
    mosquitto_lib_cleanup();
    curl_global_cleanup();
    return rc;
}
