/* Evidence images: PUT from a box (content-addressed, immutable) and GET
 * for readers (a reviewer's view is audited); the public variant
 * (docs/evidence.md) on <id>/public likewise, for every reader. */
#include "oc_api_int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "ordercam/oc_event.h"
#include "ordercam/oc_io.h"

/* A JPEG whose headers libjpeg-turbo reads (sizes within 1..16384) and
 * that ends with an EOI marker. */
static int jpeg_ok(const void *buf, size_t len)
{
    if (len < 4 || len > ULONG_MAX || !oc_event_is_jpeg(buf, len))
        return 0;
    const unsigned char *b = buf;
    if (b[len - 2] != 0xFF || b[len - 1] != 0xD9)
        return 0;
    tjhandle tj = tjInitDecompress(); /* per call: handles are not thread-safe */
    int w = 0, h = 0, sub = 0, cs = 0;
    int ok = tj && tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &sub, &cs) == 0 &&
             w >= 1 && h >= 1 && w <= 16384 && h <= 16384;
    if (tj)
        tjDestroy(tj);
    return ok;
}

int oc_api_evidence_id(const char *rest, char *id, size_t idlen, int *public_)
{
    static const char sfx[] = "/public";
    size_t n = strlen(rest), k = sizeof sfx - 1;
    *public_ = n > k && strcmp(rest + n - k, sfx) == 0;
    if (*public_)
        n -= k;
    if (n + 1 > idlen)
        return -1;
    memcpy(id, rest, n);
    id[n] = '\0';
    return oc_api_valid_record_id(id, NULL, NULL) ? 0 : -1;
}

/* Where an image is stored, content-addressed under the validated box id:
 * the path comes from the digest, never from the request's text. dir has
 * PATH_MAX bytes, path PATH_MAX + 80. 0, or 500 when too long. */
static int evidence_path(struct oc_api *api, const char *box, const char *sha, char *dir,
                         char *path)
{
    int n1 = snprintf(dir, PATH_MAX, "%s/%s/%.2s", api->cfg->evidence_dir, box, sha);
    int n2 = snprintf(path, PATH_MAX + 80, "%s/%s.jpg", dir, sha);
    return n1 < 0 || n1 >= PATH_MAX || n2 < 0 || n2 >= PATH_MAX + 80 ? 500 : 0;
}

/* The body's digest against its X-Content-SHA256 and its JPEG headers: 0
 * (actual set), or an error already queued in *ret. */
static int check_body(struct oc_api *api, struct MHD_Connection *c, struct req *rq, char *actual,
                      enum MHD_Result *ret)
{
    const char *claimed = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Content-SHA256");
    oc_auth_sha256_hex(rq->body ? rq->body : "", rq->len, actual);
    if (!claimed || strlen(claimed) != 64)
        *ret = oc_api_send_error(c, 400, "X-Content-SHA256 header with 64 hex digits required");
    else if (strcasecmp(claimed, actual) != 0)
        *ret = oc_api_send_error(c, 400, "body does not match X-Content-SHA256");
    else if (!jpeg_ok(rq->body, rq->len)) {
        COUNT(api, evidence_not_jpeg);
        *ret = oc_api_send_error(c, 400,
                                 "body is not a whole JPEG (headers unreadable or no end marker)");
    } else
        return 0;
    return -1;
}

static enum MHD_Result sent_sha(struct MHD_Connection *c, const char *actual)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "sha256", actual);
    return oc_api_send_json(c, 200, out);
}

/* PUT <id>/public: the record must have announced exactly this image in
 * evidence.public_sha256 (400 otherwise: no retry makes it right). */
static enum MHD_Result put_public(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                  const char *id)
{
    char actual[65];
    enum MHD_Result ret;
    if (check_body(api, c, rq, actual, &ret) != 0)
        return ret;
    char box[80], expect[80], stored[PATH_MAX];
    int expired = 0;
    oc_err_t e = api->store->ops->public_expected(api->store, id, box, sizeof box, expect,
                                                  sizeof expect, stored, sizeof stored, &expired);
    if (e == OC_ENOTFOUND)
        return oc_api_send_error(c, 404, "no such violation: send the record first");
    if (e != OC_OK)
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    char dir[PATH_MAX], path[PATH_MAX + 80];
    if (evidence_path(api, box, actual, dir, path) != 0)
        return oc_api_send_error(c, 500, "evidence path too long");
    if (stored[0] && strcmp(stored, path) != 0) { /* immutable, as the private image */
        COUNT(api, evidence_conflict);
        return oc_api_send_error(c, 409, "this violation already has another public image");
    }
    if (!expect[0]) {
        COUNT(api, public_refused);
        return oc_api_send_error(c, 400,
                                 "the record announced no public image"
                                 " (evidence.public_sha256)");
    }
    if (strcasecmp(expect, actual) != 0) {
        COUNT(api, public_refused);
        return oc_api_send_error(c, 400, "body does not match the record's evidence.public_sha256");
    }
    struct stat st;
    if (!(stored[0] && stat(path, &st) == 0)) {
        if (oc_io_mkdir_p(dir) != 0 || oc_io_write_atomic(dir, path, rq->body, rq->len) != 0)
            return oc_api_send_error(c, 507, "cannot store evidence");
        if (api->store->ops->public_stored(api->store, id, path) != OC_OK)
            return oc_api_send_error(c, 503, "store busy or failing; retry");
        if (!stored[0] && atomic_load(&api->evidence_bytes) >= 0)
            atomic_fetch_add(&api->evidence_bytes, (long long)rq->len);
    }
    return sent_sha(c, actual);
}

