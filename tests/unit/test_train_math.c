/* The maths under the trainer: softmax stability, activation derivatives,
 * initialisation statistics, the counter-based RNG, optimizers, schedules. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/layer.h"
#include "nn/network.h"
#include "nn/core.h"
#include "testutil.h"

START_TEST(softmax_is_shift_invariant_even_for_huge_inputs)
{
    const float base[5] = { 1.0f, -2.0f, 0.5f, 3.0f, 0.0f };
    const float shifts[] = { 0.0f, 100.0f, -100.0f, 1000.0f, 1e30f / 1e6f };
    float ref[5];
    memcpy(ref, base, sizeof ref);
    nn_activation_forward(NN_ACT_SOFTMAX, ref, 1, 5);
    for (size_t s = 0; s < sizeof shifts / sizeof shifts[0]; ++s) {
        float x[5];
        for (int i = 0; i < 5; ++i)
            x[i] = base[i] + shifts[s];
        nn_activation_forward(NN_ACT_SOFTMAX, x, 1, 5);
        float sum = 0;
        for (int i = 0; i < 5; ++i) {
            ck_assert(isfinite(x[i]));
            sum += x[i];
            /* Large shifts lose the low digits of base in float32. */
            if (fabsf(shifts[s]) <= 1000.0f)
                ck_assert_float_eq_tol(x[i], ref[i], 1e-4f);
        }
        ck_assert_float_eq_tol(sum, 1.0f, 1e-5f);
    }
    float huge[3] = { 1e30f, 1e30f, -1e30f };
    nn_activation_forward(NN_ACT_SOFTMAX, huge, 1, 3);
    ck_assert_float_eq_tol(huge[0], 0.5f, 1e-6f);
    ck_assert_float_eq_tol(huge[2], 0.0f, 1e-6f);
}
END_TEST

START_TEST(sigmoid_derivative_is_s_times_one_minus_s)
{
    for (float z = -6.0f; z <= 6.0f; z += 0.25f) {
        float s = z;
        nn_activation_forward(NN_ACT_SIGMOID, &s, 1, 1);
        ck_assert_float_eq_tol(s, 1.0f / (1.0f + expf(-z)), 1e-6f);
        float d = 1.0f;
        nn_activation_backward(NN_ACT_SIGMOID, &s, &d, 1, 1);
        ck_assert_float_eq_tol(d, s * (1.0f - s), 1e-7f);
        /* and it is the derivative: compare with central differences in double */
        double h = 1e-4, num = (1 / (1 + exp(-(z + h))) - 1 / (1 + exp(-(z - h)))) / (2 * h);
        ck_assert_double_eq_tol(d, num, 1e-5);
    }
}
END_TEST

/* Sigmoid and softmax take exp from a vectorised polynomial
 * (activation.c), within 1 ulp of the correctly rounded exp: compared with
 * the reference path, 1 / (1 + exp(-z)) and exp(z - max) / sum in double,
 * over a sweep of 20,001 inputs in [-100, 100] (beyond the polynomial's
 * clamps at -87.3 and 88.3 too), a few float roundings at most. NaN stays
 * NaN. */
