/* The receive side of ordercamd (oc_recv.h). */
#include "oc_recv.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ordercam/oc_event.h"

struct oc_recv {
    struct oc_recv_opts o;
    pthread_mutex_t lock; /* journal order = queue order = record order */
    char prefix[160];
};

int64_t oc_recv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct oc_recv *oc_recv_new(const struct oc_recv_opts *o)
{
    struct oc_recv *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->o = *o;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void oc_recv_free(struct oc_recv *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void oc_recv_set_prefix(struct oc_recv *r, const char *prefix)
{
    snprintf(r->prefix, sizeof r->prefix, "%s", prefix);
}

static int is_frame_topic(const char *prefix, const char *topic, size_t tlen)
{
    enum oc_msg_kind kind;
    return oc_event_topic_kind(prefix, topic, tlen, &kind) && kind == OC_MSG_FRAME;
}

int oc_recv_mqtt(struct oc_recv *r, unsigned mid, const char *topic, size_t tlen,
                 const void *payload, size_t len)
{
    size_t msgs, bytes;
    int rc = 0;
    if (!payload)
        payload = ""; /* an empty MQTT payload; NULL means "journaled without bytes" later */
    pthread_mutex_lock(&r->lock);
    oc_rxq_depth(r->o.rxq, &msgs, &bytes);
    if (msgs + 1 > r->o.max_msgs || bytes + tlen + len + 2 > r->o.max_bytes) {
        oc_dcount(r->o.dc, OC_D_RX_FULL, 1);
        pthread_mutex_unlock(&r->lock);
        return -1;
    }
    uint64_t seq = 0;
    /* A frame the engine will take is journaled without its bytes and
     * replayed as unloaded: only its time moves its camera's clock. One it
     * will refuse is journaled as one byte that is not a JPEG, so that the
     * replay refuses it too (and no garbage is kept). */
    int frame = is_frame_topic(r->prefix, topic, tlen);
    int jpeg = frame && len <= OC_JPEG_MAX_BYTES && oc_event_is_jpeg(payload, len);
    int64_t rx_ms = oc_recv_now();
    oc_err_t je =
        oc_journal_mqtt(r->o.journal, rx_ms, mid, topic, tlen, frame && !jpeg ? "-" : payload,
                        frame && !jpeg ? 1 : len, jpeg, &seq);
    if (je == OC_EEXIST) {
        /* the broker's resend of a message journaled (and applied) before
         * a crash: taking it again would count its violations twice */
        oc_dcount(r->o.dc, OC_D_REDELIVERED, 1);
        pthread_mutex_unlock(&r->lock);
        return 0;
    }
    if (je != OC_OK) {
        oc_dcount(r->o.dc, OC_D_JOURNAL_ERR, 1);
        seq = 0;
    }
    if (oc_rxq_push(r->o.rxq, seq, rx_ms, topic, tlen, payload, len) != OC_OK) {
        oc_dcount(r->o.dc, OC_D_RX_FULL, 1);
        rc = -1;
    } else {
        /* recorded as queued: a message the journal replays after a crash
         * is in the recording already */
        oc_recfile_message(r->o.record, rx_ms, topic, tlen, payload, len, frame);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int oc_recv_message(struct oc_recv *r, const char *topic, size_t tlen, const void *payload,
                    size_t len)
{
    return oc_recv_mqtt(r, 0, topic, tlen, payload, len);
}

bool oc_recv_tick(struct oc_recv *r, const char *camera, int64_t camera_ts, int64_t *rx_ms)
{
    size_t msgs, bytes;
    pthread_mutex_lock(&r->lock);
    oc_rxq_depth(r->o.rxq, &msgs, &bytes);
    bool ok = msgs == 0;
    if (ok) {
        *rx_ms = oc_recv_now();
        oc_recfile_tick(r->o.record, *rx_ms, camera, camera_ts);
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

int oc_recv_frame(struct oc_recv *r, const char *camera, int64_t ts, const void *jpeg, size_t len)
{
    char topic[512];
    int n = snprintf(topic, sizeof topic, "%scameras/%s/frames/%" PRId64, r->prefix, camera, ts);
    if (n < 0 || (size_t)n >= sizeof topic)
        return -1;
    return oc_recv_message(r, topic, (size_t)n, jpeg, len);
}
