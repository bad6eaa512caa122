/* oc_spool on real SQLite files in a temporary directory: records and
 * their tallies together, duplicates counted once, pending order and
 * limits, states, tally revisions, evidence states and eviction order, the
 * migration of a spool made by the previous schema version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "oc_proc.h"
#include "oc_spool.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    return oc_tmpdir(dir, sizeof dir);
}

static int teardown(void **state)
{
    (void)state;
    return oc_rmtree(dir);
}

static struct oc_spool *open_s(void)
{
    char err[256] = "";
    struct oc_spool *s = oc_spool_open(dir, err, sizeof err);
    if (!s)
        fail_msg("open: %s", err);
    return s;
}

/* A record as oc_record_format makes it (without the newline). */
static const char *rec(char *buf, size_t len, const char *cam, unsigned seq, long long ts)
{
    snprintf(buf, len,
             "{\"id\":\"e:%s:%u\",\"box\":\"e\",\"camera\":\"%s\",\"type\":\"red_light\","
             "\"ts\":%lld,\"evidence\":null}",
             cam, seq, cam, ts);
    return buf;
}

static oc_err_t add(struct oc_spool *s, const char *cam, unsigned seq, long long ts,
                    const char *type, long long bucket, int ev_wait)
{
    char id[64], r[512];
    snprintf(id, sizeof id, "e:%s:%u", cam, seq);
    return oc_spool_add(s, cam, seq, id, ts, type, bucket, rec(r, sizeof r, cam, seq, ts), ev_wait);
}

struct got {
    char ids[16][64];
    char recs[16][512];
    size_t n;
};

static void on_pending(void *ud, const char *id, const char *record)
{
    struct got *g = ud;
    snprintf(g->ids[g->n], sizeof g->ids[0], "%s", id);
    snprintf(g->recs[g->n++], sizeof g->recs[0], "%s", record);
}

struct rows {
    char camera[16][16], type[16][32];
    int64_t bucket[16], count[16], rev[16];
    size_t n;
};

static void on_tally(void *ud, const char *camera, const char *type, int64_t bucket, int64_t count,
                     int64_t version)
{
    struct rows *r = ud;
    snprintf(r->camera[r->n], 16, "%s", camera);
    snprintf(r->type[r->n], 32, "%s", type);
    r->bucket[r->n] = bucket, r->count[r->n] = count, r->rev[r->n++] = version;
}

static struct got *pending(struct oc_spool *s, size_t limit)
{
    static struct got g;
    memset(&g, 0, sizeof g);
    size_t n = oc_spool_pending(s, limit, on_pending, &g);
    assert_int_equal(n, g.n);
    return &g;
}

static struct rows *dirty(struct oc_spool *s, size_t limit)
{
    static struct rows r;
    memset(&r, 0, sizeof r);
    size_t n = oc_spool_dirty_tallies(s, limit, on_tally, &r);
    assert_int_equal(n, r.n);
    return &r;
}

static void insert_dedupe_order_limits(void **state)
{
    (void)state;
    struct oc_spool *s = open_s();
    assert_int_equal(oc_spool_next_seq(s, "c1"), 1);
    assert_int_equal(add(s, "c1", 1, 3000, "red_light", 0, 0), OC_OK);
    assert_int_equal(add(s, "c1", 2, 1000, "red_light", 0, 0), OC_OK);
    assert_int_equal(add(s, "c2", 1, 2000, "wrong_way", 60000, 0), OC_OK);
    /* the same record again (a restart established it twice): stored and counted once */
    assert_int_equal(add(s, "c1", 2, 1000, "red_light", 0, 0), OC_OK);
    assert_int_equal(oc_spool_next_seq(s, "c1"), 3);
    assert_int_equal(oc_spool_next_seq(s, "c2"), 2);
    assert_int_equal(oc_spool_backlog(s), 3);
    struct got *g = pending(s, 10);
    assert_int_equal(g->n, 3); /* oldest first, by ts */
    assert_string_equal(g->ids[0], "e:c1:2");
    assert_string_equal(g->ids[1], "e:c2:1");
    assert_string_equal(g->ids[2], "e:c1:1");
    char want[512];
    assert_string_equal(g->recs[0], rec(want, sizeof want, "c1", 2, 1000));
    g = pending(s, 2); /* the limit, on both sides */
    assert_int_equal(g->n, 2);
    assert_string_equal(g->ids[1], "e:c2:1");
    struct rows *r = dirty(s, 10);
    assert_int_equal(r->n, 2); /* by bucket */
    assert_string_equal(r->camera[0], "c1");
    assert_int_equal(r->count[0], 2);
    assert_int_equal(r->rev[0], 2);
    assert_string_equal(r->type[1], "wrong_way");
    assert_int_equal(r->bucket[1], 60000);
    assert_int_equal(r->count[1], 1);
    assert_int_equal(dirty(s, 1)->n, 1);
    oc_spool_close(s);
    /* durable: a new handle sees the same */
    s = open_s();
    assert_int_equal(oc_spool_backlog(s), 3);
    oc_spool_close(s);
}

