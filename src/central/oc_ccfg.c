#include "oc_ccfg.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oc_sigcheck.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_text.h"

struct ctx {
    const char *name;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4))) static bool fail(struct ctx *c, const char *path,
                                                       const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s: %s", c->name, path, msg);
    return false;
}

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static bool str(struct ctx *c, const cJSON *o, const char *key, const char *path, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return true;
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return fail(c, path, "must be a non-empty string");
    return (*out = dup(v->valuestring)) != NULL || fail(c, path, "out of memory");
}

static bool num(struct ctx *c, const cJSON *o, const char *key, const char *path, double lo,
                double hi, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return true;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return fail(c, path, "must be an integer between %g and %g", lo, hi);
    *out = (int)v->valuedouble;
    return true;
}

static bool keys(struct ctx *c, const cJSON *o, const char *prefix, const char *const *allowed)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(*a, it->string) == 0;
        for (const cJSON *p = o->child; p != it; p = p->next)
            if (strcmp(p->string, it->string) == 0)
                return fail(c, prefix, "key \"%s\" given twice", it->string);
        if (!ok)
            return fail(c, prefix, "unknown key \"%s\"", it->string);
    }
    return true;
}

static int hexval(char h)
{
    if (h >= '0' && h <= '9')
        return h - '0';
    if (h >= 'a' && h <= 'f')
        return h - 'a' + 10;
    if (h >= 'A' && h <= 'F')
        return h - 'A' + 10;
    return -1;
}

static bool parse_token(struct ctx *c, const cJSON *t, size_t i, struct oc_token *tok)
{
    static const char *const allowed[] = {"token", "token_sha256", "box", "role", NULL};
    char path[64];
    snprintf(path, sizeof path, "$.tokens[%zu]", i);
    if (!cJSON_IsObject(t))
        return fail(c, path, "must be an object");
    if (!keys(c, t, path, allowed))
        return false;
    const cJSON *plain = cJSON_GetObjectItemCaseSensitive(t, "token");
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(t, "token_sha256");
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(t, "box");
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(t, "role");
    if ((plain != NULL) == (hash != NULL))
        return fail(c, path, "needs exactly one of \"token\" and \"token_sha256\"");
    if (plain) {
        if (!cJSON_IsString(plain) || strlen(plain->valuestring) < 16)
            return fail(c, path, "\"token\" must be a string of at least 16 characters");
        unsigned int n = 0;
        EVP_Digest(plain->valuestring, strlen(plain->valuestring), tok->sha256, &n, EVP_sha256(),
                   NULL);
    } else {
        if (!cJSON_IsString(hash) || strlen(hash->valuestring) != 64)
            return fail(c, path, "\"token_sha256\" must be 64 hex digits");
        for (int k = 0; k < 32; k++) {
            int hi = hexval(hash->valuestring[2 * k]), lo = hexval(hash->valuestring[2 * k + 1]);
            if (hi < 0 || lo < 0)
                return fail(c, path, "\"token_sha256\" must be 64 hex digits");
            tok->sha256[k] = (unsigned char)(hi << 4 | lo);
        }
    }
    if (box && role)
        return fail(c, path, "has both \"box\" and \"role\"");
    if (box) {
        if (!cJSON_IsString(box) || !oc_config_valid_id(box->valuestring, strlen(box->valuestring)))
            return fail(c, path, "\"box\" must be a box id (1-64 of A-Za-z0-9._-)");
        tok->role = OC_ROLE_BOX;
        return (tok->box = dup(box->valuestring)) != NULL || fail(c, path, "out of memory");
    }
    if (!cJSON_IsString(role) || strcmp(role->valuestring, "viewer") != 0)
        return fail(c, path, "needs \"box\": \"<id>\" or \"role\": \"viewer\"");
    tok->role = OC_ROLE_VIEWER;
    return true;
}

static bool parse_listen(struct ctx *c, const cJSON *root, struct oc_ccfg *cfg)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(root, "listen");
    const char *s = cJSON_IsString(l) ? l->valuestring : NULL;
    if (!l)
        s = "127.0.0.1:8443";
    const char *colon = s ? strrchr(s, ':') : NULL;
    if (!colon || colon == s)
        return fail(c, "$.listen", "must be \"HOST:PORT\"");
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return fail(c, "$.listen", "bad port");
    cfg->listen_port = (int)port;
    size_t hl = (size_t)(colon - s);
    cfg->listen_host = malloc(hl + 1);
    if (!cfg->listen_host)
        return fail(c, "$.listen", "out of memory");
    memcpy(cfg->listen_host, s, hl);
    cfg->listen_host[hl] = '\0';
    return true;
}

/* A rejection reason's id: 1..32 of a-z, 0-9, _ (the interface names it
 * from its catalogue; an unknown id is shown as given). */
