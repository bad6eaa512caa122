/* Evidence image speed (docs/bench.md): building one evidence image from
 * three 1920x1080 key frames (scaled decoding, close-up, boxes, caption,
 * encode, SHA-256) against the codec floor measured in the same run: what
 * libjpeg-turbo itself takes to decode those three frames at full size and
 * encode one image of the output's size. Frames are synthetic: camera-like
 * (detail at several scales, light sensor noise) and, as a worst case,
 * white noise on every pixel.
 * usage: bench_evidence [ITERATIONS] [FONT] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <turbojpeg.h>

#include "ordercam/oc_evbuild.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_jpeg.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_sign.h"

#define W 1920
#define H 1080

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* A random field of cell-sized values, bilinearly interpolated at (x, y). */
static double field(const double *g, int gw, int cell, int x, int y)
{
    double fx = (double)x / cell, fy = (double)y / cell;
    int ix = (int)fx, iy = (int)fy;
    double ax = fx - ix, ay = fy - iy;
    const double *r0 = g + (size_t)iy * gw, *r1 = r0 + gw;
    return (r0[ix] * (1 - ax) + r0[ix + 1] * ax) * (1 - ay) +
           (r1[ix] * (1 - ax) + r1[ix + 1] * ax) * ay;
}

/* A camera-like frame: detail at several scales (a natural image's falling
 * spectrum), a road's gradient and lane marks, a vehicle, and sensor noise
 * of +-3 after the camera's own denoising. mode 1: white noise of +-12 on
 * every pixel instead, the worst case for the entropy decoder. */
static unsigned char *frame(unsigned seed, int obj_x, int mode, size_t *len)
{
    struct oc_image img = {malloc((size_t)W * H * 3), W, H};
    unsigned s = seed * 2654435761u + 1;
    static const int cells[] = {4, 16, 64, 256};
    static const double amp[] = {10, 18, 28, 36};
    double *g[4];
    int gw[4];
    for (int k = 0; k < 4; k++) {
        gw[k] = W / cells[k] + 2;
        int gh = H / cells[k] + 2;
        g[k] = malloc(sizeof(double) * (size_t)gw[k] * gh);
        for (int i = 0; i < gw[k] * gh; i++)
            g[k][i] = ((double)(rnd(&s) % 2001) / 1000.0 - 1.0) * amp[k];
    }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double v = 70 + (y * 80.0) / H;
            if (mode == 0)
                for (int k = 0; k < 4; k++)
                    v += field(g[k], gw[k], cells[k], x, y);
            int noise = mode == 0 ? (int)(rnd(&s) % 7) - 3 : (int)(rnd(&s) % 25) - 12;
            int lane = (x % 480 < 12) && ((y / 60) % 2 == 0);
            int in = x >= obj_x && x < obj_x + 220 && y >= 600 && y < 760;
            unsigned char *p = img.px + ((size_t)y * W + x) * 3;
            double r = in     ? 40
                       : lane ? 230
                              : v,
                   gg = in     ? 60
                        : lane ? 230
                               : v + 4,
                   b = in     ? 170
                       : lane ? 225
                              : v - 6;
            p[0] = (unsigned char)(r + noise < 0 ? 0 : r + noise > 255 ? 255 : r + noise);
            p[1] = (unsigned char)(gg + noise < 0 ? 0 : gg + noise > 255 ? 255 : gg + noise);
            p[2] = (unsigned char)(b + noise < 0 ? 0 : b + noise > 255 ? 255 : b + noise);
        }
    for (int k = 0; k < 4; k++)
        free(g[k]);
    struct oc_jpeg *j = oc_jpeg_new();
    unsigned char *out;
    oc_jpeg_encode(j, &img, 85, &out, len);
    oc_jpeg_free(j);
    free(img.px);
    return out;
}

static int run(int iters, int mode, struct oc_font *font);

/* The record's signature at the box (canonical form + Ed25519 sign) and
 * its check at central (parse + canonical form + verify), against the
 * image's time. */
