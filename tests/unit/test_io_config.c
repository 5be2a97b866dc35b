/* The INI config reader: a full round trip, defaults, every error class with
 * its exact "file:line: message", overrides, ${VAR} expansion, reading files,
 * and docs/config.md == nn_config_reference(). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/config.h"
#include "nn/layer.h"
#include "testutil.h"

/* Data files the configs name: empty files are enough (only existence is checked). */
static const char *const data_files[] = {
    "train.mat",
    "valid.mat",
    "test.mat",
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
    "fake_data/nist36/nist36_train.mat",
    "fake_data/nist36/nist36_valid.mat",
    "fake_data/nist36/nist36_test.mat",
};

static void make_data_files(void)
{
    mkdir(nn_test_path("fake_data"), 0755);
    mkdir(nn_test_path("fake_data/nist36"), 0755);
    mkdir(nn_test_path("afolder"), 0755);
    for (size_t i = 0; i < sizeof data_files / sizeof data_files[0]; i++)
        if (nn_test_write_file(nn_test_path(data_files[i]), "x", 1) != 0) {
            fprintf(stderr, "cannot write %s\n", nn_test_path(data_files[i]));
            exit(1);
        }
    setenv("NNT_DIR", nn_test_tmpdir(), 1);
    setenv("NNTRAIN_DATA", nn_test_path("fake_data"), 1);
    unsetenv("NNT_UNSET_VAR");
}

/* Parse text as "t.ini"; the config is heap-allocated (it is large). */
static nn_config *parse_as(const char *path, const char *text, const char *const *ov, int n,
                           int *rc, nn_error *err)
{
    nn_config *cfg = malloc(sizeof *cfg);
    ck_assert_ptr_nonnull(cfg);
    nn_error_clear(err);
    *rc = nn_config_parse(cfg, path, text, ov, n, err);
    return cfg;
}

static nn_config *parse_ok(const char *path, const char *text, const char *const *ov, int n)
{
    nn_error err;
    int rc;
    nn_config *cfg = parse_as(path, text, ov, n, &rc, &err);
    ck_assert_msg(rc == NN_OK, "parse failed: %s", err.msg);
    return cfg;
}

static void drop(nn_config *cfg)
{
    nn_config_free(cfg);
    free(cfg);
}

/* a and b hold the same values (their arrays compared element by element). */
static void check_same(const nn_config *a, const nn_config *b)
{
    nn_data_config da = a->data, db = b->data;
    ck_assert_int_eq(da.n_class_names, db.n_class_names);
    for (int k = 0; k < da.n_class_names; k++)
        ck_assert_str_eq(da.class_names[k], db.class_names[k]);
    da.class_names = db.class_names = NULL;
    ck_assert(memcmp(&da, &db, sizeof da) == 0);
    nn_train_config ta = a->train, tb = b->train;
    ck_assert_int_eq(ta.n_freeze, tb.n_freeze);
    for (int k = 0; k < ta.n_freeze; k++)
        ck_assert_int_eq(ta.freeze_index[k], tb.freeze_index[k]);
    ta.freeze_index = tb.freeze_index = NULL;
    ck_assert(memcmp(&ta, &tb, sizeof ta) == 0);
    ck_assert_int_eq(a->n_layers, b->n_layers);
    for (int i = 0; i < a->n_layers; i++) {
        nn_layer_config la = a->layers[i], lb = b->layers[i];
        lb.line = la.line;
        ck_assert(memcmp(&la, &lb, sizeof la) == 0);
    }
}

static void expect_error(const char *text, const char *const *ov, int n, const char *want)
{
    nn_error err;
    int rc;
    nn_config *cfg = parse_as("t.ini", text, ov, n, &rc, &err);
    ck_assert_int_eq(rc, NN_E_CONFIG);
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(cfg->text);
    drop(cfg);
}

