/*
 * Output formatting shared by the verbs: docker's human sizes and
 * durations, tabwriter-aligned tables, and a Go text/template subset for
 * --format over JSON values.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* --- sizes, times ---------------------------------------------------------- */

void cli_human_size(int64_t size, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
	double v = (double)size;
	size_t i = 0;

	while (v >= 1000.0 && i < ARRAY_SIZE(units) - 1) {
		v /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.3g%s", v, units[i]);
}

static void human_duration(int64_t secs, char *buf, size_t len)
{
	int64_t minutes = secs / 60;
	/* Go's Duration.Round(time.Hour): halves away from zero */
	int64_t hours = (secs + 1800) / 3600;

	if (secs < 1)
		snprintf(buf, len, "Less than a second");
	else if (secs == 1)
		snprintf(buf, len, "1 second");
	else if (secs < 60)
		snprintf(buf, len, "%" PRId64 " seconds", secs);
	else if (minutes == 1)
		snprintf(buf, len, "About a minute");
	else if (minutes < 60)
		snprintf(buf, len, "%" PRId64 " minutes", minutes);
	else if (hours == 1)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%" PRId64 " hours", hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%" PRId64 " days", hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%" PRId64 " weeks", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%" PRId64 " months", hours / 24 / 30);
	else
		snprintf(buf, len, "%" PRId64 " years", secs / 3600 / 24 / 365);
}

void cli_human_since(int64_t when, char *buf, size_t len)
{
	char d[64];

	human_duration((int64_t)time(NULL) - when, d, sizeof(d));
	snprintf(buf, len, "%s ago", d);
}

void cli_time_string(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;

	localtime_r(&t, &tm);
	if (strftime(buf, len, "%Y-%m-%d %H:%M:%S %z %Z", &tm) == 0 && len)
		buf[0] = '\0';
}

void cli_time_rfc3339(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 && len)
		buf[0] = '\0';
}

static size_t utf8_len(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n && s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

char *cli_ellipsis(const char *s, size_t max)
{
	size_t runes = 0, i;

	if (utf8_len(s, strlen(s)) <= max)
		return berth_xstrdup(s);
	if (max == 0)
		return berth_xstrdup("");
	/* keep max-1 runes, then the ellipsis */
	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (runes == max - 1)
				break;
			runes++;
		}
	}
	return berth_xasprintf("%.*s…", (int)i, s);
}

/* --- tables ---------------------------------------------------------------- */

struct cli_table {
	char ***rows; /* each a strv of cells */
	size_t n;
};

struct cli_table *cli_table_new(void)
{
	return berth_xzalloc(sizeof(struct cli_table));
}

void cli_table_add(struct cli_table *t, const char *line)
{
	char **cells = NULL;
	const char *p = line;

	for (;;) {
		const char *tab = strchr(p, '\t');
		if (!tab) {
			berth_strv_push(&cells, p);
			break;
		}
		berth_strv_consume(&cells, berth_xstrndup(p, (size_t)(tab - p)));
		p = tab + 1;
	}
	t->rows = berth_xreallocarray(t->rows, t->n + 1, sizeof(*t->rows));
	t->rows[t->n++] = cells;
}

/* Go's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0), which docker uses: the last cell of a line is not padded. */
void cli_table_print(struct cli_table *t, FILE *out)
{
	size_t ncols = 0;
	_cleanup_free_ size_t *width = NULL;

	for (size_t r = 0; r < t->n; r++)
		if (berth_strv_length(t->rows[r]) > ncols)
			ncols = berth_strv_length(t->rows[r]);
	width = berth_xcalloc(ncols + 1, sizeof(size_t));
	for (size_t r = 0; r < t->n; r++) {
		size_t nc = berth_strv_length(t->rows[r]);
		for (size_t c = 0; c + 1 < nc; c++) {
			size_t w = utf8_len(t->rows[r][c], SIZE_MAX) + 3;
			if (w < 10)
				w = 10;
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t r = 0; r < t->n; r++) {
		size_t nc = berth_strv_length(t->rows[r]);
		for (size_t c = 0; c < nc; c++) {
			fputs(t->rows[r][c], out);
			if (c + 1 < nc)
				fprintf(out, "%*s", (int)(width[c] - utf8_len(t->rows[r][c], SIZE_MAX)), "");
		}
		fputc('\n', out);
	}
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->n; r++)
		berth_strv_free(t->rows[r]);
	free(t->rows);
	free(t);
}

/* --- templates ------------------------------------------------------------- */

enum arg_kind {
	ARG_FIELD,  /* .A.B ("." = the value itself) */
	ARG_STRING, /* "literal" */
	ARG_NUMBER,
};

struct tmpl_arg {
	enum arg_kind kind;
	char **path; /* ARG_FIELD: the field names */
	char *str;
	long long num;
};

