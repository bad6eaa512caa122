/* Request handling: body collection with limits, authentication, routing,
 * the endpoints. Every response to an API error is {"error": "..."}. */
#include "oc_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <turbojpeg.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ordercam/oc_codes.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_event.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"
#include "ordercam/oc_text.h"
#include "oc_passwd.h"
#include "oc_report.h"
#include "oc_retention.h"
#include "oc_sigcheck.h"
#include "oc_web.h"

#define MAX_BATCH 10000
#define MAX_TALLY_ROWS 100000

/* Estimated heap bytes cJSON spends per JSON value while a body is parsed
 * (a node, its key and malloc overhead); a body's parse is reserved as its
 * value count times this before it is parsed. */
#define PARSE_BYTES_PER_VALUE 112
#define TRIM_AFTER_BYTES (1u << 20) /* give heap back to the system after this much */

/* What central refused or cut, for GET /api/v1/counters (docs/central.md). */
#define OC_API_COUNTERS(X)                                                                         \
    X(unauthenticated)                                                                             \
    X(forbidden)                                                                                   \
    X(length_required)                                                                             \
    X(too_large)                                                                                   \
    X(busy)                                                                                        \
    X(bad_origin)                                                                                  \
    X(login_failed)                                                                                \
    X(login_throttled_address)                                                                     \
    X(login_throttled_identity)                                                                    \
    X(login_throttled_user)                                                                        \
    X(password_busy)                                                                               \
    X(sessions_full)                                                                               \
    X(slow_connections_cut)                                                                        \
    X(evidence_conflict)                                                                           \
    X(evidence_not_jpeg)                                                                           \
    X(batch_refused)                                                                               \
    X(retention_runs)                                                                              \
    X(retention_images_deleted)                                                                    \
    X(retention_records_deleted)                                                                   \
    X(retention_errors)                                                                            \
    X(signature_refused)

struct counters {
#define X(name) atomic_ullong name;
    OC_API_COUNTERS(X)
#undef X
};

/* One TCP connection, watched for total request time. */
struct conn {
    int fd;
    int64_t since; /* ms: the connection's start, or the end of its last request */
    struct conn *prev, *next;
};

struct oc_api {
    const struct oc_ccfg *cfg;
    struct oc_store *store;
    struct oc_auth *auth;
    struct MHD_Daemon *d;
    char *cert, *key;
    pthread_mutex_t lock; /* conns, buffered, stopping */
    pthread_cond_t wake;
    struct conn *conns;
    size_t buffered; /* bytes reserved by bodies and parses now */
    int stopping, watchdog_on;
    int hashing;               /* password hashes being computed now (OC_API_HASHING at most) */
    struct oc_codes *codes[2]; /* offence code tables: zh-CN, en */
    pthread_t retention;
    int retention_on;
    atomic_llong evidence_bytes; /* disk use of the evidence; -1 until first measured */
    pthread_t watchdog;
    struct counters n;
};

enum body_kind { BODY_NONE, BODY_JSON, BODY_EVIDENCE, BODY_FORM, BODY_PEOPLE };

struct req {
    char *body;
    size_t len, cap;
    size_t reserved; /* bytes of api->buffered held by this request */
    int answered;    /* a response is queued: later data is dropped */
};

#define COUNT(api, name) atomic_fetch_add(&(api)->n.name, 1)

/* Argon2id takes OC_PASSWD_MEM_MB each: this many at once, others 503. */
#define OC_API_HASHING 2
#define MAX_EXPORT 100000 /* rows of one export request */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- memory budget ---- */

/* Reserves n bytes of the budget shared by all requests; 0 when it would
 * go over (the caller answers 503). */
static int budget_take(struct oc_api *api, size_t n)
{
    pthread_mutex_lock(&api->lock);
    int ok = api->buffered + n <= api->cfg->max_buffered_bytes;
    if (ok)
        api->buffered += n;
    pthread_mutex_unlock(&api->lock);
    return ok;
}

static void budget_give(struct oc_api *api, size_t n)
{
    pthread_mutex_lock(&api->lock);
    api->buffered -= n;
    pthread_mutex_unlock(&api->lock);
    if (n >= TRIM_AFTER_BYTES)
        malloc_trim(0); /* glibc keeps freed heap otherwise; give it back */
}

/* ---- responses ---- */

/* Browsers ignore it over plain HTTP (insecure_http), so it is always sent. */
#define HSTS "max-age=31536000"

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *type,
                                const void *buf, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)buf, mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    /* not "no-referrer": a form post would then say "Origin: null" and the
     * sign-in origin check could not tell this server's page from another */
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                            "script-src 'self'; frame-ancestors 'none'");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, cJSON *j)
{
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!text)
        return send_buf(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25,
                        MHD_RESPMEM_PERSISTENT);
    return send_buf(c, status, "application/json; charset=utf-8", text, strlen(text),
                    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", msg);
    return send_json(c, status, j);
}

/* The shared memory budget is spent: retry soon. */
static enum MHD_Result send_busy(struct MHD_Connection *c)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", "busy: too many request bodies in memory; retry");
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    struct MHD_Response *r =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Retry-After", "1");
    MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
    enum MHD_Result ret = MHD_queue_response(c, 503, r);
    MHD_destroy_response(r);
    return ret;
}

/* A refused batch item: the message and the item's 0-based index. */
static enum MHD_Result send_error_at(struct oc_api *api, struct MHD_Connection *c, const char *msg,
                                     size_t index)
{
    COUNT(api, batch_refused);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", msg);
    cJSON_AddNumberToObject(j, "index", (double)index);
    return send_json(c, 400, j);
}

/* ---- who is asking ---- */

/* Ordered: a role may do what the roles before it may (but a box). */
enum who { WHO_NOBODY, WHO_BOX, WHO_VIEWER, WHO_REVIEWER, WHO_ADMIN };

static const char *cookie_session(struct MHD_Connection *c)
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
static enum who cookie_who(struct oc_api *api, struct MHD_Connection *c, struct oc_user *u)
{
    const char *id = cookie_session(c);
    memset(u, 0, sizeof *u);
    if (!id || strlen(id) != OC_SESSION_ID_LEN)
        return WHO_NOBODY;
    if (oc_auth_session_ok(api->auth, id, now_ms()))
        return WHO_VIEWER;
    char hash[65];
    oc_auth_sha256_hex(id, OC_SESSION_ID_LEN, hash);
    if (api->store->ops->session_user(api->store, hash, now_ms(), u) != OC_OK)
        return WHO_NOBODY;
    return who_of_role(u->role);
}

/* Who asks: a bearer token (box or viewer), else the session cookie. */
static enum who identify(struct oc_api *api, struct MHD_Connection *c, const char **box,
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
    return cookie_who(api, c, u);
}

/* ---- validation helpers ---- */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int valid_id(const char *s)
{
    return s && oc_config_valid_id(s, strlen(s));
}

/* "<box>:<camera>:<seq>"; box and camera, when given, must match. */
static int valid_record_id(const char *id, const char *box, const char *camera)
{
    struct oc_record_id rid;
    return oc_record_id_parse(id, &rid) == 0 && (!box || strcmp(rid.box, box) == 0) &&
           (!camera || strcmp(rid.camera, camera) == 0);
}

static int valid_opt_str(const cJSON *o, const char *k, size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return !v || cJSON_IsNull(v) || (cJSON_IsString(v) && strlen(v->valuestring) <= max);
}

/* ---- writes ---- */

/* An upper bound of the values in a JSON text: each needs a ',', a '[' or
 * a '{' outside strings before it, but the first. */
static size_t json_values(const char *p, size_t len)
{
    size_t n = 1;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == ',' || ch == '[' || ch == '{') {
            n++;
        }
    }
    return n;
}

/* Parses the body under oc_json_parse's policy, its parse memory reserved
 * from the shared budget first (released when the request ends). */
static cJSON *parse_body(struct oc_api *api, struct req *rq, struct MHD_Connection *c,
                         enum MHD_Result *ret)
{
    size_t cost = json_values(rq->body ? rq->body : "", rq->len) * PARSE_BYTES_PER_VALUE;
    if (cost + rq->reserved > api->cfg->max_buffered_bytes) {
        COUNT(api, too_large);
        *ret = send_error(c, 413, "body has too many JSON values to parse within max_buffered_mb");
        return NULL;
    }
    if (!budget_take(api, cost)) {
        COUNT(api, busy);
        *ret = send_busy(c);
        return NULL;
    }
    rq->reserved += cost;
    cJSON *j = NULL;
    struct oc_json_error je;
    if (oc_json_parse(rq->body ? rq->body : "", rq->len, SIZE_MAX, OC_JSON_MAX_DEPTH, &j, &je) !=
        OC_JSON_OK) {
        char what[200], msg[240];
        snprintf(msg, sizeof msg, "body refused: %s", oc_json_describe(&je, what, sizeof what));
        *ret = send_error(c, 400, msg);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        *ret = send_error(c, 400, "body must be a JSON object");
        return NULL;
    }
    return j;
}

