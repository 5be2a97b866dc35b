/* `nntrain predict CHECKPOINT.h5 --data FILE`: a trained network's scores
 * for every sample of a data file, written to an HDF5 file (/logits, /pred,
 * /labels). Unlike eval it needs neither the run's data files nor its
 * labels to mean anything: the network is built from the checkpoint's
 * config for the shape of FILE's samples, so a checkpoint imported from
 * another framework (scripts/import_torchvision.py) works as well. Each
 * rank scores a contiguous share; the scores are summed into rank 0's
 * buffer (every other rank contributes zeros there). */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/checkpoint.h"
#include "nn/core.h"
#include "nn/network.h"
#include "nn/runfiles.h"
#include "nn/trainer.h"
#include "cli/tools.h"

typedef struct predict_state {
    nn_config cfg;
    nn_dataset data;
    nn_network net;
    nn_view view; /* the centre crop and normalisation the network was trained with */
    nn_predictions p;
    float *logits, *x;
    int32_t *pred;
    char out[NN_PATH_LEN + 64];
    int outputs_are_logits;
} predict_state;

/* The checkpoint's config on every rank (rank 0 reads it), without its
 * data-file checks: only the network matters here. */
static int read_config(predict_state *s, const nn_predict_options *o, const nn_dist *dist,
                       nn_error *err)
{
    char *text = NULL;
    int rc = NN_OK;
    if (dist->rank == 0 && !o->data)
        rc = nn_fail(err, NN_E_CONFIG,
                     "predict: no --data FILE given (the samples to score: an .h5 data set, a "
                     ".mat file or IMAGES,LABELS)");
    if (dist->rank == 0 && !rc)
        rc = nn_checkpoint_read_config(o->checkpoint, &text, err);
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    if (nn_dist_bcast_string(&text, 0) != 0)
        return nn_dist_vote(nn_fail(err, NN_E_NOMEM, "out of memory reading the config"), err);
    rc = nn_config_parse_flags(&s->cfg, o->checkpoint, text, o->overrides, o->n_overrides,
                               NN_CONFIG_NO_FILE_CHECK | NN_CONFIG_NO_INIT_FROM, err);
    free(text);
    return nn_dist_vote(rc, err);
}

/* --data FILE (every rank reads it, as eval does), read the way the
 * checkpoint's [data] section says (format, transpose, class names). */
static int load_data(predict_state *s, const nn_predict_options *o, nn_error *err)
{
    char images[NN_PATH_LEN], *labels = NULL;
    if (strlen(o->data) >= sizeof images)
        return nn_fail(err, NN_E_CONFIG, "predict --data: file name too long");
    snprintf(images, sizeof images, "%s", o->data);
    char *comma = strchr(images, ',');
    if (comma) {
        *comma = '\0';
        labels = comma + 1;
    }
    nn_data_config dc = s->cfg.data;
    dc.format = NN_FORMAT_AUTO;
    int rc = nn_trainer_load_file(&dc, images, labels, o->split ? o->split : "test", &s->data, err);
    if (!rc && s->data.n == 0)
        rc = nn_fail(err, NN_E_FORMAT, "%s: no samples", images);
    return rc;
}

/* How the network saw its inputs ([data] crop, normalize, invert): the
 * centre crop, and the training split's channel statistics, read from the
 * run's training file when it is at hand, else from --data when that is an
 * .h5 data set (its /train statistics). */
static int setup_view(predict_state *s, const nn_predict_options *o, nn_error *err)
{
    const nn_data_config *dc = &s->cfg.data;
    const char *stats_file = NULL;
    if (dc->normalize == NN_NORMALIZE_DATASET) {
        if (dc->train[0] && access(dc->train, R_OK) == 0)
            stats_file = dc->train;
        else if (s->data.c > 0 && strstr(o->data, ".h5"))
            stats_file = o->data;
        else
            return nn_fail(err, NN_E_CONFIG,
                           "predict: %s was trained with [data] normalize = dataset, and neither "
                           "its training file %s nor --data %s holds the channel statistics",
                           o->checkpoint, dc->train, o->data);
    }
    int rc = nn_view_from_config(&s->view, dc, &s->data, stats_file, err);
    if (!rc)
        rc = nn_view_check(&s->data, &s->view, err);
    return rc ? nn_fail_wrap(err, "predict: %s", o->data) : NN_OK;
}

/* The network for the data's sample shape, its outputs turned into logits
 * (a softmax output layer is built without its softmax), the weights from
 * the checkpoint (rank 0 reads, everyone receives). */
static int build_network(predict_state *s, const nn_predict_options *o, const nn_dist *dist,
                         nn_error *err)
{
    nn_layer_config *last = &s->cfg.layers[s->cfg.n_layers - 1];
    s->outputs_are_logits = last->activation == NN_ACT_SOFTMAX;
    if (s->outputs_are_logits)
        last->activation = NN_ACT_LINEAR;
    nn_shape in;
    nn_view_shape(&s->data, &s->view, &in.c, &in.h, &in.w);
    int rc = nn_network_build(&s->net, &s->cfg, in, 64, err);
    if (rc) {
        char shape[64];
        snprintf(shape, sizeof shape, "%d x %d x %d", in.c, in.h, in.w);
        return nn_fail_wrap(err, "predict: %s's network does not take %s's %s samples",
                            o->checkpoint, o->data, shape);
    }
    if (s->data.num_classes > (int)s->net.out_dim)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: its labels go up to %d, but %s's network has %zu outputs", o->data,
                       s->data.num_classes - 1, o->checkpoint, s->net.out_dim);
    if (dist->rank == 0) {
        const int n = nn_network_param_count(&s->net);
        nn_named_tensor *list = nn_calloc((size_t)n + 1, sizeof *list, err);
        rc = list ? NN_OK : NN_E_NOMEM;
        if (!rc) {
            nn_network_param_tensors(&s->net, "model", s->net.params, list);
            nn_checkpoint ck = { .tensors = list, .n_tensors = n };
            rc = nn_checkpoint_load(o->checkpoint, &ck, err);
        }
        free(list);
    }
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    nn_dist_bcast(s->net.params, s->net.n_params * sizeof(float), 0);
    return NN_OK;
}

