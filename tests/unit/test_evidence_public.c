/* The public ("exposure") variant of the evidence sheet: in every cell and
 * the close-up the pixels inside every other object's box differ from the
 * private sheet's and are flat (pixelated), the offender's face region too,
 * the rest of the offender's box is unchanged, the caption masks the plate
 * and leaves out the record id; the keeper hands out the bystanders' boxes
 * from the frame's detections (the offender left out) and the builder
 * writes both files. */
#include "oc_test.h"
#include "oc_testimg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ordercam/oc_codes.h"
#include "ordercam/oc_compose.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_evbuild.h"
#include "ordercam/oc_evidence.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_jpeg.h"

#define W 1920
#define H 1080

/* Detail everywhere (3x3-pixel blocks of pseudo-random grey), so that a
 * pixelated region is told from an unchanged one by its local variance. */
static unsigned char *textured(unsigned seed, size_t *len)
{
    struct oc_image img = {malloc((size_t)W * H * 3), W, H};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            unsigned h = ((unsigned)(x / 3) * 73856093u) ^ ((unsigned)(y / 3) * 19349663u) ^ seed;
            h = h * 2654435761u;
            unsigned char *p = img.px + ((size_t)y * W + x) * 3;
            p[0] = p[1] = p[2] = (unsigned char)(40 + (h >> 24) % 180);
        }
    return oc_testimg_encode(&img, 92, len);
}

static struct oc_image decode(const unsigned char *jpeg, size_t len)
{
    return oc_testimg_decode(jpeg, len);
}

struct area {
    int x0, y0, x1, y1;
};

/* A box in camera pixels on the sheet (as the composer places it), shrunk
 * by inset on each side and clipped to the cell. */
static struct area on_sheet(const struct oc_compose_place *pl, const double b[4], int inset)
{
    struct area a = {(int)ceil(pl->ox + b[0] * pl->fsx * pl->s) + inset,
                     (int)ceil(pl->oy + b[1] * pl->fsy * pl->s) + inset,
                     (int)floor(pl->ox + (b[0] + b[2]) * pl->fsx * pl->s) - inset,
                     (int)floor(pl->oy + (b[1] + b[3]) * pl->fsy * pl->s) - inset};
    a.x0 = a.x0 < pl->x0 ? pl->x0 : a.x0;
    a.y0 = a.y0 < pl->y0 ? pl->y0 : a.y0;
    a.x1 = a.x1 > pl->x1 ? pl->x1 : a.x1;
    a.y1 = a.y1 > pl->y1 ? pl->y1 : a.y1;
    return a;
}

static int usable(struct area a)
{
    return a.x1 - a.x0 >= 8 && a.y1 - a.y0 >= 8;
}

static double mean_diff(const struct oc_image *a, const struct oc_image *b, struct area r)
{
    double s = 0;
    long n = 0;
    for (int y = r.y0; y < r.y1; y++)
        for (int x = r.x0; x < r.x1; x++, n++)
            s += abs(a->px[((size_t)y * a->w + x) * 3] - b->px[((size_t)y * b->w + x) * 3]);
    return s / (double)n;
}

/* The mean variance of the 4x4 windows of r (green channel). */
static double local_var(const struct oc_image *img, struct area r)
{
    double sum = 0;
    long n = 0;
    for (int y = r.y0; y + 4 <= r.y1; y += 4)
        for (int x = r.x0; x + 4 <= r.x1; x += 4) {
            double m = 0, q = 0;
            for (int dy = 0; dy < 4; dy++)
                for (int dx = 0; dx < 4; dx++) {
                    double v = img->px[((size_t)(y + dy) * img->w + x + dx) * 3 + 1];
                    m += v;
                    q += v * v;
                }
            m /= 16;
            sum += q / 16 - m * m;
            n++;
        }
    return n ? sum / (double)n : 0;
}

static struct oc_font *font(void)
{
    char err[256];
    struct oc_font *f = oc_font_open(OC_EVIDENCE_FONT_DEFAULT, err, sizeof err);
    if (!f)
        fail_msg("%s", err);
    return f;
}

static const double OTHERS[2][4] = {{1300, 150, 260, 200}, {60, 80, 160, 320}};

static void pixelated(const struct oc_image *priv, const struct oc_image *pub, struct area a)
{
    double d = mean_diff(priv, pub, a), vp = local_var(priv, a), vq = local_var(pub, a);
    if (!(d > 10 && vq < 0.1 * vp && vq < 60))
        fail_msg("region %d,%d-%d,%d: diff %.1f, variance %.1f -> %.1f", a.x0, a.y0, a.x1, a.y1, d,
                 vp, vq);
}

