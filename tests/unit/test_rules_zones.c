/* Zone rules: stays and dwell (illegal_parking, tactile_paving_occupied,
 * street_vending), re-acquisition, jaywalking, wrong_way, no_helmet. */
#include "oc_test.h"

#include <stdio.h>
#include <string.h>

#define SQUARE "[[0,0],[1000,0],[1000,1000],[0,1000]]"

static struct t_env *zone_env(const char *kind, const char *params, const char *extra)
{
    char zones[1024];
    snprintf(zones, sizeof zones, "[{\"id\":\"z\",\"kind\":\"%s\",\"polygon\":" SQUARE "%s}]", kind,
             params);
    return t_env_new(t_cfg(zones, "[]", extra));
}

/* Keeps id at (x, y) from t0 to t1 (inclusive) every step ms. */
static void stay(struct t_env *env, const char *id, const char *cls, double x, double y, int64_t t0,
                 int64_t t1, int64_t step)
{
    for (int64_t t = t0; t <= t1; t += step)
        t_at(env, "c", t, id, cls, x, y);
}

static void parking_dwell_both_sides(void **state)
{
    (void)state;
    /* leaves (observed outside) at 179.9 s: no violation */
    struct t_env *env = zone_env("no_parking", "", "");
    stay(env, "a", "car", 500, 500, 0, 179900, 100);
    t_at(env, "c", 180000, "a", "car", 1500, 500);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
    /* still inside at exactly 180 s: one violation, ts = stay start + dwell */
    env = zone_env("no_parking", "", "");
    stay(env, "a", "car", 500, 500, 1000, 181000, 100);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "illegal_parking");
    assert_int_equal(r->ts_start, 1000);
    assert_int_equal(r->ts, 181000);
    assert_string_equal(r->zone, "z");
    assert_int_equal(r->n_keys, 2);
    assert_int_equal(r->key_ts[0], 1000);
    /* once per stay */
    stay(env, "a", "car", 500, 500, 181100, 400000, 1000);
    assert_int_equal(t_count(env, NULL), 1);
    t_env_free(env);
}

static void dwell_fires_on_the_camera_clock(void **state)
{
    (void)state;
    /* The car is not observed from 9 s on, but other messages move the
     * clock; its track lives until 14 s, so dwell 10 s is reached at 10 s. */
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":10", "");
    stay(env, "a", "car", 500, 500, 0, 9000, 1000);
    t_empty(env, "c", 9500);
    assert_int_equal(t_count(env, NULL), 0);
    t_empty(env, "c", 10500);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts, 10000);
    t_env_free(env);
    /* ... but not when its track ended first (last seen 4 s, ends 9 s) */
    env = zone_env("no_parking", ",\"dwell_s\":10", "");
    stay(env, "a", "car", 500, 500, 0, 4000, 1000);
    t_empty(env, "c", 20000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void parking_classes(void **state)
{
    (void)state;
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":10", "");
    stay(env, "p", "person", 100, 100, 0, 20000, 500);
    stay(env, "e", "ebike", 300, 300, 0, 20000, 500);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
    env = zone_env("no_parking", ",\"dwell_s\":10,\"classes\":[\"nonmotor\",\"bus\"]", "");
    stay(env, "e", "ebike", 300, 300, 0, 20000, 500);
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    t_env_free(env);
}

static void defaults_per_type(void **state)
{
    (void)state;
    struct t_env *env =
        zone_env("no_parking", "", "\"defaults\":{\"illegal_parking\":{\"dwell_s\":5}}");
    stay(env, "a", "car", 500, 500, 0, 5000, 500);
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    t_env_free(env);
}

static void tactile_and_vending_defaults(void **state)
{
    (void)state;
    struct t_env *env = zone_env("tactile_paving", "", "");
    stay(env, "e", "ebike", 500, 500, 0, 29900, 100);
    assert_int_equal(t_count(env, NULL), 0);
    t_at(env, "c", 30000, "e", "ebike", 500, 500);
    assert_int_equal(t_count(env, "tactile_paving_occupied"), 1);
    stay(env, "p", "person", 200, 200, 0, 60000, 1000);
    assert_int_equal(t_count(env, NULL), 1);
    t_env_free(env);
    env = zone_env("no_vending", "", "");
    stay(env, "v", "cart", 500, 500, 0, 299000, 1000);
    assert_int_equal(t_count(env, NULL), 0);
    t_at(env, "c", 300000, "v", "cart", 500, 500);
    assert_int_equal(t_count(env, "street_vending"), 1);
    t_env_free(env);
}

