/* The dashboard's files, embedded in the binary at build time from
 * src/central/web/ (no CDN, works with no internet). */
#ifndef OC_WEB_H
#define OC_WEB_H

#include <stddef.h>

struct oc_web_asset {
    const char *data;
    size_t len;
    const char *type;
};

extern const struct oc_web_asset oc_web_dashboard_html, oc_web_login_html, oc_web_app_js,
    oc_web_app_css;
/* the review page, the message catalogue, the page for a role too low */
extern const struct oc_web_asset oc_web_review_html, oc_web_review_js, oc_web_i18n_js,
    oc_web_forbidden_html, oc_web_report_html, oc_web_report_js;

#endif
