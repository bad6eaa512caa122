/* The installer's live view (see oc_live.h). */
#define _GNU_SOURCE /* strdup, strncasecmp */
#include "oc_live.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ordercam/oc_scene.h"
#include "oc_live_edit.h"
#include "oc_live_web.h"

/* One camera as the listener sees it (under l->lock) and the engine thread
 * keeps it (its own fields). */
struct cam {
    char id[OC_ID_MAX + 1];
    /* published, under lock */
    char *scene;
    size_t scene_len;
    unsigned char *frame;
    size_t frame_len;
    int64_t frame_ts;
    /* set by the listener when asked for, read by the engine thread */
    _Atomic int64_t watch_until; /* monotonic ms */
    /* engine thread only */
    int64_t next_build;
    uint64_t msgs, msgs_at_rate;
    double rate;
    int64_t skew_ms;
    bool has_skew;
    int64_t last_msg_wall, last_frame_wall;
    struct oc_scene_violation viol[OC_SCENE_VIOLATIONS_MAX];
    size_t n_viol; /* ring: the newest is viol[(head + n - 1) % MAX] */
    size_t viol_head;
};

struct oc_live {
    pthread_mutex_t lock;
    struct cam *cams;
    size_t n_cams;
    char *box; /* published, under lock */
    size_t box_len;
    char *config_path, *admin_token;
    struct oc_scene *scratch; /* engine thread */
    int64_t next_box, last_rate_at;
    int64_t next_due; /* engine thread: the next time anything may be due */
};

static int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct cam *cams_new(const struct oc_config *cfg)
{
    struct cam *c = calloc(cfg->n_cameras + 1, sizeof *c);
    for (size_t i = 0; c && i < cfg->n_cameras; i++)
        snprintf(c[i].id, sizeof c[i].id, "%s", cfg->cameras[i].id);
    return c;
}

static void cams_free(struct cam *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        free(c[i].scene), free(c[i].frame);
    free(c);
}

struct oc_live *oc_live_new(const struct oc_config *cfg, const struct oc_live_opts *o)
{
    struct oc_live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    pthread_mutex_init(&l->lock, NULL);
    l->cams = cams_new(cfg);
    l->n_cams = cfg->n_cameras;
    l->scratch = malloc(sizeof *l->scratch);
    l->config_path = o->config_path ? strdup(o->config_path) : NULL;
    l->admin_token = o->admin_token ? strdup(o->admin_token) : NULL;
    if (!l->cams || !l->scratch || (o->config_path && !l->config_path) ||
        (o->admin_token && !l->admin_token)) {
        oc_live_free(l);
        return NULL;
    }
    return l;
}

void oc_live_free(struct oc_live *l)
{
    if (!l)
        return;
    cams_free(l->cams, l->n_cams);
    free(l->box);
    free(l->scratch);
    free(l->config_path);
    free(l->admin_token);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

struct oc_live *oc_live_attach(struct oc_metrics *m, const struct oc_config *cfg,
                               const struct oc_live_opts *o, const char *token)
{
    struct oc_live *l = oc_live_new(cfg, o);
    if (l && oc_metrics_set_route(m, oc_live_route, l, token) != 0) {
        oc_live_free(l);
        return NULL;
    }
    return l;
}

/* ---------------- engine thread ---------------- */

void oc_live_reconfigure(struct oc_live *l, const struct oc_config *cfg)
{
    if (!l)
        return;
    struct cam *c = cams_new(cfg);
    if (!c)
        return; /* the old list stays: at worst a camera answers 404 */
    /* what a camera of the same id had carries over (its violations too) */
    for (size_t i = 0; i < cfg->n_cameras; i++)
        for (size_t k = 0; k < l->n_cams; k++)
            if (strcmp(c[i].id, l->cams[k].id) == 0) {
                memcpy(c[i].viol, l->cams[k].viol, sizeof c[i].viol);
                c[i].n_viol = l->cams[k].n_viol;
                c[i].viol_head = l->cams[k].viol_head;
                atomic_store(&c[i].watch_until, atomic_load(&l->cams[k].watch_until));
            }
    pthread_mutex_lock(&l->lock);
    struct cam *old = l->cams;
    size_t n_old = l->n_cams;
    l->cams = c;
    l->n_cams = cfg->n_cameras;
    pthread_mutex_unlock(&l->lock);
    cams_free(old, n_old);
    l->next_box = l->next_due = 0;
}

static int64_t wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void oc_live_note_message(struct oc_live *l, const struct oc_engine *eng, int cam, int64_t rx_ms)
{
    if (!l || cam < 0 || (size_t)cam >= l->n_cams)
        return;
    struct cam *c = &l->cams[cam];
    c->msgs++;
    c->last_msg_wall = rx_ms;
    int64_t clock;
    if (oc_engine_clock(eng, cam, &clock)) {
        c->skew_ms = clock - rx_ms;
        c->has_skew = true;
    }
}

void oc_live_note_frame(struct oc_live *l, int cam, int64_t ts, const void *jpeg, size_t len)
{
    if (!l || cam < 0 || (size_t)cam >= l->n_cams)
        return;
    struct cam *c = &l->cams[cam];
    c->last_frame_wall = wall_now();
    /* copied only while someone watches: the view costs nothing otherwise */
    if (atomic_load(&c->watch_until) < mono_now())
        return;
    unsigned char *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, jpeg, len);
    pthread_mutex_lock(&l->lock);
    unsigned char *old = c->frame;
    c->frame = copy;
    c->frame_len = len;
    c->frame_ts = ts;
    pthread_mutex_unlock(&l->lock);
    free(old);
}

