/* On-the-fly augmentation: a pure function of (seed, epoch, sample id),
 * independent of the batch a sample lands in; no change when off; edges
 * repeat (a plain background stays plain, whatever its polarity); shifts
 * stay within their bound. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "nn/dataset.h"
#include "testutil.h"

enum { H = 20, W = 16, DIM = H * W };

/* A bright 4 x 4 square centred on (cy, cx) over background bg. */
static void square(float *img, float bg, float cy, float cx)
{
    for (int r = 0; r < H; ++r)
        for (int c = 0; c < W; ++c)
            img[r * W + c] = fabsf(r - cy) < 2 && fabsf(c - cx) < 2 ? 1.0f - bg : bg;
}

static void centroid(const float *img, float bg, double *cy, double *cx)
{
    double s = 0, sy = 0, sx = 0;
    for (int r = 0; r < H; ++r)
        for (int c = 0; c < W; ++c) {
            double v = fabs(img[r * W + c] - bg);
            s += v, sy += v * r, sx += v * c;
        }
    *cy = sy / s, *cx = sx / s;
}

START_TEST(augmentation_is_a_function_of_seed_epoch_and_sample)
{
    float a[3 * DIM], b[DIM], scratch[DIM];
    for (int i = 0; i < 3; ++i)
        square(a + i * DIM, 0.0f, 8.0f + i, 7.5f);
    memcpy(b, a + 2 * DIM, sizeof b);
    const size_t ids[3] = { 4, 17, 250 }, alone[1] = { 250 };
    const nn_augment aug = { 2.0, 15.0, 0.1 };
    nn_augment_images(a, 3, 1, H, W, ids, &aug, 7, 3, scratch);
    nn_augment_images(b, 1, 1, H, W, alone, &aug, 7, 3, scratch);
    ck_assert_mem_eq(a + 2 * DIM, b, sizeof b); /* same sample, another batch */
    float c[DIM];
    square(c, 0.0f, 10.0f, 7.5f);
    nn_augment_images(c, 1, 1, H, W, alone, &aug, 7, 4, scratch); /* next epoch */
    ck_assert(memcmp(c, b, sizeof c) != 0);
    square(c, 0.0f, 10.0f, 7.5f);
    const nn_augment off = { 0, 0, 0 };
    nn_augment_images(c, 1, 1, H, W, alone, &off, 7, 3, scratch);
    float d[DIM];
    square(d, 0.0f, 10.0f, 7.5f);
    ck_assert_mem_eq(c, d, sizeof c);
}
END_TEST

START_TEST(plain_backgrounds_stay_plain_and_shifts_are_bounded)
{
    float img[DIM], scratch[DIM];
    for (int bg = 0; bg <= 1; ++bg) {
        const nn_augment shift_only = { 3.0, 0.0, 0.0 };
        for (size_t id = 0; id < 40; ++id) {
            square(img, (float)bg, 9.5f, 7.5f);
            double y0, x0, y1, x1;
            centroid(img, (float)bg, &y0, &x0);
            nn_augment_images(img, 1, 1, H, W, &id, &shift_only, 1, 0, scratch);
            centroid(img, (float)bg, &y1, &x1);
            ck_assert_double_le(fabs(y1 - y0), 3.0 + 1e-4);
            ck_assert_double_le(fabs(x1 - x0), 3.0 + 1e-4);
            /* the corners are background: nothing dark (or bright) came in */
            ck_assert_float_eq_tol(img[0], (float)bg, 1e-6f);
            ck_assert_float_eq_tol(img[DIM - 1], (float)bg, 1e-6f);
        }
        const nn_augment all = { 2.0, 20.0, 0.2 };
        for (int i = 0; i < DIM; ++i)
            img[i] = (float)bg;
        size_t id = 5;
        nn_augment_images(img, 1, 1, H, W, &id, &all, 1, 0, scratch);
        for (int i = 0; i < DIM; ++i)
            ck_assert_float_eq_tol(img[i], (float)bg, 1e-6f);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("augment");
    TCase *tc = tcase_create("augment");
    tcase_add_test(tc, augmentation_is_a_function_of_seed_epoch_and_sample);
    tcase_add_test(tc, plain_backgrounds_stay_plain_and_shifts_are_bounded);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
