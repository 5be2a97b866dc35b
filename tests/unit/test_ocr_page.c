/* Page segmentation on synthetic pages the test draws itself (known glyphs
 * on a noisy, unevenly lit page at known positions: several lines, one of
 * them slanted, varied letter and word gaps), the layout rules on hand-made
 * boxes, reading images (EXIF orientation), and bad inputs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ocr.h"
#include "ocrfixture.h"
#include "testutil.h"

static void read_ok(const char *path, PIX **g)
{
    nn_error err = { 0 };
    ck_assert_msg(nn_ocr_read_gray(path, g, &err) == NN_OK, "%s", err.msg);
}

/* Every expected glyph comes back, in reading order, with its box (to
 * within tol pixels), its line and its space. */
static void check_page(const fx_page *want, const nn_ocr_page *got, int tol)
{
    ck_assert_int_eq(got->n_lines, want->n_lines);
    ck_assert_int_eq(got->n_chars, want->n_chars);
    for (int i = 0; i < want->n_chars; i++) {
        const fx_char *w = &want->chars[i];
        const nn_ocr_char *g = &got->chars[i];
        ck_assert_msg(abs(g->x - w->x) <= tol && abs(g->y - w->y) <= tol &&
                          abs(g->x + g->w - w->x - w->w) <= tol &&
                          abs(g->y + g->h - w->y - w->h) <= tol,
                      "char %d '%c': box %d,%d %dx%d, expected %d,%d %dx%d", i, w->c, g->x, g->y,
                      g->w, g->h, w->x, w->y, w->w, w->h);
        ck_assert_msg(g->line == w->line, "char %d '%c': line %d, expected %d", i, w->c, g->line,
                      w->line);
        ck_assert_msg(g->space_before == w->space_before, "char %d '%c': space %d, expected %d", i,
                      w->c, g->space_before, w->space_before);
        ck_assert_int_eq(pixGetWidth(g->mask), g->w);
        ck_assert_int_eq(pixGetHeight(g->mask), g->h);
    }
}

START_TEST(test_page_boxes_lines_spaces)
{
    const fx_line lines[] = {
        { "HELLO WORLD", 60, 50, 0.0, 0.25, 1.2, 0 },
        { "OCR TEST 42", 90, 200, 0.05, 0.35, 1.5, 0 }, /* slanted: 30 px over the line */
        { "ABCDEFG", 60, 400, 0.0, 0.6, 0.6, 0 },       /* an alphabet: wide, even gaps */
        { "NO 7 DAYS AT SEA", 60, 540, -0.02, 0.2, 1.0, 0 },
    };
    fx_page want;
    fx_draw_page(&want, 1300, 680, lines, 4, 50, 6.0, 11);
    nn_ocr_page got;
    nn_error err = { 0 };
    ck_assert_msg(nn_ocr_segment(want.pix, &got, &err) == NN_OK, "%s", err.msg);
    check_page(&want, &got, 3);
    ck_assert(got.stroke_px > 2 && got.stroke_px < 12);
    ck_assert(got.char_height > 40 && got.char_height < 60);
    nn_ocr_page_free(&got);
    fx_page_free(&want);
}
END_TEST

START_TEST(test_page_other_scale_and_noise)
{
    /* A smaller page with small glyphs and more noise: the same rules hold
     * (nothing in them is in pixels). */
    const fx_line lines[] = {
        { "TO DO LIST", 30, 20, 0.0, 0.3, 1.3, 0 },
        { "1 MAKE A LIST", 30, 90, 0.0, 0.3, 1.3, 0 },
    };
    fx_page want;
    fx_draw_page(&want, 520, 160, lines, 2, 24, 12.0, 5);
    nn_ocr_page got;
    nn_error err = { 0 };
    ck_assert_msg(nn_ocr_segment(want.pix, &got, &err) == NN_OK, "%s", err.msg);
    check_page(&want, &got, 2);
    nn_ocr_page_free(&got);
    fx_page_free(&want);
}
END_TEST

/* Boxes without masks for the layout rules. */
static nn_ocr_char box(int x, int y, int w, int h)
{
    return (nn_ocr_char){ .x = x, .y = y, .w = w, .h = h };
}

