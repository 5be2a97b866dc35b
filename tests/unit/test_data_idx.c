/* IDX reader: fixtures written here (plain and gzip), every kind of broken
 * file, and the real MNIST / Fashion-MNIST / EMNIST files when present. */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "nn/dataset.h"
#include "testutil.h"

#define N 5
#define H 3
#define W 4

static const uint8_t LABELS[N] = { 0, 3, 1, 2, 3 };

/* ---- fixture writers ---------------------------------------------------- */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void write_bytes(const char *path, const uint8_t *b, size_t n, int gz)
{
    if (!gz) {
        ck_assert_int_eq(nn_test_write_file(path, b, n), 0);
        return;
    }
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (n)
        ck_assert_int_eq(gzwrite(f, b, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

/* Image file bytes: header for n x h x w, then `body` pixels (pixel value
 * = its index mod 251, so each position is recognisable). */
static uint8_t *image_bytes(uint32_t magic, uint32_t n, uint32_t h, uint32_t w, size_t body,
                            size_t *len)
{
    *len = 16 + body;
    uint8_t *b = malloc(*len);
    ck_assert_ptr_nonnull(b);
    put_be32(b, magic);
    put_be32(b + 4, n);
    put_be32(b + 8, h);
    put_be32(b + 12, w);
    for (size_t i = 0; i < body; i++)
        b[16 + i] = (uint8_t)(i % 251);
    return b;
}

static void write_images(const char *path, uint32_t n, size_t body, int gz)
{
    size_t len;
    uint8_t *b = image_bytes(0x803, n, H, W, body, &len);
    write_bytes(path, b, len, gz);
    free(b);
}

static void write_labels(const char *path, const uint8_t *labels, uint32_t n, size_t body, int gz)
{
    uint8_t b[8 + 64];
    put_be32(b, 0x801);
    put_be32(b + 4, n);
    memcpy(b + 8, labels, body);
    write_bytes(path, b, 8 + body, gz);
}

static const char *good_images(void)
{
    const char *p = nn_test_path("good-images.idx");
    write_images(p, N, N * H * W, 0);
    return p;
}

static const char *good_labels(void)
{
    const char *p = nn_test_path("good-labels.idx");
    write_labels(p, LABELS, N, N, 0);
    return p;
}

/* Load and expect failure with code and a message containing each of the
 * NULL-terminated substrings. */
static void expect_fail(const char *images, const char *labels, int code, ...)
{
    nn_dataset d;
    nn_error err = { 0 };
    int rc = nn_idx_load(&d, images, labels, &err);
    ck_assert_msg(rc == code, "code %d, expected %d; message: %s", rc, code, err.msg);
    ck_assert_int_eq(err.code, code);
    ck_assert_ptr_null(d.u8);
    ck_assert_ptr_null(d.labels);
    ck_assert_ptr_null(d.class_names);
    ck_assert_uint_eq(d.n, 0);
    va_list ap;
    va_start(ap, code);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        ck_assert_msg(strstr(err.msg, s), "message \"%s\" lacks \"%s\"", err.msg, s);
    va_end(ap);
}

static void check_good(const nn_dataset *d)
{
    ck_assert_uint_eq(d->n, N);
    ck_assert_int_eq(d->c, 1);
    ck_assert_int_eq(d->h, H);
    ck_assert_int_eq(d->w, W);
    ck_assert_uint_eq(d->dim, H * W);
    ck_assert_ptr_nonnull(d->u8);
    ck_assert_ptr_null(d->f32);
    for (size_t i = 0; i < N * H * W; i++)
        ck_assert_uint_eq(d->u8[i], i % 251);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(d->labels[i], LABELS[i]);
    ck_assert_int_eq(d->num_classes, 4);
    ck_assert_str_eq(d->class_names[0], "0");
    ck_assert_str_eq(d->class_names[3], "3");
}

/* ---- good files ------------------------------------------------------------ */

START_TEST(test_plain)
{
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_idx_load(&d, good_images(), good_labels(), &err), NN_OK);
    check_good(&d);
    nn_dataset_free(&d);
    ck_assert_ptr_null(d.u8);
}
END_TEST

START_TEST(test_gzip)
{
    const char *im = nn_test_path("gz-images.idx.gz"), *lb = nn_test_path("gz-labels.idx.gz");
    write_images(im, N, N * H * W, 1);
    write_labels(lb, LABELS, N, N, 1);
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_idx_load(&d, im, lb, &err) == NN_OK, "%s", err.msg);
    check_good(&d);
    nn_dataset_free(&d);
    /* Mixed, and a gzip file whose name does not say so. */
    const char *disguised = nn_test_path("gz-without-suffix.idx");
    write_labels(disguised, LABELS, N, N, 1);
    ck_assert_msg(nn_idx_load(&d, good_images(), disguised, &err) == NN_OK, "%s", err.msg);
    check_good(&d);
    nn_dataset_free(&d);
}
END_TEST

START_TEST(test_ten_class_names)
{
    const uint8_t labels[10] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
    const char *im = nn_test_path("ten-images.idx"), *lb = nn_test_path("ten-labels.idx");
    write_images(im, 10, 10 * H * W, 0);
    write_labels(lb, labels, 10, 10, 0);
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_idx_load(&d, im, lb, &err), NN_OK);
    ck_assert_int_eq(d.num_classes, 10);
    for (int k = 0; k < 10; k++) {
        char want[4];
        snprintf(want, sizeof want, "%d", k);
        ck_assert_str_eq(d.class_names[k], want);
    }
    nn_dataset_free(&d);
}
END_TEST

