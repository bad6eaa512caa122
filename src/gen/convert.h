/* Rendering a native event log in a foreign input format (docs/inputs.md). */
#ifndef OC_GEN_CONVERT_H
#define OC_GEN_CONVERT_H

#include <stdio.h>

#include "ordercam/oc_adapt.h"
#include "ordercam/oc_config.h"

/* Reads the native log at path in (plain or gzip) and writes it to out with
 * every detections message rendered in fmt (deepstream, deepstream-minimal,
 * onvif, or frigate: events on change, as Frigate publishes, an object's
 * "end" 2 s after it was last seen); cfg (may be NULL: 1920x1080 cameras, sources = ids) gives
 * each camera's size and source name. ids (may be NULL) gets one line
 * "CAMERA NATIVE_ID ONVIF_OBJECTID" per track for ONVIF's integer ids.
 * Returns 0, -1 on a read or write error. */
int gen_convert(const char *in, FILE *out, enum oc_format fmt, const struct oc_config *cfg,
                FILE *ids);

#endif
