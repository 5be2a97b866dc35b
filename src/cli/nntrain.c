/* nntrain: the command line. Picks the subcommand, and turns its result
 * into an exit status (the only place that decides how the program ends). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/config.h"
#include "nn/dist.h"
#include "nn/trainer.h"
#include "cli/tools.h"

/* Exit statuses (documented in the README). */
enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,    /* I/O, data or checkpoint problem */
    EXIT_USAGE = 2,    /* bad command line or config */
    EXIT_DIVERGED = 4, /* loss became NaN/Inf */
    EXIT_REQUEUE = 75, /* stopped by SIGTERM/SIGUSR1 after writing a checkpoint */
};

/* The subcommands, in the order --help lists them; the first, without a
 * name, trains. */
static const nn_command commands[] = {
    { "",
      "CONFIG.ini [options]",
      { "config", NULL },
      1,
      1,
      nn_cmd_train,
      "train the network CONFIG.ini describes on its data, on every rank of an MPI job; "
      "checkpoints, metrics and figures go to its [train] out folder" },
    { "eval",
      "CHECKPOINT.h5 [options]",
      { "checkpoint", NULL },
      1,
      1,
      nn_cmd_eval,
      "evaluate a checkpoint: loss, accuracy, per-class accuracy and the most confused pairs, "
      "saved as eval_<split>.h5 and confusion_<split>.png next to it; an autoencoder gets loss "
      "and PSNR, recon_<split>.h5 and recon_<split>.png (runs under mpirun too)" },
    { "predict",
      "CHECKPOINT.h5 --data FILE [options]",
      { "checkpoint", NULL },
      1,
      1,
      nn_cmd_predict,
      "score every sample of a data file with a checkpoint's network: /logits [N, K], /pred "
      "[N] and /labels [N] in an HDF5 file (--out, default pred_<split>.h5 next to the "
      "checkpoint); runs under mpirun too" },
    { "pca",
      "CONFIG.ini [options]",
      { "config", NULL },
      1,
      1,
      nn_cmd_pca,
      "principal components of the config's training set: rank, parameters and PSNR for each "
      "k on the validation and test sets, saved as PCA.h5 (default <out>/pca.h5) with "
      "pca_recon_<split>.png next to it (runs under mpirun too)" },
    { "plot",
      "RUN_DIR... [options]",
      { "run folder", "run folder" },
      0,
      0,
      nn_cmd_plot,
      "redraw a run's figures from its files; --compare draws the validation curves of "
      "several runs in one figure, --psnr-k PSNR against code size k for PCA and autoencoders" },
    { "prep",
      "PREP.ini [options]",
      { "config", NULL },
      1,
      0,
      nn_cmd_prep,
      "build an .h5 data set from IDX, .mat and image-folder sources with the OCR's glyph "
      "preprocessing (keys: nntrain prep --help-config, docs/ocr.md)" },
    { "ocr",
      "CHECKPOINT.h5 IMAGE... [options]",
      { "checkpoint", "image" },
      2,
      0,
      nn_cmd_ocr,
      "read handwritten text in photos with a network trained on a prep data set" },
    { "verify",
      "CHECKPOINT.h5...",
      { "checkpoint", "checkpoint" },
      1,
      0,
      nn_cmd_verify,
      "read every tensor of each checkpoint with its checksum, and its format attributes; "
      "prints OK or what is damaged for each file, and exits with 1 when any is damaged" },
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void print_usage(FILE *f)
{
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "%s nntrain %s%s%s\n", i ? "      " : "usage:", commands[i].name,
                *commands[i].name ? " " : "", commands[i].synopsis);
    fprintf(f, "       nntrain --help | --help-config | --version | COMMAND --help\n\n");
    for (int i = 0; i < N_COMMANDS; i++)
        nn_cli_print_entry(f, 13, *commands[i].name ? commands[i].name : "CONFIG.ini",
                           commands[i].about);
    nn_cli_print_entry(f, 13, "--help-config", "print the reference of every config key");
    fprintf(f, "\nexit status: 0 done, 1 error, 2 bad config or command line, 4 loss diverged,\n"
               "             75 stopped by SIGTERM/SIGUSR1 after a checkpoint (resume with "
               "--resume)\n");
}

