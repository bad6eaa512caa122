/* Users, sessions, the review queue and the audit log in the SQL store
 * (oc_sqlpeople.h), over the same dialect interface and helpers as
 * oc_sqlstore.c. Every value is a bound parameter. */
#include "oc_sqlpeople.h"
#include "oc_sqlstore_int.h"
#include "oc_report.h"
#include "oc_store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T(x) oc_sqls_t(x)
#define I(x) oc_sqls_i(x)
#define SESSIONS_PER_USER 64
#define STATS_MAX_ROWS 100000 /* camera x type x status x reason groups read at most */

/* Writers of the queue (leases and decisions) run one after another: a
 * lease checked is a lease held. */
#define REVIEW_KEY "ordercam-review"

static int64_t col_int(struct oc_store *s, struct oc_sqlst *st, int col)
{
    return oc_sqls_dialect(s)->col_int(st, col);
}

static const char *col_text(struct oc_store *s, struct oc_sqlst *st, int col)
{
    return oc_sqls_dialect(s)->col_text(st, col);
}

/* ---- users ---- */

oc_err_t oc_sqlp_user_add(struct oc_store *s, const struct oc_user *u, int64_t now)
{
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    const struct oc_sqls_param p[] = {T(u->name), T(oc_user_role_name(u->role)), T(u->pwhash),
                                      T(u->locale[0] ? u->locale : NULL), I(now)};
    int64_t changes = 0;
    oc_err_t e = oc_sqls_run(s, sl->c,
                             "INSERT INTO users(name, role, pwhash, disabled, locale, created,"
                             " changed) VALUES(?1, ?2, ?3, 0, ?4, ?5, ?5)"
                             " ON CONFLICT(name) DO NOTHING",
                             p, 5, &changes);
    oc_sqls_release(s, sl);
    return e != OC_OK ? e : changes ? OC_OK : OC_EINVAL;
}

static void user_from_row(struct oc_store *s, struct oc_sqlst *st, struct oc_user *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", col_text(s, st, 0));
    u->role = oc_user_role_parse(col_text(s, st, 1));
    u->disabled = col_int(s, st, 2) != 0;
    snprintf(u->locale, sizeof u->locale, "%s", col_text(s, st, 3));
    snprintf(u->pwhash, sizeof u->pwhash, "%s", col_text(s, st, 4));
}

/* The first row of a query for (name, role, disabled, locale, pwhash). */
static oc_err_t user_query(struct oc_store *s, const char *sql, const struct oc_sqls_param *p,
                           int n, struct oc_user *u)
{
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    struct oc_sqlst *st = oc_sqls_start(s, sl->c, sql, 1, p, n);
    enum oc_sql_step r = st ? oc_sqls_dialect(s)->step(st) : OC_SQL_ERROR;
    if (r == OC_SQL_ROW)
        user_from_row(s, st, u);
    if (st)
        oc_sqls_dialect(s)->done(st);
    oc_sqls_release(s, sl);
    return r == OC_SQL_ROW ? OC_OK : r == OC_SQL_DONE ? OC_ENOTFOUND : OC_EIO;
}

oc_err_t oc_sqlp_user_get(struct oc_store *s, const char *name, struct oc_user *u)
{
    const struct oc_sqls_param p[] = {T(name)};
    return user_query(s,
                      "SELECT name, role, disabled, COALESCE(locale,''), pwhash FROM users"
                      " WHERE name=?1",
                      p, 1, u);
}

oc_err_t oc_sqlp_user_set(struct oc_store *s, const char *name, const char *pwhash, int disabled,
                          int role, const char *locale, int64_t now)
{
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    const struct oc_sqls_param p[] = {T(name),     T(pwhash),
                                      I(disabled), T(role > 0 ? oc_user_role_name(role) : NULL),
                                      T(locale),   I(now)};
    int64_t changes = 0;
    oc_err_t e = oc_sqls_dialect(s)->begin(sl->c, NULL);
    if (e == OC_OK)
        e = oc_sqls_run(s, sl->c,
                        "UPDATE users SET pwhash=COALESCE(?2, pwhash),"
                        " disabled=CASE WHEN ?3 < 0 THEN disabled ELSE ?3 END,"
                        " role=COALESCE(?4, role), locale=COALESCE(?5, locale), changed=?6"
                        " WHERE name=?1",
                        p, 6, &changes);
    if (e == OC_OK && changes == 0)
        e = OC_ENOTFOUND;
    /* a new password or a disabled account ends every session at once */
    if (e == OC_OK && (pwhash || disabled == 1))
        e = oc_sqls_run(s, sl->c, "DELETE FROM sessions WHERE name=?1", p, 1, NULL);
    e = oc_sqls_finish(s, sl->c, e);
    oc_sqls_release(s, sl);
    return e;
}

static cJSON *user_json(const struct oc_sql_dialect *d, struct oc_sqlst *st)
{
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "name", d->col_text(st, 0));
    cJSON_AddStringToObject(u, "role", d->col_text(st, 1));
    cJSON_AddBoolToObject(u, "disabled", d->col_int(st, 2) != 0);
    if (*d->col_text(st, 3))
        cJSON_AddStringToObject(u, "locale", d->col_text(st, 3));
    else
        cJSON_AddNullToObject(u, "locale");
    cJSON_AddNumberToObject(u, "created", (double)d->col_int(st, 4));
    cJSON_AddNumberToObject(u, "changed", (double)d->col_int(st, 5));
    return u;
}

