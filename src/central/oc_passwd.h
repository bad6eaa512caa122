/* Users' passwords: Argon2id through libsodium's crypto_pwhash (its
 * "interactive" cost: 2 passes over 64 MiB), stored as the self-describing
 * string crypto_pwhash_str makes; and passwords made up for a new account. */
#ifndef OC_PASSWD_H
#define OC_PASSWD_H

#include <stddef.h>

#define OC_PASSWD_MIN 10    /* characters a chosen password has at least */
#define OC_PASSWD_MAX 128   /* bytes at most */
#define OC_PASSWD_MEM_MB 64 /* memory one hash or verification takes */

/* Once before any other call (thread-safe after it): 0, or -1 when
 * libsodium cannot start. */
int oc_passwd_init(void);
/* The hash of pw into out (OC_PWHASH_MAX bytes, oc_store.h): 0, -1 when
 * pw is shorter than OC_PASSWD_MIN or longer than OC_PASSWD_MAX, -2 when
 * out of memory. */
int oc_passwd_hash(const char *pw, char *out, size_t outlen);
/* 1 when pw matches hash. A NULL or empty hash costs the same time as a
 * real one (an unknown user is not told apart by timing) and is 0. */
int oc_passwd_verify(const char *hash, const char *pw);
/* A random password of 20 characters from an alphabet without look-alikes
 * into out (at least 21 bytes). */
void oc_passwd_generate(char *out, size_t outlen);

#endif
