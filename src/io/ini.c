/* The INI engine (see ini.h), reading: inih runs over the in-memory text
 * through a reader of our own that counts lines (inih's handler gets no
 * line numbers), checks line lengths and tracks section headers itself
 * (inih merges a repeated section and cuts long names). The raw entries are
 * collected per section and --set overrides merged in; only then does a
 * client interpret them, key table in hand (ini_value.c converts). */
#include "io/ini.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- errors --------------------------------------------------------------- */

static int vfail(nn_ini *ini, const char *where, const char *fmt, va_list ap)
{
    char msg[NN_ERR_MSG_LEN];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ini->code = NN_E_CONFIG;
    ini->fail_line = ini->line;
    return nn_fail(ini->err, NN_E_CONFIG, "%s: %s", where, msg);
}

int nn_ini_fail_line(nn_ini *ini, int line, const char *fmt, ...)
{
    char where[NN_PATH_LEN + 16];
    if (line > 0)
        snprintf(where, sizeof where, "%s:%d", ini->path, line);
    else
        snprintf(where, sizeof where, "%s", ini->path);
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(ini, where, fmt, ap);
    va_end(ap);
    return rc;
}

int nn_ini_fail_entry(nn_ini *ini, const nn_ini_entry *e, const char *fmt, ...)
{
    char where[NN_ERR_MSG_LEN];
    if (e && e->origin)
        snprintf(where, sizeof where, "--set %s", e->origin);
    else
        snprintf(where, sizeof where, "%s:%d", ini->path, e ? e->line : 0);
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(ini, where, fmt, ap);
    va_end(ap);
    return rc;
}

static int fail_nomem(nn_ini *ini)
{
    ini->code = NN_E_NOMEM;
    ini->fail_line = ini->line;
    return nn_fail(ini->err, NN_E_NOMEM, "%s: out of memory while reading the config", ini->path);
}

/* ---- the raw sections ----------------------------------------------------- */

nn_ini_section *nn_ini_section_find(const nn_ini *ini, const char *name)
{
    for (int i = 0; i < ini->n_sec; i++)
        if (strcmp(ini->sec[i].name, name) == 0)
            return &ini->sec[i];
    return NULL;
}

const nn_ini_entry *nn_ini_entry_find(const nn_ini_section *s, const char *key)
{
    for (int i = 0; s && i < s->n; i++)
        if (strcmp(s->e[i].key, key) == 0)
            return &s->e[i];
    return NULL;
}

static int is_fixed(const nn_ini_rules *r, const char *name)
{
    for (int i = 0; r->fixed && r->fixed[i]; i++)
        if (strcmp(r->fixed[i], name) == 0)
            return 1;
    return 0;
}

