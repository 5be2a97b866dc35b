/* nntrain ocr CHECKPOINT.h5 IMAGE... [--truth FILE] [--boxes OUT.png]
 *             [--data FILE.h5] [--no-word-rule]
 * Runs without MPI: one process reads the pages. */
#include <stdio.h>

#include "nn/ocr.h"
#include "cli/tools.h"

typedef struct ocr_cli {
    nn_ocr_options o;
    int no_word_rule;
} ocr_cli;

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    ocr_cli c = *(const ocr_cli *)opts;
    (void)dist;
    c.o.word_rule = !c.no_word_rule;
    int rc = nn_ocr_main(&c.o, stdout, err);
    fflush(stdout);
    return rc;
}

int nn_cmd_ocr(const nn_command *cmd, int argc, char **argv, nn_error *err)
{
    ocr_cli o = { 0 };
    const nn_option opts[] = {
        NN_OPT_VALUE("--truth", "FILE",
                     "score the text against a transcript ([image name] "
                     "sections)",
                     &o.o.truth),
        NN_OPT_VALUE("--boxes", "OUT.png",
                     "draw the characters found (OUT_<image>.png for "
                     "several images)",
                     &o.o.boxes),
        NN_OPT_VALUE("--data", "FILE.h5",
                     "the prep data set that gives the glyph settings and "
                     "classes (default: the one the network was trained on)",
                     &o.o.data),
        NN_OPT_FLAG("--no-word-rule",
                    "read each character alone (no all-letters-or-all-digits "
                    "rule per word)",
                    &o.no_word_rule),
    };
    const nn_cli c = { .cmd = cmd,
                       NN_CLI_OPTS(opts),
                       .first = &o.o.checkpoint,
                       .rest = &o.o.images,
                       .n_rest = &o.o.n_images };
    return nn_cli_run(&c, argc, argv, run, &o, err);
}
