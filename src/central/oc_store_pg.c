/* The PostgreSQL store (libpq): the same tables, grains and semantics as
 * the SQLite store (oc_store_sql.h), for a central that outgrows one file
 * on one host (README, "Scale"). A pool of connections, each used by one
 * thread at a time; every statement is parameterised ($n, text values). */
#include "oc_store.h"
#include "oc_store_sql.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pconn {
    PGconn *db;
    pthread_mutex_t lock;
};

struct pg_store {
    struct oc_store base;
    struct pconn *pool;
    int n;
    unsigned next;
    pthread_mutex_t next_lock;
    int tz_offset_min;
};

static const char *const migrations[] = {
    /* 1: the first schema (the SQLite store's, in PostgreSQL types) */
    "CREATE TABLE boxes(box TEXT PRIMARY KEY, last_seen BIGINT NOT NULL, version TEXT,"
    " backlog BIGINT);"
    "CREATE TABLE cameras(box TEXT NOT NULL, camera TEXT NOT NULL, location TEXT, road TEXT,"
    " unit TEXT, PRIMARY KEY(box, camera));"
    "CREATE TABLE tallies(bucket BIGINT NOT NULL, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, count BIGINT NOT NULL, road TEXT, unit TEXT,"
    " PRIMARY KEY(bucket, box, camera, type));"
    "CREATE TABLE tallies_hour(bucket BIGINT NOT NULL, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, count BIGINT NOT NULL, road TEXT, unit TEXT,"
    " PRIMARY KEY(bucket, box, camera, type));"
    "CREATE TABLE tallies_day(bucket BIGINT NOT NULL, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, count BIGINT NOT NULL, road TEXT, unit TEXT,"
    " PRIMARY KEY(bucket, box, camera, type));"
    "CREATE TABLE tallies_day_road(bucket BIGINT NOT NULL, road TEXT NOT NULL, unit TEXT NOT NULL,"
    " type TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY(bucket, road, unit, type));"
    "CREATE TABLE tallies_day_hod(bucket BIGINT NOT NULL, hour_of_day INTEGER NOT NULL,"
    " type TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY(bucket, hour_of_day, type));"
    "CREATE TABLE violations(id TEXT PRIMARY KEY, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, ts BIGINT NOT NULL, road TEXT, unit TEXT, sha256 TEXT,"
    " evidence_path TEXT, record TEXT NOT NULL, received BIGINT NOT NULL);"
    "CREATE INDEX violations_ts ON violations(ts, id);"
    "CREATE INDEX violations_camera_ts ON violations(camera, ts);"
    "CREATE INDEX violations_type_ts ON violations(type, ts);",
};

static struct pconn *acquire(struct pg_store *s)
{
    pthread_mutex_lock(&s->next_lock);
    unsigned start = s->next++;
    pthread_mutex_unlock(&s->next_lock);
    for (int k = 0; k < s->n; k++) {
        struct pconn *c = &s->pool[(start + (unsigned)k) % (unsigned)s->n];
        if (pthread_mutex_trylock(&c->lock) == 0)
            return c;
    }
    struct pconn *c = &s->pool[start % (unsigned)s->n];
    pthread_mutex_lock(&c->lock);
    return c;
}

/* A connection lost (server restart) is re-established on next use. */
static void release(struct pconn *c)
{
    if (PQstatus(c->db) == CONNECTION_BAD)
        PQreset(c->db);
    pthread_mutex_unlock(&c->lock);
}

/* Runs sql with text parameters (NULL = SQL NULL). The result, or NULL on
 * failure; the caller PQclear()s it. */
static PGresult *q(struct pconn *c, const char *sql, int n, const char *const *v)
{
    PGresult *r = PQexecParams(c->db, sql, n, NULL, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        PQclear(r);
        return NULL;
    }
    return r;
}

static oc_err_t qdo(struct pconn *c, const char *sql, int n, const char *const *v)
{
    PGresult *r = q(c, sql, n, v);
    PQclear(r);
    return r ? OC_OK : OC_EIO;
}

/* A script of several statements without parameters (migrations). */
static oc_err_t script(struct pconn *c, const char *sql)
{
    PGresult *r = PQexec(c->db, sql);
    oc_err_t e = PQresultStatus(r) == PGRES_COMMAND_OK ? OC_OK : OC_EIO;
    PQclear(r);
    return e;
}

static oc_err_t begin(struct pconn *c)
{
    return qdo(c, "BEGIN", 0, NULL);
}

