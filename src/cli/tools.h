/* The nntrain program: main (nntrain.c) picks the subcommand; each cmd_*.c
 * reads its command line and calls the module that does the work; the
 * *_main.c files are the collective bodies of train, eval, predict, pca and
 * ocr.
 * Each returns an nn_status code (main maps it to an exit status) and fills
 * err.
 *
 * Module cli (src/cli, the nntrain executable). May call every module; no
 * module calls it.
 */
#ifndef NN_TOOLS_H
#define NN_TOOLS_H

#include <stdio.h>

#include "nn/dist.h"
#include "nn/error.h"
#include "nn/ocr.h"
#include "nn/trainer.h"

/* A collective subcommand's body: runs on every rank with the parsed options. */
typedef int (*nn_collective_fn)(const void *opts, const nn_dist *dist, nn_error *err);

/* A subcommand: how it is called and what it does (the table in nntrain.c,
 * which `nntrain --help` prints), and the function that runs it. */
typedef struct nn_command nn_command;
typedef int (*nn_command_fn)(const nn_command *cmd, int argc, char **argv, nn_error *err);
struct nn_command {
    const char *name;         /* "eval"; "" for training (nntrain CONFIG.ini) */
    const char *synopsis;     /* what follows the name in the usage line */
    const char *arg_names[2]; /* the first positional argument and the ones after it
                                 (NULL: no more allowed), for messages */
    int min_args;             /* 0, 1 or 2 */
    int mpi;                  /* runs on every rank of an MPI job (else in one process) */
    nn_command_fn main;       /* argv[0]: the command's name (training: the program's) */
    const char *about;        /* what it does, for --help */
};

int nn_cmd_train(const nn_command *cmd, int argc, char **argv, nn_error *err);
int nn_cmd_eval(const nn_command *cmd, int argc, char **argv, nn_error *err);
int nn_cmd_plot(const nn_command *cmd, int argc, char **argv, nn_error *err);
int nn_cmd_pca(const nn_command *cmd, int argc, char **argv, nn_error *err);
int nn_cmd_prep(const nn_command *cmd, int argc, char **argv, nn_error *err);
int nn_cmd_ocr(const nn_command *cmd, int argc, char **argv, nn_error *err);
int nn_cmd_verify(const nn_command *cmd, int argc, char **argv, nn_error *err);
int nn_cmd_predict(const nn_command *cmd, int argc, char **argv, nn_error *err);

/* Start MPI and the stop-signal handlers, run fn(opts) on every rank, report
 * its error the way every subcommand does, stop MPI; returns fn's code. */
int nn_tools_run_mpi(int *argc, char ***argv, nn_collective_fn fn, const void *opts, nn_error *err);
void nn_tools_report(int rc, int rank, nn_error *err);

/* ---- options ----------------------------------------------------------------
 * One parser for every subcommand's command line (src/cli/options.c). A
 * subcommand describes its options and positional arguments in tables that
 * say where each value goes; the parser fills them in, answers --help, and
 * stops at a misspelt option with a usage error (NN_E_CONFIG, exit status
 * 2) that suggests the nearest option. `--name value` and `--name=value`
 * both work; after `--` every argument is positional, and so is `-`. */

typedef struct nn_option {
    const char *name;         /* "--data" */
    const char *arg;          /* the value as --help shows it ("SPLIT|FILE"); NULL: a flag */
    const char *help;         /* one line for --help */
    const char **value;       /* a value: where it goes (the last one given wins) */
    int *flag;                /* a flag: set to 1 when given */
    const char *const **list; /* a repeatable option: every value, in order, */
    int *count;               /* and how many */
    int (*parse)(const char *value, void *dest, nn_error *err); /* a value converted */
    void *dest;                                                 /* into dest */
    const char *(*text)(void); /* an option that prints this text and ends the command */
} nn_option;

/* Table entries: a string value, a value converted by fn into dest, a flag,
 * an option that prints a text, and `--set section.key=value` (repeatable)
 * into the list v[*n] (the overrides of the run options). */
#define NN_OPT_VALUE(nm, a, h, where)                           \
    {                                                           \
        .name = (nm), .arg = (a), .help = (h), .value = (where) \
    }
#define NN_OPT_PARSE(nm, a, h, fn, where)                                     \
    {                                                                         \
        .name = (nm), .arg = (a), .help = (h), .parse = (fn), .dest = (where) \
    }
#define NN_OPT_FLAG(nm, h, where)                  \
    {                                              \
        .name = (nm), .help = (h), .flag = (where) \
    }
#define NN_OPT_TEXT(nm, h, fn)                  \
    {                                           \
        .name = (nm), .help = (h), .text = (fn) \
    }
