/* Stop lines, exit lines and signals: red_light, stop_line_crossing,
 * nonmotor_red_light, pedestrian_red_light, with both sides of every
 * threshold. */
#include "oc_test.h"

#include <stdio.h>
#include <string.h>

#define LINES                                                                                      \
    "[{\"id\":\"stop\",\"kind\":\"stop_line\",\"points\":[[100,0],[100,200]],"                     \
    "\"direction\":[1,0],\"signal\":\"s\",\"exit_lines\":[\"exit\"]%s},"                           \
    "{\"id\":\"exit\",\"kind\":\"exit_line\",\"points\":[[300,0],[300,200]],\"direction\":[1,0]}]"

static struct t_env *env_lines(const char *line_extra, const char *extra)
{
    static char lines[2048];
    snprintf(lines, sizeof lines, LINES, line_extra);
    return t_env_new(t_cfg("[]", lines, extra));
}

/* Green until 10 s, red from 10 s (onset 10000). */
static void red_at_10s(struct t_env *env)
{
    t_sig(env, "s", 0, "green");
    t_sig(env, "s", 10000, "red");
}

/* Drives id from x0 at t0 at v px/s in 100 ms steps until t1. */
static void drive(struct t_env *env, const char *id, const char *cls, double x0, int64_t t0,
                  double v, int64_t t1)
{
    for (int64_t t = t0; t <= t1; t += 100)
        t_at(env, "c", t, id, cls, x0 + v * (double)(t - t0) / 1000.0, 100);
}

static void red_light_with_exit(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    /* x = 90 at 11.0 s, 100 px/s: crosses the stop line at 11.1, exit at 13.1 */
    drive(env, "v1", "car", 90, 11000, 100, 14000);
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "red_light");
    assert_int_equal(r->ts_start, 11100);
    assert_int_equal(r->ts, 13100);
    assert_string_equal(r->line, "stop");
    assert_string_equal(r->track, "v1");
    assert_int_equal(r->n_keys, 3);
    assert_int_equal(r->key_ts[0], 11000);
    assert_int_equal(r->key_ts[1], 11100);
    assert_int_equal(r->key_ts[2], 13100); /* the observation past the exit line */
    t_env_free(env);
}

static void interpolated_crossing_time(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 11000, "v", "car", 70, 100);
    t_at(env, "c", 11400, "v", "car", 110, 100); /* 3/4 of the way: 11300 */
    t_at(env, "c", 12000, "v", "car", 400, 100);
    assert_int_equal(t_find(env, "red_light")->ts_start, 11300);
    t_env_free(env);
}

static void grace_both_sides(void **state)
{
    (void)state;
    /* default grace 0.3 s: crossing at onset + 299 ms is forgiven */
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 10199, "a", "car", 90, 100);
    t_at(env, "c", 10399, "a", "car", 110, 100); /* crosses at 10299 */
    t_at(env, "c", 11000, "a", "car", 400, 100);
    assert_int_equal(t_count(env, NULL), 0);
    assert_int_equal(t_counter(env, OC_C_RED_IN_GRACE), 1);
    /* at onset + 300 ms it is a violation */
    t_at(env, "c", 10200, "b", "car", 90, 100);
    t_at(env, "c", 10400, "b", "car", 110, 100); /* crosses at 10300 */
    t_at(env, "c", 11000, "b", "car", 400, 100);
    assert_int_equal(t_count(env, "red_light"), 1);
    t_env_free(env);
}

static void line_grace_overrides_default(void **state)
{
    (void)state;
    struct t_env *env =
        env_lines(",\"grace_s\":0.2", "\"defaults\":{\"red_light\":{\"grace_s\":1}}");
    red_at_10s(env);
    t_at(env, "c", 10150, "a", "car", 90, 100);
    t_at(env, "c", 10250, "a", "car", 110, 100); /* 10200: exactly 0.2 s */
    t_at(env, "c", 11000, "a", "car", 400, 100);
    assert_int_equal(t_count(env, "red_light"), 1);
    t_env_free(env);
}

