/* `nntrain eval CHECKPOINT.h5 [--data ...]`: evaluate a trained network. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "nn/checkpoint.h"
#include "nn/plot.h"
#include "cli/tools.h"
#include "nn/trainer.h"

/* The folder holding path (its own buffer). */
static void folder_of(const char *path, char *out, size_t n)
{
    char tmp[NN_PATH_LEN];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, n, "%s", dirname(tmp));
}

/* Split name for a file: its base name without extension. */
static void split_name_of(const char *file, char *out, size_t n)
{
    char tmp[NN_PATH_LEN];
    snprintf(tmp, sizeof tmp, "%s", file);
    char *base = basename(tmp);
    char *dot = strchr(base, '.');
    if (dot && dot != base)
        *dot = '\0';
    snprintf(out, n, "%s", base);
}

/* Pick (or load) the data set named by --data. *owned is set when it was
 * loaded here and must be freed. */
static int choose_data(nn_trainer *t, const char *data, nn_dataset *loaded, const nn_dataset **d,
                       char *split, size_t split_len, nn_error *err)
{
    const char *named[3] = { "test", "valid", "train" };
    const nn_dataset *sets[3] = { &t->test, &t->valid, &t->train };
    for (int i = 0; i < 3; ++i) {
        if (strcmp(data, named[i]) != 0)
            continue;
        if (sets[i]->n == 0)
            return nn_fail(err, NN_E_CONFIG,
                           "%s: its config has no %s set; name a file with --data FILE.mat or "
                           "--data IMAGES,LABELS",
                           t->cfg.path, named[i]);
        *d = sets[i];
        snprintf(split, split_len, "%s", named[i]);
        return NN_OK;
    }
    char images[NN_PATH_LEN], *labels = NULL;
    snprintf(images, sizeof images, "%s", data);
    char *comma = strchr(images, ',');
    if (comma) {
        *comma = '\0';
        labels = comma + 1;
    }
    nn_data_config dc = t->cfg.data;
    dc.format = NN_FORMAT_AUTO;
    int rc = nn_trainer_load_file(&dc, images, labels, "test", loaded, err);
    if (!rc && (loaded->dim != t->train.dim || loaded->num_classes > (int)t->net.out_dim))
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: %zu pixels and %d classes do not fit the network "
                     "(%zu inputs, %zu classes)",
                     images, loaded->dim, loaded->num_classes, t->train.dim, t->net.out_dim);
    if (!rc && nn_view_check(loaded, &t->view, err))
        rc = nn_fail_wrap(err, "%s: the config's [data]", images);
    *d = loaded;
    split_name_of(images, split, split_len);
    return rc;
}

static int save_results(const nn_trainer *t, const char *ckpt, const nn_eval_result *r,
                        nn_error *err)
{
    char dir[NN_PATH_LEN], path[NN_PATH_LEN + 96], title[NN_PATH_LEN + 128];
    folder_of(ckpt, dir, sizeof dir);
    nn_eval_print(r, stdout, 10);
    snprintf(path, sizeof path, "%s/eval_%s.h5", dir, r->split);
    int rc = nn_eval_save(path, r, err);
    if (rc)
        return rc;
    printf("saved: %s\n", path);
    snprintf(path, sizeof path, "%s/confusion_%s.png", dir, r->split);
    snprintf(title, sizeof title, "%s: %s accuracy %.4f", t->cfg.train.out, r->split, r->accuracy);
    rc = nn_plot_confusion(path, title, r->confusion, r->num_classes,
                           (const char(*)[32])r->class_names, err);
    if (!rc)
        printf("figure: %s\n", path);
    return rc;
}

int nn_eval_main(const nn_eval_options *opts, const nn_dist *dist, nn_error *err)
{
    nn_trainer *t = NULL;
    char *text = NULL;
    int rc = dist->rank == 0 ? nn_checkpoint_read_config(opts->checkpoint, &text, err) : NN_OK;
    rc = nn_dist_vote(rc, err);
    nn_run_options run = { .config_path = opts->checkpoint,
                           .overrides = opts->overrides,
                           .n_overrides = opts->n_overrides,
                           .config_text = text };
    if (!rc)
        rc = nn_tools_trainer(&run, dist, 0, &t, err);
    free(text);
    if (!rc)
        rc = nn_trainer_resume(t, opts->checkpoint, err);
    nn_dataset loaded = { 0 };
    const nn_dataset *d = NULL;
    char split[64] = "";
    if (!rc)
        rc = nn_dist_vote(
            choose_data(t, opts->data ? opts->data : "test", &loaded, &d, split, sizeof split, err),
            err);
    nn_eval_result r = { 0 };
    if (!rc && nn_trainer_is_recon(t)) {
        char dir[NN_PATH_LEN];
        folder_of(opts->checkpoint, dir, sizeof dir);
        rc = nn_trainer_recon_report(t, d, split, opts->checkpoint, dir, opts->pca, err);
    } else if (!rc && opts->pca) {
        rc = nn_dist_vote(nn_fail(err, NN_E_CONFIG,
                                  "eval --pca: %s is not an autoencoder "
                                  "([train] target = input)",
                                  opts->checkpoint),
                          err);
    } else if (!rc) {
        rc = nn_trainer_eval_result(t, d, split, opts->checkpoint, &r, err);
    }
    if (!rc && r.confusion)
        rc =
            nn_dist_vote(dist->rank == 0 ? save_results(t, opts->checkpoint, &r, err) : NN_OK, err);
    nn_eval_free(&r);
    nn_dataset_free(&loaded);
    nn_tools_trainer_free(t);
    return rc;
}
