/* Who is asking: bearer tokens (compared as SHA-256, in constant time) and
 * dashboard sessions. Sessions live in memory, bounded; a restart logs
 * viewers out. Thread-safe. */
#ifndef OC_AUTH_H
#define OC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "oc_ccfg.h"

#define OC_SESSIONS_MAX 4096
#define OC_SESSIONS_PER_IDENTITY 64 /* one viewer token's live sessions; its oldest goes first */
/* Sign-in attempts: token buckets per client address (any attempt) and per
 * identity (sign-ins of one viewer token). */
#define OC_LOGIN_ADDR_BURST 20
#define OC_LOGIN_ADDR_REFILL_MS 3000
#define OC_LOGIN_ID_BURST 30
#define OC_LOGIN_ID_REFILL_MS 2000
/* per user name (named accounts), tracked like addresses; refilled one per
 * limits.login_user_refill_s (oc_ccfg) */
#define OC_LOGIN_USER_BURST 10
#define OC_LOGIN_ADDRS 1024 /* addresses tracked; a fresh or refilled entry is reused first */
#define OC_SESSION_TTL_MS (12LL * 3600 * 1000)
#define OC_SESSION_ID_LEN 64 /* hex characters */

struct oc_auth;

/* cfg must outlive the auth; NULL when out of memory. */
struct oc_auth *oc_auth_new(const struct oc_ccfg *cfg);
void oc_auth_free(struct oc_auth *a);

/* The token matching `token` (len bytes), or NULL. Every configured token
 * is compared, matching or not, so timing says nothing about which. */
const struct oc_token *oc_auth_token(const struct oc_auth *a, const char *token, size_t len);

/* Starts a viewer session for identity (the index of its token in the
 * config); writes its id (OC_SESSION_ID_LEN hex + NUL) into id. An
 * identity holding OC_SESSIONS_PER_IDENTITY live sessions loses its own
 * oldest; other identities' sessions are never evicted, only expired ones
 * reused. Returns 0, -1 when no randomness was available, -2 when the
 * table is full of live sessions. */
int oc_auth_session_new(struct oc_auth *a, size_t identity, int64_t now_ms, char *id);
/* True when id names a live session. */
int oc_auth_session_ok(struct oc_auth *a, const char *id, int64_t now_ms);
void oc_auth_session_end(struct oc_auth *a, const char *id);

/* Sign-in throttle. addr is the client's address (16 bytes, IPv4 mapped).
 * Each call takes one attempt from the address's bucket: 1 when allowed,
 * 0 when throttled. */
int oc_auth_login_admit_addr(struct oc_auth *a, const unsigned char addr[16], int64_t now_ms);
/* The same for one identity's sign-ins. */
int oc_auth_login_admit_identity(struct oc_auth *a, size_t identity, int64_t now_ms);
/* The same for sign-ins as one user name (known or not; OC_LOGIN_ADDRS
 * names tracked, as addresses are). */
int oc_auth_login_admit_user(struct oc_auth *a, const char *name, int64_t now_ms);

/* Lower-case hex SHA-256 of data into hex (65 bytes). */
void oc_auth_sha256_hex(const void *data, size_t len, char *hex);

#endif
