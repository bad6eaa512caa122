/* Stays that survive real trackers (oc_stay.c): re-detection distance
 * relative to box size, id hops between neighbours, duplicate and partial
 * boxes, gaps across the dwell deadline, neighbours parked side by side,
 * bounded hypotheses, and a snapshot taken in the middle of a stay. Each
 * on both sides of its threshold. Boxes are 100x100 unless said: the
 * tolerance is then max(still_px 15, 0.45 * 100) = 45 px. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Zone: x 0..1000, y 0..500 (a box whose bottom is below 500 has its
 * anchor outside). */
#define ZONE "[[0,0],[1000,0],[1000,500],[0,500]]"

static struct t_env *env_with(const char *params, const char *extra)
{
    char zones[1024];
    snprintf(zones, sizeof zones,
             "[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":" ZONE "%s%s}]",
             strstr(params, "dwell_s") ? "" : ",\"dwell_s\":60", params);
    return t_env_new(t_cfg(zones, "[]", extra));
}

struct box {
    const char *id;
    double x, y, w, h;
};

/* One detection message at ts with the given boxes (cars). */
static void frame(struct t_env *env, int64_t ts, const struct box *b, size_t n)
{
    char objs[4096];
    size_t len = 0;
    objs[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(objs + len, sizeof objs - len,
                                "%s{\"id\":\"%s\",\"class\":\"car\",\"box\":[%.2f,%.2f,%.2f,%.2f]}",
                                i ? "," : "", b[i].id, b[i].x, b[i].y, b[i].w, b[i].h);
    t_feed(env, "cameras/c/detections", "{\"ts\":%lld,\"objects\":[%s]}", (long long)ts, objs);
}

/* env made one record, of a stay that started at start; frees env. */
static void one_from(struct t_env *env, int64_t start)
{
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, start);
    t_env_free(env);
}

/* The same, having counted n of c. */
static void one_record(struct t_env *env, int64_t start, enum oc_counter c, uint64_t n)
{
    assert_int_equal(t_counter(env, c), n);
    one_from(env, start);
}

/* id's 100x100 box with top-left (x, 400) from t0 to t1 every 500 ms. */
static void park(struct t_env *env, const char *id, double x, int64_t t0, int64_t t1)
{
    for (int64_t t = t0; t <= t1; t += 500)
        frame(env, t, &(struct box){id, x, 400, 100, 100}, 1);
}

static void redetection_relative_to_box_height(void **state)
{
    (void)state;
    /* 0.3 of the box height away: the same stay */
    struct t_env *env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    park(env, "b", 430, 21000, 61000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    assert_string_equal(t_find(env, "illegal_parking")->track, "b");
    assert_int_equal(t_counter(env, OC_C_TRACKS_REACQUIRED), 1);
    t_env_free(env);
    /* 0.6 of the box height away: another object, its own stay */
    env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    park(env, "b", 460, 21000, 81000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 21000);
    assert_int_equal(t_counter(env, OC_C_TRACKS_REACQUIRED), 0);
    t_env_free(env);
    /* the same 60 px on a 200-px box is 0.3 of its height: the same stay */
    env = env_with("", "");
    for (int64_t t = 0; t <= 20000; t += 500)
        frame(env, t, &(struct box){"a", 400, 300, 200, 200}, 1);
    for (int64_t t = 21000; t <= 61000; t += 500)
        frame(env, t, &(struct box){"b", 460, 300, 200, 200}, 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
    /* a configured still_px stays the floor: 70 px tolerates 60 */
    env = env_with(",\"still_px\":70", "");
    park(env, "a", 400, 0, 20000);
    park(env, "b", 460, 21000, 61000);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
    /* still_frac 0: still_px alone, as before (30 px > 15) */
    env = env_with(",\"still_frac\":0", "");
    park(env, "a", 400, 0, 20000);
    park(env, "b", 430, 21000, 81000);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 21000);
    t_env_free(env);
}

static void jitter_within_tolerance_keeps_the_stay(void **state)
{
    (void)state;
    /* one track jittering +-40 px (0.4 h) every frame: one stay */
    struct t_env *env = env_with("", "");
    for (int64_t t = 0; t <= 61000; t += 500)
        frame(env, t, &(struct box){"a", (t / 500) % 2 ? 440 : 400, 400, 100, 100}, 1);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
    /* +-50 px (0.5 h) is not jitter: every second observation is far, so
     * the stay keeps restarting */
    env = env_with("", "");
    for (int64_t t = 0; t <= 61000; t += 500)
        frame(env, t, &(struct box){"a", (t / 500) % 4 < 2 ? 400 : 450, 400, 100, 100}, 1);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void hop_to_a_neighbour_and_back(void **state)
{
    (void)state;
    /* cars A (x 400) and B (x 420), 20 px apart; from 20 s to 25 s the
     * tracker swaps their ids, then swaps back */
    struct t_env *env = env_with("", "");
    for (int64_t t = 0; t <= 61000; t += 500) {
        bool swapped = t >= 20000 && t < 25000;
        struct box b[2] = {{swapped ? "b" : "a", 400, 400, 100, 100},
                           {swapped ? "a" : "b", 420, 400, 100, 100}};
        frame(env, t, b, 2);
    }
    assert_int_equal(t_count(env, "illegal_parking"), 2);
    assert_int_equal(env->rec[0].ts_start, 0);
    assert_int_equal(env->rec[1].ts_start, 0);
    assert_int_equal(t_counter(env, OC_C_STAYS_HOP_CORRECTED), 4);
    t_env_free(env);
    /* one id jumps to the neighbour while the neighbour is unboxed, and
     * back: A (unboxed meanwhile) and B keep their stays */
    env = env_with("", "");
    for (int64_t t = 0; t <= 61000; t += 500) {
        bool hop = t >= 20000 && t < 22000;
        struct box b[2] = {{"a", hop ? 420 : 400, 400, 100, 100}, {"b", 420, 400, 100, 100}};
        frame(env, t, hop ? &b[0] : b, hop ? 1 : 2);
    }
    assert_int_equal(t_count(env, "illegal_parking"), 2);
    assert_int_equal(env->rec[0].ts_start, 0);
    assert_int_equal(env->rec[1].ts_start, 0);
    assert_int_equal(t_counter(env, OC_C_STAYS_HOP_CORRECTED), 2);
    t_env_free(env);
}

static void duplicates_count_once(void **state)
{
    (void)state;
    /* a second live track on the same car (IoU 0.9) for 20 s */
    struct t_env *env = env_with("", "");
    for (int64_t t = 0; t <= 70000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"d", 403, 401, 98, 99}};
        frame(env, t, b, t >= 10000 && t < 30000 ? 2 : 1);
    }
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_counter(env, OC_C_STAYS_MERGED_DUPLICATE), 1);
    t_env_free(env);
    /* from the very first frame, and a visible-part duplicate (top half) */
    env = env_with("", "");
    for (int64_t t = 0; t <= 70000; t += 500) {
        struct box b[3] = {
            {"a", 400, 400, 100, 100}, {"d", 402, 401, 99, 100}, {"p", 400, 400, 100, 50}};
        frame(env, t, b, 3);
    }
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_counter(env, OC_C_STAYS_MERGED_DUPLICATE), 2);
    t_env_free(env);
    /* IoU 0.6 (25 px apart, same size) is another car: two stays */
    env = env_with("", "");
    for (int64_t t = 0; t <= 70000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"d", 425, 400, 100, 100}};
        frame(env, t, b, 2);
    }
    assert_int_equal(t_count(env, NULL), 2);
    assert_int_equal(t_counter(env, OC_C_STAYS_MERGED_DUPLICATE), 0);
    t_env_free(env);
}

