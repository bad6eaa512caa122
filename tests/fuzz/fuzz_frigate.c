/* libFuzzer target for the Frigate adapter (docs/inputs.md, "Frigate"):
 * arbitrary payloads through the adapter into the engine, end callbacks
 * included. The input is split at '\n' into messages; the first byte of
 * each picks its topic (events, tracked_object_update, a snapshot of one of
 * two cameras, available). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_adapt.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"

static const char CONFIG[] =
    "{\"box_id\":\"f\",\"limits\":{\"max_tracks_per_camera\":8},\"cameras\":["
    "{\"id\":\"c\",\"width\":1920,\"height\":1080,\"format\":\"frigate\",\"source\":\"front\","
    "\"zones\":[{\"id\":\"np\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[500,0],[500,500],[0,500]"
    "],\"dwell_s\":1},"
    "{\"id\":\"he\",\"kind\":\"helmet_enforcement\",\"polygon\":[[0,0],[900,0],[900,900],[0,900]],"
    "\"min_frames\":1}],"
    "\"lines\":[{\"id\":\"x\",\"kind\":\"exit_line\",\"points\":[[0,600],[1920,600]],\"direction\":"
    "[0,1]}]},"
    "{\"id\":\"d\",\"width\":640,\"height\":480,\"format\":\"frigate\",\"source\":\"back\"}]}";

static const char *const topics[] = {"frigate/events",
                                     "frigate/tracked_object_update",
                                     "frigate/front/car/snapshot",
                                     "frigate/back/person/snapshot",
                                     "frigate/available",
                                     "frigate/events"};

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
    abort(); /* only Frigate topics are fed */
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
    if (f != OC_FORMAT_FRIGATE)
        abort();
    oc_engine_count(eng, why);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[512];
    cfg = oc_config_parse(CONFIG, strlen(CONFIG), "fuzz", err, sizeof err);
    if (!cfg)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct oc_engine_sink es = {.violation = violation};
    static const struct oc_adapt_sink as = {
        .native = native, .detections = detections, .frame = frame, .end = end, .drop = drop};
    eng = oc_engine_new(cfg, &es, NULL);
    struct oc_adapt *a = oc_adapt_new(cfg, &as, NULL);
    if (!eng || !a)
        abort();
    size_t i = 0;
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t n = nl ? (size_t)(nl - (data + i)) : size - i;
        if (n > 0) {
            const char *t = topics[data[i] % (sizeof topics / sizeof *topics)];
            oc_adapt_feed(a, t, strlen(t), data + i + 1, n - 1, 0);
        }
        i += n + 1;
    }
    oc_adapt_flush(a);
    oc_engine_finish(eng);
    oc_adapt_free(a);
    oc_engine_free(eng);
    return 0;
}
