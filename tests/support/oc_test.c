#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void keep(void *ud, const struct oc_violation *v)
{
    struct t_env *env = ud;
    assert_true(env->n < T_MAX_REC);
    struct t_rec *r = &env->rec[env->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->type, sizeof r->type, "%s", v->type);
    snprintf(r->camera, sizeof r->camera, "%s", v->camera_id);
    snprintf(r->track, sizeof r->track, "%s", v->track ? v->track : "");
    snprintf(r->zone, sizeof r->zone, "%s", v->zone ? v->zone : "");
    snprintf(r->line, sizeof r->line, "%s", v->line ? v->line : "");
    snprintf(r->cls, sizeof r->cls, "%s", v->cls ? v->cls : "");
    snprintf(r->plate, sizeof r->plate, "%s", v->plate ? v->plate : "");
    r->ts = v->ts;
    r->ts_start = v->ts_start;
    r->bucket = v->bucket;
    r->seq = v->seq;
    r->n_keys = v->n_keys;
    memcpy(r->key_ts, v->key_ts, sizeof r->key_ts);
    memcpy(r->key_box, v->key_box, sizeof r->key_box);
    r->signal_state = v->signal_state;
    r->red_elapsed_ms = v->red_elapsed_ms;
    memcpy(r->key_sig, v->key_sig, sizeof r->key_sig);
    memcpy(r->key_sig_ms, v->key_sig_ms, sizeof r->key_sig_ms);
    snprintf(r->signal, sizeof r->signal, "%s", v->signal ? v->signal : "");
}

static const struct oc_engine_sink sink = {.violation = keep};

struct oc_config *t_config(const char *cfg_json)
{
    char err[512];
    struct oc_config *cfg =
        oc_config_parse(cfg_json, strlen(cfg_json), "test.json", err, sizeof err);
    if (!cfg)
        fail_msg("config refused: %s", err);
    return cfg;
}

struct t_env *t_env_new(const char *cfg_json)
{
    struct t_env *env = calloc(1, sizeof *env);
    assert_non_null(env);
    env->cfg = t_config(cfg_json);
    env->eng = oc_engine_new(env->cfg, &sink, env);
    assert_non_null(env->eng);
    return env;
}

void t_env_free(struct t_env *env)
{
    oc_engine_free(env->eng);
    oc_config_free(env->cfg);
    free(env);
}

void t_feed(struct t_env *env, const char *suffix, const char *fmt, ...)
{
    char topic[256], payload[8192];
    snprintf(topic, sizeof topic, "ordercam/%s", suffix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(payload, sizeof payload, fmt, ap);
    va_end(ap);
    oc_engine_feed(env->eng, topic, strlen(topic), payload, strlen(payload));
}

void t_obj(struct t_env *env, const char *cam, int64_t ts, const char *id, const char *cls,
           double x, double y, double w, double h, const char *attrs)
{
    char suffix[128];
    snprintf(suffix, sizeof suffix, "cameras/%s/detections", cam);
    t_feed(env, suffix,
           "{\"ts\":%lld,\"objects\":[{\"id\":\"%s\",\"class\":\"%s\",\"box\":[%.3f,%.3f,%.3f,%.3f]"
           "%s%s}]}",
           (long long)ts, id, cls, x, y, w, h, attrs ? ",\"attrs\":" : "", attrs ? attrs : "");
}

void t_at(struct t_env *env, const char *cam, int64_t ts, const char *id, const char *cls,
          double ax, double ay)
{
    t_obj(env, cam, ts, id, cls, ax - 10, ay - 20, 20, 20, NULL);
}

void t_empty(struct t_env *env, const char *cam, int64_t ts)
{
    char suffix[128];
    snprintf(suffix, sizeof suffix, "cameras/%s/detections", cam);
    t_feed(env, suffix, "{\"ts\":%lld,\"objects\":[]}", (long long)ts);
}

void t_sig(struct t_env *env, const char *sig, int64_t ts, const char *state)
{
    char suffix[128];
    snprintf(suffix, sizeof suffix, "signals/%s", sig);
    t_feed(env, suffix, "{\"ts\":%lld,\"state\":\"%s\"}", (long long)ts, state);
}

size_t t_count(const struct t_env *env, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < env->n; i++)
        if (!type || strcmp(env->rec[i].type, type) == 0)
            n++;
    return n;
}

const struct t_rec *t_find(const struct t_env *env, const char *type)
{
    for (size_t i = 0; i < env->n; i++)
        if (strcmp(env->rec[i].type, type) == 0)
            return &env->rec[i];
    fail_msg("no %s violation", type);
    return NULL;
}

uint64_t t_counter(const struct t_env *env, enum oc_counter c)
{
    return oc_engine_counter(env->eng, c);
}

const char *t_cfg(const char *zones, const char *lines, const char *extra)
{
    static char buf[16384];
    snprintf(
        buf, sizeof buf,
        "{\"box_id\":\"b1\",%s%s\"signals\":[{\"id\":\"s\",\"stale_s\":120}],"
        "\"cameras\":[{\"id\":\"c\",\"width\":1920,\"height\":1080,\"zones\":%s,\"lines\":%s}]}",
        extra, extra[0] ? "," : "", zones, lines);
    return buf;
}
