/* Autoencoder pieces: PSNR of known images, the reconstruction loss and
 * its mean-of-PSNRs, a finite-difference gradient check of a ReLU/sigmoid
 * autoencoder trained against its own input, and the choice of figure
 * images. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "nn/network.h"
#include "nn/trainer.h"
#include "nn/core.h"
#include "testutil.h"

START_TEST(psnr_of_known_images)
{
    float x[64], y[64];
    for (int i = 0; i < 64; ++i) {
        x[i] = (float)i / 64.0f;
        y[i] = x[i] + ((i % 2) ? 0.1f : -0.1f); /* every error 0.1: MSE 0.01 */
    }
    ck_assert_double_eq_tol(nn_psnr(x, y, 64), 20.0, 1e-4);
    for (int i = 0; i < 64; ++i)
        y[i] = x[i] + 0.5f; /* MSE 0.25: 10 log10(4) */
    ck_assert_double_eq_tol(nn_psnr(x, y, 64), 10.0 * log10(4.0), 1e-4);
    y[0] = x[0];
    memcpy(y, x, sizeof y);
    ck_assert_double_eq(nn_psnr(x, y, 64), NN_PSNR_MAX_DB); /* exact: capped, not inf */
}
END_TEST

/* The data set's PSNR is the mean of the images' PSNRs (20 and 40 dB give
 * 30), not the PSNR of the mean MSE (which would be 22.97 dB). */
START_TEST(psnr_is_averaged_per_image)
{
    enum { D = 100 };
    float x[2 * D], y[2 * D];
    for (int i = 0; i < 2 * D; ++i) {
        x[i] = 0.5f;
        y[i] = 0.5f + (i < D ? 0.1f : 0.01f);
    }
    nn_recon_sums s = { 0, 0, 0 };
    double per[2];
    nn_recon_loss_eval(y, x, 2, D, 1.0f, NULL, &s, per);
    ck_assert_double_eq_tol(per[0], 20.0, 1e-4);
    ck_assert_double_eq_tol(per[1], 40.0, 1e-3);
    ck_assert_double_eq_tol(s.psnr / s.count, 30.0, 1e-3);
    ck_assert_double_eq_tol(s.loss, 0.01 + 0.0001, 1e-7);
    ck_assert_double_eq(s.count, 2);
}
END_TEST

/* ---- gradient check: a 6-4-3-4-6 autoencoder, ReLU hidden, sigmoid out ---- */

enum { B = 5, IN = 6 };
static nn_config cfg;
static nn_layer_config layers[4];

static void make_autoencoder(void)
{
    memset(&cfg, 0, sizeof cfg);
    memset(layers, 0, sizeof layers);
    cfg.layers = layers;
    strcpy(cfg.path, "recon_gradcheck.ini");
    const char *names[4] = { "enc", "code", "dec", "out" };
    const int units[4] = { 4, 3, 4, IN };
    for (int i = 0; i < 4; ++i) {
        nn_layer_config *l = &cfg.layers[i];
        strcpy(l->name, names[i]);
        strcpy(l->type, "dense");
        l->units = units[i];
        l->activation = i == 3 ? NN_ACT_SIGMOID : NN_ACT_RELU;
        l->init = NN_INIT_XAVIER;
        l->input_index[0] = i - 1;
        l->n_inputs = 1;
    }
    cfg.n_layers = 4;
}

/* The loss training minimises: mean over the batch of the per-image MSE. */
static double batch_loss(nn_network *net, const float *x)
{
    const float *o = nn_network_forward(net, x, B);
    nn_recon_sums s = { 0, 0, 0 };
    nn_recon_loss_eval(o, x, B, IN, 1.0f, NULL, &s, NULL);
    return s.loss / B;
}

#define ABS_TOL 5e-4
#define REL_TOL 2e-2

/* Same rule as test_train_gradcheck: the best of three step sizes, in
 * units of the tolerance. */
