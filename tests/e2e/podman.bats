#!/usr/bin/env bats
# The runtime under podman: Debian's podman, rootful, with cgroupfs and no
# network, its storage, run root, tmpdir and configuration private to this
# file (tests/e2e/podman/containers.conf), a busybox image built locally and loaded
# with `podman load`, and the runtime under test given as --runtime.  Every
# test checks what a podman user sees.
#
# podman 4.3 does not pass --runtime-flag to the cleanup command it has conmon
# run, so the runtime keeps its state in its default --root (/run/runc,
# /run/berth-runtime); teardown_file deletes whatever is left there.

load helpers
load image

IMAGE=docker.io/library/busybox:latest

setup_file() {
	if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
		skip "podman not installed"
	fi
	local rt
	rt=$(command -v "$RUNTIME") || skip "runtime \`$RUNTIME\` not built"
	# podman names the runtime after its path: keep a symlink's name.
	export RUNTIME_ABS
	RUNTIME_ABS=$(realpath -s "$rt")
	# Short: conmon's attach socket lives under it.
	export PM_DIR
	PM_DIR=$(mktemp -d /tmp/berth-pm.XXXXXX)
	mkdir -p "$PM_DIR/tmp" "$PM_DIR/vartmp" "$PM_DIR/net"
	export PM_CGROUP=/berth-e2e-podman-$$
	export CONTAINERS_CONF=$BATS_TEST_DIRNAME/podman/containers.conf
	# podman wants both roots here too (the command line wins).
	export CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf
	printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' \
		"$PM_DIR/storage" "$PM_DIR/run" >"$CONTAINERS_STORAGE_CONF"

	build_busybox_image_tar "$PM_DIR/busybox.tar" "$IMAGE"
	# An image copy writes a blob cache to /var/lib/containers/cache whatever
	# --root says; where it cannot, it keeps the cache in memory.
	local PM_ARGS
	pm_args
	TMPDIR=$PM_DIR/vartmp unshare --mount --propagation private bash -c \
		'mount --bind /var/lib /var/lib && mount -o remount,bind,ro /var/lib && exec "$@"' - \
		timeout 60 podman "${PM_ARGS[@]}" load -i "$PM_DIR/busybox.tar" >&2 3>&-
}

