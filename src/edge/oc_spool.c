#include "oc_spool.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct oc_spool {
    sqlite3 *db;
    sqlite3_stmt *add, *tally, *next, *pending, *mark, *backlog, *dirty, *sent;
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS records(camera TEXT NOT NULL, seq INTEGER NOT NULL,"
    " id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, record TEXT NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(camera, seq));"
    "CREATE INDEX IF NOT EXISTS records_pending ON records(state, ts, id);"
    "CREATE TABLE IF NOT EXISTS tallies(camera TEXT NOT NULL, type TEXT NOT NULL,"
    " bucket INTEGER NOT NULL, count INTEGER NOT NULL, version INTEGER NOT NULL,"
    " sent_version INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(camera, type, bucket)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS tallies_dirty ON tallies(bucket) WHERE version > sent_version;";

void oc_spool_close(struct oc_spool *s)
{
    if (!s)
        return;
    sqlite3_stmt *all[] = {s->add, s->tally, s->next, s->pending, s->mark, s->backlog, s->dirty,
                           s->sent};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    sqlite3_close_v2(s->db);
    free(s);
}

struct oc_spool *oc_spool_open(const char *dir, char *err, size_t errlen)
{
    struct oc_spool *s = calloc(1, sizeof *s);
    char path[4096];
    snprintf(path, sizeof path, "%s/spool.sqlite", dir);
    if (!s || sqlite3_open(path, &s->db) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, s ? sqlite3_errmsg(s->db) : "out of memory");
        oc_spool_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    char *msg = NULL;
    /* WAL + synchronous=FULL: a committed violation survives power loss */
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : "cannot set up");
        sqlite3_free(msg);
        oc_spool_close(s);
        return NULL;
    }
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        {&s->add, "INSERT OR IGNORE INTO records(camera, seq, id, ts, record) VALUES(?,?,?,?,?)"},
        {&s->tally, "INSERT INTO tallies(camera, type, bucket, count, version) VALUES(?,?,?,1,1)"
                    " ON CONFLICT DO UPDATE SET count=count+1, version=version+1"},
        {&s->next, "SELECT COALESCE(MAX(seq), 0) + 1 FROM records WHERE camera=?"},
        {&s->pending, "SELECT id, record FROM records WHERE state=0 ORDER BY ts, id LIMIT ?"},
        {&s->mark, "UPDATE records SET state=? WHERE id=?"},
        {&s->backlog, "SELECT COUNT(*) FROM records WHERE state=0"},
        {&s->dirty, "SELECT camera, type, bucket, count, version FROM tallies"
                    " WHERE version > sent_version ORDER BY bucket LIMIT ?"},
        {&s->sent, "UPDATE tallies SET sent_version=MAX(sent_version, ?4)"
                   " WHERE camera=?1 AND type=?2 AND bucket=?3"},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof *stmts; i++)
        if (sqlite3_prepare_v2(s->db, stmts[i].sql, -1, stmts[i].st, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
            oc_spool_close(s);
            return NULL;
        }
    return s;
}

static int step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

oc_err_t oc_spool_add(struct oc_spool *s, const char *camera, uint64_t seq, const char *id,
                      int64_t ts, const char *type, int64_t bucket, const char *record)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return OC_EIO;
    sqlite3_bind_text(s->add, 1, camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->add, 2, (sqlite3_int64)seq);
    sqlite3_bind_text(s->add, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->add, 4, ts);
    sqlite3_bind_text(s->add, 5, record, -1, SQLITE_STATIC);
    int bad = step(s->add);
    int added = !bad && sqlite3_changes(s->db) > 0;
    if (added) {
        sqlite3_bind_text(s->tally, 1, camera, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->tally, 2, type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s->tally, 3, bucket);
        bad = step(s->tally);
    }
    if (bad || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return OC_EIO;
    }
    return OC_OK;
}

uint64_t oc_spool_next_seq(struct oc_spool *s, const char *camera)
{
    sqlite3_bind_text(s->next, 1, camera, -1, SQLITE_STATIC);
    uint64_t n = 1;
    if (sqlite3_step(s->next) == SQLITE_ROW)
        n = (uint64_t)sqlite3_column_int64(s->next, 0);
    sqlite3_reset(s->next);
    return n;
}

size_t oc_spool_pending(struct oc_spool *s, size_t limit,
                        void (*fn)(void *ud, const char *id, const char *record), void *ud)
{
    size_t n = 0;
    sqlite3_bind_int64(s->pending, 1, (sqlite3_int64)limit);
    while (sqlite3_step(s->pending) == SQLITE_ROW) {
        fn(ud, (const char *)sqlite3_column_text(s->pending, 0),
           (const char *)sqlite3_column_text(s->pending, 1));
        n++;
    }
    sqlite3_reset(s->pending);
    return n;
}

oc_err_t oc_spool_mark(struct oc_spool *s, const char *const *ids, size_t n, int state)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return OC_EIO;
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        sqlite3_bind_int(s->mark, 1, state);
        sqlite3_bind_text(s->mark, 2, ids[i], -1, SQLITE_STATIC);
        bad = step(s->mark);
    }
    if (bad || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return OC_EIO;
    }
    return OC_OK;
}

uint64_t oc_spool_backlog(struct oc_spool *s)
{
    uint64_t n = 0;
    if (sqlite3_step(s->backlog) == SQLITE_ROW)
        n = (uint64_t)sqlite3_column_int64(s->backlog, 0);
    sqlite3_reset(s->backlog);
    return n;
}

size_t oc_spool_dirty_tallies(struct oc_spool *s, size_t limit,
                              void (*fn)(void *ud, const char *camera, const char *type,
                                         int64_t bucket, int64_t count, int64_t version),
                              void *ud)
{
    size_t n = 0;
    sqlite3_bind_int64(s->dirty, 1, (sqlite3_int64)limit);
    while (sqlite3_step(s->dirty) == SQLITE_ROW) {
        fn(ud, (const char *)sqlite3_column_text(s->dirty, 0),
           (const char *)sqlite3_column_text(s->dirty, 1), sqlite3_column_int64(s->dirty, 2),
           sqlite3_column_int64(s->dirty, 3), sqlite3_column_int64(s->dirty, 4));
        n++;
    }
    sqlite3_reset(s->dirty);
    return n;
}

oc_err_t oc_spool_tally_sent(struct oc_spool *s, const char *camera, const char *type,
                             int64_t bucket, int64_t version)
{
    sqlite3_bind_text(s->sent, 1, camera, -1, SQLITE_STATIC);
    sqlite3_bind_text(s->sent, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->sent, 3, bucket);
    sqlite3_bind_int64(s->sent, 4, version);
    return step(s->sent) ? OC_EIO : OC_OK;
}

oc_err_t oc_spool_begin(struct oc_spool *s)
{
    return sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? OC_OK : OC_EIO;
}

oc_err_t oc_spool_commit(struct oc_spool *s)
{
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return OC_OK;
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return OC_EIO;
}
