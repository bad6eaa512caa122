/* The PostgreSQL dialect of the SQL store (oc_sqlstore.h), for a central
 * that outgrows one file on one host (README, "Scale"): libpq, every
 * statement parameterised (integers as int8, texts as text), the schema
 * version in a table and migrated under an advisory lock. */
#include "oc_sqlstore.h"
#include "oc_store.h"

#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pg_type OIDs of the parameters' types */
#define OID_INT8 20
#define OID_TEXT 25

struct oc_sqlconn {
    PGconn *db;
};

/* A statement: its SQL with "$n" placeholders, its parameters (integers
 * formatted into num), and once run its result and current row. */
struct oc_sqlst {
    struct oc_sqlconn *c;
    char *sql;
    int n;
    const char *vals[OC_SQL_MAX_PARAMS];
    Oid types[OC_SQL_MAX_PARAMS];
    char num[OC_SQL_MAX_PARAMS][24];
    PGresult *r;
    int row; /* the current row + 1; 0 before the first step */
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
    /* 2: the box's revision of each finest-grain tally (0: none yet) */
    "ALTER TABLE tallies ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;",
    /* 3: people: users and their sessions, the review state of each
     * violation, a reviewer's skips, the append-only audit log */
    "CREATE TABLE users(name TEXT PRIMARY KEY, role TEXT NOT NULL, pwhash TEXT NOT NULL,"
    " disabled BIGINT NOT NULL DEFAULT 0, locale TEXT, created BIGINT NOT NULL,"
    " changed BIGINT NOT NULL);"
    "CREATE TABLE sessions(hash TEXT PRIMARY KEY, name TEXT NOT NULL, expires BIGINT NOT NULL);"
    "CREATE INDEX sessions_name ON sessions(name, expires);"
    "ALTER TABLE violations ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';"
    "ALTER TABLE violations ADD COLUMN reason TEXT;"
    "ALTER TABLE violations ADD COLUMN note TEXT;"
    "ALTER TABLE violations ADD COLUMN reviewer TEXT;"
    "ALTER TABLE violations ADD COLUMN decided BIGINT;"
    "ALTER TABLE violations ADD COLUMN lease_user TEXT;"
    "ALTER TABLE violations ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;"
    "CREATE INDEX violations_status_ts ON violations(status, ts, id);"
    "CREATE TABLE review_skips(id TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY(id, name));"
    "CREATE TABLE audit(seq BIGSERIAL PRIMARY KEY, ts BIGINT NOT NULL,"
    " actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail TEXT,"
    " addr TEXT);"
    "CREATE INDEX audit_ts ON audit(ts);"
    "CREATE FUNCTION ordercam_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION 'the audit log is append-only'; END$$;"
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit"
    " FOR EACH ROW EXECUTE FUNCTION ordercam_audit_append_only();",
    /* 4: reports: the plate of each record (for repeat plates; computed
     * from the stored record), frozen reports of past periods */
    "ALTER TABLE violations ADD COLUMN plate TEXT"
    " GENERATED ALWAYS AS ((record::json)->>'plate') STORED;"
    "CREATE TABLE reports(key TEXT PRIMARY KEY, body TEXT NOT NULL, made BIGINT NOT NULL);",
    /* 5: retention: a record whose image was deleted says so */
    "ALTER TABLE violations ADD COLUMN evidence_expired INTEGER NOT NULL DEFAULT 0;",
};

/* Runs sql (several statements allowed when there are no parameters). */
static oc_err_t cmd(PGconn *db, const char *sql, int n, const char *const *v)
{
    PGresult *r = n ? PQexecParams(db, sql, n, NULL, v, NULL, NULL, 0) : PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? OC_OK : OC_EIO;
}

static int schema_version(PGconn *db)
{
    PGresult *r = PQexec(db, "SELECT COALESCE(MAX(version), 0) FROM ordercam_schema");
    int v = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return v;
}

static int migrate(PGconn *db, char *err, size_t errlen)
{
    int want = (int)(sizeof migrations / sizeof *migrations);
    /* one central at a time migrates: an advisory lock around it (its key
     * 7220613; one box's writes use 7220614 and the box's hash) */
    if (cmd(db, "SELECT pg_advisory_lock(7220613)", 0, NULL) != OC_OK ||
        cmd(db, "CREATE TABLE IF NOT EXISTS ordercam_schema(version INTEGER NOT NULL)", 0, NULL) !=
            OC_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(db));
        return -1;
    }
    int version = schema_version(db), rc = 0;
    if (version > want) {
        snprintf(err, errlen, "database schema version %d is newer than this program (%d)", version,
                 want);
        rc = -1;
    }
    for (int v = version < 0 ? want : version; rc == 0 && v < want; v++) {
        char ver[16];
        snprintf(ver, sizeof ver, "%d", v + 1);
        const char *p[] = {ver};
        if (cmd(db, "BEGIN", 0, NULL) != OC_OK || cmd(db, migrations[v], 0, NULL) != OC_OK ||
            cmd(db, "INSERT INTO ordercam_schema(version) VALUES($1)", 1, p) != OC_OK ||
            cmd(db, "COMMIT", 0, NULL) != OC_OK) {
            snprintf(err, errlen, "migration %d: %s", v + 1, PQerrorMessage(db));
            cmd(db, "ROLLBACK", 0, NULL);
            rc = -1;
        }
    }
    if (version < 0) {
        snprintf(err, errlen, "reading the schema version: %s", PQerrorMessage(db));
        rc = -1;
    }
    cmd(db, "SELECT pg_advisory_unlock(7220613)", 0, NULL);
    return rc;
}

