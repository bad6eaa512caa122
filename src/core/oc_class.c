#include "ordercam/oc_class.h"

#include <string.h>

static const struct {
    const char *name;
    enum oc_group group;
} known[OC_CLASS_KNOWN] = {
    {"car", OC_GRP_MOTOR},           {"bus", OC_GRP_MOTOR},         {"truck", OC_GRP_MOTOR},
    {"van", OC_GRP_MOTOR},           {"motorcycle", OC_GRP_MOTOR},  {"bicycle", OC_GRP_NONMOTOR},
    {"ebike", OC_GRP_NONMOTOR},      {"tricycle", OC_GRP_NONMOTOR}, {"person", OC_GRP_PEDESTRIAN},
    {"vendor_stall", OC_GRP_VENDOR}, {"cart", OC_GRP_VENDOR},
};

const char *oc_class_name(int id)
{
    return id >= 0 && id < OC_CLASS_KNOWN ? known[id].name : NULL;
}

int oc_class_lookup(const char *name)
{
    /* Called per detected object: the first letter narrows the candidates
     * to two. Entries hold id + 1 so that 0 means "none". */
#define C(id) ((id) + 1)
    static const unsigned char first[26][2] = {
        ['b' - 'a'] = {C(OC_CLS_BUS), C(OC_CLS_BICYCLE)},
        ['c' - 'a'] = {C(OC_CLS_CAR), C(OC_CLS_CART)},
        ['e' - 'a'] = {C(OC_CLS_EBIKE), 0},
        ['m' - 'a'] = {C(OC_CLS_MOTORCYCLE), 0},
        ['p' - 'a'] = {C(OC_CLS_PERSON), 0},
        ['t' - 'a'] = {C(OC_CLS_TRUCK), C(OC_CLS_TRICYCLE)},
        ['v' - 'a'] = {C(OC_CLS_VAN), C(OC_CLS_VENDOR_STALL)},
    };
#undef C
    if (name[0] < 'a' || name[0] > 'z')
        return -1;
    for (int k = 0; k < 2; k++) {
        int id = first[name[0] - 'a'][k] - 1;
        if (id >= 0 && strcmp(known[id].name, name) == 0)
            return id;
    }
    return -1;
}

enum oc_group oc_class_group(int id)
{
    return id >= 0 && id < OC_CLASS_KNOWN ? known[id].group : OC_GRP_NONE;
}

oc_classmask_t oc_class_group_mask(const char *name)
{
    enum oc_group g;
    if (strcmp(name, "motor") == 0)
        g = OC_GRP_MOTOR;
    else if (strcmp(name, "nonmotor") == 0)
        g = OC_GRP_NONMOTOR;
    else if (strcmp(name, "pedestrian") == 0)
        g = OC_GRP_PEDESTRIAN;
    else if (strcmp(name, "vendor") == 0)
        g = OC_GRP_VENDOR;
    else
        return 0;
    oc_classmask_t m = 0;
    for (int i = 0; i < OC_CLASS_KNOWN; i++)
        if (known[i].group == g)
            m |= (oc_classmask_t)1 << i;
    return m;
}

static const struct {
    const char *name;
    const char *code;
} builtin[OC_V_BUILTIN] = {
    {"illegal_parking", "1039"},     {"tactile_paving_occupied", NULL},
    {"street_vending", NULL},        {"red_light", "1625"},
    {"stop_line_crossing", "1211"},  {"nonmotor_red_light", "2002"},
    {"pedestrian_red_light", NULL},  {"jaywalking", NULL},
    {"wrong_way", "1301"},           {"no_helmet", NULL},
    {"illegal_uturn", "1044"},       {"wrong_lane_movement", "1208"},
    {"solid_line_crossing", "1345"}, {"fail_to_yield", "1357"},
};

const char *oc_vtype_builtin_name(int t)
{
    return t >= 0 && t < OC_V_BUILTIN ? builtin[t].name : NULL;
}

const char *oc_vtype_default_code(int t)
{
    return t >= 0 && t < OC_V_BUILTIN ? builtin[t].code : NULL;
}
