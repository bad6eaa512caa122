/* The record id (oc_record_id_format, oc_record_id_of) and the upload
 * bodies (oc_wire): ids, bodies byte for byte and read back through the
 * JSON policy, the writer's failures, central's refusal index. (The id's
 * parsing rules are test_record_validate's.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"
#include "ordercam/oc_wire.h"

static void id_format_and_parse(void **state)
{
    (void)state;
    char id[OC_RECORD_ID_MAX + 1];
    struct oc_record_id out;
    assert_int_equal(oc_record_id_format(id, sizeof id, "edge-1", "cam.e_1", 42), 17);
    assert_string_equal(id, "edge-1:cam.e_1:42");
    assert_int_equal(oc_record_id_parse(id, &out), 0);
    assert_string_equal(out.box, "edge-1");
    assert_string_equal(out.camera, "cam.e_1");
    assert_int_equal(out.seq, 42);
    /* too small a buffer: 0, never a cut id */
    assert_int_equal(oc_record_id_format(id, 17, "edge-1", "cam.e_1", 42), 0);
    assert_int_equal(oc_record_id_format(id, 18, "edge-1", "cam.e_1", 42), 17);
    /* the largest id fits OC_RECORD_ID_MAX and parses back */
    char b64[65], c64[65];
    memset(b64, 'b', 64), b64[64] = '\0';
    memset(c64, 'c', 64), c64[64] = '\0';
    size_t n = oc_record_id_format(id, sizeof id, b64, c64, UINT64_MAX);
    assert_true(n > 0 && n <= OC_RECORD_ID_MAX);
    assert_int_equal(oc_record_id_parse(id, &out), 0);
    assert_int_equal(out.seq, UINT64_MAX);
    assert_string_equal(out.box, b64);
    assert_string_equal(out.camera, c64);
}

static void id_of_record(void **state)
{
    (void)state;
    char id[OC_RECORD_ID_MAX + 1];
    const char rec[] = "{\"id\":\"edge-1:cam-1:7\",\"box\":\"edge-1\"}\n";
    assert_true(oc_record_id_of(rec, strlen(rec), id, sizeof id));
    assert_string_equal(id, "edge-1:cam-1:7");
    assert_false(oc_record_id_of(rec, strlen(rec), id, 14)); /* 14 bytes + NUL needed */
    assert_true(oc_record_id_of(rec, strlen(rec), id, 15));
    assert_false(oc_record_id_of("{\"box\":\"x\"}", 11, id, sizeof id));
    assert_false(oc_record_id_of("{\"id\":\"cut", 10, id, sizeof id)); /* a torn line */
    assert_false(oc_record_id_of("", 0, id, sizeof id));
}

static cJSON *parsed(const char *text)
{
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse(text, strlen(text), 1 << 20, 8, &j, NULL), OC_JSON_OK);
    return j;
}

static void violations_body(void **state)
{
    (void)state;
    struct oc_wire_mem m = {.max = 1 << 20};
    struct oc_wire w;
    oc_wire_mem_writer(&w, &m);
    oc_wire_violations_begin(&w, "edge-1");
    assert_int_equal(oc_wire_violations_end(&w), OC_OK);
    assert_string_equal(m.p, "{\"box\":\"edge-1\",\"violations\":[]}");
    oc_wire_mem_writer(&w, &m);
    oc_wire_violations_begin(&w, "edge-1");
    oc_wire_violation(&w, "{\"id\":\"edge-1:c:1\"}\n", 20); /* the newline is left out */
    oc_wire_violation(&w, "{\"id\":\"edge-1:c:2\"}", 19);
    assert_int_equal(oc_wire_violations_end(&w), OC_OK);
    assert_string_equal(m.p, "{\"box\":\"edge-1\",\"violations\":[{\"id\":\"edge-1:c:1\"},"
                             "{\"id\":\"edge-1:c:2\"}]}");
    cJSON *j = parsed(m.p);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "violations")), 2);
    cJSON_Delete(j);
    /* a bad box id fails the body */
    oc_wire_mem_writer(&w, &m);
    oc_wire_violations_begin(&w, "edge\"1");
    assert_int_equal(oc_wire_violations_end(&w), OC_EINVAL);
    oc_wire_mem_free(&m);
}

