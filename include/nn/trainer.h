/* The training run: config -> data -> network -> epochs of data-parallel
 * minibatch SGD -> checkpoints, metrics, test accuracy. */
#ifndef NN_TRAINER_H
#define NN_TRAINER_H

#include "nn/config.h"
#include "nn/dataset.h"
#include "nn/dist.h"
#include "nn/error.h"
#include "nn/network.h"
#include "nn/optim.h"

typedef struct nn_run_options {
    const char *config_path;
    const char *const *overrides;   /* "section.key=value" */
    int n_overrides;
    const char *resume;             /* checkpoint to resume from, "auto", or NULL */
    int summary_only;               /* build, print the layer summary, stop */
    const char *config_text;        /* use this text (rank 0's) instead of reading
                                       config_path, e.g. a checkpoint's config */
} nn_run_options;

typedef struct nn_eval_options {
    const char *checkpoint;
    const char *data;               /* "test" (default), "valid", "train", a .mat file,
                                       an .h5 data set file (its test split),
                                       or "IMAGES,LABELS" (IDX files) */
    const char *const *overrides;
    int n_overrides;
    const char *pca;                /* autoencoders: a pca.h5 whose reconstructions join the
                                       figure (NULL: none) */
} nn_eval_options;

/* Run everything. Returns NN_OK; NN_STOPPED after a signal-requested
 * checkpoint; NN_E_DIVERGED when the loss went NaN/Inf; or another nn_status
 * error. err is filled on the rank(s) that saw the error (other ranks get the
 * same code and an empty message). Collective: every rank calls it. */
int nn_train_main(const nn_run_options *opts, const nn_dist *dist, nn_error *err);

/* `nntrain eval`: rebuild the network from a checkpoint's config, load its
 * weights, evaluate one data split (each rank a share), print loss,
 * accuracy, per-class accuracy and the most confused pairs, and save
 * eval_<split>.h5 and confusion_<split>.png next to the checkpoint. An
 * autoencoder (target = input) reports loss and PSNR instead and saves
 * recon_<split>.h5 and recon_<split>.png. */
int nn_eval_main(const nn_eval_options *opts, const nn_dist *dist, nn_error *err);

/* Ask the running training to checkpoint and stop at the next step (called
 * from the SIGTERM/SIGUSR1 handler; async-signal-safe). */
void nn_train_request_stop(int signum);

#endif
