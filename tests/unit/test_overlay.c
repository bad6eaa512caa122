/* The live view's drawing in C (oc_overlay) and ordercam-replay --render:
 *  - on a plain image: zones, lines (coloured by their signal's state),
 *    tracks' boxes and anchors land on their camera pixels and not beside
 *    them, also on an image of half the camera's size;
 *  - --render on the sample with its frames: the files exist for the chosen
 *    camera and range only, decode at the camera's size, the exit line is
 *    drawn where the config puts it and the tracks' boxes where the log's
 *    detections put them; --render-violations writes only frames within
 *    2 s of a violation. */
#include "oc_test.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "oc_proc.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_jpeg.h"
#include "ordercam/oc_overlay.h"
#include "ordercam/oc_scene.h"

#define ZONES                                                                                      \
    "[{\"id\":\"np\",\"kind\":\"no_parking\",\"polygon\":[[100,100],[500,100],[500,400],[100,400]" \
    "]}]"
#define LINES                                                                                      \
    "[{\"id\":\"stop\",\"kind\":\"stop_line\",\"points\":[[1200,100],[1200,900]],"                 \
    "\"direction\":[1,0],\"signal\":\"s\"},{\"id\":\"exit\",\"kind\":\"exit_line\","               \
    "\"points\":[[1600,100],[1600,900]],\"direction\":[1,0]}]"

static const unsigned char *at(const struct oc_image *img, int x, int y)
{
    return img->px + ((size_t)y * (size_t)img->w + (size_t)x) * 3;
}

static int near(const unsigned char *p, struct oc_overlay_rgb c, int tol)
{
    for (int i = 0; i < 3; i++)
        if (abs(p[i] - c.c[i]) > tol)
            return 0;
    return 1;
}

static void grey(struct oc_image *img, int w, int h)
{
    img->w = w;
    img->h = h;
    img->px = malloc((size_t)w * (size_t)h * 3);
    assert_non_null(img->px);
    memset(img->px, 40, (size_t)w * (size_t)h * 3);
}

static void drawn_where_configured(void **state)
{
    (void)state;
    struct t_env *env = t_env_new(t_cfg(ZONES, LINES, ""));
    t_sig(env, "s", 1000, "red");
    t_obj(env, "c", 1000, "car1", "car", 700, 500, 200, 100, NULL);
    struct oc_scene *sc = malloc(sizeof *sc);
    oc_scene_take(env->eng, 0, sc);
    for (int half = 0; half <= 1; half++) {
        int d = half ? 2 : 1;
        struct oc_image img;
        grey(&img, 1920 / d, 1080 / d);
        struct oc_overlay_in in = {.cfg = env->cfg, .scene = sc};
        oc_overlay_draw(&img, NULL, &in);
        struct oc_overlay_rgb np = oc_overlay_zone_color(OC_ZONE_NO_PARKING);
        struct oc_overlay_rgb red = oc_overlay_signal_color(OC_SIG_RED);
        /* the zone's left edge at x = 100, not 10 px beside it */
        assert_true(near(at(&img, 100 / d, 250 / d), np, 0));
        assert_false(near(at(&img, 90 / d, 250 / d), np, 60));
        /* inside: a light fill of the zone's colour, outside none */
        assert_true(at(&img, 300 / d, 250 / d)[0] > 40 && at(&img, 300 / d, 250 / d)[0] < 100);
        assert_int_equal(at(&img, 300 / d, 600 / d)[0], 40);
        /* the stop line in the signal's red, the exit line blue */
        assert_true(near(at(&img, 1200 / d, 300 / d), red, 0));
        assert_false(near(at(&img, 1210 / d, 300 / d), red, 60));
        assert_true(near(at(&img, 1600 / d, 300 / d), OC_OVERLAY_EXIT, 0));
        /* the track's box edges and its anchor (bottom centre) */
        assert_true(near(at(&img, 900 / d, 550 / d), OC_OVERLAY_TRACK, 0));
        assert_true(near(at(&img, 750 / d, 500 / d), OC_OVERLAY_TRACK, 0));
        assert_false(near(at(&img, 910 / d, 550 / d), OC_OVERLAY_TRACK, 60));
        assert_true(near(at(&img, 800 / d, 600 / d), OC_OVERLAY_ANCHOR, 0));
        free(img.px);
    }
    /* green now: the stop line follows */
    t_sig(env, "s", 2000, "green");
    t_empty(env, "c", 2100);
    oc_scene_take(env->eng, 0, sc);
    struct oc_image img;
    grey(&img, 1920, 1080);
    struct oc_overlay_in in = {.cfg = env->cfg, .scene = sc};
    oc_overlay_draw(&img, NULL, &in);
    assert_true(near(at(&img, 1200, 300), oc_overlay_signal_color(OC_SIG_GREEN), 0));
    free(img.px);
    free(sc);
    t_env_free(env);
}

