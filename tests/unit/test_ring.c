/* ordercamd's frame ring: bounded in seconds per camera and in bytes
 * overall, oldest first, every drop counted. */
#include "oc_test.h"

#include <string.h>

#include "ordercam/oc_ring.h"

static unsigned char jpeg[1000];

static void bounded_by_age(void **state)
{
    (void)state;
    struct oc_ring *r = oc_ring_new(2, 20000, 1 << 20);
    for (int64_t t = 0; t <= 30000; t += 1000)
        assert_int_equal(oc_ring_add(r, 0, t, jpeg, 100), OC_OK);
    struct oc_ring_stats s;
    oc_ring_stats(r, &s);
    assert_int_equal(s.frames, 21); /* 10 s .. 30 s */
    assert_int_equal(s.expired, 10);
    assert_int_equal(s.span_ms, 20000);
    size_t len;
    int64_t ts;
    assert_null(oc_ring_nearest(r, 0, 5000, 200, &len, &ts));
    assert_non_null(oc_ring_nearest(r, 0, 12150, 200, &len, &ts));
    assert_int_equal(ts, 12000);
    assert_null(oc_ring_nearest(r, 0, 12500, 200, &len, &ts)); /* nearest is 500 ms away */
    assert_null(oc_ring_nearest(r, 1, 12000, 200, &len, &ts)); /* another camera */
    oc_ring_free(r);
}

static void bounded_by_bytes_across_cameras(void **state)
{
    (void)state;
    struct oc_ring *r = oc_ring_new(2, 60000, 3000);
    assert_int_equal(oc_ring_add(r, 0, 0, jpeg, 1000), OC_OK);
    assert_int_equal(oc_ring_add(r, 1, 0, jpeg, 1000), OC_OK);
    assert_int_equal(oc_ring_add(r, 0, 100, jpeg, 1000), OC_OK);
    assert_int_equal(oc_ring_add(r, 1, 100, jpeg, 1000), OC_OK); /* the oldest (cam 0 @0) goes */
    struct oc_ring_stats s;
    oc_ring_stats(r, &s);
    assert_int_equal(s.bytes, 3000);
    assert_int_equal(s.evicted, 1);
    assert_int_equal(s.span_ms, 100); /* the oldest held (cam 1 @0) is 100 ms behind cam 1 */
    size_t len;
    int64_t ts;
    assert_non_null(oc_ring_nearest(r, 0, 0, 200, &len, &ts));
    assert_int_equal(ts, 100);
    assert_int_equal(oc_ring_add(r, 0, 200, jpeg, sizeof jpeg), OC_OK);
    unsigned char big[4000] = {0};
    assert_int_equal(oc_ring_add(r, 0, 300, big, sizeof big), OC_ELIMIT);
    oc_ring_stats(r, &s);
    assert_int_equal(s.too_large, 1);
    assert_true(s.bytes <= 3000);
    oc_ring_free(r);
}

int main(void)
{
    memcpy(jpeg, "\xff\xd8\xff", 3);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bounded_by_age),
        cmocka_unit_test(bounded_by_bytes_across_cameras),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
