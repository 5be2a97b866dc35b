/* The training loop: data-parallel minibatch SGD over MPI ranks, its
 * checkpoints and resume, fine-tuning, evaluation (classification and
 * autoencoder reconstruction) and progress. Uses the network engine, data,
 * io and dist; the command line and the analysis build on it.
 *
 * Module train (src/train, nn_train). May call: net, data, io, dist, core.
 */
#ifndef NN_TRAINER_H
#define NN_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "nn/config.h"
#include "nn/dataset.h"
#include "nn/dist.h"
#include "nn/error.h"
#include "nn/runfiles.h"
#include "nn/network.h"

/* ---- trainer --------------------------------------------------------------- */

/* The training run: config -> data -> network -> epochs of data-parallel
 * minibatch SGD -> checkpoints, metrics, test accuracy. */
typedef struct nn_run_options {
    const char *config_path;
    const char *const *overrides; /* "section.key=value" */
    int n_overrides;
    const char *resume;      /* checkpoint to resume from, "auto", or NULL */
    int summary_only;        /* build, print the layer summary, stop */
    const char *config_text; /* use this text (rank 0's) instead of reading
                                       config_path, e.g. a checkpoint's config */
} nn_run_options;

/* Ask the running training to checkpoint and stop at the next step (called
 * from the SIGTERM/SIGUSR1 handler; async-signal-safe). */
void nn_train_request_stop(int signum);

/* ---- recon ----------------------------------------------------------------- */

/* Reconstruction: the loss of a network whose target is its own input (an
 * autoencoder, `[train] target = input`) and PSNR, the quality measure the
 * homework compares autoencoders and PCA with.
 *
 * PSNR of one image x (n pixels, values on the [0, 1] scale, peak 1) and its
 * reconstruction y:
 *     PSNR = 10 log10(1 / MSE),  MSE = (1/n) sum_i (x_i - y_i)^2
 * A data set's PSNR is the mean of its images' PSNRs (not the PSNR of the
 * mean MSE), as the homework's skimage.measure.compare_psnr loop computes
 * it. An exact reconstruction (MSE below 1e-10) counts as 100 dB, so one
 * perfect image does not make the mean infinite. */
#define NN_PSNR_MAX_DB 100.0

/* Sums over a set of images (add them over ranks, then divide by count). */
typedef struct nn_recon_sums {
    double loss;  /* sum of per-image losses: mean squared error over the pixels */
    double psnr;  /* sum of per-image PSNRs (dB) */
    double count; /* images */
} nn_recon_sums;

/* PSNR in dB of y against x (n pixels, peak value 1). */
double nn_psnr(const float *x, const float *y, size_t n);

/* Add the batch's losses and PSNRs (out and target [B, D]) to *sums; when
 * psnr_out is not NULL also store each image's PSNR there [B]. When dout is
 * not NULL write dL/d(out) [B, D] for L = scale * sum of per-image losses
 * (the per-image loss is mean_k (out_k - target_k)^2, the same as loss = mse
 * against a one-hot label). */
void nn_recon_loss_eval(const float *out, const float *target, int B, size_t D, float scale,
                        float *dout, nn_recon_sums *sums, double *psnr_out);

/* Up to max images for a figure, from as many classes as possible: column j
 * shows the first image of class j*K/n (n = min(max, K) columns, K classes),
 * so every run, and PCA, draw the same images. Returns the count stored in
 * idx (0 for an empty set); a class without images is skipped. */
int nn_recon_pick(const nn_dataset *d, size_t *idx, int max);

/* ---- trainer_internal ------------------------------------------------------ */

/* State shared by the files of the training loop (src/train/). */
typedef struct nn_trainer {
    nn_dist dist;
    nn_config cfg;
    nn_dataset train, valid, test; /* valid.n / test.n == 0 when absent; read-only
                                      after setup (they may live in shared memory) */
    nn_view view;                  /* [data] crop, flip, normalize, invert: how every
                                      gather turns stored images into inputs */
    nn_network net;
    nn_optimizer opt;
    nn_metrics *metrics; /* rank 0 only */
    int local_max;       /* most samples a rank gets from one global batch */
    float *x;            /* [net.max_batch, in_dim] gathered inputs */
    float *scratch;      /* [in_dim] for augmentation */
    int32_t *y;          /* [net.max_batch] labels */
    size_t *perm;        /* [train.n] this epoch's sample order */
    int64_t steps_per_epoch;
    /* cursor: where training stands */
    int64_t epoch; /* epochs completed */
    int64_t step;  /* steps completed in the current epoch */
    int64_t global_step;
    nn_loss_sums epoch_sums; /* training loss/acc so far in this epoch (all ranks) */
    float *init_weights;     /* the first layer's first parameter as initialised
                                       (kept in checkpoints for the before/after figure) */
    double lr;
    int lock_run_dir;   /* set before setup: hold <out>/.lock for the run */
    int lock_fd;        /* rank 0: the open <out>/.lock while held, else -1 */
    char *run_dir;      /* [train] out (malloc'ed, as the two below) */
    char *ckpt_path;    /* <run_dir>/checkpoint.h5 */
    char *metrics_path; /* <run_dir>/metrics.h5 */
    /* gradient sums over ranks (trainer.c; NULL with one rank) */
    nn_dist_buckets *buckets;
    int *bucket_ready;   /* [net.n_layers] bucket whose last layer to finish backward
                             is this one, or -1 */
    double comm_wait;    /* seconds spent waiting for gradient sums, this run */
    double step_seconds; /* seconds in training steps, this run */
    int64_t timed_steps; /* steps behind the two times */
    /* [data] share (share.c): the windows holding the pixels and labels of
       train, valid, test in shared memory, NULL for a set this rank owns */
    nn_dist_shared *shared[3];
    size_t shared_bytes;           /* bytes of this host's copy (0: not shared) */
    int shared_least, shared_most; /* fewest and most ranks sharing a host's copy */
} nn_trainer;

