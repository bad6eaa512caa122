/* Engine behaviour that is not one rule: camera events, track identity and
 * class, plates, limits, clocks, record order and numbering, tallies. */
#include "oc_test.h"

#include <stdio.h>
#include <string.h>

#define NP                                                                                         \
    "[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[1000,0],[1000,1000],[0,1000]],"    \
    "\"dwell_s\":1}]"

static void event(struct t_env *env, int64_t ts, const char *type, const char *id,
                  const char *object)
{
    char idpart[64] = "", objpart[256] = "";
    if (id)
        snprintf(idpart, sizeof idpart, ",\"id\":\"%s\"", id);
    if (object)
        snprintf(objpart, sizeof objpart, ",\"object\":%s", object);
    /* received when sent: a camera quiet for a day is then no clock jump */
    oc_engine_set_received(env->eng, ts);
    t_feed(env, "cameras/c/events", "{\"ts\":%lld,\"type\":\"%s\"%s%s}", (long long)ts, type,
           idpart, objpart);
}

static void camera_events(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]", "[]", ""));
    event(env, 1000, "littering", "e1", "{\"id\":\"p4\",\"class\":\"person\",\"box\":[1,2,3,4]}");
    event(env, 2000, "littering", "e1", NULL); /* same id: once */
    event(env, 3000, "spitting", NULL, NULL);  /* no id: each counts */
    event(env, 4000, "spitting", NULL, NULL);
    event(env, 5000, "smoking", "e9", NULL); /* not enforced */
    assert_int_equal(t_count(env, "littering"), 1);
    assert_int_equal(t_count(env, "spitting"), 2);
    assert_int_equal(t_counter(env, OC_C_EVENT_DUPLICATE), 1);
    assert_int_equal(t_counter(env, OC_C_EVENT_IGNORED_TYPE), 1);
    const struct t_rec *r = t_find(env, "littering");
    assert_int_equal(r->ts, 1000);
    assert_int_equal(r->ts_start, 1000);
    assert_string_equal(r->track, "p4");
    assert_string_equal(r->cls, "person");
    assert_string_equal(t_find(env, "spitting")->track, "");
    /* the same id more than 24 h later is a new event */
    event(env, 1000 + 24LL * 3600 * 1000 + 1, "littering", "e1", NULL);
    assert_int_equal(t_count(env, "littering"), 2);
    t_env_free(env);
}

static void event_zones_and_lists(void **state)
{
    (void)state;
    const char *cfg = "{\"box_id\":\"b\",\"events\":[\"open_burning\"],\"cameras\":[{\"id\":\"c\","
                      "\"width\":100,\"height\":100,"
                      "\"zones\":[{\"id\":\"ez\",\"kind\":\"crosswalk\",\"polygon\":[[0,0],[100,0],"
                      "[100,100],[0,100]]}],"
                      "\"event_zones\":[\"ez\"]}]}";
    struct t_env *env = t_env_new(cfg);
    event(env, 1000, "littering", NULL,
          "{\"id\":\"a\",\"class\":\"person\",\"box\":[10,10,10,10]}");
    assert_int_equal(t_counter(env, OC_C_EVENT_IGNORED_TYPE),
                     1); /* top-level list replaced the six */
    event(env, 2000, "open_burning", NULL,
          "{\"id\":\"a\",\"class\":\"person\",\"box\":[10,10,10,10]}");
    event(env, 3000, "open_burning", NULL,
          "{\"id\":\"b\",\"class\":\"person\",\"box\":[500,500,10,10]}");
    event(env, 4000, "open_burning", NULL, NULL);
    assert_int_equal(t_count(env, "open_burning"), 1);
    assert_string_equal(t_find(env, "open_burning")->zone, "ez");
    assert_int_equal(t_counter(env, OC_C_EVENT_OUTSIDE_ZONE), 2);
    t_env_free(env);
}

