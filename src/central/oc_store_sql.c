#include "oc_store_sql.h"

#include <stdio.h>
#include <string.h>

#define HOUR_MS OC_SQL_HOUR_MS
#define DAY_MS OC_SQL_DAY_MS

const char *const oc_sql_grain_table[] = {"tallies", "tallies_hour", "tallies_day",
                                          "tallies_day_road", "tallies_day_hod"};

int64_t oc_sql_floor_to(int64_t t, int64_t unit, int64_t offset)
{
    int64_t x = t + offset;
    int64_t r = ((x % unit) + unit) % unit;
    return x - r - offset;
}

static const char *const dim_names[OC_DIM__COUNT] = {"type", "camera", "box", "road",
                                                     "unit", "hour",   "day", "hour_of_day"};

const char *oc_store_dim_name(enum oc_store_dim d)
{
    return (unsigned)d < OC_DIM__COUNT ? dim_names[d] : "?";
}

int oc_store_dim_parse(const char *name)
{
    for (int i = 0; i < OC_DIM__COUNT; i++)
        if (strcmp(dim_names[i], name) == 0)
            return i;
    return -1;
}

static const char *const role_names[] = {"", "viewer", "reviewer", "admin"};

enum oc_user_role oc_user_role_parse(const char *s)
{
    for (int i = 1; s && i < 4; i++)
        if (strcmp(role_names[i], s) == 0)
            return (enum oc_user_role)i;
    return OC_USER_NONE;
}

const char *oc_user_role_name(enum oc_user_role r)
{
    return (unsigned)r < 4 ? role_names[r] : "";
}

/* The coarsest grain that can answer q exactly: its buckets are not cut by
 * the range, and it has every column q groups or filters by. */
enum oc_sql_grain oc_sql_pick_grain(int city_tz_min, const struct oc_store_counts_q *q)
{
    int64_t tz = (int64_t)q->tz_offset_min * 60000, city = (int64_t)city_tz_min * 60000;
    unsigned dims = 0;
    for (size_t i = 0; i < q->n_group; i++)
        dims |= 1u << q->group[i];
    if (q->f.camera)
        dims |= 1u << OC_DIM_CAMERA;
    if (q->f.box)
        dims |= 1u << OC_DIM_BOX;
    if (q->f.road)
        dims |= 1u << OC_DIM_ROAD;
    if (q->f.unit)
        dims |= 1u << OC_DIM_UNIT;
    /* from 0 is "no lower bound": it cuts no bucket */
    int day_ok = tz == city &&
                 (q->f.from == 0 || oc_sql_floor_to(q->f.from, DAY_MS, city) == q->f.from) &&
                 (!q->f.to || oc_sql_floor_to(q->f.to, DAY_MS, city) == q->f.to);
    unsigned hod_only = (1u << OC_DIM_HOUR_OF_DAY) | (1u << OC_DIM_TYPE) | (1u << OC_DIM_DAY);
    unsigned road_only =
        (1u << OC_DIM_ROAD) | (1u << OC_DIM_UNIT) | (1u << OC_DIM_TYPE) | (1u << OC_DIM_DAY);
    if (day_ok && !(dims & ~hod_only) && (dims & (1u << OC_DIM_HOUR_OF_DAY)))
        return OC_G_DAY_HOD;
    if (day_ok && !(dims & ((1u << OC_DIM_HOUR) | (1u << OC_DIM_HOUR_OF_DAY))))
        return dims & ~road_only ? OC_G_DAY : OC_G_DAY_ROAD;
    int hour_ok = tz % HOUR_MS == 0 &&
                  (q->f.from == 0 || oc_sql_floor_to(q->f.from, HOUR_MS, 0) == q->f.from) &&
                  (!q->f.to || oc_sql_floor_to(q->f.to, HOUR_MS, 0) == q->f.to);
    return hour_ok ? OC_G_HOUR : OC_G_BUCKET;
}

/* The SQL expression of a group dimension at a grain. */
void oc_sql_dim_expr(enum oc_store_dim d, enum oc_sql_grain g, int64_t tz, char *buf, size_t len)
{
    switch (d) {
    case OC_DIM_HOUR:
        snprintf(buf, len, "((bucket+%lld)/%lld*%lld-%lld)", (long long)tz, (long long)HOUR_MS,
                 (long long)HOUR_MS, (long long)tz);
        break;
    case OC_DIM_DAY:
        snprintf(buf, len, "((bucket+%lld)/%lld*%lld-%lld)", (long long)tz, (long long)DAY_MS,
                 (long long)DAY_MS, (long long)tz);
        break;
    case OC_DIM_HOUR_OF_DAY:
        if (g == OC_G_DAY_HOD)
            snprintf(buf, len, "hour_of_day");
        else
            snprintf(buf, len, "(((bucket+%lld)/%lld)%%24)", (long long)tz, (long long)HOUR_MS);
        break;
    case OC_DIM_ROAD:
    case OC_DIM_UNIT:
        /* the road grain stores an unknown place as '' */
        snprintf(buf, len, g == OC_G_DAY_ROAD ? "NULLIF(%s,'')" : "%s", dim_names[d]);
        break;
    default: snprintf(buf, len, "%s", dim_names[d]); break;
    }
}

void oc_sql_filter(char *sql, size_t cap, const struct oc_store_filter *f, const char *ts_col,
                   int *param)
{
    size_t n = strlen(sql);
    n += (size_t)snprintf(sql + n, cap - n, " WHERE %s>=?%d", ts_col, (*param)++);
    if (f->to)
        n += (size_t)snprintf(sql + n, cap - n, " AND %s<?%d", ts_col, (*param)++);
    const char *cols[] = {"type", "camera", "box", "road", "unit", "status"};
    const char *vals[] = {f->type, f->camera, f->box, f->road, f->unit, f->status};
    for (int i = 0; i < 6; i++)
        if (vals[i])
            n += (size_t)snprintf(sql + n, cap - n, " AND %s=?%d", cols[i], (*param)++);
}

size_t oc_sql_filter_values(const struct oc_store_filter *f, const char *vals[6])
{
    const char *all[] = {f->type, f->camera, f->box, f->road, f->unit, f->status};
    size_t n = 0;
    for (int i = 0; i < 6; i++)
        if (all[i])
            vals[n++] = all[i];
    return n;
}

const char *oc_sql_jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
