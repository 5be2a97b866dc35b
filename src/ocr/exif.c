/* The EXIF orientation of a JPEG (phones store photos as the sensor saw
 * them and record how to turn them upright), and turning an image upright.
 * Leptonica decodes JPEG pixels but does not look at EXIF. */
#include <leptonica/allheaders.h>
#include <string.h>

#include "nn/ocr.h"

static unsigned rd16(const uint8_t *p, int big)
{
    return big ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t rd32(const uint8_t *p, int big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Orientation tag (0x0112) of IFD0 in a TIFF block t [n]; 1 when absent. */
static int tiff_orientation(const uint8_t *t, size_t n)
{
    if (n < 8)
        return 1;
    int big = t[0] == 'M' && t[1] == 'M';
    if (!big && !(t[0] == 'I' && t[1] == 'I'))
        return 1;
    if (rd16(t + 2, big) != 42)
        return 1;
    uint32_t ifd = rd32(t + 4, big);
    if (ifd > n - 2 || n < 2)
        return 1;
    unsigned count = rd16(t + ifd, big);
    for (unsigned i = 0; i < count; i++) {
        size_t e = (size_t)ifd + 2 + 12 * (size_t)i;
        if (e + 12 > n)
            return 1;
        if (rd16(t + e, big) == 0x0112 && rd16(t + e + 2, big) == 3 /* SHORT */) {
            unsigned o = rd16(t + e + 8, big);
            return o >= 1 && o <= 8 ? (int)o : 1;
        }
    }
    return 1;
}

int nn_exif_orientation(const uint8_t *b, size_t n)
{
    if (n < 4 || b[0] != 0xFF || b[1] != 0xD8)
        return 1; /* not a JPEG */
    size_t p = 2;
    while (p + 4 <= n && b[p] == 0xFF) {
        unsigned marker = b[p + 1];
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            p += 2; /* markers without a length */
            continue;
        }
        if (marker == 0xDA || marker == 0xD9)
            break; /* image data or end: no EXIF before it */
        size_t len = (size_t)b[p + 2] << 8 | b[p + 3];
        if (len < 2 || p + 2 + len > n)
            break;
        const uint8_t *seg = b + p + 4;
        size_t seg_len = len - 2;
        if (marker == 0xE1 && seg_len >= 6 && memcmp(seg, "Exif\0\0", 6) == 0)
            return tiff_orientation(seg + 6, seg_len - 6);
        p += 2 + len;
    }
    return 1;
}

PIX *nn_exif_apply(PIX *pix, int o)
{
    PIX *r = NULL, *t = NULL;
    switch (o) {
    case 2: return pixFlipLR(NULL, pix);
    case 3: return pixRotateOrth(pix, 2);
    case 4: return pixFlipTB(NULL, pix);
    case 5: /* transpose: a quarter turn clockwise, then mirror */
        t = pixRotateOrth(pix, 1);
        r = t ? pixFlipLR(NULL, t) : NULL;
        pixDestroy(&t);
        return r;
    case 6: return pixRotateOrth(pix, 1);
    case 7: /* transverse */
        t = pixRotateOrth(pix, 1);
        r = t ? pixFlipTB(NULL, t) : NULL;
        pixDestroy(&t);
        return r;
    case 8: return pixRotateOrth(pix, 3);
    default: return pixClone(pix);
    }
}
