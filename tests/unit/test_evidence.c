/* Evidence images: the composed sheet is decoded back and measured (size,
 * boxes where the object was, close-up at full resolution, caption text),
 * its digest checked against the file, and every kind of bad frame is left
 * out and counted. Also the keeper that gathers key frames from the ring. */
#include "oc_test.h"
#include "oc_testimg.h"

/* the frames are written positionally; the public variant's fields at
 * their end stay zero */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "ordercam/oc_codes.h"
#include "ordercam/oc_compose.h"
#include "ordercam/oc_evbuild.h"
#include "ordercam/oc_evidence.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_jpeg.h"

#define W 1920
#define H 1080

/* A grey frame with a blue object filling box (frame pixels). */
static unsigned char *frame(int w, int h, const int box[4], size_t *len)
{
    struct oc_image img = {malloc((size_t)w * h * 3), w, h};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = img.px + ((size_t)y * w + x) * 3;
            int in = x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3];
            p[0] = in ? 20 : 110;
            p[1] = in ? 40 : 110;
            p[2] = in ? 230 : 110;
        }
    return oc_testimg_encode(&img, 90, len);
}

static struct oc_image decode(const unsigned char *jpeg, size_t len)
{
    return oc_testimg_decode(jpeg, len);
}

static const unsigned char *px(const struct oc_image *img, int x, int y)
{
    return img->px + ((size_t)y * img->w + x) * 3;
}

static int is_red(const unsigned char *p)
{
    return p[0] > 180 && p[1] < 80 && p[2] < 80;
}

static int is_blue(const unsigned char *p)
{
    return p[2] > 170 && p[0] < 90;
}

static struct oc_font *font(void)
{
    char err[256];
    struct oc_font *f = oc_font_open(OC_EVIDENCE_FONT_DEFAULT, err, sizeof err);
    if (!f)
        fail_msg("%s", err);
    return f;
}

static oc_err_t compose(struct oc_compose_frame *fr, size_t n, unsigned char **out, size_t *len,
                        struct oc_compose_report *rep, struct oc_font *f)
{
    struct oc_jpeg *j = oc_jpeg_new();
    struct oc_compose_in in = {W,
                               H,
                               fr,
                               n,
                               {"2025-11-22 17:00:11.800 UTC+08:00 red_light 1625 晋E12345",
                                "edge-1 · cam-e1 · 凤台路 x 泽州路"},
                               85};
    struct oc_image canvas = {0};
    oc_err_t e = oc_compose(j, f, &in, &canvas, out, len, rep);
    free(canvas.px);
    oc_jpeg_free(j);
    return e;
}

/* Three key frames + close-up make a 2x2 sheet of 960x540 cells over a
 * caption band; each key frame's object is boxed in red where it was. */
