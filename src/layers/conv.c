/* 2-D convolution (cross-correlation, as PyTorch's Conv2d) with a fused
 * activation, as matrix products on im2col patches. Samples are taken G at
 * a time (G <= 4), their patch matrices side by side:
 *     col [K, G HWo]     = im2col(x_b [C, H, W]) for the G samples, K = C size^2
 *     Z   [F, G HWo]     = W [F, K] . col                (F = filters)
 *     Y_b [F, HWo]       = act(Z's columns of sample b + bias)   (NCHW)
 * Backward, with dZ [F, G HWo] gathered from the samples' dL/dZ:
 *     dW^T [K, F]       += col . dZ^T          (dZ^T: a strided view)
 *     db [F]            += row sums of dZ
 *     dcol [K, G HWo]    = W^T . dZ;  dx_b = col2im(sample b's columns)
 * Why this shape:
 * - Every product is NoTrans-friendly for BLIS (transposes are strided
 *   views, never copies).
 * - Grouping: a BLIS call costs microseconds besides its arithmetic, and
 *   wider products run faster (measured with BLIS 0.9's skx kernels on the
 *   benchmark CNN's 32-to-64-channel layer, for the forward product and
 *   dcol). G is smaller when col would outgrow the core's cache (~1 MB).
 * - The weight gradient is accumulated transposed, [K, F] row-major, and
 *   turned into W's [F, K] once when the threads' sums are added: BLIS runs
 *   that faster than dZ . col^T into [F, K] (same measurement). The direct
 *   kernels for K <= NN_CONV_SMALL_K accumulate [F, K].
 * - OpenMP over the batch: each thread takes a contiguous share of the
 *   samples with its own buffers and dW/db accumulators (summed in thread
 *   order at the end) and calls single-threaded BLIS.
 * - Bias and activation are applied row by row as Z is copied out (or in
 *   place), while the row is in cache.
 * A 1x1 convolution with stride 1 and no padding uses x_b itself as col, one
 * sample at a time. Short patches (K <= NN_CONV_SMALL_K, a first layer on
 * one channel) skip the products: conv_small.c's direct kernels, one sample
 * at a time. A 3x3 convolution at stride 1 with padding 0 or 1 and at
 * least WINO_MIN_CHANNELS input and output channels computes its output
 * with Winograd F(2x2, 3x3) instead (conv_winograd.c), and both gradients
 * too where the thin kernel runs Winograd's products (AVX-512 builds, one
 * channel count at most 64; else the input gradient only, up to
 * WINO_DX_MAX_CHANNELS of each); [train] conv_algorithm = winograd uses it
 * for all three whatever the channels, = gemm never. A convolution whose
 * output only feeds a max-pool computes that pool too (conv_pool.c: the
 * maxima are taken from each plane while it is in cache, or from
 * Winograd's 2 x 2 output tiles, and backward starts from the pool's
 * gradient). */
#include <omp.h>
#include <string.h>

#include "layers/layers_internal.h"
#include "nn/core.h"

enum { GROUP_MAX = 4 };
/* Winograd: at most WINO_GROUP samples per call, their tiles side by side
 * in one product per element, and about WINO_TILES tiles (the transformed
 * tiles of a group must stay near the cache; through BLIS wider products
 * ran faster and 1024 tiles won, with the thin kernel 512 does: bench CNN,
 * 1 thread, conv2 backward about 6.6 against 6.9 ms in three alternating
 * runs); `auto` uses it for the output from WINO_MIN_CHANNELS input and
 * output channels on, and for the gradients as use_winograd_dw and
 * use_winograd_dx say (docs/cnn.md has the measurements). */
enum { WINO_GROUP = 16, WINO_TILES = 512, WINO_MIN_CHANNELS = 8, WINO_DX_MAX_CHANNELS = 16 };
#define GROUP_CACHE_FLOATS (256u * 1024u)  /* col of a group: at most ~1 MB */
#define WINO_WS_FLOATS     (1536L * 1024L) /* Winograd's V and M: ~6 MB */

