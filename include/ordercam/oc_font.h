/* Caption text on RGB images with FreeType: any TrueType/OpenType face,
 * by default WenQuanYi Zen Hei (Debian's fonts-wqy-zenhei), so Chinese
 * place names and plates (晋E12345) render (the config's default font,
 * OC_EVIDENCE_FONT_DEFAULT). Rendered glyphs are cached per
 * pixel size; the cache holds at most OC_FONT_CACHE glyphs and is emptied
 * when full. A font is used by one thread at a time. */
#ifndef OC_FONT_H
#define OC_FONT_H

#include <stddef.h>

#include "ordercam/oc_err.h"
#include "ordercam/oc_jpeg.h"

#define OC_FONT_CACHE 2048

struct oc_font;

/* Loads the first face of path. NULL with a reason in err. */
struct oc_font *oc_font_open(const char *path, char *err, size_t errlen);
void oc_font_free(struct oc_font *f);

/* Width in pixels of UTF-8 text at px pixels. Invalid UTF-8 bytes are
 * drawn as U+FFFD. */
int oc_font_width(struct oc_font *f, int px, const char *text);

/* Draws text with its baseline at y starting at x, clipped to the image and
 * to max_x. Returns the x after the last glyph. */
int oc_font_draw(struct oc_font *f, struct oc_image *img, int px, int x, int y, int max_x,
                 const char *text, const unsigned char rgb[3]);

/* Ascent and line height at px pixels. */
void oc_font_metrics(struct oc_font *f, int px, int *ascent, int *line);

#endif
