#!/usr/bin/env bats
# The runtime under containerd: Debian's containerd on a private socket, state
# and root, a busybox image built locally as an OCI layout tarball, and ctr
# driving the runtime through containerd-shim-runc-v2 (--runc-binary).

load helpers
load image

IMAGE=docker.io/library/busybox:latest

setup_file() {
	command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd not installed"
	[ -x "$RUNTIME" ] || command -v "$RUNTIME" >/dev/null || skip "runtime \`$RUNTIME\` not built"
	# Short: the socket path must fit in sun_path.
	CTD_DIR=$(mktemp -d /tmp/berth-ctd.XXXXXX)
	export CTD_DIR CTD_SOCK=$CTD_DIR/containerd.sock
	# Our own containerd namespace: containerd names cgroups /<namespace>/<id>.
	export CTD_NS=berth-e2e-$$
	containerd config default |
		sed -e "s|^root = .*|root = \"$CTD_DIR/root\"|" \
			-e "s|^state = .*|state = \"$CTD_DIR/state\"|" \
			-e "s|^  address = \"/run/containerd/containerd.sock\"|  address = \"$CTD_SOCK\"|" \
			-e 's|^disabled_plugins = .*|disabled_plugins = ["io.containerd.grpc.v1.cri"]|' \
			>"$CTD_DIR/config.toml"
	# Its own session: a test timeout must not take containerd down with it.
	setsid containerd --config "$CTD_DIR/config.toml" >"$CTD_DIR/containerd.log" 2>&1 </dev/null &
	echo $! >"$CTD_DIR/pid"
	for _ in $(seq 200); do
		ctr -a "$CTD_SOCK" version >/dev/null 2>&1 && break
		sleep 0.05
	done
	ctr -a "$CTD_SOCK" version >/dev/null || {
		cat "$CTD_DIR/containerd.log" >&2
		return 1
	}

	build_busybox_image_tar "$CTD_DIR/busybox.tar" "$IMAGE"
	# overlayfs where the snapshotter loaded (it needs a filesystem that can
	# host overlay upper dirs), native otherwise.
	if ctr -a "$CTD_SOCK" plugins ls | awk '$2 == "overlayfs" { print $NF }' | grep -qx ok; then
		export CTD_SNAPSHOTTER=overlayfs
	else
		export CTD_SNAPSHOTTER=native
	fi
	ctr -a "$CTD_SOCK" -n "$CTD_NS" images import --snapshotter "$CTD_SNAPSHOTTER" "$CTD_DIR/busybox.tar" >&2
}

