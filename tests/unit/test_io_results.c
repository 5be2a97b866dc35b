/* The autoencoder/PCA result files: pca.h5 and recon_<split>.h5 round
 * trips, damaged or foreign files refused with the file named (a flipped
 * byte caught by the datasets' checksums); metrics.h5's valid_psnr column,
 * and older files without it (read as NaN). */
#include <check.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/runfiles.h"
#include "testh5.h"
#include "testutil.h"

static void make_model(nn_pca_model *m)
{
    nn_error err = { 0 };
    ck_assert_int_eq(nn_pca_model_alloc(m, 12, 4, &err), NN_OK);
    m->height = 3;
    m->width = 4;
    m->n_train = 99;
    m->cov_rank = 11;
    for (int j = 0; j < 12; ++j) {
        m->mean[j] = 0.1f * (float)j;
        m->eigenvalues[j] = 12.0 - j;
    }
    for (int i = 0; i < 4 * 12; ++i)
        m->components[i] = (float)i / 48.0f - 0.5f;
    m->n_k = 2;
    m->k[0] = 2, m->k[1] = 4;
    m->proj_rank[0] = 2, m->proj_rank[1] = 4;
    m->valid_psnr[0] = 14.5, m->valid_psnr[1] = 16.25;
    m->test_psnr[0] = NAN, m->test_psnr[1] = NAN;
    m->config_text = "[data]\ntrain = x.mat\n";
    strcpy(m->config_path, "jobs/x.ini");
}

START_TEST(pca_file_round_trip)
{
    const char *path = nn_test_path("pca.h5");
    nn_pca_model m, got;
    make_model(&m);
    nn_error err = { 0 };
    ck_assert_msg(nn_pca_save(path, &m, &err) == NN_OK, "%s", err.msg);
    ck_assert_msg(nn_pca_load(path, &got, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(got.dim, 12);
    ck_assert_int_eq(got.kmax, 4);
    ck_assert_int_eq(got.height, 3);
    ck_assert_int_eq(got.n_train, 99);
    ck_assert_int_eq(got.cov_rank, 11);
    ck_assert_int_eq(got.n_k, 2);
    ck_assert_int_eq(got.k[1], 4);
    ck_assert_int_eq(got.proj_rank[0], 2);
    ck_assert_double_eq(got.valid_psnr[1], 16.25);
    ck_assert(isnan(got.test_psnr[0]));
    ck_assert_str_eq(got.config_path, "jobs/x.ini");
    ck_assert(memcmp(got.mean, m.mean, 12 * sizeof(float)) == 0);
    ck_assert(memcmp(got.components, m.components, 48 * sizeof(float)) == 0);
    ck_assert(memcmp(got.eigenvalues, m.eigenvalues, 12 * sizeof(double)) == 0);
    nn_pca_model_free(&got);
    nn_pca_model_free(&m);
}
END_TEST

static void expect_load_error(const char *path, int code, const char *words)
{
    nn_pca_model got;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_pca_load(path, &got, &err), code);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, words), "message: %s", err.msg);
    ck_assert_ptr_null(got.mean);
}

START_TEST(pca_file_damaged)
{
    const char *path = nn_test_path("pca_damaged.h5");
    nn_pca_model m;
    make_model(&m);
    nn_error err = { 0 };
    ck_assert_int_eq(nn_pca_save(path, &m, &err), NN_OK);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(H5Ldelete(f, "components", H5P_DEFAULT), 0);
    H5Fclose(f);
    expect_load_error(path, NN_E_FORMAT, "missing dataset /components");

    m.k[1] = 9; /* more components asked for than stored */
    ck_assert_int_eq(nn_pca_save(path, &m, &err), NN_OK);
    expect_load_error(path, NN_E_FORMAT, "only 4 components");
    expect_load_error(nn_test_path("no_such_pca.h5"), NN_E_IO, "no_such_pca.h5");

    nn_recon_result r = { .split = "valid", .count = 1, .image_psnr = (double[]){ 3.0 } };
    ck_assert_int_eq(nn_recon_save(path, &r, &err), NN_OK); /* a file of another kind */
    expect_load_error(path, NN_E_FORMAT, "nntrain-recon");
    nn_pca_model_free(&m);
}
END_TEST

