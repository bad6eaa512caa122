/* ordercamd's log: one line per message on stderr with the syslog level as
 * a "<N>" prefix, which journald turns into the entry's priority. Lines
 * above the configured level are skipped. The struct is owned by main and
 * read-only once the daemon runs; modules borrow a pointer to it. */
#ifndef OC_DLOG_H
#define OC_DLOG_H

/* syslog(3) priorities, by name */
enum oc_log_level {
    OC_LOG_CRIT = 2,    /* data lost */
    OC_LOG_ERR = 3,     /* something failed and needs a person */
    OC_LOG_WARNING = 4, /* degraded, carrying on */
    OC_LOG_NOTICE = 5,  /* state changes worth knowing */
    OC_LOG_INFO = 6,    /* one line per violation and the like */
    OC_LOG_DEBUG = 7
};

struct oc_dlog {
    int max_level; /* lines with a level above this are skipped */
};

__attribute__((format(printf, 3, 4))) void oc_dlog(const struct oc_dlog *l, enum oc_log_level level,
                                                   const char *fmt, ...);

#endif
