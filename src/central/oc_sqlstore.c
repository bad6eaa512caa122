/* The store's operations once, in dialect-neutral SQL (oc_sqlstore.h):
 * a pool of connections, the tally grains and their propagation, camera
 * places, violations, evidence references and the queries. Tallies are
 * kept at several grains with road and unit copied in (oc_store_sql.h), so
 * a month of counts by road and type reads a few thousand rows instead of
 * millions. */
#include "oc_sqlstore.h"
#include "oc_sqlstore_int.h"
#include "oc_sqlpeople.h"
#include "oc_store_sql.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the shared names of oc_sqlstore_int.h, spelled as this file always has */
#define slot oc_sqls_slot

struct sqlstore {
    struct oc_store base;
    struct oc_store_ops ops_copy; /* base.ops: sqlstore_ops named after the dialect */
    const struct oc_sql_dialect *d;
    struct slot *pool;
    int n;
    unsigned next; /* round robin start */
    pthread_mutex_t next_lock;
    int tz_offset_min; /* the city's day boundary, for the day grain */
    /* the enforcement types the repeat plate counts are kept for (sorted,
     * joined by ','), set once at start by plates_setup; "" before */
    char plate_types[OC_SQLS_PLATE_TYPES];
};

#define param oc_sqls_param
#define pt(t) oc_sqls_t(t)
#define pi(i) oc_sqls_i(i)

static struct slot *acquire(struct sqlstore *s)
{
    pthread_mutex_lock(&s->next_lock);
    unsigned start = s->next++;
    pthread_mutex_unlock(&s->next_lock);
    for (int k = 0; k < s->n; k++) {
        struct slot *c = &s->pool[(start + (unsigned)k) % (unsigned)s->n];
        if (pthread_mutex_trylock(&c->lock) == 0)
            return c;
    }
    struct slot *c = &s->pool[start % (unsigned)s->n];
    pthread_mutex_lock(&c->lock);
    return c;
}

static void release(struct sqlstore *s, struct slot *c)
{
    if (s->d->recover)
        s->d->recover(c->c);
    pthread_mutex_unlock(&c->lock);
}

/* sql prepared with its n parameters bound; NULL on failure. */
static struct oc_sqlst *start(struct sqlstore *s, struct oc_sqlconn *c, const char *sql,
                              int sql_is_static, const struct param *p, int n)
{
    struct oc_sqlst *st = s->d->prepare(c, sql, sql_is_static);
    for (int i = 0; st && i < n; i++) {
        if (p[i].is_int)
            s->d->bind_int(st, i + 1, p[i].i);
        else
            s->d->bind_text(st, i + 1, p[i].t);
    }
    return st;
}

/* Runs a static statement to its end; *changes (may be NULL): the rows it
 * changed. */
static oc_err_t run(struct sqlstore *s, struct oc_sqlconn *c, const char *sql,
                    const struct param *p, int n, int64_t *changes)
{
    struct oc_sqlst *st = start(s, c, sql, 1, p, n);
    if (!st)
        return OC_EIO;
    enum oc_sql_step r;
    while ((r = s->d->step(st)) == OC_SQL_ROW)
        ;
    if (changes)
        *changes = s->d->changes(st);
    s->d->done(st);
    return r == OC_SQL_DONE ? OC_OK : OC_EIO;
}

#define out oc_sqls_out

/* Runs a static query and reads its first row's columns into o (left
 * untouched without a row): OC_SQL_ROW, OC_SQL_DONE (no row) or
 * OC_SQL_ERROR. */
static enum oc_sql_step first_row(struct sqlstore *s, struct oc_sqlconn *c, const char *sql,
                                  const struct param *p, int n, const struct out *o, int no)
{
    struct oc_sqlst *st = start(s, c, sql, 1, p, n);
    if (!st)
        return OC_SQL_ERROR;
    enum oc_sql_step r = s->d->step(st);
    for (int k = 0; r == OC_SQL_ROW && k < no; k++) {
        if (o[k].i)
            *o[k].i = s->d->col_int(st, k);
        else
            snprintf(o[k].buf, o[k].len, "%s", s->d->col_text(st, k));
    }
    s->d->done(st);
    return r;
}

/* Ends a write transaction: commits when e is OC_OK, else rolls back. */
static oc_err_t finish(struct sqlstore *s, struct oc_sqlconn *c, oc_err_t e)
{
    if (e == OC_OK && s->d->commit(c) == OC_OK)
        return OC_OK;
    s->d->rollback(c);
    return e == OC_OK ? OC_EIO : e;
}

/* ---- writes ---- */