/* Append a section (name already checked); NULL when out of memory. */
static nn_ini_section *new_section(nn_ini *ini, const char *name, int line)
{
    if (ini->n_sec == ini->cap_sec) {
        int cap = ini->cap_sec ? 2 * ini->cap_sec : 8;
        nn_ini_section *s = realloc(ini->sec, (size_t)cap * sizeof *s);
        if (!s)
            return NULL;
        ini->sec = s;
        ini->cap_sec = cap;
    }
    nn_ini_section *s = &ini->sec[ini->n_sec++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->line = line;
    s->fixed = is_fixed(ini->rules, name);
    ini->n_others += !s->fixed;
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

static int add_entry(nn_ini_section *s, const char *key, const char *value, size_t value_len,
                     int line, const char *origin)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        nn_ini_entry *e = realloc(s->e, (size_t)cap * sizeof *e);
        if (!e)
            return -1;
        s->e = e;
        s->cap = cap;
    }
    nn_ini_entry *e = &s->e[s->n];
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

static void free_sections(nn_ini *ini)
{
    for (int i = 0; i < ini->n_sec; i++) {
        for (int j = 0; j < ini->sec[i].n; j++) {
            free(ini->sec[i].e[j].key);
            free(ini->sec[i].e[j].value);
        }
        free(ini->sec[i].e);
    }
    free(ini->sec);
    ini->sec = NULL;
    ini->n_sec = ini->cap_sec = ini->n_others = 0;
}

/* ---- reading the file ----------------------------------------------------- */

/* The client's rules on a section name nm, then the engine's. */
static int check_name(nn_ini *ini, const char *nm)
{
    const nn_ini_rules *r = ini->rules;
    char buf[NN_ERR_MSG_LEN];
    const char *why = r->bad_section ? r->bad_section(nm, buf, sizeof buf) : NULL;
    if (why)
        return nn_ini_fail_line(ini, ini->line, "%s", why);
    for (int i = 0; r->fixed && r->fixed[i]; i++)
        if (strcasecmp(nm, r->fixed[i]) == 0 && strcmp(nm, r->fixed[i]) != 0)
            return nn_ini_fail_line(ini, ini->line, "section names are case-sensitive: write [%s]",
                                    r->fixed[i]);
    const nn_ini_section *old = nn_ini_section_find(ini, nm);
    if (old)
        return nn_ini_fail_line(ini, ini->line, "duplicate section [%s], first at line %d", nm,
                                old->line);
    if (!is_fixed(r, nm) && ini->n_others == r->max_others)
        return nn_ini_fail_line(ini, ini->line, "too many %s (at most %d)", r->others,
                                r->max_others);
    return NN_OK;
}

/* A "[name]" header at the reader's current line; s has no leading space. */
static int section_header(nn_ini *ini, const char *s, size_t len)
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
        return nn_ini_fail_line(
            ini, ini->line, "syntax error: section header '%.*s' has no closing ']'", (int)len, s);
    size_t after = close + 1;
    while (after < len && isspace((unsigned char)s[after]))
        after++;
    if (after < len && s[after] != ';' && s[after] != '#')
        return nn_ini_fail_line(ini, ini->line, "syntax error: unexpected text after '%.*s'",
                                (int)(close + 1), s);

    const char *name = s + 1;
    size_t n = close - 1;
    while (n && isspace((unsigned char)*name))
        name++, n--;
    while (n && isspace((unsigned char)name[n - 1]))
        n--;
    if (n == 0)
        return nn_ini_fail_line(ini, ini->line, "empty section name '[]'");
    if (n >= NN_NAME_LEN)
        return nn_ini_fail_line(ini, ini->line, "section name '%.*s' is longer than %d characters",
                                (int)n, name, NN_NAME_LEN - 1);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
            return nn_ini_fail_line(ini, ini->line,
                                    "section name '%.*s' may contain only "
                                    "letters, digits, '_' and '-'",
                                    (int)n, name);
    char nm[NN_NAME_LEN];
    memcpy(nm, name, n);
    nm[n] = '\0';
    int rc = check_name(ini, nm);
    if (rc)
        return rc;
    if (!new_section(ini, nm, ini->line))
        return fail_nomem(ini);
    ini->cur = ini->n_sec - 1;
    return NN_OK;
}

/* inih's fgets: hands over one line at a time, so ini->line is the line of
 * whatever the handler is called for. Leading blanks are dropped, which
 * turns off inih's continuation lines (an indented "key = v" after a key
 * would otherwise be taken as more of the previous value). */