cJSON *oc_sqlp_users(struct oc_store *s)
{
    return oc_sqls_json_rows(s,
                             "SELECT name, role, disabled, COALESCE(locale,''),"
                             " created, changed FROM users ORDER BY name",
                             1, NULL, 0, "users", user_json);
}

/* ---- sessions ---- */

oc_err_t oc_sqlp_session_put(struct oc_store *s, const char *hash, const char *name,
                             int64_t expires, int64_t now)
{
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    const struct oc_sqls_param p[] = {T(name), I(now), T(hash), I(expires)};
    int64_t n = 0;
    const struct oc_sqls_out o[] = {{NULL, 0, &n}};
    oc_err_t e = oc_sqls_dialect(s)->begin(sl->c, NULL);
    if (e == OC_OK)
        e = oc_sqls_run(s, sl->c, "DELETE FROM sessions WHERE expires<=?2", p, 2, NULL);
    if (e == OC_OK && oc_sqls_first_row(s, sl->c, "SELECT COUNT(*) FROM sessions WHERE name=?1", p,
                                        1, o, 1) == OC_SQL_ERROR)
        e = OC_EIO;
    /* a user's live sessions are bounded: the oldest goes first */
    if (e == OC_OK && n >= SESSIONS_PER_USER)
        e = oc_sqls_run(s, sl->c,
                        "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions"
                        " WHERE name=?1 ORDER BY expires LIMIT 1)",
                        p, 1, NULL);
    if (e == OC_OK)
        e = oc_sqls_run(s, sl->c, "INSERT INTO sessions(hash, name, expires) VALUES(?3, ?1, ?4)", p,
                        4, NULL);
    e = oc_sqls_finish(s, sl->c, e);
    oc_sqls_release(s, sl);
    return e;
}

oc_err_t oc_sqlp_session_user(struct oc_store *s, const char *hash, int64_t now, struct oc_user *u)
{
    const struct oc_sqls_param p[] = {T(hash), I(now)};
    return user_query(s,
                      "SELECT u.name, u.role, u.disabled, COALESCE(u.locale,''), u.pwhash"
                      " FROM sessions s JOIN users u ON u.name=s.name"
                      " WHERE s.hash=?1 AND s.expires>?2 AND u.disabled=0",
                      p, 2, u);
}

oc_err_t oc_sqlp_session_end(struct oc_store *s, const char *hash)
{
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    const struct oc_sqls_param p[] = {T(hash)};
    oc_err_t e = oc_sqls_run(s, sl->c, "DELETE FROM sessions WHERE hash=?1", p, 1, NULL);
    oc_sqls_release(s, sl);
    return e;
}

/* ---- audit ---- */

