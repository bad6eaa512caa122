/* Internal to the API (src/central/oc_api*.c), not for other modules: the
 * server's state, a request's state, and the functions the API's files call
 * across each other. Who owns what:
 *   oc_api.c          server start/stop, request life cycle, memory budget
 *   oc_api_http.c     responses, body parsing, query arguments, filters
 *   oc_api_route.c    routing by URL and role, admission from the headers
 *   oc_api_account.c  identification, sign-in/out, /api/v1/me
 *   oc_api_ingest.c   POST tallies, violations (boxes)
 *   oc_api_evidence.c PUT/GET evidence
 *   oc_api_read.c     counts, violations pages, counters
 *   oc_api_review.c   review queue, decisions, review stats, export
 *   oc_api_report.c   reports, code tables
 *   oc_api_audit.c    audit rows, the audit log endpoint
 *   oc_api_jobs.c     watchdog and retention threads
 *   oc_api_pages.c    dashboard pages and assets
 * Handlers return libmicrohttpd's result of queueing their answer; cJSON
 * passed to oc_api_send_json is freed by it. Strings a handler gets from
 * libmicrohttpd (url, argument values) are borrowed for the request. */
#ifndef OC_API_INT_H
#define OC_API_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_codes.h"
#include "oc_api.h"

struct oc_web_asset;

/* What central refused or cut, for GET /api/v1/counters (docs/central.md). */
#define OC_API_COUNTERS(X)                                                                         \
    X(unauthenticated)                                                                             \
    X(forbidden)                                                                                   \
    X(length_required)                                                                             \
    X(too_large)                                                                                   \
    X(busy)                                                                                        \
    X(bad_origin)                                                                                  \
    X(login_failed)                                                                                \
    X(login_throttled_address)                                                                     \
    X(login_throttled_identity)                                                                    \
    X(login_throttled_user)                                                                        \
    X(password_busy)                                                                               \
    X(sessions_full)                                                                               \
    X(slow_connections_cut)                                                                        \
    X(evidence_conflict)                                                                           \
    X(evidence_not_jpeg)                                                                           \
    X(batch_refused)                                                                               \
    X(retention_runs)                                                                              \
    X(retention_images_deleted)                                                                    \
    X(retention_records_deleted)                                                                   \
    X(retention_errors)                                                                            \
    X(signature_refused)                                                                           \
    X(public_refused)                                                                              \
    X(retention_public_deleted)

struct counters {
#define X(name) atomic_ullong name;
    OC_API_COUNTERS(X)
#undef X
};

/* One TCP connection, watched for total request time. */
struct conn {
    int fd;
    int64_t since; /* ms: the connection's start, or the end of its last request */
    struct conn *prev, *next;
};

struct oc_api {
    const struct oc_ccfg *cfg;
    struct oc_store *store;
    struct oc_auth *auth;
    struct MHD_Daemon *d;
    char *cert, *key;
    pthread_mutex_t lock; /* conns, buffered, stopping */
    pthread_cond_t wake;
    struct conn *conns;
    size_t buffered; /* bytes reserved by bodies and parses now */
    int stopping, watchdog_on;
    int hashing;               /* password hashes being computed now (OC_API_HASHING at most) */
    struct oc_codes *codes[2]; /* offence code tables: zh-CN, en */
    pthread_t retention;
    int retention_on;
    atomic_llong evidence_bytes; /* disk use of the evidence; -1 until first measured */
    pthread_t watchdog;
    struct counters n;
};

enum body_kind { BODY_NONE, BODY_JSON, BODY_EVIDENCE, BODY_FORM, BODY_PEOPLE };

struct req {
    char *body;
    size_t len, cap;
    size_t reserved; /* bytes of api->buffered held by this request */
    int answered;    /* a response is queued: later data is dropped */
};

#define COUNT(api, name) atomic_fetch_add(&(api)->n.name, 1)

/* Argon2id takes OC_PASSWD_MEM_MB each: this many at once, others 503. */
#define OC_API_HASHING 2
#define MAX_EXPORT 100000 /* rows of one export request */

/* Browsers ignore it over plain HTTP (insecure_http), so it is always sent. */
#define HSTS "max-age=31536000"

/* Ordered: a role may do what the roles before it may (but a box). */
enum who { WHO_NOBODY, WHO_BOX, WHO_VIEWER, WHO_REVIEWER, WHO_ADMIN };

/* oc_api.c */
/* ---- memory budget ---- */

/* Reserves n bytes of the budget shared by all requests; 0 when it would
 * go over (the caller answers 503). */
int oc_api_budget_take(struct oc_api *api, size_t n);

