/* The JSON adapters' fast reader (oc_adapt_json.h) against the policy it
 * stands in for (oc_event_parse): whatever the reader accepts, the policy
 * accepts with the same tree (types, keys, strings, valueint, valuedouble
 * bit for bit, order); what it cannot decode it leaves to the policy. Hand
 * cases on both sides of each rule, the fuzz seeds line by line, and every
 * truncation and single-byte change of typical payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oc_adapt_int.h"
#include "oc_adapt_json.h"
#include "ordercam/oc_event.h"

static struct oc_ajson *arena;

static void same_tree(const cJSON *a, const cJSON *b)
{
    for (; a || b; a = a->next, b = b->next) {
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(a->type, b->type);
        assert_true((a->string == NULL) == (b->string == NULL));
        if (a->string)
            assert_string_equal(a->string, b->string);
        assert_true((a->valuestring == NULL) == (b->valuestring == NULL));
        if (a->valuestring)
            assert_string_equal(a->valuestring, b->valuestring);
        assert_int_equal(a->valueint, b->valueint);
        assert_memory_equal(&a->valuedouble, &b->valuedouble, sizeof a->valuedouble);
        if (a->child)
            assert_ptr_equal(a->child->prev, cJSON_GetArrayItem(a, cJSON_GetArraySize(a) - 1));
        same_tree(a->child, b->child);
    }
}

/* Both readers on buf; returns whether the fast one decoded it. */
static bool check(const char *buf, size_t len)
{
    const cJSON *fast = oc_ajson_parse(arena, buf, len);
    enum oc_counter why;
    cJSON *slow = oc_event_parse(buf, len, &why);
    if (fast) {
        if (!slow)
            fail_msg("fast reader accepted what the policy refuses (%d): %.*s", (int)why, (int)len,
                     buf);
        same_tree(fast, slow);
    }
    cJSON_Delete(slow);
    return fast != NULL;
}

static bool check_str(const char *s)
{
    return check(s, strlen(s));
}

static const char DS[] =
    "{\"messageid\":\"00000000-0000-4000-8000-000000000001\",\"mdsversion\":\"1.0\","
    "\"@timestamp\":\"2025-11-22T09:00:00.000Z\",\"sensor\":{\"id\":\"cam-000\",\"type\":"
    "\"Camera\"},\"object\":{\"id\":\"1\",\"vehicle\":{\"type\":\"car\",\"license\":"
    "\"\xe6\x99\x8b"
    "A00001\",\"confidence\":0.72},\"bbox\":{\"topleftx\":85,\"toplefty\":483,"
    "\"bottomrightx\":245,\"bottomrighty\":593}},\"event\":{\"id\":\"0000000000001eef\","
    "\"type\":\"moving\"},\"videoPath\":\"\"}";

static const char FRIGATE[] =
    "{\"type\":\"new\",\"before\":null,\"after\":{\"id\":\"1763802000.000000-1\",\"camera\":"
    "\"cam-000\",\"label\":\"car\",\"frame_time\":1763802000.000,\"snapshot\":{\"frame_time\":"
    "1763802000.000},\"box\":[85,483,245,593],\"score\":0.9,\"stationary\":false,"
    "\"current_zones\":[],\"entered_zones\":[],\"end_time\":null,\"recognized_license_plate\":"
    "\"\xe6\x99\x8b"
    "A00001\",\"path_data\":[[[0.0859,0.5491],1763802000.000]],\"t\":true}}";

static const char MINIMAL[] =
    "{\"version\":\"4.0\",\"id\":\"0\",\"@timestamp\":\"2025-11-22T09:00:00.000Z\",\"sensorId\":"
    "\"cam-000\",\"objects\":[\"1|85|483|245|593|Vehicle|#|car||||A00001||0.72\"]}";

static void decodes_typical_payloads(void **state)
{
    (void)state;
    assert_true(check(DS, sizeof DS - 1));
    assert_true(check(FRIGATE, sizeof FRIGATE - 1));
    assert_true(check(MINIMAL, sizeof MINIMAL - 1));
    assert_true(check_str(" \r\n\t{ \"a\" : [ 1 , { } , [ ] , \"\" ] , \"b\" : { } } \n"));
    assert_true(check_str("{\"\":1,\"a\":\"\xf0\x9f\x98\x80 \xc3\xbc\x7f\"}"));
}

