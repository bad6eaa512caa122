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

#include "ordercam/oc_config.h"
#include "ordercam/oc_event.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"
#include "ordercam/oc_text.h"
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
    X(sessions_full)                                                                               \
    X(slow_connections_cut)                                                                        \
    X(evidence_conflict)                                                                           \
    X(evidence_not_jpeg)                                                                           \
    X(batch_refused)

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
    pthread_t watchdog;
    struct counters n;
};

enum body_kind { BODY_NONE, BODY_JSON, BODY_EVIDENCE, BODY_FORM };

struct req {
    char *body;
    size_t len, cap;
    size_t reserved; /* bytes of api->buffered held by this request */
    int answered;    /* a response is queued: later data is dropped */
};

#define COUNT(api, name) atomic_fetch_add(&(api)->n.name, 1)

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

enum who { WHO_NOBODY, WHO_BOX, WHO_VIEWER };

static const char *cookie_session(struct MHD_Connection *c)
{
    return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "oc_session");
}

static enum who identify(struct oc_api *api, struct MHD_Connection *c, const char **box)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    *box = NULL;
    if (h && strncmp(h, "Bearer ", 7) == 0) {
        const struct oc_token *t = oc_auth_token(api->auth, h + 7, strlen(h + 7));
        if (!t)
            return WHO_NOBODY;
        if (t->role == OC_ROLE_VIEWER)
            return WHO_VIEWER;
        *box = t->box;
        return WHO_BOX;
    }
    if (oc_auth_session_ok(api->auth, cookie_session(c), now_ms()))
        return WHO_VIEWER;
    return WHO_NOBODY;
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
                     "tallies[%zu]: needs camera id, type, integer bucket and count >= 0, rev >= 1 if given", i);
            bad = i;
            break;
        }
        if (b->valuedouble > (double)latest) {
            snprintf(why, sizeof why, "tallies[%zu]: \"bucket\" is more than %d s ahead of central's clock",
                     i, api->cfg->max_future_s);
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
            snprintf(why, sizeof why, "cameras[%zu]: needs an id and string location, road, unit", i);
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

static enum MHD_Result post_violations(struct oc_api *api, struct MHD_Connection *c,
                                       struct req *rq, const char *token_box)
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
        if (cJSON_GetObjectItemCaseSensitive(r, "ts")->valuedouble > (double)latest) {
            snprintf(msg, sizeof msg, "violations[%zu]: \"ts\" is more than %d s ahead of central's clock",
                     i, api->cfg->max_future_s);
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
    return 1;
}

static enum MHD_Result get_counts(struct oc_api *api, struct MHD_Connection *c)
{
    struct oc_store_counts_q q = {.tz_offset_min = api->cfg->tz_offset_min};
    long long tz = q.tz_offset_min;
    if (!read_filter(c, &q.f) || !parse_int_arg(c, "tz", -720, 840, &tz))
        return send_error(c, 400, "from, to (ms) and tz (minutes) must be integers in range");
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
                return send_error(c, 400, "group: comma list of type, camera, box, road, unit, hour, day, hour_of_day");
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
        return send_error(c, 400, "from, to must be ms; limit 1..1000");
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

static enum MHD_Result get_evidence(struct oc_api *api, struct MHD_Connection *c, const char *id)
{
    if (!valid_record_id(id, NULL, NULL))
        return send_error(c, 400, "bad violation id");
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
static long form_token(const char *body, size_t len, char *out, size_t cap)
{
    const char *p = body;
    const char *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > 6 && memcmp(p, "token=", 6) == 0) {
            size_t o = 0;
            for (const char *q = p + 6; q < stop; q++) {
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

static enum MHD_Result login(struct oc_api *api, struct MHD_Connection *c, struct req *rq)
{
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
    return redirect(c, "/", cookie);
}

static enum MHD_Result logout(struct oc_api *api, struct MHD_Connection *c)
{
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
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
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
    return send_json(c, 200, out);
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
        if (get && strcmp(url, "/") == 0) {
            if (!oc_auth_session_ok(api->auth, cookie_session(c), now_ms()))
                return redirect(c, "/login", NULL);
            return send_asset(c, &oc_web_dashboard_html);
        }
        if (get && strcmp(url, "/app.js") == 0)
            return send_asset(c, &oc_web_app_js);
        if (get && strcmp(url, "/app.css") == 0)
            return send_asset(c, &oc_web_app_css);
        return send_error(c, 404, "not found");
    }
    const char *box = NULL;
    enum who who = identify(api, c, &box);
    if (who == WHO_NOBODY)
        return send_error(c, 401, "missing or unknown bearer token");
    const char *ev = "/api/v1/evidence/";
    int is_ev = strncmp(url, ev, strlen(ev)) == 0;
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
        if (who != WHO_VIEWER)
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
            return get_evidence(api, c, url + strlen(ev));
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
    return BODY_NONE;
}

/* Everything decided from the request's headers, before a byte of its body
 * is read: who asks, whether they may write here, the origin of sign-ins,
 * the declared length against the limits and the shared budget. Returns 1
 * when the body is to be read (rq->body allocated), 0 when an answer was
 * queued into *ret. */
static int admit(struct oc_api *api, struct MHD_Connection *c, const char *url,
                 const char *method, struct req *rq, enum MHD_Result *ret)
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
    } else {
        const char *box = NULL;
        enum who who = identify(api, c, &box);
        const char *id = url + 17;
        if (who == WHO_NOBODY) {
            COUNT(api, unauthenticated);
            *ret = send_error(c, 401, "missing or unknown bearer token");
            return 0;
        }
        if (who != WHO_BOX || (kind == BODY_EVIDENCE && valid_record_id(id, NULL, NULL) &&
                               !valid_record_id(id, box, NULL))) {
            COUNT(api, forbidden);
            *ret = send_error(c, 403, who != WHO_BOX ? "viewer tokens may only read"
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
                                         : 4096;
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
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state)
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
    const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
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
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
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

struct oc_api *oc_api_start(const struct oc_ccfg *cfg, struct oc_store *store,
                            struct oc_auth *auth, char *err, size_t errlen)
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
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->listen_port);
    int gai = getaddrinfo(cfg->listen_host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errlen, "listen %s: %s", cfg->listen_host, gai_strerror(gai));
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
    api->d = MHD_start_daemon(
        flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, api,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->request_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, api,
        MHD_OPTION_ARRAY, cfg->insecure_http ? tls_opts + 3 : tls_opts,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!api->d) {
        snprintf(err, errlen,
                 "cannot listen on %s:%d (in use, bad certificate/key, or bad tls.priorities)",
                 cfg->listen_host, cfg->listen_port);
        free(api->cert);
        free(api->key);
        free(api);
        return NULL;
    }
    api->watchdog_on = pthread_create(&api->watchdog, NULL, watchdog, api) == 0;
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
        pthread_cond_signal(&api->wake);
        pthread_mutex_unlock(&api->lock);
        pthread_join(api->watchdog, NULL);
    }
    MHD_stop_daemon(api->d);
    free(api->cert);
    free(api->key);
    pthread_cond_destroy(&api->wake);
    pthread_mutex_destroy(&api->lock);
    free(api);
}
