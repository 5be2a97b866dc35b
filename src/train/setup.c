/* Everything before the first step: the config (read by rank 0, broadcast,
 * parsed identically everywhere), the data, the network, the run folder. */
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"
#include "nn/trainer.h"

static int load_config(nn_trainer *t, const nn_run_options *opts, nn_error *err)
{
    char *text = NULL;
    int rc = NN_OK;
    if (t->dist.rank == 0 && opts->config_text)
        rc = (text = strdup(opts->config_text)) ? NN_OK : nn_fail(err, NN_E_NOMEM, "out of memory");
    else if (t->dist.rank == 0)
        rc = nn_read_text_file(opts->config_path, &text, err);
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    if (nn_dist_bcast_string(&text, 0) != 0)
        return nn_dist_vote(nn_fail(err, NN_E_NOMEM, "out of memory reading the config"), err);
    /* A checkpoint's own config: the weights come from that checkpoint, not
     * from the run it was fine-tuned from. */
    unsigned flags = opts->config_text ? NN_CONFIG_NO_INIT_FROM : 0;
    rc = nn_config_parse_flags(&t->cfg, opts->config_path, text, opts->overrides, opts->n_overrides,
                               flags, err);
    free(text);
    return nn_dist_vote(rc, err); /* the same on every rank: rank 0 speaks */
}

static int ends_with(const char *s, const char *ext)
{
    size_t n = strlen(s), e = strlen(ext);
    return n > e && strcmp(s + n - e, ext) == 0;
}

int nn_trainer_load_file(const nn_data_config *dc, const char *images, const char *labels,
                         const char *split, nn_dataset *out, nn_error *err)
{
    memset(out, 0, sizeof *out);
    nn_data_format f = dc->format;
    if (f == NN_FORMAT_AUTO)
        f = ends_with(images, ".mat")  ? NN_FORMAT_MAT
            : ends_with(images, ".h5") ? NN_FORMAT_H5
                                       : NN_FORMAT_IDX;
    int rc = f == NN_FORMAT_MAT  ? nn_mat_load(out, images, err)
             : f == NN_FORMAT_H5 ? nn_h5data_load(out, images, split, err)
                                 : nn_idx_load(out, images, labels, err);
    if (rc)
        return rc;
    if (dc->transpose)
        nn_dataset_transpose(out);
    if (dc->n_class_names > 0) {
        const char *names[NN_MAX_CLASSES];
        for (int i = 0; i < dc->n_class_names; ++i)
            names[i] = dc->class_names[i];
        rc = nn_dataset_set_class_names(out, names, dc->n_class_names, err);
    }
    return rc;
}

static int check_compatible(const nn_dataset *a, const nn_dataset *b, const char *what,
                            nn_error *err)
{
    if (b->n == 0)
        return NN_OK;
    if (a->dim != b->dim || a->num_classes < b->num_classes)
        return nn_fail(err, NN_E_FORMAT,
                       "%s set: %zu pixels and %d classes do not match the training set "
                       "(%zu pixels, %d classes)",
                       what, b->dim, b->num_classes, a->dim, a->num_classes);
    return NN_OK;
}

static int load_data(nn_trainer *t, nn_error *err)
{
    const nn_data_config *dc = &t->cfg.data;
    nn_dataset all;
    int rc = nn_trainer_load_file(dc, dc->train, dc->train_labels, "train", &all, err);
    if (!rc && dc->valid[0]) {
        t->train = all;
        rc = nn_trainer_load_file(dc, dc->valid, dc->valid_labels, "valid", &t->valid, err);
    } else if (!rc && dc->valid_fraction > 0) {
        rc = nn_dataset_split(&t->train, &t->valid, &all, dc->valid_fraction, t->cfg.train.seed,
                              err);
        nn_dataset_free(&all);
    } else if (!rc) {
        t->train = all;
    }
    if (!rc && dc->test[0])
        rc = nn_trainer_load_file(dc, dc->test, dc->test_labels, "test", &t->test, err);
    if (!rc && dc->limit > 0 && dc->limit < t->train.n)
        rc = nn_dataset_limit(&t->train, (size_t)dc->limit, t->cfg.train.seed, err);
    if (!rc)
        rc = check_compatible(&t->train, &t->valid, "validation", err);
    if (!rc)
        rc = check_compatible(&t->train, &t->test, "test", err);
    if (!rc && t->train.n == 0)
        rc = nn_fail(err, NN_E_FORMAT, "%s: the training set is empty", dc->train);
    return rc;
}

