/* JPEG helpers for the evidence tests (header only: only the tests that
 * link oc_evidence include it). Both fail the running cmocka test on a
 * codec error. */
#ifndef OC_TESTIMG_H
#define OC_TESTIMG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ordercam/oc_err.h"
#include "ordercam/oc_jpeg.h"

/* Encodes img at quality q and frees its pixels; the JPEG is the caller's
 * (free). */
static inline unsigned char *oc_testimg_encode(struct oc_image *img, int q, size_t *len)
{
    struct oc_jpeg *j = oc_jpeg_new();
    unsigned char *out;
    assert_int_equal(oc_jpeg_encode(j, img, q, &out, len), OC_OK);
    oc_jpeg_free(j);
    free(img->px);
    img->px = NULL;
    return out;
}

/* Decodes at full size; the pixels are the caller's (free img.px). */
static inline struct oc_image oc_testimg_decode(const unsigned char *jpeg, size_t len)
{
    struct oc_jpeg *j = oc_jpeg_new();
    struct oc_image img;
    int ax, ay;
    assert_int_equal(oc_jpeg_decode(j, jpeg, len, 8, NULL, &img, &ax, &ay), OC_OK);
    oc_jpeg_free(j);
    return img;
}

#endif
