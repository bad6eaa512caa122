/* The live view's drawing on a frame, in C (docs/daemon.md "Live view",
 * docs/outputs.md "Annotated frames"): zones (outline and a light fill) and
 * lines (coloured by their signal's state, with a direction arrow) with
 * their names, stays with their dwell so far, tracks' boxes, anchors, ids
 * and classes, and recent violations. The colours, widths and labels are
 * the page's (src/edge/live/live.js): one style table, two renderers — the
 * browser's canvas for the live view and this for ordercam-replay --render.
 * Pure drawing on a caller's RGB image; not thread-safe per font. */
#ifndef OC_OVERLAY_H
#define OC_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_jpeg.h"
#include "ordercam/oc_scene.h"

#define OC_OVERLAY_FLASH_MS 10000 /* a violation is marked this long after it happened */

struct oc_overlay_in {
    const struct oc_config *cfg;
    const struct oc_scene *scene;       /* its camera's zones and lines are drawn */
    const struct oc_scene_violation *v; /* the camera's recent violations (borrowed) */
    size_t nv;
};

/* RGB of a style entry ("#rrggbb" in live.js). */
struct oc_overlay_rgb {
    unsigned char c[3];
};

/* Draws the overlay on img, which shows the camera's whole frame at any
 * size (coordinates are scaled from the camera's width and height). font
 * NULL: no labels. */
void oc_overlay_draw(struct oc_image *img, struct oc_font *font, const struct oc_overlay_in *in);

/* The style (for tests that look for the drawing on the pixels). */
struct oc_overlay_rgb oc_overlay_zone_color(enum oc_zone_kind k);
struct oc_overlay_rgb oc_overlay_signal_color(enum oc_sig_state s);
extern const struct oc_overlay_rgb OC_OVERLAY_EXIT, OC_OVERLAY_TRACK, OC_OVERLAY_ANCHOR,
    OC_OVERLAY_STAY, OC_OVERLAY_VIOLATION;

#endif