START_TEST(sigmoid_and_softmax_exp_match_reference)
{
    enum { N = 20001 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; ++i)
        x[i] = y[i] = -100.0f + 0.01f * (float)i;
    nn_activation_forward(NN_ACT_SIGMOID, y, 1, N);
    for (int i = 0; i < N; ++i) {
        const double want = 1.0 / (1.0 + exp(-(double)x[i]));
        ck_assert_msg(fabs(y[i] - want) <= 4.0 * FLT_EPSILON * want + 1e-37,
                      "sigmoid(%g) = %.9g, want %.9g", x[i], y[i], want);
    }
    /* softmax rows of 37 (not a multiple of the vector width) */
    enum { R = N / 37, C = 37 };
    for (int i = 0; i < R * C; ++i)
        y[i] = x[i] * 0.3f;
    nn_activation_forward(NN_ACT_SOFTMAX, y, R, C);
    for (int r = 0; r < R; ++r) {
        const float *row = x + r * C;
        double mx = -1e300, sum = 0;
        for (int j = 0; j < C; ++j)
            mx = fmax(mx, (double)(row[j] * 0.3f));
        for (int j = 0; j < C; ++j)
            sum += exp((double)(row[j] * 0.3f) - mx);
        for (int j = 0; j < C; ++j) {
            const double want = exp((double)(row[j] * 0.3f) - mx) / sum;
            ck_assert_msg(fabs(y[r * C + j] - want) <= 8.0 * FLT_EPSILON * want + 1e-37,
                          "softmax row %d col %d = %.9g, want %.9g", r, j, y[r * C + j], want);
        }
    }
    float bad[3] = { NAN, 0.0f, 1.0f }, bad_row[3] = { 1.0f, NAN, 0.0f };
    nn_activation_forward(NN_ACT_SIGMOID, bad, 1, 3);
    ck_assert(isnan(bad[0]));
    nn_activation_forward(NN_ACT_SOFTMAX, bad_row, 1, 3);
    ck_assert(!isfinite(bad_row[0] + bad_row[1] + bad_row[2]));
    free(x);
    free(y);
}
END_TEST

START_TEST(tanh_and_relu_derivatives)
{
    float y[4] = { -0.5f, 0.0f, 0.25f, 0.9f }, d[4] = { 1, 1, 1, 1 };
    nn_activation_backward(NN_ACT_TANH, y, d, 1, 4);
    for (int i = 0; i < 4; ++i)
        ck_assert_float_eq_tol(d[i], 1.0f - y[i] * y[i], 1e-7f);
    float r[4] = { 0.0f, 0.0f, 2.0f, 0.5f }, dr[4] = { 3, 3, 3, 3 };
    nn_activation_backward(NN_ACT_RELU, r, dr, 1, 4);
    ck_assert_float_eq(dr[0], 0.0f);
    ck_assert_float_eq(dr[2], 3.0f);
}
END_TEST

static nn_config one_layer_cfg(int units, nn_init_kind init)
{
    static nn_layer_config layer;
    nn_config c;
    memset(&c, 0, sizeof c);
    memset(&layer, 0, sizeof layer);
    strcpy(c.path, "init.ini");
    strcpy(layer.name, "fc1");
    strcpy(layer.type, "dense");
    layer.units = units;
    layer.init = init;
    layer.input_index[0] = -1;
    layer.n_inputs = 1;
    c.layers = &layer;
    c.n_layers = 1;
    return c;
}

static void weight_moments(nn_init_kind init, double *mean, double *var, double *maxabs)
{
    static nn_config c;
    c = one_layer_cfg(64, init);
    nn_network net;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_network_build(&net, &c, (nn_shape){ 1024, 1, 1 }, 1, &err), 0);
    nn_network_init(&net, 42);
    const nn_param *W = &net.layers[0].params[0];
    double s = 0, s2 = 0, mx = 0;
    for (size_t i = 0; i < W->size; ++i) {
        s += W->value[i];
        s2 += (double)W->value[i] * W->value[i];
        mx = fmax(mx, fabs(W->value[i]));
    }
    *mean = s / W->size;
    *var = s2 / W->size - *mean * *mean;
    *maxabs = mx;
    for (size_t i = 0; i < net.layers[0].params[1].size; ++i)
        ck_assert_float_eq(net.layers[0].params[1].value[i], 0.0f);
    nn_network_free(&net);
}

START_TEST(xavier_uniform_has_variance_two_over_fan_sum)
{
    double mean, var, mx;
    weight_moments(NN_INIT_XAVIER, &mean, &var, &mx);
    const double expected = 2.0 / (1024 + 64); /* a^2/3 with a = sqrt(6/(in+out)) */
    ck_assert_double_le(fabs(mean), 0.002);
    ck_assert_double_le(fabs(var / expected - 1.0), 0.03);
    ck_assert_double_le(mx, sqrt(6.0 / (1024 + 64)));
    weight_moments(NN_INIT_HE, &mean, &var, &mx);
    ck_assert_double_le(fabs(var / (2.0 / 1024) - 1.0), 0.03);
}
END_TEST

