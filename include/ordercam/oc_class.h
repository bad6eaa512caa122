/* The object-class vocabulary, class groups and violation types.
 * Class ids below OC_CLASS_KNOWN are the fixed vocabulary of docs/violations.md; the
 * engine interns other class names after them up to OC_CLASS_MAX. */
#ifndef OC_CLASS_H
#define OC_CLASS_H

#include <stdint.h>

enum oc_class_id {
    OC_CLS_CAR,
    OC_CLS_BUS,
    OC_CLS_TRUCK,
    OC_CLS_VAN,
    OC_CLS_MOTORCYCLE,
    OC_CLS_BICYCLE,
    OC_CLS_EBIKE,
    OC_CLS_TRICYCLE,
    OC_CLS_PERSON,
    OC_CLS_VENDOR_STALL,
    OC_CLS_CART,
    OC_CLASS_KNOWN,
    OC_CLS_OTHER = OC_CLASS_KNOWN, /* a name beyond the class table */
    OC_CLASS_MAX = 64
};

/* Groups as bits so a rule's `classes` is one mask over classes. */
enum oc_group {
    OC_GRP_NONE = 0,
    OC_GRP_MOTOR = 1,
    OC_GRP_NONMOTOR = 2,
    OC_GRP_PEDESTRIAN = 4,
    OC_GRP_VENDOR = 8
};

typedef uint64_t oc_classmask_t; /* bit i = class id i */

enum oc_vtype {
    OC_V_ILLEGAL_PARKING,
    OC_V_TACTILE_PAVING,
    OC_V_STREET_VENDING,
    OC_V_RED_LIGHT,
    OC_V_STOP_LINE_CROSSING,
    OC_V_NONMOTOR_RED_LIGHT,
    OC_V_PEDESTRIAN_RED_LIGHT,
    OC_V_JAYWALKING,
    OC_V_WRONG_WAY,
    OC_V_NO_HELMET,
    OC_V_ILLEGAL_UTURN, /* junction rules: oc_rules_junction.c */
    OC_V_WRONG_LANE_MOVEMENT,
    OC_V_SOLID_LINE_CROSSING,
    OC_V_FAIL_TO_YIELD,
    OC_V_BUILTIN /* camera event types follow, numbered by the config */
};
#define OC_VTYPE_MAX 64

/* Static name of a known class id, or NULL when id >= OC_CLASS_KNOWN. */
const char *oc_class_name(int id);
/* Known class id for name, or -1. */
int oc_class_lookup(const char *name);
/* Group bit of a class id (OC_GRP_NONE for others). */
enum oc_group oc_class_group(int id);
/* Mask of the known classes in a group name ("motor", ...), 0 if not a group. */
oc_classmask_t oc_class_group_mask(const char *name);
/* Name of a built-in violation type, NULL when t >= OC_V_BUILTIN. */
const char *oc_vtype_builtin_name(int t);
/* Default code of a built-in type, NULL when it has none. */
const char *oc_vtype_default_code(int t);

#endif
