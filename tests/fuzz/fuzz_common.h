/* Shared by the fuzz targets: readers take file names, so each input is
 * written to a per-process file in /dev/shm (memory, fast) first. */
#ifndef NN_FUZZ_COMMON_H
#define NN_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline const char *fuzz_file(const char *tag, const uint8_t *data, size_t size)
{
    static char path[8][256];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "/dev/shm/nntrain-fuzz-%d-%s", (int)getpid(), tag);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort(); /* the harness itself is broken: stop loudly */
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    return p;
}

#endif