/* The per-thread scratch: col [K, G HWo], z [F, G HWo] (or Winograd's),
 * Winograd's weight-gradient sums du [16][F][C] when used, then dW and db. */
typedef struct conv_ws {
    float *col, *z, *du, *dw, *db;
} conv_ws;

static nn_conv_geom geom(const nn_layer *l)
{
    const nn_layer_config *c = l->cfg;
    nn_conv_geom g = { l->in_shape.c, l->in_shape.h, l->in_shape.w,  c->size,
                       c->stride,     c->padding,    l->out_shape.h, l->out_shape.w };
    return g;
}

static int is_pointwise(const nn_conv_geom *g) { return g->k == 1 && g->s == 1 && g->p == 0; }

/* K = C * size^2: one column of col, one row of W. */
static size_t patch_len(const nn_layer *l)
{
    return (size_t)l->in_shape.c * l->cfg->size * l->cfg->size;
}

static size_t out_plane(const nn_layer *l) { return (size_t)l->out_shape.h * l->out_shape.w; }

/* Samples per product. One for K <= 16: nn_gemm_1t's own loops have no
 * call overhead to share, and stream a single sample's rows from L1. */
static int group_size(const nn_layer *l)
{
    const nn_conv_geom g = geom(l);
    if (is_pointwise(&g) || patch_len(l) <= NN_CONV_SMALL_K)
        return 1;
    const size_t per = patch_len(l) * out_plane(l);
    int G = per > 0 ? (int)(GROUP_CACHE_FLOATS / per) : 1;
    return G < 1 ? 1 : G > GROUP_MAX ? GROUP_MAX : G;
}

static int dw_transposed(const nn_layer *l) { return patch_len(l) > NN_CONV_SMALL_K; }

/* Whether Winograd F(2x2, 3x3) computes the output. */
static int use_winograd(const nn_layer *l)
{
    const nn_conv_geom g = geom(l);
    if (g.k != 3 || g.s != 1 || g.p > 1 || patch_len(l) <= NN_CONV_SMALL_K)
        return 0;
    switch (l->conv_algorithm) {
    case NN_CONV_GEMM: return 0;
    case NN_CONV_WINOGRAD: return 1;
    default: return g.c >= WINO_MIN_CHANNELS && l->cfg->filters >= WINO_MIN_CHANNELS;
    }
}

/* Whether nn_gemm_1t's register-tiled kernel (gemm_thin.c, AVX-512 builds)
 * takes Winograd's gradient products, [F, P] . [P, C] and [C, F] . [F, P]
 * with P about WINO_TILES (one of F and C at most 64). It runs the bench
 * CNN's at 185-190 GFLOP/s where BLIS, packing both operands on every
 * call, reaches 70-101 (build/nn_conv_products), and that is what makes
 * Winograd's gradients pay: through BLIS the weight gradient was slower
 * than im2col's at 32 -> 64 channels. */
static int thin_gradients(const nn_layer *l)
{
    const long F = l->cfg->filters, C = l->in_shape.c;
    return nn_gemm_thin_takes(F, WINO_TILES, C) && nn_gemm_thin_takes(C, F, WINO_TILES);
}

/* Whether it computes the weight gradient too (dZ's 2 x 2 tiles against
 * the forward's tiles of x); the input gradient is then Winograd's too. */
static int use_winograd_dw(const nn_layer *l)
{
    if (!use_winograd(l) || l->conv_algorithm == NN_CONV_GEMM)
        return 0;
    return l->conv_algorithm == NN_CONV_WINOGRAD || thin_gradients(l);
}

/* Whether it computes the input gradient (through BLIS's products: up to
 * WINO_DX_MAX_CHANNELS, where they were measured faster than im2col's). */
static int use_winograd_dx(const nn_layer *l)
{
    if (!use_winograd(l))
        return 0;
    return use_winograd_dw(l) ||
           (l->in_shape.c <= WINO_DX_MAX_CHANNELS && l->cfg->filters <= WINO_DX_MAX_CHANNELS);
}

