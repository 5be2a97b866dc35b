/* `nntrain prep CONFIG.ini`: sources -> splits -> selected samples ->
 * glyphs (in parallel, the OCR's own preprocessing) -> one .h5 data set
 * file, and a summary of what went where. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "data/prep/prep_internal.h"
#include "nn/core.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct split_out {
    nn_dataset set;  /* u8 glyphs, labels, class names */
    int32_t *source; /* [n] */
    int distorted;   /* samples that are distorted */
    int blank;       /* samples dropped: no ink or unreadable */
    int shortfall;   /* classes left under per_class */
    char first_blank[NN_ERR_MSG_LEN];
} split_out;

static void split_free(split_out *o)
{
    nn_dataset_free(&o->set);
    free(o->source);
    o->source = NULL;
}

/* Sort key of a sample: its source and index. */
typedef struct sample_key {
    uint64_t key;
    int item;
} sample_key;

static int by_key(const void *a, const void *b)
{
    const sample_key *x = a, *y = b;
    return x->key != y->key ? (x->key > y->key) - (x->key < y->key) : x->item - y->item;
}

/* uid [n]: the same number for items of the same sample (copies share
 * their original's ink); first [n]: for each number, one of its items.
 * Returns the number of distinct samples, or -1 when out of memory. */
static int number_samples(const prep_item *items, int n, int *uid, int *first)
{
    sample_key *k = malloc((size_t)(n > 0 ? n : 1) * sizeof *k);
    if (!k)
        return -1;
    for (int i = 0; i < n; i++)
        k[i] = (sample_key){ (uint64_t)items[i].source << 32 | (uint32_t)items[i].index, i };
    qsort(k, (size_t)n, sizeof *k, by_key);
    int u = -1;
    for (int i = 0; i < n; i++) {
        if (i == 0 || k[i].key != k[i - 1].key)
            first[++u] = k[i].item;
        uid[k[i].item] = u;
    }
    free(k);
    return u + 1;
}

/* Record the outcome of one step: NN_E_FORMAT drops the sample (counted,
 * first message kept), anything else stops the split. */
static void note(int rc, const nn_error *e, split_out *o, int *fatal, nn_error *first)
{
#pragma omp critical(prep_errors)
    {
        if (rc == NN_E_FORMAT) {
            if (o->blank++ == 0)
                snprintf(o->first_blank, sizeof o->first_blank, "%s", e->msg);
        } else if (rc && !*fatal) {
            *first = *e;
            *fatal = rc;
        }
    }
}

/* inks [n_uid]: the ink of every distinct sample, read once, in parallel
 * (NULL for samples that are not glyphs). */
static int read_inks(const prep_config *cfg, const prep_data *d, const prep_item *items,
                     const int *first_item, int n_uid, PIX **inks, split_out *o, nn_error *err)
{
    int fatal = NN_OK;
    nn_error first = { 0 };
#pragma omp parallel for schedule(dynamic, 8)
    for (int u = 0; u < n_uid; u++) {
        int stop;
#pragma omp atomic read
        stop = fatal;
        if (stop)
            continue;
        nn_error e = { 0 };
        int rc = prep_ink(cfg, d, &items[first_item[u]], &inks[u], &e);
        if (rc)
            note(rc, &e, o, &fatal, &first);
    }
    if (fatal)
        *err = first;
    return fatal;
}

/* Draw the glyphs of items [n] into o; samples that are not glyphs (no ink,
 * an unreadable image) are dropped and counted, other errors stop. */
