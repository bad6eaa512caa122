/* Small helpers shared by the rule files (oc_rules.c, oc_rules_junction.c,
 * oc_stay.c): class masks, key moments of a pending record, the line group
 * of a class. Header-only (static inline): they run per observation. */
#ifndef OC_RULES_INT_H
#define OC_RULES_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "oc_engine_int.h"

/* True when class cls is in mask (a class outside 0..63 never is). */
static inline bool oc_rules__class_in(oc_classmask_t mask, int cls)
{
    return cls >= 0 && cls < 64 && (mask & ((oc_classmask_t)1 << cls));
}

/* Appends a key moment (ts, box) to p; nothing when p is NULL (the record
 * could not be made) or already holds OC_KEYS_MAX keys. */
static inline void oc_rules__key(struct oc_pending *p, int64_t ts, const double box[4])
{
    if (!p || p->n_keys >= OC_KEYS_MAX)
        return;
    p->key_ts[p->n_keys] = ts;
    memcpy(p->key_box[p->n_keys], box, sizeof p->key_box[0]);
    p->n_keys++;
}

/* Notes a line crossing at tc in ls: its time and the observations on
 * either side of it (before: prev_ts/prev_box, after: t/box). */
static inline void oc_rules__note_crossing(struct oc_lstate *ls, int64_t tc, int64_t prev_ts,
                                           const double prev_box[4], int64_t t, const double box[4])
{
    ls->t_cross = tc;
    ls->t_before = prev_ts;
    ls->t_after = t;
    memcpy(ls->box_before, prev_box, sizeof ls->box_before);
    memcpy(ls->box_after, box, sizeof ls->box_after);
}

/* The OC_LG_* a stop line judges a class by, -1 for none. */
static inline int oc_rules__line_group(int cls)
{
    switch (oc_class_group(cls)) {
    case OC_GRP_MOTOR: return OC_LG_MOTOR;
    case OC_GRP_NONMOTOR: return OC_LG_NONMOTOR;
    case OC_GRP_PEDESTRIAN: return OC_LG_PEDESTRIAN;
    default: return -1;
    }
}

#endif
