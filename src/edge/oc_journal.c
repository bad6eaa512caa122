#include "oc_journal.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ordercam/oc_io.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_text.h"

#define MAX_GENERATIONS 64
#define MID_SLOTS 65536 /* MQTT packet ids are 16 bits */
#define MIDS_MAGIC "OCMIDS1"

struct oc_journal {
    pthread_mutex_t lock;
    char dir[PATH_MAX - 64]; /* leaves room for the file names */
    int fd;
    uint64_t gen;
    uint64_t next_seq;
    /* generations on disk and the highest message seq in each */
    uint64_t gens[MAX_GENERATIONS], gen_max[MAX_GENERATIONS];
    size_t n_gens;
    char *buf;
    size_t cap;
    /* per packet id, the digest of the last message journaled with it
     * (0: none); mids.bin holds them as of message mids_upto */
    uint64_t *mids;
};

static int gen_path(const struct oc_journal *j, uint64_t gen, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%020" PRIu64 ".jsonl", j->dir, gen);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Highest "seq" in a generation file. */
static uint64_t scan_max_seq(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    uint64_t max = 0;
    while (getline(&line, &cap, f) > 0) {
        const char *p = strstr(line, "\"seq\":");
        if (p) {
            uint64_t s = strtoull(p + 6, NULL, 10);
            if (s > max)
                max = s;
        }
    }
    free(line);
    fclose(f);
    return max;
}

static int open_gen(struct oc_journal *j, uint64_t gen)
{
    char path[PATH_MAX];
    if (gen_path(j, gen, path, sizeof path))
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (j->fd >= 0)
        close(j->fd);
    j->fd = fd;
    j->gen = gen;
    return 0;
}

/* A message's digest for redelivery: topic and every payload byte (a
 * frame's too, though the journal keeps none of them). Never 0, which
 * marks an empty slot. Not cryptographic: it only has to tell apart two
 * messages that share a packet id, which the broker hands out in turn. */
static uint64_t digest(const char *topic, size_t tlen, const unsigned char *p, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ (uint64_t)len;
    const unsigned char *parts[2] = {(const unsigned char *)topic, p};
    size_t lens[2] = {tlen, len};
    for (int k = 0; k < 2; k++) {
        size_t i = 0, n = lens[k];
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, parts[k] + i, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdu;
            h ^= h >> 32;
        }
        for (; i < n; i++)
            h = (h ^ parts[k][i]) * 0x100000001b3u;
        h = (h ^ 0xffu) * 0xc4ceb9fe1a85ec53u; /* ends the part: "ab"+"c" != "a"+"bc" */
    }
    h ^= h >> 29;
    return h ? h : 1;
}

static int mids_path(const struct oc_journal *j, const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", j->dir, name);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* The digests of lines after upto, in journal order, on top of mids.bin. */
static void scan_mids(struct oc_journal *j, uint64_t upto)
{
    for (size_t g = 0; g < j->n_gens; g++) {
        char path[PATH_MAX];
        if (gen_path(j, j->gens[g], path, sizeof path))
            continue;
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
            /* "mid" and "h" come before the (quoted) topic: the first match is ours */
            const char *sq = strstr(line, "\"seq\":"), *m = strstr(line, "\"mid\":"),
                       *h = strstr(line, "\"h\":\"");
            if (!sq || !m || !h || strtoull(sq + 6, NULL, 10) <= upto)
                continue;
            unsigned long mid = strtoul(m + 6, NULL, 10);
            uint64_t d = strtoull(h + 5, NULL, 16);
            if (mid > 0 && mid < MID_SLOTS && d)
                j->mids[mid] = d;
        }
        free(line);
        fclose(f);
    }
}

/* mids.bin: magic, the seq it is complete up to, MID_SLOTS digests (host
 * byte order: the file never leaves the box). Missing or short: start
 * from the generations alone. */
static void load_mids(struct oc_journal *j)
{
    char path[PATH_MAX];
    uint64_t upto = 0;
    FILE *f = mids_path(j, "mids.bin", path, sizeof path) == 0 ? fopen(path, "rb") : NULL;
    if (f) {
        char magic[8];
        if (fread(magic, 1, 8, f) != 8 || memcmp(magic, MIDS_MAGIC, 8) != 0 ||
            fread(&upto, sizeof upto, 1, f) != 1 ||
            fread(j->mids, sizeof *j->mids, MID_SLOTS, f) != MID_SLOTS) {
            memset(j->mids, 0, MID_SLOTS * sizeof *j->mids);
            upto = 0;
        }
        fclose(f);
    }
    scan_mids(j, upto);
}