static void defaults_grace_applies(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "\"defaults\":{\"red_light\":{\"grace_s\":1}}");
    red_at_10s(env);
    t_at(env, "c", 10850, "a", "car", 90, 100);
    t_at(env, "c", 10950, "a", "car", 110, 100); /* 0.9 s after onset */
    t_at(env, "c", 11500, "a", "car", 400, 100);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void not_red_is_no_violation(void **state)
{
    (void)state;
    const char *states[] = {"green", "yellow", "flashing", "off"};
    for (size_t i = 0; i < 4; i++) {
        struct t_env *env = env_lines("", "");
        t_sig(env, "s", 0, states[i]);
        drive(env, "v", "car", 90, 1000, 100, 4000);
        assert_int_equal(t_count(env, NULL), 0);
        t_env_free(env);
    }
}

static void unknown_signal_is_never_red(void **state)
{
    (void)state;
    /* no signal message at all */
    struct t_env *env = env_lines("", "");
    drive(env, "v", "car", 90, 11000, 100, 14000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
    /* red, but the last message is older than stale_s (120 s) */
    env = env_lines("", "");
    t_sig(env, "s", 0, "red");
    drive(env, "v", "car", 90, 120050, 100, 123000); /* crosses at 120150 */
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
    /* still fresh at exactly 120 s after the message */
    env = env_lines("", "");
    t_sig(env, "s", 0, "red");
    drive(env, "v", "car", 90, 119900, 100, 123000); /* crosses at 120000 */
    assert_int_equal(t_count(env, "red_light"), 1);
    t_env_free(env);
}

static void first_message_red_is_onset(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    t_sig(env, "s", 5000, "red");
    t_at(env, "c", 5100, "a", "car", 90, 100);
    t_at(env, "c", 5300, "a", "car", 110, 100); /* 5200: 0.2 s after the first red */
    t_at(env, "c", 6000, "a", "car", 400, 100);
    assert_int_equal(t_count(env, NULL), 0);
    assert_int_equal(t_counter(env, OC_C_RED_IN_GRACE), 1);
    t_env_free(env);
}

static void red_after_stale_gap_is_new_onset(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    /* received when sent: a signal quiet for 200 s is no clock jump */
    oc_engine_set_received(env->eng, 0);
    t_sig(env, "s", 0, "red");
    oc_engine_set_received(env->eng, 200000);
    t_sig(env, "s", 200000, "red"); /* 200 s gap > stale_s 120: a new onset */
    assert_int_equal(t_counter(env, OC_C_MSG_SIGNALS), 2);
    t_at(env, "c", 200000, "a", "car", 90, 100);
    t_at(env, "c", 200200, "a", "car", 110, 100); /* 0.1 s after the new onset */
    t_at(env, "c", 201000, "a", "car", 400, 100);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void signal_history_answers_past_time(void **state)
{
    (void)state;
    /* The red message arrives before the detections that cross earlier,
     * while the light was still green. */
    struct t_env *env = env_lines("", "");
    t_sig(env, "s", 0, "green");
    t_sig(env, "s", 11200, "red");
    t_at(env, "c", 11000, "a", "car", 90, 100);
    t_at(env, "c", 11100, "a", "car", 110, 100);
    drive(env, "a", "car", 120, 11200, 100, 15000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void wrong_direction_is_no_crossing(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    drive(env, "v", "car", 350, 11000, -100, 15000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void exit_window_boundaries(void **state)
{
    (void)state;
    /* exit crossed exactly exit_s (10 s) after the stop line: red_light */
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 11000, "a", "car", 90, 100);
    t_at(env, "c", 11200, "a", "car", 110, 100); /* 11100 */
    for (int64_t t = 12000; t <= 21000; t += 1000)
        t_at(env, "c", t, "a", "car", 150, 100);
    t_at(env, "c", 21050, "a", "car", 290, 100);
    t_at(env, "c", 21150, "a", "car", 310, 100); /* exit at 21100 */
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "red_light")->ts, 21100);
    t_env_free(env);
    /* one millisecond later: stop_line_crossing at crossing + exit_s, then nothing */
    env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 11000, "a", "car", 90, 100);
    t_at(env, "c", 11200, "a", "car", 110, 100);
    for (int64_t t = 12000; t <= 21000; t += 1000)
        t_at(env, "c", t, "a", "car", 150, 100);
    t_at(env, "c", 21052, "a", "car", 290, 100);
    t_at(env, "c", 21152, "a", "car", 310, 100); /* exit at 21102 */
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "stop_line_crossing");
    assert_int_equal(r->ts, 21100);
    assert_int_equal(r->ts_start, 11100);
    assert_int_equal(r->n_keys, 3);
    t_env_free(env);
}

static void stopped_past_line(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 11000, "a", "car", 95, 100);
    t_at(env, "c", 11100, "a", "car", 105, 100); /* crosses at 11050, stops */
    for (int64_t t = 11200; t <= 21000; t += 100)
        t_at(env, "c", t, "a", "car", 105, 100);
    assert_int_equal(t_count(env, NULL), 0); /* window not over: 21050 */
    t_at(env, "c", 21100, "a", "car", 105, 100);
    assert_int_equal(t_count(env, "stop_line_crossing"), 1);
    assert_int_equal(t_find(env, "stop_line_crossing")->ts, 21050);
    t_env_free(env);
}

