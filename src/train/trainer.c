/* The epoch loop of data-parallel minibatch SGD.
 *
 * Each global batch (batch_size samples of this epoch's permutation, which
 * depends on (seed, epoch) only) is cut into one contiguous share per rank.
 * Every rank computes the gradient of (1/global batch) * its samples' loss,
 * the gradients are summed over ranks (plus the step's statistics and the
 * stop flag, which ride at the end of the same buffer), and every rank
 * applies the same update. The sum goes in buckets of a few layers, each
 * started as soon as backward has finished its layers ([train] overlap), so
 * that messages travel while the earlier layers compute; every element is
 * added in rank order, so the bits do not depend on the buckets. A rank with no samples in a short last batch contributes zeros but
 * still joins the allreduce, so no rank waits on a collective others skip. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/core.h"
#include "nn/trainer.h"

static volatile sig_atomic_t g_stop_signal;

void nn_train_request_stop(int signum) { g_stop_signal = signum; }

/* Fault-injection hook for the tests: NNTRAIN_TEST_SIGNAL_AT_STEP=N makes rank
 * 0 send itself SIGUSR1 before global step N, exercising the real signal path
 * at a reproducible moment. */
static void maybe_inject_signal(const nn_trainer *t)
{
    static long long at = -2;
    if (at == -2) {
        const char *s = getenv("NNTRAIN_TEST_SIGNAL_AT_STEP");
        at = s ? atoll(s) : -1;
    }
    if (t->dist.rank == 0 && at >= 0 && t->global_step == at)
        raise(SIGUSR1);
}

/* Slots of the gradient buffer's tail. */
enum { TAIL_LOSS, TAIL_CORRECT, TAIL_COUNT, TAIL_STOP, TAIL_USED };

/* After layer's backward: start the bucket it completes, and let the ones
 * in flight advance (MPI moves data only inside MPI calls). */
static void on_backward_done(void *arg, int layer)
{
    nn_trainer *t = arg;
    const int b = t->bucket_ready[layer];
    if (b >= 0)
        nn_dist_buckets_start(t->buckets, b);
    nn_dist_buckets_progress(t->buckets);
}

/* Cut grads[0, n_params + TAIL_USED) into buckets at the first parameter of
 * layers, from the last layer back, each holding at least bucket_kb (one
 * bucket for the whole buffer without overlap); a bucket is ready when its
 * lowest layer has finished backward. The step's statistics at the end of
 * the buffer go with the last layers. Collective; nothing with one rank. */
static int plan_buckets(nn_trainer *t, nn_error *err)
{
    const nn_network *net = &t->net;
    if (t->dist.size == 1 || t->buckets)
        return NN_OK;
    const size_t cap = (size_t)1 << 28; /* MPI counts are int */
    size_t target = (size_t)t->cfg.train.bucket_kb * 1024 / sizeof(float);
    if (!t->cfg.train.overlap || target > cap)
        target = cap;
    int lowest = -1; /* the first layer with parameters: its bucket starts at 0 */
    for (int i = net->n_layers - 1; i >= 0; --i)
        if (net->layers[i].n_params > 0)
            lowest = i;
    size_t *cuts = nn_calloc((size_t)net->n_layers + 2, sizeof *cuts, err);
    t->bucket_ready = cuts ? nn_calloc((size_t)net->n_layers, sizeof(int), err) : NULL;
    int rc = t->bucket_ready ? NN_OK : NN_E_NOMEM;
    int n = 0; /* buckets, found last to first; cuts[0] = end, cuts[k] = start of bucket k-1 */
    if (!rc) {
        size_t hi = net->n_params + TAIL_USED;
        cuts[0] = hi;
        for (int i = net->n_layers - 1; i >= 0; --i) {
            const nn_layer *l = &net->layers[i];
            t->bucket_ready[i] = -1;
            const size_t lo = l->n_params > 0 ? l->params[0].offset : hi;
            if (i == (lowest < 0 ? 0 : lowest) || (l->n_params > 0 && hi - lo >= target)) {
                const size_t start = i == (lowest < 0 ? 0 : lowest) ? 0 : lo;
                t->bucket_ready[i] = n; /* renumbered below */
                cuts[++n] = start;
                hi = start;
            }
        }
        /* Ascending bounds: bucket k (from the start of the buffer) is
         * [cuts[n - k], cuts[n - k - 1]). */
        for (int a = 0, b = n; a < b; ++a, --b) {
            size_t tmp = cuts[a];
            cuts[a] = cuts[b];
            cuts[b] = tmp;
        }
        for (int i = 0; i < net->n_layers; ++i)
            if (t->bucket_ready[i] >= 0)
                t->bucket_ready[i] = n - 1 - t->bucket_ready[i];
        t->buckets = nn_dist_buckets_new(net->grads, cuts, n, err);
        rc = t->buckets ? NN_OK : NN_E_NOMEM;
    }
    free(cuts);
    return nn_dist_vote(rc, err);
}

