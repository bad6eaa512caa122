/* The SQL store's vocabulary (oc_sqlstore.c): the tally grains and which
 * one answers a counts query, group expressions, filter clauses.
 * Dialect-neutral SQL with numbered placeholders "?n". */
#ifndef OC_STORE_SQL_H
#define OC_STORE_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "oc_store.h"

#define OC_SQL_HOUR_MS 3600000LL
#define OC_SQL_DAY_MS 86400000LL

/* Tallies are kept at several grains, each keyed by bucket first so that a
 * time range is one sequential read:
 *   tallies          the box's bucket, per camera and type (the truth)
 *   tallies_hour     UTC hours, per camera and type
 *   tallies_day      local days, per camera and type
 *   tallies_day_road local days, per road, unit and type (city-wide views)
 *   tallies_day_hod  local days and hour of day, per type (the heat map)
 * Each upsert moves every coarser grain by the difference it made. */
enum oc_sql_grain { OC_G_BUCKET, OC_G_HOUR, OC_G_DAY, OC_G_DAY_ROAD, OC_G_DAY_HOD };

extern const char *const oc_sql_grain_table[];

/* t rounded down to a multiple of unit, counted from -offset. */
int64_t oc_sql_floor_to(int64_t t, int64_t unit, int64_t offset);

/* The coarsest grain that can answer q exactly, for a store whose day
 * grain starts at local midnight of city_tz_min. */
enum oc_sql_grain oc_sql_pick_grain(int city_tz_min, const struct oc_store_counts_q *q);

/* The SQL expression of a group dimension at a grain. */
void oc_sql_dim_expr(enum oc_store_dim d, enum oc_sql_grain g, int64_t tz_ms, char *buf,
                     size_t len);

/* Appends " WHERE ts_col>=?n [AND ts_col<?n] [AND type=?n ... AND status=?n]" for the
 * set filters of f, in the order oc_sql_filter_values lists them, the
 * placeholders numbered from *param (advanced). */
void oc_sql_filter(char *sql, size_t cap, const struct oc_store_filter *f, const char *ts_col,
                   int *param);

/* The filter's text values in placeholder order after from (and to). */
size_t oc_sql_filter_values(const struct oc_store_filter *f, const char *vals[6]);

/* A record's string field, or NULL (borrowed from o). */
const char *oc_sql_jstr(const cJSON *o, const char *k);

#endif
