/* The config schema: one table of every section's keys (type, default,
 * range, one-line doc). It drives parsing, defaults, validation and the
 * Markdown reference (nn_config_reference), so the docs cannot drift from
 * the code. Adding a layer type: a row in nn_cfg_layer_types, rows with its
 * name as scope in nn_cfg_keys, and the fields in nn_layer_config. */
#include "io/config_internal.h"
#include "nn/checkpoint.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- enum names, indexed by the C enum value ------------------------------ */

static const char *const format_names[] = {
    [NN_FORMAT_AUTO] = "auto", [NN_FORMAT_IDX] = "idx", [NN_FORMAT_MAT] = "mat",
    [NN_FORMAT_H5] = "h5", NULL};
static const char *const loss_names[] = {
    [NN_LOSS_CROSS_ENTROPY] = "cross_entropy", [NN_LOSS_MSE] = "mse", NULL};
static const char *const optimizer_names[] = {
    [NN_OPT_SGD] = "sgd", [NN_OPT_MOMENTUM] = "momentum", [NN_OPT_ADAM] = "adam", NULL};
static const char *const schedule_names[] = {
    [NN_SCHED_CONSTANT] = "constant", [NN_SCHED_STEP] = "step", [NN_SCHED_COSINE] = "cosine", NULL};
static const char *const target_names[] = {
    [NN_TARGET_LABELS] = "labels", [NN_TARGET_INPUT] = "input", NULL};
static const char *const activation_names[] = {
    [NN_ACT_LINEAR] = "linear", [NN_ACT_SIGMOID] = "sigmoid", [NN_ACT_TANH] = "tanh",
    [NN_ACT_RELU] = "relu", [NN_ACT_SOFTMAX] = "softmax", NULL};
static const char *const init_names[] = {
    [NN_INIT_XAVIER] = "xavier", [NN_INIT_HE] = "he", [NN_INIT_ZEROS] = "zeros", NULL};

/* NN_KEY_ENUM and NN_KEY_BOOL fields are stored as int. */
_Static_assert(sizeof(nn_data_format) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_loss_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_optimizer_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_schedule_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_activation) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_init_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_target_kind) == sizeof(int), "enum size");

/* ---- the table ------------------------------------------------------------ */

#define FIELD(T, f) offsetof(T, f), sizeof(((T *)0)->f)
#define D(f) FIELD(nn_data_config, f)
#define T(f) FIELD(nn_train_config, f)
#define L(f) FIELD(nn_layer_config, f)
#define GE(x) NN_RANGE_LO, (x), 0      /* >= x */
#define GT(x) NN_RANGE_LO_OPEN, (x), 0 /* > x */
#define NO_RANGE 0, 0, 0
/* lo <= v < hi, lo < v <= hi */
#define CLOSED_OPEN(a, b) NN_RANGE_LO | NN_RANGE_HI_OPEN, (a), (b)
#define OPEN_CLOSED(a, b) NN_RANGE_LO_OPEN | NN_RANGE_HI, (a), (b)
#define CLOSED_CLOSED(a, b) NN_RANGE_LO | NN_RANGE_HI, (a), (b)

