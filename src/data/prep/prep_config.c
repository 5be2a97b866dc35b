/* The prep config: an INI file with an [output] section and one section per
 * source, read by the INI engine (io/ini.c) through the key table below,
 * which also makes the reference in docs/ocr.md. Here: the checks between
 * keys (what each type of source needs and allows, the split fractions, the
 * glyph parameters). Every error is "file:line: message" (or "--set arg:
 * message") with NN_E_CONFIG. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/prep/prep_internal.h"
#include "io/ini.h"

_Static_assert(PREP_NAME_LEN == NN_INI_NAME_LEN, "class names are NN_KEY_NAMES lists");

#define OUTPUT "output"
#define SOURCE "source"

static const char *const type_names[] = { "idx", "mat", "folder", "photos", NULL };
static const char *const ink_names[] = { "auto", "dark", "light", NULL };
static const char *const split_names[] = { "auto", "train", "valid", "test", NULL };

#define O(f) NN_FIELD(prep_config, f)
#define G(f) \
    offsetof(prep_config, glyph) + offsetof(nn_glyph_params, f), sizeof(((nn_glyph_params *)0)->f)
#define S(f)     NN_FIELD(prep_source, f)
#define NAMES(T) offsetof(T, classes), PREP_MAX_CLASSES, offsetof(T, n_classes)

static const nn_key_spec keys[] = {
    { OUTPUT, "file", NN_KEY_PATH, O(out), 0, NULL, NN_NO_RANGE, NULL, NULL, 1,
      .doc = "the data set file to write (`.h5`; folders are created)" },
    { OUTPUT, "description", NN_KEY_TEXT, O(description), 0, NULL, NN_NO_RANGE, "", NULL, 0,
      .doc = "one line stored in the file's `description` attribute" },
    { OUTPUT, "classes", NN_KEY_NAMES, NAMES(prep_config), NULL, NN_NO_RANGE, NULL, NULL, 0,
      .doc = "output classes in label order, comma-separated; samples of other classes are "
             "skipped. Default: every class the sources have, single letters A-Z first, then "
             "digits 0-9 (NIST36's order), then the rest" },
    { OUTPUT, "size", NN_KEY_INT, G(size), 0, NULL, NN_IN_CLOSED(4, 256), "32", NULL, 0,
      .doc = "glyph side in pixels (photos: the side of the stored square)" },
    { OUTPUT, "resize", NN_KEY_INT, O(resize), 0, NULL, NN_IN_CLOSED(0, 4096), "0", NULL, 0,
      .doc = "photos: each image is scaled so its shorter side has this many pixels, then its "
             "centre `size` x `size` square is kept (0: `size`)" },
    { OUTPUT, "supersample", NN_KEY_INT, G(supersample), 0, NULL, NN_IN_CLOSED(1, 16), "4", NULL, 0,
      .doc = "glyphs are drawn this many times larger, then averaged down (anti-aliasing)" },
    { OUTPUT, "margin", NN_KEY_FLOAT, G(margin), 0, NULL, NN_IN_CLOSED(0, 100), "2", NULL, 0,
      .doc = "empty border around the glyph, in output pixels" },
    { OUTPUT, "stroke", NN_KEY_FLOAT, G(stroke), 0, NULL, NN_IN_CLOSED(0, 0.5), "0.1", NULL, 0,
      .doc = "redraw every glyph's skeleton with strokes this wide (a fraction of the glyph's "
             "longer side); 0 keeps the strokes as written" },
    { OUTPUT, "valid_fraction", NN_KEY_FLOAT, O(valid_fraction), 0, NULL, NN_IN_CLOSED(0, 0.9),
      "0.1", NULL, 0,
      .doc = "share of writers (or samples, when writers are unknown) for "
             "validation" },
    { OUTPUT, "test_fraction", NN_KEY_FLOAT, O(test_fraction), 0, NULL, NN_IN_CLOSED(0, 0.9), "0.1",
      NULL, 0, .doc = "share of writers (or samples) for the test split" },
    { OUTPUT, "seed", NN_KEY_U64, O(seed), 0, NULL, NN_NO_RANGE, "1", NULL, 0,
      .doc = "seed of the split, the selection and the distortions" },
    { OUTPUT, "per_class", NN_KEY_INT, O(per_class), 0, NULL, NN_IN_CLOSED(0, 1e7), "0", NULL, 0,
      .doc = "training samples per class: larger classes are subsampled, smaller ones filled up "
             "with distorted copies (0: keep every sample, no copies)" },
    { OUTPUT, "eval_per_class", NN_KEY_INT, O(eval_per_class), 0, NULL, NN_IN_CLOSED(0, 1e7), "0",
      NULL, 0, .doc = "at most this many validation and test samples per class (0: all)" },
    { OUTPUT, "augment_prob", NN_KEY_FLOAT, O(augment_prob), 0, NULL, NN_IN_CLOSED(0, 1), "0.5",
      NULL, 0, .doc = "chance that a kept training sample is distorted too (copies always are)" },
    { OUTPUT, "augment_max", NN_KEY_INT, O(augment_max), 0, NULL, NN_IN_CLOSED(0, 1000), "10", NULL,
      0, .doc = "at most this many distorted copies of one sample" },
    { OUTPUT, "rotate", NN_KEY_FLOAT, O(rotate), 0, NULL, NN_IN_CLOSED(0, 45), "10", NULL, 0,
      .doc = "distortion: rotation up to this many degrees either way" },
    { OUTPUT, "shear", NN_KEY_FLOAT, O(shear), 0, NULL, NN_IN_CLOSED(0, 1), "0.3", NULL, 0,
      .doc = "distortion: horizontal shear up to this slope either way (slanted writing)" },
    { OUTPUT, "aspect", NN_KEY_FLOAT, O(aspect), 0, NULL, NN_IN_CLOSED(0, 0.9), "0.2", NULL, 0,
      .doc = "distortion: width scaled by up to 1 +- this" },
    { OUTPUT, "stroke_jitter", NN_KEY_FLOAT, O(stroke_jitter), 0, NULL, NN_IN_CLOSED(0, 2), "0.3",
      NULL, 0, .doc = "distortion: stroke width multiplied by up to 1 + this, or divided by it" },

    { SOURCE, "type", NN_KEY_ENUM, S(type), 0, type_names, NN_NO_RANGE, NULL, NULL, 1,
      .doc = "`idx` (MNIST-style image and label files), `mat` (MATLAB files like NIST36's), "
             "`folder` (one sub-folder per class holding PNG/JPEG images; the sub-folder's name "
             "is the class) or `photos` (numbered colour images, label = (number - 1) / "
             "`class_size`, splits from a .mat file like Flowers17's `datasplits.mat`; "
             "stored as RGB, the config's only source)" },
    { SOURCE, "images", NN_KEY_DATAFILE, S(images), 0, NULL, NN_NO_RANGE, NULL, NULL, 0,
      .doc = "idx: the images file (`.gz` allowed)" },
    { SOURCE, "labels", NN_KEY_DATAFILE, S(labels), 0, NULL, NN_NO_RANGE, NULL, NULL, 0,
      .doc = "idx: the labels file" },
    { SOURCE, "path", NN_KEY_INPATH, S(path), 0, NULL, NN_NO_RANGE, NULL, NULL, 0,
      .doc = "mat: the file; folder, photos: the folder" },
    { SOURCE, "splits", NN_KEY_DATAFILE, S(splits), 0, NULL, NN_NO_RANGE, NULL, NULL, 0,
      .doc = "photos: MATLAB file whose vectors trnK, valK and tstK list the 1-based image "
             "numbers of split K's training, validation and test images" },
    { SOURCE, "split_index", NN_KEY_INT, S(split_index), 0, NULL, NN_IN_CLOSED(1, 99), "1", NULL, 0,
      .doc = "photos: K, which of the file's splits to use" },
    { SOURCE, "class_size", NN_KEY_INT, S(class_size), 0, NULL, NN_IN_CLOSED(1, 1e7), "80", NULL, 0,
      .doc = "photos: images per class; images are sorted by class, so image n has label (n - "
             "1) / class_size" },
    { SOURCE, "pattern", NN_KEY_TEXT, S(pattern), 0, NULL, NN_NO_RANGE, "image_%04d.jpg", NULL, 0,
      .doc = "photos: file name of image number n, with one printf integer conversion (`%d`, "
             "`%04d`)",
      .what = "file name pattern" },
    { SOURCE, "classes", NN_KEY_NAMES, NAMES(prep_source), NULL, NN_NO_RANGE, NULL, NULL, 0,
      .doc = "idx, mat, photos: names of labels 0, 1, ... (default: the reader's, `0`..`9` for "
             "10 classes; photos: label numbers)" },
    { SOURCE, "ink", NN_KEY_ENUM, S(ink), 0, ink_names, NN_NO_RANGE, "auto", NULL, 0,
      .doc = "ink darker or lighter than the paper; `auto` decides per image from its border" },
    { SOURCE, "split", NN_KEY_ENUM, S(split), 0, split_names, NN_NO_RANGE, "auto", NULL, 0,
      .doc = "`auto`: by writer or at random, per the fractions; `train`, `valid`, `test`: all "
             "samples go there (e.g. MNIST's own test file, whose writers differ from its "
             "training file's)",
      .first = PREP_SPLIT_AUTO },
    { SOURCE, "writer", NN_KEY_TEXT, S(writer), 0, NULL, NN_NO_RANGE, NULL, NULL, 0,
      .doc = "folder: POSIX extended regex on the file name whose first group names the writer, "
             "so one writer's samples stay in one split (e.g. `img[0-9]+-([0-9]+)` for Chars74K)",
      .what = "regular expression" },
    { SOURCE, "transpose", NN_KEY_BOOL, S(transpose), 0, NULL, NN_NO_RANGE, "false", NULL, 0,
      .doc = "idx, mat: transpose each image (EMNIST)" },
};

static const char *const fixed_sections[] = { OUTPUT, NULL };

static const char *scope_noun(const char *scope, char *buf, size_t n)
{
    snprintf(buf, n, "%s", strcmp(scope, OUTPUT) == 0 ? "[output]" : "source sections");
    return buf;
}

static const nn_ini_rules rules = {
    .keys = keys,
    .n_keys = (int)(sizeof keys / sizeof keys[0]),
    .fixed = fixed_sections,
    .max_others = PREP_MAX_SOURCES,
    .others = "sources",
    .no_first = "no [output] section: name the file to write with [output] file = ...",
    .no_others = "no sources: add a section per source, e.g. [mnist] with type = idx, "
                 "images = ..., labels = ...",
    .before_any = "[output] or a source section",
    .keys_doc = "docs/ocr.md",
    .set_example = "output.per_class=500",
    .set_note = "--set can change sources, not add them",
    .scope_noun = scope_noun,
};

/* ---- checks between keys ---------------------------------------------------- */

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* How many positions pattern (a POSIX extended regex) grows to when its
 * repeats are unrolled, as regcomp does: x+ is x x*, x{m,n} is n copies
 * (stacked or nested repeats multiply). glibc's regcomp takes seconds to
 * minutes beyond a few thousand (found by tests/fuzz/fuzz_prep_config with
 * w+++++...), so a writer pattern must stay under REGEX_MAX_SIZE. */
