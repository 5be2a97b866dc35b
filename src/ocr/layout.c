/* From character boxes to text layout: lines, reading order, word spaces.
 * Every rule is relative to the boxes themselves (their heights, the gaps
 * of their own line), never to pixel sizes, so the same rules hold for a
 * phone photo and a small scan. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ocr/ocr_internal.h"

#define BAND_NEAR     4   /* a line's band: the median top and bottom of its 4 boxes nearest in x */
#define FULL_HEIGHT   0.6 /* boxes this tall (of the median) found lines; the rest join them */
#define MIN_OVERLAP   0.5 /* share of the shorter of box and band they must share */
#define MERGE_OVERLAP 0.5 /* horizontal overlap (of the narrower) that makes two pieces one */
/* Word spaces are decided line by line, from the line's own gaps (in units
 * of its median character height): they should fall into two groups, the
 * many letter gaps and the few, wider word gaps. One rule for the whole page
 * fails when one line is written loosely and another tightly, and a pair of
 * touching letters must not make every other letter gap look like a word
 * gap. A line's sorted gaps are split at their largest jump (ratio of
 * neighbours, of g + GAP_OFFSET so touching letters, g = 0, stay finite)
 * among the splits where
 *  - the word group is no larger than the letter group (a line has at least
 *    as many letter gaps as word gaps unless most words are one letter),
 *  - the split falls in a jump: the smallest word gap is JUMP_RATIO times
 *    the largest letter gap,
 *  - the groups' typical (geometric mean) gaps differ by BIMODAL_RATIO, and
 *  - the word gaps are at least MIN_WORD_GAP heights.
 * A line with too few gaps for two groups follows the median threshold of
 * the lines that had them; a page without any has no spaces (a written
 * alphabet, a single word). The rule and its values were chosen on the
 * gaps of the two test photos (one error: a gap inside "MAKE" as wide
 * as the word gaps) and on 2,000 synthetic lines of 1-4 words with even and
 * uneven spacing (36 errors in 18,097 gaps; Otsu's split of the same
 * candidates: 46). */
#define MIN_LINE_GAPS 3
#define BIMODAL_RATIO 2.0
#define JUMP_RATIO    1.2
#define MIN_WORD_GAP  0.5
#define GAP_OFFSET    0.05

typedef struct line {
    int *idx; /* indices into chars */
    int n, cap;
    double key; /* median centre y, for ordering lines */
} line;

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v [n] (sorted in place); 0 for n = 0. */
static double median_int(int *v, int n)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_int);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Sort keys: left edge, then top, then index (a total order). */
typedef struct pos {
    int x, y, i;
} pos;

static int by_pos(const void *a, const void *b)
{
    const pos *p = a, *q = b;
    if (p->x != q->x)
        return (p->x > q->x) - (p->x < q->x);
    if (p->y != q->y)
        return (p->y > q->y) - (p->y < q->y);
    return (p->i > q->i) - (p->i < q->i);
}

/* Sort idx [n] (indices into c) left to right; keys [n] is scratch. */
static void sort_left_to_right(const nn_ocr_char *c, int *idx, int n, pos *keys)
{
    for (int j = 0; j < n; j++)
        keys[j] = (pos){ c[idx[j]].x, c[idx[j]].y, idx[j] };
    qsort(keys, (size_t)n, sizeof *keys, by_pos);
    for (int j = 0; j < n; j++)
        idx[j] = keys[j].i;
}

static int by_key(const void *a, const void *b)
{
    const line *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static int line_add(line *l, int i)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        int *p = realloc(l->idx, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        l->idx = p;
        l->cap = cap;
    }
    l->idx[l->n++] = i;
    return 0;
}

/* The band (top, bottom) of the BAND_NEAR boxes of a line nearest to x:
 * on a slanted line the band follows the slant. */
static void band(const nn_ocr_char *c, const line *l, int x, double *top, double *bottom)
{
    int tops[BAND_NEAR], bots[BAND_NEAR], chosen[BAND_NEAR], k = 0;
    for (; k < BAND_NEAR && k < l->n; k++) {
        int best = -1;
        long best_d = 0;
        for (int j = 0; j < l->n; j++) {
            int taken = 0;
            for (int q = 0; q < k; q++)
                taken |= chosen[q] == j;
            const nn_ocr_char *b = &c[l->idx[j]];
            long d = labs(2L * b->x + b->w - 2L * x);
            if (!taken && (best < 0 || d < best_d)) {
                best = j;
                best_d = d;
            }
        }
        chosen[k] = best;
        tops[k] = c[l->idx[best]].y;
        bots[k] = c[l->idx[best]].y + c[l->idx[best]].h;
    }
    *top = median_int(tops, k);
    *bottom = median_int(bots, k);
}

/* Which line box i joins: the one whose band near it the box overlaps
 * most, if enough. */