static oc_err_t finish(struct pconn *c, oc_err_t e)
{
    if (e == OC_OK && qdo(c, "COMMIT", 0, NULL) == OC_OK)
        return OC_OK;
    qdo(c, "ROLLBACK", 0, NULL);
    return e == OC_OK ? OC_EIO : e;
}

/* Server notices ("relation already exists, skipping") are not errors. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_close(struct oc_store *base)
{
    struct pg_store *s = (struct pg_store *)base;
    for (int i = 0; i < s->n; i++) {
        PQfinish(s->pool[i].db);
        pthread_mutex_destroy(&s->pool[i].lock);
    }
    pthread_mutex_destroy(&s->next_lock);
    free(s->pool);
    free(s);
}

static int migrate(PGconn *db, char *err, size_t errlen)
{
    struct pconn c = {.db = db};
    int want = (int)(sizeof migrations / sizeof *migrations), version = 0;
    /* one central at a time migrates: an advisory lock around it */
    if (qdo(&c, "SELECT pg_advisory_lock(7220613)", 0, NULL) != OC_OK ||
        qdo(&c, "CREATE TABLE IF NOT EXISTS ordercam_schema(version INTEGER NOT NULL)", 0, NULL) != OC_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(db));
        return -1;
    }
    PGresult *r = q(&c, "SELECT COALESCE(MAX(version), 0) FROM ordercam_schema", 0, NULL);
    if (r) {
        version = atoi(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    int rc = 0;
    if (version > want) {
        snprintf(err, errlen, "database schema version %d is newer than this program (%d)",
                 version, want);
        rc = -1;
    }
    for (int v = version; rc == 0 && v < want; v++) {
        char ver[16];
        snprintf(ver, sizeof ver, "%d", v + 1);
        const char *p[] = {ver};
        if (begin(&c) != OC_OK || script(&c, migrations[v]) != OC_OK ||
            qdo(&c, "INSERT INTO ordercam_schema(version) VALUES($1)", 1, p) != OC_OK ||
            finish(&c, OC_OK) != OC_OK) {
            snprintf(err, errlen, "migration %d: %s", v + 1, PQerrorMessage(db));
            qdo(&c, "ROLLBACK", 0, NULL);
            rc = -1;
        }
    }
    qdo(&c, "SELECT pg_advisory_unlock(7220613)", 0, NULL);
    return rc;
}

/* ---- writes ---- */

static oc_err_t touch_box(struct pconn *c, const char *box, const char *version, int64_t backlog,
                          int64_t now)
{
    char snow[24], sback[24];
    snprintf(snow, sizeof snow, "%" PRId64, now);
    snprintf(sback, sizeof sback, "%" PRId64, backlog);
    const char *v[] = {box, snow, version, backlog >= 0 ? sback : NULL};
    return qdo(c, "INSERT INTO boxes(box, last_seen, version, backlog) VALUES($1,$2,$3,$4)"
                  " ON CONFLICT(box) DO UPDATE SET last_seen=EXCLUDED.last_seen,"
                  " version=COALESCE(EXCLUDED.version, boxes.version),"
                  " backlog=COALESCE(EXCLUDED.backlog, boxes.backlog)", 4, v);
}

/* A camera's place; when its road or unit changes its past counts move
 * with it in every grain, as in the SQLite store. */
static oc_err_t put_camera(struct pconn *c, const char *box, const struct oc_camera_in *cam)
{
    const char *key[] = {box, cam->id};
    PGresult *r = q(c, "SELECT COALESCE(road,''), COALESCE(unit,'') FROM cameras WHERE box=$1 AND camera=$2",
                    2, key);
    if (!r)
        return OC_EIO;
    char old_road[600] = "", old_unit[600] = "";
    int known = PQntuples(r) > 0;
    if (known) {
        snprintf(old_road, sizeof old_road, "%s", PQgetvalue(r, 0, 0));
        snprintf(old_unit, sizeof old_unit, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    const char *road = cam->road ? cam->road : "", *unit = cam->unit ? cam->unit : "";
    const char *v[] = {box, cam->id, cam->road, cam->unit, cam->location};
    oc_err_t e = qdo(c, "INSERT INTO cameras(box, camera, road, unit, location) VALUES($1,$2,$3,$4,$5)"
                        " ON CONFLICT(box, camera) DO UPDATE SET location=$5, road=$3, unit=$4",
                     5, v);
    if (e != OC_OK || (known && strcmp(old_road, road) == 0 && strcmp(old_unit, unit) == 0))
        return e;
    const char *newp[] = {box, cam->id, cam->road, cam->unit};
    const char *oldp[] = {box, cam->id, old_road, old_unit};
    static const char *const set_place[] = {
        "UPDATE tallies SET road=$3, unit=$4 WHERE box=$1 AND camera=$2",
        "UPDATE tallies_hour SET road=$3, unit=$4 WHERE box=$1 AND camera=$2",
        "UPDATE violations SET road=$3, unit=$4 WHERE box=$1 AND camera=$2",
    };
    for (size_t i = 0; e == OC_OK && i < sizeof set_place / sizeof *set_place; i++)
        e = qdo(c, set_place[i], 4, newp);
    /* out of the old place, into the new one */
    if (e == OC_OK)
        e = qdo(c, "INSERT INTO tallies_day_road(bucket, road, unit, type, count) SELECT bucket, $3,"
                   " $4, type, -count FROM tallies_day WHERE box=$1 AND camera=$2"
                   " ON CONFLICT(bucket, road, unit, type) DO UPDATE"
                   " SET count=tallies_day_road.count+EXCLUDED.count", 4, oldp);
    if (e == OC_OK)
        e = qdo(c, "UPDATE tallies_day SET road=$3, unit=$4 WHERE box=$1 AND camera=$2", 4, newp);
    if (e == OC_OK)
        e = qdo(c, "INSERT INTO tallies_day_road(bucket, road, unit, type, count) SELECT bucket,"
                   " COALESCE($3,''), COALESCE($4,''), type, count FROM tallies_day"
                   " WHERE box=$1 AND camera=$2 ON CONFLICT(bucket, road, unit, type) DO UPDATE"
                   " SET count=tallies_day_road.count+EXCLUDED.count", 4, newp);
    return e;
}

/* Sets one bucket's absolute count and moves the coarser grains by the
 * difference, so that a resend changes nothing anywhere. */
static oc_err_t put_tally(struct pg_store *s, struct pconn *c, const char *box,
                          const struct oc_tally_in *t)
{
    char bucket[24], count[24], hour[24], delta[24], day[24], hod[8];
    snprintf(bucket, sizeof bucket, "%" PRId64, t->bucket);
    const char *key[] = {box, t->camera, t->type, bucket};
    PGresult *r = q(c, "SELECT count FROM tallies WHERE box=$1 AND camera=$2 AND type=$3 AND bucket=$4",
                    4, key);
    if (!r)
        return OC_EIO;
    int64_t old = PQntuples(r) > 0 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    int64_t d = t->count - old;
    if (d == 0 && old != 0)
        return OC_OK;
    int64_t city = (int64_t)s->tz_offset_min * 60000;
    int64_t day0 = oc_sql_floor_to(t->bucket, OC_SQL_DAY_MS, city);
    snprintf(count, sizeof count, "%" PRId64, t->count);
    snprintf(hour, sizeof hour, "%" PRId64, oc_sql_floor_to(t->bucket, OC_SQL_HOUR_MS, 0));
    snprintf(delta, sizeof delta, "%" PRId64, d);
    snprintf(day, sizeof day, "%" PRId64, day0);
    snprintf(hod, sizeof hod, "%d", (int)((t->bucket - day0) / OC_SQL_HOUR_MS));
    /* each grain: box, camera, type, its bucket, the count or the delta */
    static const char *const up[] = {
        "INSERT INTO tallies(box, camera, type, bucket, count, road, unit)"
        " SELECT $1, $2, $3, $4::bigint, $5::bigint, c.road, c.unit FROM (SELECT 1) one"
        " LEFT JOIN cameras c ON c.box=$1 AND c.camera=$2"
        " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=EXCLUDED.count",
        "INSERT INTO tallies_hour(box, camera, type, bucket, count, road, unit)"
        " SELECT $1, $2, $3, $4::bigint, $5::bigint, c.road, c.unit FROM (SELECT 1) one"
        " LEFT JOIN cameras c ON c.box=$1 AND c.camera=$2"
        " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=tallies_hour.count+EXCLUDED.count",
        "INSERT INTO tallies_day(box, camera, type, bucket, count, road, unit)"
        " SELECT $1, $2, $3, $4::bigint, $5::bigint, c.road, c.unit FROM (SELECT 1) one"
        " LEFT JOIN cameras c ON c.box=$1 AND c.camera=$2"
        " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=tallies_day.count+EXCLUDED.count",
        "INSERT INTO tallies_day_road(bucket, road, unit, type, count)"
        " SELECT $4::bigint, COALESCE(c.road,''), COALESCE(c.unit,''), $3, $5::bigint FROM (SELECT 1) one"
        " LEFT JOIN cameras c ON c.box=$1 AND c.camera=$2"
        " ON CONFLICT(bucket, road, unit, type) DO UPDATE SET count=tallies_day_road.count+EXCLUDED.count",
    };
    const char *bucket_of[] = {bucket, hour, day, day};
    for (size_t i = 0; i < sizeof up / sizeof *up; i++) {
        const char *v[] = {box, t->camera, t->type, bucket_of[i], i == 0 ? count : delta};
        if (qdo(c, up[i], 5, v) != OC_OK)
            return OC_EIO;
    }
    const char *hv[] = {day, hod, t->type, delta};
    return qdo(c, "INSERT INTO tallies_day_hod(bucket, hour_of_day, type, count)"
                  " VALUES($1::bigint, $2::int, $3, $4::bigint) ON CONFLICT(bucket, hour_of_day, type)"
                  " DO UPDATE SET count=tallies_day_hod.count+EXCLUDED.count", 4, hv);
}

static oc_err_t pg_put_tallies(struct oc_store *base, const char *box, const char *version,
                               int64_t backlog, int64_t now, const struct oc_tally_in *t, size_t n,
                               const struct oc_camera_in *cams, size_t nc)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pconn *c = acquire(s);
    oc_err_t e = begin(c);
    for (size_t i = 0; e == OC_OK && i < nc; i++)
        e = put_camera(c, box, &cams[i]);
    for (size_t i = 0; e == OC_OK && i < n; i++)
        e = put_tally(s, c, box, &t[i]);
    if (e == OC_OK)
        e = touch_box(c, box, version, backlog, now);
    e = finish(c, e);
    release(c);
    return e;
}

static oc_err_t pg_put_violations(struct oc_store *base, const char *box, int64_t now,
                                  const cJSON *records, struct oc_insert_result *res)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pconn *c = acquire(s);
    res->inserted = res->duplicates = 0;
    oc_err_t e = begin(c);
    char snow[24], ts[24];
    snprintf(snow, sizeof snow, "%" PRId64, now);
    for (const cJSON *r = records ? records->child : NULL; e == OC_OK && r; r = r->next) {
        char *text = cJSON_PrintUnformatted(r);
        if (!text) {
            e = OC_ENOMEM;
            break;
        }
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(r, "evidence");
        snprintf(ts, sizeof ts, "%lld",
                 (long long)cJSON_GetObjectItemCaseSensitive(r, "ts")->valuedouble);
        const char *v[] = {oc_sql_jstr(r, "id"), box, oc_sql_jstr(r, "camera"), oc_sql_jstr(r, "type"), ts,
                           oc_sql_jstr(r, "road"), oc_sql_jstr(r, "unit"),
                           cJSON_IsObject(ev) ? oc_sql_jstr(ev, "sha256") : NULL, text, snow};
        PGresult *pr = q(c, "INSERT INTO violations(id, box, camera, type, ts, road, unit, sha256,"
                            " record, received) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
                            " ON CONFLICT(id) DO NOTHING", 10, v);
        free(text);
        if (!pr) {
            e = OC_EIO;
            break;
        }
        if (strcmp(PQcmdTuples(pr), "1") == 0)
            res->inserted++;
        else
            res->duplicates++;
        PQclear(pr);
    }
    if (e == OC_OK)
        e = touch_box(c, box, NULL, -1, now);
    e = finish(c, e);
    release(c);
    return e;
}

static oc_err_t pg_evidence_expected(struct oc_store *base, const char *id, char *box,
                                     size_t boxlen, char *hex, size_t hexlen, char *path,
                                     size_t pathlen)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pconn *c = acquire(s);
    const char *v[] = {id};
    PGresult *r = q(c, "SELECT box, COALESCE(sha256,''), COALESCE(evidence_path,'') FROM violations WHERE id=$1",
                    1, v);
    oc_err_t e = r ? OC_ENOTFOUND : OC_EIO;
    if (r && PQntuples(r) > 0) {
        snprintf(box, boxlen, "%s", PQgetvalue(r, 0, 0));
        snprintf(hex, hexlen, "%s", PQgetvalue(r, 0, 1));
        snprintf(path, pathlen, "%s", PQgetvalue(r, 0, 2));
        e = OC_OK;
    }
    PQclear(r);
    release(c);
    return e;
}