oc_err_t oc_sqlp_audit(struct oc_store *s, const struct oc_audit_in *a)
{
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    const struct oc_sqls_param p[] = {I(a->ts),     T(a->actor),  T(a->role ? a->role : ""),
                                      T(a->action), T(a->target), T(a->detail),
                                      T(a->addr)};
    oc_err_t e = oc_sqls_run(s, sl->c,
                             "INSERT INTO audit(ts, actor, role, action, target, detail, addr)"
                             " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                             p, 7, NULL);
    oc_sqls_release(s, sl);
    return e;
}

static void add_text_or_null(cJSON *o, const char *k, struct oc_store *s, struct oc_sqlst *st,
                             int col)
{
    if (oc_sqls_dialect(s)->is_null(st, col))
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddStringToObject(o, k, col_text(s, st, col));
}

cJSON *oc_sqlp_audit_read(struct oc_store *s, int64_t from, int64_t to, int64_t before, int limit)
{
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    const struct oc_sqls_param p[] = {I(from), I(to ? to : INT64_MAX), I(before), I(limit + 1)};
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    struct oc_sqlst *st = oc_sqls_start(s, sl->c,
                                        "SELECT seq, ts, actor, role, action, target, detail, addr"
                                        " FROM audit WHERE ts>=?1 AND ts<?2"
                                        " AND (?3=0 OR seq<?3) ORDER BY seq DESC LIMIT ?4",
                                        1, p, 4);
    cJSON *out = st ? cJSON_CreateObject() : NULL;
    cJSON *arr = cJSON_AddArrayToObject(out, "audit");
    enum oc_sql_step r = OC_SQL_ERROR;
    int n = 0;
    int64_t last = 0;
    static const char *const keys[] = {"actor", "role", "action", "target", "detail", "addr"};
    while (st && (r = d->step(st)) == OC_SQL_ROW && n < limit) {
        cJSON *a = cJSON_CreateObject();
        last = d->col_int(st, 0);
        cJSON_AddNumberToObject(a, "seq", (double)last);
        cJSON_AddNumberToObject(a, "ts", (double)d->col_int(st, 1));
        for (int k = 0; k < 6; k++)
            add_text_or_null(a, keys[k], s, st, k + 2);
        cJSON_AddItemToArray(arr, a);
        n++;
    }
    if (out && r == OC_SQL_ROW)
        cJSON_AddNumberToObject(out, "next", (double)last);
    else if (out)
        cJSON_AddNullToObject(out, "next");
    if (st)
        d->done(st);
    oc_sqls_release(s, sl);
    if (r == OC_SQL_ERROR) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* ---- violations with their review state ---- */

#define VROW_COLS                                                                                  \
    "record, id, ts, evidence_path, status, reason, note, reviewer, COALESCE(decided, 0),"         \
    " lease_until, evidence_expired, public_path"

static void vrow_give(struct oc_store *s, struct oc_sqlst *st, oc_store_vrow_fn fn, void *arg)
{
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    struct oc_store_vrow r = {
        .record = d->col_text(st, 0),
        .id = d->col_text(st, 1),
        .ts = d->col_int(st, 2),
        .has_evidence = !d->is_null(st, 3),
        .status = d->col_text(st, 4),
        .reason = d->is_null(st, 5) ? NULL : d->col_text(st, 5),
        .note = d->is_null(st, 6) ? NULL : d->col_text(st, 6),
        .reviewer = d->is_null(st, 7) ? NULL : d->col_text(st, 7),
        .decided = d->col_int(st, 8),
        .lease_until = d->col_int(st, 9),
        .evidence_expired = d->col_int(st, 10) != 0,
        .has_public = !d->is_null(st, 11),
    };
    fn(arg, &r);
}

oc_err_t oc_sqlp_vrows(struct oc_store *s, const struct oc_store_filter *f, int limit,
                       int64_t before_ts, const char *before_id, oc_store_vrow_fn fn, void *arg,
                       int *more)
{
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    char sql[1024] = "SELECT " VROW_COLS " FROM violations";
    int param = 1;
    oc_sql_filter(sql, sizeof sql, f, "ts", &param);
    struct oc_sqls_param p[12];
    int np = oc_sqls_filter_params(f, p);
    size_t n = strlen(sql);
    if (before_id) {
        n += (size_t)snprintf(sql + n, sizeof sql - n, " AND (ts<?%d OR (ts=?%d AND id<?%d))",
                              param, param, param + 1);
        param += 2;
        p[np++] = I(before_ts);
        p[np++] = T(before_id);
    }
    snprintf(sql + n, sizeof sql - n, " ORDER BY ts DESC, id DESC LIMIT ?%d", param);
    p[np++] = I(limit + 1);
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    struct oc_sqlst *st = oc_sqls_start(s, sl->c, sql, 0, p, np);
    enum oc_sql_step r = OC_SQL_ERROR;
    int count = 0;
    while (st && (r = d->step(st)) == OC_SQL_ROW && count < limit) {
        vrow_give(s, st, fn, arg);
        count++;
    }
    *more = r == OC_SQL_ROW;
    if (st)
        d->done(st);
    oc_sqls_release(s, sl);
    return r == OC_SQL_ERROR ? OC_EIO : OC_OK;
}

/* ---- the review queue ---- */

/* The id of the first pending violation matching f under cond (SQL whose
 * placeholders follow the filter's, given as p2), oldest first. */
static enum oc_sql_step queue_pick(struct oc_store *s, struct oc_sqlconn *c,
                                   const struct oc_store_filter *f, const char *cond,
                                   const struct oc_sqls_param *p2, int n2, char *id, size_t idlen)
{
    char sql[1200] = "SELECT id FROM violations";
    int param = 1;
    oc_sql_filter(sql, sizeof sql, f, "ts", &param);
    struct oc_sqls_param p[16];
    int np = oc_sqls_filter_params(f, p);
    size_t n = strlen(sql);
    /* cond names its parameters ?A and ?B: numbered after the filter's */
    n += (size_t)snprintf(sql + n, sizeof sql - n, " AND status='pending' AND ");
    for (const char *q = cond; *q && n + 8 < sizeof sql; q++) {
        if (q[0] == '?' && (q[1] == 'A' || q[1] == 'B')) {
            n += (size_t)snprintf(sql + n, sizeof sql - n, "?%d", param + (q[1] - 'A'));
            q++;
        } else {
            sql[n++] = *q;
            sql[n] = '\0';
        }
    }
    snprintf(sql + n, sizeof sql - n, " ORDER BY ts, id LIMIT 1");
    for (int i = 0; i < n2; i++)
        p[np++] = p2[i];
    struct oc_sqlst *st = oc_sqls_start(s, c, sql, 0, p, np);
    enum oc_sql_step r = st ? oc_sqls_dialect(s)->step(st) : OC_SQL_ERROR;
    if (r == OC_SQL_ROW)
        snprintf(id, idlen, "%s", col_text(s, st, 0));
    if (st)
        oc_sqls_dialect(s)->done(st);
    return r;
}

oc_err_t oc_sqlp_review_next(struct oc_store *s, const char *user, const struct oc_store_filter *f,
                             int64_t now, int64_t lease_ms, oc_store_vrow_fn fn, void *arg)
{
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    struct oc_store_filter pending = *f;
    pending.status = NULL; /* the queue adds its own */
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    char id[600] = "";
    const struct oc_sqls_param who[] = {T(user), I(now)};
    oc_err_t e = d->begin(sl->c, REVIEW_KEY);
    /* the one this reviewer holds already, else the oldest free one that
     * they did not skip */
    enum oc_sql_step r = OC_SQL_ERROR;
    if (e == OC_OK)
        r = queue_pick(s, sl->c, &pending, "lease_user=?A AND lease_until>?B", who, 2, id,
                       sizeof id);
    if (r == OC_SQL_DONE)
        r = queue_pick(s, sl->c, &pending,
                       "lease_until<=?B AND NOT EXISTS (SELECT 1 FROM review_skips k"
                       " WHERE k.id=violations.id AND k.name=?A)",
                       who, 2, id, sizeof id);
    if (e == OC_OK && r == OC_SQL_ERROR)
        e = OC_EIO;
    const struct oc_sqls_param p[] = {T(id), T(user), I(now + lease_ms)};
    if (e == OC_OK && r == OC_SQL_ROW)
        e = oc_sqls_run(s, sl->c, "UPDATE violations SET lease_user=?2, lease_until=?3 WHERE id=?1",
                        p, 3, NULL);
    e = oc_sqls_finish(s, sl->c, e);
    if (e == OC_OK && r == OC_SQL_ROW) {
        struct oc_sqlst *st =
            oc_sqls_start(s, sl->c, "SELECT " VROW_COLS " FROM violations WHERE id=?1", 1, p, 1);
        enum oc_sql_step r2 = st ? d->step(st) : OC_SQL_ERROR;
        if (r2 == OC_SQL_ROW)
            vrow_give(s, st, fn, arg);
        else
            e = OC_EIO;
        if (st)
            d->done(st);
    }
    oc_sqls_release(s, sl);
    return e != OC_OK ? e : r == OC_SQL_ROW ? OC_OK : OC_ENOTFOUND;
}

/* Decides a violation under the queue's lock (*out says how). */
static oc_err_t decide_locked(struct oc_store *s, struct oc_sqlconn *c, const char *id,
                              const char *user, const char *decision, const char *reason,
                              const char *note, int64_t now, enum oc_decide *out)
{
    char status[32] = "", reviewer[128] = "", holder[128] = "", old_reason[64] = "";
    int64_t until = 0;
    const struct oc_sqls_param key[] = {T(id)};
    const struct oc_sqls_out o[] = {{status, sizeof status, NULL},
                                    {reviewer, sizeof reviewer, NULL},
                                    {holder, sizeof holder, NULL},
                                    {NULL, 0, &until},
                                    {old_reason, sizeof old_reason, NULL}};
    enum oc_sql_step r = oc_sqls_first_row(s, c,
                                           "SELECT status, COALESCE(reviewer,''),"
                                           " COALESCE(lease_user,''), lease_until,"
                                           " COALESCE(reason,'') FROM violations WHERE id=?1",
                                           key, 1, o, 5);
    if (r != OC_SQL_ROW) {
        *out = OC_DECIDE_NOTFOUND;
        return r == OC_SQL_DONE ? OC_OK : OC_EIO;
    }
    int skip = strcmp(decision, "skip") == 0;
    const char *want = strcmp(decision, "confirm") == 0 ? "confirmed" : "rejected";
    if (strcmp(status, "pending") != 0) {
        int same = !skip && strcmp(status, want) == 0 && strcmp(reviewer, user) == 0 &&
                   strcmp(old_reason, reason ? reason : "") == 0;
        *out = same ? OC_DECIDE_SAME : OC_DECIDE_CONFLICT;
        return OC_OK;
    }
    if (until > now && holder[0] && strcmp(holder, user) != 0) {
        *out = OC_DECIDE_LEASED;
        return OC_OK;
    }
    *out = OC_DECIDE_OK;
    const struct oc_sqls_param p[] = {T(id), T(user), T(want), T(reason), T(note), I(now)};
    if (skip) {
        oc_err_t e = oc_sqls_run(s, c,
                                 "INSERT INTO review_skips(id, name) VALUES(?1, ?2)"
                                 " ON CONFLICT(id, name) DO NOTHING",
                                 p, 2, NULL);
        return e != OC_OK ? e
                          : oc_sqls_run(s, c,
                                        "UPDATE violations SET lease_user=NULL, lease_until=0"
                                        " WHERE id=?1 AND lease_user=?2",
                                        p, 2, NULL);
    }
    return oc_sqls_run(s, c,
                       "UPDATE violations SET status=?3, reason=?4, note=?5, reviewer=?2,"
                       " decided=?6, lease_user=NULL, lease_until=0"
                       " WHERE id=?1 AND status='pending'",
                       p, 6, NULL);
}

oc_err_t oc_sqlp_review_decide(struct oc_store *s, const char *id, const char *user,
                               const char *decision, const char *reason, const char *note,
                               int64_t now, enum oc_decide *out)
{
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    oc_err_t e = oc_sqls_dialect(s)->begin(sl->c, REVIEW_KEY);
    if (e == OC_OK)
        e = decide_locked(s, sl->c, id, user, decision, reason, note, now, out);
    e = oc_sqls_finish(s, sl->c, e);
    oc_sqls_release(s, sl);
    return e;
}

/* ---- review statistics ---- */

/* The row of (camera, type) in arr, made when new. */
static cJSON *stats_row(cJSON *arr, const char *camera, const char *type)
{
    cJSON *last = cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1);
    if (last && strcmp(cJSON_GetObjectItem(last, "camera")->valuestring, camera) == 0 &&
        strcmp(cJSON_GetObjectItem(last, "type")->valuestring, type) == 0)
        return last;
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "camera", camera);
    cJSON_AddStringToObject(row, "type", type);
    cJSON_AddNumberToObject(row, "total", 0);
    cJSON_AddNumberToObject(row, "pending", 0);
    cJSON_AddNumberToObject(row, "confirmed", 0);
    cJSON_AddNumberToObject(row, "rejected", 0);
    cJSON_AddObjectToObject(row, "reasons");
    cJSON_AddItemToArray(arr, row);
    return row;
}