static bool reason_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static bool set_reasons(struct ctx *c, const cJSON *arr, struct oc_ccfg *cfg)
{
    static const char *const defaults[] = {"wrong_class",  "not_offender", "occluded",
                                           "signal_fault", "duplicate",    "other"};
    size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : sizeof defaults / sizeof *defaults;
    if (arr && (!cJSON_IsArray(arr) || n == 0 || n > OC_CCFG_MAX_REASONS))
        return fail(c, "$.review.reasons", "must be an array of 1 to %d reason ids",
                    OC_CCFG_MAX_REASONS);
    cfg->reasons = calloc(n, sizeof *cfg->reasons);
    if (!cfg->reasons)
        return fail(c, "$.review.reasons", "out of memory");
    const cJSON *it = arr ? arr->child : NULL;
    for (size_t i = 0; i < n; i++, it = it ? it->next : NULL) {
        const char *r = arr ? (cJSON_IsString(it) ? it->valuestring : "") : defaults[i];
        if (!reason_ok(r))
            return fail(c, "$.review.reasons", "item %zu: 1-32 of a-z, 0-9, _", i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(cfg->reasons[k], r) == 0)
                return fail(c, "$.review.reasons", "\"%s\" given twice", r);
        if (!(cfg->reasons[i] = dup(r)))
            return fail(c, "$.review.reasons", "out of memory");
        cfg->n_reasons = i + 1;
    }
    return true;
}

/* "ui" and "review": the interface's language and city, the lease and
 * the rejection reasons. */
static bool parse_people(struct ctx *c, const cJSON *root, struct oc_ccfg *cfg)
{
    static const char *const ui_keys[] = {"locale", "city", "codes_dir", NULL};
    static const char *const review_keys[] = {"lease_s", "reasons", NULL};
    const cJSON *ui = cJSON_GetObjectItemCaseSensitive(root, "ui");
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(root, "review");
    if ((ui && !cJSON_IsObject(ui)) || (rv && !cJSON_IsObject(rv)))
        return fail(c, ui && !cJSON_IsObject(ui) ? "$.ui" : "$.review", "must be an object");
    if ((ui && !keys(c, ui, "$.ui", ui_keys)) || (rv && !keys(c, rv, "$.review", review_keys)))
        return false;
    if (ui && (!str(c, ui, "locale", "$.ui.locale", &cfg->ui_locale) ||
               !str(c, ui, "city", "$.ui.city", &cfg->ui_city) ||
               !str(c, ui, "codes_dir", "$.ui.codes_dir", &cfg->ui_codes_dir)))
        return false;
    if (!cfg->ui_locale && !(cfg->ui_locale = dup("zh-CN")))
        return fail(c, "$.ui.locale", "out of memory");
    if (strcmp(cfg->ui_locale, "zh-CN") != 0 && strcmp(cfg->ui_locale, "en") != 0)
        return fail(c, "$.ui.locale", "must be \"zh-CN\" or \"en\"");
    static const char *const ret_keys[] = {"evidence_days", "records_days", "interval_s", NULL};
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive(root, "retention");
    cfg->evidence_days = 365;
    cfg->records_days = 1095;
    cfg->retention_interval_s = 86400;
    if (ret && !cJSON_IsObject(ret))
        return fail(c, "$.retention", "must be an object");
    if (ret &&
        (!keys(c, ret, "$.retention", ret_keys) ||
         !num(c, ret, "evidence_days", "$.retention.evidence_days", 0, 36500,
              &cfg->evidence_days) ||
         !num(c, ret, "records_days", "$.retention.records_days", 0, 36500, &cfg->records_days) ||
         !num(c, ret, "interval_s", "$.retention.interval_s", 1, 86400 * 7,
              &cfg->retention_interval_s)))
        return false;
    cfg->review_lease_s = 300;
    if (rv && !num(c, rv, "lease_s", "$.review.lease_s", 1, 86400, &cfg->review_lease_s))
        return false;
    return set_reasons(c, rv ? cJSON_GetObjectItemCaseSensitive(rv, "reasons") : NULL, cfg);
}

