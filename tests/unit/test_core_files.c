/* nn_read_file, the whole-file reader of the photo and page readers: the
 * bytes as written, and each refusal with the path and what is wrong. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/core.h"
#include "testutil.h"

static void expect_refused(const char *path, size_t max, int code, const char *msg)
{
    nn_error err = { 0 };
    uint8_t *buf = (uint8_t *)1;
    size_t n = 7;
    ck_assert_int_eq(nn_read_file(path, max, "a photo", &buf, &n, &err), code);
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(n, 0);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, msg), "message '%s' lacks '%s'", err.msg,
                  msg);
}

START_TEST(reads_whole_file)
{
    uint8_t bytes[3001];
    for (size_t i = 0; i < sizeof bytes; ++i)
        bytes[i] = (uint8_t)(i * 7 + 1);
    const char *p = nn_test_path("whole.bin");
    ck_assert_int_eq(nn_test_write_file(p, bytes, sizeof bytes), 0);
    nn_error err = { 0 };
    uint8_t *buf = NULL;
    size_t n = 0;
    ck_assert_int_eq(nn_read_file(p, sizeof bytes, "a photo", &buf, &n, &err), NN_OK);
    ck_assert_uint_eq(n, sizeof bytes);
    ck_assert_mem_eq(buf, bytes, n);
    free(buf);
    /* one byte over the limit */
    expect_refused(p, sizeof bytes - 1, NN_E_FORMAT, "3001 bytes is too large for a photo");
}
END_TEST

START_TEST(refuses_empty_missing_folder)
{
    const char *empty = nn_test_path("empty.jpg");
    ck_assert_int_eq(nn_test_write_file(empty, "", 0), 0);
    expect_refused(empty, 100, NN_E_FORMAT, "empty file, not a photo");
    expect_refused(nn_test_path("absent.jpg"), 100, NN_E_IO, "No such file");
    const char *dir = nn_test_path("a_folder.jpg");
    mkdir(dir, 0755);
    expect_refused(dir, 100, NN_E_IO, "not a regular file");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("files");
    TCase *tc = tcase_create("read_file");
    tcase_add_test(tc, reads_whole_file);
    tcase_add_test(tc, refuses_empty_missing_folder);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
