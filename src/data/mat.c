/* The NIST36/NIST26 MATLAB files, read with matio: "<split>_data" [N, D] with
 * each row a column-major side x side glyph (D = side^2), and
 * "<split>_labels" [N, K] one-hot. MATLAB stores matrices column-major, so
 * element (i, j) of an N x D variable is data[i + j * N]. */
#include "data/data_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <matio.h>

#define NAME_MAX_LEN 128 /* MATLAB names have at most 63 characters */
#define LIST_LEN     256 /* variable list quoted in messages */

/* matio reports problems only through its log (a cut-short variable is a
 * mere warning, and its data are then partly garbage), so every warning or
 * error logged during a load fails the load, with matio's first message.
 * The log function also keeps matio quiet: library code never prints. */
static _Thread_local char matio_msg[256];
static _Thread_local int matio_complaints;

static void matio_log(int level, char *message)
{
    if (!(level &
          ((MATIO_LOG_LEVEL_ERROR) | (MATIO_LOG_LEVEL_CRITICAL) | (MATIO_LOG_LEVEL_WARNING))))
        return;
    if (matio_complaints++ == 0)
        snprintf(matio_msg, sizeof matio_msg, "%s", message ? message : "(no message)");
}

static void matio_listen(void)
{
    static int installed;
    if (!installed) {
        Mat_LogInitFunc("nntrain", matio_log);
        installed = 1;
    }
    matio_complaints = 0;
    matio_msg[0] = '\0';
}

static int matio_fail(const char *path, const char *doing, nn_error *err)
{
    return nn_fail(err, NN_E_FORMAT, "%s: %s (matio: %s)", path, doing,
                   matio_complaints ? matio_msg : "no details; the file may be corrupt");
}

static int name_ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

/* Append name to the comma-separated list (cut short when long). */
static void list_add(char *list, const char *name)
{
    size_t used = strlen(list);
    if (used + 1 < LIST_LEN)
        snprintf(list + used, LIST_LEN - used, "%s%s", used ? ", " : "", name);
}

/* Find the one "<prefix>_data" and check that "<prefix>_labels" exists. */
static int find_vars(mat_t *mat, const char *path, char *data, char *labels, nn_error *err)
{
    char list[LIST_LEN] = "";
    int n_data = 0, has_labels = 0;
    matvar_t *v;
    data[0] = '\0';
    while ((v = Mat_VarReadNextInfo(mat)) != NULL) {
        const char *name = v->name ? v->name : "";
        list_add(list, name);
        if (name_ends_with(name, "_data") && strlen(name) < NAME_MAX_LEN - 2 && n_data++ == 0)
            snprintf(data, NAME_MAX_LEN, "%s", name);
        Mat_VarFree(v);
    }
    if (matio_complaints)
        return matio_fail(path, "cannot list the variables", err);
    if (n_data != 1)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: %d variables named <split>_data (expected exactly one); "
                       "variables: %s",
                       path, n_data, list[0] ? list : "none");
    snprintf(labels, NAME_MAX_LEN, "%.*s_labels", (int)(strlen(data) - 5), data);
    Mat_Rewind(mat);
    while (!has_labels && (v = Mat_VarReadNextInfo(mat)) != NULL) {
        has_labels = v->name && strcmp(v->name, labels) == 0;
        Mat_VarFree(v);
    }
    if (!has_labels)
        return nn_fail(err, NN_E_FORMAT, "%s: has %s but no %s; variables: %s", path, data, labels,
                       list);
    return NN_OK;
}

static const char *class_name(enum matio_classes c)
{
    static const char *const names[] = { "empty",  "cell",     "struct", "object", "char",
                                         "sparse", "double",   "single", "int8",   "uint8",
                                         "int16",  "uint16",   "int32",  "uint32", "int64",
                                         "uint64", "function", "opaque" };
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "unknown";
}

/* A variable's name for messages (matio may leave it unset). */
static const char *vname(const matvar_t *v) { return v->name ? v->name : "(unnamed)"; }

