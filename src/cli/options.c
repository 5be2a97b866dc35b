/* The subcommands' option parser (see cli/tools.h): one table per
 * subcommand, one loop for all of them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/core.h"
#include "cli/tools.h"

/* "eval: " before a message; nothing for training. */
static const char *sep(const nn_cli *c) { return *c->cmd->name ? ": " : ""; }

/* A usage error: "<name>: <message> (nntrain <name> --help)". */
static int usage_error(const nn_cli *c, nn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage_error(const nn_cli *c, nn_error *err, const char *fmt, ...)
{
    char body[NN_ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return nn_fail(err, NN_E_CONFIG, "%s%s%.*s (nntrain %s%s--help)", c->cmd->name, sep(c),
                   NN_ERR_MSG_LEN / 2, body, c->cmd->name, *c->cmd->name ? " " : "");
}

void nn_cli_print_entry(FILE *f, int width, const char *head, const char *text)
{
    const int indent = head ? 2 + width + 2 : 0, room = 79 - indent > 20 ? 79 - indent : 20;
    if (head)
        fprintf(f, "  %-*s  ", width, head);
    while (*text) {
        int n = (int)strlen(text);
        if (n > room) { /* the last space that fits; a longer word goes whole */
            n = room;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0)
                n = (int)strcspn(text, " ");
        }
        fprintf(f, "%.*s\n", n, text);
        text += n + strspn(text + n, " ");
        if (*text)
            fprintf(f, "%*s", indent, "");
    }
}

static void print_help(const nn_cli *c)
{
    const nn_command *cmd = c->cmd;
    printf("usage: nntrain %s%s%s\n", cmd->name, *cmd->name ? " " : "", cmd->synopsis);
    nn_cli_print_entry(stdout, 0, NULL, cmd->about);
    printf("\n");
    int width = (int)strlen("--help");
    for (int i = 0; i < c->n_opts; i++) {
        const nn_option *o = &c->opts[i];
        int w = (int)(strlen(o->name) + (o->arg ? 1 + strlen(o->arg) : 0));
        width = w > width ? w : width;
    }
    for (int i = 0; i < c->n_opts; i++) {
        const nn_option *o = &c->opts[i];
        char head[128];
        snprintf(head, sizeof head, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        nn_cli_print_entry(stdout, width, head, o->help);
    }
    nn_cli_print_entry(stdout, width, "--help", "print this help");
}

static const char *undashed(const char *s) { return s + strspn(s, "-"); }

/* The option nearest to an unknown one, when near enough to be a slip: the
 * rule the config uses for its keys (at most 1 edit for names of up to 4
 * letters, 2 up to 8, else 3, and fewer edits than the name has letters),
 * else the one option the word begins (--box for --boxes). */
static const char *nearest(const nn_cli *c, const char *word)
{
    const char *w = undashed(word), *best = NULL, *prefix_of = NULL;
    const size_t n = strlen(w);
    int dist = 1000, n_prefix = 0;
    for (int i = 0; i <= c->n_opts; i++) {
        const char *name = i < c->n_opts ? c->opts[i].name : "--help";
        int d = nn_edit_distance_case(w, undashed(name), 1);
        if (d >= 0 && d < dist) {
            dist = d;
            best = name;
        }
        if (n >= 2 && strncmp(w, undashed(name), n) == 0 && n_prefix++ == 0)
            prefix_of = name;
    }
    int limit = n <= 4 ? 1 : n <= 8 ? 2 : 3;
    if (best && dist <= limit && (size_t)dist < strlen(undashed(best)))
        return best;
    return n_prefix == 1 ? prefix_of : NULL;
}

static int unknown_option(const nn_cli *c, const char *word, nn_error *err)
{
    const char *near = nearest(c, word);
    if (near)
        return usage_error(c, err, "unknown option '%s'; did you mean '%s'?", word, near);
    return usage_error(c, err, "unknown option '%s'", word);
}

/* What parsing found: the values of the list options and the positional
 * arguments, in one allocation with room for every argument in each. */
typedef struct parsed {
    const char **block;
    const char **args;
    int n_args;
    int done; /* --help or a text option ended the command */
} parsed;

/* The list of option k (its slice of the block). */
static const char **list_of(const nn_cli *c, const parsed *p, int argc, int k)
{
    int slot = 1;
    for (int i = 0; i < k; i++)
        slot += c->opts[i].list != NULL;
    return p->block + (size_t)slot * ((size_t)argc + 1);
}

/* The value v of option o (k in the table). */
static int take_value(const nn_cli *c, parsed *p, int argc, int k, const char *v, nn_error *err)
{
    const nn_option *o = &c->opts[k];
    if (o->parse)
        return o->parse(v, o->dest, err);
    if (!o->list) {
        *o->value = v;
        return NN_OK;
    }
    const char **l = list_of(c, p, argc, k);
    l[(*o->count)++] = v;
    *o->list = l;
    return NN_OK;
}

/* One "--name" or "--name=value" at argv[*i] (advanced past its value). */
static int take_option(const nn_cli *c, parsed *p, int argc, char **argv, int *i, nn_error *err)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    int k = 0;
    while (k < c->n_opts && !(strlen(c->opts[k].name) == len && !strncmp(c->opts[k].name, a, len)))
        k++;
    const nn_option *o = k < c->n_opts ? &c->opts[k] : NULL;
    if (!o && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
        print_help(c);
        p->done = 1;
        return NN_OK;
    }
    if (!o)
        return unknown_option(c, a, err);
    if (!o->arg && eq)
        return usage_error(c, err, "%s takes no value", o->name);
    if (o->text) {
        fputs(o->text(), stdout);
        p->done = 1;
        return NN_OK;
    }
    if (!o->arg) {
        *o->flag = 1;
        return NN_OK;
    }
    const char *v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!v)
        return usage_error(c, err, "%s needs a value (%s %s)", o->name, o->name, o->arg);
    return take_value(c, p, argc, k, v, err);
}

