/* The evidence image of outputs.md, composed from a violation's key frames:
 * a 2x2 sheet (the "four-in-one" layout of Chinese traffic enforcement
 * evidence) of up to three key frames decoded at a reduced DCT scale, the
 * object boxed on each, plus a close-up of the object decoded at full
 * resolution from the frame where it is largest and centred on it, over a
 * caption band. Each cell has a band below the picture for its label and
 * signal lamp, so nothing covers the camera's own burned-in text.
 * With fewer frames the sheet has fewer cells (1 frame: 2x1). */
#ifndef OC_COMPOSE_H
#define OC_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_err.h"
#include "ordercam/oc_event.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_jpeg.h"

#define OC_COMPOSE_MAX_FRAMES 3
#define OC_COMPOSE_CELL_MAX_W 960 /* a key frame's cell is at most this wide */

struct oc_compose_frame {
    const void *jpeg; /* borrowed */
    size_t len;
    int64_t ts;
    double box[4];     /* x, y, w, h in the camera's detection pixels */
    const char *label; /* short text in the cell's band (borrowed), may be NULL */
    /* The governing signal at this moment (signal-joined types): has_lamp
     * set draws its lamp and state with lamp_ms (its age; -1 unknown) in
     * the cell's band. */
    int has_lamp;
    enum oc_sig_state lamp;
    int64_t lamp_ms;
    /* The public variant: every other object's box at this moment (x, y,
     * w, h in camera pixels, borrowed), pixelated; others_unknown set when
     * the boxes are not known, which pixelates the whole picture but the
     * offender's box. */
    const double (*others)[4];
    size_t n_others;
    int others_unknown;
};

struct oc_compose_in {
    int cam_w, cam_h; /* the camera's configured resolution */
    const struct oc_compose_frame *frames;
    size_t n_frames;
    const char *caption[2]; /* the caption band's two lines (borrowed) */
    int quality;
    /* The public variant (oc_compose_public): its caption (no record id,
     * plate masked) and whether the offender's face region, the top third
     * of its box, is pixelated (persons and riders). */
    const char *public_caption[2];
    int public_face;
};

/* Where a frame went on the sheet: canvas x = ox + frame x * s (likewise
 * y), frame pixels = camera pixels * fsx (fsy), clipped to cell. */
struct oc_compose_place {
    int used;
    int frame; /* index in in->frames */
    int x0, y0, x1, y1;
    double ox, oy, s, fsx, fsy;
    int fw, fh;
};

/* What happened to the frames; each is also a counter in the caller. */
struct oc_compose_report {
    int used[OC_COMPOSE_MAX_FRAMES]; /* 1 when frame i is on the sheet */
    unsigned n_used;
    unsigned corrupt;     /* not a JPEG, damaged or truncated: left out */
    unsigned wrong_size;  /* other aspect ratio than the camera's, or too large: left out */
    unsigned rescaled;    /* other size, same aspect: boxes scaled to it */
    unsigned box_clipped; /* box partly or wholly outside the frame */
    /* the layout, for oc_compose_public: the key frames' cells, then the
     * close-up's */
    struct oc_compose_place place[OC_COMPOSE_MAX_FRAMES + 1];
    int caption_y, caption_px;
};

/* Where things are on a sheet of cells for a cam_w x cam_h camera drawn
 * with font (NULL: no text): cell i (0..n, the close-up last) has its
 * picture at x = (i % 2) * cell_w, y = (i / 2) * row_h, cell_w x cell_h,
 * and its band (label, lamp) below it, band_h = row_h - cell_h high; the
 * lamp's three lenses (red, yellow, green) sit in the band's right half.
 * The caption band starts at caption_y. -1 when the camera is too large. */
struct oc_compose_geom {
    int cell_w, cell_h, row_h, band_h, caption_y, caption_px;
};
int oc_compose_geometry(struct oc_font *font, int cam_w, int cam_h, size_t n_frames,
                        struct oc_compose_geom *g);

/* Composes the sheet. Frames are decoded straight into canvas, the
 * caller's reusable buffer (start with {0}; grown as needed; the caller
 * frees canvas->px), which holds the sheet's pixels afterwards. *jpeg is
 * malloc'd (caller frees) on OC_OK. OC_ENOTFOUND: no frame was usable
 * (nothing composed). j and font are the caller's, one thread at a time. */
oc_err_t oc_compose(struct oc_jpeg *j, struct oc_font *font, const struct oc_compose_in *in,
                    struct oc_image *canvas, unsigned char **jpeg, size_t *len,
                    struct oc_compose_report *rep);

/* The public variant of the sheet oc_compose just made (same j, font, in,
 * canvas and rep, nothing else in between): pixelates every other object's
 * box in every cell and the close-up (boxes grown by OC_COMPOSE_PAD of
 * their size on each side), the offender's face region when
 * in->public_face, and redraws the caption with in->public_caption. The
 * canvas then holds the public sheet. *jpeg malloc'd (caller frees). */
#define OC_COMPOSE_PAD 0.05
oc_err_t oc_compose_public(struct oc_jpeg *j, struct oc_font *font, const struct oc_compose_in *in,
                           struct oc_image *canvas, const struct oc_compose_report *rep,
                           unsigned char **jpeg, size_t *len);

#endif
