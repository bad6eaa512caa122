/* Who is asking (bearer tokens, session cookies), sign-in and sign-out,
 * a user's own settings. */
#include "oc_api_int.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ordercam/oc_config.h"
#include "oc_passwd.h"

const char *oc_api_cookie_session(struct MHD_Connection *c)
{
    return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "oc_session");
}

static enum who who_of_role(enum oc_user_role r)
{
    return r == OC_USER_ADMIN      ? WHO_ADMIN
           : r == OC_USER_REVIEWER ? WHO_REVIEWER
           : r == OC_USER_VIEWER   ? WHO_VIEWER
                                   : WHO_NOBODY;
}

/* The session cookie's holder: a viewer token's session (held in memory)
 * or a user's (in the store, ended there on disable or new password).
 * u->name is "" for a token. */
enum who oc_api_cookie_who(struct oc_api *api, struct MHD_Connection *c, struct oc_user *u)
{
    const char *id = oc_api_cookie_session(c);
    memset(u, 0, sizeof *u);
    if (!id || strlen(id) != OC_SESSION_ID_LEN)
        return WHO_NOBODY;
    if (oc_auth_session_ok(api->auth, id, oc_api_now_ms()))
        return WHO_VIEWER;
    char hash[65];
    oc_auth_sha256_hex(id, OC_SESSION_ID_LEN, hash);
    if (api->store->ops->session_user(api->store, hash, oc_api_now_ms(), u) != OC_OK)
        return WHO_NOBODY;
    return who_of_role(u->role);
}

/* Who asks: a bearer token (box or viewer), else the session cookie. */
enum who oc_api_identify(struct oc_api *api, struct MHD_Connection *c, const char **box,
                         struct oc_user *u)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    *box = NULL;
    memset(u, 0, sizeof *u);
    if (h && strncmp(h, "Bearer ", 7) == 0) {
        const struct oc_token *t = oc_auth_token(api->auth, h + 7, strlen(h + 7));
        if (!t)
            return WHO_NOBODY;
        if (t->role == OC_ROLE_VIEWER)
            return WHO_VIEWER;
        *box = t->box;
        return WHO_BOX;
    }
    return oc_api_cookie_who(api, c, u);
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

/* The login form posts token=<urlencoded>; decoded into out (cap bytes).
 * Returns the decoded length, or -1 when there is no token field, it is
 * too long, a %-escape is malformed, or it decodes to a control byte (a
 * token never holds one: "%00junk" must not cut it short). */
static long form_field(const char *body, size_t len, const char *name, char *out, size_t cap)
{
    const char *p = body;
    const char *end = body + len;
    size_t kl = strlen(name);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > kl + 1 && memcmp(p, name, kl) == 0 && p[kl] == '=') {
            size_t o = 0;
            for (const char *q = p + kl + 1; q < stop; q++) {
                int ch = (unsigned char)*q;
                if (ch == '+') {
                    ch = ' ';
                } else if (ch == '%') {
                    int hi = q + 2 < stop ? hexval(q[1]) : -1, lo = hi >= 0 ? hexval(q[2]) : -1;
                    if (lo < 0)
                        return -1;
                    ch = hi << 4 | lo;
                    q += 2;
                }
                if (ch < 0x20 || ch == 0x7f || o + 1 >= cap)
                    return -1;
                out[o++] = (char)ch;
            }
            out[o] = '\0';
            return (long)o;
        }
        p = stop + 1;
    }
    return -1;
}

static long form_token(const char *body, size_t len, char *out, size_t cap)
{
    return form_field(body, len, "token", out, cap);
}

/* A cookie-authenticated or sign-in POST must come from a page of this
 * server: its Origin (else its Referer) names the scheme and the Host the
 * request was sent to. A request with neither is refused too. */