static int check_output(nn_trainer *t, nn_error *err)
{
    const nn_layer *out = &t->net.layers[t->net.n_layers - 1];
    if (t->cfg.train.target == NN_TARGET_INPUT && t->net.out_dim != t->net.in_dim)
        return nn_fail(err, NN_E_CONFIG,
                       "%s:%d: [%s] has %zu outputs but target = input needs one per input "
                       "pixel (%zu)",
                       t->cfg.path, out->cfg->line, out->cfg->name, t->net.out_dim, t->net.in_dim);
    if (t->cfg.train.target == NN_TARGET_INPUT)
        return NN_OK;
    if ((int)t->net.out_dim != t->train.num_classes)
        return nn_fail(err, NN_E_CONFIG, "%s:%d: [%s] has %zu outputs but the data have %d classes",
                       t->cfg.path, out->cfg->line, out->cfg->name, t->net.out_dim,
                       t->train.num_classes);
    if (t->cfg.train.loss == NN_LOSS_CROSS_ENTROPY && out->cfg->activation != NN_ACT_SOFTMAX)
        return nn_fail(err, NN_E_CONFIG,
                       "%s:%d: [%s] loss = cross_entropy needs activation = softmax on the "
                       "last layer",
                       t->cfg.path, out->cfg->line, out->cfg->name);
    return NN_OK;
}

/* Evaluation takes up to 256 samples at a time, but a network with large
 * activations (SqueezeNet on 128 x 128 images: about 10 MB a sample for
 * every layer's output and gradient) would then hold gigabytes that
 * training never needs: fewer rows when the activation buffers would pass
 * EVAL_ACT_BYTES, never fewer than a training step's local_max. Called on
 * a network built for local_max rows. */
#define EVAL_ACT_BYTES ((size_t)256 << 20)

static int eval_rows(const nn_trainer *t)
{
    size_t per_sample = 0;
    for (int i = 0; i < t->net.n_layers; ++i)
        per_sample += 2 * t->net.layers[i].out_dim * sizeof(float);
    size_t fit = per_sample ? EVAL_ACT_BYTES / per_sample : 256;
    if (fit > 256)
        fit = 256;
    return fit > (size_t)t->local_max ? (int)fit : t->local_max;
}

static void set_threads(const nn_train_config *tc)
{
    int n = tc->threads;
    if (n <= 0) {
        const char *env = getenv("OMP_NUM_THREADS");
        n = env ? atoi(env) : 1;
    }
    nn_set_threads(n > 0 ? n : 1);
}

static int allocate_buffers(nn_trainer *t, nn_error *err)
{
    const size_t rows = (size_t)t->net.max_batch;
    t->x = nn_alloc_floats(rows * t->net.in_dim, err);
    t->scratch = t->x ? nn_alloc_floats(t->net.in_dim, err) : NULL;
    t->y = t->scratch ? nn_calloc(rows, sizeof *t->y, err) : NULL;
    t->perm = t->y ? nn_calloc(t->train.n, sizeof *t->perm, err) : NULL;
    const nn_layer *first = &t->net.layers[0];
    size_t n_init = first->n_params > 0 ? first->params[0].size : 0;
    t->init_weights = t->perm ? nn_alloc_floats(n_init, err) : NULL;
    return t->init_weights ? NN_OK : NN_E_NOMEM;
}

/* dir followed by name, malloc'ed. */
static char *path_in(const char *dir, const char *name, nn_error *err)
{
    const size_t n = strlen(dir) + strlen(name) + 1;
    char *p = nn_malloc(n, err);
    if (p)
        snprintf(p, n, "%s%s", dir, name);
    return p;
}

