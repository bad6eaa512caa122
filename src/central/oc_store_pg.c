/* The PostgreSQL dialect of the SQL store (oc_sqlstore.h), for a central
 * that outgrows one file on one host (README, "Scale"): libpq, every
 * statement parameterised (integers as int8, texts as text) and the static
 * ones prepared once per connection, the schema version in a table and
 * migrated under an advisory lock. Violations live in a table partitioned
 * by UTC month (docs/central.md, "Store"): a batch is inserted in one
 * statement, a month's partition is created before its first record and
 * retention drops whole months. */
#include "oc_sqlstore.h"
#include "oc_store.h"

#include <ctype.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* pg_type OIDs of the parameters' types */
#define OID_INT8 20
#define OID_TEXT 25

#define STMT_CACHE 128      /* more than the store's static statements */
#define MONTHS_PER_BATCH 32 /* distinct months asked for in one round trip */

/* A statement: its SQL with "$n" placeholders, its parameters (integers
 * formatted into num), and once run its result and current row. A cached
 * one (slot >= 0) is prepared on the server as "s<slot>" at its first run
 * (the parameter types known by then) and kept. */
struct oc_sqlst {
    struct oc_sqlconn *c;
    char *sql;
    int n;
    const char *vals[OC_SQL_MAX_PARAMS];
    Oid types[OC_SQL_MAX_PARAMS];
    char num[OC_SQL_MAX_PARAMS][24];
    PGresult *r;
    int row;  /* the current row + 1; 0 before the first step */
    int slot; /* the cache slot, -1 when not cached */
};

/* A connection and its statements, keyed by the address of their static
 * SQL text (as the SQLite store's cache). */