/* Written whole to a temporary file and renamed: a crash leaves the old
 * one, whose gap the kept generations fill (nothing is deleted unless this
 * succeeded). Called with the lock held. */
static int save_mids(struct oc_journal *j)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    if (mids_path(j, "mids.bin.tmp", tmp, sizeof tmp) ||
        mids_path(j, "mids.bin", path, sizeof path))
        return -1;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    uint64_t upto = j->next_seq - 1;
    int ok = fwrite(MIDS_MAGIC, 1, 8, f) == 8 && fwrite(&upto, sizeof upto, 1, f) == 1 &&
             fwrite(j->mids, sizeof *j->mids, MID_SLOTS, f) == MID_SLOTS;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

struct oc_journal *oc_journal_open(const char *dir, char *err, size_t errlen)
{
    struct oc_journal *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->fd = -1;
    pthread_mutex_init(&j->lock, NULL);
    snprintf(j->dir, sizeof j->dir, "%s/journal", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        oc_journal_close(j);
        return NULL;
    }
    if (mkdir(j->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", j->dir, strerror(errno));
        oc_journal_close(j);
        return NULL;
    }
    DIR *d = opendir(j->dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        char *end;
        uint64_t g = strtoull(de->d_name, &end, 10);
        if (end != de->d_name && strcmp(end, ".jsonl") == 0 && j->n_gens < MAX_GENERATIONS)
            j->gens[j->n_gens++] = g;
    }
    if (d)
        closedir(d);
    qsort(j->gens, j->n_gens, sizeof *j->gens, cmp_u64);
    uint64_t max = 0;
    for (size_t i = 0; i < j->n_gens; i++) {
        char path[PATH_MAX];
        gen_path(j, j->gens[i], path, sizeof path);
        j->gen_max[i] = scan_max_seq(path);
        if (j->gen_max[i] > max)
            max = j->gen_max[i];
    }
    j->next_seq = max + 1;
    j->mids = calloc(MID_SLOTS, sizeof *j->mids);
    if (!j->mids) {
        snprintf(err, errlen, "out of memory");
        oc_journal_close(j);
        return NULL;
    }
    load_mids(j);
    uint64_t gen = j->n_gens ? j->gens[j->n_gens - 1] : 1;
    if (!j->n_gens) {
        j->gens[0] = gen;
        j->n_gens = 1;
    }
    if (open_gen(j, gen) != 0) {
        snprintf(err, errlen, "%s: cannot open journal: %s", j->dir, strerror(errno));
        oc_journal_close(j);
        return NULL;
    }
    return j;
}

void oc_journal_close(struct oc_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    pthread_mutex_destroy(&j->lock);
    free(j->buf);
    free(j->mids);
    free(j);
}

static int reserve(struct oc_journal *j, size_t need)
{
    if (need <= j->cap)
        return 0;
    size_t cap = need * 2;
    char *b = realloc(j->buf, cap);
    if (!b)
        return -1;
    j->buf = b;
    j->cap = cap;
    return 0;
}

/* One line; called with the lock held. */
static oc_err_t write_message(struct oc_journal *j, int64_t wall_ms, unsigned mid, uint64_t d,
                              const char *topic, size_t topic_len, const void *payload, size_t len,
                              uint64_t seq)
{
    size_t need = 160 + topic_len * 6 + oc_text_b64_encoded_len(len);
    if (reserve(j, need) != 0)
        return OC_ENOMEM;
    char *tq = malloc(topic_len + 1);
    if (!tq)
        return OC_ENOMEM;
    memcpy(tq, topic, topic_len);
    tq[topic_len] = '\0';
    int n = mid ? snprintf(j->buf, j->cap,
                           "{\"ts\":%" PRId64 ",\"seq\":%" PRIu64 ",\"mid\":%u,\"h\":\"%016" PRIx64
                           "\",\"topic\":",
                           wall_ms, seq, mid, d)
                : snprintf(j->buf, j->cap,
                           "{\"ts\":%" PRId64 ",\"seq\":%" PRIu64 ",\"topic\":", wall_ms, seq);
    size_t o = (size_t)n;
    o += oc_text_json_quote(j->buf + o, j->cap - o, tq);
    free(tq);
    memcpy(j->buf + o, ",\"payload_b64\":\"", 16);
    o += 16;
    o += oc_text_b64_encode(payload, len, j->buf + o);
    memcpy(j->buf + o, "\"}\n", 3);
    o += 3;
    return oc_io_write_all(j->fd, j->buf, o) == 0 ? OC_OK : OC_EIO;
}

oc_err_t oc_journal_mqtt(struct oc_journal *j, int64_t wall_ms, unsigned mid, const char *topic,
                         size_t topic_len, const void *payload, size_t len, int is_frame,
                         uint64_t *seq)
{
    if (mid >= MID_SLOTS)
        mid = 0;
    uint64_t d = mid ? digest(topic, topic_len, payload, len) : 0;
    if (is_frame)
        len = 0;
    pthread_mutex_lock(&j->lock);
    if (mid && j->mids[mid] == d) {
        pthread_mutex_unlock(&j->lock);
        *seq = 0;
        return OC_EEXIST;
    }
    *seq = j->next_seq++;
    oc_err_t e = write_message(j, wall_ms, mid, d, topic, topic_len, payload, len, *seq);
    if (e == OC_OK)
        j->gen_max[j->n_gens - 1] = *seq;
    if (mid) /* applied even when the line failed: only a crash would forget it */
        j->mids[mid] = d;
    pthread_mutex_unlock(&j->lock);
    return e;
}

oc_err_t oc_journal_message(struct oc_journal *j, int64_t wall_ms, const char *topic,
                            size_t topic_len, const void *payload, size_t len, int is_frame,
                            uint64_t *seq)
{
    return oc_journal_mqtt(j, wall_ms, 0, topic, topic_len, payload, len, is_frame, seq);
}

oc_err_t oc_journal_tick(struct oc_journal *j, int64_t wall_ms, const char *camera,
                         int64_t camera_ts, uint64_t after)
{
    char line[256];
    int n = snprintf(line, sizeof line,
                     "{\"ts\":%" PRId64 ",\"tick\":{\"camera\":\"%s\",\"ts\":%" PRId64
                     "},\"after\":%" PRIu64 "}\n",
                     wall_ms, camera, camera_ts, after);
    if (n < 0 || (size_t)n >= sizeof line)
        return OC_EINVAL;
    pthread_mutex_lock(&j->lock);
    oc_err_t e = oc_io_write_all(j->fd, line, (size_t)n) == 0 ? OC_OK : OC_EIO;
    pthread_mutex_unlock(&j->lock);
    return e;
}

oc_err_t oc_journal_rotate(struct oc_journal *j, uint64_t applied)
{
    pthread_mutex_lock(&j->lock);
    oc_err_t e = OC_OK;
    if (j->n_gens == MAX_GENERATIONS || open_gen(j, j->gen + 1) != 0) {
        e = OC_EIO;
    } else {
        j->gens[j->n_gens] = j->gen;
        j->gen_max[j->n_gens] = 0;
        j->n_gens++;
    }
    /* drop fully applied generations, oldest first, never the current one;
     * only once mids.bin has their packet ids */
    size_t keep = 0;
    if (save_mids(j) != 0) {
        pthread_mutex_unlock(&j->lock);
        return OC_EIO;
    }
    for (size_t i = 0; i < j->n_gens; i++) {
        char path[PATH_MAX];
        if (i + 1 < j->n_gens && j->gen_max[i] <= applied && keep == 0 &&
            gen_path(j, j->gens[i], path, sizeof path) == 0 && unlink(path) == 0)
            continue;
        j->gens[keep] = j->gens[i];
        j->gen_max[keep] = j->gen_max[i];
        keep++;
    }
    j->n_gens = keep;
    pthread_mutex_unlock(&j->lock);
    return e;
}

void oc_journal_continue_after(struct oc_journal *j, uint64_t applied)
{
    pthread_mutex_lock(&j->lock);
    if (j->next_seq <= applied)
        j->next_seq = applied + 1;
    pthread_mutex_unlock(&j->lock);
}

uint64_t oc_journal_next_seq(struct oc_journal *j)
{
    pthread_mutex_lock(&j->lock);
    uint64_t s = j->next_seq;
    pthread_mutex_unlock(&j->lock);
    return s;
}

struct tick {
    uint64_t after;
    int64_t ts;
    char camera[72];
};

static int cmp_tick(const void *a, const void *b)
{
    const struct tick *x = a, *y = b;
    return x->after < y->after ? -1 : x->after > y->after;
}

/* Reads every line of the generations; messages are applied in order, each
 * followed by the ticks that came after it. Ticks are few: kept in memory. */
oc_err_t oc_journal_replay(struct oc_journal *j, uint64_t after, const struct oc_journal_sink *s,
                           void *ud, uint64_t *messages, uint64_t *bad_lines)
{
    struct tick *ticks = NULL;
    size_t n_ticks = 0, cap_ticks = 0, next_tick = 0;
    *messages = *bad_lines = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t g = 0; g < j->n_gens; g++) {
            char path[PATH_MAX];
            gen_path(j, j->gens[g], path, sizeof path);
            FILE *f = fopen(path, "r");
            if (!f)
                continue;
            char *line = NULL;
            size_t cap = 0;
            ssize_t n;
            while ((n = getline(&line, &cap, f)) > 0) {
                cJSON *root = NULL;
                oc_json_parse(line, (size_t)n, SIZE_MAX, OC_JSON_MAX_DEPTH + 2, &root, NULL);
                const cJSON *tick = cJSON_GetObjectItemCaseSensitive(root, "tick");
                const cJSON *seq = cJSON_GetObjectItemCaseSensitive(root, "seq");
                if (!root || (!tick && !cJSON_IsNumber(seq))) {
                    if (pass == 1)
                        (*bad_lines)++; /* a line cut by the crash */
                } else if (tick && pass == 0) {
                    const cJSON *cam = cJSON_GetObjectItemCaseSensitive(tick, "camera");
                    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(tick, "ts");
                    const cJSON *af = cJSON_GetObjectItemCaseSensitive(root, "after");
                    if (cJSON_IsString(cam) && cJSON_IsNumber(ts) && cJSON_IsNumber(af) &&
                        (uint64_t)af->valuedouble >= after) {
                        if (n_ticks == cap_ticks) {
                            cap_ticks = cap_ticks ? cap_ticks * 2 : 64;
                            struct tick *t2 = realloc(ticks, cap_ticks * sizeof *t2);
                            if (!t2)
                                break;
                            ticks = t2;
                        }
                        struct tick *t = &ticks[n_ticks++];
                        t->after = (uint64_t)af->valuedouble;
                        t->ts = (int64_t)ts->valuedouble;
                        snprintf(t->camera, sizeof t->camera, "%s", cam->valuestring);
                    }
                } else if (!tick && pass == 1 && (uint64_t)seq->valuedouble > after) {
                    uint64_t sq = (uint64_t)seq->valuedouble;
                    while (next_tick < n_ticks && ticks[next_tick].after < sq)
                        s->tick(ud, ticks[next_tick].camera, ticks[next_tick].ts), next_tick++;
                    const cJSON *topic = cJSON_GetObjectItemCaseSensitive(root, "topic");
                    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "ts");
                    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(root, "payload_b64");
                    unsigned char *bytes = NULL;
                    size_t len = 0;
                    if (cJSON_IsString(topic) && cJSON_IsString(b64) && cJSON_IsNumber(ts) &&
                        (bytes = malloc(oc_text_b64_max(strlen(b64->valuestring)) + 1)) &&
                        oc_text_b64_decode(b64->valuestring, strlen(b64->valuestring), bytes,
                                           &len) == OC_OK) {
                        s->message(ud, sq, (int64_t)ts->valuedouble, topic->valuestring,
                                   strlen(topic->valuestring), bytes, len);
                        (*messages)++;
                    } else {
                        (*bad_lines)++;
                    }
                    free(bytes);
                }
                cJSON_Delete(root);
            }
            free(line);
            fclose(f);
        }
        if (pass == 0 && n_ticks > 0)
            qsort(ticks, n_ticks, sizeof *ticks, cmp_tick);
    }
    while (next_tick < n_ticks)
        s->tick(ud, ticks[next_tick].camera, ticks[next_tick].ts), next_tick++;
    free(ticks);
    return OC_OK;
}