static const char *body_box(const cJSON *j, const char *token_box, unsigned *status)
{
    const char *box = jstr(j, "box");
    if (!valid_id(box)) {
        *status = 400;
        return NULL;
    }
    if (strcmp(box, token_box) != 0) {
        *status = 403;
        return NULL;
    }
    return box;
}

static enum MHD_Result post_tallies(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                    const char *token_box)
{
    enum MHD_Result ret;
    cJSON *j = parse_body(api, rq, c, &ret);
    if (!j)
        return ret;
    unsigned status = 0;
    const char *box = body_box(j, token_box, &status);
    const cJSON *tallies = cJSON_GetObjectItemCaseSensitive(j, "tallies");
    const cJSON *cams = cJSON_GetObjectItemCaseSensitive(j, "cameras");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(j, "version");
    const cJSON *backlog = cJSON_GetObjectItemCaseSensitive(j, "backlog");
    const char *msg = NULL;
    if (!box)
        msg = status == 403 ? "a box token may only write its own box" : "\"box\" must be a box id";
    else if (!cJSON_IsArray(tallies) || cJSON_GetArraySize(tallies) > MAX_TALLY_ROWS)
        msg = "\"tallies\" must be an array of at most 100000 rows";
    else if (cams && !cJSON_IsArray(cams))
        msg = "\"cameras\" must be an array";
    else if (version && !(cJSON_IsString(version) && strlen(version->valuestring) <= 64))
        msg = "\"version\" must be a string of at most 64 bytes";
    else if (backlog && !oc_record_is_int(backlog, 0, 9e15))
        msg = "\"backlog\" must be a non-negative integer";
    if (msg) {
        cJSON_Delete(j);
        return send_error(c, status == 403 ? 403 : 400, msg);
    }
    size_t n = (size_t)cJSON_GetArraySize(tallies),
           nc = cams ? (size_t)cJSON_GetArraySize(cams) : 0;
    struct oc_tally_in *t = calloc(n + 1, sizeof *t);
    struct oc_camera_in *ci = calloc(nc + 1, sizeof *ci);
    char why[200] = "";
    size_t i = 0, bad = 0;
    int64_t latest = now_ms() + (int64_t)api->cfg->max_future_s * 1000;
    for (const cJSON *r = tallies->child; r && t; r = r->next, i++) {
        t[i].camera = jstr(r, "camera");
        t[i].type = jstr(r, "type");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(r, "bucket");
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "count");
        const cJSON *rev = cJSON_GetObjectItemCaseSensitive(r, "rev");
        if (!valid_id(t[i].camera) || !oc_record_type_name_ok(t[i].type) ||
            !oc_record_is_int(b, 0, 4102444800000.0) || !oc_record_is_int(k, 0, 1e12) ||
            (rev && !oc_record_is_int(rev, 1, 9e15))) {
            snprintf(why, sizeof why,
                     "tallies[%zu]: needs camera id, type, integer bucket and count >= 0, rev >= 1 "
                     "if given",
                     i);
            bad = i;
            break;
        }
        if (b->valuedouble > (double)latest) {
            snprintf(why, sizeof why,
                     "tallies[%zu]: \"bucket\" is more than %d s ahead of central's clock", i,
                     api->cfg->max_future_s);
            bad = i;
            break;
        }
        t[i].bucket = (int64_t)b->valuedouble;
        t[i].count = (int64_t)k->valuedouble;
        t[i].rev = rev ? (int64_t)rev->valuedouble : 0;
    }
    i = 0;
    for (const cJSON *r = cams ? cams->child : NULL; r && ci && !why[0]; r = r->next, i++) {
        ci[i].id = jstr(r, "id");
        ci[i].location = jstr(r, "location");
        ci[i].road = jstr(r, "road");
        ci[i].unit = jstr(r, "unit");
        if (!valid_id(ci[i].id) || !valid_opt_str(r, "location", 512) ||
            !valid_opt_str(r, "road", 512) || !valid_opt_str(r, "unit", 512)) {
            snprintf(why, sizeof why, "cameras[%zu]: needs an id and string location, road, unit",
                     i);
            bad = i;
        }
    }
    if (!t || !ci) {
        ret = send_error(c, 500, "out of memory");
    } else if (why[0]) {
        ret = send_error_at(api, c, why, bad);
    } else {
        oc_err_t e = api->store->ops->put_tallies(
            api->store, box, cJSON_IsString(version) ? version->valuestring : NULL,
            backlog ? (int64_t)backlog->valuedouble : -1, now_ms(), t, n, ci, nc, NULL);
        if (e != OC_OK) {
            ret = send_error(c, 503, "store busy or failing; retry");
        } else {
            cJSON *out = cJSON_CreateObject();
            cJSON_AddNumberToObject(out, "upserted", (double)n);
            ret = send_json(c, 200, out);
        }
    }
    free(t);
    free(ci);
    cJSON_Delete(j);
    return ret;
}

/* The box's signature (oc_sigcheck): a refusal is counted and logged with
 * the box and record id; a verified record is stored marked so. */
static int sig_ok(struct oc_api *api, const char *box, cJSON *r, size_t i, char *msg, size_t cap)
{
    char why[200];
    enum oc_sigcheck v = oc_sigcheck_record(api->cfg->sigkeys, box, r, why, sizeof why);
    if (v == OC_SIGCHECK_VERIFIED)
        cJSON_AddTrueToObject(r, "verified");
    if (v != OC_SIGCHECK_REFUSED)
        return 1;
    COUNT(api, signature_refused);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
    fprintf(stderr, "<4>ordercam-central: signature refused: box %s record %s: %s\n", box,
            cJSON_IsString(id) ? id->valuestring : "?", why);
    snprintf(msg, cap, "violations[%zu]: %.150s", i, why);
    return 0;
}

static enum MHD_Result post_violations(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                       const char *token_box)
{
    enum MHD_Result ret;
    cJSON *j = parse_body(api, rq, c, &ret);
    if (!j)
        return ret;
    unsigned status = 0;
    const char *box = body_box(j, token_box, &status);
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(j, "violations");
    if (!box) {
        cJSON_Delete(j);
        return send_error(c, status == 403 ? 403 : 400,
                          status == 403 ? "a box token may only write its own box"
                                        : "\"box\" must be a box id");
    }
    if (!cJSON_IsArray(recs) || cJSON_GetArraySize(recs) > MAX_BATCH) {
        cJSON_Delete(j);
        return send_error(c, 400, "\"violations\" must be an array of at most 10000 records");
    }
    int64_t latest = now_ms() + (int64_t)api->cfg->max_future_s * 1000;
    size_t i = 0;
    for (const cJSON *r = recs->child; r; r = r->next, i++) {
        char why[160], msg[200];
        if (!oc_record_validate(r, box, why, sizeof why)) {
            snprintf(msg, sizeof msg, "violations[%zu]: %s", i, why);
            cJSON_Delete(j);
            return send_error_at(api, c, msg, i);
        }
        if (!sig_ok(api, box, (cJSON *)r, i, msg, sizeof msg)) {
            cJSON_Delete(j);
            return send_error_at(api, c, msg, i);
        }
        if (cJSON_GetObjectItemCaseSensitive(r, "ts")->valuedouble > (double)latest) {
            snprintf(msg, sizeof msg,
                     "violations[%zu]: \"ts\" is more than %d s ahead of central's clock", i,
                     api->cfg->max_future_s);
            cJSON_Delete(j);
            return send_error_at(api, c, msg, i);
        }
    }
    struct oc_insert_result res;
    oc_err_t e = api->store->ops->put_violations(api->store, box, now_ms(), recs, &res);
    cJSON_Delete(j);
    if (e != OC_OK)
        return send_error(c, 503, "store busy or failing; retry");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "inserted", (double)res.inserted);
    cJSON_AddNumberToObject(out, "duplicates", (double)res.duplicates);
    return send_json(c, 200, out);
}

/* A JPEG whose headers libjpeg-turbo reads (sizes within 1..16384) and
 * that ends with an EOI marker. */
static int jpeg_ok(const void *buf, size_t len)
{
    if (len < 4 || len > ULONG_MAX || !oc_event_is_jpeg(buf, len))
        return 0;
    const unsigned char *b = buf;
    if (b[len - 2] != 0xFF || b[len - 1] != 0xD9)
        return 0;
    tjhandle tj = tjInitDecompress(); /* per call: handles are not thread-safe */
    int w = 0, h = 0, sub = 0, cs = 0;
    int ok = tj && tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &sub, &cs) == 0 &&
             w >= 1 && h >= 1 && w <= 16384 && h <= 16384;
    if (tj)
        tjDestroy(tj);
    return ok;
}

