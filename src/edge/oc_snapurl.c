/* Snapshot-URL frames: one polling thread, libcurl multi (oc_snapurl.h). */
#include "oc_snapurl.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oc_dlog.h"
#include "ordercam/oc_event.h"

#define BUF_KEEP (4u << 20) /* a larger buffer is freed after its frame */
#define IDLE_WAIT_MS 1000   /* the longest sleep; a wakeup cuts it short */

struct cam {
    int index; /* config index */
    char *id;
    int64_t period_ms;
    int timeout_ms, latency_ms;
    CURL *easy; /* kept for the connection (and digest state) between polls */
    int inflight;
    int64_t due, started; /* due 0: poll at once when active */
    unsigned char *buf;
    size_t len, cap;
    int overflow;
    int64_t last_ts;
    int failing; /* logged as failing; the next success is logged */
    /* under lock */
    int live, anchored;
    int64_t anchor_clock, anchor_mono;
    struct oc_snapurl_stats st;
};

struct oc_snapurl {
    pthread_t thread;
    pthread_mutex_t lock;
    CURLM *multi;
    atomic_int stop;
    struct cam *cams;
    size_t n;
    int *slot; /* config index -> cams[] index, or -1 */
    size_t n_cfg;
    oc_snapurl_frame_fn on_frame;
    oc_snapurl_log_fn log;
    void *ud;
};

int64_t oc_snapurl_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t oc_snapurl_map_ts(int64_t anchor_clock, int64_t anchor_mono, int64_t capture_mono,
                          int latency_ms)
{
    return anchor_clock + (capture_mono - anchor_mono) + latency_ms;
}

__attribute__((format(printf, 3, 4))) static void
logm(struct oc_snapurl *s, enum oc_log_level level, const char *fmt, ...)
{
    char msg[512];
    if (!s->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->log(s->ud, level, msg);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct cam *c = ud;
    size_t len = size * n;
    if (len > OC_JPEG_MAX_BYTES - c->len) {
        c->overflow = 1;
        return 0; /* abandons the transfer: CURLE_WRITE_ERROR */
    }
    if (c->len + len > c->cap) {
        size_t cap = c->cap ? c->cap : 64u << 10;
        while (cap < c->len + len)
            cap *= 2;
        if (cap > OC_JPEG_MAX_BYTES)
            cap = OC_JPEG_MAX_BYTES;
        unsigned char *b = realloc(c->buf, cap);
        if (!b) {
            c->overflow = 1;
            return 0;
        }
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, len);
    c->len += len;
    return len;
}

static const long auth_bits[] = {CURLAUTH_ANY, CURLAUTH_BASIC, CURLAUTH_DIGEST};

static CURL *make_easy(struct cam *c, const struct oc_snapshot_cfg *sc, const char *password)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, sc->url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)sc->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)sc->timeout_ms) != CURLE_OK;
    bad |=
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)OC_JPEG_MAX_BYTES) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, c) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "ordercamd") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, auth_bits[sc->auth]) != CURLE_OK;
    if (sc->username)
        bad |= curl_easy_setopt(e, CURLOPT_USERNAME, sc->username) != CURLE_OK;
    if (password)
        bad |= curl_easy_setopt(e, CURLOPT_PASSWORD, password) != CURLE_OK;
    if (sc->ca_file)
        bad |= curl_easy_setopt(e, CURLOPT_CAINFO, sc->ca_file) != CURLE_OK;
    if (sc->insecure_skip_verify) {
        bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK;
    }
    if (bad) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

/* Counts one outcome; logs when the camera starts failing or recovers. */
static void outcome(struct oc_snapurl *s, struct cam *c, uint64_t *counter, const char *why)
{
    pthread_mutex_lock(&s->lock);
    (*counter)++;
    pthread_mutex_unlock(&s->lock);
    if (why && !c->failing)
        logm(s, OC_LOG_WARNING,
             "camera %s: snapshot URL failing: %s (counted per poll; logged once)", c->id, why);
    else if (!why && c->failing)
        logm(s, OC_LOG_NOTICE, "camera %s: snapshot URL answers again", c->id);
    c->failing = why != NULL;
}

