/* Routing: which handler answers a request and which role it needs, and
 * admission from the headers before a body is read. */
#include "oc_api_int.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

/* The people endpoints: GET and POST, by role (docs/central.md). Returns
 * 0 when url is not one of them. */
static int people_route(struct oc_api *api, struct MHD_Connection *c, const char *url, int get,
                        int post, struct req *rq, enum who who, const struct oc_user *u,
                        enum MHD_Result *ret)
{
    static const struct {
        const char *url;
        int post;
        enum who least;
    } table[] = {{"/api/v1/me", 0, WHO_VIEWER},
                 {"/api/v1/me", 1, WHO_VIEWER},
                 {"/api/v1/review/next", 0, WHO_REVIEWER},
                 {"/api/v1/review/decision", 1, WHO_REVIEWER},
                 {"/api/v1/review/stats", 0, WHO_VIEWER},
                 {"/api/v1/export", 0, WHO_REVIEWER},
                 {"/api/v1/audit", 0, WHO_ADMIN},
                 {"/api/v1/users", 0, WHO_ADMIN},
                 {"/api/v1/codes", 0, WHO_VIEWER},
                 {"/api/v1/report", 0, WHO_VIEWER}};
    size_t i = 0;
    while (
        i < sizeof table / sizeof *table &&
        !(strcmp(table[i].url, url) == 0 && ((table[i].post && post) || (!table[i].post && get))))
        i++;
    if (i == sizeof table / sizeof *table)
        return 0;
    if (who == WHO_BOX || who < table[i].least) {
        *ret = oc_api_send_error(c, 403,
                                 who == WHO_BOX ? "box tokens may only write"
                                                : "your role may not use this endpoint");
        return 1;
    }
    switch (i) {
    case 0: *ret = oc_api_get_me(api, c, who, u); break;
    case 1: *ret = oc_api_post_me(api, c, rq, u); break;
    case 2: *ret = oc_api_get_review_next(api, c, u); break;
    case 3: *ret = oc_api_post_decision(api, c, rq, who, u); break;
    case 4: *ret = oc_api_get_review_stats(api, c); break;
    case 5: *ret = oc_api_get_export(api, c, who, u); break;
    case 6: *ret = oc_api_get_audit(api, c, who, u); break;
    case 8: *ret = oc_api_get_codes(api, c, u); break;
    case 9: *ret = oc_api_get_report(api, c); break;
    default: {
        cJSON *out = api->store->ops->users(api->store);
        *ret = out ? oc_api_send_json(c, 200, out)
                   : oc_api_send_error(c, 503, "store busy or failing; retry");
    }
    }
    return 1;
}

enum MHD_Result oc_api_route(struct oc_api *api, struct MHD_Connection *c, const char *url,
                             const char *method, struct req *rq)
{
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0, put = strcmp(method, "PUT") == 0;
    if (strncmp(url, "/api/", 5) != 0) /* the dashboard and its assets */
        return oc_api_page(api, c, url, get, post, rq);
    const char *box = NULL;
    struct oc_user u;
    enum who who = oc_api_identify(api, c, &box, &u);
    if (who == WHO_NOBODY)
        return oc_api_send_error(c, 401, "missing or unknown bearer token");
    const char *ev = "/api/v1/evidence/";
    int is_ev = strncmp(url, ev, strlen(ev)) == 0;
    enum MHD_Result pret;
    if (people_route(api, c, url, get, post, rq, who, &u, &pret))
        return pret;
    if (post || put) {
        if (who != WHO_BOX)
            return oc_api_send_error(c, 403, "viewer tokens may only read");
        if (api->cfg->write_error_rate > 0) {
            unsigned char r[2];
            RAND_bytes(r, sizeof r);
            if (r[0] < api->cfg->write_error_rate * 256)
                return oc_api_fault(c, r[1] % 3);
        }
        if (post && strcmp(url, "/api/v1/tallies") == 0)
            return oc_api_post_tallies(api, c, rq, box);
        if (post && strcmp(url, "/api/v1/violations") == 0)
            return oc_api_post_violations(api, c, rq, box);
        if (put && is_ev)
            return oc_api_put_evidence(api, c, rq, url + strlen(ev), box);
    } else if (get) {
        if (who == WHO_BOX)
            return oc_api_send_error(c, 403, "box tokens may only write");
        if (strcmp(url, "/api/v1/counts") == 0)
            return oc_api_get_counts(api, c);
        if (strcmp(url, "/api/v1/violations") == 0)
            return oc_api_get_violations(api, c);
        if (strcmp(url, "/api/v1/counters") == 0)
            return oc_api_get_counters(api, c);
        if (strcmp(url, "/api/v1/boxes") == 0) {
            cJSON *out = api->store->ops->boxes(api->store, oc_api_now_ms(),
                                                (int64_t)api->cfg->silent_after_s * 1000);
            return out ? oc_api_send_json(c, 200, out)
                       : oc_api_send_error(c, 503, "store busy; retry");
        }
        if (is_ev)
            return oc_api_get_evidence(api, c, url + strlen(ev), who, &u);
    }
    return oc_api_send_error(c,
                             strncmp(url, "/api/v1/", 8) == 0 && (get || post || put) ? 404 : 405,
                             "no such endpoint or method");
}

