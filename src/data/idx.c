/* IDX files (MNIST, EMNIST, Fashion-MNIST), read through zlib's gz* calls,
 * which pass plain files through unchanged, so "x.gz" and "x" both work
 * whatever their names say.
 *
 * Layout: a big-endian magic 0x000008NN (0x08 = uint8 elements, NN = number
 * of dimensions), NN big-endian uint32 sizes, then the elements. The file must
 * hold exactly that many bytes: fewer is a truncated download, more means the
 * header does not describe the file. */
#include "data/data_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_IMAGES 0x00000803u /* uint8 [N, H, W] */
#define IDX_LABELS 0x00000801u /* uint8 [N] */

#define GZ_CHUNK     (1u << 30) /* gzread counts are unsigned int */
#define FIRST_BUFFER (1u << 24) /* body buffer start size; grows by doubling */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What a magic number says the file is, for messages. */
static const char *idx_kind(uint32_t magic, char *buf, size_t len)
{
    if (magic == IDX_IMAGES)
        return "an IDX image file";
    if (magic == IDX_LABELS)
        return "an IDX label file";
    if ((magic >> 16) != 0)
        return "not an IDX file";
    snprintf(buf, len,
             "an IDX file of element type 0x%02x with %u dimensions; "
             "only uint8 (0x08) images and labels are read",
             (magic >> 8) & 0xffu, magic & 0xffu);
    return buf;
}

/* Turn a failed gzread into a message: system error or broken compression. */
static int gz_fail(gzFile f, const char *path, nn_error *err)
{
    int zerr = Z_OK;
    const char *msg = gzerror(f, &zerr);
    if (zerr == Z_ERRNO)
        return nn_fail(err, NN_E_IO, "%s: read error: %s", path, strerror(errno));
    size_t plen = strlen(path); /* zlib puts "path: " before its message */
    if (strncmp(msg, path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0)
        msg += plen + 2;
    return nn_fail(err, NN_E_FORMAT, "%s: corrupt gzip data: %s", path, msg);
}

/* Why a read came up short: zlib reports a gzip stream cut off mid-way as
 * Z_BUF_ERROR and otherwise just returns fewer bytes. */
static const char *gz_short_note(gzFile f)
{
    int zerr = Z_OK;
    gzerror(f, &zerr);
    return zerr == Z_BUF_ERROR ? " (the gzip stream is cut short)" : "";
}

/* Read up to len bytes (any size); returns the count, or -1 on error. A count
 * short of len means the data ended (for gzip, also a stream cut short). */
static long long gz_read_full(gzFile f, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done < GZ_CHUNK ? len - done : GZ_CHUNK;
        int r = gzread(f, (char *)buf + done, (unsigned)chunk);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (long long)done;
}

/* Read the magic and the ndims sizes into dims [ndims]. */
static int read_header(gzFile f, const char *path, uint32_t want, unsigned ndims, uint32_t *dims,
                       nn_error *err)
{
    uint8_t h[4 + 4 * 3];
    const size_t need = 4 + 4 * (size_t)ndims;
    char kind[160], found[160];
    long long got = gz_read_full(f, h, need);
    if (got < 0)
        return gz_fail(f, path, err);
    const char *note = gz_short_note(f);
    if (got == 0 && !*note)
        return nn_fail(err, NN_E_FORMAT, "%s: empty file (expected %s)", path,
                       idx_kind(want, kind, sizeof kind));
    if (got < 4)
        return nn_fail(err, NN_E_FORMAT, "%s: truncated header: %lld of %zu bytes%s", path, got,
                       need, note);
    uint32_t magic = be32(h);
    if (magic != want)
        return nn_fail(err, NN_E_FORMAT, "%s: wrong magic 0x%08x (expected 0x%08x, %s); it is %s",
                       path, magic, want, idx_kind(want, kind, sizeof kind),
                       idx_kind(magic, found, sizeof found));
    if ((size_t)got < need)
        return nn_fail(err, NN_E_FORMAT, "%s: truncated header: %lld of %zu bytes%s", path, got,
                       need, note);
    for (unsigned d = 0; d < ndims; d++)
        dims[d] = be32(h + 4 + 4 * d);
    return NN_OK;
}

/* Refuse sizes no real data set has, before any memory is sized from them. */
static int check_dims(const char *path, unsigned ndims, const uint32_t *dims, nn_error *err)
{
    const char *what = ndims == 1 ? "labels" : "images";
    if (dims[0] == 0 || dims[0] > NN_DATA_MAX_SAMPLES)
        return nn_fail(err, NN_E_FORMAT, "%s: header says %u %s (expected 1 to 2^31)", path,
                       dims[0], what);
    for (unsigned d = 1; d < ndims; d++)
        if (dims[d] == 0 || dims[d] > NN_DATA_MAX_SIDE)
            return nn_fail(err, NN_E_FORMAT,
                           "%s: header says images of %u x %u pixels (each side must be 1 to %d)",
                           path, dims[1], dims[2], NN_DATA_MAX_SIDE);
    return NN_OK;
}

/* Grow *buf from *cap to min(2 * *cap, want) bytes. */
static int grow(uint8_t **buf, size_t *cap, size_t want, nn_error *err)
{
    size_t next = *cap > want / 2 ? want : 2 * *cap;
    uint8_t *p = realloc(*buf, next);
    if (!p)
        return nn_fail(err, NN_E_NOMEM, "out of memory growing a buffer to %zu bytes", next);
    *buf = p;
    *cap = next;
    return NN_OK;
}

/* Read exactly want bytes into a new *out. The buffer grows as data arrive
 * instead of being sized from the header, so a header announcing terabytes
 * ends in a "truncated" message, not a giant allocation. shape and what
 * describe the expected content for that message. */
static int read_body(gzFile f, const char *path, size_t want, const char *shape, const char *what,
                     uint8_t **out, nn_error *err)
{
    size_t cap = want < FIRST_BUFFER ? want : FIRST_BUFFER, have = 0;
    uint8_t *buf = nn_malloc(cap, err);
    int rc = buf ? NN_OK : NN_E_NOMEM;
    while (!rc && have < want) {
        if (have == cap && (rc = grow(&buf, &cap, want, err)))
            break;
        long long r = gz_read_full(f, buf + have, cap - have);
        if (r < 0) {
            rc = gz_fail(f, path, err);
            break;
        }
        have += (size_t)r;
        if (have < cap) /* the data ended early */
            break;
    }
    if (!rc && have < want)
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: truncated: header says %s but the file holds %zu bytes of %s%s", path,
                     shape, have, what, gz_short_note(f));
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    return NN_OK;
}

