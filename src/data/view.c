/* Input views (see nn_view in include/nn/dataset.h): crops, flips and
 * per-channel normalisation applied while a batch is gathered, so the
 * stored images stay bytes and every epoch sees fresh crops. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "data/data_internal.h"
#include "nn/core.h"

void nn_dataset_channel_stats(const nn_dataset *d, double *mean, double *std)
{
    const size_t plane = (size_t)d->h * (size_t)d->w;
    for (int ch = 0; ch < d->c; ch++) {
        /* Bytes: exact integer sums. Floats: shifted by the first value so
         * the sum of squares does not cancel. */
        double sum = 0, sq = 0, ref = 0;
        if (!d->u8 && d->n > 0)
            ref = d->f32[(size_t)ch * plane];
        for (size_t i = 0; i < d->n; i++) {
            const size_t off = i * d->dim + (size_t)ch * plane;
            if (d->u8) {
                uint64_t s = 0, q = 0;
                for (size_t j = 0; j < plane; j++) {
                    const uint32_t v = d->u8[off + j];
                    s += v;
                    q += v * v;
                }
                sum += (double)s;
                sq += (double)q;
            } else {
                for (size_t j = 0; j < plane; j++) {
                    const double v = (double)d->f32[off + j] - ref;
                    sum += v;
                    sq += v * v;
                }
            }
        }
        const double n = (double)d->n * (double)plane, scale = d->u8 ? 1.0 / 255.0 : 1.0;
        const double m = n > 0 ? sum / n : 0, var = n > 0 ? sq / n - m * m : 0;
        mean[ch] = (m + ref) * scale;
        std[ch] = var > 0 ? sqrt(var) * scale : 0;
    }
}

void nn_view_shape(const nn_dataset *d, const nn_view *v, int *c, int *h, int *w)
{
    *c = d->c;
    *h = v->crop > 0 ? v->crop : d->h;
    *w = v->crop > 0 ? v->crop : d->w;
}

int nn_view_check(const nn_dataset *d, const nn_view *v, nn_error *err)
{
    if (v->crop > 0 && (v->crop > d->h || v->crop > d->w))
        return nn_fail(err, NN_E_CONFIG, "crop = %d is larger than the images (%d x %d)", v->crop,
                       d->h, d->w);
    if (v->normalize && d->c > NN_VIEW_MAX_CHANNELS)
        return nn_fail(err, NN_E_CONFIG, "normalize: images with %d channels (at most %d)", d->c,
                       NN_VIEW_MAX_CHANNELS);
    for (int ch = 0; v->normalize && ch < d->c; ch++)
        if (!(v->std[ch] > 0) || !isfinite(v->mean[ch]) || !isfinite(v->std[ch]))
            return nn_fail(err, NN_E_CONFIG,
                           "normalize: channel %d has mean %g and std %g (std must be positive: "
                           "is the channel constant?)",
                           ch, (double)v->mean[ch], (double)v->std[ch]);
    return NN_OK;
}

void nn_view_place(const nn_dataset *d, const nn_view *v, const nn_view_draw *r, size_t id, int *y0,
                   int *x0, int *flip)
{
    const int ch = v->crop > 0 ? v->crop : d->h, cw = v->crop > 0 ? v->crop : d->w;
    *y0 = (d->h - ch) / 2;
    *x0 = (d->w - cw) / 2;
    *flip = 0;
    if (!r || !r->training)
        return;
    /* Three draws per sample from their own stream, so turning crops on
     * does not change the affine augmentation's draws and vice versa. */
    const uint64_t key = nn_rng_key(r->seed, nn_rng_stream("view", (uint64_t)r->epoch));
    const uint64_t base = (uint64_t)id * 3;
    if (v->crop > 0) {
        *y0 = (int)(nn_rng_bits_key(key, base) % (uint64_t)(d->h - ch + 1));
        *x0 = (int)(nn_rng_bits_key(key, base + 1) % (uint64_t)(d->w - cw + 1));
    }
    if (v->flip)
        *flip = (int)(nn_rng_bits_key(key, base + 2) >> 63);
}

/* One output row of w values from src (bytes or floats), mirrored when
 * flip, as a * value + b. */
static void row_bytes(float *restrict out, const uint8_t *restrict src, int w, int flip, float a,
                      float b)
{
    if (flip)
        for (int x = 0; x < w; x++)
            out[x] = (float)src[w - 1 - x] * a + b;
    else
        for (int x = 0; x < w; x++)
            out[x] = (float)src[x] * a + b;
}

static void row_floats(float *restrict out, const float *restrict src, int w, int flip, float a,
                       float b)
{
    if (flip)
        for (int x = 0; x < w; x++)
            out[x] = src[w - 1 - x] * a + b;
    else
        for (int x = 0; x < w; x++)
            out[x] = src[x] * a + b;
}

void nn_dataset_gather_view(const nn_dataset *d, const nn_view *v, const nn_view_draw *r,
                            const size_t *idx, size_t count, float *x, int32_t *y)
{
    if (v->crop == 0 && !v->flip && !v->normalize) {
        nn_dataset_gather(d, idx, count, v->invert, x, y);
        return;
    }
    int c, h, w;
    nn_view_shape(d, v, &c, &h, &w);
    const size_t plane = (size_t)d->h * d->w, out_dim = (size_t)c * h * w;
    assert(d->u8 || d->f32);
    for (size_t i = 0; i < count; i++) {
        const size_t s = idx[i];
        assert(s < d->n);
        int y0, x0, flip;
        nn_view_place(d, v, r, s, &y0, &x0, &flip);
        for (int ch = 0; ch < c; ch++) {
            /* value = raw * unit (bytes / 255), inverted (1 - value) when
             * asked, then normalised: one multiply-add per value. */
            float a = d->u8 ? 1.0f / 255.0f : 1.0f, b = 0.0f;
            if (v->invert)
                a = -a, b = 1.0f;
            if (v->normalize) {
                a /= v->std[ch];
                b = (b - v->mean[ch]) / v->std[ch];
            }
            float *o = x + i * out_dim + (size_t)ch * h * w; /* [h, w] */
            const size_t base = s * d->dim + (size_t)ch * plane;
            for (int row = 0; row < h; row++) {
                const size_t at = base + (size_t)(y0 + row) * d->w + (size_t)x0;
                if (d->u8)
                    row_bytes(o + (size_t)row * w, d->u8 + at, w, flip, a, b);
                else
                    row_floats(o + (size_t)row * w, d->f32 + at, w, flip, a, b);
            }
        }
        if (y)
            y[i] = d->labels[s];
    }
}
