/* The trainer's input view from [data]: normalisation statistics computed
 * from the training samples when the file stores none (IDX, .mat), turned
 * around by invert; the checks against the data and the target; and the
 * gather every training step and evaluation goes through. */
#include <check.h>
#include <string.h>

#include "nn/trainer.h"
#include "testutil.h"

enum { N = 6, C = 2, H = 4, W = 5, DIM = C * H * W };

static void make_trainer(nn_trainer *t, uint8_t *px, int32_t *labels)
{
    memset(t, 0, sizeof *t);
    snprintf(t->cfg.path, sizeof t->cfg.path, "v.ini");
    snprintf(t->cfg.data.train, sizeof t->cfg.data.train, "train.idx");
    t->cfg.data.format = NN_FORMAT_IDX;
    t->cfg.train.seed = 3;
    for (int i = 0; i < N * DIM; i++)
        px[i] = (uint8_t)(i * 37 % 251);
    for (int i = 0; i < N; i++)
        labels[i] = i % 2;
    t->train = (nn_dataset){
        .n = N, .c = C, .h = H, .w = W, .dim = DIM, .u8 = px, .labels = labels, .num_classes = 2
    };
}

START_TEST(statistics_come_from_the_training_samples)
{
    static uint8_t px[N * DIM];
    static int32_t labels[N];
    nn_trainer t;
    make_trainer(&t, px, labels);
    t.cfg.data.normalize = NN_NORMALIZE_DATASET;
    nn_error err = { 0 };
    ck_assert_msg(nn_trainer_setup_view(&t, &err) == NN_OK, "%s", err.msg);
    double mean[C], std[C];
    nn_dataset_channel_stats(&t.train, mean, std);
    for (int c = 0; c < C; c++) {
        ck_assert_float_eq_tol(t.view.mean[c], (float)mean[c], 1e-7f);
        ck_assert_float_eq_tol(t.view.std[c], (float)std[c], 1e-7f);
    }
    /* invert: the statistics of 1 - x */
    t.cfg.data.invert = 1;
    ck_assert_msg(nn_trainer_setup_view(&t, &err) == NN_OK, "%s", err.msg);
    for (int c = 0; c < C; c++)
        ck_assert_float_eq_tol(t.view.mean[c], (float)(1.0 - mean[c]), 1e-7f);
    /* so a normalised training set has mean 0 and std 1 in every channel */
    size_t idx[N];
    for (size_t i = 0; i < N; i++)
        idx[i] = i;
    float x[N * DIM];
    nn_trainer_gather(&t, &t.train, idx, N, 0, x, NULL);
    for (int c = 0; c < C; c++) {
        double s = 0, q = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < H * W; j++) {
                const double v = x[i * DIM + c * H * W + j];
                s += v, q += v * v;
            }
        const double m = s / (N * H * W);
        ck_assert_double_eq_tol(m, 0.0, 1e-5);
        ck_assert_double_eq_tol(q / (N * H * W) - m * m, 1.0, 1e-4);
    }
}
END_TEST

START_TEST(training_gathers_crops_and_augments_at_the_crop_size)
{
    static uint8_t px[N * DIM];
    static int32_t labels[N];
    nn_trainer t;
    make_trainer(&t, px, labels);
    t.cfg.data.crop = 3;
    t.cfg.data.flip = 1;
    t.cfg.data.augment_shift = 1;
    float scratch[C * 3 * 3];
    t.scratch = scratch;
    nn_error err = { 0 };
    ck_assert_msg(nn_trainer_setup_view(&t, &err) == NN_OK, "%s", err.msg);
    size_t idx[3] = { 5, 0, 2 }, one[1] = { 2 };
    float a[3 * C * 9], b[C * 9];
    int32_t y[3];
    t.epoch = 4;
    nn_trainer_gather(&t, &t.train, idx, 3, 1, a, y);
    nn_trainer_gather(&t, &t.train, one, 1, 1, b, NULL);
    ck_assert_mem_eq(a + 2 * C * 9, b, sizeof b);
    ck_assert(y[0] == 1 && y[1] == 0 && y[2] == 0);
    /* evaluation: the centre, nothing random */
    nn_trainer_gather(&t, &t.train, one, 1, 0, b, NULL);
    for (int c = 0; c < C; c++)
        for (int r = 0; r < 3; r++)
            for (int col = 0; col < 3; col++)
                ck_assert_float_eq(b[(c * 3 + r) * 3 + col],
                                   px[2 * DIM + (c * H + r) * W + 1 + col] * (1.0f / 255.0f));
}
END_TEST

START_TEST(views_are_checked)
{
    static uint8_t px[N * DIM];
    static int32_t labels[N];
    nn_trainer t;
    make_trainer(&t, px, labels);
    nn_error err = { 0 };
    t.cfg.data.crop = 5;
    ck_assert_int_eq(nn_trainer_setup_view(&t, &err), NN_E_CONFIG);
    ck_assert_str_eq(err.msg,
                     "v.ini: [data] train.idx: crop = 5 is larger than the images (4 x 5)");
    t.cfg.data.crop = 4;
    ck_assert_int_eq(nn_trainer_setup_view(&t, &err), NN_OK);
    t.cfg.train.target = NN_TARGET_INPUT;
    ck_assert_int_eq(nn_trainer_setup_view(&t, &err), NN_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "crop, flip and normalize are for classifiers"));
    t.cfg.data.crop = 0;
    ck_assert_int_eq(nn_trainer_setup_view(&t, &err), NN_OK);
    /* a constant channel cannot be normalised */
    t.cfg.train.target = NN_TARGET_LABELS;
    memset(px, 9, sizeof px);
    t.cfg.data.normalize = NN_NORMALIZE_DATASET;
    ck_assert_int_eq(nn_trainer_setup_view(&t, &err), NN_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "train.idx: normalize: channel 0 has mean"));
}
END_TEST

START_TEST(imagenet_statistics_for_rgb_images)
{
    static uint8_t px[N * 3 * H * W];
    static int32_t labels[N];
    nn_trainer t;
    make_trainer(&t, px, labels);
    t.cfg.data.normalize = NN_NORMALIZE_IMAGENET;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_trainer_setup_view(&t, &err), NN_E_CONFIG);
    ck_assert_str_eq(err.msg, "v.ini: train.idx: [data] normalize = imagenet is for RGB images, "
                              "not 2 channels");
    t.train.c = 3;
    t.train.dim = 3 * H * W;
    ck_assert_msg(nn_trainer_setup_view(&t, &err) == NN_OK, "%s", err.msg);
    const float mean[3] = { 0.485f, 0.456f, 0.406f }, std[3] = { 0.229f, 0.224f, 0.225f };
    for (int c = 0; c < 3; c++) {
        ck_assert_float_eq(t.view.mean[c], mean[c]);
        ck_assert_float_eq(t.view.std[c], std[c]);
    }
    size_t one = 1;
    float x[3 * H * W];
    nn_trainer_gather(&t, &t.train, &one, 1, 0, x, NULL);
    const float raw = px[3 * H * W + 2 * H * W + 7] / 255.0f; /* sample 1, blue, pixel 7 */
    ck_assert_float_eq_tol(x[2 * H * W + 7], (raw - 0.406f) / 0.225f, 1e-5f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_view");
    TCase *tc = tcase_create("train_view");
    tcase_add_test(tc, statistics_come_from_the_training_samples);
    tcase_add_test(tc, training_gathers_crops_and_augments_at_the_crop_size);
    tcase_add_test(tc, views_are_checked);
    tcase_add_test(tc, imagenet_statistics_for_rgb_images);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
