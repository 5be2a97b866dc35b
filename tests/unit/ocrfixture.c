#include "ocrfixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double fx_uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static double gaussian(uint64_t *state)
{
    double u = fx_uniform(state), v = fx_uniform(state);
    return sqrt(-2 * log(u > 1e-300 ? u : 1e-300)) * cos(2 * 3.14159265358979 * v);
}

static L_BMF *font(void)
{
    static L_BMF *bmf;
    if (!bmf)
        bmf = bmfCreate(NULL, 20);
    return bmf;
}

PIX *fx_glyph(char c, int height, double angle, int thick)
{
    PIX *cell = bmfGetPix(font(), c), *ink = NULL;
    BOX *box = NULL;
    pixClipToForeground(cell, &ink, &box);
    boxDestroy(&box);
    pixDestroy(&cell);
    float f = (float)height / (float)pixGetHeight(ink);
    PIX *grey = pixConvert1To8(NULL, ink, 255, 0);
    PIX *big = pixScaleGeneral(grey, f, f, 0.0f, 0);
    PIX *bin = pixThresholdToBinary(big, 128);
    pixDestroy(&ink);
    pixDestroy(&grey);
    pixDestroy(&big);
    if (thick > 0) {
        PIX *t = pixDilateBrick(NULL, bin, thick + 1, thick + 1);
        pixDestroy(&bin);
        bin = t;
    }
    if (angle != 0) {
        PIX *pad = pixAddBorder(bin, pixGetHeight(bin) / 2, 0);
        PIX *r = pixRotate(pad, (float)(angle * 3.14159265358979 / 180), L_ROTATE_SAMPLING,
                           L_BRING_IN_WHITE, 0, 0);
        pixDestroy(&pad);
        pixDestroy(&bin);
        bin = r;
    }
    PIX *out = NULL;
    box = NULL;
    pixClipToForeground(bin, &out, &box);
    boxDestroy(&box);
    pixDestroy(&bin);
    return out;
}

/* Paper with a left-to-right lighting gradient and noise. */
static PIX *paper(int w, int h, double noise, uint64_t *state)
{
    PIX *p = pixCreate(w, h, 8);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = 170 + 55.0 * x / w + noise * gaussian(state);
            pixSetPixel(p, x, y, (l_uint32)(v < 0 ? 0 : v > 255 ? 255 : v));
        }
    return p;
}

/* Ink of glyph g on page p at (x, y): dark grey with noise. */
static void stamp(PIX *p, PIX *g, int x, int y, double noise, uint64_t *state)
{
    for (int j = 0; j < pixGetHeight(g); j++)
        for (int i = 0; i < pixGetWidth(g); i++) {
            l_uint32 b = 0;
            pixGetPixel(g, i, j, &b);
            if (!b || x + i >= pixGetWidth(p) || y + j >= pixGetHeight(p))
                continue;
            double v = 70 + noise * gaussian(state);
            pixSetPixel(p, x + i, y + j, (l_uint32)(v < 0 ? 0 : v > 255 ? 255 : v));
        }
}

void fx_draw_page(fx_page *p, int w, int h, const fx_line *lines, int n, int height, double noise,
                  uint64_t seed)
{
    memset(p, 0, sizeof *p);
    uint64_t state = seed;
    p->pix = paper(w, h, noise, &state);
    p->n_lines = n;
    for (int l = 0; l < n; l++) {
        double x = lines[l].x0;
        int space = 0;
        for (const char *c = lines[l].text; *c; c++) {
            if (*c == ' ') {
                x += (lines[l].word_gap - lines[l].letter_gap) * height;
                space = 1;
                continue;
            }
            PIX *g = fx_glyph(*c, height, 0, 2);
            int gy = lines[l].y0 + (int)(lines[l].slope * (x - lines[l].x0));
            stamp(p->pix, g, (int)x, gy, noise, &state);
            fx_char *fc = &p->chars[p->n_chars++];
            *fc = (fx_char){ *c, (int)x, gy, pixGetWidth(g), pixGetHeight(g), l, space };
            double u = lines[l].jitter > 0 ? 2 * fx_uniform(&state) - 1 : 0;
            x += pixGetWidth(g) + lines[l].letter_gap * (1 + lines[l].jitter * u) * height;
            space = 0;
            pixDestroy(&g);
        }
    }
}

void fx_page_free(fx_page *p) { pixDestroy(&p->pix); }

PIX *fx_blank_page(int w, int h, double noise, uint64_t seed)
{
    uint64_t state = seed;
    return paper(w, h, noise, &state);
}

PIX *fx_noise_page(int w, int h, uint64_t seed)
{
    uint64_t state = seed;
    PIX *p = pixCreate(w, h, 8);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            pixSetPixel(p, x, y, (l_uint32)(256 * fx_uniform(&state)) & 255);
    return p;
}

PIX *fx_sample(char c, int side, int light_ink, uint64_t seed)
{
    uint64_t state = seed;
    int height = (int)(side * (0.5 + 0.3 * fx_uniform(&state)));
    double angle = 16 * fx_uniform(&state) - 8;
    int thick = (int)(3 * fx_uniform(&state));
    PIX *g = fx_glyph(c, height, angle, thick);
    PIX *s = pixCreate(side, side, 8);
    pixSetAll(s);
    if (light_ink)
        pixClearAll(s);
    int gw = pixGetWidth(g), gh = pixGetHeight(g);
    int x0 = gw < side ? (int)((side - gw) * fx_uniform(&state)) : 0;
    int y0 = gh < side ? (int)((side - gh) * fx_uniform(&state)) : 0;
    for (int j = 0; j < gh && y0 + j < side; j++)
        for (int i = 0; i < gw && x0 + i < side; i++) {
            l_uint32 b = 0;
            pixGetPixel(g, i, j, &b);
            if (b)
                pixSetPixel(s, x0 + i, y0 + j, light_ink ? 230 : 30);
        }
    pixDestroy(&g);
    return s;
}
