/* nntrain verify CHECKPOINT.h5 ...: read every tensor of each checkpoint
 * with its checksum checked, and the format attributes; one line per file.
 * Runs without MPI. */
#include <stdio.h>

#include "nn/checkpoint.h"
#include "cli/tools.h"

typedef struct verify_options {
    const char *const *files;
    int n;
} verify_options;

/* One file: "PATH: OK (...)" on stdout, or what is damaged on stderr. */
static int verify_one(const char *path)
{
    nn_checkpoint_info info;
    nn_error err = { 0 };
    int rc = nn_checkpoint_verify(path, &info, &err);
    if (rc) {
        fprintf(stderr, "%s\n", err.msg);
        return rc;
    }
    const char *note = nn_checkpoint_version_note(info.format_version);
    printf("%s: OK (%d tensors, epoch %lld, step %lld)%s%s\n", path, info.n_tensors,
           (long long)info.epoch, (long long)info.step, note ? "; " : "", note ? note : "");
    return NN_OK;
}

static int run(const void *opts, const nn_dist *dist, nn_error *err)
{
    const verify_options *o = opts;
    (void)dist;
    int bad = 0, worst = NN_OK;
    for (int i = 0; i < o->n; ++i) {
        int rc = verify_one(o->files[i]);
        if (rc) {
            bad++;
            worst = rc == NN_E_NOMEM || worst == NN_E_NOMEM ? NN_E_NOMEM : NN_E_FORMAT;
        }
    }
    fflush(stdout);
    if (bad && o->n > 1)
        fprintf(stderr, "nntrain verify: %d of %d checkpoint(s) failed\n", bad, o->n);
    /* each failure is already on its own line: nothing more for main to print */
    err->msg[0] = '\0';
    return worst;
}

int nn_cmd_verify(const nn_command *cmd, int argc, char **argv, nn_error *err)
{
    verify_options o = { 0 };
    const nn_cli c = { .cmd = cmd, .rest = &o.files, .n_rest = &o.n };
    return nn_cli_run(&c, argc, argv, run, &o, err);
}
