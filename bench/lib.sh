# Sourced by the bench scripts: die(), and the re-entry into a private mount
# namespace without the hybrid v2 mount (crun refuses hybrid cgroup hosts, so
# every runtime is measured on the same legacy-v1 view).  Call
# bench_enter_v1_view "$0" "$@" before anything else.

die() {
	echo "bench: $*" >&2
	exit 1
}

bench_enter_v1_view() {
	if [ -z "${BERTH_BENCH_INNER:-}" ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null &&
		[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
		export BERTH_BENCH_INNER=1
		exec unshare --mount --propagation private -- bash -c \
			'umount -l /sys/fs/cgroup/unified && exec "$0" "$@"' "$@"
	fi
}
