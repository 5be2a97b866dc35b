/* The dataset type: free, class names, transpose, gather, split, limit. Data sets
 * are built by hand here, so these tests need no files. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/dataset.h"
#include "testutil.h"

/* n samples of h x w; u8 or f32 pixels. Sample i, pixel j holds
 * (i * 31 + j) mod 256 (u8) or i * 1000 + j (f32), so every value says
 * where it came from. Labels i mod k; names "c0", "c1", ... */
static nn_dataset make(size_t n, int h, int w, int as_bytes, int k)
{
    nn_dataset d = {
        .n = n, .c = 1, .h = h, .w = w, .dim = (size_t)h * (size_t)w, .num_classes = k
    };
    d.labels = malloc(n * sizeof *d.labels);
    d.class_names = calloc((size_t)k, NN_CLASS_NAME_LEN);
    if (as_bytes)
        d.u8 = malloc(n * d.dim);
    else
        d.f32 = malloc(n * d.dim * sizeof(float));
    ck_assert(d.labels && d.class_names && (d.u8 || d.f32));
    for (size_t i = 0; i < n; i++) {
        d.labels[i] = (int32_t)(i % (size_t)k);
        for (size_t j = 0; j < d.dim; j++) {
            if (as_bytes)
                d.u8[i * d.dim + j] = (uint8_t)((i * 31 + j) % 256);
            else
                d.f32[i * d.dim + j] = (float)(i * 1000 + j);
        }
    }
    for (int c = 0; c < k; c++)
        snprintf(d.class_names[c], NN_CLASS_NAME_LEN, "c%d", c);
    return d;
}

static double value(const nn_dataset *d, size_t i, size_t j)
{
    return d->u8 ? d->u8[i * d->dim + j] : d->f32[i * d->dim + j];
}

START_TEST(test_free_is_safe)
{
    nn_dataset d = { 0 };
    nn_dataset_free(&d);
    nn_dataset_free(&d);
    nn_dataset_free(NULL);
    d = make(3, 2, 2, 1, 2);
    nn_dataset_free(&d);
    ck_assert_ptr_null(d.u8);
    ck_assert_ptr_null(d.labels);
    ck_assert_ptr_null(d.class_names);
    ck_assert_uint_eq(d.n, 0);
    nn_dataset_free(&d); /* twice is fine: free zeroes the struct */
}
END_TEST

START_TEST(test_set_class_names)
{
    nn_dataset d = make(4, 2, 2, 1, 3);
    nn_error err = { 0 };
    const char *names[] = { "cat", "dog", "bird" };
    ck_assert_int_eq(nn_dataset_set_class_names(&d, names, 3, &err), NN_OK);
    ck_assert_str_eq(d.class_names[0], "cat");
    ck_assert_str_eq(d.class_names[2], "bird");

    const char *two[] = { "x", "y" };
    ck_assert_int_eq(nn_dataset_set_class_names(&d, two, 2, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "2 class names given but the data have 3 classes"), "%s",
                  err.msg);
    ck_assert_str_eq(d.class_names[0], "cat"); /* unchanged on error */

    char longname[NN_CLASS_NAME_LEN + 1];
    memset(longname, 'a', NN_CLASS_NAME_LEN);
    longname[NN_CLASS_NAME_LEN] = '\0';
    const char *bad[] = { "x", longname, "z" };
    ck_assert_int_eq(nn_dataset_set_class_names(&d, bad, 3, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "class name 1 is too long"), "%s", err.msg);
    const char *empty[] = { "x", "y", "" };
    ck_assert_int_eq(nn_dataset_set_class_names(&d, empty, 3, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "class name 2 is empty"), "%s", err.msg);
    ck_assert_str_eq(d.class_names[1], "dog");
    nn_dataset_free(&d);
}
END_TEST

/* Transposing h x w images: pixel (r, c) moves to (c, r) of a w x h image,
 * for bytes and floats, square and not; twice is the identity. */