static void add_to(cJSON *o, const char *k, double n)
{
    cJSON *v = cJSON_GetObjectItem(o, k);
    if (v)
        cJSON_SetNumberValue(v, v->valuedouble + n);
    else
        cJSON_AddNumberToObject(o, k, n);
}

/* Each row's rejection rate (of decided ones; null before any decision)
 * and its reasons as a list, most frequent first. */
static void stats_finish(cJSON *arr)
{
    cJSON *row;
    cJSON_ArrayForEach(row, arr)
    {
        double c = cJSON_GetObjectItem(row, "confirmed")->valuedouble;
        double r = cJSON_GetObjectItem(row, "rejected")->valuedouble;
        if (c + r > 0)
            cJSON_AddNumberToObject(row, "rejection_rate", r / (c + r));
        else
            cJSON_AddNullToObject(row, "rejection_rate");
        cJSON *reasons = cJSON_DetachItemFromObject(row, "reasons");
        cJSON *list = cJSON_AddArrayToObject(row, "top_reasons");
        while (reasons && reasons->child) {
            cJSON *best = reasons->child;
            for (cJSON *it = best->next; it; it = it->next)
                if (it->valuedouble > best->valuedouble)
                    best = it;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "reason", best->string);
            cJSON_AddNumberToObject(e, "count", best->valuedouble);
            cJSON_AddItemToArray(list, e);
            cJSON_DeleteItemFromObject(reasons, best->string);
        }
        cJSON_Delete(reasons);
    }
}