static enum MHD_Result put_evidence(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                    const char *id, const char *token_box)
{
    if (!valid_record_id(id, NULL, NULL))
        return send_error(c, 400, "bad violation id");
    if (!valid_record_id(id, token_box, NULL))
        return send_error(c, 403, "a box token may only write its own box");
    const char *claimed = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Content-SHA256");
    char actual[65];
    oc_auth_sha256_hex(rq->body ? rq->body : "", rq->len, actual);
    if (!claimed || strlen(claimed) != 64)
        return send_error(c, 400, "X-Content-SHA256 header with 64 hex digits required");
    if (strcasecmp(claimed, actual) != 0)
        return send_error(c, 400, "body does not match X-Content-SHA256");
    if (!jpeg_ok(rq->body, rq->len)) {
        COUNT(api, evidence_not_jpeg);
        return send_error(c, 400, "body is not a whole JPEG (headers unreadable or no end marker)");
    }
    char box[80], expect[80], stored[PATH_MAX];
    oc_err_t e = api->store->ops->evidence_expected(api->store, id, box, sizeof box, expect,
                                                    sizeof expect, stored, sizeof stored);
    if (e == OC_ENOTFOUND)
        return send_error(c, 404, "no such violation: send the record first");
    if (e != OC_OK)
        return send_error(c, 503, "store busy or failing; retry");
    if (expect[0] && strcmp(expect, actual) != 0) {
        COUNT(api, evidence_conflict);
        return send_error(c, 409, "the record announced a different sha256");
    }
    /* Content-addressed: the path comes from the digest and the validated
     * box id only, never from the request's text. */
    char dir[PATH_MAX], path[PATH_MAX + 80];
    int n1 = snprintf(dir, sizeof dir, "%s/%s/%.2s", api->cfg->evidence_dir, box, actual);
    int n2 = snprintf(path, sizeof path, "%s/%s.jpg", dir, actual);
    if (n1 < 0 || (size_t)n1 >= sizeof dir || n2 < 0 || (size_t)n2 >= sizeof path)
        return send_error(c, 500, "evidence path too long");
    /* Immutable once stored: the same bytes again are a no-op, other bytes
     * a conflict, whether or not the record announced a digest. */
    if (stored[0] && strcmp(stored, path) != 0) {
        COUNT(api, evidence_conflict);
        return send_error(c, 409, "this violation already has another image");
    }
    struct stat st;
    if (!(stored[0] && stat(path, &st) == 0)) {
        if (oc_io_mkdir_p(dir) != 0 || oc_io_write_atomic(dir, path, rq->body, rq->len) != 0)
            return send_error(c, 507, "cannot store evidence");
        if (api->store->ops->evidence_stored(api->store, id, path, (int64_t)rq->len) != OC_OK)
            return send_error(c, 503, "store busy or failing; retry");
        if (atomic_load(&api->evidence_bytes) >= 0)
            atomic_fetch_add(&api->evidence_bytes, (long long)rq->len);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "sha256", actual);
    return send_json(c, 200, out);
}

/* ---- reads ---- */

static int parse_int_arg(struct MHD_Connection *c, const char *name, long long lo, long long hi,
                         long long *out)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (!v || !*v)
        return 1;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end || errno || x < lo || x > hi)
        return 0;
    *out = x;
    return 1;
}

static int read_filter(struct MHD_Connection *c, struct oc_store_filter *f)
{
    long long from = 0, to = 0;
    if (!parse_int_arg(c, "from", 0, 4102444800000LL, &from) ||
        !parse_int_arg(c, "to", 0, 4102444800000LL, &to))
        return 0;
    f->from = from;
    f->to = to;
    f->type = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "type");
    f->camera = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "camera");
    f->box = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "box");
    f->road = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "road");
    f->unit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
    f->status = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "status");
    if (f->status && !*f->status)
        f->status = NULL;
    return !f->status || strcmp(f->status, "pending") == 0 || strcmp(f->status, "confirmed") == 0 ||
           strcmp(f->status, "rejected") == 0;
}

static enum MHD_Result get_counts(struct oc_api *api, struct MHD_Connection *c)
{
    struct oc_store_counts_q q = {.tz_offset_min = api->cfg->tz_offset_min};
    long long tz = q.tz_offset_min;
    if (!read_filter(c, &q.f) || !parse_int_arg(c, "tz", -720, 840, &tz))
        return send_error(c, 400,
                          "from, to (ms) and tz (minutes) must be integers in range;"
                          " status pending, confirmed or rejected");
    q.tz_offset_min = (int)tz;
    const char *g = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "group");
    if (g && *g) {
        char buf[256];
        if (strlen(g) >= sizeof buf)
            return send_error(c, 400, "group too long");
        strcpy(buf, g);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            int d = oc_store_dim_parse(tok);
            if (d < 0 || q.n_group == OC_DIM__COUNT)
                return send_error(
                    c, 400,
                    "group: comma list of type, camera, box, road, unit, hour, day, hour_of_day");
            for (size_t k = 0; k < q.n_group; k++)
                if (q.group[k] == (enum oc_store_dim)d)
                    return send_error(c, 400, "group: a dimension given twice");
            q.group[q.n_group++] = (enum oc_store_dim)d;
        }
    }
    cJSON *out = api->store->ops->counts(api->store, &q);
    return out ? send_json(c, 200, out) : send_error(c, 503, "store busy or failing; retry");
}

/* A page of violations being written: each stored record with its
 * evidence_url, and the cursor ("<ts>|<id>") after the last one. */
struct page {
    cJSON *out, *arr;
    char cursor[256];
};

static void page_row(void *arg, const char *record, int64_t ts, const char *id, int has_evidence)
{
    struct page *pg = arg;
    cJSON *rec = cJSON_Parse(record);
    if (!rec)
        return;
    if (has_evidence) {
        char url[512];
        snprintf(url, sizeof url, "/api/v1/evidence/%s", id);
        cJSON_AddStringToObject(rec, "evidence_url", url);
    } else {
        cJSON_AddNullToObject(rec, "evidence_url");
    }
    cJSON_AddItemToArray(pg->arr, rec);
    snprintf(pg->cursor, sizeof pg->cursor, "%lld|%s", (long long)ts, id);
}

static enum MHD_Result get_violations(struct oc_api *api, struct MHD_Connection *c)
{
    struct oc_store_filter f;
    long long limit = 100;
    if (!read_filter(c, &f) || !parse_int_arg(c, "limit", 1, 1000, &limit))
        return send_error(
            c, 400, "from, to must be ms; limit 1..1000; status pending, confirmed or rejected");
    const char *before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "before");
    long long bts = 0;
    const char *bid = NULL;
    if (before && *before) {
        char *end;
        bts = strtoll(before, &end, 10);
        if (*end != '|' || !valid_record_id(end + 1, NULL, NULL))
            return send_error(c, 400, "before: a cursor from a previous page's \"next\"");
        bid = end + 1;
    }
    struct page pg = {.out = cJSON_CreateObject()};
    pg.arr = cJSON_AddArrayToObject(pg.out, "violations");
    int more = 0;
    if (api->store->ops->violations(api->store, &f, (int)limit, bts, bid, page_row, &pg, &more) !=
        OC_OK) {
        cJSON_Delete(pg.out);
        return send_error(c, 503, "store busy or failing; retry");
    }
    if (more && pg.cursor[0])
        cJSON_AddStringToObject(pg.out, "next", pg.cursor);
    else
        cJSON_AddNullToObject(pg.out, "next");
    return send_json(c, 200, pg.out);
}

static void audit(struct oc_api *api, struct MHD_Connection *c, enum who who,
                  const struct oc_user *u, const char *action, const char *target,
                  const char *detail);

static enum MHD_Result get_evidence(struct oc_api *api, struct MHD_Connection *c, const char *id,
                                    enum who who, const struct oc_user *u)
{
    if (!valid_record_id(id, NULL, NULL))
        return send_error(c, 400, "bad violation id");
    if (who >= WHO_REVIEWER)
        audit(api, c, who, u, "evidence_view", id, NULL); /* a reviewer's look is on record */
    char box[80], expect[80], path[PATH_MAX];
    oc_err_t e = api->store->ops->evidence_expected(api->store, id, box, sizeof box, expect,
                                                    sizeof expect, path, sizeof path);
    if (e == OC_ENOTFOUND || (e == OC_OK && !path[0]))
        return send_error(c, 404, "no evidence for this violation");
    if (e != OC_OK)
        return send_error(c, 503, "store busy or failing; retry");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return send_error(c, 404, "evidence file missing");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "image/jpeg");
    MHD_add_response_header(r, "Cache-Control", "private, max-age=86400, immutable");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- dashboard ---- */

static enum MHD_Result send_asset(struct MHD_Connection *c, const struct oc_web_asset *a)
{
    return send_buf(c, 200, a->type, a->data, a->len, MHD_RESPMEM_PERSISTENT);
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

/* The client's address as 16 bytes (IPv4 mapped into IPv6). */
static void client_addr(struct MHD_Connection *c, unsigned char out[16])
{
    memset(out, 0, 16);
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = i ? i->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    }
}

/* A cookie-authenticated or sign-in POST must come from a page of this
 * server: its Origin (else its Referer) names the scheme and the Host the
 * request was sent to. A request with neither is refused too. */
