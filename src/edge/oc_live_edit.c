/* The zone editor's server side (see oc_live_edit.h). */
#define _GNU_SOURCE /* strdup */
#include "oc_live_edit.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_cfgread.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_json.h"
#include "oc_ecfg.h"

#define JSON_TYPE "application/json"

/* r takes ownership of o. */
static int json(struct oc_http_resp *r, unsigned status, cJSON *o)
{
    r->status = status;
    r->type = JSON_TYPE;
    r->body = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!r->body) {
        r->status = 500;
        r->body = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
    }
    r->len = r->body ? strlen(r->body) : 0;
    return 1;
}

static int fail(struct oc_http_resp *r, unsigned status, const char *msg, const char *path)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", false);
    cJSON_AddStringToObject(o, "error", msg);
    if (path)
        cJSON_AddStringToObject(o, "path", path);
    return json(r, status, o);
}

/* The file's tree (comments dropped) and the index of the camera in its
 * cameras array; NULL with the reason answered. */
static cJSON *read_tree(const struct oc_live_edit_in *in, int *idx, struct oc_http_resp *r)
{
    char err[768];
    struct oc_cfgread rd;
    if (!in->config_path) {
        fail(r, 500, "no config file", NULL);
        return NULL;
    }
    oc_cfgread_init(&rd, in->config_path, err, sizeof err);
    cJSON *root = oc_cfgread_file(&rd, in->config_path);
    if (!root) {
        fail(r, 500, err, NULL);
        return NULL;
    }
    cJSON *cams = cJSON_GetObjectItemCaseSensitive(root, "cameras");
    int i = 0;
    for (cJSON *c = cJSON_IsArray(cams) ? cams->child : NULL; c; c = c->next, i++) {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        if (cJSON_IsString(id) && strcmp(id->valuestring, in->camera) == 0) {
            *idx = i;
            return root;
        }
    }
    cJSON_Delete(root);
    fail(r, 404, "no such camera in the config file", NULL);
    return NULL;
}

int oc_live_edit_section(const struct oc_live_edit_in *in, struct oc_http_resp *r)
{
    int idx;
    cJSON *root = read_tree(in, &idx, r);
    if (!root)
        return 1;
    cJSON *cam = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(root, "cameras"), idx);
    cJSON_Delete(root);
    r->status = 200;
    r->type = JSON_TYPE;
    r->body = cJSON_Print(cam);
    cJSON_Delete(cam);
    if (!r->body)
        return fail(r, 500, "out of memory", NULL);
    r->len = strlen(r->body);
    return 1;
}

/* "NAME: $.cameras[2].zones[0].polygon: problem": the path after the name,
 * made relative to the section ("$.zones[0].polygon"). */
static void error_path(const char *err, const char *name, char *path, size_t cap)
{
    path[0] = '\0';
    size_t nl = strlen(name);
    const char *p =
        strncmp(err, name, nl) == 0 && strncmp(err + nl, ": $", 3) == 0 ? err + nl + 2 : NULL;
    if (!p)
        return;
    const char *end = strstr(p, ": ");
    size_t n = end ? (size_t)(end - p) : strlen(p);
    const char *cam = strncmp(p, "$.cameras[", 10) == 0 ? strchr(p, ']') : NULL;
    if (cam && (size_t)(cam - p) < n) {
        snprintf(path, cap, "$%.*s", (int)(n - (size_t)(cam + 1 - p)), cam + 1);
        return;
    }
    snprintf(path, cap, "%.*s", (int)n, p);
}

/* The file's tree with the camera's section replaced by the body, judged
 * by the loader: the tree, or NULL with the reason answered. */
static cJSON *judge(const struct oc_live_edit_in *in, struct oc_http_resp *r)
{
    const struct oc_http_req *q = in->req;
    cJSON *sec = NULL;
    struct oc_json_error je;
    if (!q->body || oc_json_parse(q->body, q->body_len, OC_METRICS_BODY_MAX, OC_JSON_MAX_DEPTH,
                                  &sec, &je) != OC_JSON_OK) {
        char msg[256] = "a camera section (a JSON object) is expected";
        if (q->body)
            oc_json_describe(&je, msg, sizeof msg);
        fail(r, 400, msg, NULL);
        return NULL;
    }
    cJSON *id = cJSON_GetObjectItemCaseSensitive(sec, "id");
    if (!cJSON_IsObject(sec) || !cJSON_IsString(id) || strcmp(id->valuestring, in->camera) != 0) {
        cJSON_Delete(sec);
        fail(r, 422, "the section must keep the camera's id", "$.id");
        return NULL;
    }
    int idx;
    cJSON *root = read_tree(in, &idx, r);
    if (!root) {
        cJSON_Delete(sec);
        return NULL;
    }
    cJSON_ReplaceItemInArray(cJSON_GetObjectItemCaseSensitive(root, "cameras"), idx, sec);
    char *text = cJSON_PrintUnformatted(root);
    char err[768];
    struct oc_ecfg *cfg =
        text ? oc_ecfg_parse(text, strlen(text), in->config_path, err, sizeof err) : NULL;
    free(text);
    if (!cfg) {
        char path[512];
        if (!text)
            snprintf(err, sizeof err, "out of memory");
        error_path(err, in->config_path, path, sizeof path);
        fail(r, 422, err, path[0] ? path : NULL);
        cJSON_Delete(root);
        return NULL;
    }
    oc_ecfg_free(cfg);
    return root;
}

int oc_live_edit_validate(const struct oc_live_edit_in *in, struct oc_http_resp *r)
{
    cJSON *root = judge(in, r);
    if (!root)
        return 1;
    cJSON_Delete(root);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", true);
    return json(r, 200, o);
}

/* Constant time in the length of the expected token. */
static bool token_equal(const char *want, const char *got)
{
    size_t wl = strlen(want), gl = strlen(got);
    unsigned char d = wl != gl;
    for (size_t i = 0; i < wl; i++)
        d |= (unsigned char)(want[i] ^ (i < gl ? got[i] : 0));
    return d == 0;
}

int oc_live_edit_apply(const struct oc_live_edit_in *in, struct oc_http_resp *r)
{
    if (!in->admin_token)
        return fail(r, 403, "applying is off: metrics.admin_token is not set", NULL);
    char got[300];
    if (!oc_http_header(in->req->head, in->req->head_len, "X-Admin-Token", got, sizeof got) ||
        !token_equal(in->admin_token, got))
        return fail(r, 403, "the admin token is missing or wrong", NULL);
    cJSON *root = judge(in, r);
    if (!root)
        return 1;
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return fail(r, 500, "out of memory", NULL);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", in->config_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    size_t n = strlen(text);
    text[n] = '\n'; /* cJSON_Print's buffer has room for its NUL: the newline takes it */
    int rc = oc_io_write_atomic(dir, in->config_path, text, n + 1);
    int e = errno;
    free(text);
    if (rc != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "cannot write %s: %s", in->config_path, strerror(e));
        return fail(r, 500, msg, NULL);
    }
    kill(getpid(), SIGHUP); /* the ordinary reload path */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", true);
    cJSON_AddBoolToObject(o, "applied", true);
    return json(r, 200, o);
}
