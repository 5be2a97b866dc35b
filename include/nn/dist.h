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

/* MPI_Init (works without mpirun, as a single rank), and which hosts the
 * ranks run on. Returns 0 on success. */
int nn_dist_init(int *argc, char ***argv, nn_dist *d);
void nn_dist_finalize(void);

/* The hosts the ranks run on (MPI processor names), gathered by
 * nn_dist_init: "h1 (2 ranks), h2 (1 rank)" in order of their first rank
 * (cut with "..." past 255 characters); *n_hosts gets how many. */
const char *nn_dist_hosts(int *n_hosts);

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

/* ---- one copy per host -------------------------------------------------------
 * The ranks of one host (those MPI_COMM_TYPE_SHARED groups: they can map the
 * same memory) share read-only data through a shared-memory window: the
 * host's first rank (the one with the lowest job rank) holds the bytes, the
 * others read them in place. Calls marked "host-collective" are made by
 * every rank of a host at the same point; hosts do not wait for each other. */

/* This rank's number among its host's ranks (0: the first) and their count;
 * 0 and 1 before nn_dist_init. */
void nn_dist_host_rank(int *rank, int *size);

/* Broadcast bytes from the host's first rank to its other ranks.
 * Host-collective. */
void nn_dist_host_bcast(void *buf, size_t bytes);

/* 1 when ok is non-zero on every rank of this host. Host-collective. */
int nn_dist_host_all_ok(int ok);

typedef struct nn_dist_shared nn_dist_shared;

/* A window of `bytes` (the same value on every rank of the host) held by the
 * host's first rank: *mem is where those bytes are mapped in this process
 * (the same pages on every rank of the host, at possibly different
 * addresses). The first rank fills them, then every rank calls
 * nn_dist_shared_ready before reading. Host-collective. NN_E_NOMEM, agreed
 * by the host's ranks, with *s NULL when a rank has no memory for the
 * handle. A window MPI cannot make (no room for its backing file in
 * /dev/shm) ends the job with a message: Open MPI leaves the host's other
 * ranks waiting inside the call, so no vote could follow. */
int nn_dist_shared_new(size_t bytes, nn_dist_shared **s, void **mem, nn_error *err);
/* Stores made before this call by any rank of the host are seen by loads
 * made after it by every rank (a memory fence and a barrier over the host).
 * Host-collective. */
void nn_dist_shared_ready(nn_dist_shared *s);
/* Unmap the window (host-collective); NULL is fine. */
void nn_dist_shared_free(nn_dist_shared *s);

/* ---- gradient sums in buckets ------------------------------------------------
 * An in-place sum over ranks of one buffer cut into buckets, each started on
 * its own (as soon as its values are final) and all waited for at once, so
 * that the messages of early buckets travel while the caller computes the
 * rest. Every element is added in rank order (g_0 + g_1 + ... + g_{P-1}),
 * so the result is the same bits however the buffer is cut and whenever the
 * buckets start; on 2 ranks it equals MPI_Allreduce's. */
typedef struct nn_dist_buckets nn_dist_buckets;

/* Buckets buf[bounds[b], bounds[b + 1]) for b < n (bounds ascending, each
 * bucket under 2^31 floats). Collective (it duplicates the communicator).
 * NULL when out of memory (err says so). */
nn_dist_buckets *nn_dist_buckets_new(float *buf, const size_t *bounds, int n, nn_error *err);
void nn_dist_buckets_free(nn_dist_buckets *s);
int nn_dist_buckets_count(const nn_dist_buckets *s);
/* Start summing bucket b: its values must not change until the wait. Every
 * rank starts every bucket once per round, in any order. */
void nn_dist_buckets_start(nn_dist_buckets *s, int b);
/* Let started buckets advance without blocking (call it between pieces of
 * work: MPI moves data only inside MPI calls). */
void nn_dist_buckets_progress(nn_dist_buckets *s);
/* Start what is not started yet, wait until every bucket holds its sum;
 * the buckets can then be started again. */
void nn_dist_buckets_wait(nn_dist_buckets *s);

#endif
