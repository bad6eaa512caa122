/* Benchmarks of ordercam-central (docs/bench.md):
 *   ingest URL CA N_CLIENTS RECORDS  concurrent boxes posting batches of records and tallies
 *   load DB VIOLATIONS               fills a store directly (30 days, 500 cameras, 10 types)
 *   query URL CA RUNS                the counts query by road x type over 30 days
 *   page URL CA RUNS                 the violations page query (newest 50, then one type's)
 * URL may list several centrals separated by commas (ingest: box i posts to
 * the (i mod n)th). Every request gives up after 300 s.
 * Box i uses token "bench-box-token-<i>-0123456789", the viewer "bench-viewer-token-0123456789". */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0 1761955200000LL /* 2025-11-01 00:00 UTC */
#define DAY 86400000LL
#define CAMERAS 500
static const char *const TYPES[] = {"red_light",
                                    "illegal_parking",
                                    "wrong_way",
                                    "jaywalking",
                                    "no_helmet",
                                    "stop_line_crossing",
                                    "nonmotor_red_light",
                                    "pedestrian_red_light",
                                    "tactile_paving_occupied",
                                    "littering"};
#define NTYPES 10

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

struct client {
    const char *url, *ca;
    int id, records;
    double busy;
    long failures;
};

static long post(CURL *c, const char *url, const char *token, const char *body, size_t len)
{
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    return status;
}

static void *ingest_client(void *arg)
{
    struct client *cl = arg;
    char token[64], box[32], url[256];
    snprintf(token, sizeof token, "bench-box-token-%d-0123456789", cl->id);
    snprintf(box, sizeof box, "bench-%d", cl->id);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_CAINFO, cl->ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    size_t cap = 1000 * 700 + 256;
    char *body = malloc(cap);
    int seq = 1;
    for (int done = 0; done < cl->records; done += 1000) {
        size_t n = (size_t)snprintf(body, cap, "{\"box\":\"%s\",\"violations\":[", box);
        for (int k = 0; k < 1000; k++, seq++) {
            long long ts = T0 + (long long)seq * 1000;
            n += (size_t)snprintf(body + n, cap - n,
                                  "%s{\"id\":\"%s:cam-%d:%d\",\"box\":\"%s\",\"camera\":\"cam-%d\","
                                  "\"type\":\"%s\",\"code\":\"1625\","
                                  "\"ts\":%lld,\"ts_start\":%lld,\"track\":\"t%d\",\"class\":"
                                  "\"car\",\"plate\":\"晋E%05d\",\"conf\":0.9,"
                                  "\"zone\":null,\"line\":\"stop\",\"signal\":\"s\",\"location\":"
                                  "\"Road %d x Street\",\"road\":\"Road %d\","
                                  "\"unit\":\"Brigade %d\",\"evidence\":null}",
                                  k ? "," : "", box, seq % 16, seq, box, seq % 16,
                                  TYPES[seq % NTYPES], ts, ts - 500, seq, seq % 100000, seq % 16,
                                  seq % 16, seq % 4);
        }
        n += (size_t)snprintf(body + n, cap - n, "]}");
        snprintf(url, sizeof url, "%s/api/v1/violations", cl->url);
        double t = now_s();
        if (post(c, url, token, body, n) != 200)
            cl->failures++;
        /* and the tallies of this batch: 1000 rows, absolute counts */
        n = (size_t)snprintf(
            body, cap, "{\"box\":\"%s\",\"version\":\"bench\",\"backlog\":0,\"tallies\":[", box);
        for (int k = 0; k < 1000; k++)
            n += (size_t)snprintf(
                body + n, cap - n,
                "%s{\"camera\":\"cam-%d\",\"type\":\"%s\",\"bucket\":%lld,\"count\":%d}",
                k ? "," : "", k % 16, TYPES[k % NTYPES],
                T0 + (long long)(done / 1000 * 1000 + k) * 60000, 1 + k % 3);
        n += (size_t)snprintf(body + n, cap - n, "]}");
        snprintf(url, sizeof url, "%s/api/v1/tallies", cl->url);
        if (post(c, url, token, body, n) != 200)
            cl->failures++;
        cl->busy += now_s() - t;
    }
    free(body);
    curl_easy_cleanup(c);
    return NULL;
}

