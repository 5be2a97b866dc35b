/* Reading a training config: the INI engine (ini.c) reads the sections and
 * merges --set overrides; here each section goes through the key table
 * (config_schema.c): [data], [train], then the layers, whose `input =`
 * names are resolved to earlier layers. Then the cross-checks between keys
 * (formats and label files, the autoencoder's loss, frozen layers) and the
 * input files. Every error is "file:line: message" or "--set arg: message". */
#include "io/config_internal.h"
#include "nn/layer.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- layers --------------------------------------------------------------- */

/* Walk a comma-separated list: each call copies the next name, trimmed, into
 * name (empty for an empty entry, as in "a,,b") and returns 1; *p becomes
 * NULL after the last name, and the call after that returns 0. */
static int next_name(const char **p, char *name, size_t n)
{
    if (!*p)
        return 0;
    const char *comma = strchr(*p, ',');
    const char *end = comma ? comma : *p + strlen(*p);
    const char *b = *p;
    while (b < end && isspace((unsigned char)*b))
        b++;
    const char *e = end;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    size_t len = (size_t)(e - b) < n - 1 ? (size_t)(e - b) : n - 1;
    memcpy(name, b, len);
    name[len] = '\0';
    *p = comma ? comma + 1 : NULL;
    return 1;
}

/* Index of the layer called name among the first li layers (-1: the network
 * input), or an error located at e. */
static int resolve_one(nn_ini *ini, nn_config *cfg, const nn_ini_section *s, const nn_ini_entry *e,
                       int li, const char *name, int *index)
{
    nn_layer_config *L = &cfg->layers[li];
    if (name[0] == '\0')
        return nn_ini_fail_entry(ini, e, "[%s] input = %s: empty layer name in the list", s->name,
                                 e->value);
    if (strcmp(name, "input") == 0) {
        *index = -1;
        return NN_OK;
    }
    for (int j = 0; j < li; j++)
        if (strcmp(cfg->layers[j].name, name) == 0) {
            *index = j;
            return NN_OK;
        }
    if (strcmp(name, L->name) == 0)
        return nn_ini_fail_entry(ini, e, "[%s] input = %s: a layer cannot be its own input",
                                 L->name, name);
    const nn_ini_section *later = nn_ini_section_find(ini, name);
    if (later && !later->fixed)
        return nn_ini_fail_entry(ini, e,
                                 "[%s] input = %s: [%s] comes later (line %d); input must name an "
                                 "earlier layer",
                                 L->name, name, name, later->line);
    nn_ini_match m;
    nn_ini_match_init(&m, name);
    for (int j = 0; j < li; j++)
        nn_ini_match_try(&m, cfg->layers[j].name);
    nn_ini_match_try(&m, "input");
    char hint[NN_NAME_LEN + 32];
    return nn_ini_fail_entry(ini, e, "[%s] input = %s: no such layer%s", L->name, name,
                             nn_ini_match_hint(&m, hint, sizeof hint));
}

/* L->input as resolved: the names, comma-separated; "" when the layer reads
 * only the network input. */
