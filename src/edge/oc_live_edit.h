/* The live view's zone editor, server side (docs/daemon.md "Zone editor"):
 * a camera's section of the config file as written, a proposed section
 * judged by the daemon's own config loader (oc_ecfg) over a copy of the
 * file with that section replaced, and, with the admin token, the file
 * written atomically and SIGHUP raised so that the ordinary reload applies
 * it. Runs on the listener thread; touches no engine state. Every answer is
 * JSON; bodies are malloc'd into resp (the listener frees them). */
#ifndef OC_LIVE_EDIT_H
#define OC_LIVE_EDIT_H

#include "oc_metrics.h"

struct oc_live_edit_in {
    const char *config_path; /* the daemon's file */
    const char *admin_token; /* NULL: apply is refused */
    const char *camera;      /* the camera id in the URL */
    const struct oc_http_req *req;
};

/* GET .../config: 200 with the camera's section, 404 unknown camera. */
int oc_live_edit_section(const struct oc_live_edit_in *in, struct oc_http_resp *resp);
/* POST .../validate with a section: 200 {"ok":true} or 422 {"ok":false,
 * "error": the loader's message, "path": its JSON path in the section}. */
int oc_live_edit_validate(const struct oc_live_edit_in *in, struct oc_http_resp *resp);
/* POST .../apply with a section and X-Admin-Token: as validate, then the
 * file is replaced and the daemon reloads. 403 without the token. */
int oc_live_edit_apply(const struct oc_live_edit_in *in, struct oc_http_resp *resp);

#endif