START_TEST(init_depends_on_seed_only)
{
    static nn_config c;
    c = one_layer_cfg(8, NN_INIT_XAVIER);
    nn_network a, b;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_network_build(&a, &c, (nn_shape){ 16, 1, 1 }, 4, &err), 0);
    ck_assert_int_eq(nn_network_build(&b, &c, (nn_shape){ 16, 1, 1 }, 64, &err), 0);
    nn_network_init(&a, 5);
    nn_network_init(&b, 5);
    ck_assert_mem_eq(a.params, b.params, a.n_params * sizeof(float));
    nn_network_init(&b, 6);
    ck_assert(memcmp(a.params, b.params, a.n_params * sizeof(float)) != 0);
    nn_network_free(&a);
    nn_network_free(&b);
}
END_TEST

START_TEST(permutation_is_a_deterministic_permutation)
{
    enum { N = 1000 };
    size_t *p = malloc(N * sizeof *p), *q = malloc(N * sizeof *q);
    int seen[N] = { 0 };
    nn_rng_permutation(1, nn_rng_stream("shuffle", 0), p, N);
    nn_rng_permutation(1, nn_rng_stream("shuffle", 0), q, N);
    ck_assert_mem_eq(p, q, N * sizeof *p);
    for (int i = 0; i < N; ++i)
        seen[p[i]]++;
    for (int i = 0; i < N; ++i)
        ck_assert_int_eq(seen[i], 1);
    nn_rng_permutation(1, nn_rng_stream("shuffle", 1), q, N);
    ck_assert(memcmp(p, q, N * sizeof *p) != 0);
    int fixed = 0;
    for (int i = 0; i < N; ++i)
        fixed += p[i] == (size_t)i;
    ck_assert_int_lt(fixed, 10); /* ~1 expected for a random permutation */
    free(p);
    free(q);
}
END_TEST

START_TEST(uniform_draws_look_uniform)
{
    double s = 0;
    int buckets[10] = { 0 };
    for (int i = 0; i < 100000; ++i) {
        float u = nn_rng_uniform(9, 1, (uint64_t)i);
        ck_assert(u >= 0.0f && u < 1.0f);
        s += u;
        buckets[(int)(u * 10)]++;
    }
    ck_assert_double_le(fabs(s / 100000 - 0.5), 0.005);
    for (int b = 0; b < 10; ++b)
        ck_assert_int_le(abs(buckets[b] - 10000), 400);
}
END_TEST

/* A single 3-element "network" to drive the optimizers by hand. */
static void optim_setup(nn_network *net, nn_optimizer *opt, nn_train_config *tc,
                        nn_optimizer_kind kind, nn_config *c)
{
    *c = one_layer_cfg(1, NN_INIT_ZEROS);
    nn_error err = { 0 };
    ck_assert_int_eq(nn_network_build(net, c, (nn_shape){ 2, 1, 1 }, 1, &err), 0);
    memset(tc, 0, sizeof *tc);
    tc->optimizer = kind;
    tc->momentum = 0.9;
    tc->beta1 = 0.9;
    tc->beta2 = 0.999;
    tc->eps = 1e-8;
    ck_assert_int_eq(nn_optim_init(opt, tc, net->n_params, &err), 0);
    nn_param *W = &net->layers[0].params[0];
    W->value[0] = 1.0f;
    W->value[1] = -2.0f;
    W->grad[0] = 0.5f;
    W->grad[1] = -1.0f;
}

