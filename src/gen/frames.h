/* Synthetic camera frames for the sample: the scene's zones and lines
 * painted on a road, each object as a coloured block where its detection
 * box says (plates drawn on vehicles that carry one), a camera-style
 * time overlay. Deterministic for the same inputs and libraries. */
#ifndef OC_GEN_FRAMES_H
#define OC_GEN_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_config.h"

struct gen_obj {
    double box[4];
    const char *cls;
    const char *plate; /* NULL: none */
};

struct gen_frames;

/* cfg (the scene, borrowed) gives each camera's size, zones and lines;
 * font (the config's evidence.font) draws the overlay; frames go under
 * <dir>/frames/<camera>/<ts>.jpg. NULL with err set. */
struct gen_frames *gen_frames_new(const struct oc_config *cfg, const char *font, const char *dir,
                                  char *err, size_t errlen);
void gen_frames_free(struct gen_frames *g);

/* Writes one frame of camera cam (config id) at ts; rel receives the path
 * relative to dir. 0 or -1. */
int gen_frames_write(struct gen_frames *g, const char *cam, int64_t ts, const struct gen_obj *o,
                     size_t n, char *rel, size_t rel_len);

#endif