static void one_outlier_never_restarts(void **state)
{
    (void)state;
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":10", "");
    stay(env, "a", "car", 500, 500, 0, 4000, 500);
    t_at(env, "c", 4500, "a", "car", 560, 500); /* one detector glitch */
    stay(env, "a", "car", 500, 500, 5000, 10000, 500);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
}

static void two_far_observations_restart_the_stay(void **state)
{
    (void)state;
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":10", "");
    stay(env, "a", "car", 500, 500, 0, 4000, 500);
    t_at(env, "c", 4500, "a", "car", 516, 500); /* 16 px > still_px 15 */
    t_at(env, "c", 5000, "a", "car", 516, 500);
    stay(env, "a", "car", 516, 500, 5500, 14000, 500);
    assert_int_equal(t_count(env, NULL), 0);
    stay(env, "a", "car", 516, 500, 14500, 15000, 500);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 4500);
    t_env_free(env);
    /* 15 px is still "still" */
    env = zone_env("no_parking", ",\"dwell_s\":10", "");
    stay(env, "a", "car", 500, 500, 0, 4000, 500);
    stay(env, "a", "car", 515, 500, 4500, 10000, 500);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
}

static void leaving_the_zone_ends_the_stay(void **state)
{
    (void)state;
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":10", "");
    stay(env, "a", "car", 500, 500, 0, 8000, 500);
    t_at(env, "c", 8500, "a", "car", 1001, 500); /* boundary 1000 is inside, 1001 not */
    stay(env, "a", "car", 1000, 500, 9000, 18500, 500);
    assert_int_equal(t_count(env, NULL), 0);
    t_at(env, "c", 19000, "a", "car", 1000, 500);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 9000);
    t_env_free(env);
}

static void renumbered_track_continues_stay(void **state)
{
    (void)state;
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":60", "");
    stay(env, "a", "car", 500, 500, 0, 20000, 500);
    stay(env, "b", "car", 503, 504, 21000, 61000, 500); /* 5 px away, 1 s later */
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "illegal_parking");
    assert_string_equal(r->track, "b");
    assert_int_equal(r->ts_start, 0);
    assert_int_equal(r->ts, 60000);
    assert_int_equal(t_counter(env, OC_C_TRACKS_REACQUIRED), 1);
    /* the old track ended there: a's timeout cannot fire anything more */
    assert_int_equal(oc_engine_live_tracks(env->eng), 1);
    t_env_free(env);
}

static void reacquire_from_ended_track(void **state)
{
    (void)state;
    /* a is last seen at 20 s, ends at 25 s; b appears at 40 s: 20 s gap <= 30 */
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":60", "");
    stay(env, "a", "car", 500, 500, 0, 20000, 500);
    t_empty(env, "c", 30000);
    stay(env, "b", "car", 500, 500, 40000, 61000, 500);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
}

static void reacquire_limits(void **state)
{
    (void)state;
    /* 31 s after the last observation: too late */
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":60", "");
    stay(env, "a", "car", 500, 500, 0, 20000, 500);
    t_empty(env, "c", 30000);
    stay(env, "b", "car", 500, 500, 51000, 112000, 500);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 51000);
    t_env_free(env);
    /* 30 s exactly: in time */
    env = zone_env("no_parking", ",\"dwell_s\":60", "");
    stay(env, "a", "car", 500, 500, 0, 20000, 500);
    t_empty(env, "c", 30000);
    stay(env, "b", "car", 500, 500, 50000, 70000, 500);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 0);
    t_env_free(env);
    /* farther than still_px */
    env = zone_env("no_parking", ",\"dwell_s\":60", "");
    stay(env, "a", "car", 500, 500, 0, 20000, 500);
    stay(env, "b", "car", 516, 500, 21000, 90000, 500);
    assert_int_equal(t_find(env, "illegal_parking")->ts_start, 21000);
    t_env_free(env);
    /* another class group (a person where the car was) */
    env = zone_env("no_parking", ",\"dwell_s\":60,\"classes\":[\"car\",\"person\"]", "");
    stay(env, "a", "car", 500, 500, 0, 20000, 500);
    stay(env, "b", "person", 500, 500, 21000, 90000, 500);
    assert_int_equal(t_counter(env, OC_C_TRACKS_REACQUIRED), 0);
    t_env_free(env);
}