/* Winograd geometry of the forward pass (C -> F channels, padding p) and of
 * the input gradient (dZ's F -> C channels, padding 2 - p). */
static nn_wino_geom wino_fwd(const nn_layer *l)
{
    const nn_conv_geom g = geom(l);
    return nn_wino_geometry(g.c, l->cfg->filters, g.h, g.w, g.p);
}

static nn_wino_geom wino_bwd(const nn_layer *l)
{
    const nn_conv_geom g = geom(l);
    return nn_wino_geometry(l->cfg->filters, g.c, g.ho, g.wo, 2 - g.p);
}

/* Samples per Winograd call: about WINO_TILES tiles, and V and M (16 (C +
 * F) floats a tile) within WINO_WS_FLOATS, so layers with hundreds of
 * channels (SqueezeNet's last fire modules) keep a scratch of a few MB. */
static int wino_group(const nn_wino_geom *g)
{
    const long per = (long)nn_wino_tiles(g), ch = 16L * (g->cin + g->cout);
    long n = per > 0 ? WINO_TILES / per : 1;
    if (per > 0 && n * per * ch > WINO_WS_FLOATS)
        n = WINO_WS_FLOATS / (per * ch);
    return n < 1 ? 1 : n > WINO_GROUP ? WINO_GROUP : (int)n;
}

/* The transformed filters (shared by the threads): 16 F C floats at the
 * start of l->ws when Winograd is used. */
static size_t wino_u_floats(const nn_layer *l)
{
    return use_winograd(l) ? nn_round16(16 * (size_t)l->cfg->filters * l->in_shape.c) : 0;
}

/* A thread's scratch before its dW and db: col and z, or Winograd's. */
static size_t scratch_floats(const nn_layer *l)
{
    const size_t F = (size_t)l->cfg->filters, K = patch_len(l);
    const size_t ld = (size_t)group_size(l) * out_plane(l);
    size_t n = nn_round16(K * ld) + nn_round16(F * ld);
    if (use_winograd(l)) {
        const nn_wino_geom gf = wino_fwd(l), gb = wino_bwd(l);
        const size_t a = nn_wino_ws_floats(&gf, wino_group(&gf));
        const size_t b = use_winograd_dx(l) ? nn_wino_ws_floats(&gb, wino_group(&gb)) : 0;
        n = a > n ? a : n;
        n = b > n ? b : n;
    }
    return n;
}

/* Winograd's weight-gradient sums of a thread. */
static size_t du_floats(const nn_layer *l)
{
    return use_winograd_dw(l) ? nn_round16(16 * (size_t)l->cfg->filters * l->in_shape.c) : 0;
}

static size_t ws_floats_per_thread(const nn_layer *l)
{
    const size_t F = (size_t)l->cfg->filters, K = patch_len(l);
    return scratch_floats(l) + du_floats(l) + nn_round16(F * K + F);
}

static conv_ws thread_ws(const nn_layer *l, int t)
{
    const size_t F = (size_t)l->cfg->filters, K = patch_len(l);
    const size_t ld = (size_t)group_size(l) * out_plane(l);
    conv_ws w;
    w.col = l->ws + wino_u_floats(l) + (size_t)t * ws_floats_per_thread(l);
    w.z = w.col + nn_round16(K * ld);
    w.du = w.col + scratch_floats(l);
    w.dw = w.du + du_floats(l);
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
        return nn_fail(err, NN_E_CONFIG,
                       "[%s] a %d x %d kernel does not fit its %s input "
                       "with padding %d",
                       c->name, c->size, c->size, nn_shape_text(in, t, sizeof t), c->padding);
    }
    l->out_shape = (nn_shape){ c->filters, ho, wo };
    const uint64_t F = (uint64_t)c->filters, k = (uint64_t)c->size;
    const uint64_t wdims[4] = { F, (uint64_t)in.c, k, k }, bdims[1] = { F };
    const size_t fan_in = (size_t)in.c * k * k, fan_out = (size_t)F * k * k;
    nn_layer_add_param(l, "W", 4, wdims, c->init, 1, fan_in, fan_out);
    if (c->bias)
        nn_layer_add_param(l, "b", 1, bdims, NN_INIT_ZEROS, 0, fan_in, fan_out);
    l->ws_size = wino_u_floats(l) + (size_t)l->threads * ws_floats_per_thread(l);
    return NN_OK;
}

