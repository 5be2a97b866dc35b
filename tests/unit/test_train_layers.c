/* Training-time behaviour the gradient checks do not see: dropout masks as
 * a function of (seed, epoch, sample id) only, their rate and scaling;
 * batch norm's use of the sum-over-ranks hook (called by every rank, even
 * one without samples), its running statistics and evaluation mode; the
 * 2 x 2 max-pool's vector kernels against plain loops; batch norm absorbing
 * its max-pool against the two layers apart. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/network.h"
#include "nn/core.h"
#include "testutil.h"

static nn_config cfg;
static nn_network net;

static void build(const char *layers, nn_shape in, int max_batch)
{
    char text[2048];
    snprintf(text, sizeof text, "[data]\ntrain = none.mat\n%s", layers);
    nn_error err = { 0 };
    ck_assert_int_eq(
        nn_config_parse_flags(&cfg, "t.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err), 0);
    ck_assert_msg(nn_network_build_threads(&net, &cfg, in, max_batch, 1, &err) == 0, "%s", err.msg);
    nn_network_init(&net, 1);
}

static void teardown(void)
{
    nn_network_free(&net);
    nn_config_free(&cfg);
}

enum { D = 4000 };

START_TEST(dropout_mask_depends_on_sample_id_not_row)
{
    build("[d]\ntype = dropout\nrate = 0.25\n", (nn_shape){ D, 1, 1 }, 4);
    float *x = malloc(4 * D * sizeof *x), *y = malloc(4 * D * sizeof *y);
    for (int i = 0; i < 4 * D; ++i)
        x[i] = 1.0f + nn_rng_uniform(2, 2, (uint64_t)i);
    size_t ids[4] = { 70, 3, 9, 11 };
    nn_ctx ctx = { 1, 5, 2, ids, NULL, NULL, NULL };
    memcpy(y, nn_network_forward_ctx(&net, x, 4, &ctx), 4 * D * sizeof *y);
    /* Sample 9 alone, in row 0 of another batch: the same values. */
    size_t one[1] = { 9 };
    ctx.sample_ids = one;
    const float *z = nn_network_forward_ctx(&net, x + 2 * D, 1, &ctx);
    ck_assert_mem_eq(z, y + 2 * D, D * sizeof *z);
    /* Rate and scaling: dropped values are 0, kept ones x / 0.75. */
    int dropped = 0;
    for (int i = 0; i < 4 * D; ++i) {
        if (y[i] == 0.0f)
            dropped++;
        else
            ck_assert_float_eq_tol(y[i], x[i] / 0.75f, 1e-6f);
    }
    ck_assert_double_eq_tol(dropped / (4.0 * D), 0.25, 0.015);
    /* Another epoch or seed: another mask. */
    ctx.epoch = 3;
    z = nn_network_forward_ctx(&net, x + 2 * D, 1, &ctx);
    ck_assert(memcmp(z, y + 2 * D, D * sizeof *z) != 0);
    /* Evaluation passes values through. */
    z = nn_network_forward(&net, x, 4);
    ck_assert_mem_eq(z, x, 4 * D * sizeof *z);
    free(x), free(y);
    teardown();
}
END_TEST

/* A stand-in for the sum over 2 ranks that hold the same data: doubles. */
static int sum_calls;
static void sum_twice(float *buf, size_t n)
{
    sum_calls++;
    for (size_t i = 0; i < n; ++i)
        buf[i] *= 2.0f;
}

