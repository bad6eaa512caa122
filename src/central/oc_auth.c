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
    size_t identity;
};

struct bucket {
    double tokens;
    int64_t last; /* ms of the last refill; 0 = unused */
};

struct addr_bucket {
    unsigned char addr[16];
    struct bucket b;
};

struct oc_auth {
    const struct oc_ccfg *cfg;
    pthread_mutex_t lock;
    struct session sessions[OC_SESSIONS_MAX];
    struct addr_bucket addrs[OC_LOGIN_ADDRS];
    struct addr_bucket names[OC_LOGIN_ADDRS]; /* keyed by 16 bytes of the name's SHA-256 */
    struct bucket *ids;                       /* one per configured token */
};

struct oc_auth *oc_auth_new(const struct oc_ccfg *cfg)
{
    struct oc_auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->ids = calloc(cfg->n_tokens + 1, sizeof *a->ids);
    if (!a->ids) {
        free(a);
        return NULL;
    }
    a->cfg = cfg;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void oc_auth_free(struct oc_auth *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->lock);
    free(a->ids);
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

int oc_auth_session_new(struct oc_auth *a, size_t identity, int64_t now, char *id)
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
    size_t slot = OC_SESSIONS_MAX, own = 0, oldest_own = OC_SESSIONS_MAX;
    for (size_t i = 0; i < OC_SESSIONS_MAX; i++) {
        const struct session *s = &a->sessions[i];
        if (s->expires <= now) {
            if (slot == OC_SESSIONS_MAX)
                slot = i;
        } else if (s->identity == identity) {
            own++;
            if (oldest_own == OC_SESSIONS_MAX || s->expires < a->sessions[oldest_own].expires)
                oldest_own = i;
        }
    }
    if (own >= OC_SESSIONS_PER_IDENTITY)
        slot = oldest_own; /* the identity's own oldest, never another's */
    if (slot == OC_SESSIONS_MAX) {
        pthread_mutex_unlock(&a->lock);
        return -2;
    }
    sha256(id, OC_SESSION_ID_LEN, a->sessions[slot].hash);
    a->sessions[slot].expires = now + OC_SESSION_TTL_MS;
    a->sessions[slot].identity = identity;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

/* Refills b for the time since its last use; a fresh bucket starts full. */
static void refill(struct bucket *b, double burst, double refill_ms, int64_t now)
{
    if (b->last == 0 || now < b->last) {
        b->tokens = burst;
    } else {
        b->tokens += (double)(now - b->last) / refill_ms;
        if (b->tokens > burst)
            b->tokens = burst;
    }
    b->last = now;
}

static int take(struct bucket *b)
{
    if (b->tokens < 1)
        return 0;
    b->tokens -= 1;
    return 1;
}

/* The bucket of addr, or the entry to give it: unused, else one refilled to
 * full (as good as new), else the least recently used. */
static struct addr_bucket *addr_entry(struct addr_bucket *table, const unsigned char addr[16],
                                      double burst, double refill_ms, int64_t now)
{
    struct addr_bucket *unused = NULL, *full = NULL, *lru = NULL;
    for (size_t i = 0; i < OC_LOGIN_ADDRS; i++) {
        struct addr_bucket *e = &table[i];
        if (e->b.last == 0) {
            if (!unused)
                unused = e;
            continue;
        }
        if (memcmp(e->addr, addr, 16) == 0)
            return e;
        struct bucket probe = e->b;
        refill(&probe, burst, refill_ms, now);
        if (!full && probe.tokens >= burst)
            full = e;
        if (!lru || e->b.last < lru->b.last)
            lru = e;
    }
    struct addr_bucket *e = unused ? unused : full ? full : lru;
    memcpy(e->addr, addr, 16);
    e->b.last = 0;
    return e;
}

int oc_auth_login_admit_addr(struct oc_auth *a, const unsigned char addr[16], int64_t now)
{
    pthread_mutex_lock(&a->lock);
    struct addr_bucket *e =
        addr_entry(a->addrs, addr, OC_LOGIN_ADDR_BURST, OC_LOGIN_ADDR_REFILL_MS, now);
    refill(&e->b, OC_LOGIN_ADDR_BURST, OC_LOGIN_ADDR_REFILL_MS, now);
    int ok = take(&e->b);
    pthread_mutex_unlock(&a->lock);
    return ok;
}

int oc_auth_login_admit_user(struct oc_auth *a, const char *name, int64_t now)
{
    unsigned char d[32];
    sha256(name, strlen(name), d);
    pthread_mutex_lock(&a->lock);
    struct addr_bucket *e =
        addr_entry(a->names, d, OC_LOGIN_USER_BURST, a->cfg->login_user_refill_ms, now);
    refill(&e->b, OC_LOGIN_USER_BURST, a->cfg->login_user_refill_ms, now);
    int ok = take(&e->b);
    pthread_mutex_unlock(&a->lock);
    return ok;
}

int oc_auth_login_admit_identity(struct oc_auth *a, size_t identity, int64_t now)
{
    if (identity >= a->cfg->n_tokens)
        return 0;
    pthread_mutex_lock(&a->lock);
    refill(&a->ids[identity], OC_LOGIN_ID_BURST, OC_LOGIN_ID_REFILL_MS, now);
    int ok = take(&a->ids[identity]);
    pthread_mutex_unlock(&a->lock);
    return ok;
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
