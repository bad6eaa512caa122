#include "revidence.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_evbuild.h"
#include "ordercam/oc_evidence.h"
#include "ordercam/oc_font.h"
#include "ordercam/oc_io.h"
#include "ordercam/oc_record.h"

struct entry {
    struct entry *next;
    int settled;
    size_t len;
    char rec[];
};

struct rev {
    rev_emit_fn emit;
    void *ud;
    struct oc_font *font;
    struct oc_evbuild *build;
    struct oc_evidence *keeper;
    struct entry *head, *tail;
    uint64_t made, no_frame, unusable, corrupt, wrong_size, rescaled, clipped, write_failed;
    int last_errno;
    char buf[OC_RECORD_MAX];
};

static void drain(struct rev *r)
{
    while (r->head && r->head->settled) {
        struct entry *e = r->head;
        r->head = e->next;
        if (!r->head)
            r->tail = NULL;
        r->emit(r->ud, e->rec, e->len);
        free(e);
    }
}

/* Composes and writes the image, then points the record at it. */
static void on_ready(void *ud, void *tag, struct oc_evidence_job *job)
{
    struct rev *r = ud;
    struct entry *e = tag;
    e->settled = 1;
    if (!job) {
        r->no_frame++;
        return;
    }
    struct oc_evbuild_result res;
    oc_err_t err = oc_evbuild_run(r->build, job, &res);
    r->corrupt += res.rep.corrupt;
    r->wrong_size += res.rep.wrong_size;
    r->rescaled += res.rep.rescaled;
    r->clipped += res.rep.box_clipped;
    if (err == OC_OK) {
        struct oc_record_evidence ev = {job->file,  res.sha256,
                                        res.frames, res.n_frames,
                                        0,          res.public_size ? res.public_sha256 : NULL};
        size_t n = oc_record_set_evidence(e->rec, e->len, &ev, r->buf, sizeof r->buf);
        if (n > 0 && n <= e->len + 512) {
            memcpy(e->rec, r->buf, n);
            e->len = n;
            r->made++;
        }
    } else if (err == OC_ENOTFOUND) {
        r->unusable++;
    } else {
        r->write_failed++;
        r->last_errno = errno;
    }
    oc_evidence_job_free(job);
}

struct rev *rev_new(const struct oc_config *cfg, const struct oc_evidence_cfg *set, const char *dir,
                    rev_emit_fn emit, void *ud, char *err, size_t errlen)
{
    struct rev *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->emit = emit;
    r->ud = ud;
    r->font = oc_font_open(set->font, err, errlen);
    if (!r->font) {
        free(r);
        return NULL;
    }
    if (oc_io_mkdir_p(dir) != 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        rev_free(r);
        return NULL;
    }
    r->build = oc_evbuild_new(dir, r->font, set->quality);
    r->keeper = oc_evidence_new(cfg, set, on_ready, r);
    if (!r->build || !r->keeper) {
        snprintf(err, errlen, "out of memory");
        rev_free(r);
        return NULL;
    }
    return r;
}

void rev_free(struct rev *r)
{
    if (!r)
        return;
    oc_evidence_free(r->keeper);
    oc_evbuild_free(r->build);
    oc_font_free(r->font);
    for (struct entry *e = r->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    free(r);
}

void rev_violation(struct rev *r, const struct oc_violation *v, const char *rec, size_t len)
{
    /* room for the evidence object the record may get */
    struct entry *e = malloc(sizeof *e + len + 512);
    if (!e) {
        r->emit(r->ud, rec, len); /* without evidence, but not lost */
        r->no_frame++;
        return;
    }
    e->next = NULL;
    e->settled = 0;
    e->len = len;
    memcpy(e->rec, rec, len);
    if (r->tail)
        r->tail->next = e;
    else
        r->head = e;
    r->tail = e;
    oc_evidence_violation(r->keeper, v, e);
    drain(r);
}

void rev_frame(struct rev *r, int camera, int64_t ts, const void *jpeg, size_t len)
{
    oc_evidence_frame(r->keeper, camera, ts, jpeg, len);
}

void rev_boxes(struct rev *r, int camera, const struct oc_detections *d)
{
    oc_evidence_boxes(r->keeper, camera, d);
}

void rev_keep(struct rev *r, int camera, int64_t ts, int64_t until)
{
    oc_evidence_keep(r->keeper, camera, ts, until);
}

void rev_clock(struct rev *r, int camera, int64_t clock)
{
    oc_evidence_clock(r->keeper, camera, clock);
    drain(r);
}

void rev_finish(struct rev *r)
{
    oc_evidence_flush(r->keeper);
    drain(r);
}

int rev_report(const struct rev *r, FILE *f)
{
    if (!f)
        return r->write_failed ? 1 : 0;
    struct oc_evidence_stats st;
    oc_evidence_stats(r->keeper, &st);
    fprintf(f,
            "evidence: %" PRIu64 " images; without: %" PRIu64 " no frame near, %" PRIu64
            " no usable frame, %" PRIu64 " not written\n",
            r->made, r->no_frame, r->unusable, r->write_failed);
    if (r->corrupt || r->wrong_size || r->rescaled || r->clipped || st.ring.too_large ||
        st.ring.evicted || st.released_early)
        fprintf(f,
                "  frames: %" PRIu64 " corrupt, %" PRIu64 " wrong size, %" PRIu64
                " rescaled, %" PRIu64 " too large; boxes clipped %" PRIu64
                "; ring evictions %" PRIu64 "; released early %" PRIu64 "\n",
                r->corrupt, r->wrong_size, r->rescaled, st.ring.too_large, r->clipped,
                st.ring.evicted, st.released_early);
    if (r->write_failed)
        fprintf(f, "  last write error: %s\n", strerror(r->last_errno));
    return r->write_failed ? 1 : 0;
}
