/* ordercam-replay --render (see render.h). */
#include "render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ordercam/oc_font.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_jpeg.h"
#include "ordercam/oc_overlay.h"
#include "ordercam/oc_scene.h"

#define PENDING_MAX 4 /* frames one message may bring */
#define WINDOWS_MAX 64

/* A frame waiting to be drawn, with the scene it is to be drawn with
 * (only the used part of the arrays is kept). */
struct held {
    int64_t ts;
    unsigned char *jpeg;
    size_t len;
    bool written;
    struct oc_scene head; /* arrays unused: see tracks, stays */
    struct oc_scene_track *tracks;
    struct oc_scene_stay *stays;
    struct oc_scene_violation v[OC_SCENE_VIOLATIONS_MAX];
    size_t nv;
};

struct camstate {
    bool chosen;
    struct held *held; /* ring of held frames, oldest first */
    size_t n_held, cap_held, head;
    int64_t win_from[WINDOWS_MAX], win_to[WINDOWS_MAX];
    size_t n_win;
    struct oc_scene_violation v[OC_SCENE_VIOLATIONS_MAX];
    size_t nv, vhead;
};

struct pending {
    int cam;
    int64_t ts;
    unsigned char *jpeg;
    size_t len;
};

struct render {
    const struct oc_config *cfg;
    struct render_opts o;
    char *dir;
    struct camstate *cams;
    struct pending pend[PENDING_MAX];
    size_t n_pend;
    struct oc_jpeg *jpeg;
    struct oc_font *font;
    struct oc_scene *scratch;
    size_t held_bytes;
    uint64_t written, undecodable, write_failed, held_dropped, pending_dropped;
};

static int choose(struct render *r, char *err, size_t errlen)
{
    for (size_t c = 0; c < r->cfg->n_cameras; c++)
        r->cams[c].chosen = !r->o.cameras;
    if (!r->o.cameras)
        return 0;
    const char *p = r->o.cameras;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int c = oc_config_camera(r->cfg, p, n);
        if (c < 0) {
            snprintf(err, errlen, "--cameras: no camera \"%.*s\" in the config", (int)n, p);
            return -1;
        }
        r->cams[c].chosen = true;
        p += n + (comma != NULL);
    }
    return 0;
}

struct render *render_new(const struct oc_config *cfg, const struct render_opts *o, char *err,
                          size_t errlen)
{
    struct render *r = calloc(1, sizeof *r);
    if (!r || !(r->cams = calloc(cfg->n_cameras + 1, sizeof *r->cams)) ||
        !(r->scratch = malloc(sizeof *r->scratch)) || !(r->jpeg = oc_jpeg_new()) ||
        !(r->dir = strdup(o->dir))) {
        snprintf(err, errlen, "out of memory");
        render_free(r);
        return NULL;
    }
    r->cfg = cfg;
    r->o = *o;
    if (choose(r, err, errlen) != 0 || !(r->font = oc_font_open(o->font, err, errlen))) {
        render_free(r);
        return NULL;
    }
    for (size_t c = 0; c < cfg->n_cameras; c++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", o->dir, cfg->cameras[c].id);
        if (r->cams[c].chosen && oc_io_mkdir_p(path) != 0) {
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
            render_free(r);
            return NULL;
        }
    }
    return r;
}

static void held_free(struct held *h)
{
    free(h->jpeg), free(h->tracks), free(h->stays);
    memset(h, 0, sizeof *h);
}

void render_free(struct render *r)
{
    if (!r)
        return;
    for (size_t c = 0; r->cams && c < r->cfg->n_cameras; c++) {
        struct camstate *cs = &r->cams[c];
        for (size_t i = 0; i < cs->n_held; i++)
            held_free(&cs->held[(cs->head + i) % cs->cap_held]);
        free(cs->held);
    }
    for (size_t i = 0; i < r->n_pend; i++)
        free(r->pend[i].jpeg);
    free(r->cams);
    free(r->scratch);
    free(r->dir);
    oc_jpeg_free(r->jpeg);
    oc_font_free(r->font);
    free(r);
}

