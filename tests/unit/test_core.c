/* The small modules: text checks, geometry, signal history, record format,
 * tallies, event-log reading. */
#include "oc_test.h"

#include "ordercam/oc_io.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_geom.h"
#include "ordercam/oc_log.h"
#include "ordercam/oc_record.h"
#include "ordercam/oc_signal.h"
#include "ordercam/oc_tally.h"
#include "ordercam/oc_text.h"

static void text_comments(void **state)
{
    (void)state;
    char buf[] = "{\"a\":1, // x\n\"b\":\"//\" /* c\n */}";
    assert_int_equal(oc_text_strip_comments(buf, strlen(buf)), OC_OK);
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "b")->valuestring, "//");
    cJSON_Delete(j);
    assert_non_null(strchr(buf, '\n')); /* line numbers kept */
}

static void text_base64(void **state)
{
    (void)state;
    unsigned char out[64];
    size_t n;
    assert_int_equal(oc_text_b64_decode("aGVsbG8=", 8, out, &n), OC_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(oc_text_b64_decode("aGVsbG8", 7, out, &n), OC_OK);
    assert_int_equal(n, 5);
    assert_int_equal(oc_text_b64_decode("aGV*bG8=", 8, out, &n), OC_EPARSE);
    assert_int_equal(oc_text_b64_decode("a", 1, out, &n), OC_EPARSE);
}

static void text_json_quote(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(oc_text_json_quote(out, sizeof out, "a\"b\\c\n\x01"), 17);
    assert_string_equal(out, "\"a\\\"b\\\\c\\n\\u0001\"");
    assert_int_equal(oc_text_json_quote(out, 4, "abcdef"), 4);
}

static void geom_inside_boundary(void **state)
{
    (void)state;
    struct oc_pt sq[] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
    struct oc_poly p;
    oc_geom_poly_init(&p, sq, 4);
    assert_true(oc_geom_inside(&p, (struct oc_pt){5, 5}));
    assert_true(oc_geom_inside(&p, (struct oc_pt){10, 5})); /* edge */
    assert_true(oc_geom_inside(&p, (struct oc_pt){0, 0}));  /* corner */
    assert_false(oc_geom_inside(&p, (struct oc_pt){10.001, 5}));
    /* even-odd: the hole of a self-overlapping star is outside */
    struct oc_pt star[] = {{50, 0}, {79, 90}, {2, 35}, {98, 35}, {21, 90}};
    oc_geom_poly_init(&p, star, 5);
    assert_false(oc_geom_inside(&p, (struct oc_pt){50, 50}));
    assert_true(oc_geom_inside(&p, (struct oc_pt){50, 10}));
}

static void geom_cross(void **state)
{
    (void)state;
    double f;
    struct oc_pt p = {100, 0}, q = {100, 200};
    assert_true(oc_geom_cross((struct oc_pt){90, 50}, (struct oc_pt){110, 50}, p, q, &f));
    assert_true(f == 0.5);
    assert_true(oc_geom_cross((struct oc_pt){90, 50}, (struct oc_pt){100, 50}, p, q, &f));
    assert_true(f == 1.0); /* touching counts */
    assert_false(oc_geom_cross((struct oc_pt){90, 250}, (struct oc_pt){110, 250}, p, q, &f));
    assert_false(oc_geom_cross((struct oc_pt){90, 50}, (struct oc_pt){99, 50}, p, q, &f));
    assert_true(oc_geom_cross((struct oc_pt){100, -10}, (struct oc_pt){100, 10}, p, q, &f));
    assert_true(f == 0.5); /* collinear: the first shared point */
}

static void signal_history(void **state)
{
    (void)state;
    struct oc_signal s;
    int64_t onset = -1;
    oc_signal_init(&s, 120000);
    assert_int_equal(oc_signal_at(&s, 0, &onset), OC_SIG_UNKNOWN);
    oc_signal_add(&s, 1000, OC_SIG_GREEN);
    oc_signal_add(&s, 2000, OC_SIG_GREEN);
    oc_signal_add(&s, 3000, OC_SIG_RED);
    oc_signal_add(&s, 4000, OC_SIG_RED);
    assert_int_equal(oc_signal_at(&s, 999, &onset), OC_SIG_UNKNOWN);
    assert_int_equal(oc_signal_at(&s, 2999, &onset), OC_SIG_GREEN);
    assert_int_equal(onset, 1000); /* the green run's first message */
    assert_int_equal(oc_signal_at(&s, 3500, &onset), OC_SIG_RED);
    assert_int_equal(onset, 3000);
    assert_int_equal(oc_signal_at(&s, 124000, &onset), OC_SIG_RED);
    assert_int_equal(oc_signal_at(&s, 124001, &onset), OC_SIG_UNKNOWN);
    assert_int_equal(oc_signal_add(&s, 3999, OC_SIG_GREEN), OC_EINVAL);
    /* bounded: after many changes the oldest are forgotten */
    for (int i = 0; i < 2 * OC_SIGNAL_RUNS; i++)
        oc_signal_add(&s, 5000 + i * 1000, i % 2 ? OC_SIG_RED : OC_SIG_GREEN);
    assert_int_equal(oc_signal_at(&s, 3500, &onset), OC_SIG_UNKNOWN);
    assert_int_equal(oc_signal_at(&s, 5000 + 127 * 1000, &onset), OC_SIG_RED);
}

static void record_format(void **state)
{
    (void)state;
    const char *json =
        "{\"box_id\":\"edge-1\",\"cameras\":[{\"id\":\"cam-1\",\"width\":100,\"height\":100,"
        "\"location\":\"Fengtai \\\"Rd\\\"\",\"road\":\"凤台街\"}]}";
    char err[256];
    struct oc_config *cfg = oc_config_parse(json, strlen(json), "t", err, sizeof err);
    assert_non_null(cfg);
    struct oc_violation v = {.camera = 0,
                             .camera_id = "cam-1",
                             .vtype = OC_V_RED_LIGHT,
                             .type = "red_light",
                             .code = "1625",
                             .seq = 42,
                             .ts = 1763802012345,
                             .ts_start = 1763802011900,
                             .track = "t\"17",
                             .cls = "car",
                             .plate = "晋E12345",
                             .conf = 0.91,
                             .line = "stop-e2",
                             .signal = "sig",
                             .location = cfg->cameras[0].location,
                             .road = cfg->cameras[0].road,
                             .signal_state = OC_SIG_RED,
                             .red_elapsed_ms = 3400};
    char buf[OC_RECORD_MAX];
    size_t n = oc_record_format(cfg, &v, NULL, buf, sizeof buf);
    assert_true(n > 0 && buf[n - 1] == '\n');
    assert_string_equal(
        buf,
        "{\"id\":\"edge-1:cam-1:42\",\"box\":\"edge-1\",\"camera\":\"cam-1\",\"type\":\"red_"
        "light\","
        "\"code\":\"1625\",\"ts\":1763802012345,\"ts_start\":1763802011900,\"track\":\"t\\\"17\","
        "\"class\":\"car\",\"plate\":\"晋E12345\",\"conf\":0.91,\"zone\":null,\"line\":\"stop-e2\","
        "\"signal\":\"sig\",\"signal_state\":\"red\",\"red_elapsed_ms\":3400,\"location\":"
        "\"Fengtai \\\"Rd\\\"\",\"road\":\"凤台街\",\"unit\":null,"
        "\"evidence\":null}\n");
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    cJSON_Delete(j);
    int64_t frames[] = {1, 2, 3};
    struct oc_record_evidence ev = {"evidence/x.jpg", "ab12", frames, 3, 0, NULL};
    n = oc_record_format(cfg, &v, &ev, buf, sizeof buf);
    assert_non_null(strstr(
        buf,
        "\"evidence\":{\"file\":\"evidence/x.jpg\",\"sha256\":\"ab12\",\"frames\":[1,2,3]}}\n"));
    /* setting evidence afterwards gives the same bytes as formatting with it */
    char later[OC_RECORD_MAX], direct[OC_RECORD_MAX];
    size_t nd = oc_record_format(cfg, &v, &ev, direct, sizeof direct);
    size_t nn = oc_record_format(cfg, &v, NULL, later, sizeof later);
    assert_int_equal(oc_record_set_evidence(later, nn, &ev, later, sizeof later), nd);
    assert_memory_equal(later, direct, nd);
    /* and once more (an image replaced), without the newline, evicted */
    ev.evicted = 1;
    size_t ne = oc_record_set_evidence(later, nd - 1, &ev, later, sizeof later);
    assert_true(ne > nd);
    assert_non_null(strstr(later, "\"frames\":[1,2,3],\"evicted\":true}}\n"));
    assert_int_equal(oc_record_set_evidence("{\"id\":1}", 8, &ev, later, sizeof later), 0);
    /* the public variant's digest after the frames (docs/outputs.md) */
    static const char pub[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    ev.public_sha256 = pub;
    oc_record_format(cfg, &v, &ev, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"frames\":[1,2,3],\"public_sha256\":\"0123456789abcdef"));
    ev.public_sha256 = NULL;
    assert_int_equal(oc_record_format(cfg, &v, NULL, buf, 40), 0);
    /* another state has no red age; no signal deciding: both null */
    v.signal_state = OC_SIG_GREEN;
    oc_record_format(cfg, &v, NULL, buf, sizeof buf);
    assert_non_null(strstr(buf, ",\"signal_state\":\"green\",\"red_elapsed_ms\":null,"));
    v.signal = NULL;
    v.signal_state = OC_SIG_RED;
    oc_record_format(cfg, &v, NULL, buf, sizeof buf);
    assert_non_null(strstr(buf, ",\"signal\":null,\"signal_state\":null,\"red_elapsed_ms\":null,"));
    oc_config_free(cfg);
}

static void tally_bounded(void **state)
{
    (void)state;
    struct oc_tally *t = oc_tally_new(2);
    assert_int_equal(oc_tally_add(t, 0, 3, 60000), OC_OK);
    assert_int_equal(oc_tally_add(t, 0, 3, 60000), OC_OK);
    assert_int_equal(oc_tally_add(t, 1, 3, 0), OC_OK);
    assert_int_equal(oc_tally_add(t, 2, 3, 0), OC_EFULL);
    size_t n;
    const struct oc_tally_row *rows = oc_tally_rows(t, &n);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].bucket, 0);
    assert_int_equal(rows[1].count, 2);
    assert_int_equal(oc_tally_add(t, 0, 3, 60000), OC_OK); /* still found after sorting */
    rows = oc_tally_rows(t, &n);
    assert_int_equal(rows[1].count, 3);
    oc_tally_free(t);
    /* the bucket rule: floor to the interval, on both sides of an edge */
    assert_int_equal(oc_tally_bucket(119999, 60000), 60000);
    assert_int_equal(oc_tally_bucket(120000, 60000), 120000);
    assert_int_equal(oc_tally_bucket(0, 60000), 0);
    assert_int_equal(oc_tally_bucket(-1, 60000), -60000);
}