static void lost_in_window_is_unconfirmed(void **state)
{
    (void)state;
    /* last seen at 14050; ends 5 s later at 19050 < deadline 21050 */
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 11000, "a", "car", 95, 100);
    t_at(env, "c", 11100, "a", "car", 105, 100);
    t_at(env, "c", 14050, "a", "car", 106, 100);
    for (int64_t t = 15000; t <= 30000; t += 1000)
        t_empty(env, "c", t);
    assert_int_equal(t_count(env, NULL), 0);
    assert_int_equal(t_counter(env, OC_C_UNCONFIRMED), 1);
    t_env_free(env);
    /* last seen at 16050: alive until 21050 = the deadline, so it counts */
    env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 11000, "a", "car", 95, 100);
    t_at(env, "c", 11100, "a", "car", 105, 100);
    t_at(env, "c", 16050, "a", "car", 106, 100);
    for (int64_t t = 17000; t <= 30000; t += 1000)
        t_empty(env, "c", t);
    assert_int_equal(t_count(env, "stop_line_crossing"), 1);
    t_env_free(env);
}

static void replay_end_leaves_window_unconfirmed(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 11000, "a", "car", 95, 100);
    t_at(env, "c", 11100, "a", "car", 105, 100);
    oc_engine_finish(env->eng);
    assert_int_equal(t_count(env, NULL), 0);
    assert_int_equal(t_counter(env, OC_C_UNCONFIRMED), 1);
    t_env_free(env);
}

static void no_exit_lines_is_at_once(void **state)
{
    (void)state;
    struct t_env *env =
        t_env_new(t_cfg("[]",
                        "[{\"id\":\"stop\",\"kind\":\"stop_line\",\"points\":[[100,0],[100,200]],"
                        "\"direction\":[1,0],\"signal\":\"s\"}]",
                        ""));
    red_at_10s(env);
    t_at(env, "c", 11000, "a", "car", 95, 100);
    t_at(env, "c", 11100, "a", "car", 105, 100);
    assert_int_equal(t_count(env, "red_light"), 1);
    assert_int_equal(t_find(env, "red_light")->ts, 11050);
    assert_int_equal(t_find(env, "red_light")->ts_start, 11050);
    t_env_free(env);
}

static void jitter_over_line_is_one_violation(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    for (int64_t t = 11000; t < 30000; t += 100)
        t_at(env, "c", t, "a", "car", (t / 100) % 2 ? 95 : 105, 100);
    drive(env, "a", "car", 105, 30000, 200, 32000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_count(env, "stop_line_crossing"), 1);
    t_env_free(env);
}

