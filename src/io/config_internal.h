/* Private to the training config: its key table and rules for the INI
 * engine (config_schema.c, which also writes the reference), used by the
 * reader (config_parse.c). */
#ifndef NN_IO_CONFIG_INTERNAL_H
#define NN_IO_CONFIG_INTERNAL_H

#include "io/ini.h"
#include "nn/config.h"

/* Scopes: "data", "train", "layer" (keys of every layer) or a layer type
 * (the `type =` values, from the layer registry, nn_layer_ops_at). */
#define NN_SCOPE_DATA  "data"
#define NN_SCOPE_TRAIN "train"
#define NN_SCOPE_LAYER "layer"

extern const nn_ini_rules nn_cfg_rules;

#endif
