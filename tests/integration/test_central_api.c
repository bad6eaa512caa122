/* ordercam-central over real HTTPS, with certificates made at test time
 * and a real SQLite file: every endpoint, every auth rule, idempotency,
 * error statuses, oversized and malformed bodies, hostile strings. */
#include <curl/curl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <turbojpeg.h>

#include "oc_proc.h"

#define BOX_TOKEN "box-token-0123456789abcdef"
#define BOX2_TOKEN "box2-token-0123456789abcdef"
#define VIEWER_TOKEN "viewer-token-0123456789abcdef"
#define VIEWER2_TOKEN "viewer2-token-0123456789abcdef"
#define BOX3_TOKEN "box3-token-0123456789abcdef"
#define BOX4_TOKEN "box4-token-0123456789abcdef"
#define BOX5_TOKEN "box5-token-0123456789abcdef"
#define BOX6_TOKEN "box6-token-0123456789abcdef"

static char dir[256], base_url[128];
static const char *src_ip; /* the client's source address when set (127.0.0.x) */
static struct oc_proc central;

/* One request; the response body is NUL-terminated. ca NULL = the test CA. */
static CURLcode request(const char *method, const char *path, const char *token, const void *body,
                        size_t len, const char *extra_header, const char *ca,
                        struct oc_test_resp *r)
{
    char url[1024], auth[256], cafile[512];
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "%s%s", base_url, path);
    snprintf(cafile, sizeof cafile, "%s/%s", dir, ca ? ca : "ca.pem");
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    for (const char *e = extra_header; e && *e;) { /* one header per line */
        const char *nl = strchr(e, '\n');
        size_t n = nl ? (size_t)(nl - e) : strlen(e);
        char one[512];
        snprintf(one, sizeof one, "%.*s", (int)n, e);
        h = curl_slist_append(h, one);
        e += n + (nl ? 1 : 0);
    }
    if (src_ip)
        curl_easy_setopt(c, CURLOPT_INTERFACE, src_ip);
    if (!extra_header || !strstr(extra_header, "Expect:"))
        h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, oc_http_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, oc_http_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (!r->body)
        r->body = calloc(1, 1);
    return rc;
}

static long call(const char *method, const char *path, const char *token, const char *body,
                 struct oc_test_resp *r)
{
    CURLcode rc = request(method, path, token, body, body ? strlen(body) : 0, NULL, NULL, r);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    return r->status;
}

static long status_of(const char *method, const char *path, const char *token, const char *body)
{
    struct oc_test_resp r;
    long s = call(method, path, token, body, &r);
    if (s >= 400) {
        cJSON *j = cJSON_Parse(r.body);
        if (!j || !cJSON_IsString(cJSON_GetObjectItem(j, "error")))
            fail_msg("%s %s -> %ld without a JSON error body: %s", method, path, s, r.body);
        cJSON_Delete(j);
    }
    free(r.body);
    return s;
}

static cJSON *get_json(const char *path)
{
    struct oc_test_resp r;
    long s = call("GET", path, VIEWER_TOKEN, NULL, &r);
    if (s != 200)
        fail_msg("GET %s -> %ld %s", path, s, r.body);
    cJSON *j = cJSON_Parse(r.body);
    free(r.body);
    assert_non_null(j);
    return j;
}

/* The count of the only row of a counts query, or 0 when there is none. */
static double count1(const char *query)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/counts?%s", query);
    cJSON *j = get_json(path);
    cJSON *rows = cJSON_GetObjectItem(j, "rows");
    double n = cJSON_GetArraySize(rows)
                   ? cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "count")->valuedouble
                   : 0;
    cJSON_Delete(j);
    return n;
}

static cJSON *served_record(const char *camera, const char *id);
static void own_origin(char *out, size_t cap);
static long sign_in(const char *form, const char *headers, char session[65]);
static long with_session(const char *method, const char *path, const char *session,
                         const char *more_headers);

/* One of central's counters (GET /api/v1/counters). Tests compare a
 * counter before and after their own requests, never its total (the
 * requests of other tests count too). */
static double counter(const char *name)
{
    cJSON *j = get_json("/api/v1/counters");
    cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "counters"), name);
    assert_true(cJSON_IsNumber(v));
    double n = v->valuedouble;
    cJSON_Delete(j);
    return n;
}

static const char *record(char *buf, size_t len, const char *box, const char *cam, int seq,
                          long long ts, const char *type, const char *extra)
{
    snprintf(
        buf, len,
        "{\"id\":\"%s:%s:%d\",\"box\":\"%s\",\"camera\":\"%s\",\"type\":\"%s\",\"code\":null,"
        "\"ts\":%lld,\"ts_start\":%lld,\"track\":\"t1\",\"class\":\"car\",\"plate\":\"晋E12345\","
        "\"conf\":0.9,\"zone\":null,\"line\":\"stop\",\"signal\":\"s\",\"location\":\"凤台街\","
        "\"road\":\"Fengtai Rd\",\"unit\":\"Brigade 2\",\"evidence\":%s}",
        box, cam, seq, box, cam, type, ts, ts - 1000, extra ? extra : "null");
    return buf;
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    assert_int_equal(oc_tmpdir(dir, sizeof dir), 0);
    assert_int_equal(oc_make_certs(dir), 0);
    char cfg[512], portfile[512], log[512];
    snprintf(cfg, sizeof cfg, "%s/central.json", dir);
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    snprintf(log, sizeof log, "%s/central.log", dir);
    /* the store: a SQLite file here, or the PostgreSQL database that
     * central_api_pg.sh started (OC_TEST_DB) */
    char db[600];
    if (getenv("OC_TEST_DB"))
        snprintf(db, sizeof db, "%s", getenv("OC_TEST_DB"));
    else
        snprintf(db, sizeof db, "%s/central.sqlite", dir);
    FILE *f = fopen(cfg, "w");
    fprintf(f,
            "{\"listen\": \"127.0.0.1:0\", \"tls\": {\"cert_file\": \"%s/server.pem\", "
            "\"key_file\": \"%s/server.key\"},\n"
            " \"db\": \"%s\", \"evidence_dir\": \"%s/evidence\", \"silent_after_s\": 2, "
            "\"tz_offset_min\": 480,\n"
            " \"limits\": {\"max_json_kb\": 256, \"max_evidence_mb\": 1, \"threads\": 2},\n"
            " \"tokens\": [{\"token\": \"" BOX_TOKEN "\", \"box\": \"edge-1\"},\n"
            "            {\"token\": \"" BOX2_TOKEN "\", \"box\": \"edge-2\"},\n"
            "            {\"token\": \"" VIEWER2_TOKEN "\", \"role\": \"viewer\"},\n"
            "            {\"token\": \"" BOX3_TOKEN "\", \"box\": \"edge-3\"},\n"
            "            {\"token\": \"" BOX4_TOKEN "\", \"box\": \"edge-4\"},\n"
            "            {\"token\": \"" BOX5_TOKEN "\", \"box\": \"edge-5\"},\n"
            "            {\"token\": \"" BOX6_TOKEN "\", \"box\": \"edge-6\"},\n"
            "            {\"token_sha256\": \"%s\", \"role\": \"viewer\"}]}\n",
            dir, dir, db, dir,
            /* sha256("viewer-token-0123456789abcdef") computed below by openssl */
            "VIEWERHASH");
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "h=$(printf '%%s' '" VIEWER_TOKEN "' | openssl dgst -sha256 -r | cut -d' ' -f1) && "
             "sed -i \"s/VIEWERHASH/$h/\" '%s'",
             cfg);
    assert_int_equal(system(cmd), 0);
    int port = oc_proc_start_central(&central, cfg, portfile, log, 10000);
    assert_true(port > 0);
    snprintf(base_url, sizeof base_url, "https://localhost:%d", port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(oc_proc_stop(&central, SIGTERM), 0);
    curl_global_cleanup();
    return oc_rmtree(dir);
}

