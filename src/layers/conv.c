/* 2-D convolution (cross-correlation, as PyTorch's Conv2d) with a fused
 * activation, one sample at a time:
 *     col [K, HWo]      = im2col(x_b [C, H, W]),   K = C * size * size
 *     Z_b [F, HWo]      = W [F, K] . col + b [F]   (F = filters; NCHW output)
 *     Y_b               = act(Z_b)
 * Backward, per sample:
 *     dW [F, K]        += dZ_b [F, HWo] . col^T    (col^T is a strided view)
 *     db [F]           += row sums of dZ_b
 *     dx_b              = col2im(W^T [K, F] . dZ_b)
 * Every product is NoTrans-friendly for BLIS (no transposed copies), and a
 * sample's col (C * size^2 * HWo floats) stays in the core's cache between
 * im2col and the product. Samples are spread over OpenMP threads, each with
 * its own col buffer and dW/db accumulators and single-threaded BLIS calls.
 * A 1x1 convolution with stride 1 and no padding uses x_b itself as col. */
#include <omp.h>
#include <string.h>

#include "layers_internal.h"
#include "nn/blas.h"

/* The per-thread scratch: col [K, HWo], then dW [F, K] and db [F]. */
typedef struct conv_ws {
    float *col, *dw, *db;
} conv_ws;

static nn_conv_geom geom(const nn_layer *l)
{
    const nn_layer_config *c = l->cfg;
    nn_conv_geom g = { l->in_shape.c, l->in_shape.h, l->in_shape.w, c->size, c->stride,
                       c->padding, l->out_shape.h, l->out_shape.w };
    return g;
}

static int is_pointwise(const nn_conv_geom *g) { return g->k == 1 && g->s == 1 && g->p == 0; }

/* K = C * size^2: one column of col, one row of W. */
static size_t patch_len(const nn_layer *l)
{
    return (size_t)l->in_shape.c * l->cfg->size * l->cfg->size;
}

static size_t col_floats(const nn_layer *l)
{
    return (patch_len(l) * l->out_shape.h * l->out_shape.w + 15) / 16 * 16;
}

static size_t ws_floats_per_thread(const nn_layer *l)
{
    const size_t F = (size_t)l->cfg->filters;
    return col_floats(l) + (F * patch_len(l) + F + 15) / 16 * 16;
}

static conv_ws thread_ws(const nn_layer *l, int t)
{
    const size_t F = (size_t)l->cfg->filters, K = patch_len(l);
    const size_t per = ws_floats_per_thread(l), cols = col_floats(l);
    conv_ws w;
    w.col = l->ws + (size_t)t * per;
    w.dw = w.col + cols;
    w.db = w.dw + F * K;
    return w;
}

static int conv_setup(nn_layer *l, nn_error *err)
{
    const nn_layer_config *c = l->cfg;
    const nn_shape in = l->in_shape;
    const int ho = nn_window_count(in.h, c->size, c->stride, c->padding);
    const int wo = nn_window_count(in.w, c->size, c->stride, c->padding);
    if (c->filters < 1 || c->size < 1 || c->stride < 1 || c->padding < 0)
        return nn_fail(err, NN_E_CONFIG, "[%s] filters, size and stride must be >= 1", c->name);
    if (ho < 1 || wo < 1) {
        char t[64];
        return nn_fail(err, NN_E_CONFIG, "[%s] a %d x %d kernel does not fit its %s input "
                       "with padding %d", c->name, c->size, c->size,
                       nn_shape_text(in, t, sizeof t), c->padding);
    }
    l->out_shape = (nn_shape){ c->filters, ho, wo };
    const uint64_t F = (uint64_t)c->filters, k = (uint64_t)c->size;
    const uint64_t wdims[4] = { F, (uint64_t)in.c, k, k }, bdims[1] = { F };
    const size_t fan_in = (size_t)in.c * k * k, fan_out = (size_t)F * k * k;
    nn_layer_add_param(l, "W", 4, wdims, c->init, 1, fan_in, fan_out);
    if (c->bias)
        nn_layer_add_param(l, "b", 1, bdims, NN_INIT_ZEROS, 0, fan_in, fan_out);
    l->ws_size = (size_t)l->threads * ws_floats_per_thread(l);
    return NN_OK;
}

/* The product C = A . B + beta C on this thread, counted when profiling. */
static void conv_gemm(nn_layer *l, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    double t0 = l->profile ? omp_get_wtime() : 0.0;
    nn_gemm_1t(1.0f, a, b, beta, c);
    if (l->profile) {
        double dt = omp_get_wtime() - t0, flops = 2.0 * (double)a.rows * a.cols * b.cols;
#pragma omp atomic
        l->gemm_seconds += dt;
#pragma omp atomic
        l->gemm_flops += flops;
    }
}

