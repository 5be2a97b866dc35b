/* The prep config: an INI file (read with inih) with an [output] section
 * and one section per source. A key table drives parsing, defaults,
 * checks and the reference in docs/ocr.md. Every error is
 * "file:line: message" (or "--set arg: message") with NN_E_CONFIG. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/prep/prep_internal.h"

typedef enum { K_INT, K_U64, K_FLOAT, K_BOOL, K_ENUM, K_TEXT, K_OUTPATH, K_FILE, K_DIR,
               K_NAMES, K_REGEX } key_type;

typedef struct key_spec {
    int source;              /* 0: [output], 1: a source section */
    const char *key;
    key_type type;
    size_t offset, size;     /* in prep_config or prep_source */
    const char *const *choices; /* K_ENUM, indexed by value; values may start at -1 (see base) */
    int base;                /* value of choices[0] */
    double lo, hi;           /* range (inclusive) for numbers */
    const char *def;         /* default; NULL: none */
    const char *doc;
} key_spec;

_Static_assert(offsetof(prep_config, n_classes) ==
                   offsetof(prep_config, classes) + sizeof(((prep_config *)0)->classes),
               "K_NAMES: the count follows the names");
_Static_assert(offsetof(prep_source, n_classes) ==
                   offsetof(prep_source, classes) + sizeof(((prep_source *)0)->classes),
               "K_NAMES: the count follows the names");

static const char *const type_names[] = {"idx", "mat", "folder", NULL};
static const char *const ink_names[] = {"auto", "dark", "light", NULL};
static const char *const split_names[] = {"auto", "train", "valid", "test", NULL};

#define O(f) offsetof(prep_config, f), sizeof(((prep_config *)0)->f)
#define G(f) offsetof(prep_config, glyph) + offsetof(nn_glyph_params, f), \
             sizeof(((nn_glyph_params *)0)->f)
#define S(f) offsetof(prep_source, f), sizeof(((prep_source *)0)->f)
#define BIG 1e300

