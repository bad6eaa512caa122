/* The --record writer (oc_recfile.h). */
#include "oc_recfile.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_event.h"
#include "ordercam/oc_text.h"

struct oc_recfile {
    pthread_mutex_t lock;
    FILE *f;
    uint64_t errors;
};

struct oc_recfile *oc_recfile_open(const char *path)
{
    struct oc_recfile *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (!(r->f = fopen(path, "a"))) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void oc_recfile_close(struct oc_recfile *r)
{
    if (!r)
        return;
    fclose(r->f);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Called with the lock held: the line is complete and flushed, or counted. */
static void end_line(struct oc_recfile *r, int ok)
{
    if (fputs("}\n", r->f) < 0 || fflush(r->f) != 0 || !ok)
        r->errors++;
}

void oc_recfile_message(struct oc_recfile *r, int64_t rx_ms, const char *topic, size_t tlen,
                        const void *payload, size_t len, bool binary)
{
    if (!r)
        return;
    char *t = malloc(tlen + 1), *tq = malloc(tlen * 6 + 3);
    enum oc_counter why;
    cJSON *j = binary || !payload ? NULL : oc_event_parse(payload, len, &why);
    char *b = j ? NULL : malloc(oc_text_b64_encoded_len(len) + 1);
    int ok = t && tq && (j || b);
    if (ok) {
        memcpy(t, topic, tlen);
        t[tlen] = '\0';
        oc_text_json_quote(tq, tlen * 6 + 3, t);
        if (b)
            oc_text_b64_encode(payload, len, b);
    }
    pthread_mutex_lock(&r->lock);
    if (ok) {
        fprintf(r->f, "{\"ts\":%" PRId64 ",\"topic\":%s,", rx_ms, tq);
        if (j) {
            /* valid JSON: kept as is, newlines between tokens made spaces */
            const char *p = payload;
            fputs("\"payload\":", r->f);
            for (size_t i = 0; i < len; i++)
                fputc(p[i] == '\n' || p[i] == '\r' ? ' ' : p[i], r->f);
        } else {
            fprintf(r->f, "\"payload_b64\":\"%s\"", b);
        }
        end_line(r, 1);
    } else {
        r->errors++; /* out of memory: this message is not recorded */
    }
    pthread_mutex_unlock(&r->lock);
    cJSON_Delete(j);
    free(b);
    free(tq);
    free(t);
}

void oc_recfile_tick(struct oc_recfile *r, int64_t rx_ms, const char *camera, int64_t camera_ts)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    fprintf(r->f, "{\"ts\":%" PRId64 ",\"tick\":{\"camera\":\"%s\",\"ts\":%" PRId64 "}", rx_ms,
            camera, camera_ts);
    end_line(r, 1);
    pthread_mutex_unlock(&r->lock);
}

uint64_t oc_recfile_errors(struct oc_recfile *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->lock);
    uint64_t n = r->errors;
    pthread_mutex_unlock(&r->lock);
    return n;
}
