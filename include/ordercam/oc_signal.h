/* The state history of one traffic signal, answering "what was the state at
 * time t, and when did that red begin". Bounded: it keeps the last
 * OC_SIGNAL_RUNS runs of equal state; older questions answer "unknown". */
#ifndef OC_SIGNAL_H
#define OC_SIGNAL_H

#include <stdint.h>

#include "ordercam/oc_err.h"
#include "ordercam/oc_event.h"

#define OC_SIGNAL_RUNS 64

/* A run: consecutive messages of one state, no two further apart than
 * stale_ms (a longer gap is "unknown" and starts a new run). */
struct oc_signal_run {
    int64_t first, last;
    enum oc_sig_state state;
};

struct oc_signal {
    struct oc_signal_run runs[OC_SIGNAL_RUNS];
    unsigned head, n; /* runs[head] is the newest */
    int64_t stale_ms;
};

void oc_signal_init(struct oc_signal *s, int64_t stale_ms);

/* Records a message. Returns OC_EINVAL (and records nothing) when ts is
 * older than the newest message already recorded. */
oc_err_t oc_signal_add(struct oc_signal *s, int64_t ts, enum oc_sig_state state);

/* State at time t: that of the newest message with ts <= t, unknown when
 * there is none or it is older than stale_ms. When known, *onset is set to
 * the first message of that state's run (for red: the red onset, the first
 * red message after a non-red or unknown state). */
enum oc_sig_state oc_signal_at(const struct oc_signal *s, int64_t t, int64_t *onset);

#endif
