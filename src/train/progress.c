/* Progress on rank 0: on a terminal a live line redrawn a few times a
 * second; in a log (SLURM, CI) one plain line per epoch, plus a plain
 * progress line every LOG_INTERVAL seconds inside long epochs.
 *
 * mpirun gives its ranks pseudo-terminals even when its own output goes to
 * a file, so under MPI a terminal cannot be detected: the live line is then
 * used only when NNTRAIN_PROGRESS=live. NNTRAIN_PROGRESS=lines forces plain
 * lines everywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/trainer.h"

static void format_duration(double s, char *buf, size_t n)
{
    long t = s > 0 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

#define LOG_INTERVAL 30.0

static int live_progress(void)
{
    static int mode = -1;
    if (mode < 0) {
        const char *env = getenv("NNTRAIN_PROGRESS");
        int under_mpi = getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") ||
                        getenv("PMI_RANK") || getenv("SLURM_STEP_ID");
        if (env && strcmp(env, "live") == 0)
            mode = 1;
        else if (env && strcmp(env, "lines") == 0)
            mode = 0;
        else
            mode = isatty(STDOUT_FILENO) && !under_mpi;
    }
    return mode;
}

void nn_progress_step(const nn_trainer *t, double epoch_start, int64_t samples_done)
{
    static double last_draw;
    if (t->dist.rank != 0)
        return;
    const int live = live_progress();
    double now = nn_dist_wtime();
    if (last_draw < epoch_start)
        last_draw = epoch_start;
    if (now - last_draw < (live ? 0.25 : LOG_INTERVAL) || t->step == t->steps_per_epoch)
        return;
    last_draw = now;
    double elapsed = now - epoch_start;
    double rate = elapsed > 0 ? samples_done / elapsed : 0;
    double left = rate > 0 ? (double)(t->train.n - (size_t)samples_done) / rate : 0;
    char eta[32];
    format_duration(left, eta, sizeof eta);
    double loss = t->epoch_sums.count > 0 ? t->epoch_sums.loss / t->epoch_sums.count : 0;
    printf("%sepoch %lld/%d  step %lld/%lld  loss %.4f  %.0f samples/s  epoch ETA %s%s",
           live ? "\r\033[K" : "", (long long)t->epoch + 1, t->cfg.train.epochs, (long long)t->step,
           (long long)t->steps_per_epoch, loss, rate, eta, live ? "" : "\n");
    fflush(stdout);
}

void nn_progress_epoch(const nn_trainer *t, const nn_epoch_metrics *m, double eta_seconds)
{
    if (t->dist.rank != 0)
        return;
    char eta[32];
    format_duration(eta_seconds, eta, sizeof eta);
    if (live_progress())
        printf("\r\033[K");
    const int recon = t->cfg.train.target == NN_TARGET_INPUT; /* no accuracy: PSNR */
    printf("epoch %lld/%d  train loss %.*f", (long long)m->epoch, t->cfg.train.epochs,
           recon ? 5 : 4, m->train_loss);
    if (!recon)
        printf(" acc %.4f", m->train_acc);
    if (t->valid.n > 0 && recon)
        printf("  valid loss %.5f psnr %.2f dB", m->valid_loss, m->valid_psnr);
    else if (t->valid.n > 0)
        printf("  valid loss %.4f acc %.4f", m->valid_loss, m->valid_acc);
    printf("  lr %.3g  %.1f s  %.0f samples/s  ETA %s\n", m->lr, m->seconds, m->samples_per_sec,
           eta);
    fflush(stdout);
}
