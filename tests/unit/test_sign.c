/* Record signatures: the box's key file, the canonical form, signing a
 * record line, central's per-box keys with validity periods, and
 * ordercam-verify's verdict on changed bytes. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "oc_sigcheck.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_sign.h"

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define REC                                                                                        \
    "{\"id\":\"edge-1:cam-1:42\",\"box\":\"edge-1\",\"camera\":\"cam-1\",\"type\":\"red_light\","  \
    "\"code\":\"1625\",\"ts\":1763802038000,\"ts_start\":1763802035000,\"track\":\"e-101\","       \
    "\"class\":\"car\",\"plate\":\"晋E12345\",\"conf\":0.82,\"zone\":null,\"line\":\"stop-e2\","  \
    "\"signal\":\"sig-e\",\"signal_state\":\"red\",\"red_elapsed_ms\":5000,"                       \
    "\"location\":\"凤台街 \\\"东\\\"\",\"road\":\"Fengtai Rd\",\"unit\":null,"                \
    "\"evidence\":{\"file\":\"20251122/edge-1-cam-1-42.jpg\",\"sha256\":\"%s\","                   \
    "\"frames\":[1763802034950,1763802035050]}}"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/oc_sign_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct oc_signer *signer(const char *name)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct oc_signer *s = oc_signer_open(path, true, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

static cJSON *parse(const char *text)
{
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse(text, strlen(text), 1 << 20, 64, &j, NULL), OC_JSON_OK);
    return j;
}

static void key_file(void **state)
{
    (void)state;
    struct oc_signer *a = signer("k1");
    char path[256], err[256], pa[OC_SIGN_PUB_B64], pb[OC_SIGN_PUB_B64];
    snprintf(path, sizeof path, "%s/k1", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* the same key on the next start */
    struct oc_signer *b = signer("k1");
    oc_signer_public(a, pa);
    oc_signer_public(b, pb);
    assert_string_equal(pa, pb);
    assert_int_equal(strlen(pa), 44);
    assert_true(oc_sign_pub_ok(pa));
    oc_signer_free(b);
    /* another file, another key */
    b = signer("k2");
    oc_signer_public(b, pb);
    assert_string_not_equal(pa, pb);
    oc_signer_free(b);
    /* readable by others: refused; missing without create: refused */
    chmod(path, 0644);
    assert_null(oc_signer_open(path, true, err, sizeof err));
    assert_non_null(strstr(err, "chmod 600"));
    snprintf(path, sizeof path, "%s/none", dir);
    assert_null(oc_signer_open(path, false, err, sizeof err));
    oc_signer_free(a);
}

/* The documented canonical form, byte for byte (docs/evidence.md). */
static void canonical_form(void **state)
{
    (void)state;
    char text[4096], buf[OC_SIGN_CANON_MAX];
    snprintf(text, sizeof text, REC, SHA_A);
    cJSON *j = parse(text);
    size_t n = oc_sign_canonical(j, buf, sizeof buf);
    assert_string_equal(buf, "ordercam-sig/1\n"
                             "id=\"edge-1:cam-1:42\"\n"
                             "box=\"edge-1\"\n"
                             "camera=\"cam-1\"\n"
                             "type=\"red_light\"\n"
                             "code=\"1625\"\n"
                             "ts=1763802038000\n"
                             "ts_start=1763802035000\n"
                             "track=\"e-101\"\n"
                             "class=\"car\"\n"
                             "plate=\"晋E12345\"\n"
                             "zone=null\n"
                             "line=\"stop-e2\"\n"
                             "signal=\"sig-e\"\n"
                             "signal_state=\"red\"\n"
                             "red_elapsed_ms=5000\n"
                             "location=\"凤台街 \\\"东\\\"\"\n"
                             "road=\"Fengtai Rd\"\n"
                             "unit=null\n"
                             "sha256=\"" SHA_A "\"\n"
                             "frames=[1763802034950,1763802035050]\n");
    assert_int_equal(n, strlen(buf));
    /* fields outside the form (conf, file, evicted, central's verified) do not count */
    cJSON_ReplaceItemInObject(j, "conf", cJSON_CreateNumber(0.5));
    cJSON_AddTrueToObject(j, "verified");
    char again[OC_SIGN_CANON_MAX];
    oc_sign_canonical(j, again, sizeof again);
    assert_string_equal(buf, again);
    /* a control character is escaped; a string where a number belongs is no form */
    cJSON_ReplaceItemInObject(j, "plate", cJSON_CreateString("a\nb"));
    oc_sign_canonical(j, again, sizeof again);
    assert_non_null(strstr(again, "plate=\"a\\u000ab\"\n"));
    cJSON_ReplaceItemInObject(j, "ts", cJSON_CreateString("1"));
    assert_int_equal(oc_sign_canonical(j, again, sizeof again), 0);
    assert_int_equal(oc_sign_canonical(j, again, 10), 0);
    cJSON_Delete(j);
}