#define REGEX_MAX_SIZE 1000

/* The ']' that closes the bracket expression at p ("[^]a-z[:digit:]]"), or
 * the last character when it is not closed. */
static const char *bracket_end(const char *p)
{
    const char *q = p + 1 + (p[1] == '^');
    q += *q == ']'; /* a leading ']' is a member */
    while (*q && *q != ']') {
        const char *close = q[0] == '[' && q[1] && strchr(":.=", q[1]) ? strchr(q + 2, ']') : NULL;
        q = close ? close + 1 : q + 1; /* [:class:], [.coll.], [=equiv=] */
    }
    return *q ? q : q - 1;
}

static double regex_size(const char *p)
{
    double total[64] = { 0 }, last[64] = { 0 }; /* per open group: done so far, the last atom */
    int depth = 0;
    for (; *p; p++) {
        double *t = &total[depth], *l = &last[depth];
        if (*p == '*' || *p == '?' || *p == '+' || *p == '{') {
            double n = *p == '+' ? 2 : 1;
            if (*p == '{') {
                char *end;
                long m = strtol(p + 1, &end, 10), hi = m;
                if (*end == ',')
                    hi = end[1] == '}' ? m + 1 : strtol(end + 1, &end, 10);
                n = (double)(hi > m ? hi : m > 0 ? m : 0) + 1;
                p = strchr(p, '}') ? strchr(p, '}') : p + strlen(p) - 1;
            }
            *l = *l * n + 1;
            continue;
        }
        *t += *l;
        *l = 1;
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '[') /* a bracket expression is one position */
            p = bracket_end(p);
        else if (*p == '(' && depth < 63) {
            depth++;
            total[depth] = last[depth] = 0;
        } else if (*p == ')' && depth > 0) {
            double inner = total[depth] + last[depth] + 1;
            depth--;
            last[depth] = inner;
        }
        if (total[depth] + last[depth] > REGEX_MAX_SIZE)
            return total[depth] + last[depth];
    }
    double size = 0;
    for (int d = 0; d <= depth; d++)
        size += total[d] + last[d];
    return size;
}