static void gap_across_the_deadline(void **state)
{
    (void)state;
    /* dwell 59.5 s; seen until 54 s, unboxed for 6 s (longer than the
     * 5-s track timeout, so no timer can fire), seen again under a new id
     * at 60 s: reported at 59.5 s with the observations around the gap */
    struct t_env *env = env_with(",\"dwell_s\":59.5", "");
    park(env, "a", 400, 0, 54000);
    t_empty(env, "c", 58000);
    assert_int_equal(t_count(env, NULL), 0);
    park(env, "b", 405, 60000, 62000);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "illegal_parking");
    assert_int_equal(r->ts, 59500);
    assert_int_equal(r->ts_start, 0);
    assert_int_equal(r->n_keys, 3);
    assert_int_equal(r->key_ts[0], 0);
    assert_int_equal(r->key_ts[1], 54000);
    assert_int_equal(r->key_ts[2], 60000);
    assert_int_equal(t_counter(env, OC_C_STAYS_GAP_BRIDGED), 1);
    t_env_free(env);
    /* a gap longer than reacquire_s (5 s here) is a new stay */
    env = env_with(",\"dwell_s\":59.5,\"reacquire_s\":5", "");
    park(env, "a", 400, 0, 54000);
    t_empty(env, "c", 58000);
    park(env, "b", 405, 60000, 70000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void partial_box_with_anchor_outside(void **state)
{
    (void)state;
    /* the bottom of the car is hidden for one frame; the visible part's
     * box ends 1 px below the zone: it still feeds the stay */
    struct t_env *env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    frame(env, 20500, &(struct box){"a", 400, 451, 100, 50}, 1);
    park(env, "a", 400, 21000, 61000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    assert_int_equal(t_counter(env, OC_C_STAYS_PARTIAL_BOX), 1);
    t_env_free(env);
    /* the whole box half its height lower, its anchor 50 px out of the
     * zone, for one frame: it left (a box that lands farther away from
     * one frame to the next is an id that jumped to another object:
     * an_id_jumping_off_a_parked_car_keeps_its_stay) */
    env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    frame(env, 20500, &(struct box){"a", 400, 450, 100, 100}, 1);
    park(env, "a", 400, 21000, 61000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void two_cars_parked_side_by_side(void **state)
{
    (void)state;
    /* 20 px apart (IoU 0.67), the second arriving 10 s later: two */
    struct t_env *env = env_with("", "");
    for (int64_t t = 0; t <= 75000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"b", 420, 400, 100, 100}};
        frame(env, t, b, t >= 10000 ? 2 : 1);
    }
    assert_int_equal(t_count(env, "illegal_parking"), 2);
    assert_int_equal(env->rec[0].ts_start, 0);
    assert_int_equal(env->rec[1].ts_start, 10000);
    assert_string_equal(env->rec[1].track, "b");
    t_env_free(env);
    /* 5 px apart (IoU 0.9): one object boxed twice */
    env = env_with("", "");
    for (int64_t t = 0; t <= 75000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"b", 405, 400, 100, 100}};
        frame(env, t, b, t >= 10000 ? 2 : 1);
    }
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    t_env_free(env);
}