static int same_origin(const struct oc_api *api, struct MHD_Connection *c)
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

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to, const char *cookie)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Location", to);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
    if (cookie)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    enum MHD_Result ret = MHD_queue_response(c, 303, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result too_many(struct MHD_Connection *c)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof "too many sign-in attempts; wait" - 1, (void *)"too many sign-in attempts; wait",
        MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(r, "Retry-After", "10");
    MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
    enum MHD_Result ret = MHD_queue_response(c, 429, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result login_user(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                  const char *name);

static enum MHD_Result login(struct oc_api *api, struct MHD_Connection *c, struct req *rq)
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
        return redirect(c, "/login?failed=1", NULL);
    }
    size_t identity = (size_t)(t - api->cfg->tokens);
    if (!oc_auth_login_admit_identity(api->auth, identity, now_ms())) {
        COUNT(api, login_throttled_identity);
        return too_many(c);
    }
    char id[OC_SESSION_ID_LEN + 1], cookie[256];
    int rc = oc_auth_session_new(api->auth, identity, now_ms(), id);
    if (rc == -2) {
        COUNT(api, sessions_full);
        return send_error(c, 503, "too many live sessions; try later");
    }
    if (rc != 0)
        return send_error(c, 500, "no randomness");
    snprintf(cookie, sizeof cookie,
             "oc_session=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%lld", id,
             (long long)(OC_SESSION_TTL_MS / 1000));
    audit(api, c, WHO_VIEWER, NULL, "signin", NULL, "viewer token");
    return redirect(c, "/", cookie);
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
        return redirect(c, "/login?failed=1", NULL);
    }
    if (!oc_auth_login_admit_user(api->auth, name, now_ms())) {
        COUNT(api, login_throttled_user);
        return too_many(c);
    }
    if (!hashing_take(api)) {
        COUNT(api, password_busy);
        return send_busy(c);
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
        audit(api, c, WHO_NOBODY, &who_tried, "signin_failed", name, NULL);
        return redirect(c, "/login?failed=1", NULL);
    }
    char id[OC_SESSION_ID_LEN + 1], hash[65], cookie[256];
    unsigned char raw[OC_SESSION_ID_LEN / 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return send_error(c, 500, "no randomness");
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    oc_auth_sha256_hex(id, OC_SESSION_ID_LEN, hash);
    if (api->store->ops->session_put(api->store, hash, u.name, now_ms() + OC_SESSION_TTL_MS,
                                     now_ms()) != OC_OK)
        return send_error(c, 503, "store busy or failing; retry");
    audit(api, c, who_of_role(u.role), &u, "signin", NULL, oc_user_role_name(u.role));
    snprintf(cookie, sizeof cookie,
             "oc_session=%s; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=%lld", id,
             (long long)(OC_SESSION_TTL_MS / 1000));
    return redirect(c, u.role >= OC_USER_REVIEWER ? "/review" : "/", cookie);
}

static enum MHD_Result logout(struct oc_api *api, struct MHD_Connection *c)
{
    const char *sid = cookie_session(c);
    if (sid && strlen(sid) == OC_SESSION_ID_LEN) {
        char hash[65];
        oc_auth_sha256_hex(sid, OC_SESSION_ID_LEN, hash);
        api->store->ops->session_end(api->store, hash);
    }
    oc_auth_session_end(api->auth, cookie_session(c));
    return redirect(c, "/login",
                    "oc_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
}

/* Testing aid ("faults" in the config): a write refused as an overloaded
 * or failing server would, before anything is stored. */
static enum MHD_Result fault(struct MHD_Connection *c, int kind)
{
    static const unsigned codes[] = {503, 429, 500};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", "injected fault (faults.write_error_rate)");
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (kind < 2)
        MHD_add_response_header(r, "Retry-After", "1");
    enum MHD_Result ret = MHD_queue_response(c, codes[kind], r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result get_counters(struct oc_api *api, struct MHD_Connection *c)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *n = cJSON_AddObjectToObject(out, "counters");
#define X(name) cJSON_AddNumberToObject(n, #name, (double)atomic_load(&api->n.name));
    OC_API_COUNTERS(X)
#undef X
    pthread_mutex_lock(&api->lock);
    cJSON_AddNumberToObject(out, "buffered_bytes", (double)api->buffered);
    pthread_mutex_unlock(&api->lock);
    long long ev = atomic_load(&api->evidence_bytes);
    if (ev >= 0)
        cJSON_AddNumberToObject(out, "evidence_bytes", (double)ev);
    else
        cJSON_AddNullToObject(out, "evidence_bytes");
    return send_json(c, 200, out);
}

/* ---- people: accounts, review, audit (docs/central.md) ---- */

static const char *who_name(enum who who)
{
    static const char *const n[] = {"none", "box", "viewer", "reviewer", "admin"};
    return n[who];
}

/* One audit row: who (the user, or "token" for a viewer token), the
 * action, its target and detail, the client's address. A failed store
 * write is logged; the action itself has happened and is not undone. */
static void audit(struct oc_api *api, struct MHD_Connection *c, enum who who,
                  const struct oc_user *u, const char *action, const char *target,
                  const char *detail)
{
    unsigned char a[16];
    char addr[INET6_ADDRSTRLEN] = "";
    client_addr(c, a);
    static const unsigned char v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, v4, 12) == 0)
        inet_ntop(AF_INET, a + 12, addr, sizeof addr);
    else
        inet_ntop(AF_INET6, a, addr, sizeof addr);
    struct oc_audit_in row = {.ts = now_ms(),
                              .actor = u && u->name[0] ? u->name : "token",
                              .role = who_name(who),
                              .action = action,
                              .target = target,
                              .detail = detail,
                              .addr = addr};
    if (api->store->ops->audit(api->store, &row) != OC_OK)
        fprintf(stderr, "ordercam-central: audit row not written: %s %s\n", row.actor, action);
}

static enum MHD_Result get_me(struct oc_api *api, struct MHD_Connection *c, enum who who,
                              const struct oc_user *u)
{
    cJSON *out = cJSON_CreateObject();
    if (u->name[0])
        cJSON_AddStringToObject(out, "user", u->name);
    else
        cJSON_AddNullToObject(out, "user");
    cJSON_AddStringToObject(out, "role", who_name(who));
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
    return send_json(c, 200, out);
}

/* {"locale": "zh-CN"|"en"}: a signed-in user's own language. */
static enum MHD_Result post_me(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                               const struct oc_user *u)
{
    if (!u->name[0])
        return send_error(c, 403, "a token has no settings: sign in as a user");
    enum MHD_Result ret;
    cJSON *j = parse_body(api, rq, c, &ret);
    if (!j)
        return ret;
    const char *loc = jstr(j, "locale");
    if (!loc || (strcmp(loc, "zh-CN") != 0 && strcmp(loc, "en") != 0)) {
        cJSON_Delete(j);
        return send_error(c, 400, "\"locale\" must be \"zh-CN\" or \"en\"");
    }
    oc_err_t e = api->store->ops->user_set(api->store, u->name, NULL, -1, -1, loc, now_ms());
    if (e != OC_OK) {
        cJSON_Delete(j);
        return send_error(c, 503, "store busy or failing; retry");
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "locale", loc); /* loc lives in j: free j after */
    cJSON_Delete(j);
    return send_json(c, 200, out);
}

/* A stored violation as the API serves it: the record, its evidence URL
 * and its review state. */
static cJSON *vrow_json(const struct oc_store_vrow *r)
{
    cJSON *rec = cJSON_Parse(r->record);
    if (!rec)
        return NULL;
    if (r->has_evidence) {
        char url[512];
        snprintf(url, sizeof url, "/api/v1/evidence/%s", r->id);
        cJSON_AddStringToObject(rec, "evidence_url", url);
    } else {
        cJSON_AddNullToObject(rec, "evidence_url");
    }
    if (r->evidence_expired)
        cJSON_AddBoolToObject(rec, "evidence_expired", 1);
    cJSON *rv = cJSON_AddObjectToObject(rec, "review");
    cJSON_AddStringToObject(rv, "status", r->status);
    if (r->reason)
        cJSON_AddStringToObject(rv, "reason", r->reason);
    else
        cJSON_AddNullToObject(rv, "reason");
    if (r->note)
        cJSON_AddStringToObject(rv, "note", r->note);
    else
        cJSON_AddNullToObject(rv, "note");
    if (r->reviewer)
        cJSON_AddStringToObject(rv, "reviewer", r->reviewer);
    else
        cJSON_AddNullToObject(rv, "reviewer");
    if (r->decided)
        cJSON_AddNumberToObject(rv, "decided", (double)r->decided);
    else
        cJSON_AddNullToObject(rv, "decided");
    return rec;
}

struct vlist {
    cJSON *arr;
    const char *skip_id;
    char last_id[600];
    int64_t last_ts;
};

static void vlist_row(void *arg, const struct oc_store_vrow *r)
{
    struct vlist *l = arg;
    if (l->skip_id && strcmp(l->skip_id, r->id) == 0)
        return;
    cJSON *j = vrow_json(r);
    if (j)
        cJSON_AddItemToArray(l->arr, j);
    snprintf(l->last_id, sizeof l->last_id, "%s", r->id);
    l->last_ts = r->ts;
}

struct next_out {
    cJSON *v;
    int64_t lease_until;
    char camera[128], box[80];
};

