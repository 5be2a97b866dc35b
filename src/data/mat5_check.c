/* Structural check of a MATLAB file before matio reads it; only the v5
 * format (what MATLAB's save writes by default, also with -v6 and -v7, and
 * what scipy.io.savemat writes) gets through.
 *
 * Why: given a file cut short, matio fills the missing part of a compressed
 * variable with whatever memory held and only logs a warning, and it stops
 * inflating once it has the bytes it wants, so zlib's checksum at the end of
 * the stream is never looked at and damaged data can pass as values. v7.3
 * files are HDF5 inside, and HDF5 crashes on damaged files (found by
 * fuzzing), so they are refused with a hint to re-save.
 *
 * A v5 file is a 128-byte header and then top-level data elements, each an
 * 8-byte tag (type, byte count) followed by that many bytes. Walking the tags
 * proves the file ends exactly where its last element does; inflating each
 * compressed element to its end (into a scratch buffer, discarding the
 * output) makes zlib verify its checksum and length. */
#include "data/data_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

#define MAT5_HEADER   128
#define MI_MATRIX     14 /* uncompressed variable, padded to 8 bytes */
#define MI_COMPRESSED 15 /* zlib-compressed variable, not padded */

#define HEAD 512 /* bytes of a variable kept for nn_mat5_check_var */

/* Bytes 124-127: the version, then "IM" (little-endian writer) or "MI"
 * (big-endian). Version 0x0100 is v5, 0x0200 is v7.3; 0 when there is no
 * endian mark (not a v5-style header at all, e.g. v4 or not MATLAB). */
static unsigned header_version(const uint8_t *h, int *big_endian)
{
    *big_endian = h[126] == 'M' && h[127] == 'I';
    if (!*big_endian && !(h[126] == 'I' && h[127] == 'M'))
        return 0;
    return *big_endian ? (unsigned)h[124] << 8 | h[125] : (unsigned)h[125] << 8 | h[124];
}

/* Inflate one compressed element of `bytes` bytes at the current file
 * position, to its end. Its content must be one variable (an 8-byte
 * miMATRIX tag and the bytes that tag announces, checked by
 * nn_mat5_check_var), and the zlib stream must end exactly where the element
 * does. k numbers the element for messages. */
static int check_compressed(FILE *f, const char *path, int k, uint32_t bytes, int big_endian,
                            uint64_t *inflated, nn_error *err)
{
    enum { CHUNK = 1 << 16 };
    uint8_t *in = nn_malloc(2 * CHUNK, err), *out = in + CHUNK; /* [CHUNK] each */
    z_stream z = { 0 };
    if (!in)
        return err ? err->code : NN_E_NOMEM;
    if (inflateInit(&z) != Z_OK) {
        free(in);
        return nn_fail(err, NN_E_NOMEM, "%s: cannot start zlib", path);
    }
    uint64_t left = bytes, produced = 0;
    uint8_t head[8 + HEAD]; /* the inner tag and the start of the variable */
    int zrc = Z_OK, read_failed = 0;
    for (;;) {
        if (z.avail_in == 0 && left > 0) {
            size_t want = left < CHUNK ? (size_t)left : CHUNK;
            if ((read_failed = fread(in, 1, want, f) != want))
                break;
            z.next_in = in;
            z.avail_in = (uInt)want;
            left -= want;
        }
        z.next_out = out;
        z.avail_out = CHUNK;
        zrc = inflate(&z, Z_NO_FLUSH);
        size_t got = CHUNK - z.avail_out;
        if (produced < sizeof head) /* possibly split across calls */
            memcpy(head + produced, out,
                   got < sizeof head - produced ? got : sizeof head - (size_t)produced);
        produced += got;
        if (zrc == Z_STREAM_END || (zrc != Z_OK && zrc != Z_BUF_ERROR))
            break;
        if (zrc == Z_BUF_ERROR && z.avail_in == 0 && left == 0)
            break; /* all input used, stream not finished */
    }
    unsigned long long extra = z.avail_in + left;
    const char *why = read_failed           ? strerror(errno)
                      : zrc == Z_STREAM_END ? NULL
                      : z.msg               ? z.msg
                      : zrc == Z_BUF_ERROR  ? "the zlib stream ends early"
                                            : "zlib error";
    inflateEnd(&z);
    free(in);
    if (read_failed)
        return nn_fail(err, NN_E_IO, "%s: read error in variable %d: %s", path, k + 1, why);
    if (why)
        return nn_fail(err, NN_E_FORMAT, "%s: corrupt: compressed variable %d: %s", path, k + 1,
                       why);
    if (extra)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: corrupt: compressed variable %d has %llu bytes "
                       "after its zlib stream",
                       path, k + 1, extra);
    uint64_t announced = produced >= 8 ? 8 + (uint64_t)nn_data_rd32(head + 4, big_endian) : 0;
    if (produced < 8 || nn_data_rd32(head, big_endian) != MI_MATRIX || produced < announced ||
        produced > announced + 7)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: corrupt: compressed variable %d inflates to "
                       "%llu bytes that do not hold one variable",
                       path, k + 1, (unsigned long long)produced);
    *inflated = produced;
    size_t avail = produced < sizeof head ? (size_t)produced : sizeof head;
    return nn_mat5_check_var(head + 8, avail - 8, announced - 8, big_endian, path, k, err);
}

