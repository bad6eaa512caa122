/* Prometheus text and the listener that serves it (see oc_metrics.h). */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "oc_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *const dcounter_names[OC_D__COUNT] = {
    [OC_D_RX_FULL] = "rx_queue_full",
    [OC_D_JOURNAL_ERR] = "journal_write_errors",
    [OC_D_NOT_JPEG] = "frames_not_jpeg",
    [OC_D_WRITE_ERR] = "violation_write_errors",
    [OC_D_RECOVERED] = "journal_messages_replayed",
    [OC_D_SUPPRESSED] = "violations_already_written",
    [OC_D_COPY_MENDED] = "violations_copied_from_spool",
    [OC_D_LOST_DISK_FULL] = "violations_lost_spool_unwritable",
    [OC_D_EV_NO_FRAME] = "evidence_none_no_frame",
    [OC_D_EV_QUEUE_FULL] = "evidence_none_queue_full",
    [OC_D_EV_SPOOL_HELD] = "evidence_none_spool_unwritable",
    [OC_D_EV_FAILED] = "evidence_none_write_failed",
    [OC_D_EV_LOST_RESTART] = "evidence_none_lost_at_restart",
    [OC_D_EV_EVICTED] = "evidence_evicted_for_spool_limit",
    [OC_D_EV_OVER_LIMIT] = "spool_over_limit_nothing_to_evict",
    [OC_D_REDELIVERED] = "mqtt_redelivered_dropped",
};

const char *oc_dcounter_name(enum oc_dcounter k)
{
    return (unsigned)k < OC_D__COUNT ? dcounter_names[k] : "unknown";
}

/* ---------------- the text ---------------- */

/* A growing buffer; once OC_METRICS_TEXT_MAX would be passed, nothing more
 * is added (the text ends at the last whole line). */
