/* Who is asking: bearer tokens (compared as SHA-256, in constant time) and
 * dashboard sessions. Sessions live in memory, bounded; a restart logs
 * viewers out. Thread-safe. */
#ifndef OC_AUTH_H
#define OC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "oc_ccfg.h"

#define OC_SESSIONS_MAX 4096
#define OC_SESSION_TTL_MS (12LL * 3600 * 1000)
#define OC_SESSION_ID_LEN 64 /* hex characters */

struct oc_auth;

/* cfg must outlive the auth; NULL when out of memory. */
struct oc_auth *oc_auth_new(const struct oc_ccfg *cfg);
void oc_auth_free(struct oc_auth *a);

/* The token matching `token` (len bytes), or NULL. Every configured token
 * is compared, matching or not, so timing says nothing about which. */
const struct oc_token *oc_auth_token(const struct oc_auth *a, const char *token, size_t len);

/* Starts a viewer session; writes its id (OC_SESSION_ID_LEN hex + NUL)
 * into id. When the table is full the oldest session is dropped. Returns
 * 0, or -1 when no randomness was available. */
int oc_auth_session_new(struct oc_auth *a, int64_t now_ms, char *id);
/* True when id names a live session. */
int oc_auth_session_ok(struct oc_auth *a, const char *id, int64_t now_ms);
void oc_auth_session_end(struct oc_auth *a, const char *id);

/* Lower-case hex SHA-256 of data into hex (65 bytes). */
void oc_auth_sha256_hex(const void *data, size_t len, char *hex);

#endif