enum node_kind {
	NODE_TEXT,
	NODE_ACTION,
};

struct tmpl_node {
	enum node_kind kind;
	char *text;	/* NODE_TEXT */
	char *func;	/* NODE_ACTION: NULL = print the first argument */
	struct tmpl_arg *args;
	size_t n_args;
};

struct cli_template {
	bool table;
	struct tmpl_node *nodes;
	size_t n;
};

static void tmpl_add(struct cli_template *t, struct tmpl_node node)
{
	t->nodes = berth_xreallocarray(t->nodes, t->n + 1, sizeof(*t->nodes));
	t->nodes[t->n++] = node;
}

/* Literal text with the \t and \n escapes docker's --format accepts. */
static char *unescape(const char *s, size_t len)
{
	char *out = berth_xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && (s[i + 1] == 't' || s[i + 1] == 'n')) {
			*o++ = s[i + 1] == 't' ? '\t' : '\n';
			i++;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static int parse_arg(const char *w, struct tmpl_arg *a, struct berth_error *err)
{
	if (w[0] == '"') {
		size_t len = strlen(w);
		if (len < 2 || w[len - 1] != '"')
			return berth_error_setx(err, EINVAL, "template: unterminated quoted string %s", w);
		a->kind = ARG_STRING;
		a->str = unescape(w + 1, len - 2);
		return 0;
	}
	if (w[0] == '.') {
		_cleanup_free_ char *copy = berth_xstrdup(w + 1);
		a->kind = ARG_FIELD;
		a->path = berth_xzalloc(sizeof(char *));
		for (char *save = NULL, *f = strtok_r(copy, ".", &save); f; f = strtok_r(NULL, ".", &save))
			berth_strv_push(&a->path, f);
		return 0;
	}
	if (isdigit((unsigned char)w[0]) || w[0] == '-') {
		char *end = NULL;
		a->kind = ARG_NUMBER;
		a->num = strtoll(w, &end, 10);
		if (*end)
			return berth_error_setx(err, EINVAL, "template: bad number syntax: %s", w);
		return 0;
	}
	return berth_error_setx(err, EINVAL, "template: function \"%s\" not defined", w);
}

/* Split an action's words, keeping quoted strings (with spaces) whole. */
static char **split_words(const char *s)
{
	char **words = NULL;

	while (*s) {
		const char *start;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		start = s;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			if (*s)
				s++;
		} else {
			while (*s && !isspace((unsigned char)*s))
				s++;
		}
		berth_strv_consume(&words, berth_xstrndup(start, (size_t)(s - start)));
	}
	return words;
}

static const char *const functions[] = { "json", "index", "join", "upper", "lower", "title", "println", NULL };

static int parse_action(struct cli_template *t, const char *s, size_t len, struct berth_error *err)
{
	_cleanup_free_ char *body = berth_xstrndup(s, len);
	_cleanup_strv_free_ char **words = NULL;
	struct tmpl_node node = { .kind = NODE_ACTION };
	size_t first = 0, nw;
	char *b = body;

	/* trim markers "{{- " and " -}}": the spaces around are not ours to keep anyway */
	if (b[0] == '-' && isspace((unsigned char)b[1]))
		b++;
	if (strlen(b) >= 2 && b[strlen(b) - 1] == '-' && isspace((unsigned char)b[strlen(b) - 2]))
		b[strlen(b) - 1] = '\0';
	words = split_words(b);
	nw = berth_strv_length(words);
	if (nw == 0)
		return berth_error_setx(err, EINVAL, "template: missing value for command");
	if (berth_strv_contains((char *const *)functions, words[0])) {
		node.func = berth_xstrdup(words[0]);
		first = 1;
	} else if (words[0][0] != '.' && words[0][0] != '"' && !isdigit((unsigned char)words[0][0])) {
		return berth_error_setx(err, EINVAL, "template: function \"%s\" not defined", words[0]);
	} else if (nw > 1) {
		return berth_error_setx(err, EINVAL, "template: can't give argument to non-function %s", words[0]);
	}
	node.args = berth_xcalloc(nw, sizeof(struct tmpl_arg));
	for (size_t i = first; i < nw; i++) {
		int r = parse_arg(words[i], &node.args[node.n_args], err);
		if (r < 0) {
			tmpl_add(t, node); /* freed with the template */
			return r;
		}
		node.n_args++;
	}
	tmpl_add(t, node);
	return 0;
}

