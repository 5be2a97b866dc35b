/* Per-layer forward and backward times in thread CPU time, one thread:
 *
 *   build/nn_layer_cputime CONFIG.ini [STEPS] [SECTION.KEY=VALUE ...]
 *
 * Builds the config's network for 1 x 28 x 28 inputs and a batch of 64,
 * runs STEPS (default 30) forward and backward passes on random data (no
 * optimizer step) and prints per layer the smallest forward and backward
 * time of any step. Why thread CPU time: on a machine shared with other
 * jobs (load averages of 7-14 on 2 cores while the convolution kernels were
 * written) wall-clock minima still include preemption; CPU time of the
 * calling thread does not, so two builds run one after the other compare
 * (cache sharing with other jobs still adds noise: repeat and alternate).
 * Settings after STEPS override the config's, as --set does for nntrain
 * (e.g. train.conv_algorithm=gemm to time the reference convolution). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/core.h"
#include "nn/network.h"

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void keep_min(double *best, double t) { *best = t < *best ? t : *best; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nn_layer_cputime CONFIG.ini [STEPS] [SECTION.KEY=VALUE ...]\n");
        return 2;
    }
    const int steps = argc > 2 ? atoi(argv[2]) : 30, B = 64;
    static nn_config cfg;
    nn_network net;
    nn_error err = { 0 };
    char *text = NULL;
    if (nn_read_text_file(argv[1], &text, &err) ||
        nn_config_parse_flags(&cfg, argv[1], text, (const char *const *)argv + 3,
                              argc > 3 ? argc - 3 : 0,
                              NN_CONFIG_NO_FILE_CHECK | NN_CONFIG_NO_INIT_FROM, &err) ||
        nn_network_build_threads(&net, &cfg, (nn_shape){ 1, 28, 28 }, B, 1, &err)) {
        fprintf(stderr, "nn_layer_cputime: %s\n", err.msg);
        return 1;
    }
    free(text);
    nn_set_threads(1);
    nn_network_init(&net, 1);
    float *x = nn_alloc_floats((size_t)B * net.in_dim, &err);
    size_t *ids = calloc((size_t)B, sizeof *ids);
    double *fwd = calloc((size_t)net.n_layers, sizeof *fwd);
    double *bwd = calloc((size_t)net.n_layers, sizeof *bwd);
    if (!x || !ids || !fwd || !bwd) {
        fprintf(stderr, "nn_layer_cputime: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)B * net.in_dim; ++i)
        x[i] = nn_rng_uniform(3, 4, i);
    for (int i = 0; i < B; ++i)
        ids[i] = (size_t)i;
    for (int i = 0; i < net.n_layers; ++i)
        fwd[i] = bwd[i] = 1e30;
    nn_ctx ctx = { .training = 1, .seed = 1, .sample_ids = ids };
    double step = 1e30;
    for (int s = 0; s < steps; ++s) {
        const double s0 = cpu_seconds();
        for (int i = 0; i < net.n_layers; ++i) {
            nn_layer *l = &net.layers[i];
            if (l->absorbed_by) /* fused into its producer: timed there */
                continue;
            const float *in[NN_MAX_INPUTS];
            for (int k = 0; k < l->n_inputs; ++k) /* add and concat read several */
                in[k] = l->inputs[k] < 0 ? x : net.layers[l->inputs[k]].out;
            const double t0 = cpu_seconds();
            if (l->ops->forward)
                l->ops->forward(l, in, l->out, B, &ctx);
            else /* a layer that only reshapes (flatten): out is its input */
                memcpy(l->out, in[0], (size_t)B * l->out_dim * sizeof(float));
            keep_min(&fwd[i], cpu_seconds() - t0);
        }
        nn_layer *last = nn_network_output_layer(&net);
        for (size_t i = 0; i < (size_t)B * last->out_dim; ++i) /* a fixed dL/dZ */
            last->dout[i] = 0.01f * (float)((int)(i % 7) - 3);
        last->dout_is_preact = 1;
        for (int i = net.n_layers - 1; i >= 0; --i) {
            nn_layer *l = &net.layers[i];
            if (l->absorbed_by)
                continue;
            const float *in[NN_MAX_INPUTS];
            float *din[NN_MAX_INPUTS];
            for (int k = 0; k < l->n_inputs; ++k) {
                const int p = l->inputs[k];
                in[k] = p < 0 ? x : net.layers[p].out;
                din[k] = p < 0 ? NULL : net.layers[p].dout;
            }
            const double t0 = cpu_seconds();
            if (l->ops->backward)
                l->ops->backward(l, in, l->out, l->dout, din, B, &ctx);
            else if (din[0])
                memcpy(din[0], l->dout, (size_t)B * l->out_dim * sizeof(float));
            keep_min(&bwd[i], cpu_seconds() - t0);
        }
        keep_min(&step, cpu_seconds() - s0);
    }
    double sum = 0;
    printf("%-14s %10s %10s   (thread CPU ms, best of %d steps, batch %d)\n", "layer", "fwd ms",
           "bwd ms", steps, B);
    for (int i = 0; i < net.n_layers; ++i) {
        if (net.layers[i].absorbed_by) {
            printf("%-14s %21s in [%s]\n", net.layers[i].cfg->name, "computed",
                   net.layers[i].absorbed_by->cfg->name);
            continue;
        }
        printf("%-14s %10.3f %10.3f\n", net.layers[i].cfg->name, fwd[i] * 1e3, bwd[i] * 1e3);
        sum += fwd[i] + bwd[i];
    }
    printf("layers: %.3f ms, fastest forward + backward: %.3f ms\n", sum * 1e3, step * 1e3);
    nn_free_aligned(x);
    free(ids), free(fwd), free(bwd);
    nn_network_free(&net);
    nn_config_free(&cfg);
    return 0;
}