static oc_err_t pg_evidence_stored(struct oc_store *base, const char *id, const char *path,
                                   int64_t size)
{
    (void)size;
    struct pg_store *s = (struct pg_store *)base;
    struct pconn *c = acquire(s);
    const char *v[] = {path, id};
    oc_err_t e = qdo(c, "UPDATE violations SET evidence_path=$1 WHERE id=$2", 2, v);
    release(c);
    return e;
}

/* ---- queries ---- */

/* The filter's parameters: from, [to], then the set text values. */
static int filter_params(const struct oc_store_filter *f, char from[24], char to[24],
                         const char **v)
{
    int n = 0;
    snprintf(from, 24, "%" PRId64, f->from);
    v[n++] = from;
    if (f->to) {
        snprintf(to, 24, "%" PRId64, f->to);
        v[n++] = to;
    }
    const char *vals[5];
    size_t k = oc_sql_filter_values(f, vals);
    for (size_t i = 0; i < k; i++)
        v[n++] = vals[i];
    return n;
}

static cJSON *pg_counts(struct oc_store *base, const struct oc_store_counts_q *qq)
{
    struct pg_store *s = (struct pg_store *)base;
    int64_t tz = (int64_t)qq->tz_offset_min * 60000;
    enum oc_sql_grain g = oc_sql_pick_grain(s->tz_offset_min, qq);
    char select[1024] = "", group[256] = "";
    size_t ns = 0, ng = 0;
    for (size_t i = 0; i < qq->n_group; i++) {
        char expr[160];
        oc_sql_dim_expr(qq->group[i], g, tz, expr, sizeof expr);
        ns += (size_t)snprintf(select + ns, sizeof select - ns, "%s AS %s, ", expr,
                               oc_store_dim_name(qq->group[i]));
        ng += (size_t)snprintf(group + ng, sizeof group - ng, "%s%s", i ? "," : " GROUP BY ",
                               oc_store_dim_name(qq->group[i]));
    }
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT %sSUM(count) FROM %s", select, oc_sql_grain_table[g]);
    int param = 1;
    oc_sql_filter(sql, sizeof sql, &qq->f, "bucket", 1, &param);
    size_t n = strlen(sql);
    snprintf(sql + n, sizeof sql - n, "%s%s", group, qq->n_group ? " ORDER BY 1" : "");
    char from[24], to[24];
    const char *v[8];
    int nv = filter_params(&qq->f, from, to, v);
    struct pconn *c = acquire(s);
    PGresult *r = q(c, sql, nv, v);
    release(c);
    if (!r)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON *rows = cJSON_AddArrayToObject(out, "rows");
    int ncol = (int)qq->n_group;
    for (int i = 0; i < PQntuples(r); i++) {
        if (PQgetisnull(r, i, ncol))
            continue; /* SUM over no rows */
        cJSON *row = cJSON_CreateObject();
        for (int k = 0; k < ncol; k++) {
            const char *name = oc_store_dim_name(qq->group[k]);
            enum oc_store_dim d = qq->group[k];
            if (PQgetisnull(r, i, k))
                cJSON_AddNullToObject(row, name);
            else if (d == OC_DIM_HOUR || d == OC_DIM_DAY || d == OC_DIM_HOUR_OF_DAY)
                cJSON_AddNumberToObject(row, name, (double)strtoll(PQgetvalue(r, i, k), NULL, 10));
            else
                cJSON_AddStringToObject(row, name, PQgetvalue(r, i, k));
        }
        cJSON_AddNumberToObject(row, "count", (double)strtoll(PQgetvalue(r, i, ncol), NULL, 10));
        cJSON_AddItemToArray(rows, row);
    }
    PQclear(r);
    return out;
}

