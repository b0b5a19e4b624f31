#!/usr/bin/env bats
# What keeps `berth run` fast, checked against what it must not give up
# (docs/engine.md, "Performance"): the root of a --rm container is mounted
# volatile, no other; compiled seccomp filters are cached by profile, a
# filter read from the cache is enforced all the same, and a damaged entry
# is compiled again; libcurl and libsystemd are opened only when needed.

load berth

setup() {
	berth_setup
	berth_bootstrap >/dev/null
}

teardown() {
	local id
	for id in $(ls "$BERTH_ROOT/containers" 2>/dev/null); do
		berth rm -f "$id" >/dev/null 2>&1 || true
	done
	berth_teardown
}

CACHE() {
	echo "$BERTH_RUN_ROOT/runtime/.seccomp-cache"
}

# the super options, the type of the root filesystem mount of container $1
rootfs_options() {
	awk -v m="$BERTH_RUN_ROOT/containers/$1/rootfs" '$5 == m { print $NF }' /proc/self/mountinfo
}
rootfs_fstype() {
	awk -v m="$BERTH_RUN_ROOT/containers/$1/rootfs" '$5 == m { for (i = 7; i < NF; i++) if ($i == "-") print $(i + 1) }' /proc/self/mountinfo
}

@test "the root of a --rm container is mounted volatile, any other's is not" {
	id=$(berth run -d --rm busybox sleep 100)
	[[ "$(rootfs_options "$id")" == *volatile* ]] || fail "--rm: $(rootfs_options "$id")"
	id2=$(berth run -d busybox sleep 100)
	opts=$(rootfs_options "$id2")
	[ -n "$opts" ] || fail "no rootfs mount for $id2"
	[[ "$opts" != *volatile* ]] || fail "without --rm: $opts"
	# what the container writes is there while it runs
	run -0 berth exec "$id" sh -c 'echo data > /f && cat /f'
	assert_output_is data
}

@test "a volatile root left by a crash is mounted again" {
	id=$(berth create --rm busybox sleep 100)
	work="$BERTH_ROOT/containers/$id/work"
	umount -l "$BERTH_RUN_ROOT/containers/$id/rootfs"
	# what overlayfs leaves when a volatile mount is never unmounted: it refuses the work dir until it goes
	mkdir -p "$work/work/incompat/volatile"
	run -0 berth start "$id"
	[ "$(rootfs_fstype "$id")" = overlay ] || fail "mounted as $(rootfs_fstype "$id"), not overlay"
	[[ "$(rootfs_options "$id")" == *volatile* ]] || fail "$(rootfs_options "$id")"
}

@test "seccomp filters are cached by profile, and a cached one is enforced" {
	run -0 berth run --rm busybox true
	[ "$(ls "$(CACHE)" | wc -l)" = 1 ] || fail "cache: $(ls -A "$(CACHE)")"
	# from the cache now: the filter is there and refuses what the profile refuses
	run -1 berth run --rm busybox sh -c 'grep -q "^Seccomp:.*2" /proc/self/status || exit 9; unshare -U true'
	assert_output_contains "Operation not permitted"
	[ "$(ls "$(CACHE)" | wc -l)" = 1 ] || fail "cache: $(ls -A "$(CACHE)")"
	# another profile (CAP_SYS_ADMIN lets unshare through), another entry
	run -0 berth run --rm --cap-add SYS_ADMIN busybox unshare -U true
	[ "$(ls "$(CACHE)" | wc -l)" = 2 ] || fail "cache: $(ls -A "$(CACHE)")"
	# exec compiles nothing either, and is filtered as the container is
	id=$(berth run -d busybox sleep 100)
	run -1 berth exec "$id" unshare -U true
	[ "$(ls "$(CACHE)" | wc -l)" = 2 ] || fail "cache: $(ls -A "$(CACHE)")"
}

@test "a damaged seccomp cache entry is compiled again" {
	run -0 berth run --rm busybox true
	entry=$(ls "$(CACHE)"/*.bpf)
	head -c 4096 /dev/urandom >"$entry"
	run -1 berth run --rm busybox sh -c 'grep -q "^Seccomp:.*2" /proc/self/status || exit 9; unshare -U true'
	assert_output_contains "Operation not permitted"
	[ "$(head -c 8 "$entry")" = berthsc1 ] || fail "the entry was not written again"
	# cut short: the same
	truncate -s 100 "$entry"
	run -1 berth run --rm busybox unshare -U true
	[ "$(stat -c %s "$entry")" -gt 100 ] || fail "the entry was not written again"
}

@test "berth links neither libcurl nor libsystemd" {
	run -0 ldd "$BERTH"
	refute_output_contains libcurl
	refute_output_contains libsystemd
	refute_output_contains libxml2
	run -0 berth version
}
