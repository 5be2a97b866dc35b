/* Rows of images (nn_plot_image_rows): a PNG whose size follows the grid,
 * and bad input refused with the file named, leaving no file behind. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nn/plot.h"
#include "testutil.h"

/* Width and height from a PNG's IHDR, or -1. */
static void png_size(const char *path, long *w, long *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    *w = *h = -1;
    if (!f)
        return;
    if (fread(b, 1, 24, f) == 24 && memcmp(b + 12, "IHDR", 4) == 0) {
        *w = (long)b[16] << 24 | (long)b[17] << 16 | (long)b[18] << 8 | b[19];
        *h = (long)b[20] << 24 | (long)b[21] << 16 | (long)b[22] << 8 | b[23];
    }
    fclose(f);
}

static float px[3 * 12 * 28 * 28];

START_TEST(three_rows_of_twelve)
{
    for (size_t i = 0; i < sizeof px / sizeof px[0]; i++)
        px[i] = (float)((i * 37) % 101) / 100.0f - 0.05f; /* a little outside [0, 1] too */
    const char *rows[3] = { "original", "autoencoder (k = 32)", "PCA (k = 32)" };
    const char *cols[12] = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "#" };
    nn_image_rows g = { px, 3, 12, 28, 28, rows, cols };
    nn_error err = { 0 };
    const char *path = nn_test_path("rows.png");
    ck_assert_msg(nn_plot_image_rows(path, "reconstructions", &g, &err) == NN_OK, "%s", err.msg);
    long w, h, w2, h2;
    png_size(path, &w, &h);
    g.rows = 2;
    g.row_labels = NULL;
    ck_assert_msg(nn_plot_image_rows(path, "two rows", &g, &err) == NN_OK, "%s", err.msg);
    png_size(path, &w2, &h2);
    ck_assert_int_eq(w, w2);
    ck_assert_int_gt(h, h2); /* one row less, a shorter page */
    ck_assert_int_gt(w, 12 * 28);
}
END_TEST

START_TEST(bad_input_is_refused)
{
    nn_error err = { 0 };
    const char *path = nn_test_path("bad_rows.png");
    px[5] = NAN;
    nn_image_rows g = { px, 1, 2, 28, 28, NULL, NULL };
    ck_assert_int_eq(nn_plot_image_rows(path, "t", &g, &err), NN_E_STATE);
    ck_assert_ptr_nonnull(strstr(err.msg, "bad_rows.png"));
    ck_assert_ptr_nonnull(strstr(err.msg, "pixel 5 of image 0"));
    px[5] = 0.5f;
    g.rows = NN_IMAGE_ROWS_MAX + 1;
    ck_assert_int_eq(nn_plot_image_rows(path, "t", &g, &err), NN_E_STATE);
    g.rows = 1;
    g.pixels = NULL;
    ck_assert_int_eq(nn_plot_image_rows(path, "t", &g, &err), NN_E_STATE);
    ck_assert_int_ne(access(path, F_OK), 0);
    g.pixels = px;
    ck_assert_int_eq(nn_plot_image_rows(nn_test_path("no/such/folder/x.png"), "t", &g, &err),
                     NN_E_IO);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plot_images");
    TCase *tc = tcase_create("images");
    tcase_add_test(tc, three_rows_of_twelve);
    tcase_add_test(tc, bad_input_is_refused);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
