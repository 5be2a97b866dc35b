/* Figures: every function writes a PNG of the expected size, twice in one
 * process; bad paths and bad inputs give errors naming the file and the
 * process goes on. The pixels are checked too when libpng can be loaded at
 * run time (dlopen: the test is not linked with it). */
#include <check.h>
#include <dlfcn.h>
#include <math.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/plot.h"
#include "plot/plot_internal.h"
#include "testutil.h"

/* ---- PNG helpers ------------------------------------------------------------ */

/* Size from the IHDR chunk; 0 when the file is a PNG. */
static int png_size(const char *path, unsigned *w, unsigned *h)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t got = fread(b, 1, sizeof b, f);
    fclose(f);
    if (got != sizeof b || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return -2;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return 0;
}

static void assert_png(const char *path, unsigned want_w, unsigned want_h)
{
    unsigned w = 0, h = 0;
    int rc = png_size(path, &w, &h);
    ck_assert_msg(rc == 0, "%s: %s", path, rc == -1 ? "not written" : "not a PNG");
    ck_assert_msg(w == want_w && h == want_h, "%s: %ux%u, expected %ux%u", path, w, h, want_w,
                  want_h);
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* An RGB image decoded with libpng's simplified API. */
typedef struct rgb_image {
    unsigned w, h;
    unsigned char *px; /* w*h*3 */
} rgb_image;

typedef int (*png_begin_fn)(png_imagep, const char *);
typedef int (*png_finish_fn)(png_imagep, png_const_colorp, void *, png_int_32, void *);
typedef void (*png_free_fn)(png_imagep);

/* Decode path; returns 0 and fills img, 1 when libpng is not available
 * (pixel checks are skipped, and listed as such). A file that does not
 * decode fails the case. */
static int decode_png(const char *path, rgb_image *img)
{
    static void *lib;
    if (!lib)
        lib = dlopen("libpng16.so.16", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        nn_test_skip_part("test_plot_figures", "libpng16.so.16 not loadable: no pixel checks");
        return 1;
    }
    png_begin_fn begin;
    png_finish_fn finish;
    png_free_fn release;
    *(void **)&begin = dlsym(lib, "png_image_begin_read_from_file");
    *(void **)&finish = dlsym(lib, "png_image_finish_read");
    *(void **)&release = dlsym(lib, "png_image_free");
    if (!begin || !finish || !release) {
        nn_test_skip_part("test_plot_figures", "libpng16.so.16 lacks the simplified API: no "
                                               "pixel checks");
        return 1;
    }
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    ck_assert_msg(begin(&im, path), "%s: libpng cannot read it: %s", path, im.message);
    im.format = PNG_FORMAT_RGB;
    img->w = im.width;
    img->h = im.height;
    img->px = malloc(PNG_IMAGE_SIZE(im));
    if (!img->px || !finish(&im, NULL, img->px, 0, NULL)) {
        release(&im);
        free(img->px);
        ck_abort_msg("%s does not decode: %s", path, im.message);
    }
    return 0;
}

static const unsigned char *pixel(const rgb_image *im, unsigned x, unsigned y)
{
    return im->px + ((size_t)y * im->w + x) * 3;
}

/* Pixels within tol (per channel) of colour c. */
static long count_near(const rgb_image *im, int r, int g, int b, int tol)
{
    long n = 0;
    for (size_t i = 0; i < (size_t)im->w * im->h; i++) {
        const unsigned char *p = im->px + i * 3;
        n += abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
    }
    return n;
}

/* Distinct grey levels (r == g == b) in the image. */
static int grey_levels(const rgb_image *im)
{
    int seen[256] = { 0 }, n = 0;
    for (size_t i = 0; i < (size_t)im->w * im->h; i++) {
        const unsigned char *p = im->px + i * 3;
        if (p[0] == p[1] && p[1] == p[2] && !seen[p[0]]) {
            seen[p[0]] = 1;
            n++;
        }
    }
    return n;
}

/* The dark end of the confusion colour map. */
static int is_dark_blue(const unsigned char *p)
{
    return p[2] > 80 && p[2] > p[0] + 40 && p[0] < 60;
}

/* White page, black axes/text: what PLATFORM.md's colour 15 remap is for. */
static void assert_white_page_black_ink(const rgb_image *im, const char *what)
{
    const unsigned char *c = pixel(im, 2, 2);
    ck_assert_msg(c[0] == 255 && c[1] == 255 && c[2] == 255, "%s: corner is %d,%d,%d, not white",
                  what, c[0], c[1], c[2]);
    long black = count_near(im, 0, 0, 0, 40);
    ck_assert_msg(black > 500, "%s: only %ld black pixels (axes/text missing?)", what, black);
}

/* ---- sample data ------------------------------------------------------------- */

#define EPOCHS 30

typedef struct history {
    double epoch[EPOCHS], tl[EPOCHS], vl[EPOCHS], ta[EPOCHS], va[EPOCHS];
} history;

static history make_history(double shift)
{
    history h;
    for (int i = 0; i < EPOCHS; i++) {
        double e = i + 1;
        h.epoch[i] = e;
        h.tl[i] = 3.5 * exp(-e / 8.0) + 0.2 + shift;
        h.vl[i] = (i % 5 == 4) ? NAN : 3.5 * exp(-e / 9.0) + 0.4 + shift; /* gaps */
        h.ta[i] = 0.95 - 0.9 * exp(-e / 6.0);
        h.va[i] = 0.88 - 0.85 * exp(-e / 7.0);
    }
    return h;
}

static char names47[47][32];

static void make_names47(void)
{
    const char *s = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"; /* EMNIST balanced */
    for (int k = 0; k < 47; k++) {
        names47[k][0] = s[k];
        names47[k][1] = '\0';
    }
}

/* A diagonal-heavy confusion matrix with a few systematic mistakes. */
static int64_t *make_confusion(int K)
{
    int64_t *c = calloc((size_t)K * K, sizeof *c);
    ck_assert_ptr_nonnull(c);
    for (int t = 0; t < K; t++)
        for (int p = 0; p < K; p++)
            c[t * K + p] = p == t                        ? 80 + (t * 7) % 20
                           : (t * 31 + p * 17) % 23 == 0 ? 12
                                                         : (t + p) % 3 == 0;
    return c;
}

/* Weights [pixels, units] with a different pattern per unit. */
static float *make_weights(int h, int w, int units)
{
    float *W = malloc((size_t)h * w * units * sizeof *W);
    ck_assert_ptr_nonnull(W);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int j = 0; j < units; j++) {
                double a = 0.3 + 0.1 * j, cx = w / 2.0 + 6 * sin(j), cy = h / 2.0 + 6 * cos(j);
                double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                W[((size_t)y * w + x) * units + j] =
                    (float)(0.01 * j + sin(a * x + j) * cos(a * y) * exp(-r2 / 200.0));
            }
    return W;
}

