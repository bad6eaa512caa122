/* Clock bounds (events.md, "Clock bounds"): no single message moves a
 * camera's or a signal's clock beyond its receive time + max_future_s or
 * beyond where the clock should be + max_jump_s; a step confirmed by
 * OC_CLOCK_CONFIRM consistent messages is accepted; a restored clock beyond
 * wall time + max_future_s is reset. Both sides of every threshold. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_clock.h"

#define R 1763802000000LL      /* real time: 2025-11-22 */
#define POISON 4000000000000LL /* 2096 */
#define NP180                                                                                      \
    "[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[1000,0],[1000,1000],[0,1000]],"    \
    "\"dwell_s\":180}]"
/* the bounds every test here uses (the defaults are 300 and 30) */
#define BOUNDS "\"max_future_s\":300,\"max_jump_s\":60"
#define LINES                                                                                      \
    "[{\"id\":\"stop\",\"kind\":\"stop_line\",\"points\":[[100,0],[100,200]],"                     \
    "\"direction\":[1,0],\"signal\":\"s\",\"exit_lines\":[\"exit\"]},"                             \
    "{\"id\":\"exit\",\"kind\":\"exit_line\",\"points\":[[300,0],[300,200]],\"direction\":[1,0]}]"

struct counts {
    uint64_t c[OC_C__COUNT];
};

static struct counts counts(const struct t_env *env)
{
    struct counts k;
    for (int i = 0; i < OC_C__COUNT; i++)
        k.c[i] = t_counter(env, (enum oc_counter)i);
    return k;
}

/* Exactly counter `which` went up by one; nothing else moved. */
static void only_counted(const struct t_env *env, const struct counts *before,
                         enum oc_counter which)
{
    struct counts after = counts(env);
    for (int i = 0; i < OC_C__COUNT; i++)
        if (after.c[i] != before->c[i] + (i == (int)which))
            fail_msg("%s: %llu -> %llu (only %s should have moved)",
                     oc_counter_name((enum oc_counter)i), (unsigned long long)before->c[i],
                     (unsigned long long)after.c[i], oc_counter_name(which));
}

static void feed_raw(struct t_env *env, const char *topic, const char *payload)
{
    oc_engine_feed(env->eng, topic, strlen(topic), payload, strlen(payload));
}

/* A car parked at x, observed every second from t0 to t1, each message
 * received when sent (rx) or with no receive time. */
static void park(struct t_env *env, const char *id, double x, int64_t t0, int64_t t1, bool rx)
{
    for (int64_t t = t0; t <= t1; t += 1000) {
        if (rx)
            oc_engine_set_received(env->eng, t);
        t_at(env, "c", t, id, "car", x, 500);
    }
}

static bool clock_of(const struct t_env *env, int64_t *clock)
{
    return oc_engine_clock(env->eng, 0, clock);
}

static void defaults_and_limits(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]", "[]", ""));
    assert_int_equal(env->cfg->max_future_ms, 300000);
    assert_int_equal(env->cfg->max_jump_ms, 30000);
    t_env_free(env);
    env = t_env_new(t_cfg("[]", "[]", "\"max_future_s\":1,\"max_jump_s\":1.5"));
    assert_int_equal(env->cfg->max_future_ms, 1000);
    assert_int_equal(env->cfg->max_jump_ms, 1500);
    t_env_free(env);
    char err[256];
    const char *bad[] = {"\"max_future_s\":0", "\"max_jump_s\":0", "\"max_jump_s\":\"30\"",
                         "\"max_future_s\":31536001"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *cfg = t_cfg("[]", "[]", bad[i]);
        struct oc_config *c = oc_config_parse(cfg, strlen(cfg), "t", err, sizeof err);
        if (c)
            fail_msg("accepted %s", bad[i]);
    }
}

/* ---- the guard alone ---- */