enum MHD_Result oc_api_put_evidence(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                    const char *rest, const char *token_box)
{
    char id[256];
    int public_ = 0;
    if (oc_api_evidence_id(rest, id, sizeof id, &public_) != 0)
        return oc_api_send_error(c, 400, "bad violation id");
    if (!oc_api_valid_record_id(id, token_box, NULL))
        return oc_api_send_error(c, 403, "a box token may only write its own box");
    if (public_)
        return put_public(api, c, rq, id);
    char actual[65];
    enum MHD_Result ret;
    if (check_body(api, c, rq, actual, &ret) != 0)
        return ret;
    char box[80], expect[80], stored[PATH_MAX];
    oc_err_t e = api->store->ops->evidence_expected(api->store, id, box, sizeof box, expect,
                                                    sizeof expect, stored, sizeof stored);
    if (e == OC_ENOTFOUND)
        return oc_api_send_error(c, 404, "no such violation: send the record first");
    if (e != OC_OK)
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    if (expect[0] && strcmp(expect, actual) != 0) {
        COUNT(api, evidence_conflict);
        return oc_api_send_error(c, 409, "the record announced a different sha256");
    }
    char dir[PATH_MAX], path[PATH_MAX + 80];
    if (evidence_path(api, box, actual, dir, path) != 0)
        return oc_api_send_error(c, 500, "evidence path too long");
    /* Immutable once stored: the same bytes again are a no-op, other bytes
     * a conflict, whether or not the record announced a digest. */
    if (stored[0] && strcmp(stored, path) != 0) {
        COUNT(api, evidence_conflict);
        return oc_api_send_error(c, 409, "this violation already has another image");
    }
    struct stat st;
    if (!(stored[0] && stat(path, &st) == 0)) {
        if (oc_io_mkdir_p(dir) != 0 || oc_io_write_atomic(dir, path, rq->body, rq->len) != 0)
            return oc_api_send_error(c, 507, "cannot store evidence");
        if (api->store->ops->evidence_stored(api->store, id, path, (int64_t)rq->len) != OC_OK)
            return oc_api_send_error(c, 503, "store busy or failing; retry");
        if (atomic_load(&api->evidence_bytes) >= 0)
            atomic_fetch_add(&api->evidence_bytes, (long long)rq->len);
    }
    return sent_sha(c, actual);
}

enum MHD_Result oc_api_get_evidence(struct oc_api *api, struct MHD_Connection *c, const char *rest,
                                    enum who who, const struct oc_user *u)
{
    char id[256];
    int public_ = 0;
    if (oc_api_evidence_id(rest, id, sizeof id, &public_) != 0)
        return oc_api_send_error(c, 400, "bad violation id");
    if (who >= WHO_REVIEWER)
        oc_api_audit(api, c, who, u, "evidence_view", id,
                     public_ ? "public" : NULL); /* a reviewer's look is on record */
    char box[80], expect[80], path[PATH_MAX];
    int expired = 0;
    oc_err_t e = public_
                     ? api->store->ops->public_expected(api->store, id, box, sizeof box, expect,
                                                        sizeof expect, path, sizeof path, &expired)
                     : api->store->ops->evidence_expected(api->store, id, box, sizeof box, expect,
                                                          sizeof expect, path, sizeof path);
    /* an image retention deleted answers as one never sent, private or public */
    if (e == OC_ENOTFOUND || (e == OC_OK && (!path[0] || expired)))
        return oc_api_send_error(c, 404, "no evidence for this violation");
    if (e != OC_OK)
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return oc_api_send_error(c, 404, "evidence file missing");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "image/jpeg");
    MHD_add_response_header(r, "Cache-Control", "private, max-age=86400, immutable");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}