START_TEST(sgd_momentum_adam_updates)
{
    static nn_config c;
    nn_network net;
    nn_optimizer opt;
    nn_train_config tc;
    optim_setup(&net, &opt, &tc, NN_OPT_SGD, &c);
    nn_optim_step(&opt, &net, 0.1, 1);
    ck_assert_float_eq_tol(net.params[0], 1.0f - 0.05f, 1e-7f);
    nn_optim_free(&opt);
    nn_network_free(&net);

    optim_setup(&net, &opt, &tc, NN_OPT_MOMENTUM, &c);
    nn_optim_step(&opt, &net, 0.1, 1); /* v = 0.5; w = 1 - 0.05 */
    nn_optim_step(&opt, &net, 0.1, 2); /* v = 0.9*0.5 + 0.5 = 0.95; w -= 0.095 */
    ck_assert_float_eq_tol(net.params[0], 1.0f - 0.05f - 0.095f, 1e-6f);
    nn_optim_free(&opt);
    nn_network_free(&net);

    optim_setup(&net, &opt, &tc, NN_OPT_ADAM, &c);
    nn_optim_step(&opt, &net, 0.01, 1); /* first Adam step moves by lr * sign(g) */
    ck_assert_float_eq_tol(net.params[0], 1.0f - 0.01f, 1e-6f);
    ck_assert_float_eq_tol(net.params[1], -2.0f + 0.01f, 1e-6f);
    nn_optim_free(&opt);
    nn_network_free(&net);
}
END_TEST

/* nn_optim_step reports a non-finite value it wrote: a NaN or inf gradient
 * (it reaches the weight, even at lr 0), and a finite step that overflows a
 * weight; a clean step reports 1. Every optimizer, since each has its own
 * loop. */
START_TEST(optim_step_reports_non_finite)
{
    static nn_config c;
    const nn_optimizer_kind kinds[] = { NN_OPT_SGD, NN_OPT_MOMENTUM, NN_OPT_ADAM };
    const float bad_grads[] = { NAN, INFINITY, -INFINITY };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; ++k) {
        nn_network net;
        nn_optimizer opt;
        nn_train_config tc;
        optim_setup(&net, &opt, &tc, kinds[k], &c);
        ck_assert_int_eq(nn_optim_step(&opt, &net, 0.1, 1), 1);
        for (size_t b = 0; b < sizeof bad_grads / sizeof *bad_grads; ++b) {
            const double lrs[] = { 0.1, 0.0 };
            for (int r = 0; r < 2; ++r) {
                nn_optim_free(&opt);
                nn_network_free(&net);
                optim_setup(&net, &opt, &tc, kinds[k], &c);
                net.layers[0].params[0].grad[1] = bad_grads[b];
                ck_assert_msg(nn_optim_step(&opt, &net, lrs[r], 1) == 0,
                              "optimizer %zu, gradient %g, lr %g: not reported", k,
                              (double)bad_grads[b], lrs[r]);
            }
        }
        nn_optim_free(&opt);
        nn_network_free(&net);
    }
    /* SGD: 3e38 - 1 * (-3e38) overflows to inf with finite inputs. */
    nn_network net;
    nn_optimizer opt;
    nn_train_config tc;
    optim_setup(&net, &opt, &tc, NN_OPT_SGD, &c);
    net.layers[0].params[0].value[0] = 3e38f;
    net.layers[0].params[0].grad[0] = -3e38f;
    ck_assert_int_eq(nn_optim_step(&opt, &net, 1.0, 1), 0);
    nn_optim_free(&opt);
    nn_network_free(&net);
    /* A tensor the step does not update (layer state, frozen) is checked
     * as it is. */
    optim_setup(&net, &opt, &tc, NN_OPT_SGD, &c);
    nn_param *b = &net.layers[0].params[1];
    b->update = 0;
    ck_assert_int_eq(nn_optim_step(&opt, &net, 0.1, 1), 1);
    b->value[0] = NAN;
    ck_assert_int_eq(nn_optim_step(&opt, &net, 0.1, 2), 0);
    nn_optim_free(&opt);
    nn_network_free(&net);
}
END_TEST

/* A tensor larger than one update chunk is updated over the threads: the
 * same bits on 1 and 2 threads for every optimizer (each value on its
 * own), and a NaN gradient in the last chunk is still reported. */