static void tallies_body(void **state)
{
    (void)state;
    struct oc_wire_camera cams[] = {{"cam-1", "凤台街 \"东\"", "Fengtai Rd", NULL},
                                    {"cam-2", NULL, NULL, NULL}};
    char *cj = oc_wire_cameras_json(cams, 2);
    assert_non_null(cj);
    assert_string_equal(cj, "[{\"id\":\"cam-1\",\"location\":\"凤台街 \\\"东\\\"\","
                            "\"road\":\"Fengtai Rd\"},{\"id\":\"cam-2\"}]");
    struct oc_wire_mem m = {.max = 1 << 20};
    struct oc_wire w;
    oc_wire_mem_writer(&w, &m);
    oc_wire_tallies_begin(&w, "edge-1", "0.1.0", 12, cj);
    struct oc_wire_tally t = {"cam-1", "red_light", 1763802000000, 5, 5};
    oc_wire_tally(&w, &t);
    t.count = 0, t.rev = 9; /* a count may be 0; rev need not equal it */
    oc_wire_tally(&w, &t);
    assert_int_equal(oc_wire_tallies_end(&w), OC_OK);
    assert_string_equal(m.p,
                        "{\"box\":\"edge-1\",\"version\":\"0.1.0\",\"backlog\":12,\"cameras\":[{"
                        "\"id\":\"cam-1\",\"location\":\"凤台街 \\\"东\\\"\",\"road\":\"Fengtai "
                        "Rd\"},{\"id\":\"cam-2\"}],\"tallies\":[{\"camera\":\"cam-1\",\"type\":"
                        "\"red_light\",\"bucket\":1763802000000,\"count\":5,\"rev\":5},{\"camera\":"
                        "\"cam-1\",\"type\":\"red_light\",\"bucket\":1763802000000,\"count\":0,"
                        "\"rev\":9}]}");
    cJSON *j = parsed(m.p);
    cJSON_Delete(j);
    /* no backlog, no cameras */
    oc_wire_mem_writer(&w, &m);
    oc_wire_tallies_begin(&w, "edge-1", "0.1.0", -1, NULL);
    assert_int_equal(oc_wire_tallies_end(&w), OC_OK);
    assert_string_equal(m.p,
                        "{\"box\":\"edge-1\",\"version\":\"0.1.0\",\"cameras\":[],\"tallies\":[]}");
    /* every rule of a row on its bad side */
    struct oc_wire_tally bad[] = {
        {"cam 1", "red_light", 0, 1, 1},  {"cam-1", "Red", 0, 1, 1},
        {"cam-1", "", 0, 1, 1},           {"cam-1", "red_light", -1, 1, 1},
        {"cam-1", "red_light", 0, -1, 1}, {"cam-1", "red_light", 0, 1, 0},
        {NULL, "red_light", 0, 1, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        oc_wire_mem_writer(&w, &m);
        oc_wire_tallies_begin(&w, "edge-1", "v", -1, NULL);
        if (oc_wire_tally(&w, &bad[i]) != OC_EINVAL)
            fail_msg("row %zu accepted: %s", i, m.p);
        /* left out; the body stays good for the others */
        assert_int_equal(oc_wire_tally(&w, &t), OC_OK);
        assert_int_equal(oc_wire_tallies_end(&w), OC_OK);
        assert_non_null(strstr(m.p, "\"tallies\":[{\"camera\":\"cam-1\",\"type\":\"red_light\""));
    }
    struct oc_wire_camera badcam = {"cam/1", NULL, NULL, NULL};
    assert_null(oc_wire_cameras_json(&badcam, 1));
    free(cj);
    oc_wire_mem_free(&m);
}

static void memory_limit(void **state)
{
    (void)state;
    char rec[100];
    snprintf(rec, sizeof rec, "{\"id\":\"%s\"}", "e:c:1");
    size_t one = strlen("{\"box\":\"e\",\"violations\":[") + strlen(rec) + 2;
    struct oc_wire_mem m = {.max = one};
    struct oc_wire w;
    oc_wire_mem_writer(&w, &m);
    oc_wire_violations_begin(&w, "e");
    oc_wire_violation(&w, rec, strlen(rec));
    assert_int_equal(oc_wire_violations_end(&w), OC_OK); /* exactly at the limit */
    assert_int_equal(m.len, one);
    m.max = one - 1;
    oc_wire_mem_writer(&w, &m);
    oc_wire_violations_begin(&w, "e");
    oc_wire_violation(&w, rec, strlen(rec));
    assert_int_equal(oc_wire_violations_end(&w), OC_EFULL); /* one byte beyond */
    oc_wire_mem_free(&m);
}

static void refused_index(void **state)
{
    (void)state;
    size_t i = 99;
    const char *ok =
        "{\"error\":\"violations[3]: \\\"type\\\" must be a violation type name\",\"index\":3}";
    assert_true(oc_wire_refused_index(ok, strlen(ok), &i));
    assert_int_equal(i, 3);
    const char *zero = "{\"error\":\"x\",\"index\":0}";
    assert_true(oc_wire_refused_index(zero, strlen(zero), &i));
    assert_int_equal(i, 0);
    /* an older central's English is not read */
    static const char *const no[] = {"{\"error\":\"violations[3]: bad\"}",
                                     "{\"error\":\"x\",\"index\":-1}",
                                     "{\"error\":\"x\",\"index\":1.5}",
                                     "{\"error\":\"x\",\"index\":\"3\"}",
                                     "{\"index\":1,\"index\":2}",
                                     "[3]",
                                     "{\"index\":3} trailing",
                                     "",
                                     "<html>502 Bad Gateway</html>"};
    for (size_t k = 0; k < sizeof no / sizeof *no; k++)
        if (oc_wire_refused_index(no[k], strlen(no[k]), &i))
            fail_msg("read an index from %s", no[k]);
    assert_false(oc_wire_refused_index(NULL, 0, &i));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(id_format_and_parse), cmocka_unit_test(id_of_record),
        cmocka_unit_test(violations_body),     cmocka_unit_test(tallies_body),
        cmocka_unit_test(memory_limit),        cmocka_unit_test(refused_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
