#include "frames.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_evidence.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_jpeg.h"

struct gen_frames {
    const struct oc_config *cfg;
    char *dir;
    struct oc_jpeg *jpeg;
    struct oc_font *font;
    struct oc_image *bg; /* per camera, painted once */
    struct oc_image img;
};

static void put(struct oc_image *img, int x, int y, const unsigned char c[3])
{
    if (x >= 0 && y >= 0 && x < img->w && y < img->h)
        memcpy(img->px + ((size_t)y * img->w + x) * 3, c, 3);
}

static void block(struct oc_image *img, int x0, int y0, int x1, int y1, const unsigned char c[3])
{
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < img->h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < img->w; x++)
            memcpy(img->px + ((size_t)y * img->w + x) * 3, c, 3);
}

static void thick_line(struct oc_image *img, struct oc_pt a, struct oc_pt b, int t,
                       const unsigned char c[3], int dashed)
{
    double len = hypot(b.x - a.x, b.y - a.y);
    for (double s = 0; s <= len; s += 1) {
        if (dashed && fmod(s, 40) > 24)
            continue;
        double f = len > 0 ? s / len : 0;
        int x = (int)(a.x + f * (b.x - a.x)), y = (int)(a.y + f * (b.y - a.y));
        for (int dy = -t / 2; dy <= t / 2; dy++)
            for (int dx = -t / 2; dx <= t / 2; dx++)
                put(img, x + dx, y + dy, c);
    }
}

/* Even-odd scanline fill, blended half-way with colour c. */
static void fill_poly(struct oc_image *img, const struct oc_pt *p, size_t n,
                      const unsigned char c[3])
{
    for (int y = 0; y < img->h; y++) {
        double xs[64];
        size_t k = 0;
        for (size_t i = 0, j = n - 1; i < n && k < 64; j = i++) {
            double y0 = p[j].y, y1 = p[i].y;
            if ((y0 <= y && y1 > y) || (y1 <= y && y0 > y))
                xs[k++] = p[j].x + (y - y0) * (p[i].x - p[j].x) / (y1 - y0);
        }
        for (size_t a = 1; a < k; a++) /* insertion sort: k is tiny */
            for (size_t b = a; b > 0 && xs[b - 1] > xs[b]; b--) {
                double t = xs[b];
                xs[b] = xs[b - 1];
                xs[b - 1] = t;
            }
        for (size_t a = 0; a + 1 < k; a += 2)
            for (int x = (int)xs[a]; x < (int)xs[a + 1] && x < img->w; x++) {
                if (x < 0)
                    continue;
                unsigned char *q = img->px + ((size_t)y * img->w + x) * 3;
                for (int ch = 0; ch < 3; ch++)
                    q[ch] = (unsigned char)((q[ch] + c[ch]) / 2);
            }
    }
}

static const unsigned char *zone_colour(enum oc_zone_kind k)
{
    static const unsigned char c[OC_ZONE__COUNT][3] = {
        [OC_ZONE_NO_PARKING] = {200, 170, 40},
        [OC_ZONE_TACTILE_PAVING] = {230, 200, 0},
        [OC_ZONE_CROSSWALK] = {200, 200, 200},
        [OC_ZONE_CARRIAGEWAY] = {70, 72, 78},
        [OC_ZONE_LANE] = {60, 90, 120},
        [OC_ZONE_NO_VENDING] = {170, 90, 90},
        [OC_ZONE_HELMET_ENFORCEMENT] = {90, 140, 90}};
    return c[k];
}

static int paint_background(struct oc_image *img, const struct oc_camera_cfg *cam)
{
    img->w = cam->width;
    img->h = cam->height;
    img->px = malloc((size_t)img->w * img->h * 3);
    if (!img->px)
        return -1;
    for (int y = 0; y < img->h; y++) { /* pavement, lighter towards the camera */
        unsigned char c[3] = {(unsigned char)(96 + y * 40 / img->h),
                              (unsigned char)(98 + y * 40 / img->h),
                              (unsigned char)(92 + y * 40 / img->h)};
        block(img, 0, y, img->w, y + 1, c);
    }
    for (size_t z = 0; z < cam->n_zones; z++)
        fill_poly(img, cam->zones[z].pts, cam->zones[z].n_pts, zone_colour(cam->zones[z].kind));
    static const unsigned char white[3] = {240, 240, 240};
    for (size_t l = 0; l < cam->n_lines; l++)
        thick_line(img, cam->lines[l].p, cam->lines[l].q,
                   cam->lines[l].kind == OC_LINE_STOP ? 8 : 4, white,
                   cam->lines[l].kind == OC_LINE_EXIT);
    return 0;
}

