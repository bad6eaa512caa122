#include "oc_uplink.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oc_dlog.h"
#include "oc_spool.h"
#include "ordercam/oc_event.h"
#include "ordercam/oc_evidence.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_record.h"
#include "ordercam/oc_sign.h"
#include "ordercam/oc_wire.h"

#define RECORDS_PER_BATCH 1000
#define TALLIES_PER_BATCH 5000
#define EVIDENCE_PER_CYCLE 16
/* a body never needs this much (1000 records of at most OC_RECORD_MAX, 5000
 * tally rows, the cameras); beyond it the body is not sent (logged) */
#define BODY_MAX (64u << 20)

struct buf {
    char *p;
    size_t len, cap;
};

struct oc_uplink {
    struct oc_uplink_opts o;
    char *url, *token_file, *ca_file, *cert_file, *key_file, *box, *version, *dir, *cameras;
    char *evdir;              /* NULL: no evidence to send */
    struct oc_signer *signer; /* the box's key (<spool_dir>/OC_SIGN_KEY_FILE): signs each record */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, poked;
    struct oc_uplink_stats st;
    struct oc_spool *spool;
    CURL *curl;
    struct oc_wire_mem body;
    struct buf resp;
    long retry_after;
    unsigned seed;
    int auth_state;            /* 0 unknown, 1 ok, -1 refused: logged on change */
    int net_state;             /* 0 unknown, 1 reachable, -1 failing: logged on change */
    size_t batch;              /* records per request; halved on 413 */
    size_t tallies_unsendable; /* tally rows left out of the last body */
    size_t single;             /* a refusal named no record: one record per request, for as many
                                * requests as that batch had records or until one is refused */
};

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

__attribute__((format(printf, 3, 4))) static void
logf_(struct oc_uplink *u, enum oc_log_level level, const char *fmt, ...)
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
    h = curl_slist_append(h,
                          sha256 ? "Content-Type: image/jpeg" : "Content-Type: application/json");
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
            logf_(u, OC_LOG_NOTICE, "uplink to %s: reachable again", u->url);
        u->net_state = 1;
    } else if (u->net_state != -1) {
        /* once per outage, not per retry */
        logf_(u, OC_LOG_WARNING, "uplink to %s: %s; retrying with backoff", u->url,
              curl_easy_strerror(rc));
        u->net_state = -1;
    }
    long connects = 0;
    curl_easy_getinfo(u->curl, CURLINFO_NUM_CONNECTS, &connects);
    if (connects > 0 && u->o.insecure_skip_verify)
        logf_(u, OC_LOG_WARNING,
              "uplink: connected to %s WITHOUT verifying its certificate (insecure_skip_verify)",
              u->url);
    curl_slist_free_all(h);
    pthread_mutex_lock(&u->lock);
    u->st.request_seconds +=
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
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
    struct oc_wire w;
    struct tally_row *rows;
    size_t n, n_bad; /* rows in the body, rows left out (not sendable) */
    char **ids;
    size_t n_ids;
    struct oc_signer *signer;
};

static void add_tally(void *ud, const char *camera, const char *type, int64_t bucket, int64_t count,
                      int64_t version)
{
    struct collect *c = ud;
    /* the row's version is its revision: central keeps the newest */
    struct oc_wire_tally t = {camera, type, bucket, count, version};
    if (oc_wire_tally(&c->w, &t) == OC_EINVAL) {
        c->n_bad++; /* central would refuse the whole body for it */
        return;
    }
    struct tally_row *r = &c->rows[c->n++];
    snprintf(r->camera, sizeof r->camera, "%s", camera);
    snprintf(r->type, sizeof r->type, "%s", type);
    r->bucket = bucket;
    r->count = count;
    r->version = version;
}

