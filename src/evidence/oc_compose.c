#include "ordercam/oc_compose.h"

#include <math.h>
#include <stdio.h>
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
    int idx;       /* index in in->frames */
    int fw, fh;    /* full frame size */
    int num;       /* DCT scale num/8 for its cell */
    int dw, dh;    /* decoded size */
    double box[4]; /* clipped to the frame, frame pixels */
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

/* The lamp colours: lit, and the unlit lenses beside it. */
static const unsigned char LAMP_RED[3] = {255, 0, 0};
static const unsigned char LAMP_YELLOW[3] = {255, 200, 0};
static const unsigned char LAMP_GREEN[3] = {0, 210, 0};
static const unsigned char LAMP_DARK[3] = {60, 60, 60};
static const unsigned char LAMP_HOUSING[3] = {25, 25, 25};

static void disc(struct oc_image *img, int cx, int cy, int r, struct rect clip,
                 const unsigned char c[3])
{
    for (int y = -r; y <= r; y++) {
        int hw = (int)sqrt((double)(r * r - y * y));
        paint(img, (struct rect){cx - hw, cy + y, cx + hw + 1, cy + y + 1}, clip, c);
    }
}

/* A three-lens signal head (red, yellow, green, left to right) with the
 * lens of state lit; returns the x after it. Flashing lights yellow;
 * off and unknown light none. */
static int lamp_head(struct oc_image *img, struct rect band, enum oc_sig_state st)
{
    int h = band.y1 - band.y0, r = h * 3 / 8, step = 2 * r + h / 8;
    struct rect house = {band.x0, band.y0 + h / 16, band.x0 + 3 * step + h / 8, band.y1 - h / 16};
    paint(img, house, band, LAMP_HOUSING);
    static const unsigned char *const lit[] = {LAMP_RED, LAMP_YELLOW, LAMP_GREEN};
    int on = st == OC_SIG_RED                               ? 0
             : st == OC_SIG_YELLOW || st == OC_SIG_FLASHING ? 1
             : st == OC_SIG_GREEN                           ? 2
                                                            : -1;
    for (int k = 0; k < 3; k++)
        disc(img, house.x0 + h / 16 + r + k * step + h / 32, band.y0 + h / 2, r, band,
             k == on ? lit[k] : LAMP_DARK);
    return house.x1;
}

static const char *lamp_name(enum oc_sig_state st)
{
    switch (st) {
    case OC_SIG_RED: return "红灯";
    case OC_SIG_YELLOW: return "黄灯";
    case OC_SIG_GREEN: return "绿灯";
    case OC_SIG_FLASHING: return "黄闪";
    case OC_SIG_OFF: return "灭灯";
    default: return "信号未知";
    }
}

/* The cell's band: its label at the left; the signal's lamp and state
 * ("红灯 3.4 s") at the right. */
