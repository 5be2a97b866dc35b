/* Reading characters with a trained network: the network is rebuilt from
 * the config stored in its checkpoint, the glyph settings and class names
 * come from the data set file it was trained on (so a page's crops are
 * prepared exactly like its training glyphs), and all characters of a page
 * go through the network in one batch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/checkpoint.h"
#include "nn/config.h"
#include "nn/dataset.h"
#include "nn/network.h"
#include "ocr/ocr_internal.h"

#define BATCH 256

struct nn_ocr_model {
    nn_config cfg;
    nn_network net;
    nn_glyph_params glyph;
    nn_dataset header; /* shape and class names of the training data */
    int built;
    int format_version; /* of the checkpoint */
};

static int read_glyph_params(const char *data, nn_glyph_params *g, nn_error *err)
{
    static const char *const names[] = { "size", "supersample", "margin", "stroke" };
    double v[4];
    int rc = nn_h5data_read_params(data, names, v, 4, err);
    if (rc)
        return rc;
    g->size = (int)v[0];
    g->supersample = (int)v[1];
    g->margin = v[2];
    g->stroke = v[3];
    if (nn_glyph_params_check(g, err))
        return nn_fail_wrap(err, "%s: /preprocess", data);
    return NN_OK;
}

static int load_weights(nn_ocr_model *m, const char *checkpoint, nn_error *err)
{
    const int n = nn_network_param_count(&m->net);
    nn_named_tensor *list = nn_calloc((size_t)(n > 0 ? n : 1), sizeof *list, err);
    if (!list)
        return NN_E_NOMEM;
    nn_network_param_tensors(&m->net, "model", m->net.params, list);
    nn_checkpoint ck = { .tensors = list, .n_tensors = n };
    int rc = nn_checkpoint_load(checkpoint, &ck, err);
    free(list);
    return rc;
}

/* The data set the network was trained on, and that it is a prep file. */
static int choose_data(const nn_ocr_model *m, const char *checkpoint, const char *override,
                       const char **data, nn_error *err)
{
    *data = override ? override : m->cfg.data.train;
    if (!override && m->cfg.data.format != NN_FORMAT_H5)
        return nn_fail(err, NN_E_CONFIG,
                       "%s: trained on %s, not on an .h5 data set made by "
                       "`nntrain prep`; the OCR needs that file's glyph settings (name one with "
                       "--data FILE.h5)",
                       checkpoint, m->cfg.data.train);
    return NN_OK;
}

int nn_ocr_model_load(nn_ocr_model **out, const char *checkpoint, const char *override,
                      nn_error *err)
{
    *out = NULL;
    nn_ocr_model *m = calloc(1, sizeof *m);
    if (!m)
        return nn_fail(err, NN_E_NOMEM, "out of memory");
    char *text = NULL;
    const char *data = NULL;
    /* A damaged checkpoint is refused before anything is built from it. */
    nn_checkpoint_info info = { 0 };
    int rc = nn_checkpoint_verify(checkpoint, &info, err);
    m->format_version = info.format_version;
    if (!rc)
        rc = nn_checkpoint_read_config(checkpoint, &text, err);
    if (!rc)
        rc =
            nn_config_parse_flags(&m->cfg, checkpoint, text, NULL, 0, NN_CONFIG_NO_FILE_CHECK, err);
    free(text);
    if (!rc && (m->cfg.data.crop || m->cfg.data.normalize != NN_NORMALIZE_NONE))
        rc = nn_fail(err, NN_E_CONFIG,
                     "%s: trained with [data] crop or normalize; the OCR gives the network "
                     "whole glyphs as stored (bytes / 255)",
                     checkpoint);
    if (!rc)
        rc = choose_data(m, checkpoint, override, &data, err);
    if (!rc && (rc = nn_h5data_load_header(&m->header, data, "train", err)))
        nn_fail_wrap(err, "the data set of %s (--data names another)", checkpoint);
    if (!rc)
        rc = read_glyph_params(data, &m->glyph, err);
    if (!rc && (m->header.c != 1 || m->header.h != m->glyph.size || m->header.w != m->glyph.size))
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: glyphs of %dx%dx%d do not match its /preprocess "
                     "size %d",
                     data, m->header.c, m->header.h, m->header.w, m->glyph.size);
    if (!rc && m->cfg.data.n_class_names == m->header.num_classes) {
        const char *names[NN_MAX_CLASSES];
        for (int k = 0; k < m->cfg.data.n_class_names; k++)
            names[k] = m->cfg.data.class_names[k];
        rc = nn_dataset_set_class_names(&m->header, names, m->header.num_classes, err);
    }
    if (!rc) {
        nn_shape in = { m->header.c, m->header.h, m->header.w };
        rc = nn_network_build_threads(&m->net, &m->cfg, in, BATCH, 1, err);
        m->built = rc == NN_OK;
    }
    if (!rc && (int)m->net.out_dim != m->header.num_classes)
        rc = nn_fail(err, NN_E_FORMAT, "%s: the network has %zu outputs but %s has %d classes",
                     checkpoint, m->net.out_dim, data, m->header.num_classes);
    if (!rc)
        rc = load_weights(m, checkpoint, err);
    if (rc) {
        nn_ocr_model_free(m);
        return rc;
    }
    *out = m;
    return NN_OK;
}

