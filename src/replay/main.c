/* ordercam-replay: the engine run offline over an event log
 * (docs/outputs.md). Deterministic: the same log and config give the same
 * bytes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ordercam/oc_adapt.h"
#include "ordercam/oc_config.h"
#include "oc_ecfg.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_log.h"
#include "ordercam/oc_record.h"
#include "ordercam/oc_tally.h"
#include "ordercam/oc_text.h"
#include "ordercam/oc_wire.h"
#include "publish.h"
#include "render.h"
#include "revidence.h"

#ifndef OC_VERSION
#define OC_VERSION "0.0.0"
#endif

#define TALLY_MAX_ROWS (4u << 20)

struct replay {
    const struct oc_config *cfg;
    FILE *out;
    FILE *central; /* --central-out: the body of POST /api/v1/violations, streamed */
    struct oc_wire central_w;
    struct oc_tally *tally;
    uint64_t *per; /* n_cameras x n_vtypes */
    uint64_t tally_overflow;
    int write_failed;
    struct rev *rev;           /* --evidence */
    struct render *render;     /* --render */
    uint64_t frame_unreadable; /* payload_file frames that could not be read */
    struct oc_engine *eng;
    struct oc_adapt *adapt; /* every message goes through it (docs/inputs.md) */
    int native_cam;         /* the camera of the last native message */
    char rec[OC_RECORD_MAX];
};

/* Writes a finished record to --out and --central-out. */
static void emit(void *ud, const char *rec, size_t n)
{
    struct replay *r = ud;
    if (fwrite(rec, 1, n, r->out) != n)
        r->write_failed = 1;
    if (r->central)
        oc_wire_violation(&r->central_w, rec, n);
}

/* oc_wire's sink for the --central-out files */
static oc_err_t file_write(void *ud, const char *p, size_t n)
{
    return fwrite(p, 1, n, ud) == n ? OC_OK : OC_EIO;
}

static void on_violation(void *ud, const struct oc_violation *v)
{
    struct replay *r = ud;
    size_t n = oc_record_format(r->cfg, v, NULL, r->rec, sizeof r->rec);
    if (n == 0)
        r->write_failed = 1;
    else if (r->rev)
        rev_violation(r->rev, v, r->rec, n);
    else
        emit(r, r->rec, n);
    r->per[(size_t)v->camera * r->cfg->n_vtypes + (size_t)v->vtype]++;
    if (r->render)
        render_violation(r->render, v);
    if (r->tally && oc_tally_add(r->tally, v->camera, v->vtype, v->bucket) != OC_OK)
        r->tally_overflow++;
}

static void on_keep(void *ud, int camera, int64_t ts, int64_t until)
{
    struct replay *r = ud;
    if (r->rev)
        rev_keep(r->rev, camera, ts, until);
}

static void on_boxes(void *ud, int camera, const struct oc_detections *d)
{
    struct replay *r = ud;
    if (r->rev)
        rev_boxes(r->rev, camera, d);
}

static void on_frame(void *ud, int camera, int64_t ts, const void *data, size_t len, int is_b64)
{
    struct replay *r = ud;
    unsigned char *bytes = is_b64 ? malloc(oc_text_b64_max(len)) : NULL;
    size_t n = len;
    if (is_b64 && (!bytes || oc_text_b64_decode(data, len, bytes, &n) != OC_OK)) {
        free(bytes);
        return;
    }
    if (r->rev)
        rev_frame(r->rev, camera, ts, bytes ? bytes : data, n);
    if (r->render)
        render_frame(r->render, camera, ts, bytes ? bytes : data, n);
    free(bytes);
}

