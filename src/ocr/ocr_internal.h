/* Helpers shared by the files of the ocr module; not part of the API. */
#ifndef NN_OCR_INTERNAL_H
#define NN_OCR_INTERNAL_H

#include <leptonica/allheaders.h>
#include <stdint.h>

#include "nn/ocr.h"

/* Otsu's threshold of a 256-bin histogram: the level t that best separates
 * bins <= t from bins > t (maximum between-class variance). */
int nn_otsu_level(const double hist[256]);

/* Remove the 8-connected pieces of mask (1 bpp) whose pixel count is under
 * min_fraction of the largest piece's. Returns a new image (NULL when out of
 * memory); *largest receives the largest count (may be NULL). */
PIX *nn_mask_drop_specks(PIX *mask, double min_fraction, int *largest);

/* Binarise a grey page: *ink (1 bpp, ink = 1) and the contrast threshold. */
int nn_page_binarize(PIX *gray8, PIX **ink, int *threshold, nn_error *err);

/* Stroke width of the ink in mask: 2 * area / boundary pixels (a stroke of
 * width w and length L has about w L pixels and 2 L on its boundary). */
double nn_mask_stroke_width(PIX *mask);

/* A filled disk of the given diameter as a structuring element. */
SEL *nn_disk_sel(int diameter);

#endif
