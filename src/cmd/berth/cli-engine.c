/* The engine for the container commands, opened once per berth process. */
#include <stdlib.h>

#include "cli.h"
#include "engine/engine.h"
#include "runtime/cloned-binary.h"
#include "util/cleanup.h"

struct berth_engine *cli_engine(struct cli_global *g, int *ret_status)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (g->engine)
		return g->engine;
	if (berth_engine_open(g->root, g->run_root, g->self_path, &g->engine, &err) < 0) {
		cli_fail(&err);
		*ret_status = CLI_EXIT_ENGINE;
		return NULL;
	}
	return g->engine;
}

int cli_protect_self(struct cli_global *g)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;

	if (!g->argv || !g->self_path)
		return cli_failf(CLI_EXIT_ENGINE, "cannot find the berth binary (/proc/self/exe)");
	/* after the re-exec, main() reads the real path back from here */
	setenv("BERTH_SELF", g->self_path, 1);
	if (berth_cloned_binary_ensure(g->argv, &err) < 0) {
		unsetenv("BERTH_SELF");
		return cli_fail(&err), CLI_EXIT_ENGINE;
	}
	unsetenv("BERTH_SELF");
	return 0;
}