static void add_record(void *ud, const char *id, const char *record)
{
    struct collect *c = ud;
    c->ids[c->n_ids++] = strdup(id);
    /* signed as it is sent: the image's digest is final by then, and the
     * spool keeps the record as the engine wrote it */
    char signed_rec[OC_RECORD_MAX + 128];
    size_t n =
        c->signer ? oc_sign_record(c->signer, record, strlen(record), signed_rec, sizeof signed_rec)
                  : 0;
    if (n > 0)
        oc_wire_violation(&c->w, signed_rec, n - 1);
    else /* not a record we wrote: central judges it (and refuses it unsigned if keys are required)
          */
        oc_wire_violation(&c->w, record, strlen(record));
}

enum oc_uplink_verdict oc_uplink_verdict(long status)
{
    if (status == 200)
        return OC_UPLINK_DONE;
    if (status >= 400 && status < 500 && status != 401 && status != 403 && status != 408 &&
        status != 409 && status != 429)
        return OC_UPLINK_REJECT;
    return OC_UPLINK_RETRY;
}

long oc_uplink_backoff_ms(int attempt, long retry_after_s, unsigned rnd)
{
    if (retry_after_s > 0)
        return (retry_after_s > 300 ? 300 : retry_after_s) * 1000;
    long cap = 1000L << (attempt < 6 ? (attempt < 0 ? 0 : attempt) : 6); /* 1 s .. 64 s */
    return (long)(rnd % (unsigned)(cap + 1));
}