static int ingest(const char *url, const char *ca, int clients, int records)
{
    struct client cl[64];
    pthread_t th[64];
    if (clients > 64)
        clients = 64;
    /* the centrals' URLs, box i posting to the (i mod n)th */
    char urls[8][256];
    int n_urls = 0;
    for (const char *p = url; *p && n_urls < 8; n_urls++) {
        size_t len = strcspn(p, ",");
        snprintf(urls[n_urls], sizeof urls[n_urls], "%.*s", (int)len, p);
        p += len + (p[len] == ',');
    }
    if (n_urls == 0)
        return 2;
    double t0 = now_s();
    for (int i = 0; i < clients; i++) {
        /* whole batches of 1000: what is posted is what is counted below */
        cl[i] = (struct client){urls[i % n_urls], ca, i, records / clients / 1000 * 1000, 0, 0};
        pthread_create(&th[i], NULL, ingest_client, &cl[i]);
    }
    long failures = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        failures += cl[i].failures;
    }
    double dt = now_s() - t0;
    double recs = (double)(records / clients / 1000 * 1000 * clients);
    printf("ingest: %d clients on %d central(s), %.0f records + %.0f tally rows in %.2f s\n",
           clients, n_urls, recs, recs, dt);
    printf("ingest: %.0f records/s and %.0f tally rows/s together (target >= 20000 records/s); %ld "
           "failed requests\n",
           recs / dt, recs / dt, failures);
    return failures ? 1 : 0;
}

/* Fills the store directly through SQLite with the server's own schema:
 * N violations over 30 days, 500 cameras on 50 roads and 10 units, the
 * matching tallies at every grain and the review status counts. Made to be
 * fast at 100 M: the rows come in time order (each violation a little after
 * the one before), so every b-tree grows at its end (the records' key,
 * box:camera:sequence zero-padded, at one end per camera; the tallies',
 * bucket first, at theirs); the tallies and status counts are summed in
 * memory and written once per key; the violations' indexes and triggers are
 * dropped and made again at the end (the sums do the status counts
 * trigger's work; the records carry no plate, so the plate trigger has
 * none); one transaction without a rollback journal. */
#define LOAD_DAYS 32 /* day buckets of the 30 days in any time zone */
struct load_sums {
    int64_t minute[CAMERAS][NTYPES], hour[CAMERAS][NTYPES];
    int64_t day[LOAD_DAYS][CAMERAS][NTYPES], hod[LOAD_DAYS][24][NTYPES];
};

static char cam_box[CAMERAS][16], cam_name[CAMERAS][16], cam_road[CAMERAS][16],
    cam_unit[CAMERAS][16];

