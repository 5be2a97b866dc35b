/* `nntrain prep` on tiny fixtures the test writes: a folder source (PNG
 * letters by six writers, written with Leptonica) and an IDX source
 * (digits, light ink on dark). Checks the class merge and order, the split
 * by writer, the balance, the HDF5 layout, that the trainer reads the file,
 * that stored glyphs are exactly the OCR's preprocessing of the images,
 * and config errors with their file:line. */
#include <check.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/dataset.h"
#include "nn/ocr.h"
#include "data/prep/prep_internal.h"
#include "ocrfixture.h"
#include "testutil.h"
#include "nn/trainer.h"

#define WRITERS    6
#define PER_WRITER 2

static const char letters[] = "ABC";

static void write_letters(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", nn_test_path("letters"));
    mkdir(path, 0777);
    for (const char *c = letters; *c; c++) {
        snprintf(path, sizeof path, "%s/%c", nn_test_path("letters"), *c);
        mkdir(path, 0777);
        for (int w = 1; w <= WRITERS; w++)
            for (int k = 1; k <= PER_WRITER; k++) {
                PIX *s = fx_sample(*c, 48, 0, (uint64_t)(*c * 100 + w * 10 + k));
                snprintf(path, sizeof path, "%s/%c/w%02d-%d.png", nn_test_path("letters"), *c, w,
                         k);
                ck_assert_int_eq(pixWrite(path, s, IFF_PNG), 0);
                pixDestroy(&s);
            }
    }
    /* not an image: ignored */
    ck_assert_int_eq(nn_test_write_file(nn_test_path("letters/A/notes.txt"), "x", 1), 0);
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* 20 digits, 0 and 1 alternating, 28 x 28, light ink on black (MNIST). */
static void write_idx(void)
{
    enum { N = 20, S = 28 };
    static uint8_t img[16 + N * S * S], lab[8 + N];
    be32(img, 0x803), be32(img + 4, N), be32(img + 8, S), be32(img + 12, S);
    be32(lab, 0x801), be32(lab + 4, N);
    for (int i = 0; i < N; i++) {
        PIX *s = fx_sample(i % 2 ? '1' : '0', S, 1, 500 + (uint64_t)i);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                l_uint32 v;
                pixGetPixel(s, x, y, &v);
                img[16 + i * S * S + y * S + x] = (uint8_t)v;
            }
        lab[8 + i] = (uint8_t)(i % 2);
        pixDestroy(&s);
    }
    ck_assert_int_eq(nn_test_write_file(nn_test_path("digits-images"), img, sizeof img), 0);
    ck_assert_int_eq(nn_test_write_file(nn_test_path("digits-labels"), lab, sizeof lab), 0);
}

static const char *config(const char *out, const char *extra)
{
    static char text[8192];
    snprintf(text, sizeof text,
             "[output]\n"
             "file = %s\n"
             "per_class = 12\n"
             "eval_per_class = 3\n"
             "valid_fraction = 0.25\n"
             "test_fraction = 0.25\n"
             "seed = 3\n"
             "[letters]\n"
             "type = folder\n"
             "path = %s\n"
             "writer = w([0-9]+)-\n"
             "[digits]\n"
             "type = idx\n"
             "images = %s\n"
             "labels = %s\n"
             "ink = light\n%s",
             out, nn_test_path("letters"), nn_test_path("digits-images"),
             nn_test_path("digits-labels"), extra);
    return text;
}

static void setup(void)
{
    nn_lept_quiet();
    write_letters();
    write_idx();
}

static void run_prep(const char *ini, const char *out, const char *extra)
{
    const char *text = config(out, extra);
    ck_assert_int_eq(nn_test_write_file(ini, text, strlen(text)), 0);
    nn_error err = { 0 };
    FILE *log = fopen(nn_test_path("prep.log"), "w");
    int rc = nn_prep_main(ini, NULL, 0, log, &err);
    fclose(log);
    ck_assert_msg(rc == NN_OK, "%s", err.msg);
}

