/* Backlog drain after an outage (docs/bench.md): N violation records and
 * their tallies, already spooled, sent by the uplink to a loopback central.
 * In the same run, the engine's CPU per established violation on a
 * benchmark log, as the reference for the uplink's CPU per record.
 * usage: bench_uplink URL CA TOKEN_FILE SPOOL_DIR N SCENE LOG */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ordercam/oc_config.h"
#include "oc_ecfg.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_log.h"
#include "oc_spool.h"
#include "oc_uplink.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count(void *ud, const struct oc_violation *v)
{
    (void)v;
    (*(long *)ud)++;
}

/* CPU seconds per violation the engine establishes on the log. */
static double engine_cpu_per_violation(const char *scene, const char *logpath, long *violations)
{
    char err[512];
    struct oc_ecfg *ecfg = oc_ecfg_load(scene, err, sizeof err);
    const struct oc_config *cfg = ecfg ? ecfg->scene : NULL;
    struct oc_log *log = oc_log_open(logpath);
    if (!cfg || !log) {
        fprintf(stderr, "%s\n", cfg ? logpath : err);
        exit(1);
    }
    static const struct oc_engine_sink sink = {.violation = count};
    struct oc_engine *e = oc_engine_new(cfg, &sink, violations);
    struct oc_log_msg m;
    const char *why;
    oc_err_t r;
    double t0 = cpu_s();
    while ((r = oc_log_next(log, &m, &why)) != OC_ENOTFOUND)
        if (r == OC_OK && m.kind == OC_LOG_JSON)
            oc_engine_feed_json_topic(e, m.topic, m.topic_len, m.json);
    oc_engine_finish(e);
    double t = cpu_s() - t0;
    oc_engine_free(e);
    oc_log_close(log);
    oc_ecfg_free(ecfg);
    return *violations ? t / (double)*violations : 0;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: bench_uplink URL CA TOKEN_FILE SPOOL_DIR N SCENE LOG\n");
        return 2;
    }
    long n = atol(argv[5]);
    long violations = 0;
    double engine = engine_cpu_per_violation(argv[6], argv[7], &violations);

    char err[512];
    struct oc_spool *sp = oc_spool_open(argv[4], err, sizeof err);
    if (!sp) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static const char *const types[] = {"red_light", "illegal_parking", "wrong_way", "no_helmet",
                                        "jaywalking"};
    char rec[1024], id[128], cam[32];
    for (long i = 0; i < n; i++) {
        long long ts = 1763802000000LL + i * 500;
        snprintf(cam, sizeof cam, "cam-%03ld", i % 16);
        snprintf(id, sizeof id, "edge-bench:%s:%ld", cam, i / 16 + 1);
        snprintf(rec, sizeof rec,
                 "{\"id\":\"%s\",\"box\":\"edge-bench\",\"camera\":\"%s\",\"type\":\"%s\",\"code\":"
                 "\"1625\","
                 "\"ts\":%lld,\"ts_start\":%lld,\"track\":\"t%ld\",\"class\":\"car\",\"plate\":"
                 "\"晋A%05ld\","
                 "\"conf\":0.9,\"zone\":null,\"line\":\"stop\",\"signal\":\"sig\",\"location\":"
                 "\"Road %ld x Street\","
                 "\"road\":\"Road %ld\",\"unit\":\"Brigade %ld\",\"evidence\":null}",
                 id, cam, types[i % 5], ts, ts - 800, i, i % 100000, i % 16 / 4, i % 16 / 4, i % 4);
        if (oc_spool_add(sp, cam, (uint64_t)(i / 16 + 1), id, ts, types[i % 5], ts - ts % 60000,
                         rec, 0) != OC_OK) {
            fprintf(stderr, "cannot fill the spool\n");
            return 1;
        }
    }
    oc_spool_close(sp);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct oc_uplink_opts o = {.url = argv[1],
                               .ca_file = argv[2],
                               .token_file = argv[3],
                               .push_interval_s = 1,
                               .box_id = "edge-bench",
                               .version = "bench",
                               .spool_dir = argv[4],
                               .cameras_json = "[]"};
    double w0 = wall_s(), c0 = cpu_s();
    struct oc_uplink *u = oc_uplink_start(&o);
    struct oc_uplink_stats st = {0};
    while (u) {
        oc_uplink_stats(u, &st);
        if ((long)st.records_sent >= n || wall_s() - w0 > 600)
            break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    double wall = wall_s() - w0, cpu = cpu_s() - c0;
    oc_uplink_stop(u);
    curl_global_cleanup();
    uint64_t requests = st.requests_ok + st.requests_failed;
    printf("drain: %llu records and %llu tally rows in %.2f s: %.0f records/s (target >= 20000)\n",
           (unsigned long long)st.records_sent, (unsigned long long)st.tally_rows_sent, wall,
           (double)st.records_sent / wall);
    printf("  %llu requests, %.1f ms each on average (central's side of the round trip); %llu "
           "failed\n",
           (unsigned long long)requests,
           requests ? st.request_seconds * 1000 / (double)requests : 0,
           (unsigned long long)st.requests_failed);
    printf("uplink CPU per record: %.1f us; engine CPU per violation: %.1f us (%ld violations); "
           "ratio %.3f (target < 0.10)\n",
           cpu * 1e6 / (double)(st.records_sent ? st.records_sent : 1), engine * 1e6, violations,
           (cpu / (double)(st.records_sent ? st.records_sent : 1)) / (engine > 0 ? engine : 1));
    return (long)st.records_sent >= n ? 0 : 1;
}
