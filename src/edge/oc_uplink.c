#include "oc_uplink.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oc_spool.h"
#include "ordercam/oc_event.h"
#include "ordercam/oc_io.h"

#define RECORDS_PER_BATCH 1000
#define TALLIES_PER_BATCH 5000
#define EVIDENCE_PER_CYCLE 16

struct buf {
    char *p;
    size_t len, cap;
};

struct oc_uplink {
    struct oc_uplink_opts o;
    char *url, *token_file, *ca_file, *cert_file, *key_file, *box, *version, *dir, *cameras;
    char *evdir; /* NULL: no evidence to send */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, poked;
    struct oc_uplink_stats st;
    struct oc_spool *spool;
    CURL *curl;
    struct buf body, resp;
    long retry_after;
    unsigned seed;
    int auth_state; /* 0 unknown, 1 ok, -1 refused: logged on change */
    int net_state;  /* 0 unknown, 1 reachable, -1 failing: logged on change */
    size_t batch;   /* records per request; halved on 413 */
};

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

__attribute__((format(printf, 3, 4))) static void logf_(struct oc_uplink *u, int level,
                                                        const char *fmt, ...)
{
    if (!u->o.log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    u->o.log(u->o.ud, level, msg);
}

static int put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int puts_(struct buf *b, const char *s)
{
    return put(b, s, strlen(s));
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct oc_uplink *u = ud;
    if (u->resp.len < 65536)
        put(&u->resp, p, sz * n);
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct oc_uplink *u = ud;
    if (sz * n > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
        u->retry_after = strtol(p + 12, NULL, 10);
    return sz * n;
}

static char *read_token(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    char line[512] = "";
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    if (!ok)
        return NULL;
    line[strcspn(line, "\r\n")] = '\0';
    return line[0] ? strdup(line) : NULL;
}

/* Sends body to path (POST of JSON, or PUT of a JPEG with its digest);
 * returns the HTTP status, 0 on a network error. */
static long request(struct oc_uplink *u, const char *path, const char *token, const void *body,
                    size_t len, const char *sha256)
{
    char url[1024], auth[600], digest[100];
    snprintf(url, sizeof url, "%s%s", u->url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, sha256 ? "Content-Type: image/jpeg" : "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    if (sha256) {
        snprintf(digest, sizeof digest, "X-Content-SHA256: %s", sha256);
        h = curl_slist_append(h, digest);
    }
    u->resp.len = 0;
    u->retry_after = 0;
    curl_easy_setopt(u->curl, CURLOPT_URL, url);
    curl_easy_setopt(u->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(u->curl, CURLOPT_CUSTOMREQUEST, sha256 ? "PUT" : NULL);
    curl_easy_setopt(u->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(u->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CURLcode rc = curl_easy_perform(u->curl);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long status = 0;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &status);
        if (u->net_state == -1)
            logf_(u, 5, "uplink to %s: reachable again", u->url);
        u->net_state = 1;
    } else if (u->net_state != -1) {
        /* once per outage, not per retry */
        logf_(u, 4, "uplink to %s: %s; retrying with backoff", u->url, curl_easy_strerror(rc));
        u->net_state = -1;
    }
    long connects = 0;
    curl_easy_getinfo(u->curl, CURLINFO_NUM_CONNECTS, &connects);
    if (connects > 0 && u->o.insecure_skip_verify)
        logf_(u, 4, "uplink: connected to %s WITHOUT verifying its certificate (insecure_skip_verify)", u->url);
    curl_slist_free_all(h);
    pthread_mutex_lock(&u->lock);
    u->st.request_seconds += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    u->st.last_status = status;
    if (status == 200)
        u->st.requests_ok++;
    else
        u->st.requests_failed++;
    pthread_mutex_unlock(&u->lock);
    return status;
}

static long post(struct oc_uplink *u, const char *path, const char *token)
{
    return request(u, path, token, u->body.p, u->body.len, NULL);
}

struct tally_row {
    char camera[72], type[72];
    int64_t bucket, count, version;
};

struct collect {
    struct oc_uplink *u;
    struct tally_row *rows;
    size_t n;
    char **ids;
    size_t n_ids;
};

static void add_tally(void *ud, const char *camera, const char *type, int64_t bucket, int64_t count,
                      int64_t version)
{
    struct collect *c = ud;
    struct tally_row *r = &c->rows[c->n++];
    snprintf(r->camera, sizeof r->camera, "%s", camera);
    snprintf(r->type, sizeof r->type, "%s", type);
    r->bucket = bucket;
    r->count = count;
    r->version = version;
    char row[256];
    snprintf(row, sizeof row, "%s{\"camera\":\"%s\",\"type\":\"%s\",\"bucket\":%lld,\"count\":%lld}",
             c->n > 1 ? "," : "", camera, type, (long long)bucket, (long long)count);
    puts_(&c->u->body, row);
}

static void add_record(void *ud, const char *id, const char *record)
{
    struct collect *c = ud;
    c->ids[c->n_ids++] = strdup(id);
    puts_(&c->u->body, c->n_ids > 1 ? "," : "");
    puts_(&c->u->body, record);
}

/* One status classified: 1 done, 0 retry later, -1 permanent rejection. */
static int classify(struct oc_uplink *u, long status)
{
    if (status == 200)
        return 1;
    if (status == 401 || status == 403) {
        if (u->auth_state != -1)
            logf_(u, 3, "uplink: central refused our token (HTTP %ld): check %s; retrying", status,
                  u->token_file ? u->token_file : "central.token_file");
        u->auth_state = -1;
        pthread_mutex_lock(&u->lock);
        u->st.auth_failures++;
        pthread_mutex_unlock(&u->lock);
        return 0;
    }
    if (status >= 400 && status < 500 && status != 408 && status != 409 && status != 429)
        return -1;
    return 0;
}

struct ev_item {
    char id[256], file[256], sha[65];
};

struct ev_list {
    struct ev_item items[EVIDENCE_PER_CYCLE];
    size_t n;
};

static void add_evidence(void *ud, const char *id, const char *file, const char *sha)
{
    struct ev_list *l = ud;
    struct ev_item *it = &l->items[l->n++];
    snprintf(it->id, sizeof it->id, "%s", id);
    snprintf(it->file, sizeof it->file, "%s", file ? file : "");
    snprintf(it->sha, sizeof it->sha, "%s", sha ? sha : "");
}

/* The image's bytes, at most OC_JPEG_MAX_BYTES (what central takes by
 * default is less; it answers 413); NULL when it is gone. */
static unsigned char *read_image(const char *dir, const char *file, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return oc_io_read_file(path, OC_JPEG_MAX_BYTES, len);
}

/* After records: evidence images of accepted records, oldest first.
 * 1: none left, 0: progress, -1: back off. */
static int send_evidence(struct oc_uplink *u, const char *token)
{
    if (!u->evdir)
        return 1;
    struct ev_list *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    oc_spool_evidence_todo(u->spool, EVIDENCE_PER_CYCLE, add_evidence, l);
    int rc = l->n < EVIDENCE_PER_CYCLE ? 1 : 0;
    for (size_t i = 0; i < l->n && rc >= 0; i++) {
        struct ev_item *it = &l->items[i];
        size_t len = 0;
        unsigned char *img = read_image(u->evdir, it->file, &len);
        if (!img) { /* deleted behind our back (or evicted meanwhile) */
            oc_spool_evidence_mark(u->spool, it->id, OC_SPOOL_EV_EVICTED);
            logf_(u, 4, "uplink: evidence %s is gone from the disk; not sent", it->file);
            continue;
        }
        char path[400];
        snprintf(path, sizeof path, "/api/v1/evidence/%s", it->id);
        long status = request(u, path, token, img, len, it->sha);
        free(img);
        int k = classify(u, status);
        if (k == 1) {
            oc_spool_evidence_mark(u->spool, it->id, OC_SPOOL_EV_SENT);
            pthread_mutex_lock(&u->lock);
            u->st.evidence_sent++;
            pthread_mutex_unlock(&u->lock);
        } else if (k < 0) {
            oc_spool_evidence_mark(u->spool, it->id, OC_SPOOL_EV_PARKED);
            logf_(u, 3, "uplink: central rejected evidence of %s for good (HTTP %ld): %.200s; parked",
                  it->id, status, u->resp.p ? u->resp.p : "");
            pthread_mutex_lock(&u->lock);
            u->st.evidence_rejected++;
            pthread_mutex_unlock(&u->lock);
        } else {
            rc = -1;
        }
    }
    free(l);
    return rc;
}

/* Sends one batch of tallies and one of records. 1: everything sent and
 * nothing left, 0: some progress or nothing to do, -1: must back off. */
static int cycle(struct oc_uplink *u)
{
    char *token = read_token(u->token_file);
    if (!token) {
        logf_(u, 3, "uplink: no token in %s", u->token_file ? u->token_file : "(central.token_file unset)");
        return -1;
    }
    uint64_t backlog = oc_spool_backlog(u->spool);
    pthread_mutex_lock(&u->lock);
    u->st.backlog = backlog;
    pthread_mutex_unlock(&u->lock);
    int rc = 0;
    /* tallies first: the counts are what the city sees */
    struct collect c = {.u = u, .rows = calloc(TALLIES_PER_BATCH, sizeof *c.rows)};
    u->body.len = 0;
    char head[512];
    /* the cameras' places are as long as the box has cameras: not in head */
    snprintf(head, sizeof head, "{\"box\":\"%s\",\"version\":\"%s\",\"backlog\":%llu,\"cameras\":",
             u->box, u->version, (unsigned long long)backlog);
    puts_(&u->body, head);
    puts_(&u->body, u->cameras);
    puts_(&u->body, ",\"tallies\":[");
    size_t n = c.rows ? oc_spool_dirty_tallies(u->spool, TALLIES_PER_BATCH, add_tally, &c) : 0;
    puts_(&u->body, "]}");
    long status = post(u, "/api/v1/tallies", token);
    int k = classify(u, status);
    if (k == 1) {
        if (u->auth_state == -1)
            logf_(u, 5, "uplink: central accepts our token again");
        u->auth_state = 1;
        oc_spool_begin(u->spool);
        for (size_t i = 0; i < n; i++)
            oc_spool_tally_sent(u->spool, c.rows[i].camera, c.rows[i].type, c.rows[i].bucket,
                                c.rows[i].version);
        oc_spool_commit(u->spool);
        pthread_mutex_lock(&u->lock);
        u->st.tally_rows_sent += n;
        pthread_mutex_unlock(&u->lock);
    } else if (k < 0) {
        logf_(u, 3, "uplink: central rejected %zu tally rows (HTTP %ld): %.200s", n, status, u->resp.p ? u->resp.p : "");
    }
    free(c.rows);
    if (k == 0) {
        free(token);
        return -1;
    }
    /* then records, oldest first */
    c = (struct collect){.u = u, .ids = calloc(u->batch, sizeof(char *))};
    u->body.len = 0;
    snprintf(head, sizeof head, "{\"box\":\"%s\",\"violations\":[", u->box);
    puts_(&u->body, head);
    size_t m = c.ids ? oc_spool_pending(u->spool, u->batch, add_record, &c) : 0;
    puts_(&u->body, "]}");
    if (m > 0) {
        status = post(u, "/api/v1/violations", token);
        k = classify(u, status);
        if (k == 1) {
            oc_spool_mark(u->spool, (const char *const *)c.ids, c.n_ids, OC_SPOOL_ACCEPTED);
            pthread_mutex_lock(&u->lock);
            u->st.records_sent += m;
            pthread_mutex_unlock(&u->lock);
            rc = m < u->batch ? 1 : 0;
        } else if (status == 413 && u->batch > 1) {
            u->batch /= 2; /* too large for central: smaller batches */
        } else if (k < 0) {
            /* central names the bad record ("violations[i]: ..."); else the oldest goes */
            const char *p = u->resp.p ? strstr(u->resp.p, "violations[") : NULL;
            size_t bad = p ? strtoul(p + 11, NULL, 10) : 0;
            if (bad >= c.n_ids)
                bad = 0;
            oc_spool_mark(u->spool, (const char *const *)&c.ids[bad], 1, OC_SPOOL_REJECTED);
            logf_(u, 3, "uplink: central rejected record %s for good (HTTP %ld): %.200s; parked",
                  c.ids[bad], status, u->resp.p ? u->resp.p : "");
            pthread_mutex_lock(&u->lock);
            u->st.records_rejected++;
            pthread_mutex_unlock(&u->lock);
        } else {
            rc = -1;
        }
    } else if (k == 1) {
        rc = n < TALLIES_PER_BATCH ? 1 : 0;
    }
    for (size_t i = 0; i < c.n_ids; i++)
        free(c.ids[i]);
    free(c.ids);
    if (rc == 1) /* evidence last: counts and records matter first */
        rc = send_evidence(u, token);
    free(token);
    return rc;
}

static void wait_ms(struct oc_uplink *u, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&u->lock);
    while (u->running && !u->poked)
        if (pthread_cond_timedwait(&u->wake, &u->lock, &until) != 0)
            break;
    u->poked = 0;
    pthread_mutex_unlock(&u->lock);
}

static int stopping(struct oc_uplink *u)
{
    pthread_mutex_lock(&u->lock);
    int stop = !u->running;
    pthread_mutex_unlock(&u->lock);
    return stop;
}

/* libcurl's progress callback: a transfer in flight ends when we stop. */
static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return stopping(ud);
}

static void *run(void *arg)
{
    struct oc_uplink *u = arg;
    int attempt = 0;
    while (!stopping(u)) {
        int rc = cycle(u);
        if (rc < 0) {
            long cap = 1000L << (attempt < 6 ? attempt : 6); /* 1 s .. 64 s */
            long ms = (long)(rand_r(&u->seed) % (unsigned)(cap + 1));
            if (u->retry_after > 0)
                ms = (u->retry_after > 300 ? 300 : u->retry_after) * 1000;
            attempt++;
            wait_ms(u, ms);
        } else {
            attempt = 0;
            if (rc == 1)
                wait_ms(u, (long)u->o.push_interval_s * 1000);
        }
    }
    return NULL;
}

struct oc_uplink *oc_uplink_start(const struct oc_uplink_opts *o)
{
    struct oc_uplink *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->o = *o;
    u->url = dup(o->url);
    u->token_file = dup(o->token_file);
    u->ca_file = dup(o->ca_file);
    u->cert_file = dup(o->cert_file);
    u->key_file = dup(o->key_file);
    u->box = dup(o->box_id);
    u->version = dup(o->version);
    u->dir = dup(o->spool_dir);
    u->evdir = dup(o->evidence_dir);
    u->cameras = dup(o->cameras_json ? o->cameras_json : "[]");
    u->seed = (unsigned)time(NULL) ^ (unsigned)(size_t)u;
    u->batch = RECORDS_PER_BATCH;
    u->running = 1;
    pthread_mutex_init(&u->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&u->wake, &ca);
    pthread_condattr_destroy(&ca);
    char err[256];
    u->spool = oc_spool_open(u->dir, err, sizeof err);
    u->curl = curl_easy_init();
    if (!u->spool || !u->curl || !u->url) {
        logf_(u, 3, "uplink cannot start: %s", u->spool ? "libcurl" : err);
        oc_spool_close(u->spool);
        if (u->curl)
            curl_easy_cleanup(u->curl);
        free(u);
        return NULL;
    }
    CURL *c = u->curl;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, u);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, u);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer ... */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L); /* ... gives up after 30 s */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, u);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (u->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, u->ca_file);
    if (u->cert_file)
        curl_easy_setopt(c, CURLOPT_SSLCERT, u->cert_file);
    if (u->key_file)
        curl_easy_setopt(c, CURLOPT_SSLKEY, u->key_file);
    if (o->insecure_skip_verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (pthread_create(&u->thread, NULL, run, u) != 0) {
        oc_spool_close(u->spool);
        curl_easy_cleanup(u->curl);
        free(u);
        return NULL;
    }
    return u;
}

void oc_uplink_poke(struct oc_uplink *u)
{
    if (!u)
        return;
    pthread_mutex_lock(&u->lock);
    u->poked = 1;
    pthread_cond_signal(&u->wake);
    pthread_mutex_unlock(&u->lock);
}

void oc_uplink_stop(struct oc_uplink *u)
{
    if (!u)
        return;
    pthread_mutex_lock(&u->lock);
    u->running = 0;
    pthread_cond_signal(&u->wake);
    pthread_mutex_unlock(&u->lock);
    pthread_join(u->thread, NULL);
    oc_spool_close(u->spool);
    curl_easy_cleanup(u->curl);
    free(u->body.p);
    free(u->resp.p);
    free(u->url), free(u->token_file), free(u->ca_file), free(u->cert_file), free(u->key_file);
    free(u->box), free(u->version), free(u->dir), free(u->cameras), free(u->evdir);
    pthread_mutex_destroy(&u->lock);
    pthread_cond_destroy(&u->wake);
    free(u);
}

void oc_uplink_stats(struct oc_uplink *u, struct oc_uplink_stats *s)
{
    pthread_mutex_lock(&u->lock);
    *s = u->st;
    pthread_mutex_unlock(&u->lock);
}