/* Each refusal beside the same request from someone allowed to make it. */
static void auth_rules(void **state)
{
    (void)state;
    const char *t = "{\"box\":\"edge-1\",\"tallies\":[]}";
    const char *t2 = "{\"box\":\"edge-2\",\"tallies\":[]}";
    assert_int_equal(status_of("GET", "/api/v1/boxes", NULL, NULL), 401);
    assert_int_equal(status_of("GET", "/api/v1/boxes", "wrong-token-000000000000", NULL), 401);
    assert_int_equal(status_of("GET", "/api/v1/boxes", BOX_TOKEN, NULL), 403);
    assert_int_equal(status_of("GET", "/api/v1/boxes", VIEWER_TOKEN, NULL), 200);
    assert_int_equal(status_of("GET", "/api/v1/counts", BOX_TOKEN, NULL), 403);
    assert_int_equal(status_of("GET", "/api/v1/counts", VIEWER_TOKEN, NULL), 200);
    assert_int_equal(status_of("POST", "/api/v1/tallies", VIEWER_TOKEN, t), 403);
    assert_int_equal(status_of("POST", "/api/v1/tallies", NULL, t), 401);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX_TOKEN, t), 200);
    /* a box writes as itself only */
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX2_TOKEN, t), 403);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX2_TOKEN, t2), 200);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX2_TOKEN,
                               "{\"box\":\"edge-1\",\"violations\":[]}"),
                     403);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX2_TOKEN,
                               "{\"box\":\"edge-2\",\"violations\":[]}"),
                     200);
    /* the owner's "x" gets past the auth check and is judged as an image */
    assert_int_equal(status_of("PUT", "/api/v1/evidence/edge-1:cam-au:1", BOX2_TOKEN, "x"), 403);
    assert_int_equal(status_of("PUT", "/api/v1/evidence/edge-1:cam-au:1", BOX_TOKEN, "x"), 400);
}

static void tls_is_verified(void **state)
{
    (void)state;
    struct oc_test_resp r;
    /* a client that trusts the test CA gets through, with HSTS */
    CURLcode rc = request("GET", "/api/v1/boxes", VIEWER_TOKEN, NULL, 0, NULL, NULL, &r);
    assert_int_equal(rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"boxes\""));
    assert_non_null(strstr(r.headers, "Strict-Transport-Security: max-age="));
    free(r.body);
    /* a client that trusts another CA refuses this server: it reached the
     * server (a certificate was presented), and the server is still up */
    rc = request("GET", "/api/v1/boxes", VIEWER_TOKEN, NULL, 0, NULL, "other-ca.pem", &r);
    free(r.body);
    assert_int_equal(rc, CURLE_PEER_FAILED_VERIFICATION);
    assert_int_equal(status_of("GET", "/api/v1/boxes", VIEWER_TOKEN, NULL), 200);
    /* plain HTTP to the TLS port connects but gets nothing useful */
    char plain[200];
    snprintf(plain, sizeof plain, "http%s", base_url + 5);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, plain);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, oc_http_on_body);
    struct oc_test_resp r2 = {0};
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r2);
    CURLcode rc2 = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    free(r2.body);
    if (rc2 == CURLE_COULDNT_CONNECT || rc2 == CURLE_OPERATION_TIMEDOUT)
        fail_msg("plain HTTP did not reach the server: %s", curl_easy_strerror(rc2));
    assert_true(rc2 != CURLE_OK || code != 200);
    assert_int_equal(status_of("GET", "/api/v1/boxes", VIEWER_TOKEN, NULL), 200);
}

/* 1 when openssl s_client completes a handshake with these options. The
 * client is told to allow everything (SECLEVEL=0), so a refusal is the
 * server's. */
static int handshake(const char *opts)
{
    char cmd[1024];
    int port = atoi(strrchr(base_url, ':') + 1);
    snprintf(cmd, sizeof cmd,
             "echo | timeout 20 openssl s_client -connect 127.0.0.1:%d %s 2>&1 | "
             "grep -Eq '^New, TLSv1\\.[23], Cipher is [A-Z]'",
             port, opts);
    return system(cmd) == 0;
}

/* Issue 13 finding 5: TLS 1.0/1.1 and static-RSA CBC-SHA1 suites were
 * accepted. */
static void tls_versions_and_suites(void **state)
{
    (void)state;
    assert_false(handshake("-tls1 -cipher 'ALL:@SECLEVEL=0'"));
    assert_false(handshake("-tls1_1 -cipher 'ALL:@SECLEVEL=0'"));
    assert_false(
        handshake("-tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0'")); /* static RSA, CBC, SHA-1 */
    assert_false(handshake("-tls1_2 -cipher 'AES128-GCM-SHA256:@SECLEVEL=0'"));    /* static RSA */
    assert_false(handshake("-tls1_2 -cipher 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0'")); /* CBC */
    assert_true(handshake("-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"));
    assert_true(handshake("-tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305"));
    assert_true(handshake("-tls1_3"));
}

/* Connections that open and then say nothing (or dribble) hold only
 * themselves: everyone else is served at once. */
static void slow_clients_do_not_stall_others(void **state)
{
    (void)state;
    int port = atoi(strrchr(base_url, ':') + 1);
    int fds[40];
    for (int i = 0; i < 40; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&a, sizeof a), 0);
        if (i % 2)
            assert_int_equal(write(fds[i], "\x16\x03", 2), 2); /* half a TLS record */
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(status_of("GET", "/api/v1/boxes", VIEWER_TOKEN, NULL), 200);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    for (int i = 0; i < 40; i++)
        close(fds[i]);
    if (s > 5.0)
        fail_msg("10 requests took %.1f s beside 40 idle connections", s);
}

