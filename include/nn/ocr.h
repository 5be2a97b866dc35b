/* Handwritten text in photos: finding the characters of a page (Leptonica),
 * turning each into a network input (the same glyph preprocessing the data
 * set preparation applies, so training and OCR see alike glyphs), reading
 * them with a trained network, and scoring the text against a transcript.
 * Leptonica images appear as struct Pix (Leptonica's PIX).
 *
 * Module ocr (src/ocr, nn_ocr). May call: net, data, io, core and Leptonica;
 * not train, plot or analysis.
 */
#ifndef NN_OCR_H
#define NN_OCR_H

#include <stdint.h>
#include <stdio.h>

#include "nn/error.h"

struct Pix;

/* ---- glyphs: one character image -> size x size network input -------------- */

typedef struct nn_glyph_params {
    int size;        /* output side in pixels (32) */
    int supersample; /* the glyph is drawn on a size*supersample canvas, then averaged down (4) */
    double margin;   /* empty border on each side, in output pixels (2) */
    double stroke;   /* > 0: thin the ink to a skeleton and redraw it this wide, as a fraction of
                          the glyph's longer side (0.1); 0: keep the strokes as they are */
} nn_glyph_params;

void nn_glyph_params_default(nn_glyph_params *p);
/* 0, or NN_E_CONFIG naming the bad field. */
int nn_glyph_params_check(const nn_glyph_params *p, nn_error *err);

/* The glyph of one character: mask is 1 bpp, ink = 1 (Leptonica's
 * foreground), any size. Specks (pieces under 5% of the largest) are
 * dropped, the rest cropped to the ink, scaled to fit the square inside the
 * margin keeping its aspect ratio, centred, stroke-normalised, and averaged
 * down to out [size * size] bytes, row-major, ink = 255, background = 0.
 * NN_E_FORMAT when the mask holds no ink. */
int nn_glyph_from_mask(struct Pix *mask, const nn_glyph_params *p, uint8_t *out, nn_error *err);

/* nn_glyph_from_mask in its two steps (it is exactly ink, then draw):
 * nn_glyph_ink drops specks, crops to the ink and reduces ink far larger
 * than the canvas (to twice its inner side: more detail cannot show);
 * nn_glyph_draw fits, centres, redraws and averages down. Data set
 * preparation keeps the ink of a sample to draw it and its distorted
 * copies without reading the image again. */
int nn_glyph_ink(struct Pix *mask, const nn_glyph_params *p, struct Pix **ink, nn_error *err);
int nn_glyph_draw(struct Pix *ink, const nn_glyph_params *p, uint8_t *out, nn_error *err);

/* A binary mask scaled to w x h through grey (area averaging down, linear
 * interpolation up, threshold at half): thin strokes survive, staircases
 * are smoothed (the data-set builder's size augmentation uses it too).
 * NULL when out of memory. */
struct Pix *nn_mask_scale(struct Pix *mask, int w, int h);

/* Ink polarity of a data set image. */
typedef enum { NN_INK_AUTO, NN_INK_DARK, NN_INK_LIGHT } nn_ink;

/* Binarise a grey image holding one character (a data set sample): the
 * background level is the median of the image's border, ink lies on the
 * other side (NN_INK_AUTO: whichever side the border says; else as given),
 * and the threshold is Otsu's on the ink contrast, at least 16 grey levels.
 * *mask: 1 bpp, ink = 1, same size. NN_E_FORMAT when there is no contrast. */
int nn_glyph_mask_from_gray(struct Pix *gray8, nn_ink ink, struct Pix **mask, nn_error *err);

/* ---- pages ---------------------------------------------------------------------- */

/* Read a photo or scan (JPEG, PNG, TIFF, PNM...; JPEG EXIF orientation
 * applied) as 8-bit grey. NN_E_IO for a missing or unreadable file,
 * NN_E_FORMAT for a file that is not an image Leptonica reads. */
int nn_ocr_read_gray(const char *path, struct Pix **gray8, nn_error *err);

/* The EXIF orientation (1..8) of a JPEG file's bytes, 1 when absent. */
int nn_exif_orientation(const uint8_t *bytes, size_t n);
/* The upright image for orientation o (1..8); NULL on failure. */
struct Pix *nn_exif_apply(struct Pix *pix, int o);

typedef struct nn_ocr_char {
    int x, y, w, h;   /* the character's ink box in page pixels */
    int line;         /* line number, 0 = top */
    int space_before; /* a word space precedes it on its line */
    struct Pix *mask; /* w x h, 1 bpp, its ink only (owned) */
} nn_ocr_char;

