/* Engine throughput fed by each input format's adapter against the native
 * format, on the same frames, in one run (docs/bench.md, docs/inputs.md).
 * Each log is loaded into memory first (topic, raw payload bytes, arrival
 * time), so the timed loop is what ordercamd does per MQTT message:
 * oc_adapt_feed on the raw bytes, then the engine.
 * usage: bench_adapt NATIVE_SCENE NATIVE_LOG [FORMAT SCENE LOG]... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_adapt.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_log.h"
#include "oc_ecfg.h"

struct msg {
    char *topic;
    char *payload;
    size_t len;
    int64_t rx;
};

struct run {
    struct oc_engine *eng;
    uint64_t violations;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct msg *load(const char *path, size_t *n)
{
    struct oc_log *log = oc_log_open(path);
    if (!log) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 16;
    struct msg *m = malloc(cap * sizeof *m);
    struct oc_log_msg lm;
    const char *why;
    oc_err_t e;
    *n = 0;
    while ((e = oc_log_next(log, &lm, &why)) != OC_ENOTFOUND) {
        if (e != OC_OK || lm.kind != OC_LOG_JSON)
            continue; /* ticks and frames are not what is measured */
        if (*n == cap)
            m = realloc(m, (cap *= 2) * sizeof *m);
        struct msg *x = &m[(*n)++];
        x->topic = strdup(lm.topic);
        x->payload = cJSON_IsString(lm.json) ? strdup(lm.json->valuestring)
                                             : cJSON_PrintUnformatted(lm.json);
        x->len = strlen(x->payload);
        x->rx = lm.ts;
    }
    oc_log_close(log);
    return m;
}

static void violation(void *ud, const struct oc_violation *v)
{
    (void)v;
    ((struct run *)ud)->violations++;
}

static void native(void *ud, const char *t, size_t tl, const void *p, size_t l, const cJSON *j)
{
    (void)j;
    oc_engine_feed(((struct run *)ud)->eng, t, tl, p, l);
}

static void detections(void *ud, int cam, const struct oc_detections *d)
{
    oc_engine_feed_detections(((struct run *)ud)->eng, cam, d);
}

static void end(void *ud, int cam, const char *id, int64_t ts)
{
    oc_engine_end_track(((struct run *)ud)->eng, cam, id, ts);
}

static void drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    (void)cam, (void)f;
    oc_engine_count(((struct run *)ud)->eng, why);
}

struct setup {
    struct oc_ecfg *ecfg;
    const struct msg *m;
    size_t n;
};

static void setup_load(struct setup *su, const char *scene, const struct msg *m, size_t n)
{
    char err[512];
    su->ecfg = oc_ecfg_load(scene, err, sizeof err);
    if (!su->ecfg) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    su->m = m;
    su->n = n;
}

/* One pass over the messages: seconds; frames, objects, violations. */
static double pass(const struct setup *su, uint64_t *frames, uint64_t *objects, uint64_t *viol)
{
    static const struct oc_engine_sink es = {.violation = violation};
    static const struct oc_adapt_sink as = {
        .native = native, .detections = detections, .end = end, .drop = drop};
    const struct oc_config *cfg = su->ecfg->scene;
    struct run r = {0};
    r.eng = oc_engine_new(cfg, &es, &r);
    struct oc_adapt *a = oc_adapt_new(cfg, &as, &r);
    double t0 = now_s();
    for (size_t i = 0; i < su->n; i++) {
        oc_adapt_tick(a, su->m[i].rx);
        oc_adapt_feed(a, su->m[i].topic, strlen(su->m[i].topic), su->m[i].payload, su->m[i].len,
                      su->m[i].rx);
    }
    oc_adapt_flush(a);
    double dt = now_s() - t0;
    *frames = oc_engine_counter(r.eng, OC_C_MSG_DETECTIONS);
    *objects = oc_engine_counter(r.eng, OC_C_OBJECTS);
    *viol = r.violations;
    oc_adapt_free(a);
    oc_engine_free(r.eng);
    return dt;
}

#define ROUNDS 5

/* Native and one format alternately, ROUNDS times each; the best time of
 * each side, so a busy machine slows both alike. */
static void duel(const struct setup *nat, const struct setup *fmt, double *best_n, double *best_f,
                 uint64_t *fr, uint64_t *ob, uint64_t *vi)
{
    uint64_t a, b, c;
    *best_n = *best_f = 1e9;
    for (int i = 0; i < ROUNDS; i++) {
        double t = pass(nat, &a, &b, &c);
        if (t < *best_n)
            *best_n = t;
        t = pass(fmt, fr, ob, vi);
        if (t < *best_f)
            *best_f = t;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || (argc - 3) % 3 != 0) {
        fprintf(stderr, "usage: bench_adapt NATIVE_SCENE NATIVE_LOG [FORMAT SCENE LOG]...\n");
        return 2;
    }
    size_t n;
    struct msg *m = load(argv[2], &n);
    struct setup nat;
    setup_load(&nat, argv[1], m, n);
    uint64_t frames, objects, viol;
    double native_s = 1e9;
    for (int i = 0; i < ROUNDS; i++) {
        double t = pass(&nat, &frames, &objects, &viol);
        if (t < native_s)
            native_s = t;
    }
    printf("%-20s %9s %10s %12s %12s %7s %8s\n", "format", "messages", "frames", "frames/s",
           "objects/s", "ratio", "target");
    printf("%-20s %9zu %10llu %12.0f %12.0f %7s %8s   (%llu violations)\n", "ordercam", n,
           (unsigned long long)frames, frames / native_s, objects / native_s, "1.00", "",
           (unsigned long long)viol);
    int rc = 0;
    for (int i = 3; i < argc; i += 3) {
        size_t k;
        struct msg *x = load(argv[i + 2], &k);
        struct setup fs;
        setup_load(&fs, argv[i + 1], x, k);
        uint64_t f2, o2, v2;
        double sn, sf;
        duel(&nat, &fs, &sn, &sf, &f2, &o2, &v2);
        double target =
            strcmp(argv[i], "deepstream") == 0 || strcmp(argv[i], "onvif") == 0 ? 0.5 : 0.8;
        /* frames per second relative to native's, both from the same rounds */
        double ratio = (f2 / sf) / (frames / sn);
        printf("%-20s %9zu %10llu %12.0f %12.0f %7.2f %8s   (%llu violations; native in these "
               "rounds %.0f frames/s)%s\n",
               argv[i], k, (unsigned long long)f2, f2 / sf, o2 / sf, ratio,
               target == 0.5 ? ">= 0.50" : ">= 0.80", (unsigned long long)v2, frames / sn,
               ratio >= target ? "" : "  BELOW TARGET");
        if (ratio < target)
            rc = 1;
        oc_ecfg_free(fs.ecfg);
        for (size_t j = 0; j < k; j++) {
            free(x[j].topic);
            free(x[j].payload);
        }
        free(x);
    }
    oc_ecfg_free(nat.ecfg);
    for (size_t j = 0; j < n; j++) {
        free(m[j].topic);
        free(m[j].payload);
    }
    free(m);
    return rc;
}
