/* oc_recv, ordercamd's receive path, on a real journal and record file in
 * a temporary directory: one order and one receive time for the journal,
 * the queue and the recording; the queue's limits checked before anything
 * is journaled (both sides of each limit); frames journaled without their
 * bytes, a frame that is not a JPEG journaled as one byte; a silent
 * camera's tick only while no message waits, recorded where it is applied;
 * snapshot-URL frames under the prefix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oc_proc.h"
#include "oc_recv.h"

#define JPEG "\xff\xd8\xff\xe0jpeg-bytes"

struct fx {
    char dir[256], rec[300];
    struct oc_journal *j;
    struct oc_rxq *q;
    struct oc_recfile *record;
    struct oc_dcounters dc;
    struct oc_recv *r;
};

static struct fx *fx_new(size_t max_msgs, size_t max_bytes)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(oc_tmpdir(f->dir, sizeof f->dir), 0);
    char err[256];
    assert_non_null(f->j = oc_journal_open(f->dir, err, sizeof err));
    assert_non_null(f->q = oc_rxq_new(max_msgs, max_bytes));
    snprintf(f->rec, sizeof f->rec, "%s/rec.jsonl", f->dir);
    assert_non_null(f->record = oc_recfile_open(f->rec));
    struct oc_recv_opts o = {.journal = f->j,
                             .rxq = f->q,
                             .max_msgs = max_msgs,
                             .max_bytes = max_bytes,
                             .record = f->record,
                             .dc = &f->dc};
    assert_non_null(f->r = oc_recv_new(&o));
    oc_recv_set_prefix(f->r, "oc/");
    return f;
}

static void fx_free(struct fx *f)
{
    oc_recv_free(f->r);
    oc_recfile_close(f->record);
    oc_rxq_free(f->q);
    oc_journal_close(f->j);
    oc_rmtree(f->dir);
    free(f);
}

static int put(struct fx *f, const char *topic, const char *payload, size_t len)
{
    return oc_recv_message(f->r, topic, strlen(topic), payload, len);
}

/* The record file's lines, each into lines[i] (at most max). */
static size_t record_lines(struct fx *f, char lines[][512], size_t max)
{
    FILE *fp = fopen(f->rec, "r");
    assert_non_null(fp);
    size_t n = 0;
    while (n < max && fgets(lines[n], 512, fp))
        lines[n][strcspn(lines[n], "\n")] = '\0', n++;
    fclose(fp);
    return n;
}

struct seen {
    uint64_t seq[8];
    int64_t rx[8];
    size_t len[8];
    char payload[8][64];
    size_t n;
};

static void on_message(void *ud, uint64_t seq, int64_t wall_ms, const char *topic, size_t tlen,
                       const void *payload, size_t len)
{
    struct seen *s = ud;
    (void)topic, (void)tlen;
    assert_true(s->n < 8);
    s->seq[s->n] = seq;
    s->rx[s->n] = wall_ms;
    s->len[s->n] = len;
    snprintf(s->payload[s->n], sizeof s->payload[0], "%.*s", (int)len, (const char *)payload);
    s->n++;
}

static void on_tick(void *ud, const char *camera, int64_t ts)
{
    (void)ud, (void)camera, (void)ts;
}

