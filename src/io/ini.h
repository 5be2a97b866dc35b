/* The INI engine behind both of nntrain's config files: the training config
 * (src/io/config_*.c) and the data-set config of `nntrain prep`
 * (src/data/prep/prep_config.c). Each client describes its keys in a table
 * of nn_key_spec rows grouped by scope (a kind of section: "train",
 * "conv", "output", "source") and a few rules (nn_ini_rules), then calls
 * nn_ini_run, which reads the text (inih) into sections of raw entries,
 * merges the `--set section.key=value` overrides and hands the sections to
 * the client's interpret function, which goes section by section:
 *
 *   nn_ini_defaults       store the defaults of a scope's keys
 *   nn_ini_apply          every entry of a section through its scopes:
 *                         ${VAR} expansion, conversion, range, did-you-mean
 *   nn_ini_missing        the first required key a section lacks
 *   nn_ini_check_sections the sections every file needs are there
 *   nn_ini_check_files    the input files a section names can be read
 *
 * and nn_ini_put_table writes a scope's keys as a Markdown table for the
 * reference (`nntrain --help-config`, `nntrain prep --help-config`).
 *
 * Every error is "file:line: message", "file: message" or "--set arg:
 * message" with code NN_E_CONFIG (NN_E_NOMEM when out of memory). The
 * engine knows nothing of layers or data sets: the cross-checks between
 * keys stay with the clients. Not thread-safe (a config is read once,
 * from main). */
#ifndef NN_IO_INI_H
#define NN_IO_INI_H

#include <stddef.h>

#include "nn/config.h"
#include "nn/error.h"

#define NN_INI_NAME_LEN 32 /* one name of an NN_KEY_NAMES list, with its NUL */

typedef enum {
    NN_KEY_INT,      /* int */
    NN_KEY_U64,      /* uint64_t */
    NN_KEY_FLOAT,    /* double, finite */
    NN_KEY_BOOL,     /* int: true/false, yes/no, on/off, 1/0 */
    NN_KEY_ENUM,     /* int: `first` + the index of the value in choices[] */
    NN_KEY_WORD,     /* char[size]: one of choice_at(0), choice_at(1), ... (a registry) */
    NN_KEY_TEXT,     /* char[size]: any text; `what` names it in messages */
    NN_KEY_PATH,     /* char[size]: an output path (not checked) */
    NN_KEY_DATAFILE, /* char[size]: an input file (nn_ini_check_files: readable, not a folder) */
    NN_KEY_INPATH,   /* char[size]: an input file or folder (nn_ini_check_files: exists) */
    NN_KEY_NAMES,    /* char (*)[NN_INI_NAME_LEN], malloc'ed: comma-separated names, each
                        once; the int at count_offset counts them, size is the most allowed */
} nn_key_type;

/* Range flags: which of lo/hi bound a number, and whether strictly. */
enum { NN_RANGE_LO = 1, NN_RANGE_LO_OPEN = 2, NN_RANGE_HI = 4, NN_RANGE_HI_OPEN = 8 };

/* For key tables: a field's offset and size, and the range columns. */
#define NN_FIELD(T, f)          offsetof(T, f), sizeof(((T *)0)->f)
#define NN_NO_RANGE             0, 0, 0
#define NN_GE(x)                NN_RANGE_LO, (x), 0                      /* >= x */
#define NN_GT(x)                NN_RANGE_LO_OPEN, (x), 0                 /* > x */
#define NN_IN_CLOSED(a, b)      NN_RANGE_LO | NN_RANGE_HI, (a), (b)      /* [a, b] */
#define NN_IN_CLOSED_OPEN(a, b) NN_RANGE_LO | NN_RANGE_HI_OPEN, (a), (b) /* [a, b) */
#define NN_IN_OPEN_CLOSED(a, b) NN_RANGE_LO_OPEN | NN_RANGE_HI, (a), (b) /* (a, b] */

