/* Checkpoints of a training run: parameters, optimizer state, the running
 * sums of the current epoch, and the cursor (epoch, step, global step); the
 * older ones kept beside the latest, and the choice among them for
 * --resume auto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/checkpoint.h"
#include "nn/trainer.h"

static const char *const state_names[2] = { "m", "v" };

/* All tensors of a checkpoint; *sums receives the epoch sums view. */
static nn_named_tensor *build_tensor_list(nn_trainer *t, int *count, float sums[3], nn_error *err)
{
    const int per = nn_network_param_count(&t->net);
    const int states = nn_optim_state_count(&t->opt);
    nn_named_tensor *list = nn_calloc((size_t)per * (1 + states) + 2, sizeof *list, err);
    if (!list)
        return NULL;
    nn_network_param_tensors(&t->net, "model", t->net.params, list);
    float *bufs[2] = { t->opt.m, t->opt.v };
    for (int s = 0; s < states; ++s) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "optim/%s", state_names[s]);
        nn_network_param_tensors(&t->net, prefix, bufs[s], list + per * (1 + s));
    }
    nn_named_tensor *last = &list[per * (1 + states)];
    snprintf(last->name, sizeof last->name, "state/epoch_sums");
    last->rank = 1;
    last->dims[0] = 3;
    last->data = sums;
    *count = per * (1 + states) + 1;
    /* The first layer's first parameter as initialised: the "before" of the
     * weight figures. */
    const nn_layer *l0 = &t->net.layers[0];
    if (l0->n_params > 0) {
        const nn_param *p = &l0->params[0];
        nn_named_tensor *init = &list[(*count)++];
        snprintf(init->name, sizeof init->name, "init/%s/%s", l0->cfg->name, p->name);
        init->rank = p->rank;
        memcpy(init->dims, p->dims, sizeof init->dims);
        init->data = t->init_weights;
    }
    return list;
}

int nn_trainer_save(nn_trainer *t, nn_error *err)
{
    int rc = NN_OK;
    if (t->dist.rank == 0) {
        float sums[3] = { (float)t->epoch_sums.loss, (float)t->epoch_sums.correct,
                          (float)t->epoch_sums.count };
        nn_checkpoint ck = { 0 };
        ck.tensors = build_tensor_list(t, &ck.n_tensors, sums, err);
        if (!ck.tensors) {
            rc = NN_E_NOMEM;
        } else {
            ck.epoch = t->epoch;
            ck.step = t->step;
            ck.global_step = t->global_step;
            ck.seed = t->cfg.train.seed;
            ck.world_size = t->dist.size;
            ck.lr = t->lr;
            /* The config as it ran: defaults filled in, --set overrides applied. */
            char *resolved = NULL;
            rc = nn_config_resolved(&t->cfg, &resolved, err);
            ck.config_text = resolved;
            ck.config_path = t->cfg.path;
            if (!rc)
                rc = nn_checkpoint_save_keep(t->ckpt_path, t->cfg.train.keep_checkpoints, &ck, err);
            free(resolved);
            free(ck.tensors);
        }
    }
    return nn_dist_vote(rc, err);
}

