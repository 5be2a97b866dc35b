/* Distorted copies of training glyphs: the small changes handwriting shows
 * between writers (slant, rotation, width, pen thickness). Applied to the
 * binary ink before the glyph is made, so a copy goes through the same
 * normalisation as everything else. */
#include <math.h>

#include "data/prep/prep_internal.h"

/* A uniform draw in [-r, r]. */
static double spread(uint64_t *state, double r) { return r * (2 * prep_uniform(state) - 1); }

PIX *prep_augment(const prep_config *cfg, PIX *mask, uint64_t id, uint32_t copy,
                  double *stroke_scale)
{
    uint64_t state = cfg->seed ^ prep_mix(&(uint64_t){ id * 0x9e3779b97f4a7c15ull + copy });
    const double angle = spread(&state, cfg->rotate) * 3.14159265358979323846 / 180;
    const double shear = spread(&state, cfg->shear);
    const double aspect = 1 + spread(&state, cfg->aspect);
    const double jitter = log1p(cfg->stroke_jitter);
    *stroke_scale = exp(spread(&state, jitter));
    /* Distort at the canvas's resolution: a small crop turned at its own
     * size would come out in coarse steps that thinning makes into spurs. */
    const int w0 = pixGetWidth(mask), h0 = pixGetHeight(mask), longer = w0 > h0 ? w0 : h0;
    const double f = (cfg->glyph.size - 2 * cfg->glyph.margin) * cfg->glyph.supersample / longer;
    PIX *sized =
        f > 1 ? nn_mask_scale(mask, (int)lround(w0 * f), (int)lround(h0 * f)) : pixClone(mask);
    if (!sized)
        return NULL;
    /* Room around the ink so rotation and shear do not cut it off. */
    const int w = pixGetWidth(sized), h = pixGetHeight(sized);
    const int pad = (int)ceil(0.5 * (w > h ? w : h)) + 2;
    PIX *padded = pixAddBorder(sized, pad, 0);
    pixDestroy(&sized);
    /* In grey with interpolation, thresholded at half at the end: moving
     * binary pixels would leave ragged edges, and thinning makes every
     * bump of an edge into a spur. */
    PIX *grey = padded ? pixConvert1To8(NULL, padded, 255, 0) : NULL;
    PIX *sheared =
        grey ? pixHShearLI(grey, pixGetHeight(grey) / 2, (float)atan(shear), L_BRING_IN_WHITE)
             : NULL;
    PIX *turned = sheared
                      ? pixRotate(sheared, (float)angle, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0)
                      : NULL;
    PIX *wide = turned ? pixScaleGeneral(turned, (float)aspect, 1.0f, 0.0f, 0) : NULL;
    PIX *out = wide ? pixThresholdToBinary(wide, 128) : NULL;
    pixDestroy(&padded);
    pixDestroy(&grey);
    pixDestroy(&sheared);
    pixDestroy(&turned);
    pixDestroy(&wide);
    return out;
}
