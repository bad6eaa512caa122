/* Snapshot and journal recovery (see oc_recover.h). */
#include "oc_recover.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SNAPSHOT "snapshot.bin"
#define SNAPSHOT_TMP "snapshot.tmp"
#define MAGIC_LEN (sizeof OC_RECOVER_MAGIC - 1)

uint64_t oc_recover_digest(const char *config_path)
{
    FILE *f = fopen(config_path, "rb");
    if (!f)
        return 0;
    uint64_t h = 1469598103934665603ull;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 1099511628211ull;
    int bad = ferror(f);
    fclose(f);
    return bad ? 0 : h;
}

int oc_recover_save(const char *spool_dir, const struct oc_engine *eng, uint64_t applied,
                    uint64_t digest)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/%s", spool_dir, SNAPSHOT_TMP);
    snprintf(path, sizeof path, "%s/%s", spool_dir, SNAPSHOT);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    uint64_t hdr[2] = {applied, digest};
    int bad = fwrite(OC_RECOVER_MAGIC, 1, MAGIC_LEN, f) != MAGIC_LEN ||
              fwrite(hdr, sizeof hdr, 1, f) != 1 || oc_engine_save(eng, f, digest) != OC_OK ||
              fflush(f) != 0 || fsync(fileno(f)) != 0;
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    int dfd = open(spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* 1 loaded, 0 no file, -1 present but unusable. */
static int load(const struct oc_recover_in *in, struct oc_engine *eng, uint64_t *applied)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", in->spool_dir, SNAPSHOT);
    FILE *f = fopen(path, "rb");
    if (!f)
        return access(path, F_OK) == 0 ? -1 : 0;
    char magic[MAGIC_LEN];
    uint64_t hdr[2];
    oc_engine_set_received(eng, in->now_ms); /* a clock beyond now + max_future goes */
    int ok = fread(magic, 1, MAGIC_LEN, f) == MAGIC_LEN &&
             memcmp(magic, OC_RECOVER_MAGIC, MAGIC_LEN) == 0 && fread(hdr, sizeof hdr, 1, f) == 1 &&
             hdr[1] == in->digest && oc_engine_load(eng, f, in->digest) == OC_OK;
    fclose(f);
    if (!ok)
        return -1;
    *applied = hdr[0];
    return 1;
}

struct replay_ctx {
    const struct oc_recover_in *in;
    const struct oc_config *cfg;
    struct oc_engine *eng;
    struct oc_recover_result *out;
};

static void replay_message(void *ud, uint64_t seq, int64_t wall_ms, const char *topic, size_t tlen,
                           const void *payload, size_t len)
{
    struct replay_ctx *c = ud;
    enum oc_msg_kind kind;
    int unloaded = len == 0 && oc_event_topic_kind(c->cfg->topic_prefix, topic, tlen, &kind) &&
                   kind == OC_MSG_FRAME; /* journaled without its bytes */
    oc_engine_set_received(c->eng, wall_ms);
    if (c->in->apply)
        c->in->apply(c->in->apply_ud, wall_ms, topic, tlen, unloaded ? NULL : payload, len);
    else if (unloaded)
        oc_engine_feed_unloaded(c->eng, topic, tlen);
    else
        oc_engine_feed(c->eng, topic, tlen, payload, len);
    c->out->applied = seq;
}

static void replay_tick(void *ud, const char *camera, int64_t ts)
{
    struct replay_ctx *c = ud;
    int cam = oc_config_camera(c->cfg, camera, strlen(camera));
    if (cam >= 0)
        oc_engine_tick(c->eng, cam, ts);
}

int oc_recover_run(const struct oc_recover_in *in, struct oc_engine **eng,
                   struct oc_recover_result *out)
{
    *out = (struct oc_recover_result){0};
    int got = load(in, *eng, &out->applied);
    if (got < 0) {
        out->how = OC_RECOVER_STALE;
        oc_engine_free(*eng);
        *eng = oc_engine_new(in->cfg, in->sink, in->sink_ud);
        out->applied = oc_journal_next_seq(in->journal) - 1;
        return *eng ? 0 : -1;
    }
    out->how = got ? OC_RECOVER_FROM_SNAPSHOT : OC_RECOVER_NO_SNAPSHOT;
    if (got && in->loaded)
        in->loaded(in->apply_ud);
    oc_journal_continue_after(in->journal, out->applied);
    static const struct oc_journal_sink js = {replay_message, replay_tick};
    struct replay_ctx c = {in, in->cfg, *eng, out};
    oc_journal_replay(in->journal, out->applied, &js, &c, &out->msgs, &out->bad);
    return 0;
}