static void tallies_are_absolute_and_idempotent(void **state)
{
    (void)state; /* edge-3 is this test's own box */
    const char *b1 =
        "{\"box\":\"edge-3\",\"version\":\"1.2.3\",\"backlog\":7,\"tallies\":["
        "{\"camera\":\"cam-1\",\"type\":\"red_light\",\"bucket\":1763802000000,\"count\":2},"
        "{\"camera\":\"cam-1\",\"type\":\"illegal_parking\",\"bucket\":1763802060000,\"count\":1},"
        "{\"camera\":\"cam-2\",\"type\":\"red_light\",\"bucket\":1763805600000,\"count\":4}],"
        "\"cameras\":[{\"id\":\"cam-1\",\"location\":\"凤台街与泽州路口\",\"road\":\"凤台街\","
        "\"unit\":\"交警二大队\"},"
        "{\"id\":\"cam-2\",\"location\":\"泽州路\",\"road\":\"泽州路\",\"unit\":\"交警一大队\"}]}";
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX3_TOKEN, b1), 200);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX3_TOKEN, b1), 200);
    assert_true(count1("box=edge-3&type=red_light") == 6);
    assert_true(count1("box=edge-3&camera=cam-1&type=red_light") == 2);
    /* a later absolute count replaces, never adds */
    const char *b2 =
        "{\"box\":\"edge-3\",\"tallies\":["
        "{\"camera\":\"cam-1\",\"type\":\"red_light\",\"bucket\":1763802000000,\"count\":3}]}";
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX3_TOKEN, b2), 200);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX3_TOKEN, b2), 200);
    assert_true(count1("box=edge-3&type=red_light") == 7);
    /* grouping by road, unit, hour, day, hour_of_day and time ranges */
    assert_true(count1("box=edge-3&road=%E5%87%A4%E5%8F%B0%E8%A1%97") == 4);
    assert_true(count1("box=edge-3&unit=%E4%BA%A4%E8%AD%A6%E4%B8%80%E5%A4%A7%E9%98%9F") == 4);
    assert_true(count1("box=edge-3&from=1763802000000&to=1763802060000") == 3); /* minute grain */
    assert_true(count1("box=edge-3&from=1763802000000&to=1763805600000") == 4); /* hour grain */
    assert_true(count1("box=edge-3&from=1763740800000&to=1763827200000") == 8); /* day grain */
    cJSON *j = get_json("/api/v1/counts?box=edge-3&group=road,type");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), 3);
    cJSON_Delete(j);
    j = get_json("/api/v1/counts?box=edge-3&group=hour_of_day&tz=480");
    cJSON *rows = cJSON_GetObjectItem(j, "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "hour_of_day")->valueint, 17);
    cJSON_Delete(j);
    /* cam-1's two types share an hour; cam-2 has another */
    j = get_json("/api/v1/counts?box=edge-3&group=day,camera,box,unit,hour");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), 2);
    cJSON_Delete(j);
    j = get_json("/api/v1/boxes");
    cJSON *b = NULL, *each;
    cJSON_ArrayForEach(
        each,
        cJSON_GetObjectItem(j, "boxes")) if (strcmp(cJSON_GetObjectItem(each, "box")->valuestring,
                                                    "edge-3") == 0) b = each;
    assert_non_null(b);
    assert_string_equal(cJSON_GetObjectItem(b, "version")->valuestring, "1.2.3");
    assert_int_equal(cJSON_GetObjectItem(b, "backlog")->valueint, 7);
    assert_int_equal(cJSON_GetObjectItem(b, "cameras")->valueint, 2);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(b, "silent")));
    cJSON_Delete(j);
    /* every grain answers alike: day grains (road and heat-map rollups),
     * hours, and the boxes' own buckets */
    static const char *const grains[] = {
        "from=1763740800000&to=1763827200000", /* local days */
        "from=1763798400000&to=1763812800000", /* UTC hours */
        "from=1763801940000&to=1763812860000", /* minutes */
    };
    for (size_t g = 0; g < 3; g++) {
        char q[256];
        snprintf(q, sizeof q, "/api/v1/counts?box=edge-3&group=road,type&%s", grains[g]);
        j = get_json(q);
        char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "rows"));
        assert_string_equal(text, "[{\"road\":\"凤台街\",\"type\":\"illegal_parking\",\"count\":1},"
                                  "{\"road\":\"凤台街\",\"type\":\"red_light\",\"count\":3},"
                                  "{\"road\":\"泽州路\",\"type\":\"red_light\",\"count\":4}]");
        free(text);
        cJSON_Delete(j);
        snprintf(q, sizeof q, "/api/v1/counts?box=edge-3&group=hour_of_day,type&tz=480&%s",
                 grains[g]);
        j = get_json(q);
        text = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "rows"));
        assert_string_equal(text, "[{\"hour_of_day\":17,\"type\":\"illegal_parking\",\"count\":1},"
                                  "{\"hour_of_day\":17,\"type\":\"red_light\",\"count\":3},"
                                  "{\"hour_of_day\":18,\"type\":\"red_light\",\"count\":4}]");
        free(text);
        cJSON_Delete(j);
    }
    /* a camera moved to another road takes its counts along, in every grain */
    const char *moved = "{\"box\":\"edge-3\",\"tallies\":[],\"cameras\":[{\"id\":\"cam-2\","
                        "\"location\":\"x\",\"road\":\"凤台街\",\"unit\":\"交警一大队\"}]}";
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX3_TOKEN, moved), 200);
    assert_true(
        count1("box=edge-3&road=%E5%87%A4%E5%8F%B0%E8%A1%97&from=1763740800000&to=1763827200000") ==
        8);
    assert_true(
        count1("box=edge-3&road=%E5%87%A4%E5%8F%B0%E8%A1%97&from=1763801940000&to=1763812860000") ==
        8);
    assert_true(
        count1("box=edge-3&road=%E6%B3%BD%E5%B7%9E%E8%B7%AF&from=1763740800000&to=1763827200000") ==
        0);
    assert_int_equal(status_of("GET", "/api/v1/counts?group=street", VIEWER_TOKEN, NULL), 400);
    assert_int_equal(status_of("GET", "/api/v1/counts?group=type,type", VIEWER_TOKEN, NULL), 400);
    assert_int_equal(status_of("GET", "/api/v1/counts?from=yesterday", VIEWER_TOKEN, NULL), 400);
}

static void violations_insert_once_and_page(void **state)
{
    (void)state; /* edge-4 is this test's own box */
    char body[16384], r1[1024], r2[1024], r3[1024];
    snprintf(body, sizeof body, "{\"box\":\"edge-4\",\"violations\":[%s,%s,%s]}",
             record(r1, sizeof r1, "edge-4", "cam-1", 1, 1763802001000, "red_light", NULL),
             record(r2, sizeof r2, "edge-4", "cam-1", 2, 1763802002000, "wrong_way", NULL),
             record(r3, sizeof r3, "edge-4", "cam-2", 1, 1763802002000, "littering", NULL));
    struct oc_test_resp r;
    assert_int_equal(call("POST", "/api/v1/violations", BOX4_TOKEN, body, &r), 200);
    assert_non_null(strstr(r.body, "\"inserted\":3"));
    free(r.body);
    assert_int_equal(call("POST", "/api/v1/violations", BOX4_TOKEN, body, &r), 200);
    assert_non_null(strstr(r.body, "\"inserted\":0,\"duplicates\":3"));
    free(r.body);
    /* newest first, paged with the cursor */
    cJSON *j = get_json("/api/v1/violations?box=edge-4&limit=2");
    cJSON *v = cJSON_GetObjectItem(j, "violations");
    assert_int_equal(cJSON_GetArraySize(v), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 0), "id")->valuestring,
                        "edge-4:cam-2:1");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 1), "id")->valuestring,
                        "edge-4:cam-1:2");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 0), "plate")->valuestring,
                        "晋E12345");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 0), "evidence_url")));
    char path[512];
    char *esc = curl_easy_escape(NULL, cJSON_GetObjectItem(j, "next")->valuestring, 0);
    snprintf(path, sizeof path, "/api/v1/violations?box=edge-4&limit=2&before=%s", esc);
    curl_free(esc);
    cJSON_Delete(j);
    j = get_json(path);
    v = cJSON_GetObjectItem(j, "violations");
    assert_int_equal(cJSON_GetArraySize(v), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 0), "id")->valuestring,
                        "edge-4:cam-1:1");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "next")));
    cJSON_Delete(j);
    j = get_json("/api/v1/violations?box=edge-4&type=wrong_way");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "violations")), 1);
    cJSON_Delete(j);
    assert_int_equal(status_of("GET", "/api/v1/violations?limit=0", VIEWER_TOKEN, NULL), 400);
    assert_int_equal(status_of("GET", "/api/v1/violations?before=zzz", VIEWER_TOKEN, NULL), 400);
}