/* Room for a checkpoint path with a backup number (checkpoint.12.h5) or a
 * suffix: the same on every rank, so it can be broadcast. */
#define NN_CKPT_PATH_LEN (NN_PATH_LEN + 48)

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

/* share.c: whether the ranks of each host share one copy of the data sets
 * ([data] share; auto: when some host runs more than one rank). The same on
 * every rank. Collective. */
int nn_trainer_share_wanted(const nn_trainer *t);
/* share.c: the host's first rank has loaded the sets and made t->view; its
 * sets move into shared memory, and the host's other ranks, which loaded
 * nothing, get the sets' shapes, class names and t->view from it and read
 * the pixels and labels in place. Collective. */
int nn_trainer_share_data(nn_trainer *t, nn_error *err);
/* share.c: detach the shared sets (the datasets keep their class names
 * only) and unmap the windows. Collective, before the sets are freed. */
void nn_trainer_unshare(nn_trainer *t);

/* input.c: the view [data] asks for (crop, flip, invert, normalize) for
 * images shaped like train's. Normalisation statistics: ImageNet's for
 * normalize = imagenet; for dataset, those stats_file (an .h5 data set)
 * stores for its training split, or, when stats_file is NULL, computed from
 * train's samples. NN_E_CONFIG / NN_E_FORMAT with what is wrong. */
int nn_view_from_config(nn_view *v, const nn_data_config *dc, const nn_dataset *train,
                        const char *stats_file, nn_error *err);
/* input.c: t->view from [data] (normalisation statistics from the .h5
 * training file, else computed from t->train), checked against the data
 * and the target (an autoencoder reproduces the stored images: no crop,
 * flip or normalisation). Rank-local; the same on every rank. */
int nn_trainer_setup_view(nn_trainer *t, nn_error *err);
/* input.c: gather samples idx [count] of d into x [count, net.in_dim] (and
 * labels into y, may be NULL) through t->view: training = 1 draws crops,
 * flips and the affine augmentation ([data] augment_*) from (seed, epoch,
 * idx); 0 takes centre crops and nothing random. Every gather of network
 * inputs goes through here. */
void nn_trainer_gather(nn_trainer *t, const nn_dataset *d, const size_t *idx, size_t count,
                       int training, float *x, int32_t *y);

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

/* trainer.c: the epoch loop. nn_trainer_start initialises the network (or
 * init_from) and resumes when opts say so; nn_trainer_run_epoch trains from
 * the cursor to the end of the epoch (or to a stop request: NN_STOPPED after
 * its checkpoint; NN_E_DIVERGED when the step went non-finite); rank 0
 * prints the run's header. Collective. */
int nn_trainer_start(nn_trainer *t, const nn_run_options *opts, nn_error *err);
int nn_trainer_run_epoch(nn_trainer *t, nn_error *err);
void nn_trainer_print_header(const nn_trainer *t);

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

/* ---- recon_internal -------------------------------------------------------- */

/* The trainer's autoencoder path (`[train] target = input`): loss against
 * the input, PSNR on whole data sets, the end-of-training report. Private
 * to src/train. */
/* 1 when the network's target is its input. */
int nn_trainer_is_recon(const nn_trainer *t);

/* The loss of a batch whatever the target: against the labels y
 * (nn_loss_eval) or, for an autoencoder, against the input x [B, in_dim]
 * (accuracy counts stay 0). Arguments as nn_loss_eval. */
void nn_trainer_batch_loss(const nn_trainer *t, const float *out, const float *x, const int32_t *y,
                           int B, float scale, float *dout, int *dout_is_preact,
                           nn_loss_sums *sums);

/* Reconstruction loss and PSNR of the network on d, each rank a share,
 * summed over ranks. per_image (may be NULL): [d->n], every image's PSNR
 * (on every rank). Collective; returns NN_OK or NN_E_NOMEM (agreed). */
int nn_trainer_evaluate_recon(nn_trainer *t, const nn_dataset *d, nn_recon_sums *sums,
                              double *per_image, nn_error *err);

/* After training or for `nntrain eval`: evaluate d, print loss and PSNR
 * (overall and per class) and the parameter count, save
 * <dir>/recon_<split>.h5 and draw <dir>/recon_<split>.png (originals over
 * reconstructions; with pca_path also the PCA reconstructions of the same
 * images at the network's code width). Collective. */
int nn_trainer_recon_report(nn_trainer *t, const nn_dataset *d, const char *split,
                            const char *checkpoint, const char *dir, const char *pca_path,
                            nn_error *err);

/* Width of the narrowest layer: the code size of an autoencoder. */
int nn_trainer_code_width(const nn_trainer *t);

#endif