static void store_input_names(nn_config *cfg, nn_layer_config *L)
{
    memset(L->input, 0, sizeof L->input);
    if (L->n_inputs == 1 && L->input_index[0] < 0)
        return;
    size_t used = 0;
    for (int k = 0; k < L->n_inputs; k++) {
        const char *nm = L->input_index[k] < 0 ? "input" : cfg->layers[L->input_index[k]].name;
        int w = snprintf(L->input + used, sizeof L->input - used, "%s%s", k ? ", " : "", nm);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* Resolve `input =` of layer li (already stored in L->input, or absent) and
 * check the count against what its type takes. */
static int resolve_input(nn_ini *ini, nn_config *cfg, const nn_ini_section *s, int li)
{
    nn_layer_config *L = &cfg->layers[li];
    const nn_ini_entry *e = nn_ini_entry_find(s, "input");
    const nn_layer_ops *ts = nn_layer_ops_find(L->type);
    L->n_inputs = 0;
    if (!e) {
        L->n_inputs = 1;
        L->input_index[0] = li - 1;
    } else {
        char text[sizeof L->input];
        memcpy(text, L->input, sizeof text);
        const char *p = text;
        char name[NN_NAME_LEN + 1];
        while (next_name(&p, name, sizeof name)) {
            if (L->n_inputs == NN_MAX_INPUTS)
                return nn_ini_fail_entry(ini, e, "[%s] input = %s: more than %d layers", L->name,
                                         e->value, NN_MAX_INPUTS);
            int rc = resolve_one(ini, cfg, s, e, li, name, &L->input_index[L->n_inputs]);
            if (rc)
                return rc;
            L->n_inputs++;
        }
    }
    if (ts && L->n_inputs < ts->min_inputs)
        return nn_ini_fail_entry(ini, e ? e : &(nn_ini_entry){ .line = s->line },
                                 "[%s] type %s needs at least %d inputs: write input = a, b",
                                 L->name, L->type, ts->min_inputs);
    if (ts && L->n_inputs > ts->max_inputs)
        return nn_ini_fail_entry(ini, e,
                                 "[%s] input = %s: type %s takes one input (add and concat "
                                 "take several)",
                                 L->name, e->value, L->type);
    store_input_names(cfg, L);
    return NN_OK;
}

static int expand_fire(nn_ini *ini, nn_config *cfg, const nn_ini_section *s, int li);

static int interpret_layer(nn_ini *ini, nn_config *cfg, const nn_ini_section *s, int li)
{
    nn_layer_config *L = &cfg->layers[li];
    memcpy(L->name, s->name, sizeof L->name);
    L->line = s->line;
    const nn_ini_entry *te = nn_ini_entry_find(s, "type");
    if (!te) {
        nn_ini_match m;
        nn_ini_match_init(&m, s->name);
        nn_ini_match_try(&m, NN_SCOPE_DATA);
        nn_ini_match_try(&m, NN_SCOPE_TRAIN);
        const char *best = nn_ini_match_best(&m);
        char hint[64] = "";
        if (best)
            snprintf(hint, sizeof hint, " (or did you mean [%s]?)", best);
        return nn_ini_fail_line(ini, s->line, "layer [%s] has no 'type =' (e.g. type = %s)%s",
                                s->name, nn_layer_ops_at(0)->type, hint);
    }
    int rc = nn_ini_set(ini, s, te, nn_ini_key(&nn_cfg_rules, NN_SCOPE_LAYER, "type"), L);
    if (rc)
        return rc;
    if (nn_ini_defaults(&nn_cfg_rules, NN_SCOPE_LAYER, L) ||
        nn_ini_defaults(&nn_cfg_rules, L->type, L))
        return nn_ini_fail_line(ini, 0, "internal error: a default of [%s] does not convert",
                                L->type);
    const char *scopes[2] = { NN_SCOPE_LAYER, L->type };
    char kind[2 * NN_NAME_LEN + 32];
    snprintf(kind, sizeof kind, "[%s] is a %s layer", s->name, L->type);
    if ((rc = nn_ini_apply(ini, s, scopes, 2, L, kind)))
        return rc;
    const nn_key_spec *k = nn_ini_missing(ini, s, L->type);
    if (k)
        return nn_ini_fail_line(ini, s->line, "layer [%s] (type %s) needs '%s =' (%s)", s->name,
                                L->type, k->key, k->doc);
    if ((rc = resolve_input(ini, cfg, s, li)))
        return rc;
    return strcmp(L->type, NN_FIRE_TYPE) == 0 ? expand_fire(ini, cfg, s, li) : NN_OK;
}

/* ---- fire modules --------------------------------------------------------- */

/* The longest part name a fire module adds to its section name. */
#define FIRE_SUFFIX_MAX (sizeof "/expand3x3" - 1)

/* One part of fire module F into P: a conv (with the schema's conv
 * defaults) of `filters` filters, side `size`, padding `pad`, ReLU, reading
 * layer `from`. */
static void fire_conv(const nn_layer_config *F, nn_layer_config *P, const char *part,
                      nn_fire_part role, int filters, int size, int pad, int from,
                      const char *from_name)
{
    memset(P, 0, sizeof *P);
    nn_ini_defaults(&nn_cfg_rules, NN_SCOPE_LAYER, P);
    nn_ini_defaults(&nn_cfg_rules, "conv", P);
    /* expand_fire checked that the name leaves room for the part's; the
     * precision says so to the compiler as well */
    snprintf(P->name, sizeof P->name, "%.*s/%s", (int)(NN_NAME_LEN - 1 - FIRE_SUFFIX_MAX), F->name,
             part);
    snprintf(P->type, sizeof P->type, "conv");
    P->line = F->line;
    P->filters = filters;
    P->size = size;
    P->padding = pad;
    P->activation = NN_ACT_RELU;
    P->squeeze = F->squeeze, P->expand1x1 = F->expand1x1, P->expand3x3 = F->expand3x3;
    P->fire_part = role;
    P->n_inputs = 1;
    P->input_index[0] = from;
    snprintf(P->input, sizeof P->input, "%s", from_name);
}

/* Layer li holds a parsed fire section (its keys and its resolved input):
 * it becomes layers li .. li + 3, the squeeze conv, the two expand convs
 * and their concat, which takes the section's name. cfg->layers has room
 * (see layers_of). */
static int expand_fire(nn_ini *ini, nn_config *cfg, const nn_ini_section *s, int li)
{
    const nn_layer_config F = cfg->layers[li];
    if (strlen(F.name) + FIRE_SUFFIX_MAX >= NN_NAME_LEN)
        return nn_ini_fail_line(ini, s->line,
                                "[%s] a fire section's name may have at most %d characters (its "
                                "layers are named <name>/expand3x3 ...)",
                                F.name, (int)(NN_NAME_LEN - 1 - FIRE_SUFFIX_MAX));
    if (F.n_inputs != 1)
        return nn_ini_fail_entry(ini, nn_ini_entry_find(s, "input"),
                                 "[%s] input = %s: a fire module takes one input", F.name, F.input);
    nn_layer_config *P = &cfg->layers[li];
    fire_conv(&F, &P[0], "squeeze", NN_FIRE_SQUEEZE, F.squeeze, 1, 0, F.input_index[0], "");
    memcpy(P[0].input, F.input, sizeof P[0].input); /* as resolved: "" = the network input */
    fire_conv(&F, &P[1], "expand1x1", NN_FIRE_EXPAND1X1, F.expand1x1, 1, 0, li, P[0].name);
    fire_conv(&F, &P[2], "expand3x3", NN_FIRE_EXPAND3X3, F.expand3x3, 3, 1, li, P[0].name);
    nn_layer_config *C = &P[3];
    memset(C, 0, sizeof *C);
    nn_ini_defaults(&nn_cfg_rules, NN_SCOPE_LAYER, C);
    memcpy(C->name, F.name, sizeof C->name);
    snprintf(C->type, sizeof C->type, "concat");
    C->line = F.line;
    C->squeeze = F.squeeze, C->expand1x1 = F.expand1x1, C->expand3x3 = F.expand3x3;
    C->fire_part = NN_FIRE_OUTPUT;
    C->n_inputs = 2;
    C->input_index[0] = li + 1;
    C->input_index[1] = li + 2;
    snprintf(C->input, sizeof C->input, "%s, %s", P[1].name, P[2].name);
    cfg->n_layers = li + 4;
    return NN_OK;
}

/* Layers the sections make: one each, four for a fire section. The type is
 * read as written (a fire type hidden in ${VAR} is found when the section
 * is interpreted, and the array grows then). */
static int layers_of(const nn_ini_section *s)
{
    const nn_ini_entry *e = nn_ini_entry_find(s, "type");
    return e && strcmp(e->value, NN_FIRE_TYPE) == 0 ? 4 : 1;
}

/* ---- cross-checks --------------------------------------------------------- */

static char *data_field(nn_data_config *d, const char *key)
{
    return (char *)d + nn_ini_key(&nn_cfg_rules, NN_SCOPE_DATA, key)->offset;
}

static int ends_with(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n >= e && strcasecmp(path + n - e, ext) == 0;
}

static int check_data(nn_ini *ini, const nn_ini_section *s, nn_data_config *d)
{
    static const char *const pairs[3][2] = { { "train", "train_labels" },
                                             { "valid", "valid_labels" },
                                             { "test", "test_labels" } };
    if (!nn_ini_entry_find(s, "train"))
        return nn_ini_fail_line(ini, s->line, "[data] needs 'train =' (the training set file)");
    int chose = d->format == NN_FORMAT_AUTO;
    if (chose)
        d->format = ends_with(d->train, ".mat")  ? NN_FORMAT_MAT
                    : ends_with(d->train, ".h5") ? NN_FORMAT_H5
                                                 : NN_FORMAT_IDX;
    for (int i = 0; i < 3; i++) {
        const char *images = data_field(d, pairs[i][0]), *labels = data_field(d, pairs[i][1]);
        const nn_ini_entry *le = nn_ini_entry_find(s, pairs[i][1]);
        if (d->format != NN_FORMAT_IDX && le)
            return nn_ini_fail_entry(
                ini, le, "[data] %s: %s files hold their own labels; remove it%s", pairs[i][1],
                d->format == NN_FORMAT_MAT ? ".mat" : ".h5", chose ? " (or set format = idx)" : "");
        if (d->format == NN_FORMAT_IDX && images[0] && !labels[0])
            return nn_ini_fail_line(ini, s->line, "[data] %s needs '%s =' with format idx%s",
                                    pairs[i][0], pairs[i][1],
                                    chose ? " (format = auto chose idx: train does not end in .mat "
                                            "or .h5)"
                                          : "");
        if (!images[0] && le)
            return nn_ini_fail_entry(ini, le, "[data] %s is given but %s is not", pairs[i][1],
                                     pairs[i][0]);
    }
    const nn_ini_entry *vf = nn_ini_entry_find(s, "valid_fraction");
    if (d->valid[0] && vf)
        return nn_ini_fail_entry(ini, vf,
                                 "[data] valid_fraction has no effect when valid is given; "
                                 "remove one of them");
    return NN_OK;
}

/* An autoencoder (target = input) compares images pixel by pixel: only MSE
 * fits (cross-entropy needs a class label). train may be NULL (no [train]). */
static int check_train(nn_ini *ini, const nn_ini_section *train, const nn_train_config *t)
{
    if (t->target != NN_TARGET_INPUT || t->loss == NN_LOSS_MSE)
        return NN_OK;
    return nn_ini_fail_entry(
        ini, nn_ini_entry_find(train, "target"),
        "[train] target = input needs loss = mse (the output is compared with the "
        "input image, not a class label)");
}

/* out = runs/<config file name without .ini> */
static int default_out(nn_ini *ini, nn_config *cfg)
{
    if (cfg->train.out[0])
        return NN_OK;
    const char *base = strrchr(cfg->path, '/');
    base = base ? base + 1 : cfg->path;
    size_t n = strlen(base);
    if (n >= 4 && strcmp(base + n - 4, ".ini") == 0)
        n -= 4;
    if (n == 0)
        base = "config", n = 6;
    if (n + 5 >= sizeof cfg->train.out)
        return nn_ini_fail_line(ini, 0, "file name too long to make [train] out; set out =");
    memcpy(cfg->train.out, "runs/", 5);
    memcpy(cfg->train.out + 5, base, n);
    cfg->train.out[5 + n] = '\0';
    return NN_OK;
}

/* Layer j joins [train] freeze's list (room for every layer), which must
 * not hold it already. */
static int add_frozen(nn_ini *ini, nn_config *cfg, const nn_ini_entry *e, int j)
{
    nn_train_config *t = &cfg->train;
    for (int i = 0; i < t->n_freeze; i++)
        if (t->freeze_index[i] == j)
            return nn_ini_fail_entry(ini, e, "[train] freeze = %s: [%s] is named twice", e->value,
                                     cfg->layers[j].name);
    t->freeze_index[t->n_freeze++] = j;
    return NN_OK;
}

/* [train] freeze: layers of this config that have parameters, each once; a
 * fire module stands for its three convolutions. */
static int resolve_freeze(nn_ini *ini, nn_config *cfg, const nn_ini_section *s)
{
    const nn_ini_entry *e = s ? nn_ini_entry_find(s, "freeze") : NULL;
    nn_train_config *t = &cfg->train;
    t->n_freeze = 0;
    if (!e)
        return NN_OK;
    char text[sizeof t->freeze];
    memcpy(text, t->freeze, sizeof text);
    /* each layer at most once */
    if (!(t->freeze_index = malloc((size_t)(cfg->n_layers + 1) * sizeof *t->freeze_index)))
        return nn_fail(ini->err, NN_E_NOMEM, "%s: out of memory", ini->path);
    const char *p = text;
    char name[NN_NAME_LEN + 1];
    while (next_name(&p, name, sizeof name)) {
        int j = 0;
        while (j < cfg->n_layers && strcmp(cfg->layers[j].name, name) != 0)
            j++;
        if (name[0] == '\0')
            return nn_ini_fail_entry(ini, e, "[train] freeze = %s: empty layer name in the list",
                                     e->value);
        if (j == cfg->n_layers) {
            nn_ini_match m;
            nn_ini_match_init(&m, name);
            for (int i = 0; i < cfg->n_layers; i++)
                nn_ini_match_try(&m, cfg->layers[i].name);
            char hint[NN_NAME_LEN + 32];
            return nn_ini_fail_entry(ini, e, "[train] freeze = %s: no layer [%s]%s", e->value, name,
                                     nn_ini_match_hint(&m, hint, sizeof hint));
        }
        if (cfg->layers[j].fire_part == NN_FIRE_OUTPUT) { /* its squeeze and expands */
            for (int part = j - 3; part < j; part++) {
                int rc = add_frozen(ini, cfg, e, part);
                if (rc)
                    return rc;
            }
            continue;
        }
        const nn_layer_ops *ts = nn_layer_ops_find(cfg->layers[j].type);
        if (ts && !ts->has_params)
            return nn_ini_fail_entry(ini, e,
                                     "[train] freeze = %s: [%s] is a %s layer, which has no "
                                     "parameters",
                                     e->value, name, cfg->layers[j].type);
        int rc = add_frozen(ini, cfg, e, j);
        if (rc)
            return rc;
    }
    return NN_OK;
}

typedef struct parse_job {
    nn_config *cfg;
    unsigned flags;
} parse_job;

/* The resolved config (what checkpoints store) must parse again, so none of
 * its lines may exceed inih's limit: a value can outgrow it through ${VAR}
 * expansion, --set or the parser's own spelling ("a,b" -> "a, b"). Such a
 * run would train and then fail in eval, plot and ocr, which read that
 * text; refuse it now, at the key that made the line. */
static int check_line_lengths(nn_ini *ini, const nn_config *cfg)
{
    char *text = NULL;
    int rc = nn_config_resolved(cfg, &text, ini->err);
    if (rc)
        return rc;
    const nn_ini_section *s = NULL;
    for (const char *p = text; *p && rc == NN_OK;) {
        size_t len = strcspn(p, "\n");
        if (p[0] == ';') {
            /* the header comment: kept short by nn_config_resolved */
        } else if (p[0] == '[') {
            char name[NN_NAME_LEN] = "";
            size_t n = strcspn(p + 1, "]");
            if (n < sizeof name)
                memcpy(name, p + 1, n);
            s = nn_ini_section_find(ini, name);
        } else if (len > (size_t)ini->max_line) {
            char key[NN_NAME_LEN] = "";
            size_t n = strcspn(p, " =");
            if (n < sizeof key)
                memcpy(key, p, n);
            const nn_ini_entry *e = s ? nn_ini_entry_find(s, key) : NULL;
            const char *fmt = "[%s] %s: too long to store in checkpoints: '%.40s...' is %zu "
                              "characters on one line (at most %d); shorten it (a path: through a "
                              "symbolic link with a shorter name)";
            const char *sec = s ? s->name : "train";
            rc = e ? nn_ini_fail_entry(ini, e, fmt, sec, key, p, len, ini->max_line)
                   : nn_ini_fail_line(ini, s ? s->line : 0, fmt, sec, key, p, len, ini->max_line);
        }
        p += len + (p[len] == '\n');
    }
    free(text);
    return rc;
}

static int interpret(nn_ini *ini, void *ctx)
{
    nn_config *cfg = ((parse_job *)ctx)->cfg;
    unsigned flags = ((parse_job *)ctx)->flags;
    if (nn_ini_defaults(&nn_cfg_rules, NN_SCOPE_DATA, &cfg->data) ||
        nn_ini_defaults(&nn_cfg_rules, NN_SCOPE_TRAIN, &cfg->train))
        return nn_ini_fail_line(ini, 0,
                                "internal error: a default in the config schema does "
                                "not convert");
    int cap = 0;
    for (int i = 0; i < ini->n_sec; i++)
        cap += ini->sec[i].fixed ? 0 : layers_of(&ini->sec[i]);
    if (cap && !(cfg->layers = calloc((size_t)cap, sizeof *cfg->layers)))
        return nn_fail(ini->err, NN_E_NOMEM, "%s: out of memory", ini->path);
    const nn_ini_section *data = NULL, *train = NULL;
    int rc = NN_OK;
    for (int i = 0; i < ini->n_sec && rc == NN_OK; i++) {
        const nn_ini_section *s = &ini->sec[i];
        const char *scope = s->name;
        if (strcmp(scope, NN_SCOPE_DATA) == 0) {
            rc = nn_ini_apply(ini, s, &scope, 1, &cfg->data, NULL), data = s;
            continue;
        } else if (strcmp(scope, NN_SCOPE_TRAIN) == 0) {
            rc = nn_ini_apply(ini, s, &scope, 1, &cfg->train, NULL), train = s;
            continue;
        }
        if (cap - cfg->n_layers < 4) { /* room for a fire module the count missed */
            nn_layer_config *more = realloc(cfg->layers, (size_t)(cap + 4) * sizeof *more);
            if (!more)
                return nn_fail(ini->err, NN_E_NOMEM, "%s: out of memory", ini->path);
            memset(more + cap, 0, 4 * sizeof *more);
            cfg->layers = more;
            cap += 4;
        }
        const int li = cfg->n_layers++; /* a fire module adds three more */
        rc = interpret_layer(ini, cfg, s, li);
    }
    if (rc || (rc = nn_ini_check_sections(ini)))
        return rc;
    if (cfg->n_layers > NN_MAX_LAYERS)
        return nn_ini_fail_line(ini, 0,
                                "too many layers: %d once fire modules are expanded (at "
                                "most %d)",
                                cfg->n_layers, NN_MAX_LAYERS);
    if ((rc = check_data(ini, data, &cfg->data)) || (rc = check_train(ini, train, &cfg->train)) ||
        (rc = default_out(ini, cfg)) || (rc = resolve_freeze(ini, cfg, train)))
        return rc;
    int no_init_from = (flags & NN_CONFIG_NO_INIT_FROM) != 0;
    if (no_init_from)
        memset(cfg->train.init_from, 0, sizeof cfg->train.init_from);
    if (!(flags & NN_CONFIG_NO_FILE_CHECK)) {
        if ((rc = nn_ini_check_files(ini, data, NN_SCOPE_DATA, &cfg->data)))
            return rc;
        if (!no_init_from && (rc = nn_ini_check_files(ini, train, NN_SCOPE_TRAIN, &cfg->train)))
            return rc;
    }
    return check_line_lengths(ini, cfg);
}

/* ---- public --------------------------------------------------------------- */

int nn_config_parse(nn_config *cfg, const char *path, const char *text,
                    const char *const *overrides, int n_overrides, nn_error *err)
{
    return nn_config_parse_flags(cfg, path, text, overrides, n_overrides, 0, err);
}

int nn_config_parse_flags(nn_config *cfg, const char *path, const char *text,
                          const char *const *overrides, int n_overrides, unsigned flags,
                          nn_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (!path || !*path)
        path = "<config>";
    if (strlen(path) >= sizeof cfg->path)
        return nn_fail(err, NN_E_CONFIG, "%.64s...: config file path too long", path);
    memcpy(cfg->path, path, strlen(path) + 1);
    if (!text)
        return nn_fail(err, NN_E_CONFIG, "%s: no config text", path);
    parse_job job = { cfg, flags };
    int rc = nn_ini_run(&nn_cfg_rules, cfg->path, text, overrides, n_overrides, interpret, &job,
                        &cfg->text, err);
    if (rc != NN_OK)
        nn_config_free(cfg);
    return rc;
}

void nn_config_free(nn_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->text);
    free(cfg->layers);
    free(cfg->train.freeze_index);
    nn_ini_free_values(&nn_cfg_rules, NN_SCOPE_DATA, &cfg->data);
    cfg->text = NULL;
    cfg->layers = NULL;
    cfg->n_layers = 0;
    cfg->train.freeze_index = NULL;
    cfg->train.n_freeze = 0;
}

int nn_read_text_file(const char *path, char **text, nn_error *err)
{
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_fail(err, NN_E_CONFIG, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return nn_fail(err, NN_E_CONFIG, "%s: is a folder, not a file", path);
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? NN_OK : nn_fail(err, NN_E_NOMEM, "%s: out of memory reading it", path);
    while (rc == NN_OK) {
        if (len + 1 == cap) {
            char *b = cap > NN_TEXT_FILE_MAX ? NULL : realloc(buf, 2 * cap);
            if (!b) {
                rc = cap > NN_TEXT_FILE_MAX
                         ? nn_fail(err, NN_E_CONFIG,
                                   "%s: too large for a config file "
                                   "(more than %d bytes)",
                                   path, NN_TEXT_FILE_MAX)
                         : nn_fail(err, NN_E_NOMEM, "%s: out of memory reading it", path);
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (rc == NN_OK && ferror(f))
        rc = nn_fail(err, NN_E_CONFIG, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (rc == NN_OK && len > NN_TEXT_FILE_MAX)
        rc = nn_fail(err, NN_E_CONFIG, "%s: too large for a config file (more than %d bytes)", path,
                     NN_TEXT_FILE_MAX);
    if (rc == NN_OK && memchr(buf, '\0', len))
        rc = nn_fail(err, NN_E_CONFIG, "%s: not a text file (NUL byte at offset %zu)", path,
                     (size_t)((char *)memchr(buf, '\0', len) - buf));
    if (rc != NN_OK) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *text = buf;
    return NN_OK;
}

/* ---- the resolved config -------------------------------------------------- */

static int put_scope(char **buf, size_t *len, size_t *cap, const char *scope, const void *base)
{
    char value[NN_MAX_CLASSES * (NN_INI_NAME_LEN + 2)];
    char line[NN_NAME_LEN + sizeof value + 16];
    for (int i = 0; i < nn_cfg_rules.n_keys; i++) {
        const nn_key_spec *k = &nn_cfg_rules.keys[i];
        if (strcmp(k->scope, scope) != 0 || strcmp(k->key, "input") == 0)
            continue;
        /* valid_fraction and valid exclude each other (check_data): with a
         * validation file the fraction is not written back. */
        if (strcmp(scope, NN_SCOPE_DATA) == 0 && strcmp(k->key, "valid_fraction") == 0 &&
            ((const nn_data_config *)base)->valid[0])
            continue;
        int n = nn_ini_format(k, base, value, sizeof value);
        if (n < 0)
            return -1;
        if (n == 0)
            continue;
        int w = snprintf(line, sizeof line, "%s = %s\n", k->key, value);
        if (w < 0 || (size_t)w >= sizeof line || nn_ini_append(buf, len, cap, line, (size_t)w))
            return -1;
    }
    return 0;
}

int nn_config_resolved(const nn_config *cfg, char **text, nn_error *err)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char line[NN_PATH_LEN + 64];
    int bad = 0;
    /* The header is a comment line, subject to inih's line limit like any
     * other: a long path is cut to its end. */
    const char *shown = cfg->path;
    size_t room = (size_t)nn_ini_max_line() - 40;
    if (strlen(shown) > room)
        shown += strlen(shown) - room + 3;
    snprintf(line, sizeof line, "; %s%.*s as interpreted by nntrain\n\n[data]\n",
             shown == cfg->path ? "" : "...", (int)strcspn(shown, "\r\n"), shown);
    bad |= nn_ini_append(&buf, &len, &cap, line, strlen(line));
    bad |= put_scope(&buf, &len, &cap, NN_SCOPE_DATA, &cfg->data);
    bad |= nn_ini_append(&buf, &len, &cap, "\n[train]\n", 9);
    bad |= put_scope(&buf, &len, &cap, NN_SCOPE_TRAIN, &cfg->train);
    for (int i = 0; i < cfg->n_layers && !bad; i++) {
        const nn_layer_config *L = &cfg->layers[i];
        /* a fire module is written back as its section, where its first
         * part (the squeeze, which has the module's input) stands */
        const int fire = L->fire_part == NN_FIRE_SQUEEZE && i + 3 < cfg->n_layers;
        if (L->fire_part != NN_FIRE_NONE && !fire)
            continue;
        snprintf(line, sizeof line, "\n[%s]\ntype = %s\ninput = %s\n",
                 fire ? cfg->layers[i + 3].name : L->name, fire ? NN_FIRE_TYPE : L->type,
                 L->input[0] ? L->input : "input");
        bad |= nn_ini_append(&buf, &len, &cap, line, strlen(line));
        bad |= put_scope(&buf, &len, &cap, fire ? NN_FIRE_TYPE : L->type, L);
    }
    if (bad) {
        free(buf);
        *text = NULL;
        return nn_fail(err, NN_E_NOMEM, "%s: out of memory formatting the config", cfg->path);
    }
    *text = buf;
    return NN_OK;
}
