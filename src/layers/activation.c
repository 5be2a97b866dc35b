/* Element-wise activations and softmax. Backward passes are written in terms
 * of the output y (sigmoid' = y(1-y), tanh' = 1-y^2, relu' = [y>0]), so a
 * layer keeps only its output, never its pre-activation. */
#include <math.h>

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

void nn_activation_forward(nn_activation act, float *x, size_t rows, size_t cols)
{
    size_t n = rows * cols;
    switch (act) {
    case NN_ACT_LINEAR:
        break;
    case NN_ACT_SIGMOID:
#pragma omp parallel for simd if (n > NN_OMP_MIN) schedule(static)
        for (size_t i = 0; i < n; ++i)
            x[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case NN_ACT_TANH:
#pragma omp parallel for simd if (n > NN_OMP_MIN) schedule(static)
        for (size_t i = 0; i < n; ++i)
            x[i] = tanhf(x[i]);
        break;
    case NN_ACT_RELU:
#pragma omp parallel for simd if (n > NN_OMP_MIN) schedule(static)
        for (size_t i = 0; i < n; ++i)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case NN_ACT_SOFTMAX:
        softmax_rows(x, rows, cols);
        break;
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

void nn_activation_backward(nn_activation act, const float *y, float *dy, size_t rows,
                            size_t cols)
{
    size_t n = rows * cols;
    switch (act) {
    case NN_ACT_LINEAR:
        break;
    case NN_ACT_SIGMOID:
#pragma omp parallel for simd if (n > NN_OMP_MIN) schedule(static)
        for (size_t i = 0; i < n; ++i)
            dy[i] *= y[i] * (1.0f - y[i]);
        break;
    case NN_ACT_TANH:
#pragma omp parallel for simd if (n > NN_OMP_MIN) schedule(static)
        for (size_t i = 0; i < n; ++i)
            dy[i] *= 1.0f - y[i] * y[i];
        break;
    case NN_ACT_RELU:
#pragma omp parallel for simd if (n > NN_OMP_MIN) schedule(static)
        for (size_t i = 0; i < n; ++i)
            dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case NN_ACT_SOFTMAX:
        softmax_backward_rows(y, dy, rows, cols);
        break;
    }
}
