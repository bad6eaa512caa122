/* The Frigate adapter (docs/inputs.md, "Frigate"), field by field, from
 * payloads written after Frigate's published MQTT documentation; every bad
 * payload counted under its reason; and through the engine: a parked car
 * that Frigate stops talking about still reaches its dwell, a red light is
 * warned about by the config check. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_adapt.h"

#define MAXD 32

struct cap {
    int n_det, n_frames, n_ends;
    int det_cam[MAXD];
    int64_t det_ts[MAXD];
    size_t det_n[MAXD];
    struct {
        char id[72], cls[72], plate[40];
        double x, y, w, h, conf;
        int helmet;
    } obj[MAXD];
    int64_t frame_ts[MAXD];
    size_t frame_len[MAXD];
    int frame_cam[MAXD];
    char end_id[MAXD][72];
    int64_t end_ts[MAXD];
    int end_cam[MAXD];
    uint64_t drops[OC_C__COUNT];
    int drop_cam;
};

static void c_native(void *ud, const char *t, size_t tl, const void *p, size_t l, const cJSON *j)
{
    (void)ud, (void)t, (void)tl, (void)p, (void)l, (void)j;
    fail_msg("a Frigate topic went to the native path");
}

static void c_det(void *ud, int cam, const struct oc_detections *d)
{
    struct cap *c = ud;
    assert_int_equal(d->n_objs, 1);
    if (c->n_det >= MAXD)
        return;
    int k = c->n_det++;
    c->det_cam[k] = cam;
    c->det_ts[k] = d->ts;
    c->det_n[k] = d->n_objs;
    snprintf(c->obj[k].id, sizeof c->obj[k].id, "%s", d->objs[0].id);
    snprintf(c->obj[k].cls, sizeof c->obj[k].cls, "%s", d->objs[0].cls);
    snprintf(c->obj[k].plate, sizeof c->obj[k].plate, "%s",
             d->objs[0].plate ? d->objs[0].plate : "");
    c->obj[k].x = d->objs[0].x;
    c->obj[k].y = d->objs[0].y;
    c->obj[k].w = d->objs[0].w;
    c->obj[k].h = d->objs[0].h;
    c->obj[k].conf = d->objs[0].conf;
    c->obj[k].helmet = d->objs[0].helmet;
}

static void c_frame(void *ud, int cam, int64_t ts, const void *jpeg, size_t len)
{
    struct cap *c = ud;
    (void)jpeg;
    if (c->n_frames >= MAXD)
        return;
    c->frame_cam[c->n_frames] = cam;
    c->frame_ts[c->n_frames] = ts;
    c->frame_len[c->n_frames++] = len;
}

static void c_end(void *ud, int cam, const char *id, int64_t ts)
{
    struct cap *c = ud;
    if (c->n_ends >= MAXD)
        return;
    c->end_cam[c->n_ends] = cam;
    c->end_ts[c->n_ends] = ts;
    snprintf(c->end_id[c->n_ends++], sizeof c->end_id[0], "%s", id);
}

static void c_drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    struct cap *c = ud;
    assert_int_equal(f, OC_FORMAT_FRIGATE);
    c->drops[why]++;
    c->drop_cam = cam;
}

static const struct oc_adapt_sink sink = {
    .native = c_native, .detections = c_det, .frame = c_frame, .end = c_end, .drop = c_drop};

/* Two Frigate cameras (front_door and the street one named in Frigate as
 * "street_cam") and a native one. */