void nn_conv_count_products(nn_layer *l, double t0, double flops)
{
    if (!l->profile)
        return;
    double dt = omp_get_wtime() - t0;
#pragma omp atomic
    l->gemm_seconds += dt;
#pragma omp atomic
    l->gemm_flops += flops;
}

/* The product C = A . B + beta C on this thread, counted when profiling. */
static void conv_gemm(nn_layer *l, nn_mat a, nn_mat b, float beta, nn_mat c)
{
    double t0 = l->profile ? omp_get_wtime() : 0.0;
    nn_gemm_1t(1.0f, a, b, beta, c);
    nn_conv_count_products(l, t0, 2.0 * (double)a.rows * a.cols * b.cols);
}

/* Samples [*lo, *hi) of thread t of T (contiguous shares, as schedule(static)). */
static void share(int B, int t, int T, int *lo, int *hi)
{
    *lo = (int)((long)B * t / T);
    *hi = (int)((long)B * (t + 1) / T);
}

/* Thread count for B samples. */
static int team(const nn_layer *l, int B) { return B < l->threads ? (B > 0 ? B : 1) : l->threads; }

/* dst [n] = act(src + b), in place when dst == src: bias and activation in
 * one pass while the row is in cache. */
static void bias_act_row(float *dst, const float *src, long n, float b, nn_activation act)
{
    if (act == NN_ACT_RELU) {
#pragma omp simd
        for (long p = 0; p < n; ++p) {
            const float v = src[p] + b;
            dst[p] = v > 0.0f ? v : 0.0f;
        }
        return;
    }
#pragma omp simd
    for (long p = 0; p < n; ++p)
        dst[p] = src[p] + b;
    if (act != NN_ACT_SOFTMAX) /* softmax spans the whole sample: forward_group */
        nn_activation_forward(act, dst, 1, (size_t)n);
}

/* The short-patch case (K <= NN_CONV_SMALL_K, one sample): conv_small.c. */
static int is_small(const nn_layer *l) { return patch_len(l) <= NN_CONV_SMALL_K; }

/* Sample b's patch matrix [K, HW]: x_b itself for a pointwise convolution,
 * else im2col into w->col (rows ld apart, at column offset i HW). */
static const float *sample_col(const nn_layer *l, const conv_ws *w, const float *x, int b, int i,
                               size_t ld)
{
    const nn_conv_geom g = geom(l);
    const float *xb = x + (size_t)b * l->in_dim;
    if (is_pointwise(&g))
        return xb;
    nn_im2col(&g, xb, w->col + (size_t)i * out_plane(l), ld);
    return w->col + (size_t)i * out_plane(l);
}