static void guard_thresholds(void **state)
{
    (void)state;
    struct oc_clock_bounds b = {300000, 60000};
    struct oc_clock_guard g;
    oc_clock_guard_init(&g);
    /* first message: only the future bound */
    assert_int_equal(oc_clock_judge(&g, &b, false, 0, R + 300001, R), OC_CLOCK_FUTURE);
    assert_int_equal(oc_clock_judge(&g, &b, false, 0, R + 300000, R), OC_CLOCK_OK);
    assert_int_equal(oc_clock_judge(&g, &b, false, 0, POISON, OC_RX_UNKNOWN), OC_CLOCK_OK);
    /* jump bound against the clock */
    oc_clock_moved(&g, R, OC_RX_UNKNOWN);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, R + 60000, OC_RX_UNKNOWN), OC_CLOCK_OK);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, R + 60001, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    /* the clock follows wall time between receive times */
    oc_clock_moved(&g, R, R);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, R + 3600000 + 60000, R + 3600000),
                     OC_CLOCK_OK);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, R + 3600000 + 60001, R + 3600000),
                     OC_CLOCK_JUMP);
    /* receive time going back (the box's clock stepped back) does not widen it */
    assert_int_equal(oc_clock_judge(&g, &b, true, R, R + 60001, R - 100000), OC_CLOCK_JUMP);
}

static void guard_confirmation(void **state)
{
    (void)state;
    struct oc_clock_bounds b = {300000, 60000};
    struct oc_clock_guard g;
    oc_clock_guard_init(&g);
    oc_clock_moved(&g, R, OC_RX_UNKNOWN);
    int64_t s = R + 3600000;
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s + 100, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    /* an in-bound message between breaks the run */
    assert_int_equal(oc_clock_judge(&g, &b, true, R, R + 100, OC_RX_UNKNOWN), OC_CLOCK_OK);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s + 200, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s + 300, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s + 400, OC_RX_UNKNOWN), OC_CLOCK_STEP);
    /* candidates that disagree never confirm: each starts a new run */
    oc_clock_guard_init(&g);
    oc_clock_moved(&g, R, OC_RX_UNKNOWN);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s + 60001, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s + 60000, OC_RX_UNKNOWN), OC_CLOCK_JUMP);
    assert_int_equal(oc_clock_judge(&g, &b, true, R, s + 120000, OC_RX_UNKNOWN), OC_CLOCK_STEP);
    /* nothing confirms a message beyond receive time + max_future */
    for (int i = 0; i < 5; i++)
        assert_int_equal(oc_clock_judge(&g, &b, true, R, POISON + i, R), OC_CLOCK_FUTURE);
}

/* ---- the engine: the findings of issue 13 ---- */

/* {"ts":4000000000000,"objects":[]} received now: dropped and counted,
 * nothing else changes, and parked cars are judged on real time. */
static void detection_dated_2096(void **state)
{
    (void)state;
    for (int with_rx = 0; with_rx < 2; with_rx++) {
        struct t_env *env = t_env_new(t_cfg(NP180, "[]", BOUNDS));
        park(env, "p", 100, R, R + 10000, with_rx);
        struct counts before = counts(env);
        feed_raw(env, "ordercam/cameras/c/detections", "{\"ts\":4000000000000,\"objects\":[]}");
        only_counted(env, &before, with_rx ? OC_C_DROP_CLOCK_FUTURE : OC_C_DROP_CLOCK_JUMP);
        int64_t clock;
        assert_true(clock_of(env, &clock));
        assert_int_equal(clock, R + 10000);
        /* a car that parks now is not fined at its third frame */
        park(env, "q", 500, R + 11000, R + 14000, with_rx);
        assert_int_equal(t_count(env, NULL), 0);
        /* p stays: fined exactly 180 s after it parked, not before */
        park(env, "p", 100, R + 11000, R + 179000, with_rx);
        assert_int_equal(t_count(env, NULL), 0);
        park(env, "p", 100, R + 180000, R + 180000, with_rx);
        assert_int_equal(t_count(env, "illegal_parking"), 1);
        assert_int_equal(t_find(env, "illegal_parking")->ts, R + 180000);
        assert_int_equal(t_find(env, "illegal_parking")->ts_start, R);
        t_env_free(env);
    }
}

/* A red light run after a signal message dated 2096 is still judged:
 * later real states are not out of order. */
