/* Central's store, called directly: the tally revision guard (a delayed
 * older rev after a newer one changes nothing, at any grain), rev 0 as
 * before revisions, and the migration of a schema 1 database that holds
 * tallies. Runs against a fresh SQLite file, or against the PostgreSQL
 * database in OC_TEST_DB (central_api_pg.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "oc_proc.h"
#include "oc_retention.h"
#include "oc_store.h"

#define TZ 480 /* the city's offset and every query's */
#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
/* 2025-01-01 10:05 UTC (18:05 in the city); its UTC hour; its city day */
#define B 1735725900000LL
#define H 1735725600000LL
#define D 1735660800000LL

static char dir[256], db[600];
static int pg;
static struct oc_store *s;
static const char *ty; /* each test's own type: no test sees another's counts */

static void open_store_at(int tz)
{
    char err[256] = "";
    s = pg ? oc_store_pg_open(db, 2, tz, err, sizeof err)
           : oc_store_sqlite_open(db, 2, tz, err, sizeof err);
    if (!s)
        fail_msg("open %s: %s", pg ? "PostgreSQL" : db, err);
}

static void open_store(void)
{
    open_store_at(TZ);
}

static void close_store(void)
{
    s->ops->close(s);
    s = NULL;
}

/* Upserts one tally of camera cam-r, type ty, on road Rev Rd; returns
 * how many were stale. */
static size_t put(int64_t bucket, int64_t count, int64_t rev)
{
    struct oc_tally_in t = {
        .camera = "cam-r", .type = ty, .bucket = bucket, .count = count, .rev = rev};
    struct oc_camera_in c = {.id = "cam-r", .location = "x", .road = "Rev Rd", .unit = "U9"};
    size_t stale = 99;
    assert_int_equal(s->ops->put_tallies(s, "rev-box", NULL, -1, 1, &t, 1, &c, 1, &stale), OC_OK);
    return stale;
}

enum grain { G_BUCKET, G_HOUR, G_DAY, G_DAY_ROAD, G_DAY_HOD, G__COUNT };

/* The count a query at offset tz answered by grain g gives for the test's
 * tallies. */
static int64_t count_at_tz(enum grain g, int64_t from, int64_t to, int tz)
{
    struct oc_store_counts_q q = {.f = {.from = from, .to = to, .type = ty}, .tz_offset_min = tz};
    if (g == G_DAY)
        q.group[q.n_group++] = OC_DIM_CAMERA; /* the camera: not the road grain */
    if (g == G_DAY_ROAD)
        q.f.road = "Rev Rd";
    if (g == G_DAY_HOD)
        q.group[q.n_group++] = OC_DIM_HOUR_OF_DAY;
    if (g == G_BUCKET || g == G_HOUR)
        q.f.box = "rev-box";
    cJSON *out = s->ops->counts(s, &q);
    assert_non_null(out);
    int64_t sum = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(out, "rows")) sum +=
        (int64_t)cJSON_GetObjectItem(row, "count")->valuedouble;
    cJSON_Delete(out);
    return sum;
}

static int64_t count_at(enum grain g, int64_t from, int64_t to)
{
    return count_at_tz(g, from, to, TZ);
}

/* Bucket b's count at the bucket grain, and the hour and day totals at
 * every grain that holds them. */
static void expect(int64_t b, int64_t at_b, int64_t hour_total, int64_t day_total)
{
    assert_int_equal(count_at(G_BUCKET, b, b + MIN_MS), at_b);
    assert_int_equal(count_at(G_HOUR, H, H + HOUR_MS), hour_total);
    assert_int_equal(count_at(G_DAY, D, D + DAY_MS), day_total);
    assert_int_equal(count_at(G_DAY_ROAD, D, D + DAY_MS), day_total);
    assert_int_equal(count_at(G_DAY_HOD, D, D + DAY_MS), day_total);
}

static int setup(void **state)
{
    (void)state;
    const char *uri = getenv("OC_TEST_DB");
    pg = uri != NULL;
    if (pg) {
        snprintf(db, sizeof db, "%s", uri);
    } else {
        assert_int_equal(oc_tmpdir(dir, sizeof dir), 0);
        snprintf(db, sizeof db, "%s/central.sqlite", dir);
    }
    open_store();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (s)
        close_store();
    if (!pg) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
    }
    return 0;
}

