/* The tracker noise model over a whole log (noise.h). */
#include "noise.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ordercam/oc_json.h"
#include "tracker.h"

#define MAX_CAMS 1024
#define MAX_OBJ 65536 /* track ids per camera given to the model; later ones pass clean */
#define MAX_BOXES 2048

struct ncam {
    char id[128];
    struct gen_tracker *t;
    char **ids; /* MAX_OBJ track ids, index = the model's object */
    int n_ids;
};

struct noise {
    uint64_t seed;
    double level;
    struct ncam cams[MAX_CAMS];
    int n_cams;
    struct gen_det in[MAX_BOXES], out[MAX_BOXES];
    const cJSON *src[MAX_BOXES];
};

static struct ncam *cam_of(struct noise *nz, const char *id, size_t len)
{
    for (int i = 0; i < nz->n_cams; i++)
        if (strlen(nz->cams[i].id) == len && memcmp(nz->cams[i].id, id, len) == 0)
            return &nz->cams[i];
    if (nz->n_cams == MAX_CAMS || len >= sizeof nz->cams[0].id)
        return NULL;
    struct ncam *c = &nz->cams[nz->n_cams];
    c->t = gen_tracker_new(nz->seed + (uint64_t)nz->n_cams * 7919, nz->level, MAX_OBJ);
    c->ids = calloc(MAX_OBJ, sizeof *c->ids);
    if (!c->t || !c->ids) {
        gen_tracker_free(c->t);
        free(c->ids);
        memset(c, 0, sizeof *c);
        return NULL;
    }
    memcpy(c->id, id, len);
    c->id[len] = '\0';
    nz->n_cams++;
    return c;
}

/* The model's object index of track id on camera c; -1 past the bound. */
static int obj_of(struct ncam *c, const char *id)
{
    for (int i = c->n_ids - 1; i >= 0; i--)
        if (strcmp(c->ids[i], id) == 0)
            return i;
    if (c->n_ids == MAX_OBJ || !(c->ids[c->n_ids] = strdup(id)))
        return -1;
    return c->n_ids++;
}

static cJSON *box_json(const struct gen_det *d)
{
    double v[4] = {d->x, d->y, d->w, d->h};
    cJSON *a = cJSON_CreateArray();
    for (int k = 0; a && k < 4; k++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(round(v[k] * 10) / 10));
    return a;
}

/* Degrades the objects of one detection payload in place. */
static bool degrade(struct noise *nz, struct ncam *c, cJSON *payload)
{
    cJSON *objs = cJSON_GetObjectItemCaseSensitive(payload, "objects");
    if (!cJSON_IsArray(objs) || cJSON_GetArraySize(objs) > MAX_BOXES / 2)
        return false;
    size_t n = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, objs)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        const cJSON *cls = cJSON_GetObjectItemCaseSensitive(o, "class");
        const cJSON *box = cJSON_GetObjectItemCaseSensitive(o, "box");
        if (!cJSON_IsString(id) || !cJSON_IsString(cls) || !cJSON_IsArray(box) ||
            cJSON_GetArraySize(box) != 4)
            return false; /* not ours to judge: the line stays as it is */
        struct gen_det *d = &nz->in[n];
        memset(d, 0, sizeof *d);
        d->cls = cls->valuestring;
        d->x = cJSON_GetArrayItem(box, 0)->valuedouble;
        d->y = cJSON_GetArrayItem(box, 1)->valuedouble;
        d->w = cJSON_GetArrayItem(box, 2)->valuedouble;
        d->h = cJSON_GetArrayItem(box, 3)->valuedouble;
        d->obj = obj_of(c, id->valuestring);
        if (d->obj < 0)
            d->obj = -1 - (int)n; /* passes clean; still tells its source */
        nz->src[n++] = o;
    }
    size_t m = gen_tracker_frame(c->t, nz->in, n, nz->out, MAX_BOXES);
    cJSON *fresh = cJSON_CreateArray();
    for (size_t j = 0; fresh && j < m; j++) {
        const cJSON *s = NULL;
        for (size_t i = 0; i < n && !s; i++)
            if (nz->in[i].obj == nz->out[j].obj)
                s = nz->src[i];
        cJSON *copy = s ? cJSON_Duplicate(s, 1) : NULL;
        if (!copy)
            continue;
        if (nz->out[j].obj >= 0) {
            cJSON_ReplaceItemInObjectCaseSensitive(copy, "id", cJSON_CreateString(nz->out[j].id));
            cJSON_ReplaceItemInObjectCaseSensitive(copy, "box", box_json(&nz->out[j]));
        }
        cJSON_AddItemToArray(fresh, copy);
    }
    if (!fresh)
        return false;
    cJSON_ReplaceItemInObjectCaseSensitive(payload, "objects", fresh);
    return true;
}

/* Writes one log line degraded; false: copy it unchanged. */
static bool noise_line(struct noise *nz, FILE *out, const char *ln, size_t len)
{
    cJSON *root = NULL;
    if (oc_json_parse(ln, len, SIZE_MAX, OC_JSON_MAX_DEPTH + 1, &root, NULL) != OC_JSON_OK)
        return false;
    const cJSON *topic = cJSON_GetObjectItemCaseSensitive(root, "topic");
    cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "payload");
    const char *t = cJSON_IsString(topic) ? strstr(topic->valuestring, "cameras/") : NULL;
    const char *slash = t ? strchr(t + 8, '/') : NULL;
    bool done = false;
    if (slash && strcmp(slash, "/detections") == 0 && cJSON_IsObject(p)) {
        struct ncam *c = cam_of(nz, t + 8, (size_t)(slash - t - 8));
        char *s = c && degrade(nz, c, p) ? cJSON_PrintUnformatted(root) : NULL;
        if (s) {
            fputs(s, out);
            fputc('\n', out);
            cJSON_free(s);
            done = true;
        }
    }
    cJSON_Delete(root);
    return done;
}

int gen_noise_log(const char *in, FILE *out, uint64_t seed, double level)
{
    gzFile gz = gzopen(in, "rb");
    struct noise *nz = calloc(1, sizeof *nz);
    size_t cap = 1 << 20, n;
    char *ln = malloc(cap);
    int rc = gz && nz && ln ? 0 : -1;
    if (nz) {
        nz->seed = seed;
        nz->level = level;
    }
    while (rc == 0) {
        n = 0;
        while (gzgets(gz, ln + n, (int)(cap - n))) {
            n += strlen(ln + n);
            if (n && ln[n - 1] == '\n')
                break;
            if (cap - n < 2) {
                char *b = realloc(ln, cap * 2);
                if (!b) {
                    rc = -1;
                    break;
                }
                ln = b;
                cap *= 2;
            }
        }
        if (n == 0 || rc != 0)
            break;
        size_t len = ln[n - 1] == '\n' ? n - 1 : n;
        if (!noise_line(nz, out, ln, len)) {
            fwrite(ln, 1, len, out);
            fputc('\n', out);
        }
    }
    if (gz)
        gzclose(gz);
    for (int i = 0; nz && i < nz->n_cams; i++) {
        gen_tracker_free(nz->cams[i].t);
        for (int k = 0; k < nz->cams[i].n_ids; k++)
            free(nz->cams[i].ids[k]);
        free(nz->cams[i].ids);
    }
    free(nz);
    free(ln);
    return rc == 0 && !ferror(out) ? 0 : -1;
}
