#include "oc_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int oc_proc_start(struct oc_proc *p, char *const argv[], const char *log)
{
    snprintf(p->log, sizeof p->log, "%s", log);
    p->pid = fork();
    if (p->pid < 0)
        return -1;
    if (p->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return 0;
}

int oc_proc_wait_port(const char *path, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        FILE *f = fopen(path, "r");
        int port = -1;
        if (f) {
            if (fscanf(f, "%d", &port) != 1)
                port = -1;
            fclose(f);
        }
        if (port > 0)
            return port;
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

int oc_proc_stop(struct oc_proc *p, int sig)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int status = 0;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    p->pid = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int oc_proc_start_central(struct oc_proc *p, const char *cfg, const char *portfile, const char *log,
                          int timeout_ms)
{
    char bin[512];
    const char *dir = getenv("OC_BIN");
    snprintf(bin, sizeof bin, "%s/ordercam-central", dir ? dir : ".");
    char *argv[] = {bin, "-c", (char *)cfg, "--port-file", (char *)portfile, NULL};
    if (oc_proc_start(p, argv, log) != 0)
        return -1;
    return oc_proc_wait_port(portfile, timeout_ms);
}

int oc_rmtree(const char *dir)
{
    char cmd[1100];
    if (strchr(dir, '\'') || snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) >= (int)sizeof cmd)
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

int oc_tmpdir(char *dir, size_t len)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, len, "%s/oc-test-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

int oc_make_certs(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
             "  -subj '/CN=ordercam test CA' >/dev/null 2>&1 && "
             "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
             "  -subj '/CN=localhost' >/dev/null 2>&1 && "
             "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext && "
             "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "  -out server.pem -days 2 -extfile san.ext >/dev/null 2>&1 && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem "
             "  -days 2 -subj '/CN=some other CA' >/dev/null 2>&1",
             dir);
    return system(cmd) == 0 ? 0 : -1;
}

size_t oc_http_on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct oc_test_resp *r = ud;
    char *b = realloc(r->body, r->len + sz * n + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, sz * n);
    r->len += sz * n;
    b[r->len] = '\0';
    r->body = b;
    return sz * n;
}

size_t oc_http_on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct oc_test_resp *r = ud;
    size_t have = strlen(r->headers);
    if (have + sz * n < sizeof r->headers) {
        memcpy(r->headers + have, p, sz * n);
        r->headers[have + sz * n] = '\0';
    }
    return sz * n;
}
