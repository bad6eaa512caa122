/* ordercam-replay --render DIR (docs/outputs.md "Annotated frames"): each
 * frame of the chosen cameras within a time range, decoded, drawn over with
 * the live view's overlay (oc_overlay: zones, lines and signal states,
 * tracks, stays, recent violations) as the engine stood once that frame's
 * message was applied, and written as DIR/<camera>/<ts>.jpg. With
 * --render-violations only the frames within OC_RENDER_AROUND_MS of each
 * violation's time: frames are held per camera (JPEG bytes and the scene,
 * at most OC_RENDER_HOLD_MS behind the camera's newest and
 * OC_RENDER_HOLD_BYTES in all; beyond, the oldest is dropped and counted)
 * until a violation may want them. Runs on the replay thread; output is
 * deterministic. */
#ifndef OC_RENDER_H
#define OC_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_evcfg.h"

#define OC_RENDER_AROUND_MS 2000
#define OC_RENDER_HOLD_MS 15000 /* a red light is established up to exit_s (10 s) after it */
#define OC_RENDER_HOLD_BYTES (256u << 20)

struct render_opts {
    const char *dir;
    const char *cameras; /* comma-separated ids; NULL: all */
    int64_t from, to;    /* camera time, ms, inclusive; 0: open */
    int violations_only;
    const char *font; /* the evidence font (labels) */
    int quality;
};

struct render;

/* NULL with a reason in err (unknown camera, folder, font, memory). */
struct render *render_new(const struct oc_config *cfg, const struct render_opts *o, char *err,
                          size_t errlen);
void render_free(struct render *r);

/* The engine's frame sink (JPEG bytes, borrowed): remembered until
 * render_step. */
void render_frame(struct render *r, int camera, int64_t ts, const void *jpeg, size_t len);
/* The engine's violation sink. */
void render_violation(struct render *r, const struct oc_violation *v);
/* After each message: the frames it brought are drawn as the engine is now. */
void render_step(struct render *r, const struct oc_engine *eng);
/* Summary on f (NULL: none); nonzero when a file could not be written. */
int render_report(const struct render *r, FILE *f);

#endif