static const char LOG[] =
    "{\"ts\":1,\"topic\":\"ordercam/cameras/c/detections\",\"payload\":{\"ts\":1,\"objects\":[]}}\n"
    "\n"
    "not json\n"
    "{\"ts\":2,\"topic\":\"x\",\"payload\":{},\"payload_b64\":\"\"}\n"
    "{\"ts\":3,\"topic\":\"ordercam/cameras/c/frames/3\",\"payload_file\":\"../etc/passwd\"}\n"
    "{\"ts\":4,\"topic\":\"ordercam/cameras/c/frames/4\",\"payload_file\":\"frames/4.jpg\"}\r\n"
    "{\"ts\":5,\"topic\":\"t\",\"payload_b64\":\"aGk=\"}";

static void read_log(const char *path)
{
    struct oc_log *log = oc_log_open(path);
    assert_non_null(log);
    struct oc_log_msg m;
    const char *why;
    assert_int_equal(oc_log_next(log, &m, &why), OC_OK);
    assert_int_equal(m.ts, 1);
    assert_int_equal(m.kind, OC_LOG_JSON);
    assert_true(cJSON_IsObject(m.json));
    assert_int_equal(oc_log_next(log, &m, &why), OC_EPARSE);
    assert_int_equal(m.line, 3);
    assert_int_equal(oc_log_next(log, &m, &why), OC_EPARSE);
    assert_non_null(strstr(why, "exactly one"));
    assert_int_equal(oc_log_next(log, &m, &why), OC_EPARSE);
    assert_int_equal(oc_log_next(log, &m, &why), OC_OK);
    assert_int_equal(m.kind, OC_LOG_FILE);
    assert_string_equal(m.text, "frames/4.jpg");
    assert_int_equal(oc_log_next(log, &m, &why), OC_OK);
    assert_int_equal(m.kind, OC_LOG_B64);
    assert_int_equal(m.line, 7);
    assert_int_equal(oc_log_next(log, &m, &why), OC_ENOTFOUND);
    oc_log_close(log);
}

