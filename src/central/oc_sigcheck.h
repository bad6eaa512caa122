/* Central's check of record signatures (docs/evidence.md, "Signatures";
 * docs/central.md, "box_keys"): the public keys registered per box, each
 * with a validity period, and the verdict on a received record. Read-only
 * after parsing: safe to share between request threads. */
#ifndef OC_SIGCHECK_H
#define OC_SIGCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define OC_SIGKEYS_MAX_PER_BOX 16

struct oc_sigkeys;

/* Reads the config root's "box_keys" ({"<box>": [{"key": base64, "from":
 * "YYYY-MM-DDTHH:MM:SSZ" or null, "until": ... or null}, ...]}) and
 * "require_signatures" (bool, default false). Both may be absent (an empty
 * set). NULL with "$.path: problem" in err. Caller frees. */
struct oc_sigkeys *oc_sigkeys_parse(const cJSON *root, char *err, size_t cap);
void oc_sigkeys_free(struct oc_sigkeys *k);

/* Keys registered for box (any period). */
size_t oc_sigkeys_count(const struct oc_sigkeys *k, const char *box);

enum oc_sigcheck {
    OC_SIGCHECK_VERIFIED, /* "sig" verifies with a key of the box valid at the record's ts */
    OC_SIGCHECK_UNSIGNED, /* the box has no key and signatures are not required: accepted */
    OC_SIGCHECK_REFUSED   /* why says why (missing, malformed, no key valid then, wrong) */
};

/* The verdict on a record that passed oc_record_validate for box. A key
 * is valid for records whose "ts" is in [from, until). */
enum oc_sigcheck oc_sigcheck_record(const struct oc_sigkeys *k, const char *box, const cJSON *rec,
                                    char *why, size_t cap);

#endif
