/* Evidence images: PUT from a box (content-addressed, immutable) and GET
 * for readers (a reviewer's view is audited). */
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

enum MHD_Result oc_api_put_evidence(struct oc_api *api, struct MHD_Connection *c, struct req *rq,
                                    const char *id, const char *token_box)
{
    if (!oc_api_valid_record_id(id, NULL, NULL))
        return oc_api_send_error(c, 400, "bad violation id");
    if (!oc_api_valid_record_id(id, token_box, NULL))
        return oc_api_send_error(c, 403, "a box token may only write its own box");
    const char *claimed = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Content-SHA256");
    char actual[65];
    oc_auth_sha256_hex(rq->body ? rq->body : "", rq->len, actual);
    if (!claimed || strlen(claimed) != 64)
        return oc_api_send_error(c, 400, "X-Content-SHA256 header with 64 hex digits required");
    if (strcasecmp(claimed, actual) != 0)
        return oc_api_send_error(c, 400, "body does not match X-Content-SHA256");
    if (!jpeg_ok(rq->body, rq->len)) {
        COUNT(api, evidence_not_jpeg);
        return oc_api_send_error(c, 400,
                                 "body is not a whole JPEG (headers unreadable or no end marker)");
    }
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
    /* Content-addressed: the path comes from the digest and the validated
     * box id only, never from the request's text. */
    char dir[PATH_MAX], path[PATH_MAX + 80];
    int n1 = snprintf(dir, sizeof dir, "%s/%s/%.2s", api->cfg->evidence_dir, box, actual);
    int n2 = snprintf(path, sizeof path, "%s/%s.jpg", dir, actual);
    if (n1 < 0 || (size_t)n1 >= sizeof dir || n2 < 0 || (size_t)n2 >= sizeof path)
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
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "sha256", actual);
    return oc_api_send_json(c, 200, out);
}

enum MHD_Result oc_api_get_evidence(struct oc_api *api, struct MHD_Connection *c, const char *id,
                                    enum who who, const struct oc_user *u)
{
    if (!oc_api_valid_record_id(id, NULL, NULL))
        return oc_api_send_error(c, 400, "bad violation id");
    if (who >= WHO_REVIEWER)
        oc_api_audit(api, c, who, u, "evidence_view", id,
                     NULL); /* a reviewer's look is on record */
    char box[80], expect[80], path[PATH_MAX];
    oc_err_t e = api->store->ops->evidence_expected(api->store, id, box, sizeof box, expect,
                                                    sizeof expect, path, sizeof path);
    if (e == OC_ENOTFOUND || (e == OC_OK && !path[0]))
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
