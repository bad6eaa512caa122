/* The one JSON policy for every input ordercam reads: MQTT payloads, event
 * logs, configs, central's request bodies, the daemon's own journal.
 *
 * cJSON alone is lenient where a system whose output is a ticket cannot be:
 * it keeps both members of a duplicated key (lookups see the first, browsers
 * and Python the last), ignores data after the value unless asked, lets
 * "\u0000" cut a string short and accepts raw control characters inside
 * strings. oc_json_parse refuses all of these, plus invalid UTF-8 (overlongs,
 * surrogates, above U+10FFFF), nesting deeper than a limit and texts larger
 * than a limit, and says which rule was broken and where. */
#ifndef OC_JSON_H
#define OC_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define OC_JSON_MAX_DEPTH 64

enum oc_json_status {
    OC_JSON_OK = 0,
    OC_JSON_TOO_LARGE,     /* more than max_bytes */
    OC_JSON_BAD_UTF8,      /* not valid UTF-8 */
    OC_JSON_CONTROL_CHAR,  /* a raw byte below 0x20 inside a string */
    OC_JSON_NUL_ESCAPE,    /* "\u0000" inside a string */
    OC_JSON_TOO_DEEP,      /* arrays/objects nested deeper than max_depth */
    OC_JSON_SYNTAX,        /* not a JSON text */
    OC_JSON_TRAILING,      /* something other than white space after the value */
    OC_JSON_DUPLICATE_KEY, /* one object names a key twice */
    OC_JSON_NOMEM
};

/* Where and why a text was refused. For OC_JSON_DUPLICATE_KEY, key is the
 * duplicated key and path its JSON path ("$.objects[2].box"), both truncated
 * and NUL-terminated; else both are empty. offset is the byte offset of the
 * offending byte where known (0 for DUPLICATE_KEY and TOO_LARGE). */
struct oc_json_error {
    enum oc_json_status status;
    size_t offset;
    char key[64];
    char path[160];
};

/* Parses buf[0..len) (need not be NUL-terminated) under the policy above.
 * On OC_JSON_OK *out is the parsed value, owned by the caller (cJSON_Delete).
 * On any other status *out is NULL and err (may be NULL) says why.
 * The value may be any JSON type; callers check for an object themselves. */
enum oc_json_status oc_json_parse(const char *buf, size_t len, size_t max_bytes, int max_depth,
                                  cJSON **out, struct oc_json_error *err);

/* Only the byte-level rules (UTF-8, control characters, NUL escapes, depth)
 * without parsing: for callers that parse later or not at all. */
enum oc_json_status oc_json_check_bytes(const char *buf, size_t len, int max_depth, size_t *offset);

/* Static English description of s ("duplicate key", ...); never NULL. */
const char *oc_json_strerror(enum oc_json_status s);

/* Writes a one-line description of err into out (at most cap bytes, NUL
 * terminated), e.g. `duplicate key "box"` or `raw control character in a
 * string at byte 17`. Returns out. */
char *oc_json_describe(const struct oc_json_error *err, char *out, size_t cap);

#endif