static bool parse_root(struct ctx *c, const cJSON *root, struct oc_ccfg *cfg)
{
    static const char *const allowed[] = {"listen",
                                          "tls",
                                          "insecure_http",
                                          "db",
                                          "evidence_dir",
                                          "tokens",
                                          "silent_after_s",
                                          "tz_offset_min",
                                          "limits",
                                          "faults",
                                          "max_future_s",
                                          "ui",
                                          "review",
                                          "retention",
                                          "box_keys",
                                          "require_signatures",
                                          NULL};
    static const char *const tls_keys[] = {"cert_file", "key_file", "priorities", NULL};
    static const char *const limit_keys[] = {"threads",
                                             "max_connections",
                                             "request_timeout_s",
                                             "max_json_kb",
                                             "max_evidence_mb",
                                             "request_total_s",
                                             "max_connections_per_ip",
                                             "max_buffered_mb",
                                             "login_user_refill_s",
                                             NULL};
    if (!cJSON_IsObject(root))
        return fail(c, "$", "the config must be a JSON object");
    if (!keys(c, root, "$", allowed) || !parse_listen(c, root, cfg))
        return false;
    const cJSON *tls = cJSON_GetObjectItemCaseSensitive(root, "tls");
    const cJSON *insecure = cJSON_GetObjectItemCaseSensitive(root, "insecure_http");
    if (insecure && !cJSON_IsBool(insecure))
        return fail(c, "$.insecure_http", "must be true or false");
    cfg->insecure_http = cJSON_IsTrue(insecure);
    if (tls) {
        if (!cJSON_IsObject(tls))
            return fail(c, "$.tls", "must be an object");
        if (!keys(c, tls, "$.tls", tls_keys) ||
            !str(c, tls, "cert_file", "$.tls.cert_file", &cfg->cert_file) ||
            !str(c, tls, "key_file", "$.tls.key_file", &cfg->key_file) ||
            !str(c, tls, "priorities", "$.tls.priorities", &cfg->tls_priorities))
            return false;
        if (!cfg->cert_file || !cfg->key_file)
            return fail(c, "$.tls", "needs both \"cert_file\" and \"key_file\"");
    } else if (!cfg->insecure_http) {
        return fail(c, "$",
                    "no \"tls\": refusing to serve without TLS unless \"insecure_http\": true");
    }
    if (!str(c, root, "db", "$.db", &cfg->db) ||
        !str(c, root, "evidence_dir", "$.evidence_dir", &cfg->evidence_dir))
        return false;
    if (!cfg->db && !(cfg->db = dup("central.sqlite")))
        return fail(c, "$.db", "out of memory");
    if (!cfg->evidence_dir && oc_ccfg_db_is_pg(cfg->db)) {
        if (!(cfg->evidence_dir = dup("evidence")))
            return fail(c, "$", "out of memory");
    } else if (!cfg->evidence_dir) {
        size_t n = strlen(cfg->db) + 16;
        cfg->evidence_dir = malloc(n);
        if (!cfg->evidence_dir)
            return fail(c, "$", "out of memory");
        snprintf(cfg->evidence_dir, n, "%s.evidence", cfg->db);
    }
    cfg->silent_after_s = 300;
    cfg->max_future_s = 300;
    /* China Standard Time (the whole country, no summer time): the cities
     * ordercam serves, and the web pages' own assumption before /me */
    cfg->tz_offset_min = 480;
    cfg->threads = 4;
    cfg->max_connections = 256;
    cfg->request_timeout_s = 30;
    cfg->request_total_s = 60;
    cfg->max_connections_per_ip = -1; /* half of max_connections, below */
    int json_kb = 8192, ev_mb = 32, buffered_mb = 256, user_refill_s = 3;
    if (!num(c, root, "silent_after_s", "$.silent_after_s", 1, 86400 * 30, &cfg->silent_after_s) ||
        !num(c, root, "tz_offset_min", "$.tz_offset_min", -720, 840, &cfg->tz_offset_min) ||
        !num(c, root, "max_future_s", "$.max_future_s", 0, 86400 * 366, &cfg->max_future_s))
        return false;
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(root, "limits");
    if (lim) {
        if (!cJSON_IsObject(lim))
            return fail(c, "$.limits", "must be an object");
        if (!keys(c, lim, "$.limits", limit_keys) ||
            !num(c, lim, "threads", "$.limits.threads", 1, 256, &cfg->threads) ||
            !num(c, lim, "max_connections", "$.limits.max_connections", 1, 65536,
                 &cfg->max_connections) ||
            !num(c, lim, "request_timeout_s", "$.limits.request_timeout_s", 1, 3600,
                 &cfg->request_timeout_s) ||
            !num(c, lim, "max_json_kb", "$.limits.max_json_kb", 1, 1 << 20, &json_kb) ||
            !num(c, lim, "max_evidence_mb", "$.limits.max_evidence_mb", 1, 1024, &ev_mb) ||
            !num(c, lim, "request_total_s", "$.limits.request_total_s", 1, 86400,
                 &cfg->request_total_s) ||
            !num(c, lim, "max_connections_per_ip", "$.limits.max_connections_per_ip", 1, 65536,
                 &cfg->max_connections_per_ip) ||
            !num(c, lim, "max_buffered_mb", "$.limits.max_buffered_mb", 1, 1 << 16, &buffered_mb) ||
            !num(c, lim, "login_user_refill_s", "$.limits.login_user_refill_s", 1, 86400,
                 &user_refill_s))
            return false;
    }
    cfg->login_user_refill_ms = user_refill_s * 1000;
    if (cfg->max_connections_per_ip < 0)
        cfg->max_connections_per_ip = cfg->max_connections / 2 + 1;
    if (cfg->request_total_s < cfg->request_timeout_s)
        return fail(c, "$.limits.request_total_s", "must be at least request_timeout_s");
    if (!cfg->tls_priorities && !(cfg->tls_priorities = dup(OC_TLS_PRIORITIES)))
        return fail(c, "$.tls.priorities", "out of memory");
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults");
    if (faults) {
        static const char *const fault_keys[] = {"write_error_rate", NULL};
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(faults, "write_error_rate");
        if (!cJSON_IsObject(faults) || !keys(c, faults, "$.faults", fault_keys))
            return fail(c, "$.faults", "must be {\"write_error_rate\": 0..1}");
        if (r && (!cJSON_IsNumber(r) || r->valuedouble < 0 || r->valuedouble > 1))
            return fail(c, "$.faults.write_error_rate", "must be a number from 0 to 1");
        cfg->write_error_rate = r ? r->valuedouble : 0;
    }
    cfg->max_json_bytes = (size_t)json_kb * 1024;
    cfg->max_evidence_bytes = (size_t)ev_mb << 20;
    cfg->max_buffered_bytes = (size_t)buffered_mb << 20;
    if (cfg->max_buffered_bytes < cfg->max_evidence_bytes ||
        cfg->max_buffered_bytes < cfg->max_json_bytes)
        return fail(c, "$.limits.max_buffered_mb",
                    "must be at least max_evidence_mb and max_json_kb (one body of each size)");
    if (!parse_people(c, root, cfg))
        return false;
    const cJSON *toks = cJSON_GetObjectItemCaseSensitive(root, "tokens");
    if (!cJSON_IsArray(toks) || cJSON_GetArraySize(toks) == 0)
        return fail(c, "$.tokens", "must be a non-empty array");
    cfg->n_tokens = (size_t)cJSON_GetArraySize(toks);
    cfg->tokens = calloc(cfg->n_tokens, sizeof *cfg->tokens);
    if (!cfg->tokens)
        return fail(c, "$.tokens", "out of memory");
    size_t i = 0;
    for (const cJSON *t = toks->child; t; t = t->next, i++)
        if (!parse_token(c, t, i, &cfg->tokens[i]))
            return false;
    char why[256];
    if (!(cfg->sigkeys = oc_sigkeys_parse(root, why, sizeof why))) {
        snprintf(c->err, c->errlen, "%s: %s", c->name, why);
        return false;
    }
    return true;
}

