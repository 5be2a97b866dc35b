/* Run configuration, read from an INI file (inih) in the spirit of Darknet's
 * cfg files: [data], [train], then one section per layer, in order; the
 * section name is the layer's name and `type =` its kind.
 *
 * Every problem is reported as "file:line: message" (or "--set k=v: message"
 * for command-line overrides) with code NN_E_CONFIG, before any work starts.
 * The full key reference is nn_config_reference() and the README.
 *
 * Module io (src/io, nn_io): the INI engine and the training config,
 * checkpoints (checkpoint.h) and the run files (runfiles.h). May call: core,
 * layers (the registry of kinds), HDF5, inih.
 */
#ifndef NN_CONFIG_H
#define NN_CONFIG_H

#include <stdint.h>

#include "nn/error.h"

#define NN_NAME_LEN       64
#define NN_PATH_LEN       1024
#define NN_MAX_LAYERS     256  /* layers in one network, at most */
#define NN_MAX_CLASSES    256  /* names in [data] classes, at most */
#define NN_MAX_INPUTS     8    /* layers feeding one layer (add, concat) */
#define NN_LAYER_LIST_LEN 1024 /* a comma-separated list of layer names (lines are shorter) */

typedef enum {
    NN_ACT_LINEAR,
    NN_ACT_SIGMOID,
    NN_ACT_TANH,
    NN_ACT_RELU,
    NN_ACT_SOFTMAX
} nn_activation;
/* NN_INIT_CONST is internal (batch-norm scales and running variances start
 * at a constant), not a config choice. */
typedef enum { NN_INIT_XAVIER, NN_INIT_HE, NN_INIT_ZEROS, NN_INIT_CONST } nn_init_kind;
typedef enum { NN_LOSS_CROSS_ENTROPY, NN_LOSS_MSE } nn_loss_kind;
typedef enum { NN_OPT_SGD, NN_OPT_MOMENTUM, NN_OPT_ADAM } nn_optimizer_kind;
typedef enum { NN_SCHED_CONSTANT, NN_SCHED_STEP, NN_SCHED_COSINE } nn_schedule_kind;
typedef enum { NN_FORMAT_AUTO, NN_FORMAT_IDX, NN_FORMAT_MAT, NN_FORMAT_H5 } nn_data_format;
/* What the network learns to output: the class label, or its own input (an autoencoder). */
typedef enum { NN_TARGET_LABELS, NN_TARGET_INPUT } nn_target_kind;
/* [train] conv_algorithm: how 3x3 stride-1 convolutions are computed. */
typedef enum { NN_CONV_AUTO, NN_CONV_GEMM, NN_CONV_WINOGRAD } nn_conv_algorithm;
/* A `type = fire` section (SqueezeNet's fire module) becomes four layers
 * when the config is read: "<name>/squeeze" (1x1 conv + ReLU),
 * "<name>/expand1x1" (1x1 conv + ReLU), "<name>/expand3x3" (3x3 conv, pad 1,
 * + ReLU) and "<name>" (their concatenation, 1x1 channels first), so that
 * `input = <name>` names the module's output. */
typedef enum {
    NN_FIRE_NONE,
    NN_FIRE_SQUEEZE,
    NN_FIRE_EXPAND1X1,
    NN_FIRE_EXPAND3X3,
    NN_FIRE_OUTPUT
} nn_fire_part;
#define NN_FIRE_TYPE "fire"

typedef struct nn_data_config {
    nn_data_format format;          /* format = auto|idx|mat|h5 (auto: ".mat" suffix -> mat,
                                       ".h5" -> h5, else idx); after nn_config_parse never AUTO */
    char train[NN_PATH_LEN];        /* train = images file (idx), .mat or .h5 file; required */
    char train_labels[NN_PATH_LEN]; /* train_labels = labels file (idx only) */
    char valid[NN_PATH_LEN];        /* valid / valid_labels: optional */
    char valid_labels[NN_PATH_LEN];
    char test[NN_PATH_LEN]; /* test / test_labels: optional */
    char test_labels[NN_PATH_LEN];
    double valid_fraction;   /* valid_fraction = 0.1: carved from train when no valid file */
    uint64_t limit;          /* limit = 0: use only the first N training samples (0: all) */
    int transpose;           /* transpose = false: transpose each image (EMNIST) */
    int invert;              /* invert = false: x -> 1 - x (flip ink polarity) */
    int n_class_names;       /* classes = A, B, ... (optional) */
    char (*class_names)[32]; /* [n_class_names], malloc'ed */
    double augment_shift;    /* augment_shift = 0: random shift of training images, pixels */
    double augment_rotate;   /* augment_rotate = 0: random rotation, degrees */
    double augment_scale;    /* augment_scale = 0: random scale in [1 - s, 1 + s] */
    int crop;                /* crop = 0: square input side (random when training, else the
                                centre); 0: whole images */
    int flip;                /* flip = false: mirror a random half of training images */
    int normalize;           /* normalize = none|dataset|imagenet (nn_normalize_kind) */
    int share;               /* share = auto|true|false (nn_share_kind): one copy per host */
} nn_data_config;

