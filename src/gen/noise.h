/* The tracker noise model (tracker.h) over a whole log: `ordercam-gen sample
 * --tracker LEVEL` and `bench --tracker LEVEL` (docs/bench.md). */
#ifndef OC_GEN_NOISE_H
#define OC_GEN_NOISE_H

#include <stdint.h>
#include <stdio.h>

/* Copies the log `in` (plain or gzip) to out, degrading the objects of every
 * detection message per camera with the noise model at level (seeded): ids,
 * boxes and the number of boxes change; every other member of an object is
 * kept (a duplicate box copies its object's), and every other line is copied
 * as it is. Each camera's first 65,536 track ids are given to the model,
 * later ones pass clean. Returns 0, -1 on a read, write or memory error. */
int gen_noise_log(const char *in, FILE *out, uint64_t seed, double level);

#endif