static void one_order_one_time(void **state)
{
    (void)state;
    struct fx *f = fx_new(16, 1 << 20);
    const char *det = "{\"ts\":5,\"objects\":[]}";
    int64_t before = oc_recv_now();
    assert_int_equal(put(f, "oc/cameras/c1/detections", det, strlen(det)), 0);
    assert_int_equal(put(f, "oc/cameras/c1/frames/5", JPEG, sizeof JPEG - 1), 0);
    assert_int_equal(put(f, "oc/cameras/c1/frames/6", "not a jpeg", 10), 0);
    assert_int_equal(put(f, "frigate/events", "plain words", 11), 0);
    int64_t after = oc_recv_now();

    /* the queue: in order, numbered as journaled, bytes as received */
    struct oc_rxmsg *m[4];
    for (int i = 0; i < 4; i++) {
        assert_non_null(m[i] = oc_rxq_pop(f->q, 0));
        assert_int_equal(m[i]->seq, (uint64_t)i + 1);
        assert_true(m[i]->rx_ms >= before && m[i]->rx_ms <= after);
    }
    assert_null(oc_rxq_pop(f->q, 0));
    assert_memory_equal(m[1]->payload, JPEG, sizeof JPEG - 1);
    assert_int_equal(m[2]->len, 10); /* the engine gets the bad frame to refuse and count it */

    /* the journal: same seqs and times; frames without bytes, a bad one as one byte */
    struct seen s = {0};
    struct oc_journal_sink sink = {on_message, on_tick};
    uint64_t msgs = 0, bad = 0;
    assert_int_equal(oc_journal_replay(f->j, 0, &sink, &s, &msgs, &bad), OC_OK);
    assert_int_equal(s.n, 4);
    assert_int_equal(bad, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s.seq[i], m[i]->seq);
        assert_int_equal(s.rx[i], m[i]->rx_ms);
    }
    assert_string_equal(s.payload[0], det);
    assert_int_equal(s.len[1], 0);
    assert_int_equal(s.len[2], 1);
    assert_string_equal(s.payload[2], "-");
    assert_string_equal(s.payload[3], "plain words");

    /* the recording: same order and times, every payload whole */
    char lines[8][512];
    assert_int_equal(record_lines(f, lines, 8), 4);
    char want[512];
    snprintf(want, sizeof want,
             "{\"ts\":%lld,\"topic\":\"oc/cameras/c1/detections\",\"payload\":%s}",
             (long long)m[0]->rx_ms, det);
    assert_string_equal(lines[0], want);
    assert_non_null(strstr(lines[1], "\"payload_b64\":\"/9j/4GpwZWctYnl0ZXM=\""));
    assert_non_null(strstr(lines[3], "\"payload_b64\":\"cGxhaW4gd29yZHM=\""));
    for (int i = 0; i < 4; i++)
        free(m[i]);
    assert_int_equal(f->dc.v[OC_D_RX_FULL], 0);
    fx_free(f);
}

static void queue_limit_in_messages(void **state)
{
    (void)state;
    struct fx *f = fx_new(2, 1 << 20);
    assert_int_equal(put(f, "oc/signals/s1", "{}", 2), 0);
    assert_int_equal(put(f, "oc/signals/s1", "{}", 2), 0);  /* at the limit: taken */
    assert_int_equal(put(f, "oc/signals/s1", "{}", 2), -1); /* one more: refused */
    assert_int_equal(f->dc.v[OC_D_RX_FULL], 1);
    /* refused before the journal and the recording saw it */
    assert_int_equal(oc_journal_next_seq(f->j), 3);
    char lines[8][512];
    assert_int_equal(record_lines(f, lines, 8), 2);
    free(oc_rxq_pop(f->q, 0));
    assert_int_equal(put(f, "oc/signals/s1", "{}", 2), 0); /* room again */
    assert_int_equal(oc_journal_next_seq(f->j), 4);
    fx_free(f);
}

static void queue_limit_in_bytes(void **state)
{
    (void)state;
    /* a message takes topic + payload + 2 bytes */
    const char *topic = "oc/signals/s1"; /* 13 */
    struct fx *f = fx_new(16, 13 + 10 + 2);
    assert_int_equal(put(f, topic, "0123456789x", 11), -1); /* one byte over */
    assert_int_equal(f->dc.v[OC_D_RX_FULL], 1);
    assert_int_equal(oc_journal_next_seq(f->j), 1);
    assert_int_equal(put(f, topic, "0123456789", 10), 0); /* exactly fits */
    assert_int_equal(put(f, topic, "", 0), -1);           /* the queue is full */
    assert_int_equal(f->dc.v[OC_D_RX_FULL], 2);
    fx_free(f);
}

/* A QoS 1 message the broker sends again after a crash of the daemon (its
 * PUBACK was lost with the process) was journaled and applied already: it
 * must not reach the queue, the journal or the recording again. */