static void states(void **state)
{
    (void)state;
    struct oc_spool *s = open_s();
    for (unsigned i = 1; i <= 4; i++)
        add(s, "c1", i, 1000 * i, "red_light", 0, 0);
    const char *sent[] = {"e:c1:1", "e:c1:3"}, *parked = "e:c1:2";
    assert_int_equal(oc_spool_mark(s, sent, 2, OC_SPOOL_ACCEPTED), OC_OK);
    assert_int_equal(oc_spool_mark(s, &parked, 1, OC_SPOOL_REJECTED), OC_OK);
    assert_int_equal(oc_spool_backlog(s), 1);
    struct got *g = pending(s, 10);
    assert_int_equal(g->n, 1);
    assert_string_equal(g->ids[0], "e:c1:4");
    /* a record waiting for its image is not sent until it is settled */
    add(s, "c1", 5, 500, "red_light", 0, 1);
    assert_int_equal(pending(s, 10)->n, 1);
    assert_int_equal(oc_spool_backlog(s), 2); /* but it is backlog */
    assert_int_equal(oc_spool_evidence(s, "e:c1:5", NULL, 0), OC_OK);
    g = pending(s, 10);
    assert_int_equal(g->n, 2);
    assert_string_equal(g->ids[0], "e:c1:5");
    assert_true(strstr(g->recs[0], "\"evidence\":null}") != NULL);
    assert_int_equal(oc_spool_evidence(s, "e:c1:99", NULL, 0), OC_ENOTFOUND);
    /* waiting records left by a stopped process are settled at start-up */
    add(s, "c1", 6, 600, "red_light", 0, 1);
    add(s, "c2", 1, 700, "red_light", 0, 1);
    assert_int_equal(oc_spool_settle_waiting(s, NULL, NULL), 2);
    assert_int_equal(pending(s, 10)->n, 4);
    assert_int_equal(oc_spool_settle_waiting(s, NULL, NULL), 0);
    oc_spool_close(s);
}

static void tally_revisions(void **state)
{
    (void)state;
    struct oc_spool *s = open_s();
    add(s, "c1", 1, 1000, "red_light", 0, 0);
    add(s, "c1", 2, 1001, "red_light", 0, 0);
    struct rows *r = dirty(s, 10);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->count[0], 2);
    int64_t rev = r->rev[0];
    assert_int_equal(rev, 2);
    /* an upload of rev 2 is in flight while a third violation is counted */
    add(s, "c1", 3, 1002, "red_light", 0, 0);
    assert_int_equal(oc_spool_tally_sent(s, "c1", "red_light", 0, rev), OC_OK);
    r = dirty(s, 10);
    assert_int_equal(r->n, 1); /* still dirty: central has rev 2, the row is at 3 */
    assert_int_equal(r->count[0], 3);
    assert_int_equal(r->rev[0], 3);
    assert_int_equal(oc_spool_tally_sent(s, "c1", "red_light", 0, 3), OC_OK);
    assert_int_equal(dirty(s, 10)->n, 0);
    /* a late answer for an older rev does not make the row dirty again */
    assert_int_equal(oc_spool_tally_sent(s, "c1", "red_light", 0, 2), OC_OK);
    assert_int_equal(dirty(s, 10)->n, 0);
    /* every change raises the rev: never the same rev for two counts */
    add(s, "c1", 4, 1003, "red_light", 0, 0);
    r = dirty(s, 10);
    assert_int_equal(r->rev[0], 4);
    assert_int_equal(r->count[0], 4);
    /* a batch of marks in one transaction */
    assert_int_equal(oc_spool_begin(s), OC_OK);
    assert_int_equal(oc_spool_tally_sent(s, "c1", "red_light", 0, 4), OC_OK);
    assert_int_equal(oc_spool_commit(s), OC_OK);
    assert_int_equal(dirty(s, 10)->n, 0);
    oc_spool_close(s);
}

