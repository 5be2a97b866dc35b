/* Fine-tuning: start from another run's weights ([train] init_from), copied
 * by layer and parameter name where the shapes match, and keep chosen layers
 * fixed ([train] freeze). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/checkpoint.h"
#include "nn/trainer.h"

void nn_trainer_freeze(nn_trainer *t)
{
    for (int i = 0; i < t->cfg.train.n_freeze; ++i) {
        nn_layer *l = &t->net.layers[t->cfg.train.freeze_index[i]];
        l->frozen = 1;
        for (int k = 0; k < l->n_params; ++k)
            l->params[k].update = 0; /* the optimizer skips it: no step, no decay */
    }
}

/* "32x1x3x3" */
static const char *dims_text(const nn_named_tensor *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int d = 0; d < t->rank && used < n; ++d) {
        int w =
            snprintf(buf + used, n - used, "%s%llu", d ? "x" : "", (unsigned long long)t->dims[d]);
        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

/* A layer is copied only when the checkpoint holds every one of its tensors
 * with its shape; a partly matching layer (a new head with the old bias
 * size, say) goes back to its fresh initial values. Then one line per layer:
 * copied, skipped (and why) or new. tensors, found, status: the layer's
 * tensors in nn_network_param_tensors order; fresh: the initial parameters;
 * lines: [n_layers] scratch for the report. */
static void settle_layers(nn_trainer *t, const nn_named_tensor *want, const nn_named_tensor *found,
                          const int *status, const float *fresh, char (*lines)[256])
{
    int copied = 0, first = 0;
    size_t values = 0;
    for (int i = 0; i < t->net.n_layers; ++i) {
        nn_layer *l = &t->net.layers[i];
        char *line = lines[i];
        line[0] = '\0';
        if (l->n_params == 0)
            continue;
        int all = 1, missing = 1;
        for (int k = 0; k < l->n_params; ++k) {
            all = all && status[first + k] == NN_CKPT_COPIED;
            missing = missing && status[first + k] == NN_CKPT_MISSING;
        }
        char a[64], b[64];
        if (all) {
            copied++;
            size_t used = (size_t)snprintf(line, 256, "  copied   %-16s", l->cfg->name);
            for (int k = 0; k < l->n_params && used < 256; ++k) {
                values += l->params[k].size;
                int w = snprintf(line + used, 256 - used, " %s %s", l->params[k].name,
                                 dims_text(&want[first + k], a, sizeof a));
                used += w > 0 ? (size_t)w : 0;
            }
        } else {
            for (int k = 0; k < l->n_params; ++k)
                memcpy(l->params[k].value, fresh + l->params[k].offset,
                       l->params[k].size * sizeof(float));
            int k = 0;
            while (k < l->n_params && status[first + k] != NN_CKPT_SHAPE)
                k++;
            if (missing)
                snprintf(line, 256, "  new      %-16s not in the checkpoint", l->cfg->name);
            else if (k < l->n_params)
                snprintf(line, 256, "  skipped  %-16s %s is %s here, %s in the checkpoint",
                         l->cfg->name, l->params[k].name, dims_text(&want[first + k], a, sizeof a),
                         dims_text(&found[first + k], b, sizeof b));
            else
                snprintf(line, 256, "  skipped  %-16s the checkpoint lacks some of its tensors",
                         l->cfg->name);
        }
        first += l->n_params;
    }
    printf("init_from %s: %d layer(s) copied (%zu values); the others start afresh\n",
           t->cfg.train.init_from, copied, values);
    for (int i = 0; i < t->net.n_layers; ++i)
        if (lines[i][0])
            printf("%s\n", lines[i]);
}

int nn_trainer_init_from(nn_trainer *t, nn_error *err)
{
    const char *path = t->cfg.train.init_from;
    if (!path[0])
        return NN_OK;
    int rc = NN_OK;
    if (t->dist.rank == 0) {
        const int n = nn_network_param_count(&t->net);
        nn_named_tensor *want = nn_calloc((size_t)n + 1, sizeof *want, err);
        nn_named_tensor *found = want ? nn_calloc((size_t)n + 1, sizeof *found, err) : NULL;
        int *status = found ? nn_calloc((size_t)n + 1, sizeof *status, err) : NULL;
        float *fresh = status ? nn_alloc_floats(t->net.n_params, err) : NULL;
        char(*lines)[256] = fresh ? nn_calloc((size_t)t->net.n_layers, sizeof *lines, err) : NULL;
        rc = lines ? NN_OK : NN_E_NOMEM;
        if (!rc) {
            memcpy(fresh, t->net.params, t->net.n_params * sizeof(float));
            nn_network_param_tensors(&t->net, "model", t->net.params, want);
            nn_checkpoint_info info;
            rc = nn_checkpoint_verify(path, &info, err);
            const char *note = rc ? NULL : nn_checkpoint_version_note(info.format_version);
            if (note)
                fprintf(stderr, "nntrain: note: %s is %s\n", path, note);
            if (!rc)
                rc = nn_checkpoint_load_matching(path, want, n, status, found, err);
        }
        if (rc)
            nn_fail_wrap(err, "[train] init_from");
        else
            settle_layers(t, want, found, status, fresh, lines);
        fflush(stdout);
        free(want);
        free(found);
        free(status);
        nn_free_aligned(fresh);
        free(lines);
    }
    if ((rc = nn_dist_vote(rc, err)))
        return rc;
    /* Rank 0 read the file; everyone starts from the same weights. */
    nn_dist_bcast(t->net.params, t->net.n_params * sizeof(float), 0);
    return NN_OK;
}