static void older_rev_after_newer_changes_nothing(void **state)
{
    (void)state;
    ty = "rev_a";
    assert_int_equal(put(B, 12, 2), 0); /* the newer request arrives first */
    expect(B, 12, 12, 12);
    assert_int_equal(put(B, 5, 1), 1); /* the delayed older one: no rollback */
    expect(B, 12, 12, 12);
    assert_int_equal(put(B, 5, 2), 1); /* the same rev again: not newer */
    expect(B, 12, 12, 12);
    assert_int_equal(put(B, 15, 3), 0); /* the next rev applies */
    expect(B, 15, 15, 15);
    /* another minute of the same hour: the coarser grains sum both */
    assert_int_equal(put(B + MIN_MS, 4, 1), 0);
    assert_int_equal(put(B + MIN_MS, 1, 1), 1);
    expect(B + MIN_MS, 4, 19, 19);
    assert_int_equal(put(B + MIN_MS, 2, 7), 0); /* a lower count with a newer rev */
    expect(B + MIN_MS, 2, 17, 17);
    expect(B, 15, 17, 17);
}

static void rev_0_applies_as_before(void **state)
{
    (void)state;
    ty = "rev_b";
    int64_t b = B + 2 * MIN_MS;
    assert_int_equal(put(b, 3, 0), 0);
    assert_int_equal(put(b, 3, 0), 0); /* a resend: applied, changes nothing */
    expect(b, 3, 3, 3);
    assert_int_equal(put(b, 6, 4), 0);
    assert_int_equal(put(b, 1, 0), 0); /* without a rev: applies, keeps rev 4 */
    expect(b, 1, 1, 1);
    assert_int_equal(put(b, 9, 3), 1); /* older than the rev kept */
    expect(b, 1, 1, 1);
    assert_int_equal(put(b, 9, 5), 0);
    expect(b, 9, 9, 9);
}

/* One request with a stale row and a new one: only the stale one is
 * refused. */
static void batch_applies_newer_rows_only(void **state)
{
    (void)state;
    ty = "rev_c";
    assert_int_equal(put(B, 10, 3), 0);
    struct oc_tally_in t[] = {
        {.camera = "cam-r", .type = ty, .bucket = B, .count = 1, .rev = 2},
        {.camera = "cam-r", .type = ty, .bucket = B + MIN_MS, .count = 16, .rev = 1},
    };
    size_t stale = 0;
    assert_int_equal(s->ops->put_tallies(s, "rev-box", NULL, -1, 1, t, 2, NULL, 0, &stale), OC_OK);
    assert_int_equal(stale, 1);
    expect(B, 10, 26, 26);
    expect(B + MIN_MS, 16, 26, 26);
}

/* One key several times in one batch: applied in request order, as one
 * request each would be (a batched store must not keep only the last). */
static void batch_with_a_key_twice_applies_in_order(void **state)
{
    (void)state;
    ty = "rev_e";
    struct oc_tally_in t[] = {
        {.camera = "cam-r", .type = ty, .bucket = B, .count = 5, .rev = 1},
        {.camera = "cam-r", .type = ty, .bucket = B + MIN_MS, .count = 4, .rev = 0},
        {.camera = "cam-r", .type = ty, .bucket = B, .count = 7, .rev = 3},
        {.camera = "cam-r", .type = ty, .bucket = B, .count = 6, .rev = 2}, /* stale */
        {.camera = "cam-r", .type = ty, .bucket = B + MIN_MS, .count = 2, .rev = 0},
    };
    size_t stale = 0;
    assert_int_equal(s->ops->put_tallies(s, "rev-box", NULL, -1, 1, t, 5, NULL, 0, &stale), OC_OK);
    assert_int_equal(stale, 1);
    expect(B, 7, 9, 9);
    expect(B + MIN_MS, 2, 9, 9);
    /* and again, all stale or unchanged: nothing moves */
    assert_int_equal(s->ops->put_tallies(s, "rev-box", NULL, -1, 1, t, 5, NULL, 0, &stale), OC_OK);
    assert_int_equal(stale, 3);
    expect(B, 7, 9, 9);
}