static oc_err_t touch_box(struct sqlstore *s, struct oc_sqlconn *c, const char *box,
                          const char *version, int64_t backlog, int64_t now)
{
    const struct param p[] = {pt(box), pi(now), pt(version), pi(backlog)};
    return run(s, c,
               "INSERT INTO boxes(box, last_seen, version, backlog)"
               " VALUES(?1, ?2, ?3, CASE WHEN ?4 < 0 THEN NULL ELSE ?4 END)"
               " ON CONFLICT(box) DO UPDATE SET last_seen=excluded.last_seen,"
               " version=COALESCE(excluded.version, boxes.version),"
               " backlog=COALESCE(excluded.backlog, boxes.backlog)",
               p, 4, NULL);
}

/* Records a camera's place. When its road or unit changes, its past counts
 * move with it in every grain, so a renamed road is one road. */
static oc_err_t put_camera(struct sqlstore *s, struct oc_sqlconn *c, const char *box,
                           const struct oc_camera_in *cam)
{
    char old_road[600] = "", old_unit[600] = "";
    const struct param key[] = {pt(box), pt(cam->id)};
    const struct out o[] = {{old_road, sizeof old_road, NULL}, {old_unit, sizeof old_unit, NULL}};
    enum oc_sql_step known = first_row(s, c,
                                       "SELECT COALESCE(road,''), COALESCE(unit,'') FROM cameras"
                                       " WHERE box=?1 AND camera=?2",
                                       key, 2, o, 2);
    if (known == OC_SQL_ERROR)
        return OC_EIO;
    const struct param v[] = {pt(box),      pt(cam->id),  pt(cam->road),    pt(cam->unit),
                              pt(old_road), pt(old_unit), pt(cam->location)};
    oc_err_t e = run(s, c,
                     "INSERT INTO cameras(box, camera, location, road, unit)"
                     " VALUES(?1, ?2, ?7, ?3, ?4) ON CONFLICT(box, camera)"
                     " DO UPDATE SET location=?7, road=?3, unit=?4",
                     v, 7, NULL);
    const char *road = cam->road ? cam->road : "", *unit = cam->unit ? cam->unit : "";
    if (e != OC_OK ||
        (known == OC_SQL_ROW && strcmp(old_road, road) == 0 && strcmp(old_unit, unit) == 0))
        return e;
    static const char *const moves[] = {
        "UPDATE tallies SET road=?3, unit=?4 WHERE box=?1 AND camera=?2",
        "UPDATE tallies_hour SET road=?3, unit=?4 WHERE box=?1 AND camera=?2",
        "UPDATE violations SET road=?3, unit=?4 WHERE box=?1 AND camera=?2",
        /* out of the old place, into the new one */
        "INSERT INTO tallies_day_road(bucket, road, unit, type, count)"
        " SELECT bucket, ?5, ?6, type, -count FROM tallies_day WHERE box=?1 AND camera=?2"
        " ON CONFLICT(bucket, road, unit, type)"
        " DO UPDATE SET count=tallies_day_road.count+excluded.count",
        "UPDATE tallies_day SET road=?3, unit=?4 WHERE box=?1 AND camera=?2",
        "INSERT INTO tallies_day_road(bucket, road, unit, type, count)"
        " SELECT bucket, COALESCE(?3,''), COALESCE(?4,''), type, count FROM tallies_day"
        " WHERE box=?1 AND camera=?2 ON CONFLICT(bucket, road, unit, type)"
        " DO UPDATE SET count=tallies_day_road.count+excluded.count",
        /* the review status counts follow the records to the new place:
         * counted again from the camera's records (a move is rare; this
         * also mends counts that an earlier move had left behind) */
        "DELETE FROM review_counts WHERE box=?1 AND camera=?2",
        "INSERT INTO review_counts(bucket, box, camera, type, road, unit, status, reason, count)"
        " SELECT (v.ts+z.tz*60000) - (((v.ts+z.tz*60000) % 86400000) + 86400000) % 86400000"
        " - z.tz*60000, v.box, v.camera, v.type, COALESCE(v.road,''), COALESCE(v.unit,''),"
        " v.status, COALESCE(v.reason,''), COUNT(*)"
        " FROM violations v, (SELECT tz_offset_min AS tz FROM review_tz) z"
        " WHERE z.tz IS NOT NULL AND v.box=?1 AND v.camera=?2 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
    };
    for (size_t i = 0; e == OC_OK && i < sizeof moves / sizeof *moves; i++)
        e = run(s, c, moves[i], v, 6, NULL);
    return e;
}

/* The finest grain's count and rev of a tally row; *known 0 if none. */
static oc_err_t tally_now(struct sqlstore *s, struct oc_sqlconn *c, const char *box,
                          const struct oc_tally_in *t, int *known, int64_t *count, int64_t *rev)
{
    const struct param key[] = {pt(box), pt(t->camera), pt(t->type), pi(t->bucket)};
    const struct out o[] = {{NULL, 0, count}, {NULL, 0, rev}};
    *count = *rev = 0;
    enum oc_sql_step r = first_row(s, c,
                                   "SELECT count, rev FROM tallies"
                                   " WHERE box=?1 AND camera=?2 AND type=?3 AND bucket=?4",
                                   key, 4, o, 2);
    *known = r == OC_SQL_ROW;
    return r == OC_SQL_ERROR ? OC_EIO : OC_OK;
}

