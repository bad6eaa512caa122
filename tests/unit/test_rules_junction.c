/* The junction rules (docs/violations.md "Junctions"): movements and free
 * right turn on red, arrows, waiting areas, guide lanes, U-turns, solid
 * lines and yielding to pedestrians, each on both sides of its threshold.
 *
 * The approach drives east (+x) at y = 100 over the stop line x = 100.
 * Straight leaves over x = 300, right turns south over y = 300, left turns
 * north over y = -100, U-turns west over x = 80 at y -100..-10. */
#include "oc_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ordercam/oc_counters.h"

#define EXITS                                                                                      \
    "{\"id\":\"x-straight\",\"kind\":\"exit_line\",\"points\":[[300,-500],[300,500]],"             \
    "\"direction\":[1,0]},"                                                                        \
    "{\"id\":\"x-right\",\"kind\":\"exit_line\",\"points\":[[110,300],[600,300]],\"direction\":["  \
    "0,1]},"                                                                                       \
    "{\"id\":\"x-left\",\"kind\":\"exit_line\",\"points\":[[110,-100],[600,-100]],\"direction\":[" \
    "0,-1]},"                                                                                      \
    "{\"id\":\"x-uturn\",\"kind\":\"exit_line\",\"points\":[[80,-100],[80,-10]],\"direction\":[-"  \
    "1,0]}"

#define MOVEMENTS                                                                                  \
    "{\"name\":\"straight\",\"exit_lines\":[\"x-straight\"]},"                                     \
    "{\"name\":\"left\",\"exit_lines\":[\"x-left\"],\"signal\":\"sl\"},"                           \
    "{\"name\":\"right\",\"exit_lines\":[\"x-right\"]%s},"                                         \
    "{\"name\":\"uturn\",\"exit_lines\":[\"x-uturn\"],\"signal\":\"sl\"%s}"

static char cfg_buf[16384];

/* The scene is drawn around y = 0 (left turns leave over y = -100); the
 * loader refuses points outside the frame, so every y of the config and of
 * the detections is shifted down by JY into a 2160-px-high frame. */
#define JY 600
#define t_at(env, cam, ts, id, cls, ax, ay) (t_at)(env, cam, ts, id, cls, ax, (ay) + JY)

