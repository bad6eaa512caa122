/* oc_auth's session table and sign-in throttle (issue 13 finding 7: 4,200
 * sign-ins in one second evicted every other session; wrong sign-ins ran
 * unthrottled). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oc_auth.h"
#include "oc_ccfg.h"

static struct oc_ccfg *config(void)
{
    static const char text[] = "{\"insecure_http\": true, \"tokens\": ["
                               "{\"token\": \"viewer-a-0123456789abcdef\", \"role\": \"viewer\"},"
                               "{\"token\": \"viewer-b-0123456789abcdef\", \"role\": \"viewer\"}]}";
    char err[256];
    struct oc_ccfg *cfg = oc_ccfg_parse(text, sizeof text - 1, "test", err, sizeof err);
    assert_non_null(cfg);
    return cfg;
}

static void one_identity_cannot_push_out_another(void **state)
{
    (void)state;
    struct oc_ccfg *cfg = config();
    struct oc_auth *a = oc_auth_new(cfg);
    int64_t now = 1000000;
    char b_id[OC_SESSION_ID_LEN + 1], first_a[OC_SESSION_ID_LEN + 1], id[OC_SESSION_ID_LEN + 1];
    assert_int_equal(oc_auth_session_new(a, 1, now, b_id), 0);
    assert_int_equal(oc_auth_session_new(a, 0, now, first_a), 0);
    /* identity 0 signs in 4,200 times in one second */
    for (int i = 0; i < 4200; i++)
        assert_int_equal(oc_auth_session_new(a, 0, now + i / 5, id), 0);
    assert_true(oc_auth_session_ok(a, b_id, now + 1000));
    assert_true(oc_auth_session_ok(a, id, now + 1000));
    assert_false(oc_auth_session_ok(a, first_a, now + 1000)); /* its own oldest went */
    /* logout ends exactly that session */
    oc_auth_session_end(a, id);
    assert_false(oc_auth_session_ok(a, id, now + 1000));
    assert_true(oc_auth_session_ok(a, b_id, now + 1000));
    oc_auth_free(a);
    oc_ccfg_free(cfg);
}

static void full_table_refuses_rather_than_evicts(void **state)
{
    (void)state;
    struct oc_ccfg *cfg = config();
    struct oc_auth *a = oc_auth_new(cfg);
    int64_t now = 1000000;
    char id[OC_SESSION_ID_LEN + 1], first[OC_SESSION_ID_LEN + 1];
    /* many identities at their cap fill the table: the next is refused */
    size_t ids = OC_SESSIONS_MAX / OC_SESSIONS_PER_IDENTITY;
    for (size_t k = 0; k < ids; k++)
        for (int i = 0; i < OC_SESSIONS_PER_IDENTITY; i++)
            assert_int_equal(oc_auth_session_new(a, k + 2, now, k == 0 && i == 0 ? first : id), 0);
    assert_int_equal(oc_auth_session_new(a, 0, now, id), -2);
    assert_true(oc_auth_session_ok(a, first, now + 1));
    /* expired sessions make room again */
    int64_t later = now + OC_SESSION_TTL_MS + 1;
    assert_int_equal(oc_auth_session_new(a, 0, later, id), 0);
    assert_true(oc_auth_session_ok(a, id, later));
    assert_false(oc_auth_session_ok(a, first, later));
    oc_auth_free(a);
    oc_ccfg_free(cfg);
}

static void sign_ins_are_throttled(void **state)
{
    (void)state;
    struct oc_ccfg *cfg = config();
    struct oc_auth *a = oc_auth_new(cfg);
    unsigned char x[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1}, y[16];
    memcpy(y, x, 16);
    y[15] = 2;
    int64_t now = 5000000;
    int ok = 0;
    for (int i = 0; i < 3000; i++)
        ok += oc_auth_login_admit_addr(a, x, now);
    assert_int_equal(ok, OC_LOGIN_ADDR_BURST);
    assert_true(oc_auth_login_admit_addr(a, y, now)); /* another address */
    assert_false(oc_auth_login_admit_addr(a, x, now + OC_LOGIN_ADDR_REFILL_MS - 1));
    assert_true(oc_auth_login_admit_addr(a, x, now + OC_LOGIN_ADDR_REFILL_MS + 1));
    ok = 0;
    for (int i = 0; i < 100; i++)
        ok += oc_auth_login_admit_identity(a, 1, now);
    assert_int_equal(ok, OC_LOGIN_ID_BURST);
    assert_true(oc_auth_login_admit_identity(a, 0, now));
    assert_false(oc_auth_login_admit_identity(a, 7, now)); /* no such token */
    /* more addresses than the table holds: each still gets its burst */
    for (int k = 0; k < OC_LOGIN_ADDRS + 10; k++) {
        unsigned char z[16] = {0};
        memcpy(z, &k, sizeof k);
        z[15] = 9;
        assert_true(oc_auth_login_admit_addr(a, z, now));
    }
    oc_auth_free(a);
    oc_ccfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_identity_cannot_push_out_another),
        cmocka_unit_test(full_table_refuses_rather_than_evicts),
        cmocka_unit_test(sign_ins_are_throttled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
