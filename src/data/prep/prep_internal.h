/* Data set preparation (`nntrain prep`), private to src/data/prep: the config
 * (prep_config.c), the sources and their samples (prep_sources.c), the
 * split and balance (prep_split.c), augmentation (prep_augment.c) and the
 * pipeline (prep_main.c).
 *
 * Module prep (src/data/prep, nn_prep). May call: ocr (glyph preprocessing),
 * data, io, core, Leptonica, inih.
 */
#ifndef NN_PREP_INTERNAL_H
#define NN_PREP_INTERNAL_H

#include <leptonica/allheaders.h>
#include <regex.h>
#include <stdint.h>

#include "nn/config.h"
#include "nn/dataset.h"
#include "nn/ocr.h"

#define PREP_MAX_SOURCES 32
#define PREP_MAX_CLASSES 256
#define PREP_NAME_LEN    NN_CLASS_NAME_LEN

typedef enum { PREP_IDX, PREP_MAT, PREP_FOLDER, PREP_PHOTOS } prep_type;
typedef enum { PREP_SPLIT_AUTO = -1, PREP_TRAIN = 0, PREP_VALID = 1, PREP_TEST = 2 } prep_split;

typedef struct prep_source {
    char name[NN_NAME_LEN];         /* the section name */
    int line;                       /* its header line, for messages */
    int type;                       /* prep_type */
    char images[NN_PATH_LEN];       /* idx: images file */
    char labels[NN_PATH_LEN];       /* idx: labels file */
    char path[NN_PATH_LEN];         /* mat: the file; folder: the folder */
    char (*classes)[PREP_NAME_LEN]; /* [n_classes] idx/mat: names of labels 0..n-1 (malloc'ed) */
    int n_classes;
    int ink;          /* nn_ink */
    int split;        /* prep_split */
    char writer[256]; /* folder: regex whose first group names the writer */
    int has_writer;
    regex_t writer_re;
    int transpose; /* idx/mat: transpose each image */
    /* photos: numbered colour images, splits from a .mat file */
    char splits[NN_PATH_LEN]; /* the .mat file with trnK, valK, tstK */
    int split_index;          /* K */
    int class_size;           /* label = (number - 1) / class_size */
    char pattern[128];        /* file name of image number n: printf with one %d */
} prep_source;

typedef struct prep_config {
    char path[NN_PATH_LEN];
    char *text; /* the config file's text, stored in the output */
    char out[NN_PATH_LEN];
    char description[512];
    char (*classes)[PREP_NAME_LEN]; /* [n_classes] output order (malloc'ed); none: the default */
    int n_classes;
    nn_glyph_params glyph;
    double valid_fraction, test_fraction;
    uint64_t seed;
    int per_class;       /* training samples per class (0: as they come) */
    int eval_per_class;  /* cap on validation/test samples per class (0: none) */
    double augment_prob; /* chance that a kept training sample is distorted */
    int augment_max;     /* distorted copies of one sample at most */
    double rotate, shear, aspect, stroke_jitter; /* distortion ranges */
    int resize;       /* photos: shorter side before the centre crop (0: size) */
    prep_source *src; /* [n_src] (malloc'ed), in file order */
    int n_src;
} prep_config;

/* Parse a prep config (text read from path) with "section.key=value"
 * overrides; every error is "file:line: message" (NN_E_CONFIG). On failure
 * cfg holds nothing; after success prep_config_free releases it. */
int prep_config_parse(prep_config *cfg, const char *path, const char *text,
                      const char *const *overrides, int n_overrides, nn_error *err);
void prep_config_free(prep_config *cfg);
/* The data set file's description: [output] description, else one naming
 * the config. */
void prep_description(const prep_config *cfg, char *desc, size_t size);
/* The key reference as Markdown (docs/ocr.md quotes it). */
const char *prep_config_reference(void);

/* ---- samples ------------------------------------------------------------------ */

