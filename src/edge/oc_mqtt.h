/* The MQTT side of ordercamd: one thread that connects to the broker
 * (persistent session, QoS from the config, optional TLS and password),
 * subscribes to the topics of docs/events.md, hands every message to a
 * callback, and reconnects with capped exponential backoff and full jitter.
 * State changes are reported once each, not per retry. */
#ifndef OC_MQTT_H
#define OC_MQTT_H

#include <stddef.h>

struct oc_mqtt_opts {
    const char *host;
    int port;
    const char *client_id;
    const char *username, *password;            /* password NULL: none */
    const char *ca_file, *cert_file, *key_file; /* ca_file NULL: plain TCP */
    int keepalive_s;
    int qos;
    const char *prefix;
    const char *const *filters; /* more topic filters to subscribe to (input formats) */
    size_t n_filters;
    int backoff_min_ms, backoff_max_ms;
};

/* Called on the MQTT thread; topic and payload are borrowed for the call.
 * mid: the message's MQTT packet id, 0 for QoS 0 (no redelivery). */
typedef void (*oc_mqtt_message_fn)(void *ud, unsigned mid, const char *topic, const void *payload,
                                   size_t len);
/* Called on the MQTT thread when the connection comes up (up=1) or goes
 * down (up=0); why is a static English reason. */
typedef void (*oc_mqtt_state_fn)(void *ud, int up, const char *why);

struct oc_mqtt;

/* Starts the thread; the options' strings are copied. NULL with a message
 * in err when libmosquitto refuses the options (bad TLS files, ...). */
struct oc_mqtt *oc_mqtt_start(const struct oc_mqtt_opts *o, oc_mqtt_message_fn on_message,
                              oc_mqtt_state_fn on_state, void *ud, char *err, size_t errlen);
/* Disconnects, stops and joins the thread, frees. */
void oc_mqtt_stop(struct oc_mqtt *m);
/* Connection attempts that failed since start. */
unsigned long oc_mqtt_failures(const struct oc_mqtt *m);

#endif
