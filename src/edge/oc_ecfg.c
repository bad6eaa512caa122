/* ordercamd's sections of the config file, over core's strict reader. */
#include "oc_ecfg.h"

#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_cfgread.h"

/* The top-level sections read by this layer and oc_evcfg, which core
 * admits beside the scene's. */
static const char *const layer_keys[] = {"central", "spool", "evidence", "metrics", NULL};

static bool dup_default(struct oc_cfgread *r, char **s, const char *def)
{
    if (!*s && !(*s = strdup(def)))
        return oc_cfgread_fail(r, "out of memory");
    return true;
}

static bool read_mqtt(struct oc_cfgread *r, const cJSON *root, struct oc_mqtt_cfg *mq,
                      const char *box_id)
{
    static const char *const keys[] = {"host",        "port",     "topic_prefix",  "qos",
                                       "client_id",   "username", "password_file", "tls",
                                       "keepalive_s", NULL};
    static const char *const tls_keys[] = {"ca_file", "cert_file", "key_file", NULL};
    const cJSON *m, *tls = NULL;
    mq->port = 1883;
    mq->qos = 1;
    mq->keepalive_s = 30;
    if (!oc_cfgread_object(r, root, "mqtt", &m))
        return false;
    if (m) {
        size_t o1 = oc_cfgread_push_key(r, "mqtt");
        if (!oc_cfgread_keys(r, m, keys) || !oc_cfgread_str(r, m, "host", false, &mq->host) ||
            !oc_cfgread_int(r, m, "port", 1, 65535, &mq->port) ||
            !oc_cfgread_int(r, m, "qos", 0, 2, &mq->qos) ||
            !oc_cfgread_int(r, m, "keepalive_s", 5, 3600, &mq->keepalive_s) ||
            !oc_cfgread_str(r, m, "client_id", false, &mq->client_id) ||
            !oc_cfgread_str(r, m, "username", false, &mq->username) ||
            !oc_cfgread_str(r, m, "password_file", false, &mq->password_file) ||
            !oc_cfgread_object(r, m, "tls", &tls))
            return false;
        if (tls) {
            oc_cfgread_push_key(r, "tls");
            if (!oc_cfgread_keys(r, tls, tls_keys) ||
                !oc_cfgread_str(r, tls, "ca_file", false, &mq->ca_file) ||
                !oc_cfgread_str(r, tls, "cert_file", false, &mq->cert_file) ||
                !oc_cfgread_str(r, tls, "key_file", false, &mq->key_file))
                return false;
        }
        oc_cfgread_pop(r, o1);
    }
    return dup_default(r, &mq->host, "127.0.0.1") && dup_default(r, &mq->client_id, box_id);
}

static bool read_central(struct oc_cfgread *r, const cJSON *root, struct oc_central_cfg *ce)
{
    static const char *const keys[] = {"url",
                                       "token_file",
                                       "ca_file",
                                       "cert_file",
                                       "key_file",
                                       "push_interval_s",
                                       "insecure_skip_verify",
                                       NULL};
    const cJSON *o;
    ce->push_interval_s = 10;
    if (!oc_cfgread_object(r, root, "central", &o))
        return false;
    if (!o)
        return true;
    size_t o1 = oc_cfgread_push_key(r, "central");
    if (!oc_cfgread_keys(r, o, keys) || !oc_cfgread_str(r, o, "url", false, &ce->url) ||
        !oc_cfgread_str(r, o, "token_file", false, &ce->token_file) ||
        !oc_cfgread_str(r, o, "ca_file", false, &ce->ca_file) ||
        !oc_cfgread_str(r, o, "cert_file", false, &ce->cert_file) ||
        !oc_cfgread_str(r, o, "key_file", false, &ce->key_file) ||
        !oc_cfgread_int(r, o, "push_interval_s", 1, 86400, &ce->push_interval_s) ||
        !oc_cfgread_bool(r, o, "insecure_skip_verify", &ce->insecure_skip_verify))
        return false;
    oc_cfgread_pop(r, o1);
    return true;
}

/* A token: 16..256 printable ASCII characters without spaces. */
static bool read_token(struct oc_cfgread *r, const cJSON *o, const char *key, char **out)
{
    if (!oc_cfgread_str(r, o, key, false, out))
        return false;
    if (!*out)
        return true;
    size_t n = strlen(*out);
    bool ok = n >= 16 && n <= 256;
    for (size_t i = 0; ok && i < n; i++)
        ok = (*out)[i] > 0x20 && (*out)[i] < 0x7f;
    if (!ok) {
        size_t o1 = oc_cfgread_push_key(r, key);
        oc_cfgread_fail(r, "a token is 16 to 256 printable ASCII characters without spaces");
        oc_cfgread_pop(r, o1);
    }
    return ok;
}

