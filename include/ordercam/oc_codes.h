/* The offence code table (docs/evidence.md, "Code table"): one JSON file
 * per locale mapping a violation type and its code to the official offence
 * name, a short name and, where a province sets them, points and fine.
 * The box (captions) and central (API, dashboard) read the same files, so
 * a code means the same thing everywhere. Records keep the type
 * identifier; only people-facing text uses the names.
 *
 * A table is immutable once loaded: lookups may run on any thread. The
 * table owns every string it hands out; they live until oc_codes_free. */
#ifndef OC_CODES_H
#define OC_CODES_H

#include <stdbool.h>
#include <stddef.h>

#include "ordercam/oc_err.h"

#define OC_CODES_MAX_BYTES (256 * 1024) /* a larger file is refused */
#define OC_CODES_MAX_ENTRIES 512        /* more offences are refused */
#define OC_CODES_NAME_MAX 512           /* bytes of "name", "basis" */
#define OC_CODES_SHORT_MAX 64           /* bytes of "short" */

struct oc_code_entry {
    const char *type;       /* violation type identifier ("red_light") */
    const char *code;       /* offence code ("1625"), NULL when the type has none */
    const char *name;       /* official offence name */
    const char *short_name; /* short name for captions and tables ("闯红灯") */
    const char *basis;      /* legal basis, NULL when not given */
    int points;             /* demerit points, -1 when not set */
    int fine;               /* fine in yuan, -1 when not set */
};

struct oc_codes;

/* Parses a table from buf[0..len) through oc_json_parse (strict). OC_OK
 * with *out the caller's (oc_codes_free). OC_EPARSE / OC_ELIMIT /
 * OC_EINVAL with a one-line English reason in err (cap bytes, may be 0),
 * *out NULL; OC_ENOMEM. */
oc_err_t oc_codes_parse(const char *buf, size_t len, struct oc_codes **out, char *err, size_t cap);

/* oc_codes_parse of the file at path (OC_EIO when it cannot be read). */
oc_err_t oc_codes_load(const char *path, struct oc_codes **out, char *err, size_t cap);

/* The tables built into the programs from config/codes/: locale "zh-CN"
 * (the default) or "en"; NULL locale means "zh-CN". OC_ENOTFOUND for any
 * other locale. */
oc_err_t oc_codes_builtin(const char *locale, struct oc_codes **out, char *err, size_t cap);

/* path NULL: the built-in zh-CN table; else oc_codes_load(path). */
oc_err_t oc_codes_open(const char *path, struct oc_codes **out, char *err, size_t cap);

void oc_codes_free(struct oc_codes *c);

const char *oc_codes_locale(const struct oc_codes *c); /* "zh-CN" */
bool oc_codes_is_example(const struct oc_codes *c);    /* "example": true */
size_t oc_codes_count(const struct oc_codes *c);
/* Entry i (0..count-1) in file order, NULL beyond. */
const struct oc_code_entry *oc_codes_at(const struct oc_codes *c, size_t i);

/* The entry of type with exactly this code (code NULL: the type's entry
 * without a code). NULL when the table has none, or c is NULL. */
const struct oc_code_entry *oc_codes_find(const struct oc_codes *c, const char *type,
                                          const char *code);

/* oc_codes_find, else the type's first entry whatever its code (a
 * province's code the table does not list still gets the type's name). */
const struct oc_code_entry *oc_codes_lookup(const struct oc_codes *c, const char *type,
                                            const char *code);

#endif
