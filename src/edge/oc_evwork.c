#include "oc_evwork.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ordercam/oc_font.h"

#define PAUSE_MS 5000 /* between attempts while the disk is full */

struct item {
    struct item *next;
    struct oc_evidence_job *job;
    oc_err_t e;
    int errno_;
    struct oc_evbuild_result res;
    char id[];
};

struct oc_evwork {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, started;
    struct item *todo, *todo_tail, *done, *done_tail;
    size_t max_jobs, max_bytes;
    struct oc_font *font;
    struct oc_evbuild *build;
    struct oc_evwork_stats st;
};

static void push(struct item **head, struct item **tail, struct item *it)
{
    it->next = NULL;
    if (*tail)
        (*tail)->next = it;
    else
        *head = it;
    *tail = it;
}

static void finish(struct oc_evwork *w, struct item *it)
{
    const struct oc_compose_report *r = &it->res.rep;
    w->st.corrupt += r->corrupt;
    w->st.wrong_size += r->wrong_size;
    w->st.rescaled += r->rescaled;
    w->st.box_clipped += r->box_clipped;
    if (it->e == OC_OK)
        w->st.built++;
    else if (it->e == OC_ENOTFOUND)
        w->st.unusable++;
    else
        w->st.failed++;
    push(&w->done, &w->done_tail, it);
}

/* Waits up to ms unless stopped; the lock is held. */
static void pause_ms(struct oc_evwork *w, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    pthread_cond_timedwait(&w->wake, &w->lock, &until);
}

static void *run(void *arg)
{
    struct oc_evwork *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->todo && w->running)
            pthread_cond_wait(&w->wake, &w->lock);
        struct item *it = w->todo;
        if (!it)
            break; /* stopped and nothing left */
        pthread_mutex_unlock(&w->lock);
        it->e = oc_evbuild_run(w->build, it->job, &it->res);
        it->errno_ = it->e == OC_EIO ? errno : 0;
        pthread_mutex_lock(&w->lock);
        if (it->e == OC_EIO && it->errno_ == ENOSPC && w->running) {
            w->st.paused = 1; /* keep the job; try again when there may be room */
            pause_ms(w, PAUSE_MS);
            continue;
        }
        w->st.paused = 0;
        w->todo = it->next;
        if (!w->todo)
            w->todo_tail = NULL;
        w->st.queued_jobs--;
        w->st.queued_bytes -= it->job->bytes;
        finish(w, it);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct oc_evwork *oc_evwork_start(const char *dir, const char *font_path, int quality,
                                  size_t max_jobs, size_t max_bytes, char *err, size_t errlen)
{
    struct oc_evwork *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->max_jobs = max_jobs;
    w->max_bytes = max_bytes;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->font = oc_font_open(font_path, err, errlen);
    if (!w->font) {
        oc_evwork_free(w);
        return NULL;
    }
    w->build = oc_evbuild_new(dir, w->font, quality);
    w->running = 1;
    if (!w->build || pthread_create(&w->thread, NULL, run, w) != 0) {
        snprintf(err, errlen, "cannot start the evidence worker");
        oc_evwork_free(w);
        return NULL;
    }
    w->started = 1;
    return w;
}

void oc_evwork_stop(struct oc_evwork *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->lock);
    w->running = 0;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->started = 0;
}

static void free_list(struct item *it)
{
    for (struct item *next; it; it = next) {
        next = it->next;
        oc_evidence_job_free(it->job);
        free(it);
    }
}

void oc_evwork_free(struct oc_evwork *w)
{
    if (!w)
        return;
    oc_evwork_stop(w);
    free_list(w->todo);
    free_list(w->done);
    oc_evbuild_free(w->build);
    oc_font_free(w->font);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}

oc_err_t oc_evwork_submit(struct oc_evwork *w, struct oc_evidence_job *job, const char *id)
{
    size_t idlen = strlen(id) + 1;
    pthread_mutex_lock(&w->lock);
    if (!w->running || w->st.queued_jobs >= w->max_jobs ||
        w->st.queued_bytes + job->bytes > w->max_bytes) {
        w->st.refused_full++;
        pthread_mutex_unlock(&w->lock);
        return OC_EFULL;
    }
    pthread_mutex_unlock(&w->lock);
    struct item *it = calloc(1, sizeof *it + idlen);
    if (!it)
        return OC_ENOMEM;
    it->job = job;
    memcpy(it->id, id, idlen);
    pthread_mutex_lock(&w->lock);
    push(&w->todo, &w->todo_tail, it);
    w->st.queued_jobs++;
    w->st.queued_bytes += job->bytes;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return OC_OK;
}

size_t oc_evwork_collect(struct oc_evwork *w, oc_evwork_done_fn fn, void *ud)
{
    pthread_mutex_lock(&w->lock);
    struct item *list = w->done;
    w->done = w->done_tail = NULL;
    pthread_mutex_unlock(&w->lock);
    size_t n = 0;
    for (struct item *it = list; it; it = it->next, n++)
        fn(ud, it->id, it->job, it->e, it->errno_, &it->res);
    free_list(list);
    return n;
}

void oc_evwork_stats(struct oc_evwork *w, struct oc_evwork_stats *s)
{
    pthread_mutex_lock(&w->lock);
    *s = w->st;
    pthread_mutex_unlock(&w->lock);
}