struct stats {
    cJSON *arr, *all;
};

static void stats_add(void *arg, const struct oc_sql_dialect *d, struct oc_sqlst *st)
{
    struct stats *x = arg;
    cJSON *row = stats_row(x->arr, d->col_text(st, 0), d->col_text(st, 1));
    const char *status = d->col_text(st, 2), *reason = d->col_text(st, 3);
    double k = (double)d->col_int(st, 4);
    add_to(row, "total", k);
    add_to(x->all, "total", k);
    if (strcmp(status, "pending") == 0 || strcmp(status, "confirmed") == 0 ||
        strcmp(status, "rejected") == 0) {
        add_to(row, status, k);
        add_to(x->all, status, k);
    }
    if (strcmp(status, "rejected") == 0 && reason[0])
        add_to(cJSON_GetObjectItem(row, "reasons"), reason, k);
}

cJSON *oc_sqlp_review_stats(struct oc_store *s, const struct oc_store_filter *f)
{
    char sql[1024] = "SELECT camera, type, status, COALESCE(reason,''), COUNT(*) FROM violations";
    struct oc_store_counts_q q = {.f = *f, .tz_offset_min = oc_sqls_tz(s)};
    enum oc_sql_grain g = oc_sql_pick_grain(q.tz_offset_min, &q);
    int param = 1;
    if (g == OC_G_DAY || g == OC_G_DAY_ROAD) /* whole city days: the kept counts */
        snprintf(sql, sizeof sql,
                 "SELECT camera, type, status, reason, SUM(count) FROM review_counts");
    oc_sql_filter(sql, sizeof sql, f, g == OC_G_DAY || g == OC_G_DAY_ROAD ? "bucket" : "ts",
                  &param);
    size_t n = strlen(sql);
    snprintf(sql + n, sizeof sql - n,
             " GROUP BY camera, type, status, reason ORDER BY camera, type LIMIT %d",
             STATS_MAX_ROWS);
    struct oc_sqls_param p[12];
    int np = oc_sqls_filter_params(f, p);
    cJSON *out = cJSON_CreateObject();
    struct stats x = {cJSON_AddArrayToObject(out, "rows"), cJSON_AddObjectToObject(out, "all")};
    static const char *const sums[] = {"total", "pending", "confirmed", "rejected"};
    for (int k = 0; x.all && k < 4; k++)
        cJSON_AddNumberToObject(x.all, sums[k], 0);
    if (!x.arr || !x.all || oc_sqls_rows(s, sql, 0, p, np, stats_add, &x) != OC_OK) {
        cJSON_Delete(out);
        return NULL;
    }
    stats_finish(x.arr);
    return out;
}

