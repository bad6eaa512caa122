/* The SQLite dialect of the SQL store (oc_sqlstore.h): WAL, prepared
 * statements cached per connection, schema versioned in PRAGMA
 * user_version with ordered migrations. */
#include "oc_sqlstore.h"
#include "oc_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE 32

/* A statement; the cached ones live in their connection's cache. */
struct oc_sqlst {
    sqlite3_stmt *st;
    struct oc_sqlconn *c;
    int cached;
};

/* A connection and its prepared statements, keyed by the address of their
 * (static) SQL text: each statement is parsed once per connection. */
struct oc_sqlconn {
    sqlite3 *db;
    struct {
        const char *sql;
        struct oc_sqlst w;
    } cache[STMT_CACHE];
};

/* The repeat plate counts' period keys (schema 7) of a record's ts T in
 * the city's time (plate_cfg): the first ms of its week (Monday) and of
 * its month, as oc_report_bounds makes them; ADD moves the month on. */
#define PZ "(SELECT tz_offset_min*60000 FROM plate_cfg)"
#define PTY "(SELECT ','||types||',' FROM plate_cfg)"
#define PLOCAL(T) "(" T "+" PZ ")"
#define PDAY(T) "((" PLOCAL(T) "-((" PLOCAL(T) "%86400000)+86400000)%86400000)/86400000)"
#define PWEEK(T) "((" PDAY(T) "-((" PDAY(T) "+3)%7+7)%7)*86400000-" PZ ")"
#define PMONTH(T, ADD)                                                                             \
    "(CAST(strftime('%s'," PLOCAL(T) "/1000,'unixepoch','start of month'" ADD ") AS INTEGER)"      \
                                     "*1000-" PZ ")"
/* an enforcement type's record with a plate */
#define PCOUNTED(R) R ".plate<>'' AND instr(" PTY ",','||" R ".type||',')>0"
#define PADD(R)                                                                                    \
    "INSERT INTO plate_counts(kind, start, plate, n, first, last) SELECT * FROM (SELECT 0," PWEEK( \
        R ".ts") "," R ".plate, 1," R ".ts," R                                                     \
                 ".ts UNION ALL SELECT 1," PMONTH(                                                 \
                     R ".ts", "") "," R ".plate, 1," R ".ts," R                                    \
                                  ".ts) WHERE true ON CONFLICT(kind, start, plate) DO UPDATE"      \
                                  " SET n=n+1, first=min(first, excluded.first), last=max(last, "  \
                                  "excluded.last);"
/* the first or last of a period that lost OLD: found again among the
 * records still counted (index violations_plate) */
#define PREFIND(KIND, START, END)                                                                  \
    "UPDATE plate_counts SET first=COALESCE((SELECT MIN(v.ts) FROM violations v WHERE"             \
    " v.plate=OLD.plate AND v.ts>=" START " AND v.ts<" END " AND v.status<>'rejected' AND"         \
    " instr(" PTY ",','||v.type||',')>0), first), last=COALESCE((SELECT MAX(v.ts) FROM"            \
    " violations v WHERE v.plate=OLD.plate AND v.ts>=" START " AND v.ts<" END " AND"               \
    " v.status<>'rejected' AND instr(" PTY ",','||v.type||',')>0), last) WHERE kind=" KIND         \
    " AND start=" START " AND plate=OLD.plate AND (first=OLD.ts OR last=OLD.ts);"
#define POLD_PERIODS                                                                               \
    "plate=OLD.plate AND ((kind=0 AND start=" PWEEK("OLD.ts") ") OR (kind=1 AND start=" PMONTH(    \
        "OLD.ts", "") "))"