int nn_trainer_resume(nn_trainer *t, const char *path, nn_error *err)
{
    int rc = NN_OK;
    float sums[3] = { 0, 0, 0 };
    int64_t cursor[3] = { 0, 0, 0 };
    if (t->dist.rank == 0) {
        nn_checkpoint ck = { 0 };
        ck.tensors = build_tensor_list(t, &ck.n_tensors, sums, err);
        rc = ck.tensors ? nn_checkpoint_load(path, &ck, err) : NN_E_NOMEM;
        if (!rc && ck.seed != t->cfg.train.seed)
            rc = nn_fail(err, NN_E_CONFIG, "%s: written with seed %llu but the config says %llu",
                         path, (unsigned long long)ck.seed, (unsigned long long)t->cfg.train.seed);
        if (!rc && ck.step >= t->steps_per_epoch)
            rc = nn_fail(err, NN_E_FORMAT,
                         "%s: step %lld is past the end of an epoch (%lld steps "
                         "with this data and batch size)",
                         path, (long long)ck.step, (long long)t->steps_per_epoch);
        const char *note = rc ? NULL : nn_checkpoint_version_note(ck.format_version);
        if (note) {
            fprintf(stderr, "nntrain: note: %s is %s\n", path, note);
            fflush(stderr);
        }
        cursor[0] = ck.epoch;
        cursor[1] = ck.step;
        cursor[2] = ck.global_step;
        free(ck.tensors);
    }
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    /* Rank 0 read the file; everyone else gets the same bytes. */
    nn_dist_bcast(t->net.params, t->net.n_params * sizeof(float), 0);
    if (t->opt.m)
        nn_dist_bcast(t->opt.m, t->net.n_params * sizeof(float), 0);
    if (t->opt.v)
        nn_dist_bcast(t->opt.v, t->net.n_params * sizeof(float), 0);
    nn_dist_bcast(sums, sizeof sums, 0);
    nn_dist_bcast(cursor, sizeof cursor, 0);
    t->epoch = cursor[0];
    t->step = cursor[1];
    t->global_step = cursor[2];
    t->epoch_sums = (nn_loss_sums){ sums[0], sums[1], sums[2] };
    return NN_OK;
}

/* Rank 0: the newest of <out>/checkpoint.h5, checkpoint.1.h5, ... that
 * verifies, into picked ("" when there is none at all). Each one skipped is
 * reported; a damaged one (NN_E_FORMAT) is renamed to "<name>.damaged" once
 * an older one is taken, so that the next save does not keep it as "the
 * previous checkpoint" in place of the good one. */
static int pick_on_rank0(const nn_trainer *t, char *picked, size_t len, nn_error *err)
{
    char name[NN_CKPT_PATH_LEN], aside[NN_CKPT_PATH_LEN + 16];
    int damaged[NN_CKPT_MAX_KEEP] = { 0 }, n_found = 0, rc = NN_OK, took = -1;
    picked[0] = '\0';
    for (int i = 0; i < NN_CKPT_MAX_KEEP && took < 0; i++) {
        if ((rc = nn_checkpoint_backup_name(t->ckpt_path, i, name, sizeof name, err)))
            return rc;
        if (access(name, F_OK) != 0)
            continue;
        n_found++;
        nn_checkpoint_info info;
        nn_error why = { 0 };
        int v = nn_checkpoint_verify(name, &info, &why);
        if (v == NN_E_NOMEM)
            return nn_fail(err, v, "%s", why.msg);
        if (v) {
            fprintf(stderr, "nntrain: --resume auto: skipping %s\n", why.msg);
            damaged[i] = v == NN_E_FORMAT; /* not for a file it could not open */
            continue;
        }
        took = i;
        snprintf(picked, len, "%s", name);
        if (i > 0)
            printf("--resume auto: took %s (epoch %lld, step %lld), the newest checkpoint that "
                   "verifies\n",
                   name, (long long)info.epoch, (long long)info.step);
    }
    for (int k = 0; k < took; k++) {
        if (!damaged[k] || nn_checkpoint_backup_name(t->ckpt_path, k, name, sizeof name, NULL))
            continue;
        snprintf(aside, sizeof aside, "%s.damaged", name);
        if (rename(name, aside) == 0)
            printf("--resume auto: moved %s to %s\n", name, aside);
    }
    fflush(stdout);
    fflush(stderr);
    if (took < 0 && n_found > 0)
        return nn_fail(err, NN_E_FORMAT,
                       "--resume auto: none of the %d checkpoint(s) of %s "
                       "verifies (see above); resume from one by name, or start afresh without "
                       "--resume",
                       n_found, t->run_dir);
    return NN_OK;
}

int nn_trainer_pick_resume(nn_trainer *t, char *picked, size_t len, nn_error *err)
{
    int rc = t->dist.rank == 0 ? pick_on_rank0(t, picked, len, err) : NN_OK;
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    nn_dist_bcast(picked, len, 0);
    return NN_OK;
}
