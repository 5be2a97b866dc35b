/* The convolution layer against a direct convolution (the readable
 * reference beside the fast path, as llm.c keeps one): forward output and
 * the gradients of W, b and the input, at the sizes real networks use (the
 * gradient checks use tiny images, which never reach the large-image code
 * paths: "same" padding's flat copies, the small-dimension products of a
 * 1-channel first layer, BLIS's blocking), on 1 and 2 threads. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/network.h"
#include "nn/core.h"
#include "testutil.h"

typedef struct conv_case {
    int c, h, w, filters, size, stride, padding, batch, threads, relu;
} conv_case;

static const conv_case cases[] = {
    { 1, 28, 28, 32, 3, 1, 1, 5, 1, 0 }, /* first layer: small-k / small-n loops, same padding */
    { 1, 28, 28, 32, 3, 1, 1, 5, 2, 0 },
    { 32, 14, 14, 64, 3, 1, 1, 3, 2, 0 }, /* BLIS, same padding */
    { 3, 9, 7, 4, 5, 2, 1, 4, 1, 0 },     /* general im2col: stride 2 */
    { 2, 10, 11, 3, 4, 3, 2, 2, 2, 0 },   /* even kernel, padding, stride 3 */
    { 8, 6, 6, 5, 1, 1, 0, 3, 1, 0 },     /* pointwise: x is its own col */
    { 1, 3, 2, 2, 5, 1, 2, 2, 1, 0 },     /* same padding on images smaller than the kernel */
    /* ReLU fused into the output pass and into backward's dL/dZ pass */
    { 1, 28, 28, 32, 3, 1, 1, 5, 2, 1 },  /* direct kernels (conv_small.c), 32 filters */
    { 1, 13, 11, 6, 3, 1, 1, 3, 1, 1 },   /* direct kernels: a filter tail, a short strip */
    { 2, 9, 9, 7, 2, 2, 0, 3, 1, 1 },     /* direct kernels with K = 8, stride 2 */
    { 16, 5, 5, 3, 1, 1, 0, 2, 1, 1 },    /* pointwise with K = 16: x is the direct kernel's col */
    { 32, 14, 14, 64, 3, 1, 1, 5, 2, 1 }, /* BLIS, groups of samples */
};

static double x_at(const conv_case *c, const float *x, int b, int ch, int i, int j)
{
    if (i < 0 || i >= c->h || j < 0 || j >= c->w)
        return 0.0;
    return x[(((size_t)b * c->c + ch) * c->h + i) * c->w + j];
}