static void malformed_and_oversized(void **state)
{
    (void)state;
    char rec[1024], body[4096];
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, "{\"box\":"), 400);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, "[]"), 400);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, "{\"box\":\"edge-1\"}"),
                     400);
    assert_int_equal(
        status_of("POST", "/api/v1/violations", BOX_TOKEN, "{\"box\":\"ed ge\",\"violations\":[]}"),
        400);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN,
                               "{\"box\":\"edge-1\",\"violations\":[],\"x\":\"\xff\"}"),
                     400);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN,
                               "{\"box\":\"edge-1\",\"violations\":[]}"),
                     200);
    /* a record of another box, or with a bad type or ts, refuses the batch;
     * beside each, the same record done right is stored (cam-mf is this
     * test's own camera) */
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-2", "cam-mf", 9, 1763802001000, "red_light", NULL));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 400);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-mf", 1, 1763802001000, "red_light", NULL));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-mf", 9, 1763802001000, "Red Light!", NULL));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 400);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-mf", 2, 1763802001000, "red_light", NULL));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-mf", 10, -5, "red_light", NULL));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 400);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-mf", 3, 1763802001000, "red_light", NULL));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX_TOKEN,
                               "{\"box\":\"edge-1\",\"tallies\":[{\"camera\":\"cam-mf\",\"type\":"
                               "\"t\",\"bucket\":1,\"count\":-1}]}"),
                     400);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX_TOKEN,
                               "{\"box\":\"edge-1\",\"tallies\":[{\"camera\":\"cam-mf\",\"type\":"
                               "\"t\",\"bucket\":1,\"count\":0}]}"),
                     200);
    /* deep nesting (the shallow twin: the empty batch above) */
    char deep[300] = "{\"box\":\"edge-1\",\"x\":";
    size_t n = strlen(deep);
    for (int i = 0; i < 70; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, deep), 400);
    /* over max_json_kb (256 KiB) */
    size_t big = 300 * 1024;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    memcpy(huge, "{\"box\":\"edge-1\",\"violations\":[]", 31);
    huge[big - 1] = '}';
    /* refused from its headers: with Expect: 100-continue the body is never
     * sent, so the answer cannot race a client still sending (a refusal
     * closes the connection) */
    struct oc_test_resp big_r;
    assert_int_equal(request("POST", "/api/v1/violations", BOX_TOKEN, huge, big,
                             "Expect: 100-continue", NULL, &big_r),
                     CURLE_OK);
    assert_int_equal(big_r.status, 413);
    free(big_r.body);
    free(huge);
    /* the size limit's other side: a body just under it is read */
    big = 250 * 1024;
    huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    memcpy(huge, "{\"box\":\"edge-1\",\"violations\":[]", 31);
    huge[big - 1] = '}';
    assert_int_equal(request("POST", "/api/v1/violations", BOX_TOKEN, huge, big,
                             "Expect: 100-continue", NULL, &big_r),
                     CURLE_OK);
    assert_int_equal(big_r.status, 200);
    free(big_r.body);
    free(huge);
    /* what was refused was not stored; its twins were */
    cJSON *got;
    assert_null(served_record("cam-mf", "edge-2:cam-mf:9"));
    assert_null(served_record("cam-mf", "edge-1:cam-mf:9"));
    assert_null(served_record("cam-mf", "edge-1:cam-mf:10"));
    for (int seq = 1; seq <= 3; seq++) {
        char id[64];
        snprintf(id, sizeof id, "edge-1:cam-mf:%d", seq);
        assert_non_null(got = served_record("cam-mf", id));
        cJSON_Delete(got);
    }
    /* unknown endpoints and methods, beside known ones */
    assert_int_equal(status_of("GET", "/api/v1/nothing", VIEWER_TOKEN, NULL), 404);
    assert_int_equal(status_of("DELETE", "/api/v1/violations", BOX_TOKEN, NULL), 405);
    assert_int_equal(status_of("GET", "/api/v1/violations?camera=cam-mf", VIEWER_TOKEN, NULL), 200);
    assert_int_equal(status_of("GET", "/etc/passwd", NULL, NULL), 404);
}

static void hostile_strings_are_data(void **state)
{
    (void)state;
    const char *sql = "'); DROP TABLE violations; --";
    const char *script = "<script>alert(1)</script>";
    char body[4096];
    snprintf(
        body, sizeof body,
        "{\"box\":\"edge-1\",\"violations\":[{\"id\":\"edge-1:cam-9:1\",\"box\":\"edge-1\","
        "\"camera\":\"cam-9\","
        "\"type\":\"littering\",\"code\":\"%s\",\"ts\":1763802009000,\"ts_start\":1763802009000,"
        "\"track\":\"%s\",\"class\":\"%s\",\"plate\":\"%s\",\"conf\":1,\"zone\":\"%s\",\"line\":\"%"
        "s\","
        "\"signal\":\"%s\",\"location\":\"%s\",\"road\":\"%s\",\"unit\":\"%s\",\"evidence\":null}]"
        "}",
        sql, script, sql, script, sql, script, sql, script, sql, script);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    snprintf(
        body, sizeof body,
        "{\"box\":\"edge-1\",\"version\":\"%s\",\"tallies\":[{\"camera\":\"cam-9\",\"type\":"
        "\"littering\","
        "\"bucket\":1763802000000,\"count\":1}],\"cameras\":[{\"id\":\"cam-9\",\"location\":\"%s\","
        "\"road\":\"%s\",\"unit\":\"%s\"}]}",
        script, sql, sql, script);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX_TOKEN, body), 200);
    cJSON *j = get_json("/api/v1/violations?camera=cam-9");
    cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "violations"), 0);
    assert_string_equal(cJSON_GetObjectItem(v, "code")->valuestring, sql);
    assert_string_equal(cJSON_GetObjectItem(v, "location")->valuestring, script);
    assert_string_equal(cJSON_GetObjectItem(v, "road")->valuestring, sql);
    cJSON_Delete(j);
    char path[512];
    char *esc = curl_easy_escape(NULL, sql, 0);
    snprintf(path, sizeof path, "/api/v1/counts?road=%s&group=road,unit", esc);
    curl_free(esc);
    j = get_json(path);
    v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rows"), 0);
    assert_string_equal(cJSON_GetObjectItem(v, "unit")->valuestring, script);
    cJSON_Delete(j);
    /* the tables are all still there: another record and tally of cam-9
     * are stored beside the first, and the first is still served */
    char rec[1024];
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-9", 2, 1763802009000, "littering", NULL));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    j = get_json("/api/v1/violations?camera=cam-9");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "violations")), 2);
    cJSON_Delete(j);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX_TOKEN,
                               "{\"box\":\"edge-1\",\"tallies\":[{\"camera\":\"cam-9\",\"type\":"
                               "\"littering\",\"bucket\":1763802060000,\"count\":2}]}"),
                     200);
    assert_true(count1("camera=cam-9&type=littering") == 3);
}

static void sha_hex(const void *data, size_t len, char *hex)
{
    char path[600], cmd[800];
    snprintf(path, sizeof path, "%s/blob", dir);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -r '%s'", path);
    FILE *p = popen(cmd, "r");
    assert_int_equal(fscanf(p, "%64s", hex), 1);
    pclose(p);
}

/* A real JPEG of w x h, its pixels made from seed; free with tjFree. */
static unsigned char *make_jpeg(int w, int h, int seed, unsigned long *len)
{
    unsigned char *px = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h * 3; i++)
        px[i] = (unsigned char)(i * 7 + seed * 31);
    tjhandle tj = tjInitCompress();
    unsigned char *out = NULL;
    *len = 0;
    assert_int_equal(tjCompress2(tj, px, w, 0, h, TJPF_RGB, &out, len, TJSAMP_420, 80, 0), 0);
    tjDestroy(tj);
    free(px);
    return out;
}

static long put_image(const char *id, const void *img, size_t len, const char *claimed)
{
    char hex[65], hdr[128];
    if (!claimed) {
        sha_hex(img, len, hex);
        claimed = hex;
    }
    snprintf(hdr, sizeof hdr, "X-Content-SHA256: %s", claimed);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/evidence/%s", id);
    struct oc_test_resp r;
    assert_int_equal(request("PUT", path, BOX_TOKEN, img, len, hdr, NULL, &r), CURLE_OK);
    free(r.body);
    return r.status;
}

