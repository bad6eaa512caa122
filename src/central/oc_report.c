#include "oc_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define TOP_CAMERAS 10
#define TOP_PLATES 20

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian;
 * H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

void oc_report_bounds(enum oc_report_period p, int64_t day_ms, int tz_min, int64_t *from,
                      int64_t *to, int64_t *prev_from)
{
    int64_t tz = (int64_t)tz_min * 60000;
    int64_t day = floor_div(day_ms + tz, DAY_MS); /* local day number */
    int64_t start, end, prev;
    if (p == OC_REPORT_WEEK) {
        int64_t wd = ((day + 3) % 7 + 7) % 7; /* Monday 0; 1970-01-01 was a Thursday */
        start = day - wd;
        end = start + 7;
        prev = start - 7;
    } else {
        int64_t y;
        int m, d;
        civil_from_days(day, &y, &m, &d);
        start = days_from_civil(y, m, 1);
        end = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
        prev = m == 1 ? days_from_civil(y - 1, 12, 1) : days_from_civil(y, m - 1, 1);
    }
    *from = start * DAY_MS - tz;
    *to = end * DAY_MS - tz;
    *prev_from = prev * DAY_MS - tz;
}

int oc_report_parse_date(const char *s, int tz_min, int64_t *ms)
{
    int y, m, d, n = 0;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        y < 1970 || y > 2099 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int64_t days = days_from_civil(y, m, d), yy;
    int mm, dd;
    civil_from_days(days, &yy, &mm, &dd);
    if (mm != m || dd != d) /* 2026-02-30 */
        return -1;
    *ms = days * DAY_MS - (int64_t)tz_min * 60000;
    return 0;
}

/* Counts over [from, to) grouped by up to two dimensions (tallies, or
 * violations of a review status). */
static cJSON *counts(struct oc_store *s, int64_t from, int64_t to, int tz, const char *status,
                     enum oc_store_dim a, int b)
{
    struct oc_store_counts_q q = {.f = {.from = from, .to = to, .status = status},
                                  .tz_offset_min = tz};
    q.group[q.n_group++] = a;
    if (b >= 0)
        q.group[q.n_group++] = (enum oc_store_dim)b;
    return s->ops->counts(s, &q);
}

