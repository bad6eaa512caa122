#include "ordercam/oc_evidence.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ordercam/oc_class.h"
#include "ordercam/oc_codes.h"
#include "ordercam/oc_record.h"

struct held {
    struct held *next;
    void *tag;
    int camera;
    int64_t due;
    size_t n_keys;
    int64_t key_ts[OC_KEYS_MAX];
    double key_box[OC_KEYS_MAX][4];
    int has_lamp; /* a signal decided it: lamps on the cells */
    enum oc_sig_state key_sig[OC_KEYS_MAX];
    int64_t key_sig_ms[OC_KEYS_MAX];
    char file[OC_EVIDENCE_FILE_MAX];
    char *caption[2];
    char *public_caption[2]; /* NULL: no public variant */
    int public_face;
    uint64_t track_hash; /* the offender's id among the frames' detections */
};

struct oc_evidence {
    const struct oc_config *cfg;
    const struct oc_codes *codes; /* set's, borrowed; NULL: captions name the type identifier */
    int64_t tolerance_ms;
    oc_evidence_ready_fn ready;
    void *ud;
    struct oc_ring *ring;
    struct oc_boxring *boxes; /* NULL unless the public variant is made */
    struct held **head;       /* per camera, in the order established */
    struct oc_evidence_stats st;
};

void oc_evidence_job_free(struct oc_evidence_job *job)
{
    if (!job)
        return;
    free(job->caption[0]);
    free(job->caption[1]);
    free(job->public_caption[0]);
    free(job->public_caption[1]);
    free(job);
}

struct oc_evidence *oc_evidence_new(const struct oc_config *cfg, const struct oc_evidence_cfg *set,
                                    oc_evidence_ready_fn ready, void *ud)
{
    struct oc_evidence *ev = calloc(1, sizeof *ev);
    if (!ev)
        return NULL;
    ev->cfg = cfg;
    ev->codes = set->codes;
    ev->tolerance_ms = set->tolerance_ms;
    ev->ready = ready;
    ev->ud = ud;
    ev->head = calloc(cfg->n_cameras + 1, sizeof *ev->head);
    ev->ring =
        oc_ring_new(cfg->n_cameras, (int64_t)set->ring_s * 1000, (size_t)set->ring_max_mb << 20);
    if (set->public_ && !(ev->boxes = oc_boxring_new(cfg->n_cameras)))
        ev->ring = (oc_ring_free(ev->ring), NULL);
    if (!ev->head || !ev->ring) {
        oc_evidence_free(ev);
        return NULL;
    }
    return ev;
}

static void held_free(struct held *h)
{
    free(h->caption[0]);
    free(h->caption[1]);
    free(h->public_caption[0]);
    free(h->public_caption[1]);
    free(h);
}

void oc_evidence_free(struct oc_evidence *ev)
{
    if (!ev)
        return;
    for (size_t c = 0; ev->head && c < ev->cfg->n_cameras; c++)
        for (struct held *h = ev->head[c], *next; h; h = next) {
            next = h->next;
            held_free(h);
        }
    free(ev->head);
    oc_ring_free(ev->ring);
    oc_boxring_free(ev->boxes);
    free(ev);
}

void oc_evidence_local_time(int64_t ms, char *buf, size_t len, int with_date)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char hms[24];
    if (strftime(hms, sizeof hms, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm) == 0)
        hms[0] = '\0';
    unsigned ms3 = (unsigned)(ms - (int64_t)t * 1000) % 1000u;
    if (!with_date) {
        snprintf(buf, len, "%s.%03u", hms, ms3);
        return;
    }
    unsigned off = (unsigned)(tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff) / 60 % 1440u;
    snprintf(buf, len, "%s.%03u UTC%c%02u:%02u", hms, ms3, tm.tm_gmtoff < 0 ? '-' : '+', off / 60,
             off % 60);
}

__attribute__((format(printf, 1, 2))) static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* The caption band's two lines and the file name, made now while the
 * violation's strings are valid. */
