/* The dataset type's life cycle: allocation, class names, free. */
#include "data/data_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nn_dataset_free(nn_dataset *d)
{
    if (!d)
        return;
    free(d->u8);
    nn_free_aligned(d->f32);
    free(d->labels);
    free(d->class_names);
    memset(d, 0, sizeof *d);
}

int nn_data_alloc_samples(nn_dataset *d, int as_bytes, nn_error *err)
{
    size_t values, bytes; /* bytes: the float32 size, so gathering can never overflow */
    if (!nn_data_mul(d->n, d->dim, &values) || !nn_data_mul(values, sizeof(float), &bytes))
        return nn_fail(err, NN_E_NOMEM, "%zu samples of %zu values do not fit in memory", d->n,
                       d->dim);
    if (as_bytes)
        d->u8 = nn_malloc(values, err); /* [n, dim] */
    else
        d->f32 = nn_alloc_floats(values, err); /* [n, dim], 64-byte aligned */
    d->labels = (d->u8 || d->f32) ? nn_malloc(d->n * sizeof(int32_t), err) : NULL; /* [n] */
    if (!d->labels) {
        free(d->u8);
        nn_free_aligned(d->f32);
        d->u8 = NULL;
        d->f32 = NULL;
        return err ? err->code : NN_E_NOMEM;
    }
    return NN_OK;
}

int nn_data_number_classes(nn_dataset *d, nn_error *err)
{
    d->class_names = nn_calloc((unsigned long long)d->num_classes, NN_CLASS_NAME_LEN, err);
    if (!d->class_names)
        return err ? err->code : NN_E_NOMEM;
    for (int k = 0; k < d->num_classes; k++)
        snprintf(d->class_names[k], NN_CLASS_NAME_LEN, "%d", k);
    return NN_OK;
}

int nn_dataset_set_class_names(nn_dataset *d, const char *const *names, int count, nn_error *err)
{
    if (count != d->num_classes)
        return nn_fail(err, NN_E_CONFIG, "%d class names given but the data have %d classes", count,
                       d->num_classes);
    for (int k = 0; k < count; k++) {
        size_t len = names[k] ? strlen(names[k]) : 0;
        if (len == 0 || len >= NN_CLASS_NAME_LEN)
            return nn_fail(err, NN_E_CONFIG, "class name %d is %s (a name has 1 to %d characters)",
                           k, len ? "too long" : "empty", NN_CLASS_NAME_LEN - 1);
    }
    /* Build the new table first so d is unchanged when allocation fails. */
    char(*fresh)[NN_CLASS_NAME_LEN] = nn_calloc((unsigned long long)count, NN_CLASS_NAME_LEN, err);
    if (!fresh)
        return err ? err->code : NN_E_NOMEM;
    for (int k = 0; k < count; k++)
        memcpy(fresh[k], names[k], strlen(names[k]) + 1);
    free(d->class_names);
    d->class_names = fresh;
    return NN_OK;
}
