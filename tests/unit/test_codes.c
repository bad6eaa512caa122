/* The offence code table: the shipped tables load and answer lookups; every
 * malformed table is refused with a reason and nothing leaks. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_codes.h"

static struct oc_codes *parse_ok(const char *text)
{
    struct oc_codes *c;
    char err[256];
    oc_err_t r = oc_codes_parse(text, strlen(text), &c, err, sizeof err);
    if (r != OC_OK)
        fail_msg("refused: %s", err);
    return c;
}

static void refused(const char *text, const char *want)
{
    struct oc_codes *c = (struct oc_codes *)1;
    char err[256];
    assert_int_not_equal(oc_codes_parse(text, strlen(text), &c, err, sizeof err), OC_OK);
    assert_null(c);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_builtin_zh(void **state)
{
    (void)state;
    struct oc_codes *c;
    char err[256];
    assert_int_equal(oc_codes_builtin(NULL, &c, err, sizeof err), OC_OK);
    assert_string_equal(oc_codes_locale(c), "zh-CN");
    assert_true(oc_codes_is_example(c));
    const struct oc_code_entry *e = oc_codes_find(c, "red_light", "1625");
    assert_non_null(e);
    assert_string_equal(e->name, "驾驶机动车违反道路交通信号灯通行的");
    assert_string_equal(e->short_name, "闯红灯");
    assert_int_equal(e->points, 6);
    assert_int_equal(e->fine, 200);
    /* the built-in defaults of every type with a default code are listed */
    static const char *const with_code[][2] = {{"illegal_parking", "1039"},
                                               {"wrong_way", "1301"},
                                               {"stop_line_crossing", "1211"},
                                               {"nonmotor_red_light", "2002"}};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(oc_codes_find(c, with_code[i][0], with_code[i][1]));
    /* a type without a code, points not set */
    e = oc_codes_find(c, "pedestrian_red_light", NULL);
    assert_non_null(e);
    assert_null(e->code);
    assert_int_equal(e->points, -1);
    /* another code: find says none, lookup falls back to the type */
    assert_null(oc_codes_find(c, "red_light", "7001"));
    assert_ptr_equal(oc_codes_lookup(c, "red_light", "7001"),
                     oc_codes_find(c, "red_light", "1625"));
    assert_null(oc_codes_lookup(c, "no_such_type", NULL));
    assert_null(oc_codes_lookup(NULL, "red_light", "1625"));
    assert_int_equal(oc_codes_count(c), 20);
    assert_null(oc_codes_at(c, 20));
    oc_codes_free(c);
}

static void test_builtin_en_matches_zh(void **state)
{
    (void)state;
    struct oc_codes *zh, *en;
    char err[256];
    assert_int_equal(oc_codes_builtin("zh-CN", &zh, err, sizeof err), OC_OK);
    assert_int_equal(oc_codes_builtin("en", &en, err, sizeof err), OC_OK);
    assert_int_equal(oc_codes_count(zh), oc_codes_count(en));
    for (size_t i = 0; i < oc_codes_count(zh); i++) {
        const struct oc_code_entry *a = oc_codes_at(zh, i);
        const struct oc_code_entry *b = oc_codes_find(en, a->type, a->code);
        assert_non_null(b);
        assert_int_equal(a->points, b->points);
        assert_int_equal(a->fine, b->fine);
    }
    struct oc_codes *x = (struct oc_codes *)1;
    assert_int_equal(oc_codes_builtin("fr", &x, err, sizeof err), OC_ENOTFOUND);
    assert_null(x);
    oc_codes_free(zh);
    oc_codes_free(en);
}