#define NN_OPT_SET(v, n)                                                                           \
    {                                                                                              \
        .name = "--set", .arg = "SECTION.KEY=VALUE", .help = "override a config key (repeatable)", \
        .list = (v), .count = (n)                                                                  \
    }

/* A command line to parse: the command, its options, and where its
 * positional arguments go. */
typedef struct nn_cli {
    const nn_command *cmd;
    const nn_option *opts;
    int n_opts;
    const char **first;       /* the first positional argument (NULL: with the others) */
    const char *const **rest; /* the other positional arguments, */
    int *n_rest;              /* and how many */
} nn_cli;
/* .opts and .n_opts from an array */
#define NN_CLI_OPTS(a) .opts = (a), .n_opts = (int)(sizeof(a) / sizeof((a)[0]))

/* Parse argv[1..argc) for c, then run(opts) on every rank (cmd->mpi: under
 * nn_tools_run_mpi) or in this process alone (rank 0 of 1), reporting its
 * error. After --help, or an option that prints, returns NN_OK without
 * running; after a usage error NN_E_CONFIG (reported). The values stay
 * valid while run runs. */
int nn_cli_run(const nn_cli *c, int argc, char **argv, nn_collective_fn run, const void *opts,
               nn_error *err);

/* "  <head>  <text>" to f, head padded to width, the text wrapped at word
 * boundaries to 79 columns and indented under its first line (head NULL:
 * the text alone, a paragraph). */
void nn_cli_print_entry(FILE *f, int width, const char *head, const char *text);

/* A trainer on the heap (it is large), set up from run on every rank; lock:
 * the run folder is this run's (a training run, see nn_trainer.lock_run_dir).
 * Collective: every rank gets the same code; on failure *t is NULL. */
int nn_tools_trainer(const nn_run_options *run, const nn_dist *dist, int lock, nn_trainer **t,
                     nn_error *err);
void nn_tools_trainer_free(nn_trainer *t); /* NULL-safe */

typedef struct nn_eval_options {
    const char *checkpoint;
    const char *data; /* "test" (default), "valid", "train", a .mat file,
                                       an .h5 data set file (its test split),
                                       or "IMAGES,LABELS" (IDX files) */
    const char *const *overrides;
    int n_overrides;
    const char *pca; /* autoencoders: a pca.h5 whose reconstructions join the
                                       figure (NULL: none) */
} nn_eval_options;

/* Run everything. Returns NN_OK; NN_STOPPED after a signal-requested
 * checkpoint; NN_E_DIVERGED when the loss went NaN/Inf; or another nn_status
 * error. err is filled on the rank(s) that saw the error (other ranks get the
 * same code and an empty message). Collective: every rank calls it. */
int nn_train_main(const nn_run_options *opts, const nn_dist *dist, nn_error *err);

/* `nntrain eval`: rebuild the network from a checkpoint's config, load its
 * weights, evaluate one data split (each rank a share), print loss,
 * accuracy, per-class accuracy and the most confused pairs, and save
 * eval_<split>.h5 and confusion_<split>.png next to the checkpoint. An
 * autoencoder (target = input) reports loss and PSNR instead and saves
 * recon_<split>.h5 and recon_<split>.png. */
int nn_eval_main(const nn_eval_options *opts, const nn_dist *dist, nn_error *err);

typedef struct nn_predict_options {
    const char *checkpoint;
    const char *data;  /* the samples: .h5 data set, .mat, or "IMAGES,LABELS" */
    const char *split; /* of an .h5 data set; NULL: "test" */
    const char *out;   /* NULL: pred_<split>.h5 next to the checkpoint */
    const char *const *overrides;
    int n_overrides;
} nn_predict_options;

/* `nntrain predict`: rebuild the network from a checkpoint's config for the
 * shape of the data file's samples, load its weights, score every sample
 * (each rank a share) and write /logits [N, K], /pred [N] and /labels [N]
 * (nn_predictions_save). Collective. */
int nn_predict_main(const nn_predict_options *opts, const nn_dist *dist, nn_error *err);

typedef struct nn_ocr_options {
    const char *checkpoint;
    const char *const *images;
    int n_images;
    const char *truth; /* transcript file, or NULL */
    const char *boxes; /* PNG path (a name per image when there are several), or NULL */
    const char *data;  /* data set override, or NULL */
    int word_rule;     /* 1 by default */
} nn_ocr_options;

/* Read every image and print its text to out ([name] headers and '#'
 * comment lines with counts and scores, the transcript format). Errors
 * stop at the first image that fails, naming it. */
int nn_ocr_main(const nn_ocr_options *o, FILE *out, nn_error *err);

#endif