/* ---- broken files ------------------------------------------------------------ */

START_TEST(test_labels_given_as_images)
{
    expect_fail(good_labels(), good_labels(), NN_E_FORMAT, "good-labels.idx",
                "wrong magic 0x00000801 (expected 0x00000803, an IDX image file)",
                "an IDX label file", NULL);
}
END_TEST

START_TEST(test_images_given_as_labels)
{
    expect_fail(good_images(), good_images(), NN_E_FORMAT,
                "wrong magic 0x00000803 (expected 0x00000801, an IDX label file)", NULL);
}
END_TEST

START_TEST(test_not_idx)
{
    const char *p = nn_test_path("text.txt");
    const char *text = "hello, this is not an IDX file\n";
    ck_assert_int_eq(nn_test_write_file(p, text, strlen(text)), 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "text.txt: wrong magic 0x68656c6c",
                "not an IDX file", NULL);
}
END_TEST

START_TEST(test_unsupported_type)
{
    size_t len;
    uint8_t *b = image_bytes(0x0d03, N, H, W, N * H * W * 4, &len); /* float32 images */
    const char *p = nn_test_path("float-images.idx");
    write_bytes(p, b, len, 0);
    free(b);
    expect_fail(p, good_labels(), NN_E_FORMAT, "wrong magic 0x00000d03", "element type 0x0d",
                "only uint8", NULL);
}
END_TEST

START_TEST(test_truncated_header)
{
    size_t len;
    uint8_t *b = image_bytes(0x803, N, H, W, 0, &len);
    const char *p = nn_test_path("short-header.idx");
    write_bytes(p, b, 10, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "short-header.idx: truncated header: 10 of 16",
                NULL);
    write_bytes(p, b, 3, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "truncated header: 3 of 16", NULL);
    free(b);
}
END_TEST

START_TEST(test_truncated_pixels)
{
    const char *p = nn_test_path("short-pixels.idx");
    write_images(p, N, 50, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT,
                "short-pixels.idx: truncated: header says 5 x 3 x 4 but the file holds 50 bytes "
                "of pixels",
                NULL);
    write_images(p, N, 50, 1);
    expect_fail(p, good_labels(), NN_E_FORMAT, "truncated: header says 5 x 3 x 4", "holds 50 bytes",
                NULL);
}
END_TEST

START_TEST(test_truncated_labels)
{
    const char *p = nn_test_path("short-labels.idx");
    write_labels(p, LABELS, N, 2, 0);
    expect_fail(good_images(), p, NN_E_FORMAT,
                "short-labels.idx: truncated: header says 5 labels but the file holds 2 bytes",
                NULL);
}
END_TEST

/* A gzip stream cut in the middle (incompressible pixels, so half the
 * compressed file is about half the data). */