START_TEST(test_layout_rules)
{
    nn_ocr_char c[16];
    int n = 0;
    /* line A: "1" sitting low, a letter broken into two stacked pieces, a
     * period; line B below. Given out of order. */
    c[n++] = box(300, 300, 40, 50); /* B: second */
    c[n++] = box(100, 112, 12, 50); /* A: a low "1" */
    c[n++] = box(200, 100, 40, 22); /* A: upper piece of one letter */
    c[n++] = box(205, 126, 35, 24); /* A: its lower piece */
    c[n++] = box(250, 142, 8, 8);   /* A: a period */
    c[n++] = box(270, 100, 40, 50); /* A */
    c[n++] = box(100, 300, 40, 50); /* B: first */
    c[n++] = box(150, 300, 40, 50); /* B: one word with the first... */
    c[n++] = box(420, 300, 40, 50); /* B: ...a word gap before this */
    c[n++] = box(470, 300, 40, 50);
    int merged = 0, small = 0;
    int lines = nn_ocr_layout(c, &n, 0.35 * 50, &merged, &small);
    ck_assert_int_eq(lines, 2);
    ck_assert_int_eq(merged, 1);
    ck_assert_int_eq(small, 1);
    ck_assert_int_eq(n, 8);
    /* line A: the "1", the merged letter (200..240 x 100..150), the last */
    ck_assert(c[0].line == 0 && c[0].x == 100);
    ck_assert(c[1].line == 0 && c[1].x == 200 && c[1].y == 100 && c[1].w == 40 && c[1].h == 50);
    ck_assert(c[2].line == 0 && c[2].x == 270);
    ck_assert(c[3].line == 1 && c[3].x == 100 && !c[3].space_before);
    ck_assert(c[4].line == 1 && c[4].x == 150 && !c[4].space_before);
    ck_assert(c[5].line == 1 && c[5].x == 300 && c[5].space_before); /* gap 110 vs 10 */
    ck_assert(c[6].line == 1 && c[6].x == 420 && c[6].space_before);
    ck_assert(c[7].line == 1 && c[7].x == 470 && !c[7].space_before);
}
END_TEST

START_TEST(test_layout_even_gaps_make_one_word)
{
    /* Seven letters with gaps from 0.5 to 1.4 heights and no two groups:
     * a written alphabet, one word. */
    nn_ocr_char c[7];
    const int gaps[] = { 25, 40, 60, 30, 70, 45 };
    int x = 0, n = 7;
    for (int i = 0; i < 7; i++) {
        c[i] = box(x, 0, 40, 50);
        x += 40 + (i < 6 ? gaps[i] : 0);
    }
    ck_assert_int_eq(nn_ocr_layout(c, &n, 10, NULL, NULL), 1);
    for (int i = 0; i < 7; i++)
        ck_assert_msg(!c[i].space_before, "space before letter %d", i);
}
END_TEST

START_TEST(test_page_wide_letter_spacing)
{
    /* One tightly written line and three written loosely: letters about 0.9
     * heights apart, each gap varied by up to half of that, words 3 heights
     * apart. Every line keeps its own letter and word gaps (a rule for the
     * whole page makes each loose letter a word of its own). */
    const fx_line lines[] = {
        { "HELLO WORLD", 60, 40, 0.0, 0.25, 1.2, 0.2 },
        { "BUY MILK", 60, 170, 0.0, 0.9, 3.0, 0.5 },
        { "AND EGGS", 60, 300, 0.0, 0.9, 3.0, 0.5 },
        { "TEA NOW", 60, 430, 0.0, 0.9, 3.0, 0.5 },
    };
    for (uint64_t seed = 1; seed <= 6; seed++) {
        fx_page want;
        fx_draw_page(&want, 1500, 540, lines, 4, 50, 6.0, seed);
        nn_ocr_page got;
        nn_error err = { 0 };
        ck_assert_msg(nn_ocr_segment(want.pix, &got, &err) == NN_OK, "%s", err.msg);
        int words = 0;
        for (int i = 0; i < got.n_chars; i++)
            words +=
                i == 0 || got.chars[i].line != got.chars[i - 1].line || got.chars[i].space_before;
        ck_assert_msg(words == 8, "page %d: %d words found, 8 written", (int)seed, words);
        check_page(&want, &got, 3);
        nn_ocr_page_free(&got);
        fx_page_free(&want);
    }
}
END_TEST

