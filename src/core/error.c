#include "nn/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nn_vfail(nn_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        err->code = code;
    }
    return code;
}

int nn_fail(nn_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nn_vfail(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int nn_fail_wrap(nn_error *err, const char *fmt, ...)
{
    if (!err)
        return NN_E_STATE;
    char prefix[NN_ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[2 * NN_ERR_MSG_LEN + 2];
    snprintf(joined, sizeof joined, "%s: %s", prefix, err->msg);
    memcpy(err->msg, joined, NN_ERR_MSG_LEN - 1); /* long messages are cut */
    err->msg[NN_ERR_MSG_LEN - 1] = '\0';
    if (err->code == NN_OK)
        err->code = NN_E_STATE;
    return err->code;
}

void nn_error_clear(nn_error *err)
{
    if (err) {
        err->code = NN_OK;
        err->msg[0] = '\0';
    }
}

void *nn_malloc(unsigned long long bytes, nn_error *err)
{
    void *p = malloc(bytes ? (size_t)bytes : 1);
    if (!p)
        nn_fail(err, NN_E_NOMEM, "out of memory allocating %llu bytes", bytes);
    return p;
}

void *nn_calloc(unsigned long long count, unsigned long long size, nn_error *err)
{
    void *p = calloc(count ? (size_t)count : 1, size ? (size_t)size : 1);
    if (!p)
        nn_fail(err, NN_E_NOMEM, "out of memory allocating %llu x %llu bytes", count, size);
    return p;
}

float *nn_alloc_floats(unsigned long long count, nn_error *err)
{
    size_t bytes = (size_t)(count ? count : 1) * sizeof(float);
    bytes = (bytes + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (!p) {
        nn_fail(err, NN_E_NOMEM, "out of memory allocating %llu floats", count);
        return NULL;
    }
    memset(p, 0, bytes);
    return p;
}

void nn_free_aligned(void *p) { free(p); }