/* The grains of tallies: oc_store_sql.h. */
static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE boxes(box TEXT PRIMARY KEY, last_seen INTEGER NOT NULL, version TEXT,"
    " backlog INTEGER);"
    "CREATE TABLE cameras(box TEXT NOT NULL, camera TEXT NOT NULL, location TEXT, road TEXT,"
    " unit TEXT, PRIMARY KEY(box, camera)) WITHOUT ROWID;"
    "CREATE TABLE tallies(bucket INTEGER NOT NULL, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, count INTEGER NOT NULL, road TEXT, unit TEXT,"
    " PRIMARY KEY(bucket, box, camera, type)) WITHOUT ROWID;"
    "CREATE TABLE tallies_hour(bucket INTEGER NOT NULL, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, count INTEGER NOT NULL, road TEXT, unit TEXT,"
    " PRIMARY KEY(bucket, box, camera, type)) WITHOUT ROWID;"
    "CREATE TABLE tallies_day(bucket INTEGER NOT NULL, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, count INTEGER NOT NULL, road TEXT, unit TEXT,"
    " PRIMARY KEY(bucket, box, camera, type)) WITHOUT ROWID;"
    "CREATE TABLE tallies_day_road(bucket INTEGER NOT NULL, road TEXT NOT NULL, unit TEXT NOT NULL,"
    " type TEXT NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY(bucket, road, unit, type)) WITHOUT ROWID;"
    "CREATE TABLE tallies_day_hod(bucket INTEGER NOT NULL, hour_of_day INTEGER NOT NULL,"
    " type TEXT NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY(bucket, hour_of_day, type)) WITHOUT ROWID;"
    "CREATE TABLE violations(id TEXT PRIMARY KEY, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, ts INTEGER NOT NULL, road TEXT, unit TEXT, sha256 TEXT,"
    " evidence_path TEXT, record TEXT NOT NULL, received INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX violations_ts ON violations(ts, id);"
    "CREATE INDEX violations_camera_ts ON violations(camera, ts);"
    "CREATE INDEX violations_type_ts ON violations(type, ts);",
    /* 2: the box's revision of each finest-grain tally (0: none yet) */
    "ALTER TABLE tallies ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;",
    /* 3: people: users and their sessions, the review state of each
     * violation, a reviewer's skips, the append-only audit log */
    "CREATE TABLE users(name TEXT PRIMARY KEY, role TEXT NOT NULL, pwhash TEXT NOT NULL,"
    " disabled INTEGER NOT NULL DEFAULT 0, locale TEXT, created INTEGER NOT NULL,"
    " changed INTEGER NOT NULL);"
    "CREATE TABLE sessions(hash TEXT PRIMARY KEY, name TEXT NOT NULL, expires INTEGER NOT NULL);"
    "CREATE INDEX sessions_name ON sessions(name, expires);"
    "ALTER TABLE violations ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';"
    "ALTER TABLE violations ADD COLUMN reason TEXT;"
    "ALTER TABLE violations ADD COLUMN note TEXT;"
    "ALTER TABLE violations ADD COLUMN reviewer TEXT;"
    "ALTER TABLE violations ADD COLUMN decided INTEGER;"
    "ALTER TABLE violations ADD COLUMN lease_user TEXT;"
    "ALTER TABLE violations ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX violations_status_ts ON violations(status, ts, id);"
    "CREATE TABLE review_skips(id TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY(id, name));"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,"
    " actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail TEXT,"
    " addr TEXT);"
    "CREATE INDEX audit_ts ON audit(ts);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 4: reports: the plate of each record (for repeat plates; computed
     * from the stored record), frozen reports of past periods */
    "ALTER TABLE violations ADD COLUMN plate TEXT"
    " GENERATED ALWAYS AS (json_extract(record, '$.plate')) VIRTUAL;"
    "CREATE TABLE reports(key TEXT PRIMARY KEY, body TEXT NOT NULL, made INTEGER NOT NULL);",
    /* 5: retention: a record whose image was deleted says so */
    "ALTER TABLE violations ADD COLUMN evidence_expired INTEGER NOT NULL DEFAULT 0;",
    /* 6: the review status counts per city day (oc_sqlpeople.c "status
     * counts"), kept by triggers once review_tz is set (at open), and the
     * reviewer's lease found by index */
    "CREATE TABLE review_tz(tz_offset_min INTEGER); INSERT INTO review_tz VALUES(NULL);"
    " CREATE TABLE review_counts(bucket INTEGER NOT NULL, box TEXT NOT NULL, camera TEXT"
    " NOT NULL, type TEXT NOT NULL, road TEXT NOT NULL, unit TEXT NOT NULL, status TEXT NOT"
    " NULL, reason TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(bucket, box, camera,"
    " type, road, unit, status, reason)) WITHOUT ROWID; CREATE TRIGGER review_counts_insert"
    " AFTER INSERT ON violations WHEN (SELECT tz_offset_min FROM review_tz) IS NOT NULL"
    " BEGIN INSERT INTO review_counts SELECT (NEW.ts+(SELECT tz_offset_min FROM"
    " review_tz)*60000) - (((NEW.ts+(SELECT tz_offset_min FROM review_tz)*60000) %"
    " 86400000) + 86400000) % 86400000 - (SELECT tz_offset_min FROM review_tz)*60000,"
    " NEW.box, NEW.camera, NEW.type, COALESCE(NEW.road,''), COALESCE(NEW.unit,''),"
    " NEW.status, COALESCE(NEW.reason,''), 1 WHERE true ON CONFLICT(bucket, box, camera,"
    " type, road, unit, status, reason) DO UPDATE SET count=count+1; END; CREATE TRIGGER"
    " review_counts_decide AFTER UPDATE OF status, reason ON violations WHEN (SELECT"
    " tz_offset_min FROM review_tz) IS NOT NULL AND (OLD.status IS NOT NEW.status OR"
    " OLD.reason IS NOT NEW.reason) BEGIN UPDATE review_counts SET count=count-1 WHERE"
    " bucket=(OLD.ts+(SELECT tz_offset_min FROM review_tz)*60000) - (((OLD.ts+(SELECT"
    " tz_offset_min FROM review_tz)*60000) % 86400000) + 86400000) % 86400000 - (SELECT"
    " tz_offset_min FROM review_tz)*60000 AND box=OLD.box AND camera=OLD.camera AND"
    " type=OLD.type AND road=COALESCE(OLD.road,'') AND unit=COALESCE(OLD.unit,'') AND"
    " status=OLD.status AND reason=COALESCE(OLD.reason,''); DELETE FROM review_counts WHERE"
    " bucket=(OLD.ts+(SELECT tz_offset_min FROM review_tz)*60000) - (((OLD.ts+(SELECT"
    " tz_offset_min FROM review_tz)*60000) % 86400000) + 86400000) % 86400000 - (SELECT"
    " tz_offset_min FROM review_tz)*60000 AND box=OLD.box AND camera=OLD.camera AND"
    " type=OLD.type AND road=COALESCE(OLD.road,'') AND unit=COALESCE(OLD.unit,'') AND"
    " status=OLD.status AND reason=COALESCE(OLD.reason,'') AND count<=0; INSERT INTO"
    " review_counts SELECT (NEW.ts+(SELECT tz_offset_min FROM review_tz)*60000) -"
    " (((NEW.ts+(SELECT tz_offset_min FROM review_tz)*60000) % 86400000) + 86400000) %"
    " 86400000 - (SELECT tz_offset_min FROM review_tz)*60000, NEW.box, NEW.camera,"
    " NEW.type, COALESCE(NEW.road,''), COALESCE(NEW.unit,''), NEW.status,"
    " COALESCE(NEW.reason,''), 1 WHERE true ON CONFLICT(bucket, box, camera, type, road,"
    " unit, status, reason) DO UPDATE SET count=count+1; END; CREATE INDEX violations_lease"
    " ON violations(lease_user, lease_until) WHERE lease_user IS NOT NULL;",
    /* 7: the public variant's stored image (docs/evidence.md; its digest
     * stays in the record), found by path for retention */
    "ALTER TABLE violations ADD COLUMN public_path TEXT;"
    "CREATE INDEX violations_public ON violations(public_path) WHERE public_path IS NOT NULL;",
    /* 8: the repeat plates per week and month of the city (oc_sqlpeople.c
     * "repeat plates"): kept by triggers once plate_cfg is set (at start,
     * which counts them from the records), never lowered by retention */
    // clang-format off
    "CREATE TABLE plate_cfg(tz_offset_min INTEGER, types TEXT);"
    "INSERT INTO plate_cfg VALUES(NULL, NULL);"
    "CREATE TABLE plate_counts(kind INTEGER NOT NULL, start INTEGER NOT NULL, plate TEXT NOT NULL,"
    " n INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,"
    " PRIMARY KEY(kind, start, plate)) WITHOUT ROWID;"
    "CREATE INDEX plate_counts_top ON plate_counts(kind, start, n DESC, plate);"
    "CREATE INDEX violations_plate ON violations(plate, ts);"
    "CREATE TRIGGER plate_counts_insert AFTER INSERT ON violations"
    " WHEN NEW.status<>'rejected' AND " PCOUNTED("NEW") " BEGIN " PADD("NEW") " END;"
    "CREATE TRIGGER plate_counts_unreject AFTER UPDATE OF status ON violations"
    " WHEN OLD.status='rejected' AND NEW.status<>'rejected' AND " PCOUNTED("NEW")
    " BEGIN " PADD("NEW") " END;"
    "CREATE TRIGGER plate_counts_reject AFTER UPDATE OF status ON violations"
    " WHEN OLD.status<>'rejected' AND NEW.status='rejected' AND " PCOUNTED("OLD")
    " BEGIN UPDATE plate_counts SET n=n-1 WHERE " POLD_PERIODS ";"
    " DELETE FROM plate_counts WHERE " POLD_PERIODS " AND n<=0;"
    PREFIND("0", PWEEK("OLD.ts"), "(" PWEEK("OLD.ts") "+604800000)")
    PREFIND("1", PMONTH("OLD.ts", ""), PMONTH("OLD.ts", ",'+1 month'")) " END;",
    // clang-format on
    /* 9: retention asks, per expired image, whether another record still
     * uses its file: found by index, not by a scan of every record */
    "CREATE INDEX violations_evidence ON violations(evidence_path)"
    " WHERE evidence_path IS NOT NULL;",
    /* 10: the offset the tallies' day grains were cut at (NULL: unknown,
     * so counted again at the next start; oc_sqlstore.c day_grains_tz) */
    "CREATE TABLE tally_tz(tz_offset_min INTEGER); INSERT INTO tally_tz VALUES(NULL);",
};

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    int want = (int)(sizeof migrations / sizeof *migrations);
    if (version > want) {
        snprintf(err, errlen, "database schema version %d is newer than this program (%d)", version,
                 want);
        return -1;
    }
    for (int v = version; v < want; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v + 1);
        if (exec(db, "BEGIN IMMEDIATE", err, errlen) || exec(db, migrations[v], err, errlen) ||
            exec(db, sql, err, errlen) || exec(db, "COMMIT", err, errlen)) {
            exec(db, "ROLLBACK", err + strlen(err), 0);
            return -1;
        }
    }
    return 0;
}

