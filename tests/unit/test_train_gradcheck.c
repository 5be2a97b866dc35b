/* Finite-difference gradient checks, KANN-style: ONE harness for every layer
 * kind. A case is a small network written as config text; the harness builds
 * it, runs forward, the loss and backward once, and compares the analytic
 * gradient of every parameter AND of every input value (the network input
 * gradient goes through every layer's din path) with central differences of
 * the loss. Dropout masks are a pure function of (seed, epoch, sample id), so
 * they stay fixed while the harness perturbs values; batch norm is checked
 * with batch statistics (training) and running statistics (evaluation).
 * Differences run on one thread; every case is then built again on two
 * threads (OpenMP over the batch), which must give the same gradients. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/network.h"
#include "nn/core.h"
#include "testutil.h"

enum { B = 3, MAX_IN = 512 };

typedef struct gc_case {
    const char *name;
    nn_shape in;        /* per-sample input shape */
    const char *layers; /* config sections of the layers */
    int training;       /* ctx.training */
    nn_loss_kind loss;
} gc_case;

typedef struct gc_state {
    nn_network net;
    nn_config cfg;
    nn_ctx ctx;
    nn_loss_kind loss;
    float x[B * MAX_IN];
    int32_t y[B];
    size_t ids[B];
} gc_state;

static const char *loss_key(nn_loss_kind k) { return k == NN_LOSS_MSE ? "mse" : "cross_entropy"; }

/* Build the case's network with random parameters, inputs and labels. */
static void gc_build(gc_state *s, const gc_case *c, int threads)
{
    char text[8192];
    snprintf(text, sizeof text, "[data]\ntrain = none.mat\n[train]\nloss = %s\n%s",
             loss_key(c->loss), c->layers);
    nn_error err = { 0 };
    int rc = nn_config_parse_flags(&s->cfg, "gradcheck.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK,
                                   &err);
    ck_assert_msg(rc == 0, "%s: config: %s", c->name, err.msg);
    rc = nn_network_build_threads(&s->net, &s->cfg, c->in, B, threads, &err);
    ck_assert_msg(rc == 0, "%s: build: %s", c->name, err.msg);
    ck_assert_uint_le(s->net.in_dim, MAX_IN);
    nn_network_init(&s->net, 7);
    /* Move every parameter off its initial value (biases off 0, batch-norm
     * gamma off 1, running statistics off 0 and 1) so each term matters. */
    for (size_t i = 0; i < s->net.n_params; ++i)
        s->net.params[i] += 0.2f * (nn_rng_uniform(3, 3, i) - 0.5f);
    for (int i = 0; i < s->net.n_layers; ++i)
        for (int k = 0; k < s->net.layers[i].n_params; ++k) {
            nn_param *p = &s->net.layers[i].params[k];
            if (strcmp(p->name, "running_var") == 0)
                for (size_t j = 0; j < p->size; ++j)
                    p->value[j] = 0.5f + nn_rng_uniform(4, 4, j);
        }
    for (size_t i = 0; i < B * s->net.in_dim; ++i)
        s->x[i] = 2.0f * nn_rng_uniform(1, 1, (uint64_t)i) - 1.0f;
    for (int i = 0; i < B; ++i) {
        s->y[i] = (int32_t)((size_t)i % s->net.out_dim);
        s->ids[i] = 100 + 7 * (size_t)i;
    }
    s->net.dx = nn_alloc_floats(B * s->net.in_dim, &err);
    s->ctx = (nn_ctx){ .training = c->training, .seed = 5, .epoch = 2, .sample_ids = s->ids };
    s->loss = c->loss;
}

/* Mean loss over the batch (what training minimises). Running statistics
 * are restored afterwards, so every evaluation sees the same network. */