static void next_row(void *arg, const struct oc_store_vrow *r)
{
    struct next_out *n = arg;
    n->v = vrow_json(r);
    n->lease_until = r->lease_until;
    const char *cam = n->v ? jstr(n->v, "camera") : NULL, *box = n->v ? jstr(n->v, "box") : NULL;
    snprintf(n->camera, sizeof n->camera, "%s", cam ? cam : "");
    snprintf(n->box, sizeof n->box, "%s", box ? box : "");
}

/* The oldest pending violation (filters: type, camera, road, unit),
 * leased to this reviewer, with the camera's other recent violations. */
static enum MHD_Result get_review_next(struct oc_api *api, struct MHD_Connection *c,
                                       const struct oc_user *u)
{
    struct oc_store_filter f;
    if (!read_filter(c, &f))
        return send_error(c, 400, "from, to must be ms");
    f.status = NULL;
    struct next_out n = {0};
    oc_err_t e =
        api->store->ops->review_next(api->store, u->name[0] ? u->name : "token", &f, now_ms(),
                                     (int64_t)api->cfg->review_lease_s * 1000, next_row, &n);
    if (e != OC_OK && e != OC_ENOTFOUND)
        return send_error(c, 503, "store busy or failing; retry");
    cJSON *out = cJSON_CreateObject();
    cJSON *recent = cJSON_CreateArray();
    if (n.v) {
        struct oc_store_filter cf = {.camera = n.camera, .box = n.box};
        struct vlist l = {.arr = recent, .skip_id = jstr(n.v, "id")};
        int more = 0;
        api->store->ops->vrows(api->store, &cf, 8, 0, NULL, vlist_row, &l, &more);
        cJSON_AddItemToObject(out, "violation", n.v);
        cJSON_AddNumberToObject(out, "lease_until", (double)n.lease_until);
    } else {
        cJSON_AddNullToObject(out, "violation");
        cJSON_AddNullToObject(out, "lease_until");
    }
    cJSON_AddItemToObject(out, "recent", recent);
    return send_json(c, 200, out);
}

static int reason_known(const struct oc_api *api, const char *r)
{
    for (size_t i = 0; r && i < api->cfg->n_reasons; i++)
        if (strcmp(api->cfg->reasons[i], r) == 0)
            return 1;
    return 0;
}

/* {"id", "decision": "confirm"|"reject"|"skip", "reason"?, "note"?} */
static enum MHD_Result post_decision(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                     enum who who, const struct oc_user *u)
{
    enum MHD_Result ret;
    cJSON *j = parse_body(api, rq, c, &ret);
    if (!j)
        return ret;
    const char *id = jstr(j, "id"), *d = jstr(j, "decision"), *reason = jstr(j, "reason");
    const char *note = jstr(j, "note");
    const char *msg = NULL;
    int reject = d && strcmp(d, "reject") == 0;
    if (!valid_record_id(id, NULL, NULL))
        msg = "\"id\" must be a violation id";
    else if (!d || (strcmp(d, "confirm") != 0 && !reject && strcmp(d, "skip") != 0))
        msg = "\"decision\" must be confirm, reject or skip";
    else if (reject && !reason_known(api, reason))
        msg = "a rejection needs a \"reason\" from review.reasons";
    else if (!reject && reason)
        msg = "only a rejection has a \"reason\"";
    else if (reject && strcmp(reason, "other") == 0 && (!note || !*note))
        msg = "the reason \"other\" needs a \"note\"";
    else if (!valid_opt_str(j, "note", 500))
        msg = "\"note\" must be a string of at most 500 bytes";
    if (msg) {
        cJSON_Delete(j);
        return send_error(c, 400, msg);
    }
    enum oc_decide how = OC_DECIDE_NOTFOUND;
    const char *name = u->name[0] ? u->name : "token";
    const char *said = reject ? "reject" : strcmp(d, "confirm") == 0 ? "confirm" : "skip";
    oc_err_t e =
        api->store->ops->review_decide(api->store, id, name, d, reason, note, now_ms(), &how);
    if (e == OC_OK && how == OC_DECIDE_OK) {
        char detail[600];
        snprintf(detail, sizeof detail, "%s%s%s", d, reason ? " " : "", reason ? reason : "");
        audit(api, c, who, u, "review", id, detail);
    }
    cJSON_Delete(j);
    if (e != OC_OK)
        return send_error(c, 503, "store busy or failing; retry");
    switch (how) {
    case OC_DECIDE_NOTFOUND: return send_error(c, 404, "no such violation");
    case OC_DECIDE_CONFLICT: return send_error(c, 409, "already decided");
    case OC_DECIDE_LEASED: return send_error(c, 409, "another reviewer holds this violation");
    default: break;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "decision", said);
    cJSON_AddBoolToObject(out, "repeated", how == OC_DECIDE_SAME);
    return send_json(c, 200, out);
}

static enum MHD_Result get_review_stats(struct oc_api *api, struct MHD_Connection *c)
{
    struct oc_store_filter f;
    if (!read_filter(c, &f))
        return send_error(c, 400, "from, to must be ms");
    f.status = NULL;
    cJSON *out = api->store->ops->review_stats(api->store, &f);
    return out ? send_json(c, 200, out) : send_error(c, 503, "store busy or failing; retry");
}

/* A CSV cell: quoted; a text a spreadsheet would run as a formula gets a
 * leading ' (as the dashboard's CSV). */
static void csv_cell(char **buf, size_t *len, size_t *cap, const char *v, int last)
{
    size_t need = *len + 2 * strlen(v ? v : "") + 8;
    if (need > *cap) {
        size_t nc = need * 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return;
        *buf = nb;
        *cap = nc;
    }
    char *o = *buf + *len;
    *o++ = '"';
    if (v && strchr("=+-@\t\r", v[0]) && v[0])
        *o++ = '\'';
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '"')
            *o++ = '"';
        *o++ = *p;
    }
    *o++ = '"';
    *o++ = last ? '\n' : ',';
    *len = (size_t)(o - *buf);
}

struct export
{
    char *buf;
    size_t len, cap;
    int csv;
    const char *base; /* "https://host" for the evidence URLs */
    char last_id[600];
    int64_t last_ts;
    size_t n;
};

static void export_row(void *arg, const struct oc_store_vrow *r)
{
    struct export *x = arg;
    cJSON *j = vrow_json(r);
    if (!j)
        return;
    char url[1024] = "";
    if (r->has_evidence)
        snprintf(url, sizeof url, "%s/api/v1/evidence/%s", x->base, r->id);
    cJSON_ReplaceItemInObject(j, "evidence_url",
                              r->has_evidence ? cJSON_CreateString(url) : cJSON_CreateNull());
    if (x->csv) {
        static const char *const cols[] = {"id",   "type", "code",  "camera", "location",
                                           "road", "unit", "plate", "class"};
        char ts[32], decided[32];
        snprintf(ts, sizeof ts, "%lld", (long long)r->ts);
        snprintf(decided, sizeof decided, "%lld", (long long)r->decided);
        for (size_t k = 0; k < sizeof cols / sizeof *cols; k++)
            csv_cell(&x->buf, &x->len, &x->cap, jstr(j, cols[k]), 0);
        csv_cell(&x->buf, &x->len, &x->cap, ts, 0);
        csv_cell(&x->buf, &x->len, &x->cap, r->reviewer, 0);
        csv_cell(&x->buf, &x->len, &x->cap, decided, 0);
        csv_cell(&x->buf, &x->len, &x->cap, url, 1);
    } else {
        char *line = cJSON_PrintUnformatted(j);
        size_t n = line ? strlen(line) : 0;
        if (line && x->len + n + 2 > x->cap) {
            size_t nc = (x->len + n + 2) * 2;
            char *nb = realloc(x->buf, nc);
            if (nb) {
                x->buf = nb;
                x->cap = nc;
            }
        }
        if (line && x->len + n + 2 <= x->cap) {
            memcpy(x->buf + x->len, line, n);
            x->len += n;
            x->buf[x->len++] = '\n';
        }
        free(line);
    }
    cJSON_Delete(j);
    snprintf(x->last_id, sizeof x->last_id, "%s", r->id);
    x->last_ts = r->ts;
    x->n++;
}

/* Confirmed violations for the ticketing system: format=csv or jsonl,
 * the usual filters, newest first, at most `limit` (1..100000) per
 * request; X-Next-Before carries the cursor of the next page. */
