/*
 * Unit tests for the berth CLI's option parser (src/cmd/berth/options.c) and
 * output formatting (format.c): docker's sizes, durations, tables and the
 * Go-template subset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const char *size(int64_t n)
{
	static char buf[32];
	cli_human_size(n, buf, sizeof(buf));
	return buf;
}

static const char *since(int64_t ago)
{
	static char buf[64];
	cli_human_since((int64_t)time(NULL) - ago, buf, sizeof(buf));
	return buf;
}

static void test_sizes_and_times(void)
{
	_cleanup_free_ char *e1 = cli_ellipsis("abcdef", 4), *e2 = cli_ellipsis("abc", 4), *e3 = cli_ellipsis("ééééé", 3);

	TAP_OK(strcmp(size(0), "0B") == 0);
	TAP_OK(strcmp(size(999), "999B") == 0);
	TAP_OK(strcmp(size(1000), "1kB") == 0);
	TAP_OK(strcmp(size(1234), "1.23kB") == 0);
	TAP_OK(strcmp(size(4261550), "4.26MB") == 0);
	TAP_OK(strcmp(size(2130944), "2.13MB") == 0);
	TAP_OK(strcmp(size(72900000), "72.9MB") == 0);
	TAP_OK(strcmp(size(1234567890), "1.23GB") == 0);

	TAP_OK(strcmp(since(0), "Less than a second ago") == 0);
	TAP_OK(strcmp(since(1), "1 second ago") == 0);
	TAP_OK(strcmp(since(45), "45 seconds ago") == 0);
	TAP_OK(strcmp(since(90), "About a minute ago") == 0);
	TAP_OK(strcmp(since(59 * 60), "59 minutes ago") == 0);
	TAP_OK(strcmp(since(80 * 60), "About an hour ago") == 0);
	TAP_OK(strcmp(since(5 * 3600), "5 hours ago") == 0);
	TAP_OK(strcmp(since(3 * 86400), "3 days ago") == 0);
	TAP_OK(strcmp(since(20 * 86400), "2 weeks ago") == 0);
	TAP_OK(strcmp(since(100 * 86400), "3 months ago") == 0);
	TAP_OK(strcmp(since(3 * 365 * 86400), "3 years ago") == 0);

	TAP_OK(strcmp(e1, "abc…") == 0);
	TAP_OK(strcmp(e2, "abc") == 0);
	TAP_OK(strcmp(e3, "éé…") == 0);
}

/* Render a template over a JSON document; returns the text or "!error". */
static char *render(const char *tmpl, const char *json)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	json_t *v = json_loads(json, 0, NULL);
	char *out = NULL;

	if (cli_template_parse(tmpl, &t, &err) < 0 || cli_template_render(t, v, &out, &err) < 0) {
		free(out);
		out = berth_xasprintf("!%s", err.msg);
	}
	json_decref(v);
	return out;
}

#define RENDER_IS(tmpl, json, want)                                                            \
	do {                                                                                   \
		_cleanup_free_ char *got_ = render(tmpl, json);                                \
		tap_ok(strcmp(got_, want) == 0, "%s -> \"%s\" (want \"%s\")", tmpl, got_, want); \
	} while (0)

static void test_templates(void)
{
	static const char doc[] = "{\"A\":\"x\",\"N\":12,\"L\":[\"a\",\"b\"],\"M\":{\"z\":1,\"k\":\"v\"},"
				  "\"O\":{\"P\":{\"Q\":\"deep\"}},\"Nil\":null,\"T\":true}";
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	_cleanup_free_ char *header = NULL;
	static const char *const headers[] = { "A", "COL A", NULL };

	RENDER_IS("{{.A}}:{{.N}}", doc, "x:12");
	RENDER_IS("{{ .A }}", doc, "x");
	RENDER_IS("{{.L}}", doc, "[a b]");
	RENDER_IS("{{.M}}", doc, "map[k:v z:1]");
	RENDER_IS("{{.O.P.Q}}", doc, "deep");
	RENDER_IS("{{.Missing}}", doc, "<no value>");
	RENDER_IS("{{.Nil}} {{.T}}", doc, "<nil> true");
	RENDER_IS("{{json .L}}", doc, "[\"a\",\"b\"]");
	RENDER_IS("{{json .A}}", doc, "\"x\"");
	RENDER_IS("{{index .L 1}}", doc, "b");
	RENDER_IS("{{index .M \"k\"}}", doc, "v");
	RENDER_IS("{{join .L \", \"}}", doc, "a, b");
	RENDER_IS("{{upper .A}}{{lower \"Q\"}}", doc, "Xq");
	RENDER_IS("a\\tb\\n", doc, "a\tb\n");
	RENDER_IS("{{- .A -}}", doc, "x");
	RENDER_IS("{{.A", doc, "!template: unclosed action in \"{{.A\"");
	RENDER_IS("{{nosuch .A}}", doc, "!template: function \"nosuch\" not defined");
	RENDER_IS("{{index .L 5}}", doc, "!template: index out of range: 5");
	RENDER_IS("{{.A.B}}", doc, "!template: can't evaluate field B in type string");
	RENDER_IS("{{}}", doc, "!template: missing value for command");

	TAP_OK(cli_template_parse("table {{.A}}\\t{{.Other}}", &t, &err) == 0);
	TAP_OK(t && cli_template_is_table(t));
	header = t ? cli_template_header(t, headers) : NULL;
	TAP_OK(header && strcmp(header, "COL A\tOTHER") == 0);
}