static const char *key_of(const cJSON *row, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(row, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double sum_where(const cJSON *rows, const char *k, const char *val)
{
    double n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
    {
        if (!k || strcmp(key_of(r, k), val) == 0)
            n += cJSON_GetObjectItem(r, "count")->valuedouble;
    }
    return n;
}

static void add_change(cJSON *o, double now, double before)
{
    cJSON_AddNumberToObject(o, "prev", before);
    if (before > 0)
        cJSON_AddNumberToObject(o, "change", (now - before) / before);
    else
        cJSON_AddNullToObject(o, "change");
}

/* Counts by type, most first, with the previous period's. */
struct ranked {
    cJSON *o;
    double n;
    size_t i; /* input order breaks ties: the sort is stable */
};

static int ranked_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The period's types by count, largest first, with the change. */
static cJSON *types_part(const cJSON *cur, const cJSON *prev)
{
    cJSON *arr = cJSON_CreateArray();
    size_t cap = (size_t)cJSON_GetArraySize(cur), k = 0;
    struct ranked *v = calloc(cap ? cap : 1, sizeof *v);
    if (!v)
        return arr;
    const cJSON *r;
    cJSON_ArrayForEach(r, cur)
    {
        if (k == cap)
            break;
        cJSON *o = cJSON_CreateObject();
        const char *t = key_of(r, "type");
        double n = cJSON_GetObjectItem(r, "count")->valuedouble;
        cJSON_AddStringToObject(o, "type", t);
        cJSON_AddNumberToObject(o, "count", n);
        add_change(o, n, sum_where(prev, "type", t));
        v[k] = (struct ranked){o, n, k};
        k++;
    }
    qsort(v, k, sizeof *v, ranked_desc);
    for (size_t i = 0; i < k; i++)
        cJSON_AddItemToArray(arr, v[i].o);
    free(v);
    return arr;
}

static int by_count_desc(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    double d =
        cJSON_GetObjectItem(y, "count")->valuedouble - cJSON_GetObjectItem(x, "count")->valuedouble;
    if (d != 0)
        return d > 0 ? 1 : -1;
    return strcmp(cJSON_GetObjectItem(x, "name")->valuestring,
                  cJSON_GetObjectItem(y, "name")->valuestring);
}

/* Units (or roads) ranked by count: their counts by type, the change,
 * the confirmed violations and their share of the period's records. */
static cJSON *ranking_part(const cJSON *cur_by_type, const cJSON *prev, const cJSON *confirmed,
                           const cJSON *records, const char *k)
{
    cJSON *tmp = cJSON_CreateObject(); /* name -> entry */
    const cJSON *r;
    cJSON_ArrayForEach(r, cur_by_type)
    {
        const char *name = key_of(r, k);
        cJSON *e = cJSON_GetObjectItem(tmp, name);
        if (!e) {
            e = cJSON_AddObjectToObject(tmp, name);
            cJSON_AddStringToObject(e, "name", name);
            cJSON_AddNumberToObject(e, "count", 0);
            cJSON_AddObjectToObject(e, "by_type");
        }
        double n = cJSON_GetObjectItem(r, "count")->valuedouble;
        cJSON *c = cJSON_GetObjectItem(e, "count");
        cJSON_SetNumberValue(c, c->valuedouble + n);
        cJSON_AddNumberToObject(cJSON_GetObjectItem(e, "by_type"), key_of(r, "type"), n);
    }
    size_t n = (size_t)cJSON_GetArraySize(tmp), i = 0;
    cJSON **v = calloc(n + 1, sizeof *v);
    for (cJSON *e = tmp->child; e && v; e = e->next)
        v[i++] = e;
    if (v)
        qsort(v, n, sizeof *v, by_count_desc);
    cJSON *arr = cJSON_CreateArray();
    for (i = 0; v && i < n; i++) {
        cJSON *e = cJSON_Duplicate(v[i], 1);
        const char *name = cJSON_GetObjectItem(e, "name")->valuestring;
        double count = cJSON_GetObjectItem(e, "count")->valuedouble;
        double conf = sum_where(confirmed, k, name), recs = sum_where(records, k, name);
        cJSON_AddNumberToObject(e, "rank", (double)(i + 1));
        add_change(e, count, sum_where(prev, k, name));
        cJSON_AddNumberToObject(e, "records", recs);
        cJSON_AddNumberToObject(e, "confirmed", conf);
        if (recs > 0)
            cJSON_AddNumberToObject(e, "confirmed_share", conf / recs);
        else
            cJSON_AddNullToObject(e, "confirmed_share");
        cJSON_AddItemToArray(arr, e);
    }
    free(v);
    cJSON_Delete(tmp);
    return arr;
}

/* The cameras with the most violations, with their rejection rate from
 * groups (the records per place, camera and review status). */
static cJSON *cameras_part(const cJSON *cams, const cJSON *groups)
{
    size_t n = (size_t)cJSON_GetArraySize(cams), i = 0;
    const cJSON **v = calloc(n + 1, sizeof *v);
    const cJSON *r;
    cJSON_ArrayForEach(r, cams)
    {
        if (v)
            v[i++] = r;
    }
    for (size_t a = 1; v && a < n; a++) /* insertion sort, most first: n is small */
        for (size_t b = a; b > 0 && cJSON_GetObjectItem(v[b], "count")->valuedouble >
                                        cJSON_GetObjectItem(v[b - 1], "count")->valuedouble;
             b--) {
            const cJSON *t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    cJSON *arr = cJSON_CreateArray();
    for (i = 0; v && i < n && i < TOP_CAMERAS; i++) {
        cJSON *e = cJSON_Duplicate(v[i], 1);
        double c = 0, rj = 0;
        const cJSON *row;
        cJSON_ArrayForEach(row, groups)
        {
            if (strcmp(key_of(row, "camera"), key_of(e, "camera")) == 0) {
                const char *st = key_of(row, "status");
                double k = cJSON_GetObjectItem(row, "count")->valuedouble;
                c += strcmp(st, "confirmed") == 0 ? k : 0;
                rj += strcmp(st, "rejected") == 0 ? k : 0;
            }
        }
        if (c + rj > 0)
            cJSON_AddNumberToObject(e, "rejection_rate", rj / (c + rj));
        else
            cJSON_AddNullToObject(e, "rejection_rate");
        cJSON_AddItemToArray(arr, e);
    }
    free(v);
    return arr;
}

size_t oc_report_plate_types(const struct oc_codes *codes, const char **types, size_t max)
{
    size_t nt = 0;
    for (size_t i = 0; codes && i < oc_codes_count(codes) && nt < max; i++) {
        const struct oc_code_entry *e = oc_codes_at(codes, i);
        int seen = 0;
        for (size_t k = 0; k < nt; k++)
            seen |= strcmp(types[k], e->type) == 0;
        if (e->code && !seen)
            types[nt++] = e->type;
    }
    return nt;
}

/* Repeat plates among the enforcement types: those with an offence code. */
static cJSON *plates_part(struct oc_store *s, const struct oc_codes *codes, int64_t from,
                          int64_t to)
{
    const char *types[12];
    size_t nt = oc_report_plate_types(codes, types, 12);
    cJSON *p = s->ops->plates(s, from, to, types, nt, TOP_PLATES);
    cJSON *arr = p ? cJSON_DetachItemFromObject(p, "plates") : NULL;
    cJSON_Delete(p);
    return arr;
}

cJSON *oc_report_make(struct oc_store *s, const struct oc_codes *codes, enum oc_report_period p,
                      enum oc_report_by by, int64_t day_ms, int tz)
{
    int64_t from, to, prev_from;
    oc_report_bounds(p, day_ms, tz, &from, &to, &prev_from);
    enum oc_store_dim dim = by == OC_REPORT_UNIT ? OC_DIM_UNIT : OC_DIM_ROAD;
    const char *k = by == OC_REPORT_UNIT ? "unit" : "road";
    cJSON *t_cur = counts(s, from, to, tz, NULL, OC_DIM_TYPE, -1);
    cJSON *t_prev = counts(s, prev_from, from, tz, NULL, OC_DIM_TYPE, -1);
    cJSON *u_cur = counts(s, from, to, tz, NULL, dim, OC_DIM_TYPE);
    cJSON *u_prev = counts(s, prev_from, from, tz, NULL, dim, -1);
    /* the records of each unit (or road) and camera by review state, in
     * one pass over the status counts: the confirmed and all records per
     * unit, the cameras' rejection rates */
    cJSON *groups = s->ops->review_groups(s, from, to, dim);
    cJSON *u_conf = NULL, *u_all = NULL;
    cJSON *cams = counts(s, from, to, tz, NULL, OC_DIM_CAMERA, OC_DIM_BOX);
    cJSON *hours = counts(s, from, to, tz, NULL, OC_DIM_HOUR_OF_DAY, -1);
    cJSON *out = NULL;
    if (t_cur && t_prev && u_cur && u_prev && groups && cams && hours) {
        u_conf = cJSON_CreateObject();
        u_all = cJSON_CreateObject();
        cJSON *conf_rows = cJSON_AddArrayToObject(u_conf, "rows");
        cJSON *all_rows = cJSON_AddArrayToObject(u_all, "rows");
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItem(groups, "rows"))
        {
            const char *st = key_of(r, "status");
            int confirmed = strcmp(st, "confirmed") == 0;
            if (!confirmed && strcmp(st, "pending") != 0 && strcmp(st, "rejected") != 0)
                continue;
            cJSON *row = cJSON_CreateObject();
            cJSON_AddItemToObject(row, k, cJSON_Duplicate(cJSON_GetObjectItem(r, k), 1));
            cJSON_AddNumberToObject(row, "count", cJSON_GetObjectItem(r, "count")->valuedouble);
            if (confirmed)
                cJSON_AddItemToArray(conf_rows, cJSON_Duplicate(row, 1));
            cJSON_AddItemToArray(all_rows, row);
        }
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "period", p == OC_REPORT_WEEK ? "week" : "month");
        cJSON_AddStringToObject(out, "by", k);
        cJSON_AddNumberToObject(out, "from", (double)from);
        cJSON_AddNumberToObject(out, "to", (double)to);
        cJSON_AddNumberToObject(out, "prev_from", (double)prev_from);
        cJSON_AddNumberToObject(out, "tz_offset_min", tz);
        cJSON *tot = cJSON_AddObjectToObject(out, "total");
        cJSON_AddNumberToObject(tot, "count",
                                sum_where(cJSON_GetObjectItem(t_cur, "rows"), NULL, NULL));
        add_change(tot, sum_where(cJSON_GetObjectItem(t_cur, "rows"), NULL, NULL),
                   sum_where(cJSON_GetObjectItem(t_prev, "rows"), NULL, NULL));
        cJSON_AddNumberToObject(tot, "confirmed",
                                sum_where(cJSON_GetObjectItem(u_conf, "rows"), NULL, NULL));
        cJSON_AddNumberToObject(tot, "records",
                                sum_where(cJSON_GetObjectItem(u_all, "rows"), NULL, NULL));
        cJSON_AddItemToObject(
            out, "types",
            types_part(cJSON_GetObjectItem(t_cur, "rows"), cJSON_GetObjectItem(t_prev, "rows")));
        cJSON_AddItemToObject(out, "ranking",
                              ranking_part(cJSON_GetObjectItem(u_cur, "rows"),
                                           cJSON_GetObjectItem(u_prev, "rows"),
                                           cJSON_GetObjectItem(u_conf, "rows"),
                                           cJSON_GetObjectItem(u_all, "rows"), k));
        cJSON_AddItemToObject(
            out, "cameras",
            cameras_part(cJSON_GetObjectItem(cams, "rows"), cJSON_GetObjectItem(groups, "rows")));
        cJSON_AddItemToObject(out, "hours", cJSON_DetachItemFromObject(hours, "rows"));
        cJSON *pl = plates_part(s, codes, from, to);
        cJSON_AddItemToObject(out, "plates", pl ? pl : cJSON_CreateArray());
    }
    cJSON_Delete(t_cur);
    cJSON_Delete(t_prev);
    cJSON_Delete(u_cur);
    cJSON_Delete(u_prev);
    cJSON_Delete(u_conf);
    cJSON_Delete(u_all);
    cJSON_Delete(groups);
    cJSON_Delete(cams);
    cJSON_Delete(hours);
    return out;
}

/* Appends text to a growing buffer; 0 on failure. */
static int put(char **buf, size_t *len, size_t *cap, const char *text)
{
    size_t n = strlen(text);
    if (*len + n + 1 > *cap) {
        size_t c = (*len + n + 1) * 2;
        char *b = realloc(*buf, c);
        if (!b)
            return 0;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, text, n + 1);
    *len += n;
    return 1;
}

/* A quoted CSV cell; a formula-like text gets a leading '. */
static int cell(char **buf, size_t *len, size_t *cap, const char *v, const char *sep)
{
    char tmp[1200];
    size_t o = 0;
    tmp[o++] = '"';
    if (v[0] && strchr("=+-@\t\r", v[0]))
        tmp[o++] = '\'';
    for (const char *p = v; *p && o < sizeof tmp - 4; p++) {
        if (*p == '"')
            tmp[o++] = '"';
        tmp[o++] = *p;
    }
    tmp[o++] = '"';
    tmp[o] = '\0';
    return put(buf, len, cap, tmp) && put(buf, len, cap, sep);
}

char *oc_report_csv(const cJSON *report)
{
    size_t len = 0, cap = 1024;
    char *buf = malloc(cap), num[64];
    if (!buf)
        return NULL;
    buf[0] = '\0';
    const char *k = cJSON_GetObjectItem(report, "by")->valuestring;
    int ok = put(&buf, &len, &cap, "\xef\xbb\xbfrank,") && put(&buf, &len, &cap, k) &&
             put(&buf, &len, &cap, ",count,prev,change,records,confirmed,confirmed_share");
    const cJSON *types = cJSON_GetObjectItem(report, "types"), *t, *e;
    cJSON_ArrayForEach(t, types)
    {
        ok = ok && put(&buf, &len, &cap, ",") &&
             put(&buf, &len, &cap, cJSON_GetObjectItem(t, "type")->valuestring);
    }
    ok = ok && put(&buf, &len, &cap, "\n");
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(report, "ranking"))
    {
        static const char *const cols[] = {"count",   "prev",      "change",
                                           "records", "confirmed", "confirmed_share"};
        snprintf(num, sizeof num, "%d,", cJSON_GetObjectItem(e, "rank")->valueint);
        ok = ok && put(&buf, &len, &cap, num) &&
             cell(&buf, &len, &cap, cJSON_GetObjectItem(e, "name")->valuestring, "");
        for (int i = 0; i < 6; i++) {
            const cJSON *v = cJSON_GetObjectItem(e, cols[i]);
            if (cJSON_IsNumber(v))
                snprintf(num, sizeof num, ",%.10g", v->valuedouble);
            else
                snprintf(num, sizeof num, ",");
            ok = ok && put(&buf, &len, &cap, num);
        }
        cJSON_ArrayForEach(t, types)
        {
            const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "by_type"),
                                                 cJSON_GetObjectItem(t, "type")->valuestring);
            snprintf(num, sizeof num, ",%.0f", v ? v->valuedouble : 0.0);
            ok = ok && put(&buf, &len, &cap, num);
        }
        ok = ok && put(&buf, &len, &cap, "\n");
    }
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}
