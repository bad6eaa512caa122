/* ordercamd's evidence workers: with two threads every job is built and
 * the results come back in submission order although small jobs finish
 * before the big ones queued ahead of them; the worker count is bounded. */
#include "oc_test.h"
#include "oc_testimg.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oc_evwork.h"
#include "ordercam/oc_evcfg.h"

#define N_JOBS 24

static unsigned char *frame(int w, int h, size_t *len)
{
    struct oc_image img = {malloc((size_t)w * h * 3), w, h};
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        img.px[i] = (unsigned char)(i * 7 % 251);
    return oc_testimg_encode(&img, 90, len);
}

struct seen {
    int n, ok;
    char id[N_JOBS][16];
    char file[N_JOBS][OC_EVIDENCE_FILE_MAX];
    size_t size[N_JOBS];
};

static void on_done(void *ud, const char *id, const struct oc_evidence_job *job, oc_err_t e,
                    int errno_, const struct oc_evbuild_result *res)
{
    (void)errno_;
    struct seen *s = ud;
    assert_true(s->n < N_JOBS);
    snprintf(s->id[s->n], sizeof s->id[0], "%s", id);
    snprintf(s->file[s->n], sizeof s->file[0], "%s", job->file);
    s->size[s->n] = e == OC_OK ? res->size : 0;
    s->ok += e == OC_OK;
    s->n++;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void two_workers_keep_order(void **state)
{
    (void)state;
    char dir[] = "/tmp/oc_evwork_XXXXXX";
    assert_non_null(mkdtemp(dir));
    size_t big_len, small_len;
    unsigned char *big = frame(1920, 1080, &big_len);
    unsigned char *small = frame(320, 180, &small_len);
    char err[256];
    struct oc_evwork *w =
        oc_evwork_start(dir, OC_EVIDENCE_FONT_DEFAULT, 85, 2, 64, 64u << 20, err, sizeof err);
    if (!w)
        fail_msg("%s", err);
    for (int i = 0; i < N_JOBS; i++) {
        /* big, small, small, big, small, small...: small ones overtake */
        int is_big = i % 3 == 0;
        struct oc_evidence_job *job = calloc(1, sizeof *job);
        assert_non_null(job);
        snprintf(job->file, sizeof job->file, "20251122/box-cam-%d.jpg", i);
        job->cam_w = is_big ? 1920 : 320;
        job->cam_h = is_big ? 1080 : 180;
        job->n_frames = 1;
        job->frames[0] = (struct oc_compose_frame){is_big ? big : small,
                                                   is_big ? big_len : small_len,
                                                   1763802011800 + i,
                                                   {10, 10, 50, 40},
                                                   "1"};
        job->bytes = is_big ? big_len : small_len;
        char id[16];
        snprintf(id, sizeof id, "v%d", i);
        assert_int_equal(oc_evwork_submit(w, job, id), OC_OK);
    }
    struct seen s = {0};
    int64_t until = now_ms() + 300000; /* generous: the machine is shared */
    while (s.n < N_JOBS && now_ms() < until) {
        oc_evwork_collect(w, on_done, &s);
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(s.n, N_JOBS);
    assert_int_equal(s.ok, N_JOBS);
    struct oc_evwork_stats st;
    oc_evwork_stats(w, &st);
    assert_int_equal(st.built, N_JOBS);
    assert_int_equal(st.queued_jobs, 0);
    assert_true(st.high_water_jobs >= 1 && st.high_water_jobs <= N_JOBS);
    for (int i = 0; i < N_JOBS; i++) {
        char want[16], path[512];
        snprintf(want, sizeof want, "v%d", i);
        assert_string_equal(s.id[i], want);
        snprintf(path, sizeof path, "%s/%s", dir, s.file[i]);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal((size_t)sb.st_size, s.size[i]);
        unlink(path);
    }
    oc_evwork_free(w);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/20251122", dir);
    rmdir(sub);
    rmdir(dir);
    free(big);
    free(small);
}

static void worker_count_bounded(void **state)
{
    (void)state;
    char err[256];
    assert_null(
        oc_evwork_start("/tmp", OC_EVIDENCE_FONT_DEFAULT, 85, 0, 64, 1 << 20, err, sizeof err));
    assert_non_null(strstr(err, "1..8"));
    assert_null(oc_evwork_start("/tmp", OC_EVIDENCE_FONT_DEFAULT, 85, OC_EVWORK_MAX_WORKERS + 1, 64,
                                1 << 20, err, sizeof err));
    struct oc_evwork *w = oc_evwork_start("/tmp", OC_EVIDENCE_FONT_DEFAULT, 85,
                                          OC_EVWORK_MAX_WORKERS, 64, 1 << 20, err, sizeof err);
    assert_non_null(w);
    oc_evwork_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_workers_keep_order),
        cmocka_unit_test(worker_count_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
