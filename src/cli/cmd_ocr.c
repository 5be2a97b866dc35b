/* nntrain ocr CHECKPOINT.h5 IMAGE... [--truth FILE] [--boxes OUT.png]
 *             [--data FILE.h5] [--no-word-rule]
 * Runs without MPI: one process reads the pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ocr.h"
#include "cli/tools.h"

static int parse(int argc, char **argv, nn_ocr_options *o, const char **images, nn_error *err)
{
    memset(o, 0, sizeof *o);
    o->images = images;
    o->word_rule = 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const char **value = !strcmp(a, "--truth") ? &o->truth
                             : !strcmp(a, "--boxes") ? &o->boxes
                             : !strcmp(a, "--data")  ? &o->data
                                                     : NULL;
        if (value) {
            if (i + 1 >= argc)
                return nn_fail(err, NN_E_CONFIG, "ocr: %s needs a value (nntrain --help)", a);
            *value = argv[++i];
        } else if (!strcmp(a, "--no-word-rule")) {
            o->word_rule = 0;
        } else if (a[0] == '-') {
            return nn_fail(err, NN_E_CONFIG, "ocr: unknown option '%s' (nntrain --help)", a);
        } else if (!o->checkpoint) {
            o->checkpoint = a;
        } else {
            images[o->n_images++] = a;
        }
    }
    if (!o->checkpoint)
        return nn_fail(err, NN_E_CONFIG, "ocr: no checkpoint given (nntrain --help)");
    if (o->n_images == 0)
        return nn_fail(err, NN_E_CONFIG, "ocr: no image given (nntrain --help)");
    return NN_OK;
}

int nn_cmd_ocr(int argc, char **argv, nn_error *err)
{
    const char **images = calloc((size_t)argc, sizeof *images);
    nn_ocr_options o;
    int rc = images ? parse(argc, argv, &o, images, err) : nn_fail(err, NN_E_NOMEM, "out of memory");
    if (!rc)
        rc = nn_ocr_main(&o, stdout, err);
    fflush(stdout);
    nn_tools_report(rc, 0, err);
    free(images);
    return rc;
}
