/* Scene configuration: every mistake is refused with the file, the JSON
 * path and the problem; valid configs resolve defaults as docs/config.md says. */
#include "oc_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_config.h"
#include "oc_ecfg.h"

#define CAM "{\"id\":\"c\",\"width\":1920,\"height\":1080%s}"
#define POLY "[[0,0],[10,0],[10,10]]"

/* Builds {"box_id":"b","signals":[{"id":"s"}],"cameras":[CAM with extra]}+top */
static char *doc(const char *cam_extra, const char *top)
{
    static char buf[8192];
    char cam[4096];
    snprintf(cam, sizeof cam, CAM, cam_extra);
    snprintf(buf, sizeof buf,
             "{\"box_id\":\"b\",\"signals\":[{\"id\":\"s\"}],\"cameras\":[%s]%s%s}", cam,
             top[0] ? "," : "", top);
    return buf;
}

/* True when the message is about a section ordercamd's layer or the
 * evidence settings read, not the scene. */
static bool daemon_section(const char *expect)
{
    static const char *const paths[] = {"$.mqtt.port", "$.mqtt.qos",        "$.mqtt.tls",
                                        "$.evidence",  "$.central",         "$.metrics",
                                        "$.spool",     "$.limits.rx_queue", ".frames"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (strstr(expect, paths[i]))
            return true;
    return false;
}

/* The whole file (what ordercamd --check and ordercam-replay read) is
 * refused with the message; a scene mistake also by core alone. */
static void refused(const char *text, const char *expect)
{
    char err[512];
    struct oc_ecfg *ecfg = oc_ecfg_parse(text, strlen(text), "edge.json", err, sizeof err);
    if (ecfg) {
        oc_ecfg_free(ecfg);
        fail_msg("accepted: %s", text);
    }
    if (!strstr(err, expect))
        fail_msg("message \"%s\" lacks \"%s\"", err, expect);
    assert_true(strncmp(err, "edge.json: ", 11) == 0);
    if (daemon_section(expect))
        return;
    struct oc_config *cfg = oc_config_parse(text, strlen(text), "edge.json", err, sizeof err);
    if (cfg) {
        oc_config_free(cfg);
        fail_msg("core accepted: %s", text);
    }
    if (!strstr(err, expect))
        fail_msg("core's message \"%s\" lacks \"%s\"", err, expect);
}

static struct oc_config *accepted(const char *text)
{
    char err[512];
    struct oc_config *cfg = oc_config_parse(text, strlen(text), "edge.json", err, sizeof err);
    if (!cfg)
        fail_msg("refused: %s", err);
    return cfg;
}

static void syntax_errors(void **state)
{
    (void)state;
    refused("{\"box_id\": \"b\",\n \"cameras\": [\n}", "invalid JSON near line 3");
    refused("[]", "$: the config must be a JSON object");
    refused("{\"box_id\":\"b\" /* unterminated", "unterminated /* comment");
    refused("{\"box_id\":\"\xff\"}", "not valid UTF-8");
}

static void comments_allowed(void **state)
{
    (void)state;
    struct oc_config *cfg = accepted(
        "// edge box\n{\"box_id\": \"b\", /* the id */ \"cameras\": [{\"id\":\"c\",\"width\":100,"
        "\"height\":100, \"location\": \"a // not a comment /* either */\"}]}");
    assert_string_equal(cfg->cameras[0].location, "a // not a comment /* either */");
    oc_config_free(cfg);
}

static void required_and_unknown_keys(void **state)
{
    (void)state;
    refused("{\"cameras\":[]}", "$: missing required key \"box_id\"");
    refused("{\"box_id\":\"b\"}", "$: missing required key \"cameras\"");
    refused("{\"box_id\":\"b\",\"cameras\":[]}", "$.cameras: must be a non-empty array");
    refused(doc("", "\"tracktimeout_s\":5"), "$.tracktimeout_s: unknown key");
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":" POLY
                ",\"dwel_s\":3}]",
                ""),
            "$.cameras[0].zones[0].dwel_s: unknown key");
    refused("{\"box_id\":\"b\",\"cameras\":[{\"id\":\"c\",\"height\":5}]}",
            "$.cameras[0]: missing required key \"width\"");
    refused(doc("", "\"mqtt\":{\"port\":70000}"), "$.mqtt.port: must be between 1 and 65535");
    refused(doc("", "\"mqtt\":{\"qos\":1.5}"), "$.mqtt.qos: must be an integer");
    refused(doc("", "\"mqtt\":{\"tls\":{\"ca\":\"x\"}}"), "$.mqtt.tls.ca: unknown key");
    refused(doc("", "\"evidence\":{\"enabled\":\"yes\"}"),
            "$.evidence.enabled: must be true or false");
    refused(doc("", "\"evidence\":{\"workers\":0}"), "$.evidence.workers: must be between 1 and 8");
    refused(doc("", "\"evidence\":{\"workers\":9}"), "$.evidence.workers: must be between 1 and 8");
    refused(doc("", "\"central\":\"https://x\""), "$.central: must be an object");
    refused(doc("", "\"metrics\":{\"port\":1}"), "$.metrics.port: unknown key");
    refused(doc("", "\"limits\":{\"rx_queue_msgs\":1}"),
            "$.limits.rx_queue_msgs: must be between 16");
}

