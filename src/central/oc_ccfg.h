/* ordercam-central's configuration (docs/central.md). Read-only after
 * loading; freed with oc_ccfg_free(). */
#ifndef OC_CCFG_H
#define OC_CCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TLS 1.3 and 1.2 only; on 1.2 only ephemeral ECDHE key exchange with
 * AEAD ciphers (AES-GCM, ChaCha20-Poly1305); no static RSA, no CBC, no
 * SHA-1 MACs. */
#define OC_TLS_PRIORITIES                                                                          \
    "SECURE:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"                  \
    "-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:%SAFE_RENEGOTIATION"

enum oc_role { OC_ROLE_BOX, OC_ROLE_VIEWER };

struct oc_token {
    unsigned char sha256[32];
    enum oc_role role;
    char *box; /* OC_ROLE_BOX only */
};

struct oc_ccfg {
    char *path;
    char *listen_host;
    int listen_port;
    char *cert_file, *key_file; /* NULL with insecure_http */
    char *tls_priorities;       /* GnuTLS priority string (OC_TLS_PRIORITIES by default) */
    bool insecure_http;
    char *db;
    char *evidence_dir;
    struct oc_token *tokens;
    size_t n_tokens;
    int silent_after_s;
    int tz_offset_min;
    int max_future_s; /* records and tally buckets dated later than now + this are refused */
    int threads;
    int max_connections;
    int request_timeout_s; /* idle gap */
    int request_total_s;   /* a whole request, from its first byte to its answer */
    int max_connections_per_ip;
    int login_user_refill_ms;  /* one wrong sign-in per this, per user name, after the burst */
    size_t max_buffered_bytes; /* bodies and their parses across all requests at once */
    size_t max_json_bytes;
    size_t max_evidence_bytes;
    double write_error_rate; /* testing aid: that share of writes fails (503/429/500) */
    /* people (docs/central.md, "Accounts, review, audit") */
    char *ui_locale;    /* "zh-CN" (default) or "en": the interface's language */
    char *ui_city;      /* the city's name in report headers (may be NULL) */
    char *ui_codes_dir; /* <locale>.json offence code tables (NULL: the built-in ones) */
    int review_lease_s; /* a reviewer holds a violation this long */
    char **reasons;     /* rejection reasons (ids), OC_CCFG_MAX_REASONS at most */
    size_t n_reasons;
    int evidence_days;          /* images of records older than this are deleted (0: never) */
    int records_days;           /* records older than this are deleted (0: never) */
    int retention_interval_s;   /* how often the retention job runs */
    struct oc_sigkeys *sigkeys; /* "box_keys", "require_signatures" (oc_sigcheck.h) */
};

#define OC_CCFG_MAX_REASONS 32

/* Loads path; NULL with "FILE: $.path: problem" in err on failure. */
struct oc_ccfg *oc_ccfg_load(const char *path, char *err, size_t errlen);
struct oc_ccfg *oc_ccfg_parse(const char *text, size_t len, const char *name, char *err,
                              size_t errlen);
void oc_ccfg_free(struct oc_ccfg *c);

/* db names a PostgreSQL database (a postgresql:// or postgres:// URI)
 * rather than a SQLite file. */
bool oc_ccfg_db_is_pg(const char *db);

#endif