struct groups {
    cJSON *arr;
    const char *key;
};

static void groups_add(void *arg, const struct oc_sql_dialect *d, struct oc_sqlst *st)
{
    struct groups *g = arg;
    cJSON *o = cJSON_CreateObject();
    if (d->is_null(st, 0))
        cJSON_AddNullToObject(o, g->key);
    else
        cJSON_AddStringToObject(o, g->key, d->col_text(st, 0));
    cJSON_AddStringToObject(o, "camera", d->col_text(st, 1));
    cJSON_AddStringToObject(o, "status", d->col_text(st, 2));
    cJSON_AddNumberToObject(o, "count", (double)d->col_int(st, 3));
    cJSON_AddItemToArray(g->arr, o);
}

cJSON *oc_sqlp_review_groups(struct oc_store *s, int64_t from, int64_t to, enum oc_store_dim dim)
{
    struct oc_store_counts_q q = {.f = {.from = from, .to = to}, .tz_offset_min = oc_sqls_tz(s)};
    enum oc_sql_grain g = oc_sql_pick_grain(q.tz_offset_min, &q);
    const char *col = dim == OC_DIM_UNIT ? "unit" : "road";
    char sql[400];
    if (g == OC_G_DAY || g == OC_G_DAY_ROAD) /* whole city days: the kept counts */
        snprintf(sql, sizeof sql,
                 "SELECT NULLIF(%s,''), camera, status, SUM(count) FROM review_counts"
                 " WHERE bucket>=?1 AND bucket<?2 GROUP BY 1, 2, 3",
                 col);
    else
        snprintf(sql, sizeof sql,
                 "SELECT %s, camera, status, COUNT(*) FROM violations"
                 " WHERE ts>=?1 AND ts<?2 GROUP BY 1, 2, 3",
                 col);
    const struct oc_sqls_param p[] = {I(from), I(to)};
    cJSON *out = cJSON_CreateObject();
    struct groups x = {cJSON_AddArrayToObject(out, "rows"), col};
    if (!x.arr || oc_sqls_rows(s, sql, 0, p, 2, groups_add, &x) != OC_OK) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* ---- reports ---- */

static cJSON *plate_json(const struct oc_sql_dialect *d, struct oc_sqlst *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "plate", d->col_text(st, 0));
    cJSON_AddNumberToObject(o, "count", (double)d->col_int(st, 1));
    cJSON_AddNumberToObject(o, "first", (double)d->col_int(st, 2));
    cJSON_AddNumberToObject(o, "last", (double)d->col_int(st, 3));
    return o;
}

/* ---- repeat plates ----
 * plate_counts keeps, per week and per month of the city's days (kind 0
 * and 1, start: the period's first ms), each plate's count, first and
 * last ts among the records of the enforcement types (plate_cfg.types)
 * that were not rejected — what the raw query below counts. Triggers keep
 * it as records arrive and as reviewers decide (a rejection takes the
 * record out; its period's first or last is found again through the
 * index violations_plate). Retention does not lower it: like the tallies,
 * a period's repeat plates stay what was counted. */
enum { PLATE_WEEK = 0, PLATE_MONTH = 1 };

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* types sorted, each once, joined by ',' into buf; 0 when they do not fit */
static int plate_key(const char *const *types, size_t n, char *buf, size_t len)
{
    const char *v[12];
    size_t o = 0;
    if (n > 12)
        n = 12;
    memcpy(v, types, n * sizeof *v);
    qsort(v, n, sizeof *v, str_cmp);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(v[i], v[i - 1]) == 0)
            continue;
        int k = snprintf(buf + o, len - o, "%s%s", o ? "," : "", v[i]);
        if (k < 0 || (size_t)k >= len - o || strchr(v[i], ','))
            return 0;
        o += (size_t)k;
    }
    return 1;
}

/* The kind of period [from, to) is in the city's time, or -1. */
static int plate_period(int tz, int64_t from, int64_t to)
{
    int64_t f, t, prev;
    oc_report_bounds(OC_REPORT_WEEK, from, tz, &f, &t, &prev);
    if (f == from && t == to)
        return PLATE_WEEK;
    oc_report_bounds(OC_REPORT_MONTH, from, tz, &f, &t, &prev);
    return f == from && t == to ? PLATE_MONTH : -1;
}

/* Counts the plate counts again from the records (in the caller's
 * transaction), both kinds in one pass each over the violations. */
