/* Max pooling over size x size windows of each channel plane:
 *     y [B, C, Ho, Wo],  y[b,c,i,j] = max over the window of x [B, C, H, W]
 * Padding never wins (windows are clipped to the image). Backward sends each
 * output's gradient to the first position holding the maximum: it finds it
 * again by comparing with the stored output (exact, as y is a copy of one
 * input), so no index buffer is kept. Non-overlapping windows (stride >=
 * size) get a separate fast path. */
#include <float.h>
#include <string.h>

#include "layers_internal.h"

static int maxpool_setup(nn_layer *l, nn_error *err) { return nn_pool_setup(l, err); }

/* Row range [*r0, *r1) and column range [*c0, *c1) of window (i, j). */
static void window(const nn_pool_geom *g, int i, int j, int *r0, int *r1, int *c0, int *c1)
{
    int r = i * g->s - g->p, c = j * g->s - g->p;
    *r0 = r < 0 ? 0 : r;
    *r1 = r + g->k > g->h ? g->h : r + g->k;
    *c0 = c < 0 ? 0 : c;
    *c1 = c + g->k > g->w ? g->w : c + g->k;
}

/* The 2 x 2, stride 2, no padding case (most CNNs), vectorisable. */
static void max2x2(const float *restrict x, float *restrict y, const nn_pool_geom *g)
{
    for (int i = 0; i < g->ho; ++i) {
        const float *r0 = x + (size_t)(2 * i) * g->w, *r1 = r0 + g->w;
        float *yr = y + (size_t)i * g->wo;
        for (int j = 0; j < g->wo; ++j) {
            float a = r0[2 * j] > r0[2 * j + 1] ? r0[2 * j] : r0[2 * j + 1];
            float b = r1[2 * j] > r1[2 * j + 1] ? r1[2 * j] : r1[2 * j + 1];
            yr[j] = a >= b ? a : b;
        }
    }
}

static void maxpool_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                            const nn_ctx *ctx)
{
    (void)ctx;
    const nn_pool_geom g = nn_pool_geometry(l);
    const float *x = inputs[0];
    const size_t planes = (size_t)B * l->in_shape.c, in_plane = (size_t)g.h * g.w;
    const size_t out_plane = (size_t)g.ho * g.wo;
    const int fast = g.k == 2 && g.s == 2 && g.p == 0;
#pragma omp parallel for num_threads(l->threads) if (planes * in_plane > NN_OMP_MIN) schedule(static)
    for (size_t q = 0; q < planes; ++q) {
        const float *xp = x + q * in_plane;
        float *yp = out + q * out_plane;
        if (fast) {
            max2x2(xp, yp, &g);
            continue;
        }
        for (int i = 0; i < g.ho; ++i)
            for (int j = 0; j < g.wo; ++j) {
                int r0, r1, c0, c1;
                window(&g, i, j, &r0, &r1, &c0, &c1);
                float m = -FLT_MAX;
                for (int r = r0; r < r1; ++r)
                    for (int c = c0; c < c1; ++c)
                        m = xp[r * g.w + c] > m ? xp[r * g.w + c] : m;
                yp[i * g.wo + j] = m;
            }
    }
}

/* Index in the plane of the first position of window (i, j) equal to m. */
static int argmax_of(const nn_pool_geom *g, const float *xp, int i, int j, float m)
{
    int r0, r1, c0, c1;
    window(g, i, j, &r0, &r1, &c0, &c1);
    for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c)
            if (xp[r * g->w + c] == m)
                return r * g->w + c;
    return r0 * g->w + c0; /* not reached: m is one of the window's values */
}

static void maxpool_backward(nn_layer *l, const float *const *inputs, const float *out,
                             float *dout, float *const *dins, int B, const nn_ctx *ctx)
{
    (void)ctx;
    float *dx = dins[0];
    if (!dx)
        return;
    const nn_pool_geom g = nn_pool_geometry(l);
    const float *x = inputs[0];
    const size_t planes = (size_t)B * l->in_shape.c, in_plane = (size_t)g.h * g.w;
    const size_t out_plane = (size_t)g.ho * g.wo;
    const int add = l->din_add[0];
#pragma omp parallel for num_threads(l->threads) if (planes * in_plane > NN_OMP_MIN) schedule(static)
    for (size_t q = 0; q < planes; ++q) {
        const float *xp = x + q * in_plane, *yp = out + q * out_plane, *dyp = dout + q * out_plane;
        float *dxp = dx + q * in_plane;
        if (!add)
            memset(dxp, 0, in_plane * sizeof(float));
        for (int i = 0; i < g.ho; ++i)
            for (int j = 0; j < g.wo; ++j)
                dxp[argmax_of(&g, xp, i, j, yp[i * g.wo + j])] += dyp[i * g.wo + j];
    }
}

const nn_layer_ops nn_maxpool_ops = {
    .type = "maxpool",
    .min_inputs = 1,
    .max_inputs = 1,
    .setup = maxpool_setup,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
};