/* ---- tests ----------------------------------------------------------------------- */

START_TEST(test_curves_png)
{
    history h = make_history(0.0), h2 = make_history(0.5);
    const char *path = nn_test_path("curves.png");
    nn_error err = { 0 };
    nn_curve c[4] = {
        { .label = "lr = 0.1 train", .x = h.epoch, .y = h.tl, .n = EPOCHS },
        { .label = "lr = 0.1 valid", .x = h.epoch, .y = h.vl, .n = EPOCHS },
        { .label = "lr = 0.01 train", .x = h.epoch, .y = h2.tl, .n = EPOCHS },
        { .label = "lr = 0.01 valid #2", .x = h.epoch, .y = h2.vl, .n = EPOCHS },
    };
    ck_assert_msg(nn_plot_curves(path, "learning-rate sweep", "epoch", "loss", c, 4, &err) == NN_OK,
                  "%s", err.msg);
    assert_png(path, 900, 600);

    rgb_image im;
    if (decode_png(path, &im) == 0) {
        assert_white_page_black_ink(&im, path);
        long blue = count_near(&im, 31, 119, 180, 30), orange = count_near(&im, 255, 127, 14, 30);
        ck_assert_msg(blue > 300 && orange > 300,
                      "%s: curve colours missing (%ld blue, %ld "
                      "orange pixels)",
                      path, blue, orange);
        free(im.px);
    }

    /* again in the same process, a single point and an all-NaN curve */
    double one_x = 3.0, one_y = 0.7, nan_y[3] = { NAN, NAN, NAN }, xs[3] = { 1, 2, 3 };
    nn_curve d[2] = { { .label = "one point", .x = &one_x, .y = &one_y, .n = 1 },
                      { .label = "no data", .x = xs, .y = nan_y, .n = 3 } };
    const char *path2 = nn_test_path("curves_point.png");
    ck_assert_msg(nn_plot_curves(path2, "one point", "x", "y", d, 2, &err) == NN_OK, "%s", err.msg);
    assert_png(path2, 900, 600);
}
END_TEST