static void ids(void **state)
{
    (void)state;
    refused("{\"box_id\":\"b b\",\"cameras\":[]}", "$.box_id: \"b b\" is not 1-64 characters");
    refused("{\"box_id\":\"b\",\"cameras\":[{\"id\":\"cam/1\",\"width\":5,\"height\":5}]}",
            "$.cameras[0].id: \"cam/1\" is not 1-64 characters");
    refused("{\"box_id\":\"b\",\"cameras\":[{\"id\":\"c\",\"width\":50,\"height\":50},"
            "{\"id\":\"c\",\"width\":50,\"height\":50}]}",
            "$.cameras[1]: duplicate camera id \"c\"");
    refused("{\"box_id\":\"b\",\"signals\":[{\"id\":\"s\"},{\"id\":\"s\"}],\"cameras\":[]}",
            "$.signals[1]: duplicate signal id \"s\"");
    refused(doc("", "\"signals\":[]"), "$.signals: key given twice");
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"crosswalk\",\"polygon\":" POLY "},"
                "{\"id\":\"z\",\"kind\":\"crosswalk\",\"polygon\":" POLY "}]",
                ""),
            "$.cameras[0].zones[1]: duplicate zone id \"z\"");
}

static void zones(void **state)
{
    (void)state;
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"no_smoking\",\"polygon\":" POLY "}]", ""),
            "$.cameras[0].zones[0].kind: unknown zone kind \"no_smoking\"");
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"crosswalk\",\"polygon\":[[0,0],[1,1]]}]", ""),
            "$.cameras[0].zones[0].polygon: must have 3 to 1024 points, has 2");
    refused(
        doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"crosswalk\",\"polygon\":[[0,0],[1,1],[2]]}]", ""),
        "$.cameras[0].zones[0].polygon[2]: must be a point [x, y]");
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"lane\",\"polygon\":" POLY "}]", ""),
            "$.cameras[0].zones[0]: missing required key \"direction\"");
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"lane\",\"polygon\":" POLY
                ",\"direction\":[0,0]}]",
                ""),
            "$.cameras[0].zones[0].direction: must not be the zero vector");
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":" POLY
                ",\"dwell_s\":-1}]",
                ""),
            "$.cameras[0].zones[0].dwell_s: must be between");
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":" POLY
                ",\"classes\":[\"spaceship\"]}]",
                ""),
            "$.cameras[0].zones[0].classes[0]: unknown class or group \"spaceship\"");
    refused(doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"no_parking\",\"polygon\":" POLY
                ",\"classes\":[]}]",
                ""),
            "$.cameras[0].zones[0].classes: must be a non-empty array");
    refused(doc(",\"event_zones\":[\"nope\"]", ""),
            "$.cameras[0].event_zones[0]: must name a zone");
}

/* Shapes the live view's editor may produce: inside the frame (its edges
 * included) and, for polygons, not crossing themselves. */