struct oc_sqlconn {
    PGconn *db;
    struct pg_cached {
        const char *key;
        int prepared; /* on the server, under the name "s<slot>" */
        int busy;     /* handed out and not yet done() */
        struct oc_sqlst st;
    } cache[STMT_CACHE];
    int batch_prepared; /* the batched violation insert, as "vbatch" */
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
    /* 6: violations partitioned by UTC month (named violations_YYYY_MM);
     * an id is unique across months through violation_ids; the records of
     * an unpartitioned table are copied over (in this one transaction) */
    "ALTER TABLE violations RENAME TO violations_unpartitioned;"
    "DROP INDEX violations_ts; DROP INDEX violations_camera_ts; DROP INDEX violations_type_ts;"
    "DROP INDEX violations_status_ts;"
    "CREATE TABLE violations(id TEXT NOT NULL, box TEXT NOT NULL, camera TEXT NOT NULL,"
    " type TEXT NOT NULL, ts BIGINT NOT NULL, road TEXT, unit TEXT, sha256 TEXT,"
    " evidence_path TEXT, record TEXT NOT NULL, received BIGINT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending', reason TEXT, note TEXT, reviewer TEXT,"
    " decided BIGINT, lease_user TEXT, lease_until BIGINT NOT NULL DEFAULT 0,"
    " plate TEXT GENERATED ALWAYS AS ((record::json)->>'plate') STORED,"
    " evidence_expired INTEGER NOT NULL DEFAULT 0) PARTITION BY RANGE (ts);"
    "CREATE INDEX violations_id ON violations(id);"
    "CREATE INDEX violations_ts ON violations(ts, id);"
    "CREATE INDEX violations_camera_ts ON violations(camera, ts);"
    "CREATE INDEX violations_type_ts ON violations(type, ts);"
    "CREATE INDEX violations_status_ts ON violations(status, ts, id);"
    "CREATE TABLE violation_ids(id TEXT PRIMARY KEY, ts BIGINT NOT NULL);"
    "CREATE INDEX violation_ids_ts ON violation_ids(ts);"
    /* the partition of t's month, created unless it exists; one creator
     * at a time (advisory key 7220615) */
    "CREATE FUNCTION ordercam_violations_month(t BIGINT) RETURNS void LANGUAGE plpgsql AS $$"
    " DECLARE lo timestamp := date_trunc('month', to_timestamp(t / 1000.0) AT TIME ZONE 'UTC');"
    " part text := 'violations_' || to_char(lo, 'YYYY_MM');"
    " BEGIN IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;"
    " PERFORM pg_advisory_xact_lock(7220615);"
    " IF to_regclass(part) IS NULL THEN"
    " EXECUTE format('CREATE TABLE %I PARTITION OF violations FOR VALUES FROM (%s) TO (%s)', part,"
    " (extract(epoch FROM lo) * 1000)::bigint,"
    " (extract(epoch FROM lo + interval '1 month') * 1000)::bigint);"
    " END IF; END$$;"
    /* drops the months that end at or before cut; the records they held */
    "CREATE FUNCTION ordercam_violations_drop_before(cut BIGINT) RETURNS BIGINT"
    " LANGUAGE plpgsql AS $$"
    " DECLARE p record; lo bigint; hi bigint; n bigint; total bigint := 0;"
    " BEGIN PERFORM pg_advisory_xact_lock(7220615);"
    " FOR p IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " WHERE i.inhparent = 'violations'::regclass ORDER BY c.relname LOOP"
    " lo := (extract(epoch FROM to_date(substr(p.relname, 12), 'YYYY_MM')::timestamp)"
    " * 1000)::bigint;"
    " hi := (extract(epoch FROM to_date(substr(p.relname, 12), 'YYYY_MM')::timestamp"
    " + interval '1 month') * 1000)::bigint;"
    " CONTINUE WHEN hi > cut;"
    " EXECUTE format('SELECT count(*) FROM %I', p.relname) INTO n;"
    " EXECUTE format('DELETE FROM review_skips WHERE id IN (SELECT id FROM %I)', p.relname);"
    " DELETE FROM violation_ids WHERE ts >= lo AND ts < hi;"
    " EXECUTE format('DROP TABLE %I', p.relname);"
    " total := total + n;"
    " END LOOP; RETURN total; END$$;"
    /* a record deleted by row frees its id */
    "CREATE FUNCTION ordercam_violation_forget() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN DELETE FROM violation_ids WHERE id = OLD.id; RETURN NULL; END$$;"
    "CREATE TRIGGER violations_forget AFTER DELETE ON violations"
    " FOR EACH ROW EXECUTE FUNCTION ordercam_violation_forget();"
    "SELECT ordercam_violations_month(m) FROM (SELECT DISTINCT ts - ts % 86400000 AS m"
    " FROM violations_unpartitioned) d;"
    "INSERT INTO violations(id, box, camera, type, ts, road, unit, sha256, evidence_path, record,"
    " received, status, reason, note, reviewer, decided, lease_user, lease_until,"
    " evidence_expired) SELECT id, box, camera, type, ts, road, unit, sha256, evidence_path,"
    " record, received, status, reason, note, reviewer, decided, lease_user, lease_until,"
    " evidence_expired FROM violations_unpartitioned;"
    "INSERT INTO violation_ids(id, ts) SELECT id, ts FROM violations_unpartitioned;"
    "DROP TABLE violations_unpartitioned;",
    /* 7: two creators of one month: the second, once it holds the lock,
     * may still see the month missing (to_regclass reads a catalog cache
     * that the lock does not refresh); it then finds it created */
    "CREATE OR REPLACE FUNCTION ordercam_violations_month(t BIGINT) RETURNS void"
    " LANGUAGE plpgsql AS $$"
    " DECLARE lo timestamp := date_trunc('month', to_timestamp(t / 1000.0) AT TIME ZONE 'UTC');"
    " part text := 'violations_' || to_char(lo, 'YYYY_MM');"
    " BEGIN IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;"
    " PERFORM pg_advisory_xact_lock(7220615);"
    " EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF violations"
    " FOR VALUES FROM (%s) TO (%s)', part,"
    " (extract(epoch FROM lo) * 1000)::bigint,"
    " (extract(epoch FROM lo + interval '1 month') * 1000)::bigint);"
    " EXCEPTION WHEN duplicate_table OR unique_violation THEN NULL;"
    " END$$;",
    /* 8: the review status counts per city day (oc_sqlpeople.c "status
     * counts"), kept by a trigger once review_tz is set (at open), and the
     * reviewer's lease found by index */
    "CREATE TABLE review_tz(tz_offset_min BIGINT); INSERT INTO review_tz VALUES(NULL);"
    " CREATE TABLE review_counts(bucket BIGINT NOT NULL, box TEXT NOT NULL, camera TEXT NOT"
    " NULL, type TEXT NOT NULL, road TEXT NOT NULL, unit TEXT NOT NULL, status TEXT NOT"
    " NULL, reason TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY(bucket, box, camera,"
    " type, road, unit, status, reason)); CREATE FUNCTION ordercam_review_count() RETURNS"
    " trigger LANGUAGE plpgsql AS $$ DECLARE tz bigint; BEGIN SELECT tz_offset_min INTO tz"
    " FROM review_tz; IF tz IS NULL THEN RETURN NULL; END IF; IF TG_OP = 'UPDATE' THEN IF"
    " OLD.status IS NOT DISTINCT FROM NEW.status AND OLD.reason IS NOT DISTINCT FROM"
    " NEW.reason THEN RETURN NULL; END IF; UPDATE review_counts SET count=count-1 WHERE"
    " bucket=(OLD.ts+tz*60000) - (((OLD.ts+tz*60000) % 86400000) + 86400000) % 86400000 -"
    " tz*60000 AND box=OLD.box AND camera=OLD.camera AND type=OLD.type AND"
    " road=COALESCE(OLD.road,'') AND unit=COALESCE(OLD.unit,'') AND status=OLD.status AND"
    " reason=COALESCE(OLD.reason,''); DELETE FROM review_counts WHERE"
    " bucket=(OLD.ts+tz*60000) - (((OLD.ts+tz*60000) % 86400000) + 86400000) % 86400000 -"
    " tz*60000 AND box=OLD.box AND camera=OLD.camera AND type=OLD.type AND"
    " road=COALESCE(OLD.road,'') AND unit=COALESCE(OLD.unit,'') AND status=OLD.status AND"
    " reason=COALESCE(OLD.reason,'') AND count<=0; END IF; INSERT INTO review_counts"
    " VALUES((NEW.ts+tz*60000) - (((NEW.ts+tz*60000) % 86400000) + 86400000) % 86400000 -"
    " tz*60000, NEW.box, NEW.camera, NEW.type, COALESCE(NEW.road,''),"
    " COALESCE(NEW.unit,''), NEW.status, COALESCE(NEW.reason,''), 1) ON CONFLICT(bucket,"
    " box, camera, type, road, unit, status, reason) DO UPDATE SET"
    " count=review_counts.count+1; RETURN NULL; END$$; CREATE TRIGGER"
    " violations_review_count AFTER INSERT OR UPDATE OF status, reason ON violations FOR"
    " EACH ROW EXECUTE FUNCTION ordercam_review_count(); CREATE INDEX violations_lease ON"
    " violations(lease_user, lease_until) WHERE lease_user IS NOT NULL;",
    /* 9: the public variant's stored image (docs/evidence.md; its digest
     * stays in the record), found by path for retention */
    "ALTER TABLE violations ADD COLUMN public_path TEXT;"
    "CREATE INDEX violations_public ON violations(public_path) WHERE public_path IS NOT NULL;",
    /* 10: the repeat plates per week and month of the city (oc_sqlpeople.c
     * "repeat plates"): kept by a trigger once plate_cfg is set (at start,
     * which counts them from the records), never lowered by retention */
    "CREATE TABLE plate_cfg(tz_offset_min BIGINT, types TEXT);"
    "INSERT INTO plate_cfg VALUES(NULL, NULL);"
    "CREATE TABLE plate_counts(kind INTEGER NOT NULL, start BIGINT NOT NULL, plate TEXT NOT NULL,"
    " n BIGINT NOT NULL, first BIGINT NOT NULL, last BIGINT NOT NULL,"
    " PRIMARY KEY(kind, start, plate));"
    "CREATE INDEX plate_counts_top ON plate_counts(kind, start, n DESC, plate);"
    "CREATE INDEX violations_plate ON violations(plate, ts);"
    "CREATE FUNCTION ordercam_plate_count() RETURNS trigger LANGUAGE plpgsql AS $$"
    " DECLARE z bigint; ty text; r record; d bigint; ws bigint; ms bigint; me bigint;"
    " BEGIN SELECT tz_offset_min * 60000, ',' || types || ',' INTO z, ty FROM plate_cfg;"
    " IF z IS NULL OR ty IS NULL THEN RETURN NULL; END IF;"
    " IF TG_OP = 'INSERT' THEN r := NEW; ELSE r := OLD; END IF;"
    " IF r.plate IS NULL OR r.plate = '' OR strpos(ty, ',' || r.type || ',') = 0 THEN"
    " RETURN NULL; END IF;"
    " IF TG_OP = 'INSERT' THEN IF NEW.status = 'rejected' THEN RETURN NULL; END IF;"
    " ELSIF (OLD.status = 'rejected') = (NEW.status = 'rejected') THEN RETURN NULL; END IF;"
    " d := ((r.ts + z) - (((r.ts + z) % 86400000) + 86400000) % 86400000) / 86400000;"
    " ws := (d - ((d + 3) % 7 + 7) % 7) * 86400000 - z;"
    " ms := (extract(epoch FROM date_trunc('month', to_timestamp((r.ts + z) / 1000.0)"
    " AT TIME ZONE 'UTC')) * 1000)::bigint - z;"
    " IF TG_OP = 'INSERT' OR NEW.status <> 'rejected' THEN"
    " INSERT INTO plate_counts VALUES(0, ws, r.plate, 1, r.ts, r.ts), (1, ms, r.plate, 1, r.ts,"
    " r.ts) ON CONFLICT(kind, start, plate) DO UPDATE SET n = plate_counts.n + 1,"
    " first = LEAST(plate_counts.first, EXCLUDED.first),"
    " last = GREATEST(plate_counts.last, EXCLUDED.last);"
    " RETURN NULL; END IF;"
    " me := (extract(epoch FROM date_trunc('month', to_timestamp((r.ts + z) / 1000.0)"
    " AT TIME ZONE 'UTC') + interval '1 month') * 1000)::bigint - z;"
    " UPDATE plate_counts SET n = n - 1 WHERE plate = r.plate AND ((kind = 0 AND start = ws)"
    " OR (kind = 1 AND start = ms));"
    " DELETE FROM plate_counts WHERE plate = r.plate AND ((kind = 0 AND start = ws)"
    " OR (kind = 1 AND start = ms)) AND n <= 0;"
    /* the first or last of a period that lost r: found again among the
     * records still counted (index violations_plate) */
    " UPDATE plate_counts c SET first = COALESCE(x.lo, c.first), last = COALESCE(x.hi, c.last)"
    " FROM (SELECT MIN(v.ts) AS lo, MAX(v.ts) AS hi FROM violations v WHERE v.plate = r.plate"
    " AND v.ts >= ws AND v.ts < ws + 604800000 AND v.status <> 'rejected'"
    " AND strpos(ty, ',' || v.type || ',') > 0) x WHERE c.kind = 0 AND c.start = ws"
    " AND c.plate = r.plate AND (c.first = r.ts OR c.last = r.ts);"
    " UPDATE plate_counts c SET first = COALESCE(x.lo, c.first), last = COALESCE(x.hi, c.last)"
    " FROM (SELECT MIN(v.ts) AS lo, MAX(v.ts) AS hi FROM violations v WHERE v.plate = r.plate"
    " AND v.ts >= ms AND v.ts < me AND v.status <> 'rejected'"
    " AND strpos(ty, ',' || v.type || ',') > 0) x WHERE c.kind = 1 AND c.start = ms"
    " AND c.plate = r.plate AND (c.first = r.ts OR c.last = r.ts);"
    " RETURN NULL; END$$;"
    "CREATE TRIGGER violations_plate_count AFTER INSERT OR UPDATE OF status ON violations"
    " FOR EACH ROW EXECUTE FUNCTION ordercam_plate_count();",
    /* 11: retention asks, per expired image, whether another record still
     * uses its file: found by index (every month's), not by a scan */
    "CREATE INDEX violations_evidence ON violations(evidence_path)"
    " WHERE evidence_path IS NOT NULL;",
    /* 12: the offset the tallies' day grains were cut at (NULL: unknown,
     * so counted again at the next start; oc_sqlstore.c day_grains_tz) */
    "CREATE TABLE tally_tz(tz_offset_min BIGINT); INSERT INTO tally_tz VALUES(NULL);",
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
    for (int i = 0; i < STMT_CACHE; i++)
        free(c->cache[i].st.sql);
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
    /* this month's partition and the next two, ahead of their records */
    if (first) {
        int64_t now = (int64_t)time(NULL) * 1000;
        for (int k = 0; k < 3; k++) {
            char t[24];
            snprintf(t, sizeof t, "%" PRId64, (int64_t)(now + k * 31 * 86400000LL));
            const char *v[] = {t};
            if (cmd(c->db, "SELECT ordercam_violations_month($1::bigint)", 1, v) != OC_OK) {
                snprintf(err, errlen, "creating partitions: %s", PQerrorMessage(c->db));
                pg_disconnect(c);
                return NULL;
            }
        }
    }
    return c;
}

