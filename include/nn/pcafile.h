/* A PCA model and its results, kept in <out>/pca.h5 by `nntrain pca`.
 *
 * Layout (h5dump -H pca.h5): root attributes format = "nntrain-pca",
 * format_version (int32), n_train, covariance_rank, height, width (int64),
 * config (the resolved config), config_path (fixed-length strings);
 * datasets
 *   /mean             float32 [D]        mean training image
 *   /components       float32 [kmax, D]  principal directions, one per row,
 *                                        unit length, by decreasing variance;
 *                                        the projection matrix for k is the
 *                                        first k rows (k x D)
 *   /eigenvalues      float64 [D]        covariance eigenvalues, descending
 *   /k                int64 [nk]         code sizes evaluated
 *   /projection_rank  int64 [nk]         numerical rank of each k x D projection
 *   /params           int64 [nk]         k x D: numbers in the projection matrix
 *   /valid_psnr, /test_psnr  float64 [nk]  mean PSNR (dB); NaN: no such split
 * D = height x width pixels. */
#ifndef NN_PCAFILE_H
#define NN_PCAFILE_H

#include <stdint.h>

#include "nn/error.h"

#define NN_PCA_FORMAT "nntrain-pca"
#define NN_PCA_MAX_K 16

typedef struct nn_pca_model {
    int64_t dim, height, width;  /* D = height * width */
    int64_t n_train;             /* images the covariance came from */
    int64_t kmax;                /* rows of components */
    float *mean;                 /* [D] */
    float *components;           /* [kmax, D] */
    double *eigenvalues;         /* [D], descending */
    int64_t cov_rank;            /* numerical rank of the covariance */
    int n_k;
    int64_t k[NN_PCA_MAX_K];
    int64_t proj_rank[NN_PCA_MAX_K];
    double valid_psnr[NN_PCA_MAX_K], test_psnr[NN_PCA_MAX_K];
    const char *config_text;     /* save only (borrowed; may be NULL) */
    char config_path[1024];
} nn_pca_model;

/* Allocate mean, components and eigenvalues for dim and kmax (the rest
 * zeroed). nn_pca_model_free releases them (safe on a zeroed model). */
int nn_pca_model_alloc(nn_pca_model *m, int64_t dim, int64_t kmax, nn_error *err);
void nn_pca_model_free(nn_pca_model *m);

/* Written atomically (tmp + fsync + rename), by one rank. */
int nn_pca_save(const char *path, const nn_pca_model *m, nn_error *err);
/* Errors name the file: NN_E_IO (missing), NN_E_FORMAT (not a PCA file,
 * damaged, inconsistent shapes). */
int nn_pca_load(const char *path, nn_pca_model *m, nn_error *err);

#endif
