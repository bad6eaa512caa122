#include "ordercam/oc_log.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "ordercam/oc_event.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_text.h"
#include "adapt/oc_adapt_json.h"

struct oc_log {
    gzFile gz;
    char *buf;
    size_t cap;
    const cJSON *root;      /* the line's tree: in ajson's arena or, when owned, cJSON's */
    cJSON *root_owned;      /* root when oc_json_parse made it: cJSON_Delete it */
    struct oc_ajson *ajson; /* the fast reader (oc_adapt_json.h), reused per line */
    struct oc_json_error jerr;
    char why[200]; /* the last line's refusal, for *why */
    unsigned long line;
    uint64_t size;
    char *dir;
};

struct oc_log *oc_log_open(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return NULL;
    }
    struct oc_log *log = calloc(1, sizeof *log);
    if (!log)
        return NULL;
    log->size = (uint64_t)st.st_size;
    log->cap = 64 * 1024;
    log->buf = malloc(log->cap);
    log->ajson = malloc(sizeof *log->ajson);
    size_t plen = strlen(path);
    log->dir = malloc(plen + 2);
    log->gz = gzopen(path, "rb");
    if (!log->buf || !log->ajson || !log->dir || !log->gz) {
        int saved = errno ? errno : ENOMEM;
        oc_log_close(log);
        errno = saved;
        return NULL;
    }
    gzbuffer(log->gz, 256 * 1024);
    memcpy(log->dir, path, plen + 1);
    char *slash = strrchr(log->dir, '/');
    if (slash)
        slash[1] = '\0';
    else
        strcpy(log->dir, "./");
    return log;
}

static void drop_root(struct oc_log *log)
{
    cJSON_Delete(log->root_owned);
    log->root = log->root_owned = NULL;
}

void oc_log_close(struct oc_log *log)
{
    if (!log)
        return;
    if (log->gz)
        gzclose(log->gz);
    drop_root(log);
    free(log->ajson);
    free(log->buf);
    free(log->dir);
    free(log);
}

const char *oc_log_dir(const struct oc_log *log)
{
    return log->dir;
}

void oc_log_progress(const struct oc_log *log, uint64_t *done, uint64_t *total)
{
    z_off_t off = gzoffset(log->gz);
    *done = off < 0 ? 0 : (uint64_t)off;
    *total = log->size;
}

/* Reads one line into buf (without '\n'). Returns 1, 0 at EOF, -1 on error,
 * 2 for a line over the limit (consumed and discarded). */
static int read_line(struct oc_log *log, size_t *len)
{
    size_t n = 0;
    int too_long = 0;
    for (;;) {
        if (log->cap - n < 2) {
            if (log->cap >= OC_LOG_LINE_MAX) {
                too_long = 1;
                n = 0; /* keep reading to the end of the line, discarding */
            } else {
                size_t cap = log->cap * 2;
                char *b = realloc(log->buf, cap);
                if (!b)
                    return -1;
                log->buf = b;
                log->cap = cap;
            }
        }
        if (!gzgets(log->gz, log->buf + n, (int)(log->cap - n))) {
            int err;
            gzerror(log->gz, &err);
            if (err != Z_OK && err != Z_BUF_ERROR)
                return -1;
            if (n == 0 && !too_long)
                return 0;
            break; /* last line without '\n' */
        }
        n += strlen(log->buf + n);
        if (n > 0 && log->buf[n - 1] == '\n') {
            n--;
            break;
        }
    }
    if (n > 0 && log->buf[n - 1] == '\r')
        n--;
    log->buf[n] = '\0';
    *len = n;
    return too_long ? 2 : 1;
}

static oc_err_t bad(const char **why, const char *reason)
{
    *why = reason;
    return OC_EPARSE;
}