/* Sets one bucket's absolute count and moves every coarser grain by the
 * difference it made, so that a resend changes nothing anywhere. A row
 * whose rev is not newer than the stored one changes nothing (*stale). */
static oc_err_t put_tally(struct sqlstore *s, struct oc_sqlconn *c, const char *box,
                          const struct oc_tally_in *t, size_t *stale)
{
    int known;
    int64_t old, old_rev;
    oc_err_t e = tally_now(s, c, box, t, &known, &old, &old_rev);
    if (e != OC_OK)
        return e;
    if (known && t->rev && t->rev <= old_rev) {
        (*stale)++;
        return OC_OK;
    }
    int64_t delta = t->count - old, rev = t->rev > old_rev ? t->rev : old_rev;
    if (known && delta == 0 && rev == old_rev)
        return OC_OK;
    int64_t city = (int64_t)s->tz_offset_min * 60000;
    int64_t day = oc_sql_floor_to(t->bucket, OC_SQL_DAY_MS, city);
    const struct param p[] = {
        pt(box),       pt(t->camera), pt(t->type),
        pi(t->bucket), pi(t->count),  pi(oc_sql_floor_to(t->bucket, OC_SQL_HOUR_MS, 0)),
        pi(delta),     pi(day),       pi((t->bucket - day) / OC_SQL_HOUR_MS),
        pi(rev)};
    /* each grain's row: the camera's place joined in, its own bucket */
    static const char *const up[] = {
        "INSERT INTO tallies(box, camera, type, bucket, count, rev, road, unit)"
        " SELECT ?1, ?2, ?3, ?4, ?5, ?10, c.road, c.unit FROM (SELECT 1) one"
        " LEFT JOIN cameras c ON c.box=?1 AND c.camera=?2 WHERE true"
        " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=excluded.count,"
        " rev=excluded.rev",
        "INSERT INTO tallies_hour(box, camera, type, bucket, count, road, unit)"
        " SELECT ?1, ?2, ?3, ?6, ?7, c.road, c.unit FROM (SELECT 1) one"
        " LEFT JOIN cameras c ON c.box=?1 AND c.camera=?2 WHERE true"
        " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=tallies_hour.count+?7",
        "INSERT INTO tallies_day(box, camera, type, bucket, count, road, unit)"
        " SELECT ?1, ?2, ?3, ?8, ?7, c.road, c.unit FROM (SELECT 1) one"
        " LEFT JOIN cameras c ON c.box=?1 AND c.camera=?2 WHERE true"
        " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=tallies_day.count+?7",
        "INSERT INTO tallies_day_road(bucket, road, unit, type, count)"
        " SELECT ?8, COALESCE(c.road,''), COALESCE(c.unit,''), ?3, ?7 FROM (SELECT 1) one"
        " LEFT JOIN cameras c ON c.box=?1 AND c.camera=?2 WHERE true"
        " ON CONFLICT(bucket, road, unit, type) DO UPDATE SET count=tallies_day_road.count+?7",
        ("INSERT INTO tallies_day_hod(bucket, hour_of_day, type, count) VALUES(?8, ?9, ?3, ?7)"
         " ON CONFLICT(bucket, hour_of_day, type) DO UPDATE SET count=tallies_day_hod.count+?7"),
    };
    /* only the rev moved: the coarser grains stay */
    size_t grains = known && delta == 0 ? 1 : sizeof up / sizeof *up;
    for (size_t i = 0; e == OC_OK && i < grains; i++)
        e = run(s, c, up[i], p, 10, NULL);
    return e;
}

static oc_err_t store_put_tallies(struct oc_store *base, const char *box, const char *version,
                                  int64_t backlog, int64_t now, const struct oc_tally_in *t,
                                  size_t n, const struct oc_camera_in *cams, size_t nc,
                                  size_t *stale)
{
    struct sqlstore *s = (struct sqlstore *)base;
    struct slot *sl = acquire(s);
    size_t n_stale = 0;
    /* one box's writes one after another: a rev checked is a rev stored */
    oc_err_t e = s->d->begin(sl->c, box);
    for (size_t i = 0; e == OC_OK && i < nc; i++)
        e = put_camera(s, sl->c, box, &cams[i]);
    if (e == OC_OK && s->d->put_tallies && n > 1)
        e = s->d->put_tallies(sl->c, box, (int64_t)s->tz_offset_min * 60000, t, n, &n_stale);
    else
        for (size_t i = 0; e == OC_OK && i < n; i++)
            e = put_tally(s, sl->c, box, &t[i], &n_stale);
    if (e == OC_OK)
        e = touch_box(s, sl->c, box, version, backlog, now);
    e = finish(s, sl->c, e);
    release(s, sl);
    if (stale)
        *stale = e == OC_OK ? n_stale : 0;
    return e;
}

