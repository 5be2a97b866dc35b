#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

const char *nn_test_tmpdir(void)
{
    const char *d = getenv("NN_TEST_TMP");
    return (d && *d) ? d : "/tmp";
}

const char *nn_test_path(const char *name)
{
    static char bufs[8][4096];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", nn_test_tmpdir(), name);
    return b;
}

const char *nn_test_data_root(const char *test_name)
{
    const char *d = getenv("NNTRAIN_DATA");
    if (!d || !*d) {
        printf("SKIPPED %s: NNTRAIN_DATA is not set (point it at the shared data folder)\n",
               test_name);
        return NULL;
    }
    return d;
}

int nn_test_write_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(bytes, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

int nn_test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