const nn_key_spec nn_cfg_keys[] = {
    /* [data] */
    {"data", "format", NN_KEY_ENUM, D(format), 0, format_names, NO_RANGE, "auto", NULL, 0,
     "file format of every data file; `auto`: `mat` when `train` ends in `.mat`, `h5` when it ends in `.h5`, else `idx`"},
    {"data", "train", NN_KEY_DATAFILE, D(train), 0, NULL, NO_RANGE, NULL, NULL, 1,
     "training set: IDX images (`.gz` allowed), a MATLAB `.mat` file with images and labels, or an nntrain data set file (`.h5`, made by `nntrain prep`; its `train` split)"},
    {"data", "train_labels", NN_KEY_DATAFILE, D(train_labels), 0, NULL, NO_RANGE, NULL, "none", 0,
     "IDX labels of `train` (idx: required; mat, h5: not allowed)"},
    {"data", "valid", NN_KEY_DATAFILE, D(valid), 0, NULL, NO_RANGE, NULL, "none", 0,
     "validation set, same format as `train` (h5: the file's `valid` split; the same file as `train` is fine)"},
    {"data", "valid_labels", NN_KEY_DATAFILE, D(valid_labels), 0, NULL, NO_RANGE, NULL, "none", 0,
     "IDX labels of `valid` (idx with `valid`: required)"},
    {"data", "test", NN_KEY_DATAFILE, D(test), 0, NULL, NO_RANGE, NULL, "none", 0,
     "test set, same format as `train` (h5: the file's `test` split); evaluated once after training"},
    {"data", "test_labels", NN_KEY_DATAFILE, D(test_labels), 0, NULL, NO_RANGE, NULL, "none", 0,
     "IDX labels of `test` (idx with `test`: required)"},
    {"data", "valid_fraction", NN_KEY_FLOAT, D(valid_fraction), 0, NULL, CLOSED_OPEN(0, 1), "0.1",
     NULL, 0, "fraction of `train` held out for validation (0: none); not allowed with `valid`"},
    {"data", "limit", NN_KEY_U64, D(limit), 0, NULL, NO_RANGE, "0", NULL, 0,
     "train on N samples of the training set only, after the validation split (0: all); for quick experiments. The N are drawn at random from `[train] seed`, stratified by class: each class keeps its share of N, rounded down or up (the leftover samples go to the classes with the largest fractions, ties drawn from the seed), so a file sorted by class keeps all its classes, not the first few. The kept samples stay in file order; every rank and rank count gets the same ones"},
    {"data", "augment_shift", NN_KEY_FLOAT, D(augment_shift), 0, NULL, CLOSED_OPEN(0, 64), "0", NULL, 0,
     "training images only: shift each by a random offset of up to this many pixels in x and in y"},
    {"data", "augment_rotate", NN_KEY_FLOAT, D(augment_rotate), 0, NULL, CLOSED_CLOSED(0, 180), "0",
     NULL, 0, "training images only: rotate each by a random angle of up to this many degrees either way"},
    {"data", "augment_scale", NN_KEY_FLOAT, D(augment_scale), 0, NULL, CLOSED_OPEN(0, 1), "0", NULL, 0,
     "training images only: scale each by a random factor in [1 - s, 1 + s] (about its centre)"},
    {"data", "transpose", NN_KEY_BOOL, D(transpose), 0, NULL, NO_RANGE, "false", NULL, 0,
     "transpose each image (EMNIST stores images transposed)"},
    {"data", "invert", NN_KEY_BOOL, D(invert), 0, NULL, NO_RANGE, "false", NULL, 0,
     "replace each pixel x by 1 - x (flip ink polarity)"},
    {"data", "classes", NN_KEY_NAMES, D(class_names), offsetof(nn_data_config, n_class_names),
     NULL, NO_RANGE, NULL, "label numbers", 0,
     "class names in label order, comma-separated, at most 31 characters each (for confusion matrices and OCR output)"},

    /* [train] */
    {"train", "epochs", NN_KEY_INT, T(epochs), 0, NULL, GE(1), "10", NULL, 0,
     "passes over the training set"},
    {"train", "batch_size", NN_KEY_INT, T(batch_size), 0, NULL, GE(1), "32", NULL, 0,
     "GLOBAL minibatch size, split across MPI ranks (results do not depend on the rank count)"},
    {"train", "loss", NN_KEY_ENUM, T(loss), 0, loss_names, NO_RANGE, "cross_entropy", NULL, 0,
     "loss function (cross_entropy expects a softmax output layer)"},
    {"train", "optimizer", NN_KEY_ENUM, T(optimizer), 0, optimizer_names, NO_RANGE, "sgd", NULL, 0,
     "update rule"},
    {"train", "lr", NN_KEY_FLOAT, T(lr), 0, NULL, GT(0), "0.01", NULL, 0,
     "learning rate (initial value when a schedule is used)"},
    {"train", "momentum", NN_KEY_FLOAT, T(momentum), 0, NULL, CLOSED_OPEN(0, 1), "0.9", NULL, 0,
     "momentum coefficient (optimizer = momentum)"},
    {"train", "beta1", NN_KEY_FLOAT, T(beta1), 0, NULL, CLOSED_OPEN(0, 1), "0.9", NULL, 0,
     "Adam: decay of the first-moment average"},
    {"train", "beta2", NN_KEY_FLOAT, T(beta2), 0, NULL, CLOSED_OPEN(0, 1), "0.999", NULL, 0,
     "Adam: decay of the second-moment average"},
    {"train", "eps", NN_KEY_FLOAT, T(eps), 0, NULL, GT(0), "1e-8", NULL, 0,
     "Adam: added to the root of the second moment"},
    {"train", "weight_decay", NN_KEY_FLOAT, T(weight_decay), 0, NULL, GE(0), "0", NULL, 0,
     "L2 penalty on weights (not biases)"},
    {"train", "schedule", NN_KEY_ENUM, T(schedule), 0, schedule_names, NO_RANGE, "constant", NULL,
     0, "learning-rate schedule over epochs"},
    {"train", "step_epochs", NN_KEY_INT, T(step_epochs), 0, NULL, GE(1), "10", NULL, 0,
     "schedule = step: multiply lr by `gamma` every this many epochs"},
    {"train", "gamma", NN_KEY_FLOAT, T(gamma), 0, NULL, OPEN_CLOSED(0, 1), "0.1", NULL, 0,
     "schedule = step: factor applied to lr"},
    {"train", "min_lr", NN_KEY_FLOAT, T(min_lr), 0, NULL, GE(0), "0", NULL, 0,
     "schedule = cosine: lr at the last epoch"},
    {"train", "seed", NN_KEY_U64, T(seed), 0, NULL, NO_RANGE, "1", NULL, 0,
     "seed of every random choice (init, shuffle, validation split)"},
    {"train", "threads", NN_KEY_INT, T(threads), 0, NULL, GE(0), "0", NULL, 0,
     "threads per rank; 0: OMP_NUM_THREADS, else 1"},
    {"train", "checkpoint_every", NN_KEY_INT, T(checkpoint_every), 0, NULL, GE(1), "1", NULL, 0,
     "write a checkpoint every this many epochs"},
    {"train", "keep_checkpoints", NN_KEY_INT, T(keep_checkpoints), 0, NULL,
     CLOSED_CLOSED(1, NN_CKPT_MAX_KEEP), "2", NULL, 0,
     "checkpoints kept in `out`: the latest (`checkpoint.h5`) and the ones before it "
     "(`checkpoint.1.h5` the previous, then `checkpoint.2.h5` ...); `--resume auto` takes the "
     "newest that verifies"},
    {"train", "out", NN_KEY_PATH, T(out), 0, NULL, NO_RANGE, NULL,
     "`runs/<config file name without .ini>`", 0,
     "output folder: checkpoints, metrics, figures"},
    {"train", "shuffle", NN_KEY_BOOL, T(shuffle), 0, NULL, NO_RANGE, "true", NULL, 0,
     "reshuffle the training set every epoch"},
    {"train", "target", NN_KEY_ENUM, T(target), 0, target_names, NO_RANGE, "labels", NULL, 0,
     "what the output should equal: the class `labels`, or the `input` image itself (an autoencoder: needs `loss = mse` and as many outputs as input pixels; reports PSNR instead of accuracy, see docs/autoencoder-pca.md)"},
    {"train", "init_from", NN_KEY_DATAFILE, T(init_from), 0, NULL, NO_RANGE, NULL, "none", 0,
     "fine-tuning: a checkpoint whose weights start this run, copied by layer name where the "
     "shapes match (the rest is initialised as usual); ignored when resuming"},
    {"train", "freeze", NN_KEY_LAYERREF, T(freeze), 0, NULL, NO_RANGE, NULL, "none", 0,
     "layers (comma-separated) whose parameters stay fixed: no update, no weight decay"},

    /* every layer */
    {"layer", "type", NN_KEY_LAYERTYPE, L(type), 0, NULL, NO_RANGE, NULL, NULL, 1,
     "kind of layer (see below)"},
    {"layer", "input", NN_KEY_LAYERREF, L(input), 0, NULL, NO_RANGE, NULL, "the previous layer", 0,
     "earlier layer(s) whose output feeds this one, comma-separated (`add` and `concat` take "
     "several); `input`: the network input"},

    /* type = dense */
    {"dense", "units", NN_KEY_INT, L(units), 0, NULL, GE(1), NULL, NULL, 1, "number of outputs"},
    {"dense", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NO_RANGE, "linear",
     NULL, 0, "applied to W x + b"},
    {"dense", "init", NN_KEY_ENUM, L(init), 0, init_names, NO_RANGE, "xavier", NULL, 0,
     "weight initialisation (biases start at 0)"},

    /* type = conv */
    {"conv", "filters", NN_KEY_INT, L(filters), 0, NULL, GE(1), NULL, NULL, 1,
     "number of output channels"},
    {"conv", "size", NN_KEY_INT, L(size), 0, NULL, GE(1), "3", NULL, 0,
     "kernel side (size x size)"},
    {"conv", "stride", NN_KEY_INT, L(stride), 0, NULL, GE(1), "1", NULL, 0,
     "step between kernel positions"},
    {"conv", "padding", NN_KEY_INT, L(padding), 0, NULL, GE(0), "0", NULL, 0,
     "zero rows and columns added on each side (size 3, padding 1 keeps H x W at stride 1)"},
    {"conv", "bias", NN_KEY_BOOL, L(bias), 0, NULL, NO_RANGE, "true", NULL, 0,
     "add a learned bias per filter (false before a batchnorm, which has its own shift)"},
    {"conv", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NO_RANGE, "linear",
     NULL, 0, "applied to the convolution plus bias (softmax: over all outputs of a sample)"},
    {"conv", "init", NN_KEY_ENUM, L(init), 0, init_names, NO_RANGE, "he", NULL, 0,
     "weight initialisation, fans = channels x size^2 (biases start at 0)"},

    /* pooling */
    {"maxpool", "size", NN_KEY_INT, L(size), 0, NULL, GE(1), "2", NULL, 0, "window side"},
    {"maxpool", "stride", NN_KEY_INT, L(stride), 0, NULL, GE(0), "0", NULL, 0,
     "step between windows; 0: the window side (windows do not overlap)"},
    {"maxpool", "padding", NN_KEY_INT, L(padding), 0, NULL, GE(0), "0", NULL, 0,
     "rows and columns added on each side; they never win the maximum"},
    {"avgpool", "size", NN_KEY_INT, L(size), 0, NULL, GE(1), "2", NULL, 0, "window side"},
    {"avgpool", "stride", NN_KEY_INT, L(stride), 0, NULL, GE(0), "0", NULL, 0,
     "step between windows; 0: the window side (windows do not overlap)"},
    {"avgpool", "padding", NN_KEY_INT, L(padding), 0, NULL, GE(0), "0", NULL, 0,
     "zero rows and columns added on each side (counted in the average)"},

    /* type = batchnorm */
    {"batchnorm", "momentum", NN_KEY_FLOAT, L(bn_momentum), 0, NULL, OPEN_CLOSED(0, 1), "0.1",
     NULL, 0, "weight of each training batch in the running mean and variance used for evaluation"},
    {"batchnorm", "eps", NN_KEY_FLOAT, L(bn_eps), 0, NULL, GT(0), "1e-5", NULL, 0,
     "added to the variance before its square root"},
    {"batchnorm", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NO_RANGE,
     "linear", NULL, 0, "applied to gamma x_hat + beta"},

    /* type = dropout */
    {"dropout", "rate", NN_KEY_FLOAT, L(rate), 0, NULL, CLOSED_OPEN(0, 1), "0.5", NULL, 0,
     "probability of zeroing each value in training (the rest are scaled by 1 / (1 - rate))"},

    /* type = add */
    {"add", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NO_RANGE, "linear",
     NULL, 0, "applied to the sum (relu for a ResNet block)"},
};
const int nn_cfg_n_keys = (int)(sizeof nn_cfg_keys / sizeof nn_cfg_keys[0]);

