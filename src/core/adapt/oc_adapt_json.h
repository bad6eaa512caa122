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

#endif