static const key_spec keys[] = {
    {0, "file", K_OUTPATH, O(out), NULL, 0, 0, 0, NULL,
     "the data set file to write (`.h5`; folders are created)"},
    {0, "description", K_TEXT, O(description), NULL, 0, 0, 0, "",
     "one line stored in the file's `description` attribute"},
    {0, "classes", K_NAMES, O(classes), NULL, 0, 0, 0, NULL,
     "output classes in label order, comma-separated; samples of other classes are skipped. "
     "Default: every class the sources have, single letters A-Z first, then digits 0-9 (NIST36's "
     "order), then the rest"},
    {0, "size", K_INT, G(size), NULL, 0, 4, 256, "32", "glyph side in pixels"},
    {0, "supersample", K_INT, G(supersample), NULL, 0, 1, 16, "4",
     "glyphs are drawn this many times larger, then averaged down (anti-aliasing)"},
    {0, "margin", K_FLOAT, G(margin), NULL, 0, 0, 100, "2",
     "empty border around the glyph, in output pixels"},
    {0, "stroke", K_FLOAT, G(stroke), NULL, 0, 0, 0.5, "0.1",
     "redraw every glyph's skeleton with strokes this wide (a fraction of the glyph's longer "
     "side); 0 keeps the strokes as written"},
    {0, "valid_fraction", K_FLOAT, O(valid_fraction), NULL, 0, 0, 0.9, "0.1",
     "share of writers (or samples, when writers are unknown) for validation"},
    {0, "test_fraction", K_FLOAT, O(test_fraction), NULL, 0, 0, 0.9, "0.1",
     "share of writers (or samples) for the test split"},
    {0, "seed", K_U64, O(seed), NULL, 0, 0, 0, "1", "seed of the split, the selection and the "
     "distortions"},
    {0, "per_class", K_INT, O(per_class), NULL, 0, 0, 1e7, "0",
     "training samples per class: larger classes are subsampled, smaller ones filled up with "
     "distorted copies (0: keep every sample, no copies)"},
    {0, "eval_per_class", K_INT, O(eval_per_class), NULL, 0, 0, 1e7, "0",
     "at most this many validation and test samples per class (0: all)"},
    {0, "augment_prob", K_FLOAT, O(augment_prob), NULL, 0, 0, 1, "0.5",
     "chance that a kept training sample is distorted too (copies always are)"},
    {0, "augment_max", K_INT, O(augment_max), NULL, 0, 0, 1000, "10",
     "at most this many distorted copies of one sample"},
    {0, "rotate", K_FLOAT, O(rotate), NULL, 0, 0, 45, "10",
     "distortion: rotation up to this many degrees either way"},
    {0, "shear", K_FLOAT, O(shear), NULL, 0, 0, 1, "0.3",
     "distortion: horizontal shear up to this slope either way (slanted writing)"},
    {0, "aspect", K_FLOAT, O(aspect), NULL, 0, 0, 0.9, "0.2",
     "distortion: width scaled by up to 1 +- this"},
    {0, "stroke_jitter", K_FLOAT, O(stroke_jitter), NULL, 0, 0, 2, "0.3",
     "distortion: stroke width multiplied by up to 1 + this, or divided by it"},

    {1, "type", K_ENUM, S(type), type_names, 0, 0, 0, NULL,
     "`idx` (MNIST-style image and label files), `mat` (the homework's .mat files) or `folder` "
     "(one sub-folder per class holding PNG/JPEG images; the sub-folder's name is the class)"},
    {1, "images", K_FILE, S(images), NULL, 0, 0, 0, NULL, "idx: the images file (`.gz` allowed)"},
    {1, "labels", K_FILE, S(labels), NULL, 0, 0, 0, NULL, "idx: the labels file"},
    {1, "path", K_FILE, S(path), NULL, 0, 0, 0, NULL, "mat: the file; folder: the folder"},
    {1, "classes", K_NAMES, S(classes), NULL, 0, 0, 0, NULL,
     "idx, mat: names of labels 0, 1, ... (default: the reader's, `0`..`9` for 10 classes)"},
    {1, "ink", K_ENUM, S(ink), ink_names, 0, 0, 0, "auto",
     "ink darker or lighter than the paper; `auto` decides per image from its border"},
    {1, "split", K_ENUM, S(split), split_names, -1, 0, 0, "auto",
     "`auto`: by writer or at random, per the fractions; `train`, `valid`, `test`: all samples "
     "go there (e.g. MNIST's own test file, whose writers differ from its training file's)"},
    {1, "writer", K_REGEX, S(writer), NULL, 0, 0, 0, NULL,
     "folder: POSIX extended regex on the file name whose first group names the writer, so one "
     "writer's samples stay in one split (e.g. `img[0-9]+-([0-9]+)` for Chars74K)"},
    {1, "transpose", K_BOOL, S(transpose), NULL, 0, 0, 0, "false",
     "idx, mat: transpose each image (EMNIST)"},
};
static const int n_keys = (int)(sizeof keys / sizeof keys[0]);

/* ---- errors ----------------------------------------------------------------- */

typedef struct entry {
    char section[NN_NAME_LEN], key[NN_NAME_LEN];
    char *value;
    int line;
    const char *origin;      /* the --set argument, or NULL */
} entry;

typedef struct parser {
    const char *path, *p;
    int line, code, fail_line;
    entry *e;
    int n, cap;
    struct { char name[NN_NAME_LEN]; int line; } sec[PREP_MAX_SOURCES + 1];
    int n_sec;
    nn_error *err;
} parser;