static int describe(const struct oc_evidence *ev, const struct oc_violation *v, struct held *h)
{
    const char *box = ev->cfg->box_id;
    char when[64];
    oc_evidence_local_time(v->ts, when, sizeof when, 1);
    /* people read the offence's short name; the record keeps the type */
    const struct oc_code_entry *ce = oc_codes_lookup(ev->codes, v->type, v->code);
    /* a red crossing: when the red began and how long after it the line
     * was crossed */
    char red[96] = "";
    if (v->signal && v->signal_state == OC_SIG_RED && v->red_elapsed_ms >= 0) {
        char onset[40];
        oc_evidence_local_time(v->ts_start - v->red_elapsed_ms, onset, sizeof onset, 0);
        snprintf(red, sizeof red, "   红灯始 %s  过线 +%lld.%01lld s", onset,
                 (long long)(v->red_elapsed_ms / 1000),
                 (long long)(v->red_elapsed_ms % 1000 / 100));
    }
    h->caption[0] = dup_printf("%s   %s%s%s   %s   %s%s", when, ce ? ce->short_name : v->type,
                               v->code ? " " : "", v->code ? v->code : "",
                               v->plate ? v->plate : "no plate", v->cls ? v->cls : "", red);
    if (ev->boxes) {
        char masked[OC_PLATE_MAX * 2 + 8];
        oc_evidence_mask_plate(v->plate, masked, sizeof masked);
        h->public_caption[0] = dup_printf(
            "%s   %s%s%s   %s   %s%s", when, ce ? ce->short_name : v->type, v->code ? " " : "",
            v->code ? v->code : "", v->plate ? masked : "no plate", v->cls ? v->cls : "", red);
        /* the record id stays off the public sheet */
        h->public_caption[1] =
            dup_printf("%s · %s · %s", box, v->camera_id, v->location ? v->location : "");
        if (!h->public_caption[0] || !h->public_caption[1])
            return -1;
    }
    char id[OC_RECORD_ID_MAX + 1];
    if (oc_record_id_format(id, sizeof id, box, v->camera_id, v->seq) == 0)
        return -1;
    h->caption[1] =
        dup_printf("%s · %s · %s · %s", box, v->camera_id, v->location ? v->location : "", id);
    int named = oc_evidence_file_name(box, v->camera_id, v->seq, v->ts, h->file, sizeof h->file);
    return h->caption[0] && h->caption[1] && named == 0 ? 0 : -1;
}

void oc_evidence_mask_plate(const char *plate, char *buf, size_t len)
{
    if (len == 0)
        return;
    buf[0] = '\0';
    if (!plate)
        return;
    size_t n = 0; /* characters */
    for (const unsigned char *p = (const unsigned char *)plate; *p; p++)
        n += (*p & 0xC0) != 0x80;
    size_t keep_head = n >= 7 ? 3 : n / 4, keep_tail = n >= 7 ? 2 : n / 4, k = 0, o = 0;
    for (const unsigned char *p = (const unsigned char *)plate; *p;) {
        size_t cl = 1;
        while (p[cl] && (p[cl] & 0xC0) == 0x80)
            cl++;
        int keep = k < keep_head || k >= n - keep_tail;
        size_t w = keep ? cl : 1;
        if (o + w + 1 > len)
            break;
        if (keep)
            memcpy(buf + o, p, cl);
        else
            buf[o] = '*';
        o += w;
        p += cl;
        k++;
    }
    buf[o] = '\0';
}

int oc_evidence_public_name(const char *file, char *buf, size_t len)
{
    size_t n = strlen(file);
    if (n < 4 || strcmp(file + n - 4, ".jpg") != 0)
        return -1;
    int w = snprintf(buf, len, "%.*s.public.jpg", (int)(n - 4), file);
    return w > 0 && (size_t)w < len ? 0 : -1;
}

