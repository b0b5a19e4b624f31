/* berth image: the image management group. */
#include "cli.h"

static const struct cli_command *const image_commands[] = {
	&cmd_image_bootstrap, &cmd_image_history, &cmd_image_import, &cmd_image_inspect, &cmd_image_load,
	&cmd_image_ls,	      &cmd_image_mount,	  &cmd_image_prune,  &cmd_image_pull,	 &cmd_image_push,
	&cmd_image_rm,	      &cmd_image_save,	  &cmd_image_tag,    &cmd_image_unmount, NULL,
};

const struct cli_command cmd_image = {
	.name = "image",
	.usage = "COMMAND",
	.summary = "Manage images",
	.run = cli_run_group,
	.subcommands = image_commands,
};