static void sheet_has_boxes_where_the_object_was(void **state)
{
    (void)state;
    int boxes[3][4] = {{400, 600, 200, 120}, {800, 500, 200, 120}, {1400, 300, 200, 120}};
    unsigned char *jp[3];
    struct oc_compose_frame fr[3];
    for (int i = 0; i < 3; i++) {
        jp[i] = frame(W, H, boxes[i], &fr[i].len);
        fr[i] = (struct oc_compose_frame){jp[i],
                                          fr[i].len,
                                          1000 + i * 100,
                                          {boxes[i][0], boxes[i][1], boxes[i][2], boxes[i][3]},
                                          "1",
                                          0,
                                          0,
                                          0};
    }
    unsigned char *out;
    size_t len;
    struct oc_compose_report rep;
    struct oc_font *f = font();
    assert_int_equal(compose(fr, 3, &out, &len, &rep, f), OC_OK);
    assert_int_equal(rep.n_used, 3);
    struct oc_image img = decode(out, len);
    assert_int_equal(img.w, 1920);
    struct oc_compose_geom g;
    assert_int_equal(oc_compose_geometry(f, W, H, 3, &g), 0);
    assert_int_equal(g.cell_w, 960);
    assert_int_equal(g.cell_h, 540);
    assert_true(g.band_h >= 20 && g.band_h < 60); /* each cell's label band */
    assert_int_equal(g.caption_y, 2 * g.row_h);
    assert_true(img.h > g.caption_y && img.h < g.caption_y + 200); /* the caption band */
    for (int i = 0; i < 3; i++) {
        int cx = (i % 2) * 960, cy = (i / 2) * g.row_h;
        int x0 = cx + boxes[i][0] / 2, y0 = cy + boxes[i][1] / 2;
        int x1 = x0 + boxes[i][2] / 2, y1 = y0 + boxes[i][3] / 2;
        int ym = (y0 + y1) / 2, xm = (x0 + x1) / 2;
        assert_true(is_red(px(&img, x0 - 2, ym)));   /* left edge, just outside */
        assert_true(is_red(px(&img, x1 + 1, ym)));   /* right edge */
        assert_true(is_red(px(&img, xm, y0 - 2)));   /* top */
        assert_true(is_red(px(&img, xm, y1 + 1)));   /* bottom */
        assert_true(is_blue(px(&img, xm, ym)));      /* the object itself is not covered */
        assert_false(is_red(px(&img, x0 - 12, ym))); /* and nothing is boxed elsewhere */
    }
    /* close-up (cell 4) at full resolution: the 200 px wide object is
     * 200 px wide there, against 100 in the half-size cells */
    int blue = 0;
    int ym = g.row_h + 270;
    for (int x = 960; x < 1920; x++)
        blue += is_blue(px(&img, x, ym));
    assert_in_range(blue, 192, 208);
    /* the caption band has text: light pixels on black */
    int light = 0;
    for (int y = g.caption_y; y < img.h; y++)
        for (int x = 0; x < 1920; x++)
            light += px(&img, x, y)[0] > 200;
    assert_true(light > 500);
    free(img.px);
    free(out);
    for (int i = 0; i < 3; i++)
        free(jp[i]);
    oc_font_free(f);
}

/* Chinese glyphs are real glyphs: two different hanzi render differently
 * (a missing glyph would be the same .notdef box for both). */
static void chinese_glyphs_render(void **state)
{
    (void)state;
    struct oc_font *f = font();
    struct oc_image a = {calloc(64 * 64, 3), 64, 64}, b = {calloc(64 * 64, 3), 64, 64};
    const unsigned char white[3] = {255, 255, 255};
    oc_font_draw(f, &a, 40, 4, 48, 64, "晋", white);
    oc_font_draw(f, &b, 40, 4, 48, 64, "泽", white);
    int lit = 0, diff = 0;
    for (int i = 0; i < 64 * 64 * 3; i++) {
        lit += a.px[i] > 128;
        diff += (a.px[i] > 128) != (b.px[i] > 128);
    }
    assert_true(lit > 100);
    assert_true(diff > 100);
    assert_true(oc_font_width(f, 40, "晋E12345") > 40 * 4);
    free(a.px);
    free(b.px);
    oc_font_free(f);
}

/* Truncated, damaged and non-JPEG frames are left out and counted; the
 * sheet is made of what remains. */
static void bad_frames_are_left_out_and_counted(void **state)
{
    (void)state;
    int box[4] = {800, 500, 200, 120};
    size_t len;
    unsigned char *good = frame(W, H, box, &len);
    unsigned char *damaged = malloc(len);
    memcpy(damaged, good, len);
    memset(damaged + len / 2, 0xFF, 64); /* markers in the middle of the scan */
    static const char notjpeg[] = "GIF89a not a jpeg at all";
    struct oc_compose_frame fr[3] = {
        {good, len / 2, 1, {800, 500, 200, 120}, NULL, 0, 0, 0}, /* truncated */
        {notjpeg, sizeof notjpeg, 2, {800, 500, 200, 120}, NULL, 0, 0, 0},
        {good, len, 3, {800, 500, 200, 120}, NULL, 0, 0, 0}};
    unsigned char *out;
    size_t olen;
    struct oc_compose_report rep;
    assert_int_equal(compose(fr, 3, &out, &olen, &rep, NULL), OC_OK);
    assert_int_equal(rep.corrupt, 2);
    assert_int_equal(rep.n_used, 1);
    assert_int_equal(rep.used[2], 1);
    struct oc_image img = decode(out, olen);
    assert_int_equal(img.w, 1920);
    assert_true(img.h < 540 + 200); /* one row: the frame and its close-up */
    free(img.px);
    free(out);
    fr[0] = (struct oc_compose_frame){damaged, len, 1, {800, 500, 200, 120}, NULL, 0, 0, 0};
    assert_int_equal(compose(fr, 2, &out, &olen, &rep, NULL), OC_ENOTFOUND);
    assert_int_equal(rep.corrupt, 2);
    free(good);
    free(damaged);
}

