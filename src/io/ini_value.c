/* The INI engine (see ini.h), values: did-you-mean, converting a value
 * through its key spec (type, range, choices), defaults, writing a value
 * back as text, and the Markdown reference tables. */
#include "io/ini.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nn/core.h"

/* ---- did you mean --------------------------------------------------------- */

void nn_ini_match_init(nn_ini_match *m, const char *word)
{
    m->word = word;
    m->best = NULL;
    m->dist = 1000;
}

void nn_ini_match_try(nn_ini_match *m, const char *candidate)
{
    int d = nn_edit_distance_case(m->word, candidate, 1);
    if (d >= 0 && d < m->dist) {
        m->dist = d;
        m->best = candidate;
    }
}

const char *nn_ini_match_best(const nn_ini_match *m)
{
    size_t n = strlen(m->word);
    int limit = n <= 4 ? 1 : n <= 8 ? 2 : 3;
    return (m->best && m->dist <= limit && (size_t)m->dist < strlen(m->best)) ? m->best : NULL;
}

const char *nn_ini_match_hint(const nn_ini_match *m, char *buf, size_t n)
{
    const char *best = nn_ini_match_best(m);
    if (best)
        snprintf(buf, n, " (did you mean '%s'?)", best);
    else
        buf[0] = '\0';
    return buf;
}

/* ---- conversion ----------------------------------------------------------- */

static int why(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ">= 1", "> 0", "in [0, 1)": the allowed range of k, or "" when unbounded. */
static const char *range_text(const nn_key_spec *k, char *buf, size_t n)
{
    int lo = k->range & (NN_RANGE_LO | NN_RANGE_LO_OPEN);
    int hi = k->range & (NN_RANGE_HI | NN_RANGE_HI_OPEN);
    if (lo && hi)
        snprintf(buf, n, "in %c%.10g, %.10g%c", (k->range & NN_RANGE_LO_OPEN) ? '(' : '[', k->lo,
                 k->hi, (k->range & NN_RANGE_HI_OPEN) ? ')' : ']');
    else if (lo)
        snprintf(buf, n, "%s %.10g", (k->range & NN_RANGE_LO_OPEN) ? ">" : ">=", k->lo);
    else if (hi)
        snprintf(buf, n, "%s %.10g", (k->range & NN_RANGE_HI_OPEN) ? "<" : "<=", k->hi);
    else
        buf[0] = '\0';
    return buf;
}

static int in_range(const nn_key_spec *k, double v)
{
    if ((k->range & NN_RANGE_LO) && !(v >= k->lo))
        return 0;
    if ((k->range & NN_RANGE_LO_OPEN) && !(v > k->lo))
        return 0;
    if ((k->range & NN_RANGE_HI) && !(v <= k->hi))
        return 0;
    if ((k->range & NN_RANGE_HI_OPEN) && !(v < k->hi))
        return 0;
    return 1;
}

static int range_error(const nn_key_spec *k, char *buf, size_t n)
{
    char r[64];
    return why(buf, n, "out of range: must be %s", range_text(k, r, sizeof r));
}

/* The i-th allowed value of an NN_KEY_ENUM or NN_KEY_WORD key, NULL past the end. */
static const char *choice(const nn_key_spec *k, int i)
{
    return k->choice_at ? k->choice_at(i) : k->choices ? k->choices[i] : NULL;
}

/* The choices, each between pre and post, separated by sep (and by last
 * before the last one) into buf [n]. */
static const char *list_choices(const nn_key_spec *k, const char *pre, const char *post,
                                const char *sep, const char *last, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; choice(k, i) && used < n; i++) {
        const char *s = i == 0 ? "" : choice(k, i + 1) ? sep : last;
        int w = snprintf(buf + used, n - used, "%s%s%s%s", s, pre, choice(k, i), post);
        used += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

/* Keys stored as a char [size] string. */
static int is_text(const nn_key_spec *k)
{
    return k->type == NN_KEY_WORD || k->type == NN_KEY_TEXT || k->type == NN_KEY_PATH ||
           k->type == NN_KEY_DATAFILE || k->type == NN_KEY_INPATH;
}

static const char *what(const nn_key_spec *k)
{
    if (k->what)
        return k->what;
    return k->type == NN_KEY_TEXT ? "value" : "path";
}

static int copy_string(const nn_key_spec *k, const char *value, char *dst, char *buf, size_t n)
{
    size_t len = strlen(value);
    if (len >= k->size)
        return why(buf, n, "%s too long (%zu characters; at most %zu)", what(k), len, k->size - 1);
    memcpy(dst, value, len + 1);
    return 0;
}

static int convert_int(const nn_key_spec *k, const char *value, int *dst, char *buf, size_t n)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (end == value || *end != '\0')
        return why(buf, n, "not an integer");
    if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
        return why(buf, n, "integer too large");
    if (!in_range(k, (double)v))
        return range_error(k, buf, n);
    *dst = (int)v;
    return 0;
}

static int convert_u64(const char *value, uint64_t *dst, char *buf, size_t n)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (end == value || *end != '\0' || value[0] == '-' || value[0] == '+')
        return why(buf, n, "not a non-negative integer");
    if (errno == ERANGE)
        return why(buf, n, "integer too large (at most %llu)", (unsigned long long)UINT64_MAX);
    *dst = (uint64_t)v;
    return 0;
}

