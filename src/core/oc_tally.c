#include "ordercam/oc_tally.h"

#include <stdlib.h>

struct oc_tally {
    struct oc_tally_row *rows;
    size_t n, max;
    size_t *slots; /* index+1 into rows; 0 = empty */
    size_t cap;
    int sorted;
};

int64_t oc_tally_bucket(int64_t ts, int64_t bucket_ms)
{
    return ts - (((ts % bucket_ms) + bucket_ms) % bucket_ms);
}

struct oc_tally *oc_tally_new(size_t max_rows)
{
    struct oc_tally *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max_rows;
    t->cap = 16;
    while (t->cap < max_rows * 2)
        t->cap <<= 1;
    t->rows = calloc(max_rows ? max_rows : 1, sizeof *t->rows);
    t->slots = calloc(t->cap, sizeof *t->slots);
    if (!t->rows || !t->slots) {
        oc_tally_free(t);
        return NULL;
    }
    return t;
}

void oc_tally_free(struct oc_tally *t)
{
    if (!t)
        return;
    free(t->rows);
    free(t->slots);
    free(t);
}

static uint64_t key_hash(int camera, int vtype, int64_t bucket)
{
    uint64_t h = (uint64_t)bucket * 0x9E3779B97F4A7C15ull;
    h ^= ((uint64_t)(uint32_t)camera << 32 | (uint32_t)vtype) * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 29);
}

static int cmp_row(const void *a, const void *b)
{
    const struct oc_tally_row *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    if (x->camera != y->camera)
        return x->camera - y->camera;
    return x->vtype - y->vtype;
}

static void rehash(struct oc_tally *t)
{
    for (size_t i = 0; i < t->cap; i++)
        t->slots[i] = 0;
    for (size_t r = 0; r < t->n; r++) {
        const struct oc_tally_row *row = &t->rows[r];
        size_t i = key_hash(row->camera, row->vtype, row->bucket) & (t->cap - 1);
        while (t->slots[i])
            i = (i + 1) & (t->cap - 1);
        t->slots[i] = r + 1;
    }
}

oc_err_t oc_tally_add(struct oc_tally *t, int camera, int vtype, int64_t bucket)
{
    if (t->sorted) {
        rehash(t); /* sorting moved the rows */
        t->sorted = 0;
    }
    size_t i = key_hash(camera, vtype, bucket) & (t->cap - 1);
    while (t->slots[i]) {
        struct oc_tally_row *row = &t->rows[t->slots[i] - 1];
        if (row->camera == camera && row->vtype == vtype && row->bucket == bucket) {
            row->count++;
            return OC_OK;
        }
        i = (i + 1) & (t->cap - 1);
    }
    if (t->n == t->max)
        return OC_EFULL;
    t->rows[t->n] = (struct oc_tally_row){camera, vtype, bucket, 1};
    t->slots[i] = ++t->n;
    return OC_OK;
}

const struct oc_tally_row *oc_tally_rows(struct oc_tally *t, size_t *n)
{
    qsort(t->rows, t->n, sizeof *t->rows, cmp_row);
    t->sorted = 1;
    *n = t->n;
    return t->rows;
}