/* Three cells and the close-up: bystanders and the offender's face are
 * pixelated, the rest of the offender stays, the caption changes. */
static void public_sheet_masks_others_and_face(void **state)
{
    (void)state;
    struct oc_font *f = font();
    unsigned char *jp[3];
    struct oc_compose_frame fr[3];
    for (int i = 0; i < 3; i++) {
        size_t len;
        jp[i] = textured((unsigned)i + 1, &len);
        fr[i] = (struct oc_compose_frame){.jpeg = jp[i],
                                          .len = len,
                                          .ts = 1000 + 100 * i,
                                          .box = {500 + 250 * i, 500, 160, 420},
                                          .label = "1",
                                          .others = OTHERS,
                                          .n_others = 2};
    }
    /* a bystander right next to the offender in the last frame: in the
     * close-up too */
    static const double near[3][4] = {
        {1300, 150, 260, 200}, {60, 80, 160, 320}, {800, 420, 150, 200}};
    fr[2].others = near;
    fr[2].n_others = 3;
    struct oc_compose_in in = {
        .cam_w = W,
        .cam_h = H,
        .frames = fr,
        .n_frames = 3,
        .caption = {"2025-11-22 17:00:11.800 UTC+08:00 闯红灯 1625 晋E12345",
                    "edge-1 · cam-e1 · 凤台路 · edge-1:cam-e1:7"},
        .quality = 90,
        .public_caption = {"2025-11-22 17:00:11.800 UTC+08:00 闯红灯 1625 晋E1**45",
                           "edge-1 · cam-e1 · 凤台路"},
        .public_face = 1};
    struct oc_jpeg *j = oc_jpeg_new();
    struct oc_image canvas = {0};
    unsigned char *o1, *o2;
    size_t l1, l2;
    struct oc_compose_report rep;
    assert_int_equal(oc_compose(j, f, &in, &canvas, &o1, &l1, &rep), OC_OK);
    assert_int_equal(oc_compose_public(j, f, &in, &canvas, &rep, &o2, &l2), OC_OK);
    struct oc_image priv = decode(o1, l1), pub = decode(o2, l2);
    assert_int_equal(priv.w, pub.w);
    assert_int_equal(priv.h, pub.h);
    int checked = 0;
    for (int c = 0; c <= OC_COMPOSE_MAX_FRAMES; c++) {
        const struct oc_compose_place *pl = &rep.place[c];
        if (!pl->used)
            continue;
        const struct oc_compose_frame *fp = &fr[pl->frame];
        for (size_t k = 0; k < fp->n_others; k++) {
            struct area a = on_sheet(pl, fp->others[k], 3);
            if (usable(a)) {
                pixelated(&priv, &pub, a);
                checked++;
            }
        }
        /* the face: the box's top third */
        double face[4] = {fp->box[0], fp->box[1], fp->box[2], fp->box[3] / 3};
        struct area fa = on_sheet(pl, face, 3);
        assert_true(usable(fa));
        pixelated(&priv, &pub, fa);
        /* the rest of the offender, away from the face's edge, is the
         * private sheet's */
        double body[4] = {fp->box[0], fp->box[1] + fp->box[3] / 3 + 20, fp->box[2],
                          fp->box[3] * 2 / 3 - 20};
        struct area ba = on_sheet(pl, body, 10);
        assert_true(usable(ba));
        double d = mean_diff(&priv, &pub, ba);
        if (d > 1.5)
            fail_msg("cell %d: the offender's body changed (%.2f)", c, d);
        assert_true(local_var(&pub, ba) > 200);
    }
    assert_true(checked >= 7); /* 2 + 2 + 3 in the cells, at least one in the close-up */
    /* the close-up is of the largest box (all equal: the first); the near
     * bystander of frame 3 is not in it, so check the close-up saw the
     * face at least */
    assert_true(rep.place[OC_COMPOSE_MAX_FRAMES].used);
    struct area cap = {0, rep.caption_y, pub.w, pub.h};
    assert_true(mean_diff(&priv, &pub, cap) > 0.05);
    free(priv.px);
    free(pub.px);
    free(o1);
    free(o2);
    free(canvas.px);
    oc_jpeg_free(j);
    oc_font_free(f);
    for (int i = 0; i < 3; i++)
        free(jp[i]);
}

/* Without the frame's detections everything but the offender is
 * pixelated; a vehicle's box (no face) stays whole. */