/* Inserts one record unless its id is known; *inserted 1 if it was new. */
static oc_err_t put_violation(struct sqlstore *s, struct oc_sqlconn *c, const char *box,
                              int64_t now, const cJSON *r, int *inserted)
{
    char *text = cJSON_PrintUnformatted(r);
    if (!text)
        return OC_ENOMEM;
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(r, "evidence");
    const struct param p[] = {
        pt(oc_sql_jstr(r, "id")),
        pt(box),
        pt(oc_sql_jstr(r, "camera")),
        pt(oc_sql_jstr(r, "type")),
        pi((int64_t)cJSON_GetObjectItemCaseSensitive(r, "ts")->valuedouble),
        pt(oc_sql_jstr(r, "road")),
        pt(oc_sql_jstr(r, "unit")),
        pt(cJSON_IsObject(ev) ? oc_sql_jstr(ev, "sha256") : NULL),
        pt(text),
        pi(now),
    };
    int64_t changes = 0;
    oc_err_t e = run(s, c,
                     "INSERT INTO violations(id, box, camera, type, ts, road, unit, sha256,"
                     " record, received) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                     " ON CONFLICT(id) DO NOTHING",
                     p, 10, &changes);
    free(text);
    *inserted = changes > 0;
    return e;
}

/* The records as rows for the dialect's batched insert, in one statement;
 * each record's text is made here and freed before returning. */
static oc_err_t put_violations_batch(struct sqlstore *s, struct oc_sqlconn *c, const char *box,
                                     int64_t now, const cJSON *records, int64_t *inserted)
{
    size_t n = (size_t)cJSON_GetArraySize(records), k = 0;
    struct oc_sql_vrow *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return OC_ENOMEM;
    oc_err_t e = OC_OK;
    for (const cJSON *r = records->child; r && k < n; r = r->next, k++) {
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(r, "evidence");
        char *text = cJSON_PrintUnformatted(r);
        if (!text) {
            e = OC_ENOMEM;
            break;
        }
        rows[k] = (struct oc_sql_vrow){
            .id = oc_sql_jstr(r, "id"),
            .camera = oc_sql_jstr(r, "camera"),
            .type = oc_sql_jstr(r, "type"),
            .road = oc_sql_jstr(r, "road"),
            .unit = oc_sql_jstr(r, "unit"),
            .sha256 = cJSON_IsObject(ev) ? oc_sql_jstr(ev, "sha256") : NULL,
            .record = text,
            .ts = (int64_t)cJSON_GetObjectItemCaseSensitive(r, "ts")->valuedouble};
    }
    if (e == OC_OK)
        e = s->d->insert_violations(c, box, now, rows, k, inserted);
    for (size_t i = 0; i < k; i++)
        free((char *)rows[i].record);
    free(rows);
    return e;
}

static oc_err_t store_put_violations(struct oc_store *base, const char *box, int64_t now,
                                     const cJSON *records, struct oc_insert_result *res)
{
    struct sqlstore *s = (struct sqlstore *)base;
    struct slot *sl = acquire(s);
    res->inserted = res->duplicates = 0;
    oc_err_t e = s->d->begin(sl->c, NULL);
    if (e == OC_OK && s->d->insert_violations && cJSON_IsArray(records)) {
        int64_t ins = 0;
        e = put_violations_batch(s, sl->c, box, now, records, &ins);
        res->inserted = (size_t)ins;
        res->duplicates = (size_t)cJSON_GetArraySize(records) - (size_t)ins;
        records = NULL; /* done */
    }
    for (const cJSON *r = records ? records->child : NULL; e == OC_OK && r; r = r->next) {
        int inserted = 0;
        e = put_violation(s, sl->c, box, now, r, &inserted);
        if (inserted)
            res->inserted++;
        else
            res->duplicates++;
    }
    if (e == OC_OK)
        e = touch_box(s, sl->c, box, NULL, -1, now);
    e = finish(s, sl->c, e);
    release(s, sl);
    return e;
}

