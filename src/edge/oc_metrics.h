/* ordercamd's metrics: the daemon's own counters, the Prometheus text of
 * everything docs/daemon.md lists, and the HTTP listener that serves it
 * (/metrics, /health).
 *
 * The listener is a small poll loop on its own thread, built so that slow
 * clients cannot starve it: at most OC_METRICS_SLOTS connections, each
 * given OC_METRICS_REQUEST_MS in all (accept to last byte sent, not an idle
 * gap); a connection arriving when every slot is taken evicts the oldest.
 * One request per connection (Connection: close). Counted: requests served,
 * connections closed for time, connections evicted, bad requests. */
#ifndef OC_METRICS_H
#define OC_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_adapt.h"
#include "ordercam/oc_config.h"
#include "ordercam/oc_engine.h"
#include "ordercam/oc_evidence.h"
#include "oc_evwork.h"
#include "oc_rxq.h"
#include "oc_snapurl.h"
#include "oc_spool.h"
#include "oc_uplink.h"

#define OC_METRICS_SLOTS 16
#define OC_METRICS_REQUEST_MS 5000 /* a whole request, from accept to response sent */
#define OC_METRICS_HEADER_MAX 4096 /* request line and headers */
#define OC_METRICS_TEXT_MAX (1u << 20)

/* The daemon's own counters (beside the engine's oc_counter), shown as
 * ordercam_engine_events_total{event=NAME} and two drop reasons. */
enum oc_dcounter {
    OC_D_RX_FULL,
    OC_D_JOURNAL_ERR,
    OC_D_NOT_JPEG,
    OC_D_WRITE_ERR,
    OC_D_RECOVERED,
    OC_D_SUPPRESSED,
    OC_D_COPY_MENDED,
    OC_D_LOST_DISK_FULL,
    OC_D_EV_NO_FRAME,
    OC_D_EV_QUEUE_FULL,
    OC_D_EV_SPOOL_HELD,
    OC_D_EV_FAILED,
    OC_D_EV_LOST_RESTART,
    OC_D_EV_EVICTED,
    OC_D_EV_OVER_LIMIT,
    OC_D_REDELIVERED,
    OC_D__COUNT
};

/* Incremented from the MQTT and engine threads; owned by main. */
struct oc_dcounters {
    atomic_ulong v[OC_D__COUNT];
};

static inline void oc_dcount(struct oc_dcounters *c, enum oc_dcounter k, unsigned long n)
{
    atomic_fetch_add(&c->v[k], n);
}

/* Static name of counter k ("rx_queue_full", ...); never NULL. */
const char *oc_dcounter_name(enum oc_dcounter k);

struct oc_metrics;

struct oc_metrics_listener_stats {
    uint64_t served, timed_out, evicted, bad_request;
};

/* Everything the text is made of, borrowed for one oc_metrics_render
 * call on the engine thread. NULL pointers: that part is off. */
struct oc_metrics_src {
    const struct oc_config *cfg;
    const struct oc_engine *eng;
    const uint64_t *by_type; /* violations written per cfg->vtypes entry */
    struct oc_dcounters *dc;
    struct oc_rxq *rxq;
    struct oc_evidence *keeper;
    struct oc_evwork *evwork;
    struct oc_uplink *uplink;
    struct oc_spool *spool;
    struct oc_metrics *listener;
    struct oc_snapurl *snap;      /* per-camera snapshot-URL metrics */
    const struct oc_adapt *adapt; /* per input format */
    size_t held;                  /* violations held in memory (spool unwritable) */
    uint64_t evidence_bytes;      /* images on disk */
    int mqtt_up;
    unsigned long mqtt_failures;
    uint64_t applied;  /* last journal seq applied */
    double last_apply; /* wall time of the last message applied, s */
};

/* The Prometheus text (malloc'd, NUL-terminated, *len without the NUL;
 * owned by the caller), or NULL when out of memory. At most
 * OC_METRICS_TEXT_MAX bytes: beyond, the text is cut at a line. */
char *oc_metrics_render(const struct oc_metrics_src *s, size_t *len);

/* 1 when /health should answer 200 (the broker is connected). Called on
 * the listener's thread. */
typedef int (*oc_metrics_health_fn)(void *ud);

/* Listens on "HOST:PORT" ("[::1]:9100" for IPv6) and starts the thread.
 * NULL with a reason in err. */
struct oc_metrics *oc_metrics_start(const char *addr, oc_metrics_health_fn health, void *ud,
                                    char *err, size_t errlen);

/* Replaces the text served (takes ownership of text; freed later by the
 * listener). m may be NULL (text is freed). */
void oc_metrics_publish(struct oc_metrics *m, char *text, size_t len);

void oc_metrics_listener_stats(struct oc_metrics *m, struct oc_metrics_listener_stats *s);

/* A request as the listener read it, borrowed for one route call. */
struct oc_http_req {
    const char *method, *path, *query; /* NUL-terminated; query "" when none */
    const char *head;                  /* request line and headers */
    size_t head_len;
    const char *body; /* NULL when none */
    size_t body_len;
};

/* An answer: body malloc'd by the route (the listener frees it), type a
 * static string, headers extra "Name: value\r\n" lines ("" for none). */
struct oc_http_resp {
    unsigned status;
    const char *type;
    char headers[256];
    char *body;
    size_t len;
};

/* Answers a request (1), or 0 when the path is not its own (404). Called on
 * the listener's thread: it must not block. */
typedef int (*oc_metrics_route_fn)(void *ud, const struct oc_http_req *req,
                                   struct oc_http_resp *resp);

#define OC_METRICS_BODY_MAX (1u << 20) /* a POST body; larger: 413 */

/* Adds a route consulted for every path but /metrics and /health; POST
 * bodies (Content-Length, at most OC_METRICS_BODY_MAX) are read for it.
 * With token set (copied; NULL: none), every request but /health and the
 * live page's own files (/live/, live.js, live.css: no data) must carry
 * it, as "Authorization: Bearer TOKEN" or a "token=TOKEN" query parameter:
 * else 401. Call before requests arrive (right after oc_metrics_start). */
int oc_metrics_set_route(struct oc_metrics *m, oc_metrics_route_fn fn, void *ud, const char *token);

/* The value of header name (case-insensitive) in head, copied into buf
 * (NUL-terminated, cut at cap); 0 when absent. */
int oc_http_header(const char *head, size_t head_len, const char *name, char *buf, size_t cap);
/* The value of query parameter name, percent-decoded into buf; 0 when absent. */
int oc_http_query(const char *query, const char *name, char *buf, size_t cap);

/* Stops the thread, closes every connection, frees. NULL is fine. */
void oc_metrics_stop(struct oc_metrics *m);

#endif