static int fail_at(parser *ps, int line, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(parser *ps, int line, const char *origin, const char *fmt, ...)
{
    char msg[NN_ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ps->code = NN_E_CONFIG;
    ps->fail_line = line;
    if (origin)
        return nn_fail(ps->err, NN_E_CONFIG, "--set %s: %s", origin, msg);
    if (line > 0)
        return nn_fail(ps->err, NN_E_CONFIG, "%s:%d: %s", ps->path, line, msg);
    return nn_fail(ps->err, NN_E_CONFIG, "%s: %s", ps->path, msg);
}

/* ---- reading ----------------------------------------------------------------- */

static int add_entry(parser *ps, const char *section, const char *key, const char *value,
                     int line, const char *origin)
{
    for (int i = 0; i < ps->n; i++)
        if (!strcmp(ps->e[i].section, section) && !strcmp(ps->e[i].key, key)) {
            if (!origin)
                return fail_at(ps, line, NULL, "[%s] %s is given twice (first at line %d)",
                               section, key, ps->e[i].line);
            char *v = strdup(value);
            if (!v)
                return fail_at(ps, line, origin, "out of memory");
            free(ps->e[i].value);
            ps->e[i].value = v;
            ps->e[i].origin = origin;
            return NN_OK;
        }
    if (ps->n == ps->cap) {
        int cap = ps->cap ? 2 * ps->cap : 32;
        entry *e = realloc(ps->e, (size_t)cap * sizeof *e);
        if (!e)
            return fail_at(ps, line, origin, "out of memory");
        ps->e = e;
        ps->cap = cap;
    }
    entry *e = &ps->e[ps->n];
    memset(e, 0, sizeof *e);
    snprintf(e->section, sizeof e->section, "%s", section);
    snprintf(e->key, sizeof e->key, "%s", key);
    e->line = line;
    e->origin = origin;
    if (!(e->value = strdup(value)))
        return fail_at(ps, line, origin, "out of memory");
    ps->n++;
    return NN_OK;
}

static int add_section(parser *ps, const char *name, int line)
{
    for (int i = 0; i < ps->n_sec; i++)
        if (!strcmp(ps->sec[i].name, name))
            return fail_at(ps, line, NULL, "duplicate section [%s], first at line %d", name,
                           ps->sec[i].line);
    if (ps->n_sec == PREP_MAX_SOURCES + 1)
        return fail_at(ps, line, NULL, "too many sections (at most %d sources)",
                       PREP_MAX_SOURCES);
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
            return fail_at(ps, line, NULL, "section name '%s' may contain only letters, digits, "
                           "'_' and '-'", name);
    snprintf(ps->sec[ps->n_sec].name, NN_NAME_LEN, "%s", name);
    ps->sec[ps->n_sec++].line = line;
    return NN_OK;
}

/* inih's line reader over the text: counts lines so errors can name them,
 * and drops leading blanks (no continuation lines). */
static char *reader(char *str, int num, void *stream)
{
    parser *ps = stream;
    if (ps->code || !*ps->p)
        return NULL;
    const char *s = ps->p, *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    ps->p = nl ? nl + 1 : s + len;
    ps->line++;
    if (len && s[len - 1] == '\r')
        len--;
    if ((int)len > num - 3) {
        fail_at(ps, ps->line, NULL, "line too long (%zu characters; at most %d)", len, num - 3);
        return NULL;
    }
    while (len && isspace((unsigned char)*s))
        s++, len--;
    if (len && *s == '[') { /* note headers here: inih does not say their lines */
        const char *close = memchr(s, ']', len);
        char name[NN_NAME_LEN];
        size_t n = close ? (size_t)(close - s - 1) : 0;
        if (!close || n == 0 || n >= 50) { /* inih keeps 49 characters of a name */
            fail_at(ps, ps->line, NULL, "bad section header '%.*s' (write [name], at most %d "
                    "characters)", (int)(len > 80 ? 80 : len), s, 49);
            return NULL;
        }
        memcpy(name, s + 1, n);
        name[n] = '\0';
        if (add_section(ps, name, ps->line))
            return NULL;
    }
    memcpy(str, s, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parser *ps = user;
    if (ps->code)
        return 0;
    if (!name) /* a section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
        return 1;
    if (!section[0]) {
        fail_at(ps, ps->line, NULL, "'%s' comes before any section; put it under [output] or "
                "a source section", name);
        return 0;
    }
    /* inih strips "; comment"; strip "# comment" after a blank too. */
    char v[1024];
    snprintf(v, sizeof v, "%s", value);
    for (size_t i = 1; v[i]; i++)
        if (v[i] == '#' && isspace((unsigned char)v[i - 1])) {
            v[i] = '\0';
            break;
        }
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1]))
        v[--n] = '\0';
    return add_entry(ps, section, name, v, ps->line, NULL) == NN_OK;
}

