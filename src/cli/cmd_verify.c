/* nntrain verify CHECKPOINT.h5 ...: read every tensor of each checkpoint
 * with its checksum checked, and the format attributes; one line per file.
 * Runs without MPI. */
#include <stdio.h>
#include <string.h>

#include "nn/checkpoint.h"
#include "cli/tools.h"

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

int nn_cmd_verify(int argc, char **argv, nn_error *err)
{
    int n = 0, bad = 0, worst = NN_OK;
    for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '-' && argv[i][1]) {
            nn_fail(err, NN_E_CONFIG, "verify: unknown option '%s' (nntrain --help)", argv[i]);
            nn_tools_report(NN_E_CONFIG, 0, err);
            return NN_E_CONFIG;
        }
    }
    for (int i = 1; i < argc; ++i, ++n) {
        int rc = verify_one(argv[i]);
        if (rc) {
            bad++;
            worst = rc == NN_E_NOMEM || worst == NN_E_NOMEM ? NN_E_NOMEM : NN_E_FORMAT;
        }
    }
    fflush(stdout);
    if (n == 0) {
        nn_fail(err, NN_E_CONFIG, "verify: no checkpoint given (nntrain --help)");
        nn_tools_report(NN_E_CONFIG, 0, err);
        return NN_E_CONFIG;
    }
    if (bad && n > 1)
        fprintf(stderr, "nntrain verify: %d of %d checkpoint(s) failed\n", bad, n);
    /* each failure is already on its own line: nothing more for main to print */
    err->msg[0] = '\0';
    return worst;
}