static void lite_disconnect(struct oc_sqlconn *c)
{
    for (int k = 0; k < STMT_CACHE; k++)
        sqlite3_finalize(c->cache[k].w.st);
    sqlite3_close_v2(c->db);
    free(c);
}

static struct oc_sqlconn *lite_connect(const char *path, int first, char *err, size_t errlen)
{
    struct oc_sqlconn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (sqlite3_open_v2(path, &c->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(c->db));
        lite_disconnect(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->db, 10000);
    char e2[256] = "";
    if (exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
             e2, sizeof e2) ||
        (first && migrate(c->db, e2, sizeof e2))) {
        snprintf(err, errlen, "%s: %s", path, e2);
        lite_disconnect(c);
        return NULL;
    }
    return c;
}

static oc_err_t lite_begin(struct oc_sqlconn *c, const char *serialize_key)
{
    (void)serialize_key; /* IMMEDIATE: one writer at a time in the whole file */
    char err[256];
    return exec(c->db, "BEGIN IMMEDIATE", err, sizeof err) ? OC_EIO : OC_OK;
}

static oc_err_t lite_commit(struct oc_sqlconn *c)
{
    char err[256];
    return exec(c->db, "COMMIT", err, sizeof err) ? OC_EIO : OC_OK;
}

static void lite_rollback(struct oc_sqlconn *c)
{
    char err[256];
    exec(c->db, "ROLLBACK", err, sizeof err);
}

