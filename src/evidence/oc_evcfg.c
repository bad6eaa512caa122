/* The "evidence" section of the config file. */
#include "ordercam/oc_evcfg.h"

#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_cfgread.h"
#include "ordercam/oc_codes.h"

bool oc_evcfg_read(struct oc_cfgread *r, const cJSON *root, struct oc_evidence_cfg *ev)
{
    static const char *const keys[] = {"enabled",      "quality", "ring_s", "ring_max_mb",
                                       "tolerance_ms", "dir",     "font",   "codes",
                                       "public",       "workers", NULL};
    *ev = (struct oc_evidence_cfg){.enabled = true,
                                   .quality = 85,
                                   .ring_s = 20,
                                   .ring_max_mb = 64,
                                   .tolerance_ms = 200,
                                   .workers = 1};
    const cJSON *o;
    if (!oc_cfgread_object(r, root, "evidence", &o))
        return false;
    if (o) {
        size_t o1 = oc_cfgread_push_key(r, "evidence");
        if (!oc_cfgread_keys(r, o, keys) || !oc_cfgread_bool(r, o, "enabled", &ev->enabled) ||
            !oc_cfgread_int(r, o, "quality", 1, 100, &ev->quality) ||
            !oc_cfgread_int(r, o, "ring_s", 10, 3600, &ev->ring_s) ||
            !oc_cfgread_int(r, o, "ring_max_mb", 1, 65536, &ev->ring_max_mb) ||
            !oc_cfgread_int(r, o, "tolerance_ms", 0, 10000, &ev->tolerance_ms) ||
            !oc_cfgread_int(r, o, "workers", 1, OC_EVIDENCE_WORKERS_MAX, &ev->workers) ||
            !oc_cfgread_str(r, o, "dir", false, &ev->dir) ||
            !oc_cfgread_str(r, o, "font", false, &ev->font) ||
            !oc_cfgread_str(r, o, "codes", false, &ev->codes_path) ||
            !oc_cfgread_bool(r, o, "public", &ev->public_))
            return false;
        oc_cfgread_pop(r, o1);
    }
    if (!ev->font && !(ev->font = strdup(OC_EVIDENCE_FONT_DEFAULT)))
        return oc_cfgread_fail(r, "out of memory");
    /* the table is read now so that a bad one is a config error, not a
     * caption that silently falls back to identifiers */
    char err[384];
    if (oc_codes_open(ev->codes_path, &ev->codes, err, sizeof err) != OC_OK)
        return oc_cfgread_fail(r, "evidence.codes: %s", err);
    return true;
}

void oc_evcfg_free(struct oc_evidence_cfg *ev)
{
    free(ev->dir);
    free(ev->font);
    free(ev->codes_path);
    oc_codes_free(ev->codes);
    ev->dir = ev->font = ev->codes_path = NULL;
    ev->codes = NULL;
}