/* The listen address's host is loopback: 127.0.0.0/8, ::1 or localhost. */
static bool loopback_host(const char *listen)
{
    const char *colon = strrchr(listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
    if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']')
        return n - 2 == 3 && strncmp(listen + 1, "::1", 3) == 0;
    if (n == 9 && strncmp(listen, "localhost", 9) == 0)
        return true;
    if (n < 4 || strncmp(listen, "127.", 4) != 0)
        return false;
    for (size_t i = 4; i < n; i++)
        if (!((listen[i] >= '0' && listen[i] <= '9') || listen[i] == '.'))
            return false;
    return true;
}

/* The listener serves the live view (camera frames, the editor): off
 * loopback it needs a token. */
static bool check_exposure(struct oc_cfgread *r, const struct oc_ecfg *cfg)
{
    if (!cfg->metrics_listen || cfg->metrics_token || loopback_host(cfg->metrics_listen))
        return true;
    size_t o1 = oc_cfgread_push_key(r, "listen");
    oc_cfgread_fail(r,
                    "%s is not a loopback address: set metrics.token (the listener serves the "
                    "cameras' pictures)",
                    cfg->metrics_listen);
    oc_cfgread_pop(r, o1);
    return false;
}

static bool read_spool_metrics(struct oc_cfgread *r, const cJSON *root, struct oc_ecfg *cfg)
{
    static const char *const spool_keys[] = {"dir", "max_mb", "snapshot_s", NULL};
    static const char *const metrics_keys[] = {"listen", "token", "admin_token", NULL};
    const cJSON *o;
    size_t o1;
    cfg->spool_max_mb = 2048;
    cfg->snapshot_s = 60;
    if (!oc_cfgread_object(r, root, "spool", &o))
        return false;
    if (o) {
        o1 = oc_cfgread_push_key(r, "spool");
        if (!oc_cfgread_keys(r, o, spool_keys) ||
            !oc_cfgread_str(r, o, "dir", false, &cfg->spool_dir) ||
            !oc_cfgread_int(r, o, "max_mb", 1, 1 << 24, &cfg->spool_max_mb) ||
            !oc_cfgread_int(r, o, "snapshot_s", 1, 86400, &cfg->snapshot_s))
            return false;
        oc_cfgread_pop(r, o1);
    }
    if (!dup_default(r, &cfg->spool_dir, "/var/lib/ordercam"))
        return false;
    if (!oc_cfgread_object(r, root, "metrics", &o))
        return false;
    if (o) {
        o1 = oc_cfgread_push_key(r, "metrics");
        if (!oc_cfgread_keys(r, o, metrics_keys) ||
            !oc_cfgread_str(r, o, "listen", false, &cfg->metrics_listen) ||
            !read_token(r, o, "token", &cfg->metrics_token) ||
            !read_token(r, o, "admin_token", &cfg->metrics_admin_token) || !check_exposure(r, cfg))
            return false;
        oc_cfgread_pop(r, o1);
    }
    return true;
}

/* limits is core's section (it checked the keys); the queue is ours. */
static bool read_rx_limits(struct oc_cfgread *r, const cJSON *root, struct oc_ecfg *cfg)
{
    int msgs = 65536, mb = 64;
    const cJSON *o;
    if (!oc_cfgread_object(r, root, "limits", &o))
        return false;
    if (o) {
        size_t o1 = oc_cfgread_push_key(r, "limits");
        if (!oc_cfgread_int(r, o, "rx_queue_msgs", 16, 1 << 24, &msgs) ||
            !oc_cfgread_int(r, o, "rx_queue_mb", 1, 4096, &mb))
            return false;
        oc_cfgread_pop(r, o1);
    }
    cfg->rx_queue_msgs = (size_t)msgs;
    cfg->rx_queue_bytes = (size_t)mb << 20;
    return true;
}