static int pick_line(const nn_ocr_char *c, int i, const line *lines, int n_lines)
{
    int best = -1;
    double best_r = MIN_OVERLAP;
    for (int k = 0; k < n_lines; k++) {
        double top, bottom;
        band(c, &lines[k], c[i].x + c[i].w / 2, &top, &bottom);
        double lo = fmax(top, c[i].y), hi = fmin(bottom, c[i].y + c[i].h);
        double shorter = fmin(bottom - top, c[i].h);
        double r = shorter > 0 ? (hi - lo) / shorter : 0;
        if (r >= best_r) {
            best_r = r;
            best = k;
        }
    }
    return best;
}

/* Join piece b into a (box union, masks OR'ed at their offsets). */
static int merge_into(nn_ocr_char *a, nn_ocr_char *b)
{
    int x0 = a->x < b->x ? a->x : b->x, y0 = a->y < b->y ? a->y : b->y;
    int x1 = a->x + a->w > b->x + b->w ? a->x + a->w : b->x + b->w;
    int y1 = a->y + a->h > b->y + b->h ? a->y + a->h : b->y + b->h;
    if (a->mask || b->mask) {
        PIX *m = pixCreate(x1 - x0, y1 - y0, 1);
        if (!m)
            return -1;
        if (a->mask)
            pixRasterop(m, a->x - x0, a->y - y0, a->w, a->h, PIX_SRC | PIX_DST, a->mask, 0, 0);
        if (b->mask)
            pixRasterop(m, b->x - x0, b->y - y0, b->w, b->h, PIX_SRC | PIX_DST, b->mask, 0, 0);
        pixDestroy(&a->mask);
        pixDestroy(&b->mask);
        a->mask = m;
    }
    a->x = x0, a->y = y0, a->w = x1 - x0, a->h = y1 - y0;
    b->w = 0; /* marks b as gone */
    return 0;
}

/* Merge pieces of one line that overlap horizontally by more than half of
 * the narrower (a letter broken into an upper and a lower part). */
static int merge_line(nn_ocr_char *c, line *l, int *n_merged)
{
    for (int again = 1; again;) {
        again = 0;
        for (int i = 0; i < l->n; i++)
            for (int j = i + 1; j < l->n; j++) {
                nn_ocr_char *a = &c[l->idx[i]], *b = &c[l->idx[j]];
                int lo = a->x > b->x ? a->x : b->x;
                int hi = a->x + a->w < b->x + b->w ? a->x + a->w : b->x + b->w;
                int narrower = a->w < b->w ? a->w : b->w;
                if (hi - lo <= MERGE_OVERLAP * narrower)
                    continue;
                if (merge_into(a, b))
                    return -1;
                l->idx[j] = l->idx[--l->n];
                ++*n_merged;
                again = 1;
                j--;
            }
    }
    return 0;
}

/* Drop pieces lower than min_height; free their masks. */
static void drop_small(nn_ocr_char *c, line *l, double min_height, int *n_small)
{
    for (int j = 0; j < l->n; j++) {
        nn_ocr_char *p = &c[l->idx[j]];
        if (p->h >= min_height)
            continue;
        pixDestroy(&p->mask);
        p->w = 0;
        l->idx[j--] = l->idx[--l->n];
        ++*n_small;
    }
}

/* The gaps between neighbours of a sorted line, divided by the line's
 * median height: gaps [l->n - 1] >= 0. heights is scratch [l->n]. */
static void line_gaps(const nn_ocr_char *c, const line *l, double *gaps, int *heights)
{
    for (int j = 0; j < l->n; j++)
        heights[j] = c[l->idx[j]].h;
    double h = median_int(heights, l->n);
    for (int j = 1; j < l->n; j++) {
        const nn_ocr_char *a = &c[l->idx[j - 1]], *b = &c[l->idx[j]];
        double g = b->x - (a->x + a->w);
        gaps[j - 1] = g > 0 && h > 0 ? g / h : 0;
    }
}

/* The word-space threshold of one line's gaps v [n] (sorted in place), or
 * INFINITY when they do not fall into letter and word gaps (see above). */
static double line_threshold(double *v, int n)
{
    double best = -1, threshold = INFINITY;
    if (n < MIN_LINE_GAPS)
        return threshold;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double total = 0;
    for (int i = 0; i < n; i++)
        total += log(v[i] + GAP_OFFSET);
    double lower = 0;
    for (int k = 1; k < n; k++) {
        lower += log(v[k - 1] + GAP_OFFSET);
        if (n - k > k)
            continue; /* more word gaps than letter gaps */
        double m0 = lower / k, m1 = (total - lower) / (n - k);
        double lo = v[k - 1] + GAP_OFFSET, hi = v[k] + GAP_OFFSET;
        if (hi < JUMP_RATIO * lo || exp(m1 - m0) < BIMODAL_RATIO || v[k] < MIN_WORD_GAP)
            continue;
        if (hi / lo > best) {
            best = hi / lo;
            threshold = sqrt(lo * hi) - GAP_OFFSET;
        }
    }
    return threshold;
}

/* Mark space_before on every character: each line by its own threshold; a
 * line too short for one by the median of the others' (scratch [max n]). */
