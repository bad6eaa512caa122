#include "oc_passwd.h"

#include <sodium.h>
#include <string.h>

#include "oc_store.h"

int oc_passwd_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

int oc_passwd_hash(const char *pw, char *out, size_t outlen)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < OC_PASSWD_MIN || n > OC_PASSWD_MAX || outlen < crypto_pwhash_STRBYTES)
        return -1;
    return crypto_pwhash_str_alg(out, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                 crypto_pwhash_ALG_ARGON2ID13) == 0
               ? 0
               : -2;
}

int oc_passwd_verify(const char *hash, const char *pw)
{
    size_t n = pw ? strlen(pw) : 0;
    if (!hash || !*hash || n > OC_PASSWD_MAX) {
        /* the same work as a real check, then no */
        char dummy[crypto_pwhash_STRBYTES];
        oc_passwd_hash("not a password: timing only", dummy, sizeof dummy);
        return 0;
    }
    return crypto_pwhash_str_verify(hash, pw ? pw : "", n) == 0;
}

void oc_passwd_generate(char *out, size_t outlen)
{
    static const char abc[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY345679";
    size_t n = outlen > 21 ? 20 : outlen - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = abc[randombytes_uniform(sizeof abc - 1)];
    out[n] = '\0';
}
