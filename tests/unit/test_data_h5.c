/* nntrain's HDF5 data set files: round trip through the writer and the
 * reader, the header-only read, the /preprocess parameters, and broken or
 * forged files (each must give a message naming the file, never a crash or
 * a giant allocation), and a flipped byte caught by the checksums. */
#include <check.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/dataset.h"
#include "testh5.h"
#include "testutil.h"

/* n glyphs of h x w, sample i pixel j = (7 i + j) mod 256, label i mod k,
 * classes named "k0", "k1", ... */
static nn_dataset make(size_t n, int h, int w, int k)
{
    nn_dataset d = { .n = n, .c = 1, .h = h, .w = w, .dim = (size_t)h * w, .num_classes = k };
    d.u8 = malloc(n * d.dim);
    d.labels = malloc(n * sizeof *d.labels);
    d.class_names = calloc((size_t)k, NN_CLASS_NAME_LEN);
    ck_assert(d.u8 && d.labels && d.class_names);
    for (size_t i = 0; i < n; i++) {
        d.labels[i] = (int32_t)(i % (size_t)k);
        for (size_t j = 0; j < d.dim; j++)
            d.u8[i * d.dim + j] = (uint8_t)((7 * i + j) % 256);
    }
    for (int c = 0; c < k; c++)
        snprintf(d.class_names[c], NN_CLASS_NAME_LEN, "k%d", c);
    return d;
}

static void write_three(const char *path)
{
    nn_dataset tr = make(50, 4, 3, 5), va = make(7, 4, 3, 5), te = make(9, 4, 3, 5);
    int32_t src[50];
    for (int i = 0; i < 50; i++)
        src[i] = i % 2;
    const char *sources[] = { "alpha", "beta" };
    nn_h5data_param params[] = { { "size", 32 }, { "stroke", 0.1 } };
    nn_h5data_contents c = { .split = { &tr, &va, &te },
                             .source = { src, NULL, NULL },
                             .source_names = sources,
                             .n_sources = 2,
                             .params = params,
                             .n_params = 2,
                             .description = "test set",
                             .config_text = "[x]\n" };
    nn_error err = { 0 };
    ck_assert_msg(nn_h5data_save(path, &c, &err) == NN_OK, "%s", err.msg);
    nn_dataset_free(&tr);
    nn_dataset_free(&va);
    nn_dataset_free(&te);
}

START_TEST(test_round_trip)
{
    const char *path = nn_test_path("three.h5");
    write_three(path);
    nn_error err = { 0 };
    nn_dataset d;
    ck_assert_msg(nn_h5data_load(&d, path, "valid", &err) == NN_OK, "%s", err.msg);
    nn_dataset ref = make(7, 4, 3, 5);
    ck_assert_uint_eq(d.n, 7);
    ck_assert_int_eq(d.c, 1);
    ck_assert_int_eq(d.h, 4);
    ck_assert_int_eq(d.w, 3);
    ck_assert_uint_eq(d.dim, 12);
    ck_assert_int_eq(d.num_classes, 5);
    ck_assert_str_eq(d.class_names[4], "k4");
    ck_assert_ptr_null(d.f32);
    ck_assert_mem_eq(d.u8, ref.u8, 7 * 12);
    ck_assert_mem_eq(d.labels, ref.labels, 7 * sizeof(int32_t));
    nn_dataset_free(&d);
    nn_dataset_free(&ref);

    ck_assert_msg(nn_h5data_load_header(&d, path, "train", &err) == NN_OK, "%s", err.msg);
    ck_assert_uint_eq(d.n, 50);
    ck_assert_ptr_null(d.u8);
    ck_assert_ptr_null(d.labels);
    ck_assert_str_eq(d.class_names[0], "k0");
    nn_dataset_free(&d);

    const char *names[] = { "stroke", "size" };
    double v[2] = { 0 };
    ck_assert_msg(nn_h5data_read_params(path, names, v, 2, &err) == NN_OK, "%s", err.msg);
    ck_assert(v[0] == 0.1 && v[1] == 32);
    const char *missing[] = { "margin" };
    ck_assert_int_eq(nn_h5data_read_params(path, missing, v, 1, &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "missing attribute margin of /preprocess"), "%s", err.msg);
}
END_TEST

