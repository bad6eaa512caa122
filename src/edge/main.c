/* ordercamd: the edge daemon (docs/daemon.md). main owns every piece of
 * state; three threads meet only through bounded, counted structures:
 *   MQTT thread    receive → journal append → rx queue (full: drop, counted)
 *   engine thread  rx queue → record file → engine → violations file,
 *                  frame ring; ticks for silent cameras; snapshots; metrics text
 *   metrics thread (libmicrohttpd) serves the last metrics text */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <mosquitto.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_record.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_text.h"
#include "oc_ecfg.h"
#include "oc_journal.h"
#include "oc_mqtt.h"
#include "ordercam/oc_evidence.h"
#include "ordercam/oc_font.h"
#include "oc_evwork.h"
#include "oc_rxq.h"
#include "oc_snapurl.h"
#include "oc_spool.h"
#include "oc_uplink.h"

#ifndef OC_VERSION
#define OC_VERSION "0.0.0"
#endif

#define SNAP_MAGIC "OCDSNAP1"
#define SILENT_MS 2000 /* a camera quiet this long has its clock advanced */

/* Set by signal handlers; read by the engine thread. */
static volatile sig_atomic_t got_term, got_hup;

enum dcounter { D_RX_FULL, D_JOURNAL_ERR, D_NOT_JPEG, D_WRITE_ERR, D_RECOVERED, D_SUPPRESSED,
                D_LOST_DISK_FULL, D_EV_NO_FRAME, D_EV_QUEUE_FULL, D_EV_SPOOL_HELD, D_EV_FAILED,
                D_EV_LOST_RESTART, D_EV_EVICTED, D_EV_OVER_LIMIT, D__COUNT };
static const char *const dcounter_names[] = {"rx_queue_full", "journal_write_errors",
                                             "frames_not_jpeg", "violation_write_errors",
                                             "journal_messages_replayed",
                                             "violations_already_written",
                                             "violations_lost_spool_unwritable",
                                             "evidence_none_no_frame",
                                             "evidence_none_queue_full",
                                             "evidence_none_spool_unwritable",
                                             "evidence_none_write_failed",
                                             "evidence_none_lost_at_restart",
                                             "evidence_evicted_for_spool_limit",
                                             "spool_over_limit_nothing_to_evict"};

#define EV_QUEUE_JOBS 64          /* evidence jobs waiting for the worker */
#define EV_QUEUE_BYTES (64u << 20) /* and the frames they hold */

#define HELD_MAX 100000 /* violations held in memory while the spool cannot be written */

/* A violation the spool could not take (disk full): kept, in order, and
 * written as soon as the spool takes writes again. */
struct held {
    struct held *next;
    char camera[72], type[72], id[256];
    uint64_t seq;
    int64_t ts, bucket;
    char record[];
};

struct daemon {
    const char *config_path, *record_path;
    struct oc_ecfg *ecfg;
    const struct oc_config *cfg; /* the scene: ecfg->scene */
    uint64_t cfg_hash;
    struct oc_engine *eng;
    struct oc_engine_sink sink;
    struct oc_journal *journal;
    struct oc_rxq *rxq;
    struct oc_evidence *keeper; /* NULL: evidence disabled */
    struct oc_evwork *evwork;
    char *evidence_dir;
    uint64_t ev_bytes;          /* images on disk, for spool.max_mb */
    int over_limit_logged;
    int ev_paused;              /* last seen worker state, logged on change */
    struct oc_mqtt *mqtt;
    struct oc_snapurl *snap;   /* NULL: no camera has frames.snapshot_url */
    pthread_mutex_t rxlock;    /* journal order = queue order, MQTT and snapshot threads */
    struct oc_spool *spool;
    struct oc_uplink *uplink;
    struct MHD_Daemon *metrics;
    int vfd;
    FILE *record;
    uint64_t *file_next;  /* per camera: first seq not in the violations file */
    uint64_t *by_type;    /* violations written per type */
    int64_t *anchor_wall, *anchor_clock; /* per camera, for ticks */
    uint64_t applied;     /* last journal seq applied to the engine */
    uint64_t applied_at_snapshot;
    double last_apply; /* wall time of the last message applied, in seconds */
    atomic_ulong dc[D__COUNT];
    atomic_int mqtt_up;
    int log_level;
    pthread_mutex_t mlock;
    char *metrics_text;
    size_t metrics_len;
    uint64_t last_drops[OC_C__COUNT];
    struct held *held, *held_tail;
    size_t n_held;
    char rec[OC_RECORD_MAX];
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* journald-friendly: "<level>" prefixes (systemd strips them). */
__attribute__((format(printf, 3, 4))) static void logm(const struct daemon *d, int level,
                                                       const char *fmt, ...)
{
    if (level > d->log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "<%d>ordercamd: %s\n", level, msg);
}

/* ---------------- files ---------------- */

static uint64_t fnv64(const void *data, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ ((const unsigned char *)data)[i]) * 1099511628211ull;
    return h;
}

static uint64_t file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return fnv64(buf, n);
}

static void spool_path(const struct daemon *d, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", d->ecfg->spool_dir, name);
}

/* Reads violations.jsonl: the next seq per camera, and cuts a last line
 * that a crash left half written. */
static int open_violations(struct daemon *d)
{
    char path[PATH_MAX];
    spool_path(d, "violations.jsonl", path, sizeof path);
    FILE *f = fopen(path, "r");
    off_t good = 0;
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        off_t pos = 0;
        while ((n = getline(&line, &cap, f)) > 0) {
            pos += n;
            if (line[n - 1] != '\n')
                break;
            good = pos;
            const char *id = strstr(line, "\"id\":\"");
            if (!id)
                continue;
            id += 6;
            const char *a = strchr(id, ':'), *b = a ? strchr(a + 1, ':') : NULL;
            if (!b)
                continue;
            int cam = oc_config_camera(d->cfg, a + 1, (size_t)(b - a - 1));
            uint64_t seq = strtoull(b + 1, NULL, 10);
            if (cam >= 0 && seq + 1 > d->file_next[cam])
                d->file_next[cam] = seq + 1;
        }
        free(line);
        fclose(f);
        if (truncate(path, good) != 0 && errno != ENOENT)
            return -1;
    }
    for (size_t c = 0; c < d->cfg->n_cameras; c++) {
        uint64_t n = oc_spool_next_seq(d->spool, d->cfg->cameras[c].id);
        if (n > d->file_next[c])
            d->file_next[c] = n;
    }
    d->vfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return d->vfd < 0 ? -1 : 0;
}

/* ---------------- engine sinks ---------------- */

