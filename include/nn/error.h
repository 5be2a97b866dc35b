/* Errors: library code never exits. A failing function fills an nn_error
 * with a category and a one-line message (naming the file and what is wrong)
 * and returns the category; only main() decides how to exit.
 *
 * Part of module core (src/core, library nn_core).
 */
#ifndef NN_ERROR_H
#define NN_ERROR_H

#include <stdarg.h>

enum nn_status {
    NN_OK = 0,
    NN_E_IO = 1,       /* a file could not be opened, read or written */
    NN_E_CONFIG = 2,   /* bad config, command line or missing input file: exit status 2 */
    NN_E_FORMAT = 3,   /* a data or checkpoint file is malformed */
    NN_E_NOMEM = 4,    /* an allocation failed */
    NN_E_STATE = 5,    /* an operation does not fit the current state (e.g. shape mismatch) */
    NN_E_DIVERGED = 6, /* training loss became NaN/Inf */
    NN_STOPPED = 7,    /* not an error: a stop was requested (signal), a checkpoint was written */
};

#define NN_ERR_MSG_LEN 1024

typedef struct nn_error {
    int code;                 /* enum nn_status */
    char msg[NN_ERR_MSG_LEN]; /* "path: what is wrong" */
} nn_error;

/* Record an error and return its code, so callers can write
 *     return nn_fail(err, NN_E_FORMAT, "%s: bad magic %x", path, magic);
 * err may be NULL (the message is dropped). */
int nn_fail(nn_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with a va_list, for functions that take a format themselves. */
int nn_vfail(nn_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prefix an existing message with more context ("while loading x: ...") */
int nn_fail_wrap(nn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void nn_error_clear(nn_error *err);

/* Checked allocation helpers: on failure they fill err and return NULL. */
void *nn_malloc(unsigned long long bytes, nn_error *err);
void *nn_calloc(unsigned long long count, unsigned long long size, nn_error *err);
/* 64-byte aligned (for BLIS and vector loads); free with nn_free_aligned. */
float *nn_alloc_floats(unsigned long long count, nn_error *err);
void nn_free_aligned(void *p);

#endif
