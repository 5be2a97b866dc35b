/* The nntrain program: main (nntrain.c) picks the subcommand; each cmd_*.c
 * reads its command line and calls the module that does the work; the
 * *_main.c files are the collective bodies of train, eval, pca and ocr.
 * Each returns an nn_status code (main maps it to an exit status) and fills
 * err.
 *
 * Module cli (src/cli, the nntrain executable). May call every module; no
 * module calls it.
 */
#ifndef NN_TOOLS_H
#define NN_TOOLS_H

#include <stdio.h>

#include "nn/dist.h"
#include "nn/error.h"
#include "nn/ocr.h"
#include "nn/trainer.h"

#define NN_MAX_OVERRIDES 256

int nn_cmd_train(int argc, char **argv, nn_error *err);
int nn_cmd_eval(int argc, char **argv, nn_error *err);
int nn_cmd_plot(int argc, char **argv, nn_error *err);
int nn_cmd_pca(int argc, char **argv, nn_error *err);
int nn_cmd_prep(int argc, char **argv, nn_error *err);
int nn_cmd_ocr(int argc, char **argv, nn_error *err);
int nn_cmd_verify(int argc, char **argv, nn_error *err);

/* A collective subcommand's body: runs on every rank with the parsed options. */
typedef int (*nn_collective_fn)(const void *opts, const nn_dist *dist, nn_error *err);

/* Start MPI and the stop-signal handlers, run fn(opts) on every rank, report
 * its error the way every subcommand does, stop MPI; returns fn's code. */
int nn_tools_run_mpi(int *argc, char ***argv, nn_collective_fn fn, const void *opts,
                     nn_error *err);
void nn_tools_report(int rc, int rank, const nn_error *err);

/* A trainer on the heap (it is large), set up from run on every rank; lock:
 * the run folder is this run's (a training run, see nn_trainer.lock_run_dir).
 * Collective: every rank gets the same code; on failure *t is NULL. */
int nn_tools_trainer(const nn_run_options *run, const nn_dist *dist, int lock, nn_trainer **t,
                     nn_error *err);
void nn_tools_trainer_free(nn_trainer *t); /* NULL-safe */

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

typedef struct nn_ocr_options {
    const char *checkpoint;
    const char *const *images;
    int n_images;
    const char *truth;     /* transcript file, or NULL */
    const char *boxes;     /* PNG path (a name per image when there are several), or NULL */
    const char *data;      /* data set override, or NULL */
    int word_rule;         /* 1 by default */
} nn_ocr_options;

/* Read every image and print its text to out ([name] headers and '#'
 * comment lines with counts and scores, the transcript format). Errors
 * stop at the first image that fails, naming it. */
int nn_ocr_main(const nn_ocr_options *o, FILE *out, nn_error *err);

#endif
