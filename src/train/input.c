/* How stored images become network inputs: [data] crop, flip, normalize
 * and invert (an nn_view) plus the affine augmentation for training. One
 * place, so training, validation, test and `nntrain eval` cannot disagree
 * on crops or normalisation. */
#include <string.h>

#include "nn/core.h"
#include "nn/trainer.h"

/* The training split's per-channel mean and std: stored in an .h5 data set
 * file, else computed from the training samples (the same on every rank:
 * every rank holds all of them). */
static int channel_stats(const nn_trainer *t, double *mean, double *std, nn_error *err)
{
    const nn_data_config *dc = &t->cfg.data;
    if (dc->format == NN_FORMAT_H5)
        return nn_h5data_read_channel_stats(dc->train, t->train.c, mean, std, err);
    nn_dataset_channel_stats(&t->train, mean, std);
    return NN_OK;
}

/* torchvision's ImageNet statistics (R, G, B; inputs in [0, 1]). */
static int imagenet_stats(double *mean, double *std)
{
    static const double m[3] = { 0.485, 0.456, 0.406 }, s[3] = { 0.229, 0.224, 0.225 };
    memcpy(mean, m, sizeof m);
    memcpy(std, s, sizeof s);
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
    nn_view *v = &t->view;
    memset(v, 0, sizeof *v);
    v->invert = dc->invert;
    v->crop = dc->crop;
    v->flip = dc->flip;
    v->normalize = dc->normalize != NN_NORMALIZE_NONE;
    if (t->cfg.train.target == NN_TARGET_INPUT && (v->crop || v->flip || v->normalize))
        return nn_fail(err, NN_E_CONFIG,
                       "%s: [data] crop, flip and normalize are for classifiers; with [train] "
                       "target = input the network reproduces the stored images",
                       t->cfg.path);
    if (v->normalize && t->train.c > NN_VIEW_MAX_CHANNELS)
        return nn_fail(err, NN_E_CONFIG, "%s: [data] normalize: %s has %d channels (at most %d)",
                       t->cfg.path, dc->train, t->train.c, NN_VIEW_MAX_CHANNELS);
    if (dc->normalize == NN_NORMALIZE_IMAGENET && t->train.c != 3)
        return nn_fail(err, NN_E_CONFIG,
                       "%s: [data] normalize = imagenet is for RGB images, and %s has %d "
                       "channel%s",
                       t->cfg.path, dc->train, t->train.c, t->train.c == 1 ? "" : "s");
    if (v->normalize) {
        double mean[NN_VIEW_MAX_CHANNELS], std[NN_VIEW_MAX_CHANNELS];
        int rc = dc->normalize == NN_NORMALIZE_IMAGENET ? imagenet_stats(mean, std)
                                                        : channel_stats(t, mean, std, err);
        if (rc)
            return nn_fail_wrap(err, "[data] normalize = dataset");
        for (int ch = 0; ch < t->train.c; ch++) {
            /* statistics are of the stored values; invert maps v to 1 - v */
            v->mean[ch] = (float)(dc->invert ? 1.0 - mean[ch] : mean[ch]);
            v->std[ch] = (float)std[ch];
        }
    }
    int rc = check_view(t, &t->train, dc->train, err);
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