static struct oc_config *cfg_frigate(void)
{
    static const char text[] =
        "{\"box_id\":\"b\",\"cameras\":["
        "{\"id\":\"cam-door\",\"width\":1280,\"height\":720,\"format\":\"frigate\","
        "\"source\":\"front_door\"},"
        "{\"id\":\"cam-street\",\"width\":1920,\"height\":1080,\"format\":\"frigate\","
        "\"source\":\"street_cam\"},"
        "{\"id\":\"cam-n\",\"width\":100,\"height\":100}]}";
    char err[512];
    struct oc_config *cfg = oc_config_parse(text, strlen(text), "edge.json", err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    return cfg;
}

static void feed(struct oc_adapt *a, const char *topic, const char *payload)
{
    oc_adapt_feed(a, topic, strlen(topic), payload, strlen(payload), 0);
}

static uint64_t total_drops(const struct cap *c)
{
    uint64_t n = 0;
    for (int i = 0; i < OC_C__COUNT; i++)
        if (i != OC_C_FIELD_DROPPED)
            n += c->drops[i];
    return n;
}

/* The documented example's "after" object, as a "new" event. */
#define EV_AFTER(type, id, label, box, ft, extra)                                                  \
    "{\"type\":\"" type "\",\"before\":{\"id\":\"" id "\",\"camera\":\"front_door\","              \
    "\"frame_time\":1607123961.837752,\"label\":\"" label "\",\"box\":[424,500,536,712]},"         \
    "\"after\":{\"id\":\"" id "\",\"camera\":\"front_door\",\"frame_time\":" ft ","                \
    "\"snapshot\":{\"frame_time\":1607123965.975463,\"box\":[415,489,528,700],\"area\":12728,"     \
    "\"region\":[260,446,660,846],\"score\":0.77546,\"attributes\":[]},"                           \
    "\"label\":\"" label "\",\"sub_label\":null,\"top_score\":0.958984375,"                        \
    "\"false_positive\":false,\"start_time\":1607123955.475377,\"end_time\":null,"                 \
    "\"score\":0.87890625,\"box\":" box ",\"area\":40096,\"ratio\":1.251397,"                      \
    "\"region\":[218,440,693,915],\"current_zones\":[\"yard\",\"driveway\"],"                      \
    "\"entered_zones\":[\"yard\",\"driveway\"],\"thumbnail\":null,\"has_snapshot\":false,"         \
    "\"has_clip\":false,\"active\":true,\"stationary\":false,\"motionless_count\":0,"              \
    "\"position_changes\":2,\"attributes\":{},\"current_attributes\":[]" extra "}}"

static void event_fields(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_frigate();
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    feed(a, "frigate/events",
         EV_AFTER("new", "1607123955.475377-mxklsc", "car", "[432,496,544,854]",
                  "1607123962.082975",
                  ",\"recognized_license_plate\":\"ABC12345\","
                  "\"recognized_license_plate_score\":0.933451"));
    assert_int_equal(total_drops(&c), 0);
    assert_int_equal(c.drops[OC_C_FIELD_DROPPED], 0);
    assert_int_equal(c.n_det, 1);
    assert_int_equal(c.det_cam[0], 0);
    assert_int_equal(c.det_ts[0], 1607123962083); /* frame_time in ms, rounded */
    assert_string_equal(c.obj[0].id, "1607123955.475377-mxklsc");
    assert_string_equal(c.obj[0].cls, "car");
    /* [x1, y1, x2, y2] -> x, y, w, h */
    assert_true(c.obj[0].x == 432 && c.obj[0].y == 496);
    assert_true(c.obj[0].w == 112 && c.obj[0].h == 358);
    assert_true(c.obj[0].conf == 0.87890625);
    assert_string_equal(c.obj[0].plate, "ABC12345");
    assert_int_equal(c.obj[0].helmet, OC_HELMET_UNKNOWN);
    assert_int_equal(c.n_ends, 0);
    assert_int_equal(oc_adapt_accepted(a, OC_FORMAT_FRIGATE), 1);
    /* the second camera is told apart by "camera" */
    const char street[] =
        "{\"type\":\"new\",\"after\":{\"id\":\"s1\",\"camera\":\"street_cam\",\"label\":\"person\","
        "\"box\":[10,20,30,80],\"frame_time\":1700000000.5,\"score\":0.5}}";
    feed(a, "frigate/events", street);
    assert_int_equal(c.n_det, 2);
    assert_int_equal(c.det_cam[1], 1);
    assert_int_equal(c.det_ts[1], 1700000000500);
    assert_string_equal(c.obj[1].cls, "person");
    assert_string_equal(c.obj[1].plate, "");
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* path_data: positions recorded between two events become observations at
 * their own times (bottom centre from the normalised point, the current
 * box's size); points already given are not given again. */
static void path_points(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_frigate();
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    feed(a, "frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"p\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[100,100,200,150],\"frame_time\":1000.0,\"path_data\":[[[0.1172,0.2083],1000.0]]}"
         "}");
    feed(a, "frigate/events",
         "{\"type\":\"update\",\"after\":{\"id\":\"p\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[600,100,700,150],\"frame_time\":1003.0,\"path_data\":[[[0.1172,0.2083],1000.0],"
         "[[0.25,0.5],1001.0],[[0.375,0.25],1002.0]]}}");
    assert_int_equal(total_drops(&c), 0);
    assert_int_equal(c.n_det, 4);
    assert_int_equal(c.det_ts[0], 1000000);
    assert_int_equal(c.det_ts[1], 1001000);
    assert_int_equal(c.det_ts[2], 1002000);
    assert_int_equal(c.det_ts[3], 1003000);
    /* (0.25, 0.5) of 1280x720 = (320, 360), a 100x50 box above it */
    assert_true(c.obj[1].x == 270 && c.obj[1].y == 310 && c.obj[1].w == 100 && c.obj[1].h == 50);
    assert_true(c.obj[2].x == 430 && c.obj[2].y == 130);
    assert_true(c.obj[3].x == 600 && c.obj[3].y == 100);
    /* a malformed path drops the field, not the event */
    feed(a, "frigate/events",
         "{\"type\":\"update\",\"after\":{\"id\":\"p\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[600,100,700,150],\"frame_time\":1004.0,\"path_data\":[[0.5,0.5,1003.5]]}}");
    assert_int_equal(c.n_det, 5);
    assert_int_equal(c.drops[OC_C_FIELD_DROPPED], 1);
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* "end": the last position, then the track ends at end_time. */
static void end_event(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_frigate();
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    feed(a, "frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"e\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":2000.0,\"end_time\":null}}");
    feed(a, "frigate/events",
         "{\"type\":\"end\",\"after\":{\"id\":\"e\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":2001.0,\"end_time\":2001.25}}");
    assert_int_equal(c.n_det, 2);
    assert_int_equal(c.n_ends, 1);
    assert_string_equal(c.end_id[0], "e");
    assert_int_equal(c.end_cam[0], 0);
    assert_int_equal(c.end_ts[0], 2001250);
    /* an update after the end starts afresh (a new object for the adapter) */
    feed(a, "frigate/tracked_object_update",
         "{\"type\":\"lpr\",\"id\":\"e\",\"name\":null,\"plate\":\"XYZ\",\"score\":0.9,"
         "\"camera\":\"front_door\",\"timestamp\":2002.0,\"plate_box\":[1,2,3,4]}");
    assert_int_equal(c.n_det, 2); /* no position known: waits for the next event */
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* tracked_object_update: lpr and a helmet classification joined by id,
 * given at the object's last observation (same time and box). */
static void object_updates(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_frigate();
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    /* before the object's first event: kept for it */
    feed(a, "frigate/tracked_object_update",
         "{\"type\":\"classification\",\"id\":\"r1\",\"camera\":\"street_cam\","
         "\"timestamp\":1607123958.748393,\"model\":\"helmet_detector\",\"attribute\":\"no\","
         "\"score\":0.92}");
    assert_int_equal(c.n_det, 0);
    feed(a, "frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"r1\",\"camera\":\"street_cam\","
         "\"label\":\"motorcycle\",\"box\":[100,100,200,300],\"frame_time\":1607123959.0}}");
    assert_int_equal(c.n_det, 1);
    assert_int_equal(c.obj[0].helmet, OC_HELMET_NO);
    assert_string_equal(c.obj[0].cls, "motorcycle");
    feed(a, "frigate/tracked_object_update",
         "{\"type\":\"lpr\",\"id\":\"r1\",\"name\":null,\"plate\":\"晋E12345\",\"score\":0.95,"
         "\"camera\":\"street_cam\",\"timestamp\":1607123960.1,\"plate_box\":[917,487,1029,529]}");
    assert_int_equal(c.n_det, 2);
    assert_int_equal(c.det_ts[1], 1607123959000); /* the last observation's time */
    assert_true(c.obj[1].x == 100 && c.obj[1].y == 100 && c.obj[1].w == 100 && c.obj[1].h == 200);
    assert_string_equal(c.obj[1].plate, "晋E12345");
    assert_int_equal(c.obj[1].helmet, OC_HELMET_NO);
    feed(a, "frigate/tracked_object_update",
         "{\"type\":\"classification\",\"id\":\"r1\",\"camera\":\"street_cam\","
         "\"timestamp\":1607123960.2,\"model\":\"helmet_detector\",\"attribute\":\"yes\","
         "\"score\":0.8}");
    assert_int_equal(c.n_det, 3);
    assert_int_equal(c.obj[2].helmet, OC_HELMET_YES);
    /* a sub_label, a model about something else, a face, a description:
     * nothing the rules use, nothing dropped */
    feed(a, "frigate/tracked_object_update",
         "{\"type\":\"classification\",\"id\":\"r1\",\"camera\":\"street_cam\","
         "\"timestamp\":1.0,\"model\":\"person_classifier\",\"sub_label\":\"delivery_person\","
         "\"score\":0.87}");
    feed(a, "frigate/tracked_object_update",
         "{\"type\":\"classification\",\"id\":\"r1\",\"camera\":\"street_cam\","
         "\"timestamp\":1.0,\"model\":\"colour\",\"attribute\":\"no\",\"score\":0.87}");
    feed(a, "frigate/tracked_object_update",
         "{\"type\":\"face\",\"id\":\"r1\",\"name\":\"John\",\"score\":0.95,"
         "\"camera\":\"street_cam\",\"timestamp\":1607123958.748393}");
    feed(a, "frigate/tracked_object_update",
         "{\"type\":\"description\",\"id\":\"r1\",\"description\":\"a red sedan\"}");
    assert_int_equal(c.n_det, 3);
    assert_int_equal(total_drops(&c), 0);
    /* the helmet attribute stays with the object's later positions */
    feed(a, "frigate/events",
         "{\"type\":\"update\",\"after\":{\"id\":\"r1\",\"camera\":\"street_cam\","
         "\"label\":\"motorcycle\",\"box\":[300,100,400,300],\"frame_time\":1607123961.0}}");
    assert_int_equal(c.obj[3].helmet, OC_HELMET_YES);
    assert_string_equal(c.obj[3].plate, "晋E12345");
    oc_adapt_free(a);
    oc_config_free(cfg);
}

static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0xff, 0xd9};

/* The snapshot JPEG is placed at the time of the event's snapshot. */
static void snapshots(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_frigate();
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    const char *t = "frigate/front_door/car/snapshot";
    /* a retained snapshot from before any event: no time for it */
    oc_adapt_feed(a, t, strlen(t), jpeg, sizeof jpeg, 0);
    assert_int_equal(c.n_frames, 0);
    assert_int_equal(c.drops[OC_C_DROP_MISSING_FIELD], 1);
    feed(a, "frigate/events",
         EV_AFTER("new", "x1", "car", "[432,496,544,854]", "1607123962.082975", ""));
    oc_adapt_feed(a, t, strlen(t), jpeg, sizeof jpeg, 0);
    assert_int_equal(c.n_frames, 1);
    assert_int_equal(c.frame_cam[0], 0);
    assert_int_equal(c.frame_ts[0], 1607123965975); /* snapshot.frame_time */
    assert_int_equal(c.frame_len[0], sizeof jpeg);
    /* another label of the same camera has no time yet */
    const char *tp = "frigate/front_door/person/snapshot";
    oc_adapt_feed(a, tp, strlen(tp), jpeg, sizeof jpeg, 0);
    assert_int_equal(c.drops[OC_C_DROP_MISSING_FIELD], 2);
    /* not a JPEG */
    oc_adapt_feed(a, t, strlen(t), "GIF89a", 6, 0);
    assert_int_equal(c.drops[OC_C_DROP_NOT_JPEG], 1);
    /* the other camera's filter does not take front_door's snapshots */
    const char *ts = "frigate/street_cam/car/snapshot";
    oc_adapt_feed(a, ts, strlen(ts), jpeg, sizeof jpeg, 0);
    assert_int_equal(c.n_frames, 1);
    assert_int_equal(c.drops[OC_C_DROP_MISSING_FIELD], 3);
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* Frigate (re)started or stopped: its objects are gone. */
static void available(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_frigate();
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    feed(a, "frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":3000.0}}");
    feed(a, "frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"b\",\"camera\":\"street_cam\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":3001.0}}");
    feed(a, "frigate/available", "online");
    assert_int_equal(c.n_ends, 2);
    assert_int_equal(c.end_ts[0] == 3000000 ? c.end_ts[1] : c.end_ts[0], 3001000);
    feed(a, "frigate/available", "offline");
    assert_int_equal(c.n_ends, 2); /* nothing left */
    feed(a, "frigate/available", "maybe");
    assert_int_equal(c.drops[OC_C_DROP_BAD_VALUE], 1);
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* Each kind of bad payload is counted under one reason; nothing else
 * happens. */
static void bad_payloads(void **state)
{
    (void)state;
    static const struct {
        const char *topic, *payload;
        enum oc_counter why;
    } bad[] = {
        {"frigate/events", "not json", OC_C_DROP_BAD_JSON},
        {"frigate/events", "[1,2]", OC_C_DROP_NOT_OBJECT},
        {"frigate/events", "{\"after\":{}}", OC_C_DROP_MISSING_FIELD},
        {"frigate/events", "{\"type\":\"new\"}", OC_C_DROP_MISSING_FIELD},
        {"frigate/events", "{\"type\":\"gone\",\"after\":{}}", OC_C_DROP_BAD_VALUE},
        {"frigate/events", "{\"type\":5,\"after\":{}}", OC_C_DROP_WRONG_TYPE},
        {"frigate/events", "{\"type\":\"new\",\"after\":[]}", OC_C_DROP_WRONG_TYPE},
        {"frigate/events", "{\"type\":\"new\",\"after\":{\"id\":\"a\"}}", OC_C_DROP_MISSING_FIELD},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"garage\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":1.0}}",
         OC_C_DROP_UNKNOWN_CAMERA},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":1.0}}",
         OC_C_DROP_MISSING_FIELD},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3],\"frame_time\":1.0}}",
         OC_C_DROP_WRONG_TYPE},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[5,2,3,4],\"frame_time\":1.0}}",
         OC_C_DROP_BAD_VALUE},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,\"4\"],\"frame_time\":1.0}}",
         OC_C_DROP_WRONG_TYPE},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,1e9],\"frame_time\":1.0}}",
         OC_C_DROP_BAD_VALUE},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4]}}",
         OC_C_DROP_MISSING_FIELD},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":\"now\"}}",
         OC_C_DROP_WRONG_TYPE},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":-5}}",
         OC_C_DROP_BAD_VALUE},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":1e300}}",
         OC_C_DROP_BAD_VALUE},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":1.0}}",
         OC_C_DROP_BAD_VALUE},
        {"frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":7,"
         "\"box\":[1,2,3,4],\"frame_time\":1.0}}",
         OC_C_DROP_WRONG_TYPE},
        {"frigate/events", "{\"type\":\"new\",\"type\":\"end\",\"after\":{}}",
         OC_C_DROP_DUPLICATE_KEY},
        {"frigate/tracked_object_update", "{\"id\":\"a\"}", OC_C_DROP_MISSING_FIELD},
        {"frigate/tracked_object_update", "{\"type\":\"lpr\",\"id\":\"a\"}",
         OC_C_DROP_MISSING_FIELD},
        {"frigate/tracked_object_update",
         "{\"type\":\"lpr\",\"id\":\"a\",\"camera\":\"front_door\"}", OC_C_DROP_MISSING_FIELD},
        {"frigate/tracked_object_update",
         "{\"type\":\"lpr\",\"id\":\"a\",\"camera\":\"front_door\",\"plate\":12}",
         OC_C_DROP_WRONG_TYPE},
        {"frigate/tracked_object_update",
         "{\"type\":\"lpr\",\"id\":\"a\",\"camera\":\"front_door\","
         "\"plate\":\"0123456789012345678901234567890123\"}",
         OC_C_DROP_BAD_VALUE},
        {"frigate/tracked_object_update",
         "{\"type\":\"lpr\",\"id\":\"a\",\"camera\":\"nowhere\",\"plate\":\"A1\"}",
         OC_C_DROP_UNKNOWN_CAMERA},
        {"frigate/tracked_object_update",
         "{\"type\":\"classification\",\"id\":\"a\",\"camera\":\"front_door\","
         "\"model\":\"helmet\",\"attribute\":[]}",
         OC_C_DROP_WRONG_TYPE},
        {"frigate/front_door/car/snapshot", "GIF89a", OC_C_DROP_NOT_JPEG},
    };
    struct oc_config *cfg = cfg_frigate();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cap c = {0};
        struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
        feed(a, bad[i].topic, bad[i].payload);
        if (c.drops[bad[i].why] != 1 || total_drops(&c) != 1)
            fail_msg("case %zu (%s): expected one %s", i, bad[i].payload,
                     oc_counter_name(bad[i].why));
        assert_int_equal(c.n_det, 0);
        assert_int_equal(c.n_frames, 0);
        assert_int_equal(oc_adapt_counter(a, OC_FORMAT_FRIGATE, bad[i].why), 1);
        oc_adapt_free(a);
    }
    /* optional fields of the wrong type drop only themselves */
    struct cap c = {0};
    struct oc_adapt *a = oc_adapt_new(cfg, &sink, &c);
    feed(a, "frigate/events",
         "{\"type\":\"new\",\"after\":{\"id\":\"a\",\"camera\":\"front_door\",\"label\":\"car\","
         "\"box\":[1,2,3,4],\"frame_time\":1.0,\"score\":\"high\","
         "\"recognized_license_plate\":5,\"end_time\":null}}");
    assert_int_equal(c.n_det, 1);
    assert_int_equal(c.drops[OC_C_FIELD_DROPPED], 2);
    assert_true(c.obj[0].conf == 1);
    assert_string_equal(c.obj[0].plate, "");
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* Through the engine: a car parked in a no-parking zone that Frigate stops
 * talking about (it does not move) still reaches its dwell; Frigate losing
 * it and re-detecting it under a new id continues the stay. */