/* The bytes of a payload_file, at most 16 MiB (the frame limit). */
static unsigned char *load_file(const char *dir, const char *rel, size_t rel_len, size_t *len)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%.*s", dir, (int)rel_len, rel) >= (int)sizeof path)
        return NULL;
    return oc_io_read_file(path, OC_JPEG_MAX_BYTES, len);
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: ordercam-replay --config EDGE.json --log LOG.jsonl[.gz] [--out FILE|-]\n"
        "                       [--tallies FILE] [--evidence DIR] [--central-out DIR] [--quiet]\n"
        "       ordercam-replay --config EDGE.json --log LOG.jsonl[.gz] --publish HOST:PORT\n"
        "                       [--speed X] [--qos N] [--cafile CA.pem]\n"
        "  Runs the violation engine over an event log and writes violation records\n"
        "  as JSON Lines (default: stdout) and a summary table on stderr.\n"
        "  --tallies FILE  also write per-bucket counts as JSON Lines\n"
        "  --evidence DIR  compose an evidence JPEG per violation under DIR from the\n"
        "                  log's frames and name it in the record\n"
        "  --central-out DIR  also write DIR/violations.json and DIR/tallies.json, the\n"
        "                  bodies of central's POST /api/v1/violations and /tallies\n"
        "  --quiet         no summary table and no progress bar\n"
        "  --render DIR    annotated frames (the live view's drawing) as DIR/CAMERA/TS.jpg\n"
        "  --render-violations  with --render: only the frames within 2 s of a violation\n"
        "  --cameras A,B   with --render: these cameras only; --from MS, --to MS: camera\n"
        "                  time range (ms since the epoch, inclusive)\n"
        "  --publish       send the log's messages to an MQTT broker instead, at the\n"
        "                  recorded pace times --speed (default 1; 0 = as fast as possible)\n"
        "exit status: 0 done; 1 bad config, unreadable log or unwritable output; 2 usage\n");
}

/* The adapter's outputs, fed to the engine as ordercamd does. */
static void on_native(void *ud, const char *topic, size_t topic_len, const void *payload,
                      size_t len, const cJSON *json)
{
    struct replay *r = ud;
    if (json)
        r->native_cam = oc_engine_feed_json_topic(r->eng, topic, topic_len, json);
    else if (payload)
        r->native_cam = oc_engine_feed(r->eng, topic, topic_len, payload, len);
    else
        r->native_cam = oc_engine_feed_unloaded(r->eng, topic, topic_len);
}

static void on_detections(void *ud, int camera, const struct oc_detections *d)
{
    struct replay *r = ud;
    oc_engine_feed_detections(r->eng, camera, d);
}

static void on_adapt_frame(void *ud, int camera, int64_t ts, const void *jpeg, size_t len)
{
    struct replay *r = ud;
    oc_engine_feed_camera_frame(r->eng, camera, ts, jpeg, len);
}

static void on_drop(void *ud, int camera, enum oc_format f, enum oc_counter why)
{
    struct replay *r = ud;
    (void)camera;
    (void)f;
    oc_engine_count(r->eng, why);
}

static void on_end(void *ud, int camera, const char *id, int64_t ts)
{
    struct replay *r = ud;
    oc_engine_end_track(r->eng, camera, id, ts);
}

static int routed(struct replay *r, int cam)
{
    return cam == -2 ? r->native_cam : cam;
}

/* Only frames come from files in practice; their bytes are needed for
 * evidence only, so without --evidence the clock advances unread. */
static int feed_file(struct replay *r, const struct oc_log *log, const struct oc_log_msg *m)
{
    size_t n = 0;
    int want = r->rev || r->render;
    unsigned char *bytes = want ? load_file(oc_log_dir(log), m->text, m->text_len, &n) : NULL;
    if (!bytes && want)
        r->frame_unreadable++;
    int cam = oc_adapt_feed(r->adapt, m->topic, m->topic_len, bytes, n, m->ts);
    free(bytes);
    return routed(r, cam);
}

/* Feeds one log message through the adapter to the engine, which counts
 * whatever they drop. Returns the camera it concerned, or -1. */
