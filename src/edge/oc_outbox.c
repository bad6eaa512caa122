/* The outbox (see oc_outbox.h). */
#include "oc_outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ordercam/oc_io.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"

/* A violation the spool could not take (disk full): kept, in order, and
 * written as soon as the spool takes writes again. */
struct held {
    struct held *next;
    char camera[72], type[72], id[OC_OUTBOX_ID_MAX];
    uint64_t seq;
    int64_t ts, bucket;
    char record[];
};

struct oc_outbox {
    const struct oc_dlog *log;
    struct oc_dcounters *dc;
    struct oc_spool *spool;
    struct oc_uplink *uplink;
    char *spool_dir, *evidence_dir;
    int spool_max_mb;
    int vfd;
    uint64_t *next; /* per camera: first seq not in the violations file */
    struct held *held, *held_tail;
    size_t n_held;
    uint64_t ev_bytes; /* images on disk, for spool.max_mb */
    int over_limit_logged;
    char rec[OC_RECORD_MAX];
};

/* The camera and seq of one violations.jsonl line, by its record id. */
static void note_line(struct oc_outbox *ob, const struct oc_config *cfg, const char *line,
                      size_t len)
{
    cJSON *j = NULL;
    if (oc_json_parse(line, len, OC_RECORD_MAX, OC_JSON_MAX_DEPTH, &j, NULL) != OC_JSON_OK)
        return;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    struct oc_record_id rid;
    if (cJSON_IsString(id) && oc_record_id_parse(id->valuestring, &rid) == 0) {
        int cam = oc_config_camera(cfg, rid.camera, strlen(rid.camera));
        if (cam >= 0 && rid.seq + 1 > ob->next[cam])
            ob->next[cam] = rid.seq + 1;
    }
    cJSON_Delete(j);
}

/* A spooled record missing from violations.jsonl, appended to it. */
static void copy_line(void *ud, uint64_t seq, const char *record)
{
    struct oc_outbox *ob = ud;
    (void)seq;
    if (oc_io_write_all(ob->vfd, record, strlen(record)) != 0 ||
        oc_io_write_all(ob->vfd, "\n", 1) != 0)
        oc_dcount(ob->dc, OC_D_WRITE_ERR, 1);
    else
        oc_dcount(ob->dc, OC_D_COPY_MENDED, 1);
}

/* Reads violations.jsonl: the next seq per camera, and cuts a last line
 * that a crash left half written. */
static int open_violations(struct oc_outbox *ob, const struct oc_config *cfg)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/violations.jsonl", ob->spool_dir);
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
            note_line(ob, cfg, line, (size_t)n - 1);
        }
        free(line);
        fclose(f);
        if (truncate(path, good) != 0 && errno != ENOENT)
            return -1;
    }
    ob->vfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (ob->vfd < 0)
        return -1;
    /* A crash between the spool's commit and the copy's write left records
     * in the spool only: the copy gets them now (the engine will not make
     * them again: their seqs are taken). */
    for (size_t c = 0; c < cfg->n_cameras; c++) {
        oc_spool_records_from(ob->spool, cfg->cameras[c].id, ob->next[c], copy_line, ob);
        uint64_t n = oc_spool_next_seq(ob->spool, cfg->cameras[c].id);
        if (n > ob->next[c])
            ob->next[c] = n;
    }
    return 0;
}

struct oc_outbox *oc_outbox_open(const struct oc_outbox_opts *o, const struct oc_config *cfg)
{
    struct oc_outbox *ob = calloc(1, sizeof *ob);
    if (!ob)
        return NULL;
    ob->log = o->log;
    ob->dc = o->dc;
    ob->spool = o->spool;
    ob->spool_max_mb = o->spool_max_mb;
    ob->vfd = -1;
    ob->spool_dir = strdup(o->spool_dir);
    ob->evidence_dir = o->evidence_dir ? strdup(o->evidence_dir) : NULL;
    ob->next = calloc(cfg->n_cameras + 1, sizeof *ob->next);
    if (!ob->spool_dir || (o->evidence_dir && !ob->evidence_dir) || !ob->next) {
        oc_outbox_close(ob);
        errno = ENOMEM;
        return NULL;
    }
    if (open_violations(ob, cfg) != 0) {
        int e = errno;
        oc_outbox_close(ob);
        errno = e;
        return NULL;
    }
    return ob;
}

void oc_outbox_close(struct oc_outbox *ob)
{
    if (!ob)
        return;
    if (ob->vfd >= 0) {
        fsync(ob->vfd);
        close(ob->vfd);
    }
    for (struct held *h = ob->held, *next; h; h = next) {
        next = h->next;
        free(h);
    }
    free(ob->next);
    free(ob->spool_dir);
    free(ob->evidence_dir);
    free(ob);
}

void oc_outbox_set_uplink(struct oc_outbox *ob, struct oc_uplink *up)
{
    ob->uplink = up;
}

void oc_outbox_set_limit(struct oc_outbox *ob, int spool_max_mb)
{
    ob->spool_max_mb = spool_max_mb;
}