static void check_transpose(int h, int w, int as_bytes)
{
    nn_dataset d = make(3, h, w, as_bytes, 2);
    nn_dataset ref = make(3, h, w, as_bytes, 2);
    nn_dataset_transpose(&d);
    ck_assert_int_eq(d.h, w);
    ck_assert_int_eq(d.w, h);
    for (size_t i = 0; i < d.n; i++)
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
                ck_assert_msg(value(&d, i, (size_t)c * h + r) == value(&ref, i, (size_t)r * w + c),
                              "%dx%d %s: sample %zu pixel (%d,%d)", h, w, as_bytes ? "u8" : "f32",
                              i, r, c);
    nn_dataset_transpose(&d);
    ck_assert_int_eq(d.h, h);
    size_t bytes = d.n * d.dim * (as_bytes ? 1 : sizeof(float));
    ck_assert_int_eq(memcmp(as_bytes ? (void *)d.u8 : (void *)d.f32,
                            as_bytes ? (void *)ref.u8 : (void *)ref.f32, bytes),
                     0);
    nn_dataset_free(&d);
    nn_dataset_free(&ref);
}

START_TEST(test_transpose)
{
    const int shapes[][2] = { { 1, 1 },  { 2, 2 },   { 3, 3 },  { 28, 28 }, { 2, 3 },
                              { 3, 2 },  { 1, 5 },   { 5, 1 },  { 4, 7 },   { 7, 4 },
                              { 6, 10 }, { 28, 32 }, { 13, 17 } };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        check_transpose(shapes[s][0], shapes[s][1], 1);
        check_transpose(shapes[s][0], shapes[s][1], 0);
    }
}
END_TEST

START_TEST(test_gather_bytes)
{
    nn_dataset d = make(6, 4, 4, 1, 3);
    d.u8[0] = 0;
    d.u8[1] = 255;
    const size_t idx[] = { 0, 5, 2, 5 };
    float x[4 * 16];
    int32_t y[4];
    nn_dataset_gather(&d, idx, 4, 0, x, y);
    ck_assert_float_eq(x[0], 0.0f);
    ck_assert_float_eq(x[1], 1.0f);
    for (size_t b = 0; b < 4; b++) {
        ck_assert_int_eq(y[b], d.labels[idx[b]]);
        for (size_t j = 0; j < 16; j++)
            ck_assert_float_eq(x[b * 16 + j], (float)d.u8[idx[b] * 16 + j] * (1.0f / 255.0f));
    }
    nn_dataset_gather(&d, idx, 4, 1, x, NULL); /* invert, no labels wanted */
    ck_assert_float_eq(x[0], 1.0f);
    ck_assert_float_eq(x[1], 0.0f);
    for (size_t b = 0; b < 4; b++)
        for (size_t j = 0; j < 16; j++)
            ck_assert_float_eq(x[b * 16 + j],
                               1.0f - (float)d.u8[idx[b] * 16 + j] * (1.0f / 255.0f));
    nn_dataset_free(&d);
}
END_TEST

START_TEST(test_gather_floats)
{
    nn_dataset d = make(5, 3, 3, 0, 2);
    d.f32[4 * 9 + 1] = -0.25f;
    const size_t idx[] = { 4, 0 };
    float x[2 * 9];
    int32_t y[2];
    nn_dataset_gather(&d, idx, 2, 0, x, y);
    ck_assert_int_eq(y[0], 0);
    ck_assert_float_eq(x[1], -0.25f);
    for (size_t j = 0; j < 9; j++) {
        ck_assert_float_eq(x[j], d.f32[4 * 9 + j]);
        ck_assert_float_eq(x[9 + j], d.f32[j]);
    }
    nn_dataset_gather(&d, idx, 2, 1, x, y);
    ck_assert_float_eq(x[1], 1.25f);
    for (size_t j = 0; j < 9; j++)
        ck_assert_float_eq(x[9 + j], 1.0f - d.f32[j]);
    nn_dataset_free(&d);
}
END_TEST

/* Which samples of all went where: f32 sample i starts with i * 1000. */
static void sample_ids(const nn_dataset *part, int *seen)
{
    for (size_t i = 0; i < part->n; i++) {
        size_t id = (size_t)(part->f32[i * part->dim] / 1000.0f);
        seen[id]++;
        ck_assert_int_eq(part->labels[i], (int32_t)(id % 7));
        if (i > 0) /* original order kept */
            ck_assert(part->f32[i * part->dim] > part->f32[(i - 1) * part->dim]);
    }
}