START_TEST(conv_matches_direct_convolution)
{
    const conv_case *c = &cases[_i];
    char text[1024];
    snprintf(text, sizeof text,
             "[data]\ntrain = none.mat\n[conv]\ntype = conv\nfilters = %d\nsize = %d\n"
             "stride = %d\npadding = %d\nactivation = %s\n",
             c->filters, c->size, c->stride, c->padding, c->relu ? "relu" : "linear");
    static nn_config cfg;
    static nn_network net;
    nn_error err = { 0 };
    ck_assert_int_eq(
        nn_config_parse_flags(&cfg, "conv.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err), 0);
    ck_assert_msg(nn_network_build_threads(&net, &cfg, (nn_shape){ c->c, c->h, c->w }, c->batch,
                                           c->threads, &err) == 0,
                  "%s", err.msg);
    nn_network_init(&net, 3);
    nn_layer *l = &net.layers[0];
    float *bias = l->params[1].value;
    for (int f = 0; f < c->filters; ++f)
        bias[f] = nn_rng_uniform(5, 5, (uint64_t)f) - 0.5f;
    const int ho = l->out_shape.h, wo = l->out_shape.w, F = c->filters, k = c->size;
    const size_t nx = (size_t)c->batch * net.in_dim, ny = (size_t)c->batch * net.out_dim;
    float *x = malloc(nx * sizeof *x);
    for (size_t i = 0; i < nx; ++i)
        x[i] = 2.0f * nn_rng_uniform(6, 6, i) - 1.0f;
    net.dx = nn_alloc_floats(nx, &err);
    const float *y = nn_network_forward(&net, x, c->batch);
    const float *W = l->params[0].value; /* [F, C, k, k] */
    double worst = 0;
    for (int b = 0; b < c->batch; ++b)
        for (int f = 0; f < F; ++f)
            for (int i = 0; i < ho; ++i)
                for (int j = 0; j < wo; ++j) {
                    double s = bias[f];
                    for (int ch = 0; ch < c->c; ++ch)
                        for (int u = 0; u < k; ++u)
                            for (int v = 0; v < k; ++v)
                                s += W[((f * c->c + ch) * k + u) * k + v] *
                                     x_at(c, x, b, ch, i * c->stride - c->padding + u,
                                          j * c->stride - c->padding + v);
                    const size_t o = (((size_t)b * F + f) * ho + i) * wo + j;
                    if (c->relu && s < 0)
                        s = 0;
                    worst = fmax(worst, fabs(y[o] - s) / (1 + fabs(s)));
                }
    ck_assert_msg(worst < 1e-5, "forward differs by %g", worst);

    /* backward of L = sum(dy * y) for a random dy */
    for (size_t o = 0; o < ny; ++o)
        l->dout[o] = 2.0f * nn_rng_uniform(7, 7, o) - 1.0f;
    float *dy = malloc(ny * sizeof *dy);
    memcpy(dy, l->dout, ny * sizeof *dy);
    nn_network_backward(&net, x, c->batch, NULL);
    const size_t nw = l->params[0].size;
    double *dW = calloc(nw, sizeof *dW), *db = calloc((size_t)F, sizeof *db);
    double *dx = calloc(nx, sizeof *dx);
    for (int b = 0; b < c->batch; ++b)
        for (int f = 0; f < F; ++f)
            for (int i = 0; i < ho; ++i)
                for (int j = 0; j < wo; ++j) {
                    const size_t o = (((size_t)b * F + f) * ho + i) * wo + j;
                    const double g = c->relu && !(y[o] > 0.0f) ? 0.0 : dy[o];
                    db[f] += g;
                    for (int ch = 0; ch < c->c; ++ch)
                        for (int u = 0; u < k; ++u)
                            for (int v = 0; v < k; ++v) {
                                const int ii = i * c->stride - c->padding + u;
                                const int jj = j * c->stride - c->padding + v;
                                if (ii < 0 || ii >= c->h || jj < 0 || jj >= c->w)
                                    continue;
                                const size_t wi = (size_t)((f * c->c + ch) * k + u) * k + v;
                                const size_t xi = (((size_t)b * c->c + ch) * c->h + ii) * c->w + jj;
                                dW[wi] += g * x[xi];
                                dx[xi] += g * W[wi];
                            }
                }
    worst = 0;
    for (size_t i = 0; i < nw; ++i)
        worst = fmax(worst, fabs(l->params[0].grad[i] - dW[i]) / (1 + fabs(dW[i])));
    for (int f = 0; f < F; ++f)
        worst = fmax(worst, fabs(l->params[1].grad[f] - db[f]) / (1 + fabs(db[f])));
    for (size_t i = 0; i < nx; ++i)
        worst = fmax(worst, fabs(net.dx[i] - dx[i]) / (1 + fabs(dx[i])));
    ck_assert_msg(worst < 1e-4, "backward differs by %g", worst);
    free(x), free(dy), free(dW), free(db), free(dx);
    nn_free_aligned(net.dx);
    nn_network_free(&net);
    nn_config_free(&cfg);
}
END_TEST

/* Winograd F(2x2, 3x3) (conv_winograd.c) against the GEMM path: forward,
 * dW, db and dx of one network built twice from one config, with [train]
 * conv_algorithm = gemm and = winograd (Winograd's input and weight
 * gradients too).
 * Tolerance: Winograd's transforms have coefficients 0, +-1, +-1/2, so a
 * value differs from the GEMM's only by rounding, growing with the number
 * of terms: a few float32 ulps (6e-8) of the sum of |terms|, which is at
 * most 9 C |w| |x| (about 4 for these inputs in [-1, 1] and He weights).
 * 2e-5 of (1 + |reference|) leaves a margin of ~15x over what was measured
 * on these cases (at most 1.3e-6 for the output, 8.5e-7 for dx); a wrong
 * transform coefficient or a filter not rotated gives errors of 0.1 to 3
 * (both tried). dW sums over every output position, so it is compared
 * relative to its largest entry (measured: at most 5.3e-7; a wrong
 * coefficient in the weight gradient's G^T dU G fails 7 cases); db comes
 * from the same sums of dZ on both paths. */
typedef struct wino_case {
    int c, h, w, filters, padding, batch, threads, relu;
} wino_case;

static const wino_case wino_cases[] = {
    { 32, 14, 14, 64, 1, 5, 2, 1 },  /* the bench CNN's conv2: tiles of 16 samples and a tail */
    { 3, 7, 9, 5, 0, 1, 1, 0 },      /* odd sizes, no padding, one sample */
    { 17, 8, 6, 19, 1, 3, 1, 1 },    /* channels not multiples of anything */
    { 5, 5, 4, 7, 0, 2, 2, 0 },      /* odd output height, even width, 2 threads */
    { 2, 3, 3, 3, 1, 1, 1, 0 },      /* one tile row (K = 18: the smallest GEMM-path K) */
    { 20, 13, 11, 23, 1, 37, 2, 1 }, /* several groups of 16 per thread, odd output */
    { 16, 3, 3, 16, 0, 4, 1, 0 },    /* a 1 x 1 output */
};

/* Forward and backward of one conv layer; returns the network (caller frees). */
static void run_conv(const wino_case *c, const char *algo, nn_config *cfg, nn_network *net,
                     const float *x, const float *dy, float **y, float **dW, float **db, float **dx)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[data]\ntrain = none.mat\n[train]\nconv_algorithm = %s\n[conv]\ntype = conv\n"
             "filters = %d\nsize = 3\npadding = %d\nactivation = %s\n",
             algo, c->filters, c->padding, c->relu ? "relu" : "linear");
    nn_error err = { 0 };
    ck_assert_int_eq(
        nn_config_parse_flags(cfg, "conv.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err), 0);
    ck_assert_msg(nn_network_build_threads(net, cfg, (nn_shape){ c->c, c->h, c->w }, c->batch,
                                           c->threads, &err) == 0,
                  "%s", err.msg);
    nn_network_init(net, 3);
    nn_layer *l = &net->layers[0];
    for (int f = 0; f < c->filters; ++f)
        l->params[1].value[f] = nn_rng_uniform(5, 5, (uint64_t)f) - 0.5f;
    const size_t nx = (size_t)c->batch * net->in_dim, ny = (size_t)c->batch * net->out_dim;
    net->dx = nn_alloc_floats(nx, &err);
    *y = malloc(ny * sizeof **y);
    memcpy(*y, nn_network_forward(net, x, c->batch), ny * sizeof **y);
    memcpy(l->dout, dy, ny * sizeof *dy);
    nn_network_backward(net, x, c->batch, NULL);
    *dW = malloc(l->params[0].size * sizeof **dW);
    memcpy(*dW, l->params[0].grad, l->params[0].size * sizeof **dW);
    *db = malloc((size_t)c->filters * sizeof **db);
    memcpy(*db, l->params[1].grad, (size_t)c->filters * sizeof **db);
    *dx = malloc(nx * sizeof **dx);
    memcpy(*dx, net->dx, nx * sizeof **dx);
}

/* max |a - b| / (1 + |b|), or / (1 + max |b|) when scaled */
static double worst_diff(const float *a, const float *b, size_t n, int scaled)
{
    double big = 0, worst = 0;
    for (size_t i = 0; i < n && scaled; ++i)
        big = fmax(big, fabs(b[i]));
    for (size_t i = 0; i < n; ++i)
        worst = fmax(worst, fabs(a[i] - b[i]) / (1 + (scaled ? big : fabs(b[i]))));
    return worst;
}

START_TEST(winograd_matches_gemm)
{
    const wino_case *c = &wino_cases[_i];
    const size_t nx = (size_t)c->batch * c->c * c->h * c->w;
    const size_t ny =
        (size_t)c->batch * c->filters * (c->h + 2 * c->padding - 2) * (c->w + 2 * c->padding - 2);
    float *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    for (size_t i = 0; i < nx; ++i)
        x[i] = 2.0f * nn_rng_uniform(6, 6, i) - 1.0f;
    for (size_t o = 0; o < ny; ++o)
        dy[o] = 2.0f * nn_rng_uniform(7, 7, o) - 1.0f;
    static nn_config cfg[2];
    static nn_network net[2];
    float *y[2], *dW[2], *db[2], *dx[2];
    const char *algo[2] = { "gemm", "winograd" };
    for (int k = 0; k < 2; ++k)
        run_conv(c, algo[k], &cfg[k], &net[k], x, dy, &y[k], &dW[k], &db[k], &dx[k]);
    const size_t nw = net[0].layers[0].params[0].size;
    const double tol = 2e-5;
    const double ey = worst_diff(y[1], y[0], ny, 0), ex = worst_diff(dx[1], dx[0], nx, 0);
    const double ew = worst_diff(dW[1], dW[0], nw, 1);
    const double eb = worst_diff(db[1], db[0], (size_t)c->filters, 1);
    ck_assert_msg(ey < tol, "forward differs by %g", ey);
    ck_assert_msg(ex < tol, "dx differs by %g", ex);
    ck_assert_msg(ew < tol, "dW differs by %g", ew);
    ck_assert_msg(eb < tol, "db differs by %g", eb);
    for (int k = 0; k < 2; ++k) {
        free(y[k]), free(dW[k]), free(db[k]), free(dx[k]);
        nn_free_aligned(net[k].dx);
        nn_network_free(&net[k]);
        nn_config_free(&cfg[k]);
    }
    free(x), free(dy);
}
END_TEST

/* A convolution absorbing the max-pool it feeds (conv_pool.c, and
 * Winograd's pooled output tiles) against the two layers run apart
 * ([train] fuse_layers = false): the pool's output, dW, db and dx must be
 * the same bits. Weights and inputs are multiples of 1/8 and 1/4, so
 * many windows hold equal values (positive ones too, and ReLU's zeros):
 * the tie rules are exercised, not only random maxima. */
typedef struct fuse_case {
    int c, h, w, filters, size, padding, pool, pool_stride, ceil, batch, threads, relu;
    const char *algo;
} fuse_case;

static const fuse_case fuse_cases[] = {
    { 1, 28, 28, 32, 3, 1, 2, 2, 0, 5, 2, 1, "auto" },  /* direct kernels (the bench's conv1) */
    { 32, 14, 14, 64, 3, 1, 2, 2, 0, 5, 2, 1, "auto" }, /* Winograd's pooled tiles (conv2) */
    { 32, 14, 14, 64, 3, 1, 2, 2, 0, 5, 2, 1, "gemm" }, /* groups of samples through BLIS */
    { 20, 13, 11, 23, 3, 1, 2, 2, 0, 37, 2, 1, "winograd" }, /* odd sizes: tiles dropped */
    { 9, 7, 9, 10, 3, 0, 2, 2, 0, 3, 1, 0, "winograd" },     /* no activation, odd output */
    { 3, 12, 12, 8, 3, 1, 3, 2, 1, 4, 2, 1, "gemm" }, /* a 3 x 3 pool at stride 2, ceil mode */
    { 8, 6, 6, 5, 1, 0, 2, 2, 0, 3, 1, 1, "auto" },   /* pointwise, direct kernels */
    { 24, 6, 6, 5, 1, 0, 2, 2, 0, 3, 1, 0, "auto" },  /* pointwise through BLIS */
};

/* Pool output, dW, db and dx of conv -> maxpool, fused or not. */
static void run_conv_pool(const fuse_case *c, int fuse, nn_config *cfg, nn_network *net,
                          const float *x, float **y, float **dW, float **db, float **dx)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[data]\ntrain = none.mat\n[train]\nconv_algorithm = %s\nfuse_layers = %s\n"
             "[conv]\ntype = conv\nfilters = %d\nsize = %d\npadding = %d\nactivation = %s\n"
             "[pool]\ntype = maxpool\nsize = %d\nstride = %d\nceil_mode = %s\n",
             c->algo, fuse ? "true" : "false", c->filters, c->size, c->padding,
             c->relu ? "relu" : "linear", c->pool, c->pool_stride, c->ceil ? "true" : "false");
    nn_error err = { 0 };
    ck_assert_int_eq(
        nn_config_parse_flags(cfg, "fuse.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err), 0);
    ck_assert_msg(nn_network_build_threads(net, cfg, (nn_shape){ c->c, c->h, c->w }, c->batch,
                                           c->threads, &err) == 0,
                  "%s", err.msg);
    ck_assert_msg((net->layers[0].absorbed != NULL) == fuse, "fused: %d, asked: %d",
                  net->layers[0].absorbed != NULL, fuse);
    nn_layer *conv = &net->layers[0], *pool = &net->layers[1];
    for (size_t i = 0; i < conv->params[0].size; ++i) /* -2/8 .. 2/8 */
        conv->params[0].value[i] = (float)((int)(nn_rng_uniform(8, 8, i) * 5.0f) - 2) / 8.0f;
    for (int f = 0; f < c->filters; ++f)
        conv->params[1].value[f] =
            (float)((int)(nn_rng_uniform(5, 5, (uint64_t)f) * 5.0f) - 2) / 4.0f;
    const size_t nx = (size_t)c->batch * net->in_dim, ny = (size_t)c->batch * net->out_dim;
    net->dx = nn_alloc_floats(nx, &err);
    *y = malloc(ny * sizeof **y);
    memcpy(*y, nn_network_forward(net, x, c->batch), ny * sizeof **y);
    for (size_t o = 0; o < ny; ++o)
        pool->dout[o] = 2.0f * nn_rng_uniform(7, 7, o) - 1.0f;
    nn_network_backward(net, x, c->batch, NULL);
    *dW = malloc(conv->params[0].size * sizeof **dW);
    memcpy(*dW, conv->params[0].grad, conv->params[0].size * sizeof **dW);
    *db = malloc((size_t)c->filters * sizeof **db);
    memcpy(*db, conv->params[1].grad, (size_t)c->filters * sizeof **db);
    *dx = malloc(nx * sizeof **dx);
    memcpy(*dx, net->dx, nx * sizeof **dx);
}

START_TEST(fused_pool_same_bits)
{
    const fuse_case *c = &fuse_cases[_i];
    const size_t nx = (size_t)c->batch * c->c * c->h * c->w;
    float *x = malloc(nx * sizeof *x);
    for (size_t i = 0; i < nx; ++i) /* -1 .. 1 in steps of 1/4 */
        x[i] = (float)((int)(nn_rng_uniform(6, 6, i) * 9.0f) - 4) / 4.0f;
    static nn_config cfg[2];
    static nn_network net[2];
    float *y[2], *dW[2], *db[2], *dx[2];
    for (int k = 0; k < 2; ++k)
        run_conv_pool(c, k, &cfg[k], &net[k], x, &y[k], &dW[k], &db[k], &dx[k]);
    const size_t ny = (size_t)c->batch * net[0].out_dim, nw = net[0].layers[0].params[0].size;
    size_t zeros = 0;
    for (size_t o = 0; o < ny; ++o)
        zeros += y[0][o] == 0.0f;
    ck_assert_msg(!c->relu || (zeros > 0 && zeros < ny), "no ReLU zeros to tie: %zu of %zu", zeros,
                  ny);
    ck_assert_msg(memcmp(y[0], y[1], ny * sizeof(float)) == 0, "pool output differs");
    ck_assert_msg(memcmp(dW[0], dW[1], nw * sizeof(float)) == 0, "dW differs");
    ck_assert_msg(memcmp(db[0], db[1], (size_t)c->filters * sizeof(float)) == 0, "db differs");
    ck_assert_msg(memcmp(dx[0], dx[1], nx * sizeof(float)) == 0, "dx differs");
    for (int k = 0; k < 2; ++k) {
        free(y[k]), free(dW[k]), free(db[k]), free(dx[k]);
        nn_free_aligned(net[k].dx);
        nn_network_free(&net[k]);
        nn_config_free(&cfg[k]);
    }
    free(x);
}
END_TEST

/* When a convolution keeps its pool apart: its output feeds another layer
 * too, or Winograd computes it and the pool's windows are not its 2 x 2
 * tiles, or its activation does not commute with the maximum. */
START_TEST(fusion_only_where_it_holds)
{
    static const char *const nets[] = {
        "[c]\ntype = conv\nfilters = 4\nactivation = relu\n[p]\ntype = maxpool\n"
        "[q]\ntype = maxpool\ninput = c\n[s]\ntype = concat\ninput = p, q\n",
        "[c]\ntype = conv\nfilters = 8\npadding = 1\nactivation = relu\n"
        "[p]\ntype = maxpool\nsize = 3\nstride = 2\n",
        "[c]\ntype = conv\nfilters = 8\npadding = 1\nactivation = sigmoid\n"
        "[p]\ntype = maxpool\n",
        "[c]\ntype = conv\nfilters = 8\npadding = 1\nactivation = relu\n"
        "[p]\ntype = avgpool\n",
    };
    char text[1024];
    snprintf(text, sizeof text, "[data]\ntrain = none.mat\n%s", nets[_i]);
    static nn_config cfg;
    static nn_network net;
    nn_error err = { 0 };
    ck_assert_int_eq(
        nn_config_parse_flags(&cfg, "keep.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err), 0);
    ck_assert_msg(nn_network_build_threads(&net, &cfg, (nn_shape){ 8, 8, 8 }, 2, 1, &err) == 0,
                  "%s", err.msg);
    for (int i = 0; i < net.n_layers; ++i)
        ck_assert_msg(!net.layers[i].absorbed && !net.layers[i].absorbed_by, "[%s] fused",
                      net.layers[i].cfg->name);
    nn_network_free(&net);
    nn_config_free(&cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conv");
    TCase *tc = tcase_create("reference");
    tcase_add_loop_test(tc, conv_matches_direct_convolution, 0,
                        (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    TCase *tw = tcase_create("winograd");
    tcase_add_loop_test(tw, winograd_matches_gemm, 0,
                        (int)(sizeof wino_cases / sizeof wino_cases[0]));
    suite_add_tcase(s, tw);
    TCase *tf = tcase_create("fusion");
    tcase_add_loop_test(tf, fused_pool_same_bits, 0,
                        (int)(sizeof fuse_cases / sizeof fuse_cases[0]));
    tcase_add_loop_test(tf, fusion_only_where_it_holds, 0, 4);
    suite_add_tcase(s, tf);
    return nn_test_run_suite(s);
}