struct eng_cap {
    struct oc_engine *eng;
    int n;
    char type[8][48];
    int64_t ts[8], start[8];
};

static void e_violation(void *ud, const struct oc_violation *v)
{
    struct eng_cap *c = ud;
    if (c->n < 8) {
        snprintf(c->type[c->n], sizeof c->type[0], "%s", v->type);
        c->ts[c->n] = v->ts;
        c->start[c->n++] = v->ts_start;
    }
}
static void e_det(void *ud, int cam, const struct oc_detections *d)
{
    oc_engine_feed_detections(((struct eng_cap *)ud)->eng, cam, d);
}
static void e_end(void *ud, int cam, const char *id, int64_t ts)
{
    oc_engine_end_track(((struct eng_cap *)ud)->eng, cam, id, ts);
}
static void e_drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    (void)ud, (void)cam, (void)f;
    fail_msg("dropped: %s", oc_counter_name(why));
}

static void parked_car(void **state)
{
    (void)state;
    static const char text[] =
        "{\"box_id\":\"b\",\"track_timeout_s\":5,\"cameras\":[{\"id\":\"cam-f\",\"width\":1280,"
        "\"height\":720,\"format\":\"frigate\",\"source\":\"street\",\"zones\":[{\"id\":\"np\","
        "\"kind\":\"no_parking\",\"polygon\":[[0,0],[1280,0],[1280,720],[0,720]],\"dwell_s\":60,"
        "\"reacquire_s\":30}]},{\"id\":\"cam-n\",\"width\":1280,\"height\":720,"
        "\"track_timeout_s\":7}]}";
    char err[512];
    struct oc_config *cfg = oc_config_parse(text, strlen(text), "edge.json", err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    /* a frigate camera's tracks wait for Frigate's end; others keep theirs */
    assert_int_equal(cfg->cameras[0].track_timeout_ms, OC_FRIGATE_TRACK_TIMEOUT_S * 1000);
    assert_int_equal(cfg->cameras[1].track_timeout_ms, 7000);
    for (int redetect = 0; redetect < 2; redetect++) {
        struct eng_cap c = {0};
        static const struct oc_engine_sink es = {.violation = e_violation};
        static const struct oc_adapt_sink as = {
            .native = c_native, .detections = e_det, .end = e_end, .drop = e_drop};
        c.eng = oc_engine_new(cfg, &es, &c);
        struct oc_adapt *a = oc_adapt_new(cfg, &as, &c);
        feed(a, "frigate/events",
             "{\"type\":\"new\",\"after\":{\"id\":\"car1\",\"camera\":\"street\",\"label\":\"car\","
             "\"box\":[100,100,300,200],\"frame_time\":1000.0}}");
        if (redetect) {
            /* Frigate loses it at 1030 s and finds it again, still, at 1040 s */
            feed(a, "frigate/events",
                 "{\"type\":\"end\",\"after\":{\"id\":\"car1\",\"camera\":\"street\","
                 "\"label\":\"car\",\"box\":[100,100,300,200],\"frame_time\":1000.0,"
                 "\"end_time\":1030.0}}");
            oc_engine_tick(c.eng, 0, 1039000);
            feed(a, "frigate/events",
                 "{\"type\":\"new\",\"after\":{\"id\":\"car2\",\"camera\":\"street\","
                 "\"label\":\"car\",\"box\":[102,101,302,201],\"frame_time\":1040.0}}");
        }
        /* silence: only the box's silent-camera ticks move the clock */
        for (int64_t t = 1001000; t <= 1059000; t += 1000)
            oc_engine_tick(c.eng, 0, t);
        assert_int_equal(c.n, 0);
        oc_engine_tick(c.eng, 0, 1061000);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.type[0], "illegal_parking");
        assert_int_equal(c.start[0], 1000000);
        assert_int_equal(c.ts[0], 1060000);
        oc_adapt_free(a);
        oc_engine_free(c.eng);
    }
    oc_config_free(cfg);
}

