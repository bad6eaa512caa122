/* libFuzzer target: arbitrary payloads on every topic kind through the
 * engine (decoder, limits, rules). The first byte picks the topic. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"

static const char CONFIG[] =
    "{\"box_id\":\"f\",\"signals\":[{\"id\":\"s\"}],\"limits\":{\"max_tracks_per_camera\":8,"
    "\"max_event_ids\":4},\"cameras\":[{\"id\":\"c\",\"width\":1920,\"height\":1080,"
    "\"zones\":[{\"id\":\"np\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[500,0],[500,500],[0,500]],\"dwell_s\":1},"
    "{\"id\":\"rd\",\"kind\":\"carriageway\",\"polygon\":[[0,0],[900,0],[900,900],[0,900]]},"
    "{\"id\":\"cw\",\"kind\":\"crosswalk\",\"polygon\":[[100,0],[200,0],[200,900],[100,900]]},"
    "{\"id\":\"ln\",\"kind\":\"lane\",\"polygon\":[[0,0],[900,0],[900,900],[0,900]],\"direction\":[1,0]},"
    "{\"id\":\"he\",\"kind\":\"helmet_enforcement\",\"polygon\":[[0,0],[900,0],[900,900],[0,900]]}],"
    "\"lines\":[{\"id\":\"st\",\"kind\":\"stop_line\",\"points\":[[300,0],[300,900]],\"direction\":[1,0],"
    "\"signal\":\"s\",\"exit_lines\":[\"ex\"],\"exit_s\":1},"
    "{\"id\":\"ex\",\"kind\":\"exit_line\",\"points\":[[600,0],[600,900]],\"direction\":[1,0]}],"
    "\"event_zones\":[\"rd\"]}]}";

static struct oc_config *cfg;

static void sink(void *ud, const struct oc_violation *v)
{
    (void)ud;
    if (!v->type || !v->camera_id)
        abort();
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
    static const char *const topics[] = {
        "ordercam/cameras/c/detections", "ordercam/cameras/c/events", "ordercam/signals/s",
        "ordercam/cameras/c/frames/1763802000000", "ordercam/cameras/x/detections"};
    static const struct oc_engine_sink s = {.violation = sink};
    struct oc_engine *e = oc_engine_new(cfg, &s, NULL);
    if (!e)
        return 0;
    /* Split the input into messages at '\n' so that sequences (signal then
     * crossing, stay then dwell) are reached. */
    size_t i = 0;
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - data) : size;
        if (end > i) {
            const char *topic = topics[data[i] % 5];
            oc_engine_feed(e, topic, strlen(topic), data + i + 1, end - i - 1);
        }
        i = end + 1;
    }
    oc_engine_finish(e);
    oc_engine_free(e);
    return 0;
}
