/* Max pooling over size x size windows of each channel plane:
 *     y [B, C, Ho, Wo],  y[b,c,i,j] = max over the window of x [B, C, H, W]
 * Padding never wins (windows are clipped to the image). Forward records
 * where each maximum came from (the first position holding it, in row-major
 * scan order) in aux [max_batch, C, Ho, Wo] as an index into the input
 * plane; backward scatters each output's gradient there. The 2 x 2, stride
 * 2 case has its own forward loop. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "layers_internal.h"

static int maxpool_setup(nn_layer *l, nn_error *err)
{
    int rc = nn_pool_setup(l, err);
    l->aux_size = (size_t)l->max_batch * nn_shape_dim(l->out_shape); /* int32 argmax */
    return rc;
}

/* Row range [*r0, *r1) and column range [*c0, *c1) of window (i, j). */
static void window(const nn_pool_geom *g, int i, int j, int *r0, int *r1, int *c0, int *c1)
{
    int r = i * g->s - g->p, c = j * g->s - g->p;
    *r0 = r < 0 ? 0 : r;
    *r1 = r + g->k > g->h ? g->h : r + g->k;
    *c0 = c < 0 ? 0 : c;
    *c1 = c + g->k > g->w ? g->w : c + g->k;
}

/* One output row of 2 x 2 windows at stride 2 over input rows r0, r1;
 * strict comparisons keep the first maximum in scan order (r0[2j], r0[2j+1],
 * r1[2j], r1[2j+1]). Written with selects and arithmetic on the 0/1
 * comparison results (no conditional int choice), so GCC vectorises it. */
static void max2x2_row(const float *restrict r0, const float *restrict r1, float *restrict y,
                       int32_t *restrict at, int wo, int32_t base, int32_t w)
{
    for (int j = 0; j < wo; ++j) {
        const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
        const int32_t tb = b > a, bb = d > c;
        const float top = b > a ? b : a, bot = d > c ? d : c;
        const int32_t lower = bot > top;
        y[j] = bot > top ? bot : top;
        at[j] = base + 2 * j + lower * (w + bb) + (1 - lower) * tb;
    }
}

static void max2x2(const float *x, float *y, int32_t *at, const nn_pool_geom *g)
{
    for (int i = 0; i < g->ho; ++i) {
        const float *r0 = x + (size_t)(2 * i) * g->w;
        max2x2_row(r0, r0 + g->w, y + (size_t)i * g->wo, at + (size_t)i * g->wo, g->wo,
                   2 * i * g->w, g->w);
    }
}

static void max_general(const float *x, float *y, int32_t *at, const nn_pool_geom *g)
{
    for (int i = 0; i < g->ho; ++i)
        for (int j = 0; j < g->wo; ++j) {
            int r0, r1, c0, c1;
            window(g, i, j, &r0, &r1, &c0, &c1);
            float m = -FLT_MAX;
            int32_t where = r0 * g->w + c0;
            for (int r = r0; r < r1; ++r)
                for (int c = c0; c < c1; ++c)
                    if (x[r * g->w + c] > m) {
                        m = x[r * g->w + c];
                        where = r * g->w + c;
                    }
            y[i * g->wo + j] = m;
            at[i * g->wo + j] = where;
        }
}

static void maxpool_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                            const nn_ctx *ctx)
{
    (void)ctx;
    const nn_pool_geom g = nn_pool_geometry(l);
    const float *x = inputs[0];
    int32_t *at = (int32_t *)(void *)l->aux; /* [B, C, Ho, Wo] */
    const size_t planes = (size_t)B * l->in_shape.c, in_plane = (size_t)g.h * g.w;
    const size_t out_plane = (size_t)g.ho * g.wo;
    const int fast = g.k == 2 && g.s == 2 && g.p == 0;
#pragma omp parallel for num_threads(l->threads) if (planes * in_plane > NN_OMP_MIN) schedule(static)
    for (size_t q = 0; q < planes; ++q) {
        if (fast)
            max2x2(x + q * in_plane, out + q * out_plane, at + q * out_plane, &g);
        else
            max_general(x + q * in_plane, out + q * out_plane, at + q * out_plane, &g);
    }
}

static void maxpool_backward(nn_layer *l, const float *const *inputs, const float *out,
                             float *dout, float *const *dins, int B, const nn_ctx *ctx)
{
    (void)inputs, (void)out, (void)ctx;
    float *dx = dins[0];
    if (!dx)
        return;
    const nn_pool_geom g = nn_pool_geometry(l);
    const int32_t *at = (const int32_t *)(const void *)l->aux;
    const size_t planes = (size_t)B * l->in_shape.c, in_plane = (size_t)g.h * g.w;
    const size_t out_plane = (size_t)g.ho * g.wo;
    const int add = l->din_add[0];
#pragma omp parallel for num_threads(l->threads) if (planes * in_plane > NN_OMP_MIN) schedule(static)
    for (size_t q = 0; q < planes; ++q) {
        float *dxp = dx + q * in_plane;
        const float *dyp = dout + q * out_plane;
        const int32_t *ap = at + q * out_plane;
        if (!add)
            memset(dxp, 0, in_plane * sizeof(float));
        for (size_t o = 0; o < out_plane; ++o)
            dxp[ap[o]] += dyp[o];
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
