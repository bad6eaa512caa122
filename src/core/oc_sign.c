/* Ed25519 signatures over the canonical form of a record (OpenSSL). */
#include "ordercam/oc_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"

struct oc_signer {
    EVP_PKEY *key;
    EVP_MD_CTX *ctx;
    char pub[OC_SIGN_PUB_B64];
};

__attribute__((format(printf, 3, 4))) static void why(char *err, size_t cap, const char *fmt, ...)
{
    if (cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
}

/* Strict base64 of exactly want bytes: the only text that encodes them. */
static int b64_decode(const char *in, unsigned char *out, size_t want)
{
    size_t n = in ? strlen(in) : 0, enc = 4 * ((want + 2) / 3);
    unsigned char tmp[72], back[100];
    if (n != enc || want > 64)
        return -1;
    if (EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n) < (int)want)
        return -1;
    EVP_EncodeBlock(back, tmp, (int)want);
    if (memcmp(back, in, n) != 0)
        return -1;
    memcpy(out, tmp, want);
    return 0;
}

void oc_signer_free(struct oc_signer *s)
{
    if (!s)
        return;
    EVP_MD_CTX_free(s->ctx);
    EVP_PKEY_free(s->key);
    free(s);
}

static EVP_PKEY *read_key(const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        why(err, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077) != 0) {
        why(err, cap, "%s: the key file must not be readable by others (chmod 600)", path);
        fclose(f);
        return NULL;
    }
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!key || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
        why(err, cap, "%s: not an Ed25519 private key (PKCS#8 PEM)", path);
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

/* A new key written to path with mode 0600 through a temp file. */
static EVP_PKEY *create_key(const char *path, char *err, size_t cap)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (!kc || EVP_PKEY_keygen_init(kc) <= 0 || EVP_PKEY_keygen(kc, &key) <= 0) {
        EVP_PKEY_CTX_free(kc);
        why(err, cap, "cannot make an Ed25519 key");
        return NULL;
    }
    EVP_PKEY_CTX_free(kc);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1 && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    if (f)
        ok &= fclose(f) == 0;
    else if (fd >= 0)
        close(fd);
    /* link, not rename: when another process made the key meanwhile, its
     * key is the box's key */
    int linked = ok ? link(tmp, path) : -1, e = errno;
    unlink(tmp);
    if (linked != 0) {
        EVP_PKEY_free(key);
        if (ok && e == EEXIST)
            return read_key(path, err, cap);
        why(err, cap, "cannot write %s: %s", path, strerror(e ? e : EIO));
        return NULL;
    }
    return key;
}

struct oc_signer *oc_signer_open(const char *path, bool create, char *err, size_t cap)
{
    EVP_PKEY *key = NULL;
    if (create && access(path, F_OK) != 0 && errno == ENOENT)
        key = create_key(path, err, cap);
    else
        key = read_key(path, err, cap);
    if (!key)
        return NULL;
    struct oc_signer *s = calloc(1, sizeof *s);
    unsigned char raw[32];
    size_t n = sizeof raw;
    if (!s || !(s->ctx = EVP_MD_CTX_new()) || EVP_PKEY_get_raw_public_key(key, raw, &n) != 1 ||
        n != 32) {
        why(err, cap, "out of memory");
        EVP_PKEY_free(key);
        oc_signer_free(s);
        return NULL;
    }
    s->key = key;
    EVP_EncodeBlock((unsigned char *)s->pub, raw, 32);
    return s;
}

void oc_signer_public(const struct oc_signer *s, char out[OC_SIGN_PUB_B64])
{
    memcpy(out, s->pub, OC_SIGN_PUB_B64);
}

oc_err_t oc_signer_sign(struct oc_signer *s, const void *msg, size_t len, char out[OC_SIGN_SIG_B64])
{
    unsigned char sig[64];
    size_t n = sizeof sig;
    EVP_MD_CTX_reset(s->ctx);
    if (EVP_DigestSignInit(s->ctx, NULL, NULL, NULL, s->key) != 1 ||
        EVP_DigestSign(s->ctx, sig, &n, msg, len) != 1 || n != 64)
        return OC_ENOMEM;
    EVP_EncodeBlock((unsigned char *)out, sig, 64);
    return OC_OK;
}

int oc_sign_verify(const char *pub_b64, const void *msg, size_t len, const char *sig_b64)
{
    unsigned char pub[32], sig[64];
    if (b64_decode(pub_b64, pub, 32) != 0 || b64_decode(sig_b64, sig, 64) != 0)
        return 0;
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = key && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

int oc_sign_pub_ok(const char *pub_b64)
{
    unsigned char pub[32];
    if (b64_decode(pub_b64, pub, 32) != 0)
        return 0;
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_PKEY_free(key);
    return key != NULL;
}

/* ---- the canonical form ---- */

struct out {
    char *buf;
    size_t cap, len;
    int bad;
};

static void putc_(struct out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len++] = c;
    else
        o->bad = 1;
}