typedef struct nn_ocr_page {
    int width, height;
    nn_ocr_char *chars; /* reading order: line by line, left to right */
    int n_chars;
    int n_lines;
    double stroke_px;     /* estimated stroke width of the ink */
    double char_height;   /* median character height */
    int threshold;        /* ink contrast threshold used (0..255) */
    int n_small, n_large; /* components dropped as too small (dots, specks) / too large */
    int n_merged;         /* pieces merged into the character above or below them */
} nn_ocr_page;

/* Find the characters of a grey page (see docs/ocr.md for the method; all
 * sizes are relative to the page or to the ink, none tuned to one photo).
 * NN_E_FORMAT with a message when nothing that looks like text is found
 * (a blank page, a page of noise). */
int nn_ocr_segment(struct Pix *gray8, nn_ocr_page *page, nn_error *err);
void nn_ocr_page_free(nn_ocr_page *page);

/* The line grouping, ordering and spacing step on its own (nn_ocr_segment
 * calls it). chars [*n] with boxes (and masks, or NULL) set are grouped into
 * lines by vertical overlap with each line's recent band (so slanted lines
 * work); within a line, pieces overlapping more than half of the narrower
 * one horizontally are merged (boxes and masks joined); pieces still lower
 * than min_height are dropped (periods, commas); lines are ordered top to
 * bottom, characters left to right; a space goes before a character whose
 * gap to the previous one is large for its line (docs/ocr.md). chars is
 * rewritten in reading order and *n shrinks. Returns the number of lines,
 * or -1 when out of memory. n_merged and n_small may be NULL. */
int nn_ocr_layout(nn_ocr_char *chars, int *n, double min_height, int *n_merged, int *n_small);

/* ---- recognition ------------------------------------------------------------------ */

typedef struct nn_ocr_model nn_ocr_model;

/* Rebuild the network of a checkpoint from its stored config, load its
 * weights, and read the glyph parameters and class names from the data set
 * file it was trained on (data_override: use this .h5 file instead of the
 * one the config names). The data set must be an nntrain .h5 file made by
 * `nntrain prep`. */
int nn_ocr_model_load(nn_ocr_model **m, const char *checkpoint, const char *data_override,
                      nn_error *err);
void nn_ocr_model_free(nn_ocr_model *m);
const nn_glyph_params *nn_ocr_model_glyph(const nn_ocr_model *m);
int nn_ocr_model_classes(const nn_ocr_model *m);
const char *nn_ocr_model_class_name(const nn_ocr_model *m, int k);
/* format_version of the checkpoint the weights came from. */
int nn_ocr_model_format_version(const nn_ocr_model *m);

/* Classify the page's characters in one batch. text receives the page as
 * lines separated by '\n' (spaces between words; a class name longer than
 * one character is written in full), chars [page->n_chars] (may be NULL) the
 * chosen class of each character. word_rule: read every word as all letters
 * or all digits, whichever has the higher summed log-probability (only when
 * the classes include both). *text is malloc'ed. */
int nn_ocr_recognize(nn_ocr_model *m, const nn_ocr_page *page, int word_rule, char **text,
                     int *chars, nn_error *err);

/* ---- scoring against a transcript -------------------------------------------------- */

/* The expected text of image (matched by file name without folders) in a
 * transcript with [name] headers, '#' comment lines and one line of text
 * per line of handwriting (the format of the test photos' GROUND_TRUTH.txt).
 * *text: the lines joined by '\n' (malloc'ed), or NULL when the file has
 * no [name] section for the image (not an error). */
int nn_truth_read(const char *path, const char *image, char **text, nn_error *err);

typedef struct nn_ocr_score {
    int edits;       /* edit distance between the compared strings */
    int length;      /* characters in the expected string */
    double accuracy; /* 1 - edits / length */
    int lines, lines_expected;
    int words, words_expected;
} nn_ocr_score;

/* Compare found text with the expected text: character accuracy over both
 * with spaces, line ends and characters outside keep (the model's classes:
 * a NUL-terminated list of single characters; NULL keeps all) removed;
 * line and word counts as they are. */
void nn_ocr_score_text(const char *found, const char *expected, const char *keep, nn_ocr_score *s);

/* ---- the boxes figure --------------------------------------------------------------- */

/* Save the page with each character's box and its reading drawn on it as
 * PNG, scaled so its longer side is at most max_side pixels. chars may be
 * NULL (boxes only). */
int nn_ocr_draw_boxes(const char *path, struct Pix *gray8, const nn_ocr_page *page,
                      const char *const *labels, int max_side, nn_error *err);

/* ---- the `nntrain ocr` command -------------------------------------------------------- */

/* Internal to the ocr module but shared with its tests: capture Leptonica's
 * messages (it would print them) so errors can quote them. */
void nn_lept_quiet(void);
const char *nn_lept_last_message(void);

#endif