void oc_live_note_violation(struct oc_live *l, const struct oc_violation *v)
{
    if (!l || v->camera < 0 || (size_t)v->camera >= l->n_cams)
        return;
    struct cam *c = &l->cams[v->camera];
    size_t at = (c->viol_head + c->n_viol) % OC_SCENE_VIOLATIONS_MAX;
    if (c->n_viol == OC_SCENE_VIOLATIONS_MAX)
        c->viol_head = (c->viol_head + 1) % OC_SCENE_VIOLATIONS_MAX;
    else
        c->n_viol++;
    oc_scene_violation_from(&c->viol[at], v);
}

static void build_scene(struct oc_live *l, const struct oc_config *cfg, const struct oc_engine *eng,
                        size_t i, int64_t wall_ms)
{
    struct cam *c = &l->cams[i];
    struct oc_scene_violation v[OC_SCENE_VIOLATIONS_MAX];
    for (size_t k = 0; k < c->n_viol; k++)
        v[k] = c->viol[(c->viol_head + k) % OC_SCENE_VIOLATIONS_MAX];
    oc_scene_take(eng, (int)i, l->scratch);
    size_t len = 0;
    char *json = oc_scene_json(cfg, l->scratch, v, c->n_viol, wall_ms, &len);
    if (!json)
        return;
    pthread_mutex_lock(&l->lock);
    char *old = c->scene;
    c->scene = json;
    c->scene_len = len;
    pthread_mutex_unlock(&l->lock);
    free(old);
}

static void put_drops(cJSON *o, const struct oc_engine *eng)
{
    cJSON *d = cJSON_AddObjectToObject(o, "drops");
    for (int k = 0; d && k < OC_C__COUNT; k++) {
        uint64_t n = oc_engine_counter(eng, (enum oc_counter)k);
        if (oc_counter_is_drop((enum oc_counter)k) && n)
            cJSON_AddNumberToObject(d, oc_counter_reason((enum oc_counter)k), (double)n);
    }
}