static void shapes_in_frame_and_simple(void **state)
{
    (void)state;
#define Z(p) doc(",\"zones\":[{\"id\":\"z\",\"kind\":\"crosswalk\",\"polygon\":" p "}]", "")
#define L(p)                                                                                       \
    doc(",\"lines\":[{\"id\":\"l\",\"kind\":\"exit_line\",\"points\":" p ",\"direction\":[1,0]}]", \
        "")
    oc_config_free(accepted(Z("[[0,0],[1920,0],[1920,1080],[0,1080]]")));
    refused(Z("[[0,0],[1920.5,0],[1920,1080]]"), "$.cameras[0].zones[0].polygon[1]: point (1920.5, "
                                                 "0) is outside the camera's 1920x1080 frame");
    refused(Z("[[0,0],[10,-1],[10,10]]"),
            "$.cameras[0].zones[0].polygon[1]: point (10, -1) is outside");
    refused(Z("[[0,0],[10,0],[10,1081]]"),
            "$.cameras[0].zones[0].polygon[2]: point (10, 1081) is outside");
    oc_config_free(accepted(L("[[0,0],[1920,1080]]")));
    refused(L("[[0,0],[1921,1080]]"),
            "$.cameras[0].lines[0].points[1]: point (1921, 1080) is outside");
    /* a bow tie crosses itself; the same points in order do not */
    oc_config_free(accepted(Z("[[100,100],[200,100],[200,200],[100,200]]")));
    refused(Z("[[100,100],[200,200],[200,100],[100,200]]"),
            "$.cameras[0].zones[0].polygon: edges 0-1 and 2-3 cross: the polygon must not "
            "intersect itself");
    /* touching a non-adjacent edge counts; a concave polygon is fine */
    refused(Z("[[0,0],[100,0],[50,0],[50,50]]"), "the polygon must not intersect itself");
    oc_config_free(accepted(Z("[[0,0],[100,0],[100,100],[50,20],[0,100]]")));
#undef Z
#undef L
}

#define STOP "{\"id\":\"l\",\"kind\":\"stop_line\",\"points\":[[0,0],[0,10]],\"direction\":[1,0]"

static void lines(void **state)
{
    (void)state;
    refused(doc(",\"lines\":[" STOP ",\"signal\":\"missing\"}]", ""),
            "$.cameras[0].lines[0].signal: names signal \"missing\", which is not in $.signals");
    refused(doc(",\"lines\":[" STOP "}]", ""),
            "$.cameras[0].lines[0]: missing required key \"signal\"");
    refused(doc(",\"lines\":[{\"id\":\"l\",\"kind\":\"stop_line\",\"points\":[[0,0],[0,10]],"
                "\"signal\":\"s\"}]",
                ""),
            "missing required key \"direction\"");
    refused(
        doc(",\"lines\":[{\"id\":\"l\",\"kind\":\"dashed_line\",\"points\":[[0,0],[0,10]]}]", ""),
        "$.cameras[0].lines[0].kind: unknown line kind \"dashed_line\"");
    refused(doc(",\"lines\":[{\"id\":\"l\",\"kind\":\"exit_line\",\"points\":[[0,0],[0,0]],"
                "\"direction\":[1,0]}]",
                ""),
            "$.cameras[0].lines[0].points: the two points must differ");
    refused(doc(",\"lines\":[{\"id\":\"l\",\"kind\":\"exit_line\",\"points\":[[0,0],[0,1],[0,2]],"
                "\"direction\":[1,0]}]",
                ""),
            "$.cameras[0].lines[0].points: must have exactly 2 points, has 3");
    refused(
        doc(",\"lines\":[" STOP ",\"signal\":\"s\",\"exit_lines\":[\"x\"]}]", ""),
        "$.cameras[0].lines[0].exit_lines[0]: names line \"x\", which this camera does not have");
    refused(doc(",\"lines\":[" STOP ",\"signal\":\"s\",\"exit_lines\":[\"l\"]}]", ""),
            "$.cameras[0].lines[0].exit_lines[0]: line \"l\" is not an exit_line");
    refused(doc(",\"lines\":[" STOP ",\"signal\":\"s\",\"grace_s\":\"0.3\"}]", ""),
            "$.cameras[0].lines[0].grace_s: must be a number");
    refused(doc(",\"zones\":[{\"id\":\"l\",\"kind\":\"crosswalk\",\"polygon\":" POLY
                "}],\"lines\":[" STOP ",\"signal\":\"s\"}]",
                ""),
            "id \"l\" is already a zone of this camera");
}

