/* Helpers for engine tests: a config from inline JSON, an engine whose sink
 * keeps every violation, and one-line feeders for each message kind. */
#ifndef OC_TEST_H
#define OC_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"

#define T_MAX_REC 256

struct t_rec {
    char type[48], track[72], zone[72], line[72], cls[32], plate[40], camera[72];
    int64_t ts, ts_start, bucket;
    uint64_t seq;
    size_t n_keys;
    int64_t key_ts[OC_KEYS_MAX];
    double key_box[OC_KEYS_MAX][4];
    enum oc_sig_state signal_state, key_sig[OC_KEYS_MAX];
    int64_t red_elapsed_ms, key_sig_ms[OC_KEYS_MAX];
    char signal[72];
};

struct t_env {
    struct oc_config *cfg;
    struct oc_engine *eng;
    struct t_rec rec[T_MAX_REC];
    size_t n;
};

/* Parses cfg_json, failing the test if it is refused; the caller frees
 * (oc_config_free). */
struct oc_config *t_config(const char *cfg_json);
/* One 1920x1080 camera "c" on box "edge-1". */
#define T_CFG_ONE_CAMERA                                                                           \
    "{\"box_id\":\"edge-1\",\"cameras\":[{\"id\":\"c\",\"width\":1920,\"height\":1080}]}"

/* Parses cfg_json (asserting it is valid) and makes an engine over it. */
struct t_env *t_env_new(const char *cfg_json);
void t_env_free(struct t_env *env);

/* Feeds a raw message on topic "ordercam/<suffix>" with printf-style payload. */
void t_feed(struct t_env *env, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A detection message with one object; cls and id as given, box x,y,w,h. */
void t_obj(struct t_env *env, const char *cam, int64_t ts, const char *id, const char *cls,
           double x, double y, double w, double h, const char *attrs);
/* The same, giving the anchor (bottom-centre) of a 20x20 box instead. */
void t_at(struct t_env *env, const char *cam, int64_t ts, const char *id, const char *cls,
          double ax, double ay);
void t_empty(struct t_env *env, const char *cam, int64_t ts);
void t_sig(struct t_env *env, const char *sig, int64_t ts, const char *state);

/* Number of kept violations of a type (NULL: any). */
size_t t_count(const struct t_env *env, const char *type);
/* The first kept violation of a type, failing the test if there is none. */
const struct t_rec *t_find(const struct t_env *env, const char *type);
uint64_t t_counter(const struct t_env *env, enum oc_counter c);

/* Config for a camera "c" with the given zones and lines JSON arrays and a
 * signal "s"; extra is spliced into the top level (may be ""). The result
 * is a static buffer. */
const char *t_cfg(const char *zones, const char *lines, const char *extra);

#endif
