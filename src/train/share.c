/* [data] share: one copy of the data sets per host.
 *
 * Every rank holding its own copy of EMNIST costs 8 copies on a host of 8
 * ranks. Instead the host's first rank loads the sets as a lone rank would
 * (setup.c: read, transpose, split, limit, the view), then each set's pixels
 * and labels move into a shared-memory window (nn_dist_shared) and the
 * host's other ranks, which read no data file, receive the shapes, class names
 * and view by broadcast and point into the window. Nothing after setup
 * writes into a set (gathers, views and augmentation work on copies), so
 * the windows are read-only and the results are the same bits as with a
 * copy per rank. The trainer owns the windows: nn_trainer_unshare detaches
 * them before nn_dataset_free, which then frees only the class names. */
#define _DEFAULT_SOURCE /* madvise */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nn/trainer.h"

#define ALIGN 64 /* float rows start 64-byte aligned, as nn_alloc_floats gives */

static size_t round_up(size_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

/* Copy n bytes from src, which is freed next, to dst, giving src's pages
 * back to the system piece by piece as they are copied: the first rank
 * then never holds the whole heap copy and the whole window at once (an
 * EMNIST-sized set would otherwise cost two copies on the host for a
 * moment). MADV_DONTNEED on the whole pages inside src only: no other
 * allocation lives there. */
#define PIECE ((size_t)64 << 20)

static void move_bytes(void *dst, void *src, size_t n)
{
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < n; off += PIECE) {
        const size_t len = n - off < PIECE ? n - off : PIECE;
        memcpy((char *)dst + off, (char *)src + off, len);
        const uintptr_t lo = ((uintptr_t)src + off + page - 1) / page * page;
        const uintptr_t hi = ((uintptr_t)src + off + len) / page * page;
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
}

/* What the host's other ranks need to rebuild a set around the window. */
typedef struct set_header {
    uint64_t n, dim;
    int32_t c, h, w, num_classes;
    int32_t kind; /* 1: u8, 2: f32 */
} set_header;

static size_t pixel_bytes(const set_header *hd)
{
    return (size_t)hd->n * (size_t)hd->dim * (hd->kind == 2 ? sizeof(float) : 1);
}

int nn_trainer_share_wanted(const nn_trainer *t)
{
    int rank, size;
    nn_dist_host_rank(&rank, &size);
    const int most = nn_dist_max_int(size);
    if (t->cfg.data.share == NN_SHARE_AUTO)
        return most > 1;
    return t->cfg.data.share == NN_SHARE_TRUE;
}

/* The header, then the class names, from the host's first rank; the others
 * allocate their class names. Host-collective. */
static int share_header(nn_dataset *d, int first, set_header *hd, nn_error *err)
{
    if (first)
        *hd = (set_header){ d->n, d->dim, d->c, d->h, d->w, d->num_classes, d->u8 ? 1 : 2 };
    nn_dist_host_bcast(hd, sizeof *hd);
    if (hd->n == 0) /* an absent set: nothing to share */
        return NN_OK;
    if (!first) {
        *d = (nn_dataset){ .n = hd->n,
                           .c = hd->c,
                           .h = hd->h,
                           .w = hd->w,
                           .dim = hd->dim,
                           .num_classes = hd->num_classes };
        d->class_names = nn_calloc((size_t)hd->num_classes, NN_CLASS_NAME_LEN, err);
    }
    if (!nn_dist_host_all_ok(d->class_names != NULL))
        return d->class_names ? nn_fail(err, NN_E_NOMEM,
                                        "another rank of this host is out of "
                                        "memory")
                              : NN_E_NOMEM;
    nn_dist_host_bcast(d->class_names, (size_t)hd->num_classes * NN_CLASS_NAME_LEN);
    return NN_OK;
}

/* One set into a window: [pad][pixels [n, dim]][pad][labels [n]], the pad
 * putting the pixels on a 64-byte boundary (its size decided by the first
 * rank, as the window may be mapped at other offsets elsewhere).
 * Host-collective. */
static int share_set(nn_dataset *d, int first, nn_dist_shared **win, size_t *bytes, nn_error *err)
{
    set_header hd = { 0 };
    int rc = share_header(d, first, &hd, err);
    if (rc || hd.n == 0)
        return rc;
    const size_t pix = pixel_bytes(&hd), lab = (size_t)hd.n * sizeof(int32_t);
    *bytes = ALIGN + round_up(pix) + lab;
    void *mem = NULL;
    if ((rc = nn_dist_shared_new(*bytes, win, &mem, err)))
        return rc;
    uint64_t pad = first ? (ALIGN - (uintptr_t)mem % ALIGN) % ALIGN : 0;
    nn_dist_host_bcast(&pad, sizeof pad);
    char *pixels = (char *)mem + pad;
    int32_t *labels = (int32_t *)(pixels + round_up(pix));
    if (first) { /* the heap copy goes once the window has it */
        move_bytes(pixels, hd.kind == 1 ? (void *)d->u8 : (void *)d->f32, pix);
        memcpy(labels, d->labels, lab);
        free(d->u8);
        nn_free_aligned(d->f32);
        free(d->labels);
    }
    d->u8 = hd.kind == 1 ? (uint8_t *)pixels : NULL;
    d->f32 = hd.kind == 2 ? (float *)pixels : NULL;
    d->labels = labels;
    nn_dist_shared_ready(*win); /* the first rank's bytes are seen by all */
    return NN_OK;
}

int nn_trainer_share_data(nn_trainer *t, nn_error *err)
{
    int rank, size;
    nn_dist_host_rank(&rank, &size);
    nn_dataset *sets[3] = { &t->train, &t->valid, &t->test };
    size_t total = 0;
    int rc = NN_OK;
    /* Host-collective steps only: every host goes at its own pace, and the
     * ranks of a host agree on each failure (nn_dist_host_all_ok), so they
     * stop at the same set. */
    for (int i = 0; i < 3 && !rc; ++i) {
        size_t bytes = 0;
        rc = share_set(sets[i], rank == 0, &t->shared[i], &bytes, err);
        total += bytes;
    }
    if (!rc) /* the view holds the normalisation statistics of the data */
        nn_dist_host_bcast(&t->view, sizeof t->view);
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    t->shared_bytes = total;
    t->shared_most = nn_dist_max_int(size);
    t->shared_least = -nn_dist_max_int(-size);
    return NN_OK;
}

void nn_trainer_unshare(nn_trainer *t)
{
    nn_dataset *sets[3] = { &t->train, &t->valid, &t->test };
    for (int i = 0; i < 3; ++i) {
        if (!t->shared[i])
            continue;
        sets[i]->u8 = NULL;
        sets[i]->f32 = NULL;
        sets[i]->labels = NULL;
        nn_dist_shared_free(t->shared[i]);
        t->shared[i] = NULL;
    }
}
