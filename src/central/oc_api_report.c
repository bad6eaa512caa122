/* Periodic reports (通报) and the offence code tables served to the interface. */
#include "oc_api_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ordercam/oc_codes.h"
#include "oc_report.h"

/* The offence code table of a language (?locale=zh-CN|en, default the
 * asker's) for the interface's names: the same file format and, by
 * default, the same tables as the evidence captions. */
enum MHD_Result oc_api_get_codes(struct oc_api *api, struct MHD_Connection *c,
                                 const struct oc_user *u)
{
    const char *loc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "locale");
    if (!loc || !*loc)
        loc = u->locale[0] ? u->locale : api->cfg->ui_locale;
    if (strcmp(loc, "zh-CN") != 0 && strcmp(loc, "en") != 0)
        return oc_api_send_error(c, 400, "locale: zh-CN or en");
    const struct oc_codes *t = api->codes[strcmp(loc, "en") == 0];
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "locale", oc_codes_locale(t));
    cJSON_AddBoolToObject(out, "example", oc_codes_is_example(t));
    cJSON *arr = cJSON_AddArrayToObject(out, "offences");
    for (size_t i = 0; i < oc_codes_count(t); i++) {
        const struct oc_code_entry *e = oc_codes_at(t, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", e->type);
        if (e->code)
            cJSON_AddStringToObject(o, "code", e->code);
        else
            cJSON_AddNullToObject(o, "code");
        cJSON_AddStringToObject(o, "name", e->name);
        cJSON_AddStringToObject(o, "short", e->short_name);
        if (e->points >= 0)
            cJSON_AddNumberToObject(o, "points", e->points);
        else
            cJSON_AddNullToObject(o, "points");
        if (e->fine >= 0)
            cJSON_AddNumberToObject(o, "fine", e->fine);
        else
            cJSON_AddNullToObject(o, "fine");
        cJSON_AddItemToArray(arr, o);
    }
    return oc_api_send_json(c, 200, out);
}

/* A period's report: period=week|month, date=YYYY-MM-DD (a day in it,
 * in the city's zone; default: the last whole period), by=unit|road,
 * format=json|csv. A period that ended more than a day ago is frozen: the
 * first report made of it is stored and served from then on, so that it
 * says the same next month. */
enum MHD_Result oc_api_get_report(struct oc_api *api, struct MHD_Connection *c)
{
    const char *per = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "period");
    const char *by = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
    const char *date = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "date");
    const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    int tz = api->cfg->tz_offset_min;
    enum oc_report_period p = per && strcmp(per, "month") == 0 ? OC_REPORT_MONTH : OC_REPORT_WEEK;
    enum oc_report_by b = by && strcmp(by, "road") == 0 ? OC_REPORT_ROAD : OC_REPORT_UNIT;
    int64_t day = 0, from, to, prev;
    if ((per && strcmp(per, "week") != 0 && strcmp(per, "month") != 0) ||
        (by && strcmp(by, "unit") != 0 && strcmp(by, "road") != 0) ||
        (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "csv") != 0) ||
        (date && *date && oc_report_parse_date(date, tz, &day) != 0))
        return oc_api_send_error(
            c, 400, "period week|month, by unit|road, date YYYY-MM-DD, format json|csv");
    if (!date || !*date) { /* the last whole period */
        oc_report_bounds(p, oc_api_now_ms(), tz, &from, &to, &prev);
        day = prev;
    }
    oc_report_bounds(p, day, tz, &from, &to, &prev);
    char key[128];
    snprintf(key, sizeof key, "%s|%s|%lld|%d", p == OC_REPORT_WEEK ? "week" : "month",
             b == OC_REPORT_UNIT ? "unit" : "road", (long long)from, tz);
    int closed = to + 86400000LL <= oc_api_now_ms();
    char *stored = NULL;
    cJSON *rep = NULL;
    if (closed && api->store->ops->report_get(api->store, key, &stored) == OC_OK)
        rep = cJSON_Parse(stored);
    free(stored);
    if (!rep) {
        rep = oc_report_make(api->store, api->codes[0], p, b, day, tz);
        if (!rep)
            return oc_api_send_error(c, 503, "store busy or failing; retry");
        cJSON_AddNumberToObject(rep, "generated", (double)oc_api_now_ms());
        cJSON_AddBoolToObject(rep, "frozen", closed);
        if (api->cfg->ui_city)
            cJSON_AddStringToObject(rep, "city", api->cfg->ui_city);
        else
            cJSON_AddNullToObject(rep, "city");
        char *text = closed ? cJSON_PrintUnformatted(rep) : NULL;
        if (text && api->store->ops->report_put(api->store, key, text, oc_api_now_ms()) == OC_OK) {
            /* a report made at the same moment elsewhere may have won */
            char *first = NULL;
            if (api->store->ops->report_get(api->store, key, &first) == OC_OK &&
                strcmp(first, text)) {
                cJSON_Delete(rep);
                rep = cJSON_Parse(first);
            }
            free(first);
        }
        free(text);
        if (!rep)
            return oc_api_send_error(c, 500, "out of memory");
    }
    if (fmt && strcmp(fmt, "csv") == 0) {
        char *csv = oc_report_csv(rep);
        cJSON_Delete(rep);
        if (!csv)
            return oc_api_send_error(c, 500, "out of memory");
        return oc_api_send_buf(c, 200, "text/csv; charset=utf-8", csv, strlen(csv),
                               MHD_RESPMEM_MUST_FREE);
    }
    return oc_api_send_json(c, 200, rep);
}

/* The tables of ui.codes_dir (<locale>.json; a missing file: the built-in
 * table), else the built-in ones. -1 with a message in err. */
int oc_api_load_codes(struct oc_api *api, char *err, size_t errlen)
{
    static const char *const locales[] = {"zh-CN", "en"};
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX], why[256] = "";
        struct stat st;
        oc_err_t e;
        snprintf(path, sizeof path, "%s/%s.json",
                 api->cfg->ui_codes_dir ? api->cfg->ui_codes_dir : "", locales[i]);
        if (api->cfg->ui_codes_dir && stat(path, &st) == 0)
            e = oc_codes_load(path, &api->codes[i], why, sizeof why);
        else
            e = oc_codes_builtin(locales[i], &api->codes[i], why, sizeof why);
        if (e != OC_OK) {
            snprintf(err, errlen, "code table %s: %s", api->codes[i] ? locales[i] : path, why);
            return -1;
        }
    }
    return 0;
}
