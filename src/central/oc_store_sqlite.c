/* The SQLite store: WAL, a small pool of connections, prepared statements
 * only, schema versioned with migrations. Tallies are kept at three
 * grains (the box's bucket, the hour, the local day) with road and unit
 * copied in, so a month of counts by road and type reads a few thousand
 * rows instead of millions. */
#include "oc_store.h"
#include "oc_store_sql.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS OC_SQL_HOUR_MS
#define DAY_MS OC_SQL_DAY_MS

#define STMT_CACHE 32

/* A connection and its prepared statements, keyed by the address of their
 * (static) SQL text: each statement is parsed once per connection. */
struct conn {
    sqlite3 *db;
    pthread_mutex_t lock;
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
};

struct sqlite_store {
    struct oc_store base;
    struct conn *pool;
    int n;
    unsigned next; /* round robin start */
    pthread_mutex_t next_lock;
    int tz_offset_min; /* the city's day boundary, for the day grain */
};

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
        snprintf(err, errlen, "database schema version %d is newer than this program (%d)",
                 version, want);
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

static struct conn *acquire(struct sqlite_store *s)
{
    pthread_mutex_lock(&s->next_lock);
    unsigned start = s->next++;
    pthread_mutex_unlock(&s->next_lock);
    for (int k = 0; k < s->n; k++) {
        struct conn *c = &s->pool[(start + (unsigned)k) % (unsigned)s->n];
        if (pthread_mutex_trylock(&c->lock) == 0)
            return c;
    }
    struct conn *c = &s->pool[start % (unsigned)s->n];
    pthread_mutex_lock(&c->lock);
    return c;
}

static void release(struct conn *c)
{
    pthread_mutex_unlock(&c->lock);
}

/* The prepared statement for a static SQL text, from the connection's
 * cache; give it back with done(). SQL built at run time (counts) is
 * prepared and finalized by its caller instead. */
static sqlite3_stmt *prep(struct conn *c, const char *sql)
{
    int free_slot = -1;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (c->cache[i].sql == sql)
            return c->cache[i].st;
        if (!c->cache[i].sql && free_slot < 0)
            free_slot = i;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return NULL;
    if (free_slot >= 0) {
        c->cache[free_slot].sql = sql;
        c->cache[free_slot].st = st;
    }
    return st; /* a full cache is a programming error; done() then finalizes */
}