static void image(struct oc_spool *s, unsigned seq, const char *file, int64_t size)
{
    char id[32];
    snprintf(id, sizeof id, "e:c1:%u", seq);
    int64_t frames[] = {1000, 2000};
    struct oc_record_evidence ev = {file, "ab", frames, 2, 0, NULL};
    char sha[65];
    memset(sha, 'a', 64), sha[64] = '\0';
    ev.sha256 = sha;
    assert_int_equal(oc_spool_evidence(s, id, &ev, size), OC_OK);
}

struct todo {
    char ids[16][32];
    size_t n;
};

static void on_todo(void *ud, const char *id, const char *file, const char *sha)
{
    (void)file, (void)sha;
    struct todo *t = ud;
    snprintf(t->ids[t->n++], 32, "%s", id);
}

static void evidence_and_eviction_order(void **state)
{
    (void)state;
    struct oc_spool *s = open_s();
    for (unsigned i = 1; i <= 4; i++)
        add(s, "c1", i, 1000 * i, "red_light", 0, 1);
    image(s, 2, "d/e-c1-2.jpg", 200); /* settled out of order: eviction goes by insertion */
    image(s, 1, "d/e-c1-1.jpg", 100);
    image(s, 3, "d/e-c1-3.jpg", 300);
    assert_int_equal(oc_spool_evidence(s, "e:c1:4", NULL, 0), OC_OK);
    assert_int_equal(oc_spool_evidence_bytes(s), 600);
    struct got *g = pending(s, 10);
    assert_int_equal(g->n, 4);
    assert_true(strstr(g->recs[0], "\"evidence\":{\"file\":\"d/e-c1-1.jpg\",\"sha256\":\"aaaa") !=
                NULL);
    assert_true(strstr(g->recs[0], "\"frames\":[1000,2000]}}") != NULL);
    /* images go up only after their records were accepted */
    struct todo t = {0};
    assert_int_equal(oc_spool_evidence_todo(s, 10, on_todo, &t), 0);
    const char *ids[] = {"e:c1:1", "e:c1:2"};
    oc_spool_mark(s, ids, 2, OC_SPOOL_ACCEPTED);
    assert_int_equal(oc_spool_evidence_todo(s, 10, on_todo, &t), 2);
    assert_string_equal(t.ids[0], "e:c1:1");
    memset(&t, 0, sizeof t);
    assert_int_equal(oc_spool_evidence_todo(s, 1, on_todo, &t), 1); /* the limit */
    assert_int_equal(oc_spool_evidence_mark(s, "e:c1:1", OC_SPOOL_EV_SENT), OC_OK);
    memset(&t, 0, sizeof t);
    assert_int_equal(oc_spool_evidence_todo(s, 10, on_todo, &t), 1);
    assert_string_equal(t.ids[0], "e:c1:2");
    /* eviction: the oldest image on disk first, sent or not */
    char id[64], file[64];
    uint64_t size = 0;
    assert_int_equal(oc_spool_evidence_oldest(s, id, sizeof id, file, sizeof file, &size), OC_OK);
    assert_string_equal(id, "e:c1:1");
    assert_string_equal(file, "d/e-c1-1.jpg");
    assert_int_equal(size, 100);
    assert_int_equal(oc_spool_evidence_evicted(s, id), OC_OK);
    assert_int_equal(oc_spool_evidence_bytes(s), 500);
    assert_int_equal(oc_spool_evidence_oldest(s, id, sizeof id, file, sizeof file, &size), OC_OK);
    assert_string_equal(id, "e:c1:2");
    /* a record central has not got yet says its image was evicted */
    assert_int_equal(oc_spool_evidence_oldest(s, id, sizeof id, file, sizeof file, &size), OC_OK);
    oc_spool_evidence_evicted(s, "e:c1:2");
    oc_spool_evidence_evicted(s, "e:c1:3");
    g = pending(s, 10);
    assert_int_equal(g->n, 2); /* 3 and 4 */
    assert_string_equal(g->ids[0], "e:c1:3");
    assert_true(strstr(g->recs[0], "\"frames\":[1000,2000],\"evicted\":true}}") != NULL);
    assert_int_equal(oc_spool_evidence_bytes(s), 0);
    assert_int_equal(oc_spool_evidence_oldest(s, id, sizeof id, file, sizeof file, &size),
                     OC_ENOTFOUND);
    oc_spool_close(s);
}

