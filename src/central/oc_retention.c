#include "oc_retention.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY_MS 86400000LL

struct batch {
    char (*id)[600];
    char (*path)[4096];
    int n;
};

static void take(void *arg, const char *id, const char *path)
{
    struct batch *b = arg;
    if (b->n >= OC_RETENTION_BATCH)
        return;
    strncpy(b->id[b->n], id, sizeof b->id[0] - 1);
    b->id[b->n][sizeof b->id[0] - 1] = '\0';
    strncpy(b->path[b->n], path, sizeof b->path[0] - 1);
    b->path[b->n][sizeof b->path[0] - 1] = '\0';
    b->n++;
}

/* One kind of image file a record holds: the private image or its public
 * variant, with the store's calls for it and what is counted. */
struct kind {
    oc_err_t (*before)(struct oc_store *s, int64_t before, int limit, oc_store_image_fn fn,
                       void *arg);
    oc_err_t (*users)(struct oc_store *s, const char *path, const char *id, int64_t *n);
    oc_err_t (*expire)(struct oc_store *s, const char *id);
    int64_t *deleted, *expired; /* expired: NULL when not counted */
};

/* The files of records older than cut, a batch at a time: each file is
 * unlinked unless another record holds it, and the record loses it. */
static void expire_files(struct oc_store *s, int64_t cut, const struct kind *k,
                         struct oc_retention_result *out)
{
    struct batch b = {calloc(OC_RETENTION_BATCH, sizeof *b.id),
                      calloc(OC_RETENTION_BATCH, sizeof *b.path), 0};
    if (!b.id || !b.path) {
        out->errors++;
        goto done;
    }
    for (;;) {
        b.n = 0;
        if (k->before(s, cut, OC_RETENTION_BATCH, take, &b) != OC_OK) {
            out->errors++;
            break;
        }
        if (b.n == 0)
            break;
        for (int i = 0; i < b.n; i++) {
            int64_t users = 0;
            struct stat st;
            if (k->users(s, b.path[i], b.id[i], &users) != OC_OK) {
                out->errors++;
                goto done;
            }
            if (users == 0 && stat(b.path[i], &st) == 0) {
                if (unlink(b.path[i]) == 0) {
                    (*k->deleted)++;
                    out->bytes_freed += st.st_size;
                } else {
                    out->errors++;
                }
            }
            if (k->expire(s, b.id[i]) != OC_OK) {
                out->errors++;
                goto done;
            }
            if (k->expired)
                (*k->expired)++;
        }
    }
done:
    free(b.id);
    free(b.path);
}

void oc_retention_pass(struct oc_store *s, int64_t now, int evidence_days, int records_days,
                       struct oc_retention_result *out)
{
    memset(out, 0, sizeof *out);
    int64_t img_cut = evidence_days ? now - evidence_days * DAY_MS : INT64_MIN;
    int64_t rec_cut = records_days ? now - records_days * DAY_MS : INT64_MIN;
    int64_t cut = img_cut > rec_cut ? img_cut : rec_cut; /* a deleted record's image goes too */
    if (cut != INT64_MIN) {
        /* the public variants first: they go with their private images */
        const struct kind publics = {s->ops->publics_before, s->ops->public_users,
                                     s->ops->public_expire, &out->publics_deleted, NULL};
        const struct kind images = {s->ops->images_before, s->ops->image_users,
                                    s->ops->image_expire, &out->images_deleted,
                                    &out->images_expired};
        expire_files(s, cut, &publics, out);
        expire_files(s, cut, &images, out);
    }
    while (rec_cut != INT64_MIN && !out->errors) {
        int64_t n = 0;
        if (s->ops->records_delete_before(s, rec_cut, OC_RETENTION_BATCH, &n) != OC_OK) {
            out->errors++;
            break;
        }
        out->records_deleted += n;
        if (n < OC_RETENTION_BATCH)
            break;
    }
}

/* The evidence tree is <dir>/<box>/<xx>/<sha256>.jpg: a few levels. */
static int64_t tree_bytes(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
            lstat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode))
            sum += st.st_size;
        else if (S_ISDIR(st.st_mode) && depth < 4) {
            int64_t sub = tree_bytes(path, depth + 1);
            if (sub > 0)
                sum += sub;
        }
    }
    closedir(d);
    return sum;
}

int64_t oc_retention_disk_use(const char *dir)
{
    return tree_bytes(dir, 0);
}
