/* The JSON policy (oc_json): every rule on both sides of its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ordercam/oc_json.h"

static enum oc_json_status parse(const char *text, struct oc_json_error *e)
{
    cJSON *j = NULL;
    enum oc_json_status s = oc_json_parse(text, strlen(text), 1 << 20, 8, &j, e);
    if (s == OC_JSON_OK)
        assert_non_null(j);
    else
        assert_null(j);
    cJSON_Delete(j);
    return s;
}

static void accepts_plain_json(void **state)
{
    (void)state;
    struct oc_json_error e;
    assert_int_equal(parse("{\"a\":\"晋E12345 ü \\\"[[[\",\"b\":[1,2,{\"a\":1}]}", &e), OC_JSON_OK);
    assert_int_equal(parse(" [1] \r\n\t", &e), OC_JSON_OK);            /* white space after */
    assert_int_equal(parse("\"\xf0\x9f\x98\x80\"", &e), OC_JSON_OK);   /* emoji */
    assert_int_equal(parse("\"a\\u0001b\\\\u0000\"", &e), OC_JSON_OK); /* escaped, not NUL */
    assert_int_equal(parse("{\"a\":{\"k\":1},\"b\":{\"k\":2}}", &e), OC_JSON_OK);
}

static void refuses_duplicate_keys(void **state)
{
    (void)state;
    struct oc_json_error e;
    assert_int_equal(parse("{\"box\":\"a\",\"type\":\"x\",\"box\":\"b\"}", &e),
                     OC_JSON_DUPLICATE_KEY);
    assert_string_equal(e.key, "box");
    assert_int_equal(parse("[{\"o\":{\"k\":1,\"k\":1}}]", &e), OC_JSON_DUPLICATE_KEY);
    /* a large object goes through the sorted path */
    char big[2048] = "{";
    for (int i = 0; i < 40; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "\"k%d\":%d,", i, i);
    strcat(big, "\"k7\":0}");
    assert_int_equal(parse(big, &e), OC_JSON_DUPLICATE_KEY);
    assert_string_equal(e.key, "k7");
    strcpy(big + strlen(big) - 7, "\"x9\":0}");
    assert_int_equal(parse(big, &e), OC_JSON_OK);
    char msg[96];
    assert_int_equal(parse("{\"a\":1,\"a\":2}", &e), OC_JSON_DUPLICATE_KEY);
    assert_string_equal(oc_json_describe(&e, msg, sizeof msg), "$.a: key given twice");
    assert_int_equal(parse("{\"x\":[0,{\"o\":{\"k\":1,\"k\":1}}]}", &e), OC_JSON_DUPLICATE_KEY);
    assert_string_equal(e.path, "$.x[1].o.k");
    /* keys sharing their first byte are still told apart, and a repeated
     * first byte alone is no duplicate */
    assert_int_equal(parse("{\"box\":1,\"boy\":2,\"b\":3,\"\":4}", &e), OC_JSON_OK);
    assert_int_equal(parse("{\"\":1,\"a\":2,\"\":3}", &e), OC_JSON_DUPLICATE_KEY);
    assert_string_equal(e.path, "$.");
    /* with two duplicates the first in document order is named */
    assert_int_equal(parse("[{\"a\":[{\"q\":1,\"q\":2}]},{\"b\":1,\"b\":2}]", &e),
                     OC_JSON_DUPLICATE_KEY);
    assert_string_equal(e.path, "$[0].a[0].q");
}

static void refuses_trailing_data(void **state)
{
    (void)state;
    struct oc_json_error e;
    assert_int_equal(parse("{\"a\":1}x", &e), OC_JSON_TRAILING);
    assert_int_equal(e.offset, 7);
    assert_int_equal(parse("{\"a\":1} {\"a\":2}", &e), OC_JSON_TRAILING);
    /* a NUL byte after the value is data too */
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse("{}\0", 3, 64, 8, &j, &e), OC_JSON_CONTROL_CHAR);
    assert_null(j);
}

static void refuses_control_characters_and_nul(void **state)
{
    (void)state;
    struct oc_json_error e;
    assert_int_equal(parse("{\"cam\":\"cam\\u0000x\"}", &e), OC_JSON_NUL_ESCAPE);
    assert_int_equal(e.offset, 11);
    assert_int_equal(parse("{\"a\":\"x\ty\"}", &e), OC_JSON_CONTROL_CHAR);
    assert_int_equal(parse("{\"a\":\"x\ny\"}", &e), OC_JSON_CONTROL_CHAR);
    assert_int_equal(parse("{\"a\":\x01 1}", &e), OC_JSON_CONTROL_CHAR);
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse("\"a\0b\"", 5, 64, 8, &j, &e), OC_JSON_CONTROL_CHAR);
}

static void refuses_bad_utf8_depth_size_syntax(void **state)
{
    (void)state;
    struct oc_json_error e;
    assert_int_equal(parse("\"\xe6\x99\"", &e), OC_JSON_BAD_UTF8);         /* truncated */
    assert_int_equal(parse("\"\xf4\x90\x80\x80\"", &e), OC_JSON_BAD_UTF8); /* > U+10FFFF */
    assert_int_equal(parse("\"\xed\xa0\x80\"", &e), OC_JSON_BAD_UTF8);     /* surrogate */
    assert_int_equal(parse("\"\xc0\xaf\"", &e), OC_JSON_BAD_UTF8);         /* overlong */
    assert_int_equal(parse("[[[[[[[[1]]]]]]]]", &e), OC_JSON_OK);          /* 8 deep */
    assert_int_equal(parse("[[[[[[[[[1]]]]]]]]]", &e), OC_JSON_TOO_DEEP);  /* 9 deep */
    assert_int_equal(parse("{\"a\":}", &e), OC_JSON_SYNTAX);
    assert_int_equal(parse("", &e), OC_JSON_SYNTAX);
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse("[1,2]", 5, 4, 8, &j, &e), OC_JSON_TOO_LARGE);
    assert_int_equal(oc_json_parse("[1,2]", 5, 5, 8, &j, &e), OC_JSON_OK);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_plain_json),
        cmocka_unit_test(refuses_duplicate_keys),
        cmocka_unit_test(refuses_trailing_data),
        cmocka_unit_test(refuses_control_characters_and_nul),
        cmocka_unit_test(refuses_bad_utf8_depth_size_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