static void build_box(struct oc_live *l, const struct oc_config *cfg, const struct oc_engine *eng,
                      int64_t mono_ms, int64_t wall_ms)
{
    double dt = l->last_rate_at ? (double)(mono_ms - l->last_rate_at) / 1000.0 : 0;
    l->last_rate_at = mono_ms;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return;
    cJSON_AddStringToObject(o, "box", cfg->box_id);
    cJSON_AddNumberToObject(o, "box_time", (double)wall_ms);
    cJSON *a = cJSON_AddArrayToObject(o, "cameras");
    for (size_t i = 0; a && i < l->n_cams && i < cfg->n_cameras; i++) {
        struct cam *c = &l->cams[i];
        const struct oc_camera_cfg *cc = &cfg->cameras[i];
        if (dt > 0)
            c->rate = (double)(c->msgs - c->msgs_at_rate) / dt;
        c->msgs_at_rate = c->msgs;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToArray(a, j);
        cJSON_AddStringToObject(j, "id", cc->id);
        cJSON_AddNumberToObject(j, "width", cc->width);
        cJSON_AddNumberToObject(j, "height", cc->height);
        if (cc->location)
            cJSON_AddStringToObject(j, "location", cc->location);
        if (cc->road)
            cJSON_AddStringToObject(j, "road", cc->road);
        cJSON_AddNumberToObject(j, "messages_total", (double)c->msgs);
        cJSON_AddNumberToObject(j, "messages_per_s", c->rate);
        if (c->has_skew)
            cJSON_AddNumberToObject(j, "clock_skew_ms", (double)c->skew_ms);
        else
            cJSON_AddNullToObject(j, "clock_skew_ms");
        if (c->last_msg_wall)
            cJSON_AddNumberToObject(j, "last_message_age_s",
                                    (double)(wall_ms - c->last_msg_wall) / 1000.0);
        else
            cJSON_AddNullToObject(j, "last_message_age_s");
        if (c->last_frame_wall)
            cJSON_AddNumberToObject(j, "last_frame_age_s",
                                    (double)(wall_ms - c->last_frame_wall) / 1000.0);
        else
            cJSON_AddNullToObject(j, "last_frame_age_s");
        cJSON_AddNumberToObject(j, "tracks", (double)oc_engine_camera_tracks(eng, (int)i));
        cJSON_AddNumberToObject(j, "violations_shown", (double)c->n_viol);
    }
    put_drops(o, eng);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return;
    pthread_mutex_lock(&l->lock);
    char *old = l->box;
    l->box = s;
    l->box_len = strlen(s);
    pthread_mutex_unlock(&l->lock);
    free(old);
}

void oc_live_poll(struct oc_live *l, const struct oc_config *cfg, const struct oc_engine *eng,
                  int64_t mono_ms, int64_t wall_ms)
{
    /* called per message: one comparison when nothing is due */
    if (!l || mono_ms < l->next_due)
        return;
    l->next_due = mono_ms + OC_LIVE_WATCHED_MS;
    for (size_t i = 0; i < l->n_cams && i < cfg->n_cameras; i++) {
        struct cam *c = &l->cams[i];
        bool watched = atomic_load(&c->watch_until) >= mono_ms;
        if (mono_ms < c->next_build && !(watched && c->next_build - mono_ms > OC_LIVE_WATCHED_MS))
            continue;
        c->next_build = mono_ms + (watched ? OC_LIVE_WATCHED_MS : OC_LIVE_IDLE_MS);
        build_scene(l, cfg, eng, i, wall_ms);
    }
    if (mono_ms >= l->next_box) {
        l->next_box = mono_ms + OC_LIVE_IDLE_MS;
        build_box(l, cfg, eng, mono_ms, wall_ms);
    }
}

/* ---------------- listener thread ---------------- */

#define JSON_TYPE "application/json"

static int text(struct oc_http_resp *r, unsigned status, const char *type, const char *s)
{
    r->status = status;
    r->type = type;
    r->len = strlen(s);
    r->body = strdup(s);
    if (!r->body)
        r->len = 0, r->status = 500;
    return 1;
}

static int blob(struct oc_http_resp *r, const char *type, const void *data, size_t len)
{
    r->status = 200;
    r->type = type;
    r->body = malloc(len ? len : 1);
    if (!r->body)
        return text(r, 500, JSON_TYPE, "{\"error\":\"out of memory\"}");
    memcpy(r->body, data, len);
    r->len = len;
    return 1;
}

static int asset(struct oc_http_resp *r, const struct oc_web_asset *a)
{
    return blob(r, a->type, a->data, a->len);
}

