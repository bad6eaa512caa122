/* Background threads of the server: the request watchdog and the
 * retention job. */
#include "oc_api_int.h"

#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "oc_retention.h"

void *oc_api_watchdog(void *arg)
{
    struct oc_api *api = arg;
    int64_t limit = (int64_t)api->cfg->request_total_s * 1000;
    pthread_mutex_lock(&api->lock);
    while (!api->stopping) {
        int64_t now = oc_api_now_ms();
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

/* One audit row of the retention job (no client: actor "retention"). */
static void retention_audit(struct oc_api *api, const char *target, int64_t n, int64_t cut_days)
{
    char detail[128];
    snprintf(detail, sizeof detail, "%lld deleted (older than %lld days)", (long long)n,
             (long long)cut_days);
    struct oc_audit_in row = {.ts = oc_api_now_ms(),
                              .actor = "retention",
                              .role = "system",
                              .action = "retention",
                              .target = target,
                              .detail = detail};
    if (api->store->ops->audit(api->store, &row) != OC_OK)
        fprintf(stderr, "ordercam-central: audit row not written: retention %s\n", target);
}

/* The retention job: first an interval after start (at most an hour), then
 * every retention.interval_s; it also measures the evidence's disk use. */
void *oc_api_retention_loop(void *arg)
{
    struct oc_api *api = arg;
    const struct oc_ccfg *cfg = api->cfg;
    int64_t every = (int64_t)cfg->retention_interval_s * 1000;
    int64_t next = oc_api_now_ms() + (every < 3600000 ? every : 3600000);
    atomic_store(&api->evidence_bytes, (long long)oc_retention_disk_use(cfg->evidence_dir));
    pthread_mutex_lock(&api->lock);
    while (!api->stopping) {
        if (oc_api_now_ms() < next) {
            struct timespec until = {.tv_sec = (time_t)(next / 1000),
                                     .tv_nsec = (long)(next % 1000) * 1000000L};
            pthread_cond_timedwait(&api->wake, &api->lock, &until);
            continue;
        }
        pthread_mutex_unlock(&api->lock);
        struct oc_retention_result r;
        oc_retention_pass(api->store, oc_api_now_ms(), cfg->evidence_days, cfg->records_days, &r);
        COUNT(api, retention_runs);
        atomic_fetch_add(&api->n.retention_images_deleted, (unsigned long long)r.images_expired);
        atomic_fetch_add(&api->n.retention_records_deleted, (unsigned long long)r.records_deleted);
        atomic_fetch_add(&api->n.retention_errors, (unsigned long long)r.errors);
        atomic_fetch_add(&api->n.retention_public_deleted, (unsigned long long)r.publics_deleted);
        if (r.images_expired)
            retention_audit(api, "evidence", r.images_expired,
                            cfg->evidence_days ? cfg->evidence_days : cfg->records_days);
        if (r.publics_deleted)
            retention_audit(api, "public", r.publics_deleted,
                            cfg->evidence_days ? cfg->evidence_days : cfg->records_days);
        if (r.records_deleted)
            retention_audit(api, "records", r.records_deleted, cfg->records_days);
        if (r.errors)
            fprintf(stderr, "ordercam-central: retention: %d failures\n", r.errors);
        atomic_store(&api->evidence_bytes, (long long)oc_retention_disk_use(cfg->evidence_dir));
        next = oc_api_now_ms() + every;
        pthread_mutex_lock(&api->lock);
    }
    pthread_mutex_unlock(&api->lock);
    return NULL;
}
