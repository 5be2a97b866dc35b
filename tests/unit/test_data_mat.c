/* MATLAB reader: fixtures written here with matio (v5 compressed and not,
 * v7.3 when matio has HDF5), broken files, and the real nist26_valid.mat. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <matio.h>

#include "nn/dataset.h"
#include "testutil.h"

/* ---- fixture writers ------------------------------------------------------ */

/* Pixel (r, c) of sample i: every value says where it came from. */
static double pixel(size_t i, size_t r, size_t c, size_t side)
{
    return (double)(i * 100 + r * side + c);
}

/* [n, side*side] column-major, each row a column-major glyph, as MATLAB
 * writes x(i, :) = reshape(glyph, 1, []). */
static double *glyphs(size_t n, size_t side)
{
    size_t d = side * side;
    double *v = malloc(n * d * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < side; r++)
            for (size_t c = 0; c < side; c++)
                v[i + (c * side + r) * n] = pixel(i, r, c, side);
    return v;
}

/* [n, k] column-major one-hot, sample i in class i mod k. */
static double *one_hot(size_t n, size_t k)
{
    double *v = calloc(n * k, sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++)
        v[i + (i % k) * n] = 1;
    return v;
}

/* Write rows x cols values (column-major doubles) as a variable of class cls. */
static void put(mat_t *m, const char *name, enum matio_classes cls, size_t rows, size_t cols,
                const double *v, int compress)
{
    size_t dims[2] = { rows, cols }, count = rows * cols;
    enum matio_types type;
    size_t es;
    switch (cls) {
    case MAT_C_DOUBLE:
        type = MAT_T_DOUBLE;
        es = 8;
        break;
    case MAT_C_SINGLE:
        type = MAT_T_SINGLE;
        es = 4;
        break;
    case MAT_C_UINT8:
        type = MAT_T_UINT8;
        es = 1;
        break;
    case MAT_C_INT16:
        type = MAT_T_INT16;
        es = 2;
        break;
    default: ck_abort_msg("class %d not supported by the fixture writer", (int)cls); return;
    }
    void *buf = malloc(count * es + 1);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < count; i++) {
        if (cls == MAT_C_DOUBLE)
            ((double *)buf)[i] = v[i];
        else if (cls == MAT_C_SINGLE)
            ((float *)buf)[i] = (float)v[i];
        else if (cls == MAT_C_UINT8)
            ((uint8_t *)buf)[i] = (uint8_t)v[i];
        else
            ((int16_t *)buf)[i] = (int16_t)v[i];
    }
    matvar_t *var = Mat_VarCreate(name, cls, type, 2, dims, buf, MAT_F_DONT_COPY_DATA);
    ck_assert_ptr_nonnull(var);
    enum matio_compression how = compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE;
    ck_assert_int_eq(Mat_VarWrite(m, var, how), 0);
    Mat_VarFree(var);
    free(buf);
}

static mat_t *create(const char *path, enum mat_ft version)
{
    remove(path);
    mat_t *m = Mat_CreateVer(path, NULL, version);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* A whole good file: <prefix>_data [n, side^2] of class xc and
 * <prefix>_labels [n, k] of class yc. */
static void write_good(const char *path, const char *prefix, size_t n, size_t side, size_t k,
                       enum matio_classes xc, enum matio_classes yc, int compress)
{
    char name[64];
    double *x = glyphs(n, side), *y = one_hot(n, k);
    mat_t *m = create(path, MAT_FT_MAT5);
    snprintf(name, sizeof name, "%s_data", prefix);
    put(m, name, xc, n, side * side, x, compress);
    snprintf(name, sizeof name, "%s_labels", prefix);
    put(m, name, yc, n, k, y, compress);
    Mat_Close(m);
    free(x);
    free(y);
}

static void check_glyphs(const nn_dataset *d, size_t n, size_t side, size_t k, int as_uint8)
{
    ck_assert_uint_eq(d->n, n);
    ck_assert_int_eq(d->c, 1);
    ck_assert_int_eq(d->h, (int)side);
    ck_assert_int_eq(d->w, (int)side);
    ck_assert_uint_eq(d->dim, side * side);
    ck_assert_int_eq(d->num_classes, (int)k);
    ck_assert_ptr_nonnull(d->f32);
    ck_assert_ptr_null(d->u8);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(d->labels[i], (int32_t)(i % k));
        for (size_t r = 0; r < side; r++)
            for (size_t c = 0; c < side; c++) {
                double want = pixel(i, r, c, side);
                if (as_uint8)
                    want = (double)(uint8_t)want;
                ck_assert_msg(d->f32[i * side * side + r * side + c] == (float)want,
                              "sample %zu pixel (%zu,%zu): %g, expected %g", i, r, c,
                              (double)d->f32[i * side * side + r * side + c], want);
            }
    }
}