/* A frame of another size with the camera's aspect ratio is used with its
 * boxes scaled; another aspect ratio is refused; a box partly outside the
 * frame is clipped and counted. */
/* The label sits in the band below the picture: the picture's top-left
 * corner (where cameras burn in their own text) keeps the frame's pixels. */
static void labels_leave_the_picture_alone(void **state)
{
    (void)state;
    int box[4] = {800, 500, 200, 120};
    size_t len;
    unsigned char *jp = frame(W, H, box, &len);
    struct oc_compose_frame fr[1] = {
        {jp, len, 1, {800, 500, 200, 120}, "1  17:00:38.000", 0, 0, 0}};
    struct oc_font *f = font();
    unsigned char *out;
    size_t olen;
    struct oc_compose_report rep;
    assert_int_equal(compose(fr, 1, &out, &olen, &rep, f), OC_OK);
    struct oc_image img = decode(out, olen);
    struct oc_compose_geom g;
    oc_compose_geometry(f, W, H, 1, &g);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 300; x++)
            assert_in_range(px(&img, x, y)[0], 100, 120); /* the grey frame, no text */
    int light = 0;
    for (int y = g.cell_h; y < g.row_h; y++)
        for (int x = 0; x < 300; x++)
            light += px(&img, x, y)[0] > 200;
    assert_true(light > 50); /* the label is in the band */
    free(img.px);
    free(out);
    free(jp);
    oc_font_free(f);
}

/* The close-up is centred on the object, also when the object is at the
 * frame's edge (the region cannot be centred there). */
static void closeup_is_centred(void **state)
{
    (void)state;
    static const int boxes[][4] = {
        {800, 500, 200, 120}, {1700, 900, 200, 160}, {10, 10, 150, 100}, {333, 777, 90, 70}};
    for (size_t k = 0; k < 4; k++) {
        size_t len;
        unsigned char *jp = frame(W, H, boxes[k], &len);
        struct oc_compose_frame fr[1] = {
            {jp, len, 1, {boxes[k][0], boxes[k][1], boxes[k][2], boxes[k][3]}, NULL, 0, 0, 0}};
        unsigned char *out;
        size_t olen;
        struct oc_compose_report rep;
        assert_int_equal(compose(fr, 1, &out, &olen, &rep, NULL), OC_OK);
        struct oc_image img = decode(out, olen);
        struct oc_compose_geom g;
        oc_compose_geometry(NULL, W, H, 1, &g);
        /* the blue object's extent in the close-up cell (x 960..1920) */
        int x0 = 1 << 30, x1 = -1, y0 = 1 << 30, y1 = -1;
        for (int y = 0; y < g.cell_h; y++)
            for (int x = 960; x < 1920; x++)
                if (is_blue(px(&img, x, y))) {
                    x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                    y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
                }
        assert_true(x1 > 0);
        assert_int_equal(x1 - x0 + 1 >= boxes[k][2] - 4, 1); /* full resolution */
        assert_in_range((x0 + x1) / 2, 960 + 480 - 3, 960 + 480 + 3);
        assert_in_range((y0 + y1) / 2, 270 - 3, 270 + 3);
        free(img.px);
        free(out);
        free(jp);
    }
}

