/* How far one message may move a camera's or a signal's clock
 * (docs/events.md, "Clock bounds"). Pure: the times it judges are the
 * message's own time and, when the caller knows it, the box's wall time at
 * which the message was received, so a live daemon and a replay of its log
 * (whose "ts" is that receive time) decide alike. No allocation; the caller
 * owns every struct. */
#ifndef OC_CLOCK_H
#define OC_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Consecutive consistent messages that confirm a clock step. */
#define OC_CLOCK_CONFIRM 3
/* No receive time known. */
#define OC_RX_UNKNOWN INT64_MIN

struct oc_clock_bounds {
    int64_t max_future_ms; /* message time may exceed its receive time by this much */
    int64_t max_jump_ms;   /* and the clock's expected position by this much */
};

/* What the guard of one clock remembers besides the clock itself. */
struct oc_clock_guard {
    int64_t ref_ts, ref_rx;   /* newest message that moved the clock, its receive time */
    int64_t cand_ts, cand_rx; /* newest jump candidate and its receive time */
    uint32_t cand_n;          /* consecutive consistent candidates so far */
};

enum oc_clock_verdict {
    OC_CLOCK_OK,     /* within the bounds: apply the message */
    OC_CLOCK_STEP,   /* a jump confirmed by OC_CLOCK_CONFIRM messages: apply it */
    OC_CLOCK_FUTURE, /* dated beyond receive time + max_future: drop */
    OC_CLOCK_JUMP    /* a jump not (yet) confirmed: drop */
};

void oc_clock_guard_init(struct oc_clock_guard *g);

/* Judges a message dated t received at rx (OC_RX_UNKNOWN when unknown) for
 * a clock reading clock (has_clock false: nothing received yet). Keeps the
 * candidate state; a caller that applies the message (OC_CLOCK_OK or
 * OC_CLOCK_STEP) and moves the clock to t calls oc_clock_moved. */
enum oc_clock_verdict oc_clock_judge(struct oc_clock_guard *g, const struct oc_clock_bounds *b,
                                     bool has_clock, int64_t clock, int64_t t, int64_t rx);

/* The clock moved to t on a message received at rx. */
void oc_clock_moved(struct oc_clock_guard *g, int64_t t, int64_t rx);

/* True when a clock is beyond what any message received at rx could have
 * set (a restored state of another wall time): the caller resets it. */
bool oc_clock_poisoned(const struct oc_clock_bounds *b, int64_t clock, int64_t rx);

#endif
