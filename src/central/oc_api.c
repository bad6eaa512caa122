/* The server: libmicrohttpd start and stop, the request life cycle (body
 * collection within the shared memory budget) and the connection list the
 * watchdog reads. Every response to an API error is {"error": "..."}. */
#include "oc_api_int.h"
#include "oc_report.h"

#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TRIM_AFTER_BYTES (1u << 20) /* give heap back to the system after this much */

/* Reserves n bytes of the budget shared by all requests; 0 when it would
 * go over (the caller answers 503). */
int oc_api_budget_take(struct oc_api *api, size_t n)
{
    pthread_mutex_lock(&api->lock);
    int ok = api->buffered + n <= api->cfg->max_buffered_bytes;
    if (ok)
        api->buffered += n;
    pthread_mutex_unlock(&api->lock);
    return ok;
}

static void budget_give(struct oc_api *api, size_t n)
{
    pthread_mutex_lock(&api->lock);
    api->buffered -= n;
    pthread_mutex_unlock(&api->lock);
    if (n >= TRIM_AFTER_BYTES)
        malloc_trim(0); /* glibc keeps freed heap otherwise; give it back */
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)version;
    struct oc_api *api = cls;
    struct req *rq = *state;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *state = rq;
        enum MHD_Result ret = MHD_YES;
        if (!oc_api_admit(api, c, url, method, rq, &ret))
            rq->answered = 1;
        return ret;
    }
    if (rq->answered) {
        *upload_size = 0; /* answered from the headers: the body is dropped unread */
        return MHD_YES;
    }
    if (*upload_size) {
        if (rq->len + *upload_size > rq->cap)
            return MHD_NO; /* more than its Content-Length: cannot happen with MHD */
        memcpy(rq->body + rq->len, upload, *upload_size);
        rq->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    rq->answered = 1;
    return oc_api_route(api, c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code)
{
    (void)code;
    struct oc_api *api = cls;
    struct req *rq = *state;
    if (rq) {
        free(rq->body);
        if (rq->reserved)
            budget_give(api, rq->reserved);
        free(rq);
    }
    *state = NULL;
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *cn = i ? i->socket_context : NULL;
    if (cn) {
        pthread_mutex_lock(&api->lock);
        cn->since = oc_api_now_ms(); /* the next request's time starts now */
        pthread_mutex_unlock(&api->lock);
    }
}

/* Connections are tracked so that the watchdog can cut one whose request
 * runs longer than request_total_s in any phase (TLS handshake, headers,
 * body, answer): libmicrohttpd's own timeout only sees idle gaps. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct oc_api *api = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *cn = calloc(1, sizeof *cn);
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!cn || !i) {
            free(cn);
            return; /* untracked: only the idle timeout applies */
        }
        cn->fd = i->connect_fd;
        cn->since = oc_api_now_ms();
        pthread_mutex_lock(&api->lock);
        cn->next = api->conns;
        if (api->conns)
            api->conns->prev = cn;
        api->conns = cn;
        pthread_mutex_unlock(&api->lock);
        *socket_context = cn;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        /* under the lock, before libmicrohttpd closes the socket: the
         * watchdog never shuts down a descriptor reused by another */
        struct conn *cn = *socket_context;
        pthread_mutex_lock(&api->lock);
        if (cn->prev)
            cn->prev->next = cn->next;
        else
            api->conns = cn->next;
        if (cn->next)
            cn->next->prev = cn->prev;
        pthread_mutex_unlock(&api->lock);
        free(cn);
        *socket_context = NULL;
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf && n == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

struct oc_api *oc_api_start(const struct oc_ccfg *cfg, struct oc_store *store, struct oc_auth *auth,
                            char *err, size_t errlen)
{
    struct oc_api *api = calloc(1, sizeof *api);
    if (!api) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    api->cfg = cfg;
    api->store = store;
    api->auth = auth;
    pthread_mutex_init(&api->lock, NULL);
    pthread_cond_init(&api->wake, NULL);
    const char *plate_types[12];
    size_t n_plate_types = 0;
    int failed = 0;
    if (oc_api_load_codes(api, err, errlen) == 0)
        n_plate_types = oc_report_plate_types(api->codes[0], plate_types, 12);
    else
        failed = 1;
    /* the repeat plates kept for the reports: counted again when the
     * enforcement types changed */
    if (!failed && store->ops->plates_setup(store, plate_types, n_plate_types) != OC_OK) {
        snprintf(err, errlen, "cannot set up the repeat plate counts");
        failed = 1;
    }
    if (failed) {
        oc_codes_free(api->codes[0]);
        oc_codes_free(api->codes[1]);
        free(api);
        return NULL;
    }
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->listen_port);
    int gai = getaddrinfo(cfg->listen_host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errlen, "listen %s: %s", cfg->listen_host, gai_strerror(gai));
        oc_codes_free(api->codes[0]);
        oc_codes_free(api->codes[1]);
        free(api);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (!cfg->insecure_http) {
        api->cert = slurp(cfg->cert_file);
        api->key = slurp(cfg->key_file);
        if (!api->cert || !api->key) {
            snprintf(err, errlen, "cannot read %s", !api->cert ? cfg->cert_file : cfg->key_file);
            freeaddrinfo(ai);
            free(api->cert);
            free(api->key);
            oc_codes_free(api->codes[0]);
            oc_codes_free(api->codes[1]);
            free(api);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, api->cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, api->key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, cfg->tls_priorities},
        {MHD_OPTION_END, 0, NULL},
    };
    api->d = MHD_start_daemon(flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, api,
                              MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
                              (unsigned)cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
                              (unsigned)cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                              (unsigned)cfg->max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
                              (unsigned)cfg->request_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                              (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, api, MHD_OPTION_ARRAY,
                              cfg->insecure_http ? tls_opts + 3 : tls_opts, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!api->d) {
        snprintf(err, errlen,
                 "cannot listen on %s:%d (in use, bad certificate/key, or bad tls.priorities)",
                 cfg->listen_host, cfg->listen_port);
        free(api->cert);
        free(api->key);
        oc_codes_free(api->codes[0]);
        oc_codes_free(api->codes[1]);
        free(api);
        return NULL;
    }
    atomic_store(&api->evidence_bytes, -1LL);
    api->watchdog_on = pthread_create(&api->watchdog, NULL, oc_api_watchdog, api) == 0;
    api->retention_on =
        api->watchdog_on && pthread_create(&api->retention, NULL, oc_api_retention_loop, api) == 0;
    if (!api->watchdog_on) {
        snprintf(err, errlen, "cannot start the request watchdog thread");
        oc_api_stop(api);
        return NULL;
    }
    return api;
}

int oc_api_port(const struct oc_api *api)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(api->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : -1;
}

void oc_api_stop(struct oc_api *api)
{
    if (!api)
        return;
    if (api->watchdog_on) {
        pthread_mutex_lock(&api->lock);
        api->stopping = 1;
        pthread_cond_broadcast(&api->wake); /* the watchdog and the retention job */
        pthread_mutex_unlock(&api->lock);
        pthread_join(api->watchdog, NULL);
        if (api->retention_on)
            pthread_join(api->retention, NULL);
    }
    MHD_stop_daemon(api->d);
    oc_codes_free(api->codes[0]);
    oc_codes_free(api->codes[1]);
    free(api->cert);
    free(api->key);
    pthread_cond_destroy(&api->wake);
    pthread_mutex_destroy(&api->lock);
    free(api);
}
