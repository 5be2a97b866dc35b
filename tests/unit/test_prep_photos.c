/* `nntrain prep` with a photos source: small colour JPEGs written here with
 * Leptonica and a splits .mat file written with matio, then the .h5 file
 * read back (shapes, labels, colours, orientation, channel statistics);
 * greyscale, truncated and corrupt images, bad split files and config
 * mistakes refused with a message that names the file. */
#include <check.h>
#include <leptonica/allheaders.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <matio.h>

#include <jpeglib.h> /* after stdio.h: it uses FILE */

#include "nn/dataset.h"
#include "testutil.h"

enum { N_IMAGES = 6, CLASS_SIZE = 2, SIZE = 12, PATH_LEN = 1024 };

/* Class k's colour. */
static const int colour[3][3] = { { 220, 30, 30 }, { 30, 200, 40 }, { 40, 50, 210 } };

/* Image n (1-based) of class (n - 1) / 2: a solid class colour, except
 * image 2, white above and black below (to see that rows stay rows).
 * Sizes alternate landscape and portrait. */
static PIX *photo(int n)
{
    const int w = n % 2 ? 64 : 40, h = n % 2 ? 40 : 64;
    const int *rgb = colour[(n - 1) / CLASS_SIZE];
    PIX *p = pixCreate(w, h, 32);
    ck_assert_ptr_nonnull(p);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            l_uint32 v;
            if (n == 2)
                composeRGBPixel(y < h / 2 ? 255 : 0, y < h / 2 ? 255 : 0, y < h / 2 ? 255 : 0, &v);
            else
                composeRGBPixel(rgb[0], rgb[1], rgb[2], &v);
            pixSetPixel(p, x, y, v);
        }
    return p;
}

static void put_vector(mat_t *m, const char *name, const double *v, size_t n)
{
    size_t dims[2] = { 1, n };
    matvar_t *var =
        Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, (void *)v, MAT_F_DONT_COPY_DATA);
    ck_assert_ptr_nonnull(var);
    ck_assert_int_eq(Mat_VarWrite(m, var, MAT_COMPRESSION_NONE), 0);
    Mat_VarFree(var);
}

/* splits.mat with split 1 (trn 1 3 5 2, val 4, tst 6) and split 2 (trn 2
 * 4 6, val 1, tst 3 5); `extra` (0: none) is appended to trn1. */
static const char *write_splits(char *path, const char *name, double extra)
{
    snprintf(path, PATH_LEN, "%s", nn_test_path(name));
    mat_t *m = Mat_CreateVer(path, NULL, MAT_FT_MAT5);
    ck_assert_ptr_nonnull(m);
    const double trn1[5] = { 1, 3, 5, 2, extra }, val1[1] = { 4 }, tst1[1] = { 6 };
    const double trn2[3] = { 2, 4, 6 }, val2[1] = { 1 }, tst2[2] = { 3, 5 };
    put_vector(m, "trn1", trn1, extra != 0 ? 5 : 4);
    put_vector(m, "val1", val1, 1);
    put_vector(m, "tst1", tst1, 1);
    put_vector(m, "trn2", trn2, 3);
    put_vector(m, "val2", val2, 1);
    put_vector(m, "tst2", tst2, 2);
    Mat_Close(m);
    return path;
}

/* Folder `name` with the six photos as JPEGs; image `grey` (0: none)
 * written as 8-bit grey. */
static const char *write_folder(char *dir, const char *name, int grey)
{
    snprintf(dir, PATH_LEN, "%s", nn_test_path(name));
    mkdir(dir, 0755);
    for (int n = 1; n <= N_IMAGES; n++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/image_%04d.jpg", dir, n);
        PIX *p = photo(n);
        PIX *out = n == grey ? pixConvertRGBToLuminance(p) : pixClone(p);
        ck_assert_int_eq(pixWrite(path, out, IFF_JFIF_JPEG), 0);
        pixDestroy(&out);
        pixDestroy(&p);
    }
    return dir;
}

/* Replace image n of folder by a CMYK JPEG (Adobe's inverted CMYK, as
 * print workflows write; libjpeg, since Leptonica writes RGB or grey). */