/* A file name pattern with one %d (flags 0 and a width allowed), and no
 * other conversion, so snprintf with one int is safe. */
static int pattern_ok(const char *p)
{
    int conversions = 0;
    for (; *p; p++) {
        if (*p != '%')
            continue;
        p++;
        while (*p == '0')
            p++;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p != 'd')
            return 0;
        conversions++;
    }
    return conversions == 1;
}

/* The keys a type of source needs, the keys only some types allow, and the
 * path (a folder for folder sources, a file for the others). */
static int check_source(nn_ini *ini, const nn_ini_section *sec, prep_source *s)
{
    if (nn_ini_missing(ini, sec, SOURCE)) {
        nn_ini_match m;
        nn_ini_match_init(&m, s->name);
        nn_ini_match_try(&m, OUTPUT);
        const char *best = nn_ini_match_best(&m);
        return nn_ini_fail_line(ini, s->line,
                                "source [%s] has no 'type =' (idx, mat, folder or photos)%s",
                                s->name, best ? " (or did you mean [output]?)" : "");
    }
    static const char *const needs[4][2] = {
        { "images", "labels" }, { "path", NULL }, { "path", NULL }, { "path", "splits" }
    };
    for (int i = 0; i < 2; i++)
        if (needs[s->type][i] && !nn_ini_entry_find(sec, needs[s->type][i]))
            return nn_ini_fail_line(ini, s->line, "source [%s] (type %s) needs '%s ='", s->name,
                                    type_names[s->type], needs[s->type][i]);
    static const char *const only[][2] = { { "images", "idx" },
                                           { "labels", "idx" },
                                           { "writer", "folder" },
                                           { "transpose", "idx or mat" },
                                           { "classes", "idx or mat or photos" },
                                           { "ink", "idx, mat or folder" },
                                           { "split", "idx, mat or folder" },
                                           { "splits", "photos" },
                                           { "split_index", "photos" },
                                           { "class_size", "photos" },
                                           { "pattern", "photos" } };
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
        const nn_ini_entry *e = nn_ini_entry_find(sec, only[i][0]);
        if (e && !strstr(only[i][1], type_names[s->type]))
            return nn_ini_fail_entry(ini, e, "[%s] %s is for %s sources, and [%s] is a %s source",
                                     s->name, only[i][0], only[i][1], s->name, type_names[s->type]);
    }
    const nn_ini_entry *pe = nn_ini_entry_find(sec, "path");
    const int folder = s->type == PREP_FOLDER || s->type == PREP_PHOTOS;
    if (pe && folder && !is_dir(s->path))
        return nn_ini_fail_entry(ini, pe, "[%s] path = %s: not a folder", s->name, s->path);
    if (pe && !folder && is_dir(s->path))
        return nn_ini_fail_entry(ini, pe, "[%s] path = %s: a folder, not a file", s->name, s->path);
    const nn_ini_entry *pat = nn_ini_entry_find(sec, "pattern");
    if (pat && !pattern_ok(s->pattern))
        return nn_ini_fail_entry(ini, pat,
                                 "[%s] pattern = %s: needs exactly one integer conversion such as "
                                 "%%d or %%04d (and no other %%)",
                                 s->name, s->pattern);
    const nn_ini_entry *we = nn_ini_entry_find(sec, "writer");
    if (we && regex_size(s->writer) > REGEX_MAX_SIZE)
        return nn_ini_fail_entry(ini, we,
                                 "[%s] writer = %s: too many repeats (unrolled, the "
                                 "pattern has more than %d positions)",
                                 s->name, s->writer, REGEX_MAX_SIZE);
    if (we) {
        int r = regcomp(&s->writer_re, s->writer, REG_EXTENDED);
        if (r != 0) {
            char msg[256];
            regerror(r, &s->writer_re, msg, sizeof msg);
            return nn_ini_fail_entry(ini, we, "[%s] writer = %s: %s", s->name, s->writer, msg);
        }
        s->has_writer = 1;
        if (s->writer_re.re_nsub < 1)
            return nn_ini_fail_entry(ini, we,
                                     "[%s] writer = %s: needs a group '(...)' that "
                                     "captures the writer",
                                     s->name, s->writer);
    }
    return NN_OK;
}

