#include "ordercam/oc_wire.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_config.h"
#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"
#include "ordercam/oc_text.h"

static oc_err_t mem_write(void *ud, const char *p, size_t n)
{
    struct oc_wire_mem *m = ud;
    if (n > m->max || m->len > m->max - n)
        return OC_EFULL;
    if (m->len + n + 1 > m->cap) {
        size_t cap = (m->len + n + 1) * 2;
        if (cap > m->max + 1)
            cap = m->max + 1;
        char *q = realloc(m->p, cap);
        if (!q)
            return OC_ENOMEM;
        m->p = q;
        m->cap = cap;
    }
    memcpy(m->p + m->len, p, n);
    m->len += n;
    m->p[m->len] = '\0';
    return OC_OK;
}

void oc_wire_mem_writer(struct oc_wire *w, struct oc_wire_mem *m)
{
    m->len = 0;
    if (m->p)
        m->p[0] = '\0';
    *w = (struct oc_wire){.write = mem_write, .ud = m};
}

void oc_wire_mem_free(struct oc_wire_mem *m)
{
    free(m->p);
    m->p = NULL;
    m->len = m->cap = 0;
}

static void raw(struct oc_wire *w, const char *p, size_t n)
{
    if (w->err == OC_OK)
        w->err = w->write(w->ud, p, n);
}

static void text(struct oc_wire *w, const char *s)
{
    raw(w, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void fmt(struct oc_wire *w, const char *f, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        if (w->err == OC_OK)
            w->err = OC_EINVAL;
        return;
    }
    raw(w, buf, (size_t)n);
}

/* A JSON string literal of any length (names, places are bounded by the
 * config; the quote's worst case is 6 bytes per input byte). */
static void quoted(struct oc_wire *w, const char *s)
{
    size_t cap = strlen(s) * 6 + 3;
    char small[512], *buf = cap <= sizeof small ? small : malloc(cap);
    if (!buf) {
        if (w->err == OC_OK)
            w->err = OC_ENOMEM;
        return;
    }
    raw(w, buf, oc_text_json_quote(buf, cap, s));
    if (buf != small)
        free(buf);
}

/* An id (box, camera) needs no escaping once checked. */
static void id_value(struct oc_wire *w, const char *id)
{
    if (!id || !oc_config_valid_id(id, strlen(id))) {
        if (w->err == OC_OK)
            w->err = OC_EINVAL;
        return;
    }
    raw(w, "\"", 1);
    text(w, id);
    raw(w, "\"", 1);
}

static void separator(struct oc_wire *w)
{
    if (w->items++)
        raw(w, ",", 1);
}

void oc_wire_violations_begin(struct oc_wire *w, const char *box)
{
    text(w, "{\"box\":");
    id_value(w, box);
    text(w, ",\"violations\":[");
    w->items = 0;
}

void oc_wire_violation(struct oc_wire *w, const char *record, size_t len)
{
    if (len && record[len - 1] == '\n')
        len--;
    separator(w);
    raw(w, record, len);
}

oc_err_t oc_wire_violations_end(struct oc_wire *w)
{
    text(w, "]}");
    return w->err;
}

char *oc_wire_cameras_json(const struct oc_wire_camera *cams, size_t n)
{
    struct oc_wire_mem m = {.max = SIZE_MAX / 2};
    struct oc_wire w;
    oc_wire_mem_writer(&w, &m);
    raw(&w, "[", 1);
    for (size_t i = 0; i < n; i++) {
        separator(&w);
        text(&w, "{\"id\":");
        id_value(&w, cams[i].id);
        static const char *const keys[] = {",\"location\":", ",\"road\":", ",\"unit\":"};
        const char *vals[] = {cams[i].location, cams[i].road, cams[i].unit};
        for (size_t k = 0; k < 3; k++)
            if (vals[k]) {
                text(&w, keys[k]);
                quoted(&w, vals[k]);
            }
        raw(&w, "}", 1);
    }
    raw(&w, "]", 1);
    if (w.err != OC_OK) {
        oc_wire_mem_free(&m);
        return NULL;
    }
    return m.p;
}

void oc_wire_tallies_begin(struct oc_wire *w, const char *box, const char *version, int64_t backlog,
                           const char *cameras_json)
{
    text(w, "{\"box\":");
    id_value(w, box);
    text(w, ",\"version\":");
    quoted(w, version ? version : "");
    if (backlog >= 0)
        fmt(w, ",\"backlog\":%" PRId64, backlog);
    text(w, ",\"cameras\":");
    text(w, cameras_json ? cameras_json : "[]");
    text(w, ",\"tallies\":[");
    w->items = 0;
}

oc_err_t oc_wire_tally(struct oc_wire *w, const struct oc_wire_tally *t)
{
    if (!t->camera || !oc_config_valid_id(t->camera, strlen(t->camera)) ||
        !oc_record_type_name_ok(t->type) || t->bucket < 0 || t->count < 0 || t->rev < 1)
        return OC_EINVAL;
    separator(w);
    text(w, "{\"camera\":");
    id_value(w, t->camera);
    fmt(w, ",\"type\":\"%s\",\"bucket\":%" PRId64 ",\"count\":%" PRId64 ",\"rev\":%" PRId64 "}",
        t->type, t->bucket, t->count, t->rev);
    return w->err;
}

oc_err_t oc_wire_tallies_end(struct oc_wire *w)
{
    text(w, "]}");
    return w->err;
}

bool oc_wire_refused_index(const char *body, size_t len, size_t *index)
{
    cJSON *j = NULL;
    if (!body || oc_json_parse(body, len, 65536, 4, &j, NULL) != OC_JSON_OK)
        return false;
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(j, "index");
    bool ok = cJSON_IsObject(j) && oc_record_is_int(i, 0, 1e9);
    if (ok)
        *index = (size_t)i->valuedouble;
    cJSON_Delete(j);
    return ok;
}
