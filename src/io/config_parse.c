/* Reading a config: inih runs over the in-memory text through a reader of
 * our own that counts lines (inih's handler gets no line numbers), checks
 * line lengths and tracks section headers itself (inih merges a repeated
 * section and cuts long names). The raw key/value entries are collected per
 * section, --set overrides are merged in, and only then is each value
 * expanded (${VAR}), converted through the schema (config_schema.c) and
 * cross-checked. Every error is "file:line: message" or "--set arg: message". */
#include "io/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct cfg_entry {
    char *key;
    char *value;         /* as written: ${VAR} not yet expanded */
    int line;            /* line in the file; 0 when it came from an override */
    const char *origin;  /* the --set argument it came from, or NULL */
} cfg_entry;

typedef struct cfg_section {
    char name[NN_NAME_LEN];
    int line;            /* header line; 0 when an override created the section */
    cfg_entry *e;
    int n, cap;
} cfg_section;

typedef struct cfg_parser {
    const char *path;
    const char *p;       /* reader cursor in the text */
    int line;            /* number of the line last handed to inih */
    int max_line;        /* longest line inih can take */
    cfg_section *sec;
    int n_sec, cap_sec, n_layers;
    int cur;             /* section of the current line; -1 before the first header */
    nn_error *err;
    int code;            /* NN_OK, or the code of the error in err */
    int fail_line;       /* line of that error while reading the file */
    int skip_file_checks; /* NN_CONFIG_NO_FILE_CHECK */
    int ignore_init_from; /* NN_CONFIG_NO_INIT_FROM */
} cfg_parser;

/* ---- errors --------------------------------------------------------------- */

static int vfail(cfg_parser *ps, int code, const char *where, const char *fmt, va_list ap)
{
    char msg[NN_ERR_MSG_LEN];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ps->code = code;
    ps->fail_line = ps->line;
    return nn_fail(ps->err, code, "%s: %s", where, msg);
}

