/* The review queue: the next pending violation under a lease, decisions,
 * statistics, and the export of confirmed violations. */
#include "oc_api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_record.h"

/* The evidence fields of a served record: its URL (null without an
 * image), "evidence_expired": true when retention deleted the image (the
 * record keeps its evidence.sha256) and "public_url" when central holds
 * the public variant. */
void oc_api_evidence_fields(cJSON *rec, const struct oc_store_vrow *r)
{
    if (r->has_evidence) {
        char url[512];
        snprintf(url, sizeof url, "/api/v1/evidence/%s", r->id);
        cJSON_AddStringToObject(rec, "evidence_url", url);
    } else {
        cJSON_AddNullToObject(rec, "evidence_url");
    }
    if (r->evidence_expired)
        cJSON_AddBoolToObject(rec, "evidence_expired", 1);
    if (r->has_public) { /* only once central holds it */
        char url[512];
        snprintf(url, sizeof url, "/api/v1/evidence/%s/public", r->id);
        cJSON_AddStringToObject(rec, "public_url", url);
    }
}

/* A stored violation as the API serves it: the record, its evidence URL
 * and its review state. */
static cJSON *vrow_json(const struct oc_store_vrow *r)
{
    cJSON *rec = cJSON_Parse(r->record);
    if (!rec)
        return NULL;
    oc_api_evidence_fields(rec, r);
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
    /* the camera's other violations are found by the id's box and camera
     * (indexed columns), not by the record's text */
    struct oc_record_id rid;
    if (oc_record_id_parse(r->id, &rid) == 0) {
        snprintf(n->camera, sizeof n->camera, "%s", rid.camera);
        snprintf(n->box, sizeof n->box, "%s", rid.box);
    }
}

/* The oldest pending violation (filters: type, camera, road, unit),
 * leased to this reviewer, with the camera's other recent violations. */
enum MHD_Result oc_api_get_review_next(struct oc_api *api, struct MHD_Connection *c,
                                       const struct oc_user *u)
{
    struct oc_store_filter f;
    if (!oc_api_read_filter(c, &f))
        return oc_api_send_error(c, 400, "from, to must be ms");
    f.status = NULL;
    struct next_out n = {0};
    oc_err_t e = api->store->ops->review_next(
        api->store, u->name[0] ? u->name : "token", &f, oc_api_now_ms(),
        (int64_t)api->cfg->review_lease_s * 1000, next_row, &n);
    if (e != OC_OK && e != OC_ENOTFOUND)
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    cJSON *out = cJSON_CreateObject();
    cJSON *recent = cJSON_CreateArray();
    if (n.v) {
        struct oc_store_filter cf = {.camera = n.camera, .box = n.box};
        struct vlist l = {.arr = recent, .skip_id = oc_api_jstr(n.v, "id")};
        int more = 0;
        if (n.camera[0])
            api->store->ops->vrows(api->store, &cf, 8, 0, NULL, vlist_row, &l, &more);
        cJSON_AddItemToObject(out, "violation", n.v);
        cJSON_AddNumberToObject(out, "lease_until", (double)n.lease_until);
    } else {
        cJSON_AddNullToObject(out, "violation");
        cJSON_AddNullToObject(out, "lease_until");
    }
    cJSON_AddItemToObject(out, "recent", recent);
    return oc_api_send_json(c, 200, out);
}

static int reason_known(const struct oc_api *api, const char *r)
{
    for (size_t i = 0; r && i < api->cfg->n_reasons; i++)
        if (strcmp(api->cfg->reasons[i], r) == 0)
            return 1;
    return 0;
}

