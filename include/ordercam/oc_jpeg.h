/* JPEG decoding and encoding for evidence, on libjpeg-turbo. Decoding uses
 * the codec's DCT scaling (N/8) and, for close-ups, its cropped decoding
 * (only the columns asked for, rows below the region never decoded), so a
 * 1920x1080 frame shown at half size costs far less than a full decode.
 * A context is used by one thread at a time. */
#ifndef OC_JPEG_H
#define OC_JPEG_H

#include <stddef.h>

#include "ordercam/oc_err.h"

#define OC_JPEG_MAX_DIM 8192 /* frames wider or taller are refused (memory bound) */

/* An RGB image, 3 bytes per pixel, rows of w*3 bytes. px owned by whoever
 * filled it; free with free(). */
struct oc_image {
    unsigned char *px;
    int w, h;
};

struct oc_jpeg;

/* NULL when out of memory. */
struct oc_jpeg *oc_jpeg_new(void);
void oc_jpeg_free(struct oc_jpeg *j);

/* Reads the header only. OC_EPARSE: not a JPEG, or damaged header;
 * OC_ELIMIT: larger than OC_JPEG_MAX_DIM. */
oc_err_t oc_jpeg_size(struct oc_jpeg *j, const void *data, size_t len, int *w, int *h);

/* Decodes at scale num/8 (num 1..8). With region (x, y, w, h in full-size
 * pixels, inside the image) only that part is decoded; the codec widens it
 * to whole blocks, and *at_x and *at_y (scaled pixels) say where out begins.
 * out->px is malloc'd on success. OC_EPARSE for a corrupt or truncated
 * stream (any libjpeg warning counts: evidence shows no patched frames). */
oc_err_t oc_jpeg_decode(struct oc_jpeg *j, const void *data, size_t len, int num,
                        const int region[4], struct oc_image *out, int *at_x, int *at_y);

/* As oc_jpeg_decode, but straight into dst with the first pixel at (x, y):
 * no copy. At most max_h rows are written; OC_ELIMIT (nothing written)
 * when the decoded width exceeds max_w. *w and *h: the size written. On
 * OC_EPARSE part of the area may have been written. */
oc_err_t oc_jpeg_decode_into(struct oc_jpeg *j, const void *data, size_t len, int num,
                             const int region[4], struct oc_image *dst, int x, int y, int max_w,
                             int max_h, int *w, int *h, int *at_x, int *at_y);

/* Encodes img (4:2:0, quality 1..100). *jpeg is malloc'd; caller frees. */
oc_err_t oc_jpeg_encode(struct oc_jpeg *j, const struct oc_image *img, int quality,
                        unsigned char **jpeg, size_t *len);

#endif