/* Anything after the announced data means the header does not describe the
 * file. content says what was announced, e.g. "5 x 3 x 4 pixels". */
static int check_end(gzFile f, const char *path, const char *content, nn_error *err)
{
    uint8_t tmp[1 << 14];
    unsigned long long extra = 0;
    int r;
    while ((r = gzread(f, tmp, sizeof tmp)) > 0)
        extra += (unsigned long long)r;
    if (r < 0)
        return gz_fail(f, path, err);
    if (extra)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: %llu bytes of trailing data after the %s the header announces", path,
                       extra, content);
    return NN_OK;
}

/* Read one IDX file of ndims dimensions: dims [ndims] and body [prod(dims)]. */
static int idx_read(const char *path, uint32_t magic, unsigned ndims, uint32_t *dims,
                    uint8_t **body, nn_error *err)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return nn_fail(err, errno == ENOMEM ? NN_E_NOMEM : NN_E_IO, "%s: cannot open: %s", path,
                       errno ? strerror(errno) : "out of memory");
    gzbuffer(f, 1u << 18); /* fewer, larger reads than the 8 KiB default */
    char shape[64], content[80];
    const char *what = ndims == 1 ? "labels" : "pixels";
    size_t bytes = 1;
    int rc = read_header(f, path, magic, ndims, dims, err);
    if (!rc)
        rc = check_dims(path, ndims, dims, err);
    if (!rc) {
        for (unsigned d = 0; d < ndims; d++)
            bytes *= dims[d]; /* <= 2^31 * 4096 * 4096 = 2^55: no overflow */
        if (ndims == 1)
            snprintf(shape, sizeof shape, "%u labels", dims[0]);
        else
            snprintf(shape, sizeof shape, "%u x %u x %u", dims[0], dims[1], dims[2]);
        snprintf(content, sizeof content, ndims == 1 ? "%s" : "%s pixels", shape);
        rc = read_body(f, path, bytes, shape, what, body, err);
    }
    if (!rc && (rc = check_end(f, path, content, err))) {
        free(*body);
        *body = NULL;
    }
    gzclose_r(f);
    return rc;
}

/* Fill everything but the pixels from the labels [n]. */
static int set_labels(nn_dataset *d, const uint8_t *labels, nn_error *err)
{
    int max = 0;
    d->labels = nn_malloc(d->n * sizeof(int32_t), err); /* [n] */
    if (!d->labels)
        return err ? err->code : NN_E_NOMEM;
    for (size_t i = 0; i < d->n; i++) {
        d->labels[i] = labels[i];
        max = labels[i] > max ? labels[i] : max;
    }
    d->num_classes = max + 1;
    return nn_data_number_classes(d, err);
}

int nn_idx_load(nn_dataset *out, const char *images_path, const char *labels_path, nn_error *err)
{
    memset(out, 0, sizeof *out);
    if (!images_path || !*images_path)
        return nn_fail(err, NN_E_CONFIG, "no IDX images file given");
    if (!labels_path || !*labels_path)
        return nn_fail(err, NN_E_CONFIG, "%s: an IDX images file needs its labels file",
                       images_path);
    uint32_t idims[3] = { 0 }, ldims[1] = { 0 };
    uint8_t *labels = NULL; /* [n] */
    int rc = idx_read(images_path, IDX_IMAGES, 3, idims, &out->u8, err);
    if (!rc)
        rc = idx_read(labels_path, IDX_LABELS, 1, ldims, &labels, err);
    if (!rc && ldims[0] != idims[0])
        rc = nn_fail(err, NN_E_FORMAT, "%s: labels count %u != images count %u in %s", labels_path,
                     ldims[0], idims[0], images_path);
    if (!rc) {
        out->n = idims[0];
        out->c = 1;
        out->h = (int)idims[1];
        out->w = (int)idims[2];
        out->dim = (size_t)idims[1] * idims[2];
        rc = set_labels(out, labels, err);
    }
    free(labels);
    if (rc)
        nn_dataset_free(out);
    return rc;
}