static void deliver(struct oc_snapurl *s, struct cam *c)
{
    curl_off_t pre = 0, first = 0;
    curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
    curl_easy_getinfo(c->easy, CURLINFO_STARTTRANSFER_TIME_T, &first);
    /* the camera took the picture between receiving the request and
     * answering: the middle of that wait, ± half of it */
    int64_t capture = c->started + (int64_t)((pre + first) / 2000);
    pthread_mutex_lock(&s->lock);
    int64_t ts = oc_snapurl_map_ts(c->anchor_clock, c->anchor_mono, capture, c->latency_ms);
    pthread_mutex_unlock(&s->lock);
    if (ts <= c->last_ts) /* one frame per camera time, in order */
        ts = c->last_ts + 1;
    c->last_ts = ts;
    if (s->on_frame(s->ud, c->index, ts, c->buf, c->len) != 0) {
        outcome(s, c, &c->st.refused, NULL);
        return;
    }
    pthread_mutex_lock(&s->lock);
    c->st.bytes += c->len;
    pthread_mutex_unlock(&s->lock);
    outcome(s, c, &c->st.ok, NULL);
}

static void finish(struct oc_snapurl *s, struct cam *c, CURLcode rc)
{
    curl_multi_remove_handle(s->multi, c->easy);
    c->inflight = 0;
    long status = 0;
    curl_off_t total = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &total);
    pthread_mutex_lock(&s->lock);
    c->st.seconds += (double)total / 1e6;
    c->st.last_status = status;
    pthread_mutex_unlock(&s->lock);
    char why[64];
    if (rc == CURLE_OPERATION_TIMEDOUT)
        outcome(s, c, &c->st.timeout, "timed out");
    else if ((rc == CURLE_WRITE_ERROR && c->overflow) || rc == CURLE_FILESIZE_EXCEEDED)
        outcome(s, c, &c->st.too_large, "answer larger than 16 MiB");
    else if (rc != CURLE_OK)
        outcome(s, c, &c->st.network_error, curl_easy_strerror(rc));
    else if (status != 200) {
        snprintf(why, sizeof why, "HTTP status %ld", status);
        outcome(s, c, &c->st.http_error, why);
    } else if (!oc_event_is_jpeg(c->buf, c->len))
        outcome(s, c, &c->st.not_jpeg, "the answer is not a JPEG");
    else
        deliver(s, c);
    c->len = 0;
    if (c->cap > BUF_KEEP) {
        free(c->buf);
        c->buf = NULL;
        c->cap = 0;
    }
}

static void start_poll(struct oc_snapurl *s, struct cam *c, int64_t now)
{
    int64_t late = now - c->due;
    uint64_t missed = (uint64_t)(late / c->period_ms);
    c->due += (int64_t)(missed + 1) * c->period_ms;
    if (missed) {
        pthread_mutex_lock(&s->lock);
        c->st.skipped += missed;
        pthread_mutex_unlock(&s->lock);
    }
    c->len = 0;
    c->overflow = 0;
    c->started = now;
    if (curl_multi_add_handle(s->multi, c->easy) == CURLM_OK)
        c->inflight = 1;
}

/* Starts the polls that are due; returns how long to sleep. */
static int64_t schedule(struct oc_snapurl *s)
{
    int64_t now = oc_snapurl_mono_ms(), wait = IDLE_WAIT_MS;
    for (size_t i = 0; i < s->n; i++) {
        struct cam *c = &s->cams[i];
        pthread_mutex_lock(&s->lock);
        int active = c->live && c->anchored;
        c->st.active = active;
        pthread_mutex_unlock(&s->lock);
        if (c->inflight)
            continue;
        if (!active) {
            c->due = 0;
            continue;
        }
        if (!c->due)
            c->due = now;
        if (now >= c->due) {
            start_poll(s, c, now);
            wait = 0;
        } else if (c->due - now < wait) {
            wait = c->due - now;
        }
    }
    return wait;
}

static void *run(void *arg)
{
    struct oc_snapurl *s = arg;
    while (!atomic_load(&s->stop)) {
        int running = 0, left = 0;
        curl_multi_perform(s->multi, &running);
        CURLMsg *m;
        while ((m = curl_multi_info_read(s->multi, &left)))
            if (m->msg == CURLMSG_DONE) {
                struct cam *c = NULL;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
                if (c)
                    finish(s, c, m->data.result);
            }
        int64_t wait = schedule(s);
        if (wait > 0)
            curl_multi_poll(s->multi, NULL, 0, (int)wait, NULL);
    }
    return NULL;
}