/* An event is a frame of its camera: the objects Frigate tracks there and
 * has not reported moving are observed again, unmoved, at its frame_time;
 * not those of another camera, not an ended one, not one already newer. */
struct frame_cap {
    int n;
    size_t n_objs[8];
    char ids[8][4][72];
    double x[8][4];
    int64_t ts[8];
};

static void f_det(void *ud, int cam, const struct oc_detections *d)
{
    struct frame_cap *c = ud;
    (void)cam;
    if (c->n >= 8)
        return;
    c->ts[c->n] = d->ts;
    c->n_objs[c->n] = d->n_objs;
    for (size_t i = 0; i < d->n_objs && i < 4; i++) {
        snprintf(c->ids[c->n][i], sizeof c->ids[0][0], "%s", d->objs[i].id);
        c->x[c->n][i] = d->objs[i].x;
    }
    c->n++;
}

static void f_drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    (void)ud, (void)cam, (void)f;
    fail_msg("dropped: %s", oc_counter_name(why));
}

static const char *f_id(const struct frame_cap *c, int k, const char *id, double *x)
{
    for (size_t i = 0; i < c->n_objs[k] && i < 4; i++)
        if (strcmp(c->ids[k][i], id) == 0) {
            *x = c->x[k][i];
            return c->ids[k][i];
        }
    return NULL;
}