/* The spool as the version before evidence made it (user_version 0). */
static const char V0[] =
    "CREATE TABLE records(camera TEXT NOT NULL, seq INTEGER NOT NULL,"
    " id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, record TEXT NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(camera, seq));"
    "CREATE INDEX records_pending ON records(state, ts, id);"
    "CREATE TABLE tallies(camera TEXT NOT NULL, type TEXT NOT NULL,"
    " bucket INTEGER NOT NULL, count INTEGER NOT NULL, version INTEGER NOT NULL,"
    " sent_version INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(camera, type, bucket)) WITHOUT ROWID;"
    "INSERT INTO records VALUES('c1', 1, 'e:c1:1', 1000,"
    " '{\"id\":\"e:c1:1\",\"ts\":1000,\"evidence\":null}', 0);"
    "INSERT INTO records VALUES('c1', 2, 'e:c1:2', 2000, '{\"id\":\"e:c1:2\",\"evidence\":null}', "
    "1);"
    "INSERT INTO tallies VALUES('c1', 'red_light', 0, 2, 2, 1);";

static int user_version(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/spool.sqlite", dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void migrates_previous_version(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/spool.sqlite", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, V0, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(user_version(), 0);
    struct oc_spool *s = open_s();
    assert_int_equal(user_version(), 2);
    /* what was there is still there, in its state */
    assert_int_equal(oc_spool_backlog(s), 1);
    struct got *g = pending(s, 10);
    assert_int_equal(g->n, 1);
    assert_string_equal(g->ids[0], "e:c1:1");
    struct rows *r = dirty(s, 10);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->rev[0], 2);
    assert_int_equal(oc_spool_next_seq(s, "c1"), 3);
    /* and the new columns work */
    add(s, "c1", 3, 3000, "red_light", 0, 1);
    image(s, 3, "d/x.jpg", 42);
    assert_int_equal(oc_spool_evidence_bytes(s), 42);
    r = dirty(s, 10);
    assert_int_equal(r->count[0], 3);
    assert_int_equal(r->rev[0], 3);
    oc_spool_close(s);
    /* opening a migrated spool again changes nothing */
    s = open_s();
    assert_int_equal(user_version(), 2);
    assert_int_equal(oc_spool_backlog(s), 2);
    oc_spool_close(s);
}

/* A record settled with a public variant (both files' size in one). */
static void public_image(struct oc_spool *s, unsigned seq, int64_t size)
{
    char id[32], file[32], sha[65], pub[65];
    snprintf(id, sizeof id, "e:c1:%u", seq);
    snprintf(file, sizeof file, "d/e-c1-%u.jpg", seq);
    memset(sha, 'a', 64), sha[64] = '\0';
    memset(pub, 'b', 64), pub[64] = '\0';
    int64_t frames[] = {1000};
    struct oc_record_evidence ev = {file, sha, frames, 1, 0, pub};
    assert_int_equal(oc_spool_evidence(s, id, &ev, size), OC_OK);
}

/* The public variant goes up after its private image was stored, is
 * marked sent, gone with an eviction before it was sent, never without its
 * private image; the spool counts both files as one size. */