static void a_passing_car_does_not_end_a_stay(void **state)
{
    (void)state;
    /* a car drives past, its box over the parked car's for 2 s while the
     * parked car is hidden behind it */
    struct t_env *env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    for (int64_t t = 20500; t <= 30000; t += 500)
        frame(env, t, &(struct box){"m", 400 + (double)(t - 25000) * 0.08, 400, 100, 100}, 1);
    park(env, "a", 400, 30500, 61000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    assert_string_equal(t_find(env, "illegal_parking")->track, "a");
    t_env_free(env);
}

static void hypotheses_are_bounded(void **state)
{
    (void)state;
    /* limit 2: a third place evicts the stay observed longest ago */
    struct t_env *env = env_with("", "\"limits\":{\"max_tracks_per_camera\":2}");
    frame(env, 0, &(struct box){"a", 0, 400, 100, 100}, 1);
    frame(env, 500, &(struct box){"b", 300, 400, 100, 100}, 1);
    assert_int_equal(t_counter(env, OC_C_STAYS_EVICTED), 0);
    frame(env, 1000, &(struct box){"c", 600, 400, 100, 100}, 1);
    assert_int_equal(t_counter(env, OC_C_STAYS_EVICTED), 1);
    t_env_free(env);
}

/* The same log with the engine saved and restored half way gives the
 * same records. */
static void snapshot_keeps_stays(void **state)
{
    (void)state;
    const char *cfg = NULL;
    struct t_env *whole = env_with("", "");
    cfg = t_cfg("[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":" ZONE ",\"dwell_s\":60}]",
                "[]", "");
    park(whole, "a", 400, 0, 20000);
    park(whole, "b", 430, 21000, 40000);
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(oc_engine_save(whole->eng, f, 7), OC_OK);
    park(whole, "b", 430, 40500, 61000);
    assert_int_equal(t_count(whole, NULL), 1);
    rewind(f);
    struct t_env *half = t_env_new(cfg);
    assert_int_equal(oc_engine_load(half->eng, f, 7), OC_OK);
    fclose(f);
    park(half, "b", 430, 40500, 61000);
    assert_int_equal(t_count(half, NULL), 1);
    assert_int_equal(half->rec[0].ts_start, whole->rec[0].ts_start);
    assert_int_equal(half->rec[0].ts, whole->rec[0].ts);
    assert_string_equal(half->rec[0].track, whole->rec[0].track);
    t_env_free(half);
    t_env_free(whole);
}

static void still_frac_config(void **state)
{
    (void)state;
    struct t_env *env = env_with("", "");
    assert_true(env->cfg->cameras[0].zones[0].still_frac == 0.45);
    t_env_free(env);
    env = env_with("", "\"defaults\":{\"illegal_parking\":{\"still_frac\":0.2}}");
    assert_true(env->cfg->cameras[0].zones[0].still_frac == 0.2);
    t_env_free(env);
    char err[256];
    const char *bad[] = {",\"still_frac\":-0.1", ",\"still_frac\":5.5", ",\"still_frac\":\"x\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char zones[512];
        snprintf(zones, sizeof zones,
                 "[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":" ZONE "%s}]", bad[i]);
        const char *cfg = t_cfg(zones, "[]", "");
        struct oc_config *c = oc_config_parse(cfg, strlen(cfg), "t.json", err, sizeof err);
        assert_null(c);
        assert_non_null(strstr(err, "still_frac"));
    }
}

/* A car that drives in: boxes from x0 every 500 ms, 60 px a frame, until x1,
 * then parked there until t1. */
static void drive_in(struct t_env *env, const char *id, double x0, double x1, int64_t t0,
                     int64_t t1)
{
    int64_t t = t0;
    for (double x = x0; x < x1; x += 60, t += 500)
        frame(env, t, &(struct box){id, x, 400, 100, 100}, 1);
    park(env, id, x1, t, t1);
}