static oc_err_t store_evidence_expected(struct oc_store *base, const char *id, char *box,
                                        size_t boxlen, char *hex, size_t hexlen, char *path,
                                        size_t pathlen)
{
    struct sqlstore *s = (struct sqlstore *)base;
    struct slot *sl = acquire(s);
    const struct param p[] = {pt(id)};
    const struct out o[] = {{box, boxlen, NULL}, {hex, hexlen, NULL}, {path, pathlen, NULL}};
    enum oc_sql_step r = first_row(s, sl->c,
                                   "SELECT box, COALESCE(sha256,''), COALESCE(evidence_path,'')"
                                   " FROM violations WHERE id=?1",
                                   p, 1, o, 3);
    release(s, sl);
    return r == OC_SQL_ROW ? OC_OK : r == OC_SQL_DONE ? OC_ENOTFOUND : OC_EIO;
}

static oc_err_t store_evidence_stored(struct oc_store *base, const char *id, const char *path,
                                      int64_t size)
{
    (void)size;
    struct sqlstore *s = (struct sqlstore *)base;
    struct slot *sl = acquire(s);
    const struct param p[] = {pt(path), pt(id)};
    oc_err_t e = run(s, sl->c, "UPDATE violations SET evidence_path=?1 WHERE id=?2", p, 2, NULL);
    release(s, sl);
    return e;
}

/* a stored record is central's re-serialisation of a checked record: its
 * strings are bounded (docs/central.md), so it fits well within this */
#define PUBLIC_RECORD_MAX (64 * 1024)

/* The public variant's digest is read from the stored record (the
 * record is what central checked), so no column repeats it. */
static oc_err_t store_public_expected(struct oc_store *base, const char *id, char *box,
                                      size_t boxlen, char *hex, size_t hexlen, char *path,
                                      size_t pathlen, int *expired)
{
    struct sqlstore *s = (struct sqlstore *)base;
    struct slot *sl = acquire(s);
    char *rec = malloc(PUBLIC_RECORD_MAX);
    int64_t exp = 0;
    if (!rec) {
        release(s, sl);
        return OC_ENOMEM;
    }
    rec[0] = '\0';
    const struct param p[] = {pt(id)};
    const struct out o[] = {{box, boxlen, NULL},
                            {rec, PUBLIC_RECORD_MAX, NULL},
                            {path, pathlen, NULL},
                            {NULL, 0, &exp}};
    enum oc_sql_step r = first_row(s, sl->c,
                                   "SELECT box, record, COALESCE(public_path,''), evidence_expired"
                                   " FROM violations WHERE id=?1",
                                   p, 1, o, 4);
    release(s, sl);
    *expired = exp != 0;
    hex[0] = '\0';
    if (r == OC_SQL_ROW) {
        cJSON *j = cJSON_Parse(rec);
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "evidence");
        const char *pub = cJSON_IsObject(ev) ? oc_sql_jstr(ev, "public_sha256") : NULL;
        if (pub && hexlen)
            snprintf(hex, hexlen, "%s", pub);
        cJSON_Delete(j);
    }
    free(rec);
    return r == OC_SQL_ROW ? OC_OK : r == OC_SQL_DONE ? OC_ENOTFOUND : OC_EIO;
}

static oc_err_t store_public_stored(struct oc_store *base, const char *id, const char *path)
{
    struct sqlstore *s = (struct sqlstore *)base;
    struct slot *sl = acquire(s);
    const struct param p[] = {pt(path), pt(id)};
    oc_err_t e = run(s, sl->c, "UPDATE violations SET public_path=?1 WHERE id=?2", p, 2, NULL);
    release(s, sl);
    return e;
}

static oc_err_t store_publics_before(struct oc_store *base, int64_t before, int limit,
                                     oc_store_image_fn fn, void *arg)
{
    struct sqlstore *s = (struct sqlstore *)base;
    const struct param p[] = {pi(before), pi(limit)};
    struct slot *sl = acquire(s);
    struct oc_sqlst *st = start(s, sl->c,
                                "SELECT id, public_path FROM violations WHERE ts<?1"
                                " AND public_path IS NOT NULL ORDER BY ts, id LIMIT ?2",
                                1, p, 2);
    enum oc_sql_step r = OC_SQL_ERROR;
    while (st && (r = s->d->step(st)) == OC_SQL_ROW)
        fn(arg, s->d->col_text(st, 0), s->d->col_text(st, 1));
    if (st)
        s->d->done(st);
    release(s, sl);
    return r == OC_SQL_DONE ? OC_OK : OC_EIO;
}

static oc_err_t store_public_users(struct oc_store *base, const char *path, const char *id,
                                   int64_t *n)
{
    struct sqlstore *s = (struct sqlstore *)base;
    const struct param p[] = {pt(path), pt(id)};
    const struct out o[] = {{NULL, 0, n}};
    *n = 0;
    struct slot *sl = acquire(s);
    enum oc_sql_step r = first_row(
        s, sl->c, "SELECT COUNT(*) FROM violations WHERE public_path=?1 AND id<>?2", p, 2, o, 1);
    release(s, sl);
    return r == OC_SQL_ROW ? OC_OK : OC_EIO;
}

