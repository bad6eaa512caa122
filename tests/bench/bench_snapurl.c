/* Snapshot polling cost (docs/bench.md): N cameras polled at F fps each by
 * ordercamd's snapshot module (libcurl, digest auth, kept-alive
 * connections) from a test server on loopback for S seconds, every frame
 * copied once as the daemon's receive queue does. Prints the process CPU
 * time (user + system: the polling thread and libcurl) per camera, as a
 * share of one core, and the frames received.
 * usage: bench_snapurl URL USER PASSWORD CAMERAS FPS SECONDS */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oc_snapurl.h"

static atomic_ulong frames, bytes;

static int on_frame(void *ud, int camera, int64_t ts, const void *jpeg, size_t len)
{
    (void)ud, (void)camera, (void)ts;
    void *copy = malloc(len); /* the receive queue's copy */
    if (!copy)
        return -1;
    memcpy(copy, jpeg, len);
    free(copy);
    atomic_fetch_add(&frames, 1);
    atomic_fetch_add(&bytes, len);
    return 0;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: bench_snapurl URL USER PASSWORD CAMERAS FPS SECONDS\n");
        return 2;
    }
    const char *url = argv[1], *user = argv[2], *pass = argv[3];
    int n = atoi(argv[4]), secs = atoi(argv[6]);
    double fps = atof(argv[5]);
    if (n < 1 || n > 64 || secs < 1 || fps <= 0 || fps > 25)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char *text = malloc(65536);
    size_t k = (size_t)snprintf(text, 65536, "{\"box_id\":\"bench\",\"cameras\":[");
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(text + k, 65536 - k,
                              "%s{\"id\":\"c%d\",\"width\":1920,\"height\":1080,\"frames\":{"
                              "\"snapshot_url\":\"%s\",\"snapshot_fps\":%g,\"username\":\"%s\","
                              "\"auth\":\"digest\"}}",
                              i ? "," : "", i, url, fps, user);
    snprintf(text + k, 65536 - k, "]}");
    char err[512];
    struct oc_ecfg *cfg = oc_ecfg_parse(text, strlen(text), "bench", err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const char *pw[64] = {0};
    for (int i = 0; i < n; i++)
        pw[i] = pass;
    struct oc_snapurl *s = oc_snapurl_start(cfg, pw, on_frame, NULL, NULL, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int64_t t0 = oc_snapurl_mono_ms();
    for (int i = 0; i < n; i++) {
        oc_snapurl_anchor(s, i, 1000, t0);
        oc_snapurl_live(s, i, 1);
    }
    double c0 = cpu_s();
    sleep((unsigned)secs);
    double c1 = cpu_s();
    int64_t t1 = oc_snapurl_mono_ms();
    unsigned long got = atomic_load(&frames), b = atomic_load(&bytes);
    uint64_t skipped = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        struct oc_snapurl_stats st;
        oc_snapurl_stats(s, i, &st);
        skipped += st.skipped;
        failed += st.timeout + st.http_error + st.network_error + st.not_jpeg + st.too_large;
    }
    oc_snapurl_stop(s);
    double wall = (double)(t1 - t0) / 1000.0;
    double per_cam = (c1 - c0) / n / wall;
    printf("cameras %d at %g fps for %.1f s: %lu frames (%.1f fps per camera, %.0f KiB each), "
           "%" PRIu64 " skipped, %" PRIu64 " failed\n",
           n, fps, wall, got, got / wall / n, got ? b / 1024.0 / got : 0.0, skipped, failed);
    printf("CPU: %.3f s in all, %.2f%% of one core per camera, %.2f ms per frame\n", c1 - c0,
           per_cam * 100, got ? (c1 - c0) * 1000 / got : 0.0);
    oc_ecfg_free(cfg);

    free(text);
    curl_global_cleanup();
    return 0;
}
