/* Element-wise activations and softmax. Backward passes are written in terms
 * of the output y (sigmoid' = y(1-y), tanh' = 1-y^2, relu' = [y>0]), so a
 * layer keeps only its output, never its pre-activation.
 *
 * Each element-wise kernel is a plain loop over restrict pointers, which GCC
 * vectorises (a select, not a branch, for ReLU); large arrays are cut into
 * one chunk per OpenMP thread around it. (Written as `omp parallel for simd`
 * over a switch, the ReLU loops compiled to a branch per element.) */
#include <math.h>
#include <omp.h>

#include "nn/layer.h"

/* OpenMP pays off only on large arrays; the homework's 32x64 activations are
 * far cheaper than a parallel region. */
#define NN_OMP_MIN 65536

const char *nn_activation_name(nn_activation act)
{
    switch (act) {
    case NN_ACT_LINEAR: return "linear";
    case NN_ACT_SIGMOID: return "sigmoid";
    case NN_ACT_TANH: return "tanh";
    case NN_ACT_RELU: return "relu";
    case NN_ACT_SOFTMAX: return "softmax";
    }
    return "?";
}

/* ---- element-wise kernels on [0, n) ------------------------------------------ */

static void sigmoid_fwd(float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        x[i] = 1.0f / (1.0f + expf(-x[i]));
}

static void tanh_fwd(float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        x[i] = tanhf(x[i]);
}

static void relu_fwd(float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = v > 0.0f ? v : 0.0f;
    }
}

static void sigmoid_bwd(const float *restrict y, float *restrict dy, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        dy[i] *= y[i] * (1.0f - y[i]);
}

static void tanh_bwd(const float *restrict y, float *restrict dy, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        dy[i] *= 1.0f - y[i] * y[i];
}

static void relu_bwd(const float *restrict y, float *restrict dy, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        const float d = dy[i];
        dy[i] = y[i] > 0.0f ? d : 0.0f;
    }
}

static void forward_span(nn_activation act, float *x, size_t n)
{
    switch (act) {
    case NN_ACT_SIGMOID: sigmoid_fwd(x, n); break;
    case NN_ACT_TANH: tanh_fwd(x, n); break;
    case NN_ACT_RELU: relu_fwd(x, n); break;
    default: break;
    }
}

static void backward_span(nn_activation act, const float *y, float *dy, size_t n)
{
    switch (act) {
    case NN_ACT_SIGMOID: sigmoid_bwd(y, dy, n); break;
    case NN_ACT_TANH: tanh_bwd(y, dy, n); break;
    case NN_ACT_RELU: relu_bwd(y, dy, n); break;
    default: break;
    }
}

/* [lo, hi) of thread t of T over n elements, in multiples of 16 floats. */
static void chunk(size_t n, int t, int T, size_t *lo, size_t *hi)
{
    const size_t blocks = (n + 15) / 16;
    *lo = blocks * (size_t)t / (size_t)T * 16;
    *hi = blocks * (size_t)(t + 1) / (size_t)T * 16;
    *lo = *lo < n ? *lo : n;
    *hi = *hi < n ? *hi : n;
}

/* ---- softmax ------------------------------------------------------------------ */

/* Row-wise softmax, shifted by the row maximum so exp never overflows:
 * softmax(x) = softmax(x - max x). */
static void softmax_rows(float *x, size_t rows, size_t cols)
{
#pragma omp parallel for if (rows * cols > NN_OMP_MIN) schedule(static)
    for (size_t r = 0; r < rows; ++r) {
        float *row = x + r * cols;
        float mx = row[0];
        for (size_t j = 1; j < cols; ++j)
            mx = row[j] > mx ? row[j] : mx;
        float sum = 0.0f;
        for (size_t j = 0; j < cols; ++j) {
            row[j] = expf(row[j] - mx);
            sum += row[j];
        }
        float inv = 1.0f / sum;
        for (size_t j = 0; j < cols; ++j)
            row[j] *= inv;
    }
}

/* Softmax Jacobian-vector product per row: dx_j = y_j (dy_j - sum_k dy_k y_k). */
static void softmax_backward_rows(const float *y, float *dy, size_t rows, size_t cols)
{
#pragma omp parallel for if (rows * cols > NN_OMP_MIN) schedule(static)
    for (size_t r = 0; r < rows; ++r) {
        const float *yr = y + r * cols;
        float *dr = dy + r * cols;
        float dot = 0.0f;
        for (size_t j = 0; j < cols; ++j)
            dot += dr[j] * yr[j];
        for (size_t j = 0; j < cols; ++j)
            dr[j] = yr[j] * (dr[j] - dot);
    }
}

/* ---- public ------------------------------------------------------------------- */

void nn_activation_forward(nn_activation act, float *x, size_t rows, size_t cols)
{
    const size_t n = rows * cols;
    if (act == NN_ACT_LINEAR)
        return;
    if (act == NN_ACT_SOFTMAX) {
        softmax_rows(x, rows, cols);
        return;
    }
    if (n <= NN_OMP_MIN || omp_in_parallel()) {
        forward_span(act, x, n);
        return;
    }
#pragma omp parallel
    {
        size_t lo, hi;
        chunk(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        forward_span(act, x + lo, hi - lo);
    }
}

void nn_activation_backward(nn_activation act, const float *y, float *dy, size_t rows, size_t cols)
{
    const size_t n = rows * cols;
    if (act == NN_ACT_LINEAR)
        return;
    if (act == NN_ACT_SOFTMAX) {
        softmax_backward_rows(y, dy, rows, cols);
        return;
    }
    if (n <= NN_OMP_MIN || omp_in_parallel()) {
        backward_span(act, y, dy, n);
        return;
    }
#pragma omp parallel
    {
        size_t lo, hi;
        chunk(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        backward_span(act, y + lo, dy + lo, hi - lo);
    }
}
