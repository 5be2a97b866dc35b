/* The prep config (`nntrain prep`) on arbitrary text: the INI engine with
 * the prep key table, the checks between its keys, and the sources' files
 * (the seeds name /dev/null and /tmp, which exist everywhere). A config that
 * parses must hold what the table allows; one with an override must parse
 * the same way twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/prep/prep_internal.h"

static prep_config cfg, again;

static void check(const prep_config *c)
{
    if (c->n_src < 1 || c->n_src > PREP_MAX_SOURCES || !c->out[0] ||
        c->n_classes > PREP_MAX_CLASSES)
        abort();
    for (int i = 0; i < c->n_classes; i++)
        if (!c->classes[i][0])
            abort();
    for (int s = 0; s < c->n_src; s++) {
        const prep_source *src = &c->src[s];
        if (src->type < PREP_IDX || src->type > PREP_FOLDER || src->split < PREP_SPLIT_AUTO ||
            src->split > PREP_TEST || src->ink < 0 || src->ink > 2 ||
            src->n_classes > PREP_MAX_CLASSES)
            abort();
        if (src->type == PREP_IDX && (!src->images[0] || !src->labels[0]))
            abort();
        if (src->type != PREP_IDX && !src->path[0])
            abort();
    }
    if (c->valid_fraction + c->test_fraction >= 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *overrides[2] = { "output.seed=7", "output.per_class=5" };
    int n = (int)(size % 3);
    nn_error err;
    setenv("NNTRAIN_DATA", "/tmp", 0);
    if (prep_config_parse(&cfg, "fuzz.ini", text, overrides, n, &err) == NN_OK) {
        check(&cfg);
        if (prep_config_parse(&again, "fuzz.ini", text, overrides, n, &err) != NN_OK ||
            again.n_src != cfg.n_src || again.seed != cfg.seed || strcmp(again.out, cfg.out) != 0)
            abort();
        prep_config_free(&again);
        prep_config_free(&cfg);
    }
    free(text);
    return 0;
}
