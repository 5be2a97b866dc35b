#include "nn/dist.h"

#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int nn_dist_init(int *argc, char ***argv, nn_dist *d)
{
    int provided = 0;
    /* Only the main thread calls MPI; OpenMP threads stay inside compute. */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    return 0;
}

int nn_dist_rank(void)
{
    int up = 0, rank = 0;
    MPI_Initialized(&up);
    if (up)
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

void nn_dist_finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
}

/* MPI counts are int: reduce in chunks so any buffer size works. */
#define NN_MPI_CHUNK (1 << 28)

void nn_dist_sum_floats(float *buf, size_t n)
{
    for (size_t off = 0; off < n; off += NN_MPI_CHUNK) {
        size_t len = n - off < NN_MPI_CHUNK ? n - off : NN_MPI_CHUNK;
        MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)len, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
}

void nn_dist_sum_doubles(double *buf, size_t n)
{
    for (size_t off = 0; off < n; off += NN_MPI_CHUNK) {
        size_t len = n - off < NN_MPI_CHUNK ? n - off : NN_MPI_CHUNK;
        MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)len, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
}

int nn_dist_all_ok(int ok)
{
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

int nn_dist_max_int(int x)
{
    int out = x;
    MPI_Allreduce(&x, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

void nn_dist_bcast(void *buf, size_t bytes, int root)
{
    char *p = buf;
    for (size_t off = 0; off < bytes; off += NN_MPI_CHUNK) {
        size_t len = bytes - off < NN_MPI_CHUNK ? bytes - off : NN_MPI_CHUNK;
        MPI_Bcast(p + off, (int)len, MPI_BYTE, root, MPI_COMM_WORLD);
    }
}

int nn_dist_bcast_string(char **text, int root)
{
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    unsigned long long len = (rank == root && *text) ? strlen(*text) : 0;
    MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
    char *buf = rank == root ? *text : malloc(len + 1);
    int ok = nn_dist_all_ok(buf != NULL);
    if (!ok) {
        if (rank != root)
            free(buf);
        return -1;
    }
    nn_dist_bcast(buf, len + 1, root);
    *text = buf;
    return 0;
}

void nn_dist_abort(int status) { MPI_Abort(MPI_COMM_WORLD, status); }

double nn_dist_wtime(void) { return MPI_Wtime(); }

int nn_dist_vote(int code, nn_error *err)
{
    int worst = nn_dist_max_int(code);
    if (!worst)
        return NN_OK;
    /* Most errors hit every rank alike (the same file, the same config):
     * then rank 0 alone reports it. A rank whose error rank 0 did not share
     * keeps its message, which main prints with the rank's number. */
    int root_code = code;
    nn_dist_bcast(&root_code, sizeof root_code, 0);
    if (!code || (root_code && nn_dist_rank() != 0))
        nn_fail(err, code ? code : worst, "%s", "");
    return worst;
}
