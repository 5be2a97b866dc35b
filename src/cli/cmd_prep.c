/* nntrain prep CONFIG.ini [--set section.key=value ...]
 * Runs without MPI: one process builds the data set file. */
#include <stdio.h>
#include <string.h>

#include "nn/ocr.h"
#include "cli/tools.h"
#include "nn/dataset.h"

int nn_cmd_prep(int argc, char **argv, nn_error *err)
{
    const char *config = NULL, *overrides[NN_MAX_OVERRIDES];
    int n_overrides = 0, rc = NN_OK;
    for (int i = 1; i < argc && !rc; ++i) {
        if (strcmp(argv[i], "--set") == 0) {
            if (i + 1 >= argc)
                rc = nn_fail(err, NN_E_CONFIG, "prep: --set needs section.key=value");
            else if (n_overrides == NN_MAX_OVERRIDES)
                rc = nn_fail(err, NN_E_CONFIG, "prep: too many --set options");
            else
                overrides[n_overrides++] = argv[++i];
        } else if (strcmp(argv[i], "--help-config") == 0) {
            fputs(nn_prep_reference(), stdout);
            return NN_OK;
        } else if (argv[i][0] == '-') {
            rc = nn_fail(err, NN_E_CONFIG, "prep: unknown option '%s' (nntrain --help)", argv[i]);
        } else if (config) {
            rc = nn_fail(err, NN_E_CONFIG, "prep: more than one config given");
        } else {
            config = argv[i];
        }
    }
    if (!rc && !config)
        rc = nn_fail(err, NN_E_CONFIG, "prep: no config given (nntrain --help)");
    if (!rc)
        rc = nn_prep_main(config, overrides, n_overrides, stdout, err);
    nn_tools_report(rc, 0, err);
    return rc;
}
