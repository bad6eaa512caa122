/* Bad input (events.md): every kind of bad message is dropped, counted by
 * its reason, and the next good message is processed as if nothing had
 * happened. Optional fields of the wrong type drop only that field. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONES                                                                                      \
    "[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[1000,0],[1000,1000],[0,1000]],"    \
    "\"dwell_s\":1}]"

/* After a bad message, a good one for a fresh track still makes exactly one
 * violation: the engine is intact. Each call parks at its own place, so no
 * call continues the stay of an earlier one. */
static void good_after(struct t_env *env, int64_t t0)
{
    size_t before = t_count(env, NULL);
    char id[32];
    snprintf(id, sizeof id, "good-%lld", (long long)t0);
    for (int64_t t = t0; t <= t0 + 1000; t += 500)
        t_at(env, "c", t, id, "car", 50 + (double)((t0 / 5000) % 45) * 20, 500);
    assert_int_equal(t_count(env, NULL), before + 1);
}

struct bad_case {
    const char *topic;
    const char *payload;
    enum oc_counter reason;
};

static void each_kind_of_bad_message(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"cameras/c/detections", "{\"ts\":1,\"objects\":[", OC_C_DROP_BAD_JSON},
        {"cameras/c/detections", "", OC_C_DROP_BAD_JSON},
        {"cameras/c/detections", "[1,2]", OC_C_DROP_NOT_OBJECT},
        {"cameras/c/detections", "{\"objects\":[]}", OC_C_DROP_MISSING_FIELD},
        {"cameras/c/detections", "{\"ts\":5}", OC_C_DROP_MISSING_FIELD},
        {"cameras/c/detections", "{\"ts\":\"5\",\"objects\":[]}", OC_C_DROP_WRONG_TYPE},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":{}}", OC_C_DROP_WRONG_TYPE},
        {"cameras/c/detections", "{\"ts\":-5,\"objects\":[]}", OC_C_DROP_BAD_VALUE},
        {"cameras/c/detections", "{\"ts\":5.5,\"objects\":[]}", OC_C_DROP_BAD_VALUE},
        {"cameras/c/detections", "{\"ts\":1e400,\"objects\":[]}", OC_C_DROP_BAD_VALUE},
        {"cameras/c/detections", "{\"ts\":NaN,\"objects\":[]}", OC_C_DROP_BAD_JSON},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":1,\"class\":\"car\",\"box\":[1,2,-3,4]}]}",
         OC_C_DROP_BAD_VALUE},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":1,\"class\":\"car\",\"box\":[1,2,3,1e300]}]}",
         OC_C_DROP_BAD_VALUE},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":1,\"class\":\"car\",\"box\":[1,2,3]}]}",
         OC_C_DROP_WRONG_TYPE},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":1,\"class\":\"car\",\"box\":[1,2,\"3\",4]}]}",
         OC_C_DROP_WRONG_TYPE},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[{\"class\":\"car\",\"box\":[1,2,3,4]}]}",
         OC_C_DROP_MISSING_FIELD},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":true,\"class\":\"car\",\"box\":[1,2,3,4]}]}",
         OC_C_DROP_WRONG_TYPE},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":1.5,\"class\":\"car\",\"box\":[1,2,3,4]}]}",
         OC_C_DROP_BAD_VALUE},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":\"\",\"class\":\"car\",\"box\":[1,2,3,4]}]}",
         OC_C_DROP_BAD_VALUE},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[7]}", OC_C_DROP_WRONG_TYPE},
        {"cameras/zz/detections", "{\"ts\":5,\"objects\":[]}", OC_C_DROP_UNKNOWN_CAMERA},
        {"cameras/c/other", "{\"ts\":5,\"objects\":[]}", OC_C_DROP_BAD_TOPIC},
        {"cameras/c d/detections", "{\"ts\":5,\"objects\":[]}", OC_C_DROP_BAD_TOPIC},
        {"cameras/c/frames/abc", "x", OC_C_DROP_BAD_TOPIC},
        {"cameras/c/frames/99999999999", "GIF89a", OC_C_DROP_NOT_JPEG},
        {"signals/zz", "{\"ts\":5,\"state\":\"red\"}", OC_C_DROP_UNKNOWN_SIGNAL},
        {"signals/s", "{\"ts\":5,\"state\":\"purple\"}", OC_C_DROP_BAD_VALUE},
        {"signals/s", "{\"ts\":5}", OC_C_DROP_MISSING_FIELD},
        {"signals/s", "{\"ts\":5,\"state\":1}", OC_C_DROP_WRONG_TYPE},
        {"cameras/c/events", "{\"ts\":5}", OC_C_DROP_MISSING_FIELD},
        {"cameras/c/events", "{\"ts\":5,\"type\":7}", OC_C_DROP_WRONG_TYPE},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[],\"x\":\"\xff\xfe\"}",
         OC_C_DROP_BAD_UTF8},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[],\"x\":\"\xc0\xaf\"}",
         OC_C_DROP_BAD_UTF8},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[],\"x\":\"\xed\xa0\x80\"}",
         OC_C_DROP_BAD_UTF8},
    };
    struct t_env *env = t_env_new(t_cfg(ZONES, "[]", ""));
    int64_t t = 10000;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++, t += 5000) {
        uint64_t before = t_counter(env, cases[i].reason);
        char topic[128];
        snprintf(topic, sizeof topic, "ordercam/%s", cases[i].topic);
        oc_engine_feed(env->eng, topic, strlen(topic), cases[i].payload, strlen(cases[i].payload));
        if (t_counter(env, cases[i].reason) != before + 1)
            fail_msg("case %zu (%s) not counted as %s", i, cases[i].payload,
                     oc_counter_name(cases[i].reason));
        good_after(env, t);
    }
    t_env_free(env);
}