const nn_layer_type_spec nn_cfg_layer_types[] = {
    {"dense", "Fully connected: `y = activation(W x + b)`, W is `units` x inputs (the input is "
              "flattened).", 1, 1, 1},
    {"conv", "2-D convolution (cross-correlation, as in PyTorch) of C x H x W inputs with "
             "`filters` kernels of C x `size` x `size`; output `filters` x H' x W' with "
             "H' = (H + 2 padding - size) / stride + 1. Weights `W` are stored "
             "[filters, C, size, size], biases `b` [filters].", 1, 1, 1},
    {"maxpool", "Maximum over `size` x `size` windows of each channel.", 1, 1, 0},
    {"avgpool", "Mean over `size` x `size` windows of each channel.", 1, 1, 0},
    {"global_avgpool", "Mean of each channel over all positions: C x H x W -> C x 1 x 1. "
                       "No keys besides `type` and `input`.", 1, 1, 0},
    {"batchnorm", "Batch normalization per channel (per feature for vectors): in training, "
                  "`x_hat` uses the mean and variance of the global batch (summed over all "
                  "ranks, so the result does not depend on the rank count) and updates running "
                  "statistics; in evaluation it uses those. Parameters `gamma` (starts at 1), "
                  "`beta` (0); `running_mean`, `running_var` are kept in checkpoints.", 1, 1, 1},
    {"dropout", "Inverted dropout: in training each value is zeroed with probability `rate`; "
                "which ones is a function of (seed, epoch, sample index), never of the rank. "
                "Evaluation passes values through.", 1, 1, 0},
    {"flatten", "C x H x W -> (C H W) x 1 x 1, in NCHW order (as PyTorch's Flatten). No keys "
                "besides `type` and `input`.", 1, 1, 0},
    {"add", "Element-wise sum of two or more inputs of the same shape (a residual "
            "connection, Darknet's [shortcut]): `input = a, b`.", 2, NN_MAX_INPUTS, 0},
    {"concat", "Concatenation of two or more inputs along channels (a skip connection, "
               "Darknet's [route]): inputs C1 x H x W, C2 x H x W, ... -> (C1 + C2 + ...) x H "
               "x W. No keys besides `type` and `input`.", 2, NN_MAX_INPUTS, 0},
};
const int nn_cfg_n_layer_types = (int)(sizeof nn_cfg_layer_types / sizeof nn_cfg_layer_types[0]);

