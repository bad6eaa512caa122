/* The report's kept aggregates against the records they stand for, on the
 * store called directly: a randomised set of records (plates, enforcement
 * and other types, times on and next to the weeks' and months' edges) is
 * stored, some before the repeat plate counts exist (as before the
 * migration), then decided at random; every week's and month's repeat
 * plates read from the kept counts equal those counted from the records
 * (the store's own query of the rows, and this test's count of what it
 * stored), after a change of the enforcement types too; after retention
 * deleted the oldest records, every report of those periods is what it was
 * before (the counts describe what was counted). Runs against a fresh SQLite
 * file, or the PostgreSQL database in OC_TEST_DB (central_api_pg.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oc_proc.h"
#include "oc_report.h"
#include "oc_store.h"
#include "ordercam/oc_codes.h"

#define TZ 480
#define DAY_MS 86400000LL
#define WEEKS 10
#define N_PLATES 24
#define N_RECORDS 700
/* 2025-10-27 00:00 +08:00, a Monday */
#define T0 1761494400000LL

static char dir[256], db[600];
static int pg;
static struct oc_store *s;
static struct oc_codes *codes;
static const char *enf[12]; /* the code table's enforcement types */
static size_t n_enf;

struct rec {
    char id[40], plate[16]; /* plate "" : none; "-": the record has no plate field */
    const char *type;
    int64_t ts;
    int status;  /* 0 pending, 1 confirmed, 2 rejected */
    int deleted; /* by retention */
};
static struct rec recs[N_RECORDS];
static size_t n_recs;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void open_store(void)
{
    char err[256] = "";
    s = pg ? oc_store_pg_open(db, 2, TZ, err, sizeof err)
           : oc_store_sqlite_open(db, 2, TZ, err, sizeof err);
    if (!s)
        fail_msg("open %s: %s", pg ? "PostgreSQL" : db, err);
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
    char err[200];
    assert_int_equal(oc_codes_builtin("zh-CN", &codes, err, sizeof err), OC_OK);
    n_enf = oc_report_plate_types(codes, enf, 12);
    assert_true(n_enf >= 3);
    open_store();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (s)
        s->ops->close(s);
    oc_codes_free(codes);
    if (!pg) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
    }
    return 0;
}

/* A time in the test's weeks: often right on or next to a week's or a
 * month's first ms. */
static int64_t some_ts(void)
{
    int64_t span = WEEKS * 7 * DAY_MS;
    uint64_t k = rnd() % 10;
    if (k < 6)
        return T0 + (int64_t)(rnd() % (uint64_t)span);
    int64_t edge, to, prev;
    if (k < 8) {
        edge = T0 + (int64_t)(rnd() % WEEKS) * 7 * DAY_MS;
    } else {
        oc_report_bounds(OC_REPORT_MONTH, T0 + (int64_t)(rnd() % (uint64_t)span), TZ, &edge, &to,
                         &prev);
        if (edge < T0)
            edge = to;
    }
    return edge + (int64_t)(rnd() % 3) - 1;
}

/* The test's cameras c0, c1, c2: roads R0..R2, units U0, U1, U1; once
 * c2_moved, c2 stands on R0 of U0. */
static int c2_moved;

static const char *road_of(const char *cam)
{
    static const char *const r[] = {"R0", "R1", "R2"};
    return c2_moved && cam[1] == '2' ? "R0" : r[cam[1] - '0'];
}

static const char *unit_of(const char *cam)
{
    return cam[1] == '0' || (c2_moved && cam[1] == '2') ? "U0" : "U1";
}

/* Stores n new random records. */
static void add_records(size_t n)
{
    static const char *const other[] = {"jaywalking", "no_helmet", "littering"};
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n && n_recs < N_RECORDS; i++) {
        struct rec *r = &recs[n_recs];
        char cam[8];
        snprintf(cam, sizeof cam, "c%d", (int)(rnd() % 3));
        snprintf(r->id, sizeof r->id, "pbox:%s:%zu", cam, n_recs + 1);
        uint64_t k = rnd() % 20;
        if (k == 0)
            snprintf(r->plate, sizeof r->plate, "-");
        else if (k == 1)
            r->plate[0] = '\0';
        else
            snprintf(r->plate, sizeof r->plate, "P%02d", (int)(rnd() % N_PLATES));
        r->type = rnd() % 4 == 0 ? other[rnd() % 3] : enf[rnd() % n_enf];
        r->ts = some_ts();
        r->status = 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", r->id);
        cJSON_AddStringToObject(o, "camera", cam);
        cJSON_AddStringToObject(o, "road", road_of(cam));
        cJSON_AddStringToObject(o, "unit", unit_of(cam));
        cJSON_AddStringToObject(o, "type", r->type);
        cJSON_AddNumberToObject(o, "ts", (double)r->ts);
        if (strcmp(r->plate, "-") != 0)
            cJSON_AddStringToObject(o, "plate", r->plate);
        cJSON_AddItemToArray(arr, o);
        n_recs++;
    }
    struct oc_insert_result res = {0};
    assert_int_equal(s->ops->put_violations(s, "pbox", 1, arr, &res), OC_OK);
    assert_int_equal(res.inserted, cJSON_GetArraySize(arr));
    cJSON_Delete(arr);
}

