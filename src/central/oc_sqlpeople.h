/* The SQL store's part for people (oc_store.h, "people"): users,
 * sessions, the review queue and the audit log, in the same
 * dialect-neutral SQL as oc_sqlstore.c. */
#ifndef OC_SQLPEOPLE_H
#define OC_SQLPEOPLE_H

#include "oc_store.h"

oc_err_t oc_sqlp_user_add(struct oc_store *s, const struct oc_user *u, int64_t now);
oc_err_t oc_sqlp_user_get(struct oc_store *s, const char *name, struct oc_user *u);
oc_err_t oc_sqlp_user_set(struct oc_store *s, const char *name, const char *pwhash, int disabled,
                          int role, const char *locale, int64_t now);
cJSON *oc_sqlp_users(struct oc_store *s);
oc_err_t oc_sqlp_session_put(struct oc_store *s, const char *hash, const char *name,
                             int64_t expires, int64_t now);
oc_err_t oc_sqlp_session_user(struct oc_store *s, const char *hash, int64_t now, struct oc_user *u);
oc_err_t oc_sqlp_session_end(struct oc_store *s, const char *hash);
oc_err_t oc_sqlp_audit(struct oc_store *s, const struct oc_audit_in *a);
cJSON *oc_sqlp_audit_read(struct oc_store *s, int64_t from, int64_t to, int64_t before, int limit);
oc_err_t oc_sqlp_review_next(struct oc_store *s, const char *user, const struct oc_store_filter *f,
                             int64_t now, int64_t lease_ms, oc_store_vrow_fn fn, void *arg);
oc_err_t oc_sqlp_review_decide(struct oc_store *s, const char *id, const char *user,
                               const char *decision, const char *reason, const char *note,
                               int64_t now, enum oc_decide *out);
cJSON *oc_sqlp_review_stats(struct oc_store *s, const struct oc_store_filter *f);
cJSON *oc_sqlp_review_groups(struct oc_store *s, int64_t from, int64_t to, enum oc_store_dim dim);
oc_err_t oc_sqlp_vrows(struct oc_store *s, const struct oc_store_filter *f, int limit,
                       int64_t before_ts, const char *before_id, oc_store_vrow_fn fn, void *arg,
                       int *more);
cJSON *oc_sqlp_plates(struct oc_store *s, int64_t from, int64_t to, const char *const *types,
                      size_t n_types, int limit);
oc_err_t oc_sqlp_plates_setup(struct oc_store *s, const char *const *types, size_t n_types);
oc_err_t oc_sqlp_report_get(struct oc_store *s, const char *key, char **body);
oc_err_t oc_sqlp_report_put(struct oc_store *s, const char *key, const char *body, int64_t now);
oc_err_t oc_sqlp_images_before(struct oc_store *s, int64_t before, int limit, oc_store_image_fn fn,
                               void *arg);
oc_err_t oc_sqlp_image_users(struct oc_store *s, const char *path, const char *id, int64_t *n);
oc_err_t oc_sqlp_image_expire(struct oc_store *s, const char *id);
oc_err_t oc_sqlp_records_delete_before(struct oc_store *s, int64_t before, int limit,
                                       int64_t *deleted);

/* The entries of struct oc_store_ops that this part fills. */
/* Sets the city's day boundary of the review status counts
 * (review_counts); when it is new, counts them again from the records. */
oc_err_t oc_sqlp_review_tz(struct oc_store *s, int tz_offset_min);

#define OC_SQLPEOPLE_OPS                                                                           \
    .user_add = oc_sqlp_user_add, .user_get = oc_sqlp_user_get, .user_set = oc_sqlp_user_set,      \
    .users = oc_sqlp_users, .session_put = oc_sqlp_session_put,                                    \
    .session_user = oc_sqlp_session_user, .session_end = oc_sqlp_session_end,                      \
    .audit = oc_sqlp_audit, .audit_read = oc_sqlp_audit_read, .review_next = oc_sqlp_review_next,  \
    .review_decide = oc_sqlp_review_decide, .review_stats = oc_sqlp_review_stats,                  \
    .review_groups = oc_sqlp_review_groups, .vrows = oc_sqlp_vrows, .plates = oc_sqlp_plates,      \
    .plates_setup = oc_sqlp_plates_setup, .report_get = oc_sqlp_report_get,                        \
    .report_put = oc_sqlp_report_put, .images_before = oc_sqlp_images_before,                      \
    .image_users = oc_sqlp_image_users, .image_expire = oc_sqlp_image_expire,                      \
    .records_delete_before = oc_sqlp_records_delete_before,

#endif
