#include "ordercam/oc_compose.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char RED[3] = {255, 0, 0};
static const unsigned char YELLOW[3] = {255, 220, 0};
static const unsigned char WHITE[3] = {255, 255, 255};

struct rect {
    int x0, y0, x1, y1; /* half-open */
};

/* A usable frame: decoded for its cell, with its box in frame pixels. */
struct decoded {
    struct oc_image img;
    int idx;           /* index in in->frames */
    int fw, fh;        /* full frame size */
    double box[4];     /* clipped to the frame, frame pixels */
    double area;
};

static int scaled(int v, int num)
{
    return (v * num + 7) / 8; /* libjpeg rounds scaled sizes up */
}

/* The largest N/8 at which w x h fits in max_w x max_h; 0 when none does. */
static int fit_scale(int w, int h, int max_w, int max_h)
{
    for (int n = 8; n >= 1; n--)
        if (scaled(w, n) <= max_w && scaled(h, n) <= max_h)
            return n;
    return 0;
}

static void fill(struct oc_image *img, struct rect r, unsigned char v)
{
    for (int y = r.y0; y < r.y1; y++)
        memset(img->px + ((size_t)y * (size_t)img->w + (size_t)r.x0) * 3, v,
               (size_t)(r.x1 - r.x0) * 3);
}

static void paint(struct oc_image *img, struct rect r, struct rect clip, const unsigned char c[3])
{
    int x0 = r.x0 > clip.x0 ? r.x0 : clip.x0, x1 = r.x1 < clip.x1 ? r.x1 : clip.x1;
    int y0 = r.y0 > clip.y0 ? r.y0 : clip.y0, y1 = r.y1 < clip.y1 ? r.y1 : clip.y1;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            memcpy(img->px + ((size_t)y * (size_t)img->w + (size_t)x) * 3, c, 3);
}

/* A rectangle outline t pixels thick, drawn outside (x0,y0)-(x1,y1) so
 * the object itself stays visible, clipped to clip. */
static void outline(struct oc_image *img, struct rect b, int t, struct rect clip,
                    const unsigned char c[3])
{
    paint(img, (struct rect){b.x0 - t, b.y0 - t, b.x1 + t, b.y0}, clip, c);
    paint(img, (struct rect){b.x0 - t, b.y1, b.x1 + t, b.y1 + t}, clip, c);
    paint(img, (struct rect){b.x0 - t, b.y0, b.x0, b.y1}, clip, c);
    paint(img, (struct rect){b.x1, b.y0, b.x1 + t, b.y1}, clip, c);
}

/* Copies src (its pixels from sx, sy on) into the cell, top-left at dx, dy,
 * clipped to the cell. */
static void blit(struct oc_image *dst, struct rect cell, int dx, int dy, const struct oc_image *src,
                 int sx, int sy)
{
    int w = src->w - sx, h = src->h - sy;
    if (dx + w > cell.x1)
        w = cell.x1 - dx;
    if (dy + h > cell.y1)
        h = cell.y1 - dy;
    for (int r = 0; r < h; r++)
        memcpy(dst->px + ((size_t)(dy + r) * (size_t)dst->w + (size_t)dx) * 3,
               src->px + ((size_t)(sy + r) * (size_t)src->w + (size_t)sx) * 3, (size_t)w * 3);
}

static void label(struct oc_image *img, struct oc_font *font, int px, struct rect cell,
                  const char *text)
{
    if (!font || !text)
        return;
    int asc, line;
    oc_font_metrics(font, px, &asc, &line);
    int w = oc_font_width(font, px, text) + px;
    struct rect bg = {cell.x0, cell.y0, cell.x0 + w, cell.y0 + line + px / 4};
    if (bg.x1 > cell.x1)
        bg.x1 = cell.x1;
    fill(img, bg, 0);
    oc_font_draw(font, img, px, cell.x0 + px / 2, cell.y0 + px / 8 + asc, cell.x1, text, WHITE);
}

/* Reads the size, decides whether the frame fits the camera and decodes it
 * for a cell of cw x ch. Returns 0 when usable. */