START_TEST(test_training_curves_png)
{
    history h = make_history(0.0);
    const char *path = nn_test_path("training.png");
    nn_error err = { 0 };
    for (int round = 0; round < 2; round++) {
        ck_assert_msg(nn_plot_training_curves(path, "NIST36 1024-64-36, lr 0.01", h.epoch, h.tl,
                                              h.vl, h.ta, h.va, EPOCHS, &err) == NN_OK,
                      "round %d: %s", round, err.msg);
        assert_png(path, 1400, 600);
    }
    rgb_image im;
    if (decode_png(path, &im) == 0) {
        assert_white_page_black_ink(&im, path);
        /* train is blue in both panels: left and right halves */
        long left = 0, right = 0;
        for (unsigned y = 0; y < im.h; y++)
            for (unsigned x = 0; x < im.w; x++) {
                const unsigned char *p = pixel(&im, x, y);
                int blue = abs(p[0] - 31) < 30 && abs(p[1] - 119) < 30 && abs(p[2] - 180) < 30;
                left += blue && x < im.w / 2;
                right += blue && x >= im.w / 2;
            }
        ck_assert_msg(left > 200 && right > 200, "%s: train curve pixels %ld left, %ld right", path,
                      left, right);
        free(im.px);
    }

    /* no validation and no accuracy (an autoencoder): still a figure */
    double nan_v[EPOCHS];
    for (int i = 0; i < EPOCHS; i++)
        nan_v[i] = NAN;
    const char *path2 = nn_test_path("training_loss_only.png");
    ck_assert_msg(nn_plot_training_curves(path2, "autoencoder", NULL, h.tl, nan_v, NULL, NULL,
                                          EPOCHS, &err) == NN_OK,
                  "%s", err.msg);
    assert_png(path2, 1400, 600);
    /* one epoch */
    const char *path3 = nn_test_path("training_one_epoch.png");
    ck_assert_msg(nn_plot_training_curves(path3, "1 epoch", h.epoch, h.tl, h.vl, h.ta, h.va, 1,
                                          &err) == NN_OK,
                  "%s", err.msg);
    assert_png(path3, 1400, 600);
}
END_TEST

