#include "oc_rxq.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct oc_rxq {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    struct oc_rxmsg *head, *tail;
    size_t n, bytes, max_msgs, max_bytes;
};

struct oc_rxq *oc_rxq_new(size_t max_msgs, size_t max_bytes)
{
    struct oc_rxq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->nonempty, &ca);
    pthread_condattr_destroy(&ca);
    q->max_msgs = max_msgs;
    q->max_bytes = max_bytes;
    return q;
}

void oc_rxq_free(struct oc_rxq *q)
{
    if (!q)
        return;
    for (struct oc_rxmsg *m = q->head, *next; m; m = next) {
        next = m->next;
        free(m);
    }
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->nonempty);
    free(q);
}

oc_err_t oc_rxq_push(struct oc_rxq *q, uint64_t seq, int64_t rx_ms, const char *topic,
                     size_t topic_len, const void *payload, size_t len)
{
    size_t size = topic_len + len + 2;
    pthread_mutex_lock(&q->lock);
    int full = q->n + 1 > q->max_msgs || q->bytes + size > q->max_bytes;
    pthread_mutex_unlock(&q->lock);
    if (full)
        return OC_EFULL;
    struct oc_rxmsg *m = malloc(sizeof *m + size);
    if (!m)
        return OC_ENOMEM;
    m->next = NULL;
    m->seq = seq;
    m->rx_ms = rx_ms;
    m->topic = m->data;
    m->topic_len = topic_len;
    memcpy(m->topic, topic, topic_len);
    m->topic[topic_len] = '\0';
    m->payload = m->data + topic_len + 1;
    m->len = len;
    if (len)
        memcpy(m->payload, payload, len);
    m->payload[len] = '\0';
    pthread_mutex_lock(&q->lock);
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->n++;
    q->bytes += size;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
    return OC_OK;
}

struct oc_rxmsg *oc_rxq_pop(struct oc_rxq *q, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&q->lock);
    while (!q->head)
        if (pthread_cond_timedwait(&q->nonempty, &q->lock, &until) != 0)
            break;
    struct oc_rxmsg *m = q->head;
    if (m) {
        q->head = m->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        q->bytes -= m->topic_len + m->len + 2;
    }
    pthread_mutex_unlock(&q->lock);
    return m;
}

void oc_rxq_depth(struct oc_rxq *q, size_t *msgs, size_t *bytes)
{
    pthread_mutex_lock(&q->lock);
    *msgs = q->n;
    *bytes = q->bytes;
    pthread_mutex_unlock(&q->lock);
}
