/* Format adapters (docs/inputs.md): the dispatcher, config keys, topic
 * filters, times, and each format decoded field by field from payloads
 * written after the published schemas. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_adapt.h"

#define MAXD 16

struct cap {
    int n_native, n_det, n_frames;
    int det_cam[MAXD];
    int64_t det_ts[MAXD];
    size_t det_n[MAXD];
    struct {
        char id[72], cls[72], plate[40];
        double x, y, w, h, conf;
        int helmet;
    } obj[MAXD][8];
    uint64_t drops[OC_C__COUNT];
    int drop_fmt;
};

static void c_native(void *ud, const char *t, size_t tl, const void *p, size_t l, const cJSON *j)
{
    (void)t, (void)tl, (void)p, (void)l, (void)j;
    ((struct cap *)ud)->n_native++;
}

static void c_det(void *ud, int cam, const struct oc_detections *d)
{
    struct cap *c = ud;
    if (c->n_det >= MAXD)
        return;
    int k = c->n_det++;
    c->det_cam[k] = cam;
    c->det_ts[k] = d->ts;
    c->det_n[k] = d->n_objs;
    for (size_t i = 0; i < d->n_objs && i < 8; i++) {
        snprintf(c->obj[k][i].id, sizeof c->obj[k][i].id, "%s", d->objs[i].id);
        snprintf(c->obj[k][i].cls, sizeof c->obj[k][i].cls, "%s", d->objs[i].cls);
        snprintf(c->obj[k][i].plate, sizeof c->obj[k][i].plate, "%s",
                 d->objs[i].plate ? d->objs[i].plate : "");
        c->obj[k][i].x = d->objs[i].x;
        c->obj[k][i].y = d->objs[i].y;
        c->obj[k][i].w = d->objs[i].w;
        c->obj[k][i].h = d->objs[i].h;
        c->obj[k][i].conf = d->objs[i].conf;
        c->obj[k][i].helmet = d->objs[i].helmet;
    }
}

static void c_drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    struct cap *c = ud;
    (void)cam;
    c->drops[why]++;
    c->drop_fmt = (int)f;
}

static const struct oc_adapt_sink sink = {.native = c_native, .detections = c_det, .drop = c_drop};

static struct oc_config *cfg_of(const char *cams)
{
    char buf[4096], err[512];
    snprintf(buf, sizeof buf, "{\"box_id\":\"b\",\"cameras\":[%s]}", cams);
    struct oc_config *cfg = oc_config_parse(buf, strlen(buf), "edge.json", err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    return cfg;
}

static void refused(const char *cams, const char *expect)
{
    char buf[4096], err[512];
    snprintf(buf, sizeof buf, "{\"box_id\":\"b\",\"cameras\":[%s]}", cams);
    struct oc_config *cfg = oc_config_parse(buf, strlen(buf), "edge.json", err, sizeof err);
    if (cfg) {
        oc_config_free(cfg);
        fail_msg("accepted: %s", cams);
    }
    if (!strstr(err, expect))
        fail_msg("message \"%s\" lacks \"%s\"", err, expect);
}

static void test_format_names(void **state)
{
    (void)state;
    for (int f = 0; f < OC_FORMAT__COUNT; f++) {
        const char *n = oc_format_name((enum oc_format)f);
        assert_int_equal(oc_format_lookup(n, strlen(n)), f);
    }
    assert_int_equal(oc_format_lookup("DeepStream", 10), -1);
    assert_string_equal(oc_format_name(OC_FORMAT_DEEPSTREAM_MINIMAL), "deepstream-minimal");
}

static void test_topic_match(void **state)
{
    (void)state;
#define M(f, t) oc_adapt_topic_match(f, t, strlen(t))
    assert_true(M("a/b", "a/b"));
    assert_false(M("a/b", "a/bc"));
    assert_false(M("a/b", "a/b/c"));
    assert_true(M("a/+", "a/x"));
    assert_false(M("a/+", "a/x/y"));
    assert_true(M("a/#", "a"));
    assert_true(M("a/#", "a/x/y"));
    assert_true(M("#", "anything/at/all"));
    assert_true(M("frigate/+/+/snapshot", "frigate/cam1/car/snapshot"));
    assert_false(M("frigate/+/+/snapshot", "frigate/cam1/snapshot"));
#undef M
}

static void test_iso8601(void **state)
{
    (void)state;
    int64_t ms;
#define P(s) oc_adapt_parse_iso8601(s, strlen(s), &ms)
    assert_true(P("2018-04-11T04:59:59.828Z"));
    assert_int_equal(ms, 1523422799828LL);
    assert_true(P("1970-01-01T00:00:00Z"));
    assert_int_equal(ms, 0);
    assert_true(P("2025-11-22T09:00:00.05+08:00"));
    assert_int_equal(ms, 1763773200050LL);
    assert_true(P("2008-10-10T12:24:57.321")); /* ONVIF's example: no zone, UTC */
    assert_int_equal(ms, 1223641497321LL);
    assert_true(P("2024-02-29T00:00:00.123456789Z"));
    assert_false(P("2023-02-29T00:00:00Z"));
    assert_false(P("2018-13-11T04:59:59Z"));
    assert_false(P("2018-04-11 04:59"));
    assert_false(P("2018-04-11T04:59:59.Z"));
    assert_false(P("2018-04-11T04:59:59Zjunk"));
    assert_false(P("1969-12-31T23:59:59Z"));
    assert_false(P("2100-01-01T00:00:00.001Z"));