static void sign_cost(int iters, double per_image)
{
    char path[] = "/tmp/oc_bench_key_XXXXXX", err[256], pub[OC_SIGN_PUB_B64], out[8192];
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    close(fd);
    unlink(path);
    struct oc_signer *s = oc_signer_open(path, true, err, sizeof err);
    unlink(path);
    if (!s)
        return;
    oc_signer_public(s, pub);
    const char *rec =
        "{\"id\":\"edge-jc-0001:cam-e1:1\",\"box\":\"edge-jc-0001\",\"camera\":\"cam-e1\","
        "\"type\":\"red_light\",\"code\":\"1625\",\"ts\":1763802038000,\"ts_start\":1763802035000,"
        "\"track\":\"e-101\",\"class\":\"car\",\"plate\":\"晋E12345\",\"conf\":0.82,\"zone\":null,"
        "\"line\":\"stop-e2\",\"signal\":\"sig-e-straight\",\"signal_state\":\"red\","
        "\"red_elapsed_ms\":5000,\"location\":\"凤台街与泽州路口 东向\",\"road\":\"凤台街\","
        "\"unit\":\"交警二大队\",\"evidence\":{\"file\":\"20251122/edge-jc-0001-cam-e1-1.jpg\","
        "\"sha256\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
        "\"frames\":[1763802034950,1763802035050,1763802038050]}}";
    int n = iters * 20;
    size_t len = 0;
    double t0 = cpu_s();
    for (int i = 0; i < n; i++)
        len = oc_sign_record(s, rec, strlen(rec), out, sizeof out);
    double sign_s = (cpu_s() - t0) / n;
    int good = 0;
    t0 = cpu_s();
    for (int i = 0; i < n; i++) {
        cJSON *j = NULL;
        oc_json_parse(out, len, 1 << 20, OC_JSON_MAX_DEPTH, &j, NULL);
        good += oc_sign_check_record(j, pub);
        cJSON_Delete(j);
    }
    double verify_s = (cpu_s() - t0) / n;
    printf("sign + verify    %8.3f ms  (sign %.3f, verify %.3f; %.2f %% of the image; target < 1 "
           "%%)%s\n",
           (sign_s + verify_s) * 1e3, sign_s * 1e3, verify_s * 1e3,
           100 * (sign_s + verify_s) / per_image, good == n ? "" : "  VERIFY FAILED");
    oc_signer_free(s);
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 60;
    const char *font_path = argc > 2 ? argv[2] : OC_EVIDENCE_FONT_DEFAULT;
    char err[512];
    struct oc_font *font = oc_font_open(font_path, err, sizeof err);
    if (!font) {
        fprintf(stderr, "bench_evidence: %s\n", err);
        return 1;
    }
    printf("== camera-like frames (the target)\n");
    run(iters, 0, font);
    printf("== white-noise frames (worst case: entropy decoding dominates)\n");
    run(iters, 1, font);
    oc_font_free(font);
    return 0;
}