/* The JSON policy (oc_json.h) on every message kind: each refusal moves
 * exactly its counter, nothing else (no clock, no track, no state). */
static void json_policy_refusals(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"cameras/c/detections", "{\"ts\":5,\"ts\":6,\"objects\":[]}", OC_C_DROP_DUPLICATE_KEY},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":1,\"class\":\"car\",\"class\":\"bus\",\"box\":[1,2,3,4]}]"
         "}",
         OC_C_DROP_DUPLICATE_KEY},
        {"cameras/c/events", "{\"ts\":5,\"type\":\"littering\",\"type\":\"smoking\"}",
         OC_C_DROP_DUPLICATE_KEY},
        {"signals/s", "{\"ts\":5,\"state\":\"red\",\"state\":\"green\"}", OC_C_DROP_DUPLICATE_KEY},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[]} x", OC_C_DROP_TRAILING_DATA},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[]}{}", OC_C_DROP_TRAILING_DATA},
        {"signals/s", "{\"ts\":5,\"state\":\"red\"}]", OC_C_DROP_TRAILING_DATA},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[],\"x\":\"a\x01b\"}",
         OC_C_DROP_CONTROL_CHAR},
        {"cameras/c/detections", "{\"ts\":5,\"objects\":[],\"x\":\"a\nb\"}",
         OC_C_DROP_CONTROL_CHAR},
        {"cameras/c/detections",
         "{\"ts\":5,\"objects\":[{\"id\":\"cam\\u0000x\",\"class\":\"car\",\"box\":[1,2,3,4]}]}",
         OC_C_DROP_CONTROL_CHAR},
        {"cameras/c/events", "{\"ts\":5,\"type\":\"littering\\u0000x\"}", OC_C_DROP_CONTROL_CHAR},
        {"signals/s", "{\"ts\":5,\"state\":\"red\\u0000\"}", OC_C_DROP_CONTROL_CHAR},
    };
    struct t_env *env = t_env_new(t_cfg(ZONES, "[]", ""));
    int64_t t = 10000;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++, t += 5000) {
        uint64_t before[OC_C__COUNT];
        for (int c = 0; c < OC_C__COUNT; c++)
            before[c] = t_counter(env, (enum oc_counter)c);
        int64_t clock0 = -1, clock1 = -1;
        oc_engine_clock(env->eng, 0, &clock0);
        size_t tracks = oc_engine_live_tracks(env->eng), n = env->n;
        char topic[128];
        snprintf(topic, sizeof topic, "ordercam/%s", cases[i].topic);
        oc_engine_feed(env->eng, topic, strlen(topic), cases[i].payload, strlen(cases[i].payload));
        for (int c = 0; c < OC_C__COUNT; c++)
            if (t_counter(env, (enum oc_counter)c) != before[c] + (c == (int)cases[i].reason))
                fail_msg("case %zu (%s): %s moved, want only %s", i, cases[i].payload,
                         oc_counter_name((enum oc_counter)c), oc_counter_name(cases[i].reason));
        oc_engine_clock(env->eng, 0, &clock1);
        assert_int_equal(clock1, clock0);
        assert_int_equal(oc_engine_live_tracks(env->eng), tracks);
        assert_int_equal(env->n, n);
        good_after(env, t);
    }
    t_env_free(env);
}

