/* The uplink's state machine: its rules (what each status means, the
 * backoff) on both sides of each line, then the thread against a real
 * ordercam-central on loopback (HTTPS with a CA made here, a real SQLite
 * spool): a batch refused for one record parks exactly that record and
 * delivers the rest, whether central names it by "index" or (an older
 * central) not; central down then up; a wrong token retried until fixed;
 * tally rows delivered with their counts. Every wait polls with a limit. */
#include <curl/curl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "oc_proc.h"
#include "oc_spool.h"
#include "oc_uplink.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_wire.h"

#define BOX_TOKEN "box-token-0123456789abcdef"
#define VIEWER_TOKEN "viewer-token-0123456789abcdef"
#define SAMPLE_TOKEN "sample-token-0123456789abcdef" /* the sample's box, edge-jc-0001 */
#define WAIT_S 120 /* generous: the machine is shared with other builds */

static char dir[256], spool_dir[300], token_file[300], ca[300];
static struct oc_proc central;
static int port;

/* ---- the rules ---- */

static void verdicts(void **state)
{
    (void)state;
    assert_int_equal(oc_uplink_verdict(200), OC_UPLINK_DONE);
    static const long retry[] = {0, 401, 403, 408, 409, 429, 500, 502, 503, 507, 201, 399};
    for (size_t i = 0; i < sizeof retry / sizeof *retry; i++)
        if (oc_uplink_verdict(retry[i]) != OC_UPLINK_RETRY)
            fail_msg("%ld is not retried", retry[i]);
    static const long reject[] = {400, 404, 405, 410, 413, 422, 499};
    for (size_t i = 0; i < sizeof reject / sizeof *reject; i++)
        if (oc_uplink_verdict(reject[i]) != OC_UPLINK_REJECT)
            fail_msg("%ld is not a rejection", reject[i]);
}

static void backoff(void **state)
{
    (void)state;
    /* full jitter: rnd % (cap + 1), cap 1 s doubling per failure to 64 s */
    assert_int_equal(oc_uplink_backoff_ms(0, 0, 0), 0);
    assert_int_equal(oc_uplink_backoff_ms(0, 0, 1000), 1000);
    assert_int_equal(oc_uplink_backoff_ms(0, 0, 1001), 0);
    assert_int_equal(oc_uplink_backoff_ms(1, 0, 2000), 2000);
    assert_int_equal(oc_uplink_backoff_ms(1, 0, 2001), 0);
    assert_int_equal(oc_uplink_backoff_ms(5, 0, 32000), 32000);
    assert_int_equal(oc_uplink_backoff_ms(6, 0, 64000), 64000);
    assert_int_equal(oc_uplink_backoff_ms(7, 0, 64000), 64000); /* capped */
    assert_int_equal(oc_uplink_backoff_ms(7, 0, 64001), 0);
    assert_int_equal(oc_uplink_backoff_ms(1000, 0, 64000), 64000); /* no overflow */
    assert_int_equal(oc_uplink_backoff_ms(-1, 0, 1000), 1000);
    for (unsigned r = 0; r < 100000; r += 997)
        assert_true(oc_uplink_backoff_ms(3, 0, r) <= 8000);
    /* central's Retry-After wins, capped at 300 s */
    assert_int_equal(oc_uplink_backoff_ms(0, 1, 12345), 1000);
    assert_int_equal(oc_uplink_backoff_ms(6, 300, 0), 300000);
    assert_int_equal(oc_uplink_backoff_ms(6, 301, 0), 300000);
    assert_int_equal(oc_uplink_backoff_ms(2, -5, 4000), 4000); /* a bad header is ignored */
}

/* ---- a real central ---- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Starts central on `listen` ("127.0.0.1:0" the first time, then the port
 * it got, so that it comes back where the uplink looks). */