static int load_exec(sqlite3 *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "load: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(s));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Writes the non-zero sums of one bucket (box, camera, type order) and
 * clears them. */
static int flush_grain(sqlite3_stmt *st, int64_t bucket, int64_t (*sum)[NTYPES])
{
    int bad = 0;
    for (int c = 0; c < CAMERAS; c++)
        for (int t = 0; t < NTYPES; t++) {
            if (!sum[c][t])
                continue;
            sqlite3_bind_text(st, 1, cam_box[c], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, cam_name[c], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, TYPES[t], -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, bucket);
            sqlite3_bind_int64(st, 5, sum[c][t]);
            sqlite3_bind_text(st, 6, cam_road[c], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 7, cam_unit[c], -1, SQLITE_STATIC);
            bad |= sqlite3_step(st) != SQLITE_DONE;
            sqlite3_reset(st);
            sum[c][t] = 0;
        }
    return bad;
}

static int64_t floor_ms(int64_t t, int64_t unit, int64_t offset)
{
    int64_t x = t + offset, r = ((x % unit) + unit) % unit;
    return x - r - offset;
}

static int load(const char *db, long n)
{
    sqlite3 *s;
    if (n <= 0 || sqlite3_open(db, &s) != SQLITE_OK)
        return 1;
    struct load_sums *sum = calloc(1, sizeof *sum);
    char *saved[64];
    int nsaved = 0, bad = !sum;
    bad |= load_exec(s, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=OFF;"
                        " PRAGMA synchronous=OFF; PRAGMA cache_size=-1048576;"
                        " PRAGMA threads=2;");
    /* the city's day (review_tz, set by central at open; +8 h before) */
    sqlite3_stmt *q;
    int tz_set = 0;
    int64_t tz = 480 * 60000LL;
    if (!bad &&
        sqlite3_prepare_v2(s, "SELECT tz_offset_min FROM review_tz", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
            tz = sqlite3_column_int64(q, 0) * 60000;
            tz_set = 1;
        }
        sqlite3_finalize(q);
    }
    /* the violations' indexes and triggers, made again after the load */
    if (!bad && sqlite3_prepare_v2(s,
                                   "SELECT type, name, sql FROM sqlite_master WHERE"
                                   " tbl_name='violations' AND type IN ('index', 'trigger')"
                                   " AND sql IS NOT NULL",
                                   -1, &q, NULL) == SQLITE_OK) {
        char *drops[64];
        while (nsaved < 64 && sqlite3_step(q) == SQLITE_ROW) {
            drops[nsaved] = sqlite3_mprintf("DROP %s \"%w\"", sqlite3_column_text(q, 0),
                                            sqlite3_column_text(q, 1));
            saved[nsaved++] = strdup((const char *)sqlite3_column_text(q, 2));
        }
        sqlite3_finalize(q);
        for (int k = 0; k < nsaved; k++) {
            bad |= !drops[k] || load_exec(s, drops[k]);
            sqlite3_free(drops[k]);
        }
    }
    bad |= load_exec(s, "BEGIN");
    sqlite3_stmt *cam = NULL, *vio = NULL, *tal[3] = {0}, *road_st = NULL, *hod_st = NULL,
                 *rev = NULL;
    sqlite3_prepare_v2(s, "INSERT OR REPLACE INTO cameras VALUES(?,?,?,?,?)", -1, &cam, NULL);
    sqlite3_prepare_v2(
        s,
        "INSERT INTO violations(id, box, camera, type, ts, road, unit, sha256, record, received)"
        " VALUES(?,?,?,?,?,?,?,NULL,?,0)",
        -1, &vio, NULL);
    const char *tables[3] = {"tallies", "tallies_hour", "tallies_day"};
    for (int g = 0; g < 3; g++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO %s(box, camera, type, bucket, count, road, unit)"
                 " VALUES(?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET count=count+excluded.count",
                 tables[g]);
        sqlite3_prepare_v2(s, sql, -1, &tal[g], NULL);
    }
    sqlite3_prepare_v2(s,
                       "INSERT INTO tallies_day_road VALUES(?,?,?,?,?)"
                       " ON CONFLICT DO UPDATE SET count=count+excluded.count",
                       -1, &road_st, NULL);
    sqlite3_prepare_v2(s,
                       "INSERT INTO tallies_day_hod VALUES(?,?,?,?)"
                       " ON CONFLICT DO UPDATE SET count=count+excluded.count",
                       -1, &hod_st, NULL);
    sqlite3_prepare_v2(s,
                       "INSERT INTO review_counts(bucket, box, camera, type, road, unit, status,"
                       " reason, count) VALUES(?,?,?,?,?,?,'pending','',?)"
                       " ON CONFLICT DO UPDATE SET count=count+excluded.count",
                       -1, &rev, NULL);
    bad |= !cam || !vio || !tal[0] || !tal[1] || !tal[2] || !road_st || !hod_st || !rev;
    for (int c = 0; !bad && c < CAMERAS; c++) {
        snprintf(cam_box[c], sizeof cam_box[c], "box-%03d", c / 10);
        snprintf(cam_name[c], sizeof cam_name[c], "cam-%03d", c);
        snprintf(cam_road[c], sizeof cam_road[c], "Road %02d", c % 50);
        snprintf(cam_unit[c], sizeof cam_unit[c], "Brigade %d", c % 10);
        sqlite3_bind_text(cam, 1, cam_box[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(cam, 2, cam_name[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(cam, 3, cam_road[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(cam, 4, cam_road[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(cam, 5, cam_unit[c], -1, SQLITE_STATIC);
        bad |= sqlite3_step(cam) != SQLITE_DONE;
        sqlite3_reset(cam);
    }
    double t0 = now_s();
    uint64_t x = 88172645463325252ull;
    const int64_t span = 30 * DAY, step = span / n, day0 = floor_ms(T0, DAY, tz);
    int64_t minute = INT64_MIN, hour = INT64_MIN;
    char id[64], rec[512];
    for (long i = 0; !bad && i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int c = (int)(x % CAMERAS), t = (int)((x >> 20) % NTYPES);
        int64_t ts = T0 + (int64_t)((uint64_t)i * (uint64_t)span / (uint64_t)n) +
                     (step ? (int64_t)((x >> 24) % (uint64_t)step) : 0);
        int64_t m = floor_ms(ts, 60000, 0), h = floor_ms(ts, 3600000, 0);
        if (m != minute) {
            bad |= minute != INT64_MIN && flush_grain(tal[0], minute, sum->minute);
            minute = m;
        }
        if (h != hour) {
            bad |= hour != INT64_MIN && flush_grain(tal[1], hour, sum->hour);
            hour = h;
        }
        int64_t d = floor_ms(ts, DAY, tz);
        int di = (int)((d - day0) / DAY);
        sum->minute[c][t]++;
        sum->hour[c][t]++;
        sum->day[di][c][t]++;
        sum->hod[di][(ts - d) / 3600000][t]++;
        snprintf(id, sizeof id, "%s:%s:%09ld", cam_box[c], cam_name[c], i + 1);
        snprintf(rec, sizeof rec,
                 "{\"id\":\"%s\",\"box\":\"%s\",\"camera\":\"%s\",\"type\":\"%s\",\"ts\":%lld,"
                 "\"ts_start\":%lld,\"road\":\"%s\",\"unit\":\"%s\",\"evidence\":null}",
                 id, cam_box[c], cam_name[c], TYPES[t], (long long)ts, (long long)ts, cam_road[c],
                 cam_unit[c]);
        sqlite3_bind_text(vio, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(vio, 2, cam_box[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(vio, 3, cam_name[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(vio, 4, TYPES[t], -1, SQLITE_STATIC);
        sqlite3_bind_int64(vio, 5, ts);
        sqlite3_bind_text(vio, 6, cam_road[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(vio, 7, cam_unit[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(vio, 8, rec, -1, SQLITE_STATIC);
        bad |= sqlite3_step(vio) != SQLITE_DONE;
        sqlite3_reset(vio);
        if ((i + 1) % 10000000 == 0)
            fprintf(stderr, "load: %ld violations (%.0f/s)\n", i + 1,
                    (double)(i + 1) / (now_s() - t0));
    }
    if (!bad && minute != INT64_MIN)
        bad |= flush_grain(tal[0], minute, sum->minute) | flush_grain(tal[1], hour, sum->hour);
    static int64_t road[LOAD_DAYS][50][10][NTYPES];
    memset(road, 0, sizeof road);
    for (int di = 0; !bad && di < LOAD_DAYS; di++) {
        int64_t d = day0 + di * DAY;
        for (int c = 0; c < CAMERAS; c++)
            for (int t = 0; t < NTYPES; t++) {
                int64_t k = sum->day[di][c][t];
                road[di][c % 50][c % 10][t] += k;
                if (!k || !tz_set) /* no status counts yet: central counts them at open */
                    continue;
                sqlite3_bind_int64(rev, 1, d);
                sqlite3_bind_text(rev, 2, cam_box[c], -1, SQLITE_STATIC);
                sqlite3_bind_text(rev, 3, cam_name[c], -1, SQLITE_STATIC);
                sqlite3_bind_text(rev, 4, TYPES[t], -1, SQLITE_STATIC);
                sqlite3_bind_text(rev, 5, cam_road[c], -1, SQLITE_STATIC);
                sqlite3_bind_text(rev, 6, cam_unit[c], -1, SQLITE_STATIC);
                sqlite3_bind_int64(rev, 7, k);
                bad |= sqlite3_step(rev) != SQLITE_DONE;
                sqlite3_reset(rev);
            }
        bad |= flush_grain(tal[2], d, sum->day[di]);
        for (int r = 0; r < 50; r++)
            for (int u = 0; u < 10; u++)
                for (int t = 0; t < NTYPES; t++) {
                    if (!road[di][r][u][t])
                        continue;
                    char rn[16], un[16];
                    snprintf(rn, sizeof rn, "Road %02d", r);
                    snprintf(un, sizeof un, "Brigade %d", u);
                    sqlite3_bind_int64(road_st, 1, d);
                    sqlite3_bind_text(road_st, 2, rn, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(road_st, 3, un, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(road_st, 4, TYPES[t], -1, SQLITE_STATIC);
                    sqlite3_bind_int64(road_st, 5, road[di][r][u][t]);
                    bad |= sqlite3_step(road_st) != SQLITE_DONE;
                    sqlite3_reset(road_st);
                }
        for (int h = 0; h < 24; h++)
            for (int t = 0; t < NTYPES; t++) {
                if (!sum->hod[di][h][t])
                    continue;
                sqlite3_bind_int64(hod_st, 1, d);
                sqlite3_bind_int64(hod_st, 2, h);
                sqlite3_bind_text(hod_st, 3, TYPES[t], -1, SQLITE_STATIC);
                sqlite3_bind_int64(hod_st, 4, sum->hod[di][h][t]);
                bad |= sqlite3_step(hod_st) != SQLITE_DONE;
                sqlite3_reset(hod_st);
            }
    }
    sqlite3_finalize(cam);
    sqlite3_finalize(vio);
    for (int g = 0; g < 3; g++)
        sqlite3_finalize(tal[g]);
    sqlite3_finalize(road_st);
    sqlite3_finalize(hod_st);
    sqlite3_finalize(rev);
    if (bad) {
        fprintf(stderr, "load: failed: %s\n", sqlite3_errmsg(s));
        load_exec(s, "ROLLBACK");
    } else {
        bad |= load_exec(s, "COMMIT");
        fprintf(stderr, "load: rows in %.1f s; making the indexes and triggers\n", now_s() - t0);
    }
    for (int k = 0; k < nsaved; k++) { /* indexes before triggers (the catalog's order) */
        bad |= saved[k] && load_exec(s, saved[k]);
        free(saved[k]);
    }
    /* statistics from a sample of each index (a full ANALYZE reads them all) */
    bad |= load_exec(s, "PRAGMA journal_mode=WAL; PRAGMA analysis_limit=1000; ANALYZE");
    sqlite3_close(s);
    free(sum);
    if (!bad)
        printf("load: %ld violations in %.1f s\n", n, now_s() - t0);
    return bad;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median and max of RUNS timed GETs of path on one connection (ms). */
static long timed_gets(CURL *c, const char *url, const char *path, int runs, double *median,
                       double *max)
{
    char full[512];
    double t[256];
    long status = 0;
    if (runs > 256)
        runs = 256;
    snprintf(full, sizeof full, "%s%s", url, path);
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_perform(c); /* connect and warm up */
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        curl_easy_perform(c);
        t[i] = (now_s() - t0) * 1000;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    *median = t[runs / 2];
    *max = t[runs - 1];
    return status;
}

static CURL *viewer(const char *ca, struct curl_slist **h)
{
    CURL *c = curl_easy_init();
    *h = curl_slist_append(NULL, "Authorization: Bearer bench-viewer-token-0123456789");
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    return c;
}

/* The violations page: the newest 50, the newest 50 of one type, and the
 * newest 50 of one camera over one day in the middle of the 30. */
static int page(const char *url, const char *ca, int runs)
{
    struct curl_slist *h;
    CURL *c = viewer(ca, &h);
    char path[256];
    const char *names[] = {"newest 50", "newest 50 of one type", "one camera, one day"};
    int bad = 0;
    for (int k = 0; k < 3; k++) {
        if (k == 0)
            snprintf(path, sizeof path, "/api/v1/violations?limit=50");
        else if (k == 1)
            snprintf(path, sizeof path, "/api/v1/violations?limit=50&type=wrong_way");
        else
            snprintf(path, sizeof path,
                     "/api/v1/violations?limit=50&camera=cam-123&from=%lld&to=%lld", T0 + 15 * DAY,
                     T0 + 16 * DAY);
        double med, max;
        long status = timed_gets(c, url, path, runs, &med, &max);
        printf("violations page (%s): median %.1f ms, max %.1f ms over %d runs (HTTP %ld)\n",
               names[k], med, max, runs, status);
        bad |= status != 200;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return bad;
}

static int query(const char *url, const char *ca, int runs)
{
    char full[512];
    /* 30 local days (UTC+8) */
    snprintf(full, sizeof full, "%s/api/v1/counts?group=road,type&from=%lld&to=%lld", url,
             T0 - 8 * 3600000LL, T0 - 8 * 3600000LL + 30 * DAY);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    struct curl_slist *h =
        curl_slist_append(NULL, "Authorization: Bearer bench-viewer-token-0123456789");
    curl_easy_setopt(c, CURLOPT_URL, full);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    double t[256];
    if (runs > 256)
        runs = 256;
    long status = 0;
    curl_easy_perform(c); /* connect and warm up */
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        curl_easy_perform(c);
        t[i] = (now_s() - t0) * 1000;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    /* the same request's round trip on an empty path, as the floor */
    snprintf(full, sizeof full, "%s/api/v1/nothing", url);
    curl_easy_setopt(c, CURLOPT_URL, full);
    double floor_ms[32];
    for (int i = 0; i < 32; i++) {
        double t0 = now_s();
        curl_easy_perform(c);
        floor_ms[i] = (now_s() - t0) * 1000;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    qsort(floor_ms, 32, sizeof *floor_ms, cmp_d);
    printf("counts by road x type over 30 days: median %.1f ms, max %.1f ms over %d runs (HTTP "
           "%ld; target < 100 ms)\n",
           t[runs / 2], t[runs - 1], runs, status);
    printf("  reference: a 404 round trip on the same connection, median %.2f ms\n", floor_ms[16]);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc == 6 && strcmp(argv[1], "ingest") == 0)
        return ingest(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 4 && strcmp(argv[1], "load") == 0)
        return load(argv[2], atol(argv[3]));
    if (argc == 5 && strcmp(argv[1], "query") == 0)
        return query(argv[2], argv[3], atoi(argv[4]));
    if (argc == 5 && strcmp(argv[1], "page") == 0)
        return page(argv[2], argv[3], atoi(argv[4]));
    fprintf(
        stderr,
        "usage: bench_central ingest URL[,URL...] CA CLIENTS RECORDS | load DB N | query URL CA "
        "RUNS | page URL CA RUNS\n");
    return 2;
}