static void deep_nesting(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(ZONES, "[]", ""));
    char buf[1024];
    size_t n = 0;
    n += (size_t)sprintf(buf + n, "{\"ts\":5,\"objects\":[],\"deep\":");
    for (int i = 0; i < 64; i++)
        buf[n++] = '[';
    for (int i = 0; i < 64; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    /* 65 levels including the outer object */
    oc_engine_feed(env->eng, "ordercam/cameras/c/detections", 29, buf, n);
    assert_int_equal(t_counter(env, OC_C_DROP_TOO_DEEP), 1);
    /* 64 levels are fine */
    n = (size_t)sprintf(buf, "{\"ts\":6,\"objects\":[],\"deep\":");
    for (int i = 0; i < 63; i++)
        buf[n++] = '[';
    for (int i = 0; i < 63; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    oc_engine_feed(env->eng, "ordercam/cameras/c/detections", 29, buf, n);
    assert_int_equal(t_counter(env, OC_C_DROP_TOO_DEEP), 1);
    assert_int_equal(t_counter(env, OC_C_MSG_DETECTIONS), 1);
    good_after(env, 10000);
    t_env_free(env);
}

static void oversized_payload(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(ZONES, "[]", ""));
    size_t len = (1u << 20) + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, ' ', len);
    memcpy(big, "{\"ts\":5,\"objects\":[]}", 21);
    oc_engine_feed(env->eng, "ordercam/cameras/c/detections", 29, big, len);
    assert_int_equal(t_counter(env, OC_C_DROP_TOO_LARGE), 1);
    /* exactly 1 MiB is accepted */
    oc_engine_feed(env->eng, "ordercam/cameras/c/detections", 29, big, len - 1);
    assert_int_equal(t_counter(env, OC_C_MSG_DETECTIONS), 1);
    free(big);
    good_after(env, 10000);
    t_env_free(env);
}

static void too_many_objects(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(ZONES, "[]", ""));
    size_t cap = 200000, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    n += (size_t)sprintf(buf, "{\"ts\":5,\"objects\":[");
    for (int i = 0; i <= 1024; i++)
        n += (size_t)sprintf(buf + n, "%s{\"id\":%d,\"class\":\"car\",\"box\":[1,2,3,4]}",
                             i ? "," : "", i);
    n += (size_t)sprintf(buf + n, "]}");
    oc_engine_feed(env->eng, "ordercam/cameras/c/detections", 29, buf, n);
    assert_int_equal(t_counter(env, OC_C_DROP_TOO_LARGE), 1);
    assert_int_equal(oc_engine_live_tracks(env->eng), 0);
    free(buf);
    good_after(env, 10000);
    t_env_free(env);
}

static void optional_fields_of_wrong_type(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(ZONES, "[]", ""));
    /* conf "high", attrs.helmet "no", attrs.plate 42, frame "x": each dropped, the object kept */
    for (int64_t t = 0; t <= 1000; t += 500)
        t_feed(env, "cameras/c/detections",
               "{\"ts\":%lld,\"frame\":\"x\",\"objects\":[{\"id\":9,\"class\":\"car\",\"box\":[490,"
               "480,20,20],"
               "\"conf\":\"high\",\"attrs\":{\"helmet\":\"no\",\"plate\":42,\"color\":\"red\"}}],"
               "\"extra\":{}}",
               (long long)t);
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    assert_int_equal(t_counter(env, OC_C_FIELD_DROPPED), 3 * 4);
    assert_string_equal(t_find(env, "illegal_parking")->track, "9");
    t_env_free(env);
}

static void ids_string_and_integer_are_one_track(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(ZONES, "[]", ""));
    t_feed(env, "cameras/c/detections",
           "{\"ts\":0,\"objects\":[{\"id\":17,\"class\":\"car\",\"box\":[490,480,20,20]}]}");
    t_feed(env, "cameras/c/detections",
           "{\"ts\":1000,\"objects\":[{\"id\":\"17\",\"class\":\"car\",\"box\":[490,480,20,20]}]}");
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    assert_int_equal(oc_engine_live_tracks(env->eng), 1);
    t_env_free(env);
}

static void one_bad_camera_does_not_disturb_another(void **state)
{
    (void)state;
    const char *cfg = "{\"box_id\":\"b\",\"cameras\":["
                      "{\"id\":\"c\",\"width\":1920,\"height\":1080,\"zones\":" ZONES "},"
                      "{\"id\":\"d\",\"width\":100,\"height\":100}]}";
    struct t_env *env = t_env_new(cfg);
    for (int64_t t = 0; t <= 1000; t += 100) {
        t_feed(env, "cameras/d/detections", "{\"ts\":%lld,\"objects\":[{", (long long)t);
        t_feed(env, "cameras/d/detections", "{\"ts\":99999999999999,\"objects\":[]}");
        t_at(env, "c", t, "v", "car", 500, 500);
    }
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    assert_int_equal(t_counter(env, OC_C_DROP_BAD_JSON), 11);
    t_env_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_kind_of_bad_message),
        cmocka_unit_test(json_policy_refusals),
        cmocka_unit_test(deep_nesting),
        cmocka_unit_test(oversized_payload),
        cmocka_unit_test(too_many_objects),
        cmocka_unit_test(optional_fields_of_wrong_type),
        cmocka_unit_test(ids_string_and_integer_are_one_track),
        cmocka_unit_test(one_bad_camera_does_not_disturb_another),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
