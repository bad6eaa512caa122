/* The governing signal's state carried by signal-joined violations: at the
 * crossing (signal_state, red_elapsed_ms) and at each key moment (the lamp
 * drawn on the evidence cells), from the signal's history in the log. */
#include "oc_test.h"

#include <stdio.h>
#include <string.h>

#define LINES                                                                                      \
    "[{\"id\":\"stop\",\"kind\":\"stop_line\",\"points\":[[100,0],[100,200]],"                     \
    "\"direction\":[1,0],\"signal\":\"s\",\"exit_lines\":[\"exit\"]},"                             \
    "{\"id\":\"exit\",\"kind\":\"exit_line\",\"points\":[[300,0],[300,200]],\"direction\":[1,0]}]"

static struct t_env *env_lines(void)
{
    return t_env_new(t_cfg("[]", LINES, ""));
}

static void drive(struct t_env *env, const char *id, const char *cls, double x0, int64_t t0,
                  double v, int64_t t1)
{
    for (int64_t t = t0; t <= t1; t += 100)
        t_at(env, "c", t, id, cls, x0 + v * (double)(t - t0) / 1000.0, 100);
}

/* red from 10 s, crossing at 11.1 s, green from 12 s, exit at 13.1 s: the
 * cells show red (1.0 s), red (1.1 s), green (1.1 s) */
static void red_then_green_late_exit(void **state)
{
    (void)state;
    struct t_env *env = env_lines();
    t_sig(env, "s", 0, "green");
    t_sig(env, "s", 10000, "red");
    for (int64_t t = 11000; t <= 14000; t += 100) {
        if (t == 12000)
            t_sig(env, "s", 12000, "green");
        t_at(env, "c", t, "v1", "car", 90 + 100.0 * (double)(t - 11000) / 1000.0, 100);
    }
    const struct t_rec *r = t_find(env, "red_light");
    assert_int_equal(r->ts_start, 11100);
    assert_int_equal(r->signal_state, OC_SIG_RED);
    assert_int_equal(r->red_elapsed_ms, 1100);
    assert_int_equal(r->n_keys, 3);
    assert_int_equal(r->key_sig[0], OC_SIG_RED);
    assert_int_equal(r->key_sig_ms[0], 1000);
    assert_int_equal(r->key_sig[1], OC_SIG_RED);
    assert_int_equal(r->key_sig_ms[1], 1100);
    assert_int_equal(r->key_sig[2], OC_SIG_GREEN);
    assert_int_equal(r->key_sig_ms[2], 1100);
    t_env_free(env);
}

/* pedestrian red light (no exit window) and the stop-line type carry it too */
static void other_signal_types(void **state)
{
    (void)state;
    struct t_env *env = env_lines();
    t_sig(env, "s", 0, "red");
    drive(env, "p1", "person", 90, 3400, 100, 3700); /* crosses at 3.5 s */
    const struct t_rec *r = t_find(env, "pedestrian_red_light");
    assert_int_equal(r->signal_state, OC_SIG_RED);
    assert_int_equal(r->red_elapsed_ms, 3500);
    assert_int_equal(r->key_sig[0], OC_SIG_RED);
    assert_int_equal(r->key_sig_ms[0], 3400);
    /* a car stopping past the line: stop_line_crossing when the window closes */
    drive(env, "v2", "car", 90, 5000, 100, 5300);
    for (int64_t t = 5400; t <= 16500; t += 100)
        t_at(env, "c", t, "v2", "car", 123, 100);
    r = t_find(env, "stop_line_crossing");
    assert_int_equal(r->signal_state, OC_SIG_RED);
    assert_int_equal(r->red_elapsed_ms, 5100);
    t_env_free(env);
}

/* a type no signal decides carries none */
static void no_signal_no_state(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[{\"id\":\"road\",\"kind\":\"carriageway\",\"polygon\":"
                                        "[[0,0],[1000,0],[1000,1000],[0,1000]]}]",
                                        "[]", ""));
    t_sig(env, "s", 0, "red");
    t_at(env, "c", 0, "p", "person", 100, 100);
    t_at(env, "c", 1500, "p", "person", 100, 300);
    assert_int_equal(t_count(env, "jaywalking"), 1);
    for (size_t i = 0; i < env->n; i++) {
        assert_int_equal(env->rec[i].signal_state, OC_SIG_UNKNOWN);
        assert_int_equal(env->rec[i].red_elapsed_ms, -1);
        assert_int_equal(env->rec[i].key_sig_ms[0], -1);
    }
    t_env_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(red_then_green_late_exit),
        cmocka_unit_test(other_signal_types),
        cmocka_unit_test(no_signal_no_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
