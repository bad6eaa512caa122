/* The strict config reader every config layer shares: core's scene
 * (oc_config), ordercamd's daemon sections (src/edge/oc_ecfg) and the
 * evidence settings are read from one file, parsed once.
 *
 * oc_cfgread_text/_file turn the text into a cJSON tree under the oc_json
 * policy (comments allowed, duplicate keys, trailing data, control
 * characters, bad UTF-8 refused; 4 MiB limit). The field readers check one
 * member each and, on a mistake, write "NAME: $.json.path: problem" into
 * the caller's err buffer and return false. A layer pushes the key of the
 * section it reads (oc_cfgread_push_key) so that its messages carry the
 * whole path.
 *
 * struct oc_cfgread lives on the caller's stack; it borrows name and err
 * (both must outlive it). Strings the readers return are malloc'd and
 * owned by the caller. */
#ifndef OC_CFGREAD_H
#define OC_CFGREAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define OC_CFGREAD_MAX_BYTES (4u << 20)

struct oc_cfgread {
    const char *name; /* the file, first in every message */
    char *err;
    size_t errlen;
    char path[512]; /* "$.cameras[2].zones[0]"; empty at the root */
    size_t plen;
};

void oc_cfgread_init(struct oc_cfgread *r, const char *name, char *err, size_t errlen);

/* text[0..len) (need not be NUL-terminated) as a JSON tree, or
 * NULL with the error written. The caller frees the tree (cJSON_Delete). */
cJSON *oc_cfgread_text(struct oc_cfgread *r, const char *text, size_t len);

/* As oc_cfgread_text, from the file at path ("PATH: cannot open: ..."). */
cJSON *oc_cfgread_file(struct oc_cfgread *r, const char *path);

/* Writes "NAME: PATH: message" and returns false. */
__attribute__((format(printf, 2, 3))) bool oc_cfgread_fail(struct oc_cfgread *r, const char *fmt,
                                                           ...);
__attribute__((format(printf, 2, 0))) bool oc_cfgread_vfail(struct oc_cfgread *r, const char *fmt,
                                                            va_list ap);

/* Path stack: push returns the old length to pop back to. */
size_t oc_cfgread_push_key(struct oc_cfgread *r, const char *key);
size_t oc_cfgread_push_idx(struct oc_cfgread *r, size_t i);
void oc_cfgread_pop(struct oc_cfgread *r, size_t old);

/* Refuses a member of obj whose key is not in allowed (NULL-terminated),
 * and a key given twice. */
bool oc_cfgread_keys(struct oc_cfgread *r, const cJSON *obj, const char *const *allowed);

/* *out = member key of obj when it is an object, NULL when absent or null;
 * anything else is refused. */
bool oc_cfgread_object(struct oc_cfgread *r, const cJSON *obj, const char *key, const cJSON **out);

/* Copies a non-empty string member into *out (NULL when absent and not
 * required). */
bool oc_cfgread_str(struct oc_cfgread *r, const cJSON *obj, const char *key, bool required,
                    char **out);

/* Number members in [lo, hi] (integer: no fraction). When absent or null
 * *out keeps its value (the caller's default). */
bool oc_cfgread_num(struct oc_cfgread *r, const cJSON *obj, const char *key, double lo, double hi,
                    bool integer, double *out);
bool oc_cfgread_int(struct oc_cfgread *r, const cJSON *obj, const char *key, double lo, double hi,
                    int *out);
bool oc_cfgread_bool(struct oc_cfgread *r, const cJSON *obj, const char *key, bool *out);

#endif
