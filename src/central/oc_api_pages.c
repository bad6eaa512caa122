/* The dashboard's pages and assets, and who may see each page. */
#include "oc_api_int.h"

#include <string.h>

#include "oc_web.h"

enum MHD_Result oc_api_send_asset(struct MHD_Connection *c, const struct oc_web_asset *a)
{
    return oc_api_send_buf(c, 200, a->type, a->data, a->len, MHD_RESPMEM_PERSISTENT);
}

/* A page that only some roles may see: signed out -> /login, too low a
 * role -> 403 (a page saying so). */
enum MHD_Result oc_api_send_page(struct oc_api *api, struct MHD_Connection *c,
                                 const struct oc_web_asset *a, enum who least)
{
    struct oc_user u;
    enum who who = oc_api_cookie_who(api, c, &u);
    if (who == WHO_NOBODY)
        return oc_api_redirect(c, "/login", NULL);
    if (who < least)
        return oc_api_send_buf(c, 403, oc_web_forbidden_html.type, oc_web_forbidden_html.data,
                               oc_web_forbidden_html.len, MHD_RESPMEM_PERSISTENT);
    return oc_api_send_buf(c, 200, a->type, a->data, a->len, MHD_RESPMEM_PERSISTENT);
}

/* Everything outside /api/: the sign-in, the pages and their assets. */
enum MHD_Result oc_api_page(struct oc_api *api, struct MHD_Connection *c, const char *url, int get,
                            int post, struct req *rq)
{
    if (get && strcmp(url, "/login") == 0)
        return oc_api_send_asset(c, &oc_web_login_html);
    if (post && strcmp(url, "/login") == 0)
        return oc_api_login(api, c, rq);
    if (post && strcmp(url, "/logout") == 0)
        return oc_api_logout(api, c);
    if (get && strcmp(url, "/") == 0)
        return oc_api_send_page(api, c, &oc_web_dashboard_html, WHO_VIEWER);
    if (get && strcmp(url, "/review") == 0)
        return oc_api_send_page(api, c, &oc_web_review_html, WHO_REVIEWER);
    if (get && strcmp(url, "/report") == 0)
        return oc_api_send_page(api, c, &oc_web_report_html, WHO_VIEWER);
    if (get && strcmp(url, "/report.js") == 0)
        return oc_api_send_asset(c, &oc_web_report_js);
    if (get && strcmp(url, "/review.js") == 0)
        return oc_api_send_asset(c, &oc_web_review_js);
    if (get && strcmp(url, "/i18n.js") == 0)
        return oc_api_send_asset(c, &oc_web_i18n_js);
    if (get && strcmp(url, "/app.js") == 0)
        return oc_api_send_asset(c, &oc_web_app_js);
    if (get && strcmp(url, "/app.css") == 0)
        return oc_api_send_asset(c, &oc_web_app_css);
    return oc_api_send_error(c, 404, "not found");
}