int oc_evidence_file_name(const char *box, const char *camera, uint64_t seq, int64_t ts, char *buf,
                          size_t len)
{
    time_t t = (time_t)(ts / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char day[16];
    strftime(day, sizeof day, "%Y%m%d", &tm);
    int n = snprintf(buf, len, "%s/%s-%s-%" PRIu64 ".jpg", day, box, camera, seq);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* The frame's other objects: every box of the detections at its time but
 * the offender's (its tracker id, or exactly its key box when ids are not
 * sent). Unknown when those detections are gone or lost objects. */
static void bystanders(struct oc_evidence *ev, const struct held *h, struct oc_compose_frame *f,
                       double (*out)[4])
{
    const struct oc_boxring_obj *objs;
    int64_t at;
    int n = oc_boxring_at(ev->boxes, h->camera, f->ts, OC_EVIDENCE_BOXES_TOL_MS, &objs, &at);
    f->others = (const double(*)[4])out;
    f->n_others = 0;
    f->others_unknown = n < 0;
    if (n < 0) {
        ev->st.boxes_unknown++;
        return;
    }
    for (int k = 0; k < n; k++) {
        const double *b = objs[k].box;
        int same_box = fabs(b[0] - f->box[0]) < 0.5 && fabs(b[1] - f->box[1]) < 0.5 &&
                       fabs(b[2] - f->box[2]) < 0.5 && fabs(b[3] - f->box[3]) < 0.5;
        if ((h->track_hash && objs[k].id_hash == h->track_hash) || same_box)
            continue;
        memcpy(out[f->n_others++], b, sizeof out[0]);
    }
}

/* Copies the frames nearest to the key moments into one allocation. */
static struct oc_evidence_job *gather(struct oc_evidence *ev, struct held *h)
{
    const void *src[OC_KEYS_MAX];
    size_t len[OC_KEYS_MAX], n = 0, total = 0;
    int64_t fts[OC_KEYS_MAX];
    size_t key[OC_KEYS_MAX];
    int64_t tol = ev->tolerance_ms;
    for (size_t k = 0; k < h->n_keys; k++) {
        const void *p = oc_ring_nearest(ev->ring, h->camera, h->key_ts[k], tol, &len[n], &fts[n]);
        if (!p || (n > 0 && fts[n - 1] == fts[n]))
            continue; /* none near, or the same frame as the previous key */
        src[n] = p;
        key[n] = k;
        total += len[n++];
    }
    if (n == 0)
        return NULL;
    size_t labels = 48 * n;
    size_t others = ev->boxes ? n * OC_BOXRING_OBJS * sizeof(double[4]) : 0;
    total = (total + 7) / 8 * 8; /* the boxes after the frames are doubles */
    struct oc_evidence_job *job = malloc(sizeof *job + others + total + labels);
    if (!job) {
        ev->st.nomem++;
        return NULL;
    }
    memset(job, 0, sizeof *job);
    double(*boxes)[4] = (double(*)[4])(job + 1);
    unsigned char *p = (unsigned char *)(job + 1) + others;
    char *lab = (char *)p + total;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, src[i], len[i]);
        char t[40];
        oc_evidence_local_time(fts[i], t, sizeof t, 0);
        snprintf(lab + 48 * i, 48, "%u  %.40s", (unsigned)key[i] % 10u + 1, t);
        job->frames[i] = (struct oc_compose_frame){p,
                                                   len[i],
                                                   fts[i],
                                                   {h->key_box[key[i]][0], h->key_box[key[i]][1],
                                                    h->key_box[key[i]][2], h->key_box[key[i]][3]},
                                                   lab + 48 * i,
                                                   h->has_lamp,
                                                   h->key_sig[key[i]],
                                                   h->key_sig_ms[key[i]],
                                                   NULL,
                                                   0,
                                                   0};
        p += len[i];
        if (ev->boxes)
            bystanders(ev, h, &job->frames[i], boxes + i * OC_BOXRING_OBJS);
    }
    job->n_frames = n;
    job->bytes = sizeof *job + others + total + labels;
    return job;
}

static void release(struct oc_evidence *ev, struct held *h)
{
    struct oc_evidence_job *job = gather(ev, h);
    if (job) {
        const struct oc_camera_cfg *cam = &ev->cfg->cameras[h->camera];
        job->tag = h->tag;
        memcpy(job->file, h->file, sizeof job->file);
        job->caption[0] = h->caption[0];
        job->caption[1] = h->caption[1];
        h->caption[0] = h->caption[1] = NULL;
        if (h->public_caption[0] &&
            oc_evidence_public_name(h->file, job->public_file, sizeof job->public_file) == 0) {
            job->public_caption[0] = h->public_caption[0];
            job->public_caption[1] = h->public_caption[1];
            h->public_caption[0] = h->public_caption[1] = NULL;
            job->public_face = h->public_face;
        }
        job->cam_w = cam->width;
        job->cam_h = cam->height;
    } else {
        ev->st.no_frame++;
    }
    ev->st.pending--;
    void *tag = h->tag;
    held_free(h);
    ev->ready(ev->ud, tag, job);
}

