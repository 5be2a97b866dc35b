/* The trainer's autoencoder path (`[train] target = input`): loss against
 * the input, PSNR on whole data sets, the end-of-training report. Private
 * to src/train. */
#ifndef NN_RECON_INTERNAL_H
#define NN_RECON_INTERNAL_H

#include "nn/recon.h"
#include "trainer_internal.h"

/* 1 when the network's target is its input. */
int nn_trainer_is_recon(const nn_trainer *t);

/* The loss of a batch whatever the target: against the labels y
 * (nn_loss_eval) or, for an autoencoder, against the input x [B, in_dim]
 * (accuracy counts stay 0). Arguments as nn_loss_eval. */
void nn_trainer_batch_loss(const nn_trainer *t, const float *out, const float *x,
                           const int32_t *y, int B, float scale, float *dout,
                           int *dout_is_preact, nn_loss_sums *sums);

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