/* oc_api_http.c */
int64_t oc_api_now_ms(void);
enum MHD_Result oc_api_send_buf(struct MHD_Connection *c, unsigned status, const char *type,
                                const void *buf, size_t len, enum MHD_ResponseMemoryMode mode);
enum MHD_Result oc_api_send_json(struct MHD_Connection *c, unsigned status, cJSON *j);
enum MHD_Result oc_api_send_error(struct MHD_Connection *c, unsigned status, const char *msg);
/* The shared memory budget is spent: retry soon. */
enum MHD_Result oc_api_send_busy(struct MHD_Connection *c);
/* A refused batch item: the message and the item's 0-based index. */
enum MHD_Result oc_api_send_error_at(struct oc_api *api, struct MHD_Connection *c, const char *msg,
                                     size_t index);
enum MHD_Result oc_api_redirect(struct MHD_Connection *c, const char *to, const char *cookie);
enum MHD_Result oc_api_too_many(struct MHD_Connection *c);
/* Testing aid ("faults" in the config): a write refused as an overloaded
 * or failing server would, before anything is stored. */
enum MHD_Result oc_api_fault(struct MHD_Connection *c, int kind);
/* ---- validation helpers ---- */

const char *oc_api_jstr(const cJSON *o, const char *k);
int oc_api_valid_id(const char *s);
/* "<box>:<camera>:<seq>"; box and camera, when given, must match. */
int oc_api_valid_record_id(const char *id, const char *box, const char *camera);
int oc_api_valid_opt_str(const cJSON *o, const char *k, size_t max);
/* Parses the body under oc_json_parse's policy, its parse memory reserved
 * from the shared budget first (released when the request ends). */
cJSON *oc_api_parse_body(struct oc_api *api, struct req *rq, struct MHD_Connection *c,
                         enum MHD_Result *ret);
/* ---- reads ---- */

int oc_api_parse_int_arg(struct MHD_Connection *c, const char *name, long long lo, long long hi,
                         long long *out);
int oc_api_read_filter(struct MHD_Connection *c, struct oc_store_filter *f);
/* The client's address as 16 bytes (IPv4 mapped into IPv6). */
void oc_api_client_addr(struct MHD_Connection *c, unsigned char out[16]);
/* A CSV cell: quoted; a text a spreadsheet would run as a formula gets a
 * leading ' (as the dashboard's CSV). */
void oc_api_csv_cell(char **buf, size_t *len, size_t *cap, const char *v, int last);

/* oc_api_route.c */
/* ---- routing ---- */

enum MHD_Result oc_api_route(struct oc_api *api, struct MHD_Connection *c, const char *url,
                             const char *method, struct req *rq);
/* Everything decided from the request's headers, before a byte of its body
 * is read: who asks, whether they may write here, the origin of sign-ins,
 * the declared length against the limits and the shared budget. Returns 1
 * when the body is to be read (rq->body allocated), 0 when an answer was
 * queued into *ret. */
int oc_api_admit(struct oc_api *api, struct MHD_Connection *c, const char *url, const char *method,
                 struct req *rq, enum MHD_Result *ret);

/* oc_api_ingest.c */
enum MHD_Result oc_api_post_tallies(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                    const char *token_box);
enum MHD_Result oc_api_post_violations(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                       const char *token_box);

/* oc_api_evidence.c: rest is the URL after /api/v1/evidence/: "<id>" (the
 * evidence) or "<id>/public" (its public variant). */
enum MHD_Result oc_api_put_evidence(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                    const char *rest, const char *token_box);
enum MHD_Result oc_api_get_evidence(struct oc_api *api, struct MHD_Connection *c, const char *rest,
                                    enum who who, const struct oc_user *u);
/* Splits rest into the record id (idlen bytes) and *public_: 0, or -1
 * when the id is not a record id. */
int oc_api_evidence_id(const char *rest, char *id, size_t idlen, int *public_);

/* oc_api_read.c */
enum MHD_Result oc_api_get_counts(struct oc_api *api, struct MHD_Connection *c);
enum MHD_Result oc_api_get_violations(struct oc_api *api, struct MHD_Connection *c);
enum MHD_Result oc_api_get_counters(struct oc_api *api, struct MHD_Connection *c);

/* oc_api_review.c */
/* The evidence fields of a served record (evidence_url, evidence_expired). */
void oc_api_evidence_fields(cJSON *rec, const struct oc_store_vrow *r);
/* The oldest pending violation (filters: type, camera, road, unit),
 * leased to this reviewer, with the camera's other recent violations. */
enum MHD_Result oc_api_get_review_next(struct oc_api *api, struct MHD_Connection *c,
                                       const struct oc_user *u);