static void write_cmyk(const char *folder, int n)
{
    enum { SIDE = 16 };
    char path[1100];
    snprintf(path, sizeof path, "%s/image_%04d.jpg", folder, n);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = SIDE;
    c.image_height = SIDE;
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, JCS_CMYK);
    jpeg_start_compress(&c, TRUE);
    JSAMPLE row[SIDE * 4];
    for (int y = 0; y < SIDE; y++) {
        for (int x = 0; x < SIDE * 4; x++)
            row[x] = (JSAMPLE)(x * 7 + y * 11);
        JSAMPROW rows[1] = { row };
        jpeg_write_scanlines(&c, rows, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

static const char *image_path(const char *folder, int n)
{
    static char path[1100];
    snprintf(path, sizeof path, "%s/image_%04d.jpg", folder, n);
    return path;
}

/* Write a prep config for folder and splits (plus lines for [output] and
 * for the source) and run it. */
static int prep2(const char *folder, const char *splits, const char *output, const char *source,
                 const char *out, nn_error *err)
{
    char text[4096];
    snprintf(text, sizeof text,
             "[output]\nfile = %s\nsize = %d\n%s\n"
             "[photos]\ntype = photos\npath = %s\nsplits = %s\nclass_size = %d\n"
             "classes = red, green, blue\n%s\n",
             out, SIZE, output ? output : "resize = 16", folder, splits, CLASS_SIZE,
             source ? source : "");
    char ini[PATH_LEN];
    snprintf(ini, sizeof ini, "%s", nn_test_path("photos.ini"));
    ck_assert_int_eq(nn_test_write_file(ini, text, strlen(text)), 0);
    FILE *log = fopen(nn_test_path("prep.log"), "w");
    ck_assert_ptr_nonnull(log);
    int rc = nn_prep_main(ini, NULL, 0, log, err);
    fclose(log);
    return rc;
}

static int prep(const char *folder, const char *splits, const char *out, nn_error *err)
{
    return prep2(folder, splits, NULL, NULL, out, err);
}

/* Mean of channel ch of sample i over its square. */
static double channel_mean(const nn_dataset *d, size_t i, int ch)
{
    const size_t plane = (size_t)d->h * d->w;
    double s = 0;
    for (size_t j = 0; j < plane; j++)
        s += d->u8[i * d->dim + ch * plane + j];
    return s / (double)plane;
}

START_TEST(photos_become_rgb_squares_with_labels_and_statistics)
{
    char folder_buf[PATH_LEN];
    const char *folder = write_folder(folder_buf, "photos", 0);
    char splits_buf[PATH_LEN];
    const char *splits = write_splits(splits_buf, "splits.mat", 0);
    char out_buf[PATH_LEN];
    const char *out = strcpy(out_buf, nn_test_path("out/photos.h5"));
    nn_error err = { 0 };
    ck_assert_msg(prep(folder, splits, out, &err) == NN_OK, "%s", err.msg);
    nn_dataset d = { 0 };
    ck_assert_msg(nn_h5data_load(&d, out, "train", &err) == NN_OK, "%s", err.msg);
    ck_assert_uint_eq(d.n, 4);
    ck_assert(d.c == 3 && d.h == SIZE && d.w == SIZE);
    ck_assert_int_eq(d.num_classes, 3);
    ck_assert_str_eq(d.class_names[2], "blue");
    const int want[4] = { 0, 1, 2, 0 }; /* images 1, 3, 5, 2 */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(d.labels[i], want[i]);
    for (int i = 0; i < 3; i++) /* solid colours survive JPEG and scaling */
        for (int ch = 0; ch < 3; ch++)
            ck_assert_double_eq_tol(channel_mean(&d, (size_t)i, ch), colour[want[i]][ch], 8.0);
    /* image 2: white above, black below; the crop keeps the middle rows */
    const uint8_t *red = d.u8 + 3 * d.dim;
    ck_assert_int_gt(red[0], 200);
    ck_assert_int_lt(red[(SIZE - 1) * SIZE + SIZE - 1], 50);
    double mean[3], std[3], want_mean[3], want_std[3];
    ck_assert_msg(nn_h5data_read_channel_stats(out, 3, mean, std, &err) == NN_OK, "%s", err.msg);
    nn_dataset_channel_stats(&d, want_mean, want_std);
    for (int ch = 0; ch < 3; ch++) {
        ck_assert_double_eq_tol(mean[ch], want_mean[ch], 1e-12);
        ck_assert_double_eq_tol(std[ch], want_std[ch], 1e-12);
    }
    nn_dataset_free(&d);
    ck_assert_int_eq(nn_h5data_load(&d, out, "valid", &err), NN_OK);
    ck_assert(d.n == 1 && d.labels[0] == 1);
    nn_dataset_free(&d);
    ck_assert_int_eq(nn_h5data_load(&d, out, "test", &err), NN_OK);
    ck_assert(d.n == 1 && d.labels[0] == 2);
    nn_dataset_free(&d);
    const char *names[4] = { "size", "resize", "split_index", "class_size" };
    double v[4];
    ck_assert_msg(nn_h5data_read_params(out, names, v, 4, &err) == NN_OK, "%s", err.msg);
    ck_assert(v[0] == SIZE && v[1] == SIZE + 4 && v[2] == 1 && v[3] == CLASS_SIZE);

    /* split 2 */
    char out2_buf[PATH_LEN];
    const char *out2 = strcpy(out2_buf, nn_test_path("out/photos2.h5"));
    char text[2048];
    snprintf(text, sizeof text,
             "[output]\nfile = %s\nsize = %d\n[p]\ntype = photos\npath = %s\nsplits = %s\n"
             "split_index = 2\nclass_size = 2\n",
             out2, SIZE, folder, splits);
    ck_assert_int_eq(nn_test_write_file(nn_test_path("two.ini"), text, strlen(text)), 0);
    FILE *log = fopen(nn_test_path("prep2.log"), "w");
    ck_assert_msg(nn_prep_main(nn_test_path("two.ini"), NULL, 0, log, &err) == NN_OK, "%s",
                  err.msg);
    fclose(log);
    ck_assert_int_eq(nn_h5data_load(&d, out2, "test", &err), NN_OK);
    ck_assert(d.n == 2 && d.labels[0] == 1 && d.labels[1] == 2);
    ck_assert_str_eq(d.class_names[0], "0"); /* no names given: label numbers */
    nn_dataset_free(&d);
}
END_TEST

/* err holds a message naming path and saying what. */
static void refused(int rc, const nn_error *err, const char *path, const char *what)
{
    ck_assert_msg(rc != NN_OK, "accepted; expected: %s", what);
    ck_assert_msg(strstr(err->msg, path) != NULL, "'%s' does not name %s", err->msg, path);
    ck_assert_msg(strstr(err->msg, what) != NULL, "'%s' does not say '%s'", err->msg, what);
}

START_TEST(bad_images_are_refused_naming_the_file)
{
    char splits_buf[PATH_LEN];
    const char *splits = write_splits(splits_buf, "splits.mat", 0);
    char out_buf[PATH_LEN];
    const char *out = strcpy(out_buf, nn_test_path("bad/out.h5"));
    nn_error err = { 0 };
    /* greyscale */
    char grey_buf[PATH_LEN];
    const char *grey = write_folder(grey_buf, "grey", 3);
    refused(prep(grey, splits, out, &err), &err, image_path(grey, 3),
            "1-channel (greyscale) image, expected 3-channel RGB");
    /* CMYK */
    char cmyk_buf[PATH_LEN];
    const char *cmyk = write_folder(cmyk_buf, "cmyk", 0);
    write_cmyk(cmyk, 2);
    refused(prep(cmyk, splits, out, &err), &err, image_path(cmyk, 2), "CMYK");
    /* truncated: the second half of image 5 cut off */
    char cut_buf[PATH_LEN];
    const char *cut = write_folder(cut_buf, "cut", 0);
    char p5[PATH_LEN];
    strcpy(p5, image_path(cut, 5));
    FILE *f = fopen(p5, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_int_eq(nn_test_write_file(p5, buf, n / 2), 0);
    refused(prep(cut, splits, out, &err), &err, p5, "truncated JPEG");
    /* damaged in the middle, end marker intact */
    char bent_buf[PATH_LEN];
    const char *bent = write_folder(bent_buf, "bent", 0);
    char p1[PATH_LEN];
    strcpy(p1, image_path(bent, 1));
    f = fopen(p1, "rb");
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t i = n / 2; i < n / 2 + 64 && i + 2 < n; i++)
        buf[i] = (unsigned char)(i * 37);
    ck_assert_int_eq(nn_test_write_file(p1, buf, n), 0);
    refused(prep(bent, splits, out, &err), &err, p1, "corrupt");
    /* not an image at all, and a missing one */
    char junk_buf[PATH_LEN];
    const char *junk = write_folder(junk_buf, "junk", 0);
    ck_assert_int_eq(nn_test_write_file(image_path(junk, 4), "hello, world", 12), 0);
    refused(prep(junk, splits, out, &err), &err, image_path(junk, 4), "not a JPEG or PNG file");
    remove(image_path(junk, 4));
    refused(prep(junk, splits, out, &err), &err, image_path(junk, 4), "No such file or directory");
    struct stat st;
    ck_assert_int_ne(stat(out, &st), 0); /* nothing written */
}
END_TEST

START_TEST(bad_splits_are_refused_naming_the_file)
{
    char folder_buf[PATH_LEN];
    const char *folder = write_folder(folder_buf, "photos", 0);
    char out_buf[PATH_LEN];
    const char *out = strcpy(out_buf, nn_test_path("bad/out.h5"));
    nn_error err = { 0 };
    char splits_buf[PATH_LEN];
    const char *splits = write_splits(splits_buf, "splits.mat", 0);
    refused(prep2(folder, splits, NULL, "split_index = 3", out, &err), &err, splits,
            "split_index = 3: ");
    ck_assert_ptr_nonnull(strstr(err.msg, "no variable trn3; variables: trn1, val1, tst1, trn2"));
    char range_buf[PATH_LEN];
    const char *range = write_splits(range_buf, "range.mat", 7);
    refused(prep(folder, range, out, &err), &err, range,
            "trn1 entry 5 is image 7, out of range: [photos] has 3 classes of 2 images (1..6)");
    char dup_buf[PATH_LEN];
    const char *dup = write_splits(dup_buf, "dup.mat", 6);
    refused(prep(folder, dup, out, &err), &err, dup, "image 6 is in trn1 and in tst1");
    char frac_buf[PATH_LEN];
    const char *frac = write_splits(frac_buf, "frac.mat", 2.5);
    refused(prep(folder, frac, out, &err), &err, frac, "trn1 entry 5 is 2.5, not an image number");
    char ini_buf[PATH_LEN];
    const char *ini = strcpy(ini_buf, nn_test_path("photos.ini"));
    refused(prep(folder, nn_test_path("none.mat"), out, &err), &err, ini, "splits = ");
    struct stat st;
    ck_assert_int_ne(stat(out, &st), 0); /* nothing written */
}
END_TEST

START_TEST(config_mistakes)
{
    char folder_buf[PATH_LEN];
    const char *folder = write_folder(folder_buf, "photos", 0);
    char splits_buf[PATH_LEN];
    const char *splits = write_splits(splits_buf, "splits.mat", 0);
    char out_buf[PATH_LEN];
    const char *out = strcpy(out_buf, nn_test_path("cfg/out.h5"));
    char ini_buf[PATH_LEN];
    const char *ini = strcpy(ini_buf, nn_test_path("photos.ini"));
    nn_error err = { 0 };
    static const struct {
        const char *output, *source, *says;
    } cases[] = {
        { "resize = 8", NULL, "resize = 8 is smaller than size = 12" },
        { "per_class = 10", NULL, "[output] per_class does not apply to a photos source" },
        { NULL, "pattern = img_%s.jpg", "needs exactly one integer conversion" },
        { NULL, "pattern = img_%d_%d.jpg", "needs exactly one integer conversion" },
        { NULL, "ink = dark", "[photos] ink is for idx, mat or folder sources" },
        { NULL, "split_index = 0", "split_index = 0: out of range" },
        { NULL, "[more]\ntype = folder\npath = .", "must be the only source" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = prep2(folder, splits, cases[i].output, cases[i].source, out, &err);
        ck_assert_int_eq(rc, NN_E_CONFIG);
        refused(rc, &err, ini, cases[i].says);
    }
    /* resize on a glyph source */
    char text[512];
    snprintf(text, sizeof text, "[output]\nfile = %s\nresize = 40\n[g]\ntype = folder\npath = %s\n",
             out, folder);
    ck_assert_int_eq(nn_test_write_file(ini, text, strlen(text)), 0);
    refused(nn_prep_main(ini, NULL, 0, stdout, &err), &err, ini,
            "[output] resize is for photos sources");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prep_photos");
    TCase *tc = tcase_create("prep_photos");
    tcase_add_test(tc, photos_become_rgb_squares_with_labels_and_statistics);
    tcase_add_test(tc, bad_images_are_refused_naming_the_file);
    tcase_add_test(tc, bad_splits_are_refused_naming_the_file);
    tcase_add_test(tc, config_mistakes);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