/* Copies the published blob of camera id (scene or frame) into r, or 404. */
static int camera_blob(struct oc_live *l, const char *id, size_t idlen, bool frame,
                       struct oc_http_resp *r)
{
    pthread_mutex_lock(&l->lock);
    struct cam *c = NULL;
    for (size_t i = 0; i < l->n_cams; i++)
        if (strlen(l->cams[i].id) == idlen && memcmp(l->cams[i].id, id, idlen) == 0)
            c = &l->cams[i];
    if (!c) {
        pthread_mutex_unlock(&l->lock);
        return text(r, 404, JSON_TYPE, "{\"error\":\"no such camera\"}");
    }
    atomic_store(&c->watch_until, mono_now() + OC_LIVE_WATCH_MS);
    int rc;
    if (frame && c->frame) {
        rc = blob(r, "image/jpeg", c->frame, c->frame_len);
        snprintf(r->headers, sizeof r->headers, "X-Frame-Ts: %" PRId64 "\r\n", c->frame_ts);
    } else if (frame) {
        rc = text(r, 404, JSON_TYPE, "{\"error\":\"no frame yet\"}");
    } else if (c->scene) {
        rc = blob(r, JSON_TYPE, c->scene, c->scene_len);
    } else {
        rc = text(r, 503, JSON_TYPE, "{\"error\":\"starting\"}");
    }
    pthread_mutex_unlock(&l->lock);
    return rc;
}

static int box_blob(struct oc_live *l, struct oc_http_resp *r)
{
    pthread_mutex_lock(&l->lock);
    int rc = l->box ? blob(r, JSON_TYPE, l->box, l->box_len)
                    : text(r, 503, JSON_TYPE, "{\"error\":\"starting\"}");
    pthread_mutex_unlock(&l->lock);
    return rc;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* /api/v1/cameras/<id>/<what>: the id and what. */
static bool camera_path(const char *path, const char **id, size_t *idlen, const char **what)
{
    const char *p = path + strlen("/api/v1/cameras/");
    const char *slash = strchr(p, '/');
    if (!slash || slash == p)
        return false;
    *id = p;
    *idlen = (size_t)(slash - p);
    *what = slash + 1;
    return true;
}

static int route_api(struct oc_live *l, const struct oc_http_req *q, struct oc_http_resp *r)
{
    bool get = strcmp(q->method, "GET") == 0, post = strcmp(q->method, "POST") == 0;
    if (strcmp(q->path, "/api/v1/cameras") == 0)
        return get ? box_blob(l, r) : text(r, 405, JSON_TYPE, "{\"error\":\"GET only\"}");
    const char *id, *what;
    size_t idlen;
    if (!starts(q->path, "/api/v1/cameras/") || !camera_path(q->path, &id, &idlen, &what))
        return 0;
    if (get && strcmp(what, "scene") == 0)
        return camera_blob(l, id, idlen, false, r);
    if (get && strcmp(what, "frame.jpg") == 0)
        return camera_blob(l, id, idlen, true, r);
    char cid[OC_ID_MAX + 1];
    if (idlen >= sizeof cid)
        return text(r, 404, JSON_TYPE, "{\"error\":\"no such camera\"}");
    memcpy(cid, id, idlen);
    cid[idlen] = '\0';
    struct oc_live_edit_in in = {
        .config_path = l->config_path, .admin_token = l->admin_token, .camera = cid, .req = q};
    if (get && strcmp(what, "config") == 0)
        return oc_live_edit_section(&in, r);
    if (post && strcmp(what, "validate") == 0)
        return oc_live_edit_validate(&in, r);
    if (post && strcmp(what, "apply") == 0)
        return oc_live_edit_apply(&in, r);
    return 0;
}

int oc_live_route(void *ud, const struct oc_http_req *q, struct oc_http_resp *r)
{
    struct oc_live *l = ud;
    if (starts(q->path, "/api/v1/"))
        return route_api(l, q, r);
    if (strcmp(q->method, "GET") != 0)
        return 0;
    if (strcmp(q->path, "/live") == 0 || strcmp(q->path, "/live/") == 0 ||
        strcmp(q->path, "/live/index.html") == 0)
        return asset(r, &oc_live_web_html);
    if (strcmp(q->path, "/live/live.js") == 0)
        return asset(r, &oc_live_web_js);
    if (strcmp(q->path, "/live/live.css") == 0)
        return asset(r, &oc_live_web_css);
    return 0;
}