START_TEST(test_truncated_gzip_stream)
{
    enum { n = 200, side = 28 };
    size_t len;
    uint8_t *b = image_bytes(0x803, n, side, side, (size_t)n * side * side, &len);
    uint64_t s = 12345;
    for (size_t i = 16; i < len; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = (uint8_t)(s >> 56);
    }
    const char *full = nn_test_path("random.idx.gz"), *cut = nn_test_path("random-cut.idx.gz");
    write_bytes(full, b, len, 1);
    free(b);
    FILE *f = fopen(full, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t *z = malloc(len + 1024);
    size_t zlen = fread(z, 1, len + 1024, f);
    fclose(f);
    ck_assert_int_eq(nn_test_write_file(cut, z, zlen / 2), 0);
    free(z);
    expect_fail(cut, good_labels(), NN_E_FORMAT,
                "random-cut.idx.gz: truncated: header says "
                "200 x 28 x 28",
                "gzip stream is cut short", NULL);
}
END_TEST

START_TEST(test_corrupt_gzip)
{
    const char *p = nn_test_path("corrupt.idx.gz");
    write_images(p, N, N * H * W, 1);
    FILE *f = fopen(p, "r+b");
    ck_assert_ptr_nonnull(f);
    uint8_t junk[16];
    memset(junk, 0xA5, sizeof junk);
    ck_assert_int_eq(fseek(f, 12, SEEK_SET), 0); /* inside the deflate data */
    ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    fclose(f);
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_int_ne(nn_idx_load(&d, p, good_labels(), &err), NN_OK);
    ck_assert_msg(strstr(err.msg, "corrupt.idx.gz: corrupt gzip data: "), "%s", err.msg);
    ck_assert_msg(!strstr(err.msg, "data: /"), "path repeated: %s", err.msg);
    ck_assert_ptr_null(d.u8);
}
END_TEST

START_TEST(test_trailing_garbage)
{
    const char *p = nn_test_path("long-pixels.idx");
    write_images(p, N, N * H * W + 7, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT,
                "long-pixels.idx: 7 bytes of trailing data after the 5 x 3 x 4 pixels the "
                "header announces",
                NULL);
    write_images(p, N, N * H * W + 7, 1);
    expect_fail(p, good_labels(), NN_E_FORMAT, "7 bytes of trailing data", NULL);
}
END_TEST

START_TEST(test_count_mismatch)
{
    const char *p = nn_test_path("four-labels.idx");
    write_labels(p, LABELS, 4, 4, 0);
    expect_fail(good_images(), p, NN_E_FORMAT, "four-labels.idx: labels count 4 != images count 5",
                "good-images.idx", NULL);
}
END_TEST

START_TEST(test_empty_file)
{
    const char *p = nn_test_path("empty.idx");
    ck_assert_int_eq(nn_test_write_file(p, "", 0), 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "empty.idx: empty file (expected an IDX image file)",
                NULL);
    expect_fail(good_images(), p, NN_E_FORMAT, "empty file (expected an IDX label file)", NULL);
}
END_TEST

START_TEST(test_missing_file)
{
    expect_fail(nn_test_path("no-such-file.idx"), good_labels(), NN_E_IO,
                "no-such-file.idx: cannot open: No such file or directory", NULL);
    expect_fail(good_images(), nn_test_path("no-such-labels.idx"), NN_E_IO, "no-such-labels.idx",
                "No such file", NULL);
    expect_fail(nn_test_tmpdir(), good_labels(), NN_E_IO, "read error", NULL); /* a folder */
    expect_fail(good_images(), "", NN_E_CONFIG,
                "good-images.idx: an IDX images file needs its "
                "labels file",
                NULL);
    expect_fail(good_images(), NULL, NN_E_CONFIG, "needs its labels file", NULL);
}
END_TEST

/* Hostile sizes: refused by the header check, or (for sizes within the caps
 * but far beyond the file) by the read, without sizing memory from them. */
START_TEST(test_absurd_sizes)
{
    const char *p = nn_test_path("absurd.idx");
    size_t len;
    uint8_t *b = image_bytes(0x803, 0, H, W, 0, &len);
    write_bytes(p, b, len, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "header says 0 images", NULL);
    put_be32(b + 4, 0xFFFFFFFFu);
    write_bytes(p, b, len, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "header says 4294967295 images", NULL);
    put_be32(b + 4, N);
    put_be32(b + 8, 5000);
    write_bytes(p, b, len, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "images of 5000 x 4 pixels", NULL);
    put_be32(b + 8, 0);
    write_bytes(p, b, len, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "images of 0 x 4 pixels", NULL);
    put_be32(b + 4, 1u << 31); /* 2^31 x 4096 x 4096 = 2^55 bytes announced */
    put_be32(b + 8, 4096);
    put_be32(b + 12, 4096);
    write_bytes(p, b, len, 0);
    expect_fail(p, good_labels(), NN_E_FORMAT, "header says 2147483648 x 4096 x 4096",
                "holds 0 bytes", NULL);
    free(b);
}
END_TEST

/* Random damage (bytes changed, file cut) to good plain and gzip files:
 * every load either succeeds with a sane result or fails with a message. */
START_TEST(test_fuzz)
{
    uint64_t s = 7;
    const char *im = nn_test_path("fuzz-images.idx");
    for (int gz = 0; gz < 2; gz++) {
        size_t len;
        uint8_t *good = image_bytes(0x803, N, H, W, N * H * W, &len);
        write_bytes(im, good, len, gz);
        free(good);
        FILE *f = fopen(im, "rb");
        ck_assert_ptr_nonnull(f);
        uint8_t b[4096];
        len = fread(b, 1, sizeof b, f);
        fclose(f);
        for (int round = 0; round < 300; round++) {
            uint8_t c[4096];
            memcpy(c, b, len);
            size_t cut = len;
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int flips = 1 + (int)(s >> 62);
            for (int k = 0; k < flips; k++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                c[(s >> 33) % len] = (uint8_t)(s >> 20);
            }
            if (round % 5 == 0)
                cut = (size_t)((s >> 13) % len);
            const char *p = nn_test_path("fuzz.idx");
            ck_assert_int_eq(nn_test_write_file(p, c, cut), 0);
            nn_dataset d;
            nn_error err = { 0 };
            int rc = nn_idx_load(&d, p, good_labels(), &err);
            ck_assert_msg(rc == NN_OK || rc == NN_E_FORMAT, "round %d: code %d: %s", round, rc,
                          err.msg);
            if (rc == NN_OK)
                ck_assert(d.n == N && d.dim == (size_t)d.h * (size_t)d.w);
            else
                ck_assert_msg(strstr(err.msg, "fuzz.idx: "), "round %d: %s", round, err.msg);
            nn_dataset_free(&d);
        }
    }
}
END_TEST

/* ---- real data ----------------------------------------------------------------- */

static void count_classes(const nn_dataset *d, int *counts)
{
    memset(counts, 0, sizeof(int) * (size_t)d->num_classes);
    for (size_t i = 0; i < d->n; i++) {
        ck_assert(d->labels[i] >= 0 && d->labels[i] < d->num_classes);
        counts[d->labels[i]]++;
    }
}

START_TEST(test_real_mnist)
{
    const char *im, *lb;
    if (!(im = nn_test_data_file("test_real_mnist", "mnist/t10k-images-idx3-ubyte.gz", NULL)) ||
        !(lb = nn_test_data_file("test_real_mnist", "mnist/t10k-labels-idx1-ubyte.gz", NULL)))
        return;
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_idx_load(&d, im, lb, &err) == NN_OK, "%s", err.msg);
    ck_assert_uint_eq(d.n, 10000);
    ck_assert_int_eq(d.h, 28);
    ck_assert_int_eq(d.w, 28);
    ck_assert_int_eq(d.num_classes, 10);
    ck_assert_int_eq(d.labels[0], 7);
    int counts[10], sum = 0;
    const int want[10] = { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 };
    count_classes(&d, counts);
    for (int k = 0; k < 10; k++) {
        ck_assert_int_eq(counts[k], want[k]);
        sum += counts[k];
    }
    ck_assert_int_eq(sum, 10000);
    /* Polarity: background 0, ink 255, so the mean is low and corners are 0. */
    double mean = 0;
    for (size_t i = 0; i < d.n * d.dim; i++)
        mean += d.u8[i];
    mean /= (double)(d.n * d.dim);
    ck_assert_msg(mean > 20 && mean < 50, "mean pixel %g", mean);
    ck_assert_uint_eq(d.u8[0], 0);
    nn_dataset_free(&d);
}
END_TEST

