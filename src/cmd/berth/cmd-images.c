/* berth images / berth image ls: docker's image list. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "image/image.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const char *const headers[] = {
	"ID", "IMAGE ID", "Repository", "REPOSITORY", "Tag", "TAG", "Digest", "DIGEST", "CreatedSince", "CREATED",
	"CreatedAt", "CREATED AT", "Size", "SIZE", "VirtualSize", "SIZE", "SharedSize", "SHARED SIZE",
	"UniqueSize", "UNIQUE SIZE", "Containers", "CONTAINERS", NULL,
};

char *cli_image_id(const char *id, bool no_trunc)
{
	const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;

	return no_trunc ? berth_xstrdup(id) : berth_xstrndup(hex, 12);
}

struct filters {
	int dangling; /* -1 = any */
	char **references;
	const char *repo_arg; /* the positional REPOSITORY[:TAG] */
};

/* One displayed name: familiar repository and tag ("<none>" where missing). */
struct row_name {
	char *repository; /* full */
	char *familiar;
	char *tag;
};

static void row_name_release(struct row_name *n)
{
	free(n->repository);
	free(n->familiar);
	free(n->tag);
}

static int split_name(const char *name, struct row_name *ret)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reference ref = { 0 };

	if (berth_reference_parse(name, &ref, &err) < 0)
		return -EINVAL;
	ret->repository = berth_reference_repository(&ref);
	ret->familiar = berth_reference_familiar(ret->repository);
	ret->tag = berth_xstrdup(ref.tag ? ref.tag : "<none>");
	berth_reference_release(&ref);
	return 0;
}

/* The positional argument: "busybox" matches the repository, "busybox:1" the tag too. */
static bool match_repo_arg(const char *arg, const struct row_name *n)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reference ref = { 0 };
	_cleanup_free_ char *repo = NULL, *local = NULL;
	const char *slash = strrchr(arg, '/');
	bool with_tag = strchr(slash ? slash : arg, ':') != NULL, ok;

	if (fnmatch(arg, n->familiar, 0) == 0)
		return true;
	if (berth_reference_parse(arg, &ref, &err) < 0)
		return false;
	repo = berth_reference_repository(&ref);
	ok = strcmp(repo, n->repository) == 0;
	if (!ok && ref.short_name) {
		/* a short name also means localhost/<name> */
		local = berth_xasprintf("localhost/%s", arg);
		const char *colon = strrchr(local, ':');
		_cleanup_free_ char *local_repo = colon && with_tag ? berth_xstrndup(local, (size_t)(colon - local))
								    : berth_xstrdup(local);
		ok = strcmp(local_repo, n->repository) == 0;
	}
	if (ok && with_tag)
		ok = ref.tag && strcmp(ref.tag, n->tag) == 0;
	berth_reference_release(&ref);
	return ok;
}

static bool match_reference(char **patterns, const struct row_name *n)
{
	for (char **p = patterns; p && *p; p++) {
		_cleanup_free_ char *with_tag = berth_xasprintf("%s:%s", n->familiar, n->tag);
		if (fnmatch(*p, n->familiar, 0) == 0 || fnmatch(*p, with_tag, 0) == 0 ||
		    fnmatch(*p, n->repository, 0) == 0)
			return true;
	}
	return !patterns;
}

static json_t *make_row(const struct berth_image *img, const char *repo, const char *tag, const char *digest,
			bool no_trunc)
{
	_cleanup_free_ char *id = cli_image_id(img->id, no_trunc);
	char since[64], at[64], size[32];

	if (img->created > 0) {
		cli_human_since(img->created, since, sizeof(since));
		cli_time_string(img->created, at, sizeof(at));
	} else {
		snprintf(since, sizeof(since), "N/A");
		snprintf(at, sizeof(at), "N/A");
	}
	cli_human_size(img->size, size, sizeof(size));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "N/A", "CreatedAt", at,
			 "CreatedSince", since, "Digest", digest ? digest : "<none>", "ID", id, "Repository", repo,
			 "SharedSize", "N/A", "Size", size, "Tag", tag, "UniqueSize", "N/A", "VirtualSize", size);
}

/* The digest part of the repo digest of this repository, or NULL. */
static const char *repo_digest_for(const struct berth_image *img, const char *repository)
{
	size_t len = strlen(repository);

	for (char **d = img->repo_digests; d && *d; d++)
		if (strncmp(*d, repository, len) == 0 && (*d)[len] == '@')
			return *d + len + 1;
	return NULL;
}