/* ---- lookups -------------------------------------------------------------- */

const nn_key_spec *nn_cfg_find_key(const char *scope, const char *key)
{
    for (int i = 0; i < nn_cfg_n_keys; i++)
        if (strcmp(nn_cfg_keys[i].scope, scope) == 0 && strcmp(nn_cfg_keys[i].key, key) == 0)
            return &nn_cfg_keys[i];
    return NULL;
}

const nn_layer_type_spec *nn_cfg_find_layer_type(const char *name)
{
    for (int i = 0; i < nn_cfg_n_layer_types; i++)
        if (strcmp(nn_cfg_layer_types[i].name, name) == 0)
            return &nn_cfg_layer_types[i];
    return NULL;
}

int nn_cfg_max_line(void)
{
    /* inih's buffer must hold the line, "\r\n" and the NUL. */
    return ini_max_line - 3;
}

/* ---- did you mean --------------------------------------------------------- */

static int edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63)
        return 1000;
    int row[64];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

void nn_cfg_match_init(nn_cfg_match *m, const char *word)
{
    m->word = word;
    m->best = NULL;
    m->dist = 1000;
}

void nn_cfg_match_try(nn_cfg_match *m, const char *candidate)
{
    int d = edit_distance(m->word, candidate);
    if (d < m->dist) {
        m->dist = d;
        m->best = candidate;
    }
}