static double batch_loss(gc_state *s)
{
    static float saved[1 << 16];
    ck_assert_uint_le(s->net.n_params, sizeof saved / sizeof saved[0]);
    memcpy(saved, s->net.params, s->net.n_params * sizeof(float));
    const float *o = nn_network_forward_ctx(&s->net, s->x, B, &s->ctx);
    nn_loss_sums sums = { 0, 0, 0 };
    nn_loss_eval(s->loss, o, s->y, B, (int)s->net.out_dim, 1.0f, NULL, NULL, &sums);
    memcpy(s->net.params, saved, s->net.n_params * sizeof(float));
    return sums.loss / B;
}

static void gc_backward(gc_state *s)
{
    static float saved[1 << 16];
    memcpy(saved, s->net.params, s->net.n_params * sizeof(float));
    const float *o = nn_network_forward_ctx(&s->net, s->x, B, &s->ctx);
    nn_layer *last = nn_network_output_layer(&s->net);
    nn_loss_sums sums = { 0, 0, 0 };
    nn_loss_eval(s->loss, o, s->y, B, (int)s->net.out_dim, 1.0f / B, last->dout,
                 &last->dout_is_preact, &sums);
    nn_network_backward(&s->net, s->x, B, &s->ctx);
    memcpy(s->net.params, saved, s->net.n_params * sizeof(float));
}

#define ABS_TOL 5e-4
#define REL_TOL 2e-2

/* |numeric - analytic| for value *v in units of the tolerance (<= 1: ok). */
static double mismatch(gc_state *s, float *v, double analytic, double h)
{
    const float saved = *v;
    *v = saved + (float)h;
    double lp = batch_loss(s);
    *v = saved - (float)h;
    double lm = batch_loss(s);
    *v = saved;
    double numeric = (lp - lm) / (2 * h);
    return fabs(numeric - analytic) / (ABS_TOL + REL_TOL * fabs(analytic));
}

/* float32 forward passes: noise in the loss is ~1e-7, so a difference
 * quotient is trusted to ABS_TOL + REL_TOL * |gradient|. Three step sizes:
 * larger ones are less noisy, smaller ones rarely straddle a ReLU kink or
 * swap a maximum; a value passes when one of them agrees. */
static double best_mismatch(gc_state *s, float *v, double analytic)
{
    double best = INFINITY;
    for (double h = 1e-2; h > 5e-5; h /= 10)
        best = fmin(best, mismatch(s, v, analytic, h));
    return best;
}

static void gc_free(gc_state *s)
{
    nn_free_aligned(s->net.dx);
    nn_network_free(&s->net);
    nn_config_free(&s->cfg);
    free(s);
}

/* Two threads give the gradients one thread gives (up to summation order). */
static void check_threads(const gc_case *c, const gc_state *one)
{
    gc_state *two = calloc(1, sizeof *two);
    ck_assert_ptr_nonnull(two);
    gc_build(two, c, 2);
    gc_backward(two);
    /* Summation order differs: allow 1e-4 of the largest gradient plus 1e-3
     * of each (a wrong share of the batch is off by far more). */
    double scale = 0, worst = 0;
    const size_t nx = B * one->net.in_dim;
    for (size_t i = 0; i < one->net.n_params; ++i)
        scale = fmax(scale, fabs(one->net.grads[i]));
    for (size_t i = 0; i < nx; ++i)
        scale = fmax(scale, fabs(one->net.dx[i]));
    for (size_t i = 0; i < one->net.n_params + nx; ++i) {
        const double a =
            i < one->net.n_params ? one->net.grads[i] : one->net.dx[i - one->net.n_params];
        const double b =
            i < one->net.n_params ? two->net.grads[i] : two->net.dx[i - one->net.n_params];
        worst = fmax(worst, fabs(a - b) / (1e-4 * scale + 1e-3 * fabs(a)));
    }
    ck_assert_msg(worst <= 1.0, "%s: 2 threads differ from 1 by %g x tolerance", c->name, worst);
    gc_free(two);
}

