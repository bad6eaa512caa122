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

/* A frame that passed its checks: where and how it is decoded. */
struct planned {
    int idx;           /* index in in->frames */
    int fw, fh;        /* full frame size */
    int num;           /* DCT scale num/8 for its cell */
    int dw, dh;        /* decoded size */
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

/* Reads the size and decides whether the frame fits the camera and how
 * it is decoded for a cell of cw x ch. Counts once (count set). 0: usable. */
static int plan_frame(struct oc_jpeg *j, const struct oc_compose_in *in, int i, int cw, int ch,
                      struct planned *p, struct oc_compose_report *rep, int count)
{
    const struct oc_compose_frame *f = &in->frames[i];
    oc_err_t e = oc_jpeg_size(j, f->jpeg, f->len, &p->fw, &p->fh);
    if (e != OC_OK) {
        if (count)
            e == OC_ELIMIT ? rep->wrong_size++ : rep->corrupt++;
        return -1;
    }
    double sx = (double)p->fw / in->cam_w, sy = (double)p->fh / in->cam_h;
    if (p->fw != in->cam_w || p->fh != in->cam_h) {
        if (fabs(sx - sy) > 0.02 * sx) {
            rep->wrong_size += (unsigned)count;
            return -1;
        }
        rep->rescaled += (unsigned)count;
    }
    p->num = fit_scale(p->fw, p->fh, cw, ch);
    if (p->num == 0) {
        rep->wrong_size += (unsigned)count;
        return -1;
    }
    p->dw = scaled(p->fw, p->num);
    p->dh = scaled(p->fh, p->num);
    double x0 = f->box[0] * sx, y0 = f->box[1] * sy;
    double x1 = x0 + f->box[2] * sx, y1 = y0 + f->box[3] * sy;
    if ((x0 < 0 || y0 < 0 || x1 > p->fw || y1 > p->fh) && count)
        rep->box_clipped++;
    x0 = fmin(fmax(x0, 0), p->fw);
    x1 = fmin(fmax(x1, 0), p->fw);
    y0 = fmin(fmax(y0, 0), p->fh);
    y1 = fmin(fmax(y1, 0), p->fh);
    p->box[0] = x0;
    p->box[1] = y0;
    p->box[2] = x1 - x0;
    p->box[3] = y1 - y0;
    p->area = p->box[2] * p->box[3];
    p->idx = i;
    return 0;
}

/* Decodes a frame straight into its cell, centered, and boxes the object.
 * -1 when the stream turns out damaged. */
static int place_frame(struct oc_jpeg *j, struct oc_image *canvas, struct rect cell,
                       const struct planned *p, const struct oc_compose_frame *f, int t)
{
    int cw = cell.x1 - cell.x0, ch = cell.y1 - cell.y0;
    if (p->dw != cw || p->dh != ch)
        fill(canvas, cell, 0x20);
    int dx = cell.x0 + (cw - p->dw) / 2, dy = cell.y0 + (ch - p->dh) / 2, w, h, ax, ay;
    if (oc_jpeg_decode_into(j, f->jpeg, f->len, p->num, NULL, canvas, dx, dy, cw, ch, &w, &h, &ax,
                            &ay) != OC_OK)
        return -1;
    if (p->area <= 0)
        return 0;
    double s = (double)p->dw / p->fw;
    struct rect b = {dx + (int)lround(p->box[0] * s), dy + (int)lround(p->box[1] * s),
                     dx + (int)lround((p->box[0] + p->box[2]) * s),
                     dy + (int)lround((p->box[1] + p->box[3]) * s)};
    outline(canvas, b, t, cell, RED);
    return 0;
}

/* The close-up: the region around the object's box in the frame where it
 * is largest, at full resolution when the object fits the cell, else at
 * the largest DCT scale that fits it; decoded straight into the cell. */
static void place_closeup(struct oc_jpeg *j, struct oc_image *canvas, struct rect cell,
                          const struct planned *p, const struct oc_compose_frame *f)
{
    int cw = cell.x1 - cell.x0, ch = cell.y1 - cell.y0;
    fill(canvas, cell, 0x20);
    double need = fmax(p->box[2] * 1.25 / cw, p->box[3] * 1.25 / ch);
    int n = need <= 1 ? 8 : (int)(8 / need);
    if (n < 1)
        n = 1;
    /* the codec widens a region to whole blocks (at most 16 px a side at
     * full size): ask for less so that it still fits the cell */
    int rw = (cw - 40) * 8 / n, rh = ch * 8 / n;
    if (rw > p->fw)
        rw = p->fw;
    if (rh > p->fh)
        rh = p->fh;
    int cx = (int)(p->box[0] + p->box[2] / 2), cy = (int)(p->box[1] + p->box[3] / 2);
    int region[4] = {cx - rw / 2, cy - rh / 2, rw, rh};
    region[0] = region[0] < 0 ? 0 : region[0] + rw > p->fw ? p->fw - rw : region[0];
    region[1] = region[1] < 0 ? 0 : region[1] + rh > p->fh ? p->fh - rh : region[1];
    int dw = scaled(rw, n) + 32, dh = scaled(rh, n); /* an estimate, for centering */
    int dx = cell.x0 + (cw > dw ? (cw - dw) / 2 : 0), dy = cell.y0 + (ch > dh ? (ch - dh) / 2 : 0);
    int w, h, ax, ay;
    if (oc_jpeg_decode_into(j, f->jpeg, f->len, n, region, canvas, dx, dy, cell.x1 - dx,
                            cell.y1 - dy, &w, &h, &ax, &ay) != OC_OK) {
        fill(canvas, cell, 0x20); /* it decoded whole a moment ago; leave the cell dark */
        return;
    }
    if (p->area <= 0)
        return;
    double s = n / 8.0;
    struct rect b = {dx + (int)lround(p->box[0] * s) - ax, dy + (int)lround(p->box[1] * s) - ay,
                     dx + (int)lround((p->box[0] + p->box[2]) * s) - ax,
                     dy + (int)lround((p->box[1] + p->box[3]) * s) - ay};
    outline(canvas, b, 2, cell, YELLOW);
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

static int ensure(struct oc_image *canvas, int w, int h)
{
    if ((size_t)canvas->w * canvas->h < (size_t)w * h || !canvas->px) {
        unsigned char *px = realloc(canvas->px, (size_t)w * h * 3);
        if (!px)
            return -1;
        canvas->px = px;
    }
    canvas->w = w;
    canvas->h = h;
    return 0;
}

/* Lays out and draws the sheet for the planned frames. -1 with *bad set to
 * a frame index when that frame's stream is damaged. */
static int draw(struct oc_jpeg *j, struct oc_font *font, const struct oc_compose_in *in,
                const struct planned *p, size_t n, int cw, int ch, struct oc_image *canvas,
                int *bad)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (p[i].area > p[best].area)
            best = i;
    int px = cw * 2 / 64 > 14 ? cw * 2 / 64 : 14, asc, line;
    if (font)
        oc_font_metrics(font, px, &asc, &line);
    else
        line = px * 5 / 4;
    int rows = (int)(n + 2) / 2, band_h = 2 * line + px * 2 / 3;
    if (ensure(canvas, cw * 2, rows * ch + band_h) != 0)
        return -2;
    int t = cw / 240 > 2 ? cw / 240 : 2, lpx = px * 3 / 4;
    for (size_t i = 0; i <= n; i++) {
        struct rect cell = {(int)(i % 2) * cw, (int)(i / 2) * ch, (int)(i % 2 + 1) * cw,
                            (int)(i / 2 + 1) * ch};
        if (i < n) {
            if (place_frame(j, canvas, cell, &p[i], &in->frames[p[i].idx], t) != 0) {
                *bad = p[i].idx;
                return -1;
            }
            label(canvas, font, lpx, cell, in->frames[p[i].idx].label);
        } else {
            place_closeup(j, canvas, cell, &p[best], &in->frames[p[best].idx]);
            label(canvas, font, lpx, cell, "close-up 特写");
        }
    }
    if (n % 2 == 0) /* the cell after the close-up is empty */
        fill(canvas, (struct rect){cw, (rows - 1) * ch, 2 * cw, rows * ch}, 0x20);
    caption(canvas, font, px, (struct rect){0, rows * ch, canvas->w, canvas->h}, in->caption);
    return 0;
}

oc_err_t oc_compose(struct oc_jpeg *j, struct oc_font *font, const struct oc_compose_in *in,
                    struct oc_image *canvas, unsigned char **jpeg, size_t *len,
                    struct oc_compose_report *rep)
{
    memset(rep, 0, sizeof *rep);
    int n8 = fit_scale(in->cam_w, in->cam_h, OC_COMPOSE_CELL_MAX_W, OC_JPEG_MAX_DIM);
    if (n8 == 0 || in->cam_w <= 0 || in->cam_h <= 0 || in->n_frames > OC_COMPOSE_MAX_FRAMES)
        return OC_EINVAL;
    int cw = scaled(in->cam_w, n8), ch = scaled(in->cam_h, n8);
    unsigned excluded = 0;
    /* a frame whose stream breaks mid-way is left out and the sheet made
     * again; at most once per frame */
    for (int attempt = 0; attempt <= OC_COMPOSE_MAX_FRAMES; attempt++) {
        struct planned p[OC_COMPOSE_MAX_FRAMES];
        size_t n = 0;
        memset(rep->used, 0, sizeof rep->used);
        for (size_t i = 0; i < in->n_frames; i++)
            if (!(excluded & (1u << i)) &&
                plan_frame(j, in, (int)i, cw, ch, &p[n], rep, attempt == 0) == 0) {
                rep->used[i] = 1;
                n++;
            }
        rep->n_used = (unsigned)n;
        if (n == 0)
            return OC_ENOTFOUND;
        int bad = -1, rc = draw(j, font, in, p, n, cw, ch, canvas, &bad);
        if (rc == -2)
            return OC_ENOMEM;
        if (rc == -1) {
            excluded |= 1u << bad;
            rep->corrupt++;
            continue;
        }
        return oc_jpeg_encode(j, canvas, in->quality, jpeg, len);
    }
    return OC_ENOTFOUND;
}
