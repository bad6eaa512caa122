/* ordercam-replay --publish: sends an event log's messages to a broker at
 * the recorded pace times speed (0: as fast as possible). */
#ifndef OC_PUBLISH_H
#define OC_PUBLISH_H

#include <stdio.h>

struct oc_publish_opts {
    const char *host;
    int port;
    double speed;
    int qos;
    const char *cafile; /* TLS to the broker when set */
    const char *prefix; /* ordercam's own topics; a JSON string payload on any other topic is
                         * a foreign document kept as text (ONVIF XML): sent as its text */
};

/* Returns 0, or 1 with a message on err when the log or broker fails. */
int oc_publish_log(const char *logpath, const struct oc_publish_opts *o, FILE *err);

#endif