static void expect_fail(const char *path, int code, ...)
{
    nn_dataset d;
    nn_error err = { 0 };
    int rc = nn_mat_load(&d, path, &err);
    ck_assert_msg(rc == code, "code %d, expected %d; message: %s", rc, code, err.msg);
    ck_assert_ptr_null(d.f32);
    ck_assert_ptr_null(d.labels);
    ck_assert_ptr_null(d.class_names);
    va_list ap;
    va_start(ap, code);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        ck_assert_msg(strstr(err.msg, s), "message \"%s\" lacks \"%s\"", err.msg, s);
    va_end(ap);
}

/* ---- good files ------------------------------------------------------------ */

START_TEST(test_26_classes_double_compressed)
{
    const char *p = nn_test_path("nist26_like.mat");
    write_good(p, "valid", 52, 4, 26, MAT_C_DOUBLE, MAT_C_UINT8, 1);
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_mat_load(&d, p, &err) == NN_OK, "%s", err.msg);
    check_glyphs(&d, 52, 4, 26, 0);
    ck_assert_str_eq(d.class_names[0], "A");
    ck_assert_str_eq(d.class_names[25], "Z");
    nn_dataset_free(&d);
}
END_TEST

START_TEST(test_36_classes_single)
{
    const char *p = nn_test_path("nist36_like.mat");
    write_good(p, "train", 72, 5, 36, MAT_C_SINGLE, MAT_C_DOUBLE, 0);
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_mat_load(&d, p, &err) == NN_OK, "%s", err.msg);
    check_glyphs(&d, 72, 5, 36, 0);
    ck_assert_str_eq(d.class_names[0], "A");
    ck_assert_str_eq(d.class_names[25], "Z");
    ck_assert_str_eq(d.class_names[26], "0");
    ck_assert_str_eq(d.class_names[35], "9");
    nn_dataset_free(&d);
}
END_TEST

START_TEST(test_integer_data_numbered_classes)
{
    const char *p = nn_test_path("digits_uint8.mat");
    write_good(p, "test", 30, 3, 10, MAT_C_UINT8, MAT_C_INT16, 1);
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_mat_load(&d, p, &err) == NN_OK, "%s", err.msg);
    check_glyphs(&d, 30, 3, 10, 1); /* stored as-is, not rescaled */
    ck_assert_str_eq(d.class_names[0], "0");
    ck_assert_str_eq(d.class_names[9], "9");
    nn_dataset_free(&d);
}
END_TEST

/* Other variables may sit beside the pair; labels may be soft (argmax). */
START_TEST(test_extra_variables_and_soft_labels)
{
    const char *p = nn_test_path("extra.mat");
    double *x = glyphs(4, 2);
    double y[4 * 3] = { 0.1, 0.0, 0.2, 0.0, /* column 0 */
                        0.7, 0.0, 0.1, 0.0, /* column 1 */
                        0.2, 0.9, 0.7, 2.0 };
    double other[3] = { 1, 2, 3 };
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "notes", MAT_C_DOUBLE, 1, 3, other, 1);
    put(m, "set_labels", MAT_C_DOUBLE, 4, 3, y, 1);
    put(m, "set_data", MAT_C_DOUBLE, 4, 4, x, 1);
    Mat_Close(m);
    free(x);
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_mat_load(&d, p, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(d.labels[0], 1);
    ck_assert_int_eq(d.labels[1], 2);
    ck_assert_int_eq(d.labels[2], 2);
    ck_assert_int_eq(d.labels[3], 2);
    ck_assert_int_eq(d.num_classes, 3);
    ck_assert_str_eq(d.class_names[2], "2");
    nn_dataset_free(&d);
}
END_TEST

