/* libFuzzer target for one input format, built once per format
 * (OC_FUZZ_FORMAT: deepstream, deepstream-minimal, onvif or frigate):
 * arbitrary payloads through the adapter into the engine.
 * - DeepStream: the input is split at '\n' into messages (so frames
 *   assemble across messages); the first byte of each picks its arrival
 *   step and camera.
 * - ONVIF: the whole input is one document.
 * - Frigate (docs/inputs.md, "Frigate"): split at '\n'; the first byte of
 *   each message picks its topic (events, tracked_object_update, a snapshot
 *   of one of two cameras, available), since Frigate's topic decides what a
 *   payload is (JSON, a JPEG, a word). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_adapt.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define FORMAT STR(OC_FUZZ_FORMAT)

#define ZONES                                                                                      \
    "\"zones\":[{\"id\":\"np\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[500,0],[500,500],[0,"   \
    "500]],\"dwell_s\":1},"                                                                        \
    "{\"id\":\"he\",\"kind\":\"helmet_enforcement\",\"polygon\":[[0,0],[900,0],[900,900],[0,900]]" \
    ","                                                                                            \
    "\"min_frames\":1}]"

#ifdef OC_FUZZ_FRIGATE
static const char CONFIG[] =
    "{\"box_id\":\"f\",\"limits\":{\"max_tracks_per_camera\":8},\"cameras\":["
    "{\"id\":\"c\",\"width\":1920,\"height\":1080,\"format\":\"frigate\",\"source\":"
    "\"front\"," ZONES
    ",\"lines\":[{\"id\":\"x\",\"kind\":\"exit_line\",\"points\":[[0,600],[1920,600]],"
    "\"direction\":[0,1]}]},"
    "{\"id\":\"d\",\"width\":640,\"height\":480,\"format\":\"frigate\",\"source\":\"back\"}]}";

static const char *const topics[] = {"frigate/events",
                                     "frigate/tracked_object_update",
                                     "frigate/front/car/snapshot",
                                     "frigate/back/person/snapshot",
                                     "frigate/available",
                                     "frigate/events"};
#else
static const char CONFIG[] =
    "{\"box_id\":\"f\",\"limits\":{\"max_tracks_per_camera\":8},\"cameras\":["
    "{\"id\":\"c\",\"width\":1920,\"height\":1080,\"format\":\"" FORMAT "\","
    "\"source\":\"CAMERA_ID\",\"topics\":[\"t/c\"]," ZONES "},"
    "{\"id\":\"d\",\"width\":640,\"height\":480,\"format\":\"" FORMAT "\",\"topics\":[\"t/d\"]}]}";
#endif

static struct oc_config *cfg;
static struct oc_engine *eng;

static void violation(void *ud, const struct oc_violation *v)
{
    (void)ud;
    if (!v->type || !v->camera_id)
        abort();
}

static void native(void *ud, const char *t, size_t tl, const void *p, size_t l, const cJSON *j)
{
    (void)ud, (void)t, (void)tl, (void)p, (void)l, (void)j;
    abort(); /* only foreign topics are fed */
}

static void detections(void *ud, int cam, const struct oc_detections *d)
{
    (void)ud;
    for (size_t i = 0; i < d->n_objs; i++)
        if (!d->objs[i].id || !d->objs[i].cls || d->objs[i].w < 0 || d->objs[i].h < 0)
            abort();
    oc_engine_feed_detections(eng, cam, d);
}

static void frame(void *ud, int cam, int64_t ts, const void *jpeg, size_t len)
{
    (void)ud;
    oc_engine_feed_camera_frame(eng, cam, ts, jpeg, len);
}

static void end(void *ud, int cam, const char *id, int64_t ts)
{
    (void)ud;
    if (!id || !*id)
        abort();
    oc_engine_end_track(eng, cam, id, ts);
}

static void drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    (void)ud, (void)cam;
    if ((int)f != (int)cfg->cameras[0].format)
        abort();
    oc_engine_count(eng, why);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[512];
    cfg = oc_config_parse(CONFIG, sizeof CONFIG - 1, "fuzz", err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    return 0;
}

/* One message: its first byte picks the topic (and for frame-rate formats
 * the arrival step), the rest is the payload. */
static void feed_one(struct oc_adapt *a, const uint8_t *m, size_t n, int64_t *rx)
{
#ifdef OC_FUZZ_FRIGATE
    const char *t = topics[m[0] % (sizeof topics / sizeof *topics)];
    oc_adapt_feed(a, t, strlen(t), m + 1, n - 1, 0);
    (void)rx;
#else
    *rx += m[0] & 0x7f;
    oc_adapt_tick(a, *rx);
    oc_adapt_feed(a, m[0] & 0x80 ? "t/d" : "t/c", 3, m + 1, n - 1, *rx);
#endif
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct oc_engine_sink es = {.violation = violation};
    static const struct oc_adapt_sink as = {
        .native = native, .detections = detections, .frame = frame, .end = end, .drop = drop};
    eng = oc_engine_new(cfg, &es, NULL);
    struct oc_adapt *a = eng ? oc_adapt_new(cfg, &as, NULL) : NULL;
    if (!a) {
        oc_engine_free(eng);
        return 0;
    }
    if (cfg->cameras[0].format == OC_FORMAT_ONVIF) {
        oc_adapt_feed(a, "t/c", 3, data, size, 0);
    } else {
        size_t i = 0;
        int64_t rx = 0;
        while (i < size) {
            const uint8_t *nl = memchr(data + i, '\n', size - i);
            size_t end = nl ? (size_t)(nl - data) : size;
            if (end > i)
                feed_one(a, data + i, end - i, &rx);
            i = end + 1;
        }
    }
    oc_adapt_flush(a);
    oc_engine_finish(eng);
    oc_adapt_free(a);
    oc_engine_free(eng);
    return 0;
}
