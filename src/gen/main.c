/* ordercam-gen: writes the sample scenario or a large synthetic log. */
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "gen.h"
#include "noise.h"
#include "tracker.h"
#include "oc_ecfg.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ordercam-gen sample --out LOG [--manifest FILE] [--seed N]\n"
            "                          [--frames --scene SCENE.json]\n"
            "         --frames: also draw frames near each key moment (and one a second)\n"
            "         under frames/ beside LOG, for evidence\n"
            "       ordercam-gen bench --out LOG --scene SCENE.json [--cameras N]\n"
            "                          [--messages N] [--objects N] [--seed N] [--junction]\n"
            "         --junction: every camera a junction (movements, arrows, a waiting area,\n"
            "         guide lanes, solid lines, a yield line); vehicles turn, pedestrians cross\n"
            "       ordercam-gen convert --in LOG --out LOG --format FORMAT [--scene SCENE.json]\n"
            "                          [--ids FILE]\n"
            "         renders a native log's detections as deepstream, deepstream-minimal, onvif\n"
            "         or frigate payloads (docs/inputs.md); --ids: ONVIF ObjectId of each track\n"
            "       sample and bench also take --format FORMAT (default ordercam)\n"
            "       ordercam-gen stays --out LOG --scene SCENE.json [--manifest FILE]\n"
            "                          [--tracker LEVEL] [--stays N] [--seed N]\n"
            "         a row of parked cars (docs/bench.md), degraded by the tracker noise\n"
            "         model at LEVEL (0 = clean .. 1 = a poor street tracker)\n"
            "       sample and bench also take --tracker LEVEL: every detection message\n"
            "         degraded by the same model, per camera (the manifest stays the clean\n"
            "         truth)\n");
}

int main(int argc, char **argv);

static int convert_file(const char *in, const char *out, int fmt, const char *scene,
                        const char *ids)
{
    char err[512];
    struct oc_ecfg *ecfg = scene ? oc_ecfg_load(scene, err, sizeof err) : NULL;
    const struct oc_config *cfg = ecfg ? ecfg->scene : NULL;
    if (scene && !ecfg) {
        fprintf(stderr, "ordercam-gen: %s\n", err);
        return 1;
    }
    FILE *o = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    FILE *idf = ids ? fopen(ids, "w") : NULL;
    int rc = o && (!ids || idf) ? gen_convert(in, o, (enum oc_format)fmt, cfg, idf) : -1;
    if (idf && fclose(idf) != 0)
        rc = -1;
    if (o && o != stdout && fclose(o) != 0)
        rc = -1;
    oc_ecfg_free(ecfg);
    if (rc != 0) {
        fprintf(stderr, "ordercam-gen: cannot convert %s to %s\n", in, out);
        return 1;
    }
    return 0;
}

/* sample/bench --format F: the native log into a temporary file, then
 * converted into --out. */
static int convert_mode(const char *mode, int argc, char **argv, int fmt, const char *out,
                        const char *scene, const char *ids)
{
    char tmp[] = "/tmp/ordercam-gen-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return 1;
    int n = 0;
    args[n++] = argv[0];
    args[n++] = (char *)mode;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "--ids") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--format=", 9) == 0 || strncmp(argv[i], "--ids=", 6) == 0)
            continue;
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            args[n++] = argv[i++];
            args[n++] = tmp;
            continue;
        }
        args[n++] = argv[i];
    }
    optind = 1;
    int rc = main(n, args);
    free(args);
    if (rc == 0)
        rc = convert_file(tmp, out, fmt, scene, ids);
    unlink(tmp);
    return rc;
}

struct stays_files {
    FILE *log, *manifest;
};

static int stays_line(void *ud, int64_t ts, const char *payload)
{
    struct stays_files *f = ud;
    fprintf(f->log,
            "{\"ts\":%" PRId64 ",\"topic\":\"ordercam/cameras/" GEN_STAYS_CAMERA
            "/detections\",\"payload\":%s}\n",
            OC_GEN_T0 + ts + 5, payload);
    return ferror(f->log) ? -1 : 0;
}

static int stays_truth(void *ud, const struct gen_stay_truth *t)
{
    struct stays_files *f = ud;
    if (!f->manifest)
        return 0;
    fprintf(f->manifest,
            "{\"camera\":\"" GEN_STAYS_CAMERA "\",\"slot\":%d,\"arrive\":%" PRId64
            ",\"depart\":%" PRId64 ",\"type\":%s}\n",
            t->slot, OC_GEN_T0 + t->arrive, OC_GEN_T0 + t->depart,
            t->long_stay ? "\"illegal_parking\"" : "null");
    return ferror(f->manifest) ? -1 : 0;
}

/* The stays scenario: its scene, log and (optional) manifest of stays.
 * Returns 0, -1 on a write error, 1 when a file cannot be opened. */
