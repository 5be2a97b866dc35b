/* Small helpers more than one module needs: file names and folders,
 * alignment of buffer offsets, edit distance. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/core.h"

const char *nn_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

int nn_make_dirs(const char *path, int parent_only, nn_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return nn_fail(err, NN_E_IO, "%.64s...: folder name too long", path);
    char *slash = strrchr(buf, '/');
    if (parent_only && (!slash || slash == buf))
        return NN_OK; /* the current folder or / */
    if (parent_only)
        *slash = '\0';
    /* each prefix ending before a '/', then the whole */
    for (char *p = buf + (buf[0] == '/');; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return nn_fail(err, NN_E_IO, "%s: cannot create folder: %s", buf, strerror(errno));
        *p = c;
        if (!c)
            return NN_OK;
    }
}

size_t nn_round16(size_t n) { return (n + 15) / 16 * 16; }

int nn_edit_distance_case(const char *a, const char *b, int ignore_case)
{
    const size_t na = strlen(a), nb = strlen(b);
    int *row = malloc((nb + 1) * sizeof *row); /* one row of the DP table */
    if (!row)
        return -1;
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            const int up = row[j];
            const unsigned char x = (unsigned char)a[i - 1], y = (unsigned char)b[j - 1];
            const int differ = ignore_case ? tolower(x) != tolower(y) : x != y;
            int best = diag + differ;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    const int d = row[nb];
    free(row);
    return d;
}

int nn_edit_distance(const char *a, const char *b) { return nn_edit_distance_case(a, b, 0); }

int nn_read_file(const char *path, size_t max_bytes, const char *what, uint8_t **buf, size_t *n,
                 nn_error *err)
{
    struct stat st;
    *buf = NULL;
    *n = 0;
    if (stat(path, &st) != 0)
        return nn_fail(err, NN_E_IO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return nn_fail(err, NN_E_IO, "%s: not a regular file", path);
    if (st.st_size == 0)
        return nn_fail(err, NN_E_FORMAT, "%s: empty file, not %s", path, what);
    if ((unsigned long long)st.st_size > max_bytes)
        return nn_fail(err, NN_E_FORMAT, "%s: %lld bytes is too large for %s", path,
                       (long long)st.st_size, what);
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_fail(err, NN_E_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t *b = nn_malloc((size_t)st.st_size, err);
    int rc = b ? NN_OK : NN_E_NOMEM;
    if (!rc && fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        rc = nn_fail(err, NN_E_IO, "%s: read error: %s", path,
                     ferror(f) ? strerror(errno) : "the file got shorter while being read");
    fclose(f);
    if (rc) {
        free(b);
        return rc;
    }
    *buf = b;
    *n = (size_t)st.st_size;
    return NN_OK;
}
