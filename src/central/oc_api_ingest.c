/* Writes from boxes: POST /api/v1/tallies and /api/v1/violations
 * (validation, signatures, the store). */
#include "oc_api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_record.h"
#include "oc_sigcheck.h"

#define MAX_BATCH 10000
#define MAX_TALLY_ROWS 100000

static const char *body_box(const cJSON *j, const char *token_box, unsigned *status)
{
    const char *box = oc_api_jstr(j, "box");
    if (!oc_api_valid_id(box)) {
        *status = 400;
        return NULL;
    }
    if (strcmp(box, token_box) != 0) {
        *status = 403;
        return NULL;
    }
    return box;
}

enum MHD_Result oc_api_post_tallies(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                    const char *token_box)
{
    enum MHD_Result ret;
    cJSON *j = oc_api_parse_body(api, rq, c, &ret);
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
        return oc_api_send_error(c, status == 403 ? 403 : 400, msg);
    }
    size_t n = (size_t)cJSON_GetArraySize(tallies),
           nc = cams ? (size_t)cJSON_GetArraySize(cams) : 0;
    struct oc_tally_in *t = calloc(n + 1, sizeof *t);
    struct oc_camera_in *ci = calloc(nc + 1, sizeof *ci);
    char why[200] = "";
    size_t i = 0, bad = 0;
    int64_t latest = oc_api_now_ms() + (int64_t)api->cfg->max_future_s * 1000;
    for (const cJSON *r = tallies->child; r && t; r = r->next, i++) {
        t[i].camera = oc_api_jstr(r, "camera");
        t[i].type = oc_api_jstr(r, "type");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(r, "bucket");
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "count");
        const cJSON *rev = cJSON_GetObjectItemCaseSensitive(r, "rev");
        if (!oc_api_valid_id(t[i].camera) || !oc_record_type_name_ok(t[i].type) ||
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
        ci[i].id = oc_api_jstr(r, "id");
        ci[i].location = oc_api_jstr(r, "location");
        ci[i].road = oc_api_jstr(r, "road");
        ci[i].unit = oc_api_jstr(r, "unit");
        if (!oc_api_valid_id(ci[i].id) || !oc_api_valid_opt_str(r, "location", 512) ||
            !oc_api_valid_opt_str(r, "road", 512) || !oc_api_valid_opt_str(r, "unit", 512)) {
            snprintf(why, sizeof why, "cameras[%zu]: needs an id and string location, road, unit",
                     i);
            bad = i;
        }
    }
    if (!t || !ci) {
        ret = oc_api_send_error(c, 500, "out of memory");
    } else if (why[0]) {
        ret = oc_api_send_error_at(api, c, why, bad);
    } else {
        oc_err_t e = api->store->ops->put_tallies(
            api->store, box, cJSON_IsString(version) ? version->valuestring : NULL,
            backlog ? (int64_t)backlog->valuedouble : -1, oc_api_now_ms(), t, n, ci, nc, NULL);
        if (e != OC_OK) {
            ret = oc_api_send_error(c, 503, "store busy or failing; retry");
        } else {
            cJSON *out = cJSON_CreateObject();
            cJSON_AddNumberToObject(out, "upserted", (double)n);
            ret = oc_api_send_json(c, 200, out);
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

enum MHD_Result oc_api_post_violations(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                       const char *token_box)
{
    enum MHD_Result ret;
    cJSON *j = oc_api_parse_body(api, rq, c, &ret);
    if (!j)
        return ret;
    unsigned status = 0;
    const char *box = body_box(j, token_box, &status);
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(j, "violations");
    if (!box) {
        cJSON_Delete(j);
        return oc_api_send_error(c, status == 403 ? 403 : 400,
                                 status == 403 ? "a box token may only write its own box"
                                               : "\"box\" must be a box id");
    }
    if (!cJSON_IsArray(recs) || cJSON_GetArraySize(recs) > MAX_BATCH) {
        cJSON_Delete(j);
        return oc_api_send_error(c, 400,
                                 "\"violations\" must be an array of at most 10000 records");
    }
    int64_t latest = oc_api_now_ms() + (int64_t)api->cfg->max_future_s * 1000;
    size_t i = 0;
    for (const cJSON *r = recs->child; r; r = r->next, i++) {
        char why[160], msg[200];
        if (!oc_record_validate(r, box, why, sizeof why)) {
            snprintf(msg, sizeof msg, "violations[%zu]: %s", i, why);
            cJSON_Delete(j);
            return oc_api_send_error_at(api, c, msg, i);
        }
        if (!sig_ok(api, box, (cJSON *)r, i, msg, sizeof msg)) {
            cJSON_Delete(j);
            return oc_api_send_error_at(api, c, msg, i);
        }
        if (cJSON_GetObjectItemCaseSensitive(r, "ts")->valuedouble > (double)latest) {
            snprintf(msg, sizeof msg,
                     "violations[%zu]: \"ts\" is more than %d s ahead of central's clock", i,
                     api->cfg->max_future_s);
            cJSON_Delete(j);
            return oc_api_send_error_at(api, c, msg, i);
        }
    }
    struct oc_insert_result res;
    oc_err_t e = api->store->ops->put_violations(api->store, box, oc_api_now_ms(), recs, &res);
    cJSON_Delete(j);
    if (e != OC_OK)
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "inserted", (double)res.inserted);
    cJSON_AddNumberToObject(out, "duplicates", (double)res.duplicates);
    return oc_api_send_json(c, 200, out);
}