teardown_file() {
	[ -n "${CTD_DIR:-}" ] || return 0
	local t p
	for t in $(CTR_TIMEOUT=10 ctr_ task ls -q 2>/dev/null); do
		CTR_TIMEOUT=10 ctr_ task kill -s KILL "$t" >/dev/null 2>&1
		CTR_TIMEOUT=10 ctr_ task rm -f "$t" >/dev/null 2>&1
	done
	for t in $(CTR_TIMEOUT=10 ctr_ containers ls -q 2>/dev/null); do
		CTR_TIMEOUT=10 ctr_ containers rm "$t" >/dev/null 2>&1
	done
	if [ -f "$CTD_DIR/pid" ]; then
		kill "$(cat "$CTD_DIR/pid")" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$(cat "$CTD_DIR/pid")" 2>/dev/null || break; sleep 0.05; done
	fi
	# What a hung runtime left: processes in our namespace's cgroups (v1 pids
	# or v2), and the shims serving our namespace.
	for p in $(cat /sys/fs/cgroup/pids/"$CTD_NS"/*/cgroup.procs /sys/fs/cgroup/"$CTD_NS"/*/cgroup.procs 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	for p in $(cat "$CTD_DIR"/state/io.containerd.runtime.v2.task/"$CTD_NS"/*/shim.pid 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	# Snapshot mounts left by a crash must go before the directory.
	awk -v d="$CTD_DIR" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$CTD_DIR"
	sleep 0.1
	rmdir /sys/fs/cgroup/*/"$CTD_NS"/*/ /sys/fs/cgroup/"$CTD_NS"/*/ 2>/dev/null || true
	rmdir /sys/fs/cgroup/*/"$CTD_NS" /sys/fs/cgroup/"$CTD_NS" 2>/dev/null || true
}

setup() {
	common_setup
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -n "${CTD_DIR:-}" ]; then
		echo "--- containerd.log (tail)" >&2
		tail -n 30 "$CTD_DIR/containerd.log" >&2
	fi
}

# ctr_ ARGS...: ctr on our containerd and namespace, bounded in time.
ctr_() {
	timeout "${CTR_TIMEOUT:-60}" ctr -a "$CTD_SOCK" -n "$CTD_NS" "$@"
}

# ctr_run ARGS...: `ctr run` with the runtime under test, its state and the
# IO fifos in our private directory.
ctr_run() {
	ctr_ run --snapshotter "$CTD_SNAPSHOTTER" --runc-binary "$RUNTIME" --runc-root "$CTD_DIR/runc" \
		--fifo-dir "$CTD_DIR/fifo" "$@"
}

@test "containerd: the image is there ($CTD_SNAPSHOTTER snapshotter)" {
	run ctr_ images ls -q
	assert_success
	assert_output_contains "$IMAGE"
}

@test "containerd: ctr run --rm prints hello" {
	run ctr_run --rm "$IMAGE" t1 echo hello
	assert_success
	assert_output_is hello
}

@test "containerd: exit status reaches ctr" {
	run ctr_run --rm "$IMAGE" t2 sh -c 'exit 7'
	assert_status 7
}

@test "containerd: run -d, task ls, kill, rm" {
	run ctr_run -d "$IMAGE" t3 sleep 1000
	assert_success
	run ctr_ task ls
	assert_success
	[[ "$output" =~ t3\ +[0-9]+\ +RUNNING ]] || fail "t3 not running: $output"
	run ctr_ task kill -s KILL t3
	assert_success
	for _ in $(seq 100); do
		ctr_ task ls | grep -qE 't3 +[0-9]+ +STOPPED' && break
		sleep 0.05
	done
	run ctr_ task ls
	[[ "$output" =~ t3\ +[0-9]+\ +STOPPED ]] || fail "t3 not stopped: $output"
	run ctr_ task rm t3
	assert_success
	run ctr_ containers rm t3
	assert_success
	run ctr_ task ls -q
	[ -z "$output" ]
}

@test "containerd: the task's namespaces and cgroup" {
	run ctr_run -d "$IMAGE" t4 sleep 1000
	assert_success
	pid=$(ctr_ task ls | awk '$1 == "t4" { print $2 }')
	[ -n "$pid" ] && [ "$pid" -gt 0 ]
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	# containerd's default cgroupsPath is /<namespace>/<id>.
	grep -qE ":pids:/$CTD_NS/t4\$|^0::/$CTD_NS/t4\$" "/proc/$pid/cgroup"
	ctr_ task kill -s KILL t4
	for _ in $(seq 100); do ctr_ task ls | grep -qE 't4 +[0-9]+ +STOPPED' && break; sleep 0.05; done
	ctr_ task rm t4
	ctr_ containers rm t4
}

# ctr_stop ID: kill the task, wait for it to stop, remove task and container.
ctr_stop() {
	ctr_ task kill -s KILL "$1" >/dev/null 2>&1
	for _ in $(seq 100); do ctr_ task ls | grep -qE "$1 +[0-9]+ +STOPPED" && break; sleep 0.05; done
	ctr_ task rm "$1" >/dev/null 2>&1
	ctr_ containers rm "$1" >/dev/null 2>&1
}

@test "containerd: ctr task exec runs in the task and returns its status" {
	run ctr_run -d "$IMAGE" t5 sleep 1000
	assert_success
	pid=$(ctr_ task ls | awk '$1 == "t5" { print $2 }')
	run ctr_ task exec --exec-id e1 t5 sh -c 'readlink /proc/self/ns/pid; exit 5'
	assert_status 5
	assert_output_is "$(readlink "/proc/$pid/ns/pid")"
	run ctr_ task exec --exec-id e2 t5 hostname
	assert_success
	ctr_stop t5
}

@test "containerd: ctr task pause and resume freeze the task" {
	run ctr_run -d "$IMAGE" t6 sleep 1000
	assert_success
	run ctr_ task pause t6
	assert_success
	run ctr_ task ls
	[[ "$output" =~ t6\ +[0-9]+\ +PAUSED ]] || fail "t6 not paused: $output"
	run ctr_ task resume t6
	assert_success
	run ctr_ task ls
	[[ "$output" =~ t6\ +[0-9]+\ +RUNNING ]] || fail "t6 not running: $output"
	ctr_stop t6
}

@test "containerd: --memory-limit is applied and a hog is OOM-killed" {
	run ctr_run -d --memory-limit 33554432 "$IMAGE" t7 sleep 1000
	assert_success
	pid=$(ctr_ task ls | awk '$1 == "t7" { print $2 }')
	# ctr's spec has no /sys/fs/cgroup mount: read the limit on the host
	v1=$(sed -n 's/^[0-9]*:memory:\(.*\)$/\1/p' "/proc/$pid/cgroup")
	if [ -n "$v1" ]; then
		limit=$(cat "/sys/fs/cgroup/memory$v1/memory.limit_in_bytes")
	else
		limit=$(cat "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")/memory.max")
	fi
	ctr_stop t7
	[ "$limit" = 33554432 ] || fail "memory limit is $limit"
	# doubling a string up to 128 MiB (bounded: never a host-wide OOM)
	run ctr_run --rm --memory-limit 33554432 "$IMAGE" t8 sh -c \
		'a=0123456789abcdef; while [ ${#a} -lt 134217728 ]; do a=$a$a; done; echo survived'
	assert_status 137
	refute_output_contains survived
}
