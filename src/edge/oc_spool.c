#include "oc_spool.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_record.h"

struct oc_spool {
    sqlite3 *db;
    sqlite3_stmt *add, *tally, *next, *pending, *mark, *backlog, *dirty, *sent;
    sqlite3_stmt *ev_get, *ev_set, *ev_todo, *ev_mark, *ev_bytes, *ev_oldest, *ev_evict;
    sqlite3_stmt *pub_todo, *pub_mark;
};

/* The SQL spells the states as numbers: these names keep them equal to
 * enum oc_spool_state and OC_SPOOL_EV_* (checked below). */
#define ST_PENDING "0"
#define ST_ACCEPTED "1"
#define EV_TO_SEND "1"
#define EV_ON_DISK "1,2,3" /* TO_SEND, SENT, PARKED: the image is on disk */
#define EV_EVICTED "4"
#define EV_SENT "2"
#define PUB_TO_SEND "1"
#define PUB_GONE "4"
_Static_assert(OC_SPOOL_PENDING == 0 && OC_SPOOL_ACCEPTED == 1, "ST_* match oc_spool_state");
_Static_assert(OC_SPOOL_EV_TO_SEND == 1 && OC_SPOOL_EV_SENT == 2 && OC_SPOOL_EV_PARKED == 3 &&
                   OC_SPOOL_EV_EVICTED == 4,
               "EV_* match OC_SPOOL_EV_*");