static void evidence(void **state)
{
    (void)state;
    unsigned long jlen = 0;
    unsigned char *jpeg = make_jpeg(64, 48, 1, &jlen);
    char hex[65], rec[2048], body[4096], extra[160];
    sha_hex(jpeg, jlen, hex);
    /* before its record: 404 */
    assert_int_equal(put_image("edge-1:cam-5:1", jpeg, jlen, NULL), 404);
    snprintf(extra, sizeof extra, "{\"file\":\"evidence/x.jpg\",\"sha256\":\"%s\",\"frames\":[1]}",
             hex);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-5", 1, 1763802005000, "red_light", extra));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    /* digest mismatch, no digest */
    assert_int_equal(put_image("edge-1:cam-5:1", jpeg, jlen - 1, hex), 400);
    struct oc_test_resp r;
    request("PUT", "/api/v1/evidence/edge-1:cam-5:1", BOX_TOKEN, jpeg, jlen, NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    free(r.body);
    /* not a JPEG; JPEG magic with nothing readable behind it (the old
     * three-byte check passed it); a JPEG cut short */
    assert_int_equal(put_image("edge-1:cam-5:1", "GIF89a", 6, NULL), 400);
    unsigned char fake[600];
    memset(fake, 0x42, sizeof fake);
    memcpy(fake, "\xff\xd8\xff\xe0", 4);
    memcpy(fake + sizeof fake - 2, "\xff\xd9", 2);
    assert_int_equal(put_image("edge-1:cam-5:1", fake, sizeof fake, NULL), 400);
    assert_int_equal(put_image("edge-1:cam-5:1", jpeg, jlen / 2, NULL), 400);
    /* a valid JPEG whose digest differs from what the record announced: 409 */
    unsigned long olen = 0;
    unsigned char *other = make_jpeg(64, 48, 2, &olen);
    assert_int_equal(put_image("edge-1:cam-5:1", other, olen, NULL), 409);
    /* stored, twice: same result */
    for (int i = 0; i < 2; i++)
        assert_int_equal(put_image("edge-1:cam-5:1", jpeg, jlen, NULL), 200);
    request("GET", "/api/v1/evidence/edge-1:cam-5:1", VIEWER_TOKEN, NULL, 0, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, jlen);
    assert_memory_equal(r.body, jpeg, jlen);
    assert_non_null(strstr(r.headers, "image/jpeg"));
    free(r.body);
    cJSON *j = get_json("/api/v1/violations?camera=cam-5");
    cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "violations"), 0);
    assert_string_equal(cJSON_GetObjectItem(v, "evidence_url")->valuestring,
                        "/api/v1/evidence/edge-1:cam-5:1");
    cJSON_Delete(j);
    /* ids cannot steer paths */
    assert_int_equal(
        status_of("GET", "/api/v1/evidence/..%2F..%2Fetc%2Fpasswd", VIEWER_TOKEN, NULL), 400);
    assert_int_equal(status_of("PUT", "/api/v1/evidence/edge-1:..:1", BOX_TOKEN, "x"), 400);
    assert_int_equal(status_of("GET", "/api/v1/evidence/edge-1:cam-1:1", VIEWER_TOKEN, NULL), 404);
    /* over max_evidence_mb (1 MiB) */
    size_t big = (1u << 20) + 10;
    unsigned char *huge = calloc(1, big);
    memcpy(huge, "\xff\xd8\xff", 3);
    char hdr[160];
    sha_hex(huge, big, hex);
    snprintf(hdr, sizeof hdr, "X-Content-SHA256: %s\nExpect: 100-continue", hex);
    request("PUT", "/api/v1/evidence/edge-1:cam-5:1", BOX_TOKEN, huge, big, hdr, NULL, &r);
    assert_int_equal(r.status, 413); /* answered before the body is sent */
    free(r.body);
    free(huge);
    tjFree(jpeg);
    tjFree(other);
}

static long put_public(const char *id, const char *token, const void *img, size_t len)
{
    char hex[65], hdr[128], path[256];
    sha_hex(img, len, hex);
    snprintf(hdr, sizeof hdr, "X-Content-SHA256: %s", hex);
    snprintf(path, sizeof path, "/api/v1/evidence/%s/public", id);
    struct oc_test_resp r;
    assert_int_equal(request("PUT", path, token, img, len, hdr, NULL, &r), CURLE_OK);
    if (r.status >= 400 && !strstr(r.body, "\"error\""))
        fail_msg("PUT %s -> %ld without a JSON error: %s", path, r.status, r.body);
    free(r.body);
    return r.status;
}

/* The public variant (docs/evidence.md): PUT by the record's own box only,
 * the record's evidence.public_sha256 decides, immutable once stored; GET
 * for every reader but boxes; the record then carries public_url. */
static void public_variant(void **state)
{
    (void)state;
    unsigned long plen = 0, qlen = 0, xlen = 0;
    unsigned char *priv = make_jpeg(64, 48, 11, &xlen), *pub = make_jpeg(64, 48, 12, &plen),
                  *other = make_jpeg(64, 48, 13, &qlen);
    char ph[65], xh[65], rec[2048], rec2[2048], body[8192], extra[400];
    sha_hex(pub, plen, ph);
    sha_hex(priv, xlen, xh);
    const char *id = "edge-1:cam-pub:1", *id2 = "edge-1:cam-pub:2";
    assert_int_equal(put_public(id, BOX_TOKEN, pub, plen), 404); /* before its record */
    snprintf(extra, sizeof extra,
             "{\"file\":\"x.jpg\",\"sha256\":\"%s\",\"frames\":[1],\"public_sha256\":\"%s\"}", xh,
             ph);
    record(rec, sizeof rec, "edge-1", "cam-pub", 1, 1763802005000, "red_light", extra);
    record(rec2, sizeof rec2, "edge-1", "cam-pub", 2, 1763802006000, "red_light", NULL);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s,%s]}", rec, rec2);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    char url[256];
    snprintf(url, sizeof url, "/api/v1/evidence/%s/public", id);
    /* not there yet: 404 for a reader, and no public_url */
    assert_int_equal(status_of("GET", url, VIEWER_TOKEN, NULL), 404);
    cJSON *j = get_json("/api/v1/violations?camera=cam-pub");
    cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "violations"), 1);
    assert_string_equal(cJSON_GetObjectItem(v, "id")->valuestring, id);
    assert_null(cJSON_GetObjectItem(v, "public_url"));
    cJSON_Delete(j);
    /* writers: another box, a viewer, nobody */
    assert_int_equal(put_public(id, BOX2_TOKEN, pub, plen), 403);
    assert_int_equal(put_public(id, VIEWER_TOKEN, pub, plen), 403);
    assert_int_equal(put_public(id, NULL, pub, plen), 401);
    /* the record decides: another digest, or none announced, is 400 */
    double refused = counter("public_refused");
    assert_int_equal(put_public(id, BOX_TOKEN, other, qlen), 400);
    assert_int_equal(put_public(id2, BOX_TOKEN, pub, plen), 400);
    assert_true(counter("public_refused") == refused + 2);
    assert_int_equal(put_public(id, BOX_TOKEN, "GIF89a", 6), 400); /* not a JPEG */
    /* stored, and again: the same answer; other bytes now conflict */
    assert_int_equal(put_public(id, BOX_TOKEN, pub, plen), 200);
    assert_int_equal(put_public(id, BOX_TOKEN, pub, plen), 200);
    assert_int_equal(put_public(id, BOX_TOKEN, other, qlen), 409);
    /* readers: nobody 401, a box 403, a viewer token and a viewer's session 200 */
    assert_int_equal(status_of("GET", url, NULL, NULL), 401);
    assert_int_equal(status_of("GET", url, BOX_TOKEN, NULL), 403);
    struct oc_test_resp r;
    request("GET", url, VIEWER_TOKEN, NULL, 0, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, plen);
    assert_memory_equal(r.body, pub, plen);
    assert_non_null(strstr(r.headers, "image/jpeg"));
    free(r.body);
    char origin[200], form[128], session[65];
    own_origin(origin, sizeof origin);
    snprintf(form, sizeof form, "token=%s", VIEWER_TOKEN);
    assert_int_equal(sign_in(form, origin, session), 303);
    assert_true(session[0]);
    assert_int_equal(with_session("GET", url, session, NULL), 200);
    /* the private image is still its own: not there yet */
    snprintf(url, sizeof url, "/api/v1/evidence/%s", id);
    assert_int_equal(status_of("GET", url, VIEWER_TOKEN, NULL), 404);
    j = get_json("/api/v1/violations?camera=cam-pub");
    v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "violations"), 1);
    snprintf(url, sizeof url, "/api/v1/evidence/%s/public", id);
    assert_string_equal(cJSON_GetObjectItem(v, "public_url")->valuestring, url);
    assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "violations"), 0),
                                    "public_url"));
    cJSON_Delete(j);
    /* paths: only "<id>/public" */
    assert_int_equal(
        status_of("GET", "/api/v1/evidence/edge-1:cam-pub:1/other", VIEWER_TOKEN, NULL), 400);
    assert_int_equal(
        status_of("GET", "/api/v1/evidence/edge-1:cam-pub:1/public/public", VIEWER_TOKEN, NULL),
        400);
    tjFree(priv);
    tjFree(pub);
    tjFree(other);
}

/* Issue 13 finding 4: for a record that announced no digest, another image
 * replaced the stored one. */
