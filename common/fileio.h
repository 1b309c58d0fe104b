/* fileio.h - reading a whole small file (schemas, the registry id map).
 *
 * Thread safety: reentrant. */
#ifndef SWI_FILEIO_H
#define SWI_FILEIO_H

#include <stddef.h>

/* The whole file at path, NUL-terminated, in a malloc'd buffer the caller
 * frees; its length (without the NUL) in *len_out when len_out is not NULL.
 * NULL when it cannot be opened or read (errno tells why) or on out of
 * memory. */
char *swi_read_file(const char *path, size_t *len_out);

#endif
