/* libFuzzer target: the config loader on arbitrary text, the whole file
 * (scene, evidence settings, ordercamd's sections) and the scene alone. */
#include <stddef.h>
#include <stdint.h>

#include "oc_ecfg.h"
#include "ordercam/oc_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct oc_config *cfg = oc_config_parse((const char *)data, size, "fuzz", err, sizeof err);
    oc_config_free(cfg);
    struct oc_ecfg *ecfg = oc_ecfg_parse((const char *)data, size, "fuzz", err, sizeof err);
    oc_ecfg_free(ecfg);
    return 0;
}