START_TEST(test_split)
{
    nn_dataset all = make(100, 2, 3, 0, 7), tr, va;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_dataset_split(&tr, &va, &all, 0.2, 42, &err), NN_OK);
    ck_assert_uint_eq(va.n, 20);
    ck_assert_uint_eq(tr.n, 80);
    ck_assert_int_eq(tr.h, 2);
    ck_assert_int_eq(va.w, 3);
    ck_assert_uint_eq(va.dim, 6);
    ck_assert_int_eq(va.num_classes, 7);
    ck_assert_str_eq(va.class_names[6], "c6");
    ck_assert_str_eq(tr.class_names[0], "c0");
    ck_assert_ptr_ne(tr.class_names, all.class_names); /* copies, not shared */
    int seen[100] = { 0 };
    sample_ids(&tr, seen);
    sample_ids(&va, seen);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    /* Pixels come along with their sample. */
    for (size_t j = 0; j < 6; j++)
        ck_assert_float_eq(va.f32[j] - (float)j, floorf(va.f32[0] / 1000) * 1000);

    /* Same seed, same split; another seed, another split. */
    nn_dataset tr2, va2;
    ck_assert_int_eq(nn_dataset_split(&tr2, &va2, &all, 0.2, 42, &err), NN_OK);
    ck_assert_int_eq(memcmp(va.f32, va2.f32, va.n * va.dim * sizeof(float)), 0);
    nn_dataset_free(&tr2);
    nn_dataset_free(&va2);
    ck_assert_int_eq(nn_dataset_split(&tr2, &va2, &all, 0.2, 43, &err), NN_OK);
    ck_assert_int_ne(memcmp(va.f32, va2.f32, va.n * va.dim * sizeof(float)), 0);
    nn_dataset_free(&tr2);
    nn_dataset_free(&va2);
    /* all is untouched. */
    ck_assert_float_eq(all.f32[99 * 6], 99000.0f);
    nn_dataset_free(&tr);
    nn_dataset_free(&va);
    nn_dataset_free(&all);
}
END_TEST

START_TEST(test_split_bytes_and_rounding)
{
    nn_dataset all = make(10, 2, 2, 1, 2), tr, va;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_dataset_split(&tr, &va, &all, 0.25, 1, &err), NN_OK);
    ck_assert_uint_eq(va.n, 3); /* round(2.5) = 3 */
    ck_assert_uint_eq(tr.n, 7);
    ck_assert_ptr_nonnull(va.u8);
    ck_assert_ptr_null(va.f32);
    /* Each validation sample's bytes equal some sample of all. */
    for (size_t i = 0; i < va.n; i++) {
        int found = 0;
        for (size_t s = 0; s < all.n; s++)
            found |= memcmp(va.u8 + i * 4, all.u8 + s * 4, 4) == 0 && va.labels[i] == all.labels[s];
        ck_assert(found);
    }
    nn_dataset_free(&tr);
    nn_dataset_free(&va);
    nn_dataset_free(&all);
}
END_TEST

START_TEST(test_split_is_uniform)
{
    /* Over many seeds every sample lands in validation about equally often. */
    enum { n = 10, seeds = 20000 };
    nn_dataset all = make(n, 1, 1, 0, 1), tr, va;
    nn_error err = { 0 };
    int hits[n] = { 0 };
    for (uint64_t seed = 0; seed < seeds; seed++) {
        ck_assert_int_eq(nn_dataset_split(&tr, &va, &all, 0.3, seed, &err), NN_OK);
        for (size_t i = 0; i < va.n; i++)
            hits[(int)(va.f32[i] / 1000)]++;
        nn_dataset_free(&tr);
        nn_dataset_free(&va);
    }
    for (int i = 0; i < n; i++) /* expected 6000, sd ~65 */
        ck_assert_msg(abs(hits[i] - seeds * 3 / 10) < 400, "sample %d: %d", i, hits[i]);
    nn_dataset_free(&all);
}
END_TEST