static void vacated_stay_and_the_next_car(void **state)
{
    (void)state;
    /* a's stay is vacated (a re-numbered box b fed it for 0.5 s, then
     * left the zone); c drives in and stops 30 px away (0.3 h, IoU 0.54):
     * another car, its own stay */
    struct t_env *env = env_with("", "");
    park(env, "a", 400, 0, 30000);
    frame(env, 30500, &(struct box){"b", 400, 400, 100, 100}, 1);
    frame(env, 31000, &(struct box){"b", 400, 600, 100, 100}, 1);
    drive_in(env, "c", 130, 430, 32000, 100000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_true(t_find(env, "illegal_parking")->ts_start >= 32000);
    assert_string_equal(t_find(env, "illegal_parking")->track, "c");
    t_env_free(env);
    /* the same car boxed again at the place (IoU 0.9): the stay goes on */
    env = env_with("", "");
    park(env, "a", 400, 0, 30000);
    frame(env, 30500, &(struct box){"b", 400, 400, 100, 100}, 1);
    frame(env, 31000, &(struct box){"b", 400, 600, 100, 100}, 1);
    park(env, "c", 405, 32000, 61000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
}

static void gap_then_a_car_that_drove_in(void **state)
{
    (void)state;
    /* a unboxed for 10 s (more than track_timeout_s, less than
     * reacquire_s); then a box under a new id appears at the place: the
     * same car, the stay goes on */
    struct t_env *env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    park(env, "b", 405, 30000, 70000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    assert_int_equal(t_counter(env, OC_C_STAYS_GAP_BRIDGED), 1);
    t_env_free(env);
    /* the new id drove in from 300 px away: a had left unseen, c is the
     * next car at the place and starts its own stay */
    env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    drive_in(env, "c", 105, 405, 30000, 100000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_true(t_find(env, "illegal_parking")->ts_start >= 30000);
    assert_int_equal(t_counter(env, OC_C_STAYS_GAP_BRIDGED), 0);
    t_env_free(env);
    /* a new id that appears 30 px away (within the tolerance, IoU 0.54:
     * the neighbouring place of a row) is another car, not a seen whole
     * again: its own stay */
    env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    park(env, "d", 430, 30000, 100000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 30000);
    assert_int_equal(t_counter(env, OC_C_STAYS_GAP_BRIDGED), 0);
    t_env_free(env);
}

/* A visible part of something in front of the place (40x60 inside a's
 * reference) every second from t0 to t1. */
static void part_in_front(struct t_env *env, int64_t t0, int64_t t1)
{
    for (int64_t t = t0; t <= t1; t += 1000)
        frame(env, t, &(struct box){"n", 430, 430, 40, 60}, 1);
}

/* Boxes of other objects that fed a stay after its car was last seen whole
 * (here a visible part of something in front, every second) do not keep
 * its place taken for a car that drives in: the object was not seen
 * whole for longer than track_timeout_s. */
static void others_boxes_do_not_keep_the_place_taken(void **state)
{
    (void)state;
    struct t_env *env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    part_in_front(env, 21000, 33000);
    drive_in(env, "c", 105, 405, 34000, 100000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_true(t_find(env, "illegal_parking")->ts_start >= 34000);
    assert_string_equal(t_find(env, "illegal_parking")->track, "c");
    t_env_free(env);
    /* a box that appears at the place instead (a re-numbered id after a
     * miss run) is the same car: the stay goes on */
    env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    part_in_front(env, 21000, 33000);
    park(env, "c", 405, 34000, 70000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
}

static void the_next_car_supersedes_a_stale_stay(void **state)
{
    (void)state;
    /* a parked until 20 s and left unseen; c drives in at 30 s and stops
     * at a's place (IoU 0.95 with a's reference): a's stay is forgotten,
     * and c re-numbered d at 40 s (appearing at the place) continues c's
     * stay, not a's */
    struct t_env *env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    drive_in(env, "c", 105, 402, 30000, 40000);
    park(env, "d", 402, 40500, 100000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_true(t_find(env, "illegal_parking")->ts_start >= 30000);
    assert_int_equal(t_counter(env, OC_C_STAYS_SUPERSEDED), 1);
    assert_int_equal(t_counter(env, OC_C_STAYS_GAP_BRIDGED), 0);
    t_env_free(env);
    /* c stops 30 px away (IoU 0.54, the neighbouring place): a's stay is
     * not superseded; d, where c was a frame ago, still goes to c's stay */
    env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    drive_in(env, "c", 105, 430, 30000, 40000);
    park(env, "d", 430, 40500, 100000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_true(t_find(env, "illegal_parking")->ts_start >= 30000);
    assert_int_equal(t_counter(env, OC_C_STAYS_SUPERSEDED), 0);
    assert_int_equal(t_counter(env, OC_C_STAYS_GAP_BRIDGED), 0);
    t_env_free(env);
}

/* a parked at 400 until 20 s, then unboxed; b drives in and stands at x
 * from about 28 s (a newer stay) until 32 s; from 32.5 s only a new id e
 * at 400: b re-detected a little off, or a seen again? */
static void stale_and_newer(struct t_env *env, double x)
{
    park(env, "a", 400, 0, 20000);
    drive_in(env, "b", x - 300, x, 26000, 32000);
    park(env, "e", 400, 32500, 100000);
}

static void a_newer_stay_claims_its_object(void **state)
{
    (void)state;
    /* b's last box 20 px from e's (IoU 0.67 >= 0.6): e is b re-numbered,
     * a's stale stay is not continued */
    struct t_env *env = env_with("", "");
    stale_and_newer(env, 420);
    assert_int_equal(t_counter(env, OC_C_STAYS_GAP_BRIDGED), 0);
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    assert_true(t_find(env, "illegal_parking")->ts_start >= 26000);
    t_env_free(env);
    /* 30 px (IoU 0.54 < 0.6, the neighbouring place): e is a seen again,
     * a's stay goes on */
    env = env_with("", "");
    stale_and_newer(env, 430);
    assert_int_equal(t_counter(env, OC_C_STAYS_GAP_BRIDGED), 1);
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
}

static void own_box_mostly_inside_keeps_the_stay(void **state)
{
    (void)state;
    /* for 1.5 s only the right 60 % of a is boxed, 10 px out to the right
     * (83 % of the box inside the reference, >= 75 %): the stay goes on */
    struct t_env *env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    for (int64_t t = 20500; t <= 21500; t += 500)
        frame(env, t, &(struct box){"a", 450, 400, 60, 100}, 1);
    park(env, "a", 400, 22000, 61000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    assert_int_equal(t_counter(env, OC_C_STAYS_PARTIAL_BOX), 3);
    t_env_free(env);
    /* 30 px out (50 % inside): the object moved, the stay restarts */
    env = env_with("", "");
    park(env, "a", 400, 0, 20000);
    for (int64_t t = 20500; t <= 21500; t += 500)
        frame(env, t, &(struct box){"a", 470, 400, 60, 100}, 1);
    park(env, "a", 400, 22000, 61000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void duplicate_never_takes_the_stay_over(void **state)
{
    (void)state;
    /* a duplicate track d (IoU 0.9) listed after the car's own box in
     * every message: the record names a */
    struct t_env *env = env_with("", "");
    for (int64_t t = 0; t <= 61000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"d", 403, 401, 98, 99}};
        frame(env, t, b, 2);
    }
    assert_int_equal(t_count(env, NULL), 1);
    assert_string_equal(t_find(env, "illegal_parking")->track, "a");
    t_env_free(env);
    /* a is no longer boxed from 40 s: d alone feeds the stay and is named */
    env = env_with("", "");
    for (int64_t t = 0; t <= 61000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"d", 403, 401, 98, 99}};
        frame(env, t, t < 40000 ? b : &b[1], t < 40000 ? 2 : 1);
    }
    assert_int_equal(t_count(env, NULL), 1);
    assert_string_equal(t_find(env, "illegal_parking")->track, "d");
    t_env_free(env);
}

static void stays_of_one_object_merge(void **state)
{
    (void)state;
    /* two tracks a and d start two stays 50 px apart (a car and a stray
     * duplicate), then both box one place (IoU 1): one stay, one record */
    struct t_env *env = env_with("", "");
    for (int64_t t = 0; t <= 1000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"d", 450, 400, 100, 100}};
        frame(env, t, b, 2);
    }
    for (int64_t t = 1500; t <= 70000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"d", 400, 400, 100, 100}};
        frame(env, t, b, 2);
    }
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
    /* 25 px apart throughout (IoU 0.6): two cars, two records */
    env = env_with("", "");
    for (int64_t t = 0; t <= 70000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"d", 425, 400, 100, 100}};
        frame(env, t, b, 2);
    }
    assert_int_equal(t_count(env, NULL), 2);
    t_env_free(env);
}

/* The start of the record of track id's stay, or -1. */
static int64_t start_of(const struct t_env *env, const char *id)
{
    for (size_t i = 0; i < env->n; i++)
        if (strcmp(env->rec[i].track, id) == 0)
            return env->rec[i].ts_start;
    return -1;
}

/* n parked at 440 all along; a parked at 400, its last box (20 s) at
 * a_last; from 20.5 s a new id b, first boxed at 425 (on n's box: IoU
 * 0.74, so n's duplicate), drives off; c appears at 400 at 30 s, after a
 * gap as long as a miss run, and stands there until 95 s. */
static void drive_off_renumbered(struct t_env *env, double a_last)
{
    for (int64_t t = 0; t <= 95000; t += 500) {
        struct box b[2] = {{"n", 440, 400, 100, 100},
                           {"a", t < 20000 ? 400 : a_last, 400, 100, 100}};
        if (t == 20500)
            b[1] = (struct box){"b", 425, 400, 100, 100};
        else if (t == 21000)
            b[1] = (struct box){"b", 485, 440, 100, 100};
        else if (t >= 30000)
            b[1] = (struct box){"c", 400, 400, 100, 100};
        frame(env, t, b, t <= 20000 || t == 20500 || t == 21000 || t >= 30000 ? 2 : 1);
    }
}

static void a_car_driving_off_renumbered_ends_its_stay(void **state)
{
    (void)state;
    /* a's last box at 420: b's first box is it a frame later (IoU 0.9),
     * though it fed n's stay as a duplicate: a drove off under a new id,
     * so c is the next car, with its own stay */
    struct t_env *env = env_with("", "");
    drive_off_renumbered(env, 420);
    assert_int_equal(t_count(env, NULL), 2);
    assert_int_equal(start_of(env, "n"), 0);
    assert_int_equal(start_of(env, "c"), 30000);
    /* b, first boxed where a was boxed last a frame before, continues a
     * (its stay passes to b, which then drives off with it) */
    assert_int_equal(t_counter(env, OC_C_STAYS_STITCHED), 1);
    t_env_free(env);
    /* a's last box at 400: b's first box is 25 px off it (IoU 0.6), a car
     * passing in front, not a; a's stay stands and c, appearing at a's
     * place, continues it */
    env = env_with("", "");
    drive_off_renumbered(env, 400);
    assert_int_equal(t_count(env, NULL), 2);
    assert_int_equal(start_of(env, "c"), 0);
    assert_int_equal(t_counter(env, OC_C_STAYS_LEFT_RENUMBERED), 0);
    t_env_free(env);
}

/* a parked at 400 from 0 s, unboxed from 58 s to 62 s (its deadline, 60 s,
 * falls in the gap); b drives in from 300 px right from 57 s and stops at
 * b_x at 60 s; both boxed from 62.5 s to 130 s */
static void arrive_beside(struct t_env *env, double b_x)
{
    for (int64_t t = 0; t <= 130000; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"b", b_x, 400, 100, 100}};
        if (t >= 57000 && t < 60000)
            b[1].x = b_x + 300 - 100.0 * (double)(t - 57000) / 1000;
        size_t n = t < 57000 ? 1 : 2;
        frame(env, t, t >= 58000 && t < 62500 ? &b[1] : b, t >= 58000 && t < 62500 ? 1 : n);
    }
}