START_TEST(test_confusion_png)
{
    nn_error err = { 0 };
    make_names47();
    int64_t *c47 = make_confusion(47), *c10 = make_confusion(10);
    const char *path = nn_test_path("confusion47.png");
    ck_assert_msg(nn_plot_confusion(path, "EMNIST balanced, test set", c47, 47,
                                    (const char(*)[32])names47, &err) == NN_OK,
                  "%s", err.msg);
    assert_png(path, 1000, 900);

    rgb_image im;
    if (decode_png(path, &im) == 0) {
        assert_white_page_black_ink(&im, path);
        /* not all one colour: the diagonal cells are dark blue */
        long dark_blue = 0;
        for (size_t i = 0; i < (size_t)im.w * im.h; i++)
            dark_blue += is_dark_blue(im.px + i * 3);
        ck_assert_msg(dark_blue > 47 * 50, "%s: %ld dark blue pixels", path, dark_blue);
        free(im.px);
    }

    /* second figure in the same process: few classes, numbers, long names */
    char names10[10][32];
    const char *animals[10] = { "airplane", "automobile", "bird",  "cat",  "deer",
                                "dog",      "frog",       "horse", "ship", "truck" };
    for (int k = 0; k < 10; k++)
        snprintf(names10[k], sizeof names10[k], "%s", animals[k]);
    const char *path2 = nn_test_path("confusion10.png");
    ck_assert_msg(
        nn_plot_confusion(path2, "10 classes", c10, 10, (const char(*)[32])names10, &err) == NN_OK,
        "%s", err.msg);
    assert_png(path2, 1000, 900);
    /* the cells are where they belong: identity matrix -> dark cells only
     * top-left and bottom-right (the colour bar, right of x = 0.83 w, is
     * left out; so is a band around the cell borders) */
    int64_t eye[4] = { 9, 0, 0, 9 };
    const char *path_eye = nn_test_path("confusion_eye.png");
    ck_assert_msg(nn_plot_confusion(path_eye, "identity", eye, 2, NULL, &err) == NN_OK, "%s",
                  err.msg);
    if (decode_png(path_eye, &im) == 0) {
        unsigned x0 = im.w, x1 = 0, y0 = im.h, y1 = 0;
        for (unsigned y = 0; y < im.h; y++)
            for (unsigned x = 0; x < im.w * 83 / 100; x++)
                if (is_dark_blue(pixel(&im, x, y))) {
                    x0 = x < x0 ? x : x0;
                    x1 = x > x1 ? x : x1;
                    y0 = y < y0 ? y : y0;
                    y1 = y > y1 ? y : y1;
                }
        ck_assert_msg(x1 > x0 + 100 && y1 > y0 + 100, "%s: no dark cells", path_eye);
        long quad[2][2] = { { 0, 0 }, { 0, 0 } }; /* [top/bottom][left/right] */
        unsigned xm = (x0 + x1) / 2, ym = (y0 + y1) / 2;
        for (unsigned y = y0; y <= y1; y++)
            for (unsigned x = x0; x <= x1; x++)
                if (x + 20 < xm || x > xm + 20)
                    if (y + 20 < ym || y > ym + 20)
                        quad[y > ym][x > xm] += is_dark_blue(pixel(&im, x, y));
        ck_assert_msg(quad[0][0] > 10000 && quad[1][1] > 10000 && quad[0][1] < 100 &&
                          quad[1][0] < 100,
                      "%s: dark pixels per quadrant TL %ld TR %ld BL %ld BR %ld", path_eye,
                      quad[0][0], quad[0][1], quad[1][0], quad[1][1]);
        free(im.px);
    }

    /* no names: class numbers; one class */
    int64_t one = 5;
    const char *path3 = nn_test_path("confusion1.png");
    ck_assert_msg(nn_plot_confusion(path3, NULL, &one, 1, NULL, &err) == NN_OK, "%s", err.msg);
    assert_png(path3, 1000, 900);
    free(c47);
    free(c10);
}
END_TEST

START_TEST(test_weight_grid_png)
{
    nn_error err = { 0 };
    float *W = make_weights(32, 32, 64);
    const char *path = nn_test_path("weights64.png");
    ck_assert_msg(nn_plot_weight_grid(path, "first layer after training", W, 32, 32, 64, &err) ==
                      NN_OK,
                  "%s", err.msg);
    assert_png(path, 900, 940);
    rgb_image im;
    if (decode_png(path, &im) == 0) {
        assert_white_page_black_ink(&im, path);
        int levels = grey_levels(&im);
        ck_assert_msg(levels > 100, "%s: only %d grey levels", path, levels);
        free(im.px);
    }
    free(W);
    /* again: a non-square unit count and non-square images */
    W = make_weights(8, 12, 10);
    const char *path2 = nn_test_path("weights10.png");
    ck_assert_msg(nn_plot_weight_grid(path2, "10 units", W, 8, 12, 10, &err) == NN_OK, "%s",
                  err.msg);
    assert_png(path2, 900, 940);
    free(W);
}
END_TEST