/* Pixels of each lamp colour in the right half of cell i's band. */
static void lamp_pixels(const struct oc_image *img, const struct oc_compose_geom *g, int i,
                        int count[3])
{
    count[0] = count[1] = count[2] = 0;
    int x0 = (i % 2) * g->cell_w, y0 = (i / 2) * g->row_h + g->cell_h;
    for (int y = y0; y < y0 + g->band_h; y++)
        for (int x = x0 + g->cell_w / 2; x < x0 + g->cell_w; x++) {
            const unsigned char *p = px(img, x, y);
            count[0] += p[0] > 200 && p[1] < 70 && p[2] < 70;                /* red */
            count[1] += p[0] > 200 && p[1] > 150 && p[1] < 230 && p[2] < 70; /* yellow */
            count[2] += p[0] < 70 && p[1] > 160 && p[2] < 70;                /* green */
        }
}

/* Each key frame's cell shows the signal's state at its moment as a lit
 * lens: red, red, then green for a late exit; yellow for flashing; none
 * when off; no lamp at all for a type no signal decides. */
static void lamps_show_signal_state(void **state)
{
    (void)state;
    int box[4] = {800, 500, 200, 120};
    size_t len;
    unsigned char *jp = frame(W, H, box, &len);
    struct oc_font *f = font();
    static const struct {
        int has;
        enum oc_sig_state st[3];
        int want[3]; /* lit colour per cell: 0 red, 1 yellow, 2 green, -1 none */
    } cases[] = {
        {1, {OC_SIG_RED, OC_SIG_RED, OC_SIG_GREEN}, {0, 0, 2}},
        {1, {OC_SIG_YELLOW, OC_SIG_FLASHING, OC_SIG_OFF}, {1, 1, -1}},
        {0, {OC_SIG_RED, OC_SIG_RED, OC_SIG_RED}, {-1, -1, -1}},
    };
    for (size_t c = 0; c < 3; c++) {
        struct oc_compose_frame fr[3];
        for (int i = 0; i < 3; i++)
            fr[i] =
                (struct oc_compose_frame){jp,  len,          1000 + i,       {800, 500, 200, 120},
                                          "1", cases[c].has, cases[c].st[i], 1000 + 100 * i};
        unsigned char *out;
        size_t olen;
        struct oc_compose_report rep;
        assert_int_equal(compose(fr, 3, &out, &olen, &rep, f), OC_OK);
        struct oc_image img = decode(out, olen);
        struct oc_compose_geom g;
        oc_compose_geometry(f, W, H, 3, &g);
        for (int i = 0; i < 3; i++) {
            int n[3];
            lamp_pixels(&img, &g, i, n);
            for (int k = 0; k < 3; k++)
                if ((k == cases[c].want[i]) != (n[k] > 40))
                    fail_msg("case %zu cell %d colour %d: %d pixels", c, i, k, n[k]);
        }
        free(img.px);
        free(out);
    }
    /* the seconds are drawn: another age changes only the band */
    struct oc_compose_frame a[1] = {{jp, len, 1, {800, 500, 200, 120}, "1", 1, OC_SIG_RED, 1000}};
    struct oc_compose_frame b[1] = {{jp, len, 1, {800, 500, 200, 120}, "1", 1, OC_SIG_RED, 3400}};
    unsigned char *oa, *ob;
    size_t la, lb;
    struct oc_compose_report rep;
    assert_int_equal(compose(a, 1, &oa, &la, &rep, f), OC_OK);
    assert_int_equal(compose(b, 1, &ob, &lb, &rep, f), OC_OK);
    struct oc_image ia = decode(oa, la), ib = decode(ob, lb);
    struct oc_compose_geom g;
    oc_compose_geometry(f, W, H, 1, &g);
    int diff_pic = 0, diff_band = 0;
    for (int y = 0; y < g.row_h; y++)
        for (int x = 0; x < 960; x++) {
            int d = abs(px(&ia, x, y)[0] - px(&ib, x, y)[0]) > 60;
            *(y < g.cell_h - 8 ? &diff_pic : &diff_band) += d;
        }
    assert_int_equal(diff_pic, 0);
    assert_true(diff_band > 20);
    free(ia.px), free(ib.px), free(oa), free(ob), free(jp);
    oc_font_free(f);
}