/* One camera's "frames": where ordercamd gets frames other than MQTT. */
static bool read_frames(struct oc_cfgread *r, const cJSON *jc, struct oc_snapshot_cfg *s)
{
    static const char *const keys[] = {
        "snapshot_url", "snapshot_fps", "username", "password_file",        "auth",
        "timeout_ms",   "latency_ms",   "ca_file",  "insecure_skip_verify", NULL};
    static const char *const auths[] = {"any", "basic", "digest"};
    const cJSON *f;
    s->fps = 2;
    s->timeout_ms = 2000;
    if (!oc_cfgread_object(r, jc, "frames", &f))
        return false;
    if (!f)
        return true;
    size_t o1 = oc_cfgread_push_key(r, "frames");
    char *auth = NULL;
    if (!oc_cfgread_keys(r, f, keys) || !oc_cfgread_str(r, f, "snapshot_url", true, &s->url) ||
        !oc_cfgread_num(r, f, "snapshot_fps", 0.1, 25, false, &s->fps) ||
        !oc_cfgread_str(r, f, "username", false, &s->username) ||
        !oc_cfgread_str(r, f, "password_file", false, &s->password_file) ||
        !oc_cfgread_int(r, f, "timeout_ms", 100, 60000, &s->timeout_ms) ||
        !oc_cfgread_int(r, f, "latency_ms", 0, 10000, &s->latency_ms) ||
        !oc_cfgread_str(r, f, "ca_file", false, &s->ca_file) ||
        !oc_cfgread_bool(r, f, "insecure_skip_verify", &s->insecure_skip_verify) ||
        !oc_cfgread_str(r, f, "auth", false, &auth))
        return false;
    bool ok = true;
    if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0) {
        oc_cfgread_push_key(r, "snapshot_url");
        ok = oc_cfgread_fail(r, "must be an http:// or https:// URL");
    } else if (auth) {
        size_t i = 0;
        while (i < 3 && strcmp(auths[i], auth) != 0)
            i++;
        oc_cfgread_push_key(r, "auth");
        ok = i < 3 ? true : oc_cfgread_fail(r, "must be \"any\", \"basic\" or \"digest\"");
        s->auth = i < 3 ? (enum oc_snap_auth)i : OC_SNAP_AUTH_ANY;
    }
    free(auth);
    if (ok)
        oc_cfgread_pop(r, o1);
    return ok;
}

/* Every camera's "frames" (core read the cameras and admits the key). */
static bool read_snapshots(struct oc_cfgread *r, const cJSON *root, struct oc_ecfg *cfg)
{
    size_t n = cfg->scene->n_cameras;
    cfg->snap = calloc(n ? n : 1, sizeof *cfg->snap);
    if (!cfg->snap)
        return oc_cfgread_fail(r, "out of memory");
    const cJSON *cams = cJSON_GetObjectItemCaseSensitive(root, "cameras");
    size_t o1 = oc_cfgread_push_key(r, "cameras");
    for (size_t i = 0; i < n; i++) {
        size_t o2 = oc_cfgread_push_idx(r, i);
        if (!read_frames(r, cJSON_GetArrayItem(cams, (int)i), &cfg->snap[i]))
            return false;
        oc_cfgread_pop(r, o2);
    }
    oc_cfgread_pop(r, o1);
    return true;
}

static struct oc_ecfg *read_all(struct oc_cfgread *r, const cJSON *root)
{
    struct oc_ecfg *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        oc_cfgread_fail(r, "out of memory");
        return NULL;
    }
    cfg->scene = oc_config_read(r, root, layer_keys);
    bool ok = cfg->scene && read_mqtt(r, root, &cfg->mqtt, cfg->scene->box_id) &&
              read_central(r, root, &cfg->central) && read_spool_metrics(r, root, cfg) &&
              oc_evcfg_read(r, root, &cfg->evidence) && read_rx_limits(r, root, cfg) &&
              read_snapshots(r, root, cfg);
    if (!ok) {
        oc_ecfg_free(cfg);
        return NULL;
    }
    return cfg;
}

struct oc_ecfg *oc_ecfg_parse(const char *text, size_t len, const char *name, char *err,
                              size_t errlen)
{
    struct oc_cfgread r;
    oc_cfgread_init(&r, name, err, errlen);
    cJSON *root = oc_cfgread_text(&r, text, len);
    struct oc_ecfg *cfg = root ? read_all(&r, root) : NULL;
    cJSON_Delete(root);
    return cfg;
}

struct oc_ecfg *oc_ecfg_load(const char *path, char *err, size_t errlen)
{
    struct oc_cfgread r;
    oc_cfgread_init(&r, path, err, errlen);
    cJSON *root = oc_cfgread_file(&r, path);
    struct oc_ecfg *cfg = root ? read_all(&r, root) : NULL;
    cJSON_Delete(root);
    return cfg;
}

void oc_ecfg_free(struct oc_ecfg *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; cfg->snap && i < cfg->scene->n_cameras; i++) {
        struct oc_snapshot_cfg *s = &cfg->snap[i];
        free(s->url), free(s->username), free(s->password_file), free(s->ca_file);
    }
    free(cfg->snap);
    oc_config_free(cfg->scene); /* after snap: its size is the scene's */
    oc_evcfg_free(&cfg->evidence);
    struct oc_mqtt_cfg *m = &cfg->mqtt;
    free(m->host), free(m->client_id), free(m->username), free(m->password_file);
    free(m->ca_file), free(m->cert_file), free(m->key_file);
    struct oc_central_cfg *c = &cfg->central;
    free(c->url), free(c->token_file), free(c->ca_file), free(c->cert_file), free(c->key_file);
    free(cfg->spool_dir);
    free(cfg->metrics_listen);
    free(cfg->metrics_token);
    free(cfg->metrics_admin_token);
    free(cfg);
}