/* v7.3 files are HDF5 inside; HDF5 crashes on damaged files, so they are
 * refused with a hint to re-save them. */
START_TEST(test_v73_refused)
{
    const char *p = nn_test_path("v73.mat");
    remove(p);
    mat_t *m = Mat_CreateVer(p, NULL, MAT_FT_MAT73);
    if (!m) {
        nn_test_skip("test_v73_refused", "this matio cannot write MAT v7.3 files");
        return;
    }
    double *x = glyphs(20, 4), *y = one_hot(20, 26);
    put(m, "valid_data", MAT_C_DOUBLE, 20, 16, x, 1);
    put(m, "valid_labels", MAT_C_DOUBLE, 20, 26, y, 1);
    Mat_Close(m);
    free(x);
    free(y);
    expect_fail(p, NN_E_FORMAT, "v73.mat: a MAT v7.3 (HDF5) file, which is not read", "'-v7'",
                NULL);
}
END_TEST

/* ---- wrong content ---------------------------------------------------------- */

START_TEST(test_missing_labels)
{
    const char *p = nn_test_path("no_labels.mat");
    double *x = glyphs(6, 4), *y = one_hot(6, 3);
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, 6, 16, x, 1);
    put(m, "valid_labels", MAT_C_DOUBLE, 6, 3, y, 1);
    Mat_Close(m);
    free(x);
    free(y);
    expect_fail(p, NN_E_FORMAT, "no_labels.mat: has train_data but no train_labels",
                "variables: train_data, valid_labels", NULL);
}
END_TEST

START_TEST(test_no_or_two_data)
{
    const char *p = nn_test_path("two_data.mat");
    double *x = glyphs(6, 4), *y = one_hot(6, 3);
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, 6, 16, x, 1);
    put(m, "train_labels", MAT_C_DOUBLE, 6, 3, y, 1);
    put(m, "valid_data", MAT_C_DOUBLE, 6, 16, x, 1);
    Mat_Close(m);
    expect_fail(p, NN_E_FORMAT, "2 variables named <split>_data (expected exactly one)", NULL);
    p = nn_test_path("no_data.mat");
    m = create(p, MAT_FT_MAT5);
    put(m, "images", MAT_C_DOUBLE, 6, 16, x, 1);
    Mat_Close(m);
    free(x);
    free(y);
    expect_fail(p, NN_E_FORMAT, "0 variables named <split>_data", "variables: images", NULL);
}
END_TEST

START_TEST(test_row_mismatch)
{
    const char *p = nn_test_path("rows.mat");
    double *x = glyphs(10, 4), *y = one_hot(9, 3);
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, 10, 16, x, 1);
    put(m, "train_labels", MAT_C_DOUBLE, 9, 3, y, 1);
    Mat_Close(m);
    free(x);
    free(y);
    expect_fail(p, NN_E_FORMAT, "rows.mat: train_data has 10 rows but train_labels has 9", NULL);
}
END_TEST

START_TEST(test_wrong_width)
{
    const char *p = nn_test_path("width.mat");
    double *x = calloc(3 * 1000, sizeof *x), *y = one_hot(3, 3);
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, 3, 1000, x, 1);
    put(m, "train_labels", MAT_C_DOUBLE, 3, 3, y, 1);
    Mat_Close(m);
    free(x);
    free(y);
    expect_fail(p, NN_E_FORMAT, "width.mat: train_data rows have 1000 values, not a square image",
                NULL);
}
END_TEST

START_TEST(test_not_one_hot)
{
    const char *p = nn_test_path("hot.mat");
    double *x = glyphs(5, 2), *y = one_hot(5, 3);
    y[3 + (3 % 3) * 5] = 0;  /* row 3 all zero */
    y[4 + (4 % 3) * 5] = -1; /* row 4 only negative */
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, 5, 4, x, 1);
    put(m, "train_labels", MAT_C_DOUBLE, 5, 3, y, 1);
    Mat_Close(m);
    free(x);
    free(y);
    expect_fail(p, NN_E_FORMAT, "hot.mat: train_labels row 3 (0-based) has no positive entry",
                NULL);
}
END_TEST

