#include "ordercam/oc_err.h"

#include <string.h>

#include "ordercam/oc_counters.h"

const char *oc_strerror(oc_err_t err)
{
    switch (err) {
    case OC_OK: return "ok";
    case OC_ENOMEM: return "out of memory";
    case OC_EINVAL: return "invalid argument";
    case OC_EFULL: return "limit reached";
    case OC_ENOTFOUND: return "not found";
    case OC_EIO: return "input/output error";
    case OC_EPARSE: return "parse error";
    case OC_ELIMIT: return "size or depth limit exceeded";
    case OC_EEXIST: return "already there";
    }
    return "unknown error";
}

static const char *const counter_names[] = {
#define OC__NAME(name, str, doc) str,
    OC_COUNTER_LIST(OC__NAME)
#undef OC__NAME
};

static const char *const counter_docs[] = {
#define OC__DOC(name, str, doc) doc,
    OC_COUNTER_LIST(OC__DOC)
#undef OC__DOC
};

const char *oc_counter_name(enum oc_counter c)
{
    return (unsigned)c < OC_C__COUNT ? counter_names[c] : "unknown";
}

const char *oc_counter_doc(enum oc_counter c)
{
    return (unsigned)c < OC_C__COUNT ? counter_docs[c] : "unknown";
}

#define DROP_PREFIX "drop_"

bool oc_counter_is_drop(enum oc_counter c)
{
    return strncmp(oc_counter_name(c), DROP_PREFIX, strlen(DROP_PREFIX)) == 0;
}

const char *oc_counter_reason(enum oc_counter c)
{
    const char *name = oc_counter_name(c);
    return oc_counter_is_drop(c) ? name + strlen(DROP_PREFIX) : name;
}
