/* ordercam-gen: writes the sample scenario or a large synthetic log. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "oc_ecfg.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ordercam-gen sample --out LOG [--manifest FILE] [--seed N]\n"
               "                          [--frames --scene SCENE.json]\n"
               "         --frames: also draw frames near each key moment (and one a second)\n"
               "         under frames/ beside LOG, for evidence\n"
               "       ordercam-gen bench --out LOG --scene SCENE.json [--cameras N]\n"
               "                          [--messages N] [--objects N] [--seed N]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},      {"manifest", required_argument, NULL, 'm'},
        {"scene", required_argument, NULL, 's'},    {"seed", required_argument, NULL, 'S'},
        {"cameras", required_argument, NULL, 'c'},  {"messages", required_argument, NULL, 'n'},
        {"objects", required_argument, NULL, 'k'},  {"help", no_argument, NULL, 'h'},
        {"frames", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0}};
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *mode = argv[1], *out = NULL, *manifest = NULL, *scene = NULL;
    uint64_t seed = 1;
    int cameras = 16, objects = 4, ch, with_frames = 0;
    long messages = 1000000;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "o:m:s:S:c:n:k:hF", opts, NULL)) != -1) {
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
        default: usage(stderr); return 2;
        }
    }
    if (!out || cameras < 1 || cameras > 999 || messages < 1 || objects < 1 || objects > 64) {
        usage(stderr);
        return 2;
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
            snprintf(dir, sizeof dir, "%s", out);
            char *slash = strrchr(dir, '/');
            if (slash)
                *slash = '\0';
            else
                snprintf(dir, sizeof dir, ".");
            cfg = scene ? oc_ecfg_load(scene, err, sizeof err) : NULL;
            frames = cfg ? gen_frames_new(cfg->scene, cfg->evidence.font, dir, err, sizeof err)
                         : NULL;
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
    } else if (strcmp(mode, "bench") == 0 && scene) {
        FILE *s = fopen(scene, "w");
        if (!s) {
            perror(scene);
            return 1;
        }
        rc = oc_gen_bench(log, s, seed, cameras, messages, objects);
        if (fclose(s) != 0)
            rc = -1;
    } else {
        usage(stderr);
        return 2;
    }
    if (log != stdout && fclose(log) != 0)
        rc = -1;
    if (rc != 0) {
        fprintf(stderr, "ordercam-gen: write failed\n");
        return 1;
    }
    return 0;
}