/* Forgets the statements prepared on the server (after a reset). */
static void forget_prepared(struct oc_sqlconn *c)
{
    for (int i = 0; i < STMT_CACHE; i++)
        c->cache[i].prepared = 0;
    c->batch_prepared = 0;
}

/* A connection lost (server restart) is re-established on next use. */
static void pg_recover(struct oc_sqlconn *c)
{
    if (PQstatus(c->db) == CONNECTION_BAD) {
        PQreset(c->db);
        forget_prepared(c);
    }
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
static char *dollar_sql(const char *sql)
{
    char *out = strdup(sql);
    for (char *p = out; p && *p; p++)
        if (*p == '?' && isdigit((unsigned char)p[1]))
            *p = '$';
    return out;
}

/* A static SQL text's statement comes from the connection's cache (one
 * user at a time; a second concurrent use gets an uncached one); SQL built
 * at run time is sent with its parameters each time. */
static struct oc_sqlst *pg_prepare(struct oc_sqlconn *c, const char *sql, int sql_is_static)
{
    int free_slot = -1;
    for (int i = 0; sql_is_static && i < STMT_CACHE; i++) {
        if (c->cache[i].key == sql && !c->cache[i].busy) {
            c->cache[i].busy = 1;
            return &c->cache[i].st;
        }
        if (!c->cache[i].key && free_slot < 0)
            free_slot = i;
    }
    char *text = dollar_sql(sql);
    struct oc_sqlst *st = free_slot >= 0 ? &c->cache[free_slot].st : calloc(1, sizeof *st);
    if (!text || !st) {
        free(text);
        if (free_slot < 0)
            free(st);
        return NULL;
    }
    *st = (struct oc_sqlst){.c = c, .sql = text, .slot = free_slot};
    if (free_slot >= 0)
        c->cache[free_slot] = (struct pg_cached){.key = sql, .busy = 1, .st = *st};
    return free_slot >= 0 ? &c->cache[free_slot].st : st;
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

/* Runs st: a cached statement prepared on the server at its first run
 * (named after its slot), then executed by name. */
static PGresult *run_stmt(struct oc_sqlst *st)
{
    struct oc_sqlconn *c = st->c;
    if (st->slot < 0)
        return PQexecParams(c->db, st->sql, st->n, st->types, st->vals, NULL, NULL, 0);
    char name[16];
    snprintf(name, sizeof name, "s%d", st->slot);
    if (!c->cache[st->slot].prepared) {
        PGresult *p = PQprepare(c->db, name, st->sql, st->n, st->types);
        ExecStatusType ps = PQresultStatus(p);
        if (ps != PGRES_COMMAND_OK)
            return p; /* the error, as the statement's result */
        PQclear(p);
        c->cache[st->slot].prepared = 1;
    }
    return PQexecPrepared(c->db, name, st->n, st->vals, NULL, NULL, 0);
}

/* The first step runs the statement; each step moves to the next row. */
static enum oc_sql_step pg_step(struct oc_sqlst *st)
{
    if (!st->r) {
        st->r = run_stmt(st);
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
    if (st->slot >= 0) {
        struct oc_sqlconn *c = st->c;
        int slot = st->slot;
        char *sql = st->sql;
        *st = (struct oc_sqlst){.c = c, .sql = sql, .slot = slot};
        c->cache[slot].busy = 0;
        return;
    }
    free(st->sql);
    free(st);
}

/* ---- violations: monthly partitions, batched insert, month drops ---- */

static int64_t month_of(int64_t ts)
{
    time_t t = (time_t)(ts >= 0 ? ts / 1000 : (ts - 999) / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return INT64_MIN;
    return (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* The partitions of the rows' months exist (created now if not): one
 * round trip per batch, asked each time rather than remembered, since
 * another central's retention may drop a month. */
static oc_err_t ensure_months(struct oc_sqlconn *c, const struct oc_sql_vrow *rows, size_t n)
{
    int64_t seen[MONTHS_PER_BATCH];
    size_t k = 0;
    char list[MONTHS_PER_BATCH * 24 + 3] = "{";
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t m = month_of(rows[i].ts);
        size_t j = 0;
        while (j < k && seen[j] != m)
            j++;
        if (j < k)
            continue;
        if (k == MONTHS_PER_BATCH) /* a batch over many months: ask in parts */
            return ensure_months(c, rows + i, n - i) == OC_OK ? ensure_months(c, rows, i) : OC_EIO;
        seen[k++] = m;
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%" PRId64, k > 1 ? "," : "",
                                rows[i].ts);
    }
    snprintf(list + len, sizeof list - len, "}");
    const char *v[] = {list};
    return k == 0
               ? OC_OK
               : cmd(c->db, "SELECT ordercam_violations_month(t) FROM unnest($1::int8[]) t", 1, v);
}

/* A PostgreSQL array literal of texts (NULL elements as NULL) or of
 * integers, in a new buffer the caller frees. */
struct abuf {
    char *p;
    size_t len, cap;
};

static int abuf_put(struct abuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256) + n;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

/* PostgreSQL array literals, in a new buffer (NULL: no memory): element i
 * is at base + i * stride (a column of an array of structs, or an array).
 * Texts are quoted with \ before " and \; a NULL text is NULL. */
static char *array_end(struct abuf *b, int bad)
{
    bad |= abuf_put(b, "}", 1);
    if (bad) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

static char *texts_at(const void *base, size_t stride, size_t n)
{
    struct abuf b = {0};
    int bad = abuf_put(&b, "{", 1);
    for (size_t i = 0; !bad && i < n; i++) {
        const char *v = *(const char *const *)((const char *)base + i * stride);
        bad |= i && abuf_put(&b, ",", 1);
        if (!v) {
            bad |= abuf_put(&b, "NULL", 4);
            continue;
        }
        bad |= abuf_put(&b, "\"", 1);
        for (const char *p = v; !bad && *p; p++) {
            size_t run = strcspn(p, "\"\\");
            bad |= abuf_put(&b, p, run);
            p += run;
            if (!*p)
                break;
            bad |= abuf_put(&b, "\\", 1) || abuf_put(&b, p, 1);
        }
        bad |= abuf_put(&b, "\"", 1);
    }
    return array_end(&b, bad);
}

static char *ints_at(const void *base, size_t stride, size_t n)
{
    struct abuf b = {0};
    int bad = abuf_put(&b, "{", 1);
    for (size_t i = 0; !bad && i < n; i++) {
        int64_t v;
        memcpy(&v, (const char *)base + i * stride, sizeof v);
        char num[24];
        int k = snprintf(num, sizeof num, "%s%" PRId64, i ? "," : "", v);
        bad |= abuf_put(&b, num, (size_t)k);
    }
    return array_end(&b, bad);
}

/* A column of the violation rows (no offset taken from NULL when empty). */
static char *text_array(const struct oc_sql_vrow *rows, size_t n, size_t field)
{
    return texts_at(n ? (const char *)rows + field : NULL, sizeof *rows, n);
}

static char *ts_array(const struct oc_sql_vrow *rows, size_t n)
{
    return ints_at(n ? &rows[0].ts : NULL, sizeof *rows, n);
}

/* One statement for the whole batch: the rows as arrays, unnested; the
 * first of each id new to violation_ids is inserted. */
static const char vbatch_sql[] =
    "WITH v AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::int8[],"
    " $7::text[], $8::text[], $9::text[], $10::text[]) WITH ORDINALITY"
    " AS v(id, camera, type, ts, road, unit, sha256, record, ord)),"
    " f AS (SELECT DISTINCT ON (id) * FROM v ORDER BY id, ord),"
    " n AS (INSERT INTO violation_ids(id, ts) SELECT id, ts FROM f ON CONFLICT(id) DO NOTHING"
    " RETURNING id)"
    " INSERT INTO violations(id, box, camera, type, ts, road, unit, sha256, record, received)"
    " SELECT f.id, $1::text, f.camera, f.type, f.ts, f.road, f.unit, f.sha256, f.record,"
    " $2::int8 FROM f JOIN n ON n.id = f.id";

static oc_err_t pg_insert_violations(struct oc_sqlconn *c, const char *box, int64_t received,
                                     const struct oc_sql_vrow *rows, size_t n, int64_t *inserted)
{
    *inserted = 0;
    oc_err_t e = OC_OK;
    if (n)
        e = ensure_months(c, rows, n);
    if (e != OC_OK || n == 0)
        return e;
    if (!c->batch_prepared) {
        PGresult *p = PQprepare(c->db, "vbatch", vbatch_sql, 0, NULL);
        int ok = PQresultStatus(p) == PGRES_COMMAND_OK;
        PQclear(p);
        if (!ok)
            return OC_EIO;
        c->batch_prepared = 1;
    }
    static const size_t fields[] = {
        offsetof(struct oc_sql_vrow, id),     offsetof(struct oc_sql_vrow, camera),
        offsetof(struct oc_sql_vrow, type),   0,
        offsetof(struct oc_sql_vrow, road),   offsetof(struct oc_sql_vrow, unit),
        offsetof(struct oc_sql_vrow, sha256), offsetof(struct oc_sql_vrow, record)};
    char *arr[8] = {0}, rec[24];
    snprintf(rec, sizeof rec, "%" PRId64, received);
    const char *v[10] = {box, rec};
    for (int k = 0; k < 8; k++) {
        arr[k] = k == 3 ? ts_array(rows, n) : text_array(rows, n, fields[k]);
        v[2 + k] = arr[k];
        if (!arr[k])
            e = OC_ENOMEM;
    }
    if (e == OC_OK) {
        PGresult *r = PQexecPrepared(c->db, "vbatch", 10, v, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_COMMAND_OK)
            *inserted = strtoll(PQcmdTuples(r), NULL, 10);
        else
            e = OC_EIO;
        PQclear(r);
    }
    for (int k = 0; k < 8; k++)
        free(arr[k]);
    return e;
}

/* ---- tallies: a batch in six statements ---- */

static char *texts_literal(const char *const *v, size_t n)
{
    return texts_at(v, sizeof *v, n);
}

static char *ints_literal(const int64_t *v, size_t n)
{
    return ints_at(v, sizeof *v, n);
}

/* Runs sql with params, each literal freed here; NULL among them (out of
 * memory) runs nothing. On success, the result is returned (caller
 * clears), else NULL. */
static PGresult *run_arrays(struct oc_sqlconn *c, const char *sql, const char *box, char **lit,
                            int n)
{
    const char *v[8] = {box};
    int ok = 1;
    for (int i = 0; i < n; i++) {
        v[1 + i] = lit[i];
        ok &= lit[i] != NULL;
    }
    PGresult *r = ok ? PQexecParams(c->db, sql, 1 + n, NULL, v, NULL, NULL, 0) : NULL;
    for (int i = 0; i < n; i++)
        free(lit[i]);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        PQclear(r);
        return NULL;
    }
    return r;
}

struct tkey {
    const char *camera, *type;
    int64_t bucket;
    size_t i; /* the row's place in the request */
};

static int tkey_cmp(const void *a, const void *b)
{
    const struct tkey *x = a, *y = b;
    int d = strcmp(x->camera, y->camera);
    if (!d)
        d = strcmp(x->type, y->type);
    if (!d)
        d = x->bucket < y->bucket ? -1 : x->bucket > y->bucket;
    if (!d)
        d = x->i < y->i ? -1 : x->i > y->i;
    return d;
}

/* What a batch does: the finest grain's final row per key (fine_*), and
 * every applied row's difference for the coarser grains (co_*). */
struct tplan {
    const char **f_cam, **f_type, **c_cam, **c_type;
    int64_t *f_bucket, *f_count, *f_rev, *c_hour, *c_day, *c_hod, *c_delta;
    size_t nf, nc;
};

static void tplan_free(struct tplan *p)
{
    free(p->f_cam), free(p->f_type), free(p->c_cam), free(p->c_type);
    free(p->f_bucket), free(p->f_count), free(p->f_rev);
    free(p->c_hour), free(p->c_day), free(p->c_hod), free(p->c_delta);
}

static int64_t floor_to(int64_t t, int64_t unit, int64_t offset)
{
    int64_t x = t + offset, r = ((x % unit) + unit) % unit;
    return x - r - offset;
}

/* The rows of one key, in request order, from the stored state: the rule
 * of put_tally (oc_sqlstore.c) applied one after another. */
static void plan_key(struct tplan *p, const struct oc_tally_in *t, const struct tkey *k, size_t nk,
                     int known, int64_t cur, int64_t cur_rev, int64_t city_ms, size_t *stale)
{
    int dirty = 0;
    for (size_t j = 0; j < nk; j++) {
        const struct oc_tally_in *r = &t[k[j].i];
        if (known && r->rev && r->rev <= cur_rev) {
            (*stale)++;
            continue;
        }
        int64_t delta = r->count - cur, rev = r->rev > cur_rev ? r->rev : cur_rev;
        if (known && delta == 0 && rev == cur_rev)
            continue;
        if (!(known && delta == 0)) {
            int64_t day = floor_to(r->bucket, 86400000LL, city_ms);
            p->c_cam[p->nc] = r->camera;
            p->c_type[p->nc] = r->type;
            p->c_hour[p->nc] = floor_to(r->bucket, 3600000LL, 0);
            p->c_day[p->nc] = day;
            p->c_hod[p->nc] = (r->bucket - day) / 3600000LL;
            p->c_delta[p->nc++] = delta;
        }
        known = dirty = 1;
        cur = r->count;
        cur_rev = rev;
    }
    if (dirty) {
        p->f_cam[p->nf] = k[0].camera;
        p->f_type[p->nf] = k[0].type;
        p->f_bucket[p->nf] = k[0].bucket;
        p->f_count[p->nf] = cur;
        p->f_rev[p->nf++] = cur_rev;
    }
}

static const char tally_read_sql[] =
    "SELECT u.i, t.count, t.rev FROM unnest($2::text[], $3::text[], $4::int8[])"
    " WITH ORDINALITY AS u(camera, type, bucket, i)"
    " JOIN tallies t ON t.box=$1 AND t.camera=u.camera AND t.type=u.type AND t.bucket=u.bucket";

/* The grains' upserts: the finest sets, the coarser add the summed
 * differences (each key once per statement, as ON CONFLICT requires). */
static const char *const tally_write_sql[] = {
    "INSERT INTO tallies(box, camera, type, bucket, count, rev, road, unit)"
    " SELECT $1, u.camera, u.type, u.bucket, u.count, u.rev, c.road, c.unit"
    " FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[])"
    " AS u(camera, type, bucket, count, rev) LEFT JOIN cameras c ON c.box=$1 AND c.camera=u.camera"
    " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=excluded.count, rev=excluded.rev",
    "INSERT INTO tallies_hour(box, camera, type, bucket, count, road, unit)"
    " SELECT $1, u.camera, u.type, u.hour, SUM(u.delta), MIN(c.road), MIN(c.unit)"
    " FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])"
    " AS u(camera, type, hour, day, hod, delta) LEFT JOIN cameras c ON c.box=$1 AND"
    " c.camera=u.camera GROUP BY u.camera, u.type, u.hour"
    " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=tallies_hour.count+excluded.count",
    "INSERT INTO tallies_day(box, camera, type, bucket, count, road, unit)"
    " SELECT $1, u.camera, u.type, u.day, SUM(u.delta), MIN(c.road), MIN(c.unit)"
    " FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])"
    " AS u(camera, type, hour, day, hod, delta) LEFT JOIN cameras c ON c.box=$1 AND"
    " c.camera=u.camera GROUP BY u.camera, u.type, u.day"
    " ON CONFLICT(bucket, box, camera, type) DO UPDATE SET count=tallies_day.count+excluded.count",
    "INSERT INTO tallies_day_road(bucket, road, unit, type, count)"
    " SELECT u.day, COALESCE(c.road,''), COALESCE(c.unit,''), u.type, SUM(u.delta)"
    " FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])"
    " AS u(camera, type, hour, day, hod, delta) LEFT JOIN cameras c ON c.box=$1 AND"
    " c.camera=u.camera GROUP BY 1, 2, 3, 4"
    " ON CONFLICT(bucket, road, unit, type) DO UPDATE SET "
    "count=tallies_day_road.count+excluded.count",
    "INSERT INTO tallies_day_hod(bucket, hour_of_day, type, count)"
    " SELECT u.day, u.hod, u.type, SUM(u.delta)"
    " FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])"
    " AS u(camera, type, hour, day, hod, delta) WHERE $1::text IS NOT NULL GROUP BY 1, 2, 3"
    " ON CONFLICT(bucket, hour_of_day, type) DO UPDATE SET "
    "count=tallies_day_hod.count+excluded.count",
};

static oc_err_t tally_plan(struct oc_sqlconn *c, const char *box, int64_t city_ms,
                           const struct oc_tally_in *t, size_t n, struct tplan *p, size_t *stale)
{
    struct tkey *k = calloc(n, sizeof *k);
    int8_t *known = calloc(n, 1);
    int64_t *cur = calloc(n, sizeof *cur), *cur_rev = calloc(n, sizeof *cur_rev);
    const char **cam = calloc(n, sizeof *cam), **type = calloc(n, sizeof *type);
    int64_t *bucket = calloc(n, sizeof *bucket);
    oc_err_t e = k && known && cur && cur_rev && cam && type && bucket ? OC_OK : OC_ENOMEM;
    for (size_t i = 0; e == OC_OK && i < n; i++) {
        k[i] = (struct tkey){t[i].camera, t[i].type, t[i].bucket, i};
        cam[i] = t[i].camera;
        type[i] = t[i].type;
        bucket[i] = t[i].bucket;
    }
    /* the stored state of every key asked for */
    if (e == OC_OK) {
        char *lit[] = {texts_literal(cam, n), texts_literal(type, n), ints_literal(bucket, n)};
        PGresult *r = run_arrays(c, tally_read_sql, box, lit, 3);
        for (int row = 0; r && row < PQntuples(r); row++) {
            size_t i = (size_t)strtoll(PQgetvalue(r, row, 0), NULL, 10) - 1;
            if (i < n) {
                known[i] = 1;
                cur[i] = strtoll(PQgetvalue(r, row, 1), NULL, 10);
                cur_rev[i] = strtoll(PQgetvalue(r, row, 2), NULL, 10);
            }
        }
        if (!r)
            e = OC_EIO;
        PQclear(r);
    }
    if (e == OC_OK) {
        qsort(k, n, sizeof *k, tkey_cmp);
        for (size_t a = 0, b; a < n; a = b) {
            for (b = a + 1;
                 b < n && k[b].bucket == k[a].bucket && strcmp(k[b].camera, k[a].camera) == 0 &&
                 strcmp(k[b].type, k[a].type) == 0;
                 b++)
                ;
            size_t first = k[a].i; /* any occurrence: they read the same row */
            plan_key(p, t, k + a, b - a, known[first], cur[first], cur_rev[first], city_ms, stale);
        }
    }
    free(k), free(known), free(cur), free(cur_rev), free(cam), free(type), free(bucket);
    return e;
}

static oc_err_t pg_put_tallies(struct oc_sqlconn *c, const char *box, int64_t city_ms,
                               const struct oc_tally_in *t, size_t n, size_t *stale)
{
    struct tplan p = {0};
    p.f_cam = calloc(n, sizeof *p.f_cam), p.f_type = calloc(n, sizeof *p.f_type);
    p.c_cam = calloc(n, sizeof *p.c_cam), p.c_type = calloc(n, sizeof *p.c_type);
    p.f_bucket = calloc(n, 8), p.f_count = calloc(n, 8), p.f_rev = calloc(n, 8);
    p.c_hour = calloc(n, 8), p.c_day = calloc(n, 8), p.c_hod = calloc(n, 8);
    p.c_delta = calloc(n, 8);
    oc_err_t e = p.f_cam && p.f_type && p.c_cam && p.c_type && p.f_bucket && p.f_count && p.f_rev &&
                         p.c_hour && p.c_day && p.c_hod && p.c_delta
                     ? OC_OK
                     : OC_ENOMEM;
    if (e == OC_OK)
        e = tally_plan(c, box, city_ms, t, n, &p, stale);
    if (e == OC_OK && p.nf) {
        char *lit[] = {texts_literal(p.f_cam, p.nf), texts_literal(p.f_type, p.nf),
                       ints_literal(p.f_bucket, p.nf), ints_literal(p.f_count, p.nf),
                       ints_literal(p.f_rev, p.nf)};
        PGresult *r = run_arrays(c, tally_write_sql[0], box, lit, 5);
        e = r ? OC_OK : OC_EIO;
        PQclear(r);
    }
    for (int g = 1; e == OC_OK && p.nc && g < 5; g++) {
        char *lit[] = {texts_literal(p.c_cam, p.nc), texts_literal(p.c_type, p.nc),
                       ints_literal(p.c_hour, p.nc), ints_literal(p.c_day, p.nc),
                       ints_literal(p.c_hod, p.nc),  ints_literal(p.c_delta, p.nc)};
        PGresult *r = run_arrays(c, tally_write_sql[g], box, lit, 6);
        e = r ? OC_OK : OC_EIO;
        PQclear(r);
    }
    tplan_free(&p);
    return e;
}

static oc_err_t pg_drop_before(struct oc_sqlconn *c, int64_t before, int64_t *deleted)
{
    char t[24];
    snprintf(t, sizeof t, "%" PRId64, before);
    const char *v[] = {t};
    PGresult *r = PQexecParams(c->db, "SELECT ordercam_violations_drop_before($1::bigint)", 1, NULL,
                               v, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    *deleted = ok ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return ok ? OC_OK : OC_EIO;
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
    .insert_violations = pg_insert_violations,
    .drop_before = pg_drop_before,
    .put_tallies = pg_put_tallies,
    .month_pre = "((extract(epoch FROM date_trunc('month', to_timestamp((",
    .month_post = ")/1000.0) AT TIME ZONE 'UTC'))*1000)::bigint)",
};

struct oc_store *oc_store_pg_open(const char *conninfo, int connections, int tz_offset_min,
                                  char *err, size_t errlen)
{
    return oc_sqlstore_open(&pg_dialect, conninfo, connections, tz_offset_min, err, errlen);
}
