/* Periodic reports (通报): a week or a month of a city, per responsible
 * unit or per road, against the period before (docs/central.md,
 * "Reports"). Built from the store's operations only. */
#ifndef OC_REPORT_H
#define OC_REPORT_H

#include <stdint.h>

#include "oc_store.h"
#include "ordercam/oc_codes.h"

enum oc_report_period { OC_REPORT_WEEK, OC_REPORT_MONTH };
enum oc_report_by { OC_REPORT_UNIT, OC_REPORT_ROAD };

/* The period holding day_ms (any time in it), in a city tz_min minutes
 * east of UTC: weeks start on Monday, months on the 1st, at local
 * midnight. [*from, *to) and the period before, [*prev_from, *from). */
void oc_report_bounds(enum oc_report_period p, int64_t day_ms, int tz_min, int64_t *from,
                      int64_t *to, int64_t *prev_from);

/* A local date "YYYY-MM-DD" of a city tz_min east of UTC: its midnight
 * in ms into *ms. 0, or -1 when s is no such date (years 1970..2099). */
int oc_report_parse_date(const char *s, int tz_min, int64_t *ms);

/* The enforcement types (those with an offence code in codes, each once,
 * in the table's order, at most max) into types (borrowed from codes):
 * the types whose repeat plates a report lists. Returns how many. */
size_t oc_report_plate_types(const struct oc_codes *codes, const char **types, size_t max);

/* The report as JSON (a new cJSON the caller frees), or NULL when the
 * store failed. codes (borrowed) names the enforcement types (those with
 * an offence code) whose repeat plates are listed. */
cJSON *oc_report_make(struct oc_store *s, const struct oc_codes *codes, enum oc_report_period p,
                      enum oc_report_by by, int64_t day_ms, int tz_min);

/* The report's ranking as CSV (UTF-8 with BOM; a new string the caller
 * frees), the type columns in the order of the report's "types". */
char *oc_report_csv(const cJSON *report);

#endif