#undef P
}

#define CAM(id, extra) "{\"id\":\"" id "\",\"width\":1920,\"height\":1080" extra "}"

static void test_config_keys(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_of(CAM("a", "") "," CAM("b", ",\"format\":\"deepstream\"") "," CAM(
        "c",
        ",\"format\":\"onvif\",\"source\":\"gate\"") "," CAM("d",
                                                             ",\"format\":\"deepstream-minimal\","
                                                             "\"topics\":[\"ds/+/x\"]"));
    assert_int_equal(cfg->cameras[0].format, OC_FORMAT_ORDERCAM);
    assert_int_equal(cfg->cameras[0].n_topics, 0);
    assert_string_equal(cfg->cameras[0].source, "a");
    assert_int_equal(cfg->cameras[1].format, OC_FORMAT_DEEPSTREAM);
    assert_int_equal(cfg->cameras[1].n_topics, 1);
    assert_string_equal(cfg->cameras[1].topics[0], "deepstream/#");
    assert_string_equal(cfg->cameras[2].topics[0], "onvif/gate");
    assert_string_equal(cfg->cameras[3].topics[0], "ds/+/x");
    oc_config_free(cfg);
    refused(CAM("a", ",\"format\":\"rtsp\""), "$.cameras[0].format: must be one of");
    refused(CAM("a", ",\"format\":7"), "$.cameras[0].format: must be a string");
    refused(CAM("a", ",\"topics\":[\"x\"]"), "only a camera with a foreign format");
    refused(CAM("a", ",\"format\":\"onvif\",\"topics\":[]"), "1-16 MQTT topic filters");
    refused(CAM("a", ",\"format\":\"onvif\",\"topics\":[\"a/#/b\"]"), "$.cameras[0].topics[0]");
    refused(CAM("a", ",\"format\":\"onvif\",\"topics\":[\"a/b+\"]"), "topics[0]");
    refused(CAM("a", ",\"format\":\"onvif\",\"topics\":[3]"), "topics[0]");
    refused(CAM("a", ",\"format\":\"onvif\",\"source\":\"x/y\""), "$.cameras[0].source");
    refused(CAM("a", ",\"format\":\"onvif\",\"topics\":[\"m\"]") "," CAM(
                "b", ",\"format\":\"onvif\",\"topics\":[\"m\"]"),
            "also camera \"a\"'s");
    refused(
        CAM("a", ",\"format\":\"deepstream\"") "," CAM("b", ",\"format\":\"deepstream-minimal\""),
        "also camera \"a\"'s");
    refused(CAM("a", ",\"format\":\"deepstream\",\"source\":\"s\"") "," CAM(
                "b", ",\"format\":\"deepstream\",\"source\":\"s\""),
            "also camera");
    /* two DeepStream cameras on one broker topic, told apart by sensor id */
    cfg = cfg_of(CAM("a", ",\"format\":\"deepstream\"") "," CAM("b", ",\"format\":\"deepstream\""));
    oc_config_free(cfg);
}