static oc_err_t store_public_expire(struct oc_store *base, const char *id)
{
    struct sqlstore *s = (struct sqlstore *)base;
    const struct param p[] = {pt(id)};
    struct slot *sl = acquire(s);
    oc_err_t e = run(s, sl->c, "UPDATE violations SET public_path=NULL WHERE id=?1", p, 1, NULL);
    release(s, sl);
    return e;
}

/* ---- queries ---- */

/* The filter's parameters in placeholder order: from, [to], the texts. */
int oc_sqls_filter_params(const struct oc_store_filter *f, struct oc_sqls_param *p)
{
    int n = 0;
    p[n++] = pi(f->from);
    if (f->to)
        p[n++] = pi(f->to);
    const char *vals[6];
    size_t k = oc_sql_filter_values(f, vals);
    for (size_t i = 0; i < k; i++)
        p[n++] = pt(vals[i]);
    return n;
}

static cJSON *counts_rows(struct sqlstore *s, struct oc_sqlst *st,
                          const struct oc_store_counts_q *q)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *rows = cJSON_AddArrayToObject(out, "rows");
    int n = (int)q->n_group;
    enum oc_sql_step r;
    while ((r = s->d->step(st)) == OC_SQL_ROW) {
        if (s->d->is_null(st, n))
            continue; /* SUM over no rows */
        cJSON *row = cJSON_CreateObject();
        for (int i = 0; i < n; i++) {
            enum oc_store_dim d = q->group[i];
            const char *k = oc_store_dim_name(d);
            if (s->d->is_null(st, i))
                cJSON_AddNullToObject(row, k);
            else if (d == OC_DIM_HOUR || d == OC_DIM_DAY || d == OC_DIM_HOUR_OF_DAY)
                cJSON_AddNumberToObject(row, k, (double)s->d->col_int(st, i));
            else
                cJSON_AddStringToObject(row, k, s->d->col_text(st, i));
        }
        cJSON_AddNumberToObject(row, "count", (double)s->d->col_int(st, n));
        cJSON_AddItemToArray(rows, row);
    }
    if (r != OC_SQL_DONE) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static cJSON *store_counts(struct oc_store *base, const struct oc_store_counts_q *q)
{
    struct sqlstore *s = (struct sqlstore *)base;
    int64_t tz = (int64_t)q->tz_offset_min * 60000;
    enum oc_sql_grain g = oc_sql_pick_grain(s->tz_offset_min, q);
    const char *from = oc_sql_grain_table[g];
    if (q->f.status && (g == OC_G_DAY || g == OC_G_DAY_ROAD)) {
        /* whole city days: the status counts kept per day (road and unit
         * stored as '', as the road grain does) */
        g = OC_G_DAY_ROAD;
        from = "review_counts";
    } else if (q->f.status) {
        /* other ranges: counted from the violations */
        g = OC_G_BUCKET;
        from = "(SELECT ts AS bucket, box, camera, type, road, unit, status, 1 AS count"
               " FROM violations) v";
    }
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
    snprintf(sql, sizeof sql, "SELECT %sSUM(count) FROM %s", select, from);
    int param = 1;
    oc_sql_filter(sql, sizeof sql, &q->f, "bucket", &param);
    size_t n = strlen(sql);
    snprintf(sql + n, sizeof sql - n, "%s%s", group, q->n_group ? " ORDER BY 1" : "");
    struct param p[9];
    int np = oc_sqls_filter_params(&q->f, p);
    struct slot *sl = acquire(s);
    struct oc_sqlst *st = start(s, sl->c, sql, 0, p, np);
    cJSON *out = st ? counts_rows(s, st, q) : NULL;
    if (st)
        s->d->done(st);
    release(s, sl);
    return out;
}

static cJSON *box_row(struct sqlstore *s, struct oc_sqlst *st, int64_t now, int64_t silent_after)
{
    cJSON *b = cJSON_CreateObject();
    int64_t seen = s->d->col_int(st, 1);
    cJSON_AddStringToObject(b, "box", s->d->col_text(st, 0));
    cJSON_AddNumberToObject(b, "last_seen", (double)seen);
    if (s->d->is_null(st, 2))
        cJSON_AddNullToObject(b, "version");
    else
        cJSON_AddStringToObject(b, "version", s->d->col_text(st, 2));
    if (s->d->is_null(st, 3))
        cJSON_AddNullToObject(b, "backlog");
    else
        cJSON_AddNumberToObject(b, "backlog", (double)s->d->col_int(st, 3));
    cJSON_AddNumberToObject(b, "cameras", (double)s->d->col_int(st, 4));
    cJSON_AddBoolToObject(b, "silent", now - seen > silent_after);
    return b;
}