/* ---- values ------------------------------------------------------------------- */

/* value with ${NAME} replaced from the environment, into out [len]. */
static int expand(parser *ps, const entry *e, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = e->value; *p;) {
        if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p, '}');
            char var[128];
            size_t n = close ? (size_t)(close - p - 2) : 0;
            if (!close || n == 0 || n >= sizeof var)
                return fail_at(ps, e->line, e->origin, "[%s] %s = %s: bad variable reference "
                               "(write ${NAME})", e->section, e->key, e->value);
            memcpy(var, p + 2, n);
            var[n] = '\0';
            const char *v = getenv(var);
            if (!v || !*v)
                return fail_at(ps, e->line, e->origin, "[%s] %s: %s is %s; export it to point "
                               "at your data folder", e->section, e->key, var,
                               v ? "empty" : "not set");
            size_t vl = strlen(v);
            if (o + vl >= len)
                return fail_at(ps, e->line, e->origin, "[%s] %s: value too long", e->section,
                               e->key);
            memcpy(out + o, v, vl);
            o += vl;
            p = close + 1;
        } else {
            if (o + 1 >= len)
                return fail_at(ps, e->line, e->origin, "[%s] %s: value too long", e->section,
                               e->key);
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return NN_OK;
}

/* Comma-separated names into names [PREP_MAX_CLASSES][PREP_NAME_LEN]. */
static int parse_names(const char *v, char (*names)[PREP_NAME_LEN], int *count, char *why,
                       size_t wlen)
{
    *count = 0;
    const char *p = v;
    while (1) {
        while (isspace((unsigned char)*p))
            p++;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        if (n == 0 || n >= PREP_NAME_LEN)
            return snprintf(why, wlen, "name %d is %s (1 to %d characters)", *count + 1,
                            n ? "too long" : "empty", PREP_NAME_LEN - 1), -1;
        if (*count == PREP_MAX_CLASSES)
            return snprintf(why, wlen, "more than %d names", PREP_MAX_CLASSES), -1;
        for (int i = 0; i < *count; i++)
            if (strlen(names[i]) == n && !memcmp(names[i], p, n))
                return snprintf(why, wlen, "'%.*s' is named twice", (int)n, p), -1;
        memcpy(names[*count], p, n);
        names[(*count)++][n] = '\0';
        if (!end)
            return 0;
        p = end + 1;
    }
}

