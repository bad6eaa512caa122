/* libFuzzer target: arbitrary payloads on every topic kind through the
 * engine (decoder, limits, rules, clock bounds, snapshots). The first byte
 * of each message picks the topic; with its high bit set, the message is
 * given a receive time (bits 4-6 pick one of eight minutes after
 * 1763802000000). Invariants: a record never starts after it happened, and
 * while every message had a receive time no record is dated beyond the
 * newest receive time + max_future_s; the final state saves and loads. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_clock.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"

static const char CONFIG[] =
    "{\"box_id\":\"f\",\"signals\":[{\"id\":\"s\"}],\"limits\":{\"max_tracks_per_camera\":8,"
    "\"max_event_ids\":4},\"cameras\":[{\"id\":\"c\",\"width\":1920,\"height\":1080,"
    "\"zones\":[{\"id\":\"np\",\"kind\":\"no_parking\",\"polygon\":[[0,0],[500,0],[500,500],[0,500]"
    "],\"dwell_s\":1},"
    "{\"id\":\"rd\",\"kind\":\"carriageway\",\"polygon\":[[0,0],[900,0],[900,900],[0,900]]},"
    "{\"id\":\"cw\",\"kind\":\"crosswalk\",\"polygon\":[[100,0],[200,0],[200,900],[100,900]]},"
    "{\"id\":\"ln\",\"kind\":\"lane\",\"polygon\":[[0,0],[900,0],[900,900],[0,900]],\"direction\":["
    "1,0]},"
    "{\"id\":\"he\",\"kind\":\"helmet_enforcement\",\"polygon\":[[0,0],[900,0],[900,900],[0,900]]}]"
    ","
    "\"lines\":[{\"id\":\"st\",\"kind\":\"stop_line\",\"points\":[[300,0],[300,900]],\"direction\":"
    "[1,0],"
    "\"signal\":\"s\",\"exit_lines\":[\"ex\"],\"exit_s\":1},"
    "{\"id\":\"ex\",\"kind\":\"exit_line\",\"points\":[[600,0],[600,900]],\"direction\":[1,0]}],"
    "\"event_zones\":[\"rd\"]}]}";

static struct oc_config *cfg;
static int64_t max_rx; /* newest receive time; OC_RX_UNKNOWN once a message had none */

static void sink(void *ud, const struct oc_violation *v)
{
    (void)ud;
    if (!v->type || !v->camera_id || v->ts_start > v->ts)
        abort();
    if (max_rx != OC_RX_UNKNOWN && v->ts > max_rx + cfg->max_future_ms)
        abort();
}

static void round_trip(struct oc_engine *e, const struct oc_engine_sink *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    if (oc_engine_save(e, f, 1) != OC_OK)
        abort();
    fclose(f);
    f = fmemopen(buf, len, "rb");
    struct oc_engine *back = f ? oc_engine_new(cfg, s, NULL) : NULL;
    if (back) {
        oc_engine_set_received(back, max_rx);
        if (oc_engine_load(back, f, 1) != OC_OK || oc_engine_counter(back, OC_C_CLOCK_RESETS))
            abort();
        oc_engine_free(back);
    }
    if (f)
        fclose(f);
    free(buf);
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
    bool first = true;
    max_rx = 0;
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - data) : size;
        if (end > i) {
            const char *topic = topics[data[i] % 5];
            if (data[i] & 0x80) {
                int64_t rx = 1763802000000 + ((data[i] >> 4) & 7) * 60000;
                oc_engine_set_received(e, rx);
                if (max_rx != OC_RX_UNKNOWN && rx > max_rx)
                    max_rx = rx;
            } else if (first) {
                max_rx = OC_RX_UNKNOWN; /* no receive time: only the jump bound */
            }
            first = false;
            oc_engine_feed(e, topic, strlen(topic), data + i + 1, end - i - 1);
        }
        i = end + 1;
    }
    round_trip(e, &s);
    oc_engine_finish(e);
    oc_engine_free(e);
    return 0;
}