uint64_t oc_outbox_next_seq(const struct oc_outbox *ob, int camera)
{
    return ob->next[camera];
}

void oc_outbox_set_next(struct oc_outbox *ob, uint64_t *next)
{
    free(ob->next);
    ob->next = next;
}

size_t oc_outbox_held(const struct oc_outbox *ob)
{
    return ob->n_held;
}

uint64_t oc_outbox_evidence_bytes(const struct oc_outbox *ob)
{
    return ob->ev_bytes;
}

void oc_outbox_sync(struct oc_outbox *ob)
{
    fsync(ob->vfd);
}

void oc_outbox_flush_held(struct oc_outbox *ob)
{
    size_t before = ob->n_held;
    while (ob->held) {
        struct held *h = ob->held;
        if (oc_spool_add(ob->spool, h->camera, h->seq, h->id, h->ts, h->type, h->bucket, h->record,
                         0) != OC_OK)
            break;
        ob->held = h->next;
        if (!ob->held)
            ob->held_tail = NULL;
        ob->n_held--;
        free(h);
    }
    if (before && !ob->n_held) {
        oc_dlog(ob->log, OC_LOG_NOTICE, "spool writable again: %zu held violations stored", before);
        oc_uplink_poke(ob->uplink);
    }
}

static enum oc_outbox_result hold(struct oc_outbox *ob, const struct oc_violation *v,
                                  const char *id, const char *record)
{
    if (ob->n_held >= OC_OUTBOX_HELD_MAX) {
        oc_dcount(ob->dc, OC_D_LOST_DISK_FULL, 1);
        oc_dlog(ob->log, OC_LOG_CRIT, "spool unwritable and %d violations held: %s lost",
                OC_OUTBOX_HELD_MAX, id);
        return OC_OUTBOX_LOST;
    }
    size_t len = strlen(record) + 1;
    struct held *h = calloc(1, sizeof *h + len);
    if (!h) {
        oc_dcount(ob->dc, OC_D_LOST_DISK_FULL, 1);
        oc_dlog(ob->log, OC_LOG_CRIT, "out of memory holding %s: lost", id);
        return OC_OUTBOX_LOST;
    }
    if (!ob->n_held)
        oc_dlog(ob->log, OC_LOG_ERR,
                "cannot write the spool (disk full?): holding violations "
                "in memory, counting goes on");
    snprintf(h->camera, sizeof h->camera, "%s", v->camera_id);
    snprintf(h->type, sizeof h->type, "%s", v->type);
    snprintf(h->id, sizeof h->id, "%s", id);
    h->seq = v->seq;
    h->ts = v->ts;
    h->bucket = v->bucket;
    memcpy(h->record, record, len);
    if (ob->held_tail)
        ob->held_tail->next = h;
    else
        ob->held = h;
    ob->held_tail = h;
    ob->n_held++;
    return OC_OUTBOX_HELD;
}

enum oc_outbox_result oc_outbox_put(struct oc_outbox *ob, const struct oc_config *cfg,
                                    const struct oc_violation *v, int ev_wait, char *id)
{
    if (v->seq < ob->next[v->camera]) {
        oc_dcount(ob->dc, OC_D_SUPPRESSED, 1); /* written before a crash */
        return OC_OUTBOX_SUPPRESSED;
    }
    _Static_assert(OC_OUTBOX_ID_MAX > OC_RECORD_ID_MAX, "every record id fits");
    oc_record_id_format(id, OC_OUTBOX_ID_MAX, cfg->box_id, v->camera_id, v->seq);
    size_t n = oc_record_format(cfg, v, NULL, ob->rec, sizeof ob->rec);
    if (n == 0) {
        oc_dcount(ob->dc, OC_D_WRITE_ERR, 1);
        oc_dlog(ob->log, OC_LOG_CRIT, "record %s does not fit %d bytes: lost", id, OC_RECORD_MAX);
        return OC_OUTBOX_LOST;
    }
    /* the spool is the record (kept without the newline); violations.jsonl
     * a copy for people */
    ob->rec[n - 1] = '\0';
    enum oc_outbox_result r;
    if (!ob->held && oc_spool_add(ob->spool, v->camera_id, v->seq, id, v->ts, v->type, v->bucket,
                                  ob->rec, ev_wait) == OC_OK) {
        oc_uplink_poke(ob->uplink);
        r = OC_OUTBOX_SPOOLED;
    } else {
        r = hold(ob, v, id, ob->rec);
    }
    ob->rec[n - 1] = '\n';
    if (oc_io_write_all(ob->vfd, ob->rec, n) != 0)
        oc_dcount(ob->dc, OC_D_WRITE_ERR, 1);
    ob->next[v->camera] = v->seq + 1;
    return r;
}

/* ---------------- evidence ---------------- */

void oc_outbox_evidence_none(struct oc_outbox *ob, const char *id)
{
    if (oc_spool_evidence(ob->spool, id, NULL, 0) != OC_OK)
        oc_dlog(ob->log, OC_LOG_ERR, "spool: cannot settle the evidence of %s", id);
}

