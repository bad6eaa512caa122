/* libFuzzer target: the config loader on arbitrary text. */
#include <stddef.h>
#include <stdint.h>

#include "ordercam/oc_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct oc_config *cfg = oc_config_parse((const char *)data, size, "fuzz", err, sizeof err);
    oc_config_free(cfg);
    return 0;
}
