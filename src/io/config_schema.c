/* The training config's schema: one table of every section's keys (type,
 * default, range, one-line doc) that drives the INI engine (io/ini.c):
 * parsing, defaults, validation and the Markdown reference
 * (nn_config_reference), so the docs cannot drift from the code. The layer
 * kinds, their docs and inputs come from the layer registry
 * (src/layers/registry.c). Adding a layer kind: its ops there, rows with its
 * name as scope here, and the fields in nn_layer_config. */
#include "io/config_internal.h"
#include "nn/checkpoint.h"
#include "nn/layer.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The `type =` values: every kind in the layer registry, then the fire
 * module, a section that the reader expands into layers of those kinds. */
static const char *layer_type_at(int i)
{
    const nn_layer_ops *ops = nn_layer_ops_at(i);
    if (ops)
        return ops->type;
    return nn_layer_ops_at(i - 1) ? NN_FIRE_TYPE : NULL;
}

/* What a fire section computes, for the reference. */
static const char fire_doc[] =
    "SqueezeNet's fire module (Iandola et al. 2016; torchvision's `Fire`), written as one "
    "section that the reader expands into four layers: `<name>/squeeze`, a 1x1 `conv` of "
    "`squeeze` filters with ReLU; `<name>/expand1x1`, a 1x1 `conv` of `expand1x1` filters "
    "with ReLU, and `<name>/expand3x3`, a 3x3 `conv` of `expand3x3` filters, padding 1, "
    "with ReLU, both reading the squeeze; and `<name>`, the `concat` of the two expands "
    "(1x1 channels first): C x H x W -> (expand1x1 + expand3x3) x H x W. `input = <name>` "
    "names the module's output, `input = <name>/squeeze` one of its parts; `freeze = "
    "<name>` freezes its three convolutions. The parts show in `--summary` and name the "
    "checkpoint's tensors (`/model/<name>/squeeze/W`, ...). The section name may have at "
    "most 53 characters.";

/* ---- enum names, indexed by the C enum value ------------------------------ */

static const char *const format_names[] = { [NN_FORMAT_AUTO] = "auto",
                                            [NN_FORMAT_IDX] = "idx",
                                            [NN_FORMAT_MAT] = "mat",
                                            [NN_FORMAT_H5] = "h5",
                                            NULL };
static const char *const loss_names[] = {
    [NN_LOSS_CROSS_ENTROPY] = "cross_entropy", [NN_LOSS_MSE] = "mse", NULL
};
static const char *const optimizer_names[] = {
    [NN_OPT_SGD] = "sgd", [NN_OPT_MOMENTUM] = "momentum", [NN_OPT_ADAM] = "adam", NULL
};
static const char *const schedule_names[] = {
    [NN_SCHED_CONSTANT] = "constant", [NN_SCHED_STEP] = "step", [NN_SCHED_COSINE] = "cosine", NULL
};
static const char *const target_names[] = {
    [NN_TARGET_LABELS] = "labels", [NN_TARGET_INPUT] = "input", NULL
};
static const char *const conv_algorithm_names[] = {
    [NN_CONV_AUTO] = "auto", [NN_CONV_GEMM] = "gemm", [NN_CONV_WINOGRAD] = "winograd", NULL
};
static const char *const activation_names[] = {
    [NN_ACT_LINEAR] = "linear", [NN_ACT_SIGMOID] = "sigmoid", [NN_ACT_TANH] = "tanh",
    [NN_ACT_RELU] = "relu",     [NN_ACT_SOFTMAX] = "softmax", NULL
};
static const char *const normalize_names[] = { [NN_NORMALIZE_NONE] = "none",
                                               [NN_NORMALIZE_DATASET] = "dataset",
                                               [NN_NORMALIZE_IMAGENET] = "imagenet",
                                               NULL };
static const char *const share_names[] = {
    [NN_SHARE_AUTO] = "auto", [NN_SHARE_TRUE] = "true", [NN_SHARE_FALSE] = "false", NULL
};
static const char *const init_names[] = {
    [NN_INIT_XAVIER] = "xavier", [NN_INIT_HE] = "he", [NN_INIT_ZEROS] = "zeros", NULL
};

