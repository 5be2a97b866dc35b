/* Small helpers shared by the Check unit tests. */
#ifndef NN_TESTUTIL_H
#define NN_TESTUTIL_H

#include <stddef.h>

/* Scratch folder for files a test generates (NN_TEST_TMP, else /tmp). */
const char *nn_test_tmpdir(void);
/* "<tmpdir>/<name>" in a static rotating buffer. */
const char *nn_test_path(const char *name);
/* Write bytes to a file; returns 0 on success. */
int nn_test_write_file(const char *path, const void *bytes, size_t n);

/* Skips. Check has no skip status, so a case that cannot check what its
 * name says calls nn_test_skip with the reason (name the missing file) and
 * returns. nn_test_run_suite counts those cases, lists them with their
 * reasons, and exits 77, CTest's skip status (tests/CMakeLists.txt), when
 * every case that ran was skipped. */
void nn_test_skip(const char *case_name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One part of a case could not be checked; the case goes on with the rest
 * and counts as run. Listed with the skipped cases. */
void nn_test_skip_part(const char *case_name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A real data file under $NNTRAIN_DATA: the first of the alternative
 * relative names (NULL-terminated; e.g. "x.gz", "x" for a file that may be
 * stored either way) that exists, in a static rotating buffer. NULL after
 * nn_test_skip naming the file when none exists or NNTRAIN_DATA is not set.
 * Cases that read real data go in a tcase made by nn_test_data_tcase. */
const char *nn_test_data_file(const char *case_name, const char *rel, ...)
    __attribute__((sentinel));
/* Data root (NNTRAIN_DATA) or NULL after nn_test_skip. */
const char *nn_test_data_root(const char *case_name);

struct Suite;
struct TCase;
/* A tcase of cases that need real data, tagged "data". tests/CMakeLists.txt
 * finds each nn_test_data_tcase(s, "<name>") call in a test's source and
 * registers it as its own CTest test, <program>_<name> (CK_RUN_CASE), so that
 * a missing data set shows as a skipped test; the program's own test runs
 * everything else (CK_EXCLUDE_TAGS=data). Keep the name a literal. */
struct TCase *nn_test_data_tcase(struct Suite *s, const char *name);
/* Run a suite with CK_NORMAL output; returns the process exit status:
 * 0 when every case passed (some may have skipped parts or been skipped,
 * as listed), 77 when every case was skipped, 1 on any failure or when no
 * case ran at all. */
int nn_test_run_suite(struct Suite *s);

#endif
