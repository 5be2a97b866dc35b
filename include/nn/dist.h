/* Everything MPI. No other module calls MPI: the trainer sees ranks, sums,
 * broadcasts and one "did every rank succeed?" vote.
 *
 * Module dist (src/dist, nn_dist). May call: core and MPI.
 */
#ifndef NN_DIST_H
#define NN_DIST_H

#include <stddef.h>

#include "nn/error.h"

typedef struct nn_dist {
    int rank, size;
} nn_dist;

/* MPI_Init (works without mpirun, as a single rank). Returns 0 on success. */
int nn_dist_init(int *argc, char ***argv, nn_dist *d);
void nn_dist_finalize(void);

/* This process's rank in the job (0 before nn_dist_init). */
int nn_dist_rank(void);

/* In-place sum over ranks. */
void nn_dist_sum_floats(float *buf, size_t n);
void nn_dist_sum_doubles(double *buf, size_t n);

/* 1 when ok is non-zero on every rank. Every rank must call it at the same
 * point: it is how a failure on one rank ends the job on all of them. */
int nn_dist_all_ok(int ok);

/* Largest value of x over ranks. */
int nn_dist_max_int(int x);

void nn_dist_bcast(void *buf, size_t bytes, int root);
/* Broadcast a malloc'ed string from root; other ranks get a malloc'ed copy
 * in *text (their old value is ignored). Returns 0, or -1 if out of memory. */
int nn_dist_bcast_string(char **text, int root);

/* Agree on an error across ranks: returns the largest code any rank has (0
 * when all are fine). When every rank has the same error, rank 0 alone
 * keeps the message; a rank whose error rank 0 did not share keeps its own,
 * and ranks without one get an empty message with the code. Collective. */
int nn_dist_vote(int code, nn_error *err);

/* End every rank now (a last resort for errors that cannot be agreed on). */
void nn_dist_abort(int status);

double nn_dist_wtime(void);

#endif