static void defaults_codes_events_aliases(void **state)
{
    (void)state;
    refused(doc("", "\"defaults\":{\"red_lite\":{}}"),
            "$.defaults.red_lite: unknown violation type");
    refused(doc("", "\"defaults\":{\"red_light\":{\"grace\":1}}"),
            "$.defaults.red_light.grace: unknown key");
    refused(doc("", "\"defaults\":{\"red_light\":{\"exit_s\":0}}"),
            "$.defaults.red_light.exit_s: must be between");
    refused(doc("", "\"codes\":{\"speeding\":\"1\"}"), "$.codes.speeding: unknown violation type");
    refused(doc("", "\"codes\":{\"red_light\":1625}"), "$.codes.red_light: must be a code string");
    refused(doc("", "\"events\":[\"red_light\"]"),
            "$.events[0]: \"red_light\" is a built-in violation type");
    refused(doc("", "\"events\":[\"Bad Name\"]"), "$.events[0]: must be an event type name");
    refused(doc("", "\"events\":[\"\"]"), "$.events[0]: must be an event type name");
    /* at most 48 bytes: both sides */
    char ev[128], name[50];
    memset(name, 'e', 49);
    name[49] = '\0';
    snprintf(ev, sizeof ev, "\"events\":[\"%s\"]", name);
    refused(doc("", ev), "$.events[0]: must be an event type name");
    name[48] = '\0';
    snprintf(ev, sizeof ev, "\"events\":[\"%s\"]", name);
    oc_config_free(accepted(doc("", ev)));
    refused(doc("", "\"class_aliases\":{\"motorbike\":3}"),
            "$.class_aliases.motorbike: must be a class name");
}

static void resolved_values(void **state)
{
    (void)state;
    struct oc_config *cfg = accepted(doc(
        ",\"zones\":[{\"id\":\"np\",\"kind\":\"no_parking\",\"polygon\":" POLY "},"
        "{\"id\":\"tp\",\"kind\":\"tactile_paving\",\"polygon\":" POLY
        ",\"dwell_s\":12,\"vacate_s\":3},"
        "{\"id\":\"ln\",\"kind\":\"lane\",\"polygon\":" POLY ",\"direction\":[0,-2]}],"
        "\"lines\":[" STOP ",\"signal\":\"s\"}],\"events\":[\"fly_tipping\"]",
        "\"codes\":{\"red_light\":\"X1\",\"wrong_way\":null,\"littering\":\"L9\"},"
        "\"defaults\":{\"illegal_parking\":{\"dwell_s\":90},\"nonmotor_red_light\":{\"exit_s\":4}},"
        "\"class_aliases\":{\"motorbike\":\"motorcycle\"}"));
    const struct oc_camera_cfg *c = &cfg->cameras[0];
    assert_int_equal(c->zones[0].dwell_ms, 90000);
    assert_int_equal(c->zones[1].dwell_ms, 12000);
    assert_true(c->zones[0].still_px == 15);
    assert_int_equal(c->zones[0].reacquire_ms, 30000);
    assert_int_equal(c->zones[0].vacate_ms, 8000);
    assert_int_equal(c->zones[1].vacate_ms, 3000);
    assert_true(c->zones[2].dir.y == -1.0);
    assert_int_equal(c->lines[0].grace_ms[OC_LG_MOTOR], 300);
    assert_int_equal(c->lines[0].grace_ms[OC_LG_PEDESTRIAN], 0);
    assert_int_equal(c->lines[0].exit_ms[OC_LG_MOTOR], 10000);
    assert_int_equal(c->lines[0].exit_ms[OC_LG_NONMOTOR], 4000);
    assert_int_equal(cfg->track_timeout_ms, 5000);
    assert_int_equal(cfg->bucket_ms, 60000);
    assert_string_equal(cfg->vtypes[OC_V_RED_LIGHT].code, "X1");
    assert_null(cfg->vtypes[OC_V_WRONG_WAY].code);
    assert_string_equal(cfg->vtypes[OC_V_ILLEGAL_PARKING].code, "1039");
    assert_string_equal(cfg->vtypes[OC_V_STOP_LINE_CROSSING].code, "1211");
    assert_string_equal(cfg->vtypes[OC_V_NONMOTOR_RED_LIGHT].code, "2002");
    assert_null(cfg->vtypes[OC_V_JAYWALKING].code);
    int litter = oc_config_vtype(cfg, "littering");
    assert_string_equal(cfg->vtypes[litter].code, "L9");
    /* the camera's own events list replaces the default six */
    assert_false(c->event_types & ((uint64_t)1 << litter));
    assert_true(c->event_types & ((uint64_t)1 << oc_config_vtype(cfg, "fly_tipping")));
    assert_string_equal(oc_config_alias(cfg, "motorbike"), "motorcycle");
    assert_string_equal(cfg->topic_prefix, "ordercam/");
    oc_config_free(cfg);
}