/* Writes the held violations, oldest first, while the spool takes them. */
static void flush_held(struct daemon *d)
{
    size_t before = d->n_held;
    while (d->held) {
        struct held *h = d->held;
        if (oc_spool_add(d->spool, h->camera, h->seq, h->id, h->ts, h->type, h->bucket,
                         h->record, 0) != OC_OK)
            break;
        d->held = h->next;
        if (!d->held)
            d->held_tail = NULL;
        d->n_held--;
        free(h);
    }
    if (before && !d->n_held) {
        logm(d, 5, "spool writable again: %zu held violations stored", before);
        oc_uplink_poke(d->uplink);
    }
}

/* Returns 1 when the record is in the spool, 0 when held in memory (or
 * lost, counted). ev_wait: its evidence is being made. */
static int hold_or_spool(struct daemon *d, const char *camera, uint64_t seq, const char *id,
                         int64_t ts, const char *type, int64_t bucket, const char *record,
                         int ev_wait)
{
    if (!d->held &&
        oc_spool_add(d->spool, camera, seq, id, ts, type, bucket, record, ev_wait) == OC_OK) {
        oc_uplink_poke(d->uplink);
        return 1;
    }
    if (d->n_held >= HELD_MAX) {
        atomic_fetch_add(&d->dc[D_LOST_DISK_FULL], 1);
        logm(d, 2, "spool unwritable and %d violations held: %s lost", HELD_MAX, id);
        return 0;
    }
    size_t len = strlen(record) + 1;
    struct held *h = calloc(1, sizeof *h + len);
    if (!h) {
        atomic_fetch_add(&d->dc[D_LOST_DISK_FULL], 1);
        return 0;
    }
    if (!d->n_held)
        logm(d, 3, "cannot write the spool (disk full?): holding violations in memory, counting goes on");
    snprintf(h->camera, sizeof h->camera, "%s", camera);
    snprintf(h->type, sizeof h->type, "%s", type);
    snprintf(h->id, sizeof h->id, "%s", id);
    h->seq = seq;
    h->ts = ts;
    h->bucket = bucket;
    memcpy(h->record, record, len);
    if (d->held_tail)
        d->held_tail->next = h;
    else
        d->held = h;
    d->held_tail = h;
    d->n_held++;
    return 0;
}

/* ---------------- evidence ---------------- */

/* The keeper gathered a violation's frames (engine thread). */
static void on_evidence_ready(void *ud, void *tag, struct oc_evidence_job *job)
{
    struct daemon *d = ud;
    char *id = tag;
    if (job && oc_evwork_submit(d->evwork, job, id) == OC_OK) {
        free(id);
        return;
    }
    atomic_fetch_add(&d->dc[job ? D_EV_QUEUE_FULL : D_EV_NO_FRAME], 1);
    oc_evidence_job_free(job);
    if (oc_spool_evidence(d->spool, id, NULL, 0) != OC_OK)
        logm(d, 3, "spool: cannot settle the evidence of %s", id);
    free(id);
}

/* The worker finished an image (engine thread): the record names it. */
static void on_evidence_done(void *ud, const char *id, const struct oc_evidence_job *job,
                             oc_err_t e, int errno_, const struct oc_evbuild_result *res)
{
    struct daemon *d = ud;
    struct oc_record_evidence ev = {job->file, res->sha256, res->frames, res->n_frames, 0};
    if (e != OC_OK) {
        atomic_fetch_add(&d->dc[e == OC_ENOTFOUND ? D_EV_NO_FRAME : D_EV_FAILED], 1);
        if (e != OC_ENOTFOUND)
            logm(d, 3, "evidence for %s not written: %s", id, strerror(errno_));
    } else {
        d->ev_bytes += res->size;
    }
    if (oc_spool_evidence(d->spool, id, e == OC_OK ? &ev : NULL, e == OC_OK ? (int64_t)res->size : 0) !=
        OC_OK)
        logm(d, 3, "spool: cannot record the evidence of %s", id);
}

static void collect_evidence(struct daemon *d)
{
    if (d->evwork && oc_evwork_collect(d->evwork, on_evidence_done, d) > 0)
        oc_uplink_poke(d->uplink);
}

