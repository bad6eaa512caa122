/* Simulated cameras for scripts/bench-box.sh: N cameras of ordercam-gen's
 * bench scene (cam-000.., sig-000..) send detections at 10 fps and JPEG
 * frames (every detection, or at a lower rate) to a broker for a given time,
 * with a known number of red-light violations: each camera's signal is red
 * throughout, a few cars wait before its stop line and traffic passes the
 * other way above the line, and one car per camera every 10 s (staggered
 * across cameras) runs the light and leaves by the exit line; at --burst-at
 * seconds, 20 more run it at once. The frames are the given JPEGs with
 * sensor-like noise added and re-encoded until they are about --frame-kb
 * each (a few variants, sent in turn).
 *
 * Messages carry their scheduled capture time, as a camera stamps a frame
 * when it takes it: a publisher thread that the shared machine stalls sends
 * late, never with squeezed timestamps (which would make a second of frames
 * look like a few milliseconds of the camera's clock).
 *
 * Threads: one per group of cameras, each with its own MQTT connection.
 * Messages in flight per connection are bounded (the broker's socket
 * pushes back): a publisher that cannot keep up falls behind its schedule
 * and its achieved rate, printed at the end, is what was offered.
 *
 * usage: bench_box_pub --port P --cameras N --duration S --frame-every K
 *        [--threads T] [--burst-at S] [--frame-kb KB] [--qos Q] BASE.jpg...
 * --frame-every K: a frame with every K-th detection message (1: all, 5: 2 fps).
 * Prints one line of key=value figures on stdout. */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <turbojpeg.h>

#define FPS 10
#define TICK_MS (1000 / FPS)
#define VIOLATION_EVERY_MS 10000
#define BURST 20
#define WARMUP_MS 3000 /* red for a while before the first car runs it */
#define INFLIGHT_MAX 256
#define VARIANTS 8
#define CARS_MAX 8 /* violators on one camera at once */

struct frame {
    unsigned char *jpeg;
    unsigned long len;
};

static struct frame frames[VARIANTS];
static size_t n_frames;

struct car {
    int active;
    long id;
    double x, y; /* anchor: bottom centre */
};

struct cam {
    int index;
    int64_t next_violation; /* ms since start */
    struct car cars[CARS_MAX];
    double flow_x[2];
    long flow_id[2];
    unsigned long seq;
};

struct pub {
    pthread_t thread;
    struct mosquitto *m;
    int first, count; /* cameras */
    atomic_long inflight;
    long det, frm, sig, violators, bytes, errors;
    int64_t max_lag_ms;
};

