/* The SQL store's insides, shared by its parts: oc_sqlstore.c (boxes,
 * tallies, violations, counts) and oc_sqlpeople.c (users, sessions, the
 * review queue, the audit log). Not for the API: it sees oc_store.h only. */
#ifndef OC_SQLSTORE_INT_H
#define OC_SQLSTORE_INT_H

#include <pthread.h>

#include "oc_sqlstore.h"

struct oc_sqls_slot {
    struct oc_sqlconn *c;
    pthread_mutex_t lock;
};

/* A statement's parameter: an integer or a text (NULL = SQL NULL). */
struct oc_sqls_param {
    int is_int;
    int64_t i;
    const char *t;
};

static inline struct oc_sqls_param oc_sqls_t(const char *t)
{
    return (struct oc_sqls_param){.t = t};
}

static inline struct oc_sqls_param oc_sqls_i(int64_t i)
{
    return (struct oc_sqls_param){.is_int = 1, .i = i};
}

/* Where oc_sqls_first_row puts a column: text into buf (len bytes), or an
 * integer into *i. */
struct oc_sqls_out {
    char *buf;
    size_t len;
    int64_t *i;
};

/* The city's day boundary of store s (minutes east of UTC). */
int oc_sqls_tz(struct oc_store *s);
/* The enforcement types whose repeat plates store s keeps (sorted, each
 * once, joined by ','; "" before oc_sqlp_plates_setup): a buffer of
 * OC_SQLS_PLATE_TYPES bytes, written only while the store starts. */
#define OC_SQLS_PLATE_TYPES 1024
char *oc_sqls_plate_types(struct oc_store *s);
/* The dialect of store s. */
const struct oc_sql_dialect *oc_sqls_dialect(struct oc_store *s);
/* A pooled connection, held until oc_sqls_release. */
struct oc_sqls_slot *oc_sqls_acquire(struct oc_store *s);
void oc_sqls_release(struct oc_store *s, struct oc_sqls_slot *c);
/* sql prepared with its n parameters bound; NULL on failure. */
struct oc_sqlst *oc_sqls_start(struct oc_store *s, struct oc_sqlconn *c, const char *sql,
                               int sql_is_static, const struct oc_sqls_param *p, int n);
/* Runs a static statement to its end; *changes (may be NULL): rows changed. */
oc_err_t oc_sqls_run(struct oc_store *s, struct oc_sqlconn *c, const char *sql,
                     const struct oc_sqls_param *p, int n, int64_t *changes);
/* Runs a static query and reads its first row into o (untouched without a
 * row): OC_SQL_ROW, OC_SQL_DONE or OC_SQL_ERROR. */
enum oc_sql_step oc_sqls_first_row(struct oc_store *s, struct oc_sqlconn *c, const char *sql,
                                   const struct oc_sqls_param *p, int n,
                                   const struct oc_sqls_out *o, int no);
/* Ends a write transaction: commits when e is OC_OK, else rolls back. */
oc_err_t oc_sqls_finish(struct oc_store *s, struct oc_sqlconn *c, oc_err_t e);
/* The start of the city day holding ms time x (SQL text; ?1: the city's
 * offset in ms), whatever the sign of x + ?1. */
#define OC_SQLS_DAY_OF(x) "((" x "+?1) - ((((" x "+?1) % 86400000) + 86400000) % 86400000) - ?1)"
/* One statement that counts again what is kept per city day; it reads the
 * offset in ms as ?1 when uses_tz. */
struct oc_sqls_recount {
    const char *sql;
    int uses_tz;
};
/* Counts kept per city day follow the offset central starts with: in one
 * write transaction (serialised by key), set_tz (static SQL setting the
 * remembered offset to ?1 where it is unset or another, in minutes) runs,
 * and when it changed a row the n recounts run in order. */
oc_err_t oc_sqls_follow_tz(struct oc_store *s, const char *key, const char *set_tz,
                           int tz_offset_min, const struct oc_sqls_recount *r, size_t n);
/* The parameters of oc_sql_filter's clause in placeholder order (at most
 * 8 into p); returns how many. */
int oc_sqls_filter_params(const struct oc_store_filter *f, struct oc_sqls_param *p);
/* Called with each row of a result (the statement's columns readable). */
typedef void (*oc_sqls_row_fn)(void *arg, const struct oc_sql_dialect *d, struct oc_sqlst *st);
/* Runs a query on a pooled connection, each row to row(); OC_OK when it ran
 * to its end, else OC_EIO. */
oc_err_t oc_sqls_rows(struct oc_store *s, const char *sql, int sql_is_static,
                      const struct oc_sqls_param *p, int n, oc_sqls_row_fn row, void *arg);
/* One row of a result as a JSON object (the caller's array owns it). */
typedef cJSON *(*oc_sqls_json_fn)(const struct oc_sql_dialect *d, struct oc_sqlst *st);
/* Runs a query and returns {key: [row(r) for each row]} (the caller frees
 * it), or NULL when the query failed. */
cJSON *oc_sqls_json_rows(struct oc_store *s, const char *sql, int sql_is_static,
                         const struct oc_sqls_param *p, int n, const char *key,
                         oc_sqls_json_fn row);

#endif
