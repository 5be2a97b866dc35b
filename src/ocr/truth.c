/* Scoring OCR output against a transcript: the transcript format (the one
 * of the test photos' GROUND_TRUTH.txt), edit distance, character
 * accuracy, line and word counts. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"
#include "nn/config.h"
#include "ocr/ocr_internal.h"

int nn_truth_read(const char *path, const char *image, char **text, nn_error *err)
{
    *text = NULL;
    char *all = NULL;
    int rc = nn_read_text_file(path, &all, err);
    if (rc)
        return rc;
    const char *want = nn_base_name(image);
    size_t cap = strlen(all) + 1, used = 0;
    char *out = malloc(cap);
    int mine = 0, found = 0;
    if (!out) {
        free(all);
        return nn_fail(err, NN_E_NOMEM, "out of memory");
    }
    for (char *line = strtok(all, "\n"); line; line = strtok(NULL, "\n")) {
        size_t n = strlen(line);
        while (n && isspace((unsigned char)line[n - 1]))
            line[--n] = '\0';
        while (*line && isspace((unsigned char)*line))
            line++, n--;
        if (n == 0 || line[0] == '#')
            continue;
        if (line[0] == '[' && line[n - 1] == ']') {
            line[n - 1] = '\0';
            mine = strcmp(line + 1, want) == 0;
            found |= mine;
            continue;
        }
        if (!mine)
            continue;
        if (used)
            out[used++] = '\n';
        memcpy(out + used, line, n);
        used += n;
    }
    out[used] = '\0';
    free(all);
    if (!found) {
        free(out);
        return NN_OK;
    }
    *text = out;
    return NN_OK;
}

/* s without spaces, line ends and characters outside keep (a new string). */
static char *compact(const char *s, const char *keep)
{
    char *o = malloc(strlen(s) + 1), *p = o;
    if (!o)
        return NULL;
    for (; *s; s++)
        if (!isspace((unsigned char)*s) && (!keep || strchr(keep, *s)))
            *p++ = *s;
    *p = '\0';
    return o;
}

/* Lines with text, and words (runs of kept characters between blanks). */
static void count(const char *s, const char *keep, int *lines, int *words)
{
    *lines = *words = 0;
    int line_has = 0, in_word = 0;
    for (;; s++) {
        int kept = *s && !isspace((unsigned char)*s) && (!keep || strchr(keep, *s));
        if (kept && !in_word)
            ++*words;
        if (*s && !isspace((unsigned char)*s))
            in_word = in_word || kept;
        else
            in_word = 0;
        line_has |= kept;
        if (*s == '\n' || !*s) {
            *lines += line_has;
            line_has = 0;
        }
        if (!*s)
            break;
    }
}

void nn_ocr_score_text(const char *found, const char *expected, const char *keep, nn_ocr_score *s)
{
    memset(s, 0, sizeof *s);
    char *a = compact(found, keep), *b = compact(expected, keep);
    if (a && b) {
        s->edits = nn_edit_distance(a, b);
        s->length = (int)strlen(b);
        s->accuracy = s->length ? 1.0 - (double)s->edits / s->length : (s->edits ? 0.0 : 1.0);
    }
    free(a);
    free(b);
    count(found, keep, &s->lines, &s->words);
    count(expected, keep, &s->lines_expected, &s->words_expected);
}
