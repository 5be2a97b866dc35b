/* Evaluation of an autoencoder on one data split, kept in
 * <run>/recon_<split>.h5 (the reconstruction counterpart of eval_<split>.h5).
 *
 * Layout: root attributes format = "nntrain-recon", format_version (int32),
 * split, checkpoint (fixed-length strings), loss (mean squared error per
 * pixel), psnr (mean PSNR in dB, see nn/recon.h) (float64), count,
 * code_width (the narrowest layer), params (parameters of the network)
 * (int64); dataset /psnr float64 [count], each image's PSNR in the split's
 * order. */
#ifndef NN_RECONFILE_H
#define NN_RECONFILE_H

#include <stdint.h>

#include "nn/error.h"

#define NN_RECON_FORMAT "nntrain-recon"

typedef struct nn_recon_result {
    char split[64];             /* "test", "valid", "train" or a file name */
    char checkpoint[1024];      /* the checkpoint evaluated (may be "") */
    double loss, psnr;
    int64_t count, code_width, params;
    double *image_psnr;         /* [count], malloc'ed (NULL after nn_recon_free) */
} nn_recon_result;

int nn_recon_save(const char *path, const nn_recon_result *r, nn_error *err);
/* Errors name the file: NN_E_IO (missing), NN_E_FORMAT (not this format, damaged). */
int nn_recon_load(const char *path, nn_recon_result *r, nn_error *err);
void nn_recon_free(nn_recon_result *r);

#endif