struct text {
    char *b;
    size_t n, cap;
    bool full, nomem;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    if (t->full || t->nomem)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->b + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (k < 0) {
            t->b[t->n] = '\0';
            return;
        }
        if ((size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        t->b[t->n] = '\0'; /* drop the partial line */
        if (t->n + (size_t)k + 1 > OC_METRICS_TEXT_MAX) {
            t->full = true;
            return;
        }
        size_t cap = t->cap * 2 > t->n + (size_t)k + 1 ? t->cap * 2 : t->n + (size_t)k + 1;
        char *nb = realloc(t->b, cap);
        if (!nb) {
            t->nomem = true;
            return;
        }
        t->b = nb;
        t->cap = cap;
    }
}

static void put_engine(struct text *t, const struct oc_metrics_src *s)
{
    static const enum oc_counter kinds[] = {OC_C_MSG_DETECTIONS, OC_C_MSG_EVENTS, OC_C_MSG_FRAMES,
                                            OC_C_MSG_SIGNALS};
    static const char *const kind_names[] = {"detections", "events", "frames", "signals"};
    put(t, "# HELP ordercam_messages_total Messages processed by the engine, per topic kind.\n"
           "# TYPE ordercam_messages_total counter\n");
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        put(t, "ordercam_messages_total{kind=\"%s\"} %" PRIu64 "\n", kind_names[i],
            oc_engine_counter(s->eng, kinds[i]));
    put(t, "# HELP ordercam_drops_total Inputs dropped, per reason.\n"
           "# TYPE ordercam_drops_total counter\n");
    for (int c = 0; c < OC_C__COUNT; c++)
        if (oc_counter_is_drop((enum oc_counter)c))
            put(t, "ordercam_drops_total{reason=\"%s\"} %" PRIu64 "\n",
                oc_counter_reason((enum oc_counter)c),
                oc_engine_counter(s->eng, (enum oc_counter)c));
    put(t, "ordercam_drops_total{reason=\"rx_queue_full\"} %lu\n",
        atomic_load(&s->dc->v[OC_D_RX_FULL]));
    put(t, "ordercam_drops_total{reason=\"frame_not_jpeg\"} %lu\n",
        atomic_load(&s->dc->v[OC_D_NOT_JPEG]));
    put(t, "# HELP ordercam_engine_events_total Engine events worth watching.\n"
           "# TYPE ordercam_engine_events_total counter\n");
    for (int c = OC_C_FIELD_DROPPED; c < OC_C__COUNT; c++)
        if (!oc_counter_is_drop((enum oc_counter)c))
            put(t, "ordercam_engine_events_total{event=\"%s\"} %" PRIu64 "\n",
                oc_counter_name((enum oc_counter)c), oc_engine_counter(s->eng, (enum oc_counter)c));
    for (int c = 0; c < OC_D__COUNT; c++)
        put(t, "ordercam_engine_events_total{event=\"%s\"} %lu\n",
            oc_dcounter_name((enum oc_dcounter)c), atomic_load(&s->dc->v[c]));
    put(t, "# HELP ordercam_violations_total Violations written, per type.\n"
           "# TYPE ordercam_violations_total counter\n");
    for (size_t v = 0; v < s->cfg->n_vtypes; v++)
        put(t, "ordercam_violations_total{type=\"%s\"} %" PRIu64 "\n", s->cfg->vtypes[v].name,
            s->by_type[v]);
}

static void put_gauges(struct text *t, const struct oc_metrics_src *s)
{
    size_t qm = 0, qb = 0;
    if (s->rxq)
        oc_rxq_depth(s->rxq, &qm, &qb);
    struct oc_evidence_stats es = {0};
    if (s->keeper)
        oc_evidence_stats(s->keeper, &es);
    struct oc_ring_stats rs = es.ring;
    put(t,
        "# TYPE ordercam_rx_queue_messages gauge\nordercam_rx_queue_messages %zu\n"
        "# TYPE ordercam_rx_queue_bytes gauge\nordercam_rx_queue_bytes %zu\n"
        "# TYPE ordercam_tracks_live gauge\nordercam_tracks_live %zu\n"
        "# TYPE ordercam_ring_bytes gauge\nordercam_ring_bytes %" PRIu64 "\n"
        "# TYPE ordercam_ring_frames gauge\nordercam_ring_frames %" PRIu64 "\n"
        "# TYPE ordercam_ring_dropped_total counter\n"
        "ordercam_ring_dropped_total{reason=\"age\"} %" PRIu64 "\n"
        "ordercam_ring_dropped_total{reason=\"bytes\"} %" PRIu64 "\n"
        "ordercam_ring_dropped_total{reason=\"too_large\"} %" PRIu64 "\n"
        "# HELP ordercam_ring_span_seconds How far back the frame ring reaches now.\n"
        "# TYPE ordercam_ring_span_seconds gauge\nordercam_ring_span_seconds %.3f\n"
        "# TYPE ordercam_mqtt_connected gauge\nordercam_mqtt_connected %d\n"
        "# TYPE ordercam_mqtt_connect_failures_total counter\n"
        "ordercam_mqtt_connect_failures_total %lu\n"
        "# TYPE ordercam_journal_applied_seq gauge\nordercam_journal_applied_seq %" PRIu64 "\n"
        "# TYPE ordercam_last_message_timestamp_seconds gauge\n"
        "ordercam_last_message_timestamp_seconds %.3f\n",
        qm, qb, oc_engine_live_tracks(s->eng), rs.bytes, rs.frames, rs.expired, rs.evicted,
        rs.too_large, (double)rs.span_ms / 1000.0, s->mqtt_up, s->mqtt_failures, s->applied,
        s->last_apply);
    struct oc_evwork_stats ws = {0};
    if (s->evwork)
        oc_evwork_stats(s->evwork, &ws);
    put(t,
        "# HELP ordercam_evidence_images_total Evidence images, by outcome.\n"
        "# TYPE ordercam_evidence_images_total counter\n"
        "ordercam_evidence_images_total{result=\"written\"} %" PRIu64 "\n"
        "ordercam_evidence_images_total{result=\"no_usable_frame\"} %" PRIu64 "\n"
        "ordercam_evidence_images_total{result=\"write_failed\"} %" PRIu64 "\n"
        "# TYPE ordercam_evidence_frames_rejected_total counter\n"
        "ordercam_evidence_frames_rejected_total{reason=\"corrupt\"} %" PRIu64 "\n"
        "ordercam_evidence_frames_rejected_total{reason=\"wrong_size\"} %" PRIu64 "\n"
        "# TYPE ordercam_evidence_frames_rescaled_total counter\n"
        "ordercam_evidence_frames_rescaled_total %" PRIu64 "\n"
        "# TYPE ordercam_evidence_boxes_clipped_total counter\n"
        "ordercam_evidence_boxes_clipped_total %" PRIu64 "\n"
        "# TYPE ordercam_evidence_waiting gauge\nordercam_evidence_waiting %" PRIu64 "\n"
        "# TYPE ordercam_evidence_queue_jobs gauge\nordercam_evidence_queue_jobs %" PRIu64 "\n"
        "# HELP ordercam_evidence_queue_high_water The most jobs the evidence queue has held.\n"
        "# TYPE ordercam_evidence_queue_high_water gauge\n"
        "ordercam_evidence_queue_high_water %" PRIu64 "\n"
        "# HELP ordercam_evidence_paused 1 while the disk is full and evidence waits for space.\n"
        "# TYPE ordercam_evidence_paused gauge\nordercam_evidence_paused %d\n"
        "# TYPE ordercam_evidence_bytes gauge\nordercam_evidence_bytes %" PRIu64 "\n"
        "# TYPE ordercam_ring_kept_frames_total counter\n"
        "ordercam_ring_kept_frames_total %" PRIu64 "\n",
        ws.built, ws.unusable, ws.failed, ws.corrupt, ws.wrong_size, ws.rescaled, ws.box_clipped,
        es.pending, ws.queued_jobs, ws.high_water_jobs, ws.paused, s->evidence_bytes, rs.kept);
}

static void put_outbound(struct text *t, const struct oc_metrics_src *s)
{
    if (s->uplink) {
        struct oc_uplink_stats us;
        oc_uplink_stats(s->uplink, &us);
        put(t,
            "# TYPE ordercam_uplink_requests_total counter\n"
            "ordercam_uplink_requests_total{result=\"ok\"} %" PRIu64 "\n"
            "ordercam_uplink_requests_total{result=\"failed\"} %" PRIu64 "\n"
            "# TYPE ordercam_uplink_records_total counter\n"
            "ordercam_uplink_records_total{result=\"sent\"} %" PRIu64 "\n"
            "ordercam_uplink_records_total{result=\"rejected\"} %" PRIu64 "\n"
            "# TYPE ordercam_uplink_tally_rows_sent_total counter\n"
            "ordercam_uplink_tally_rows_sent_total %" PRIu64 "\n"
            "# TYPE ordercam_uplink_evidence_total counter\n"
            "ordercam_uplink_evidence_total{result=\"sent\"} %" PRIu64 "\n"
            "ordercam_uplink_evidence_total{result=\"rejected\"} %" PRIu64 "\n"
            "# TYPE ordercam_uplink_public_evidence_total counter\n"
            "ordercam_uplink_public_evidence_total{result=\"sent\"} %" PRIu64 "\n"
            "ordercam_uplink_public_evidence_total{result=\"rejected\"} %" PRIu64 "\n"
            "# TYPE ordercam_uplink_auth_failures_total counter\n"
            "ordercam_uplink_auth_failures_total %" PRIu64 "\n"
            "# TYPE ordercam_uplink_last_status gauge\nordercam_uplink_last_status %ld\n",
            us.requests_ok, us.requests_failed, us.records_sent, us.records_rejected,
            us.tally_rows_sent, us.evidence_sent, us.evidence_rejected, us.public_sent,
            us.public_rejected, us.auth_failures, us.last_status);
    }
    put(t,
        "# HELP ordercam_spool_backlog Records in the spool that central has not accepted yet.\n"
        "# TYPE ordercam_spool_backlog gauge\nordercam_spool_backlog %" PRIu64 "\n"
        "# HELP ordercam_spool_held Violations held in memory because the spool cannot be "
        "written.\n"
        "# TYPE ordercam_spool_held gauge\nordercam_spool_held %zu\n",
        s->spool ? oc_spool_backlog(s->spool) : 0, s->held);
    if (s->listener) {
        struct oc_metrics_listener_stats ls;
        oc_metrics_listener_stats(s->listener, &ls);
        put(t,
            "# HELP ordercam_metrics_requests_total Requests this listener answered.\n"
            "# TYPE ordercam_metrics_requests_total counter\n"
            "ordercam_metrics_requests_total %" PRIu64 "\n"
            "# HELP ordercam_metrics_connections_closed_total Connections this listener closed "
            "before answering (timeout, evicted) or answered 400 (bad_request).\n"
            "# TYPE ordercam_metrics_connections_closed_total counter\n"
            "ordercam_metrics_connections_closed_total{reason=\"timeout\"} %" PRIu64 "\n"
            "ordercam_metrics_connections_closed_total{reason=\"evicted\"} %" PRIu64 "\n"
            "ordercam_metrics_connections_closed_total{reason=\"bad_request\"} %" PRIu64 "\n",
            ls.served, ls.timed_out, ls.evicted, ls.bad_request);
    }
}

/* Per input format: messages decoded, and drops (also in
 * ordercam_drops_total) for the reasons that occurred. */
static void put_adapt(struct text *t, const struct oc_metrics_src *s)
{
    if (!s->adapt)
        return;
    put(t, "# HELP ordercam_adapt_messages_total Messages each input format's adapter decoded.\n"
           "# TYPE ordercam_adapt_messages_total counter\n");
    for (int f = 1; f < OC_FORMAT__COUNT; f++)
        if (oc_adapt_uses(s->adapt, (enum oc_format)f))
            put(t, "ordercam_adapt_messages_total{format=\"%s\"} %" PRIu64 "\n",
                oc_format_name((enum oc_format)f), oc_adapt_accepted(s->adapt, (enum oc_format)f));
    put(t, "# HELP ordercam_adapt_drops_total Inputs (or fields) dropped, per input format and "
           "reason (also in ordercam_drops_total).\n"
           "# TYPE ordercam_adapt_drops_total counter\n");
    for (int f = 0; f < OC_FORMAT__COUNT; f++)
        for (int c = 0; c < OC_C__COUNT; c++) {
            uint64_t v = oc_adapt_counter(s->adapt, (enum oc_format)f, (enum oc_counter)c);
            if (v)
                put(t, "ordercam_adapt_drops_total{format=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
                    oc_format_name((enum oc_format)f), oc_counter_reason((enum oc_counter)c), v);
        }
}

/* oc_snapurl writes its own lines: room for them first (as it asks, about
 * 1 KiB per camera). */
static void put_snapurl(struct text *t, const struct oc_metrics_src *s)
{
    if (!s->snap || t->full || t->nomem)
        return;
    size_t want = t->n + 1024 * (s->cfg->n_cameras + 1);
    if (want > OC_METRICS_TEXT_MAX)
        want = OC_METRICS_TEXT_MAX;
    if (want > t->cap) {
        char *nb = realloc(t->b, want);
        if (!nb) {
            t->nomem = true;
            return;
        }
        t->b = nb;
        t->cap = want;
    }
    t->n += oc_snapurl_metrics(s->snap, t->b + t->n, t->cap - t->n);
}

char *oc_metrics_render(const struct oc_metrics_src *s, size_t *len)
{
    struct text t = {.cap = 16384};
    if (!(t.b = malloc(t.cap)))
        return NULL;
    t.b[0] = '\0';
    put_engine(&t, s);
    put_gauges(&t, s);
    put_outbound(&t, s);
    put_adapt(&t, s);
    put_snapurl(&t, s);
    if (t.nomem) {
        free(t.b);
        return NULL;
    }
    *len = t.n;
    return t.b;
}

/* ---------------- the listener ---------------- */

struct slot {
    int fd;     /* -1: free */
    int64_t t0; /* accepted, monotonic ms */
    size_t in_len;
    char in[OC_METRICS_HEADER_MAX];
    char *out; /* response being sent; NULL while reading */
    size_t out_len, out_off;
    size_t head_len; /* 0 while the head is incomplete */
    char *body;      /* a POST body being read (routes only) */
    size_t body_len, body_want;
};

struct oc_metrics {
    int lfd, wake[2];
    pthread_t thread;
    oc_metrics_health_fn health;
    void *ud;
    pthread_mutex_t lock; /* text and stats */
    char *text;
    size_t text_len;
    struct oc_metrics_listener_stats st;
    struct slot slots[OC_METRICS_SLOTS];
    oc_metrics_route_fn route; /* set once before requests arrive */
    void *route_ud;
    char *token; /* NULL: no token needed */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum close_reason { CLOSE_DONE, CLOSE_TIMEOUT, CLOSE_EVICTED, CLOSE_GONE };

static void slot_close(struct oc_metrics *m, struct slot *s, enum close_reason why)
{
    close(s->fd);
    s->fd = -1;
    free(s->out);
    s->out = NULL;
    free(s->body);
    s->body = NULL;
    s->in_len = s->out_len = s->out_off = s->head_len = s->body_len = s->body_want = 0;
    pthread_mutex_lock(&m->lock);
    if (why == CLOSE_TIMEOUT)
        m->st.timed_out++;
    else if (why == CLOSE_EVICTED)
        m->st.evicted++;
    pthread_mutex_unlock(&m->lock);
}

static const char *reason_phrase(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Not Found";
    }
}

/* Head and body as one allocation; the length is computed, never counted. */
static char *response_h(unsigned status, const char *ctype, const char *extra, const char *body,
                        size_t blen, size_t *len)
{
    char head[768];
    int h = snprintf(head, sizeof head,
                     "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                     "%sConnection: close\r\n\r\n",
                     status, reason_phrase(status), ctype, blen, extra ? extra : "");
    if (h < 0 || (size_t)h >= sizeof head)
        return NULL;
    char *r = malloc((size_t)h + blen);
    if (!r)
        return NULL;
    memcpy(r, head, (size_t)h);
    memcpy(r + h, body, blen);
    *len = (size_t)h + blen;
    return r;
}

static char *response(unsigned status, const char *ctype, const char *body, size_t blen,
                      size_t *len)
{
    return response_h(status, ctype, NULL, body, blen, len);
}

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define BODY(s) s, sizeof s - 1

/* Answers 400 (counted); the connection then closes as any other. */
static void bad_request(struct oc_metrics *m, struct slot *s)
{
    pthread_mutex_lock(&m->lock);
    m->st.bad_request++;
    pthread_mutex_unlock(&m->lock);
    if (!(s->out = response(400, TEXT_PLAIN, BODY("bad request\n"), &s->out_len)))
        slot_close(m, s, CLOSE_GONE);
}

int oc_http_header(const char *head, size_t head_len, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    const char *end = head + head_len;
    const char *p = memchr(head, '\n', head_len); /* skip the request line */
    while (p && p + 1 < end) {
        p++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t n = (size_t)(ve - v) < cap - 1 ? (size_t)(ve - v) : cap - 1;
            memcpy(buf, v, n);
            buf[n] = '\0';
            return 1;
        }
        p = eol < end ? eol : NULL;
    }
    return 0;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int oc_http_query(const char *query, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n > nl && p[nl] == '=' && strncmp(p, name, nl) == 0) {
            size_t o = 0;
            for (size_t i = nl + 1; i < n && o + 1 < cap; i++) {
                int hi, lo;
                if (p[i] == '%' && i + 2 < n + 1 && (hi = hexval(p[i + 1])) >= 0 &&
                    (lo = hexval(p[i + 2])) >= 0) {
                    buf[o++] = (char)(hi * 16 + lo);
                    i += 2;
                } else {
                    buf[o++] = p[i] == '+' ? ' ' : p[i];
                }
            }
            buf[o] = '\0';
            return 1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* The live page's own files hold no data: they load without the token
 * (which the page then sends with every data request). */
static bool public_file(const char *path, size_t plen)
{
    static const char *const files[] = {"/live", "/live/", "/live/index.html", "/live/live.js",
                                        "/live/live.css"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (strlen(files[i]) == plen && memcmp(files[i], path, plen) == 0)
            return true;
    return false;
}

/* Constant time in the length of the expected token. */
static bool token_equal(const char *want, const char *got)
{
    size_t wl = strlen(want), gl = strlen(got);
    unsigned char d = wl != gl;
    for (size_t i = 0; i < wl; i++)
        d |= (unsigned char)(want[i] ^ (i < gl ? got[i] : 0));
    return d == 0;
}

static bool authorized(struct oc_metrics *m, struct slot *s, const char *q, const char *sp2)
{
    if (!m->token)
        return true;
    char got[300];
    if (oc_http_header(s->in, s->head_len, "Authorization", got, sizeof got) &&
        strncasecmp(got, "Bearer ", 7) == 0 && token_equal(m->token, got + 7))
        return true;
    if (q) {
        char query[1024];
        size_t ql =
            (size_t)(sp2 - q - 1) < sizeof query - 1 ? (size_t)(sp2 - q - 1) : sizeof query - 1;
        memcpy(query, q + 1, ql);
        query[ql] = '\0';
        if (oc_http_query(query, "token", got, sizeof got) && token_equal(m->token, got))
            return true;
    }
    return false;
}

/* Hands the request to the route; its answer, else 404. */
static void route(struct oc_metrics *m, struct slot *s, const char *sp1, const char *path,
                  size_t plen, const char *q, const char *sp2)
{
    char method[16], p[1024], query[1024];
    size_t ml = (size_t)(sp1 - s->in), ql = q ? (size_t)(sp2 - q - 1) : 0;
    if (ml >= sizeof method || plen >= sizeof p || ql >= sizeof query) {
        s->out = response(404, TEXT_PLAIN, BODY("not found\n"), &s->out_len);
    } else {
        memcpy(method, s->in, ml), method[ml] = '\0';
        memcpy(p, path, plen), p[plen] = '\0';
        if (q)
            memcpy(query, q + 1, ql);
        query[ql] = '\0';
        struct oc_http_req req = {.method = method,
                                  .path = p,
                                  .query = query,
                                  .head = s->in,
                                  .head_len = s->head_len,
                                  .body = s->body,
                                  .body_len = s->body_len};
        struct oc_http_resp r = {0};
        if (m->route(m->route_ud, &req, &r)) {
            s->out = response_h(r.status, r.type ? r.type : TEXT_PLAIN, r.headers,
                                r.body ? r.body : "", r.len, &s->out_len);
            free(r.body);
        } else {
            free(r.body);
            s->out = response(404, TEXT_PLAIN, BODY("not found\n"), &s->out_len);
        }
    }
    if (!s->out)
        slot_close(m, s, CLOSE_GONE);
}

/* The request head is complete: choose the answer. */
static void answer(struct oc_metrics *m, struct slot *s)
{
    char *sp1 = memchr(s->in, ' ', s->in_len);
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', s->in_len - (size_t)(sp1 + 1 - s->in)) : NULL;
    size_t plen = sp2 ? (size_t)(sp2 - sp1 - 1) : 0;
    const char *path = sp1 ? sp1 + 1 : "";
    const char *q = plen ? memchr(path, '?', plen) : NULL;
    if (q)
        plen = (size_t)(q - path);
    bool get = sp1 && sp1 - s->in == 3 && memcmp(s->in, "GET", 3) == 0;
#define IS(p) (plen == sizeof p - 1 && memcmp(path, p, plen) == 0)
    if (!sp2) {
        bad_request(m, s);
        return;
    } else if (!IS("/health") && !public_file(path, plen) && !authorized(m, s, q, sp2)) {
        s->out = response_h(401, TEXT_PLAIN, "WWW-Authenticate: Bearer\r\n",
                            BODY("token required\n"), &s->out_len);
    } else if (get && IS("/metrics")) {
        pthread_mutex_lock(&m->lock);
        s->out = response(200, "text/plain; version=0.0.4", m->text ? m->text : "", m->text_len,
                          &s->out_len);
        pthread_mutex_unlock(&m->lock);
    } else if (get && IS("/health")) {
        int up = m->health(m->ud);
        s->out = up ? response(200, TEXT_PLAIN, BODY("ok\n"), &s->out_len)
                    : response(503, TEXT_PLAIN, BODY("broker not connected\n"), &s->out_len);
    } else if (m->route) {
        route(m, s, sp1, path, plen, q, sp2);
        return;
    } else {
        s->out = response(404, TEXT_PLAIN, BODY("not found\n"), &s->out_len);
    }
#undef IS
    if (!s->out)
        slot_close(m, s, CLOSE_GONE);
}

/* The head's length (through its blank line), or 0 while incomplete. */
static size_t head_complete(const struct slot *s)
{
    for (size_t i = 0; i + 1 < s->in_len; i++) {
        if (s->in[i] != '\n')
            continue;
        if (s->in[i + 1] == '\n')
            return i + 2;
        if (s->in[i + 1] == '\r' && i + 2 < s->in_len && s->in[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* The head is in: a POST for a route reads its body first. 1: answer now. */
static int start_body(struct oc_metrics *m, struct slot *s)
{
    char cl[32];
    if (!m->route || s->in_len < 5 || memcmp(s->in, "POST ", 5) != 0 ||
        !oc_http_header(s->in, s->head_len, "Content-Length", cl, sizeof cl))
        return 1;
    char *end;
    unsigned long long n = strtoull(cl, &end, 10);
    if (end == cl || *end || n > OC_METRICS_BODY_MAX) {
        s->out = response(413, TEXT_PLAIN, BODY("body too large\n"), &s->out_len);
        if (!s->out)
            slot_close(m, s, CLOSE_GONE);
        return 0;
    }
    if (!(s->body = malloc(n + 1))) {
        slot_close(m, s, CLOSE_GONE);
        return 0;
    }
    s->body_want = (size_t)n;
    s->body_len = s->in_len - s->head_len < n ? s->in_len - s->head_len : n;
    memcpy(s->body, s->in + s->head_len, s->body_len);
    s->body[s->body_len] = '\0';
    return s->body_len == s->body_want;
}

static void read_body(struct oc_metrics *m, struct slot *s)
{
    ssize_t k = recv(s->fd, s->body + s->body_len, s->body_want - s->body_len, 0);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
        slot_close(m, s, CLOSE_GONE);
        return;
    }
    if (k < 0)
        return;
    s->body_len += (size_t)k;
    s->body[s->body_len] = '\0';
    if (s->body_len == s->body_want)
        answer(m, s);
}

static void on_readable(struct oc_metrics *m, struct slot *s)
{
    if (s->body) {
        read_body(m, s);
        return;
    }
    ssize_t k = recv(s->fd, s->in + s->in_len, sizeof s->in - s->in_len, 0);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
        slot_close(m, s, CLOSE_GONE);
        return;
    }
    if (k < 0)
        return;
    s->in_len += (size_t)k;
    if ((s->head_len = head_complete(s)) > 0) {
        if (start_body(m, s))
            answer(m, s);
    } else if (s->in_len == sizeof s->in) {
        bad_request(m, s);
    }
}

static void on_writable(struct oc_metrics *m, struct slot *s)
{
    ssize_t k = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (k <= 0) {
        slot_close(m, s, CLOSE_GONE);
        return;
    }
    s->out_off += (size_t)k;
    if (s->out_off == s->out_len) {
        pthread_mutex_lock(&m->lock);
        m->st.served++;
        pthread_mutex_unlock(&m->lock);
        shutdown(s->fd, SHUT_WR);
        slot_close(m, s, CLOSE_DONE);
    }
}

/* A free slot, else the oldest connection is closed to make one. */
static struct slot *take_slot(struct oc_metrics *m)
{
    struct slot *oldest = &m->slots[0];
    for (size_t i = 0; i < OC_METRICS_SLOTS; i++) {
        if (m->slots[i].fd < 0)
            return &m->slots[i];
        if (m->slots[i].t0 < oldest->t0)
            oldest = &m->slots[i];
    }
    slot_close(m, oldest, CLOSE_EVICTED);
    return oldest;
}

static void on_accept(struct oc_metrics *m)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct slot *s = take_slot(m);
        s->fd = fd;
        s->t0 = mono_ms();
    }
}

static void *serve(void *arg)
{
    struct oc_metrics *m = arg;
    struct pollfd p[OC_METRICS_SLOTS + 2];
    for (;;) {
        int64_t now = mono_ms(), wait = 1000;
        p[0] = (struct pollfd){.fd = m->wake[0], .events = POLLIN};
        p[1] = (struct pollfd){.fd = m->lfd, .events = POLLIN};
        for (size_t i = 0; i < OC_METRICS_SLOTS; i++) {
            struct slot *s = &m->slots[i];
            p[i + 2] = (struct pollfd){.fd = s->fd, .events = s->out ? POLLOUT : POLLIN};
            if (s->fd >= 0 && s->t0 + OC_METRICS_REQUEST_MS - now < wait)
                wait = s->t0 + OC_METRICS_REQUEST_MS - now;
        }
        if (poll(p, OC_METRICS_SLOTS + 2, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
            return NULL;
        if (p[0].revents)
            return NULL;
        now = mono_ms();
        for (size_t i = 0; i < OC_METRICS_SLOTS; i++) {
            struct slot *s = &m->slots[i];
            if (s->fd < 0 || s->fd != p[i + 2].fd)
                continue;
            if (now - s->t0 >= OC_METRICS_REQUEST_MS)
                slot_close(m, s, CLOSE_TIMEOUT);
            else if (p[i + 2].revents & (POLLERR | POLLNVAL))
                slot_close(m, s, CLOSE_GONE);
            else if (p[i + 2].revents & POLLOUT)
                on_writable(m, s);
            else if (p[i + 2].revents & (POLLIN | POLLHUP))
                on_readable(m, s);
        }
        if (p[1].revents & POLLIN)
            on_accept(m);
    }
}

/* "HOST:PORT" or "[V6]:PORT" into a listening socket. */
static int listen_on(const char *addr, char *err, size_t errlen)
{
    char host[256];
    snprintf(host, sizeof host, "%s", addr);
    char *colon = strrchr(host, ':');
    if (!colon) {
        snprintf(err, errlen, "metrics.listen must be HOST:PORT");
        return -1;
    }
    *colon = '\0';
    char *h = host;
    if (h[0] == '[' && colon > h && colon[-1] == ']') {
        h++;
        colon[-1] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(h, colon + 1, &hints, &ai) != 0) {
        snprintf(err, errlen, "metrics.listen: cannot resolve %s", h);
        return -1;
    }
    int one = 1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "cannot listen on %s for metrics: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

struct oc_metrics *oc_metrics_start(const char *addr, oc_metrics_health_fn health, void *ud,
                                    char *err, size_t errlen)
{
    struct oc_metrics *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "metrics: out of memory");
        return NULL;
    }
    m->health = health;
    m->ud = ud;
    m->wake[0] = m->wake[1] = -1;
    for (size_t i = 0; i < OC_METRICS_SLOTS; i++)
        m->slots[i].fd = -1;
    pthread_mutex_init(&m->lock, NULL);
    if ((m->lfd = listen_on(addr, err, errlen)) < 0) {
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    if (pipe2(m->wake, O_CLOEXEC) != 0 || pthread_create(&m->thread, NULL, serve, m) != 0) {
        snprintf(err, errlen, "metrics: cannot start the listener: %s", strerror(errno));
        if (m->wake[0] >= 0)
            close(m->wake[0]), close(m->wake[1]);
        close(m->lfd);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    return m;
}

void oc_metrics_publish(struct oc_metrics *m, char *text, size_t len)
{
    if (!m) {
        free(text);
        return;
    }
    pthread_mutex_lock(&m->lock);
    free(m->text);
    m->text = text;
    m->text_len = len;
    pthread_mutex_unlock(&m->lock);
}

int oc_metrics_set_route(struct oc_metrics *m, oc_metrics_route_fn fn, void *ud, const char *token)
{
    char *t = token ? strdup(token) : NULL;
    if (token && !t)
        return -1;
    pthread_mutex_lock(&m->lock);
    m->route = fn;
    m->route_ud = ud;
    free(m->token);
    m->token = t;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

void oc_metrics_listener_stats(struct oc_metrics *m, struct oc_metrics_listener_stats *s)
{
    pthread_mutex_lock(&m->lock);
    *s = m->st;
    pthread_mutex_unlock(&m->lock);
}

void oc_metrics_stop(struct oc_metrics *m)
{
    if (!m)
        return;
    ssize_t w = write(m->wake[1], "x", 1); /* an empty pipe takes one byte */
    (void)w;
    pthread_join(m->thread, NULL);
    for (size_t i = 0; i < OC_METRICS_SLOTS; i++)
        if (m->slots[i].fd >= 0)
            slot_close(m, &m->slots[i], CLOSE_DONE);
    close(m->wake[0]);
    close(m->wake[1]);
    close(m->lfd);
    free(m->text);
    free(m->token);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
