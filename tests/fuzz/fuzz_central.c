/* libFuzzer target: central's request-body path without sockets. A body
 * goes through oc_json_parse as central's parse_body does; each record of
 * a violations batch through oc_record_validate for the body's box, and
 * every record that passes must survive what central does with it: its
 * re-serialised text parses again under the same policy, validates again
 * and equals the object that was checked (what is stored is what was
 * validated). Ids go through oc_record_id_parse, whose result must
 * re-format to the same text. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordercam/oc_json.h"
#include "ordercam/oc_record.h"

static void check_id(const char *id)
{
    struct oc_record_id rid;
    if (oc_record_id_parse(id, &rid) != 0)
        return;
    char again[200];
    snprintf(again, sizeof again, "%s:%s:%" PRIu64, rid.box, rid.camera, rid.seq);
    if (strcmp(again, id) != 0)
        abort(); /* one id, one spelling */
}

static void check_record(const cJSON *r, const char *box)
{
    char err[200];
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
    if (cJSON_IsString(id))
        check_id(id->valuestring);
    if (!oc_record_validate(r, box, err, sizeof err)) {
        if (!err[0] || strlen(err) >= sizeof err)
            abort(); /* every refusal says why */
        return;
    }
    char *text = cJSON_PrintUnformatted(r);
    if (!text)
        return;
    cJSON *back = NULL;
    if (oc_json_parse(text, strlen(text), SIZE_MAX, OC_JSON_MAX_DEPTH, &back, NULL) != OC_JSON_OK ||
        !oc_record_validate(back, box, err, sizeof err) || !cJSON_Compare(r, back, 1))
        abort();
    cJSON_Delete(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = NULL;
    if (oc_json_parse((const char *)data, size, 1 << 20, OC_JSON_MAX_DEPTH, &j, NULL) != OC_JSON_OK)
        return 0;
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(j, "box");
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(j, "violations");
    const char *b = cJSON_IsString(box) ? box->valuestring : "edge-1";
    if (cJSON_IsArray(recs)) {
        for (const cJSON *r = recs->child; r; r = r->next)
            check_record(r, b);
    } else {
        check_record(j, b); /* a bare record */
    }
    cJSON_Delete(j);
    return 0;
}
