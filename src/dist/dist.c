#include "nn/dist.h"
#include "dist/dist_internal.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every rank's processor name, gathered once: "h1 (2 ranks), h2 (1 rank)"
 * in rank order of first appearance, for the run's header (which hosts a
 * job really spans is the first thing to check in a multi-host run). */
static char g_hosts[256];
static int g_n_hosts = 1;

const char *nn_dist_hosts(int *n_hosts)
{
    *n_hosts = g_n_hosts;
    return g_hosts;
}

static int describe_hosts(const nn_dist *d)
{
    char me[MPI_MAX_PROCESSOR_NAME] = { 0 };
    int len = 0;
    MPI_Get_processor_name(me, &len);
    char *all = calloc((size_t)d->size, MPI_MAX_PROCESSOR_NAME);
    int *count = calloc((size_t)d->size, sizeof(int));
    if (!all || !count) {
        free(all);
        free(count);
        return -1;
    }
    MPI_Allgather(me, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all, MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                  MPI_COMM_WORLD);
    g_n_hosts = 0;
    for (int r = 0; r < d->size; ++r) { /* count[first rank of a host] = its ranks */
        int first = r;
        for (int q = 0; q < r; ++q)
            if (strcmp(all + (size_t)q * MPI_MAX_PROCESSOR_NAME,
                       all + (size_t)r * MPI_MAX_PROCESSOR_NAME) == 0) {
                first = q;
                break;
            }
        g_n_hosts += first == r;
        count[first]++;
    }
    size_t used = 0;
    g_hosts[0] = '\0';
    for (int r = 0; r < d->size && used < sizeof g_hosts; ++r) {
        if (!count[r])
            continue;
        int w =
            snprintf(g_hosts + used, sizeof g_hosts - used, "%s%s (%d rank%s)", used ? ", " : "",
                     all + (size_t)r * MPI_MAX_PROCESSOR_NAME, count[r], count[r] == 1 ? "" : "s");
        used += w > 0 ? (size_t)w : 0;
    }
    if (used >= sizeof g_hosts)
        strcpy(g_hosts + sizeof g_hosts - 4, "...");
    free(all);
    free(count);
    return 0;
}