static void unknown_boxes_pixelate_everything_else(void **state)
{
    (void)state;
    size_t len;
    unsigned char *jp = textured(9, &len);
    struct oc_compose_frame fr[1] = {
        {.jpeg = jp, .len = len, .ts = 1, .box = {800, 400, 400, 300}, .others_unknown = 1}};
    struct oc_compose_in in = {.cam_w = W, .cam_h = H, .frames = fr, .n_frames = 1, .quality = 90};
    struct oc_jpeg *j = oc_jpeg_new();
    struct oc_image canvas = {0};
    unsigned char *o1, *o2;
    size_t l1, l2;
    struct oc_compose_report rep;
    assert_int_equal(oc_compose(j, NULL, &in, &canvas, &o1, &l1, &rep), OC_OK);
    assert_int_equal(oc_compose_public(j, NULL, &in, &canvas, &rep, &o2, &l2), OC_OK);
    struct oc_image priv = decode(o1, l1), pub = decode(o2, l2);
    const struct oc_compose_place *pl = &rep.place[0];
    static const double corners[4][4] = {
        {0, 0, 600, 300}, {1300, 0, 600, 300}, {0, 800, 600, 280}, {1300, 800, 600, 280}};
    for (int k = 0; k < 4; k++)
        pixelated(&priv, &pub, on_sheet(pl, corners[k], 3));
    struct area off = on_sheet(pl, fr[0].box, 10);
    assert_true(mean_diff(&priv, &pub, off) < 1.5);
    free(priv.px);
    free(pub.px);
    free(o1);
    free(o2);
    free(canvas.px);
    oc_jpeg_free(j);
    free(jp);
}

static void plates_are_masked(void **state)
{
    (void)state;
    char b[64];
    oc_evidence_mask_plate("晋E12345", b, sizeof b);
    assert_string_equal(b, "晋E1**45");
    oc_evidence_mask_plate("晋AD12345", b, sizeof b); /* new energy: 8 characters */
    assert_string_equal(b, "晋AD***45");
    oc_evidence_mask_plate("AB12", b, sizeof b);
    assert_string_equal(b, "A**2");
    oc_evidence_mask_plate("X", b, sizeof b);
    assert_string_equal(b, "*");
    oc_evidence_mask_plate(NULL, b, sizeof b);
    assert_string_equal(b, "");
    oc_evidence_mask_plate("晋E12345", b, 5); /* does not fit: cut at a character */
    assert_string_equal(b, "晋E");
    assert_int_equal(oc_evidence_public_name("20251122/e-c-7.jpg", b, sizeof b), 0);
    assert_string_equal(b, "20251122/e-c-7.public.jpg");
    assert_int_equal(oc_evidence_public_name("x.png", b, sizeof b), -1);
}

/* ---- the keeper: bystanders from the detections, captions ---- */

struct got {
    int n;
    char public_file[OC_EVIDENCE_FILE_MAX];
    char caption[2][512];
    int face;
    size_t n_others[3];
    int unknown[3];
    double other0[4];
    size_t n_frames;
};

static void on_ready(void *ud, void *tag, struct oc_evidence_job *job)
{
    (void)tag;
    struct got *g = ud;
    g->n++;
    if (job) {
        snprintf(g->public_file, sizeof g->public_file, "%s", job->public_file);
        for (int l = 0; l < 2; l++)
            snprintf(g->caption[l], sizeof g->caption[l], "%s",
                     job->public_caption[l] ? job->public_caption[l] : "(none)");
        g->face = job->public_face;
        g->n_frames = job->n_frames;
        for (size_t i = 0; i < job->n_frames && i < 3; i++) {
            g->n_others[i] = job->frames[i].n_others;
            g->unknown[i] = job->frames[i].others_unknown;
        }
        if (job->frames[0].n_others)
            memcpy(g->other0, job->frames[0].others[0], sizeof g->other0);
    }
    oc_evidence_job_free(job);
}

static struct oc_config *keeper_cfg(void)
{
    return t_config(T_CFG_ONE_CAMERA);
}