static oc_err_t plates_fill(struct oc_store *s, struct oc_sqlconn *c, const char *const *types,
                            size_t n_types)
{
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    long long z = (long long)oc_sqls_tz(s) * 60000;
    struct oc_sqls_param p[12];
    char in[160] = "", sql[1536];
    size_t n = 0;
    for (size_t i = 0; i < n_types && i < 12; i++) {
        n += (size_t)snprintf(in + n, sizeof in - n, "%s?%zu", i ? "," : "", i + 1);
        p[i] = T(types[i]);
    }
    oc_err_t e = oc_sqls_run(s, c, "DELETE FROM plate_counts", NULL, 0, NULL);
    for (int kind = 0; e == OC_OK && n_types && kind < 2; kind++) {
        char start[600];
        if (kind == PLATE_WEEK) { /* the Monday of the city day (1970-01-01 was a Thursday) */
            char day[200];
            snprintf(day, sizeof day,
                     "(((ts+%lld)-(((ts+%lld)%%86400000)+86400000)%%86400000)/86400000)", z, z);
            snprintf(start, sizeof start, "((%s-((%s+3)%%7+7)%%7)*86400000-%lld)", day, day, z);
        } else {
            snprintf(start, sizeof start, "(%s(ts+%lld)%s-%lld)", d->month_pre, z, d->month_post,
                     z);
        }
        snprintf(sql, sizeof sql,
                 "INSERT INTO plate_counts(kind, start, plate, n, first, last) SELECT %d, %s,"
                 " plate, COUNT(*), MIN(ts), MAX(ts) FROM violations WHERE plate IS NOT NULL"
                 " AND plate<>'' AND status<>'rejected' AND type IN (%s) GROUP BY 2, 3",
                 kind, start, in);
        struct oc_sqlst *st = oc_sqls_start(s, c, sql, 0, p, (int)(n_types > 12 ? 12 : n_types));
        if (!st || d->step(st) == OC_SQL_ERROR)
            e = OC_EIO;
        if (st)
            d->done(st);
    }
    return e;
}

oc_err_t oc_sqlp_plates_setup(struct oc_store *s, const char *const *types, size_t n_types)
{
    char key[OC_SQLS_PLATE_TYPES];
    if (n_types > 12)
        n_types = 12;
    if (!plate_key(types, n_types, key, sizeof key))
        return OC_EINVAL;
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    const struct oc_sqls_param p[] = {I(oc_sqls_tz(s)), T(key)};
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    int64_t changed = 0;
    oc_err_t e = d->begin(sl->c, REVIEW_KEY);
    if (e == OC_OK)
        e = oc_sqls_run(s, sl->c,
                        "UPDATE plate_cfg SET tz_offset_min=?1, types=?2 WHERE tz_offset_min IS"
                        " NULL OR types IS NULL OR tz_offset_min<>?1 OR types<>?2",
                        p, 2, &changed);
    /* new types or a new day boundary (or none yet): counted again */
    if (e == OC_OK && changed)
        e = plates_fill(s, sl->c, types, n_types);
    e = oc_sqls_finish(s, sl->c, e);
    oc_sqls_release(s, sl);
    if (e == OC_OK)
        snprintf(oc_sqls_plate_types(s), OC_SQLS_PLATE_TYPES, "%s", key);
    return e;
}

cJSON *oc_sqlp_plates(struct oc_store *s, int64_t from, int64_t to, const char *const *types,
                      size_t n_types, int limit)
{
    char key[OC_SQLS_PLATE_TYPES];
    int kind = plate_period(oc_sqls_tz(s), from, to);
    if (kind >= 0 && plate_key(types, n_types, key, sizeof key) &&
        strcmp(key, oc_sqls_plate_types(s)) == 0 && oc_sqls_plate_types(s)[0]) {
        /* a whole week or month of the kept types: the kept counts */
        const struct oc_sqls_param k[] = {I(kind), I(from), I(limit)};
        return oc_sqls_json_rows(s,
                                 "SELECT plate, n, first, last FROM plate_counts WHERE kind=?1"
                                 " AND start=?2 AND n>=2 ORDER BY n DESC, plate LIMIT ?3",
                                 1, k, 3, "plates", plate_json);
    }
    struct oc_sqls_param p[OC_SQL_MAX_PARAMS];
    char sql[1024] = "SELECT plate, COUNT(*), MIN(ts), MAX(ts) FROM violations"
                     " WHERE ts>=?1 AND ts<?2 AND plate IS NOT NULL AND plate<>''"
                     " AND status<>'rejected' AND type IN (";
    if (n_types > 12)
        n_types = 12;
    int np = 0;
    p[np++] = I(from);
    p[np++] = I(to);
    size_t n = strlen(sql);
    for (size_t i = 0; i < n_types; i++) {
        n += (size_t)snprintf(sql + n, sizeof sql - n, "%s?%d", i ? "," : "", np + 1);
        p[np++] = T(types[i]);
    }
    if (!n_types)
        n += (size_t)snprintf(sql + n, sizeof sql - n, "NULL");
    snprintf(sql + n, sizeof sql - n,
             ") GROUP BY plate HAVING COUNT(*)>=2 ORDER BY 2 DESC, 1 LIMIT ?%d", np + 1);
    p[np++] = I(limit);
    return oc_sqls_json_rows(s, sql, 0, p, np, "plates", plate_json);
}

oc_err_t oc_sqlp_report_get(struct oc_store *s, const char *key, char **body)
{
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    const struct oc_sqls_param p[] = {T(key)};
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    struct oc_sqlst *st = oc_sqls_start(s, sl->c, "SELECT body FROM reports WHERE key=?1", 1, p, 1);
    enum oc_sql_step r = st ? d->step(st) : OC_SQL_ERROR;
    *body = NULL;
    if (r == OC_SQL_ROW)
        *body = strdup(d->col_text(st, 0));
    if (st)
        d->done(st);
    oc_sqls_release(s, sl);
    if (r == OC_SQL_ROW)
        return *body ? OC_OK : OC_ENOMEM;
    return r == OC_SQL_DONE ? OC_ENOTFOUND : OC_EIO;
}

