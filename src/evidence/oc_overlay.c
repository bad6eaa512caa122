/* The live view's drawing on RGB images (see oc_overlay.h). Keep the style
 * table and the labels in step with src/edge/live/live.js. */
#include "ordercam/oc_overlay.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RGB(r, g, b)                                                                               \
    {                                                                                              \
        {                                                                                          \
            r, g, b                                                                                \
        }                                                                                          \
    }

/* ---- the style (live.js: ZONE_COLORS, SIGNAL_COLORS, ...) ---- */
static const struct oc_overlay_rgb zone_colors[OC_ZONE__COUNT] = {
    [OC_ZONE_NO_PARKING] = RGB(0xff, 0x3b, 0x30),
    [OC_ZONE_TACTILE_PAVING] = RGB(0xff, 0xcc, 0x00),
    [OC_ZONE_CROSSWALK] = RGB(0xff, 0xff, 0xff),
    [OC_ZONE_CARRIAGEWAY] = RGB(0x5a, 0xc8, 0xfa),
    [OC_ZONE_LANE] = RGB(0x34, 0xc7, 0x59),
    [OC_ZONE_NO_VENDING] = RGB(0xaf, 0x52, 0xde),
    [OC_ZONE_HELMET_ENFORCEMENT] = RGB(0xff, 0x95, 0x00)};
const struct oc_overlay_rgb OC_OVERLAY_EXIT = RGB(0x0a, 0x84, 0xff);
const struct oc_overlay_rgb OC_OVERLAY_TRACK = RGB(0x00, 0xe5, 0xff);
const struct oc_overlay_rgb OC_OVERLAY_ANCHOR = RGB(0xff, 0x00, 0xff);
const struct oc_overlay_rgb OC_OVERLAY_STAY = RGB(0xff, 0x95, 0x00);
const struct oc_overlay_rgb OC_OVERLAY_VIOLATION = RGB(0xff, 0x00, 0x00);
static const struct oc_overlay_rgb WHITE = RGB(0xff, 0xff, 0xff);

struct oc_overlay_rgb oc_overlay_zone_color(enum oc_zone_kind k)
{
    return (unsigned)k < OC_ZONE__COUNT ? zone_colors[k] : WHITE;
}

struct oc_overlay_rgb oc_overlay_signal_color(enum oc_sig_state s)
{
    static const struct oc_overlay_rgb red = RGB(0xff, 0, 0), yellow = RGB(0xff, 0xc8, 0),
                                       green = RGB(0, 0xc8, 0), other = RGB(0xa0, 0xa0, 0xa0);
    return s == OC_SIG_RED ? red : s == OC_SIG_YELLOW ? yellow : s == OC_SIG_GREEN ? green : other;
}

static const char *zone_name(enum oc_zone_kind k)
{
    static const char *const names[OC_ZONE__COUNT] = {
        "禁停区", "盲道", "人行横道", "机动车道", "车道", "禁止摆摊区", "头盔检查区"};
    return (unsigned)k < OC_ZONE__COUNT ? names[k] : "";
}

static const char *state_name(enum oc_sig_state s)
{
    switch (s) {
    case OC_SIG_RED: return "红灯";
    case OC_SIG_YELLOW: return "黄灯";
    case OC_SIG_GREEN: return "绿灯";
    case OC_SIG_FLASHING: return "闪烁";
    case OC_SIG_OFF: return "关闭";
    default: return "未知";
    }
}