static void frame_sizes_and_clipped_boxes(void **state)
{
    (void)state;
    int half_box[4] = {400, 250, 100, 60}; /* box 800,500,200,120 at 960x540 */
    size_t l1, l2, l3;
    unsigned char *half = frame(960, 540, half_box, &l1);
    unsigned char *square = frame(1000, 1000, half_box, &l2);
    int edge_box[4] = {1800, 900, 120, 180};
    unsigned char *edge = frame(W, H, edge_box, &l3);
    struct oc_compose_frame fr[3] = {{half, l1, 1, {800, 500, 200, 120}, NULL, 0, 0, 0},
                                     {square, l2, 2, {800, 500, 200, 120}, NULL, 0, 0, 0},
                                     {edge, l3, 3, {1800, 900, 300, 300}, NULL, 0, 0, 0}};
    unsigned char *out;
    size_t olen;
    struct oc_compose_report rep;
    assert_int_equal(compose(fr, 3, &out, &olen, &rep, NULL), OC_OK);
    assert_int_equal(rep.rescaled, 1);
    assert_int_equal(rep.wrong_size, 1);
    assert_int_equal(rep.box_clipped, 1);
    assert_int_equal(rep.n_used, 2);
    struct oc_image img = decode(out, olen);
    /* the 960x540 frame fills its cell at 1:1; its box is at 400,250 */
    assert_true(is_red(px(&img, 398, 280)));
    assert_true(is_blue(px(&img, 450, 280)));
    free(img.px);
    free(out);
    free(half);
    free(square);
    free(edge);
}

/* The file written is the image whose SHA-256 the result names, under
 * YYYYMMDD/, and a failed write is reported with errno. */
static void build_writes_file_with_digest(void **state)
{
    (void)state;
    char dir[] = "/tmp/oc_evtest_XXXXXX";
    assert_non_null(mkdtemp(dir));
    int box[4] = {800, 500, 200, 120};
    size_t len;
    unsigned char *jp = frame(W, H, box, &len);
    struct oc_evidence_job job = {
        .file = "20251122/edge-1-cam-e1-7.jpg", .cam_w = W, .cam_h = H, .n_frames = 1};
    job.frames[0] =
        (struct oc_compose_frame){jp, len, 1763802011800, {800, 500, 200, 120}, "1", 0, 0, 0};
    struct oc_font *f = font();
    struct oc_evbuild *b = oc_evbuild_new(dir, f, 85);
    struct oc_evbuild_result res;
    assert_int_equal(oc_evbuild_run(b, &job, &res), OC_OK);
    assert_int_equal(res.n_frames, 1);
    assert_int_equal(res.frames[0], 1763802011800);
    char path[512];
    snprintf(path, sizeof path, "%s/20251122/edge-1-cam-e1-7.jpg", dir);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static unsigned char buf[4 << 20];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    assert_int_equal(n, res.size);
    unsigned char md[32];
    SHA256(buf, n, md);
    char hex[65];
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    assert_string_equal(hex, res.sha256);
    assert_int_equal(buf[0], 0xFF);
    assert_int_equal(buf[1], 0xD8);
    /* a folder that cannot be made: OC_EIO, errno set */
    oc_evbuild_free(b);
    b = oc_evbuild_new("/proc/no/such", f, 85);
    errno = 0;
    assert_int_equal(oc_evbuild_run(b, &job, &res), OC_EIO);
    assert_int_not_equal(errno, 0);
    oc_evbuild_free(b);
    oc_font_free(f);
    free(jp);
    unlink(path);
    snprintf(path, sizeof path, "%s/20251122", dir);
    rmdir(path);
    rmdir(dir);
}

/* ---- the keeper ---- */

struct got {
    int n;
    void *tag[16];
    size_t frames[16];
    int64_t ts[16][3];
    char file[16][256];
    char caption[16][2][512];
    int has_lamp[16];
    enum oc_sig_state lamp[16];
    int64_t lamp_ms[16];
};