static enum MHD_Result get_export(struct oc_api *api, struct MHD_Connection *c, enum who who,
                                  const struct oc_user *u)
{
    struct oc_store_filter f;
    long long limit = MAX_EXPORT;
    const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    int csv = fmt && strcmp(fmt, "csv") == 0;
    if (!read_filter(c, &f) || !parse_int_arg(c, "limit", 1, MAX_EXPORT, &limit) ||
        (fmt && !csv && strcmp(fmt, "jsonl") != 0))
        return send_error(c, 400, "format csv or jsonl; from, to ms; limit 1..100000");
    f.status = "confirmed";
    const char *before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "before");
    long long bts = 0;
    const char *bid = NULL;
    if (before && *before) {
        char *end;
        bts = strtoll(before, &end, 10);
        if (*end != '|' || !valid_record_id(end + 1, NULL, NULL))
            return send_error(c, 400, "before: the X-Next-Before of a previous export");
        bid = end + 1;
    }
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    char base[300];
    snprintf(base, sizeof base, "%s://%s", api->cfg->insecure_http ? "http" : "https",
             host ? host : "localhost");
    struct export x = {.csv = csv, .base = base, .cap = 4096};
    x.buf = malloc(x.cap);
    if (!x.buf)
        return send_error(c, 500, "out of memory");
    if (csv) {
        static const char head[] = "\xef\xbb\xbfid,type,code,camera,location,road,unit,plate,class,"
                                   "ts,reviewer,decided,evidence_url\n";
        memcpy(x.buf, head, sizeof head - 1);
        x.len = sizeof head - 1;
    }
    int more = 0;
    if (api->store->ops->vrows(api->store, &f, (int)limit, bts, bid, export_row, &x, &more) !=
        OC_OK) {
        free(x.buf);
        return send_error(c, 503, "store busy or failing; retry");
    }
    char detail[80];
    snprintf(detail, sizeof detail, "%s %zu rows", csv ? "csv" : "jsonl", x.n);
    audit(api, c, who, u, "export", "confirmed", detail);
    struct MHD_Response *r = MHD_create_response_from_buffer(x.len, x.buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(x.buf);
        return MHD_NO;
    }
    MHD_add_response_header(
        r, "Content-Type", csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
    MHD_add_response_header(r, "Content-Disposition",
                            csv ? "attachment; filename=\"confirmed.csv\""
                                : "attachment; filename=\"confirmed.jsonl\"");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (more) {
        char cur[700];
        snprintf(cur, sizeof cur, "%lld|%s", (long long)x.last_ts, x.last_id);
        MHD_add_response_header(r, "X-Next-Before", cur);
    }
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* The audit log, newest first: from, to (ms), limit 1..1000, before (the
 * previous page's "next"). Reading it is itself audited. */
static enum MHD_Result get_audit(struct oc_api *api, struct MHD_Connection *c, enum who who,
                                 const struct oc_user *u)
{
    long long from = 0, to = 0, before = 0, limit = 100;
    const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    int csv = fmt && strcmp(fmt, "csv") == 0;
    if (!parse_int_arg(c, "from", 0, 4102444800000LL, &from) ||
        !parse_int_arg(c, "to", 0, 4102444800000LL, &to) ||
        !parse_int_arg(c, "before", 0, INT64_MAX, &before) ||
        !parse_int_arg(c, "limit", 1, 1000, &limit) || (fmt && !csv && strcmp(fmt, "json") != 0))
        return send_error(c, 400, "from, to (ms), before (seq), limit 1..1000, format json|csv");
    cJSON *out = api->store->ops->audit_read(api->store, from, to, before, (int)limit);
    if (!out)
        return send_error(c, 503, "store busy or failing; retry");
    audit(api, c, who, u, csv ? "audit_export" : "audit_read", NULL, NULL);
    if (!csv)
        return send_json(c, 200, out);
    /* CSV: the same rows, the cursor of the next page in X-Next-Before */
    static const char *const cols[] = {"seq",    "ts",     "actor",  "role",
                                       "action", "target", "detail", "addr"};
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    if (buf) {
        static const char head[] = "\xef\xbb\xbfseq,ts,actor,role,action,target,detail,addr\n";
        memcpy(buf, head, sizeof head - 1);
        len = sizeof head - 1;
    }
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(out, "audit"))
    {
        for (int k = 0; buf && k < 8; k++) {
            const cJSON *v = cJSON_GetObjectItem(row, cols[k]);
            char num[32];
            if (cJSON_IsNumber(v))
                snprintf(num, sizeof num, "%.0f", v->valuedouble);
            csv_cell(&buf, &len, &cap,
                     cJSON_IsNumber(v)   ? num
                     : cJSON_IsString(v) ? v->valuestring
                                         : "",
                     k == 7);
        }
    }
    const cJSON *next = cJSON_GetObjectItem(out, "next");
    char cur[32] = "";
    if (cJSON_IsNumber(next))
        snprintf(cur, sizeof cur, "%.0f", next->valuedouble);
    cJSON_Delete(out);
    if (!buf)
        return send_error(c, 500, "out of memory");
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/csv; charset=utf-8");
    MHD_add_response_header(r, "Content-Disposition", "attachment; filename=\"audit.csv\"");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (cur[0])
        MHD_add_response_header(r, "X-Next-Before", cur);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* The offence code table of a language (?locale=zh-CN|en, default the
 * asker's) for the interface's names: the same file format and, by
 * default, the same tables as the evidence captions. */
static enum MHD_Result get_codes(struct oc_api *api, struct MHD_Connection *c,
                                 const struct oc_user *u)
{
    const char *loc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "locale");
    if (!loc || !*loc)
        loc = u->locale[0] ? u->locale : api->cfg->ui_locale;
    if (strcmp(loc, "zh-CN") != 0 && strcmp(loc, "en") != 0)
        return send_error(c, 400, "locale: zh-CN or en");
    const struct oc_codes *t = api->codes[strcmp(loc, "en") == 0];
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "locale", oc_codes_locale(t));
    cJSON_AddBoolToObject(out, "example", oc_codes_is_example(t));
    cJSON *arr = cJSON_AddArrayToObject(out, "offences");
    for (size_t i = 0; i < oc_codes_count(t); i++) {
        const struct oc_code_entry *e = oc_codes_at(t, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", e->type);
        if (e->code)
            cJSON_AddStringToObject(o, "code", e->code);
        else
            cJSON_AddNullToObject(o, "code");
        cJSON_AddStringToObject(o, "name", e->name);
        cJSON_AddStringToObject(o, "short", e->short_name);
        if (e->points >= 0)
            cJSON_AddNumberToObject(o, "points", e->points);
        else
            cJSON_AddNullToObject(o, "points");
        if (e->fine >= 0)
            cJSON_AddNumberToObject(o, "fine", e->fine);
        else
            cJSON_AddNullToObject(o, "fine");
        cJSON_AddItemToArray(arr, o);
    }
    return send_json(c, 200, out);
}

/* A period's report: period=week|month, date=YYYY-MM-DD (a day in it,
 * in the city's zone; default: the last whole period), by=unit|road,
 * format=json|csv. A period that ended more than a day ago is frozen: the
 * first report made of it is stored and served from then on, so that it
 * says the same next month. */
static enum MHD_Result get_report(struct oc_api *api, struct MHD_Connection *c)
{
    const char *per = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "period");
    const char *by = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
    const char *date = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "date");
    const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    int tz = api->cfg->tz_offset_min;
    enum oc_report_period p = per && strcmp(per, "month") == 0 ? OC_REPORT_MONTH : OC_REPORT_WEEK;
    enum oc_report_by b = by && strcmp(by, "road") == 0 ? OC_REPORT_ROAD : OC_REPORT_UNIT;
    int64_t day = 0, from, to, prev;
    if ((per && strcmp(per, "week") != 0 && strcmp(per, "month") != 0) ||
        (by && strcmp(by, "unit") != 0 && strcmp(by, "road") != 0) ||
        (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "csv") != 0) ||
        (date && *date && oc_report_parse_date(date, tz, &day) != 0))
        return send_error(c, 400,
                          "period week|month, by unit|road, date YYYY-MM-DD, format json|csv");
    if (!date || !*date) { /* the last whole period */
        oc_report_bounds(p, now_ms(), tz, &from, &to, &prev);
        day = prev;
    }
    oc_report_bounds(p, day, tz, &from, &to, &prev);
    char key[128];
    snprintf(key, sizeof key, "%s|%s|%lld|%d", p == OC_REPORT_WEEK ? "week" : "month",
             b == OC_REPORT_UNIT ? "unit" : "road", (long long)from, tz);
    int closed = to + 86400000LL <= now_ms();
    char *stored = NULL;
    cJSON *rep = NULL;
    if (closed && api->store->ops->report_get(api->store, key, &stored) == OC_OK)
        rep = cJSON_Parse(stored);
    free(stored);
    if (!rep) {
        rep = oc_report_make(api->store, api->codes[0], p, b, day, tz);
        if (!rep)
            return send_error(c, 503, "store busy or failing; retry");
        cJSON_AddNumberToObject(rep, "generated", (double)now_ms());
        cJSON_AddBoolToObject(rep, "frozen", closed);
        if (api->cfg->ui_city)
            cJSON_AddStringToObject(rep, "city", api->cfg->ui_city);
        else
            cJSON_AddNullToObject(rep, "city");
        char *text = closed ? cJSON_PrintUnformatted(rep) : NULL;
        if (text && api->store->ops->report_put(api->store, key, text, now_ms()) == OC_OK) {
            /* a report made at the same moment elsewhere may have won */
            char *first = NULL;
            if (api->store->ops->report_get(api->store, key, &first) == OC_OK &&
                strcmp(first, text)) {
                cJSON_Delete(rep);
                rep = cJSON_Parse(first);
            }
            free(first);
        }
        free(text);
        if (!rep)
            return send_error(c, 500, "out of memory");
    }
    if (fmt && strcmp(fmt, "csv") == 0) {
        char *csv = oc_report_csv(rep);
        cJSON_Delete(rep);
        if (!csv)
            return send_error(c, 500, "out of memory");
        return send_buf(c, 200, "text/csv; charset=utf-8", csv, strlen(csv), MHD_RESPMEM_MUST_FREE);
    }
    return send_json(c, 200, rep);
}

