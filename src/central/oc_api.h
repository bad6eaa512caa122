/* The HTTPS API and dashboard of ordercam-central (docs/central.md), on
 * libmicrohttpd. oc_api_start starts the server's own thread pool. */
#ifndef OC_API_H
#define OC_API_H

#include "oc_auth.h"
#include "oc_ccfg.h"
#include "oc_store.h"

struct oc_api;

/* Starts serving. cfg, store and auth are borrowed and must outlive the
 * server. NULL with a message in err on failure. */
struct oc_api *oc_api_start(const struct oc_ccfg *cfg, struct oc_store *store, struct oc_auth *auth,
                            char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int oc_api_port(const struct oc_api *api);
/* Stops accepting, finishes the requests in flight, frees. */
void oc_api_stop(struct oc_api *api);

#endif