static int render_split(const prep_config *cfg, const prep_data *d, const prep_item *items, int n,
                        split_out *o, nn_error *err)
{
    const size_t dim = (size_t)cfg->glyph.size * (size_t)cfg->glyph.size, rows = n > 0 ? n : 1;
    o->set = (nn_dataset){
        .c = 1, .h = cfg->glyph.size, .w = cfg->glyph.size, .dim = dim, .num_classes = d->n_classes
    };
    o->set.u8 = nn_malloc(rows * dim, err);
    o->set.labels = o->set.u8 ? nn_malloc(rows * sizeof(int32_t), err) : NULL;
    o->source = o->set.labels ? nn_malloc(rows * sizeof(int32_t), err) : NULL;
    uint8_t *ok = o->source ? nn_calloc(rows, 1, err) : NULL;
    int *uid = ok ? nn_malloc(rows * sizeof *uid, err) : NULL;
    int *first_item = uid ? nn_malloc(rows * sizeof *first_item, err) : NULL;
    int n_uid = first_item ? number_samples(items, n, uid, first_item) : -1;
    PIX **inks = n_uid >= 0 ? nn_calloc((size_t)n_uid + 1, sizeof *inks, err) : NULL;
    int rc = inks ? read_inks(cfg, d, items, first_item, n_uid, inks, o, err) : NN_E_NOMEM;
    int fatal = NN_OK;
    nn_error first = { 0 };
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < (rc ? 0 : n); i++) {
        int stop;
#pragma omp atomic read
        stop = fatal;
        if (stop || !inks[uid[i]])
            continue; /* a sample without ink was counted when read */
        nn_error e = { 0 };
        int r = prep_draw(cfg, inks[uid[i]], &items[i], o->set.u8 + (size_t)i * dim, &e);
        if (r)
            note(r, &e, o, &fatal, &first);
        else
            ok[i] = 1;
    }
    if (!rc && fatal) {
        *err = first;
        rc = fatal;
    }
    size_t m = 0;
    for (int i = 0; !rc && i < n; i++) {
        if (!ok[i])
            continue;
        memmove(o->set.u8 + m * dim, o->set.u8 + (size_t)i * dim, dim);
        o->set.labels[m] = items[i].label;
        o->source[m] = items[i].source;
        o->distorted += items[i].augment != 0;
        m++;
    }
    o->set.n = m;
    for (int u = 0; inks && u < n_uid; u++)
        pixDestroy(&inks[u]);
    free(inks);
    free(uid);
    free(first_item);
    free(ok);
    return rc;
}

static int set_class_names(const prep_data *d, nn_dataset *set, nn_error *err)
{
    const char *names[PREP_MAX_CLASSES];
    for (int k = 0; k < d->n_classes; k++)
        names[k] = d->class_names[k];
    return nn_dataset_set_class_names(set, names, d->n_classes, err);
}

/* ---- the summary ------------------------------------------------------------ */

static void print_sources(const prep_config *cfg, const prep_data *d, FILE *out)
{
    static const char *const types[] = { "idx", "mat", "folder" };
    fprintf(out, "sources (samples available per split before selection):\n");
    for (int si = 0; si < cfg->n_src; si++) {
        const prep_source *s = &cfg->src[si];
        int per[3] = { 0, 0, 0 };
        for (int i = 0; i < d->n_items; i++)
            if (d->items[i].source == si)
                per[d->items[i].split]++;
        const char *how = s->split != PREP_SPLIT_AUTO ? "all to one split"
                          : s->has_writer             ? "by writer"
                                                      : "by sample, at random";
        fprintf(out, "  [%s] %s: train %d, valid %d, test %d (%s)", s->name, types[s->type], per[0],
                per[1], per[2], how);
        if (d->skipped_class[si])
            fprintf(out, "; %d samples of other classes skipped", d->skipped_class[si]);
        fprintf(out, "\n");
    }
    fprintf(out, "classes (%d):", d->n_classes);
    for (int k = 0; k < d->n_classes; k++)
        fprintf(out, " %s", d->class_names[k]);
    fprintf(out, "\n");
}

static void print_split(const char *name, const split_out *o, int n_classes, FILE *out)
{
    int lo = 0, hi = 0;
    int *count = calloc((size_t)n_classes, sizeof *count);
    for (size_t i = 0; count && i < o->set.n; i++)
        count[o->set.labels[i]]++;
    for (int k = 0; count && k < n_classes; k++) {
        lo = k == 0 || count[k] < lo ? count[k] : lo;
        hi = count[k] > hi ? count[k] : hi;
    }
    free(count);
    fprintf(out, "  %-5s %7zu samples (%d distorted), %d to %d per class\n", name, o->set.n,
            o->distorted, lo, hi);
    if (o->shortfall)
        fprintf(out,
                "        %d classes stay under per_class (augment_max copies of each "
                "sample at most)\n",
                o->shortfall);
    if (o->blank)
        fprintf(out, "        %d samples dropped (no ink or unreadable); first: %s\n", o->blank,
                o->first_blank);
}