/* Create the run folder and lock it (rank 0), so that a second run into a
 * busy folder stops before it writes anything or loads any data. */
static int lock_run_dir(nn_trainer *t, nn_error *err)
{
    int rc = NN_OK;
    if (t->dist.rank == 0) {
        rc = nn_make_dirs(t->run_dir, 0, err);
        if (!rc)
            rc = nn_run_dir_lock(t->run_dir, &t->lock_fd, err);
    }
    return nn_dist_vote(rc, err);
}

int nn_trainer_setup(nn_trainer *t, const nn_run_options *opts, nn_error *err)
{
    t->lock_fd = -1;
    int rc = load_config(t, opts, err);
    if (rc)
        return rc;
    const nn_train_config *tc = &t->cfg.train;
    t->run_dir = path_in(tc->out, "", err);
    t->ckpt_path = t->run_dir ? path_in(t->run_dir, "/checkpoint.h5", err) : NULL;
    t->metrics_path = t->ckpt_path ? path_in(t->run_dir, "/metrics.h5", err) : NULL;
    if ((rc = nn_dist_vote(t->metrics_path ? NN_OK : NN_E_NOMEM, err)))
        return rc;
    if (t->lock_run_dir && (rc = lock_run_dir(t, err)))
        return rc;
    set_threads(tc);
    /* Every rank reads the data itself (a shared file system is assumed),
     * or, with [data] share, only the first rank of each host, which then
     * lends its copy to the others (share.c). */
    int host_rank, host_size;
    nn_dist_host_rank(&host_rank, &host_size);
    const int share = nn_trainer_share_wanted(t), reads = !share || host_rank == 0;
    rc = reads ? load_data(t, err) : NN_OK;
    if (!rc && reads)
        rc = nn_trainer_setup_view(t, err);
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    if (share && (rc = nn_trainer_share_data(t, err)))
        return rc;
    const int B = tc->batch_size, P = t->dist.size;
    t->local_max = (B + P - 1) / P;
    t->steps_per_epoch = (int64_t)((t->train.n + (size_t)B - 1) / (size_t)B);
    nn_shape in; /* what the view makes of the stored images: e.g. the crop */
    nn_view_shape(&t->train, &t->view, &in.c, &in.h, &in.w);
    /* Built for a training step first, which gives the activation sizes;
     * then again with the rows evaluation takes, when that is more. */
    rc = nn_network_build(&t->net, &t->cfg, in, t->local_max, err);
    int rows = rc ? 0 : eval_rows(t);
    if (!rc && rows > t->net.max_batch) {
        nn_network_free(&t->net);
        rc = nn_network_build(&t->net, &t->cfg, in, rows, err);
    }
    if (!rc)
        rc = check_output(t, err);
    if (!rc)
        nn_trainer_freeze(t);
    if (!rc)
        rc = nn_optim_init(&t->opt, tc, t->net.n_params, err);
    if (!rc)
        rc = allocate_buffers(t, err);
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    if (!opts->summary_only && !opts->config_text && !t->lock_run_dir)
        rc = t->dist.rank == 0 ? nn_make_dirs(t->run_dir, 0, err) : NN_OK;
    return nn_dist_vote(rc, err);
}

void nn_trainer_free(nn_trainer *t)
{
    if (t->metrics)
        nn_metrics_close(t->metrics);
    if (t->lock_run_dir) /* last: everything above is written */
        nn_run_dir_unlock(t->lock_fd);
    nn_free_aligned(t->x);
    nn_free_aligned(t->scratch);
    free(t->y);
    free(t->perm);
    nn_free_aligned(t->init_weights);
    nn_optim_free(&t->opt);
    nn_dist_buckets_free(t->buckets);
    free(t->bucket_ready);
    nn_network_free(&t->net);
    nn_trainer_unshare(t); /* the shared sets' memory is the windows' */
    nn_dataset_free(&t->train);
    nn_dataset_free(&t->valid);
    nn_dataset_free(&t->test);
    nn_config_free(&t->cfg);
    free(t->run_dir);
    free(t->ckpt_path);
    free(t->metrics_path);
}