/* Adds JY to the y of every [x,y] point in cfg (not to direction vectors). */
static void shift_points(char *cfg, size_t cap)
{
    char out[sizeof cfg_buf];
    size_t o = 0;
    for (const char *p = cfg; *p && o + 32 < sizeof out;) {
        long x, y;
        int n = 0;
        bool dir = p - cfg >= 12 && strncmp(p - 12, "\"direction\":", 12) == 0;
        if (*p == '[' && !dir && sscanf(p, "[%ld,%ld]%n", &x, &y, &n) == 2 && n > 0) {
            o += (size_t)snprintf(out + o, sizeof out - o, "[%ld,%ld]", x, y + JY);
            p += n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    snprintf(cfg, cap, "%s", out);
}

/* A camera "c" with signals s (round), sl (left arrow), sr (right arrow),
 * sp (pedestrians); zones and extra lines spliced in. */
static struct t_env *env_junction(const char *stop_extra, const char *right_extra,
                                  const char *uturn_extra, const char *zones,
                                  const char *more_lines)
{
    char mv[2048];
    snprintf(mv, sizeof mv, MOVEMENTS, right_extra, uturn_extra);
    snprintf(cfg_buf, sizeof cfg_buf,
             "{\"box_id\":\"b1\",\"signals\":[{\"id\":\"s\"},{\"id\":\"sl\"},{\"id\":\"sr\"},"
             "{\"id\":\"sp\"}],\"cameras\":[{\"id\":\"c\",\"width\":1920,\"height\":2160,"
             "\"zones\":[%s],\"lines\":[{\"id\":\"stop\",\"kind\":\"stop_line\","
             "\"points\":[[100,0],[100,200]],\"direction\":[1,0],\"signal\":\"s\","
             "\"movements\":[%s]%s}," EXITS "%s]}]}",
             zones, mv, stop_extra, more_lines);
    shift_points(cfg_buf, sizeof cfg_buf);
    return t_env_new(cfg_buf);
}

static struct t_env *env_plain(void)
{
    return env_junction("", "", "", "", "");
}

/* Signals: s and sl as given from 0 (onset 0, past every grace by 10 s). */
static void lights(struct t_env *env, const char *s, const char *sl)
{
    t_sig(env, "s", 0, s);
    t_sig(env, "sl", 0, sl);
    t_sig(env, "sr", 0, "green");
    t_sig(env, "sp", 0, "green");
}

/* Drives id along straight segments through the points, 100 ms per step,
 * 10 px per step, starting at t0; returns the time of the last point. */
static int64_t path(struct t_env *env, const char *id, int64_t t0, const double (*pts)[2], size_t n)
{
    int64_t t = t0;
    t_at(env, "c", t, id, "car", pts[0][0], pts[0][1]);
    for (size_t i = 1; i < n; i++) {
        double dx = pts[i][0] - pts[i - 1][0], dy = pts[i][1] - pts[i - 1][1];
        double len = dx * dx + dy * dy > 0 ? __builtin_sqrt(dx * dx + dy * dy) : 0;
        int steps = (int)(len / 10) > 0 ? (int)(len / 10) : 1;
        for (int k = 1; k <= steps; k++) {
            t += 100;
            t_at(env, "c", t, id, "car", pts[i - 1][0] + dx * k / steps,
                 pts[i - 1][1] + dy * k / steps);
        }
    }
    return t;
}

static const double go_straight[][2] = {{60, 100}, {400, 100}};
static const double go_right[][2] = {{60, 100}, {200, 100}, {200, 400}};
static const double go_left[][2] = {{60, 100}, {200, 100}, {200, -200}};
static const double go_uturn[][2] = {{60, 100}, {150, 100}, {150, -50}, {40, -50}};

static void free_right_on_red(void **state)
{
    (void)state;
    struct t_env *env = env_plain();
    lights(env, "red", "red");
    path(env, "v", 10000, go_right, 3);
    t_empty(env, "c", 60000); /* past every window */
    assert_int_equal(t_count(env, NULL), 0);
    assert_int_equal(t_counter(env, OC_C_FREE_RIGHT_ON_RED), 1);
    t_env_free(env);
}

static void right_on_red_forbidden_per_approach(void **state)
{
    (void)state;
    struct t_env *env = env_junction(",\"free_right_on_red\":false", "", "", "", "");
    lights(env, "red", "red");
    path(env, "v", 10000, go_right, 3);
    assert_int_equal(t_count(env, "red_light"), 1);
    assert_int_equal(t_counter(env, OC_C_FREE_RIGHT_ON_RED), 0);
    t_env_free(env);
}

static void right_arrow_governs(void **state)
{
    (void)state;
    /* a right arrow: right is not free on red; its own red decides */
    struct t_env *env = env_junction("", ",\"signal\":\"sr\"", "", "", "");
    t_sig(env, "s", 0, "green");
    t_sig(env, "sl", 0, "green");
    t_sig(env, "sr", 0, "red");
    path(env, "v", 10000, go_right, 3);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "red_light");
    assert_string_equal(r->line, "stop");
    assert_string_equal(r->signal, "sr");
    assert_int_equal(r->n_keys, 3);
    /* the same with the arrow green: nothing */
    t_sig(env, "sr", 20000, "green");
    path(env, "w", 30000, go_right, 3);
    assert_int_equal(t_count(env, NULL), 1);
    t_env_free(env);
}

static void straight_on_red_left_on_arrow(void **state)
{
    (void)state;
    struct t_env *env = env_plain();
    lights(env, "red", "green");
    path(env, "a", 10000, go_straight, 2); /* round red: red_light */
    path(env, "b", 20000, go_left, 3);     /* left arrow green: nothing */
    t_empty(env, "c", 80000);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "red_light");
    assert_string_equal(r->track, "a");
    assert_string_equal(r->signal, "s");
    assert_int_equal(r->ts_start, 10400); /* x 100 at step 4 */
    t_env_free(env);
}

