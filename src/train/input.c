/* How stored images become network inputs: [data] crop, flip, normalize
 * and invert (an nn_view) plus the affine augmentation for training. One
 * place, so training, validation, test and `nntrain eval` cannot disagree
 * on crops or normalisation. */
#include <string.h>

#include "nn/core.h"
#include "nn/trainer.h"

/* torchvision's ImageNet statistics (R, G, B; inputs in [0, 1]). */
static void imagenet_stats(double *mean, double *std)
{
    static const double m[3] = { 0.485, 0.456, 0.406 }, s[3] = { 0.229, 0.224, 0.225 };
    memcpy(mean, m, sizeof m);
    memcpy(std, s, sizeof s);
}

int nn_view_from_config(nn_view *v, const nn_data_config *dc, const nn_dataset *train,
                        const char *stats_file, nn_error *err)
{
    memset(v, 0, sizeof *v);
    v->invert = dc->invert;
    v->crop = dc->crop;
    v->flip = dc->flip;
    v->normalize = dc->normalize != NN_NORMALIZE_NONE;
    if (!v->normalize)
        return NN_OK;
    if (train->c > NN_VIEW_MAX_CHANNELS)
        return nn_fail(err, NN_E_CONFIG, "[data] normalize: %d channels (at most %d)", train->c,
                       NN_VIEW_MAX_CHANNELS);
    if (dc->normalize == NN_NORMALIZE_IMAGENET && train->c != 3)
        return nn_fail(err, NN_E_CONFIG,
                       "[data] normalize = imagenet is for RGB images, not %d channel%s", train->c,
                       train->c == 1 ? "" : "s");
    double mean[NN_VIEW_MAX_CHANNELS], std[NN_VIEW_MAX_CHANNELS];
    if (dc->normalize == NN_NORMALIZE_IMAGENET)
        imagenet_stats(mean, std);
    else if (stats_file) {
        /* the training split's statistics, as the data set file stores them */
        if (nn_h5data_read_channel_stats(stats_file, train->c, mean, std, err))
            return nn_fail_wrap(err, "[data] normalize = dataset");
    } else
        nn_dataset_channel_stats(train, mean, std);
    for (int ch = 0; ch < train->c; ch++) {
        /* statistics are of the stored values; invert maps v to 1 - v */
        v->mean[ch] = (float)(dc->invert ? 1.0 - mean[ch] : mean[ch]);
        v->std[ch] = (float)std[ch];
    }
    return NN_OK;
}

static int check_view(const nn_trainer *t, const nn_dataset *d, const char *file, nn_error *err)
{
    if (d->n == 0 || nn_view_check(d, &t->view, err) == NN_OK)
        return NN_OK;
    return nn_fail_wrap(err, "%s: [data] %s", t->cfg.path, file);
}

int nn_trainer_setup_view(nn_trainer *t, nn_error *err)
{
    const nn_data_config *dc = &t->cfg.data;
    if (t->cfg.train.target == NN_TARGET_INPUT && (dc->crop || dc->flip || dc->normalize))
        return nn_fail(err, NN_E_CONFIG,
                       "%s: [data] crop, flip and normalize are for classifiers; with [train] "
                       "target = input the network reproduces the stored images",
                       t->cfg.path);
    /* An .h5 data set stores its training split's statistics; other
     * formats have them computed from the training samples (every rank
     * holds all of them, so every rank gets the same numbers). */
    const char *stats_file = dc->format == NN_FORMAT_H5 ? dc->train : NULL;
    int rc = nn_view_from_config(&t->view, dc, &t->train, stats_file, err);
    if (rc)
        return nn_fail_wrap(err, "%s: %s", t->cfg.path, dc->train);
    rc = check_view(t, &t->train, dc->train, err);
    if (!rc)
        rc = check_view(t, &t->valid, dc->valid[0] ? dc->valid : dc->train, err);
    if (!rc)
        rc = check_view(t, &t->test, dc->test, err);
    return rc;
}

void nn_trainer_gather(nn_trainer *t, const nn_dataset *d, const size_t *idx, size_t count,
                       int training, float *x, int32_t *y)
{
    const nn_data_config *dc = &t->cfg.data;
    const nn_view_draw draw = { training, t->cfg.train.seed, t->epoch };
    nn_dataset_gather_view(d, &t->view, &draw, idx, count, x, y);
    if (!training)
        return;
    int c, h, w;
    nn_view_shape(d, &t->view, &c, &h, &w);
    const nn_augment aug = { dc->augment_shift, dc->augment_rotate, dc->augment_scale };
    nn_augment_images(x, count, c, h, w, idx, &aug, t->cfg.train.seed, t->epoch, t->scratch);
}
