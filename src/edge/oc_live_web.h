/* The live view's page, embedded in ordercamd at build time from
 * src/edge/live/ (cmake/embed.cmake; no CDN, works with no internet). */
#ifndef OC_LIVE_WEB_H
#define OC_LIVE_WEB_H

#include <stddef.h>

struct oc_web_asset {
    const char *data;
    size_t len;
    const char *type;
};

extern const struct oc_web_asset oc_live_web_html, oc_live_web_js, oc_live_web_css;

#endif