static void redelivered_message_is_dropped_and_counted(void **state)
{
    (void)state;
    struct fx *f = fx_new(16, 1 << 20);
    const char *det = "{\"ts\":5,\"objects\":[]}", *topic = "oc/cameras/c1/detections";
    assert_int_equal(oc_recv_mqtt(f->r, 42, topic, strlen(topic), det, strlen(det)), 0);
    oc_recv_free(f->r);
    oc_journal_close(f->j); /* the crash, and a new daemon on the same spool */
    char err[256];
    assert_non_null(f->j = oc_journal_open(f->dir, err, sizeof err));
    struct oc_recv_opts o = {.journal = f->j,
                             .rxq = f->q,
                             .max_msgs = 16,
                             .max_bytes = 1 << 20,
                             .record = f->record,
                             .dc = &f->dc};
    assert_non_null(f->r = oc_recv_new(&o));
    oc_recv_set_prefix(f->r, "oc/");
    assert_int_equal(oc_recv_mqtt(f->r, 42, topic, strlen(topic), det, strlen(det)), 0);
    assert_int_equal(f->dc.v[OC_D_REDELIVERED], 1);
    assert_int_equal(oc_journal_next_seq(f->j), 2);
    /* a new message under the same packet id is taken */
    const char *det2 = "{\"ts\":6,\"objects\":[]}";
    assert_int_equal(oc_recv_mqtt(f->r, 42, topic, strlen(topic), det2, strlen(det2)), 0);
    assert_int_equal(f->dc.v[OC_D_REDELIVERED], 1);
    struct oc_rxmsg *m[3] = {oc_rxq_pop(f->q, 0), oc_rxq_pop(f->q, 0), oc_rxq_pop(f->q, 0)};
    assert_non_null(m[0]);
    assert_non_null(m[1]);
    assert_null(m[2]);
    assert_int_equal(m[0]->seq, 1);
    assert_int_equal(m[1]->seq, 2);
    free(m[0]);
    free(m[1]);
    char lines[8][512];
    assert_int_equal(record_lines(f, lines, 8), 2);
    fx_free(f);
}

static void empty_payload_is_empty(void **state)
{
    (void)state;
    struct fx *f = fx_new(4, 1 << 20);
    assert_int_equal(oc_recv_message(f->r, "oc/signals/s1", 13, NULL, 0), 0);
    struct oc_rxmsg *m = oc_rxq_pop(f->q, 0);
    assert_non_null(m);
    assert_non_null(m->payload); /* NULL would mean "journaled without bytes" */
    assert_int_equal(m->len, 0);
    free(m);
    fx_free(f);
}

static void tick_only_while_nothing_waits(void **state)
{
    (void)state;
    struct fx *f = fx_new(4, 1 << 20);
    int64_t rx = 0;
    assert_int_equal(put(f, "oc/signals/s1", "{\"a\":1}", 7), 0);
    assert_false(oc_recv_tick(f->r, "c1", 1234, &rx)); /* a message waits: not now */
    assert_int_equal(rx, 0);
    free(oc_rxq_pop(f->q, 0));
    int64_t before = oc_recv_now();
    assert_true(oc_recv_tick(f->r, "c1", 1234, &rx));
    assert_true(rx >= before && rx <= oc_recv_now());
    assert_int_equal(put(f, "oc/signals/s1", "{\"a\":2}", 7), 0);
    char lines[8][512], want[128];
    assert_int_equal(record_lines(f, lines, 8), 3); /* message, tick, message */
    snprintf(want, sizeof want, "{\"ts\":%lld,\"tick\":{\"camera\":\"c1\",\"ts\":1234}}",
             (long long)rx);
    assert_string_equal(lines[1], want);
    assert_non_null(strstr(lines[0], "{\"a\":1}"));
    assert_non_null(strstr(lines[2], "{\"a\":2}"));
    fx_free(f);
}

static void snapshot_frames_under_the_prefix(void **state)
{
    (void)state;
    struct fx *f = fx_new(4, 1 << 20);
    assert_int_equal(oc_recv_frame(f->r, "gate-1", 1700000000123, JPEG, sizeof JPEG - 1), 0);
    struct oc_rxmsg *m = oc_rxq_pop(f->q, 0);
    assert_non_null(m);
    assert_int_equal(m->topic_len, strlen("oc/cameras/gate-1/frames/1700000000123"));
    assert_memory_equal(m->topic, "oc/cameras/gate-1/frames/1700000000123", m->topic_len);
    free(m);
    char id[600];
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    assert_int_equal(oc_recv_frame(f->r, id, 1, JPEG, sizeof JPEG - 1), -1); /* too long */
    assert_null(oc_rxq_pop(f->q, 0));
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_order_one_time),
        cmocka_unit_test(queue_limit_in_messages),
        cmocka_unit_test(queue_limit_in_bytes),
        cmocka_unit_test(redelivered_message_is_dropped_and_counted),
        cmocka_unit_test(empty_payload_is_empty),
        cmocka_unit_test(tick_only_while_nothing_waits),
        cmocka_unit_test(snapshot_frames_under_the_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
