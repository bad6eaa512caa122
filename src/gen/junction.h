/* The junction ordercam-gen draws for issue 15's rules: the bench's
 * junction cameras (`bench --junction`, docs/bench.md). The approach drives
 * east (+x) over the stop line x = 900; left turns leave north over y = 250
 * (through the left-turn waiting area and its front line x = 1400), right
 * turns south over y = 750, straight over x = 1500; guide lanes with solid
 * lines between them before the stop line, and a crosswalk x = 1000..1150
 * with its yield line. */
#ifndef GEN_JUNCTION_H
#define GEN_JUNCTION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Where the bench's junction turns: left turners turn north past x = 1400
 * (the waiting area's front line), right turners south past x = 1000. */
#define GEN_JB_LEFT_TURN_X 1400
#define GEN_JB_RIGHT_TURN_X 1000
/* U-turners turn back west past x = 920, over the U-turn exit x = 850. */
#define GEN_JB_UTURN_X 920
/* Guide lanes: left (y < 375), straight, right (y >= 625). */
#define GEN_JB_LANE_LEFT_Y 375
#define GEN_JB_LANE_RIGHT_Y 625
/* The crosswalk's x range. */
#define GEN_JB_CW_X0 1000
#define GEN_JB_CW_X1 1150

/* Writes the signals of bench camera c (round "sig-NNN", left arrow
 * "sig-NNN-l", pedestrians "sig-NNN-p"), each an element of the scene's
 * "signals" array, preceded by ", " unless first. */
void gen_jb_signals(FILE *s, int c, bool first);

/* Writes bench camera c as one element of the scene's "cameras" array. */
void gen_jb_camera(FILE *s, int c, bool last);

/* Writes camera c's left-arrow and pedestrian heartbeats at ms (t0 + ms);
 * round_green: the round signal's state, written by the caller. */
void gen_jb_heartbeats(FILE *log, int64_t t0, int c, int64_t ms, bool round_green);

#endif