START_TEST(test_classes_balance_layout)
{
    char out[4096];
    snprintf(out, sizeof out, "%s", nn_test_path("p.h5"));
    run_prep(nn_test_path("p.ini"), out, "");
    nn_dataset tr, va;
    nn_error err = { 0 };
    ck_assert_msg(nn_h5data_load(&tr, out, "train", &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(tr.num_classes, 5); /* letters first, then digits (NIST36's order) */
    const char *want[] = { "A", "B", "C", "0", "1" };
    for (int k = 0; k < 5; k++)
        ck_assert_str_eq(tr.class_names[k], want[k]);
    ck_assert(tr.c == 1 && tr.h == 32 && tr.w == 32);
    int count[5] = { 0 };
    for (size_t i = 0; i < tr.n; i++)
        count[tr.labels[i]]++;
    for (int k = 0; k < 5; k++)
        ck_assert_msg(count[k] == 12, "class %s: %d training samples", want[k], count[k]);
    ck_assert_int_eq(nn_h5data_load(&va, out, "valid", &err), NN_OK);
    int vcount[5] = { 0 };
    for (size_t i = 0; i < va.n; i++)
        vcount[va.labels[i]]++;
    for (int k = 0; k < 5; k++)
        ck_assert_int_le(vcount[k], 3);
    nn_dataset_free(&tr);
    nn_dataset_free(&va);

    /* the layout other tools see */
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    ck_assert(H5Lexists(f, "/sources", H5P_DEFAULT) > 0);
    ck_assert(H5Lexists(f, "/train/source", H5P_DEFAULT) > 0);
    ck_assert(H5Aexists(f, "config") > 0);
    hid_t g = H5Gopen2(f, "/preprocess", H5P_DEFAULT);
    ck_assert(g >= 0 && H5Aexists(g, "stroke") > 0 && H5Aexists(g, "size") > 0);
    H5Gclose(g);
    H5Fclose(f);

    /* the trainer reads it like any other data file */
    nn_data_config dc = { .format = NN_FORMAT_AUTO };
    nn_dataset t;
    ck_assert_msg(nn_trainer_load_file(&dc, out, NULL, "test", &t, &err) == NN_OK, "%s", err.msg);
    ck_assert_uint_gt(t.n, 0);
    ck_assert_str_eq(t.class_names[3], "0");
    nn_dataset_free(&t);
}
END_TEST

START_TEST(test_writers_stay_together)
{
    const char *text = config(nn_test_path("w.h5"), "");
    prep_config *cfg = calloc(1, sizeof *cfg);
    prep_data *d = calloc(1, sizeof *d);
    nn_error err = { 0 };
    ck_assert_msg(prep_config_parse(cfg, "w.ini", text, NULL, 0, &err) == NN_OK, "%s", err.msg);
    ck_assert_msg(prep_sources_load(cfg, d, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(d->n_items, 3 * WRITERS * PER_WRITER + 20);
    prep_assign_splits(cfg, d);
    int split_of[WRITERS + 1], used[3] = { 0 };
    for (int w = 0; w <= WRITERS; w++)
        split_of[w] = -1;
    for (int i = 0; i < d->n_items; i++) {
        const prep_item *it = &d->items[i];
        if (it->source != 0)
            continue;
        int w = atoi(prep_item_writer(d, it));
        ck_assert(w >= 1 && w <= WRITERS);
        if (split_of[w] < 0)
            split_of[w] = it->split;
        ck_assert_msg(split_of[w] == it->split, "writer %d is in two splits", w);
        used[it->split] = 1;
    }
    ck_assert_msg(used[0], "no writer in the training split");
    prep_data_free(d);
    prep_config_free(cfg);
    free(d);
    free(cfg);
}
END_TEST

START_TEST(test_glyphs_are_the_ocr_preprocessing)
{
    /* Every letter in the validation split (never distorted) is exactly the
     * glyph the OCR makes of one of the letter images. */
    char out[4096]; /* (nn_test_path's buffers rotate) */
    snprintf(out, sizeof out, "%s", nn_test_path("same.h5"));
    run_prep(nn_test_path("same.ini"), out, "");
    nn_glyph_params gp;
    nn_glyph_params_default(&gp);
    static uint8_t ocr[3 * WRITERS * PER_WRITER][1024];
    int n = 0;
    nn_error err = { 0 };
    for (const char *c = letters; *c; c++)
        for (int w = 1; w <= WRITERS; w++)
            for (int k = 1; k <= PER_WRITER; k++) {
                char path[4096];
                snprintf(path, sizeof path, "%s/%c/w%02d-%d.png", nn_test_path("letters"), *c, w,
                         k);
                PIX *g = NULL, *m = NULL;
                ck_assert_int_eq(nn_ocr_read_gray(path, &g, &err), NN_OK);
                ck_assert_int_eq(nn_glyph_mask_from_gray(g, NN_INK_AUTO, &m, &err), NN_OK);
                ck_assert_int_eq(nn_glyph_from_mask(m, &gp, ocr[n++], &err), NN_OK);
                pixDestroy(&g);
                pixDestroy(&m);
            }
    int letters_seen = 0;
    for (int s = 1; s <= 2; s++) { /* valid and test: never distorted */
        nn_dataset va;
        ck_assert_msg(nn_h5data_load(&va, out, nn_h5data_split_name(s), &err) == NN_OK, "%s",
                      err.msg);
        for (size_t i = 0; i < va.n; i++) {
            if (va.labels[i] >= 3)
                continue;
            int match = 0;
            for (int j = 0; j < n && !match; j++)
                match = memcmp(va.u8 + i * 1024, ocr[j], 1024) == 0;
            ck_assert_msg(match, "%s glyph %zu matches no OCR glyph", nn_h5data_split_name(s), i);
            letters_seen++;
        }
        nn_dataset_free(&va);
    }
    ck_assert_int_gt(letters_seen, 0);
}
END_TEST

START_TEST(test_same_config_same_file)
{
    run_prep(nn_test_path("a.ini"), nn_test_path("a.h5"), "");
    run_prep(nn_test_path("b.ini"), nn_test_path("b.h5"), "");
    nn_dataset a, b;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_h5data_load(&a, nn_test_path("a.h5"), "train", &err), NN_OK);
    ck_assert_int_eq(nn_h5data_load(&b, nn_test_path("b.h5"), "train", &err), NN_OK);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert_mem_eq(a.u8, b.u8, a.n * a.dim);
    ck_assert_mem_eq(a.labels, b.labels, a.n * sizeof *a.labels);
    nn_dataset_free(&a);
    nn_dataset_free(&b);
}
END_TEST

typedef struct {
    const char *extra; /* appended to the good config */
    const char *want;  /* expected message (after the path) */
} bad_case;

START_TEST(test_config_errors)
{
    const bad_case cases[] = {
        { "bogus = 1\n",
          "bad.ini:17: unknown key 'bogus' in [digits] (docs/ocr.md lists the keys)" },
        { "per_class = 5\n",
          "bad.ini:17: unknown key 'per_class' in [digits]: it is a key of [output]" },
        { "[x]\npath = /tmp\n",
          "bad.ini:17: source [x] has no 'type =' (idx, mat, folder or photos)" },
        { "[x]\ntype = folder\n", "bad.ini:17: source [x] (type folder) needs 'path ='" },
        { "[x]\ntype = folder\npath = /nonexistent/folder\n",
          "bad.ini:19: [x] path = /nonexistent/folder: No such file or directory" },
        { "[x]\ntype = disk\n", "bad.ini:18: [x] type = disk: must be idx, mat, folder or photos" },
        { "[x]\ntype = folder\npath = /tmp\nwriter = w(\n", "bad.ini:20: [x] writer = w(:" },
        { "[x]\ntype = folder\npath = /tmp\nwriter = w\n",
          "bad.ini:20: [x] writer = w: needs a group '(...)' that captures the writer" },
        /* found by tests/fuzz/fuzz_prep_config: regcomp takes minutes on stacked repeats */
        { "[x]\ntype = folder\npath = /tmp\nwriter = yw++++++++++++++++++++++++++([0-9]+)-\n",
          "bad.ini:20: [x] writer = yw++++++++++++++++++++++++++([0-9]+)-: too many repeats" },
        { "[x]\ntype = idx\npath = /tmp\n", "bad.ini:17: source [x] (type idx) needs 'images ='" },
        { "[digits]\n", "bad.ini:17: duplicate section [digits], first at line 12" },
        { "split = sideways\n",
          "bad.ini:17: [digits] split = sideways: must be auto, train, valid or test" },
        { "[x]\ntype = idx\nimages = ${NNT_UNSET_VAR_X}/a\n",
          "bad.ini:19: [x] images: NNT_UNSET_VAR_X is not set" },
        { "[x]\ntype = folder\npath = /tmp\nink = pale\n",
          "bad.ini:20: [x] ink = pale: must be auto, dark or light" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *text = config(nn_test_path("bad.h5"), cases[i].extra);
        ck_assert_int_eq(nn_test_write_file(nn_test_path("bad.ini"), text, strlen(text)), 0);
        nn_error err = { 0 };
        int rc = nn_prep_main(nn_test_path("bad.ini"), NULL, 0, stdout, &err);
        ck_assert_msg(rc == NN_E_CONFIG, "case %zu: code %d (%s)", i, rc, err.msg);
        ck_assert_msg(strstr(err.msg, cases[i].want), "case %zu: got '%s'\nwant '%s'", i, err.msg,
                      cases[i].want);
    }
    /* [output] problems */
    const char *no_output = "[x]\ntype = idx\nimages = a\n";
    ck_assert_int_eq(nn_test_write_file(nn_test_path("o.ini"), no_output, strlen(no_output)), 0);
    nn_error err = { 0 };
    ck_assert_int_eq(nn_prep_main(nn_test_path("o.ini"), NULL, 0, stdout, &err), NN_E_CONFIG);
    const char *fractions = "[output]\nfile = x.h5\nvalid_fraction = 0.5\ntest_fraction = 0.5\n"
                            "[x]\ntype = folder\npath = /tmp\n";
    ck_assert_int_eq(nn_test_write_file(nn_test_path("f.ini"), fractions, strlen(fractions)), 0);
    ck_assert_int_eq(nn_prep_main(nn_test_path("f.ini"), NULL, 0, stdout, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "f.ini:4: valid_fraction + test_fraction = 1 leaves nothing"),
                  "%s", err.msg);
    /* a writer pattern that does not fit the file names */
    const char *text = config(nn_test_path("bad.h5"), "");
    char *mismatch = strdup(text);
    char *w = strstr(mismatch, "w([0-9]+)-");
    memcpy(w, "z([0-9]+)-", 10);
    ck_assert_int_eq(nn_test_write_file(nn_test_path("m.ini"), mismatch, strlen(mismatch)), 0);
    free(mismatch);
    ck_assert_int_eq(nn_prep_main(nn_test_path("m.ini"), NULL, 0, stdout, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "[letters] writer = z([0-9]+)- does not match"), "%s", err.msg);
    /* an override */
    const char *ov[] = { "output.per_class=-3" };
    ck_assert_int_eq(nn_test_write_file(nn_test_path("ok.ini"), text, strlen(text)), 0);
    ck_assert_int_eq(nn_prep_main(nn_test_path("ok.ini"), ov, 1, stdout, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg,
                         "--set output.per_class=-3: [output] per_class = -3: out of range: "
                         "must be in [0, 10000000]"),
                  "%s", err.msg);
}
END_TEST

/* The prep config is read by the same INI engine as the training config:
 * a UTF-8 byte order mark, "key =; note" (a comment, so no value), did-you-mean
 * for keys, values and --set sections, and required keys. */
static int parse_prep(const char *text, const char *const *ov, int n, nn_error *err)
{
    prep_config *cfg = calloc(1, sizeof *cfg);
    ck_assert_ptr_nonnull(cfg);
    int rc = prep_config_parse(cfg, "e.ini", text, ov, n, err);
    if (rc == NN_OK) {
        ck_assert_int_eq(cfg->n_src, 2);
        ck_assert_int_eq(cfg->per_class, 12);
        ck_assert_str_eq(cfg->src[1].name, "digits");
    }
    prep_config_free(cfg);
    free(cfg);
    return rc;
}

static void expect_prep_error(const char *text, const char *const *ov, int n, const char *want)
{
    nn_error err = { 0 };
    ck_assert_int_eq(parse_prep(text, ov, n, &err), NN_E_CONFIG);
    ck_assert_msg(strcmp(err.msg, want) == 0, "got  '%s'\nwant '%s'", err.msg, want);
}

START_TEST(test_config_engine)
{
    char text[9000];
    nn_error err = { 0 };
    /* a byte order mark before [output] */
    snprintf(text, sizeof text, "\xEF\xBB\xBF%s", config("x.h5", ""));
    ck_assert_msg(parse_prep(text, NULL, 0, &err) == NN_OK, "%s", err.msg);
    /* a value that starts with ';' is a comment (line 17: the first extra line) */
    expect_prep_error(config("x.h5", "split =; test\n"), NULL, 0,
                      "e.ini:17: [digits] split has no value");
    expect_prep_error(config("x.h5", "transpose = ;yes\n"), NULL, 0,
                      "e.ini:17: [digits] transpose has no value");
    /* did you mean */
    expect_prep_error(config("x.h5", "labes = x\n"), NULL, 0,
                      "e.ini:17: unknown key 'labes' in [digits] (did you mean 'labels'?)");
    expect_prep_error(
        config("x.h5", "[x]\ntype = foldr\n"), NULL, 0,
        "e.ini:18: [x] type = foldr: must be idx, mat, folder or photos (did you mean 'folder'?)");
    const char *ov[] = { "outptu.seed=4" };
    expect_prep_error(config("x.h5", ""), ov, 1,
                      "--set outptu.seed=4: no section [outptu] in e.ini; "
                      "--set can change sources, not add them (did you mean 'output'?)");
    const char *ov2[] = { "output.per_clas=4" };
    expect_prep_error(config("x.h5", ""), ov2, 1,
                      "--set output.per_clas=4: unknown key 'per_clas' in [output] "
                      "(did you mean 'per_class'?)");
    expect_prep_error(config("x.h5", "[Output]\n"), NULL, 0,
                      "e.ini:17: section names are case-sensitive: write [output]");
    /* required keys, from the key table (and marked in the reference) */
    const char *no_file = "[output]\nseed = 2\n[x]\ntype = folder\npath = /tmp\n";
    expect_prep_error(no_file, NULL, 0,
                      "e.ini:1: [output] needs 'file =': the data set file to "
                      "write (`.h5`; folders are created)");
    expect_prep_error(config("x.h5", "[outptu]\n"), NULL, 0,
                      "e.ini:17: source [outptu] has no 'type =' (idx, mat, folder or photos) "
                      "(or did you mean [output]?)");
    const char *ref = prep_config_reference();
    ck_assert_ptr_nonnull(strstr(ref, "| `file` | path | **required** |"));
    ck_assert_ptr_nonnull(
        strstr(ref, "| `type` | `idx`, `mat`, `folder`, `photos` | **required** |"));
    /* --set may give [output] a key the file lacks */
    const char *ov3[] = { "output.seed=9", "digits.ink=dark" };
    ck_assert_msg(parse_prep(config("x.h5", ""), ov3, 2, &err) == NN_OK, "%s", err.msg);
}
END_TEST

/* docs/ocr.md quotes the key reference the parser's table generates. */
START_TEST(test_docs_quote_reference)
{
    char path[4096];
    const char *src = getenv("NN_SOURCE_DIR");
    if (src && *src) {
        snprintf(path, sizeof path, "%s/docs/ocr.md", src);
    } else { /* three folders up from this file */
        snprintf(path, sizeof path, "%s", __FILE__);
        for (int up = 0; up < 3; up++)
            *strrchr(path, '/') = '\0';
        strcat(path, "/docs/ocr.md");
    }
    char *text = NULL;
    nn_error err = { 0 };
    ck_assert_msg(nn_read_text_file(path, &text, &err) == NN_OK, "%s", err.msg);
    const char *ref = nn_prep_reference();
    if (!strstr(text, ref)) {
        const char *fresh = nn_test_path("prep-keys.md");
        nn_test_write_file(fresh, ref, strlen(ref));
        free(text);
        ck_abort_msg("%s does not quote the prep key reference; paste %s into it (it is what "
                     "`nntrain prep --help-config` prints)",
                     path, fresh);
    }
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ocr_prep");
    TCase *tc = tcase_create("prep");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_classes_balance_layout);
    tcase_add_test(tc, test_writers_stay_together);
    tcase_add_test(tc, test_glyphs_are_the_ocr_preprocessing);
    tcase_add_test(tc, test_same_config_same_file);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_config_engine);
    tcase_add_test(tc, test_docs_quote_reference);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