static char *reader(char *str, int num, void *stream)
{
    nn_ini *ini = stream;
    if (ini->code != NN_OK || *ini->p == '\0')
        return NULL;
    const char *s = ini->p;
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    ini->p = nl ? nl + 1 : s + len;
    ini->line++;
    if (len && s[len - 1] == '\r')
        len--;
    if (ini->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 BOM */
        s += 3, len -= 3;
    int limit = ini->max_line < num - 3 ? ini->max_line : num - 3;
    if (len > (size_t)limit) {
        nn_ini_fail_line(ini, ini->line, "line too long (%zu characters; at most %d)", len, limit);
        return NULL;
    }
    while (len && isspace((unsigned char)*s))
        s++, len--;
    if (len && *s == '[' && section_header(ini, s, len))
        return NULL;
    memcpy(str, s, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    (void)section; /* the reader tracks sections itself */
    nn_ini *ini = user;
    if (ini->code != NN_OK)
        return 0;
    if (!name) /* a header alone (inih built with INI_CALL_HANDLER_ON_NEW_SECTION) */
        return 1;
    if (!name[0]) {
        nn_ini_fail_line(ini, ini->line, "syntax error: no key before '='");
        return 0;
    }
    if (ini->cur < 0) {
        nn_ini_fail_line(ini, ini->line, "'%s' comes before any section; put it under %s", name,
                         ini->rules->before_any);
        return 0;
    }
    nn_ini_section *s = &ini->sec[ini->cur];
    const nn_ini_entry *old = nn_ini_entry_find(s, name);
    if (old) {
        nn_ini_fail_line(ini, ini->line, "[%s] %s is given twice (first at line %d)", s->name, name,
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
    if (add_entry(s, name, value, len, ini->line, NULL)) {
        fail_nomem(ini);
        return 0;
    }
    return 1;
}

/* inih reported an error at line `line` that the handler did not: a line
 * that is neither a header, a key nor a comment. */
static int syntax_error(nn_ini *ini, const char *text, int line)
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
    ini->line = line;
    return nn_ini_fail_line(ini, line,
                            "syntax error: expected 'key = value', '[section]' or a "
                            "comment, got '%.*s'",
                            (int)(len > 80 ? 80 : len), s);
}

static int read_sections(nn_ini *ini, const nn_ini_rules *rules, const char *path, const char *text,
                         nn_error *err)
{
    memset(ini, 0, sizeof *ini);
    ini->rules = rules;
    ini->path = path;
    ini->err = err;
    ini->p = text;
    ini->cur = -1;
    ini->max_line = nn_ini_max_line();
    int r = ini_parse_stream(reader, ini, handler, ini);
    if (r == -2)
        return fail_nomem(ini);
    /* Report whichever came first: our error or inih's syntax error. */
    if (ini->code != NN_OK && (r <= 0 || r >= ini->fail_line))
        return ini->code;
    if (r > 0)
        return syntax_error(ini, text, r);
    if (r < 0)
        return nn_ini_fail_line(ini, 0, "cannot parse (inih error %d)", r);
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

static int bad_override(nn_ini *ini, const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad_override(nn_ini *ini, const char *arg, const char *fmt, ...)
{
    char where[NN_ERR_MSG_LEN];
    snprintf(where, sizeof where, "--set %s", arg);
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(ini, where, fmt, ap);
    va_end(ap);
    return rc;
}

static int apply_override(nn_ini *ini, const char *arg)
{
    const nn_ini_rules *r = ini->rules;
    const char *eq = strchr(arg, '=');
    const char *dot = eq ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
    const char *sec = arg, *key = dot ? dot + 1 : NULL, *val = eq ? eq + 1 : NULL;
    size_t ns = dot ? (size_t)(dot - arg) : 0, nk = dot ? (size_t)(eq - key) : 0;
    size_t nv = val ? strlen(val) : 0;
    trim(&sec, &ns);
    if (key)
        trim(&key, &nk);
    if (val)
        trim(&val, &nv);
    if (!dot || !ns || !nk)
        return bad_override(ini, arg, "expected section.key=value (e.g. %s)", r->set_example);
    char name[NN_NAME_LEN] = "";
    if (ns < sizeof name)
        memcpy(name, sec, ns);
    nn_ini_section *s = ns < sizeof name ? nn_ini_section_find(ini, name) : NULL;
    if (!s && ns < sizeof name && is_fixed(r, name) && !(s = new_section(ini, name, 0)))
        return fail_nomem(ini);
    if (!s) {
        nn_ini_match m;
        nn_ini_match_init(&m, name);
        for (int i = 0; i < ini->n_sec; i++)
            nn_ini_match_try(&m, ini->sec[i].name);
        for (int i = 0; r->fixed && r->fixed[i]; i++)
            nn_ini_match_try(&m, r->fixed[i]);
        char h[NN_NAME_LEN + 32];
        return bad_override(ini, arg, "no section [%.*s] in %s%s%s%s", (int)ns, sec, ini->path,
                            r->set_note ? "; " : "", r->set_note ? r->set_note : "",
                            nn_ini_match_hint(&m, h, sizeof h));
    }
    char keybuf[NN_NAME_LEN];
    snprintf(keybuf, sizeof keybuf, "%.*s", (int)nk, key);
    nn_ini_entry *e = (nn_ini_entry *)nn_ini_entry_find(s, keybuf);
    if (e) {
        char *v = dup_n(val, nv);
        if (!v)
            return fail_nomem(ini);
        free(e->value);
        e->value = v;
        e->line = 0;
        e->origin = arg;
        return NN_OK;
    }
    if (add_entry(s, keybuf, val, nv, 0, arg))
        return fail_nomem(ini);
    return NN_OK;
}

int nn_ini_run(const nn_ini_rules *rules, const char *path, const char *text,
               const char *const *overrides, int n_overrides,
               int (*interpret)(nn_ini *ini, void *ctx), void *ctx, char **copy, nn_error *err)
{
    nn_ini ini;
    int rc = read_sections(&ini, rules, path, text, err);
    for (int i = 0; i < n_overrides && rc == NN_OK; i++)
        rc = apply_override(&ini, overrides[i]);
    if (rc == NN_OK)
        rc = interpret(&ini, ctx);
    free_sections(&ini);
    if (rc == NN_OK && copy && !(*copy = strdup(text)))
        rc = nn_fail(err, NN_E_NOMEM, "%s: out of memory copying the config text", path);
    return rc;
}

/* ---- interpreting values -------------------------------------------------- */

int nn_ini_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
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

/* A ${NAME} reference at d ("${" found): the name's length, or 0 when the
 * reference is malformed. */
static size_t var_name(const char *d)
{
    const char *name = d + 2, *close = strchr(name, '}');
    size_t n = close ? (size_t)(close - name) : 0;
    int ok = close && n > 0 && n < 256 && !isdigit((unsigned char)name[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '_';
    return ok ? n : 0;
}

/* The entry's value with every ${NAME} replaced by the environment variable. */
static int expand(nn_ini *ini, const nn_ini_section *s, const nn_ini_entry *e, const nn_key_spec *k,
                  char **out)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    const char *p = e->value;
    if (nn_ini_append(&buf, &len, &cap, "", 0))
        return fail_nomem(ini);
    int rc = NN_OK;
    while (*p && rc == NN_OK) {
        const char *d = strstr(p, "${");
        if (nn_ini_append(&buf, &len, &cap, p, d ? (size_t)(d - p) : strlen(p))) {
            rc = fail_nomem(ini);
            break;
        }
        if (!d)
            break;
        size_t n = var_name(d);
        if (!n) {
            rc = nn_ini_fail_entry(ini, e, "[%s] %s = %s: bad variable reference (write ${NAME})",
                                   s->name, e->key, e->value);
            break;
        }
        char var[256];
        memcpy(var, d + 2, n);
        var[n] = '\0';
        const char *v = getenv(var);
        if (!v || !*v) {
            int input = k->type == NN_KEY_DATAFILE || k->type == NN_KEY_INPATH;
            rc = nn_ini_fail_entry(ini, e, "[%s] %s: %s is %s; export it %s", s->name, e->key, var,
                                   v ? "empty" : "not set",
                                   input ? "to point at your data folder" : "before running");
            break;
        }
        if (nn_ini_append(&buf, &len, &cap, v, strlen(v)))
            rc = fail_nomem(ini);
        p = d + 2 + n + 1;
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

int nn_ini_set(nn_ini *ini, const nn_ini_section *s, const nn_ini_entry *e, const nn_key_spec *k,
               void *base)
{
    char *v = NULL;
    int rc = expand(ini, s, e, k, &v);
    if (rc)
        return rc;
    char why[512];
    const char *bad = unwritable(v);
    if (!v[0])
        rc = nn_ini_fail_entry(ini, e, "[%s] %s has no value", s->name, e->key);
    else if (bad)
        rc = nn_ini_fail_entry(ini, e, "[%s] %s = '%s' %s: checkpoints could not store it", s->name,
                               e->key, v, bad);
    else if (nn_ini_convert(k, v, base, why, sizeof why))
        rc = nn_ini_fail_entry(ini, e, "[%s] %s = %s: %s", s->name, e->key, v, why);
    free(v);
    return rc;
}

const nn_key_spec *nn_ini_key(const nn_ini_rules *rules, const char *scope, const char *key)
{
    for (int i = 0; i < rules->n_keys; i++)
        if (strcmp(rules->keys[i].scope, scope) == 0 && strcmp(rules->keys[i].key, key) == 0)
            return &rules->keys[i];
    return NULL;
}

static int in_scopes(const char *scope, const char *const *scopes, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(scope, scopes[i]) == 0)
            return 1;
    return 0;
}

static int unknown_key(nn_ini *ini, const nn_ini_section *s, const nn_ini_entry *e,
                       const char *const *scopes, int n, const char *kind)
{
    const nn_ini_rules *r = ini->rules;
    for (int i = 0; kind && r->scope_noun && i < r->n_keys; i++) { /* another kind's key? */
        const nn_key_spec *k = &r->keys[i];
        char noun[128];
        if (strcmp(k->key, e->key) != 0 || in_scopes(k->scope, scopes, n) ||
            !r->scope_noun(k->scope, noun, sizeof noun))
            continue;
        return nn_ini_fail_entry(ini, e, "unknown key '%s' in [%s]: it is a key of %s%s%s", e->key,
                                 s->name, noun, kind[0] ? ", and " : "", kind);
    }
    nn_ini_match m;
    nn_ini_match_init(&m, e->key);
    for (int i = 0; i < r->n_keys; i++)
        if (in_scopes(r->keys[i].scope, scopes, n))
            nn_ini_match_try(&m, r->keys[i].key);
    const char *best = nn_ini_match_best(&m);
    if (best)
        return nn_ini_fail_entry(ini, e, "unknown key '%s' in [%s] (did you mean '%s'?)", e->key,
                                 s->name, best);
    return nn_ini_fail_entry(ini, e, "unknown key '%s' in [%s] (%s lists the keys)", e->key,
                             s->name, r->keys_doc);
}

int nn_ini_apply(nn_ini *ini, const nn_ini_section *s, const char *const *scopes, int n, void *base,
                 const char *kind)
{
    for (int i = 0; i < s->n; i++) {
        const nn_key_spec *k = NULL;
        for (int j = 0; j < n && !k; j++)
            k = nn_ini_key(ini->rules, scopes[j], s->e[i].key);
        if (!k)
            return unknown_key(ini, s, &s->e[i], scopes, n, kind);
        int rc = nn_ini_set(ini, s, &s->e[i], k, base);
        if (rc)
            return rc;
    }
    return NN_OK;
}

int nn_ini_check_sections(nn_ini *ini)
{
    const nn_ini_rules *r = ini->rules;
    if (r->fixed && r->fixed[0] && !nn_ini_section_find(ini, r->fixed[0]))
        return nn_ini_fail_line(ini, 0, "%s", r->no_first);
    if (ini->n_others == 0)
        return nn_ini_fail_line(ini, 0, "%s", r->no_others);
    return NN_OK;
}

const nn_key_spec *nn_ini_missing(const nn_ini *ini, const nn_ini_section *s, const char *scope)
{
    const nn_ini_rules *r = ini->rules;
    for (int i = 0; i < r->n_keys; i++) {
        const nn_key_spec *k = &r->keys[i];
        if (k->required && strcmp(k->scope, scope) == 0 && !nn_ini_entry_find(s, k->key))
            return k;
    }
    return NULL;
}

int nn_ini_check_files(nn_ini *ini, const nn_ini_section *s, const char *scope, const void *base)
{
    const nn_ini_rules *r = ini->rules;
    for (int i = 0; s && i < r->n_keys; i++) {
        const nn_key_spec *k = &r->keys[i];
        if ((k->type != NN_KEY_DATAFILE && k->type != NN_KEY_INPATH) ||
            strcmp(k->scope, scope) != 0)
            continue;
        const char *path = (const char *)base + k->offset;
        if (!path[0])
            continue;
        struct stat st;
        FILE *f = NULL;
        const char *problem = NULL;
        if (stat(path, &st) != 0)
            problem = strerror(errno);
        else if (k->type == NN_KEY_INPATH)
            problem = NULL;
        else if (S_ISDIR(st.st_mode))
            problem = "is a folder, not a file";
        else if (!(f = fopen(path, "rb")))
            problem = strerror(errno);
        if (f)
            fclose(f);
        if (problem)
            return nn_ini_fail_entry(ini, nn_ini_entry_find(s, k->key), "[%s] %s = %s: %s", s->name,
                                     k->key, path, problem);
    }
    return NN_OK;
}

int nn_ini_max_line(void)
{
    /* inih's buffer must hold the line, "\r\n" and the NUL. */
    return ini_max_line - 3;
}