static int feed(struct replay *r, const struct oc_log *log, const struct oc_log_msg *m)
{
    struct oc_engine *eng = r->eng;
    r->native_cam = -1;
    oc_adapt_tick(r->adapt, m->ts);
    if (m->kind == OC_LOG_JSON) {
        if (m->line_len > OC_JSON_MAX_BYTES + 4096) {
            oc_engine_count(eng, OC_C_DROP_TOO_LARGE);
            return -1;
        }
        return routed(r, oc_adapt_feed_json(r->adapt, m->topic, m->topic_len, m->json, m->ts));
    }
    if (m->kind == OC_LOG_TICK) {
        int cam = oc_engine_camera(eng, m->text, m->text_len);
        if (cam < 0)
            oc_engine_count(eng, OC_C_DROP_UNKNOWN_CAMERA);
        else
            oc_engine_tick(eng, cam, m->tick_ts);
        return cam;
    }
    if (m->kind == OC_LOG_FILE)
        return feed_file(r, log, m);
    unsigned char *bytes = malloc(oc_text_b64_max(m->text_len));
    size_t n = 0;
    if (!bytes || oc_text_b64_decode(m->text, m->text_len, bytes, &n) != OC_OK) {
        oc_engine_count(eng, OC_C_DROP_LOG_LINE);
        free(bytes);
        return -1;
    }
    int cam = oc_adapt_feed(r->adapt, m->topic, m->topic_len, bytes, n, m->ts);
    free(bytes);
    return routed(r, cam);
}

static void progress(struct oc_log *log, int done)
{
    uint64_t pos, total;
    oc_log_progress(log, &pos, &total);
    int pct = done ? 100 : total ? (int)(pos * 100 / total) : 0;
    if (pct > 100)
        pct = 100;
    char bar[41];
    memset(bar, '#', (size_t)(pct * 40 / 100));
    memset(bar + pct * 40 / 100, '.', (size_t)(40 - pct * 40 / 100));
    bar[40] = '\0';
    fprintf(stderr, "\rreplay [%s] %3d%%%s", bar, pct, done ? "\n" : "");
    fflush(stderr);
}

static void summary(const struct replay *r, const struct oc_engine *eng, unsigned long bad_lines)
{
    const struct oc_config *cfg = r->cfg;
    uint64_t total = 0;
    fprintf(stderr, "%-24s %-26s %8s\n", "camera", "type", "count");
    for (size_t c = 0; c < cfg->n_cameras; c++)
        for (size_t t = 0; t < cfg->n_vtypes; t++) {
            uint64_t n = r->per[c * cfg->n_vtypes + t];
            if (!n)
                continue;
            total += n;
            fprintf(stderr, "%-24s %-26s %8" PRIu64 "\n", cfg->cameras[c].id, cfg->vtypes[t].name,
                    n);
        }
    fprintf(stderr, "%-24s %-26s %8" PRIu64 "\n", "total", "", total);
    fprintf(stderr,
            "messages: %" PRIu64 " detections, %" PRIu64 " events, %" PRIu64 " frames, %" PRIu64
            " signals; %" PRIu64 " objects\n",
            oc_engine_counter(eng, OC_C_MSG_DETECTIONS), oc_engine_counter(eng, OC_C_MSG_EVENTS),
            oc_engine_counter(eng, OC_C_MSG_FRAMES), oc_engine_counter(eng, OC_C_MSG_SIGNALS),
            oc_engine_counter(eng, OC_C_OBJECTS));
    if (bad_lines)
        fprintf(stderr, "malformed log lines: %lu\n", bad_lines);
    for (int c = OC_C_DROP_BAD_TOPIC; c < OC_C__COUNT; c++) {
        uint64_t n = oc_engine_counter(eng, (enum oc_counter)c);
        if (n && c != OC_C_TRACKS_STARTED && c != OC_C_TRACKS_ENDED && c != OC_C_VIOLATIONS)
            fprintf(stderr, "  %-28s %8" PRIu64 "  (%s)\n", oc_counter_name((enum oc_counter)c), n,
                    oc_counter_doc((enum oc_counter)c));
    }
    if (r->tally_overflow)
        fprintf(stderr, "tally rows beyond the limit, not written: %" PRIu64 "\n",
                r->tally_overflow);
}