static int port, n_cameras, duration_s, frame_every = 1, n_threads = 2, qos = 1, burst_at_s = -1;
static int64_t t0_ms;
static atomic_long next_car_id = 1;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_until(int64_t ms)
{
    int64_t d = ms - now_ms();
    if (d <= 0)
        return;
    struct timespec ts = {d / 1000, (d % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void on_publish(struct mosquitto *m, void *ud, int mid)
{
    (void)m;
    (void)mid;
    struct pub *p = ud;
    atomic_fetch_sub(&p->inflight, 1);
}

/* Waits while too many messages are in flight (bounded: 60 s). */
static int send(struct pub *p, const char *topic, const void *payload, size_t len, int q)
{
    int64_t until = now_ms() + 60000;
    while (atomic_load(&p->inflight) >= INFLIGHT_MAX) {
        if (now_ms() > until)
            return -1;
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&p->inflight, 1);
    int rc = mosquitto_publish(p->m, NULL, topic, (int)len, payload, q, false);
    if (rc != MOSQ_ERR_SUCCESS) {
        atomic_fetch_sub(&p->inflight, 1);
        p->errors++;
        return -1;
    }
    p->bytes += (long)len;
    return 0;
}

static void launch(struct pub *p, struct cam *c, double y)
{
    for (int i = 0; i < CARS_MAX; i++)
        if (!c->cars[i].active) {
            c->cars[i] = (struct car){1, atomic_fetch_add(&next_car_id, 1), 700, y};
            p->violators++;
            return;
        }
}

static int obj(char *b, size_t cap, int first, const char *id, const char *cls, double x, double y,
               double w, double h)
{
    return snprintf(b, cap,
                    "%s{\"id\":\"%s\",\"class\":\"%s\",\"box\":[%.0f,%.0f,%.0f,%.0f],\"conf\":0.9,"
                    "\"attrs\":{\"plate\":\"晋A%05d\"}}",
                    first ? "" : ",", id, cls, x - w / 2, y - h, w, h,
                    (int)(strlen(id) * 7919 % 99999));
}

static void camera_tick(struct pub *p, struct cam *c, int64_t rel, int64_t ts)
{
    char topic[128], buf[4096], id[32];
    /* the camera's violators: staggered, one per 10 s */
    if (rel >= c->next_violation) {
        launch(p, c, 600);
        c->next_violation += VIOLATION_EVERY_MS;
    }
    int n =
        snprintf(buf, sizeof buf, "{\"ts\":%" PRId64 ",\"frame\":%lu,\"objects\":[", ts, c->seq);
    int first = 1;
    /* two cars waiting at the red light */
    for (int k = 0; k < 2; k++) {
        snprintf(id, sizeof id, "w%d-%d", c->index, k);
        n += obj(buf + n, sizeof buf - (size_t)n, first, id, "car", 820 - 260 * k, 560 + 120 * k,
                 220, 160);
        first = 0;
    }
    /* traffic the other way, above the stop line's end */
    for (int k = 0; k < 2; k++) {
        c->flow_x[k] -= 25;
        if (c->flow_x[k] < 0) {
            c->flow_x[k] = 1900;
            c->flow_id[k] = atomic_fetch_add(&next_car_id, 1);
        }
        snprintf(id, sizeof id, "f%ld", c->flow_id[k]);
        n += obj(buf + n, sizeof buf - (size_t)n, 0, id, "car", c->flow_x[k], 280, 200, 140);
    }
    for (int i = 0; i < CARS_MAX; i++) {
        struct car *v = &c->cars[i];
        if (!v->active)
            continue;
        v->x += 60; /* 600 px/s: over the stop line (900) and out by the exit line (1500) */
        if (v->x > 1880) {
            v->active = 0;
            continue;
        }
        snprintf(id, sizeof id, "v%ld", v->id);
        n += obj(buf + n, sizeof buf - (size_t)n, 0, id, "car", v->x, v->y, 220, 160);
    }
    n += snprintf(buf + n, sizeof buf - (size_t)n, "]}");
    snprintf(topic, sizeof topic, "ordercam/cameras/cam-%03d/detections", c->index);
    if (send(p, topic, buf, (size_t)n, qos) == 0)
        p->det++;
    if (c->seq % (unsigned long)frame_every == 0) {
        const struct frame *f =
            &frames[(c->seq / (unsigned long)frame_every + (unsigned long)c->index) % n_frames];
        snprintf(topic, sizeof topic, "ordercam/cameras/cam-%03d/frames/%" PRId64, c->index, ts);
        if (send(p, topic, f->jpeg, f->len, 0) == 0)
            p->frm++;
    }
    c->seq++;
}

static void *run(void *arg)
{
    struct pub *p = arg;
    struct cam *cams = calloc((size_t)p->count, sizeof *cams);
    if (!cams)
        return NULL;
    for (int i = 0; i < p->count; i++) {
        struct cam *c = &cams[i];
        c->index = p->first + i;
        c->next_violation = WARMUP_MS + (int64_t)c->index * VIOLATION_EVERY_MS / n_cameras;
        c->flow_x[0] = 1900;
        c->flow_x[1] = 900;
        c->flow_id[0] = atomic_fetch_add(&next_car_id, 1);
        c->flow_id[1] = atomic_fetch_add(&next_car_id, 1);
    }
    int burst_done = burst_at_s < 0;
    for (int64_t tick = 0;; tick++) {
        int64_t due = t0_ms + tick * TICK_MS;
        if (due - t0_ms >= (int64_t)duration_s * 1000)
            break;
        sleep_until(due);
        int64_t now = now_ms();
        if (now - due > p->max_lag_ms)
            p->max_lag_ms = now - due;
        int64_t rel = due - t0_ms;
        if (tick % FPS == 0 && p->first == 0) /* the signals: red, every second */
            for (int s = 0; s < n_cameras; s++) {
                char topic[64], buf[96];
                snprintf(topic, sizeof topic, "ordercam/signals/sig-%03d", s);
                int n = snprintf(buf, sizeof buf, "{\"ts\":%" PRId64 ",\"state\":\"red\"}", due);
                if (send(p, topic, buf, (size_t)n, qos) == 0)
                    p->sig++;
            }
        if (!burst_done && rel >= (int64_t)burst_at_s * 1000) {
            /* BURST cars over all cameras at once, this thread's share */
            for (int b = 0; b < BURST; b++) {
                int ci = b % n_cameras;
                if (ci >= p->first && ci < p->first + p->count)
                    launch(p, &cams[ci - p->first], 520 + 40 * (b / n_cameras % 5));
            }
            burst_done = 1;
        }
        for (int i = 0; i < p->count; i++)
            camera_tick(p, &cams[i], rel, due + i % TICK_MS);
    }
    free(cams);
    return NULL;
}

/* base with noise (amplitude amp, seed) encoded at quality q. */
static int make_frame(tjhandle tj, const unsigned char *rgb, int w, int h, int amp, unsigned seed,
                      int q, struct frame *out)
{
    size_t n = (size_t)w * (size_t)h * 3;
    unsigned char *px = malloc(n);
    if (!px)
        return -1;
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        int v = rgb[i] + (int)((s >> 24) % (unsigned)(2 * amp + 1)) - amp;
        px[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    out->jpeg = NULL;
    out->len = 0;
    int rc = tjCompress2(tj, px, w, 0, h, TJPF_RGB, &out->jpeg, &out->len, TJSAMP_420, q, 0);
    free(px);
    return rc;
}

static int load_frames(char **paths, int n, int target_kb)
{
    tjhandle d = tjInitDecompress(), c = tjInitCompress();
    for (int v = 0; v < VARIANTS; v++) {
        const char *path = paths[v % n];
        FILE *f = fopen(path, "rb");
        if (!f) {
            fprintf(stderr, "bench_box_pub: %s: cannot open\n", path);
            return -1;
        }
        static unsigned char buf[16 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        int w, h, sub, cs;
        if (tjDecompressHeader3(d, buf, len, &w, &h, &sub, &cs) != 0)
            return -1;
        unsigned char *rgb = malloc((size_t)w * (size_t)h * 3);
        if (!rgb || tjDecompress2(d, buf, len, rgb, w, 0, h, TJPF_RGB, 0) != 0)
            return -1;
        /* the noise that brings the frame to about target_kb */
        int lo = 0, hi = 40;
        struct frame fr = {0};
        for (int it = 0; it < 7; it++) {
            int amp = (lo + hi) / 2;
            tjFree(fr.jpeg);
            if (make_frame(c, rgb, w, h, amp, (unsigned)v, 85, &fr) != 0)
                return -1;
            if (fr.len / 1024 < (unsigned long)target_kb)
                lo = amp + 1;
            else
                hi = amp;
        }
        frames[n_frames++] = fr;
        free(rgb);
    }
    tjDestroy(d);
    tjDestroy(c);
    return 0;
}

int main(int argc, char **argv)
{
    int frame_kb = 200, i;
    for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        const char *k = argv[i];
        int v = atoi(argv[i + 1]);
        if (!strcmp(k, "--port"))
            port = v;
        else if (!strcmp(k, "--cameras"))
            n_cameras = v;
        else if (!strcmp(k, "--duration"))
            duration_s = v;
        else if (!strcmp(k, "--frame-every"))
            frame_every = v;
        else if (!strcmp(k, "--threads"))
            n_threads = v;
        else if (!strcmp(k, "--burst-at"))
            burst_at_s = v;
        else if (!strcmp(k, "--frame-kb"))
            frame_kb = v;
        else if (!strcmp(k, "--qos"))
            qos = v;
        else {
            fprintf(stderr, "bench_box_pub: unknown option %s\n", k);
            return 2;
        }
    }
    if (i >= argc || port <= 0 || n_cameras <= 0 || duration_s <= 0 || frame_every <= 0 ||
        n_threads <= 0) {
        fprintf(stderr, "usage: bench_box_pub --port P --cameras N --duration S --frame-every K "
                        "[--threads T] [--burst-at S] [--frame-kb KB] [--qos Q] BASE.jpg...\n");
        return 2;
    }
    if (n_threads > n_cameras)
        n_threads = n_cameras;
    if (load_frames(argv + i, argc - i, frame_kb) != 0)
        return 1;
    unsigned long fbytes = 0;
    for (size_t f = 0; f < n_frames; f++)
        fbytes += frames[f].len;
    mosquitto_lib_init();
    struct pub *pubs = calloc((size_t)n_threads, sizeof *pubs);
    for (int t = 0; t < n_threads; t++) {
        struct pub *p = &pubs[t];
        p->first = n_cameras * t / n_threads;
        p->count = n_cameras * (t + 1) / n_threads - p->first;
        char cid[64];
        snprintf(cid, sizeof cid, "bench-box-pub-%d-%d", (int)getpid(), t);
        p->m = mosquitto_new(cid, true, p);
        if (!p->m)
            return 1;
        mosquitto_publish_callback_set(p->m, on_publish);
        mosquitto_max_inflight_messages_set(p->m, 0);
        if (mosquitto_connect(p->m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS ||
            mosquitto_loop_start(p->m) != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "bench_box_pub: cannot connect to 127.0.0.1:%d\n", port);
            return 1;
        }
    }
    t0_ms = now_ms() + 200;
    for (int t = 0; t < n_threads; t++)
        pthread_create(&pubs[t].thread, NULL, run, &pubs[t]);
    long det = 0, frm = 0, sig = 0, vio = 0, bytes = 0, errors = 0, lag = 0;
    for (int t = 0; t < n_threads; t++) {
        pthread_join(pubs[t].thread, NULL);
    }
    /* everything handed to the sockets (bounded) */
    int64_t until = now_ms() + 60000;
    for (int t = 0; t < n_threads; t++)
        while (atomic_load(&pubs[t].inflight) > 0 && now_ms() < until)
            sleep_until(now_ms() + 2);
    double elapsed = (double)(now_ms() - t0_ms) / 1000.0;
    for (int t = 0; t < n_threads; t++) {
        struct pub *p = &pubs[t];
        det += p->det;
        frm += p->frm;
        sig += p->sig;
        vio += p->violators;
        bytes += p->bytes;
        errors += p->errors;
        if (p->max_lag_ms > lag)
            lag = p->max_lag_ms;
        mosquitto_disconnect(p->m);
        mosquitto_loop_stop(p->m, false);
        mosquitto_destroy(p->m);
    }
    mosquitto_lib_cleanup();
    printf("elapsed=%.2f detections=%ld frames=%ld signals=%ld violators=%ld bytes=%ld "
           "errors=%ld max_lag_ms=%ld frame_kb=%.0f nominal_detections=%ld nominal_frames=%ld\n",
           elapsed, det, frm, sig, vio, bytes, errors, lag, fbytes / 1024.0 / (double)n_frames,
           (long)n_cameras * duration_s * FPS, (long)n_cameras * duration_s * FPS / frame_every);
    for (size_t f = 0; f < n_frames; f++)
        tjFree(frames[f].jpeg);
    free(pubs);
    return errors ? 1 : 0;
}
