/* The HDF5 checkpoint reader on arbitrary bytes: the whole-file check
 * (checksums, shapes, root attributes), the config attribute, one tensor of
 * any shape, a full load into a fixed tensor list and a fine-tuning load. The
 * seeds include format 1 files (no checksums, so damage reaches the parsers)
 * and a format 2 file (checksummed tensors and metadata). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "nn/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("h5", data, size);
    nn_error err;
    nn_checkpoint_info info;
    nn_checkpoint_verify(path, &info, &err);
    char *text = NULL;
    if (nn_checkpoint_read_config(path, &text, &err) == NN_OK)
        free(text);
    nn_named_tensor t;
    if (nn_checkpoint_read_tensor(path, "model/fc1/W", &t, &err) == NN_OK)
        free(t.data);
    float w[4 * 2], b[2]; /* the shapes of the seed corpus's sgd.h5 and sgd_v2.h5 */
    nn_named_tensor list[2] = { { "model/fc1/W", 2, { 4, 2 }, w }, { "model/fc1/b", 1, { 2 }, b } };
    nn_checkpoint ck = { .tensors = list, .n_tensors = 2 };
    nn_checkpoint_load(path, &ck, &err);
    int status[2];
    nn_named_tensor found[2];
    nn_checkpoint_load_matching(path, list, 2, status, found, &err);
    return 0;
}