static int exit_status(int code)
{
    switch (code) {
    case NN_OK: return EXIT_OK;
    case NN_E_CONFIG: return EXIT_USAGE;
    case NN_E_DIVERGED: return EXIT_DIVERGED;
    case NN_STOPPED: return EXIT_REQUEUE;
    default: return EXIT_ERROR;
    }
}

static int start_mpi(int *argc, char ***argv, nn_dist *dist, nn_error *err)
{
    /* Handlers first: a SIGUSR1 that arrives while MPI starts (SLURM may
     * send it early in a short job) must set the stop flag, not kill the rank. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nn_train_request_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* Past a file-size limit (ulimit -f) write(2) then fails with EFBIG and
     * the checkpoint writer reports it, instead of the process dying. */
    signal(SIGXFSZ, SIG_IGN);
    if (nn_dist_init(argc, argv, dist) != 0)
        return nn_fail(err, NN_E_IO, "MPI failed to start");
    return NN_OK;
}

int nn_tools_run_mpi(int *argc, char ***argv, nn_collective_fn fn, const void *opts, nn_error *err)
{
    nn_dist dist = { 0, 1 };
    int rc = start_mpi(argc, argv, &dist, err);
    if (rc) { /* MPI never started: nothing to finalize */
        nn_tools_report(rc, 0, err);
        return rc;
    }
    rc = fn(opts, &dist, err);
    nn_tools_report(rc, dist.rank, err);
    nn_dist_finalize();
    return rc;
}

/* Collective errors are reported by rank 0 only; a rank-local one (its own
 * file failed to read, say) names the rank. The message is cleared once
 * printed, so reporting it again prints nothing. */
void nn_tools_report(int rc, int rank, nn_error *err)
{
    if (!rc || rc == NN_STOPPED || !err->msg[0])
        return;
    if (rank != 0)
        fprintf(stderr, "nntrain: rank %d: %s\n", rank, err->msg);
    else
        fprintf(stderr, "nntrain: %s\n", err->msg);
    err->msg[0] = '\0';
}

int nn_tools_trainer(const nn_run_options *run, const nn_dist *dist, int lock, nn_trainer **t,
                     nn_error *err)
{
    *t = calloc(1, sizeof **t);
    int rc =
        nn_dist_vote(*t ? NN_OK : nn_fail(err, NN_E_NOMEM, "out of memory for the trainer"), err);
    if (!rc) {
        (*t)->dist = *dist;
        (*t)->lock_run_dir = lock;
        rc = nn_trainer_setup(*t, run, err);
    }
    if (rc) {
        nn_tools_trainer_free(*t);
        *t = NULL;
    }
    return rc;
}

void nn_tools_trainer_free(nn_trainer *t)
{
    if (t)
        nn_trainer_free(t);
    free(t);
}

int main(int argc, char **argv)
{
    nn_error err = { 0 };
    const char *first = argc > 1 ? argv[1] : "";
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_usage(stdout);
        return EXIT_OK;
    } else if (strcmp(first, "--version") == 0) {
        printf("nntrain %s\n", NN_VERSION);
        return EXIT_OK;
    } else if (strcmp(first, "--help-config") == 0) {
        fputs(nn_config_reference(), stdout);
        return EXIT_OK;
    }
    /* a subcommand sees its name as argv[0]; training, the program's */
    const nn_command *cmd = &commands[0];
    for (int i = 1; i < N_COMMANDS; i++)
        if (strcmp(first, commands[i].name) == 0)
            cmd = &commands[i];
    const int skip = cmd != &commands[0];
    int rc = cmd->main(cmd, argc - skip, argv + skip, &err);
    if (rc == NN_E_CONFIG && argc < 2)
        print_usage(stderr);
    return exit_status(rc);
}
