/* ordercam-verify RECORD.json IMAGE.jpg PUBKEY: checks one violation with
 * nothing but those three files (docs/evidence.md, "Signatures"): the
 * record's "sig" is the box's Ed25519 signature over the record's
 * canonical form, and the image is the one whose SHA-256 the record names.
 * Exit 0: both hold; 1: either does not; 2: usage or unreadable input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "ordercam/oc_io.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_sign.h"

#define MAX_RECORD (1u << 20)
#define MAX_IMAGE (256u << 20)

static int usage(void)
{
    fprintf(stderr,
            "usage: ordercam-verify RECORD.json IMAGE.jpg PUBKEY\n"
            "  RECORD.json  one violation record (as the box sent it or central serves it)\n"
            "  IMAGE.jpg    its evidence image (\"-\" when the record has none)\n"
            "  PUBKEY       the box's public key: a file holding it (as ordercamd\n"
            "               --print-key prints it) or the base64 key itself\n");
    return 2;
}

/* The key: PUBKEY itself when it is one, else the first word of the file
 * that is one. */
static int read_key(const char *arg, char key[OC_SIGN_PUB_B64])
{
    if (oc_sign_pub_ok(arg)) {
        snprintf(key, OC_SIGN_PUB_B64, "%s", arg);
        return 0;
    }
    size_t len;
    char *text = (char *)oc_io_read_file(arg, 64 * 1024, &len);
    if (!text) {
        fprintf(stderr, "ordercam-verify: cannot read %s\n", arg);
        return -1;
    }
    char *buf = realloc(text, len + 1);
    if (!buf) {
        free(text);
        return -1;
    }
    buf[len] = '\0';
    int found = -1;
    for (char *save = NULL, *w = strtok_r(buf, " \t\r\n", &save); w && found;
         w = strtok_r(NULL, " \t\r\n", &save))
        if (oc_sign_pub_ok(w)) {
            snprintf(key, OC_SIGN_PUB_B64, "%s", w);
            found = 0;
        }
    free(buf);
    if (found)
        fprintf(stderr, "ordercam-verify: %s holds no base64 Ed25519 public key\n", arg);
    return found;
}

static int image_digest(const char *path, char hex[65])
{
    size_t len;
    unsigned char *img = oc_io_read_file(path, MAX_IMAGE, &len), md[32];
    if (!img) {
        fprintf(stderr, "ordercam-verify: cannot read %s\n", path);
        return -1;
    }
    SHA256(img, len, md);
    free(img);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return usage();
    char key[OC_SIGN_PUB_B64];
    size_t len;
    char *text = (char *)oc_io_read_file(argv[1], MAX_RECORD, &len);
    if (!text) {
        fprintf(stderr, "ordercam-verify: cannot read %s\n", argv[1]);
        return 2;
    }
    cJSON *rec = NULL;
    struct oc_json_error je;
    enum oc_json_status st = oc_json_parse(text, len, MAX_RECORD, OC_JSON_MAX_DEPTH, &rec, &je);
    free(text);
    if (st != OC_JSON_OK || !cJSON_IsObject(rec)) {
        char d[256];
        fprintf(stderr, "ordercam-verify: %s: %s\n", argv[1],
                st != OC_JSON_OK ? oc_json_describe(&je, d, sizeof d) : "not a JSON object");
        cJSON_Delete(rec);
        return 2;
    }
    if (read_key(argv[3], key) != 0) {
        cJSON_Delete(rec);
        return 2;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    const char *rid = cJSON_IsString(id) ? id->valuestring : "?";
    int ok = 1;
    if (!oc_sign_check_record(rec, key)) {
        printf("FAIL %s: the signature does not verify with key %s\n", rid, key);
        ok = 0;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(rec, "evidence");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(ev, "sha256");
    if (strcmp(argv[2], "-") == 0) {
        if (cJSON_IsString(sha)) {
            printf("FAIL %s: the record names an image (sha256 %s) and none was given\n", rid,
                   sha->valuestring);
            ok = 0;
        }
    } else {
        char hex[65];
        if (image_digest(argv[2], hex) != 0) {
            cJSON_Delete(rec);
            return 2;
        }
        if (!cJSON_IsString(sha) || strcmp(hex, sha->valuestring) != 0) {
            printf("FAIL %s: %s has SHA-256 %s, the record names %s\n", rid, argv[2], hex,
                   cJSON_IsString(sha) ? sha->valuestring : "no image");
            ok = 0;
        }
    }
    if (ok)
        printf("OK %s: signed by %s; %s\n", rid, key,
               cJSON_IsString(sha) ? "the image is the one signed" : "no image");
    cJSON_Delete(rec);
    return ok ? 0 : 1;
}