static cJSON *pg_violations(struct oc_store *base, const struct oc_store_filter *f, int limit,
                            int64_t before_ts, const char *before_id)
{
    struct pg_store *s = (struct pg_store *)base;
    char sql[1024] = "SELECT record, evidence_path IS NOT NULL, ts, id FROM violations";
    int param = 1;
    oc_sql_filter(sql, sizeof sql, f, "ts", 1, &param);
    char from[24], to[24], bts[24], lim[16];
    const char *v[12];
    int nv = filter_params(f, from, to, v);
    size_t n = strlen(sql);
    if (before_id) {
        n += (size_t)snprintf(sql + n, sizeof sql - n, " AND (ts<$%d OR (ts=$%d AND id<$%d))",
                              param, param, param + 1);
        param += 2;
        snprintf(bts, sizeof bts, "%" PRId64, before_ts);
        v[nv++] = bts;
        v[nv++] = before_id;
    }
    snprintf(sql + n, sizeof sql - n, " ORDER BY ts DESC, id DESC LIMIT $%d", param);
    snprintf(lim, sizeof lim, "%d", limit + 1);
    v[nv++] = lim;
    struct pconn *c = acquire(s);
    PGresult *r = q(c, sql, nv, v);
    release(c);
    if (!r)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "violations");
    int rows = PQntuples(r), count = 0;
    char cursor[256] = "";
    for (int i = 0; i < rows && count < limit; i++) {
        cJSON *rec = cJSON_Parse(PQgetvalue(r, i, 0));
        if (!rec)
            continue;
        const char *id = PQgetvalue(r, i, 3);
        if (strcmp(PQgetvalue(r, i, 1), "t") == 0) {
            char url[512];
            snprintf(url, sizeof url, "/api/v1/evidence/%s", id);
            cJSON_AddStringToObject(rec, "evidence_url", url);
        } else {
            cJSON_AddNullToObject(rec, "evidence_url");
        }
        cJSON_AddItemToArray(arr, rec);
        snprintf(cursor, sizeof cursor, "%s|%s", PQgetvalue(r, i, 2), id);
        count++;
    }
    if (rows > limit && count == limit)
        cJSON_AddStringToObject(out, "next", cursor);
    else
        cJSON_AddNullToObject(out, "next");
    PQclear(r);
    return out;
}