static void a_car_arriving_beside_a_parked_one_keeps_its_own_stay(void **state)
{
    (void)state;
    /* b stops 35 px from a (IoU 0.48, within a's 45-px tolerance) while a
     * is unboxed: a car arriving beside it, not an id hop. a's stay fires
     * at its deadline naming a; b has its own stay, from where it stopped */
    struct t_env *env = env_with("", "");
    arrive_beside(env, 435);
    assert_int_equal(t_count(env, NULL), 2);
    assert_int_equal(env->rec[0].ts_start, 0);
    assert_string_equal(env->rec[0].track, "a");
    assert_string_equal(env->rec[1].track, "b");
    assert_true(env->rec[1].ts_start >= 59000);
    assert_true(t_counter(env, OC_C_STAYS_ARRIVAL_KEPT) > 0);
    t_env_free(env);
    /* b stops 10 px from a (IoU 0.82): the same object at the same place,
     * so b continues a's stay (and a, back, is its duplicate): one record */
    env = env_with("", "");
    arrive_beside(env, 410);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(env->rec[0].ts_start, 0);
    assert_string_equal(env->rec[0].track, "b");
    t_env_free(env);
}

/* a parked at 400 from 0 s to 70 s; in the message at its deadline (60 s)
 * a second track d boxes it too (IoU 0.9), listed first; with_a: whether
 * a's own box is in that message */
static void duplicate_at_the_deadline(struct t_env *env, bool with_a)
{
    park(env, "a", 400, 0, 59500);
    struct box b[2] = {{"d", 405, 400, 100, 100}, {"a", 400, 400, 100, 100}};
    frame(env, 60000, b, with_a ? 2 : 1);
    park(env, "a", 400, 60500, 70000);
}

static void a_stay_fires_with_its_own_box_not_a_duplicate(void **state)
{
    (void)state;
    /* the duplicate comes first in the message, the object's own box
     * second: the record names a, with a's box as its last key */
    struct t_env *env = env_with("", "");
    duplicate_at_the_deadline(env, true);
    assert_int_equal(t_count(env, NULL), 1);
    assert_string_equal(t_find(env, "illegal_parking")->track, "a");
    assert_true(t_counter(env, OC_C_STAYS_MERGED_DUPLICATE) > 0);
    t_env_free(env);
    /* d alone at the deadline is the object's only box: it is named */
    env = env_with("", "");
    duplicate_at_the_deadline(env, false);
    assert_int_equal(t_count(env, NULL), 1);
    assert_string_equal(t_find(env, "illegal_parking")->track, "d");
    t_env_free(env);
}

/* a parked at 400 until 58 s, its last full box at 58.5 s (403, 401);
 * then up to the deadline (60 s) boxes of the car's left part only, or
 * (part = false) full boxes at 404 */
static void last_boxes_before_the_deadline(struct t_env *env, bool part)
{
    park(env, "a", 400, 0, 58000);
    frame(env, 58500, &(struct box){"a", 403, 401, 100, 100}, 1);
    for (int64_t t = 59000; t <= 60000; t += 500)
        frame(env, t, &(struct box){"a", part ? 403 : 404, 400, part ? 60 : 100, part ? 95 : 100},
              1);
}