static void signal_dated_2096(void **state)
{
    (void)state;
    for (int with_rx = 0; with_rx < 2; with_rx++) {
        struct t_env *env = t_env_new(t_cfg("[]", LINES, BOUNDS));
        oc_engine_set_received(env->eng, with_rx ? R : OC_RX_UNKNOWN);
        t_sig(env, "s", R, "green");
        struct counts before = counts(env);
        t_sig(env, "s", POISON, "green");
        only_counted(env, &before, with_rx ? OC_C_DROP_CLOCK_FUTURE : OC_C_DROP_CLOCK_JUMP);
        oc_engine_set_received(env->eng, with_rx ? R + 10000 : OC_RX_UNKNOWN);
        t_sig(env, "s", R + 10000, "red");
        assert_int_equal(t_counter(env, OC_C_MSG_SIGNALS), 2);
        assert_int_equal(t_counter(env, OC_C_DROP_SIGNAL_OLD), 0);
        for (int64_t t = R + 11000; t <= R + 14000; t += 100) {
            oc_engine_set_received(env->eng, with_rx ? t : OC_RX_UNKNOWN);
            t_at(env, "c", t, "a", "car", 50 + (double)(t - R - 11000) / 10.0, 100);
        }
        assert_int_equal(t_count(env, "red_light"), 1);
        t_env_free(env);
    }
}

/* A message exactly max_future_s ahead of its receive time is accepted,
 * one ms more is not; the same for max_jump_s ahead of the clock. */
static void bounds_both_sides(void **state)
{
    (void)state;
    const char *cfg = t_cfg("[]", "[]", BOUNDS);
    struct t_env *env = t_env_new(cfg);
    int64_t clock;
    oc_engine_set_received(env->eng, R);
    t_empty(env, "c", R + 300001);
    assert_false(clock_of(env, &clock));
    assert_int_equal(t_counter(env, OC_C_DROP_CLOCK_FUTURE), 1);
    t_empty(env, "c", R + 300000);
    assert_true(clock_of(env, &clock));
    assert_int_equal(clock, R + 300000);
    /* without receive times: jumps from the clock */
    oc_engine_set_received(env->eng, -1); /* out of range: unknown */
    t_empty(env, "c", R + 360001);
    assert_int_equal(t_counter(env, OC_C_DROP_CLOCK_JUMP), 1);
    t_empty(env, "c", R + 360000);
    assert_true(clock_of(env, &clock));
    assert_int_equal(clock, R + 360000);
    /* a frame is judged too and does not reach the clock when dropped */
    char topic[128];
    snprintf(topic, sizeof topic, "ordercam/cameras/c/frames/%lld", (long long)(R + 420001));
    oc_engine_feed(env->eng, topic, strlen(topic), "\xff\xd8\xff\xe0", 4);
    assert_int_equal(t_counter(env, OC_C_DROP_CLOCK_JUMP), 2);
    assert_int_equal(t_counter(env, OC_C_MSG_FRAMES), 0);
    snprintf(topic, sizeof topic, "ordercam/cameras/c/frames/%lld", (long long)(R + 420000));
    oc_engine_feed(env->eng, topic, strlen(topic), "\xff\xd8\xff\xe0", 4);
    assert_int_equal(t_counter(env, OC_C_MSG_FRAMES), 1);
    /* camera events likewise */
    t_feed(env, "cameras/c/events", "{\"ts\":%lld,\"type\":\"littering\"}",
           (long long)(R + 480001));
    assert_int_equal(t_counter(env, OC_C_DROP_CLOCK_JUMP), 3);
    assert_int_equal(t_count(env, NULL), 0);
    t_feed(env, "cameras/c/events", "{\"ts\":%lld,\"type\":\"littering\"}",
           (long long)(R + 480000));
    assert_int_equal(t_count(env, "littering"), 1);
    t_env_free(env);
}

/* A camera 1 h slow is corrected by NTP: its new time is accepted at the
 * third consistent message; the two before it are counted. Signals alike. */
