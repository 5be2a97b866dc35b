/* Small helpers shared by the Check unit tests. */
#ifndef NN_TESTUTIL_H
#define NN_TESTUTIL_H

#include <stddef.h>

/* Scratch folder for files a test generates (NN_TEST_TMP, else /tmp). */
const char *nn_test_tmpdir(void);
/* "<tmpdir>/<name>" in a static rotating buffer. */
const char *nn_test_path(const char *name);
/* Data root (NNTRAIN_DATA) or NULL; prints why a test is skipped when NULL. */
const char *nn_test_data_root(const char *test_name);
/* Write bytes to a file; returns 0 on success. */
int nn_test_write_file(const char *path, const void *bytes, size_t n);
/* Run a suite with CK_NORMAL output; returns the process exit status. */
struct Suite;
int nn_test_run_suite(struct Suite *s);

#endif
