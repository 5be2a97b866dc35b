/* `nntrain prep` for a photos source: a folder of numbered colour images
 * (Flowers17's jpg/image_0001.jpg ...), sorted by class, with the splits
 * listed in a .mat file (datasplits.mat: trnK, valK, tstK). Each image is
 * decoded, scaled so its shorter side is [output] resize, and its centre
 * size x size square stored as planar RGB bytes; decoding dominates, so
 * images are done in parallel. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "data/prep/prep_internal.h"
#include "nn/core.h"

#define MAX_FILE_BYTES (256ull << 20)
#define MAX_PIXELS     (1ull << 28)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- one image ------------------------------------------------------------------ */

/* A JPEG ends with an end-of-image marker (FF D9), give or take a few
 * bytes some writers append. */
static int jpeg_complete(const uint8_t *b, size_t n)
{
    size_t from = n > 4096 ? n - 4096 : 1;
    for (size_t i = n - 1; i > from; i--)
        if (b[i - 1] == 0xFF && b[i] == 0xD9)
            return 1;
    return 0;
}

/* The largest JPEG reduction (libjpeg's scaled inverse DCT: 1, 2, 4 or 8)
 * that keeps the shorter side at least `side`: decoding a 500-pixel photo
 * for a 144-pixel square at half size does a quarter of the work, and the
 * DCT-domain reduction is itself a proper low-pass filter. */
static int jpeg_reduction(int w, int h, int side)
{
    const int shorter = w < h ? w : h;
    int r = 8;
    while (r > 1 && shorter / r < side)
        r /= 2;
    return r;
}

/* Decode bytes (a JPEG or PNG of 3 channels) into a 32 bpp RGB image, or
 * say what is wrong with the file. */
static int decode(const char *path, const uint8_t *b, size_t n, int side, PIX **pix, nn_error *err)
{
    l_int32 format = IFF_UNKNOWN, w = 0, h = 0, spp = 0, bps = 0, ycck = 0, cmyk = 0;
    *pix = NULL;
    if (n >= 12)
        findFileFormatBuffer(b, &format);
    if (format != IFF_JFIF_JPEG && format != IFF_PNG)
        return nn_fail(err, NN_E_FORMAT, "%s: not a JPEG or PNG file", path);
    if (format == IFF_JFIF_JPEG && !jpeg_complete(b, n))
        return nn_fail(err, NN_E_FORMAT, "%s: truncated JPEG (no end-of-image marker)", path);
    int bad = format == IFF_JFIF_JPEG ? readHeaderMemJpeg(b, n, &w, &h, &spp, &ycck, &cmyk) != 0
                                      : pixReadHeaderMem(b, n, NULL, &w, &h, &bps, &spp, NULL) != 0;
    if (bad)
        return nn_fail(err, NN_E_FORMAT, "%s: damaged image header (Leptonica: %s)", path,
                       nn_lept_last_message());
    if (cmyk || spp == 4)
        return nn_fail(err, NN_E_FORMAT, "%s: %s image, expected 3-channel RGB", path,
                       cmyk ? "CMYK" : "4-channel (RGBA)");
    if (spp != 3)
        return nn_fail(err, NN_E_FORMAT, "%s: %d-channel (%s) image, expected 3-channel RGB", path,
                       spp, spp == 1 ? "greyscale" : "grey and alpha");
    if (w < 1 || h < 1 || (unsigned long long)w * (unsigned long long)h > MAX_PIXELS)
        return nn_fail(err, NN_E_FORMAT, "%s: image of %d x %d pixels", path, w, h);
    l_int32 warnings = 0;
    *pix = format == IFF_JFIF_JPEG
               ? pixReadMemJpeg(b, n, 0, jpeg_reduction(w, h, side), &warnings, 0)
               : pixReadMem(b, n);
    if (*pix && (warnings > 0 || pixGetDepth(*pix) != 32)) {
        pixDestroy(pix);
        return nn_fail(err, NN_E_FORMAT, "%s: %s", path,
                       warnings > 0 ? "corrupt JPEG data (the decoder reported damage)"
                                    : "did not decode to RGB");
    }
    if (!*pix)
        return nn_fail(err, NN_E_FORMAT, "%s: corrupt image data, cannot decode it (Leptonica: %s)",
                       path, nn_lept_last_message());
    return NN_OK;
}

