# Helpers for the tests of the berth engine CLI (tests/e2e/images.bats, ...).
# `load berth` instead of `load helpers`: this loads helpers.bash for its
# assertions and mount cleanup, and gives each test its own store:
#   BERTH_ROOT=$BATS_TEST_TMPDIR/root  BERTH_RUN_ROOT=$BATS_TEST_TMPDIR/run
# never /var/lib/berth.
#
# Environment:
#   BERTH         the berth binary (default: $BERTH_BUILD/src/cmd/berth/berth)

load helpers

BERTH=${BERTH:-$BERTH_BUILD/src/cmd/berth/berth}

# berth ARGS...: the engine CLI on this test's store.
berth() {
	"$BERTH" "$@"
}

berth_setup() {
	[ -x "$BERTH" ] || skip "berth not built ($BERTH)"
	export BERTH_ROOT=$BATS_TEST_TMPDIR/root
	export BERTH_RUN_ROOT=$BATS_TEST_TMPDIR/run
	chmod a+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR" 2>/dev/null || true
}

# Unmount whatever the test mounted under its tmpdir (image mounts, rootfs
# overlays), deepest first, so that bats can remove it.
berth_teardown() {
	if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
		awk -v d="$BATS_TEST_TMPDIR" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	fi
	return 0
}

setup() {
	berth_setup
}

teardown() {
	berth_teardown
}

# berth_bootstrap [NAME]: the built-in busybox image (default localhost/busybox:latest); prints its id.
berth_bootstrap() {
	"$BERTH" image bootstrap "$@"
}

# berth_image_id REF: the full id ("sha256:…") of an image.
berth_image_id() {
	"$BERTH" image inspect --format '{{.Id}}' "$1"
}

# store_state: what the store holds (names, images, blobs, layers), one line
# each, to compare before and after an operation that must change nothing.
store_state() {
	"$BERTH" images -a --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}' | sort
	(cd "$BERTH_ROOT" && find blobs layers -mindepth 1 -maxdepth 2 2>/dev/null | sort)
}

# tmp_litter: entries left in the store's tmp/ (should be none after a command ends).
tmp_litter() {
	find "$BERTH_ROOT/tmp" -mindepth 1 -maxdepth 1 2>/dev/null
}