struct gen_frames *gen_frames_new(const struct oc_config *cfg, const char *font, const char *dir,
                                  char *err, size_t errlen)
{
    struct gen_frames *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->cfg = cfg;
    g->dir = strdup(dir);
    g->jpeg = oc_jpeg_new();
    g->bg = calloc(cfg->n_cameras, sizeof *g->bg);
    g->font = oc_font_open(font, err, errlen);
    if (!g->font) {
        gen_frames_free(g);
        return NULL;
    }
    if (!g->dir || !g->jpeg || !g->bg) {
        snprintf(err, errlen, "out of memory");
        gen_frames_free(g);
        return NULL;
    }
    for (size_t c = 0; c < cfg->n_cameras; c++)
        if (paint_background(&g->bg[c], &cfg->cameras[c]) != 0) {
            snprintf(err, errlen, "out of memory");
            gen_frames_free(g);
            return NULL;
        }
    return g;
}

void gen_frames_free(struct gen_frames *g)
{
    if (!g)
        return;
    for (size_t c = 0; g->bg && c < g->cfg->n_cameras; c++)
        free(g->bg[c].px);
    free(g->bg);
    free(g->img.px);
    oc_font_free(g->font);
    oc_jpeg_free(g->jpeg);
    free(g->dir);
    free(g);
}

static const unsigned char *class_colour(const char *cls)
{
    static const unsigned char car[3] = {30, 60, 160}, truck[3] = {150, 60, 30},
                               bike[3] = {30, 140, 60}, person[3] = {200, 120, 40},
                               other[3] = {120, 50, 140};
    if (strcmp(cls, "car") == 0 || strcmp(cls, "bus") == 0)
        return car;
    if (strcmp(cls, "truck") == 0)
        return truck;
    if (strcmp(cls, "ebike") == 0 || strcmp(cls, "motorcycle") == 0 || strcmp(cls, "bicycle") == 0)
        return bike;
    if (strcmp(cls, "person") == 0)
        return person;
    return other;
}

static void draw_object(struct gen_frames *g, const struct gen_obj *o)
{
    static const unsigned char dark[3] = {20, 20, 24}, plate_bg[3] = {20, 70, 200},
                               white[3] = {255, 255, 255};
    int x0 = (int)o->box[0], y0 = (int)o->box[1];
    int x1 = x0 + (int)o->box[2], y1 = y0 + (int)o->box[3];
    block(&g->img, x0, y0, x1, y1, class_colour(o->cls));
    block(&g->img, x0 + 8, y0 + 8, x1 - 8, y0 + (y1 - y0) / 3, dark); /* a windscreen */
    if (!o->plate)
        return;
    int pw = oc_font_width(g->font, 22, o->plate) + 12, cx = (x0 + x1) / 2;
    block(&g->img, cx - pw / 2, y1 - 36, cx + pw / 2, y1 - 6, plate_bg);
    oc_font_draw(g->font, &g->img, 22, cx - pw / 2 + 6, y1 - 13, cx + pw / 2, o->plate, white);
}

int gen_frames_write(struct gen_frames *g, const char *cam, int64_t ts, const struct gen_obj *o,
                     size_t n, char *rel, size_t rel_len)
{
    int c = -1;
    for (size_t i = 0; i < g->cfg->n_cameras; i++)
        if (strcmp(g->cfg->cameras[i].id, cam) == 0)
            c = (int)i;
    if (c < 0)
        return -1;
    const struct oc_image *bg = &g->bg[c];
    if (g->img.w != bg->w || g->img.h != bg->h) {
        free(g->img.px);
        g->img = (struct oc_image){malloc((size_t)bg->w * bg->h * 3), bg->w, bg->h};
        if (!g->img.px)
            return -1;
    }
    memcpy(g->img.px, bg->px, (size_t)bg->w * bg->h * 3);
    for (size_t i = 0; i < n; i++)
        draw_object(g, &o[i]);
    char osd[96], when[64];
    oc_evidence_local_time(ts, when, sizeof when, 1);
    snprintf(osd, sizeof osd, "%s  %s", when, cam);
    static const unsigned char white[3] = {255, 255, 255};
    oc_font_draw(g->font, &g->img, 30, 24, 48, g->img.w, osd, white);
    unsigned char *jpeg;
    size_t len;
    if (oc_jpeg_encode(g->jpeg, &g->img, 80, &jpeg, &len) != OC_OK)
        return -1;
    char dir[4096], path[4200];
    snprintf(rel, rel_len, "frames/%s/%lld.jpg", cam, (long long)ts);
    snprintf(dir, sizeof dir, "%s/frames/%s", g->dir, cam);
    snprintf(path, sizeof path, "%s/%s", g->dir, rel);
    int rc = oc_io_mkdir_p(dir);
    FILE *f = rc == 0 ? fopen(path, "wb") : NULL;
    if (!f || fwrite(jpeg, 1, len, f) != len)
        rc = -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(jpeg);
    return rc;
}
