#include "ordercam/oc_evbuild.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ordercam/oc_io.h"

struct oc_evbuild {
    char *dir;
    struct oc_font *font;
    struct oc_jpeg *jpeg;
    struct oc_image canvas; /* reused from image to image */
    int quality;
};

struct oc_evbuild *oc_evbuild_new(const char *dir, struct oc_font *font, int quality)
{
    struct oc_evbuild *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->dir = strdup(dir);
    b->jpeg = oc_jpeg_new();
    b->font = font;
    b->quality = quality;
    if (!b->dir || !b->jpeg) {
        oc_evbuild_free(b);
        return NULL;
    }
    return b;
}

void oc_evbuild_free(struct oc_evbuild *b)
{
    if (!b)
        return;
    oc_jpeg_free(b->jpeg);
    free(b->canvas.px);
    free(b->dir);
    free(b);
}

void oc_evbuild_sha256(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
}

static void compose_in(const struct oc_evbuild *b, const struct oc_evidence_job *job,
                       struct oc_compose_in *in)
{
    *in = (struct oc_compose_in){job->cam_w,
                                 job->cam_h,
                                 job->frames,
                                 job->n_frames,
                                 {job->caption[0], job->caption[1]},
                                 b->quality,
                                 {job->public_caption[0], job->public_caption[1]},
                                 job->public_face};
}

oc_err_t oc_evbuild_image(struct oc_evbuild *b, const struct oc_evidence_job *job,
                          unsigned char **jpeg, size_t *len, struct oc_evbuild_result *res)
{
    memset(res, 0, sizeof *res);
    struct oc_compose_in in;
    compose_in(b, job, &in);
    oc_err_t e = oc_compose(b->jpeg, b->font, &in, &b->canvas, jpeg, len, &res->rep);
    if (e != OC_OK)
        return e;
    for (size_t i = 0; i < job->n_frames; i++)
        if (res->rep.used[i])
            res->frames[res->n_frames++] = job->frames[i].ts;
    oc_evbuild_sha256(*jpeg, *len, res->sha256);
    res->size = *len;
    return OC_OK;
}

oc_err_t oc_evbuild_public(struct oc_evbuild *b, const struct oc_evidence_job *job,
                           unsigned char **jpeg, size_t *len, struct oc_evbuild_result *res)
{
    struct oc_compose_in in;
    compose_in(b, job, &in);
    oc_err_t e = oc_compose_public(b->jpeg, b->font, &in, &b->canvas, &res->rep, jpeg, len);
    if (e != OC_OK)
        return e;
    oc_evbuild_sha256(*jpeg, *len, res->public_sha256);
    res->public_size = *len;
    return OC_OK;
}

/* Writes data to <dir>/<file>, making its day folder. */
static oc_err_t write_file(const struct oc_evbuild *b, const char *file, const void *data,
                           size_t len)
{
    char path[4096], dir[4096];
    const char *slash = strrchr(file, '/');
    int n1 = snprintf(path, sizeof path, "%s/%s", b->dir, file);
    int n2 = snprintf(dir, sizeof dir, "%s/%.*s", b->dir, slash ? (int)(slash - file) : 0, file);
    if (n1 < 0 || (size_t)n1 >= sizeof path || n2 < 0 || (size_t)n2 >= sizeof dir) {
        errno = ENAMETOOLONG;
        return OC_EIO;
    }
    int rc = oc_io_mkdir_p(dir);
    if (rc == 0)
        rc = oc_io_write_atomic(dir, path, data, len);
    return rc == 0 ? OC_OK : OC_EIO;
}

oc_err_t oc_evbuild_run(struct oc_evbuild *b, const struct oc_evidence_job *job,
                        struct oc_evbuild_result *res)
{
    unsigned char *img, *pub = NULL;
    size_t len, plen = 0;
    oc_err_t e = oc_evbuild_image(b, job, &img, &len, res);
    if (e != OC_OK)
        return e;
    if (job->public_file[0]) {
        e = oc_evbuild_public(b, job, &pub, &plen, res);
        if (e == OC_OK)
            e = write_file(b, job->public_file, pub, plen);
        free(pub);
        if (e != OC_OK) {
            int saved = errno;
            free(img);
            errno = saved;
            return e;
        }
    }
    e = write_file(b, job->file, img, len);
    int saved = errno;
    free(img);
    errno = saved;
    return e;
}