static int convert(const key_spec *k, const char *v, void *base, char *why, size_t wlen)
{
    char *end = NULL, *field = (char *)base + k->offset;
    errno = 0;
    switch (k->type) {
    case K_INT: {
        long x = strtol(v, &end, 10);
        if (*end || errno || x < k->lo || x > k->hi)
            return snprintf(why, wlen, "must be an integer from %g to %g", k->lo, k->hi), -1;
        *(int *)field = (int)x;
        return 0;
    }
    case K_U64: {
        if (*v == '-')
            return snprintf(why, wlen, "must be an unsigned integer"), -1;
        unsigned long long x = strtoull(v, &end, 10);
        if (*end || errno)
            return snprintf(why, wlen, "must be an unsigned integer"), -1;
        *(uint64_t *)field = x;
        return 0;
    }
    case K_FLOAT: {
        double x = strtod(v, &end);
        if (*end || errno || !isfinite(x) || x < k->lo || x > k->hi)
            return snprintf(why, wlen, "must be a number from %g to %g", k->lo, k->hi), -1;
        *(double *)field = x;
        return 0;
    }
    case K_BOOL:
        if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
            *(int *)field = 1;
        else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"))
            *(int *)field = 0;
        else
            return snprintf(why, wlen, "must be true or false"), -1;
        return 0;
    case K_ENUM:
        for (int i = 0; k->choices[i]; i++)
            if (!strcmp(v, k->choices[i])) {
                *(int *)field = k->base + i;
                return 0;
            }
        {
            size_t o = (size_t)snprintf(why, wlen, "must be one of");
            for (int i = 0; k->choices[i] && o < wlen; i++)
                o += (size_t)snprintf(why + o, wlen - o, "%s %s", i ? "," : "", k->choices[i]);
        }
        return -1;
    case K_NAMES: {
        /* the count field follows the names array in both structs */
        int *count = (int *)(field + k->size);
        return parse_names(v, (char (*)[PREP_NAME_LEN])field, count, why, wlen);
    }
    case K_FILE:
    case K_DIR: {
        struct stat st;
        if (stat(v, &st) != 0)
            return snprintf(why, wlen, "%s", strerror(errno)), -1;
        /* (whether a path must be a file or a folder depends on the type) */
    }
        /* fall through */
    default:
        if (strlen(v) >= k->size)
            return snprintf(why, wlen, "too long (at most %zu characters)", k->size - 1), -1;
        memcpy(field, v, strlen(v) + 1);
        return 0;
    }
}

static const key_spec *find_key(int source, const char *key)
{
    for (int i = 0; i < n_keys; i++)
        if (keys[i].source == source && !strcmp(keys[i].key, key))
            return &keys[i];
    return NULL;
}

static int apply_defaults(int source, void *base)
{
    char why[256];
    for (int i = 0; i < n_keys; i++)
        if (keys[i].source == source && keys[i].def && convert(&keys[i], keys[i].def, base, why,
                                                                sizeof why))
            return -1;
    return 0;
}

static const entry *find_entry(const parser *ps, const char *section, const char *key)
{
    for (int i = 0; i < ps->n; i++)
        if (!strcmp(ps->e[i].section, section) && !strcmp(ps->e[i].key, key))
            return &ps->e[i];
    return NULL;
}

/* Every entry of one section through the table into base. */
static int interpret_section(parser *ps, const char *name, int source, void *base)
{
    for (int i = 0; i < ps->n; i++) {
        const entry *e = &ps->e[i];
        if (strcmp(e->section, name))
            continue;
        const key_spec *k = find_key(source, e->key);
        if (!k) {
            if (find_key(!source, e->key))
                return fail_at(ps, e->line, e->origin, "unknown key '%s' in [%s]: it is a key "
                               "of %s", e->key, name, source ? "[output]" : "source sections");
            return fail_at(ps, e->line, e->origin, "unknown key '%s' in [%s] (docs/ocr.md lists "
                           "the keys)", e->key, name);
        }
        char v[NN_PATH_LEN], why[512];
        int rc = expand(ps, e, v, sizeof v);
        if (rc)
            return rc;
        if (!v[0])
            return fail_at(ps, e->line, e->origin, "[%s] %s has no value", name, e->key);
        if (convert(k, v, base, why, sizeof why))
            return fail_at(ps, e->line, e->origin, "[%s] %s = %s: %s", name, e->key, v, why);
    }
    return NN_OK;
}