int cli_template_parse(const char *text, struct cli_template **ret, struct berth_error *err)
{
	_cleanup_(cli_template_freep) struct cli_template *t = berth_xzalloc(sizeof(*t));
	const char *p = text;

	if (strncmp(p, "table ", 6) == 0 || strcmp(p, "table") == 0) {
		t->table = true;
		p += strlen(p) > 5 ? 6 : 5;
	}
	while (*p) {
		const char *open = strstr(p, "{{"), *close;
		int r;

		if (!open) {
			tmpl_add(t, (struct tmpl_node){ .kind = NODE_TEXT, .text = unescape(p, strlen(p)) });
			break;
		}
		if (open > p)
			tmpl_add(t, (struct tmpl_node){ .kind = NODE_TEXT, .text = unescape(p, (size_t)(open - p)) });
		close = strstr(open + 2, "}}");
		if (!close)
			return berth_error_setx(err, EINVAL, "template: unclosed action in \"%s\"", text);
		r = parse_action(t, open + 2, (size_t)(close - open - 2), err);
		if (r < 0)
			return r;
		p = close + 2;
	}
	*ret = TAKE_PTR(t);
	return 0;
}

bool cli_template_is_table(const struct cli_template *t)
{
	return t->table;
}

void cli_template_free(struct cli_template *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].text);
		free(t->nodes[i].func);
		for (size_t a = 0; a < t->nodes[i].n_args; a++) {
			berth_strv_free(t->nodes[i].args[a].path);
			free(t->nodes[i].args[a].str);
		}
		free(t->nodes[i].args);
	}
	free(t->nodes);
	free(t);
}