static void nonmotor_red_light(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    drive(env, "b", "ebike", 90, 11000, 100, 14000);
    assert_int_equal(t_count(env, NULL), 1);
    assert_int_equal(t_find(env, "nonmotor_red_light")->ts, 13100);
    t_env_free(env);
    /* an e-bike that stops past the line makes no violation */
    env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 11000, "b", "bicycle", 95, 100);
    for (int64_t t = 11100; t <= 25000; t += 100)
        t_at(env, "c", t, "b", "bicycle", 105, 100);
    assert_int_equal(t_count(env, NULL), 0);
    assert_int_equal(t_counter(env, OC_C_NONMOTOR_NO_EXIT), 1);
    t_env_free(env);
}

static void nonmotor_default_grace(void **state)
{
    (void)state;
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 10150, "b", "ebike", 95, 100);
    t_at(env, "c", 10250, "b", "ebike", 105, 100); /* 0.2 s < 0.3 s */
    drive(env, "b", "ebike", 110, 10300, 200, 12000);
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void pedestrian_red_light(void **state)
{
    (void)state;
    /* pedestrian grace defaults to 0: stepping off at the onset counts */
    struct t_env *env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 9950, "p", "person", 95, 100);
    t_at(env, "c", 10050, "p", "person", 105, 100); /* 10000 */
    assert_int_equal(t_count(env, NULL), 1);
    const struct t_rec *r = t_find(env, "pedestrian_red_light");
    assert_int_equal(r->ts, 10000);
    assert_int_equal(r->ts_start, 10000);
    t_env_free(env);
    /* 1 ms before the onset it was green */
    env = env_lines("", "");
    red_at_10s(env);
    t_at(env, "c", 9949, "p", "person", 95, 100);
    t_at(env, "c", 10049, "p", "person", 105, 100); /* 9999 */
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void line_classes_filter(void **state)
{
    (void)state;
    struct t_env *env = env_lines(",\"classes\":[\"motor\"]", "");
    red_at_10s(env);
    drive(env, "p", "person", 90, 11000, 100, 14000);
    drive(env, "b", "ebike", 90, 11000, 100, 14000);
    assert_int_equal(t_count(env, NULL), 0);
    drive(env, "m", "motorbike", 90, 15000, 100, 18000); /* no alias: not a class we know */
    assert_int_equal(t_count(env, NULL), 0);
    t_env_free(env);
}

static void two_stop_lines_two_violations(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]",
                                        "[{\"id\":\"k1\",\"kind\":\"stop_line\",\"points\":[[100,0]"
                                        ",[100,200]],\"direction\":[1,0],\"signal\":\"s\"},"
                                        "{\"id\":\"k2\",\"kind\":\"stop_line\",\"points\":[[200,0],"
                                        "[200,200]],\"direction\":[1,0],\"signal\":\"s\"}]",
                                        ""));
    red_at_10s(env);
    drive(env, "p", "person", 90, 11000, 100, 13000);
    assert_int_equal(t_count(env, "pedestrian_red_light"), 2);
    t_env_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(red_light_with_exit),
        cmocka_unit_test(interpolated_crossing_time),
        cmocka_unit_test(grace_both_sides),
        cmocka_unit_test(line_grace_overrides_default),
        cmocka_unit_test(defaults_grace_applies),
        cmocka_unit_test(not_red_is_no_violation),
        cmocka_unit_test(unknown_signal_is_never_red),
        cmocka_unit_test(first_message_red_is_onset),
        cmocka_unit_test(red_after_stale_gap_is_new_onset),
        cmocka_unit_test(signal_history_answers_past_time),
        cmocka_unit_test(wrong_direction_is_no_crossing),
        cmocka_unit_test(exit_window_boundaries),
        cmocka_unit_test(stopped_past_line),
        cmocka_unit_test(lost_in_window_is_unconfirmed),
        cmocka_unit_test(replay_end_leaves_window_unconfirmed),
        cmocka_unit_test(no_exit_lines_is_at_once),
        cmocka_unit_test(jitter_over_line_is_one_violation),
        cmocka_unit_test(nonmotor_red_light),
        cmocka_unit_test(nonmotor_default_grace),
        cmocka_unit_test(pedestrian_red_light),
        cmocka_unit_test(line_classes_filter),
        cmocka_unit_test(two_stop_lines_two_violations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