static const char *type_name(const char *type)
{
    static const char *const names[][2] = {{"illegal_parking", "违法停车"},
                                           {"tactile_paving_occupied", "占用盲道"},
                                           {"street_vending", "占道经营"},
                                           {"red_light", "闯红灯"},
                                           {"stop_line_crossing", "越线停车"},
                                           {"nonmotor_red_light", "非机动车闯红灯"},
                                           {"pedestrian_red_light", "行人闯红灯"},
                                           {"jaywalking", "行人横穿"},
                                           {"wrong_way", "逆行"},
                                           {"no_helmet", "未戴头盔"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(names[i][0], type) == 0)
            return names[i][1];
    return type;
}

/* ---- pixels ---- */

/* Camera pixels to image pixels, and the widths of the style. */
struct pen {
    struct oc_image *img;
    double sx, sy;
    int u;  /* the style's unit (live.js: unit()), in image pixels */
    int px; /* label size, image pixels */
};

static void blend(struct pen *p, int x, int y, struct oc_overlay_rgb c, int alpha256)
{
    if (x < 0 || y < 0 || x >= p->img->w || y >= p->img->h)
        return;
    unsigned char *d = p->img->px + ((size_t)y * (size_t)p->img->w + (size_t)x) * 3;
    for (int i = 0; i < 3; i++)
        d[i] = (unsigned char)((d[i] * (256 - alpha256) + c.c[i] * alpha256) >> 8);
}

static void fill_rect(struct pen *p, int x0, int y0, int x1, int y1, struct oc_overlay_rgb c,
                      int alpha256)
{
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > p->img->w)
        x1 = p->img->w;
    if (y1 > p->img->h)
        y1 = p->img->h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            blend(p, x, y, c, alpha256);
}

/* A stroke lw wide centred on the segment (image pixels). */
static void line_px(struct pen *p, double ax, double ay, double bx, double by, int lw,
                    struct oc_overlay_rgb c)
{
    double dx = bx - ax, dy = by - ay;
    int steps = (int)ceil(fmax(fabs(dx), fabs(dy)));
    if (steps > 20000)
        steps = 20000; /* coordinates far outside any frame */
    int lo = -(lw - 1) / 2 - (lw % 2 == 0), hi = (lw - 1) / 2;
    if (lw == 1)
        lo = hi = 0;
    for (int s = 0; s <= steps; s++) {
        double t = steps ? (double)s / steps : 0;
        int x = (int)floor(ax + dx * t), y = (int)floor(ay + dy * t);
        fill_rect(p, x + lo, y + lo, x + hi + 1, y + hi + 1, c, 256);
    }
}

static void line_cam(struct pen *p, struct oc_pt a, struct oc_pt b, int lw, struct oc_overlay_rgb c)
{
    line_px(p, a.x * p->sx, a.y * p->sy, b.x * p->sx, b.y * p->sy, lw, c);
}

static void rect_cam(struct pen *p, const double box[4], int lw, struct oc_overlay_rgb c)
{
    struct oc_pt a = {box[0], box[1]}, b = {box[0] + box[2], box[1]},
                 d = {box[0] + box[2], box[1] + box[3]}, e = {box[0], box[1] + box[3]};
    line_cam(p, a, b, lw, c);
    line_cam(p, b, d, lw, c);
    line_cam(p, d, e, lw, c);
    line_cam(p, e, a, lw, c);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The polygon's inside (even-odd, pixel centres), lightly (live.js: 0.12). */
static void fill_poly(struct pen *p, const struct oc_pt *pts, size_t n, struct oc_overlay_rgb c)
{
    double *xs = malloc(n * sizeof *xs);
    if (!xs)
        return;
    double miny = INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < n; i++)
        miny = fmin(miny, pts[i].y * p->sy), maxy = fmax(maxy, pts[i].y * p->sy);
    int y0 = (int)fmax(0, floor(miny)), y1 = (int)fmin(p->img->h - 1, ceil(maxy));
    for (int y = y0; y <= y1; y++) {
        double cy = y + 0.5;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            double ay = pts[i].y * p->sy, by = pts[(i + 1) % n].y * p->sy;
            double ax = pts[i].x * p->sx, bx = pts[(i + 1) % n].x * p->sx;
            if ((ay <= cy && by > cy) || (by <= cy && ay > cy))
                xs[k++] = ax + (cy - ay) / (by - ay) * (bx - ax);
        }
        qsort(xs, k, sizeof *xs, cmp_double);
        for (size_t i = 0; i + 1 < k; i += 2)
            fill_rect(p, (int)ceil(xs[i] - 0.5), y, (int)ceil(xs[i + 1] - 0.5), y + 1, c, 31);
    }
    free(xs);
}

