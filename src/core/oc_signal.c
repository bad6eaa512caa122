#include "ordercam/oc_signal.h"

void oc_signal_init(struct oc_signal *s, int64_t stale_ms)
{
    s->head = 0;
    s->n = 0;
    s->stale_ms = stale_ms;
}

oc_err_t oc_signal_add(struct oc_signal *s, int64_t ts, enum oc_sig_state state)
{
    if (s->n > 0) {
        struct oc_signal_run *r = &s->runs[s->head];
        if (ts < r->last)
            return OC_EINVAL;
        if (r->state == state && ts - r->last <= s->stale_ms) {
            r->last = ts;
            return OC_OK;
        }
        s->head = (s->head + 1) % OC_SIGNAL_RUNS;
    }
    if (s->n < OC_SIGNAL_RUNS)
        s->n++;
    s->runs[s->head] = (struct oc_signal_run){ts, ts, state};
    return OC_OK;
}

enum oc_sig_state oc_signal_at(const struct oc_signal *s, int64_t t, int64_t *onset)
{
    for (unsigned k = 0; k < s->n; k++) {
        const struct oc_signal_run *r = &s->runs[(s->head + OC_SIGNAL_RUNS - k) % OC_SIGNAL_RUNS];
        if (r->first > t)
            continue;
        /* Inside a run messages are at most stale_ms apart, so only the
         * time after its last message can be stale. */
        if (t > r->last && t - r->last > s->stale_ms)
            return OC_SIG_UNKNOWN;
        if (onset)
            *onset = r->first;
        return r->state;
    }
    return OC_SIG_UNKNOWN;
}
