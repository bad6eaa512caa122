/* End to end: the sample with frames through ordercam-replay --evidence;
 * in every red-light sheet the lens lit in each key frame's band is the
 * signal state the log's signal messages give at that frame's moment (the
 * governing signal named by the record), and the record's signal_state is
 * the log's state at ts_start.
 * usage: test_lamp_e2e SOURCE_DIR BUILD_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oc_proc.h"
#include "ordercam/oc_compose.h"
#include "ordercam/oc_evcfg.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_jpeg.h"
#include "ordercam/oc_json.h"

#define MAX_SIG 4096

static int failures;
#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "test_lamp_e2e: FAIL: " __VA_ARGS__);                                  \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

struct sigmsg {
    char signal[64];
    long long ts;
    char state[16];
};
static struct sigmsg sigs[MAX_SIG];
static size_t n_sigs;

static cJSON *parse(const char *line, size_t len)
{
    cJSON *j = NULL;
    return oc_json_parse(line, len, 1u << 24, 32, &j, NULL) == OC_JSON_OK ? j : NULL;
}

/* The log's signal messages, in log order. */
static void read_signals(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        CHECK(0, "cannot open %s", path);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (!strstr(line, "/signals/"))
            continue;
        cJSON *j = parse(line, (size_t)n);
        const cJSON *topic = cJSON_GetObjectItemCaseSensitive(j, "topic"),
                    *p = cJSON_GetObjectItemCaseSensitive(j, "payload");
        const char *slash = cJSON_IsString(topic) ? strrchr(topic->valuestring, '/') : NULL;
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(p, "ts"),
                    *st = cJSON_GetObjectItemCaseSensitive(p, "state");
        if (slash && cJSON_IsNumber(ts) && cJSON_IsString(st) && n_sigs < MAX_SIG) {
            struct sigmsg *m = &sigs[n_sigs++];
            snprintf(m->signal, sizeof m->signal, "%s", slash + 1);
            m->ts = (long long)ts->valuedouble;
            snprintf(m->state, sizeof m->state, "%s", st->valuestring);
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
}

/* The signal's state at t in the log: its latest message at or before t. */
static const char *state_at(const char *signal, long long t)
{
    const char *s = "unknown";
    long long best = -1;
    for (size_t i = 0; i < n_sigs; i++)
        if (strcmp(sigs[i].signal, signal) == 0 && sigs[i].ts <= t && sigs[i].ts >= best) {
            best = sigs[i].ts;
            s = sigs[i].state;
        }
    return s;
}

/* The lens a state lights: flashing lights yellow, off and unknown none. */
static const char *lens_of(const char *state)
{
    return strcmp(state, "flashing") == 0                               ? "yellow"
           : strcmp(state, "off") == 0 || strcmp(state, "unknown") == 0 ? "none"
                                                                        : state;
}

/* The lens lit in the band's right half: "red", "yellow", "green" or
 * "none" (several lit colours: "mixed"). */
static const char *lit_lens(const struct oc_image *img, int x0, int y0, int w, int h)
{
    int red = 0, yellow = 0, green = 0;
    for (int y = y0; y < y0 + h && y < img->h; y++)
        for (int x = x0 + w / 2; x < x0 + w && x < img->w; x++) {
            const unsigned char *p = img->px + ((size_t)y * img->w + x) * 3;
            if (p[0] > 200 && p[1] < 70 && p[2] < 70)
                red++;
            else if (p[0] > 200 && p[1] > 150 && p[2] < 80)
                yellow++;
            else if (p[0] < 80 && p[1] > 160 && p[2] < 80)
                green++;
        }
    int lit = (red > 30) + (yellow > 30) + (green > 30);
    return lit > 1       ? "mixed"
           : red > 30    ? "red"
           : yellow > 30 ? "yellow"
           : green > 30  ? "green"
                         : "none";
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_lamp_e2e SOURCE_DIR BUILD_DIR\n");
        return 2;
    }
    const char *src = argv[1], *bin = argv[2];
    char dir[256], cmd[2048], path[512];
    if (oc_tmpdir(dir, sizeof dir) != 0)
        return 1;
    setenv("TZ", "CST-8", 1);
    snprintf(
        cmd, sizeof cmd,
        "'%s/ordercam-gen' sample --frames --scene '%s/samples/scene.json' --out '%s/sf.jsonl' && "
        "'%s/ordercam-replay' --config '%s/samples/scene.json' --log '%s/sf.jsonl' "
        "--evidence '%s/ev' --out '%s/out.jsonl' -q",
        bin, src, dir, bin, src, dir, dir, dir);
    CHECK(system(cmd) == 0, "gen/replay failed: %s", cmd);
    snprintf(path, sizeof path, "%s/sf.jsonl", dir);
    read_signals(path);
    CHECK(n_sigs > 0, "no signal messages in the log");
    char err[256];
    struct oc_font *font = oc_font_open(OC_EVIDENCE_FONT_DEFAULT, err, sizeof err);
    CHECK(font != NULL, "%s", err);
    struct oc_jpeg *jd = oc_jpeg_new();
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int sheets = 0, cells = 0, red_cells = 0;
    while (f && font && (n = getline(&line, &cap, f)) > 0) {
        cJSON *r = parse(line, (size_t)n);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(r, "type"),
                    *signal = cJSON_GetObjectItemCaseSensitive(r, "signal"),
                    *ev = cJSON_GetObjectItemCaseSensitive(r, "evidence");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "red_light") != 0 ||
            !cJSON_IsString(signal) || !cJSON_IsObject(ev)) {
            cJSON_Delete(r);
            continue;
        }
        long long ts_start =
            (long long)cJSON_GetObjectItemCaseSensitive(r, "ts_start")->valuedouble;
        const cJSON *ss = cJSON_GetObjectItemCaseSensitive(r, "signal_state");
        CHECK(cJSON_IsString(ss) &&
                  strcmp(ss->valuestring, state_at(signal->valuestring, ts_start)) == 0,
              "record signal_state is not the log's at ts_start");
        const cJSON *frames = cJSON_GetObjectItemCaseSensitive(ev, "frames");
        const char *file = cJSON_GetObjectItemCaseSensitive(ev, "file")->valuestring;
        snprintf(path, sizeof path, "%s/ev/%s", dir, file);
        size_t len;
        unsigned char *jp = oc_io_read_file(path, 64u << 20, &len);
        struct oc_image img = {0};
        int ax, ay;
        CHECK(jp && oc_jpeg_decode(jd, jp, len, 8, NULL, &img, &ax, &ay) == OC_OK,
              "cannot decode %s", path);
        int nf = cJSON_GetArraySize(frames);
        struct oc_compose_geom g;
        oc_compose_geometry(font, 1920, 1080, (size_t)nf, &g);
        for (int i = 0; img.px && i < nf; i++) {
            long long fts = (long long)cJSON_GetArrayItem(frames, i)->valuedouble;
            /* the lamp shows the key moment, within the evidence tolerance
             * of the frame: a change inside it may show either state */
            const char *want = lens_of(state_at(signal->valuestring, fts));
            const char *alt_a = lens_of(state_at(signal->valuestring, fts - 200)),
                       *alt_b = lens_of(state_at(signal->valuestring, fts + 200));
            const char *got = lit_lens(&img, (i % 2) * g.cell_w, (i / 2) * g.row_h + g.cell_h,
                                       g.cell_w, g.band_h);
            CHECK(strcmp(got, want) == 0 || strcmp(got, alt_a) == 0 || strcmp(got, alt_b) == 0,
                  "%s cell %d (frame %lld): lamp %s, the log says %s", file, i, fts, got, want);
            cells++;
            red_cells += strcmp(got, "red") == 0;
        }
        free(img.px);
        free(jp);
        sheets++;
        cJSON_Delete(r);
    }
    free(line);
    if (f)
        fclose(f);
    CHECK(sheets >= 1, "no red-light sheet in the sample");
    CHECK(red_cells >= 2, "the red light's cells do not show red (%d of %d)", red_cells, cells);
    oc_jpeg_free(jd);
    if (font)
        oc_font_free(font);
    oc_rmtree(dir);
    if (failures)
        return 1;
    printf("test_lamp_e2e: ok (%d sheets, %d cells, %d red)\n", sheets, cells, red_cells);
    return 0;
}