START_TEST(test_layout_touching_letters_are_not_a_split)
{
    /* A loosely written word with two touching letters: the touching pair
     * is not a letter group that makes the other gaps word gaps. */
    nn_ocr_char c[6];
    const int gaps[] = { 45, 0, 40, 50, 1 };
    int x = 0, n = 6;
    for (int i = 0; i < 6; i++) {
        c[i] = box(x, 0, 40, 50);
        x += 40 + (i < 5 ? gaps[i] : 0);
    }
    ck_assert_int_eq(nn_ocr_layout(c, &n, 10, NULL, NULL), 1);
    for (int i = 0; i < n; i++)
        ck_assert_msg(!c[i].space_before, "space before letter %d", i);
}
END_TEST

/* ---- reading images -------------------------------------------------------- */

/* A JPEG of a w x h gradient with an EXIF block saying orientation o. */
static void write_exif_jpeg(const char *path, int w, int h, int o)
{
    PIX *p = pixCreate(w, h, 8);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            pixSetPixel(p, x, y, (l_uint32)(x * 255 / w));
    l_uint8 *jpg = NULL;
    size_t n = 0;
    ck_assert_int_eq(pixWriteMemJpeg(&jpg, &n, p, 90, 0), 0);
    pixDestroy(&p);
    /* APP1: "Exif\0\0", little-endian TIFF header, IFD0 with one SHORT entry */
    const uint8_t app1[] = { 0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0,
                             0,    'I',  'I',  42,   0,   8,   0,   0,   0, /* IFD0 at 8 */
                             1,    0,                                       /* one entry */
                             0x12, 0x01, 3,    0,    1,   0,   0,   0,   (uint8_t)o,
                             0,    0,    0,    0,    0,   0,   0 }; /* no next IFD */
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(jpg, 1, 2, f); /* SOI */
    fwrite(app1, 1, sizeof app1, f);
    fwrite(jpg + 2, 1, n - 2, f);
    fclose(f);
    free(jpg);
}

START_TEST(test_exif_orientation)
{
    const char *p6 = nn_test_path("exif6.jpg"), *p1 = nn_test_path("exif1.jpg");
    write_exif_jpeg(p6, 120, 40, 6);
    write_exif_jpeg(p1, 120, 40, 1);
    PIX *g = NULL;
    read_ok(p6, &g);
    ck_assert_int_eq(pixGetWidth(g), 40); /* a quarter turn: 120 x 40 -> 40 x 120 */
    ck_assert_int_eq(pixGetHeight(g), 120);
    l_uint32 top = 0, bottom = 0;
    pixGetPixel(g, 20, 2, &top); /* dark left edge is now at the top */
    pixGetPixel(g, 20, 117, &bottom);
    ck_assert_uint_lt(top, bottom);
    pixDestroy(&g);
    read_ok(p1, &g);
    ck_assert_int_eq(pixGetWidth(g), 120);
    pixDestroy(&g);
    ck_assert_int_eq(nn_exif_orientation((const uint8_t *)"\xFF\xD8\xFF\xD9", 4), 1);
    ck_assert_int_eq(nn_exif_orientation((const uint8_t *)"PNG", 3), 1);
}
END_TEST

