/* ordercam-central: the HTTPS collector and dashboard (docs/central.md). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oc_api.h"
#include "oc_auth.h"
#include "oc_ccfg.h"
#include "oc_passwd.h"
#include "oc_store.h"
#include "oc_users.h"

#ifndef OC_VERSION
#define OC_VERSION "0.0.0"
#endif

static void usage(FILE *f)
{
    fprintf(f, "usage: ordercam-central -c CENTRAL.json [--check] [--port-file FILE]\n"
               "       ordercam-central user add|passwd|disable|enable|list ... (user --help)\n"
               "  --check          validate the config and exit\n"
               "  --port-file F    write the bound port to F once listening (for port 0)\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "user") == 0)
        return oc_users_main(argc - 1, argv + 1);
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},    {"check", no_argument, NULL, 'k'},
        {"port-file", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},         {NULL, 0, NULL, 0}};
    const char *path = NULL, *port_file = NULL;
    int check = 0, ch;
    while ((ch = getopt_long(argc, argv, "c:kp:hV", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': path = optarg; break;
        case 'k': check = 1; break;
        case 'p': port_file = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("ordercam-central %s\n", OC_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!path || optind != argc) {
        usage(stderr);
        return 2;
    }
    char err[768];
    struct oc_ccfg *cfg = oc_ccfg_load(path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "ordercam-central: %s\n", err);
        return 1;
    }
    if (check) {
        printf("%s: ok\n", path);
        oc_ccfg_free(cfg);
        return 0;
    }
    /* SIGTERM and SIGINT end the process through sigwait below; block them
     * before any thread starts so that only this thread receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (oc_passwd_init() != 0) {
        fprintf(stderr, "ordercam-central: libsodium failed to start\n");
        oc_ccfg_free(cfg);
        return 1;
    }
    int pg = oc_ccfg_db_is_pg(cfg->db);
    struct oc_store *store =
        pg ? oc_store_pg_open(cfg->db, cfg->threads + 1, cfg->tz_offset_min, err, sizeof err)
           : oc_store_sqlite_open(cfg->db, cfg->threads + 1, cfg->tz_offset_min, err, sizeof err);
    struct oc_auth *auth = store ? oc_auth_new(cfg) : NULL;
    struct oc_api *api = auth ? oc_api_start(cfg, store, auth, err, sizeof err) : NULL;
    int rc = 0;
    if (!api) {
        fprintf(stderr, "ordercam-central: %s\n", store && !auth ? "out of memory" : err);
        rc = 1;
    } else {
        int port = oc_api_port(api);
        fprintf(stderr, "ordercam-central: listening on %s://%s:%d (store %s, db %s)\n",
                cfg->insecure_http ? "http" : "https", cfg->listen_host, port, store->ops->name,
                pg ? "(the URI in the config)" : cfg->db);
        if (cfg->insecure_http)
            fprintf(stderr, "ordercam-central: WARNING: serving without TLS (insecure_http)\n");
        if (port_file) {
            FILE *f = fopen(port_file, "w");
            if (f) {
                fprintf(f, "%d\n", port);
                fclose(f);
            }
        }
        int sig = 0;
        sigwait(&set, &sig);
        fprintf(stderr, "ordercam-central: signal %d, stopping\n", sig);
    }
    oc_api_stop(api);
    oc_auth_free(auth);
    if (store)
        store->ops->close(store);
    oc_ccfg_free(cfg);
    return rc;
}