static void left_on_arrow_red_round_green(void **state)
{
    (void)state;
    struct t_env *env = env_plain();
    lights(env, "green", "red");
    path(env, "a", 10000, go_left, 3);     /* left arrow red: red_light by the arrow */
    path(env, "b", 20000, go_straight, 2); /* straight on green: nothing */
    t_empty(env, "c", 80000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_string_equal(t_find(env, "red_light")->signal, "sl");
    assert_string_equal(t_find(env, "red_light")->track, "a");
    t_env_free(env);
}

static void wait_past_line_then_right(void **state)
{
    (void)state;
    /* every movement red but the free right: waits 25 s past the line, then
     * turns right inside the free movement's 30 s: nothing */
    struct t_env *env = env_plain();
    lights(env, "red", "red");
    const double to_line[][2] = {{60, 100}, {130, 100}};
    int64_t t = path(env, "v", 10000, to_line, 2);
    for (int64_t w = t + 100; w <= t + 25000; w += 500)
        t_at(env, "c", w, "v", "car", 130, 100);
    const double turn[][2] = {{130, 100}, {200, 100}, {200, 400}};
    path(env, "v", t + 25100, turn, 3);
    t_empty(env, "c", 120000);
    assert_int_equal(t_count(env, NULL), 0);
    assert_int_equal(t_counter(env, OC_C_FREE_RIGHT_ON_RED), 1);
    t_env_free(env);
}

static void stop_past_line_waits_longest_window(void **state)
{
    (void)state;
    struct t_env *env = env_plain();
    lights(env, "red", "red");
    const double to_line[][2] = {{60, 100}, {130, 100}};
    int64_t t = path(env, "v", 10000, to_line, 2); /* crosses at 10400 */
    for (int64_t w = t + 500; w <= 50000; w += 500)
        t_at(env, "c", w, "v", "car", 130, 100);
    /* the window is the free right's 30 s: 40399 nothing, 40400 + 1 fires */
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "stop_line_crossing");
    assert_int_equal(r->ts_start, 10400);
    assert_int_equal(r->ts, 40400);
    t_env_free(env);
}

static void stop_past_line_not_all_red(void **state)
{
    (void)state;
    /* left arrow green: a car standing past the line may be turning left */
    struct t_env *env = env_plain();
    lights(env, "red", "green");
    const double to_line[][2] = {{60, 100}, {130, 100}};
    int64_t t = path(env, "v", 10000, to_line, 2);
    for (int64_t w = t + 500; w <= 50000; w += 500)
        t_at(env, "c", w, "v", "car", 130, 100);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void late_straight_is_stop_line_crossing(void **state)
{
    (void)state;
    /* straight's window is 10 s; stands 12 s past the line then goes
     * straight (round still red): stop_line_crossing at the exit */
    struct t_env *env = env_plain();
    lights(env, "red", "red");
    const double to_line[][2] = {{60, 100}, {130, 100}};
    int64_t t = path(env, "v", 10000, to_line, 2);
    for (int64_t w = t + 500; w <= t + 12000; w += 500)
        t_at(env, "c", w, "v", "car", 130, 100);
    const double on[][2] = {{130, 100}, {400, 100}};
    path(env, "v", t + 12100, on, 2);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "stop_line_crossing");
    assert_int_equal(r->ts_start, 10400);
    assert_true(r->ts > 10400 + 12000);
    t_env_free(env);
}

static void uturn_rules(void **state)
{
    (void)state;
    /* allowed, arrow green: nothing */
    struct t_env *env = env_plain();
    lights(env, "green", "green");
    path(env, "a", 10000, go_uturn, 4);
    t_empty(env, "c", 80000);
    assert_int_equal(t_count(env, NULL), 0);
    /* arrow red: illegal_uturn, not red_light (signal clocks move by at
     * most max_jump_s at a time) */
    for (int64_t ts = 25000; ts < 90000; ts += 25000) {
        t_sig(env, "s", ts, "green");
        t_sig(env, "sl", ts, "green");
    }
    t_sig(env, "sl", 90000, "red");
    path(env, "b", 100000, go_uturn, 4);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_count(env, "illegal_uturn"), 1);
    assert_string_equal(t_find(env, "illegal_uturn")->signal, "sl");
    t_env_free(env);
    /* forbidden: on green too */
    env = env_junction("", "", ",\"forbidden\":true", "", "");
    lights(env, "green", "green");
    path(env, "a", 10000, go_uturn, 4);
    assert_int_equal(t_count(env, "illegal_uturn"), 1);
    assert_int_equal(t_find(env, "illegal_uturn")->n_keys, 3);
    t_env_free(env);
}

