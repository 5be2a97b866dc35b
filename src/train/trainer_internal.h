/* State shared by the files of the training loop (src/train/). */
#ifndef NN_TRAINER_INTERNAL_H
#define NN_TRAINER_INTERNAL_H

#include <stdint.h>

#include "nn/evalfile.h"
#include "nn/loss.h"
#include "nn/metrics.h"
#include "nn/trainer.h"

typedef struct nn_trainer {
    nn_dist dist;
    nn_config cfg;
    nn_dataset train, valid, test;  /* valid.n / test.n == 0 when absent */
    nn_network net;
    nn_optimizer opt;
    nn_metrics *metrics;            /* rank 0 only */
    int local_max;                  /* most samples a rank gets from one global batch */
    float *x;                       /* [net.max_batch, in_dim] gathered inputs */
    float *scratch;                 /* [in_dim] for augmentation */
    int32_t *y;                     /* [net.max_batch] labels */
    size_t *perm;                   /* [train.n] this epoch's sample order */
    int64_t steps_per_epoch;
    /* cursor: where training stands */
    int64_t epoch;                  /* epochs completed */
    int64_t step;                   /* steps completed in the current epoch */
    int64_t global_step;
    nn_loss_sums epoch_sums;        /* training loss/acc so far in this epoch (all ranks) */
    float *init_weights;            /* the first layer's first parameter as initialised
                                       (kept in checkpoints for the before/after figure) */
    double lr;
    int lock_run_dir;               /* set before setup: hold <out>/.lock for the run */
    int lock_fd;                    /* rank 0: the open <out>/.lock while held, else -1 */
    char run_dir[NN_PATH_LEN];
    char ckpt_path[NN_PATH_LEN + 32];
    char metrics_path[NN_PATH_LEN + 32];
} nn_trainer;

/* setup.c: config, data, network, run folder. Collective. With
 * t->lock_run_dir set, rank 0 creates the run folder and locks it right
 * after reading the config, before the data are loaded; the lock is
 * released by nn_trainer_free (or when the process ends). */
int nn_trainer_setup(nn_trainer *t, const nn_run_options *opts, nn_error *err);
void nn_trainer_free(nn_trainer *t);
/* Load one data file (plus labels for IDX) the way [data] says (format,
 * transpose, class names). split ("train", "valid", "test") picks the part
 * of an .h5 data set file; other formats hold one part per file. Rank-local. */
int nn_trainer_load_file(const nn_data_config *dc, const char *images, const char *labels,
                         const char *split, nn_dataset *out, nn_error *err);

/* runlock.c: take flock(<dir>/.lock) without waiting and write this
 * process's PID and host into it; *fd receives the descriptor that holds it
 * (-1 when the file system cannot lock: a warning, not an error). A folder
 * locked by a live process: NN_E_IO naming the folder and the holder.
 * Rank-local. */
int nn_run_dir_lock(const char *dir, int *fd, nn_error *err);
void nn_run_dir_unlock(int fd);

/* evaluate.c: loss/accuracy of the network on d, each rank a share, summed;
 * when confusion is not NULL it receives the K x K counts (row = true class). */
nn_loss_sums nn_trainer_evaluate(nn_trainer *t, const nn_dataset *d, int64_t *confusion);

/* evaluate.c: evaluate d into a result named split (allocated; free with
 * nn_eval_free). Collective. */
int nn_trainer_eval_result(nn_trainer *t, const nn_dataset *d, const char *split,
                           const char *checkpoint, nn_eval_result *r, nn_error *err);

/* state.c: checkpoint save (rank 0 writes; all ranks agree on the result)
 * and resume (rank 0 reads; everything is broadcast). Collective. */
int nn_trainer_save(nn_trainer *t, nn_error *err);
int nn_trainer_resume(nn_trainer *t, const char *path, nn_error *err);
/* --resume auto: the newest checkpoint in the run folder (checkpoint.h5,
 * then the older ones kept beside it) that passes nn_checkpoint_verify, into
 * picked (len bytes, the same on every rank); "" when there is none, so the
 * run starts afresh. Rank 0 says which it skipped and why. Fails when there
 * are checkpoints but none verifies. Collective. */
int nn_trainer_pick_resume(nn_trainer *t, char *picked, size_t len, nn_error *err);

/* finetune.c: [train] freeze (marks the layers; call after building) and
 * [train] init_from (copies matching weights; collective; call after
 * nn_network_init, not when resuming). */
void nn_trainer_freeze(nn_trainer *t);
int nn_trainer_init_from(nn_trainer *t, nn_error *err);

/* progress.c: what rank 0 shows while training. */
void nn_progress_step(const nn_trainer *t, double epoch_start, int64_t samples_done);
void nn_progress_epoch(const nn_trainer *t, const nn_epoch_metrics *m, double eta_seconds);

/* Agree on an error across ranks: returns the largest code any rank has
 * (0 when all are fine). Ranks without their own message get a short note. */
int nn_trainer_vote(int code, nn_error *err);

#endif
