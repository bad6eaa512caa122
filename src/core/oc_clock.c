#include "ordercam/oc_clock.h"

void oc_clock_guard_init(struct oc_clock_guard *g)
{
    *g = (struct oc_clock_guard){.ref_rx = OC_RX_UNKNOWN, .cand_rx = OC_RX_UNKNOWN};
}

/* Where a clock that read ts when a message arrived at ts_rx should read
 * at rx: it follows the box's wall time, so a camera or signal that was
 * quiet for an hour may come back an hour later without being a jump. */
static int64_t expected(int64_t clock, int64_t ts, int64_t ts_rx, int64_t rx)
{
    if (rx == OC_RX_UNKNOWN || ts_rx == OC_RX_UNKNOWN || rx <= ts_rx)
        return clock;
    int64_t e = ts + (rx - ts_rx);
    return e > clock ? e : clock;
}

enum oc_clock_verdict oc_clock_judge(struct oc_clock_guard *g, const struct oc_clock_bounds *b,
                                     bool has_clock, int64_t clock, int64_t t, int64_t rx)
{
    if (rx != OC_RX_UNKNOWN && t - rx > b->max_future_ms)
        return OC_CLOCK_FUTURE;
    if (!has_clock || t - expected(clock, g->ref_ts, g->ref_rx, rx) <= b->max_jump_ms) {
        g->cand_n = 0;
        return OC_CLOCK_OK;
    }
    /* A jump: a genuine step (NTP) goes on, a lone bad date does not. */
    bool follows = g->cand_n > 0 && t >= g->cand_ts &&
                   t - expected(g->cand_ts, g->cand_ts, g->cand_rx, rx) <= b->max_jump_ms;
    g->cand_n = follows ? g->cand_n + 1 : 1;
    g->cand_ts = t;
    g->cand_rx = rx;
    if (g->cand_n < OC_CLOCK_CONFIRM)
        return OC_CLOCK_JUMP;
    g->cand_n = 0;
    return OC_CLOCK_STEP;
}

void oc_clock_moved(struct oc_clock_guard *g, int64_t t, int64_t rx)
{
    g->ref_ts = t;
    g->ref_rx = rx;
}

bool oc_clock_poisoned(const struct oc_clock_bounds *b, int64_t clock, int64_t rx)
{
    return rx != OC_RX_UNKNOWN && clock - rx > b->max_future_ms;
}
