/* Checks nn_dist's one-copy-per-host calls (src/dist/node_share.c) under
 * mpirun with every rank on this host:
 *     mpirun -np 3 node_share_check [--private]
 * - the host communicator holds every rank, numbered as in the job;
 * - a host broadcast and the host-wide "all ok" vote;
 * - a window of an odd size that the first rank fills is read, byte for
 *   byte, by every rank after nn_dist_shared_ready;
 * - it is one memory, not copies: the last rank writes into it, and after
 *   the next ready every rank (the first too) reads what it wrote;
 * - an empty window, and a second window after the first is freed.
 * --private gives each rank a buffer of its own instead of the window (the
 * first rank's fill and the last rank's write then stay where they were
 * made): the same checks must fail, which shows they can. Rank 0 prints
 * "ok: ..." and every rank exits 0, or each failing rank prints "FAIL" lines
 * and every rank exits 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/dist.h"

#define BYTES  1000003 /* odd: no size the code could round to */
#define MARK   12345   /* where the last rank writes */
#define MARK_N 4099

static int failures;
static int me;

static void check(int ok, const char *what)
{
    if (!ok) {
        printf("FAIL rank %d: %s\n", me, what);
        failures++;
    }
}

static uint8_t pattern(size_t i) { return (uint8_t)(i * 7 + 3); }

/* A window (or, with private_mem, a buffer of this rank's own) of n bytes. */
static uint8_t *open_mem(size_t n, int private_mem, nn_dist_shared **s)
{
    void *mem = NULL;
    nn_error err = { 0 };
    *s = NULL;
    if (private_mem)
        return calloc(n ? n : 1, 1);
    if (nn_dist_shared_new(n, s, &mem, &err) != NN_OK) {
        check(0, err.msg);
        return NULL;
    }
    return mem;
}

static void ready(nn_dist_shared *s)
{
    if (s)
        nn_dist_shared_ready(s);
    else
        nn_dist_host_all_ok(1); /* a barrier over the host, as ready is */
}

static void close_mem(uint8_t *mem, nn_dist_shared *s)
{
    if (s)
        nn_dist_shared_free(s);
    else
        free(mem);
}

int main(int argc, char **argv)
{
    nn_dist d;
    if (nn_dist_init(&argc, &argv, &d) != 0)
        return 1;
    me = d.rank;
    const int private_mem = argc > 1 && strcmp(argv[1], "--private") == 0;
    int hr, hs;
    nn_dist_host_rank(&hr, &hs);
    check(hs == d.size, "the host communicator does not hold every rank of this host");
    check(hr == d.rank, "host ranks are not numbered as job ranks");

    char word[32] = "";
    if (hr == 0)
        snprintf(word, sizeof word, "from the first rank");
    nn_dist_host_bcast(word, sizeof word);
    check(strcmp(word, "from the first rank") == 0, "host broadcast");
    check(nn_dist_host_all_ok(1) == 1, "all ok, every rank ok");
    check(nn_dist_host_all_ok(hr != hs - 1) == 0, "all ok, the last rank not ok");

    nn_dist_shared *s;
    uint8_t *mem = open_mem(BYTES, private_mem, &s);
    if (mem) {
        if (hr == 0)
            for (size_t i = 0; i < BYTES; ++i)
                mem[i] = pattern(i);
        ready(s);
        size_t bad = 0;
        for (size_t i = 0; i < BYTES; ++i)
            bad += mem[i] != pattern(i);
        check(bad == 0, "the first rank's bytes are not all seen");
        ready(s); /* everyone has read before the write below */
        if (hr == hs - 1)
            memset(mem + MARK, 'Z', MARK_N);
        ready(s);
        bad = 0;
        for (size_t i = MARK; i < MARK + MARK_N; ++i)
            bad += mem[i] != 'Z';
        check(bad == 0, "the last rank's write is not seen: not one memory");
        close_mem(mem, s);
    }
    uint8_t *none = open_mem(0, private_mem, &s);
    check(s != NULL || private_mem, "an empty window");
    ready(s);
    close_mem(none, s);
    mem = open_mem(64, private_mem, &s); /* a second window after the first */
    if (mem) {
        if (hr == 0)
            memset(mem, 0xA5, 64);
        ready(s);
        check(mem[0] == 0xA5 && mem[63] == 0xA5, "a second window");
        close_mem(mem, s);
    }

    const int ok = nn_dist_all_ok(failures == 0);
    if (ok && d.rank == 0)
        printf("ok: %d ranks on one host share one window\n", d.size);
    nn_dist_finalize();
    return ok ? 0 : 1;
}