/* Scale pix so its shorter side is `side`: area mapping when shrinking
 * (every source pixel counts, no aliasing), linear interpolation when
 * enlarging or nearly the same size. */
static PIX *scale_shorter(PIX *pix, int side)
{
    const int w = pixGetWidth(pix), h = pixGetHeight(pix);
    const float f = (float)side / (float)(w < h ? w : h);
    return f < 0.7f ? pixScaleAreaMap(pix, f, f) : pixScaleLI(pix, f, f);
}

int prep_photo_read(const char *path, int resize, int size, uint8_t *out, nn_error *err)
{
    nn_lept_quiet();
    uint8_t *bytes = NULL;
    size_t n = 0;
    PIX *pix = NULL, *upright = NULL, *scaled = NULL;
    int rc = nn_read_file(path, MAX_FILE_BYTES, "a photo", &bytes, &n, err);
    if (!rc)
        rc = decode(path, bytes, n, resize, &pix, err);
    if (!rc && !(upright = nn_exif_apply(pix, nn_exif_orientation(bytes, n))))
        rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory turning the image upright", path);
    free(bytes);
    if (!rc && !(scaled = scale_shorter(upright, resize)))
        rc = nn_fail(err, NN_E_NOMEM, "%s: cannot scale the image (Leptonica: %s)", path,
                     nn_lept_last_message());
    const int w = scaled ? pixGetWidth(scaled) : 0, h = scaled ? pixGetHeight(scaled) : 0;
    if (!rc && (w < size || h < size))
        rc = nn_fail(err, NN_E_FORMAT, "%s: scaled to %d x %d, smaller than the %d x %d square",
                     path, w, h, size, size);
    if (!rc) {
        const int x0 = (w - size) / 2, y0 = (h - size) / 2, wpl = pixGetWpl(scaled);
        const size_t plane = (size_t)size * (size_t)size;
        const l_uint32 *data = pixGetData(scaled);
        for (int y = 0; y < size; y++) {
            const l_uint32 *line = data + (size_t)(y0 + y) * (size_t)wpl;
            for (int x = 0; x < size; x++) {
                l_int32 r, g, b;
                extractRGBValues(line[x0 + x], &r, &g, &b);
                const size_t at = (size_t)y * size + (size_t)x;
                out[at] = (uint8_t)r;
                out[plane + at] = (uint8_t)g;
                out[2 * plane + at] = (uint8_t)b;
            }
        }
    }
    pixDestroy(&scaled);
    pixDestroy(&upright);
    pixDestroy(&pix);
    return rc;
}

/* ---- the splits ------------------------------------------------------------------ */

typedef struct photo_split {
    char var[16]; /* "trn1" */
    int *numbers; /* [n] 1-based image numbers, in the file's order */
    size_t n;
    nn_dataset set; /* u8 [n, 3, size, size] */
} photo_split;

static int load_split(const prep_source *s, int i, photo_split *p, nn_error *err)
{
    static const char *const prefix[NN_H5DATA_SPLITS] = { "trn", "val", "tst" };
    snprintf(p->var, sizeof p->var, "%s%d", prefix[i], s->split_index);
    double *v = NULL;
    int rc = nn_mat_load_vector(s->splits, p->var, &v, &p->n, err);
    if (rc) {
        free(v);
        return nn_fail_wrap(err, "[%s] split_index = %d", s->name, s->split_index);
    }
    p->numbers = nn_malloc((p->n ? p->n : 1) * sizeof *p->numbers, err);
    rc = p->numbers ? NN_OK : NN_E_NOMEM;
    for (size_t k = 0; !rc && k < p->n; k++) {
        if (!(v[k] >= 1 && v[k] <= 1e9 && v[k] == floor(v[k])))
            rc =
                nn_fail(err, NN_E_FORMAT, "%s: %s entry %zu is %g, not an image number (1, 2, ...)",
                        s->splits, p->var, k + 1, v[k]);
        else
            p->numbers[k] = (int)v[k];
    }
    free(v);
    return rc;
}

/* Classes: the names given, or as many as the largest image number needs.
 * Every number must name an image of one of them, and no image may be in
 * two splits (or twice in one). */