typedef struct prep_item {
    int source;       /* index into cfg->src */
    int index;        /* sample in the source's data set, or file number */
    int label;        /* output class */
    int split;        /* PREP_TRAIN/VALID/TEST */
    uint32_t augment; /* 0: as it is; k > 0: distorted copy number k */
} prep_item;

typedef struct prep_data {
    nn_dataset sets[PREP_MAX_SOURCES];    /* idx/mat sources, loaded */
    char **files[PREP_MAX_SOURCES];       /* folder sources: file paths */
    char **file_class[PREP_MAX_SOURCES];  /* and their class (the sub-folder) */
    char **file_writer[PREP_MAX_SOURCES]; /* and their writer, or NULL */
    int n_files[PREP_MAX_SOURCES];
    prep_item *items; /* every sample of every source */
    int n_items, cap_items;
    int skipped_class[PREP_MAX_SOURCES]; /* samples of classes not in [output] classes */
    char class_names[PREP_MAX_CLASSES][PREP_NAME_LEN];
    int n_classes;
} prep_data;

/* Load or list every source and collect its samples with their output
 * class (the class order is set here, see prep_config's classes). */
int prep_sources_load(const prep_config *cfg, prep_data *d, nn_error *err);
void prep_data_free(prep_data *d);

/* A sample's writer key for the split ("" when unknown). */
const char *prep_item_writer(const prep_data *d, const prep_item *it);

/* A sample's ink (nn_glyph_ink of its binarised image): read once, drawn
 * for the sample and each of its distorted copies. NN_E_FORMAT: not a
 * glyph (no ink, an unreadable image). */
int prep_ink(const prep_config *cfg, const prep_data *d, const prep_item *it, PIX **ink,
             nn_error *err);
/* Draw item (as it is, or distorted when it->augment) from its ink as a
 * glyph of cfg->glyph.size^2 bytes (ink 255). */
int prep_draw(const prep_config *cfg, PIX *ink, const prep_item *it, uint8_t *out, nn_error *err);

/* ---- photos (prep_photos.c) ------------------------------------------------- */

/* The whole of `nntrain prep` for a photos source: splits from its .mat
 * file, every image decoded, resized, centre-cropped (in parallel), one
 * .h5 file with uint8 [N, 3, size, size] per split, a summary to out. */
int prep_photos_run(const prep_config *cfg, FILE *out, nn_error *err);

/* Image number `number` of s as 3 x size x size bytes (planar RGB) in out:
 * read, checked (a JPEG or PNG with 3 channels: greyscale, CMYK, damaged
 * and truncated files are refused naming the file), turned upright by its
 * EXIF orientation, scaled so its shorter side is resize (area mapping),
 * and its centre size x size square kept. */
int prep_photo_read(const char *path, int resize, int size, uint8_t *out, nn_error *err);

/* ---- split, balance, augment ---------------------------------------------------- */

/* Give every item its split: forced by its source, else by a hash of
 * (seed, source, writer) when the writer is known (all of one writer's
 * samples go to one split), else of (seed, source, sample). */
void prep_assign_splits(const prep_config *cfg, prep_data *d);

/* The items to write for split s: training classes brought to per_class
 * (random subset, or every sample plus distorted copies), evaluation
 * classes capped at eval_per_class; in a seeded random order. *out is
 * malloc'ed; *shortfall counts the classes left under per_class because of
 * augment_max. */
int prep_select(const prep_config *cfg, const prep_data *d, int s, prep_item **out, int *n,
                int *shortfall, nn_error *err);

/* Distort mask (1 bpp) for copy `copy` of the sample with identity id:
 * rotation, shear, aspect and a stroke-width factor (*stroke_scale), all
 * drawn from (seed, id, copy). Returns a new image or NULL. */
PIX *prep_augment(const prep_config *cfg, PIX *mask, uint64_t id, uint32_t copy,
                  double *stroke_scale);

/* splitmix64 step and a uniform double in [0, 1) from it. */
uint64_t prep_mix(uint64_t *state);
double prep_uniform(uint64_t *state);
/* FNV-1a hash of a string, folded with seed. */
uint64_t prep_hash(uint64_t seed, const char *s);

#endif