START_TEST(test_non_finite)
{
    const char *p = nn_test_path("nan.mat");
    double *x = glyphs(5, 2), *y = one_hot(5, 3);
    x[2 + 1 * 5] = NAN; /* sample 2 */
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, 5, 4, x, 1);
    put(m, "train_labels", MAT_C_DOUBLE, 5, 3, y, 1);
    Mat_Close(m);
    expect_fail(p, NN_E_FORMAT, "train_data row 2 (0-based) holds nan", NULL);
    x[2 + 1 * 5] = 1e300; /* does not fit a float */
    m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, 5, 4, x, 1);
    put(m, "train_labels", MAT_C_DOUBLE, 5, 3, y, 1);
    Mat_Close(m);
    free(x);
    free(y);
    expect_fail(p, NN_E_FORMAT, "row 2 (0-based) holds 1e+300, which is not a finite float", NULL);
}
END_TEST

START_TEST(test_not_a_matrix)
{
    const char *p = nn_test_path("char.mat");
    size_t dims[2] = { 1, 5 };
    char text[] = "hello";
    double *y = one_hot(1, 3);
    mat_t *m = create(p, MAT_FT_MAT5);
    matvar_t *v =
        Mat_VarCreate("train_data", MAT_C_CHAR, MAT_T_UTF8, 2, dims, text, MAT_F_DONT_COPY_DATA);
    ck_assert_int_eq(Mat_VarWrite(m, v, MAT_COMPRESSION_NONE), 0);
    Mat_VarFree(v);
    put(m, "train_labels", MAT_C_DOUBLE, 1, 3, y, 1);
    Mat_Close(m);
    expect_fail(p, NN_E_FORMAT, "char.mat: train_data must be a real numeric matrix",
                "2-dimensional char array", NULL);

    /* Complex values */
    double re[4] = { 1, 2, 3, 4 }, im[4] = { 0 };
    mat_complex_split_t z = { re, im };
    size_t d2[2] = { 1, 4 };
    m = create(p, MAT_FT_MAT5);
    v = Mat_VarCreate("train_data", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d2, &z,
                      MAT_F_COMPLEX | MAT_F_DONT_COPY_DATA);
    ck_assert_int_eq(Mat_VarWrite(m, v, MAT_COMPRESSION_ZLIB), 0);
    Mat_VarFree(v);
    put(m, "train_labels", MAT_C_DOUBLE, 1, 3, y, 1);
    Mat_Close(m);
    expect_fail(p, NN_E_FORMAT, "train_data must be a real numeric matrix",
                "2-dimensional complex double array", NULL);

    /* Three dimensions */
    double cube[8] = { 0 };
    size_t d3[3] = { 1, 4, 2 };
    m = create(p, MAT_FT_MAT5);
    v = Mat_VarCreate("train_data", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, d3, cube, MAT_F_DONT_COPY_DATA);
    ck_assert_int_eq(Mat_VarWrite(m, v, MAT_COMPRESSION_ZLIB), 0);
    Mat_VarFree(v);
    put(m, "train_labels", MAT_C_DOUBLE, 1, 3, y, 1);
    Mat_Close(m);
    free(y);
    expect_fail(p, NN_E_FORMAT, "3-dimensional double array", NULL);
}
END_TEST

/* ---- broken files ---------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    rewind(f);
    uint8_t *b = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Glyphs of pseudo-random values so compression cannot shrink them much. */
static const char *write_noisy(const char *name, int compress)
{
    const char *p = nn_test_path(name);
    enum { n = 300, side = 8 };
    double *x = glyphs(n, side), *y = one_hot(n, 26);
    uint64_t s = 99;
    for (size_t i = 0; i < (size_t)n * side * side; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (double)(s >> 11) / 9007199254740992.0;
    }
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, n, side * side, x, compress);
    put(m, "train_labels", MAT_C_UINT8, n, 26, y, compress);
    Mat_Close(m);
    free(x);
    free(y);
    return p;
}