struct oc_ccfg *oc_ccfg_parse(const char *text, size_t len, const char *name, char *err,
                              size_t errlen)
{
    struct ctx c = {name, err, errlen};
    char *buf = malloc(len + 1);
    if (!buf) {
        fail(&c, "$", "out of memory");
        return NULL;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (oc_text_strip_comments(buf, len) != OC_OK) {
        fail(&c, "$", "unterminated /* comment");
        free(buf);
        return NULL;
    }
    cJSON *root = NULL;
    struct oc_json_error je;
    enum oc_json_status js = oc_json_parse(buf, len, SIZE_MAX, OC_JSON_MAX_DEPTH, &root, &je);
    free(buf);
    if (js != OC_JSON_OK) {
        char what[200];
        fail(&c, "$", "%s", oc_json_describe(&je, what, sizeof what));
        return NULL;
    }
    struct oc_ccfg *cfg = calloc(1, sizeof *cfg);
    bool ok = cfg && parse_root(&c, root, cfg) && (cfg->path = dup(name)) != NULL;
    cJSON_Delete(root);
    if (!ok) {
        if (!cfg)
            fail(&c, "$", "out of memory");
        oc_ccfg_free(cfg);
        return NULL;
    }
    return cfg;
}

struct oc_ccfg *oc_ccfg_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: cannot read, or larger than 64 KiB", path);
        return NULL;
    }
    return oc_ccfg_parse(buf, n, path, err, errlen);
}

void oc_ccfg_free(struct oc_ccfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->tokens && i < c->n_tokens; i++)
        free(c->tokens[i].box);
    free(c->tokens);
    for (size_t i = 0; c->reasons && i < c->n_reasons; i++)
        free(c->reasons[i]);
    free(c->reasons);
    free(c->ui_locale);
    free(c->ui_city);
    free(c->ui_codes_dir);
    oc_sigkeys_free(c->sigkeys);
    free(c->path);
    free(c->listen_host);
    free(c->cert_file);
    free(c->key_file);
    free(c->tls_priorities);
    free(c->db);
    free(c->evidence_dir);
    free(c);
}

bool oc_ccfg_db_is_pg(const char *db)
{
    return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}
