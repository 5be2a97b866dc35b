/* The INI config parser on arbitrary text (data files are not checked, so
 * the whole interpretation runs). For every text that parses, the resolved
 * config (what checkpoints store) must parse to the same config: every key
 * of the schema table in [data], [train] and each layer compared field by
 * field, plus what the parser derives (resolved format, layer names,
 * inputs, frozen layers); and writing the re-parsed config out again must
 * give the same text byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config_internal.h"
#include "nn/config.h"

static nn_config cfg, again; /* large: keep them off the stack */

/* 0 when key k holds the same value in a and b (the structs of its scope). */
static int same_value(const nn_key_spec *k, const void *a, const void *b)
{
    const char *fa = (const char *)a + k->offset, *fb = (const char *)b + k->offset;
    switch (k->type) {
    case NN_KEY_INT:
    case NN_KEY_BOOL:
    case NN_KEY_ENUM: return memcmp(fa, fb, sizeof(int)) == 0;
    case NN_KEY_U64: return memcmp(fa, fb, sizeof(uint64_t)) == 0;
    case NN_KEY_FLOAT: {
        double x, y;
        memcpy(&x, fa, sizeof x);
        memcpy(&y, fb, sizeof y);
        return x == y;
    }
    case NN_KEY_WORD:
    case NN_KEY_TEXT:
    case NN_KEY_PATH:
    case NN_KEY_DATAFILE:
    case NN_KEY_INPATH: return strncmp(fa, fb, k->size) == 0;
    case NN_KEY_NAMES: { /* a malloc'ed array of names, counted by an int */
        int na, nb;
        memcpy(&na, (const char *)a + k->count_offset, sizeof na);
        memcpy(&nb, (const char *)b + k->count_offset, sizeof nb);
        if (na != nb)
            return 0;
        const char(*xa)[NN_INI_NAME_LEN], (*xb)[NN_INI_NAME_LEN];
        memcpy(&xa, fa, sizeof xa);
        memcpy(&xb, fb, sizeof xb);
        for (int i = 0; i < na; i++)
            if (strncmp(xa[i], xb[i], NN_INI_NAME_LEN) != 0)
                return 0;
        return 1;
    }
    }
    return 0;
}

/* NULL when a and b are the same config, else which field differs (path,
 * text and each layer's line number differ by design). */
static const char *config_difference(const nn_config *a, const nn_config *b, char *what, size_t n)
{
    for (int i = 0; i < nn_cfg_rules.n_keys; i++) {
        const nn_key_spec *k = &nn_cfg_rules.keys[i];
        if (strcmp(k->scope, NN_SCOPE_DATA) == 0 && !same_value(k, &a->data, &b->data))
            return snprintf(what, n, "[data] %s", k->key), what;
        if (strcmp(k->scope, NN_SCOPE_TRAIN) == 0 && !same_value(k, &a->train, &b->train))
            return snprintf(what, n, "[train] %s", k->key), what;
    }
    if (a->n_layers != b->n_layers)
        return "the number of layers";
    for (int l = 0; l < a->n_layers; l++) {
        const nn_layer_config *la = &a->layers[l], *lb = &b->layers[l];
        if (strcmp(la->name, lb->name) != 0)
            return snprintf(what, n, "the name of layer %d", l), what;
        for (int i = 0; i < nn_cfg_rules.n_keys; i++) {
            const nn_key_spec *k = &nn_cfg_rules.keys[i];
            if ((strcmp(k->scope, NN_SCOPE_LAYER) == 0 || strcmp(k->scope, la->type) == 0) &&
                !same_value(k, la, lb))
                return snprintf(what, n, "[%s] %s", la->name, k->key), what;
        }
        if (la->n_inputs != lb->n_inputs ||
            memcmp(la->input_index, lb->input_index, (size_t)la->n_inputs * sizeof(int)) != 0)
            return snprintf(what, n, "[%s] resolved inputs", la->name), what;
    }
    if (a->train.n_freeze != b->train.n_freeze ||
        (a->train.n_freeze > 0 && /* NULL arrays when nothing is frozen */
         memcmp(a->train.freeze_index, b->train.freeze_index,
                (size_t)a->train.n_freeze * sizeof(int)) != 0))
        return "[train] resolved freeze list";
    return NULL;
}

static void mismatch(const char *what, const char *text, const char *resolved, const char *twice)
{
    fprintf(stderr, "config round trip: %s differs\n--- input\n%s\n--- resolved\n%s\n", what, text,
            resolved);
    if (twice)
        fprintf(stderr, "--- resolved again\n%s\n", twice);
    abort();
}

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
        char *resolved = NULL, *twice = NULL;
        if (nn_config_resolved(&cfg, &resolved, &err) == NN_OK) {
            /* Same path, so that the default out and the header line agree. */
            if (nn_config_parse_flags(&again, "fuzz.ini", resolved, NULL, 0,
                                      NN_CONFIG_NO_FILE_CHECK, &err) != NN_OK)
                mismatch(err.msg, text, resolved, NULL);
            char what[NN_NAME_LEN + 64];
            const char *diff = config_difference(&cfg, &again, what, sizeof what);
            if (diff)
                mismatch(diff, text, resolved, NULL);
            if (nn_config_resolved(&again, &twice, &err) == NN_OK && strcmp(resolved, twice) != 0)
                mismatch("the text written again", text, resolved, twice);
            free(twice);
            nn_config_free(&again);
        }
        free(resolved);
    }
    nn_config_free(&cfg);
    free(text);
    return 0;
}