START_TEST(test_real_mnist_train)
{
    const char *im, *lb;
    if (!(im = nn_test_data_file("test_real_mnist_train", "mnist/train-images-idx3-ubyte.gz",
                                 NULL)) ||
        !(lb =
              nn_test_data_file("test_real_mnist_train", "mnist/train-labels-idx1-ubyte.gz", NULL)))
        return;
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_idx_load(&d, im, lb, &err) == NN_OK, "%s", err.msg);
    ck_assert_uint_eq(d.n, 60000);
    int counts[10];
    const int want[10] = { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 };
    count_classes(&d, counts);
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(counts[k], want[k]);
    ck_assert_int_eq(d.labels[0], 5);
    nn_dataset_free(&d);
}
END_TEST

START_TEST(test_real_fashion_mnist)
{
    const char *dir = "/usr/share/datasets/fashion-mnist";
    char im[256], lb[256];
    snprintf(im, sizeof im, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(lb, sizeof lb, "%s/t10k-labels-idx1-ubyte.gz", dir);
    if (access(im, R_OK) != 0 || access(lb, R_OK) != 0) {
        nn_test_skip("test_real_fashion_mnist",
                     "%s not found (Debian package "
                     "dataset-fashion-mnist)",
                     access(im, R_OK) != 0 ? im : lb);
        return;
    }
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_idx_load(&d, im, lb, &err) == NN_OK, "%s", err.msg);
    ck_assert_uint_eq(d.n, 10000);
    ck_assert_int_eq(d.h, 28);
    ck_assert_int_eq(d.num_classes, 10);
    ck_assert_int_eq(d.labels[0], 9); /* ankle boot */
    int counts[10];
    count_classes(&d, counts);
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(counts[k], 1000);
    nn_dataset_free(&d);
}
END_TEST

