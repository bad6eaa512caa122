/* The evidence settings: the config file's "evidence" section
 * (docs/config.md), read from the same tree as the scene by everything that
 * makes evidence images (ordercamd, ordercam-replay --evidence,
 * ordercam-gen --frames for the font). Strings are owned by the struct and
 * freed by oc_evcfg_free. */
#ifndef OC_EVCFG_H
#define OC_EVCFG_H

#include <stdbool.h>

#include <cjson/cJSON.h>

struct oc_cfgread;
struct oc_codes;

/* Debian's fonts-wqy-zenhei: Chinese place names and plates in captions */
#define OC_EVIDENCE_FONT_DEFAULT "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

#define OC_EVIDENCE_WORKERS_MAX 8 /* evidence.workers' bound */

struct oc_evidence_cfg {
    bool enabled;
    int quality;
    int ring_s;
    int ring_max_mb;
    int tolerance_ms;
    int workers;            /* ordercamd's evidence worker threads, 1..8 */
    char *dir;              /* NULL: <spool.dir>/evidence */
    char *font;             /* never NULL after a successful read: the default unless configured */
    char *codes_path;       /* "codes": the offence code table; NULL: the built-in zh-CN */
    struct oc_codes *codes; /* loaded from codes_path (or built in) by a successful read */
    bool public_;           /* "public": also make the public variant (docs/evidence.md) */
};

/* Reads root's "evidence" section into *out (defaults where absent).
 * false with r's error written; *out then holds what was read so far and
 * must still be freed. */
bool oc_evcfg_read(struct oc_cfgread *r, const cJSON *root, struct oc_evidence_cfg *out);

void oc_evcfg_free(struct oc_evidence_cfg *ev);

#endif