/* Forward of samples [b0, b0 + n) on this thread. */
static void forward_group(nn_layer *l, const conv_ws *w, const float *x, float *out, int b0, int n)
{
    const nn_conv_geom g = geom(l);
    const long F = l->cfg->filters, K = (long)patch_len(l), HW = (long)out_plane(l);
    const long ld = (long)group_size(l) * HW;
    const float *W = l->params[0].value;                          /* [F, K] */
    const float *bias = l->cfg->bias ? l->params[1].value : NULL; /* [F] */
    const nn_activation act = l->cfg->activation;
    if (is_small(l)) { /* n == 1 */
        const float *col = sample_col(l, w, x, b0, 0, (size_t)HW);
        double t0 = l->profile ? omp_get_wtime() : 0.0;
        float *y = l->absorbed ? w->z : out + (size_t)b0 * l->out_dim; /* [F, HW] */
        nn_conv_small_forward(W, bias, col, K, HW, F, act, y);
        nn_conv_count_products(l, t0, 2.0 * F * K * HW);
        for (long f = 0; l->absorbed && f < F; ++f) /* col is free: the pool's scratch */
            nn_conv_pool_plane(l, y + f * HW, b0, (int)f, w->col);
        return;
    }
    nn_mat col, z;
    if (is_pointwise(&g)) /* its input is the patch matrix */
        col = nn_mat_rm((float *)x + (size_t)b0 * l->in_dim, K, HW);
    else {
        for (int i = 0; i < n; ++i)
            sample_col(l, w, x, b0 + i, i, (size_t)ld);
        col = (nn_mat){ w->col, K, n * HW, ld, 1 };
    }
    /* One sample: the product lands in its output directly; several, or an
     * absorbed pool: in z, whose columns are then copied sample by sample
     * into NCHW (or pooled). */
    if (n == 1 && !l->absorbed)
        z = nn_mat_rm(out + (size_t)b0 * l->out_dim, F, HW);
    else
        z = (nn_mat){ w->z, F, n * HW, ld, 1 };
    conv_gemm(l, nn_mat_rm((float *)W, F, K), col, 0.0f, z);
    if (l->absorbed) { /* bias and activation in place, then the pool; col is its scratch */
        for (int i = 0; i < n; ++i)
            for (long f = 0; f < F; ++f) {
                float *zp = z.data + f * z.rs + i * HW;
                bias_act_row(zp, zp, HW, bias ? bias[f] : 0.0f, act);
                nn_conv_pool_plane(l, zp, b0 + i, (int)f, w->col);
            }
        return;
    }
    for (int i = 0; i < n; ++i) {                        /* plus bias, activation */
        float *yb = out + (size_t)(b0 + i) * l->out_dim; /* [F, HW] */
        for (long f = 0; f < F; ++f)
            bias_act_row(yb + f * HW, z.data + f * z.rs + i * HW, HW, bias ? bias[f] : 0.0f, act);
        if (act == NN_ACT_SOFTMAX) /* over all F HW outputs, as backward differentiates it */
            nn_activation_forward(act, yb, 1, l->out_dim);
    }
}

/* Forward with Winograd: the filters transformed once, then each thread
 * wino_group samples at a time. */
static void wino_forward(nn_layer *l, const float *x, float *out, int B)
{
    const nn_wino_geom g = wino_fwd(l);
    float *U = l->ws; /* [16][F][C] */
    nn_wino_filters(l->params[0].value, l->cfg->filters, l->in_shape.c, 0, U);
    const nn_wino_out o = {
        l->cfg->bias ? l->params[1].value : NULL, l->cfg->activation, 0, NULL, NULL, 0
    };
    const nn_layer *pool = l->absorbed;
    const int T = team(l, B), G = wino_group(&g);
#pragma omp parallel num_threads(T) if (T > 1)
    {
        const int t = omp_get_thread_num();
        const conv_ws w = thread_ws(l, t);
        int lo, hi;
        share(B, t, T, &lo, &hi);
        for (int b = lo; b < hi; b += G) {
            const int n = hi - b < G ? hi - b : G;
            nn_wino_out ob = o;
            if (pool) { /* its 2 x 2 windows are the output tiles */
                ob.pool_y = pool->out + (size_t)b * pool->out_dim;
                ob.pool_at = nn_maxpool_argmax(pool, (size_t)b * pool->out_shape.c);
                ob.pool_stride = pool->out_dim;
            }
            nn_wino_conv(l, &g, U, x + (size_t)b * l->in_dim, l->in_dim, n, w.col, &ob,
                         out + (size_t)b * l->out_dim, l->out_dim);
        }
    }
}

static void conv_forward(nn_layer *l, const float *const *inputs, float *out, int B,
                         const nn_ctx *ctx)
{
    (void)ctx;
    if (use_winograd(l)) {
        wino_forward(l, inputs[0], out, B);
        return;
    }
    const int T = team(l, B), G = group_size(l);
#pragma omp parallel num_threads(T) if (T > 1)
    {
        const int t = omp_get_thread_num();
        const conv_ws w = thread_ws(l, t);
        int lo, hi;
        share(B, t, T, &lo, &hi);
        for (int b = lo; b < hi; b += G)
            forward_group(l, &w, inputs[0], out, b, hi - b < G ? hi - b : G);
    }
}

