/* Small file helpers shared by the programs: complete writes, atomic
 * replacement, directory creation. Errors are returned with errno set. */
#ifndef OC_IO_H
#define OC_IO_H

#include <stddef.h>

/* Writes all n bytes (retrying short writes and EINTR). 0 or -1. */
int oc_io_write_all(int fd, const void *buf, size_t n);

/* Replaces path with data atomically: a unique temp file beside it,
 * fsync, rename, then fsync of dir (the folder holding path). 0 or -1. */
int oc_io_write_atomic(const char *dir, const char *path, const void *data, size_t len);

/* The whole of a regular file of at most max bytes, malloc'd (caller
 * frees), its size in *len. NULL with errno set (EFBIG: larger than max). */
unsigned char *oc_io_read_file(const char *path, size_t max, size_t *len);

/* mkdir -p with mode 0755. 0 or -1. */
int oc_io_mkdir_p(const char *dir);

#endif
