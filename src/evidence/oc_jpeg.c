#include "ordercam/oc_jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <turbojpeg.h>

struct err_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
};

struct oc_jpeg {
    struct jpeg_decompress_struct d;
    struct err_mgr err;
    tjhandle enc;
};

static void on_error(j_common_ptr c)
{
    struct err_mgr *e = (struct err_mgr *)c->err;
    longjmp(e->jump, 1);
}

/* Warnings (corrupt data, premature end) are counted in num_warnings;
 * nothing is printed. */
static void on_message(j_common_ptr c, int level)
{
    if (level < 0)
        c->err->num_warnings++;
}

/* jpeg_create_decompress reports running out of memory by error_exit. */
static int create(struct oc_jpeg *j)
{
    if (setjmp(j->err.jump))
        return -1;
    jpeg_create_decompress(&j->d);
    return 0;
}

struct oc_jpeg *oc_jpeg_new(void)
{
    struct oc_jpeg *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->d.err = jpeg_std_error(&j->err.pub);
    j->err.pub.error_exit = on_error;
    j->err.pub.emit_message = on_message;
    if (create(j) != 0) {
        free(j);
        return NULL;
    }
    j->enc = tjInitCompress();
    if (!j->enc) {
        jpeg_destroy_decompress(&j->d);
        free(j);
        return NULL;
    }
    return j;
}

void oc_jpeg_free(struct oc_jpeg *j)
{
    if (!j)
        return;
    jpeg_destroy_decompress(&j->d);
    tjDestroy(j->enc);
    free(j);
}

/* Starts reading data; the caller has set the jump point. */
static void read_header(struct oc_jpeg *j, const void *data, size_t len)
{
    j->err.pub.num_warnings = 0;
    jpeg_mem_src(&j->d, (const unsigned char *)data, (unsigned long)len);
    jpeg_read_header(&j->d, TRUE);
}

oc_err_t oc_jpeg_size(struct oc_jpeg *j, const void *data, size_t len, int *w, int *h)
{
    if (len < 4)
        return OC_EPARSE;
    if (setjmp(j->err.jump)) {
        jpeg_abort_decompress(&j->d);
        return OC_EPARSE;
    }
    read_header(j, data, len);
    *w = (int)j->d.image_width;
    *h = (int)j->d.image_height;
    jpeg_abort_decompress(&j->d);
    return *w > OC_JPEG_MAX_DIM || *h > OC_JPEG_MAX_DIM ? OC_ELIMIT : OC_OK;
}

/* Where decoded rows go: dst at (x, y), at most max_w x max_h. */
struct target {
    struct oc_image *dst;
    int x, y, max_w, max_h;
};

static oc_err_t read_rows(struct oc_jpeg *j, const int region[4], struct target *t, int alloc,
                          int *w_out, int *h_out, int *at_x, int *at_y)
{
    struct jpeg_decompress_struct *d = &j->d;
    JDIMENSION x = 0, w = d->output_width, y = 0, h = d->output_height;
    if (region) {
        /* region is in full-size pixels; the output is scaled */
        double s = (double)d->output_width / d->image_width;
        x = (JDIMENSION)(region[0] * s);
        w = (JDIMENSION)(region[2] * s + 0.5);
        y = (JDIMENSION)(region[1] * s);
        h = (JDIMENSION)(region[3] * s + 0.5);
        if (w < 1)
            w = 1;
        if (h < 1)
            h = 1;
        if (x + w > d->output_width)
            w = d->output_width - x;
        if (y + h > d->output_height)
            h = d->output_height - y;
        jpeg_crop_scanline(d, &x, &w);
        if (y > 0 && jpeg_skip_scanlines(d, y) != y)
            return OC_EPARSE;
    }
    w = d->output_width; /* jpeg_crop_scanline may have widened it to whole blocks */
    if (alloc) {
        t->dst->w = (int)w;
        t->dst->h = (int)h;
        t->dst->px = malloc((size_t)w * h * 3);
        if (!t->dst->px)
            return OC_ENOMEM;
        t->max_w = (int)w;
        t->max_h = (int)h;
    } else if ((int)w > t->max_w) {
        return OC_ELIMIT;
    }
    if ((int)h > t->max_h)
        h = (JDIMENSION)t->max_h;
    while (d->output_scanline < y + h) {
        JSAMPROW row =
            t->dst->px +
            ((size_t)(t->y + (int)(d->output_scanline - y)) * (size_t)t->dst->w + (size_t)t->x) * 3;
        if (jpeg_read_scanlines(d, &row, 1) != 1)
            return OC_EPARSE;
    }
    *w_out = (int)w;
    *h_out = (int)h;
    *at_x = (int)x;
    *at_y = (int)y;
    return OC_OK;
}

