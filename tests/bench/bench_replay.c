/* Replay throughput against cJSON parsing alone, on the same log, in one
 * run (docs/bench.md): ROUNDS rounds of parse-only then replay, the best
 * time of each kept. Prints messages/s, objects/s, the ratio, and RSS as
 * the log is read, to show memory is flat when live tracks are constant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_config.h"
#include "oc_ecfg.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_log.h"
#include "ordercam/oc_record.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a machine shared with other work it counts
 * only what this pass ran, where wall time also counts waiting for a core. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Reference: read each line and parse it with cJSON, nothing else. */
static double parse_only(const char *path, long *lines, double *cpu)
{
    static char buf[1 << 20];
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        exit(1);
    gzbuffer(gz, 256 * 1024);
    double t0 = now_s(), c0 = cpu_s();
    long n = 0;
    while (gzgets(gz, buf, sizeof buf)) {
        cJSON *j = cJSON_Parse(buf);
        if (j)
            n++;
        cJSON_Delete(j);
    }
    double dt = now_s() - t0;
    *cpu = cpu_s() - c0;
    gzclose(gz);
    *lines = n;
    return dt;
}

struct out {
    const struct oc_config *cfg;
    FILE *f;
    char rec[OC_RECORD_MAX];
    long violations;
    long by_type[64]; /* per cfg->vtypes index (at most 64 types) */
};

static void on_violation(void *ud, const struct oc_violation *v)
{
    struct out *o = ud;
    size_t n = oc_record_format(o->cfg, v, NULL, o->rec, sizeof o->rec);
    fwrite(o->rec, 1, n, o->f);
    o->violations++;
    if (v->vtype >= 0 && v->vtype < 64)
        o->by_type[v->vtype]++;
}

/* The replay path: the same reading, the engine, records written out. */
static double replay(const struct oc_config *cfg, const char *path, long total, long *msgs,
                     unsigned long *objects, long rss[4], long *violations, long by_type[64],
                     unsigned long *free_right, double *cpu)
{
    struct out o = {.cfg = cfg, .f = fopen("/dev/null", "w")};
    static const struct oc_engine_sink sink = {.violation = on_violation};
    struct oc_engine *e = oc_engine_new(cfg, &sink, &o);
    struct oc_log *log = oc_log_open(path);
    if (!e || !log || !o.f)
        exit(1);
    struct oc_log_msg m;
    const char *why;
    long n = 0;
    oc_err_t err;
    double t0 = now_s(), c0 = cpu_s();
    while ((err = oc_log_next(log, &m, &why)) != OC_ENOTFOUND) {
        if (err == OC_OK && m.kind == OC_LOG_JSON) {
            oc_engine_set_received(e, m.ts); /* as ordercam-replay does */
            oc_engine_feed_json_topic(e, m.topic, m.topic_len, m.json);
        }
        n++;
        if (total > 4 && n % (total / 4) == 0 && n / (total / 4) <= 4)
            rss[n / (total / 4) - 1] = rss_kb();
    }
    oc_engine_finish(e);
    double dt = now_s() - t0;
    *cpu = cpu_s() - c0;
    *msgs = n;
    *objects = oc_engine_counter(e, OC_C_OBJECTS);
    *violations = o.violations;
    memcpy(by_type, o.by_type, sizeof o.by_type);
    *free_right = oc_engine_counter(e, OC_C_FREE_RIGHT_ON_RED);
    oc_log_close(log);
    oc_engine_free(e);
    fclose(o.f);
    return dt;
}

int main(int argc, char **argv)
{
    int rounds = argc == 4 ? atoi(argv[3]) : 2;
    if ((argc != 3 && argc != 4) || rounds < 1 || rounds > 100) {
        fprintf(stderr, "usage: bench_replay SCENE.json LOG.jsonl [ROUNDS (1..100, 2)]\n");
        return 2;
    }
    char err[512];
    struct oc_ecfg *ecfg = oc_ecfg_load(argv[1], err, sizeof err);
    const struct oc_config *cfg = ecfg ? ecfg->scene : NULL;
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    long lines = 0, msgs = 0, violations = 0, rss[4] = {0}, by_type[64] = {0};
    unsigned long objects = 0, free_right = 0;
    double best_parse = 1e30, best_replay = 1e30, cpu_parse = 1e30, cpu_replay = 1e30;
    for (int round = 0; round < rounds; round++) {
        double pc, rc;
        double p = parse_only(argv[2], &lines, &pc);
        double r = replay(cfg, argv[2], lines, &msgs, &objects, rss, &violations, by_type,
                          &free_right, &rc);
        cpu_parse = pc < cpu_parse ? pc : cpu_parse;
        cpu_replay = rc < cpu_replay ? rc : cpu_replay;
        best_parse = p < best_parse ? p : best_parse;
        best_replay = r < best_replay ? r : best_replay;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double parse_rate = (double)lines / best_parse, replay_rate = (double)msgs / best_replay;
    printf("log: %ld messages, %lu objects, %zu cameras, %ld violations\n", msgs, objects,
           cfg->n_cameras, violations);
    printf("violations by type:");
    for (size_t t = 0; t < cfg->n_vtypes && t < 64; t++)
        if (by_type[t])
            printf(" %s %ld", cfg->vtypes[t].name, by_type[t]);
    printf("; free_right_on_red %lu\n", free_right);
    printf("parse-only (cJSON):  %10.0f messages/s  (%.2f s)\n", parse_rate, best_parse);
    printf("replay (engine):     %10.0f messages/s  %10.0f objects/s  (%.2f s)\n", replay_rate,
           (double)objects / best_replay, best_replay);
    printf("ratio replay/parse:  %10.2f   (target >= 0.60)\n", replay_rate / parse_rate);
    printf("CPU-time ratio:      %10.2f   (best CPU seconds: parse %.2f, replay %.2f)\n",
           cpu_parse / cpu_replay, cpu_parse, cpu_replay);
    printf("target 250000 msg/s: %s\n", replay_rate >= 250000 ? "met" : "NOT met");
    printf("RSS at 25/50/75/100%% of the log: %ld %ld %ld %ld kB; peak %ld kB\n", rss[0], rss[1],
           rss[2], rss[3], ru.ru_maxrss);
    oc_ecfg_free(ecfg);
    return 0;
}