void nn_ocr_model_free(nn_ocr_model *m)
{
    if (!m)
        return;
    if (m->built)
        nn_network_free(&m->net);
    nn_dataset_free(&m->header);
    nn_config_free(&m->cfg);
    free(m);
}

const nn_glyph_params *nn_ocr_model_glyph(const nn_ocr_model *m) { return &m->glyph; }

int nn_ocr_model_classes(const nn_ocr_model *m) { return m->header.num_classes; }

int nn_ocr_model_format_version(const nn_ocr_model *m) { return m->format_version; }

const char *nn_ocr_model_class_name(const nn_ocr_model *m, int k)
{
    return m->header.class_names[k];
}

/* ---- classification --------------------------------------------------------- */

/* probs [n, K]: class probabilities of every character of the page. */
static int classify(nn_ocr_model *m, const nn_ocr_page *pg, float *probs, nn_error *err)
{
    const size_t dim = (size_t)m->glyph.size * m->glyph.size, K = m->net.out_dim;
    uint8_t *g = nn_malloc(dim, err);
    float *x = g ? nn_alloc_floats((size_t)BATCH * dim, err) : NULL;
    int rc = x ? NN_OK : NN_E_NOMEM;
    const int softmax = nn_network_output_layer(&m->net)->cfg->activation == NN_ACT_SOFTMAX;
    for (int start = 0; !rc && start < pg->n_chars; start += BATCH) {
        int B = pg->n_chars - start < BATCH ? pg->n_chars - start : BATCH;
        for (int i = 0; !rc && i < B; i++) {
            rc = nn_glyph_from_mask(pg->chars[start + i].mask, &m->glyph, g, err);
            for (size_t j = 0; !rc && j < dim; j++)
                x[(size_t)i * dim + j] = g[j] * (1.0f / 255.0f); /* as the trainer gathers bytes */
        }
        if (rc)
            break;
        const float *y = nn_network_forward(&m->net, x, B); /* evaluation mode */
        memcpy(probs + (size_t)start * K, y, (size_t)B * K * sizeof *probs);
        if (!softmax) /* scores of another output layer: normalised by a softmax */
            nn_activation_forward(NN_ACT_SOFTMAX, probs + (size_t)start * K, (size_t)B, K);
    }
    free(g);
    nn_free_aligned(x);
    return rc;
}