static void start_central(void)
{
    char cfg[400], portfile[400], log[400], text[2048];
    snprintf(cfg, sizeof cfg, "%s/central.json", dir);
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    snprintf(log, sizeof log, "%s/central.log", dir);
    unlink(portfile);
    snprintf(text, sizeof text,
             "{\"listen\": \"127.0.0.1:%d\", \"tls\": {\"cert_file\": \"%s/server.pem\", "
             "\"key_file\": \"%s/server.key\"}, \"db\": \"%s/central.sqlite\",\n"
             " \"evidence_dir\": \"%s/evidence\",\n"
             " \"tokens\": [{\"token\": \"" BOX_TOKEN "\", \"box\": \"edge-1\"},\n"
             "            {\"token\": \"" SAMPLE_TOKEN "\", \"box\": \"edge-jc-0001\"},\n"
             "            {\"token\": \"" VIEWER_TOKEN "\", \"role\": \"viewer\"}]}\n",
             port, dir, dir, dir, dir);
    write_file(cfg, text);
    char bin[512];
    snprintf(bin, sizeof bin, "%s/ordercam-central", getenv("OC_BIN"));
    char *argv[] = {bin, "-c", cfg, "--port-file", portfile, NULL};
    assert_int_equal(oc_proc_start(&central, argv, log), 0);
    int p = oc_proc_wait_port(portfile, WAIT_S * 1000);
    assert_true(p > 0);
    assert_true(port == 0 || p == port);
    port = p;
}

static void stop_central(void)
{
    assert_int_equal(oc_proc_stop(&central, SIGTERM), 0);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (oc_tmpdir(dir, sizeof dir) != 0 || oc_make_certs(dir) != 0)
        return -1;
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(token_file, sizeof token_file, "%s/box.token", dir);
    port = 0;
    start_central();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (central.pid > 0)
        oc_proc_stop(&central, SIGTERM);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    curl_global_cleanup();
    return system(cmd) == 0 ? 0 : -1;
}

static int fresh_spool(const char *name, struct oc_spool **s)
{
    snprintf(spool_dir, sizeof spool_dir, "%s/%s", dir, name);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", spool_dir);
    if (system(cmd) != 0)
        return -1;
    char err[256];
    *s = oc_spool_open(spool_dir, err, sizeof err);
    return *s ? 0 : -1;
}

/* A record of box edge-1 as central takes it; type NULL: one it refuses
 * (and a tally row of that type, which the uplink must leave out). */
static void add(struct oc_spool *s, const char *cam, unsigned seq, long long ts, const char *type)
{
    char id[64], rec[1024];
    snprintf(id, sizeof id, "edge-1:%s:%u", cam, seq);
    snprintf(rec, sizeof rec,
             "{\"id\":\"%s\",\"box\":\"edge-1\",\"camera\":\"%s\",\"type\":\"%s\",\"code\":null,"
             "\"ts\":%lld,\"ts_start\":%lld,\"track\":\"t1\",\"class\":\"car\",\"plate\":null,"
             "\"conf\":0.9,\"zone\":null,\"line\":null,\"signal\":null,\"location\":null,"
             "\"road\":null,\"unit\":null,\"evidence\":null}",
             id, cam, type ? type : "Not A Type", ts, ts - 1000);
    assert_int_equal(
        oc_spool_add(s, cam, seq, id, ts, type ? type : "Not A Type", ts / 60000 * 60000, rec, 0),
        OC_OK);
}

static void log_line(void *ud, int level, const char *msg)
{
    (void)ud;
    fprintf(stderr, "  uplink <%d> %s\n", level, msg);
}

static struct oc_uplink *start_uplink(char **cams)
{
    struct oc_wire_camera c[] = {{"cam-1", "凤台街", "Fengtai Rd", "Brigade 2"},
                                 {"cam-2", NULL, NULL, NULL}};
    *cams = oc_wire_cameras_json(c, 2);
    char url[64];
    snprintf(url, sizeof url, "https://localhost:%d", port);
    struct oc_uplink_opts o = {.url = url,
                               .token_file = token_file,
                               .ca_file = ca,
                               .push_interval_s = 1,
                               .box_id = "edge-1",
                               .version = "test",
                               .spool_dir = spool_dir,
                               .cameras_json = *cams,
                               .log = log_line};
    struct oc_uplink *u = oc_uplink_start(&o);
    assert_non_null(u);
    return u;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls the uplink's counters (poking it: the wait is for the condition,
 * not for its backoff) until sent and rejected records reach the numbers. */
static struct oc_uplink_stats wait_records(struct oc_uplink *u, uint64_t sent, uint64_t rejected)
{
    struct oc_uplink_stats st;
    double until = now_s() + WAIT_S;
    do {
        oc_uplink_stats(u, &st);
        if (st.records_sent >= sent && st.records_rejected >= rejected)
            return st;
        oc_uplink_poke(u);
        usleep(50000);
    } while (now_s() < until);
    fail_msg("after %d s: %llu records sent (want %llu), %llu rejected (want %llu)", WAIT_S,
             (unsigned long long)st.records_sent, (unsigned long long)sent,
             (unsigned long long)st.records_rejected, (unsigned long long)rejected);
    return st;
}