static void test_table(void)
{
	struct cli_table *t = cli_table_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_table_add(t, "REPOSITORY\tTAG\tIMAGE ID");
	cli_table_add(t, "localhost/busybox\tlatest\t0123456789ab");
	cli_table_add(t, "a\tb\tc");
	cli_table_print(t, f);
	cli_table_free(t);
	fclose(f);
	/* widths: max(cell + 3, 10); the last column is not padded */
	TAP_OK(strcmp(buf, "REPOSITORY          TAG       IMAGE ID\n"
			   "localhost/busybox   latest    0123456789ab\n"
			   "a                   b         c\n") == 0);
	free(buf);
}

static void test_parser(void)
{
	const struct cli_command cmd = { .name = "x", .usage = "[OPTIONS]", .summary = "test" };
	struct cli_option opts[] = {
		{ "all", 'a', CLI_FLAG, "" },
		{ "quiet", 'q', CLI_FLAG, "" },
		{ "format", 0, CLI_STRING, "" },
		{ "env", 'e', CLI_LIST, "" },
		{ "output", 'o', CLI_STRING, "" },
		{ NULL },
	};
	char *argv[] = { "x", "-aq", "pos1", "--format={{.ID}}", "-e", "A=1", "--env", "B=2", "-eC=3", "-ofile",
			 "pos2", "--", "--all", NULL };
	int argc = 13;
	char *argv2[] = { "x", "-a", "cmd", "-q", NULL };
	int argc2 = 4;
	char *argv3[] = { "x", "--all=false", "--quiet=true", NULL };
	int argc3 = 3;

	TAP_OK(cli_parse(&cmd, opts, &argc, argv, false) == 0);
	TAP_OK(cli_flag(opts, "all") && cli_flag(opts, "quiet"));
	TAP_OK(strcmp(cli_value(opts, "format"), "{{.ID}}") == 0);
	TAP_OK(strcmp(cli_value(opts, "output"), "file") == 0);
	TAP_OK(cli_opt(opts, "env")->values && strcmp(cli_opt(opts, "env")->values[0], "A=1") == 0 &&
	       strcmp(cli_opt(opts, "env")->values[1], "B=2") == 0 && strcmp(cli_opt(opts, "env")->values[2], "C=3") == 0 &&
	       !cli_opt(opts, "env")->values[3]);
	TAP_OK(argc == 3 && strcmp(argv[0], "pos1") == 0 && strcmp(argv[1], "pos2") == 0 && strcmp(argv[2], "--all") == 0);
	cli_options_release(opts);
	for (struct cli_option *o = opts; o->name; o++)
		o->set = false, o->value = NULL;

	/* a command line: options stop at the first positional */
	TAP_OK(cli_parse(&cmd, opts, &argc2, argv2, true) == 0);
	TAP_OK(cli_flag(opts, "all") && !cli_flag(opts, "quiet"));
	TAP_OK(argc2 == 2 && strcmp(argv2[0], "cmd") == 0 && strcmp(argv2[1], "-q") == 0);

	TAP_OK(cli_parse(&cmd, opts, &argc3, argv3, false) == 0);
	TAP_OK(!cli_flag(opts, "all") && cli_flag(opts, "quiet"));
	cli_options_release(opts);

	{
		char *bad[] = { "x", "--nope", NULL };
		int n = 2;
		TAP_OK(cli_parse(&cmd, opts, &n, bad, false) < 0);
	}
	{
		char *bad[] = { "x", "-az", NULL };
		int n = 2;
		TAP_OK(cli_parse(&cmd, opts, &n, bad, false) < 0);
	}
	{
		char *bad[] = { "x", "--format", NULL };
		int n = 2;
		TAP_OK(cli_parse(&cmd, opts, &n, bad, false) < 0);
	}
	{
		char *bad[] = { "x", "--all=maybe", NULL };
		int n = 2;
		TAP_OK(cli_parse(&cmd, opts, &n, bad, false) < 0);
	}
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	test_sizes_and_times();
	test_templates();
	test_table();
	test_parser();
	return tap_done();
}