/* {"id", "decision": "confirm"|"reject"|"skip", "reason"?, "note"?} */
enum MHD_Result oc_api_post_decision(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                     enum who who, const struct oc_user *u)
{
    enum MHD_Result ret;
    cJSON *j = oc_api_parse_body(api, rq, c, &ret);
    if (!j)
        return ret;
    const char *id = oc_api_jstr(j, "id"), *d = oc_api_jstr(j, "decision"),
               *reason = oc_api_jstr(j, "reason");
    const char *note = oc_api_jstr(j, "note");
    const char *msg = NULL;
    int reject = d && strcmp(d, "reject") == 0;
    if (!oc_api_valid_record_id(id, NULL, NULL))
        msg = "\"id\" must be a violation id";
    else if (!d || (strcmp(d, "confirm") != 0 && !reject && strcmp(d, "skip") != 0))
        msg = "\"decision\" must be confirm, reject or skip";
    else if (reject && !reason_known(api, reason))
        msg = "a rejection needs a \"reason\" from review.reasons";
    else if (!reject && reason)
        msg = "only a rejection has a \"reason\"";
    else if (reject && strcmp(reason, "other") == 0 && (!note || !*note))
        msg = "the reason \"other\" needs a \"note\"";
    else if (!oc_api_valid_opt_str(j, "note", 500))
        msg = "\"note\" must be a string of at most 500 bytes";
    if (msg) {
        cJSON_Delete(j);
        return oc_api_send_error(c, 400, msg);
    }
    enum oc_decide how = OC_DECIDE_NOTFOUND;
    const char *name = u->name[0] ? u->name : "token";
    const char *said = reject ? "reject" : strcmp(d, "confirm") == 0 ? "confirm" : "skip";
    oc_err_t e = api->store->ops->review_decide(api->store, id, name, d, reason, note,
                                                oc_api_now_ms(), &how);
    if (e == OC_OK && how == OC_DECIDE_OK) {
        char detail[600];
        snprintf(detail, sizeof detail, "%s%s%s", d, reason ? " " : "", reason ? reason : "");
        oc_api_audit(api, c, who, u, "review", id, detail);
    }
    cJSON_Delete(j);
    if (e != OC_OK)
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    switch (how) {
    case OC_DECIDE_NOTFOUND: return oc_api_send_error(c, 404, "no such violation");
    case OC_DECIDE_CONFLICT: return oc_api_send_error(c, 409, "already decided");
    case OC_DECIDE_LEASED:
        return oc_api_send_error(c, 409, "another reviewer holds this violation");
    default: break;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "decision", said);
    cJSON_AddBoolToObject(out, "repeated", how == OC_DECIDE_SAME);
    return oc_api_send_json(c, 200, out);
}

enum MHD_Result oc_api_get_review_stats(struct oc_api *api, struct MHD_Connection *c)
{
    struct oc_store_filter f;
    if (!oc_api_read_filter(c, &f))
        return oc_api_send_error(c, 400, "from, to must be ms");
    f.status = NULL;
    cJSON *out = api->store->ops->review_stats(api->store, &f);
    return out ? oc_api_send_json(c, 200, out)
               : oc_api_send_error(c, 503, "store busy or failing; retry");
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
    if (r->has_public) {
        snprintf(url, sizeof url, "%s/api/v1/evidence/%s/public", x->base, r->id);
        cJSON_ReplaceItemInObject(j, "public_url", cJSON_CreateString(url));
    }
    if (x->csv) {
        static const char *const cols[] = {"id",   "type", "code",  "camera", "location",
                                           "road", "unit", "plate", "class"};
        char ts[32], decided[32];
        snprintf(ts, sizeof ts, "%lld", (long long)r->ts);
        snprintf(decided, sizeof decided, "%lld", (long long)r->decided);
        for (size_t k = 0; k < sizeof cols / sizeof *cols; k++)
            oc_api_csv_cell(&x->buf, &x->len, &x->cap, oc_api_jstr(j, cols[k]), 0);
        oc_api_csv_cell(&x->buf, &x->len, &x->cap, ts, 0);
        oc_api_csv_cell(&x->buf, &x->len, &x->cap, r->reviewer, 0);
        oc_api_csv_cell(&x->buf, &x->len, &x->cap, decided, 0);
        oc_api_csv_cell(&x->buf, &x->len, &x->cap, url, 1);
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
enum MHD_Result oc_api_get_export(struct oc_api *api, struct MHD_Connection *c, enum who who,
                                  const struct oc_user *u)
{
    struct oc_store_filter f;
    long long limit = MAX_EXPORT;
    const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    int csv = fmt && strcmp(fmt, "csv") == 0;
    if (!oc_api_read_filter(c, &f) || !oc_api_parse_int_arg(c, "limit", 1, MAX_EXPORT, &limit) ||
        (fmt && !csv && strcmp(fmt, "jsonl") != 0))
        return oc_api_send_error(c, 400, "format csv or jsonl; from, to ms; limit 1..100000");
    f.status = "confirmed";
    const char *before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "before");
    long long bts = 0;
    const char *bid = NULL;
    if (before && *before) {
        char *end;
        bts = strtoll(before, &end, 10);
        if (*end != '|' || !oc_api_valid_record_id(end + 1, NULL, NULL))
            return oc_api_send_error(c, 400, "before: the X-Next-Before of a previous export");
        bid = end + 1;
    }
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    char base[300];
    snprintf(base, sizeof base, "%s://%s", api->cfg->insecure_http ? "http" : "https",
             host ? host : "localhost");
    struct export x = {.csv = csv, .base = base, .cap = 4096};
    x.buf = malloc(x.cap);
    if (!x.buf)
        return oc_api_send_error(c, 500, "out of memory");
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
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    }
    char detail[80];
    snprintf(detail, sizeof detail, "%s %zu rows", csv ? "csv" : "jsonl", x.n);
    oc_api_audit(api, c, who, u, "export", "confirmed", detail);
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
