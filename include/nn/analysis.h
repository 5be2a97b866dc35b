/* Analysis after training: principal component analysis of a training
 * set, and the figures of a run drawn from its files alone.
 *
 * Module analysis (src/analysis, nn_analysis). May call: train, plot, io, data, core, LAPACKE.
 */
#ifndef NN_ANALYSIS_H
#define NN_ANALYSIS_H

#include <stdint.h>
#include <stdio.h>

#include "nn/dist.h"
#include "nn/error.h"
#include "nn/runfiles.h"

/* ---- pca ------------------------------------------------------------------- */

/* Principal component analysis of a training set, data-parallel: every
 * rank adds its share of the images into sums of x and x x^T (double
 * precision, BLIS syrk), one allreduce combines them, LAPACK (dsyevd)
 * diagonalises the covariance, and images are encoded to k numbers and
 * decoded back:
 *     code = C_k (x - mean)        C_k = the first k principal directions [k, D]
 *     x^   = mean + C_k^T code     (the reconstruction compared by PSNR)
 * `nntrain pca CONFIG.ini --k 8,16,32,64` runs it on the config's data. */
/* Sums over images: one contiguous block so that one allreduce moves them. */
typedef struct nn_pca_moments {
    int64_t dim; /* D */
    double *buf; /* [D*D + D + 1]: sum of x x^T (lower triangle), sum of x, count */
} nn_pca_moments;

int nn_pca_moments_alloc(nn_pca_moments *mo, int64_t dim, nn_error *err);
void nn_pca_moments_free(nn_pca_moments *mo);
/* Number of doubles in mo->buf. */
size_t nn_pca_moments_size(const nn_pca_moments *mo);
/* Add B images x [B, D]; scratch holds B*D doubles. */
void nn_pca_moments_add(nn_pca_moments *mo, const float *x, int64_t B, double *scratch);

/* From (summed) moments: mean, covariance (divided by n - 1), its
 * eigenvalues (descending) and the first m->kmax principal directions into m
 * (allocated with nn_pca_model_alloc), and the covariance's numerical rank.
 * Each direction's sign is fixed (its largest-magnitude entry is positive),
 * so the result does not depend on the LAPACK build or the rank count.
 * NN_E_STATE for fewer than 2 images, NN_E_NOMEM, NN_E_STATE when LAPACK fails. */
int nn_pca_fit(const nn_pca_moments *mo, nn_pca_model *m, nn_error *err);

/* Numerical rank of the k x D projection matrix (the first k rows of the
 * components): singular values from LAPACK dgesdd above
 * max(k, D) * FLT_EPSILON * the largest. */
int nn_pca_projection_rank(const nn_pca_model *m, int64_t k, int64_t *rank, nn_error *err);

/* codes [B, kmax] = (x [B, D] - mean) C^T. */
void nn_pca_encode(const nn_pca_model *m, const float *x, int64_t B, float *codes);
/* out [B, D] = mean + codes[:, :k] C_k, from codes [B, kmax] (k <= kmax). */
void nn_pca_decode(const nn_pca_model *m, int64_t k, const float *codes, int64_t B, float *out);

/* `nntrain pca` */
typedef struct nn_pca_options {
    const char *config_path;
    const char *const *overrides; /* "section.key=value" */
    int n_overrides;
    int n_k;
    int64_t k[NN_PCA_MAX_K]; /* code sizes to evaluate */
    const char *out;         /* pca.h5 to write; NULL: <[train] out>/pca.h5 */
} nn_pca_options;

/* Load the config's data (the same training/validation split as training
 * with that config), fit PCA on the training set, print the covariance
 * rank, each k's projection rank, parameter count and PSNR on the
 * validation and test sets, save pca.h5 and draw pca_recon_<split>.png
 * next to it. Collective. */
int nn_pca_main(const nn_pca_options *o, const nn_dist *dist, nn_error *err);

/* ---- figures --------------------------------------------------------------- */

/* The figures of a run, drawn from its files alone (metrics.h5,
 * checkpoint.h5, eval_<split>.h5) into PNGs in the run folder:
 *   curves.png                    loss and accuracy per epoch, train vs valid
 *   psnr.png                      autoencoders: validation PSNR per epoch
 *   weights_init.png / weights_final.png   the first layer's weights as images
 *   confusion_<split>.png         confusion matrix heat map per evaluated split
 * Used at the end of training and by `nntrain plot RUN_DIR`. */
/* Draw every figure whose source file exists; one line per figure to log
 * (may be NULL). Returns an error only when a file that exists cannot be
 * read or a figure cannot be written; NN_E_IO when the folder has none of
 * the files. */
int nn_run_figures(const char *run_dir, FILE *log, nn_error *err);

/* Validation loss and accuracy of several runs in one figure (the
 * learning-rate sweep): one curve per run folder, labelled with the folder
 * name and its learning rate. */
int nn_compare_figure(const char *png_path, const char *const *run_dirs, int n, nn_error *err);

/* ---- recon_figures --------------------------------------------------------- */

/* The autoencoder-versus-PCA figure: mean PSNR against code size k, one
 * curve for PCA (pca.h5 holds every k) and one for autoencoder runs (each
 * run folder's recon_<split>.h5 gives its code width and PSNR). */
/* split: "valid" or "test". Writes a table (k, autoencoder PSNR, PCA PSNR,
 * both parameter counts) to log (may be NULL) and the figure to png_path.
 * Errors name the file that is missing or unreadable. */
int nn_psnr_k_figure(const char *png_path, const char *pca_path, const char *const *run_dirs, int n,
                     const char *split, FILE *log, nn_error *err);

#endif