/* Sum the per-thread dW and db into the parameter gradients (dW [F, K];
 * the threads' sums may be [K, F]). */
static void reduce_grads(nn_layer *l, int T)
{
    const size_t F = (size_t)l->cfg->filters, K = patch_len(l);
    float *dW = l->params[0].grad, *db = l->cfg->bias ? l->params[1].grad : NULL;
    const conv_ws w0 = thread_ws(l, 0);
    const size_t per = ws_floats_per_thread(l); /* thread t's sums: w0's + t per */
    if (dw_transposed(l)) {
        for (size_t f = 0; f < F; ++f)
            for (size_t k = 0; k < K; ++k) {
                float s = 0.0f;
                for (int t = 0; t < T; ++t)
                    s += w0.dw[t * per + k * F + f];
                dW[f * K + k] = s;
            }
    } else {
        memcpy(dW, w0.dw, F * K * sizeof(float));
        for (int t = 1; t < T; ++t)
            nn_grad_put(dW, w0.dw + t * per, F * K, 1);
    }
    if (db) {
        memcpy(db, w0.db, F * sizeof(float));
        for (int t = 1; t < T; ++t)
            nn_grad_put(db, w0.db + t * per, F, 1);
    }
}

/* The input gradient of sample b from dcol (col2im), stored or added. */
static void put_dx(const nn_layer *l, const float *dcol, size_t ld, float *dx, int b)
{
    const nn_conv_geom g = geom(l);
    float *dxb = dx + (size_t)b * l->in_dim;
    if (!l->din_add[0])
        memset(dxb, 0, l->in_dim * sizeof(float));
    nn_col2im_add(&g, (float *)dcol, ld, dxb);
}

static void wino_backward_dx(nn_layer *l, const conv_ws *w, const float *dout, float *dx, int lo,
                             int hi);

/* Backward of one sample with the direct kernels (K <= NN_CONV_SMALL_K). */
static void backward_small(nn_layer *l, const conv_ws *w, const float *x, const float *out,
                           float *dout, float *dx, int b)
{
    const nn_conv_geom g = geom(l);
    const long F = l->cfg->filters, K = (long)patch_len(l), HW = (long)out_plane(l);
    const float *W = l->params[0].value; /* [F, K] */
    float *dz = dout + (size_t)b * l->out_dim;
    if (l->absorbed) /* dZ from the pool's gradient */
        nn_conv_pool_grad(l, b, dz, (size_t)HW);
    const float *col = sample_col(l, w, x, b, 0, (size_t)HW);
    double t0 = l->profile ? omp_get_wtime() : 0.0;
    nn_conv_small_backward(out + (size_t)b * l->out_dim, dz, col, K, HW, F, l->cfg->activation,
                           l->dout_is_preact || l->absorbed, w->dw, w->db);
    nn_conv_count_products(l, t0, 2.0 * F * K * HW);
    if (!dx)
        return;
    nn_mat wt = nn_mat_t(nn_mat_rm((float *)W, F, K)), dzm = nn_mat_rm(dz, F, HW);
    if (is_pointwise(&g)) { /* dx_b [C, HW] (+)= W^T . dZ */
        conv_gemm(l, wt, dzm, l->din_add[0] ? 1.0f : 0.0f,
                  nn_mat_rm(dx + (size_t)b * l->in_dim, K, HW));
        return;
    }
    conv_gemm(l, wt, dzm, 0.0f, nn_mat_rm(w->col, K, HW));
    put_dx(l, w->col, (size_t)HW, dx, b);
}

/* dL/dZ of sample b into dz (planes fs apart): from the absorbed pool's
 * gradient, else in place in dout (dz is sample b's dout) through the
 * activation; and its bias sums into w->db. */