static void numbers_as_cjson_reads_them(void **state)
{
    (void)state;
    static const char *const nums[] = {"0",
                                       "-0",
                                       "0.0",
                                       "-0.0",
                                       "1",
                                       "-1",
                                       "0.1",
                                       "0.2",
                                       "0.3",
                                       "0.72",
                                       "0.0859",
                                       "1763802000.000",
                                       "1763802000.123",
                                       "123456789012345",
                                       "1234567890123456",
                                       "12345678901234567890",
                                       "0.30000000000000004",
                                       "2147483647",
                                       "2147483648",
                                       "-2147483648",
                                       "-2147483649",
                                       "2147483646.9",
                                       "1e5",
                                       "1E-5",
                                       "1e+2",
                                       "-1.5e-300",
                                       "1e400",
                                       "-1e400",
                                       "4.9e-324",
                                       "1.7976931348623157e308",
                                       "9007199254740993",
                                       "0.000000000000001",
                                       "99999999999999.9"};
    char buf[128];
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        snprintf(buf, sizeof buf, "{\"n\":%s,\"a\":[%s]}", nums[i], nums[i]);
        assert_true(check_str(buf));
    }
    /* 63 characters are read, 64 are left to the policy */
    char n[80];
    memset(n, '1', 63);
    n[63] = '\0';
    snprintf(buf, sizeof buf, "{\"n\":%s}", n);
    assert_true(check_str(buf));
    snprintf(buf, sizeof buf, "{\"n\":%s1}", n);
    assert_false(check_str(buf));
}

static void leaves_the_rest_to_the_policy(void **state)
{
    (void)state;
    static const char *const rest[] = {
        "",
        "[1]",
        "\"a\"",
        "1",
        "\xef\xbb\xbf{}",               /* BOM */
        "{\"a\":\"x\\ny\"}",            /* escape */
        "{\"a\\u0041\":1}",             /* escaped key */
        "{\"a\":1,\"a\":2}",            /* duplicate */
        "{\"a\":{\"k\":1,\"k\":1}}",    /* nested duplicate */
        "{\"a\":1} x",                  /* trailing */
        "{\"a\":1}{}",                  /* two values */
        "{\"a\":01}",                   /* leading zero */
        "{\"a\":.5}",                   /* no integer part */
        "{\"a\":+1}",                   /* plus sign */
        "{\"a\":1.}",                   /* no fraction digits */
        "{\"a\":1e}",                   /* no exponent digits */
        "{\"a\":-}",                    /* sign alone */
        "{\"a\":0x10}",                 /* hex */
        "{\"a\":NaN}",                  /* not JSON */
        "{\"a\":tru}",                  /* short literal */
        "{\"a\":truex}",                /* long literal */
        "{\"a\":1,}",                   /* trailing comma */
        "{\"a\"1}",                     /* no colon */
        "{\"a\":\"x\x01\"}",            /* control character */
        "{\"a\":\"\xc0\xaf\"}",         /* overlong */
        "{\"a\":\"\xed\xa0\x80\"}",     /* surrogate */
        "{\"a\":\"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
        "{\"a\":\"\xe6\x99\"}",         /* truncated sequence */
        "{\"a\":1}\f",                  /* form feed is no white space here */
        "{\"a\":[1 2]}",
        "{\"a\"",
        "{",
    };
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++)
        assert_false(check_str(rest[i]));
    /* a NUL byte inside */
    assert_false(check("{\"a\":\"\0\"}", 8));
    assert_false(check("{\"a\":1}\0", 8));
    /* depth: the policy's limit, not one more */
    char deep[300];
    size_t k = 0;
    deep[k++] = '{';
    deep[k++] = '"';
    deep[k++] = 'a';
    deep[k++] = '"';
    deep[k++] = ':';
    for (int i = 0; i < OC_JSON_MAX_DEPTH - 1; i++)
        deep[k++] = '[';
    for (int i = 0; i < OC_JSON_MAX_DEPTH - 1; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    assert_true(check(deep, k));
    memmove(deep + 6, deep + 5, k - 5);
    deep[5] = '[';
    memmove(deep + k + 1, deep + k, 1);
    deep[k] = ']';
    assert_false(check(deep, k + 2));
    /* too many values, or too many members to check for duplicates */
    size_t cap = 16 * OC_AJSON_NODES;
    char *big = malloc(cap);
    assert_non_null(big);
    k = (size_t)snprintf(big, cap, "{\"a\":[");
    for (int i = 0; i < OC_AJSON_NODES; i++)
        k += (size_t)snprintf(big + k, cap - k, "%s%d", i ? "," : "", i);
    k += (size_t)snprintf(big + k, cap - k, "]}");
    assert_false(check(big, k));
    k = (size_t)snprintf(big, cap, "{");
    for (int i = 0; i < 65; i++)
        k += (size_t)snprintf(big + k, cap - k, "%s\"k%d\":%d", i ? "," : "", i, i);
    k += (size_t)snprintf(big + k, cap - k, "}");
    assert_false(check(big, k));
    free(big);
}