#define LANE_STRAIGHT                                                                              \
    "{\"id\":\"lane-s\",\"kind\":\"guide_lane\",\"polygon\":[[0,50],[100,50],[100,150],[0,150]],"  \
    "\"stop_line\":\"stop\",\"movements\":[\"straight\"]}"

static void guide_lane(void **state)
{
    (void)state;
    struct t_env *env = env_junction("", "", "", LANE_STRAIGHT, "");
    lights(env, "green", "green");
    path(env, "a", 10000, go_straight, 2); /* allowed */
    path(env, "b", 20000, go_left, 3);     /* a straight-only lane turning left */
    const double outside[][2] = {{60, 10}, {200, 10}, {200, -200}}; /* not in the lane */
    path(env, "c1", 30000, outside, 3);
    t_empty(env, "c", 90000);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "wrong_lane_movement");
    assert_string_equal(r->track, "b");
    assert_string_equal(r->zone, "lane-s");
    assert_string_equal(r->line, "stop");
    assert_int_equal(r->n_keys, 3);
    assert_int_equal(r->key_ts[0], 20300); /* in the lane, before the line */
    t_env_free(env);
}

/* A left-turn waiting area between x 110 and 250 north of the approach,
 * its front line x = 250 governed by the left arrow. */
#define WAITING                                                                                    \
    "{\"id\":\"wa\",\"kind\":\"waiting_area\",\"polygon\":[[110,60],[250,60],[250,140],[110,140]]" \
    ","                                                                                            \
    "\"stop_line\":\"stop\",\"front_line\":\"front\",\"entry_signal\":\"s\"}"
#define FRONT                                                                                      \
    ",{\"id\":\"front\",\"kind\":\"stop_line\",\"points\":[[250,0],[250,200]],"                    \
    "\"direction\":[1,0],\"signal\":\"sl\",\"classes\":[\"motor\"]}"