static void sample_dz(const nn_layer *l, const conv_ws *w, const float *out, int b, float *dz,
                      long fs)
{
    const long F = l->cfg->filters, HW = (long)out_plane(l);
    if (l->absorbed)
        nn_conv_pool_grad(l, b, dz, (size_t)fs);
    else if (!l->dout_is_preact)
        nn_activation_backward(l->cfg->activation, out + (size_t)b * l->out_dim, dz, 1, l->out_dim);
    for (long f = 0; f < F; ++f) {
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (long p = 0; p < HW; ++p)
            s += dz[f * fs + p];
        w->db[f] += s;
    }
}

/* Backward of samples [b0, b0 + n) on this thread: accumulate into w's dW
 * and db, write (or add to) dx. */
static void backward_group(nn_layer *l, const conv_ws *w, const float *x, const float *out,
                           float *dout, float *dx, int b0, int n)
{
    const nn_conv_geom g = geom(l);
    const long F = l->cfg->filters, K = (long)patch_len(l), HW = (long)out_plane(l);
    const long ld = (long)group_size(l) * HW;
    const float *W = l->params[0].value; /* [F, K] */
    const int pointwise = is_pointwise(&g), add = l->din_add[0];
    /* An absorbed pool's gradient becomes dZ straight in the group's matrix
     * (no copy), unless Winograd's input gradient reads dZ from dout later. */
    const int pool_to_z = l->absorbed && !pointwise && !use_winograd_dx(l);
    for (int i = 0; i < n; ++i) { /* dL/dZ, bias sums, and the group's dZ and col */
        float *dz = dout + (size_t)(b0 + i) * l->out_dim; /* [F, HW], or in z's columns */
        if (pool_to_z)
            dz = w->z + i * HW;
        sample_dz(l, w, out, b0 + i, dz, pool_to_z ? ld : HW);
        if (pointwise)
            continue;
        for (long f = 0; f < F && !pool_to_z; ++f)
            memcpy(w->z + f * ld + i * HW, dz + f * HW, (size_t)HW * sizeof(float));
        sample_col(l, w, x, b0 + i, i, (size_t)ld);
    }
    nn_mat dz, col;
    if (pointwise) {
        dz = nn_mat_rm(dout + (size_t)b0 * l->out_dim, F, HW);
        col = nn_mat_rm((float *)x + (size_t)b0 * l->in_dim, K, HW);
    } else {
        dz = (nn_mat){ w->z, F, n * HW, ld, 1 };
        col = (nn_mat){ w->col, K, n * HW, ld, 1 };
    }
    if (dw_transposed(l)) /* dW^T [K, F] += col [K, nHW] . dZ^T [nHW, F] */
        conv_gemm(l, col, nn_mat_t(dz), 1.0f, nn_mat_rm(w->dw, K, F));
    else /* dW [F, K] += dZ [F, nHW] . col^T [nHW, K] */
        conv_gemm(l, dz, nn_mat_t(col), 1.0f, nn_mat_rm(w->dw, F, K));
    if (!dx || use_winograd_dx(l)) /* Winograd: wino_backward_dx, after every group */
        return;
    nn_mat wt = nn_mat_t(nn_mat_rm((float *)W, F, K)); /* W^T [K, F] */
    if (pointwise) {                                   /* dx_b [C, HW] (+)= W^T . dZ */
        conv_gemm(l, wt, dz, add ? 1.0f : 0.0f, nn_mat_rm(dx + (size_t)b0 * l->in_dim, K, HW));
        return;
    }
    conv_gemm(l, wt, dz, 0.0f, col); /* dcol [K, nHW], over col (no longer needed) */
    for (int i = 0; i < n; ++i)
        put_dx(l, w->col + i * HW, (size_t)ld, dx, b0 + i);
}

/* Backward of samples [b0, b0 + n) with Winograd's gradients: dL/dZ in
 * place in dout and the bias sums, dZ and x transformed and the 16 products
 * summed into w->du (first: instead of it), then the input gradient of the
 * same samples while their dZ is near the cache. */