static int decode_frame(struct oc_jpeg *j, const struct oc_compose_in *in, int i, int cw, int ch,
                        struct decoded *d, struct oc_compose_report *rep)
{
    const struct oc_compose_frame *f = &in->frames[i];
    oc_err_t e = oc_jpeg_size(j, f->jpeg, f->len, &d->fw, &d->fh);
    if (e != OC_OK) {
        e == OC_ELIMIT ? rep->wrong_size++ : rep->corrupt++;
        return -1;
    }
    double sx = (double)d->fw / in->cam_w, sy = (double)d->fh / in->cam_h;
    if (d->fw != in->cam_w || d->fh != in->cam_h) {
        if (fabs(sx - sy) > 0.02 * sx) {
            rep->wrong_size++;
            return -1;
        }
        rep->rescaled++;
    }
    int n = fit_scale(d->fw, d->fh, cw, ch);
    if (n == 0) {
        rep->wrong_size++;
        return -1;
    }
    int ax, ay;
    if (oc_jpeg_decode(j, f->jpeg, f->len, n, NULL, &d->img, &ax, &ay) != OC_OK) {
        rep->corrupt++;
        return -1;
    }
    double x0 = f->box[0] * sx, y0 = f->box[1] * sy;
    double x1 = x0 + f->box[2] * sx, y1 = y0 + f->box[3] * sy;
    if (x0 < 0 || y0 < 0 || x1 > d->fw || y1 > d->fh)
        rep->box_clipped++;
    x0 = fmin(fmax(x0, 0), d->fw);
    x1 = fmin(fmax(x1, 0), d->fw);
    y0 = fmin(fmax(y0, 0), d->fh);
    y1 = fmin(fmax(y1, 0), d->fh);
    d->box[0] = x0;
    d->box[1] = y0;
    d->box[2] = x1 - x0;
    d->box[3] = y1 - y0;
    d->area = d->box[2] * d->box[3];
    d->idx = i;
    return 0;
}

/* Puts a decoded frame in its cell, centered, with its box. */
static void place_frame(struct oc_image *canvas, struct rect cell, const struct decoded *d, int t)
{
    int dx = cell.x0 + (cell.x1 - cell.x0 - d->img.w) / 2;
    int dy = cell.y0 + (cell.y1 - cell.y0 - d->img.h) / 2;
    blit(canvas, cell, dx, dy, &d->img, 0, 0);
    double s = (double)d->img.w / d->fw;
    if (d->area <= 0)
        return;
    struct rect b = {dx + (int)lround(d->box[0] * s), dy + (int)lround(d->box[1] * s),
                     dx + (int)lround((d->box[0] + d->box[2]) * s),
                     dy + (int)lround((d->box[1] + d->box[3]) * s)};
    outline(canvas, b, t, cell, RED);
}

/* The close-up: the region around the object's box in the frame where it
 * is largest, at full resolution when the object fits the cell, else at
 * the largest DCT scale that fits it. */
static void place_closeup(struct oc_jpeg *j, struct oc_image *canvas, struct rect cell,
                          const struct decoded *d, const struct oc_compose_frame *f)
{
    int cw = cell.x1 - cell.x0, ch = cell.y1 - cell.y0;
    double need = fmax(d->box[2] * 1.25 / cw, d->box[3] * 1.25 / ch);
    int n = need <= 1 ? 8 : (int)(8 / need);
    if (n < 1)
        n = 1;
    int rw = cw * 8 / n, rh = ch * 8 / n;
    if (rw > d->fw)
        rw = d->fw;
    if (rh > d->fh)
        rh = d->fh;
    int cx = (int)(d->box[0] + d->box[2] / 2), cy = (int)(d->box[1] + d->box[3] / 2);
    int region[4] = {cx - rw / 2, cy - rh / 2, rw, rh};
    region[0] = region[0] < 0 ? 0 : region[0] + rw > d->fw ? d->fw - rw : region[0];
    region[1] = region[1] < 0 ? 0 : region[1] + rh > d->fh ? d->fh - rh : region[1];
    struct oc_image img;
    int ax, ay;
    if (oc_jpeg_decode(j, f->jpeg, f->len, n, region, &img, &ax, &ay) != OC_OK)
        return; /* it decoded whole a moment ago; leave the cell dark */
    int sx = region[0] * n / 8 - ax; /* the codec widened the region leftwards */
    if (sx < 0)
        sx = 0;
    int w = img.w - sx < cw ? img.w - sx : cw;
    int dx = cell.x0 + (cw - w) / 2, dy = cell.y0 + (ch - img.h) / 2;
    if (dy < cell.y0)
        dy = cell.y0;
    blit(canvas, cell, dx, dy, &img, sx, 0);
    double s = n / 8.0;
    struct rect b = {dx + (int)lround((d->box[0] - region[0]) * s),
                     dy + (int)lround((d->box[1] - region[1]) * s),
                     dx + (int)lround((d->box[0] + d->box[2] - region[0]) * s),
                     dy + (int)lround((d->box[1] + d->box[3] - region[1]) * s)};
    if (d->area > 0)
        outline(canvas, b, 2, cell, YELLOW);
    free(img.px);
}

