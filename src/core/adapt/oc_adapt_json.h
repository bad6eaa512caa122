/* The JSON adapters' fast reader (docs/inputs.md, "Speed"): parses a
 * payload into cJSON nodes held in one fixed arena, with no allocation and
 * no separate byte scan, for the common payload whose every byte it can
 * decode exactly as oc_event_parse (oc_json_parse's policy, then cJSON)
 * would.
 *
 * It accepts only a strict subset: an object at the root; strings without
 * escapes, of valid UTF-8 and no control characters; numbers in JSON's own
 * grammar (at most 63 characters); white space of space, tab, LF, CR; no
 * BOM; no object naming a key twice; nesting up to OC_JSON_MAX_DEPTH; no
 * more than OC_AJSON_NODES values and OC_AJSON_TEXT bytes of strings. For
 * anything else it returns NULL and changes nothing: the caller then parses
 * with oc_event_parse, which accepts or refuses (and counts) as before. So
 * a document this reader accepts is one oc_event_parse accepts too, giving
 * the same tree: the same types, strings and numbers (valuedouble as
 * cJSON's strtod gives it, valueint saturated as cJSON does).
 *
 * The tree lives in the arena until the next oc_ajson_parse on it: never
 * pass it to cJSON_Delete, and keep no pointer into it past the message. */
#ifndef OC_ADAPT_JSON_H
#define OC_ADAPT_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_counters.h"
#include "ordercam/oc_json.h"

#define OC_AJSON_NODES 1024
#define OC_AJSON_TEXT (64 * 1024)

struct oc_ajson {
    cJSON node[OC_AJSON_NODES];
    char text[OC_AJSON_TEXT];
    size_t n_nodes, n_text;
    const unsigned char *p, *end; /* the parse position */
    int depth;
};

/* The root object of buf[0..len), in a's arena; NULL when the document is
 * not one this reader decodes (see above). a: caller-owned (large: keep it
 * on the heap), reused for every message. */
const cJSON *oc_ajson_parse(struct oc_ajson *a, const char *buf, size_t len);

/* The one way a JSON message is read (event logs, the input formats'
 * payloads, ordercam's own payloads in the engine): the fast reader when it
 * takes the document, else oc_json_parse with max_bytes and max_depth, so
 * the answer, refusal and error are oc_json_parse's. The fast reader is
 * tried only when those limits allow all it accepts (len <= max_bytes,
 * max_depth >= OC_JSON_MAX_DEPTH); a NULL: oc_json_parse only.
 * On OC_JSON_OK *root is the tree and *owned is NULL when the tree is in
 * a's arena (valid until the next parse on a), else the same tree, which
 * the caller frees with cJSON_Delete. On a refusal both are NULL and err
 * (may be NULL) says where, as oc_json_parse says. */
enum oc_json_status oc_ajson_read(struct oc_ajson *a, const char *buf, size_t len, size_t max_bytes,
                                  int max_depth, const cJSON **root, cJSON **owned,
                                  struct oc_json_error *err);

/* oc_event_parse through oc_ajson_read: a message payload's root object
 * (limits OC_JSON_MAX_BYTES, OC_JSON_MAX_DEPTH), or NULL with *why set as
 * oc_event_parse sets it. *owned as for oc_ajson_read. */
const cJSON *oc_ajson_event(struct oc_ajson *a, const char *payload, size_t len, cJSON **owned,
                            enum oc_counter *why);

#endif