static void on_ready(void *ud, void *tag, struct oc_evidence_job *job)
{
    struct got *g = ud;
    g->tag[g->n] = tag;
    g->frames[g->n] = job ? job->n_frames : 0;
    for (size_t i = 0; job && i < job->n_frames; i++)
        g->ts[g->n][i] = job->frames[i].ts;
    if (job) {
        snprintf(g->file[g->n], sizeof g->file[g->n], "%s", job->file);
        for (int l = 0; l < 2; l++)
            snprintf(g->caption[g->n][l], sizeof g->caption[g->n][l], "%s", job->caption[l]);
        g->has_lamp[g->n] = job->frames[0].has_lamp;
        g->lamp[g->n] = job->frames[0].lamp;
        g->lamp_ms[g->n] = job->frames[0].lamp_ms;
    }
    g->n++;
    oc_evidence_job_free(job);
}

/* the evidence section's defaults (docs/config.md) */
static const struct oc_evidence_cfg EVSET = {
    .enabled = true, .quality = 85, .ring_s = 20, .ring_max_mb = 64, .tolerance_ms = 200};

static struct oc_config *keeper_cfg(void)
{
    return t_config(T_CFG_ONE_CAMERA);
}

static void keeper_waits_then_takes_nearest_frames(void **state)
{
    (void)state;
    struct oc_config *cfg = keeper_cfg();
    struct got g = {0};
    struct oc_evidence *ev = oc_evidence_new(cfg, &EVSET, on_ready, &g);
    static const unsigned char jp[] = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3};
    for (int64_t t = 0; t <= 2000; t += 100)
        oc_evidence_frame(ev, 0, 1763802000000 + t, jp, sizeof jp);
    struct oc_violation v = {.camera = 0,
                             .camera_id = "c",
                             .type = "red_light",
                             .seq = 42,
                             .ts = 1763802001840,
                             .n_keys = 3,
                             .key_ts = {1763802001030, 1763802001045, 1763802001840}};
    oc_evidence_violation(ev, &v, (void *)1);
    assert_int_equal(g.n, 0);
    oc_evidence_clock(ev, 0, 1763802001840 + 200 + OC_EVIDENCE_LAG_MS - 1);
    assert_int_equal(g.n, 0); /* a frame may still come */
    oc_evidence_clock(ev, 0, 1763802001840 + 200 + OC_EVIDENCE_LAG_MS);
    assert_int_equal(g.n, 1);
    assert_ptr_equal(g.tag[0], (void *)1);
    /* keys 1 and 2 share their nearest frame (1000): shown once */
    assert_int_equal(g.frames[0], 2);
    assert_int_equal(g.ts[0][0], 1763802001000);
    assert_int_equal(g.ts[0][1], 1763802001800);
    assert_string_equal(g.file[0], "20251122/edge-1-c-42.jpg");
    /* a key moment with no frame within 200 ms: no evidence, counted */
    v.key_ts[0] = v.key_ts[1] = v.key_ts[2] = 1763802009000;
    oc_evidence_violation(ev, &v, (void *)2);
    oc_evidence_flush(ev);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.frames[1], 0);
    struct oc_evidence_stats st;
    oc_evidence_stats(ev, &st);
    assert_int_equal(st.no_frame, 1);
    assert_int_equal(st.pending, 0);
    /* no key moment at all: ready at once with no job */
    v.n_keys = 0;
    oc_evidence_violation(ev, &v, (void *)3);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.frames[2], 0);
    oc_evidence_free(ev);
    oc_config_free(cfg);
}

/* The caption names the offence by the code table's short name and code;
 * without a table (or for a type it lacks) it names the type identifier. */