oc_err_t oc_evidence_frame(struct oc_evidence *ev, int camera, int64_t ts, const void *jpeg,
                           size_t len)
{
    return oc_ring_add(ev->ring, camera, ts, jpeg, len);
}

void oc_evidence_boxes(struct oc_evidence *ev, int camera, const struct oc_detections *d)
{
    if (ev->boxes)
        oc_boxring_add(ev->boxes, camera, d);
}

void oc_evidence_keep(struct oc_evidence *ev, int camera, int64_t ts, int64_t until)
{
    int64_t tol = ev->tolerance_ms;
    oc_ring_keep(ev->ring, camera, ts, tol, until + tol + OC_EVIDENCE_LAG_MS + 1000);
}

void oc_evidence_clock(struct oc_evidence *ev, int camera, int64_t clock)
{
    struct held **pp = &ev->head[camera];
    while (*pp) {
        struct held *h = *pp;
        if (h->due > clock) {
            pp = &h->next;
            continue;
        }
        *pp = h->next;
        release(ev, h);
    }
}

/* The camera holding the most violations gives up its oldest. */
static void release_oldest(struct oc_evidence *ev)
{
    size_t best = 0, best_n = 0;
    for (size_t c = 0; c < ev->cfg->n_cameras; c++) {
        size_t n = 0;
        for (struct held *h = ev->head[c]; h; h = h->next)
            n++;
        if (n > best_n) {
            best = c;
            best_n = n;
        }
    }
    struct held *h = ev->head[best];
    ev->head[best] = h->next;
    ev->st.released_early++;
    release(ev, h);
}

/* Persons and riders show a face in the top third of their box. */
static int has_face(const char *cls)
{
    int id = cls ? oc_class_lookup(cls) : -1;
    return id == OC_CLS_MOTORCYCLE || oc_class_group(id) == OC_GRP_NONMOTOR ||
           oc_class_group(id) == OC_GRP_PEDESTRIAN;
}

void oc_evidence_violation(struct oc_evidence *ev, const struct oc_violation *v, void *tag)
{
    struct held *h = calloc(1, sizeof *h);
    if (!h || v->n_keys == 0 || describe(ev, v, h) != 0) {
        if (h)
            held_free(h);
        if (!h || v->n_keys > 0)
            ev->st.nomem++;
        ev->st.no_frame++;
        ev->ready(ev->ud, tag, NULL);
        return;
    }
    h->tag = tag;
    h->camera = v->camera;
    h->n_keys = v->n_keys > OC_KEYS_MAX ? OC_KEYS_MAX : v->n_keys;
    h->has_lamp = v->signal != NULL;
    h->track_hash = oc_boxring_hash(v->track);
    h->public_face = has_face(v->cls);
    int64_t last = v->key_ts[0];
    for (size_t k = 0; k < h->n_keys; k++) {
        h->key_ts[k] = v->key_ts[k];
        memcpy(h->key_box[k], v->key_box[k], sizeof h->key_box[k]);
        h->key_sig[k] = v->key_sig[k];
        h->key_sig_ms[k] = v->key_sig_ms[k];
        if (v->key_ts[k] > last)
            last = v->key_ts[k];
    }
    h->due = last + ev->tolerance_ms + OC_EVIDENCE_LAG_MS;
    if (ev->st.pending >= OC_EVIDENCE_PENDING_MAX)
        release_oldest(ev);
    struct held **pp = &ev->head[v->camera];
    while (*pp)
        pp = &(*pp)->next;
    *pp = h;
    ev->st.pending++;
}

void oc_evidence_flush(struct oc_evidence *ev)
{
    for (size_t c = 0; c < ev->cfg->n_cameras; c++)
        while (ev->head[c]) {
            struct held *h = ev->head[c];
            ev->head[c] = h->next;
            release(ev, h);
        }
}

void oc_evidence_stats(const struct oc_evidence *ev, struct oc_evidence_stats *s)
{
    *s = ev->st;
    oc_ring_stats(ev->ring, &s->ring);
    if (ev->boxes)
        oc_boxring_stats(ev->boxes, &s->boxes);
    else
        memset(&s->boxes, 0, sizeof s->boxes);
}