/* the shipped files are what is built in */
static void test_files_load(void **state)
{
    (void)state;
    const char *root = getenv("OC_SAMPLES");
    assert_non_null(root);
    static const char *const loc[] = {"zh-CN", "en"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/../config/codes/%s.json", root, loc[i]);
        struct oc_codes *c;
        char err[256];
        if (oc_codes_load(path, &c, err, sizeof err) != OC_OK)
            fail_msg("%s", err);
        assert_string_equal(oc_codes_locale(c), loc[i]);
        oc_codes_free(c);
    }
    struct oc_codes *c;
    char err[256];
    assert_int_equal(oc_codes_load("/nonexistent/x.json", &c, err, sizeof err), OC_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.json"));
    assert_int_equal(oc_codes_open(NULL, &c, err, sizeof err), OC_OK);
    oc_codes_free(c);
}

#define HEAD "{\"format\":\"ordercam-codes/1\",\"locale\":\"xx\",\"offences\":["

static void test_minimal_and_limits(void **state)
{
    (void)state;
    struct oc_codes *c = parse_ok(HEAD "]}");
    assert_int_equal(oc_codes_count(c), 0);
    assert_false(oc_codes_is_example(c));
    oc_codes_free(c);
    c = parse_ok(HEAD "{\"type\":\"a_1\",\"code\":\"7\",\"name\":\"N\",\"short\":\"S\","
                      "\"points\":12,\"fine\":100000},"
                      "{\"type\":\"a_1\",\"code\":\"8\",\"name\":\"N\",\"short\":\"S\","
                      "\"points\":0,\"fine\":0}]}");
    assert_int_equal(oc_codes_find(c, "a_1", "7")->points, 12);
    assert_int_equal(oc_codes_find(c, "a_1", "8")->fine, 0);
    oc_codes_free(c);
    /* 64-byte short name is the bound; 65 is refused */
    char buf[512];
    char s64[65], s65[66];
    memset(s64, 'x', 64);
    s64[64] = '\0';
    memset(s65, 'x', 65);
    s65[65] = '\0';
    snprintf(buf, sizeof buf, HEAD "{\"type\":\"a\",\"name\":\"N\",\"short\":\"%s\"}]}", s64);
    oc_codes_free(parse_ok(buf));
    snprintf(buf, sizeof buf, HEAD "{\"type\":\"a\",\"name\":\"N\",\"short\":\"%s\"}]}", s65);
    refused(buf, "offences[0]");
}

static void test_refusals(void **state)
{
    (void)state;
    refused("[]", "not a JSON object");
    refused("{\"format\":\"x\"}", "format");
    refused(HEAD "]} x", "after the JSON value");
    refused("{\"format\":\"ordercam-codes/1\",\"format\":\"ordercam-codes/1\"}", "given twice");
    refused(HEAD "], \"extra\": 1}", "unknown key \"extra\"");
    refused("{\"format\":\"ordercam-codes/1\",\"offences\":[]}", "locale");
    refused(HEAD "{\"type\":\"A\",\"name\":\"N\",\"short\":\"S\"}]}", "offences[0]");
    refused(HEAD "{\"type\":\"a\",\"short\":\"S\"}]}", "offences[0]");
    refused(HEAD "{\"type\":\"a\",\"name\":\"\",\"short\":\"S\"}]}", "offences[0]");
    refused(HEAD "{\"type\":\"a\",\"name\":\"N\",\"short\":\"S\",\"points\":13}]}", "points");
    refused(HEAD "{\"type\":\"a\",\"name\":\"N\",\"short\":\"S\",\"points\":1.5}]}", "points");
    refused(HEAD "{\"type\":\"a\",\"name\":\"N\",\"short\":\"S\",\"fine\":-1}]}", "fine");
    refused(HEAD "{\"type\":\"a\",\"name\":\"N\",\"short\":\"S\",\"x\":1}]}", "unknown key \"x\"");
    refused(HEAD "{\"type\":\"a\",\"code\":\"1\",\"name\":\"N\",\"short\":\"S\"},"
                 "{\"type\":\"a\",\"code\":\"1\",\"name\":\"M\",\"short\":\"T\"}]}",
            "offences[1]: type \"a\" with code \"1\" is listed twice");
    refused(HEAD "{\"type\":\"a\",\"name\":\"N\",\"short\":\"S\"},"
                 "{\"type\":\"a\",\"code\":null,\"name\":\"M\",\"short\":\"T\"}]}",
            "code null is listed twice");
    refused(HEAD "7]}", "offences[0]: must be an object");
    refused("{\"format\":\"ordercam-codes/1\",\"locale\":\"\xff\"}", "UTF-8");
}

static void test_too_many(void **state)
{
    (void)state;
    size_t cap = 600 * 64;
    char *buf = malloc(cap);
    size_t n = (size_t)snprintf(buf, cap, HEAD);
    for (int i = 0; i < OC_CODES_MAX_ENTRIES + 1; i++)
        n += (size_t)snprintf(buf + n, cap - n,
                              "%s{\"type\":\"t%d\",\"name\":\"N\",\"short\":\"S\"}", i ? "," : "",
                              i);
    snprintf(buf + n, cap - n, "]}");
    refused(buf, "more than 512");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_zh), cmocka_unit_test(test_builtin_en_matches_zh),
        cmocka_unit_test(test_files_load), cmocka_unit_test(test_minimal_and_limits),
        cmocka_unit_test(test_refusals),   cmocka_unit_test(test_too_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
