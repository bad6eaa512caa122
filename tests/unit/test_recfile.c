/* oc_recfile, ordercamd's --record writer, on real files: a JSON payload
 * kept as is (newlines made spaces), anything else and every frame as
 * payload_b64, the topic quoted, tick lines, every line one JSON object
 * (oc_json_parse) even with two threads writing at once, appending to an
 * existing file, a failed open and failed writes counted. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ordercam/oc_json.h"
#include "oc_proc.h"
#include "oc_recfile.h"

static char dir[256], path[300];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(oc_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/rec.jsonl", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    oc_rmtree(dir);
    return 0;
}

/* Reads the file's lines into a malloc'd array of malloc'd strings. */
static char **lines_of(size_t *n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char **v = NULL, *line = NULL;
    size_t cap = 0;
    ssize_t len;
    *n = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        assert_int_equal(line[len - 1], '\n'); /* every line complete */
        line[len - 1] = '\0';
        v = realloc(v, (*n + 1) * sizeof *v);
        assert_non_null(v);
        v[(*n)++] = strdup(line);
    }
    free(line);
    fclose(f);
    return v;
}

static void lines_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static cJSON *parsed(const char *line)
{
    cJSON *j = NULL;
    assert_int_equal(oc_json_parse(line, strlen(line), 1 << 20, 64, &j, NULL), OC_JSON_OK);
    return j;
}

static void payloads(void **state)
{
    (void)state;
    struct oc_recfile *r = oc_recfile_open(path);
    assert_non_null(r);
    const char *json = "{\"ts\": 5,\n \"objects\": []}";
    oc_recfile_message(r, 1000, "oc/cameras/c1/detections", 24, json, strlen(json), false);
    oc_recfile_message(r, 1001, "oc/cameras/c1/detections", 24, json, strlen(json), true);
    oc_recfile_message(r, 1002, "frigate/events", 14, "{\"a\":1} x", 9, false); /* trailing */
    oc_recfile_message(r, 1003, "odd\"topic\\", 10, "<tt:Frame/>", 11, false);
    oc_recfile_tick(r, 1004, "c1", 777);
    assert_int_equal(oc_recfile_errors(r), 0);
    oc_recfile_close(r);
    size_t n;
    char **l = lines_of(&n);
    assert_int_equal(n, 5);
    assert_string_equal(l[0], "{\"ts\":1000,\"topic\":\"oc/cameras/c1/detections\","
                              "\"payload\":{\"ts\": 5,  \"objects\": []}}");
    assert_string_equal(l[1], "{\"ts\":1001,\"topic\":\"oc/cameras/c1/detections\","
                              "\"payload_b64\":\"eyJ0cyI6IDUsCiAib2JqZWN0cyI6IFtdfQ==\"}");
    assert_string_equal(l[2], "{\"ts\":1002,\"topic\":\"frigate/events\","
                              "\"payload_b64\":\"eyJhIjoxfSB4\"}");
    assert_string_equal(l[4], "{\"ts\":1004,\"tick\":{\"camera\":\"c1\",\"ts\":777}}");
    cJSON *j = parsed(l[3]);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "topic")->valuestring, "odd\"topic\\");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "payload_b64")->valuestring,
                        "PHR0OkZyYW1lLz4=");
    cJSON_Delete(j);
    lines_free(l, n);
}

static void appends(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        struct oc_recfile *r = oc_recfile_open(path);
        assert_non_null(r);
        oc_recfile_tick(r, 1000 + round, "c1", 1);
        oc_recfile_close(r);
    }
    size_t n;
    char **l = lines_of(&n);
    assert_int_equal(n, 2);
    assert_non_null(strstr(l[1], "\"ts\":1001"));
    lines_free(l, n);
    oc_recfile_close(NULL); /* NULL: nothing */
    oc_recfile_message(NULL, 1, "t", 1, "{}", 2, false);
    oc_recfile_tick(NULL, 1, "c1", 1);
    assert_int_equal(oc_recfile_errors(NULL), 0);
}

static void open_and_write_errors(void **state)
{
    (void)state;
    char bad[400];
    snprintf(bad, sizeof bad, "%s/no/such/dir/rec.jsonl", dir);
    errno = 0;
    assert_null(oc_recfile_open(bad));
    assert_int_equal(errno, ENOENT);
    /* a full disk: every line counted, nothing fatal */
    struct oc_recfile *r = oc_recfile_open("/dev/full");
    if (!r)
        skip();
    oc_recfile_message(r, 1, "t", 1, "{}", 2, false);
    oc_recfile_tick(r, 2, "c1", 1);
    assert_int_equal(oc_recfile_errors(r), 2);
    oc_recfile_close(r);
}

#define PER_THREAD 500

static void *writer(void *ud)
{
    struct oc_recfile *r = ud;
    static const char payload[] = "{\"objects\":[{\"id\":1,\"box\":[1,2,3,4]}]}";
    for (int i = 0; i < PER_THREAD; i++) {
        oc_recfile_message(r, i, "oc/cameras/c1/detections", 24, payload, sizeof payload - 1,
                           false);
        oc_recfile_tick(r, i, "c2", i);
    }
    return NULL;
}

static void threads_never_interleave(void **state)
{
    (void)state;
    struct oc_recfile *r = oc_recfile_open(path);
    assert_non_null(r);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, r), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(oc_recfile_errors(r), 0);
    oc_recfile_close(r);
    size_t n;
    char **l = lines_of(&n);
    assert_int_equal(n, 4 * PER_THREAD);
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(parsed(l[i]));
    lines_free(l, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(payloads, setup, teardown),
        cmocka_unit_test_setup_teardown(appends, setup, teardown),
        cmocka_unit_test_setup_teardown(open_and_write_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(threads_never_interleave, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
