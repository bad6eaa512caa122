#include "oc_dlog.h"

#include <stdarg.h>
#include <stdio.h>

void oc_dlog(const struct oc_dlog *l, enum oc_log_level level, const char *fmt, ...)
{
    if ((int)level > l->max_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "<%d>ordercamd: %s\n", (int)level, msg);
}
