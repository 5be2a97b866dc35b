/* The figures of a run, drawn from its files alone (metrics.h5,
 * checkpoint.h5, eval_<split>.h5) into PNGs in the run folder:
 *   curves.png                    loss and accuracy per epoch, train vs valid
 *   psnr.png                      autoencoders: validation PSNR per epoch
 *   weights_init.png / weights_final.png   the first layer's weights as images
 *   confusion_<split>.png         confusion matrix heat map per evaluated split
 * Used at the end of training and by `nntrain plot RUN_DIR`. */
#ifndef NN_FIGURES_H
#define NN_FIGURES_H

#include <stdio.h>

#include "nn/error.h"

/* Draw every figure whose source file exists; one line per figure to log
 * (may be NULL). Returns an error only when a file that exists cannot be
 * read or a figure cannot be written; NN_E_IO when the folder has none of
 * the files. */
int nn_run_figures(const char *run_dir, FILE *log, nn_error *err);

/* Validation loss and accuracy of several runs in one figure (the
 * learning-rate sweep): one curve per run folder, labelled with the folder
 * name and its learning rate. */
int nn_compare_figure(const char *png_path, const char *const *run_dirs, int n, nn_error *err);

#endif