static void check_case(const gc_case *c)
{
    gc_state *s = calloc(1, sizeof *s);
    ck_assert_ptr_nonnull(s);
    gc_build(s, c, 1);
    gc_backward(s);
    check_threads(c, s);
    double worst = 0.0;
    const char *where = "";
    for (int i = 0; i < s->net.n_layers; ++i)
        for (int k = 0; k < s->net.layers[i].n_params; ++k) {
            nn_param *p = &s->net.layers[i].params[k];
            if (p->state)
                continue; /* running statistics are not trained */
            for (size_t j = 0; j < p->size; ++j) {
                double m = best_mismatch(s, &p->value[j], p->grad[j]);
                if (m > worst)
                    worst = m, where = p->name;
            }
        }
    const size_t nx = B * s->net.in_dim;
    for (size_t j = 0; j < nx; ++j) {
        double m = best_mismatch(s, &s->x[j], s->net.dx[j]);
        if (m > worst)
            worst = m, where = "input";
    }
    ck_assert_msg(worst <= 1.0, "%s: worst error %g x tolerance (at %s)", c->name, worst, where);
    gc_free(s);
}

/* ---- the cases ------------------------------------------------------------- */

#define HEAD(units) "[head]\ntype = dense\nunits = " #units "\nactivation = softmax\n"
#define CE          NN_LOSS_CROSS_ENTROPY

static const gc_case dense_cases[] = {
    { "dense sigmoid",
      { 6, 1, 1 },
      "[h1]\ntype = dense\nunits = 7\nactivation = sigmoid\n" HEAD(4),
      1,
      CE },
    { "dense linear/tanh/relu/softmax",
      { 6, 1, 1 },
      "[h1]\ntype = dense\nunits = 7\nactivation = linear\n"
      "[h2]\ntype = dense\nunits = 7\nactivation = tanh\n"
      "[h3]\ntype = dense\nunits = 7\nactivation = relu\n"
      "[h4]\ntype = dense\nunits = 7\nactivation = softmax\n" HEAD(4),
      1,
      CE },
    { "mse linear",
      { 6, 1, 1 },
      "[h1]\ntype = dense\nunits = 5\nactivation = tanh\n"
      "[o]\ntype = dense\nunits = 4\nactivation = linear\n",
      1,
      NN_LOSS_MSE },
    { "mse sigmoid",
      { 6, 1, 1 },
      "[o]\ntype = dense\nunits = 4\nactivation = sigmoid\n",
      1,
      NN_LOSS_MSE },
    { "mse relu",
      { 6, 1, 1 },
      "[o]\ntype = dense\nunits = 4\nactivation = relu\n",
      1,
      NN_LOSS_MSE },
    { "mse softmax",
      { 6, 1, 1 },
      "[o]\ntype = dense\nunits = 4\nactivation = softmax\n",
      1,
      NN_LOSS_MSE },
};