/* The body of POST /api/v1/tallies: absolute counts and camera places.
 * A row's rev is its count: what the daemon's spool would give the row
 * after the same violations (one change per violation). */
static int write_central_tallies(struct replay *r, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tallies.json", dir);
    const struct oc_config *cfg = r->cfg;
    struct oc_wire_camera *cams = calloc(cfg->n_cameras + 1, sizeof *cams);
    for (size_t c = 0; cams && c < cfg->n_cameras; c++)
        cams[c] = (struct oc_wire_camera){cfg->cameras[c].id, cfg->cameras[c].location,
                                          cfg->cameras[c].road, cfg->cameras[c].unit};
    char *cams_json = cams ? oc_wire_cameras_json(cams, cfg->n_cameras) : NULL;
    free(cams);
    FILE *f = cams_json ? fopen(path, "w") : NULL;
    if (!f) {
        free(cams_json);
        return -1;
    }
    struct oc_wire w = {.write = file_write, .ud = f};
    oc_wire_tallies_begin(&w, cfg->box_id, OC_VERSION, -1, cams_json);
    free(cams_json);
    size_t n;
    const struct oc_tally_row *rows = oc_tally_rows(r->tally, &n);
    for (size_t i = 0; i < n; i++) {
        struct oc_wire_tally t = {cfg->cameras[rows[i].camera].id, cfg->vtypes[rows[i].vtype].name,
                                  rows[i].bucket, (int64_t)rows[i].count, (int64_t)rows[i].count};
        oc_wire_tally(&w, &t);
    }
    int bad = oc_wire_tallies_end(&w) != OC_OK || fputs("\n", f) < 0 || ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

static int write_tallies(struct replay *r, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f)
        return -1;
    size_t n;
    const struct oc_tally_row *rows = oc_tally_rows(r->tally, &n);
    for (size_t i = 0; i < n; i++)
        fprintf(f,
                "{\"box\":\"%s\",\"camera\":\"%s\",\"type\":\"%s\",\"bucket\":%" PRId64
                ",\"count\":%" PRIu64 "}\n",
                r->cfg->box_id, r->cfg->cameras[rows[i].camera].id,
                r->cfg->vtypes[rows[i].vtype].name, rows[i].bucket, rows[i].count);
    int bad = ferror(f);
    if (f != stdout && fclose(f) != 0)
        bad = 1;
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"log", required_argument, NULL, 'l'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"tallies", required_argument, NULL, 't'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {"publish", required_argument, NULL, 'p'},
                                         {"speed", required_argument, NULL, 's'},
                                         {"qos", required_argument, NULL, 'Q'},
                                         {"cafile", required_argument, NULL, 'C'},
                                         {"central-out", required_argument, NULL, 'X'},
                                         {"evidence", required_argument, NULL, 'E'},
                                         {"render", required_argument, NULL, 'R'},
                                         {"render-violations", no_argument, NULL, 'W'},
                                         {"cameras", required_argument, NULL, 'K'},
                                         {"from", required_argument, NULL, 'F'},
                                         {"to", required_argument, NULL, 'T'},
                                         {NULL, 0, NULL, 0}};
    struct render_opts ro = {0};
    const char *config = NULL, *logpath = NULL, *outpath = "-", *tallies = NULL, *publish = NULL;
    const char *central_dir = NULL, *evidence_dir = NULL;
    struct oc_publish_opts po = {.speed = 1, .qos = 1};
    int quiet = 0, ch;
    while ((ch = getopt_long(argc, argv, "c:l:o:t:qhVp:s:Q:C:X:E:R:WK:F:T:", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': config = optarg; break;
        case 'l': logpath = optarg; break;
        case 'o': outpath = optarg; break;
        case 't': tallies = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("ordercam-replay %s\n", OC_VERSION); return 0;
        case 'p': publish = optarg; break;
        case 's': po.speed = atof(optarg); break;
        case 'Q': po.qos = atoi(optarg); break;
        case 'C': po.cafile = optarg; break;
        case 'X': central_dir = optarg; break;
        case 'E': evidence_dir = optarg; break;
        case 'R': ro.dir = optarg; break;
        case 'W': ro.violations_only = 1; break;
        case 'K': ro.cameras = optarg; break;
        case 'F': ro.from = strtoll(optarg, NULL, 10); break;
        case 'T': ro.to = strtoll(optarg, NULL, 10); break;
        default: usage(stderr); return 2;
        }
    }
    if (!config || !logpath || optind != argc ||
        (!ro.dir && (ro.violations_only || ro.cameras || ro.from || ro.to))) {
        usage(stderr);
        return 2;
    }
    char err[768];
    /* the whole file is validated as ordercamd --check does; replay reads
     * the scene and the evidence settings */
    struct oc_ecfg *ecfg = oc_ecfg_load(config, err, sizeof err);
    if (!ecfg) {
        fprintf(stderr, "ordercam-replay: %s\n", err);
        return 1;
    }
    const struct oc_config *cfg = ecfg->scene;
    if (publish) {
        char host[256];
        snprintf(host, sizeof host, "%s", publish);
        char *colon = strrchr(host, ':');
        if (!colon || po.speed < 0 || po.qos < 0 || po.qos > 2) {
            usage(stderr);
            oc_ecfg_free(ecfg);
            return 2;
        }
        *colon = '\0';
        po.host = host;
        po.port = atoi(colon + 1);
        po.prefix = cfg->topic_prefix;
        int prc = oc_publish_log(logpath, &po, stderr);
        oc_ecfg_free(ecfg);
        return prc;
    }
    struct oc_log *log = oc_log_open(logpath);
    if (!log) {
        fprintf(stderr, "ordercam-replay: %s: %s\n", logpath, strerror(errno));
        oc_ecfg_free(ecfg);
        return 1;
    }
    struct replay r = {.cfg = cfg};
    struct oc_engine *eng = NULL;
    int rc = 0;
    r.out = strcmp(outpath, "-") == 0 ? stdout : fopen(outpath, "w");
    r.per = calloc(cfg->n_cameras * cfg->n_vtypes, sizeof *r.per);
    r.tally = tallies || central_dir ? oc_tally_new(TALLY_MAX_ROWS) : NULL;
    if (central_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/violations.json", central_dir);
        r.central = fopen(path, "w");
        if (!r.central) {
            fprintf(stderr, "ordercam-replay: %s: %s\n", path, strerror(errno));
            rc = 1;
            goto done;
        }
        r.central_w = (struct oc_wire){.write = file_write, .ud = r.central};
        oc_wire_violations_begin(&r.central_w, cfg->box_id);
    }
    if (evidence_dir) {
        r.rev = rev_new(cfg, &ecfg->evidence, evidence_dir, emit, &r, err, sizeof err);
        if (!r.rev) {
            fprintf(stderr, "ordercam-replay: evidence: %s\n", err);
            rc = 1;
            goto done;
        }
    }
    if (ro.dir) {
        ro.font = ecfg->evidence.font;
        ro.quality = ecfg->evidence.quality;
        if (!(r.render = render_new(cfg, &ro, err, sizeof err))) {
            fprintf(stderr, "ordercam-replay: render: %s\n", err);
            rc = 1;
            goto done;
        }
    }
    static const struct oc_engine_sink sink = {.violation = on_violation};
    static const struct oc_engine_sink sink_ev = {
        .violation = on_violation, .frame = on_frame, .keep = on_keep, .detections = on_boxes};
    static const struct oc_adapt_sink asink = {.native = on_native,
                                               .detections = on_detections,
                                               .frame = on_adapt_frame,
                                               .end = on_end,
                                               .drop = on_drop};
    eng = oc_engine_new(cfg, r.rev || r.render ? &sink_ev : &sink, &r);
    r.eng = eng;
    r.adapt = oc_adapt_new(cfg, &asink, &r);
    if (!r.out || !r.per || !eng || !r.adapt || ((tallies || central_dir) && !r.tally)) {
        fprintf(stderr, "ordercam-replay: %s\n", !r.out ? strerror(errno) : "out of memory");
        rc = 1;
        goto done;
    }
    static char outbuf[1 << 16];
    setvbuf(r.out, outbuf, _IOFBF, sizeof outbuf);
    uint64_t fsize, pos;
    oc_log_progress(log, &pos, &fsize);
    int bar = !quiet && isatty(STDERR_FILENO) && fsize > (8u << 20);
    unsigned long bad_lines = 0, n = 0;
    struct oc_log_msg m;
    const char *why;
    oc_err_t e;
    while ((e = oc_log_next(log, &m, &why)) != OC_ENOTFOUND) {
        if (e == OC_EIO) {
            fprintf(stderr, "ordercam-replay: %s: read error at line %lu\n", logpath, m.line);
            rc = 1;
            break;
        }
        if (e == OC_EPARSE) {
            if (bad_lines++ < 10)
                fprintf(stderr, "ordercam-replay: %s:%lu: %s\n", logpath, m.line, why);
            oc_engine_count(eng, OC_C_DROP_LOG_LINE);
            continue;
        }
        oc_engine_set_received(eng, m.ts); /* the line's ts: when it was received */
        int cam = feed(&r, log, &m);
        if (r.render)
            render_step(r.render, eng);
        int64_t clock;
        if (r.rev && cam >= 0 && oc_engine_clock(eng, cam, &clock))
            rev_clock(r.rev, cam, clock);
        if (bar && (++n & 0xFFFF) == 0)
            progress(log, 0);
    }
    oc_adapt_flush(r.adapt);
    oc_engine_finish(eng);
    if (r.rev)
        rev_finish(r.rev);
    if (bar)
        progress(log, 1);
    if (fflush(r.out) != 0 || ferror(r.out) || r.write_failed) {
        fprintf(stderr, "ordercam-replay: %s: write failed\n", outpath);
        rc = 1;
    }
    if (r.central) {
        int bad = oc_wire_violations_end(&r.central_w) != OC_OK || fputs("\n", r.central) < 0;
        bad |= fclose(r.central) != 0;
        r.central = NULL;
        bad = bad || write_central_tallies(&r, central_dir) != 0;
        if (bad) {
            fprintf(stderr, "ordercam-replay: %s: cannot write central bodies\n", central_dir);
            rc = 1;
        }
    }
    if (tallies && write_tallies(&r, tallies) != 0) {
        fprintf(stderr, "ordercam-replay: %s: cannot write tallies\n", tallies);
        rc = 1;
    }
    if (!quiet)
        summary(&r, eng, bad_lines);
    if (r.rev && rev_report(r.rev, quiet ? NULL : stderr)) {
        fprintf(stderr, "ordercam-replay: %s: evidence files could not be written\n", evidence_dir);
        rc = 1;
    }
    if (r.render && render_report(r.render, quiet ? NULL : stderr)) {
        fprintf(stderr, "ordercam-replay: %s: annotated frames could not be written\n", ro.dir);
        rc = 1;
    }
    if (r.frame_unreadable)
        fprintf(stderr,
                "ordercam-replay: %" PRIu64
                " frame files could not be read (no evidence from them)\n",
                r.frame_unreadable);
done:
    if (r.central)
        fclose(r.central);
    if (r.out && r.out != stdout)
        fclose(r.out);
    oc_adapt_free(r.adapt);
    oc_engine_free(eng);
    rev_free(r.rev);
    render_free(r.render);
    oc_tally_free(r.tally);
    free(r.per);
    oc_log_close(log);
    oc_ecfg_free(ecfg);
    return rc;
}