static void mark_spaces(nn_ocr_char *c, line *lines, int n_lines, double *gaps, int *scratch)
{
    /* gaps holds 3 * (chars + 1) doubles: the lines' own thresholds first
     * (n_lines <= chars), then one line's gaps and their sorted copy. */
    double *own = gaps, *work = gaps + n_lines;
    int n_own = 0;
    for (int k = 0; k < n_lines; k++) {
        line *l = &lines[k];
        if (l->n - 1 < MIN_LINE_GAPS)
            continue;
        line_gaps(c, l, work, scratch);
        double t = line_threshold(work, l->n - 1);
        if (isfinite(t))
            own[n_own++] = t;
    }
    qsort(own, (size_t)n_own, sizeof *own, cmp_double);
    double page_t = n_own == 0  ? INFINITY
                    : n_own % 2 ? own[n_own / 2]
                                : 0.5 * (own[n_own / 2 - 1] + own[n_own / 2]);
    for (int k = 0; k < n_lines; k++) {
        line *l = &lines[k];
        c[l->idx[0]].space_before = 0;
        if (l->n < 2)
            continue;
        line_gaps(c, l, work, scratch);
        double t = page_t;
        if (l->n - 1 >= MIN_LINE_GAPS) {
            line_gaps(c, l, work + l->n, scratch);
            t = line_threshold(work + l->n, l->n - 1);
        }
        for (int j = 1; j < l->n; j++)
            c[l->idx[j]].space_before = work[j - 1] > t;
    }
}

static void free_lines(line *lines, int n)
{
    for (int k = 0; k < n; k++)
        free(lines[k].idx);
    free(lines);
}

/* Rewrite chars in reading order (lines top to bottom, each left to right). */
static int reorder(nn_ocr_char *c, int *n, line *lines, int n_lines)
{
    nn_ocr_char *out = malloc((size_t)(*n > 0 ? *n : 1) * sizeof *out);
    if (!out)
        return -1;
    int m = 0;
    for (int k = 0; k < n_lines; k++)
        for (int j = 0; j < lines[k].n; j++) {
            out[m] = c[lines[k].idx[j]];
            out[m].line = k;
            m++;
        }
    memcpy(c, out, (size_t)m * sizeof *out);
    free(out);
    *n = m;
    return 0;
}

/* Order the non-empty lines by their median centre; returns their count. */
static int order_lines(const nn_ocr_char *c, line *lines, int n_lines, int *scratch, pos *keys)
{
    int kept = 0;
    for (int k = 0; k < n_lines; k++) {
        line *l = &lines[k];
        if (l->n == 0) {
            free(l->idx);
            continue;
        }
        for (int j = 0; j < l->n; j++)
            scratch[j] = 2 * c[l->idx[j]].y + c[l->idx[j]].h;
        l->key = median_int(scratch, l->n);
        sort_left_to_right(c, l->idx, l->n, keys);
        lines[kept++] = *l;
    }
    qsort(lines, (size_t)kept, sizeof *lines, by_key);
    return kept;
}

int nn_ocr_layout(nn_ocr_char *c, int *n, double min_height, int *n_merged, int *n_small)
{
    const size_t cap = (size_t)(*n > 0 ? *n : 1);
    int merged = 0, small = 0, n_lines = 0, ok;
    int *order = malloc(cap * sizeof *order);
    line *lines = calloc(cap, sizeof *lines);
    double *gaps = malloc(3 * (cap + 1) * sizeof *gaps); /* mark_spaces' layout */
    pos *keys = malloc(cap * sizeof *keys);
    ok = order && lines && gaps && keys;
    for (int i = 0; ok && i < *n; i++)
        order[i] = i;
    if (ok)
        sort_left_to_right(c, order, *n, keys);
    /* Full-height boxes found the lines, left to right; then the pieces
     * (a detached bar, a period) join the line they sit in. */
    int *heights = ok ? malloc(cap * sizeof *heights) : NULL;
    ok = heights != NULL;
    for (int i = 0; ok && i < *n; i++)
        heights[i] = c[i].h;
    const double full = ok ? FULL_HEIGHT * median_int(heights, *n) : 0;
    free(heights);
    for (int pass = 0; ok && pass < 2; pass++)
        for (int i = 0; ok && i < *n; i++) {
            if ((c[order[i]].h >= full) != (pass == 0))
                continue;
            int k = pick_line(c, order[i], lines, n_lines);
            if (k < 0)
                k = n_lines++;
            ok = line_add(&lines[k], order[i]) == 0;
        }
    for (int k = 0; ok && k < n_lines; k++) {
        ok = merge_line(c, &lines[k], &merged) == 0;
        drop_small(c, &lines[k], min_height, &small);
    }
    if (ok) {
        n_lines = order_lines(c, lines, n_lines, order, keys);
        mark_spaces(c, lines, n_lines, gaps, order);
        ok = reorder(c, n, lines, n_lines) == 0;
    }
    if (lines)
        free_lines(lines, n_lines);
    free(order);
    free(gaps);
    free(keys);
    if (n_merged)
        *n_merged = merged;
    if (n_small)
        *n_small = small;
    return ok ? n_lines : -1;
}