static const gc_case conv_cases[] = {
    { "conv 3x3 pad 1 relu",
      { 2, 5, 5 },
      "[c]\ntype = conv\nfilters = 3\nsize = 3\npadding = 1\nactivation = relu\n" HEAD(4),
      1,
      CE },
    { "conv 3x3 stride 2, no bias, tanh",
      { 2, 6, 5 },
      "[c]\ntype = conv\nfilters = 3\nsize = 3\nstride = 2\nbias = false\nactivation = tanh\n" HEAD(
          3),
      1,
      CE },
    { "conv 1x1 (pointwise)",
      { 3, 4, 4 },
      "[c]\ntype = conv\nfilters = 2\nsize = 1\nactivation = sigmoid\n" HEAD(3),
      1,
      CE },
    { "conv 2x2 stride 3 pad 1, conv",
      { 2, 7, 7 },
      "[c1]\ntype = conv\nfilters = 2\nsize = 2\nstride = 3\npadding = 1\n"
      "[c2]\ntype = conv\nfilters = 3\nsize = 3\npadding = 2\nactivation = relu\n" HEAD(3),
      1,
      CE },
    { "conv 3x3 pad 1 on 1-pixel-high images",
      { 2, 1, 3 },
      "[c]\ntype = conv\nfilters = 2\npadding = 1\n[c2]\ntype = conv\nfilters = 2\n"
      "size = 5\npadding = 2\nactivation = tanh\n" HEAD(3),
      1,
      CE },
    { "conv 5x5 pad 2 (same)",
      { 2, 6, 5 },
      "[c]\ntype = conv\nfilters = 2\nsize = 5\npadding = 2\nactivation = tanh\n" HEAD(3),
      1,
      CE },
    { "conv softmax output over 2 filters, 2 channels (im2col path), mse",
      { 2, 4, 4 },
      "[c]\ntype = conv\nfilters = 2\nsize = 3\nactivation = softmax\n",
      1,
      NN_LOSS_MSE },
    { "conv softmax output, mse",
      { 1, 4, 4 },
      "[c]\ntype = conv\nfilters = 2\nsize = 3\nactivation = softmax\n",
      1,
      NN_LOSS_MSE },
};

static const gc_case pool_cases[] = {
    { "maxpool 2x2", { 2, 6, 6 }, "[p]\ntype = maxpool\n" HEAD(3), 1, CE },
    { "maxpool 3x3 stride 2 pad 1 (overlapping)",
      { 2, 7, 6 },
      "[p]\ntype = maxpool\nsize = 3\nstride = 2\npadding = 1\n" HEAD(3),
      1,
      CE },
    { "maxpool 2x2 on odd size", { 1, 5, 5 }, "[p]\ntype = maxpool\n" HEAD(3), 1, CE },
    { "avgpool 2x2", { 2, 6, 6 }, "[p]\ntype = avgpool\n" HEAD(3), 1, CE },
    { "avgpool 3x3 stride 1 pad 1",
      { 2, 5, 4 },
      "[p]\ntype = avgpool\nsize = 3\nstride = 1\npadding = 1\n" HEAD(3),
      1,
      CE },
    { "maxpool 3x3 stride 2 ceil_mode (a clipped last window)",
      { 2, 6, 6 },
      "[p]\ntype = maxpool\nsize = 3\nstride = 2\nceil_mode = true\n" HEAD(3),
      1,
      CE },
    { "maxpool 2x2 ceil_mode on odd size",
      { 1, 5, 3 },
      "[p]\ntype = maxpool\nceil_mode = true\n" HEAD(3),
      1,
      CE },
    { "avgpool 3x3 stride 2 pad 1 ceil_mode",
      { 2, 6, 5 },
      "[p]\ntype = avgpool\nsize = 3\nstride = 2\npadding = 1\nceil_mode = true\n" HEAD(3),
      1,
      CE },
    { "global_avgpool", { 4, 3, 5 }, "[g]\ntype = global_avgpool\n" HEAD(3), 1, CE },
    { "global_avgpool softmax as the output (SqueezeNet's classifier)",
      { 4, 3, 5 },
      "[c]\ntype = conv\nfilters = 3\nsize = 1\nactivation = relu\n"
      "[g]\ntype = global_avgpool\nactivation = softmax\n",
      1,
      CE },
    { "global_avgpool tanh",
      { 4, 3, 3 },
      "[g]\ntype = global_avgpool\nactivation = tanh\n" HEAD(3),
      1,
      CE },
    { "flatten", { 2, 3, 3 }, "[f]\ntype = flatten\n" HEAD(3), 1, CE },
};