/* NN_KEY_ENUM and NN_KEY_BOOL fields are stored as int. */
_Static_assert(sizeof(nn_data_format) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_loss_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_optimizer_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_schedule_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_activation) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_init_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_target_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_normalize_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(nn_share_kind) == sizeof(int), "enum size");

/* ---- the table ------------------------------------------------------------ */

#define D(f) NN_FIELD(nn_data_config, f)
#define T(f) NN_FIELD(nn_train_config, f)
#define L(f) NN_FIELD(nn_layer_config, f)

static const nn_key_spec keys[] = {
    /* [data] */
    { "data", "format", NN_KEY_ENUM, D(format), 0, format_names, NN_NO_RANGE, "auto", NULL, 0,
      .doc = "file format of every data file; `auto`: `mat` when `train` ends in `.mat`, `h5` "
             "when it ends in `.h5`, else `idx`" },
    { "data", "train", NN_KEY_DATAFILE, D(train), 0, NULL, NN_NO_RANGE, NULL, NULL, 1,
      .doc = "training set: IDX images (`.gz` allowed), a MATLAB `.mat` file with images and "
             "labels, or an nntrain data set file (`.h5`, made by `nntrain prep`; its `train` "
             "split)" },
    { "data", "train_labels", NN_KEY_DATAFILE, D(train_labels), 0, NULL, NN_NO_RANGE, NULL, "none",
      0, .doc = "IDX labels of `train` (idx: required; mat, h5: not allowed)" },
    { "data", "valid", NN_KEY_DATAFILE, D(valid), 0, NULL, NN_NO_RANGE, NULL, "none", 0,
      .doc = "validation set, same format as `train` (h5: the file's `valid` split; the same file "
             "as `train` is fine)" },
    { "data", "valid_labels", NN_KEY_DATAFILE, D(valid_labels), 0, NULL, NN_NO_RANGE, NULL, "none",
      0, .doc = "IDX labels of `valid` (idx with `valid`: required)" },
    { "data", "test", NN_KEY_DATAFILE, D(test), 0, NULL, NN_NO_RANGE, NULL, "none", 0,
      .doc = "test set, same format as `train` (h5: the file's `test` split); evaluated once "
             "after training" },
    { "data", "test_labels", NN_KEY_DATAFILE, D(test_labels), 0, NULL, NN_NO_RANGE, NULL, "none", 0,
      .doc = "IDX labels of `test` (idx with `test`: required)" },
    { "data", "valid_fraction", NN_KEY_FLOAT, D(valid_fraction), 0, NULL, NN_IN_CLOSED_OPEN(0, 1),
      "0.1", NULL, 0,
      .doc = "fraction of `train` held out for validation (0: none); not allowed "
             "with `valid`" },
    { "data", "limit", NN_KEY_U64, D(limit), 0, NULL, NN_NO_RANGE, "0", NULL, 0,
      .doc = "train on N samples of the training set only, after the validation split (0: all); "
             "for quick experiments. The N are drawn at random from `[train] seed`, stratified by "
             "class: each class keeps its share of N, rounded down or up (the leftover samples go "
             "to the classes with the largest fractions, ties drawn from the seed), so a file "
             "sorted by class keeps all its classes, not the first few. The kept samples stay in "
             "file order; every rank and rank count gets the same ones" },
    { "data", "augment_shift", NN_KEY_FLOAT, D(augment_shift), 0, NULL, NN_IN_CLOSED_OPEN(0, 64),
      "0", NULL, 0,
      .doc = "training images only: shift each by a random offset of up to this "
             "many pixels in x and in y" },
    { "data", "augment_rotate", NN_KEY_FLOAT, D(augment_rotate), 0, NULL, NN_IN_CLOSED(0, 180), "0",
      NULL, 0,
      .doc = "training images only: rotate each by a random angle of up to this many "
             "degrees either way" },
    { "data", "augment_scale", NN_KEY_FLOAT, D(augment_scale), 0, NULL, NN_IN_CLOSED_OPEN(0, 1),
      "0", NULL, 0,
      .doc = "training images only: scale each by a random factor in [1 - s, 1 + s] "
             "(about its centre)" },
    /* input views (src/data/view.c): crop, flip, normalisation */
    { "data", "crop", NN_KEY_INT, D(crop), 0, NULL, NN_IN_CLOSED(0, 4096), "0", NULL, 0,
      .doc = "network input is a crop x crop square of each image: at a random position per "
             "training sample and epoch, the centre for validation, test and `nntrain eval` "
             "(0: whole images). E.g. 128 from Flowers17's 144 x 144 images" },
    { "data", "flip", NN_KEY_BOOL, D(flip), 0, NULL, NN_NO_RANGE, "false", NULL, 0,
      .doc = "training images only: mirror each left to right with probability 1/2 (photos; "
             "not for characters)" },
    { "data", "normalize", NN_KEY_ENUM, D(normalize), 0, normalize_names, NN_NO_RANGE, "none", NULL,
      0,
      .doc = "`dataset`: each channel becomes (x - mean) / std, x in [0, 1], with the training "
             "split's mean and std: the ones an `.h5` data set file stores (`/train` "
             "channel_mean, channel_std), else computed from the training samples (after "
             "`valid_fraction` and `limit`); every split and `nntrain eval` use the same "
             "numbers. `imagenet`: ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, "
             "0.225) for RGB images, what networks pretrained on ImageNet expect. `none`: x as it "
             "is" },
    { "data", "transpose", NN_KEY_BOOL, D(transpose), 0, NULL, NN_NO_RANGE, "false", NULL, 0,
      .doc = "transpose each image (EMNIST stores images transposed)" },
    { "data", "invert", NN_KEY_BOOL, D(invert), 0, NULL, NN_NO_RANGE, "false", NULL, 0,
      .doc = "replace each pixel x by 1 - x (flip ink polarity)" },
    { "data", "classes", NN_KEY_NAMES, offsetof(nn_data_config, class_names), NN_MAX_CLASSES,
      offsetof(nn_data_config, n_class_names), NULL, NN_NO_RANGE, NULL, "label numbers", 0,
      .doc = "class names in label order, comma-separated, at most 31 characters each (for "
             "confusion matrices and OCR output)" },
    { "data", "share", NN_KEY_ENUM, D(share), 0, share_names, NN_NO_RANGE, "auto", NULL, 0,
      .doc =
          "one copy of the training, validation and test sets per host: the host's first rank "
          "reads the files (and splits, limits, transposes) into MPI shared memory, the other "
          "ranks of that host read them from there and never open the files. Same results as "
          "`false`, which has every rank load its own copy. `auto`: shared when a host runs more "
          "than one rank" },

    /* [train] */
    { "train", "epochs", NN_KEY_INT, T(epochs), 0, NULL, NN_GE(1), "10", NULL, 0,
      .doc = "passes over the training set" },
    { "train", "batch_size", NN_KEY_INT, T(batch_size), 0, NULL, NN_GE(1), "32", NULL, 0,
      .doc = "GLOBAL minibatch size, split across MPI ranks (results do not depend on the rank "
             "count)" },
    { "train", "loss", NN_KEY_ENUM, T(loss), 0, loss_names, NN_NO_RANGE, "cross_entropy", NULL, 0,
      .doc = "loss function (cross_entropy expects a softmax output layer)" },
    { "train", "optimizer", NN_KEY_ENUM, T(optimizer), 0, optimizer_names, NN_NO_RANGE, "sgd", NULL,
      0, .doc = "update rule" },
    { "train", "lr", NN_KEY_FLOAT, T(lr), 0, NULL, NN_GT(0), "0.01", NULL, 0,
      .doc = "learning rate (initial value when a schedule is used)" },
    { "train", "momentum", NN_KEY_FLOAT, T(momentum), 0, NULL, NN_IN_CLOSED_OPEN(0, 1), "0.9", NULL,
      0, .doc = "momentum coefficient (optimizer = momentum)" },
    { "train", "beta1", NN_KEY_FLOAT, T(beta1), 0, NULL, NN_IN_CLOSED_OPEN(0, 1), "0.9", NULL, 0,
      .doc = "Adam: decay of the first-moment average" },
    { "train", "beta2", NN_KEY_FLOAT, T(beta2), 0, NULL, NN_IN_CLOSED_OPEN(0, 1), "0.999", NULL, 0,
      .doc = "Adam: decay of the second-moment average" },
    { "train", "eps", NN_KEY_FLOAT, T(eps), 0, NULL, NN_GT(0), "1e-8", NULL, 0,
      .doc = "Adam: added to the root of the second moment" },
    { "train", "weight_decay", NN_KEY_FLOAT, T(weight_decay), 0, NULL, NN_GE(0), "0", NULL, 0,
      .doc = "L2 penalty on weights (not biases)" },
    { "train", "schedule", NN_KEY_ENUM, T(schedule), 0, schedule_names, NN_NO_RANGE, "constant",
      NULL, 0, .doc = "learning-rate schedule over epochs" },
    { "train", "step_epochs", NN_KEY_INT, T(step_epochs), 0, NULL, NN_GE(1), "10", NULL, 0,
      .doc = "schedule = step: multiply lr by `gamma` every this many epochs" },
    { "train", "gamma", NN_KEY_FLOAT, T(gamma), 0, NULL, NN_IN_OPEN_CLOSED(0, 1), "0.1", NULL, 0,
      .doc = "schedule = step: factor applied to lr" },
    { "train", "min_lr", NN_KEY_FLOAT, T(min_lr), 0, NULL, NN_GE(0), "0", NULL, 0,
      .doc = "schedule = cosine: lr at the last epoch" },
    { "train", "seed", NN_KEY_U64, T(seed), 0, NULL, NN_NO_RANGE, "1", NULL, 0,
      .doc = "seed of every random choice (init, shuffle, validation split)" },
    { "train", "threads", NN_KEY_INT, T(threads), 0, NULL, NN_GE(0), "0", NULL, 0,
      .doc = "threads per rank; 0: OMP_NUM_THREADS, else 1" },
    { "train", "checkpoint_every", NN_KEY_INT, T(checkpoint_every), 0, NULL, NN_GE(1), "1", NULL, 0,
      .doc = "write a checkpoint every this many epochs" },
    { "train", "keep_checkpoints", NN_KEY_INT, T(keep_checkpoints), 0, NULL,
      NN_IN_CLOSED(1, NN_CKPT_MAX_KEEP), "2", NULL, 0,
      .doc = "checkpoints kept in `out`: the latest (`checkpoint.h5`) and the ones before it "
             "(`checkpoint.1.h5` the previous, then `checkpoint.2.h5` ...); `--resume auto` takes "
             "the newest that verifies" },
    { "train", "out", NN_KEY_PATH, T(out), 0, NULL, NN_NO_RANGE, NULL,
      "`runs/<config file name without .ini>`", 0,
      .doc = "output folder: checkpoints, metrics, figures" },
    { "train", "shuffle", NN_KEY_BOOL, T(shuffle), 0, NULL, NN_NO_RANGE, "true", NULL, 0,
      .doc = "reshuffle the training set every epoch" },
    { "train", "overlap", NN_KEY_BOOL, T(overlap), 0, NULL, NN_NO_RANGE, "true", NULL, 0,
      .doc = "with several ranks, sum each bucket of gradients over ranks as soon as backward "
             "has finished it, while the earlier layers still compute; false: one sum after "
             "backward. The weights are the same bits either way" },
    { "train", "bucket_kb", NN_KEY_INT, T(bucket_kb), 0, NULL, NN_IN_CLOSED(1, 1048576), "1024",
      NULL, 0,
      .doc = "overlap: gradients of consecutive layers are summed in buckets of at least this "
             "many KiB (a bucket ends at a layer boundary)" },
    { "train", "conv_algorithm", NN_KEY_ENUM, T(conv_algorithm), 0, conv_algorithm_names,
      NN_NO_RANGE, "auto", NULL, 0,
      .doc = "how 3x3 convolutions at stride 1 are computed: `gemm`, im2col and matrix products; "
             "`winograd`, Winograd F(2x2, 3x3) for the output, the input gradient and the weight "
             "gradient of every such layer (2.25x fewer multiplications; results differ from "
             "`gemm` by float rounding); `auto`, Winograd for the output of those with at least 8 "
             "input and output channels, and for both gradients too where the build's AVX-512 "
             "kernel runs their products (one of the channel counts at most 64), else for the "
             "input gradient up to 16 channels, where each was measured faster (docs/cnn.md), "
             "`gemm` for the rest" },
    { "train", "fuse_layers", NN_KEY_BOOL, T(fuse_layers), 0, NULL, NN_NO_RANGE, "true", NULL, 0,
      .doc = "a convolution or a batch norm with ReLU or no activation whose output only "
             "feeds a max-pool (one through Winograd: a 2 x 2 pool at stride 2) takes the "
             "maxima while its output is still in cache, and keeps only them (same results bit "
             "for bit); false runs the two layers apart (to time each with nn_profile)" },
    { "train", "target", NN_KEY_ENUM, T(target), 0, target_names, NN_NO_RANGE, "labels", NULL, 0,
      .doc = "what the output should equal: the class `labels`, or the `input` image itself (an "
             "autoencoder: needs `loss = mse` and as many outputs as input pixels; reports PSNR "
             "instead of accuracy, see docs/autoencoder-pca.md)" },
    { "train", "init_from", NN_KEY_DATAFILE, T(init_from), 0, NULL, NN_NO_RANGE, NULL, "none", 0,
      .doc = "fine-tuning: a checkpoint whose weights start this run, copied by layer name where "
             "the shapes match (the rest is initialised as usual); ignored when resuming" },
    { "train", "freeze", NN_KEY_TEXT, T(freeze), 0, NULL, NN_NO_RANGE, NULL, "none", 0,
      .doc = "layers (comma-separated) whose parameters stay fixed: no update, no weight decay",
      .what = "layer names" },

    /* every layer */
    { "layer", "type", NN_KEY_WORD, L(type), 0, NULL, NN_NO_RANGE, NULL, NULL, 1,
      .doc = "kind of layer (see below)", .what = "layer type", .choice_at = layer_type_at },
    { "layer", "input", NN_KEY_TEXT, L(input), 0, NULL, NN_NO_RANGE, NULL, "the previous layer", 0,
      .doc = "earlier layer(s) whose output feeds this one, comma-separated (`add` and `concat` "
             "take several); `input`: the network input",
      .what = "layer names" },

    /* type = dense */
    { "dense", "units", NN_KEY_INT, L(units), 0, NULL, NN_GE(1), NULL, NULL, 1,
      .doc = "number of outputs" },
    { "dense", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NN_NO_RANGE, "linear",
      NULL, 0, .doc = "applied to W x + b" },
    { "dense", "init", NN_KEY_ENUM, L(init), 0, init_names, NN_NO_RANGE, "xavier", NULL, 0,
      .doc = "weight initialisation (biases start at 0)" },

    /* type = conv */
    { "conv", "filters", NN_KEY_INT, L(filters), 0, NULL, NN_GE(1), NULL, NULL, 1,
      .doc = "number of output channels" },
    { "conv", "size", NN_KEY_INT, L(size), 0, NULL, NN_GE(1), "3", NULL, 0,
      .doc = "kernel side (size x size)" },
    { "conv", "stride", NN_KEY_INT, L(stride), 0, NULL, NN_GE(1), "1", NULL, 0,
      .doc = "step between kernel positions" },
    { "conv", "padding", NN_KEY_INT, L(padding), 0, NULL, NN_GE(0), "0", NULL, 0,
      .doc =
          "zero rows and columns added on each side (size 3, padding 1 keeps H x W at stride 1)" },
    { "conv", "bias", NN_KEY_BOOL, L(bias), 0, NULL, NN_NO_RANGE, "true", NULL, 0,
      .doc = "add a learned bias per filter (false before a batchnorm, which has its own shift)" },
    { "conv", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NN_NO_RANGE, "linear",
      NULL, 0,
      .doc = "applied to the convolution plus bias (softmax: over all outputs of a "
             "sample)" },
    { "conv", "init", NN_KEY_ENUM, L(init), 0, init_names, NN_NO_RANGE, "he", NULL, 0,
      .doc = "weight initialisation, fans = channels x size^2 (biases start at 0)" },

    /* pooling */
    { "maxpool", "size", NN_KEY_INT, L(size), 0, NULL, NN_GE(1), "2", NULL, 0,
      .doc = "window side" },
    { "maxpool", "stride", NN_KEY_INT, L(stride), 0, NULL, NN_GE(0), "0", NULL, 0,
      .doc = "step between windows; 0: the window side (windows do not overlap)" },
    { "maxpool", "padding", NN_KEY_INT, L(padding), 0, NULL, NN_GE(0), "0", NULL, 0,
      .doc = "rows and columns added on each side; they never win the maximum" },
    { "avgpool", "size", NN_KEY_INT, L(size), 0, NULL, NN_GE(1), "2", NULL, 0,
      .doc = "window side" },
    { "avgpool", "stride", NN_KEY_INT, L(stride), 0, NULL, NN_GE(0), "0", NULL, 0,
      .doc = "step between windows; 0: the window side (windows do not overlap)" },
    { "avgpool", "padding", NN_KEY_INT, L(padding), 0, NULL, NN_GE(0), "0", NULL, 0,
      .doc = "zero rows and columns added on each side (counted in the average)" },

    /* pooling: ceil mode; global average pooling's activation; fire modules */
    { "maxpool", "ceil_mode", NN_KEY_BOOL, L(ceil_mode), 0, NULL, NN_NO_RANGE, "false", NULL, 0,
      .doc = "round the output size up (PyTorch's `ceil_mode=True`): keep a last, clipped "
             "window that starts inside the input or its left padding" },
    { "avgpool", "ceil_mode", NN_KEY_BOOL, L(ceil_mode), 0, NULL, NN_NO_RANGE, "false", NULL, 0,
      .doc = "round the output size up, as for maxpool (a clipped last window averages over "
             "its cells inside the padded input)" },
    { "global_avgpool", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NN_NO_RANGE,
      "linear", NULL, 0,
      .doc = "applied to the channel means (softmax: a classifier ending in a convolution, "
             "as SqueezeNet)" },
    { NN_FIRE_TYPE, "squeeze", NN_KEY_INT, L(squeeze), 0, NULL, NN_GE(1), NULL, NULL, 1,
      .doc = "output channels of the squeeze 1x1 convolution (`<name>/squeeze`)" },
    { NN_FIRE_TYPE, "expand1x1", NN_KEY_INT, L(expand1x1), 0, NULL, NN_GE(1), NULL, NULL, 1,
      .doc = "output channels of the expand 1x1 convolution (`<name>/expand1x1`)" },
    { NN_FIRE_TYPE, "expand3x3", NN_KEY_INT, L(expand3x3), 0, NULL, NN_GE(1), NULL, NULL, 1,
      .doc = "output channels of the expand 3x3 convolution, padding 1 (`<name>/expand3x3`)" },

    /* type = batchnorm */
    { "batchnorm", "momentum", NN_KEY_FLOAT, L(bn_momentum), 0, NULL, NN_IN_OPEN_CLOSED(0, 1),
      "0.1", NULL, 0,
      .doc = "weight of each training batch in the running mean and variance used for "
             "evaluation" },
    { "batchnorm", "eps", NN_KEY_FLOAT, L(bn_eps), 0, NULL, NN_GT(0), "1e-5", NULL, 0,
      .doc = "added to the variance before its square root" },
    { "batchnorm", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NN_NO_RANGE,
      "linear", NULL, 0, .doc = "applied to gamma x_hat + beta" },

    /* type = dropout */
    { "dropout", "rate", NN_KEY_FLOAT, L(rate), 0, NULL, NN_IN_CLOSED_OPEN(0, 1), "0.5", NULL, 0,
      .doc = "probability of zeroing each value in training (the rest are scaled by 1 / (1 - "
             "rate))" },

    /* type = add */
    { "add", "activation", NN_KEY_ENUM, L(activation), 0, activation_names, NN_NO_RANGE, "linear",
      NULL, 0, .doc = "applied to the sum (relu for a ResNet block)" },
};