/* 'L' letter, 'D' digit, 'O' other: the kinds the word rule tells apart. */
static char class_kind(const char *name)
{
    if (name[0] && !name[1] &&
        ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')))
        return 'L';
    if (name[0] && !name[1] && name[0] >= '0' && name[0] <= '9')
        return 'D';
    return 'O';
}

/* The best class of p [K] among kinds allowed ('L', 'D' or 0 for any);
 * *logp receives its log-probability. */
static int best_of(const nn_ocr_model *m, const float *p, char allowed, double *logp)
{
    int best = -1;
    for (int k = 0; k < m->header.num_classes; k++) {
        char kind = class_kind(m->header.class_names[k]);
        if (allowed && kind != allowed && kind != 'O')
            continue;
        if (best < 0 || p[k] > p[best])
            best = k;
    }
    *logp = best >= 0 ? log(fmax(p[best], 1e-30)) : -INFINITY;
    return best;
}

/* Choose the class of characters [a, b) of one word. */
static void read_word(const nn_ocr_model *m, const float *probs, int a, int b, int word_rule,
                      int *chars)
{
    const size_t K = (size_t)m->header.num_classes;
    char allowed = 0;
    if (word_rule) {
        double letters = 0, digits = 0, lp;
        for (int i = a; i < b; i++) {
            best_of(m, probs + i * K, 'L', &lp);
            letters += lp;
            best_of(m, probs + i * K, 'D', &lp);
            digits += lp;
        }
        allowed = letters >= digits ? 'L' : 'D';
    }
    for (int i = a; i < b; i++) {
        double lp;
        chars[i] = best_of(m, probs + i * K, allowed, &lp);
    }
}

static int has_both_kinds(const nn_ocr_model *m)
{
    int l = 0, d = 0;
    for (int k = 0; k < m->header.num_classes; k++) {
        char kind = class_kind(m->header.class_names[k]);
        l |= kind == 'L';
        d |= kind == 'D';
    }
    return l && d;
}

/* The page as text: '\n' between lines, ' ' between words. */
static char *page_text(const nn_ocr_model *m, const nn_ocr_page *pg, const int *chars)
{
    size_t len = 1;
    for (int i = 0; i < pg->n_chars; i++)
        len += strlen(m->header.class_names[chars[i]]) + 1;
    char *t = malloc(len), *p = t;
    if (!t)
        return NULL;
    for (int i = 0; i < pg->n_chars; i++) {
        if (i > 0 && pg->chars[i].line != pg->chars[i - 1].line)
            *p++ = '\n';
        else if (pg->chars[i].space_before)
            *p++ = ' ';
        size_t n = strlen(m->header.class_names[chars[i]]);
        memcpy(p, m->header.class_names[chars[i]], n);
        p += n;
    }
    *p = '\0';
    return t;
}

int nn_ocr_recognize(nn_ocr_model *m, const nn_ocr_page *pg, int word_rule, char **text,
                     int *chars_out, nn_error *err)
{
    *text = NULL;
    const size_t K = m->net.out_dim, n = (size_t)(pg->n_chars > 0 ? pg->n_chars : 1);
    float *probs = nn_malloc(n * K * sizeof *probs, err);
    int *chars = probs ? nn_malloc(n * sizeof *chars, err) : NULL;
    int rc = chars ? classify(m, pg, probs, err) : NN_E_NOMEM;
    word_rule = word_rule && has_both_kinds(m);
    for (int a = 0, b; !rc && a < pg->n_chars; a = b) {
        for (b = a + 1; b < pg->n_chars && pg->chars[b].line == pg->chars[a].line &&
                        !pg->chars[b].space_before;
             b++)
            ;
        read_word(m, probs, a, b, word_rule, chars);
    }
    if (!rc && !(*text = page_text(m, pg, chars)))
        rc = nn_fail(err, NN_E_NOMEM, "out of memory");
    if (!rc && chars_out)
        memcpy(chars_out, chars, (size_t)pg->n_chars * sizeof *chars);
    free(probs);
    free(chars);
    return rc;
}