/* Server notices ("relation already exists, skipping") are not errors. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_disconnect(struct oc_sqlconn *c)
{
    PQfinish(c->db);
    free(c);
}

static struct oc_sqlconn *pg_connect(const char *conninfo, int first, char *err, size_t errlen)
{
    struct oc_sqlconn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->db = PQconnectdb(conninfo);
    PQsetNoticeProcessor(c->db, quiet, NULL);
    if (PQstatus(c->db) != CONNECTION_OK) {
        snprintf(err, errlen, "PostgreSQL: %s", PQerrorMessage(c->db));
        pg_disconnect(c);
        return NULL;
    }
    if (first && migrate(c->db, err, errlen) != 0) {
        pg_disconnect(c);
        return NULL;
    }
    return c;
}

/* A connection lost (server restart) is re-established on next use. */
static void pg_recover(struct oc_sqlconn *c)
{
    if (PQstatus(c->db) == CONNECTION_BAD)
        PQreset(c->db);
}

/* With a key, the transaction holds an advisory lock on the key's hash
 * until it ends: two writers of one box run one after the other. */
static oc_err_t pg_begin(struct oc_sqlconn *c, const char *serialize_key)
{
    const char *v[] = {serialize_key};
    if (cmd(c->db, "BEGIN", 0, NULL) != OC_OK)
        return OC_EIO;
    if (serialize_key &&
        cmd(c->db, "SELECT pg_advisory_xact_lock(7220614, hashtext($1))", 1, v) != OC_OK) {
        cmd(c->db, "ROLLBACK", 0, NULL);
        return OC_EIO;
    }
    return OC_OK;
}

static oc_err_t pg_commit(struct oc_sqlconn *c)
{
    return cmd(c->db, "COMMIT", 0, NULL);
}

static void pg_rollback(struct oc_sqlconn *c)
{
    cmd(c->db, "ROLLBACK", 0, NULL);
}

/* The SQL with its "?n" placeholders written "$n" (no "?" appears in the
 * store's SQL otherwise). */
static struct oc_sqlst *pg_prepare(struct oc_sqlconn *c, const char *sql, int sql_is_static)
{
    (void)sql_is_static;
    struct oc_sqlst *st = calloc(1, sizeof *st);
    char *out = st ? strdup(sql) : NULL;
    if (!out) {
        free(st);
        return NULL;
    }
    for (char *p = out; *p; p++)
        if (*p == '?' && isdigit((unsigned char)p[1]))
            *p = '$';
    st->c = c;
    st->sql = out;
    return st;
}

static void set_param(struct oc_sqlst *st, int i, const char *v, Oid type)
{
    if (i < 1 || i > OC_SQL_MAX_PARAMS)
        return;
    st->vals[i - 1] = v;
    st->types[i - 1] = type;
    if (i > st->n)
        st->n = i;
}

static void pg_bind_int(struct oc_sqlst *st, int i, int64_t v)
{
    if (i < 1 || i > OC_SQL_MAX_PARAMS)
        return;
    snprintf(st->num[i - 1], sizeof st->num[i - 1], "%" PRId64, v);
    set_param(st, i, st->num[i - 1], OID_INT8);
}

static void pg_bind_text(struct oc_sqlst *st, int i, const char *v)
{
    set_param(st, i, v, OID_TEXT);
}

/* The first step runs the statement; each step moves to the next row. */
static enum oc_sql_step pg_step(struct oc_sqlst *st)
{
    if (!st->r) {
        st->r = PQexecParams(st->c->db, st->sql, st->n, st->types, st->vals, NULL, NULL, 0);
        ExecStatusType s = PQresultStatus(st->r);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
            return OC_SQL_ERROR;
    } else if (PQresultStatus(st->r) != PGRES_COMMAND_OK &&
               PQresultStatus(st->r) != PGRES_TUPLES_OK) {
        return OC_SQL_ERROR;
    }
    if (st->row < PQntuples(st->r)) {
        st->row++;
        return OC_SQL_ROW;
    }
    return OC_SQL_DONE;
}

static int64_t pg_changes(struct oc_sqlst *st)
{
    return st->r ? strtoll(PQcmdTuples(st->r), NULL, 10) : 0;
}

static int pg_is_null(struct oc_sqlst *st, int col)
{
    return PQgetisnull(st->r, st->row - 1, col);
}

static int64_t pg_col_int(struct oc_sqlst *st, int col)
{
    return strtoll(PQgetvalue(st->r, st->row - 1, col), NULL, 10);
}

static const char *pg_col_text(struct oc_sqlst *st, int col)
{
    return PQgetvalue(st->r, st->row - 1, col);
}

static void pg_done(struct oc_sqlst *st)
{
    PQclear(st->r);
    free(st->sql);
    free(st);
}

static const struct oc_sql_dialect pg_dialect = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .recover = pg_recover,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .prepare = pg_prepare,
    .bind_int = pg_bind_int,
    .bind_text = pg_bind_text,
    .step = pg_step,
    .changes = pg_changes,
    .is_null = pg_is_null,
    .col_int = pg_col_int,
    .col_text = pg_col_text,
    .done = pg_done,
};

struct oc_store *oc_store_pg_open(const char *conninfo, int connections, int tz_offset_min,
                                  char *err, size_t errlen)
{
    return oc_sqlstore_open(&pg_dialect, conninfo, connections, tz_offset_min, err, errlen);
}