/* [data] normalize: none, or per channel (x - mean) / std with the training
 * split's statistics (stored in .h5 data set files, else computed), or with
 * ImageNet's (RGB images; what networks pretrained on ImageNet expect). */
typedef enum { NN_NORMALIZE_NONE, NN_NORMALIZE_DATASET, NN_NORMALIZE_IMAGENET } nn_normalize_kind;

/* [data] share: the ranks of a host read the data sets from one copy in
 * shared memory that the host's first rank loads (true), each rank loads
 * its own (false), or shared when some host runs more than one rank (auto). */
typedef enum { NN_SHARE_AUTO, NN_SHARE_TRUE, NN_SHARE_FALSE } nn_share_kind;

typedef struct nn_train_config {
    int epochs;                     /* epochs = 10 */
    int batch_size;                 /* batch_size = 32: GLOBAL batch, split across ranks */
    nn_loss_kind loss;              /* loss = cross_entropy|mse */
    nn_optimizer_kind optimizer;    /* optimizer = sgd|momentum|adam */
    double lr;                      /* lr = 0.01 */
    double momentum;                /* momentum = 0.9 (optimizer = momentum) */
    double beta1, beta2, eps;       /* adam: 0.9, 0.999, 1e-8 */
    double weight_decay;            /* weight_decay = 0: L2 on weights (not biases) */
    nn_schedule_kind schedule;      /* schedule = constant|step|cosine */
    int step_epochs;                /* step_epochs = 10: step schedule period */
    double gamma;                   /* gamma = 0.1: step schedule factor */
    double min_lr;                  /* min_lr = 0: cosine floor */
    uint64_t seed;                  /* seed = 1 */
    int threads;                    /* threads = 0: per-rank threads; 0 = OMP_NUM_THREADS or 1 */
    int checkpoint_every;           /* checkpoint_every = 1 (epochs) */
    int keep_checkpoints;           /* keep_checkpoints = 2: the latest and the previous */
    char out[NN_PATH_LEN];          /* out = runs/<config file name without .ini> */
    int shuffle;                    /* shuffle = true */
    int overlap;                    /* overlap = true: sum gradient buckets during backward */
    int bucket_kb;                  /* bucket_kb = 1024: gradient bucket size (overlap) */
    nn_target_kind target;          /* target = labels|input (input: autoencoder, loss = mse) */
    char init_from[NN_PATH_LEN];    /* init_from = checkpoint whose weights start the run
                                       (copied by layer name where shapes match); "" none */
    char freeze[NN_LAYER_LIST_LEN]; /* freeze = layer, layer, ...: parameters kept fixed */
    int n_freeze;                   /* resolved by the parser: */
    int *freeze_index;              /* [n_freeze] indices of those layers in nn_config.layers,
                                       malloc'ed */
    /* conv_algorithm = auto|gemm|winograd */
    nn_conv_algorithm conv_algorithm;
    int fuse_layers; /* fuse_layers = true: a conv computes the max-pool it feeds */
} nn_train_config;