static int convert_float(const nn_key_spec *k, const char *value, double *dst, char *buf, size_t n)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end != '\0')
        return why(buf, n, "not a number");
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
        return why(buf, n, "not a finite number");
    if (!in_range(k, v))
        return range_error(k, buf, n);
    *dst = v;
    return 0;
}

static int convert_bool(const char *value, int *dst, char *buf, size_t n)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0)
            return *dst = 1, 0;
        if (strcasecmp(value, no[i]) == 0)
            return *dst = 0, 0;
    }
    return why(buf, n, "not a boolean (use true/false, yes/no, on/off or 1/0)");
}

static int convert_enum(const nn_key_spec *k, const char *value, int *dst, char *buf, size_t n)
{
    nn_ini_match m;
    nn_ini_match_init(&m, value);
    for (int i = 0; choice(k, i); i++) {
        if (strcasecmp(value, choice(k, i)) == 0)
            return *dst = k->first + i, 0;
        nn_ini_match_try(&m, choice(k, i));
    }
    char list[256], h[128];
    list_choices(k, "", "", ", ", " or ", list, sizeof list);
    return why(buf, n, "must be %s%s", list, nn_ini_match_hint(&m, h, sizeof h));
}

static int convert_word(const nn_key_spec *k, const char *value, char *dst, char *buf, size_t n)
{
    nn_ini_match m;
    nn_ini_match_init(&m, value);
    for (int i = 0; choice(k, i); i++) {
        if (strcmp(value, choice(k, i)) == 0)
            return copy_string(k, value, dst, buf, n);
        nn_ini_match_try(&m, choice(k, i));
    }
    char list[256];
    list_choices(k, "", "", ", ", ", ", list, sizeof list);
    const char *best = nn_ini_match_best(&m);
    if (best)
        return why(buf, n, "unknown %s (did you mean '%s'? known: %s)", k->what, best, list);
    return why(buf, n, "unknown %s (known: %s)", k->what, list);
}

typedef char nn_ini_name[NN_INI_NAME_LEN];