int oc_api_same_origin(const struct oc_api *api, struct MHD_Connection *c)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (!o || strcmp(o, "null") == 0)
        o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Referer");
    if (!host || !*host || !o)
        return 0;
    const char *scheme = api->cfg->insecure_http ? "http://" : "https://";
    size_t ns = strlen(scheme), nh = strlen(host);
    return strncmp(o, scheme, ns) == 0 && strncasecmp(o + ns, host, nh) == 0 &&
           (o[ns + nh] == '\0' || o[ns + nh] == '/');
}

static enum MHD_Result login_user(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                  const char *name);

enum MHD_Result oc_api_login(struct oc_api *api, struct MHD_Connection *c, struct req *rq)
{
    char name[OC_USER_NAME_MAX + 2];
    if (form_field(rq->body ? rq->body : "", rq->len, "user", name, sizeof name) > 0)
        return login_user(api, c, rq, name);
    char token[512];
    const struct oc_token *t = NULL;
    long n = form_token(rq->body ? rq->body : "", rq->len, token, sizeof token);
    if (n > 0)
        t = oc_auth_token(api->auth, token, (size_t)n);
    OPENSSL_cleanse(token, sizeof token);
    if (!t || t->role != OC_ROLE_VIEWER) {
        COUNT(api, login_failed);
        return oc_api_redirect(c, "/login?failed=1", NULL);
    }
    size_t identity = (size_t)(t - api->cfg->tokens);
    if (!oc_auth_login_admit_identity(api->auth, identity, oc_api_now_ms())) {
        COUNT(api, login_throttled_identity);
        return oc_api_too_many(c);
    }
    char id[OC_SESSION_ID_LEN + 1], cookie[256];
    int rc = oc_auth_session_new(api->auth, identity, oc_api_now_ms(), id);
    if (rc == -2) {
        COUNT(api, sessions_full);
        return oc_api_send_error(c, 503, "too many live sessions; try later");
    }
    if (rc != 0)
        return oc_api_send_error(c, 500, "no randomness");
    snprintf(cookie, sizeof cookie,
             "oc_session=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%lld", id,
             (long long)(OC_SESSION_TTL_MS / 1000));
    oc_api_audit(api, c, WHO_VIEWER, NULL, "signin", NULL, "viewer token");
    return oc_api_redirect(c, "/", cookie);
}

/* Takes one of the password-hash slots; 0 when all are busy. */
static int hashing_take(struct oc_api *api)
{
    pthread_mutex_lock(&api->lock);
    int ok = api->hashing < OC_API_HASHING;
    if (ok)
        api->hashing++;
    pthread_mutex_unlock(&api->lock);
    return ok;
}

static void hashing_give(struct oc_api *api)
{
    pthread_mutex_lock(&api->lock);
    api->hashing--;
    pthread_mutex_unlock(&api->lock);
}

/* Sign-in by user name and password: throttled per name (the address was
 * throttled from the headers), an unknown name costs the same as a wrong
 * password, every failure counted and audited. */
