#include "ordercam/oc_font.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H

struct glyph {
    uint32_t cp;
    int px;        /* 0: empty slot */
    int left, top; /* bitmap offset from the pen */
    int advance;
    int w, h;
    unsigned char *bits; /* w*h coverage */
};

struct oc_font {
    FT_Library lib;
    FT_Face face;
    int size_px; /* pixel size currently set on face */
    size_t used;
    struct glyph cache[OC_FONT_CACHE * 2]; /* open addressing, at most half full */
};

struct oc_font *oc_font_open(const char *path, char *err, size_t errlen)
{
    struct oc_font *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (FT_Init_FreeType(&f->lib) != 0) {
        snprintf(err, errlen, "FreeType did not start");
        free(f);
        return NULL;
    }
    if (FT_New_Face(f->lib, path, 0, &f->face) != 0) {
        snprintf(err, errlen,
                 "%s: not a font FreeType can read (install fonts-wqy-zenhei or set evidence.font)",
                 path);
        FT_Done_FreeType(f->lib);
        free(f);
        return NULL;
    }
    return f;
}

static void cache_clear(struct oc_font *f)
{
    for (size_t i = 0; i < sizeof f->cache / sizeof f->cache[0]; i++) {
        free(f->cache[i].bits);
        f->cache[i] = (struct glyph){0};
    }
    f->used = 0;
}

void oc_font_free(struct oc_font *f)
{
    if (!f)
        return;
    cache_clear(f);
    FT_Done_Face(f->face);
    FT_Done_FreeType(f->lib);
    free(f);
}

/* Next code point of s (advanced); U+FFFD for a bad byte. */
static uint32_t next_cp(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c = p[0];
    int n = c < 0x80             ? 0
            : (c & 0xE0) == 0xC0 ? 1
            : (c & 0xF0) == 0xE0 ? 2
            : (c & 0xF8) == 0xF0 ? 3
                                 : -1;
    if (n < 0) {
        *s += 1;
        return 0xFFFD;
    }
    c = n == 0 ? c : c & (0x3F >> n);
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *s += i;
            return 0xFFFD;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    *s += n + 1;
    return c;
}

static int set_size(struct oc_font *f, int px)
{
    if (f->size_px == px)
        return 0;
    if (FT_Set_Pixel_Sizes(f->face, 0, (FT_UInt)px) != 0)
        return -1;
    f->size_px = px;
    return 0;
}

static const struct glyph *glyph(struct oc_font *f, int px, uint32_t cp)
{
    size_t cap = sizeof f->cache / sizeof f->cache[0];
    size_t i = ((cp * 2654435761u) ^ (uint32_t)px) % cap;
    while (f->cache[i].px && !(f->cache[i].cp == cp && f->cache[i].px == px))
        i = (i + 1) % cap;
    if (f->cache[i].px)
        return &f->cache[i];
    if (f->used >= OC_FONT_CACHE) {
        cache_clear(f);
        return glyph(f, px, cp);
    }
    if (set_size(f, px) != 0 || FT_Load_Char(f->face, cp, FT_LOAD_RENDER) != 0)
        return NULL;
    FT_GlyphSlot s = f->face->glyph;
    struct glyph g = {.cp = cp,
                      .px = px,
                      .left = s->bitmap_left,
                      .top = s->bitmap_top,
                      .advance = (int)(s->advance.x >> 6),
                      .w = (int)s->bitmap.width,
                      .h = (int)s->bitmap.rows};
    if (g.w > 0 && g.h > 0) {
        g.bits = malloc((size_t)g.w * (size_t)g.h);
        if (!g.bits)
            return NULL;
        for (int r = 0; r < g.h; r++)
            memcpy(g.bits + (size_t)r * (size_t)g.w,
                   s->bitmap.buffer + (ptrdiff_t)r * s->bitmap.pitch, (size_t)g.w);
    }
    f->cache[i] = g;
    f->used++;
    return &f->cache[i];
}

int oc_font_width(struct oc_font *f, int px, const char *text)
{
    int w = 0;
    while (*text) {
        const struct glyph *g = glyph(f, px, next_cp(&text));
        if (g)
            w += g->advance;
    }
    return w;
}

static void blend(struct oc_image *img, const struct glyph *g, int x0, int y0, int max_x,
                  const unsigned char rgb[3])
{
    for (int r = 0; r < g->h; r++) {
        int y = y0 + r;
        if (y < 0 || y >= img->h)
            continue;
        for (int c = 0; c < g->w; c++) {
            int x = x0 + c;
            unsigned a = g->bits[(size_t)r * (size_t)g->w + (size_t)c];
            if (x < 0 || x >= img->w || x >= max_x || a == 0)
                continue;
            unsigned char *p = img->px + ((size_t)y * (size_t)img->w + (size_t)x) * 3;
            for (int k = 0; k < 3; k++)
                p[k] = (unsigned char)((rgb[k] * a + p[k] * (255 - a) + 127) / 255);
        }
    }
}

int oc_font_draw(struct oc_font *f, struct oc_image *img, int px, int x, int y, int max_x,
                 const char *text, const unsigned char rgb[3])
{
    while (*text && x < max_x) {
        const struct glyph *g = glyph(f, px, next_cp(&text));
        if (!g)
            continue;
        if (g->bits)
            blend(img, g, x + g->left, y - g->top, max_x, rgb);
        x += g->advance;
    }
    return x;
}

void oc_font_metrics(struct oc_font *f, int px, int *ascent, int *line)
{
    if (set_size(f, px) != 0) {
        *ascent = px;
        *line = px * 5 / 4;
        return;
    }
    *ascent = (int)(f->face->size->metrics.ascender >> 6);
    *line = (int)(f->face->size->metrics.height >> 6);
}