static void done(struct conn *c, sqlite3_stmt *st)
{
    for (int i = 0; i < STMT_CACHE; i++)
        if (c->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    sqlite3_finalize(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void sqlite_close(struct oc_store *base)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    for (int i = 0; i < s->n; i++) {
        for (int k = 0; k < STMT_CACHE; k++)
            sqlite3_finalize(s->pool[i].cache[k].st);
        sqlite3_close_v2(s->pool[i].db);
        pthread_mutex_destroy(&s->pool[i].lock);
    }
    pthread_mutex_destroy(&s->next_lock);
    free(s->pool);
    free(s);
}

/* ---- writes ---- */

static oc_err_t step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? OC_OK : OC_EIO;
}

static oc_err_t touch_box(struct conn *c, const char *box, const char *version, int64_t backlog,
                          int64_t now)
{
    sqlite3_stmt *st = prep(c, "INSERT INTO boxes(box, last_seen, version, backlog) VALUES(?,?,?,?)"
                               " ON CONFLICT(box) DO UPDATE SET last_seen=excluded.last_seen,"
                               " version=COALESCE(excluded.version, version),"
                               " backlog=COALESCE(excluded.backlog, backlog)");
    if (!st)
        return OC_EIO;
    bind_text(st, 1, box);
    sqlite3_bind_int64(st, 2, now);
    bind_text(st, 3, version);
    if (backlog >= 0)
        sqlite3_bind_int64(st, 4, backlog);
    else
        sqlite3_bind_null(st, 4);
    oc_err_t e = step_done(st);
    done(c, st);
    return e;
}

static oc_err_t run(struct conn *c, const char *sql, const char *box, const char *camera,
                    const char *a, const char *b, const char *d, const char *e)
{
    sqlite3_stmt *st = prep(c, sql);
    if (!st)
        return OC_EIO;
    bind_text(st, 1, box);
    bind_text(st, 2, camera);
    bind_text(st, 3, a);
    bind_text(st, 4, b);
    bind_text(st, 5, d);
    bind_text(st, 6, e);
    oc_err_t err = step_done(st);
    done(c, st);
    return err;
}

/* Records a camera's place. When its road or unit changes, its past counts
 * move with it in every grain, so a renamed road is one road. */
static oc_err_t put_camera(struct conn *c, const char *box, const struct oc_camera_in *cam)
{
    char old_road[600] = "", old_unit[600] = "";
    int known = 0;
    sqlite3_stmt *st = prep(c, "SELECT COALESCE(road,''), COALESCE(unit,'') FROM cameras WHERE box=? AND camera=?");
    if (!st)
        return OC_EIO;
    bind_text(st, 1, box);
    bind_text(st, 2, cam->id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(old_road, sizeof old_road, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(old_unit, sizeof old_unit, "%s", (const char *)sqlite3_column_text(st, 1));
        known = 1;
    }
    done(c, st);
    const char *road = cam->road ? cam->road : "", *unit = cam->unit ? cam->unit : "";
    oc_err_t e = run(c, "INSERT INTO cameras(box, camera, location, road, unit) VALUES(?1,?2,?3,?4,?5)"
                        " ON CONFLICT(box, camera) DO UPDATE SET location=?3, road=?4, unit=?5",
                     box, cam->id, cam->location, cam->road, cam->unit, NULL);
    if (e != OC_OK || (known && strcmp(old_road, road) == 0 && strcmp(old_unit, unit) == 0))
        return e;
    static const char *const moves[] = {
        "UPDATE tallies SET road=?3, unit=?4 WHERE box=?1 AND camera=?2",
        "UPDATE tallies_hour SET road=?3, unit=?4 WHERE box=?1 AND camera=?2",
        "UPDATE violations SET road=?3, unit=?4 WHERE box=?1 AND camera=?2",
        /* out of the old place, into the new one */
        "INSERT INTO tallies_day_road(bucket, road, unit, type, count) SELECT bucket, ?5, ?6, type,"
        " -count FROM tallies_day WHERE box=?1 AND camera=?2 AND true"
        " ON CONFLICT DO UPDATE SET count=count+excluded.count",
        "UPDATE tallies_day SET road=?3, unit=?4 WHERE box=?1 AND camera=?2",
        "INSERT INTO tallies_day_road(bucket, road, unit, type, count) SELECT bucket,"
        " COALESCE(?3,''), COALESCE(?4,''), type, count FROM tallies_day WHERE box=?1 AND camera=?2"
        " AND true ON CONFLICT DO UPDATE SET count=count+excluded.count",
    };
    for (size_t i = 0; e == OC_OK && i < sizeof moves / sizeof *moves; i++)
        e = run(c, moves[i], box, cam->id, cam->road, cam->unit, old_road, old_unit);
    return e;
}

/* Sets one bucket's absolute count and moves the hour and day grains by
 * the difference, so that a resend changes nothing anywhere. */
static oc_err_t put_tally(struct sqlite_store *s, struct conn *c, const char *box,
                          const struct oc_tally_in *t)
{
    int64_t old = 0;
    sqlite3_stmt *st = prep(c, "SELECT count FROM tallies WHERE box=? AND camera=? AND type=? AND bucket=?");
    if (!st)
        return OC_EIO;
    bind_text(st, 1, box);
    bind_text(st, 2, t->camera);
    bind_text(st, 3, t->type);
    sqlite3_bind_int64(st, 4, t->bucket);
    if (sqlite3_step(st) == SQLITE_ROW)
        old = sqlite3_column_int64(st, 0);
    done(c, st);
    int64_t delta = t->count - old;
    if (delta == 0 && old != 0)
        return OC_OK;
    static const char *const up[] = {
        "INSERT INTO tallies(box, camera, type, bucket, count, road, unit)"
        " SELECT ?1, ?2, ?3, ?4, ?5, road, unit FROM (SELECT 1) LEFT JOIN cameras ON box=?1 AND camera=?2 WHERE true"
        " ON CONFLICT DO UPDATE SET count=excluded.count",
        "INSERT INTO tallies_hour(box, camera, type, bucket, count, road, unit)"
        " SELECT ?1, ?2, ?3, ?6, ?7, road, unit FROM (SELECT 1) LEFT JOIN cameras ON box=?1 AND camera=?2 WHERE true"
        " ON CONFLICT DO UPDATE SET count=count+?7",
        "INSERT INTO tallies_day(box, camera, type, bucket, count, road, unit)"
        " SELECT ?1, ?2, ?3, ?8, ?7, road, unit FROM (SELECT 1) LEFT JOIN cameras ON box=?1 AND camera=?2 WHERE true"
        " ON CONFLICT DO UPDATE SET count=count+?7",
        "INSERT INTO tallies_day_road(bucket, road, unit, type, count)"
        " SELECT ?8, COALESCE(road,''), COALESCE(unit,''), ?3, ?7 FROM (SELECT 1) LEFT JOIN cameras"
        " ON box=?1 AND camera=?2 WHERE true ON CONFLICT DO UPDATE SET count=count+?7",
        ("INSERT INTO tallies_day_hod(bucket, hour_of_day, type, count) VALUES(?8, ?9, ?3, ?7)"
         " ON CONFLICT DO UPDATE SET count=count+?7"),
    };
    for (size_t i = 0; i < sizeof up / sizeof *up; i++) {
        st = prep(c, up[i]);
        if (!st)
            return OC_EIO;
        bind_text(st, 1, box);
        bind_text(st, 2, t->camera);
        bind_text(st, 3, t->type);
        sqlite3_bind_int64(st, 4, t->bucket);
        sqlite3_bind_int64(st, 5, t->count);
        sqlite3_bind_int64(st, 6, oc_sql_floor_to(t->bucket, HOUR_MS, 0));
        sqlite3_bind_int64(st, 7, delta);
        int64_t city = (int64_t)s->tz_offset_min * 60000;
        sqlite3_bind_int64(st, 8, oc_sql_floor_to(t->bucket, DAY_MS, city));
        sqlite3_bind_int64(st, 9, (t->bucket - oc_sql_floor_to(t->bucket, DAY_MS, city)) / HOUR_MS);
        oc_err_t e = step_done(st);
        done(c, st);
        if (e != OC_OK)
            return e;
    }
    return OC_OK;
}

static oc_err_t sqlite_put_tallies(struct oc_store *base, const char *box, const char *version,
                                   int64_t backlog, int64_t now, const struct oc_tally_in *t,
                                   size_t n, const struct oc_camera_in *cams, size_t nc)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct conn *c = acquire(s);
    char err[256];
    oc_err_t e = exec(c->db, "BEGIN IMMEDIATE", err, sizeof err) ? OC_EIO : OC_OK;
    for (size_t i = 0; e == OC_OK && i < nc; i++)
        e = put_camera(c, box, &cams[i]);
    for (size_t i = 0; e == OC_OK && i < n; i++)
        e = put_tally(s, c, box, &t[i]);
    if (e == OC_OK)
        e = touch_box(c, box, version, backlog, now);
    if (e == OC_OK && exec(c->db, "COMMIT", err, sizeof err))
        e = OC_EIO;
    if (e != OC_OK)
        exec(c->db, "ROLLBACK", err, sizeof err);
    release(c);
    return e;
}

static oc_err_t sqlite_put_violations(struct oc_store *base, const char *box, int64_t now,
                                      const cJSON *records, struct oc_insert_result *res)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct conn *c = acquire(s);
    char err[256];
    res->inserted = res->duplicates = 0;
    oc_err_t e = exec(c->db, "BEGIN IMMEDIATE", err, sizeof err) ? OC_EIO : OC_OK;
    sqlite3_stmt *st = e == OC_OK ? prep(c,
        "INSERT INTO violations(id, box, camera, type, ts, road, unit, sha256, record, received)"
        " VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING") : NULL;
    if (!st)
        e = OC_EIO;
    for (const cJSON *r = records ? records->child : NULL; e == OC_OK && r; r = r->next) {
        char *text = cJSON_PrintUnformatted(r);
        if (!text) {
            e = OC_ENOMEM;
            break;
        }
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(r, "evidence");
        bind_text(st, 1, oc_sql_jstr(r, "id"));
        bind_text(st, 2, box);
        bind_text(st, 3, oc_sql_jstr(r, "camera"));
        bind_text(st, 4, oc_sql_jstr(r, "type"));
        sqlite3_bind_int64(st, 5, (sqlite3_int64)cJSON_GetObjectItemCaseSensitive(r, "ts")->valuedouble);
        bind_text(st, 6, oc_sql_jstr(r, "road"));
        bind_text(st, 7, oc_sql_jstr(r, "unit"));
        bind_text(st, 8, cJSON_IsObject(ev) ? oc_sql_jstr(ev, "sha256") : NULL);
        bind_text(st, 9, text);
        sqlite3_bind_int64(st, 10, now);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        free(text);
        if (rc != SQLITE_DONE) {
            e = OC_EIO;
            break;
        }
        if (sqlite3_changes(c->db))
            res->inserted++;
        else
            res->duplicates++;
    }
    done(c, st);
    if (e == OC_OK)
        e = touch_box(c, box, NULL, -1, now);
    if (e == OC_OK && exec(c->db, "COMMIT", err, sizeof err))
        e = OC_EIO;
    if (e != OC_OK)
        exec(c->db, "ROLLBACK", err, sizeof err);
    release(c);
    return e;
}

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, len, "%s", t ? (const char *)t : "");
}

