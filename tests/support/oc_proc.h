/* Starting the real programs in tests: a child process with its output in
 * a file, waiting for the port it wrote, stopping it; certificates made at
 * test time with the openssl command. */
#ifndef OC_PROC_H
#define OC_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct oc_proc {
    pid_t pid;
    char log[512];
};

/* Starts argv (argv[0] a path) with stdout/stderr to `log`. 0 or -1. */
int oc_proc_start(struct oc_proc *p, char *const argv[], const char *log);
/* Waits up to timeout_ms for `path` to hold a port number; returns it or -1. */
int oc_proc_wait_port(const char *path, int timeout_ms);
/* Sends sig and waits for the exit; returns the exit status (or 128+signal). */
int oc_proc_stop(struct oc_proc *p, int sig);

/* Starts $OC_BIN/ordercam-central with the config file cfg, its output to
 * log, and waits up to timeout_ms for the port it writes to portfile.
 * Returns the port, or -1 (not started, or no port in time). */
int oc_proc_start_central(struct oc_proc *p, const char *cfg, const char *portfile, const char *log,
                          int timeout_ms);

/* A response collected by libcurl: the status, the body (NUL-terminated,
 * malloc'd: the caller frees it) and the header lines (cut at 4 KiB). */
struct oc_test_resp {
    long status;
    char *body;
    size_t len;
    char headers[4096];
};
/* libcurl's CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION for an
 * oc_test_resp (its address as the data). */
size_t oc_http_on_body(char *p, size_t sz, size_t n, void *ud);
size_t oc_http_on_header(char *p, size_t sz, size_t n, void *ud);

/* Makes a fresh temporary directory (under $TMPDIR or /tmp) into dir. */
int oc_tmpdir(char *dir, size_t len);
/* Removes dir and everything below it. 0 or -1. */
int oc_rmtree(const char *dir);

/* Makes in dir: ca.pem/ca.key (a test CA), server.pem/server.key (for
 * localhost and 127.0.0.1, signed by the CA), other-ca.pem (a CA that
 * signed nothing here). Returns 0 or -1. */
int oc_make_certs(const char *dir);

#endif