const char *nn_cfg_match_best(const nn_cfg_match *m)
{
    size_t n = strlen(m->word);
    int limit = n <= 4 ? 1 : n <= 8 ? 2 : 3;
    return (m->best && m->dist <= limit && (size_t)m->dist < strlen(m->best)) ? m->best : NULL;
}

/* ---- conversion ----------------------------------------------------------- */

static int why(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ">= 1", "> 0", "in [0, 1)": the allowed range of k, or "" when unbounded. */
static const char *range_text(const nn_key_spec *k, char *buf, size_t n)
{
    int lo = k->range & (NN_RANGE_LO | NN_RANGE_LO_OPEN);
    int hi = k->range & (NN_RANGE_HI | NN_RANGE_HI_OPEN);
    if (lo && hi)
        snprintf(buf, n, "in %c%g, %g%c", (k->range & NN_RANGE_LO_OPEN) ? '(' : '[', k->lo, k->hi,
                 (k->range & NN_RANGE_HI_OPEN) ? ')' : ']');
    else if (lo)
        snprintf(buf, n, "%s %g", (k->range & NN_RANGE_LO_OPEN) ? ">" : ">=", k->lo);
    else if (hi)
        snprintf(buf, n, "%s %g", (k->range & NN_RANGE_HI_OPEN) ? "<" : "<=", k->hi);
    else
        buf[0] = '\0';
    return buf;
}

static int in_range(const nn_key_spec *k, double v)
{
    if ((k->range & NN_RANGE_LO) && !(v >= k->lo))
        return 0;
    if ((k->range & NN_RANGE_LO_OPEN) && !(v > k->lo))
        return 0;
    if ((k->range & NN_RANGE_HI) && !(v <= k->hi))
        return 0;
    if ((k->range & NN_RANGE_HI_OPEN) && !(v < k->hi))
        return 0;
    return 1;
}

static int range_error(const nn_key_spec *k, char *buf, size_t n)
{
    char r[64];
    return why(buf, n, "out of range: must be %s", range_text(k, r, sizeof r));
}

/* "a, b or c" */
static void list_choices(const char *const *names, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] && used < n; i++) {
        const char *sep = i == 0 ? "" : names[i + 1] ? ", " : " or ";
        int w = snprintf(buf + used, n - used, "%s%s", sep, names[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

static int copy_string(const char *value, char *dst, size_t size, const char *what, char *buf,
                       size_t n)
{
    size_t len = strlen(value);
    if (len >= size)
        return why(buf, n, "%s too long (%zu characters; at most %zu)", what, len, size - 1);
    memcpy(dst, value, len + 1);
    return 0;
}

static int convert_int(const nn_key_spec *k, const char *value, int *dst, char *buf, size_t n)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (end == value || *end != '\0')
        return why(buf, n, "not an integer");
    if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
        return why(buf, n, "integer too large");
    if (!in_range(k, (double)v))
        return range_error(k, buf, n);
    *dst = (int)v;
    return 0;
}

static int convert_u64(const char *value, uint64_t *dst, char *buf, size_t n)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (end == value || *end != '\0' || value[0] == '-' || value[0] == '+')
        return why(buf, n, "not a non-negative integer");
    if (errno == ERANGE)
        return why(buf, n, "integer too large (at most %llu)", (unsigned long long)UINT64_MAX);
    *dst = (uint64_t)v;
    return 0;
}

static int convert_float(const nn_key_spec *k, const char *value, double *dst, char *buf, size_t n)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end != '\0')
        return why(buf, n, "not a number");
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
        return why(buf, n, "not a finite number");
    if (!in_range(k, v))
        return range_error(k, buf, n);
    *dst = v;
    return 0;
}

