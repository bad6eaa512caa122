/* Error codes shared by every ordercam module. 0 is success; "full" and
 * "not found" are their own codes so that callers can decide what to do. */
#ifndef OC_ERR_H
#define OC_ERR_H

typedef enum {
    OC_OK = 0,
    OC_ENOMEM, /* an allocation failed */
    OC_EINVAL, /* bad argument or bad input */
    OC_EFULL,  /* a bounded container reached its limit */
    OC_ENOTFOUND,
    OC_EIO,    /* reading or writing a file failed; errno says more */
    OC_EPARSE, /* input could not be parsed */
    OC_ELIMIT, /* input exceeded a size or depth limit */
    OC_EEXIST  /* the thing was there already (a redelivered message) */
} oc_err_t;

/* Returns a static English description of err; never NULL. */
const char *oc_strerror(oc_err_t err);

#endif