static void wino_backward_group(nn_layer *l, const conv_ws *w, const float *x, const float *out,
                                float *dout, float *dx, int b0, int n, int first)
{
    const long HW = (long)out_plane(l);
    for (int i = 0; i < n; ++i)
        sample_dz(l, w, out, b0 + i, dout + (size_t)(b0 + i) * l->out_dim, HW);
    const nn_wino_geom g = wino_fwd(l);
    nn_wino_dw(l, &g, x + (size_t)b0 * l->in_dim, l->in_dim, dout + (size_t)b0 * l->out_dim,
               l->out_dim, n, w->col, w->du, first);
    if (dx)
        wino_backward_dx(l, w, dout, dx, b0, b0 + n);
}

/* The input gradient of samples [lo, hi) with Winograd: dZ (in dout, after
 * backward_group) convolved with the rotated filters (in l->ws), wino_group
 * samples at a time. */
static void wino_backward_dx(nn_layer *l, const conv_ws *w, const float *dout, float *dx, int lo,
                             int hi)
{
    const nn_wino_geom g = wino_bwd(l);
    const nn_wino_out o = { NULL, NN_ACT_LINEAR, l->din_add[0], NULL, NULL, 0 };
    const int G = wino_group(&g);
    for (int b = lo; b < hi; b += G) {
        const int n = hi - b < G ? hi - b : G;
        nn_wino_conv(l, &g, l->ws, dout + (size_t)b * l->out_dim, l->out_dim, n, w->col, &o,
                     dx + (size_t)b * l->in_dim, l->in_dim);
    }
}

static void conv_backward(nn_layer *l, const float *const *inputs, const float *out, float *dout,
                          float *const *dins, int B, const nn_ctx *ctx)
{
    (void)ctx;
    const size_t F = (size_t)l->cfg->filters, K = patch_len(l);
    const int T = team(l, B), G = group_size(l), wino_dw = use_winograd_dw(l);
    const nn_wino_geom gf = wino_fwd(l);
    const int GW = wino_dw ? wino_group(&gf) : 1;
    if (use_winograd_dx(l) && dins[0]) /* the input gradient's filters [16][C][F] */
        nn_wino_filters(l->params[0].value, (int)F, l->in_shape.c, 1, l->ws);
#pragma omp parallel num_threads(T) if (T > 1)
    {
        const int t = omp_get_thread_num();
        const conv_ws w = thread_ws(l, t);
        memset(w.dw, 0, (F * K + F) * sizeof(float));
        int lo, hi;
        share(B, t, T, &lo, &hi);
        if (wino_dw) {
            for (int b = lo; b < hi; b += GW)
                wino_backward_group(l, &w, inputs[0], out, dout, dins[0], b,
                                    hi - b < GW ? hi - b : GW, b == lo);
            if (hi > lo) /* dW^T of this thread's samples (dW stays 0 without) */
                nn_wino_dw_filters(w.du, (int)F, l->in_shape.c, w.dw);
        } else
            for (int b = lo; b < hi; b += G)
                if (is_small(l))
                    backward_small(l, &w, inputs[0], out, dout, dins[0], b);
                else
                    backward_group(l, &w, inputs[0], out, dout, dins[0], b,
                                   hi - b < G ? hi - b : G);
        if (dins[0] && use_winograd_dx(l) && !wino_dw)
            wino_backward_dx(l, &w, dout, dins[0], lo, hi);
    }
    reduce_grads(l, T);
}

/* A max-pool fed only by this layer: conv_pool.c. */
static int conv_absorbs(const nn_layer *l, const nn_layer *next)
{
    return nn_conv_pool_fusable(l, next, use_winograd(l));
}

const nn_layer_ops nn_conv_ops = {
    .type = "conv",
    .doc = "2-D convolution (cross-correlation, as in PyTorch) of C x H x W inputs with "
           "`filters` kernels of C x `size` x `size`; output `filters` x H' x W' with "
           "H' = (H + 2 padding - size) / stride + 1. Weights `W` are stored "
           "[filters, C, size, size], biases `b` [filters].",
    .min_inputs = 1,
    .max_inputs = 1,
    .has_params = 1,
    .has_activation = 1,
    .setup = conv_setup,
    .forward = conv_forward,
    .backward = conv_backward,
    .absorbs = conv_absorbs,
};
