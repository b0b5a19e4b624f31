/*
 * rootfs-mount: mount an image's layers as a container root filesystem the
 * way the engine will (berth_overlay_mount), for the end-to-end tests of
 * layer sharing and copy-on-write.
 *
 *   rootfs-mount IMAGE TARGET [UPPER WORK]   prints "overlay" or "copy"
 *   rootfs-mount -u TARGET
 *
 * The store comes from $BERTH_ROOT / $BERTH_RUN_ROOT.
 */
#include <stdio.h>
#include <string.h>

#include "image/image.h"
#include "image/overlay.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int main(int argc, char **argv)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_(berth_store_freep) struct berth_store *s = NULL;
	_cleanup_free_ char **chains = NULL;
	struct berth_image img = { 0 };
	enum berth_rootfs_driver driver;
	int r;

	if (argc == 3 && strcmp(argv[1], "-u") == 0) {
		if (berth_overlay_umount(argv[2], &err) < 0)
			goto fail;
		return 0;
	}
	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: rootfs-mount IMAGE TARGET [UPPER WORK] | -u TARGET\n");
		return 2;
	}
	if (berth_store_open(NULL, NULL, &s, &err) < 0 || berth_image_resolve(s, argv[1], &img, &err) < 0)
		goto fail;
	chains = berth_xcalloc(img.n_layers + 1, sizeof(char *));
	for (size_t i = 0; i < img.n_layers; i++)
		chains[i] = img.layers[i].chain_id;
	r = berth_overlay_mount(s, chains, img.n_layers, argc == 5 ? argv[3] : NULL, argc == 5 ? argv[4] : NULL,
				argv[2], &driver, &err);
	berth_image_release(&img);
	if (r < 0)
		goto fail;
	printf("%s\n", driver == BERTH_ROOTFS_OVERLAY ? "overlay" : "copy");
	return 0;
fail:
	fprintf(stderr, "rootfs-mount: %s\n", err.msg);
	return 1;
}
