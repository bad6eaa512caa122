/* Deterministic generators of event logs: the scripted sample scenario and
 * large synthetic logs for benchmarks. Same arguments, same bytes. */
#ifndef OC_GEN_H
#define OC_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "frames.h"

/* Epoch of generated logs: 2025-11-22 09:00:00 UTC. */
#define OC_GEN_T0 ((int64_t)1763802000000)

/* Writes the sample scenario for samples/scene.json to log, and to manifest
 * (if not NULL) one JSON line per scripted actor saying which violation it
 * must produce ("type": null for none). With frames (may be NULL), also
 * frames near every key moment (and one a second) as payload_file lines.
 * Returns 0, -1 on a write error. */
int oc_gen_sample(FILE *log, FILE *manifest, uint64_t seed, struct gen_frames *frames);

/* Writes a synthetic scene (cameras copies of one intersection) to scene
 * and a log of `messages` detection messages (about `objects` objects each,
 * spread over `cameras` cameras at 10 fps) to log. With junction, every
 * camera is the junction of junction.h (movements, arrows, a waiting area,
 * guide lanes, solid lines, a crosswalk with its yield line), vehicles turn
 * and pedestrians cross. Returns 0 or -1. */
int oc_gen_bench(FILE *log, FILE *scene, uint64_t seed, int cameras, long messages, int objects,
                 bool junction);

#endif
