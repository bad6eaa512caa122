/* oc_record_validate and oc_record_id_parse: what central accepts from a
 * box, each rule beside a record that passes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"

/* A record as ordercamd writes it (outputs.md), with `extra` spliced in
 * before "evidence" and the evidence value given. */
static int check(const char *box, const char *id, const char *extra, const char *ev, long long ts,
                 long long ts0, char *err, size_t cap)
{
    char text[2048];
    snprintf(
        text, sizeof text,
        "{\"id\":\"%s\",\"box\":\"edge-1\",\"camera\":\"cam-1\",\"type\":\"red_light\","
        "\"code\":\"1625\",\"ts\":%lld,\"ts_start\":%lld,\"track\":\"t1\",\"class\":\"car\","
        "\"plate\":\"晋E12345\",\"conf\":0.91,\"zone\":null,\"line\":\"stop\",\"signal\":\"s\","
        "\"location\":\"凤台街\",\"road\":\"Fengtai Rd\",\"unit\":\"Brigade 2\"%s,\"evidence\":%s}",
        id, ts, ts0, extra, ev);
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse(text, strlen(text), SIZE_MAX, 64, &j, NULL), OC_JSON_OK);
    int ok = oc_record_validate(j, box, err, cap);
    cJSON_Delete(j);
    return ok;
}

#define TS 1763802012345LL
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void records(void **state)
{
    (void)state;
    char err[200];
    assert_true(check("edge-1", "edge-1:cam-1:42", "", "null", TS, TS - 445, err, sizeof err));
    assert_true(check("edge-1", "edge-1:cam-1:42", "", "null", TS, TS, err, sizeof err));
    /* ts_start after ts */
    assert_false(check("edge-1", "edge-1:cam-1:42", "", "null", TS, TS + 1, err, sizeof err));
    assert_non_null(strstr(err, "ts_start"));
    /* after 2100, negative */
    assert_false(
        check("edge-1", "edge-1:cam-1:42", "", "null", 4102444800001LL, TS, err, sizeof err));
    assert_false(check("edge-1", "edge-1:cam-1:42", "", "null", TS, -1, err, sizeof err));
    /* another box's id, another camera's id, a sender that is not "box" */
    assert_false(check("edge-1", "edge-2:cam-1:42", "", "null", TS, TS, err, sizeof err));
    assert_false(check("edge-1", "edge-1:cam-2:42", "", "null", TS, TS, err, sizeof err));
    assert_false(check("edge-2", "edge-2:cam-1:42", "", "null", TS, TS, err, sizeof err));
    assert_non_null(strstr(err, "\"box\""));
    /* unknown fields, with the key shown only as far as it is plain */
    assert_false(check("edge-1", "edge-1:cam-1:42", ",\"evidence_url\":\"https://x\"", "null", TS,
                       TS, err, sizeof err));
    assert_string_equal(err, "unknown field \"evidence_url\"");
    assert_false(check("edge-1", "edge-1:cam-1:42", ",\"a<b\":1", "null", TS, TS, err, sizeof err));
    assert_string_equal(err, "unknown field \"a\"");
}

static void typed_fields(void **state)
{
    (void)state;
    char err[200], text[1024];
#define BASE                                                                                       \
    "{\"id\":\"edge-1:cam-1:1\",\"box\":\"edge-1\",\"camera\":\"cam-1\","                          \
    "\"type\":\"red_light\",\"ts\":5,\"ts_start\":5%s}"
    static const struct {
        const char *extra;
        int ok;
    } cases[] = {
        {"", 1},
        {",\"conf\":1", 1},
        {",\"conf\":1.01", 0},
        {",\"conf\":null", 1},
        {",\"conf\":\"high\"", 0},
        {",\"plate\":null", 1},
        {",\"plate\":7", 0},
        {",\"type\":\"x\"", -1}, /* duplicate key: refused by the parser */
        {",\"evidence\":null", 1},
        {",\"evidence\":{}", 0},
        {",\"evidence\":{\"file\":\"20251122/edge-1-cam-1-1.jpg\",\"sha256\":\"" SHA "\","
         "\"frames\":[1,2,3]}",
         1},
        {",\"evidence\":{\"sha256\":\"" SHA "\",\"evicted\":true}", 1},
        {",\"evidence\":{\"sha256\":\"" SHA "\",\"evicted\":1}", 0},
        {",\"evidence\":{\"sha256\":\"" SHA "\",\"public_sha256\":\"" SHA "\"}", 1},
        {",\"evidence\":{\"sha256\":\"" SHA "\",\"public_sha256\":\"AB\"}", 0},
        {",\"evidence\":{\"sha256\":\"" SHA "\",\"public_sha256\":null}", 0},
        {",\"evidence\":{\"sha256\":\"" SHA "\",\"frames\":[-1]}", 0},
        {",\"evidence\":{\"sha256\":\"" SHA "\",\"url\":\"x\"}", 0},
        {",\"signal_state\":\"red\",\"red_elapsed_ms\":3400", 1},
        {",\"signal_state\":\"red\",\"red_elapsed_ms\":0", 1},
        {",\"signal_state\":\"red\",\"red_elapsed_ms\":null", 1},
        {",\"signal_state\":null,\"red_elapsed_ms\":null", 1},
        {",\"signal_state\":\"flashing\"", 1},
        {",\"signal_state\":\"green\",\"red_elapsed_ms\":5", 0},
        {",\"red_elapsed_ms\":5", 0},
        {",\"signal_state\":\"red\",\"red_elapsed_ms\":-1", 0},
        {",\"signal_state\":\"red\",\"red_elapsed_ms\":1.5", 0},
        {",\"signal_state\":\"unknown\"", 0},
        {",\"signal_state\":\"RED\"", 0},
        {",\"signal_state\":1", 0},
        {",\"evidence\":{\"sha256\":"
         "\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"}",
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(text, sizeof text, BASE, cases[i].extra);
        cJSON *j = NULL;
        enum oc_json_status st = oc_json_parse(text, strlen(text), SIZE_MAX, 64, &j, NULL);
        if (cases[i].ok < 0) {
            assert_int_equal(st, OC_JSON_DUPLICATE_KEY);
            continue;
        }
        assert_int_equal(st, OC_JSON_OK);
        int ok = oc_record_validate(j, "edge-1", err, sizeof err);
        if (ok != cases[i].ok)
            fail_msg("case %zu (%s): got %d (%s)", i, cases[i].extra, ok, ok ? "" : err);
        cJSON_Delete(j);
    }
    assert_false(oc_record_validate(NULL, "edge-1", err, sizeof err));
    /* strings: 512 bytes pass, 513 do not */
    for (int n = 512; n <= 513; n++) {
        char extra[600];
        snprintf(extra, sizeof extra, ",\"plate\":\"%0*d\"", n, 0);
        snprintf(text, sizeof text, BASE, extra);
        cJSON *j = NULL;
        assert_int_equal(oc_json_parse(text, strlen(text), SIZE_MAX, 64, &j, NULL), OC_JSON_OK);
        assert_int_equal(oc_record_validate(j, "edge-1", err, sizeof err), n == 512);
        cJSON_Delete(j);
    }
}