oc_err_t oc_sqlp_report_put(struct oc_store *s, const char *key, const char *body, int64_t now)
{
    const struct oc_sqls_param p[] = {T(key), T(body), I(now)};
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    oc_err_t e = oc_sqls_run(s, sl->c,
                             "INSERT INTO reports(key, body, made) VALUES(?1, ?2, ?3)"
                             " ON CONFLICT(key) DO NOTHING",
                             p, 3, NULL);
    oc_sqls_release(s, sl);
    return e;
}

/* ---- retention ---- */

oc_err_t oc_sqlp_images_before(struct oc_store *s, int64_t before, int limit, oc_store_image_fn fn,
                               void *arg)
{
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    const struct oc_sqls_param p[] = {I(before), I(limit)};
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    struct oc_sqlst *st = oc_sqls_start(s, sl->c,
                                        "SELECT id, evidence_path FROM violations WHERE ts<?1"
                                        " AND evidence_path IS NOT NULL ORDER BY ts, id LIMIT ?2",
                                        1, p, 2);
    enum oc_sql_step r = OC_SQL_ERROR;
    while (st && (r = d->step(st)) == OC_SQL_ROW)
        fn(arg, d->col_text(st, 0), d->col_text(st, 1));
    if (st)
        d->done(st);
    oc_sqls_release(s, sl);
    return r == OC_SQL_DONE ? OC_OK : OC_EIO;
}

oc_err_t oc_sqlp_image_users(struct oc_store *s, const char *path, const char *id, int64_t *n)
{
    const struct oc_sqls_param p[] = {T(path), T(id)};
    const struct oc_sqls_out o[] = {{NULL, 0, n}};
    *n = 0;
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    enum oc_sql_step r = oc_sqls_first_row(
        s, sl->c, "SELECT COUNT(*) FROM violations WHERE evidence_path=?1 AND id<>?2", p, 2, o, 1);
    oc_sqls_release(s, sl);
    return r == OC_SQL_ROW ? OC_OK : OC_EIO;
}

oc_err_t oc_sqlp_image_expire(struct oc_store *s, const char *id)
{
    const struct oc_sqls_param p[] = {T(id)};
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    oc_err_t e = oc_sqls_run(s, sl->c,
                             "UPDATE violations SET evidence_path=NULL, evidence_expired=1"
                             " WHERE id=?1",
                             p, 1, NULL);
    oc_sqls_release(s, sl);
    return e;
}

oc_err_t oc_sqlp_records_delete_before(struct oc_store *s, int64_t before, int limit,
                                       int64_t *deleted)
{
    const struct oc_sqls_param p[] = {I(before), I(limit)};
    struct oc_sqls_slot *sl = oc_sqls_acquire(s);
    const struct oc_sql_dialect *d = oc_sqls_dialect(s);
    oc_err_t e = d->begin(sl->c, NULL);
    int64_t dropped = 0;
    *deleted = 0;
    /* whole months at once where the dialect keeps them apart */
    if (e == OC_OK && d->drop_before)
        e = d->drop_before(sl->c, before, &dropped);
    if (e == OC_OK)
        e = oc_sqls_run(s, sl->c,
                        "DELETE FROM review_skips WHERE id IN (SELECT id FROM violations"
                        " WHERE ts<?1 ORDER BY ts, id LIMIT ?2)",
                        p, 2, NULL);
    if (e == OC_OK)
        e = oc_sqls_run(s, sl->c,
                        "DELETE FROM violations WHERE id IN (SELECT id FROM violations"
                        " WHERE ts<?1 ORDER BY ts, id LIMIT ?2)",
                        p, 2, deleted);
    e = oc_sqls_finish(s, sl->c, e);
    *deleted = e == OC_OK ? *deleted + dropped : 0;
    oc_sqls_release(s, sl);
    return e;
}

/* ---- status counts ---- */

oc_err_t oc_sqlp_review_tz(struct oc_store *s, int tz_offset_min)
{
    /* a new day boundary (or none yet): counted again from the records */
    // clang-format off
    static const struct oc_sqls_recount fill[] = {
        {"DELETE FROM review_counts", 0},
        {"INSERT INTO review_counts SELECT " OC_SQLS_DAY_OF("ts") ", box, camera, type,"
         " COALESCE(road,''), COALESCE(unit,''), status, COALESCE(reason,''), COUNT(*)"
         " FROM violations GROUP BY 1, 2, 3, 4, 5, 6, 7, 8", 1},
    };
    // clang-format on
    return oc_sqls_follow_tz(s, REVIEW_KEY,
                             "UPDATE review_tz SET tz_offset_min=?1 WHERE tz_offset_min IS NULL"
                             " OR tz_offset_min<>?1",
                             tz_offset_min, fill, sizeof fill / sizeof *fill);
}