/* ---- the pipeline -------------------------------------------------------------- */

static int write_file(const prep_config *cfg, split_out *o, nn_error *err)
{
    const char *sources[PREP_MAX_SOURCES];
    for (int si = 0; si < cfg->n_src; si++)
        sources[si] = cfg->src[si].name;
    const nn_h5data_param params[] = { { "size", cfg->glyph.size },
                                       { "supersample", cfg->glyph.supersample },
                                       { "margin", cfg->glyph.margin },
                                       { "stroke", cfg->glyph.stroke },
                                       { "ink_value", 255 },
                                       { "glyph_version", 1 } };
    char desc[sizeof cfg->description + NN_PATH_LEN];
    prep_description(cfg, desc, sizeof desc);
    nn_h5data_contents c = { .source_names = sources,
                             .n_sources = cfg->n_src,
                             .params = params,
                             .n_params = (int)(sizeof params / sizeof params[0]),
                             .description = desc,
                             .config_text = cfg->text };
    for (int s = 0; s < NN_H5DATA_SPLITS; s++) {
        c.split[s] = &o[s].set;
        c.source[s] = o[s].source;
    }
    int rc = nn_make_dirs(cfg->out, 1, err);
    return rc ? rc : nn_h5data_save(cfg->out, &c, err);
}

static int run(const prep_config *cfg, FILE *out, nn_error *err)
{
    const double t0 = now();
    prep_data *d = calloc(1, sizeof *d);
    split_out o[NN_H5DATA_SPLITS];
    memset(o, 0, sizeof o);
    if (!d)
        return nn_fail(err, NN_E_NOMEM, "out of memory");
    int rc = prep_sources_load(cfg, d, err);
    if (!rc) {
        prep_assign_splits(cfg, d);
        print_sources(cfg, d, out);
    }
    for (int s = 0; !rc && s < NN_H5DATA_SPLITS; s++) {
        prep_item *items = NULL;
        int n = 0;
        rc = prep_select(cfg, d, s, &items, &n, &o[s].shortfall, err);
        if (!rc)
            rc = render_split(cfg, d, items, n, &o[s], err);
        if (!rc)
            rc = set_class_names(d, &o[s].set, err);
        free(items);
    }
    if (!rc && o[PREP_TRAIN].set.n == 0)
        rc = nn_fail(err, NN_E_FORMAT,
                     "%s: no training samples (check the fractions and the "
                     "sources' split keys)",
                     cfg->path);
    if (!rc)
        rc = write_file(cfg, o, err);
    if (!rc) {
        fprintf(out, "written (%d threads):\n", omp_get_max_threads());
        for (int s = 0; s < NN_H5DATA_SPLITS; s++)
            print_split(nn_h5data_split_name(s), &o[s], d->n_classes, out);
        struct stat st;
        double mb = stat(cfg->out, &st) == 0 ? (double)st.st_size / 1048576.0 : 0;
        fprintf(out, "wrote %s (%.1f MB) in %.1f s\n", cfg->out, mb, now() - t0);
    }
    for (int s = 0; s < NN_H5DATA_SPLITS; s++)
        split_free(&o[s]);
    prep_data_free(d);
    free(d);
    return rc;
}

int nn_prep_main(const char *config_path, const char *const *overrides, int n_overrides, FILE *out,
                 nn_error *err)
{
    char *text = NULL;
    int rc = nn_read_text_file(config_path, &text, err);
    if (rc)
        return rc;
    prep_config *cfg = calloc(1, sizeof *cfg);
    rc = cfg ? prep_config_parse(cfg, config_path, text, overrides, n_overrides, err)
             : nn_fail(err, NN_E_NOMEM, "out of memory");
    free(text);
    if (!rc)
        rc = cfg->src[0].type == PREP_PHOTOS ? prep_photos_run(cfg, out, err) : run(cfg, out, err);
    if (cfg)
        prep_config_free(cfg);
    free(cfg);
    return rc;
}
