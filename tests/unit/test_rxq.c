/* oc_rxq: the bounded queue between the MQTT thread and the engine: order,
 * both limits on both sides, a refused push changes nothing, pop timeouts,
 * and one producer with one consumer keeps every message in order. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "oc_rxq.h"

static void push_n(struct oc_rxq *q, uint64_t seq, const char *payload)
{
    assert_int_equal(oc_rxq_push(q, seq, 7000 + (int64_t)(seq), "t/x", 3, payload, strlen(payload)),
                     OC_OK);
}

static void fifo_order_and_copies(void **state)
{
    (void)state;
    struct oc_rxq *q = oc_rxq_new(8, 1 << 20);
    assert_non_null(q);
    char payload[16];
    for (uint64_t i = 1; i <= 5; i++) {
        snprintf(payload, sizeof payload, "m%llu", (unsigned long long)i);
        push_n(q, i, payload);
    }
    strcpy(payload, "changed"); /* the queue holds copies */
    for (uint64_t i = 1; i <= 5; i++) {
        struct oc_rxmsg *m = oc_rxq_pop(q, 0);
        assert_non_null(m);
        assert_int_equal(m->seq, i);
        assert_int_equal(m->rx_ms, 7000 + (int64_t)i);
        assert_string_equal(m->topic, "t/x");
        assert_int_equal(m->topic_len, 3);
        char want[16];
        snprintf(want, sizeof want, "m%llu", (unsigned long long)i);
        assert_int_equal(m->len, strlen(want));
        assert_memory_equal(m->payload, want, m->len);
        assert_int_equal(m->payload[m->len], '\0'); /* NUL-terminated for parsers */
        free(m);
    }
    assert_null(oc_rxq_pop(q, 0));
    /* an empty payload */
    assert_int_equal(oc_rxq_push(q, 9, 7000 + (int64_t)(9), "t", 1, NULL, 0), OC_OK);
    struct oc_rxmsg *m = oc_rxq_pop(q, 0);
    assert_non_null(m);
    assert_int_equal(m->len, 0);
    free(m);
    oc_rxq_free(q);
}

static void message_limit(void **state)
{
    (void)state;
    struct oc_rxq *q = oc_rxq_new(3, 1 << 20);
    size_t msgs, bytes;
    push_n(q, 1, "a");
    push_n(q, 2, "b");
    push_n(q, 3, "c"); /* exactly at the limit */
    assert_int_equal(oc_rxq_push(q, 4, 7000 + (int64_t)(4), "t/x", 3, "d", 1), OC_EFULL);
    oc_rxq_depth(q, &msgs, &bytes);
    assert_int_equal(msgs, 3);
    assert_int_equal(bytes, 3 * (3 + 1 + 2)); /* topic + payload + two NULs each */
    free(oc_rxq_pop(q, 0));
    push_n(q, 5, "e"); /* room again after a pop */
    for (uint64_t want = 2; want <= 5; want += want == 3 ? 2 : 1) {
        struct oc_rxmsg *m = oc_rxq_pop(q, 0);
        assert_int_equal(m->seq, want); /* the refused message left no trace */
        free(m);
    }
    oc_rxq_depth(q, &msgs, &bytes);
    assert_int_equal(msgs, 0);
    assert_int_equal(bytes, 0);
    oc_rxq_free(q);
}

static void byte_limit(void **state)
{
    (void)state;
    /* each message of a 3-byte topic and a 10-byte payload takes 15 bytes */
    struct oc_rxq *q = oc_rxq_new(100, 30);
    push_n(q, 1, "0123456789");
    push_n(q, 2, "0123456789"); /* 30: exactly at the limit */
    assert_int_equal(oc_rxq_push(q, 3, 7000 + (int64_t)(3), "t/x", 3, "0", 1), OC_EFULL);
    oc_rxq_free(q);
    q = oc_rxq_new(100, 29);
    push_n(q, 1, "0123456789");
    assert_int_equal(oc_rxq_push(q, 2, 7000 + (int64_t)(2), "t/x", 3, "0123456789", 10),
                     OC_EFULL); /* 30 > 29 */
    assert_int_equal(oc_rxq_push(q, 2, 7000 + (int64_t)(2), "t/x", 3, "012345678", 9),
                     OC_OK); /* 29 */
    /* a message larger than the whole queue is refused even when empty */
    oc_rxq_free(q);
    q = oc_rxq_new(100, 10);
    assert_int_equal(oc_rxq_push(q, 1, 7000 + (int64_t)(1), "t/x", 3, "0123456789", 10), OC_EFULL);
    size_t msgs, bytes;
    oc_rxq_depth(q, &msgs, &bytes);
    assert_int_equal(msgs + bytes, 0);
    oc_rxq_free(q); /* frees nothing it did not take */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pop_waits_for_its_timeout(void **state)
{
    (void)state;
    struct oc_rxq *q = oc_rxq_new(4, 1024);
    double t0 = now_s();
    assert_null(oc_rxq_pop(q, 150));
    assert_true(now_s() - t0 >= 0.14); /* it waited (a lower bound only: machines are busy) */
    oc_rxq_free(q);
    oc_rxq_free(NULL);
}

#define N_THREADED 20000

static void *producer(void *ud)
{
    struct oc_rxq *q = ud;
    char p[24];
    for (uint64_t i = 1; i <= N_THREADED;) {
        int n = snprintf(p, sizeof p, "%llu", (unsigned long long)i);
        oc_err_t e = oc_rxq_push(q, i, 7000 + (int64_t)(i), "t/x", 3, p, (size_t)n);
        if (e == OC_OK)
            i++;
        else if (e == OC_EFULL)
            sched_yield(); /* the daemon counts a drop; here the producer retries */
        else
            return (void *)1;
    }
    return NULL;
}

static void threads_keep_order(void **state)
{
    (void)state;
    struct oc_rxq *q = oc_rxq_new(64, 4096);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, q), 0);
    uint64_t next = 1;
    while (next <= N_THREADED) {
        struct oc_rxmsg *m = oc_rxq_pop(q, 30000);
        assert_non_null(m); /* 30 s without a message: the producer is stuck */
        assert_int_equal(m->seq, next);
        assert_int_equal(strtoull(m->payload, NULL, 10), next);
        next++;
        free(m);
    }
    void *ret;
    pthread_join(t, &ret);
    assert_null(ret);
    oc_rxq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_order_and_copies),
        cmocka_unit_test(message_limit),
        cmocka_unit_test(byte_limit),
        cmocka_unit_test(pop_waits_for_its_timeout),
        cmocka_unit_test(threads_keep_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