static const gc_case norm_cases[] = {
    { "batchnorm on channels, training",
      { 3, 4, 4 },
      "[bn]\ntype = batchnorm\nactivation = relu\n" HEAD(3),
      1,
      CE },
    { "batchnorm on features, training",
      { 5, 1, 1 },
      "[bn]\ntype = batchnorm\nactivation = tanh\n" HEAD(3),
      1,
      CE },
    { "batchnorm, evaluation (running statistics)",
      { 3, 3, 3 },
      "[bn]\ntype = batchnorm\n" HEAD(3),
      0,
      CE },
    { "conv-batchnorm-relu-pool",
      { 2, 6, 6 },
      "[c]\ntype = conv\nfilters = 3\nsize = 3\npadding = 1\nbias = false\n"
      "[bn]\ntype = batchnorm\nactivation = relu\n[p]\ntype = maxpool\n" HEAD(3),
      1,
      CE },
    { "dropout, training", { 12, 1, 1 }, "[d]\ntype = dropout\nrate = 0.4\n" HEAD(3), 1, CE },
    { "dropout on images, training",
      { 2, 3, 3 },
      "[d]\ntype = dropout\nrate = 0.3\n[c]\ntype = conv\nfilters = 2\n" HEAD(3),
      1,
      CE },
    { "dropout, evaluation", { 8, 1, 1 }, "[d]\ntype = dropout\nrate = 0.5\n" HEAD(3), 0, CE },
};

static const gc_case graph_cases[] = {
    { "residual: add(conv, input) relu",
      { 2, 5, 5 },
      "[c1]\ntype = conv\nfilters = 2\nsize = 3\npadding = 1\nactivation = relu\n"
      "[c2]\ntype = conv\nfilters = 2\nsize = 3\npadding = 1\n"
      "[sum]\ntype = add\ninput = c2, input\nactivation = relu\n" HEAD(3),
      1,
      CE },
    { "skip: concat(input, conv, pool)",
      { 2, 4, 4 },
      "[c1]\ntype = conv\nfilters = 3\nsize = 3\npadding = 1\nactivation = tanh\n"
      "[p]\ntype = avgpool\nsize = 3\nstride = 1\npadding = 1\ninput = input\n"
      "[cat]\ntype = concat\ninput = input, c1, p\n" HEAD(3),
      1,
      CE },
    { "fan-out: one output feeds three layers",
      { 6, 1, 1 },
      "[h]\ntype = dense\nunits = 5\nactivation = tanh\n"
      "[a]\ntype = dense\nunits = 5\nactivation = sigmoid\ninput = h\n"
      "[b]\ntype = dense\nunits = 5\ninput = h\n"
      "[s]\ntype = add\ninput = a, b, h\n" HEAD(3),
      1,
      CE },
    { "the same input twice: add(x, x), concat(h, h)",
      { 4, 1, 1 },
      "[h]\ntype = dense\nunits = 3\nactivation = tanh\n"
      "[twice]\ntype = add\ninput = h, h\n[cat]\ntype = concat\ninput = twice, h\n" HEAD(3),
      1,
      CE },
    { "concat and add that are not the first to reach a gradient",
      { 4, 1, 1 },
      "[h]\ntype = dense\nunits = 3\nactivation = tanh\n"
      "[cat]\ntype = concat\ninput = h, input\n"
      "[sum]\ntype = add\ninput = h, h\n"
      "[a]\ntype = dense\nunits = 3\ninput = h\n"
      "[s]\ntype = concat\ninput = cat, a, sum\n" HEAD(3),
      1,
      CE },
    { "flatten (the network's copy) and maxpool adding to one input's gradient",
      { 2, 4, 4 },
      "[f0]\ntype = flatten\ninput = input\n"
      "[p]\ntype = maxpool\ninput = input\n[fp]\ntype = flatten\n"
      "[f]\ntype = flatten\ninput = input\n"
      "[cat]\ntype = concat\ninput = f0, fp, f\n" HEAD(3),
      1,
      CE },
    { "generalised residual block (ResNet in ResNet)",
      { 2, 4, 4 },
      "[r0]\ntype = conv\nfilters = 2\nsize = 1\n"
      "[t0]\ntype = conv\nfilters = 2\nsize = 1\ninput = input\n"
      "[rr]\ntype = conv\nfilters = 2\npadding = 1\ninput = r0\n"
      "[tr]\ntype = conv\nfilters = 2\npadding = 1\ninput = t0\n"
      "[rt]\ntype = conv\nfilters = 2\npadding = 1\ninput = r0\n"
      "[tt]\ntype = conv\nfilters = 2\npadding = 1\ninput = t0\n"
      "[r1]\ntype = add\ninput = rr, tr, r0\n[r1n]\ntype = batchnorm\nactivation = relu\n"
      "[t1]\ntype = add\ninput = rt, tt\n[t1n]\ntype = batchnorm\nactivation = relu\n"
      "[outer]\ntype = add\ninput = r1n, r0\n"
      "[cat]\ntype = concat\ninput = outer, t1n\n[g]\ntype = global_avgpool\n" HEAD(3),
      1,
      CE },
    { "fire modules (squeeze, two expands, concat), one reading the other",
      { 3, 4, 4 },
      "[f1]\ntype = fire\nsqueeze = 2\nexpand1x1 = 2\nexpand3x3 = 3\n"
      "[f2]\ntype = fire\nsqueeze = 2\nexpand1x1 = 1\nexpand3x3 = 2\n"
      "[cat]\ntype = concat\ninput = f2, f1/squeeze\n"
      "[g]\ntype = global_avgpool\nactivation = softmax\n",
      1,
      CE },
};