/* The header of an uncompressed variable of `bytes` bytes at the current
 * file position. */
static int check_plain(FILE *f, const char *path, int k, uint32_t bytes, int big_endian,
                       nn_error *err)
{
    uint8_t head[HEAD];
    size_t want = bytes < sizeof head ? bytes : sizeof head;
    if (fread(head, 1, want, f) != want)
        return nn_fail(err, NN_E_IO, "%s: read error in variable %d: %s", path, k + 1,
                       strerror(errno));
    return nn_mat5_check_var(head, want, bytes, big_endian, path, k, err);
}

/* Walk the tags from byte 128 to the end of a file of size bytes; *content
 * = the bytes of all variables, once inflated. */
static int walk_elements(FILE *f, const char *path, off_t size, int big_endian, uint64_t *content,
                         nn_error *err)
{
    *content = 0;
    off_t at = MAT5_HEADER;
    for (int k = 0; at < size; k++) { /* k: 0-based element number; messages count from 1 */
        uint8_t tag[8];
        if (size - at < 8)
            return nn_fail(err, NN_E_FORMAT,
                           "%s: %lld stray bytes after the last variable (truncated or corrupt)",
                           path, (long long)(size - at));
        if (fseeko(f, at, SEEK_SET) != 0 || fread(tag, 1, 8, f) != 8)
            return nn_fail(err, NN_E_IO, "%s: read error at byte %lld: %s", path, (long long)at,
                           strerror(errno));
        uint32_t type = nn_data_rd32(tag, big_endian), bytes = nn_data_rd32(tag + 4, big_endian);
        if (type != MI_MATRIX && type != MI_COMPRESSED)
            return nn_fail(err, NN_E_FORMAT,
                           "%s: corrupt: element %d at byte %lld has type %u (expected a "
                           "variable, type 14 or 15)",
                           path, k + 1, (long long)at, type);
        off_t end = at + 8 + (off_t)bytes;
        if (end > size)
            return nn_fail(err, NN_E_FORMAT,
                           "%s: truncated: variable %d at byte %lld announces %u bytes but "
                           "only %lld remain",
                           path, k + 1, (long long)at, bytes, (long long)(size - at - 8));
        uint64_t inflated = bytes;
        int rc = type == MI_COMPRESSED
                     ? check_compressed(f, path, k, bytes, big_endian, &inflated, err)
                     : check_plain(f, path, k, bytes, big_endian, err);
        if (rc)
            return rc;
        *content += inflated;
        if (type == MI_MATRIX && (end - at) % 8 && end + (8 - (end - at) % 8) <= size)
            end += 8 - (end - at) % 8;
        at = end;
    }
    return NN_OK;
}

/* Refuse everything but a v5 header, saying what the file seems to be. */
static int check_header(const uint8_t *h, size_t got, const char *path, int *big_endian,
                        nn_error *err)
{
    int looks_matlab = got >= 6 && memcmp(h, "MATLAB", 6) == 0;
    if (got == 0)
        return nn_fail(err, NN_E_FORMAT, "%s: empty file (expected a MATLAB .mat file)", path);
    if (got < MAT5_HEADER)
        return nn_fail(err, NN_E_FORMAT,
                       looks_matlab
                           ? "%s: truncated: %zu bytes, less than the 128-byte MAT-file header"
                           : "%s: not a MATLAB .mat file (%zu bytes, less than a MAT-file header)",
                       path, got);
    unsigned version = header_version(h, big_endian);
    if (version == 0x0200)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: a MAT v7.3 (HDF5) file, which is not read; "
                       "re-save it as v7 (MATLAB: save(name, ..., '-v7'); Python: "
                       "scipy.io.savemat)",
                       path);
    if (version != 0x0100)
        return nn_fail(err, NN_E_FORMAT, "%s: not a MATLAB .mat file of version 5 to 7 (%s)", path,
                       looks_matlab ? "unknown MAT-file version"
                                    : "no MAT-file header; v4 files are not read");
    return NN_OK;
}

int nn_mat5_check(const char *path, uint64_t *max_values, nn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_fail(err, NN_E_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t h[MAT5_HEADER];
    size_t got = fread(h, 1, sizeof h, f);
    int big_endian = 0, rc;
    off_t size = -1;
    if (ferror(f))
        rc = nn_fail(err, NN_E_IO, "%s: read error: %s", path, strerror(errno));
    else if ((rc = check_header(h, got, path, &big_endian, err)) != NN_OK)
        ;
    else if (fseeko(f, 0, SEEK_END) != 0 || (size = ftello(f)) < 0)
        rc = nn_fail(err, NN_E_IO, "%s: cannot find the file size: %s", path, strerror(errno));
    else
        rc = walk_elements(f, path, size, big_endian, max_values, err);
    fclose(f);
    return rc;
}