static int check_numbers(const prep_source *s, photo_split *p, int *n_classes, nn_error *err)
{
    int max = 0;
    for (int i = 0; i < NN_H5DATA_SPLITS; i++)
        for (size_t k = 0; k < p[i].n; k++)
            max = p[i].numbers[k] > max ? p[i].numbers[k] : max;
    *n_classes = s->n_classes > 0 ? s->n_classes : (max - 1) / s->class_size + 1;
    const long long limit = (long long)*n_classes * s->class_size;
    if (max > limit)
        for (int i = 0; i < NN_H5DATA_SPLITS; i++)
            for (size_t k = 0; k < p[i].n; k++)
                if (p[i].numbers[k] > limit)
                    return nn_fail(err, NN_E_FORMAT,
                                   "%s: %s entry %zu is image %d, out of range: [%s] has %d "
                                   "classes of %d images (1..%lld)",
                                   s->splits, p[i].var, k + 1, p[i].numbers[k], s->name, *n_classes,
                                   s->class_size, limit);
    signed char *seen = nn_calloc((size_t)max + 1, 1, err);
    if (!seen)
        return NN_E_NOMEM;
    memset(seen, -1, (size_t)max + 1);
    int rc = NN_OK;
    for (int i = 0; !rc && i < NN_H5DATA_SPLITS; i++)
        for (size_t k = 0; !rc && k < p[i].n; k++) {
            const int m = p[i].numbers[k];
            if (seen[m] >= 0)
                rc = nn_fail(err, NN_E_FORMAT, "%s: image %d is in %s%s%s", s->splits, m,
                             p[seen[m]].var, seen[m] == i ? " twice" : " and in ",
                             seen[m] == i ? "" : p[i].var);
            seen[m] = (signed char)i;
        }
    free(seen);
    if (!rc && p[PREP_TRAIN].n == 0)
        rc = nn_fail(err, NN_E_FORMAT, "%s: %s is empty (no training images)", s->splits,
                     p[PREP_TRAIN].var);
    return rc;
}

static void image_path(const prep_source *s, int number, char *buf, size_t n)
{
    char name[256];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(name, sizeof name, s->pattern, number); /* checked: one %d (pattern_ok) */
#pragma GCC diagnostic pop
    snprintf(buf, n, "%s/%s", s->path, name);
}

/* Decode the split's images in parallel; the first error stops it. */
static int read_split(const prep_config *cfg, const prep_source *s, int n_classes, photo_split *p,
                      nn_error *err)
{
    const int S = cfg->glyph.size;
    const size_t dim = 3 * (size_t)S * S, rows = p->n ? p->n : 1;
    p->set =
        (nn_dataset){ .n = p->n, .c = 3, .h = S, .w = S, .dim = dim, .num_classes = n_classes };
    p->set.u8 = nn_malloc(rows * dim, err);
    p->set.labels = p->set.u8 ? nn_malloc(rows * sizeof(int32_t), err) : NULL;
    if (!p->set.labels)
        return NN_E_NOMEM;
    int fatal = NN_OK;
    nn_error first = { 0 };
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t k = 0; k < p->n; k++) {
        int stop;
#pragma omp atomic read
        stop = fatal;
        if (stop)
            continue;
        char path[2 * NN_PATH_LEN];
        image_path(s, p->numbers[k], path, sizeof path);
        nn_error e = { 0 };
        int rc = prep_photo_read(path, cfg->resize, S, p->set.u8 + k * dim, &e);
        p->set.labels[k] = (p->numbers[k] - 1) / s->class_size;
        if (rc) {
#pragma omp critical(prep_photo_errors)
            if (!fatal) {
                first = e;
                fatal = rc;
            }
        }
    }
    if (fatal)
        *err = first;
    return fatal;
}