static void keeper_caption_names_offence(void **state)
{
    (void)state;
    setenv("TZ", "UTC0", 1);
    tzset();
    struct oc_config *cfg = keeper_cfg();
    struct oc_evidence_cfg set = EVSET;
    char err[256];
    assert_int_equal(oc_codes_builtin(NULL, &set.codes, err, sizeof err), OC_OK);
    struct got g = {0};
    struct oc_evidence *ev = oc_evidence_new(cfg, &set, on_ready, &g);
    static const unsigned char jp[] = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3};
    oc_evidence_frame(ev, 0, 1000, jp, sizeof jp);
    struct oc_violation v = {.camera = 0,
                             .camera_id = "c",
                             .type = "red_light",
                             .code = "1625",
                             .plate = "晋E12345",
                             .seq = 7,
                             .ts = 1000,
                             .n_keys = 1,
                             .key_ts = {1000},
                             .signal = "s",
                             .ts_start = 900,
                             .signal_state = OC_SIG_RED,
                             .red_elapsed_ms = 3400,
                             .key_sig = {OC_SIG_RED},
                             .key_sig_ms = {3500}};
    oc_evidence_violation(ev, &v, NULL);
    v.type = "some_local_type";
    v.signal = NULL;
    v.code = "8001";
    v.seq = 8;
    oc_evidence_violation(ev, &v, NULL);
    oc_evidence_flush(ev);
    assert_int_equal(g.n, 2);
    assert_non_null(strstr(g.caption[0][0], "   闯红灯 1625   晋E12345"));
    assert_null(strstr(g.caption[0][0], "red_light"));
    assert_non_null(strstr(g.caption[0][1], "edge-1:c:7"));
    assert_non_null(strstr(g.caption[1][0], "   some_local_type 8001   "));
    /* the red's onset (900 - 3400 ms, UTC) and the crossing after it */
    assert_non_null(strstr(g.caption[0][0], "   红灯始 23:59:57.500  过线 +3.4 s"));
    assert_null(strstr(g.caption[1][0], "红灯始"));
    assert_true(g.has_lamp[0]);
    assert_int_equal(g.lamp[0], OC_SIG_RED);
    assert_int_equal(g.lamp_ms[0], 3500);
    assert_false(g.has_lamp[1]);
    oc_evidence_free(ev);
    oc_codes_free(set.codes);
    oc_config_free(cfg);
}

static void keeper_is_bounded(void **state)
{
    (void)state;
    struct oc_config *cfg = keeper_cfg();
    struct got g = {0};
    struct oc_evidence *ev = oc_evidence_new(cfg, &EVSET, on_ready, &g);
    struct oc_violation v = {.camera = 0,
                             .camera_id = "c",
                             .type = "red_light",
                             .seq = 1,
                             .ts = 1000,
                             .n_keys = 1,
                             .key_ts = {1000}};
    for (int i = 0; i < OC_EVIDENCE_PENDING_MAX + 3; i++) {
        v.seq = (uint64_t)i + 1;
        oc_evidence_violation(ev, &v, NULL);
    }
    struct oc_evidence_stats st;
    oc_evidence_stats(ev, &st);
    assert_int_equal(st.pending, OC_EVIDENCE_PENDING_MAX);
    assert_int_equal(st.released_early, 3);
    assert_int_equal(g.n, 3);
    oc_evidence_free(ev);
    oc_config_free(cfg);
}

static void local_time_has_offset(void **state)
{
    (void)state;
    setenv("TZ", "CST-8", 1);
    tzset();
    char buf[64];
    oc_evidence_local_time(1763802011800, buf, sizeof buf, 1);
    assert_string_equal(buf, "2025-11-22 17:00:11.800 UTC+08:00");
    setenv("TZ", "UTC0", 1);
    tzset();
    oc_evidence_local_time(1763802011800, buf, sizeof buf, 1);
    assert_string_equal(buf, "2025-11-22 09:00:11.800 UTC+00:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sheet_has_boxes_where_the_object_was),
        cmocka_unit_test(chinese_glyphs_render),
        cmocka_unit_test(keeper_caption_names_offence),
        cmocka_unit_test(labels_leave_the_picture_alone),
        cmocka_unit_test(closeup_is_centred),
        cmocka_unit_test(lamps_show_signal_state),
        cmocka_unit_test(bad_frames_are_left_out_and_counted),
        cmocka_unit_test(frame_sizes_and_clipped_boxes),
        cmocka_unit_test(build_writes_file_with_digest),
        cmocka_unit_test(keeper_waits_then_takes_nearest_frames),
        cmocka_unit_test(keeper_is_bounded),
        cmocka_unit_test(local_time_has_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
