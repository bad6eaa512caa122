#include "oc_mqtt.h"

#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct oc_mqtt {
    struct mosquitto *mosq;
    pthread_t thread;
    atomic_int running;
    atomic_ulong failures;
    int qos;
    char prefix[160];
    char **filters; /* subscribed as given, besides the prefix's topics */
    size_t n_filters;
    int backoff_min, backoff_max;
    oc_mqtt_message_fn on_message;
    oc_mqtt_state_fn on_state;
    void *ud;
    int up;         /* last state reported */
    int connect_rc; /* from the CONNACK */
    int started;    /* connect_async began a connection */
    unsigned seed;
};

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    struct oc_mqtt *m = obj;
    m->connect_rc = rc;
    if (rc != 0)
        return;
    static const char *const subs[] = {"cameras/+/detections", "cameras/+/events",
                                       "cameras/+/frames/+", "signals/+"};
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        char topic[256];
        snprintf(topic, sizeof topic, "%s%s", m->prefix, subs[i]);
        mosquitto_subscribe(mosq, NULL, topic, m->qos);
    }
    for (size_t i = 0; i < m->n_filters; i++)
        mosquitto_subscribe(mosq, NULL, m->filters[i], m->qos);
    if (m->up != 1) {
        m->up = 1;
        m->on_state(m->ud, 1, "connected");
    }
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    (void)mosq;
    struct oc_mqtt *m = obj;
    m->on_message(m->ud, msg->qos > 0 && msg->mid > 0 ? (unsigned)msg->mid : 0, msg->topic,
                  msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0);
}

static void report_down(struct oc_mqtt *m, const char *why)
{
    if (m->up != 0) {
        m->up = 0;
        m->on_state(m->ud, 0, why);
    }
}

/* Sleeps a random time in [0, min(max, min * 2^attempt)] (full jitter),
 * waking early when stopped. */
static void backoff(struct oc_mqtt *m, int attempt)
{
    long cap = m->backoff_min;
    for (int i = 0; i < attempt && cap < m->backoff_max; i++)
        cap *= 2;
    if (cap > m->backoff_max)
        cap = m->backoff_max;
    long ms = (long)(rand_r(&m->seed) % (unsigned)(cap + 1));
    for (long slept = 0; slept < ms && atomic_load(&m->running); slept += 50) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static const char *reason(int rc, int connect_rc)
{
    if (connect_rc == 4 || connect_rc == 5)
        return "refused by the broker: bad username/password or not authorised";
    if (connect_rc != 0)
        return "refused by the broker";
    switch (rc) {
    case MOSQ_ERR_TLS: return "TLS failure (certificate?)";
    case MOSQ_ERR_CONN_REFUSED: return "connection refused";
    case MOSQ_ERR_NO_CONN:
    case MOSQ_ERR_CONN_LOST: return "connection lost";
    default: return "cannot connect";
    }
}

static void *run(void *arg)
{
    struct oc_mqtt *m = arg;
    int attempt = 0, connected = m->started;
    while (atomic_load(&m->running)) {
        if (!connected) {
            m->connect_rc = 0;
            int rc = mosquitto_reconnect_async(m->mosq);
            if (rc != MOSQ_ERR_SUCCESS) {
                atomic_fetch_add(&m->failures, 1);
                report_down(m, reason(rc, 0));
                backoff(m, attempt++);
                continue;
            }
            connected = 1;
        }
        int rc = mosquitto_loop(m->mosq, 100, 1);
        if (m->connect_rc != 0)
            rc = MOSQ_ERR_CONN_REFUSED;
        if (rc != MOSQ_ERR_SUCCESS) {
            connected = 0;
            atomic_fetch_add(&m->failures, 1);
            report_down(m, reason(rc, m->connect_rc));
            mosquitto_disconnect(m->mosq);
            backoff(m, attempt++);
        } else if (m->up) {
            attempt = 0;
        }
    }
    mosquitto_disconnect(m->mosq);
    mosquitto_loop(m->mosq, 100, 1);
    return NULL;
}

static void free_mqtt(struct oc_mqtt *m)
{
    for (size_t i = 0; i < m->n_filters; i++)
        free(m->filters[i]);
    free(m->filters);
    free(m);
}

struct oc_mqtt *oc_mqtt_start(const struct oc_mqtt_opts *o, oc_mqtt_message_fn on_msg,
                              oc_mqtt_state_fn on_state, void *ud, char *err, size_t errlen)
{
    struct oc_mqtt *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->qos = o->qos;
    snprintf(m->prefix, sizeof m->prefix, "%s", o->prefix);
    m->filters = o->n_filters ? calloc(o->n_filters, sizeof *m->filters) : NULL;
    int nomem = o->n_filters && !m->filters;
    for (size_t i = 0; m->filters && i < o->n_filters; i++, m->n_filters++)
        nomem |= !(m->filters[i] = strdup(o->filters[i]));
    if (nomem) {
        snprintf(err, errlen, "out of memory");
        free_mqtt(m);
        return NULL;
    }
    m->backoff_min = o->backoff_min_ms > 0 ? o->backoff_min_ms : 500;
    m->backoff_max = o->backoff_max_ms > 0 ? o->backoff_max_ms : 30000;
    m->on_message = on_msg;
    m->on_state = on_state;
    m->ud = ud;
    m->up = -1; /* nothing reported yet */
    m->seed = (unsigned)time(NULL) ^ (unsigned)(size_t)m;
    /* clean_session=false with a stable client id: the broker keeps our
     * subscriptions and QoS 1 messages while we are away */
    m->mosq = mosquitto_new(o->client_id, false, m);
    if (!m->mosq) {
        snprintf(err, errlen, "mosquitto_new failed");
        free_mqtt(m);
        return NULL;
    }
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(m->mosq, on_connect);
    mosquitto_message_callback_set(m->mosq, on_message);
    int rc = MOSQ_ERR_SUCCESS;
    if (o->username)
        rc = mosquitto_username_pw_set(m->mosq, o->username, o->password);
    if (rc == MOSQ_ERR_SUCCESS && o->ca_file)
        rc = mosquitto_tls_set(m->mosq, o->ca_file, NULL, o->cert_file, o->key_file, NULL);
    if (rc == MOSQ_ERR_SUCCESS) {
        /* stores host, port and keepalive without connecting yet */
        rc = mosquitto_connect_async(m->mosq, o->host, o->port, o->keepalive_s);
        m->started = rc == MOSQ_ERR_SUCCESS;
        if (rc == MOSQ_ERR_INVAL)
            snprintf(err, errlen, "MQTT options refused: %s", mosquitto_strerror(rc));
        else
            rc = MOSQ_ERR_SUCCESS; /* a broker not up yet is retried by the thread */
    } else {
        snprintf(err, errlen, "MQTT options refused: %s", mosquitto_strerror(rc));
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(m->mosq);
        free_mqtt(m);
        return NULL;
    }
    atomic_store(&m->running, 1);
    if (pthread_create(&m->thread, NULL, run, m) != 0) {
        snprintf(err, errlen, "cannot start the MQTT thread");
        mosquitto_destroy(m->mosq);
        free_mqtt(m);
        return NULL;
    }
    return m;
}

void oc_mqtt_stop(struct oc_mqtt *m)
{
    if (!m)
        return;
    atomic_store(&m->running, 0);
    pthread_join(m->thread, NULL);
    mosquitto_destroy(m->mosq);
    free_mqtt(m);
}

unsigned long oc_mqtt_failures(const struct oc_mqtt *m)
{
    return atomic_load(&m->failures);
}