/* The tables of ui.codes_dir (<locale>.json; a missing file: the built-in
 * table), else the built-in ones. -1 with a message in err. */
static int load_codes(struct oc_api *api, char *err, size_t errlen)
{
    static const char *const locales[] = {"zh-CN", "en"};
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX], why[256] = "";
        struct stat st;
        oc_err_t e;
        snprintf(path, sizeof path, "%s/%s.json",
                 api->cfg->ui_codes_dir ? api->cfg->ui_codes_dir : "", locales[i]);
        if (api->cfg->ui_codes_dir && stat(path, &st) == 0)
            e = oc_codes_load(path, &api->codes[i], why, sizeof why);
        else
            e = oc_codes_builtin(locales[i], &api->codes[i], why, sizeof why);
        if (e != OC_OK) {
            snprintf(err, errlen, "code table %s: %s", api->codes[i] ? locales[i] : path, why);
            return -1;
        }
    }
    return 0;
}

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
        *ret = send_error(c, 403,
                          who == WHO_BOX ? "box tokens may only write"
                                         : "your role may not use this endpoint");
        return 1;
    }
    switch (i) {
    case 0: *ret = get_me(api, c, who, u); break;
    case 1: *ret = post_me(api, c, rq, u); break;
    case 2: *ret = get_review_next(api, c, u); break;
    case 3: *ret = post_decision(api, c, rq, who, u); break;
    case 4: *ret = get_review_stats(api, c); break;
    case 5: *ret = get_export(api, c, who, u); break;
    case 6: *ret = get_audit(api, c, who, u); break;
    case 8: *ret = get_codes(api, c, u); break;
    case 9: *ret = get_report(api, c); break;
    default: {
        cJSON *out = api->store->ops->users(api->store);
        *ret = out ? send_json(c, 200, out) : send_error(c, 503, "store busy or failing; retry");
    }
    }
    return 1;
}

/* A page that only some roles may see: signed out -> /login, too low a
 * role -> 403 (a page saying so). */
static enum MHD_Result send_page(struct oc_api *api, struct MHD_Connection *c,
                                 const struct oc_web_asset *a, enum who least)
{
    struct oc_user u;
    enum who who = cookie_who(api, c, &u);
    if (who == WHO_NOBODY)
        return redirect(c, "/login", NULL);
    if (who < least)
        return send_buf(c, 403, oc_web_forbidden_html.type, oc_web_forbidden_html.data,
                        oc_web_forbidden_html.len, MHD_RESPMEM_PERSISTENT);
    return send_buf(c, 200, a->type, a->data, a->len, MHD_RESPMEM_PERSISTENT);
}

/* ---- routing ---- */