static void puts_(struct out *o, const char *s)
{
    while (*s)
        putc_(o, *s++);
}

/* A JSON string: '"' and '\' escaped with a backslash, bytes below 0x20
 * as \u00xx (lower-case hex), every other byte as it is (UTF-8). */
static void put_jstr(struct out *o, const char *s)
{
    putc_(o, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            putc_(o, '\\');
            putc_(o, (char)*p);
        } else if (*p < 0x20) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", *p);
            puts_(o, u);
        } else {
            putc_(o, (char)*p);
        }
    }
    putc_(o, '"');
}

static void put_int(struct out *o, const cJSON *v)
{
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || d != floor(d) || fabs(d) > 9007199254740992.0) {
        o->bad = 1;
        return;
    }
    char n[32];
    snprintf(n, sizeof n, "%" PRId64, (int64_t)d);
    puts_(o, n);
}

/* key=value\n; absent or null: null */
static void put_field(struct out *o, const char *key, const cJSON *v, int is_int)
{
    puts_(o, key);
    putc_(o, '=');
    if (!v || cJSON_IsNull(v))
        puts_(o, "null");
    else if (is_int)
        put_int(o, v);
    else if (cJSON_IsString(v))
        put_jstr(o, v->valuestring);
    else
        o->bad = 1;
    putc_(o, '\n');
}

size_t oc_sign_canonical(const cJSON *rec, char *buf, size_t cap)
{
    static const struct {
        const char *key;
        int is_int;
    } fields[] = {{"id", 0},     {"box", 0},          {"camera", 0},         {"type", 0},
                  {"code", 0},   {"ts", 1},           {"ts_start", 1},       {"track", 0},
                  {"class", 0},  {"plate", 0},        {"zone", 0},           {"line", 0},
                  {"signal", 0}, {"signal_state", 0}, {"red_elapsed_ms", 1}, {"location", 0},
                  {"road", 0},   {"unit", 0}};
    struct out o = {buf, cap, 0, 0};
    if (!cJSON_IsObject(rec) || cap == 0)
        return 0;
    puts_(&o, "ordercam-sig/1\n");
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        put_field(&o, fields[i].key, cJSON_GetObjectItemCaseSensitive(rec, fields[i].key),
                  fields[i].is_int);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(rec, "evidence");
    if (ev && !cJSON_IsNull(ev) && !cJSON_IsObject(ev))
        return 0;
    put_field(&o, "sha256", cJSON_GetObjectItemCaseSensitive(ev, "sha256"), 0);
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(ev, "frames");
    puts_(&o, "frames=");
    if (!fr || cJSON_IsNull(fr)) {
        puts_(&o, "null");
    } else if (cJSON_IsArray(fr)) {
        putc_(&o, '[');
        for (const cJSON *t = fr->child; t; t = t->next) {
            put_int(&o, t);
            if (t->next)
                putc_(&o, ',');
        }
        putc_(&o, ']');
    } else {
        o.bad = 1;
    }
    putc_(&o, '\n');
    if (o.bad)
        return 0;
    buf[o.len] = '\0';
    return o.len;
}

/* ---- records ---- */

size_t oc_sign_record(struct oc_signer *s, const char *rec, size_t len, char *buf, size_t cap)
{
    while (len > 0 && (rec[len - 1] == '\n' || rec[len - 1] == '\r'))
        len--;
    cJSON *j = NULL;
    if (oc_json_parse(rec, len, OC_RECORD_MAX, OC_JSON_MAX_DEPTH, &j, NULL) != OC_JSON_OK)
        return 0;
    char canon[OC_SIGN_CANON_MAX], sig[OC_SIGN_SIG_B64];
    size_t n = oc_sign_canonical(j, canon, sizeof canon);
    int has_sig = cJSON_GetObjectItemCaseSensitive(j, "sig") != NULL;
    cJSON_Delete(j);
    if (n == 0 || has_sig || oc_signer_sign(s, canon, n, sig) != OC_OK)
        return 0;
    /* "evidence" is the record's last field (oc_record_format), and
     * nothing inside it can contain this text: the last match is it */
    static const char field[] = ",\"evidence\":";
    size_t at = 0, fl = sizeof field - 1;
    for (size_t i = len; i-- > 0 && at == 0;)
        if (i + fl <= len && memcmp(rec + i, field, fl) == 0)
            at = i + 1;
    if (at == 0)
        return 0;
    at--;
    int w = snprintf(buf, cap, "%.*s,\"sig\":\"%s\"%.*s\n", (int)at, rec, sig, (int)(len - at),
                     rec + at);
    return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

int oc_sign_check_record(const cJSON *rec, const char *pub_b64)
{
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(rec, "sig");
    char canon[OC_SIGN_CANON_MAX];
    if (!cJSON_IsString(sig))
        return 0;
    size_t n = oc_sign_canonical(rec, canon, sizeof canon);
    return n > 0 && oc_sign_verify(pub_b64, canon, n, sig->valuestring);
}