static void event_dedup_is_bounded(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]", "[]", "\"limits\":{\"max_event_ids\":2}"));
    event(env, 1000, "littering", "a", NULL);
    event(env, 2000, "littering", "b", NULL);
    event(env, 3000, "littering", "c", NULL); /* forgets a: counted */
    assert_int_equal(t_counter(env, OC_C_EVENT_DEDUP_EVICTED), 1);
    event(env, 4000, "littering", "c", NULL);
    assert_int_equal(t_count(env, "littering"), 3);
    t_env_free(env);
}

static void majority_class_and_aliases(void **state)
{
    (void)state;
    struct t_env *env =
        t_env_new(t_cfg(NP, "[]", "\"class_aliases\":{\"sedan\":\"car\",\"auto\":\"car\"}"));
    t_at(env, "c", 0, "a", "sedan", 500, 500);
    t_at(env, "c", 500, "a", "person", 500, 500); /* one flicker */
    t_at(env, "c", 1000, "a", "auto", 500, 500);
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    assert_string_equal(t_find(env, "illegal_parking")->cls, "car");
    t_env_free(env);
    /* ties go to the latest class seen */
    env = t_env_new(t_cfg(NP, "[]", ""));
    t_at(env, "c", 0, "a", "person", 500, 500);
    t_at(env, "c", 500, "a", "car", 500, 500);
    t_at(env, "c", 1000, "a", "car", 500, 500);
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    t_env_free(env);
}

static void unknown_classes_are_kept(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]", "[]", ""));
    event(env, 1000, "littering", NULL, "{\"id\":\"d\",\"class\":\"dog\",\"box\":[1,2,3,4]}");
    assert_string_equal(t_find(env, "littering")->cls, "dog");
    t_env_free(env);
}

static void most_frequent_plate(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(NP, "[]", ""));
    t_obj(env, "c", 0, "a", "car", 490, 480, 20, 20, "{\"plate\":\"晋E12345\"}");
    t_obj(env, "c", 300, "a", "car", 490, 480, 20, 20, "{\"plate\":\"晋E1?345\"}");
    t_obj(env, "c", 600, "a", "car", 490, 480, 20, 20, "{\"plate\":\"\"}");
    t_obj(env, "c", 1000, "a", "car", 490, 480, 20, 20, "{\"plate\":\"晋E12345\"}");
    assert_string_equal(t_find(env, "illegal_parking")->plate, "晋E12345");
    t_env_free(env);
}

static void track_timeout_boundary(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]", "[]", ""));
    t_at(env, "c", 0, "a", "car", 1, 1);
    t_empty(env, "c", 5000); /* exactly 5 s: still alive */
    assert_int_equal(oc_engine_live_tracks(env->eng), 1);
    t_empty(env, "c", 5001);
    assert_int_equal(oc_engine_live_tracks(env->eng), 0);
    assert_int_equal(t_counter(env, OC_C_TRACKS_ENDED), 1);
    t_env_free(env);
}

static void track_limit_evicts_oldest(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg("[]", "[]", "\"limits\":{\"max_tracks_per_camera\":2}"));
    t_at(env, "c", 0, "a", "car", 1, 1);
    t_at(env, "c", 100, "b", "car", 100, 1);
    t_at(env, "c", 200, "a", "car", 1, 1); /* a is now the newest */
    t_at(env, "c", 300, "c", "car", 200, 1);
    assert_int_equal(oc_engine_live_tracks(env->eng), 2);
    assert_int_equal(t_counter(env, OC_C_TRACKS_EVICTED), 1);
    t_at(env, "c", 400, "a", "car", 1, 1); /* a survived */
    assert_int_equal(t_counter(env, OC_C_TRACKS_STARTED), 3);
    t_env_free(env);
}

static void memory_is_freed_as_tracks_end(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(NP, "[]", ""));
    for (int i = 0; i < 2000; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", i);
        t_at(env, "c", (int64_t)i * 1000, id, "person", 1500, 1500);
    }
    assert_true(oc_engine_live_tracks(env->eng) <= 6);
    t_env_free(env);
}

static void older_message_does_not_move_clock_back(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(NP, "[]", ""));
    t_at(env, "c", 10000, "a", "car", 500, 500);
    t_at(env, "c", 2000, "b", "car", 100, 100); /* late message from the past */
    t_at(env, "c", 10500, "a", "car", 500, 500);
    /* b's stay began at 2000 on its own time but the clock is 10500: dwell reached */
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    t_at(env, "c", 11000, "a", "car", 500, 500);
    assert_int_equal(t_count(env, "illegal_parking"), 2);
    t_env_free(env);
}