static void free_all(struct oc_snapurl *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct cam *c = &s->cams[i];
        if (c->easy) {
            if (c->inflight)
                curl_multi_remove_handle(s->multi, c->easy);
            curl_easy_cleanup(c->easy);
        }
        free(c->buf);
        free(c->id);
    }
    if (s->multi)
        curl_multi_cleanup(s->multi);
    pthread_mutex_destroy(&s->lock);
    free(s->cams);
    free(s->slot);
    free(s);
}

struct oc_snapurl *oc_snapurl_start(const struct oc_ecfg *ecfg, const char *const *passwords,
                                    oc_snapurl_frame_fn on_frame, oc_snapurl_log_fn log, void *ud,
                                    char *err, size_t errlen)
{
    const struct oc_config *cfg = ecfg->scene;
    size_t n = 0;
    err[0] = '\0';
    for (size_t i = 0; i < cfg->n_cameras; i++)
        n += ecfg->snap[i].url != NULL;
    if (!n)
        return NULL;
    struct oc_snapurl *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "snapshot polling: out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->on_frame = on_frame;
    s->log = log;
    s->ud = ud;
    s->n_cfg = cfg->n_cameras;
    s->cams = calloc(n, sizeof *s->cams);
    s->slot = malloc(cfg->n_cameras * sizeof *s->slot);
    s->multi = curl_multi_init();
    if (!s->cams || !s->slot || !s->multi) {
        snprintf(err, errlen, "snapshot polling: out of memory");
        free_all(s);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_cameras; i++) {
        const struct oc_camera_cfg *cc = &cfg->cameras[i];
        const struct oc_snapshot_cfg *sc = &ecfg->snap[i];
        s->slot[i] = -1;
        if (!sc->url)
            continue;
        struct cam *c = &s->cams[s->n++];
        s->slot[i] = (int)(s->n - 1);
        c->index = (int)i;
        c->period_ms = (int64_t)(1000.0 / sc->fps + 0.5);
        c->timeout_ms = sc->timeout_ms;
        c->latency_ms = sc->latency_ms;
        c->last_ts = INT64_MIN;
        c->st.configured = 1;
        c->id = strdup(cc->id);
        c->easy = c->id ? make_easy(c, sc, passwords ? passwords[i] : NULL) : NULL;
        if (!c->easy) {
            snprintf(err, errlen, "camera %s: frames.snapshot_url: libcurl refused the options",
                     cc->id);
            free_all(s);
            return NULL;
        }
        curl_easy_setopt(c->easy, CURLOPT_PRIVATE, (char *)c);
    }
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        snprintf(err, errlen, "snapshot polling: cannot start a thread");
        free_all(s);
        return NULL;
    }
    return s;
}

void oc_snapurl_stop(struct oc_snapurl *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    free_all(s);
}

static struct cam *cam_of(struct oc_snapurl *s, int camera)
{
    if (!s || camera < 0 || (size_t)camera >= s->n_cfg || s->slot[camera] < 0)
        return NULL;
    return &s->cams[s->slot[camera]];
}

void oc_snapurl_anchor(struct oc_snapurl *s, int camera, int64_t clock, int64_t mono_ms)
{
    struct cam *c = cam_of(s, camera);
    if (!c)
        return;
    pthread_mutex_lock(&s->lock);
    int wake = !c->anchored && c->live;
    c->anchor_clock = clock;
    c->anchor_mono = mono_ms;
    c->anchored = 1;
    pthread_mutex_unlock(&s->lock);
    if (wake)
        curl_multi_wakeup(s->multi);
}

void oc_snapurl_live(struct oc_snapurl *s, int camera, int live)
{
    struct cam *c = cam_of(s, camera);
    if (!c)
        return;
    pthread_mutex_lock(&s->lock);
    int wake = !c->live && live && c->anchored;
    c->live = live != 0;
    pthread_mutex_unlock(&s->lock);
    if (wake) /* start polling now, not at the end of an idle sleep */
        curl_multi_wakeup(s->multi);
}

void oc_snapurl_stats(struct oc_snapurl *s, int camera, struct oc_snapurl_stats *out)
{
    struct cam *c = cam_of(s, camera);
    if (!c) {
        memset(out, 0, sizeof *out);
        return;
    }
    pthread_mutex_lock(&s->lock);
    *out = c->st;
    pthread_mutex_unlock(&s->lock);
}

