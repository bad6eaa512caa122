#include "oc_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct session {
    unsigned char hash[32]; /* of the id: a memory dump does not reveal live ids */
    int64_t expires;
};

struct oc_auth {
    const struct oc_ccfg *cfg;
    pthread_mutex_t lock;
    struct session sessions[OC_SESSIONS_MAX];
};

struct oc_auth *oc_auth_new(const struct oc_ccfg *cfg)
{
    struct oc_auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cfg = cfg;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void oc_auth_free(struct oc_auth *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static void sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 0;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void oc_auth_sha256_hex(const void *data, size_t len, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char d[32];
    sha256(data, len, d);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

const struct oc_token *oc_auth_token(const struct oc_auth *a, const char *token, size_t len)
{
    unsigned char d[32];
    sha256(token, len, d);
    const struct oc_token *found = NULL;
    for (size_t i = 0; i < a->cfg->n_tokens; i++)
        if (CRYPTO_memcmp(d, a->cfg->tokens[i].sha256, 32) == 0)
            found = &a->cfg->tokens[i];
    return found;
}

int oc_auth_session_new(struct oc_auth *a, int64_t now, char *id)
{
    unsigned char raw[OC_SESSION_ID_LEN / 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        id[2 * i] = digits[raw[i] >> 4];
        id[2 * i + 1] = digits[raw[i] & 15];
    }
    id[OC_SESSION_ID_LEN] = '\0';
    pthread_mutex_lock(&a->lock);
    size_t slot = 0;
    for (size_t i = 0; i < OC_SESSIONS_MAX; i++) {
        if (a->sessions[i].expires <= now) {
            slot = i;
            break;
        }
        if (a->sessions[i].expires < a->sessions[slot].expires)
            slot = i; /* full: the session closest to expiry goes */
    }
    sha256(id, OC_SESSION_ID_LEN, a->sessions[slot].hash);
    a->sessions[slot].expires = now + OC_SESSION_TTL_MS;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

int oc_auth_session_ok(struct oc_auth *a, const char *id, int64_t now)
{
    if (!id || strlen(id) != OC_SESSION_ID_LEN)
        return 0;
    unsigned char d[32];
    sha256(id, OC_SESSION_ID_LEN, d);
    int ok = 0;
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < OC_SESSIONS_MAX; i++)
        if (a->sessions[i].expires > now && CRYPTO_memcmp(d, a->sessions[i].hash, 32) == 0)
            ok = 1;
    pthread_mutex_unlock(&a->lock);
    return ok;
}

void oc_auth_session_end(struct oc_auth *a, const char *id)
{
    if (!id || strlen(id) != OC_SESSION_ID_LEN)
        return;
    unsigned char d[32];
    sha256(id, OC_SESSION_ID_LEN, d);
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < OC_SESSIONS_MAX; i++)
        if (CRYPTO_memcmp(d, a->sessions[i].hash, 32) == 0)
            a->sessions[i].expires = 0;
    pthread_mutex_unlock(&a->lock);
}