typedef struct nn_key_spec {
    const char *scope; /* the kind of section the key belongs to */
    const char *key;
    nn_key_type type;
    size_t offset;              /* the field in the scope's struct */
    size_t size;                /* its size (strings), or the most names (NN_KEY_NAMES) */
    size_t count_offset;        /* NN_KEY_NAMES: the int field counting the names */
    const char *const *choices; /* NN_KEY_ENUM: NULL-terminated */
    int range;                  /* NN_RANGE_* */
    double lo, hi;
    const char *def;     /* default, converted like a value ("": empty text); NULL: none */
    const char *def_doc; /* the reference's default column when def is NULL */
    int required;        /* the section must give it (nn_ini_missing) */
    const char *doc;     /* one line for the reference */
    /* rarely needed, set by name: */
    const char *what; /* NN_KEY_TEXT, NN_KEY_WORD: what the value is ("layer type") */
    const char *(*choice_at)(int i); /* NN_KEY_WORD: the i-th allowed value, NULL past the end */
    int first;                       /* NN_KEY_ENUM: the value stored for choices[0] */
} nn_key_spec;

typedef struct nn_ini nn_ini;

/* What a client tells the engine besides its keys. */
typedef struct nn_ini_rules {
    const nn_key_spec *keys;
    int n_keys;
    /* Sections every file of this kind may have, by name ("data", "train"):
     * names are compared case-sensitively (with a hint), --set may add them
     * and did-you-mean offers them. NULL-terminated. Any other section is a
     * numbered thing (a layer, a source): at most max_others of them. */
    const char *const *fixed;
    int max_others;
    const char *others;      /* "layers": for "too many layers (at most 256)" */
    const char *no_first;    /* nn_ini_check_sections: the message when fixed[0] is absent */
    const char *no_others;   /* and when there is no other section */
    const char *before_any;  /* where a key before any section belongs */
    const char *keys_doc;    /* what lists the keys ("nntrain --help-config") */
    const char *set_example; /* a good --set argument ("train.lr=0.1") */
    const char *set_note;    /* after "--set x.k=v: no section [x] in file": why */
    /* A client's own rule on a section name (NULL: none): a message, or NULL. */
    const char *(*bad_section)(const char *name, char *buf, size_t n);
    /* How "it is a key of %s" names a scope ("conv layers"); NULL: it does not. */
    const char *(*scope_noun)(const char *scope, char *buf, size_t n);
} nn_ini_rules;

typedef struct nn_ini_entry {
    char *key;
    char *value;        /* as written: ${VAR} not yet expanded */
    int line;           /* line in the file; 0 when it came from --set */
    const char *origin; /* the --set argument it came from, or NULL */
} nn_ini_entry;

typedef struct nn_ini_section {
    char name[NN_NAME_LEN];
    int line;  /* header line; 0 when --set made the section */
    int fixed; /* one of rules->fixed */
    nn_ini_entry *e;
    int n, cap;
} nn_ini_section;

struct nn_ini {
    const nn_ini_rules *rules;
    const char *path;
    nn_error *err;
    nn_ini_section *sec; /* in file order */
    int n_sec, cap_sec;
    int n_others; /* sections that are not fixed */
    /* the reader's state */
    const char *p;
    int line, max_line, cur, code, fail_line;
};

/* Read text (from path, which must outlive the call) into sections, merge
 * the overrides in order ("section.key=value": replaces the file's value or
 * adds the key), then let the client's interpret(ini, ctx) go through the
 * sections, which are freed after. On success *copy (when copy is not NULL)
 * is a malloc'ed copy of text. */
int nn_ini_run(const nn_ini_rules *rules, const char *path, const char *text,
               const char *const *overrides, int n_overrides,
               int (*interpret)(nn_ini *ini, void *ctx), void *ctx, char **copy, nn_error *err);

nn_ini_section *nn_ini_section_find(const nn_ini *ini, const char *name);
/* NULL when s is NULL or has no such key. */
const nn_ini_entry *nn_ini_entry_find(const nn_ini_section *s, const char *key);

