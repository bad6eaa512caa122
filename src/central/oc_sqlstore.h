/* The SQL store written once: every store operation (oc_store.h) in
 * dialect-neutral SQL over a small per-dialect interface — connect,
 * transactions, prepare, bind, step, column getters — that SQLite
 * (oc_store_sqlite.c) and PostgreSQL (oc_store_pg.c) implement.
 *
 * SQL given to a dialect numbers its placeholders "?1", "?2", ... (a
 * dialect may rewrite them, e.g. to "$1"); integer parameters are bound as
 * 64-bit integers, text as text. */
#ifndef OC_SQLSTORE_H
#define OC_SQLSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "oc_store.h"

/* A dialect's connection and statement; their insides are the dialect's. */
struct oc_sqlconn;
struct oc_sqlst;

enum oc_sql_step { OC_SQL_ERROR = -1, OC_SQL_DONE = 0, OC_SQL_ROW = 1 };

/* The most parameters one statement binds. */
#define OC_SQL_MAX_PARAMS 16

/* One violation row for a dialect's batched insert (borrowed strings; NULL =
 * SQL NULL). */
struct oc_sql_vrow {
    const char *id, *camera, *type, *road, *unit, *sha256, *record;
    int64_t ts;
};

struct oc_sql_dialect {
    const char *name; /* the store's name: "sqlite", "postgresql" */
    /* Opens a connection to target (a file path, a libpq URI); the first
     * connection (first != 0) also creates or migrates the schema. NULL
     * with a message in err on failure. */
    struct oc_sqlconn *(*connect)(const char *target, int first, char *err, size_t errlen);
    void (*disconnect)(struct oc_sqlconn *c);
    /* Called when a thread gives a connection back: a dialect may
     * re-establish a lost one here. May be NULL. */
    void (*recover)(struct oc_sqlconn *c);
    /* A write transaction. serialize_key (may be NULL): writers that pass
     * the same key run one after another, never interleaved, so that a
     * read-then-write inside the transaction sees the last commit. */
    oc_err_t (*begin)(struct oc_sqlconn *c, const char *serialize_key);
    oc_err_t (*commit)(struct oc_sqlconn *c);
    void (*rollback)(struct oc_sqlconn *c);
    /* A statement for sql. sql_is_static: the text lives as long as the
     * program (a literal), so a dialect may cache its preparation. NULL on
     * failure. Give it back with done(). */
    struct oc_sqlst *(*prepare)(struct oc_sqlconn *c, const char *sql, int sql_is_static);
    /* Parameters from 1. Text (NULL = SQL NULL) must stay valid until the
     * first step. */
    void (*bind_int)(struct oc_sqlst *st, int i, int64_t v);
    void (*bind_text)(struct oc_sqlst *st, int i, const char *v);
    /* The next row (OC_SQL_ROW), the end (OC_SQL_DONE) or OC_SQL_ERROR. */
    enum oc_sql_step (*step)(struct oc_sqlst *st);
    /* Rows the statement inserted, updated or deleted (after its step). */
    int64_t (*changes)(struct oc_sqlst *st);
    /* Columns of the current row, from 0; text is borrowed until the next
     * step or done(), "" for NULL. */
    int (*is_null)(struct oc_sqlst *st, int col);
    int64_t (*col_int)(struct oc_sqlst *st, int col);
    const char *(*col_text)(struct oc_sqlst *st, int col);
    void (*done)(struct oc_sqlst *st);
    /* Optional (NULL: one INSERT per row). Inside a write transaction,
     * inserts the rows of one box whose id is not yet stored (the first of
     * an id repeated in rows wins) in one statement; *inserted: how many. */
    oc_err_t (*insert_violations)(struct oc_sqlconn *c, const char *box, int64_t received,
                                  const struct oc_sql_vrow *rows, size_t n, int64_t *inserted);
    /* Optional (NULL: one row at a time). Inside the box's write
     * transaction (begin with the box as key), applies tally rows of one
     * box exactly as one at a time would (oc_sqlstore.c, put_tally: the
     * rev guard, the difference into every coarser grain, later rows of a
     * key after earlier ones) in a few statements; city_ms: the day grain's
     * offset; *stale: rows refused by their rev. */
    oc_err_t (*put_tallies)(struct oc_sqlconn *c, const char *box, int64_t city_ms,
                            const struct oc_tally_in *t, size_t n, size_t *stale);
    /* Optional (NULL: none). Inside a write transaction, removes at once
     * every stored period of violations that ends at or before `before`
     * (PostgreSQL: a month's partition dropped), their review skips too;
     * *deleted: the records it held. */
    oc_err_t (*drop_before)(struct oc_sqlconn *c, int64_t before, int64_t *deleted);
    /* The first ms of the UTC month of an integer ms expression L, as SQL:
     * month_pre, L, month_post (the repeat plates' months). */
    const char *month_pre, *month_post;
};

/* Opens the store over dialect d with a pool of `connections` connections
 * to target; tz_offset_min: the city's day boundary (oc_store.h). NULL
 * with a message in err on failure; close with s->ops->close(s). */
struct oc_store *oc_sqlstore_open(const struct oc_sql_dialect *d, const char *target,
                                  int connections, int tz_offset_min, char *err, size_t errlen);

#endif