static void band_text(struct oc_image *img, struct oc_font *font, int px, struct rect band,
                      const char *text, const struct oc_compose_frame *f)
{
    fill(img, band, 0);
    int asc = px, line = px * 5 / 4;
    if (font)
        oc_font_metrics(font, px, &asc, &line);
    int base = band.y0 + (band.y1 - band.y0 - line) / 2 + asc;
    if (font && text)
        oc_font_draw(font, img, px, band.x0 + px / 2, base, band.x1, text, WHITE);
    if (!f || !f->has_lamp)
        return;
    char st[48];
    if (f->lamp_ms >= 0 && f->lamp != OC_SIG_UNKNOWN)
        snprintf(st, sizeof st, "%s %lld.%01lld s", lamp_name(f->lamp),
                 (long long)(f->lamp_ms / 1000), (long long)(f->lamp_ms % 1000 / 100));
    else
        snprintf(st, sizeof st, "%s", lamp_name(f->lamp));
    int tw = font ? oc_font_width(font, px, st) : 0, h = band.y1 - band.y0;
    int head_w = 3 * (2 * (h * 3 / 8) + h / 8) + h / 8;
    int x0 = band.x1 - px / 2 - tw - px / 2 - head_w;
    if (x0 < band.x0 + (band.x1 - band.x0) / 2)
        x0 = band.x0 + (band.x1 - band.x0) / 2;
    int x = lamp_head(img, (struct rect){x0, band.y0, band.x1, band.y1}, f->lamp);
    if (font)
        oc_font_draw(font, img, px, x + px / 2, base, band.x1, st, WHITE);
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
static void note_place(struct oc_compose_place *pl, struct rect cell, const struct planned *p,
                       const struct oc_compose_in *in, double ox, double oy, double s)
{
    *pl = (struct oc_compose_place){1,
                                    p->idx,
                                    cell.x0,
                                    cell.y0,
                                    cell.x1,
                                    cell.y1,
                                    ox,
                                    oy,
                                    s,
                                    (double)p->fw / in->cam_w,
                                    (double)p->fh / in->cam_h,
                                    p->fw,
                                    p->fh};
}

static int place_frame(struct oc_jpeg *j, struct oc_image *canvas, struct rect cell,
                       const struct planned *p, const struct oc_compose_in *in, int t,
                       struct oc_compose_place *pl)
{
    const struct oc_compose_frame *f = &in->frames[p->idx];
    int cw = cell.x1 - cell.x0, ch = cell.y1 - cell.y0;
    if (p->dw != cw || p->dh != ch)
        fill(canvas, cell, 0x20);
    int dx = cell.x0 + (cw - p->dw) / 2, dy = cell.y0 + (ch - p->dh) / 2, w, h, ax, ay;
    if (oc_jpeg_decode_into(j, f->jpeg, f->len, p->num, NULL, canvas, dx, dy, cw, ch, &w, &h, &ax,
                            &ay) != OC_OK)
        return -1;
    double s = (double)p->dw / p->fw;
    note_place(pl, cell, p, in, dx, dy, s);
    if (p->area <= 0)
        return 0;
    struct rect b = {dx + (int)lround(p->box[0] * s), dy + (int)lround(p->box[1] * s),
                     dx + (int)lround((p->box[0] + p->box[2]) * s),
                     dy + (int)lround((p->box[1] + p->box[3]) * s)};
    outline(canvas, b, t, cell, RED);
    return 0;
}

/* Moves the w x h block at the cell's origin by (sx, sy) inside the cell,
 * dropping what leaves it and darkening what it uncovers. */
static void shift_block(struct oc_image *img, struct rect cell, int w, int h, int sx, int sy)
{
    if (sx == 0 && sy == 0)
        return;
    int cw = cell.x1 - cell.x0, ch = cell.y1 - cell.y0;
    int x0 = sx < 0 ? -sx : 0, x1 = w + sx > cw ? cw - sx : w; /* source columns kept */
    int y0 = sy < 0 ? -sy : 0, y1 = h + sy > ch ? ch - sy : h;
    size_t stride = (size_t)img->w * 3;
    unsigned char *base = img->px + (size_t)cell.y0 * stride + (size_t)cell.x0 * 3;
    if (x1 > x0)
        for (int k = 0; k < y1 - y0; k++) {
            int y = sy > 0 ? y1 - 1 - k : y0 + k; /* downwards: bottom row first */
            memmove(base + (size_t)(y + sy) * stride + (size_t)(x0 + sx) * 3,
                    base + (size_t)y * stride + (size_t)x0 * 3, (size_t)(x1 - x0) * 3);
        }
    /* darken everything of the cell outside the moved block */
    int bx0 = x1 > x0 ? x0 + sx : 0, bx1 = x1 > x0 ? x1 + sx : 0;
    int by0 = y1 > y0 ? y0 + sy : 0, by1 = y1 > y0 ? y1 + sy : 0;
    fill(img, (struct rect){cell.x0, cell.y0, cell.x1, cell.y0 + by0}, 0x20);
    fill(img, (struct rect){cell.x0, cell.y0 + by1, cell.x1, cell.y1}, 0x20);
    fill(img, (struct rect){cell.x0, cell.y0 + by0, cell.x0 + bx0, cell.y0 + by1}, 0x20);
    fill(img, (struct rect){cell.x0 + bx1, cell.y0 + by0, cell.x1, cell.y0 + by1}, 0x20);
}

/* The close-up: the region around the object's box in the frame where it
 * is largest, at full resolution when the object fits the cell, else at
 * the largest DCT scale that fits it; decoded straight into the cell, then
 * moved so that the object's centre is the cell's (the codec widens the
 * region to whole blocks, and near the frame's edge the region cannot be
 * centred on the object). */
static void place_closeup(struct oc_jpeg *j, struct oc_image *canvas, struct rect cell,
                          const struct planned *p, const struct oc_compose_in *in,
                          struct oc_compose_place *pl)
{
    const struct oc_compose_frame *f = &in->frames[p->idx];
    int cw = cell.x1 - cell.x0, ch = cell.y1 - cell.y0;
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
    double cx = p->box[0] + p->box[2] / 2, cy = p->box[1] + p->box[3] / 2;
    int region[4] = {(int)cx - rw / 2, (int)cy - rh / 2, rw, rh};
    region[0] = region[0] < 0 ? 0 : region[0] + rw > p->fw ? p->fw - rw : region[0];
    region[1] = region[1] < 0 ? 0 : region[1] + rh > p->fh ? p->fh - rh : region[1];
    int w, h, ax, ay;
    if (oc_jpeg_decode_into(j, f->jpeg, f->len, n, region, canvas, cell.x0, cell.y0, cw, ch, &w, &h,
                            &ax, &ay) != OC_OK) {
        fill(canvas, cell, 0x20); /* it decoded whole a moment ago; leave the cell dark */
        return;
    }
    double s = n / 8.0;
    int sx = cw / 2 - (int)lround(cx * s - ax), sy = ch / 2 - (int)lround(cy * s - ay);
    shift_block(canvas, cell, w, h, sx, sy);
    int dx = cell.x0 + sx, dy = cell.y0 + sy;
    note_place(pl, cell, p, in, dx - ax, dy - ay, s);
    if (p->area <= 0)
        return;
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

int oc_compose_geometry(struct oc_font *font, int cam_w, int cam_h, size_t n_frames,
                        struct oc_compose_geom *g)
{
    int n8 = fit_scale(cam_w, cam_h, OC_COMPOSE_CELL_MAX_W, OC_JPEG_MAX_DIM);
    if (n8 == 0 || cam_w <= 0 || cam_h <= 0)
        return -1;
    int cw = scaled(cam_w, n8), ch = scaled(cam_h, n8);
    int px = cw * 2 / 64 > 14 ? cw * 2 / 64 : 14, asc, line = px * 5 / 4;
    if (font)
        oc_font_metrics(font, px, &asc, &line);
    int lpx = px * 3 / 4, lline = lpx * 5 / 4;
    if (font)
        oc_font_metrics(font, lpx, &asc, &lline);
    int rows = (int)(n_frames + 2) / 2;
    *g = (struct oc_compose_geom){
        .cell_w = cw, .cell_h = ch, .band_h = lline + lpx / 2, .caption_px = px};
    g->row_h = ch + g->band_h;
    g->caption_y = rows * g->row_h;
    return 0;
}

/* Lays out and draws the sheet for the planned frames. -1 with *bad set to
 * a frame index when that frame's stream is damaged. */
static int draw(struct oc_jpeg *j, struct oc_font *font, const struct oc_compose_in *in,
                const struct planned *p, size_t n, int cw, int ch, struct oc_image *canvas,
                int *bad, struct oc_compose_report *rep)
{
    memset(rep->place, 0, sizeof rep->place);
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (p[i].area > p[best].area)
            best = i;
    struct oc_compose_geom g;
    oc_compose_geometry(font, in->cam_w, in->cam_h, n, &g);
    int px = g.caption_px, asc, line = px * 5 / 4;
    if (font)
        oc_font_metrics(font, px, &asc, &line);
    int rows = (int)(n + 2) / 2, band_h = 2 * line + px * 2 / 3, rh = g.row_h, lpx = px * 3 / 4;
    if (ensure(canvas, cw * 2, g.caption_y + band_h) != 0)
        return -2;
    (void)ch;
    int t = cw / 240 > 2 ? cw / 240 : 2;
    for (size_t i = 0; i <= n; i++) {
        int x0 = (int)(i % 2) * cw, y0 = (int)(i / 2) * rh;
        struct rect cell = {x0, y0, x0 + cw, y0 + g.cell_h},
                    band = {x0, y0 + g.cell_h, x0 + cw, y0 + rh};
        if (i < n) {
            const struct oc_compose_frame *f = &in->frames[p[i].idx];
            if (place_frame(j, canvas, cell, &p[i], in, t, &rep->place[i]) != 0) {
                *bad = p[i].idx;
                return -1;
            }
            band_text(canvas, font, lpx, band, f->label, f);
        } else {
            place_closeup(j, canvas, cell, &p[best], in, &rep->place[OC_COMPOSE_MAX_FRAMES]);
            band_text(canvas, font, lpx, band, "特写 close-up", NULL);
        }
    }
    if (n % 2 == 0) /* the cell after the close-up is empty */
        fill(canvas, (struct rect){cw, (rows - 1) * rh, 2 * cw, rows * rh}, 0x20);
    caption(canvas, font, px, (struct rect){0, rows * rh, canvas->w, canvas->h}, in->caption);
    rep->caption_y = rows * rh;
    rep->caption_px = px;
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
        int bad = -1, rc = draw(j, font, in, p, n, cw, ch, canvas, &bad, rep);
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

/* ---------------- the public variant ---------------- */

/* Replaces each b x b block of r (clipped to clip) by its mean colour:
 * nothing finer than a block is left to recognise. */
static void pixelate(struct oc_image *img, struct rect r, struct rect clip, int b)
{
    int x0 = r.x0 > clip.x0 ? r.x0 : clip.x0, x1 = r.x1 < clip.x1 ? r.x1 : clip.x1;
    int y0 = r.y0 > clip.y0 ? r.y0 : clip.y0, y1 = r.y1 < clip.y1 ? r.y1 : clip.y1;
    size_t stride = (size_t)img->w * 3;
    for (int by = y0; by < y1; by += b)
        for (int bx = x0; bx < x1; bx += b) {
            int ey = by + b < y1 ? by + b : y1, ex = bx + b < x1 ? bx + b : x1;
            unsigned long sum[3] = {0, 0, 0},
                          n = (unsigned long)(ey - by) * (unsigned long)(ex - bx);
            for (int y = by; y < ey; y++) {
                const unsigned char *q = img->px + (size_t)y * stride + (size_t)bx * 3;
                for (int x = bx; x < ex; x++, q += 3) {
                    sum[0] += q[0];
                    sum[1] += q[1];
                    sum[2] += q[2];
                }
            }
            unsigned char c[3] = {(unsigned char)(sum[0] / n), (unsigned char)(sum[1] / n),
                                  (unsigned char)(sum[2] / n)};
            for (int y = by; y < ey; y++) {
                unsigned char *q = img->px + (size_t)y * stride + (size_t)bx * 3;
                for (int x = bx; x < ex; x++, q += 3)
                    memcpy(q, c, 3);
            }
        }
}

/* A box in camera pixels on the canvas, rounded outwards. */
static struct rect to_canvas(const struct oc_compose_place *pl, const double b[4])
{
    double x0 = b[0] * pl->fsx, y0 = b[1] * pl->fsy;
    double x1 = x0 + b[2] * pl->fsx, y1 = y0 + b[3] * pl->fsy;
    return (struct rect){(int)floor(pl->ox + x0 * pl->s), (int)floor(pl->oy + y0 * pl->s),
                         (int)ceil(pl->ox + x1 * pl->s), (int)ceil(pl->oy + y1 * pl->s)};
}

/* The offender's box on the canvas, rounded inwards: its pixels stay. */
static struct rect inner(const struct oc_compose_place *pl, const double b[4])
{
    double x0 = b[0] * pl->fsx, y0 = b[1] * pl->fsy;
    double x1 = x0 + b[2] * pl->fsx, y1 = y0 + b[3] * pl->fsy;
    return (struct rect){(int)ceil(pl->ox + x0 * pl->s), (int)ceil(pl->oy + y0 * pl->s),
                         (int)floor(pl->ox + x1 * pl->s), (int)floor(pl->oy + y1 * pl->s)};
}

static void mask_place(struct oc_image *img, const struct oc_compose_in *in,
                       const struct oc_compose_place *pl)
{
    const struct oc_compose_frame *f = &in->frames[pl->frame];
    struct rect cell = {pl->x0, pl->y0, pl->x1, pl->y1};
    /* blocks of about a sixtieth of the frame's width, whatever the scale */
    int fb = pl->fw / 60 > 8 ? pl->fw / 60 : 8, b = (int)lround(fb * pl->s);
    if (b < 4)
        b = 4;
    if (f->others_unknown) {
        struct rect o = inner(pl, f->box);
        if (f->box[2] <= 0 || f->box[3] <= 0)
            o = (struct rect){cell.x0, cell.y0, cell.x0, cell.y0};
        pixelate(img, (struct rect){cell.x0, cell.y0, cell.x1, o.y0}, cell, b);
        pixelate(img, (struct rect){cell.x0, o.y1, cell.x1, cell.y1}, cell, b);
        pixelate(img, (struct rect){cell.x0, o.y0, o.x0, o.y1}, cell, b);
        pixelate(img, (struct rect){o.x1, o.y0, cell.x1, o.y1}, cell, b);
    }
    for (size_t k = 0; k < f->n_others; k++) {
        const double *ob = f->others[k];
        double px = ob[2] * OC_COMPOSE_PAD, py = ob[3] * OC_COMPOSE_PAD;
        double g[4] = {ob[0] - px, ob[1] - py, ob[2] + 2 * px, ob[3] + 2 * py};
        pixelate(img, to_canvas(pl, g), cell, b);
    }
    if (in->public_face && f->box[2] > 0 && f->box[3] > 0) {
        double face[4] = {f->box[0], f->box[1], f->box[2], f->box[3] / 3};
        pixelate(img, to_canvas(pl, face), cell, b);
    }
}

oc_err_t oc_compose_public(struct oc_jpeg *j, struct oc_font *font, const struct oc_compose_in *in,
                           struct oc_image *canvas, const struct oc_compose_report *rep,
                           unsigned char **jpeg, size_t *len)
{
    for (size_t i = 0; i <= OC_COMPOSE_MAX_FRAMES; i++)
        if (rep->place[i].used)
            mask_place(canvas, in, &rep->place[i]);
    caption(canvas, font, rep->caption_px, (struct rect){0, rep->caption_y, canvas->w, canvas->h},
            in->public_caption);
    return oc_jpeg_encode(j, canvas, in->quality, jpeg, len);
}