static int run(int iters, int mode, struct oc_font *font)
{
    struct oc_evidence_job job = {.file = "x/y.jpg", .cam_w = W, .cam_h = H, .n_frames = 3};
    char cap0[] = "2025-11-22 17:00:38.000 UTC+08:00   red_light 1625   晋E12345   car";
    char cap1[] =
        "edge-jc-0001 · cam-e1 · 凤台街与泽州路口 东向 (Fengtai Rd x Zezhou Rd, eastbound)";
    job.caption[0] = cap0;
    job.caption[1] = cap1;
    /* the public variant: four bystanders (two vehicles, a rider, a
     * pedestrian) on every frame, the plate masked, no record id */
    static const double others[4][4] = {
        {100, 500, 260, 180}, {1500, 420, 300, 200}, {900, 300, 60, 140}, {1200, 700, 50, 130}};
    char pcap0[] = "2025-11-22 17:00:38.000 UTC+08:00   red_light 1625   晋E1**45   car";
    char pcap1[] = "edge-jc-0001 · cam-e1 · 凤台街与泽州路口 东向";
    job.public_caption[0] = pcap0;
    job.public_caption[1] = pcap1;
    unsigned char *jp[3];
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        size_t len;
        jp[i] = frame((unsigned)i + 1, 300 + i * 500, mode, &len);
        total += len;
        job.frames[i] = (struct oc_compose_frame){jp[i],
                                                  len,
                                                  1000 + i * 100,
                                                  {300 + i * 500, 600, 220, 160},
                                                  "1  17:00:38.000",
                                                  1,
                                                  OC_SIG_RED,
                                                  3400,
                                                  others,
                                                  4,
                                                  0};
    }
    struct oc_evbuild *b = oc_evbuild_new("/tmp", font, 85);
    struct oc_evbuild_result res;
    unsigned char *out = NULL;
    size_t out_len = 0;
    /* warm-up: glyph cache, allocator */
    oc_evbuild_image(b, &job, &out, &out_len, &res);
    free(out);
    double t0 = cpu_s();
    for (int i = 0; i < iters; i++) {
        oc_evbuild_image(b, &job, &out, &out_len, &res);
        if (i + 1 < iters)
            free(out);
    }
    double per_image = (cpu_s() - t0) / iters;
    unsigned char *pub = NULL;
    size_t pub_len = 0;
    double t2 = cpu_s();
    for (int i = 0; i < iters; i++) {
        unsigned char *o2;
        size_t l2;
        oc_evbuild_image(b, &job, &o2, &l2, &res);
        oc_evbuild_public(b, &job, &pub, &pub_len, &res);
        free(o2);
        free(pub);
    }
    double per_both = (cpu_s() - t2) / iters;
    struct oc_jpeg *j = oc_jpeg_new();
    struct oc_image sheet;
    int ax, ay;
    oc_jpeg_decode(j, out, out_len, 8, NULL, &sheet, &ax, &ay);
    oc_jpeg_free(j);
    /* the codec floor: 3 full decodes + one encode of the sheet's size */
    tjhandle dec = tjInitDecompress(), enc = tjInitCompress();
    unsigned char *rgb = malloc((size_t)W * H * 3);
    unsigned char *enc_buf = NULL;
    unsigned long enc_len = 0;
    double t1 = cpu_s();
    for (int i = 0; i < iters; i++) {
        for (int k = 0; k < 3; k++)
            tjDecompress2(dec, jp[k], job.frames[k].len, rgb, W, 0, H, TJPF_RGB, 0);
        tjCompress2(enc, sheet.px, sheet.w, 0, sheet.h, TJPF_RGB, &enc_buf, &enc_len, TJSAMP_420,
                    85, 0);
    }
    double floor_s = (cpu_s() - t1) / iters;
    printf("frames: 3 x %dx%d, %zu KB in all; evidence image %dx%d, %zu KB\n", W, H, total / 1024,
           sheet.w, sheet.h, out_len / 1024);
    printf("evidence image   %8.2f ms  (%6.1f images/s on one core)\n", per_image * 1e3,
           1 / per_image);
    printf("codec floor      %8.2f ms  (3 full decodes + 1 encode of %dx%d)\n", floor_s * 1e3,
           sheet.w, sheet.h);
    printf("ratio            %8.2f x  (target <= 1.0; images/s target >= 30)\n",
           per_image / floor_s);
    printf("private + public %8.2f ms  (%.2f x the floor; target <= 1.6)\n", per_both * 1e3,
           per_both / floor_s);
    sign_cost(iters, per_image);
    tjFree(enc_buf);
    tjDestroy(dec);
    tjDestroy(enc);
    free(rgb);
    free(sheet.px);
    free(out);
    for (int i = 0; i < 3; i++)
        free(jp[i]);
    oc_evbuild_free(b);
    return 0;
}
