/* Input views: random crops and flips are a pure function of (seed, epoch,
 * sample id), whatever batch a sample lands in; evaluation takes the
 * centre and never flips; normalisation gives (x - mean) / std per
 * channel; the statistics stored in data set files and the vectors read
 * from .mat files (Flowers17's datasplits.mat). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <matio.h>

#include "nn/dataset.h"
#include "testutil.h"

enum { N = 40, C = 3, H = 12, W = 10, DIM = C * H * W, CROP = 6, OUT = C * CROP * CROP };

/* Every stored byte says where it is: sample, channel, row, column. */
static uint8_t byte_at(size_t i, int c, int r, int x)
{
    return (uint8_t)(i * 7 + c * 50 + r * 11 + x);
}

static nn_dataset make_set(void)
{
    nn_dataset d = { .n = N, .c = C, .h = H, .w = W, .dim = DIM, .num_classes = 2 };
    d.u8 = malloc(N * DIM);
    d.labels = malloc(N * sizeof *d.labels);
    ck_assert_ptr_nonnull(d.u8);
    ck_assert_ptr_nonnull(d.labels);
    for (size_t i = 0; i < N; i++) {
        d.labels[i] = (int32_t)(i % 2);
        for (int c = 0; c < C; c++)
            for (int r = 0; r < H; r++)
                for (int x = 0; x < W; x++)
                    d.u8[i * DIM + (size_t)(c * H + r) * W + x] = byte_at(i, c, r, x);
    }
    return d;
}

/* Where sample i's crop of out [C, CROP, CROP] came from: its corner and
 * whether it is mirrored, found from its first two values (bytes wrap
 * modulo 256; neighbours along a row differ by one). */
static void locate(const float *out, size_t i, int *y0, int *x0, int *flip)
{
    const int b00 = (int)lroundf(out[0] * 255.0f), b01 = (int)lroundf(out[1] * 255.0f);
    *flip = ((b00 - b01) & 255) == 1;
    for (int y = 0; y <= H - CROP; y++)
        for (int x = 0; x <= W - CROP; x++)
            if (byte_at(i, 0, y, *flip ? x + CROP - 1 : x) == b00) {
                *y0 = y;
                *x0 = x;
                return;
            }
    ck_abort_msg("sample %zu: no crop gives its first value", i);
}

START_TEST(crops_and_flips_depend_on_seed_epoch_and_sample_only)
{
    nn_dataset d = make_set();
    const nn_view v = { .crop = CROP, .flip = 1 };
    const nn_view_draw train = { 1, 7, 3 };
    size_t batch[5] = { 9, 0, 33, 4, 21 }, alone[1] = { 33 };
    float a[5 * OUT], b[OUT];
    nn_dataset_gather_view(&d, &v, &train, batch, 5, a, NULL);
    nn_dataset_gather_view(&d, &v, &train, alone, 1, b, NULL);
    ck_assert_mem_eq(a + 2 * OUT, b, sizeof b); /* same sample, other batch: same crop */
    /* every row is a real crop, mirrored or not, as nn_view_place says */
    for (int k = 0; k < 5; k++) {
        int y0, x0, flip, py, px, pf;
        locate(a + k * OUT, batch[k], &y0, &x0, &flip);
        nn_view_place(&d, &v, &train, batch[k], &py, &px, &pf);
        ck_assert_int_eq(y0, py);
        ck_assert_int_eq(x0, px);
        ck_assert_int_eq(flip, pf);
        for (int c = 0; c < C; c++)
            for (int r = 0; r < CROP; r++)
                for (int x = 0; x < CROP; x++) {
                    const int sx = flip ? x0 + CROP - 1 - x : x0 + x;
                    ck_assert_float_eq(a[k * OUT + (c * CROP + r) * CROP + x],
                                       byte_at(batch[k], c, y0 + r, sx) * (1.0f / 255.0f));
                }
    }
    /* over many samples: crops cover the positions, about half flipped;
     * another epoch or seed draws differently */
    int flips = 0, moved = 0, seen_y[H] = { 0 }, seen_x[W] = { 0 };
    const nn_view_draw next = { 1, 7, 4 }, other_seed = { 1, 8, 3 };
    for (size_t id = 0; id < 2000; id++) {
        int y0, x0, f, y1, x1, f1, y2, x2, f2;
        nn_view_place(&d, &v, &train, id, &y0, &x0, &f);
        nn_view_place(&d, &v, &next, id, &y1, &x1, &f1);
        nn_view_place(&d, &v, &other_seed, id, &y2, &x2, &f2);
        ck_assert(y0 >= 0 && y0 <= H - CROP && x0 >= 0 && x0 <= W - CROP);
        seen_y[y0] = seen_x[x0] = 1;
        flips += f;
        moved += (y0 != y1 || x0 != x1 || f != f1) + (y0 != y2 || x0 != x2 || f != f2);
    }
    for (int y = 0; y <= H - CROP; y++)
        ck_assert_msg(seen_y[y], "no crop starts at row %d", y);
    for (int x = 0; x <= W - CROP; x++)
        ck_assert_msg(seen_x[x], "no crop starts at column %d", x);
    ck_assert_int_gt(flips, 900);
    ck_assert_int_lt(flips, 1100);
    ck_assert_int_gt(moved, 3000);
    nn_dataset_free(&d);
}
END_TEST