typedef struct nn_layer_config {
    char name[NN_NAME_LEN];   /* the section name ("<section>/squeeze" ... for fire parts) */
    char type[NN_NAME_LEN];   /* type = dense|conv|maxpool|... */
    int line;                 /* line of the section header "[name]", for messages */
    int units;                /* units = N (dense): required */
    nn_activation activation; /* activation = linear|sigmoid|tanh|relu|softmax (linear) */
    nn_init_kind init;        /* init = xavier|he|zeros (xavier; conv: he) */
    int filters;              /* conv: output channels (required) */
    int size;                 /* conv, pooling: window side */
    int stride;               /* conv (1), pooling (0 = size) */
    int padding;              /* conv, pooling: zero rows/columns added on each side */
    int bias;                 /* conv: has a bias (true) */
    double rate;              /* dropout: probability of dropping a value */
    double bn_momentum;       /* batchnorm: weight of a batch in the running statistics */
    double bn_eps;            /* batchnorm: added to the variance */
    int ceil_mode;            /* pooling: round the output size up (PyTorch's ceil_mode) */
    int squeeze;              /* fire: channels of the squeeze 1x1 convolution */
    int expand1x1;            /* fire: channels of the expand 1x1 convolution */
    int expand3x3;            /* fire: channels of the expand 3x3 convolution */
    nn_fire_part fire_part;   /* which part of a fire module the layer is, or NN_FIRE_NONE */
    char input[NN_MAX_INPUTS *
               (NN_NAME_LEN + 2)]; /* input = earlier layer name(s), comma-separated (default:
                                       the previous layer); after parsing, the names as
                                       resolved, "" for a layer reading only the network input */
    int n_inputs;                  /* >= 1 */
    int input_index
        [NN_MAX_INPUTS]; /* indices of those layers in nn_config.layers, -1 = network input */
} nn_layer_config;

/* The arrays (layers, class names, frozen layers) are malloc'ed to the size
 * the file asks for; nn_config_free releases them. A copy of the struct
 * shares them (copy it only to read). */
typedef struct nn_config {
    char path[NN_PATH_LEN]; /* file the config came from */
    char *text;             /* the file's text (malloc'ed), stored in checkpoints */
    nn_data_config data;
    nn_train_config train;
    nn_layer_config *layers; /* [n_layers], in file order */
    int n_layers;
} nn_config;

/* Parse config text (already read from path) and apply overrides, each
 * "section.key=value". "${VAR}" in values is replaced by the environment
 * variable (an unset variable is an error). Checks that every input data file
 * named exists and is readable. cfg->text becomes a copy of text.
 * Returns NN_OK or NN_E_CONFIG with "file:line: message" (NN_E_NOMEM when out
 * of memory). On failure cfg holds nothing (cfg->text and cfg->layers are
 * NULL); nn_config_free(cfg) is safe after success and failure alike, and
 * twice. Not thread-safe (call it once, from main). */
int nn_config_parse(nn_config *cfg, const char *path, const char *text,
                    const char *const *overrides, int n_overrides, nn_error *err);

/* The same with flags: NN_CONFIG_NO_FILE_CHECK skips the check that data
 * files exist (for reading a checkpoint's config when only the network
 * matters, e.g. to draw its weights). */
#define NN_CONFIG_NO_FILE_CHECK 1u
/* NN_CONFIG_NO_INIT_FROM clears [train] init_from (and skips its file check):
 * for a checkpoint's own config, whose weights come from that checkpoint. */
#define NN_CONFIG_NO_INIT_FROM 2u
int nn_config_parse_flags(nn_config *cfg, const char *path, const char *text,
                          const char *const *overrides, int n_overrides, unsigned flags,
                          nn_error *err);

/* Read a whole file into a malloc'ed, NUL-terminated string. Fails (NN_E_CONFIG,
 * naming the file) when it cannot be read, is a folder, holds a NUL byte or is
 * larger than NN_TEXT_FILE_MAX bytes. */
#define NN_TEXT_FILE_MAX (1 << 20)
int nn_read_text_file(const char *path, char **text, nn_error *err);

/* The configuration as interpreted, in INI form: every key with its final
 * value (defaults, overrides and ${VAR} applied, format resolved). Parsing it
 * gives the same nn_config: nn_config_parse refuses values that could not be
 * written back (a line over inih's limit once expanded, a line break, a
 * blank at either end, " ;" or " #", which would read as a comment), and
 * tests/fuzz/fuzz_io_config compares the two field by field. For logs and
 * checkpoints, next to cfg->text. *text is malloc'ed; the caller frees it. */
int nn_config_resolved(const nn_config *cfg, char **text, nn_error *err);

void nn_config_free(nn_config *cfg);

/* The documented key reference, as Markdown (printed by `nntrain --help-config`;
 * docs/config.md is a copy, checked by test_io_config). Static storage. */
const char *nn_config_reference(void);

#endif