/* Decides about a third of the pending records, half of them rejected. */
static void decide_some(void)
{
    for (size_t i = 0; i < n_recs; i++) {
        if (recs[i].status || recs[i].deleted || rnd() % 3)
            continue;
        int reject = rnd() % 2;
        enum oc_decide out;
        assert_int_equal(s->ops->review_decide(s, recs[i].id, "rev", reject ? "reject" : "confirm",
                                               reject ? "wrong_class" : NULL, NULL, 1, &out),
                         OC_OK);
        assert_int_equal(out, OC_DECIDE_OK);
        recs[i].status = reject ? 2 : 1;
    }
}

struct pcount {
    char plate[16];
    int64_t n, first, last;
};

static int pcount_order(const void *a, const void *b)
{
    const struct pcount *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->plate, y->plate);
}

/* The repeat plates of [from, to) as this test counts its records. */
static cJSON *expected(int64_t from, int64_t to, const char *const *types, size_t nt, int limit)
{
    struct pcount c[N_PLATES] = {0};
    for (int i = 0; i < N_PLATES; i++) {
        snprintf(c[i].plate, sizeof c[i].plate, "P%02d", i);
        c[i].first = INT64_MAX;
        c[i].last = INT64_MIN;
    }
    for (size_t i = 0; i < n_recs; i++) {
        const struct rec *r = &recs[i];
        int t = 0;
        for (size_t k = 0; k < nt; k++)
            t |= strcmp(types[k], r->type) == 0;
        if (!t || r->status == 2 || r->ts < from || r->ts >= to || r->plate[0] != 'P')
            continue;
        struct pcount *p = &c[atoi(r->plate + 1)];
        p->n++;
        p->first = r->ts < p->first ? r->ts : p->first;
        p->last = r->ts > p->last ? r->ts : p->last;
    }
    qsort(c, N_PLATES, sizeof *c, pcount_order);
    cJSON *out = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(out, "plates");
    for (int i = 0; i < N_PLATES && i < limit && c[i].n >= 2; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "plate", c[i].plate);
        cJSON_AddNumberToObject(o, "count", (double)c[i].n);
        cJSON_AddNumberToObject(o, "first", (double)c[i].first);
        cJSON_AddNumberToObject(o, "last", (double)c[i].last);
        cJSON_AddItemToArray(arr, o);
    }
    return out;
}

static void assert_same(const cJSON *want, const cJSON *got, const char *what, int64_t from)
{
    char *a = cJSON_PrintUnformatted(want), *b = cJSON_PrintUnformatted(got);
    if (strcmp(a, b) != 0)
        fail_msg("%s from %lld:\n want %s\n got  %s", what, (long long)from, a, b);
    free(a);
    free(b);
}

/* Every week and month of the test: the kept counts, the store's count of
 * the records (the types with one more, which none has: not the kept
 * ones) and the test's own count agree. raw: compare the records' counts
 * too (not after retention, which deleted records the kept counts hold). */
static void check_periods(const char *const *types, size_t nt, int raw, int limit)
{
    const char *more[13];
    memcpy(more, types, nt * sizeof *types);
    more[nt] = "zz_not_a_type";
    for (int p = 0; p < 2; p++) {
        int64_t day = T0;
        for (int k = 0; k < (p ? 4 : WEEKS); k++) {
            int64_t from, to, prev;
            oc_report_bounds(p ? OC_REPORT_MONTH : OC_REPORT_WEEK, day, TZ, &from, &to, &prev);
            day = to;
            cJSON *kept = s->ops->plates(s, from, to, types, nt, limit);
            cJSON *want = expected(from, to, types, nt, limit);
            assert_non_null(kept);
            assert_same(want, kept, p ? "month, kept" : "week, kept", from);
            if (raw) {
                cJSON *rows = s->ops->plates(s, from, to, more, nt + 1, limit);
                assert_non_null(rows);
                assert_same(want, rows, p ? "month, records" : "week, records", from);
                cJSON_Delete(rows);
            }
            cJSON_Delete(kept);
            cJSON_Delete(want);
        }
    }
}