START_TEST(optim_threads_same_bits)
{
    static nn_config c;
    const nn_optimizer_kind kinds[] = { NN_OPT_SGD, NN_OPT_MOMENTUM, NN_OPT_ADAM };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; ++k) {
        float *after[2] = { NULL, NULL };
        size_t n = 0;
        for (int threads = 1; threads <= 2; ++threads) {
            nn_set_threads(threads);
            c = one_layer_cfg(300, NN_INIT_ZEROS); /* 300 x 400 weights: 4 chunks */
            nn_network net;
            nn_optimizer opt;
            nn_train_config tc;
            nn_error err = { 0 };
            ck_assert_int_eq(nn_network_build(&net, &c, (nn_shape){ 400, 1, 1 }, 1, &err), 0);
            memset(&tc, 0, sizeof tc);
            tc.optimizer = kinds[k];
            tc.momentum = 0.9;
            tc.beta1 = 0.9;
            tc.beta2 = 0.999;
            tc.eps = 1e-8;
            tc.weight_decay = 1e-3;
            ck_assert_int_eq(nn_optim_init(&opt, &tc, net.n_params, &err), 0);
            for (size_t i = 0; i < net.n_params; ++i) {
                net.params[i] = nn_rng_uniform(5, 1, i) - 0.5f;
                net.grads[i] = nn_rng_uniform(5, 2, i) - 0.5f;
            }
            for (int step = 1; step <= 3; ++step)
                ck_assert_int_eq(nn_optim_step(&opt, &net, 0.1, step), 1);
            n = net.n_params;
            after[threads - 1] = malloc(n * sizeof(float));
            memcpy(after[threads - 1], net.params, n * sizeof(float));
            net.grads[net.layers[0].params[0].size - 1] = NAN; /* last chunk of W */
            ck_assert_int_eq(nn_optim_step(&opt, &net, 0.1, 4), 0);
            nn_optim_free(&opt);
            nn_network_free(&net);
        }
        ck_assert_msg(memcmp(after[0], after[1], n * sizeof(float)) == 0,
                      "optimizer %zu: 1 and 2 threads differ", k);
        free(after[0]);
        free(after[1]);
    }
    nn_set_threads(1);
}
END_TEST

START_TEST(weight_decay_skips_biases)
{
    static nn_config c;
    nn_network net;
    nn_optimizer opt;
    nn_train_config tc;
    optim_setup(&net, &opt, &tc, NN_OPT_SGD, &c);
    opt.weight_decay = 0.5;
    nn_param *b = &net.layers[0].params[1];
    b->value[0] = 1.0f;
    b->grad[0] = 0.0f;
    nn_optim_step(&opt, &net, 0.1, 1);
    ck_assert_float_eq_tol(net.params[0], 1.0f - 0.1f * (0.5f + 0.5f), 1e-6f);
    ck_assert_float_eq(b->value[0], 1.0f);
    nn_optim_free(&opt);
    nn_network_free(&net);
}
END_TEST

/* A hopeless sample (p[y] == 0) costs a finite -log(FLT_MIN); a NaN or inf
 * anywhere in the output row makes the loss non-finite, never a capped number
 * that would let a diverged run carry on. */
START_TEST(cross_entropy_caps_zero_but_not_nan)
{
    const int32_t y[1] = { 1 };
    const float zero[3] = { 1.0f, 0.0f, 0.0f };
    nn_loss_sums s = { 0, 0, 0 };
    nn_loss_eval(NN_LOSS_CROSS_ENTROPY, zero, y, 1, 3, 1.0f, NULL, NULL, &s);
    ck_assert(isfinite(s.loss));
    ck_assert_double_eq_tol(s.loss, -log(FLT_MIN), 1e-3);
    const float bad[4][3] = { { NAN, NAN, NAN },   /* p[y] NaN */
                              { NAN, 0.5f, 0.5f }, /* another output NaN */
                              { INFINITY, 0.5f, 0.0f },
                              { 0.0f, 1.0f, -INFINITY } };
    for (int i = 0; i < 4; ++i) {
        float g[3];
        int preact = 0;
        s = (nn_loss_sums){ 0, 0, 0 };
        nn_loss_eval(NN_LOSS_CROSS_ENTROPY, bad[i], y, 1, 3, 1.0f, g, &preact, &s);
        ck_assert_msg(!isfinite(s.loss), "row %d: loss %g", i, s.loss);
        s = (nn_loss_sums){ 0, 0, 0 };
        nn_loss_eval(NN_LOSS_MSE, bad[i], y, 1, 3, 1.0f, g, &preact, &s);
        ck_assert_msg(!isfinite(s.loss), "row %d: mse %g", i, s.loss);
    }
}
END_TEST