static void test_native_passthrough(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_of(CAM("a", "") "," CAM("b", ",\"format\":\"deepstream\""));
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    assert_non_null(a);
    const char *t = "ordercam/cameras/a/detections";
    assert_int_equal(oc_adapt_feed(a, t, strlen(t), "{}", 2, 0), -2);
    assert_int_equal(c.n_native, 1);
    t = "elsewhere/x";
    assert_int_equal(oc_adapt_feed(a, t, strlen(t), "{}", 2, 0), -1);
    assert_int_equal(c.drops[OC_C_DROP_BAD_TOPIC], 1);
    assert_int_equal(oc_adapt_counter(a, OC_FORMAT_ORDERCAM, OC_C_DROP_BAD_TOPIC), 1);
    size_t n;
    const char *const *f = oc_adapt_filters(a, &n);
    assert_int_equal(n, 1);
    assert_string_equal(f[0], "deepstream/#");
    assert_true(oc_adapt_uses(a, OC_FORMAT_DEEPSTREAM));
    assert_false(oc_adapt_uses(a, OC_FORMAT_ONVIF));
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* ---------------- DeepStream full ---------------- */

/* A full-schema message after the nvmsgconv documentation's example. */
static const char *ds_msg(char *buf, size_t cap, const char *sensor, const char *ts,
                          const char *object)
{
    snprintf(buf, cap,
             "{\"messageid\":\"84a3a0ad-7eb8-49a2-9aa7-104ded6764d0\",\"mdsversion\":\"1.0\","
             "\"@timestamp\":\"%s\",\"place\":{\"id\":\"1\",\"name\":\"XYZ\",\"type\":\"garage\"},"
             "\"sensor\":{\"id\":\"%s\",\"type\":\"Camera\",\"description\":\"Entrance\","
             "\"location\":{\"lat\":45.29,\"lon\":-121.1,\"alt\":48.2},"
             "\"coordinate\":{\"x\":5.2,\"y\":10.1,\"z\":11.2}},"
             "\"analyticsModule\":{\"id\":\"XYZ\",\"description\":\"Vehicle Detection\","
             "\"source\":\"OpenALR\",\"version\":\"1.0\"},"
             "\"object\":%s,"
             "\"event\":{\"id\":\"4f2f1ab6-1cbc-4b1e-8ac2-2a5e6d7c1d2e\",\"type\":\"moving\"},"
             "\"videoPath\":\"\"}",
             ts, sensor, object);
    return buf;
}

#define VEH(id, l, t, r, b, type, lic)                                                             \
    "{\"id\":\"" id "\",\"speed\":0.0,\"direction\":0.0,\"orientation\":0.0,"                      \
    "\"vehicle\":{\"type\":\"" type "\",\"make\":\"Bugatti\",\"model\":\"M\",\"color\":\"blue\","  \
    "\"licenseState\":\"CA\",\"license\":\"" lic "\",\"confidence\":0.82},"                        \
    "\"bbox\":{\"topleftx\":" #l ",\"toplefty\":" #t ",\"bottomrightx\":" #r                       \
    ",\"bottomrighty\":" #b "},\"location\":{\"lat\":0,\"lon\":0,\"alt\":0},"                      \
    "\"coordinate\":{\"x\":0,\"y\":0,\"z\":0}}"

static void feed_ds(struct oc_adapt *a, const char *topic, const char *sensor, const char *ts,
                    const char *obj, int64_t rx)
{
    char buf[4096];
    ds_msg(buf, sizeof buf, sensor, ts, obj);
    oc_adapt_feed(a, topic, strlen(topic), buf, strlen(buf), rx);
}

static void test_deepstream_full(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_of(CAM("a", ",\"format\":\"deepstream\"") "," CAM(
        "b", ",\"format\":\"deepstream\",\"source\":\"CAMERA_ID\""));
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    const char *T = "deepstream/out";
    const char *ts1 = "2018-04-11T04:59:59.828Z", *ts2 = "2018-04-11T04:59:59.862Z";
    feed_ds(a, T, "CAMERA_ID", ts1, VEH("17", 100, 200, 300, 350, "sedan", "XX1234"), 0);
    feed_ds(a, T, "CAMERA_ID", ts1,
            "{\"id\":\"18\",\"person\":{\"age\":45,\"gender\":\"male\",\"hair\":\"black\","
            "\"cap\":\"helmet\",\"apparel\":\"formal\",\"confidence\":-0.1},"
            "\"bbox\":{\"topleftx\":10,\"toplefty\":20,\"bottomrightx\":30,\"bottomrighty\":80}}",
            5);
    assert_int_equal(c.n_det, 0); /* the frame may still grow */
    feed_ds(a, T, "CAMERA_ID", ts2, VEH("17", 104, 200, 304, 350, "bus", ""), 33);
    assert_int_equal(c.n_det, 1);
    assert_int_equal(c.det_cam[0], 1);
    assert_int_equal(c.det_ts[0], 1523422799828LL);
    assert_int_equal(c.det_n[0], 2);
    assert_string_equal(c.obj[0][0].id, "17");
    assert_string_equal(c.obj[0][0].cls, "car"); /* sedan */
    assert_string_equal(c.obj[0][0].plate, "XX1234");
    assert_true(c.obj[0][0].x == 100 && c.obj[0][0].y == 200);
    assert_true(c.obj[0][0].w == 200 && c.obj[0][0].h == 150);
    assert_true(c.obj[0][0].conf == 0.82);
    assert_string_equal(c.obj[0][1].cls, "person");
    assert_int_equal(c.obj[0][1].helmet, OC_HELMET_YES);
    assert_true(c.obj[0][1].conf == 1.0); /* -0.1: none */
    /* a straggler of the frame already passed on: counted, not applied */
    feed_ds(a, T, "CAMERA_ID", ts1, VEH("19", 1, 2, 3, 4, "sedan", ""), 40);
    assert_int_equal(c.drops[OC_C_DROP_LATE], 1);
    /* the bound: 200 ms after its first message the frame goes on */
    oc_adapt_tick(a, 33 + OC_ADAPT_DS_WAIT_MS);
    assert_int_equal(c.n_det, 1);
    oc_adapt_tick(a, 34 + OC_ADAPT_DS_WAIT_MS);
    assert_int_equal(c.n_det, 2);
    assert_string_equal(c.obj[1][0].cls, "bus");
    assert_string_equal(c.obj[1][0].plate, "");
    feed_ds(a, T, "CAMERA_ID", ts2, VEH("20", 1, 2, 3, 4, "sedan", ""), 300);
    assert_int_equal(c.drops[OC_C_DROP_LATE], 2);
    /* the other camera by its id as sensor id; unknown sensors counted */
    feed_ds(a, T, "a", ts1, VEH("1", 1, 2, 3, 4, "truck", ""), 301);
    feed_ds(a, T, "nobody", ts1, VEH("1", 1, 2, 3, 4, "truck", ""), 302);
    assert_int_equal(c.drops[OC_C_DROP_UNKNOWN_CAMERA], 1);
    oc_adapt_flush(a);
    assert_int_equal(c.n_det, 3);
    assert_int_equal(c.det_cam[2], 0);
    assert_string_equal(c.obj[2][0].cls, "truck");
    assert_int_equal(oc_adapt_accepted(a, OC_FORMAT_DEEPSTREAM), 3);
    oc_adapt_free(a);
    oc_config_free(cfg);
}

static void test_deepstream_full_bad(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_of(CAM("a", ",\"format\":\"deepstream\""));
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    const char *T = "deepstream/x", *ts = "2018-04-11T04:59:59.828Z";
#define BAD(obj, reason)                                                                           \
    do {                                                                                           \
        uint64_t before = c.drops[reason];                                                         \
        feed_ds(a, T, "a", ts, obj, 0);                                                            \
        assert_int_equal(c.drops[reason], before + 1);                                             \
    } while (0)
    BAD("{\"id\":\"1\",\"vehicle\":{}}", OC_C_DROP_MISSING_FIELD);
    BAD("{\"id\":1,\"vehicle\":{},\"bbox\":{}}", OC_C_DROP_WRONG_TYPE);
    BAD("{\"id\":\"-1\",\"vehicle\":{},\"bbox\":{\"topleftx\":1,\"toplefty\":1,\"bottomrightx\":2,"
        "\"bottomrighty\":2}}",
        OC_C_DROP_BAD_VALUE);
    BAD("{\"id\":\"1\",\"vehicle\":{},\"bbox\":{\"topleftx\":5,\"toplefty\":1,\"bottomrightx\":2,"
        "\"bottomrighty\":2}}",
        OC_C_DROP_BAD_VALUE);
    BAD("{\"id\":\"1\",\"vehicle\":{},\"bbox\":{\"topleftx\":1,\"toplefty\":1,\"bottomrightx\":2e9,"
        "\"bottomrighty\":2}}",
        OC_C_DROP_BAD_VALUE);
    BAD("{\"id\":\"1\",\"vehicle\":{},\"bbox\":{\"topleftx\":1,\"toplefty\":1,\"bottomrightx\":2}}",
        OC_C_DROP_MISSING_FIELD);
    BAD("{\"id\":\"1\",\"bbox\":{\"topleftx\":1,\"toplefty\":1,\"bottomrightx\":2,"
        "\"bottomrighty\":2}}",
        OC_C_DROP_MISSING_FIELD);
    BAD("[]", OC_C_DROP_WRONG_TYPE);
    /* an optional field of the wrong type: the object stays, the field goes */
    BAD("{\"id\":\"1\",\"vehicle\":{\"license\":7},\"bbox\":{\"topleftx\":1,\"toplefty\":1,"
        "\"bottomrightx\":2,\"bottomrighty\":2}}",
        OC_C_FIELD_DROPPED);
    /* the same object twice in one frame */
    BAD("{\"id\":\"1\",\"vehicle\":{},\"bbox\":{\"topleftx\":1,\"toplefty\":1,\"bottomrightx\":2,"
        "\"bottomrighty\":2}}",
        OC_C_DROP_BAD_VALUE);
#undef BAD
    uint64_t before = c.drops[OC_C_DROP_BAD_VALUE];
    feed_ds(a, T, "a", "2018-04-11T25:00:00Z", VEH("2", 1, 2, 3, 4, "sedan", ""), 0);
    assert_int_equal(c.drops[OC_C_DROP_BAD_VALUE], before + 1);
    oc_adapt_feed(a, T, strlen(T), "{\"@timestamp\":\"x\"}", 18, 0);
    assert_int_equal(c.drops[OC_C_DROP_MISSING_FIELD], 4);
    oc_adapt_feed(a, T, strlen(T), "not json", 8, 0);
    assert_int_equal(c.drops[OC_C_DROP_BAD_JSON], 1);
    oc_adapt_feed(a, T, strlen(T), "{\"a\":1,\"a\":2}", 13, 0);
    assert_int_equal(c.drops[OC_C_DROP_DUPLICATE_KEY], 1);
    assert_int_equal(c.drop_fmt, OC_FORMAT_DEEPSTREAM);
    oc_adapt_flush(a);
    assert_int_equal(c.n_det, 1);
    assert_int_equal(c.det_n[0], 1); /* the object with the dropped field */
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* ---------------- DeepStream minimal ---------------- */

static void test_deepstream_minimal(void **state)
{
    (void)state;
    struct oc_config *cfg =
        cfg_of(CAM("a", ",\"format\":\"deepstream-minimal\",\"source\":\"sensor-id\""));
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    const char *T = "deepstream/min";
    const char *msg =
        "{\"version\":\"4.0\",\"id\":\"1234\",\"@timestamp\":\"2018-04-11T04:59:59.828Z\","
        "\"sensorId\":\"sensor-id\",\"objects\":["
        "\"957|1834|150|1918|215|Vehicle|#|sedan|Bugatti|M|blue|CA 444|California|0.8\","
        "\"958|10|20|30|80|Person|#|male|45|black|none|formal|0.6\","
        "\"959|10|20|5|80|Vehicle|#|sedan|||||||\","
        "\"960|1|2|3|4|Bicycle\",\"-1|1|2|3|4|Vehicle\",7]}";
    assert_int_equal(oc_adapt_feed(a, T, strlen(T), msg, strlen(msg), 0), 0);
    assert_int_equal(c.n_det, 1);
    assert_int_equal(c.det_ts[0], 1523422799828LL);
    assert_int_equal(c.det_n[0], 3);
    assert_string_equal(c.obj[0][0].id, "957");
    assert_string_equal(c.obj[0][0].cls, "car");
    assert_string_equal(c.obj[0][0].plate, "CA 444");
    assert_true(c.obj[0][0].x == 1834 && c.obj[0][0].y == 150);
    assert_true(c.obj[0][0].w == 84 && c.obj[0][0].h == 65);
    assert_true(c.obj[0][0].conf == 0.8);
    assert_string_equal(c.obj[0][1].cls, "person");
    assert_int_equal(c.obj[0][1].helmet, OC_HELMET_NO);
    assert_true(c.obj[0][1].conf == 0.6);
    assert_string_equal(c.obj[0][2].cls, "bicycle");
    assert_int_equal(c.drops[OC_C_DROP_BAD_VALUE], 2); /* right < left; id -1 */
    assert_int_equal(c.drops[OC_C_DROP_WRONG_TYPE], 1);
    const char *bad = "{\"@timestamp\":\"2018-04-11T04:59:59.828Z\",\"sensorId\":\"sensor-id\"}";
    oc_adapt_feed(a, T, strlen(T), bad, strlen(bad), 0);
    assert_int_equal(c.drops[OC_C_DROP_MISSING_FIELD], 1);
    bad = "{\"@timestamp\":\"2018-04-11T04:59:59.828Z\",\"sensorId\":\"x\",\"objects\":[]}";
    oc_adapt_feed(a, T, strlen(T), bad, strlen(bad), 0);
    assert_int_equal(c.drops[OC_C_DROP_UNKNOWN_CAMERA], 1);
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* ---------------- ONVIF ---------------- */

/* The Analytics spec's example frame (y up, 320x240 scaled to [-1,1]),
 * with a class in each form, a plate and a plate object with a Parent. */
static const char *onvif_doc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<tt:MetadataStream xmlns:tt=\"http://www.onvif.org/ver10/schema\"><tt:VideoAnalytics>"
    "<tt:Frame UtcTime=\"2008-10-10T12:24:57.321\">"
    "<tt:Transformation><tt:Translate x=\"-1.0\" y=\"-1.0\"/>"
    "<tt:Scale x=\"0.00625\" y=\"0.0083333333333333332\"/></tt:Transformation>"
    "<tt:Object ObjectId=\"12\"><tt:Appearance><tt:Shape>"
    "<tt:BoundingBox left=\"20.0\" top=\"180.0\" right=\"100.0\" bottom=\"30.0\"/>"
    "<tt:CenterOfGravity x=\"60.0\" y=\"80.0\"/></tt:Shape>"
    "<tt:Class><tt:Type Likelihood=\"0.3\">Human</tt:Type><tt:Type "
    "Likelihood=\"0.9\">Vehicle</tt:Type></tt:Class>"
    "<tt:VehicleInfo><tt:Type Likelihood=\"0.8\">Bus</tt:Type></tt:VehicleInfo>"
    "</tt:Appearance></tt:Object>"
    "<tt:Object ObjectId=\"14\" Parent=\"12\"><tt:Appearance><tt:Shape>"
    "<tt:BoundingBox left=\"40.0\" top=\"150.0\" right=\"70.0\" bottom=\"100.0\"/>"
    "<tt:CenterOfGravity x=\"57.0\" y=\"130.0\"/></tt:Shape>"
    "<tt:Class><tt:Type Likelihood=\"0.6\">LicensePlate</tt:Type></tt:Class>"
    "<tt:LicensePlateInfo><tt:PlateNumber "
    "Likelihood=\"0.7\">ABC123</tt:PlateNumber></tt:LicensePlateInfo>"
    "</tt:Appearance></tt:Object>"
    "<tt:Object ObjectId=\"19\"><tt:Appearance><tt:Shape>"
    "<tt:BoundingBox left=\"160.0\" top=\"240.0\" right=\"320.0\" bottom=\"0.0\"/>"
    "<tt:CenterOfGravity x=\"240.0\" y=\"120.0\"/></tt:Shape>"
    "<tt:Class><tt:ClassCandidate><tt:Type>Human</tt:Type><tt:Likelihood>0.75</tt:Likelihood>"
    "</tt:ClassCandidate></tt:Class></tt:Appearance></tt:Object>"
    "</tt:Frame>"
    "<tt:Frame UtcTime=\"2008-10-10T12:24:57.421Z\">"
    "<tt:Transformation><tt:Translate x=\"-1\" y=\"1\"/><tt:Scale x=\"0.00625\" "
    "y=\"-0.0083333333333333332\"/>"
    "</tt:Transformation>"
    "<tt:Object ObjectId=\"12\"><tt:Appearance><tt:Shape>"
    "<tt:BoundingBox left=\"20.0\" top=\"60.0\" right=\"100.0\" bottom=\"210.0\"/></tt:Shape>"
    "<tt:LicensePlateInfo><tt:PlateNumber>ABC123</tt:PlateNumber></tt:LicensePlateInfo>"
    "</tt:Appearance></tt:Object></tt:Frame>"
    "</tt:VideoAnalytics></tt:MetadataStream>";

static void test_onvif(void **state)
{
    (void)state;
    /* 640x480 pixels: the spec's 320x240 frame system scaled by 2 */
    struct oc_config *cfg =
        cfg_of("{\"id\":\"g\",\"width\":640,\"height\":480,\"format\":\"onvif\"}");
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    const char *T = "onvif/g";
    assert_int_equal(oc_adapt_feed(a, T, strlen(T), onvif_doc, strlen(onvif_doc), 0), 0);
    assert_int_equal(c.n_det, 2);
    assert_int_equal(c.det_ts[0], 1223641497321LL);
    assert_int_equal(c.det_n[0], 2); /* the plate object is its parent's plate */
    assert_string_equal(c.obj[0][0].id, "12");
    assert_string_equal(c.obj[0][0].cls, "bus"); /* VehicleInfo over Vehicle */
    assert_string_equal(c.obj[0][0].plate, "ABC123");
    assert_true(c.obj[0][0].conf == 0.9);
    /* y up: top=180 is 60 frame units below the top edge: 120 px */
    assert_true(c.obj[0][0].x == 40 && c.obj[0][0].y == 120);
    assert_true(c.obj[0][0].w == 160 && c.obj[0][0].h == 300);
    assert_string_equal(c.obj[0][1].cls, "person");
    assert_true(c.obj[0][1].conf == 0.75);
    assert_true(c.obj[0][1].x == 320 && c.obj[0][1].y == 0 && c.obj[0][1].w == 320 &&
                c.obj[0][1].h == 480);
    /* y down in the second frame: the same pixels */
    assert_int_equal(c.det_ts[1], 1223641497421LL);
    assert_true(c.obj[1][0].x == 40 && c.obj[1][0].y == 120 && c.obj[1][0].h == 300);
    assert_string_equal(c.obj[1][0].cls, "unknown");
    assert_string_equal(c.obj[1][0].plate, "ABC123");
    assert_int_equal(c.drops[OC_C_FIELD_DROPPED], 0);
    oc_adapt_free(a);
    oc_config_free(cfg);
}

static void onvif_bad(struct oc_adapt *a, struct cap *c, const char *doc, enum oc_counter why)
{
    uint64_t before = c->drops[why];
    oc_adapt_feed(a, "onvif/g", 7, doc, strlen(doc), 0);
    if (c->drops[why] != before + 1)
        fail_msg("%s not counted for %s", oc_counter_name(why), doc);
}

#define MS "<tt:MetadataStream xmlns:tt=\"http://www.onvif.org/ver10/schema\"><tt:VideoAnalytics>"
#define ME "</tt:VideoAnalytics></tt:MetadataStream>"
#define FR(body) MS "<tt:Frame UtcTime=\"2020-01-01T00:00:00Z\">" body "</tt:Frame>" ME
#define OBJ(attrs, box)                                                                            \
    "<tt:Object " attrs "><tt:Appearance><tt:Shape>" box "</tt:Shape></tt:Appearance></tt:Object>"

static void test_onvif_bad(void **state)
{
    (void)state;
    struct oc_config *cfg =
        cfg_of("{\"id\":\"g\",\"width\":640,\"height\":480,\"format\":\"onvif\"}");
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    onvif_bad(a, &c, "not xml", OC_C_DROP_BAD_JSON);
    onvif_bad(a, &c, MS "<b>" ME, OC_C_DROP_BAD_JSON);
    onvif_bad(a, &c, MS "<tt:Frame UtcTime=\"2020-01-01T00:00:00Z\">&x;</tt:Frame>" ME,
              OC_C_DROP_BAD_JSON); /* an undeclared entity: not well-formed */
    onvif_bad(a, &c, "<MetadataStream/>", OC_C_DROP_NOT_OBJECT);
    /* entities: no DTD at all, so no expansion and no external fetch */
    onvif_bad(
        a, &c,
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>" MS
        "<tt:Frame UtcTime=\"&b;\"/>" ME,
        OC_C_DROP_BAD_VALUE);
    onvif_bad(a, &c,
              "<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"http://127.0.0.1:1/x.dtd\">" MS ME,
              OC_C_DROP_BAD_VALUE);
    char deep[4096] = MS "<tt:Frame UtcTime=\"2020-01-01T00:00:00Z\">";
    for (int i = 0; i < 40; i++)
        strcat(deep, "<tt:X>");
    for (int i = 0; i < 40; i++)
        strcat(deep, "</tt:X>");
    strcat(deep, "</tt:Frame>" ME);
    onvif_bad(a, &c, deep, OC_C_DROP_TOO_DEEP);
    onvif_bad(a, &c, MS ME, OC_C_DROP_MISSING_FIELD);
    onvif_bad(a, &c, MS "<tt:Frame/>" ME, OC_C_DROP_MISSING_FIELD);
    onvif_bad(a, &c, MS "<tt:Frame UtcTime=\"yesterday\"/>" ME, OC_C_DROP_BAD_VALUE);
    onvif_bad(a, &c, FR("<tt:Transformation><tt:Scale x=\"0\" y=\"1\"/></tt:Transformation>"),
              OC_C_DROP_BAD_VALUE);
    onvif_bad(a, &c,
              FR(OBJ("", "<tt:BoundingBox left=\"0\" top=\"0\" right=\"0.5\" bottom=\"0.5\"/>")),
              OC_C_DROP_MISSING_FIELD);
    onvif_bad(a, &c,
              FR(OBJ("ObjectId=\"x\"",
                     "<tt:BoundingBox left=\"0\" top=\"0\" right=\"0.5\" bottom=\"0.5\"/>")),
              OC_C_DROP_BAD_VALUE);
    onvif_bad(a, &c, FR(OBJ("ObjectId=\"1\"", "")), OC_C_DROP_MISSING_FIELD);
    onvif_bad(a, &c,
              FR(OBJ("ObjectId=\"1\"",
                     "<tt:BoundingBox left=\"0\" top=\"nan\" right=\"0.5\" bottom=\"0.5\"/>")),
              OC_C_DROP_BAD_VALUE);
    onvif_bad(a, &c,
              FR(OBJ("ObjectId=\"1\"",
                     "<tt:BoundingBox left=\"0\" top=\"0\" right=\"2.5\" bottom=\"0.5\"/>")),
              OC_C_DROP_BAD_VALUE);
    onvif_bad(a, &c,
              FR(OBJ("ObjectId=\"1\"",
                     "<tt:BoundingBox left=\"0\" top=\"0\" right=\"0.5\" bottom=\"0.5\"/>")
                     OBJ("ObjectId=\"1\"",
                         "<tt:BoundingBox left=\"0\" top=\"0\" right=\"0.5\" bottom=\"0.5\"/>")),
              OC_C_DROP_BAD_VALUE);
    onvif_bad(
        a, &c,
        FR("<tt:Object ObjectId=\"2\"><tt:Appearance><tt:Class><tt:Type>LicensePlate</tt:Type>"
           "</tt:Class><tt:LicensePlateInfo><tt:PlateNumber>X1</tt:PlateNumber>"
           "</tt:LicensePlateInfo></tt:Appearance></tt:Object>"),
        OC_C_FIELD_DROPPED);
    onvif_bad(a, &c,
              FR("<tt:Object ObjectId=\"3\"><tt:Appearance><tt:Shape><tt:BoundingBox left=\"0\" "
                 "top=\"0\" right=\"0.5\" bottom=\"0.5\"/></tt:Shape><tt:Class><tt:Type "
                 "Likelihood=\"7\">Human</tt:Type></tt:Class></tt:Appearance></tt:Object>"),
              OC_C_FIELD_DROPPED);
    char *big = malloc(OC_ADAPT_MAX_BYTES + 2);
    memset(big, ' ', OC_ADAPT_MAX_BYTES + 1);
    big[OC_ADAPT_MAX_BYTES + 1] = '\0';
    onvif_bad(a, &c, big, OC_C_DROP_TOO_LARGE);
    free(big);
    oc_adapt_free(a);
    oc_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_topic_match),
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_config_keys),
        cmocka_unit_test(test_native_passthrough),
        cmocka_unit_test(test_deepstream_full),
        cmocka_unit_test(test_deepstream_full_bad),
        cmocka_unit_test(test_deepstream_minimal),
        cmocka_unit_test(test_onvif),
        cmocka_unit_test(test_onvif_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