START_TEST(test_truncated)
{
    for (int compress = 0; compress < 2; compress++) {
        size_t len;
        const char *full = write_noisy("full.mat", compress);
        uint8_t *b = slurp(full, &len);
        const size_t cuts[] = { len / 2, len - 1, len - 300, 200 };
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            const char *p = nn_test_path("cut.mat");
            ck_assert_int_eq(nn_test_write_file(p, b, cuts[c]), 0);
            expect_fail(p, NN_E_FORMAT, "cut.mat: truncated: variable", NULL);
        }
        const char *p = nn_test_path("cut.mat");
        ck_assert_int_eq(nn_test_write_file(p, b, 100), 0); /* inside the header */
        expect_fail(p, NN_E_FORMAT,
                    "cut.mat: truncated: 100 bytes, less than the 128-byte MAT-file header", NULL);
        free(b);
    }
}
END_TEST

START_TEST(test_trailing_garbage)
{
    size_t len;
    const char *full = write_noisy("full.mat", 1);
    uint8_t *b = slurp(full, &len);
    b = realloc(b, len + 64);
    memset(b + len, 0x5a, 64);
    const char *p = nn_test_path("long.mat");
    ck_assert_int_eq(nn_test_write_file(p, b, len + 5), 0);
    expect_fail(p, NN_E_FORMAT, "long.mat: 5 stray bytes after the last variable", NULL);
    ck_assert_int_eq(nn_test_write_file(p, b, len + 64), 0);
    expect_fail(p, NN_E_FORMAT, "long.mat: corrupt: element 3", NULL);
    free(b);
}
END_TEST

/* A variable whose data block is shorter than its dimensions say (matio
 * would leave the rest of its buffer uninitialised without a word). */
START_TEST(test_short_data_block)
{
    const char *p = nn_test_path("short_block.mat");
    double *x = glyphs(3, 2), *y = one_hot(3, 3); /* x: 3 x 4 doubles = 96 bytes */
    mat_t *m = create(p, MAT_FT_MAT5);
    put(m, "train_data", MAT_C_DOUBLE, 3, 4, x, 0);
    put(m, "train_labels", MAT_C_DOUBLE, 3, 3, y, 0);
    Mat_Close(m);
    free(x);
    free(y);
    size_t len;
    uint8_t *b = slurp(p, &len);
    const uint8_t tag[8] = { 9, 0, 0, 0, 96, 0, 0, 0 }; /* miDOUBLE, 96 bytes (little-endian) */
    size_t at = 0;
    while (at + 8 <= len && memcmp(b + at, tag, 8) != 0)
        at++;
    ck_assert_msg(at + 8 <= len, "real-part tag not found");
    b[at + 4] = 88;
    ck_assert_int_eq(nn_test_write_file(p, b, len), 0);
    free(b);
    expect_fail(p, NN_E_FORMAT,
                "short_block.mat: corrupt: variable 1: 88 bytes of data (type 9) "
                "for 12 values",
                NULL);
}
END_TEST

/* Damage inside a compressed variable: an error, never garbage or a crash. */
START_TEST(test_corrupt_compressed)
{
    size_t len;
    const char *full = write_noisy("full.mat", 1);
    uint8_t *b = slurp(full, &len);
    const char *p = nn_test_path("damaged.mat");
    const size_t at[] = { 128 + 8 + 2, 128 + 200, len / 3, len / 2 };
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        uint8_t *c = malloc(len);
        memcpy(c, b, len);
        for (size_t j = 0; j < 32; j++)
            c[at[k] + j] ^= 0xff;
        ck_assert_int_eq(nn_test_write_file(p, c, len), 0);
        free(c);
        nn_dataset d;
        nn_error err = { 0 };
        int rc = nn_mat_load(&d, p, &err);
        ck_assert_msg(rc == NN_E_FORMAT, "damage at %zu: code %d: %s", at[k], rc, err.msg);
        ck_assert_msg(strstr(err.msg, "damaged.mat: corrupt: compressed variable "), "%s", err.msg);
        ck_assert_ptr_null(d.f32);
    }
    free(b);
}
END_TEST

