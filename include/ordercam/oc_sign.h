/* Violation signatures (docs/evidence.md, "Signatures"): each box signs
 * every record it sends with its Ed25519 key (OpenSSL libcrypto) over a
 * canonical byte string of the record's enforcement fields and the evidence
 * image's SHA-256; central and ordercam-verify check it with the box's
 * public key. Keys and signatures travel as standard base64 (RFC 4648, with
 * padding) of the raw 32-byte public key and the 64-byte signature.
 *
 * A signer is used by one thread at a time. Verification functions are
 * thread-safe. */
#ifndef OC_SIGN_H
#define OC_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_err.h"

#define OC_SIGN_PUB_B64 45                      /* base64 of a 32-byte key, with its NUL */
#define OC_SIGN_SIG_B64 89                      /* base64 of a 64-byte signature, with its NUL */
#define OC_SIGN_KEY_FILE "ordercam-ed25519.key" /* in the spool directory */
#define OC_SIGN_CANON_MAX 8192                  /* a canonical form never exceeds this */

struct oc_signer;

/* Loads the PKCS#8 PEM private key at path; when the file does not exist
 * and create is set, makes a new key pair and writes it there first (mode
 * 0600, atomically). A key file readable by group or others is refused.
 * NULL with a reason in err. Caller frees with oc_signer_free. */
struct oc_signer *oc_signer_open(const char *path, bool create, char *err, size_t cap);
void oc_signer_free(struct oc_signer *s);

/* The public key as base64 into out. */
void oc_signer_public(const struct oc_signer *s, char out[OC_SIGN_PUB_B64]);

/* Signs msg; the signature as base64 into out. OC_OK or OC_ENOMEM. */
oc_err_t oc_signer_sign(struct oc_signer *s, const void *msg, size_t len,
                        char out[OC_SIGN_SIG_B64]);

/* 1: sig (base64) is pub's (base64) signature of msg; 0: it is not, or
 * either is malformed. */
int oc_sign_verify(const char *pub_b64, const void *msg, size_t len, const char *sig_b64);

/* 1 when pub_b64 is a well-formed base64 Ed25519 public key. */
int oc_sign_pub_ok(const char *pub_b64);

/* The canonical byte string of a record object (docs/evidence.md) into
 * buf (cap bytes, NUL-terminated). Returns its length, 0 when rec is not
 * an object, a signed field has another type than the record's published
 * one, or it does not fit. */
size_t oc_sign_canonical(const cJSON *rec, char *buf, size_t cap);

/* A record line (len bytes, with or without newline) signed: the same
 * fields plus "sig" placed just before "evidence" (which stays last), with
 * a newline, into buf (cap bytes). Returns the new length, 0 when rec is
 * not a record (strict JSON, an object ending in "evidence") or buf is too
 * small. A "sig" already there is replaced. */
size_t oc_sign_record(struct oc_signer *s, const char *rec, size_t len, char *buf, size_t cap);

/* Checks rec's "sig" against the public key pub_b64: 1 verified, 0 not
 * (missing, malformed or wrong). */
int oc_sign_check_record(const cJSON *rec, const char *pub_b64);

#endif