_Static_assert(OC_SPOOL_PUB_TO_SEND == 1 && OC_SPOOL_PUB_GONE == 4, "PUB_* match OC_SPOOL_PUB_*");

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS records(camera TEXT NOT NULL, seq INTEGER NOT NULL,"
    " id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, record TEXT NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(camera, seq));"
    "CREATE INDEX IF NOT EXISTS records_pending ON records(state, ts, id);"
    "CREATE TABLE IF NOT EXISTS tallies(camera TEXT NOT NULL, type TEXT NOT NULL,"
    " bucket INTEGER NOT NULL, count INTEGER NOT NULL, version INTEGER NOT NULL,"
    " sent_version INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(camera, type, bucket)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS tallies_dirty ON tallies(bucket) WHERE version > sent_version;";

/* Evidence columns (version 1): ev_wait = 1 while the image is being made
 * (the record is not sent meanwhile); ev_state = OC_SPOOL_EV_*. */
static const char *const MIGRATE_1[] = {
    "ALTER TABLE records ADD COLUMN ev_wait INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE records ADD COLUMN ev_file TEXT",
    "ALTER TABLE records ADD COLUMN ev_sha TEXT",
    "ALTER TABLE records ADD COLUMN ev_size INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE records ADD COLUMN ev_state INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX IF NOT EXISTS records_ev ON records(ev_state)",
    "PRAGMA user_version=1"};

/* The public variant (version 2): its digest and upload state
 * (OC_SPOOL_PUB_*); images a version-1 box made and has not evicted are
 * sent too. One transaction. */
static const char MIGRATE_2[] =
    "BEGIN;"
    "ALTER TABLE records ADD COLUMN pub_sha TEXT;"
    "ALTER TABLE records ADD COLUMN pub_state INTEGER NOT NULL DEFAULT 0;"
    "UPDATE records SET pub_sha=json_extract(record, '$.evidence.public_sha256'),"
    " pub_state=1 WHERE ev_state IN (1, 2)"
    " AND json_extract(record, '$.evidence.public_sha256') IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS records_pub ON records(pub_state) WHERE pub_state=1;"
    "PRAGMA user_version=2;"
    "COMMIT;";

static int migrate(sqlite3 *db)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    for (size_t i = 0; version < 1 && i < sizeof MIGRATE_1 / sizeof *MIGRATE_1; i++)
        if (sqlite3_exec(db, MIGRATE_1[i], NULL, NULL, NULL) != SQLITE_OK)
            return -1;
    if (version < 2 && sqlite3_exec(db, MIGRATE_2, NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

void oc_spool_close(struct oc_spool *s)
{
    if (!s)
        return;
    sqlite3_stmt *all[] = {s->add,      s->tally,   s->next,     s->pending,   s->mark,
                           s->backlog,  s->dirty,   s->sent,     s->ev_get,    s->ev_set,
                           s->ev_todo,  s->ev_mark, s->ev_bytes, s->ev_oldest, s->ev_evict,
                           s->pub_todo, s->pub_mark};
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
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
                     &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK || migrate(s->db) != 0) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : "cannot set up");
        sqlite3_free(msg);
        oc_spool_close(s);
        return NULL;
    }
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        {&s->add, "INSERT OR IGNORE INTO records(camera, seq, id, ts, record, ev_wait)"
                  " VALUES(?,?,?,?,?,?)"},
        {&s->tally, "INSERT INTO tallies(camera, type, bucket, count, version) VALUES(?,?,?,1,1)"
                    " ON CONFLICT DO UPDATE SET count=count+1, version=version+1"},
        {&s->next, "SELECT COALESCE(MAX(seq), 0) + 1 FROM records WHERE camera=?"},
        {&s->pending, "SELECT id, record FROM records WHERE state=" ST_PENDING " AND ev_wait=0"
                      " ORDER BY ts, id LIMIT ?"},
        {&s->mark, "UPDATE records SET state=? WHERE id=?"},
        {&s->backlog, "SELECT COUNT(*) FROM records WHERE state=" ST_PENDING},
        {&s->dirty, "SELECT camera, type, bucket, count, version FROM tallies"
                    " WHERE version > sent_version ORDER BY bucket LIMIT ?"},
        {&s->sent, "UPDATE tallies SET sent_version=MAX(sent_version, ?4)"
                   " WHERE camera=?1 AND type=?2 AND bucket=?3"},
        {&s->ev_get, "SELECT record FROM records WHERE id=?"},
        {&s->ev_set, "UPDATE records SET record=COALESCE(?2, record), ev_wait=0, ev_file=?3, "
                     "ev_sha=?4, ev_size=?5,"
                     " ev_state=?6, pub_sha=?7, pub_state=(?7 IS NOT NULL) WHERE id=?1"},
        {&s->ev_todo, "SELECT id, ev_file, ev_sha FROM records WHERE ev_state=" EV_TO_SEND
                      " AND state=" ST_ACCEPTED " ORDER BY rowid LIMIT ?"},
        {&s->ev_mark, "UPDATE records SET ev_state=?2 WHERE id=?1"},
        {&s->ev_bytes,
         "SELECT COALESCE(SUM(ev_size), 0) FROM records WHERE ev_state IN (" EV_ON_DISK ")"},
        {&s->ev_oldest,
         "SELECT id, ev_file, ev_size FROM records WHERE ev_state IN (" EV_ON_DISK ")"
         " ORDER BY rowid LIMIT 1"},
        {&s->ev_evict,
         "UPDATE records SET ev_state=" EV_EVICTED ", pub_state=CASE WHEN pub_state=" PUB_TO_SEND
         " THEN " PUB_GONE " ELSE pub_state END, record=CASE WHEN state=" ST_PENDING " AND"
         " substr(record, -3) IN (']}}', '\"}}') THEN substr(record, 1, length(record) - 2)"
         " || ',\"evicted\":true}}' ELSE record END WHERE id=?1"},
        {&s->pub_todo, "SELECT id, ev_file, pub_sha FROM records WHERE pub_state=" PUB_TO_SEND
                       " AND ev_state=" EV_SENT " ORDER BY rowid LIMIT ?"},
        {&s->pub_mark, "UPDATE records SET pub_state=?2 WHERE id=?1 AND pub_sha IS NOT NULL"},
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
                      int64_t ts, const char *type, int64_t bucket, const char *record, int ev_wait)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return OC_EIO;
    sqlite3_bind_text(s->add, 1, camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->add, 2, (sqlite3_int64)seq);
    sqlite3_bind_text(s->add, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->add, 4, ts);
    sqlite3_bind_text(s->add, 5, record, -1, SQLITE_STATIC);
    sqlite3_bind_int(s->add, 6, ev_wait);
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