teardown_file() {
	[ -n "${PM_DIR:-}" ] || return 0
	local ids id
	ids=$(PM_TIMEOUT=20 pm ps -aq --no-trunc 2>/dev/null)
	PM_TIMEOUT=30 pm rm -a -f -t 0 >/dev/null 2>&1
	# What a hung runtime left: processes in our cgroups (conmon's included),
	# runtime state of our containers.
	find /sys/fs/cgroup/pids"$PM_CGROUP" /sys/fs/cgroup"$PM_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null |
		while read -r p; do kill -9 "$p" 2>/dev/null; done
	for id in $ids; do
		timeout 10 "$RUNTIME_ABS" delete --force "$id" >/dev/null 2>&1
	done
	# storage/overlay is mounted on itself, container root filesystems on
	# storage/overlay/*/merged.
	awk -v d="$PM_DIR" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$PM_DIR"
	sleep 0.1
	find /sys/fs/cgroup/*"$PM_CGROUP" /sys/fs/cgroup"$PM_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null
	return 0
}

setup() {
	common_setup
}

teardown() {
	# Every test names its containers: remove them whatever happened.
	PM_TIMEOUT=30 pm rm -a -f -t 0 >/dev/null 2>&1
	common_teardown
}

# pm_args: podman's global options, as a list for "${PM_ARGS[@]}".
pm_args() {
	PM_ARGS=(--root "$PM_DIR/storage" --runroot "$PM_DIR/run" --tmpdir "$PM_DIR/tmp"
		--network-config-dir "$PM_DIR/net" --runtime "$RUNTIME_ABS"
		--cgroup-manager cgroupfs --events-backend file)
}

# pm ARGS...: podman on our storage and runtime, bounded in time.  fd 3 (bats'
# output) is closed: conmon outlives podman and would hold it.
pm() {
	local PM_ARGS
	pm_args
	TMPDIR=$PM_DIR/vartmp timeout "${PM_TIMEOUT:-60}" podman "${PM_ARGS[@]}" "$@" 3>&-
}

# pm_run ARGS...: `podman run` of local images only, in our cgroup parent.
pm_run() {
	pm run --pull never --cgroup-parent "$PM_CGROUP" "$@"
}

# pm_tty STDIN COMMAND...: run podman COMMAND... on a pty (script(1)),
# feeding STDIN to it; $output is what the terminal showed, CRs dropped.
pm_tty() {
	local input=$1 cmd PM_ARGS
	shift
	pm_args
	cmd=$(printf '%q ' env TMPDIR="$PM_DIR/vartmp" podman "${PM_ARGS[@]}" "$@")
	# No timeout(1) inside: it would put podman out of the terminal's
	# foreground process group, and reading the tty would stop it.
	run timeout 60 script -qec "$cmd" /dev/null <<<"$input" 3>&-
	output=${output//$'\r'/}
}

# ctr_pid NAME: the container's init pid on the host.
ctr_pid() {
	pm inspect --format '{{.State.Pid}}' "$1"
}

ctr_state() {
	pm inspect --format '{{.State.Status}}' "$1"
}

# cg_dir NAME CONTROLLER: the host directory of the container's cgroup for
# CONTROLLER (v1), or its v2 directory.
cg_dir() {
	local pid path
	pid=$(ctr_pid "$1") || return 1
	[ "$pid" -gt 0 ] || {
		echo "container $1 has no pid" >&2
		return 1
	}
	if cgroup_v2_only; then
		path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup$path"
	else
		path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
		echo "/sys/fs/cgroup/$2$path"
	fi
}

# cg_limit NAME memory|pids|cpu|freezer: the container's limit as the host's
# cgroup files show it: bytes, a count, "QUOTA PERIOD", FROZEN or THAWED.
cg_limit() {
	local dir
	dir=$(cg_dir "$1" "$2") || return 1
	if cgroup_v2_only; then
		case "$2" in
		memory) cat "$dir/memory.max" ;;
		pids) cat "$dir/pids.max" ;;
		cpu) cat "$dir/cpu.max" ;;
		freezer) [ "$(cat "$dir/cgroup.freeze")" = 1 ] && echo FROZEN || echo THAWED ;;
		esac
	else
		case "$2" in
		memory) cat "$dir/memory.limit_in_bytes" ;;
		pids) cat "$dir/pids.max" ;;
		cpu) echo "$(cat "$dir/cpu.cfs_quota_us") $(cat "$dir/cpu.cfs_period_us")" ;;
		freezer) cat "$dir/freezer.state" ;;
		esac
	fi
}

# wait_ctr_state NAME STATE: poll `podman inspect` (every 50ms, 5s).
wait_ctr_state() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(ctr_state "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	echo "container $1 did not reach $2 (is $(ctr_state "$1" 2>&1))" >&2
	return 1
}

@test "podman: the image is loaded" {
	run pm images --format '{{.Repository}}:{{.Tag}}'
	assert_success
	assert_output_contains "$IMAGE"
}

@test "podman: run --rm echo hi" {
	run --separate-stderr pm_run --rm "$IMAGE" echo hi
	assert_success
	assert_output_is hi
	run pm ps -aq
	assert_output_is ""
}

@test "podman: the exit status reaches podman run" {
	run pm_run --rm "$IMAGE" sh -c 'exit 3'
	assert_status 3
}

@test "podman: containers.conf default_ulimits reach the container" {
	run --separate-stderr pm_run --rm "$IMAGE" sh -c 'ulimit -Sn; ulimit -Hn; ulimit -Hu'
	assert_success
	assert_output_is $'1024\n1024\n4096'
}

@test "podman: --network none has a loopback interface that is up" {
	# runc and crun bring lo up in a network namespace they create.
	run --separate-stderr pm_run --rm "$IMAGE" ip -o link show lo
	assert_success
	[[ "$output" =~ \<[A-Z_,]*,UP[,\>] ]] || fail "lo is down: $output"
}

@test "podman: run -d, exec, stop, rm" {
	run pm_run -d --name pm-d --hostname pm-host "$IMAGE" sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
	assert_success
	wait_ctr_state pm-d running
	run --separate-stderr pm exec pm-d cat /etc/hostname
	assert_success
	assert_output_is pm-host
	run --separate-stderr pm exec pm-d sh -c 'exit 6'
	assert_status 6
	# The init's TERM trap exits 0: stop delivered SIGTERM, not its fallback KILL.
	run pm stop -t 10 pm-d
	assert_success
	run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' pm-d
	assert_output_is "exited 0"
	run pm rm pm-d
	assert_success
	run pm ps -aq
	assert_output_is ""
}

@test "podman: run -it gives the container a terminal" {
	pm_tty $'tty\necho typed-$((6*7))\nexit 4' run -it --rm --pull never --cgroup-parent "$PM_CGROUP" "$IMAGE" sh
	assert_status 4
	[[ "$output" =~ (^|$'\n')/dev/pts/[0-9]+($'\n'|$) ]] || fail "no /dev/pts/N from tty; output was:"$'\n'"$output"
	assert_output_contains typed-42
}

@test "podman: exec -it gives the exec'd process a terminal" {
	run pm_run -d --name pm-exec-tty "$IMAGE" sleep 1000
	assert_success
	pm_tty $'tty\nexit 5' exec -it pm-exec-tty sh
	assert_status 5
	[[ "$output" =~ (^|$'\n')/dev/pts/[0-9]+($'\n'|$) ]] || fail "no /dev/pts/N from tty; output was:"$'\n'"$output"
}

@test "podman: --memory 32m sets the memory cgroup limit" {
	run pm_run -d --name pm-mem --memory 32m "$IMAGE" sleep 1000
	assert_success
	run cg_limit pm-mem memory
	assert_success
	assert_output_is 33554432
}

@test "podman: --memory 32m gets a memory hog OOM-killed" {
	# Doubling a string up to 128 MiB (bounded: never a host-wide OOM).
	run pm_run --rm --memory 32m "$IMAGE" sh -c \
		'a=0123456789abcdef; while [ ${#a} -lt 134217728 ]; do a=$a$a; done; echo survived'
	assert_status 137
	refute_output_contains survived
}

@test "podman: --pids-limit 20 sets pids.max and stops forks past it" {
	run pm_run -d --name pm-pids --pids-limit 20 "$IMAGE" sleep 1000
	assert_success
	run cg_limit pm-pids pids
	assert_success
	assert_output_is 20
	run pm_run --rm --pids-limit 20 "$IMAGE" sh -c 'for i in $(seq 30); do sleep 10 & done; echo forked all'
	assert_failure
	refute_output_contains "forked all"
	assert_output_contains "can't fork"
}

@test "podman: --cpus 0.5 sets a CFS quota of 50000/100000" {
	run pm_run -d --name pm-cpu --cpus 0.5 "$IMAGE" sleep 1000
	assert_success
	run cg_limit pm-cpu cpu
	assert_success
	assert_output_is "50000 100000"
}

@test "podman: update changes the limits of a running container" {
	run pm_run -d --name pm-upd --memory 32m --cpus 0.5 "$IMAGE" sleep 1000
	assert_success
	run pm update --memory 64m --cpus 0.25 pm-upd
	assert_success
	run cg_limit pm-upd memory
	assert_output_is 67108864
	run cg_limit pm-upd cpu
	assert_output_is "25000 100000"
}

@test "podman: pause and unpause" {
	run pm_run -d --name pm-pause "$IMAGE" sleep 1000
	assert_success
	wait_ctr_state pm-pause running
	run pm pause pm-pause
	assert_success
	run ctr_state pm-pause
	assert_output_is paused
	run pm ps -a --format '{{.Names}} {{.Status}}'
	assert_output_contains "pm-pause Paused"
	run cg_limit pm-pause freezer
	assert_output_is FROZEN
	run pm unpause pm-pause
	assert_success
	run ctr_state pm-pause
	assert_output_is running
	run cg_limit pm-pause freezer
	assert_output_is THAWED
}

@test "podman: top lists the container's processes" {
	run pm_run -d --name pm-top "$IMAGE" sh -c 'sleep 1000 & wait'
	assert_success
	wait_ctr_state pm-top running
	run --separate-stderr pm top pm-top pid args
	assert_success
	assert_output_contains "sleep 1000"
	[[ "$output" =~ (^|$'\n')1\ +sh\ -c ]] || fail "no pid 1 sh in top; output was:"$'\n'"$output"
}

@test "podman: kill, and wait reports 137" {
	run pm_run -d --name pm-kill "$IMAGE" sleep 1000
	assert_success
	wait_ctr_state pm-kill running
	run pm kill pm-kill
	assert_success
	run pm wait pm-kill
	assert_success
	assert_output_is 137
	run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' pm-kill
	assert_output_is "exited 137"
}

@test "podman: kill --signal reaches the container's init" {
	run pm_run -d --name pm-sig "$IMAGE" sh -c 'trap "exit 42" USR1; sleep 1000 & wait'
	assert_success
	wait_ctr_state pm-sig running
	run pm kill --signal USR1 pm-sig
	assert_success
	run pm wait pm-sig
	assert_output_is 42
}

@test "podman: inspect names the runtime under test" {
	run pm_run -d --name pm-insp "$IMAGE" sleep 1000
	assert_success
	run pm inspect --format '{{.OCIRuntime}}' pm-insp
	assert_success
	[ "$output" = "$RUNTIME_ABS" ] || [ "$output" = "$(basename "$RUNTIME_ABS")" ] ||
		fail "OCIRuntime is \`$output\`, not $RUNTIME_ABS"
}