static void evidence_is_immutable_without_digest(void **state)
{
    (void)state;
    char rec[2048], body[4096];
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-im", 1, 1763802005000, "red_light", NULL));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    unsigned long alen = 0, blen = 0;
    unsigned char *a = make_jpeg(32, 32, 3, &alen), *b = make_jpeg(32, 32, 4, &blen);
    assert_int_equal(put_image("edge-1:cam-im:1", a, alen, NULL), 200);
    assert_int_equal(put_image("edge-1:cam-im:1", a, alen, NULL), 200); /* the same again */
    assert_int_equal(put_image("edge-1:cam-im:1", b, blen, NULL), 409);
    struct oc_test_resp r;
    request("GET", "/api/v1/evidence/edge-1:cam-im:1", VIEWER_TOKEN, NULL, 0, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, alen);
    assert_memory_equal(r.body, a, alen);
    free(r.body);
    tjFree(a);
    tjFree(b);
}

/* Issue 13 finding 3: central read whole bodies before it checked who
 * sent them. Now a request without a valid token, or a token that may not
 * write there, is answered from its headers alone. */
static void bodies_are_read_only_after_auth(void **state)
{
    (void)state;
    const char *small = "{\"box\":\"edge-1\",\"tallies\":[]}";
    double unauth0 = counter("unauthenticated"), forbidden0 = counter("forbidden");
    assert_int_equal(status_of("POST", "/api/v1/tallies", NULL, small), 401);
    assert_int_equal(status_of("POST", "/api/v1/tallies", VIEWER_TOKEN, small), 403);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX_TOKEN, small), 200);
    assert_int_equal(status_of("PUT", "/api/v1/evidence/edge-2:cam-1:1", BOX_TOKEN, "x"), 403);
    /* 1 MB without a token: answered before the body is sent (a client
     * that sends it anyway has its connection cut: the RSS test in
     * test_central_limits.c) */
    size_t big = 1u << 20;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    struct oc_test_resp r;
    CURLcode rc = request("PUT", "/api/v1/evidence/edge-1:cam-1:1", NULL, huge, big,
                          "Expect: 100-continue", NULL, &r);
    free(r.body);
    free(huge);
    assert_int_equal(rc, CURLE_OK);
    assert_int_equal(r.status, 401);
    /* the same 1 MB with the token: past the auth check, judged as an
     * upload (it names no digest) */
    huge = malloc(big);
    memset(huge, 'a', big);
    rc = request("PUT", "/api/v1/evidence/edge-1:cam-ro:1", BOX_TOKEN, huge, big,
                 "Expect: 100-continue", NULL, &r);
    free(r.body);
    free(huge);
    assert_int_equal(rc, CURLE_OK);
    assert_int_equal(r.status, 400);
    /* this test's two refusals of each kind were counted */
    assert_true(counter("unauthenticated") - unauth0 >= 2);
    assert_true(counter("forbidden") - forbidden0 >= 2);
    /* a body without a length is refused (411), with one it is read */
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX_TOKEN, small), 200);
    rc = request("POST", "/api/v1/tallies", BOX_TOKEN, small, strlen(small),
                 "Transfer-Encoding: chunked", NULL, &r);
    free(r.body);
    assert_int_equal(r.status, 411);
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The record central serves for id, without its "evidence_url"; NULL when
 * it has none. */
static cJSON *served_record(const char *camera, const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/violations?camera=%s&limit=1000", camera);
    cJSON *j = get_json(path), *v, *found = NULL;
    cJSON_ArrayForEach(
        v, cJSON_GetObjectItem(
               j, "violations")) if (strcmp(cJSON_GetObjectItem(v, "id")->valuestring, id) == 0)
        found = cJSON_Duplicate(v, 1);
    cJSON_Delete(j);
    if (found)
        cJSON_DeleteItemFromObjectCaseSensitive(found, "evidence_url");
    return found;
}

/* Issue 13 finding 1: a record naming its fields twice was validated by
 * the first and served by the last (another box, type and plate). */
static void duplicate_keys_cannot_forge_records(void **state)
{
    (void)state;
    const char *forged =
        "{\"box\":\"edge-1\",\"violations\":[{\"id\":\"edge-1:cam-b1:1\",\"camera\":\"cam-b1\","
        "\"box\":\"edge-1\",\"type\":\"red_light\",\"code\":null,\"ts\":1763802001000,"
        "\"ts_start\":1763802000000,\"track\":\"t1\",\"class\":\"car\",\"plate\":\"晋E12345\","
        "\"conf\":0.9,\"zone\":null,\"line\":null,\"signal\":null,\"location\":null,\"road\":null,"
        "\"unit\":null,\"evidence\":null,\"box\":\"edge-2\",\"camera\":\"cam-b1-forged\","
        "\"id\":\"edge-2:cam-b1:1\",\"type\":\"wrong_way\",\"plate\":\"FORGED\"}]}";
    struct oc_test_resp r;
    assert_int_equal(call("POST", "/api/v1/violations", BOX_TOKEN, forged, &r), 400);
    assert_non_null(strstr(r.body, "key given twice"));
    free(r.body);
    assert_null(served_record("cam-b1", "edge-1:cam-b1:1"));
    assert_null(served_record("cam-b1-forged", "edge-2:cam-b1:1"));
    /* a field given twice skips no validation */
    const char *svg =
        "{\"box\":\"edge-1\",\"violations\":[{\"id\":\"edge-1:cam-b1:2\",\"camera\":\"cam-b1\","
        "\"box\":\"edge-1\",\"type\":\"red_light\",\"ts\":1763802001000,\"ts_start\":1763802001000,"
        "\"type\":\"<svg onload=alert(1)>\"}]}";
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, svg), 400);
    assert_null(served_record("cam-b1", "edge-1:cam-b1:2"));
    /* beside it, the same record once: stored and served as validated,
     * field for field */
    char rec[1024], body[2048];
    record(rec, sizeof rec, "edge-1", "cam-b1", 1, 1763802001000, "red_light", NULL);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}", rec);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    cJSON *sent = cJSON_Parse(rec), *got = served_record("cam-b1", "edge-1:cam-b1:1");
    assert_non_null(got);
    assert_true(cJSON_Compare(sent, got, 1));
    cJSON_Delete(sent);
    cJSON_Delete(got);
    /* fields outside the published record are refused, so a box cannot
     * add an "evidence_url" of its own */
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
             record(rec, sizeof rec, "edge-1", "cam-b1", 3, 1763802001000, "red_light", NULL));
    memcpy(strstr(body, "\"code\""), "\"evid\"", 6);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 400);
}

/* A refused batch names the refused item by its index (the uplink reads
 * it); nothing of the batch is stored. */
static void refused_batch_item_has_index(void **state)
{
    (void)state;
    char r1[1024], r2[1024], r3[1024], body[4096];
    record(r1, sizeof r1, "edge-1", "cam-ix", 1, 1763802001000, "red_light", NULL);
    record(r2, sizeof r2, "edge-1", "cam-ix", 2, 1763802001000, "Red Light!", NULL);
    record(r3, sizeof r3, "edge-1", "cam-ix", 3, 1763802001000, "red_light", NULL);
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s,%s,%s]}", r1, r2, r3);
    struct oc_test_resp r;
    assert_int_equal(call("POST", "/api/v1/violations", BOX_TOKEN, body, &r), 400);
    cJSON *j = cJSON_Parse(r.body);
    free(r.body);
    assert_int_equal(cJSON_GetObjectItem(j, "index")->valueint, 1);
    assert_non_null(
        strstr(cJSON_GetObjectItem(j, "error")->valuestring, "violations[1]: \"type\""));
    cJSON_Delete(j);
    assert_null(served_record("cam-ix", "edge-1:cam-ix:1"));
    /* tallies and cameras alike */
    const char *t =
        "{\"box\":\"edge-1\",\"tallies\":["
        "{\"camera\":\"cam-ix\",\"type\":\"red_light\",\"bucket\":1763802000000,\"count\":1},"
        "{\"camera\":\"cam-ix\",\"type\":\"red_light\",\"bucket\":1763802060000,\"count\":-1}]}";
    assert_int_equal(call("POST", "/api/v1/tallies", BOX_TOKEN, t, &r), 400);
    j = cJSON_Parse(r.body);
    free(r.body);
    assert_int_equal(cJSON_GetObjectItem(j, "index")->valueint, 1);
    cJSON_Delete(j);
    const char *cams =
        "{\"box\":\"edge-1\",\"tallies\":[],\"cameras\":[{\"id\":\"cam-ix\"},{\"id\":\"c d\"}]}";
    assert_int_equal(call("POST", "/api/v1/tallies", BOX_TOKEN, cams, &r), 400);
    j = cJSON_Parse(r.body);
    free(r.body);
    assert_int_equal(cJSON_GetObjectItem(j, "index")->valueint, 1);
    assert_non_null(strstr(cJSON_GetObjectItem(j, "error")->valuestring, "cameras[1]"));
    cJSON_Delete(j);
    /* the batch mended: stored */
    snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s,%s]}", r1, r3);
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    cJSON *got = served_record("cam-ix", "edge-1:cam-ix:3");
    assert_non_null(got);
    cJSON_Delete(got);
}

