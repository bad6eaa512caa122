/* Reads for dashboards and scripts: counts, pages of violations, counters. */
#include "oc_api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result oc_api_get_counts(struct oc_api *api, struct MHD_Connection *c)
{
    struct oc_store_counts_q q = {.tz_offset_min = api->cfg->tz_offset_min};
    long long tz = q.tz_offset_min;
    if (!oc_api_read_filter(c, &q.f) || !oc_api_parse_int_arg(c, "tz", -720, 840, &tz))
        return oc_api_send_error(c, 400,
                                 "from, to (ms) and tz (minutes) must be integers in range;"
                                 " status pending, confirmed or rejected");
    q.tz_offset_min = (int)tz;
    const char *g = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "group");
    if (g && *g) {
        char buf[256];
        if (strlen(g) >= sizeof buf)
            return oc_api_send_error(c, 400, "group too long");
        strcpy(buf, g);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            int d = oc_store_dim_parse(tok);
            if (d < 0 || q.n_group == OC_DIM__COUNT)
                return oc_api_send_error(
                    c, 400,
                    "group: comma list of type, camera, box, road, unit, hour, day, hour_of_day");
            for (size_t k = 0; k < q.n_group; k++)
                if (q.group[k] == (enum oc_store_dim)d)
                    return oc_api_send_error(c, 400, "group: a dimension given twice");
            q.group[q.n_group++] = (enum oc_store_dim)d;
        }
    }
    cJSON *out = api->store->ops->counts(api->store, &q);
    return out ? oc_api_send_json(c, 200, out)
               : oc_api_send_error(c, 503, "store busy or failing; retry");
}

/* A page of violations being written: each stored record with its
 * evidence_url (and "evidence_expired": true once retention deleted its
 * image), and the cursor ("<ts>|<id>") after the last one. */
struct page {
    cJSON *out, *arr;
    char cursor[256];
};

static void page_row(void *arg, const struct oc_store_vrow *r)
{
    struct page *pg = arg;
    cJSON *rec = cJSON_Parse(r->record);
    if (!rec)
        return;
    oc_api_evidence_fields(rec, r);
    cJSON_AddItemToArray(pg->arr, rec);
    snprintf(pg->cursor, sizeof pg->cursor, "%lld|%s", (long long)r->ts, r->id);
}

enum MHD_Result oc_api_get_violations(struct oc_api *api, struct MHD_Connection *c)
{
    struct oc_store_filter f;
    long long limit = 100;
    if (!oc_api_read_filter(c, &f) || !oc_api_parse_int_arg(c, "limit", 1, 1000, &limit))
        return oc_api_send_error(
            c, 400, "from, to must be ms; limit 1..1000; status pending, confirmed or rejected");
    const char *before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "before");
    long long bts = 0;
    const char *bid = NULL;
    if (before && *before) {
        char *end;
        bts = strtoll(before, &end, 10);
        if (*end != '|' || !oc_api_valid_record_id(end + 1, NULL, NULL))
            return oc_api_send_error(c, 400, "before: a cursor from a previous page's \"next\"");
        bid = end + 1;
    }
    struct page pg = {.out = cJSON_CreateObject()};
    pg.arr = cJSON_AddArrayToObject(pg.out, "violations");
    int more = 0;
    if (api->store->ops->vrows(api->store, &f, (int)limit, bts, bid, page_row, &pg, &more) !=
        OC_OK) {
        cJSON_Delete(pg.out);
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    }
    if (more && pg.cursor[0])
        cJSON_AddStringToObject(pg.out, "next", pg.cursor);
    else
        cJSON_AddNullToObject(pg.out, "next");
    return oc_api_send_json(c, 200, pg.out);
}

enum MHD_Result oc_api_get_counters(struct oc_api *api, struct MHD_Connection *c)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *n = cJSON_AddObjectToObject(out, "counters");
#define X(name) cJSON_AddNumberToObject(n, #name, (double)atomic_load(&api->n.name));
    OC_API_COUNTERS(X)
#undef X
    pthread_mutex_lock(&api->lock);
    cJSON_AddNumberToObject(out, "buffered_bytes", (double)api->buffered);
    pthread_mutex_unlock(&api->lock);
    long long ev = atomic_load(&api->evidence_bytes);
    if (ev >= 0)
        cJSON_AddNumberToObject(out, "evidence_bytes", (double)ev);
    else
        cJSON_AddNullToObject(out, "evidence_bytes");
    return oc_api_send_json(c, 200, out);
}
