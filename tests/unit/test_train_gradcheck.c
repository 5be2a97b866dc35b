/* Finite-difference gradient checks: for every layer kind, activation and
 * loss, the analytic gradient of every parameter (and, through the chain,
 * of every inner activation) must match central differences of the loss. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "nn/loss.h"
#include "nn/network.h"
#include "nn/rng.h"
#include "testutil.h"

enum { B = 5, IN = 6, HID = 7, OUT = 4 };

static nn_config cfg;

static void make_config(nn_activation hidden, nn_activation out, int three_layers)
{
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.path, "gradcheck.ini");
    const char *names[3] = { "h1", "h2", "out" };
    int n = three_layers ? 3 : 2;
    for (int i = 0; i < n; ++i) {
        nn_layer_config *l = &cfg.layers[i];
        strcpy(l->name, names[three_layers ? i : (i == 0 ? 0 : 2)]);
        strcpy(l->type, "dense");
        l->units = i == n - 1 ? OUT : HID;
        l->activation = i == n - 1 ? out : hidden;
        l->init = NN_INIT_XAVIER;
        l->input_index = i - 1;
    }
    cfg.n_layers = n;
}

/* Mean loss over the batch (what training minimises). */
static double batch_loss(nn_network *net, nn_loss_kind kind, const float *x, const int32_t *y)
{
    const float *o = nn_network_forward(net, x, B);
    nn_loss_sums s = { 0, 0, 0 };
    nn_loss_eval(kind, o, y, B, OUT, 1.0f, NULL, NULL, &s);
    return s.loss / B;
}

#define ABS_TOL 5e-4
#define REL_TOL 2e-2

/* |numeric - analytic| of parameter i in units of the tolerance (<= 1: ok). */
static double mismatch(nn_network *net, nn_loss_kind kind, const float *x, const int32_t *y,
                       size_t i, double h)
{
    float saved = net->params[i];
    net->params[i] = saved + (float)h;
    double lp = batch_loss(net, kind, x, y);
    net->params[i] = saved - (float)h;
    double lm = batch_loss(net, kind, x, y);
    net->params[i] = saved;
    double numeric = (lp - lm) / (2 * h);
    double analytic = net->grads[i];
    return fabs(numeric - analytic) / (ABS_TOL + REL_TOL * fabs(analytic));
}

static void check_gradients(nn_activation hidden, nn_activation out, nn_loss_kind kind,
                            int three_layers)
{
    make_config(hidden, out, three_layers);
    nn_network net;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_network_build(&net, &cfg, (nn_shape){ IN, 1, 1 }, B, &err), 0);
    nn_network_init(&net, 7);
    /* Non-zero biases so every bias gradient is exercised. */
    for (size_t i = 0; i < net.n_params; ++i)
        net.params[i] += 0.1f * (nn_rng_uniform(3, 3, i) - 0.5f);
    float x[B * IN];
    int32_t y[B];
    for (int i = 0; i < B * IN; ++i)
        x[i] = 2.0f * nn_rng_uniform(1, 1, (uint64_t)i) - 1.0f;
    for (int i = 0; i < B; ++i)
        y[i] = i % OUT;

    const float *o = nn_network_forward(&net, x, B);
    nn_layer *last = nn_network_output_layer(&net);
    nn_loss_sums s = { 0, 0, 0 };
    nn_loss_eval(kind, o, y, B, OUT, 1.0f / B, last->dout, &last->dout_is_preact, &s);
    nn_network_backward(&net, x, B);

    /* float32 forward passes: noise in the loss is ~1e-7, so a difference
     * quotient is trusted to ABS_TOL + REL_TOL * |gradient|. Three step
     * sizes: larger ones are less noisy, smaller ones rarely straddle a ReLU
     * kink; an element passes when one of them agrees. */
    double worst = 0.0;
    for (size_t i = 0; i < net.n_params; ++i) {
        double best = INFINITY;
        for (double h = 1e-2; h > 5e-5; h /= 10)
            best = fmin(best, mismatch(&net, kind, x, y, i, h));
        worst = fmax(worst, best);
    }
    ck_assert_msg(worst <= 1.0, "hidden %s, output %s, loss %s: worst error %g x tolerance",
                  nn_activation_name(hidden), nn_activation_name(out), nn_loss_name(kind), worst);
    nn_network_free(&net);
}

START_TEST(dense_sigmoid_softmax_cross_entropy)
{
    check_gradients(NN_ACT_SIGMOID, NN_ACT_SOFTMAX, NN_LOSS_CROSS_ENTROPY, 0);
}
END_TEST

START_TEST(dense_every_hidden_activation)
{
    const nn_activation acts[] = { NN_ACT_LINEAR, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU,
                                   NN_ACT_SOFTMAX };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; ++i)
        check_gradients(acts[i], NN_ACT_SOFTMAX, NN_LOSS_CROSS_ENTROPY, 1);
}
END_TEST

START_TEST(mse_with_every_output_activation)
{
    const nn_activation acts[] = { NN_ACT_LINEAR, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU,
                                   NN_ACT_SOFTMAX };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; ++i)
        check_gradients(NN_ACT_TANH, acts[i], NN_LOSS_MSE, 1);
}
END_TEST

/* A check that can fail: a wrong gradient must be caught. Corrupting one
 * gradient entry by hand must exceed the tolerance used above. */
START_TEST(gradcheck_detects_a_wrong_gradient)
{
    make_config(NN_ACT_SIGMOID, NN_ACT_SOFTMAX, 0);
    nn_network net;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_network_build(&net, &cfg, (nn_shape){ IN, 1, 1 }, B, &err), 0);
    nn_network_init(&net, 7);
    float x[B * IN];
    int32_t y[B] = { 0, 1, 2, 3, 0 };
    for (int i = 0; i < B * IN; ++i)
        x[i] = nn_rng_uniform(1, 1, (uint64_t)i);
    const float *o = nn_network_forward(&net, x, B);
    nn_layer *last = nn_network_output_layer(&net);
    nn_loss_sums s = { 0, 0, 0 };
    nn_loss_eval(NN_LOSS_CROSS_ENTROPY, o, y, B, OUT, 1.0f / B, last->dout, &last->dout_is_preact, &s);
    /* Backward with the fused flag cleared treats (p - y) as dL/dp: wrong. */
    last->dout_is_preact = 0;
    nn_network_backward(&net, x, B);
    size_t i = last->params[0].offset;
    ck_assert_double_gt(mismatch(&net, NN_LOSS_CROSS_ENTROPY, x, y, i, 1e-2), 1.0);
    ck_assert_double_gt(mismatch(&net, NN_LOSS_CROSS_ENTROPY, x, y, i, 1e-3), 1.0);
    nn_network_free(&net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gradcheck");
    TCase *tc = tcase_create("dense");
    tcase_add_test(tc, dense_sigmoid_softmax_cross_entropy);
    tcase_add_test(tc, dense_every_hidden_activation);
    tcase_add_test(tc, mse_with_every_output_activation);
    tcase_add_test(tc, gradcheck_detects_a_wrong_gradient);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