static enum MHD_Result login_user(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                  const char *name)
{
    if (!oc_config_valid_id(name, strlen(name))) {
        COUNT(api, login_failed);
        return oc_api_redirect(c, "/login?failed=1", NULL);
    }
    if (!oc_auth_login_admit_user(api->auth, name, oc_api_now_ms())) {
        COUNT(api, login_throttled_user);
        return oc_api_too_many(c);
    }
    if (!hashing_take(api)) {
        COUNT(api, password_busy);
        return oc_api_send_busy(c);
    }
    char pw[OC_PASSWD_MAX + 2] = "";
    struct oc_user u;
    long n = form_field(rq->body ? rq->body : "", rq->len, "password", pw, sizeof pw);
    oc_err_t e = api->store->ops->user_get(api->store, name, &u);
    int ok = oc_passwd_verify(e == OC_OK ? u.pwhash : NULL, n > 0 ? pw : "") && e == OC_OK &&
             !u.disabled && u.role != OC_USER_NONE;
    OPENSSL_cleanse(pw, sizeof pw);
    hashing_give(api);
    struct oc_user who_tried = {0};
    snprintf(who_tried.name, sizeof who_tried.name, "%s", name);
    if (!ok) {
        COUNT(api, login_failed);
        oc_api_audit(api, c, WHO_NOBODY, &who_tried, "signin_failed", name, NULL);
        return oc_api_redirect(c, "/login?failed=1", NULL);
    }
    char id[OC_SESSION_ID_LEN + 1], hash[65], cookie[256];
    unsigned char raw[OC_SESSION_ID_LEN / 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return oc_api_send_error(c, 500, "no randomness");
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    oc_auth_sha256_hex(id, OC_SESSION_ID_LEN, hash);
    if (api->store->ops->session_put(api->store, hash, u.name, oc_api_now_ms() + OC_SESSION_TTL_MS,
                                     oc_api_now_ms()) != OC_OK)
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    oc_api_audit(api, c, who_of_role(u.role), &u, "signin", NULL, oc_user_role_name(u.role));
    snprintf(cookie, sizeof cookie,
             "oc_session=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%lld", id,
             (long long)(OC_SESSION_TTL_MS / 1000));
    return oc_api_redirect(c, u.role >= OC_USER_REVIEWER ? "/review" : "/", cookie);
}

enum MHD_Result oc_api_logout(struct oc_api *api, struct MHD_Connection *c)
{
    const char *sid = oc_api_cookie_session(c);
    if (sid && strlen(sid) == OC_SESSION_ID_LEN) {
        char hash[65];
        oc_auth_sha256_hex(sid, OC_SESSION_ID_LEN, hash);
        api->store->ops->session_end(api->store, hash);
    }
    oc_auth_session_end(api->auth, oc_api_cookie_session(c));
    return oc_api_redirect(c, "/login",
                           "oc_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
}

enum MHD_Result oc_api_get_me(struct oc_api *api, struct MHD_Connection *c, enum who who,
                              const struct oc_user *u)
{
    cJSON *out = cJSON_CreateObject();
    if (u->name[0])
        cJSON_AddStringToObject(out, "user", u->name);
    else
        cJSON_AddNullToObject(out, "user");
    cJSON_AddStringToObject(out, "role", oc_api_who_name(who));
    cJSON_AddStringToObject(out, "locale", u->locale[0] ? u->locale : api->cfg->ui_locale);
    if (api->cfg->ui_city)
        cJSON_AddStringToObject(out, "city", api->cfg->ui_city);
    else
        cJSON_AddNullToObject(out, "city");
    cJSON_AddNumberToObject(out, "tz_offset_min", api->cfg->tz_offset_min);
    cJSON_AddNumberToObject(out, "lease_s", api->cfg->review_lease_s);
    cJSON *r = cJSON_AddArrayToObject(out, "reasons");
    for (size_t i = 0; i < api->cfg->n_reasons; i++)
        cJSON_AddItemToArray(r, cJSON_CreateString(api->cfg->reasons[i]));
    return oc_api_send_json(c, 200, out);
}

/* {"locale": "zh-CN"|"en"}: a signed-in user's own language. */
enum MHD_Result oc_api_post_me(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                               const struct oc_user *u)
{
    if (!u->name[0])
        return oc_api_send_error(c, 403, "a token has no settings: sign in as a user");
    enum MHD_Result ret;
    cJSON *j = oc_api_parse_body(api, rq, c, &ret);
    if (!j)
        return ret;
    const char *loc = oc_api_jstr(j, "locale");
    if (!loc || (strcmp(loc, "zh-CN") != 0 && strcmp(loc, "en") != 0)) {
        cJSON_Delete(j);
        return oc_api_send_error(c, 400, "\"locale\" must be \"zh-CN\" or \"en\"");
    }
    oc_err_t e = api->store->ops->user_set(api->store, u->name, NULL, -1, -1, loc, oc_api_now_ms());
    if (e != OC_OK) {
        cJSON_Delete(j);
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "locale", loc); /* loc lives in j: free j after */
    cJSON_Delete(j);
    return oc_api_send_json(c, 200, out);
}
