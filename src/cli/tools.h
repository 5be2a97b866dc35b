/* The nntrain subcommands; each returns an nn_status code (main maps it to
 * an exit status) and fills err. */
#ifndef NN_TOOLS_H
#define NN_TOOLS_H

#include "nn/dist.h"
#include "nn/error.h"

#define NN_MAX_OVERRIDES 256

int nn_cmd_train(int argc, char **argv, nn_error *err);
int nn_cmd_eval(int argc, char **argv, nn_error *err);
int nn_cmd_plot(int argc, char **argv, nn_error *err);
int nn_cmd_pca(int argc, char **argv, nn_error *err);
int nn_cmd_prep(int argc, char **argv, nn_error *err);
int nn_cmd_ocr(int argc, char **argv, nn_error *err);
int nn_cmd_verify(int argc, char **argv, nn_error *err);

/* A collective subcommand's body: runs on every rank with the parsed options. */
typedef int (*nn_collective_fn)(const void *opts, const nn_dist *dist, nn_error *err);

/* Start MPI and the stop-signal handlers, run fn(opts) on every rank, report
 * its error the way every subcommand does, stop MPI; returns fn's code. */
int nn_tools_run_mpi(int *argc, char ***argv, nn_collective_fn fn, const void *opts,
                     nn_error *err);
void nn_tools_report(int rc, int rank, const nn_error *err);

#endif