/* What schemas 3 to 5 added (people: users, sessions, review, audit;
 * reports: plates, frozen reports; retention). */
/* schema 6 (SQLite) / 7 (PostgreSQL): the review status counts */
#define PLATES_UNDONE                                                                              \
    " DROP TABLE tally_tz; DROP INDEX violations_evidence; DROP TABLE plate_counts;"               \
    " DROP TABLE plate_cfg;"
#define REVIEW_COUNTS_UNDONE                                                                       \
    " DROP INDEX violations_public; ALTER TABLE violations DROP COLUMN public_path;"               \
    " DROP INDEX violations_lease; DROP TABLE review_counts; DROP TABLE review_tz;"
#define SCHEMA_3_UNDONE                                                                            \
    " ALTER TABLE violations DROP COLUMN evidence_expired;"                                        \
    " DROP TABLE reports; ALTER TABLE violations DROP COLUMN plate;"                               \
    " DROP TABLE users; DROP TABLE sessions; DROP TABLE review_skips; DROP TABLE audit;"           \
    " DROP INDEX violations_status_ts;"                                                            \
    " ALTER TABLE violations DROP COLUMN status; ALTER TABLE violations DROP COLUMN reason;"       \
    " ALTER TABLE violations DROP COLUMN note; ALTER TABLE violations DROP COLUMN reviewer;"       \
    " ALTER TABLE violations DROP COLUMN decided; ALTER TABLE violations DROP COLUMN lease_user;"  \
    " ALTER TABLE violations DROP COLUMN lease_until;"

/* What schema 6 made in PostgreSQL: violations partitioned by month, their
 * ids apart; back to one table with schema 5's columns and indexes. */
#define PG_SCHEMA_6_UNDONE                                                                         \
    "CREATE TABLE violations_flat AS SELECT id, box, camera, type, ts, road, unit, sha256,"        \
    " evidence_path, record, received, status, reason, note, reviewer, decided, lease_user,"       \
    " lease_until, evidence_expired FROM violations;"                                              \
    " DROP TABLE violations; DROP TABLE violation_ids; DROP FUNCTION ordercam_violations_month;"   \
    " DROP FUNCTION ordercam_violations_drop_before; DROP FUNCTION ordercam_violation_forget;"     \
    " ALTER TABLE violations_flat RENAME TO violations; ALTER TABLE violations ADD PRIMARY "       \
    "KEY(id);"                                                                                     \
    " CREATE INDEX violations_ts ON violations(ts, id);"                                           \
    " CREATE INDEX violations_camera_ts ON violations(camera, ts);"                                \
    " CREATE INDEX violations_type_ts ON violations(type, ts);"                                    \
    " CREATE INDEX violations_status_ts ON violations(status, ts, id);"                            \
    " ALTER TABLE violations ADD COLUMN plate TEXT"                                                \
    " GENERATED ALWAYS AS ((record::json)->>'plate') STORED;"

/* One record of box rev-box at ts; 1 if it was new. */
static size_t put_record(const char *id, int64_t ts)
{
    char text[256];
    snprintf(text, sizeof text,
             "[{\"id\": \"%s\", \"camera\": \"cam-r\", \"type\": \"%s\", \"ts\": %lld,"
             " \"note\": \"a \\\"quoted\\\\ text\"}]",
             id, ty, (long long)ts);
    cJSON *r = cJSON_Parse(text);
    assert_non_null(r);
    struct oc_insert_result res = {0};
    assert_int_equal(s->ops->put_violations(s, "rev-box", 1, r, &res), OC_OK);
    cJSON_Delete(r);
    assert_int_equal(res.inserted + res.duplicates, 1);
    return res.inserted;
}

/* Takes the database back to schema 1 (no rev column, no people), as an
 * older central left it. */