/* Issue 13 finding 11: ts_start after ts, and records dated far ahead of
 * central's clock (they stayed on top of "all time" for ever). */
static void record_time_bounds(void **state)
{
    (void)state;
    char rec[1024], body[2048];
    long long now = wall_ms();
    /* ts_start one ms after ts: refused; equal: stored */
    record(rec, sizeof rec, "edge-1", "cam-tb", 1, 1763802001000, "red_light", NULL);
    char *p = strstr(rec, "\"ts_start\":");
    assert_non_null(p);
    snprintf(body, sizeof body,
             "{\"box\":\"edge-1\",\"violations\":[%.*s\"ts_start\":1763802001001%s]}",
             (int)(p - rec), rec, strchr(p, ','));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 400);
    snprintf(body, sizeof body,
             "{\"box\":\"edge-1\",\"violations\":[%.*s\"ts_start\":1763802001000%s]}",
             (int)(p - rec), rec, strchr(p, ','));
    assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body), 200);
    /* dated 2096: refused; an hour ahead: refused; a minute ahead (under
     * max_future_s = 300): stored */
    static const long long ahead[] = {4000000000000LL, 0, 0};
    long long ts[3] = {ahead[0], now + 3600 * 1000LL, now + 60 * 1000LL};
    for (int i = 0; i < 3; i++) {
        snprintf(body, sizeof body, "{\"box\":\"edge-1\",\"violations\":[%s]}",
                 record(rec, sizeof rec, "edge-1", "cam-tb", 10 + i, ts[i], "red_light", NULL));
        assert_int_equal(status_of("POST", "/api/v1/violations", BOX_TOKEN, body),
                         i < 2 ? 400 : 200);
    }
    cJSON *got = served_record("cam-tb", "edge-1:cam-tb:12");
    assert_non_null(got);
    cJSON_Delete(got);
    assert_null(served_record("cam-tb", "edge-1:cam-tb:10"));
    /* tally buckets alike */
    for (int i = 1; i < 3; i++) {
        snprintf(body, sizeof body,
                 "{\"box\":\"edge-1\",\"tallies\":[{\"camera\":\"cam-tb\",\"type\":\"red_light\","
                 "\"bucket\":%lld,\"count\":1}]}",
                 ts[i]);
        assert_int_equal(status_of("POST", "/api/v1/tallies", BOX_TOKEN, body), i < 2 ? 400 : 200);
    }
}

/* Issue 13 finding 9: a delayed retry of an older tally request (count 5)
 * after a newer one (count 12) set the count back to 5. */
static void tally_rollback_is_refused(void **state)
{
    (void)state;
#define ROLLBACK_FMT                                                                               \
    "{\"box\":\"edge-2\",\"tallies\":[{\"camera\":\"cam-rv\",\"type\":\"red_light\","              \
    "\"bucket\":1763802000000,\"count\":%d,\"rev\":%d}]}"
    char body[512];
    snprintf(body, sizeof body, ROLLBACK_FMT, 12, 12);
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX2_TOKEN, body), 200);
    snprintf(body, sizeof body, ROLLBACK_FMT, 5, 5); /* the older request, late */
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX2_TOKEN, body), 200);
    assert_true(count1("box=edge-2&camera=cam-rv") == 12);
    snprintf(body, sizeof body, ROLLBACK_FMT, 13, 13); /* a newer one applies */
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX2_TOKEN, body), 200);
    assert_true(count1("box=edge-2&camera=cam-rv") == 13);
    snprintf(body, sizeof body, ROLLBACK_FMT, 1, 0); /* rev must be >= 1 when given */
    assert_int_equal(status_of("POST", "/api/v1/tallies", BOX2_TOKEN, body), 400);
    assert_true(count1("box=edge-2&camera=cam-rv") == 13);
}

/* The Origin a page of this server sends. */
static void own_origin(char *out, size_t cap)
{
    snprintf(out, cap, "Origin: %s", base_url);
}

/* Signs in with form body `form` and extra headers; returns the status and
 * the session id (or "") in session. */
static long sign_in(const char *form, const char *headers, char session[65])
{
    struct oc_test_resp r;
    assert_int_equal(request("POST", "/login", NULL, form, strlen(form), headers, NULL, &r),
                     CURLE_OK);
    session[0] = '\0';
    char *sc = strstr(r.headers, "Set-Cookie: oc_session=");
    if (sc && sscanf(sc, "Set-Cookie: oc_session=%64[0-9a-f]", session) != 1)
        session[0] = '\0';
    free(r.body);
    return r.status;
}

static long with_session(const char *method, const char *path, const char *session,
                         const char *more_headers)
{
    char header[512];
    snprintf(header, sizeof header, "Cookie: oc_session=%s%s%s", session, more_headers ? "\n" : "",
             more_headers ? more_headers : "");
    struct oc_test_resp r;
    request(method, path, NULL, NULL, 0, header, NULL, &r);
    free(r.body);
    return r.status;
}

static void dashboard_session(void **state)
{
    (void)state;
    src_ip = "127.0.0.2";
    char origin[200];
    own_origin(origin, sizeof origin);
    struct oc_test_resp r;
    assert_int_equal(call("GET", "/", NULL, NULL, &r), 303);
    assert_non_null(strstr(r.headers, "Location: /login"));
    free(r.body);
    assert_int_equal(call("GET", "/login", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "<form"));
    free(r.body);
    /* a box token is no viewer */
    assert_int_equal(request("POST", "/login", NULL, "token=" BOX_TOKEN, strlen("token=" BOX_TOKEN),
                             origin, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 303);
    assert_non_null(strstr(r.headers, "Location: /login?failed=1"));
    assert_null(strstr(r.headers, "Set-Cookie"));
    free(r.body);
    assert_int_equal(request("POST", "/login", NULL, "token=" VIEWER_TOKEN,
                             strlen("token=" VIEWER_TOKEN), origin, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 303);
    char *sc = strstr(r.headers, "Set-Cookie: oc_session=");
    assert_non_null(sc);
    assert_non_null(strstr(sc, "HttpOnly"));
    assert_non_null(strstr(sc, "Secure"));
    assert_non_null(strstr(sc, "SameSite=Strict"));
    char session[65], header[256];
    assert_int_equal(sscanf(sc, "Set-Cookie: oc_session=%64[0-9a-f]", session), 1);
    assert_int_equal(strlen(session), 64);
    free(r.body);
    snprintf(header, sizeof header, "Cookie: oc_session=%s", session);
    request("GET", "/", NULL, NULL, 0, header, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "ordercam"));
    assert_non_null(strstr(r.headers, "Content-Security-Policy"));
    free(r.body);
    assert_int_equal(with_session("GET", "/api/v1/boxes", session, NULL), 200);
    request("GET", "/app.js", NULL, NULL, 0, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "textContent"));
    free(r.body);
    /* logout from another site is refused and leaves the session; from
     * this server it ends the session on the server, not only the cookie */
    assert_int_equal(with_session("POST", "/logout", session, "Origin: https://evil.example"), 403);
    assert_int_equal(with_session("GET", "/api/v1/boxes", session, NULL), 200);
    assert_int_equal(with_session("POST", "/logout", session, origin), 303);
    assert_int_equal(with_session("GET", "/api/v1/boxes", session, NULL), 401);
    assert_int_equal(with_session("GET", "/", session, NULL), 303);
    src_ip = NULL;
}