START_TEST(finite_check_finds_one_bad_value)
{
    enum { N = 1037 };
    float *x = calloc(N, sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (int i = 0; i < N; ++i)
        x[i] = (i % 2 ? -1.0f : 1.0f) * (float)i * 1e30f / N; /* large but finite */
    x[7] = FLT_MAX;
    x[8] = -FLT_MAX;
    x[9] = FLT_MIN / 4; /* denormal */
    ck_assert(nn_floats_finite(x, N));
    ck_assert(nn_floats_finite(x, 0));
    const float bad[] = { NAN, -NAN, INFINITY, -INFINITY };
    const int at[] = { 0, 500, N - 1 };
    for (size_t b = 0; b < sizeof bad / sizeof *bad; ++b)
        for (size_t a = 0; a < sizeof at / sizeof *at; ++a) {
            float keep = x[at[a]];
            x[at[a]] = bad[b];
            ck_assert_msg(!nn_floats_finite(x, N), "value %zu at %d not found", b, at[a]);
            ck_assert(nn_floats_finite(x, (size_t)at[a])); /* only the prefix before it */
            x[at[a]] = keep;
        }
    free(x);
}
END_TEST

START_TEST(learning_rate_schedules)
{
    nn_train_config tc;
    memset(&tc, 0, sizeof tc);
    tc.lr = 0.1;
    tc.epochs = 10;
    tc.schedule = NN_SCHED_CONSTANT;
    ck_assert_double_eq(nn_lr_at(&tc, 7, 3, 100), 0.1);
    tc.schedule = NN_SCHED_STEP;
    tc.step_epochs = 3;
    tc.gamma = 0.5;
    ck_assert_double_eq_tol(nn_lr_at(&tc, 2, 99, 100), 0.1, 1e-12);
    ck_assert_double_eq_tol(nn_lr_at(&tc, 3, 0, 100), 0.05, 1e-12);
    ck_assert_double_eq_tol(nn_lr_at(&tc, 7, 0, 100), 0.025, 1e-12);
    tc.schedule = NN_SCHED_COSINE;
    tc.min_lr = 0.001;
    ck_assert_double_eq_tol(nn_lr_at(&tc, 0, 0, 100), 0.1, 1e-12);
    ck_assert_double_eq_tol(nn_lr_at(&tc, 5, 0, 100), (0.1 + 0.001) / 2, 1e-12);
    ck_assert_double_eq_tol(nn_lr_at(&tc, 10, 0, 100), 0.001, 1e-12);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("math");
    TCase *tc = tcase_create("math");
    tcase_add_test(tc, softmax_is_shift_invariant_even_for_huge_inputs);
    tcase_add_test(tc, sigmoid_derivative_is_s_times_one_minus_s);
    tcase_add_test(tc, sigmoid_and_softmax_exp_match_reference);
    tcase_add_test(tc, tanh_and_relu_derivatives);
    tcase_add_test(tc, xavier_uniform_has_variance_two_over_fan_sum);
    tcase_add_test(tc, init_depends_on_seed_only);
    tcase_add_test(tc, permutation_is_a_deterministic_permutation);
    tcase_add_test(tc, uniform_draws_look_uniform);
    tcase_add_test(tc, sgd_momentum_adam_updates);
    tcase_add_test(tc, weight_decay_skips_biases);
    tcase_add_test(tc, optim_step_reports_non_finite);
    tcase_add_test(tc, optim_threads_same_bits);
    tcase_add_test(tc, learning_rate_schedules);
    tcase_add_test(tc, cross_entropy_caps_zero_but_not_nan);
    tcase_add_test(tc, finite_check_finds_one_bad_value);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