/* The daemon's sections: defaults, and which layer reads what. */
static void daemon_layer(void **state)
{
    (void)state;
    char err[512];
    const char *text = doc("", "\"mqtt\":{\"host\":\"h\",\"topic_prefix\":\"t/\"}");
    struct oc_ecfg *e = oc_ecfg_parse(text, strlen(text), "edge.json", err, sizeof err);
    if (!e)
        fail_msg("refused: %s", err);
    assert_string_equal(e->scene->topic_prefix, "t/");
    assert_string_equal(e->mqtt.host, "h");
    assert_int_equal(e->mqtt.port, 1883);
    assert_string_equal(e->mqtt.client_id, "b");
    assert_string_equal(e->spool_dir, "/var/lib/ordercam");
    assert_int_equal(e->spool_max_mb, 2048);
    assert_int_equal(e->snapshot_s, 60);
    assert_null(e->metrics_listen);
    assert_null(e->central.url);
    assert_int_equal(e->central.push_interval_s, 10);
    assert_int_equal(e->rx_queue_msgs, 65536);
    assert_int_equal(e->rx_queue_bytes, 64u << 20);
    assert_true(e->evidence.enabled);
    assert_int_equal(e->evidence.quality, 85);
    assert_int_equal(e->evidence.workers, 1);
    assert_string_equal(e->evidence.font, OC_EVIDENCE_FONT_DEFAULT);
    oc_ecfg_free(e);
    /* core reads the scene and mqtt.topic_prefix; a scene-only reader does
     * not know the daemon's sections */
    struct oc_config *cfg = oc_config_parse(text, strlen(text), "edge.json", err, sizeof err);
    assert_non_null(cfg);
    assert_string_equal(cfg->topic_prefix, "t/");
    oc_config_free(cfg);
    text = doc("", "\"evidence\":{\"workers\":2}");
    e = oc_ecfg_parse(text, strlen(text), "edge.json", err, sizeof err);
    assert_non_null(e);
    assert_int_equal(e->evidence.workers, 2);
    oc_ecfg_free(e);
    text = doc("", "\"spool\":{\"dir\":\"/x\"}");
    assert_null(oc_config_parse(text, strlen(text), "edge.json", err, sizeof err));
    assert_non_null(strstr(err, "$.spool: unknown key"));
    text = doc("", "\"limits\":{\"rx_queue_msgs\":100,\"max_event_ids\":9}");
    e = oc_ecfg_parse(text, strlen(text), "edge.json", err, sizeof err);
    assert_non_null(e);
    assert_int_equal(e->rx_queue_msgs, 100);
    assert_int_equal(e->scene->max_event_ids, 9);
    oc_ecfg_free(e);
    refused(doc("", "\"limits\":{\"rx_queue_mbs\":1}"), "$.limits.rx_queue_mbs: unknown key");
}

static struct oc_ecfg *accepted_edge(const char *text)
{
    char err[512];
    struct oc_ecfg *cfg = oc_ecfg_parse(text, strlen(text), "edge.json", err, sizeof err);
    if (!cfg)
        fail_msg("refused: %s", err);
    return cfg;
}

/* frames: snapshot polling settings (docs/config.md), ordercamd's layer;
 * core admits the key and leaves it alone. */