/* Errors located at a line ("path:line: ", just "path: " when line is 0)
 * or at an entry (its line, or its --set argument). They return the code. */
int nn_ini_fail_line(nn_ini *ini, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int nn_ini_fail_entry(nn_ini *ini, const nn_ini_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The spec of key in scope, or NULL. */
const nn_key_spec *nn_ini_key(const nn_ini_rules *rules, const char *scope, const char *key);
/* Store the defaults of every key of scope in base. -1 when one does not
 * convert (a bug in the table). */
int nn_ini_defaults(const nn_ini_rules *rules, const char *scope, void *base);
/* Expand, check and store one entry of s through k into base. */
int nn_ini_set(nn_ini *ini, const nn_ini_section *s, const nn_ini_entry *e, const nn_key_spec *k,
               void *base);
/* Every entry of s through the keys of scopes[0..n) into base. An unknown
 * key is reported with the other scope it belongs to when kind is not NULL
 * and rules->scope_noun names that scope ("it is a key of conv layers",
 * then ", and <kind>" unless kind is ""), else with a close key of scopes,
 * else with rules->keys_doc. */
int nn_ini_apply(nn_ini *ini, const nn_ini_section *s, const char *const *scopes, int n, void *base,
                 const char *kind);
/* The file has the section fixed[0] and at least one other ("file: " and
 * rules->no_first or no_others when not). */
int nn_ini_check_sections(nn_ini *ini);
/* The first required key of scope that s does not give, or NULL. */
const nn_key_spec *nn_ini_missing(const nn_ini *ini, const nn_ini_section *s, const char *scope);
/* Every NN_KEY_DATAFILE value of scope in base (from section s) can be
 * read, every NN_KEY_INPATH one exists: else "[s] key = path: why". */
int nn_ini_check_files(nn_ini *ini, const nn_ini_section *s, const char *scope, const void *base);
/* Free what the keys of scope hold on the heap (NN_KEY_NAMES) in base. */
void nn_ini_free_values(const nn_ini_rules *rules, const char *scope, void *base);

/* Convert value through k into base: 0, or -1 with the reason in why. */
int nn_ini_convert(const nn_key_spec *k, const char *value, void *base, char *why, size_t n);
/* The value of k in base as text that converts back to it, into buf [n]:
 * its length, 0 for an unset optional value, -1 when it does not fit. */
int nn_ini_format(const nn_key_spec *k, const void *base, char *buf, size_t n);

/* "Did you mean": feed candidates, get the closest one when it is close
 * to word (case-insensitive edit distance), else NULL. */
typedef struct nn_ini_match {
    const char *word;
    const char *best;
    int dist;
} nn_ini_match;
void nn_ini_match_init(nn_ini_match *m, const char *word);
void nn_ini_match_try(nn_ini_match *m, const char *candidate);
const char *nn_ini_match_best(const nn_ini_match *m);
/* " (did you mean 'x'?)" for the best match, or "", in buf [n]. */
const char *nn_ini_match_hint(const nn_ini_match *m, char *buf, size_t n);

/* Append s [n] to the malloc'ed string *buf (*len characters, *cap bytes),
 * growing it: 0, or -1 when out of memory (*buf is kept). */
int nn_ini_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n);

/* The longest line inih takes (characters, without the line end). */
int nn_ini_max_line(void);

/* A reference being written into a fixed buffer (cut when full). */
typedef struct nn_ini_doc {
    char *buf;
    size_t cap, len;
} nn_ini_doc;
void nn_ini_put(nn_ini_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "| key | type | default | meaning |" and a row per key of scope. */
void nn_ini_put_table(nn_ini_doc *d, const nn_ini_rules *rules, const char *scope);
/* 1 when the table has a key of scope. */
int nn_ini_has_keys(const nn_ini_rules *rules, const char *scope);

#endif