/* The context of a training step: the seed, epoch and sample ids that make
 * dropout and augmentation rank-count invariant, and the sum over ranks that
 * batch normalization uses (layers never call MPI themselves). */
static nn_ctx step_ctx(nn_trainer *t, const size_t *sample_ids)
{
    nn_ctx ctx = { 0 };
    ctx.training = 1;
    ctx.seed = t->cfg.train.seed;
    ctx.epoch = t->epoch;
    ctx.sample_ids = sample_ids;
    ctx.sum_floats = t->dist.size > 1 ? nn_dist_sum_floats : NULL;
    if (t->buckets && t->cfg.train.overlap) {
        ctx.backward_done = on_backward_done;
        ctx.backward_arg = t;
    }
    return ctx;
}

/* Forward and backward on this rank's share of the global batch
 * perm[first, first + global); leaves gradients and statistics in grads. A
 * rank with no sample still runs both passes with B = 0: layers that sum
 * statistics over ranks (batch norm) need every rank in their collectives,
 * and every layer then writes zero gradients. */
static void compute_share(nn_trainer *t, size_t first, size_t global)
{
    const size_t P = (size_t)t->dist.size, r = (size_t)t->dist.rank;
    const size_t lo = global * r / P, hi = global * (r + 1) / P;
    const int n = (int)(hi - lo);
    const size_t *ids = t->perm + first + lo; /* [n] global sample indices */
    float *tail = t->net.grads + t->net.n_params;
    nn_loss_sums sums = { 0, 0, 0 };
    nn_trainer_gather(t, &t->train, ids, (size_t)n, 1, t->x, t->y);
    nn_ctx ctx = step_ctx(t, ids);
    const float *out = nn_network_forward_ctx(&t->net, t->x, n, &ctx);
    nn_layer *last = nn_network_output_layer(&t->net);
    nn_trainer_batch_loss(t, out, t->x, t->y, n, 1.0f / (float)global, last->dout,
                          &last->dout_is_preact, &sums);
    /* The statistics are final now and go with the first bucket. */
    memset(tail, 0, NN_GRAD_TAIL * sizeof(float));
    tail[TAIL_LOSS] = (float)sums.loss;
    tail[TAIL_CORRECT] = (float)sums.correct;
    tail[TAIL_COUNT] = (float)sums.count;
    tail[TAIL_STOP] = g_stop_signal ? 1.0f : 0.0f;
    nn_network_backward(&t->net, t->x, n, &ctx);
}

/* Wait for the sum of every bucket over ranks (starting those not started). */
static void sum_gradients(nn_trainer *t)
{
    if (!t->buckets)
        return;
    const double t0 = nn_dist_wtime();
    nn_dist_buckets_wait(t->buckets);
    t->comm_wait += nn_dist_wtime() - t0;
}

typedef enum { STEP_OK, STEP_STOP, STEP_DIVERGED } step_result;