static void waiting_area_rules(void **state)
{
    (void)state;
    struct t_env *env = env_junction("", "", "", WAITING, FRONT);
    lights(env, "green", "red");
    /* enters on the straight green (left arrow red), waits, leaves on the
     * arrow's green: nothing */
    const double in[][2] = {{60, 100}, {200, 100}};
    int64_t t = path(env, "a", 10000, in, 2);
    t_sig(env, "sl", 20000, "green");
    const double out[][2] = {{200, 100}, {270, 100}, {270, -200}};
    path(env, "a", 20500, out, 3);
    (void)t;
    assert_int_equal(t_count(env, NULL), 0);
    /* enters on green, crosses the front line on the arrow's red */
    t_sig(env, "sl", 30000, "red");
    path(env, "b", 40000, in, 2);
    path(env, "b", 41600, out, 3);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "red_light");
    assert_string_equal(r->line, "front");
    assert_string_equal(r->signal, "sl");
    t_env_free(env);
    /* enters on the entry signal's red: red_light at the stop line at once,
     * and nothing more at the front line */
    env = env_junction("", "", "", WAITING, FRONT);
    lights(env, "red", "red");
    path(env, "c1", 10000, in, 2);
    assert_int_equal(t_count(env, NULL), 1);
    r = t_find(env, "red_light");
    assert_string_equal(r->line, "stop");
    assert_string_equal(r->signal, "s");
    path(env, "c1", 11600, out, 3);
    t_empty(env, "c", 80000);
    assert_int_equal(t_count(env, NULL), 1);
    t_env_free(env);
    /* round red but the left arrow (the release signal) green: drives
     * through the area and turns left lawfully */
    env = env_junction("", "", "", WAITING, FRONT);
    lights(env, "red", "green");
    path(env, "d", 10000, in, 2);
    path(env, "d", 11600, out, 3);
    t_empty(env, "c", 80000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

#define SOLID ",{\"id\":\"solid\",\"kind\":\"solid_line\",\"points\":[[400,600],[1400,600]]%s}"

static struct t_env *env_solid(const char *extra)
{
    char more[512];
    snprintf(more, sizeof more, SOLID, extra);
    return env_junction("", "", "", "", more);
}

static void solid_line_rules(void **state)
{
    (void)state;
    struct t_env *env = env_solid("");
    lights(env, "green", "green");
    /* jitter: over the line by 12 px and back within 0.3 s: nothing */
    int64_t t = 10000;
    const double ys[] = {590, 595, 612, 596, 612, 590, 588};
    for (size_t i = 0; i < sizeof ys / sizeof *ys; i++, t += 100)
        t_at(env, "c", t, "j", "car", 500 + 10.0 * (double)i, ys[i]);
    /* brushes it: 5 px past (under min_overlap_px 10) for 2 s: nothing */
    for (int i = 0; i < 20; i++, t += 100)
        t_at(env, "c", t, "b", "car", 700 + 10.0 * i, i == 0 ? 590 : 605);
    assert_int_equal(t_count(env, NULL), 0);
    /* crosses 30 px and stays: confirmed 1 s after the crossing */
    t = 20000;
    t_at(env, "c", t, "x", "car", 900, 590);
    t_at(env, "c", t + 100, "x", "car", 910, 610); /* crossing at 20050 */
    t_at(env, "c", t + 600, "x", "car", 920, 630);
    t_at(env, "c", t + 1000, "x", "car", 930, 630);
    assert_int_equal(t_count(env, NULL), 0); /* 950 ms on the far side */
    t_at(env, "c", t + 1100, "x", "car", 940, 630);
    assert_int_equal(t_count(env, "solid_line_crossing"), 1);
    const struct t_rec *r = t_find(env, "solid_line_crossing");
    assert_int_equal(r->ts_start, 20050);
    assert_int_equal(r->ts, 21100);
    assert_string_equal(r->line, "solid");
    /* and back across: once per track and line */
    for (int i = 1; i <= 20; i++)
        t_at(env, "c", t + 1100 + 100 * i, "x", "car", 940, 630 - 3.0 * i);
    assert_int_equal(t_count(env, NULL), 1);
    t_env_free(env);
    /* the other direction counts too; a person never */
    env = env_solid(",\"confirm_s\":0.5,\"min_overlap_px\":20");
    t_at(env, "c", 10000, "y", "car", 900, 640);
    t_at(env, "c", 10100, "y", "car", 900, 590);
    t_at(env, "c", 10300, "y", "car", 900, 585); /* 15 px: not yet */
    t_at(env, "c", 10700, "y", "car", 900, 585);
    assert_int_equal(t_count(env, NULL), 0);
    t_at(env, "c", 10800, "y", "car", 900, 570); /* 30 px, 0.7 s after */
    assert_int_equal(t_count(env, "solid_line_crossing"), 1);
    t_obj(env, "c", 11000, "p", "person", 890, 520 + JY, 20, 120, NULL);
    t_obj(env, "c", 11100, "p", "person", 890, 540 + JY, 20, 120, NULL);
    t_obj(env, "c", 13000, "p", "person", 890, 540 + JY, 20, 120, NULL);
    assert_int_equal(t_count(env, NULL), 1);
    /* an anchor landing exactly on the line, then going over: a crossing */
    t_at(env, "c", 20000, "z", "car", 1000, 580);
    t_at(env, "c", 20100, "z", "car", 1000, 600);
    t_at(env, "c", 20200, "z", "car", 1000, 630);
    t_at(env, "c", 21000, "z", "car", 1000, 640);
    assert_int_equal(t_count(env, "solid_line_crossing"), 2);
    assert_int_equal(env->rec[1].ts_start, 20100);
    t_env_free(env);
}

/* A crosswalk x 200..260 across the exit road, its conflict line x = 190
 * for eastbound traffic, pedestrians on signal sp. */
#define CROSSWALK                                                                                  \
    "{\"id\":\"cw\",\"kind\":\"crosswalk\",\"polygon\":[[200,-400],[260,-400],[260,400],[200,400]" \
    "]}"
#define YIELD                                                                                      \
    ",{\"id\":\"yl\",\"kind\":\"yield_line\",\"points\":[[190,-400],[190,400]],"                   \
    "\"direction\":[1,0],\"crosswalk\":\"cw\",\"signal\":\"sp\",\"yield_px\":%s}"

static struct t_env *env_yield(const char *yield_px)
{
    char more[512];
    snprintf(more, sizeof more, YIELD, yield_px);
    return env_junction("", "", "", CROSSWALK, more);
}

/* A pedestrian walking north (y decreasing) at x 230 from y0 to y1, two
 * observations 1 s apart, the last at t. */
static void walker(struct t_env *env, const char *id, double y0, double y1, int64_t t)
{
    t_at(env, "c", t - 1000, id, "person", 230, y0);
    t_at(env, "c", t, id, "person", 230, y1);
}

static void yield_near_half_vs_past(void **state)
{
    (void)state;
    struct t_env *env = env_yield("100");
    lights(env, "green", "green");
    /* walking north, 40 px short of the car's line y = 100: in the near half */
    walker(env, "p1", 200, 140, 10350);
    const double drive[][2] = {{150, 100}, {400, 100}};
    path(env, "v1", 10000, drive, 2); /* crosses x 190 at 10400 */
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "fail_to_yield");
    assert_string_equal(r->track, "v1");
    assert_string_equal(r->zone, "cw");
    assert_string_equal(r->line, "yl");
    assert_int_equal(r->ts_start, 10400);
    assert_int_equal(r->n_keys, 3);
    assert_int_equal(r->key_ts[2], 11400); /* the "after" key, 1 s later */
    t_env_free(env);
    /* walking north, already 40 px past the car's line: nothing */
    env = env_yield("100");
    lights(env, "green", "green");
    walker(env, "p2", 100, 60, 10350);
    path(env, "v2", 10000, drive, 2);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
    /* walking north but 120 px short, beyond yield_px 100 + half width 10 */
    env = env_yield("100");
    lights(env, "green", "green");
    walker(env, "p3", 260, 220, 10350);
    path(env, "v3", 10000, drive, 2);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
    /* the same 120 px with yield_px 120: counts */
    env = env_yield("120");
    lights(env, "green", "green");
    walker(env, "p3", 260, 220, 10350);
    path(env, "v3", 10000, drive, 2);
    assert_int_equal(t_count(env, "fail_to_yield"), 1);
    t_env_free(env);
}

