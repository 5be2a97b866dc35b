#include "testutil.h"

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int nn_test_write_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(bytes, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

/* ---- skips ------------------------------------------------------------------ */

/* Check runs each case in a child process, so skips are written as lines
 * "<S|P>\t<case>\t<reason>\n" to an unlinked file the runner opened before
 * forking (one write(2) per line, appended), and read back after the run.
 * -1 outside nn_test_run_suite: the line is only printed. */
static int skip_fd = -1;

static void record_skip(char kind, const char *case_name, const char *fmt, va_list ap)
{
    char reason[1024], line[1400];
    vsnprintf(reason, sizeof reason, fmt, ap);
    for (char *c = reason; *c; c++) /* one line per record */
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    int n = snprintf(line, sizeof line, "%c\t%s\t%s\n", kind, case_name, reason);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    if (skip_fd < 0 || write(skip_fd, line, (size_t)n) != n)
        printf("SKIPPED %s%s: %s\n", kind == 'P' ? "part of " : "", case_name, reason);
}

void nn_test_skip(const char *case_name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record_skip('S', case_name, fmt, ap);
    va_end(ap);
}

void nn_test_skip_part(const char *case_name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record_skip('P', case_name, fmt, ap);
    va_end(ap);
}

const char *nn_test_data_root(const char *case_name)
{
    const char *d = getenv("NNTRAIN_DATA");
    if (!d || !*d) {
        nn_test_skip(case_name, "NNTRAIN_DATA is not set (point it at a data folder, "
                                "see data/README.md)");
        return NULL;
    }
    return d;
}

const char *nn_test_data_file(const char *case_name, const char *rel, ...)
{
    static char bufs[8][4096];
    static int next;
    const char *root = getenv("NNTRAIN_DATA");
    if (!root || !*root) {
        nn_test_skip(case_name, "needs $NNTRAIN_DATA/%s (NNTRAIN_DATA is not set)", rel);
        return NULL;
    }
    char *b = bufs[next++ % 8];
    char others[1024] = "";
    size_t used = 0;
    va_list ap;
    va_start(ap, rel);
    for (const char *r = rel; r; r = va_arg(ap, const char *)) {
        snprintf(b, sizeof bufs[0], "%s/%s", root, r);
        if (access(b, R_OK) == 0) {
            va_end(ap);
            return b;
        }
        if (r != rel && used < sizeof others) /* "(nor a, b)" */
            used += (size_t)snprintf(others + used, sizeof others - used, "%s%s",
                                     used ? ", " : " (nor ", r);
    }
    va_end(ap);
    nn_test_skip(case_name, "%s/%s not found%s%s", root, rel, others, used ? ")" : "");
    return NULL;
}

TCase *nn_test_data_tcase(Suite *s, const char *name)
{
    TCase *t = tcase_create(name);
    tcase_set_tags(t, "data");
    suite_add_tcase(s, t);
    return t;
}

/* Counts the cases skipped (kind 'S', each once) and prints every distinct
 * record; returns the number of skipped cases. */
static int report_skips(FILE *log)
{
    static char lines[256][1400];
    int n = 0, skipped = 0;
    char buf[1400];
    rewind(log);
    while (fgets(buf, sizeof buf, log) && n < 256) {
        int seen = 0;
        for (int i = 0; i < n && !seen; i++)
            seen = strcmp(lines[i], buf) == 0;
        if (seen)
            continue;
        snprintf(lines[n++], sizeof lines[0], "%s", buf);
    }
    for (int i = 0; i < n; i++) {
        char kind = lines[i][0];
        char *name = lines[i] + 2, *reason = strchr(name, '\t');
        if (!reason)
            continue;
        *reason++ = '\0';
        reason[strcspn(reason, "\n")] = '\0';
        int dup = 0; /* a case skipped twice counts once */
        for (int j = 0; j < i && kind == 'S'; j++)
            dup |= lines[j][0] == 'S' && strcmp(lines[j] + 2, name) == 0;
        if (kind == 'S' && !dup)
            skipped++;
        printf("SKIPPED %s%s: %s\n", kind == 'P' ? "part of " : "", name, reason);
    }
    return skipped;
}

int nn_test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    FILE *log = tmpfile();
    if (log) {
        skip_fd = fileno(log);
        fcntl(skip_fd, F_SETFL, fcntl(skip_fd, F_GETFL) | O_APPEND);
    }
    srunner_run_all(sr, CK_NORMAL);
    fflush(stdout);
    int run = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    int skipped = 0;
    if (log) {
        skipped = report_skips(log);
        fclose(log);
        skip_fd = -1;
    }
    int passed = run - skipped - failed;
    printf("cases: %d run, %d passed, %d skipped, %d failed\n", run, passed < 0 ? 0 : passed,
           skipped, failed);
    if (failed)
        return EXIT_FAILURE;
    if (run == 0) {
        printf("no case ran: check CK_RUN_CASE / CK_INCLUDE_TAGS\n");
        return EXIT_FAILURE;
    }
    return skipped == run ? 77 : EXIT_SUCCESS;
}
