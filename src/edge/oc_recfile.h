/* ordercamd --record FILE: every received message, in any input format,
 * appended as an event log line (docs/events.md) that ordercam-replay turns
 * into the violations of the live run: {"ts":RX,"topic":T,"payload":JSON}
 * for a payload that is valid JSON (kept as is, newlines made spaces),
 * {"ts":RX,"topic":T,"payload_b64":"..."} for anything else (a frame, ONVIF
 * XML, a Frigate snapshot, a bare word), and the daemon's tick lines.
 * Thread-safe: lines of the receive threads and of the engine thread are
 * never interleaved. Each line is flushed; a write error is counted, not
 * fatal (counting goes on without the recording). */
#ifndef OC_RECFILE_H
#define OC_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oc_recfile;

/* Opens path for appending. NULL with errno set when it cannot. */
struct oc_recfile *oc_recfile_open(const char *path);
/* NULL is ignored. */
void oc_recfile_close(struct oc_recfile *r);

/* One message as received at rx_ms (topic and payload borrowed). binary:
 * always payload_b64 (an ordercam frames topic), else JSON when it parses. */
void oc_recfile_message(struct oc_recfile *r, int64_t rx_ms, const char *topic, size_t tlen,
                        const void *payload, size_t len, bool binary);

/* A tick of a silent camera's clock to camera_ts, written at rx_ms. */
void oc_recfile_tick(struct oc_recfile *r, int64_t rx_ms, const char *camera, int64_t camera_ts);

/* Lines that could not be written (or were cut short) since open. */
uint64_t oc_recfile_errors(struct oc_recfile *r);

#endif
