/* Scoring OCR text: edit distance, the transcript format, character
 * accuracy without spaces and unknown characters, line and word counts. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"
#include "nn/ocr.h"
#include "testutil.h"

START_TEST(test_edit_distance)
{
    ck_assert_int_eq(nn_edit_distance("", ""), 0);
    ck_assert_int_eq(nn_edit_distance("ABC", ""), 3);
    ck_assert_int_eq(nn_edit_distance("", "AB"), 2);
    ck_assert_int_eq(nn_edit_distance("KITTEN", "SITTING"), 3);
    ck_assert_int_eq(nn_edit_distance("TQJQLIST", "TODOLIST"), 3);
    ck_assert_int_eq(nn_edit_distance("ABCD", "ACD"), 1);
}
END_TEST

static const char transcript[] = "# comment\n"
                                 "\n"
                                 "[01_list.jpg]\n"
                                 "TO DO LIST\n"
                                 "1. MAKE A LIST  \n"
                                 "[other.jpg]\r\n"
                                 "ABC\r\n";

START_TEST(test_transcript)
{
    const char *path = nn_test_path("truth.txt");
    ck_assert_int_eq(nn_test_write_file(path, transcript, strlen(transcript)), 0);
    char *t = NULL;
    nn_error err = { 0 };
    ck_assert_int_eq(nn_truth_read(path, "/some/folder/01_list.jpg", &t, &err), NN_OK);
    ck_assert_str_eq(t, "TO DO LIST\n1. MAKE A LIST");
    free(t);
    ck_assert_int_eq(nn_truth_read(path, "other.jpg", &t, &err), NN_OK);
    ck_assert_str_eq(t, "ABC");
    free(t);
    ck_assert_int_eq(nn_truth_read(path, "missing.jpg", &t, &err), NN_OK);
    ck_assert_ptr_null(t);
    ck_assert_int_ne(nn_truth_read(nn_test_path("no_truth.txt"), "x.jpg", &t, &err), NN_OK);
    ck_assert_msg(strstr(err.msg, "no_truth.txt"), "%s", err.msg);
}
END_TEST

START_TEST(test_score)
{
    const char *keep = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    nn_ocr_score s;
    /* the homework's own result */
    nn_ocr_score_text("TQ JQ LIST", "TO DO LIST", keep, &s);
    ck_assert_int_eq(s.edits, 3);
    ck_assert_int_eq(s.length, 8);
    ck_assert_double_eq_tol(s.accuracy, 0.625, 1e-12);
    ck_assert(s.lines == 1 && s.lines_expected == 1 && s.words == 3 && s.words_expected == 3);
    /* periods are not a class: dropped from the expected text; spaces and
     * line breaks do not count as characters */
    nn_ocr_score_text("1 MAKEA\nLIST", "1. MAKE A\nLIST", keep, &s);
    ck_assert_int_eq(s.edits, 0);
    ck_assert_int_eq(s.length, 10);
    ck_assert_double_eq(s.accuracy, 1.0);
    ck_assert_int_eq(s.lines, 2);
    ck_assert_int_eq(s.words, 3);
    ck_assert_int_eq(s.words_expected, 4); /* "1." is a word */
    nn_ocr_score_text("AB\nCD\nEF", "ABCDEF", keep, &s);
    ck_assert(s.accuracy == 1.0 && s.lines == 3 && s.lines_expected == 1);
    nn_ocr_score_text("", "AB", keep, &s);
    ck_assert(s.edits == 2 && s.accuracy == 0.0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ocr_text");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, test_edit_distance);
    tcase_add_test(tc, test_transcript);
    tcase_add_test(tc, test_score);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
