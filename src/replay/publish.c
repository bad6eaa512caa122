#include "publish.h"

#include <errno.h>
#include <limits.h>
#include <mosquitto.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ordercam/oc_log.h"
#include "ordercam/oc_text.h"

#define MAX_OUTSTANDING 2000 /* messages handed to libmosquitto, not yet acknowledged */

struct pub {
    atomic_ulong done;
    atomic_int connected;
};

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    (void)m;
    (void)mid;
    struct pub *p = obj;
    atomic_fetch_add(&p->done, 1);
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    (void)m;
    struct pub *p = obj;
    atomic_store(&p->connected, rc == 0 ? 1 : -1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The bytes of a log message's payload; the caller frees *buf. */
static int payload_of(const struct oc_log *log, const struct oc_log_msg *m, int native, char **buf,
                      size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (m->kind == OC_LOG_JSON && cJSON_IsString(m->json) && !native) {
        /* a foreign document kept as text (ONVIF XML): its bytes */
        *buf = strdup(m->json->valuestring);
        *len = *buf ? strlen(*buf) : 0;
        return *buf ? 0 : -1;
    }
    if (m->kind == OC_LOG_JSON) {
        *buf = cJSON_PrintUnformatted(m->json);
        *len = *buf ? strlen(*buf) : 0;
        return *buf ? 0 : -1;
    }
    if (m->kind == OC_LOG_B64) {
        *buf = malloc(oc_text_b64_max(m->text_len) + 1);
        return *buf && oc_text_b64_decode(m->text, m->text_len, (unsigned char *)*buf, len) == OC_OK
                   ? 0
                   : -1;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s", oc_log_dir(log), m->text);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    int ok = *buf && fread(*buf, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    *len = (size_t)n;
    return ok ? 0 : -1;
}

int oc_publish_log(const char *logpath, const struct oc_publish_opts *o, FILE *err)
{
    struct oc_log *log = oc_log_open(logpath);
    if (!log) {
        fprintf(err, "ordercam-replay: %s: %s\n", logpath, strerror(errno));
        return 1;
    }
    mosquitto_lib_init();
    struct pub p = {0};
    struct mosquitto *mosq = mosquitto_new(NULL, true, &p);
    int rc = 1;
    if (!mosq)
        goto out;
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_publish_callback_set(mosq, on_publish);
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_max_inflight_messages_set(mosq, 200);
    if (o->cafile &&
        mosquitto_tls_set(mosq, o->cafile, NULL, NULL, NULL, NULL) != MOSQ_ERR_SUCCESS) {
        fprintf(err, "ordercam-replay: bad CA file %s\n", o->cafile);
        goto out;
    }
    if (mosquitto_connect(mosq, o->host, o->port, 30) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(mosq) != MOSQ_ERR_SUCCESS) {
        fprintf(err, "ordercam-replay: cannot connect to %s:%d\n", o->host, o->port);
        goto out;
    }
    for (int i = 0; i < 500 && atomic_load(&p.connected) == 0; i++)
        sleep_s(0.01);
    if (atomic_load(&p.connected) != 1) {
        fprintf(err, "ordercam-replay: the broker at %s:%d refused the connection\n", o->host,
                o->port);
        goto stop;
    }
    struct oc_log_msg m;
    const char *why;
    oc_err_t e;
    unsigned long sent = 0, bad = 0, skipped = 0;
    double start = now_s();
    int64_t first = -1;
    while ((e = oc_log_next(log, &m, &why)) != OC_ENOTFOUND) {
        if (e == OC_EIO)
            break;
        if (e != OC_OK) {
            bad++;
            continue;
        }
        if (m.kind == OC_LOG_TICK) {
            skipped++; /* a daemon's own clock step: nothing to send */
            continue;
        }
        if (first < 0)
            first = m.ts;
        if (o->speed > 0)
            sleep_s(start + (double)(m.ts - first) / 1000.0 / o->speed - now_s());
        while (o->qos > 0 && sent - atomic_load(&p.done) > MAX_OUTSTANDING)
            sleep_s(0.001);
        char *buf;
        size_t len;
        int native = !o->prefix || (m.topic_len >= strlen(o->prefix) &&
                                    memcmp(m.topic, o->prefix, strlen(o->prefix)) == 0);
        if (payload_of(log, &m, native, &buf, &len) != 0) {
            free(buf);
            bad++;
            continue;
        }
        char topic[1024];
        snprintf(topic, sizeof topic, "%.*s", (int)m.topic_len, m.topic);
        if (mosquitto_publish(mosq, NULL, topic, (int)len, buf, o->qos, false) == MOSQ_ERR_SUCCESS)
            sent++;
        else
            bad++;
        free(buf);
    }
    /* QoS 0 completes on send; QoS > 0 when the broker acknowledged */
    for (int i = 0; i < 60000 && atomic_load(&p.done) < sent; i++)
        sleep_s(0.001);
    fprintf(
        err,
        "ordercam-replay: published %lu messages in %.1f s (%lu unreadable, %lu ticks skipped)\n",
        sent, now_s() - start, bad, skipped);
    rc = atomic_load(&p.done) >= sent && e != OC_EIO ? 0 : 1;
stop:
    /* force: after a refused connection the network thread would keep
     * reconnecting and never return on its own */
    mosquitto_disconnect(mosq);
    mosquitto_loop_stop(mosq, true);
out:
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    oc_log_close(log);
    return rc;
}