START_TEST(test_not_mat)
{
    const char *p = nn_test_path("notes.txt");
    const char *text = "This is a text file, not a MATLAB file. It is long enough to fill a "
                       "128-byte header with letters and then some more letters after that.\n";
    ck_assert_int_eq(nn_test_write_file(p, text, strlen(text)), 0);
    expect_fail(p, NN_E_FORMAT, "notes.txt: not a MATLAB .mat file of version 5 to 7",
                "no MAT-file header", NULL);
    ck_assert_int_eq(nn_test_write_file(p, text, 20), 0);
    expect_fail(p, NN_E_FORMAT, "notes.txt: not a MATLAB .mat file (20 bytes", NULL);
    /* A v5 header with a version nobody writes. */
    size_t len;
    const char *good = write_noisy("full.mat", 1);
    uint8_t *b = slurp(good, &len);
    b[124] = 0x00;
    b[125] = 0x03;
    ck_assert_int_eq(nn_test_write_file(p, b, len), 0);
    free(b);
    expect_fail(p, NN_E_FORMAT, "unknown MAT-file version", NULL);
}
END_TEST

START_TEST(test_empty_and_missing)
{
    const char *p = nn_test_path("empty.mat");
    ck_assert_int_eq(nn_test_write_file(p, "", 0), 0);
    expect_fail(p, NN_E_FORMAT, "empty.mat: empty file", NULL);
    expect_fail(nn_test_path("nowhere.mat"), NN_E_IO,
                "nowhere.mat: cannot open: No such file or directory", NULL);
    expect_fail("", NN_E_CONFIG, "no .mat file given", NULL);
}
END_TEST

/* Random damage (bytes changed, file cut) to good files, compressed and
 * not: every load either succeeds with a sane result or fails with a
 * message; none crashes (run under valgrind / ASan to see memory errors). */
START_TEST(test_fuzz)
{
    uint64_t s = 2024;
    const char *p = nn_test_path("fuzz.mat");
    for (int compress = 0; compress < 2; compress++) {
        const char *good = nn_test_path("fuzz-good.mat");
        write_good(good, "train", 12, 4, 26, MAT_C_DOUBLE, MAT_C_UINT8, compress);
        size_t len;
        uint8_t *b = slurp(good, &len);
        for (int round = 0; round < 300; round++) {
            uint8_t *c = malloc(len);
            memcpy(c, b, len);
            size_t cut = len;
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int flips = 1 + (int)(s >> 61);
            for (int k = 0; k < flips; k++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                c[(s >> 33) % len] = (uint8_t)(s >> 20);
            }
            if (round % 5 == 0)
                cut = (size_t)((s >> 13) % len);
            ck_assert_int_eq(nn_test_write_file(p, c, cut), 0);
            free(c);
            nn_dataset d;
            nn_error err = { 0 };
            int rc = nn_mat_load(&d, p, &err);
            ck_assert_msg(rc == NN_OK || rc == NN_E_FORMAT, "round %d: code %d: %s", round, rc,
                          err.msg);
            if (rc == NN_OK) {
                ck_assert(d.n >= 1 && d.dim == (size_t)d.h * (size_t)d.w && d.num_classes >= 1);
                for (size_t i = 0; i < d.n; i++)
                    ck_assert(d.labels[i] >= 0 && d.labels[i] < d.num_classes);
            } else {
                ck_assert_msg(strstr(err.msg, "fuzz.mat: "), "round %d: %s", round, err.msg);
            }
            nn_dataset_free(&d);
        }
        free(b);
    }
}
END_TEST

/* ---- real data ----------------------------------------------------------------- */

/* Ink (1 - value: the glyphs are dark on light) in the top and bottom halves
 * of the mean glyph of class k. */
static void ink_halves(const nn_dataset *d, int k, double *top, double *bottom)
{
    *top = *bottom = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->labels[i] == k)
            for (size_t j = 0; j < d->dim; j++) {
                int upper = j / (size_t)d->w < (size_t)d->h / 2; /* row in the top half */
                *(upper ? top : bottom) += 1.0 - d->f32[i * d->dim + j];
            }
}

