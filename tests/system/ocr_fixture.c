/* ocr_fixture DIR: write the inputs of tests/system/test_ocr.sh (no data
 * files are committed; the test makes its own):
 *   DIR/letters/<A..Z>/wNN-K.png   letters by 8 "writers" (PNG)
 *   DIR/digits-images, -labels     digits 0..9 in IDX, light ink on dark
 *   DIR/page.png, DIR/truth.txt    a synthetic page and its transcript
 *   DIR/blank.png, DIR/noise.png   a page without ink and a page of noise */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocrfixture.h"

static void be32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static int write_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b, 1, n, f) == n;
    return (f && fclose(f) == 0 && ok) ? 0 : -1;
}

static int letters(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/letters", dir);
    mkdir(path, 0777);
    for (char c = 'A'; c <= 'Z'; c++) {
        snprintf(path, sizeof path, "%s/letters/%c", dir, c);
        mkdir(path, 0777);
        for (int w = 1; w <= 8; w++)
            for (int k = 1; k <= 2; k++) {
                PIX *s = fx_sample(c, 48, 0, (uint64_t)(c * 1000 + w * 10 + k));
                snprintf(path, sizeof path, "%s/letters/%c/w%02d-%d.png", dir, c, w, k);
                int bad = pixWrite(path, s, IFF_PNG);
                pixDestroy(&s);
                if (bad)
                    return -1;
            }
    }
    return 0;
}

static int digits(const char *dir)
{
    enum { N = 200, S = 28 };
    static unsigned char img[16 + N * S * S], lab[8 + N];
    be32(img, 0x803), be32(img + 4, N), be32(img + 8, S), be32(img + 12, S);
    be32(lab, 0x801), be32(lab + 4, N);
    for (int i = 0; i < N; i++) {
        PIX *s = fx_sample((char)('0' + i % 10), S, 1, 9000 + (uint64_t)i);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                l_uint32 v;
                pixGetPixel(s, x, y, &v);
                img[16 + i * S * S + y * S + x] = (unsigned char)v;
            }
        lab[8 + i] = (unsigned char)(i % 10);
        pixDestroy(&s);
    }
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/digits-images", dir);
    snprintf(b, sizeof b, "%s/digits-labels", dir);
    return write_file(a, img, sizeof img) || write_file(b, lab, sizeof lab);
}

static int pages(const char *dir)
{
    const fx_line lines[] = {
        { "HELLO WORLD", 50, 40, 0.0, 0.3, 1.3, 0 },
        { "OCR TEST 42", 70, 170, 0.04, 0.35, 1.5, 0 },
        { "NO 7 DAYS AT SEA", 50, 330, -0.02, 0.25, 1.1, 0 },
    };
    fx_page p;
    fx_draw_page(&p, 1100, 460, lines, 3, 44, 6.0, 21);
    char path[4096];
    snprintf(path, sizeof path, "%s/page.png", dir);
    int bad = pixWrite(path, p.pix, IFF_PNG);
    fx_page_free(&p);
    const char truth[] = "# the synthetic page of tests/system/test_ocr.sh\n[page.png]\n"
                         "HELLO WORLD\nOCR TEST 42\nNO 7 DAYS AT SEA\n";
    snprintf(path, sizeof path, "%s/truth.txt", dir);
    bad |= write_file(path, truth, strlen(truth));
    PIX *blank = fx_blank_page(600, 400, 4, 1), *noise = fx_noise_page(600, 400, 2);
    snprintf(path, sizeof path, "%s/blank.png", dir);
    bad |= pixWrite(path, blank, IFF_PNG);
    snprintf(path, sizeof path, "%s/noise.png", dir);
    bad |= pixWrite(path, noise, IFF_PNG);
    pixDestroy(&blank);
    pixDestroy(&noise);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ocr_fixture DIR\n");
        return 2;
    }
    setMsgSeverity(L_SEVERITY_ERROR);
    if (letters(argv[1]) || digits(argv[1]) || pages(argv[1])) {
        fprintf(stderr, "ocr_fixture: cannot write the fixtures into %s\n", argv[1]);
        return 1;
    }
    return 0;
}