static const char *const fixed_sections[] = { NN_SCOPE_DATA, NN_SCOPE_TRAIN, NULL };

static const char *bad_section(const char *name, char *buf, size_t n)
{
    if (strcasecmp(name, "input") != 0)
        return NULL;
    snprintf(buf, n, "'%s' cannot name a layer: `input = input` means the network input", name);
    return buf;
}

/* "conv layers": a key of a layer kind, named when found in another kind */
static const char *scope_noun(const char *scope, char *buf, size_t n)
{
    if (!nn_layer_ops_find(scope) && strcmp(scope, NN_FIRE_TYPE) != 0)
        return NULL;
    snprintf(buf, n, "%s layers", scope);
    return buf;
}

const nn_ini_rules nn_cfg_rules = {
    .keys = keys,
    .n_keys = (int)(sizeof keys / sizeof keys[0]),
    .fixed = fixed_sections,
    .max_others = NN_MAX_LAYERS,
    .others = "layers",
    .no_first = "no [data] section: name the training set with [data] train = ...",
    .no_others = "no layers: add a section per layer, e.g. [output] with type = dense and "
                 "units = 10",
    .before_any = "[data], [train] or a layer section",
    .keys_doc = "nntrain --help-config",
    .set_example = "train.lr=0.1",
    .set_note = "--set can change layers, not add them",
    .bad_section = bad_section,
    .scope_noun = scope_noun,
};