/* Rank r scores its contiguous share into the shared [n, K] buffer; the
 * sum over ranks then holds every row on every rank. */
static int score(predict_state *s, const nn_dist *dist, nn_error *err)
{
    const size_t n = s->data.n, K = s->net.out_dim, D = s->net.in_dim;
    const size_t chunk = (size_t)s->net.max_batch;
    s->logits = nn_calloc(n * K, sizeof *s->logits, err);
    s->x = s->logits ? nn_alloc_floats(chunk * D, err) : NULL;
    s->pred = s->x ? nn_calloc(n, sizeof *s->pred, err) : NULL;
    int rc = nn_dist_vote(s->pred ? NN_OK : NN_E_NOMEM, err);
    if (rc)
        return rc;
    const size_t P = (size_t)dist->size, r = (size_t)dist->rank;
    const size_t lo = n * r / P, hi = n * (r + 1) / P;
    size_t idx[64];
    for (size_t start = lo; start < hi; start += chunk) {
        const size_t count = hi - start < chunk ? hi - start : chunk;
        for (size_t i = 0; i < count; ++i)
            idx[i] = start + i;
        const nn_view_draw centre = { 0, s->cfg.train.seed, 0 };
        nn_dataset_gather_view(&s->data, &s->view, &centre, idx, count, s->x, NULL);
        const float *out = nn_network_forward(&s->net, s->x, (int)count);
        memcpy(s->logits + start * K, out, count * K * sizeof(float));
    }
    nn_dist_sum_floats(s->logits, n * K);
    for (size_t i = 0; i < n; ++i) {
        const float *row = s->logits + i * K;
        int32_t best = 0;
        for (size_t k = 1; k < K; ++k)
            if (row[k] > row[best])
                best = (int32_t)k;
        s->pred[i] = best;
    }
    return NN_OK;
}

/* pred_<split>.h5 next to the checkpoint, unless --out says. */
static void output_path(predict_state *s, const nn_predict_options *o)
{
    if (o->out) {
        snprintf(s->out, sizeof s->out, "%s", o->out);
        return;
    }
    char tmp[NN_PATH_LEN];
    snprintf(tmp, sizeof tmp, "%s", o->checkpoint);
    snprintf(s->out, sizeof s->out, "%s/pred_%s.h5", dirname(tmp), o->split ? o->split : "test");
}

static int save(predict_state *s, const nn_predict_options *o, nn_error *err)
{
    nn_predictions *p = &s->p;
    p->n = (int64_t)s->data.n;
    p->num_classes = (int)s->net.out_dim;
    p->logits = s->logits;
    p->pred = s->pred;
    p->labels = s->data.labels;
    if (s->data.class_names && s->data.num_classes == p->num_classes)
        p->class_names = (const char(*)[32])s->data.class_names;
    snprintf(p->checkpoint, sizeof p->checkpoint, "%s", o->checkpoint);
    snprintf(p->data, sizeof p->data, "%s", o->data);
    snprintf(p->split, sizeof p->split, "%s", o->split ? o->split : "test");
    snprintf(p->outputs, sizeof p->outputs, "%s", s->outputs_are_logits ? "logits" : "outputs");
    size_t correct = 0;
    for (size_t i = 0; p->labels && i < s->data.n; ++i)
        correct += p->pred[i] == p->labels[i];
    printf("predict: %zu samples of %d x %d x %d, %d classes; accuracy %.4f against the file's "
           "labels\n",
           s->data.n, s->data.c, s->data.h, s->data.w, p->num_classes,
           (double)correct / (double)s->data.n);
    int rc = nn_predictions_save(s->out, p, err);
    if (!rc)
        printf("saved: %s\n", s->out);
    fflush(stdout);
    return rc;
}

int nn_predict_main(const nn_predict_options *o, const nn_dist *dist, nn_error *err)
{
    predict_state *s = calloc(1, sizeof *s);
    int rc = nn_dist_vote(s ? NN_OK : nn_fail(err, NN_E_NOMEM, "out of memory"), err);
    if (!rc)
        rc = read_config(s, o, dist, err);
    if (!rc) {
        int threads = s->cfg.train.threads;
        const char *env = getenv("OMP_NUM_THREADS");
        if (threads <= 0)
            threads = env ? atoi(env) : 1;
        nn_set_threads(threads > 0 ? threads : 1);
        rc = nn_dist_vote(load_data(s, o, err), err);
    }
    if (!rc)
        rc = nn_dist_vote(setup_view(s, o, err), err);
    if (!rc)
        rc = nn_dist_vote(build_network(s, o, dist, err), err);
    if (!rc)
        rc = score(s, dist, err);
    if (!rc) {
        output_path(s, o);
        rc = nn_dist_vote(dist->rank == 0 ? save(s, o, err) : NN_OK, err);
    }
    if (s) {
        nn_free_aligned(s->x);
        free(s->logits);
        free(s->pred);
        nn_network_free(&s->net);
        nn_dataset_free(&s->data);
        nn_config_free(&s->cfg);
        free(s);
    }
    return rc;
}
