/* A noise model of real detector + tracker output (docs/bench.md, "Stays
 * under tracker noise"), and a parking-row scenario to degrade with it.
 * Deterministic: the same seed and level give the same boxes. */
#ifndef OC_GEN_TRACKER_H
#define OC_GEN_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One box of a frame. obj: the true object (clean input), or the object
 * the box shows (noisy output). */
struct gen_det {
    char id[24];
    const char *cls; /* static string */
    double x, y, w, h;
    int obj;
};

struct gen_tracker;

/* The artefacts of the noise model, one bit each (for sweeps that turn
 * them on one at a time). */
enum {
    GEN_ART_MISS = 1u << 0,   /* misses in runs */
    GEN_ART_RENUM = 1u << 1,  /* re-numbering */
    GEN_ART_HOP = 1u << 2,    /* ids of neighbours swapped */
    GEN_ART_DUP = 1u << 3,    /* duplicate tracks */
    GEN_ART_PART = 1u << 4,   /* visible-part boxes */
    GEN_ART_JITTER = 1u << 5, /* per-box jitter */
    GEN_ART_ALL = (1u << 6) - 1
};

/* level 0 leaves boxes as they are; 1 is a poor street tracker: per frame
 * and object, misses start in runs (3 %, runs of 1-40 frames), ids are
 * re-numbered (4 %, and after half the misses), two neighbours swap ids
 * for 1-10 frames (1 %), a duplicate track appears for 5-50 frames (1 %),
 * only the visible part is boxed for 3-25 frames (2 %), and every box
 * jitters by 4 % of its size (sd). Rates scale with level. NULL when out
 * of memory. max_obj bounds object keys. */
struct gen_tracker *gen_tracker_new(uint64_t seed, double level, int max_obj);
void gen_tracker_free(struct gen_tracker *t);
/* Only the artefacts in mask (GEN_ART_*; GEN_ART_ALL by default). */
void gen_tracker_only(struct gen_tracker *t, unsigned mask);
/* Degrades one frame of clean boxes (each obj once, 0 <= obj < max_obj)
 * into out (up to cap boxes); returns how many. */
size_t gen_tracker_frame(struct gen_tracker *t, const struct gen_det *in, size_t n,
                         struct gen_det *out, size_t cap);

/* The parking-row scenario: one camera "cam-p", a no_parking zone with a
 * row of GEN_SLOTS parking places whose boxes overlap their neighbours'
 * (anchors about 35 px apart), cars arriving, staying long (1.3-2.5 x
 * dwell) or short (0.15-0.7 x dwell) and leaving, passing traffic in
 * front. */
#define GEN_SLOTS 4
#define GEN_STAYS_DWELL_S 60
#define GEN_STAYS_CAMERA "cam-p"

struct gen_stay_truth {
    int slot;
    int64_t arrive, depart; /* ms from T0: stopped .. starts to leave */
    bool long_stay;         /* longer than the dwell time: must be reported once */
    int obj;                /* the car's object key (gen_det.obj of its boxes) */
};

struct gen_stays_out {
    void *ud;
    int64_t t0; /* added to every ts in the messages (not to the callbacks' ts) */
    /* One detection message (payload JSON) of the camera at ts ms. */
    int (*detections)(void *ud, int64_t ts, const char *payload);
    /* Each generated stay, once it is known. Optional. */
    int (*truth)(void *ud, const struct gen_stay_truth *s);
    unsigned skip; /* artefacts left off (GEN_ART_*), 0: every one on */
    /* The degraded boxes of each message, with the object each shows
     * (before the message goes to detections), for sweeps that judge
     * what the observations could tell. Optional. */
    void (*boxes)(void *ud, int64_t ts, const struct gen_det *d, size_t n);
};

/* The scene JSON (one camera, dwell GEN_STAYS_DWELL_S). */
const char *gen_stays_scene(void);
/* Generates at least n_stays stays degraded at level. Returns 0, or the
 * first non-zero callback result, -1 when out of memory. */
int gen_stays(uint64_t seed, double level, int n_stays, const struct gen_stays_out *out);
/* Centre of slot k's box, for matching records to places. */
void gen_stays_slot_box(int k, double box[4]);

#endif
