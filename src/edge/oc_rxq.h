/* The bounded queue between the MQTT receive thread and the engine thread.
 * Bounded in messages and in bytes; a push that would exceed either is
 * refused (OC_EFULL) and the caller counts the drop. Thread-safe. */
#ifndef OC_RXQ_H
#define OC_RXQ_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_err.h"

struct oc_rxmsg {
    struct oc_rxmsg *next;
    uint64_t seq;  /* journal sequence number */
    int64_t rx_ms; /* wall time received (as journaled) */
    size_t topic_len, len;
    char *topic;   /* points into data[] */
    char *payload; /* points into data[] */
    char data[];
};

struct oc_rxq;

struct oc_rxq *oc_rxq_new(size_t max_msgs, size_t max_bytes);
void oc_rxq_free(struct oc_rxq *q);

/* Copies topic and payload into a new message. OC_EFULL when a limit would
 * be exceeded, OC_ENOMEM when out of memory; the queue is unchanged then. */
oc_err_t oc_rxq_push(struct oc_rxq *q, uint64_t seq, int64_t rx_ms, const char *topic,
                     size_t topic_len, const void *payload, size_t len);

/* Takes the oldest message, waiting up to timeout_ms; NULL when none. The
 * caller owns the message and frees it with free(). */
struct oc_rxmsg *oc_rxq_pop(struct oc_rxq *q, int timeout_ms);

/* Current depth in messages and bytes. */
void oc_rxq_depth(struct oc_rxq *q, size_t *msgs, size_t *bytes);

#endif