void render_frame(struct render *r, int camera, int64_t ts, const void *jpeg, size_t len)
{
    if (camera < 0 || (size_t)camera >= r->cfg->n_cameras || !r->cams[camera].chosen ||
        (r->o.from && ts < r->o.from) || (r->o.to && ts > r->o.to))
        return;
    unsigned char *copy = r->n_pend < PENDING_MAX ? malloc(len) : NULL;
    if (!copy) {
        r->pending_dropped++;
        return;
    }
    memcpy(copy, jpeg, len);
    r->pend[r->n_pend++] = (struct pending){camera, ts, copy, len};
}

/* Decodes, draws, writes DIR/<camera>/<ts>.jpg. */
static void draw_write(struct render *r, int cam, int64_t ts, const void *jpeg, size_t len,
                       const struct oc_scene *sc, const struct oc_scene_violation *v, size_t nv)
{
    struct oc_image img = {0};
    int ax, ay;
    if (oc_jpeg_decode(r->jpeg, jpeg, len, 8, NULL, &img, &ax, &ay) != OC_OK) {
        r->undecodable++;
        return;
    }
    struct oc_overlay_in in = {.cfg = r->cfg, .scene = sc, .v = v, .nv = nv};
    oc_overlay_draw(&img, r->font, &in);
    unsigned char *out = NULL;
    size_t olen = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%" PRId64 ".jpg", r->dir, r->cfg->cameras[cam].id, ts);
    FILE *f = NULL;
    if (oc_jpeg_encode(r->jpeg, &img, r->o.quality, &out, &olen) != OC_OK ||
        !(f = fopen(path, "wb")) || fwrite(out, 1, olen, f) != olen)
        r->write_failed++;
    else
        r->written++;
    if (f && fclose(f) != 0)
        r->write_failed++;
    free(out);
    free(img.px);
}

/* The camera's last violations, oldest first. */
static size_t recent(const struct camstate *cs, struct oc_scene_violation *out)
{
    for (size_t i = 0; i < cs->nv; i++)
        out[i] = cs->v[(cs->vhead + i) % OC_SCENE_VIOLATIONS_MAX];
    return cs->nv;
}

static void draw_held(struct render *r, int cam, struct held *h)
{
    struct oc_scene *sc = r->scratch;
    *sc = h->head;
    memcpy(sc->tracks, h->tracks, h->head.n_tracks * sizeof *h->tracks);
    memcpy(sc->stays, h->stays, h->head.n_stays * sizeof *h->stays);
    draw_write(r, cam, h->ts, h->jpeg, h->len, sc, h->v, h->nv);
    h->written = true;
}

static bool in_window(const struct camstate *cs, int64_t ts)
{
    for (size_t i = 0; i < cs->n_win; i++)
        if (ts >= cs->win_from[i] && ts <= cs->win_to[i])
            return true;
    return false;
}

void render_violation(struct render *r, const struct oc_violation *v)
{
    if (v->camera < 0 || (size_t)v->camera >= r->cfg->n_cameras || !r->cams[v->camera].chosen)
        return;
    struct camstate *cs = &r->cams[v->camera];
    size_t at = (cs->vhead + cs->nv) % OC_SCENE_VIOLATIONS_MAX;
    if (cs->nv == OC_SCENE_VIOLATIONS_MAX)
        cs->vhead = (cs->vhead + 1) % OC_SCENE_VIOLATIONS_MAX;
    else
        cs->nv++;
    oc_scene_violation_from(&cs->v[at], v);
    if (!r->o.violations_only)
        return;
    if (cs->n_win == WINDOWS_MAX) { /* the oldest window has had its frames by now */
        memmove(cs->win_from, cs->win_from + 1, (WINDOWS_MAX - 1) * sizeof *cs->win_from);
        memmove(cs->win_to, cs->win_to + 1, (WINDOWS_MAX - 1) * sizeof *cs->win_to);
        cs->n_win--;
    }
    cs->win_from[cs->n_win] = v->ts - OC_RENDER_AROUND_MS;
    cs->win_to[cs->n_win++] = v->ts + OC_RENDER_AROUND_MS;
    for (size_t i = 0; i < cs->n_held; i++) {
        struct held *h = &cs->held[(cs->head + i) % cs->cap_held];
        if (!h->written && in_window(cs, h->ts))
            draw_held(r, v->camera, h);
    }
}