static oc_err_t sqlite_evidence_expected(struct oc_store *base, const char *id, char *box,
                                         size_t boxlen, char *hex, size_t hexlen, char *path,
                                         size_t pathlen)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct conn *c = acquire(s);
    sqlite3_stmt *st = prep(c, "SELECT box, sha256, evidence_path FROM violations WHERE id=?");
    oc_err_t e = OC_EIO;
    if (st) {
        bind_text(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            copy_col(st, 0, box, boxlen);
            copy_col(st, 1, hex, hexlen);
            copy_col(st, 2, path, pathlen);
            e = OC_OK;
        } else {
            e = rc == SQLITE_DONE ? OC_ENOTFOUND : OC_EIO;
        }
        done(c, st);
    }
    release(c);
    return e;
}

static oc_err_t sqlite_evidence_stored(struct oc_store *base, const char *id, const char *path,
                                       int64_t size)
{
    (void)size;
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct conn *c = acquire(s);
    sqlite3_stmt *st = prep(c, "UPDATE violations SET evidence_path=? WHERE id=?");
    oc_err_t e = OC_EIO;
    if (st) {
        bind_text(st, 1, path);
        bind_text(st, 2, id);
        e = step_done(st);
        done(c, st);
    }
    release(c);
    return e;
}