static void disc(struct pen *p, double cx, double cy, int r, struct oc_overlay_rgb c)
{
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++)
            if (dx * dx + dy * dy <= r * r)
                blend(p, (int)floor(cx) + dx, (int)floor(cy) + dy, c, 256);
}

/* Text on a dark band, its baseline at (x, y) in image pixels (live.js: label()). */
static void label(struct pen *p, struct oc_font *font, const char *text, double x, double y,
                  struct oc_overlay_rgb c)
{
    if (!font || !text[0])
        return;
    static const struct oc_overlay_rgb black = RGB(0, 0, 0);
    int w = oc_font_width(font, p->px, text);
    int ix = (int)floor(x), iy = (int)floor(y);
    fill_rect(p, ix, iy - p->px, ix + w + 8, iy + 6, black, 154);
    oc_font_draw(font, p->img, p->px, ix + 4, iy, p->img->w, text, c.c);
}

/* ---- the scene ---- */

static struct oc_overlay_rgb line_color(const struct oc_line_cfg *l, const struct oc_scene *sc)
{
    if (l->kind != OC_LINE_STOP)
        return OC_OVERLAY_EXIT;
    for (size_t i = 0; i < sc->n_signals; i++)
        if (sc->signals[i].signal == l->signal)
            return oc_overlay_signal_color(sc->signals[i].state);
    return oc_overlay_signal_color(OC_SIG_UNKNOWN);
}

static const char *line_state(const struct oc_line_cfg *l, const struct oc_scene *sc)
{
    for (size_t i = 0; l->kind == OC_LINE_STOP && i < sc->n_signals; i++)
        if (sc->signals[i].signal == l->signal)
            return state_name(sc->signals[i].state);
    return NULL;
}

static void arrow(struct pen *p, const struct oc_line_cfg *l, struct oc_overlay_rgb c)
{
    double n = hypot(l->dir.x, l->dir.y);
    if (n == 0)
        return;
    double dx = l->dir.x / n, dy = l->dir.y / n, len = 20.0 * p->u / p->sx;
    struct oc_pt m = {(l->p.x + l->q.x) / 2, (l->p.y + l->q.y) / 2};
    struct oc_pt e = {m.x + dx * len, m.y + dy * len};
    double s = len / 3;
    line_cam(p, m, e, p->u, c);
    line_cam(p, e, (struct oc_pt){e.x - dx * s - dy * s / 2, e.y - dy * s + dx * s / 2}, p->u, c);
    line_cam(p, e, (struct oc_pt){e.x - dx * s + dy * s / 2, e.y - dy * s - dx * s / 2}, p->u, c);
}