/* ---- --render on the sample ---- */

static int run(char *const argv[], const char *log)
{
    struct oc_proc p;
    if (oc_proc_start(&p, argv, log) != 0)
        return -1;
    return oc_proc_stop(&p, 0);
}

/* The boxes of cam-e1's detection at ts in the log (up to 16). */
static int boxes_at(const char *logpath, long long ts, double box[16][4])
{
    FILE *f = fopen(logpath, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    while (getline(&line, &cap, f) > 0 && n == 0) {
        if (!strstr(line, "cam-e1/detections"))
            continue;
        cJSON *j = cJSON_Parse(line);
        cJSON *pl = cJSON_GetObjectItem(j, "payload"); /* the sample has broken lines too */
        cJSON *t = cJSON_GetObjectItem(pl, "ts");
        if (cJSON_IsNumber(t) && (long long)t->valuedouble == ts) {
            cJSON *o;
            cJSON_ArrayForEach(o, cJSON_GetObjectItem(pl, "objects"))
            {
                cJSON *b = cJSON_GetObjectItem(o, "box");
                for (int k = 0; k < 4 && n < 16; k++)
                    box[n][k] = cJSON_GetArrayItem(b, k)->valuedouble;
                n += n < 16;
            }
            if (n == 0)
                n = -1; /* found, no objects */
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    return n < 0 ? 0 : n;
}

struct files {
    long long ts[4096];
    size_t n;
};

static void list(const char *dir, struct files *fs)
{
    fs->n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && fs->n < 4096)
        if (strstr(e->d_name, ".jpg"))
            fs->ts[fs->n++] = atoll(e->d_name);
    closedir(d);
}

static void render_sample(void **state)
{
    (void)state;
    const char *bin = getenv("OC_BIN"), *samples = getenv("OC_SAMPLES");
    assert_non_null(bin);
    assert_non_null(samples);
    char tmp[512], gen[1024], replay[1024], scene[1024], log[1024], out[1024], plog[1024];
    assert_int_equal(oc_tmpdir(tmp, sizeof tmp), 0);
    snprintf(gen, sizeof gen, "%s/ordercam-gen", bin);
    snprintf(replay, sizeof replay, "%s/ordercam-replay", bin);
    snprintf(scene, sizeof scene, "%s/scene.json", samples);
    snprintf(log, sizeof log, "%s/sample.jsonl", tmp);
    snprintf(plog, sizeof plog, "%s/proc.log", tmp);
    char *g[] = {gen, "sample", "--frames", "--scene", scene, "--out", log, NULL};
    assert_int_equal(run(g, plog), 0);

    /* 20 s of cam-e1 around its first red light (ts 1763802038000) */
    const long long from = 1763802030000LL, to = 1763802050000LL;
    snprintf(out, sizeof out, "%s/render", tmp);
    char fs_[32], ts_[32];
    snprintf(fs_, sizeof fs_, "%lld", from);
    snprintf(ts_, sizeof ts_, "%lld", to);
    char *r[] = {replay,   "--config",  scene,      "--log", log,         "--quiet",
                 "--out",  "/dev/null", "--render", out,     "--cameras", "cam-e1",
                 "--from", fs_,         "--to",     ts_,     NULL};
    assert_int_equal(run(r, plog), 0);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/cam-s1", out);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0); /* not chosen */
    snprintf(dir, sizeof dir, "%s/cam-e1", out);
    static struct files fs;
    list(dir, &fs);
    assert_true(fs.n >= 20); /* one a second at least, every frame near activity */
    struct oc_jpeg *j = oc_jpeg_new();
    int checked_boxes = 0, hits = 0;
    for (size_t i = 0; i < fs.n; i++) {
        assert_true(fs.ts[i] >= from && fs.ts[i] <= to);
        char path[1200];
        snprintf(path, sizeof path, "%s/%lld.jpg", dir, fs.ts[i]);
        size_t len;
        unsigned char *data = oc_io_read_file(path, 16u << 20, &len);
        assert_non_null(data);
        struct oc_image img = {0};
        int ax, ay;
        assert_int_equal(oc_jpeg_decode(j, data, len, 8, NULL, &img, &ax, &ay), OC_OK);
        assert_int_equal(img.w, 1920);
        assert_int_equal(img.h, 1080);
        /* exit-e2: (1500,300)-(1500,700), blue; not 20 px beside */
        assert_true(near(at(&img, 1500, 420), OC_OVERLAY_EXIT, 70));
        assert_false(near(at(&img, 1520, 420), OC_OVERLAY_EXIT, 70));
        double box[16][4];
        int nb = boxes_at(log, fs.ts[i], box);
        for (int b = 0; b < nb; b++) {
            int x = (int)lround(box[b][0] + box[b][2]), y = (int)lround(box[b][1] + box[b][3] / 2);
            if (x >= 1920 || y >= 1080)
                continue;
            checked_boxes++;
            hits += near(at(&img, x, y), OC_OVERLAY_TRACK, 80);
        }
        free(img.px);
        free(data);
    }
    /* boxes may overlap one another's edges or labels: most, not all */
    assert_true(checked_boxes >= 10);
    assert_true(hits * 10 >= checked_boxes * 8);

    /* --render-violations: only frames within 2 s of one of cam-e1's violations */
    snprintf(out, sizeof out, "%s/viol", tmp);
    char *rv[] = {replay,
                  "--config",
                  scene,
                  "--log",
                  log,
                  "--quiet",
                  "--out",
                  "/dev/null",
                  "--render",
                  out,
                  "--render-violations",
                  "--cameras",
                  "cam-e1",
                  NULL};
    assert_int_equal(run(rv, plog), 0);
    snprintf(dir, sizeof dir, "%s/cam-e1", out);
    list(dir, &fs);
    assert_true(fs.n > 0);
    char exp[1024];
    snprintf(exp, sizeof exp, "%s/expected/sample.violations.jsonl", samples);
    FILE *f = fopen(exp, "r");
    assert_non_null(f);
    long long vts[256];
    size_t nv = 0;
    char line[8192];
    while (fgets(line, sizeof line, f) && nv < 256) {
        if (!strstr(line, "\"camera\":\"cam-e1\""))
            continue;
        cJSON *v = cJSON_Parse(line);
        vts[nv++] = (long long)cJSON_GetObjectItem(v, "ts")->valuedouble;
        cJSON_Delete(v);
    }
    fclose(f);
    for (size_t i = 0; i < fs.n; i++) {
        int ok = 0;
        for (size_t k = 0; k < nv; k++)
            ok |= llabs(fs.ts[i] - vts[k]) <= 2000;
        assert_true(ok);
    }
    /* and each violation has its frames (the sample sends every frame near activity) */
    for (size_t k = 0; k < nv; k++) {
        int found = 0;
        for (size_t i = 0; i < fs.n; i++)
            found |= llabs(fs.ts[i] - vts[k]) <= 2000;
        assert_true(found);
    }
    oc_jpeg_free(j);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drawn_where_configured),
        cmocka_unit_test(render_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
