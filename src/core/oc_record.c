#include "ordercam/oc_record.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ordercam/oc_text.h"

struct out {
    char *buf;
    size_t cap, len;
    int full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    if (o->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->full = 1;
    else
        o->len += (size_t)n;
}

/* "key": "escaped" or "key": null */
static void put_str(struct out *o, const char *key, const char *val)
{
    put(o, ",\"%s\":", key);
    if (o->full)
        return;
    if (!val) {
        put(o, "null");
        return;
    }
    size_t n = oc_text_json_quote(o->buf + o->len, o->cap - o->len, val);
    if (n >= o->cap - o->len)
        o->full = 1;
    else
        o->len += n;
}

/* ,"evidence":{...}}\n or ,"evidence":null}\n: the record's last field */
static void put_evidence(struct out *o, const struct oc_record_evidence *ev)
{
    if (!ev) {
        put(o, ",\"evidence\":null}\n");
        return;
    }
    put(o, ",\"evidence\":{\"file\":");
    if (!o->full) {
        size_t n = oc_text_json_quote(o->buf + o->len, o->cap - o->len, ev->file);
        if (n >= o->cap - o->len)
            o->full = 1;
        else
            o->len += n;
    }
    put(o, ",\"sha256\":\"%s\",\"frames\":[", ev->sha256);
    for (size_t i = 0; i < ev->n_frames; i++)
        put(o, "%s%" PRId64, i ? "," : "", ev->frames[i]);
    put(o, "]%s}}\n", ev->evicted ? ",\"evicted\":true" : "");
}

size_t oc_record_format(const struct oc_config *cfg, const struct oc_violation *v,
                        const struct oc_record_evidence *ev, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, 0};
    if (cap == 0)
        return 0;
    /* ids are validated to [A-Za-z0-9._-], so they need no escaping */
    put(&o, "{\"id\":\"%s:%s:%" PRIu64 "\"", cfg->box_id, v->camera_id, v->seq);
    put_str(&o, "box", cfg->box_id);
    put_str(&o, "camera", v->camera_id);
    put_str(&o, "type", v->type);
    put_str(&o, "code", v->code);
    put(&o, ",\"ts\":%" PRId64 ",\"ts_start\":%" PRId64, v->ts, v->ts_start);
    put_str(&o, "track", v->track);
    put_str(&o, "class", v->cls);
    put_str(&o, "plate", v->plate);
    put(&o, ",\"conf\":%.4g", v->conf);
    put_str(&o, "zone", v->zone);
    put_str(&o, "line", v->line);
    put_str(&o, "signal", v->signal);
    put_str(&o, "location", v->location);
    put_str(&o, "road", v->road);
    put_str(&o, "unit", v->unit);
    put_evidence(&o, ev);
    return o.full ? 0 : o.len;
}

size_t oc_record_set_evidence(const char *rec, size_t len, const struct oc_record_evidence *ev,
                              char *buf, size_t cap)
{
    /* evidence is the last field, and nothing inside it can contain this
     * text (file names are ids and digits), so the last match is it */
    static const char field[] = ",\"evidence\":";
    size_t n = 0;
    for (size_t i = len; i-- > 0 && n == 0;)
        if (i + sizeof field - 1 <= len && memcmp(rec + i, field, sizeof field - 1) == 0)
            n = i + 1;
    if (n == 0)
        return 0;
    n--;
    if (n >= cap)
        return 0;
    memmove(buf, rec, n); /* rec may be buf */
    struct out o = {buf, cap, n, 0};
    put_evidence(&o, ev);
    return o.full ? 0 : o.len;
}
