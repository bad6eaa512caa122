/* libFuzzer target for one input format (OC_FUZZ_FORMAT: deepstream,
 * deepstream-minimal or onvif): arbitrary payloads through the adapter
 * into the engine. JSON formats: the input is split at '\n' into messages
 * (so DeepStream frames assemble across messages); the first byte of each
 * picks its arrival step and camera. ONVIF: the whole input is one
 * document. */
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

static const char CONFIG[] =
    "{\"box_id\":\"f\",\"limits\":{\"max_tracks_per_camera\":8},\"cameras\":["
    "{\"id\":\"c\",\"width\":1920,\"height\":1080,\"format\":\"" STR(
        OC_FUZZ_FORMAT) "\","
                        "\"source\":\"CAMERA_ID\",\"topics\":[\"t/c\"],"
                        "\"zones\":[{\"id\":\"np\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[500,"
                        "0],[500,500],[0,500]],\"dwell_s\":1},"
                        "{\"id\":\"he\",\"kind\":\"helmet_enforcement\",\"polygon\":[[0,0],[900,0],"
                        "[900,900],[0,900]]}]},"
                        "{\"id\":\"d\",\"width\":640,\"height\":480,\"format\":\"" STR(
                            OC_FUZZ_FORMAT) "\","
                                            "\"topics\":[\"t/d\"]}]}";

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

static void drop(void *ud, int cam, enum oc_format f, enum oc_counter why)
{
    (void)ud, (void)cam, (void)f;
    oc_engine_count(eng, why);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    cfg = oc_config_parse(CONFIG, sizeof CONFIG - 1, "fuzz", err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct oc_engine_sink es = {.violation = violation};
    static const struct oc_adapt_sink as = {
        .native = native, .detections = detections, .drop = drop};
    eng = oc_engine_new(cfg, &es, NULL);
    struct oc_adapt *a = eng ? oc_adapt_new(cfg, &as, NULL) : NULL;
    if (!a) {
        oc_engine_free(eng);
        return 0;
    }
    if (cfg->cameras[0].format == 4 /* OC_FORMAT_ONVIF */) {
        oc_adapt_feed(a, "t/c", 3, data, size, 0);
    } else {
        size_t i = 0;
        int64_t rx = 0;
        while (i < size) {
            const uint8_t *nl = memchr(data + i, '\n', size - i);
            size_t end = nl ? (size_t)(nl - data) : size;
            if (end > i) {
                rx += data[i] & 0x7f;
                oc_adapt_tick(a, rx);
                oc_adapt_feed(a, data[i] & 0x80 ? "t/d" : "t/c", 3, data + i + 1, end - i - 1, rx);
            }
            i = end + 1;
        }
    }
    oc_adapt_flush(a);
    oc_engine_finish(eng);
    oc_adapt_free(a);
    oc_engine_free(eng);
    return 0;
}
