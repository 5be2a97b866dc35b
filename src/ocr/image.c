/* Reading a page: any image format Leptonica decodes, turned upright by its
 * EXIF orientation, as 8-bit grey. Files are read into memory first so the
 * format, the size and the EXIF block are checked before decoding. */
#include <leptonica/allheaders.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"
#include "nn/ocr.h"

#define MAX_FILE_BYTES (512ull << 20)
#define MAX_PIXELS     (1ull << 28) /* 268 megapixels: beyond any photo or scan */

/* A PNG ends with its IEND chunk and a JPEG with an end-of-image marker
 * (some writers add a few bytes after it). A file cut short is refused
 * here: the decoders would print their complaints and return part of an
 * image. */
static const char *truncation(int format, const uint8_t *b, size_t n)
{
    static const uint8_t iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82 };
    if (format == IFF_PNG && (n < 12 || memcmp(b + n - 12, iend, 12) != 0))
        return "truncated PNG (no IEND chunk at the end)";
    if (format == IFF_JFIF_JPEG) {
        size_t from = n > 4096 ? n - 4096 : 2;
        for (size_t i = n - 1; i > from; i--)
            if (b[i - 1] == 0xFF && b[i] == 0xD9)
                return NULL;
        return "truncated JPEG (no end-of-image marker)";
    }
    return NULL;
}

/* Any depth, colormap or alpha -> 8-bit grey (alpha blended over white). */
static PIX *to_gray(PIX *pix)
{
    PIX *noalpha = pixGetSpp(pix) == 4 ? pixRemoveAlpha(pix) : pixClone(pix);
    PIX *gray = noalpha ? pixConvertTo8(noalpha, 0) : NULL;
    pixDestroy(&noalpha);
    return gray;
}

int nn_ocr_read_gray(const char *path, PIX **gray8, nn_error *err)
{
    *gray8 = NULL;
    nn_lept_quiet();
    uint8_t *bytes = NULL;
    size_t n = 0;
    int rc = nn_read_file(path, MAX_FILE_BYTES, "an image", &bytes, &n, err);
    if (rc)
        return rc;
    l_int32 format = IFF_UNKNOWN, w = 0, h = 0, bps = 0, spp = 0;
    const char *cut = NULL;
    if (n >= 12)
        findFileFormatBuffer(bytes, &format);
    if (format == IFF_UNKNOWN)
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: not an image file (JPEG, PNG, TIFF, PNM, BMP, GIF or "
                     "WebP expected)",
                     path);
    else if ((cut = truncation(format, bytes, n)))
        rc = nn_fail(err, NN_E_FORMAT, "%s: %s", path, cut);
    else if (pixReadHeaderMem(bytes, n, NULL, &w, &h, &bps, &spp, NULL) != 0)
        rc = nn_fail(err, NN_E_FORMAT, "%s: damaged image header (Leptonica: %s)", path,
                     nn_lept_last_message());
    else if (w < 1 || h < 1 || (unsigned long long)w * (unsigned long long)h > MAX_PIXELS)
        rc = nn_fail(err, NN_E_FORMAT, "%s: image of %d x %d pixels (at most %llu pixels)", path, w,
                     h, MAX_PIXELS);
    PIX *pix = rc ? NULL : pixReadMem(bytes, n);
    if (!rc && !pix)
        rc = nn_fail(err, NN_E_FORMAT, "%s: cannot decode the image (Leptonica: %s)", path,
                     nn_lept_last_message());
    int orientation = !rc && format == IFF_JFIF_JPEG ? nn_exif_orientation(bytes, n) : 1;
    free(bytes);
    PIX *upright = rc ? NULL : nn_exif_apply(pix, orientation);
    pixDestroy(&pix);
    if (!rc && !upright)
        rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory turning the image upright", path);
    if (!rc && !(*gray8 = to_gray(upright)))
        rc = nn_fail(err, NN_E_FORMAT, "%s: cannot convert the image to grey (Leptonica: %s)", path,
                     nn_lept_last_message());
    pixDestroy(&upright);
    return rc;
}