void oc_outbox_evidence_done(struct oc_outbox *ob, const char *id,
                             const struct oc_evidence_job *job, oc_err_t e, int errno_,
                             const struct oc_evbuild_result *res)
{
    struct oc_record_evidence ev = {job->file,   res->sha256,
                                    res->frames, res->n_frames,
                                    0,           res->public_size ? res->public_sha256 : NULL};
    if (e != OC_OK) {
        oc_dcount(ob->dc, e == OC_ENOTFOUND ? OC_D_EV_NO_FRAME : OC_D_EV_FAILED, 1);
        if (e != OC_ENOTFOUND)
            oc_dlog(ob->log, OC_LOG_ERR, "evidence for %s not written: %s", id, strerror(errno_));
    } else {
        ob->ev_bytes += res->size + res->public_size; /* both files go together */
    }
    if (oc_spool_evidence(ob->spool, id, e == OC_OK ? &ev : NULL,
                          e == OC_OK ? (int64_t)(res->size + res->public_size) : 0) != OC_OK)
        oc_dlog(ob->log, OC_LOG_ERR, "spool: cannot record the evidence of %s", id);
}

struct settle_ctx {
    struct oc_outbox *ob;
    const char *box_id;
};

/* An image the last run wrote but did not get to record: nothing refers
 * to it, so it would never be sent or evicted. */
static void remove_unrecorded_image(void *ud, const char *camera, uint64_t seq, int64_t ts)
{
    struct settle_ctx *c = ud;
    char file[OC_EVIDENCE_FILE_MAX], path[PATH_MAX];
    if (oc_evidence_file_name(c->box_id, camera, seq, ts, file, sizeof file) != 0)
        return;
    snprintf(path, sizeof path, "%s/%s", c->ob->evidence_dir, file);
    if (unlink(path) == 0)
        oc_dlog(c->ob->log, OC_LOG_NOTICE,
                "removed %s: written just before the last stop but never recorded", file);
    char pub[OC_EVIDENCE_FILE_MAX]; /* written before the private one */
    if (oc_evidence_public_name(file, pub, sizeof pub) == 0) {
        snprintf(path, sizeof path, "%s/%s", c->ob->evidence_dir, pub);
        unlink(path);
    }
}

uint64_t oc_outbox_settle_waiting(struct oc_outbox *ob, const char *box_id)
{
    struct settle_ctx c = {ob, box_id};
    uint64_t lost = oc_spool_settle_waiting(ob->spool, remove_unrecorded_image, &c);
    if (lost) {
        oc_dcount(ob->dc, OC_D_EV_LOST_RESTART, lost);
        oc_dlog(ob->log, OC_LOG_WARNING,
                "%" PRIu64 " violations were waiting for evidence when the last run stopped: "
                "recorded without",
                lost);
    }
    ob->ev_bytes = oc_spool_evidence_bytes(ob->spool);
    return lost;
}

static uint64_t file_size(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

void oc_outbox_enforce_limit(struct oc_outbox *ob)
{
    if (!ob->evidence_dir)
        return;
    uint64_t limit = (uint64_t)ob->spool_max_mb << 20;
    uint64_t db =
        file_size(ob->spool_dir, "spool.sqlite") + file_size(ob->spool_dir, "spool.sqlite-wal");
    char id[OC_OUTBOX_ID_MAX], file[OC_EVIDENCE_FILE_MAX], path[PATH_MAX];
    uint64_t size;
    while (db + ob->ev_bytes > limit) {
        if (oc_spool_evidence_oldest(ob->spool, id, sizeof id, file, sizeof file, &size) != OC_OK) {
            if (!ob->over_limit_logged)
                oc_dlog(ob->log, OC_LOG_ERR,
                        "spool over spool.max_mb (%d MB) with no image left to evict: records "
                        "and tallies are kept regardless",
                        ob->spool_max_mb);
            ob->over_limit_logged = 1;
            oc_dcount(ob->dc, OC_D_EV_OVER_LIMIT, 1);
            return;
        }
        snprintf(path, sizeof path, "%s/%s", ob->evidence_dir, file);
        if (unlink(path) != 0 && errno != ENOENT) {
            oc_dlog(ob->log, OC_LOG_ERR, "cannot evict %s: %s", path, strerror(errno));
            return;
        }
        /* the public variant, when there is one, goes with it */
        char pub[OC_EVIDENCE_FILE_MAX];
        if (oc_evidence_public_name(file, pub, sizeof pub) == 0) {
            snprintf(path, sizeof path, "%s/%s", ob->evidence_dir, pub);
            unlink(path);
        }
        if (oc_spool_evidence_evicted(ob->spool, id) != OC_OK)
            return;
        ob->ev_bytes = ob->ev_bytes > size ? ob->ev_bytes - size : 0;
        oc_dcount(ob->dc, OC_D_EV_EVICTED, 1);
        oc_dlog(ob->log, OC_LOG_INFO, "evicted %s for spool.max_mb", file);
    }
    ob->over_limit_logged = 0;
}