static void add_image_rows(json_t *rows, const struct berth_image *img, const struct filters *f, bool no_trunc)
{
	bool any = false, named = img->names && img->names[0];
	_cleanup_strv_free_ char **shown_repos = NULL;

	if (f->dangling == 1 && named)
		return;
	if (f->dangling == 0 && !named)
		return;
	for (char **name = img->names; name && *name; name++) {
		struct row_name n = { 0 };
		if (split_name(*name, &n) < 0)
			continue;
		berth_strv_push(&shown_repos, n.repository);
		if ((!f->repo_arg || match_repo_arg(f->repo_arg, &n)) && match_reference(f->references, &n))
			json_array_append_new(rows, make_row(img, n.familiar, n.tag, repo_digest_for(img, n.repository),
							     no_trunc));
		row_name_release(&n);
		any = true;
	}
	/* repositories known only by digest (pulled by digest, later untagged) */
	for (char **d = img->repo_digests; d && *d; d++) {
		const char *at = strchr(*d, '@');
		_cleanup_free_ char *repo = at ? berth_xstrndup(*d, (size_t)(at - *d)) : NULL;
		struct row_name n = { 0 };
		if (!repo || berth_strv_contains(shown_repos, repo))
			continue;
		berth_strv_push(&shown_repos, repo);
		n.repository = berth_xstrdup(repo);
		n.familiar = berth_reference_familiar(repo);
		n.tag = berth_xstrdup("<none>");
		if ((!f->repo_arg || match_repo_arg(f->repo_arg, &n)) && match_reference(f->references, &n))
			json_array_append_new(rows, make_row(img, n.familiar, "<none>", at + 1, no_trunc));
		row_name_release(&n);
		any = true;
	}
	if (!any && !f->repo_arg && !f->references)
		json_array_append_new(rows, make_row(img, "<none>", "<none>", NULL, no_trunc));
}

static int parse_filters(const struct cli_command *cmd, char **specs, struct filters *f)
{
	for (char **s = specs; s && *s; s++) {
		const char *eq = strchr(*s, '=');
		if (!eq)
			return cli_usage_error(cmd, "bad format of filter (expected name=value)");
		if (strncmp(*s, "dangling=", 9) == 0) {
			if (strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0)
				f->dangling = 1;
			else if (strcmp(eq + 1, "false") == 0 || strcmp(eq + 1, "0") == 0)
				f->dangling = 0;
			else
				return cli_usage_error(cmd, "invalid filter 'dangling=%s'", eq + 1);
		} else if (strncmp(*s, "reference=", 10) == 0) {
			berth_strv_push(&f->references, eq + 1);
		} else {
			return cli_usage_error(cmd, "invalid filter '%.*s'", (int)(eq - *s), *s);
		}
	}
	return 0;
}

/* Newest first, like docker; images stored at the same second keep the store's order. */
struct sort_item {
	const struct berth_image *img;
	size_t index;
};

static int cmp_images(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;

	if (x->img->created != y->img->created)
		return x->img->created > y->img->created ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int images_run(struct cli_global *g, const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_option opts[] = {
		{ "all", 'a', CLI_FLAG, "Show all images (default hides intermediate images)" },
		{ "digests", 0, CLI_FLAG, "Show digests" },
		{ "filter", 'f', CLI_LIST, "Filter output based on conditions provided (dangling=, reference=)", "filter" },
		{ "format", 0, CLI_STRING, "Format output using a custom template: 'table', 'json' or a Go template" },
		{ "no-trunc", 0, CLI_FLAG, "Don't truncate output" },
		{ "quiet", 'q', CLI_FLAG, "Only show image IDs" },
		{ NULL },
	};
	_cleanup_options_ struct cli_option *release = opts;
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct filters f = { .dangling = -1 };
	struct berth_image *imgs = NULL;
	_cleanup_free_ struct sort_item *order = NULL;
	json_t *rows = NULL;
	struct berth_store *s;
	size_t n = 0;
	int r, status = 0;
	bool no_trunc;

	r = cli_parse(cmd, opts, &argc, argv, false);
	if (r != 0)
		return r < 0 ? CLI_EXIT_ENGINE : CLI_EXIT_OK;
	if ((r = cli_expect_args(cmd, argc, 0, 1)))
		return r;
	f.repo_arg = argc ? argv[0] : NULL;
	if ((r = parse_filters(cmd, cli_opt(opts, "filter")->values, &f))) {
		berth_strv_free(f.references);
		return r;
	}
	s = cli_store(g, &status);
	if (!s) {
		berth_strv_free(f.references);
		return status;
	}
	if (berth_db_list_images(s->db, &imgs, &n, &err) < 0) {
		berth_strv_free(f.references);
		return cli_fail(&err);
	}
	order = berth_xcalloc(n + 1, sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = (struct sort_item){ &imgs[i], i };
	qsort(order, n, sizeof(*order), cmp_images);

	no_trunc = cli_flag(opts, "no-trunc");
	rows = json_array();
	for (size_t i = 0; i < n; i++)
		add_image_rows(rows, order[i].img, &f, no_trunc);

	if (cli_flag(opts, "quiet")) {
		/* one line per image, in list order */
		_cleanup_strv_free_ char **seen = NULL;
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row) {
			const char *id = json_string_value(json_object_get(row, "ID"));
			if (berth_strv_contains(seen, id))
				continue;
			berth_strv_push(&seen, id);
			printf("%s\n", id);
		}
	} else {
		const char *def = cli_flag(opts, "digests")
					  ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
					  : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
		status = cli_print_rows(rows, cli_value(opts, "format"), def, headers, stdout);
	}
	json_decref(rows);
	berth_image_array_free(imgs, n);
	berth_strv_free(f.references);
	return status;
}

#define IMAGES_USAGE "[OPTIONS] [REPOSITORY[:TAG]]"

const struct cli_command cmd_images = {
	.name = "images",
	.usage = IMAGES_USAGE,
	.summary = "List images",
	.run = images_run,
};

const struct cli_command cmd_image_ls = {
	.name = "ls",
	.aliases = "list",
	.usage = IMAGES_USAGE,
	.summary = "List images",
	.run = images_run,
};