static int write_stays(FILE *log, const char *scene, const char *manifest, uint64_t seed,
                       double level, int n)
{
    FILE *s = fopen(scene, "w"), *m = manifest ? fopen(manifest, "w") : NULL;
    if (!s || (manifest && !m)) {
        perror(!s ? scene : manifest);
        if (s)
            fclose(s);
        return 1;
    }
    fprintf(s, "%s\n", gen_stays_scene());
    struct stays_files f = {log, m};
    struct gen_stays_out out = {&f, OC_GEN_T0, stays_line, stays_truth, 0, NULL};
    int rc = gen_stays(seed, level, n, &out) == 0 ? 0 : -1;
    if (fclose(s) != 0 || (m && fclose(m) != 0))
        rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"manifest", required_argument, NULL, 'm'},
                                         {"scene", required_argument, NULL, 's'},
                                         {"seed", required_argument, NULL, 'S'},
                                         {"cameras", required_argument, NULL, 'c'},
                                         {"messages", required_argument, NULL, 'n'},
                                         {"objects", required_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"frames", no_argument, NULL, 'F'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"in", required_argument, NULL, 'i'},
                                         {"ids", required_argument, NULL, 'I'},
                                         {"frames", no_argument, NULL, 'F'},
                                         {"tracker", required_argument, NULL, 'T'},
                                         {"stays", required_argument, NULL, 'N'},
                                         {"junction", no_argument, NULL, 'J'},
                                         {NULL, 0, NULL, 0}};
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *mode = argv[1], *out = NULL, *manifest = NULL, *scene = NULL;
    const char *format = "ordercam", *in = NULL, *ids = NULL;
    uint64_t seed = 1;
    int cameras = 16, objects = 4, ch, with_frames = 0, stays = 1000, junction = 0;
    double level = 0;
    long messages = 1000000;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "o:m:s:S:c:n:k:hFf:i:I:T:N:J", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 'm': manifest = optarg; break;
        case 's': scene = optarg; break;
        case 'S': seed = strtoull(optarg, NULL, 10); break;
        case 'c': cameras = atoi(optarg); break;
        case 'n': messages = atol(optarg); break;
        case 'k': objects = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        case 'F': with_frames = 1; break;
        case 'f': format = optarg; break;
        case 'i': in = optarg; break;
        case 'I': ids = optarg; break;
        case 'T': level = atof(optarg); break;
        case 'N': stays = atoi(optarg); break;
        case 'J': junction = 1; break;
        default: usage(stderr); return 2;
        }
    }
    if (!out || cameras < 1 || cameras > 999 || messages < 1 || objects < 1 || objects > 64 ||
        !(level >= 0 && level <= 1) || stays < 1 || stays > 1000000) {
        usage(stderr);
        return 2;
    }
    int fmt = oc_format_lookup(format, strlen(format));
    if (fmt < 0 || (strcmp(mode, "convert") == 0 && (!in || fmt == 0))) {
        usage(stderr);
        return 2;
    }
    if (fmt != OC_FORMAT_ORDERCAM && strcmp(mode, "convert") != 0)
        return convert_mode(mode, argc, argv, fmt, out, scene, ids);
    if (strcmp(mode, "convert") == 0)
        return convert_file(in, out, fmt, scene, ids);
    /* sample and bench --tracker LEVEL: the clean log into a temporary
     * file, then through the noise model into --out */
    const char *final_out = out;
    char tmp[] = "/tmp/ordercam-gen-XXXXXX";
    bool noisy = level > 0 && (strcmp(mode, "sample") == 0 || strcmp(mode, "bench") == 0);
    if (noisy) {
        int fd = mkstemp(tmp);
        if (fd < 0) {
            perror("mkstemp");
            return 1;
        }
        close(fd);
        out = tmp;
    }
    FILE *log = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    if (!log) {
        perror(out);
        return 1;
    }
    int rc;
    if (strcmp(mode, "sample") == 0) {
        FILE *m = manifest ? fopen(manifest, "w") : NULL;
        if (manifest && !m) {
            perror(manifest);
            return 1;
        }
        struct gen_frames *frames = NULL;
        struct oc_ecfg *cfg = NULL;
        if (with_frames) {
            char err[512], dir[4096];
            snprintf(dir, sizeof dir, "%s", final_out);
            char *slash = strrchr(dir, '/');
            if (slash)
                *slash = '\0';
            else
                snprintf(dir, sizeof dir, ".");
            cfg = scene ? oc_ecfg_load(scene, err, sizeof err) : NULL;
            frames =
                cfg ? gen_frames_new(cfg->scene, cfg->evidence.font, dir, err, sizeof err) : NULL;
            if (!frames) {
                fprintf(stderr, "ordercam-gen: %s\n", scene ? err : "--frames needs --scene");
                oc_ecfg_free(cfg);
                return 1;
            }
        }
        rc = oc_gen_sample(log, m, seed, frames);
        gen_frames_free(frames);
        oc_ecfg_free(cfg);
        if (m && fclose(m) != 0)
            rc = -1;
    } else if (strcmp(mode, "stays") == 0 && scene) {
        rc = write_stays(log, scene, manifest, seed, level, stays);
        if (rc > 0)
            return 1;
    } else if (strcmp(mode, "bench") == 0 && scene) {
        FILE *s = fopen(scene, "w");
        if (!s) {
            perror(scene);
            return 1;
        }
        rc = oc_gen_bench(log, s, seed, cameras, messages, objects, junction);
        if (fclose(s) != 0)
            rc = -1;
    } else {
        usage(stderr);
        return 2;
    }
    if (log != stdout && fclose(log) != 0)
        rc = -1;
    if (noisy && rc == 0) {
        FILE *o = strcmp(final_out, "-") == 0 ? stdout : fopen(final_out, "w");
        rc = o ? gen_noise_log(tmp, o, seed, level) : -1;
        if (o && o != stdout && fclose(o) != 0)
            rc = -1;
    }
    if (noisy)
        unlink(tmp);
    if (rc != 0) {
        fprintf(stderr, "ordercam-gen: write failed\n");
        return 1;
    }
    return 0;
}