/* Issue 13 finding 7: a form on another site posting a viewer token to
 * /login signed the victim's browser in. */
static void login_csrf_is_refused(void **state)
{
    (void)state;
    src_ip = "127.0.0.3";
    char origin[200], referer[300], session[65];
    own_origin(origin, sizeof origin);
    snprintf(referer, sizeof referer, "Referer: %s/login", base_url);
    const char *form = "token=" VIEWER_TOKEN;
    double bad0 = counter("bad_origin");
    assert_int_equal(sign_in(form, "Origin: https://evil.example", session), 403);
    assert_string_equal(session, "");
    assert_int_equal(sign_in(form, "Origin: null\nReferer: https://evil.example/x", session), 403);
    char lookalike[300];
    snprintf(lookalike, sizeof lookalike, "Origin: %s.evil.example", base_url);
    assert_int_equal(sign_in(form, lookalike, session), 403);
    assert_int_equal(sign_in(form, NULL, session), 403); /* neither Origin nor Referer */
    assert_string_equal(session, "");
    /* beside them, the same form from this server's page */
    assert_int_equal(sign_in(form, origin, session), 303);
    assert_int_equal(strlen(session), 64);
    assert_int_equal(sign_in(form, referer, session), 303);
    assert_int_equal(strlen(session), 64);
    assert_true(counter("bad_origin") - bad0 >= 4);
    src_ip = NULL;
}

/* Issue 13 finding 8: token=<viewer>%00junk signed in. */
static void login_token_is_exact(void **state)
{
    (void)state;
    src_ip = "127.0.0.4";
    char origin[200], session[65];
    own_origin(origin, sizeof origin);
    static const char *const bad[] = {"token=" VIEWER_TOKEN "%00junk", "token=" VIEWER_TOKEN "%0a",
                                      "token=" VIEWER_TOKEN "%zz", "token=" VIEWER_TOKEN "x",
                                      ("token=%00" VIEWER_TOKEN)};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sign_in(bad[i], origin, session), 303);
        assert_string_equal(session, "");
    }
    assert_int_equal(sign_in("x=1&token=viewer-token-0123456789%61bcdef", origin, session), 303);
    assert_int_equal(strlen(session), 64);
    src_ip = NULL;
}

/* Issue 13 finding 7: 3,000 wrong sign-ins ran at 7,500/s; 4,200 sign-ins
 * in a second evicted every other session. */
static void login_is_rate_limited(void **state)
{
    (void)state;
    char origin[200], session[65], kept[65];
    own_origin(origin, sizeof origin);
    double by_address0 = counter("login_throttled_address");
    double by_identity0 = counter("login_throttled_identity");
    double failed0 = counter("login_failed");
    /* a session of one viewer, made first */
    src_ip = "127.0.0.5";
    assert_int_equal(sign_in("token=" VIEWER_TOKEN, origin, kept), 303);
    /* wrong tokens from one address: after a burst of 20, at most one more
     * per 3 s gets through (the bound allows for the time the attempts took
     * on a busy machine), and right after a refusal even the right token
     * from there waits */
    src_ip = "127.0.0.6";
    long long t0 = wall_ms();
    int admitted = 0, refused = 0;
    for (int i = 0; i < 200 && refused < 5; i++) {
        if (sign_in("token=wrong-token-0123456789abcdef", origin, session) == 429)
            refused++;
        else
            admitted++;
    }
    long long t_refused = wall_ms();
    assert_int_equal(refused, 5);
    assert_true(admitted <= 20 + (t_refused - t0) / 3000 + 1);
    long st = sign_in("token=" VIEWER_TOKEN, origin, session);
    if (wall_ms() - t_refused < 2500)
        assert_int_equal(st, 429);
    /* another address is not held back by it */
    src_ip = "127.0.0.7";
    assert_int_equal(sign_in("token=" VIEWER2_TOKEN, origin, session), 303);
    /* one identity signing in over and over from many addresses: throttled
     * per identity (a burst of 30, then one per 2 s), and the other
     * viewer's session stays */
    char ip[32];
    t0 = wall_ms();
    admitted = refused = 0;
    for (int i = 0; i < 200 && refused < 5; i++) {
        snprintf(ip, sizeof ip, "127.0.1.%d", 1 + i / 10);
        src_ip = ip;
        if (sign_in("token=" VIEWER2_TOKEN, origin, session) == 429)
            refused++;
        else
            admitted++;
    }
    assert_int_equal(refused, 5);
    assert_true(admitted <= 30 + (wall_ms() - t0) / 2000 + 1);
    src_ip = NULL;
    assert_int_equal(with_session("GET", "/api/v1/boxes", kept, NULL), 200);
    assert_true(counter("login_throttled_address") - by_address0 >= 5);
    assert_true(counter("login_throttled_identity") - by_identity0 >= 5);
    assert_true(counter("login_failed") - failed0 >= 20);
}

/* edge-5 quiet for longer than silent_after_s (2 s) is SILENT while edge-6,
 * heard all along, is not: polled, no fixed sleep. Both boxes are this
 * test's own. */
static void silent_boxes(void **state)
{
    (void)state;
    assert_int_equal(
        status_of("POST", "/api/v1/tallies", BOX5_TOKEN, "{\"box\":\"edge-5\",\"tallies\":[]}"),
        200);
    int ok = 0;
    for (long long until = wall_ms() + 30000; !ok && wall_ms() < until;) {
        assert_int_equal(
            status_of("POST", "/api/v1/tallies", BOX6_TOKEN, "{\"box\":\"edge-6\",\"tallies\":[]}"),
            200);
        cJSON *j = get_json("/api/v1/boxes");
        cJSON *b;
        int e1 = -1, e2 = -1;
        cJSON_ArrayForEach(b, cJSON_GetObjectItem(j, "boxes"))
        {
            const char *id = cJSON_GetObjectItem(b, "box")->valuestring;
            int silent = cJSON_IsTrue(cJSON_GetObjectItem(b, "silent"));
            if (strcmp(id, "edge-5") == 0)
                e1 = silent;
            if (strcmp(id, "edge-6") == 0)
                e2 = silent;
        }
        cJSON_Delete(j);
        assert_int_equal(e2, 0);
        assert_true(e1 >= 0);
        ok = e1 == 1;
        if (!ok)
            usleep(200 * 1000); /* poll interval, not a verdict */
    }
    assert_true(ok);
}

/* OC_TEST_ONLY=NAME runs one case alone (with its own central): each
 * case must pass so, in any order. */
int main(void)
{
    if (getenv("OC_TEST_ONLY"))
        cmocka_set_test_filter(getenv("OC_TEST_ONLY"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auth_rules),
        cmocka_unit_test(tls_is_verified),
        cmocka_unit_test(tls_versions_and_suites),
        cmocka_unit_test(slow_clients_do_not_stall_others),
        cmocka_unit_test(tallies_are_absolute_and_idempotent),
        cmocka_unit_test(violations_insert_once_and_page),
        cmocka_unit_test(malformed_and_oversized),
        cmocka_unit_test(hostile_strings_are_data),
        cmocka_unit_test(evidence),
        cmocka_unit_test(duplicate_keys_cannot_forge_records),
        cmocka_unit_test(refused_batch_item_has_index),
        cmocka_unit_test(record_time_bounds),
        cmocka_unit_test(evidence_is_immutable_without_digest),
        cmocka_unit_test(public_variant),
        cmocka_unit_test(bodies_are_read_only_after_auth),
        cmocka_unit_test(tally_rollback_is_refused),
        cmocka_unit_test(dashboard_session),
        cmocka_unit_test(login_csrf_is_refused),
        cmocka_unit_test(login_token_is_exact),
        cmocka_unit_test(login_is_rate_limited),
        cmocka_unit_test(silent_boxes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
