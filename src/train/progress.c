/* Progress on rank 0: on a terminal a live line redrawn a few times a
 * second; in a log (SLURM, CI) one plain line per epoch. */
#include <stdio.h>
#include <unistd.h>

#include "trainer_internal.h"

static void format_duration(double s, char *buf, size_t n)
{
    long t = s > 0 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void nn_progress_step(const nn_trainer *t, double epoch_start, int64_t samples_done)
{
    static double last_draw;
    if (t->dist.rank != 0 || !isatty(STDOUT_FILENO))
        return;
    double now = nn_dist_wtime();
    if (now - last_draw < 0.25 && t->step != t->steps_per_epoch)
        return;
    last_draw = now;
    double elapsed = now - epoch_start;
    double rate = elapsed > 0 ? samples_done / elapsed : 0;
    double left = rate > 0 ? (double)(t->train.n - (size_t)samples_done) / rate : 0;
    char eta[32];
    format_duration(left, eta, sizeof eta);
    double loss = t->epoch_sums.count > 0 ? t->epoch_sums.loss / t->epoch_sums.count : 0;
    printf("\r\033[Kepoch %lld/%d  step %lld/%lld  loss %.4f  %.0f samples/s  ETA %s",
           (long long)t->epoch + 1, t->cfg.train.epochs, (long long)t->step,
           (long long)t->steps_per_epoch, loss, rate, eta);
    fflush(stdout);
}

void nn_progress_epoch(const nn_trainer *t, const nn_epoch_metrics *m, double eta_seconds)
{
    if (t->dist.rank != 0)
        return;
    char eta[32];
    format_duration(eta_seconds, eta, sizeof eta);
    if (isatty(STDOUT_FILENO))
        printf("\r\033[K");
    printf("epoch %lld/%d  train loss %.4f acc %.4f", (long long)m->epoch, t->cfg.train.epochs,
           m->train_loss, m->train_acc);
    if (t->valid.n > 0)
        printf("  valid loss %.4f acc %.4f", m->valid_loss, m->valid_acc);
    printf("  lr %.3g  %.1f s  %.0f samples/s  ETA %s\n", m->lr, m->seconds, m->samples_per_sec,
           eta);
    fflush(stdout);
}