/* Drops held frames older than OC_RENDER_HOLD_MS behind ts, and the oldest
 * while over OC_RENDER_HOLD_BYTES (counted unless already drawn). */
static void trim(struct render *r, struct camstate *cs, int64_t ts)
{
    while (cs->n_held) {
        struct held *h = &cs->held[cs->head];
        if (h->ts >= ts - OC_RENDER_HOLD_MS && r->held_bytes <= OC_RENDER_HOLD_BYTES)
            break;
        if (h->ts >= ts - OC_RENDER_HOLD_MS && !h->written)
            r->held_dropped++;
        r->held_bytes -= h->len;
        held_free(h);
        cs->head = (cs->head + 1) % cs->cap_held;
        cs->n_held--;
    }
    size_t k = 0; /* windows wholly behind the held frames are done */
    for (size_t i = 0; i < cs->n_win; i++)
        if (cs->win_to[i] >= ts - OC_RENDER_HOLD_MS)
            cs->win_from[k] = cs->win_from[i], cs->win_to[k++] = cs->win_to[i];
    cs->n_win = k;
}

static struct held *hold(struct render *r, struct camstate *cs)
{
    if (cs->n_held == cs->cap_held) {
        size_t cap = cs->cap_held ? cs->cap_held * 2 : 64;
        struct held *nh = calloc(cap, sizeof *nh);
        if (!nh)
            return NULL;
        for (size_t i = 0; i < cs->n_held; i++)
            nh[i] = cs->held[(cs->head + i) % cs->cap_held];
        free(cs->held);
        cs->held = nh;
        cs->cap_held = cap;
        cs->head = 0;
    }
    (void)r;
    return &cs->held[(cs->head + cs->n_held++) % cs->cap_held];
}

static void keep(struct render *r, int cam, struct pending *p)
{
    struct camstate *cs = &r->cams[cam];
    trim(r, cs, p->ts);
    struct held *h = hold(r, cs);
    const struct oc_scene *sc = r->scratch;
    if (h) {
        h->ts = p->ts;
        h->jpeg = p->jpeg;
        h->len = p->len;
        h->head = *sc;
        h->tracks = malloc(sc->n_tracks * sizeof *h->tracks + 1);
        h->stays = malloc(sc->n_stays * sizeof *h->stays + 1);
        h->nv = recent(cs, h->v);
    }
    if (!h || !h->tracks || !h->stays) {
        if (h) {
            held_free(h);
            cs->n_held--;
        }
        free(p->jpeg);
        r->held_dropped++;
        return;
    }
    memcpy(h->tracks, sc->tracks, sc->n_tracks * sizeof *h->tracks);
    memcpy(h->stays, sc->stays, sc->n_stays * sizeof *h->stays);
    r->held_bytes += h->len;
    if (in_window(cs, h->ts))
        draw_held(r, cam, h);
}

void render_step(struct render *r, const struct oc_engine *eng)
{
    for (size_t i = 0; i < r->n_pend; i++) {
        struct pending *p = &r->pend[i];
        oc_scene_take(eng, p->cam, r->scratch);
        if (r->o.violations_only) {
            keep(r, p->cam, p);
            continue;
        }
        struct oc_scene_violation v[OC_SCENE_VIOLATIONS_MAX];
        size_t nv = recent(&r->cams[p->cam], v);
        draw_write(r, p->cam, p->ts, p->jpeg, p->len, r->scratch, v, nv);
        free(p->jpeg);
    }
    r->n_pend = 0;
}

int render_report(const struct render *r, FILE *f)
{
    if (f) {
        fprintf(f, "render: %" PRIu64 " annotated frames written to %s", r->written, r->dir);
        if (r->undecodable)
            fprintf(f, ", %" PRIu64 " frames not decodable", r->undecodable);
        if (r->held_dropped)
            fprintf(f, ", %" PRIu64 " held frames dropped (limit)", r->held_dropped);
        if (r->pending_dropped)
            fprintf(f, ", %" PRIu64 " frames dropped (memory)", r->pending_dropped);
        fputc('\n', f);
    }
    return r->write_failed ? 1 : 0;
}