/* "A, B, C" -> a malloc'ed array of names, each trimmed, non-empty, unique. */
static int convert_names(const nn_key_spec *k, const char *value, void *base, char *buf, size_t n)
{
    int max = (int)k->size, c = 0, cap = 1;
    for (const char *p = value; (p = strchr(p, ',')); p++)
        cap++;
    nn_ini_name *names = calloc((size_t)(cap < max ? cap : max), sizeof *names);
    if (!names)
        return why(buf, n, "out of memory");
    for (const char *p = value;; p++) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *e = end;
        while (e > p && isspace((unsigned char)e[-1]))
            e--;
        size_t len = (size_t)(e - p);
        int bad = 0;
        if (len == 0)
            bad = why(buf, n, "empty name in the list (name %d)", c + 1);
        else if (len >= sizeof names[0])
            bad = why(buf, n, "name '%.*s' is longer than %zu characters", (int)len, p,
                      sizeof names[0] - 1);
        else if (c == max)
            bad = why(buf, n, "more than %d names", max);
        /* ';' and '#' start comments when the list is written back out (the
         * config stored in checkpoints); found by tests/fuzz/fuzz_io_config. */
        else if (memchr(p, '#', len) || memchr(p, ';', len))
            bad = why(buf, n, "name '%.*s' contains '%s'", (int)len, p,
                      memchr(p, '#', len) ? "#" : ";");
        for (int i = 0; !bad && i < c; i++)
            if (strlen(names[i]) == len && memcmp(names[i], p, len) == 0)
                bad = why(buf, n, "name '%s' appears twice", names[i]);
        if (bad) {
            free(names);
            return -1;
        }
        memcpy(names[c], p, len);
        names[c++][len] = '\0';
        if (!comma)
            break;
        p = comma;
    }
    nn_ini_name **field = (nn_ini_name **)(void *)((char *)base + k->offset);
    free(*field);
    *field = names;
    memcpy((char *)base + k->count_offset, &c, sizeof c);
    return 0;
}

int nn_ini_convert(const nn_key_spec *k, const char *value, void *base, char *buf, size_t n)
{
    char *field = (char *)base + k->offset;
    if (value[0] == '\0')
        return why(buf, n, "no value");
    switch (k->type) {
    case NN_KEY_INT: return convert_int(k, value, (int *)(void *)field, buf, n);
    case NN_KEY_U64: return convert_u64(value, (uint64_t *)(void *)field, buf, n);
    case NN_KEY_FLOAT: return convert_float(k, value, (double *)(void *)field, buf, n);
    case NN_KEY_BOOL: return convert_bool(value, (int *)(void *)field, buf, n);
    case NN_KEY_ENUM: {
        int v;
        if (convert_enum(k, value, &v, buf, n))
            return -1;
        memcpy(field, &v, sizeof v); /* enum fields are int-sized (checked by the clients) */
        return 0;
    }
    case NN_KEY_WORD: return convert_word(k, value, field, buf, n);
    case NN_KEY_TEXT:
    case NN_KEY_PATH:
    case NN_KEY_DATAFILE:
    case NN_KEY_INPATH: return copy_string(k, value, field, buf, n);
    case NN_KEY_NAMES: return convert_names(k, value, base, buf, n);
    }
    return why(buf, n, "internal error: unknown key type");
}

int nn_ini_defaults(const nn_ini_rules *rules, const char *scope, void *base)
{
    char buf[256];
    for (int i = 0; i < rules->n_keys; i++) {
        const nn_key_spec *k = &rules->keys[i];
        if (strcmp(k->scope, scope) != 0 || !k->def)
            continue;
        if (k->def[0] == '\0' && is_text(k))
            ((char *)base + k->offset)[0] = '\0'; /* an empty text */
        else if (nn_ini_convert(k, k->def, base, buf, sizeof buf))
            return -1;
    }
    return 0;
}

void nn_ini_free_values(const nn_ini_rules *rules, const char *scope, void *base)
{
    for (int i = 0; i < rules->n_keys; i++) {
        const nn_key_spec *k = &rules->keys[i];
        if (k->type != NN_KEY_NAMES || strcmp(k->scope, scope) != 0)
            continue;
        nn_ini_name **field = (nn_ini_name **)(void *)((char *)base + k->offset);
        free(*field);
        *field = NULL;
        memset((char *)base + k->count_offset, 0, sizeof(int));
    }
}

/* ---- formatting values back ----------------------------------------------- */