static void downgrade_to_schema_1(void)
{
    if (pg) {
        PGconn *c = PQconnectdb(db);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, " DROP FUNCTION ordercam_plate_count CASCADE;" PLATES_UNDONE
                                " DROP INDEX violations_plate;" REVIEW_COUNTS_UNDONE
                                " DROP FUNCTION ordercam_review_count CASCADE;" PG_SCHEMA_6_UNDONE
                                "ALTER TABLE tallies DROP COLUMN rev;" SCHEMA_3_UNDONE
                                " DROP FUNCTION ordercam_audit_append_only;"
                                " DELETE FROM ordercam_schema WHERE version > 1");
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(c);
        return;
    }
    sqlite3 *c;
    assert_int_equal(sqlite3_open(db, &c), SQLITE_OK);
    assert_int_equal(sqlite3_exec(c,
                                  "DROP TRIGGER plate_counts_insert; DROP TRIGGER"
                                  " plate_counts_unreject; DROP TRIGGER plate_counts_reject;"
                                  " DROP INDEX violations_plate;" PLATES_UNDONE
                                  " DROP TRIGGER review_counts_insert; DROP TRIGGER"
                                  " review_counts_decide;" REVIEW_COUNTS_UNDONE
                                  " ALTER TABLE tallies DROP COLUMN rev;" SCHEMA_3_UNDONE
                                  " PRAGMA user_version=1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(c);
}

static void schema_1_database_migrates_keeping_tallies(void **state)
{
    (void)state;
    ty = "rev_d";
    assert_int_equal(put(B, 16, 6), 0);
    assert_int_equal(put_record("rev-box:cam-r:1", B), 1);
    close_store();
    downgrade_to_schema_1();
    open_store();
    expect(B, 16, 16, 16); /* every count kept; revs start again at 0 */
    /* and every record: known by id, not stored twice */
    char box[64], hex[80], path[80];
    assert_int_equal(s->ops->evidence_expected(s, "rev-box:cam-r:1", box, sizeof box, hex,
                                               sizeof hex, path, sizeof path),
                     OC_OK);
    assert_string_equal(box, "rev-box");
    assert_int_equal(put_record("rev-box:cam-r:1", B), 0);
    assert_int_equal(put(B, 2, 1), 0);
    assert_int_equal(put(B, 30, 1), 1);
    expect(B, 2, 2, 2);
}

/* Partitions of violations (PostgreSQL) named like pattern. */
static int partitions(const char *name)
{
    if (!pg)
        return -1;
    PGconn *c = PQconnectdb(db);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    const char *v[] = {name};
    PGresult *r = PQexecParams(c, "SELECT COUNT(*) FROM pg_class WHERE relname=$1", 1, NULL, v,
                               NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    int n = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return n;
}

/* A batch with an id twice stores it once; retention takes a whole month
 * at once (PostgreSQL: its partition dropped) and the part of the next one
 * before the cut, row by row; a deleted id may come again. */
static void retention_drops_a_whole_month(void **state)
{
    (void)state;
    ty = "rev_m";
    const int64_t jan = 1735725900000LL, feb10 = 1739145600000LL, feb20 = 1740009600000LL;
    cJSON *twice = cJSON_Parse("[{\"id\": \"m-box:c:1\", \"camera\": \"c\", \"type\": \"rev_m\","
                               " \"ts\": 1735725900000},"
                               " {\"id\": \"m-box:c:1\", \"camera\": \"c\", \"type\": \"rev_m\","
                               " \"ts\": 1735725900001}]");
    struct oc_insert_result res = {0};
    assert_int_equal(s->ops->put_violations(s, "m-box", 1, twice, &res), OC_OK);
    cJSON_Delete(twice);
    assert_int_equal(res.inserted, 1);
    assert_int_equal(res.duplicates, 1);
    assert_int_equal(put_record("m-box:c:2", jan + 1), 1);
    assert_int_equal(put_record("m-box:c:3", feb10), 1);
    assert_int_equal(put_record("m-box:c:4", feb20), 1);
    if (pg)
        assert_int_equal(partitions("violations_2025_01"), 1);
    int64_t deleted = 0, cut = 1739577600000LL; /* 2025-02-15 00:00 UTC */
    assert_int_equal(s->ops->records_delete_before(s, cut, 1000, &deleted), OC_OK);
    assert_true(deleted >= 3); /* other tests' January records may go too */
    if (pg) {
        assert_int_equal(partitions("violations_2025_01"), 0);
        assert_int_equal(partitions("violations_2025_02"), 1);
    }
    char box[64], hex[80], path[80];
    assert_int_equal(s->ops->evidence_expected(s, "m-box:c:3", box, sizeof box, hex, sizeof hex,
                                               path, sizeof path),
                     OC_ENOTFOUND);
    assert_int_equal(s->ops->evidence_expected(s, "m-box:c:4", box, sizeof box, hex, sizeof hex,
                                               path, sizeof path),
                     OC_OK);
    /* gone ids may be stored again; a kept one is still a duplicate */
    assert_int_equal(put_record("m-box:c:1", jan), 1);
    assert_int_equal(put_record("m-box:c:3", feb10), 1);
    assert_int_equal(put_record("m-box:c:4", feb20), 0);
}

/* The public variant's reference: its digest read from the record, its
 * path once stored; retention deletes its file with the private image's
 * (counted apart) and forgets the path; the record keeps its digest. */
static void retention_takes_the_public_variant(void **state)
{
    (void)state;
    ty = "rev_p";
    const char *ph = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    char text[512];
    snprintf(text, sizeof text,
             "[{\"id\": \"p-box:c:1\", \"camera\": \"c\", \"type\": \"rev_p\", \"ts\": %lld,"
             " \"evidence\": {\"file\": \"f.jpg\", \"sha256\": null, \"frames\": [1],"
             " \"public_sha256\": \"%s\"}}]",
             (long long)B, ph);
    cJSON *r = cJSON_Parse(text);
    struct oc_insert_result res = {0};
    assert_int_equal(s->ops->put_violations(s, "p-box", 1, r, &res), OC_OK);
    cJSON_Delete(r);
    assert_int_equal(res.inserted, 1);
    assert_int_equal(put_record("p-box:c:2", B), 1); /* no public variant */
    char box[64], hex[80], path[600], file[600];
    int expired = 1;
    assert_int_equal(s->ops->public_expected(s, "p-box:c:1", box, sizeof box, hex, sizeof hex, path,
                                             sizeof path, &expired),
                     OC_OK);
    assert_string_equal(box, "p-box");
    assert_string_equal(hex, ph);
    assert_string_equal(path, "");
    assert_int_equal(expired, 0);
    assert_int_equal(s->ops->public_expected(s, "p-box:c:2", box, sizeof box, hex, sizeof hex, path,
                                             sizeof path, &expired),
                     OC_OK);
    assert_string_equal(hex, "");
    assert_int_equal(s->ops->public_expected(s, "p-box:c:9", box, sizeof box, hex, sizeof hex, path,
                                             sizeof path, &expired),
                     OC_ENOTFOUND);
    snprintf(file, sizeof file, "%s/public.jpg", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("jpeg", f);
    fclose(f);
    assert_int_equal(s->ops->public_stored(s, "p-box:c:1", file), OC_OK);
    assert_int_equal(s->ops->public_expected(s, "p-box:c:1", box, sizeof box, hex, sizeof hex, path,
                                             sizeof path, &expired),
                     OC_OK);
    assert_string_equal(path, file);
    struct oc_retention_result rr;
    oc_retention_pass(s, B + 10 * DAY_MS, 5, 0, &rr);
    assert_int_equal(rr.errors, 0);
    assert_int_equal(rr.publics_deleted, 1);
    assert_int_equal(rr.bytes_freed >= 4, 1);
    FILE *gone = fopen(file, "r");
    assert_null(gone);
    assert_int_equal(s->ops->public_expected(s, "p-box:c:1", box, sizeof box, hex, sizeof hex, path,
                                             sizeof path, &expired),
                     OC_OK);
    assert_string_equal(path, "");
    assert_string_equal(hex, ph);                     /* the record keeps its digest */
    oc_retention_pass(s, B + 10 * DAY_MS, 5, 0, &rr); /* nothing left to take */
    assert_int_equal(rr.publics_deleted, 0);
}

/* The plan of the question retention asks per expired image ("does another
 * record use this file?") reads an index, not every record: at 10 M
 * records a scan per image made a retention pass take hours. */
static int users_query_scans(void)
{
    static const char q[] = "SELECT COUNT(*) FROM violations WHERE evidence_path=$1 AND id<>$2";
    int scans = 0;
    if (pg) {
        PGconn *c = PQconnectdb(db);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        /* what the planner can use, whatever a small table's costs say */
        PQclear(PQexec(c, "SET enable_seqscan = off"));
        char sql[200];
        snprintf(sql, sizeof sql, "EXPLAIN %s", q);
        const char *v[] = {"x", "y"};
        PGresult *r = PQexecParams(c, sql, 2, NULL, v, NULL, NULL, 0);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        for (int i = 0; i < PQntuples(r); i++)
            scans += strstr(PQgetvalue(r, i, 0), "Seq Scan") != NULL;
        PQclear(r);
        PQfinish(c);
        return scans;
    }
    sqlite3 *c;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &c), SQLITE_OK);
    char sql[200];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", q);
    assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        scans += detail && strstr(detail, "USING") == NULL; /* SCAN violations */
    }
    sqlite3_finalize(st);
    sqlite3_close(c);
    return scans;
}