/* 1-based line of the first line starting with s. */
static int line_of(const char *text, const char *s)
{
    int line = 1;
    for (const char *p = text; *p; line++) {
        if (strncmp(p, s, strlen(s)) == 0)
            return line;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    return -1;
}

#define DATA "[data]\ntrain = ${NNT_DIR}/train.mat\n" /* lines 1-2 */
#define OUT  "[out]\ntype = dense\nunits = 10\n"      /* 3 lines */

/* ---- valid configs -------------------------------------------------------- */

static const char full_text[] =
    "; every key, with non-default values\n"
    "# (comments of both kinds)\n"
    "[data]\n"
    "format = idx\n"
    "train = ${NNT_DIR}/train-images-idx3-ubyte\n"
    "train_labels = ${NNT_DIR}/train-labels-idx1-ubyte\n"
    "test = ${NNT_DIR}/t10k-images-idx3-ubyte\r\n" /* CRLF line end */
    "test_labels = ${NNT_DIR}/t10k-labels-idx1-ubyte\n"
    "valid_fraction = 0.2\n"
    "transpose = yes\n"
    "invert = on\n"
    "classes = zero, one, two ,three\n"
    "\n"
    "[train]\n"
    "epochs = 50        ; inline comment\n"
    "batch_size = 64    # inline comment\n"
    "loss = mse\n"
    "optimizer = adam\n"
    "lr = 0.001\n"
    "momentum = 0.5\n"
    "beta1 = 0.8\n"
    "beta2 = 0.99\n"
    "eps = 1e-7\n"
    "weight_decay = 5e-4\n"
    "schedule = step\n"
    "step_epochs = 20\n"
    "gamma = 0.5\n"
    "min_lr = 1e-5\n"
    "seed = 18446744073709551615\n"
    "threads = 4\n"
    "checkpoint_every = 5\n"
    "out = /tmp/myrun\n"
    "shuffle = false\n"
    "\n"
    "[hidden]\n"
    "  type = dense\n" /* indented keys are keys, not continuation lines */
    "  units = 64\n"
    "  activation = sigmoid\n"
    "  init = he\n"
    "[skip_1]\n"
    "type = dense\n"
    "units = 32\n"
    "activation = relu\n"
    "input = input\n"
    "init = zeros\n"
    "[out-put]\n"
    "type = dense\n"
    "units = 4\n"
    "activation = softmax\n"
    "input = hidden\n";

static void check_full(const nn_config *c)
{
    char p[4][4096];
    snprintf(p[0], sizeof p[0], "%s/train-images-idx3-ubyte", nn_test_tmpdir());
    snprintf(p[1], sizeof p[1], "%s/train-labels-idx1-ubyte", nn_test_tmpdir());
    snprintf(p[2], sizeof p[2], "%s/t10k-images-idx3-ubyte", nn_test_tmpdir());
    snprintf(p[3], sizeof p[3], "%s/t10k-labels-idx1-ubyte", nn_test_tmpdir());
    const nn_data_config *d = &c->data;
    ck_assert_int_eq(d->format, NN_FORMAT_IDX);
    ck_assert_str_eq(d->train, p[0]);
    ck_assert_str_eq(d->train_labels, p[1]);
    ck_assert_str_eq(d->valid, "");
    ck_assert_str_eq(d->valid_labels, "");
    ck_assert_str_eq(d->test, p[2]);
    ck_assert_str_eq(d->test_labels, p[3]);
    ck_assert_double_eq(d->valid_fraction, 0.2);
    ck_assert_int_eq(d->transpose, 1);
    ck_assert_int_eq(d->invert, 1);
    ck_assert_int_eq(d->n_class_names, 4);
    ck_assert_str_eq(d->class_names[0], "zero");
    ck_assert_str_eq(d->class_names[1], "one");
    ck_assert_str_eq(d->class_names[2], "two");
    ck_assert_str_eq(d->class_names[3], "three");

    const nn_train_config *t = &c->train;
    ck_assert_int_eq(t->epochs, 50);
    ck_assert_int_eq(t->batch_size, 64);
    ck_assert_int_eq(t->loss, NN_LOSS_MSE);
    ck_assert_int_eq(t->optimizer, NN_OPT_ADAM);
    ck_assert_double_eq(t->lr, 0.001);
    ck_assert_double_eq(t->momentum, 0.5);
    ck_assert_double_eq(t->beta1, 0.8);
    ck_assert_double_eq(t->beta2, 0.99);
    ck_assert_double_eq(t->eps, 1e-7);
    ck_assert_double_eq(t->weight_decay, 5e-4);
    ck_assert_int_eq(t->schedule, NN_SCHED_STEP);
    ck_assert_int_eq(t->step_epochs, 20);
    ck_assert_double_eq(t->gamma, 0.5);
    ck_assert_double_eq(t->min_lr, 1e-5);
    ck_assert(t->seed == UINT64_MAX);
    ck_assert_int_eq(t->threads, 4);
    ck_assert_int_eq(t->checkpoint_every, 5);
    ck_assert_str_eq(t->out, "/tmp/myrun");
    ck_assert_int_eq(t->shuffle, 0);

    ck_assert_int_eq(c->n_layers, 3);
    const nn_layer_config *h = &c->layers[0], *s = &c->layers[1], *o = &c->layers[2];
    ck_assert_str_eq(h->name, "hidden");
    ck_assert_str_eq(h->type, "dense");
    ck_assert_int_eq(h->units, 64);
    ck_assert_int_eq(h->activation, NN_ACT_SIGMOID);
    ck_assert_int_eq(h->init, NN_INIT_HE);
    ck_assert_str_eq(h->input, "");
    ck_assert_int_eq(h->input_index[0], -1);
    ck_assert_int_eq(h->n_inputs, 1);
    ck_assert_str_eq(s->name, "skip_1");
    ck_assert_int_eq(s->units, 32);
    ck_assert_int_eq(s->activation, NN_ACT_RELU);
    ck_assert_int_eq(s->init, NN_INIT_ZEROS);
    ck_assert_str_eq(s->input, "");
    ck_assert_int_eq(s->input_index[0], -1);
    ck_assert_str_eq(o->name, "out-put");
    ck_assert_int_eq(o->units, 4);
    ck_assert_int_eq(o->activation, NN_ACT_SOFTMAX);
    ck_assert_int_eq(o->init, NN_INIT_XAVIER);
    ck_assert_str_eq(o->input, "hidden");
    ck_assert_int_eq(o->input_index[0], 0);
    ck_assert_int_eq(o->n_inputs, 1);
}

START_TEST(test_full_config)
{
    nn_config *c = parse_ok("jobs/full.ini", full_text, NULL, 0);
    check_full(c);
    ck_assert_str_eq(c->path, "jobs/full.ini");
    ck_assert_int_eq(c->layers[0].line, line_of(full_text, "[hidden]"));
    ck_assert_int_eq(c->layers[1].line, line_of(full_text, "[skip_1]"));
    ck_assert_int_eq(c->layers[2].line, line_of(full_text, "[out-put]"));
    ck_assert_ptr_nonnull(c->text);
    ck_assert_ptr_ne(c->text, full_text);
    ck_assert_str_eq(c->text, full_text);
    drop(c);
}
END_TEST

/* The homework MLP, as the trainer will run it: defaults fill the rest. */
static const char homework_text[] = "[data]\n"
                                    "train = ${NNTRAIN_DATA}/nist36/nist36_train.mat\n"
                                    "valid = ${NNTRAIN_DATA}/nist36/nist36_valid.mat\n"
                                    "test  = ${NNTRAIN_DATA}/nist36/nist36_test.mat\n"
                                    "\n"
                                    "[train]\n"
                                    "epochs = 50\n"
                                    "batch_size = 32\n"
                                    "lr = 0.01\n"
                                    "optimizer = sgd\n"
                                    "loss = cross_entropy\n"
                                    "seed = 1\n"
                                    "\n"
                                    "[hidden]\n"
                                    "type = dense\n"
                                    "units = 64\n"
                                    "activation = sigmoid\n"
                                    "init = xavier\n"
                                    "\n"
                                    "[output]\n"
                                    "type = dense\n"
                                    "units = 36\n"
                                    "activation = softmax\n";

START_TEST(test_homework_defaults)
{
    nn_config *c = parse_ok("jobs/mlp_nist36.ini", homework_text, NULL, 0);
    char want[4096];
    snprintf(want, sizeof want, "%s/nist36/nist36_valid.mat", nn_test_path("fake_data"));
    ck_assert_str_eq(c->data.valid, want);
    ck_assert_int_eq(c->data.format, NN_FORMAT_MAT); /* auto: .mat suffix */
    ck_assert_str_eq(c->data.train_labels, "");
    ck_assert_double_eq(c->data.valid_fraction, 0.1);
    ck_assert_int_eq(c->data.transpose, 0);
    ck_assert_int_eq(c->data.invert, 0);
    ck_assert_int_eq(c->data.n_class_names, 0);
    ck_assert_int_eq(c->train.epochs, 50);
    ck_assert_double_eq(c->train.momentum, 0.9);
    ck_assert_double_eq(c->train.beta1, 0.9);
    ck_assert_double_eq(c->train.beta2, 0.999);
    ck_assert_double_eq(c->train.eps, 1e-8);
    ck_assert_double_eq(c->train.weight_decay, 0);
    ck_assert_int_eq(c->train.schedule, NN_SCHED_CONSTANT);
    ck_assert_int_eq(c->train.step_epochs, 10);
    ck_assert_double_eq(c->train.gamma, 0.1);
    ck_assert_double_eq(c->train.min_lr, 0);
    ck_assert(c->train.seed == 1);
    ck_assert_int_eq(c->train.threads, 0);
    ck_assert_int_eq(c->train.checkpoint_every, 1);
    ck_assert_int_eq(c->train.keep_checkpoints, 2);
    ck_assert_str_eq(c->train.out, "runs/mlp_nist36");
    ck_assert_int_eq(c->train.shuffle, 1);
    ck_assert_int_eq(c->n_layers, 2);
    ck_assert_int_eq(c->layers[0].line, 14);
    ck_assert_int_eq(c->layers[0].input_index[0], -1);
    ck_assert_str_eq(c->layers[1].input, "hidden");
    ck_assert_int_eq(c->layers[1].input_index[0], 0);
    ck_assert_int_eq(c->layers[1].init, NN_INIT_XAVIER);
    drop(c);
}
END_TEST

START_TEST(test_minimal_defaults)
{
    /* No [train] at all; out from a path without folder or .ini. */
    nn_config *c = parse_ok("plain", DATA OUT, NULL, 0);
    ck_assert_int_eq(c->train.epochs, 10);
    ck_assert_int_eq(c->train.batch_size, 32);
    ck_assert_int_eq(c->train.loss, NN_LOSS_CROSS_ENTROPY);
    ck_assert_int_eq(c->train.optimizer, NN_OPT_SGD);
    ck_assert_double_eq(c->train.lr, 0.01);
    ck_assert_str_eq(c->train.out, "runs/plain");
    ck_assert_int_eq(c->layers[0].activation, NN_ACT_LINEAR);
    ck_assert_int_eq(c->layers[0].line, 3);
    ck_assert_int_eq(c->data.share, NN_SHARE_AUTO); /* one copy per host when it helps */
    drop(c);
}
END_TEST

START_TEST(test_resolved_round_trip)
{
    nn_config *a = parse_ok("jobs/full.ini", full_text, NULL, 0);
    char *text = NULL;
    nn_error err;
    ck_assert_int_eq(nn_config_resolved(a, &text, &err), NN_OK);
    nn_config *b = parse_ok("jobs/full.ini", text, NULL, 0);
    check_full(b);
    check_same(a, b);
    ck_assert_ptr_nonnull(strstr(text, "\n[skip_1]\ntype = dense\ninput = input\n"));
    ck_assert_ptr_nonnull(strstr(text, "classes = zero, one, two, three\n"));
    free(text);
    drop(a);
    drop(b);
}
END_TEST

/* Found by tests/fuzz/fuzz_io_config: the resolved text of a config with a
 * validation FILE wrote valid_fraction back, which the parser rejects next to
 * `valid`, so checkpoints of such runs could not be evaluated. */
START_TEST(test_resolved_with_valid_file_reparses)
{
    static nn_config a, b;
    const char *text = "[data]\ntrain = t.mat\nvalid = v.mat\n[train]\nlr = 0.01\n"
                       "[out]\ntype = dense\nunits = 3\n";
    nn_error err;
    ck_assert_int_eq(
        nn_config_parse_flags(&a, "v.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err), NN_OK);
    char *resolved = NULL;
    ck_assert_int_eq(nn_config_resolved(&a, &resolved, &err), NN_OK);
    ck_assert_ptr_null(strstr(resolved, "valid_fraction"));
    ck_assert_ptr_nonnull(strstr(resolved, "\nlr = 0.01\n")); /* shortest exact form */
    ck_assert_msg(nn_config_parse_flags(&b, "r.ini", resolved, NULL, 0, NN_CONFIG_NO_FILE_CHECK,
                                        &err) == NN_OK,
                  "%s", err.msg);
    ck_assert_str_eq(b.data.valid, "v.mat");
    free(resolved);
    nn_config_free(&a);
    nn_config_free(&b);
}
END_TEST

/* Also found by the fuzzer: a class name holding '#' became a comment when the
 * resolved config was read back. */
START_TEST(test_class_name_with_comment_char)
{
    static nn_config a;
    nn_error err;
    const char *text = "[data]\ntrain = t.mat\nclasses = A,# B\n[out]\ntype = dense\nunits = 2\n";
    ck_assert_int_eq(
        nn_config_parse_flags(&a, "c.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err),
        NN_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "c.ini:3: "));
    ck_assert_ptr_nonnull(strstr(err.msg, "contains '#'"));
    /* and a value that starts with a comment character is a comment */
    const char *text2 = "[data]\ntrain = t.mat\ntest =; t2.mat\n[out]\ntype = dense\nunits = 2\n";
    ck_assert_int_eq(
        nn_config_parse_flags(&a, "c.ini", text2, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err),
        NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "c.ini:3: [data] test has no value") != NULL, "%s", err.msg);
}
END_TEST

/* Found by tests/fuzz/fuzz_io_config once it compared the re-parsed config
 * with the first: values that fit the file can outgrow inih's line limit or
 * turn into comments once written back ("key = value", ${VAR} expanded),
 * and then the checkpoint's config could not be read by eval, plot and ocr
 * (seen: a data folder of 180 characters). nn_config_parse refuses them up
 * front, at the key. */
START_TEST(test_values_that_cannot_be_written_back)
{
    static nn_config a, b;
    nn_error err;
    char dir[256], text[512];
    memset(dir, 'd', 190);
    dir[190] = '\0';
    setenv("NNT_LONG", dir, 1);
    snprintf(text, sizeof text, "[data]\ntrain = t.mat\n[train]\nout = ${NNT_LONG}/run\n" OUT);
    ck_assert_int_eq(
        nn_config_parse_flags(&a, "w.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err),
        NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "w.ini:4: [train] out: too long to store in checkpoints: "
                                  "'out = dddd") != NULL,
                  "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "is 200 characters on one line (at most 197)") != NULL, "%s",
                  err.msg);
    /* a list the parser respells longer ("a,b" -> "a, b"): a line of 195 characters */
    char list[256] = "";
    for (int i = 0; i < 47; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%sn%02d", i ? "," : "", i);
    snprintf(text, sizeof text,
             "[data]\ntrain = t.mat\nclasses=%s\n[out]\ntype = dense\n"
             "units = 2\n",
             list);
    ck_assert_int_eq(
        nn_config_parse_flags(&a, "w.ini", text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, &err),
        NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "w.ini:3: [data] classes: too long to store") != NULL, "%s",
                  err.msg);
    /* comment characters, line breaks and edge blanks from --set or ${VAR} */
    const char *ov[] = { "train.out=runs/a #1" };
    ck_assert_int_eq(nn_config_parse_flags(&a, "w.ini", "[data]\ntrain = t.mat\n" OUT, ov, 1,
                                           NN_CONFIG_NO_FILE_CHECK, &err),
                     NN_E_CONFIG);
    ck_assert_str_eq(err.msg, "--set train.out=runs/a #1: [train] out = 'runs/a #1' holds ';' or "
                              "'#' after a blank, which reads as a comment: checkpoints could "
                              "not store it");
    setenv("NNT_ODD", "x\ny", 1);
    ck_assert_int_eq(nn_config_parse_flags(&a, "w.ini", "[data]\ntrain = ${NNT_ODD}\n" OUT, NULL, 0,
                                           NN_CONFIG_NO_FILE_CHECK, &err),
                     NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "holds a line break") != NULL, "%s", err.msg);
    setenv("NNT_ODD", "t.mat ", 1);
    ck_assert_int_eq(nn_config_parse_flags(&a, "w.ini", "[data]\ntrain = ${NNT_ODD}\n" OUT, NULL, 0,
                                           NN_CONFIG_NO_FILE_CHECK, &err),
                     NN_E_CONFIG);
    ck_assert_msg(strstr(err.msg, "begins or ends with a blank") != NULL, "%s", err.msg);
    unsetenv("NNT_ODD");
    unsetenv("NNT_LONG");

    /* A long config path: the header comment of the resolved text is cut,
     * and the text parses again. */
    char path[400];
    memset(path, 'p', 300);
    strcpy(path + 300, ".ini");
    ck_assert_int_eq(nn_config_parse_flags(&a, path,
                                           "[data]\ntrain = t.mat\n[train]\nout = r\n" OUT, NULL, 0,
                                           NN_CONFIG_NO_FILE_CHECK, &err),
                     NN_OK);
    char *resolved = NULL;
    ck_assert_int_eq(nn_config_resolved(&a, &resolved, &err), NN_OK);
    ck_assert_msg(strncmp(resolved, "; ...ppp", 8) == 0, "%s", resolved);
    ck_assert_msg(nn_config_parse_flags(&b, "r.ini", resolved, NULL, 0, NN_CONFIG_NO_FILE_CHECK,
                                        &err) == NN_OK,
                  "%s", err.msg);
    free(resolved);
    nn_config_free(&a);
    nn_config_free(&b);
}
END_TEST

/* A config with a valid file, frozen layers and a multi-input layer parses
 * back from its resolved form (checkpoints store that form; the figure step
 * and `nntrain eval` read it again). */
START_TEST(test_resolved_round_trip_cnn)
{
    static const char text[] =
        "[data]\ntrain = ${NNT_DIR}/train.mat\nvalid = ${NNT_DIR}/valid.mat\n"
        "augment_rotate = 12.5\n[train]\nfreeze = c1, fc\ninit_from = ${NNT_DIR}/test.mat\n"
        "[c1]\ntype = conv\nfilters = 4\npadding = 1\nbias = no\n"
        "[c2]\ntype = conv\nfilters = 4\nsize = 1\n[sum]\ntype = add\ninput = c1,c2\n"
        "activation = relu\n[cat]\ntype = concat\ninput = sum, input\n"
        "[fc]\ntype = dense\nunits = 3\nactivation = softmax\n";
    nn_config *a = parse_ok("cnn.ini", text, NULL, 0);
    char *resolved = NULL;
    nn_error err;
    ck_assert_int_eq(nn_config_resolved(a, &resolved, &err), NN_OK);
    ck_assert_ptr_null(strstr(resolved, "valid_fraction"));
    ck_assert_ptr_nonnull(strstr(resolved, "\n[sum]\ntype = add\ninput = c1, c2\n"));
    ck_assert_ptr_nonnull(strstr(resolved, "\n[cat]\ntype = concat\ninput = sum, input\n"));
    nn_config *b = parse_ok("cnn.ini", resolved, NULL, 0);
    check_same(a, b);
    ck_assert_int_eq(b->train.n_freeze, 2);
    ck_assert_int_eq(b->train.freeze_index[0], 0);
    ck_assert_int_eq(b->train.freeze_index[1], 4);
    ck_assert_int_eq(b->layers[2].n_inputs, 2);
    ck_assert_int_eq(b->layers[3].input_index[1], -1);
    free(resolved);
    drop(a);
    drop(b);
}
END_TEST

/* A fire section becomes its four layers (squeeze, expand1x1, expand3x3 and
 * the concat named after the section), `input =` may name the module or a
 * part, freeze = <fire> freezes its convolutions, and the resolved config
 * writes the section back so that it parses to the same layers. */
START_TEST(test_fire_module)
{
    static const char text[] =
        DATA "[train]\nfreeze = f1, f2/expand3x3\n"
             "[c]\ntype = conv\nfilters = 4\n"
             "[f1]\ntype = fire\nsqueeze = 2\nexpand1x1 = 3\nexpand3x3 = 5\n"
             "[f2]\ntype = fire\ninput = f1\nsqueeze = 4\nexpand1x1 = 6\nexpand3x3 = 6\n"
             "[cat]\ntype = concat\ninput = f2, f1/squeeze\n"
             "[g]\ntype = global_avgpool\nactivation = softmax\n";
    const char *set[] = { "f2.squeeze=7" };
    nn_config *a = parse_ok("fire.ini", text, set, 1);
    ck_assert_int_eq(a->n_layers, 11);
    static const char *const names[] = {
        "c",          "f1/squeeze",   "f1/expand1x1", "f1/expand3x3", "f1",
        "f2/squeeze", "f2/expand1x1", "f2/expand3x3", "f2",           "cat",
        "g"
    };
    for (int i = 0; i < 11; i++)
        ck_assert_str_eq(a->layers[i].name, names[i]);
    const nn_layer_config *sq = &a->layers[1], *e1 = &a->layers[2], *e3 = &a->layers[3],
                          *out = &a->layers[4];
    ck_assert_str_eq(sq->type, "conv");
    ck_assert_int_eq(sq->filters, 2);
    ck_assert_int_eq(sq->size, 1);
    ck_assert_int_eq(sq->padding, 0);
    ck_assert_int_eq(sq->stride, 1);
    ck_assert_int_eq(sq->bias, 1);
    ck_assert_int_eq(sq->activation, NN_ACT_RELU);
    ck_assert_int_eq(sq->init, NN_INIT_HE);
    ck_assert_int_eq(sq->input_index[0], 0);
    ck_assert_int_eq(e1->filters, 3);
    ck_assert_int_eq(e1->size, 1);
    ck_assert_int_eq(e1->input_index[0], 1);
    ck_assert_int_eq(e3->filters, 5);
    ck_assert_int_eq(e3->size, 3);
    ck_assert_int_eq(e3->padding, 1);
    ck_assert_int_eq(e3->activation, NN_ACT_RELU);
    ck_assert_int_eq(e3->input_index[0], 1);
    ck_assert_str_eq(out->type, "concat");
    ck_assert_int_eq(out->n_inputs, 2);
    ck_assert_int_eq(out->input_index[0], 2); /* 1x1 channels first, as torchvision */
    ck_assert_int_eq(out->input_index[1], 3);
    ck_assert_str_eq(out->input, "f1/expand1x1, f1/expand3x3");
    ck_assert_int_eq(a->layers[5].input_index[0], 4); /* input = f1: the module's concat */
    ck_assert_int_eq(a->layers[5].filters, 7);        /* --set f2.squeeze=7 */
    ck_assert_int_eq(a->layers[9].input_index[0], 8);
    ck_assert_int_eq(a->layers[9].input_index[1], 1);
    ck_assert_int_eq(a->train.n_freeze, 4);
    ck_assert_int_eq(a->train.freeze_index[0], 1);
    ck_assert_int_eq(a->train.freeze_index[1], 2);
    ck_assert_int_eq(a->train.freeze_index[2], 3);
    ck_assert_int_eq(a->train.freeze_index[3], 7);
    char *resolved = NULL;
    nn_error err;
    ck_assert_int_eq(nn_config_resolved(a, &resolved, &err), NN_OK);
    ck_assert_ptr_nonnull(strstr(resolved, "\n[f1]\ntype = fire\ninput = c\nsqueeze = 2\n"
                                           "expand1x1 = 3\nexpand3x3 = 5\n"));
    ck_assert_ptr_nonnull(strstr(resolved, "\n[f2]\ntype = fire\ninput = f1\nsqueeze = 7\n"));
    ck_assert_ptr_null(strstr(resolved, "[f1/"));
    nn_config *b = parse_ok("fire.ini", resolved, NULL, 0);
    check_same(a, b);
    free(resolved);
    drop(a);
    drop(b);
}
END_TEST

/* ---- errors, each with its exact location --------------------------------- */

typedef struct {
    const char *text;
    const char *override; /* NULL: none */
    const char *want;
} error_case;

static const error_case error_cases[] = {
    /* keys */
    { DATA "[train]\nlrr = 0.1\n" OUT, NULL,
      "t.ini:4: unknown key 'lrr' in [train] (did you mean 'lr'?)" },
    { DATA "[train]\nlearning_rate = 0.1\n" OUT, NULL,
      "t.ini:4: unknown key 'learning_rate' in [train] (nntrain --help-config lists the keys)" },
    { DATA "trian_labels = x\n" OUT, NULL,
      "t.ini:3: unknown key 'trian_labels' in [data] (did you mean 'train_labels'?)" },
    { DATA "[out]\ntype = dense\nunit = 10\n", NULL,
      "t.ini:5: unknown key 'unit' in [out] (did you mean 'units'?)" },
    { DATA "[out]\ntype = dense\nunits = 10\nkernel = 3\n", NULL,
      "t.ini:6: unknown key 'kernel' in [out] (nntrain --help-config lists the keys)" },
    { DATA "[f]\ntype = fire\nsqueeze = 2\nexpand1x1 = 4\n" OUT, NULL,
      "t.ini:3: layer [f] (type fire) needs 'expand3x3 =' (output channels of the expand 3x3 "
      "convolution, padding 1 (`<name>/expand3x3`))" },
    { DATA "[f]\ntype = fire\nsqueeze = 2\nexpand1x1 = 4\nexpand3x3 = 4\nfilters = 3\n" OUT, NULL,
      "t.ini:8: unknown key 'filters' in [f]: it is a key of conv layers, and [f] is a fire "
      "layer" },
    { DATA "[f]\ntype = fire\nsqueeze = 0\nexpand1x1 = 4\nexpand3x3 = 4\n" OUT, NULL,
      "t.ini:5: [f] squeeze = 0: out of range: must be >= 1" },
    { DATA "[a]\ntype = conv\nfilters = 2\n[f]\ntype = fire\ninput = a, input\nsqueeze = 2\n"
           "expand1x1 = 4\nexpand3x3 = 4\n" OUT,
      NULL, "t.ini:8: [f] input = a, input: a fire module takes one input" },
    { DATA "[a_fire_module_whose_name_is_too_long_for_its_parts_xyz]\ntype = fire\nsqueeze = 2\n"
           "expand1x1 = 4\nexpand3x3 = 4\n" OUT,
      NULL,
      "t.ini:3: [a_fire_module_whose_name_is_too_long_for_its_parts_xyz] a fire section's "
      "name may have at most 53 characters (its layers are named <name>/expand3x3 ...)" },
    { DATA "[f]\ntype = fire\nsqueeze = 2\nexpand1x1 = 4\nexpand3x3 = 4\n[o]\ntype = dense\n"
           "units = 3\ninput = f/squeze\n",
      NULL, "t.ini:11: [o] input = f/squeze: no such layer (did you mean 'f/squeeze'?)" },
    /* values */
    { DATA "[train]\nepochs = ten\n" OUT, NULL, "t.ini:4: [train] epochs = ten: not an integer" },
    { DATA "[train]\nepochs = 3.5\n" OUT, NULL, "t.ini:4: [train] epochs = 3.5: not an integer" },
    { DATA "[train]\nepochs = 99999999999\n" OUT, NULL,
      "t.ini:4: [train] epochs = 99999999999: integer too large" },
    { DATA "[train]\nseed = -1\n" OUT, NULL,
      "t.ini:4: [train] seed = -1: not a non-negative integer" },
    { DATA "[train]\nlr = abc\n" OUT, NULL, "t.ini:4: [train] lr = abc: not a number" },
    { DATA "[train]\nlr = 0.1x\n" OUT, NULL, "t.ini:4: [train] lr = 0.1x: not a number" },
    { DATA "[train]\nlr = 1e999\n" OUT, NULL, "t.ini:4: [train] lr = 1e999: not a finite number" },
    { DATA "[train]\nlr = nan\n" OUT, NULL, "t.ini:4: [train] lr = nan: not a finite number" },
    { DATA "[train]\nlr =\n" OUT, NULL, "t.ini:4: [train] lr has no value" },
    { DATA "[train]\nshuffle = maybe\n" OUT, NULL,
      "t.ini:4: [train] shuffle = maybe: not a boolean (use true/false, yes/no, on/off or 1/0)" },
    { DATA "[train]\noptimizer = adamw\n" OUT, NULL,
      "t.ini:4: [train] optimizer = adamw: must be sgd, momentum or adam (did you mean 'adam'?)" },
    { DATA "[train]\nschedule = linear\n" OUT, NULL,
      "t.ini:4: [train] schedule = linear: must be constant, step or cosine" },
    { DATA "[out]\ntype = dense\nunits = 10\nactivation = sigmod\n", NULL,
      "t.ini:6: [out] activation = sigmod: must be linear, sigmoid, tanh, relu or softmax "
      "(did you mean 'sigmoid'?)" },
    { "[data]\ntrain = ${NNT_DIR}/train.mat\nclasses = a,,b\n" OUT, NULL,
      "t.ini:3: [data] classes = a,,b: empty name in the list (name 2)" },
    { "[data]\ntrain = ${NNT_DIR}/train.mat\nclasses = a, b, a\n" OUT, NULL,
      "t.ini:3: [data] classes = a, b, a: name 'a' appears twice" },
    /* ranges */
    { DATA "[train]\nepochs = 0\n" OUT, NULL,
      "t.ini:4: [train] epochs = 0: out of range: must be >= 1" },
    { DATA "[train]\nbatch_size = -3\n" OUT, NULL,
      "t.ini:4: [train] batch_size = -3: out of range: must be >= 1" },
    { DATA "[train]\nlr = 0\n" OUT, NULL, "t.ini:4: [train] lr = 0: out of range: must be > 0" },
    { DATA "[train]\nmomentum = 1\n" OUT, NULL,
      "t.ini:4: [train] momentum = 1: out of range: must be in [0, 1)" },
    { DATA "[train]\nbeta1 = -0.1\n" OUT, NULL,
      "t.ini:4: [train] beta1 = -0.1: out of range: must be in [0, 1)" },
    { DATA "[train]\nbeta2 = 1\n" OUT, NULL,
      "t.ini:4: [train] beta2 = 1: out of range: must be in [0, 1)" },
    { DATA "[train]\neps = 0\n" OUT, NULL, "t.ini:4: [train] eps = 0: out of range: must be > 0" },
    { DATA "[train]\nweight_decay = -1e-4\n" OUT, NULL,
      "t.ini:4: [train] weight_decay = -1e-4: out of range: must be >= 0" },
    { DATA "[train]\nstep_epochs = 0\n" OUT, NULL,
      "t.ini:4: [train] step_epochs = 0: out of range: must be >= 1" },
    { DATA "[train]\ngamma = 0\n" OUT, NULL,
      "t.ini:4: [train] gamma = 0: out of range: must be in (0, 1]" },
    { DATA "[train]\ngamma = 1.5\n" OUT, NULL,
      "t.ini:4: [train] gamma = 1.5: out of range: must be in (0, 1]" },
    { DATA "[train]\nmin_lr = -1\n" OUT, NULL,
      "t.ini:4: [train] min_lr = -1: out of range: must be >= 0" },
    { DATA "[train]\nthreads = -1\n" OUT, NULL,
      "t.ini:4: [train] threads = -1: out of range: must be >= 0" },
    { DATA "[train]\ncheckpoint_every = 0\n" OUT, NULL,
      "t.ini:4: [train] checkpoint_every = 0: out of range: must be >= 1" },
    { DATA "[train]\nkeep_checkpoints = 0\n" OUT, NULL,
      "t.ini:4: [train] keep_checkpoints = 0: out of range: must be in [1, 100]" },
    { DATA "valid_fraction = 1\n" OUT, NULL,
      "t.ini:3: [data] valid_fraction = 1: out of range: must be in [0, 1)" },
    { DATA "[out]\ntype = dense\nunits = 0\n", NULL,
      "t.ini:5: [out] units = 0: out of range: must be >= 1" },
    /* structure */
    { DATA OUT "[data]\ntrain = x\n", NULL, "t.ini:6: duplicate section [data], first at line 1" },
    { DATA OUT "[train]\n"
               "[out]\n",
      NULL, "t.ini:7: duplicate section [out], first at line 3" },
    { DATA OUT "[out]\n", NULL, "t.ini:6: duplicate section [out], first at line 3" },
    { DATA "[train]\nlr = 0.1\nepochs = 2\nlr = 0.2\n" OUT, NULL,
      "t.ini:6: [train] lr is given twice (first at line 4)" },
    { "epochs = 3\n" DATA OUT, NULL,
      "t.ini:1: 'epochs' comes before any section; put it under [data], [train] or a layer "
      "section" },
    { DATA "[hidden]\nunits = 5\n" OUT, NULL,
      "t.ini:3: layer [hidden] has no 'type =' (e.g. type = dense)" },
    { DATA "[trian]\nepochs = 5\n" OUT, NULL,
      "t.ini:3: layer [trian] has no 'type =' (e.g. type = dense) (or did you mean [train]?)" },
    { DATA "[hidden]\ntype = conv2\n" OUT, NULL,
      "t.ini:4: [hidden] type = conv2: unknown layer type (did you mean 'conv'? known: dense, "
      "conv, maxpool, avgpool, global_avgpool, batchnorm, dropout, flatten, add, concat, fire)" },
    { DATA "[hidden]\ntype = dens\n" OUT, NULL,
      "t.ini:4: [hidden] type = dens: unknown layer type (did you mean 'dense'? known: dense, "
      "conv, maxpool, avgpool, global_avgpool, batchnorm, dropout, flatten, add, concat, fire)" },
    { DATA "[out]\ntype = dense\nactivation = relu\n", NULL,
      "t.ini:3: layer [out] (type dense) needs 'units =' (number of outputs)" },
    { DATA "[a]\ntype = dense\nunits = 3\ninput = b\n[b]\ntype = dense\nunits = 2\n", NULL,
      "t.ini:6: [a] input = b: [b] comes later (line 7); input must name an earlier layer" },
    { DATA "[hidden]\ntype = dense\nunits = 3\n[o]\ntype = dense\nunits = 2\ninput = hiden\n", NULL,
      "t.ini:9: [o] input = hiden: no such layer (did you mean 'hidden'?)" },
    { DATA "[a]\ntype = dense\nunits = 3\ninput = a\n", NULL,
      "t.ini:6: [a] input = a: a layer cannot be its own input" },
    { DATA "[a]\ntype = dense\nunits = 3\ninput = data\n", NULL,
      "t.ini:6: [a] input = data: no such layer" },
    { DATA "[input]\ntype = dense\nunits = 3\n", NULL,
      "t.ini:3: 'input' cannot name a layer: `input = input` means the network input" },
    { DATA "[Train]\nepochs = 3\n" OUT, NULL,
      "t.ini:3: section names are case-sensitive: write [train]" },
    { DATA "[fc 1]\ntype = dense\nunits = 3\n", NULL,
      "t.ini:3: section name 'fc 1' may contain only letters, digits, '_' and '-'" },
    { DATA "[]\n" OUT, NULL, "t.ini:3: empty section name '[]'" },
    { DATA "[a123456789a123456789a123456789a123456789a123456789a123456789abcd]\n" OUT, NULL,
      "t.ini:3: section name 'a123456789a123456789a123456789a123456789a123456789a123456789abcd' "
      "is longer than 63 characters" },
    { DATA "[train]\n"
           "[out]\ntype = dense\n",
      NULL, "t.ini:4: layer [out] (type dense) needs 'units =' (number of outputs)" },
    { DATA "[train]\nepochs = 3\n", NULL,
      "t.ini: no layers: add a section per layer, e.g. [output] with type = dense and units = 10" },
    { "[train]\nepochs = 3\n" OUT, NULL,
      "t.ini: no [data] section: name the training set with [data] train = ..." },
    { "[data]\nvalid_fraction = 0.2\n" OUT, NULL,
      "t.ini:1: [data] needs 'train =' (the training set file)" },
    /* syntax (inih's own errors and ours) */
    { DATA "[broken\n" OUT, NULL,
      "t.ini:3: syntax error: section header '[broken' has no closing ']'" },
    { DATA "[out] type = dense\n", NULL, "t.ini:3: syntax error: unexpected text after '[out]'" },
    { DATA "[out]\ntype = dense\nunits 64\n", NULL,
      "t.ini:5: syntax error: expected 'key = value', '[section]' or a comment, got 'units 64'" },
    { DATA "[out]\ntype = dense\n= 64\n", NULL, "t.ini:5: syntax error: no key before '='" },
    /* the first error wins, whichever part of the reader found it */
    { DATA "[out]\ntype = dense\nunits 64\n[out]\n", NULL,
      "t.ini:5: syntax error: expected 'key = value', '[section]' or a comment, got 'units 64'" },
    { DATA "[out]\n[out]\nunits 64\n", NULL, "t.ini:4: duplicate section [out], first at line 3" },
    { DATA "[train]\nlr = 1\nlr = 2\nbogus line\n" OUT, NULL,
      "t.ini:5: [train] lr is given twice (first at line 4)" },
    /* data files */
    { "[data]\ntrain = ${NNT_DIR}/train-images-idx3-ubyte\n" OUT, NULL,
      "t.ini:1: [data] train needs 'train_labels =' with format idx (format = auto chose idx: "
      "train does not end in .mat or .h5)" },
    { "[data]\nformat = idx\ntrain = ${NNT_DIR}/train-images-idx3-ubyte\n"
      "train_labels = ${NNT_DIR}/train-labels-idx1-ubyte\ntest = "
      "${NNT_DIR}/t10k-images-idx3-ubyte\n" OUT,
      NULL, "t.ini:1: [data] test needs 'test_labels =' with format idx" },
    { "[data]\ntrain = ${NNT_DIR}/train-images-idx3-ubyte\n"
      "train_labels = ${NNT_DIR}/train-labels-idx1-ubyte\nvalid_labels = "
      "${NNT_DIR}/t10k-labels-idx1-ubyte\n" OUT,
      NULL, "t.ini:4: [data] valid_labels is given but valid is not" },
    { DATA "train_labels = ${NNT_DIR}/train-labels-idx1-ubyte\n" OUT, NULL,
      "t.ini:3: [data] train_labels: .mat files hold their own labels; remove it (or set format = "
      "idx)" },
    { "[data]\ntrain = ${NNT_DIR}/train.mat\nformat = h5\ntest_labels = ${NNT_DIR}/train.mat\n" OUT,
      NULL, "t.ini:4: [data] test_labels: .h5 files hold their own labels; remove it" },
    { DATA "valid = ${NNT_DIR}/valid.mat\nvalid_fraction = 0.2\n" OUT, NULL,
      "t.ini:4: [data] valid_fraction has no effect when valid is given; remove one of them" },
    { "[data]\ntrain = ${NNT_UNSET_VAR}/train.mat\n" OUT, NULL,
      "t.ini:2: [data] train: NNT_UNSET_VAR is not set; export it to point at your data folder" },
    { DATA "[train]\nout = ${NNT_UNSET_VAR}/runs\n" OUT, NULL,
      "t.ini:4: [train] out: NNT_UNSET_VAR is not set; export it before running" },
    { "[data]\ntrain = ${NNT_DIR/train.mat\n" OUT, NULL,
      "t.ini:2: [data] train = ${NNT_DIR/train.mat: bad variable reference (write ${NAME})" },
    /* overrides */
    { DATA OUT, "train.lrr=0.1",
      "--set train.lrr=0.1: unknown key 'lrr' in [train] (did you mean 'lr'?)" },
    { DATA OUT, "train.lr=abc", "--set train.lr=abc: [train] lr = abc: not a number" },
    { DATA OUT, "train.lr=-1", "--set train.lr=-1: [train] lr = -1: out of range: must be > 0" },
    { DATA OUT, "fc9.units=3",
      "--set fc9.units=3: no section [fc9] in t.ini; --set can change layers, not add them" },
    { DATA OUT, "ot.units=3",
      "--set ot.units=3: no section [ot] in t.ini; --set can change layers, not add them "
      "(did you mean 'out'?)" },
    { DATA OUT, "trainlr=0.1",
      "--set trainlr=0.1: expected section.key=value (e.g. train.lr=0.1)" },
    { DATA OUT, "train.lr", "--set train.lr: expected section.key=value (e.g. train.lr=0.1)" },
    { DATA OUT, ".lr=1", "--set .lr=1: expected section.key=value (e.g. train.lr=0.1)" },
    { DATA OUT, "out.type=convolution",
      "--set out.type=convolution: [out] type = convolution: unknown layer type (known: dense, "
      "conv, maxpool, avgpool, global_avgpool, batchnorm, dropout, flatten, add, concat, fire)" },
    { DATA OUT, "out.type=conv",
      "t.ini:5: unknown key 'units' in [out]: it is a key of dense layers, and [out] is a conv "
      "layer" },
    /* the CNN keys */
    { DATA "[c]\ntype = conv\nsize = 3\n" OUT, NULL,
      "t.ini:3: layer [c] (type conv) needs 'filters =' (number of output channels)" },
    { DATA "[c]\ntype = conv\nfilters = 8\nsize = 0\n" OUT, NULL,
      "t.ini:6: [c] size = 0: out of range: must be >= 1" },
    { DATA "[c]\ntype = conv\nfilters = 8\nstride = 0\n" OUT, NULL,
      "t.ini:6: [c] stride = 0: out of range: must be >= 1" },
    { DATA "[c]\ntype = conv\nfilters = 8\npadding = -1\n" OUT, NULL,
      "t.ini:6: [c] padding = -1: out of range: must be >= 0" },
    { DATA "[c]\ntype = conv\nfilters = 8\nbias = maybe\n" OUT, NULL,
      "t.ini:6: [c] bias = maybe: not a boolean (use true/false, yes/no, on/off or 1/0)" },
    { DATA "[c]\ntype = conv\nfilters = 8\nunits = 3\n" OUT, NULL,
      "t.ini:6: unknown key 'units' in [c]: it is a key of dense layers, and [c] is a conv layer" },
    { DATA "[p]\ntype = maxpool\nsize = 2\nfilters = 3\n" OUT, NULL,
      "t.ini:6: unknown key 'filters' in [p]: it is a key of conv layers, and [p] is a maxpool "
      "layer" },
    { DATA "[p]\ntype = avgpool\nstride = -2\n" OUT, NULL,
      "t.ini:5: [p] stride = -2: out of range: must be >= 0" },
    { DATA "[d]\ntype = dropout\nrate = 1\n" OUT, NULL,
      "t.ini:5: [d] rate = 1: out of range: must be in [0, 1)" },
    { DATA "[d]\ntype = dropout\nrat = 0.5\n" OUT, NULL,
      "t.ini:5: unknown key 'rat' in [d] (did you mean 'rate'?)" },
    { DATA "[bn]\ntype = batchnorm\nmomentum = 0\n" OUT, NULL,
      "t.ini:5: [bn] momentum = 0: out of range: must be in (0, 1]" },
    { DATA "[bn]\ntype = batchnorm\neps = 0\n" OUT, NULL,
      "t.ini:5: [bn] eps = 0: out of range: must be > 0" },
    { DATA "[f]\ntype = flatten\nsize = 2\n" OUT, NULL,
      "t.ini:5: unknown key 'size' in [f]: it is a key of conv layers, and [f] is a flatten "
      "layer" },
    { DATA "[a]\ntype = dense\nunits = 3\n[s]\ntype = add\n" OUT, NULL,
      "t.ini:6: [s] type add needs at least 2 inputs: write input = a, b" },
    { DATA "[a]\ntype = dense\nunits = 3\n[s]\ntype = concat\ninput = a\n" OUT, NULL,
      "t.ini:8: [s] type concat needs at least 2 inputs: write input = a, b" },
    { DATA "[a]\ntype = dense\nunits = 3\n[o]\ntype = dense\nunits = 2\ninput = a, input\n", NULL,
      "t.ini:9: [o] input = a, input: type dense takes one input (add and concat take several)" },
    { DATA "[a]\ntype = dense\nunits = 3\n[s]\ntype = add\ninput = a,,input\n" OUT, NULL,
      "t.ini:8: [s] input = a,,input: empty layer name in the list" },
    { DATA
      "[a]\ntype = dense\nunits = 3\n[s]\ntype = add\ninput = a, b\n[b]\ntype = dense\nunits = 3\n",
      NULL, "t.ini:8: [s] input = b: [b] comes later (line 9); input must name an earlier layer" },
    { DATA "[conv1]\ntype = dense\nunits = 3\n[s]\ntype = add\ninput = conv1, conv2\n" OUT, NULL,
      "t.ini:8: [s] input = conv2: no such layer (did you mean 'conv1'?)" },
    { DATA "[a]\ntype = dense\nunits = 3\n[s]\ntype = add\ninput = a, a, a, a, a, a, a, a, a\n" OUT,
      NULL, "t.ini:8: [s] input = a, a, a, a, a, a, a, a, a: more than 8 layers" },
    { DATA "[train]\nfreeze = ot\n" OUT, NULL,
      "t.ini:4: [train] freeze = ot: no layer [ot] (did you mean 'out'?)" },
    { DATA "[train]\nfreeze = out, out\n" OUT, NULL,
      "t.ini:4: [train] freeze = out, out: [out] is named twice" },
    { DATA "[train]\nfreeze = p\n[p]\ntype = maxpool\n" OUT, NULL,
      "t.ini:4: [train] freeze = p: [p] is a maxpool layer, which has no parameters" },
    { DATA "[train]\nfreeze = out,\n" OUT, NULL,
      "t.ini:4: [train] freeze = out,: empty layer name in the list" },
    { DATA "[train]\ninit_from = ${NNT_DIR}/nothere.h5\n" OUT, NULL,
      "t.ini:4: [train] init_from = @DIR@/nothere.h5: No such file or directory" },
    { DATA "augment_rotate = 181\n" OUT, NULL,
      "t.ini:3: [data] augment_rotate = 181: out of range: must be in [0, 180]" },
    { DATA "augment_shift = -1\n" OUT, NULL,
      "t.ini:3: [data] augment_shift = -1: out of range: must be in [0, 64)" },
    { DATA "augment_scale = 1\n" OUT, NULL,
      "t.ini:3: [data] augment_scale = 1: out of range: must be in [0, 1)" },
    { DATA "share = yes\n" OUT, NULL, "t.ini:3: [data] share = yes: must be auto, true or false" },
};
#define N_ERROR_CASES ((int)(sizeof error_cases / sizeof error_cases[0]))

START_TEST(test_errors)
{
    const error_case *c = &error_cases[_i];
    const char *ov[1] = { c->override };
    nn_error err;
    int rc;
    nn_config *cfg = parse_as("t.ini", c->text, ov, c->override ? 1 : 0, &rc, &err);
    /* "@DIR@" in a message stands for the scratch folder (${NNT_DIR}). */
    char want[2048];
    const char *at = strstr(c->want, "@DIR@");
    if (at)
        snprintf(want, sizeof want, "%.*s%s%s", (int)(at - c->want), c->want, nn_test_tmpdir(),
                 at + 5);
    else
        snprintf(want, sizeof want, "%s", c->want);
    ck_assert_msg(rc == NN_E_CONFIG, "case %d: rc %d (%s), want '%s'", _i, rc, err.msg, want);
    ck_assert_msg(strcmp(err.msg, want) == 0, "case %d:\n got  '%s'\n want '%s'", _i, err.msg,
                  want);
    ck_assert_ptr_null(cfg->text);
    drop(cfg);
}
END_TEST

START_TEST(test_missing_file)
{
    char want[8192];
    snprintf(want, sizeof want, "t.ini:2: [data] train = %s/nope.mat: No such file or directory",
             nn_test_tmpdir());
    expect_error("[data]\ntrain = ${NNT_DIR}/nope.mat\n" OUT, NULL, 0, want);

    snprintf(want, sizeof want, "t.ini:3: [data] test = %s/afolder: is a folder, not a file",
             nn_test_tmpdir());
    expect_error(DATA "test = ${NNT_DIR}/afolder\n" OUT, NULL, 0, want);

    const char *ov[] = { "data.valid=${NNT_DIR}/nope.mat" };
    snprintf(want, sizeof want,
             "--set data.valid=${NNT_DIR}/nope.mat: [data] valid = %s/nope.mat: "
             "No such file or directory",
             nn_test_tmpdir());
    expect_error(DATA OUT, ov, 1, want);

    /* an override replacing a bad file path fixes the config */
    const char *fix[] = { "data.train=${NNT_DIR}/train.mat" };
    drop(parse_ok("t.ini", "[data]\ntrain = ${NNT_DIR}/nope.mat\n" OUT, fix, 1));
}
END_TEST

START_TEST(test_line_too_long)
{
    char text[1024];
    char value[600];
    memset(value, 'a', 300);
    value[300] = '\0';
    /* line 4: "out = " + 300 characters */
    snprintf(text, sizeof text, DATA "[train]\nout = %s\n" OUT, value);
    expect_error(text, NULL, 0, "t.ini:4: line too long (306 characters; at most 197)");
    /* exactly at the limit is fine (long comment lines count too) */
    memset(value, 'b', 197 - 6);
    value[197 - 6] = '\0';
    snprintf(text, sizeof text, DATA "[train]\nout = %s\n" OUT, value);
    nn_config *c = parse_ok("t.ini", text, NULL, 0);
    ck_assert_str_eq(c->train.out, value);
    drop(c);
    memset(value, ';', 198);
    value[198] = '\0';
    snprintf(text, sizeof text, DATA "%s\n" OUT, value);
    expect_error(text, NULL, 0, "t.ini:3: line too long (198 characters; at most 197)");
}
END_TEST

/* ---- overrides and ${VAR} ------------------------------------------------- */

START_TEST(test_overrides)
{
    const char *ov[] = {
        "train.lr=0.5",           /* replaces the file's value */
        " train . epochs = 7 ",   /* blanks are trimmed */
        "train.momentum=0.25",    /* adds a key the file lacks */
        "out.activation=softmax", /* adds a layer key */
        "hidden.units=128",       /* replaces a layer key */
        "train.lr=0.75",          /* the last override wins */
        "data.invert=true",       /* a [data] bool */
        "data.share=false",       /* a [data] enum */
    };
    const char text[] = DATA "[train]\nlr = 0.1\nepochs = 3\n"
                             "[hidden]\ntype = dense\nunits = 64\n" OUT;
    nn_config *c = parse_ok("t.ini", text, ov, 8);
    ck_assert_double_eq(c->train.lr, 0.75);
    ck_assert_int_eq(c->train.epochs, 7);
    ck_assert_double_eq(c->train.momentum, 0.25);
    ck_assert_int_eq(c->layers[1].activation, NN_ACT_SOFTMAX);
    ck_assert_int_eq(c->layers[0].units, 128);
    ck_assert_int_eq(c->data.invert, 1);
    ck_assert_int_eq(c->data.share, NN_SHARE_FALSE);
    ck_assert_str_eq(c->text, text); /* the file's text, not the overrides */
    drop(c);

    /* [train] may come from overrides alone */
    const char *ov2[] = { "train.batch_size=8" };
    c = parse_ok("t.ini", DATA OUT, ov2, 1);
    ck_assert_int_eq(c->train.batch_size, 8);
    drop(c);

    /* an override can fix a bad value in the file (it is applied before interpretation) */
    const char *ov3[] = { "train.lr=0.2" };
    c = parse_ok("t.ini", DATA "[train]\nlr = abc\n" OUT, ov3, 1);
    ck_assert_double_eq(c->train.lr, 0.2);
    drop(c);
}
END_TEST

START_TEST(test_env_expansion)
{
    setenv("NNT_SUB", "train", 1);
    setenv("NNT_RUN", "r1", 1);
    nn_config *c = parse_ok("t.ini",
                            "[data]\ntrain = ${NNT_DIR}/${NNT_SUB}.mat\n"
                            "[train]\nout = runs/$HOME/${NNT_RUN}-${NNT_RUN}$\n" OUT,
                            NULL, 0);
    char want[4096];
    snprintf(want, sizeof want, "%s/train.mat", nn_test_tmpdir());
    ck_assert_str_eq(c->data.train, want);
    ck_assert_str_eq(c->train.out, "runs/$HOME/r1-r1$"); /* only ${...} is expanded */
    drop(c);

    /* expansion in overrides too */
    const char *ov[] = { "train.out=${NNT_RUN}" };
    c = parse_ok("t.ini", DATA OUT, ov, 1);
    ck_assert_str_eq(c->train.out, "r1");
    drop(c);

    setenv("NNT_EMPTY", "", 1);
    expect_error(DATA "[train]\nout = ${NNT_EMPTY}x\n" OUT, NULL, 0,
                 "t.ini:4: [train] out: NNT_EMPTY is empty; export it before running");
    unsetenv("NNT_SUB");
    expect_error(
        "[data]\ntrain = ${NNT_DIR}/${NNT_SUB}.mat\n" OUT, NULL, 0,
        "t.ini:2: [data] train: NNT_SUB is not set; export it to point at your data folder");
}
END_TEST

START_TEST(test_bom_and_bools)
{
    static const char *const yes[] = { "true", "YES", "on", "1" };
    static const char *const no[] = { "false", "No", "off", "0" };
    for (int i = 0; i < 4; i++) {
        char text[512];
        snprintf(text, sizeof text, "\xEF\xBB\xBF" DATA "transpose = %s\ninvert = %s\n" OUT, yes[i],
                 no[i]);
        nn_config *c = parse_ok("t.ini", text, NULL, 0);
        ck_assert_int_eq(c->data.transpose, 1);
        ck_assert_int_eq(c->data.invert, 0);
        drop(c);
    }
}
END_TEST

START_TEST(test_free_after_failure)
{
    nn_error err;
    int rc;
    nn_config *c = parse_as("t.ini", "[broken\n", NULL, 0, &rc, &err);
    ck_assert_int_eq(rc, NN_E_CONFIG);
    nn_config_free(c);
    nn_config_free(c); /* twice is harmless */
    free(c);
    /* a NULL error pointer is allowed */
    nn_config *d = malloc(sizeof *d);
    ck_assert_int_eq(nn_config_parse(d, "t.ini", "x = 1\n", NULL, 0, NULL), NN_E_CONFIG);
    drop(d);
}
END_TEST

/* ---- reading files -------------------------------------------------------- */

START_TEST(test_read_text_file)
{
    char *text = NULL;
    nn_error err;
    const char *p = nn_test_path("read_ok.ini");
    ck_assert_int_eq(nn_test_write_file(p, "[data]\n", 7), 0);
    ck_assert_int_eq(nn_read_text_file(p, &text, &err), NN_OK);
    ck_assert_str_eq(text, "[data]\n");
    free(text);

    const char *e = nn_test_path("empty.ini");
    ck_assert_int_eq(nn_test_write_file(e, "", 0), 0);
    ck_assert_int_eq(nn_read_text_file(e, &text, &err), NN_OK);
    ck_assert_str_eq(text, "");
    free(text);

    char want[8192];
    const char *missing = nn_test_path("no_such.ini");
    ck_assert_int_eq(nn_read_text_file(missing, &text, &err), NN_E_CONFIG);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", missing);
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(text);

    const char *bin = nn_test_path("binary.ini");
    ck_assert_int_eq(nn_test_write_file(bin, "[da\0ta]\n", 8), 0);
    ck_assert_int_eq(nn_read_text_file(bin, &text, &err), NN_E_CONFIG);
    snprintf(want, sizeof want, "%s: not a text file (NUL byte at offset 3)", bin);
    ck_assert_str_eq(err.msg, want);

    const char *dir = nn_test_path("afolder");
    ck_assert_int_eq(nn_read_text_file(dir, &text, &err), NN_E_CONFIG);
    snprintf(want, sizeof want, "%s: is a folder, not a file", dir);
    ck_assert_str_eq(err.msg, want);

    /* exactly the limit is fine; one byte more is not */
    size_t n = NN_TEXT_FILE_MAX;
    char *big = malloc(n + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, ';', n + 1);
    const char *bp = nn_test_path("big.ini");
    ck_assert_int_eq(nn_test_write_file(bp, big, n), 0);
    ck_assert_int_eq(nn_read_text_file(bp, &text, &err), NN_OK);
    ck_assert_uint_eq(strlen(text), n);
    free(text);
    ck_assert_int_eq(nn_test_write_file(bp, big, n + 1), 0);
    ck_assert_int_eq(nn_read_text_file(bp, &text, &err), NN_E_CONFIG);
    snprintf(want, sizeof want, "%s: too large for a config file (more than %d bytes)", bp,
             NN_TEXT_FILE_MAX);
    ck_assert_str_eq(err.msg, want);
    free(big);
}
END_TEST

/* ---- the reference -------------------------------------------------------- */

/* The source tree: NN_SOURCE_DIR, else two folders up from this file. */
static void source_dir(char *buf, size_t n)
{
    const char *env = getenv("NN_SOURCE_DIR");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return;
    }
    snprintf(buf, n, "%s", __FILE__);
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(buf, '/');
        if (!slash) {
            snprintf(buf, n, ".");
            return;
        }
        *slash = '\0';
    }
}