static void caption(struct oc_image *canvas, struct oc_font *font, int px, struct rect band,
                    const char *const lines[2])
{
    fill(canvas, band, 0);
    if (!font)
        return;
    int asc, line;
    oc_font_metrics(font, px, &asc, &line);
    for (int i = 0; i < 2; i++)
        if (lines[i])
            oc_font_draw(font, canvas, px, band.x0 + px / 2, band.y0 + px / 3 + asc + i * line,
                         band.x1 - px / 2, lines[i], WHITE);
}

oc_err_t oc_compose(struct oc_jpeg *j, struct oc_font *font, const struct oc_compose_in *in,
                    unsigned char **jpeg, size_t *len, struct oc_compose_report *rep)
{
    memset(rep, 0, sizeof *rep);
    int n8 = fit_scale(in->cam_w, in->cam_h, OC_COMPOSE_CELL_MAX_W, OC_JPEG_MAX_DIM);
    if (n8 == 0 || in->cam_w <= 0 || in->cam_h <= 0 || in->n_frames > OC_COMPOSE_MAX_FRAMES)
        return OC_EINVAL;
    int cw = scaled(in->cam_w, n8), ch = scaled(in->cam_h, n8);
    struct decoded d[OC_COMPOSE_MAX_FRAMES];
    size_t n = 0, best = 0;
    for (size_t i = 0; i < in->n_frames; i++) {
        memset(&d[n], 0, sizeof d[n]);
        if (decode_frame(j, in, (int)i, cw, ch, &d[n], rep) != 0)
            continue;
        rep->used[i] = 1;
        if (d[n].area > d[best].area)
            best = n;
        n++;
    }
    rep->n_used = (unsigned)n;
    if (n == 0)
        return OC_ENOTFOUND;
    int px = cw * 2 / 64 > 14 ? cw * 2 / 64 : 14, asc, line;
    if (font)
        oc_font_metrics(font, px, &asc, &line);
    else
        line = px * 5 / 4;
    int rows = (int)(n + 2) / 2, band_h = 2 * line + px * 2 / 3;
    struct oc_image canvas = {malloc((size_t)cw * 2 * (size_t)(rows * ch + band_h) * 3), cw * 2,
                              rows * ch + band_h};
    oc_err_t e = OC_ENOMEM;
    if (canvas.px) {
        fill(&canvas, (struct rect){0, 0, canvas.w, canvas.h}, 0x20);
        int t = cw / 240 > 2 ? cw / 240 : 2, lpx = px * 3 / 4;
        for (size_t i = 0; i <= n; i++) {
            struct rect cell = {(int)(i % 2) * cw, (int)(i / 2) * ch, (int)(i % 2 + 1) * cw,
                                (int)(i / 2 + 1) * ch};
            if (i < n) {
                place_frame(&canvas, cell, &d[i], t);
                label(&canvas, font, lpx, cell, in->frames[d[i].idx].label);
            } else {
                place_closeup(j, &canvas, cell, &d[best], &in->frames[d[best].idx]);
                label(&canvas, font, lpx, cell, "close-up 特写");
            }
        }
        caption(&canvas, font, px, (struct rect){0, rows * ch, canvas.w, canvas.h}, in->caption);
        e = oc_jpeg_encode(j, &canvas, in->quality, jpeg, len);
    }
    free(canvas.px);
    for (size_t i = 0; i < n; i++)
        free(d[i].img.px);
    return e;
}