static int interpret_source(nn_ini *ini, const nn_ini_section *sec, prep_source *s)
{
    snprintf(s->name, sizeof s->name, "%s", sec->name);
    s->line = sec->line;
    const char *scope = SOURCE;
    if (nn_ini_defaults(&rules, SOURCE, s))
        return nn_ini_fail_line(ini, 0, "internal error: a default does not convert");
    int rc = nn_ini_apply(ini, sec, &scope, 1, s, "");
    if (!rc)
        rc = nn_ini_check_files(ini, sec, SOURCE, s);
    return rc ? rc : check_source(ini, sec, s);
}

/* The fractions leave a training split, and the glyph parameters fit
 * together; a problem is located at key's line when the file gives it. */
static int check_output(nn_ini *ini, const nn_ini_section *out, prep_config *cfg)
{
    char msg[NN_ERR_MSG_LEN];
    const char *key = "test_fraction";
    nn_error gerr;
    if (cfg->valid_fraction + cfg->test_fraction >= 1)
        snprintf(msg, sizeof msg,
                 "valid_fraction + test_fraction = %g leaves nothing to train "
                 "on",
                 cfg->valid_fraction + cfg->test_fraction);
    else if (nn_glyph_params_check(&cfg->glyph, &gerr))
        snprintf(msg, sizeof msg, "%s", gerr.msg), key = "margin";
    else
        return NN_OK;
    const nn_ini_entry *e = nn_ini_entry_find(out, key);
    return e ? nn_ini_fail_entry(ini, e, "%s", msg) : nn_ini_fail_line(ini, 0, "%s", msg);
}

