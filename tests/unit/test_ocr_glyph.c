/* The glyph preprocessing shared by data set preparation and the OCR:
 * placement, margin, aspect ratio, stroke normalisation, specks, polarity. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "nn/ocr.h"
#include "ocrfixture.h"
#include "testutil.h"

static nn_glyph_params params(void)
{
    nn_glyph_params p;
    nn_glyph_params_default(&p);
    return p;
}

/* Ink bounding box and mass of a glyph [32 x 32]. */
static void ink_box(const uint8_t *g, int side, int *x0, int *y0, int *x1, int *y1, long *mass)
{
    *x0 = *y0 = side;
    *x1 = *y1 = -1;
    *mass = 0;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int v = g[y * side + x];
            *mass += v;
            if (v < 64)
                continue;
            *x0 = x < *x0 ? x : *x0;
            *y0 = y < *y0 ? y : *y0;
            *x1 = x > *x1 ? x : *x1;
            *y1 = y > *y1 ? y : *y1;
        }
}

static PIX *rect_mask(int w, int h, int rx, int ry, int rw, int rh)
{
    PIX *m = pixCreate(w, h, 1);
    pixRasterop(m, rx, ry, rw, rh, PIX_SET, NULL, 0, 0);
    return m;
}

START_TEST(test_tall_bar_centred_with_margin)
{
    nn_glyph_params p = params();
    p.stroke = 0;                                  /* keep the shape: a filled bar */
    PIX *m = rect_mask(300, 300, 40, 20, 30, 120); /* 30 x 120, off centre */
    uint8_t g[1024];
    nn_error err = { 0 };
    ck_assert_msg(nn_glyph_from_mask(m, &p, g, &err) == NN_OK, "%s", err.msg);
    int x0, y0, x1, y1;
    long mass;
    ink_box(g, 32, &x0, &y0, &x1, &y1, &mass);
    ck_assert_int_eq(y0, 2); /* the long side fills the square inside the margin */
    ck_assert_int_eq(y1, 29);
    ck_assert(x1 - x0 + 1 >= 6 && x1 - x0 + 1 <= 9); /* 28 * 30 / 120 = 7: aspect kept */
    ck_assert_int_le(abs((x0 + x1) - 31), 1);        /* centred */
    for (int i = 0; i < 32; i++)                     /* the margin is empty */
        ck_assert(g[i] == 0 && g[31 * 32 + i] == 0 && g[i * 32] == 0 && g[i * 32 + 31] == 0);
    pixDestroy(&m);
}
END_TEST

/* A ring of the given stroke width drawn into a mask. */
static PIX *ring(int side, int width)
{
    PIX *m = pixCreate(side, side, 1);
    double c = side / 2.0, r = side * 0.4;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            double d = sqrt((x - c) * (x - c) + (y - c) * (y - c));
            if (d <= r && d >= r - width)
                pixSetPixel(m, x, y, 1);
        }
    return m;
}

START_TEST(test_stroke_width_normalised)
{
    nn_glyph_params p = params();
    uint8_t thin[1024], thick[1024];
    nn_error err = { 0 };
    PIX *a = ring(200, 6), *b = ring(200, 30);
    ck_assert_int_eq(nn_glyph_from_mask(a, &p, thin, &err), NN_OK);
    ck_assert_int_eq(nn_glyph_from_mask(b, &p, thick, &err), NN_OK);
    int x0, y0, x1, y1;
    long m_thin, m_thick;
    ink_box(thin, 32, &x0, &y0, &x1, &y1, &m_thin);
    ink_box(thick, 32, &x0, &y0, &x1, &y1, &m_thick);
    /* kept as written the thick ring would have ~4x the ink; redrawn, both
     * have the same stroke */
    ck_assert_msg(fabs((double)m_thick / m_thin - 1) < 0.2, "ink %ld vs %ld", m_thin, m_thick);
    p.stroke = 0;
    ck_assert_int_eq(nn_glyph_from_mask(a, &p, thin, &err), NN_OK);
    ck_assert_int_eq(nn_glyph_from_mask(b, &p, thick, &err), NN_OK);
    ink_box(thin, 32, &x0, &y0, &x1, &y1, &m_thin);
    ink_box(thick, 32, &x0, &y0, &x1, &y1, &m_thick);
    ck_assert_msg((double)m_thick / m_thin > 2.5, "kept: ink %ld vs %ld", m_thin, m_thick);
    pixDestroy(&a);
    pixDestroy(&b);
}
END_TEST

