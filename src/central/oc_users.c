/* The account commands: they open central's store as the server does
 * (the same config), change the users table and write an audit row for
 * each change (actor "cli"). A running server sees the change at once:
 * its sessions are read from the store. */
#include "oc_users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "oc_ccfg.h"
#include "oc_passwd.h"
#include "oc_store.h"
#include "ordercam/oc_config.h"

static void usage(void)
{
    fprintf(stderr, "usage: ordercam-central user add NAME --role viewer|reviewer|admin -c CONFIG "
                    "[--password-stdin]\n"
                    "       ordercam-central user passwd NAME -c CONFIG [--password-stdin]\n"
                    "       ordercam-central user disable|enable NAME -c CONFIG\n"
                    "       ordercam-central user list -c CONFIG\n"
                    "Without --password-stdin a password is made up and printed once.\n");
}

static long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The new password: one line from stdin, or made up (*made = 1). */
static int new_password(int from_stdin, char *pw, size_t len, int *made)
{
    *made = 0;
    if (!from_stdin) {
        oc_passwd_generate(pw, len);
        *made = 1;
        return 0;
    }
    if (!fgets(pw, (int)len, stdin))
        return -1;
    pw[strcspn(pw, "\r\n")] = '\0';
    return 0;
}

struct args {
    const char *cmd, *name, *config, *role;
    int pw_stdin;
};

static int parse(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    if (argc < 2)
        return -1;
    a->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            a->config = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            a->role = argv[++i];
        else if (strcmp(argv[i], "--password-stdin") == 0)
            a->pw_stdin = 1;
        else if (argv[i][0] != '-' && !a->name)
            a->name = argv[i];
        else
            return -1;
    }
    int needs_name = strcmp(a->cmd, "list") != 0;
    if (!a->config || (needs_name && !a->name) || (!needs_name && a->name))
        return -1;
    return 0;
}

static int list(struct oc_store *s)
{
    cJSON *u = s->ops->users(s);
    if (!u)
        return 1;
    const cJSON *it;
    printf("%-24s %-9s %-8s %s\n", "name", "role", "state", "locale");
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(u, "users"))
    {
        const cJSON *loc = cJSON_GetObjectItem(it, "locale");
        printf("%-24s %-9s %-8s %s\n", cJSON_GetObjectItem(it, "name")->valuestring,
               cJSON_GetObjectItem(it, "role")->valuestring,
               cJSON_IsTrue(cJSON_GetObjectItem(it, "disabled")) ? "disabled" : "active",
               cJSON_IsString(loc) ? loc->valuestring : "-");
    }
    cJSON_Delete(u);
    return 0;
}

/* add and passwd: the password, hashed; the change; the audit row. */
static int set_password(struct oc_store *s, const struct args *a, int add)
{
    struct oc_user u = {0};
    snprintf(u.name, sizeof u.name, "%s", a->name);
    u.role = oc_user_role_parse(a->role);
    if (add && u.role == OC_USER_NONE) {
        fprintf(stderr, "ordercam-central user: --role viewer, reviewer or admin\n");
        return 2;
    }
    char pw[OC_PASSWD_MAX + 2];
    int made;
    if (new_password(a->pw_stdin, pw, sizeof pw, &made) != 0 ||
        oc_passwd_hash(pw, u.pwhash, sizeof u.pwhash) != 0) {
        fprintf(stderr, "ordercam-central user: a password has %d to %d characters\n",
                OC_PASSWD_MIN, OC_PASSWD_MAX);
        return 1;
    }
    oc_err_t e = add ? s->ops->user_add(s, &u, now_ms())
                     : s->ops->user_set(s, u.name, u.pwhash, -1, -1, NULL, now_ms());
    if (e != OC_OK) {
        fprintf(stderr, "ordercam-central user: %s\n",
                e == OC_EINVAL      ? "that user exists"
                : e == OC_ENOTFOUND ? "no such user"
                                    : "the store failed");
        return 1;
    }
    struct oc_audit_in au = {.ts = now_ms(),
                             .actor = "cli",
                             .role = "admin",
                             .action = add ? "user_add" : "user_passwd",
                             .target = u.name,
                             .detail = add ? oc_user_role_name(u.role) : NULL};
    s->ops->audit(s, &au);
    if (made)
        printf("user %s: password %s\n", u.name, pw); /* shown this once */
    else
        printf("user %s: password set\n", u.name);
    return 0;
}

static int set_disabled(struct oc_store *s, const struct args *a, int disabled)
{
    oc_err_t e = s->ops->user_set(s, a->name, NULL, disabled, -1, NULL, now_ms());
    if (e != OC_OK) {
        fprintf(stderr, "ordercam-central user: %s\n",
                e == OC_ENOTFOUND ? "no such user" : "the store failed");
        return 1;
    }
    struct oc_audit_in au = {.ts = now_ms(),
                             .actor = "cli",
                             .role = "admin",
                             .action = disabled ? "user_disable" : "user_enable",
                             .target = a->name};
    s->ops->audit(s, &au);
    printf("user %s: %s\n", a->name, disabled ? "disabled (sessions ended)" : "enabled");
    return 0;
}

int oc_users_main(int argc, char **argv)
{
    struct args a;
    if (parse(argc, argv, &a) != 0) {
        usage();
        return 2;
    }
    if (a.name && !oc_config_valid_id(a.name, strlen(a.name))) {
        fprintf(stderr, "ordercam-central user: a name is 1-64 of A-Za-z0-9._-\n");
        return 2;
    }
    char err[768];
    struct oc_ccfg *cfg = oc_ccfg_load(a.config, err, sizeof err);
    if (!cfg || oc_passwd_init() != 0) {
        fprintf(stderr, "ordercam-central user: %s\n", cfg ? "libsodium failed" : err);
        oc_ccfg_free(cfg);
        return 1;
    }
    struct oc_store *s =
        oc_ccfg_db_is_pg(cfg->db)
            ? oc_store_pg_open(cfg->db, 1, cfg->tz_offset_min, err, sizeof err)
            : oc_store_sqlite_open(cfg->db, 1, cfg->tz_offset_min, err, sizeof err);
    int rc = 2;
    if (!s) {
        fprintf(stderr, "ordercam-central user: %s\n", err);
        rc = 1;
    } else if (strcmp(a.cmd, "list") == 0) {
        rc = list(s);
    } else if (strcmp(a.cmd, "add") == 0 || strcmp(a.cmd, "passwd") == 0) {
        rc = set_password(s, &a, strcmp(a.cmd, "add") == 0);
    } else if (strcmp(a.cmd, "disable") == 0 || strcmp(a.cmd, "enable") == 0) {
        rc = set_disabled(s, &a, strcmp(a.cmd, "disable") == 0);
    } else {
        usage();
    }
    if (s)
        s->ops->close(s);
    oc_ccfg_free(cfg);
    return rc;
}