START_TEST(batchnorm_uses_the_sum_over_ranks)
{
    enum { B = 4, C = 3, N = 16 };
    build("[bn]\ntype = batchnorm\nmomentum = 0.1\n", (nn_shape){ C, 4, 4 }, B);
    float x[B * C * N], y1[B * C * N];
    for (int i = 0; i < B * C * N; ++i)
        x[i] = 3.0f * nn_rng_uniform(4, 4, (uint64_t)i) + (float)(i / N % C);
    nn_ctx alone = { 1, 1, 0, NULL, NULL, NULL, NULL };
    memcpy(y1, nn_network_forward_ctx(&net, x, B, &alone), sizeof y1);
    /* Each channel comes out with mean 0 and (biased) variance 1. */
    for (int c = 0; c < C; ++c) {
        double s = 0, s2 = 0;
        for (int b = 0; b < B; ++b)
            for (int i = 0; i < N; ++i) {
                double v = y1[(b * C + c) * N + i];
                s += v, s2 += v * v;
            }
        ck_assert_double_eq_tol(s / (B * N), 0.0, 1e-5);
        ck_assert_double_eq_tol(s2 / (B * N), 1.0, 1e-3);
    }
    /* Two ranks holding the same batch have the same statistics, so the
     * same output; the hook is called twice in forward (mean, variance). */
    nn_ctx two = { 1, 1, 0, NULL, sum_twice, NULL, NULL };
    sum_calls = 0;
    const float *y2 = nn_network_forward_ctx(&net, x, B, &two);
    for (int i = 0; i < B * C * N; ++i)
        ck_assert_float_eq_tol(y2[i], y1[i], 1e-5f);
    ck_assert_int_eq(sum_calls, 2);
    /* A rank without samples still takes part (forward and backward). */
    float dx[1];
    net.dx = dx;
    sum_calls = 0;
    nn_network_forward_ctx(&net, x, 0, &two);
    nn_network_backward(&net, x, 0, &two);
    ck_assert_int_eq(sum_calls, 3);
    net.dx = NULL;
    teardown();
}
END_TEST

/* Batch norm over the layer's threads (channels shared out, planes shared
 * out) gives the bits of one thread: forward, dgamma, dbeta and dx, with
 * ReLU fused into its passes, another activation, and none. */