static oc_err_t decode(struct oc_jpeg *j, const void *data, size_t len, int num,
                       const int region[4], struct target *t, int alloc, int *w, int *h, int *at_x,
                       int *at_y)
{
    if (len < 4 || num < 1 || num > 8)
        return OC_EPARSE;
    if (setjmp(j->err.jump)) {
        jpeg_abort_decompress(&j->d);
        return OC_EPARSE;
    }
    read_header(j, data, len);
    if (j->d.image_width > OC_JPEG_MAX_DIM || j->d.image_height > OC_JPEG_MAX_DIM) {
        jpeg_abort_decompress(&j->d);
        return OC_ELIMIT;
    }
    j->d.out_color_space = JCS_RGB;
    j->d.scale_num = (unsigned)num;
    j->d.scale_denom = 8;
    /* evidence speed: the fast integer IDCT and the merged chroma
     * upsampler; at quality <= 90 neither is visible (libjpeg-turbo docs) */
    j->d.dct_method = JDCT_IFAST;
    j->d.do_fancy_upsampling = FALSE;
    jpeg_start_decompress(&j->d);
    oc_err_t e = read_rows(j, region, t, alloc, w, h, at_x, at_y);
    /* the rows below a region are never decoded: abort, not finish */
    jpeg_abort_decompress(&j->d);
    if (e == OC_OK && j->err.pub.num_warnings > 0)
        e = OC_EPARSE;
    return e;
}

oc_err_t oc_jpeg_decode(struct oc_jpeg *j, const void *data, size_t len, int num,
                        const int region[4], struct oc_image *out, int *at_x, int *at_y)
{
    struct target t = {out, 0, 0, 0, 0};
    int w, h;
    out->px = NULL;
    oc_err_t e = decode(j, data, len, num, region, &t, 1, &w, &h, at_x, at_y);
    if (e != OC_OK) {
        free(out->px);
        out->px = NULL;
    }
    return e;
}

oc_err_t oc_jpeg_decode_into(struct oc_jpeg *j, const void *data, size_t len, int num,
                             const int region[4], struct oc_image *dst, int x, int y, int max_w,
                             int max_h, int *w, int *h, int *at_x, int *at_y)
{
    struct target t = {dst, x, y, max_w, max_h};
    return decode(j, data, len, num, region, &t, 0, w, h, at_x, at_y);
}

oc_err_t oc_jpeg_encode(struct oc_jpeg *j, const struct oc_image *img, int quality,
                        unsigned char **jpeg, size_t *len)
{
    unsigned char *buf = NULL;
    unsigned long n = 0;
    if (tjCompress2(j->enc, img->px, img->w, img->w * 3, img->h, TJPF_RGB, &buf, &n, TJSAMP_420,
                    quality, TJFLAG_FASTDCT) != 0) {
        tjFree(buf);
        return OC_ENOMEM;
    }
    /* hand the caller memory it frees with free() */
    *jpeg = malloc(n);
    if (!*jpeg) {
        tjFree(buf);
        return OC_ENOMEM;
    }
    memcpy(*jpeg, buf, n);
    *len = n;
    tjFree(buf);
    return OC_OK;
}