/* ---- cross-checks -------------------------------------------------------------- */

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int check_source(parser *ps, prep_source *s)
{
    const entry *te = find_entry(ps, s->name, "type");
    if (!te)
        return fail_at(ps, s->line, NULL, "source [%s] has no 'type =' (idx, mat or folder)",
                       s->name);
    static const char *const needs[3][2] = {{"images", "labels"}, {"path", NULL},
                                            {"path", NULL}};
    for (int i = 0; i < 2; i++)
        if (needs[s->type][i] && !find_entry(ps, s->name, needs[s->type][i]))
            return fail_at(ps, s->line, NULL, "source [%s] (type %s) needs '%s ='", s->name,
                           type_names[s->type], needs[s->type][i]);
    static const char *const only[][2] = {{"images", "idx"}, {"labels", "idx"},
                                          {"writer", "folder"}, {"transpose", "idx or mat"},
                                          {"classes", "idx or mat"}};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
        const entry *e = find_entry(ps, s->name, only[i][0]);
        if (e && !strstr(only[i][1], type_names[s->type]))
            return fail_at(ps, e->line, e->origin, "[%s] %s is for %s sources, and [%s] is a %s "
                           "source", s->name, only[i][0], only[i][1], s->name,
                           type_names[s->type]);
    }
    const entry *pe = find_entry(ps, s->name, "path");
    if (pe && s->type == PREP_FOLDER && !is_dir(s->path))
        return fail_at(ps, pe->line, pe->origin, "[%s] path = %s: not a folder", s->name,
                       s->path);
    if (pe && s->type != PREP_FOLDER && is_dir(s->path))
        return fail_at(ps, pe->line, pe->origin, "[%s] path = %s: a folder, not a file",
                       s->name, s->path);
    const entry *we = find_entry(ps, s->name, "writer");
    if (we) {
        int r = regcomp(&s->writer_re, s->writer, REG_EXTENDED);
        if (r != 0) {
            char msg[256];
            regerror(r, &s->writer_re, msg, sizeof msg);
            return fail_at(ps, we->line, we->origin, "[%s] writer = %s: %s", s->name, s->writer,
                           msg);
        }
        s->has_writer = 1;
        if (s->writer_re.re_nsub < 1)
            return fail_at(ps, we->line, we->origin, "[%s] writer = %s: needs a group "
                           "'(...)' that captures the writer", s->name, s->writer);
    }
    return NN_OK;
}

static int interpret(parser *ps, prep_config *cfg)
{
    if (apply_defaults(0, cfg))
        return fail_at(ps, 0, NULL, "internal error: a default does not convert");
    int have_output = 0, rc = NN_OK;
    for (int i = 0; i < ps->n_sec && !rc; i++) {
        const char *name = ps->sec[i].name;
        if (!strcmp(name, "output")) {
            have_output = 1;
            rc = interpret_section(ps, name, 0, cfg);
            if (!rc && !find_entry(ps, name, "file"))
                rc = fail_at(ps, ps->sec[i].line, NULL, "[output] needs 'file =' (the .h5 file "
                             "to write)");
            continue;
        }
        prep_source *s = &cfg->src[cfg->n_src++];
        snprintf(s->name, sizeof s->name, "%s", name);
        s->line = ps->sec[i].line;
        if (apply_defaults(1, s))
            return fail_at(ps, 0, NULL, "internal error: a default does not convert");
        rc = interpret_section(ps, name, 1, s);
        if (!rc)
            rc = check_source(ps, s);
    }
    if (rc)
        return rc;
    if (!have_output)
        return fail_at(ps, 0, NULL, "no [output] section: name the file to write with [output] "
                       "file = ...");
    if (cfg->n_src == 0)
        return fail_at(ps, 0, NULL, "no sources: add a section per source, e.g. [mnist] with "
                       "type = idx, images = ..., labels = ...");
    if (cfg->valid_fraction + cfg->test_fraction >= 1) {
        const entry *e = find_entry(ps, "output", "test_fraction");
        return fail_at(ps, e ? e->line : 0, e ? e->origin : NULL, "valid_fraction + "
                       "test_fraction = %g leaves nothing to train on",
                       cfg->valid_fraction + cfg->test_fraction);
    }
    nn_error gerr;
    if (nn_glyph_params_check(&cfg->glyph, &gerr)) {
        const entry *e = find_entry(ps, "output", "margin");
        return fail_at(ps, e ? e->line : 0, e ? e->origin : NULL, "%s", gerr.msg);
    }
    return NN_OK;
}

