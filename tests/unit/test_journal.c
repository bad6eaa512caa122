/* oc_journal on real files in a temporary directory: numbering, replay of
 * what follows a cut (messages and the ticks between them, in order),
 * frames without their bytes, a line torn by a crash, rotation and what it
 * deletes, numbering across a restart after rotation (oc_journal_continue_after),
 * and the MQTT packet-id memory that recognises a broker's redelivery after a
 * crash, across restarts and rotations and with mids.bin damaged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "oc_journal.h"
#include "oc_proc.h"

struct seen {
    char log[64][96]; /* "m<seq>:<topic>:<payload>" or "t<camera>@<ts>" */
    size_t n;
};

static void on_message(void *ud, uint64_t seq, int64_t wall_ms, const char *topic, size_t topic_len,
                       const void *payload, size_t len)
{
    struct seen *s = ud;
    assert_int_equal(wall_ms, 1000); /* every message here was received at 1000 */
    assert_true(s->n < 64);
    snprintf(s->log[s->n++], sizeof s->log[0], "m%llu:%.*s:%.*s", (unsigned long long)seq,
             (int)topic_len, topic, (int)len, (const char *)payload);
}

static void on_tick(void *ud, const char *camera, int64_t ts)
{
    struct seen *s = ud;
    assert_true(s->n < 64);
    snprintf(s->log[s->n++], sizeof s->log[0], "t%s@%lld", camera, (long long)ts);
}

static const struct oc_journal_sink sink = {on_message, on_tick};

static struct oc_journal *open_j(const char *dir)
{
    char err[256] = "";
    struct oc_journal *j = oc_journal_open(dir, err, sizeof err);
    if (!j)
        fail_msg("open: %s", err);
    return j;
}

static uint64_t msg(struct oc_journal *j, const char *topic, const char *payload)
{
    uint64_t seq = 0;
    assert_int_equal(
        oc_journal_message(j, 1000, topic, strlen(topic), payload, strlen(payload), 0, &seq),
        OC_OK);
    return seq;
}

static struct seen *replay(struct oc_journal *j, uint64_t after, uint64_t *msgs, uint64_t *bad)
{
    static struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(oc_journal_replay(j, after, &sink, &s, msgs, bad), OC_OK);
    return &s;
}

static size_t count_files(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/journal", dir);
    DIR *d = opendir(path);
    size_t n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += strstr(de->d_name, ".jsonl") != NULL;
    if (d)
        closedir(d);
    return n;
}

static int setup(void **state)
{
    static char dir[256];
    assert_int_equal(oc_tmpdir(dir, sizeof dir), 0);
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", (const char *)*state);
    return system(cmd) == 0 ? 0 : -1;
}