/* A folder that does not exist: an error naming the file, no exit, and the
 * next figure still works. */
START_TEST(test_bad_path)
{
    history h = make_history(0.0);
    nn_error err = { 0 };
    const char *bad = nn_test_path("no_such_folder/sub/fig.png");
    nn_curve c = { .label = "train", .x = h.epoch, .y = h.tl, .n = EPOCHS };
    ck_assert_int_eq(nn_plot_curves(bad, "t", "x", "y", &c, 1, &err), NN_E_IO);
    ck_assert_msg(strstr(err.msg, bad) != NULL, "message does not name the file: %s", err.msg);

    nn_error_clear(&err);
    ck_assert_int_eq(
        nn_plot_training_curves(bad, "t", h.epoch, h.tl, h.vl, h.ta, h.va, EPOCHS, &err), NN_E_IO);
    ck_assert_msg(strstr(err.msg, bad) != NULL, "%s", err.msg);
    int64_t conf[4] = { 3, 1, 0, 4 };
    nn_error_clear(&err);
    ck_assert_int_eq(nn_plot_confusion(bad, "t", conf, 2, NULL, &err), NN_E_IO);
    ck_assert_msg(strstr(err.msg, bad) != NULL, "%s", err.msg);
    float W[4] = { 0, 1, 2, 3 };
    nn_error_clear(&err);
    ck_assert_int_eq(nn_plot_weight_grid(bad, "t", W, 2, 2, 1, &err), NN_E_IO);
    ck_assert_msg(strstr(err.msg, bad) != NULL, "%s", err.msg);
    /* a folder given as the file */
    nn_error_clear(&err);
    ck_assert_int_eq(nn_plot_weight_grid(nn_test_tmpdir(), "t", W, 2, 2, 1, &err), NN_E_IO);

    const char *good = nn_test_path("after_bad_path.png");
    ck_assert_msg(nn_plot_curves(good, "t", "x", "y", &c, 1, &err) == NN_OK, "%s", err.msg);
    assert_png(good, 900, 600);
}
END_TEST

/* A fatal PLplot error (here: no drivers, which makes PLplot call exit()
 * by default) returns an error instead, and PLplot works again after it. */
START_TEST(test_plplot_fatal_error)
{
    history h = make_history(0.0);
    nn_error err = { 0 };
    const char *empty = nn_test_path("no_drivers");
    mkdir(empty, 0755);
    const char *path = nn_test_path("fatal.png");
    nn_curve c = { .label = "train", .x = h.epoch, .y = h.tl, .n = EPOCHS };
    ck_assert_int_eq(setenv("PLPLOT_DRV_DIR", empty, 1), 0);
    int rc = nn_plot_curves(path, "t", "x", "y", &c, 1, &err);
    unsetenv("PLPLOT_DRV_DIR");
    ck_assert_msg(rc == NN_E_IO, "got %d: %s", rc, err.msg);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "PLplot"), "%s", err.msg);
    ck_assert_msg(!file_exists(path), "%s left behind", path);

    ck_assert_msg(nn_plot_curves(path, "t", "x", "y", &c, 1, &err) == NN_OK, "%s", err.msg);
    assert_png(path, 900, 600);
}
END_TEST

/* Expect code and a message containing every fragment; no file written. */
static void expect_error(int rc, int code, const nn_error *err, const char *path,
                         const char *fragment)
{
    ck_assert_msg(rc == code, "got %d (%s), expected %d", rc, err->msg, code);
    ck_assert_msg(strstr(err->msg, path) != NULL, "message does not name %s: %s", path, err->msg);
    ck_assert_msg(strstr(err->msg, fragment) != NULL, "message lacks '%s': %s", fragment, err->msg);
    ck_assert_msg(!file_exists(path), "%s was written despite the error", path);
}