int nn_dist_init(int *argc, char ***argv, nn_dist *d)
{
    int provided = 0;
    /* Only the main thread calls MPI; OpenMP threads stay inside compute. */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    if (nn_dist_host_init() != 0)
        return -1;
    return describe_hosts(d);
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
    if (!done) {
        nn_dist_host_free();
        MPI_Finalize();
    }
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

/* ---- gradient sums in buckets ------------------------------------------------
 * Each bucket is summed in two rounds of point-to-point messages on a
 * communicator of its own: rank r owns chunk r of the bucket, receives every
 * rank's copy of that chunk, adds them in rank order (g_0 + g_1 + ... +
 * g_{P-1}), and sends the sum to every rank. Each element is thus the same
 * sum in the same order however the buffer is cut into buckets, which MPI's
 * allreduce does not promise (its algorithm, and with it the order of a
 * sum, changes with the message size). Messages go as each bucket is
 * started; the adding happens when a later progress or wait call finds a
 * bucket's first round complete (Open MPI moves data only inside MPI calls). */

enum { BUCKET_IDLE, BUCKET_SCATTER, BUCKET_GATHER, BUCKET_DONE };

struct nn_dist_buckets {
    MPI_Comm comm;
    int rank, size, n;
    float *buf;          /* the buffer the buckets cut */
    size_t *bounds;      /* [n + 1] bucket b is buf[bounds[b], bounds[b + 1]) */
    size_t *scratch_off; /* [n] where bucket b's P copies of this rank's chunk sit */
    float *scratch;
    int *state;       /* [n] */
    MPI_Request *req; /* [n][2 (P - 1)] */
};

/* Chunk r of a bucket of len floats: [lo, hi) relative to its start. */
static void chunk_of(size_t len, int r, int P, size_t *lo, size_t *hi)
{
    *lo = len * (size_t)r / (size_t)P;
    *hi = len * (size_t)(r + 1) / (size_t)P;
}

nn_dist_buckets *nn_dist_buckets_new(float *buf, const size_t *bounds, int n, nn_error *err)
{
    nn_dist_buckets *s = nn_calloc(1, sizeof *s, err);
    if (!s)
        return NULL;
    MPI_Comm_dup(MPI_COMM_WORLD, &s->comm);
    MPI_Comm_rank(s->comm, &s->rank);
    MPI_Comm_size(s->comm, &s->size);
    s->n = n;
    s->buf = buf;
    const size_t P = (size_t)s->size, per = 2 * (P - 1);
    s->bounds = nn_calloc((size_t)n + 1, sizeof *s->bounds, err);
    s->scratch_off = s->bounds ? nn_calloc((size_t)n, sizeof *s->scratch_off, err) : NULL;
    s->state = s->scratch_off ? nn_calloc((size_t)n, sizeof *s->state, err) : NULL;
    s->req = s->state ? nn_calloc((size_t)n * (per > 0 ? per : 1), sizeof *s->req, err) : NULL;
    if (!s->req) {
        nn_dist_buckets_free(s);
        return NULL;
    }
    size_t total = 0;
    for (int b = 0; b < n; ++b) {
        size_t lo, hi;
        chunk_of(bounds[b + 1] - bounds[b], s->rank, s->size, &lo, &hi);
        s->scratch_off[b] = total;
        total += P * (hi - lo);
    }
    memcpy(s->bounds, bounds, ((size_t)n + 1) * sizeof *bounds);
    s->scratch = nn_alloc_floats(total > 0 ? total : 1, err);
    if (!s->scratch) {
        nn_dist_buckets_free(s);
        return NULL;
    }
    for (size_t i = 0; i < (size_t)n * per; ++i)
        s->req[i] = MPI_REQUEST_NULL;
    return s;
}

void nn_dist_buckets_free(nn_dist_buckets *s)
{
    if (!s)
        return;
    int done = 0;
    MPI_Finalized(&done);
    if (!done && s->comm != MPI_COMM_NULL && s->comm != 0)
        MPI_Comm_free(&s->comm);
    free(s->bounds);
    free(s->scratch_off);
    free(s->state);
    free(s->req);
    free(s->scratch);
    free(s);
}

int nn_dist_buckets_count(const nn_dist_buckets *s) { return s->n; }

/* Round one: every other rank's copy of my chunk into scratch, my copies of
 * their chunks to them. Tags are bucket numbers; round two uses n + b. */
void nn_dist_buckets_start(nn_dist_buckets *s, int b)
{
    const int P = s->size;
    const size_t base = s->bounds[b], len = s->bounds[b + 1] - base;
    if (P == 1) {
        s->state[b] = BUCKET_DONE;
        return;
    }
    MPI_Request *req = s->req + (size_t)b * 2 * (size_t)(P - 1);
    size_t mlo, mhi;
    chunk_of(len, s->rank, P, &mlo, &mhi);
    const size_t mine = mhi - mlo;
    float *slots = s->scratch + s->scratch_off[b]; /* [P][mine] */
    int k = 0;
    for (int q = 0; q < P; ++q) {
        if (q == s->rank)
            continue;
        size_t lo, hi;
        chunk_of(len, q, P, &lo, &hi);
        MPI_Irecv(slots + (size_t)q * mine, (int)mine, MPI_FLOAT, q, b, s->comm, &req[k++]);
        MPI_Isend(s->buf + base + lo, (int)(hi - lo), MPI_FLOAT, q, b, s->comm, &req[k++]);
    }
    s->state[b] = BUCKET_SCATTER;
}

/* Round two, once round one is complete: add the P copies in rank order
 * into my chunk, send it to every rank, receive theirs in place. */
static void buckets_gather(nn_dist_buckets *s, int b)
{
    const int P = s->size;
    const size_t base = s->bounds[b], len = s->bounds[b + 1] - base;
    MPI_Request *req = s->req + (size_t)b * 2 * (size_t)(P - 1);
    size_t mlo, mhi;
    chunk_of(len, s->rank, P, &mlo, &mhi);
    const size_t mine = mhi - mlo;
    float *slots = s->scratch + s->scratch_off[b];
    float *out = s->buf + base + mlo;
    memcpy(slots + (size_t)s->rank * mine, out, mine * sizeof(float));
    memcpy(out, slots, mine * sizeof(float));
    for (int q = 1; q < P; ++q) {
        const float *c = slots + (size_t)q * mine;
        for (size_t j = 0; j < mine; ++j)
            out[j] += c[j];
    }
    int k = 0;
    for (int q = 0; q < P; ++q) {
        if (q == s->rank)
            continue;
        size_t lo, hi;
        chunk_of(len, q, P, &lo, &hi);
        MPI_Irecv(s->buf + base + lo, (int)(hi - lo), MPI_FLOAT, q, s->n + b, s->comm, &req[k++]);
        MPI_Isend(out, (int)mine, MPI_FLOAT, q, s->n + b, s->comm, &req[k++]);
    }
    s->state[b] = BUCKET_GATHER;
}

/* Move every started bucket on as far as it goes without waiting. */
void nn_dist_buckets_progress(nn_dist_buckets *s)
{
    const int per = 2 * (s->size - 1);
    for (int b = 0; b < s->n; ++b) {
        if (s->state[b] != BUCKET_SCATTER && s->state[b] != BUCKET_GATHER)
            continue;
        int done = 0;
        MPI_Testall(per, s->req + (size_t)b * (size_t)per, &done, MPI_STATUSES_IGNORE);
        if (!done)
            continue;
        if (s->state[b] == BUCKET_SCATTER)
            buckets_gather(s, b);
        else
            s->state[b] = BUCKET_DONE;
    }
}

void nn_dist_buckets_wait(nn_dist_buckets *s)
{
    const int per = 2 * (s->size - 1);
    for (int b = 0; b < s->n; ++b) {
        if (s->state[b] == BUCKET_IDLE)
            nn_dist_buckets_start(s, b);
        if (s->state[b] == BUCKET_SCATTER) {
            MPI_Waitall(per, s->req + (size_t)b * (size_t)per, MPI_STATUSES_IGNORE);
            buckets_gather(s, b);
        }
    }
    for (int b = 0; b < s->n; ++b) {
        if (s->state[b] == BUCKET_GATHER)
            MPI_Waitall(per, s->req + (size_t)b * (size_t)per, MPI_STATUSES_IGNORE);
        s->state[b] = BUCKET_IDLE;
    }
}