static enum MHD_Result route(struct oc_api *api, struct MHD_Connection *c, const char *url,
                             const char *method, struct req *rq)
{
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0, put = strcmp(method, "PUT") == 0;
    /* the dashboard and its assets */
    if (strncmp(url, "/api/", 5) != 0) {
        if (get && strcmp(url, "/login") == 0)
            return send_asset(c, &oc_web_login_html);
        if (post && strcmp(url, "/login") == 0)
            return login(api, c, rq);
        if (post && strcmp(url, "/logout") == 0)
            return logout(api, c);
        if (get && strcmp(url, "/") == 0)
            return send_page(api, c, &oc_web_dashboard_html, WHO_VIEWER);
        if (get && strcmp(url, "/review") == 0)
            return send_page(api, c, &oc_web_review_html, WHO_REVIEWER);
        if (get && strcmp(url, "/report") == 0)
            return send_page(api, c, &oc_web_report_html, WHO_VIEWER);
        if (get && strcmp(url, "/report.js") == 0)
            return send_asset(c, &oc_web_report_js);
        if (get && strcmp(url, "/review.js") == 0)
            return send_asset(c, &oc_web_review_js);
        if (get && strcmp(url, "/i18n.js") == 0)
            return send_asset(c, &oc_web_i18n_js);
        if (get && strcmp(url, "/app.js") == 0)
            return send_asset(c, &oc_web_app_js);
        if (get && strcmp(url, "/app.css") == 0)
            return send_asset(c, &oc_web_app_css);
        return send_error(c, 404, "not found");
    }
    const char *box = NULL;
    struct oc_user u;
    enum who who = identify(api, c, &box, &u);
    if (who == WHO_NOBODY)
        return send_error(c, 401, "missing or unknown bearer token");
    const char *ev = "/api/v1/evidence/";
    int is_ev = strncmp(url, ev, strlen(ev)) == 0;
    enum MHD_Result pret;
    if (people_route(api, c, url, get, post, rq, who, &u, &pret))
        return pret;
    if (post || put) {
        if (who != WHO_BOX)
            return send_error(c, 403, "viewer tokens may only read");
        if (api->cfg->write_error_rate > 0) {
            unsigned char r[2];
            RAND_bytes(r, sizeof r);
            if (r[0] < api->cfg->write_error_rate * 256)
                return fault(c, r[1] % 3);
        }
        if (post && strcmp(url, "/api/v1/tallies") == 0)
            return post_tallies(api, c, rq, box);
        if (post && strcmp(url, "/api/v1/violations") == 0)
            return post_violations(api, c, rq, box);
        if (put && is_ev)
            return put_evidence(api, c, rq, url + strlen(ev), box);
    } else if (get) {
        if (who == WHO_BOX)
            return send_error(c, 403, "box tokens may only write");
        if (strcmp(url, "/api/v1/counts") == 0)
            return get_counts(api, c);
        if (strcmp(url, "/api/v1/violations") == 0)
            return get_violations(api, c);
        if (strcmp(url, "/api/v1/counters") == 0)
            return get_counters(api, c);
        if (strcmp(url, "/api/v1/boxes") == 0) {
            cJSON *out = api->store->ops->boxes(api->store, now_ms(),
                                                (int64_t)api->cfg->silent_after_s * 1000);
            return out ? send_json(c, 200, out) : send_error(c, 503, "store busy; retry");
        }
        if (is_ev)
            return get_evidence(api, c, url + strlen(ev), who, &u);
    }
    return send_error(c, strncmp(url, "/api/v1/", 8) == 0 && (get || post || put) ? 404 : 405,
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
static int admit(struct oc_api *api, struct MHD_Connection *c, const char *url, const char *method,
                 struct req *rq, enum MHD_Result *ret)
{
    enum body_kind kind = body_kind(url, method);
    int writes = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    int bearer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization") != NULL;
    if (writes && !bearer && (kind == BODY_FORM || cookie_session(c)) && !same_origin(api, c)) {
        COUNT(api, bad_origin);
        *ret = send_error(c, 403, "cross-origin request refused (Origin/Referer)");
        return 0;
    }
    if (kind == BODY_NONE) {
        *ret = route(api, c, url, method, rq); /* a body, if any, is never read */
        return 0;
    }
    if (kind == BODY_FORM) {
        unsigned char addr[16];
        client_addr(c, addr);
        if (!oc_auth_login_admit_addr(api->auth, addr, now_ms())) {
            COUNT(api, login_throttled_address);
            *ret = too_many(c);
            return 0;
        }
    } else if (kind == BODY_PEOPLE) {
        const char *box = NULL;
        struct oc_user u;
        enum who who = identify(api, c, &box, &u);
        enum who least = strcmp(url, "/api/v1/me") == 0 ? WHO_VIEWER : WHO_REVIEWER;
        if (who == WHO_NOBODY || who == WHO_BOX || who < least) {
            if (who == WHO_NOBODY)
                COUNT(api, unauthenticated);
            else
                COUNT(api, forbidden);
            *ret = who == WHO_NOBODY ? send_error(c, 401, "missing or unknown bearer token")
                                     : send_error(c, 403, "your role may not use this endpoint");
            return 0;
        }
    } else {
        const char *box = NULL;
        struct oc_user u;
        enum who who = identify(api, c, &box, &u);
        const char *id = url + 17;
        if (who == WHO_NOBODY) {
            COUNT(api, unauthenticated);
            *ret = send_error(c, 401, "missing or unknown bearer token");
            return 0;
        }
        if (who != WHO_BOX || (kind == BODY_EVIDENCE && valid_record_id(id, NULL, NULL) &&
                               !valid_record_id(id, box, NULL))) {
            COUNT(api, forbidden);
            *ret = send_error(c, 403,
                              who != WHO_BOX ? "viewer tokens may only read"
                                             : "a box token may only write its own box");
            return 0;
        }
        if (kind == BODY_EVIDENCE && !valid_record_id(id, NULL, NULL)) {
            *ret = send_error(c, 400, "bad violation id");
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
        *ret = send_error(c, 411, "a body needs a Content-Length");
        return 0;
    }
    if (len > limit) {
        COUNT(api, too_large);
        *ret = send_error(c, 413, "request body too large");
        return 0;
    }
    if (!budget_take(api, (size_t)len + 1)) {
        COUNT(api, busy);
        *ret = send_busy(c);
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)version;
    struct oc_api *api = cls;
    struct req *rq = *state;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *state = rq;
        enum MHD_Result ret = MHD_YES;
        if (!admit(api, c, url, method, rq, &ret))
            rq->answered = 1;
        return ret;
    }
    if (rq->answered) {
        *upload_size = 0; /* answered from the headers: the body is dropped unread */
        return MHD_YES;
    }
    if (*upload_size) {
        if (rq->len + *upload_size > rq->cap)
            return MHD_NO; /* more than its Content-Length: cannot happen with MHD */
        memcpy(rq->body + rq->len, upload, *upload_size);
        rq->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    rq->answered = 1;
    return route(api, c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code)
{
    (void)code;
    struct oc_api *api = cls;
    struct req *rq = *state;
    if (rq) {
        free(rq->body);
        if (rq->reserved)
            budget_give(api, rq->reserved);
        free(rq);
    }
    *state = NULL;
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *cn = i ? i->socket_context : NULL;
    if (cn) {
        pthread_mutex_lock(&api->lock);
        cn->since = now_ms(); /* the next request's time starts now */
        pthread_mutex_unlock(&api->lock);
    }
}

/* Connections are tracked so that the watchdog can cut one whose request
 * runs longer than request_total_s in any phase (TLS handshake, headers,
 * body, answer): libmicrohttpd's own timeout only sees idle gaps. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct oc_api *api = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *cn = calloc(1, sizeof *cn);
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!cn || !i) {
            free(cn);
            return; /* untracked: only the idle timeout applies */
        }
        cn->fd = i->connect_fd;
        cn->since = now_ms();
        pthread_mutex_lock(&api->lock);
        cn->next = api->conns;
        if (api->conns)
            api->conns->prev = cn;
        api->conns = cn;
        pthread_mutex_unlock(&api->lock);
        *socket_context = cn;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        /* under the lock, before libmicrohttpd closes the socket: the
         * watchdog never shuts down a descriptor reused by another */
        struct conn *cn = *socket_context;
        pthread_mutex_lock(&api->lock);
        if (cn->prev)
            cn->prev->next = cn->next;
        else
            api->conns = cn->next;
        if (cn->next)
            cn->next->prev = cn->prev;
        pthread_mutex_unlock(&api->lock);
        free(cn);
        *socket_context = NULL;
    }
}

static void *watchdog(void *arg)
{
    struct oc_api *api = arg;
    int64_t limit = (int64_t)api->cfg->request_total_s * 1000;
    pthread_mutex_lock(&api->lock);
    while (!api->stopping) {
        int64_t now = now_ms();
        for (struct conn *cn = api->conns; cn; cn = cn->next)
            if (now - cn->since > limit) {
                shutdown(cn->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes it */
                cn->since = INT64_MAX / 2;
                COUNT(api, slow_connections_cut);
            }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&api->wake, &api->lock, &until);
    }
    pthread_mutex_unlock(&api->lock);
    return NULL;
}

/* One audit row of the retention job (no client: actor "retention"). */
static void retention_audit(struct oc_api *api, const char *target, int64_t n, int64_t cut_days)
{
    char detail[128];
    snprintf(detail, sizeof detail, "%lld deleted (older than %lld days)", (long long)n,
             (long long)cut_days);
    struct oc_audit_in row = {.ts = now_ms(),
                              .actor = "retention",
                              .role = "system",
                              .action = "retention",
                              .target = target,
                              .detail = detail};
    if (api->store->ops->audit(api->store, &row) != OC_OK)
        fprintf(stderr, "ordercam-central: audit row not written: retention %s\n", target);
}

/* The retention job: first an interval after start (at most an hour), then
 * every retention.interval_s; it also measures the evidence's disk use. */
static void *retention_loop(void *arg)
{
    struct oc_api *api = arg;
    const struct oc_ccfg *cfg = api->cfg;
    int64_t every = (int64_t)cfg->retention_interval_s * 1000;
    int64_t next = now_ms() + (every < 3600000 ? every : 3600000);
    atomic_store(&api->evidence_bytes, (long long)oc_retention_disk_use(cfg->evidence_dir));
    pthread_mutex_lock(&api->lock);
    while (!api->stopping) {
        if (now_ms() < next) {
            struct timespec until = {.tv_sec = (time_t)(next / 1000),
                                     .tv_nsec = (long)(next % 1000) * 1000000L};
            pthread_cond_timedwait(&api->wake, &api->lock, &until);
            continue;
        }
        pthread_mutex_unlock(&api->lock);
        struct oc_retention_result r;
        oc_retention_pass(api->store, now_ms(), cfg->evidence_days, cfg->records_days, &r);
        COUNT(api, retention_runs);
        atomic_fetch_add(&api->n.retention_images_deleted, (unsigned long long)r.images_expired);
        atomic_fetch_add(&api->n.retention_records_deleted, (unsigned long long)r.records_deleted);
        atomic_fetch_add(&api->n.retention_errors, (unsigned long long)r.errors);
        if (r.images_expired)
            retention_audit(api, "evidence", r.images_expired,
                            cfg->evidence_days ? cfg->evidence_days : cfg->records_days);
        if (r.records_deleted)
            retention_audit(api, "records", r.records_deleted, cfg->records_days);
        if (r.errors)
            fprintf(stderr, "ordercam-central: retention: %d failures\n", r.errors);
        atomic_store(&api->evidence_bytes, (long long)oc_retention_disk_use(cfg->evidence_dir));
        next = now_ms() + every;
        pthread_mutex_lock(&api->lock);
    }
    pthread_mutex_unlock(&api->lock);
    return NULL;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf && n == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

struct oc_api *oc_api_start(const struct oc_ccfg *cfg, struct oc_store *store, struct oc_auth *auth,
                            char *err, size_t errlen)
{
    struct oc_api *api = calloc(1, sizeof *api);
    if (!api) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    api->cfg = cfg;
    api->store = store;
    api->auth = auth;
    pthread_mutex_init(&api->lock, NULL);
    pthread_cond_init(&api->wake, NULL);
    if (load_codes(api, err, errlen) != 0) {
        oc_codes_free(api->codes[0]);
        oc_codes_free(api->codes[1]);
        free(api);
        return NULL;
    }
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->listen_port);
    int gai = getaddrinfo(cfg->listen_host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errlen, "listen %s: %s", cfg->listen_host, gai_strerror(gai));
        oc_codes_free(api->codes[0]);
        oc_codes_free(api->codes[1]);
        free(api);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (!cfg->insecure_http) {
        api->cert = slurp(cfg->cert_file);
        api->key = slurp(cfg->key_file);
        if (!api->cert || !api->key) {
            snprintf(err, errlen, "cannot read %s", !api->cert ? cfg->cert_file : cfg->key_file);
            freeaddrinfo(ai);
            free(api->cert);
            free(api->key);
            oc_codes_free(api->codes[0]);
            oc_codes_free(api->codes[1]);
            free(api);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, api->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, api->key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, cfg->tls_priorities},
        {MHD_OPTION_END, 0, NULL},
    };
    api->d = MHD_start_daemon(flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, api,
                              MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
                              (unsigned)cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
                              (unsigned)cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                              (unsigned)cfg->max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
                              (unsigned)cfg->request_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                              (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, api, MHD_OPTION_ARRAY,
                              cfg->insecure_http ? tls_opts + 3 : tls_opts, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!api->d) {
        snprintf(err, errlen,
                 "cannot listen on %s:%d (in use, bad certificate/key, or bad tls.priorities)",
                 cfg->listen_host, cfg->listen_port);
        free(api->cert);
        free(api->key);
        oc_codes_free(api->codes[0]);
        oc_codes_free(api->codes[1]);
        free(api);
        return NULL;
    }
    atomic_store(&api->evidence_bytes, -1LL);
    api->watchdog_on = pthread_create(&api->watchdog, NULL, watchdog, api) == 0;
    api->retention_on =
        api->watchdog_on && pthread_create(&api->retention, NULL, retention_loop, api) == 0;
    if (!api->watchdog_on) {
        snprintf(err, errlen, "cannot start the request watchdog thread");
        oc_api_stop(api);
        return NULL;
    }
    return api;
}

int oc_api_port(const struct oc_api *api)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(api->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : -1;
}

void oc_api_stop(struct oc_api *api)
{
    if (!api)
        return;
    if (api->watchdog_on) {
        pthread_mutex_lock(&api->lock);
        api->stopping = 1;
        pthread_cond_broadcast(&api->wake); /* the watchdog and the retention job */
        pthread_mutex_unlock(&api->lock);
        pthread_join(api->watchdog, NULL);
        if (api->retention_on)
            pthread_join(api->retention, NULL);
    }
    MHD_stop_daemon(api->d);
    oc_codes_free(api->codes[0]);
    oc_codes_free(api->codes[1]);
    free(api->cert);
    free(api->key);
    pthread_cond_destroy(&api->wake);
    pthread_mutex_destroy(&api->lock);
    free(api);
}