static int convert_bool(const char *value, int *dst, char *buf, size_t n)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0)
            return *dst = 1, 0;
        if (strcasecmp(value, no[i]) == 0)
            return *dst = 0, 0;
    }
    return why(buf, n, "not a boolean (use true/false, yes/no, on/off or 1/0)");
}

static int convert_enum(const char *const *names, const char *value, int *dst, char *buf, size_t n)
{
    nn_cfg_match m;
    nn_cfg_match_init(&m, value);
    for (int i = 0; names[i]; i++) {
        if (strcasecmp(value, names[i]) == 0)
            return *dst = i, 0;
        nn_cfg_match_try(&m, names[i]);
    }
    char list[256];
    list_choices(names, list, sizeof list);
    const char *best = nn_cfg_match_best(&m);
    if (best)
        return why(buf, n, "must be %s (did you mean '%s'?)", list, best);
    return why(buf, n, "must be %s", list);
}

static int convert_layer_type(const char *value, char *dst, size_t size, char *buf, size_t n)
{
    nn_cfg_match m;
    nn_cfg_match_init(&m, value);
    for (int i = 0; i < nn_cfg_n_layer_types; i++) {
        if (strcmp(value, nn_cfg_layer_types[i].name) == 0)
            return copy_string(value, dst, size, "type", buf, n);
        nn_cfg_match_try(&m, nn_cfg_layer_types[i].name);
    }
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; i < nn_cfg_n_layer_types && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         nn_cfg_layer_types[i].name);
        used += w > 0 ? (size_t)w : 0;
    }
    const char *best = nn_cfg_match_best(&m);
    if (best)
        return why(buf, n, "unknown layer type (did you mean '%s'? known: %s)", best, list);
    return why(buf, n, "unknown layer type (known: %s)", list);
}

/* "A, B, C" -> names[0..count); each name trimmed, non-empty, unique. */
static int convert_names(const char *value, char (*names)[32], int *count, size_t size, char *buf,
                         size_t n)
{
    int max = (int)(size / sizeof names[0]);
    int c = 0;
    const char *p = value;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *e = end;
        while (e > p && isspace((unsigned char)e[-1]))
            e--;
        size_t len = (size_t)(e - p);
        if (len == 0)
            return why(buf, n, "empty name in the list (name %d)", c + 1);
        if (len >= sizeof names[0])
            return why(buf, n, "name '%.*s' is longer than %zu characters", (int)len, p,
                       sizeof names[0] - 1);
        if (c == max)
            return why(buf, n, "more than %d names", max);
        /* ';' and '#' start comments when the list is written back out (the
         * config stored in checkpoints); found by tests/fuzz/fuzz_io_config. */
        const char *bad = memchr(p, '#', len) ? "#" : memchr(p, ';', len) ? ";" : NULL;
        if (bad)
            return why(buf, n, "name '%.*s' contains '%s'", (int)len, p, bad);
        memcpy(names[c], p, len);
        names[c][len] = '\0';
        for (int i = 0; i < c; i++)
            if (strcmp(names[i], names[c]) == 0)
                return why(buf, n, "name '%s' appears twice", names[c]);
        c++;
        if (!comma)
            break;
        p = comma + 1;
    }
    *count = c;
    return 0;
}