static uint64_t file_size(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* spool.max_mb: the oldest images go first; records and tallies never. */
static void enforce_spool_limit(struct daemon *d)
{
    uint64_t limit = (uint64_t)d->ecfg->spool_max_mb << 20;
    uint64_t db = file_size(d->ecfg->spool_dir, "spool.sqlite") +
                  file_size(d->ecfg->spool_dir, "spool.sqlite-wal");
    char id[256], file[OC_EVIDENCE_FILE_MAX], path[PATH_MAX];
    uint64_t size;
    while (db + d->ev_bytes > limit) {
        if (oc_spool_evidence_oldest(d->spool, id, sizeof id, file, sizeof file, &size) != OC_OK) {
            if (!d->over_limit_logged)
                logm(d, 3, "spool over spool.max_mb (%d MB) with no image left to evict: records "
                           "and tallies are kept regardless", d->ecfg->spool_max_mb);
            d->over_limit_logged = 1;
            atomic_fetch_add(&d->dc[D_EV_OVER_LIMIT], 1);
            return;
        }
        snprintf(path, sizeof path, "%s/%s", d->evidence_dir, file);
        if (unlink(path) != 0 && errno != ENOENT) {
            logm(d, 3, "cannot evict %s: %s", path, strerror(errno));
            return;
        }
        if (oc_spool_evidence_evicted(d->spool, id) != OC_OK)
            return;
        d->ev_bytes = d->ev_bytes > size ? d->ev_bytes - size : 0;
        atomic_fetch_add(&d->dc[D_EV_EVICTED], 1);
        logm(d, 6, "evicted %s for spool.max_mb", file);
    }
    d->over_limit_logged = 0;
}

static void note_evidence_pause(struct daemon *d)
{
    struct oc_evwork_stats ws;
    oc_evwork_stats(d->evwork, &ws);
    if (ws.paused != d->ev_paused)
        logm(d, ws.paused ? 3 : 5, ws.paused ? "evidence paused: the disk is full (%s); counting goes on"
                                             : "evidence resumed: %s has room again",
             d->evidence_dir);
    d->ev_paused = ws.paused;
}

static void start_evidence(struct daemon *d)
{
    if (!d->ecfg->evidence.enabled)
        return;
    d->keeper = oc_evidence_new(d->cfg, &d->ecfg->evidence, on_evidence_ready, d);
    if (!d->keeper)
        logm(d, 3, "evidence: out of memory; violations are recorded without");
}

static void on_violation(void *ud, const struct oc_violation *v)
{
    struct daemon *d = ud;
    if (v->seq < d->file_next[v->camera]) {
        atomic_fetch_add(&d->dc[D_SUPPRESSED], 1); /* written before a crash */
        return;
    }
    size_t n = oc_record_format(d->cfg, v, NULL, d->rec, sizeof d->rec);
    char id[256];
    snprintf(id, sizeof id, "%s:%s:%" PRIu64, d->cfg->box_id, v->camera_id, v->seq);
    /* the spool is the record (kept without the newline); violations.jsonl
     * a copy for people */
    if (n == 0) {
        atomic_fetch_add(&d->dc[D_WRITE_ERR], 1);
        return;
    }
    d->rec[n - 1] = '\0';
    int want_ev = d->keeper != NULL; /* a keeper exists only with its worker */
    int spooled = hold_or_spool(d, v->camera_id, v->seq, id, v->ts, v->type, v->bucket, d->rec,
                                want_ev);
    char *tag = want_ev && spooled ? strdup(id) : NULL;
    if (tag)
        oc_evidence_violation(d->keeper, v, tag);
    else if (want_ev)
        atomic_fetch_add(&d->dc[D_EV_SPOOL_HELD], 1);
    d->rec[n - 1] = '\n';
    if (oc_io_write_all(d->vfd, d->rec, n) != 0)
        atomic_fetch_add(&d->dc[D_WRITE_ERR], 1);
    d->file_next[v->camera] = v->seq + 1;
    d->by_type[v->vtype]++;
    logm(d, 6, "violation %s:%s:%" PRIu64 " %s", d->cfg->box_id, v->camera_id, v->seq, v->type);
}

static void on_frame(void *ud, int camera, int64_t ts, const void *data, size_t len, int is_b64)
{
    struct daemon *d = ud;
    if (!d->keeper)
        return;
    unsigned char *bytes = NULL;
    if (is_b64) {
        bytes = malloc(oc_text_b64_max(len) + 1);
        size_t n = 0;
        if (!bytes || oc_text_b64_decode(data, len, bytes, &n) != OC_OK) {
            free(bytes);
            atomic_fetch_add(&d->dc[D_NOT_JPEG], 1);
            return;
        }
        data = bytes;
        len = n;
    }
    if (!oc_event_is_jpeg(data, len))
        atomic_fetch_add(&d->dc[D_NOT_JPEG], 1);
    else
        oc_evidence_frame(d->keeper, camera, ts, data, len);
    free(bytes);
}

static void on_keep(void *ud, int camera, int64_t ts, int64_t until)
{
    struct daemon *d = ud;
    if (d->keeper)
        oc_evidence_keep(d->keeper, camera, ts, until);
}

/* ---------------- the record file (--record) ---------------- */

static void record_message(struct daemon *d, int64_t rx_ms, const char *topic, size_t tlen,
                           const char *payload, size_t len)
{
    if (!d->record)
        return;
    char *tq = malloc(tlen * 6 + 3);
    char *t = malloc(tlen + 1);
    if (!tq || !t) {
        free(tq);
        free(t);
        return;
    }
    memcpy(t, topic, tlen);
    t[tlen] = '\0';
    oc_text_json_quote(tq, tlen * 6 + 3, t);
    fprintf(d->record, "{\"ts\":%" PRId64 ",\"topic\":%s,", rx_ms, tq);
    enum oc_counter why;
    cJSON *j = strstr(t, "/frames/") ? NULL : oc_event_parse(payload, len, &why);
    if (j) {
        /* valid JSON: kept as is, newlines between tokens made spaces */
        fputs("\"payload\":", d->record);
        for (size_t i = 0; i < len; i++)
            fputc(payload[i] == '\n' || payload[i] == '\r' ? ' ' : payload[i], d->record);
        cJSON_Delete(j);
    } else {
        char *b = malloc(oc_text_b64_encoded_len(len) + 1);
        if (b) {
            oc_text_b64_encode(payload, len, b);
            fprintf(d->record, "\"payload_b64\":\"%s\"", b);
            free(b);
        }
    }
    fputs("}\n", d->record);
    fflush(d->record);
    free(tq);
    free(t);
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

/* rx_ms is the receive time as journaled: the clock bounds then decide
 * alike live, after a restart and in a replay of the record file. */
static void apply(struct daemon *d, uint64_t seq, int64_t rx_ms, const char *topic, size_t tlen,
                  const char *payload, size_t len)
{
    record_message(d, rx_ms, topic, tlen, payload, len);
    oc_engine_set_received(d->eng, rx_ms);
    int64_t before = 0;
    int is_frame, had = cam_clock(d, topic, tlen, &before, &is_frame);
    int cam = oc_engine_feed(d->eng, topic, tlen, payload, len);
    d->last_apply = (double)wall_ms() / 1000.0;
    if (seq)
        d->applied = seq;
    note_clock(d, cam);
    note_snap(d, cam, had, before, is_frame);
}

static void tick(struct daemon *d, int cam, int64_t camera_ts, int journal)
{
    oc_engine_tick(d->eng, cam, camera_ts);
    if (d->snap) /* tracks may have ended */
        oc_snapurl_live(d->snap, cam, oc_engine_camera_tracks(d->eng, cam) > 0);
    if (d->keeper)
        oc_evidence_clock(d->keeper, cam, camera_ts);
    if (journal)
        oc_journal_tick(d->journal, wall_ms(), d->cfg->cameras[cam].id, camera_ts, d->applied);
    if (d->record) {
        fprintf(d->record, "{\"ts\":%" PRId64 ",\"tick\":{\"camera\":\"%s\",\"ts\":%" PRId64 "}}\n",
                wall_ms(), d->cfg->cameras[cam].id, camera_ts);
        fflush(d->record);
    }
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

/* ---------------- snapshots ---------------- */

static int save_snapshot(struct daemon *d)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    spool_path(d, "snapshot.tmp", tmp, sizeof tmp);
    spool_path(d, "snapshot.bin", path, sizeof path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    uint64_t hdr[2] = {d->applied, d->cfg_hash};
    int bad = fwrite(SNAP_MAGIC, 1, 8, f) != 8 || fwrite(hdr, sizeof hdr, 1, f) != 1 ||
              oc_engine_save(d->eng, f, d->cfg_hash) != OC_OK || fflush(f) != 0 ||
              fsync(fileno(f)) != 0;
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    int dfd = open(d->ecfg->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    /* the violations written so far are part of what the snapshot assumes */
    fsync(d->vfd);
    d->applied_at_snapshot = d->applied;
    oc_journal_rotate(d->journal, d->applied);
    return 0;
}

/* Loads the snapshot if it was made by this build for this config. */
static int load_snapshot(struct daemon *d)
{
    char path[PATH_MAX];
    spool_path(d, "snapshot.bin", path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char magic[8];
    uint64_t hdr[2];
    oc_engine_set_received(d->eng, wall_ms()); /* a clock beyond now + max_future goes */
    int ok = fread(magic, 1, 8, f) == 8 && memcmp(magic, SNAP_MAGIC, 8) == 0 &&
             fread(hdr, sizeof hdr, 1, f) == 1 && hdr[1] == d->cfg_hash &&
             oc_engine_load(d->eng, f, d->cfg_hash) == OC_OK;
    fclose(f);
    if (!ok)
        return -1;
    d->applied = d->applied_at_snapshot = hdr[0];
    return 0;
}

static void replay_message(void *ud, uint64_t seq, int64_t wall_ms, const char *topic,
                           size_t tlen, const void *payload, size_t len)
{
    struct daemon *d = ud;
    oc_engine_set_received(d->eng, wall_ms);
    if (len == 0 && strstr(topic, "/frames/"))
        oc_engine_feed_unloaded(d->eng, topic, tlen); /* journaled without its bytes */
    else
        oc_engine_feed(d->eng, topic, tlen, payload, len);
    d->applied = seq;
    atomic_fetch_add(&d->dc[D_RECOVERED], 1);
}

static void replay_tick(void *ud, const char *camera, int64_t ts)
{
    struct daemon *d = ud;
    int cam = oc_config_camera(d->cfg, camera, strlen(camera));
    if (cam >= 0)
        oc_engine_tick(d->eng, cam, ts);
}

static void sync_seqs(struct daemon *d)
{
    for (size_t c = 0; c < d->cfg->n_cameras; c++)
        if (oc_engine_next_seq(d->eng, (int)c) < d->file_next[c])
            oc_engine_set_seq(d->eng, (int)c, d->file_next[c]);
}

/* Rebuilds the engine as it was: snapshot, then the journal after it. A
 * snapshot of another config cannot be used; the engine then starts fresh
 * and the journal (of the old config) is set aside. */
static int recover(struct daemon *d)
{
    int have = load_snapshot(d) == 0;
    if (!have) {
        char path[PATH_MAX];
        spool_path(d, "snapshot.bin", path, sizeof path);
        if (access(path, F_OK) == 0) {
            logm(d, 4, "snapshot is for another config or build: starting the engine fresh");
            oc_engine_free(d->eng);
            d->eng = oc_engine_new(d->cfg, &d->sink, d);
            sync_seqs(d);
            d->applied = oc_journal_next_seq(d->journal) - 1;
            return save_snapshot(d);
        }
    }
    oc_journal_continue_after(d->journal, d->applied);
    static const struct oc_journal_sink js = {replay_message, replay_tick};
    uint64_t msgs = 0, bad = 0;
    oc_journal_replay(d->journal, d->applied, &js, d, &msgs, &bad);
    sync_seqs(d);
    for (size_t c = 0; c < d->cfg->n_cameras; c++)
        note_clock(d, (int)c);
    logm(d, 5, "recovered: %s, %" PRIu64 " journal messages replayed (%" PRIu64 " damaged lines)",
         have ? "snapshot loaded" : "no snapshot", msgs, bad);
    return save_snapshot(d);
}

/* ---------------- MQTT callbacks (MQTT thread) ---------------- */

/* Journal, then queue: under rxlock, so that the journal's order is the
 * order the engine applies (the MQTT and the snapshot threads both come
 * here). -1 when the queue is full (counted). */
static int enqueue(struct daemon *d, const char *topic, size_t tlen, const void *payload,
                   size_t len)
{
    size_t msgs, bytes;
    int rc = 0;
    pthread_mutex_lock(&d->rxlock);
    oc_rxq_depth(d->rxq, &msgs, &bytes);
    if (msgs + 1 > d->ecfg->rx_queue_msgs || bytes + tlen + len + 2 > d->ecfg->rx_queue_bytes) {
        atomic_fetch_add(&d->dc[D_RX_FULL], 1);
        pthread_mutex_unlock(&d->rxlock);
        return -1;
    }
    uint64_t seq = 0;
    /* A frame the engine will take is journaled without its bytes and
     * replayed as unloaded: only its time moves its camera's clock. One it
     * will refuse is journaled as one byte that is not a JPEG, so that the
     * replay refuses it too (and no garbage is kept). */
    int frame = strstr(topic, "/frames/") != NULL;
    int jpeg = frame && len <= OC_JPEG_MAX_BYTES && oc_event_is_jpeg(payload, len);
    int64_t rx = wall_ms();
    if (oc_journal_message(d->journal, rx, topic, tlen, frame && !jpeg ? "-" : payload,
                           frame && !jpeg ? 1 : len, jpeg, &seq) != OC_OK) {
        atomic_fetch_add(&d->dc[D_JOURNAL_ERR], 1);
        seq = 0;
    }
    if (oc_rxq_push(d->rxq, seq, rx, topic, tlen, payload, len) != OC_OK) {
        atomic_fetch_add(&d->dc[D_RX_FULL], 1);
        rc = -1;
    }
    pthread_mutex_unlock(&d->rxlock);
    return rc;
}

static void on_mqtt_message(void *ud, const char *topic, const void *payload, size_t len)
{
    enqueue(ud, topic, strlen(topic), payload, len);
}

/* A snapshot-URL frame (snapshot thread): enters as a frames-topic message,
 * so the journal, --record and replay see it like any MQTT frame. */
static int on_snap_frame(void *ud, int camera, int64_t ts, const void *jpeg, size_t len)
{
    struct daemon *d = ud;
    char topic[512];
    int n = snprintf(topic, sizeof topic, "%scameras/%s/frames/%" PRId64, d->cfg->topic_prefix,
                     d->cfg->cameras[camera].id, ts);
    if (n < 0 || (size_t)n >= sizeof topic)
        return -1;
    return enqueue(d, topic, (size_t)n, jpeg, len);
}

static void on_mqtt_state(void *ud, int up, const char *why)
{
    struct daemon *d = ud;
    atomic_store(&d->mqtt_up, up);
    logm(d, up ? 5 : 4, "broker %s:%d %s%s%s", d->ecfg->mqtt.host, d->ecfg->mqtt.port,
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

static void uplink_log(void *ud, int level, const char *msg)
{
    logm(ud, level, "%s", msg);
}

/* The cameras' places, sent with every tally upload. */
static char *cameras_json(const struct oc_config *cfg)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < cfg->n_cameras; i++) {
        const struct oc_camera_cfg *c = &cfg->cameras[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", c->id);
        if (c->location)
            cJSON_AddStringToObject(o, "location", c->location);
        if (c->road)
            cJSON_AddStringToObject(o, "road", c->road);
        if (c->unit)
            cJSON_AddStringToObject(o, "unit", c->unit);
        cJSON_AddItemToArray(a, o);
    }
    char *s = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return s;
}

static void start_uplink(struct daemon *d)
{
    const struct oc_central_cfg *c = &d->ecfg->central;
    if (!c->url) {
        logm(d, 5, "no central.url: violations stay in the spool");
        return;
    }
    char *cams = cameras_json(d->cfg);
    struct oc_uplink_opts o = {.url = c->url, .token_file = c->token_file, .ca_file = c->ca_file,
                               .cert_file = c->cert_file, .key_file = c->key_file,
                               .insecure_skip_verify = c->insecure_skip_verify,
                               .push_interval_s = c->push_interval_s, .box_id = d->cfg->box_id,
                               .version = OC_VERSION, .spool_dir = d->ecfg->spool_dir,
                               .evidence_dir = d->evwork ? d->evidence_dir : NULL,
                               .cameras_json = cams, .log = uplink_log, .ud = d};
    d->uplink = oc_uplink_start(&o);
    free(cams);
}

static void snap_log(void *ud, int level, const char *msg)
{
    logm(ud, level, "%s", msg);
}

/* Polls the cameras that have frames.snapshot_url (none: nothing starts). */
static int start_snapurl(struct daemon *d)
{
    size_t n = d->cfg->n_cameras;
    char **pw = calloc(n ? n : 1, sizeof *pw);
    char err[256];
    int rc = pw ? 0 : -1;
    for (size_t i = 0; pw && i < n && rc == 0; i++) {
        const char *file = d->cfg->cameras[i].snap.password_file;
        if (d->cfg->cameras[i].snap.url && file && !(pw[i] = read_secret(file))) {
            logm(d, 3, "camera %s: cannot read frames.password_file %s: %s",
                 d->cfg->cameras[i].id, file, strerror(errno));
            rc = -1;
        }
    }
    if (rc == 0) {
        d->snap = oc_snapurl_start(d->cfg, (const char *const *)pw, on_snap_frame, snap_log, d,
                                   err, sizeof err);
        if (!d->snap && err[0]) {
            logm(d, 3, "%s", err);
            rc = -1;
        }
    }
    for (size_t i = 0; pw && i < n; i++)
        free(pw[i]);
    free(pw);
    return rc;
}

static int start_mqtt(struct daemon *d)
{
    const struct oc_mqtt_cfg *m = &d->ecfg->mqtt;
    char *password = NULL;
    if (m->password_file && !(password = read_secret(m->password_file))) {
        logm(d, 3, "cannot read %s: %s", m->password_file, strerror(errno));
        return -1;
    }
    struct oc_mqtt_opts o = {
        .host = m->host, .port = m->port, .client_id = m->client_id, .username = m->username,
        .password = password, .ca_file = m->ca_file, .cert_file = m->cert_file,
        .key_file = m->key_file, .keepalive_s = m->keepalive_s, .qos = m->qos,
        .prefix = d->cfg->topic_prefix, .backoff_min_ms = 500, .backoff_max_ms = 30000};
    char err[256];
    d->mqtt = oc_mqtt_start(&o, on_mqtt_message, on_mqtt_state, d, err, sizeof err);
    free(password);
    if (!d->mqtt) {
        logm(d, 3, "%s", err);
        return -1;
    }
    return 0;
}

/* ---------------- metrics ---------------- */

static void metrics_build(struct daemon *d)
{
    size_t cap = 16384 + 1024 * d->cfg->n_cameras, n = 0;
    char *b = malloc(cap);
    if (!b)
        return;
#define P(...)                                                                                \
    do {                                                                                      \
        if (n < cap)                                                                          \
            n += (size_t)snprintf(b + n, cap - n, __VA_ARGS__);                               \
    } while (0)
    static const enum oc_counter kinds[] = {OC_C_MSG_DETECTIONS, OC_C_MSG_EVENTS,
                                            OC_C_MSG_FRAMES, OC_C_MSG_SIGNALS};
    static const char *const kind_names[] = {"detections", "events", "frames", "signals"};
    P("# HELP ordercam_messages_total Messages processed by the engine, per topic kind.\n"
      "# TYPE ordercam_messages_total counter\n");
    for (int i = 0; i < 4; i++)
        P("ordercam_messages_total{kind=\"%s\"} %" PRIu64 "\n", kind_names[i],
          oc_engine_counter(d->eng, kinds[i]));
    P("# HELP ordercam_drops_total Inputs dropped, per reason.\n# TYPE ordercam_drops_total counter\n");
    for (int c = OC_C_DROP_BAD_TOPIC; c <= OC_C_DROP_LOG_LINE; c++)
        P("ordercam_drops_total{reason=\"%s\"} %" PRIu64 "\n", oc_counter_name(c) + 5,
          oc_engine_counter(d->eng, (enum oc_counter)c));
    P("ordercam_drops_total{reason=\"rx_queue_full\"} %lu\n", atomic_load(&d->dc[D_RX_FULL]));
    P("ordercam_drops_total{reason=\"frame_not_jpeg\"} %lu\n", atomic_load(&d->dc[D_NOT_JPEG]));
    P("# HELP ordercam_engine_events_total Engine events worth watching.\n"
      "# TYPE ordercam_engine_events_total counter\n");
    for (int c = OC_C_FIELD_DROPPED; c < OC_C__COUNT; c++)
        P("ordercam_engine_events_total{event=\"%s\"} %" PRIu64 "\n", oc_counter_name(c),
          oc_engine_counter(d->eng, (enum oc_counter)c));
    for (int c = 0; c < D__COUNT; c++)
        P("ordercam_engine_events_total{event=\"%s\"} %lu\n", dcounter_names[c],
          atomic_load(&d->dc[c]));
    P("# HELP ordercam_violations_total Violations written, per type.\n"
      "# TYPE ordercam_violations_total counter\n");
    for (size_t t = 0; t < d->cfg->n_vtypes; t++)
        P("ordercam_violations_total{type=\"%s\"} %" PRIu64 "\n", d->cfg->vtypes[t].name,
          d->by_type[t]);
    size_t qm, qb;
    oc_rxq_depth(d->rxq, &qm, &qb);
    struct oc_evidence_stats es = {0};
    if (d->keeper)
        oc_evidence_stats(d->keeper, &es);
    struct oc_ring_stats rs = es.ring;
    P("# TYPE ordercam_rx_queue_messages gauge\nordercam_rx_queue_messages %zu\n"
      "# TYPE ordercam_rx_queue_bytes gauge\nordercam_rx_queue_bytes %zu\n"
      "# TYPE ordercam_tracks_live gauge\nordercam_tracks_live %zu\n"
      "# TYPE ordercam_ring_bytes gauge\nordercam_ring_bytes %" PRIu64 "\n"
      "# TYPE ordercam_ring_frames gauge\nordercam_ring_frames %" PRIu64 "\n"
      "# TYPE ordercam_ring_dropped_total counter\n"
      "ordercam_ring_dropped_total{reason=\"age\"} %" PRIu64 "\n"
      "ordercam_ring_dropped_total{reason=\"bytes\"} %" PRIu64 "\n"
      "ordercam_ring_dropped_total{reason=\"too_large\"} %" PRIu64 "\n"
      "# TYPE ordercam_mqtt_connected gauge\nordercam_mqtt_connected %d\n"
      "# TYPE ordercam_mqtt_connect_failures_total counter\nordercam_mqtt_connect_failures_total %lu\n"
      "# TYPE ordercam_journal_applied_seq gauge\nordercam_journal_applied_seq %" PRIu64 "\n"
      "# TYPE ordercam_last_message_timestamp_seconds gauge\n"
      "ordercam_last_message_timestamp_seconds %.3f\n",
      qm, qb, oc_engine_live_tracks(d->eng), rs.bytes, rs.frames, rs.expired, rs.evicted,
      rs.too_large, atomic_load(&d->mqtt_up) > 0, d->mqtt ? oc_mqtt_failures(d->mqtt) : 0,
      d->applied, d->last_apply);
    struct oc_evwork_stats ws = {0};
    if (d->evwork)
        oc_evwork_stats(d->evwork, &ws);
    P("# HELP ordercam_evidence_images_total Evidence images, by outcome.\n"
      "# TYPE ordercam_evidence_images_total counter\n"
      "ordercam_evidence_images_total{result=\"written\"} %" PRIu64 "\n"
      "ordercam_evidence_images_total{result=\"no_usable_frame\"} %" PRIu64 "\n"
      "ordercam_evidence_images_total{result=\"write_failed\"} %" PRIu64 "\n"
      "# TYPE ordercam_evidence_frames_rejected_total counter\n"
      "ordercam_evidence_frames_rejected_total{reason=\"corrupt\"} %" PRIu64 "\n"
      "ordercam_evidence_frames_rejected_total{reason=\"wrong_size\"} %" PRIu64 "\n"
      "# TYPE ordercam_evidence_frames_rescaled_total counter\nordercam_evidence_frames_rescaled_total %" PRIu64 "\n"
      "# TYPE ordercam_evidence_boxes_clipped_total counter\nordercam_evidence_boxes_clipped_total %" PRIu64 "\n"
      "# TYPE ordercam_evidence_waiting gauge\nordercam_evidence_waiting %" PRIu64 "\n"
      "# TYPE ordercam_evidence_queue_jobs gauge\nordercam_evidence_queue_jobs %" PRIu64 "\n"
      "# HELP ordercam_evidence_paused 1 while the disk is full and evidence waits for space.\n"
      "# TYPE ordercam_evidence_paused gauge\nordercam_evidence_paused %d\n"
      "# TYPE ordercam_evidence_bytes gauge\nordercam_evidence_bytes %" PRIu64 "\n"
      "# TYPE ordercam_ring_kept_frames_total counter\nordercam_ring_kept_frames_total %" PRIu64 "\n",
      ws.built, ws.unusable, ws.failed, ws.corrupt, ws.wrong_size, ws.rescaled, ws.box_clipped,
      es.pending, ws.queued_jobs, ws.paused, d->ev_bytes, rs.kept);
    if (d->uplink) {
        struct oc_uplink_stats us;
        oc_uplink_stats(d->uplink, &us);
        P("# TYPE ordercam_uplink_requests_total counter\n"
          "ordercam_uplink_requests_total{result=\"ok\"} %" PRIu64 "\n"
          "ordercam_uplink_requests_total{result=\"failed\"} %" PRIu64 "\n"
          "# TYPE ordercam_uplink_records_total counter\n"
          "ordercam_uplink_records_total{result=\"sent\"} %" PRIu64 "\n"
          "ordercam_uplink_records_total{result=\"rejected\"} %" PRIu64 "\n"
          "# TYPE ordercam_uplink_tally_rows_sent_total counter\nordercam_uplink_tally_rows_sent_total %" PRIu64 "\n"
          "# TYPE ordercam_uplink_evidence_total counter\n"
          "ordercam_uplink_evidence_total{result=\"sent\"} %" PRIu64 "\n"
          "ordercam_uplink_evidence_total{result=\"rejected\"} %" PRIu64 "\n"
          "# TYPE ordercam_uplink_auth_failures_total counter\nordercam_uplink_auth_failures_total %" PRIu64 "\n"
          "# TYPE ordercam_uplink_last_status gauge\nordercam_uplink_last_status %ld\n",
          us.requests_ok, us.requests_failed, us.records_sent, us.records_rejected,
          us.tally_rows_sent, us.evidence_sent, us.evidence_rejected, us.auth_failures,
          us.last_status);
    }
    P("# HELP ordercam_spool_backlog Records in the spool that central has not accepted yet.\n"
      "# TYPE ordercam_spool_backlog gauge\nordercam_spool_backlog %" PRIu64 "\n"
      "# HELP ordercam_spool_held Violations held in memory because the spool cannot be written.\n"
      "# TYPE ordercam_spool_held gauge\nordercam_spool_held %zu\n",
      oc_spool_backlog(d->spool), d->n_held);
    if (n < cap)
        n += oc_snapurl_metrics(d->snap, b + n, cap - n);
#undef P
    pthread_mutex_lock(&d->mlock);
    free(d->metrics_text);
    d->metrics_text = b;
    d->metrics_len = n < cap ? n : cap - 1;
    pthread_mutex_unlock(&d->mlock);
}

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)state;
    struct daemon *d = cls;
    struct MHD_Response *r;
    unsigned status = 200;
    if (strcmp(method, "GET") != 0 || (strcmp(url, "/metrics") != 0 && strcmp(url, "/health") != 0)) {
        status = 404;
        r = MHD_create_response_from_buffer(10, (void *)"not found\n", MHD_RESPMEM_PERSISTENT);
    } else if (strcmp(url, "/health") == 0) {
        int up = atomic_load(&d->mqtt_up) > 0;
        status = up ? 200 : 503;
        r = MHD_create_response_from_buffer(up ? 3 : 22, (void *)(up ? "ok\n" : "broker not connected\n"),
                                            MHD_RESPMEM_PERSISTENT);
    } else {
        pthread_mutex_lock(&d->mlock);
        r = MHD_create_response_from_buffer(d->metrics_len, d->metrics_text ? d->metrics_text : (char *)"",
                                            MHD_RESPMEM_MUST_COPY);
        pthread_mutex_unlock(&d->mlock);
        MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static int start_metrics(struct daemon *d)
{
    if (!d->ecfg->metrics_listen)
        return 0;
    char host[256];
    snprintf(host, sizeof host, "%s", d->ecfg->metrics_listen);
    char *colon = strrchr(host, ':');
    if (!colon) {
        logm(d, 3, "metrics.listen must be HOST:PORT");
        return -1;
    }
    *colon = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
        logm(d, 3, "metrics.listen: cannot resolve %s", host);
        return -1;
    }
    d->metrics = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                                      (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                                  0, NULL, NULL, on_metrics, d, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                  MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT,
                                  10u, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d->metrics) {
        logm(d, 3, "cannot listen on %s for metrics", d->ecfg->metrics_listen);
        return -1;
    }
    return 0;
}

/* ---------------- reload ---------------- */

static void reload(struct daemon *d)
{
    char err[768];
    struct oc_ecfg *ecfg = oc_ecfg_load(d->config_path, err, sizeof err);
    if (!ecfg) {
        logm(d, 3, "reload refused, keeping the running config: %s", err);
        return;
    }
    const struct oc_config *cfg = ecfg->scene;
    uint64_t *next = calloc(cfg->n_cameras, sizeof *next);
    uint64_t *by_type = calloc(cfg->n_vtypes, sizeof *by_type);
    int64_t *aw = calloc(cfg->n_cameras, sizeof *aw), *ac = calloc(cfg->n_cameras, sizeof *ac);
    struct oc_engine *eng = next && by_type && aw && ac ? oc_engine_new(cfg, &d->sink, d) : NULL;
    if (!eng) {
        logm(d, 3, "reload: out of memory, keeping the running config");
        free(next), free(by_type), free(aw), free(ac);
        oc_ecfg_free(ecfg);
        return;
    }
    /* sequences continue per camera id */
    for (size_t c = 0; c < cfg->n_cameras; c++) {
        int old = oc_config_camera(d->cfg, cfg->cameras[c].id, strlen(cfg->cameras[c].id));
        next[c] = old >= 0 ? d->file_next[old] : 1;
        if (old >= 0 && oc_engine_next_seq(d->eng, old) > next[c])
            next[c] = oc_engine_next_seq(d->eng, old);
        oc_engine_set_seq(eng, (int)c, next[c]);
    }
    oc_snapurl_stop(d->snap); /* it reads the old config's ids */
    d->snap = NULL;
    oc_engine_finish(d->eng);
    oc_engine_free(d->eng);
    if (d->keeper) /* what waits gets the frames there are; the new keeper starts empty */
        oc_evidence_flush(d->keeper);
    oc_evidence_free(d->keeper);
    d->keeper = NULL;
    int mqtt_changed = strcmp(ecfg->mqtt.host, d->ecfg->mqtt.host) != 0 ||
                       ecfg->mqtt.port != d->ecfg->mqtt.port || ecfg->mqtt.qos != d->ecfg->mqtt.qos ||
                       strcmp(cfg->topic_prefix, d->cfg->topic_prefix) != 0;
    if (mqtt_changed) {
        oc_mqtt_stop(d->mqtt);
        d->mqtt = NULL;
    }
    oc_ecfg_free(d->ecfg);
    free(d->file_next), free(d->by_type), free(d->anchor_wall), free(d->anchor_clock);
    d->ecfg = ecfg;
    d->cfg = cfg;
    d->eng = eng;
    d->file_next = next;
    d->by_type = by_type;
    d->anchor_wall = aw;
    d->anchor_clock = ac;
    d->cfg_hash = file_hash(d->config_path);
    if (d->evwork)
        start_evidence(d);
    if (mqtt_changed)
        start_mqtt(d);
    start_snapurl(d);
    oc_uplink_stop(d->uplink); /* new cameras or central settings */
    d->uplink = NULL;
    start_uplink(d);
    save_snapshot(d);
    logm(d, 5, "reloaded %s: %zu cameras", d->config_path, cfg->n_cameras);
}

/* An image the last run wrote but did not get to record: nothing refers
 * to it, so it would never be sent or evicted. */
static void remove_unrecorded_image(void *ud, const char *camera, uint64_t seq, int64_t ts)
{
    struct daemon *d = ud;
    char file[OC_EVIDENCE_FILE_MAX], path[PATH_MAX];
    if (oc_evidence_file_name(d->cfg->box_id, camera, seq, ts, file, sizeof file) != 0)
        return;
    snprintf(path, sizeof path, "%s/%s", d->evidence_dir, file);
    if (unlink(path) == 0)
        logm(d, 5, "removed %s: written just before the last stop but never recorded", file);
}

/* The worker and the keeper; records left waiting by the last run lost
 * their frames with it and go without evidence. */
static int start_evidence_worker(struct daemon *d)
{
    const struct oc_evidence_cfg *ec = &d->ecfg->evidence;
    char err[512], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/evidence", d->ecfg->spool_dir);
    d->evidence_dir = strdup(ec->dir ? ec->dir : dir);
    if (!d->evidence_dir || oc_io_mkdir_p(d->evidence_dir) != 0) {
        logm(d, 3, "cannot create %s: %s", d->evidence_dir ? d->evidence_dir : dir, strerror(errno));
        return -1;
    }
    d->evwork = oc_evwork_start(d->evidence_dir, ec->font, ec->quality, EV_QUEUE_JOBS,
                                EV_QUEUE_BYTES, err, sizeof err);
    if (!d->evwork) {
        logm(d, 3, "evidence: %s (or set evidence.enabled false)", err);
        return -1;
    }
    uint64_t lost = oc_spool_settle_waiting(d->spool, remove_unrecorded_image, d);
    if (lost) {
        atomic_fetch_add(&d->dc[D_EV_LOST_RESTART], lost);
        logm(d, 4, "%" PRIu64 " violations were waiting for evidence when the last run stopped: "
                   "recorded without", lost);
    }
    d->ev_bytes = oc_spool_evidence_bytes(d->spool);
    start_evidence(d);
    return 0;
}

/* ---------------- main loop ---------------- */

static void log_drops(struct daemon *d)
{
    char line[768] = "";
    size_t n = 0;
    for (int c = OC_C_DROP_BAD_TOPIC; c <= OC_C_DROP_LOG_LINE; c++) {
        uint64_t now = oc_engine_counter(d->eng, (enum oc_counter)c);
        if (now > d->last_drops[c] && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, " %s %" PRIu64, oc_counter_name(c) + 5,
                                  now - d->last_drops[c]);
        d->last_drops[c] = now;
    }
    if (n)
        logm(d, 4, "bad input in the last minute:%s", line);
}

static void run(struct daemon *d)
{
    int64_t last_tick = mono_ms(), last_snap = mono_ms(), last_drop_log = mono_ms();
    int64_t stop_at = 0;
    for (;;) {
        if (got_term && !stop_at) {
            logm(d, 5, "stopping: draining the queue");
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
        struct oc_rxmsg *m = oc_rxq_pop(d->rxq, stop_at ? 0 : 200);
        if (m) {
            apply(d, m->seq, m->rx_ms, m->topic, m->topic_len, m->payload, m->len);
            free(m);
        } else if (stop_at) {
            break;
        }
        collect_evidence(d);
        int64_t now = mono_ms();
        if (now - last_tick >= 1000) {
            last_tick = now;
            flush_held(d);
            tick_silent(d);
            if (d->evwork) {
                enforce_spool_limit(d);
                note_evidence_pause(d);
            }
            metrics_build(d);
        }
        if (now - last_drop_log >= 60000) {
            last_drop_log = now;
            log_drops(d);
        }
        /* never while violations wait in memory: a snapshot past them would
         * keep a restart from establishing them again */
        if (now - last_snap >= (int64_t)d->ecfg->snapshot_s * 1000 &&
            d->applied != d->applied_at_snapshot && !d->n_held) {
            last_snap = now;
            if (save_snapshot(d) != 0)
                logm(d, 3, "cannot save the engine snapshot: %s", strerror(errno));
        }
    }
    flush_held(d);
    if (d->keeper) /* evidence still waiting for frames gets what there is */
        oc_evidence_flush(d->keeper);
    oc_evwork_stop(d->evwork);
    collect_evidence(d);
    if (d->n_held)
        logm(d, 2, "exiting with %zu violations the spool could not take; the journal keeps "
                   "what it could", d->n_held);
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
               "  SIGHUP reloads the config (a bad file keeps the running one); SIGTERM drains and exits\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
        {"record", required_argument, NULL, 'r'}, {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    struct daemon d = {.log_level = 6, .vfd = -1};
    int check = 0, ch;
    while ((ch = getopt_long(argc, argv, "c:kr:l:hV", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': d.config_path = optarg; break;
        case 'k': check = 1; break;
        case 'r': d.record_path = optarg; break;
        case 'l': d.log_level = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("ordercamd %s\n", OC_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!d.config_path || optind != argc) {
        usage(stderr);
        return 2;
    }
    char err[768];
    d.ecfg = oc_ecfg_load(d.config_path, err, sizeof err);
    if (!d.ecfg) {
        fprintf(stderr, "<3>ordercamd: %s\n", err);
        return 1;
    }
    d.cfg = d.ecfg->scene;
    if (check) {
        /* evidence needs its caption font: say so now, not at start-up */
        struct oc_font *font = NULL;
        if (d.ecfg->evidence.enabled &&
            !(font = oc_font_open(d.ecfg->evidence.font, err, sizeof err))) {
            fprintf(stderr, "<3>ordercamd: %s: evidence.font: %s\n", d.config_path, err);
            oc_ecfg_free(d.ecfg);
            return 1;
        }
        oc_font_free(font);
        printf("%s: ok (%zu cameras, %zu signals)\n", d.config_path, d.cfg->n_cameras,
               d.cfg->n_signals);
        oc_ecfg_free(d.ecfg);
        return 0;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&d.mlock, NULL);
    pthread_mutex_init(&d.rxlock, NULL);
    mosquitto_lib_init();
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread starts */
    d.cfg_hash = file_hash(d.config_path);
    d.sink = (struct oc_engine_sink){.violation = on_violation, .frame = on_frame, .keep = on_keep};
    d.file_next = calloc(d.cfg->n_cameras, sizeof *d.file_next);
    d.by_type = calloc(d.cfg->n_vtypes, sizeof *d.by_type);
    d.anchor_wall = calloc(d.cfg->n_cameras, sizeof *d.anchor_wall);
    d.anchor_clock = calloc(d.cfg->n_cameras, sizeof *d.anchor_clock);
    d.rxq = oc_rxq_new(d.ecfg->rx_queue_msgs, d.ecfg->rx_queue_bytes);
    d.eng = oc_engine_new(d.cfg, &d.sink, &d);
    int rc = 1;
    if (!d.file_next || !d.by_type || !d.anchor_wall || !d.anchor_clock || !d.rxq || !d.eng) {
        logm(&d, 3, "out of memory");
        goto out;
    }
    if (mkdir(d.ecfg->spool_dir, 0755) != 0 && errno != EEXIST) {
        logm(&d, 3, "cannot create %s: %s", d.ecfg->spool_dir, strerror(errno));
        goto out;
    }
    if (!(d.spool = oc_spool_open(d.ecfg->spool_dir, err, sizeof err))) {
        logm(&d, 3, "%s", err);
        goto out;
    }
    if (open_violations(&d) != 0) {
        logm(&d, 3, "cannot open %s/violations.jsonl: %s", d.ecfg->spool_dir, strerror(errno));
        goto out;
    }
    if (!(d.journal = oc_journal_open(d.ecfg->spool_dir, err, sizeof err))) {
        logm(&d, 3, "%s", err);
        goto out;
    }
    if (d.record_path && !(d.record = fopen(d.record_path, "a"))) {
        logm(&d, 3, "cannot open %s: %s", d.record_path, strerror(errno));
        goto out;
    }
    if (d.ecfg->evidence.enabled && start_evidence_worker(&d) != 0)
        goto out;
    if (recover(&d) != 0)
        logm(&d, 4, "cannot save the engine snapshot: %s", strerror(errno));
    start_uplink(&d);
    metrics_build(&d);
    if (start_metrics(&d) != 0 || start_mqtt(&d) != 0 || start_snapurl(&d) != 0)
        goto out;
    logm(&d, 5, "started %s: box %s, %zu cameras, spool %s", OC_VERSION, d.cfg->box_id,
         d.cfg->n_cameras, d.ecfg->spool_dir);
    run(&d);
    logm(&d, 5, "stopped");
    rc = 0;
out:
    oc_mqtt_stop(d.mqtt);
    oc_snapurl_stop(d.snap);
    oc_uplink_stop(d.uplink);
    if (d.metrics)
        MHD_stop_daemon(d.metrics);
    if (d.record)
        fclose(d.record);
    if (d.vfd >= 0) {
        fsync(d.vfd);
        close(d.vfd);
    }
    oc_journal_close(d.journal);
    oc_engine_free(d.eng);
    oc_evidence_free(d.keeper);
    oc_evwork_free(d.evwork);
    free(d.evidence_dir);
    oc_spool_close(d.spool);
    for (struct held *h = d.held, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    oc_rxq_free(d.rxq);
    free(d.file_next);
    free(d.by_type);
    free(d.anchor_wall);
    free(d.anchor_clock);
    free(d.metrics_text);
    oc_ecfg_free(d.ecfg);
    mosquitto_lib_cleanup();
    curl_global_cleanup();
    return rc;
}
