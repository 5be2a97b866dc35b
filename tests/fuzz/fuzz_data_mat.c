/* The MATLAB .mat reader (matio underneath) on arbitrary bytes. */
#include <stdint.h>

#include "fuzz_common.h"
#include "nn/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nn_dataset d;
    nn_error err;
    if (nn_mat_load(&d, fuzz_file("mat", data, size), &err) == NN_OK)
        nn_dataset_free(&d);
    return 0;
}