/* ---- queries ---- */

static void filter_sql(char *sql, size_t cap, const struct oc_store_filter *f, const char *ts_col)
{
    oc_sql_filter(sql, cap, f, ts_col, 0, NULL);
}

static int bind_filter(sqlite3_stmt *st, int i, const struct oc_store_filter *f)
{
    sqlite3_bind_int64(st, i++, f->from);
    if (f->to)
        sqlite3_bind_int64(st, i++, f->to);
    const char *vals[] = {f->type, f->camera, f->box, f->road, f->unit};
    for (int k = 0; k < 5; k++)
        if (vals[k])
            bind_text(st, i++, vals[k]);
    return i;
}

static cJSON *counts_rows(sqlite3_stmt *st, const struct oc_store_counts_q *q)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *rows = cJSON_AddArrayToObject(out, "rows");
    int rc;
    int n = (int)q->n_group;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, n) == SQLITE_NULL)
            continue; /* SUM over no rows */
        cJSON *row = cJSON_CreateObject();
        for (int i = 0; i < n; i++) {
            const char *k = oc_store_dim_name(q->group[i]);
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER:
                cJSON_AddNumberToObject(row, k, (double)sqlite3_column_int64(st, i));
                break;
            case SQLITE_NULL: cJSON_AddNullToObject(row, k); break;
            default: cJSON_AddStringToObject(row, k, (const char *)sqlite3_column_text(st, i));
            }
        }
        cJSON_AddNumberToObject(row, "count", (double)sqlite3_column_int64(st, n));
        cJSON_AddItemToArray(rows, row);
    }
    if (rc != SQLITE_DONE) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static cJSON *sqlite_counts(struct oc_store *base, const struct oc_store_counts_q *q)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    int64_t tz = (int64_t)q->tz_offset_min * 60000;
    enum oc_sql_grain g = oc_sql_pick_grain(s->tz_offset_min, q);
    char select[1024] = "", group[256] = "";
    size_t ns = 0, ng = 0;
    for (size_t i = 0; i < q->n_group; i++) {
        char expr[160];
        oc_sql_dim_expr(q->group[i], g, tz, expr, sizeof expr);
        ns += (size_t)snprintf(select + ns, sizeof select - ns, "%s AS %s, ", expr,
                               oc_store_dim_name(q->group[i]));
        ng += (size_t)snprintf(group + ng, sizeof group - ng, "%s%s", i ? "," : " GROUP BY ",
                               oc_store_dim_name(q->group[i]));
    }
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT %sSUM(count) FROM %s", select, oc_sql_grain_table[g]);
    filter_sql(sql, sizeof sql, &q->f, "bucket");
    size_t n = strlen(sql);
    snprintf(sql + n, sizeof sql - n, "%s%s", group, q->n_group ? " ORDER BY 1" : "");
    struct conn *c = acquire(s);
    sqlite3_stmt *st = NULL;
    cJSON *out = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK) {
        bind_filter(st, 1, &q->f);
        out = counts_rows(st, q);
        sqlite3_finalize(st);
    }
    release(c);
    return out;
}