static void an_images_users_are_found_by_index(void **state)
{
    (void)state;
    ty = "rev_u";
    assert_int_equal(put_record("rev-box:cam-r:201", B), 1);
    assert_int_equal(put_record("rev-box:cam-r:202", B + 1), 1);
    assert_int_equal(put_record("rev-box:cam-r:203", B + 2), 1);
    assert_int_equal(s->ops->evidence_stored(s, "rev-box:cam-r:201", "/e/shared.jpg", 4), OC_OK);
    assert_int_equal(s->ops->evidence_stored(s, "rev-box:cam-r:202", "/e/shared.jpg", 4), OC_OK);
    assert_int_equal(s->ops->evidence_stored(s, "rev-box:cam-r:203", "/e/own.jpg", 4), OC_OK);
    int64_t n = -1;
    assert_int_equal(s->ops->image_users(s, "/e/shared.jpg", "rev-box:cam-r:201", &n), OC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s->ops->image_users(s, "/e/own.jpg", "rev-box:cam-r:203", &n), OC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(users_query_scans(), 0);
}

/* The day grains follow the offset central starts with: cut at the city's
 * midnight, counted again from the UTC buckets when the offset changes, so
 * a day of another offset never mixes in (B: 10:05 UTC, 18:05 in the city,
 * whose day began at D, 16:00 UTC the day before). */
static void day_grains_follow_the_offset(void **state)
{
    (void)state;
    ty = "rev_z";
    const int64_t utc_day = D + 8 * HOUR_MS;
    assert_int_equal(put(B, 7, 1), 0);
    for (enum grain g = G_DAY; g < G__COUNT; g++)
        assert_int_equal(count_at_tz(g, D, D + DAY_MS, TZ), 7);
    close_store();
    open_store_at(0);
    for (enum grain g = G_DAY; g < G__COUNT; g++) {
        assert_int_equal(count_at_tz(g, utc_day, utc_day + DAY_MS, 0), 7);
        /* the UTC day before: the city day's row (at D) no longer in it */
        assert_int_equal(count_at_tz(g, utc_day - DAY_MS, utc_day, 0), 0);
    }
    assert_int_equal(put(B + 1 * MIN_MS, 3, 1), 0); /* written at the new offset */
    assert_int_equal(count_at_tz(G_DAY_ROAD, utc_day, utc_day + DAY_MS, 0), 10);
    close_store();
    open_store();
    for (enum grain g = G_DAY; g < G__COUNT; g++)
        assert_int_equal(count_at_tz(g, D, D + DAY_MS, TZ), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(older_rev_after_newer_changes_nothing),
        cmocka_unit_test(rev_0_applies_as_before),
        cmocka_unit_test(batch_applies_newer_rows_only),
        cmocka_unit_test(batch_with_a_key_twice_applies_in_order),
        cmocka_unit_test(schema_1_database_migrates_keeping_tallies),
        cmocka_unit_test(retention_drops_a_whole_month),
        cmocka_unit_test(retention_takes_the_public_variant),
        cmocka_unit_test(an_images_users_are_found_by_index),
        cmocka_unit_test(day_grains_follow_the_offset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