static void snapshot_frames(void **state)
{
    (void)state;
    struct oc_ecfg *cfg = accepted_edge(doc("", ""));
    assert_null(cfg->snap[0].url);
    oc_ecfg_free(cfg);
    oc_config_free(accepted(doc(",\"frames\":{\"snapshot_url\":\"rtsp://not-read-by-core\"}", "")));
    cfg = accepted_edge(doc(
        ",\"frames\":{\"snapshot_url\":\"http://10.0.0.9/ISAPI/Streaming/channels/101/picture\"}",
        ""));
    const struct oc_snapshot_cfg *s = &cfg->snap[0];
    assert_string_equal(s->url, "http://10.0.0.9/ISAPI/Streaming/channels/101/picture");
    assert_true(s->fps == 2);
    assert_int_equal(s->timeout_ms, 2000);
    assert_int_equal(s->latency_ms, 0);
    assert_int_equal(s->auth, OC_SNAP_AUTH_ANY);
    assert_null(s->username);
    oc_ecfg_free(cfg);
    cfg = accepted_edge(
        doc(",\"frames\":{\"snapshot_url\":\"https://cam/snap.jpg\",\"snapshot_fps\":5,"
            "\"username\":\"admin\",\"password_file\":\"/etc/ordercam/cam.pw\","
            "\"auth\":\"digest\",\"timeout_ms\":1500,\"latency_ms\":120,"
            "\"ca_file\":\"/etc/ca.pem\",\"insecure_skip_verify\":true}",
            ""));
    s = &cfg->snap[0];
    assert_true(s->fps == 5);
    assert_int_equal(s->auth, OC_SNAP_AUTH_DIGEST);
    assert_string_equal(s->username, "admin");
    assert_string_equal(s->password_file, "/etc/ordercam/cam.pw");
    assert_int_equal(s->timeout_ms, 1500);
    assert_int_equal(s->latency_ms, 120);
    assert_string_equal(s->ca_file, "/etc/ca.pem");
    assert_true(s->insecure_skip_verify);
    oc_ecfg_free(cfg);
    /* the second camera's frames: the index in the path, the right slot */
    const char *two = "{\"box_id\":\"b\",\"cameras\":[{\"id\":\"a\",\"width\":16,\"height\":16},"
                      "{\"id\":\"c\",\"width\":16,\"height\":16,\"frames\":{\"snapshot_url\":"
                      "\"http://c/\"}}]}";
    cfg = accepted_edge(two);
    assert_null(cfg->snap[0].url);
    assert_string_equal(cfg->snap[1].url, "http://c/");
    oc_ecfg_free(cfg);
    refused("{\"box_id\":\"b\",\"cameras\":[{\"id\":\"a\",\"width\":16,\"height\":16},"
            "{\"id\":\"c\",\"width\":16,\"height\":16,\"frames\":{}}]}",
            "$.cameras[1].frames: missing required key \"snapshot_url\"");
    refused(doc(",\"frames\":{}", ""),
            "$.cameras[0].frames: missing required key \"snapshot_url\"");
    refused(doc(",\"frames\":{\"snapshot_url\":\"rtsp://cam/1\"}", ""),
            "$.cameras[0].frames.snapshot_url: must be an http:// or https:// URL");
    refused(doc(",\"frames\":{\"snapshot_url\":\"http://c/\",\"snapshot_fps\":30}", ""),
            "$.cameras[0].frames.snapshot_fps: must be between 0.1 and 25");
    refused(doc(",\"frames\":{\"snapshot_url\":\"http://c/\",\"snapshot_fps\":0.05}", ""),
            "$.cameras[0].frames.snapshot_fps: must be between 0.1 and 25");
    refused(doc(",\"frames\":{\"snapshot_url\":\"http://c/\",\"auth\":\"ntlm\"}", ""),
            "$.cameras[0].frames.auth: must be \"any\", \"basic\" or \"digest\"");
    refused(doc(",\"frames\":{\"snapshot_url\":\"http://c/\",\"timeout_ms\":50}", ""),
            "$.cameras[0].frames.timeout_ms: must be between 100 and 60000");
    refused(doc(",\"frames\":{\"snapshot_url\":\"http://c/\",\"fps\":5}", ""),
            "$.cameras[0].frames.fps: unknown key");
    refused(doc(",\"frames\":\"http://c/\"", ""), "$.cameras[0].frames: must be an object");
}

static void sample_scene_loads(void **state)
{
    (void)state;
    const char *dir = getenv("OC_SAMPLES");
    assert_non_null(dir);
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/scene.json", dir);
    struct oc_ecfg *cfg = oc_ecfg_load(path, err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    assert_int_equal(cfg->scene->n_cameras, 3); /* cam-e1, cam-s1, cam-j1 */
    oc_ecfg_free(cfg);
    cfg = oc_ecfg_load("/nonexistent/edge.json", err, sizeof err);
    assert_null(cfg);
    assert_non_null(strstr(err, "/nonexistent/edge.json: cannot open"));
    assert_null(oc_config_load("/nonexistent/edge.json", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/edge.json: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(comments_allowed),
        cmocka_unit_test(required_and_unknown_keys),
        cmocka_unit_test(ids),
        cmocka_unit_test(zones),
        cmocka_unit_test(lines),
        cmocka_unit_test(defaults_codes_events_aliases),
        cmocka_unit_test(resolved_values),
        cmocka_unit_test(sample_scene_loads),
        cmocka_unit_test(daemon_layer),
        cmocka_unit_test(snapshot_frames),
        cmocka_unit_test(shapes_in_frame_and_simple),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