/* Every truncation and every byte replaced by each of some telling bytes. */
static void mutations_never_disagree(void **state)
{
    (void)state;
    static const char swaps[] = {
        '"',  '\\',   '{',    '}',        '[',        ']',        ',',        ':',       ' ', '\n',
        '0',  '1',    '-',    '.',        'e',        'E',        '+',        't',       'n', 'a',
        '\0', '\x1f', '\x7f', (char)0x80, (char)0xc0, (char)0xe6, (char)0xed, (char)0xff};
    const char *const docs[] = {DS, FRIGATE, MINIMAL};
    size_t accepted = 0;
    for (size_t d = 0; d < 3; d++) {
        size_t len = strlen(docs[d]);
        char *b = malloc(len + 1);
        assert_non_null(b);
        for (size_t n = 0; n <= len; n++)
            accepted += check(docs[d], n);
        for (size_t i = 0; i < len; i++)
            for (size_t s = 0; s < sizeof swaps; s++) {
                memcpy(b, docs[d], len);
                b[i] = swaps[s];
                accepted += check(b, len);
            }
        free(b);
    }
    assert_true(accepted > 0);
}

/* The fuzz seeds of the JSON formats and of the policy, one message a line
 * (the adapter targets' first byte of a line is their own). */
static void fuzz_seeds(void **state)
{
    (void)state;
    const char *samples = getenv("OC_SAMPLES");
    assert_non_null(samples);
    static const char *const files[][2] = {{"fuzz_deepstream/frames.txt", "1"},
                                           {"fuzz_deepstream/plates.txt", "1"},
                                           {"fuzz_deepstream_minimal/frames.txt", "1"},
                                           {"fuzz_frigate/events", "1"},
                                           {"fuzz_frigate/updates", "1"},
                                           {"json/deep", "1"},
                                           {"json/detection", "1"},
                                           {"json/dup", "1"},
                                           {"json/dup_nested", "1"},
                                           {"json/escapes", "1"},
                                           {"json/trailing", "1"},
                                           {"event/events", "0"},
                                           {"event/red_light", "0"},
                                           {"event/bad", "0"}};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/../tests/fuzz/corpus/%s", samples, files[f][0]);
        FILE *fp = fopen(path, "rb");
        if (!fp)
            fail_msg("%s: missing", path);
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, fp)) > 0) {
            size_t skip = files[f][1][0] == '1' ? 1 : 0;
            size_t len = (size_t)n;
            if (len && line[len - 1] == '\n')
                len--;
            if (len >= skip)
                check(line + skip, len - skip);
            check(line, len);
        }
        free(line);
        fclose(fp);
    }
}

/* oc_adapt__decimal (the ONVIF adapter's numbers) is strtod's value or
 * declines. */