struct body {
    char *p;
    size_t len;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct body *b = ud;
    char *q = realloc(b->p, b->len + sz * n + 1);
    if (!q)
        return 0;
    memcpy(q + b->len, p, sz * n);
    b->len += sz * n;
    q[b->len] = '\0';
    b->p = q;
    return sz * n;
}

/* One request to central; returns the status, the body in *out. */
static long http(const char *method, const char *path, const char *token, const char *body,
                 struct body *out)
{
    char url[512], auth[128];
    snprintf(url, sizeof url, "https://localhost:%d%s", port, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    *out = (struct body){0};
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static cJSON *get_json(const char *path)
{
    struct body b;
    long s = http("GET", path, VIEWER_TOKEN, NULL, &b);
    if (s != 200)
        fail_msg("GET %s -> %ld %s", path, s, b.p ? b.p : "");
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse(b.p, b.len, 1 << 24, 16, &j, NULL), OC_JSON_OK);
    free(b.p);
    return j;
}

/* The ids central holds, sorted, joined with spaces. */
static void central_ids(char *out, size_t cap)
{
    cJSON *j = get_json("/api/v1/violations?from=0&to=4102444800000&limit=1000");
    const cJSON *v;
    char ids[64][64];
    size_t n = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "violations")) if (n < 64)
        snprintf(ids[n++], 64, "%s", cJSON_GetObjectItem(v, "id")->valuestring);
    cJSON_Delete(j);
    qsort(ids, n, sizeof ids[0], (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(out + len, cap - len, "%s%s", i ? " " : "", ids[i]);
        assert_true(k >= 0 && (size_t)k < cap - len); /* the caller's buffer holds them all */
        len += (size_t)k;
    }
}

/* Does this central name the refused record by "index"? (An older one does not.) */
static int central_sends_index(void)
{
    struct body b;
    const char *bad = "{\"box\":\"edge-1\",\"violations\":[{\"id\":\"edge-1:cam-9:1\","
                      "\"box\":\"edge-1\",\"camera\":\"cam-9\",\"type\":\"red_light\","
                      "\"ts\":1000,\"ts_start\":1000,\"evidence\":null},{\"id\":\"nope\"}]}";
    assert_int_equal(http("POST", "/api/v1/violations", BOX_TOKEN, bad, &b), 400);
    size_t i = 99;
    int named = oc_wire_refused_index(b.p, b.len, &i);
    free(b.p);
    if (named)
        assert_int_equal(i, 1);
    return named;
}

static void refused_record_is_parked_alone(void **state)
{
    (void)state;
    write_file(token_file, BOX_TOKEN "\n");
    struct oc_spool *s = NULL;
    assert_int_equal(fresh_spool("refusal", &s), 0);
    long long t0 = 1763802000000;
    add(s, "cam-1", 1, t0 + 1000, "red_light");
    add(s, "cam-1", 2, t0 + 2000, "red_light");
    add(s, "cam-2", 1, t0 + 3000, NULL); /* central refuses its type */
    add(s, "cam-2", 2, t0 + 4000, "wrong_way");
    add(s, "cam-1", 3, t0 + 5000, "red_light");
    int named = central_sends_index();
    char *cams;
    struct oc_uplink *u = start_uplink(&cams);
    struct oc_uplink_stats st = wait_records(u, 4, 1);
    oc_uplink_stop(u);
    free(cams);
    assert_int_equal(st.records_sent, 4);
    assert_int_equal(st.records_rejected, 1);
    /* with an index the batch is refused once; without, once more when
     * the refused record is sent alone */
    assert_int_equal(st.requests_failed, named ? 1 : 2);
    char ids[1024];
    central_ids(ids, sizeof ids);
    assert_string_equal(ids, "edge-1:cam-1:1 edge-1:cam-1:2 edge-1:cam-1:3 edge-1:cam-2:2");
    assert_int_equal(oc_spool_backlog(s), 0); /* the refused one is parked, not pending */
    /* the tallies arrived with the records: red_light 3 (cam-1), wrong_way 1;
     * the row of the refused type was left out, not the whole body refused */
    cJSON *j = get_json("/api/v1/counts?from=0&to=4102444800000&group=camera,type");
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    assert_non_null(strstr(text, "{\"camera\":\"cam-1\",\"type\":\"red_light\",\"count\":3}"));
    assert_non_null(strstr(text, "{\"camera\":\"cam-2\",\"type\":\"wrong_way\",\"count\":1}"));
    free(text);
    oc_spool_close(s);
}