static void append(char **out, const char *s)
{
	size_t old = *out ? strlen(*out) : 0, add = strlen(s);

	*out = berth_xrealloc(*out, old + add + 1);
	memcpy(*out + old, s, add + 1);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The value as Go's fmt prints an interface{} decoded from JSON (integers stay integers). */
static void print_go(json_t *v, char **out)
{
	char buf[64];

	if (!v) {
		append(out, "<no value>");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		append(out, json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		append(out, buf);
		break;
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		append(out, buf);
		break;
	case JSON_TRUE:
		append(out, "true");
		break;
	case JSON_FALSE:
		append(out, "false");
		break;
	case JSON_NULL:
		append(out, "<nil>");
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		append(out, "[");
		json_array_foreach(v, i, e) {
			if (i)
				append(out, " ");
			print_go(e, out);
		}
		append(out, "]");
		break;
	}
	case JSON_OBJECT: {
		/* Go prints maps with sorted keys */
		_cleanup_strv_free_ char **keys = NULL;
		const char *k;
		json_t *e;
		size_t n;
		json_object_foreach(v, k, e)
			berth_strv_push(&keys, k);
		n = berth_strv_length(keys);
		qsort(keys, n, sizeof(char *), cmp_str);
		append(out, "map[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				append(out, " ");
			append(out, keys[i]);
			append(out, ":");
			print_go(json_object_get(v, keys[i]), out);
		}
		append(out, "]");
		break;
	}
	}
}

/* Evaluate an argument: a borrowed or new reference in *ret (new when *owned). */
static int eval_arg(const struct tmpl_arg *a, json_t *dot, json_t **ret, struct berth_error *err)
{
	json_t *v = dot;

	switch (a->kind) {
	case ARG_STRING:
		*ret = json_string(a->str);
		return 1;
	case ARG_NUMBER:
		*ret = json_integer(a->num);
		return 1;
	case ARG_FIELD:
		break;
	}
	for (char **f = a->path; f && *f; f++) {
		if (!v || !json_is_object(v))
			return berth_error_setx(err, EINVAL, "template: can't evaluate field %s in type %s", *f,
						!v ? "<nil>" : json_is_array(v) ? "[]interface {}" : "string");
		v = json_object_get(v, *f);
	}
	*ret = v;
	return 0;
}

static int call(const struct tmpl_node *n, json_t **args, char **out, struct berth_error *err)
{
	const char *f = n->func;

	if (strcmp(f, "json") == 0) {
		_cleanup_free_ char *s = NULL;
		if (n->n_args != 1)
			return berth_error_setx(err, EINVAL, "template: json takes one argument");
		s = args[0] ? json_dumps(args[0], JSON_COMPACT | JSON_ENCODE_ANY) : berth_xstrdup("null");
		append(out, s);
		return 0;
	}
	if (strcmp(f, "index") == 0) {
		json_t *v = n->n_args == 2 ? args[0] : NULL;
		if (n->n_args != 2)
			return berth_error_setx(err, EINVAL, "template: index takes two arguments");
		if (json_is_array(v) && json_is_integer(args[1])) {
			json_int_t i = json_integer_value(args[1]);
			if (i < 0 || (size_t)i >= json_array_size(v))
				return berth_error_setx(err, EINVAL, "template: index out of range: %" JSON_INTEGER_FORMAT, i);
			print_go(json_array_get(v, (size_t)i), out);
		} else if (json_is_object(v) && json_is_string(args[1])) {
			print_go(json_object_get(v, json_string_value(args[1])), out);
		} else {
			return berth_error_setx(err, EINVAL, "template: can't index item");
		}
		return 0;
	}
	if (strcmp(f, "join") == 0) {
		size_t i;
		json_t *e;
		if (n->n_args != 2 || !json_is_array(args[0]) || !json_is_string(args[1]))
			return berth_error_setx(err, EINVAL, "template: join takes a list and a separator");
		json_array_foreach(args[0], i, e) {
			if (i)
				append(out, json_string_value(args[1]));
			print_go(e, out);
		}
		return 0;
	}
	if (strcmp(f, "println") == 0) {
		for (size_t i = 0; i < n->n_args; i++) {
			if (i)
				append(out, " ");
			print_go(args[i], out);
		}
		append(out, "\n");
		return 0;
	}
	/* upper, lower, title */
	{
		_cleanup_free_ char *s = NULL;
		if (n->n_args != 1)
			return berth_error_setx(err, EINVAL, "template: %s takes one argument", f);
		print_go(args[0], &s);
		for (char *p = s; p && *p; p++) {
			if (strcmp(f, "upper") == 0)
				*p = (char)toupper((unsigned char)*p);
			else if (strcmp(f, "lower") == 0)
				*p = (char)tolower((unsigned char)*p);
			else if (p == s || p[-1] == ' ')
				*p = (char)toupper((unsigned char)*p);
		}
		append(out, s ? s : "");
		return 0;
	}
}

static int render_action(const struct tmpl_node *n, json_t *dot, char **out, struct berth_error *err)
{
	json_t *args[8] = { NULL };
	bool owned[8] = { false };
	int r = 0;

	if (n->n_args > ARRAY_SIZE(args))
		return berth_error_setx(err, EINVAL, "template: too many arguments");
	for (size_t i = 0; i < n->n_args && r >= 0; i++) {
		r = eval_arg(&n->args[i], dot, &args[i], err);
		owned[i] = r == 1;
	}
	if (r >= 0) {
		if (n->func)
			r = call(n, args, out, err);
		else if (n->n_args == 1)
			print_go(args[0], out);
	}
	for (size_t i = 0; i < n->n_args; i++)
		if (owned[i])
			json_decref(args[i]);
	return r < 0 ? r : 0;
}

int cli_template_render(const struct cli_template *t, json_t *value, char **out, struct berth_error *err)
{
	if (!*out)
		*out = berth_xstrdup("");
	for (size_t i = 0; i < t->n; i++) {
		int r;
		if (t->nodes[i].kind == NODE_TEXT) {
			append(out, t->nodes[i].text);
			continue;
		}
		r = render_action(&t->nodes[i], value, out, err);
		if (r < 0)
			return r;
	}
	return 0;
}

char *cli_template_header(const struct cli_template *t, const char *const *headers)
{
	char *out = berth_xstrdup("");

	for (size_t i = 0; i < t->n; i++) {
		const struct tmpl_node *n = &t->nodes[i];
		const char *field = NULL;

		if (n->kind == NODE_TEXT) {
			append(&out, n->text);
			continue;
		}
		for (size_t a = 0; a < n->n_args && !field; a++)
			if (n->args[a].kind == ARG_FIELD && n->args[a].path && n->args[a].path[0])
				field = n->args[a].path[0];
		if (!field)
			continue;
		for (const char *const *h = headers; h && *h; h += 2)
			if (strcmp(h[0], field) == 0) {
				append(&out, h[1]);
				field = NULL;
				break;
			}
		if (field) {
			_cleanup_free_ char *up = berth_xstrdup(field);
			for (char *p = up; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			append(&out, up);
		}
	}
	return out;
}

int cli_print_rows(json_t *rows, const char *format, const char *default_format, const char *const *headers,
		   FILE *out)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	struct cli_table *table = NULL;
	size_t i;
	json_t *row;

	if (!format || strcmp(format, "table") == 0)
		format = default_format ? default_format : "{{json .}}";
	else if (strcmp(format, "json") == 0)
		format = "{{json .}}";
	if (cli_template_parse(format, &t, &err) < 0)
		return (cli_fail(&err), CLI_EXIT_ENGINE);
	if (t->table) {
		_cleanup_free_ char *h = cli_template_header(t, headers);
		table = cli_table_new();
		cli_table_add(table, h);
	}
	json_array_foreach(rows, i, row) {
		_cleanup_free_ char *line = NULL;
		if (cli_template_render(t, row, &line, &err) < 0) {
			cli_table_free(table);
			return (cli_fail(&err), CLI_EXIT_ENGINE);
		}
		if (table)
			cli_table_add(table, line);
		else
			fprintf(out, "%s\n", line);
	}
	if (table) {
		cli_table_print(table, out);
		cli_table_free(table);
	}
	return CLI_EXIT_OK;
}