static void reacquire_picks_nearest(void **state)
{
    (void)state;
    struct t_env *env = zone_env("no_parking", ",\"dwell_s\":60", "");
    stay(env, "a", "car", 500, 500, 0, 20000, 500);
    stay(env, "b", "car", 510, 500, 0, 20000, 500);
    stay(env, "n", "car", 509, 500, 21000, 61000, 500); /* nearer to b */
    t_empty(env, "c", 70000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_string_equal(t_find(env, "illegal_parking")->track, "n");
    t_env_free(env);
}

static void jaywalking_min_travel(void **state)
{
    (void)state;
    const char *zones = "[{\"id\":\"road\",\"kind\":\"carriageway\",\"polygon\":" SQUARE "},"
                        "{\"id\":\"cw\",\"kind\":\"crosswalk\",\"polygon\":[[400,0],[600,0],[600,"
                        "1000],[400,1000]]}]";
    struct t_env *env = t_env_new(t_cfg(zones, "[]", ""));
    /* 99 px straight, with a zig-zag that adds path length but not distance */
    t_at(env, "c", 0, "p", "person", 100, 100);
    t_at(env, "c", 500, "p", "person", 130, 180); /* 85 px from entry */
    t_at(env, "c", 1000, "p", "person", 100, 199);
    assert_int_equal(t_count(env, NULL), 0);
    t_at(env, "c", 1500, "p", "person", 100, 200); /* 100 px */
    assert_int_equal(t_count(env, "jaywalking"), 1);
    const struct t_rec *r = t_find(env, "jaywalking");
    assert_int_equal(r->ts, 1500);
    assert_int_equal(r->ts_start, 0);
    assert_string_equal(r->zone, "road");
    /* once per track and zone */
    t_at(env, "c", 2000, "p", "person", 100, 400);
    assert_int_equal(t_count(env, NULL), 1);
    /* walking inside the crosswalk is no jaywalking */
    for (int i = 0; i <= 10; i++)
        t_at(env, "c", 3000 + i * 500, "q", "person", 500, 100 + i * 80);
    assert_int_equal(t_count(env, NULL), 1);
    /* a car is not a pedestrian */
    for (int i = 0; i <= 10; i++)
        t_at(env, "c", 3000 + i * 500, "v", "car", 200, 100 + i * 80);
    assert_int_equal(t_count(env, NULL), 1);
    t_env_free(env);
}

static void jaywalking_entry_resets_after_crosswalk(void **state)
{
    (void)state;
    const char *zones = "[{\"id\":\"road\",\"kind\":\"carriageway\",\"polygon\":" SQUARE "},"
                        "{\"id\":\"cw\",\"kind\":\"crosswalk\",\"polygon\":[[400,0],[600,0],[600,"
                        "1000],[400,1000]]}]";
    struct t_env *env = t_env_new(t_cfg(zones, "[]", ""));
    t_at(env, "c", 0, "p", "person", 340, 100);    /* entered the region here */
    t_at(env, "c", 500, "p", "person", 500, 100);  /* in the crosswalk: leaves the region */
    t_at(env, "c", 1000, "p", "person", 610, 100); /* re-enters: entry resets */
    t_at(env, "c", 1500, "p", "person", 700, 100); /* 90 px from re-entry */
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void wrong_way_cosine_and_length(void **state)
{
    (void)state;
    const char *lane = ",\"direction\":[1,0]";
    /* straight against the direction, 79 px then 80 px */
    struct t_env *env = zone_env("lane", lane, "");
    t_at(env, "c", 0, "v", "car", 500, 500);
    t_at(env, "c", 100, "v", "car", 421, 500);
    assert_int_equal(t_count(env, NULL), 0);
    t_at(env, "c", 200, "v", "car", 420, 500);
    assert_int_equal(t_count(env, "wrong_way"), 1);
    assert_int_equal(t_find(env, "wrong_way")->ts_start, 0);
    t_env_free(env);
    /* at 120.1 degrees from the direction (cosine just under -0.5): wrong way */
    env = zone_env("lane", lane, "");
    t_at(env, "c", 0, "v", "car", 500, 500);
    t_at(env, "c", 100, "v", "car", 500 - 100 * 0.5015107, 500 + 100 * 0.8651514);
    assert_int_equal(t_count(env, "wrong_way"), 1);
    t_env_free(env);
    /* at 119.9 degrees: not */
    env = zone_env("lane", lane, "");
    t_at(env, "c", 0, "v", "car", 500, 500);
    t_at(env, "c", 100, "v", "car", 500 - 100 * 0.4984885, 500 + 100 * 0.8668967);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
    /* the right way, and a pedestrian the wrong way: nothing */
    env = zone_env("lane", lane, "");
    t_at(env, "c", 0, "v", "car", 100, 500);
    t_at(env, "c", 1000, "v", "car", 600, 500);
    t_at(env, "c", 0, "p", "person", 600, 600);
    t_at(env, "c", 1000, "p", "person", 100, 600);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void helmet(struct t_env *env, const char *id, const char *cls, const char *pattern,
                   double x)
{
    for (size_t i = 0; pattern[i]; i++)
        t_obj(env, "c", 1000 + (int64_t)i * 100, id, cls, x, 100, 20, 50,
              pattern[i] == 'F'   ? "{\"helmet\":false}"
              : pattern[i] == 'T' ? "{\"helmet\":true}"
                                  : "{}");
}

static void no_helmet_thresholds(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]", "[]", ""));
    helmet(env, "a", "ebike", "FF", 0);       /* 2 < min_frames 3 */
    helmet(env, "b", "ebike", "FTFTTF", 100); /* 3 of 6 = 50% < 60% */
    helmet(env, "c", "car", "FFFFF", 200);    /* not a two-wheeler */
    assert_int_equal(t_count(env, NULL), 0);
    helmet(env, "d", "motorcycle", "TFF-F", 300); /* 3 of 4 counted = 75% */
    assert_int_equal(t_count(env, "no_helmet"), 1);
    const struct t_rec *r = t_find(env, "no_helmet");
    assert_string_equal(r->track, "d");
    assert_int_equal(r->ts_start, 1100);
    assert_int_equal(r->ts, 1400);
    assert_string_equal(r->zone, "");
    helmet(env, "e", "ebike", "FTFF", 400); /* 3 of 4: decided at the 4th */
    assert_int_equal(t_count(env, "no_helmet"), 2);
    helmet(env, "f", "ebike", "FFTTF", 500); /* 3 of 5 = 60% exactly */
    assert_int_equal(t_count(env, "no_helmet"), 3);
    helmet(env, "f", "ebike", "FFFFFF", 500); /* once per track */
    assert_int_equal(t_count(env, "no_helmet"), 3);
    t_env_free(env);
}

static void no_helmet_enforcement_zones(void **state)
{
    (void)state;
    const char *zones = "[{\"id\":\"he\",\"kind\":\"helmet_enforcement\","
                        "\"polygon\":[[0,0],[250,0],[250,1000],[0,1000]]}]";
    struct t_env *env = t_env_new(t_cfg(zones, "[]", ""));
    helmet(env, "out", "ebike", "FFFFF", 600); /* outside: not counted at all */
    assert_int_equal(t_count(env, NULL), 0);
    helmet(env, "in", "ebike", "FFF", 100);
    assert_int_equal(t_count(env, "no_helmet"), 1);
    assert_string_equal(t_find(env, "no_helmet")->zone, "he");
    t_env_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parking_dwell_both_sides),
        cmocka_unit_test(dwell_fires_on_the_camera_clock),
        cmocka_unit_test(parking_classes),
        cmocka_unit_test(defaults_per_type),
        cmocka_unit_test(tactile_and_vending_defaults),
        cmocka_unit_test(one_outlier_never_restarts),
        cmocka_unit_test(two_far_observations_restart_the_stay),
        cmocka_unit_test(leaving_the_zone_ends_the_stay),
        cmocka_unit_test(renumbered_track_continues_stay),
        cmocka_unit_test(reacquire_from_ended_track),
        cmocka_unit_test(reacquire_limits),
        cmocka_unit_test(reacquire_picks_nearest),
        cmocka_unit_test(jaywalking_min_travel),
        cmocka_unit_test(jaywalking_entry_resets_after_crosswalk),
        cmocka_unit_test(wrong_way_cosine_and_length),
        cmocka_unit_test(no_helmet_thresholds),
        cmocka_unit_test(no_helmet_enforcement_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