/* A static SQL text's statement comes from the connection's cache; SQL
 * built at run time (counts, pages) is prepared and finalized each time. */
static struct oc_sqlst *lite_prepare(struct oc_sqlconn *c, const char *sql, int sql_is_static)
{
    int free_slot = -1;
    for (int i = 0; sql_is_static && i < STMT_CACHE; i++) {
        if (c->cache[i].sql == sql)
            return &c->cache[i].w;
        if (!c->cache[i].sql && free_slot < 0)
            free_slot = i;
    }
    sqlite3_stmt *st = NULL;
    unsigned flags = free_slot >= 0 ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(c->db, sql, -1, flags, &st, NULL) != SQLITE_OK)
        return NULL;
    struct oc_sqlst *w = free_slot >= 0 ? &c->cache[free_slot].w : calloc(1, sizeof *w);
    if (!w) {
        sqlite3_finalize(st);
        return NULL;
    }
    if (free_slot >= 0)
        c->cache[free_slot].sql = sql;
    *w = (struct oc_sqlst){.st = st, .c = c, .cached = free_slot >= 0};
    return w;
}

static void lite_bind_int(struct oc_sqlst *w, int i, int64_t v)
{
    sqlite3_bind_int64(w->st, i, v);
}

static void lite_bind_text(struct oc_sqlst *w, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(w->st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(w->st, i);
}

static enum oc_sql_step lite_step(struct oc_sqlst *w)
{
    int rc = sqlite3_step(w->st);
    return rc == SQLITE_ROW ? OC_SQL_ROW : rc == SQLITE_DONE ? OC_SQL_DONE : OC_SQL_ERROR;
}

static int64_t lite_changes(struct oc_sqlst *w)
{
    return sqlite3_changes(w->c->db);
}

static int lite_is_null(struct oc_sqlst *w, int col)
{
    return sqlite3_column_type(w->st, col) == SQLITE_NULL;
}

static int64_t lite_col_int(struct oc_sqlst *w, int col)
{
    return sqlite3_column_int64(w->st, col);
}

static const char *lite_col_text(struct oc_sqlst *w, int col)
{
    const unsigned char *t = sqlite3_column_text(w->st, col);
    return t ? (const char *)t : "";
}

static void lite_done(struct oc_sqlst *w)
{
    if (w->cached) {
        sqlite3_reset(w->st);
        sqlite3_clear_bindings(w->st);
        return;
    }
    sqlite3_finalize(w->st);
    free(w);
}

static const struct oc_sql_dialect sqlite_dialect = {
    .name = "sqlite",
    .connect = lite_connect,
    .disconnect = lite_disconnect,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .prepare = lite_prepare,
    .bind_int = lite_bind_int,
    .bind_text = lite_bind_text,
    .step = lite_step,
    .changes = lite_changes,
    .is_null = lite_is_null,
    .col_int = lite_col_int,
    .col_text = lite_col_text,
    .done = lite_done,
    .month_pre = "(CAST(strftime('%s',(",
    .month_post = ")/1000,'unixepoch','start of month') AS INTEGER)*1000)",
};

struct oc_store *oc_store_sqlite_open(const char *path, int connections, int tz_offset_min,
                                      char *err, size_t errlen)
{
    /* no global allocation statistics: they take a mutex on every malloc */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return oc_sqlstore_open(&sqlite_dialect, path, connections, tz_offset_min, err, errlen);
}