/* One status classified: 1 done, 0 retry later, -1 permanent rejection. */
static int classify(struct oc_uplink *u, long status)
{
    enum oc_uplink_verdict v = oc_uplink_verdict(status);
    if (v == OC_UPLINK_DONE)
        return 1;
    if (status == 401 || status == 403) {
        if (u->auth_state != -1)
            logf_(u, OC_LOG_ERR, "uplink: central refused our token (HTTP %ld): check %s; retrying",
                  status, u->token_file ? u->token_file : "central.token_file");
        u->auth_state = -1;
        pthread_mutex_lock(&u->lock);
        u->st.auth_failures++;
        pthread_mutex_unlock(&u->lock);
        return 0;
    }
    return v == OC_UPLINK_REJECT ? -1 : 0;
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
            oc_spool_public_mark(u->spool, it->id, OC_SPOOL_PUB_GONE); /* went with it */
            logf_(u, OC_LOG_WARNING, "uplink: evidence %s is gone from the disk; not sent",
                  it->file);
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
            oc_spool_public_mark(u->spool, it->id, OC_SPOOL_PUB_PARKED); /* never after it */
            logf_(u, OC_LOG_ERR,
                  "uplink: central rejected evidence of %s for good (HTTP %ld): %.200s; parked",
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

/* After the private images: the public variants of records whose private
 * image central stored (docs/evidence.md). A repeat after a restart or a
 * lost answer is harmless: central answers the same bytes with 200. 400
 * and 409 (central holds another, or the record announced another) park
 * it: no retry can make it right. 1: none left, 0: progress, -1: back
 * off. */
static int send_public(struct oc_uplink *u, const char *token)
{
    if (!u->evdir)
        return 1;
    struct ev_list *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    oc_spool_public_todo(u->spool, EVIDENCE_PER_CYCLE, add_evidence, l);
    int rc = l->n < EVIDENCE_PER_CYCLE ? 1 : 0;
    for (size_t i = 0; i < l->n && rc >= 0; i++) {
        struct ev_item *it = &l->items[i];
        char pub[300];
        size_t len = 0;
        unsigned char *img = oc_evidence_public_name(it->file, pub, sizeof pub) == 0
                                 ? read_image(u->evdir, pub, &len)
                                 : NULL;
        if (!img) { /* evicted with its private image, or deleted behind our back */
            oc_spool_public_mark(u->spool, it->id, OC_SPOOL_PUB_GONE);
            logf_(u, OC_LOG_WARNING,
                  "uplink: public evidence of %s is gone from the disk; not sent", it->id);
            continue;
        }
        char path[420];
        snprintf(path, sizeof path, "/api/v1/evidence/%s/public", it->id);
        long status = request(u, path, token, img, len, it->sha);
        free(img);
        int k = status == 409 ? -1 : classify(u, status);
        if (k == 1) {
            oc_spool_public_mark(u->spool, it->id, OC_SPOOL_PUB_SENT);
            pthread_mutex_lock(&u->lock);
            u->st.public_sent++;
            pthread_mutex_unlock(&u->lock);
        } else if (k < 0) {
            oc_spool_public_mark(u->spool, it->id, OC_SPOOL_PUB_PARKED);
            logf_(u, OC_LOG_ERR,
                  "uplink: central rejected the public evidence of %s for good (HTTP %ld): "
                  "%.200s; parked",
                  it->id, status, u->resp.p ? u->resp.p : "");
            pthread_mutex_lock(&u->lock);
            u->st.public_rejected++;
            pthread_mutex_unlock(&u->lock);
        } else {
            rc = -1;
        }
    }
    free(l);
    return rc;
}

/* The changed tally rows (up to TALLIES_PER_BATCH; *n: how many were read):
 * 1 accepted, 0 refused for good (logged; they stay dirty), -1 back off.
 * A row central would refuse is left out of the body (it would refuse the
 * others with it), stays dirty and is logged when their number changes. */
static int send_tallies(struct oc_uplink *u, const char *token, uint64_t backlog, size_t *n)
{
    struct collect c = {.rows = calloc(TALLIES_PER_BATCH, sizeof *c.rows)};
    *n = 0;
    if (!c.rows)
        return -1;
    oc_wire_mem_writer(&c.w, &u->body);
    oc_wire_tallies_begin(&c.w, u->box, u->version, (int64_t)backlog, u->cameras);
    *n = oc_spool_dirty_tallies(u->spool, TALLIES_PER_BATCH, add_tally, &c);
    oc_err_t e = oc_wire_tallies_end(&c.w);
    if (c.n_bad != u->tallies_unsendable)
        logf_(u, OC_LOG_ERR,
              "uplink: %zu tally rows cannot be sent (camera or type central refuses); kept",
              c.n_bad);
    u->tallies_unsendable = c.n_bad;
    int k = 0;
    if (e != OC_OK) {
        logf_(u, OC_LOG_ERR, "uplink: cannot write the tally body: %s", oc_strerror(e));
    } else {
        long status = post(u, "/api/v1/tallies", token);
        k = classify(u, status);
        if (k < 0)
            logf_(u, OC_LOG_ERR, "uplink: central rejected %zu tally rows (HTTP %ld): %.200s", c.n,
                  status, u->resp.p ? u->resp.p : "");
        k = k < 0 ? 0 : k == 0 ? -1 : 1;
    }
    if (k == 1) {
        if (u->auth_state == -1)
            logf_(u, OC_LOG_NOTICE, "uplink: central accepts our token again");
        u->auth_state = 1;
        oc_spool_begin(u->spool);
        for (size_t i = 0; i < c.n; i++)
            oc_spool_tally_sent(u->spool, c.rows[i].camera, c.rows[i].type, c.rows[i].bucket,
                                c.rows[i].version);
        oc_spool_commit(u->spool);
        pthread_mutex_lock(&u->lock);
        u->st.tally_rows_sent += c.n;
        pthread_mutex_unlock(&u->lock);
    }
    free(c.rows);
    return k;
}

/* Which record of a refused batch to park: the one central names
 * ("index"), else, from an older central that names none, the batch is
 * sent a record at a time until the refused one is alone. SIZE_MAX: none
 * yet. */
static size_t refused_record(struct oc_uplink *u, size_t n_ids)
{
    size_t bad;
    if (oc_wire_refused_index(u->resp.p, u->resp.len, &bad) && bad < n_ids)
        return bad;
    if (n_ids > 1) {
        u->single = n_ids;
        return SIZE_MAX;
    }
    return 0;
}

static void park(struct oc_uplink *u, const char *id, long status)
{
    oc_spool_mark(u->spool, &id, 1, OC_SPOOL_REJECTED);
    u->single = 0;
    logf_(u, OC_LOG_ERR, "uplink: central rejected record %s for good (HTTP %ld): %.200s; parked",
          id, status, u->resp.p ? u->resp.p : "");
    pthread_mutex_lock(&u->lock);
    u->st.records_rejected++;
    pthread_mutex_unlock(&u->lock);
}

/* One batch of records, oldest first. 1: sent, nothing left; 0: progress
 * or nothing to send; -1: back off. */
static int send_records(struct oc_uplink *u, const char *token)
{
    size_t limit = u->single ? 1 : u->batch;
    struct collect c = {.ids = calloc(limit, sizeof(char *)), .signer = u->signer};
    if (!c.ids)
        return -1;
    oc_wire_mem_writer(&c.w, &u->body);
    oc_wire_violations_begin(&c.w, u->box);
    size_t m = oc_spool_pending(u->spool, limit, add_record, &c);
    oc_err_t e = oc_wire_violations_end(&c.w);
    int rc = 1;
    if (m > 0 && e != OC_OK) {
        logf_(u, OC_LOG_ERR, "uplink: cannot write the violations body: %s", oc_strerror(e));
        rc = -1;
    } else if (m > 0) {
        long status = post(u, "/api/v1/violations", token);
        int k = classify(u, status);
        rc = 0;
        if (k == 1) {
            oc_spool_mark(u->spool, (const char *const *)c.ids, c.n_ids, OC_SPOOL_ACCEPTED);
            pthread_mutex_lock(&u->lock);
            u->st.records_sent += m;
            pthread_mutex_unlock(&u->lock);
            if (u->single)
                u->single--;
            rc = m < limit && !u->single ? 1 : 0;
        } else if (status == 413 && limit > 1) {
            u->batch = limit / 2; /* too large for central: smaller batches */
        } else if (k < 0) {
            size_t bad = refused_record(u, c.n_ids);
            if (bad != SIZE_MAX)
                park(u, c.ids[bad], status);
        } else {
            rc = -1;
        }
    }
    for (size_t i = 0; i < c.n_ids; i++)
        free(c.ids[i]);
    free(c.ids);
    return rc;
}

/* Sends one batch of tallies and one of records. 1: everything sent and
 * nothing left, 0: some progress or nothing to do, -1: must back off. */
static int cycle(struct oc_uplink *u)
{
    char *token = read_token(u->token_file);
    if (!token) {
        logf_(u, OC_LOG_ERR, "uplink: no token in %s",
              u->token_file ? u->token_file : "(central.token_file unset)");
        return -1;
    }
    uint64_t backlog = oc_spool_backlog(u->spool);
    pthread_mutex_lock(&u->lock);
    u->st.backlog = backlog;
    pthread_mutex_unlock(&u->lock);
    /* tallies first: the counts are what the city sees */
    size_t n = 0;
    int rc = send_tallies(u, token, backlog, &n);
    if (rc >= 0) { /* then records, oldest first */
        int r = send_records(u, token);
        /* rows refused for good wait for the next interval like the rest */
        rc = r != 1 ? r : rc == 0 || n < TALLIES_PER_BATCH ? 1 : 0;
    }
    if (rc == 1) /* evidence last: counts and records matter first */
        rc = send_evidence(u, token);
    if (rc == 1) /* the public variants after every private image */
        rc = send_public(u, token);
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
            long ms = oc_uplink_backoff_ms(attempt, u->retry_after, (unsigned)rand_r(&u->seed));
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
    u->body.max = BODY_MAX;
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
    char kp[4096];
    snprintf(kp, sizeof kp, "%s/%s", u->dir ? u->dir : ".", OC_SIGN_KEY_FILE);
    if (u->spool && u->curl && !(u->signer = oc_signer_open(kp, true, err, sizeof err)))
        u->url =
            (free(u->url), NULL); /* no key, no upload: central would refuse unsigned records */
    if (!u->spool || !u->curl || !u->url) {
        logf_(u, OC_LOG_ERR, "uplink cannot start: %s",
              u->spool && u->curl && u->signer ? "libcurl" : err);
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
    oc_wire_mem_free(&u->body);
    free(u->resp.p);
    free(u->url), free(u->token_file), free(u->ca_file), free(u->cert_file), free(u->key_file);
    free(u->box), free(u->version), free(u->dir), free(u->cameras), free(u->evdir);
    oc_signer_free(u->signer);
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
