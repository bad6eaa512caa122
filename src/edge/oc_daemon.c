/* The scene-sized arrays of ordercamd's state (oc_daemon.h). */
#include "oc_daemon.h"

#include <stdlib.h>

int oc_daemon_arrays_new(struct oc_daemon_arrays *a, const struct oc_config *cfg)
{
    a->next = calloc(cfg->n_cameras + 1, sizeof *a->next);
    a->by_type = calloc(cfg->n_vtypes + 1, sizeof *a->by_type);
    a->aw = calloc(cfg->n_cameras + 1, sizeof *a->aw);
    a->ac = calloc(cfg->n_cameras + 1, sizeof *a->ac);
    return a->next && a->by_type && a->aw && a->ac ? 0 : -1;
}

void oc_daemon_arrays_free(struct oc_daemon_arrays *a)
{
    free(a->next), free(a->by_type), free(a->aw), free(a->ac);
}