int nn_ini_format(const nn_key_spec *k, const void *base, char *buf, size_t n)
{
    const char *field = (const char *)base + k->offset;
    int w = 0;
    switch (k->type) {
    case NN_KEY_INT:
    case NN_KEY_BOOL:
    case NN_KEY_ENUM: {
        int v;
        memcpy(&v, field, sizeof v);
        if (k->type == NN_KEY_BOOL)
            w = snprintf(buf, n, "%s", v ? "true" : "false");
        else if (k->type == NN_KEY_ENUM)
            w = snprintf(buf, n, "%s", choice(k, v - k->first));
        else
            w = snprintf(buf, n, "%d", v);
        break;
    }
    case NN_KEY_U64: {
        uint64_t v;
        memcpy(&v, field, sizeof v);
        w = snprintf(buf, n, "%llu", (unsigned long long)v);
        break;
    }
    case NN_KEY_FLOAT: {
        double v;
        memcpy(&v, field, sizeof v);
        /* the shortest form that reads back as the same double */
        for (int digits = 15; digits <= 17; digits++) {
            w = snprintf(buf, n, "%.*g", digits, v);
            if (w < 0 || (size_t)w >= n || strtod(buf, NULL) == v)
                break;
        }
        break;
    }
    case NN_KEY_WORD:
    case NN_KEY_TEXT:
    case NN_KEY_PATH:
    case NN_KEY_DATAFILE:
    case NN_KEY_INPATH: w = snprintf(buf, n, "%s", field); break;
    case NN_KEY_NAMES: {
        int count;
        memcpy(&count, (const char *)base + k->count_offset, sizeof count);
        const nn_ini_name *names;
        memcpy(&names, field, sizeof names);
        size_t used = 0;
        buf[0] = '\0';
        for (int i = 0; i < count; i++) {
            int c = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
            if (c < 0 || (size_t)c >= n - used)
                return -1;
            used += (size_t)c;
        }
        return (int)used;
    }
    }
    return (w < 0 || (size_t)w >= n) ? -1 : w;
}

/* ---- the reference -------------------------------------------------------- */

void nn_ini_put(nn_ini_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(d->buf + d->len, d->cap - d->len, fmt, ap);
    va_end(ap);
    if (w > 0)
        d->len = d->len + (size_t)w < d->cap ? d->len + (size_t)w : d->cap - 1;
}

/* The reference's type column: "int >= 1", "`sgd`, `adam`", "path". */
static const char *type_text(const nn_key_spec *k, char *buf, size_t n)
{
    static const char *const names[] = { [NN_KEY_INT] = "int",
                                         [NN_KEY_U64] = "unsigned 64-bit int",
                                         [NN_KEY_FLOAT] = "float",
                                         [NN_KEY_BOOL] = "bool",
                                         [NN_KEY_TEXT] = "text",
                                         [NN_KEY_PATH] = "path",
                                         [NN_KEY_DATAFILE] = "path of a readable file",
                                         [NN_KEY_INPATH] = "path of a file or folder",
                                         [NN_KEY_NAMES] = "list of names" };
    if (k->type == NN_KEY_ENUM || k->type == NN_KEY_WORD)
        return list_choices(k, "`", "`", ", ", ", ", buf, n);
    char r[64];
    range_text(k, r, sizeof r);
    snprintf(buf, n, "%s%s%s", k->type == NN_KEY_TEXT && k->what ? k->what : names[k->type],
             r[0] ? " " : "", r);
    return buf;
}

void nn_ini_put_table(nn_ini_doc *d, const nn_ini_rules *rules, const char *scope)
{
    nn_ini_put(d, "| key | type | default | meaning |\n|---|---|---|---|\n");
    for (int i = 0; i < rules->n_keys; i++) {
        const nn_key_spec *k = &rules->keys[i];
        if (strcmp(k->scope, scope) != 0)
            continue;
        char type[256];
        nn_ini_put(d, "| `%s` | %s | ", k->key, type_text(k, type, sizeof type));
        if (k->def && k->def[0])
            nn_ini_put(d, "`%s`", k->def);
        else if (k->def)
            nn_ini_put(d, "empty");
        else if (k->required)
            nn_ini_put(d, "**required**");
        else
            nn_ini_put(d, "%s", k->def_doc ? k->def_doc : "none");
        nn_ini_put(d, " | %s |\n", k->doc);
    }
}

int nn_ini_has_keys(const nn_ini_rules *rules, const char *scope)
{
    for (int i = 0; i < rules->n_keys; i++)
        if (strcmp(rules->keys[i].scope, scope) == 0)
            return 1;
    return 0;
}