/* "section.key=value" from the command line. */
static int apply_override(parser *ps, const char *arg)
{
    const char *eq = strchr(arg, '='), *dot = eq ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
    if (!dot || dot == arg || eq == dot + 1)
        return fail_at(ps, 0, arg, "expected section.key=value (e.g. output.per_class=500)");
    char sec[NN_NAME_LEN], key[NN_NAME_LEN];
    snprintf(sec, sizeof sec, "%.*s", (int)(dot - arg), arg);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    int known = 0;
    for (int i = 0; i < ps->n_sec; i++)
        known |= !strcmp(ps->sec[i].name, sec);
    if (!known)
        return fail_at(ps, 0, arg, "no section [%s] in %s", sec, ps->path);
    return add_entry(ps, sec, key, eq + 1, 0, arg);
}

int prep_config_parse(prep_config *cfg, const char *path, const char *text,
                      const char *const *overrides, int n_overrides, nn_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    parser ps = {.path = cfg->path, .p = text, .err = err};
    int r = ini_parse_stream(reader, &ps, handler, &ps);
    int rc = ps.code;
    if (!rc && r > 0)
        rc = fail_at(&ps, r, NULL, "syntax error: expected 'key = value', '[section]' or a "
                     "comment");
    else if (!rc && r < 0)
        rc = fail_at(&ps, 0, NULL, "cannot parse (inih error %d)", r);
    for (int i = 0; !rc && i < n_overrides; i++)
        rc = apply_override(&ps, overrides[i]);
    if (!rc)
        rc = interpret(&ps, cfg);
    for (int i = 0; i < ps.n; i++)
        free(ps.e[i].value);
    free(ps.e);
    if (!rc && !(cfg->text = strdup(text)))
        rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory", path);
    if (rc)
        prep_config_free(cfg);
    return rc;
}

void prep_config_free(prep_config *cfg)
{
    for (int i = 0; i < cfg->n_src; i++)
        if (cfg->src[i].has_writer) {
            regfree(&cfg->src[i].writer_re);
            cfg->src[i].has_writer = 0;
        }
    free(cfg->text);
    cfg->text = NULL;
}

/* ---- reference ------------------------------------------------------------------- */

static void put_table(char *buf, size_t len, size_t *o, int source)
{
    *o += (size_t)snprintf(buf + *o, len - *o, "| key | default | meaning |\n|---|---|---|\n");
    for (int i = 0; i < n_keys && *o < len; i++) {
        if (keys[i].source != source)
            continue;
        const char *def = keys[i].def ? keys[i].def : (source || strcmp(keys[i].key, "file")) ?
                          "none" : "**required**";
        if (source && (!strcmp(keys[i].key, "type")))
            def = "**required**";
        *o += (size_t)snprintf(buf + *o, len - *o, "| `%s` | %s%s%s | %s |\n", keys[i].key,
                               keys[i].def && keys[i].def[0] ? "`" : "",
                               keys[i].def && !keys[i].def[0] ? "empty" : def,
                               keys[i].def && keys[i].def[0] ? "`" : "", keys[i].doc);
    }
}

const char *nn_prep_reference(void)
{
    return prep_config_reference();
}

const char *prep_config_reference(void)
{
    static char buf[16384];
    if (buf[0])
        return buf;
    size_t o = 0;
    o += (size_t)snprintf(buf + o, sizeof buf - o, "### [output]\n\n");
    put_table(buf, sizeof buf, &o, 0);
    o += (size_t)snprintf(buf + o, sizeof buf - o, "\n### Source sections (any other name)\n\n");
    put_table(buf, sizeof buf, &o, 1);
    return buf;
}