static cJSON *sqlite_violations(struct oc_store *base, const struct oc_store_filter *f, int limit,
                                int64_t before_ts, const char *before_id)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    char sql[1024] = "SELECT record, evidence_path IS NOT NULL, ts, id FROM violations";
    filter_sql(sql, sizeof sql, f, "ts");
    size_t n = strlen(sql);
    if (before_id)
        n += (size_t)snprintf(sql + n, sizeof sql - n, " AND (ts<? OR (ts=? AND id<?))");
    snprintf(sql + n, sizeof sql - n, " ORDER BY ts DESC, id DESC LIMIT ?");
    struct conn *c = acquire(s);
    sqlite3_stmt *st = NULL;
    cJSON *out = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK) {
        int i = bind_filter(st, 1, f);
        if (before_id) {
            sqlite3_bind_int64(st, i++, before_ts);
            sqlite3_bind_int64(st, i++, before_ts);
            bind_text(st, i++, before_id);
        }
        sqlite3_bind_int(st, i, limit + 1);
        out = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(out, "violations");
        int count = 0, rc;
        char cursor[256] = "";
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (count == limit) {
                break; /* one more exists: the cursor points after the last kept */
            }
            cJSON *rec = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
            if (!rec)
                continue;
            const char *id = (const char *)sqlite3_column_text(st, 3);
            if (sqlite3_column_int(st, 1)) {
                char url[512];
                snprintf(url, sizeof url, "/api/v1/evidence/%s", id);
                cJSON_AddStringToObject(rec, "evidence_url", url);
            } else {
                cJSON_AddNullToObject(rec, "evidence_url");
            }
            cJSON_AddItemToArray(arr, rec);
            snprintf(cursor, sizeof cursor, "%lld|%s", (long long)sqlite3_column_int64(st, 2), id);
            count++;
        }
        if (rc == SQLITE_ROW && count == limit)
            cJSON_AddStringToObject(out, "next", cursor);
        else
            cJSON_AddNullToObject(out, "next");
        sqlite3_finalize(st);
    }
    release(c);
    return out;
}

