#include "oc_boxkey.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ordercam/oc_io.h"
#include "ordercam/oc_sign.h"

int oc_boxkey_print(const char *spool_dir, const char *box_id, FILE *out, FILE *err)
{
    char path[4096], why[512];
    if (oc_io_mkdir_p(spool_dir) != 0) {
        fprintf(err, "ordercamd: cannot create %s: %s\n", spool_dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s", spool_dir, OC_SIGN_KEY_FILE);
    struct oc_signer *s = oc_signer_open(path, true, why, sizeof why);
    if (!s) {
        fprintf(err, "ordercamd: %s\n", why);
        return 1;
    }
    char pub[OC_SIGN_PUB_B64];
    oc_signer_public(s, pub);
    oc_signer_free(s);
    fprintf(out, "ed25519 %s %s\n", pub, box_id);
    return 0;
}