static void still_objects(void **state)
{
    (void)state;
    struct oc_config *cfg = cfg_frigate();
    struct frame_cap c = {0};
    static const struct oc_adapt_sink as = {
        .native = c_native, .detections = f_det, .end = NULL, .drop = f_drop};
    struct oc_adapt *a = oc_adapt_new(cfg, &as, &c);
    static const char ev[] = "{\"type\":\"%s\",\"after\":{\"id\":\"%s\",\"camera\":\"%s\","
                             "\"label\":\"car\",\"box\":[%d,100,%d,200],\"frame_time\":%s}}";
    char buf[512];
    snprintf(buf, sizeof buf, ev, "new", "parked", "street_cam", 100, 300, "1000.0");
    feed(a, "frigate/events", buf);
    snprintf(buf, sizeof buf, ev, "new", "other-cam", "front_door", 100, 300, "1001.0");
    feed(a, "frigate/events", buf);
    snprintf(buf, sizeof buf, ev, "new", "gone", "street_cam", 500, 600, "1002.0");
    feed(a, "frigate/events", buf);
    snprintf(buf, sizeof buf, ev, "end", "gone", "street_cam", 500, 600, "1003.0");
    feed(a, "frigate/events", buf);
    snprintf(buf, sizeof buf, ev, "new", "moving", "street_cam", 800, 900, "1005.0");
    feed(a, "frigate/events", buf);
    assert_int_equal(c.n, 5);
    double x = 0;
    /* the door camera's event carries only its own object */
    assert_int_equal(c.n_objs[1], 1);
    /* "gone"'s new: "parked" with it, unmoved */
    assert_int_equal(c.n_objs[2], 2);
    assert_non_null(f_id(&c, 2, "parked", &x));
    assert_true(x == 100);
    /* "gone"'s end: "parked" again at 1003 s */
    assert_int_equal(c.ts[3], 1003000);
    assert_non_null(f_id(&c, 3, "parked", &x));
    /* "moving" at 1005 s: "parked" still there; "gone" ended, "other-cam" elsewhere */
    assert_int_equal(c.ts[4], 1005000);
    assert_int_equal(c.n_objs[4], 2);
    assert_non_null(f_id(&c, 4, "moving", &x));
    assert_non_null(f_id(&c, 4, "parked", &x));
    assert_null(f_id(&c, 4, "gone", &x));
    /* after a restart the adapter learns the engine's live tracks: a still
     * object it knows only so is re-observed with the next event too */
    double box[4] = {40, 50, 60, 70};
    oc_adapt_known(a, 1, "from-engine", "car", box, 1004000);
    oc_adapt_known(a, 1, "parked", "car", box, 1004000); /* known already: unchanged */
    snprintf(buf, sizeof buf, ev, "update", "moving", "street_cam", 840, 940, "1006.0");
    feed(a, "frigate/events", buf);
    assert_int_equal(c.n_objs[5], 3);
    assert_non_null(f_id(&c, 5, "from-engine", &x));
    assert_true(x == 40);
    assert_non_null(f_id(&c, 5, "parked", &x));
    assert_true(x == 100);
    c.n = 5;
    /* an event older than what "parked" last showed does not re-show it */
    snprintf(buf, sizeof buf, ev, "update", "moving", "street_cam", 820, 920, "1004.5");
    feed(a, "frigate/events", buf);
    assert_int_equal(c.n_objs[5], 1);
    oc_adapt_free(a);
    oc_config_free(cfg);
}