static void confirmed_step_is_accepted(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(NP180, "[]", BOUNDS));
    int64_t slow = R - 3600000, clock;
    for (int64_t t = 0; t <= 2000; t += 1000) {
        oc_engine_set_received(env->eng, R + t);
        t_empty(env, "c", slow + t);
        t_sig(env, "s", slow + t, "green");
    }
    for (int64_t t = 3000; t <= 4000; t += 1000) {
        oc_engine_set_received(env->eng, R + t);
        t_empty(env, "c", R + t);
        t_sig(env, "s", R + t, "red");
        assert_true(clock_of(env, &clock));
        assert_int_equal(clock, slow + 2000);
    }
    assert_int_equal(t_counter(env, OC_C_DROP_CLOCK_JUMP), 4);
    assert_int_equal(t_counter(env, OC_C_CLOCK_STEPS), 0);
    oc_engine_set_received(env->eng, R + 5000);
    t_empty(env, "c", R + 5000);
    t_sig(env, "s", R + 5000, "red");
    assert_int_equal(t_counter(env, OC_C_CLOCK_STEPS), 2);
    assert_true(clock_of(env, &clock));
    assert_int_equal(clock, R + 5000);
    assert_int_equal(t_counter(env, OC_C_MSG_SIGNALS), 4);
    /* and the camera works on its new time */
    park(env, "p", 100, R + 6000, R + 186000, true);
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts, R + 186000);
    t_env_free(env);
}

/* A camera quiet for an hour (no ticks) comes back without a jump: its
 * clock is expected to have followed the receive times. */
static void quiet_camera_is_no_jump(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]", "[]", BOUNDS));
    oc_engine_set_received(env->eng, R);
    t_empty(env, "c", R);
    oc_engine_set_received(env->eng, R + 3600000);
    t_empty(env, "c", R + 3600000 + 60000);
    assert_int_equal(t_counter(env, OC_C_MSG_DETECTIONS), 2);
    t_empty(env, "c", R + 3600000 + 60000 + 60001);
    assert_int_equal(t_counter(env, OC_C_DROP_CLOCK_JUMP), 1);
    t_env_free(env);
}

/* A clock moved ahead (within the bounds) by other messages cannot make a
 * stay fire before its track was seen for the dwell time. */
static void stay_needs_its_own_observations(void **state)
{
    (void)state;
    const char *np30 = "[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[1000,0],"
                       "[1000,1000],[0,1000]],\"dwell_s\":30}]";
    struct t_env *env = t_env_new(t_cfg(np30, "[]", BOUNDS));
    oc_engine_set_received(env->eng, R + 60000);
    t_empty(env, "c", R + 59000); /* the clock is 59 s ahead of the car's frames */
    park(env, "p", 100, R, R + 24000, false);
    assert_int_equal(t_count(env, NULL), 0); /* seen 24 s: 24 + 5 s timeout < 30 */
    park(env, "p", 100, R + 25000, R + 25000, false);
    assert_int_equal(t_count(env, "illegal_parking"), 1); /* 25 + 5 >= 30 */
    t_env_free(env);
}

/* ---- snapshots ---- */

static FILE *save(const struct t_env *env)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(oc_engine_save(env->eng, f, 42), OC_OK);
    rewind(f);
    return f;
}

static struct t_env *restore(const char *cfg, FILE *f, int64_t wall)
{
    struct t_env *env = t_env_new(cfg);
    oc_engine_set_received(env->eng, wall);
    assert_int_equal(oc_engine_load(env->eng, f, 42), OC_OK);
    fclose(f);
    return env;
}

/* The 2096 messages never reach the state: after save and load the car is
 * judged on real time and the signal takes real states. */
static void snapshot_holds_nothing_poisoned(void **state)
{
    (void)state;
    char cfg[16384];
    snprintf(cfg, sizeof cfg, "%s", t_cfg(NP180, LINES, BOUNDS));
    struct t_env *env = t_env_new(cfg);
    park(env, "p", 150, R, R + 10000, true);
    t_sig(env, "s", R + 10000, "green");
    t_empty(env, "c", POISON);
    t_sig(env, "s", POISON, "green");
    assert_int_equal(t_counter(env, OC_C_DROP_CLOCK_FUTURE), 2);
    struct t_env *back = restore(cfg, save(env), R + 10000);
    t_env_free(env);
    assert_int_equal(t_counter(back, OC_C_CLOCK_RESETS), 0);
    int64_t clock;
    assert_true(clock_of(back, &clock));
    assert_int_equal(clock, R + 10000);
    oc_engine_set_received(back->eng, R + 11000);
    t_sig(back, "s", R + 11000, "red");
    assert_int_equal(t_counter(back, OC_C_MSG_SIGNALS), 1);
    park(back, "p", 150, R + 11000, R + 179000, true);
    assert_int_equal(t_count(back, NULL), 0);
    park(back, "p", 150, R + 180000, R + 180000, true);
    assert_int_equal(t_count(back, "illegal_parking"), 1);
    t_env_free(back);
}