static void the_record_frames_the_whole_object(void **state)
{
    (void)state;
    /* the last observations show a part: the last key box is the object's
     * last full box, not the part */
    struct t_env *env = env_with("", "");
    last_boxes_before_the_deadline(env, true);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *v = t_find(env, "illegal_parking");
    assert_int_equal(v->ts, 60000);
    assert_true(t_counter(env, OC_C_STAYS_PARTIAL_BOX) >= 3);
    const double full[4] = {403, 401, 100, 100};
    assert_memory_equal(v->key_box[v->n_keys - 1], full, sizeof full);
    t_env_free(env);
    /* full boxes to the end: the last one is the key box */
    env = env_with("", "");
    last_boxes_before_the_deadline(env, false);
    v = t_find(env, "illegal_parking");
    assert_non_null(v);
    const double last[4] = {404, 400, 100, 100};
    assert_memory_equal(v->key_box[v->n_keys - 1], last, sizeof last);
    t_env_free(env);
}

/* a parked at 400 until 58 s; at 58.5 s only another car's box, dx px to
 * the right (a full match within the tolerance); then a's left part only
 * up to the deadline (60 s) */
static void passing_box_before_the_deadline(struct t_env *env, double dx)
{
    park(env, "a", 400, 0, 58000);
    frame(env, 58500, &(struct box){"p", 400 + dx, 400, 100, 100}, 1);
    for (int64_t t = 59000; t <= 60000; t += 500)
        frame(env, t, &(struct box){"a", 403, 405, 60, 95}, 1);
}

static void the_record_frames_its_car_not_a_passing_one(void **state)
{
    (void)state;
    /* 30 px off (IoU 0.54 with the reference, as a neighbouring place):
     * it keeps the stay observed but is not its car's box */
    struct t_env *env = env_with("", "");
    passing_box_before_the_deadline(env, 30);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *v = t_find(env, "illegal_parking");
    assert_int_equal(v->ts_start, 0);
    const double own[4] = {400, 400, 100, 100};
    assert_memory_equal(v->key_box[v->n_keys - 1], own, sizeof own);
    t_env_free(env);
    /* 10 px off (IoU 0.82): the object at its place, re-detected */
    env = env_with("", "");
    passing_box_before_the_deadline(env, 10);
    v = t_find(env, "illegal_parking");
    assert_non_null(v);
    const double near[4] = {410, 400, 100, 100};
    assert_memory_equal(v->key_box[v->n_keys - 1], near, sizeof near);
    t_env_free(env);
}

/* a parked at 400 from 0 (reported at 60 s), last boxed at 65 s; then
 * unboxed for gap_ms; b, first boxed at 560 (another place), is boxed at
 * a's place from the next frame on (its id hopped onto the car) */
static void reported_then_hopped_onto(struct t_env *env, int64_t gap_ms)
{
    park(env, "a", 400, 0, 65000);
    frame(env, 65000 + gap_ms, &(struct box){"b", 560, 400, 100, 100}, 1);
    park(env, "b", 400, 65500 + gap_ms, 140000);
}

static void a_reported_car_boxed_again_is_not_reported_again(void **state)
{
    (void)state;
    /* boxed again at its place 6.5 s later (within vacate_s, 8 s), by an
     * id that did not appear there: still the car already reported */
    struct t_env *env = env_with("", "");
    reported_then_hopped_onto(env, 6000);
    one_from(env, 0);
    /* 9 s later: the car may have left unseen, and b's car is another */
    env = env_with("", "");
    reported_then_hopped_onto(env, 8500);
    assert_int_equal(t_count(env, NULL), 2);
    t_env_free(env);
}

/* a parked at 400 from 0 to 20 s; then only a new track p's box of its
 * right part, 50x95, its left edge at 400 + left (456: 88 % of it inside
 * a's box, a part drawn a little wide), until 40 s; then p's full box at
 * a's place until 90 s */
static void part_drawn_wide(struct t_env *env, double left)
{
    park(env, "a", 400, 0, 20000);
    for (int64_t t = 20500; t < 40000; t += 500)
        frame(env, t, &(struct box){"p", 400 + left, 405, 50, 95}, 1);
    park(env, "p", 400, 40000, 90000);
}

static void a_part_a_little_outside_is_still_a_part(void **state)
{
    (void)state;
    /* 88 % inside (>= 85 %): a visible part of a's car, which feeds its
     * stay; a is reported once, from 0 */
    struct t_env *env = env_with("", "");
    part_drawn_wide(env, 56);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    assert_true(t_counter(env, OC_C_STAYS_PARTIAL_BOX) >= 39);
    t_env_free(env);
    /* 80 % inside: not a part of a's box */
    env = env_with("", "");
    part_drawn_wide(env, 60);
    assert_int_equal(t_counter(env, OC_C_STAYS_PARTIAL_BOX), 0);
    t_env_free(env);
}

/* a parked at 400 until 1 s before p_from (a gap: p is not a re-numbered
 * a, stitched to it); p parked at 600 from 30 s (a stay of its own), and
 * from p_from to the deadline of a (60 s) boxed 5 px off a's place (IoU
 * 0.9): it came from its own stay, as a neighbour driving off does */
static void another_id_at_the_deadline(struct t_env *env, int64_t p_from)
{
    for (int64_t t = 0; t < p_from; t += 500) {
        struct box b[2] = {{"a", 400, 400, 100, 100}, {"p", 600, 400, 100, 100}};
        bool a_on = t <= p_from - 1000, p_on = t >= 30000;
        frame(env, t, a_on ? b : b + 1, (size_t)a_on + p_on);
    }
    for (int64_t t = p_from; t <= 60000; t += 500)
        frame(env, t, &(struct box){"p", 405, 400, 100, 100}, 1);
}

