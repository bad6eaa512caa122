/* The sample's expected output against its script: each scripted actor
 * (samples/sample.manifest.jsonl, written by the generator from the same
 * script that moves the actors) makes exactly the violation it was written
 * to make, at the time it was written to make it, or none; background
 * traffic makes none. Independent of the golden bytes. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define MAX_LINES 256

static size_t read_jsonl(const char *name, cJSON **out)
{
    char path[1024], line[16384];
    snprintf(path, sizeof path, "%s/%s", getenv("OC_SAMPLES"), name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < MAX_LINES) {
        out[n] = cJSON_Parse(line);
        if (!out[n])
            fail_msg("%s: line %zu is not JSON", name, n + 1);
        n++;
    }
    fclose(f);
    return n;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void every_scripted_actor_as_written(void **state)
{
    (void)state;
    cJSON *man[MAX_LINES], *rec[MAX_LINES];
    size_t nm = read_jsonl("sample.manifest.jsonl", man);
    size_t nr = read_jsonl("expected/sample.violations.jsonl", rec);
    size_t expected = 0;
    int used[MAX_LINES] = {0};
    for (size_t i = 0; i < nm; i++) {
        const char *cam = str(man[i], "camera"), *track = str(man[i], "track");
        const char *type = str(man[i], "type");
        size_t hits = 0;
        for (size_t j = 0; j < nr; j++) {
            if (strcmp(str(rec[j], "camera"), cam) != 0 || !str(rec[j], "track") ||
                strcmp(str(rec[j], "track"), track) != 0)
                continue;
            hits++;
            used[j] = 1;
            if (!type)
                fail_msg("%s/%s should make no violation, made %s", cam, track,
                         str(rec[j], "type"));
            assert_string_equal(str(rec[j], "type"), type);
            double tol = num(man[i], "tol_ms");
            if (tol >= 0) {
                double dt = num(rec[j], "ts") - num(man[i], "ts");
                double ds = num(rec[j], "ts_start") - num(man[i], "ts_start");
                if (dt < -tol || dt > tol || ds < -tol || ds > tol)
                    fail_msg("%s/%s %s at ts %+.0f ms, ts_start %+.0f ms from the script", cam,
                             track, type, dt, ds);
            }
        }
        if (type) {
            expected++;
            if (hits != 1)
                fail_msg("%s/%s should make one %s, made %zu", cam, track, type, hits);
        }
    }
    for (size_t j = 0; j < nr; j++)
        if (!used[j])
            fail_msg("unscripted violation: %s %s by %s", str(rec[j], "camera"),
                     str(rec[j], "type"), str(rec[j], "track"));
    assert_int_equal(nr, expected);
    /* every violation type of docs/violations.md's table is exercised */
    static const char *const all[] = {"illegal_parking",
                                      "tactile_paving_occupied",
                                      "street_vending",
                                      "red_light",
                                      "stop_line_crossing",
                                      "nonmotor_red_light",
                                      "pedestrian_red_light",
                                      "jaywalking",
                                      "wrong_way",
                                      "no_helmet",
                                      "littering",
                                      "illegal_uturn",
                                      "wrong_lane_movement",
                                      "solid_line_crossing",
                                      "fail_to_yield"};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
        int seen = 0;
        for (size_t j = 0; j < nr; j++)
            seen |= strcmp(str(rec[j], "type"), all[k]) == 0;
        if (!seen)
            fail_msg("the sample never makes %s", all[k]);
    }
    for (size_t i = 0; i < nm; i++)
        cJSON_Delete(man[i]);
    for (size_t j = 0; j < nr; j++)
        cJSON_Delete(rec[j]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_scripted_actor_as_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