size_t oc_spool_records_from(struct oc_spool *s, const char *camera, uint64_t from,
                             void (*fn)(void *ud, uint64_t seq, const char *record), void *ud)
{
    sqlite3_stmt *st;
    size_t n = 0;
    if (sqlite3_prepare_v2(
            s->db, "SELECT seq, record FROM records WHERE camera=?1 AND seq>=?2 ORDER BY seq", -1,
            &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
    while (sqlite3_step(st) == SQLITE_ROW) {
        fn(ud, (uint64_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
        n++;
    }
    sqlite3_finalize(st);
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

oc_err_t oc_spool_mark(struct oc_spool *s, const char *const *ids, size_t n,
                       enum oc_spool_state state)
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

/* Rewrites id's record with ev (NULL: evidence stays null) and sets its
 * evidence columns; ev_state says what the image is now. */
static oc_err_t set_evidence(struct oc_spool *s, const char *id,
                             const struct oc_record_evidence *ev, int64_t size, int ev_state)
{
    char rec[OC_RECORD_MAX];
    sqlite3_bind_text(s->ev_set, 1, id, -1, SQLITE_STATIC);
    if (ev) { /* the record already says "evidence": null; only an image changes it */
        sqlite3_bind_text(s->ev_get, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(s->ev_get) != SQLITE_ROW) {
            sqlite3_reset(s->ev_get);
            sqlite3_clear_bindings(s->ev_set);
            return OC_ENOTFOUND;
        }
        const char *old = (const char *)sqlite3_column_text(s->ev_get, 0);
        size_t n = old ? strlen(old) : 0;
        size_t len = n < sizeof rec ? oc_record_set_evidence(old, n, ev, rec, sizeof rec) : 0;
        sqlite3_reset(s->ev_get);
        if (len == 0) {
            sqlite3_clear_bindings(s->ev_set);
            return OC_EINVAL;
        }
        /* the spool keeps records without the newline */
        sqlite3_bind_text(s->ev_set, 2, rec, (int)len - 1, SQLITE_STATIC);
        sqlite3_bind_text(s->ev_set, 3, ev->file, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->ev_set, 4, ev->sha256, -1, SQLITE_STATIC);
        if (ev->public_sha256)
            sqlite3_bind_text(s->ev_set, 7, ev->public_sha256, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s->ev_set, 7);
    } else {
        sqlite3_bind_null(s->ev_set, 2);
        sqlite3_bind_null(s->ev_set, 3);
        sqlite3_bind_null(s->ev_set, 4);
        sqlite3_bind_null(s->ev_set, 7);
    }
    sqlite3_bind_int64(s->ev_set, 5, size);
    sqlite3_bind_int(s->ev_set, 6, ev_state);
    if (step(s->ev_set))
        return OC_EIO;
    return sqlite3_changes(s->db) ? OC_OK : OC_ENOTFOUND;
}

oc_err_t oc_spool_evidence(struct oc_spool *s, const char *id, const struct oc_record_evidence *ev,
                           int64_t size)
{
    return set_evidence(s, id, ev, size, ev ? OC_SPOOL_EV_TO_SEND : OC_SPOOL_EV_NONE);
}

uint64_t oc_spool_settle_waiting(struct oc_spool *s,
                                 void (*fn)(void *ud, const char *camera, uint64_t seq, int64_t ts),
                                 void *ud)
{
    sqlite3_stmt *st;
    if (fn && sqlite3_prepare_v2(s->db, "SELECT camera, seq, ts FROM records WHERE ev_wait=1", -1,
                                 &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            fn(ud, (const char *)sqlite3_column_text(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
               sqlite3_column_int64(st, 2));
        sqlite3_finalize(st);
    }
    if (sqlite3_exec(s->db, "UPDATE records SET ev_wait=0 WHERE ev_wait=1", NULL, NULL, NULL) !=
        SQLITE_OK)
        return 0;
    return (uint64_t)sqlite3_changes(s->db);
}

size_t oc_spool_evidence_todo(struct oc_spool *s, size_t limit,
                              void (*fn)(void *ud, const char *id, const char *file,
                                         const char *sha),
                              void *ud)
{
    size_t n = 0;
    sqlite3_bind_int64(s->ev_todo, 1, (sqlite3_int64)limit);
    while (sqlite3_step(s->ev_todo) == SQLITE_ROW) {
        fn(ud, (const char *)sqlite3_column_text(s->ev_todo, 0),
           (const char *)sqlite3_column_text(s->ev_todo, 1),
           (const char *)sqlite3_column_text(s->ev_todo, 2));
        n++;
    }
    sqlite3_reset(s->ev_todo);
    return n;
}

oc_err_t oc_spool_evidence_mark(struct oc_spool *s, const char *id, int ev_state)
{
    sqlite3_bind_text(s->ev_mark, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s->ev_mark, 2, ev_state);
    return step(s->ev_mark) ? OC_EIO : OC_OK;
}

uint64_t oc_spool_evidence_bytes(struct oc_spool *s)
{
    uint64_t n = 0;
    if (sqlite3_step(s->ev_bytes) == SQLITE_ROW)
        n = (uint64_t)sqlite3_column_int64(s->ev_bytes, 0);
    sqlite3_reset(s->ev_bytes);
    return n;
}

oc_err_t oc_spool_evidence_oldest(struct oc_spool *s, char *id, size_t idlen, char *file,
                                  size_t filelen, uint64_t *size)
{
    oc_err_t e = OC_ENOTFOUND;
    if (sqlite3_step(s->ev_oldest) == SQLITE_ROW) {
        snprintf(id, idlen, "%s", (const char *)sqlite3_column_text(s->ev_oldest, 0));
        snprintf(file, filelen, "%s", (const char *)sqlite3_column_text(s->ev_oldest, 1));
        *size = (uint64_t)sqlite3_column_int64(s->ev_oldest, 2);
        e = OC_OK;
    }
    sqlite3_reset(s->ev_oldest);
    return e;
}

oc_err_t oc_spool_evidence_evicted(struct oc_spool *s, const char *id)
{
    /* a record central has not got yet says so itself: its evidence object
     * (the record's last field, ending "]}}", or '"}}' after its
     * public_sha256) gains "evicted": true */
    sqlite3_bind_text(s->ev_evict, 1, id, -1, SQLITE_STATIC);
    return step(s->ev_evict) ? OC_EIO : OC_OK;
}

size_t oc_spool_public_todo(struct oc_spool *s, size_t limit,
                            void (*fn)(void *ud, const char *id, const char *file, const char *sha),
                            void *ud)
{
    size_t n = 0;
    sqlite3_bind_int64(s->pub_todo, 1, (sqlite3_int64)limit);
    while (sqlite3_step(s->pub_todo) == SQLITE_ROW) {
        fn(ud, (const char *)sqlite3_column_text(s->pub_todo, 0),
           (const char *)sqlite3_column_text(s->pub_todo, 1),
           (const char *)sqlite3_column_text(s->pub_todo, 2));
        n++;
    }
    sqlite3_reset(s->pub_todo);
    return n;
}

oc_err_t oc_spool_public_mark(struct oc_spool *s, const char *id, int pub_state)
{
    sqlite3_bind_text(s->pub_mark, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s->pub_mark, 2, pub_state);
    return step(s->pub_mark) ? OC_EIO : OC_OK;
}