START_TEST(test_split_errors)
{
    nn_dataset all = make(10, 2, 2, 1, 2), tr, va;
    nn_error err = { 0 };
    const double bad[] = { 0.0, 1.0, -0.1, 1.5, NAN };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(nn_dataset_split(&tr, &va, &all, bad[i], 1, &err), NN_E_CONFIG);
        ck_assert_msg(strstr(err.msg, "must be between 0 and 1"), "%s", err.msg);
        ck_assert_ptr_null(tr.u8);
        ck_assert_ptr_null(va.u8);
    }
    ck_assert_int_eq(nn_dataset_split(&tr, &va, &all, 0.01, 1, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "leaves the validation set empty"), "%s", err.msg);
    ck_assert_int_eq(nn_dataset_split(&tr, &va, &all, 0.99, 1, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "leaves the training set empty"), "%s", err.msg);
    nn_dataset_free(&all);
}
END_TEST

/* A class-sorted set (like nist26_valid.mat): counts[c] samples of class c,
 * class 0 first. Pixel j of the sample at file position i holds i * 1000 + j
 * (f32) or (i * 31 + j) mod 256 (u8). */
static nn_dataset make_sorted(const size_t *counts, int k, int as_bytes)
{
    size_t n = 0;
    for (int c = 0; c < k; c++)
        n += counts[c];
    nn_dataset d = make(n, 2, 2, as_bytes, k);
    size_t i = 0;
    for (int c = 0; c < k; c++)
        for (size_t r = 0; r < counts[c]; r++)
            d.labels[i++] = c;
    return d;
}

/* Apply limit to a fresh class-sorted set; ids[] receives the file positions
 * kept (read back from the pixels), after checking that they are in file
 * order, carry their own labels and pixels, and that each class c keeps
 * floor or ceil of limit * counts[c] / n. The same set with u8 pixels must
 * keep the same samples (the subset depends on labels and order only). */
static void limit_and_check(const size_t *counts, int k, size_t limit, uint64_t seed, size_t *ids)
{
    nn_dataset d = make_sorted(counts, k, 0), b = make_sorted(counts, k, 1);
    const size_t n = d.n;
    int32_t *label_of = malloc(n * sizeof *label_of);
    ck_assert_ptr_nonnull(label_of);
    memcpy(label_of, d.labels, n * sizeof *label_of);
    nn_error err = { 0 };
    ck_assert_int_eq(nn_dataset_limit(&d, limit, seed, &err), NN_OK);
    ck_assert_int_eq(nn_dataset_limit(&b, limit, seed, &err), NN_OK);
    ck_assert_uint_eq(d.n, limit);
    ck_assert_uint_eq(b.n, limit);
    size_t kept[64] = { 0 };
    ck_assert_int_le(k, 64);
    for (size_t i = 0; i < d.n; i++) {
        const size_t id = (size_t)(d.f32[i * 4] / 1000);
        for (size_t j = 0; j < 4; j++) {
            ck_assert_float_eq(d.f32[i * 4 + j], (float)(id * 1000 + j));
            ck_assert_int_eq(b.u8[i * 4 + j], (uint8_t)((id * 31 + j) % 256));
        }
        if (i > 0)
            ck_assert_uint_gt(id, ids[i - 1]); /* file order, no repeats */
        ck_assert_int_eq(d.labels[i], label_of[id]);
        ck_assert_int_eq(b.labels[i], label_of[id]);
        ids[i] = id;
        kept[d.labels[i]]++;
    }
    for (int c = 0; c < k; c++) {
        double share = (double)limit * (double)counts[c] / (double)n;
        ck_assert_msg(fabs((double)kept[c] - share) < 1.0,
                      "limit %zu, class %d: %zu kept, share %g", limit, c, kept[c], share);
        if (share >= 1.0)
            ck_assert_uint_ge(kept[c], 1);
    }
    free(label_of);
    nn_dataset_free(&d);
    nn_dataset_free(&b);
}

