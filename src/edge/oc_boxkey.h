/* The box's signing key in its spool directory (docs/evidence.md,
 * "Signatures"): `ordercamd -c EDGE.json --print-key`. */
#ifndef OC_BOXKEY_H
#define OC_BOXKEY_H

#include <stdio.h>

/* Makes <spool_dir>/OC_SIGN_KEY_FILE when there is none (creating the
 * folder), then writes "ed25519 <base64 public key> <box_id>\n" to out.
 * 0, or 1 with the reason on err. */
int oc_boxkey_print(const char *spool_dir, const char *box_id, FILE *out, FILE *err);

#endif