static void public_variant_states(void **state)
{
    (void)state;
    struct oc_spool *s = open_s();
    for (unsigned i = 1; i <= 3; i++)
        add(s, "c1", i, 1000 * i, "red_light", 0, 1);
    public_image(s, 1, 150);
    public_image(s, 2, 250);
    assert_int_equal(oc_spool_evidence(s, "e:c1:3", NULL, 0), OC_OK);
    assert_int_equal(oc_spool_evidence_bytes(s), 400);
    struct got *g = pending(s, 10);
    assert_true(strstr(g->recs[0], "\"public_sha256\":\"bbbb") != NULL);
    const char *ids[] = {"e:c1:1", "e:c1:2", "e:c1:3"};
    oc_spool_mark(s, ids, 3, OC_SPOOL_ACCEPTED);
    struct todo t = {0};
    assert_int_equal(oc_spool_public_todo(s, 10, on_todo, &t), 0); /* private images first */
    assert_int_equal(oc_spool_evidence_mark(s, "e:c1:1", OC_SPOOL_EV_SENT), OC_OK);
    assert_int_equal(oc_spool_public_todo(s, 10, on_todo, &t), 1);
    assert_string_equal(t.ids[0], "e:c1:1");
    assert_int_equal(oc_spool_public_mark(s, "e:c1:1", OC_SPOOL_PUB_SENT), OC_OK);
    memset(&t, 0, sizeof t);
    assert_int_equal(oc_spool_public_todo(s, 10, on_todo, &t), 0);
    /* record 2's images are evicted before its public variant went up */
    assert_int_equal(oc_spool_evidence_mark(s, "e:c1:2", OC_SPOOL_EV_SENT), OC_OK);
    assert_int_equal(oc_spool_evidence_evicted(s, "e:c1:1"), OC_OK);
    assert_int_equal(oc_spool_evidence_evicted(s, "e:c1:2"), OC_OK);
    assert_int_equal(oc_spool_evidence_bytes(s), 0);
    assert_int_equal(oc_spool_public_todo(s, 10, on_todo, &t), 0);
    /* a record without a public variant keeps none, whatever is marked */
    assert_int_equal(oc_spool_public_mark(s, "e:c1:3", OC_SPOOL_PUB_PARKED), OC_OK);
    oc_spool_close(s);
    char path[300];
    snprintf(path, sizeof path, "%s/spool.sqlite", dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT id, pub_state FROM records ORDER BY id", -1, &st, NULL),
        SQLITE_OK);
    int want[] = {OC_SPOOL_PUB_SENT, OC_SPOOL_PUB_GONE, OC_SPOOL_PUB_NONE};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 1), want[i]);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* A spool of version 1 (public variants made, none sent) migrates: the
 * public variants of images still on disk are to be sent. */
static void public_variant_migrates_from_version_1(void **state)
{
    (void)state;
    struct oc_spool *s = open_s();
    add(s, "c1", 1, 1000, "red_light", 0, 1);
    add(s, "c1", 2, 2000, "red_light", 0, 1);
    public_image(s, 1, 100);
    public_image(s, 2, 100);
    const char *ids[] = {"e:c1:1", "e:c1:2"};
    oc_spool_mark(s, ids, 2, OC_SPOOL_ACCEPTED);
    oc_spool_evidence_mark(s, "e:c1:1", OC_SPOOL_EV_SENT);
    oc_spool_evidence_evicted(s, "e:c1:2");
    oc_spool_close(s);
    char path[300];
    snprintf(path, sizeof path, "%s/spool.sqlite", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP INDEX records_pub; ALTER TABLE records DROP COLUMN pub_sha;"
                                  " ALTER TABLE records DROP COLUMN pub_state;"
                                  " PRAGMA user_version=1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(user_version(), 1);
    s = open_s();
    assert_int_equal(user_version(), 2);
    struct todo t = {0};
    assert_int_equal(oc_spool_public_todo(s, 10, on_todo, &t), 1);
    assert_string_equal(t.ids[0], "e:c1:1");
    oc_spool_close(s);
}

static void refuses_what_it_cannot_open(void **state)
{
    (void)state;
    char err[256] = "";
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir", dir);
    assert_null(oc_spool_open(bad, err, sizeof err));
    assert_true(strstr(err, "spool.sqlite") != NULL);
    /* a file that is not a database */
    char path[300];
    snprintf(path, sizeof path, "%s/spool.sqlite", dir);
    FILE *f = fopen(path, "w");
    fputs("this is not a database, but long enough to have a header of sorts...........\n", f);
    fclose(f);
    err[0] = '\0';
    assert_null(oc_spool_open(dir, err, sizeof err));
    assert_true(err[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(insert_dedupe_order_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(states, setup, teardown),
        cmocka_unit_test_setup_teardown(tally_revisions, setup, teardown),
        cmocka_unit_test_setup_teardown(evidence_and_eviction_order, setup, teardown),
        cmocka_unit_test_setup_teardown(migrates_previous_version, setup, teardown),
        cmocka_unit_test_setup_teardown(public_variant_states, setup, teardown),
        cmocka_unit_test_setup_teardown(public_variant_migrates_from_version_1, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_what_it_cannot_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
