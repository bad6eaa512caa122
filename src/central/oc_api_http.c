/* Responses (JSON, errors, redirects, injected faults) and the request
 * helpers every endpoint uses: body parsing under the budget, query
 * arguments, filters, the client address, CSV cells. */
#include "oc_api_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"

/* Estimated heap bytes cJSON spends per JSON value while a body is parsed
 * (a node, its key and malloc overhead); a body's parse is reserved as its
 * value count times this before it is parsed. */
#define PARSE_BYTES_PER_VALUE 112

int64_t oc_api_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum MHD_Result oc_api_send_buf(struct MHD_Connection *c, unsigned status, const char *type,
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

enum MHD_Result oc_api_send_json(struct MHD_Connection *c, unsigned status, cJSON *j)
{
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!text)
        return oc_api_send_buf(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25,
                               MHD_RESPMEM_PERSISTENT);
    return oc_api_send_buf(c, status, "application/json; charset=utf-8", text, strlen(text),
                           MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result oc_api_send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", msg);
    return oc_api_send_json(c, status, j);
}

/* The shared memory budget is spent: retry soon. */
enum MHD_Result oc_api_send_busy(struct MHD_Connection *c)
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
enum MHD_Result oc_api_send_error_at(struct oc_api *api, struct MHD_Connection *c, const char *msg,
                                     size_t index)
{
    COUNT(api, batch_refused);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", msg);
    cJSON_AddNumberToObject(j, "index", (double)index);
    return oc_api_send_json(c, 400, j);
}

enum MHD_Result oc_api_redirect(struct MHD_Connection *c, const char *to, const char *cookie)
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

enum MHD_Result oc_api_too_many(struct MHD_Connection *c)
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

/* Testing aid ("faults" in the config): a write refused as an overloaded
 * or failing server would, before anything is stored. */
enum MHD_Result oc_api_fault(struct MHD_Connection *c, int kind)
{
    static const unsigned codes[] = {503, 429, 500};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", "injected oc_api_fault (faults.write_error_rate)");
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

const char *oc_api_jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int oc_api_valid_id(const char *s)
{
    return s && oc_config_valid_id(s, strlen(s));
}

/* "<box>:<camera>:<seq>"; box and camera, when given, must match. */
int oc_api_valid_record_id(const char *id, const char *box, const char *camera)
{
    struct oc_record_id rid;
    return oc_record_id_parse(id, &rid) == 0 && (!box || strcmp(rid.box, box) == 0) &&
           (!camera || strcmp(rid.camera, camera) == 0);
}

int oc_api_valid_opt_str(const cJSON *o, const char *k, size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return !v || cJSON_IsNull(v) || (cJSON_IsString(v) && strlen(v->valuestring) <= max);
}

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
cJSON *oc_api_parse_body(struct oc_api *api, struct req *rq, struct MHD_Connection *c,
                         enum MHD_Result *ret)
{
    size_t cost = json_values(rq->body ? rq->body : "", rq->len) * PARSE_BYTES_PER_VALUE;
    if (cost + rq->reserved > api->cfg->max_buffered_bytes) {
        COUNT(api, too_large);
        *ret = oc_api_send_error(c, 413,
                                 "body has too many JSON values to parse within max_buffered_mb");
        return NULL;
    }
    if (!oc_api_budget_take(api, cost)) {
        COUNT(api, busy);
        *ret = oc_api_send_busy(c);
        return NULL;
    }
    rq->reserved += cost;
    cJSON *j = NULL;
    struct oc_json_error je;
    if (oc_json_parse(rq->body ? rq->body : "", rq->len, SIZE_MAX, OC_JSON_MAX_DEPTH, &j, &je) !=
        OC_JSON_OK) {
        char what[200], msg[240];
        snprintf(msg, sizeof msg, "body refused: %s", oc_json_describe(&je, what, sizeof what));
        *ret = oc_api_send_error(c, 400, msg);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        *ret = oc_api_send_error(c, 400, "body must be a JSON object");
        return NULL;
    }
    return j;
}

int oc_api_parse_int_arg(struct MHD_Connection *c, const char *name, long long lo, long long hi,
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

int oc_api_read_filter(struct MHD_Connection *c, struct oc_store_filter *f)
{
    long long from = 0, to = 0;
    if (!oc_api_parse_int_arg(c, "from", 0, 4102444800000LL, &from) ||
        !oc_api_parse_int_arg(c, "to", 0, 4102444800000LL, &to))
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

/* The client's address as 16 bytes (IPv4 mapped into IPv6). */
void oc_api_client_addr(struct MHD_Connection *c, unsigned char out[16])
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

/* A CSV cell: quoted; a text a spreadsheet would run as a formula gets a
 * leading ' (as the dashboard's CSV). */
void oc_api_csv_cell(char **buf, size_t *len, size_t *cap, const char *v, int last)
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
