/* ordercam-central's config: TLS is required unless insecure_http, tokens
 * are checked and kept as digests, mistakes name the JSON path. */
#include "oc_test.h"

#include <string.h>

#include "oc_ccfg.h"

static void refused(const char *text, const char *expect)
{
    char err[512];
    struct oc_ccfg *c = oc_ccfg_parse(text, strlen(text), "central.json", err, sizeof err);
    if (c) {
        oc_ccfg_free(c);
        fail_msg("accepted: %s", text);
    }
    if (!strstr(err, expect))
        fail_msg("\"%s\" lacks \"%s\"", err, expect);
}

#define TOK "\"tokens\":[{\"token\":\"0123456789abcdef\",\"role\":\"viewer\"}]"

static void tls_required(void **state)
{
    (void)state;
    refused("{" TOK "}", "central.json: $: no \"tls\": refusing to serve without TLS");
    refused("{\"insecure_http\":\"yes\"," TOK "}", "$.insecure_http: must be true or false");
    refused("{\"tls\":{\"cert_file\":\"c\"}," TOK "}", "$.tls: needs both");
    char err[256];
    const char *ok = "{\"insecure_http\":true," TOK "}";
    struct oc_ccfg *c = oc_ccfg_parse(ok, strlen(ok), "central.json", err, sizeof err);
    assert_non_null(c);
    assert_true(c->insecure_http);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8443);
    assert_string_equal(c->evidence_dir, "central.sqlite.evidence");
    oc_ccfg_free(c);
}

static void tokens(void **state)
{
    (void)state;
    refused("{\"insecure_http\":true}", "$.tokens: must be a non-empty array");
    refused("{\"insecure_http\":true,\"tokens\":[{\"token\":\"short\",\"role\":\"viewer\"}]}",
            "$.tokens[0]: \"token\" must be a string of at least 16 characters");
    refused("{\"insecure_http\":true,\"tokens\":[{\"token_sha256\":\"abc\",\"role\":\"viewer\"}]}",
            "$.tokens[0]: \"token_sha256\" must be 64 hex digits");
    refused(
        "{\"insecure_http\":true,\"tokens\":[{\"token\":\"0123456789abcdef\",\"role\":\"admin\"}]}",
        "needs \"box\": \"<id>\" or \"role\": \"viewer\"");
    refused(
        "{\"insecure_http\":true,\"tokens\":[{\"token\":\"0123456789abcdef\",\"box\":\"a b\"}]}",
        "\"box\" must be a box id");
    refused("{\"insecure_http\":true,\"tokens\":[{\"token\":\"0123456789abcdef\",\"token_sha256\":"
            "\"x\",\"box\":\"b\"}]}",
            "needs exactly one of");
    /* the digest of a plain token equals its token_sha256 form */
    const char *a =
        "{\"insecure_http\":true,\"tokens\":[{\"token\":\"0123456789abcdef\",\"box\":\"b1\"}]}";
    const char *b =
        "{\"insecure_http\":true,\"tokens\":[{\"token_sha256\":"
        "\"9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f\",\"box\":\"b1\"}]}";
    char err[256];
    struct oc_ccfg *x = oc_ccfg_parse(a, strlen(a), "a", err, sizeof err);
    struct oc_ccfg *y = oc_ccfg_parse(b, strlen(b), "b", err, sizeof err);
    assert_non_null(x);
    assert_non_null(y);
    assert_memory_equal(x->tokens[0].sha256, y->tokens[0].sha256, 32);
    assert_int_equal(x->tokens[0].role, OC_ROLE_BOX);
    assert_string_equal(x->tokens[0].box, "b1");
    oc_ccfg_free(x);
    oc_ccfg_free(y);
}

/* The hostile-input keys (issue 13): defaults, bounds, relations. */
static void security_keys(void **state)
{
    (void)state;
    char err[512];
    const char *d = "{\"insecure_http\":true," TOK "}";
    struct oc_ccfg *c = oc_ccfg_parse(d, strlen(d), "central.json", err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->max_future_s, 300);
    assert_int_equal(c->request_total_s, 60);
    assert_int_equal(c->max_connections_per_ip, 256 / 2 + 1);
    assert_true(c->max_buffered_bytes == (size_t)256 << 20);
    assert_int_equal(c->login_user_refill_ms, 3000);
    assert_string_equal(c->tls_priorities, OC_TLS_PRIORITIES);
    oc_ccfg_free(c);
    const char *set =
        "{\"tls\":{\"cert_file\":\"c\",\"key_file\":\"k\",\"priorities\":\"NORMAL\"},"
        "\"max_future_s\":0,\"limits\":{\"max_connections\":16,\"max_connections_per_ip\":16,"
        "\"request_timeout_s\":5,\"request_total_s\":5,\"max_buffered_mb\":32,"
        "\"login_user_refill_s\":60}," TOK "}";
    c = oc_ccfg_parse(set, strlen(set), "central.json", err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->tls_priorities, "NORMAL");
    assert_int_equal(c->max_future_s, 0);
    assert_int_equal(c->max_connections_per_ip, 16);
    assert_int_equal(c->request_total_s, 5);
    assert_int_equal(c->login_user_refill_ms, 60000);
    oc_ccfg_free(c);
    refused("{\"insecure_http\":true,\"max_future_s\":-1," TOK "}",
            "$.max_future_s: must be an integer");
    refused(
        "{\"insecure_http\":true,\"limits\":{\"request_timeout_s\":10,\"request_total_s\":9}," TOK
        "}",
        "$.limits.request_total_s: must be at least request_timeout_s");
    refused("{\"insecure_http\":true,\"limits\":{\"max_buffered_mb\":31}," TOK "}",
            "$.limits.max_buffered_mb: must be at least max_evidence_mb");
    refused("{\"insecure_http\":true,\"limits\":{\"max_connections_per_ip\":0}," TOK "}",
            "$.limits.max_connections_per_ip");
    refused("{\"insecure_http\":true,\"limits\":{\"login_user_refill_s\":0}," TOK "}",
            "$.limits.login_user_refill_s");
    refused("{\"tls\":{\"cert_file\":\"c\",\"key_file\":\"k\",\"priorities\":\"\"}," TOK "}",
            "$.tls.priorities: must be a non-empty string");
}