START_TEST(test_layout_for_other_tools)
{
    /* What h5py/MATLAB users see: the documented names, types and shapes. */
    const char *path = nn_test_path("layout.h5");
    write_three(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    hid_t d = H5Dopen2(f, "/train/images", H5P_DEFAULT);
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    hsize_t dims[4];
    ck_assert_int_eq(H5Sget_simple_extent_ndims(s), 3);
    H5Sget_simple_extent_dims(s, dims, NULL);
    ck_assert(dims[0] == 50 && dims[1] == 4 && dims[2] == 3);
    ck_assert(H5Tequal(t, H5T_STD_U8LE) > 0);
    H5Tclose(t), H5Sclose(s), H5Dclose(d);
    d = H5Dopen2(f, "/train/labels", H5P_DEFAULT);
    t = H5Dget_type(d);
    ck_assert(H5Tequal(t, H5T_STD_I32LE) > 0);
    H5Tclose(t), H5Dclose(d);
    d = H5Dopen2(f, "/train/source", H5P_DEFAULT);
    ck_assert(d >= 0);
    H5Dclose(d);
    ck_assert(H5Lexists(f, "/valid/source", H5P_DEFAULT) == 0);
    ck_assert(H5Lexists(f, "/sources", H5P_DEFAULT) > 0);
    ck_assert(H5Lexists(f, "/classes", H5P_DEFAULT) > 0);
    ck_assert(H5Aexists(f, "config") > 0 && H5Aexists(f, "description") > 0);
    H5Fclose(f);
}
END_TEST

START_TEST(test_missing_split_and_bad_split)
{
    const char *path = nn_test_path("trainonly.h5");
    nn_dataset tr = make(5, 2, 2, 2), empty = { 0 };
    nn_h5data_contents c = { .split = { &tr, &empty, NULL } };
    nn_error err = { 0 };
    ck_assert_msg(nn_h5data_save(path, &c, &err) == NN_OK, "%s", err.msg);
    nn_dataset d;
    ck_assert_int_eq(nn_h5data_load(&d, path, "test", &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "no 'test' split in this data set (it has: train)"), "%s",
                  err.msg);
    ck_assert_int_eq(nn_h5data_load(&d, path, "bogus", &err), NN_E_CONFIG);
    ck_assert_int_eq(nn_h5data_read_params(path, NULL, NULL, 0, &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "no /preprocess group"), "%s", err.msg);

    nn_h5data_contents none = { .split = { &empty, NULL, NULL } };
    ck_assert_int_eq(nn_h5data_save(nn_test_path("none.h5"), &none, &err), NN_E_STATE);
    tr.labels[2] = 9;
    ck_assert_int_eq(nn_h5data_save(nn_test_path("bad.h5"), &c, &err), NN_E_STATE);
    nn_dataset_free(&tr);
}
END_TEST

START_TEST(test_flipped_byte)
{
    const char *path = nn_test_path("flipped.h5");
    static const struct {
        const char *dset, *split, *msg;
    } cases[] = { { "/train/images", "train",
                    "dataset /train/images: checksum mismatch (the file is damaged)" },
                  { "/valid/labels", "valid",
                    "dataset /valid/labels: checksum mismatch (the file is damaged)" } };
    for (int i = 0; i < 2; i++) {
        write_three(path);
        nn_test_flip_chunk_byte(path, cases[i].dset, 5);
        nn_dataset d;
        nn_error err = { 0 };
        ck_assert_int_eq(nn_h5data_load(&d, path, cases[i].split, &err), NN_E_FORMAT);
        ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, cases[i].msg), "message: %s",
                      err.msg);
    }
}
END_TEST

