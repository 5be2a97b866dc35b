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
#ifndef NN_RECON_H
#define NN_RECON_H

#include <stddef.h>
#include <stdint.h>

#include "nn/dataset.h"

#define NN_PSNR_MAX_DB 100.0

/* Sums over a set of images (add them over ranks, then divide by count). */
typedef struct nn_recon_sums {
    double loss;    /* sum of per-image losses: mean squared error over the pixels */
    double psnr;    /* sum of per-image PSNRs (dB) */
    double count;   /* images */
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

#endif
