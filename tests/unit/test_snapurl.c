/* Snapshot-URL polling against a real HTTP server (libmicrohttpd on
 * loopback, digest auth checked for real): polled only while the camera
 * has live tracks, at its rate, every failure counted by kind, a slow
 * camera skips slots instead of piling up requests, frame times mapped
 * through the anchor. Every wait polls with a deadline. */
#include "oc_test.h"

#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oc_snapurl.h"

#define REALM "cam"
#define USER "admin"
#define PASS "s3cret"

enum mode { M_JPEG, M_NOT_JPEG, M_500 };

struct server {
    struct MHD_Daemon *d;
    int port;
    atomic_int mode, delay_ms, digest;
    atomic_int requests, served, challenged;
};

static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F',  0,
                                     1,    1,    0,    0,    1, 0,  1,   0,   0,   0xff, 0xd9};

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **state)
{
    (void)url, (void)method, (void)version, (void)upload, (void)upload_size, (void)state;
    struct server *s = cls;
    atomic_fetch_add(&s->requests, 1);
    if (atomic_load(&s->digest)) {
        char *user = MHD_digest_auth_get_username(conn);
        int ok =
            user && strcmp(user, USER) == 0 &&
            MHD_digest_auth_check2(conn, REALM, USER, PASS, 300, MHD_DIGEST_ALG_MD5) == MHD_YES;
        MHD_free(user);
        if (!ok) {
            atomic_fetch_add(&s->challenged, 1);
            struct MHD_Response *r =
                MHD_create_response_from_buffer(6, (void *)"denied", MHD_RESPMEM_PERSISTENT);
            enum MHD_Result ret =
                MHD_queue_auth_fail_response2(conn, REALM, "opaque", r, 0, MHD_DIGEST_ALG_MD5);
            MHD_destroy_response(r);
            return ret;
        }
    }
    int delay = atomic_load(&s->delay_ms);
    if (delay)
        usleep((useconds_t)delay * 1000);
    int mode = atomic_load(&s->mode);
    struct MHD_Response *r =
        mode == M_JPEG
            ? MHD_create_response_from_buffer(sizeof jpeg, (void *)jpeg, MHD_RESPMEM_PERSISTENT)
            : MHD_create_response_from_buffer(5, (void *)"hello", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", mode == M_JPEG ? "image/jpeg" : "text/plain");
    enum MHD_Result ret = MHD_queue_response(conn, mode == M_500 ? 500 : 200, r);
    MHD_destroy_response(r);
    atomic_fetch_add(&s->served, 1);
    return ret;
}

static struct server *server_start(void)
{
    struct server *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                         NULL, handler, s, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    assert_non_null(s->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info->port;
    return s;
}

static void server_stop(struct server *s)
{
    MHD_stop_daemon(s->d);
    free(s);
}

struct got {
    pthread_mutex_t lock;
    int n, refuse, failing, again;
    char said[512]; /* the last line logged (on_log), for a failure's message */
    int64_t ts[1024];
    int camera;
};

static int on_frame(void *ud, int camera, int64_t ts, const void *data, size_t len)
{
    struct got *g = ud;
    assert_int_equal(len, sizeof jpeg);
    assert_memory_equal(data, jpeg, len);
    pthread_mutex_lock(&g->lock);
    int refuse = g->refuse;
    if (!refuse && g->n < 1024)
        g->ts[g->n++] = ts;
    g->camera = camera;
    pthread_mutex_unlock(&g->lock);
    return refuse ? -1 : 0;
}

static int frames(struct got *g)
{
    pthread_mutex_lock(&g->lock);
    int n = g->n;
    pthread_mutex_unlock(&g->lock);
    return n;
}

/* A config with camera "a" (no URL) and camera "b" polled at url. */
static struct oc_ecfg *config(const struct server *s, const char *extra)
{
    char text[2048], err[512];
    snprintf(text, sizeof text,
             "{\"box_id\":\"x\",\"cameras\":[{\"id\":\"a\",\"width\":100,\"height\":100},"
             "{\"id\":\"b\",\"width\":100,\"height\":100,\"frames\":{\"snapshot_url\":"
             "\"http://127.0.0.1:%d/ISAPI/Streaming/channels/101/picture\"%s}}]}",
             s->port, extra);
    struct oc_ecfg *cfg = oc_ecfg_parse(text, strlen(text), "edge.json", err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    return cfg;
}

static int wait_until(int (*cond)(void *), void *arg, int limit_ms)
{
    for (int64_t end = oc_snapurl_mono_ms() + limit_ms; oc_snapurl_mono_ms() < end;) {
        if (cond(arg))
            return 1;
        usleep(10000);
    }
    return cond(arg);
}

struct want {
    struct oc_snapurl *s;
    struct got *g;
    int n;
    size_t field;       /* offset into oc_snapurl_stats of a uint64_t, or (size_t)-1: frames */
    struct server *srv; /* settled(): the server whose requests are compared */
};

static int reached(void *arg)
{
    struct want *w = arg;
    if (w->field == (size_t)-1)
        return frames(w->g) >= w->n;
    struct oc_snapurl_stats st;
    oc_snapurl_stats(w->s, 1, &st);
    return *(uint64_t *)((char *)&st + w->field) >= (uint64_t)w->n;
}

/* Every request the server received has its outcome counted by camera 1. */
static int settled(void *arg)
{
    struct want *w = arg;
    struct oc_snapurl_stats st;
    oc_snapurl_stats(w->s, 1, &st);
    uint64_t done = st.ok + st.timeout + st.http_error + st.network_error + st.not_jpeg +
                    st.too_large + st.refused;
    return done == (uint64_t)atomic_load(&w->srv->requests);
}

#define WAIT_FRAMES(s_, g_, n_)                                                                    \
    assert_true(wait_until(reached, &(struct want){s_, g_, n_, (size_t)-1, NULL}, 20000))
#define WAIT_STAT(s_, g_, f_, n_)                                                                  \
    assert_true(wait_until(                                                                        \
        reached, &(struct want){s_, g_, n_, offsetof(struct oc_snapurl_stats, f_), NULL}, 20000))

static struct got *got_new(void)
{
    struct got *g = calloc(1, sizeof *g);
    pthread_mutex_init(&g->lock, NULL);
    return g;
}

static void map_rule(void **state)
{
    (void)state;
    /* the camera said 5000 when the box's monotonic clock read 100; a
     * picture taken at 350 is camera time 5250, plus the latency */
    assert_int_equal(oc_snapurl_map_ts(5000, 100, 350, 0), 5250);
    assert_int_equal(oc_snapurl_map_ts(5000, 100, 350, 120), 5370);
    assert_int_equal(oc_snapurl_map_ts(5000, 100, 100, 0), 5000);
}

static void no_url_no_thread(void **state)
{
    (void)state;
    char err[256], text[] = "{\"box_id\":\"x\",\"cameras\":[{\"id\":\"a\",\"width\":100,"
                            "\"height\":100}]}";
    struct oc_ecfg *cfg = oc_ecfg_parse(text, strlen(text), "e", err, sizeof err);
    assert_non_null(cfg);
    assert_null(oc_snapurl_start(cfg, NULL, on_frame, NULL, NULL, err, sizeof err));
    assert_string_equal(err, "");
    oc_ecfg_free(cfg);
}

/* Idle while no live tracks; polled at its rate while live; frame times
 * follow the anchor; idle again when the tracks end. */
static void polls_only_while_live(void **state)
{
    (void)state;
    struct server *srv = server_start();
    struct oc_ecfg *cfg = config(srv, ",\"snapshot_fps\":10");
    struct got *g = got_new();
    char err[256];
    struct oc_snapurl *s = oc_snapurl_start(cfg, NULL, on_frame, NULL, g, err, sizeof err);
    assert_non_null(s);
    oc_ecfg_free(cfg); /* the module copied what it needs */
    int64_t t0 = oc_snapurl_mono_ms();
    oc_snapurl_anchor(s, 1, 1763802000000, t0);
    usleep(400000); /* anchored, no live track: nothing may be asked */
    assert_int_equal(atomic_load(&srv->requests), 0);
    struct oc_snapurl_stats st;
    oc_snapurl_stats(s, 1, &st);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.configured, 1);
    oc_snapurl_stats(s, 0, &st);
    assert_int_equal(st.configured, 0);

    /* read before the call: the poller may take a picture at once */
    int64_t live_at = oc_snapurl_mono_ms();
    oc_snapurl_live(s, 1, 1);
    WAIT_FRAMES(s, g, 8);
    int64_t took = oc_snapurl_mono_ms() - live_at;
    /* 8 frames at 10 fps: the first at once, then one per 100 ms */
    assert_true(took >= 650);
    pthread_mutex_lock(&g->lock);
    assert_int_equal(g->camera, 1);
    for (int i = 0; i < g->n; i++) {
        /* the camera time of a picture is the anchor plus the box time since */
        assert_true(g->ts[i] >= 1763802000000 + (live_at - t0));
        assert_true(g->ts[i] <= 1763802000000 + (oc_snapurl_mono_ms() - t0));
        if (i)
            assert_true(g->ts[i] > g->ts[i - 1]);
    }
    pthread_mutex_unlock(&g->lock);
    oc_snapurl_live(s, 1, 0);
    /* a request in flight may finish: wait until every request the server
     * saw has its outcome counted, then nothing more may be asked */
    assert_true(wait_until(settled, &(struct want){.s = s, .srv = srv}, 20000));
    int asked = atomic_load(&srv->requests);
    usleep(500000); /* a window for a wrong request: absence cannot be polled */
    assert_int_equal(atomic_load(&srv->requests), asked);
    oc_snapurl_stats(s, 1, &st);
    assert_int_equal(st.active, 0);
    assert_true(st.ok >= 8);
    assert_int_equal(st.last_status, 200);
    assert_true(st.bytes == st.ok * sizeof jpeg);
    oc_snapurl_stop(s);
    server_stop(srv);
    free(g);
}

/* The latency setting moves frame times later by exactly its value. */
static void latency_shifts_times(void **state)
{
    (void)state;
    struct server *srv = server_start();
    struct oc_ecfg *cfg = config(srv, ",\"snapshot_fps\":5,\"latency_ms\":250");
    struct got *g = got_new();
    char err[256];
    struct oc_snapurl *s = oc_snapurl_start(cfg, NULL, on_frame, NULL, g, err, sizeof err);
    oc_ecfg_free(cfg);
    int64_t t0 = oc_snapurl_mono_ms();
    oc_snapurl_anchor(s, 1, 1000000, t0);
    oc_snapurl_live(s, 1, 1);
    WAIT_FRAMES(s, g, 1);
    int64_t t1 = oc_snapurl_mono_ms();
    pthread_mutex_lock(&g->lock);
    assert_true(g->ts[0] >= 1000000 + 250);
    assert_true(g->ts[0] <= 1000000 + 250 + (t1 - t0));
    pthread_mutex_unlock(&g->lock);
    oc_snapurl_stop(s);
    server_stop(srv);
    free(g);
}

/* Digest auth checked by the server: the right password gets frames, a
 * wrong one is counted as an HTTP error and gets none. */
static void digest_auth(void **state)
{
    (void)state;
    struct server *srv = server_start();
    atomic_store(&srv->digest, 1);
    for (int right = 1; right >= 0; right--) {
        struct oc_ecfg *cfg =
            config(srv, ",\"snapshot_fps\":10,\"username\":\"" USER "\",\"auth\":\"digest\"");
        const char *pw[2] = {NULL, right ? PASS : "guess"};
        struct got *g = got_new();
        char err[256];
        struct oc_snapurl *s = oc_snapurl_start(cfg, pw, on_frame, NULL, g, err, sizeof err);
        oc_ecfg_free(cfg);
        oc_snapurl_anchor(s, 1, 1000, oc_snapurl_mono_ms());
        oc_snapurl_live(s, 1, 1);
        struct oc_snapurl_stats st;
        if (right) {
            WAIT_FRAMES(s, g, 5);
            oc_snapurl_stats(s, 1, &st);
            assert_int_equal(st.http_error, 0);
        } else {
            WAIT_STAT(s, g, http_error, 3);
            oc_snapurl_stats(s, 1, &st);
            assert_int_equal(st.ok, 0);
            assert_int_equal(st.last_status, 401);
            assert_int_equal(frames(g), 0);
        }
        oc_snapurl_stop(s);
        free(g);
    }
    assert_true(atomic_load(&srv->challenged) > 0);
    server_stop(srv);
}

/* Basic auth is refused by a digest-only server: the configured kind is
 * what is sent. */
static void basic_refused_by_digest_server(void **state)
{
    (void)state;
    struct server *srv = server_start();
    atomic_store(&srv->digest, 1);
    struct oc_ecfg *cfg =
        config(srv, ",\"snapshot_fps\":10,\"username\":\"" USER "\",\"auth\":\"basic\"");
    const char *pw[2] = {NULL, PASS};
    struct got *g = got_new();
    char err[256];
    struct oc_snapurl *s = oc_snapurl_start(cfg, pw, on_frame, NULL, g, err, sizeof err);
    oc_ecfg_free(cfg);
    oc_snapurl_anchor(s, 1, 1000, oc_snapurl_mono_ms());
    oc_snapurl_live(s, 1, 1);
    WAIT_STAT(s, g, http_error, 2);
    assert_int_equal(frames(g), 0);
    oc_snapurl_stop(s);
    free(g);
    server_stop(srv);
}

static void on_log(void *ud, int level, const char *msg)
{
    struct got *g = ud;
    pthread_mutex_lock(&g->lock);
    snprintf(g->said, sizeof g->said, "%s", msg);
    if (strstr(msg, "camera b: snapshot URL failing") && level == 4)
        g->failing++;
    if (strstr(msg, "camera b: snapshot URL answers again") && level == 5)
        g->again++;
    pthread_mutex_unlock(&g->lock);
}

/* Each failure kind lands in its own counter. */
static void failures_counted(void **state)
{
    (void)state;
    struct server *srv = server_start();
    struct oc_ecfg *cfg = config(srv, ",\"snapshot_fps\":20,\"timeout_ms\":200");
    struct got *g = got_new();
    char err[256];
    struct oc_snapurl *s = oc_snapurl_start(cfg, NULL, on_frame, on_log, g, err, sizeof err);
    oc_ecfg_free(cfg);
    oc_snapurl_anchor(s, 1, 1000, oc_snapurl_mono_ms());
    oc_snapurl_live(s, 1, 1);
    atomic_store(&srv->mode, M_NOT_JPEG);
    WAIT_STAT(s, g, not_jpeg, 2);
    atomic_store(&srv->mode, M_500);
    WAIT_STAT(s, g, http_error, 2);
    atomic_store(&srv->delay_ms, 400); /* beyond timeout_ms */
    atomic_store(&srv->mode, M_JPEG);
    WAIT_STAT(s, g, timeout, 2);
    pthread_mutex_lock(&g->lock);
    assert_int_equal(g->failing, 1); /* one line for the whole failing spell */
    assert_int_equal(g->again, 0);
    g->refuse = 1; /* the daemon's queue is full */
    pthread_mutex_unlock(&g->lock);
    atomic_store(&srv->delay_ms, 0);
    WAIT_STAT(s, g, refused, 2);
    struct oc_snapurl_stats st;
    oc_snapurl_stats(s, 1, &st);
    if (st.network_error != 0) { /* say which error, should it ever happen */
        char said[sizeof g->said];
        pthread_mutex_lock(&g->lock);
        memcpy(said, g->said, sizeof said);
        pthread_mutex_unlock(&g->lock);
        fail_msg("%llu network errors; last line logged: %s", (unsigned long long)st.network_error,
                 said);
    }
    assert_int_equal(frames(g), 0);
    pthread_mutex_lock(&g->lock);
    assert_int_equal(g->failing, 1);
    assert_int_equal(g->again, 1);
    pthread_mutex_unlock(&g->lock);
    oc_snapurl_stop(s);
    server_stop(srv);
    free(g);
    /* nobody listens: a network error */
    srv = server_start();
    cfg = config(srv, ",\"snapshot_fps\":20");
    server_stop(srv);
    g = got_new();
    s = oc_snapurl_start(cfg, NULL, on_frame, NULL, g, err, sizeof err);
    oc_ecfg_free(cfg);
    oc_snapurl_anchor(s, 1, 1000, oc_snapurl_mono_ms());
    oc_snapurl_live(s, 1, 1);
    WAIT_STAT(s, g, network_error, 2);
    oc_snapurl_stop(s);
    free(g);
}

/* A camera slower than the rate: one request at a time, the missed slots
 * counted; a camera as fast as the rate skips none. */
static void slow_camera_skips(void **state)
{
    (void)state;
    struct server *srv = server_start();
    struct oc_ecfg *cfg = config(srv, ",\"snapshot_fps\":10,\"timeout_ms\":5000");
    struct got *g = got_new();
    char err[256];
    struct oc_snapurl *s = oc_snapurl_start(cfg, NULL, on_frame, NULL, g, err, sizeof err);
    oc_ecfg_free(cfg);
    oc_snapurl_anchor(s, 1, 1000, oc_snapurl_mono_ms());
    atomic_store(&srv->delay_ms, 350); /* 3.5 slots per answer */
    oc_snapurl_live(s, 1, 1);
    WAIT_FRAMES(s, g, 4);
    struct oc_snapurl_stats st;
    oc_snapurl_stats(s, 1, &st);
    /* never two at once: served + in flight <= frames + 1 */
    assert_true(atomic_load(&srv->requests) <= frames(g) + 1);
    assert_true(st.skipped >= 6);
    assert_int_equal(st.timeout, 0);
    oc_snapurl_stop(s);
    server_stop(srv);
    free(g);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(map_rule),
        cmocka_unit_test(no_url_no_thread),
        cmocka_unit_test(polls_only_while_live),
        cmocka_unit_test(latency_shifts_times),
        cmocka_unit_test(digest_auth),
        cmocka_unit_test(basic_refused_by_digest_server),
        cmocka_unit_test(failures_counted),
        cmocka_unit_test(slow_camera_skips),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
