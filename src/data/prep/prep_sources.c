/* The sources of a prep config: IDX and .mat files are loaded with the data
 * module's readers; folders are listed (one sub-folder per class, image
 * files inside, read only when their glyph is made). Every sample becomes
 * an item with its output class, merged across sources by class name. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/prep/prep_internal.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_image_name(const char *name)
{
    static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".pgm", ".pnm", ".ppm",
                                       ".bmp", ".tif", ".tiff", ".gif", ".webp" };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
        if (!strcasecmp(dot, ext[i]))
            return 1;
    return 0;
}

/* Sorted names in folder (not starting with '.'), keeping those that are
 * folders (want_dirs) or image files. *names is malloc'ed. */
static int list_folder(const char *folder, int want_dirs, char ***names, int *n, nn_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(folder);
    if (!d)
        return nn_fail(err, NN_E_IO, "%s: cannot open the folder: %s", folder, strerror(errno));
    int cap = 0, rc = NN_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[NN_PATH_LEN * 2];
        if (snprintf(path, sizeof path, "%.*s/%s", NN_PATH_LEN, folder, e->d_name) >=
            (int)sizeof path)
            continue;
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (want_dirs ? !S_ISDIR(st.st_mode) : !(S_ISREG(st.st_mode) && is_image_name(e->d_name)))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **p = realloc(*names, (size_t)cap * sizeof *p);
            if (!p) {
                rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory listing it", folder);
                break;
            }
            *names = p;
        }
        if (!((*names)[*n] = strdup(e->d_name)))
            rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory listing it", folder);
        else
            ++*n;
    }
    closedir(d);
    if (!rc && *n > 1)
        qsort(*names, (size_t)*n, sizeof **names, cmp_str);
    return rc;
}

