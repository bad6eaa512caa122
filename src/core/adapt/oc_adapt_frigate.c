/* Frigate NVR (docs/inputs.md). Placeholder until the Frigate adapter
 * lands: a frigate camera's messages are counted as drop_bad_topic. */
#include "oc_adapt_int.h"

#include <stdlib.h>

static void *fr_create(const struct oc_config *cfg)
{
    (void)cfg;
    return malloc(1);
}

static int fr_feed(void *st, const struct oc_adapt_io *io, const struct oc_adapt_in *in)
{
    (void)st;
    int one = in->n_cams == 1 ? in->cams[0] : -1;
    oc_adapt__drop(io, one, OC_C_DROP_BAD_TOPIC);
    return one;
}

const struct oc_adapt_format oc_adapt_fmt_frigate = {
    .name = "frigate", .json = true, .create = fr_create, .feed = fr_feed, .destroy = free};