/* Winograd F(2x2, 3x3) for the output and the input gradient of every 3x3
 * stride-1 convolution (conv_winograd.c; `auto` would leave these few
 * channels to the GEMM path): padding 0 and 1, a gradient added to another
 * (rr and rt both read r0), and a fire module's expand3x3. WINO goes
 * first in the layers' text, which gc_build puts right after [train]. */
#define WINO "conv_algorithm = winograd\n"
static const gc_case winograd_cases[] = {
    { "winograd: conv 3x3 pad 1 relu",
      { 2, 5, 5 },
      WINO "[c]\ntype = conv\nfilters = 3\nsize = 3\npadding = 1\nactivation = relu\n" HEAD(4),
      1,
      CE },
    { "winograd: conv 3x3 pad 0 on 3 x 6 x 5, conv 3x3 pad 1",
      { 3, 6, 5 },
      WINO "[c1]\ntype = conv\nfilters = 4\nsize = 3\nactivation = tanh\n"
           "[c2]\ntype = conv\nfilters = 2\nsize = 3\npadding = 1\n" HEAD(3),
      1,
      CE },
    { "winograd: ResNet in ResNet",
      { 2, 4, 4 },
      WINO "[r0]\ntype = conv\nfilters = 2\nsize = 1\n"
           "[t0]\ntype = conv\nfilters = 2\nsize = 1\ninput = input\n"
           "[rr]\ntype = conv\nfilters = 2\npadding = 1\ninput = r0\n"
           "[tr]\ntype = conv\nfilters = 2\npadding = 1\ninput = t0\n"
           "[rt]\ntype = conv\nfilters = 2\npadding = 1\ninput = r0\n"
           "[tt]\ntype = conv\nfilters = 2\npadding = 1\ninput = t0\n"
           "[r1]\ntype = add\ninput = rr, tr, r0\n[r1n]\ntype = batchnorm\nactivation = relu\n"
           "[t1]\ntype = add\ninput = rt, tt\n[t1n]\ntype = batchnorm\nactivation = relu\n"
           "[outer]\ntype = add\ninput = r1n, r0\n"
           "[cat]\ntype = concat\ninput = outer, t1n\n[g]\ntype = global_avgpool\n" HEAD(3),
      1,
      CE },
    { "winograd: conv softmax output, mse",
      { 2, 4, 4 },
      WINO "[c]\ntype = conv\nfilters = 2\nsize = 3\nactivation = softmax\n",
      1,
      NN_LOSS_MSE },
    { "winograd: fire modules",
      { 3, 4, 4 },
      WINO "[f1]\ntype = fire\nsqueeze = 2\nexpand1x1 = 2\nexpand3x3 = 3\n"
           "[f2]\ntype = fire\nsqueeze = 2\nexpand1x1 = 1\nexpand3x3 = 2\n"
           "[cat]\ntype = concat\ninput = f2, f1/squeeze\n"
           "[g]\ntype = global_avgpool\nactivation = softmax\n",
      1,
      CE },
};

