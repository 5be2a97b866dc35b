/* Where a training step's time goes, layer by layer, and how close the
 * convolutions' matrix products come to the machine's sgemm peak.
 *
 *   build/nn_profile CONFIG.ini [--input CxHxW] [--batch B] [--threads T] [--steps N]
 *                    [--blis-only]
 *
 * Builds the config's network (its data files are not read: the input shape
 * comes from --input, default 1x28x28), trains N steps of momentum SGD on
 * random data with a batch of B on T threads, and prints per layer the
 * forward and backward milliseconds per step and, for layers with matrix
 * products, their GFLOP/s. Shared machines are noisy: every time is the
 * minimum over the steps (what the code costs when nothing interferes). The reference peak is BLIS sgemm on a 2000^3
 * product, measured in the same run on 1 and on T threads; "fraction of
 * peak" divides the convolutions' GFLOP/s per thread by the 1-thread peak.
 * --blis-only sends every product to BLIS (no small-dimension loops in
 * nn_gemm_1t, no thin-product kernel in nn_gemm), to measure what those
 * gain. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"
#include "nn/network.h"

typedef struct options {
    const char *config;
    nn_shape in;
    int batch, threads, steps, blis_only;
} options;

static int parse(int argc, char **argv, options *o)
{
    *o = (options){ NULL, { 1, 28, 28 }, 64, 1, 40, 0 };
    for (int i = 1; i < argc; ++i) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--input") == 0 && next)
            sscanf(argv[++i], "%dx%dx%d", &o->in.c, &o->in.h, &o->in.w);
        else if (strcmp(argv[i], "--batch") == 0 && next)
            o->batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && next)
            o->threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--steps") == 0 && next)
            o->steps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--blis-only") == 0)
            o->blis_only = 1;
        else if (argv[i][0] != '-' && !o->config)
            o->config = argv[i];
        else
            return -1;
    }
    return o->config && o->batch > 0 && o->threads > 0 && o->steps > 0 && o->in.c > 0 ? 0 : -1;
}

/* GFLOP/s of C = A B for n x n matrices on the current BLIS threads. */
static double sgemm_gflops(int n)
{
    float *a = nn_alloc_floats((size_t)n * n, NULL), *b = nn_alloc_floats((size_t)n * n, NULL);
    float *c = nn_alloc_floats((size_t)n * n, NULL);
    if (!a || !b || !c)
        return 0;
    for (size_t i = 0; i < (size_t)n * n; ++i)
        a[i] = b[i] = nn_rng_uniform(1, 2, i);
    double best = 0;
    for (int r = 0; r < 8; ++r) { /* the best of 8: the machine is shared */
        double t0 = omp_get_wtime();
        nn_gemm(1.0f, nn_mat_rm(a, n, n), nn_mat_rm(b, n, n), 0.0f, nn_mat_rm(c, n, n));
        double g = 2.0 * n * (double)n * n / (omp_get_wtime() - t0) / 1e9;
        best = g > best ? g : best;
    }
    nn_free_aligned(a), nn_free_aligned(b), nn_free_aligned(c);
    return best;
}

/* The multiply-adds of one training step per sample, counted as 2 flops
 * each: every conv and dense layer does its forward product, the weight
 * gradient, and the input gradient unless it reads the network input (the
 * trainer gives the first layer no dx). The issue counts 3 products for
 * every layer (25.4 MFLOP for the bench CNN); this counts what is computed. */
static double step_flops_per_sample(const nn_network *net)
{
    double f = 0;
    for (int i = 0; i < net->n_layers; ++i) {
        const nn_layer *l = &net->layers[i];
        double fwd = 0;
        if (strcmp(l->cfg->type, "conv") == 0)
            fwd = 2.0 * l->cfg->filters * l->in_shape.c * l->cfg->size * l->cfg->size *
                  l->out_shape.h * l->out_shape.w;
        else if (strcmp(l->cfg->type, "dense") == 0)
            fwd = 2.0 * (double)l->in_dim * (double)l->out_dim;
        f += fwd * (l->inputs[0] < 0 ? 2 : 3);
    }
    return f;
}

/* Of one layer, the smallest forward / backward / product time of any step. */
typedef struct best_time {
    double fwd, bwd, gemm, flops;
} best_time;

/* best: [n_layers] */
static void take_step_times(nn_network *net, best_time *best, int first)
{
    for (int i = 0; i < net->n_layers; ++i) {
        nn_layer *l = &net->layers[i];
        best_time *b = &best[i];
        if (first || l->fwd_seconds < b->fwd)
            b->fwd = l->fwd_seconds;
        if (first || l->bwd_seconds < b->bwd)
            b->bwd = l->bwd_seconds;
        if (first || l->gemm_seconds < b->gemm)
            b->gemm = l->gemm_seconds, b->flops = l->gemm_flops;
        l->fwd_seconds = l->bwd_seconds = l->gemm_flops = l->gemm_seconds = 0;
    }
}

