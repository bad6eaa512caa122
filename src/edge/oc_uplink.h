/* The uplink: a thread that sends the spool's tallies and records to
 * ordercam-central over HTTPS (libcurl, one kept-alive connection), oldest
 * first, then the evidence images of accepted records (PUT with their
 * SHA-256), then their public variants (PUT .../public, once the private
 * image is stored), and marks what central accepted. Retries with capped exponential
 * backoff and full jitter, honouring Retry-After on 429/503; a 4xx other
 * than 401/403/408/409/429 rejects the item for good (parked, counted,
 * logged) and the rest goes on. 401/403 are retried: the token file is
 * read again before every attempt, so fixing it resumes the uplink. The
 * bodies are oc_wire's; a refused batch's record is the one central's
 * answer names by "index". */
#ifndef OC_UPLINK_H
#define OC_UPLINK_H

#include <stdint.h>

struct oc_uplink_opts {
    const char *url; /* https://host:port */
    const char *token_file;
    const char *ca_file, *cert_file, *key_file; /* NULL: system store / no client cert */
    int insecure_skip_verify;
    int push_interval_s;
    const char *box_id, *version;
    const char *spool_dir;
    const char *evidence_dir; /* NULL: evidence off */
    const char *cameras_json; /* oc_wire_cameras_json of the box's cameras, sent with tallies */
    void (*log)(void *ud, int level, const char *msg);
    void *ud;
};

struct oc_uplink_stats {
    uint64_t requests_ok, requests_failed, records_sent, records_rejected, tally_rows_sent;
    uint64_t evidence_sent, evidence_rejected;
    uint64_t public_sent, public_rejected; /* public variants (docs/evidence.md) */
    uint64_t auth_failures;
    long last_status;       /* HTTP status of the last attempt, 0: no response */
    double request_seconds; /* wall time spent in requests, in all */
    uint64_t backlog;
};

struct oc_uplink;

/* Starts the thread (strings are copied). NULL when it cannot start. */
struct oc_uplink *oc_uplink_start(const struct oc_uplink_opts *o);
/* Makes one last attempt to send what is pending, then stops and frees. */
void oc_uplink_stop(struct oc_uplink *u);
void oc_uplink_stats(struct oc_uplink *u, struct oc_uplink_stats *s);
/* Asks for a send soon (new data arrived). */
void oc_uplink_poke(struct oc_uplink *u);

/* The state machine's rules, exposed for tests. */
enum oc_uplink_verdict {
    OC_UPLINK_DONE,  /* 200: mark what was sent */
    OC_UPLINK_RETRY, /* no answer, 401, 403, 408, 409, 429, 5xx, other: back off, resend */
    OC_UPLINK_REJECT /* any other 4xx: the item is refused for good */
};
enum oc_uplink_verdict oc_uplink_verdict(long status);
/* The wait after `attempt` failures in a row (0 for the first): full jitter,
 * rnd % (cap + 1) ms with cap 1 s doubling to 64 s; or central's
 * Retry-After (seconds, > 0), capped at 300 s. */
long oc_uplink_backoff_ms(int attempt, long retry_after_s, unsigned rnd);

#endif
