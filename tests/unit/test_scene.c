/* oc_scene: the live view's picture of a camera's engine state (tracks,
 * stays with their dwell so far, signal states, last violations) and its
 * JSON (docs/daemon.md "Live view"), with its bounds. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_json.h"
#include "ordercam/oc_scene.h"

#define ZONES                                                                                      \
    "[{\"id\":\"np\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[1000,0],[1000,1000],[0,1000]],"   \
    "\"dwell_s\":60}]"
#define LINES                                                                                      \
    "[{\"id\":\"stop\",\"kind\":\"stop_line\",\"points\":[[1200,0],[1200,1000]],"                  \
    "\"direction\":[1,0],\"signal\":\"s\"}]"

static cJSON *scene_json(struct t_env *env, const struct oc_scene_violation *v, size_t nv,
                         struct oc_scene *sc)
{
    oc_scene_take(env->eng, 0, sc);
    size_t len = 0;
    char *s = oc_scene_json(env->cfg, sc, v, nv, 42, &len);
    assert_non_null(s);
    assert_int_equal(len, strlen(s));
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse(s, len, 1u << 24, 64, &j, NULL), OC_JSON_OK);
    free(s);
    return j;
}

static void tracks_stays_signals(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(ZONES, LINES, ""));
    struct oc_scene *sc = malloc(sizeof *sc);
    cJSON *j = scene_json(env, NULL, 0, sc);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "clock")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "tracks")), 0);
    cJSON *z = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "zones"), 0);
    assert_string_equal(cJSON_GetObjectItem(z, "id")->valuestring, "np");
    assert_string_equal(cJSON_GetObjectItem(z, "kind")->valuestring, "no_parking");
    assert_int_equal(
        cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(z, "polygon"), 1), 0)->valueint,
        1000);
    assert_int_equal(cJSON_GetObjectItem(z, "dwell_s")->valueint, 60);
    cJSON *l = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "lines"), 0);
    assert_string_equal(cJSON_GetObjectItem(l, "signal")->valuestring, "s");
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(l, "direction"), 0)->valueint, 1);
    cJSON_Delete(j);

    /* a parked car (stays) and a passing one, the signal red since 1 s */
    t_sig(env, "s", 1000, "red");
    for (int64_t t = 1000; t <= 21000; t += 1000) {
        t_feed(env, "cameras/c/detections",
               "{\"ts\":%lld,\"objects\":[{\"id\":\"park\",\"class\":\"car\",\"box\":[400,400,"
               "100,80]},{\"id\":\"pass\",\"class\":\"bus\",\"box\":[%d,300,50,40]}]}",
               (long long)t, 1300 + (int)(t / 100));
    }
    j = scene_json(env, NULL, 0, sc);
    assert_int_equal((int64_t)cJSON_GetObjectItem(j, "clock")->valuedouble, 21000);
    cJSON *tr = cJSON_GetObjectItem(j, "tracks");
    assert_int_equal(cJSON_GetArraySize(tr), 2);
    assert_int_equal(cJSON_GetObjectItem(j, "tracks_total")->valueint, 2);
    /* the anchor is the box's bottom centre */
    cJSON *t0 = cJSON_GetArrayItem(tr, 0);
    cJSON *park = strcmp(cJSON_GetObjectItem(t0, "id")->valuestring, "park") == 0
                      ? t0
                      : cJSON_GetArrayItem(tr, 1);
    assert_string_equal(cJSON_GetObjectItem(park, "class")->valuestring, "car");
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(park, "anchor"), 0)->valueint, 450);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(park, "anchor"), 1)->valueint, 480);
    cJSON *st = cJSON_GetObjectItem(j, "stays");
    assert_int_equal(cJSON_GetArraySize(st), 1);
    cJSON *s0 = cJSON_GetArrayItem(st, 0);
    assert_string_equal(cJSON_GetObjectItem(s0, "zone")->valuestring, "np");
    assert_string_equal(cJSON_GetObjectItem(s0, "track")->valuestring, "park");
    assert_int_equal(cJSON_GetObjectItem(s0, "limit_s")->valueint, 60);
    /* the stay began at the first observation: 20 s so far */
    assert_true(cJSON_GetObjectItem(s0, "dwell_s")->valuedouble >= 19.0 &&
                cJSON_GetObjectItem(s0, "dwell_s")->valuedouble <= 20.0);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(s0, "emitted")));
    cJSON *sig = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "signals"), 0);
    assert_string_equal(cJSON_GetObjectItem(sig, "id")->valuestring, "s");
    assert_string_equal(cJSON_GetObjectItem(sig, "state")->valuestring, "red");
    assert_int_equal(cJSON_GetObjectItem(sig, "red_since")->valueint, 1000);
    cJSON_Delete(j);

    /* green: no red_since */
    t_sig(env, "s", 21500, "green");
    t_empty(env, "c", 22000);
    j = scene_json(env, NULL, 0, sc);
    sig = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "signals"), 0);
    assert_string_equal(cJSON_GetObjectItem(sig, "state")->valuestring, "green");
    assert_null(cJSON_GetObjectItem(sig, "red_since"));
    cJSON_Delete(j);
    free(sc);
    t_env_free(env);
}