oc_err_t oc_log_next(struct oc_log *log, struct oc_log_msg *msg, const char **why)
{
    drop_root(log);
    size_t len;
    int r;
    do {
        r = read_line(log, &len);
        log->line++;
    } while (r == 1 && len == 0); /* blank lines are not messages */
    msg->line = log->line;
    msg->line_len = len;
    if (r == 0)
        return OC_ENOTFOUND;
    if (r < 0)
        return OC_EIO;
    if (r == 2)
        return bad(why, "line longer than 24 MiB");
    /* The fast reader takes the common line (a subset of what the policy
     * accepts, decoded to the same tree) without allocating; anything else,
     * accepted or refused, goes to oc_json_parse as before. The envelope
     * adds one level above the payload. */
    if (oc_ajson_read(log->ajson, log->buf, len, SIZE_MAX, OC_JSON_MAX_DEPTH + 1, &log->root,
                      &log->root_owned, &log->jerr) != OC_JSON_OK)
        return bad(why, oc_json_describe(&log->jerr, log->why, sizeof log->why));
    if (!cJSON_IsObject(log->root))
        return bad(why, "not a JSON object");
    /* one pass over the envelope's members instead of a lookup per key */
    const cJSON *ts = NULL, *topic = NULL, *p = NULL, *b = NULL, *f = NULL, *tick = NULL;
    for (const cJSON *m = log->root->child; m; m = m->next) {
        const char *k = m->string;
        if (strcmp(k, "ts") == 0)
            ts = m;
        else if (strcmp(k, "topic") == 0)
            topic = m;
        else if (strcmp(k, "payload") == 0)
            p = m;
        else if (strcmp(k, "payload_b64") == 0)
            b = m;
        else if (strcmp(k, "payload_file") == 0)
            f = m;
        else if (strcmp(k, "tick") == 0)
            tick = m;
    }
    if (tick && !topic) {
        const cJSON *cam = cJSON_GetObjectItemCaseSensitive(tick, "camera");
        const cJSON *cts = cJSON_GetObjectItemCaseSensitive(tick, "ts");
        if (!cJSON_IsNumber(ts) || !cJSON_IsString(cam) || !cJSON_IsNumber(cts) ||
            !isfinite(cts->valuedouble) || cts->valuedouble < 0 ||
            cts->valuedouble > (double)OC_TS_MAX)
            return bad(why, "a tick needs numeric \"ts\" and {\"camera\", \"ts\"}");
        msg->ts = (int64_t)ts->valuedouble;
        msg->kind = OC_LOG_TICK;
        msg->text = cam->valuestring;
        msg->text_len = strlen(cam->valuestring);
        msg->tick_ts = (int64_t)cts->valuedouble;
        msg->topic = NULL;
        msg->topic_len = 0;
        msg->json = NULL;
        return OC_OK;
    }
    if (!cJSON_IsNumber(ts) || !cJSON_IsString(topic))
        return bad(why, "needs numeric \"ts\" and string \"topic\"");
    if (!isfinite(ts->valuedouble) || ts->valuedouble < 0 || ts->valuedouble > (double)OC_TS_MAX)
        return bad(why, "\"ts\" out of range");
    msg->ts = (int64_t)ts->valuedouble;
    msg->topic = topic->valuestring;
    msg->topic_len = strlen(topic->valuestring);
    if ((p != NULL) + (b != NULL) + (f != NULL) != 1)
        return bad(why, "needs exactly one of payload, payload_b64, payload_file");
    msg->json = p;
    msg->text = NULL;
    msg->text_len = 0;
    if (p) {
        msg->kind = OC_LOG_JSON;
    } else {
        const cJSON *s = b ? b : f;
        if (!cJSON_IsString(s))
            return bad(why, b ? "payload_b64 must be a string" : "payload_file must be a string");
        msg->kind = b ? OC_LOG_B64 : OC_LOG_FILE;
        msg->text = s->valuestring;
        msg->text_len = strlen(s->valuestring);
        if (f && (msg->text_len == 0 || s->valuestring[0] == '/' || strstr(s->valuestring, "..")))
            return bad(why, "payload_file must be a relative path inside the log's folder");
    }
    return OC_OK;
}