/* The real EMNIST-Balanced test labels (47 classes, 400 each), paired with
 * a made-up images file of the same count. data/fetch.sh keeps the official
 * .gz file; the shared folder has it unpacked. */
START_TEST(test_real_emnist_labels)
{
    const char *lb = nn_test_data_file("test_real_emnist_labels",
                                       "emnist/emnist-balanced-test-labels-idx1-ubyte.gz",
                                       "emnist/emnist-balanced-test-labels-idx1-ubyte", NULL);
    if (!lb)
        return;
    size_t len;
    uint8_t *b = image_bytes(0x803, 18800, 1, 1, 18800, &len);
    const char *im = nn_test_path("emnist-fake-images.idx");
    write_bytes(im, b, len, 0);
    free(b);
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_idx_load(&d, im, lb, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(d.num_classes, 47);
    ck_assert_str_eq(d.class_names[46], "46");
    int counts[47];
    count_classes(&d, counts);
    for (int k = 0; k < 47; k++)
        ck_assert_int_eq(counts[k], 400);
    nn_dataset_free(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("data_idx");
    TCase *t = tcase_create("fixtures");
    tcase_add_test(t, test_plain);
    tcase_add_test(t, test_gzip);
    tcase_add_test(t, test_ten_class_names);
    tcase_add_test(t, test_labels_given_as_images);
    tcase_add_test(t, test_images_given_as_labels);
    tcase_add_test(t, test_not_idx);
    tcase_add_test(t, test_unsupported_type);
    tcase_add_test(t, test_truncated_header);
    tcase_add_test(t, test_truncated_pixels);
    tcase_add_test(t, test_truncated_labels);
    tcase_add_test(t, test_truncated_gzip_stream);
    tcase_add_test(t, test_corrupt_gzip);
    tcase_add_test(t, test_trailing_garbage);
    tcase_add_test(t, test_count_mismatch);
    tcase_add_test(t, test_empty_file);
    tcase_add_test(t, test_missing_file);
    tcase_add_test(t, test_absurd_sizes);
    tcase_add_test(t, test_fuzz);
    suite_add_tcase(s, t);
    /* Real data sets: each its own CTest test, test_data_idx_<name>. */
    TCase *r = nn_test_data_tcase(s, "mnist");
    tcase_add_test(r, test_real_mnist);
    tcase_add_test(r, test_real_mnist_train);
    r = nn_test_data_tcase(s, "fashion");
    tcase_add_test(r, test_real_fashion_mnist);
    r = nn_test_data_tcase(s, "emnist");
    tcase_add_test(r, test_real_emnist_labels);
    return s;
}

int main(void) { return nn_test_run_suite(suite()); }