START_TEST(test_bad_inputs)
{
    nn_error err = { 0 };
    PIX *g = NULL;
    ck_assert_int_eq(nn_ocr_read_gray(nn_test_path("no_such.jpg"), &g, &err), NN_E_IO);
    ck_assert_msg(strstr(err.msg, "no_such.jpg: No such file"), "%s", err.msg);

    const char *txt = nn_test_path("letter.jpg");
    ck_assert_int_eq(nn_test_write_file(txt, "Dear OCR,\n", 10), 0);
    ck_assert_int_eq(nn_ocr_read_gray(txt, &g, &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "letter.jpg: not an image file"), "%s", err.msg);

    const char *empty = nn_test_path("empty.png");
    ck_assert_int_eq(nn_test_write_file(empty, "", 0), 0);
    ck_assert_int_eq(nn_ocr_read_gray(empty, &g, &err), NN_E_FORMAT);

    /* a PNG cut in half */
    PIX *p = fx_blank_page(200, 100, 3, 1);
    l_uint8 *png = NULL;
    size_t n = 0;
    ck_assert_int_eq(pixWriteMemPng(&png, &n, p, 0), 0);
    pixDestroy(&p);
    const char *cut = nn_test_path("cut.png");
    ck_assert_int_eq(nn_test_write_file(cut, png, n / 2), 0);
    free(png);
    int rc = nn_ocr_read_gray(cut, &g, &err);
    ck_assert_int_eq(rc, NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "cut.png: truncated PNG"), "%s", err.msg);
    ck_assert_ptr_null(g);
    /* and a JPEG cut short */
    write_exif_jpeg(nn_test_path("whole.jpg"), 64, 64, 1);
    FILE *f = fopen(nn_test_path("whole.jpg"), "rb");
    static uint8_t jb[1 << 16];
    size_t jn = fread(jb, 1, sizeof jb, f);
    fclose(f);
    ck_assert_int_eq(nn_test_write_file(nn_test_path("cut.jpg"), jb, jn - 40), 0);
    ck_assert_int_eq(nn_ocr_read_gray(nn_test_path("cut.jpg"), &g, &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "truncated JPEG"), "%s", err.msg);

    nn_ocr_page pg;
    PIX *blank = fx_blank_page(600, 400, 4, 2);
    ck_assert_int_eq(nn_ocr_segment(blank, &pg, &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "blank") || strstr(err.msg, "no text"), "%s", err.msg);
    ck_assert_ptr_null(pg.chars);
    pixDestroy(&blank);

    PIX *noise = fx_noise_page(600, 400, 3);
    ck_assert_int_eq(nn_ocr_segment(noise, &pg, &err), NN_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "no text found") || strstr(err.msg, "no ink"), "%s", err.msg);
    pixDestroy(&noise);

    PIX *rgb = pixCreate(10, 10, 32);
    ck_assert_int_eq(nn_ocr_segment(rgb, &pg, &err), NN_E_STATE);
    pixDestroy(&rgb);
}
END_TEST

START_TEST(test_boxes_figure)
{
    const fx_line lines[] = { { "AB CD", 40, 40, 0.0, 0.3, 1.3, 0 } };
    fx_page want;
    fx_draw_page(&want, 500, 150, lines, 1, 40, 4.0, 3);
    nn_ocr_page got;
    nn_error err = { 0 };
    ck_assert_msg(nn_ocr_segment(want.pix, &got, &err) == NN_OK, "%s", err.msg);
    const char *labels[] = { "A", "B", "C", "D" };
    const char *path = nn_test_path("boxes.png");
    ck_assert_msg(nn_ocr_draw_boxes(path, want.pix, &got, labels, 300, &err) == NN_OK, "%s",
                  err.msg);
    PIX *fig = pixRead(path);
    ck_assert_ptr_nonnull(fig);
    ck_assert_int_eq(pixGetWidth(fig), 300); /* scaled to max_side */
    ck_assert_int_eq(pixGetDepth(fig), 32);
    /* a box edge is drawn in colour where the page is grey */
    l_int32 r, g, b;
    int coloured = 0;
    for (int x = 0; x < pixGetWidth(fig); x++) {
        l_uint32 v;
        pixGetPixel(fig, x, (int)(got.chars[0].y * 0.6) + 1, &v);
        extractRGBValues(v, &r, &g, &b);
        coloured |= abs(r - g) > 60 || abs(g - b) > 60;
    }
    ck_assert(coloured);
    pixDestroy(&fig);
    ck_assert_int_eq(nn_ocr_draw_boxes("/nonexistent/x.png", want.pix, &got, labels, 300, &err),
                     NN_E_IO);
    nn_ocr_page_free(&got);
    fx_page_free(&want);
}
END_TEST

int main(void)
{
    nn_lept_quiet();
    Suite *s = suite_create("ocr_page");
    TCase *tc = tcase_create("page");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_page_boxes_lines_spaces);
    tcase_add_test(tc, test_page_other_scale_and_noise);
    tcase_add_test(tc, test_layout_rules);
    tcase_add_test(tc, test_layout_even_gaps_make_one_word);
    tcase_add_test(tc, test_page_wide_letter_spacing);
    tcase_add_test(tc, test_layout_touching_letters_are_not_a_split);
    tcase_add_test(tc, test_exif_orientation);
    tcase_add_test(tc, test_bad_inputs);
    tcase_add_test(tc, test_boxes_figure);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
