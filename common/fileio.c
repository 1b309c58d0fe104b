/* fileio.c - see fileio.h. */
#include "common/fileio.h"

#include <stdio.h>
#include <stdlib.h>

char *swi_read_file(const char *path, size_t *len_out)
{
        FILE *fp = fopen(path, "rb");
        char *buf = NULL;
        long len;

        if (!fp)
                return NULL;
        if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0)
                goto done;
        buf = malloc((size_t)len + 1);
        if (!buf)
                goto done;
        if (fread(buf, 1, (size_t)len, fp) != (size_t)len) {
                free(buf);
                buf = NULL;
                goto done;
        }
        buf[len] = '\0';
        if (len_out)
                *len_out = (size_t)len;
done:
        fclose(fp);
        return buf;
}
