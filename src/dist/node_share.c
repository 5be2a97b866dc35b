/* One copy per host: the ranks that can map the same memory (MPI-3's
 * MPI_COMM_TYPE_SHARED, in practice the ranks of one host) get a
 * communicator of their own, and a shared-memory window lets the host's
 * first rank hold bytes that the others read in place. Eight ranks on a
 * host then hold one copy of the training data instead of eight. */
#include "dist/dist_internal.h"
#include "nn/dist.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static MPI_Comm g_host = MPI_COMM_NULL;

int nn_dist_host_init(void)
{
    /* key = world rank: the host's first rank in the job is host rank 0. */
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &g_host) !=
        MPI_SUCCESS)
        return -1;
    return 0;
}

void nn_dist_host_free(void)
{
    if (g_host != MPI_COMM_NULL)
        MPI_Comm_free(&g_host);
}

void nn_dist_host_rank(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    if (g_host != MPI_COMM_NULL) {
        MPI_Comm_rank(g_host, rank);
        MPI_Comm_size(g_host, size);
    }
}

/* MPI counts are int: broadcast in chunks so any size works. */
#define HOST_CHUNK (1 << 28)

void nn_dist_host_bcast(void *buf, size_t bytes)
{
    char *p = buf;
    for (size_t off = 0; off < bytes; off += HOST_CHUNK) {
        size_t len = bytes - off < HOST_CHUNK ? bytes - off : HOST_CHUNK;
        MPI_Bcast(p + off, (int)len, MPI_BYTE, 0, g_host);
    }
}

int nn_dist_host_all_ok(int ok)
{
    int mine = ok ? 1 : 0, all = mine;
    if (g_host != MPI_COMM_NULL)
        MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, g_host);
    return all;
}

static size_t g_window_bytes; /* the window being made, for the message */

static void window_failed(MPI_Comm *comm, int *code, ...)
{
    (void)comm;
    char what[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(*code, what, &len);
    fprintf(stderr,
            "nntrain: rank %d: no shared memory for one copy of the data on this host (%zu "
            "bytes; MPI: %s); make room in /dev/shm or set [data] share = false\n",
            nn_dist_rank(), g_window_bytes, what);
    nn_dist_abort(NN_E_NOMEM);
}

struct nn_dist_shared {
    MPI_Win win;
};

int nn_dist_shared_new(size_t bytes, nn_dist_shared **out, void **mem, nn_error *err)
{
    *out = NULL;
    *mem = NULL;
    if (g_host == MPI_COMM_NULL)
        return nn_fail(err, NN_E_STATE, "shared memory asked for before MPI started");
    int rank = 0;
    MPI_Comm_rank(g_host, &rank);
    /* The handle first, agreed over the host: a rank without one must not
     * leave the others holding a window that only a collective call frees. */
    nn_dist_shared *s = nn_calloc(1, sizeof *s, err);
    if (!nn_dist_host_all_ok(s != NULL)) {
        free(s);
        return s ? nn_fail(err, NN_E_NOMEM, "another rank of this host is out of memory")
                 : NN_E_NOMEM;
    }
    /* Only the first rank's piece has bytes; the others map it. */
    void *base = NULL;
    const MPI_Aint size = rank == 0 ? (MPI_Aint)bytes : 0;
    /* When the first rank cannot make the window (no room for its backing
     * file, /dev/shm by default), Open MPI 4.1 returns the error there and
     * leaves the other ranks waiting inside the call: no vote can follow,
     * so the job ends from here, saying why. */
    MPI_Errhandler on_fail;
    MPI_Comm_create_errhandler(window_failed, &on_fail);
    MPI_Comm_set_errhandler(g_host, on_fail);
    g_window_bytes = bytes;
    MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, g_host, &base, &s->win);
    MPI_Comm_set_errhandler(g_host, MPI_ERRORS_ARE_FATAL);
    MPI_Errhandler_free(&on_fail);
    /* Where the first rank's bytes are mapped in this process. */
    MPI_Aint got = 0;
    int disp = 0;
    MPI_Win_shared_query(s->win, 0, &got, &disp, mem);
    /* Open the first epoch: the fill and the reads follow. */
    MPI_Win_fence(MPI_MODE_NOPRECEDE, s->win);
    *out = s;
    return NN_OK;
}

void nn_dist_shared_ready(nn_dist_shared *s)
{
    /* A fence on a shared-memory window is a memory barrier and a barrier
     * over the host: stores made before it by one rank are seen by the
     * loads every rank makes after it. */
    MPI_Win_fence(0, s->win);
}

void nn_dist_shared_free(nn_dist_shared *s)
{
    if (!s)
        return;
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Win_free(&s->win); /* collective over the host */
    free(s);
}
