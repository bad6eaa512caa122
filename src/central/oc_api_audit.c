/* The audit log: writing a row for an action, reading and exporting it. */
#include "oc_api_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const char *oc_api_who_name(enum who who)
{
    static const char *const n[] = {"none", "box", "viewer", "reviewer", "admin"};
    return n[who];
}

/* One audit row: who (the user, or "token" for a viewer token), the
 * action, its target and detail, the client's address. A failed store
 * write is logged; the action itself has happened and is not undone. */
void oc_api_audit(struct oc_api *api, struct MHD_Connection *c, enum who who,
                  const struct oc_user *u, const char *action, const char *target,
                  const char *detail)
{
    unsigned char a[16];
    char addr[INET6_ADDRSTRLEN] = "";
    oc_api_client_addr(c, a);
    static const unsigned char v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, v4, 12) == 0)
        inet_ntop(AF_INET, a + 12, addr, sizeof addr);
    else
        inet_ntop(AF_INET6, a, addr, sizeof addr);
    struct oc_audit_in row = {.ts = oc_api_now_ms(),
                              .actor = u && u->name[0] ? u->name : "token",
                              .role = oc_api_who_name(who),
                              .action = action,
                              .target = target,
                              .detail = detail,
                              .addr = addr};
    if (api->store->ops->audit(api->store, &row) != OC_OK)
        fprintf(stderr, "ordercam-central: audit row not written: %s %s\n", row.actor, action);
}

/* The audit log, newest first: from, to (ms), limit 1..1000, before (the
 * previous page's "next"). Reading it is itself audited. */
enum MHD_Result oc_api_get_audit(struct oc_api *api, struct MHD_Connection *c, enum who who,
                                 const struct oc_user *u)
{
    long long from = 0, to = 0, before = 0, limit = 100;
    const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    int csv = fmt && strcmp(fmt, "csv") == 0;
    if (!oc_api_parse_int_arg(c, "from", 0, 4102444800000LL, &from) ||
        !oc_api_parse_int_arg(c, "to", 0, 4102444800000LL, &to) ||
        !oc_api_parse_int_arg(c, "before", 0, INT64_MAX, &before) ||
        !oc_api_parse_int_arg(c, "limit", 1, 1000, &limit) ||
        (fmt && !csv && strcmp(fmt, "json") != 0))
        return oc_api_send_error(c, 400,
                                 "from, to (ms), before (seq), limit 1..1000, format json|csv");
    cJSON *out = api->store->ops->audit_read(api->store, from, to, before, (int)limit);
    if (!out)
        return oc_api_send_error(c, 503, "store busy or failing; retry");
    oc_api_audit(api, c, who, u, csv ? "audit_export" : "audit_read", NULL, NULL);
    if (!csv)
        return oc_api_send_json(c, 200, out);
    /* CSV: the same rows, the cursor of the next page in X-Next-Before */
    static const char *const cols[] = {"seq",    "ts",     "actor",  "role",
                                       "action", "target", "detail", "addr"};
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    if (buf) {
        static const char head[] = "\xef\xbb\xbfseq,ts,actor,role,action,target,detail,addr\n";
        memcpy(buf, head, sizeof head - 1);
        len = sizeof head - 1;
    }
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(out, "audit"))
    {
        for (int k = 0; buf && k < 8; k++) {
            const cJSON *v = cJSON_GetObjectItem(row, cols[k]);
            char num[32];
            if (cJSON_IsNumber(v))
                snprintf(num, sizeof num, "%.0f", v->valuedouble);
            oc_api_csv_cell(&buf, &len, &cap,
                            cJSON_IsNumber(v)   ? num
                            : cJSON_IsString(v) ? v->valuestring
                                                : "",
                            k == 7);
        }
    }
    const cJSON *next = cJSON_GetObjectItem(out, "next");
    char cur[32] = "";
    if (cJSON_IsNumber(next))
        snprintf(cur, sizeof cur, "%.0f", next->valuedouble);
    cJSON_Delete(out);
    if (!buf)
        return oc_api_send_error(c, 500, "out of memory");
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/csv; charset=utf-8");
    MHD_add_response_header(r, "Content-Disposition", "attachment; filename=\"audit.csv\"");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Strict-Transport-Security", HSTS);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (cur[0])
        MHD_add_response_header(r, "X-Next-Before", cur);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}
