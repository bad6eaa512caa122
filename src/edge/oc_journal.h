/* The daemon's crash journal: every received message, appended by the
 * receive thread before it is queued, and every clock tick of a silent
 * camera, numbered. With the engine snapshot (oc_engine_save) it lets a
 * restarted daemon rebuild exactly the state it had. Files are event logs
 * (docs/events.md) in <spool>/journal/<generation>.jsonl with two extra
 * fields: "seq" on messages and, on ticks, "after" (the seq of the last
 * message applied before the tick). Thread-safe.
 *
 * It also remembers, for each MQTT packet id, a digest of the last message
 * received with it ("mid" and "h" on the line; <spool>/journal/mids.bin at
 * each rotation), so that a QoS 1 message the broker sends again after a
 * crash (its PUBACK died with the process: libmosquitto queues it, the
 * kernel drops it) is known as one already journaled and applied. Bounded:
 * 65,536 packet ids x 8 bytes. */
#ifndef OC_JOURNAL_H
#define OC_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_err.h"

struct oc_journal;

/* Opens <dir>/journal, continuing the newest generation and its numbering.
 * NULL with a message in err on failure. */
struct oc_journal *oc_journal_open(const char *dir, char *err, size_t errlen);
void oc_journal_close(struct oc_journal *j);

/* Appends a message and returns its seq in *seq (0 when the write failed:
 * the caller counts it; the message is still processed). Frames are
 * journaled without their bytes: only their topic matters to the engine. */
oc_err_t oc_journal_message(struct oc_journal *j, int64_t wall_ms, const char *topic,
                            size_t topic_len, const void *payload, size_t len, int is_frame,
                            uint64_t *seq);
/* The same for a message that came with an MQTT packet id (mid 1..65535;
 * 0 = none, as for QoS 0 or a snapshot-URL frame: then exactly
 * oc_journal_message). OC_EEXIST, with nothing written and *seq 0, when the
 * last message journaled with this packet id had the same topic and
 * payload: the broker's redelivery of a message already journaled. */
oc_err_t oc_journal_mqtt(struct oc_journal *j, int64_t wall_ms, unsigned mid, const char *topic,
                         size_t topic_len, const void *payload, size_t len, int is_frame,
                         uint64_t *seq);
oc_err_t oc_journal_tick(struct oc_journal *j, int64_t wall_ms, const char *camera,
                         int64_t camera_ts, uint64_t after);

/* Starts a new generation, writes the packet-id digests (mids.bin: what the
 * deleted generations held) and deletes generations whose every message is
 * at most `applied` (already in a durable snapshot). */
oc_err_t oc_journal_rotate(struct oc_journal *j, uint64_t applied);

/* Replays generations in order: messages with seq > after, and the ticks
 * that follow them, in the order the engine applied them. */
struct oc_journal_sink {
    /* wall_ms: the line's "ts", when the message was received */
    void (*message)(void *ud, uint64_t seq, int64_t wall_ms, const char *topic, size_t topic_len,
                    const void *payload, size_t len);
    void (*tick)(void *ud, const char *camera, int64_t camera_ts);
};
oc_err_t oc_journal_replay(struct oc_journal *j, uint64_t after, const struct oc_journal_sink *s,
                           void *ud, uint64_t *messages, uint64_t *bad_lines);

/* Numbers the next message after `applied` at least: a snapshot may have
 * applied messages whose generations were all deleted since, and a seq
 * numbered again from 1 would be skipped by the next replay. */
void oc_journal_continue_after(struct oc_journal *j, uint64_t applied);

/* The seq the next message will get. */
uint64_t oc_journal_next_seq(struct oc_journal *j);

#endif
