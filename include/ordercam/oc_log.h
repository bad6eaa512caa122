/* Reading event logs (events.md): JSON Lines, optionally gzip-compressed,
 * one MQTT message per line. Lines are bounded (OC_LOG_LINE_MAX); a longer
 * line is skipped whole and reported as malformed. */
#ifndef OC_LOG_H
#define OC_LOG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ordercam/oc_err.h"

#define OC_LOG_LINE_MAX (24u << 20) /* a 16 MiB frame in base64, plus the envelope */

enum oc_log_payload {
    OC_LOG_JSON,
    OC_LOG_B64,
    OC_LOG_FILE,
    OC_LOG_TICK /* {"ts", "tick": {"camera", "ts"}}: a silent camera's clock moved (ordercamd) */
};

struct oc_log_msg {
    int64_t ts;
    const char *topic;
    size_t topic_len;
    enum oc_log_payload kind;
    const cJSON *json; /* OC_LOG_JSON */
    const char
        *text; /* OC_LOG_B64: base64 text; OC_LOG_FILE: relative path; OC_LOG_TICK: camera id */
    size_t text_len;
    unsigned long line; /* 1-based line number */
    size_t line_len;    /* bytes of the line */
    int64_t tick_ts;    /* OC_LOG_TICK: the camera clock to move to */
};

struct oc_log;

/* Opens path (plain or gzip). NULL on failure with errno set. Caller frees
 * with oc_log_close(). */
struct oc_log *oc_log_open(const char *path);
void oc_log_close(struct oc_log *log);

/* Reads the next message. Returns OC_OK with *msg filled (its pointers are
 * owned by the reader and valid until the next call), OC_ENOTFOUND at end
 * of file, OC_EIO on a read error, or OC_EPARSE for a malformed line, with
 * a reason in why (static string) and msg->line set; reading may continue. */
oc_err_t oc_log_next(struct oc_log *log, struct oc_log_msg *msg, const char **why);

/* Bytes of the (compressed) file consumed so far and the file's size. */
void oc_log_progress(const struct oc_log *log, uint64_t *done, uint64_t *total);

/* The folder of the log file, for payload_file paths (owned by the log). */
const char *oc_log_dir(const struct oc_log *log);

#endif