/* A state whose clocks are beyond the wall time now + max_future_s (the
 * box's clock was a day ahead when it was saved) is reset on load, camera
 * and signal; exactly at the bound it is kept. */
static void snapshot_poisoned_clock_is_reset(void **state)
{
    (void)state;
    char cfg[16384];
    snprintf(cfg, sizeof cfg, "%s", t_cfg(NP180, LINES, BOUNDS));
    int64_t day = 86400000;
    for (int at_bound = 0; at_bound < 2; at_bound++) {
        struct t_env *env = t_env_new(cfg);
        park(env, "p", 150, R + day - 5000, R + day, true);
        t_sig(env, "s", R + day, "green");
        int64_t wall = at_bound ? R + day - 300000 : R + day - 300001;
        struct t_env *back = restore(cfg, save(env), wall);
        t_env_free(env);
        int64_t clock;
        if (at_bound) {
            assert_int_equal(t_counter(back, OC_C_CLOCK_RESETS), 0);
            assert_true(clock_of(back, &clock));
            assert_int_equal(oc_engine_live_tracks(back->eng), 1);
            t_env_free(back);
            continue;
        }
        assert_int_equal(t_counter(back, OC_C_CLOCK_RESETS), 2);
        assert_false(clock_of(back, &clock));
        assert_int_equal(oc_engine_live_tracks(back->eng), 0);
        /* real messages are taken again */
        oc_engine_set_received(back->eng, R);
        t_sig(back, "s", R, "red");
        t_empty(back, "c", R);
        assert_int_equal(t_counter(back, OC_C_MSG_SIGNALS), 1);
        assert_int_equal(t_counter(back, OC_C_MSG_DETECTIONS), 1);
        assert_int_equal(t_counter(back, OC_C_DROP_SIGNAL_OLD), 0);
        t_env_free(back);
    }
}

/* A step half confirmed before a snapshot is confirmed after it, as it
 * would have been without the restart. */
static void snapshot_keeps_candidates(void **state)
{
    (void)state;
    char cfg[16384];
    snprintf(cfg, sizeof cfg, "%s", t_cfg("[]", "[]", BOUNDS));
    struct t_env *env = t_env_new(cfg);
    t_empty(env, "c", R);
    t_empty(env, "c", R + 3600000);
    t_empty(env, "c", R + 3600100);
    assert_int_equal(t_counter(env, OC_C_DROP_CLOCK_JUMP), 2);
    struct t_env *back = restore(cfg, save(env), OC_RX_UNKNOWN);
    t_env_free(env);
    t_empty(back, "c", R + 3600200);
    assert_int_equal(t_counter(back, OC_C_CLOCK_STEPS), 1);
    int64_t clock;
    assert_true(clock_of(back, &clock));
    assert_int_equal(clock, R + 3600200);
    t_env_free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_and_limits),
        cmocka_unit_test(guard_thresholds),
        cmocka_unit_test(guard_confirmation),
        cmocka_unit_test(detection_dated_2096),
        cmocka_unit_test(signal_dated_2096),
        cmocka_unit_test(bounds_both_sides),
        cmocka_unit_test(confirmed_step_is_accepted),
        cmocka_unit_test(quiet_camera_is_no_jump),
        cmocka_unit_test(stay_needs_its_own_observations),
        cmocka_unit_test(snapshot_holds_nothing_poisoned),
        cmocka_unit_test(snapshot_poisoned_clock_is_reset),
        cmocka_unit_test(snapshot_keeps_candidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
