/* One PLplot session per figure: page and colour set-up, error capture,
 * and a check of the PNG that was written. See plot_internal.h. */
#include "plot/plot_internal.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PLplot's error hooks are global, so is what they record. */
static jmp_buf g_fatal_jmp;    /* where a fatal PLplot error returns to */
static int g_in_session;       /* 1 while nn_plot_render owns PLplot */
static char g_fatal_msg[512];  /* message of the last fatal error */
static PLINT g_abort_code;     /* set by PLplot on a non-fatal error */
static char g_abort_msg[2048]; /* its message (PLplot writes here, unbounded) */

/* plexit() calls this and then exit()s, unless it never returns: inside a
 * session jump back to nn_plot_render; outside, keep PLplot's behaviour. */
static int on_plplot_fatal(PLCHAR_VECTOR msg)
{
    snprintf(g_fatal_msg, sizeof g_fatal_msg, "%s", msg ? msg : "");
    if (g_in_session) {
        g_in_session = 0;
        longjmp(g_fatal_jmp, 1);
    }
    return 1;
}

int nn_plot_check_path(const char *png_path, nn_error *err)
{
    if (!png_path || !*png_path)
        return nn_fail(err, NN_E_CONFIG, "figure: no PNG file name given");
    /* PLplot writes to stdout for "-" */
    if (strcmp(png_path, "-") == 0)
        return nn_fail(err, NN_E_CONFIG, "figure: '-' (stdout) is not a PNG file name");
    return NN_OK;
}

int nn_plot_check_count(const char *png_path, const char *figure, const char *name, int n, int max,
                        nn_error *err)
{
    int rc = nn_plot_check_path(png_path, err);
    if (rc == NN_OK && n < 1)
        rc = nn_fail(err, NN_E_STATE, "%s: %s needs %s >= 1, got %d", png_path, figure, name, n);
    else if (rc == NN_OK && max >= 0 && n > max)
        rc = nn_fail(err, NN_E_STATE, "%s: %s with %s = %d: at most %d fit in one figure", png_path,
                     figure, name, n, max);
    return rc;
}

void nn_plot_page_title(const char *title, PLFLT w, PLFLT h, PLFLT y, PLFLT scale)
{
    char t[512];
    plvpor(0.0, 1.0, 0.0, 1.0);
    plwind(0.0, w, 0.0, h);
    plcol0(NN_COL_FG);
    plschr(0.0, scale);
    plptex(w / 2.0, y, 1.0, 0.0, 0.5, nn_plot_text(t, sizeof t, title));
}

/* Create (truncate) the file ourselves: PLplot retries a failing open ten
 * times with messages on stderr and then exits. */
static int check_writable(const char *png_path, nn_error *err)
{
    FILE *f = fopen(png_path, "wb");
    if (!f)
        return nn_fail(err, NN_E_IO, "%s: cannot write the figure: %s", png_path, strerror(errno));
    if (fclose(f) != 0)
        return nn_fail(err, NN_E_IO, "%s: cannot write the figure: %s", png_path, strerror(errno));
    return NN_OK;
}

/* The PNG signature and IHDR size of what PLplot wrote. */
static int check_png(const char *png_path, int width, int height, nn_error *err)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    unsigned char b[24];
    FILE *f = fopen(png_path, "rb");
    if (!f)
        return nn_fail(err, NN_E_IO, "%s: cannot read back the figure: %s", png_path,
                       strerror(errno));
    size_t got = fread(b, 1, sizeof b, f);
    fclose(f);
    if (got < sizeof b || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return nn_fail(err, NN_E_IO, "%s: PLplot did not write a PNG file (%zu bytes)", png_path,
                       got);
    uint32_t w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    uint32_t h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    if (w != (uint32_t)width || h != (uint32_t)height)
        return nn_fail(err, NN_E_IO, "%s: PLplot wrote a %ux%u PNG, expected %dx%d", png_path,
                       (unsigned)w, (unsigned)h, width, height);
    return NN_OK;
}

/* Colour map 0 (see the enum in plot_internal.h). */
static void set_cmap0(void)
{
    static const PLINT rgb[16][3] = {
        { 255, 255, 255 }, { 0, 0, 0 },                        /* background, axes */
        { 31, 119, 180 },  { 255, 127, 14 },  { 44, 160, 44 }, /* tab10 */
        { 214, 39, 40 },   { 148, 103, 189 }, { 140, 86, 75 },  { 227, 119, 194 },
        { 127, 127, 127 }, { 188, 189, 34 },  { 23, 190, 207 }, { 225, 225, 225 },
        { 150, 150, 150 }, { 80, 80, 80 }, /* greys */
        { 0, 0, 0 },                       /* 15: black, not white */
    };
    PLINT r[16], g[16], b[16];
    for (int i = 0; i < 16; i++) {
        r[i] = rgb[i][0];
        g[i] = rgb[i][1];
        b[i] = rgb[i][2];
    }
    plscmap0(r, g, b, 16);
}

void nn_plot_cmap1_grey(void)
{
    PLFLT pos[2] = { 0.0, 1.0 }, v[2] = { 0.0, 1.0 };
    plscmap1n(256);
    plscmap1l(1, 2, pos, v, v, v, NULL);
}

void nn_plot_cmap1_blues(void)
{
    /* matplotlib's "Blues", from white */
    PLFLT pos[5] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
    PLFLT r[5] = { 1.0, 0.78, 0.42, 0.13, 0.03 };
    PLFLT g[5] = { 1.0, 0.86, 0.68, 0.44, 0.19 };
    PLFLT b[5] = { 1.0, 0.94, 0.84, 0.71, 0.42 };
    plscmap1n(256);
    plscmap1l(1, 5, pos, r, g, b, NULL);
}