static void plates_from_kept_counts_equal_the_records(void **state)
{
    (void)state;
    /* records stored before the counts are kept (a store before the
     * migration): counted when the types are set */
    add_records(250);
    assert_int_equal(s->ops->plates_setup(s, enf, n_enf), OC_OK);
    check_periods(enf, n_enf, 1, 20);
    check_periods(enf, n_enf, 1, 3); /* ties at the limit: by plate */
    /* kept as records arrive and as they are decided */
    add_records(250);
    check_periods(enf, n_enf, 1, 20);
    decide_some();
    add_records(100);
    decide_some();
    check_periods(enf, n_enf, 1, 20);
    /* other enforcement types at a restart: counted again; and back */
    s->ops->close(s);
    open_store();
    assert_int_equal(s->ops->plates_setup(s, enf, 2), OC_OK);
    check_periods(enf, 2, 1, 20);
    add_records(50);
    decide_some();
    check_periods(enf, 2, 1, 20);
    assert_int_equal(s->ops->plates_setup(s, enf, n_enf), OC_OK);
    check_periods(enf, n_enf, 1, 20);
}

static cJSON *report(enum oc_report_period p, enum oc_report_by by, int64_t day)
{
    cJSON *r = oc_report_make(s, codes, p, by, day, TZ);
    assert_non_null(r);
    return r;
}

static void camera_of(const struct rec *r, char *cam)
{
    cam[0] = 'c';
    cam[1] = strchr(r->id, ':')[2];
    cam[2] = '\0';
}

/* The records of [from, to) whose camera's place is name (a unit or a
 * road; NULL: all, cam: that camera only) with status st (-1: any). */
static double model_count(int64_t from, int64_t to, int by_road, const char *name,
                          const char *only_cam, int st)
{
    double n = 0;
    for (size_t i = 0; i < n_recs; i++) {
        char cam[4];
        camera_of(&recs[i], cam);
        const char *place = by_road ? road_of(cam) : unit_of(cam);
        if (recs[i].ts >= from && recs[i].ts < to && (!name || strcmp(place, name) == 0) &&
            (!only_cam || strcmp(cam, only_cam) == 0) && (st < 0 || recs[i].status == st))
            n++;
    }
    return n;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* With tallies for every record, each week's and month's report counts
 * the records, the confirmed ones and the cameras' rejection rates as the
 * test stored and decided them. */
static void report_counts_equal_the_records(void **state)
{
    (void)state;
    if (n_recs == 0) { /* run alone */
        add_records(400);
        assert_int_equal(s->ops->plates_setup(s, enf, n_enf), OC_OK);
        decide_some();
    }
    struct oc_tally_in t[N_RECORDS];
    char cams[N_RECORDS][4];
    size_t nt = 0;
    for (size_t i = 0; i < n_recs; i++) {
        camera_of(&recs[i], cams[nt]);
        int64_t b = recs[i].ts - recs[i].ts % 3600000;
        size_t k = 0;
        while (k < nt && !(t[k].bucket == b && strcmp(t[k].type, recs[i].type) == 0 &&
                           strcmp(t[k].camera, cams[nt]) == 0))
            k++;
        if (k == nt)
            t[nt++] = (struct oc_tally_in){
                .camera = cams[k], .type = recs[i].type, .bucket = b, .count = 0};
        t[k].count++;
    }
    struct oc_camera_in places[3];
    static const char *const ids[] = {"c0", "c1", "c2"};
    for (int i = 0; i < 3; i++)
        places[i] = (struct oc_camera_in){
            .id = ids[i], .location = "x", .road = road_of(ids[i]), .unit = unit_of(ids[i])};
    size_t stale = 0;
    assert_int_equal(s->ops->put_tallies(s, "pbox", NULL, -1, 1, t, nt, places, 3, &stale), OC_OK);
    for (int p = 0; p < 2; p++) {
        for (int by_road = 0; by_road < 2; by_road++) {
            int64_t day = T0;
            for (int k = 0; k < (p ? 3 : WEEKS); k++) {
                int64_t from, to, prev;
                enum oc_report_period per = p ? OC_REPORT_MONTH : OC_REPORT_WEEK;
                oc_report_bounds(per, day, TZ, &from, &to, &prev);
                day = to;
                cJSON *r = report(per, by_road ? OC_REPORT_ROAD : OC_REPORT_UNIT, from);
                cJSON *tot = cJSON_GetObjectItem(r, "total");
                if (p) /* a month has every camera */
                    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "cameras")), 3);
                assert_true(num(tot, "count") == model_count(from, to, by_road, NULL, NULL, -1));
                assert_true(num(tot, "records") == model_count(from, to, by_road, NULL, NULL, -1));
                assert_true(num(tot, "confirmed") == model_count(from, to, by_road, NULL, NULL, 1));
                const cJSON *e;
                cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "ranking"))
                {
                    const char *name = cJSON_GetObjectItem(e, "name")->valuestring;
                    assert_true(num(e, "records") ==
                                model_count(from, to, by_road, name, NULL, -1));
                    assert_true(num(e, "confirmed") ==
                                model_count(from, to, by_road, name, NULL, 1));
                }
                cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "cameras"))
                {
                    const char *cam = cJSON_GetObjectItem(e, "camera")->valuestring;
                    double c = model_count(from, to, 0, NULL, cam, 1),
                           rj = model_count(from, to, 0, NULL, cam, 2);
                    const cJSON *rate = cJSON_GetObjectItem(e, "rejection_rate");
                    if (c + rj > 0)
                        assert_true(cJSON_IsNumber(rate) && rate->valuedouble == rj / (c + rj));
                    else
                        assert_true(cJSON_IsNull(rate));
                }
                cJSON_Delete(r);
            }
        }
    }
}