/* A refusal that names no record (an older central; here a record whose
 * text central cannot even parse as part of the body): the batch's records
 * go one per request until the refused one is alone; it alone is parked. */
static void refusal_without_index_isolates_the_record(void **state)
{
    (void)state;
    write_file(token_file, BOX_TOKEN "\n");
    struct oc_spool *s = NULL;
    assert_int_equal(fresh_spool("noindex", &s), 0);
    long long t0 = 1763805000000;
    add(s, "cam-3", 1, t0 + 1000, "red_light");
    add(s, "cam-3", 2, t0 + 2000, "red_light");
    /* a damaged record: a key given twice refuses the whole body */
    const char *dup = "{\"id\":\"edge-1:cam-3:3\",\"id\":\"edge-1:cam-3:3\",\"box\":\"edge-1\"}";
    assert_int_equal(oc_spool_add(s, "cam-3", 3, "edge-1:cam-3:3", t0 + 3000, "red_light",
                                  t0 / 60000 * 60000, dup, 0),
                     OC_OK);
    add(s, "cam-3", 4, t0 + 4000, "red_light");
    struct body b;
    char body[256];
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}", dup);
    assert_int_equal(http("POST", "/api/v1/violations", BOX_TOKEN, body, &b), 400);
    size_t i;
    assert_false(oc_wire_refused_index(b.p, b.len, &i)); /* no index for this one */
    free(b.p);
    char *cams;
    struct oc_uplink *u = start_uplink(&cams);
    struct oc_uplink_stats st = wait_records(u, 3, 1);
    oc_uplink_stop(u);
    free(cams);
    assert_int_equal(st.records_sent, 3);
    assert_int_equal(st.records_rejected, 1);
    assert_int_equal(st.requests_failed, 2); /* the batch, then the record alone */
    assert_int_equal(oc_spool_backlog(s), 0);
    char ids[1024];
    central_ids(ids, sizeof ids);
    assert_non_null(strstr(ids, "edge-1:cam-3:1 edge-1:cam-3:2 edge-1:cam-3:4")); /* sorted */
    assert_null(strstr(ids, "edge-1:cam-3:3"));
    oc_spool_close(s);
}

/* replay --central-out writes the same bodies (oc_wire): central takes
 * them as they are, and every tally row carries its rev. */
static void replay_bodies_are_accepted(void **state)
{
    (void)state;
    char out[400], cmd[2000];
    snprintf(out, sizeof out, "%s/central-out", dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && '%s/ordercam-replay' --config '%s/scene.json' --log "
             "'%s/sample.jsonl.gz' --central-out '%s' --quiet >/dev/null",
             out, getenv("OC_BIN"), getenv("OC_SAMPLES"), getenv("OC_SAMPLES"), out);
    assert_int_equal(system(cmd), 0);
    static const char *const files[] = {"violations.json", "tallies.json"};
    static const char *const paths[] = {"/api/v1/violations", "/api/v1/tallies"};
    static const char *const counted[] = {"inserted", "upserted"};
    double n[2] = {0, 0};
    for (int f = 0; f < 2; f++) {
        char path[500];
        snprintf(path, sizeof path, "%s/%s", out, files[f]);
        size_t len = 0;
        char *text = (char *)oc_io_read_file(path, 1 << 24, &len);
        assert_non_null(text);
        char *body = malloc(len + 1);
        memcpy(body, text, len);
        body[len] = '\0';
        free(text);
        cJSON *j = NULL;
        assert_int_equal(oc_json_parse(body, len, 1 << 24, 16, &j, NULL), OC_JSON_OK);
        const cJSON *row;
        cJSON_ArrayForEach(row, cJSON_GetObjectItem(j, "tallies"))
        {
            const cJSON *rev = cJSON_GetObjectItem(row, "rev");
            assert_true(cJSON_IsNumber(rev));
            assert_true(rev->valuedouble == cJSON_GetObjectItem(row, "count")->valuedouble);
        }
        cJSON_Delete(j);
        struct body b;
        long st = http("POST", paths[f], SAMPLE_TOKEN, body, &b);
        if (st != 200)
            fail_msg("POST %s -> %ld %s", paths[f], st, b.p ? b.p : "");
        j = NULL;
        assert_int_equal(oc_json_parse(b.p, b.len, 1 << 20, 4, &j, NULL), OC_JSON_OK);
        n[f] = cJSON_GetObjectItem(j, counted[f])->valuedouble;
        cJSON_Delete(j);
        free(b.p);
        free(body);
    }
    /* the sample's records: one a line of samples/expected/sample.violations.jsonl */
    char exp_path[1024];
    snprintf(exp_path, sizeof exp_path, "%s/expected/sample.violations.jsonl",
             getenv("OC_SAMPLES"));
    FILE *ef = fopen(exp_path, "r");
    assert_non_null(ef);
    double want = 0;
    for (int c; (c = fgetc(ef)) != EOF;)
        want += c == '\n';
    fclose(ef);
    assert_true(want >= 21); /* cam-e1, cam-s1 and cam-j1's */
    assert_true(n[0] == want);
    assert_true(n[1] > 0);
    cJSON *j = get_json("/api/v1/counts?from=0&to=4102444800000&box=edge-jc-0001&group=box");
    assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rows"), 0), "count")
                    ->valuedouble == want);
    cJSON_Delete(j);
}