static cJSON *sqlite_boxes(struct oc_store *base, int64_t now, int64_t silent_after)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct conn *c = acquire(s);
    sqlite3_stmt *st = NULL;
    cJSON *out = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT b.box, b.last_seen, b.version, b.backlog,"
                           " (SELECT COUNT(*) FROM cameras c WHERE c.box=b.box)"
                           " FROM boxes b ORDER BY b.box", -1, &st, NULL) == SQLITE_OK) {
        out = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(out, "boxes");
        while (sqlite3_step(st) == SQLITE_ROW) {
            cJSON *b = cJSON_CreateObject();
            int64_t seen = sqlite3_column_int64(st, 1);
            cJSON_AddStringToObject(b, "box", (const char *)sqlite3_column_text(st, 0));
            cJSON_AddNumberToObject(b, "last_seen", (double)seen);
            if (sqlite3_column_type(st, 2) == SQLITE_NULL)
                cJSON_AddNullToObject(b, "version");
            else
                cJSON_AddStringToObject(b, "version", (const char *)sqlite3_column_text(st, 2));
            if (sqlite3_column_type(st, 3) == SQLITE_NULL)
                cJSON_AddNullToObject(b, "backlog");
            else
                cJSON_AddNumberToObject(b, "backlog", (double)sqlite3_column_int64(st, 3));
            cJSON_AddNumberToObject(b, "cameras", sqlite3_column_int(st, 4));
            cJSON_AddBoolToObject(b, "silent", now - seen > silent_after);
            cJSON_AddItemToArray(arr, b);
        }
        sqlite3_finalize(st);
    }
    release(c);
    return out;
}

static const struct oc_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .put_tallies = sqlite_put_tallies,
    .put_violations = sqlite_put_violations,
    .evidence_expected = sqlite_evidence_expected,
    .evidence_stored = sqlite_evidence_stored,
    .counts = sqlite_counts,
    .violations = sqlite_violations,
    .boxes = sqlite_boxes,
};

struct oc_store *oc_store_sqlite_open(const char *path, int connections, int tz_offset_min,
                                      char *err, size_t errlen)
{
    /* no global allocation statistics: they take a mutex on every malloc */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    struct sqlite_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->base.ops = &sqlite_ops;
    s->tz_offset_min = tz_offset_min;
    s->n = connections < 1 ? 1 : connections;
    s->pool = calloc((size_t)s->n, sizeof *s->pool);
    pthread_mutex_init(&s->next_lock, NULL);
    if (!s->pool) {
        snprintf(err, errlen, "out of memory");
        free(s);
        return NULL;
    }
    for (int i = 0; i < s->n; i++) {
        pthread_mutex_init(&s->pool[i].lock, NULL);
        if (sqlite3_open_v2(path, &s->pool[i].db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->pool[i].db));
            s->n = i + 1;
            sqlite_close(&s->base);
            return NULL;
        }
        sqlite3_busy_timeout(s->pool[i].db, 10000);
        char e2[256] = "";
        if (exec(s->pool[i].db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                " PRAGMA foreign_keys=ON;", e2, sizeof e2) ||
            (i == 0 && migrate(s->pool[i].db, e2, sizeof e2))) {
            snprintf(err, errlen, "%s: %s", path, e2);
            s->n = i + 1;
            sqlite_close(&s->base);
            return NULL;
        }
    }
    return &s->base;
}