static int is_real_numeric(const matvar_t *v)
{
    return v->class_type >= MAT_C_DOUBLE && v->class_type <= MAT_C_UINT64 && !v->isComplex;
}

/* v (its header, or the whole variable) must be a real numeric N x M
 * matrix of at most max_values values. */
static int check_matrix(const matvar_t *v, const char *path, uint64_t max_values, nn_error *err)
{
    size_t elems = 0;
    if (v->rank != 2 || !v->dims || !is_real_numeric(v))
        return nn_fail(err, NN_E_FORMAT,
                       "%s: %s must be a real numeric matrix (it is a "
                       "%d-dimensional %s%s array)",
                       path, vname(v), v->rank, v->isComplex ? "complex " : "",
                       class_name(v->class_type));
    if (!nn_data_mul(v->dims[0], v->dims[1], &elems) || elems > max_values)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: corrupt: %s claims %zu x %zu values, more than "
                       "the file can hold",
                       path, vname(v), v->dims[0], v->dims[1]);
    return NN_OK;
}

/* Read a whole variable: its header first, checked before matio sizes
 * memory from it, then the data, checked to be all there. */
static int read_matrix(mat_t *mat, const char *path, const char *name, uint64_t max_values,
                       matvar_t **out, nn_error *err)
{
    char doing[NAME_MAX_LEN + 32];
    snprintf(doing, sizeof doing, "cannot read %s", name);
    Mat_Rewind(mat);
    matvar_t *v = Mat_VarReadInfo(mat, name);
    int rc = (!v || matio_complaints) ? matio_fail(path, doing, err)
                                      : check_matrix(v, path, max_values, err);
    Mat_VarFree(v);
    if (rc)
        return rc;
    Mat_Rewind(mat);
    v = Mat_VarRead(mat, name);
    size_t bytes = 0;
    if (!v || matio_complaints)
        rc = matio_fail(path, doing, err);
    else if (!(rc = check_matrix(v, path, max_values, err)) &&
             (!v->data || (size_t)v->data_size != Mat_SizeOfClass(v->class_type) ||
              !nn_data_mul(v->dims[0] * v->dims[1], Mat_SizeOfClass(v->class_type), &bytes) ||
              v->nbytes < bytes))
        rc = nn_fail(err, NN_E_FORMAT, "%s: %s: %zu x %zu values announced but not delivered", path,
                     name, v->dims[0], v->dims[1]);
    if (rc) {
        Mat_VarFree(v);
        return rc;
    }
    *out = v;
    return NN_OK;
}

/* Element i of a real numeric variable, as a double. */
static double elem(const matvar_t *v, size_t i)
{
    switch (v->class_type) {
    case MAT_C_DOUBLE: return ((const double *)v->data)[i];
    case MAT_C_SINGLE: return ((const float *)v->data)[i];
    case MAT_C_INT8: return ((const int8_t *)v->data)[i];
    case MAT_C_UINT8: return ((const uint8_t *)v->data)[i];
    case MAT_C_INT16: return ((const int16_t *)v->data)[i];
    case MAT_C_UINT16: return ((const uint16_t *)v->data)[i];
    case MAT_C_INT32: return ((const int32_t *)v->data)[i];
    case MAT_C_UINT32: return ((const uint32_t *)v->data)[i];
    case MAT_C_INT64: return (double)((const int64_t *)v->data)[i];
    case MAT_C_UINT64: return (double)((const uint64_t *)v->data)[i];
    default: return 0; /* excluded by is_real_numeric */
    }
}

/* x is N x D with D = side^2: the image shape, or an error. */
static int glyph_shape(const matvar_t *x, const char *path, size_t *side, nn_error *err)
{
    size_t n = x->dims[0], d = x->dims[1];
    size_t s = (size_t)llround(sqrt((double)d));
    if (n == 0 || n > NN_DATA_MAX_SAMPLES)
        return nn_fail(err, NN_E_FORMAT, "%s: %s has %zu rows (expected 1 to 2^31 samples)", path,
                       vname(x), n);
    if (d == 0 || s * s != d || s > NN_DATA_MAX_SIDE)
        return nn_fail(err, NN_E_FORMAT,
                       "%s: %s rows have %zu values, not a square image of "
                       "at most %d x %d (e.g. 1024 = 32 x 32)",
                       path, vname(x), d, NN_DATA_MAX_SIDE, NN_DATA_MAX_SIDE);
    *side = s;
    return NN_OK;
}