static cJSON *store_boxes(struct oc_store *base, int64_t now, int64_t silent_after)
{
    struct sqlstore *s = (struct sqlstore *)base;
    struct slot *sl = acquire(s);
    struct oc_sqlst *st = start(s, sl->c,
                                "SELECT b.box, b.last_seen, b.version, b.backlog,"
                                " (SELECT COUNT(*) FROM cameras c WHERE c.box=b.box)"
                                " FROM boxes b ORDER BY b.box",
                                1, NULL, 0);
    cJSON *out = st ? cJSON_CreateObject() : NULL;
    cJSON *arr = cJSON_AddArrayToObject(out, "boxes");
    enum oc_sql_step r = OC_SQL_ERROR;
    while (st && (r = s->d->step(st)) == OC_SQL_ROW)
        cJSON_AddItemToArray(arr, box_row(s, st, now, silent_after));
    if (st)
        s->d->done(st);
    release(s, sl);
    if (r != OC_SQL_DONE) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static void store_close(struct oc_store *base)
{
    struct sqlstore *s = (struct sqlstore *)base;
    for (int i = 0; i < s->n; i++) {
        if (s->pool[i].c)
            s->d->disconnect(s->pool[i].c);
        pthread_mutex_destroy(&s->pool[i].lock);
    }
    pthread_mutex_destroy(&s->next_lock);
    free(s->pool);
    free(s);
}

/* ---- for the store's other parts (oc_sqlstore_int.h) ---- */

int oc_sqls_tz(struct oc_store *s)
{
    return ((struct sqlstore *)s)->tz_offset_min;
}

char *oc_sqls_plate_types(struct oc_store *s)
{
    return ((struct sqlstore *)s)->plate_types;
}

const struct oc_sql_dialect *oc_sqls_dialect(struct oc_store *s)
{
    return ((struct sqlstore *)s)->d;
}

struct oc_sqls_slot *oc_sqls_acquire(struct oc_store *s)
{
    return acquire((struct sqlstore *)s);
}

void oc_sqls_release(struct oc_store *s, struct oc_sqls_slot *c)
{
    release((struct sqlstore *)s, c);
}

struct oc_sqlst *oc_sqls_start(struct oc_store *s, struct oc_sqlconn *c, const char *sql,
                               int sql_is_static, const struct oc_sqls_param *p, int n)
{
    return start((struct sqlstore *)s, c, sql, sql_is_static, p, n);
}

oc_err_t oc_sqls_run(struct oc_store *s, struct oc_sqlconn *c, const char *sql,
                     const struct oc_sqls_param *p, int n, int64_t *changes)
{
    return run((struct sqlstore *)s, c, sql, p, n, changes);
}

enum oc_sql_step oc_sqls_first_row(struct oc_store *s, struct oc_sqlconn *c, const char *sql,
                                   const struct oc_sqls_param *p, int n,
                                   const struct oc_sqls_out *o, int no)
{
    return first_row((struct sqlstore *)s, c, sql, p, n, o, no);
}

oc_err_t oc_sqls_finish(struct oc_store *s, struct oc_sqlconn *c, oc_err_t e)
{
    return finish((struct sqlstore *)s, c, e);
}

oc_err_t oc_sqls_follow_tz(struct oc_store *base, const char *key, const char *set_tz,
                           int tz_offset_min, const struct oc_sqls_recount *r, size_t n)
{
    struct sqlstore *s = (struct sqlstore *)base;
    const struct param tz[] = {pi((int64_t)tz_offset_min * 60000)};
    const struct param set[] = {pi(tz_offset_min)};
    struct slot *sl = acquire(s);
    oc_err_t e = s->d->begin(sl->c, key);
    int64_t changed = 0;
    if (e == OC_OK)
        e = run(s, sl->c, set_tz, set, 1, &changed);
    for (size_t i = 0; e == OC_OK && changed && i < n; i++)
        e = run(s, sl->c, r[i].sql, tz, r[i].uses_tz ? 1 : 0, NULL);
    e = finish(s, sl->c, e);
    release(s, sl);
    return e;
}

oc_err_t oc_sqls_rows(struct oc_store *s, const char *sql, int sql_is_static,
                      const struct oc_sqls_param *p, int n, oc_sqls_row_fn row, void *arg)
{
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    struct oc_sqlst *st = oc_sqls_start(s, sl->c, sql, sql_is_static, p, n);
    enum oc_sql_step r = OC_SQL_ERROR;
    while (st && (r = d->step(st)) == OC_SQL_ROW)
        row(arg, d, st);
    if (st)
        d->done(st);
    oc_sqls_release(s, sl);
    return r == OC_SQL_DONE ? OC_OK : OC_EIO;
}

struct json_rows {
    cJSON *arr;
    oc_sqls_json_fn fn;
};

static void json_row(void *arg, const struct oc_sql_dialect *d, struct oc_sqlst *st)
{
    struct json_rows *j = arg;
    cJSON_AddItemToArray(j->arr, j->fn(d, st));
}

cJSON *oc_sqls_json_rows(struct oc_store *s, const char *sql, int sql_is_static,
                         const struct oc_sqls_param *p, int n, const char *key, oc_sqls_json_fn row)
{
    cJSON *out = cJSON_CreateObject();
    struct json_rows j = {.arr = cJSON_AddArrayToObject(out, key), .fn = row};
    if (!j.arr || oc_sqls_rows(s, sql, sql_is_static, p, n, json_row, &j) != OC_OK) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static const struct oc_store_ops sqlstore_ops = {.close = store_close,
                                                 .put_tallies = store_put_tallies,
                                                 .put_violations = store_put_violations,
                                                 .evidence_expected = store_evidence_expected,
                                                 .evidence_stored = store_evidence_stored,
                                                 .public_expected = store_public_expected,
                                                 .public_stored = store_public_stored,
                                                 .publics_before = store_publics_before,
                                                 .public_users = store_public_users,
                                                 .public_expire = store_public_expire,
                                                 .counts = store_counts,
                                                 .boxes = store_boxes,
                                                 OC_SQLPEOPLE_OPS};

/* The day grains (per camera, per road and unit, per hour of day) are cut
 * at the city's midnight. When the store's were cut at another offset (or
 * at one unknown: a store from before tally_tz), they are counted again
 * from the finest grain, which is kept in the box's own UTC buckets, so a
 * change of tz_offset_min never mixes two kinds of day. */
static oc_err_t day_grains_tz(struct sqlstore *s, int tz_offset_min)
{
#define DAY_OF OC_SQLS_DAY_OF
    // clang-format off
    static const struct oc_sqls_recount fill[] = {
        {"DELETE FROM tallies_day", 0},
        {"DELETE FROM tallies_day_road", 0},
        {"DELETE FROM tallies_day_hod", 0},
        {"INSERT INTO tallies_day(bucket, box, camera, type, count, road, unit)"
         " SELECT " DAY_OF("bucket") ", box, camera, type, SUM(count), MAX(road), MAX(unit)"
         " FROM tallies GROUP BY 1, box, camera, type", 1},
        {"INSERT INTO tallies_day_road(bucket, road, unit, type, count)"
         " SELECT " DAY_OF("bucket") ", COALESCE(road,''), COALESCE(unit,''), type, SUM(count)"
         " FROM tallies GROUP BY 1, 2, 3, 4", 1},
        {"INSERT INTO tallies_day_hod(bucket, hour_of_day, type, count)"
         " SELECT " DAY_OF("bucket") ", (bucket - " DAY_OF("bucket") ") / 3600000, type,"
         " SUM(count) FROM tallies GROUP BY 1, 2, 3", 1},
    };
    // clang-format on
#undef DAY_OF
    return oc_sqls_follow_tz(&s->base, "ordercam-tally-tz",
                             "UPDATE tally_tz SET tz_offset_min=?1 WHERE tz_offset_min IS NULL"
                             " OR tz_offset_min<>?1",
                             tz_offset_min, fill, sizeof fill / sizeof *fill);
}

struct oc_store *oc_sqlstore_open(const struct oc_sql_dialect *d, const char *target,
                                  int connections, int tz_offset_min, char *err, size_t errlen)
{
    struct sqlstore *s = calloc(1, sizeof *s);
    int n = connections < 1 ? 1 : connections;
    struct slot *pool = s ? calloc((size_t)n, sizeof *pool) : NULL;
    if (!pool) {
        snprintf(err, errlen, "out of memory");
        free(s);
        return NULL;
    }
    s->ops_copy = sqlstore_ops;
    s->ops_copy.name = d->name;
    s->base.ops = &s->ops_copy;
    s->d = d;
    s->tz_offset_min = tz_offset_min;
    s->pool = pool;
    pthread_mutex_init(&s->next_lock, NULL);
    for (int i = 0; i < n; i++) {
        pthread_mutex_init(&pool[i].lock, NULL);
        s->n = i + 1;
        pool[i].c = d->connect(target, i == 0, err, errlen);
        if (!pool[i].c) {
            store_close(&s->base);
            return NULL;
        }
    }
    if (day_grains_tz(s, tz_offset_min) != OC_OK) {
        snprintf(err, errlen, "cannot count the tallies' day grains by the city's offset");
        store_close(&s->base);
        return NULL;
    }
    if (oc_sqlp_review_tz(&s->base, tz_offset_min) != OC_OK) {
        snprintf(err, errlen, "cannot set up the review status counts");
        store_close(&s->base);
        return NULL;
    }
    return &s->base;
}