static void run_cases(const gc_case *cases, int n, int i)
{
    ck_assert_int_lt(i, n);
    check_case(&cases[i]);
}

#define N(a) ((int)(sizeof(a) / sizeof(a)[0]))
START_TEST(dense) { run_cases(dense_cases, N(dense_cases), _i); }
END_TEST
START_TEST(conv) { run_cases(conv_cases, N(conv_cases), _i); }
END_TEST
START_TEST(pool) { run_cases(pool_cases, N(pool_cases), _i); }
END_TEST
START_TEST(norm) { run_cases(norm_cases, N(norm_cases), _i); }
END_TEST
START_TEST(graph) { run_cases(graph_cases, N(graph_cases), _i); }

START_TEST(winograd) { run_cases(winograd_cases, N(winograd_cases), _i); }
END_TEST

/* A check that can fail: a wrong gradient must be caught. Backward with the
 * fused softmax/cross-entropy flag cleared treats (p - y) as dL/dp: wrong. */
START_TEST(gradcheck_detects_a_wrong_gradient)
{
    gc_state *s = calloc(1, sizeof *s);
    ck_assert_ptr_nonnull(s);
    gc_build(s, &dense_cases[0], 1);
    const float *o = nn_network_forward_ctx(&s->net, s->x, B, &s->ctx);
    nn_layer *last = nn_network_output_layer(&s->net);
    nn_loss_sums sums = { 0, 0, 0 };
    nn_loss_eval(CE, o, s->y, B, (int)s->net.out_dim, 1.0f / B, last->dout, &last->dout_is_preact,
                 &sums);
    last->dout_is_preact = 0;
    nn_network_backward(&s->net, s->x, B, &s->ctx);
    nn_param *W = &last->params[0];
    ck_assert_double_gt(mismatch(s, &W->value[0], W->grad[0], 1e-2), 1.0);
    ck_assert_double_gt(mismatch(s, &W->value[0], W->grad[0], 1e-3), 1.0);
    gc_free(s);
}
END_TEST

/* And a wrong input gradient too: flipping the sign of dx is caught. */
START_TEST(gradcheck_detects_a_wrong_input_gradient)
{
    gc_state *s = calloc(1, sizeof *s);
    ck_assert_ptr_nonnull(s);
    gc_build(s, &conv_cases[0], 1);
    gc_backward(s);
    double worst = 0;
    for (size_t j = 0; j < B * s->net.in_dim; ++j)
        if (fabs(s->net.dx[j]) > 1e-3)
            worst = fmax(worst, mismatch(s, &s->x[j], -s->net.dx[j], 1e-3));
    ck_assert_double_gt(worst, 1.0);
    gc_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gradcheck");
    TCase *tc = tcase_create("layers");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, dense, 0, N(dense_cases));
    tcase_add_loop_test(tc, conv, 0, N(conv_cases));
    tcase_add_loop_test(tc, pool, 0, N(pool_cases));
    tcase_add_loop_test(tc, norm, 0, N(norm_cases));
    tcase_add_loop_test(tc, graph, 0, N(graph_cases));
    tcase_add_loop_test(tc, winograd, 0, N(winograd_cases));
    tcase_add_test(tc, gradcheck_detects_a_wrong_gradient);
    tcase_add_test(tc, gradcheck_detects_a_wrong_input_gradient);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