static void free_names(char **names, int n)
{
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* The writer named by the source's regex in file name, or NULL. */
static char *writer_of(const prep_source *s, const char *file)
{
    regmatch_t m[2];
    if (regexec(&s->writer_re, file, 2, m, 0) != 0 || m[1].rm_so < 0)
        return NULL;
    size_t n = (size_t)(m[1].rm_eo - m[1].rm_so);
    char *w = malloc(n + 1);
    if (w) {
        memcpy(w, file + m[1].rm_so, n);
        w[n] = '\0';
    }
    return w;
}

/* Append a folder's file to the source's lists. */
static int add_file(prep_data *d, int si, int *cap, char *path, char *cls, char *writer)
{
    if (d->n_files[si] == *cap) {
        int c = *cap ? 2 * *cap : 256;
        char **a = realloc(d->files[si], (size_t)c * sizeof *a);
        if (a)
            d->files[si] = a;
        char **b = a ? realloc(d->file_class[si], (size_t)c * sizeof *b) : NULL;
        if (b)
            d->file_class[si] = b;
        char **w = b ? realloc(d->file_writer[si], (size_t)c * sizeof *w) : NULL;
        if (w)
            d->file_writer[si] = w;
        if (!w)
            return -1;
        *cap = c;
    }
    int k = d->n_files[si]++;
    d->files[si][k] = path;
    d->file_class[si][k] = cls;
    d->file_writer[si][k] = writer;
    return 0;
}

static int list_source_folder(const prep_source *s, int si, prep_data *d, nn_error *err)
{
    char **classes = NULL;
    int n_classes = 0, cap = 0;
    int rc = list_folder(s->path, 1, &classes, &n_classes, err);
    if (!rc && n_classes == 0)
        rc = nn_fail(err, NN_E_FORMAT, "[%s] %s: no sub-folders (expected one per class)", s->name,
                     s->path);
    for (int c = 0; !rc && c < n_classes; c++) {
        char sub[NN_PATH_LEN * 2];
        snprintf(sub, sizeof sub, "%.*s/%.*s", NN_PATH_LEN - 1, s->path, NN_PATH_LEN - 2,
                 classes[c]);
        char **files = NULL;
        int n_files = 0;
        rc = list_folder(sub, 0, &files, &n_files, err);
        for (int f = 0; !rc && f < n_files; f++) {
            size_t len = strlen(sub) + strlen(files[f]) + 2;
            char *path = malloc(len), *cls = strdup(classes[c]), *writer = NULL;
            if (path)
                snprintf(path, len, "%s/%s", sub, files[f]);
            if (s->has_writer && !(writer = writer_of(s, files[f])))
                rc = nn_fail(err, NN_E_CONFIG,
                             "[%s] writer = %s does not match %s (every file "
                             "of a source with a writer pattern must say who wrote it)",
                             s->name, s->writer, path ? path : files[f]);
            if (!rc && (!path || !cls || add_file(d, si, &cap, path, cls, writer)))
                rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory", sub);
            if (rc) {
                free(path);
                free(cls);
                free(writer);
            }
        }
        if (!rc && n_files == 0)
            rc = nn_fail(err, NN_E_FORMAT, "[%s] %s: no image files", s->name, sub);
        free_names(files, n_files);
    }
    free_names(classes, n_classes);
    return rc;
}

static int load_source_file(const prep_source *s, nn_dataset *ds, nn_error *err)
{
    int rc = s->type == PREP_IDX ? nn_idx_load(ds, s->images, s->labels, err)
                                 : nn_mat_load(ds, s->path, err);
    if (rc)
        return nn_fail_wrap(err, "[%s]", s->name);
    if (ds->c != 1)
        return nn_fail(err, NN_E_FORMAT, "[%s]: images with %d channels (grey expected)", s->name,
                       ds->c);
    if (s->transpose)
        nn_dataset_transpose(ds);
    if (s->n_classes > 0) {
        const char *names[PREP_MAX_CLASSES];
        for (int i = 0; i < s->n_classes; i++)
            names[i] = s->classes[i];
        if (nn_dataset_set_class_names(ds, names, s->n_classes, err))
            return nn_fail_wrap(err, "[%s] classes", s->name);
    }
    return NN_OK;
}

/* ---- classes ------------------------------------------------------------------ */

/* Order of the default class list: A-Z, then 0-9, then the rest by name. */
static int class_rank(const char *n)
{
    if (n[0] && !n[1] && n[0] >= 'A' && n[0] <= 'Z')
        return 0;
    if (n[0] && !n[1] && n[0] >= '0' && n[0] <= '9')
        return 1;
    return 2;
}

static int cmp_class(const void *a, const void *b)
{
    const char *x = a, *y = b;
    int rx = class_rank(x), ry = class_rank(y);
    return rx != ry ? rx - ry : strcmp(x, y);
}

static int find_class(const prep_data *d, const char *name)
{
    for (int k = 0; k < d->n_classes; k++)
        if (!strcmp(d->class_names[k], name))
            return k;
    return -1;
}

static int add_class(prep_data *d, const char *name, nn_error *err)
{
    if (find_class(d, name) >= 0)
        return NN_OK;
    if (d->n_classes == PREP_MAX_CLASSES)
        return nn_fail(err, NN_E_FORMAT, "more than %d classes in the sources", PREP_MAX_CLASSES);
    if (strlen(name) >= PREP_NAME_LEN)
        return nn_fail(err, NN_E_FORMAT, "class name '%.40s...' is too long", name);
    snprintf(d->class_names[d->n_classes++], PREP_NAME_LEN, "%s", name);
    return NN_OK;
}

/* The class of sample i of source si, by name. */
static const char *sample_class(const prep_data *d, int si, int i)
{
    if (d->files[si])
        return d->file_class[si][i];
    return d->sets[si].class_names[d->sets[si].labels[i]];
}

static int sample_count(const prep_data *d, int si)
{
    return d->files[si] ? d->n_files[si] : (int)d->sets[si].n;
}

static int choose_classes(const prep_config *cfg, prep_data *d, nn_error *err)
{
    if (cfg->n_classes > 0) {
        memcpy(d->class_names, cfg->classes, (size_t)cfg->n_classes * sizeof d->class_names[0]);
        d->n_classes = cfg->n_classes;
        return NN_OK;
    }
    for (int si = 0; si < cfg->n_src; si++)
        for (int i = 0; i < sample_count(d, si); i++) {
            int rc = add_class(d, sample_class(d, si, i), err);
            if (rc)
                return rc;
        }
    qsort(d->class_names, (size_t)d->n_classes, sizeof d->class_names[0], cmp_class);
    return NN_OK;
}

static int add_item(prep_data *d, prep_item it, nn_error *err)
{
    if (d->n_items == d->cap_items) {
        int cap = d->cap_items ? 2 * d->cap_items : 4096;
        prep_item *p = realloc(d->items, (size_t)cap * sizeof *p);
        if (!p)
            return nn_fail(err, NN_E_NOMEM, "out of memory listing samples");
        d->items = p;
        d->cap_items = cap;
    }
    d->items[d->n_items++] = it;
    return NN_OK;
}

int prep_sources_load(const prep_config *cfg, prep_data *d, nn_error *err)
{
    memset(d, 0, sizeof *d);
    int rc = NN_OK;
    for (int si = 0; !rc && si < cfg->n_src; si++) {
        const prep_source *s = &cfg->src[si];
        rc = s->type == PREP_FOLDER ? list_source_folder(s, si, d, err)
                                    : load_source_file(s, &d->sets[si], err);
    }
    if (!rc)
        rc = choose_classes(cfg, d, err);
    for (int si = 0; !rc && si < cfg->n_src; si++)
        for (int i = 0; !rc && i < sample_count(d, si); i++) {
            int k = find_class(d, sample_class(d, si, i));
            if (k < 0)
                d->skipped_class[si]++;
            else
                rc = add_item(d, (prep_item){ .source = si, .index = i, .label = k }, err);
        }
    if (!rc && d->n_items == 0)
        rc = nn_fail(err, NN_E_FORMAT, "%s: the sources hold no sample of the [output] classes",
                     cfg->path);
    return rc;
}

void prep_data_free(prep_data *d)
{
    for (int si = 0; si < PREP_MAX_SOURCES; si++) {
        nn_dataset_free(&d->sets[si]);
        for (int i = 0; i < d->n_files[si]; i++) {
            free(d->files[si][i]);
            free(d->file_class[si][i]);
            free(d->file_writer[si][i]);
        }
        free(d->files[si]);
        free(d->file_class[si]);
        free(d->file_writer[si]);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}

const char *prep_item_writer(const prep_data *d, const prep_item *it)
{
    const char *w = d->file_writer[it->source] ? d->file_writer[it->source][it->index] : NULL;
    return w ? w : "";
}

/* ---- rendering ---------------------------------------------------------------- */

/* Sample i of a loaded data set as an 8 bpp image (floats: 0..1 -> 0..255). */
static PIX *sample_pix(const nn_dataset *ds, int i)
{
    PIX *p = pixCreate(ds->w, ds->h, 8);
    if (!p)
        return NULL;
    l_uint32 *data = pixGetData(p);
    const int wpl = pixGetWpl(p);
    for (int y = 0; y < ds->h; y++)
        for (int x = 0; x < ds->w; x++) {
            size_t j = (size_t)i * ds->dim + (size_t)y * ds->w + x;
            int v;
            if (ds->u8) {
                v = ds->u8[j];
            } else {
                float f = ds->f32[j] * 255.0f + 0.5f;
                v = f < 0 ? 0 : f > 255 ? 255 : (int)f;
            }
            SET_DATA_BYTE(data + (size_t)y * wpl, x, v);
        }
    return p;
}

int prep_ink(const prep_config *cfg, const prep_data *d, const prep_item *it, PIX **ink,
             nn_error *err)
{
    const prep_source *s = &cfg->src[it->source];
    PIX *gray = NULL, *mask = NULL;
    int rc = NN_OK;
    char where[NN_PATH_LEN + 96];
    *ink = NULL;
    if (d->files[it->source]) {
        snprintf(where, sizeof where, "%s", d->files[it->source][it->index]);
        rc = nn_ocr_read_gray(where, &gray, err);
    } else {
        snprintf(where, sizeof where, "[%s] sample %d", s->name, it->index);
        if (!(gray = sample_pix(&d->sets[it->source], it->index)))
            rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory", where);
    }
    if (!rc && nn_glyph_mask_from_gray(gray, (nn_ink)s->ink, &mask, err))
        rc = nn_fail_wrap(err, "%s", where);
    if (!rc && nn_glyph_ink(mask, &cfg->glyph, ink, err))
        rc = nn_fail_wrap(err, "%s", where);
    pixDestroy(&gray);
    pixDestroy(&mask);
    return rc;
}

int prep_draw(const prep_config *cfg, PIX *ink, const prep_item *it, uint8_t *out, nn_error *err)
{
    if (!it->augment)
        return nn_glyph_draw(ink, &cfg->glyph, out, err);
    nn_glyph_params gp = cfg->glyph;
    uint64_t id = (uint64_t)it->source << 40 ^ (uint64_t)(uint32_t)it->index;
    double scale = 1;
    PIX *bent = prep_augment(cfg, ink, id, it->augment, &scale);
    if (!bent)
        return nn_fail(err, NN_E_NOMEM, "out of memory distorting a glyph");
    gp.stroke = gp.stroke * scale < 0.5 ? gp.stroke * scale : 0.5;
    int rc = nn_glyph_from_mask(bent, &gp, out, err);
    pixDestroy(&bent);
    return rc;
}
