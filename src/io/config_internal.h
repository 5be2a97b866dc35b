/* Private to the config reader: the key schema (config_schema.c) that drives
 * parsing, defaults, validation and the reference, and the helpers the
 * parser (config_parse.c) uses to apply it. */
#ifndef NN_IO_CONFIG_INTERNAL_H
#define NN_IO_CONFIG_INTERNAL_H

#include <stddef.h>

#include "nn/config.h"

typedef enum {
    NN_KEY_INT,       /* int, strtol, full string */
    NN_KEY_U64,       /* uint64_t (seed) */
    NN_KEY_FLOAT,     /* double, strtod, full string, finite */
    NN_KEY_BOOL,      /* true/false, yes/no, on/off, 1/0 */
    NN_KEY_ENUM,      /* one of choices[]; stored as the index (= the C enum value) */
    NN_KEY_PATH,      /* an output path (not checked) */
    NN_KEY_DATAFILE,  /* an input file: must exist and be readable */
    NN_KEY_NAMES,     /* comma-separated names (class names) */
    NN_KEY_LAYERTYPE, /* one of nn_cfg_layer_types[] */
    NN_KEY_LAYERREF,  /* names of layers, comma-separated (resolved by the parser) */
} nn_key_type;

/* Range flags: which of lo/hi bound the value, and whether strictly. */
enum { NN_RANGE_LO = 1, NN_RANGE_LO_OPEN = 2, NN_RANGE_HI = 4, NN_RANGE_HI_OPEN = 8 };

/* Scopes: "data", "train", "layer" (keys of every layer) or a layer type. */
#define NN_SCOPE_DATA "data"
#define NN_SCOPE_TRAIN "train"
#define NN_SCOPE_LAYER "layer"

typedef struct nn_key_spec {
    const char *scope;
    const char *key;
    nn_key_type type;
    size_t offset;               /* field in nn_data_config, nn_train_config or nn_layer_config */
    size_t size;                 /* the field's size (bounds string copies) */
    size_t count_offset;         /* NN_KEY_NAMES: the int field counting the names */
    const char *const *choices;  /* NN_KEY_ENUM: NULL-terminated, indexed by enum value */
    int range;                   /* NN_RANGE_* */
    double lo, hi;
    const char *def;             /* default, parsed like a value; NULL: none */
    const char *def_doc;         /* shown in the reference when def is NULL */
    int required;
    const char *doc;             /* one line for the reference */
} nn_key_spec;

typedef struct nn_layer_type_spec {
    const char *name;            /* the `type =` value, also the scope of its keys */
    const char *doc;
    int min_inputs, max_inputs;  /* how many layers `input =` may name */
    int has_params;              /* has trainable parameters (can be frozen) */
} nn_layer_type_spec;

extern const nn_key_spec nn_cfg_keys[];
extern const int nn_cfg_n_keys;
extern const nn_layer_type_spec nn_cfg_layer_types[];
extern const int nn_cfg_n_layer_types;

/* The spec of key in scope, or NULL. */
const nn_key_spec *nn_cfg_find_key(const char *scope, const char *key);
/* The layer type called name, or NULL. */
const nn_layer_type_spec *nn_cfg_find_layer_type(const char *name);

/* Convert value and store it in base (the struct of the key's scope).
 * Returns 0, or -1 with the reason in why ("not a number", "must be > 0"). */
int nn_cfg_convert(const nn_key_spec *k, const char *value, void *base, char *why, size_t why_len);

/* Store the defaults of every key of scope in base. Returns 0, or -1 when a
 * default in the table does not convert (a bug in the table). */
int nn_cfg_apply_defaults(const char *scope, void *base);

/* "Did you mean" helper: feed candidates, get the closest one if it is
 * close to word (by case-insensitive edit distance), else NULL. */
typedef struct nn_cfg_match {
    const char *word;
    const char *best;
    int dist;
} nn_cfg_match;
void nn_cfg_match_init(nn_cfg_match *m, const char *word);
void nn_cfg_match_try(nn_cfg_match *m, const char *candidate);
const char *nn_cfg_match_best(const nn_cfg_match *m);

/* Append the value of k in base, as text that converts back to the same
 * value, to buf (at most n bytes including the NUL). Returns the length
 * written, or -1 when it does not fit. Writes nothing (returns 0) for an
 * unset optional value. */
int nn_cfg_format_value(const nn_key_spec *k, const void *base, char *buf, size_t n);

/* inih's line limit (characters on a line, without the line end). */
int nn_cfg_max_line(void);

#endif