/* A photos source makes the whole file: its splits come from its .mat
 * file and its images are photos, not glyphs, so it stands alone and the
 * [output] keys of glyphs and random splits do not apply. */
static int check_photos(nn_ini *ini, const nn_ini_section *out, prep_config *cfg)
{
    int photos = -1;
    for (int i = 0; i < cfg->n_src; i++)
        if (cfg->src[i].type == PREP_PHOTOS)
            photos = i;
    const nn_ini_entry *re = nn_ini_entry_find(out, "resize");
    if (photos < 0)
        return re ? nn_ini_fail_entry(ini, re, "[output] resize is for photos sources") : NN_OK;
    if (cfg->n_src > 1)
        return nn_ini_fail_line(ini, cfg->src[photos].line,
                                "source [%s] (type photos) must be the only source: its splits "
                                "come from its own .mat file",
                                cfg->src[photos].name);
    static const char *const glyph_keys[] = { "supersample",    "margin",        "stroke",
                                              "valid_fraction", "test_fraction", "per_class",
                                              "eval_per_class", "augment_prob",  "augment_max",
                                              "rotate",         "shear",         "aspect",
                                              "stroke_jitter",  "seed",          "classes" };
    for (size_t i = 0; i < sizeof glyph_keys / sizeof glyph_keys[0]; i++) {
        const nn_ini_entry *e = nn_ini_entry_find(out, glyph_keys[i]);
        if (e)
            return nn_ini_fail_entry(ini, e,
                                     "[output] %s does not apply to a photos source (glyph "
                                     "drawing and random splits; give class names in [%s])",
                                     glyph_keys[i], cfg->src[photos].name);
    }
    if (cfg->resize == 0)
        cfg->resize = cfg->glyph.size;
    if (cfg->resize < cfg->glyph.size)
        return nn_ini_fail_entry(ini, re,
                                 "[output] resize = %d is smaller than size = %d (the stored "
                                 "square is cut from the resized image)",
                                 cfg->resize, cfg->glyph.size);
    return NN_OK;
}