static void reports_stay_after_retention(void **state)
{
    (void)state;
    if (n_recs == 0) { /* run alone */
        add_records(400);
        assert_int_equal(s->ops->plates_setup(s, enf, n_enf), OC_OK);
        decide_some();
    }
    /* every report of the first weeks and months, before retention */
    cJSON *before[WEEKS + 4];
    int n = 0;
    for (int k = 0; k < WEEKS; k++)
        before[n++] =
            report(OC_REPORT_WEEK, k % 2 ? OC_REPORT_ROAD : OC_REPORT_UNIT, T0 + k * 7 * DAY_MS);
    for (int k = 0; k < 3; k++)
        before[n++] = report(OC_REPORT_MONTH, OC_REPORT_UNIT, T0 + k * 31 * DAY_MS);
    /* delete the records of the first five weeks and a bit */
    int64_t cut = T0 + 5 * 7 * DAY_MS + 3 * 3600000, deleted = 0, all = 0;
    do {
        assert_int_equal(s->ops->records_delete_before(s, cut, 100, &deleted), OC_OK);
        all += deleted;
    } while (deleted > 0);
    size_t gone = 0;
    for (size_t i = 0; i < n_recs; i++) {
        recs[i].deleted = recs[i].ts < cut;
        gone += (size_t)recs[i].deleted;
    }
    assert_int_equal(all, (int64_t)gone);
    assert_true(gone > 100);
    /* the kept plates are those counted before */
    check_periods(enf, n_enf, 0, 20);
    n = 0;
    for (int k = 0; k < WEEKS; k++) {
        cJSON *r =
            report(OC_REPORT_WEEK, k % 2 ? OC_REPORT_ROAD : OC_REPORT_UNIT, T0 + k * 7 * DAY_MS);
        assert_same(before[n], r, "week's report after retention", T0 + k * 7 * DAY_MS);
        cJSON_Delete(r);
        cJSON_Delete(before[n++]);
    }
    for (int k = 0; k < 3; k++) {
        cJSON *r = report(OC_REPORT_MONTH, OC_REPORT_UNIT, T0 + k * 31 * DAY_MS);
        assert_same(before[n], r, "month's report after retention", T0 + k * 31 * DAY_MS);
        cJSON_Delete(r);
        cJSON_Delete(before[n++]);
    }
    /* and a decision after retention still keeps the counts exact for the
     * records that remain */
    decide_some();
    for (int k = 6; k < WEEKS; k++) {
        int64_t from, to, prev;
        oc_report_bounds(OC_REPORT_WEEK, T0 + k * 7 * DAY_MS, TZ, &from, &to, &prev);
        cJSON *kept = s->ops->plates(s, from, to, enf, n_enf, 20);
        cJSON *want = expected(from, to, enf, n_enf, 20);
        assert_same(want, kept, "week after retention and decisions", from);
        cJSON_Delete(kept);
        cJSON_Delete(want);
    }
}

/* A camera moved to another road and unit takes its decided records'
 * status counts along: the reports count them at the new place. */
static void reports_follow_a_moved_camera(void **state)
{
    c2_moved = 1;
    report_counts_equal_the_records(state); /* its places sent again: c2 moves */
    c2_moved = 0;
    report_counts_equal_the_records(state); /* and back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plates_from_kept_counts_equal_the_records),
        cmocka_unit_test(report_counts_equal_the_records),
        cmocka_unit_test(reports_follow_a_moved_camera),
        cmocka_unit_test(reports_stay_after_retention),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