/* --check's warning: a frigate camera's stop lines (red-light rules need
 * frame-rate input), and only those: not its exit lines, not another
 * format's stop lines. */
static void lint_count(void *ud, const char *msg)
{
    int *n = ud;
    assert_non_null(strstr(msg, "stop line s1"));
    assert_non_null(strstr(msg, "cam-f"));
    (*n)++;
}

static void lint(void **state)
{
    (void)state;
    static const char fmt[] =
        "{\"box_id\":\"b\",\"signals\":[{\"id\":\"g\"}],\"cameras\":[{\"id\":\"cam-f\","
        "\"width\":1280,\"height\":720,\"format\":\"%s\",\"lines\":[{\"id\":\"x1\",\"kind\":\"exit_"
        "line\","
        "\"points\":[[0,100],[1280,100]],\"direction\":[0,-1]}%s]},{\"id\":\"cam-d\",\"width\":"
        "1280,\"height\":720,"
        "\"format\":\"deepstream\",\"lines\":[{\"id\":\"s2\",\"kind\":\"stop_line\","
        "\"points\":[[0,400],[1280,400]],\"direction\":[0,-1],\"signal\":\"g\"}]}]}";
    static const char stop[] = ",{\"id\":\"s1\",\"kind\":\"stop_line\",\"points\":[[0,300],"
                               "[1280,300]],\"direction\":[0,-1],\"signal\":\"g\"}";
    const char *cases[][2] = {{"frigate", stop}, {"frigate", ""}, {"onvif", stop}};
    const int want[] = {1, 0, 0};
    for (int i = 0; i < 3; i++) {
        char text[1024], err[512];
        snprintf(text, sizeof text, fmt, cases[i][0], cases[i][1]);
        struct oc_config *cfg = oc_config_parse(text, strlen(text), "edge.json", err, sizeof err);
        if (!cfg)
            fail_msg("%s", err);
        int n = 0;
        assert_int_equal(oc_adapt_lint(cfg, lint_count, &n), (size_t)want[i]);
        assert_int_equal(n, want[i]);
        oc_config_free(cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_fields), cmocka_unit_test(path_points),
        cmocka_unit_test(end_event),    cmocka_unit_test(object_updates),
        cmocka_unit_test(snapshots),    cmocka_unit_test(available),
        cmocka_unit_test(bad_payloads), cmocka_unit_test(parked_car),
        cmocka_unit_test(lint),         cmocka_unit_test(still_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