/* {"id", "decision": "confirm"|"reject"|"skip", "reason"?, "note"?} */
enum MHD_Result oc_api_post_decision(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                     enum who who, const struct oc_user *u);
enum MHD_Result oc_api_get_review_stats(struct oc_api *api, struct MHD_Connection *c);
/* Confirmed violations for the ticketing system: format=csv or jsonl,
 * the usual filters, newest first, at most `limit` (1..100000) per
 * request; X-Next-Before carries the cursor of the next page. */
enum MHD_Result oc_api_get_export(struct oc_api *api, struct MHD_Connection *c, enum who who,
                                  const struct oc_user *u);

/* oc_api_report.c */
/* The offence code table of a language (?locale=zh-CN|en, default the
 * asker's) for the interface's names: the same file format and, by
 * default, the same tables as the evidence captions. */
enum MHD_Result oc_api_get_codes(struct oc_api *api, struct MHD_Connection *c,
                                 const struct oc_user *u);
/* A period's report: period=week|month, date=YYYY-MM-DD (a day in it,
 * in the city's zone; default: the last whole period), by=unit|road,
 * format=json|csv. A period that ended more than a day ago is frozen: the
 * first report made of it is stored and served from then on, so that it
 * says the same next month. */
enum MHD_Result oc_api_get_report(struct oc_api *api, struct MHD_Connection *c);
/* The tables of ui.codes_dir (<locale>.json; a missing file: the built-in
 * table), else the built-in ones. -1 with a message in err. */
int oc_api_load_codes(struct oc_api *api, char *err, size_t errlen);

/* oc_api_account.c */
const char *oc_api_cookie_session(struct MHD_Connection *c);
/* The session cookie's holder: a viewer token's session (held in memory)
 * or a user's (in the store, ended there on disable or new password).
 * u->name is "" for a token. */
enum who oc_api_cookie_who(struct oc_api *api, struct MHD_Connection *c, struct oc_user *u);
/* Who asks: a bearer token (box or viewer), else the session cookie. */
enum who oc_api_identify(struct oc_api *api, struct MHD_Connection *c, const char **box,
                         struct oc_user *u);
/* A cookie-authenticated or sign-in POST must come from a page of this
 * server: its Origin (else its Referer) names the scheme and the Host the
 * request was sent to. A request with neither is refused too. */
int oc_api_same_origin(const struct oc_api *api, struct MHD_Connection *c);
enum MHD_Result oc_api_login(struct oc_api *api, struct MHD_Connection *c, struct req *rq);
enum MHD_Result oc_api_logout(struct oc_api *api, struct MHD_Connection *c);
enum MHD_Result oc_api_get_me(struct oc_api *api, struct MHD_Connection *c, enum who who,
                              const struct oc_user *u);
/* {"locale": "zh-CN"|"en"}: a signed-in user's own language. */
enum MHD_Result oc_api_post_me(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                               const struct oc_user *u);

/* oc_api_audit.c */
/* ---- people: accounts, review, audit (docs/central.md) ---- */

const char *oc_api_who_name(enum who who);
/* One audit row: who (the user, or "token" for a viewer token), the
 * action, its target and detail, the client's address. A failed store
 * write is logged; the action itself has happened and is not undone. */
void oc_api_audit(struct oc_api *api, struct MHD_Connection *c, enum who who,
                  const struct oc_user *u, const char *action, const char *target,
                  const char *detail);
/* The audit log, newest first: from, to (ms), limit 1..1000, before (the
 * previous page's "next"). Reading it is itself audited. */
enum MHD_Result oc_api_get_audit(struct oc_api *api, struct MHD_Connection *c, enum who who,
                                 const struct oc_user *u);

/* oc_api_pages.c */
/* ---- dashboard ---- */

enum MHD_Result oc_api_send_asset(struct MHD_Connection *c, const struct oc_web_asset *a);
/* A page that only some roles may see: signed out -> /login, too low a
 * role -> 403 (a page saying so). */
enum MHD_Result oc_api_send_page(struct oc_api *api, struct MHD_Connection *c,
                                 const struct oc_web_asset *a, enum who least);

/* Everything outside /api/: the sign-in, the pages and their assets. */
enum MHD_Result oc_api_page(struct oc_api *api, struct MHD_Connection *c, const char *url, int get,
                            int post, struct req *rq);

/* oc_api_jobs.c: thread bodies; arg is the struct oc_api, they return when
 * api->stopping is set (under api->lock, api->wake broadcast). */
void *oc_api_watchdog(void *arg);
void *oc_api_retention_loop(void *arg);

#endif