static void decimals_as_strtod_reads_them(void **state)
{
    (void)state;
    static const char *const yes[] = {"0",         "-0",        "+0",
                                      "0.0",       "1",         "+1.5",
                                      "-1.5",      "0.0010416", "85",
                                      "0.72",      "1e0",       "007",
                                      "1920.0000", "-0.25",     "123456789012345",
                                      "0.1",       "0.7",       "99999999999999.9"};
    static const char *const no[] = {"",
                                     "-",
                                     ".5",
                                     "5.",
                                     "1e5",
                                     "0x10",
                                     "inf",
                                     "nan",
                                     " 1",
                                     "1 ",
                                     "1234567890123456",
                                     "0.0010416666666666667",
                                     "1..2",
                                     "--1"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        double d = -1, want = strtod(yes[i], NULL);
        bool ok = oc_adapt__decimal(yes[i], strlen(yes[i]), &d);
        if (strchr(yes[i], 'e'))
            assert_false(ok);
        else
            assert_true(ok), assert_memory_equal(&d, &want, sizeof d);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        double d;
        assert_false(oc_adapt__decimal(no[i], strlen(no[i]), &d));
    }
    /* many random decimals of up to 15 digits, bit for bit */
    srand(7);
    char buf[40];
    for (int i = 0; i < 200000; i++) {
        int intd = 1 + rand() % 10, fracd = rand() % (16 - intd);
        size_t k = 0;
        if (rand() % 3 == 0)
            buf[k++] = '-';
        for (int j = 0; j < intd; j++)
            buf[k++] = (char)('0' + rand() % 10);
        if (fracd) {
            buf[k++] = '.';
            for (int j = 0; j < fracd; j++)
                buf[k++] = (char)('0' + rand() % 10);
        }
        buf[k] = '\0';
        double d, want = strtod(buf, NULL);
        assert_true(oc_adapt__decimal(buf, k, &d));
        if (memcmp(&d, &want, sizeof d) != 0)
            fail_msg("%s: %.17g, strtod %.17g", buf, d, want);
        if (i % 8 == 0) { /* and the JSON reader's own conversion */
            char doc[64];
            snprintf(doc, sizeof doc, "{\"n\":%s}", buf);
            check_str(doc);
        }
    }
}

/* oc_ajson_event is oc_event_parse with the fast reader first: the same
 * tree, the same refusals and reasons, the arena's tree never owned. */
static void event_read_is_event_parse(void **state)
{
    (void)state;
    static const char *const docs[] = {
        DS,        "{\"a\":1}",   "{\"a\":\"\\u00e9\"}",
        "[1,2]",   "7",           "{\"a\":1,\"a\":2}",
        "{\"a\":", "{\"a\":1} x", "  {\"b\":[true,false,null,{\"c\":-0.5e3}]}  "};
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        size_t len = strlen(docs[i]);
        enum oc_counter why = OC_C__COUNT, why_slow = OC_C__COUNT;
        cJSON *slow = oc_event_parse(docs[i], len, &why_slow);
        for (int with_arena = 0; with_arena < 2; with_arena++) {
            cJSON *owned = NULL;
            const cJSON *got =
                oc_ajson_event(with_arena ? arena : NULL, docs[i], len, &owned, &why);
            assert_true((got == NULL) == (slow == NULL));
            if (got) {
                same_tree(got, slow);
                assert_true(owned == NULL || owned == got);
                if (!with_arena)
                    assert_ptr_equal(owned, got);
            } else {
                assert_null(owned);
                assert_int_equal(why, why_slow);
            }
            cJSON_Delete(owned);
        }
        cJSON_Delete(slow);
    }
    /* the common payload comes from the arena */
    cJSON *owned = NULL;
    enum oc_counter why;
    assert_non_null(oc_ajson_event(arena, DS, strlen(DS), &owned, &why));
    assert_null(owned);
}

int main(void)
{
    arena = malloc(sizeof *arena);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_typical_payloads),
        cmocka_unit_test(numbers_as_cjson_reads_them),
        cmocka_unit_test(leaves_the_rest_to_the_policy),
        cmocka_unit_test(mutations_never_disagree),
        cmocka_unit_test(fuzz_seeds),
        cmocka_unit_test(decimals_as_strtod_reads_them),
        cmocka_unit_test(event_read_is_event_parse),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(arena);
    return rc;
}