static void the_key_box_comes_from_a_track_that_stayed(void **state)
{
    (void)state;
    /* p on the place only in the deadline's message (a car from another
     * place passing over it): the key box is a's last */
    struct t_env *env = env_with("", "");
    another_id_at_the_deadline(env, 60000);
    const struct t_rec *v = t_find(env, "illegal_parking");
    assert_non_null(v);
    const double own[4] = {400, 400, 100, 100};
    assert_memory_equal(v->key_box[v->n_keys - 1], own, sizeof own);
    t_env_free(env);
    /* p on it for 1.5 s (>= 1 s): an id hop onto a's car; its box is the
     * key */
    env = env_with("", "");
    another_id_at_the_deadline(env, 58500);
    v = t_find(env, "illegal_parking");
    assert_non_null(v);
    const double p_box[4] = {405, 400, 100, 100};
    assert_memory_equal(v->key_box[v->n_keys - 1], p_box, sizeof p_box);
    assert_int_equal(v->ts_start, 0);
    t_env_free(env);
}

/* a parked at 400 from 0; at 20 s a's box is drawn off (390, 390) and a
 * duplicate track d appears at (404, 396) (IoU 0.68 with a's box: not a
 * duplicate there, so d starts a stay of its own); from 20.5 s d, first in
 * each message, sits on its stay's reference and a's box (400, 400) is a
 * duplicate of d's (IoU 0.86), until 85 s */
static void duplicate_track_with_a_stay(struct t_env *env)
{
    park(env, "a", 400, 0, 19500);
    struct box first[2] = {{"a", 390, 390, 100, 100}, {"d", 404, 396, 100, 100}};
    frame(env, 20000, first, 2);
    for (int64_t t = 20500; t <= 85000; t += 500) {
        struct box b[2] = {{"d", 404, 396, 100, 100}, {"a", 400, 400, 100, 100}};
        frame(env, t, b, 2);
    }
}

static void a_track_taken_into_a_duplicates_stay_merges_them(void **state)
{
    (void)state;
    /* a's track moved to d's stay, a stay of the same object (references
     * IoU 0.86): one stay, the older, reported from 0 */
    struct t_env *env = env_with("", "");
    duplicate_track_with_a_stay(env);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    assert_true(t_counter(env, OC_C_STAYS_MERGED_DUPLICATE) >= 1);
    t_env_free(env);
}

/* a parked at 400 until 30 s; a new track n first boxed at 31.5 s beside
 * the place (480, 420), then at 32 and 32.5 s moving away by step px a
 * frame (or standing, step 0); b boxed at the place from 45 s, its first
 * box there (as a car whose approach fell in a miss run), until 130 s */
static void new_track_beside_a_stay(struct t_env *env, double step)
{
    park(env, "a", 400, 0, 30000);
    for (int k = 0; k < 3; k++)
        frame(env, 31500 + 500 * k,
              &(struct box){"n", 480 + step * k, 420 + step / 3 * k, 100, 100}, 1);
    park(env, "b", 400, 45000, 130000);
}

static void a_car_seen_driving_off_under_a_new_id_ends_its_stay(void **state)
{
    (void)state;
    /* n moves away 60 px a frame: a's car driving off after a miss run;
     * a's stay is vacated and forgotten, b is reported from its own start */
    struct t_env *env = env_with("", "");
    new_track_beside_a_stay(env, 60);
    one_record(env, 45000, OC_C_STAYS_LEFT_RENUMBERED, 1);
    /* n stands beside the place: nothing says a's car left, and b, first
     * boxed at the place within reacquire_s, continues a's stay */
    env = env_with("", "");
    new_track_beside_a_stay(env, 0);
    one_record(env, 0, OC_C_STAYS_LEFT_RENUMBERED, 0);
}

/* A's box narrowed to its left part of width w for 2 s at 20 s. */
static void narrowed_box(struct t_env *env, double w)
{
    park(env, "a", 400, 0, 19500);
    for (int64_t t = 20000; t <= 22000; t += 500)
        frame(env, t, &(struct box){"a", 400, 400, w, 100}, 1);
    park(env, "a", 400, 22500, 61000);
}

static void a_narrow_box_is_a_part_not_a_redetection(void **state)
{
    (void)state;
    /* 0.75 of the width (the reference 1.33 times it): a visible part,
     * judged as one (a neighbour's place lies within the tolerance, and a
     * part there must not pass for a full box of the car parked there) */
    struct t_env *env = env_with("", "");
    narrowed_box(env, 75);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_counter(env, OC_C_STAYS_PARTIAL_BOX), 5);
    t_env_free(env);
    /* 0.85 of the width (1.18): a full re-detection */
    env = env_with("", "");
    narrowed_box(env, 85);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_counter(env, OC_C_STAYS_PARTIAL_BOX), 0);
    t_env_free(env);
}

/* A parked from 0; at 20 s its track's box is, in the next frame (or
 * after a gap of gap_ms), 120 px lower and outside the zone (the id taken
 * by a passing car); A unboxed for 2 s, then boxed again under "a". */
static void id_jumps_off(struct t_env *env, int64_t gap_ms)
{
    park(env, "a", 400, 0, 20000);
    for (int64_t t = 20000 + gap_ms; t <= 22000; t += 500)
        frame(env, t, &(struct box){"a", 400 + (double)(t - 20000) * 0.1, 520, 100, 100}, 1);
    park(env, "a", 400, 22500, 90000);
}