START_TEST(pca_file_checksums)
{
    const char *path = nn_test_path("pca_flipped.h5");
    nn_pca_model m;
    make_model(&m);
    nn_error err = { 0 };
    ck_assert_int_eq(nn_pca_save(path, &m, &err), NN_OK);
    nn_test_flip_chunk_byte(path, "/components", 100);
    expect_load_error(path, NN_E_FORMAT,
                      "dataset /components: checksum mismatch (the file is damaged)");
    ck_assert_int_eq(nn_pca_save(path, &m, &err), NN_OK);
    nn_test_flip_chunk_byte(path, "/valid_psnr", 3);
    expect_load_error(path, NN_E_FORMAT, "dataset /valid_psnr: checksum mismatch");
    nn_pca_model_free(&m);
}
END_TEST

START_TEST(recon_file_round_trip)
{
    const char *path = nn_test_path("recon_valid.h5");
    double psnr[3] = { 12.5, 14.0, 100.0 };
    nn_recon_result r = { .split = "valid",
                          .checkpoint = "runs/x/checkpoint.h5",
                          .loss = 0.02,
                          .psnr = 42.1666,
                          .count = 3,
                          .code_width = 32,
                          .params = 68704,
                          .image_psnr = psnr };
    nn_error err = { 0 };
    ck_assert_msg(nn_recon_save(path, &r, &err) == NN_OK, "%s", err.msg);
    nn_recon_result got;
    ck_assert_msg(nn_recon_load(path, &got, &err) == NN_OK, "%s", err.msg);
    ck_assert_str_eq(got.split, "valid");
    ck_assert_str_eq(got.checkpoint, "runs/x/checkpoint.h5");
    ck_assert_double_eq(got.loss, 0.02);
    ck_assert_double_eq(got.psnr, 42.1666);
    ck_assert_int_eq(got.count, 3);
    ck_assert_int_eq(got.code_width, 32);
    ck_assert_int_eq(got.params, 68704);
    ck_assert(memcmp(got.image_psnr, psnr, sizeof psnr) == 0);
    nn_recon_free(&got);

    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(H5Adelete(f, "code_width"), 0);
    H5Fclose(f);
    ck_assert_int_eq(nn_recon_load(path, &got, &err), NN_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "code_width"));
    ck_assert_ptr_null(got.image_psnr);
}
END_TEST

START_TEST(metrics_valid_psnr_column)
{
    const char *path = nn_test_path("metrics_psnr.h5");
    nn_metrics *m = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_metrics_open(&m, path, -1, &err), NN_OK);
    for (int e = 1; e <= 3; ++e) {
        nn_epoch_metrics row = { .epoch = e,
                                 .train_loss = 0.1,
                                 .train_acc = NAN,
                                 .valid_loss = 0.05,
                                 .valid_acc = NAN,
                                 .valid_psnr = 12.0 + e,
                                 .lr = 1.1 };
        ck_assert_int_eq(nn_metrics_append(m, &row, &err), NN_OK);
    }
    nn_metrics_close(m);
    nn_epoch_metrics *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(nn_metrics_read(path, &rows, &n, &err), NN_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_double_eq(rows[2].valid_psnr, 15.0);
    ck_assert(isnan(rows[2].valid_acc));
    free(rows);

    /* a file from before the column existed: still read, PSNR NaN */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(H5Ldelete(f, "valid_psnr", H5P_DEFAULT), 0);
    H5Fclose(f);
    ck_assert_msg(nn_metrics_read(path, &rows, &n, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(n, 3);
    ck_assert(isnan(rows[0].valid_psnr) && isnan(rows[2].valid_psnr));
    ck_assert_double_eq(rows[1].lr, 1.1);
    free(rows);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("results");
    TCase *tc = tcase_create("results");
    tcase_add_test(tc, pca_file_round_trip);
    tcase_add_test(tc, pca_file_damaged);
    tcase_add_test(tc, pca_file_checksums);
    tcase_add_test(tc, recon_file_round_trip);
    tcase_add_test(tc, metrics_valid_psnr_column);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