static int interpret(nn_ini *ini, void *ctx)
{
    prep_config *cfg = ctx;
    if (nn_ini_defaults(&rules, OUTPUT, cfg))
        return nn_ini_fail_line(ini, 0, "internal error: a default does not convert");
    if (ini->n_others && !(cfg->src = calloc((size_t)ini->n_others, sizeof *cfg->src)))
        return nn_fail(ini->err, NN_E_NOMEM, "%s: out of memory", ini->path);
    const nn_ini_section *out = NULL;
    int rc = NN_OK;
    for (int i = 0; i < ini->n_sec && !rc; i++) {
        const nn_ini_section *sec = &ini->sec[i];
        if (!sec->fixed) {
            rc = interpret_source(ini, sec, &cfg->src[cfg->n_src++]);
            continue;
        }
        const char *scope = OUTPUT;
        out = sec;
        rc = nn_ini_apply(ini, sec, &scope, 1, cfg, "");
        const nn_key_spec *k = rc ? NULL : nn_ini_missing(ini, sec, OUTPUT);
        if (k)
            rc = nn_ini_fail_line(ini, sec->line, "[output] needs '%s =': %s", k->key, k->doc);
    }
    if (rc || (rc = nn_ini_check_sections(ini)))
        return rc;
    if ((rc = check_output(ini, out, cfg)))
        return rc;
    return check_photos(ini, out, cfg);
}

int prep_config_parse(prep_config *cfg, const char *path, const char *text,
                      const char *const *overrides, int n_overrides, nn_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    int rc = nn_ini_run(&rules, cfg->path, text, overrides, n_overrides, interpret, cfg, &cfg->text,
                        err);
    if (rc)
        prep_config_free(cfg);
    return rc;
}

void prep_config_free(prep_config *cfg)
{
    for (int i = 0; i < cfg->n_src; i++) {
        if (cfg->src[i].has_writer)
            regfree(&cfg->src[i].writer_re);
        nn_ini_free_values(&rules, SOURCE, &cfg->src[i]);
    }
    nn_ini_free_values(&rules, OUTPUT, cfg);
    free(cfg->src);
    free(cfg->text);
    cfg->src = NULL;
    cfg->n_src = 0;
    cfg->text = NULL;
}

/* ---- reference ------------------------------------------------------------------- */

const char *nn_prep_reference(void) { return prep_config_reference(); }

const char *prep_config_reference(void)
{
    static char buf[16384];
    if (buf[0])
        return buf;
    nn_ini_doc d = { buf, sizeof buf, 0 };
    nn_ini_put(&d, "### [output]\n\n");
    nn_ini_put_table(&d, &rules, OUTPUT);
    nn_ini_put(&d, "\n### Source sections (any other name)\n\n");
    nn_ini_put_table(&d, &rules, SOURCE);
    return buf;
}

void prep_description(const prep_config *cfg, char *desc, size_t size)
{
    if (cfg->description[0])
        snprintf(desc, size, "%s", cfg->description);
    else
        snprintf(desc, size, "made by nntrain prep from %s", cfg->path);
}
