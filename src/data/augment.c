/* Random affine distortions of training images (see nn_augment_images):
 * small shifts, rotations and scalings, as handwriting varies. */
#include <math.h>
#include <string.h>

#include "data/data_internal.h"
#include "nn/core.h"

/* The affine map from an output pixel back to where it samples the input:
 * src = A (dst - centre - t) + centre, A = rotation(-angle) / scale. */
typedef struct affine {
    float a00, a01, a10, a11;
    float ty, tx;
} affine;

/* Four uniform draws per sample: shift y, shift x, angle, scale. */
static affine draw(const nn_augment *a, uint64_t key, size_t id)
{
    float u[4];
    for (int k = 0; k < 4; ++k)
        u[k] = 2.0f * nn_rng_to_unit(nn_rng_bits_key(key, (uint64_t)id * 4 + (uint64_t)k)) - 1.0f;
    const double angle = u[2] * a->rotate * (3.14159265358979323846 / 180.0);
    const double s = 1.0 + u[3] * a->scale;
    affine m;
    m.a00 = (float)(cos(angle) / s);
    m.a01 = (float)(sin(angle) / s);
    m.a10 = (float)(-sin(angle) / s);
    m.a11 = (float)(cos(angle) / s);
    m.ty = (float)(u[0] * a->shift);
    m.tx = (float)(u[1] * a->shift);
    return m;
}

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* out [h, w] = in [h, w] sampled through m, bilinear, clamped to the edge. */
static void warp_plane(float *restrict out, const float *restrict in, int h, int w, const affine *m)
{
    const float cy = 0.5f * (float)(h - 1), cx = 0.5f * (float)(w - 1);
    for (int r = 0; r < h; ++r) {
        const float dy = (float)r - cy - m->ty;
        for (int c = 0; c < w; ++c) {
            const float dx = (float)c - cx - m->tx;
            const float sy = m->a00 * dy + m->a01 * dx + cy;
            const float sx = m->a10 * dy + m->a11 * dx + cx;
            const float fy = floorf(sy), fx = floorf(sx);
            const float wy = sy - fy, wx = sx - fx;
            const int y0 = clampi((int)fy, 0, h - 1), y1 = clampi((int)fy + 1, 0, h - 1);
            const int x0 = clampi((int)fx, 0, w - 1), x1 = clampi((int)fx + 1, 0, w - 1);
            const float top = in[y0 * w + x0] + wx * (in[y0 * w + x1] - in[y0 * w + x0]);
            const float bot = in[y1 * w + x0] + wx * (in[y1 * w + x1] - in[y1 * w + x0]);
            out[r * w + c] = top + wy * (bot - top);
        }
    }
}

void nn_augment_images(float *x, size_t count, int c, int h, int w, const size_t *ids,
                       const nn_augment *a, uint64_t seed, int64_t epoch, float *scratch)
{
    if (!nn_augment_active(a) || h < 2 || w < 2)
        return;
    const uint64_t key = nn_rng_key(seed, nn_rng_stream("augment", (uint64_t)epoch));
    const size_t plane = (size_t)h * w, dim = plane * (size_t)c;
    for (size_t i = 0; i < count; ++i) {
        const affine m = draw(a, key, ids[i]);
        float *img = x + i * dim; /* [c, h, w] */
        for (int ch = 0; ch < c; ++ch)
            warp_plane(scratch + ch * plane, img + ch * plane, h, w, &m);
        memcpy(img, scratch, dim * sizeof(float));
    }
}