/* One counter family: name, help, and each camera's value of one field. */
static size_t family(struct oc_snapurl *s, const struct oc_snapurl_stats *st, char *buf, size_t cap,
                     const char *head, const char *name, size_t field, int kind)
{
    size_t n = 0;
    int k = snprintf(buf, cap, "%s", head);
    for (size_t i = 0; k >= 0 && (size_t)k < cap - n && i <= s->n; i++) {
        n += (size_t)k;
        if (i == s->n)
            break;
        const char *f = (const char *)&st[i] + field;
        if (kind == 0)
            k = snprintf(buf + n, cap - n, "%s{camera=\"%s\"} %" PRIu64 "\n", name, s->cams[i].id,
                         *(const uint64_t *)(const void *)f);
        else if (kind == 1)
            k = snprintf(buf + n, cap - n, "%s{camera=\"%s\"} %.3f\n", name, s->cams[i].id,
                         *(const double *)(const void *)f);
        else if (kind == 2)
            k = snprintf(buf + n, cap - n, "%s{camera=\"%s\"} %ld\n", name, s->cams[i].id,
                         *(const long *)(const void *)f);
        else
            k = snprintf(buf + n, cap - n, "%s{camera=\"%s\"} %d\n", name, s->cams[i].id,
                         *(const int *)(const void *)f);
    }
    return n < cap ? n : cap - 1;
}

size_t oc_snapurl_metrics(struct oc_snapurl *s, char *buf, size_t cap)
{
    if (!cap)
        return 0;
    buf[0] = '\0';
    if (!s)
        return 0;
    struct oc_snapurl_stats *st = calloc(s->n, sizeof *st);
    if (!st)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        oc_snapurl_stats(s, s->cams[i].index, &st[i]);
    static const struct {
        const char *result;
        size_t field;
    } res[] = {{"ok", offsetof(struct oc_snapurl_stats, ok)},
               {"timeout", offsetof(struct oc_snapurl_stats, timeout)},
               {"http_error", offsetof(struct oc_snapurl_stats, http_error)},
               {"network_error", offsetof(struct oc_snapurl_stats, network_error)},
               {"not_jpeg", offsetof(struct oc_snapurl_stats, not_jpeg)},
               {"too_large", offsetof(struct oc_snapurl_stats, too_large)},
               {"queue_full", offsetof(struct oc_snapurl_stats, refused)}};
    size_t n = (size_t)snprintf(buf, cap,
                                "# HELP ordercam_snapshot_requests_total Snapshot-URL polls, per "
                                "camera and outcome.\n"
                                "# TYPE ordercam_snapshot_requests_total counter\n");
    for (size_t i = 0; i < s->n && n < cap; i++)
        for (size_t r = 0; r < sizeof res / sizeof *res && n < cap; r++)
            n += (size_t)snprintf(
                buf + n, cap - n,
                "ordercam_snapshot_requests_total{camera=\"%s\",result=\"%s\"} "
                "%" PRIu64 "\n",
                s->cams[i].id, res[r].result,
                *(const uint64_t *)(const void *)((const char *)&st[i] + res[r].field));
    static const struct {
        const char *head, *name;
        size_t field;
        int kind;
    } fam[] = {
        {"# HELP ordercam_snapshot_skipped_total Polls not made because the camera's last answer "
         "had not come (a camera slower than frames.snapshot_fps).\n"
         "# TYPE ordercam_snapshot_skipped_total counter\n",
         "ordercam_snapshot_skipped_total", offsetof(struct oc_snapurl_stats, skipped), 0},
        {"# TYPE ordercam_snapshot_bytes_total counter\n", "ordercam_snapshot_bytes_total",
         offsetof(struct oc_snapurl_stats, bytes), 0},
        {"# TYPE ordercam_snapshot_request_seconds_total counter\n",
         "ordercam_snapshot_request_seconds_total", offsetof(struct oc_snapurl_stats, seconds), 1},
        {"# TYPE ordercam_snapshot_last_status gauge\n", "ordercam_snapshot_last_status",
         offsetof(struct oc_snapurl_stats, last_status), 2},
        {"# HELP ordercam_snapshot_active 1 while the camera has live tracks and is polled.\n"
         "# TYPE ordercam_snapshot_active gauge\n",
         "ordercam_snapshot_active", offsetof(struct oc_snapurl_stats, active), 3}};
    for (size_t f = 0; f < sizeof fam / sizeof *fam && n < cap - 1; f++)
        n += family(s, st, buf + n, cap - n, fam[f].head, fam[f].name, fam[f].field, fam[f].kind);
    free(st);
    return n < cap ? n : cap - 1;
}