static cJSON *pg_boxes(struct oc_store *base, int64_t now, int64_t silent_after)
{
    struct pg_store *s = (struct pg_store *)base;
    struct pconn *c = acquire(s);
    PGresult *r = q(c, "SELECT b.box, b.last_seen, b.version, b.backlog,"
                       " (SELECT COUNT(*) FROM cameras c WHERE c.box=b.box)"
                       " FROM boxes b ORDER BY b.box", 0, NULL);
    release(c);
    if (!r)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "boxes");
    for (int i = 0; i < PQntuples(r); i++) {
        cJSON *b = cJSON_CreateObject();
        int64_t seen = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        cJSON_AddStringToObject(b, "box", PQgetvalue(r, i, 0));
        cJSON_AddNumberToObject(b, "last_seen", (double)seen);
        if (PQgetisnull(r, i, 2))
            cJSON_AddNullToObject(b, "version");
        else
            cJSON_AddStringToObject(b, "version", PQgetvalue(r, i, 2));
        if (PQgetisnull(r, i, 3))
            cJSON_AddNullToObject(b, "backlog");
        else
            cJSON_AddNumberToObject(b, "backlog", (double)strtoll(PQgetvalue(r, i, 3), NULL, 10));
        cJSON_AddNumberToObject(b, "cameras", atoi(PQgetvalue(r, i, 4)));
        cJSON_AddBoolToObject(b, "silent", now - seen > silent_after);
        cJSON_AddItemToArray(arr, b);
    }
    PQclear(r);
    return out;
}

static const struct oc_store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .put_tallies = pg_put_tallies,
    .put_violations = pg_put_violations,
    .evidence_expected = pg_evidence_expected,
    .evidence_stored = pg_evidence_stored,
    .counts = pg_counts,
    .violations = pg_violations,
    .boxes = pg_boxes,
};

struct oc_store *oc_store_pg_open(const char *conninfo, int connections, int tz_offset_min,
                                  char *err, size_t errlen)
{
    struct pg_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->base.ops = &pg_ops;
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
        s->pool[i].db = PQconnectdb(conninfo);
        PQsetNoticeProcessor(s->pool[i].db, quiet, NULL);
        if (PQstatus(s->pool[i].db) != CONNECTION_OK ||
            (i == 0 && migrate(s->pool[i].db, err, errlen) != 0)) {
            if (PQstatus(s->pool[i].db) != CONNECTION_OK)
                snprintf(err, errlen, "PostgreSQL: %s", PQerrorMessage(s->pool[i].db));
            s->n = i + 1;
            pg_close(&s->base);
            return NULL;
        }
    }
    return &s->base;
}
