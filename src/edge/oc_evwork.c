#include "oc_evwork.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ordercam/oc_font.h"

#define PAUSE_MS 5000 /* between attempts while the disk is full */

enum state { TODO, BUILDING, DONE };

struct item {
    struct item *next;
    struct oc_evidence_job *job;
    enum state state;
    oc_err_t e;
    int errno_;
    struct oc_evbuild_result res;
    char id[];
};

struct builder { /* one per worker thread: a font and a builder are single-threaded */
    struct oc_evwork *w;
    pthread_t thread;
    int started;
    struct oc_font *font;
    struct oc_evbuild *build;
};

struct oc_evwork {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running;
    /* every job not yet collected, in submission order; next_todo is the
     * first one no worker has taken (or NULL) */
    struct item *head, *tail;
    size_t max_jobs, max_bytes;
    struct oc_evwork_stats st;
    size_t n_builders;
    struct builder builders[];
};

static void count(struct oc_evwork *w, const struct item *it)
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
}

/* Waits up to ms unless stopped; the lock is held. */
static void pause_ms(struct oc_evwork *w, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    pthread_cond_timedwait(&w->wake, &w->lock, &until);
}

/* The oldest job no worker has taken; the lock is held. */
static struct item *next_todo(struct oc_evwork *w)
{
    for (struct item *it = w->head; it; it = it->next)
        if (it->state == TODO)
            return it;
    return NULL;
}

static void *run(void *arg)
{
    struct builder *b = arg;
    struct oc_evwork *w = b->w;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        struct item *it;
        while (!(it = next_todo(w)) && w->running)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!it)
            break; /* stopped and nothing left */
        it->state = BUILDING;
        pthread_mutex_unlock(&w->lock);
        it->e = oc_evbuild_run(b->build, it->job, &it->res);
        it->errno_ = it->e == OC_EIO ? errno : 0;
        pthread_mutex_lock(&w->lock);
        if (it->e == OC_EIO && it->errno_ == ENOSPC && w->running) {
            w->st.paused = 1; /* keep the job; try again when there may be room */
            it->state = TODO;
            pause_ms(w, PAUSE_MS);
            continue;
        }
        w->st.paused = 0;
        w->st.queued_jobs--;
        w->st.queued_bytes -= it->job->bytes;
        it->state = DONE;
        count(w, it);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct oc_evwork *oc_evwork_start(const char *dir, const char *font_path, int quality,
                                  size_t workers, size_t max_jobs, size_t max_bytes, char *err,
                                  size_t errlen)
{
    if (workers < 1 || workers > OC_EVWORK_MAX_WORKERS) {
        snprintf(err, errlen, "evidence workers must be 1..%d", OC_EVWORK_MAX_WORKERS);
        return NULL;
    }
    struct oc_evwork *w = calloc(1, sizeof *w + workers * sizeof w->builders[0]);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->max_jobs = max_jobs;
    w->max_bytes = max_bytes;
    w->n_builders = workers;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    for (size_t i = 0; i < workers; i++) {
        struct builder *b = &w->builders[i];
        b->w = w;
        b->font = oc_font_open(font_path, err, errlen);
        if (!b->font) {
            oc_evwork_free(w);
            return NULL;
        }
        b->build = oc_evbuild_new(dir, b->font, quality);
        if (!b->build) {
            snprintf(err, errlen, "out of memory");
            oc_evwork_free(w);
            return NULL;
        }
    }
    w->running = 1;
    for (size_t i = 0; i < workers; i++) {
        struct builder *b = &w->builders[i];
        if (pthread_create(&b->thread, NULL, run, b) != 0) {
            snprintf(err, errlen, "cannot start the evidence worker");
            oc_evwork_free(w);
            return NULL;
        }
        b->started = 1;
    }
    return w;
}

void oc_evwork_stop(struct oc_evwork *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->running = 0;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < w->n_builders; i++)
        if (w->builders[i].started) {
            pthread_join(w->builders[i].thread, NULL);
            w->builders[i].started = 0;
        }
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
    free_list(w->head);
    for (size_t i = 0; i < w->n_builders; i++) {
        oc_evbuild_free(w->builders[i].build);
        oc_font_free(w->builders[i].font);
    }
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
    it->state = TODO;
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = it;
    else
        w->head = it;
    w->tail = it;
    w->st.queued_jobs++;
    w->st.queued_bytes += job->bytes;
    if (w->st.queued_jobs > w->st.high_water_jobs)
        w->st.high_water_jobs = w->st.queued_jobs;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return OC_OK;
}

size_t oc_evwork_collect(struct oc_evwork *w, oc_evwork_done_fn fn, void *ud)
{
    /* the finished jobs at the head, so that results come in submission
     * order whatever the number of workers and whichever finished first */
    pthread_mutex_lock(&w->lock);
    struct item *list = w->head, *last = NULL;
    for (struct item *it = w->head; it && it->state == DONE; it = it->next)
        last = it;
    if (last) {
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
    } else
        list = NULL;
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
