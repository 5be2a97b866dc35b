/* `nntrain CONFIG.ini`: a whole training run. Sets the trainer up, trains
 * epoch by epoch (src/train), then evaluates the test set (or the
 * validation set) and draws the run's figures (src/analysis). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/tools.h"
#include "nn/analysis.h"
#include "nn/trainer.h"

/* After training: the test set (or, without one, the validation set) with
 * its confusion matrix, saved as eval_<split>.h5, then every figure. */
static int final_report(nn_trainer *t, nn_error *err)
{
    const nn_dataset *d = t->test.n > 0 ? &t->test : &t->valid;
    const char *split = t->test.n > 0 ? "test" : "valid";
    int rc = NN_OK;
    if (d->n > 0 && nn_trainer_is_recon(t)) {
        rc = nn_trainer_recon_report(t, d, split, t->ckpt_path, t->run_dir, NULL, err);
        if (rc)
            return rc;
    } else if (d->n > 0) {
        nn_eval_result r;
        rc = nn_trainer_eval_result(t, d, split, t->ckpt_path, &r, err);
        if (rc)
            return rc;
        if (t->dist.rank == 0) {
            nn_eval_print(&r, stdout, 10);
            char path[NN_PATH_LEN + 32];
            snprintf(path, sizeof path, "%s/eval_%s.h5", t->run_dir, split);
            rc = nn_eval_save(path, &r, err);
        }
        nn_eval_free(&r);
        if ((rc = nn_dist_vote(rc, err)))
            return rc;
    }
    if (t->dist.rank == 0) {
        rc = nn_run_figures(t->run_dir, stdout, err);
        printf("checkpoint: %s\nmetrics: %s\n", t->ckpt_path, t->metrics_path);
    }
    return nn_dist_vote(rc, err);
}

int nn_train_main(const nn_run_options *opts, const nn_dist *dist, nn_error *err)
{
    nn_trainer *t;
    /* a training run owns its folder */
    int rc = nn_tools_trainer(opts, dist, !opts->summary_only, &t, err);
    if (!rc)
        nn_trainer_print_header(t);
    if (!rc && !opts->summary_only) {
        rc = nn_trainer_start(t, opts, err);
        while (!rc && t->epoch < t->cfg.train.epochs)
            rc = nn_trainer_run_epoch(t, err);
        if (!rc)
            rc = final_report(t, err);
    }
    nn_tools_trainer_free(t);
    return rc;
}