/* Every value must be finite and fit a float (NaN would poison training;
 * an out-of-range double -> float conversion is undefined). */
static int check_values(const matvar_t *x, const char *path, nn_error *err)
{
    size_t n = x->dims[0], total = n * x->dims[1];
    for (size_t i = 0; i < total; i++) {
        double v = elem(x, i);
        if (!(fabs(v) <= FLT_MAX))
            return nn_fail(err, NN_E_FORMAT,
                           "%s: %s row %zu (0-based) holds %g, which is not "
                           "a finite float",
                           path, vname(x), i % n, v);
    }
    return NN_OK;
}

/* dst [n, side, side] row-major, from x [n, side*side] whose rows are
 * column-major glyphs: pixel (r, c) of sample i is x(i, c*side + r). The
 * loops read x in storage order (contiguous down each column). */
static void glyphs_to_row_major(float *dst, const matvar_t *x, size_t side)
{
    size_t n = x->dims[0], d = side * side;
    for (size_t c = 0; c < side; c++)
        for (size_t r = 0; r < side; r++) {
            size_t from = (c * side + r) * n, to = r * side + c;
            for (size_t i = 0; i < n; i++)
                dst[i * d + to] = (float)elem(x, from + i);
        }
}

/* labels [n] = argmax of each row of the one-hot y [n, k]. */
static int labels_from_one_hot(int32_t *labels, const matvar_t *y, const char *path, nn_error *err)
{
    size_t n = y->dims[0], k = y->dims[1];
    for (size_t i = 0; i < n; i++) {
        double best = 0;
        labels[i] = -1;
        for (size_t c = 0; c < k; c++) {
            double v = elem(y, i + c * n);
            if (v > best) {
                best = v;
                labels[i] = (int32_t)c;
            }
        }
        if (labels[i] < 0)
            return nn_fail(err, NN_E_FORMAT,
                           "%s: %s row %zu (0-based) has no positive entry "
                           "(expected one-hot labels)",
                           path, vname(y), i);
    }
    return NN_OK;
}

/* A..Z for 26 classes, A..Z then 0..9 for NIST36 (its label order),
 * otherwise the class numbers. */
static int name_classes(nn_dataset *d, nn_error *err)
{
    int rc = nn_data_number_classes(d, err);
    if (rc || (d->num_classes != 26 && d->num_classes != 36))
        return rc;
    for (int k = 0; k < d->num_classes; k++)
        snprintf(d->class_names[k], NN_CLASS_NAME_LEN, "%c", k < 26 ? 'A' + k : '0' + k - 26);
    return NN_OK;
}

/* Check x [N, D] and y [N, K] against each other, then fill out. */
static int convert(nn_dataset *out, const matvar_t *x, const matvar_t *y, const char *path,
                   nn_error *err)
{
    size_t side = 0;
    int rc = glyph_shape(x, path, &side, err);
    if (rc)
        return rc;
    if (y->dims[0] != x->dims[0])
        return nn_fail(err, NN_E_FORMAT, "%s: %s has %zu rows but %s has %zu", path, vname(x),
                       x->dims[0], vname(y), y->dims[0]);
    if (y->dims[1] == 0 || y->dims[1] > NN_DATA_MAX_CLASSES)
        return nn_fail(err, NN_E_FORMAT, "%s: %s has %zu columns (expected 1 to %d classes)", path,
                       vname(y), y->dims[1], NN_DATA_MAX_CLASSES);
    if ((rc = check_values(x, path, err)))
        return rc;
    *out = (nn_dataset){ .n = x->dims[0],
                         .c = 1,
                         .h = (int)side,
                         .w = (int)side,
                         .dim = side * side,
                         .num_classes = (int)y->dims[1] };
    if ((rc = nn_data_alloc_samples(out, 0, err)))
        return rc;
    glyphs_to_row_major(out->f32, x, side);
    rc = labels_from_one_hot(out->labels, y, path, err);
    return rc ? rc : name_classes(out, err);
}