static void conv_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                         const nn_ctx *ctx)
{
    (void)ctx;
    const nn_conv_geom g = geom(l);
    const long F = l->cfg->filters, K = (long)g.c * g.k * g.k, HW = (long)g.ho * g.wo;
    const float *x = inputs[0];           /* [B, C, H, W] */
    const float *W = l->params[0].value;  /* [F, K] */
    const float *bias = l->cfg->bias ? l->params[1].value : NULL; /* [F] */
    const int T = B < l->threads ? (B > 0 ? B : 1) : l->threads;
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int b = 0; b < B; ++b) {
        const conv_ws w = thread_ws(l, omp_get_thread_num());
        const float *xb = x + (size_t)b * l->in_dim;
        float *yb = out + (size_t)b * l->out_dim; /* [F, HW] */
        const float *col = xb;
        if (!is_pointwise(&g)) {
            nn_im2col(&g, xb, w.col);
            col = w.col;
        }
        if (bias) /* start from the bias, accumulate the product on top */
            for (long f = 0; f < F; ++f)
                for (long i = 0; i < HW; ++i)
                    yb[f * HW + i] = bias[f];
        conv_gemm(l, nn_mat_rm((float *)W, F, K), nn_mat_rm((float *)col, K, HW),
                  bias ? 1.0f : 0.0f, nn_mat_rm(yb, F, HW));
        nn_activation_forward(l->cfg->activation, yb, 1, l->out_dim);
    }
}

/* Sum the per-thread dW and db into the parameter gradients. */
static void reduce_grads(nn_layer *l, int T)
{
    const size_t F = (size_t)l->cfg->filters, K = patch_len(l);
    float *dW = l->params[0].grad, *db = l->cfg->bias ? l->params[1].grad : NULL;
    const conv_ws w0 = thread_ws(l, 0);
    memcpy(dW, w0.dw, F * K * sizeof(float));
    if (db)
        memcpy(db, w0.db, F * sizeof(float));
    for (int t = 1; t < T; ++t) {
        const conv_ws w = thread_ws(l, t);
        nn_grad_put(dW, w.dw, F * K, 1);
        if (db)
            nn_grad_put(db, w.db, F, 1);
    }
}

static void conv_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                          float *const *dins, int B, const nn_ctx *ctx)
{
    (void)ctx;
    const nn_conv_geom g = geom(l);
    const long F = l->cfg->filters, K = (long)g.c * g.k * g.k, HW = (long)g.ho * g.wo;
    const float *x = inputs[0];          /* [B, C, H, W] */
    float *dx = dins[0];                 /* [B, C, H, W] or NULL */
    const float *W = l->params[0].value; /* [F, K] */
    const int add = l->din_add[0];
    const int T = B < l->threads ? (B > 0 ? B : 1) : l->threads;
#pragma omp parallel num_threads(T) if (T > 1)
    {
        const conv_ws w = thread_ws(l, omp_get_thread_num());
        memset(w.dw, 0, (size_t)(F * K + F) * sizeof(float));
#pragma omp for schedule(static)
        for (int b = 0; b < B; ++b) {
            float *dz = dout + (size_t)b * l->out_dim; /* [F, HW], dL/dZ in place */
            if (!l->dout_is_preact)
                nn_activation_backward(l->cfg->activation, out + (size_t)b * l->out_dim, dz, 1,
                                       l->out_dim);
            for (long f = 0; f < F; ++f) {
                float s = 0.0f;
#pragma omp simd reduction(+ : s)
                for (long i = 0; i < HW; ++i)
                    s += dz[f * HW + i];
                w.db[f] += s;
            }
            const float *xb = x + (size_t)b * l->in_dim;
            const float *col = xb;
            if (!is_pointwise(&g)) {
                nn_im2col(&g, xb, w.col);
                col = w.col;
            }
            nn_mat dzm = nn_mat_rm(dz, F, HW);
            /* dW [F, K] += dZ [F, HW] . col^T [HW, K] */
            conv_gemm(l, dzm, nn_mat_t(nn_mat_rm((float *)col, K, HW)), 1.0f, nn_mat_rm(w.dw, F, K));
            if (!dx)
                continue;
            float *dxb = dx + (size_t)b * l->in_dim;
            nn_mat wt = nn_mat_t(nn_mat_rm((float *)W, F, K)); /* W^T [K, F] */
            if (is_pointwise(&g)) { /* dx_b [C, HW] (+)= W^T . dZ */
                conv_gemm(l, wt, dzm, add ? 1.0f : 0.0f, nn_mat_rm(dxb, K, HW));
                continue;
            }
            conv_gemm(l, wt, dzm, 0.0f, nn_mat_rm(w.col, K, HW)); /* dcol [K, HW] */
            if (!add)
                memset(dxb, 0, l->in_dim * sizeof(float));
            nn_col2im_add(&g, w.col, dxb);
        }
    }
    reduce_grads(l, T);
}

const nn_layer_ops nn_conv_ops = {
    .type = "conv",
    .min_inputs = 1,
    .max_inputs = 1,
    .has_activation = 1,
    .setup = conv_setup,
    .forward = conv_forward,
    .backward = conv_backward,
};