static void other_mistakes(void **state)
{
    (void)state;
    refused("{\"insecure_http\":true,\"listen\":\"8443\"," TOK "}",
            "$.listen: must be \"HOST:PORT\"");
    refused("{\"insecure_http\":true,\"listen\":\"h:99999\"," TOK "}", "$.listen: bad port");
    refused("{\"insecure_http\":true,\"colour\":1," TOK "}", "$: unknown key \"colour\"");
    refused("{\"insecure_http\":true,\"limits\":{\"threads\":0}," TOK "}",
            "$.limits.threads: must be an integer between 1 and 256");
    refused("{\"insecure_http\":true,\"tz_offset_min\":900," TOK "}", "$.tz_offset_min");
    refused("{\"insecure_http\":true,\"insecure_http\":true," TOK "}", "given twice");
}

/* ui, review and retention: defaults, values, mistakes. */
static void people_keys(void **state)
{
    (void)state;
    char err[256];
    const char *def = "{\"insecure_http\":true," TOK "}";
    struct oc_ccfg *c = oc_ccfg_parse(def, strlen(def), "central.json", err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->ui_locale, "zh-CN");
    assert_null(c->ui_city);
    assert_int_equal(c->review_lease_s, 300);
    assert_int_equal(c->n_reasons, 6);
    assert_string_equal(c->reasons[5], "other");
    assert_int_equal(c->evidence_days, 365);
    assert_int_equal(c->records_days, 1095);
    assert_int_equal(c->retention_interval_s, 86400);
    oc_ccfg_free(c);
    const char *set =
        "{\"insecure_http\":true," TOK ",\"ui\":{\"locale\":\"en\",\"city\":\"晋城市\"},"
        "\"review\":{\"lease_s\":60,\"reasons\":[\"blurred\",\"other\"]},"
        "\"retention\":{\"evidence_days\":0,\"records_days\":30,\"interval_s\":60}}";
    c = oc_ccfg_parse(set, strlen(set), "central.json", err, sizeof err);
    assert_non_null(c);
    assert_string_equal(c->ui_locale, "en");
    assert_string_equal(c->ui_city, "晋城市");
    assert_int_equal(c->review_lease_s, 60);
    assert_int_equal(c->n_reasons, 2);
    assert_string_equal(c->reasons[0], "blurred");
    assert_int_equal(c->evidence_days, 0);
    assert_int_equal(c->records_days, 30);
    assert_int_equal(c->retention_interval_s, 60);
    oc_ccfg_free(c);
    refused("{\"insecure_http\":true," TOK ",\"ui\":{\"locale\":\"fr\"}}", "$.ui.locale: must be");
    refused("{\"insecure_http\":true," TOK ",\"ui\":{\"colour\":1}}",
            "$.ui: unknown key \"colour\"");
    refused("{\"insecure_http\":true," TOK ",\"ui\":[]}", "$.ui: must be an object");
    refused("{\"insecure_http\":true," TOK ",\"review\":{\"lease_s\":0}}",
            "$.review.lease_s: must be an integer");
    refused("{\"insecure_http\":true," TOK ",\"review\":{\"reasons\":[]}}",
            "$.review.reasons: must be an array");
    refused("{\"insecure_http\":true," TOK ",\"review\":{\"reasons\":[\"Bad Reason\"]}}", "item 0");
    refused("{\"insecure_http\":true," TOK ",\"review\":{\"reasons\":[\"a\",\"a\"]}}",
            "given twice");
    refused("{\"insecure_http\":true," TOK ",\"retention\":{\"evidence_days\":-1}}",
            "$.retention.evidence_days: must be an integer");
    refused("{\"insecure_http\":true," TOK ",\"retention\":{\"keep\":1}}", "unknown key \"keep\"");
}

/* Days start at the city's midnight: China Standard Time unless told. */
static void city_offset(void **state)
{
    (void)state;
    char err[256];
    const char *unset = "{\"insecure_http\":true," TOK "}";
    const char *utc = "{\"insecure_http\":true,\"tz_offset_min\":0," TOK "}";
    struct oc_ccfg *a = oc_ccfg_parse(unset, strlen(unset), "a", err, sizeof err);
    struct oc_ccfg *b = oc_ccfg_parse(utc, strlen(utc), "b", err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->tz_offset_min, 480);
    assert_int_equal(b->tz_offset_min, 0);
    oc_ccfg_free(a);
    oc_ccfg_free(b);
    refused("{\"insecure_http\":true,\"tz_offset_min\":-721," TOK "}", "$.tz_offset_min");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_required),  cmocka_unit_test(tokens),
        cmocka_unit_test(security_keys), cmocka_unit_test(other_mistakes),
        cmocka_unit_test(people_keys),   cmocka_unit_test(city_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
