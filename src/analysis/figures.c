/* Figures of a run from its files (see include/nn/figures.h). */
#include "nn/core.h"
#include "nn/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/checkpoint.h"
#include "nn/config.h"
#include "nn/runfiles.h"
#include "nn/plot.h"

static void join(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* Columns of metrics.h5 as double arrays (x = epoch). */
typedef struct curves {
    int64_t n;
    double *epoch, *train_loss, *valid_loss, *train_acc, *valid_acc, *lr, *valid_psnr;
} curves;

static void curves_free(curves *c)
{
    free(c->epoch);
    memset(c, 0, sizeof *c);
}

static int curves_read(const char *metrics_path, curves *c, nn_error *err)
{
    memset(c, 0, sizeof *c);
    nn_epoch_metrics *rows = NULL;
    int rc = nn_metrics_read(metrics_path, &rows, &c->n, err);
    if (rc)
        return rc;
    if (c->n < 1) {
        free(rows);
        return nn_fail(err, NN_E_FORMAT, "%s: no epochs recorded yet", metrics_path);
    }
    c->epoch = nn_malloc(7 * (size_t)c->n * sizeof(double), err);
    if (!c->epoch) {
        free(rows);
        return NN_E_NOMEM;
    }
    double *cols[7];
    for (int k = 0; k < 7; ++k)
        cols[k] = c->epoch + (size_t)k * c->n;
    c->train_loss = cols[1], c->valid_loss = cols[2], c->train_acc = cols[3];
    c->valid_acc = cols[4], c->lr = cols[5], c->valid_psnr = cols[6];
    for (int64_t i = 0; i < c->n; ++i) {
        c->epoch[i] = (double)rows[i].epoch;
        c->train_loss[i] = rows[i].train_loss;
        c->valid_loss[i] = rows[i].valid_loss;
        c->train_acc[i] = rows[i].train_acc;
        c->valid_acc[i] = rows[i].valid_acc;
        c->lr[i] = rows[i].lr;
        c->valid_psnr[i] = rows[i].valid_psnr;
    }
    free(rows);
    return NN_OK;
}

static int draw_curves(const char *dir, FILE *log, nn_error *err)
{
    char metrics[2048], png[2048];
    join(metrics, sizeof metrics, dir, "metrics.h5");
    join(png, sizeof png, dir, "curves.png");
    curves c;
    int rc = curves_read(metrics, &c, err);
    if (!rc)
        rc = nn_plot_training_curves(png, nn_base_name(dir), c.epoch, c.train_loss, c.valid_loss,
                                     c.train_acc, c.valid_acc, (int)c.n, err);
    if (!rc && log)
        fprintf(log, "figure: %s\n", png);
    int has_psnr = 0; /* autoencoders: validation PSNR per epoch in psnr.png */
    for (int64_t i = 0; !rc && i < c.n; ++i)
        has_psnr |= isfinite(c.valid_psnr[i]);
    if (has_psnr) {
        join(png, sizeof png, dir, "psnr.png");
        nn_curve v = { "valid", c.epoch, c.valid_psnr, (int)c.n };
        rc = nn_plot_curves(png, nn_base_name(dir), "epoch", "mean PSNR (dB)", &v, 1, err);
        if (!rc && log)
            fprintf(log, "figure: %s\n", png);
    }
    curves_free(&c);
    return rc;
}

/* The first layer's weights [pixels, units] as images, when pixels is a
 * square (or the data's h x w): before (init/...) and after (model/...). */
static int draw_weights(const char *dir, FILE *log, nn_error *err)
{
    char ckpt[2048];
    join(ckpt, sizeof ckpt, dir, "checkpoint.h5");
    /* The whole file is checked first, so a damaged checkpoint stops the
     * figures even when its first layer has no weights to draw. */
    nn_checkpoint_info info;
    int rc = nn_checkpoint_verify(ckpt, &info, err);
    const char *note = rc ? NULL : nn_checkpoint_version_note(info.format_version);
    if (note && log)
        fprintf(log, "note: %s is %s\n", ckpt, note);
    char *text = NULL;
    if (!rc)
        rc = nn_checkpoint_read_config(ckpt, &text, err);
    nn_config *cfg = rc ? NULL : calloc(1, sizeof *cfg);
    if (!rc && !cfg)
        rc = nn_fail(err, NN_E_NOMEM, "out of memory");
    if (!rc)
        rc = nn_config_parse_flags(cfg, ckpt, text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, err);
    free(text);
    const char *stage[2][2] = { { "init", "weights_init.png" }, { "model", "weights_final.png" } };
    /* Only dense and conv first layers have weights W to draw. */
    int has_w = !rc && (strcmp(cfg->layers[0].type, "dense") == 0 ||
                        strcmp(cfg->layers[0].type, "conv") == 0);
    for (int s = 0; s < 2 && !rc && has_w; ++s) {
        char name[256], png[2048], title[300];
        snprintf(name, sizeof name, "%s/%s/W", stage[s][0], cfg->layers[0].name);
        nn_named_tensor W;
        rc = nn_checkpoint_read_tensor(ckpt, name, &W, err);
        if (rc)
            break;
        /* A conv layer on one channel, W [F, 1, k, k]: its filters as k x k
         * images, laid out [k*k, F] like a dense layer's [pixels, units]. */
        if (W.rank == 4 && W.dims[1] == 1 && W.dims[2] == W.dims[3]) {
            const size_t F = W.dims[0], kk = W.dims[2] * W.dims[3];
            float *t = malloc(F * kk * sizeof *t);
            if (!t) {
                rc = nn_fail(err, NN_E_NOMEM, "out of memory");
                free(W.data);
                break;
            }
            for (size_t f = 0; f < F; ++f)
                for (size_t p = 0; p < kk; ++p)
                    t[p * F + f] = W.data[f * kk + p];
            free(W.data);
            W.data = t;
            W.rank = 2;
            W.dims[0] = kk;
            W.dims[1] = F;
        }
        int side = (int)lround(sqrt((double)W.dims[0]));
        if (W.rank == 2 && (uint64_t)side * (uint64_t)side == W.dims[0]) {
            join(png, sizeof png, dir, stage[s][1]);
            snprintf(title, sizeof title, "%s: layer %s weights, %s", nn_base_name(dir),
                     cfg->layers[0].name, s == 0 ? "initial" : "trained");
            rc = nn_plot_weight_grid(png, title, W.data, side, side, (int)W.dims[1], err);
            if (!rc && log)
                fprintf(log, "figure: %s\n", png);
        }
        free(W.data);
    }
    if (cfg)
        nn_config_free(cfg);
    free(cfg);
    return rc;
}

static int draw_confusion(const char *dir, const char *split, FILE *log, nn_error *err)
{
    char path[2048], png[2048], name[64], title[300];
    snprintf(name, sizeof name, "eval_%s.h5", split);
    join(path, sizeof path, dir, name);
    if (access(path, F_OK) != 0)
        return NN_OK;
    nn_eval_result r;
    int rc = nn_eval_load(path, &r, err);
    if (rc)
        return rc;
    snprintf(name, sizeof name, "confusion_%s.png", split);
    join(png, sizeof png, dir, name);
    snprintf(title, sizeof title, "%s: %s accuracy %.4f", nn_base_name(dir), split, r.accuracy);
    rc = nn_plot_confusion(png, title, r.confusion, r.num_classes, (const char(*)[32])r.class_names,
                           err);
    if (!rc && log)
        fprintf(log, "figure: %s\n", png);
    nn_eval_free(&r);
    return rc;
}

int nn_run_figures(const char *run_dir, FILE *log, nn_error *err)
{
    char path[2048];
    int found = 0, rc = NN_OK;
    join(path, sizeof path, run_dir, "metrics.h5");
    if (access(path, F_OK) == 0 && ++found)
        rc = draw_curves(run_dir, log, err);
    join(path, sizeof path, run_dir, "checkpoint.h5");
    if (!rc && access(path, F_OK) == 0 && ++found)
        rc = draw_weights(run_dir, log, err);
    const char *splits[3] = { "test", "valid", "train" };
    for (int i = 0; i < 3 && !rc; ++i) {
        char name[64];
        snprintf(name, sizeof name, "eval_%s.h5", splits[i]);
        join(path, sizeof path, run_dir, name);
        if (access(path, F_OK) == 0 && ++found)
            rc = draw_confusion(run_dir, splits[i], log, err);
    }
    if (!rc && !found)
        rc = nn_fail(err, NN_E_IO, "%s: no metrics.h5, checkpoint.h5 or eval_*.h5 to draw from",
                     run_dir);
    return rc;
}

int nn_compare_figure(const char *png_path, const char *const *run_dirs, int n, nn_error *err)
{
    if (n < 1)
        return nn_fail(err, NN_E_CONFIG, "plot --compare: no run folders given");
    curves *cs = nn_calloc((size_t)n, sizeof *cs, err);
    nn_curve *loss = cs ? nn_calloc(2 * (size_t)n, sizeof *loss, err) : NULL; /* then acc */
    nn_curve *acc = loss ? loss + n : NULL;
    char(*labels)[160] = loss ? nn_calloc((size_t)n, sizeof *labels, err) : NULL;
    int rc = labels ? NN_OK : NN_E_NOMEM;
    for (int i = 0; i < n && !rc; ++i) {
        char metrics[2048];
        join(metrics, sizeof metrics, run_dirs[i], "metrics.h5");
        rc = curves_read(metrics, &cs[i], err);
        if (rc)
            break;
        snprintf(labels[i], sizeof labels[i], "%s (lr %g)", nn_base_name(run_dirs[i]), cs[i].lr[0]);
        loss[i] = (nn_curve){ labels[i], cs[i].epoch, cs[i].valid_loss, (int)cs[i].n };
        acc[i] = (nn_curve){ labels[i], cs[i].epoch, cs[i].valid_acc, (int)cs[i].n };
    }
    /* One figure per quantity: <png> for accuracy, <png>-loss variant for loss. */
    if (!rc)
        rc = nn_plot_curves(png_path, "validation accuracy", "epoch", "accuracy", acc, n, err);
    if (!rc) {
        char loss_png[2048];
        const char *dot = strrchr(png_path, '.');
        int stem = dot ? (int)(dot - png_path) : (int)strlen(png_path);
        snprintf(loss_png, sizeof loss_png, "%.*s_loss.png", stem, png_path);
        rc = nn_plot_curves(loss_png, "validation loss", "epoch", "loss", loss, n, err);
    }
    for (int i = 0; cs && i < n; ++i)
        curves_free(&cs[i]);
    free(cs);
    free(loss); /* and acc */
    free(labels);
    return rc;
}