START_TEST(test_real_nist26_valid)
{
    const char *p = nn_test_data_file("test_real_nist26_valid", "nist36/nist26_valid.mat", NULL);
    if (!p)
        return;
    nn_dataset d;
    nn_error err = { 0 };
    ck_assert_msg(nn_mat_load(&d, p, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(d.h, 32);
    ck_assert_int_eq(d.w, 32);
    ck_assert_uint_eq(d.dim, 1024);
    ck_assert_int_eq(d.num_classes, 26);
    ck_assert_str_eq(d.class_names[0], "A");
    ck_assert_str_eq(d.class_names[25], "Z");
    /* The shared folder has the 2016 file (4,103,871 bytes); data/fetch.sh
     * brings the later homework's file of the same name, with other counts. */
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    int is_2016 = ftell(f) == 4103871;
    fclose(f);
    if (is_2016) {
        ck_assert_uint_eq(d.n, 1300);
        for (size_t i = 0; i < d.n; i++) /* 50 per class, sorted by class */
            ck_assert_int_eq(d.labels[i], (int32_t)(i / 50));
    } else {
        nn_test_skip_part("test_real_nist26_valid", "exact counts: %s is not the 2016 file", p);
    }
    double mean = 0;
    for (size_t i = 0; i < d.n * d.dim; i++)
        mean += d.f32[i];
    mean /= (double)(d.n * d.dim);
    ck_assert_msg(mean > 0.75 && mean < 0.9, "mean %g: expected ink dark on light", mean);

    /* Upright glyphs: an 'A' has less ink in its top half than in its
     * bottom half, a 'T' much more, an 'L' much less. Transposed glyphs
     * would put the T's bar and the L's foot on the left/right instead. */
    double top, bottom;
    ink_halves(&d, 'A' - 'A', &top, &bottom);
    ck_assert_msg(top < 0.95 * bottom, "A: top %g bottom %g", top, bottom);
    ink_halves(&d, 'T' - 'A', &top, &bottom);
    ck_assert_msg(top > 1.5 * bottom, "T: top %g bottom %g", top, bottom);
    ink_halves(&d, 'L' - 'A', &top, &bottom);
    ck_assert_msg(bottom > 1.5 * top, "L: top %g bottom %g", top, bottom);

    /* And exactly the column-major formula, against matio's raw values. */
    mat_t *m = Mat_Open(p, MAT_ACC_RDONLY);
    ck_assert_ptr_nonnull(m);
    matvar_t *v = Mat_VarRead(m, "valid_data");
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->class_type, MAT_C_DOUBLE);
    const double *raw = v->data; /* [n, 1024] column-major */
    ck_assert_uint_eq(v->dims[0], d.n);
    for (size_t i = 0; i < d.n; i += 7)
        for (size_t r = 0; r < 32; r++)
            for (size_t c = 0; c < 32; c++)
                ck_assert(d.f32[i * 1024 + r * 32 + c] == (float)raw[i + (c * 32 + r) * d.n]);
    Mat_VarFree(v);
    Mat_Close(m);
    nn_dataset_free(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("data_mat");
    TCase *t = tcase_create("fixtures");
    tcase_add_test(t, test_26_classes_double_compressed);
    tcase_add_test(t, test_36_classes_single);
    tcase_add_test(t, test_integer_data_numbered_classes);
    tcase_add_test(t, test_extra_variables_and_soft_labels);
    tcase_add_test(t, test_v73_refused);
    tcase_add_test(t, test_missing_labels);
    tcase_add_test(t, test_no_or_two_data);
    tcase_add_test(t, test_row_mismatch);
    tcase_add_test(t, test_wrong_width);
    tcase_add_test(t, test_not_one_hot);
    tcase_add_test(t, test_non_finite);
    tcase_add_test(t, test_not_a_matrix);
    tcase_add_test(t, test_truncated);
    tcase_add_test(t, test_trailing_garbage);
    tcase_add_test(t, test_short_data_block);
    tcase_add_test(t, test_corrupt_compressed);
    tcase_add_test(t, test_not_mat);
    tcase_add_test(t, test_empty_and_missing);
    tcase_add_test(t, test_fuzz);
    suite_add_tcase(s, t);
    /* Real data: its own CTest test, test_data_mat_nist26. */
    TCase *r = nn_test_data_tcase(s, "nist26");
    tcase_add_test(r, test_real_nist26_valid);
    return s;
}

int main(void) { return nn_test_run_suite(suite()); }