static enum body_kind body_kind(const char *url, const char *method)
{
    if (strcmp(method, "POST") == 0 &&
        (strcmp(url, "/api/v1/tallies") == 0 || strcmp(url, "/api/v1/violations") == 0))
        return BODY_JSON;
    if (strcmp(method, "PUT") == 0 && strncmp(url, "/api/v1/evidence/", 17) == 0)
        return BODY_EVIDENCE;
    if (strcmp(method, "POST") == 0 && strcmp(url, "/login") == 0)
        return BODY_FORM;
    if (strcmp(method, "POST") == 0 &&
        (strcmp(url, "/api/v1/me") == 0 || strcmp(url, "/api/v1/review/decision") == 0))
        return BODY_PEOPLE;
    return BODY_NONE;
}

/* Everything decided from the request's headers, before a byte of its body
 * is read: who asks, whether they may write here, the origin of sign-ins,
 * the declared length against the limits and the shared budget. Returns 1
 * when the body is to be read (rq->body allocated), 0 when an answer was
 * queued into *ret. */
int oc_api_admit(struct oc_api *api, struct MHD_Connection *c, const char *url, const char *method,
                 struct req *rq, enum MHD_Result *ret)
{
    enum body_kind kind = body_kind(url, method);
    int writes = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    int bearer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization") != NULL;
    if (writes && !bearer && (kind == BODY_FORM || oc_api_cookie_session(c)) &&
        !oc_api_same_origin(api, c)) {
        COUNT(api, bad_origin);
        *ret = oc_api_send_error(c, 403, "cross-origin request refused (Origin/Referer)");
        return 0;
    }
    if (kind == BODY_NONE) {
        *ret = oc_api_route(api, c, url, method, rq); /* a body, if any, is never read */
        return 0;
    }
    if (kind == BODY_FORM) {
        unsigned char addr[16];
        oc_api_client_addr(c, addr);
        if (!oc_auth_login_admit_addr(api->auth, addr, oc_api_now_ms())) {
            COUNT(api, login_throttled_address);
            *ret = oc_api_too_many(c);
            return 0;
        }
    } else if (kind == BODY_PEOPLE) {
        const char *box = NULL;
        struct oc_user u;
        enum who who = oc_api_identify(api, c, &box, &u);
        enum who least = strcmp(url, "/api/v1/me") == 0 ? WHO_VIEWER : WHO_REVIEWER;
        if (who == WHO_NOBODY || who == WHO_BOX || who < least) {
            if (who == WHO_NOBODY)
                COUNT(api, unauthenticated);
            else
                COUNT(api, forbidden);
            *ret = who == WHO_NOBODY
                       ? oc_api_send_error(c, 401, "missing or unknown bearer token")
                       : oc_api_send_error(c, 403, "your role may not use this endpoint");
            return 0;
        }
    } else {
        const char *box = NULL;
        struct oc_user u;
        enum who who = oc_api_identify(api, c, &box, &u);
        char id[256];
        int public_ = 0;
        int id_ok =
            kind == BODY_EVIDENCE && oc_api_evidence_id(url + 17, id, sizeof id, &public_) == 0;
        if (who == WHO_NOBODY) {
            COUNT(api, unauthenticated);
            *ret = oc_api_send_error(c, 401, "missing or unknown bearer token");
            return 0;
        }
        if (who != WHO_BOX || (id_ok && !oc_api_valid_record_id(id, box, NULL))) {
            COUNT(api, forbidden);
            *ret = oc_api_send_error(c, 403,
                                     who != WHO_BOX ? "viewer tokens may only read"
                                                    : "a box token may only write its own box");
            return 0;
        }
        if (kind == BODY_EVIDENCE && !id_ok) {
            *ret = oc_api_send_error(c, 400, "bad violation id");
            return 0;
        }
    }
    size_t limit = kind == BODY_EVIDENCE ? api->cfg->max_evidence_bytes
                   : kind == BODY_JSON   ? api->cfg->max_json_bytes
                                         : 4096; /* a sign-in form, a decision, a setting */
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    char *end = NULL;
    errno = 0;
    unsigned long long len = cl ? strtoull(cl, &end, 10) : 0;
    if (!cl || !*cl || *end || errno || cl[0] == '-') {
        COUNT(api, length_required);
        *ret = oc_api_send_error(c, 411, "a body needs a Content-Length");
        return 0;
    }
    if (len > limit) {
        COUNT(api, too_large);
        *ret = oc_api_send_error(c, 413, "request body too large");
        return 0;
    }
    if (!oc_api_budget_take(api, (size_t)len + 1)) {
        COUNT(api, busy);
        *ret = oc_api_send_busy(c);
        return 0;
    }
    rq->reserved = (size_t)len + 1;
    rq->cap = (size_t)len;
    rq->body = malloc(rq->cap + 1);
    if (!rq->body) {
        *ret = MHD_NO;
        return 0;
    }
    return 1;
}
