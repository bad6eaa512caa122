/* Turns an evidence job into the file the record points at: composes the
 * image (oc_compose), takes its SHA-256 (OpenSSL libcrypto) and writes it
 * atomically (temp file, fsync, rename, fsync of the folder) under the
 * evidence directory. Safe to run on any thread with its own builder. */
#ifndef OC_EVBUILD_H
#define OC_EVBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_compose.h"
#include "ordercam/oc_evidence.h"

struct oc_evbuild_result {
    char sha256[65];
    int64_t frames[OC_KEYS_MAX]; /* ts of the frames on the sheet */
    size_t n_frames;
    size_t size; /* bytes written */
    struct oc_compose_report rep;
    /* the public variant, when the job asks for it: public_size 0 when
     * none was written */
    char public_sha256[65];
    size_t public_size;
};

struct oc_evbuild;

/* dir: the evidence directory (copied). font: NULL draws no text (tests
 * of geometry only); otherwise borrowed for the builder's life. NULL when
 * out of memory. */
struct oc_evbuild *oc_evbuild_new(const char *dir, struct oc_font *font, int quality);
void oc_evbuild_free(struct oc_evbuild *b);

/* OC_OK: <dir>/<job->file> written and res filled; with job->public_file
 * set, <dir>/<job->public_file> too (written first: the private file's
 * presence means both are there). OC_ENOTFOUND: no frame
 * was usable (res->rep says why); OC_EIO: the write failed (errno set,
 * ENOSPC when the disk is full); OC_ENOMEM. */
oc_err_t oc_evbuild_run(struct oc_evbuild *b, const struct oc_evidence_job *job,
                        struct oc_evbuild_result *res);

/* The same image without writing it, for benchmarks and tests. *jpeg is
 * malloc'd; caller frees. */
oc_err_t oc_evbuild_image(struct oc_evbuild *b, const struct oc_evidence_job *job,
                          unsigned char **jpeg, size_t *len, struct oc_evbuild_result *res);

/* The public variant of the image oc_evbuild_image just made with this
 * builder (nothing else in between); fills res->public_sha256 and
 * public_size. *jpeg malloc'd; caller frees. */
oc_err_t oc_evbuild_public(struct oc_evbuild *b, const struct oc_evidence_job *job,
                           unsigned char **jpeg, size_t *len, struct oc_evbuild_result *res);

/* Lower-case hex SHA-256 of data into hex (65 bytes). */
void oc_evbuild_sha256(const void *data, size_t len, char hex[65]);

#endif