int nn_cfg_convert(const nn_key_spec *k, const char *value, void *base, char *buf, size_t n)
{
    char *field = (char *)base + k->offset;
    if (value[0] == '\0')
        return why(buf, n, "no value");
    switch (k->type) {
    case NN_KEY_INT:
        return convert_int(k, value, (int *)(void *)field, buf, n);
    case NN_KEY_U64:
        return convert_u64(value, (uint64_t *)(void *)field, buf, n);
    case NN_KEY_FLOAT:
        return convert_float(k, value, (double *)(void *)field, buf, n);
    case NN_KEY_BOOL:
        return convert_bool(value, (int *)(void *)field, buf, n);
    case NN_KEY_ENUM: {
        int v;
        if (convert_enum(k->choices, value, &v, buf, n))
            return -1;
        /* All the config enums are int-sized. */
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case NN_KEY_PATH:
    case NN_KEY_DATAFILE:
        return copy_string(value, field, k->size, "path", buf, n);
    case NN_KEY_LAYERREF:
        return copy_string(value, field, k->size, "list of layer names", buf, n);
    case NN_KEY_LAYERTYPE:
        return convert_layer_type(value, field, k->size, buf, n);
    case NN_KEY_NAMES:
        return convert_names(value, (char (*)[32])(void *)field,
                             (int *)(void *)((char *)base + k->count_offset), k->size, buf, n);
    }
    return why(buf, n, "internal error: unknown key type");
}

int nn_cfg_apply_defaults(const char *scope, void *base)
{
    char buf[256];
    for (int i = 0; i < nn_cfg_n_keys; i++) {
        const nn_key_spec *k = &nn_cfg_keys[i];
        if (strcmp(k->scope, scope) == 0 && k->def && nn_cfg_convert(k, k->def, base, buf, sizeof buf))
            return -1;
    }
    return 0;
}

/* ---- formatting values back (nn_config_resolved) -------------------------- */

int nn_cfg_format_value(const nn_key_spec *k, const void *base, char *buf, size_t n)
{
    const char *field = (const char *)base + k->offset;
    int w = 0;
    switch (k->type) {
    case NN_KEY_INT:
    case NN_KEY_BOOL: {
        int v;
        memcpy(&v, field, sizeof v);
        if (k->type == NN_KEY_BOOL)
            w = snprintf(buf, n, "%s", v ? "true" : "false");
        else
            w = snprintf(buf, n, "%d", v);
        break;
    }
    case NN_KEY_U64: {
        uint64_t v;
        memcpy(&v, field, sizeof v);
        w = snprintf(buf, n, "%llu", (unsigned long long)v);
        break;
    }
    case NN_KEY_FLOAT: {
        double v;
        memcpy(&v, field, sizeof v);
        /* the shortest form that reads back as the same double */
        for (int digits = 15; digits <= 17; digits++) {
            w = snprintf(buf, n, "%.*g", digits, v);
            if (w < 0 || (size_t)w >= n || strtod(buf, NULL) == v)
                break;
        }
        break;
    }
    case NN_KEY_ENUM: {
        int v;
        memcpy(&v, field, sizeof v);
        w = snprintf(buf, n, "%s", k->choices[v]);
        break;
    }
    case NN_KEY_PATH:
    case NN_KEY_DATAFILE:
    case NN_KEY_LAYERREF:
    case NN_KEY_LAYERTYPE:
        w = snprintf(buf, n, "%s", field);
        break;
    case NN_KEY_NAMES: {
        int count;
        memcpy(&count, (const char *)base + k->count_offset, sizeof count);
        const char(*names)[32] = (const char(*)[32])(const void *)field;
        size_t used = 0;
        buf[0] = '\0';
        for (int i = 0; i < count; i++) {
            int c = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
            if (c < 0 || (size_t)c >= n - used)
                return -1;
            used += (size_t)c;
        }
        return (int)used;
    }
    }
    return (w < 0 || (size_t)w >= n) ? -1 : w;
}

/* ---- the reference -------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap, len;
} text_out;

static void put(text_out *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text_out *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (w > 0)
        t->len = t->len + (size_t)w < t->cap ? t->len + (size_t)w : t->cap - 1;
}

static const char *type_text(const nn_key_spec *k, char *buf, size_t n)
{
    char r[64];
    range_text(k, r, sizeof r);
    switch (k->type) {
    case NN_KEY_INT:
        snprintf(buf, n, "int%s%s", r[0] ? " " : "", r);
        break;
    case NN_KEY_U64:
        snprintf(buf, n, "unsigned 64-bit int");
        break;
    case NN_KEY_FLOAT:
        snprintf(buf, n, "float%s%s", r[0] ? " " : "", r);
        break;
    case NN_KEY_BOOL:
        snprintf(buf, n, "bool");
        break;
    case NN_KEY_ENUM: {
        size_t used = 0;
        buf[0] = '\0';
        for (int i = 0; k->choices[i] && used < n; i++) {
            int w = snprintf(buf + used, n - used, "%s`%s`", i ? ", " : "", k->choices[i]);
            used += w > 0 ? (size_t)w : 0;
        }
        break;
    }
    case NN_KEY_PATH:
        snprintf(buf, n, "path");
        break;
    case NN_KEY_DATAFILE:
        snprintf(buf, n, "path of a readable file");
        break;
    case NN_KEY_NAMES:
        snprintf(buf, n, "list of names");
        break;
    case NN_KEY_LAYERTYPE: {
        size_t used = 0;
        buf[0] = '\0';
        for (int i = 0; i < nn_cfg_n_layer_types && used < n; i++) {
            int w = snprintf(buf + used, n - used, "%s`%s`", i ? ", " : "",
                             nn_cfg_layer_types[i].name);
            used += w > 0 ? (size_t)w : 0;
        }
        break;
    }
    case NN_KEY_LAYERREF:
        snprintf(buf, n, "layer names");
        break;
    }
    return buf;
}

static void put_table(text_out *t, const char *scope)
{
    put(t, "| key | type | default | meaning |\n|---|---|---|---|\n");
    for (int i = 0; i < nn_cfg_n_keys; i++) {
        const nn_key_spec *k = &nn_cfg_keys[i];
        if (strcmp(k->scope, scope) != 0)
            continue;
        char type[256];
        put(t, "| `%s` | %s | ", k->key, type_text(k, type, sizeof type));
        if (k->def)
            put(t, "`%s`", k->def);
        else if (k->required)
            put(t, "**required**");
        else
            put(t, "%s", k->def_doc ? k->def_doc : "none");
        put(t, " | %s |\n", k->doc);
    }
}

static void put_intro(text_out *t)
{
    put(t,
        "# nntrain configuration reference\n"
        "\n"
        "<!-- Generated from src/io/config_schema.c: `nntrain --help-config` prints it.\n"
        "     test_io_config fails when this file differs from the program's output. -->\n"
        "\n"
        "A run is described by one INI file: a `[data]` section, a `[train]` section and\n"
        "one section per layer, in order. A layer's section name is the layer's name\n"
        "(letters, digits, `_` and `-`, at most %d characters; not `data`, `train` or\n"
        "`input`) and its `type =` says what kind of layer it is.\n"
        "\n"
        "```ini\n"
        "[data]\n"
        "train = ${NNTRAIN_DATA}/nist36/nist36_train.mat\n"
        "valid = ${NNTRAIN_DATA}/nist36/nist36_valid.mat\n"
        "test  = ${NNTRAIN_DATA}/nist36/nist36_test.mat\n"
        "\n"
        "[train]\n"
        "epochs = 50\n"
        "batch_size = 32\n"
        "lr = 0.01\n"
        "\n"
        "[hidden]\n"
        "type = dense\n"
        "units = 64\n"
        "activation = sigmoid\n"
        "\n"
        "[output]\n"
        "type = dense\n"
        "units = 36\n"
        "activation = softmax\n"
        "```\n"
        "\n"
        "Rules:\n"
        "\n"
        "- One `key = value` per line; at most %d characters a line; no continuation lines.\n"
        "- Comments: lines starting with `;` or `#`, and `; ...` or `# ...` after a space\n"
        "  at the end of a line.\n"
        "- Every key is checked before any work starts: an unknown key, a bad or\n"
        "  out-of-range value, a missing data file, a section or key given twice all stop\n"
        "  the program with `file:line: message`.\n"
        "- `${NAME}` in a value is replaced by the environment variable `NAME`, which\n"
        "  must be set (e.g. `export NNTRAIN_DATA=/path/to/data`). Checkpoints store the\n"
        "  config with every value replaced, one `key = value` a line, so each must still\n"
        "  fit in %d characters, with no line break, no blank at either end and no `;` or\n"
        "  `#` after a blank (the same holds for `--set` values).\n"
        "- `nntrain --set section.key=value` (repeatable) sets a key as if it were\n"
        "  written in the file, replacing the file's value or adding the key; a layer\n"
        "  named this way must have a section in the file. Example:\n"
        "  `--set train.lr=0.1 --set hidden.units=128`.\n"
        "- Booleans: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`.\n"
        "- Layers are wired in order: each reads the previous layer's output (the first\n"
        "  reads the network input) unless `input =` names earlier layers: one, or several\n"
        "  comma-separated for `add` and `concat` (`input = input` is the network input).\n"
        "  An output may feed several later layers (their gradients add up); every layer\n"
        "  but the last feeds at least one, and the last is the network's output.\n"
        "  Residual blocks, concatenated skips and ResNet-in-ResNet are written this way:\n"
        "  see docs/cnn.md.\n",
        NN_NAME_LEN - 1, nn_cfg_max_line(), nn_cfg_max_line());
}

const char *nn_config_reference(void)
{
    static char buf[32768];
    if (buf[0])
        return buf;
    text_out t = {buf, sizeof buf, 0};
    put_intro(&t);
    put(&t, "\n## [data]\n\nThe data files. IDX files (MNIST, EMNIST) come as image and label "
            "files;\n`.mat` files (NIST36) hold both, and so do `.h5` data set files made by\n"
            "`nntrain prep` (one file with `train`, `valid` and `test` splits; see\n"
            "[dataset-format.md](dataset-format.md)).\n\n");
    put_table(&t, NN_SCOPE_DATA);
    put(&t, "\n## [train]\n\nHow to train. The whole section is optional.\n\n");
    put_table(&t, NN_SCOPE_TRAIN);
    put(&t, "\n## Layers\n\nEvery other section is a layer. Keys of every layer:\n\n");
    put_table(&t, NN_SCOPE_LAYER);
    for (int i = 0; i < nn_cfg_n_layer_types; i++) {
        const char *type = nn_cfg_layer_types[i].name;
        put(&t, "\n### type = %s\n\n%s\n", type, nn_cfg_layer_types[i].doc);
        int keys = 0;
        for (int k = 0; k < nn_cfg_n_keys; k++)
            keys += strcmp(nn_cfg_keys[k].scope, type) == 0;
        if (keys) { /* types without keys of their own say so in their doc */
            put(&t, "\n");
            put_table(&t, type);
        }
    }
    return buf;
}