/* What went non-finite in a step, for the message. */
typedef enum { BAD_NONE, BAD_LOSS, BAD_GRADS, BAD_WEIGHTS, BAD_OPTIM } bad_state;

static const char *bad_state_text(bad_state b)
{
    switch (b) {
    case BAD_LOSS: return "the loss is";
    case BAD_GRADS: return "the gradients are";
    case BAD_WEIGHTS: return "the weights after the update are";
    case BAD_OPTIM: return "the optimizer state after the update is";
    case BAD_NONE: break;
    }
    return "the state is";
}

/* Which value went bad, once the step's fused check (nn_optim_step) or
 * the loss said something did. The summed gradients are untouched by the
 * update, so they are still there to blame; a NaN or inf on any rank
 * survives the sum, and every rank checks the same summed bytes, so all
 * ranks reach the same verdict without another collective. */
static bad_state classify_bad(const nn_trainer *t)
{
    const float *tail = t->net.grads + t->net.n_params;
    if (!isfinite(tail[TAIL_LOSS]))
        return BAD_LOSS;
    if (!nn_floats_finite(t->net.grads, t->net.n_params))
        return BAD_GRADS;
    if (!nn_floats_finite(t->net.params, t->net.n_params))
        return BAD_WEIGHTS;
    return BAD_OPTIM;
}

static step_result train_step(nn_trainer *t, bad_state *bad)
{
    const size_t B = (size_t)t->cfg.train.batch_size;
    const size_t first = (size_t)t->step * B;
    const size_t global = t->train.n - first < B ? t->train.n - first : B;
    t->lr = nn_lr_at(&t->cfg.train, t->epoch, t->step, t->steps_per_epoch);
    maybe_inject_signal(t);
    const double t0 = nn_dist_wtime();
    compute_share(t, first, global);
    sum_gradients(t);
    t->step_seconds += nn_dist_wtime() - t0;
    t->timed_steps++;
    const float *tail = t->net.grads + t->net.n_params;
    /* A non-finite loss stops the step before the update; a non-finite
     * gradient, weight or optimizer state right after the update that met
     * it. Either way the cursor stays on this step and nothing of it is
     * saved (the weights in memory are never written out). */
    if (!isfinite(tail[TAIL_LOSS]) || !nn_optim_step(&t->opt, &t->net, t->lr, t->global_step + 1)) {
        *bad = classify_bad(t);
        return STEP_DIVERGED;
    }
    t->epoch_sums.loss += tail[TAIL_LOSS];
    t->epoch_sums.correct += tail[TAIL_CORRECT];
    t->epoch_sums.count += tail[TAIL_COUNT];
    t->step++;
    t->global_step++;
    return tail[TAIL_STOP] > 0 ? STEP_STOP : STEP_OK;
}

/* Write the checkpoint, but never from a non-finite state: a bad state
 * that got past the step checks (a resumed checkpoint that already held
 * NaN, say) must not replace the last good file. The weights are the same
 * on every rank, so every rank refuses alike. Collective. */
static int save_checkpoint(nn_trainer *t, nn_error *err)
{
    if (nn_floats_finite(t->net.params, t->net.n_params) && nn_optim_state_finite(&t->opt))
        return nn_trainer_save(t, err);
    int rc = nn_fail(err, NN_E_DIVERGED,
                     "not writing %s: the weights or optimizer state are not finite (after "
                     "%lld steps of training)",
                     t->ckpt_path, (long long)t->global_step);
    return nn_dist_vote(rc, err);
}

/* The message of a diverged step (rank 0's). */
static int fail_diverged(const nn_trainer *t, bad_state bad, nn_error *err)
{
    const int saved = access(t->ckpt_path, F_OK) == 0;
    return nn_fail(err, NN_E_DIVERGED,
                   "training diverged: %s not finite at epoch %lld, step %lld (learning rate "
                   "%g); stopped without saving. %s %s",
                   bad_state_text(bad), (long long)t->epoch + 1, (long long)t->step + 1, t->lr,
                   saved ? "The last good checkpoint, unchanged, is"
                         : "No checkpoint had been written yet to",
                   saved ? t->ckpt_path : t->run_dir);
}

