/* Time of MPI_Allreduce (float sum, in place) for a list of sizes: the
 * figures behind scripts/mpirun.sh's defaults and the alpha-beta fit of
 * bench/scaling.sh; and beside it nntrain's own gradient sum (one bucket of
 * nn_dist_buckets, rank-ordered), the two alternating so that both see the
 * same machine.
 *
 *   mpirun -np P build/nn_allreduce [BYTES...]     (default 4096 and 918528)
 *
 * Prints one line per size: bytes, median and minimum microseconds over the
 * repetitions (after a warm-up), measured on rank 0 between barriers; then
 * the same for nn_dist_buckets. A benchmark: it calls MPI itself. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/dist.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void time_size(long bytes, int rank)
{
    const int n = (int)(bytes / (long)sizeof(float));
    const int reps = bytes > (1 << 20) ? 50 : 400, warm = 20;
    float *buf = calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    double *t = calloc((size_t)reps, sizeof(double));
    double *t2 = calloc((size_t)reps, sizeof(double));
    size_t bounds[2] = { 0, (size_t)n };
    nn_dist_buckets *sum = buf ? nn_dist_buckets_new(buf, bounds, 1, NULL) : NULL;
    if (!buf || !t || !t2 || !sum) {
        fprintf(stderr, "nn_allreduce: out of memory for %ld bytes\n", bytes);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (int r = 0; r < warm + reps; ++r) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (r >= warm)
            t[r - warm] = MPI_Wtime() - t0;
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        nn_dist_buckets_wait(sum);
        if (r >= warm)
            t2[r - warm] = MPI_Wtime() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    qsort(t2, (size_t)reps, sizeof *t2, cmp_double);
    if (rank == 0) {
        printf("%ld bytes: median %.1f us, min %.1f us\n", bytes, t[reps / 2] * 1e6, t[0] * 1e6);
        printf("  nn_dist_buckets: median %.1f us, min %.1f us\n", t2[reps / 2] * 1e6, t2[0] * 1e6);
    }
    nn_dist_buckets_free(sum);
    free(buf);
    free(t);
    free(t2);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0)
        printf("allreduce over %d ranks\n", size);
    if (argc > 1)
        for (int i = 1; i < argc; ++i)
            time_size(atol(argv[i]), rank);
    else {
        time_size(4096, rank);
        time_size(918528, rank);
    }
    MPI_Finalize();
    return 0;
}