/* ---- the reference -------------------------------------------------------- */

static void put_intro(nn_ini_doc *t)
{
    nn_ini_put(
        t,
        "# nntrain configuration reference\n"
        "\n"
        "<!-- Generated from the key table in src/io/config_schema.c and the layer kinds\n"
        "     in src/layers/registry.c: `nntrain --help-config` prints it.\n"
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
        NN_NAME_LEN - 1, nn_ini_max_line(), nn_ini_max_line());
}

const char *nn_config_reference(void)
{
    static char buf[32768];
    if (buf[0])
        return buf;
    nn_ini_doc t = { buf, sizeof buf, 0 };
    put_intro(&t);
    nn_ini_put(&t,
               "\n## [data]\n\nThe data files. IDX files (MNIST, EMNIST) come as image and "
               "label files;\n`.mat` files (NIST36) hold both, and so do `.h5` data set files "
               "made by\n`nntrain prep` (one file with `train`, `valid` and `test` splits; see\n"
               "[dataset-format.md](dataset-format.md)).\n\n");
    nn_ini_put_table(&t, &nn_cfg_rules, NN_SCOPE_DATA);
    nn_ini_put(&t, "\n## [train]\n\nHow to train. The whole section is optional.\n\n");
    nn_ini_put_table(&t, &nn_cfg_rules, NN_SCOPE_TRAIN);
    nn_ini_put(&t, "\n## Layers\n\nEvery other section is a layer. Keys of every layer:\n\n");
    nn_ini_put_table(&t, &nn_cfg_rules, NN_SCOPE_LAYER);
    for (int i = 0; nn_layer_ops_at(i); i++) {
        const nn_layer_ops *ops = nn_layer_ops_at(i);
        nn_ini_put(&t, "\n### type = %s\n\n%s\n", ops->type, ops->doc);
        /* (kinds without keys of their own say so in their doc) */
        if (nn_ini_has_keys(&nn_cfg_rules, ops->type)) {
            nn_ini_put(&t, "\n");
            nn_ini_put_table(&t, &nn_cfg_rules, ops->type);
        }
    }
    nn_ini_put(&t, "\n### type = %s\n\n%s\n\n", NN_FIRE_TYPE, fire_doc);
    nn_ini_put_table(&t, &nn_cfg_rules, NN_FIRE_TYPE);
    return buf;
}