/* Open path for reading after nn_mat5_check has walked its structure (matio
 * is not safe on damaged files); *max_values bounds what a variable may
 * claim. */
static int open_checked(const char *path, uint64_t *max_values, mat_t **mat, nn_error *err)
{
    int rc = nn_mat5_check(path, max_values, err);
    if (rc)
        return rc;
    matio_listen();
    *mat = Mat_Open(path, MAT_ACC_RDONLY);
    return *mat ? NN_OK : matio_fail(path, "not a MATLAB .mat file matio can read", err);
}

int nn_mat_load(nn_dataset *out, const char *path, nn_error *err)
{
    memset(out, 0, sizeof *out);
    if (!path || !*path)
        return nn_fail(err, NN_E_CONFIG, "no .mat file given");
    uint64_t max_values = 0;
    mat_t *mat = NULL;
    int rc = open_checked(path, &max_values, &mat, err);
    if (rc)
        return rc;
    char data[NAME_MAX_LEN], labels[NAME_MAX_LEN];
    matvar_t *x = NULL, *y = NULL;
    rc = find_vars(mat, path, data, labels, err);
    if (!rc)
        rc = read_matrix(mat, path, data, max_values, &x, err);
    if (!rc)
        rc = read_matrix(mat, path, labels, max_values, &y, err);
    if (!rc)
        rc = convert(out, x, y, path, err);
    Mat_VarFree(x);
    Mat_VarFree(y);
    Mat_Close(mat);
    if (rc)
        nn_dataset_free(out);
    return rc;
}

/* The names of every variable of an open file, for "no such variable". */
static void list_vars(mat_t *mat, char *list)
{
    list[0] = '\0';
    Mat_Rewind(mat);
    matvar_t *v;
    while ((v = Mat_VarReadNextInfo(mat)) != NULL) {
        list_add(list, v->name ? v->name : "");
        Mat_VarFree(v);
    }
}

static int has_var(mat_t *mat, const char *name)
{
    int found = 0;
    Mat_Rewind(mat);
    matvar_t *v;
    while (!found && (v = Mat_VarReadNextInfo(mat)) != NULL) {
        found = v->name && strcmp(v->name, name) == 0;
        Mat_VarFree(v);
    }
    return found;
}

int nn_mat_load_vector(const char *path, const char *name, double **values, size_t *n,
                       nn_error *err)
{
    *values = NULL;
    *n = 0;
    uint64_t max_values = 0;
    mat_t *mat = NULL;
    int rc = open_checked(path, &max_values, &mat, err);
    if (rc)
        return rc;
    matvar_t *v = NULL;
    if (!has_var(mat, name)) {
        char list[LIST_LEN];
        list_vars(mat, list);
        rc = matio_complaints ? matio_fail(path, "cannot list the variables", err)
                              : nn_fail(err, NN_E_FORMAT, "%s: no variable %s; variables: %s", path,
                                        name, list[0] ? list : "none");
    }
    if (!rc)
        rc = read_matrix(mat, path, name, max_values, &v, err);
    if (!rc && v->dims[0] != 1 && v->dims[1] != 1)
        rc = nn_fail(err, NN_E_FORMAT, "%s: %s is a %zu x %zu matrix, not a vector", path, name,
                     v->dims[0], v->dims[1]);
    const size_t count = rc ? 0 : v->dims[0] * v->dims[1];
    if (!rc && (*values = nn_malloc((count ? count : 1) * sizeof **values, err)) == NULL)
        rc = NN_E_NOMEM;
    for (size_t i = 0; !rc && i < count; i++)
        (*values)[i] = elem(v, i);
    if (!rc)
        *n = count;
    Mat_VarFree(v);
    Mat_Close(mat);
    return rc;
}
