/* The autoencoder-versus-PCA figure: mean PSNR against code size k, one
 * curve for PCA (pca.h5 holds every k) and one for autoencoder runs (each
 * run folder's recon_<split>.h5 gives its code width and PSNR). */
#ifndef NN_RECON_FIGURES_H
#define NN_RECON_FIGURES_H

#include <stdio.h>

#include "nn/error.h"

/* split: "valid" or "test". Writes a table (k, autoencoder PSNR, PCA PSNR,
 * both parameter counts) to log (may be NULL) and the figure to png_path.
 * Errors name the file that is missing or unreadable. */
int nn_psnr_k_figure(const char *png_path, const char *pca_path, const char *const *run_dirs,
                     int n, const char *split, FILE *log, nn_error *err);

#endif