/* The positional arguments: how many, and where they go. */
static int place_args(const nn_cli *c, parsed *p, nn_error *err)
{
    const int n = p->n_args;
    if (n < c->cmd->min_args)
        return usage_error(c, err, "no %s given", c->cmd->arg_names[n < 1 ? 0 : 1]);
    if (n > 1 && !c->cmd->arg_names[1])
        return usage_error(c, err, "more than one %s given ('%s' and '%s')", c->cmd->arg_names[0],
                           p->args[0], p->args[1]);
    const int skip = c->first && n > 0;
    if (skip)
        *c->first = p->args[0];
    if (c->rest) {
        *c->rest = p->args + skip;
        *c->n_rest = n - skip;
    }
    return NN_OK;
}

static int parse(const nn_cli *c, int argc, char **argv, parsed *p, nn_error *err)
{
    int lists = 1;
    for (int i = 0; i < c->n_opts; i++)
        if (c->opts[i].list) {
            lists++;
            *c->opts[i].list = NULL;
            *c->opts[i].count = 0;
        }
    p->block = nn_calloc((size_t)lists * ((size_t)argc + 1), sizeof *p->block, err);
    if (!p->block)
        return NN_E_NOMEM;
    p->args = p->block;
    int only_args = 0, rc = NN_OK;
    for (int i = 1; i < argc && !rc && !p->done; ++i) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0')
            p->args[p->n_args++] = a;
        else if (strcmp(a, "--") == 0)
            only_args = 1;
        else
            rc = take_option(c, p, argc, argv, &i, err);
    }
    return rc || p->done ? rc : place_args(c, p, err);
}

int nn_cli_run(const nn_cli *c, int argc, char **argv, nn_collective_fn run, const void *opts,
               nn_error *err)
{
    parsed p = { 0 };
    int rc = parse(c, argc, argv, &p, err);
    if (!rc && !p.done && c->cmd->mpi) {
        rc = nn_tools_run_mpi(&argc, &argv, run, opts, err);
    } else if (!rc && !p.done) {
        const nn_dist alone = { 0, 1 };
        rc = run(opts, &alone, err);
    }
    nn_tools_report(rc, 0, err); /* a no-op when nn_tools_run_mpi reported it */
    free(p.block);
    return rc;
}