START_TEST(test_invalid_inputs)
{
    history h = make_history(0.0);
    nn_error err = { 0 };
    const char *p = nn_test_path("invalid.png");
    unlink(p);
    double nan_y[EPOCHS];
    for (int i = 0; i < EPOCHS; i++)
        nan_y[i] = i % 2 ? NAN : INFINITY;

    nn_curve c = { .label = "train", .x = h.epoch, .y = h.tl, .n = 0 };
    expect_error(nn_plot_curves(p, "t", "x", "y", &c, 1, &err), NN_E_STATE, &err, p, "0 points");
    expect_error(nn_plot_curves(p, "t", "x", "y", &c, 0, &err), NN_E_STATE, &err, p, "no curves");
    expect_error(nn_plot_curves(p, "t", "x", "y", NULL, 2, &err), NN_E_STATE, &err, p, "no curves");
    nn_curve e[2] = { { .label = "a", .x = h.epoch, .y = nan_y, .n = EPOCHS },
                      { .label = "b", .x = h.epoch, .y = nan_y, .n = EPOCHS } };
    expect_error(nn_plot_curves(p, "t", "x", "y", e, 2, &err), NN_E_STATE, &err, p, "empty");
    nn_curve noy = { .label = "a", .x = h.epoch, .y = NULL, .n = 3 };
    expect_error(nn_plot_curves(p, "t", "x", "y", &noy, 1, &err), NN_E_STATE, &err, p,
                 "no y values");

    expect_error(nn_plot_training_curves(p, "t", h.epoch, h.tl, h.vl, h.ta, h.va, 0, &err),
                 NN_E_STATE, &err, p, "n >= 1");
    expect_error(nn_plot_training_curves(p, "t", h.epoch, nan_y, nan_y, nan_y, NULL, EPOCHS, &err),
                 NN_E_STATE, &err, p, "no finite");

    int64_t conf[4] = { 3, 1, 0, 4 }, neg[4] = { 3, -1, 0, 4 };
    expect_error(nn_plot_confusion(p, "t", conf, 0, NULL, &err), NN_E_STATE, &err, p, "K >= 1");
    expect_error(nn_plot_confusion(p, "t", NULL, 2, NULL, &err), NN_E_STATE, &err, p,
                 "no confusion");
    expect_error(nn_plot_confusion(p, "t", neg, 2, NULL, &err), NN_E_STATE, &err, p, "negative");
    char unterminated[2][32];
    memset(unterminated, 'x', sizeof unterminated);
    expect_error(nn_plot_confusion(p, "t", conf, 2, (const char(*)[32])unterminated, &err),
                 NN_E_STATE, &err, p, "not terminated");

    float W[6] = { 0, 1, 2, 3, 4, 5 };
    expect_error(nn_plot_weight_grid(p, "t", W, 0, 3, 2, &err), NN_E_STATE, &err, p, "h, w >= 1");
    expect_error(nn_plot_weight_grid(p, "t", W, 3, 0, 2, &err), NN_E_STATE, &err, p, "h, w >= 1");
    expect_error(nn_plot_weight_grid(p, "t", W, 3, 1, 0, &err), NN_E_STATE, &err, p, "units >= 1");
    expect_error(nn_plot_weight_grid(p, "t", NULL, 3, 1, 2, &err), NN_E_STATE, &err, p,
                 "no weights");
    W[4] = NAN;
    expect_error(nn_plot_weight_grid(p, "t", W, 3, 1, 2, &err), NN_E_STATE, &err, p, "nan");

    /* no file name */
    ck_assert_int_eq(nn_plot_curves("", "t", "x", "y", e, 1, &err), NN_E_CONFIG);
    ck_assert_int_eq(nn_plot_weight_grid(NULL, "t", W, 3, 1, 2, &err), NN_E_CONFIG);
    ck_assert_int_eq(nn_plot_confusion("-", "t", conf, 2, NULL, &err), NN_E_CONFIG);

    /* and PLplot is still usable */
    ck_assert_msg(nn_plot_confusion(p, "after errors", conf, 2, NULL, &err) == NN_OK, "%s",
                  err.msg);
    assert_png(p, 1000, 900);
}
END_TEST