static void draw_shapes(struct pen *p, struct oc_font *font, const struct oc_camera_cfg *cam,
                        const struct oc_scene *sc)
{
    /* every fill first, so that no fill tints another zone's outline */
    for (size_t i = 0; i < cam->n_zones; i++)
        fill_poly(p, cam->zones[i].pts, cam->zones[i].n_pts,
                  oc_overlay_zone_color(cam->zones[i].kind));
    for (size_t i = 0; i < cam->n_zones; i++) {
        const struct oc_zone_cfg *z = &cam->zones[i];
        for (size_t k = 0; k < z->n_pts; k++)
            line_cam(p, z->pts[k], z->pts[(k + 1) % z->n_pts], p->u,
                     oc_overlay_zone_color(z->kind));
    }
    for (size_t i = 0; i < cam->n_lines; i++) {
        const struct oc_line_cfg *l = &cam->lines[i];
        struct oc_overlay_rgb c = line_color(l, sc);
        line_cam(p, l->p, l->q, 2 * p->u, c);
        arrow(p, l, c);
    }
    char text[256];
    for (size_t i = 0; i < cam->n_zones; i++) {
        const struct oc_zone_cfg *z = &cam->zones[i];
        snprintf(text, sizeof text, "%s %s", z->id, zone_name(z->kind));
        label(p, font, text, z->pts[0].x * p->sx + 2 * p->u, z->pts[0].y * p->sy + p->px + 2 * p->u,
              oc_overlay_zone_color(z->kind));
    }
    for (size_t i = 0; i < cam->n_lines; i++) {
        const struct oc_line_cfg *l = &cam->lines[i];
        const char *st = line_state(l, sc);
        snprintf(text, sizeof text, "%s%s%s", l->id, st ? " " : "", st ? st : "");
        label(p, font, text, l->p.x * p->sx + 2 * p->u, l->p.y * p->sy - 2 * p->u,
              line_color(l, sc));
    }
}

static void draw_objects(struct pen *p, struct oc_font *font, const struct oc_overlay_in *in)
{
    const struct oc_scene *sc = in->scene;
    char text[256];
    for (size_t i = 0; i < sc->n_stays; i++) {
        const struct oc_scene_stay *s = &sc->stays[i];
        rect_cam(p, s->box, 2 * p->u, OC_OVERLAY_STAY);
        snprintf(text, sizeof text, "停留 %lld/%lld 秒", (long long)llround(s->dwell_ms / 1000.0),
                 (long long)llround(s->limit_ms / 1000.0));
        label(p, font, text, s->box[0] * p->sx, (s->box[1] + s->box[3]) * p->sy + p->px + 2 * p->u,
              OC_OVERLAY_STAY);
    }
    for (size_t i = 0; i < sc->n_tracks; i++) {
        const struct oc_scene_track *t = &sc->tracks[i];
        rect_cam(p, t->box, p->u, OC_OVERLAY_TRACK);
        disc(p, t->anchor.x * p->sx, t->anchor.y * p->sy, 2 * p->u, OC_OVERLAY_ANCHOR);
        snprintf(text, sizeof text, "%s %s", t->id, t->cls);
        label(p, font, text, t->box[0] * p->sx, t->box[1] * p->sy - 2 * p->u, OC_OVERLAY_TRACK);
    }
    for (size_t i = 0; i < in->nv; i++) {
        const struct oc_scene_violation *v = &in->v[i];
        if (v->box[2] <= 0 || !sc->has_clock || sc->clock - v->ts > OC_OVERLAY_FLASH_MS ||
            sc->clock < v->ts)
            continue;
        rect_cam(p, v->box, 3 * p->u, OC_OVERLAY_VIOLATION);
        label(p, font, type_name(v->type), v->box[0] * p->sx,
              (v->box[1] + v->box[3]) * p->sy + 2 * p->px, OC_OVERLAY_VIOLATION);
    }
}

void oc_overlay_draw(struct oc_image *img, struct oc_font *font, const struct oc_overlay_in *in)
{
    const struct oc_scene *sc = in->scene;
    if (!img->px || sc->camera < 0 || (size_t)sc->camera >= in->cfg->n_cameras)
        return;
    const struct oc_camera_cfg *cam = &in->cfg->cameras[sc->camera];
    struct pen p = {
        .img = img, .sx = (double)img->w / cam->width, .sy = (double)img->h / cam->height};
    int u = (int)lround(cam->width / 640.0);
    p.u = (int)lround((u < 1 ? 1 : u) * p.sx);
    if (p.u < 1)
        p.u = 1;
    int px = (int)lround(cam->height / 40.0);
    p.px = (int)lround((px < 12 ? 12 : px) * p.sy);
    if (p.px < 8)
        p.px = 8;
    draw_shapes(&p, font, cam, sc);
    draw_objects(&p, font, in);
}