static void keeper_gives_bystanders(void **state)
{
    (void)state;
    struct oc_config *cfg = keeper_cfg();
    struct oc_evidence_cfg set = {.enabled = true,
                                  .quality = 85,
                                  .ring_s = 20,
                                  .ring_max_mb = 64,
                                  .tolerance_ms = 200,
                                  .public_ = true};
    for (int pass = 0; pass < 2; pass++) {
        set.public_ = pass == 0;
        struct got g = {0};
        struct oc_evidence *ev = oc_evidence_new(cfg, &set, on_ready, &g);
        static const unsigned char jp[] = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3};
        struct oc_obj objs[2] = {
            {.id = "t1", .cls = "person", .x = 100, .y = 200, .w = 40, .h = 120},
            {.id = "t2", .cls = "car", .x = 900, .y = 300, .w = 200, .h = 100}};
        struct oc_detections d = {.ts = 1000, .frame = -1, .objs = objs, .n_objs = 2};
        oc_evidence_boxes(ev, 0, &d);
        oc_evidence_frame(ev, 0, 1000, jp, sizeof jp);
        oc_evidence_frame(ev, 0, 1500, jp, sizeof jp); /* no detections near it */
        struct oc_violation v = {.camera = 0,
                                 .camera_id = "c",
                                 .type = "pedestrian_red_light",
                                 .track = "t1",
                                 .cls = "person",
                                 .plate = "晋E12345",
                                 .seq = 7,
                                 .ts = 1500,
                                 .n_keys = 2,
                                 .key_ts = {1000, 1500},
                                 .key_box = {{100, 200, 40, 120}, {110, 200, 40, 120}}};
        oc_evidence_violation(ev, &v, NULL);
        oc_evidence_flush(ev);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.n_frames, 2);
        struct oc_evidence_stats st;
        oc_evidence_stats(ev, &st);
        if (pass == 1) { /* off: nothing kept, no public file */
            assert_string_equal(g.public_file, "");
            assert_string_equal(g.caption[0], "(none)");
            assert_int_equal(st.boxes.sets, 0);
            oc_evidence_free(ev);
            continue;
        }
        assert_string_equal(g.public_file, "19700101/edge-1-c-7.public.jpg");
        assert_non_null(strstr(g.caption[0], "晋E1**45"));
        assert_null(strstr(g.caption[0], "晋E12345"));
        assert_null(strstr(g.caption[1], "edge-1:c:7"));
        assert_non_null(strstr(g.caption[1], "edge-1 · c"));
        assert_int_equal(g.face, 1);
        assert_int_equal(g.n_others[0], 1); /* the car, not the offender */
        assert_true(g.other0[0] == 900 && g.other0[3] == 100);
        assert_int_equal(g.unknown[0], 0);
        assert_int_equal(g.unknown[1], 1); /* frame 1500: its detections unknown */
        assert_int_equal(st.boxes_unknown, 1);
        assert_int_equal(st.boxes.sets, 1);
        oc_evidence_free(ev);
    }
    oc_config_free(cfg);
}

/* The builder writes the public file next to the private one, with its
 * own digest. */
static void build_writes_both_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/oc-evpub-XXXXXX";
    assert_non_null(mkdtemp(dir));
    size_t len;
    unsigned char *jp = textured(3, &len);
    struct oc_evidence_job job = {.file = "20251122/e-c-7.jpg",
                                  .public_file = "20251122/e-c-7.public.jpg",
                                  .cam_w = W,
                                  .cam_h = H,
                                  .n_frames = 1};
    char c0[] = "a", c1[] = "b", p0[] = "a*", p1[] = "b*";
    job.caption[0] = c0;
    job.caption[1] = c1;
    job.public_caption[0] = p0;
    job.public_caption[1] = p1;
    job.frames[0] = (struct oc_compose_frame){.jpeg = jp,
                                              .len = len,
                                              .ts = 1,
                                              .box = {800, 400, 200, 200},
                                              .others = OTHERS,
                                              .n_others = 2};
    struct oc_font *f = font();
    struct oc_evbuild *b = oc_evbuild_new(dir, f, 85);
    struct oc_evbuild_result res;
    assert_int_equal(oc_evbuild_run(b, &job, &res), OC_OK);
    assert_true(res.public_size > 0);
    char path[512];
    snprintf(path, sizeof path, "%s/20251122/e-c-7.public.jpg", dir);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char *buf = malloc(res.public_size + 1);
    assert_int_equal(fread(buf, 1, res.public_size + 1, fp), res.public_size);
    fclose(fp);
    char hex[65];
    oc_evbuild_sha256(buf, res.public_size, hex);
    assert_string_equal(hex, res.public_sha256);
    assert_string_not_equal(res.public_sha256, res.sha256);
    free(buf);
    unlink(path);
    snprintf(path, sizeof path, "%s/20251122/e-c-7.jpg", dir);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/20251122", dir);
    rmdir(path);
    rmdir(dir);
    oc_evbuild_free(b);
    oc_font_free(f);
    free(jp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(public_sheet_masks_others_and_face),
        cmocka_unit_test(unknown_boxes_pixelate_everything_else),
        cmocka_unit_test(plates_are_masked),
        cmocka_unit_test(keeper_gives_bystanders),
        cmocka_unit_test(build_writes_both_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