static void log_plain_and_gzip(void **state)
{
    (void)state;
    char plain[] = "/tmp/oc_test_log_XXXXXX";
    int fd = mkstemp(plain);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, LOG, sizeof LOG - 1), (ssize_t)(sizeof LOG - 1));
    close(fd);
    read_log(plain);
    char gz[64];
    snprintf(gz, sizeof gz, "%s.gz", plain);
    gzFile g = gzopen(gz, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, LOG, sizeof LOG - 1), (int)(sizeof LOG - 1));
    gzclose(g);
    read_log(gz);
    unlink(plain);
    unlink(gz);
    assert_null(oc_log_open("/nonexistent.jsonl"));
}

/* Whole-file reads are bounded and say why they fail. */
static void io_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/oc_io_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(oc_io_write_all(fd, "0123456789", 10), 0);
    close(fd);
    size_t len = 0;
    unsigned char *b = oc_io_read_file(path, 10, &len);
    assert_non_null(b);
    assert_int_equal(len, 10);
    assert_memory_equal(b, "0123456789", 10);
    free(b);
    errno = 0;
    assert_null(oc_io_read_file(path, 9, &len));
    assert_int_equal(errno, EFBIG);
    unlink(path);
    assert_null(oc_io_read_file(path, 10, &len));
    assert_int_equal(errno, ENOENT);
    assert_null(oc_io_read_file("/tmp", 10, &len)); /* not a regular file */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_comments),      cmocka_unit_test(text_base64),
        cmocka_unit_test(text_json_quote),    cmocka_unit_test(geom_inside_boundary),
        cmocka_unit_test(geom_cross),         cmocka_unit_test(signal_history),
        cmocka_unit_test(record_format),      cmocka_unit_test(tally_bounded),
        cmocka_unit_test(log_plain_and_gzip), cmocka_unit_test(io_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