/* Everything PLplot needs before plinit: device, file, size, colours. */
static void start_page(const char *png_path, int width, int height)
{
    plsError(&g_abort_code, g_abort_msg); /* non-fatal errors: recorded, not printed */
    plsdev("pngcairo");
    plsfnam(png_path);
    plspage(0.0, 0.0, width, height, 0, 0);
    set_cmap0();
    plscolbg(255, 255, 255);
    plinit();
    pladv(0);
    plschr(0.0, NN_PLOT_TEXT_SCALE);
    plcol0(NN_COL_FG);
}

/* Run draw inside one PLplot session. Returns with PLplot ended. */
static int plplot_session(const char *png_path, int width, int height, nn_plot_draw_fn draw,
                          void *ctx, nn_error *err)
{
    PLINT level = 0;
    plsstrm(0);
    plglevel(&level);
    if (level > 0) /* a session left open by someone else */
        plend();
    g_fatal_msg[0] = '\0';
    g_abort_msg[0] = '\0';
    g_abort_code = 0;
    plsexit(on_plplot_fatal);
    if (setjmp(g_fatal_jmp) != 0) {
        plend(); /* the state is unknown: release all of it */
        return nn_fail(err, NN_E_IO, "%s: PLplot failed: %s", png_path, g_fatal_msg);
    }
    g_in_session = 1;
    start_page(png_path, width, height);
    int rc = draw(ctx, png_path, err);
    plend();
    g_in_session = 0;
    if (rc == NN_OK && g_abort_code != 0) {
        char *m = g_abort_msg;
        while (*m == '\n')
            m++;
        m[strcspn(m, "\n")] = '\0';
        rc = nn_fail(err, NN_E_IO, "%s: PLplot: %s", png_path, m);
    }
    return rc;
}

int nn_plot_render(const char *png_path, int width, int height, nn_plot_draw_fn draw, void *ctx,
                   nn_error *err)
{
    int rc = nn_plot_check_path(png_path, err);
    if (rc == NN_OK)
        rc = check_writable(png_path, err);
    if (rc != NN_OK)
        return rc;
    rc = plplot_session(png_path, width, height, draw, ctx, err);
    if (rc == NN_OK)
        rc = check_png(png_path, width, height, err);
    if (rc != NN_OK)
        remove(png_path); /* no half-written figures */
    return rc;
}

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] < 0x80                   ? 1
               : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
               : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
               : s[0] >= 0xf0 && s[0] < 0xf5 ? 4
                                             : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

const char *nn_plot_text(char *dst, size_t cap, const char *src)
{
    /* pango complains on stderr about invalid UTF-8: such bytes become '?';
     * long text is cut at a character boundary */
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    while (*s) {
        size_t len = utf8_len(s);
        size_t out = len == 0 ? 1 : *s == '#' ? 2 : len;
        if (n + out + 1 > cap)
            break;
        if (len == 0) {
            dst[n++] = '?';
            s++;
            continue;
        }
        if (*s == '#')
            dst[n++] = '#';
        memcpy(dst + n, s, len);
        n += len;
        s += len;
    }
    dst[n] = '\0';
    return dst;
}

PLFLT **nn_plot_image_alloc(int nx, int ny, nn_error *err)
{
    size_t cols = (size_t)nx + 1, rows = (size_t)ny + 1;
    size_t ptrs = cols * sizeof(PLFLT *);
    size_t pad = (sizeof(PLFLT) - ptrs % sizeof(PLFLT)) % sizeof(PLFLT);
    char *mem = nn_malloc(ptrs + pad + cols * rows * sizeof(PLFLT), err);
    if (!mem)
        return NULL;
    PLFLT **m = (PLFLT **)(void *)mem;
    PLFLT *data = (PLFLT *)(void *)(mem + ptrs + pad);
    for (size_t i = 0; i < cols; i++) {
        m[i] = data + i * rows;
        m[i][ny] = NAN; /* the extra row */
    }
    for (size_t j = 0; j < rows; j++)
        m[nx][j] = NAN; /* the extra column */
    return m;
}

void nn_plot_image(PLFLT **m, int nx, int ny, PLFLT x0, PLFLT x1, PLFLT y0, PLFLT y1, PLFLT vmin,
                   PLFLT vmax)
{
    /* z range: everything but NaN is drawn, clamped to vmin..vmax */
    plimagefr((PLFLT_MATRIX)m, nx + 1, ny + 1, x0, x1, y0, y1, -HUGE_VAL, HUGE_VAL, vmin, vmax,
              NULL, NULL);
}

PLFLT ***nn_plot_tiles_alloc(int n, int nx, int ny, nn_error *err)
{
    PLFLT ***tiles = nn_calloc((unsigned long long)n, sizeof *tiles, err);
    for (int i = 0; tiles && i < n; i++)
        if (!(tiles[i] = nn_plot_image_alloc(nx, ny, err))) {
            nn_plot_tiles_free(tiles, i);
            return NULL;
        }
    return tiles;
}

void nn_plot_tiles_free(PLFLT ***tiles, int n)
{
    for (int i = 0; tiles && i < n; i++)
        free(tiles[i]);
    free(tiles);
}

void nn_plot_tile(PLFLT **m, int nx, int ny, PLFLT x0, PLFLT x1, PLFLT y0, PLFLT y1)
{
    nn_plot_image(m, nx, ny, x0, x1, y0, y1, 0.0, 1.0);
    PLFLT bx[5] = { x0, x1, x1, x0, x0 }, by[5] = { y0, y0, y1, y1, y0 };
    plcol0(NN_COL_GREY);
    plline(5, bx, by);
}