/* The names given, else the label numbers. */
static int name_classes(const prep_source *s, nn_dataset *d, nn_error *err)
{
    const int K = d->num_classes;
    char(*numbers)[PREP_NAME_LEN] = nn_calloc((size_t)K, PREP_NAME_LEN, err);
    const char **names = numbers ? nn_calloc((size_t)K, sizeof *names, err) : NULL;
    int rc = names ? NN_OK : NN_E_NOMEM;
    for (int k = 0; !rc && k < K; k++) {
        snprintf(numbers[k], PREP_NAME_LEN, "%d", k);
        names[k] = s->n_classes > 0 ? s->classes[k] : numbers[k];
    }
    if (!rc)
        rc = nn_dataset_set_class_names(d, names, K, err);
    free(names);
    free(numbers);
    return rc;
}

/* ---- the file and the summary ------------------------------------------------------ */

static int write_file(const prep_config *cfg, const prep_source *s, photo_split *p, nn_error *err)
{
    const char *sources[1] = { s->name };
    const nn_h5data_param params[] = { { "size", cfg->glyph.size },
                                       { "resize", cfg->resize },
                                       { "split_index", s->split_index },
                                       { "class_size", s->class_size },
                                       { "photo_version", 1 } };
    char desc[sizeof cfg->description + NN_PATH_LEN];
    prep_description(cfg, desc, sizeof desc);
    nn_h5data_contents c = { .source_names = sources,
                             .n_sources = 1,
                             .params = params,
                             .n_params = (int)(sizeof params / sizeof params[0]),
                             .description = desc,
                             .config_text = cfg->text };
    for (int i = 0; i < NN_H5DATA_SPLITS; i++)
        c.split[i] = &p[i].set;
    int rc = nn_make_dirs(cfg->out, 1, err);
    return rc ? rc : nn_h5data_save(cfg->out, &c, err);
}

static void print_summary(const prep_config *cfg, const prep_source *s, const photo_split *p,
                          double seconds, double decoding, FILE *out)
{
    fprintf(out, "[%s] photos: %s, splits %s (%s, %s, %s)\n", s->name, s->path, s->splits, p[0].var,
            p[1].var, p[2].var);
    fprintf(out, "classes (%d):", p[0].set.num_classes);
    for (int k = 0; k < p[0].set.num_classes; k++)
        fprintf(out, " %s", p[0].set.class_names[k]);
    fprintf(out, "\nwritten (%d threads): RGB %d x %d, shorter side scaled to %d, centre crop\n",
            omp_get_max_threads(), cfg->glyph.size, cfg->glyph.size, cfg->resize);
    for (int i = 0; i < NN_H5DATA_SPLITS; i++)
        fprintf(out, "  %-5s %7zu images\n", nn_h5data_split_name(i), p[i].set.n);
    double mean[3], std[3];
    nn_dataset_channel_stats(&p[0].set, mean, std);
    fprintf(out,
            "training split per channel (R, G, B, in [0, 1]): mean %.4f %.4f %.4f, std "
            "%.4f %.4f %.4f\n",
            mean[0], mean[1], mean[2], std[0], std[1], std[2]);
    struct stat st;
    double mb = stat(cfg->out, &st) == 0 ? (double)st.st_size / 1048576.0 : 0;
    fprintf(out, "wrote %s (%.1f MB) in %.1f s (decoding and scaling %.1f s)\n", cfg->out, mb,
            seconds, decoding);
}

int prep_photos_run(const prep_config *cfg, FILE *out, nn_error *err)
{
    const double t0 = now();
    const prep_source *s = &cfg->src[0];
    photo_split p[NN_H5DATA_SPLITS];
    memset(p, 0, sizeof p);
    int n_classes = 0, rc = NN_OK;
    for (int i = 0; !rc && i < NN_H5DATA_SPLITS; i++)
        rc = load_split(s, i, &p[i], err);
    if (!rc)
        rc = check_numbers(s, p, &n_classes, err);
    const double t1 = now();
    for (int i = 0; !rc && i < NN_H5DATA_SPLITS; i++) {
        rc = read_split(cfg, s, n_classes, &p[i], err);
        if (!rc)
            rc = name_classes(s, &p[i].set, err);
    }
    const double decoding = now() - t1;
    if (!rc)
        rc = write_file(cfg, s, p, err);
    if (!rc)
        print_summary(cfg, s, p, now() - t0, decoding, out);
    for (int i = 0; i < NN_H5DATA_SPLITS; i++) {
        free(p[i].numbers);
        nn_dataset_free(&p[i].set);
    }
    return rc;
}