static void append_and_replay_after_cut(void **state)
{
    const char *dir = *state;
    struct oc_journal *j = open_j(dir);
    assert_int_equal(oc_journal_next_seq(j), 1);
    assert_int_equal(msg(j, "ordercam/c1/detections", "{\"a\":1}"), 1);
    assert_int_equal(msg(j, "ordercam/c1/detections", "{\"a\":2}"), 2);
    assert_int_equal(oc_journal_tick(j, 1000, "c1", 5000, 2), OC_OK); /* after message 2 */
    assert_int_equal(msg(j, "t\"q", "bytes \x01\n"), 3);              /* quoting, raw bytes */
    uint64_t fseq;
    assert_int_equal(oc_journal_message(j, 1000, "ordercam/c1/frames", 18, "JPEGDATA", 8, 1, &fseq),
                     OC_OK);
    assert_int_equal(fseq, 4);
    assert_int_equal(oc_journal_tick(j, 1000, "c1", 6000, 4), OC_OK);
    uint64_t msgs, bad;
    struct seen *s = replay(j, 0, &msgs, &bad);
    assert_int_equal(msgs, 4);
    assert_int_equal(bad, 0);
    static const char *const all[] = {"m1:ordercam/c1/detections:{\"a\":1}",
                                      "m2:ordercam/c1/detections:{\"a\":2}",
                                      "tc1@5000",
                                      "m3:t\"q:bytes \x01\n",
                                      "m4:ordercam/c1/frames:",
                                      "tc1@6000"};
    assert_int_equal(s->n, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(s->log[i], all[i]);
    /* the cut: the engine's snapshot holds messages up to 2 */
    s = replay(j, 2, &msgs, &bad);
    assert_int_equal(msgs, 2);
    assert_int_equal(s->n, 4);
    assert_string_equal(s->log[0], "tc1@5000"); /* the tick after 2 is not in the snapshot */
    assert_string_equal(s->log[1], all[3]);
    s = replay(j, 4, &msgs, &bad);
    assert_int_equal(msgs, 0);
    assert_int_equal(s->n, 1);
    assert_string_equal(s->log[0], "tc1@6000");
    oc_journal_close(j);
    /* a restart continues the numbering */
    j = open_j(dir);
    assert_int_equal(oc_journal_next_seq(j), 5);
    assert_int_equal(msg(j, "x", "y"), 5);
    oc_journal_close(j);
}

static void torn_line_is_counted(void **state)
{
    const char *dir = *state;
    struct oc_journal *j = open_j(dir);
    msg(j, "a", "1");
    msg(j, "a", "2");
    oc_journal_close(j);
    /* a crash cut the last line short */
    char path[512];
    snprintf(path, sizeof path, "%s/journal/%020d.jsonl", dir, 1);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("{\"ts\":1000,\"seq\":3,\"topic\":\"a\",\"payl", f);
    fclose(f);
    j = open_j(dir);
    uint64_t msgs, bad;
    struct seen *s = replay(j, 0, &msgs, &bad);
    assert_int_equal(msgs, 2);
    assert_int_equal(bad, 1);
    assert_string_equal(s->log[1], "m2:a:2");
    /* a line with a bad payload is counted, not applied */
    f = fopen(path, "a");
    fputs("\n{\"ts\":1000,\"seq\":9,\"topic\":\"a\",\"payload_b64\":\"*\"}\n", f);
    fclose(f);
    s = replay(j, 0, &msgs, &bad);
    assert_int_equal(msgs, 2);
    assert_int_equal(bad, 2);
    oc_journal_close(j);
}

static void rotation_deletes_only_applied_generations(void **state)
{
    const char *dir = *state;
    struct oc_journal *j = open_j(dir);
    msg(j, "a", "1");
    msg(j, "a", "2");
    assert_int_equal(oc_journal_rotate(j, 1), OC_OK); /* message 2 is not applied yet */
    assert_int_equal(count_files(dir), 2);
    msg(j, "a", "3");
    uint64_t msgs, bad;
    struct seen *s = replay(j, 1, &msgs, &bad);
    assert_int_equal(msgs, 2); /* 2 from the old generation, 3 from the new */
    assert_string_equal(s->log[0], "m2:a:2");
    assert_string_equal(s->log[1], "m3:a:3");
    assert_int_equal(oc_journal_rotate(j, 2), OC_OK);
    /* generation 1 (1..2) is applied: gone; 2 (3) stays */
    assert_int_equal(count_files(dir), 2);
    s = replay(j, 0, &msgs, &bad);
    assert_int_equal(msgs, 1);
    assert_string_equal(s->log[0], "m3:a:3");
    oc_journal_close(j);
}

static void numbering_survives_rotation_and_restart(void **state)
{
    const char *dir = *state;
    struct oc_journal *j = open_j(dir);
    msg(j, "a", "1");
    msg(j, "a", "2");
    msg(j, "a", "3");
    /* a snapshot of everything, then a stop before the next message */
    assert_int_equal(oc_journal_rotate(j, 3), OC_OK);
    assert_int_equal(oc_journal_rotate(j, 3), OC_OK); /* a second snapshot at start-up */
    oc_journal_close(j);
    j = open_j(dir);
    /* every generation with a message is gone: the files alone would number
     * from 1 again, which the next recovery would take for messages in the
     * snapshot and skip; the snapshot's applied seq continues the numbering */
    assert_int_equal(oc_journal_next_seq(j), 1);
    oc_journal_continue_after(j, 3);
    assert_int_equal(oc_journal_next_seq(j), 4);
    oc_journal_continue_after(j, 2); /* never backwards */
    assert_int_equal(oc_journal_next_seq(j), 4);
    assert_int_equal(msg(j, "a", "4"), 4);
    uint64_t msgs, bad;
    struct seen *s = replay(j, 3, &msgs, &bad);
    assert_int_equal(msgs, 1);
    assert_string_equal(s->log[0], "m4:a:4");
    /* rotations without messages leave no pile of empty generations */
    for (int i = 0; i < 100; i++)
        assert_int_equal(oc_journal_rotate(j, 4), OC_OK);
    assert_true(count_files(dir) <= 2);
    oc_journal_close(j);
}

static oc_err_t mq(struct oc_journal *j, unsigned mid, const char *topic, const char *payload,
                   int frame, uint64_t *seq)
{
    return oc_journal_mqtt(j, 1000, mid, topic, strlen(topic), payload, strlen(payload), frame,
                           seq);
}

static void redelivery_is_recognised_by_packet_id_and_content(void **state)
{
    const char *dir = *state;
    struct oc_journal *j = open_j(dir);
    uint64_t seq = 99;
    assert_int_equal(mq(j, 5, "a", "x", 0, &seq), OC_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(mq(j, 5, "a", "x", 0, &seq), OC_EEXIST); /* the resend */
    assert_int_equal(seq, 0);
    /* the broker gave id 5 to a new message: taken, and it is id 5's now */
    assert_int_equal(mq(j, 5, "a", "y", 0, &seq), OC_OK);
    assert_int_equal(seq, 2);
    assert_int_equal(mq(j, 5, "a", "x", 0, &seq), OC_OK);
    assert_int_equal(mq(j, 6, "a", "x", 0, &seq), OC_OK); /* another id: another message */
    assert_int_equal(mq(j, 5, "b", "x", 0, &seq), OC_OK); /* another topic */
    /* without a packet id (QoS 0) nothing is ever a resend */
    assert_int_equal(mq(j, 0, "a", "x", 0, &seq), OC_OK);
    assert_int_equal(mq(j, 0, "a", "x", 0, &seq), OC_OK);
    /* frames are journaled without bytes, but their bytes tell them apart */
    assert_int_equal(mq(j, 7, "c1/frames/1", "JPEG-A", 1, &seq), OC_OK);
    assert_int_equal(mq(j, 7, "c1/frames/1", "JPEG-B", 1, &seq), OC_OK);
    assert_int_equal(mq(j, 7, "c1/frames/1", "JPEG-B", 1, &seq), OC_EEXIST);
    /* the topic/payload boundary counts: "ab"+"c" is not "a"+"bc" */
    assert_int_equal(mq(j, 8, "ab", "c", 0, &seq), OC_OK);
    assert_int_equal(mq(j, 8, "a", "bc", 0, &seq), OC_OK);
    uint64_t msgs, bad;
    replay(j, 0, &msgs, &bad);
    assert_int_equal(msgs, 11); /* the two resends were not journaled */
    assert_int_equal(bad, 0);
    oc_journal_close(j);
}

static void redelivery_is_recognised_after_restart_and_rotation(void **state)
{
    const char *dir = *state;
    struct oc_journal *j = open_j(dir);
    uint64_t seq;
    assert_int_equal(mq(j, 1, "a", "1", 0, &seq), OC_OK);
    assert_int_equal(mq(j, 2, "a", "2", 0, &seq), OC_OK);
    oc_journal_close(j); /* the crash: the broker still has 1 and 2 unacknowledged */
    j = open_j(dir);
    assert_int_equal(mq(j, 1, "a", "1", 0, &seq), OC_EEXIST);
    assert_int_equal(mq(j, 2, "a", "2", 0, &seq), OC_EEXIST);
    assert_int_equal(mq(j, 3, "a", "3", 0, &seq), OC_OK);
    /* a snapshot of everything deletes every generation with a message;
     * mids.bin keeps what they knew */
    assert_int_equal(oc_journal_rotate(j, 3), OC_OK);
    assert_int_equal(oc_journal_rotate(j, 3), OC_OK);
    assert_int_equal(mq(j, 4, "a", "4", 0, &seq), OC_OK); /* after mids.bin: in the journal */
    oc_journal_close(j);
    j = open_j(dir);
    assert_int_equal(mq(j, 3, "a", "3", 0, &seq), OC_EEXIST);
    assert_int_equal(mq(j, 4, "a", "4", 0, &seq), OC_EEXIST);
    assert_int_equal(mq(j, 1, "a", "1", 0, &seq), OC_EEXIST);
    assert_int_equal(mq(j, 2, "a", "9", 0, &seq), OC_OK);
    oc_journal_close(j);
    /* the newer line wins over mids.bin for the same id */
    j = open_j(dir);
    assert_int_equal(mq(j, 2, "a", "2", 0, &seq), OC_OK);
    oc_journal_close(j);
}

static void damaged_mids_file_falls_back_to_the_journal(void **state)
{
    const char *dir = *state;
    struct oc_journal *j = open_j(dir);
    uint64_t seq;
    assert_int_equal(mq(j, 1, "a", "1", 0, &seq), OC_OK);
    assert_int_equal(oc_journal_rotate(j, 0), OC_OK); /* nothing applied: generation kept */
    assert_int_equal(mq(j, 2, "a", "2", 0, &seq), OC_OK);
    oc_journal_close(j);
    char path[512];
    snprintf(path, sizeof path, "%s/journal/mids.bin", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fputs("garbage!", f); /* a torn or foreign file */
    fclose(f);
    j = open_j(dir);
    assert_int_equal(mq(j, 1, "a", "1", 0, &seq), OC_EEXIST); /* from the kept generation */
    assert_int_equal(mq(j, 2, "a", "2", 0, &seq), OC_EEXIST);
    oc_journal_close(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(append_and_replay_after_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_line_is_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(rotation_deletes_only_applied_generations, setup, teardown),
        cmocka_unit_test_setup_teardown(numbering_survives_rotation_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(redelivery_is_recognised_by_packet_id_and_content, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(redelivery_is_recognised_after_restart_and_rotation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(damaged_mids_file_falls_back_to_the_journal, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