static void ids(void **state)
{
    (void)state;
    struct oc_record_id id;
    assert_int_equal(oc_record_id_parse("edge-1:cam-1:42", &id), 0);
    assert_string_equal(id.box, "edge-1");
    assert_string_equal(id.camera, "cam-1");
    assert_true(id.seq == 42);
    assert_int_equal(oc_record_id_parse("edge-1:cam-1:18446744073709551615", &id), 0);
    assert_true(id.seq == UINT64_MAX);
    assert_int_equal(oc_record_id_parse("edge-1:cam-1:18446744073709551616", &id), -1);
    assert_int_equal(oc_record_id_parse("edge-1:cam-1:042", NULL), -1); /* one seq, one spelling */
    assert_int_equal(oc_record_id_parse("edge-1:cam-1:0", NULL), -1);
    assert_int_equal(oc_record_id_parse("edge-1:cam-1:", NULL), -1);
    assert_int_equal(oc_record_id_parse("edge-1:cam-1:4x", NULL), -1);
    assert_int_equal(oc_record_id_parse("edge-1:cam-1", NULL), -1);
    assert_int_equal(oc_record_id_parse("edge-1::1", NULL), -1);
    assert_int_equal(oc_record_id_parse("..:cam:1", NULL),
                     0); /* ids may hold dots; paths never use them */
    assert_int_equal(oc_record_id_parse("a/b:cam:1", NULL), -1);
    assert_int_equal(oc_record_id_parse("edge-1:cam-1:1:2", NULL), -1);
    assert_int_equal(oc_record_id_parse(NULL, NULL), -1);
}

/* The shared type-name and integer checks (records, tallies, wire bodies). */
static void type_names_and_ints(void **state)
{
    (void)state;
    char name[70];
    memset(name, 'a', 64);
    name[64] = '\0';
    assert_true(oc_record_type_name_ok(name));
    name[64] = 'a';
    name[65] = '\0';
    assert_false(oc_record_type_name_ok(name));
    assert_true(oc_record_type_name_ok("red_light_2"));
    assert_false(oc_record_type_name_ok("Red_light"));
    assert_false(oc_record_type_name_ok("red-light"));
    assert_false(oc_record_type_name_ok(""));
    assert_false(oc_record_type_name_ok(NULL));

    cJSON *v = cJSON_CreateNumber(5);
    assert_true(oc_record_is_int(v, 5, 5));
    assert_false(oc_record_is_int(v, 6, 9));
    assert_false(oc_record_is_int(v, 0, 4));
    cJSON_SetNumberValue(v, 5.5);
    assert_false(oc_record_is_int(v, 0, 9));
    cJSON_SetNumberValue(v, 1e300); /* beyond long long: refused, not cast */
    assert_false(oc_record_is_int(v, 0, 9e15));
    cJSON_SetNumberValue(v, -1);
    assert_false(oc_record_is_int(v, 0, 9));
    assert_true(oc_record_is_int(v, -1, 9));
    cJSON_Delete(v);
    cJSON *s = cJSON_CreateString("5");
    assert_false(oc_record_is_int(s, 0, 9));
    cJSON_Delete(s);
    assert_false(oc_record_is_int(NULL, 0, 9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records),
        cmocka_unit_test(typed_fields),
        cmocka_unit_test(ids),
        cmocka_unit_test(type_names_and_ints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