/* More live tracks than OC_SCENE_TRACKS_MAX: the newest are shown and the
 * total is told; one fewer shows all. */
static void tracks_bounded(void **state)
{
    (void)state;
    for (int extra = -1; extra <= 1; extra += 2) {
        int n = OC_SCENE_TRACKS_MAX + extra;
        struct t_env *env =
            t_env_new(t_cfg("[]", "[]", "\"limits\":{\"max_tracks_per_camera\":1000}"));
        for (int i = 0; i < n; i++) {
            char id[16];
            snprintf(id, sizeof id, "t%d", i);
            t_obj(env, "c", 1000 + i, id, "car", 10, 10, 5, 5, NULL);
        }
        struct oc_scene *sc = malloc(sizeof *sc);
        oc_scene_take(env->eng, 0, sc);
        assert_int_equal(sc->tracks_total, (size_t)n);
        assert_int_equal(sc->n_tracks, n < OC_SCENE_TRACKS_MAX ? (size_t)n : OC_SCENE_TRACKS_MAX);
        char want[16];
        snprintf(want, sizeof want, "t%d", n - 1); /* the newest first */
        assert_string_equal(sc->tracks[0].id, want);
        free(sc);
        t_env_free(env);
    }
}

static void violations_kept_and_bounded(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(ZONES, LINES, ""));
    struct oc_scene_violation v[OC_SCENE_VIOLATIONS_MAX + 2];
    for (size_t i = 0; i < OC_SCENE_VIOLATIONS_MAX + 2; i++) {
        struct oc_violation ov = {.type = "red_light",
                                  .track = "t1",
                                  .line = "stop",
                                  .seq = i + 1,
                                  .ts = 5000,
                                  .n_keys = 2};
        ov.key_box[1][0] = 10, ov.key_box[1][1] = 20, ov.key_box[1][2] = 30, ov.key_box[1][3] = 40;
        oc_scene_violation_from(&v[i], &ov);
    }
    struct oc_scene *sc = malloc(sizeof *sc);
    cJSON *j = scene_json(env, v, OC_SCENE_VIOLATIONS_MAX + 2, sc);
    cJSON *a = cJSON_GetObjectItem(j, "violations");
    assert_int_equal(cJSON_GetArraySize(a), OC_SCENE_VIOLATIONS_MAX);
    cJSON *last = cJSON_GetArrayItem(a, OC_SCENE_VIOLATIONS_MAX - 1);
    assert_int_equal(cJSON_GetObjectItem(last, "seq")->valueint, OC_SCENE_VIOLATIONS_MAX + 2);
    assert_string_equal(cJSON_GetObjectItem(last, "where")->valuestring, "stop");
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(last, "box"), 3)->valueint, 40);
    cJSON_Delete(j);
    free(sc);
    t_env_free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tracks_stays_signals),
        cmocka_unit_test(tracks_bounded),
        cmocka_unit_test(violations_kept_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