START_TEST(batchnorm_threads_same_bits)
{
    static const char *const acts[] = { "relu", "tanh", "linear" };
    enum { B = 8, C = 5, H = 48, W = 47 }; /* 90,240 values: above NN_OMP_MIN (65,536) */
    const size_t nx = (size_t)B * C * H * W;
    float *x = malloc(nx * sizeof *x), *want[4] = { 0 };
    for (size_t i = 0; i < nx; ++i)
        x[i] = 3.0f * nn_rng_uniform(4, 5, i) - 1.0f + (float)(i / (H * W) % C);
    char text[256];
    snprintf(text, sizeof text,
             "[data]\ntrain = none.mat\n[bn]\ntype = batchnorm\nactivation = %s\n", acts[_i]);
    for (int threads = 1; threads <= 2; ++threads) {
        nn_error err = { 0 };
        ck_assert_int_eq(
            nn_config_parse_flags(&cfg, "t.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err), 0);
        ck_assert_msg(
            nn_network_build_threads(&net, &cfg, (nn_shape){ C, H, W }, B, threads, &err) == 0,
            "%s", err.msg);
        nn_network_init(&net, 1);
        net.dx = nn_alloc_floats(nx, &err);
        nn_ctx train = { 1, 1, 0, NULL, NULL, NULL, NULL };
        const float *y = nn_network_forward_ctx(&net, x, B, &train);
        float *got[4] = { malloc(nx * sizeof(float)), malloc(C * sizeof(float)),
                          malloc(C * sizeof(float)), malloc(nx * sizeof(float)) };
        memcpy(got[0], y, nx * sizeof(float));
        for (size_t i = 0; i < nx; ++i)
            net.layers[0].dout[i] = 2.0f * nn_rng_uniform(6, 5, i) - 1.0f;
        nn_network_backward(&net, x, B, &train);
        memcpy(got[1], net.layers[0].params[0].grad, C * sizeof(float));
        memcpy(got[2], net.layers[0].params[1].grad, C * sizeof(float));
        memcpy(got[3], net.dx, nx * sizeof(float));
        const size_t size[4] = { nx, C, C, nx };
        for (int k = 0; k < 4; ++k) {
            if (threads == 1)
                want[k] = got[k];
            else {
                ck_assert_msg(memcmp(want[k], got[k], size[k] * sizeof(float)) == 0,
                              "%s: array %d differs on 2 threads", acts[_i], k);
                free(got[k]);
            }
        }
        nn_free_aligned(net.dx);
        net.dx = NULL;
        teardown();
    }
    for (int k = 0; k < 4; ++k)
        free(want[k]);
    free(x);
}
END_TEST

START_TEST(batchnorm_running_statistics)
{
    enum { B = 5, C = 2 };
    build("[bn]\ntype = batchnorm\nmomentum = 0.25\neps = 0.001\n", (nn_shape){ C, 1, 1 }, B);
    float x[B * C];
    for (int i = 0; i < B * C; ++i)
        x[i] = (float)(i * i % 7) + (float)(i % C) * 10.0f;
    nn_ctx train = { 1, 1, 0, NULL, NULL, NULL, NULL };
    nn_network_forward_ctx(&net, x, B, &train);
    const nn_layer *l = &net.layers[0];
    for (int c = 0; c < C; ++c) {
        double m = 0, v = 0;
        for (int b = 0; b < B; ++b)
            m += x[b * C + c] / (double)B;
        for (int b = 0; b < B; ++b)
            v += (x[b * C + c] - m) * (x[b * C + c] - m) / (B - 1); /* unbiased */
        ck_assert_float_eq_tol(l->params[2].value[c], 0.25 * m, 1e-5);
        ck_assert_float_eq_tol(l->params[3].value[c], 0.75 + 0.25 * v, 1e-4);
    }
    /* Evaluation normalises with the running statistics. */
    const float *y = nn_network_forward(&net, x, B);
    for (int b = 0; b < B; ++b)
        for (int c = 0; c < C; ++c) {
            const double want =
                (x[b * C + c] - l->params[2].value[c]) / sqrt(l->params[3].value[c] + 0.001);
            ck_assert_float_eq_tol(y[b * C + c], want, 1e-4);
        }
    teardown();
}
END_TEST

/* Ceil mode (PyTorch's ceil_mode=True): output sizes, including the rule
 * that the last window must start inside the input or its left padding,
 * and the values of clipped windows (max over the cells inside; the mean
 * divides by the cells inside the padded input, as PyTorch). */
static int pooled_side(const char *kind, int n, int size, int stride, int pad, int ceil_mode)
{
    char text[256];
    snprintf(text, sizeof text,
             "[p]\ntype = %s\nsize = %d\nstride = %d\npadding = %d\nceil_mode = %s\n", kind, size,
             stride, pad, ceil_mode ? "true" : "false");
    build(text, (nn_shape){ 1, n, n }, 1);
    const int side = net.layers[0].out_shape.h;
    ck_assert_int_eq(net.layers[0].out_shape.w, side);
    teardown();
    return side;
}

START_TEST(pooling_ceil_mode_sizes)
{
    /* {n, size, stride, padding, floor side, ceil side}, checked against
     * torch.nn.functional.max_pool2d(..., ceil_mode=True) */
    static const int cases[][6] = {
        { 4, 3, 2, 0, 1, 2 },     { 8, 3, 2, 0, 3, 4 },    { 7, 3, 2, 0, 3, 3 },
        { 5, 2, 2, 1, 3, 3 },     { 6, 2, 2, 0, 3, 3 },    { 5, 2, 2, 0, 2, 3 },
        { 111, 3, 2, 0, 55, 55 }, { 55, 3, 2, 0, 27, 27 }, { 27, 3, 2, 0, 13, 13 },
        { 63, 3, 2, 0, 31, 31 },  { 31, 3, 2, 0, 15, 15 }, { 15, 3, 2, 0, 7, 7 },
        { 71, 3, 2, 0, 35, 35 },  { 35, 3, 2, 0, 17, 17 }, { 17, 3, 2, 0, 8, 8 },
        { 4, 3, 2, 1, 2, 3 },     { 10, 4, 3, 1, 3, 4 },   { 3, 3, 3, 0, 1, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const int *c = cases[i];
        for (int avg = 0; avg < 2; ++avg) {
            const char *kind = avg ? "avgpool" : "maxpool";
            ck_assert_msg(pooled_side(kind, c[0], c[1], c[2], c[3], 0) == c[4],
                          "%s n %d size %d stride %d pad %d: floor side", kind, c[0], c[1], c[2],
                          c[3]);
            ck_assert_msg(pooled_side(kind, c[0], c[1], c[2], c[3], 1) == c[5],
                          "%s n %d size %d stride %d pad %d: ceil side", kind, c[0], c[1], c[2],
                          c[3]);
        }
    }
}
END_TEST

START_TEST(pooling_ceil_mode_values)
{
    float x[16]; /* 1 x 4 x 4: 0 .. 15 */
    for (int i = 0; i < 16; ++i)
        x[i] = (float)i;
    build("[p]\ntype = maxpool\nsize = 3\nstride = 2\nceil_mode = true\n", (nn_shape){ 1, 4, 4 },
          1);
    const float *y = nn_network_forward(&net, x, 1);
    const float max_want[4] = { 10, 11, 14, 15 };
    for (int i = 0; i < 4; ++i)
        ck_assert_float_eq(y[i], max_want[i]);
    teardown();
    build("[p]\ntype = avgpool\nsize = 3\nstride = 2\nceil_mode = true\n", (nn_shape){ 1, 4, 4 },
          1);
    y = nn_network_forward(&net, x, 1);
    /* windows of 9, 6, 6 and 4 cells */
    const float avg_want[4] = { 45.0f / 9, 39.0f / 6, 66.0f / 6, 50.0f / 4 };
    for (int i = 0; i < 4; ++i)
        ck_assert_float_eq_tol(y[i], avg_want[i], 1e-5);
    teardown();
    build("[p]\ntype = avgpool\nsize = 3\nstride = 2\npadding = 1\nceil_mode = true\n",
          (nn_shape){ 1, 4, 4 }, 1);
    y = nn_network_forward(&net, x, 1);                 /* 3 x 3: windows start at -1, 1, 3 */
    ck_assert_float_eq_tol(y[0], 10.0f / 9, 1e-5);      /* the padding counts */
    ck_assert_float_eq_tol(y[8], 15.0f / 4, 1e-5);      /* rows and columns 3 .. 4 (4 is padding) */
    ck_assert_float_eq_tol(y[2], (3 + 7) / 6.0f, 1e-5); /* rows -1 .. 1, columns 3 .. 4 */
    teardown();
}
END_TEST

/* The 2 x 2 max-pool's vector kernels (maxpool.c) against plain loops:
 * the maxima, where they are (ties: left column, then top row), and the
 * input gradient, stored and, where the input feeds two pools, added. Row
 * widths cover whole vectors of 8 outputs, a tail, and rows shorter than
 * one vector; odd sides leave a row and a column no window covers. Values
 * are multiples of 1/2 in [-2, 2], so ties are common. */
START_TEST(maxpool_2x2_matches_loops)
{
    static const int sides[][2] = {
        { 28, 28 }, { 14, 14 }, { 7, 7 }, { 13, 33 }, { 2, 2 }, { 5, 3 }
    };
    const int B = 2, C = 3, h = sides[_i][0], w = sides[_i][1], ho = h / 2, wo = w / 2;
    const size_t nx = (size_t)B * C * h * w, ny = (size_t)B * C * ho * wo;
    float *x = malloc(nx * sizeof *x), *dx = malloc(nx * sizeof *dx);
    float *want_dx = calloc(nx, sizeof *want_dx);
    for (size_t i = 0; i < nx; ++i)
        x[i] = (float)((int)(nn_rng_uniform(11, 1, i) * 9.0f) - 4) / 2.0f;
    /* two pools of the same input, concatenated: the second adds to dx */
    build("[p]\ntype = maxpool\n[q]\ntype = maxpool\ninput = input\n"
          "[s]\ntype = concat\ninput = p, q\n",
          (nn_shape){ C, h, w }, B);
    nn_error err = { 0 };
    net.dx = nn_alloc_floats(nx, &err);
    const float *y = nn_network_forward(&net, x, B);
    nn_layer *last = nn_network_output_layer(&net);
    for (size_t o = 0; o < 2 * ny; ++o)
        last->dout[o] = 2.0f * nn_rng_uniform(12, 1, o) - 1.0f;
    for (int b = 0; b < B; ++b)
        for (int c = 0; c < C; ++c) {
            const float *xp = x + ((size_t)b * C + c) * h * w;
            for (int i = 0; i < ho; ++i)
                for (int j = 0; j < wo; ++j) {
                    int best = 2 * i * w + 2 * j;
                    for (int dj = 0; dj < 2; ++dj) /* column by column, top row first */
                        for (int di = 0; di < 2; ++di)
                            if (xp[(2 * i + di) * w + 2 * j + dj] > xp[best])
                                best = (2 * i + di) * w + 2 * j + dj;
                    const size_t o = (((size_t)b * 2 * C + c) * ho + i) * wo + j;
                    ck_assert_msg(y[o] == xp[best] && y[o + (size_t)C * ho * wo] == xp[best],
                                  "max of window (%d, %d)", i, j);
                    const int32_t *at = (const int32_t *)(const void *)net.layers[0].aux;
                    ck_assert_int_eq(at[(((size_t)b * C + c) * ho + i) * wo + j], best);
                    want_dx[((size_t)b * C + c) * h * w + best] +=
                        last->dout[o] + last->dout[o + (size_t)C * ho * wo];
                }
        }
    for (size_t i = 0; i < nx; ++i) /* the first pool stores: every cell, covered or not */
        net.dx[i] = NAN;
    nn_network_backward(&net, x, B, NULL);
    memcpy(dx, net.dx, nx * sizeof *dx);
    for (size_t i = 0; i < nx; ++i)
        ck_assert_msg(fabsf(dx[i] - want_dx[i]) <= 1e-6f, "dx[%zu] = %g, want %g", i, dx[i],
                      want_dx[i]);
    nn_free_aligned(net.dx);
    teardown();
    free(x), free(dx), free(want_dx);
}
END_TEST

/* Batch norm absorbing the max-pool it feeds (batchnorm.c, "A max-pool
 * absorbed") against the two layers run apart ([train] fuse_layers =
 * false): the pool's output and argmax, dgamma, dbeta, dx and the running
 * statistics must be the same bits, in training (batch statistics, summed
 * through a sum-over-ranks hook) and in evaluation (running statistics).
 * Inputs are multiples of 1/4, so many windows hold equal values (ReLU's
 * zeros and positive ones): the tie rules are exercised. */
typedef struct bnpool_case {
    int c, h, w, pool, stride, ceil, batch, threads, relu;
} bnpool_case;

static const bnpool_case bnpool_cases[] = {
    { 8, 28, 28, 2, 2, 0, 12, 2, 1 }, /* the MNIST CNN's first block, above NN_OMP_MIN */
    { 8, 28, 28, 2, 2, 0, 12, 1, 1 },
    { 5, 13, 11, 2, 2, 0, 7, 2, 1 },  /* odd sizes: the last row and column dropped */
    { 3, 9, 7, 2, 2, 0, 4, 1, 0 },    /* no activation */
    { 4, 12, 12, 3, 2, 1, 5, 2, 1 },  /* a 3 x 3 pool at stride 2, ceil mode: windows overlap */
    { 6, 11, 11, 3, 2, 1, 30, 2, 0 }, /* the same, odd, no activation, above NN_OMP_MIN */
};

enum { BNP_Y, BNP_AT, BNP_DGAMMA, BNP_DBETA, BNP_DX, BNP_MEAN, BNP_VAR, BNP_N };

static void sum_same(float *buf, size_t n) /* two ranks holding the same share */
{
    for (size_t i = 0; i < n; ++i)
        buf[i] *= 2.0f;
}

/* One forward and backward of batchnorm -> maxpool, fused or not; got[k]
 * (BNP_N arrays, malloc'd) and their sizes in floats. */
static void run_bn_pool(const bnpool_case *c, int fuse, int training, const float *x, float **got,
                        size_t *size)
{
    char text[512];
    snprintf(text, sizeof text,
             "[data]\ntrain = none.mat\n[train]\nfuse_layers = %s\n"
             "[bn]\ntype = batchnorm\nmomentum = 0.25\nactivation = %s\n"
             "[pool]\ntype = maxpool\nsize = %d\nstride = %d\nceil_mode = %s\n",
             fuse ? "true" : "false", c->relu ? "relu" : "linear", c->pool, c->stride,
             c->ceil ? "true" : "false");
    nn_error err = { 0 };
    ck_assert_int_eq(
        nn_config_parse_flags(&cfg, "t.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err), 0);
    ck_assert_msg(nn_network_build_threads(&net, &cfg, (nn_shape){ c->c, c->h, c->w }, c->batch,
                                           c->threads, &err) == 0,
                  "%s", err.msg);
    ck_assert_msg((net.layers[0].absorbed != NULL) == fuse, "fused: %d, asked: %d",
                  net.layers[0].absorbed != NULL, fuse);
    nn_layer *bn = &net.layers[0], *pool = &net.layers[1];
    const int C = c->c;
    for (int k = 0; k < C; ++k) { /* gamma 0.5 .. 1.5, beta -0.5 .. 0.5, running var 1 .. 2 */
        bn->params[0].value[k] = 0.5f + (float)k / (float)C;
        bn->params[1].value[k] = (float)(k % 3 - 1) / 2.0f;
        bn->params[2].value[k] = (float)(k % 4) / 4.0f;
        bn->params[3].value[k] = 1.0f + (float)k / (float)C;
    }
    const size_t nx = (size_t)c->batch * net.in_dim, ny = (size_t)c->batch * net.out_dim;
    net.dx = nn_alloc_floats(nx, &err);
    nn_ctx ctx = { training, 1, 0, NULL, sum_same, NULL, NULL };
    const size_t sizes[BNP_N] = { ny, ny, C, C, nx, C, C };
    for (int k = 0; k < BNP_N; ++k)
        size[k] = sizes[k], got[k] = malloc(sizes[k] * sizeof(float));
    memcpy(got[BNP_Y], nn_network_forward_ctx(&net, x, c->batch, &ctx), ny * sizeof(float));
    memcpy(got[BNP_AT], pool->aux, ny * sizeof(float)); /* the int32 argmax, bit for bit */
    for (size_t o = 0; o < ny; ++o)
        pool->dout[o] = 2.0f * nn_rng_uniform(7, 7, o) - 1.0f;
    nn_network_backward(&net, x, c->batch, &ctx);
    memcpy(got[BNP_DGAMMA], bn->params[0].grad, C * sizeof(float));
    memcpy(got[BNP_DBETA], bn->params[1].grad, C * sizeof(float));
    memcpy(got[BNP_DX], net.dx, nx * sizeof(float));
    memcpy(got[BNP_MEAN], bn->params[2].value, C * sizeof(float));
    memcpy(got[BNP_VAR], bn->params[3].value, C * sizeof(float));
    nn_free_aligned(net.dx);
    net.dx = NULL;
    teardown();
}

START_TEST(batchnorm_fused_pool_same_bits)
{
    static const char *const what[BNP_N] = { "pool output", "argmax",       "dgamma",     "dbeta",
                                             "dx",          "running mean", "running var" };
    const bnpool_case *c = &bnpool_cases[_i];
    const size_t nx = (size_t)c->batch * c->c * c->h * c->w;
    float *x = malloc(nx * sizeof *x);
    for (size_t i = 0; i < nx; ++i) /* -1 .. 1 in steps of 1/4, channel c shifted by c/4 */
        x[i] = (float)((int)(nn_rng_uniform(6, 6, i) * 9.0f) - 4 + (int)(i / (c->h * c->w) % 4)) /
               4.0f;
    for (int training = 0; training <= 1; ++training) {
        float *got[2][BNP_N];
        size_t size[BNP_N];
        for (int fuse = 0; fuse <= 1; ++fuse)
            run_bn_pool(c, fuse, training, x, got[fuse], size);
        size_t zeros = 0;
        for (size_t o = 0; o < size[BNP_Y]; ++o)
            zeros += got[0][BNP_Y][o] == 0.0f;
        ck_assert_msg(!c->relu || (zeros > 0 && zeros < size[BNP_Y]),
                      "no ReLU zeros to tie: %zu of %zu", zeros, size[BNP_Y]);
        for (int k = 0; k < BNP_N; ++k) {
            ck_assert_msg(memcmp(got[0][k], got[1][k], size[k] * sizeof(float)) == 0,
                          "%s differs (training %d)", what[k], training);
            free(got[0][k]), free(got[1][k]);
        }
    }
    free(x);
}
END_TEST

/* When batch norm keeps its pool apart: an activation that does not commute
 * with the maximum, a pool whose input feeds another layer too, an average
 * pool, fusion switched off. */
START_TEST(batchnorm_fusion_only_where_it_holds)
{
    static const char *const nets[] = {
        "[b]\ntype = batchnorm\nactivation = sigmoid\n[p]\ntype = maxpool\n",
        "[b]\ntype = batchnorm\nactivation = relu\n[p]\ntype = maxpool\n"
        "[q]\ntype = maxpool\ninput = b\n[s]\ntype = concat\ninput = p, q\n",
        "[b]\ntype = batchnorm\nactivation = relu\n[p]\ntype = avgpool\n",
        "[train]\nfuse_layers = false\n[b]\ntype = batchnorm\nactivation = relu\n"
        "[p]\ntype = maxpool\n",
    };
    build(nets[_i], (nn_shape){ 4, 8, 8 }, 2);
    for (int i = 0; i < net.n_layers; ++i)
        ck_assert_msg(!net.layers[i].absorbed && !net.layers[i].absorbed_by, "[%s] fused",
                      net.layers[i].cfg->name);
    teardown();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("training");
    tcase_add_test(tc, dropout_mask_depends_on_sample_id_not_row);
    tcase_add_test(tc, batchnorm_uses_the_sum_over_ranks);
    tcase_add_test(tc, batchnorm_running_statistics);
    tcase_add_loop_test(tc, batchnorm_threads_same_bits, 0, 3);
    tcase_add_test(tc, pooling_ceil_mode_sizes);
    tcase_add_test(tc, pooling_ceil_mode_values);
    tcase_add_loop_test(tc, maxpool_2x2_matches_loops, 0, 6);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("fusion");
    tcase_add_loop_test(tf, batchnorm_fused_pool_same_bits, 0,
                        (int)(sizeof bnpool_cases / sizeof bnpool_cases[0]));
    tcase_add_loop_test(tf, batchnorm_fusion_only_where_it_holds, 0, 4);
    suite_add_tcase(s, tf);
    return nn_test_run_suite(s);
}
