/* oc_outbox over a real spool and violations.jsonl in a temporary
 * directory: what a crash between the spool's commit and the copy's write
 * leaves (a record in the spool only) is appended to the copy at the next
 * open, once, and its seq is not given out again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oc_outbox.h"
#include "oc_proc.h"
#include "oc_test.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    return oc_tmpdir(dir, sizeof dir);
}

static int teardown(void **state)
{
    (void)state;
    return oc_rmtree(dir);
}

/* violations.jsonl's whole text (static buffer). */
static const char *copy_text(void)
{
    static char buf[8192];
    char path[400];
    snprintf(path, sizeof path, "%s/violations.jsonl", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void add_to_spool(struct oc_spool *s, unsigned seq)
{
    char id[64], rec[256];
    snprintf(id, sizeof id, "edge-1:c:%u", seq);
    snprintf(rec, sizeof rec, "{\"id\":\"%s\",\"camera\":\"c\",\"type\":\"red_light\"}", id);
    assert_int_equal(oc_spool_add(s, "c", seq, id, 1000 * seq, "red_light", 0, rec, 1), OC_OK);
}

static void spooled_but_not_copied_is_copied_once(void **state)
{
    (void)state;
    struct oc_config *cfg = t_config(T_CFG_ONE_CAMERA);
    char err[256] = "";
    struct oc_spool *s = oc_spool_open(dir, err, sizeof err);
    assert_non_null(s);
    struct oc_dlog log = {.max_level = -1};
    struct oc_dcounters dc = {0};
    struct oc_outbox_opts o = {.log = &log, .dc = &dc, .spool = s, .spool_dir = dir};
    /* seq 1 went both ways before the crash; 2 and 3 reached the spool only */
    char path[400];
    snprintf(path, sizeof path, "%s/violations.jsonl", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"id\":\"edge-1:c:1\",\"camera\":\"c\",\"type\":\"red_light\"}\n", f);
    fclose(f);
    for (unsigned q = 1; q <= 3; q++)
        add_to_spool(s, q);
    struct oc_outbox *ob = oc_outbox_open(&o, cfg);
    assert_non_null(ob);
    assert_string_equal(copy_text(),
                        "{\"id\":\"edge-1:c:1\",\"camera\":\"c\",\"type\":\"red_light\"}\n"
                        "{\"id\":\"edge-1:c:2\",\"camera\":\"c\",\"type\":\"red_light\"}\n"
                        "{\"id\":\"edge-1:c:3\",\"camera\":\"c\",\"type\":\"red_light\"}\n");
    assert_int_equal(atomic_load(&dc.v[OC_D_COPY_MENDED]), 2);
    assert_int_equal(oc_outbox_next_seq(ob, 0), 4);
    oc_outbox_close(ob);
    /* opened again: nothing more to copy */
    ob = oc_outbox_open(&o, cfg);
    assert_non_null(ob);
    assert_int_equal(atomic_load(&dc.v[OC_D_COPY_MENDED]), 2);
    assert_int_equal(strlen(copy_text()), 3 * strlen("{\"id\":\"edge-1:c:1\",\"camera\":\"c\","
                                                     "\"type\":\"red_light\"}\n"));
    assert_int_equal(oc_outbox_next_seq(ob, 0), 4);
    oc_outbox_close(ob);
    oc_spool_close(s);
    oc_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(spooled_but_not_copied_is_copied_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