START_TEST(test_limit_stratified)
{
    /* Unequal classes, sorted; 400 samples. */
    const size_t counts[5] = { 100, 50, 37, 13, 200 };
    const size_t limits[] = { 1, 5, 17, 31, 40, 123, 200, 399 };
    size_t a[400], b[400];
    for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
        limit_and_check(counts, 5, limits[l], 11, a);
        limit_and_check(counts, 5, limits[l], 11, b);
        ck_assert_int_eq(memcmp(a, b, limits[l] * sizeof *a),
                         0);  /* the same seed, the same subset */
        if (limits[l] >= 5) { /* another seed, another subset */
            limit_and_check(counts, 5, limits[l], 12, b);
            ck_assert_int_ne(memcmp(a, b, limits[l] * sizeof *a), 0);
        }
    }
    /* Not the first N: with 31 of 400, every class is in, the last too. */
    limit_and_check(counts, 5, 31, 11, a);
    ck_assert_uint_ge(a[30], 200);
}
END_TEST

START_TEST(test_limit_balanced_sorted)
{
    /* 26 classes of 40, sorted (nist26_valid.mat's shape): 52 keeps exactly
     * 2 of each; 30 keeps 1 of each and 2 of four classes, which four
     * depending on the seed. */
    size_t counts[26], ids[1040];
    for (int c = 0; c < 26; c++)
        counts[c] = 40;
    limit_and_check(counts, 26, 52, 5, ids);
    for (size_t i = 0; i < 52; i++)
        ck_assert_uint_eq(ids[i] / 40, i / 2);
    int doubled[26] = { 0 };
    for (uint64_t seed = 0; seed < 40; seed++) {
        limit_and_check(counts, 26, 30, seed, ids);
        for (size_t i = 1; i < 30; i++)
            if (ids[i] / 40 == ids[i - 1] / 40)
                doubled[ids[i] / 40]++;
    }
    int classes_doubled = 0;
    for (int c = 0; c < 26; c++)
        classes_doubled += doubled[c] > 0;
    ck_assert_int_ge(classes_doubled, 20); /* 160 draws of 4 among 26: all but unlucky ones */
}
END_TEST

START_TEST(test_limit_no_change)
{
    const size_t counts[3] = { 4, 4, 2 };
    nn_error err = { 0 };
    for (size_t limit = 0; limit < 13; limit += 10) { /* 0 and >= n: all */
        nn_dataset d = make_sorted(counts, 3, 0);
        ck_assert_int_eq(nn_dataset_limit(&d, limit, 1, &err), NN_OK);
        ck_assert_uint_eq(d.n, 10);
        for (size_t i = 0; i < 10; i++)
            ck_assert_float_eq(d.f32[i * 4], (float)(i * 1000));
        nn_dataset_free(&d);
    }
    /* Every sample is kept equally often over seeds (uniform within a class). */
    enum { seeds = 4000 };
    int hits[10] = { 0 };
    for (uint64_t seed = 0; seed < seeds; seed++) {
        nn_dataset d = make_sorted(counts, 3, 0);
        ck_assert_int_eq(nn_dataset_limit(&d, 5, seed, &err), NN_OK);
        for (size_t i = 0; i < d.n; i++)
            hits[(int)(d.f32[i * 4] / 1000)]++;
        nn_dataset_free(&d);
    }
    /* class quotas 2, 2, 1: each sample kept with probability 1/2 */
    for (int i = 0; i < 10; i++)
        ck_assert_msg(abs(hits[i] - seeds / 2) < 250, "sample %d kept %d times", i, hits[i]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("data_dataset");
    TCase *t = tcase_create("dataset");
    tcase_add_test(t, test_free_is_safe);
    tcase_add_test(t, test_set_class_names);
    tcase_add_test(t, test_transpose);
    tcase_add_test(t, test_gather_bytes);
    tcase_add_test(t, test_gather_floats);
    tcase_add_test(t, test_split);
    tcase_add_test(t, test_split_bytes_and_rounding);
    tcase_add_test(t, test_split_is_uniform);
    tcase_add_test(t, test_split_errors);
    tcase_add_test(t, test_limit_stratified);
    tcase_add_test(t, test_limit_balanced_sorted);
    tcase_add_test(t, test_limit_no_change);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return nn_test_run_suite(suite()); }