START_TEST(test_docs_match_reference)
{
    char dir[4096], path[4200];
    source_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/docs/config.md", dir);
    const char *ref = nn_config_reference();
    char *text = NULL;
    nn_error err;
    int rc = nn_read_text_file(path, &text, &err);
    if (rc != NN_OK || strcmp(text, ref) != 0) {
        const char *fresh = nn_test_path("config.md");
        nn_test_write_file(fresh, ref, strlen(ref));
        free(text);
        ck_abort_msg("%s is out of date (%s); update it: cp %s %s", path,
                     rc ? err.msg : "differs from nn_config_reference()", fresh, path);
    }
    free(text);
}
END_TEST

START_TEST(test_reference_content)
{
    const char *ref = nn_config_reference();
    ck_assert_ptr_eq(ref, nn_config_reference());
    static const char *const must[] = {
        "## [data]",
        "## [train]",
        "### type = dense",
        "| `train` | path of a readable file | **required** |",
        "| `lr` | float > 0 | `0.01` |",
        "| `momentum` | float in [0, 1) | `0.9` |",
        "| `gamma` | float in (0, 1] | `0.1` |",
        "| `optimizer` | `sgd`, `momentum`, `adam` | `sgd` |",
        "| `out` | path | `runs/<config file name without .ini>` |",
        "| `units` | int >= 1 | **required** |",
        "| `input` | layer names | the previous layer |",
        "### type = conv",
        "### type = batchnorm",
        "### type = add",
        "### type = concat",
        "| `filters` | int >= 1 | **required** |",
        "| `rate` | float in [0, 1) | `0.5` |",
        "| `freeze` | layer names | none |",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        ck_assert_msg(strstr(ref, must[i]), "reference lacks '%s'", must[i]);
    ck_assert_int_eq(ref[strlen(ref) - 1], '\n');
}
END_TEST

/* The layer registry is the config's one list of layer kinds: every kind
 * is accepted as `type =` (with the inputs it allows; the keys it needs are
 * found from the parser's own "needs 'key ='" messages), can be frozen
 * exactly when it has parameters, and has its section in docs/config.md. */
static nn_config *parse_kind(const nn_layer_ops *ops, const char *train, int *rc, nn_error *err)
{
    char keys[256] = "", text[1024];
    for (int tries = 0;; tries++) {
        snprintf(text, sizeof text,
                 DATA "%s[a]\ntype = dense\nunits = 3\n[b]\ntype = dense\n"
                      "units = 3\n[k]\ntype = %s\ninput = %s\n%s",
                 train, ops->type, ops->min_inputs > 1 ? "a, b" : "b", keys);
        nn_config *cfg = parse_as("t.ini", text, NULL, 0, rc, err);
        const char *need = *rc ? strstr(err->msg, "needs '") : NULL;
        if (!need || tries == 4)
            return cfg;
        drop(cfg);
        size_t n = strcspn(need + 7, " '");
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%.*s = 1\n", (int)n, need + 7);
    }
}

START_TEST(test_every_layer_kind)
{
    char dir[4096], path[4200];
    source_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/docs/config.md", dir);
    char *doc = NULL;
    nn_error err;
    ck_assert_msg(nn_read_text_file(path, &doc, &err) == NN_OK, "%s", err.msg);
    int kinds = 0;
    for (const nn_layer_ops *ops; (ops = nn_layer_ops_at(kinds)); kinds++) {
        ck_assert_ptr_eq(nn_layer_ops_find(ops->type), ops);
        char head[128];
        snprintf(head, sizeof head, "\n### type = %s\n\n%s\n", ops->type, ops->doc);
        ck_assert_msg(strstr(doc, head), "docs/config.md has no section for type = %s", ops->type);
        ck_assert_msg(ops->min_inputs >= 1 && ops->min_inputs <= ops->max_inputs &&
                          ops->max_inputs <= NN_MAX_INPUTS,
                      "%s: inputs", ops->type);
        int rc;
        nn_config *c = parse_kind(ops, "", &rc, &err);
        ck_assert_msg(rc == NN_OK, "type = %s: %s", ops->type, err.msg);
        ck_assert_str_eq(c->layers[2].type, ops->type);
        ck_assert_int_eq(c->layers[2].n_inputs, ops->min_inputs > 1 ? 2 : 1);
        drop(c);
        c = parse_kind(ops, "[train]\nfreeze = k\n", &rc, &err);
        if (ops->has_params)
            ck_assert_msg(rc == NN_OK && c->train.n_freeze == 1 && c->train.freeze_index[0] == 2,
                          "freeze = %s: %s", ops->type, err.msg);
        else
            ck_assert_msg(rc == NN_E_CONFIG && strstr(err.msg, "which has no parameters"),
                          "freeze = %s: %s", ops->type, rc ? err.msg : "accepted");
        drop(c);
    }
    ck_assert_int_ge(kinds, 10);
    free(doc);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("io_config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_full_config);
    tcase_add_test(tc, test_homework_defaults);
    tcase_add_test(tc, test_minimal_defaults);
    tcase_add_test(tc, test_resolved_round_trip);
    tcase_add_test(tc, test_resolved_with_valid_file_reparses);
    tcase_add_test(tc, test_class_name_with_comment_char);
    tcase_add_test(tc, test_values_that_cannot_be_written_back);
    tcase_add_test(tc, test_resolved_round_trip_cnn);
    tcase_add_test(tc, test_fire_module);
    tcase_add_loop_test(tc, test_errors, 0, N_ERROR_CASES);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_line_too_long);
    tcase_add_test(tc, test_overrides);
    tcase_add_test(tc, test_env_expansion);
    tcase_add_test(tc, test_bom_and_bools);
    tcase_add_test(tc, test_free_after_failure);
    tcase_add_test(tc, test_read_text_file);
    tcase_add_test(tc, test_docs_match_reference);
    tcase_add_test(tc, test_reference_content);
    tcase_add_test(tc, test_every_layer_kind);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    make_data_files();
    return nn_test_run_suite(config_suite());
}