START_TEST(test_specks_and_empty)
{
    nn_glyph_params p = params();
    uint8_t clean[1024], dirty[1024];
    nn_error err = { 0 };
    PIX *g = fx_glyph('K', 80, 0, 2);
    PIX *m = pixAddBorder(g, 40, 0);
    ck_assert_int_eq(nn_glyph_from_mask(m, &p, clean, &err), NN_OK);
    pixSetPixel(m, 2, 2, 1); /* dirt far from the letter */
    pixSetPixel(m, 3, 2, 1);
    ck_assert_int_eq(nn_glyph_from_mask(m, &p, dirty, &err), NN_OK);
    ck_assert_mem_eq(clean, dirty, sizeof clean);
    PIX *none = pixCreate(20, 20, 1);
    ck_assert_int_eq(nn_glyph_from_mask(none, &p, clean, &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "no ink"), "%s", err.msg);
    PIX *grey = pixCreate(20, 20, 8);
    ck_assert_int_eq(nn_glyph_from_mask(grey, &p, clean, &err), NN_E_STATE);
    p.margin = 20;
    ck_assert_int_eq(nn_glyph_from_mask(m, &p, clean, &err), NN_E_CONFIG);
    pixDestroy(&g);
    pixDestroy(&m);
    pixDestroy(&none);
    pixDestroy(&grey);
}
END_TEST

START_TEST(test_ink_then_draw_is_the_whole)
{
    nn_glyph_params p = params();
    PIX *g = fx_glyph('R', 400, 5, 6); /* large: reduced by nn_glyph_ink */
    uint8_t whole[1024], parts[1024];
    nn_error err = { 0 };
    ck_assert_int_eq(nn_glyph_from_mask(g, &p, whole, &err), NN_OK);
    PIX *ink = NULL;
    ck_assert_int_eq(nn_glyph_ink(g, &p, &ink, &err), NN_OK);
    ck_assert_int_le(pixGetHeight(ink), 2 * 28 * 4);
    ck_assert_int_eq(nn_glyph_draw(ink, &p, parts, &err), NN_OK);
    ck_assert_mem_eq(whole, parts, sizeof whole);
    pixDestroy(&g);
    pixDestroy(&ink);
}
END_TEST

START_TEST(test_polarity)
{
    /* The same sample as dark ink on light paper and as light on dark
     * gives the same glyph, whichever way ink is found. */
    PIX *dark = fx_sample('G', 64, 0, 7), *light = fx_sample('G', 64, 1, 7);
    PIX *md = NULL, *ml = NULL, *mf = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_glyph_mask_from_gray(dark, NN_INK_AUTO, &md, &err), NN_OK);
    ck_assert_int_eq(nn_glyph_mask_from_gray(light, NN_INK_AUTO, &ml, &err), NN_OK);
    ck_assert_int_eq(nn_glyph_mask_from_gray(light, NN_INK_LIGHT, &mf, &err), NN_OK);
    nn_glyph_params p = params();
    uint8_t a[1024], b[1024], c[1024];
    ck_assert_int_eq(nn_glyph_from_mask(md, &p, a, &err), NN_OK);
    ck_assert_int_eq(nn_glyph_from_mask(ml, &p, b, &err), NN_OK);
    ck_assert_int_eq(nn_glyph_from_mask(mf, &p, c, &err), NN_OK);
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_mem_eq(a, c, sizeof a);
    /* told the wrong polarity, the paper becomes the ink */
    PIX *wrong = NULL;
    ck_assert_int_eq(nn_glyph_mask_from_gray(dark, NN_INK_LIGHT, &wrong, &err), NN_E_FORMAT);
    PIX *flat = pixCreate(30, 30, 8);
    pixSetAll(flat);
    ck_assert_int_eq(nn_glyph_mask_from_gray(flat, NN_INK_AUTO, &wrong, &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "no ink"), "%s", err.msg);
    pixDestroy(&dark);
    pixDestroy(&light);
    pixDestroy(&md);
    pixDestroy(&ml);
    pixDestroy(&mf);
    pixDestroy(&flat);
}
END_TEST

int main(void)
{
    nn_lept_quiet();
    Suite *s = suite_create("ocr_glyph");
    TCase *tc = tcase_create("glyph");
    tcase_add_test(tc, test_tall_bar_centred_with_margin);
    tcase_add_test(tc, test_stroke_width_normalised);
    tcase_add_test(tc, test_specks_and_empty);
    tcase_add_test(tc, test_ink_then_draw_is_the_whole);
    tcase_add_test(tc, test_polarity);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