/* One changed field of a signed record: the signature no longer holds. */
static void changed_bytes_refused(void **state)
{
    (void)state;
    struct oc_signer *s = signer("k3");
    char pub[OC_SIGN_PUB_B64], text[4096], out[8192];
    oc_signer_public(s, pub);
    snprintf(text, sizeof text, REC, SHA_A);
    size_t n = oc_sign_record(s, text, strlen(text), out, sizeof out);
    assert_true(n > 0 && out[n - 1] == '\n');
    assert_non_null(strstr(out, ",\"unit\":null,\"sig\":\""));
    assert_non_null(strstr(out, "\",\"evidence\":{")); /* evidence stays last */
    /* deterministic: a resend is the same bytes */
    char again[8192];
    assert_int_equal(oc_sign_record(s, text, strlen(text), again, sizeof again), n);
    assert_memory_equal(out, again, n);
    /* already signed: refused */
    assert_int_equal(oc_sign_record(s, out, n, again, sizeof again), 0);
    cJSON *j = parse(out);
    assert_true(oc_sign_check_record(j, pub));
    static const char *const edits[][2] = {
        {"plate", "晋E12346"}, {"camera", "cam-2"}, {"type", "wrong_way"}, {"box", "edge-2"}};
    for (size_t i = 0; i < 4; i++) {
        cJSON *k = cJSON_Duplicate(j, 1);
        cJSON_ReplaceItemInObject(k, edits[i][0], cJSON_CreateString(edits[i][1]));
        assert_false(oc_sign_check_record(k, pub));
        cJSON_Delete(k);
    }
    cJSON *k = cJSON_Duplicate(j, 1);
    cJSON_ReplaceItemInObject(k, "ts", cJSON_CreateNumber(1763802038001.0));
    assert_false(oc_sign_check_record(k, pub));
    cJSON_Delete(k);
    k = cJSON_Duplicate(j, 1);
    cJSON_ReplaceItemInObject(
        cJSON_GetObjectItem(k, "evidence"), "sha256",
        cJSON_CreateString("1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    assert_false(oc_sign_check_record(k, pub));
    cJSON_Delete(k);
    /* another box's key, no sig, a mangled sig */
    struct oc_signer *other = signer("k4");
    char opub[OC_SIGN_PUB_B64];
    oc_signer_public(other, opub);
    assert_false(oc_sign_check_record(j, opub));
    k = cJSON_Duplicate(j, 1);
    cJSON_DeleteItemFromObject(k, "sig");
    assert_false(oc_sign_check_record(k, pub));
    cJSON_AddStringToObject(k, "sig", "AAAA");
    assert_false(oc_sign_check_record(k, pub));
    cJSON_Delete(k);
    assert_false(oc_sign_pub_ok("AAAA"));
    assert_false(oc_sign_pub_ok(NULL));
    cJSON_Delete(j);
    oc_signer_free(other);
    oc_signer_free(s);
}

static struct oc_sigkeys *keys(const char *json)
{
    cJSON *j = parse(json);
    char err[256];
    struct oc_sigkeys *k = oc_sigkeys_parse(j, err, sizeof err);
    cJSON_Delete(j);
    if (!k)
        fail_msg("%s", err);
    return k;
}

static void refused_cfg(const char *json, const char *want)
{
    cJSON *j = parse(json);
    char err[256];
    assert_null(oc_sigkeys_parse(j, err, sizeof err));
    cJSON_Delete(j);
    if (!strstr(err, want))
        fail_msg("\"%s\" lacks \"%s\"", err, want);
}

/* Central: a box with keys must sign; a rotated key verifies only within
 * its period (by the record's ts); without keys a box is accepted unless
 * signatures are required. */
static void central_keys_and_periods(void **state)
{
    (void)state;
    struct oc_signer *old = signer("k5"), *cur = signer("k6");
    char po[OC_SIGN_PUB_B64], pc[OC_SIGN_PUB_B64], cfg[1024], text[4096], out[8192], why[256];
    oc_signer_public(old, po);
    oc_signer_public(cur, pc);
    /* old until 2025-11-22T09:00:38Z (= 1763802038000), current from then */
    snprintf(cfg, sizeof cfg,
             "{\"box_keys\":{\"edge-1\":[{\"key\":\"%s\",\"until\":\"2025-11-22T09:00:38Z\"},"
             "{\"key\":\"%s\",\"from\":\"2025-11-22T09:00:38Z\",\"until\":null}]}}",
             po, pc);
    struct oc_sigkeys *k = keys(cfg);
    assert_int_equal(oc_sigkeys_count(k, "edge-1"), 2);
    assert_int_equal(oc_sigkeys_count(k, "edge-2"), 0);
    snprintf(text, sizeof text, REC, SHA_A); /* ts 1763802038000: the current key's period */
    oc_sign_record(cur, text, strlen(text), out, sizeof out);
    cJSON *j = parse(out);
    assert_int_equal(oc_sigcheck_record(k, "edge-1", j, why, sizeof why), OC_SIGCHECK_VERIFIED);
    cJSON_Delete(j);
    /* signed with the old key after its period: refused */
    oc_sign_record(old, text, strlen(text), out, sizeof out);
    j = parse(out);
    assert_int_equal(oc_sigcheck_record(k, "edge-1", j, why, sizeof why), OC_SIGCHECK_REFUSED);
    assert_non_null(strstr(why, "does not verify"));
    cJSON_Delete(j);
    /* the old key 1 ms earlier: inside its period */
    char early[4096];
    snprintf(early, sizeof early, "%s", text);
    char *p = strstr(early, "\"ts\":1763802038000");
    memcpy(p, "\"ts\":1763802037999", 18);
    oc_sign_record(old, early, strlen(early), out, sizeof out);
    j = parse(out);
    assert_int_equal(oc_sigcheck_record(k, "edge-1", j, why, sizeof why), OC_SIGCHECK_VERIFIED);
    cJSON_Delete(j);
    /* the current key before its period */
    oc_sign_record(cur, early, strlen(early), out, sizeof out);
    j = parse(out);
    assert_int_equal(oc_sigcheck_record(k, "edge-1", j, why, sizeof why), OC_SIGCHECK_REFUSED);
    cJSON_Delete(j);
    /* unsigned from a box with keys: refused; from one without: accepted */
    j = parse(text);
    assert_int_equal(oc_sigcheck_record(k, "edge-1", j, why, sizeof why), OC_SIGCHECK_REFUSED);
    assert_non_null(strstr(why, "no \"sig\""));
    assert_int_equal(oc_sigcheck_record(k, "edge-2", j, why, sizeof why), OC_SIGCHECK_UNSIGNED);
    oc_sigkeys_free(k);
    /* ... unless signatures are required */
    k = keys("{\"require_signatures\":true}");
    assert_int_equal(oc_sigcheck_record(k, "edge-2", j, why, sizeof why), OC_SIGCHECK_REFUSED);
    oc_sigkeys_free(k);
    k = keys("{}");
    assert_int_equal(oc_sigcheck_record(k, "edge-1", j, why, sizeof why), OC_SIGCHECK_UNSIGNED);
    oc_sigkeys_free(k);
    cJSON_Delete(j);
    /* config errors */
    refused_cfg("{\"box_keys\":{\"edge-1\":[{\"key\":\"AAAA\"}]}}", "$.box_keys.edge-1[0].key");
    snprintf(cfg, sizeof cfg, "{\"box_keys\":{\"edge-1\":[{\"key\":\"%s\",\"from\":\"2025\"}]}}",
             pc);
    refused_cfg(cfg, "YYYY-MM-DDTHH:MM:SSZ");
    snprintf(cfg, sizeof cfg,
             "{\"box_keys\":{\"edge-1\":[{\"key\":\"%s\",\"from\":\"2026-01-01T00:00:00Z\","
             "\"until\":\"2025-01-01T00:00:00Z\"}]}}",
             pc);
    refused_cfg(cfg, "before");
    snprintf(cfg, sizeof cfg, "{\"box_keys\":{\"edge-1\":[{\"key\":\"%s\",\"x\":1}]}}", pc);
    refused_cfg(cfg, "unknown key \"x\"");
    refused_cfg("{\"box_keys\":{\"edge-1\":[]}}", "1-16 keys");
    refused_cfg("{\"box_keys\":[]}", "$.box_keys");
    refused_cfg("{\"require_signatures\":1}", "$.require_signatures");
    oc_signer_free(old);
    oc_signer_free(cur);
}

static int run(const char *rec, const char *img, const char *key)
{
    const char *bin = getenv("OC_BIN");
    assert_non_null(bin);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s/ordercam-verify %s %s %s >/dev/null", bin, rec, img, key);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* ordercam-verify with three files: one changed byte of the image, the
 * plate, the time or the camera makes it refuse. */
static void verify_program(void **state)
{
    (void)state;
    struct oc_signer *s = signer("k7");
    char pub[OC_SIGN_PUB_B64], text[4096], out[8192], hex[65], path[5][256];
    oc_signer_public(s, pub);
    unsigned char img[3000], md[32];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (unsigned char)(i * 7);
    SHA256(img, sizeof img, md);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(text, sizeof text, REC, hex);
    size_t n = oc_sign_record(s, text, strlen(text), out, sizeof out);
    static const char *const names[] = {"rec.json", "img.jpg", "key.txt", "rec2.json", "img2.jpg"};
    for (int i = 0; i < 5; i++)
        snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
    write_file(path[0], out, n);
    write_file(path[1], img, sizeof img);
    char line[128];
    snprintf(line, sizeof line, "ed25519 %s edge-1\n", pub);
    write_file(path[2], line, strlen(line));
    assert_int_equal(run(path[0], path[1], path[2]), 0);
    assert_int_equal(run(path[0], path[1], pub), 0); /* the key given inline */
    /* one byte of the image */
    img[1500] ^= 1;
    write_file(path[4], img, sizeof img);
    assert_int_equal(run(path[0], path[4], path[2]), 1);
    /* one byte of the plate, the time, the camera */
    static const char *const from[] = {"晋E12345", "1763802038000", "\"cam-1\""};
    static const char *const to[] = {"晋E12346", "1763802038001", "\"cam-2\""};
    for (int i = 0; i < 3; i++) {
        char changed[8192];
        snprintf(changed, sizeof changed, "%s", out);
        char *p = strstr(changed, from[i]);
        assert_non_null(p);
        memcpy(p, to[i], strlen(to[i]));
        write_file(path[3], changed, strlen(changed));
        assert_int_equal(run(path[3], path[1], path[2]), 1);
    }
    /* another key; unreadable inputs */
    struct oc_signer *o = signer("k8");
    char opub[OC_SIGN_PUB_B64];
    oc_signer_public(o, opub);
    assert_int_equal(run(path[0], path[1], opub), 1);
    assert_int_equal(run(path[0], "/nonexistent", path[2]), 2);
    assert_int_equal(run(path[0], path[1], "/nonexistent"), 2);
    oc_signer_free(o);
    oc_signer_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_file),
        cmocka_unit_test(canonical_form),
        cmocka_unit_test(changed_bytes_refused),
        cmocka_unit_test(central_keys_and_periods),
        cmocka_unit_test(verify_program),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
