/* The INI config parser on arbitrary text (data files are not checked, so
 * the whole interpretation runs). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/config.h"

static nn_config cfg; /* large: keep it off the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *overrides[1] = { "train.lr=0.5" };
    nn_error err;
    setenv("NNTRAIN_DATA", "/data", 0);
    if (nn_config_parse_flags(&cfg, "fuzz.ini", text, overrides, size % 2, NN_CONFIG_NO_FILE_CHECK,
                              &err) == NN_OK) {
        char *resolved = NULL;
        /* What we write back must parse to the same config again. */
        if (nn_config_resolved(&cfg, &resolved, &err) == NN_OK) {
            static nn_config again;
            if (nn_config_parse_flags(&again, "resolved.ini", resolved, NULL, 0,
                                      NN_CONFIG_NO_FILE_CHECK, &err) != NN_OK)
                abort();
            nn_config_free(&again);
        }
        free(resolved);
    }
    nn_config_free(&cfg);
    free(text);
    return 0;
}