static void an_id_jumping_off_a_parked_car_keeps_its_stay(void **state)
{
    (void)state;
    /* within one frame: no car starting off moves that far, the id
     * jumped; A's stay lives on */
    struct t_env *env = env_with("", "");
    id_jumps_off(env, 500);
    one_record(env, 0, OC_C_STAYS_ID_JUMPED, 1);
    /* after 1.5 s unboxed: not a jump (the car may have driven off), but
     * after a gap the stay is vacated, not ended: the car boxed again at
     * its place within vacate_s continues it */
    env = env_with("", "");
    id_jumps_off(env, 1500);
    one_record(env, 0, OC_C_STAYS_ID_JUMPED, 0);
    /* jumped off 2 s before the deadline and never boxed again: held,
     * not reported (a car merely unboxed then is: gap_across_the_deadline) */
    env = env_with("", "");
    park(env, "a", 400, 0, 58000);
    frame(env, 58500, &(struct box){"a", 400, 520, 100, 100}, 1);
    t_empty(env, "c", 70000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
    /* boxed again at 61 s, after its deadline: reported then, the last key
     * being that observation (not the deadline with a box seen after it) */
    env = env_with("", "");
    park(env, "a", 400, 0, 58000);
    frame(env, 58500, &(struct box){"a", 400, 520, 100, 100}, 1);
    t_empty(env, "c", 60000);
    park(env, "a", 403, 61000, 62000);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *v = t_find(env, "illegal_parking");
    assert_int_equal(v->ts, 60000);
    assert_int_equal(v->ts_start, 0);
    assert_int_equal(v->key_ts[v->n_keys - 1], 61000);
    const double again[4] = {403, 400, 100, 100};
    assert_memory_equal(v->key_box[v->n_keys - 1], again, sizeof again);
    t_env_free(env);
}

/* a parked at 400 from 0 to 20 s, then drives off to the right, its id
 * re-numbered at every box (every 500 ms, or with a frame unboxed between
 * ids when gapped); g stops at 400 at 35 s and stands there until 100 s. */
static void drive_off_under_new_ids(struct t_env *env, bool gapped)
{
    park(env, "a", 400, 0, 20000);
    static const char *const ids[] = {"b", "c", "d", "e", "f", "h", "i", "j"};
    int64_t step = gapped ? 1000 : 500, t = 20000 + step;
    for (int k = 0; k < 8; k++, t += step)
        frame(env, t, &(struct box){ids[k], 410 + 15.0 * k, 400, 100, 100}, 1);
    park(env, "g", 400, 35000, 100000);
}

static void a_new_id_where_a_lost_track_was_continues_it(void **state)
{
    (void)state;
    /* each new id first boxed where the last one was boxed a frame
     * before: one car driving off, its stay ends; g's stay is its own */
    struct t_env *env = env_with("", "");
    drive_off_under_new_ids(env, false);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 35000);
    assert_true(t_counter(env, OC_C_STAYS_STITCHED) >= 3);
    t_env_free(env);
    /* a frame unboxed between ids (1 s): nothing ties the ids together,
     * no id was seen leaving a's stay, and g, appearing at a's place
     * within reacquire_s, continues it as a re-acquisition of a */
    env = env_with("", "");
    drive_off_under_new_ids(env, true);
    assert_int_equal(t_counter(env, OC_C_STAYS_STITCHED), 0);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
}

/* a parked from 0 to 30 s; b feeds its stay for 0.5 s and leaves the
 * zone (the stay is vacated at 31 s); the car is boxed again as c at the
 * place from 31 s + gap_ms. */
static void vacated_then_boxed_again(struct t_env *env, int64_t gap_ms)
{
    park(env, "a", 400, 0, 30000);
    frame(env, 30500, &(struct box){"b", 400, 400, 100, 100}, 1);
    frame(env, 31000, &(struct box){"b", 400, 600, 100, 100}, 1);
    park(env, "c", 405, 31000 + gap_ms, 110000);
}

static void a_vacated_stay_waits_vacate_s(void **state)
{
    (void)state;
    /* boxed again 7 s later, within vacate_s (8): the stay goes on (a
     * detector's miss run of a few seconds) */
    struct t_env *env = env_with("", "");
    vacated_then_boxed_again(env, 7000);
    one_from(env, 0);
    /* 9 s later: forgotten, the car starts a new stay */
    env = env_with("", "");
    vacated_then_boxed_again(env, 9000);
    one_from(env, 40000);
    /* vacate_s 10 keeps it 9 s */
    env = env_with(",\"vacate_s\":10", "");
    vacated_then_boxed_again(env, 9000);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redetection_relative_to_box_height),
        cmocka_unit_test(jitter_within_tolerance_keeps_the_stay),
        cmocka_unit_test(hop_to_a_neighbour_and_back),
        cmocka_unit_test(duplicates_count_once),
        cmocka_unit_test(gap_across_the_deadline),
        cmocka_unit_test(partial_box_with_anchor_outside),
        cmocka_unit_test(two_cars_parked_side_by_side),
        cmocka_unit_test(a_passing_car_does_not_end_a_stay),
        cmocka_unit_test(hypotheses_are_bounded),
        cmocka_unit_test(snapshot_keeps_stays),
        cmocka_unit_test(still_frac_config),
        cmocka_unit_test(vacated_stay_and_the_next_car),
        cmocka_unit_test(gap_then_a_car_that_drove_in),
        cmocka_unit_test(others_boxes_do_not_keep_the_place_taken),
        cmocka_unit_test(the_next_car_supersedes_a_stale_stay),
        cmocka_unit_test(a_newer_stay_claims_its_object),
        cmocka_unit_test(own_box_mostly_inside_keeps_the_stay),
        cmocka_unit_test(duplicate_never_takes_the_stay_over),
        cmocka_unit_test(stays_of_one_object_merge),
        cmocka_unit_test(a_car_driving_off_renumbered_ends_its_stay),
        cmocka_unit_test(a_car_arriving_beside_a_parked_one_keeps_its_own_stay),
        cmocka_unit_test(a_stay_fires_with_its_own_box_not_a_duplicate),
        cmocka_unit_test(the_record_frames_the_whole_object),
        cmocka_unit_test(a_narrow_box_is_a_part_not_a_redetection),
        cmocka_unit_test(an_id_jumping_off_a_parked_car_keeps_its_stay),
        cmocka_unit_test(a_new_id_where_a_lost_track_was_continues_it),
        cmocka_unit_test(a_vacated_stay_waits_vacate_s),
        cmocka_unit_test(the_record_frames_its_car_not_a_passing_one),
        cmocka_unit_test(a_reported_car_boxed_again_is_not_reported_again),
        cmocka_unit_test(a_part_a_little_outside_is_still_a_part),
        cmocka_unit_test(the_key_box_comes_from_a_track_that_stayed),
        cmocka_unit_test(a_track_taken_into_a_duplicates_stay_merges_them),
        cmocka_unit_test(a_car_seen_driving_off_under_a_new_id_ends_its_stay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