static void yield_pedestrian_on_red(void **state)
{
    (void)state;
    struct t_env *env = env_yield("100");
    lights(env, "green", "green");
    t_sig(env, "sp", 5000, "red");
    walker(env, "p1", 200, 140, 10350);
    const double drive[][2] = {{150, 100}, {400, 100}};
    path(env, "v1", 10000, drive, 2);
    t_empty(env, "c", 20000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void yield_track_ends_before_after_key(void **state)
{
    (void)state;
    struct t_env *env = env_yield("100");
    lights(env, "green", "green");
    walker(env, "p1", 200, 140, 10350);
    t_at(env, "c", 10300, "v", "car", 180, 100);
    t_at(env, "c", 10500, "v", "car", 200, 100);
    assert_int_equal(t_count(env, NULL), 0);
    t_empty(env, "c", 20000); /* the car is lost: recorded with two keys */
    assert_int_equal(t_count(env, "fail_to_yield"), 1);
    assert_int_equal(t_find(env, "fail_to_yield")->n_keys, 2);
    t_env_free(env);
}

static void config_refusals(void **state)
{
    (void)state;
    char err[512];
    struct {
        const char *stop_extra, *zones, *lines, *expect;
    } bad[] = {
        {",\"exit_lines\":[\"x-straight\"]", "", "", "not in exit_lines"},
        {"",
         "{\"id\":\"g\",\"kind\":\"guide_lane\",\"polygon\":[[0,0],[1,0],[1,1]],\"stop_line\":"
         "\"stop\",\"movements\":[\"sideways\"]}",
         "", "zones[0].movements[0]: must be"},
        {"",
         "{\"id\":\"g\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[1,0],[1,1]],\"stop_line\":"
         "\"stop\"}",
         "", "zones[0].stop_line: only a waiting_area or guide_lane takes this key"},
        {"", "",
         ",{\"id\":\"so\",\"kind\":\"solid_line\",\"points\":[[0,0],[1,1]],\"direction\":[1,0]}",
         "has no direction"},
        {"", "",
         ",{\"id\":\"y\",\"kind\":\"yield_line\",\"points\":[[0,0],[1,1]],\"direction\":[1,0],"
         "\"crosswalk\":\"nope\"}",
         "not a crosswalk zone"},
        {"",
         "{\"id\":\"w\",\"kind\":\"waiting_area\",\"polygon\":[[0,0],[1,0],[1,1]],\"stop_line\":"
         "\"stop\",\"front_line\":\"stop\",\"entry_signal\":\"s\"}",
         "", "must differ from stop_line"},
        {"", "",
         ",{\"id\":\"e\",\"kind\":\"exit_line\",\"points\":[[0,0],[1,1]],\"direction\":[1,0],"
         "\"yield_px\":3}",
         "only a yield_line takes this key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char mv[2048];
        snprintf(mv, sizeof mv, MOVEMENTS, "", "");
        snprintf(cfg_buf, sizeof cfg_buf,
                 "{\"box_id\":\"b1\",\"signals\":[{\"id\":\"s\"},{\"id\":\"sl\"}],"
                 "\"cameras\":[{\"id\":\"c\",\"width\":1920,\"height\":2160,"
                 "\"zones\":[%s],\"lines\":[{\"id\":\"stop\",\"kind\":\"stop_line\","
                 "\"points\":[[100,0],[100,200]],\"direction\":[1,0],\"signal\":\"s\","
                 "\"movements\":[%s]%s}," EXITS "%s]}]}",
                 bad[i].zones, mv, bad[i].stop_extra, bad[i].lines);
        shift_points(cfg_buf, sizeof cfg_buf);
        struct oc_config *cfg =
            oc_config_parse(cfg_buf, strlen(cfg_buf), "j.json", err, sizeof err);
        if (cfg || !strstr(err, bad[i].expect))
            fail_msg("case %zu: %s", i, cfg ? "accepted" : err);
    }
    /* uturn-only keys, duplicate movements */
    const char *mvbad[] = {
        "{\"name\":\"left\",\"exit_lines\":[\"x-left\"],\"forbidden\":true}",
        /* one movement twice */
        ("{\"name\":\"left\",\"exit_lines\":[\"x-left\"]},"
         "{\"name\":\"left\",\"exit_lines\":[\"x-left\"]}"),
        "{\"name\":\"left\",\"exit_lines\":[\"stop\"]}",
        "{\"name\":\"left\",\"exit_lines\":[\"x-left\"],\"signal\":\"nope\"}",
    };
    for (size_t i = 0; i < sizeof mvbad / sizeof *mvbad; i++) {
        snprintf(cfg_buf, sizeof cfg_buf,
                 "{\"box_id\":\"b1\",\"signals\":[{\"id\":\"s\"},{\"id\":\"sl\"}],"
                 "\"cameras\":[{\"id\":\"c\",\"width\":1920,\"height\":2160,"
                 "\"lines\":[{\"id\":\"stop\",\"kind\":\"stop_line\","
                 "\"points\":[[100,0],[100,200]],\"direction\":[1,0],\"signal\":\"s\","
                 "\"movements\":[%s]}," EXITS "]}]}",
                 mvbad[i]);
        shift_points(cfg_buf, sizeof cfg_buf);
        struct oc_config *cfg =
            oc_config_parse(cfg_buf, strlen(cfg_buf), "j.json", err, sizeof err);
        if (cfg)
            fail_msg("movement case %zu accepted", i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(free_right_on_red),
        cmocka_unit_test(right_on_red_forbidden_per_approach),
        cmocka_unit_test(right_arrow_governs),
        cmocka_unit_test(straight_on_red_left_on_arrow),
        cmocka_unit_test(left_on_arrow_red_round_green),
        cmocka_unit_test(wait_past_line_then_right),
        cmocka_unit_test(stop_past_line_waits_longest_window),
        cmocka_unit_test(stop_past_line_not_all_red),
        cmocka_unit_test(late_straight_is_stop_line_crossing),
        cmocka_unit_test(uturn_rules),
        cmocka_unit_test(guide_lane),
        cmocka_unit_test(waiting_area_rules),
        cmocka_unit_test(solid_line_rules),
        cmocka_unit_test(yield_near_half_vs_past),
        cmocka_unit_test(yield_pedestrian_on_red),
        cmocka_unit_test(yield_track_ends_before_after_key),
        cmocka_unit_test(config_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