/* All four kinds, one after the other, twice: PLplot's global state is
 * reset between figures. */
START_TEST(test_sequence)
{
    history h = make_history(0.0);
    nn_error err = { 0 };
    int64_t *conf = make_confusion(36);
    float *W = make_weights(32, 32, 16);
    nn_curve c = { .label = "train", .x = h.epoch, .y = h.ta, .n = EPOCHS };
    for (int round = 0; round < 2; round++) {
        ck_assert_msg(nn_plot_curves(nn_test_path("seq_curves.png"), "a", "x", "y", &c, 1, &err) ==
                          NN_OK,
                      "%s", err.msg);
        ck_assert_msg(
            nn_plot_weight_grid(nn_test_path("seq_weights.png"), "w", W, 32, 32, 16, &err) == NN_OK,
            "%s", err.msg);
        ck_assert_msg(nn_plot_confusion(nn_test_path("seq_conf.png"), "c", conf, 36, NULL, &err) ==
                          NN_OK,
                      "%s", err.msg);
        ck_assert_msg(nn_plot_training_curves(nn_test_path("seq_train.png"), "t", h.epoch, h.tl,
                                              h.vl, h.ta, h.va, EPOCHS, &err) == NN_OK,
                      "%s", err.msg);
    }
    assert_png(nn_test_path("seq_curves.png"), 900, 600);
    assert_png(nn_test_path("seq_weights.png"), 900, 940);
    assert_png(nn_test_path("seq_conf.png"), 1000, 900);
    assert_png(nn_test_path("seq_train.png"), 1400, 600);
    free(conf);
    free(W);
}
END_TEST

/* Text for PLplot: '#' doubled, invalid UTF-8 replaced, cut at a character. */
START_TEST(test_text)
{
    char b[16];
    ck_assert_str_eq(nn_plot_text(b, sizeof b, "lr #2"), "lr ##2");
    ck_assert_str_eq(nn_plot_text(b, sizeof b, NULL), "");
    ck_assert_str_eq(nn_plot_text(b, sizeof b, "a\xff\xc3x"), "a??x");
    ck_assert_str_eq(nn_plot_text(b, sizeof b, "\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
    /* cut before a character that does not fit, not in its middle */
    ck_assert_str_eq(nn_plot_text(b, 6, "ab\xc3\xa9\xc3\xa9"), "ab\xc3\xa9");
    ck_assert_str_eq(nn_plot_text(b, 3, "a#b"), "a"); /* "##" is not split either */
    ck_assert_str_eq(nn_plot_text(b, 4, "a#b"), "a##");

    /* and a figure with such a title */
    history h = make_history(0.0);
    nn_error err = { 0 };
    nn_curve c = { .label = "tr\xe4in #1", .x = h.epoch, .y = h.tl, .n = EPOCHS };
    const char *path = nn_test_path("odd_text.png");
    ck_assert_msg(nn_plot_curves(path, "caf\xc3\xa9 \xff #", "\xce\xbb", "y", &c, 1, &err) == NN_OK,
                  "%s", err.msg);
    assert_png(path, 900, 600);
}
END_TEST

static Suite *plot_suite(void)
{
    Suite *s = suite_create("plot_figures");
    TCase *tc = tcase_create("figures");
    tcase_add_test(tc, test_curves_png);
    tcase_add_test(tc, test_training_curves_png);
    tcase_add_test(tc, test_confusion_png);
    tcase_add_test(tc, test_weight_grid_png);
    tcase_add_test(tc, test_bad_path);
    tcase_add_test(tc, test_plplot_fatal_error);
    tcase_add_test(tc, test_invalid_inputs);
    tcase_add_test(tc, test_sequence);
    tcase_add_test(tc, test_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return nn_test_run_suite(plot_suite()); }