static void central_down_then_up(void **state)
{
    (void)state;
    write_file(token_file, BOX_TOKEN "\n");
    struct oc_spool *s = NULL;
    assert_int_equal(fresh_spool("outage", &s), 0);
    for (unsigned i = 1; i <= 30; i++)
        add(s, "cam-4", i, 1763803000000 + i * 1000, "red_light");
    stop_central();
    char *cams;
    struct oc_uplink *u = start_uplink(&cams);
    /* failures are counted with no answer, nothing is marked */
    struct oc_uplink_stats st;
    double until = now_s() + WAIT_S;
    do {
        oc_uplink_stats(u, &st);
        if (st.requests_failed >= 3)
            break;
        oc_uplink_poke(u);
        usleep(50000);
    } while (now_s() < until);
    assert_true(st.requests_failed >= 3);
    assert_int_equal(st.last_status, 0);
    assert_int_equal(st.records_sent, 0);
    assert_int_equal(oc_spool_backlog(s), 30);
    start_central();
    st = wait_records(u, 30, 0);
    oc_uplink_stop(u);
    free(cams);
    assert_int_equal(st.records_sent, 30);
    assert_int_equal(st.records_rejected, 0);
    assert_int_equal(oc_spool_backlog(s), 0);
    oc_spool_close(s);
}

static void wrong_token_is_retried_until_fixed(void **state)
{
    (void)state;
    write_file(token_file, "not-the-token-0000000000\n");
    struct oc_spool *s = NULL;
    assert_int_equal(fresh_spool("token", &s), 0);
    add(s, "cam-5", 1, 1763804000000, "red_light");
    char *cams;
    struct oc_uplink *u = start_uplink(&cams);
    struct oc_uplink_stats st;
    double until = now_s() + WAIT_S;
    do {
        oc_uplink_stats(u, &st);
        if (st.auth_failures >= 2)
            break;
        oc_uplink_poke(u);
        usleep(50000);
    } while (now_s() < until);
    assert_true(st.auth_failures >= 2);
    assert_int_equal(st.last_status, 401);
    assert_int_equal(st.records_rejected, 0); /* a wrong token loses nothing */
    assert_int_equal(oc_spool_backlog(s), 1);
    write_file(token_file, BOX_TOKEN "\n");
    st = wait_records(u, 1, 0);
    oc_uplink_stop(u);
    free(cams);
    assert_int_equal(st.records_rejected, 0);
    oc_spool_close(s);
}

int main(void)
{
    const struct CMUnitTest rules[] = {
        cmocka_unit_test(verdicts),
        cmocka_unit_test(backoff),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(refused_record_is_parked_alone),
        cmocka_unit_test(refusal_without_index_isolates_the_record),
        cmocka_unit_test(replay_bodies_are_accepted),
        cmocka_unit_test(central_down_then_up),
        cmocka_unit_test(wrong_token_is_retried_until_fixed),
    };
    int bad = cmocka_run_group_tests(rules, NULL, NULL);
    return bad + cmocka_run_group_tests(live, setup, teardown);
}
