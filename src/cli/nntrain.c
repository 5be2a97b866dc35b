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
    EXIT_ERROR = 1,       /* I/O, data or checkpoint problem */
    EXIT_USAGE = 2,       /* bad command line or config */
    EXIT_DIVERGED = 4,    /* loss became NaN/Inf */
    EXIT_REQUEUE = 75,    /* stopped by SIGTERM/SIGUSR1 after writing a checkpoint */
};

static const char usage[] =
    "usage: nntrain CONFIG.ini [--set section.key=value ...] [--resume CHECKPOINT.h5|auto]\n"
    "                          [--summary]\n"
    "       nntrain eval CHECKPOINT.h5 [--data test|valid|train|FILE.mat|FILE.h5|IMAGES,LABELS]\n"
    "                                  [--set section.key=value ...] [--pca PCA.h5]\n"
    "       nntrain pca CONFIG.ini [--k 8,16,32,64] [--out PCA.h5] [--set section.key=value ...]\n"
    "       nntrain plot RUN_DIR ...\n"
    "       nntrain plot --compare RUN_DIR ... [--out FILE.png]\n"
    "       nntrain plot --psnr-k PCA.h5 RUN_DIR ... [--split valid|test] [--out FILE.png]\n"
    "       nntrain prep PREP.ini [--set section.key=value ...] | nntrain prep --help-config\n"
    "       nntrain ocr CHECKPOINT.h5 IMAGE... [--truth FILE] [--boxes OUT.png] [--data FILE.h5]\n"
    "                                          [--no-word-rule]\n"
    "       nntrain verify CHECKPOINT.h5 ...\n"
    "       nntrain --help | --help-config | --version\n"
    "\n"
    "  --set s.k=v     override a config key (repeatable)\n"
    "  --resume PATH   continue a run from a checkpoint; 'auto' takes the newest of\n"
    "                  <out>/checkpoint.h5 and the older ones kept beside it that\n"
    "                  verifies, and starts afresh when there is none\n"
    "  --summary       print the network's layers and parameter counts, then stop\n"
    "  --help-config   print the reference of every config key\n"
    "  eval            evaluate a checkpoint: loss, accuracy, per-class accuracy, most\n"
    "                  confused pairs; writes eval_<split>.h5 and confusion_<split>.png\n"
    "                  next to the checkpoint (runs under mpirun too); an autoencoder\n"
    "                  gets loss and PSNR, recon_<split>.h5 and recon_<split>.png\n"
    "                  (--pca adds that file's PCA reconstructions to the figure)\n"
    "  pca             principal components of the config's training set: rank,\n"
    "                  parameters and PSNR for each k (default 32) on the validation\n"
    "                  and test sets; writes PCA.h5 (default <out>/pca.h5) and\n"
    "                  pca_recon_<split>.png next to it (runs under mpirun too)\n"
    "  plot            redraw a run's figures from its files; --compare draws the\n"
    "                  validation curves of several runs in one figure; --psnr-k draws\n"
    "                  PSNR against code size k for PCA and autoencoder runs\n"
    "  prep            build an .h5 data set from IDX, .mat and image-folder sources with\n"
    "                  the OCR's glyph preprocessing (keys: docs/ocr.md)\n"
    "  ocr             read handwritten text in photos with a network trained on a prep\n"
    "                  data set; --truth scores it against a transcript, --boxes draws\n"
    "                  the characters found, --no-word-rule reads each character alone\n"
    "  verify          read every tensor of each checkpoint with its checksum, and its\n"
    "                  format attributes; prints OK or what is damaged for each file,\n"
    "                  and exits with 1 when any is damaged\n"
    "\n"
    "exit status: 0 done, 1 error, 2 bad config or command line, 4 loss diverged,\n"
    "             75 stopped by SIGTERM/SIGUSR1 after a checkpoint (resume with --resume)\n";

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

int nn_tools_run_mpi(int *argc, char ***argv, nn_collective_fn fn, const void *opts,
                     nn_error *err)
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
 * file failed to read, say) names the rank. */
void nn_tools_report(int rc, int rank, const nn_error *err)
{
    if (!rc || rc == NN_STOPPED || !err->msg[0])
        return;
    if (rank != 0)
        fprintf(stderr, "nntrain: rank %d: %s\n", rank, err->msg);
    else
        fprintf(stderr, "nntrain: %s\n", err->msg);
}

int nn_tools_trainer(const nn_run_options *run, const nn_dist *dist, int lock, nn_trainer **t,
                     nn_error *err)
{
    *t = calloc(1, sizeof **t);
    int rc = nn_dist_vote(*t ? NN_OK : nn_fail(err, NN_E_NOMEM, "out of memory for the trainer"),
                          err);
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
    int rc;
    const char *first = argc > 1 ? argv[1] : "";
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    } else if (strcmp(first, "--version") == 0) {
        printf("nntrain %s\n", NN_VERSION);
        return EXIT_OK;
    } else if (strcmp(first, "--help-config") == 0) {
        fputs(nn_config_reference(), stdout);
        return EXIT_OK;
    } else if (strcmp(first, "eval") == 0) {
        rc = nn_cmd_eval(argc - 1, argv + 1, &err);
    } else if (strcmp(first, "pca") == 0) {
        rc = nn_cmd_pca(argc - 1, argv + 1, &err);
    } else if (strcmp(first, "plot") == 0) {
        rc = nn_cmd_plot(argc - 1, argv + 1, &err);
    } else if (strcmp(first, "prep") == 0) {
        rc = nn_cmd_prep(argc - 1, argv + 1, &err);
    } else if (strcmp(first, "ocr") == 0) {
        rc = nn_cmd_ocr(argc - 1, argv + 1, &err);
    } else if (strcmp(first, "verify") == 0) {
        rc = nn_cmd_verify(argc - 1, argv + 1, &err);
    } else {
        rc = nn_cmd_train(argc, argv, &err);
    }
    if (rc == NN_E_CONFIG && strstr(err.msg, "usage:") == NULL && argc < 2)
        fputs(usage, stderr);
    return exit_status(rc);
}
