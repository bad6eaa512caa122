/* SIGHUP: see oc_dreload.h. */
#include "oc_dreload.h"

#include <stdlib.h>
#include <string.h>

#include "oc_dfeed.h"
#include "oc_drecover.h"
#include "oc_dsink.h"
#include "oc_dthreads.h"
#include "oc_recover.h"

static int same_filters(const struct oc_adapt *a, const struct oc_adapt *b)
{
    size_t na, nb;
    const char *const *fa = oc_adapt_filters(a, &na), *const *fb = oc_adapt_filters(b, &nb);
    for (size_t i = 0; na == nb && i < na; i++)
        if (strcmp(fa[i], fb[i]) != 0)
            return 0;
    return na == nb;
}

void oc_dreload(struct oc_daemon *d)
{
    char err[768];
    struct oc_ecfg *ecfg = oc_ecfg_load(d->config_path, err, sizeof err);
    if (!ecfg) {
        LOG(d, ERR, "reload refused, keeping the running config: %s", err);
        return;
    }
    const struct oc_config *cfg = ecfg->scene;
    struct oc_daemon_arrays a;
    struct oc_engine *eng =
        oc_daemon_arrays_new(&a, cfg) == 0 ? oc_engine_new(cfg, &d->sink, d) : NULL;
    struct oc_adapt *adapt = eng ? oc_adapt_new(cfg, &oc_dfeed_adapt_sink, d) : NULL;
    if (!adapt) {
        LOG(d, ERR, "reload: out of memory, keeping the running config");
        oc_engine_free(eng);
        oc_daemon_arrays_free(&a);
        oc_ecfg_free(ecfg);
        return;
    }
    /* sequences continue per camera id */
    for (size_t c = 0; c < cfg->n_cameras; c++) {
        int old = oc_config_camera(d->cfg, cfg->cameras[c].id, strlen(cfg->cameras[c].id));
        a.next[c] = old >= 0 ? oc_outbox_next_seq(d->outbox, old) : 1;
        if (old >= 0 && oc_engine_next_seq(d->eng, old) > a.next[c])
            a.next[c] = oc_engine_next_seq(d->eng, old);
        oc_engine_set_seq(eng, (int)c, a.next[c]);
    }
    oc_snapurl_stop(d->snap); /* it reads the old config's ids */
    d->snap = NULL;
    int filters_changed = !same_filters(d->adapt, adapt);
    oc_adapt_flush(d->adapt); /* into the old engine, which then ends its tracks */
    oc_adapt_free(d->adapt);
    d->adapt = adapt;
    oc_engine_finish(d->eng);
    oc_engine_free(d->eng);
    if (d->keeper) /* what waits gets the frames there are; the new keeper starts empty */
        oc_evidence_flush(d->keeper);
    oc_evidence_free(d->keeper);
    d->keeper = NULL;
    int mqtt_changed = strcmp(ecfg->mqtt.host, d->ecfg->mqtt.host) != 0 ||
                       ecfg->mqtt.port != d->ecfg->mqtt.port ||
                       ecfg->mqtt.qos != d->ecfg->mqtt.qos ||
                       strcmp(cfg->topic_prefix, d->cfg->topic_prefix) != 0 || filters_changed;
    if (mqtt_changed) {
        oc_mqtt_stop(d->mqtt);
        d->mqtt = NULL;
    }
    oc_ecfg_free(d->ecfg);
    free(d->by_type), free(d->anchor_wall), free(d->anchor_clock);
    d->ecfg = ecfg;
    d->cfg = cfg;
    d->eng = eng;
    oc_outbox_set_next(d->outbox, a.next);
    oc_outbox_set_limit(d->outbox, ecfg->spool_max_mb);
    d->by_type = a.by_type;
    d->anchor_wall = a.aw;
    d->anchor_clock = a.ac;
    d->cfg_hash = oc_recover_digest(d->config_path);
    oc_live_reconfigure(d->live, cfg);
    if (d->evwork)
        oc_dsink_start_keeper(d);
    if (mqtt_changed)
        oc_dthreads_mqtt(d);
    oc_dthreads_snapurl(d);
    oc_uplink_stop(d->uplink); /* new cameras or central settings */
    d->uplink = NULL;
    oc_outbox_set_uplink(d->outbox, NULL);
    oc_dthreads_uplink(d);
    oc_drecover_save(d);
    LOG(d, NOTICE, "reloaded %s: %zu cameras", d->config_path, cfg->n_cameras);
}