int main(int argc, char **argv)
{
    options o;
    if (parse(argc, argv, &o)) {
        fprintf(stderr, "usage: nn_profile CONFIG.ini [--input CxHxW] [--batch B] "
                        "[--threads T] [--steps N] [--blis-only]\n");
        return 2;
    }
    static nn_config cfg;
    nn_network net;
    nn_error err = { 0 };
    char *text = NULL;
    nn_optimizer opt;
    if (nn_read_text_file(o.config, &text, &err) ||
        nn_config_parse_flags(&cfg, o.config, text, NULL, 0,
                              NN_CONFIG_NO_FILE_CHECK | NN_CONFIG_NO_INIT_FROM, &err) ||
        nn_network_build_threads(&net, &cfg, o.in, o.batch, o.threads, &err) ||
        nn_optim_init(&opt, &cfg.train, net.n_params, &err)) {
        fprintf(stderr, "nn_profile: %s\n", err.msg);
        return 1;
    }
    free(text);
    nn_gemm_small_loops(!o.blis_only);
    nn_set_threads(1);
    const double peak1 = sgemm_gflops(2000);
    nn_set_threads(o.threads);
    const double peakT = o.threads > 1 ? sgemm_gflops(2000) : peak1;
    nn_network_init(&net, 1);
    float *x = nn_alloc_floats((size_t)o.batch * net.in_dim, &err);
    int32_t *y = calloc((size_t)o.batch, sizeof *y);
    size_t *ids = calloc((size_t)o.batch, sizeof *ids);
    best_time *best = calloc((size_t)net.n_layers, sizeof *best);
    if (!x || !y || !ids || !best) {
        fprintf(stderr, "nn_profile: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)o.batch * net.in_dim; ++i)
        x[i] = nn_rng_uniform(3, 4, i);
    for (int i = 0; i < o.batch; ++i)
        y[i] = i % (int)net.out_dim, ids[i] = (size_t)i;
    nn_ctx ctx = { 1, 1, 0, ids, NULL, NULL, NULL };
    double total = 1e30;
    net.profile = 1;
    for (int s = -5; s < o.steps; ++s) { /* 5 warm-up steps */
        double t0 = omp_get_wtime();
        const float *out = nn_network_forward_ctx(&net, x, o.batch, &ctx);
        nn_layer *last = nn_network_output_layer(&net);
        nn_loss_sums sums = { 0, 0, 0 };
        nn_loss_eval(cfg.train.loss, out, y, o.batch, (int)net.out_dim, 1.0f / o.batch, last->dout,
                     &last->dout_is_preact, &sums);
        nn_network_backward(&net, x, o.batch, &ctx);
        nn_optim_step(&opt, &net, cfg.train.lr, s + 6);
        const double dt = omp_get_wtime() - t0;
        total = s >= 0 && dt < total ? dt : total;
        take_step_times(&net, best, s <= 0);
    }
    printf("nn_profile %s: batch %d, %d thread(s), input %dx%dx%d, %d steps, BLIS '%s'%s\n",
           o.config, o.batch, o.threads, o.in.c, o.in.h, o.in.w, o.steps, nn_blas_kernels(),
           o.blis_only ? ", every product in BLIS" : "");
    printf("sgemm 2000^3 peak: %.1f GFLOP/s on 1 thread, %.1f on %d\n", peak1, peakT, o.threads);
    printf("%-14s %-10s %10s %10s %12s\n", "layer", "type", "fwd ms", "bwd ms", "gemm GF/s");
    double conv_flops = 0, conv_sec = 0, layers = 0;
    for (int i = 0; i < net.n_layers; ++i) {
        const nn_layer *l = &net.layers[i];
        const double f = best[i].fwd * 1e3, b = best[i].bwd * 1e3;
        layers += f + b;
        if (l->absorbed_by) { /* fused: its time is in its producer's */
            printf("%-14s %-10s %21s in [%s]\n", l->cfg->name, l->cfg->type, "computed",
                   l->absorbed_by->cfg->name);
            continue;
        }
        printf("%-14s %-10s %10.3f %10.3f", l->cfg->name, l->cfg->type, f, b);
        if (best[i].gemm > 0)
            printf(" %12.1f", best[i].flops / best[i].gemm / 1e9);
        printf("\n");
        if (strcmp(l->cfg->type, "conv") == 0)
            conv_flops += best[i].flops, conv_sec += best[i].gemm;
    }
    printf("fastest step: %.3f ms (sum of the layers' fastest: %.3f), %.0f samples/s\n",
           total * 1e3, layers, o.batch / total);
    const double step_flops = step_flops_per_sample(&net);
    printf("whole step: %.1f MFLOP per sample, %.1f GFLOP/s per thread = %.0f%% of the 1-thread "
           "sgemm peak\n",
           step_flops / 1e6, step_flops * o.batch / total / o.threads / 1e9,
           100.0 * step_flops * o.batch / total / o.threads / 1e9 / peak1);
    if (conv_sec > 0) {
        /* gemm_seconds add up the time of every thread: GFLOP/s per thread */
        const double g = conv_flops / conv_sec / 1e9;
        printf("conv GEMMs: %.1f GFLOP/s per thread = %.0f%% of the 1-thread sgemm peak; "
               "they take %.0f%% of the step\n",
               g, 100.0 * g / peak1, 100.0 * conv_sec / o.threads / total);
    }
    nn_free_aligned(x);
    free(y);
    free(ids);
    free(best);
    nn_optim_free(&opt);
    nn_network_free(&net);
    nn_config_free(&cfg);
    return 0;
}