/* How long the steps of this run waited for the gradient sums: with
 * overlap on, what the computation did not hide; with it off, all of it. */
static void report_comm(const nn_trainer *t)
{
    if (t->dist.rank != 0 || !t->buckets || t->timed_steps == 0)
        return;
    const double per = 1e3 / (double)t->timed_steps;
    printf("gradient sums: %d bucket(s), overlap %s: waited %.3f ms per step of %.3f ms (%.1f%%)\n",
           nn_dist_buckets_count(t->buckets), t->cfg.train.overlap ? "on" : "off",
           t->comm_wait * per, t->step_seconds * per,
           t->step_seconds > 0 ? 100.0 * t->comm_wait / t->step_seconds : 0.0);
    fflush(stdout);
}

static int finish_epoch(nn_trainer *t, double start, int64_t samples, nn_error *err)
{
    nn_epoch_metrics m = { 0 };
    m.epoch = t->epoch + 1;
    m.train_loss = t->epoch_sums.count > 0 ? t->epoch_sums.loss / t->epoch_sums.count : NAN;
    m.train_acc = t->epoch_sums.count > 0 ? t->epoch_sums.correct / t->epoch_sums.count : NAN;
    m.valid_loss = m.valid_acc = m.valid_psnr = NAN;
    double train_seconds = nn_dist_wtime() - start;
    if (nn_trainer_is_recon(t)) { /* an autoencoder: PSNR instead of accuracy */
        nn_recon_sums v = { 0, 0, 0 };
        int rc = t->valid.n > 0 ? nn_trainer_evaluate_recon(t, &t->valid, &v, NULL, err) : NN_OK;
        if (rc)
            return rc;
        m.train_acc = NAN;
        m.valid_loss = v.count > 0 ? v.loss / v.count : NAN;
        m.valid_psnr = v.count > 0 ? v.psnr / v.count : NAN;
    } else if (t->valid.n > 0) {
        nn_loss_sums v = nn_trainer_evaluate(t, &t->valid, NULL);
        m.valid_loss = v.loss / v.count;
        m.valid_acc = v.correct / v.count;
    }
    m.lr = t->lr;
    m.seconds = nn_dist_wtime() - start;
    m.samples_per_sec = train_seconds > 0 ? (double)samples / train_seconds : 0;
    double eta = m.seconds * (double)(t->cfg.train.epochs - m.epoch);
    nn_progress_epoch(t, &m, eta);
    if (m.epoch == t->cfg.train.epochs)
        report_comm(t);
    t->epoch++;
    t->step = 0;
    t->epoch_sums = (nn_loss_sums){ 0, 0, 0 };
    int rc = t->dist.rank == 0 ? nn_metrics_append(t->metrics, &m, err) : NN_OK;
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    if (t->epoch % t->cfg.train.checkpoint_every == 0 || t->epoch == t->cfg.train.epochs)
        rc = save_checkpoint(t, err);
    return rc;
}

