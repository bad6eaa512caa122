/* ordercamd's camera clocks between messages (engine thread): each
 * camera's clock is anchored to monotonic time when a message moves it, and
 * a camera silent for OC_DTICK_SILENT_MS has its clock stepped along (a
 * tick: through the receive path's order, into the journal, the adapters,
 * the engine and the evidence keeper) so that tracks end and timers fire. */
#ifndef OC_DTICK_H
#define OC_DTICK_H

#include "oc_daemon.h"

#define OC_DTICK_SILENT_MS 2000 /* a camera quiet this long has its clock advanced */

/* The camera's clock may have moved: its anchor and the keeper follow
 * (cam < 0: nothing). */
void oc_dtick_note_clock(struct oc_daemon *d, int cam);
/* The same for every camera (an adapter passes held frames on when time
 * passes). */
void oc_dtick_note_clocks(struct oc_daemon *d);
/* Ticks every silent camera that is due (once a second). */
void oc_dtick_silent(struct oc_daemon *d);

#endif
