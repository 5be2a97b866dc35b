/* [train] target: the default, input with mse, and its errors as
 * "file:line: message" (a bad value, target = input without loss = mse,
 * from the file and from --set); the resolved config keeps it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/config.h"
#include "testutil.h"

static char text[1024];

/* A config with the train section's extra lines (line 4 onwards). */
static const char *config(const char *train_lines)
{
    snprintf(text, sizeof text,
             "[data]\n"
             "train = %s\n"
             "[train]\n"
             "%s"
             "[out]\n"
             "type = dense\n"
             "units = 6\n"
             "activation = sigmoid\n",
             nn_test_path("train.mat"), train_lines);
    return text;
}

static int parse(const char *t, const char *const *ov, int n, nn_config *cfg, nn_error *err)
{
    nn_error_clear(err);
    return nn_config_parse(cfg, "ae.ini", t, ov, n, err);
}

static void setup(void)
{
    ck_assert_int_eq(nn_test_write_file(nn_test_path("train.mat"), "x", 1), 0);
}

START_TEST(target_defaults_to_labels)
{
    setup();
    nn_config *cfg = malloc(sizeof *cfg);
    nn_error err;
    ck_assert_msg(parse(config("loss = mse\n"), NULL, 0, cfg, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(cfg->train.target, NN_TARGET_LABELS);
    nn_config_free(cfg);
    free(cfg);
}
END_TEST

START_TEST(target_input_with_mse)
{
    setup();
    nn_config *cfg = malloc(sizeof *cfg), *again = malloc(sizeof *again);
    nn_error err;
    ck_assert_msg(parse(config("target = input\nloss = mse\n"), NULL, 0, cfg, &err) == NN_OK, "%s",
                  err.msg);
    ck_assert_int_eq(cfg->train.target, NN_TARGET_INPUT);
    char *resolved = NULL;
    ck_assert_int_eq(nn_config_resolved(cfg, &resolved, &err), NN_OK);
    ck_assert_ptr_nonnull(strstr(resolved, "target = input\n"));
    ck_assert_msg(parse(resolved, NULL, 0, again, &err) == NN_OK, "%s", err.msg);
    ck_assert_int_eq(again->train.target, NN_TARGET_INPUT);
    free(resolved);
    nn_config_free(cfg);
    nn_config_free(again);
    free(cfg);
    free(again);
}
END_TEST

static void expect_error(const char *t, const char *const *ov, int n, const char *want)
{
    nn_config *cfg = malloc(sizeof *cfg);
    nn_error err;
    ck_assert_int_eq(parse(t, ov, n, cfg, &err), NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, want), "expected '%s' in '%s'", want, err.msg);
    nn_config_free(cfg);
    free(cfg);
}

START_TEST(target_errors_name_the_line)
{
    setup();
    expect_error(
        config("loss = mse\ntarget = inptu\n"), NULL, 0,
        "ae.ini:5: [train] target = inptu: must be labels or input (did you mean 'input'?)");
    expect_error(config("target = input\n"), NULL, 0,
                 "ae.ini:4: [train] target = input needs loss = mse");
    expect_error(config("loss = cross_entropy\n\ntarget = input\n"), NULL, 0,
                 "ae.ini:6: [train] target = input needs loss = mse");
    const char *ov[1] = { "train.target=input" };
    expect_error(config(""), ov, 1, "--set train.target=input: [train] target = input needs");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config_target");
    TCase *tc = tcase_create("target");
    tcase_add_test(tc, target_defaults_to_labels);
    tcase_add_test(tc, target_input_with_mse);
    tcase_add_test(tc, target_errors_name_the_line);
    suite_add_tcase(s, tc);
    return nn_test_run_suite(s);
}