START_TEST(test_not_a_data_set)
{
    nn_error err = { 0 };
    nn_dataset d;
    ck_assert_int_eq(nn_h5data_load(&d, nn_test_path("nonexistent.h5"), "train", &err), NN_E_IO);
    ck_assert_msg(strstr(err.msg, "nonexistent.h5"), "%s", err.msg);
    const char *txt = nn_test_path("text.h5");
    ck_assert_int_eq(nn_test_write_file(txt, "hello", 5), 0);
    ck_assert_int_eq(nn_h5data_load(&d, txt, "train", &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "not an HDF5 file"), "%s", err.msg);

    /* a truncated copy of a good file */
    const char *good = nn_test_path("good.h5"), *cut = nn_test_path("cut.h5");
    write_three(good);
    FILE *f = fopen(good, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_int_eq(nn_test_write_file(cut, buf, n / 2), 0);
    ck_assert_int_ne(nn_h5data_load(&d, cut, "train", &err), NN_OK);
    ck_assert_msg(strstr(err.msg, "cut.h5"), "%s", err.msg);
    ck_assert_ptr_null(d.u8);

    /* another nntrain HDF5 file (wrong format attribute) */
    hid_t h = H5Fcreate(nn_test_path("other.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(h);
    ck_assert_int_eq(nn_h5data_load(&d, nn_test_path("other.h5"), "train", &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "no 'format' attribute"), "%s", err.msg);
}
END_TEST

/* A file of the right format whose /train was built by hand. */
static hid_t forged_file(const char *path, const char *cls)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t str = H5Tcopy(H5T_C_S1); /* fixed-length, as nntrain writes them */
    H5Tset_size(str, 32);
    H5Tset_strpad(str, H5T_STR_NULLTERM);
    H5Tset_cset(str, H5T_CSET_UTF8);
    hid_t sc = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "format", str, sc, H5P_DEFAULT, H5P_DEFAULT);
    char v[32] = NN_H5DATA_FORMAT;
    H5Awrite(a, str, v);
    H5Aclose(a);
    int one = 1;
    a = H5Acreate2(f, "format_version", H5T_STD_I32LE, sc, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &one);
    H5Aclose(a);
    hsize_t k = 1;
    hid_t ks = H5Screate_simple(1, &k, NULL);
    hid_t d = H5Dcreate2(f, "classes", str, ks, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    char name[32] = "";
    snprintf(name, sizeof name, "%s", cls);
    H5Dwrite(d, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, name);
    H5Dclose(d), H5Sclose(ks), H5Sclose(sc), H5Tclose(str);
    H5Gclose(H5Gcreate2(f, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    return f;
}

static void put(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims,
                const void *buf, int chunked)
{
    hid_t s = H5Screate_simple(rank, dims, NULL), p = H5Pcreate(H5P_DATASET_CREATE);
    if (chunked) {
        hsize_t ch[4] = { 1, 1, 1, 1 };
        H5Pset_chunk(p, rank, ch);
    }
    hid_t d = H5Dcreate2(f, name, type, s, H5P_DEFAULT, p, H5P_DEFAULT);
    if (buf)
        H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d), H5Pclose(p), H5Sclose(s);
}

START_TEST(test_forged_files)
{
    nn_error err = { 0 };
    nn_dataset d;
    uint8_t px[8] = { 0 };
    int32_t lab[2] = { 0, 3 };
    hsize_t id[3] = { 2, 2, 2 }, ld[1] = { 2 };

    const char *p1 = nn_test_path("label_range.h5");
    hid_t f = forged_file(p1, "only");
    put(f, "train/images", H5T_NATIVE_UINT8, 3, id, px, 0);
    put(f, "train/labels", H5T_NATIVE_INT32, 1, ld, lab, 0);
    H5Fclose(f);
    ck_assert_int_eq(nn_h5data_load(&d, p1, "train", &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "/train/labels[1] = 3 is not a class (0 to 0)"), "%s", err.msg);

    const char *p2 = nn_test_path("float_images.h5");
    f = forged_file(p2, "only");
    float fx[8] = { 0 };
    put(f, "train/images", H5T_NATIVE_FLOAT, 3, id, fx, 0);
    put(f, "train/labels", H5T_NATIVE_INT32, 1, ld, lab, 0);
    H5Fclose(f);
    ck_assert_int_eq(nn_h5data_load(&d, p2, "train", &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "/train/images must be unsigned integers"), "%s", err.msg);

    /* 2^30 glyphs of 64 x 64 announced, nothing stored: refused before allocation */
    const char *p3 = nn_test_path("huge.h5");
    f = forged_file(p3, "only");
    hsize_t big[3] = { 1u << 30, 64, 64 }, bl[1] = { 1u << 30 };
    put(f, "train/images", H5T_NATIVE_UINT8, 3, big, NULL, 1);
    put(f, "train/labels", H5T_NATIVE_INT32, 1, bl, NULL, 1);
    H5Fclose(f);
    ck_assert_int_eq(nn_h5data_load(&d, p3, "train", &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "damaged or incomplete"), "%s", err.msg);
    ck_assert_int_eq(nn_h5data_load_header(&d, p3, "train", &err), NN_OK); /* shape only */
    ck_assert_uint_eq(d.n, 1u << 30);
    nn_dataset_free(&d);

    const char *p4 = nn_test_path("count.h5");
    f = forged_file(p4, "only");
    hsize_t l3[1] = { 3 };
    int32_t lab3[3] = { 0 };
    put(f, "train/images", H5T_NATIVE_UINT8, 3, id, px, 0);
    put(f, "train/labels", H5T_NATIVE_INT32, 1, l3, lab3, 0);
    H5Fclose(f);
    ck_assert_int_eq(nn_h5data_load(&d, p4, "train", &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "must be [N] with N = 2"), "%s", err.msg);

    const char *p5 = nn_test_path("emptyname.h5");
    f = forged_file(p5, "");
    H5Fclose(f);
    ck_assert_int_eq(nn_h5data_load(&d, p5, "train", &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "/classes[0] is empty"), "%s", err.msg);
}
END_TEST

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the forging calls may complain */
    Suite *s = suite_create("data_h5");
    TCase *tc = tcase_create("h5data");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_layout_for_other_tools);
    tcase_add_test(tc, test_missing_split_and_bad_split);
    tcase_add_test(tc, test_not_a_data_set);
    tcase_add_test(tc, test_flipped_byte);
    tcase_add_test(tc, test_forged_files);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
