/* ordercam-gen's tracker noise over a whole log (src/gen/noise.c): the
 * same seed gives the same bytes, detection messages are degraded (ids,
 * boxes, box count), other members of an object and other lines are kept. */
#include "oc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "noise.h"

/* A log of n frames of two parked cars on one camera, a signal line each. */
static void write_log(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        long long ts = 1763802000000LL + i * 200LL;
        fprintf(
            f,
            "{\"ts\":%lld,\"topic\":\"ordercam/cameras/c1/detections\",\"payload\":{\"ts\":%lld,"
            "\"objects\":[{\"id\":\"a\",\"class\":\"car\",\"box\":[100,100,160,100],"
            "\"conf\":0.5,\"attrs\":{\"plate\":\"P1\"}},{\"id\":\"b\",\"class\":\"car\","
            "\"box\":[130,118,147,92],\"conf\":0.25}]}}\n",
            ts, ts);
        fprintf(f,
                "{\"ts\":%lld,\"topic\":\"ordercam/signals/s1\",\"payload\":{\"ts\":%lld,"
                "\"state\":\"red\"}}\n",
                ts, ts);
    }
    fclose(f);
}

static char *slurp(FILE *f, size_t *len)
{
    fflush(f);
    long n = ftell(f);
    assert_true(n > 0);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    rewind(f);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static void noise_over_a_log(void **state)
{
    (void)state;
    char in[] = "/tmp/oc-noise-XXXXXX";
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    close(fd);
    write_log(in, 500);
    FILE *o1 = tmpfile(), *o2 = tmpfile();
    assert_non_null(o1);
    assert_non_null(o2);
    assert_int_equal(gen_noise_log(in, o1, 3, 1.0), 0);
    assert_int_equal(gen_noise_log(in, o2, 3, 1.0), 0);
    size_t l1, l2;
    char *b1 = slurp(o1, &l1), *b2 = slurp(o2, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1); /* deterministic */
    /* every signal line kept, ids re-numbered, members kept */
    size_t signals = 0, plates = 0, lines = 0;
    for (char *p = b1; (p = strstr(p, "ordercam/signals/s1\",\"payload\":{\"ts\":")); p++)
        signals++;
    for (char *p = b1; (p = strstr(p, "\"plate\":\"P1\"")); p++)
        plates++;
    for (char *p = b1; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(signals, 500);
    assert_int_equal(lines, 1000);
    assert_true(plates > 400); /* misses drop some, duplicates copy some */
    assert_null(strstr(b1, "\"id\":\"a\""));
    assert_non_null(strstr(b1, "\"id\":\"t1\""));
    assert_non_null(strstr(b1, "\"conf\":0.25"));
    free(b1);
    free(b2);
    fclose(o1);
    fclose(o2);
    unlink(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(noise_over_a_log)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