static void silent_camera_tick(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(NP, "[]", ""));
    t_at(env, "c", 0, "a", "car", 500, 500);
    t_at(env, "c", 500, "a", "car", 500, 500);
    assert_int_equal(t_count(env, NULL), 0);
    oc_engine_tick(env->eng, 0, 1200); /* the daemon moves a silent camera's clock */
    assert_int_equal(t_count(env, "illegal_parking"), 1);
    assert_int_equal(t_find(env, "illegal_parking")->ts, 1000);
    oc_engine_tick(env->eng, 0, 100000);
    assert_int_equal(oc_engine_live_tracks(env->eng), 0);
    t_env_free(env);
}

static void seq_order_and_bucket(void **state)
{
    (void)state;
    const char *cfg = "{\"box_id\":\"b\",\"tally\":{\"bucket_s\":60},\"cameras\":["
                      "{\"id\":\"c\",\"width\":1920,\"height\":1080,\"zones\":" NP "},"
                      "{\"id\":\"a\",\"width\":1920,\"height\":1080,\"zones\":" NP "}]}";
    struct t_env *env = t_env_new(cfg);
    /* two violations in one step on camera c: ordered by ts, numbered 1, 2 */
    t_feed(env, "cameras/c/detections",
           "{\"ts\":119000,\"objects\":[{\"id\":\"x\",\"class\":\"car\",\"box\":[10,10,5,5]},"
           "{\"id\":\"y\",\"class\":\"car\",\"box\":[300,300,5,5]}]}");
    t_feed(env, "cameras/c/detections",
           "{\"ts\":119500,\"objects\":[{\"id\":\"y\",\"class\":\"car\",\"box\":[300,300,5,5]}]}");
    t_feed(env, "cameras/c/detections",
           "{\"ts\":120200,\"objects\":[{\"id\":\"x\",\"class\":\"car\",\"box\":[10,10,5,5]},"
           "{\"id\":\"y\",\"class\":\"car\",\"box\":[300,300,5,5]}]}");
    assert_int_equal(env->n, 2);
    assert_int_equal(env->rec[0].seq, 1);
    assert_int_equal(env->rec[1].seq, 2);
    assert_true(env->rec[0].ts <= env->rec[1].ts);
    assert_int_equal(env->rec[0].ts, 120000);
    assert_int_equal(env->rec[0].bucket, 120000);
    /* the other camera numbers from 1 on its own (messages received when
     * sent: a minute between two is then no clock jump) */
    oc_engine_set_received(env->eng, 0);
    t_at(env, "a", 0, "z", "car", 50, 50);
    oc_engine_set_received(env->eng, 59999);
    t_at(env, "a", 59999, "z", "car", 50, 50);
    assert_string_equal(env->rec[2].camera, "a");
    assert_int_equal(env->rec[2].seq, 1);
    assert_int_equal(env->rec[2].bucket, 0);
    oc_engine_set_seq(env->eng, 1, 41);
    oc_engine_set_received(env->eng, 62000);
    t_at(env, "a", 60000, "w", "car", 80, 80);
    t_at(env, "a", 62000, "w", "car", 80, 80);
    assert_int_equal(env->rec[3].seq, 41);
    t_env_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(camera_events),
        cmocka_unit_test(event_zones_and_lists),
        cmocka_unit_test(event_dedup_is_bounded),
        cmocka_unit_test(majority_class_and_aliases),
        cmocka_unit_test(unknown_classes_are_kept),
        cmocka_unit_test(most_frequent_plate),
        cmocka_unit_test(track_timeout_boundary),
        cmocka_unit_test(track_limit_evicts_oldest),
        cmocka_unit_test(memory_is_freed_as_tracks_end),
        cmocka_unit_test(older_message_does_not_move_clock_back),
        cmocka_unit_test(silent_camera_tick),
        cmocka_unit_test(seq_order_and_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