static double mismatch(nn_network *net, const float *x, size_t i)
{
    double best = INFINITY;
    for (double h = 1e-2; h > 5e-5; h /= 10) {
        float saved = net->params[i];
        net->params[i] = saved + (float)h;
        double lp = batch_loss(net, x);
        net->params[i] = saved - (float)h;
        double lm = batch_loss(net, x);
        net->params[i] = saved;
        double numeric = (lp - lm) / (2 * h), analytic = net->grads[i];
        best = fmin(best, fabs(numeric - analytic) / (ABS_TOL + REL_TOL * fabs(analytic)));
    }
    return best;
}

/* Forward, loss against the input (scale: the gradient of the mean over
 * the batch, times `wrong` to simulate a bug), backward. */
static void gradients(nn_network *net, const float *x, float wrong)
{
    const float *o = nn_network_forward(net, x, B);
    nn_layer *last = nn_network_output_layer(net);
    nn_recon_sums s = { 0, 0, 0 };
    nn_recon_loss_eval(o, x, B, IN, wrong / B, last->dout, &s, NULL);
    last->dout_is_preact = 0;
    nn_network_backward(net, x, B, NULL);
}

static void setup_net(nn_network *net, float *x)
{
    make_autoencoder();
    nn_error err = { 0 };
    ck_assert_int_eq(nn_network_build(net, &cfg, (nn_shape){ IN, 1, 1 }, B, &err), 0);
    nn_network_init(net, 11);
    for (size_t i = 0; i < net->n_params; ++i) /* non-zero biases, live ReLUs */
        net->params[i] += 0.1f * (nn_rng_uniform(5, 5, i) - 0.2f);
    for (int i = 0; i < B * IN; ++i)
        x[i] = nn_rng_uniform(2, 2, (uint64_t)i); /* images in [0, 1) */
}

START_TEST(autoencoder_gradients_match_finite_differences)
{
    nn_network net;
    float x[B * IN];
    setup_net(&net, x);
    gradients(&net, x, 1.0f);
    double worst = 0.0;
    for (size_t i = 0; i < net.n_params; ++i)
        worst = fmax(worst, mismatch(&net, x, i));
    ck_assert_msg(worst <= 1.0, "worst error %g x tolerance", worst);
    nn_network_free(&net);
}
END_TEST

/* The check can fail: gradients off by a factor of 2 (e.g. a forgotten 2 in
 * d(y - x)^2) are caught. */
START_TEST(gradient_check_catches_a_wrong_factor)
{
    nn_network net;
    float x[B * IN];
    setup_net(&net, x);
    gradients(&net, x, 2.0f);
    double worst = 0.0;
    for (size_t i = 0; i < net.n_params; ++i)
        worst = fmax(worst, mismatch(&net, x, i));
    ck_assert_double_gt(worst, 1.0);
    nn_network_free(&net);
}
END_TEST

START_TEST(figure_images_come_from_spread_classes)
{
    int32_t labels[40];
    for (int i = 0; i < 40; ++i)
        labels[i] = (i * 7) % 20; /* 20 classes, two images each, interleaved */
    nn_dataset d = { .n = 40, .num_classes = 20, .labels = labels };
    size_t idx[12];
    ck_assert_int_eq(nn_recon_pick(&d, idx, 12), 12);
    for (int j = 0; j < 12; ++j) {
        ck_assert_int_eq(labels[idx[j]], j * 20 / 12);
        for (size_t i = 0; i < idx[j]; ++i) /* the first image of that class */
            ck_assert_int_ne(labels[i], labels[idx[j]]);
    }
    d.num_classes = 3; /* fewer classes than columns: one image each */
    for (int i = 0; i < 40; ++i)
        labels[i] = i % 3;
    ck_assert_int_eq(nn_recon_pick(&d, idx, 12), 3);
    d.n = 0;
    ck_assert_int_eq(nn_recon_pick(&d, idx, 12), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recon");
    TCase *tc = tcase_create("recon");
    tcase_add_test(tc, psnr_of_known_images);
    tcase_add_test(tc, psnr_is_averaged_per_image);
    tcase_add_test(tc, autoencoder_gradients_match_finite_differences);
    tcase_add_test(tc, gradient_check_catches_a_wrong_factor);
    tcase_add_test(tc, figure_images_come_from_spread_classes);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
