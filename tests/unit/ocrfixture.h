/* Synthetic handwriting for the OCR and prep tests: glyphs from Leptonica's
 * built-in bitmap font (scaled, optionally turned and thickened) placed on a
 * noisy, unevenly lit page at known positions, so a test knows every box,
 * line and space it should get back. */
#ifndef NN_OCRFIXTURE_H
#define NN_OCRFIXTURE_H

#include <leptonica/allheaders.h>
#include <stdint.h>

#define FX_MAX_CHARS 512

typedef struct fx_char {
    char c;
    int x, y, w, h; /* ink box on the page */
    int line;
    int space_before;
} fx_char;

typedef struct fx_line {
    const char *text;  /* capitals, digits and single spaces */
    int x0, y0;        /* top left of the first glyph */
    double slope;      /* y offset per x pixel (a slanted line) */
    double letter_gap; /* gaps between letters, in glyph heights */
    double word_gap;   /* gaps between words, in glyph heights */
    double jitter;     /* each letter gap is letter_gap * (1 + jitter * u), u uniform
                            in [-1, 1] (handwriting's uneven spacing); 0: even */
} fx_line;

typedef struct fx_page {
    PIX *pix; /* 8 bpp grey page */
    fx_char chars[FX_MAX_CHARS];
    int n_chars;
    int n_lines;
} fx_page;

/* The glyph of c (1 bpp, ink = 1, cropped to its ink) about height pixels
 * tall, turned by angle degrees, its strokes thickened by `thick` pixels. */
PIX *fx_glyph(char c, int height, double angle, int thick);

/* Draw lines [n] of glyphs `height` pixels tall on a w x h page: paper
 * brightness from 170 (left) to 225 (right), ink about 70, Gaussian noise of
 * standard deviation `noise` grey levels, all from seed. */
void fx_draw_page(fx_page *p, int w, int h, const fx_line *lines, int n, int height, double noise,
                  uint64_t seed);
void fx_page_free(fx_page *p);

/* A grey page of paper only (no ink), or of noise only (uniform 0..255). */
PIX *fx_blank_page(int w, int h, double noise, uint64_t seed);
PIX *fx_noise_page(int w, int h, uint64_t seed);

/* A grey sample image of c as a data set would hold it: side x side, ink
 * dark on light (or light on dark when light_ink), random size, position,
 * slant and thickness from seed. */
PIX *fx_sample(char c, int side, int light_ink, uint64_t seed);

double fx_uniform(uint64_t *state);

#endif