START_TEST(evaluation_takes_the_centre_and_never_flips)
{
    nn_dataset d = make_set();
    const nn_view v = { .crop = CROP, .flip = 1 };
    const nn_view_draw eval = { 0, 7, 3 };
    size_t idx[3] = { 5, 6, 39 };
    float x[3 * OUT];
    int32_t y[3];
    nn_dataset_gather_view(&d, &v, &eval, idx, 3, x, y);
    const int y0 = (H - CROP) / 2, x0 = (W - CROP) / 2;
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(y[k], (int)(idx[k] % 2));
        for (int c = 0; c < C; c++)
            for (int r = 0; r < CROP; r++)
                for (int col = 0; col < CROP; col++)
                    ck_assert_float_eq(x[k * OUT + (c * CROP + r) * CROP + col],
                                       byte_at(idx[k], c, y0 + r, x0 + col) * (1.0f / 255.0f));
    }
    /* NULL draw: evaluation too */
    float z[3 * OUT];
    nn_dataset_gather_view(&d, &v, NULL, idx, 3, z, NULL);
    ck_assert_mem_eq(x, z, sizeof z);
    /* no crop, no flip, no normalisation: exactly nn_dataset_gather */
    const nn_view plain = { .invert = 1 };
    float p[3 * DIM], q[3 * DIM];
    nn_dataset_gather_view(&d, &plain, &eval, idx, 3, p, NULL);
    nn_dataset_gather(&d, idx, 3, 1, q, NULL);
    ck_assert_mem_eq(p, q, sizeof p);
    int c, h, w;
    nn_view_shape(&d, &v, &c, &h, &w);
    ck_assert(c == C && h == CROP && w == CROP);
    nn_view_shape(&d, &plain, &c, &h, &w);
    ck_assert(c == C && h == H && w == W);
    nn_dataset_free(&d);
}
END_TEST

START_TEST(normalisation_per_channel)
{
    nn_dataset d = make_set();
    nn_view v = { .normalize = 1, .mean = { 0.25f, 0.5f, 0.75f }, .std = { 0.5f, 0.25f, 0.125f } };
    size_t idx[2] = { 3, 17 };
    float x[2 * DIM];
    nn_dataset_gather_view(&d, &v, NULL, idx, 2, x, NULL);
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < C; c++)
            for (int j = 0; j < H * W; j++) {
                const float raw = byte_at(idx[k], c, j / W, j % W) / 255.0f;
                ck_assert_float_eq_tol(x[k * DIM + c * H * W + j], (raw - v.mean[c]) / v.std[c],
                                       1e-5f);
            }
    /* invert first, then normalise: (1 - raw - mean) / std */
    v.invert = 1;
    nn_dataset_gather_view(&d, &v, NULL, idx, 1, x, NULL);
    const float raw = byte_at(3, 2, 0, 4) / 255.0f;
    ck_assert_float_eq_tol(x[2 * H * W + 4], (1.0f - raw - 0.75f) / 0.125f, 1e-5f);
    /* floats are normalised as stored */
    nn_dataset f = { .n = 1, .c = 1, .h = 1, .w = 2, .dim = 2, .num_classes = 1 };
    float vals[2] = { 3.0f, 5.0f };
    int32_t lab = 0;
    f.f32 = vals;
    f.labels = &lab;
    nn_view fv = { .normalize = 1, .mean = { 4.0f }, .std = { 2.0f } };
    size_t zero = 0;
    nn_dataset_gather_view(&f, &fv, NULL, &zero, 1, x, NULL);
    ck_assert_float_eq(x[0], -0.5f);
    ck_assert_float_eq(x[1], 0.5f);
    nn_dataset_free(&d);
}
END_TEST