/* One epoch from the current cursor. Returns 0, an error code, or an outcome. */
int nn_trainer_run_epoch(nn_trainer *t, nn_error *err)
{
    int rc = plan_buckets(t, err);
    if (rc)
        return rc;
    if (t->cfg.train.shuffle)
        nn_rng_permutation(t->cfg.train.seed, nn_rng_stream("shuffle", (uint64_t)t->epoch), t->perm,
                           t->train.n);
    else
        for (size_t i = 0; i < t->train.n; ++i)
            t->perm[i] = i;
    const double start = nn_dist_wtime();
    const int64_t first_step = t->step;
    int stop = 0;
    while (t->step < t->steps_per_epoch && !stop) {
        bad_state bad = BAD_NONE;
        step_result s = train_step(t, &bad);
        if (s == STEP_DIVERGED) {
            if (t->dist.rank == 0)
                fail_diverged(t, bad, err);
            return nn_dist_vote(NN_E_DIVERGED, err);
        }
        stop = s == STEP_STOP;
        int64_t done = (t->step - first_step) * t->cfg.train.batch_size;
        nn_progress_step(t, start, done > (int64_t)t->train.n ? (int64_t)t->train.n : done);
    }
    if (t->step == t->steps_per_epoch) {
        int64_t samples = (int64_t)t->train.n - first_step * t->cfg.train.batch_size;
        rc = finish_epoch(t, start, samples, err);
    } else {
        rc = save_checkpoint(t, err); /* stopped mid-epoch */
    }
    if (!rc && stop) {
        if (t->dist.rank == 0)
            printf("stop requested by signal: checkpoint %s written at epoch %lld, step %lld; "
                   "resume with --resume\n",
                   t->ckpt_path, (long long)t->epoch + 1, (long long)t->step);
        return NN_STOPPED;
    }
    return rc;
}

int nn_trainer_start(nn_trainer *t, const nn_run_options *opts, nn_error *err)
{
    const char *resume = opts->resume;
    char picked[NN_CKPT_PATH_LEN];
    if (resume && strcmp(resume, "auto") == 0) {
        int rc = nn_trainer_pick_resume(t, picked, sizeof picked, err);
        if (rc)
            return rc;
        resume = picked[0] ? picked : NULL;
    }
    nn_network_init(&t->net, t->cfg.train.seed);
    /* Resuming restores every weight, so init_from matters only at the start. */
    int rc = resume ? NN_OK : nn_trainer_init_from(t, err);
    if (rc)
        return rc;
    if (t->net.layers[0].n_params > 0) {
        const nn_param *first = &t->net.layers[0].params[0];
        memcpy(t->init_weights, first->value, first->size * sizeof(float));
    }
    rc = resume ? nn_trainer_resume(t, resume, err) : NN_OK;
    if (rc)
        return rc;
    if (t->dist.rank == 0) {
        rc = nn_metrics_open(&t->metrics, t->metrics_path, resume ? t->epoch : -1, err);
        if (resume && !rc)
            printf("resuming from %s at epoch %lld, step %lld\n", resume, (long long)t->epoch + 1,
                   (long long)t->step);
    }
    return nn_dist_vote(rc, err);
}

void nn_trainer_print_header(const nn_trainer *t)
{
    if (t->dist.rank != 0)
        return;
    printf("nntrain %s: %s, %d rank(s) x %d thread(s), BLIS kernels '%s'\n", NN_VERSION,
           t->cfg.path, t->dist.size, nn_get_threads(), nn_blas_kernels());
    int n_hosts = 1;
    const char *hosts = nn_dist_hosts(&n_hosts);
    if (t->dist.size > 1)
        printf("hosts: %d: %s\n", n_hosts, hosts);
    printf("data: %zu train, %zu valid, %zu test samples of %d x %d x %d, %d classes\n", t->train.n,
           t->valid.n, t->test.n, t->train.c, t->train.h, t->train.w, t->train.num_classes);
    if (t->shared_bytes > 0 && t->shared_least == t->shared_most)
        printf("data: one copy per host, shared by %d rank%s (%.1f MB)\n", t->shared_most,
               t->shared_most == 1 ? "" : "s", (double)t->shared_bytes / 1e6);
    else if (t->shared_bytes > 0)
        printf("data: one copy per host, shared by %d to %d ranks (%.1f MB)\n", t->shared_least,
               t->shared_most, (double)t->shared_bytes / 1e6);
    nn_network_summary(&t->net, stdout);
    if (t->cfg.train.n_freeze > 0) {
        printf("frozen (no updates; batch norm uses its running statistics):");
        for (int i = 0; i < t->cfg.train.n_freeze; ++i)
            printf(" %s", t->net.layers[t->cfg.train.freeze_index[i]].cfg->name);
        printf("\n");
    }
    fflush(stdout);
}
