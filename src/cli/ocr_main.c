/* `nntrain ocr CHECKPOINT.h5 IMAGE...`: every image through segmentation
 * and the network; the text in the transcript format ([name] headers,
 * '#' comment lines), scores against a transcript, boxes figures. */
#include <leptonica/allheaders.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"
#include "nn/checkpoint.h"
#include "cli/tools.h"
#include "nn/ocr.h"

#define BOXES_MAX_SIDE 1200 /* the figure is for looking at, not for measuring */

/* The boxes file of image i: the name given, or with several images
 * "<name>_<image>.png". */
static void boxes_path(const nn_ocr_options *o, int i, char *out, size_t len)
{
    if (o->n_images == 1) {
        snprintf(out, len, "%s", o->boxes);
        return;
    }
    char stem[256];
    snprintf(stem, sizeof stem, "%s", nn_base_name(o->images[i]));
    char *dot = strrchr(stem, '.');
    if (dot)
        *dot = '\0';
    const char *ext = strrchr(o->boxes, '.');
    int keep = ext && !strchr(ext, '/') ? (int)(ext - o->boxes) : (int)strlen(o->boxes);
    if (snprintf(out, len, "%.*s_%s%s", keep, o->boxes, stem,
                 ext && !strchr(ext, '/') ? ext : ".png") >= (int)len)
        snprintf(out, len, "boxes_%s.png", stem); /* (an absurdly long name) */
}

/* Single-character class names: what a transcript can be compared on. */
static void kept_chars(const nn_ocr_model *m, char *keep, size_t len)
{
    size_t n = 0;
    for (int k = 0; k < nn_ocr_model_classes(m) && n + 1 < len; k++) {
        const char *name = nn_ocr_model_class_name(m, k);
        if (name[0] && !name[1])
            keep[n++] = name[0];
    }
    keep[n] = '\0';
}

static int draw(const nn_ocr_options *o, int i, PIX *gray, const nn_ocr_page *pg,
                const nn_ocr_model *m, const int *chars, FILE *out, nn_error *err)
{
    const char **labels = calloc((size_t)(pg->n_chars > 0 ? pg->n_chars : 1), sizeof *labels);
    if (!labels)
        return nn_fail(err, NN_E_NOMEM, "out of memory");
    for (int c = 0; c < pg->n_chars; c++)
        labels[c] = nn_ocr_model_class_name(m, chars[c]);
    char path[NN_ERR_MSG_LEN + 300];
    boxes_path(o, i, path, sizeof path);
    int rc = nn_ocr_draw_boxes(path, gray, pg, labels, BOXES_MAX_SIDE, err);
    free(labels);
    if (!rc)
        fprintf(out, "# boxes: %s\n", path);
    return rc;
}

static void report(const nn_ocr_options *o, const char *image, const char *text, const char *keep,
                   double *sum, int *scored, FILE *out, nn_error *err)
{
    char *expected = NULL;
    if (nn_truth_read(o->truth, image, &expected, err)) {
        fprintf(out, "# transcript: %s\n", err->msg);
        return;
    }
    if (!expected) {
        fprintf(out, "# transcript: %s has no [%s] section\n", o->truth, nn_base_name(image));
        return;
    }
    nn_ocr_score s;
    nn_ocr_score_text(text, expected, keep, &s);
    fprintf(out,
            "# %s: character accuracy %.4f (%d edits / %d characters), lines %d/%d, "
            "words %d/%d (found/expected)\n",
            nn_base_name(image), s.accuracy, s.edits, s.length, s.lines, s.lines_expected, s.words,
            s.words_expected);
    *sum += s.accuracy;
    ++*scored;
    free(expected);
}

static int one_image(const nn_ocr_options *o, int i, nn_ocr_model *m, const char *keep, double *sum,
                     int *scored, FILE *out, nn_error *err)
{
    const char *image = o->images[i];
    PIX *gray = NULL;
    nn_ocr_page pg;
    memset(&pg, 0, sizeof pg);
    char *text = NULL;
    int *chars = NULL;
    int rc = nn_ocr_read_gray(image, &gray, err);
    if (!rc && (rc = nn_ocr_segment(gray, &pg, err)))
        nn_fail_wrap(err, "%s", image);
    if (!rc && !(chars = calloc((size_t)pg.n_chars, sizeof *chars)))
        rc = nn_fail(err, NN_E_NOMEM, "out of memory");
    if (!rc && (rc = nn_ocr_recognize(m, &pg, o->word_rule, &text, chars, err)))
        nn_fail_wrap(err, "%s", image);
    if (!rc) {
        if (o->n_images > 1 || o->truth)
            fprintf(out, "[%s]\n", nn_base_name(image));
        fprintf(out, "%s\n", text);
        if (o->n_images > 1 || o->truth)
            fprintf(out,
                    "# found %d lines, %d characters (stroke %.1f px, character height "
                    "%.0f px; dropped %d small and %d large pieces, merged %d)\n",
                    pg.n_lines, pg.n_chars, pg.stroke_px, pg.char_height, pg.n_small, pg.n_large,
                    pg.n_merged);
        if (o->truth)
            report(o, image, text, keep, sum, scored, out, err);
        if (o->boxes)
            rc = draw(o, i, gray, &pg, m, chars, out, err);
    }
    free(text);
    free(chars);
    nn_ocr_page_free(&pg);
    pixDestroy(&gray);
    return rc;
}

int nn_ocr_main(const nn_ocr_options *o, FILE *out, nn_error *err)
{
    nn_ocr_model *m = NULL;
    int rc = nn_ocr_model_load(&m, o->checkpoint, o->data, err);
    if (rc)
        return rc;
    const char *note = nn_checkpoint_version_note(nn_ocr_model_format_version(m));
    if (note)
        fprintf(stderr, "nntrain: note: %s is %s\n", o->checkpoint, note);
    char keep[512];
    kept_chars(m, keep, sizeof keep);
    double sum = 0;
    int scored = 0;
    for (int i = 0; !rc && i < o->n_images; i++)
        rc = one_image(o, i, m, keep, &sum, &scored, out, err);
    if (!rc && scored > 1)
        fprintf(out, "# mean character accuracy %.4f over %d images\n", sum / scored, scored);
    nn_ocr_model_free(m);
    return rc;
}