START_TEST(channel_statistics_and_checks)
{
    /* two samples of 2 channels, 2 pixels: channel 0 = 0, 255, 255, 0;
     * channel 1 constant 51 */
    uint8_t px[8] = { 0, 255, 51, 51, 255, 0, 51, 51 };
    int32_t lab[2] = { 0, 1 };
    nn_dataset d = { .n = 2, .c = 2, .h = 1, .w = 2, .dim = 4, .num_classes = 2 };
    d.u8 = px;
    d.labels = lab;
    double mean[2], std[2];
    nn_dataset_channel_stats(&d, mean, std);
    ck_assert_double_eq_tol(mean[0], 0.5, 1e-12);
    ck_assert_double_eq_tol(std[0], 0.5, 1e-12);
    ck_assert_double_eq_tol(mean[1], 0.2, 1e-12);
    ck_assert_double_eq_tol(std[1], 0.0, 1e-12);
    float fv[4] = { 1e4f + 1, 1e4f - 1, 1e4f + 1, 1e4f - 1 }; /* large offset, small spread */
    nn_dataset f = { .n = 2, .c = 1, .h = 1, .w = 2, .dim = 2, .num_classes = 2 };
    f.f32 = fv;
    f.labels = lab;
    nn_dataset_channel_stats(&f, mean, std);
    ck_assert_double_eq_tol(mean[0], 1e4, 1e-9);
    ck_assert_double_eq_tol(std[0], 1.0, 1e-9);

    nn_error err = { 0 };
    nn_view big = { .crop = 3 };
    ck_assert_int_eq(nn_view_check(&d, &big, &err), NN_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "crop = 3 is larger than the images (1 x 2)"));
    nn_view flat = { .normalize = 1, .mean = { 0.5f, 0.2f }, .std = { 0.5f, 0.0f } };
    ck_assert_int_eq(nn_view_check(&d, &flat, &err), NN_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "channel 1"));
    flat.std[1] = 0.1f;
    ck_assert_int_eq(nn_view_check(&d, &flat, &err), NN_OK);
}
END_TEST

START_TEST(data_set_files_store_the_training_statistics)
{
    nn_dataset d = make_set();
    char names[2][NN_CLASS_NAME_LEN] = { "a", "b" };
    d.class_names = names;
    nn_h5data_contents c = { .split = { &d, &d, NULL } };
    nn_error err = { 0 };
    const char *path = nn_test_path("stats.h5");
    ck_assert_msg(nn_h5data_save(path, &c, &err) == NN_OK, "%s", err.msg);
    double mean[C], std[C], want_mean[C], want_std[C];
    ck_assert_msg(nn_h5data_read_channel_stats(path, C, mean, std, &err) == NN_OK, "%s", err.msg);
    nn_dataset_channel_stats(&d, want_mean, want_std);
    for (int ch = 0; ch < C; ch++) {
        ck_assert_double_eq(mean[ch], want_mean[ch]);
        ck_assert_double_eq(std[ch], want_std[ch]);
        ck_assert_double_gt(std[ch], 0);
    }
    /* a channel count that does not match what is stored */
    ck_assert_int_eq(nn_h5data_read_channel_stats(path, 1, mean, std, &err), NN_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "channel_mean must hold 1 floats"));
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    d.class_names = NULL;
    nn_dataset_free(&d);
}
END_TEST

/* ---- .mat vectors --------------------------------------------------------- */

static void put_vector(mat_t *m, const char *name, size_t rows, size_t cols, double *v)
{
    size_t dims[2] = { rows, cols };
    matvar_t *var =
        Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, v, MAT_F_DONT_COPY_DATA);
    ck_assert_ptr_nonnull(var);
    ck_assert_int_eq(Mat_VarWrite(m, var, MAT_COMPRESSION_ZLIB), 0);
    Mat_VarFree(var);
}

START_TEST(mat_vectors)
{
    const char *path = nn_test_path("splits.mat");
    mat_t *m = Mat_CreateVer(path, NULL, MAT_FT_MAT5);
    ck_assert_ptr_nonnull(m);
    double trn[4] = { 1, 5, 9, 2 }, grid[4] = { 1, 2, 3, 4 };
    put_vector(m, "trn1", 1, 4, trn);
    put_vector(m, "val1", 4, 1, trn);
    put_vector(m, "grid", 2, 2, grid);
    Mat_Close(m);
    nn_error err = { 0 };
    double *v = NULL;
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        ck_assert_msg(nn_mat_load_vector(path, k ? "val1" : "trn1", &v, &n, &err) == NN_OK, "%s",
                      err.msg);
        ck_assert_uint_eq(n, 4);
        ck_assert_mem_eq(v, trn, sizeof trn);
        free(v);
    }
    ck_assert_int_eq(nn_mat_load_vector(path, "tst1", &v, &n, &err), NN_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "no variable tst1; variables: trn1, val1, grid"));
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    ck_assert_ptr_null(v);
    ck_assert_int_eq(nn_mat_load_vector(path, "grid", &v, &n, &err), NN_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "grid is a 2 x 2 matrix, not a vector"));
    ck_assert_int_eq(nn_mat_load_vector(nn_test_path("missing.mat"), "trn1", &v, &n, &err),
                     NN_E_IO);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("view");
    TCase *tc = tcase_create("view");
    tcase_add_test(tc, crops_and_flips_depend_on_seed_epoch_and_sample_only);
    tcase_add_test(tc, evaluation_takes_the_centre_and_never_flips);
    tcase_add_test(tc, normalisation_per_channel);
    tcase_add_test(tc, channel_statistics_and_checks);
    tcase_add_test(tc, data_set_files_store_the_training_statistics);
    tcase_add_test(tc, mat_vectors);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