/* "path:line: ..." (just "path: ..." when line is 0) */
static int fail_line(cfg_parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_line(cfg_parser *ps, int line, const char *fmt, ...)
{
    char where[NN_PATH_LEN + 16];
    if (line > 0)
        snprintf(where, sizeof where, "%s:%d", ps->path, line);
    else
        snprintf(where, sizeof where, "%s", ps->path);
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(ps, NN_E_CONFIG, where, fmt, ap);
    va_end(ap);
    return rc;
}

/* Located at an entry: its file line, or the --set argument it came from. */
static int fail_entry(cfg_parser *ps, const cfg_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_entry(cfg_parser *ps, const cfg_entry *e, const char *fmt, ...)
{
    char where[NN_ERR_MSG_LEN];
    if (e && e->origin)
        snprintf(where, sizeof where, "--set %s", e->origin);
    else
        snprintf(where, sizeof where, "%s:%d", ps->path, e ? e->line : 0);
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(ps, NN_E_CONFIG, where, fmt, ap);
    va_end(ap);
    return rc;
}

static int fail_nomem(cfg_parser *ps)
{
    ps->code = NN_E_NOMEM;
    ps->fail_line = ps->line;
    return nn_fail(ps->err, NN_E_NOMEM, "%s: out of memory while reading the config", ps->path);
}

/* ---- the raw sections ----------------------------------------------------- */

static cfg_section *find_section(cfg_parser *ps, const char *name)
{
    for (int i = 0; i < ps->n_sec; i++)
        if (strcmp(ps->sec[i].name, name) == 0)
            return &ps->sec[i];
    return NULL;
}

static cfg_entry *find_entry(const cfg_section *s, const char *key)
{
    for (int i = 0; s && i < s->n; i++)
        if (strcmp(s->e[i].key, key) == 0)
            return &s->e[i];
    return NULL;
}

static int is_layer_name(const char *name)
{
    return strcmp(name, "data") != 0 && strcmp(name, "train") != 0;
}

/* Append a section (name already checked); returns it or NULL (out of memory). */
static cfg_section *new_section(cfg_parser *ps, const char *name, int line)
{
    if (ps->n_sec == ps->cap_sec) {
        int cap = ps->cap_sec ? 2 * ps->cap_sec : 8;
        cfg_section *s = realloc(ps->sec, (size_t)cap * sizeof *s);
        if (!s)
            return NULL;
        ps->sec = s;
        ps->cap_sec = cap;
    }
    cfg_section *s = &ps->sec[ps->n_sec++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->line = line;
    if (is_layer_name(name))
        ps->n_layers++;
    return s;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int add_entry(cfg_section *s, const char *key, const char *value, size_t value_len,
                     int line, const char *origin)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        cfg_entry *e = realloc(s->e, (size_t)cap * sizeof *e);
        if (!e)
            return -1;
        s->e = e;
        s->cap = cap;
    }
    cfg_entry *e = &s->e[s->n];
    e->key = dup_n(key, strlen(key));
    e->value = dup_n(value, value_len);
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return -1;
    }
    e->line = line;
    e->origin = origin;
    s->n++;
    return 0;
}

static void free_sections(cfg_parser *ps)
{
    for (int i = 0; i < ps->n_sec; i++) {
        for (int j = 0; j < ps->sec[i].n; j++) {
            free(ps->sec[i].e[j].key);
            free(ps->sec[i].e[j].value);
        }
        free(ps->sec[i].e);
    }
    free(ps->sec);
    ps->sec = NULL;
    ps->n_sec = ps->cap_sec = 0;
}

/* ---- reading the file ----------------------------------------------------- */

/* A "[name]" header at the reader's current line; s has no leading space. */
static int section_header(cfg_parser *ps, const char *s, size_t len)
{
    /* Same rule as inih: the name ends at ']' or at a ';' comment after a space. */
    size_t close = 0;
    for (size_t i = 1; i < len && !close; i++) {
        if (s[i] == ';' && isspace((unsigned char)s[i - 1]))
            break;
        if (s[i] == ']')
            close = i;
    }
    if (!close)
        return fail_line(ps, ps->line, "syntax error: section header '%.*s' has no closing ']'",
                         (int)len, s);
    size_t after = close + 1;
    while (after < len && isspace((unsigned char)s[after]))
        after++;
    if (after < len && s[after] != ';' && s[after] != '#')
        return fail_line(ps, ps->line, "syntax error: unexpected text after '%.*s'",
                         (int)(close + 1), s);

    const char *name = s + 1;
    size_t n = close - 1;
    while (n && isspace((unsigned char)*name))
        name++, n--;
    while (n && isspace((unsigned char)name[n - 1]))
        n--;
    if (n == 0)
        return fail_line(ps, ps->line, "empty section name '[]'");
    if (n >= NN_NAME_LEN)
        return fail_line(ps, ps->line, "section name '%.*s' is longer than %d characters",
                         (int)n, name, NN_NAME_LEN - 1);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
            return fail_line(ps, ps->line,
                             "section name '%.*s' may contain only letters, digits, '_' and '-'",
                             (int)n, name);
    char nm[NN_NAME_LEN];
    memcpy(nm, name, n);
    nm[n] = '\0';
    if (strcasecmp(nm, "input") == 0)
        return fail_line(ps, ps->line,
                         "'%s' cannot name a layer: `input = input` means the network input", nm);
    if ((strcasecmp(nm, "data") == 0 || strcasecmp(nm, "train") == 0) && is_layer_name(nm)) {
        char lower[8];
        for (size_t i = 0; i <= n; i++)
            lower[i] = (char)tolower((unsigned char)nm[i]);
        return fail_line(ps, ps->line, "section names are case-sensitive: write [%s]", lower);
    }
    const cfg_section *old = find_section(ps, nm);
    if (old)
        return fail_line(ps, ps->line, "duplicate section [%s], first at line %d", nm, old->line);
    if (is_layer_name(nm) && ps->n_layers == NN_MAX_LAYERS)
        return fail_line(ps, ps->line, "too many layers (at most %d)", NN_MAX_LAYERS);
    if (!new_section(ps, nm, ps->line))
        return fail_nomem(ps);
    ps->cur = ps->n_sec - 1;
    return 0;
}

/* inih's fgets: hands over one line at a time, so ps->line is the line of
 * whatever the handler is called for. Leading blanks are dropped, which
 * turns off inih's continuation lines (an indented "key = v" after a key
 * would otherwise be taken as more of the previous value). */
static char *reader(char *str, int num, void *stream)
{
    cfg_parser *ps = stream;
    if (ps->code != NN_OK || *ps->p == '\0')
        return NULL;
    const char *s = ps->p;
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    ps->p = nl ? nl + 1 : s + len;
    ps->line++;
    if (len && s[len - 1] == '\r')
        len--;
    if (ps->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 BOM */
        s += 3, len -= 3;
    int limit = ps->max_line < num - 3 ? ps->max_line : num - 3;
    if (len > (size_t)limit) {
        fail_line(ps, ps->line, "line too long (%zu characters; at most %d)", len, limit);
        return NULL;
    }
    while (len && isspace((unsigned char)*s))
        s++, len--;
    if (len && *s == '[' && section_header(ps, s, len))
        return NULL;
    memcpy(str, s, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    (void)section; /* the reader tracks sections itself */
    cfg_parser *ps = user;
    if (ps->code != NN_OK)
        return 0;
    if (!name[0]) {
        fail_line(ps, ps->line, "syntax error: no key before '='");
        return 0;
    }
    if (ps->cur < 0) {
        fail_line(ps, ps->line,
                  "'%s' comes before any section; put it under [data], [train] or a layer section",
                  name);
        return 0;
    }
    cfg_section *s = &ps->sec[ps->cur];
    const cfg_entry *old = find_entry(s, name);
    if (old) {
        fail_line(ps, ps->line, "[%s] %s is given twice (first at line %d)", s->name, name,
                  old->line);
        return 0;
    }
    /* inih strips "; comment"; strip "# comment" (after a blank) too, and a
     * value that starts with ';' or '#' ("key =; note") is a comment as well:
     * written back as "key = ; note" (the config stored in checkpoints) it
     * would read as one (found by tests/fuzz/fuzz_io_config). */
    size_t len = strlen(value);
    if (len && (value[0] == ';' || value[0] == '#'))
        len = 0;
    for (size_t i = 1; i < len; i++)
        if (value[i] == '#' && isspace((unsigned char)value[i - 1])) {
            len = i;
            break;
        }
    while (len && isspace((unsigned char)value[len - 1]))
        len--;
    if (add_entry(s, name, value, len, ps->line, NULL)) {
        fail_nomem(ps);
        return 0;
    }
    return 1;
}

/* inih reported an error at line `line` that the handler did not: a line
 * that is neither a header, a key nor a comment. */
static int syntax_error(cfg_parser *ps, const char *text, int line)
{
    const char *s = text;
    for (int i = 1; i < line && s; i++) {
        s = strchr(s, '\n');
        s = s ? s + 1 : NULL;
    }
    if (!s)
        s = "";
    size_t len = strcspn(s, "\r\n");
    if (line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, len -= 3;
    while (len && isspace((unsigned char)*s))
        s++, len--;
    ps->line = line;
    return fail_line(ps, line,
                     "syntax error: expected 'key = value', '[section]' or a comment, got '%.*s'",
                     (int)(len > 80 ? 80 : len), s);
}

static int read_sections(cfg_parser *ps, const char *text)
{
    ps->p = text;
    ps->cur = -1;
    ps->max_line = nn_cfg_max_line();
    int r = ini_parse_stream(reader, ps, handler, ps);
    if (r == -2)
        return fail_nomem(ps);
    /* Report whichever came first: our error or inih's syntax error. */
    if (ps->code != NN_OK && (r <= 0 || r >= ps->fail_line))
        return ps->code;
    if (r > 0)
        return syntax_error(ps, text, r);
    if (r < 0)
        return fail_line(ps, 0, "cannot parse (inih error %d)", r);
    return NN_OK;
}

/* ---- overrides ------------------------------------------------------------ */

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static int bad_override(cfg_parser *ps, const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad_override(cfg_parser *ps, const char *arg, const char *fmt, ...)
{
    char where[NN_ERR_MSG_LEN];
    snprintf(where, sizeof where, "--set %s", arg);
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(ps, NN_E_CONFIG, where, fmt, ap);
    va_end(ap);
    return rc;
}

/* "section.key=value": replaces the file's value or adds the key. */
static int apply_override(cfg_parser *ps, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *dot = eq ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
    if (!dot)
        return bad_override(ps, arg, "expected section.key=value (e.g. train.lr=0.1)");
    const char *sec = arg, *key = dot + 1, *val = eq + 1;
    size_t ns = (size_t)(dot - arg), nk = (size_t)(eq - key), nv = strlen(val);
    trim(&sec, &ns);
    trim(&key, &nk);
    trim(&val, &nv);
    if (!ns || !nk)
        return bad_override(ps, arg, "expected section.key=value (e.g. train.lr=0.1)");
    char name[NN_NAME_LEN] = "";
    if (ns < sizeof name)
        memcpy(name, sec, ns);
    cfg_section *s = ns < sizeof name ? find_section(ps, name) : NULL;
    if (!s && ns < sizeof name && !is_layer_name(name) && !(s = new_section(ps, name, 0)))
        return fail_nomem(ps);
    if (!s) {
        nn_cfg_match m;
        nn_cfg_match_init(&m, name);
        for (int i = 0; i < ps->n_sec; i++)
            nn_cfg_match_try(&m, ps->sec[i].name);
        nn_cfg_match_try(&m, "data");
        nn_cfg_match_try(&m, "train");
        const char *best = nn_cfg_match_best(&m);
        char hint[NN_NAME_LEN + 32] = "";
        if (best)
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
        return bad_override(ps, arg, "no section [%.*s] in %s; --set can change layers, not add them%s",
                            (int)ns, sec, ps->path, hint);
    }
    char keybuf[NN_NAME_LEN];
    snprintf(keybuf, sizeof keybuf, "%.*s", (int)nk, key);
    cfg_entry *e = find_entry(s, keybuf);
    if (e) {
        char *v = dup_n(val, nv);
        if (!v)
            return fail_nomem(ps);
        free(e->value);
        e->value = v;
        e->line = 0;
        e->origin = arg;
        return NN_OK;
    }
    if (add_entry(s, keybuf, val, nv, 0, arg))
        return fail_nomem(ps);
    return NN_OK;
}

/* ---- interpreting values -------------------------------------------------- */

/* Append n bytes to a growing string. */
static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = (*cap ? *cap : 64);
        while (*len + n + 1 > c)
            c *= 2;
        char *b = realloc(*buf, c);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

/* The entry's value with every ${NAME} replaced by the environment variable. */
static int expand(cfg_parser *ps, const cfg_section *s, const cfg_entry *e, const nn_key_spec *k,
                  char **out)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    const char *p = e->value;
    int rc = NN_OK;
    if (append(&buf, &len, &cap, "", 0))
        return fail_nomem(ps);
    while (*p && rc == NN_OK) {
        const char *d = strstr(p, "${");
        if (!d) {
            if (append(&buf, &len, &cap, p, strlen(p)))
                rc = fail_nomem(ps);
            break;
        }
        if (append(&buf, &len, &cap, p, (size_t)(d - p))) {
            rc = fail_nomem(ps);
            break;
        }
        const char *name = d + 2, *close = strchr(name, '}');
        size_t n = close ? (size_t)(close - name) : 0;
        int ok = close && n > 0 && n < 256 && !isdigit((unsigned char)name[0]);
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)name[i]) || name[i] == '_';
        if (!ok) {
            rc = fail_entry(ps, e, "[%s] %s = %s: bad variable reference (write ${NAME})",
                            s->name, e->key, e->value);
            break;
        }
        char var[256];
        memcpy(var, name, n);
        var[n] = '\0';
        const char *v = getenv(var);
        if (!v || !*v) {
            const char *hint = k && k->type == NN_KEY_DATAFILE ? "to point at your data folder"
                                                               : "before running";
            rc = fail_entry(ps, e, "[%s] %s: %s is %s; export it %s", s->name, e->key, var,
                            v ? "empty" : "not set", hint);
            break;
        }
        if (append(&buf, &len, &cap, v, strlen(v)))
            rc = fail_nomem(ps);
        p = close + 1;
    }
    if (rc != NN_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return NN_OK;
}

/* Why value v could not be written back as "key = v" and read again as v
 * (the config stored in checkpoints), or NULL. Values read from the file
 * never trip this; ${VAR} expansions and --set values can. */
static const char *unwritable(const char *v)
{
    size_t n = strlen(v);
    if (strpbrk(v, "\r\n"))
        return "holds a line break";
    if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
        return "begins or ends with a blank";
    for (size_t i = 0; i < n; i++)
        if ((v[i] == ';' || v[i] == '#') && (i == 0 || isspace((unsigned char)v[i - 1])))
            return "holds ';' or '#' after a blank, which reads as a comment";
    return NULL;
}

static int set_key(cfg_parser *ps, const cfg_section *s, const cfg_entry *e, const nn_key_spec *k,
                   void *base)
{
    char *v = NULL;
    int rc = expand(ps, s, e, k, &v);
    if (rc)
        return rc;
    char why[512];
    const char *bad = unwritable(v);
    if (!v[0])
        rc = fail_entry(ps, e, "[%s] %s has no value", s->name, e->key);
    else if (bad)
        rc = fail_entry(ps, e, "[%s] %s = '%s' %s: checkpoints could not store it", s->name,
                        e->key, v, bad);
    else if (nn_cfg_convert(k, v, base, why, sizeof why))
        rc = fail_entry(ps, e, "[%s] %s = %s: %s", s->name, e->key, v, why);
    free(v);
    return rc;
}

static int unknown_key(cfg_parser *ps, const cfg_section *s, const cfg_entry *e,
                       const char *scope, const char *type)
{
    if (type) /* a key of another layer type (`units` in a conv layer)? */
        for (int i = 0; i < nn_cfg_n_layer_types; i++)
            if (nn_cfg_find_key(nn_cfg_layer_types[i].name, e->key))
                return fail_entry(ps, e, "unknown key '%s' in [%s]: it is a key of %s layers, "
                                  "and [%s] is a %s layer", e->key, s->name,
                                  nn_cfg_layer_types[i].name, s->name, type);
    nn_cfg_match m;
    nn_cfg_match_init(&m, e->key);
    for (int i = 0; i < nn_cfg_n_keys; i++)
        if (strcmp(nn_cfg_keys[i].scope, scope) == 0 || (type && strcmp(nn_cfg_keys[i].scope, type) == 0))
            nn_cfg_match_try(&m, nn_cfg_keys[i].key);
    const char *best = nn_cfg_match_best(&m);
    if (best)
        return fail_entry(ps, e, "unknown key '%s' in [%s] (did you mean '%s'?)", e->key, s->name,
                          best);
    return fail_entry(ps, e, "unknown key '%s' in [%s] (nntrain --help-config lists the keys)",
                      e->key, s->name);
}

/* [data] or [train]: every entry through the schema. */
static int interpret_plain(cfg_parser *ps, const cfg_section *s, void *base)
{
    for (int i = 0; i < s->n; i++) {
        const nn_key_spec *k = nn_cfg_find_key(s->name, s->e[i].key);
        if (!k)
            return unknown_key(ps, s, &s->e[i], s->name, NULL);
        int rc = set_key(ps, s, &s->e[i], k, base);
        if (rc)
            return rc;
    }
    return NN_OK;
}

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
static int resolve_one(cfg_parser *ps, nn_config *cfg, const cfg_section *s, const cfg_entry *e,
                       int li, const char *name, int *index)
{
    nn_layer_config *L = &cfg->layers[li];
    if (name[0] == '\0')
        return fail_entry(ps, e, "[%s] input = %s: empty layer name in the list", s->name,
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
        return fail_entry(ps, e, "[%s] input = %s: a layer cannot be its own input", L->name,
                          name);
    const cfg_section *later = find_section(ps, name);
    if (later && is_layer_name(name))
        return fail_entry(ps, e,
                          "[%s] input = %s: [%s] comes later (line %d); input must name an "
                          "earlier layer", L->name, name, name, later->line);
    nn_cfg_match m;
    nn_cfg_match_init(&m, name);
    for (int j = 0; j < li; j++)
        nn_cfg_match_try(&m, cfg->layers[j].name);
    nn_cfg_match_try(&m, "input");
    const char *best = nn_cfg_match_best(&m);
    char hint[NN_NAME_LEN + 32] = "";
    if (best)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
    return fail_entry(ps, e, "[%s] input = %s: no such layer%s", L->name, name, hint);
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
static int resolve_input(cfg_parser *ps, nn_config *cfg, const cfg_section *s, int li)
{
    nn_layer_config *L = &cfg->layers[li];
    const cfg_entry *e = find_entry(s, "input");
    const nn_layer_type_spec *ts = nn_cfg_find_layer_type(L->type);
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
                return fail_entry(ps, e, "[%s] input = %s: more than %d layers", L->name,
                                  e->value, NN_MAX_INPUTS);
            int rc = resolve_one(ps, cfg, s, e, li, name, &L->input_index[L->n_inputs]);
            if (rc)
                return rc;
            L->n_inputs++;
        }
    }
    if (ts && L->n_inputs < ts->min_inputs)
        return fail_entry(ps, e ? e : &(cfg_entry){.line = s->line},
                          "[%s] type %s needs at least %d inputs: write input = a, b",
                          L->name, L->type, ts->min_inputs);
    if (ts && L->n_inputs > ts->max_inputs)
        return fail_entry(ps, e, "[%s] input = %s: type %s takes one input (add and concat "
                          "take several)", L->name, e->value, L->type);
    store_input_names(cfg, L);
    return NN_OK;
}

static int interpret_layer(cfg_parser *ps, nn_config *cfg, const cfg_section *s, int li)
{
    nn_layer_config *L = &cfg->layers[li];
    memcpy(L->name, s->name, sizeof L->name);
    L->line = s->line;
    const cfg_entry *te = find_entry(s, "type");
    if (!te) {
        nn_cfg_match m;
        nn_cfg_match_init(&m, s->name);
        nn_cfg_match_try(&m, "data");
        nn_cfg_match_try(&m, "train");
        const char *best = nn_cfg_match_best(&m);
        char hint[64] = "";
        if (best)
            snprintf(hint, sizeof hint, " (or did you mean [%s]?)", best);
        return fail_line(ps, s->line, "layer [%s] has no 'type =' (e.g. type = %s)%s", s->name,
                         nn_cfg_layer_types[0].name, hint);
    }
    int rc = set_key(ps, s, te, nn_cfg_find_key(NN_SCOPE_LAYER, "type"), L);
    if (rc)
        return rc;
    if (nn_cfg_apply_defaults(NN_SCOPE_LAYER, L) || nn_cfg_apply_defaults(L->type, L))
        return fail_line(ps, 0, "internal error: a default of [%s] does not convert", L->type);
    for (int i = 0; i < s->n; i++) {
        const cfg_entry *e = &s->e[i];
        if (e == te)
            continue;
        const nn_key_spec *k = nn_cfg_find_key(NN_SCOPE_LAYER, e->key);
        if (!k)
            k = nn_cfg_find_key(L->type, e->key);
        if (!k)
            return unknown_key(ps, s, e, NN_SCOPE_LAYER, L->type);
        if ((rc = set_key(ps, s, e, k, L)))
            return rc;
    }
    for (int i = 0; i < nn_cfg_n_keys; i++) {
        const nn_key_spec *k = &nn_cfg_keys[i];
        if (k->required && strcmp(k->scope, L->type) == 0 && !find_entry(s, k->key))
            return fail_line(ps, s->line, "layer [%s] (type %s) needs '%s =' (%s)", s->name,
                             L->type, k->key, k->doc);
    }
    return resolve_input(ps, cfg, s, li);
}

/* ---- cross-checks --------------------------------------------------------- */

static char *data_field(nn_data_config *d, const char *key)
{
    return (char *)d + nn_cfg_find_key(NN_SCOPE_DATA, key)->offset;
}

static int ends_with(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n >= e && strcasecmp(path + n - e, ext) == 0;
}

static int check_data(cfg_parser *ps, const cfg_section *s, nn_data_config *d)
{
    static const char *const pairs[3][2] = {
        {"train", "train_labels"}, {"valid", "valid_labels"}, {"test", "test_labels"}};
    if (!find_entry(s, "train"))
        return fail_line(ps, s->line, "[data] needs 'train =' (the training set file)");
    int chose = d->format == NN_FORMAT_AUTO;
    if (chose)
        d->format = ends_with(d->train, ".mat")  ? NN_FORMAT_MAT
                    : ends_with(d->train, ".h5") ? NN_FORMAT_H5
                                                 : NN_FORMAT_IDX;
    for (int i = 0; i < 3; i++) {
        const char *images = data_field(d, pairs[i][0]), *labels = data_field(d, pairs[i][1]);
        const cfg_entry *le = find_entry(s, pairs[i][1]);
        if (d->format != NN_FORMAT_IDX && le)
            return fail_entry(ps, le, "[data] %s: %s files hold their own labels; remove it%s",
                              pairs[i][1], d->format == NN_FORMAT_MAT ? ".mat" : ".h5",
                              chose ? " (or set format = idx)" : "");
        if (d->format == NN_FORMAT_IDX && images[0] && !labels[0])
            return fail_line(ps, s->line, "[data] %s needs '%s =' with format idx%s", pairs[i][0],
                             pairs[i][1],
                             chose ? " (format = auto chose idx: train does not end in .mat "
                                     "or .h5)" : "");
        if (!images[0] && le)
            return fail_entry(ps, le, "[data] %s is given but %s is not", pairs[i][1],
                              pairs[i][0]);
    }
    const cfg_entry *vf = find_entry(s, "valid_fraction");
    if (d->valid[0] && vf)
        return fail_entry(ps, vf, "[data] valid_fraction has no effect when valid is given; "
                          "remove one of them");
    return NN_OK;
}

/* Every input file named in section s (whose struct is base) must be a
 * readable file. */
static int check_files(cfg_parser *ps, const cfg_section *s, const void *base)
{
    for (int i = 0; s && i < nn_cfg_n_keys; i++) {
        const nn_key_spec *k = &nn_cfg_keys[i];
        if (k->type != NN_KEY_DATAFILE || strcmp(k->scope, s->name) != 0)
            continue;
        const char *path = (const char *)base + k->offset;
        if (!path[0])
            continue;
        const cfg_entry *e = find_entry(s, k->key);
        struct stat st;
        FILE *f = NULL;
        const char *problem = NULL;
        if (stat(path, &st) != 0)
            problem = strerror(errno);
        else if (S_ISDIR(st.st_mode))
            problem = "is a folder, not a file";
        else if (!(f = fopen(path, "rb")))
            problem = strerror(errno);
        if (f)
            fclose(f);
        if (problem)
            return fail_entry(ps, e, "[%s] %s = %s: %s", s->name, k->key, path, problem);
    }
    return NN_OK;
}

/* An autoencoder (target = input) compares images pixel by pixel: only MSE
 * fits (cross-entropy needs a class label). train may be NULL (no [train]). */
static int check_train(cfg_parser *ps, const cfg_section *train, const nn_train_config *t)
{
    if (t->target != NN_TARGET_INPUT || t->loss == NN_LOSS_MSE)
        return NN_OK;
    return fail_entry(ps, find_entry(train, "target"),
                      "[train] target = input needs loss = mse (the output is compared with the "
                      "input image, not a class label)");
}

/* out = runs/<config file name without .ini> */
static int default_out(cfg_parser *ps, nn_config *cfg)
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
        return fail_line(ps, 0, "file name too long to make [train] out; set out =");
    memcpy(cfg->train.out, "runs/", 5);
    memcpy(cfg->train.out + 5, base, n);
    cfg->train.out[5 + n] = '\0';
    return NN_OK;
}

/* [train] freeze: layers of this config that have parameters, each once. */
static int resolve_freeze(cfg_parser *ps, nn_config *cfg, const cfg_section *s)
{
    const cfg_entry *e = s ? find_entry(s, "freeze") : NULL;
    nn_train_config *t = &cfg->train;
    t->n_freeze = 0;
    if (!e)
        return NN_OK;
    char text[sizeof t->freeze];
    memcpy(text, t->freeze, sizeof text);
    const char *p = text;
    char name[NN_NAME_LEN + 1];
    while (next_name(&p, name, sizeof name)) {
        int j = 0;
        while (j < cfg->n_layers && strcmp(cfg->layers[j].name, name) != 0)
            j++;
        if (name[0] == '\0')
            return fail_entry(ps, e, "[train] freeze = %s: empty layer name in the list", e->value);
        if (j == cfg->n_layers) {
            nn_cfg_match m;
            nn_cfg_match_init(&m, name);
            for (int i = 0; i < cfg->n_layers; i++)
                nn_cfg_match_try(&m, cfg->layers[i].name);
            const char *best = nn_cfg_match_best(&m);
            char hint[NN_NAME_LEN + 32] = "";
            if (best)
                snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
            return fail_entry(ps, e, "[train] freeze = %s: no layer [%s]%s", e->value, name, hint);
        }
        const nn_layer_type_spec *ts = nn_cfg_find_layer_type(cfg->layers[j].type);
        if (ts && !ts->has_params)
            return fail_entry(ps, e, "[train] freeze = %s: [%s] is a %s layer, which has no "
                              "parameters", e->value, name, cfg->layers[j].type);
        for (int i = 0; i < t->n_freeze; i++)
            if (t->freeze_index[i] == j)
                return fail_entry(ps, e, "[train] freeze = %s: [%s] is named twice", e->value,
                                  name);
        t->freeze_index[t->n_freeze++] = j;
    }
    return NN_OK;
}

static int interpret(cfg_parser *ps, nn_config *cfg)
{
    if (nn_cfg_apply_defaults(NN_SCOPE_DATA, &cfg->data) ||
        nn_cfg_apply_defaults(NN_SCOPE_TRAIN, &cfg->train))
        return fail_line(ps, 0, "internal error: a default in the config schema does not convert");
    const cfg_section *data = NULL, *train = NULL;
    int rc = NN_OK;
    for (int i = 0; i < ps->n_sec && rc == NN_OK; i++) {
        const cfg_section *s = &ps->sec[i];
        if (strcmp(s->name, "data") == 0)
            rc = interpret_plain(ps, s, &cfg->data), data = s;
        else if (strcmp(s->name, "train") == 0)
            rc = interpret_plain(ps, s, &cfg->train), train = s;
        else
            rc = interpret_layer(ps, cfg, s, cfg->n_layers++);
    }
    if (rc)
        return rc;
    if (!data)
        return fail_line(ps, 0, "no [data] section: name the training set with [data] train = ...");
    if (cfg->n_layers == 0)
        return fail_line(ps, 0, "no layers: add a section per layer, e.g. [output] with "
                         "type = dense and units = 10");
    if ((rc = check_data(ps, data, &cfg->data)) || (rc = check_train(ps, train, &cfg->train)) ||
        (rc = default_out(ps, cfg)) || (rc = resolve_freeze(ps, cfg, train)))
        return rc;
    if (ps->ignore_init_from)
        memset(cfg->train.init_from, 0, sizeof cfg->train.init_from);
    if (ps->skip_file_checks)
        return NN_OK;
    if ((rc = check_files(ps, data, &cfg->data)))
        return rc;
    return ps->ignore_init_from ? NN_OK : check_files(ps, train, &cfg->train);
}

/* The resolved config (what checkpoints store) must parse again, so none of
 * its lines may exceed inih's limit: a value can outgrow it through ${VAR}
 * expansion, --set or the parser's own spelling ("a,b" -> "a, b"). Such a
 * run would train and then fail in eval, plot and ocr, which read that
 * text; refuse it now, at the key that made the line. */
static int check_line_lengths(cfg_parser *ps, const nn_config *cfg)
{
    char *text = NULL;
    int rc = nn_config_resolved(cfg, &text, ps->err);
    if (rc)
        return rc;
    const cfg_section *s = NULL;
    for (const char *p = text; *p && rc == NN_OK;) {
        size_t len = strcspn(p, "\n");
        if (p[0] == ';') {
            /* the header comment: kept short by nn_config_resolved */
        } else if (p[0] == '[') {
            char name[NN_NAME_LEN] = "";
            size_t n = strcspn(p + 1, "]");
            if (n < sizeof name)
                memcpy(name, p + 1, n);
            s = find_section(ps, name);
        } else if (len > (size_t)ps->max_line) {
            char key[NN_NAME_LEN] = "";
            size_t n = strcspn(p, " =");
            if (n < sizeof key)
                memcpy(key, p, n);
            const cfg_entry *e = s ? find_entry(s, key) : NULL;
            const char *fmt = "[%s] %s: too long to store in checkpoints: '%.40s...' is %zu "
                              "characters on one line (at most %d); shorten it (a path: through a "
                              "symbolic link with a shorter name)";
            const char *sec = s ? s->name : "train";
            rc = e ? fail_entry(ps, e, fmt, sec, key, p, len, ps->max_line)
                   : fail_line(ps, s ? s->line : 0, fmt, sec, key, p, len, ps->max_line);
        }
        p += len + (p[len] == '\n');
    }
    free(text);
    return rc;
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
    cfg_parser ps = {.path = cfg->path, .err = err,
                     .skip_file_checks = (flags & NN_CONFIG_NO_FILE_CHECK) != 0,
                     .ignore_init_from = (flags & NN_CONFIG_NO_INIT_FROM) != 0};
    int rc = read_sections(&ps, text);
    for (int i = 0; i < n_overrides && rc == NN_OK; i++)
        rc = apply_override(&ps, overrides[i]);
    if (rc == NN_OK)
        rc = interpret(&ps, cfg);
    if (rc == NN_OK)
        rc = check_line_lengths(&ps, cfg);
    free_sections(&ps);
    if (rc == NN_OK && !(cfg->text = dup_n(text, strlen(text))))
        rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory copying the config text", path);
    return rc;
}

void nn_config_free(nn_config *cfg)
{
    if (cfg) {
        free(cfg->text);
        cfg->text = NULL;
    }
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
                         ? nn_fail(err, NN_E_CONFIG, "%s: too large for a config file "
                                   "(more than %d bytes)", path, NN_TEXT_FILE_MAX)
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
        rc = nn_fail(err, NN_E_CONFIG, "%s: too large for a config file (more than %d bytes)",
                     path, NN_TEXT_FILE_MAX);
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
    char line[NN_NAME_LEN + NN_MAX_LAYERS * 34 + 16];
    char value[NN_MAX_LAYERS * 34];
    for (int i = 0; i < nn_cfg_n_keys; i++) {
        const nn_key_spec *k = &nn_cfg_keys[i];
        if (strcmp(k->scope, scope) != 0 || strcmp(k->key, "input") == 0)
            continue;
        /* valid_fraction and valid exclude each other (check_data): with a
         * validation file the fraction is not written back. */
        if (strcmp(scope, NN_SCOPE_DATA) == 0 && strcmp(k->key, "valid_fraction") == 0 &&
            ((const nn_data_config *)base)->valid[0])
            continue;
        int n = nn_cfg_format_value(k, base, value, sizeof value);
        if (n < 0)
            return -1;
        if (n == 0)
            continue;
        int w = snprintf(line, sizeof line, "%s = %s\n", k->key, value);
        if (w < 0 || (size_t)w >= sizeof line || append(buf, len, cap, line, (size_t)w))
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
    size_t room = (size_t)nn_cfg_max_line() - 40;
    if (strlen(shown) > room)
        shown += strlen(shown) - room + 3;
    snprintf(line, sizeof line, "; %s%.*s as interpreted by nntrain\n\n[data]\n",
             shown == cfg->path ? "" : "...", (int)strcspn(shown, "\r\n"), shown);
    bad |= append(&buf, &len, &cap, line, strlen(line));
    bad |= put_scope(&buf, &len, &cap, NN_SCOPE_DATA, &cfg->data);
    bad |= append(&buf, &len, &cap, "\n[train]\n", 9);
    bad |= put_scope(&buf, &len, &cap, NN_SCOPE_TRAIN, &cfg->train);
    for (int i = 0; i < cfg->n_layers && !bad; i++) {
        const nn_layer_config *L = &cfg->layers[i];
        snprintf(line, sizeof line, "\n[%s]\ntype = %s\ninput = %s\n", L->name, L->type,
                 L->input[0] ? L->input : "input");
        bad |= append(&buf, &len, &cap, line, strlen(line));
        bad |= put_scope(&buf, &len, &cap, L->type, L);
    }
    if (bad) {
        free(buf);
        *text = NULL;
        return nn_fail(err, NN_E_NOMEM, "%s: out of memory formatting the config", cfg->path);
    }
    *text = buf;
    return NN_OK;
}
